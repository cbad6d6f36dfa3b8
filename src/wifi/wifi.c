/* SPDX-License-Identifier: MIT */
/* wifi.c — the simulated device's Wi-Fi: stored networks, access points, the connect decision,
 * diagnostics and the two state files (contract in wifi.h, formats in docs/wifi.md). One module:
 * the connect decision reads every stored network and access point the files hold. */
#include "wifi.h"
#include "hwaddr.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostio.h"
#include "json.h"
#include "path.h"
#include "strbuf.h"

#define NETWORKS_FILE "wifi.json"
#define APS_FILE "wifi-aps.json"
#define FORMAT_VERSION 1

/* The default radio environment and stored network of a device without state files. */
#define DEFAULT_SSID "OpenSphere-Sim"
#define DEFAULT_PSK "opensphere-sim"

struct wifi {
    char *dir;
    struct wifi_ops ops;
    struct wifi_network nets[WIFI_MAX_NETWORKS];
    size_t count;
    struct wifi_ap aps[WIFI_MAX_APS];
    size_t ap_count;
    struct wifi_ap scanned[WIFI_MAX_APS];
    size_t scanned_count;
    struct wifi_ap link; /* the access point of the connected network */
    bool linked;
};

/* ---- text forms ------------------------------------------------------------------------------ */

static const char *const security_names[] = {"unknown", "open", "psk", "eaptls"};

const char *wifi_security_name(int security)
{
    return security >= 0 && security <= WIFI_SEC_EAP_TLS ? security_names[security] : "unknown";
}

int wifi_security_parse(const char *name)
{
    for (int i = 0; i <= WIFI_SEC_EAP_TLS; i++)
        if (name && !strcmp(name, security_names[i]))
            return i;
    return -EINVAL;
}

const char *wifi_error_name(int error)
{
    static const char *const names[] = {"None", "ConnectionFailed", "NetworkNotFound", "NoPskIncluded", "WrongKey",
                                        "AuthenticationFailed", "SecurityTypeMismatch"};
    return error >= 0 && error <= WIFI_ERR_SECURITY_MISMATCH ? names[error] : "ConnectionFailed";
}

const char *wifi_cert_error_name(int cert_error)
{
    switch (cert_error) {
    case WIFI_CERT_NOT_FOUND:
        return "CertificateNotFound";
    case WIFI_CERT_INVALID_ROOT_CA:
        return "InvalidRootCA";
    case WIFI_CERT_INVALID_CLIENT_AUTH:
        return "InvalidClientAuth";
    default:
        return "Unspecified";
    }
}

bool wifi_psk_valid(const char *psk, size_t len)
{
    if (len == 64) {
        for (size_t i = 0; i < len; i++)
            if (!isxdigit((unsigned char)psk[i]))
                return false;
        return true;
    }
    if (len < 8 || len > 63)
        return false;
    for (size_t i = 0; i < len; i++)
        if (psk[i] < 0x20 || psk[i] > 0x7e)
            return false;
    return true;
}

bool wifi_cert_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n < 1 || n > WIFI_CERT_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && id[i] != '.' && id[i] != '_' && id[i] != '-')
            return false;
    return true;
}

static bool ssid_is_text(const uint8_t *ssid, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (ssid[i] < 0x20 || ssid[i] > 0x7e)
            return false;
    return true;
}

