/* SPDX-License-Identifier: MIT */
/*
 * cloud_access.c — the credential lifecycle of a tenant (docs/security.md, "Credential
 * lifecycle"; docs/cloud.md): users listed, created (their token may expire) and revoked; a token
 * revoked by its value; a device deleted — its token, its broker password (the broker reloads
 * and drops its session) and its twin go, its claim record is kept in deleted_devices — and the
 * audit log: every refused request, and every revocation, is written to the service's log
 * (stderr) with who asked and what for. Tokens are never logged.
 *
 * Contract: cloud_access_route_users/_tokens answer /v1/users[/{ref}] and /v1/tokens/revoke for
 * an authenticated user, cloud_access_device_delete DELETE /v1/devices/{id}; all scoped to
 * x->tenant on x->c. cloud_access_audit logs x's answer if it was a refusal (status >= 400).
 *
 * Device certificates on record: the first time a device authenticates with its certificate
 * (alone or beside its token) the service records it (device_certificates, logged); from then on
 * a request with that device's token but without the certificate is refused (401
 * certificate-required, in the audit log with the device and the endpoint) — a stolen token is
 * no use without the device's key. `sphere cloud serve --device-token-fallback on` accepts the
 * token alone again (fleets going back to tokens). Devices that never showed a certificate keep
 * the token as their credential. Deleting a device forgets its record.
 */
#include "cloud_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudtwin.h"

#define MAX_EXPIRY_SECONDS (10LL * 366 * 24 * 3600) /* ten years */

/* ---- the audit log -------------------------------------------------------------------------- */

static void describe_caller(const struct cloud_call *x, char *out, size_t size)
{
    if (!x->kind)
        snprintf(out, size, "an unauthenticated caller");
    else if (x->kind == 'u')
        snprintf(out, size, "user %.36s of tenant %.36s", x->subject, x->tenant);
    else
        snprintf(out, size, "device %.16s... of tenant %.36s", x->subject, x->tenant);
}

void cloud_access_audit(const struct cloud_call *x)
{
    if (x->rs->status < 400)
        return;
    const struct json_value *e = x->rs->json ? json_object_get(x->rs->json, "error") : NULL;
    const char *code = e ? cloud_jstr(e, "code") : NULL;
    char who[192];
    describe_caller(x, who, sizeof who);
    fprintf(stderr, "sphere-cloud: audit: refused %s %.200s (%u %s) to %s\n", x->rq->method ? x->rq->method : "?",
            x->rq->path ? x->rq->path : "?", x->rs->status, code ? code : "-", who);
}

static void audit_action(const struct cloud_call *x, const char *what, const char *object)
{
    char who[192];
    describe_caller(x, who, sizeof who);
    fprintf(stderr, "sphere-cloud: audit: %s %s %s\n", who, what, object);
}

/* ---- device certificates on record ----------------------------------------------------------- */

int cloud_access_schema(struct clouddb_conn *c)
{
    return clouddb_exec(c, "CREATE TABLE IF NOT EXISTS device_certificates (device_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL,"
                           "  first_seen BIGINT NOT NULL)",
                        NULL, 0, NULL);
}

/* The time device x->subject first authenticated with its certificate into first_seen ("" when
 * never). 0 or the store's error. */
static int device_cert_first_seen(struct cloud_call *x, char first_seen[24])
{
    if (x->cert_seen_known) { /* read with the device's token */
        snprintf(first_seen, 24, "%s", x->cert_seen);
        return 0;
    }
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT first_seen FROM device_certificates WHERE device_id = $1", PARAMS(x->subject), &r);
    if (err)
        return err;
    snprintf(first_seen, 24, "%s", r.nrows == 1 && clouddb_cell(&r, 0, 0) ? clouddb_cell(&r, 0, 0) : "");
    clouddb_rows_free(&r);
    return 0;
}

void cloud_access_note_device_cert(struct cloud_call *x)
{
    char first_seen[24], now[24];
    int err = device_cert_first_seen(x, first_seen);
    if (!err && first_seen[0])
        return; /* on record already (the common case: no write per request) */
    cloud_now_text(now);
    err = err ? err : cloud_call_query(x, "INSERT INTO device_certificates (device_id, tenant_id, first_seen) VALUES ($1, $2, $3) "
                                  "ON CONFLICT (device_id) DO NOTHING",
                               PARAMS(x->subject, x->tenant, now), NULL);
    if (err) { /* the request itself is authenticated: the record is retried at the next one */
        fprintf(stderr, "sphere-cloud: cannot record the certificate of device %.16s...: %s\n", x->subject,
                clouddb_last_error(x->c));
        return;
    }
    audit_action(x, "presented its certificate:", x->s->device_token_fallback ? "on record (its token alone stays accepted: --device-token-fallback on)"
                                                                              : "on record, its token alone is refused from now on");
}

