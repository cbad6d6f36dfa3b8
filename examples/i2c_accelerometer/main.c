/* SPDX-License-Identifier: MIT */
/* I2cAccelerometer — an OpenSphere example high-level app (our own code).
 *
 * Talks to an LSM6DS3 accelerometer at address 0x6A on ISU2 (header 4): checks WHO_AM_I (0x69),
 * resets it, sets 104 Hz at ±2 g, then logs the acceleration twice a second, reading the six
 * output registers in one auto-incrementing transfer. On the simulator, tilt the board with
 * `sphere sim accel --x 0.5 --y 0 --z 0.87`. Exits cleanly on SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <applibs/i2c.h>
#include <applibs/log.h>

#include <hw/mt3620_rdb.h>

#define ACCEL_ADDRESS 0x6A
#define REG_WHO_AM_I 0x0F
#define REG_CTRL1_XL 0x10
#define REG_CTRL3_C 0x12
#define REG_STATUS 0x1E
#define REG_OUTX_L_XL 0x28
#define MG_PER_LSB_2G 0.061

static volatile sig_atomic_t stop;
static void on_sigterm(int signal) { stop = 1; }

static int write_register(int fd, uint8_t reg, uint8_t value)
{
    const uint8_t data[2] = {reg, value};
    return I2CMaster_Write(fd, ACCEL_ADDRESS, data, sizeof data) == (ssize_t)sizeof data ? 0 : -1;
}

int main(void)
{
    struct sigaction act = {.sa_handler = on_sigterm};
    sigaction(SIGTERM, &act, NULL);
    int fd = I2CMaster_Open(MT3620_RDB_HEADER4_ISU2_I2C);
    if (fd < 0 || I2CMaster_SetBusSpeed(fd, I2C_BUS_SPEED_STANDARD) < 0 || I2CMaster_SetTimeout(fd, 100) < 0) {
        Log_Debug("ERROR: cannot set up the I2C master: %s (%d)\n", strerror(errno), errno);
        return 2;
    }
    uint8_t reg = REG_WHO_AM_I, id = 0;
    if (I2CMaster_WriteThenRead(fd, ACCEL_ADDRESS, &reg, 1, &id, 1) != 2) {
        Log_Debug("ERROR: no accelerometer at 0x%02X: %s (%d)\n", ACCEL_ADDRESS, strerror(errno), errno);
        return 3;
    }
    Log_Debug("WHO_AM_I = 0x%02X%s\n", id, id == 0x69 ? " (LSM6DS3)" : " (unexpected)");
    if (id != 0x69 || write_register(fd, REG_CTRL3_C, 0x05) || write_register(fd, REG_CTRL1_XL, 0x40)) {
        Log_Debug("ERROR: cannot configure the accelerometer: %s\n", strerror(errno));
        return 4;
    }
    while (!stop) {
        uint8_t status = 0, out[6];
        reg = REG_STATUS;
        if (I2CMaster_WriteThenRead(fd, ACCEL_ADDRESS, &reg, 1, &status, 1) == 2 && (status & 1)) {
            reg = REG_OUTX_L_XL;
            if (I2CMaster_WriteThenRead(fd, ACCEL_ADDRESS, &reg, 1, out, sizeof out) != 1 + (ssize_t)sizeof out) {
                Log_Debug("ERROR: reading the outputs: %s (%d)\n", strerror(errno), errno);
            } else {
                double g[3];
                for (int i = 0; i < 3; i++)
                    g[i] = (int16_t)(out[2 * i] | out[2 * i + 1] << 8) * MG_PER_LSB_2G / 1000.0;
                Log_Debug("Acceleration: x %.3f g, y %.3f g, z %.3f g\n", g[0], g[1], g[2]);
            }
        }
        nanosleep(&(struct timespec){0, 500000000L}, NULL);
    }
    close(fd);
    return 0;
}
