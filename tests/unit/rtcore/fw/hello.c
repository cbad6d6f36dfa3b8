/* SPDX-License-Identifier: MIT */
/* hello.c — prints through the debug UART and exits: the smallest end-to-end check. */
#include "fw.h"
DEFAULT_UNEXPECTED
VECTORS();
void reset(void)
{
    puts_("hello from the real-time core\n");
    kv("vtor", SCB_VTOR);
    EXIT(7);
    for (;;) {
    }
}
