/* SPDX-License-Identifier: MIT */
/* cloudreq.c — parsing what devices and users send (see cloud.h); pure, fuzzed. And the error
 * body every refusal carries (cloud_fail) and freeing a response: the bottom layer the service's
 * other files (router, handlers, twin, OTA) answer with. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudreq.h"
#include "guid.h"

bool cloud_valid_name(const char *name)
{
    size_t n = strlen(name);
    bool visible = false;
    if (n == 0 || n > 50)
        return false;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        if (*c < 0x20 || *c == 0x7f || *c == '/' || *c == '\\')
            return false;
        visible |= *c != ' ';
    }
    return visible;
}

bool cloud_token_parse(const char *header, char *kind)
{
    if (!header)
        return false;
    if (!strncmp(header, "Bearer ", 7))
        header += 7;
    if (strncmp(header, "os1.", 4) != 0 || (header[4] != 'u' && header[4] != 'd') || header[5] != '.')
        return false;
    for (size_t i = 0; i < 64; i++)
        if (!isxdigit((unsigned char)header[6 + i]) || isupper((unsigned char)header[6 + i]))
            return false;
    if (header[70] != '\0')
        return false;
    *kind = header[4];
    return true;
}

static int copy_string(const struct json_value *o, const char *key, char *out, size_t size, char *why, size_t why_size)
{
    const struct json_value *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (v->type != JSON_STRING || v->u.string.len >= size) {
        snprintf(why, why_size, "\"%s\" must be a string of at most %zu characters", key, size - 1);
        return -EINVAL;
    }
    memcpy(out, v->u.string.chars, v->u.string.len + 1);
    return 0;
}

static int parse_installed(const struct json_value *list, struct cloud_checkin *out, char *why, size_t why_size)
{
    if (list->type != JSON_ARRAY || list->u.array.count > CLOUD_MAX_REPORTED) {
        snprintf(why, why_size, "\"installed\" must be an array of at most %d images", CLOUD_MAX_REPORTED);
        return -EINVAL;
    }
    for (size_t i = 0; i < list->u.array.count; i++) {
        const struct json_value *e = list->u.array.items[i];
        struct cloud_installed *it = &out->installed[i];
        const struct json_value *c = json_object_get(e, "componentId"), *m = json_object_get(e, "imageId");
        struct guid g;
        if (e->type != JSON_OBJECT || !c || !m || c->type != JSON_STRING || m->type != JSON_STRING ||
            guid_parse(c->u.string.chars, &g) || guid_parse(m->u.string.chars, &g)) {
            snprintf(why, why_size, "installed[%zu] must be {\"componentId\": GUID, \"imageId\": GUID}", i);
            return -EINVAL;
        }
        guid_parse(c->u.string.chars, &g);
        guid_format(&g, it->component_id);
        guid_parse(m->u.string.chars, &g);
        guid_format(&g, it->image_id);
    }
    out->installed_count = list->u.array.count;
    return 0;
}

int cloud_parse_checkin(const char *text, size_t len, struct cloud_checkin *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof *out);
    struct json_value *root = NULL;
    struct diag_list diags = {0};
    int err = len > CLOUD_MAX_JSON ? -EINVAL : json_parse(text, len, NULL, "request", &diags, &root);
    if (!err && (diag_error_count(&diags) || root->type != JSON_OBJECT))
        err = -EINVAL;
    diag_list_free(&diags);
    if (err) {
        snprintf(why, why_size, "the body is not a JSON object");
        json_free(root);
        return -EINVAL;
    }
    const struct json_value *inst = json_object_get(root, "installed"), *dev = json_object_get(root, "appDevelopment");
    if (inst)
        err = parse_installed(inst, out, why, why_size);
    if (!err && dev) {
        if (dev->type != JSON_BOOL) {
            snprintf(why, why_size, "\"appDevelopment\" must be true or false");
            err = -EINVAL;
        } else {
            out->app_development = dev->u.boolean;
        }
    }
    err = err ? err : copy_string(root, "osVersion", out->os_version, sizeof out->os_version, why, why_size);
    err = err ? err : copy_string(root, "result", out->result, sizeof out->result, why, why_size);
    err = err ? err : copy_string(root, "detail", out->detail, sizeof out->detail, why, why_size);
    if (!err && out->result[0] && strcmp(out->result, "ok") && strcmp(out->result, "failed")) {
        snprintf(why, why_size, "\"result\" must be \"ok\" or \"failed\"");
        err = -EINVAL;
    }
    json_free(root);
    return err;
}

/* ---- responses ---------------------------------------------------------------------------- */

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

void cloud_response_free(struct cloud_response *rs)
{
    json_free(rs->json);
    free(rs->octets);
    memset(rs, 0, sizeof *rs);
}
