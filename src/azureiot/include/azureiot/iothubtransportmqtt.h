/* SPDX-License-Identifier: MIT */
/* azureiot/iothubtransportmqtt.h — MQTT (3.1.1 over TLS, port 8883), the one transport. */
#ifndef AZUREIOT_IOTHUBTRANSPORTMQTT_H
#define AZUREIOT_IOTHUBTRANSPORTMQTT_H
#include "iothub_transport_ll.h"
#ifdef __cplusplus
extern "C" {
#endif
extern const TRANSPORT_PROVIDER *MQTT_Protocol(void);
#ifdef __cplusplus
}
#endif
#endif
