/* SPDX-License-Identifier: MIT */
/* i2c.c — I2C master handles (see applibs/i2c.h): board_wire.h requests on a socket to the
 * board's bus. */
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/i2c.h>

#include <errno.h>

#include "board_client.h"
#include "broker_client.h"

int I2CMaster_Open(I2C_InterfaceId id) { return board_client_open(BROKER_I2C_OPEN, id, 0, 0); }

int I2CMaster_SetBusSpeed(int fd, uint32_t speedInHz)
{
    return applibs_result(board_client_simple(fd, BOARD_WIRE_I2C_SPEED, 0, speedInHz, NULL), 0);
}

int I2CMaster_SetTimeout(int fd, uint32_t timeoutInMs)
{
    return applibs_result(board_client_simple(fd, BOARD_WIRE_I2C_TIMEOUT, 0, timeoutInMs, NULL), 0);
}

int I2CMaster_SetDefaultTargetAddress(int fd, I2C_DeviceAddress address)
{
    return applibs_result(board_client_simple(fd, BOARD_WIRE_I2C_DEFAULT, address, 0, NULL), 0);
}

ssize_t I2CMaster_WriteThenRead(int fd, I2C_DeviceAddress address, const uint8_t *writeData, size_t lenWriteData,
                                uint8_t *readData, size_t lenReadData)
{
    if ((lenWriteData && !writeData) || (lenReadData && !readData)) {
        errno = EFAULT;
        return -1;
    }
    if (lenWriteData > BOARD_WIRE_MAX_DATA || lenReadData > BOARD_WIRE_MAX_DATA) {
        errno = EINVAL;
        return -1;
    }
    struct iovec out = {(void *)writeData, lenWriteData}, in = {readData, lenReadData};
    int rc = board_client_call(fd, BOARD_WIRE_I2C_TRANSFER, address, 0, &out, lenWriteData ? 1 : 0, &in,
                               lenReadData ? 1 : 0, NULL);
    return applibs_result(rc, (int)(lenWriteData + lenReadData));
}

ssize_t I2CMaster_Write(int fd, I2C_DeviceAddress address, const uint8_t *data, size_t length)
{
    return I2CMaster_WriteThenRead(fd, address, data, length, NULL, 0);
}

ssize_t I2CMaster_Read(int fd, I2C_DeviceAddress address, uint8_t *buffer, size_t maxLength)
{
    return I2CMaster_WriteThenRead(fd, address, NULL, 0, buffer, maxLength);
}
