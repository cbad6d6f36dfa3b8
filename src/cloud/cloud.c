/* cloud.c — the cloud service's requests (see cloud.h, docs/cloud.md). */
#include "cloud.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "capfile.h"
#include "clouddb.h"
#include "cloudtwin.h"
#include "guid.h"
#include "hostio.h"
#include "imgpkg.h"
#include "ota.h"
#include "otatwin.h"
#include "path.h"
#include "signing.h"

struct cloud {
    struct clouddb *db;
    char *data_dir;
    char *blob_dir;
    struct signing_key *production;
    struct signing_key *security;
    struct keystore *upload_keys; /* SDK and production certificates: what image uploads may be signed with */
    struct cloud_ota *ota;
    struct cloud_twin *twin;      /* the device twin (cloudtwin.c); NULL until used */
};

struct clouddb *cloud_db(struct cloud *s) { return s->db; }
const char *cloud_data_dir(const struct cloud *s) { return s->data_dir; }
struct cloud_twin **cloud_twin_slot(struct cloud *s) { return &s->twin; }

/* One request being handled. */
struct ctx {
    struct cloud *s;
    struct clouddb_conn *c;
    const struct cloud_request *rq;
    struct cloud_response *rs;
    char tenant[GUID_TEXT_LEN + 1];
    char kind; /* 'u' user, 'd' device */
    char subject[DEVICE_ID_HEX + 1];
    const char *seg[8];
    size_t nseg;
};

#define PARAMS(...) (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)

static const struct {
    const char *name, *description, *app_update, *os_feed;
} default_groups[] = {
    {"Development", "Default development device group", "No3rdPartyAppUpdates", "Retail"},
    {"Field Test", "Default test device group", "UpdateAll", "Retail"},
    {"Production", "Default production device group", "UpdateAll", "Retail"},
    {"Production OS Evaluation", "Default production device group for OS evaluation", "UpdateAll", "RetailEval"},
    {"Field Test OS Evaluation", "Default test device group for OS evaluation", "UpdateAll", "RetailEval"},
};

/* ---- responses ---------------------------------------------------------------------------- */

