/* SPDX-License-Identifier: MIT */
/* cloud_ota.c — external-MCU OTA in the cloud: deployments, targeting, desired state, reports, signed
 * blob URLs and blob storage (see cloud_ota.h, docs/ota.md). One module: every part works on the
 * same deployment rows and blob files, and nothing outside the OTA flow uses them. */
#include "cloud_ota.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "cloud_int.h"
#include "error.h"
#include "guid.h"
#include "hostio.h"
#include "otasig.h"
#include "path.h"
#include "signing.h"
#include "strbuf.h"

#define MAX_DAYS 3650
#define MAX_SEGMENT 63

struct cloud_ota {
    struct clouddb *db;
    char *ota_dir;      /* DATA/ota */
    char *incoming_dir; /* DATA/ota/.incoming */
    char *base_url;
    uint8_t url_key[CLOUD_OTA_URL_KEY_BYTES];
    EVP_PKEY *signing_key;
    char *public_pem;
    cloud_ota_targets_fn targets_changed; /* the device twin's resync (cloud_otatwin.c), or NULL */
    void *targets_ctx;
    cloud_ota_gate_fn gate; /* staged rollouts (cloud_rollout.c), or NULL */
    void *gate_ctx;
    cloud_ota_report_fn report_taken; /* staged rollouts count the outcome (cloud_rollout.c), or NULL */
    void *report_ctx;
};

struct cloud_ota_upload {
    char *path;
    int fd;
    uint64_t size;
    EVP_MD_CTX *sha;
    bool failed, taken;
};

/* ---- small helpers ------------------------------------------------------------------------ */

static void hex(const uint8_t *data, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", data[i]);
}

/* A decimal integer in [min, max], the whole string. */
static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!s || !*s || strlen(s) > 19)
        return false;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = v;
    return v >= min && v <= max;
}

/* Containers and file names: 1-63 of [A-Za-z0-9._-], not starting with '.'. */
static bool valid_segment(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > MAX_SEGMENT || s[0] == '.')
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
            return false;
    return true;
}

static void put_text(struct json_value *o, const char *key, const char *v)
{
    json_object_append(o, key, v ? json_new_string(v) : json_new_null());
}

static void put_number(struct json_value *o, const char *key, const char *v)
{
    json_object_append(o, key, v ? json_new_int(strtoll(v, NULL, 10)) : json_new_null());
}

static void storage_failed(struct cloud_response *rs, struct clouddb_conn *c, int err)
{
    if (err == -ENOMEM)
        cloud_fail(rs, 500, "out-of-memory", "the service ran out of memory");
    else
        cloud_fail(rs, 500, "storage", "the service's store failed: %s", c ? clouddb_last_error(c) : os_strerror(err));
}

static void reply(struct cloud_response *rs, unsigned status, struct json_value *body)
{
    if (!body) {
        cloud_fail(rs, 500, "out-of-memory", "the service ran out of memory");
        return;
    }
    rs->status = status;
    rs->json = body;
}

/* ---- open / close ------------------------------------------------------------------------- */

static int load_url_key(struct cloud_ota *ota, const char *data_dir, char *why, size_t why_size)
{
    char *p = path_join(data_dir, "ota-url.key"), *data = NULL;
    size_t len = 0;
    if (!p)
        return -ENOMEM;
    int err = hostio_read_file(p, &data, &len);
    if (err == -ENOENT) {
        err = bytes_random(ota->url_key, sizeof ota->url_key);
        err = err ? err : hostio_write_new_file(p, ota->url_key, sizeof ota->url_key, 0600);
    } else if (!err && len != sizeof ota->url_key) {
        err = -EINVAL;
    } else if (!err) {
        memcpy(ota->url_key, data, len);
    }
    if (err)
        snprintf(why, why_size, "cannot %s the URL key %s (%u random bytes): %s", err == -EINVAL ? "use" : "create", p,
                 CLOUD_OTA_URL_KEY_BYTES, os_strerror(err));
    free(p), free(data);
    return err;
}

/* KEYS/ota-signing.{key,cert}.pem, generated like the simulator's other keys when missing. */
static int load_signing_key(struct cloud_ota *ota, const char *keys_dir, char *why, size_t why_size)
{
    char kp[4096], cp[4096], *k = NULL, *c = NULL;
    size_t len = 0;
    snprintf(kp, sizeof kp, "%s/ota-signing.key.pem", keys_dir);
    snprintf(cp, sizeof cp, "%s/ota-signing.cert.pem", keys_dir);
    int err = hostio_read_file(kp, &k, &len);
    if (err == -ENOENT) {
        uint8_t thumb[20];
        err = signing_generate("OpenSphere OTA signing", 36500, &k, &c, thumb);
        err = err ? err : hostio_write_file_atomic(kp, k, strlen(k), 0600);
        err = err ? err : hostio_write_file_atomic(cp, c, strlen(c), 0644);
        len = k ? strlen(k) : 0;
    }
    BIO *bio = err ? NULL : BIO_new_mem_buf(k, (int)len);
    ota->signing_key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!err && !ota->signing_key)
        err = -EINVAL;
    err = err ? err : otasig_public_pem(ota->signing_key, &ota->public_pem);
    if (err)
        snprintf(why, why_size, "cannot load the OTA signing key %s (an EC P-256 key): %s", kp, os_strerror(err));
    free(k), free(c);
    return err;
}

int cloud_ota_open(struct clouddb *db, const char *data_dir, const char *keys_dir, struct cloud_ota **out, char *why,
                   size_t why_size)
{
    *out = NULL;
    struct cloud_ota *ota = calloc(1, sizeof *ota);
    if (!ota)
        return -ENOMEM;
    ota->db = db;
    ota->ota_dir = path_join(data_dir, "ota");
    ota->incoming_dir = ota->ota_dir ? path_join(ota->ota_dir, ".incoming") : NULL;
    ota->base_url = strdup("");
    int err = ota->incoming_dir && ota->base_url ? hostio_make_dirs(ota->incoming_dir, 0700) : -ENOMEM;
    if (err)
        snprintf(why, why_size, "cannot create %s: %s", ota->incoming_dir ? ota->incoming_dir : "DATA/ota", os_strerror(err));
    if (!err)
        hostio_remove_stale_temporaries(ota->incoming_dir);
    err = err ? err : load_url_key(ota, data_dir, why, why_size);
    err = err ? err : load_signing_key(ota, keys_dir, why, why_size);
    if (err) {
        cloud_ota_close(ota);
        return err;
    }
    *out = ota;
    return 0;
}

