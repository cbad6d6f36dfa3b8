/* SPDX-License-Identifier: MIT */
/*
 * board_state.h — internal to the board: the state of its buses and converters, shared by
 * board_periph.c (handles, the serving thread, the event ring), board_config.c (applying a board
 * layout) and board_sim.c (the /sim/ endpoints). Types only: each of those files declares its
 * functions in its own header. Every field is guarded by `lock`, except the event ring (guarded
 * by `events_lock`, so that board.c may record GPIO edges under its own lock).
 */
#ifndef OPENSPHERE_BOARD_STATE_H
#define OPENSPHERE_BOARD_STATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "board.h"
#include "board_file.h"
#include "board_wire.h"
#include "lsm6ds3.h"
#include "w25q.h"

#define BOARD_MAX_HANDLES 32
#define BOARD_EVENTS 1024
enum board_device_state { BOARD_DEVICE_OK, BOARD_DEVICE_UNPLUGGED, BOARD_DEVICE_STUCK };
enum board_isu_function { BOARD_FN_NONE, BOARD_FN_UART, BOARD_FN_I2C, BOARD_FN_SPI };
enum board_handle_kind { BOARD_H_NONE, BOARD_H_I2C, BOARD_H_SPI, BOARD_H_ADC, BOARD_H_PWM };

/* A device attached to buses (one chip may be reachable from several, as the RDB's accelerometer
 * is described on both I2C ISU2 and SPI ISU1). */
struct board_device {
    char name[BOARD_FILE_DEVICE_NAME_MAX];
    enum board_model model;
    enum board_device_state state;
    struct lsm6ds3 accel;
    struct w25q *flash;
    char image[512]; /* the flash's backing file (its path), "" = RAM */
};

struct board_isu {
    /* attachments (from the board file) */
    struct { uint8_t address; int device; } i2c[BOARD_MAX_I2C_TARGETS];
    int i2c_count;
    int spi[2];          /* device index at CS A, CS B, or -1 */
    bool has_uart;       /* a host PTY for this UART */
    bool loopback;
    int host_master;     /* the host side's PTY (what `sphere sim uart` prints), -1 = none */
    int host_slave;      /* kept open so the host side never hangs up */
    char host_path[64];
    /* use */
    enum board_isu_function function;
    struct guid owner;
    int spi_open_mask;   /* bit 0 CS A, bit 1 CS B */
    int app_master;      /* the app's UART PTY (our side), -1 when closed */
    struct board_uart_config uart;
    uint64_t tx_bytes, rx_bytes; /* app -> host, host -> app */
};

struct board_adc {
    bool present;
    int channels, bits;
    double reference, volts[BOARD_ADC_MAX_CHANNELS];
    bool open;
    struct guid owner;
};

struct board_pwm {
    bool present;
    int channels;
    struct board_wire_pwm state[BOARD_PWM_CHANNELS];
    bool open;
    struct guid owner;
};

struct board_handle {
    enum board_handle_kind kind;
    int fd;              /* our end, -1 = free */
    int index;           /* ISU or controller */
    int cs;              /* SPI: 0 = A, 1 = B */
    struct guid owner;
    uint32_t speed, timeout_ms, mode, order, polarity;
    int default_address; /* I2C, -1 = none */
    struct timespec reply_at; /* a reply held back (a stuck device's timeout), 0 = none */
    struct board_wire_reply held;
};

struct board_event_record {
    uint64_t seq;
    int64_t time_us; /* CLOCK_REALTIME */
    char kind[8];
    char source[20];
    char detail[88];
};

struct board_periph {
    pthread_mutex_t lock;
    pthread_t thread;
    int wake_fd;
    bool stop;
    char name[BOARD_FILE_NAME_MAX], hardware_definition[BOARD_FILE_HWDEF_MAX];
    struct board_device devices[BOARD_MAX_DEVICES];
    int device_count;
    struct board_isu isus[BOARD_ISUS];
    struct board_adc adcs[BOARD_ADCS];
    struct board_pwm pwms[BOARD_PWMS];
    struct board_handle handles[BOARD_MAX_HANDLES];

    /* the serving thread's buffers: a request, and the bytes read */
    uint8_t in[sizeof(struct board_wire_request) + 256 * sizeof(struct board_wire_segment) + BOARD_WIRE_MAX_DATA];
    uint8_t out[BOARD_WIRE_MAX_DATA];

    pthread_mutex_t events_lock;
    struct board_event_record events[BOARD_EVENTS];
    uint64_t next_seq; /* the seq of the next event; the first is 1 */
};

#endif
