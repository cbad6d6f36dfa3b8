/* SPDX-License-Identifier: MIT */
/* fp_it.c — FP registers and IT blocks survive interrupts: the thread runs float arithmetic
 * and IT-heavy integer code while SysTick fires every 97 cycles and its handler overwrites
 * s0-s15 and the flags. Results must equal the same computation with interrupts off. */
#include "fw.h"

static volatile uint32_t ticks;

void systick(void)
{
    ticks++;
    __asm__ volatile("vmov.f32 s0, #1.0\n vmov.f32 s1, #2.0\n vmov.f32 s2, #3.0\n vmov.f32 s3, #4.0\n"
                     "vmov.f32 s4, #5.0\n vmov.f32 s8, #6.0\n vmov.f32 s15, #7.0\n vmsr fpscr, %0\n"
                     "movs r0, #0\n cmp r0, #1\n" ::"r"(0x00C00000u) : "r0", "s0", "s1", "s2", "s3", "s4", "s8", "s15", "cc");
}
DEFAULT_UNEXPECTED
VECTORS([15] = systick);

__attribute__((noinline)) static float float_work(int rounds)
{
    float a = 1.0f, b = 0.5f;
    for (int i = 0; i < rounds; i++) {
        a = a * 1.0001f + b;
        b = b * 0.999f - a * 0.0001f;
    }
    return a + b;
}

__attribute__((noinline)) static uint32_t it_work(int rounds)
{
    uint32_t x = 12345, acc = 0;
    for (int i = 0; i < rounds; i++) {
        uint32_t v = x;
        __asm__ volatile("tst %1, #1\n"
                         "itete ne\n"
                         "addne %0, %0, %1\n"
                         "subeq %0, %0, #3\n"
                         "eorne %0, %0, #0x55\n"
                         "addeq %0, %0, #7\n"
                         : "+r"(acc) : "r"(v) : "cc");
        x = x * 1103515245u + 12345u;
    }
    return acc;
}

void reset(void)
{
    REG(0xE000ED88) |= 0xF << 20; /* CPACR: full access to CP10/CP11 */
    __asm__ volatile("dsb\n isb");
    float f_quiet = float_work(3000);
    uint32_t i_quiet = it_work(3000);
    SYST_RVR = 96;
    SYST_CVR = 0;
    SYST_CSR = 7;
    float f_busy = float_work(3000);
    uint32_t i_busy = it_work(3000);
    SYST_CSR = 0;
    kv("float_equal", f_quiet == f_busy);
    kv("it_equal", i_quiet == i_busy);
    kv("many_interrupts", ticks > 300);
    kv("ticks", ticks);
    EXIT(0);
    for (;;) {
    }
}