void wifi_ssid_text(const uint8_t *ssid, size_t len, char out[2 * WIFI_SSID_MAX + 1])
{
    if (len > WIFI_SSID_MAX)
        len = WIFI_SSID_MAX;
    if (ssid_is_text(ssid, len)) {
        memcpy(out, ssid, len);
        out[len] = 0;
        return;
    }
    for (size_t i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", ssid[i]);
    out[2 * len] = 0;
}

/* ---- defaults -------------------------------------------------------------------------------- */

static void default_aps(struct wifi *w)
{
    struct wifi_ap *ap = &w->aps[0];
    memset(ap, 0, sizeof *ap);
    memcpy(ap->ssid, DEFAULT_SSID, strlen(DEFAULT_SSID));
    ap->ssid_len = (uint8_t)strlen(DEFAULT_SSID);
    static const uint8_t bssid[6] = {0x02, 0x00, 0x5e, 0x00, 0x00, 0x01};
    memcpy(ap->bssid, bssid, 6);
    ap->security = WIFI_SEC_PSK;
    ap->frequency_mhz = 2437;
    ap->signal_dbm = -45;
    snprintf(ap->psk, sizeof ap->psk, "%s", DEFAULT_PSK);
    w->ap_count = 1;
}

static void default_networks(struct wifi *w)
{
    struct wifi_network *n = &w->nets[0];
    memset(n, 0, sizeof *n);
    memcpy(n->ssid, DEFAULT_SSID, strlen(DEFAULT_SSID));
    n->ssid_len = (uint8_t)strlen(DEFAULT_SSID);
    n->security = WIFI_SEC_PSK;
    n->enabled = true;
    snprintf(n->psk, sizeof n->psk, "%s", DEFAULT_PSK);
    w->count = 1;
}

/* ---- reading the files ----------------------------------------------------------------------- */

struct loader {
    const char *file;
    char *why;
    size_t why_size;
};

static int refuse(const struct loader *l, const struct json_value *at, const char *path, const char *reason)
{
    snprintf(l->why, l->why_size, "%s:%u:%u: %s: %s", l->file, at ? at->pos.line : 0, at ? at->pos.col : 0, path,
             reason);
    return -EINVAL;
}

/* Parses text into a tree whose top level is {"version":1, key:[…]}; *list = the array. */
static int parse_file(const struct loader *l, const char *text, size_t len, const char *key, struct json_value **root,
                      const struct json_value **list)
{
    struct diag_list diags = {0};
    *root = NULL;
    int err = json_parse(text, len, NULL, l->file, &diags, root);
    if (err || diag_error_count(&diags)) {
        const struct diag *d = diags.count ? &diags.items[0] : NULL;
        snprintf(l->why, l->why_size, "%s:%u:%u: %s: %s", l->file, d ? d->line : 0, d ? d->col : 0,
                 d && d->path ? d->path : "(top level)", d ? d->message : "not valid JSON");
        diag_list_free(&diags);
        json_free(*root);
        *root = NULL;
        return err == -ENOMEM ? -ENOMEM : -EINVAL;
    }
    diag_list_free(&diags);
    const struct json_value *version = json_object_get(*root, "version");
    if ((*root)->type != JSON_OBJECT)
        err = refuse(l, *root, "(top level)", "must be an object {\"version\": 1, …}");
    else if (!version || version->type != JSON_NUMBER || !version->u.number.is_integer ||
             version->u.number.integer != FORMAT_VERSION)
        err = refuse(l, version ? version : *root, "version", "must be 1");
    else if (!(*list = json_object_get(*root, key)) || (*list)->type != JSON_ARRAY)
        err = refuse(l, *list ? *list : *root, key, "must be an array");
    for (size_t i = 0; !err && i < (*root)->u.object.count; i++) {
        const char *k = (*root)->u.object.members[i].key;
        if (strcmp(k, "version") && strcmp(k, key))
            err = refuse(l, (*root)->u.object.members[i].value, k, "is not a known field");
    }
    if (err) {
        json_free(*root);
        *root = NULL;
    }
    return err;
}

/* A string member: NULL if absent; refuses a non-string. */
static int get_string(const struct loader *l, const struct json_value *o, const char *key, const char *where,
                      const char **out)
{
    const struct json_value *v = json_object_get(o, key);
    *out = NULL;
    if (!v)
        return 0;
    if (v->type != JSON_STRING) {
        char path[96];
        snprintf(path, sizeof path, "%s.%s", where, key);
        return refuse(l, v, path, "must be a string");
    }
    *out = v->u.string.chars;
    return 0;
}

static int get_bool(const struct loader *l, const struct json_value *o, const char *key, const char *where, bool *out)
{
    const struct json_value *v = json_object_get(o, key);
    if (!v)
        return 0;
    if (v->type != JSON_BOOL) {
        char path[96];
        snprintf(path, sizeof path, "%s.%s", where, key);
        return refuse(l, v, path, "must be true or false");
    }
    *out = v->u.boolean;
    return 0;
}

static int field_error(const struct loader *l, const struct json_value *o, const char *key, const char *where,
                       const char *reason)
{
    char path[96];
    const struct json_value *v = json_object_get(o, key);
    snprintf(path, sizeof path, "%s.%s", where, key);
    return refuse(l, v ? v : o, path, reason);
}

static int only_known(const struct loader *l, const struct json_value *o, const char *where, const char *const *keys)
{
    for (size_t i = 0; i < o->u.object.count; i++) {
        bool known = false;
        for (const char *const *k = keys; *k && !known; k++)
            known = !strcmp(*k, o->u.object.members[i].key);
        if (!known) {
            char path[96];
            snprintf(path, sizeof path, "%s.%s", where, o->u.object.members[i].key);
            return refuse(l, o->u.object.members[i].value, path, "is not a known field");
        }
    }
    return 0;
}

/* "ssid" (printable ASCII) or "ssidHex" (1-32 bytes as hex digits). */
static int get_ssid(const struct loader *l, const struct json_value *o, const char *where, bool required,
                    uint8_t ssid[WIFI_SSID_MAX], uint8_t *len)
{
    const char *text, *hex;
    int err = get_string(l, o, "ssid", where, &text);
    if (!err)
        err = get_string(l, o, "ssidHex", where, &hex);
    if (err)
        return err;
    *len = 0;
    if (text && hex)
        return field_error(l, o, "ssidHex", where, "must not be given with ssid");
    if (text) {
        size_t n = strlen(text);
        if (n < 1 || n > WIFI_SSID_MAX || !ssid_is_text((const uint8_t *)text, n))
            return field_error(l, o, "ssid", where, "must be 1-32 printable ASCII characters (else use ssidHex)");
        memcpy(ssid, text, n);
        *len = (uint8_t)n;
    } else if (hex) {
        size_t n = strlen(hex);
        bool ok = n >= 2 && n <= 2 * WIFI_SSID_MAX && n % 2 == 0;
        for (size_t i = 0; ok && i < n; i++)
            ok = isxdigit((unsigned char)hex[i]);
        if (!ok)
            return field_error(l, o, "ssidHex", where, "must be 1-32 bytes as pairs of hex digits");
        for (size_t i = 0; i < n / 2; i++) {
            char b[3] = {hex[2 * i], hex[2 * i + 1], 0};
            ssid[i] = (uint8_t)strtoul(b, NULL, 16);
        }
        *len = (uint8_t)(n / 2);
    } else if (required) {
        return refuse(l, o, where, "needs \"ssid\" (or \"ssidHex\")");
    }
    return 0;
}

static int get_cert_id(const struct loader *l, const struct json_value *o, const char *key, const char *where,
                       char out[WIFI_CERT_ID_MAX + 1])
{
    const char *s;
    int err = get_string(l, o, key, where, &s);
    if (err || !s)
        return err;
    if (!wifi_cert_id_valid(s))
        return field_error(l, o, key, where, "must be 1-16 characters of A-Z a-z 0-9 . _ -");
    snprintf(out, WIFI_CERT_ID_MAX + 1, "%s", s);
    return 0;
}

static int load_network(const struct loader *l, const struct json_value *o, size_t index, struct wifi_network *n)
{
    static const char *const keys[] = {"ssid", "ssidHex", "security", "enabled", "targetedScan", "psk", "configName",
                                       "clientIdentity", "clientCertId", "rootCaCertId", NULL};
    char where[48];
    snprintf(where, sizeof where, "networks[%zu]", index);
    memset(n, 0, sizeof *n);
    if (o->type != JSON_OBJECT)
        return refuse(l, o, where, "must be an object");
    const char *security, *psk, *name, *identity;
    int err = only_known(l, o, where, keys);
    if (!err)
        err = get_ssid(l, o, where, true, n->ssid, &n->ssid_len);
    if (!err)
        err = get_string(l, o, "security", where, &security);
    if (!err && (!security || wifi_security_parse(security) <= 0))
        err = field_error(l, o, "security", where, "must be \"open\", \"psk\" or \"eaptls\"");
    if (!err) {
        n->security = (uint8_t)wifi_security_parse(security);
        n->enabled = true;
        err = get_bool(l, o, "enabled", where, &n->enabled);
    }
    if (!err)
        err = get_bool(l, o, "targetedScan", where, &n->targeted_scan);
    if (!err)
        err = get_string(l, o, "psk", where, &psk);
    if (!err && psk && !wifi_psk_valid(psk, strlen(psk)))
        err = field_error(l, o, "psk", where, "must be 8-63 printable ASCII characters or 64 hex digits");
    if (!err && psk)
        snprintf(n->psk, sizeof n->psk, "%s", psk);
    if (!err)
        err = get_string(l, o, "configName", where, &name);
    if (!err && name && strlen(name) > WIFI_CONFIG_NAME_MAX)
        err = field_error(l, o, "configName", where, "must be at most 16 characters");
    if (!err && name)
        snprintf(n->config_name, sizeof n->config_name, "%s", name);
    if (!err)
        err = get_string(l, o, "clientIdentity", where, &identity);
    if (!err && identity && strlen(identity) > WIFI_IDENTITY_MAX)
        err = field_error(l, o, "clientIdentity", where, "must be at most 254 bytes");
    if (!err && identity)
        snprintf(n->client_identity, sizeof n->client_identity, "%s", identity);
    if (!err)
        err = get_cert_id(l, o, "clientCertId", where, n->client_cert_id);
    if (!err)
        err = get_cert_id(l, o, "rootCaCertId", where, n->root_ca_id);
    return err;
}

static int load_ap(const struct loader *l, const struct json_value *o, size_t index, struct wifi_ap *ap)
{
    static const char *const keys[] = {"ssid", "ssidHex", "bssid", "security", "frequency", "signal", "psk", "hidden", NULL};
    char where[48];
    snprintf(where, sizeof where, "accessPoints[%zu]", index);
    memset(ap, 0, sizeof *ap);
    if (o->type != JSON_OBJECT)
        return refuse(l, o, where, "must be an object");
    const char *bssid, *security, *psk;
    int err = only_known(l, o, where, keys);
    if (!err)
        err = get_ssid(l, o, where, true, ap->ssid, &ap->ssid_len);
    if (!err)
        err = get_string(l, o, "bssid", where, &bssid);
    if (!err && hwaddr_parse(bssid, ap->bssid))
        err = field_error(l, o, "bssid", where, "must be six hex bytes aa:bb:cc:dd:ee:ff");
    if (!err)
        err = get_string(l, o, "security", where, &security);
    if (!err && (!security || wifi_security_parse(security) <= 0))
        err = field_error(l, o, "security", where, "must be \"open\", \"psk\" or \"eaptls\"");
    if (!err)
        ap->security = (uint8_t)wifi_security_parse(security);
    const struct json_value *f = json_object_get(o, "frequency"), *s = json_object_get(o, "signal");
    if (!err && (!f || f->type != JSON_NUMBER || !f->u.number.is_integer ||
                 !((f->u.number.integer >= 2412 && f->u.number.integer <= 2484) ||
                   (f->u.number.integer >= 5150 && f->u.number.integer <= 5895))))
        err = field_error(l, o, "frequency", where, "must be a channel's centre in MHz: 2412-2484 or 5150-5895");
    if (!err && (!s || s->type != JSON_NUMBER || !s->u.number.is_integer || s->u.number.integer < -100 ||
                 s->u.number.integer > 0))
        err = field_error(l, o, "signal", where, "must be an integer from -100 to 0 (dBm)");
    if (!err) {
        ap->frequency_mhz = (uint32_t)f->u.number.integer;
        ap->signal_dbm = (int8_t)s->u.number.integer;
        err = get_bool(l, o, "hidden", where, &ap->hidden);
    }
    if (!err)
        err = get_string(l, o, "psk", where, &psk);
    if (!err && ap->security == WIFI_SEC_PSK && (!psk || !wifi_psk_valid(psk, strlen(psk))))
        err = field_error(l, o, "psk", where, "a psk access point needs 8-63 printable ASCII characters or 64 hex digits");
    else if (!err && ap->security != WIFI_SEC_PSK && psk)
        err = field_error(l, o, "psk", where, "only a psk access point has a key");
    if (!err && psk)
        snprintf(ap->psk, sizeof ap->psk, "%s", psk);
    return err;
}

int wifi_load_networks_text(struct wifi *w, const char *name, const char *text, size_t len, char *why, size_t why_size)
{
    struct loader l = {name, why, why_size};
    struct json_value *root;
    const struct json_value *list = NULL;
    int err = parse_file(&l, text, len, "networks", &root, &list);
    if (err)
        return err;
    struct wifi_network *nets = calloc(WIFI_MAX_NETWORKS, sizeof *nets);
    if (!nets) {
        json_free(root);
        return -ENOMEM;
    }
    if (list->u.array.count > WIFI_MAX_NETWORKS)
        err = refuse(&l, list, "networks", "holds more than 37 networks, the device's limit");
    for (size_t i = 0; !err && i < list->u.array.count; i++)
        err = load_network(&l, list->u.array.items[i], i, &nets[i]);
    if (!err) {
        memcpy(w->nets, nets, list->u.array.count * sizeof *nets);
        w->count = list->u.array.count;
        w->linked = false;
    }
    free(nets);
    json_free(root);
    return err;
}

int wifi_load_aps_text(struct wifi *w, const char *name, const char *text, size_t len, char *why, size_t why_size)
{
    struct loader l = {name, why, why_size};
    struct json_value *root;
    const struct json_value *list = NULL;
    int err = parse_file(&l, text, len, "accessPoints", &root, &list);
    if (err)
        return err;
    struct wifi_ap *aps = calloc(WIFI_MAX_APS, sizeof *aps);
    if (!aps) {
        json_free(root);
        return -ENOMEM;
    }
    if (list->u.array.count > WIFI_MAX_APS)
        err = refuse(&l, list, "accessPoints", "holds more than 64 access points");
    for (size_t i = 0; !err && i < list->u.array.count; i++) {
        err = load_ap(&l, list->u.array.items[i], i, &aps[i]);
        for (size_t j = 0; !err && j < i; j++)
            if (!memcmp(aps[j].bssid, aps[i].bssid, 6)) {
                char where[48];
                snprintf(where, sizeof where, "accessPoints[%zu].bssid", i);
                err = refuse(&l, json_object_get(list->u.array.items[i], "bssid"), where, "repeats an earlier access point's");
            }
    }
    if (!err) {
        memcpy(w->aps, aps, list->u.array.count * sizeof *aps);
        w->ap_count = list->u.array.count;
    }
    free(aps);
    json_free(root);
    return err;
}

/* ---- writing the files ----------------------------------------------------------------------- */

static int put_ssid(struct json_value *o, const uint8_t *ssid, size_t len)
{
    char buf[2 * WIFI_SSID_MAX + 1];
    if (ssid_is_text(ssid, len)) {
        memcpy(buf, ssid, len);
        buf[len] = 0;
        return json_object_append(o, "ssid", json_new_string(buf));
    }
    for (size_t i = 0; i < len; i++)
        snprintf(buf + 2 * i, 3, "%02x", ssid[i]);
    buf[2 * len] = 0;
    return json_object_append(o, "ssidHex", json_new_string(buf));
}

static int put_string_if(struct json_value *o, const char *key, const char *value)
{
    return value[0] ? json_object_append(o, key, json_new_string(value)) : 0;
}

static struct json_value *file_root(const char *key, struct json_value **list)
{
    struct json_value *root = json_new_object();
    if (!root || json_object_append(root, "version", json_new_int(FORMAT_VERSION)) ||
        json_object_append(root, key, json_new_array())) { /* appending takes the child, also on failure */
        json_free(root);
        return NULL;
    }
    *list = root->u.object.members[1].value;
    return root;
}

struct json_value *wifi_networks_file_json(const struct wifi *w)
{
    struct json_value *list = NULL, *root = file_root("networks", &list);
    for (size_t i = 0; root && i < w->count; i++) {
        const struct wifi_network *n = &w->nets[i];
        struct json_value *o = json_new_object();
        if (json_array_append(list, o)) { /* takes o, also on failure */
            json_free(root);
            return NULL;
        }
        int err = put_ssid(o, n->ssid, n->ssid_len) ||
                  json_object_append(o, "security", json_new_string(wifi_security_name(n->security))) ||
                  json_object_append(o, "enabled", json_new_bool(n->enabled)) ||
                  json_object_append(o, "targetedScan", json_new_bool(n->targeted_scan)) ||
                  put_string_if(o, "psk", n->psk) || put_string_if(o, "configName", n->config_name) ||
                  put_string_if(o, "clientIdentity", n->client_identity) ||
                  put_string_if(o, "clientCertId", n->client_cert_id) || put_string_if(o, "rootCaCertId", n->root_ca_id);
        if (err) {
            json_free(root);
            return NULL;
        }
    }
    return root;
}

struct json_value *wifi_aps_file_json(const struct wifi *w)
{
    struct json_value *list = NULL, *root = file_root("accessPoints", &list);
    for (size_t i = 0; root && i < w->ap_count; i++) {
        const struct wifi_ap *ap = &w->aps[i];
        char bssid[18];
        hwaddr_format(ap->bssid, bssid);
        struct json_value *o = json_new_object();
        if (json_array_append(list, o)) { /* takes o, also on failure */
            json_free(root);
            return NULL;
        }
        int err = put_ssid(o, ap->ssid, ap->ssid_len) ||
                  json_object_append(o, "bssid", json_new_string(bssid)) ||
                  json_object_append(o, "security", json_new_string(wifi_security_name(ap->security))) ||
                  json_object_append(o, "frequency", json_new_int(ap->frequency_mhz)) ||
                  json_object_append(o, "signal", json_new_int(ap->signal_dbm)) ||
                  (ap->hidden && json_object_append(o, "hidden", json_new_bool(true))) || put_string_if(o, "psk", ap->psk);
        if (err) {
            json_free(root);
            return NULL;
        }
    }
    return root;
}

static int save(const struct wifi *w, const char *file, struct json_value *root)
{
    if (!root)
        return -ENOMEM;
    if (!w->dir) {
        json_free(root);
        return 0;
    }
    struct strbuf text = {0};
    char *path = path_join(w->dir, file);
    int err = !path || json_write(root, JSON_PRETTY, &text) || strbuf_puts(&text, "\n") ? -ENOMEM : 0;
    if (!err)
        err = hostio_write_file_atomic(path, text.data, text.len, 0600);
    strbuf_free(&text);
    free(path);
    json_free(root);
    return err;
}

static int save_aps(struct wifi *w)
{
    return save(w, APS_FILE, wifi_aps_file_json(w));
}

/* ---- open / close ---------------------------------------------------------------------------- */

static int load_file(struct wifi *w, const char *file,
                     int (*load)(struct wifi *, const char *, const char *, size_t, char *, size_t), char *why,
                     size_t why_size)
{
    char *path = path_join(w->dir, file), *text = NULL;
    size_t len = 0;
    if (!path)
        return -ENOMEM;
    int err = hostio_read_file(path, &text, &len);
    if (err == -ENOENT) {
        err = 1; /* the default */
    } else if (err) {
        snprintf(why, why_size, "%s: cannot read: %s", path, strerror(-err));
    } else {
        err = load(w, path, text, len, why, why_size);
    }
    free(text);
    free(path);
    return err;
}

int wifi_open(const char *dir, const struct wifi_ops *ops, struct wifi **out, char *why, size_t why_size)
{
    struct wifi *w = calloc(1, sizeof *w);
    if (!w || (dir && !(w->dir = strdup(dir)))) {
        free(w);
        return -ENOMEM;
    }
    if (ops)
        w->ops = *ops;
    int err = 1;
    if (w->dir && (err = load_file(w, APS_FILE, wifi_load_aps_text, why, why_size)) < 0) {
        wifi_close(w);
        return err;
    }
    if (err == 1)
        default_aps(w);
    err = 1;
    if (w->dir && (err = load_file(w, NETWORKS_FILE, wifi_load_networks_text, why, why_size)) < 0) {
        wifi_close(w);
        return err;
    }
    if (err == 1)
        default_networks(w);
    wifi_evaluate(w);
    *out = w;
    return 0;
}

void wifi_close(struct wifi *w)
{
    if (!w)
        return;
    free(w->dir);
    free(w);
}

/* ---- the connect decision -------------------------------------------------------------------- */

static int cert_kind(const struct wifi *w, const char *id)
{
    return w->ops.cert_kind ? w->ops.cert_kind(w->ops.ctx, id) : -ENOENT;
}

static void set_cert_failure(struct wifi_diag *d, int cert_error, int depth, const char *subject)
{
    d->error = WIFI_ERR_AUTHENTICATION_FAILED;
    d->cert_error = cert_error;
    d->cert_depth = depth;
    snprintf(d->cert_subject, sizeof d->cert_subject, "%s", subject);
}

/* Tries network n against one access point: 0 (viable) or the failure in *d. */
static int try_ap(const struct wifi *w, const struct wifi_network *n, const struct wifi_ap *ap, struct wifi_diag *d)
{
    memset(d, 0, sizeof *d);
    d->cert_depth = -1;
    if (n->security != ap->security)
        d->error = WIFI_ERR_SECURITY_MISMATCH;
    else if (n->security == WIFI_SEC_PSK && !n->psk[0])
        d->error = WIFI_ERR_NO_PSK;
    else if (n->security == WIFI_SEC_PSK && strcmp(n->psk, ap->psk))
        d->error = WIFI_ERR_WRONG_KEY;
    else if (n->security == WIFI_SEC_EAP_TLS) {
        int client = n->client_cert_id[0] ? cert_kind(w, n->client_cert_id) : -ENOENT;
        int root = n->root_ca_id[0] ? cert_kind(w, n->root_ca_id) : WIFI_CERT_KIND_ROOT_CA;
        if (client == -ENOENT)
            set_cert_failure(d, WIFI_CERT_NOT_FOUND, 0, n->client_cert_id);
        else if (client != WIFI_CERT_KIND_CLIENT)
            set_cert_failure(d, WIFI_CERT_INVALID_CLIENT_AUTH, 0, n->client_cert_id);
        else if (root == -ENOENT)
            set_cert_failure(d, WIFI_CERT_NOT_FOUND, 1, n->root_ca_id);
        else if (root != WIFI_CERT_KIND_ROOT_CA)
            set_cert_failure(d, WIFI_CERT_INVALID_ROOT_CA, 1, n->root_ca_id);
    }
    return d->error ? -1 : 0;
}

/* The strongest access point network n can join (index), or -1 with the reason in *d. */
static int best_ap(const struct wifi *w, const struct wifi_network *n, struct wifi_diag *d)
{
    int best = -1, failing_signal = -1000;
    struct wifi_diag first = {.error = WIFI_ERR_NETWORK_NOT_FOUND, .cert_depth = -1};
    for (size_t i = 0; i < w->ap_count; i++) {
        const struct wifi_ap *ap = &w->aps[i];
        if (ap->ssid_len != n->ssid_len || memcmp(ap->ssid, n->ssid, n->ssid_len) || (ap->hidden && !n->targeted_scan))
            continue;
        struct wifi_diag why;
        if (try_ap(w, n, ap, &why) == 0) {
            if (best < 0 || ap->signal_dbm > w->aps[best].signal_dbm)
                best = (int)i;
        } else if (ap->signal_dbm > failing_signal) { /* the strongest failing one says why */
            first = why;
            failing_signal = ap->signal_dbm;
        }
    }
    *d = first;
    return best;
}

void wifi_evaluate(struct wifi *w)
{
    int aps[WIFI_MAX_NETWORKS];
    int current = -1, choice = -1;
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < w->count; i++) {
        struct wifi_network *n = &w->nets[i];
        aps[i] = -1;
        if (n->connected)
            current = (int)i;
        if (!n->enabled || !n->ssid_len)
            continue;
        struct wifi_diag d;
        aps[i] = best_ap(w, n, &d);
        if (aps[i] < 0) {
            d.timestamp = now;
            n->diag = d;
            n->has_diag = true;
        } else if (choice < 0 || w->aps[aps[i]].signal_dbm > w->aps[aps[choice]].signal_dbm) {
            choice = (int)i;
        }
    }
    if (current >= 0 && aps[current] >= 0)
        choice = current; /* stay while it works */
    for (size_t i = 0; i < w->count; i++)
        w->nets[i].connected = (int)i == choice;
    w->linked = choice >= 0;
    if (w->linked)
        w->link = w->aps[aps[choice]];
}

