/* SPDX-License-Identifier: MIT */
/*
 * board.h — the simulated board: its GPIO lines, its buses and converters with the device models
 * behind them, its board file and the simulator's endpoints (docs/board.md). board.c implements
 * every function here.
 *
 * 128 GPIO lines, numbered as the MT3620's GPIOs. Each line has a level, a direction and an owner
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

#include <stddef.h>

#include "guid.h"
#include "json.h"

#define BOARD_GPIO_COUNT 128

enum board_direction { BOARD_UNUSED, BOARD_INPUT, BOARD_OUTPUT };

struct board;

int board_create(struct board **out);
void board_destroy(struct board *b);

/* Opens line `n` for `owner`: returns the app's end of a new socket pair (>= 0) or
 * -ENODEV (no such line), -EBUSY (already open). Outputs start at `initial` and come with a
 * set ring for the app ('M', board_gpio_ring.h). */
int board_gpio_open(struct board *b, int n, enum board_direction dir, int initial, const struct guid *owner);
/* The same for an output driven only through its socket ('S'): an RTApp's line, mirrored by
 * the runtime from the emulated core. No set ring ('M' answers 0), so no page is spent on it. */
int board_gpio_open_mirror(struct board *b, int n, int initial, const struct guid *owner);
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

/* ---- the board's buses and converters (docs/board.md) --------------------------------------
 * The board starts as the default mt3620_rdb board (flash in RAM); board_load configures it
 * from a board file. Peripherals are named by their raw manifest values ("ISU0",
 * "ADC-CONTROLLER-0", "PWM-CONTROLLER-2"); each is held by one app at a time (an ISU by one
 * function: UART, I2C or SPI). Opens return the app's end of its handle (>= 0) or -ENODEV (the
 * board has no such peripheral), -EBUSY (held), -EINVAL (a bad setting), -EIO (no descriptors). */

struct board_uart_config {
    uint32_t baud;
    uint8_t data_bits, parity, stop_bits, flow_control; /* the UART_Config values */
};

/* Configures the board from <state_dir>/board.json, or the default board when that file does not
 * exist, with file-backed flash images inside state_dir. Call before apps run. Returns 0, or
 * -EINVAL with `why` naming the first problem ("PATH: reason (line L, column C)", then how many
 * more), or the errno of a failing file operation (`why` names the file or field). */
int board_load(struct board *b, const char *state_dir, char *why, size_t why_size);
/* Checks a board file's text without applying it (for `sphere sim create --board`): 0, or
 * -EINVAL with `why` as for board_load, or -ENOMEM. Touches nothing outside its arguments. */
int board_check_file(const char *text, size_t len, char *why, size_t why_size);

/* A UART: the app's end of a raw pseudo-terminal, set to `cfg`. */
int board_uart_open(struct board *b, const char *isu, const struct board_uart_config *cfg, const struct guid *owner);
/* An I2C master, SPI master (cs: -1 = A, -2 = B; polarity: 1 active low, 2 active high), ADC or
 * PWM controller: a socket speaking board_wire.h. */
int board_i2c_open(struct board *b, const char *isu, const struct guid *owner);
int board_spi_open(struct board *b, const char *isu, int cs, int polarity, const struct guid *owner);
int board_adc_open(struct board *b, const char *controller, const struct guid *owner);
int board_pwm_open(struct board *b, const char *controller, const struct guid *owner);

/* The simulator's endpoints below /sim/ (docs/board.md): uart, adc, accel, pwm, devices, board,
 * events. `path` is the part after "/sim/", `since` the query's since= (or NULL), `body` the
 * request body. Returns 0 and a JSON answer in *out (the caller frees it), or -ENOENT (no such
 * endpoint or peripheral), -EINVAL (a bad body or value: `why` says which), -EPERM. */
int board_sim_request(struct board *b, const char *method, const char *path, const char *since, const char *body,
                      size_t body_len, struct json_value **out, char *why, size_t why_size);

#endif
