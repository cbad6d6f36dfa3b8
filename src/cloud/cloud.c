/* SPDX-License-Identifier: MIT */
/*
 * cloud.c — the cloud service itself (see cloud.h, docs/cloud.md): opening it (keys, store, the
 * twin and OTA parts, tenants), authenticating each request by its API token, and routing it to
 * the handler groups (cloud_fleet.c, cloud_deploy.c, cloudtwin.c, cloud_ota.c). The handlers
 * answer in the response; nothing they call calls back into this file (cloud_int.h).
 */
#include "cloud_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "cloud_ota.h"
#include "cloud_rollout.h"
#include "cloud_otatwin.h"
#include "cloudtwin.h"
#include "hostio.h"
#include "path.h"
#include "signing.h"

#define DEVICE_CA_FILE "security-service.ca.pem" /* deviceauth_issue.h: the CA of every deviceauth.pem */

/* ---- authentication ----------------------------------------------------------------------- */

static bool authenticate_token(struct cloud_call *x);

/* A device by its certificate alone (mutual TLS): its tenant from the devices table. */
static bool authenticate_device_cert(struct cloud_call *x)
{
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT tenant_id FROM devices WHERE id = $1", PARAMS(x->rq->device_cert), &r);
    if (err) {
        cloud_call_store_failed(x, err);
        return false;
    }
    bool found = r.nrows == 1;
    if (found) {
        snprintf(x->tenant, sizeof x->tenant, "%s", clouddb_cell(&r, 0, 0));
        x->kind = 'd';
        snprintf(x->subject, sizeof x->subject, "%s", x->rq->device_cert);
    }
    clouddb_rows_free(&r);
    if (found)
        cloud_access_note_device_cert(x);
    if (!found)
        cloud_call_fail(x, 401, "unknown-device", "the device certificate names a device no tenant knows (deleted, or never provisioned)");
    return found;
}

/* After x's token was accepted: a device's token with a certificate, or alone. */
static bool device_credentials(struct cloud_call *x)
{
    /* A token and a certificate must name the same device: a device's token with another
     * device's certificate is refused. */
    if (x->rq->device_cert && x->kind == 'd' && strcmp(x->subject, x->rq->device_cert) != 0) {
        memset(x->tenant, 0, sizeof x->tenant), memset(x->subject, 0, sizeof x->subject), x->kind = 0;
        cloud_call_fail(x, 401, "certificate-mismatch", "the device certificate names another device than the token");
        return false;
    }
    if (x->kind == 'd' && x->rq->device_cert)
        cloud_access_note_device_cert(x);
    else if (x->kind == 'd') /* a device token alone: refused once the device has shown its certificate */
        return cloud_access_device_token_allowed(x);
    return true;
}

static bool authenticate(struct cloud_call *x)
{
    if (x->rq->device_cert_refused) {
        cloud_call_fail(x, 401, "untrusted-certificate", "the client certificate is not a valid device certificate "
                                                         "(not issued by the device CA, expired, or not for client authentication)");
        return false;
    }
    if (x->rq->device_cert && !x->rq->authorization)
        return authenticate_device_cert(x);
    return authenticate_token(x) && device_credentials(x);
}

/* The hash the store keeps of the token in Authorization header h (cloud_token_parse accepted it). */
static void token_hash(const char *h, char hash[65])
{
    if (!strncmp(h, "Bearer ", 7))
        h += 7;
    cloud_sha256_hex(h, strlen(h), hash);
}

/* x authenticated by r, the rows of CLOUD_TOKEN_SQL for its token, at time `now`: false after
 * answering 401 (unknown or expired). Takes r. */
