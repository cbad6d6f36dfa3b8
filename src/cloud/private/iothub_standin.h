/* SPDX-License-Identifier: MIT */
/*
 * iothub_standin.h — the IoT Hub and Device Provisioning Service stand-in inside the cloud service
 * (docs/iot.md). Devices speak IoT Hub's device MQTT protocol to the cloud's mosquitto on a
 * listener of their own (require_certificate, use_identity_as_username, use_username_as_clientid:
 * the device certificate's CN is the device's MQTT identity; the broker plugin, src/iothubplugin,
 * keeps every device to its own topics). The service, connected as its own MQTT user, answers twin GET/PATCH, records
 * telemetry for monitor-events, sends C2D messages and desired-property notifications, runs
 * direct methods and DPS registrations. Twin documents live in the cloud's store (table
 * iot_twins, created on start: same SQL for SQLite and PostgreSQL).
 *
 * Devices speak IoT Hub's own topics ($iothub/twin/…, $iothub/methods/…, $dps/registrations/…,
 * scoped by the connection); the broker plugin maps them to and from the internal topics the
 * service uses, the device ID as their second level: $iothub/<id>/twin/…, $iothub/<id>/methods/…,
 * $dps/<id>/registrations/… (docs/iot.md, "The broker plugin").
 *
 * Threads: the MQTT side runs on its own thread (mqtt_loop.h); every other function may be
 * called from any thread (HTTP handlers). Errors: 0 or a negative errno; -ENOTCONN when the
 * broker is not reachable now, -ETIMEDOUT when a method got no answer in time.
 */
#ifndef OPENSPHERE_CLOUD_IOTHUB_H
#define OPENSPHERE_CLOUD_IOTHUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct clouddb;
struct json_value;
struct iothub;

#define IOTHUB_DEFAULT_HOST "opensphere-hub.azure-devices.net"
#define IOTHUB_DPS_HOST "global.azure-devices-provisioning.net"
#define IOTHUB_RING 4096 /* telemetry events kept for monitor-events */

/* Writes DATA/mqtt/iothub.conf (the device listener on listen "ADDR:PORT", appended to the
 * broker's configuration at start), DATA/mqtt/iothub-ca.pem (the security service's CA: device
 * certificates must chain to it) and a server certificate DATA/mqtt/iothub.{cert,key}.pem for
 * hub_host, the DPS host name, localhost and the listen address, issued by that CA (so devices,
 * which hold the CA beside their own certificate, trust it). keys_dir: security-service.*.pem.
 * The listener loads the broker plugin opensphere-iothub.so (beside this program, or
 * $OPENSPHERE_IOTHUB_PLUGIN; -ENOENT when missing), which gives devices IoT Hub's real topics and
 * maps them to the internal per-device topics the service uses ($iothub/<ID>/…, $dps/<ID>/…). */
int iothub_prepare(const char *data_dir, const char *keys_dir, const char *listen, const char *hub_host, char *why,
                   size_t why_size);
/* iothub_prepare also adds the stand-in's block to DATA/mqtt/acl (the service's topics; the
 * devices' are the plugin's), between marker lines; iothub_unprepare removes DATA/mqtt/iothub.conf and that block
 * (a service started without the stand-in). */
void iothub_unprepare(const char *data_dir);

/* Creates the table (if missing) and connects to the broker in data_dir/mqtt as the service
 * user, over TLS pinned to tls_cert_file. Returns once connected or after 10 s (it keeps trying). */
int iothub_start(struct clouddb *db, const char *data_dir, const char *tls_cert_file, const char *hub_host,
                 struct iothub **out, char *why, size_t why_size);
void iothub_stop(struct iothub *h);
const char *iothub_host(const struct iothub *h);

