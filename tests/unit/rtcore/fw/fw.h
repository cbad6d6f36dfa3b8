/* SPDX-License-Identifier: MIT */
/* fw.h — tiny runtime for the emulator's test firmware: vector table helpers, debug UART
 * output, registers. Test firmware reports through the UART and ends with BKPT #status
 * (sphere-rtcore --exit-on-bkpt turns that into the exit status). */
#ifndef FW_H
#define FW_H
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define UART_THR REG(0x21040000)
#define UART_LSR REG(0x21040014)
#define GPT_ISR REG(0x21030000)
#define GPT_IER REG(0x21030004)
#define GPT0_CTRL REG(0x21030010)
#define GPT0_ICNT REG(0x21030014)
#define GPT1_CTRL REG(0x21030020)
#define GPT1_ICNT REG(0x21030024)
#define GPT3_CTRL REG(0x21030050)
#define GPT3_INIT REG(0x21030054)
#define GPT3_CNT REG(0x21030058)
#define NVIC_ISER(n) REG(0xE000E100 + 4 * (n))
#define NVIC_ISPR(n) REG(0xE000E200 + 4 * (n))
#define NVIC_IPR8(n) (*(volatile uint8_t *)(0xE000E400 + (n)))
#define SCB_ICSR REG(0xE000ED04)
#define SCB_VTOR REG(0xE000ED08)
#define SCB_SHPR3 REG(0xE000ED20)
#define SCB_SHPR2 REG(0xE000ED1C)
#define SYST_CSR REG(0xE000E010)
#define SYST_RVR REG(0xE000E014)
#define SYST_CVR REG(0xE000E018)

typedef void (*vector_t)(void);
extern uint32_t stack_top;

static inline void putc_(char c)
{
    while (!(UART_LSR & 0x20)) {
    }
    UART_THR = (uint8_t)c;
}
static inline void puts_(const char *s)
{
    while (*s)
        putc_(*s++);
}
static inline void putu(uint32_t v)
{
    char b[11];
    int i = 10;
    b[i] = 0;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    puts_(b + i);
}
static inline void puthex(uint32_t v)
{
    puts_("0x");
    for (int i = 7; i >= 0; i--)
        putc_("0123456789abcdef"[(v >> (4 * i)) & 15]);
}
static inline void kv(const char *k, uint32_t v)
{
    puts_(k);
    putc_('=');
    putu(v);
    putc_('\n');
}
#define EXIT(n) __asm__ volatile("bkpt %0" ::"i"(n))

/* The vector table: 16 system entries + 100 IRQs, all defaulting to `unexpected`. */
void reset(void);
void unexpected(void);
#define VECTORS(...) \
    __attribute__((section(".vectors"), used)) const vector_t vectors[116] = { \
        [0] = (vector_t)&stack_top, [1] = reset, [2 ... 115] = unexpected, __VA_ARGS__}
#define DEFAULT_UNEXPECTED \
    void unexpected(void) { puts_("unexpected exception\n"); EXIT(99); for (;;) {} }
#endif
