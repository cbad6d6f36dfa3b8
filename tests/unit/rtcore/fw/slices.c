/* SPDX-License-Identifier: MIT */
/* slices.c — busy code cut into many host-clock slices: a loop whose translated blocks chain
 * into each other, keeping the invariant m == 2n in registers across them. A slice that ends
 * inside the chain and resumes at a wrong PC runs a block twice and breaks it ("broken ..."
 * and BKPT #1). Never sleeps: the run ends at --max-time-ms. */
#include "fw.h"
DEFAULT_UNEXPECTED
VECTORS();

__attribute__((noinline)) static uint32_t mix(uint32_t x, uint32_t n)
{
    return (n & 1) ? x * 3u + 1u : x / 2u + 7u;
}

void reset(void)
{
    puts_("slicing\n");
    uint32_t n = 0, m = 0, x = 1;
    for (;;) {
        n++;
        __asm__ volatile("" : "+r"(n)); /* the compiler must not fold m into n */
        x = mix(x, n);
        if (x & 4)
            x ^= n;
        else
            x += m;
        m += 2;
        __asm__ volatile("" : "+r"(m), "+r"(x));
        if (m != 2 * n) {
            kv("broken n", n);
            kv("broken m", m);
            EXIT(1);
        }
        if ((n & 0xFFFFFF) == 0)
            kv("x", x);
    }
}
