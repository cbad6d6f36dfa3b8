/* SPDX-License-Identifier: MIT */
/*
 * board_config.h — internal to the board: applying a board layout (board_file.h) to the
 * peripherals (board_config.c). This is where a layout meets the host: W25Q flash images are
 * opened (or created) in the device's folder and host pseudo-terminals are made for the UARTs.
 */
#ifndef OPENSPHERE_BOARD_CONFIG_H
#define OPENSPHERE_BOARD_CONFIG_H

#include <stddef.h>

#include "board_file.h"
#include "board_state.h"

/* Replaces the board's configuration with `layout`: releases every handle and attachment, then
 * creates the devices (flash images inside `state_dir`; NULL keeps every flash in RAM), UARTs
 * and converters. Takes p->lock itself and wakes the serving thread. Returns 0, or the negative
 * errno of a failing flash image or pseudo-terminal with `why` naming the field at fault; on
 * failure the board is left empty. */
int board_config_apply(struct board_periph *p, const struct board_layout *layout, const char *state_dir, char *why,
                       size_t why_size);

#endif
