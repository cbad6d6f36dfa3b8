/* SPDX-License-Identifier: MIT */
/*
 * cloud_call.c — the helpers the service's handlers share (see cloud_int.h): answering one request
 * (errors, bodies, JSON members), its store queries, its JSON body, names and IDs, and new IDs and
 * tokens from bytes_random. It calls nothing above it (no handler, no router).
 */
#include "cloud_int.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bytes.h"
#include "diag.h"

/* ---- answering ------------------------------------------------------------------------------ */

void cloud_call_fail(struct cloud_call *x, unsigned status, const char *code, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    cloud_fail(x->rs, status, code, "%s", message);
}

void cloud_call_store_failed(struct cloud_call *x, int err)
{
    if (err == -ENOMEM)
        cloud_call_fail(x, 500, "out-of-memory", "the service ran out of memory");
    else
        cloud_call_fail(x, 500, "storage", "the service's store failed: %s", x->c ? clouddb_last_error(x->c) : "");
}

void cloud_call_random_failed(struct cloud_call *x, int err)
{
    cloud_call_fail(x, 500, "random-failed", "the service could not get random bytes for a new ID or token: %s",
                    strerror(-err));
}

void cloud_call_reply(struct cloud_call *x, unsigned status, struct json_value *body)
{
    if (!body) {
        cloud_call_store_failed(x, -ENOMEM);
        return;
    }
    x->rs->status = status;
    x->rs->json = body;
}

void cloud_call_reply_rows(struct cloud_call *x, int err, struct clouddb_rows *r,
                           struct json_value *(*row_json)(const struct clouddb_rows *r, size_t i))
{
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    struct json_value *list = json_new_array();
    for (size_t i = 0; i < r->nrows; i++)
        cloud_append(list, row_json(r, i));
    clouddb_rows_free(r);
    cloud_call_reply(x, 200, list);
}

void cloud_call_not_allowed(struct cloud_call *x)
{
    cloud_call_fail(x, 405, "method-not-allowed", "%s is not allowed on %s", x->rq->method, x->rq->path);
}

bool cloud_call_is(const struct cloud_call *x, size_t i, const char *s) { return i < x->nseg && !strcmp(x->seg[i], s); }

bool cloud_call_method(const struct cloud_call *x, const char *m) { return !strcmp(x->rq->method, m); }

void cloud_put_str(struct json_value *o, const char *key, const char *v)
{
    if (o)
        json_object_append(o, key, v ? json_new_string(v) : json_new_null());
}

void cloud_put_int(struct json_value *o, const char *key, const char *v)
{
    if (o)
        json_object_append(o, key, v ? json_new_int(strtoll(v, NULL, 10)) : json_new_null());
}

void cloud_put_bool(struct json_value *o, const char *key, bool v)
{
    if (o)
        json_object_append(o, key, json_new_bool(v));
}

void cloud_put(struct json_value *o, const char *key, struct json_value *v)
{
    if (o)
        json_object_append(o, key, v);
    else
        json_free(v);
}

void cloud_append(struct json_value *list, struct json_value *v)
{
    if (list)
        json_array_append(list, v);
    else
        json_free(v);
}

/* ---- store, bodies, names ------------------------------------------------------------------- */

int cloud_call_query(struct cloud_call *x, const char *sql, const char *const *params, size_t n, struct clouddb_rows *rows)
{
    return clouddb_exec(x->c, sql, params, n, rows);
}

bool cloud_is_guid(const char *s)
{
    struct guid g;
    return s && guid_parse(s, &g) == 0;
}

void cloud_lower_guid(const char *in, char out[GUID_TEXT_LEN + 1])
{
    struct guid g;
    guid_parse(in, &g);
    guid_format(&g, out);
}

struct json_value *cloud_call_json_body(struct cloud_call *x)
{
    const struct cloud_request *rq = x->rq;
    if (rq->body_len == 0)
        return json_new_object();
    if (!rq->content_type || strncasecmp(rq->content_type, "application/json", 16) != 0) {
        cloud_call_fail(x, 415, "media-type", "this endpoint takes application/json");
        return NULL;
    }
    struct json_value *root = NULL;
    struct diag_list diags = {0};
    int err = rq->body_len > CLOUD_MAX_JSON ? -EINVAL : json_parse((const char *)rq->body, rq->body_len, NULL, "request", &diags, &root);
    bool bad = err || diag_error_count(&diags) || root->type != JSON_OBJECT;
    diag_list_free(&diags);
    if (bad) {
        json_free(root);
        cloud_call_fail(x, 400, "bad-json", "the body is not a JSON object");
        return NULL;
    }
    return root;
}

const char *cloud_jstr(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_STRING ? v->u.string.chars : NULL;
}

bool cloud_call_opt_string(struct cloud_call *x, const struct json_value *o, const char *key, const char **out)
{
    const struct json_value *v = json_object_get(o, key);
    *out = NULL;
    if (!v || v->type == JSON_NULL)
        return true;
    if (v->type != JSON_STRING) {
        cloud_call_fail(x, 400, "bad-field", "\"%s\" must be a string", key);
        return false;
    }
    *out = v->u.string.chars;
    return true;
}

/* ---- IDs, tokens, time ---------------------------------------------------------------------- */

int cloud_new_id(char out[GUID_TEXT_LEN + 1])
{
    struct guid g;
    int err = bytes_random(g.bytes, sizeof g.bytes);
    if (err)
        return err;
    g.bytes[6] = (uint8_t)((g.bytes[6] & 0x0f) | 0x40);
    g.bytes[8] = (uint8_t)((g.bytes[8] & 0x3f) | 0x80);
    guid_format(&g, out);
    return 0;
}

void cloud_now_text(char out[24]) { snprintf(out, 24, "%lld", (long long)time(NULL)); }

static void hex(const uint8_t *data, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", data[i]);
}

void cloud_sha256_hex(const void *data, size_t len, char out[65])
{
    uint8_t md[32];
    unsigned n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    hex(md, 32, out);
}

int cloud_new_token(char kind, char out[71], char hash[65])
{
    uint8_t raw[32];
    int err = bytes_random(raw, sizeof raw);
    if (err)
        return err;
    snprintf(out, 7, "os1.%c.", kind);
    hex(raw, sizeof raw, out + 6);
    cloud_sha256_hex(out, strlen(out), hash);
    return 0;
}