bool cloud_access_device_token_allowed(struct cloud_call *x)
{
    char first_seen[24];
    if (x->s->device_token_fallback)
        return true;
    int err = device_cert_first_seen(x, first_seen);
    if (err) {
        cloud_call_store_failed(x, err);
        return false;
    }
    if (!first_seen[0])
        return true; /* a token-only device */
    cloud_call_fail(x, 401, "certificate-required",
                    "device %.16s... authenticates with its device certificate (on record since %s): its token alone is "
                    "refused; present the certificate (mutual TLS), or run the service with --device-token-fallback on",
                    x->subject, first_seen);
    return false;
}

/* ---- users ---------------------------------------------------------------------------------- */

static void h_user_list(struct cloud_call *x)
{
    struct clouddb_rows r;
    int err = cloud_call_query(x,
                               "SELECT u.id, u.name, u.created, u.revoked, (SELECT COUNT(*) FROM tokens t WHERE t.kind = 'u' "
                               "AND t.subject = u.id), (SELECT MIN(t.expires) FROM tokens t WHERE t.kind = 'u' AND "
                               "t.subject = u.id) FROM users u WHERE u.tenant_id = $1 ORDER BY u.created, u.name",
                               PARAMS(x->tenant), &r);
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    struct json_value *list = json_new_array();
    for (size_t i = 0; i < r.nrows; i++) {
        struct json_value *o = json_new_object();
        cloud_put_str(o, "id", clouddb_cell(&r, i, 0));
        cloud_put_str(o, "name", clouddb_cell(&r, i, 1));
        cloud_put_int(o, "created", clouddb_cell(&r, i, 2));
        cloud_put_int(o, "revoked", clouddb_cell(&r, i, 3));
        cloud_put_int(o, "tokens", clouddb_cell(&r, i, 4));
        cloud_put_int(o, "expires", clouddb_cell(&r, i, 5));
        cloud_put_str(o, "state", clouddb_cell(&r, i, 3) ? "revoked" : "active");
        cloud_append(list, o);
    }
    clouddb_rows_free(&r);
    cloud_call_reply(x, 200, list);
}

/* "expiresInSeconds": absent or null (never), else 1 .. ten years. false after answering 400. */
static bool parse_expiry(struct cloud_call *x, const struct json_value *b, char out[24])
{
    const struct json_value *v = json_object_get(b, "expiresInSeconds");
    out[0] = '\0';
    if (!v || v->type == JSON_NULL)
        return true;
    if (v->type != JSON_NUMBER || !v->u.number.is_integer || v->u.number.integer < 1 || v->u.number.integer > MAX_EXPIRY_SECONDS) {
        cloud_call_fail(x, 400, "bad-expiry", "\"expiresInSeconds\" must be a whole number of seconds from 1 to %lld",
                        MAX_EXPIRY_SECONDS);
        return false;
    }
    char now[24];
    cloud_now_text(now);
    snprintf(out, 24, "%lld", strtoll(now, NULL, 10) + (long long)v->u.number.integer);
    return true;
}

static void h_user_create(struct cloud_call *x)
{
    struct json_value *b = cloud_call_json_body(x);
    if (!b)
        return;
    const char *name = cloud_jstr(b, "name");
    char expires[24];
    if (!name || !cloud_valid_name(name)) {
        json_free(b);
        cloud_call_fail(x, 400, "bad-name", "a user needs a \"name\" of 1-50 printable characters without '/'");
        return;
    }
    if (!parse_expiry(x, b, expires)) {
        json_free(b);
        return;
    }
    char uid[GUID_TEXT_LEN + 1], now[24], token[71], hash[65];
    cloud_now_text(now);
    int err = cloud_new_id(uid);
    err = err ? err : cloud_new_token('u', token, hash);
    if (err) {
        json_free(b);
        cloud_call_random_failed(x, err);
        return;
    }
    err = clouddb_begin(x->c);
    err = err ? err : cloud_call_query(x, "INSERT INTO users (id, tenant_id, name, created) VALUES ($1, $2, $3, $4)", PARAMS(uid, x->tenant, name, now), NULL);
    err = err ? err : cloud_call_query(x, "INSERT INTO tokens (hash, tenant_id, kind, subject, created, expires) VALUES ($1, $2, 'u', $3, $4, $5)",
                                       PARAMS(hash, x->tenant, uid, now, expires[0] ? expires : NULL), NULL);
    err = err ? err : clouddb_commit(x->c);
    if (err) {
        clouddb_rollback(x->c);
        if (err == -EEXIST)
            cloud_call_fail(x, 409, "user-exists", "a user called '%s' already exists", name);
        else
            cloud_call_store_failed(x, err);
        json_free(b);
        return;
    }
    struct json_value *o = json_new_object();
    cloud_put_str(o, "id", uid);
    cloud_put_str(o, "name", name);
    cloud_put_str(o, "token", token);
    cloud_put_int(o, "expires", expires[0] ? expires : NULL);
    audit_action(x, "created user", name);
    json_free(b);
    memset(token, 0, sizeof token);
    cloud_call_reply(x, 201, o);
}

