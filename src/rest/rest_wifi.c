/* SPDX-License-Identifier: MIT */
/* rest_wifi.c — the device REST API's Wi-Fi endpoints (device_rest_api.yaml, tag "wifi") and the
 * simulator's access points (see rest_wifi.h, docs/wifi.md). The REST API persists every change
 * it makes (as `azsphere device wifi` does). */
#include "rest_wifi.h"
#include "hwaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wifi_device.h"

#define WLAN0_MAC "02:00:5e:10:00:01" /* the simulated radio's hardware address */

static bool power_savings; /* PATCH /wifi/interface enablePowerSavings (not persisted) */

/* Locks the device's Wi-Fi, or refuses the request (500) when the device has none. */
static struct wifi *lock(struct device_result *r)
{
    struct wifi *w = wifi_device_lock();
    if (!w)
        device_result_fail(r, DERR_INTERNAL, "%s", "this device has no Wi-Fi");
    return w;
}

static int parse_id(const char *param, struct device_result *r)
{
    char *end = NULL;
    long id = param && param[0] >= '0' && param[0] <= '9' ? strtol(param, &end, 10) : -1; /* digits only */
    if (id < 0 || *end || id > 1000000) {
        device_result_fail(r, DERR_NOT_FOUND, "no Wi-Fi network with id %s", param ? param : "");
        return -1;
    }
    return (int)id;
}

static struct json_value *ssid_json(const uint8_t *ssid, size_t len)
{
    char text[2 * WIFI_SSID_MAX + 1];
    wifi_ssid_text(ssid, len, text);
    return json_new_string(text);
}

static struct json_value *network_json(const struct wifi *w, int id)
{
    const struct wifi_network *n = wifi_network(w, id);
    struct json_value *o = json_new_object();
    if (!o)
        return NULL;
    int err = json_object_append(o, "id", json_new_int(id)) ||
              (n->ssid_len && json_object_append(o, "ssid", ssid_json(n->ssid, n->ssid_len))) ||
              json_object_append(o, "configState", json_new_string(n->enabled ? "enabled" : "disabled")) ||
              json_object_append(o, "connectionState", json_new_string(n->connected ? "connected" : "disconnected")) ||
              json_object_append(o, "securityState", json_new_string(wifi_security_name(n->security))) ||
              json_object_append(o, "targetedScan", json_new_bool(n->targeted_scan)) ||
              (n->config_name[0] && json_object_append(o, "configName", json_new_string(n->config_name))) ||
              (n->client_identity[0] && json_object_append(o, "clientIdentity", json_new_string(n->client_identity))) ||
              (n->client_cert_id[0] &&
               json_object_append(o, "clientCertStoreIdentifier", json_new_string(n->client_cert_id))) ||
              (n->root_ca_id[0] && json_object_append(o, "rootCaCertStoreIdentifier", json_new_string(n->root_ca_id)));
    if (err) {
        json_free(o);
        return NULL;
    }
    return o;
}

/* {"values": [...]} around a list. */
static struct json_value *values(struct json_value *list)
{
    struct json_value *o = json_new_object();
    if (!o || !list || json_object_append(o, "values", list)) {
        json_free(o);
        return NULL;
    }
    return o;
}

void rest_wifi_list(struct device *d, const struct auth *a, const char *param, const struct json_value *json,
                    const struct request *req, struct device_result *r)
{
    struct wifi *w = lock(r);
    if (!w)
        return;
    struct json_value *list = json_new_array();
    for (size_t i = 0; list && i < wifi_network_count(w); i++)
        if (json_array_append(list, network_json(w, (int)i))) {
            json_free(list);
            list = NULL;
        }
    wifi_device_unlock();
    device_result_body(r, values(list));
}

/* ---- POST /wifi/config/networks ---- */

static const char *string_member(const struct json_value *j, const char *key, bool *bad)
{
    const struct json_value *v = json_object_get(j, key);
    if (v && v->type != JSON_STRING)
        *bad = true;
    return v && v->type == JSON_STRING ? v->u.string.chars : NULL;
}

