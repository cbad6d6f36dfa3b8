/* SPDX-License-Identifier: MIT */
/* applibs/i2c.h — OpenSphere Applibs: I2C masters. I2CMaster_Open needs the ISU in the manifest's
 * I2cMaster capability (else EACCES, also for an id that names no ISU); an ISU held by another
 * app or function fails with EBUSY. Transfers return the bytes transferred (written + read for
 * WriteThenRead), or -1 with ENXIO when no device acknowledges the address, ETIMEDOUT when the
 * device holds the bus past the timeout, EINVAL for a bad address (above 0x7F) or length (above
 * 4096), EFAULT for a NULL buffer, EBADF for a handle that is not an I2C master. The handle also
 * takes write() (to the default target address) and read() (docs/board.md gives the limits). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#ifdef __cplusplus
extern "C" {
#endif
typedef int I2C_InterfaceId;
typedef uint32_t I2C_DeviceAddress;
#define I2C_BUS_SPEED_STANDARD 100000
#define I2C_BUS_SPEED_FAST 400000
#define I2C_BUS_SPEED_FAST_PLUS 1000000
#define I2C_BUS_SPEED_HIGH 3400000

int I2CMaster_Open(I2C_InterfaceId id);
/* EINVAL for a speed the MT3620 does not have (it has 100 kHz, 400 kHz and 1 MHz). */
int I2CMaster_SetBusSpeed(int fd, uint32_t speedInHz);
/* EINVAL for 0. The default is 1000 ms. */
int I2CMaster_SetTimeout(int fd, uint32_t timeoutInMs);
int I2CMaster_SetDefaultTargetAddress(int fd, I2C_DeviceAddress address);
ssize_t I2CMaster_Write(int fd, I2C_DeviceAddress address, const uint8_t *data, size_t length);
ssize_t I2CMaster_Read(int fd, I2C_DeviceAddress address, uint8_t *buffer, size_t maxLength);
ssize_t I2CMaster_WriteThenRead(int fd, I2C_DeviceAddress address, const uint8_t *writeData, size_t lenWriteData,
                                uint8_t *readData, size_t lenReadData);
#ifdef __cplusplus
}
#endif
