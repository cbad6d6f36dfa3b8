/* SPDX-License-Identifier: MIT */
/* bad_vtor.c — moves VTOR to memory that holds no vector table, then takes an interrupt. */
#include "fw.h"
DEFAULT_UNEXPECTED
VECTORS();
void reset(void)
{
    SCB_VTOR = 0x00120000; /* zero-filled TCM */
    puts_("vtor moved\n");
    NVIC_ISER(0) = 1u << 3;
    NVIC_ISPR(0) = 1u << 3;
    __asm__ volatile("dsb\n isb");
    puts_("survived\n");
    EXIT(0);
}
