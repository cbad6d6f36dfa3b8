/* SPDX-License-Identifier: MIT */
/* spi.c — SPI master handles (see applibs/spi.h): each call is one chip-select frame sent to
 * the board as segment headers and the bytes written (board_wire.h). */
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/spi.h>

#include <errno.h>
#include <stdlib.h>

#include "board_client.h"
#include "broker_client.h"

#define SPI_CONFIG_MAGIC (0x5343u << 16 | 1u)   /* "SC", version 1 */
#define SPI_TRANSFER_MAGIC (0x5354u << 16 | 1u) /* "ST", version 1 */

static int fail(int err)
{
    errno = err;
    return -1;
}

int SPIMaster_InitConfig(SPIMaster_Config *config)
{
    if (!config)
        return fail(EFAULT);
    *config = (SPIMaster_Config){.z__magicAndVersion = SPI_CONFIG_MAGIC, .csPolarity = SPI_ChipSelectPolarity_ActiveLow};
    return 0;
}

int SPIMaster_InitTransfers(SPIMaster_Transfer *transfers, size_t transferCount)
{
    if (!transfers)
        return fail(EFAULT);
    for (size_t i = 0; i < transferCount; i++)
        transfers[i] = (SPIMaster_Transfer){.z__magicAndVersion = SPI_TRANSFER_MAGIC, .flags = SPI_TransferFlags_None};
    return 0;
}

int SPIMaster_Open(SPI_InterfaceId interfaceId, SPI_ChipSelectId chipSelectId, const SPIMaster_Config *config)
{
    if (!config)
        return fail(EFAULT);
    if (config->z__magicAndVersion != SPI_CONFIG_MAGIC)
        return fail(EINVAL);
    return board_client_open(BROKER_SPI_OPEN, interfaceId, chipSelectId, (int)config->csPolarity);
}

int SPIMaster_SetBusSpeed(int fd, uint32_t speedInHz)
{
    return applibs_result(board_client_simple(fd, BOARD_WIRE_SPI_SPEED, 0, speedInHz, NULL), 0);
}

int SPIMaster_SetMode(int fd, SPI_Mode mode)
{
    return applibs_result(board_client_simple(fd, BOARD_WIRE_SPI_MODE, 0, (uint32_t)mode, NULL), 0);
}

int SPIMaster_SetBitOrder(int fd, SPI_BitOrder order)
{
    return applibs_result(board_client_simple(fd, BOARD_WIRE_SPI_ORDER, 0, (uint32_t)order, NULL), 0);
}

ssize_t SPIMaster_TransferSequential(int fd, const SPIMaster_Transfer *transfers, size_t transferCount)
{
    if (!transfers)
        return fail(EFAULT);
    if (!transferCount || transferCount > SPI_MASTER_MAX_TRANSFERS)
        return fail(EINVAL);
    struct board_wire_segment segs[SPI_MASTER_MAX_TRANSFERS];
    struct iovec out[1 + SPI_MASTER_MAX_TRANSFERS], in[SPI_MASTER_MAX_TRANSFERS];
    int outs = 1, ins = 0;
    size_t written = 0, read = 0;
    for (size_t i = 0; i < transferCount; i++) {
        const SPIMaster_Transfer *t = &transfers[i];
        if (t->z__magicAndVersion != SPI_TRANSFER_MAGIC || !t->length ||
            (t->flags != SPI_TransferFlags_Read && t->flags != SPI_TransferFlags_Write))
            return fail(EINVAL); /* no full-duplex transfers, no empty ones */
        if ((t->flags == SPI_TransferFlags_Write && !t->writeData) || (t->flags == SPI_TransferFlags_Read && !t->readData))
            return fail(EFAULT);
        segs[i] = (struct board_wire_segment){.flags = (uint32_t)t->flags, .length = (uint32_t)t->length};
        if (t->flags == SPI_TransferFlags_Write)
            out[outs++] = (struct iovec){(void *)t->writeData, t->length}, written += t->length;
        else
            in[ins++] = (struct iovec){t->readData, t->length}, read += t->length;
        if (written > BOARD_WIRE_MAX_DATA || read > BOARD_WIRE_MAX_DATA || t->length > BOARD_WIRE_MAX_DATA)
            return fail(EINVAL);
    }
    out[0] = (struct iovec){segs, transferCount * sizeof segs[0]};
    int rc = board_client_call(fd, BOARD_WIRE_SPI_FRAME, 0, (uint32_t)transferCount, out, outs, in, ins, NULL);
    return applibs_result(rc, (int)(written + read));
}

ssize_t SPIMaster_WriteThenRead(int fd, const uint8_t *writeData, size_t lenWriteData, uint8_t *readData,
                                size_t lenReadData)
{
    SPIMaster_Transfer t[2];
    SPIMaster_InitTransfers(t, 2);
    size_t n = 0;
    if (lenWriteData)
        t[n].flags = SPI_TransferFlags_Write, t[n].writeData = writeData, t[n++].length = lenWriteData;
    if (lenReadData)
        t[n].flags = SPI_TransferFlags_Read, t[n].readData = readData, t[n++].length = lenReadData;
    return SPIMaster_TransferSequential(fd, t, n);
}