int wifi_connected_id(const struct wifi *w)
{
    for (size_t i = 0; i < w->count; i++)
        if (w->nets[i].connected)
            return (int)i;
    return -ENOTCONN;
}

const struct wifi_ap *wifi_connected_ap(const struct wifi *w)
{
    return w->linked ? &w->link : NULL;
}

bool wifi_link_up(const struct wifi *w)
{
    return w->linked;
}

int wifi_scan(struct wifi *w)
{
    w->scanned_count = 0;
    for (size_t i = 0; i < w->ap_count; i++) {
        if (w->aps[i].hidden)
            continue;
        size_t at = w->scanned_count++;
        while (at > 0 && w->scanned[at - 1].signal_dbm < w->aps[i].signal_dbm) {
            w->scanned[at] = w->scanned[at - 1];
            at--;
        }
        w->scanned[at] = w->aps[i];
    }
    return (int)w->scanned_count;
}

size_t wifi_scanned_count(const struct wifi *w)
{
    return w->scanned_count;
}

const struct wifi_ap *wifi_scanned(const struct wifi *w, size_t i)
{
    return i < w->scanned_count ? &w->scanned[i] : NULL;
}

/* ---- stored networks ------------------------------------------------------------------------- */

size_t wifi_network_count(const struct wifi *w)
{
    return w->count;
}

