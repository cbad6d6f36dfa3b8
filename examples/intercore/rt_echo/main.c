/* SPDX-License-Identifier: MIT */
/* main.c — rt_echo: the real-time half of the inter-core echo example. Every message a
 * high-level app sends is upper-cased and sent back to it. Talks to the mailbox and the shared
 * ring buffers directly, the way RTApps for the MT3620 do (docs/intercore.md):
 *   1. pop the setup FIFO until 0xBA5E0003: the outbound and inbound buffer descriptors;
 *   2. enable the "sent" and "consumed" interrupts (INT11);
 *   3. dequeue blocks from the inbound ring, enqueue replies on the outbound ring, notify "sent"
 *      (and "consumed" after reading). A reply that does not fit waits for "consumed".
 * A message "STATS" is answered with the counts so far. */
#include <stdbool.h>
#include <stdint.h>

#define REG(a) (*(volatile uint32_t *)(a))
#define MBOX 0x21050000u
#define MBOX_TX_PORT REG(MBOX + 0x14)
#define MBOX_RX_EN REG(MBOX + 0x18)
#define MBOX_RX_STS REG(MBOX + 0x1C)
#define MBOX_CMD_POP REG(MBOX + 0x50)
#define MBOX_DATA_POP REG(MBOX + 0x54)
#define MBOX_POP_COUNT REG(MBOX + 0x58)
#define UART_THR REG(0x21040000)
#define UART_LSR REG(0x21040014)
#define NVIC_ISER0 REG(0xE000E100)
#define NVIC_IPR(n) (*(volatile uint8_t *)(0xE000E400 + (n)))
#define MBOX_IRQ 11
#define MAX_PAYLOAD 1040

typedef struct {
    volatile uint32_t write_pos, read_pos;
    uint32_t reserved[14];
} ring_header;

typedef struct {
    uint8_t id[16];
} component_id;

static ring_header *outbound, *inbound; /* outbound: we write; inbound: the device writes */
static uint32_t ring_size;
static volatile bool wakeup;
static uint32_t echoed, waits;

extern uint32_t stack_top;

