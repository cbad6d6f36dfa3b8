/* SPDX-License-Identifier: MIT */
/*
 * ota_json.c — the JSON mapping of the agent's desired and reported state (ota.h).
 */
#include "ota.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "json.h"
#include "strbuf.h"

const char *ota_status_name(enum ota_status status)
{
    static const char *const names[] = {"idle",      "downloading", "interrupted", "verifying",
                                        "verified",  "applying",    "applied",     "error"};
    return (unsigned)status < sizeof names / sizeof names[0] ? names[status] : "error";
}

static int fail(char *why, size_t size, const char *field, const char *reason)
{
    snprintf(why, size, "desired.extFwInfo.%s: %s", field, reason);
    return -EINVAL;
}

static int get_u32(const struct json_value *o, const char *key, uint32_t *out, char *why, size_t size)
{
    const struct json_value *v = json_object_get(o, key);
    if (!v)
        return fail(why, size, key, "missing");
    if (v->type != JSON_NUMBER || !v->u.number.is_integer || v->u.number.integer < 1 ||
        v->u.number.integer > UINT32_MAX)
        return fail(why, size, key, "must be an integer from 1 to 4294967295");
    *out = (uint32_t)v->u.number.integer;
    return 0;
}

static int get_string(const struct json_value *o, const char *key, char *out, size_t cap, char *why, size_t size)
{
    const struct json_value *v = json_object_get(o, key);
    if (!v)
        return fail(why, size, key, "missing");
    if (v->type != JSON_STRING || !v->u.string.len)
        return fail(why, size, key, "must be a non-empty string");
    if (v->u.string.len >= cap)
        return fail(why, size, key, "too long");
    memcpy(out, v->u.string.chars, v->u.string.len + 1);
    return 0;
}

static int check_sha256(const char *hex, char *why, size_t size)
{
    size_t n = strlen(hex);
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)hex[i]) || isupper((unsigned char)hex[i]))
            n = 0;
    return n == OTA_SHA256_HEX ? 0 : fail(why, size, "sha256", "must be 64 lowercase hex digits");
}

static int parse_object(const struct json_value *root, struct ota_desired *out, char *why, size_t size)
{
    if (root->type != JSON_OBJECT)
        return fail(why, size, "(root)", "must be an object");
    const struct json_value *version = json_object_get(root, "version");
    if (!version || (version->type == JSON_NUMBER && version->u.number.is_integer && version->u.number.integer == 0))
        return 0; /* nothing deployed */
    int err = get_u32(root, "version", &out->version, why, size);
    err = err ? err : get_u32(root, "size", &out->size, why, size);
    err = err ? err : get_string(root, "sha256", out->sha256, sizeof out->sha256, why, size);
    err = err ? err : check_sha256(out->sha256, why, size);
    err = err ? err : get_string(root, "product", out->product, sizeof out->product, why, size);
    err = err ? err : get_string(root, "url", out->url, sizeof out->url, why, size);
    err = err ? err : get_string(root, "signature", out->signature, sizeof out->signature, why, size);
    if (!err && strncmp(out->url, "http://", 7) && strncmp(out->url, "https://", 8))
        err = fail(why, size, "url", "must be an http:// or https:// URL");
    return err;
}

int ota_desired_parse(const char *json, size_t len, struct ota_desired *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof *out);
    struct diag_list diags = {0};
    struct json_value *root = NULL;
    int err = json_parse(json, len, NULL, "desired", &diags, &root);
    if (err) {
        snprintf(why, why_size, "desired: not valid JSON");
        diag_list_free(&diags);
        return -EINVAL;
    }
    /* The twin's desired document carries the OTA state as "extFwInfo"; GET /v1/device/ota
     * answers the OTA object itself. */
    const struct json_value *ota = root->type == JSON_OBJECT ? json_object_get(root, "extFwInfo") : NULL;
    err = parse_object(ota ? ota : root, out, why, why_size);
    json_free(root);
    diag_list_free(&diags);
    if (err)
        memset(out, 0, sizeof *out);
    return err;
}

char *ota_report_json(const struct ota_report *r)
{
    struct json_value *o = json_new_object();
    int err = o ? 0 : -ENOMEM;
    err = err ? err : json_object_append(o, "status", json_new_string(ota_status_name(r->status)));
    err = err ? err : json_object_append(o, "targetVersion", json_new_int(r->target_version));
    err = err ? err : json_object_append(o, "appliedVersion", json_new_int(r->accepted_version));
    err = err ? err : json_object_append(o, "bytesDone", json_new_int(r->bytes_done));
    err = err ? err : json_object_append(o, "size", json_new_int(r->size));
    err = err ? err : json_object_append(o, "error", json_new_string(r->error));
    struct strbuf out = {0};
    err = err ? err : json_write(o, JSON_COMPACT, &out);
    json_free(o);
    if (err) {
        strbuf_free(&out);
        return NULL;
    }
    return strbuf_detach(&out);
}
