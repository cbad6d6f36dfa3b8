/* SPDX-License-Identifier: MIT */
/*
 * cloud_int.h — what the cloud service's own files share (never included outside src/cloud):
 * the service's state (struct cloud), one request being handled (struct cloud_call) and the
 * helpers its handlers answer with (cloud_call.c), the parts of the service the daemon and the
 * HTTP layer reach (cloud.c), and the handler groups the router dispatches to.
 *
 * Layering (each file calls only files below it; nothing calls back up, so no cycle):
 *   cloudhttp.c      the HTTPS front end: cloud_handle, OTA uploads and blobs
 *   cloud.c          open/close, tenants, authentication, routing
 *   cloud_otatwin.c  joins cloud_ota.c and cloudtwin.c (installed by cloud.c)
 *   cloud_fleet.c    users, products, device groups, devices (cloud_fleet_route); a group's
 *                    deployments go down to cloud_deploy.c, a device's twin to cloudtwin.c
 *   cloud_deploy.c   images, deployments, check-ins and reports (cloud_deploy_*)
 *   cloud_ota.c      external-MCU OTA (cloud_ota.h)
 *   cloudtwin.c      the device twin (cloudtwin.h): its own store handle and data folder
 *   cloud_call.c     answering, queries, bodies, IDs and tokens for one request
 *   cloudreq.c       pure parsers, cloud_fail, cloud_response_free (cloud.h)
 * (cloud_db, cloud_ota and cloud_twin, the accessors below, are for cloudhttp.c and main.c; files
 * under cloud.c use x->s directly.)
 *
 * Handlers fill x->rs: a status and a body, or an error through cloud_call_fail; they never
 * return an error code. Storage is x->c, the request's store connection, held for the call.
 */
#ifndef OPENSPHERE_CLOUD_CLOUD_INT_H
#define OPENSPHERE_CLOUD_CLOUD_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "capfile.h" /* DEVICE_ID_HEX */
#include "cloud.h"
#include "clouddb.h"
#include "guid.h"
#include "json.h"

struct signing_key;
struct keystore;
struct cloud_ota;
struct cloud_twin;
struct iothub;

struct cloud {
    struct clouddb *db;
    char *data_dir;
    char *blob_dir;
    struct signing_key *production;
    struct signing_key *security;
    struct keystore *upload_keys; /* SDK and production certificates: what image uploads may be signed with */
    struct cloud_ota *ota;
    struct cloud_twin *twin; /* the device twin (cloudtwin.h) */
    char *device_ca;         /* keys_dir/security-service.ca.pem (PEM), or NULL: no device certificates */
    struct rollout_resync *rollout_resync; /* OTA rollouts' twin resyncs (cloud_rollout.c) */
    struct iothub *iot;      /* the IoT Hub stand-in (iothub_standin.h), or NULL */
    bool device_token_fallback; /* cloud_config's: token-only requests of certified devices accepted */
};

/* The parts of a service (owned by it; valid until cloud_close). */
struct clouddb *cloud_db(struct cloud *s);
struct cloud_ota *cloud_ota(struct cloud *s);
struct cloud_twin *cloud_twin(struct cloud *s);
/* The CA that issues device certificates (PEM), or NULL when the keys folder has none: the HTTPS
 * front end then asks for no client certificate. */
const char *cloud_device_ca(struct cloud *s);

/* One request being handled. */
struct cloud_call {
    struct cloud *s;
    struct clouddb_conn *c;
    const struct cloud_request *rq;
    struct cloud_response *rs;
    char tenant[GUID_TEXT_LEN + 1];
    char kind; /* 'u' user, 'd' device */
    char subject[DEVICE_ID_HEX + 1];
    const char *seg[8];
    size_t nseg;
    bool cert_seen_known; /* a device's token was looked up with its certificate record: */
    char cert_seen[24];   /* when it first showed its certificate ("" never), cloud_access.c */
};

/* The parameter list of clouddb_exec from literal strings: PARAMS(a, b) is "params, 2". */
#define PARAMS(...) (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)

/* ---- answering (cloud_call.c) ---------------------------------------------------------------- */

