/* SPDX-License-Identifier: MIT */
/*
 * rtcore_cpu.h — one emulated MT3620 Cortex-M4F real-time core: Unicorn (GPLv2; only the
 * sphere-rtcore helper links this file) runs the instructions, this module does what Unicorn
 * lacks: exception entry and return, NVIC/SysTick/peripherals (rtcore_soc.h), confinement of
 * MMIO to granted blocks, the time model, WFI and faults.
 *
 * Time model (docs/rtcore.md): virtual time is counted in core cycles at 197.6 MHz.
 *   RTCORE_CLOCK_HOST          cycles = host CLOCK_MONOTONIC since start x 0.1976; WFI sleeps.
 *   RTCORE_CLOCK_INSTRUCTIONS  one executed instruction = one cycle; WFI jumps straight to the
 *                              next timer deadline. Fully deterministic.
 * Instructions are counted per executed translation block (Thumb-2 lengths decoded).
 *
 * Exceptions are taken only at translation-block boundaries and never inside an IT block.
 * Stack frames always have the FP extension (26 words, EXC_RETURN 0xFFFFFFE1/E9/ED), so FP
 * state survives any handler. Faults (undefined instruction, bad memory, MMIO outside the
 * granted blocks, an exception that cannot be stacked or vectored, BKPT without a debugger)
 * stop the core as a crash, with a reason naming the address and PC.
 *
 * Ownership: rtcore_cpu_new copies what it needs from the image; the caller keeps the ELF.
 * Functions return 0 or a negative errno unless stated.
 */
#ifndef OPENSPHERE_RTCORE_CPU_H
#define OPENSPHERE_RTCORE_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtcore_elf.h"
#include "rtcore_soc.h"

enum rtcore_clock { RTCORE_CLOCK_HOST, RTCORE_CLOCK_INSTRUCTIONS };

struct rtcore_cpu_ops {
    void *ctx;
    void (*uart_tx)(void *ctx, int isu, uint8_t byte); /* isu -1: the debug UART */
    void (*gpio_out)(void *ctx, int gpio, bool level, uint64_t cycles);
    /* The core notified the mailbox's "sent" or "consumed" port (rtcore_mbox.h). May be NULL. */
    void (*mailbox)(void *ctx, enum rtcore_mbox_event event);
    /* The core is about to sleep on the host (WFI/WFE, host clock) until its next timer
     * deadline: output held back must go now. May be NULL. */
    void (*idle)(void *ctx);
};

struct rtcore_config {
    enum rtcore_clock clock;
    bool exit_on_bkpt; /* test aid: BKPT #n stops the core with exit status n */
    bool debugger;     /* a GDB stub is attached: BKPT halts the core (RTCORE_STOP_BREAKPOINT) */
};

enum rtcore_stop {
    RTCORE_STOP_SLICE,    /* the slice ended; call again */
    RTCORE_STOP_ASLEEP,   /* WFI with no timer running and nothing pending: only an input can wake it */
    RTCORE_STOP_CRASHED,  /* see rtcore_cpu_crash_reason */
    RTCORE_STOP_EXITED,   /* BKPT with exit_on_bkpt; see rtcore_cpu_exit_status */
    RTCORE_STOP_BREAKPOINT, /* a debugger breakpoint (or BKPT with cfg.debugger): PC at it */
};

struct rtcore_cpu;

int rtcore_cpu_new(const struct rtcore_image *img, const uint8_t *elf, const bool granted[RTCORE_BLOCK_COUNT],
                   const struct rtcore_config *cfg, const struct rtcore_cpu_ops *ops, struct rtcore_cpu **out);
void rtcore_cpu_free(struct rtcore_cpu *cpu);

/* Runs until `max_instructions` more instructions have run or `max_cycles` of virtual time
 * have passed (whichever first; 0 = no limit for that one), or the core stops by itself.
 * In host-clock mode a slice also ends after about 20 ms of host time, so the caller can
 * poll its sockets. Returns the reason. */
enum rtcore_stop rtcore_cpu_run(struct rtcore_cpu *cpu, uint64_t max_instructions, uint64_t max_cycles);

const char *rtcore_cpu_crash_reason(const struct rtcore_cpu *cpu);
int rtcore_cpu_exit_status(const struct rtcore_cpu *cpu);
uint64_t rtcore_cpu_instructions(const struct rtcore_cpu *cpu);
uint64_t rtcore_cpu_cycles(struct rtcore_cpu *cpu);
uint64_t rtcore_cpu_exceptions_taken(const struct rtcore_cpu *cpu);
void rtcore_cpu_gpio_input(struct rtcore_cpu *cpu, int gpio, bool level);

/* The mailbox's shared rings (rtcore_mbox.h): push a block from the core's high-level partner
 * into the inbound ring (raising IRQ 11 if the core enabled it), pop the next block the core
 * sent. Errors as rtcore_mbox_push / rtcore_mbox_pop; after -EPROTO rtcore_cpu_mbox_error says why. */
int rtcore_cpu_mbox_push(struct rtcore_cpu *cpu, const uint8_t sender[16], const void *payload, size_t len);
int rtcore_cpu_mbox_pop(struct rtcore_cpu *cpu, uint8_t dest[16], uint8_t *payload, size_t *len);
const char *rtcore_cpu_mbox_error(const struct rtcore_cpu *cpu);

/* ---- debugging (the GDB stub, rtcore_gdb.h) ---------------------------------------------- */

#define RTCORE_CPU_MAX_BREAKPOINTS 16
/* r0-r12, sp (the current one), lr, pc (without the Thumb bit), xpsr. */
void rtcore_cpu_read_regs(struct rtcore_cpu *cpu, uint32_t regs[17]);
void rtcore_cpu_write_reg(struct rtcore_cpu *cpu, int n, uint32_t value);
/* Debugger access to [addr, addr+len): inside one memory region (flash writable too), the
 * mailbox buffers, or one granted peripheral block (word accesses where aligned, else bytes;
 * reads have the same side effects as the core's). Anything else, including blocks the
 * manifest does not grant: -EFAULT. */
int rtcore_cpu_debug_read(struct rtcore_cpu *cpu, uint32_t addr, uint8_t *buf, uint32_t len);
int rtcore_cpu_debug_write(struct rtcore_cpu *cpu, uint32_t addr, const uint8_t *buf, uint32_t len);
/* Sets or clears a breakpoint at an instruction address (setting twice is harmless). -ENOSPC
 * beyond RTCORE_CPU_MAX_BREAKPOINTS, -EFAULT outside executable memory. rtcore_cpu_run stops
 * with RTCORE_STOP_BREAKPOINT before executing a breakpointed instruction, except the one it
 * starts at. */
int rtcore_cpu_breakpoint(struct rtcore_cpu *cpu, uint32_t addr, bool set);
/* Executes one instruction (an exception may be taken first, at the block boundary). */
enum rtcore_stop rtcore_cpu_step(struct rtcore_cpu *cpu);

#endif
