/* SPDX-License-Identifier: MIT */
/* rest_internal.h — what rest.c shares with the endpoint files beside it (rest_diag.c …):
 * the API version every response carries, the route handler signature, and the accessors a
 * handler uses to reach the simulator's log or to answer with bytes instead of JSON. */
#ifndef OPENSPHERE_REST_INTERNAL_H
#define OPENSPHERE_REST_INTERNAL_H

#include <stddef.h>

#include "device.h"
#include "json.h"

/* The newest version in device_rest_api.yaml's history (4.6.0 adds the Wi-Fi power savings
 * this device serves); sent as the REST-API-Version header of every response. */
#define REST_API_VERSION "4.6.0"
#define REST_API_VERSION_HEADER "REST-API-Version"

struct request;
struct applog;

#define REST_HANDLER(name)                                                                                             \
    void name(struct device *d, const struct auth *a, const char *param, const struct json_value *json,                \
              const struct request *req, struct device_result *r)

/* The device log the request's server serves (NULL when it has none). */
struct applog *rest_request_applog(const struct request *req);
/* Makes the answer application/octet-stream with these bytes (copied) instead of r->body.
 * 0 or -ENOMEM. */
int rest_request_reply_octets(const struct request *req, const char *data, size_t len);

/* rest_diag.c */
REST_HANDLER(rest_log_get);             /* GET /log (octets) */
REST_HANDLER(rest_telemetry_get);       /* GET /telemetry (octets) */
REST_HANDLER(rest_telemetry_delete);    /* DELETE /telemetry */
REST_HANDLER(rest_firewall_rulesets);   /* GET /net/firewall/rulesets; runs without the device lock */

#endif
