/* SPDX-License-Identifier: MIT */
/*
 * mcu_client.h — SMP over a serial file descriptor: the mcu_updater_ops (mcu_ops.h) the OTA
 * agent uses with the fd it got from UART_Open (or any fd: a PTY, a socket pair).
 *
 * The client never blocks beyond its timeout: it polls the fd for writing and reading (a
 * non-blocking fd is fine), sends one request at a time and waits for the response with the
 * same sequence number, skipping anything else on the line (console text, stale answers).
 * list/upload/test/confirm are resent (up to `retries` times) after a timeout — they are
 * idempotent on the MCU; reset is never resent. The fd stays the caller's.
 */
#ifndef OPENSPHERE_MCU_CLIENT_H
#define OPENSPHERE_MCU_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "mcu_ops.h"
#include "smp.h"

struct mcu_smp_client {
    int fd;
    int timeout_ms; /* per request */
    int retries;
    uint8_t seq;
    struct smp_rx rx;
};

/* Sets up a client over fd: timeout_ms per answer (0: 3000), retries after a timeout (-1: 2). */
void mcu_smp_client_init(struct mcu_smp_client *c, int fd, int timeout_ms, int retries);
/* The ops; pass the struct mcu_smp_client as ctx. max_chunk is SMP_UPLOAD_CHUNK_MAX. */
extern const struct mcu_updater_ops mcu_smp_ops;

/* One SMP exchange: request (op, group, id, CBOR body) -> response body copied into rsp
 * (cap bytes). Returns the body length or a negative errno (see mcu_ops.h). */
int mcu_smp_request(struct mcu_smp_client *c, uint8_t op, uint16_t group, uint8_t id, const uint8_t *body,
                    size_t body_len, uint8_t *rsp, size_t cap, int attempts);
/* Echo (OS group): sends text, checks the MCU answers the same. */
int mcu_smp_echo(struct mcu_smp_client *c, const char *text);
/* Maps an SMP rc to a negative errno (0 for 0), as mcu_ops.h lists. */
int mcu_smp_rc_errno(int rc);

#endif
