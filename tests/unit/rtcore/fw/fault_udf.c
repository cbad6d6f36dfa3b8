/* SPDX-License-Identifier: MIT */
/* fault_udf.c — executes a permanently undefined instruction. */
#include "fw.h"
DEFAULT_UNEXPECTED
VECTORS();
void reset(void)
{
    puts_("about to fault\n");
    __asm__ volatile("udf #3");
    puts_("survived\n");
    EXIT(0);
}
