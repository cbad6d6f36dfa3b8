/* SPDX-License-Identifier: MIT */
/*
 * board_sim.h — internal to the board: the simulator's /sim/ endpoints on the peripherals
 * (board_sim.c; docs/board.md lists them).
 */
#ifndef OPENSPHERE_BOARD_SIM_H
#define OPENSPHERE_BOARD_SIM_H

#include <stddef.h>

#include "board_state.h"
#include "json.h"

/* board_sim_request (board.h) on the peripherals: the same arguments, answer and errors.
 * Takes the locks it needs. */
int board_sim_answer(struct board_periph *p, const char *method, const char *path, const char *since,
                     const char *body, size_t body_len, struct json_value **out, char *why, size_t why_size);

#endif
