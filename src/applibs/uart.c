/* SPDX-License-Identifier: MIT */
/* uart.c — UART handles (see applibs/uart.h): the broker checks the manifest and the board
 * hands over a raw pseudo-terminal set to the configuration; the app reads and writes it. */
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/uart.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>

#include "board_client.h"
#include "broker_client.h"

#define UART_CONFIG_MAGIC (0x5541u << 16 | 1u) /* "UA", version 1 */

void UART_InitConfig(UART_Config *uartConfig)
{
    if (!uartConfig)
        return;
    *uartConfig = (UART_Config){.z__magicAndVersion = UART_CONFIG_MAGIC, .baudRate = 115200,
                                .blockingMode = UART_BlockingMode_NonBlocking, .dataBits = UART_DataBits_Eight,
                                .parity = UART_Parity_None, .stopBits = UART_StopBits_One,
                                .flowControl = UART_FlowControl_None};
}

int UART_Open(UART_Id uartId, const UART_Config *uartConfig)
{
    if (!uartConfig) {
        errno = EFAULT;
        return -1;
    }
    if (uartConfig->z__magicAndVersion != UART_CONFIG_MAGIC ||
        uartConfig->blockingMode != UART_BlockingMode_NonBlocking) {
        errno = EINVAL;
        return -1;
    }
    int frame = uartConfig->dataBits | uartConfig->parity << 8 | uartConfig->stopBits << 16 |
                uartConfig->flowControl << 24;
    int fd = board_client_open(BROKER_UART_OPEN, uartId, (int)uartConfig->baudRate, frame);
    if (fd >= 0)
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}
