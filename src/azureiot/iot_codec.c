/* SPDX-License-Identifier: MIT */
/* iot_codec.c — percent-encoding, property bags, IoT Hub/DPS topics, DPS bodies (iot_codec.h). */
#include "iot_codec.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "json.h"

static bool unreserved(unsigned char c)
{
    return isalnum(c) || strchr("!()*-._", c) != NULL;
}

int iot_url_encode(const char *s, char *out, size_t cap, size_t *len)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = *len;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p)) {
            if (n + 1 >= cap)
                return -ENOSPC;
            out[n++] = (char)*p;
        } else {
            if (n + 3 >= cap)
                return -ENOSPC;
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        }
    }
    out[n] = '\0';
    *len = n;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int iot_url_decode(const char *in, size_t n, char *out, size_t cap)
{
    if (cap < n + 1)
        return -ENOSPC;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] != '%') {
            if (in[i] == '\0')
                return -EINVAL;
            out[o++] = in[i];
            continue;
        }
        if (i + 2 >= n)
            return -EINVAL;
        int a = hexval(in[i + 1]), b = hexval(in[i + 2]);
        if (a < 0 || b < 0 || (a == 0 && b == 0))
            return -EINVAL;
        out[o++] = (char)(a * 16 + b);
        i += 2;
    }
    out[o] = '\0';
    return 0;
}

static int scope_prefix(const char *topic, const char **prefix_end)
{
    if (!strncmp(topic, "$iothub/", 8)) {
        *prefix_end = topic + 8;
        return 0;
    }
    if (!strncmp(topic, "$dps/", 5)) {
        *prefix_end = topic + 5;
        return 0;
    }
    return -EINVAL;
}

int iot_topic_scope(const char *topic, const char *id, char *out, size_t cap)
{
    const char *rest = NULL;
    int n = scope_prefix(topic, &rest) == 0
                ? snprintf(out, cap, "%.*s%s/%s", (int)(rest - topic), topic, id, rest)
                : snprintf(out, cap, "%s", topic);
    return n >= 0 && (size_t)n < cap ? 0 : -ENOSPC;
}

int iot_topic_unscope(const char *wire, const char *id, char *out, size_t cap)
{
    const char *rest = NULL;
    if (scope_prefix(wire, &rest) != 0) {
        int n = snprintf(out, cap, "%s", wire);
        return n >= 0 && (size_t)n < cap ? 0 : -ENOSPC;
    }
    size_t idlen = strlen(id);
    if (strncmp(rest, id, idlen) || rest[idlen] != '/')
        return -EINVAL;
    int n = snprintf(out, cap, "%.*s%s", (int)(rest - wire), wire, rest + idlen + 1);
    return n >= 0 && (size_t)n < cap ? 0 : -ENOSPC;
}

long iot_topic_number(const char *topic, const char *key)
{
    const char *q = strchr(topic, '?');
    size_t klen = strlen(key);
    for (const char *p = q; p; p = strchr(p + 1, '&')) {
        const char *k = p + 1;
        if (strncmp(k, key, klen))
            continue;
        const char *d = k + klen;
        if (!isdigit((unsigned char)*d))
            return -EINVAL;
        long v = 0;
        for (; isdigit((unsigned char)*d); d++) {
            if (v > (LONG_MAX / 10) || v * 10 + (*d - '0') > INT_MAX)
                return -EINVAL;
            v = v * 10 + (*d - '0');
        }
        return v;
    }
    return -EINVAL;
}

int iot_topic_status(const char *topic, const char *prefix, int *status)
{
    size_t plen = strlen(prefix);
    if (strncmp(topic, prefix, plen))
        return -EINVAL;
    const char *p = topic + plen;
    char *end = NULL;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (end == p || *end != '/' || errno || v < INT_MIN || v > INT_MAX || !(isdigit((unsigned char)*p) || *p == '-'))
        return -EINVAL;
    *status = (int)v;
    return 0;
}

