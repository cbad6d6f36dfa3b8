/* SPDX-License-Identifier: MIT */
/* gpio.c — GPIO handles from the device's broker (see applibs/gpio.h). A handle is a
 * SOCK_SEQPACKET socket to the board's line: 'S' value sets it, 'G' asks for its level. */
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/gpio.h>

#include <errno.h>
#include <sys/socket.h>

#include "broker_client.h"

static int open_gpio(uint32_t op, GPIO_Id id, int mode, int value)
{
    struct broker_request q = {.op = op, .a = id, .b = mode, .c = value};
    struct broker_reply r;
    int fd;
    int result = applibs_broker_call(&q, &r, &fd);
    return applibs_result(result, fd);
}

int GPIO_OpenAsInput(GPIO_Id gpioId) { return open_gpio(BROKER_GPIO_OPEN_INPUT, gpioId, 0, 0); }

int GPIO_OpenAsOutput(GPIO_Id gpioId, GPIO_OutputMode_Type outputMode, GPIO_Value_Type initialValue)
{
    if (outputMode > GPIO_OutputMode_OpenSource || initialValue > GPIO_Value_High) {
        errno = EINVAL;
        return -1;
    }
    return open_gpio(BROKER_GPIO_OPEN_OUTPUT, gpioId, outputMode, initialValue);
}

int GPIO_SetValue(int gpioFd, GPIO_Value_Type value)
{
    if (value > GPIO_Value_High) {
        errno = EINVAL;
        return -1;
    }
    unsigned char msg[2] = {'S', value};
    ssize_t n = send(gpioFd, msg, sizeof msg, MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK)
        errno = EBADF;
    return n == sizeof msg ? 0 : -1;
}

int GPIO_GetValue(int gpioFd, GPIO_Value_Type *outValue)
{
    if (!outValue) {
        errno = EFAULT;
        return -1;
    }
    unsigned char msg[2] = {'G', 0}, level;
    if (send(gpioFd, msg, sizeof msg, MSG_NOSIGNAL) != sizeof msg) {
        if (errno == ENOTSOCK)
            errno = EBADF;
        return -1;
    }
    ssize_t n;
    do
        n = recv(gpioFd, &level, 1, 0);
    while (n < 0 && errno == EINTR);
    if (n != 1) {
        if (n == 0)
            errno = EIO;
        return -1;
    }
    *outValue = level ? GPIO_Value_High : GPIO_Value_Low;
    return 0;
}