static bool token_from_rows(struct cloud_call *x, struct clouddb_rows *r, long long now)
{
    bool found = r->nrows == 1;
    if (found && clouddb_cell(r, 0, 3) && strtoll(clouddb_cell(r, 0, 3), NULL, 10) <= now) {
        clouddb_rows_free(r);
        cloud_call_fail(x, 401, "token-expired", "the API token has expired; ask another user of the tenant for a new one");
        return false;
    }
    if (found) {
        snprintf(x->tenant, sizeof x->tenant, "%s", clouddb_cell(r, 0, 0));
        x->kind = clouddb_cell(r, 0, 1)[0];
        snprintf(x->subject, sizeof x->subject, "%s", clouddb_cell(r, 0, 2));
        x->cert_seen_known = x->kind == 'd';
        snprintf(x->cert_seen, sizeof x->cert_seen, "%s", clouddb_cell(r, 0, 4) ? clouddb_cell(r, 0, 4) : "");
    }
    clouddb_rows_free(r);
    if (!found)
        cloud_call_fail(x, 401, "unauthenticated", "the API token is not valid (revoked, or for another server)");
    return found;
}

static bool authenticate_token(struct cloud_call *x)
{
    char kind = 0;
    const char *h = x->rq->authorization;
    if (!cloud_token_parse(h, &kind)) {
        cloud_call_fail(x, 401, "unauthenticated", h ? "the Authorization header is not an OpenSphere API token"
                                                     : "this request needs an API token (Authorization: Bearer os1....)");
        return false;
    }
    char hash[65];
    token_hash(h, hash);
    struct clouddb_rows r;
    /* With a device's token comes its certificate record (cloud_access.c): one round trip, not two. */
    int err = cloud_call_query(x, CLOUD_TOKEN_SQL, PARAMS(hash), &r);
    if (err) {
        cloud_call_store_failed(x, err);
        return false;
    }
    return token_from_rows(x, &r, (long long)time(NULL));
}

static bool need(struct cloud_call *x, char kind)
{
    if (x->kind == kind)
        return true;
    cloud_call_fail(x, 403, "forbidden", kind == 'u' ? "this request needs a user's token, not a device's"
                                                     : "this request needs a device's token, not a user's");
    return false;
}

/* A device's check-in with a token (POST /v1/device/checkin) to PostgreSQL: the token looked up
 * in the same round trip as the check-in (cloud_deploy_checkin_send, whose write takes effect only
 * for a token that passes the checks below, made there in SQL), then authenticated exactly as by
 * authenticate, at the same time `now`. False when x is not such a request (or its body not a
 * check-in), or the store is SQLite, where there is no round trip to save and the token-keyed
 * statements cost more than looking the token up first: route it as any other. */
static bool route_checkin(struct cloud_call *x)
{
    const struct cloud_request *rq = x->rq;
    char kind = 0, hash[65], now[24];
    if (!(x->nseg == 3 && cloud_call_is(x, 1, "device") && cloud_call_is(x, 2, "checkin") && cloud_call_method(x, "POST")) ||
        !clouddb_batch_saves_round_trips(x->s->db) || rq->headers_only || rq->device_cert_refused ||
        !cloud_token_parse(rq->authorization, &kind))
        return false;
    token_hash(rq->authorization, hash);
    cloud_now_text(now);
    struct cloud_checkin_batch b;
    int err = cloud_deploy_checkin_send(x, hash, now, &b);
    if (err == -EINVAL)
        return false;
    if (err)
        cloud_call_store_failed(x, err);
    else if (token_from_rows(x, &b.token, strtoll(now, NULL, 10)) && device_credentials(x) && need(x, 'd'))
        cloud_deploy_checkin_answer(x, &b);
    cloud_deploy_checkin_discard(&b); /* what answer did not take */
    return true;
}

/* ---- tenants (at start-up) ---------------------------------------------------------------- */

