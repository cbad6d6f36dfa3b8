/* SPDX-License-Identifier: MIT */
/* main.c — hello RTApp: greets on the debug UART (the app's log) and on the ISU0 UART its
 * manifest grants, then counts seconds with SysTick. */
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define DEBUG_UART 0x21040000u
#define ISU0_UART 0x38070000u
#define UART_THR 0x00
#define UART_LSR 0x14
#define SYST_CSR REG(0xE000E010)
#define SYST_RVR REG(0xE000E014)
#define SYST_CVR REG(0xE000E018)
#define CORE_HZ 197600000u

extern uint32_t stack_top;
static volatile uint32_t ticks;

static void uart_puts(uint32_t uart, const char *s)
{
    for (; *s; s++) {
        while (!(REG(uart + UART_LSR) & 0x20)) {
        }
        REG(uart + UART_THR) = (uint8_t)*s;
    }
}

static void systick_handler(void) { ticks++; }

static void default_handler(void)
{
    uart_puts(DEBUG_UART, "unexpected exception\n");
    for (;;) {
    }
}

static void reset_handler(void)
{
    uart_puts(DEBUG_UART, "Hello from an OpenSphere real-time core!\n");
    uart_puts(ISU0_UART, "hello, ISU0\n");
    SYST_RVR = CORE_HZ / 100 - 1; /* 10 ms */
    SYST_CVR = 0;
    SYST_CSR = 7;
    char line[] = "uptime 0 s\n";
    for (uint32_t shown = 0;;) {
        __asm__ volatile("wfi");
        if (ticks / 100 != shown && ticks / 100 < 10) {
            shown = ticks / 100;
            line[7] = (char)('0' + shown);
            uart_puts(DEBUG_UART, line);
        }
    }
}

typedef void (*vector_t)(void);
__attribute__((section(".vectors"), used)) const vector_t vectors[16 + 100] = {
    [0] = (vector_t)&stack_top,
    [1] = reset_handler,
    [2 ... 16 + 99] = default_handler,
    [15] = systick_handler,
};