static void fail(struct ctx *x, unsigned status, const char *code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

void cloud_fail(struct cloud_response *rs, unsigned status, const char *code, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    json_free(rs->json);
    free(rs->octets);
    rs->octets = NULL;
    rs->content_type = NULL;
    rs->status = status;
    struct json_value *o = json_new_object(), *e = json_new_object();
    if (e) {
        json_object_append(e, "code", json_new_string(code));
        json_object_append(e, "message", json_new_string(message));
    }
    if (o)
        json_object_append(o, "error", e);
    else
        json_free(e);
    rs->json = o;
}

static void fail(struct ctx *x, unsigned status, const char *code, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    cloud_fail(x->rs, status, code, "%s", message);
}

static void storage_failed(struct ctx *x, int err)
{
    if (err == -ENOMEM)
        fail(x, 500, "out-of-memory", "the service ran out of memory");
    else
        fail(x, 500, "storage", "the service's store failed: %s", x->c ? clouddb_last_error(x->c) : "");
}

static void reply(struct ctx *x, unsigned status, struct json_value *body)
{
    if (!body) {
        storage_failed(x, -ENOMEM);
        return;
    }
    x->rs->status = status;
    x->rs->json = body;
}

static struct json_value *obj(void) { return json_new_object(); }

static void put_s(struct json_value *o, const char *key, const char *v)
{
    if (o)
        json_object_append(o, key, v ? json_new_string(v) : json_new_null());
}

static void put_i(struct json_value *o, const char *key, const char *v)
{
    if (o)
        json_object_append(o, key, v ? json_new_int(strtoll(v, NULL, 10)) : json_new_null());
}

static void put_b(struct json_value *o, const char *key, bool v)
{
    if (o)
        json_object_append(o, key, json_new_bool(v));
}

static void put(struct json_value *o, const char *key, struct json_value *v)
{
    if (o)
        json_object_append(o, key, v);
    else
        json_free(v);
}

static void append(struct json_value *list, struct json_value *v)
{
    if (list)
        json_array_append(list, v);
    else
        json_free(v);
}

/* ---- helpers ------------------------------------------------------------------------------ */

static void new_id(char out[GUID_TEXT_LEN + 1])
{
    struct guid g;
    RAND_bytes(g.bytes, sizeof g.bytes);
    g.bytes[6] = (uint8_t)((g.bytes[6] & 0x0f) | 0x40);
    g.bytes[8] = (uint8_t)((g.bytes[8] & 0x3f) | 0x80);
    guid_format(&g, out);
}

static void now_text(char out[24]) { snprintf(out, 24, "%lld", (long long)time(NULL)); }

static void hex(const uint8_t *data, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", data[i]);
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
    uint8_t md[32];
    unsigned n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    hex(md, 32, out);
}

/* A fresh token of `kind` ('u' or 'd') into out[71] and its hash into hash[65]. */
static void new_token(char kind, char out[71], char hash[65])
{
    uint8_t raw[32];
    RAND_bytes(raw, sizeof raw);
    snprintf(out, 7, "os1.%c.", kind);
    hex(raw, sizeof raw, out + 6);
    sha256_hex(out, strlen(out), hash);
}

static int q(struct ctx *x, const char *sql, const char *const *params, size_t n, struct clouddb_rows *rows)
{
    return clouddb_exec(x->c, sql, params, n, rows);
}

static bool is_guid(const char *s)
{
    struct guid g;
    return s && guid_parse(s, &g) == 0;
}

static void lower_guid(const char *in, char out[GUID_TEXT_LEN + 1])
{
    struct guid g;
    guid_parse(in, &g);
    guid_format(&g, out);
}

/* Device IDs: 128 hex digits; stored lower-case. */
static bool device_id_norm(const char *in, char out[DEVICE_ID_HEX + 1])
{
    uint8_t id[DEVICE_ID_BYTES];
    if (!in || device_id_parse(in, id) != 0)
        return false;
    device_id_format(id, out);
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return true;
}

static struct json_value *parse_json_body(struct ctx *x)
{
    const struct cloud_request *rq = x->rq;
    if (rq->body_len == 0)
        return obj();
    if (!rq->content_type || strncasecmp(rq->content_type, "application/json", 16) != 0) {
        fail(x, 415, "media-type", "this endpoint takes application/json");
        return NULL;
    }
    struct json_value *root = NULL;
    struct diag_list diags = {0};
    int err = rq->body_len > CLOUD_MAX_JSON ? -EINVAL : json_parse((const char *)rq->body, rq->body_len, NULL, "request", &diags, &root);
    bool bad = err || diag_error_count(&diags) || root->type != JSON_OBJECT;
    diag_list_free(&diags);
    if (bad) {
        json_free(root);
        fail(x, 400, "bad-json", "the body is not a JSON object");
        return NULL;
    }
    return root;
}

static const char *jstr(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_STRING ? v->u.string.chars : NULL;
}

/* A field that, when present, must be a string. */
static bool opt_string(struct ctx *x, const struct json_value *o, const char *key, const char **out)
{
    const struct json_value *v = json_object_get(o, key);
    *out = NULL;
    if (!v || v->type == JSON_NULL)
        return true;
    if (v->type != JSON_STRING) {
        fail(x, 400, "bad-field", "\"%s\" must be a string", key);
        return false;
    }
    *out = v->u.string.chars;
    return true;
}

/* ---- authentication ----------------------------------------------------------------------- */

static bool authenticate(struct ctx *x)
{
    char kind = 0;
    const char *h = x->rq->authorization;
    if (!cloud_token_parse(h, &kind)) {
        fail(x, 401, "unauthenticated", h ? "the Authorization header is not an OpenSphere API token"
                                          : "this request needs an API token (Authorization: Bearer os1....)");
        return false;
    }
    if (!strncmp(h, "Bearer ", 7))
        h += 7;
    char hash[65];
    sha256_hex(h, strlen(h), hash);
    struct clouddb_rows r;
    int err = q(x, "SELECT tenant_id, kind, subject FROM tokens WHERE hash = $1", PARAMS(hash), &r);
    if (err) {
        storage_failed(x, err);
        return false;
    }
    bool found = r.nrows == 1;
    if (found) {
        snprintf(x->tenant, sizeof x->tenant, "%s", clouddb_cell(&r, 0, 0));
        x->kind = clouddb_cell(&r, 0, 1)[0];
        snprintf(x->subject, sizeof x->subject, "%s", clouddb_cell(&r, 0, 2));
    }
    clouddb_rows_free(&r);
    if (!found)
        fail(x, 401, "unauthenticated", "the API token is not valid (revoked, or for another server)");
    return found;
}

static bool need(struct ctx *x, char kind)
{
    if (x->kind == kind)
        return true;
    fail(x, 403, "forbidden", kind == 'u' ? "this request needs a user's token, not a device's"
                                          : "this request needs a device's token, not a user's");
    return false;
}

/* ---- tenants (at start-up) ---------------------------------------------------------------- */

static int ensure_tenant(struct cloud *s, struct clouddb_conn *c, const char *name, char *why, size_t why_size)
{
    struct ctx x = {.s = s, .c = c};
    struct clouddb_rows r;
    int err = q(&x, "SELECT id FROM tenants WHERE name = $1", PARAMS(name), &r);
    bool exists = !err && r.nrows > 0;
    clouddb_rows_free(&r);
    if (err || exists)
        return err;
    char tid[GUID_TEXT_LEN + 1], uid[GUID_TEXT_LEN + 1], now[24], token[72], hash[65]; /* token + "\n" */
    new_id(tid), new_id(uid), now_text(now), new_token('u', token, hash);
    err = clouddb_begin(c);
    err = err ? err : q(&x, "INSERT INTO tenants (id, name, created) VALUES ($1, $2, $3)", PARAMS(tid, name, now), NULL);
    err = err ? err : q(&x, "INSERT INTO users (id, tenant_id, name, created) VALUES ($1, $2, 'owner', $3)", PARAMS(uid, tid, now), NULL);
    err = err ? err : q(&x, "INSERT INTO tokens (hash, tenant_id, kind, subject, created) VALUES ($1, $2, 'u', $3, $4)",
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
    err = err ? err : clouddb_open(cfg->data_dir, cfg->db_url, &s->db, why, why_size);
    err = err ? err : cloud_ota_open(s->db, cfg->data_dir, cfg->keys_dir, &s->ota, why, why_size);
    if (!err)
        cloud_otatwin_install(s);
    if (!err) {
        struct clouddb_conn *c = clouddb_acquire(s->db);
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
    cloud_ota_close(s->ota);
    cloud_mqtt_stop(s);
    clouddb_close(s->db);
    signing_key_free(s->production);
    signing_key_free(s->security);
    keystore_free(s->upload_keys);
    free(s->data_dir), free(s->blob_dir), free(s);
}

const char *cloud_backend(const struct cloud *s) { return clouddb_backend(s->db); }

struct cloud_ota *cloud_ota(struct cloud *s) { return s->ota; }

bool cloud_is_user_token(struct cloud *s, const char *authorization)
{
    struct cloud_response rs = {0};
    struct cloud_request rq = {.authorization = authorization};
    struct ctx x = {.s = s, .rq = &rq, .rs = &rs};
    x.c = clouddb_acquire(s->db);
    bool user = authenticate(&x) && x.kind == 'u';
    clouddb_release(s->db, x.c);
    cloud_response_free(&rs);
    return user;
}

void cloud_response_free(struct cloud_response *rs)
{
    json_free(rs->json);
    free(rs->octets);
    memset(rs, 0, sizeof *rs);
}

/* ---- users -------------------------------------------------------------------------------- */

static void h_whoami(struct ctx *x)
{
    struct clouddb_rows r;
    int err = q(x, "SELECT name FROM tenants WHERE id = $1", PARAMS(x->tenant), &r);
    if (err)
        return storage_failed(x, err);
    struct json_value *o = obj();
    put_s(o, "tenantId", x->tenant);
    put_s(o, "tenant", clouddb_cell(&r, 0, 0));
    put_s(o, "kind", x->kind == 'u' ? "user" : "device");
    put_s(o, "subject", x->subject);
    clouddb_rows_free(&r);
    reply(x, 200, o);
}

static void h_user_create(struct ctx *x)
{
    struct json_value *b = parse_json_body(x);
    if (!b)
        return;
    const char *name = jstr(b, "name");
    if (!name || !cloud_valid_name(name)) {
        json_free(b);
        return fail(x, 400, "bad-name", "a user needs a \"name\" of 1-50 printable characters without '/'");
    }
    char uid[GUID_TEXT_LEN + 1], now[24], token[71], hash[65];
    new_id(uid), now_text(now), new_token('u', token, hash);
    int err = clouddb_begin(x->c);
    err = err ? err : q(x, "INSERT INTO users (id, tenant_id, name, created) VALUES ($1, $2, $3, $4)", PARAMS(uid, x->tenant, name, now), NULL);
    err = err ? err : q(x, "INSERT INTO tokens (hash, tenant_id, kind, subject, created) VALUES ($1, $2, 'u', $3, $4)",
                        PARAMS(hash, x->tenant, uid, now), NULL);
    err = err ? err : clouddb_commit(x->c);
    if (err) {
        clouddb_rollback(x->c);
        json_free(b);
        return err == -EEXIST ? fail(x, 409, "user-exists", "a user called '%s' already exists", name) : storage_failed(x, err);
    }
    struct json_value *o = obj();
    put_s(o, "id", uid);
    put_s(o, "name", name);
    put_s(o, "token", token);
    json_free(b);
    reply(x, 201, o);
}

/* ---- products and device groups ----------------------------------------------------------- */

static struct json_value *product_json(const struct clouddb_rows *r, size_t i)
{
    struct json_value *o = obj();
    put_s(o, "id", clouddb_cell(r, i, 0));
    put_s(o, "name", clouddb_cell(r, i, 1));
    put_s(o, "description", clouddb_cell(r, i, 2));
    return o;
}

#define PRODUCT_COLUMNS "id, name, description"

/* After a query for one object's ID: copies it, or reports 404 `code` or the storage error. */
static bool take_id(struct ctx *x, int err, struct clouddb_rows *r, char id[GUID_TEXT_LEN + 1], const char *code,
                    const char *what, const char *name)
{
    bool found = !err && r->nrows == 1;
    if (err)
        storage_failed(x, err);
    else if (found)
        snprintf(id, GUID_TEXT_LEN + 1, "%s", clouddb_cell(r, 0, 0));
    else
        fail(x, 404, code, "there is no %s '%s'", what, name);
    clouddb_rows_free(r);
    return found;
}

/* Finds the caller's product called `name` (or with that ID); 404 otherwise. */
static bool find_product(struct ctx *x, const char *name, char id[GUID_TEXT_LEN + 1])
{
    struct clouddb_rows r;
    int err = q(x, "SELECT id FROM products WHERE tenant_id = $1 AND (name = $2 OR id = $2)", PARAMS(x->tenant, name), &r);
    return take_id(x, err, &r, id, "unknown-product", "product", name);
}

static int insert_default_groups(struct ctx *x, const char *product)
{
    int err = 0;
    for (size_t i = 0; !err && i < sizeof default_groups / sizeof default_groups[0]; i++) {
        char gid[GUID_TEXT_LEN + 1];
        new_id(gid);
        err = q(x, "INSERT INTO device_groups (id, tenant_id, product_id, name, description, app_update, os_feed) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                PARAMS(gid, x->tenant, product, default_groups[i].name, default_groups[i].description,
                       default_groups[i].app_update, default_groups[i].os_feed), NULL);
    }
    return err;
}

static void h_product_create(struct ctx *x)
{
    struct json_value *b = parse_json_body(x);
    if (!b)
        return;
    const char *name = jstr(b, "name"), *desc = NULL;
    const struct json_value *nodef = json_object_get(b, "noDefaultDeviceGroups");
    if (!name || !cloud_valid_name(name))
        fail(x, 400, "bad-name", "a product needs a \"name\" of 1-50 printable characters without '/'");
    else if (opt_string(x, b, "description", &desc) && desc && strlen(desc) > 100)
        fail(x, 400, "bad-description", "the description is longer than 100 characters");
    else if (nodef && nodef->type != JSON_BOOL)
        fail(x, 400, "bad-field", "\"noDefaultDeviceGroups\" must be true or false");
    if (x->rs->status) {
        json_free(b);
        return;
    }
    char id[GUID_TEXT_LEN + 1], now[24];
    new_id(id), now_text(now);
    int err = clouddb_begin(x->c);
    err = err ? err : q(x, "INSERT INTO products (id, tenant_id, name, description, created) VALUES ($1, $2, $3, $4, $5)",
                        PARAMS(id, x->tenant, name, desc ? desc : "", now), NULL);
    if (!err && !(nodef && nodef->u.boolean))
        err = insert_default_groups(x, id);
    err = err ? err : clouddb_commit(x->c);
    if (err) {
        clouddb_rollback(x->c);
        if (err == -EEXIST)
            fail(x, 409, "product-exists", "a product called '%s' already exists", name);
        else
            storage_failed(x, err);
    } else {
        struct json_value *o = obj();
        put_s(o, "id", id);
        put_s(o, "name", name);
        put_s(o, "description", desc ? desc : "");
        reply(x, 201, o);
    }
    json_free(b);
}

static void h_product_list(struct ctx *x)
{
    struct clouddb_rows r;
    int err = q(x, "SELECT " PRODUCT_COLUMNS " FROM products WHERE tenant_id = $1 ORDER BY name", PARAMS(x->tenant), &r);
    if (err)
        return storage_failed(x, err);
    struct json_value *list = json_new_array();
    for (size_t i = 0; i < r.nrows; i++)
        append(list, product_json(&r, i));
    clouddb_rows_free(&r);
    reply(x, 200, list);
}

static void h_product_show(struct ctx *x, const char *name)
{
    struct clouddb_rows r;
    int err = q(x, "SELECT " PRODUCT_COLUMNS " FROM products WHERE tenant_id = $1 AND (name = $2 OR id = $2)",
                PARAMS(x->tenant, name), &r);
    if (err)
        return storage_failed(x, err);
    if (r.nrows == 1)
        reply(x, 200, product_json(&r, 0));
    else
        fail(x, 404, "unknown-product", "there is no product '%s'", name);
    clouddb_rows_free(&r);
}

#define GROUP_COLUMNS "g.id, g.name, p.name, g.description, g.app_update, g.os_feed"
#define GROUP_FROM " FROM device_groups g JOIN products p ON p.id = g.product_id "

static struct json_value *group_json(const struct clouddb_rows *r, size_t i)
{
    struct json_value *o = obj();
    put_s(o, "id", clouddb_cell(r, i, 0));
    put_s(o, "name", clouddb_cell(r, i, 1));
    put_s(o, "product", clouddb_cell(r, i, 2));
    put_s(o, "description", clouddb_cell(r, i, 3));
    put_s(o, "applicationUpdate", clouddb_cell(r, i, 4));
    put_s(o, "osFeed", clouddb_cell(r, i, 5));
    return o;
}

static void group_list(struct ctx *x, const char *product)
{
    struct clouddb_rows r;
    int err = product ? q(x, "SELECT " GROUP_COLUMNS GROUP_FROM "WHERE g.tenant_id = $1 AND g.product_id = $2 ORDER BY g.name",
                          PARAMS(x->tenant, product), &r)
                      : q(x, "SELECT " GROUP_COLUMNS GROUP_FROM "WHERE g.tenant_id = $1 ORDER BY p.name, g.name",
                          PARAMS(x->tenant), &r);
    if (err)
        return storage_failed(x, err);
    struct json_value *list = json_new_array();
    for (size_t i = 0; i < r.nrows; i++)
        append(list, group_json(&r, i));
    clouddb_rows_free(&r);
    reply(x, 200, list);
}

static bool valid_policy(const char *update, const char *feed)
{
    return (!update || !strcmp(update, "UpdateAll") || !strcmp(update, "No3rdPartyAppUpdates")) &&
           (!feed || !strcmp(feed, "Retail") || !strcmp(feed, "RetailEval"));
}

static void h_group_create(struct ctx *x, const char *product_name)
{
    char product[GUID_TEXT_LEN + 1];
    if (!find_product(x, product_name, product))
        return;
    struct json_value *b = parse_json_body(x);
    if (!b)
        return;
    const char *name = jstr(b, "name"), *desc = NULL, *update = NULL, *feed = NULL;
    if (!name || !cloud_valid_name(name) || !strcmp(name, "deployments"))
        fail(x, 400, "bad-name", "a device group needs a \"name\" of 1-50 printable characters without '/'");
    else if (opt_string(x, b, "description", &desc) && opt_string(x, b, "applicationUpdate", &update) &&
             opt_string(x, b, "osFeed", &feed) && !valid_policy(update, feed))
        fail(x, 400, "bad-policy", "applicationUpdate must be UpdateAll or No3rdPartyAppUpdates; osFeed Retail or RetailEval");
    if (x->rs->status) {
        json_free(b);
        return;
    }
    char id[GUID_TEXT_LEN + 1];
    new_id(id);
    int err = q(x, "INSERT INTO device_groups (id, tenant_id, product_id, name, description, app_update, os_feed) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                PARAMS(id, x->tenant, product, name, desc ? desc : "", update ? update : "UpdateAll", feed ? feed : "Retail"),
                NULL);
    if (err == -EEXIST)
        fail(x, 409, "group-exists", "product '%s' already has a device group '%s'", product_name, name);
    else if (err)
        storage_failed(x, err);
    else {
        struct json_value *o = obj();
        put_s(o, "id", id);
        put_s(o, "name", name);
        put_s(o, "product", product_name);
        put_s(o, "description", desc ? desc : "");
        put_s(o, "applicationUpdate", update ? update : "UpdateAll");
        put_s(o, "osFeed", feed ? feed : "Retail");
        reply(x, 201, o);
    }
    json_free(b);
}

/* Resolves a group reference: its ID, or "Product/Group". */
static bool find_group(struct ctx *x, const char *ref, char id[GUID_TEXT_LEN + 1])
{
    struct clouddb_rows r;
    int err;
    const char *slash = strchr(ref, '/');
    if (slash) {
        char product[64];
        snprintf(product, sizeof product, "%.*s", (int)(slash - ref) < 63 ? (int)(slash - ref) : 63, ref);
        err = q(x, "SELECT g.id" GROUP_FROM "WHERE g.tenant_id = $1 AND p.name = $2 AND g.name = $3",
                PARAMS(x->tenant, product, slash + 1), &r);
    } else {
        err = q(x, "SELECT id FROM device_groups WHERE tenant_id = $1 AND id = $2", PARAMS(x->tenant, ref), &r);
    }
    return take_id(x, err, &r, id, "unknown-device-group", "device group (ID or PRODUCT/GROUP)", ref);
}

static void h_group_show(struct ctx *x, const char *id)
{
    struct clouddb_rows r;
    int err = q(x, "SELECT " GROUP_COLUMNS GROUP_FROM "WHERE g.tenant_id = $1 AND g.id = $2", PARAMS(x->tenant, id), &r);
    if (err)
        return storage_failed(x, err);
    reply(x, 200, group_json(&r, 0));
    clouddb_rows_free(&r);
}

static void h_group_update(struct ctx *x, const char *id)
{
    struct json_value *b = parse_json_body(x);
    if (!b)
        return;
    const char *desc = NULL, *update = NULL, *feed = NULL;
    if (opt_string(x, b, "description", &desc) && opt_string(x, b, "applicationUpdate", &update) &&
        opt_string(x, b, "osFeed", &feed) && !valid_policy(update, feed))
        fail(x, 400, "bad-policy", "applicationUpdate must be UpdateAll or No3rdPartyAppUpdates; osFeed Retail or RetailEval");
    int err = x->rs->status ? 0
                            : q(x, "UPDATE device_groups SET description = COALESCE($3, description), "
                                   "app_update = COALESCE($4, app_update), os_feed = COALESCE($5, os_feed) "
                                   "WHERE tenant_id = $1 AND id = $2",
                                PARAMS(x->tenant, id, desc, update, feed), NULL);
    json_free(b);
    if (err)
        storage_failed(x, err);
    else if (!x->rs->status)
        h_group_show(x, id);
}

/* ---- devices ------------------------------------------------------------------------------ */

/* Looks the device up: 1 the caller's, 0 unknown, -1 another tenant's; claimed/group filled. */
static int device_owner(struct ctx *x, const char *id, bool *claimed, int *err)
{
    struct clouddb_rows r;
    *err = q(x, "SELECT tenant_id, claimed FROM devices WHERE id = $1", PARAMS(id), &r);
    int who = 0;
    if (!*err && r.nrows == 1) {
        who = strcmp(clouddb_cell(&r, 0, 0), x->tenant) == 0 ? 1 : -1;
        *claimed = strcmp(clouddb_cell(&r, 0, 1), "0") != 0;
    }
    clouddb_rows_free(&r);
    return who;
}

static bool parse_device_id(struct ctx *x, const char *text, char id[DEVICE_ID_HEX + 1])
{
    if (device_id_norm(text, id))
        return true;
    fail(x, 400, "bad-device-id", "'%.40s%s' is not a device ID (128 hex digits)", text, strlen(text) > 40 ? "..." : "");
    return false;
}

static void h_device_token(struct ctx *x, const char *text)
{
    char id[DEVICE_ID_HEX + 1], now[24], token[71], hash[65];
    if (!parse_device_id(x, text, id))
        return;
    bool claimed = false;
    int err = 0, who;
    now_text(now), new_token('d', token, hash);
    err = clouddb_begin(x->c);
    who = err ? 0 : device_owner(x, id, &claimed, &err);
    if (!err && who < 0) {
        clouddb_rollback(x->c);
        return fail(x, 409, "device-other-tenant", "device %.16s... belongs to another tenant", id);
    }
    if (!err && who == 0)
        err = q(x, "INSERT INTO devices (id, tenant_id, claimed) VALUES ($1, $2, 0)", PARAMS(id, x->tenant), NULL);
    err = err ? err : q(x, "DELETE FROM tokens WHERE kind = 'd' AND subject = $1", PARAMS(id), NULL);
    err = err ? err : q(x, "INSERT INTO tokens (hash, tenant_id, kind, subject, created) VALUES ($1, $2, 'd', $3, $4)",
                        PARAMS(hash, x->tenant, id, now), NULL);
    err = err ? err : clouddb_commit(x->c);
    if (err) {
        clouddb_rollback(x->c);
        return storage_failed(x, err);
    }
    struct json_value *o = obj();
    put_s(o, "deviceId", id);
    put_s(o, "token", token);
    reply(x, 201, o);
}

static void h_device_claim(struct ctx *x, const char *text)
{
    char id[DEVICE_ID_HEX + 1], group[GUID_TEXT_LEN + 1] = "";
    if (!parse_device_id(x, text, id))
        return;
    struct json_value *b = parse_json_body(x);
    if (!b)
        return;
    const char *ref = NULL;
    if (!opt_string(x, b, "deviceGroup", &ref) || (ref && !find_group(x, ref, group))) {
        json_free(b);
        return;
    }
    json_free(b);
    bool claimed = false;
    int err = clouddb_begin(x->c), who = 0;
    who = err ? 0 : device_owner(x, id, &claimed, &err);
    if (!err && (who < 0 || claimed)) {
        clouddb_rollback(x->c);
        if (who < 0)
            return fail(x, 409, "device-other-tenant", "device %.16s... is claimed by another tenant", id);
        return fail(x, 409, "already-claimed", "device %.16s... is already claimed (claiming cannot be undone)", id);
    }
    if (!err && who == 0)
        err = q(x, "INSERT INTO devices (id, tenant_id, claimed, group_id) VALUES ($1, $2, 1, $3)",
                PARAMS(id, x->tenant, group[0] ? group : NULL), NULL);
    else if (!err)
        err = q(x, "UPDATE devices SET claimed = 1, group_id = COALESCE($2, group_id) WHERE id = $1",
                PARAMS(id, group[0] ? group : NULL), NULL);
    err = err ? err : clouddb_commit(x->c);
    if (err) {
        clouddb_rollback(x->c);
        return err == -EEXIST ? fail(x, 409, "device-other-tenant", "device %.16s... was claimed meanwhile", id)
                              : storage_failed(x, err);
    }
    struct json_value *o = obj();
    put_s(o, "deviceId", id);
    put_b(o, "claimed", true);
    reply(x, 201, o);
}

#define DEVICE_COLUMNS "d.id, d.claimed, g.id, g.name, p.name, d.os_version, d.app_development, d.last_checkin, d.reported, d.last_result"
#define DEVICE_FROM " FROM devices d LEFT JOIN device_groups g ON g.id = d.group_id LEFT JOIN products p ON p.id = g.product_id "

static struct json_value *parse_stored(const char *text)
{
    struct json_value *v = NULL;
    struct diag_list diags = {0};
    if (!text || json_parse(text, strlen(text), NULL, "stored", &diags, &v) != 0)
        v = json_new_null();
    diag_list_free(&diags);
    return v;
}

static struct json_value *device_json(struct ctx *x, const struct clouddb_rows *r, size_t i, bool full)
{
    struct json_value *o = obj();
    const char *id = clouddb_cell(r, i, 0);
    put_s(o, "deviceId", id);
    put_b(o, "claimed", strcmp(clouddb_cell(r, i, 1), "0") != 0);
    put_s(o, "deviceGroupId", clouddb_cell(r, i, 2));
    put_s(o, "deviceGroup", clouddb_cell(r, i, 3));
    put_s(o, "product", clouddb_cell(r, i, 4));
    put_s(o, "osVersion", clouddb_cell(r, i, 5));
    put_b(o, "appDevelopment", clouddb_cell(r, i, 6) && strcmp(clouddb_cell(r, i, 6), "0") != 0);
    put_i(o, "lastCheckIn", clouddb_cell(r, i, 7));
    struct clouddb_rows t;
    struct json_value *tags = json_new_array();
    if (q(x, "SELECT tag FROM device_tags WHERE device_id = $1 ORDER BY tag", PARAMS(id), &t) == 0)
        for (size_t k = 0; k < t.nrows; k++)
            append(tags, json_new_string(clouddb_cell(&t, k, 0)));
    clouddb_rows_free(&t);
    put(o, "tags", tags);
    if (full) {
        put(o, "installed", parse_stored(clouddb_cell(r, i, 8)));
        put(o, "lastResult", parse_stored(clouddb_cell(r, i, 9)));
    }
    return o;
}

static void h_device_list(struct ctx *x)
{
    struct clouddb_rows r;
    int err = q(x, "SELECT " DEVICE_COLUMNS DEVICE_FROM "WHERE d.tenant_id = $1 AND d.claimed = 1 ORDER BY d.id", PARAMS(x->tenant), &r);
    if (err)
        return storage_failed(x, err);
    struct json_value *list = json_new_array();
    for (size_t i = 0; i < r.nrows; i++)
        append(list, device_json(x, &r, i, false));
    clouddb_rows_free(&r);
    reply(x, 200, list);
}

/* The caller's claimed device; 404 for unknown or another tenant's, 409 if only provisioned. */
static bool find_claimed(struct ctx *x, const char *text, char id[DEVICE_ID_HEX + 1])
{
    if (!parse_device_id(x, text, id))
        return false;
    bool claimed = false;
    int err = 0, who = device_owner(x, id, &claimed, &err);
    if (err)
        storage_failed(x, err);
    else if (who <= 0)
        fail(x, 404, "unknown-device", "device %.16s... is not in this tenant", id);
    else if (!claimed)
        fail(x, 409, "not-claimed", "device %.16s... is not claimed; claim it first", id);
    return !err && who > 0 && claimed;
}

static void h_device_show(struct ctx *x, const char *text)
{
    char id[DEVICE_ID_HEX + 1];
    if (!find_claimed(x, text, id))
        return;
    struct clouddb_rows r;
    int err = q(x, "SELECT " DEVICE_COLUMNS DEVICE_FROM "WHERE d.id = $1", PARAMS(id), &r);
    if (err)
        return storage_failed(x, err);
    reply(x, 200, device_json(x, &r, 0, true));
    clouddb_rows_free(&r);
}

static void h_device_update(struct ctx *x, const char *text)
{
    char id[DEVICE_ID_HEX + 1], group[GUID_TEXT_LEN + 1] = "";
    if (!find_claimed(x, text, id))
        return;
    struct json_value *b = parse_json_body(x);
    if (!b)
        return;
    const struct json_value *g = json_object_get(b, "deviceGroup"), *tags = json_object_get(b, "tags");
    if (g && g->type != JSON_NULL && (g->type != JSON_STRING || !find_group(x, g->u.string.chars, group))) {
        if (!x->rs->status)
            fail(x, 400, "bad-field", "\"deviceGroup\" must be a group ID, PRODUCT/GROUP, or null");
        json_free(b);
        return;
    }
    if (tags && (tags->type != JSON_ARRAY || tags->u.array.count > 32))
        fail(x, 400, "bad-tags", "\"tags\" must be an array of at most 32 tags");
    for (size_t i = 0; tags && !x->rs->status && i < tags->u.array.count; i++) {
        const struct json_value *t = tags->u.array.items[i];
        if (t->type != JSON_STRING || !cloud_valid_name(t->u.string.chars))
            fail(x, 400, "bad-tags", "tag %zu must be 1-50 printable characters without '/'", i + 1);
    }
    if (x->rs->status) {
        json_free(b);
        return;
    }
    int err = clouddb_begin(x->c);
    if (!err && g)
        err = q(x, "UPDATE devices SET group_id = $2 WHERE id = $1", PARAMS(id, group[0] ? group : NULL), NULL);
    if (!err && tags) {
        err = q(x, "DELETE FROM device_tags WHERE device_id = $1", PARAMS(id), NULL);
        for (size_t i = 0; !err && i < tags->u.array.count; i++)
            err = q(x, "INSERT INTO device_tags (device_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    PARAMS(id, tags->u.array.items[i]->u.string.chars), NULL);
    }
    err = err ? err : clouddb_commit(x->c);
    json_free(b);
    if (err) {
        clouddb_rollback(x->c);
        return storage_failed(x, err);
    }
    if (tags) /* the tags choose the OTA deployments that target the device */
        cloud_twin_sync_conn(x->s, x->c, id);
    h_device_show(x, id);
}

static void h_device_capability(struct ctx *x, const char *text)
{
    char id[DEVICE_ID_HEX + 1];
    if (!find_claimed(x, text, id))
        return;
    struct json_value *b = parse_json_body(x);
    if (!b)
        return;
    const struct json_value *types = json_object_get(b, "types");
    uint8_t caps[4];
    size_t n = 0;
    if (types && (types->type != JSON_ARRAY || types->u.array.count > 2))
        fail(x, 400, "bad-capability", "\"types\" must be an array of at most 2 capability types");
    for (size_t i = 0; types && !x->rs->status && i < types->u.array.count; i++) {
        const struct json_value *t = types->u.array.items[i];
        const char *s = t->type == JSON_STRING ? t->u.string.chars : "";
        if (!strcasecmp(s, "appDevelopment") || !strcasecmp(s, "ApplicationDevelopment"))
            caps[n++] = CAP_ENABLE_APP_DEVELOPMENT;
        else if (!strcasecmp(s, "fieldServicing"))
            caps[n++] = CAP_ENABLE_FIELD_SERVICING;
        else
            fail(x, 400, "bad-capability", "unknown capability type '%s' (appDevelopment or fieldServicing)", s);
    }
    json_free(b);
    if (x->rs->status)
        return;
    uint8_t raw[DEVICE_ID_BYTES];
    device_id_parse(id, raw);
    int err = capfile_build(raw, caps, n, x->s->security, &x->rs->octets, &x->rs->octets_len);
    if (err)
        return fail(x, 500, "signing", "cannot sign the capability file: %s", strerror(-err));
    x->rs->status = 200;
}

/* ---- images ------------------------------------------------------------------------------- */

#define IMAGE_COLUMNS "id, component_id, name, sha256, size, temporary, beta, uploaded"

static struct json_value *image_json(const struct clouddb_rows *r, size_t i)
{
    struct json_value *o = obj();
    put_s(o, "id", clouddb_cell(r, i, 0));
    put_s(o, "componentId", clouddb_cell(r, i, 1));
    put_s(o, "name", clouddb_cell(r, i, 2));
    put_s(o, "sha256", clouddb_cell(r, i, 3));
    put_i(o, "sizeBytes", clouddb_cell(r, i, 4));
    put_b(o, "temporary", strcmp(clouddb_cell(r, i, 5), "0") != 0);
    put_b(o, "betaApis", strcmp(clouddb_cell(r, i, 6), "0") != 0);
    put_i(o, "uploaded", clouddb_cell(r, i, 7));
    put_s(o, "signedBy", "production");
    return o;
}

static bool uses_beta(const struct imgpkg *pkg)
{
    const struct imgpkg_file *mf = imgpkg_find(pkg, "app_manifest.json");
    struct json_value *m = NULL;
    struct diag_list diags = {0};
    bool beta = false;
    if (mf && json_parse((const char *)mf->data, mf->size, NULL, "app_manifest.json", &diags, &m) == 0) {
        const struct json_value *b = json_object_get(m, "TargetBetaApis");
        beta = b && b->type == JSON_STRING && b->u.string.len > 0;
    }
    diag_list_free(&diags);
    json_free(m);
    return beta;
}

/* Re-signs a verified package with the production key: same body, metadata with the production
 * thumbprint and (for --temporary) RemoveAtBoot instead of UnderDevelopment. */
static int resign(struct cloud *s, const uint8_t *data, const struct imgpkg *pkg, bool temporary, uint8_t **out, size_t *len)
{
    struct imgpkg_metadata meta = pkg->meta;
    signing_key_thumbprint(s->production, meta.thumbprint);
    meta.signing_type = IMGPKG_SIGNING_ECDSA256;
    meta.has_temporary = temporary;
    meta.temporary_flags = temporary ? IMGPKG_TEMP_REMOVE_AT_BOOT : 0;
    uint8_t *buf = malloc(pkg->body_size + 256 + 8 * IMGPKG_MAX_ABIS + IMGPKG_SIGNATURE_SIZE);
    if (!buf)
        return -ENOMEM;
    memcpy(buf, data, pkg->body_size);
    size_t n = pkg->body_size + imgpkg_write_metadata(buf + pkg->body_size, &meta);
    int err = signing_sign(s->production, buf, n, buf + n);
    if (err) {
        free(buf);
        return err;
    }
    *out = buf;
    *len = n + IMGPKG_SIGNATURE_SIZE;
    return 0;
}

static char *blob_path(struct cloud *s, const char *sha)
{
    return path_join(s->blob_dir, sha);
}

static void h_image_add(struct ctx *x)
{
    const struct cloud_request *rq = x->rq;
    if (!rq->content_type || strncasecmp(rq->content_type, "application/octet-stream", 24) != 0)
        return fail(x, 415, "media-type", "upload the image package as application/octet-stream");
    if (rq->body_len > CLOUD_MAX_IMAGE)
        return fail(x, 413, "image-too-large", "the image is %zu bytes; images are limited to 1 MiB (%u bytes)",
                    rq->body_len, CLOUD_MAX_IMAGE);
    struct imgpkg pkg;
    struct imgpkg_error perr = {0};
    if (imgpkg_parse(rq->body, rq->body_len, &pkg, &perr) != 0)
        return fail(x, 400, "invalid-image", "the image package is malformed: %s [%s]", perr.message, perr.code);
    struct keystore_match match;
    int err = keystore_verify(x->s->upload_keys, pkg.meta.thumbprint, rq->body, pkg.signed_size, pkg.signature, &match);
    char iid[GUID_TEXT_LEN + 1], cid[GUID_TEXT_LEN + 1], src[65], sha[65], now[24], size[24];
    uint8_t *signed_img = NULL;
    size_t signed_len = 0;
    if (err == -ENOKEY)
        fail(x, 400, "untrusted-signature", "the image is signed by a key this service does not know (sign it with the SDK key)");
    else if (err)
        fail(x, 400, "bad-signature", "the image's signature does not verify");
    else if (pkg.meta.image_type != IMGPKG_TYPE_APPLICATION)
        fail(x, 400, "invalid-image", "image type %u (%s) cannot be uploaded; only applications",
             pkg.meta.image_type, imgpkg_type_name(pkg.meta.image_type));
    else if (guid_is_nil(&pkg.meta.component_id) || guid_is_nil(&pkg.meta.image_id))
        fail(x, 400, "invalid-image", "the image's component ID or image ID is the nil GUID");
    else if (uses_beta(&pkg) && !rq->force)
        fail(x, 400, "beta-needs-force", "the app targets Beta APIs that may change or be removed; upload it with --force");
    else if ((err = resign(x->s, rq->body, &pkg, rq->temporary, &signed_img, &signed_len)) != 0)
        fail(x, 500, "signing", "cannot re-sign the image: %s", strerror(-err));
    if (x->rs->status) {
        imgpkg_free(&pkg);
        return;
    }
    guid_format(&pkg.meta.image_id, iid);
    guid_format(&pkg.meta.component_id, cid);
    sha256_hex(rq->body, rq->body_len, src);
    sha256_hex(signed_img, signed_len, sha);
    now_text(now);
    snprintf(size, sizeof size, "%zu", signed_len);
    const char *name = pkg.meta.name;
    struct clouddb_rows r;
    err = q(x, "SELECT " IMAGE_COLUMNS ", source_sha256 FROM images WHERE tenant_id = $1 AND id = $2", PARAMS(x->tenant, iid), &r);
    if (!err && r.nrows == 1) {
        if (!strcmp(clouddb_cell(&r, 0, 8), src))
            reply(x, 200, image_json(&r, 0)); /* the same upload again: the stored image */
        else
            fail(x, 409, "image-exists", "image %s already exists with other content; images are immutable (give the "
                                         "new build a new image ID)", iid);
        clouddb_rows_free(&r);
        free(signed_img);
        imgpkg_free(&pkg);
        return;
    }
    clouddb_rows_free(&r);
    char *blob = blob_path(x->s, sha);
    struct stat st;
    if (!err && !blob)
        err = -ENOMEM;
    if (!err && stat(blob, &st) != 0)
        err = hostio_write_file_atomic(blob, signed_img, signed_len, 0644);
    if (!err)
        err = q(x, "INSERT INTO images (tenant_id, id, component_id, name, sha256, size, temporary, beta, source_sha256, uploaded) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                PARAMS(x->tenant, iid, cid, name, sha, size, rq->temporary ? "1" : "0", uses_beta(&pkg) ? "1" : "0", src, now),
                NULL);
    if (err == -EEXIST)
        fail(x, 409, "image-exists", "image %s was uploaded meanwhile", iid);
    else if (err)
        storage_failed(x, err);
    else if (q(x, "SELECT " IMAGE_COLUMNS " FROM images WHERE tenant_id = $1 AND id = $2", PARAMS(x->tenant, iid), &r) == 0) {
        reply(x, 201, image_json(&r, 0));
        clouddb_rows_free(&r);
    } else {
        storage_failed(x, -EIO);
    }
    free(blob);
    free(signed_img);
    imgpkg_free(&pkg);
}

static void h_image_list(struct ctx *x)
{
    struct clouddb_rows r;
    int err = q(x, "SELECT " IMAGE_COLUMNS " FROM images WHERE tenant_id = $1 ORDER BY uploaded, id", PARAMS(x->tenant), &r);
    if (err)
        return storage_failed(x, err);
    struct json_value *list = json_new_array();
    for (size_t i = 0; i < r.nrows; i++)
        append(list, image_json(&r, i));
    clouddb_rows_free(&r);
    reply(x, 200, list);
}

static bool send_blob(struct ctx *x, const char *sha)
{
    char *p = blob_path(x->s, sha), *data = NULL;
    size_t len = 0;
    int err = p ? hostio_read_file(p, &data, &len) : -ENOMEM;
    free(p);
    if (err) {
        fail(x, 500, "blob-missing", "the stored image %s cannot be read: %s", sha, strerror(-err));
        return false;
    }
    x->rs->status = 200;
    x->rs->octets = (uint8_t *)data;
    x->rs->octets_len = len;
    return true;
}

static void h_image_show(struct ctx *x, const char *id, bool content)
{
    if (!is_guid(id))
        return fail(x, 400, "bad-image-id", "'%s' is not an image ID", id);
    char iid[GUID_TEXT_LEN + 1];
    lower_guid(id, iid);
    struct clouddb_rows r;
    int err = q(x, "SELECT " IMAGE_COLUMNS " FROM images WHERE tenant_id = $1 AND id = $2", PARAMS(x->tenant, iid), &r);
    if (err)
        return storage_failed(x, err);
    if (r.nrows != 1)
        fail(x, 404, "unknown-image", "there is no image %s", iid);
    else if (content)
        send_blob(x, clouddb_cell(&r, 0, 3));
    else
        reply(x, 200, image_json(&r, 0));
    clouddb_rows_free(&r);
}

/* ---- deployments -------------------------------------------------------------------------- */

static void h_deployment_list(struct ctx *x, const char *group)
{
    struct clouddb_rows r, imgs;
    int err = q(x, "SELECT id, seq, created FROM deployments WHERE tenant_id = $1 AND group_id = $2 ORDER BY seq DESC",
                PARAMS(x->tenant, group), &r);
    if (err)
        return storage_failed(x, err);
    struct json_value *list = json_new_array();
    for (size_t i = 0; i < r.nrows && !err; i++) {
        struct json_value *o = obj(), *ids = json_new_array();
        put_s(o, "id", clouddb_cell(&r, i, 0));
        put_s(o, "deviceGroupId", group);
        put_i(o, "sequence", clouddb_cell(&r, i, 1));
        put_i(o, "created", clouddb_cell(&r, i, 2));
        put_b(o, "current", i == 0);
        err = q(x, "SELECT image_id FROM deployment_images WHERE deployment_id = $1 ORDER BY image_id",
                PARAMS(clouddb_cell(&r, i, 0)), &imgs);
        for (size_t k = 0; !err && k < imgs.nrows; k++)
            append(ids, json_new_string(clouddb_cell(&imgs, k, 0)));
        clouddb_rows_free(&imgs);
        put(o, "images", ids);
        append(list, o);
    }
    clouddb_rows_free(&r);
    if (err) {
        json_free(list);
        return storage_failed(x, err);
    }
    reply(x, 200, list);
}

static void h_deployment_create(struct ctx *x, const char *group)
{
    struct json_value *b = parse_json_body(x);
    if (!b)
        return;
    const struct json_value *images = json_object_get(b, "images");
    if (!images || images->type != JSON_ARRAY || images->u.array.count > 32)
        fail(x, 400, "bad-images", "\"images\" must be an array of at most 32 image IDs (empty: remove all apps)");
    char ids[32][GUID_TEXT_LEN + 1], cids[32][GUID_TEXT_LEN + 1];
    size_t n = x->rs->status ? 0 : images->u.array.count;
    for (size_t i = 0; i < n && !x->rs->status; i++) {
        const struct json_value *v = images->u.array.items[i];
        if (v->type != JSON_STRING || !is_guid(v->u.string.chars)) {
            fail(x, 400, "bad-images", "images[%zu] is not an image ID", i);
            break;
        }
        lower_guid(v->u.string.chars, ids[i]);
        struct clouddb_rows r;
        int err = q(x, "SELECT component_id FROM images WHERE tenant_id = $1 AND id = $2", PARAMS(x->tenant, ids[i]), &r);
        if (err)
            storage_failed(x, err);
        else if (r.nrows != 1)
            fail(x, 404, "unknown-image", "there is no image %s", ids[i]);
        else
            snprintf(cids[i], sizeof cids[i], "%s", clouddb_cell(&r, 0, 0));
        clouddb_rows_free(&r);
        for (size_t k = 0; k < i && !x->rs->status; k++)
            if (!strcmp(cids[k], cids[i]))
                fail(x, 409, "duplicate-component", "images %s and %s are both component %s; a deployment holds one "
                                                    "image per component", ids[k], ids[i], cids[i]);
    }
    json_free(b);
    if (x->rs->status)
        return;
    char did[GUID_TEXT_LEN + 1], now[24];
    new_id(did), now_text(now);
    int err = -EBUSY;
    for (int attempt = 0; attempt < 8 && (err == -EBUSY || err == -EEXIST); attempt++) {
        struct clouddb_rows r;
        err = clouddb_begin(x->c);
        err = err ? err : q(x, "SELECT COALESCE(MAX(seq), 0) + 1 FROM deployments WHERE group_id = $1", PARAMS(group), &r);
        char seq[24];
        snprintf(seq, sizeof seq, "%s", err ? "0" : clouddb_cell(&r, 0, 0));
        clouddb_rows_free(&r);
        err = err ? err : q(x, "INSERT INTO deployments (id, tenant_id, group_id, seq, created) VALUES ($1, $2, $3, $4, $5)",
                            PARAMS(did, x->tenant, group, seq, now), NULL);
        for (size_t i = 0; !err && i < n; i++)
            err = q(x, "INSERT INTO deployment_images (deployment_id, image_id) VALUES ($1, $2)", PARAMS(did, ids[i]), NULL);
        err = err ? err : clouddb_commit(x->c);
        if (err)
            clouddb_rollback(x->c);
    }
    if (err)
        return storage_failed(x, err);
    struct json_value *o = obj(), *list = json_new_array();
    put_s(o, "id", did);
    put_s(o, "deviceGroupId", group);
    for (size_t i = 0; i < n; i++)
        append(list, json_new_string(ids[i]));
    put(o, "images", list);
    reply(x, 201, o);
}

/* ---- devices checking in ------------------------------------------------------------------ */

/* The device's target set: rows (image id, component id, name, sha256, size) of its group's
 * newest deployment, when its group takes application updates. *updates says whether it does. */
static int target_set(struct ctx *x, bool *updates, char *group_name, size_t gsize, struct clouddb_rows *rows)
{
    struct clouddb_rows d;
    memset(rows, 0, sizeof *rows);
    int err = q(x, "SELECT d.claimed, d.group_id, g.app_update, g.name, d.app_development FROM devices d "
                   "LEFT JOIN device_groups g ON g.id = d.group_id WHERE d.id = $1 AND d.tenant_id = $2",
                PARAMS(x->subject, x->tenant), &d);
    if (err)
        return err;
    const char *group = clouddb_cell(&d, 0, 1);
    *updates = d.nrows == 1 && strcmp(clouddb_cell(&d, 0, 0), "0") != 0 && group &&
               !strcmp(clouddb_cell(&d, 0, 2), "UpdateAll") && !strcmp(clouddb_cell(&d, 0, 4), "0");
    snprintf(group_name, gsize, "%s", clouddb_cell(&d, 0, 3) ? clouddb_cell(&d, 0, 3) : "");
    if (*updates)
        err = q(x, "SELECT i.id, i.component_id, i.name, i.sha256, i.size FROM deployment_images di "
                   "JOIN images i ON i.id = di.image_id AND i.tenant_id = $2 WHERE di.deployment_id = "
                   "(SELECT id FROM deployments WHERE group_id = $1 ORDER BY seq DESC LIMIT 1) ORDER BY i.component_id",
                PARAMS(group, x->tenant), rows);
    clouddb_rows_free(&d);
    return err;
}

static char *installed_text(const struct cloud_checkin *ci)
{
    struct json_value *list = json_new_array();
    for (size_t i = 0; i < ci->installed_count; i++) {
        struct json_value *o = obj();
        put_s(o, "componentId", ci->installed[i].component_id);
        put_s(o, "imageId", ci->installed[i].image_id);
        append(list, o);
    }
    struct strbuf sb = {0};
    if (list && json_write(list, JSON_COMPACT, &sb) != 0)
        strbuf_free(&sb);
    json_free(list);
    return strbuf_detach(&sb);
}

static bool parse_checkin(struct ctx *x, struct cloud_checkin *ci)
{
    char why[256] = "";
    if (x->rq->body_len && (!x->rq->content_type || strncasecmp(x->rq->content_type, "application/json", 16))) {
        fail(x, 415, "media-type", "this endpoint takes application/json");
        return false;
    }
    if (cloud_parse_checkin((const char *)x->rq->body, x->rq->body_len, ci, why, sizeof why) != 0) {
        fail(x, 400, "bad-checkin", "%s", why);
        return false;
    }
    return true;
}

static void h_checkin(struct ctx *x)
{
    struct cloud_checkin ci;
    if (!parse_checkin(x, &ci))
        return;
    char now[24], group[64];
    now_text(now);
    char *installed = installed_text(&ci);
    int err = q(x, "UPDATE devices SET last_checkin = $2, reported = $3, os_version = $4, app_development = $5 WHERE id = $1",
                PARAMS(x->subject, now, installed, ci.os_version[0] ? ci.os_version : NULL, ci.app_development ? "1" : "0"),
                NULL);
    free(installed);
    bool updates = false;
    struct clouddb_rows r;
    err = err ? err : target_set(x, &updates, group, sizeof group, &r);
    if (err)
        return storage_failed(x, err);
    struct json_value *o = obj(), *targets = json_new_array();
    put_s(o, "deviceGroup", group[0] ? group : NULL);
    put_b(o, "applicationUpdates", updates);
    for (size_t i = 0; i < r.nrows; i++) {
        struct json_value *t = obj();
        put_s(t, "imageId", clouddb_cell(&r, i, 0));
        put_s(t, "componentId", clouddb_cell(&r, i, 1));
        put_s(t, "name", clouddb_cell(&r, i, 2));
        put_s(t, "sha256", clouddb_cell(&r, i, 3));
        put_i(t, "sizeBytes", clouddb_cell(&r, i, 4));
        append(targets, t);
    }
    clouddb_rows_free(&r);
    put(o, "targets", targets);
    if (o)
        json_object_append(o, "nextCheckInSeconds", json_new_int(CLOUD_CHECKIN_SECONDS));
    reply(x, 200, o);
}

static void h_report(struct ctx *x)
{
    struct cloud_checkin ci;
    if (!parse_checkin(x, &ci))
        return;
    if (!ci.result[0])
        return fail(x, 400, "bad-checkin", "a report needs \"result\": \"ok\" or \"failed\"");
    char now[24];
    now_text(now);
    char *installed = installed_text(&ci);
    struct json_value *res = obj();
    put_s(res, "result", ci.result);
    put_s(res, "detail", ci.detail);
    if (res)
        json_object_append(res, "at", json_new_int(strtoll(now, NULL, 10)));
    struct strbuf sb = {0};
    int err = res ? json_write(res, JSON_COMPACT, &sb) : -ENOMEM;
    json_free(res);
    err = err ? err : q(x, "UPDATE devices SET reported = $2, last_result = $3 WHERE id = $1",
                        PARAMS(x->subject, installed, strbuf_str(&sb)), NULL);
    free(installed);
    strbuf_free(&sb);
    if (err)
        return storage_failed(x, err);
    reply(x, 200, obj());
}

static void h_device_image(struct ctx *x, const char *id)
{
    bool updates = false;
    char group[64];
    struct clouddb_rows r;
    int err = target_set(x, &updates, group, sizeof group, &r);
    if (err)
        return storage_failed(x, err);
    bool sent = false;
    for (size_t i = 0; i < r.nrows && !sent; i++)
        if (!strcasecmp(clouddb_cell(&r, i, 0), id))
            sent = send_blob(x, clouddb_cell(&r, i, 3)) || true;
    clouddb_rows_free(&r);
    if (!sent)
        fail(x, 404, "not-targeted", "image %s is not in this device's target set", id);
}

/* ---- routing ------------------------------------------------------------------------------ */

static bool is(const struct ctx *x, size_t i, const char *s) { return i < x->nseg && !strcmp(x->seg[i], s); }
static bool method(const struct ctx *x, const char *m) { return !strcmp(x->rq->method, m); }

static void not_allowed(struct ctx *x) { fail(x, 405, "method-not-allowed", "%s is not allowed on %s", x->rq->method, x->rq->path); }

static void route_groups(struct ctx *x)
{
    /* /v1/device-groups/{id}[/deployments] or /v1/device-groups/{product}/{group}[/deployments] */
    size_t n = x->nseg;
    bool deployments = n >= 4 && is(x, n - 1, "deployments") && (n == 5 || is_guid(x->seg[2]));
    size_t ref_end = deployments ? n - 1 : n;
    char ref[128], id[GUID_TEXT_LEN + 1];
    if (ref_end == 3)
        snprintf(ref, sizeof ref, "%s", x->seg[2]);
    else if (ref_end == 4)
        snprintf(ref, sizeof ref, "%s/%s", x->seg[2], x->seg[3]);
    else
        return fail(x, 404, "no-such-endpoint", "no endpoint %s", x->rq->path);
    if (!find_group(x, ref, id))
        return;
    if (deployments)
        return method(x, "GET") ? h_deployment_list(x, id) : method(x, "POST") ? h_deployment_create(x, id) : not_allowed(x);
    return method(x, "GET") ? h_group_show(x, id) : method(x, "PATCH") ? h_group_update(x, id) : not_allowed(x);
}

static void route_user(struct ctx *x)
{
    size_t n = x->nseg;
    if (is(x, 1, "users") && n == 2)
        return method(x, "POST") ? h_user_create(x) : not_allowed(x);
    if (is(x, 1, "products")) {
        if (n == 2)
            return method(x, "GET") ? h_product_list(x) : method(x, "POST") ? h_product_create(x) : not_allowed(x);
        if (n == 3)
            return method(x, "GET") ? h_product_show(x, x->seg[2]) : not_allowed(x);
        if (n == 4 && is(x, 3, "device-groups")) {
            char pid[GUID_TEXT_LEN + 1];
            if (method(x, "POST"))
                return h_group_create(x, x->seg[2]);
            if (!method(x, "GET"))
                return not_allowed(x);
            if (find_product(x, x->seg[2], pid))
                group_list(x, pid);
            return;
        }
        if (n == 4 && is(x, 3, "create-default-groups")) {
            char pid[GUID_TEXT_LEN + 1];
            if (!method(x, "POST"))
                return not_allowed(x);
            if (!find_product(x, x->seg[2], pid))
                return;
            int err = insert_default_groups(x, pid);
            return err ? storage_failed(x, err) : group_list(x, pid);
        }
    }
    if (is(x, 1, "device-groups"))
        return n == 2 ? (method(x, "GET") ? group_list(x, NULL) : not_allowed(x)) : route_groups(x);
    if (is(x, 1, "devices")) {
        if (n == 2)
            return method(x, "GET") ? h_device_list(x) : not_allowed(x);
        if (n == 3)
            return method(x, "GET") ? h_device_show(x, x->seg[2]) : method(x, "PATCH") ? h_device_update(x, x->seg[2]) : not_allowed(x);
        if (n == 4 && is(x, 3, "claim"))
            return method(x, "POST") ? h_device_claim(x, x->seg[2]) : not_allowed(x);
        if (n == 4 && is(x, 3, "token"))
            return method(x, "POST") ? h_device_token(x, x->seg[2]) : not_allowed(x);
        if ((n == 4 || n == 5) && (is(x, 3, "twin") || is(x, 3, "mqtt-credentials")))
            return cloud_twin_route(x->s, x->c, x->tenant, x->rq, x->seg, n, x->rs);
        if (n == 4 && is(x, 3, "capabilities"))
            return method(x, "POST") ? h_device_capability(x, x->seg[2]) : not_allowed(x);
    }
    if (is(x, 1, "images")) {
        if (n == 2)
            return method(x, "GET") ? h_image_list(x) : method(x, "POST") ? h_image_add(x) : not_allowed(x);
        if (n == 3 || (n == 4 && is(x, 3, "content")))
            return method(x, "GET") ? h_image_show(x, x->seg[2], n == 4) : not_allowed(x);
    }
    fail(x, 404, "no-such-endpoint", "no endpoint %s", x->rq->path);
}

static void route_ota(struct ctx *x)
{
    struct cloud_ota_call call = {.conn = x->c, .tenant = x->tenant, .subject = x->subject, .rq = x->rq,
                                  .seg = x->seg, .nseg = x->nseg};
    if (x->kind == 'd')
        cloud_ota_route_device(x->s->ota, &call, x->rs);
    else
        cloud_ota_route_user(x->s->ota, &call, x->rs);
}

static void route(struct ctx *x)
{
    if (!(is(x, 0, "v1") && x->nseg >= 2))
        return fail(x, 404, "no-such-endpoint", "no endpoint %s (the API is under /v1/)", x->rq->path);
    if (!authenticate(x))
        return;
    if (is(x, 1, "whoami") && x->nseg == 2)
        return method(x, "GET") ? h_whoami(x) : not_allowed(x);
    if (is(x, 1, "device")) {
        if (!need(x, 'd'))
            return;
        if (x->nseg == 3 && is(x, 2, "checkin"))
            return method(x, "POST") ? h_checkin(x) : not_allowed(x);
        if (x->nseg == 3 && is(x, 2, "report"))
            return method(x, "POST") ? h_report(x) : not_allowed(x);
        if (x->nseg == 4 && is(x, 2, "images"))
            return method(x, "GET") ? h_device_image(x, x->seg[3]) : not_allowed(x);
        if (is(x, 2, "ota"))
            return route_ota(x);
        return fail(x, 404, "no-such-endpoint", "no endpoint %s", x->rq->path);
    }
    if (need(x, 'u'))
        return is(x, 1, "ota") ? route_ota(x) : route_user(x);
}

void cloud_handle(struct cloud *s, const struct cloud_request *rq, struct cloud_response *rs)
{
    memset(rs, 0, sizeof *rs);
    struct ctx x = {.s = s, .rq = rq, .rs = rs};
    char path[1024];
    if (strlen(rq->path) >= sizeof path) {
        fail(&x, 414, "path-too-long", "the path is too long");
        return;
    }
    strcpy(path, rq->path);
    for (char *save = NULL, *t = strtok_r(path, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (x.nseg == sizeof x.seg / sizeof x.seg[0]) {
            fail(&x, 404, "no-such-endpoint", "no endpoint %s", rq->path);
            return;
        }
        x.seg[x.nseg++] = t;
    }
    x.c = clouddb_acquire(s->db);
    route(&x);
    clouddb_release(s->db, x.c);
    if (!rs->status && !rq->headers_only) /* headers only: no answer means "send the body" */
        storage_failed(&x, -EIO);
}
