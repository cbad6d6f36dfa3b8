/* SPDX-License-Identifier: MIT */
/* azure_prov_client/prov_transport.h — the provisioning transport provider type. */
#ifndef AZURE_PROV_CLIENT_PROV_TRANSPORT_H
#define AZURE_PROV_CLIENT_PROV_TRANSPORT_H
typedef struct PROV_DEVICE_TRANSPORT_PROVIDER_TAG PROV_DEVICE_TRANSPORT_PROVIDER;
#endif
