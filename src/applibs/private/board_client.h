/* SPDX-License-Identifier: MIT */
/* board_client.h — libapplibs' side of the board's handle protocol (src/board/board_wire.h),
 * shared by uart.c, i2c.c, spi.c, adc.c and pwm.c. Internal to libapplibs. */
#ifndef OPENSPHERE_APPLIBS_BOARD_CLIENT_H
#define OPENSPHERE_APPLIBS_BOARD_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "board_wire.h"

/* Sends one request on handle `fd` — `op`, `addr`, `arg`, the data in `out` (count iovecs) —
 * and waits for its reply, whose data (up to the sum of `in`'s lengths) is scattered into `in`.
 * Returns the number of bytes read (>= 0) and *value, or a negative errno: the board's answer,
 * -EBADF for a descriptor that is not a board handle, -ETIMEDOUT when no reply comes in 30 s. */
int board_client_call(int fd, uint32_t op, uint32_t addr, uint32_t arg, const struct iovec *out, int out_count,
                      const struct iovec *in, int in_count, uint32_t *value);
/* board_client_call for a request without data: returns 0 or a negative errno. */
int board_client_simple(int fd, uint32_t op, uint32_t addr, uint32_t arg, uint32_t *value);
/* Opens a board handle through the broker: the descriptor, or -1 with errno. */
int board_client_open(uint32_t op, int a, int b, int c);

#endif