static int ensure_tenant(struct cloud *s, struct clouddb_conn *c, const char *name, char *why, size_t why_size)
{
    struct cloud_call x = {.s = s, .c = c};
    struct clouddb_rows r;
    int err = cloud_call_query(&x, "SELECT id FROM tenants WHERE name = $1", PARAMS(name), &r);
    bool exists = !err && r.nrows > 0;
    clouddb_rows_free(&r);
    if (err || exists)
        return err;
    char tid[GUID_TEXT_LEN + 1], uid[GUID_TEXT_LEN + 1], now[24], token[72], hash[65]; /* token + "\n" */
    cloud_now_text(now);
    err = cloud_new_id(tid);
    err = err ? err : cloud_new_id(uid);
    err = err ? err : cloud_new_token('u', token, hash);
    if (err) {
        snprintf(why, why_size, "cannot create tenant '%s': no random bytes for its IDs: %s", name, strerror(-err));
        return err;
    }
    err = clouddb_begin(c);
    err = err ? err : cloud_call_query(&x, "INSERT INTO tenants (id, name, created) VALUES ($1, $2, $3)", PARAMS(tid, name, now), NULL);
    err = err ? err : cloud_call_query(&x, "INSERT INTO users (id, tenant_id, name, created) VALUES ($1, $2, 'owner', $3)", PARAMS(uid, tid, now), NULL);
    err = err ? err : cloud_call_query(&x, "INSERT INTO tokens (hash, tenant_id, kind, subject, created) VALUES ($1, $2, 'u', $3, $4)",
                                       PARAMS(hash, tid, uid, now), NULL);
    char *dir = path_join(s->data_dir, "tokens"), file[4096];
    snprintf(file, sizeof file, "%s/%s.token", dir ? dir : ".", name);
    err = err ? err : hostio_make_dirs(dir, 0700);
    strcat(token, "\n");
    err = err ? err : hostio_write_file_atomic(file, token, strlen(token), 0600);
    err = err ? err : clouddb_commit(c);
    if (err) {
        clouddb_rollback(c);
        snprintf(why, why_size, "cannot create tenant '%s': %s", name, clouddb_last_error(c));
    }
    free(dir);
    return err;
}

/* ---- open / close ------------------------------------------------------------------------- */

static int load_key(const char *dir, const char *name, struct signing_key **out, char *why, size_t why_size)
{
    char kp[4096], cp[4096], *k = NULL, *c = NULL;
    size_t kl = 0, cl = 0;
    snprintf(kp, sizeof kp, "%s/%s.key.pem", dir, name);
    snprintf(cp, sizeof cp, "%s/%s.cert.pem", dir, name);
    int err = hostio_read_file(kp, &k, &kl);
    err = err ? err : hostio_read_file(cp, &c, &cl);
    err = err ? err : signing_key_load(k, kl, c, cl, out);
    if (err)
        snprintf(why, why_size, "cannot load the %s key %s: %s", name, kp, strerror(-err));
    free(k), free(c);
    return err;
}

static int add_cert(struct keystore *ks, const char *dir, const char *file, enum signing_trust trust, const char *name)
{
    char *p = path_join(dir, file), *pem = NULL;
    size_t len = 0;
    int err = p ? hostio_read_file(p, &pem, &len) : -ENOMEM;
    err = err ? err : keystore_add_cert(ks, pem, len, trust, name);
    free(p), free(pem);
    return err;
}

