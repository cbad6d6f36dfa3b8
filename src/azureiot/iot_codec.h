/* SPDX-License-Identifier: MIT */
/*
 * iot_codec.h — the pure parts of the Azure IoT client (no I/O; unit-tested and fuzzed):
 * percent-encoding, property bags, the IoT Hub and DPS topics and the DPS response body.
 *
 * Topics on the wire are IoT Hub's and DPS's own: $iothub/twin/…, $iothub/methods/… and
 * $dps/registrations/… carry no device ID, the hub scopes them by the connection. Behind the
 * stand-in's broker plugin (src/iothubplugin) the service sees them as internal per-device
 * topics, the device ID put in as the second level ($iothub/<id>/twin/…, $dps/<id>/…);
 * iot_topic_scope/iot_topic_unscope convert between the two forms (the stand-in's side only;
 * the device client uses the IoT Hub form). Everything else works on the IoT Hub form.
 *
 * Errors: 0 or a negative errno (-EINVAL malformed input, -ENOMEM).
 */
#ifndef OPENSPHERE_AZUREIOT_IOT_CODEC_H
#define OPENSPHERE_AZUREIOT_IOT_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#define IOT_MAX_TOPIC 1024

/* Appends the percent-encoding of s (every byte but A-Z a-z 0-9 ! ( ) * - . _, lower-case hex)
 * to out[*len..cap). -ENOSPC when it does not fit. */
int iot_url_encode(const char *s, char *out, size_t cap, size_t *len);
/* Decodes in[0..n) into out (cap ≥ n + 1, NUL-terminated): %XX in either case; a '%' not
 * followed by two hex digits, or %00, is -EINVAL. */
int iot_url_decode(const char *in, size_t n, char *out, size_t cap);

/* "$iothub/<rest>" → "$iothub/<id>/<rest>" (likewise "$dps/"); other topics are copied. */
int iot_topic_scope(const char *topic, const char *id, char *out, size_t cap);
/* The inverse: a pointer into a static-free buffer out; -EINVAL when the scope is another ID. */
int iot_topic_unscope(const char *wire, const char *id, char *out, size_t cap);

/* The decimal number after `key` ("$rid=", "$version=", "retry-after=") in the topic's query
 * (digits up to the first non-digit), or -EINVAL when missing. At most 2^31-1. */
long iot_topic_number(const char *topic, const char *key);
/* The status of "$iothub/twin/res/<status>/…", "$iothub/methods/res/<status>/…" or
 * "$dps/registrations/res/<status>/…" after `prefix`; may be negative; -EINVAL otherwise
 * (returned through *status, the function returns 0 or -EINVAL). */
int iot_topic_status(const char *topic, const char *prefix, int *status);
/* "$iothub/methods/POST/<name>/?$rid=<rid>" → name and rid (copied, NUL-terminated). */
int iot_method_topic(const char *topic, char *name, size_t name_cap, char *rid, size_t rid_cap);

/* A property bag "k=v&k2=v2" (URL-decoded when `decode`): calls fn for each pair with a
 * non-empty value; stops at fn's first non-zero return, which it returns. */
typedef int (*iot_pair_fn)(void *ctx, const char *key, const char *value);
int iot_property_bag(const char *bag, bool decode, iot_pair_fn fn, void *ctx);

/* A DPS response body. */
enum iot_dps_state { IOT_DPS_ASSIGNING, IOT_DPS_ASSIGNED, IOT_DPS_FAILED, IOT_DPS_DISABLED, IOT_DPS_BLACKLISTED };
struct iot_dps_reply {
    enum iot_dps_state state;
    char operation_id[128];
    char assigned_hub[256];
    char device_id[256];
    long error_code; /* registrationState.errorCode, 0 if none */
};
/* Parses body[0..len): -EINVAL when it is not a JSON object. A body without "status" is
 * FAILED (as upstream); "assigned" without assignedHub or deviceId is -EBADMSG. */
int iot_dps_parse(const char *body, size_t len, struct iot_dps_reply *out);

#endif
