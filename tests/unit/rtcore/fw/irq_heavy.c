/* SPDX-License-Identifier: MIT */
/* irq_heavy.c — interrupt-heavy benchmark workload: SysTick every 400 cycles (~2 us) while
 * the thread runs an arithmetic loop; the handler does a little work on a shared counter. */
#include "fw.h"
static volatile uint32_t ticks;
void systick(void) { ticks = ticks * 3 + 1; }
DEFAULT_UNEXPECTED
VECTORS([15] = systick);
void reset(void)
{
    puts_("interrupt-heavy\n");
    SYST_RVR = 399;
    SYST_CVR = 0;
    SYST_CSR = 7;
    uint32_t x = 1;
    for (;;) {
        x = x * 1664525u + 1013904223u;
        __asm__ volatile("" : "+r"(x));
    }
}
