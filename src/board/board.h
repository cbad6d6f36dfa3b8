/*
 * board.h — the simulated board's GPIO lines (more peripherals arrive with the board issue).
 *
 * 128 lines, numbered as the MT3620's GPIOs. Each line has a level, a direction and an owner
 * (the component ID of the app that opened it, one at a time). Inputs float high (buttons on
 * the RDB are active-low); `board_press` holds a line low for a while; outputs report every
 * change to the board's change log (what `sphere sim gpio`/`watch` read).
 *
 * An opened line is a SOCK_SEQPACKET socket pair: the app's end goes to the app (through the
 * broker), the board keeps the other and serves it from its own thread:
 *   app -> board: 2 bytes {op, value}: op 'S' set (no reply), op 'G' get (reply: 1 byte level)
 * Closing the app's end releases the line. All functions are thread-safe.
 */
#ifndef OPENSPHERE_BOARD_H
#define OPENSPHERE_BOARD_H

#include <stdbool.h>
#include <stdint.h>

#include "guid.h"

#define BOARD_GPIO_COUNT 128

enum board_direction { BOARD_UNUSED, BOARD_INPUT, BOARD_OUTPUT };

struct board;

int board_create(struct board **out);
void board_destroy(struct board *b);

/* Opens line `n` for `owner`: returns the app's end of a new socket pair (>= 0) or
 * -ENODEV (no such line), -EBUSY (already open). Outputs start at `initial`. */
int board_gpio_open(struct board *b, int n, enum board_direction dir, int initial, const struct guid *owner);
/* Reads a line's level and direction. -ENODEV for a bad number. */
int board_gpio_get(struct board *b, int n, int *level, enum board_direction *dir);
/* Drives an input line from outside (the simulator's user): -ENODEV, or -EPERM for an output. */
int board_gpio_set_input(struct board *b, int n, int level);
/* Holds an input low for `ms` milliseconds, then releases it high. */
int board_gpio_press(struct board *b, int n, unsigned ms);
/* Releases every line an app holds (it exited). */
void board_release_owner(struct board *b, const struct guid *owner);
/* Number of changes of line n since the board started (for tests and `sim watch`). */
uint64_t board_gpio_changes(struct board *b, int n);

#endif
