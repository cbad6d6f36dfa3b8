/* SPDX-License-Identifier: MIT */
/*
 * board_file.h — board files (docs/board.md, "Board files"): text in, a board layout out.
 *
 * board_file_parse is pure: it reads only the bytes it is given, touches no file, socket or
 * global, and allocates nothing the caller must free (the layout is a fixed-size value). What a
 * layout means — flash images opened, host pseudo-terminals created — is the peripherals' job
 * (board_config.h applies a layout).
 *
 * Every problem is reported at once, as the manifest validator does (core/diag.h): the file name
 * given, the 1-based line and column of the value (or key) at fault, its JSON path such as
 * "I2cMaster.ISU2[0].Address", and the reason. The rules, with their paths:
 *   (root)             a JSON object; Name and HardwareDefinition strings (longer ones are cut
 *                      to BOARD_FILE_NAME_MAX - 1 and BOARD_FILE_HWDEF_MAX - 1 bytes)
 *   Devices, Uart, I2cMaster, SpiMaster, Adc, Pwm   objects when present
 *   Devices.NAME       at most BOARD_MAX_DEVICES, NAME at most 31 bytes;
 *   Devices.NAME.Model "lsm6ds3" or "w25q128jv";
 *   Devices.NAME.Image (w25q128jv, optional; not a string = absent) a plain file name: no '/',
 *                      not starting with '.', shorter than BOARD_FILE_IMAGE_MAX
 *   Uart.ISUn          ISU0-ISU4; Loopback true makes TX feed RX (anything else: false)
 *   I2cMaster.ISUn     ISU0-ISU4, an array of at most BOARD_MAX_I2C_TARGETS targets;
 *     [i].Address      an integer 8-119;  [i].Device  the name of an lsm6ds3 in Devices
 *   SpiMaster.ISUn     ISU0-ISU4, an object;  .A / .B  the name of a device in Devices
 *   Adc.ADC-CONTROLLER-0   Channels 1-8, Bits 8-16 (integers), ReferenceVolts a number > 0
 *   Pwm.PWM-CONTROLLER-0..2   Channels 1-4 (an integer)
 * Unknown fields are ignored, and so are duplicate keys (the first one counts for Name and
 * HardwareDefinition; every one for the members of the sections), as they always were.
 */
#ifndef OPENSPHERE_BOARD_FILE_H
#define OPENSPHERE_BOARD_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define BOARD_ISUS 5
#define BOARD_ADCS 1
#define BOARD_PWMS 3
#define BOARD_PWM_CHANNELS 4
#define BOARD_ADC_MAX_CHANNELS 8
#define BOARD_MAX_DEVICES 8
#define BOARD_MAX_I2C_TARGETS 8
#define BOARD_FILE_NAME_MAX 64
#define BOARD_FILE_HWDEF_MAX 128
#define BOARD_FILE_DEVICE_NAME_MAX 32
#define BOARD_FILE_IMAGE_MAX 256

enum board_model { BOARD_MODEL_LSM6DS3, BOARD_MODEL_W25Q };

struct board_file_device {
    char name[BOARD_FILE_DEVICE_NAME_MAX];
    enum board_model model;
    char image[BOARD_FILE_IMAGE_MAX]; /* W25Q: its backing file's name in the device's folder; "" = RAM */
};

struct board_file_isu {
    bool uart;     /* a UART with a host pseudo-terminal */
    bool loopback;
    struct { uint8_t address; int device; } i2c[BOARD_MAX_I2C_TARGETS]; /* device: index in devices[] */
    int i2c_count;
    int spi[2];    /* the device index at chip select A and B, or -1 */
};

struct board_file_adc {
    bool present;
    int channels, bits;
    double reference; /* volts */
};

struct board_file_pwm {
    bool present;
    int channels;
};

struct board_layout {
    char name[BOARD_FILE_NAME_MAX];
    char hardware_definition[BOARD_FILE_HWDEF_MAX];
    struct board_file_device devices[BOARD_MAX_DEVICES];
    int device_count;
    struct board_file_isu isus[BOARD_ISUS];
    struct board_file_adc adcs[BOARD_ADCS];
    struct board_file_pwm pwms[BOARD_PWMS];
};

/* The default board's file (mt3620_rdb, flash image "flash-isu1-csb.bin"), NUL-terminated. */
extern const char board_file_default[];

/* Parses `len` bytes of `text` (need not be NUL-terminated) into *out. `file` names the input in
 * the diagnostics (may be NULL). Returns 0 (*out is the layout; `diags` unchanged), -EINVAL
 * (every problem appended to `diags` as an error; *out is cleared) or -ENOMEM (*out cleared; a
 * diagnostic may be missing). `diags` is the caller's and may already hold entries. */
int board_file_parse(const char *text, size_t len, const char *file, struct board_layout *out,
                     struct diag_list *diags);

/* Index of "ISU<n>" (n < BOARD_ISUS), or -1; NULL gives -1. */
int board_isu_index(const char *name);
/* Index of `prefix` followed by one digit below `count` ("ADC-CONTROLLER-0"), or -1. */
int board_controller_index(const char *prefix, const char *name, int count);

#endif