const struct wifi_network *wifi_network(const struct wifi *w, int id)
{
    return id >= 0 && (size_t)id < w->count ? &w->nets[id] : NULL;
}

/* The network to change, or NULL and *err = -EINVAL (negative) / -ENODEV (none). */
static struct wifi_network *lookup(struct wifi *w, int id, int *err)
{
    *err = id < 0 ? -EINVAL : (size_t)id >= w->count ? -ENODEV : 0;
    return *err ? NULL : &w->nets[id];
}

int wifi_diagnostics(const struct wifi *w, int id, struct wifi_diag *out)
{
    if (id < 0)
        return -EINVAL;
    const struct wifi_network *n = wifi_network(w, id);
    if (!n || !n->has_diag)
        return -ENODEV;
    *out = n->diag;
    return 0;
}

int wifi_add_network(struct wifi *w)
{
    if (w->count >= WIFI_MAX_NETWORKS)
        return -ENOMEM;
    struct wifi_network *n = &w->nets[w->count];
    memset(n, 0, sizeof *n); /* disabled until configured, as the platform's samples expect */
    return (int)w->count++;
}

int wifi_add_duplicate(struct wifi *w, int id, const char *config_name)
{
    int err;
    struct wifi_network *n = lookup(w, id, &err);
    if (!n)
        return err;
    size_t len = strlen(config_name);
    if (len < 1 || len > WIFI_CONFIG_NAME_MAX)
        return -ERANGE;
    if (wifi_id_by_config_name(w, config_name) >= 0)
        return -EEXIST;
    if (w->count >= WIFI_MAX_NETWORKS)
        return -ENOMEM;
    struct wifi_network *copy = &w->nets[w->count];
    *copy = *n;
    copy->enabled = false;
    copy->connected = false;
    copy->has_diag = false;
    snprintf(copy->config_name, sizeof copy->config_name, "%s", config_name);
    return (int)w->count++;
}