void cloud_ota_close(struct cloud_ota *ota)
{
    if (!ota)
        return;
    OPENSSL_cleanse(ota->url_key, sizeof ota->url_key);
    EVP_PKEY_free(ota->signing_key);
    free(ota->public_pem), free(ota->base_url), free(ota->incoming_dir), free(ota->ota_dir), free(ota);
}

int cloud_ota_set_base_url(struct cloud_ota *ota, const char *base_url)
{
    char *copy = strdup(base_url);
    if (!copy)
        return -ENOMEM;
    size_t n = strlen(copy);
    while (n && copy[n - 1] == '/')
        copy[--n] = '\0';
    free(ota->base_url);
    ota->base_url = copy;
    return 0;
}

/* ---- URL signing ---------------------------------------------------------------------------- */

static void url_mac(const struct cloud_ota *ota, const char *path, const char *se, uint8_t mac[32])
{
    char msg[512];
    int n = snprintf(msg, sizeof msg, "GET\n%s\n%s", path, se);
    unsigned len = 0;
    HMAC(EVP_sha256(), ota->url_key, sizeof ota->url_key, (const uint8_t *)msg, (size_t)(n < 0 ? 0 : n), mac, &len);
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* "/blobs/<container>/<version>/<name>" split; false when it is not exactly that. */
static bool parse_blob_path(const char *path, char container[MAX_SEGMENT + 1], uint64_t *version, char name[MAX_SEGMENT + 1])
{
    char ver[24];
    if (!path || strncmp(path, "/blobs/", 7) != 0 || strlen(path) > 7 + 3 * (MAX_SEGMENT + 1))
        return false;
    const char *a = path + 7, *b = strchr(a, '/'), *c = b ? strchr(b + 1, '/') : NULL;
    if (!b || !c || strchr(c + 1, '/') || b - a > MAX_SEGMENT || c - b - 1 >= (long)sizeof ver)
        return false;
    snprintf(container, MAX_SEGMENT + 1, "%.*s", (int)(b - a), a);
    snprintf(ver, sizeof ver, "%.*s", (int)(c - b - 1), b + 1);
    snprintf(name, MAX_SEGMENT + 1, "%s", c + 1);
    return valid_segment(container) && valid_segment(name) && strlen(c + 1) <= MAX_SEGMENT &&
           parse_u64(ver, 1, INT64_MAX, version) && !(ver[0] == '0');
}

int cloud_ota_url_check(const struct cloud_ota *ota, const char *path, const char *se, const char *sig, int64_t now)
{
    char container[MAX_SEGMENT + 1], name[MAX_SEGMENT + 1];
    uint64_t version = 0, expiry = 0;
    uint8_t given[32], want[32];
    if (!parse_blob_path(path, container, &version, name) || !parse_u64(se, 0, INT64_MAX, &expiry) || !sig ||
        strlen(sig) != 64)
        return -EACCES;
    for (size_t i = 0; i < 32; i++) {
        int hi = hex_value(sig[2 * i]), lo = hex_value(sig[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -EACCES;
        given[i] = (uint8_t)(hi << 4 | lo);
    }
    url_mac(ota, path, se, want);
    if (CRYPTO_memcmp(given, want, sizeof want) != 0)
        return -EACCES;
    return now >= (int64_t)expiry ? -EKEYEXPIRED : 0;
}

/* The value of `key` in a query string "a=1&b=2" (no percent-decoding: signed URLs need none). */
static bool query_value(const char *query, const char *key, char *out, size_t size)
{
    size_t klen = strlen(key);
    for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (!strncmp(p, key, klen) && p[klen] == '=') {
            const char *v = p + klen + 1, *end = strchr(v, '&');
            size_t n = end ? (size_t)(end - v) : strlen(v);
            if (n >= size)
                return false;
            snprintf(out, size, "%.*s", (int)n, v);
            return true;
        }
    }
    return false;
}

int cloud_ota_uri_check(const struct cloud_ota *ota, const char *uri, int64_t now)
{
    char path[512], se[32], sig[80];
    const char *q = uri ? strchr(uri, '?') : NULL;
    if (!q || (size_t)(q - uri) >= sizeof path)
        return -EACCES;
    snprintf(path, sizeof path, "%.*s", (int)(q - uri), uri);
    if (!query_value(q + 1, "se", se, sizeof se) || !query_value(q + 1, "sig", sig, sizeof sig))
        return -EACCES;
    return cloud_ota_url_check(ota, path, se, sig, now);
}

/* The absolute download URL of a blob, valid until `expires`. */
static char *signed_url(const struct cloud_ota *ota, const char *container, const char *version, const char *name,
                        const char *expires)
{
    char path[256], sig[65];
    uint8_t mac[32];
    snprintf(path, sizeof path, "/blobs/%s/%s/%s", container, version, name);
    url_mac(ota, path, expires, mac);
    hex(mac, sizeof mac, sig);
    struct strbuf sb = {0};
    if (strbuf_printf(&sb, "%s%s?se=%s&sig=%s", ota->base_url, path, expires, sig))
        strbuf_free(&sb);
    return strbuf_detach(&sb);
}

/* ---- desired state ------------------------------------------------------------------------ */

#define DEPLOYMENT_COLUMNS "id, product, device_group, version, container, name, size, sha256, signature, created, expires, cancelled"

/* The deployment that targets the device now: the highest version among the non-cancelled,
 * unexpired deployments of its tenant whose product and group its tags name. */
static int winning_deployment(struct cloud_ota *ota, struct clouddb_conn *c, const char *tenant, const char *device,
                              struct clouddb_rows *rows)
{
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)time(NULL));
    if (ota->gate) { /* every candidate, highest first: the first one the gate lets through wins */
        int err = clouddb_exec(c,
                               "SELECT " DEPLOYMENT_COLUMNS " FROM ota_deployments d WHERE d.tenant_id = $1 AND d.cancelled IS NULL "
                               "AND d.expires > $3 "
                               "AND EXISTS (SELECT 1 FROM device_tags t WHERE t.device_id = $2 AND t.tag = 'productType=' || d.product) "
                               "AND EXISTS (SELECT 1 FROM device_tags t WHERE t.device_id = $2 AND t.tag = 'deviceGroup=' || d.device_group) "
                               "ORDER BY d.version DESC",
                               PARAMS(tenant, device, now), rows);
        size_t keep = 0;
        while (!err && keep < rows->nrows &&
               !ota->gate(ota->gate_ctx, c, tenant, device, clouddb_cell(rows, keep, 1), clouddb_cell(rows, keep, 2),
                          clouddb_cell(rows, keep, 3)))
            keep++;
        if (!err && keep < rows->nrows) { /* the winner becomes row 0, the only row */
            for (size_t k = 0; k < rows->ncols; k++) {
                char **dst = &rows->cells[k], **src = &rows->cells[keep * rows->ncols + k];
                if (dst != src) {
                    free(*dst);
                    *dst = *src;
                    *src = NULL;
                }
            }
        }
        if (!err) {
            size_t left = keep < rows->nrows ? 1 : 0;
            for (size_t i = left * rows->ncols; i < rows->nrows * rows->ncols; i++) {
                free(rows->cells[i]);
                rows->cells[i] = NULL;
            }
            rows->nrows = left;
        }
        return err;
    }
    return clouddb_exec(c,
                        "SELECT " DEPLOYMENT_COLUMNS " FROM ota_deployments d WHERE d.tenant_id = $1 AND d.cancelled IS NULL "
                        "AND d.expires > $3 "
                        "AND EXISTS (SELECT 1 FROM device_tags t WHERE t.device_id = $2 AND t.tag = 'productType=' || d.product) "
                        "AND EXISTS (SELECT 1 FROM device_tags t WHERE t.device_id = $2 AND t.tag = 'deviceGroup=' || d.device_group) "
                        "ORDER BY d.version DESC LIMIT 1",
                        PARAMS(tenant, device, now), rows);
}

