/* SPDX-License-Identifier: MIT */
/* main.c — blinky RTApp: GPT0 interrupts every 250 ms toggle GPIO 8 (LED1 red on the MT3620
 * RDB); the core sleeps in WFI in between and reports each toggle on the debug UART. */
#include <stdbool.h>
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define DEBUG_UART_THR REG(0x21040000)
#define DEBUG_UART_LSR REG(0x21040014)
#define GPT_ISR REG(0x21030000)
#define GPT_IER REG(0x21030004)
#define GPT0_CTRL REG(0x21030010)
#define GPT0_ICNT REG(0x21030014)
#define GRP2_DOUT_SET REG(0x38030008) /* GPIO 8-11 block: pin 0 is GPIO 8 */
#define GRP2_DOUT_RESET REG(0x3803000C)
#define GRP2_OE_SET REG(0x38030014)
#define NVIC_ISER0 REG(0xE000E100)
#define NVIC_IPR(n) (*(volatile uint8_t *)(0xE000E400 + (n)))
#define GPT_IRQ 1
#define BLINK_MS 250

extern uint32_t stack_top;
static volatile uint32_t toggles;

static void uart_puts(const char *s)
{
    for (; *s; s++) {
        while (!(DEBUG_UART_LSR & 0x20)) {
        }
        DEBUG_UART_THR = (uint8_t)*s;
    }
}

static void uart_putu(uint32_t v)
{
    char buf[11], *p = buf + sizeof buf - 1;
    *p = '\0';
    do
        *--p = (char)('0' + v % 10);
    while (v /= 10);
    uart_puts(p);
}

static void gpt_handler(void)
{
    GPT_ISR = 1; /* acknowledge GPT0 */
    bool on = (++toggles & 1) != 0;
    if (on)
        GRP2_DOUT_SET = 1;
    else
        GRP2_DOUT_RESET = 1;
    uart_puts(on ? "LED on, toggle " : "LED off, toggle ");
    uart_putu(toggles);
    uart_puts("\n");
}

static void default_handler(void)
{
    uart_puts("unexpected exception\n");
    for (;;) {
    }
}

static void reset_handler(void)
{
    uart_puts("blinky: GPIO 8 every " "250" " ms from GPT0\n");
    GRP2_OE_SET = 1;
    NVIC_IPR(GPT_IRQ) = 0x40;
    NVIC_ISER0 = 1u << GPT_IRQ;
    GPT_IER = 1;
    GPT0_ICNT = BLINK_MS;
    GPT0_CTRL = 1 | 2 | 4; /* enable, auto-repeat, 1 kHz clock */
    for (;;)
        __asm__ volatile("wfi");
}

typedef void (*vector_t)(void);
__attribute__((section(".vectors"), used)) const vector_t vectors[16 + 100] = {
    [0] = (vector_t)&stack_top,
    [1] = reset_handler,
    [2 ... 16 + 99] = default_handler,
    [16 + GPT_IRQ] = gpt_handler,
};
