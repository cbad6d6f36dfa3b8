/* SPDX-License-Identifier: MIT */
/* azureiot/iothub.h — global init (optional: the library works without it). */
#ifndef AZUREIOT_IOTHUB_H
#define AZUREIOT_IOTHUB_H
#ifdef __cplusplus
extern "C" {
#endif
/* 0 on success. Initialises OpenSSL and libmosquitto; calling it is optional. */
int IoTHub_Init(void);
void IoTHub_Deinit(void);
#ifdef __cplusplus
}
#endif
#endif