static struct json_value *desired_value(const struct cloud_ota *ota, const struct clouddb_rows *r)
{
    struct json_value *o = json_new_object();
    if (!o || r->nrows == 0)
        return o;
    char *url = signed_url(ota, clouddb_cell(r, 0, 4), clouddb_cell(r, 0, 3), clouddb_cell(r, 0, 5), clouddb_cell(r, 0, 10));
    put_number(o, "version", clouddb_cell(r, 0, 3));
    put_number(o, "size", clouddb_cell(r, 0, 6));
    put_text(o, "url", url);
    put_text(o, "sha256", clouddb_cell(r, 0, 7));
    put_text(o, "signature", clouddb_cell(r, 0, 8));
    put_text(o, "product", clouddb_cell(r, 0, 1));
    put_text(o, "deploymentId", clouddb_cell(r, 0, 0));
    free(url);
    return o;
}

/* The device's desired state on connection c; NULL tenant: the device's own. */
static int desired_on(struct cloud_ota *ota, struct clouddb_conn *c, const char *tenant, const char *device,
                      struct json_value **out)
{
    struct clouddb_rows d, r;
    *out = NULL;
    int err = clouddb_exec(c, "SELECT tenant_id FROM devices WHERE id = $1", PARAMS(device), &d);
    bool known = !err && d.nrows == 1 && (!tenant || !strcmp(clouddb_cell(&d, 0, 0), tenant));
    char owner[GUID_TEXT_LEN + 1] = "";
    if (known)
        snprintf(owner, sizeof owner, "%s", clouddb_cell(&d, 0, 0));
    clouddb_rows_free(&d);
    if (err || !known)
        return err ? err : -ENOENT;
    err = winning_deployment(ota, c, owner, device, &r);
    if (!err && !(*out = desired_value(ota, &r)))
        err = -ENOMEM;
    clouddb_rows_free(&r);
    return err;
}

