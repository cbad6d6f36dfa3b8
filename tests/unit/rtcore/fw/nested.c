/* SPDX-License-Identifier: MIT */
/* nested.c — NVIC behaviour: preemption by a higher priority, tail-chaining of a lower one,
 * BASEPRI and PRIMASK masking, 3-bit priorities, a GPT interrupt. Prints the order of events. */
#include "fw.h"

static volatile char order[32];
static volatile int n;
static void mark(char c) { order[n++] = c; }
static void pend(int irq) { NVIC_ISPR(irq / 32) = 1u << (irq % 32); __asm__ volatile("dsb\n isb"); }

void irq5(void) { mark('5'); }
void irq6(void) { mark('6'); }
void irq7(void) { mark('7'); }
void gpt(void)
{
    GPT_ISR = 1; /* acknowledge GPT0 */
    mark('G');
    pend(6);     /* lower priority: must wait for this handler to return */
    pend(5);     /* higher priority: must preempt right here */
    mark('g');
}
DEFAULT_UNEXPECTED
VECTORS([16 + 1] = gpt, [16 + 5] = irq5, [16 + 6] = irq6, [16 + 7] = irq7);

static void show(const char *what)
{
    puts_(what);
    putc_('=');
    for (int i = 0; i < n; i++)
        putc_(order[i]);
    putc_('\n');
    n = 0;
}

void reset(void)
{
    NVIC_IPR8(1) = 0x80;
    NVIC_IPR8(5) = 0x20;
    NVIC_IPR8(6) = 0xC0;
    NVIC_IPR8(7) = 0x60;
    kv("ipr_ff_reads", (NVIC_IPR8(7) = 0xFF, NVIC_IPR8(7)));
    NVIC_IPR8(7) = 0x60;
    NVIC_ISER(0) = (1u << 1) | (1u << 5) | (1u << 6) | (1u << 7);
    GPT_IER = 1;
    GPT0_ICNT = 2;      /* 2 ms at 1 kHz, one-shot */
    GPT0_CTRL = 1 | 4;
    while (n < 4)
        __asm__ volatile("wfi");
    show("gpt_nesting");

    __asm__ volatile("msr basepri, %0" ::"r"(0x40));
    pend(7); /* 0x60 >= 0x40: masked */
    pend(5); /* 0x20 < 0x40: taken */
    mark('-');
    __asm__ volatile("msr basepri, %0\n isb" ::"r"(0));
    mark('+');
    show("basepri");

    __asm__ volatile("cpsid i");
    pend(5);
    mark('-');
    __asm__ volatile("cpsie i\n isb");
    mark('+');
    show("primask");

    __asm__ volatile("msr basepri, %0" ::"r"(0x50)); /* 0x50 keeps bits 7:5 -> 0x40 */
    uint32_t bp;
    __asm__ volatile("mrs %0, basepri" : "=r"(bp));
    pend(7); /* 0x60 is masked by 0x40 */
    mark('-');
    __asm__ volatile("msr basepri, %0\n isb" ::"r"(0));
    show("basepri_3bit");
    kv("active_after", REG(0xE000E300));
    EXIT(0);
    for (;;) {
    }
}