int cloud_open(const struct cloud_config *cfg, struct cloud **out, char *why, size_t why_size)
{
    *out = NULL;
    struct cloud *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->data_dir = strdup(cfg->data_dir);
    s->device_token_fallback = cfg->device_token_fallback;
    s->blob_dir = path_join(cfg->data_dir, "blobs");
    int err = s->data_dir && s->blob_dir ? hostio_make_dirs(s->blob_dir, 0700) : -ENOMEM;
    if (err)
        snprintf(why, why_size, "cannot create %s: %s", cfg->data_dir, strerror(-err));
    err = err ? err : load_key(cfg->keys_dir, "production", &s->production, why, why_size);
    err = err ? err : load_key(cfg->keys_dir, "security-service", &s->security, why, why_size);
    err = err ? err : keystore_new(&s->upload_keys);
    if (!err && (err = add_cert(s->upload_keys, cfg->keys_dir, "production.cert.pem", SIGNING_TRUST_PRODUCTION, "production")) == 0)
        err = add_cert(s->upload_keys, cfg->keys_dir, "sdk-signing.cert.pem", SIGNING_TRUST_SDK, "SDK");
    if (err && !why[0])
        snprintf(why, why_size, "cannot load the certificates in %s: %s", cfg->keys_dir, strerror(-err));
    if (!err) { /* device certificates (docs/security.md): optional, like the device CA itself */
        char *ca = path_join(cfg->keys_dir, DEVICE_CA_FILE);
        size_t len = 0;
        if (!ca || hostio_read_file(ca, &s->device_ca, &len) != 0)
            s->device_ca = NULL;
        free(ca);
    }
    err = err ? err : clouddb_open(cfg->data_dir, cfg->db_url, &s->db, why, why_size);
    if (!err && (err = cloud_twin_open(s->db, cfg->data_dir, &s->twin)) != 0)
        snprintf(why, why_size, "cannot set up the device twin: %s", strerror(-err));
    err = err ? err : cloud_ota_open(s->db, cfg->data_dir, cfg->keys_dir, &s->ota, why, why_size);
    if (!err) {
        cloud_otatwin_install(s->twin, s->ota);
        cloud_ota_set_gate(s->ota, cloud_rollout_ota_gate, s); /* staged OTA rollouts */
        cloud_ota_on_report(s->ota, cloud_rollout_ota_report, s); /* ... count a device's outcome when it reports */
        if ((err = cloud_rollout_resync_start(s)) != 0)
            snprintf(why, why_size, "cannot start the rollouts' twin resync: %s", strerror(-err));
    }
    if (!err) {
        struct clouddb_conn *c = clouddb_acquire(s->db);
        if ((err = cloud_rollout_schema(c)) != 0)
            snprintf(why, why_size, "cannot create the rollout tables: %s", clouddb_last_error(c));
        if (!err && (err = cloud_access_schema(c)) != 0)
            snprintf(why, why_size, "cannot create the device certificate table: %s", clouddb_last_error(c));
        for (size_t i = 0; !err && i < (cfg->tenant_count ? cfg->tenant_count : 1); i++) {
            const char *name = cfg->tenant_count ? cfg->tenants[i] : "default";
            if (!cloud_valid_name(name) || strchr(name, ' ') || name[0] == '.') {
                snprintf(why, why_size, "'%s' is not a valid tenant name", name);
                err = -EINVAL;
            } else {
                err = ensure_tenant(s, c, name, why, why_size);
            }
        }
        clouddb_release(s->db, c);
    }
    if (err) {
        cloud_close(s);
        return err;
    }
    *out = s;
    return 0;
}

void cloud_close(struct cloud *s)
{
    if (!s)
        return;
    cloud_rollout_resync_stop(s); /* it syncs twins */
    cloud_twin_close(s->twin); /* first: its MQTT thread stops before what it uses goes */
    cloud_ota_close(s->ota);
    clouddb_close(s->db);
    signing_key_free(s->production);
    signing_key_free(s->security);
    keystore_free(s->upload_keys);
    free(s->device_ca);
    free(s->data_dir), free(s->blob_dir), free(s);
}

const char *cloud_device_ca(struct cloud *s) { return s->device_ca; }

const char *cloud_backend(const struct cloud *s) { return clouddb_backend(s->db); }

struct clouddb *cloud_db(struct cloud *s) { return s->db; }

struct cloud_ota *cloud_ota(struct cloud *s) { return s->ota; }

struct cloud_twin *cloud_twin(struct cloud *s) { return s->twin; }

bool cloud_is_user_token(struct cloud *s, const char *authorization)
{
    struct cloud_response rs = {0};
    struct cloud_request rq = {.authorization = authorization};
    struct cloud_call x = {.s = s, .rq = &rq, .rs = &rs};
    x.c = clouddb_acquire(s->db);
    bool user = authenticate(&x) && x.kind == 'u';
    clouddb_release(s->db, x.c);
    cloud_response_free(&rs);
    return user;
}

/* ---- who the caller is -------------------------------------------------------------------- */