/* The twin as the operator sees it: {"deviceId","properties":{"desired":{…,"$version"},"reported":{…,"$version"}}}. */
int iothub_twin_get(struct iothub *h, const char *device_id, struct json_value **out);
/* Merges `patch` (a JSON object; null deletes) into the desired properties, bumps $version and
 * notifies the device. *version gets the new version. */
int iothub_twin_update_desired(struct iothub *h, const char *device_id, const struct json_value *patch, long *version);
/* Direct methods answered later, holding no thread: publishes the call and returns (0, *op
 * names it for iothub_cancel), or fails at once (-EINVAL a bad name, the broker's error) without calling `done`.
 * `done` is called exactly once, from another thread and under the hub's lock (it must not call
 * back into the hub): err 0 with the device's status and payload (JSON text, taken; NULL when
 * none), -ETIMEDOUT after timeout_s, or -ESHUTDOWN from iothub_fail_waiting / iothub_stop;
 * `method` and `timeout_s` are the call's own. iothub_cancel(op) drops a call or poll that has
 * not ended; once it returns, its `done` is not running and never will. */
#define IOTHUB_METHOD_MAX 255
typedef void iothub_method_done(void *cls, int err, int status, char *payload, const char *method, unsigned timeout_s);
int iothub_invoke_async(struct iothub *h, const char *device_id, const char *method, const char *payload_json,
                        unsigned timeout_s, iothub_method_done *done, void *cls, uint64_t *op);
void iothub_cancel(struct iothub *h, uint64_t op);
/* Ends every waiting asynchronous call with -ESHUTDOWN and every parked event poll with what it
 * has (before the HTTP side stops). */
void iothub_fail_waiting(struct iothub *h);
/* Sends a C2D message (QoS 1; queued by the broker while the device is away). props: a JSON object
 * of strings or NULL; content_encoding may be NULL. *message_id gets the ID (37 bytes). */
int iothub_c2d_send(struct iothub *h, const char *device_id, const char *data, const struct json_value *props,
                    const char *content_encoding, char message_id[40]);
/* Telemetry events with sequence > after (of device_id, or every device when NULL), at most max,
 * as a JSON array; next is the sequence to ask after next time. When events are there already,
 * or wait_s is 0, *out gets the array and *next (*op 0, `done` never called). Otherwise the poll
 * is parked, holding no thread (*op names it for iothub_cancel)
 * and `done` is called once, under the hub's lock, from another thread: err 0 with the array
 * text (not taken) and next, when a matching event comes or after wait_s (then an empty array). */
typedef void iothub_events_done(void *cls, int err, const char *json_array, uint64_t next);
int iothub_events_async(struct iothub *h, const char *device_id, uint64_t after, unsigned wait_s, size_t max,
                        iothub_events_done *done, void *cls, struct strbuf *out, uint64_t *next, uint64_t *op);

/* ---- pure helpers (iothub_doc.c; unit-tested and fuzzed) ---------------------------------- */

/* Merges patch into target (both JSON objects): members of patch replace target's, objects
 * merge recursively, null deletes, names starting with '$' are skipped. */
int iothub_merge(struct json_value *target, const struct json_value *patch);
/* stored (a JSON object as text, NULL for {}) merged with patch[0..len) → *out (malloc'd compact
 * JSON text). -EINVAL when the patch is not a JSON object (or stored is not one). */
int iothub_apply_patch(const char *stored, const void *patch, size_t len, char **out);
/* {"desired":{…,"$version":dv},"reported":{…,"$version":rv}} from the stored texts. */
int iothub_device_document(const char *desired, long dv, const char *reported, long rv, struct strbuf *out);
/* A telemetry event as monitor-events shows it: {"seq","deviceId","enqueuedTime",
 * "properties":{application},"systemProperties":{…},"payload"} from the topic's property bag
 * (after ".../messages/events/") and the payload (a JSON value when it parses, else a string). */
int iothub_event_json(uint64_t seq, const char *device_id, const char *bag, const void *payload, size_t len, time_t when,
                      struct strbuf *out);

#endif