/* cloud_fail on x->rs. */
void cloud_call_fail(struct cloud_call *x, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* 500 out-of-memory for -ENOMEM, else 500 storage with the store's last error. */
void cloud_call_store_failed(struct cloud_call *x, int err);
/* 500 random-failed: the service could not get random bytes for an ID or a token (err: -EIO). */
void cloud_call_random_failed(struct cloud_call *x, int err);
/* Answers `status` with `body` (owned; NULL: 500 out-of-memory). */
void cloud_call_reply(struct cloud_call *x, unsigned status, struct json_value *body);
/* Answers a list query: on err 500 store-failed, else 200 with [row_json(r, i) for each row];
 * frees the rows either way (a failed query has none). */
void cloud_call_reply_rows(struct cloud_call *x, int err, struct clouddb_rows *r,
                           struct json_value *(*row_json)(const struct clouddb_rows *r, size_t i));
/* 405 for the request's method on its path. */
void cloud_call_not_allowed(struct cloud_call *x);
/* Whether path segment i is `s`; whether the method is m. */
bool cloud_call_is(const struct cloud_call *x, size_t i, const char *s);
bool cloud_call_method(const struct cloud_call *x, const char *m);

/* Members and items; each does nothing (freeing v) when the container is NULL (out of memory,
 * which cloud_call_reply then answers). put_str: a string or null; put_int: a decimal text as
 * an integer, or null. */
void cloud_put_str(struct json_value *o, const char *key, const char *v);
void cloud_put_int(struct json_value *o, const char *key, const char *decimal);
void cloud_put_bool(struct json_value *o, const char *key, bool v);
void cloud_put(struct json_value *o, const char *key, struct json_value *v);
void cloud_append(struct json_value *list, struct json_value *v);

/* ---- store, bodies, names (cloud_call.c) ------------------------------------------------------ */

/* clouddb_exec on the request's connection. */
int cloud_call_query(struct cloud_call *x, const char *sql, const char *const *params, size_t n, struct clouddb_rows *rows);
/* The body as a JSON object (an empty one when there is no body); NULL after answering 415/400. */
struct json_value *cloud_call_json_body(struct cloud_call *x);
/* A member that, when present and not null, must be a string: false after answering 400. */
bool cloud_call_opt_string(struct cloud_call *x, const struct json_value *o, const char *key, const char **out);
/* The string member `key`, or NULL. */
const char *cloud_jstr(const struct json_value *o, const char *key);
bool cloud_is_guid(const char *s);
/* A GUID (cloud_is_guid) in canonical lower case. */
void cloud_lower_guid(const char *in, char out[GUID_TEXT_LEN + 1]);

/* ---- IDs, tokens, time (cloud_call.c) ---------------------------------------------------------- */

/* The token whose hash is $1, with a device's certificate record (cloud_access.c): tenant_id,
 * kind, subject, expires, first_seen. cloud.c authenticates from these rows; a check-in sends it
 * in the same round trip as its own statements (cloud_deploy_checkin_send). */
#define CLOUD_TOKEN_SQL                                                                                                \
    "SELECT t.tenant_id, t.kind, t.subject, t.expires, dc.first_seen FROM tokens t LEFT JOIN device_certificates dc "  \
    "ON t.kind = 'd' AND dc.device_id = t.subject WHERE t.hash = $1"
/* In a statement sent with CLOUD_TOKEN_SQL: the subject and tenant of that token ($1 its hash). */
#define CLOUD_TOKEN_SUBJECT "(SELECT subject FROM tokens WHERE hash = $1)"
#define CLOUD_TOKEN_TENANT "(SELECT tenant_id FROM tokens WHERE hash = $1)"

/* A random (version 4) GUID. 0 or -EIO (no random bytes). */
int cloud_new_id(char out[GUID_TEXT_LEN + 1]);
/* A fresh token "os1.<kind>.<64 hex>" of `kind` ('u' or 'd') into out and its SHA-256 (hex, what the
 * store keeps) into hash. 0 or -EIO. */
int cloud_new_token(char kind, char out[71], char hash[65]);
void cloud_sha256_hex(const void *data, size_t len, char out[65]);
/* The time now, seconds since the epoch, in decimal. */
void cloud_now_text(char out[24]);

/* ---- handler groups ------------------------------------------------------------------------ */

/* cloud_fleet.c — a user's /v1/users, /v1/products..., /v1/device-groups..., /v1/devices... */
void cloud_fleet_route(struct cloud_call *x);
/* cloud_deploy.c — a user's /v1/images...; a group's deployments (group: its ID, already found
 * in the caller's tenant); a device's /v1/device/{checkin,report,images/{id}}. */
void cloud_deploy_route_images(struct cloud_call *x);
void cloud_deploy_list(struct cloud_call *x, const char *group);
void cloud_deploy_create(struct cloud_call *x, const char *group);
void cloud_deploy_route_device(struct cloud_call *x);
/* A device's check-in in one round trip with its token's lookup (cloud.c, route_checkin): send
 * runs CLOUD_TOKEN_SQL ($1 token_hash) and the check-in's statements, keyed by that token, whose
 * write takes effect only for a token that passes every check authentication makes (a device's,
 * not expired, the certificate presented (x->rq->device_cert) that token's device, or none
 * presented and none on record unless the token fallback is on), at time `now`. 0 with b->token
 * the token's rows; -EINVAL when the body is not a check-in (nothing sent, nothing answered: the
 * caller authenticates as for any request, then cloud_deploy_route_device answers 400 or 415);
 * else the store's error. Then either answer (x authenticated by b->token: x->tenant, x->subject)
 * or discard; both free b. */
struct cloud_checkin_batch {
    struct clouddb_rows token, device, newest, view;
};
int cloud_deploy_checkin_send(struct cloud_call *x, const char *token_hash, const char *now, struct cloud_checkin_batch *b);
void cloud_deploy_checkin_answer(struct cloud_call *x, struct cloud_checkin_batch *b);
void cloud_deploy_checkin_discard(struct cloud_checkin_batch *b);
/* cloud_access.c — a user's /v1/users[/{id or name}] (list, create, revoke) and /v1/tokens/revoke;
 * DELETE /v1/devices/{id} (id: normalised); the audit line of a refused request (status >= 400). */
void cloud_access_route_users(struct cloud_call *x);
void cloud_access_route_tokens(struct cloud_call *x);
void cloud_access_device_delete(struct cloud_call *x, const char *id);
void cloud_access_audit(const struct cloud_call *x);
/* Device certificates on record (cloud_access.c, docs/security.md): the table (at start-up);
 * note that device x->subject authenticated with its certificate (the first time is kept); and
 * whether x, a device authenticated by its token alone, may go on — false (401
 * certificate-required in x->rs) when that device has a certificate on record, unless the service
 * runs with the token fallback. */
int cloud_access_schema(struct clouddb_conn *c);
void cloud_access_note_device_cert(struct cloud_call *x);
bool cloud_access_device_token_allowed(struct cloud_call *x);
/* cloud_iot.c — a user's /v1/iot/... (the IoT Hub stand-in, docs/iot.md); the service's stand-in (borrowed). */
void cloud_iot_route(struct cloud_call *x);
void cloud_set_iothub(struct cloud *s, struct iothub *h);

#endif
