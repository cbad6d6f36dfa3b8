/* SPDX-License-Identifier: MIT */
/* stack_overflow.c — points the stack below TCM and takes an exception: stacking fails. */
#include "fw.h"
DEFAULT_UNEXPECTED
VECTORS();
void reset(void)
{
    puts_("sp to 0x000fff00\n");
    __asm__ volatile("mov sp, %0\n svc #0" ::"r"(0x000fff00u));
    puts_("survived\n");
    EXIT(0);
}
