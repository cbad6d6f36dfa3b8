/* SPDX-License-Identifier: MIT */
/* rest_internal.h — what rest.c shares with the endpoint files beside it (rest_diag.c …):
 * the API version every response carries, the route handler signature, and the accessors a
 * handler uses to reach the simulator's log or to answer with bytes instead of JSON. */
#ifndef OPENSPHERE_REST_INTERNAL_H
#define OPENSPHERE_REST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "json.h"

/* The newest version in device_rest_api.yaml's history (4.6.0 adds the Wi-Fi power savings
 * this device serves); sent as the REST-API-Version header of every response. */
#define REST_API_VERSION "4.6.0"
#define REST_API_VERSION_HEADER "REST-API-Version"

struct request;
struct applog;

/* ---- request checks (rest_parse.c): no connection, no device ---------------------------------- */

/* What a route takes as its body. */
enum body_kind { BODY_NONE, BODY_JSON, BODY_JSON_OPTIONAL, BODY_OCTETS, BODY_ANY };
#define REST_CAPABILITY_HEADER_MAX 8192

/* Whether `url` is route path `pattern`; a trailing '*' matches one non-empty path component,
 * which *param then points at. */
bool rest_path_matches(const char *pattern, const char *url, const char **param);
/* Whether a Content-Type header value (may be NULL) is `type`, parameters aside. */
bool rest_content_type_is(const char *content_type, const char *type);
/* Decodes an AZSPHERE-CAPABILITIES header value (standard base64, at most 8192 characters;
 * NULL or empty = none): 0 with *out (malloc'd, NULL for none) and *len, -EINVAL or -ENOMEM. */
int rest_capability_decode(const char *header, uint8_t **out, size_t *len);
/* Checks a request body for a route taking `kind`: the media type (DERR_MEDIA_TYPE), then for
 * JSON a JSON object (DERR_BAD_REQUEST), with a sentence in *why. DERR_NONE with *json (owned;
 * NULL when the route takes no JSON or an optional body is absent). */
enum deverr rest_parse_body(enum body_kind kind, const char *content_type, const char *body, size_t len,
                            struct json_value **json, const char **why);

#define REST_HANDLER(name)                                                                                             \
    void name(struct device *d, const struct auth *a, const char *param, const struct json_value *json,                \
              const struct request *req, struct device_result *r)

/* The device log the request's server serves (NULL when it has none). */
struct applog *rest_request_applog(const struct request *req);
/* Makes the answer application/octet-stream with these bytes (copied) instead of r->body.
 * 0 or -ENOMEM. */
int rest_request_reply_octets(const struct request *req, const char *data, size_t len);

/* Reads an attached.json (rest_attach.c): 0 with the address (an IPv4 address), the connection
 * path (not empty) and the pid, when all fit; else -EINVAL. */
int rest_attach_parse_claim(const char *text, size_t len, char *address, size_t address_size, char *path,
                            size_t path_size, long *pid);

/* rest_diag.c */
REST_HANDLER(rest_log_get);             /* GET /log (octets) */
REST_HANDLER(rest_telemetry_get);       /* GET /telemetry (octets) */
REST_HANDLER(rest_telemetry_delete);    /* DELETE /telemetry */
REST_HANDLER(rest_firewall_rulesets);   /* GET /net/firewall/rulesets; runs without the device lock */

#endif
