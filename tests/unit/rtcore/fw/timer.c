/* SPDX-License-Identifier: MIT */
/* timer.c — timer accuracy: GPT0 at 1 kHz (repeat) for 100 ticks, then GPT1 at 32.768 kHz
 * for 3277 counts (one-shot), each measured with the free-running 1 MHz GPT3; the core sleeps
 * in WFI between interrupts. */
#include "fw.h"

static volatile uint32_t ticks, oneshot;

void gpt(void)
{
    uint32_t isr = GPT_ISR;
    GPT_ISR = isr;
    if (isr & 1)
        ticks++;
    if (isr & 2)
        oneshot++;
}
DEFAULT_UNEXPECTED
VECTORS([16 + 1] = gpt);

void reset(void)
{
    NVIC_ISER(0) = 1u << 1;
    GPT_IER = 3;
    GPT3_INIT = 0;
    GPT3_CTRL = 1;
    uint32_t t0 = GPT3_CNT;
    GPT0_ICNT = 1;
    GPT0_CTRL = 1 | 2 | 4; /* enable, repeat, 1 kHz */
    while (ticks < 100)
        __asm__ volatile("wfi");
    GPT0_CTRL = 0;
    uint32_t t1 = GPT3_CNT;
    kv("gpt0_100_ticks_us", t1 - t0);
    GPT1_ICNT = 3277;
    GPT1_CTRL = 1; /* enable, one-shot, 32.768 kHz */
    while (!oneshot)
        __asm__ volatile("wfi");
    uint32_t t2 = GPT3_CNT;
    kv("gpt1_3277_counts_us", t2 - t1);
    kv("gpt1_stopped", !(GPT1_CTRL & 1));
    EXIT(0);
    for (;;) {
    }
}