int wifi_set_ssid(struct wifi *w, int id, const uint8_t *ssid, size_t len)
{
    int err;
    struct wifi_network *n = lookup(w, id, &err);
    if (!n)
        return err;
    if (len < 1 || len > WIFI_SSID_MAX)
        return -ERANGE;
    memcpy(n->ssid, ssid, len);
    n->ssid_len = (uint8_t)len;
    n->connected = false;
    wifi_evaluate(w);
    return 0;
}

int wifi_set_security(struct wifi *w, int id, int security)
{
    int err;
    struct wifi_network *n = lookup(w, id, &err);
    if (!n)
        return err;
    if (security < WIFI_SEC_OPEN || security > WIFI_SEC_EAP_TLS)
        return -EINVAL;
    n->security = (uint8_t)security;
    n->connected = false;
    wifi_evaluate(w);
    return 0;
}

int wifi_set_psk(struct wifi *w, int id, const char *psk, size_t len)
{
    int err;
    struct wifi_network *n = lookup(w, id, &err);
    if (!n)
        return err;
    if (len > WIFI_PSK_MAX)
        return -ERANGE;
    if (len && !wifi_psk_valid(psk, len))
        return -EINVAL;
    memcpy(n->psk, psk, len);
    n->psk[len] = 0;
    n->connected = false;
    wifi_evaluate(w);
    return 0;
}