/* Checks a POST body; NULL or the sentence saying what is wrong. */
static const char *check_add(const struct json_value *j)
{
    bool bad = false;
    const char *ssid = string_member(j, "ssid", &bad), *security = string_member(j, "securityState", &bad),
               *psk = string_member(j, "psk", &bad), *state = string_member(j, "configState", &bad),
               *name = string_member(j, "configName", &bad), *identity = string_member(j, "clientIdentity", &bad),
               *client = string_member(j, "clientCertStoreIdentifier", &bad),
               *root = string_member(j, "rootCaCertStoreIdentifier", &bad);
    const struct json_value *targeted = json_object_get(j, "targetedScan");
    int sec = security ? wifi_security_parse(security) : -EINVAL;
    if (bad)
        return "ssid, securityState, psk, configState, configName, clientIdentity and the certificate identifiers must be strings";
    if (!ssid || !ssid[0] || strlen(ssid) > WIFI_SSID_MAX)
        return "ssid: must be 1-32 bytes";
    if (sec <= 0)
        return "securityState: must be \"open\", \"psk\" or \"eaptls\"";
    if (sec == WIFI_SEC_PSK && (!psk || !wifi_psk_valid(psk, strlen(psk))))
        return "psk: a psk network needs a key of 8-63 printable ASCII characters (or 64 hex digits)";
    if (sec != WIFI_SEC_PSK && psk)
        return "psk: only a psk network takes a key";
    if (sec == WIFI_SEC_EAP_TLS && !client)
        return "clientCertStoreIdentifier: an eaptls network needs its client certificate's identifier";
    if ((client && !wifi_cert_id_valid(client)) || (root && !wifi_cert_id_valid(root)))
        return "clientCertStoreIdentifier, rootCaCertStoreIdentifier: 1-16 characters of A-Z a-z 0-9 . _ -";
    if (sec != WIFI_SEC_EAP_TLS && (client || root || identity))
        return "clientIdentity and the certificate identifiers are for eaptls networks only";
    if (state && strcmp(state, "enabled") && strcmp(state, "disabled"))
        return "configState: must be \"enabled\" or \"disabled\"";
    if (name && strlen(name) > WIFI_CONFIG_NAME_MAX)
        return "configName: must be at most 16 characters";
    if (identity && strlen(identity) > WIFI_IDENTITY_MAX)
        return "clientIdentity: must be at most 254 bytes";
    if (targeted && targeted->type != JSON_BOOL)
        return "targetedScan: must be true or false";
    return NULL;
}

/* Applies a checked POST body to the new network id. */
static int apply_add(struct wifi *w, int id, const struct json_value *j)
{
    bool bad = false;
    const char *ssid = string_member(j, "ssid", &bad), *psk = string_member(j, "psk", &bad),
               *state = string_member(j, "configState", &bad), *name = string_member(j, "configName", &bad),
               *identity = string_member(j, "clientIdentity", &bad),
               *client = string_member(j, "clientCertStoreIdentifier", &bad),
               *root = string_member(j, "rootCaCertStoreIdentifier", &bad);
    const struct json_value *targeted = json_object_get(j, "targetedScan");
    int err = wifi_set_ssid(w, id, (const uint8_t *)ssid, strlen(ssid));
    if (!err)
        err = wifi_set_security(w, id, wifi_security_parse(string_member(j, "securityState", &bad)));
    if (!err && psk)
        err = wifi_set_psk(w, id, psk, strlen(psk));
    if (!err && name)
        err = wifi_set_config_name(w, id, name);
    if (!err && identity)
        err = wifi_set_client_identity(w, id, identity);
    if (!err && client)
        err = wifi_set_cert_id(w, id, WIFI_CERT_CLIENT, client);
    if (!err && root)
        err = wifi_set_cert_id(w, id, WIFI_CERT_ROOT_CA, root);
    if (!err && targeted)
        err = wifi_set_targeted_scan(w, id, targeted->u.boolean);
    if (!err)
        err = wifi_set_enabled(w, id, !state || !strcmp(state, "enabled"));
    return err;
}