/* The tenant's user by ID or name; false after answering 404 (or 500). */
static bool find_user(struct cloud_call *x, const char *ref, char id[GUID_TEXT_LEN + 1], char name[64], bool *revoked)
{
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT id, name, revoked FROM users WHERE tenant_id = $1 AND (id = $2 OR name = $2)",
                               PARAMS(x->tenant, ref), &r);
    if (err) {
        cloud_call_store_failed(x, err);
        return false;
    }
    bool found = r.nrows == 1;
    if (found) {
        snprintf(id, GUID_TEXT_LEN + 1, "%s", clouddb_cell(&r, 0, 0));
        snprintf(name, 64, "%s", clouddb_cell(&r, 0, 1));
        *revoked = clouddb_cell(&r, 0, 2) != NULL;
    }
    clouddb_rows_free(&r);
    if (!found)
        cloud_call_fail(x, 404, "unknown-user", "there is no user '%.60s' in this tenant", ref);
    return found;
}

static void h_user_revoke(struct cloud_call *x, const char *ref)
{
    char id[GUID_TEXT_LEN + 1], name[64], now[24];
    bool revoked = false;
    if (!find_user(x, ref, id, name, &revoked))
        return;
    if (!strcmp(id, x->subject)) {
        cloud_call_fail(x, 409, "cannot-revoke-self", "a user cannot revoke itself; ask another user of the tenant");
        return;
    }
    if (revoked) {
        cloud_call_fail(x, 409, "already-revoked", "user '%s' is revoked already", name);
        return;
    }
    cloud_now_text(now);
    int err = clouddb_begin(x->c);
    err = err ? err : cloud_call_query(x, "UPDATE users SET revoked = $2 WHERE id = $1", PARAMS(id, now), NULL);
    err = err ? err : cloud_call_query(x, "DELETE FROM tokens WHERE kind = 'u' AND subject = $1", PARAMS(id), NULL);
    err = err ? err : clouddb_commit(x->c);
    if (err) {
        clouddb_rollback(x->c);
        cloud_call_store_failed(x, err);
        return;
    }
    audit_action(x, "revoked user", name);
    struct json_value *o = json_new_object();
    cloud_put_str(o, "id", id);
    cloud_put_str(o, "name", name);
    cloud_put_str(o, "state", "revoked");
    cloud_put_int(o, "revoked", now);
    cloud_call_reply(x, 200, o);
}

void cloud_access_route_users(struct cloud_call *x)
{
    if (x->nseg == 2 && cloud_call_method(x, "GET"))
        h_user_list(x);
    else if (x->nseg == 2 && cloud_call_method(x, "POST"))
        h_user_create(x);
    else if (x->nseg == 3 && cloud_call_method(x, "DELETE"))
        h_user_revoke(x, x->seg[2]);
    else if (x->nseg <= 3)
        cloud_call_not_allowed(x);
    else
        cloud_call_fail(x, 404, "no-such-endpoint", "no endpoint %s", x->rq->path);
}

/* ---- tokens --------------------------------------------------------------------------------- */

static void h_token_revoke(struct cloud_call *x)
{
    struct json_value *b = cloud_call_json_body(x);
    if (!b)
        return;
    const char *token = cloud_jstr(b, "token");
    char kind = 0, hash[65];
    if (!token || !cloud_token_parse(token, &kind)) {
        json_free(b);
        cloud_call_fail(x, 400, "bad-token", "\"token\" must be an OpenSphere API token (os1.u.… or os1.d.…)");
        return;
    }
    cloud_sha256_hex(token, strlen(token), hash);
    json_free(b);
    struct clouddb_rows r;
    int err = clouddb_begin(x->c);
    err = err ? err : cloud_call_query(x, "SELECT kind, subject FROM tokens WHERE hash = $1 AND tenant_id = $2", PARAMS(hash, x->tenant), &r);
    if (err) {
        clouddb_rollback(x->c);
        cloud_call_store_failed(x, err);
        return;
    }
    char subject[DEVICE_ID_HEX + 1] = "", what[16] = "";
    if (r.nrows == 1) {
        snprintf(what, sizeof what, "%s", clouddb_cell(&r, 0, 0)[0] == 'u' ? "user" : "device");
        snprintf(subject, sizeof subject, "%s", clouddb_cell(&r, 0, 1));
    }
    clouddb_rows_free(&r);
    if (!subject[0]) {
        clouddb_rollback(x->c);
        cloud_call_fail(x, 404, "unknown-token", "that token is not a live token of this tenant (revoked, expired or never issued)");
        return;
    }
    err = cloud_call_query(x, "DELETE FROM tokens WHERE hash = $1", PARAMS(hash), NULL);
    err = err ? err : clouddb_commit(x->c);
    if (err) {
        clouddb_rollback(x->c);
        cloud_call_store_failed(x, err);
        return;
    }
    char object[DEVICE_ID_HEX + 32];
    snprintf(object, sizeof object, "a token of %s %.40s", what, subject);
    audit_action(x, "revoked", object);
    struct json_value *o = json_new_object();
    cloud_put_str(o, "kind", what);
    cloud_put_str(o, "subject", subject);
    cloud_put_bool(o, "revoked", true);
    cloud_call_reply(x, 200, o);
}