int wifi_set_enabled(struct wifi *w, int id, bool enabled)
{
    int err;
    struct wifi_network *n = lookup(w, id, &err);
    if (!n)
        return err;
    n->enabled = enabled;
    if (!enabled)
        n->connected = false;
    wifi_evaluate(w);
    return 0;
}

int wifi_set_targeted_scan(struct wifi *w, int id, bool enabled)
{
    int err;
    struct wifi_network *n = lookup(w, id, &err);
    if (!n)
        return err;
    n->targeted_scan = enabled;
    wifi_evaluate(w);
    return 0;
}

int wifi_set_config_name(struct wifi *w, int id, const char *name)
{
    int err;
    struct wifi_network *n = lookup(w, id, &err);
    if (!n)
        return err;
    if (strlen(name) > WIFI_CONFIG_NAME_MAX)
        return -ERANGE;
    snprintf(n->config_name, sizeof n->config_name, "%s", name);
    return 0;
}

int wifi_set_client_identity(struct wifi *w, int id, const char *identity)
{
    int err;
    struct wifi_network *n = lookup(w, id, &err);
    if (!n)
        return err;
    if (strlen(identity) > WIFI_IDENTITY_MAX)
        return -ERANGE;
    snprintf(n->client_identity, sizeof n->client_identity, "%s", identity);
    wifi_evaluate(w);
    return 0;
}

