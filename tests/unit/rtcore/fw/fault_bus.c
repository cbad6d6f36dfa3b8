/* SPDX-License-Identifier: MIT */
/* fault_bus.c — reads an address no memory or peripheral answers at. */
#include "fw.h"
DEFAULT_UNEXPECTED
VECTORS();
void reset(void)
{
    puts_("reading 0x30000000\n");
    kv("value", REG(0x30000000));
    EXIT(0);
}