void rest_wifi_add(struct device *d, const struct auth *a, const char *param, const struct json_value *json,
                   const struct request *req, struct device_result *r)
{
    const char *why = check_add(json);
    if (why) {
        device_result_fail(r, DERR_BAD_REQUEST, "%s", why);
        return;
    }
    struct wifi *w = lock(r);
    if (!w)
        return;
    int id = wifi_add_network(w);
    int err = id < 0 ? id : apply_add(w, id, json);
    if (!err)
        err = wifi_persist(w);
    if (id >= 0 && err)
        wifi_forget(w, id);
    if (id == -ENOMEM)
        device_result_fail(r, DERR_NO_SPACE, "%s", "the device already stores 37 Wi-Fi networks; forget one first");
    else if (err)
        device_result_fail(r, DERR_INTERNAL, "cannot add the network (nothing changed): %s", strerror(-err));
    else
        device_result_body(r, network_json(w, id));
    wifi_device_unlock();
}

void rest_wifi_get(struct device *d, const struct auth *a, const char *param, const struct json_value *json,
                   const struct request *req, struct device_result *r)
{
    int id = parse_id(param, r);
    struct wifi *w = id < 0 ? NULL : lock(r);
    if (!w)
        return;
    if (!wifi_network(w, id))
        device_result_fail(r, DERR_NOT_FOUND, "no Wi-Fi network with id %s", param);
    else
        device_result_body(r, network_json(w, id));
    wifi_device_unlock();
}

void rest_wifi_patch(struct device *d, const struct auth *a, const char *param, const struct json_value *json,
                     const struct request *req, struct device_result *r)
{
    bool bad = false;
    const char *state = string_member(json, "configState", &bad), *psk = string_member(json, "psk", &bad);
    if (bad || (state && strcmp(state, "enabled") && strcmp(state, "disabled"))) {
        device_result_fail(r, DERR_BAD_REQUEST, "%s", "configState: must be \"enabled\" or \"disabled\"; psk: a string");
        return;
    }
    if (psk && !wifi_psk_valid(psk, strlen(psk))) {
        device_result_fail(r, DERR_BAD_REQUEST, "%s", "psk: 8-63 printable ASCII characters (or 64 hex digits)");
        return;
    }
    int id = parse_id(param, r);
    struct wifi *w = id < 0 ? NULL : lock(r);
    if (!w)
        return;
    int err = wifi_network(w, id) ? 0 : -ENODEV;
    if (!err && psk)
        err = wifi_set_psk(w, id, psk, strlen(psk));
    if (!err && state)
        err = wifi_set_enabled(w, id, !strcmp(state, "enabled"));
    if (!err)
        err = wifi_persist(w);
    if (err == -ENODEV)
        device_result_fail(r, DERR_NOT_FOUND, "no Wi-Fi network with id %s", param);
    else if (err)
        device_result_fail(r, DERR_INTERNAL, "cannot save the Wi-Fi configuration: %s", strerror(-err));
    else
        device_result_body(r, network_json(w, id));
    wifi_device_unlock();
}

void rest_wifi_delete(struct device *d, const struct auth *a, const char *param, const struct json_value *json,
                      const struct request *req, struct device_result *r)
{
    int id = parse_id(param, r);
    struct wifi *w = id < 0 ? NULL : lock(r);
    if (!w)
        return;
    int err = wifi_forget(w, id);
    if (!err)
        err = wifi_persist(w);
    if (err == -ENODEV)
        device_result_fail(r, DERR_NOT_FOUND, "no Wi-Fi network with id %s", param);
    else if (err)
        device_result_fail(r, DERR_INTERNAL, "cannot save the Wi-Fi configuration: %s", strerror(-err));
    wifi_device_unlock();
}

/* ---- diagnostics ---- */

