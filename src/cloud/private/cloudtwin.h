/* SPDX-License-Identifier: MIT */
/*
 * cloudtwin.h — the device twin inside the cloud service (docs/twin.md): the desired and reported
 * state of each device in the store (table device_twin), the MQTT side (twin.h) and the broker
 * (mqttbroker.h), and the HTTP endpoints:
 *
 *   GET  /v1/devices/{id}/twin               user  {"deviceId","desired","reported","desiredUpdated","reportedUpdated"}
 *   PUT  /v1/devices/{id}/twin/desired       user  body: a JSON object ≤ 4 KiB; stores and publishes it
 *   POST /v1/devices/{id}/mqtt-credentials   user  a new MQTT password for the device (the old one stops working)
 *
 * The device must be known to the caller's tenant (provisioned with POST /v1/devices/{id}/token
 * or claimed); otherwise 404 no-such-device, as for another tenant's device.
 *
 * Threads: cloud_twin_sync* and cloud_twin_set_desired may be called from any thread.
 * Reported states arrive on libmosquitto's thread and are stored with a connection from the pool.
 *
 * Errors: 0 or a negative errno: -EINVAL (bad device ID or JSON), -ENOENT (device unknown),
 * -ENOMEM, -EIO (store), and what desired_for returns.
 */
#ifndef OPENSPHERE_CLOUD_CLOUDTWIN_H
#define OPENSPHERE_CLOUD_CLOUDTWIN_H

#include <stdbool.h>
#include <stddef.h>

#include "cloudreq.h"

struct clouddb;
struct clouddb_conn;
struct cloud_twin;

/* Creates the twin's state over the service's store `db` (borrowed: it must outlive the twin) and
 * data folder (copied; DATA/mqtt/ has the broker's files, service.secret and passwd). Nothing is
 * started: without cloud_twin_mqtt_start the endpoints still work, nothing is published and
 * mqtt-credentials is refused (409 mqtt-not-configured). 0 or -ENOMEM. */
int cloud_twin_open(struct clouddb *db, const char *data_dir, struct cloud_twin **out);
/* Stops MQTT (cloud_twin_mqtt_stop) and frees. NULL is allowed. */
void cloud_twin_close(struct cloud_twin *t);

struct cloud_mqtt_config {
    const char *broker;   /* "HOST:PORT" of a broker that is already running, or NULL: start
                             mosquitto -c DATA/mqtt/mosquitto.conf as a child */
    /* The service's TLS certificate and key (PEM files). With them the child broker listens with
     * TLS only, the service's own client trusts exactly that certificate, and device credentials
     * say "tls": true. Ignored with `broker` (an external broker: plain MQTT). */
    const char *tls_cert_file, *tls_key_file;
};

/* Starts the broker (unless cfg->broker) and connects to it as the service user. Returns once the
 * connection is up, or after 10 s with a line on stderr (the client keeps retrying). -EALREADY
 * when started; other errors with a sentence in why. */
int cloud_twin_mqtt_start(struct cloud_twin *t, const struct cloud_mqtt_config *cfg, char *why, size_t why_size);
/* Disconnects and stops the broker child, if any. Idempotent; cloud_twin_close (so cloud_close)
 * calls it too. Call it after the HTTP front end has stopped. */
void cloud_twin_mqtt_stop(struct cloud_twin *t);

/*
 * The hook another module provides: the desired state of a device. On 0, *json_out is a
 * malloc'd JSON object (≤ 4 KiB; freed by the caller) or NULL for "nothing desired" (the stored
 * desired state and the retained message are cleared). A negative errno is passed back by
 * cloud_twin_sync, which then changes nothing. Called on the thread that calls cloud_twin_sync.
 */
typedef int (*cloud_desired_fn)(void *ctx, const char *device_id, char **json_out);
/* Installs (or, with NULL, removes) the hook. Call before the service takes requests. */
void cloud_twin_set_desired_source(struct cloud_twin *t, cloud_desired_fn desired_for, void *ctx);

/* Another module's view of reported states: called on libmosquitto's thread after a device's
 * reported JSON (a valid object) was stored, with the store connection used for it. */
typedef void (*cloud_reported_fn)(void *ctx, struct clouddb_conn *c, const char *device_id, const char *json);
void cloud_twin_set_reported_sink(struct cloud_twin *t, cloud_reported_fn sink, void *ctx);

/* Recomputes the device's desired state through the hook, stores it and publishes it (QoS 1,
 * retained). Without a hook, re-publishes what is stored. Publishing is best effort: when the
 * broker is down the state is still stored and is published again on reconnection.
 * cloud_twin_sync takes a store connection from the pool for the call; a request handler, which
 * already holds one, calls cloud_twin_sync_conn with it instead (taking a second one can
 * deadlock the pool), after its transaction is committed (the state is published at once).
 * Inside desired_for, cloud_twin_conn() is that connection: use it rather than acquiring one. */
int cloud_twin_sync(struct cloud_twin *t, const char *device_id);
int cloud_twin_sync_conn(struct cloud_twin *t, struct clouddb_conn *c, const char *device_id);
/* The store connection of the cloud_twin_sync* call running desired_for on this thread; NULL
 * outside of one. */
struct clouddb_conn *cloud_twin_conn(void);
/* Stores `json` (a JSON object ≤ 4 KiB, or NULL to clear) as the device's desired state and
 * publishes it; what PUT .../twin/desired does. */
int cloud_twin_set_desired(struct cloud_twin *t, const char *device_id, const char *json);
/* Sends the device a command over MQTT (twin_publish_command): 0, -ENOTCONN when MQTT is not
 * started or the broker is down, -EINVAL, -EIO. Any thread. */
int cloud_twin_notify(struct cloud_twin *t, const char *device_id, const char *json);

/* Forgets a deleted device (docs/security.md, "Credential lifecycle"): deletes its twin row on c
 * (inside the caller's transaction), clears its retained desired state, removes its line from
 * DATA/mqtt/passwd and makes the broker reload, which drops a session it still holds at once.
 * *reloaded: whether our broker was told to reload (false with an external broker or none).
 * 0 or a negative errno (the store's, or the password file's). t may be NULL (no twin). */
int cloud_twin_forget_device(struct cloud_twin *t, struct clouddb_conn *c, const char *device_id, bool *reloaded);

/* For the service's router: handles /v1/devices/{id}/twin[/desired] and
 * /v1/devices/{id}/mqtt-credentials for an authenticated user of `tenant`, on connection c. Fills rs. */
void cloud_twin_route(struct cloud_twin *t, struct clouddb_conn *c, const char *tenant, const struct cloud_request *rq,
                      const char *const *seg, size_t nseg, struct cloud_response *rs);

#endif
