/* SPDX-License-Identifier: MIT */
/* spin.c — a tight loop (benchmark and instruction limits); also counts GPIO toggles. */
#include "fw.h"
DEFAULT_UNEXPECTED
VECTORS();
void reset(void)
{
    puts_("spinning\n");
    for (;;)
        __asm__ volatile("" ::: "memory");
}
