/* SPDX-License-Identifier: MIT */
/*
 * board_periph.h — internal to the board: its buses and converters (board_periph.c). board.c
 * owns one struct board_periph per board: it creates it with the board (empty: no device, bus or
 * converter until a layout is applied, board_config.h), destroys it with the board, opens
 * handles through it for the apps, releases an exited app's peripherals and records GPIO edges
 * in its event ring. Functions that take the lock themselves say "thread-safe"; the others
 * expect the caller to hold p->lock (board_state.h).
 */
#ifndef OPENSPHERE_BOARD_PERIPH_H
#define OPENSPHERE_BOARD_PERIPH_H

#include "board.h"
#include "board_state.h"

/* Creates an empty board's peripherals and starts their thread. Returns 0, -ENOMEM or -EIO. */
int board_periph_create(struct board_periph **out);
/* Stops the thread, closes every handle and attachment and frees p (NULL is ignored). */
void board_periph_destroy(struct board_periph *p);
/* Releases every handle and UART `owner` holds. Thread-safe. */
void board_periph_release_owner(struct board_periph *p, const struct guid *owner);
/* Wakes the serving thread to poll the current set of descriptors. Thread-safe. */
void board_periph_wake(struct board_periph *p);
/* Closes every handle and attachment, leaving an empty board (lock held). */
void board_periph_clear(struct board_periph *p);
/* Opens the host side of a UART (a raw PTY at 115200 8N1): 0 or a negative errno (lock held). */
int board_periph_open_host_pty(struct board_isu *u);

/* Appends an event (kind: "gpio", "pwm", "uart", "i2c", "spi", "adc"; source: the pin or
 * interface) to the ring that GET /sim/events reads. Thread-safe; p NULL is ignored. */
void board_event(struct board_periph *p, const char *kind, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The opens of board.h (same arguments, results and errors), on the peripherals. Thread-safe. */
int board_periph_uart_open(struct board_periph *p, const char *isu, const struct board_uart_config *cfg,
                           const struct guid *owner);
int board_periph_i2c_open(struct board_periph *p, const char *isu, const struct guid *owner);
int board_periph_spi_open(struct board_periph *p, const char *isu, int cs, int polarity, const struct guid *owner);
int board_periph_adc_open(struct board_periph *p, const char *controller, const struct guid *owner);
int board_periph_pwm_open(struct board_periph *p, const char *controller, const struct guid *owner);

#endif
