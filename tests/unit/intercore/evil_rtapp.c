/* SPDX-License-Identifier: MIT */
/* evil_rtapp.c — a hostile RTApp for tests/cli/test_intercore.sh (built with the rt_echo
 * project's CMake files). After the first message from its high-level app it sends a block to
 * a component ID that is not that app, then writes bogus ring positions and notifies "sent":
 * the device must drop, close the channel and carry on without reading outside the rings. */
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define MBOX 0x21050000u
#define UART_THR REG(0x21040000)
#define UART_LSR REG(0x21040014)

typedef struct {
    volatile uint32_t write_pos, read_pos;
    uint32_t reserved[14];
} ring_header;

extern uint32_t stack_top;

static void uart_puts(const char *s)
{
    for (; *s; s++) {
        while (!(UART_LSR & 0x20)) {
        }
        UART_THR = (uint8_t)*s;
    }
}

static void default_handler(void)
{
    for (;;) {
    }
}

static void reset_handler(void)
{
    uint32_t cmd, data, out_desc = 0, in_desc = 0;
    do {
        while (REG(MBOX + 0x58) == 0) {
        }
        data = REG(MBOX + 0x54);
        cmd = REG(MBOX + 0x50);
        if (cmd == 0xBA5E0001u)
            out_desc = data;
        else if (cmd == 0xBA5E0002u)
            in_desc = data;
    } while (cmd != 0xBA5E0003u);
    ring_header *out = (ring_header *)(out_desc & ~0x1Fu), *in = (ring_header *)(in_desc & ~0x1Fu);
    uart_puts("evil: waiting\n");
    while (in->write_pos == 0) {
    }
    /* 1. a well-formed block to someone else */
    uint8_t *d = (uint8_t *)(out + 1);
    *(volatile uint32_t *)d = 20 + 4;
    for (int i = 0; i < 16; i++)
        d[4 + i] = 0xEE;
    d[24] = 'e', d[25] = 'v', d[26] = 'i', d[27] = 'l';
    out->write_pos = 32;
    REG(MBOX + 0x14) = 1;
    /* 2. a block claiming 64 KiB, then a write position far outside the ring */
    *(volatile uint32_t *)(d + 32) = 0x10000;
    out->write_pos = 64;
    REG(MBOX + 0x14) = 1;
    out->write_pos = 0x7FFFFFF0u;
    out->read_pos = 0xFFFFFFF0u;
    REG(MBOX + 0x14) = 1;
    REG(MBOX + 0x14) = 2;
    uart_puts("evil: done\n");
    for (;;)
        __asm__ volatile("wfi");
}

typedef void (*vector_t)(void);
__attribute__((section(".vectors"), used)) const vector_t vectors[16 + 100] = {
    [0] = (vector_t)&stack_top,
    [1] = reset_handler,
    [2 ... 16 + 99] = default_handler,
};
