/* SPDX-License-Identifier: MIT */
/* applibs/uart.h — OpenSphere Applibs: UARTs. Define UART_STRUCTS_VERSION 1 (the default) before
 * including. UART_Open needs the ISU in the manifest's Uart capability (else EACCES); an unknown
 * id fails with ENODEV, a NULL config with EFAULT, a config not prepared by UART_InitConfig or
 * with an unsupported value with EINVAL, a UART another app (or this one) holds with EBUSY. The
 * handle is a non-blocking file descriptor for read()/write()/EventLoop_RegisterIo; close()
 * releases it. On the simulator it is a pseudo-terminal (docs/board.md). */
#pragma once
#include <stdint.h>
#ifndef UART_STRUCTS_VERSION
#define UART_STRUCTS_VERSION 1
#endif
#if UART_STRUCTS_VERSION != 1
#error "OpenSphere supports UART_STRUCTS_VERSION 1 only"
#endif
#ifdef __cplusplus
extern "C" {
#endif
typedef int UART_Id;
typedef uint32_t UART_BaudRate_Type;
typedef uint8_t UART_BlockingMode_Type;
typedef uint8_t UART_DataBits_Type;
typedef uint8_t UART_Parity_Type;
typedef uint8_t UART_StopBits_Type;
typedef uint8_t UART_FlowControl_Type;
enum { UART_BlockingMode_NonBlocking = 0 };
enum { UART_DataBits_Five = 5, UART_DataBits_Six = 6, UART_DataBits_Seven = 7, UART_DataBits_Eight = 8 };
enum { UART_Parity_None = 0, UART_Parity_Even = 1, UART_Parity_Odd = 2 };
enum { UART_StopBits_One = 1, UART_StopBits_Two = 2 };
enum { UART_FlowControl_None = 0, UART_FlowControl_RTSCTS = 1, UART_FlowControl_XONXOFF = 2 };

typedef struct z__UART_Config_v1 {
    uint32_t z__magicAndVersion;
    UART_BaudRate_Type baudRate;
    UART_BlockingMode_Type blockingMode;
    UART_DataBits_Type dataBits;
    UART_Parity_Type parity;
    UART_StopBits_Type stopBits;
    UART_FlowControl_Type flowControl;
} UART_Config;

/* Fills *uartConfig with 115200 baud, 8 data bits, no parity, one stop bit, no flow control. */
void UART_InitConfig(UART_Config *uartConfig);
int UART_Open(UART_Id uartId, const UART_Config *uartConfig);
#ifdef __cplusplus
}
#endif
