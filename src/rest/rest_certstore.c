/* SPDX-License-Identifier: MIT */
/* rest_certstore.c — the /certstore endpoints of the device REST API (see rest_certstore.h). The store is
 * the device's, shared with the apps' broker (certstore_shared on the state folder). */
#include "rest_certstore.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "certstore_store.h"

static struct certstore *open_store(struct device *d, struct device_result *r)
{
    struct certstore *cs = NULL;
    char why[400];
    if (certstore_shared(device_state_dir(d), &cs, why, sizeof why)) {
        r->err = DERR_INTERNAL;
        snprintf(r->detail, sizeof r->detail, "the certificate store cannot be read: %s", why);
        return NULL;
    }
    return cs;
}

/* Maps a store error to the REST error, with a detail naming the cause. */
static void fail(struct device_result *r, int err, const char *id, const char *what)
{
    switch (err) {
    case -ENOENT:
        r->err = DERR_NOT_FOUND;
        snprintf(r->detail, sizeof r->detail, "no certificate \"%s\" is installed", id);
        break;
    case -ENOSPC:
        r->err = DERR_NO_SPACE;
        snprintf(r->detail, sizeof r->detail, "not enough space in the certificate store (%d bytes in all)",
                 CERTSTORE_QUOTA_BYTES);
        break;
    case -EINVAL:
    case -ERANGE:
        r->err = DERR_BAD_REQUEST;
        snprintf(r->detail, sizeof r->detail, "%s", what);
        break;
    default:
        r->err = DERR_INTERNAL;
        snprintf(r->detail, sizeof r->detail, "the certificate store could not be changed: %s", strerror(-err));
    }
}

static bool id_ok(const char *id, struct device_result *r)
{
    if (certstore_check_id(id) == 0)
        return true;
    r->err = DERR_BAD_REQUEST;
    snprintf(r->detail, sizeof r->detail,
             "identifier: must be 1 to %d characters of A-Z a-z 0-9 . - _", CERTSTORE_ID_MAX);
    return false;
}

void rest_certstore_list(struct device *d, const struct auth *a, const char *id, const struct json_value *body,
                         struct device_result *r)
{
    (void)a, (void)id, (void)body;
    struct certstore *cs = open_store(d, r);
    if (!cs)
        return;
    struct json_value *o = json_new_object(), *list = json_new_array();
    for (size_t i = 0; o && list; i++) {
        char cid[CERTSTORE_ID_MAX + 1];
        if (certstore_id_at(cs, i, cid))
            break;
        json_array_append(list, json_new_string(cid));
    }
    if (o && list) {
        json_object_append(o, "identifiers", list);
        r->body = o;
    } else {
        json_free(o);
        json_free(list);
        r->err = DERR_INTERNAL;
    }
}

static struct json_value *time_string(const struct tm *t)
{
    char text[96];
    snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02dZ", t->tm_year + 1900, t->tm_mon + 1, t->tm_mday,
             t->tm_hour, t->tm_min, t->tm_sec);
    return json_new_string(text);
}

void rest_certstore_show(struct device *d, const struct auth *a, const char *id, const struct json_value *body,
                         struct device_result *r)
{
    (void)a, (void)body;
    struct certstore *cs = id_ok(id, r) ? open_store(d, r) : NULL;
    struct certstore_info info;
    int err = cs ? certstore_info(cs, id, &info) : 0;
    if (!cs)
        return;
    if (err) {
        fail(r, err, id, "the certificate cannot be read");
        return;
    }
    struct json_value *o = json_new_object();
    if (o) {
        json_object_append(o, "id", json_new_string(info.id));
        json_object_append(o, "notBefore", time_string(&info.not_before));
        json_object_append(o, "notAfter", time_string(&info.not_after));
        json_object_append(o, "subjectName", json_new_string(info.subject));
        json_object_append(o, "issuerName", json_new_string(info.issuer));
    }
    r->body = o;
    if (!o)
        r->err = DERR_INTERNAL;
}

/* A string member of the body, or NULL; *bad names a member present with another type. */
static const char *member(const struct json_value *body, const char *key, const char **bad)
{
    const struct json_value *v = json_object_get(body, key);
    if (v && v->type != JSON_STRING)
        *bad = key;
    return v && v->type == JSON_STRING ? v->u.string.chars : NULL;
}

void rest_certstore_add(struct device *d, const struct auth *a, const char *id, const struct json_value *body,
                        struct device_result *r)
{
    (void)a;
    if (!id_ok(id, r))
        return;
    const char *bad = NULL;
    const char *type = member(body, "certType", &bad), *cert = member(body, "publicCert", &bad),
               *key = member(body, "privateKey", &bad), *password = member(body, "password", &bad);
    const char *problem = NULL;
    if (bad)
        problem = "must be a string";
    else if (!type || (strcmp(type, "Client") && strcmp(type, "RootCA")))
        bad = "certType", problem = "must be \"Client\" or \"RootCA\"";
    else if (!cert || !*cert || strlen(cert) > CERTSTORE_BLOB_MAX)
        bad = "publicCert", problem = "must be a PEM certificate of 1 to 8192 characters";
    else if (!strcmp(type, "Client") && (!key || !*key || strlen(key) > CERTSTORE_BLOB_MAX))
        bad = "privateKey", problem = "must be a PEM private key of 1 to 8192 characters (a client certificate needs one)";
    else if (!strcmp(type, "RootCA") && key && *key)
        bad = "privateKey", problem = "a root CA certificate takes no private key";
    else if (password && strlen(password) > CERTSTORE_PASSWORD_MAX)
        bad = "password", problem = "must be at most 256 characters";
    if (problem) {
        r->err = DERR_BAD_REQUEST;
        snprintf(r->detail, sizeof r->detail, "%s: %s", bad, problem);
        return;
    }
    struct certstore *cs = open_store(d, r);
    if (!cs)
        return;
    bool client = !strcmp(type, "Client");
    int err = client ? certstore_install_client(cs, id, cert, strlen(cert), key, strlen(key),
                                                password && *password ? password : NULL)
                     : certstore_install_root_ca(cs, id, cert, strlen(cert));
    if (err)
        fail(r, err, id,
             client ? "publicCert/privateKey: not a PEM certificate with its private key (a key of another certificate, "
                      "or a missing or wrong password for an encrypted key, or a password for an unencrypted one)"
                    : "publicCert: not a PEM certificate");
}

void rest_certstore_delete(struct device *d, const struct auth *a, const char *id, const struct json_value *body,
                           struct device_result *r)
{
    (void)a, (void)body;
    struct certstore *cs = id_ok(id, r) ? open_store(d, r) : NULL;
    int err = cs ? certstore_delete(cs, id) : 0;
    if (err)
        fail(r, err, id, "the certificate cannot be deleted");
}

void rest_certstore_space(struct device *d, const struct auth *a, const char *id, const struct json_value *body,
                          struct device_result *r)
{
    (void)a, (void)id, (void)body;
    struct certstore *cs = open_store(d, r);
    if (!cs)
        return;
    char text[32];
    snprintf(text, sizeof text, "%zu", certstore_available(cs));
    struct json_value *o = json_new_object();
    if (o)
        json_object_append(o, "AvailableSpace", json_new_string(text));
    r->body = o;
    if (!o)
        r->err = DERR_INTERNAL;
}
