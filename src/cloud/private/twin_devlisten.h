/* SPDX-License-Identifier: MIT */
/*
 * twin_devlisten.h — the twin broker's device-certificate listener and the password fallback
 * switch (docs/twin.md, docs/security.md, issue 27).
 *
 * twin_devlisten_prepare() writes, before the broker starts:
 *   DATA/mqtt/devices-ca.pem   the security service's CA (device certificates must chain to it)
 *   DATA/mqtt/devices.conf     with listen "ADDR:PORT": a listener that requires a client
 *                              certificate from that CA and takes its CN (the device ID) as the
 *                              MQTT user name, so the ACL's %u patterns scope it to its own
 *                              topics; mqttbroker_start() appends it (and the service's
 *                              certfile/keyfile) to mosquitto.run.conf. listen NULL: removed.
 *   DATA/mqtt/passwd.service   with passwords false: DATA/mqtt/passwd's service-user line only;
 *                              mosquitto.run.conf then names it as the password file, so no
 *                              device can log in with a password. passwords true: removed.
 * keys_dir holds security-service.{key,cert}.pem (and security-service.ca.pem, if made).
 * Returns 0 or a negative errno, why set.
 */
#ifndef OPENSPHERE_TWIN_DEVLISTEN_H
#define OPENSPHERE_TWIN_DEVLISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqttbroker.h" /* TWIN_DEVLISTEN_CONF, TWIN_SERVICE_PASSWD: the broker reads them */

int twin_devlisten_prepare(const char *data_dir, const char *keys_dir, const char *listen, bool passwords, char *why,
                           size_t why_size);
/* The device listener's port from DATA/mqtt/devices.conf: 0, or -ENOENT when there is none. */
int twin_devlisten_port(const char *data_dir, uint16_t *port);

#endif
