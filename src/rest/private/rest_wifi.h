/* SPDX-License-Identifier: MIT */
/* rest_wifi.h — the device REST API's /wifi/… endpoints and the simulator's /sim/wifi/aps
 * (rest_wifi.c; docs/wifi.md). Handlers have rest.c's route signature; each fills r (err +
 * detail, or body) working on the device's Wi-Fi (src/wifi/wifi_device.h). */
#ifndef OPENSPHERE_REST_WIFI_H
#define OPENSPHERE_REST_WIFI_H

#include <stddef.h>

#include "device.h"
#include "json.h"

struct request;

#define REST_WIFI_HANDLER(name)                                                                                        \
    void name(struct device *d, const struct auth *a, const char *param, const struct json_value *json,                \
              const struct request *req, struct device_result *r)
REST_WIFI_HANDLER(rest_wifi_list);        /* GET /wifi/config/networks */
REST_WIFI_HANDLER(rest_wifi_add);         /* POST /wifi/config/networks (201) */
REST_WIFI_HANDLER(rest_wifi_get);         /* GET /wifi/config/networks/{id} */
REST_WIFI_HANDLER(rest_wifi_patch);       /* PATCH /wifi/config/networks/{id} */
REST_WIFI_HANDLER(rest_wifi_delete);      /* DELETE /wifi/config/networks/{id} */
REST_WIFI_HANDLER(rest_wifi_diagnostics); /* GET /wifi/diagnostics/networks */
REST_WIFI_HANDLER(rest_wifi_diagnostic);  /* GET /wifi/diagnostics/networks/{id} */
REST_WIFI_HANDLER(rest_wifi_interface);   /* GET /wifi/interface */
REST_WIFI_HANDLER(rest_wifi_interface_patch); /* PATCH /wifi/interface */
REST_WIFI_HANDLER(rest_wifi_scan);        /* GET /wifi/scan */

/* /sim/wifi/<path>: GET aps, POST aps (an access point), DELETE aps/<ssid or bssid>. */
void rest_wifi_sim(const char *method, const char *path, const char *body, size_t len, struct device_result *r);

#endif
