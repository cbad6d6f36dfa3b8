/* SPDX-License-Identifier: MIT */
/*
 * mqtt_loop.h — a network thread for a libmosquitto client that never gives up reconnecting.
 *
 * mosquitto_loop_start()'s thread ends for good on the errors libmosquitto deems fatal, and
 * MOSQ_ERR_TLS is one of them: exactly what a TLS connection gets when the broker dies or the
 * network drops in the middle of a record ("unexpected eof"). A client that must keep its
 * twin (the cloud service, the device's OTA agent) runs this instead: mosquitto_loop_forever(),
 * and whenever it returns while not stopping, a wait (1 s, doubling up to 10 s) and
 * mosquitto_reconnect(). Set the client up (callbacks, TLS, credentials) and call
 * mosquitto_connect_async() (its failure is fine: the loop retries) before mqtt_loop_start().
 *
 * Errors: 0 or a negative errno (-ENOMEM, -EINVAL when libmosquitto refuses threaded mode,
 * pthread_create's). It puts the client in threaded mode (mosquitto_threaded_set): other
 * threads may publish and disconnect while the loop runs.
 */
#ifndef OPENSPHERE_MQTT_MQTT_LOOP_H
#define OPENSPHERE_MQTT_MQTT_LOOP_H

#include <mosquitto.h>

struct mqtt_loop;

int mqtt_loop_start(struct mosquitto *m, struct mqtt_loop **out);
/* Disconnects, ends the thread (waking it from a wait), frees. NULL is allowed. The client
 * itself stays the caller's. */
void mqtt_loop_stop(struct mqtt_loop *l);

#endif
