/* SPDX-License-Identifier: MIT */
/* lsm6ds3.c — the LSM6DS3-class accelerometer model (see lsm6ds3.h). */
#include "lsm6ds3.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "bytes.h"

static void defaults(struct lsm6ds3 *d)
{
    memset(d->regs, 0, sizeof d->regs);
    d->regs[LSM6DS3_WHO_AM_I] = LSM6DS3_WHO_AM_I_VALUE;
    d->regs[LSM6DS3_CTRL3_C] = 0x04; /* IF_INC */
    d->address = 0;
}

void lsm6ds3_init(struct lsm6ds3 *d)
{
    defaults(d);
    lsm6ds3_set_accel(d, 0, 0, 1);
}

void lsm6ds3_set_accel(struct lsm6ds3 *d, double x_g, double y_g, double z_g)
{
    d->accel_g[0] = x_g, d->accel_g[1] = y_g, d->accel_g[2] = z_g;
}

static bool writable(unsigned reg)
{
    return reg >= 0x01 && reg <= 0x19 && reg != LSM6DS3_WHO_AM_I;
}

/* Latches the outputs from the sensed values while the accelerometer runs. */
static void sample(struct lsm6ds3 *d)
{
    uint8_t ctrl1 = d->regs[LSM6DS3_CTRL1_XL];
    if (!(ctrl1 >> 4))
        return;
    static const double mg_per_lsb[4] = {0.061, 0.488, 0.122, 0.244};
    double sens = mg_per_lsb[(ctrl1 >> 2) & 3];
    for (int i = 0; i < 3; i++) {
        double raw = round(d->accel_g[i] * 1000.0 / sens);
        int16_t v = raw > 32767 ? 32767 : raw < -32768 ? -32768 : (int16_t)raw;
        bytes_put_le16(&d->regs[LSM6DS3_OUTX_L_XL + 2 * i], (uint16_t)v);
    }
}

static uint8_t read_reg(const struct lsm6ds3 *d, unsigned reg)
{
    if (reg == LSM6DS3_STATUS_REG) {
        bool xl = d->regs[LSM6DS3_CTRL1_XL] >> 4, g = d->regs[LSM6DS3_CTRL2_G] >> 4;
        return (uint8_t)((xl ? 1 : 0) | (g ? 2 : 0) | (xl || g ? 4 : 0));
    }
    return d->regs[reg & 0x7F];
}

static void write_reg(struct lsm6ds3 *d, unsigned reg, uint8_t v)
{
    if (!writable(reg))
        return;
    if (reg == LSM6DS3_CTRL3_C && (v & 0x81)) {
        uint8_t address = d->address;
        defaults(d);
        d->address = address;
        return;
    }
    d->regs[reg] = v;
}

static void advance(struct lsm6ds3 *d)
{
    if (d->regs[LSM6DS3_CTRL3_C] & 0x04)
        d->address = (uint8_t)((d->address + 1) & 0x7F);
}

void lsm6ds3_i2c_write(struct lsm6ds3 *d, const uint8_t *data, size_t n)
{
    if (!n)
        return;
    d->address = data[0] & 0x7F;
    for (size_t i = 1; i < n; i++) {
        write_reg(d, d->address, data[i]);
        advance(d);
    }
}

void lsm6ds3_i2c_read(struct lsm6ds3 *d, uint8_t *out, size_t n)
{
    sample(d);
    for (size_t i = 0; i < n; i++) {
        out[i] = read_reg(d, d->address);
        advance(d);
    }
}

void lsm6ds3_i2c_peek(const struct lsm6ds3 *d, uint8_t *out, size_t n)
{
    struct lsm6ds3 copy = *d;
    lsm6ds3_i2c_read(&copy, out, n);
}

void lsm6ds3_spi_frame(struct lsm6ds3 *d, const uint8_t *tx, size_t tx_len, uint8_t *rx, size_t rx_len)
{
    if (!tx_len) {
        memset(rx, 0xFF, rx_len); /* no address byte: the device does not drive SDO */
        return;
    }
    bool read = tx[0] & 0x80;
    d->address = tx[0] & 0x7F;
    if (!read) {
        for (size_t i = 1; i < tx_len; i++) {
            write_reg(d, d->address, tx[i]);
            advance(d);
        }
        memset(rx, 0xFF, rx_len);
        return;
    }
    /* bytes clocked in after the address of a read are ignored, but still clock data out */
    for (size_t i = 1; i < tx_len; i++)
        advance(d);
    lsm6ds3_i2c_read(d, rx, rx_len);
}
