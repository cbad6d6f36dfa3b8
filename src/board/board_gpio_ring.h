/* SPDX-License-Identifier: MIT */
/*
 * board_gpio_ring.h — the shared page between libapplibs and the board behind a GPIO output
 * (docs/board.md, "GPIO set ring"): GPIO_SetValue appends the value to this ring instead of
 * sending a message on the line's socket, and rings the socket ('W') only when the board's
 * thread said it is about to sleep. Same machine, same byte order.
 *
 * How the app gets it: on an output line's socket it sends {'M', 0}; the board replies with one
 * byte (1 = here it is, 0 = no ring for this line) carrying, when 1, a sealed memfd (fixed size
 * BOARD_GPIO_RING_BYTES: no shrink, no grow) as SCM_RIGHTS. The app maps it read-write, never
 * executable, and closes the descriptor.
 *
 * The protocol (C11 atomics on the page):
 *   app:   values[tail % N] = v; tail += 1 (release); seq_cst fence;
 *          if exchange(board_waiting, 0) == 1: send {'W', 0} on the socket (a doorbell).
 *          When tail - head == N (full), it first sends {'G', 0} and waits for the level: the
 *          board empties the ring before it answers any 'G'.
 *   board: applies values[head % N] for head up to tail (acquire), in order, then publishes
 *          head; before it sleeps: board_waiting = 1; seq_cst fence; re-reads tail.
 *   The board also empties the ring before it answers a 'G' on the socket and before anyone on
 *   the device reads the line (board_gpio_get, board_gpio_changes), so every reader sees the
 *   sets made before it in order. When the line closes the board sets `closed`.
 * The board trusts nothing on the page: its own copy of `head` is what counts, at most N values
 * are taken per pass, any non-zero byte is high.
 */
#ifndef OPENSPHERE_BOARD_GPIO_RING_H
#define OPENSPHERE_BOARD_GPIO_RING_H

#include <stdatomic.h>
#include <stdint.h>

#define BOARD_GPIO_RING_BYTES 4096u
#define BOARD_GPIO_RING_SLOTS 2048u /* a power of two */

struct board_gpio_ring {
    _Atomic uint32_t tail;          /* written by the app */
    _Atomic uint32_t head;          /* written by the board */
    _Atomic uint32_t board_waiting; /* 1: the board will sleep; the next set rings the socket */
    _Atomic uint32_t closed;        /* 1: the line is closed, sets fail with EBADF */
    uint8_t pad[64 - 4 * sizeof(uint32_t)];
    uint8_t values[BOARD_GPIO_RING_SLOTS];
};

_Static_assert(sizeof(struct board_gpio_ring) <= BOARD_GPIO_RING_BYTES, "the ring fits its page");

#endif
