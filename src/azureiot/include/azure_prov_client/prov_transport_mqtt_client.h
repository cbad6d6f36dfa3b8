/* SPDX-License-Identifier: MIT */
/* azure_prov_client/prov_transport_mqtt_client.h — DPS over MQTT (the one transport). */
#ifndef AZURE_PROV_CLIENT_PROV_TRANSPORT_MQTT_CLIENT_H
#define AZURE_PROV_CLIENT_PROV_TRANSPORT_MQTT_CLIENT_H
#include "azure_prov_client/prov_transport.h"
#ifdef __cplusplus
extern "C" {
#endif
const PROV_DEVICE_TRANSPORT_PROVIDER *Prov_Device_MQTT_Protocol(void);
#ifdef __cplusplus
}
#endif
#endif
