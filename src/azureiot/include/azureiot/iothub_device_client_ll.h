/* SPDX-License-Identifier: MIT */
/*
 * azureiot/iothub_device_client_ll.h — the single-threaded ("lower layer") device client
 * (AZURE-IOT-API.md §2.1, §3). No call blocks on the network and the library keeps no thread:
 * connecting, sending, receiving, reconnecting and every callback happen inside
 * IoTHubDeviceClient_LL_DoWork on the caller's thread (and pending-operation callbacks inside
 * _Destroy). Messages and reported states are copied; method responses are free()d by the library.
 */
#ifndef AZUREIOT_IOTHUB_DEVICE_CLIENT_LL_H
#define AZUREIOT_IOTHUB_DEVICE_CLIENT_LL_H
#include <time.h>
#include "iothub_client_core_common.h"
#include "iothub_message.h"
#include "iothub_transport_ll.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct IOTHUB_CLIENT_CORE_LL_HANDLE_DATA_TAG *IOTHUB_DEVICE_CLIENT_LL_HANDLE;

/* "HostName=<host>;DeviceId=<id>;x509=true" (the X.509 form; the certificate comes from
 * OPTION_X509_CERT/OPTION_X509_PRIVATE_KEY or the device's DAA certificate). Shared access keys
 * are not supported (NULL). No network I/O. */
IOTHUB_DEVICE_CLIENT_LL_HANDLE IoTHubDeviceClient_LL_CreateFromConnectionString(const char *connectionString,
                                                                                IOTHUB_CLIENT_TRANSPORT_PROVIDER protocol);
void IoTHubDeviceClient_LL_Destroy(IOTHUB_DEVICE_CLIENT_LL_HANDLE iotHubClientHandle);
void IoTHubDeviceClient_LL_DoWork(IOTHUB_DEVICE_CLIENT_LL_HANDLE iotHubClientHandle);
IOTHUB_CLIENT_RESULT IoTHubDeviceClient_LL_SetOption(IOTHUB_DEVICE_CLIENT_LL_HANDLE iotHubClientHandle, const char *optionName,
                                                     const void *value);
IOTHUB_CLIENT_RESULT IoTHubDeviceClient_LL_SendEventAsync(IOTHUB_DEVICE_CLIENT_LL_HANDLE iotHubClientHandle,
                                                          IOTHUB_MESSAGE_HANDLE eventMessageHandle,
                                                          IOTHUB_CLIENT_EVENT_CONFIRMATION_CALLBACK eventConfirmationCallback,
                                                          void *userContextCallback);
IOTHUB_CLIENT_RESULT IoTHubDeviceClient_LL_SendReportedState(IOTHUB_DEVICE_CLIENT_LL_HANDLE iotHubClientHandle,
                                                             const unsigned char *reportedState, size_t size,
                                                             IOTHUB_CLIENT_REPORTED_STATE_CALLBACK reportedStateCallback,
                                                             void *userContextCallback);
IOTHUB_CLIENT_RESULT IoTHubDeviceClient_LL_SetConnectionStatusCallback(
    IOTHUB_DEVICE_CLIENT_LL_HANDLE iotHubClientHandle, IOTHUB_CLIENT_CONNECTION_STATUS_CALLBACK connectionStatusCallback,
    void *userContextCallback);
IOTHUB_CLIENT_RESULT IoTHubDeviceClient_LL_SetDeviceTwinCallback(IOTHUB_DEVICE_CLIENT_LL_HANDLE iotHubClientHandle,
                                                                 IOTHUB_CLIENT_DEVICE_TWIN_CALLBACK deviceTwinCallback,
                                                                 void *userContextCallback);
IOTHUB_CLIENT_RESULT IoTHubDeviceClient_LL_SetDeviceMethodCallback(IOTHUB_DEVICE_CLIENT_LL_HANDLE iotHubClientHandle,
                                                                   IOTHUB_CLIENT_DEVICE_METHOD_CALLBACK_ASYNC deviceMethodCallback,
                                                                   void *userContextCallback);
IOTHUB_CLIENT_RESULT IoTHubDeviceClient_LL_SetMessageCallback(IOTHUB_DEVICE_CLIENT_LL_HANDLE iotHubClientHandle,
                                                              IOTHUB_CLIENT_MESSAGE_CALLBACK_ASYNC messageCallback,
                                                              void *userContextCallback);

#ifdef __cplusplus
}
#endif
#endif
