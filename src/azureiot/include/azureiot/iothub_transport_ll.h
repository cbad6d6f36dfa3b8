/* SPDX-License-Identifier: MIT */
/* azureiot/iothub_transport_ll.h — the transport provider types (AZURE-IOT-API.md §2.3). */
#ifndef AZUREIOT_IOTHUB_TRANSPORT_LL_H
#define AZUREIOT_IOTHUB_TRANSPORT_LL_H
typedef struct TRANSPORT_PROVIDER_TAG TRANSPORT_PROVIDER;
typedef const TRANSPORT_PROVIDER *(*IOTHUB_CLIENT_TRANSPORT_PROVIDER)(void);
typedef void *METHOD_HANDLE;
#endif