static void uart_puts(const char *s)
{
    for (; *s; s++) {
        while (!(UART_LSR & 0x20)) {
        }
        UART_THR = (uint8_t)*s;
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

static uint8_t *ring_data(ring_header *h) { return (uint8_t *)(h + 1); }

static void setup_mailbox(void)
{
    uint32_t cmd, data, out_desc = 0, in_desc = 0;
    do {
        while (MBOX_POP_COUNT == 0) {
        }
        data = MBOX_DATA_POP;
        cmd = MBOX_CMD_POP;
        if (cmd == 0xBA5E0001u)
            out_desc = data;
        else if (cmd == 0xBA5E0002u)
            in_desc = data;
    } while (cmd != 0xBA5E0003u);
    outbound = (ring_header *)(out_desc & ~0x1Fu);
    inbound = (ring_header *)(in_desc & ~0x1Fu);
    ring_size = (1u << (in_desc & 0x1F)) - sizeof(ring_header);
}

static void copy_in(uint8_t *dst, uint32_t pos, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        dst[i] = ring_data(inbound)[(pos + i) % ring_size];
}

static void copy_out(uint32_t pos, const uint8_t *src, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        ring_data(outbound)[(pos + i) % ring_size] = src[i];
}

/* One block from the inbound ring: sender ID and payload. Returns false when empty. */
static bool dequeue(component_id *from, uint8_t *payload, uint32_t *len)
{
    uint32_t remote_write = inbound->write_pos, local_read = outbound->read_pos;
    if (remote_write == local_read)
        return false;
    __asm__ volatile("dmb" ::: "memory");
    uint32_t size = *(volatile uint32_t *)(ring_data(inbound) + local_read);
    uint8_t head[20];
    copy_in(head, local_read + 4, sizeof head);
    for (int i = 0; i < 16; i++)
        from->id[i] = head[i];
    *len = size - 20;
    copy_in(payload, local_read + 24, *len);
    __asm__ volatile("dmb" ::: "memory");
    outbound->read_pos = (local_read + ((4 + size + 15) & ~15u)) % ring_size;
    return true;
}

/* Puts one block on the outbound ring. Returns false when there is no room yet. */
static bool enqueue(const component_id *to, const uint8_t *payload, uint32_t len)
{
    uint32_t remote_read = inbound->read_pos, local_write = outbound->write_pos;
    uint32_t avail = remote_read <= local_write ? remote_read + ring_size - local_write : remote_read - local_write;
    uint32_t size = 20 + len, block = (4 + size + 15) & ~15u;
    if (avail < block + 16)
        return false;
    uint8_t head[24] = {0};
    head[0] = (uint8_t)size, head[1] = (uint8_t)(size >> 8);
    for (int i = 0; i < 16; i++)
        head[4 + i] = to->id[i];
    copy_out(local_write, head, sizeof head);
    copy_out(local_write + 24, payload, len);
    __asm__ volatile("dmb" ::: "memory");
    outbound->write_pos = (local_write + block) % ring_size;
    return true;
}

static void mailbox_irq(void)
{
    MBOX_RX_STS = MBOX_RX_STS; /* acknowledge whatever happened */
    wakeup = true;
}

static void default_handler(void)
{
    uart_puts("rt_echo: unexpected exception\n");
    for (;;) {
    }
}

static void append(uint8_t *buf, uint32_t *len, const char *s)
{
    while (*s)
        buf[(*len)++] = (uint8_t)*s++;
}

static void append_u(uint8_t *buf, uint32_t *len, uint32_t v)
{
    char tmp[11], *p = tmp + sizeof tmp - 1;
    *p = '\0';
    do
        *--p = (char)('0' + v % 10);
    while (v /= 10);
    append(buf, len, p);
}

static void reset_handler(void)
{
    static uint8_t msg[MAX_PAYLOAD];
    static component_id from;
    uint32_t len = 0;
    bool holding = false; /* a reply that did not fit yet */
    setup_mailbox();
    MBOX_RX_EN = 0x3;
    NVIC_IPR(MBOX_IRQ) = 0x40;
    NVIC_ISER0 = 1u << MBOX_IRQ;
    uart_puts("rt_echo: ready, ring of ");
    uart_putu(ring_size);
    uart_puts(" bytes\n");
    for (;;) {
        wakeup = false;
        bool progress = false;
        if (holding && enqueue(&from, msg, len)) {
            holding = false;
            echoed++;
            MBOX_TX_PORT = 1; /* sent */
            progress = true;
        }
        if (!holding && dequeue(&from, msg, &len)) {
            MBOX_TX_PORT = 2; /* consumed */
            if (len == 5 && msg[0] == 'S' && msg[1] == 'T' && msg[2] == 'A' && msg[3] == 'T' && msg[4] == 'S') {
                len = 0;
                append(msg, &len, "echoed ");
                append_u(msg, &len, echoed);
                append(msg, &len, " waits ");
                append_u(msg, &len, waits);
            } else {
                for (uint32_t i = 0; i < len; i++)
                    if (msg[i] >= 'a' && msg[i] <= 'z')
                        msg[i] = (uint8_t)(msg[i] - 'a' + 'A');
            }
            holding = true;
            progress = true;
            if (!enqueue(&from, msg, len)) {
                waits++;
                continue;
            }
            holding = false;
            echoed++;
            MBOX_TX_PORT = 1;
        }
        if (!progress) {
            __asm__ volatile("cpsid i" ::: "memory");
            if (!wakeup)
                __asm__ volatile("wfi");
            __asm__ volatile("cpsie i" ::: "memory");
        }
    }
}

typedef void (*vector_t)(void);
__attribute__((section(".vectors"), used)) const vector_t vectors[16 + 100] = {
    [0] = (vector_t)&stack_top,
    [1] = reset_handler,
    [2 ... 16 + 99] = default_handler,
    [16 + MBOX_IRQ] = mailbox_irq,
};