static int write_compact(const struct json_value *v, char **out)
{
    struct strbuf sb = {0};
    int err = json_write(v, JSON_COMPACT, &sb);
    if (err) {
        strbuf_free(&sb);
        return err;
    }
    *out = strbuf_detach(&sb);
    return *out ? 0 : -ENOMEM;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

int cloud_ota_desired_json_on(struct cloud_ota *ota, struct clouddb_conn *c, const char *tenant_id,
                              const char *device_id, char **json_out)
{
    *json_out = NULL;
    char device[256];
    if (!device_id || strlen(device_id) >= sizeof device)
        return -ENOENT;
    snprintf(device, sizeof device, "%s", device_id);
    lower(device);
    struct json_value *v = NULL;
    int err = desired_on(ota, c, tenant_id, device, &v);
    err = err ? err : write_compact(v, json_out);
    json_free(v);
    return err;
}

void cloud_ota_set_gate(struct cloud_ota *ota, cloud_ota_gate_fn gate, void *ctx)
{
    ota->gate = gate;
    ota->gate_ctx = ctx;
}

void cloud_ota_on_report(struct cloud_ota *ota, cloud_ota_report_fn fn, void *ctx)
{
    ota->report_taken = fn;
    ota->report_ctx = ctx;
}

void cloud_ota_report_stored(struct cloud_ota *ota, struct clouddb_conn *c, const char *device_id)
{
    if (ota && ota->report_taken)
        ota->report_taken(ota->report_ctx, c, device_id);
}

void cloud_ota_on_targets_changed(struct cloud_ota *ota, cloud_ota_targets_fn fn, void *ctx)
{
    ota->targets_changed = fn;
    ota->targets_ctx = ctx;
}

static void targets_changed(struct cloud_ota *ota, const struct cloud_ota_call *call)
{
    if (ota->targets_changed)
        ota->targets_changed(ota->targets_ctx, call->conn, call->tenant);
}

/* ---- reports ------------------------------------------------------------------------------ */

static const char *const statuses[] = {"downloading", "interrupted", "verifying", "verified", "applying", "applied", "error"};
static const char *const number_fields[] = {"targetVersion", "appliedVersion", "bytesDone", "size"};

struct report {
    const char *status, *error;
    char numbers[4][24]; /* parallel to number_fields; "" when absent */
};

static bool known_status(const char *s)
{
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (!strcmp(s, statuses[i]))
            return true;
    return false;
}

static int report_fail(char *why, size_t why_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int report_fail(char *why, size_t why_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int field_index(const char *key)
{
    for (size_t i = 0; i < 4; i++)
        if (!strcmp(key, number_fields[i]))
            return (int)i;
    return -1;
}

static int parse_report(const struct json_value *v, struct report *r, char *why, size_t why_size)
{
    memset(r, 0, sizeof *r);
    if (!v || v->type != JSON_OBJECT)
        return report_fail(why, why_size, "a report is a JSON object");
    for (size_t i = 0; i < v->u.object.count; i++) {
        const char *key = v->u.object.members[i].key;
        const struct json_value *f = v->u.object.members[i].value;
        int n = field_index(key);
        if (!strcmp(key, "status")) {
            if (f->type != JSON_STRING || !known_status(f->u.string.chars))
                return report_fail(why, why_size, "\"status\" must be one of downloading, interrupted, verifying, "
                                                  "applying, applied, error");
            r->status = f->u.string.chars;
        } else if (!strcmp(key, "error")) {
            if (f->type != JSON_STRING || f->u.string.len > 512)
                return report_fail(why, why_size, "\"error\" must be a string of at most 512 bytes");
            r->error = f->u.string.chars;
        } else if (n >= 0) {
            if (f->type != JSON_NUMBER || !f->u.number.is_integer || f->u.number.integer < 0)
                return report_fail(why, why_size, "\"%s\" must be an integer >= 0", key);
            snprintf(r->numbers[n], sizeof r->numbers[n], "%" PRId64, f->u.number.integer);
        } else {
            return report_fail(why, why_size, "unknown field \"%.64s\" (a report has status, targetVersion, "
                                              "appliedVersion, bytesDone, size, error)", key);
        }
    }
    if (!r->status)
        return report_fail(why, why_size, "\"status\" is required");
    if (r->numbers[2][0] && r->numbers[3][0] && strtoll(r->numbers[2], NULL, 10) > strtoll(r->numbers[3], NULL, 10))
        return report_fail(why, why_size, "\"bytesDone\" is larger than \"size\"");
    return 0;
}

static const char *or_null(const char *s) { return s && s[0] ? s : NULL; }

static int store_report_on(struct clouddb_conn *c, const char *device, const struct report *r)
{
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)time(NULL));
    return clouddb_exec(c,
                        "INSERT INTO ota_reports (device_id, status, target_version, applied_version, bytes_done, size, error, "
                        "updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (device_id) DO UPDATE SET "
                        "status = $2, target_version = $3, applied_version = $4, bytes_done = $5, size = $6, error = $7, "
                        "updated = $8",
                        PARAMS(device, r->status, or_null(r->numbers[0]), or_null(r->numbers[1]), or_null(r->numbers[2]),
                               or_null(r->numbers[3]), r->error, now),
                        NULL);
}

int cloud_ota_store_report_on(struct clouddb_conn *c, const char *device_id, const struct json_value *report, char *why,
                              size_t why_size)
{
    struct report r;
    char device[256];
    int err = parse_report(report, &r, why, why_size);
    if (err)
        return err;
    if (!device_id || strlen(device_id) >= sizeof device)
        return -ENOENT;
    snprintf(device, sizeof device, "%s", device_id);
    lower(device);
    struct clouddb_rows d;
    err = clouddb_exec(c, "SELECT 1 FROM devices WHERE id = $1", PARAMS(device), &d);
    if (!err && d.nrows != 1)
        err = -ENOENT;
    clouddb_rows_free(&d);
    err = err ? err : store_report_on(c, device, &r);
    if (err && err != -ENOENT)
        snprintf(why, why_size, "cannot store the report: %s", clouddb_last_error(c));
    return err;
}

/* ---- uploads ------------------------------------------------------------------------------ */

int cloud_ota_upload_begin(struct cloud_ota *ota, struct cloud_ota_upload **out)
{
    *out = NULL;
    struct cloud_ota_upload *up = calloc(1, sizeof *up);
    char id[GUID_TEXT_LEN + 1], name[GUID_TEXT_LEN + 32];
    if (!up)
        return -ENOMEM;
    int err = cloud_new_id(id);
    if (err) {
        free(up);
        return err;
    }
    snprintf(name, sizeof name, "%s.tmp.%ld", id, (long)getpid()); /* hostio_remove_stale_temporaries' pattern */
    up->fd = -1;
    up->path = path_join(ota->incoming_dir, name);
    up->sha = EVP_MD_CTX_new();
    err = up->path && up->sha ? 0 : -ENOMEM;
    if (!err && EVP_DigestInit_ex(up->sha, EVP_sha256(), NULL) != 1)
        err = -EIO;
    if (!err && (up->fd = open(up->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
        err = -errno;
    if (err) {
        cloud_ota_upload_free(up);
        return err;
    }
    *out = up;
    return 0;
}

int cloud_ota_upload_write(struct cloud_ota_upload *up, const void *data, size_t len)
{
    if (up->failed)
        return -EIO;
    if (up->size + len > CLOUD_OTA_MAX_FILE)
        return -EFBIG;
    for (size_t done = 0; done < len;) {
        ssize_t n = write(up->fd, (const char *)data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            up->failed = true;
            return -EIO;
        }
        done += (size_t)n;
    }
    EVP_DigestUpdate(up->sha, data, len);
    up->size += len;
    return 0;
}

void cloud_ota_upload_free(struct cloud_ota_upload *up)
{
    if (!up)
        return;
    if (up->fd >= 0)
        close(up->fd);
    if (up->path && !up->taken)
        unlink(up->path);
    EVP_MD_CTX_free(up->sha);
    free(up->path), free(up);
}

/* Makes the upload durable and final: fsync, close, its SHA-256. */
static int upload_finish(struct cloud_ota_upload *up, char sha_hex[65])
{
    uint8_t md[32];
    unsigned n = 0;
    if (up->failed || fsync(up->fd) != 0 || close(up->fd) != 0) {
        up->fd = -1;
        return -EIO;
    }
    up->fd = -1;
    if (EVP_DigestFinal_ex(up->sha, md, &n) != 1)
        return -EIO;
    hex(md, sizeof md, sha_hex);
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int err = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return err;
}

static int file_sha256(const char *path, char sha_hex[65])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t buf[65536], out[32];
    unsigned n = 0;
    int err = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 ? 0 : -ENOMEM;
    for (ssize_t got; !err && (got = read(fd, buf, sizeof buf)) != 0;)
        err = got < 0 ? -EIO : EVP_DigestUpdate(md, buf, (size_t)got) == 1 ? 0 : -EIO;
    if (!err && EVP_DigestFinal_ex(md, out, &n) == 1)
        hex(out, sizeof out, sha_hex);
    EVP_MD_CTX_free(md);
    close(fd);
    return err;
}

/* ---- deployments (user API) ----------------------------------------------------------------- */

struct deploy_params {
    const char *product, *group, *container, *name;
    char version[24], days[8];
    uint64_t version_n, days_n;
};

static const char *arg(const struct cloud_request *rq, const char *name)
{
    return rq->arg ? rq->arg(rq, name) : NULL;
}

static bool parse_deploy_params(const struct cloud_request *rq, struct deploy_params *p, struct cloud_response *rs)
{
    memset(p, 0, sizeof *p);
    p->product = arg(rq, "product"), p->group = arg(rq, "group"), p->name = arg(rq, "name");
    p->container = arg(rq, "container") ? arg(rq, "container") : "ota";
    const char *version = arg(rq, "version"), *days = arg(rq, "days") ? arg(rq, "days") : "365";
    if (!p->product || !cloud_valid_name(p->product) || strchr(p->product, '\n'))
        cloud_fail(rs, 400, "bad-product", "?product= must name a product (1-50 printable characters)");
    else if (!p->group || !cloud_valid_name(p->group))
        cloud_fail(rs, 400, "bad-group", "?group= must be a device group name (1-50 printable characters without '/')");
    else if (!parse_u64(version, 1, INT64_MAX, &p->version_n) || version[0] == '0')
        cloud_fail(rs, 400, "bad-version", "?version= must be an integer greater than 0, not '%.32s'", version ? version : "");
    else if (!valid_segment(p->container))
        cloud_fail(rs, 400, "bad-container", "?container= must be 1-63 of A-Z a-z 0-9 . _ - (not starting with '.')");
    else if (!parse_u64(days, 1, MAX_DAYS, &p->days_n))
        cloud_fail(rs, 400, "bad-days", "?days= must be an integer from 1 to %d, not '%.32s'", MAX_DAYS, days);
    else if (!valid_segment(p->name))
        cloud_fail(rs, 400, "bad-name", "?name= (the file's name) must be 1-63 of A-Z a-z 0-9 . _ - (not starting with '.')");
    else if (!rq->upload)
        cloud_fail(rs, 400, "no-file", "a deployment's body is the file, sent as application/octet-stream");
    if (rs->status)
        return false;
    snprintf(p->version, sizeof p->version, "%" PRIu64, p->version_n);
    snprintf(p->days, sizeof p->days, "%" PRIu64, p->days_n);
    return true;
}

/* Links the finished upload to DATA/ota/<container>/<version>/<name>, never replacing a file.
 * When that file exists already (a crash after the link, or another deploy of the same pair),
 * it is accepted only if it has the same bytes. 0 or -EEXIST (other bytes) or -EIO. */
static int place_blob(struct cloud_ota *ota, struct cloud_ota_upload *up, const struct deploy_params *p, const char *sha)
{
    char dir[4096], file[4200], existing[65] = "";
    snprintf(dir, sizeof dir, "%s/%s/%s", ota->ota_dir, p->container, p->version);
    snprintf(file, sizeof file, "%s/%s", dir, p->name);
    int err = hostio_make_dirs(dir, 0755);
    if (!err && link(up->path, file) != 0)
        err = errno == EEXIST ? -EEXIST : -EIO;
    if (err == -EEXIST && file_sha256(file, existing) == 0 && !strcmp(existing, sha))
        err = 0;
    err = err ? err : fsync_dir(dir);
    return err;
}

/* Records the (container, version) → file binding, or checks it against the recorded one. */
static int bind_blob(struct cloud_ota *ota, struct clouddb_conn *c, struct cloud_ota_upload *up, const struct deploy_params *p,
                     const char *sha, const char *size)
{
    struct clouddb_rows r;
    int err = clouddb_exec(c, "SELECT name, sha256 FROM ota_blobs WHERE container = $1 AND version = $2",
                           PARAMS(p->container, p->version), &r);
    bool bound = !err && r.nrows == 1, same = bound && !strcmp(clouddb_cell(&r, 0, 0), p->name) &&
                                              !strcmp(clouddb_cell(&r, 0, 1), sha);
    clouddb_rows_free(&r);
    if (err || (bound && !same))
        return err ? err : -EEXIST;
    err = place_blob(ota, up, p, sha);
    if (!err && !bound)
        err = clouddb_exec(c, "INSERT INTO ota_blobs (container, version, name, sha256, size) VALUES ($1, $2, $3, $4, $5)",
                           PARAMS(p->container, p->version, p->name, sha, size), NULL);
    return err;
}

static struct json_value *deployment_json(const struct clouddb_rows *r, size_t i, int64_t now)
{
    struct json_value *o = json_new_object();
    if (!o)
        return NULL;
    bool cancelled = clouddb_cell(r, i, 11) != NULL, expired = strtoll(clouddb_cell(r, i, 10), NULL, 10) <= now;
    put_text(o, "id", clouddb_cell(r, i, 0));
    put_text(o, "product", clouddb_cell(r, i, 1));
    put_text(o, "deviceGroup", clouddb_cell(r, i, 2));
    put_number(o, "version", clouddb_cell(r, i, 3));
    put_text(o, "container", clouddb_cell(r, i, 4));
    put_text(o, "name", clouddb_cell(r, i, 5));
    put_number(o, "size", clouddb_cell(r, i, 6));
    put_text(o, "sha256", clouddb_cell(r, i, 7));
    put_text(o, "signature", clouddb_cell(r, i, 8));
    put_number(o, "created", clouddb_cell(r, i, 9));
    put_number(o, "expires", clouddb_cell(r, i, 10));
    put_number(o, "cancelled", clouddb_cell(r, i, 11));
    put_text(o, "state", cancelled ? "cancelled" : expired ? "expired" : "active");
    return o;
}

static void show_deployment(const struct cloud_ota_call *call, const char *id, unsigned status, struct cloud_response *rs)
{
    struct clouddb_rows r;
    int err = clouddb_exec(call->conn, "SELECT " DEPLOYMENT_COLUMNS " FROM ota_deployments WHERE tenant_id = $1 AND id = $2",
                           PARAMS(call->tenant, id), &r);
    if (err)
        storage_failed(rs, call->conn, err);
    else if (r.nrows != 1)
        cloud_fail(rs, 404, "unknown-deployment", "there is no OTA deployment '%.64s'", id);
    else
        reply(rs, status, deployment_json(&r, 0, time(NULL)));
    clouddb_rows_free(&r);
}

static bool product_exists(const struct cloud_ota_call *call, const char *product, struct cloud_response *rs)
{
    struct clouddb_rows r;
    int err = clouddb_exec(call->conn, "SELECT 1 FROM products WHERE tenant_id = $1 AND name = $2", PARAMS(call->tenant, product), &r);
    bool found = !err && r.nrows == 1;
    clouddb_rows_free(&r);
    if (err)
        storage_failed(rs, call->conn, err);
    else if (!found)
        cloud_fail(rs, 404, "unknown-product", "there is no product '%s' (product: create it with 'sphere product create')", product);
    return found;
}

/* 0 when p's version is above every version ever deployed to its product and group; -EEXIST
 * with rs set (409) when not; a store error otherwise (rs untouched). */
static int check_version_newer(struct clouddb_conn *c, const char *tenant, const struct deploy_params *p,
                               struct cloud_response *rs)
{
    struct clouddb_rows r = {0};
    int err = clouddb_exec(c, "SELECT MAX(version) FROM ota_deployments WHERE tenant_id = $1 AND product = $2 "
                              "AND device_group = $3", PARAMS(tenant, p->product, p->group), &r);
    const char *max = err ? NULL : clouddb_cell(&r, 0, 0);
    if (max && strtoull(max, NULL, 10) >= p->version_n) {
        cloud_fail(rs, 409, "version-not-newer", "version %s is not newer than %s, the highest ever deployed to %s/%s "
                                                 "(cancelled deployments count)", p->version, max, p->product, p->group);
        err = -EEXIST;
    }
    clouddb_rows_free(&r);
    return err;
}

/* In a transaction: the version check, the blob, the row. Sets rs on refusal. */
static int insert_deployment(struct cloud_ota *ota, const struct cloud_ota_call *call, const struct deploy_params *p,
                             const char *sha, const char *size, const char *signature, const char *id, struct cloud_response *rs)
{
    struct clouddb_conn *c = call->conn;
    char now[24], expires[24];
    time_t t = time(NULL);
    snprintf(now, sizeof now, "%lld", (long long)t);
    snprintf(expires, sizeof expires, "%lld", (long long)t + (long long)p->days_n * 86400);
    int err = clouddb_begin(c);
    err = err ? err : check_version_newer(c, call->tenant, p, rs);
    int blob = err ? 0 : bind_blob(ota, c, call->rq->upload, p, sha, size);
    if (blob == -EEXIST)
        cloud_fail(rs, 409, "blob-exists", "container '%s' version %s already holds another file; versions are "
                                           "immutable (use another --container)", p->container, p->version);
    err = err ? err : blob;
    err = err ? err : clouddb_exec(c, "INSERT INTO ota_deployments (" DEPLOYMENT_COLUMNS ", tenant_id) VALUES "
                                      "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, $12)",
                                   PARAMS(id, p->product, p->group, p->version, p->container, p->name, size, sha, signature, now,
                                          expires, call->tenant), NULL);
    err = err ? err : clouddb_commit(c);
    if (err)
        clouddb_rollback(c);
    return err;
}

static void h_deploy(struct cloud_ota *ota, const struct cloud_ota_call *call, struct cloud_response *rs)
{
    struct deploy_params p;
    const char *type = call->rq->content_type;
    if (!parse_deploy_params(call->rq, &p, rs) || !product_exists(call, p.product, rs))
        return;
    if (!type || strncasecmp(type, "application/octet-stream", 24) != 0) {
        cloud_fail(rs, 415, "media-type", "a deployment's file is sent as application/octet-stream");
        return;
    }
    if (call->rq->headers_only) { /* refuse a version that is not newer before the file is sent */
        int err = check_version_newer(call->conn, call->tenant, &p, rs);
        if (err && err != -EEXIST)
            storage_failed(rs, call->conn, err);
        return;
    }
    struct cloud_ota_upload *up = call->rq->upload;
    if (up->size == 0) {
        cloud_fail(rs, 400, "empty-file", "the file is empty");
        return;
    }
    char sha[65], size[24], id[GUID_TEXT_LEN + 1], *signature = NULL;
    snprintf(size, sizeof size, "%" PRIu64, up->size);
    int err = cloud_new_id(id);
    if (err) {
        cloud_fail(rs, 500, "random-failed", "the service could not get random bytes for a new ID: %s",
                          os_strerror(err));
        return;
    }
    err = upload_finish(up, sha);
    struct otasig_fields f = {p.product, p.version_n, up->size, sha};
    err = err ? err : otasig_sign(ota->signing_key, &f, &signature);
    if (err) {
        cloud_fail(rs, 500, "storage", "cannot store or sign the file: %s", os_strerror(err));
        return;
    }
    err = insert_deployment(ota, call, &p, sha, size, signature, id, rs);
    free(signature);
    if (err == -EEXIST && !rs->status) /* another deploy of this version won the race */
        cloud_fail(rs, 409, "version-not-newer", "version %s was just deployed to %s/%s by another request", p.version,
                   p.product, p.group);
    else if (err && !rs->status)
        storage_failed(rs, call->conn, err);
    if (!err) {
        targets_changed(ota, call);
        show_deployment(call, id, 201, rs);
    }
}

static void h_list(const struct cloud_ota_call *call, struct cloud_response *rs)
{
    const char *product = arg(call->rq, "product"), *group = arg(call->rq, "group");
    struct clouddb_rows r;
    int err = clouddb_exec(call->conn, "SELECT " DEPLOYMENT_COLUMNS " FROM ota_deployments WHERE tenant_id = $1 "
                                       "AND product = COALESCE($2, product) AND device_group = COALESCE($3, device_group) "
                                       "ORDER BY product, device_group, version DESC",
                           PARAMS(call->tenant, product, group), &r);
    if (err) {
        storage_failed(rs, call->conn, err);
        return;
    }
    struct json_value *list = json_new_array();
    int64_t now = time(NULL);
    for (size_t i = 0; list && i < r.nrows; i++)
        json_array_append(list, deployment_json(&r, i, now));
    clouddb_rows_free(&r);
    reply(rs, 200, list);
}

static void h_cancel(struct cloud_ota *ota, const struct cloud_ota_call *call, const char *id, struct cloud_response *rs)
{
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)time(NULL));
    int err = clouddb_exec(call->conn, "UPDATE ota_deployments SET cancelled = $3 WHERE tenant_id = $1 AND id = $2 "
                                       "AND cancelled IS NULL", PARAMS(call->tenant, id, now), NULL);
    if (err) {
        storage_failed(rs, call->conn, err);
        return;
    }
    targets_changed(ota, call);
    show_deployment(call, id, 200, rs);
}

/* One row of `ota status`: what the cloud wants the device to run, and what it last reported. */
static struct json_value *status_row(struct cloud_ota *ota, const struct cloud_ota_call *call, const struct clouddb_rows *r,
                                     size_t i)
{
    struct json_value *o = json_new_object(), *desired = NULL;
    if (!o)
        return NULL;
    desired_on(ota, call->conn, call->tenant, clouddb_cell(r, i, 0), &desired);
    const struct json_value *v = json_object_get(desired, "version");
    put_text(o, "deviceId", clouddb_cell(r, i, 0));
    json_object_append(o, "desiredVersion", v ? json_clone(v) : json_new_null());
    put_text(o, "status", clouddb_cell(r, i, 1));
    put_number(o, "targetVersion", clouddb_cell(r, i, 2));
    put_number(o, "bytesDone", clouddb_cell(r, i, 4));
    put_number(o, "size", clouddb_cell(r, i, 5));
    put_number(o, "appliedVersion", clouddb_cell(r, i, 3));
    put_text(o, "error", clouddb_cell(r, i, 6));
    put_number(o, "updated", clouddb_cell(r, i, 7));
    json_free(desired);
    return o;
}

static void h_status(struct cloud_ota *ota, const struct cloud_ota_call *call, struct cloud_response *rs)
{
    const char *product = arg(call->rq, "product"), *group = arg(call->rq, "group");
    if (!product || !group) {
        cloud_fail(rs, 400, !product ? "bad-product" : "bad-group", "?product= and ?group= are required");
        return;
    }
    if (!product_exists(call, product, rs))
        return;
    char ptag[80], gtag[80];
    snprintf(ptag, sizeof ptag, "productType=%s", product);
    snprintf(gtag, sizeof gtag, "deviceGroup=%s", group);
    struct clouddb_rows r;
    int err = clouddb_exec(call->conn,
                           "SELECT d.id, o.status, o.target_version, o.applied_version, o.bytes_done, o.size, o.error, o.updated "
                           "FROM devices d JOIN device_tags a ON a.device_id = d.id AND a.tag = $2 "
                           "JOIN device_tags b ON b.device_id = d.id AND b.tag = $3 "
                           "LEFT JOIN ota_reports o ON o.device_id = d.id WHERE d.tenant_id = $1 ORDER BY d.id",
                           PARAMS(call->tenant, ptag, gtag), &r);
    if (err) {
        storage_failed(rs, call->conn, err);
        return;
    }
    struct json_value *list = json_new_array();
    for (size_t i = 0; list && i < r.nrows; i++)
        json_array_append(list, status_row(ota, call, &r, i));
    clouddb_rows_free(&r);
    reply(rs, 200, list);
}

static void h_public_key(struct cloud_ota *ota, struct cloud_response *rs)
{
    size_t n = strlen(ota->public_pem);
    if (!(rs->octets = malloc(n))) {
        cloud_fail(rs, 500, "out-of-memory", "the service ran out of memory");
        return;
    }
    memcpy(rs->octets, ota->public_pem, n);
    rs->octets_len = n;
    rs->content_type = "application/x-pem-file";
    rs->status = 200;
}

static bool method_is(const struct cloud_ota_call *call, const char *m) { return !strcmp(call->rq->method, m); }
static bool seg_is(const struct cloud_ota_call *call, size_t i, const char *s) { return i < call->nseg && !strcmp(call->seg[i], s); }

static void not_allowed(const struct cloud_ota_call *call, struct cloud_response *rs)
{
    cloud_fail(rs, 405, "method-not-allowed", "%s is not allowed on %s", call->rq->method, call->rq->path);
}

void cloud_ota_route_user(struct cloud_ota *ota, const struct cloud_ota_call *call, struct cloud_response *rs)
{
    size_t n = call->nseg; /* v1 ota ... */
    if (n == 3 && seg_is(call, 2, "deployments")) {
        if (method_is(call, "POST"))
            h_deploy(ota, call, rs);
        else if (method_is(call, "GET"))
            h_list(call, rs);
        else
            not_allowed(call, rs);
        return;
    }
    if (n == 4 && seg_is(call, 2, "deployments")) {
        if (method_is(call, "GET"))
            show_deployment(call, call->seg[3], 200, rs);
        else
            not_allowed(call, rs);
        return;
    }
    if (n == 5 && seg_is(call, 2, "deployments") && seg_is(call, 4, "cancel")) {
        if (method_is(call, "POST"))
            h_cancel(ota, call, call->seg[3], rs);
        else
            not_allowed(call, rs);
        return;
    }
    if (n == 3 && seg_is(call, 2, "status")) {
        if (method_is(call, "GET"))
            h_status(ota, call, rs);
        else
            not_allowed(call, rs);
        return;
    }
    if (n == 3 && seg_is(call, 2, "public-key")) {
        if (method_is(call, "GET"))
            h_public_key(ota, rs);
        else
            not_allowed(call, rs);
        return;
    }
    cloud_fail(rs, 404, "no-such-endpoint", "no endpoint %s", call->rq->path);
}

/* ---- the device's side ---------------------------------------------------------------------- */

static void h_device_desired(struct cloud_ota *ota, const struct cloud_ota_call *call, struct cloud_response *rs)
{
    struct json_value *v = NULL;
    int err = desired_on(ota, call->conn, call->tenant, call->subject, &v);
    if (err) {
        storage_failed(rs, call->conn, err);
        return;
    }
    reply(rs, 200, v);
}

static void h_device_report(struct cloud_ota *ota, const struct cloud_ota_call *call, struct cloud_response *rs)
{
    const struct cloud_request *rq = call->rq;
    struct json_value *body = NULL;
    struct diag_list diags = {0};
    struct report r;
    char why[256] = "";
    if (!rq->content_type || strncasecmp(rq->content_type, "application/json", 16) != 0) {
        cloud_fail(rs, 415, "media-type", "this endpoint takes application/json");
        return;
    }
    int err = json_parse((const char *)rq->body, rq->body_len, NULL, "report", &diags, &body);
    bool bad_json = err || diag_error_count(&diags);
    diag_list_free(&diags);
    if (bad_json)
        cloud_fail(rs, 400, "bad-json", "the body is not JSON");
    else if (parse_report(body, &r, why, sizeof why) != 0)
        cloud_fail(rs, 400, "bad-report", "%s", why);
    else if ((err = store_report_on(call->conn, call->subject, &r)) != 0)
        storage_failed(rs, call->conn, err);
    else {
        cloud_ota_report_stored(ota, call->conn, call->subject);
        reply(rs, 200, json_new_object());
    }
    json_free(body);
}

void cloud_ota_route_device(struct cloud_ota *ota, const struct cloud_ota_call *call, struct cloud_response *rs)
{
    size_t n = call->nseg; /* v1 device ota [report] */
    if (n == 3) {
        if (method_is(call, "GET"))
            h_device_desired(ota, call, rs);
        else
            not_allowed(call, rs);
        return;
    }
    if (n == 4 && seg_is(call, 3, "report")) {
        if (method_is(call, "POST"))
            h_device_report(ota, call, rs);
        else
            not_allowed(call, rs);
        return;
    }
    cloud_fail(rs, 404, "no-such-endpoint", "no endpoint %s", call->rq->path);
}

/* ---- blob delivery -------------------------------------------------------------------------- */

int cloud_ota_blob_open(struct cloud_ota *ota, const char *path, int *fd, uint64_t *size, char etag_hex[65])
{
    char container[MAX_SEGMENT + 1], name[MAX_SEGMENT + 1], version[24], file[4200];
    uint64_t v = 0;
    *fd = -1;
    if (!parse_blob_path(path, container, &v, name))
        return -ENOENT;
    snprintf(version, sizeof version, "%" PRIu64, v);
    struct clouddb_conn *c = clouddb_acquire(ota->db);
    struct clouddb_rows r;
    int err = clouddb_exec(c, "SELECT sha256, size FROM ota_blobs WHERE container = $1 AND version = $2 AND name = $3",
                           PARAMS(container, version, name), &r);
    if (!err && r.nrows == 1) {
        snprintf(etag_hex, 65, "%s", clouddb_cell(&r, 0, 0));
        *size = strtoull(clouddb_cell(&r, 0, 1), NULL, 10);
    } else if (!err) {
        err = -ENOENT;
    }
    clouddb_rows_free(&r);
    clouddb_release(ota->db, c);
    snprintf(file, sizeof file, "%s/%s/%s/%s", ota->ota_dir, container, version, name);
    struct stat st;
    if (!err && (*fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
        err = errno == ENOENT ? -ENOENT : -EIO;
    if (!err && (fstat(*fd, &st) != 0 || (uint64_t)st.st_size != *size)) {
        close(*fd);
        *fd = -1;
        err = -EIO;
    }
    return err;
}

/* Whether an If-None-Match list names the ETag (weak comparison, as RFC 9110 asks for it). */
static bool none_match_hits(const char *list, const char *etag)
{
    size_t n = strlen(etag);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '*')
            return true;
        if (!strncmp(p, "W/", 2))
            p += 2;
        if (!strncmp(p, etag, n) && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return true;
        while (*p && *p != ',')
            p++;
    }
    return false;
}

/* Digits only into *out; false on none or overflow. Advances *s. */
static bool take_number(const char **s, uint64_t *out)
{
    const char *p = *s;
    uint64_t v = 0;
    if (*p < '0' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *s = p;
    *out = v;
    return true;
}

/* One "bytes=" range; status 200 when malformed (ignored), 206 or 416. */
static void plan_one_range(uint64_t size, const char *spec, struct cloud_ota_range *out)
{
    uint64_t a = 0, b = 0;
    const char *p = spec;
    *out = (struct cloud_ota_range){200, 0, size};
    if (*p == '-') {
        p++;
        if (!take_number(&p, &b) || *p)
            return;
        if (b == 0 || size == 0)
            *out = (struct cloud_ota_range){416, 0, 0};
        else
            *out = (struct cloud_ota_range){206, b >= size ? 0 : size - b, b >= size ? size : b};
        return;
    }
    if (!take_number(&p, &a) || *p++ != '-')
        return;
    bool open_ended = *p == '\0';
    if (!open_ended && (!take_number(&p, &b) || *p || b < a))
        return;
    if (a >= size)
        *out = (struct cloud_ota_range){416, 0, 0};
    else
        *out = (struct cloud_ota_range){206, a, (open_ended || b >= size ? size - 1 : b) - a + 1};
}

void cloud_ota_plan_range(uint64_t size, const char *etag, const char *range, const char *if_range,
                          const char *if_none_match, struct cloud_ota_range *out)
{
    *out = (struct cloud_ota_range){200, 0, size};
    if (if_none_match && none_match_hits(if_none_match, etag)) {
        *out = (struct cloud_ota_range){304, 0, 0};
        return;
    }
    if (!range || strncmp(range, "bytes=", 6) != 0 || strchr(range, ','))
        return; /* no Range, another unit, or several ranges: the whole blob */
    if (if_range && strcmp(if_range, etag) != 0)
        return; /* the client's copy is another version (or a date): start over */
    plan_one_range(size, range + 6, out);
}
