/* SPDX-License-Identifier: MIT */
/*
 * lsm6ds3.h — a register-level model of an LSM6DS3-class accelerometer/gyroscope, as an I2C
 * target and as an SPI device (docs/board.md).
 *
 * Registers (datasheet names): WHO_AM_I 0Fh reads 69h; CTRL1_XL 10h (ODR_XL bits 7:4, FS_XL
 * bits 3:2: 00 = ±2 g, 01 = ±16 g, 10 = ±4 g, 11 = ±8 g); CTRL2_G 11h; CTRL3_C 12h (BOOT bit 7
 * and SW_RESET bit 0 restore the defaults and clear themselves; IF_INC bit 2, set by default,
 * makes the register address advance after each byte of a multi-byte access); STATUS_REG 1Eh
 * (XLDA bit 0 while the accelerometer runs, GDA bit 1 while the gyroscope runs, TDA bit 2 while
 * either does); OUT_TEMP 20h-21h (25 °C reads 0); OUTX/Y/Z_G 22h-27h (0 dps); OUTX/Y/Z_XL
 * 28h-2Dh, little-endian two's complement at the selected full scale's sensitivity. Writes to
 * read-only registers are ignored. While ODR_XL is 0 (power-down) the outputs keep their last
 * value; the acceleration set with lsm6ds3_set_accel appears at the next read while it runs.
 *
 * I2C: a write transaction's first byte is the register address, later bytes are written from
 * it; a read transaction reads from the current address. SPI: a frame's first byte is the
 * address with bit 7 set for a read; the rest is written, or read, from that address.
 * Not thread-safe: the board serializes access.
 */
#ifndef OPENSPHERE_BOARD_LSM6DS3_H
#define OPENSPHERE_BOARD_LSM6DS3_H

#include <stddef.h>
#include <stdint.h>

#define LSM6DS3_WHO_AM_I 0x0Fu
#define LSM6DS3_WHO_AM_I_VALUE 0x69u
#define LSM6DS3_CTRL1_XL 0x10u
#define LSM6DS3_CTRL2_G 0x11u
#define LSM6DS3_CTRL3_C 0x12u
#define LSM6DS3_STATUS_REG 0x1Eu
#define LSM6DS3_OUT_TEMP_L 0x20u
#define LSM6DS3_OUTX_L_G 0x22u
#define LSM6DS3_OUTX_L_XL 0x28u
#define LSM6DS3_I2C_ADDRESS 0x6Au /* SA0 low */

struct lsm6ds3 {
    uint8_t regs[128];
    uint8_t address;  /* the register address of the next access */
    double accel_g[3]; /* the acceleration the sensor feels, in g */
};

/* Power-on state: defaults, 0 g on X and Y, 1 g on Z (lying flat). */
void lsm6ds3_init(struct lsm6ds3 *d);
void lsm6ds3_set_accel(struct lsm6ds3 *d, double x_g, double y_g, double z_g);

/* One I2C write transaction of `n` bytes (n may be 0: an address probe). */
void lsm6ds3_i2c_write(struct lsm6ds3 *d, const uint8_t *data, size_t n);
/* One I2C read transaction of `n` bytes. */
void lsm6ds3_i2c_read(struct lsm6ds3 *d, uint8_t *out, size_t n);
/* What lsm6ds3_i2c_read would return, without advancing the address. */
void lsm6ds3_i2c_peek(const struct lsm6ds3 *d, uint8_t *out, size_t n);
/* One SPI frame: `tx` clocked in, then `rx_len` bytes clocked out. */
void lsm6ds3_spi_frame(struct lsm6ds3 *d, const uint8_t *tx, size_t tx_len, uint8_t *rx, size_t rx_len);

#endif
