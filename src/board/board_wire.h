/* SPDX-License-Identifier: MIT */
/*
 * board_wire.h — the protocol between libapplibs and the board on an I2C, SPI, ADC or PWM
 * handle (docs/board.md). The handle is one end of a SOCK_SEQPACKET socket pair; the board
 * serves the other end from its peripheral thread.
 *
 * app -> board: struct board_wire_request, followed by `write_len` bytes of data;
 * board -> app: struct board_wire_reply, followed by `len` bytes (the bytes read). The reply
 * echoes the request's `seq`; the app skips any message that is not the reply it waits for.
 *
 * A message without BOARD_WIRE_MAGIC at its start is a plain write() by the app: on an I2C
 * handle, a write to the default target address; on an SPI handle, a write-only frame. After a
 * plain I2C write the board queues the bytes a read at the default target address would return
 * next (BOARD_WIRE_READ_AHEAD of them, without side effects) so that a plain read() gets them.
 * Little-endian host order: both ends run on the same machine.
 */
#ifndef OPENSPHERE_BOARD_WIRE_H
#define OPENSPHERE_BOARD_WIRE_H

#include <stdint.h>

#define BOARD_WIRE_MAGIC 0x31575342u /* "BSW1" */
#define BOARD_WIRE_MAX_DATA 4096u    /* bytes written, and bytes read, per request */
#define BOARD_WIRE_READ_AHEAD 64u

enum board_wire_op {
    BOARD_WIRE_I2C_TRANSFER = 1, /* addr; write data, then read read_len bytes (either may be 0) */
    BOARD_WIRE_I2C_SPEED = 2,    /* arg = Hz */
    BOARD_WIRE_I2C_TIMEOUT = 3,  /* arg = ms */
    BOARD_WIRE_I2C_DEFAULT = 4,  /* addr */
    BOARD_WIRE_SPI_FRAME = 5,    /* data = arg segment headers, then the bytes written; replies the bytes read */
    BOARD_WIRE_SPI_SPEED = 6,    /* arg = Hz */
    BOARD_WIRE_SPI_MODE = 7,     /* arg = SPI_Mode (1..4) */
    BOARD_WIRE_SPI_ORDER = 8,    /* arg = SPI_BitOrder (1 LSB first, 2 MSB first) */
    BOARD_WIRE_ADC_BITS = 9,     /* addr = channel */
    BOARD_WIRE_ADC_REFERENCE = 10, /* addr = channel, arg = microvolts */
    BOARD_WIRE_ADC_POLL = 11,    /* addr = channel; reply value = sample */
    BOARD_WIRE_PWM_APPLY = 12,   /* addr = channel; data = struct board_wire_pwm */
};

struct board_wire_request {
    uint32_t magic;
    uint32_t seq;
    uint32_t op;
    uint32_t addr;
    uint32_t arg;
    uint32_t write_len;
    uint32_t read_len;
};

struct board_wire_reply {
    uint32_t magic;
    uint32_t seq;
    int32_t result; /* 0 or a negative errno */
    uint32_t value;
    uint32_t len;
};

/* One SPI transfer in a frame: 1 read, 2 write (SPI_TransferFlags), and its length. */
struct board_wire_segment {
    uint32_t flags;
    uint32_t length;
};

struct board_wire_pwm {
    uint32_t period_ns;
    uint32_t duty_ns;
    uint32_t polarity;
    uint32_t enabled;
};

#endif