static struct json_value *diagnostic_json(const struct wifi *w, int id, const struct wifi_diag *dg)
{
    const struct wifi_network *n = wifi_network(w, id);
    char when[32];
    time_t t = (time_t)dg->timestamp;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    struct json_value *o = json_new_object();
    if (!o)
        return NULL;
    int err = json_object_append(o, "timestamp", json_new_string(when)) ||
              json_object_append(o, "networkId", json_new_int(id)) ||
              json_object_append(o, "ssid", ssid_json(n->ssid, n->ssid_len)) ||
              json_object_append(o, "configState", json_new_string(n->enabled ? "enabled" : "disabled")) ||
              json_object_append(o, "connectionState", json_new_string(n->connected ? "connected" : "disconnected")) ||
              json_object_append(o, "error", json_new_string(wifi_error_name(dg->error)));
    if (!err && dg->error == WIFI_ERR_AUTHENTICATION_FAILED) {
        struct json_value *cert = json_new_object();
        err = json_object_append(o, "certInfo", cert) || !cert ||
              json_object_append(cert, "certSubject", json_new_string(dg->cert_subject)) ||
              json_object_append(cert, "certDepth", json_new_int(dg->cert_depth)) ||
              json_object_append(cert, "certError", json_new_string(wifi_cert_error_name(dg->cert_error)));
    }
    if (err) {
        json_free(o);
        return NULL;
    }
    return o;
}

void rest_wifi_diagnostics(struct device *d, const struct auth *a, const char *param, const struct json_value *json,
                           const struct request *req, struct device_result *r)
{
    struct wifi *w = lock(r);
    if (!w)
        return;
    struct json_value *list = json_new_array();
    for (size_t i = 0; list && i < wifi_network_count(w); i++) {
        struct wifi_diag dg;
        if (!wifi_diagnostics(w, (int)i, &dg) && json_array_append(list, diagnostic_json(w, (int)i, &dg))) {
            json_free(list);
            list = NULL;
        }
    }
    wifi_device_unlock();
    device_result_body(r, values(list));
}

void rest_wifi_diagnostic(struct device *d, const struct auth *a, const char *param, const struct json_value *json,
                          const struct request *req, struct device_result *r)
{
    int id = parse_id(param, r);
    struct wifi *w = id < 0 ? NULL : lock(r);
    if (!w)
        return;
    struct wifi_diag dg;
    if (wifi_diagnostics(w, id, &dg))
        device_result_fail(r, DERR_NOT_FOUND, "no connection failure recorded for Wi-Fi network %s", param);
    else
        device_result_body(r, diagnostic_json(w, id, &dg));
    wifi_device_unlock();
}

/* ---- interface and scan ---- */

/* The host's first IPv4 address that is up and not loopback (what wlan0 "has"), or "". */
static void interface_address(char out[INET_ADDRSTRLEN])
{
    struct ifaddrs *list;
    out[0] = 0;
    if (getifaddrs(&list) < 0)
        return;
    for (const struct ifaddrs *i = list; i && !out[0]; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && (i->ifa_flags & IFF_UP) && !(i->ifa_flags & IFF_LOOPBACK))
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr, out, INET_ADDRSTRLEN);
    freeifaddrs(list);
}

static const char *key_mgmt(int security)
{
    return security == WIFI_SEC_OPEN ? "NONE" : security == WIFI_SEC_PSK ? "WPA2-PSK" : security == WIFI_SEC_EAP_TLS ? "WPA-EAP" : "UNKNOWN";
}

void rest_wifi_interface(struct device *d, const struct auth *a, const char *param, const struct json_value *json,
                         const struct request *req, struct device_result *r)
{
    struct wifi *w = lock(r);
    if (!w)
        return;
    struct json_value *o = json_new_object();
    int id = wifi_connected_id(w);
    int err = !o || json_object_append(o, "address", json_new_string(WLAN0_MAC)) ||
              json_object_append(o, "mode", json_new_string("station")) ||
              json_object_append(o, "connectionState", json_new_string(id >= 0 ? "connected" : "disconnected")) ||
              json_object_append(o, "wpa_state", json_new_string(id >= 0 ? "COMPLETED" : wifi_network_count(w) ? "SCANNING" : "INACTIVE")) ||
              json_object_append(o, "powerSavingsState", json_new_string(power_savings ? "enabled" : "disabled"));
    if (!err && id >= 0) {
        const struct wifi_network *n = wifi_network(w, id);
        const struct wifi_ap *ap = wifi_connected_ap(w);
        char ip[INET_ADDRSTRLEN];
        interface_address(ip);
        err = json_object_append(o, "id", json_new_int(id)) || json_object_append(o, "ssid", ssid_json(n->ssid, n->ssid_len)) ||
              (n->config_name[0] && json_object_append(o, "configName", json_new_string(n->config_name))) ||
              json_object_append(o, "configState", json_new_string("enabled")) ||
              json_object_append(o, "freq", json_new_int(ap->frequency_mhz)) ||
              json_object_append(o, "key_mgmt", json_new_string(key_mgmt(n->security))) ||
              json_object_append(o, "securityState", json_new_string(wifi_security_name(n->security))) ||
              (ip[0] && json_object_append(o, "ip_address", json_new_string(ip)));
    }
    wifi_device_unlock();
    if (err) {
        json_free(o);
        o = NULL;
    }
    device_result_body(r, o);
}