int wifi_set_cert_id(struct wifi *w, int id, enum wifi_cert_slot slot, const char *id_text)
{
    int err;
    struct wifi_network *n = lookup(w, id, &err);
    if (!n)
        return err;
    if (strlen(id_text) > WIFI_CERT_ID_MAX)
        return -ERANGE;
    if (id_text[0] && !wifi_cert_id_valid(id_text))
        return -EINVAL;
    char *into = slot == WIFI_CERT_CLIENT ? n->client_cert_id : n->root_ca_id;
    snprintf(into, WIFI_CERT_ID_MAX + 1, "%s", id_text);
    n->connected = false;
    wifi_evaluate(w);
    return 0;
}

int wifi_id_by_config_name(const struct wifi *w, const char *name)
{
    if (strlen(name) > WIFI_CONFIG_NAME_MAX)
        return -ERANGE;
    for (size_t i = 0; i < w->count; i++)
        if (w->nets[i].config_name[0] && !strcmp(w->nets[i].config_name, name))
            return (int)i;
    return -ENODEV;
}

static void remove_at(struct wifi *w, size_t i)
{
    memmove(&w->nets[i], &w->nets[i + 1], (w->count - i - 1) * sizeof w->nets[0]);
    w->count--;
}

int wifi_forget(struct wifi *w, int id)
{
    int err;
    if (!lookup(w, id, &err))
        return err;
    remove_at(w, (size_t)id);
    wifi_evaluate(w);
    return 0;
}

int wifi_forget_all(struct wifi *w)
{
    size_t count = w->count;
    struct wifi_network *old = malloc(count * sizeof *old + 1);
    if (!old)
        return -ENOMEM;
    memcpy(old, w->nets, count * sizeof *old);
    w->count = 0;
    int err = wifi_persist(w);
    if (err) {
        memcpy(w->nets, old, count * sizeof *old);
        w->count = count;
    }
    free(old);
    wifi_evaluate(w);
    return err;
}

static int find_matching(const struct wifi *w, const uint8_t *ssid, size_t len, int security)
{
    for (size_t i = 0; i < w->count; i++)
        if (w->nets[i].ssid_len == len && !memcmp(w->nets[i].ssid, ssid, len) && w->nets[i].security == security)
            return (int)i;
    return -ENOENT;
}

