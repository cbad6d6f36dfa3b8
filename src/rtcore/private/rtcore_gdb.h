/* SPDX-License-Identifier: MIT */
/*
 * rtcore_gdb.h — the GDB remote serial protocol for one emulated core, as a pure state machine:
 * bytes from the debugger go in (rtcore_gdb_feed), replies come out through ops.send, and the
 * target is reached only through the callbacks in struct rtcore_gdb_target. No sockets, no
 * emulator: the helper (main.c) owns the connection and runs the core; this module frames,
 * checks and answers packets (docs/rtcore.md, "GDB stub").
 *
 * Registers (the order of g/G and the numbers of p/P): r0-r12, sp, lr, pc, xpsr (17 words,
 * target byte order). qXfer:features:read:target.xml describes them as an M-profile core.
 * Packets: qSupported ? g G p P m M Z0/z0 Z1/z1 c s vCont? vCont;c vCont;s k D H qAttached qC
 * qfThreadInfo qsThreadInfo T qXfer:features:read; everything else gets the empty reply
 * ("not supported"). A packet with a bad checksum is answered '-' (retransmit); a malformed
 * one with E01, a memory error with E02 (unmapped or not granted) and breakpoint exhaustion
 * with E03. 0x03 outside a packet asks to interrupt a running core.
 */
#ifndef OPENSPHERE_RTCORE_GDB_H
#define OPENSPHERE_RTCORE_GDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTCORE_GDB_REGS 17
#define RTCORE_GDB_MAX_PACKET 4096 /* announced as PacketSize; longer packets are refused */
#define RTCORE_GDB_MAX_MEM 2048    /* bytes per m/M packet */

struct rtcore_gdb_target {
    void *ctx;
    void (*read_regs)(void *ctx, uint32_t regs[RTCORE_GDB_REGS]);
    void (*write_reg)(void *ctx, int n, uint32_t value);
    /* 0, or -EFAULT when any byte of the range is not readable/writable by the debugger. */
    int (*read_mem)(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len);
    int (*write_mem)(void *ctx, uint32_t addr, const uint8_t *buf, uint32_t len);
    /* 0; -ENOSPC when no breakpoint is left; -EFAULT for an address outside executable memory. */
    int (*breakpoint)(void *ctx, uint32_t addr, bool set);
    /* Everything the stub sends (acks and packets). */
    void (*send)(void *ctx, const char *bytes, size_t len);
};

/* What the helper must do after a call to rtcore_gdb_feed. */
enum rtcore_gdb_action {
    RTCORE_GDB_NONE,
    RTCORE_GDB_CONTINUE,  /* run until a breakpoint, a fault or an interrupt; then rtcore_gdb_stopped */
    RTCORE_GDB_STEP,      /* run one instruction; then rtcore_gdb_stopped */
    RTCORE_GDB_INTERRUPT, /* 0x03 while running: halt, then rtcore_gdb_stopped(.., 2) */
    RTCORE_GDB_DETACH,    /* 'D': already answered OK; close the connection, the core runs on */
    RTCORE_GDB_KILL,      /* 'k': stop the core for good */
};

struct rtcore_gdb {
    struct rtcore_gdb_target t;
    char pkt[RTCORE_GDB_MAX_PACKET + 4];
    size_t len;
    enum { GDB_IDLE, GDB_DATA, GDB_SUM1, GDB_SUM2 } st;
    bool overflow;
    uint8_t sum, got_sum;
    bool running; /* between CONTINUE/STEP and rtcore_gdb_stopped */
    uint64_t packets, bad_checksums;
};

void rtcore_gdb_init(struct rtcore_gdb *g, const struct rtcore_gdb_target *t);
/* Consumes len bytes and answers complete packets. Processing stops at the first packet that
 * resumes the core (or kills/detaches it); *used says how many bytes were consumed (the rest
 * must be fed again after rtcore_gdb_stopped). */
enum rtcore_gdb_action rtcore_gdb_feed(struct rtcore_gdb *g, const uint8_t *bytes, size_t len, size_t *used);
/* The core halted after CONTINUE/STEP/INTERRUPT: sends the stop reply T<signal>, with the PC.
 * signal 5 (SIGTRAP) breakpoint or step, 2 (SIGINT) interrupted, 11 (SIGSEGV) fault. */
void rtcore_gdb_stopped(struct rtcore_gdb *g, int signal);
/* The core ended for good while the debugger was attached: W<status> (exited) or X<signal>. */
void rtcore_gdb_ended(struct rtcore_gdb *g, bool exited, int code);

#endif