void rest_wifi_interface_patch(struct device *d, const struct auth *a, const char *param,
                               const struct json_value *json, const struct request *req, struct device_result *r)
{
    const struct json_value *reload = json_object_get(json, "reloadConfig"),
                            *power = json_object_get(json, "enablePowerSavings");
    if ((reload && reload->type != JSON_BOOL) || (power && power->type != JSON_BOOL) || (!reload && !power)) {
        device_result_fail(r, DERR_BAD_REQUEST, "%s", "the body must be {\"reloadConfig\": true} and/or {\"enablePowerSavings\": true|false}");
        return;
    }
    struct wifi *w = lock(r);
    if (!w)
        return;
    char why[256] = "";
    int err = reload && reload->u.boolean ? wifi_reload(w, why, sizeof why) : 0;
    if (err)
        device_result_fail(r, DERR_INTERNAL, "cannot reload the Wi-Fi configuration: %s", why[0] ? why : strerror(-err));
    else if (power)
        power_savings = power->u.boolean;
    wifi_device_unlock();
}

void rest_wifi_scan(struct device *d, const struct auth *a, const char *param, const struct json_value *json,
                    const struct request *req, struct device_result *r)
{
    struct wifi *w = lock(r);
    if (!w)
        return;
    wifi_scan(w);
    struct json_value *list = json_new_array();
    for (size_t i = 0; list && i < wifi_scanned_count(w); i++) {
        const struct wifi_ap *ap = wifi_scanned(w, i);
        char bssid[18];
        hwaddr_format(ap->bssid, bssid);
        struct json_value *o = json_new_object();
        if (json_array_append(list, o) || json_object_append(o, "bssid", json_new_string(bssid)) ||
            json_object_append(o, "freq", json_new_int(ap->frequency_mhz)) ||
            json_object_append(o, "securityState", json_new_string(wifi_security_name(ap->security))) ||
            json_object_append(o, "signal_level", json_new_int(ap->signal_dbm)) ||
            json_object_append(o, "ssid", ssid_json(ap->ssid, ap->ssid_len))) {
            json_free(list);
            list = NULL;
        }
    }
    wifi_device_unlock();
    device_result_body(r, values(list));
}

/* ---- /sim/wifi/aps ---- */

static struct json_value *aps_json(const struct wifi *w)
{
    struct json_value *file = wifi_aps_file_json(w); /* {"version":1,"accessPoints":[…]} */
    if (file)
        json_object_remove(file, "version");
    return file;
}

/* An access point from a POST body: ssid, security required; bssid (default: derived from the
 * SSID), frequency (2437), signal (-50), psk, hidden. */
