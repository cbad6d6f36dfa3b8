/* SPDX-License-Identifier: MIT */
/* applibs/gpio.h — OpenSphere Applibs: GPIO. Opening a GPIO not listed in the app manifest's
 * Gpio capability fails with EACCES; an open GPIO fails with EBUSY; a bad mode or value with
 * EINVAL. Handles are file descriptors; close() releases them. */
#pragma once
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
typedef int GPIO_Id;
typedef uint8_t GPIO_Value_Type;
typedef uint8_t GPIO_OutputMode_Type;
enum { GPIO_Value_Low = 0, GPIO_Value_High = 1 };
enum { GPIO_OutputMode_PushPull = 0, GPIO_OutputMode_OpenDrain = 1, GPIO_OutputMode_OpenSource = 2 };

int GPIO_OpenAsInput(GPIO_Id gpioId);
int GPIO_OpenAsOutput(GPIO_Id gpioId, GPIO_OutputMode_Type outputMode, GPIO_Value_Type initialValue);
int GPIO_GetValue(int gpioFd, GPIO_Value_Type *outValue);
int GPIO_SetValue(int gpioFd, GPIO_Value_Type value);
#ifdef __cplusplus
}
#endif