void cloud_access_route_tokens(struct cloud_call *x)
{
    if (x->nseg == 3 && cloud_call_is(x, 2, "revoke")) {
        if (cloud_call_method(x, "POST"))
            h_token_revoke(x);
        else
            cloud_call_not_allowed(x);
        return;
    }
    cloud_call_fail(x, 404, "no-such-endpoint", "no endpoint %s", x->rq->path);
}

/* ---- devices -------------------------------------------------------------------------------- */

void cloud_access_device_delete(struct cloud_call *x, const char *id)
{
    char now[24];
    struct clouddb_rows r;
    cloud_now_text(now);
    int err = clouddb_begin(x->c);
    err = err ? err : cloud_call_query(x, "SELECT claimed, group_id FROM devices WHERE id = $1 AND tenant_id = $2", PARAMS(id, x->tenant), &r);
    if (err) {
        clouddb_rollback(x->c);
        cloud_call_store_failed(x, err);
        return;
    }
    bool found = r.nrows == 1;
    char claimed[8] = "0", group[GUID_TEXT_LEN + 1] = "";
    if (found) {
        snprintf(claimed, sizeof claimed, "%s", clouddb_cell(&r, 0, 0));
        snprintf(group, sizeof group, "%s", clouddb_cell(&r, 0, 1) ? clouddb_cell(&r, 0, 1) : "");
    }
    clouddb_rows_free(&r);
    if (!found) { /* another tenant's device is answered the same way: its existence does not leak */
        clouddb_rollback(x->c);
        cloud_call_fail(x, 404, "unknown-device", "device %.16s... is not in this tenant", id);
        return;
    }
    char who[192];
    describe_caller(x, who, sizeof who);
    err = cloud_call_query(x, "INSERT INTO deleted_devices (id, tenant_id, claimed, group_id, deleted, deleted_by) VALUES ($1, $2, $3, $4, $5, $6)",
                           PARAMS(id, x->tenant, claimed, group[0] ? group : NULL, now, who), NULL);
    err = err ? err : cloud_call_query(x, "DELETE FROM tokens WHERE kind = 'd' AND subject = $1", PARAMS(id), NULL);
    err = err ? err : cloud_call_query(x, "DELETE FROM device_tags WHERE device_id = $1", PARAMS(id), NULL);
    err = err ? err : cloud_call_query(x, "DELETE FROM ota_reports WHERE device_id = $1", PARAMS(id), NULL);
    err = err ? err : cloud_call_query(x, "DELETE FROM device_certificates WHERE device_id = $1", PARAMS(id), NULL);
    bool reloaded = false;
    int twin_err = err ? 0 : cloud_twin_forget_device(cloud_twin(x->s), x->c, id, &reloaded);
    err = err ? err : cloud_call_query(x, "DELETE FROM devices WHERE id = $1", PARAMS(id), NULL);
    err = err || twin_err ? err : clouddb_commit(x->c);
    if (err || twin_err) {
        clouddb_rollback(x->c);
        if (twin_err && !err)
            cloud_call_fail(x, 500, "device-delete-failed", "cannot remove device %.16s...'s twin or broker password: %s", id,
                            strerror(-twin_err));
        else
            cloud_call_store_failed(x, err);
        return;
    }
    char object[DEVICE_ID_HEX + 16];
    snprintf(object, sizeof object, "device %s", id);
    audit_action(x, "deleted", object);
    struct json_value *o = json_new_object();
    cloud_put_str(o, "deviceId", id);
    cloud_put_bool(o, "deleted", true);
    cloud_put_bool(o, "brokerReloaded", reloaded);
    cloud_put_bool(o, "claimRecordKept", true);
    cloud_call_reply(x, 200, o);
}
