/* SPDX-License-Identifier: MIT */
/*
 * twin.h — the device twin's MQTT side (docs/twin.md): the cloud service's connection to the
 * broker, as the service user, with libmosquitto's threaded loop.
 *
 * Topics (device IDs: 128 lower-case hex digits, the device's MQTT user name):
 *   opensphere/devices/<id>/twin/desired   the service publishes, QoS 1, retained; the device reads
 *   opensphere/devices/<id>/twin/reported  the device publishes; the service reads
 * Payloads on both are one JSON object of at most TWIN_MAX_JSON bytes, opaque to this module.
 *
 * Contract:
 * - twin_open() returns at once; the connection is made (and remade after any loss, every 1 to
 *   10 s) by libmosquitto's own thread. On each (re)connection the service subscribes to
 *   opensphere/devices/+/twin/reported (QoS 1) and on_connected runs, so the caller can
 *   re-publish what may have been missed.
 * - on_reported and on_connected run on that thread, one at a time; they must not call
 *   twin_close(). on_reported gets only checked messages: the device ID from a well-formed topic
 *   and a NUL-terminated JSON object of at most TWIN_MAX_JSON bytes; anything else is dropped
 *   with a line on stderr ("sphere-cloud: twin: ignored ...").
 * - twin_publish_desired() may be called from any thread.
 *
 * Errors: 0 or a negative errno: -EINVAL (bad argument: device ID, JSON), -ENOTCONN (not
 * connected to the broker right now; nothing was sent), -ENOMEM, -EIO (libmosquitto failed; the
 * reason goes to stderr or *why).
 */
#ifndef OPENSPHERE_CLOUD_TWIN_H
#define OPENSPHERE_CLOUD_TWIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capfile.h" /* DEVICE_ID_HEX */

#define TWIN_MAX_JSON 4096u
#define TWIN_TOPIC_PREFIX "opensphere/devices/"
#define TWIN_DESIRED_SUFFIX "/twin/desired"
#define TWIN_COMMANDS_SUFFIX "/commands" /* the service publishes, QoS 1, not retained (docs/rollouts.md) */
#define TWIN_REPORTED_SUFFIX "/twin/reported"
#define TWIN_REPORTED_FILTER "opensphere/devices/+/twin/reported"

struct twin;

struct twin_config {
    const char *host;      /* the broker; required */
    uint16_t port;
    const char *username;  /* the service user; required */
    const char *password;  /* required */
    const char *client_id; /* NULL: the user name */
    /* NULL: plain MQTT. Else TLS, trusting exactly this self-signed certificate (the broker is
     * the service's own child, serving the service's certificate), whatever host name it names. */
    const char *tls_pinned_cert_file;
    /* Borrowed for the twin's life. device_id and json are valid during the call only. */
    void (*on_reported)(void *ctx, const char *device_id, const char *json);
    void (*on_connected)(void *ctx, struct twin *t); /* may be NULL; t is the connected twin */
    void *ctx;
};

/* Starts the connection (see above). *out is the twin to close; why gets a sentence on failure.
 * Strings in cfg are copied. Errors: -EINVAL, -ENOMEM, -EIO. */
int twin_open(const struct twin_config *cfg, struct twin **out, char *why, size_t why_size);
/* Disconnects, stops the loop thread and frees. NULL is allowed. */
void twin_close(struct twin *t);
/* Whether the broker accepted the connection and it is up now. */
bool twin_connected(struct twin *t);
/* Waits up to timeout_ms for twin_connected(); 0 or -ETIMEDOUT. */
int twin_wait_connected(struct twin *t, unsigned timeout_ms);

/* Publishes `json` (a JSON object, ≤ TWIN_MAX_JSON bytes; NULL or "" clears the retained
 * message) to the device's desired topic, QoS 1, retained. Returns when libmosquitto has queued
 * it, not when the broker has acknowledged it. Errors: -EINVAL, -ENOTCONN, -ENOMEM, -EIO. */
int twin_publish_desired(struct twin *t, const char *device_id, const char *json);
/* Publishes a command (a JSON object) to the device's commands topic, QoS 1, not retained: only a
 * device connected now (or with a persistent session) gets it. The same errors. */
int twin_publish_command(struct twin *t, const char *device_id, const char *json);

/* ---- pure helpers (no I/O; unit-tested) ---------------------------------------------------- */

/* Whether `id` is a device ID as topics carry it: exactly 128 lower-case hex digits. */
bool twin_valid_device_id(const char *id);
/* The device ID of "opensphere/devices/<id><suffix>" into id (0), or -EINVAL. */
int twin_topic_device(const char *topic, const char *suffix, char id[DEVICE_ID_HEX + 1]);
/* Whether payload[0..len) is one JSON object of at most TWIN_MAX_JSON bytes: 0, or -EINVAL with
 * the reason in why ("not JSON", "larger than 4096 bytes", "not a JSON object"). */
int twin_check_json(const void *payload, size_t len, char *why, size_t why_size);

#endif