static int ap_from_json(const struct json_value *j, struct wifi_ap *ap, char *why, size_t why_size)
{
    bool bad = false;
    const char *ssid = string_member(j, "ssid", &bad), *bssid = string_member(j, "bssid", &bad),
               *security = string_member(j, "security", &bad), *psk = string_member(j, "psk", &bad);
    const struct json_value *f = json_object_get(j, "frequency"), *s = json_object_get(j, "signal"),
                            *hidden = json_object_get(j, "hidden");
    memset(ap, 0, sizeof *ap);
    const char *reason = NULL;
    if (bad)
        reason = "ssid, bssid, security and psk must be strings";
    else if (!ssid || !ssid[0] || strlen(ssid) > WIFI_SSID_MAX)
        reason = "ssid: must be 1-32 bytes";
    else if (!security || wifi_security_parse(security) <= 0)
        reason = "security: must be \"open\", \"psk\" or \"eaptls\"";
    else if (bssid && hwaddr_parse(bssid, ap->bssid))
        reason = "bssid: must be six hex bytes aa:bb:cc:dd:ee:ff";
    else if ((f && (f->type != JSON_NUMBER || !f->u.number.is_integer)) || (s && (s->type != JSON_NUMBER || !s->u.number.is_integer)))
        reason = "frequency and signal: must be integers";
    else if (hidden && hidden->type != JSON_BOOL)
        reason = "hidden: must be true or false";
    else if (psk && strlen(psk) > WIFI_PSK_MAX)
        reason = "psk: must be 8-63 printable ASCII characters or 64 hex digits";
    if (reason) {
        snprintf(why, why_size, "%s", reason);
        return -EINVAL;
    }
    memcpy(ap->ssid, ssid, strlen(ssid));
    ap->ssid_len = (uint8_t)strlen(ssid);
    ap->security = (uint8_t)wifi_security_parse(security);
    if (!bssid) { /* a locally administered address from the SSID (FNV-1a) */
        uint32_t h = 2166136261u;
        for (const char *p = ssid; *p; p++)
            h = (h ^ (uint8_t)*p) * 16777619u;
        const uint8_t derived[6] = {0x02, 0x00, 0x5e, (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h};
        memcpy(ap->bssid, derived, 6);
    }
    ap->frequency_mhz = f ? (uint32_t)(f->u.number.integer > 0 && f->u.number.integer < 100000 ? f->u.number.integer : 0) : 2437;
    ap->signal_dbm = (int8_t)(s ? (s->u.number.integer < -128 ? -128 : s->u.number.integer > 127 ? 127 : s->u.number.integer) : -50);
    ap->hidden = hidden && hidden->u.boolean;
    if (psk)
        snprintf(ap->psk, sizeof ap->psk, "%s", psk);
    return 0;
}

void rest_wifi_sim(const char *method, const char *path, const char *body, size_t len, struct device_result *r)
{
    bool list = !strcmp(path, "aps"), one = !strncmp(path, "aps/", 4) && path[4];
    if (!(list && (!strcmp(method, "GET") || !strcmp(method, "POST"))) && !(one && !strcmp(method, "DELETE"))) {
        device_result_fail(r, DERR_NOT_FOUND, "%s", "no such simulator endpoint (GET, POST /sim/wifi/aps; DELETE /sim/wifi/aps/SSID-or-BSSID)");
        return;
    }
    struct wifi_ap ap;
    char why[256] = "";
    int err = 0;
    if (!strcmp(method, "POST")) {
        struct diag_list diags = {0};
        struct json_value *j = NULL;
        int perr = json_parse(body ? body : "", len, NULL, "request", &diags, &j);
        bool bad = perr || diag_error_count(&diags) || j->type != JSON_OBJECT;
        diag_list_free(&diags);
        err = bad ? (snprintf(why, sizeof why, "the body must be a JSON object {\"ssid\", \"security\", …}"), -EINVAL)
                  : ap_from_json(j, &ap, why, sizeof why);
        json_free(j);
        if (err)
            {
        device_result_fail(r, DERR_BAD_REQUEST, "%s", why);
        return;
    }
    }
    struct wifi *w = lock(r);
    if (!w)
        return;
    if (!strcmp(method, "POST"))
        err = wifi_ap_add(w, &ap, why, sizeof why);
    else if (one)
        err = wifi_ap_remove(w, path + 4);
    if (err == -EINVAL)
        device_result_fail(r, DERR_BAD_REQUEST, "%s", why);
    else if (err == -ENOENT)
        device_result_fail(r, DERR_NOT_FOUND, "no simulated access point with SSID or BSSID %s", path + 4);
    else if (err == -ENOSPC)
        device_result_fail(r, DERR_NO_SPACE, "%s", why);
    else if (err)
        device_result_fail(r, DERR_INTERNAL, "cannot save the access points (nothing changed): %s", strerror(-err));
    else
        device_result_body(r, aps_json(w));
    wifi_device_unlock();
}
