/* SPDX-License-Identifier: MIT */
/* applibs/spi.h — OpenSphere Applibs: SPI masters. Define SPI_STRUCTS_VERSION 1 (the default)
 * before including. SPIMaster_Open needs the ISU in the manifest's SpiMaster capability (else
 * EACCES); an ISU held by another app or function, or a chip select this app already opened,
 * fails with EBUSY; a chip select other than A (-1) or B (-2), a config or transfer not prepared
 * by its *_Init* function, a full-duplex transfer, or more than 4096 bytes read or written in
 * one call fail with EINVAL; NULL pointers with EFAULT. Transfers return the bytes transferred.
 * Note the enum values: SPI_Mode_0 is 1 and SPI_BitOrder_MsbFirst is 2. The handle also takes
 * write() (one write-only frame). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#ifndef SPI_STRUCTS_VERSION
#define SPI_STRUCTS_VERSION 1
#endif
#if SPI_STRUCTS_VERSION != 1
#error "OpenSphere supports SPI_STRUCTS_VERSION 1 only"
#endif
#ifdef __cplusplus
extern "C" {
#endif
typedef int SPI_InterfaceId;
typedef int SPI_ChipSelectId;
typedef enum { SPI_ChipSelectPolarity_Invalid = 0, SPI_ChipSelectPolarity_ActiveLow = 1,
               SPI_ChipSelectPolarity_ActiveHigh = 2 } SPI_ChipSelectPolarity;
typedef enum { SPI_Mode_Invalid = 0, SPI_Mode_0 = 1, SPI_Mode_1 = 2, SPI_Mode_2 = 3, SPI_Mode_3 = 4 } SPI_Mode;
typedef enum { SPI_BitOrder_Invalid = 0, SPI_BitOrder_LsbFirst = 1, SPI_BitOrder_MsbFirst = 2 } SPI_BitOrder;
typedef enum { SPI_TransferFlags_None = 0, SPI_TransferFlags_Read = 1, SPI_TransferFlags_Write = 2 } SPI_TransferFlags;
#define SPI_MASTER_MAX_TRANSFERS 256

typedef struct z__SPIMaster_Config_v1 {
    uint32_t z__magicAndVersion;
    SPI_ChipSelectPolarity csPolarity;
} SPIMaster_Config;

typedef struct z__SPIMaster_Transfer_v1 {
    uint32_t z__magicAndVersion;
    SPI_TransferFlags flags;
    const uint8_t *writeData;
    uint8_t *readData;
    size_t length;
} SPIMaster_Transfer;

/* Active-low chip select. Returns 0, or -1 with EFAULT for NULL. */
int SPIMaster_InitConfig(SPIMaster_Config *config);
/* Every transfer: no flags, no buffers, length 0. Returns 0, or -1 with EFAULT for NULL. */
int SPIMaster_InitTransfers(SPIMaster_Transfer *transfers, size_t transferCount);
int SPIMaster_Open(SPI_InterfaceId interfaceId, SPI_ChipSelectId chipSelectId, const SPIMaster_Config *config);
int SPIMaster_SetBusSpeed(int fd, uint32_t speedInHz);
int SPIMaster_SetMode(int fd, SPI_Mode mode);
int SPIMaster_SetBitOrder(int fd, SPI_BitOrder order);
/* One chip-select frame of half-duplex transfers, in order. */
ssize_t SPIMaster_TransferSequential(int fd, const SPIMaster_Transfer *transfers, size_t transferCount);
ssize_t SPIMaster_WriteThenRead(int fd, const uint8_t *writeData, size_t lenWriteData, uint8_t *readData,
                                size_t lenReadData);
#ifdef __cplusplus
}
#endif
