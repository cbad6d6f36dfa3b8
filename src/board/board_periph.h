/*
 * board_periph.h — internal to the board: the peripheral side (board_periph.c) as board.c sees
 * it. board.c owns one struct board_periph per board: it creates it with the board, destroys it
 * with the board, releases an exited app's peripherals through it and records GPIO edges in its
 * event ring. Everything here is thread-safe.
 */
#ifndef OPENSPHERE_BOARD_PERIPH_H
#define OPENSPHERE_BOARD_PERIPH_H

#include "board.h"

struct board_periph;

/* Creates the peripherals of the default board (flash in RAM) and starts their thread.
 * Returns 0, -ENOMEM or -EIO. */
int board_periph_create(struct board_periph **out);
void board_periph_destroy(struct board_periph *p);
void board_periph_release_owner(struct board_periph *p, const struct guid *owner);
/* Appends an event (kind: "gpio", "pwm", "uart", "i2c", "spi", "adc"; source: the pin or
 * interface) to the ring that GET /sim/events reads. */
void board_event(struct board_periph *p, const char *kind, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The board's peripheral side (board.c). */
struct board_periph *board_periph_of(struct board *b);

#endif