int wifi_store_network(struct wifi *w, const uint8_t *ssid, size_t len, int security, const char *psk, size_t psk_len)
{
    if (len < 1 || len > WIFI_SSID_MAX || (security == WIFI_SEC_PSK && (psk_len < 1 || psk_len > WIFI_PSK_MAX)))
        return -ERANGE;
    if (security == WIFI_SEC_PSK && !wifi_psk_valid(psk, psk_len))
        return -EINVAL;
    if (find_matching(w, ssid, len, security) >= 0)
        return -EEXIST;
    if (w->count >= WIFI_MAX_NETWORKS)
        return -ENOSPC;
    struct wifi_network *n = &w->nets[w->count++];
    memset(n, 0, sizeof *n);
    memcpy(n->ssid, ssid, len);
    n->ssid_len = (uint8_t)len;
    n->security = (uint8_t)security;
    n->enabled = true;
    if (security == WIFI_SEC_PSK)
        memcpy(n->psk, psk, psk_len);
    int err = wifi_persist(w);
    if (err)
        w->count--;
    wifi_evaluate(w);
    return err;
}

int wifi_forget_matching(struct wifi *w, const uint8_t *ssid, size_t len, int security)
{
    int i = find_matching(w, ssid, len, security);
    if (i < 0)
        return i;
    remove_at(w, (size_t)i);
    wifi_evaluate(w);
    return wifi_persist(w);
}

int wifi_persist(struct wifi *w)
{
    for (size_t i = 0; i < w->count; i++)
        if (!w->nets[i].ssid_len)
            return -EINVAL;
    return save(w, NETWORKS_FILE, wifi_networks_file_json(w));
}

int wifi_reload(struct wifi *w, char *why, size_t why_size)
{
    int err = 1;
    if (w->dir && (err = load_file(w, NETWORKS_FILE, wifi_load_networks_text, why, why_size)) < 0)
        return err;
    if (err == 1)
        default_networks(w);
    for (size_t i = 0; i < w->count; i++)
        w->nets[i].connected = false;
    wifi_evaluate(w);
    return 0;
}

/* ---- access points --------------------------------------------------------------------------- */

size_t wifi_ap_count(const struct wifi *w)
{
    return w->ap_count;
}

const struct wifi_ap *wifi_ap(const struct wifi *w, size_t i)
{
    return i < w->ap_count ? &w->aps[i] : NULL;
}

static int check_ap(const struct wifi_ap *ap, char *why, size_t why_size)
{
    const char *reason = NULL;
    if (ap->ssid_len < 1 || ap->ssid_len > WIFI_SSID_MAX)
        reason = "ssid: must be 1-32 bytes";
    else if (ap->security < WIFI_SEC_OPEN || ap->security > WIFI_SEC_EAP_TLS)
        reason = "security: must be open, psk or eaptls";
    else if (!((ap->frequency_mhz >= 2412 && ap->frequency_mhz <= 2484) ||
               (ap->frequency_mhz >= 5150 && ap->frequency_mhz <= 5895)))
        reason = "frequency: must be 2412-2484 or 5150-5895 (MHz)";
    else if (ap->signal_dbm < -100 || ap->signal_dbm > 0)
        reason = "signal: must be from -100 to 0 (dBm)";
    else if (ap->security == WIFI_SEC_PSK && !wifi_psk_valid(ap->psk, strlen(ap->psk)))
        reason = "psk: a psk access point needs 8-63 printable ASCII characters or 64 hex digits";
    else if (ap->security != WIFI_SEC_PSK && ap->psk[0])
        reason = "psk: only a psk access point has a key";
    if (reason)
        snprintf(why, why_size, "%s", reason);
    return reason ? -EINVAL : 0;
}

int wifi_ap_add(struct wifi *w, const struct wifi_ap *ap, char *why, size_t why_size)
{
    int err = check_ap(ap, why, why_size);
    if (err)
        return err;
    size_t at = w->ap_count;
    for (size_t i = 0; i < w->ap_count; i++)
        if (!memcmp(w->aps[i].bssid, ap->bssid, 6))
            at = i;
    if (at == WIFI_MAX_APS) {
        snprintf(why, why_size, "the simulated radio holds at most %d access points", WIFI_MAX_APS);
        return -ENOSPC;
    }
    struct wifi_ap old = w->aps[at];
    size_t old_count = w->ap_count;
    w->aps[at] = *ap;
    if (at == w->ap_count)
        w->ap_count++;
    err = save_aps(w);
    if (err) {
        w->aps[at] = old;
        w->ap_count = old_count;
        snprintf(why, why_size, "cannot save the access points (nothing changed): %s", strerror(-err));
        return err;
    }
    wifi_evaluate(w);
    return 0;
}

int wifi_ap_remove(struct wifi *w, const char *key)
{
    struct wifi_ap *old = malloc(sizeof w->aps);
    if (!old)
        return -ENOMEM;
    memcpy(old, w->aps, sizeof w->aps);
    size_t old_count = w->ap_count, kept = 0;
    uint8_t bssid[6];
    bool by_bssid = hwaddr_parse(key, bssid) == 0;
    size_t klen = strlen(key);
    for (size_t i = 0; i < old_count; i++) {
        const struct wifi_ap *ap = &old[i];
        bool match = by_bssid ? !memcmp(ap->bssid, bssid, 6) : ap->ssid_len == klen && !memcmp(ap->ssid, key, klen);
        if (!match)
            w->aps[kept++] = *ap;
    }
    int err = kept == old_count ? -ENOENT : 0;
    w->ap_count = kept;
    if (!err)
        err = save_aps(w);
    if (err) {
        memcpy(w->aps, old, sizeof w->aps);
        w->ap_count = old_count;
    }
    free(old);
    wifi_evaluate(w);
    return err;
}
