/* SPDX-License-Identifier: MIT */
/* iothub_doc.c — twin merge patches, the device's twin document, telemetry events (iothub_standin.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "iot_codec.h"
#include "iothub_standin.h"
#include "json.h"

int iothub_merge(struct json_value *target, const struct json_value *patch)
{
    if (!target || !patch || target->type != JSON_OBJECT || patch->type != JSON_OBJECT)
        return -EINVAL;
    for (size_t i = 0; i < patch->u.object.count; i++) {
        const struct json_member *m = &patch->u.object.members[i];
        if (m->key[0] == '$')
            continue;
        if (m->value->type == JSON_NULL) {
            json_object_remove(target, m->key);
            continue;
        }
        struct json_value *have = (struct json_value *)json_object_get(target, m->key);
        if (have && have->type == JSON_OBJECT && m->value->type == JSON_OBJECT) {
            int err = iothub_merge(have, m->value);
            if (err)
                return err;
            continue;
        }
        struct json_value *copy = m->value->type == JSON_OBJECT ? json_new_object() : json_clone(m->value);
        if (!copy)
            return -ENOMEM;
        if (m->value->type == JSON_OBJECT && iothub_merge(copy, m->value) != 0) { /* drops nulls and $ names inside */
            json_free(copy);
            return -ENOMEM;
        }
        int err = json_object_set(target, m->key, copy); /* frees copy on failure */
        if (err)
            return err;
    }
    return 0;
}

static int parse_object(const char *text, size_t len, struct json_value **out)
{
    struct diag_list diags = {0};
    int err = json_parse(text, len, NULL, "twin", &diags, out);
    diag_list_free(&diags);
    if (err)
        return -EINVAL;
    if ((*out)->type != JSON_OBJECT) {
        json_free(*out);
        *out = NULL;
        return -EINVAL;
    }
    return 0;
}

int iothub_apply_patch(const char *stored, const void *patch, size_t len, char **out)
{
    struct json_value *base = NULL, *p = NULL;
    int err = stored ? parse_object(stored, strlen(stored), &base) : ((base = json_new_object()) ? 0 : -ENOMEM);
    err = err ? err : parse_object(patch, len, &p);
    err = err ? err : iothub_merge(base, p);
    struct strbuf sb = {0};
    if (!err && json_write(base, JSON_COMPACT, &sb))
        err = -ENOMEM;
    json_free(base), json_free(p);
    if (err) {
        strbuf_free(&sb);
        return err;
    }
    *out = strbuf_detach(&sb);
    return *out ? 0 : -ENOMEM;
}

static int section(struct json_value *doc, const char *name, const char *text, long version)
{
    struct json_value *o = NULL;
    int err = text ? parse_object(text, strlen(text), &o) : ((o = json_new_object()) ? 0 : -ENOMEM);
    if (err)
        return err;
    if (json_object_set(o, "$version", json_new_int(version))) { /* both free what they are given on failure */
        json_free(o);
        return -ENOMEM;
    }
    return json_object_append(doc, name, o) ? -ENOMEM : 0;
}

int iothub_device_document(const char *desired, long dv, const char *reported, long rv, struct strbuf *out)
{
    struct json_value *doc = json_new_object();
    int err = doc ? 0 : -ENOMEM;
    err = err ? err : section(doc, "desired", desired, dv);
    err = err ? err : section(doc, "reported", reported, rv);
    if (!err && json_write(doc, JSON_COMPACT, out))
        err = -ENOMEM;
    json_free(doc);
    return err;
}

struct event_props {
    struct json_value *app, *sys;
    int err;
};

static int event_pair(void *ctx, const char *key, const char *value)
{
    struct event_props *e = ctx;
    bool system = !strncmp(key, "$.", 2);
    return json_object_set(system ? e->sys : e->app, system ? key + 2 : key, json_new_string(value)) ? -ENOMEM : 0;
}

int iothub_event_json(uint64_t seq, const char *device_id, const char *bag, const void *payload, size_t len, time_t when,
                      struct strbuf *out)
{
    struct json_value *o = json_new_object(), *body = NULL;
    struct event_props e = {json_new_object(), json_new_object(), 0};
    if (!o || !e.app || !e.sys) {
        json_free(o), json_free(e.app), json_free(e.sys);
        return -ENOMEM;
    }
    int err = iot_property_bag(bag, true, event_pair, &e);
    if (err == -EINVAL) /* not percent-encoded as the protocol says: keep the raw pairs */
        err = iot_property_bag(bag, false, event_pair, &e);
    struct diag_list diags = {0};
    if (json_parse(payload, len, NULL, "payload", &diags, &body) != 0) {
        body = NULL;
        char *text = malloc(len + 1);
        if (text) {
            memcpy(text, payload, len);
            text[len] = '\0';
            body = strlen(text) == len ? json_new_string(text) : json_new_null(); /* NUL inside: not text */
            free(text);
        }
    }
    diag_list_free(&diags);
    char when_text[32];
    struct tm tm;
    gmtime_r(&when, &tm);
    strftime(when_text, sizeof when_text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* json_object_append owns what it is given, also on failure. */
    bool ok = !err && body && !json_object_append(o, "seq", json_new_int((int64_t)seq)) &&
              !json_object_append(o, "deviceId", json_new_string(device_id)) &&
              !json_object_append(o, "enqueuedTime", json_new_string(when_text));
    if (ok) { /* each append owns what it is given, also when it fails */
        ok = !json_object_append(o, "properties", e.app);
        ok = !json_object_append(o, "systemProperties", e.sys) && ok;
        ok = !json_object_append(o, "payload", body) && ok;
        e.app = e.sys = body = NULL;
        ok = ok && !json_write(o, JSON_COMPACT, out);
    }
    json_free(o), json_free(e.app), json_free(e.sys), json_free(body);
    return ok ? 0 : err ? err : -ENOMEM;
}
