/* SPDX-License-Identifier: MIT */
/*
 * rtcore_soc.h — the MT3620 peripherals one real-time core sees, as pure state machines over a
 * virtual clock counted in core cycles (197.6 MHz). No emulator, no I/O: the CPU side
 * (rtcore_cpu.h) forwards MMIO accesses here and asks for the next timer deadline; output
 * leaves through the callbacks in struct rtcore_soc_ops.
 *
 * Blocks (docs/rtcore.md has the register tables; "assumed" there marks our own reading):
 *   SCS 0xE000E000     SysTick, NVIC (ISER/ICER/ISPR/ICPR/IABR/IPR/STIR), SCB (ICSR, VTOR,
 *                      AIRCR, SHPR1-3, CPACR...); other SCS words read back what was written.
 *   GPT 0x21030000     GPT0/GPT1 down-counting interrupt timers (1 kHz or 32.768 kHz, one-shot
 *                      or repeat) raising IRQ 1; GPT3 free-running 1 MHz counter.
 *   UART 0x21040000    the debug UART (16550-style): THR bytes are the RTApp's log.
 *   MBOX 0x21050000    the inter-core mailbox (rtcore_mbox.h): setup FIFO, interrupt enable/status
 *                      raising IRQ 11, the "sent"/"consumed" port (reported through ops.mailbox).
 *   GRP0-5 0x38010000+0x10000k   GPIO 4k..4k+3 (+ PWM registers), ISU0-4 0x38070000+0x10000k
 *                      (UART registers; GPIO window at +0x8000), ADC 0x38000000, I2S0-1 0x380D0000+.
 * Each block is either granted (the manifest lists it; the core-private blocks always are) or
 * not; the CPU side maps only granted blocks, so any other access faults.
 *
 * Access functions take an offset inside the block and a size of 1, 2 or 4 bytes.
 */
#ifndef OPENSPHERE_RTCORE_SOC_H
#define OPENSPHERE_RTCORE_SOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtcore_mbox.h"
#include "rtcore_nvic.h"

#define RTCORE_HZ 197600000u
#define RTCORE_GPT_IRQ 1

enum rtcore_block_kind { RTCORE_BLK_SCS, RTCORE_BLK_GPT, RTCORE_BLK_DEBUG_UART, RTCORE_BLK_MAILBOX,
                         RTCORE_BLK_GRP, RTCORE_BLK_ISU, RTCORE_BLK_ADC, RTCORE_BLK_I2S };

struct rtcore_block_info {
    const char *name;     /* "ISU0" */
    uint32_t base, size;
    enum rtcore_block_kind kind;
    int index;            /* k of GRPk/ISUk/I2Sk */
    const char *grant;    /* which manifest entry grants it, for messages; NULL: always granted */
    int first_gpio, gpio_count;
};

#define RTCORE_BLOCK_COUNT 18
extern const struct rtcore_block_info rtcore_blocks[RTCORE_BLOCK_COUNT];
/* The block containing addr, or -1. */
int rtcore_block_at(uint32_t addr);
/* The block holding GPIO pin `gpio`, or -1. */
int rtcore_block_of_gpio(int gpio);

struct rtcore_soc_ops {
    void *ctx;
    void (*debug_uart_tx)(void *ctx, uint8_t byte);
    void (*isu_uart_tx)(void *ctx, int isu, uint8_t byte);
    void (*gpio_out)(void *ctx, int gpio, bool level);
    /* AIRCR.SYSRESETREQ was written. */
    void (*reset_request)(void *ctx);
    /* The core wrote SW_TX_INT_PORT: RTCORE_MBOX_SENT or RTCORE_MBOX_CONSUMED. May be NULL. */
    void (*mailbox)(void *ctx, enum rtcore_mbox_event event);
};

struct rtcore_timer {
    uint32_t ctrl, icnt;
    uint64_t start;   /* cycle count when it was (re)started */
    uint64_t fires;   /* expiries since start */
    uint64_t deadline;/* UINT64_MAX when not running */
};

#define RTCORE_STORE_WORDS 256 /* generic read-back store: offsets 0x000-0x3FF of each block */

struct rtcore_soc {
    struct rtcore_soc_ops ops;
    struct rtcore_nvic nvic;
    bool granted[RTCORE_BLOCK_COUNT];
    uint64_t now; /* cycles; the CPU side advances it with rtcore_soc_advance */
    uint32_t vectactive; /* IPSR, kept current by the CPU side (ICSR.VECTACTIVE) */
    /* SCS */
    uint32_t vtor, aircr_prigroup, scr, ccr, cpacr, shcsr, cfsr, hfsr;
    uint32_t systick_csr, systick_rvr;
    uint64_t systick_start, systick_deadline; /* deadline: next wrap, UINT64_MAX when off */
    uint32_t systick_load;                    /* value counted down from at systick_start */
    uint32_t scs_store[1024];
    /* GPT */
    uint32_t gpt_isr, gpt_ier;
    struct rtcore_timer gpt[2];
    uint32_t gpt3_ctrl, gpt3_init, gpt3_frozen;
    uint64_t gpt3_start;
    /* GPIO: one bit per pin, indexed by GPIO number (0..95) */
    uint64_t dout[2], oe[2], din[2];
    struct rtcore_mbox mbox;
    /* generic stores per block */
    uint32_t store[RTCORE_BLOCK_COUNT][RTCORE_STORE_WORDS];
};

/* Resets every peripheral; grants only the core-private blocks. `vtor` is the boot VTOR. */
void rtcore_soc_init(struct rtcore_soc *soc, const struct rtcore_soc_ops *ops, uint32_t vtor);
uint32_t rtcore_soc_read(struct rtcore_soc *soc, int block, uint32_t offset, unsigned size);
void rtcore_soc_write(struct rtcore_soc *soc, int block, uint32_t offset, unsigned size, uint32_t value);
/* Moves the clock to `now` (never backwards) and fires every timer due by then. */
void rtcore_soc_advance(struct rtcore_soc *soc, uint64_t now);
/* The earliest cycle at which a timer fires, or UINT64_MAX. */
uint64_t rtcore_soc_next_deadline(const struct rtcore_soc *soc);
/* An input level on a GPIO line (from the board); ignored for pins driven as outputs. */
void rtcore_soc_gpio_input(struct rtcore_soc *soc, int gpio, bool level);
/* Re-pends level-triggered interrupt lines that are still asserted (after an exception return). */
void rtcore_soc_update_irqs(struct rtcore_soc *soc);

#endif
