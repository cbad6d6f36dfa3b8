/* SPDX-License-Identifier: MIT */
/* rest_net.h — the device REST API's /net/interfaces[/{name}], /net/status and /net/proxy
 * (rest_net.c; device_rest_api.yaml; docs/netconfig.md). Handlers have rest.c's route
 * signature; each fills r working on the device's network configuration (netcfg_device.h). */
#ifndef OPENSPHERE_REST_NET_H
#define OPENSPHERE_REST_NET_H

#include "device.h"
#include "json.h"

struct request;

#define REST_NET_HANDLER(name)                                                                                         \
    void name(struct device *d, const struct auth *a, const char *param, const struct json_value *json,                \
              const struct request *req, struct device_result *r)
REST_NET_HANDLER(rest_net_interfaces);      /* GET /net/interfaces */
REST_NET_HANDLER(rest_net_interface);       /* GET /net/interfaces/{name}: 404 unknown */
REST_NET_HANDLER(rest_net_interface_patch); /* PATCH /net/interfaces/{name}: hardwareAddress, interfaceUp */
REST_NET_HANDLER(rest_net_status);          /* GET /net/status */
REST_NET_HANDLER(rest_net_proxy);           /* GET /net/proxy ({} when none) */
REST_NET_HANDLER(rest_net_proxy_set);       /* POST /net/proxy */
REST_NET_HANDLER(rest_net_proxy_delete);    /* DELETE /net/proxy */
REST_NET_HANDLER(rest_net_time_sync);       /* POST /sim/time/sync: sync now, then as GET /sim/time */
REST_NET_HANDLER(rest_net_time);            /* GET /sim/time: the device clock and NTP settings */

#endif