static void h_whoami(struct cloud_call *x)
{
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT name FROM tenants WHERE id = $1", PARAMS(x->tenant), &r);
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    struct json_value *o = json_new_object();
    cloud_put_str(o, "tenantId", x->tenant);
    cloud_put_str(o, "tenant", clouddb_cell(&r, 0, 0));
    cloud_put_str(o, "kind", x->kind == 'u' ? "user" : "device");
    cloud_put_str(o, "subject", x->subject);
    clouddb_rows_free(&r);
    cloud_call_reply(x, 200, o);
}

/* ---- routing ------------------------------------------------------------------------------ */

static void route_ota(struct cloud_call *x)
{
    struct cloud_ota_call call = {.conn = x->c, .tenant = x->tenant, .subject = x->subject, .rq = x->rq,
                                  .seg = x->seg, .nseg = x->nseg};
    if (x->kind == 'd')
        cloud_ota_route_device(x->s->ota, &call, x->rs);
    else
        cloud_ota_route_user(x->s->ota, &call, x->rs);
}

static void route(struct cloud_call *x)
{
    if (!(cloud_call_is(x, 0, "v1") && x->nseg >= 2)) {
        cloud_call_fail(x, 404, "no-such-endpoint", "no endpoint %s (the API is under /v1/)", x->rq->path);
        return;
    }
    if (route_checkin(x) || !authenticate(x))
        return;
    if (cloud_call_is(x, 1, "whoami") && x->nseg == 2) {
        if (cloud_call_method(x, "GET"))
            h_whoami(x);
        else
            cloud_call_not_allowed(x);
        return;
    }
    if (cloud_call_is(x, 1, "device")) {
        if (!need(x, 'd'))
            return;
        if (cloud_call_is(x, 2, "ota"))
            route_ota(x);
        else
            cloud_deploy_route_device(x);
        return;
    }
    if (!need(x, 'u'))
        return;
    if (cloud_call_is(x, 1, "ota"))
        route_ota(x);
    else if (cloud_call_is(x, 1, "images"))
        cloud_deploy_route_images(x);
    else if (cloud_call_is(x, 1, "tokens"))
        cloud_access_route_tokens(x);
    else if (cloud_call_is(x, 1, "rollouts"))
        cloud_rollout_route(x);
    else if (((cloud_call_is(x, 1, "devices") && x->nseg == 4) || (cloud_call_is(x, 1, "device-groups") && (x->nseg == 4 || x->nseg == 5))) &&
             cloud_call_is(x, x->nseg - 1, "update-now") && cloud_call_method(x, "POST"))
        cloud_rollout_update_now(x);
    else if (cloud_call_is(x, 1, "devices") && x->nseg == 4 && cloud_call_is(x, 3, "update-explanation") &&
             cloud_call_method(x, "GET"))
        cloud_rollout_explain(x, x->seg[2]);
    else if (cloud_call_is(x, 1, "iot"))
        cloud_iot_route(x);
    else
        cloud_fleet_route(x);
}

void cloud_handle(struct cloud *s, const struct cloud_request *rq, struct cloud_response *rs)
{
    memset(rs, 0, sizeof *rs);
    struct cloud_call x = {.s = s, .rq = rq, .rs = rs};
    char path[1024];
    if (strlen(rq->path) >= sizeof path) {
        cloud_call_fail(&x, 414, "path-too-long", "the path is too long");
        return;
    }
    strcpy(path, rq->path);
    for (char *save = NULL, *t = strtok_r(path, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (x.nseg == sizeof x.seg / sizeof x.seg[0]) {
            cloud_call_fail(&x, 404, "no-such-endpoint", "no endpoint %s", rq->path);
            return;
        }
        x.seg[x.nseg++] = t;
    }
    x.c = clouddb_acquire(s->db);
    route(&x);
    cloud_access_audit(&x);
    clouddb_release(s->db, x.c);
    /* headers only: no answer means "send the body"; rs->later: the answer comes later */
    if (!rs->status && !rq->headers_only && !rs->later)
        cloud_call_store_failed(&x, -EIO);
}