int iot_method_topic(const char *topic, char *name, size_t name_cap, char *rid, size_t rid_cap)
{
    static const char prefix[] = "$iothub/methods/POST/";
    if (strncmp(topic, prefix, sizeof prefix - 1))
        return -EINVAL;
    const char *n = topic + sizeof prefix - 1, *slash = strchr(n, '/');
    if (!slash || slash == n || (size_t)(slash - n) >= name_cap)
        return -EINVAL;
    const char *r = strstr(slash, "$rid=");
    if (!r || slash[1] != '?')
        return -EINVAL;
    r += 5;
    size_t rlen = strcspn(r, "&");
    if (rlen == 0 || rlen >= rid_cap)
        return -EINVAL;
    memcpy(name, n, (size_t)(slash - n));
    name[slash - n] = '\0';
    memcpy(rid, r, rlen);
    rid[rlen] = '\0';
    return 0;
}

int iot_property_bag(const char *bag, bool decode, iot_pair_fn fn, void *ctx)
{
    size_t cap = strlen(bag) + 1;
    char *key = malloc(cap), *value = malloc(cap);
    int rc = key && value ? 0 : -ENOMEM;
    for (const char *p = bag; !rc && *p;) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        if (eq && eq > p && (size_t)(eq - p) + 1 < len) {
            size_t klen = (size_t)(eq - p), vlen = len - klen - 1;
            if (decode) {
                if (iot_url_decode(p, klen, key, cap) || iot_url_decode(eq + 1, vlen, value, cap))
                    rc = -EINVAL;
            } else {
                memcpy(key, p, klen), key[klen] = '\0';
                memcpy(value, eq + 1, vlen), value[vlen] = '\0';
            }
            if (!rc)
                rc = fn(ctx, key, value);
        }
        p += len;
        if (*p == '&')
            p++;
    }
    free(key), free(value);
    return rc;
}

static void copy_str(const struct json_value *o, const char *key, char *out, size_t cap)
{
    const struct json_value *v = o ? json_object_get(o, key) : NULL;
    out[0] = '\0';
    if (v && v->type == JSON_STRING && v->u.string.len < cap)
        memcpy(out, v->u.string.chars, v->u.string.len + 1);
}

int iot_dps_parse(const char *body, size_t len, struct iot_dps_reply *out)
{
    memset(out, 0, sizeof *out);
    struct diag_list diags = {0};
    struct json_value *root = NULL;
    int err = json_parse(body, len, NULL, "dps", &diags, &root);
    diag_list_free(&diags);
    if (err || root->type != JSON_OBJECT) {
        json_free(root);
        return -EINVAL;
    }
    char status[32];
    copy_str(root, "status", status, sizeof status);
    copy_str(root, "operationId", out->operation_id, sizeof out->operation_id);
    const struct json_value *reg = json_object_get(root, "registrationState");
    if (reg && reg->type != JSON_OBJECT)
        reg = NULL;
    copy_str(reg, "assignedHub", out->assigned_hub, sizeof out->assigned_hub);
    copy_str(reg, "deviceId", out->device_id, sizeof out->device_id);
    const struct json_value *code = reg ? json_object_get(reg, "errorCode") : NULL;
    if (code && code->type == JSON_NUMBER && code->u.number.is_integer)
        out->error_code = (long)code->u.number.integer;
    err = 0;
    if (!strcmp(status, "assigning") || !strcmp(status, "unassigned"))
        out->state = IOT_DPS_ASSIGNING;
    else if (!strcmp(status, "assigned"))
        out->state = IOT_DPS_ASSIGNED, err = out->assigned_hub[0] && out->device_id[0] ? 0 : -EBADMSG;
    else if (!strcmp(status, "disabled"))
        out->state = IOT_DPS_DISABLED;
    else if (!strcmp(status, "blacklisted"))
        out->state = IOT_DPS_BLACKLISTED;
    else
        out->state = IOT_DPS_FAILED;
    json_free(root);
    return err;
}
