/* SPDX-License-Identifier: MIT */
/* broker_wifi.c — broker handlers for applibs/wificonfig.h (BROKER_WIFI_*, src/core/broker.h;
 * docs/wifi.md). Each checks the manifest (WifiConfig; EnterpriseWifiConfig for the EAP-TLS
 * settings: EACCES), then works on the device's Wi-Fi model (src/wifi/wifi_device.h; EAGAIN when
 * there is none) and answers what the Applibs call returns. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "broker_ops.h"
#include "wifi_device.h"

#define TEXT_SIZE sizeof((struct broker_reply *)0)->text

static bool has_capability(const struct broker_context *ctx, const char *name)
{
    const struct json_value *v = broker_capability(ctx->manifest, name);
    return v && v->type == JSON_BOOL && v->u.boolean;
}

/* An operation on the model, run with the device's Wi-Fi locked. */
typedef int (*wifi_op)(struct wifi *w, const struct broker_request *q, struct broker_reply *r);

static int run(const struct broker_context *ctx, bool enterprise, const struct broker_request *q,
               struct broker_reply *r, wifi_op op)
{
    if (!has_capability(ctx, "WifiConfig") || (enterprise && !has_capability(ctx, "EnterpriseWifiConfig")))
        return -EACCES;
    struct wifi *w = wifi_device_lock();
    if (!w)
        return -EAGAIN;
    int err = op(w, q, r);
    wifi_device_unlock();
    return err;
}

/* A NUL-terminated copy of the request's text (at most TEXT_SIZE - 1 bytes). */
static void text_of(const struct broker_request *q, char out[TEXT_SIZE])
{
    memcpy(out, q->text, TEXT_SIZE);
    out[TEXT_SIZE - 1] = 0;
}

static int value_or_error(int v, struct broker_reply *r)
{
    if (v < 0)
        return v;
    r->value = v;
    return 0;
}

static int op_add(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)q;
    return value_or_error(wifi_add_network(w), r);
}

static int op_add_duplicate(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    char name[TEXT_SIZE];
    text_of(q, name);
    return value_or_error(wifi_add_duplicate(w, q->a, name), r);
}

static int op_forget(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)r;
    return wifi_forget(w, q->a);
}

static int op_forget_all(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)q, (void)r;
    return wifi_forget_all(w);
}

static int op_count(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)q;
    r->value = (int32_t)wifi_network_count(w);
    return 0;
}

static int op_stored_get(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    const struct wifi_network *n = wifi_network(w, q->a);
    if (!n)
        return q->a < 0 ? -EINVAL : -ENODEV;
    struct broker_wifi_network out = {.ssid_len = n->ssid_len, .enabled = n->enabled, .connected = n->connected,
                                      .security = n->security};
    memcpy(out.ssid, n->ssid, sizeof out.ssid);
    memcpy(r->text, &out, sizeof out);
    return 0;
}

static void put_bss(const struct wifi_ap *ap, struct broker_reply *r)
{
    struct broker_wifi_bss b = {.ssid_len = ap->ssid_len, .security = ap->security,
                                .frequency_mhz = ap->frequency_mhz, .signal_rssi = ap->signal_dbm};
    memcpy(b.ssid, ap->ssid, sizeof b.ssid);
    memcpy(b.bssid, ap->bssid, sizeof b.bssid);
    memcpy(r->text, &b, sizeof b);
}

static int op_current(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)q;
    const struct wifi_ap *ap = wifi_connected_ap(w);
    if (!ap)
        return -ENODATA;
    put_bss(ap, r);
    return 0;
}

static int op_connected_id(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)q;
    return value_or_error(wifi_connected_id(w), r);
}

static int op_scan(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)q;
    return value_or_error(wifi_scan(w), r);
}

static int op_scanned_get(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    if (q->a < 0)
        return -EINVAL;
    const struct wifi_ap *ap = wifi_scanned(w, (size_t)q->a);
    if (!ap)
        return -ERANGE; /* past the last scanned network: libapplibs stops there */
    put_bss(ap, r);
    return 0;
}

static int op_set_ssid(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)r;
    if (q->b < 1 || q->b > WIFI_SSID_MAX)
        return -ERANGE;
    return wifi_set_ssid(w, q->a, (const uint8_t *)q->text, (size_t)q->b);
}

static int op_set_security(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)r;
    return wifi_set_security(w, q->a, q->b);
}

static int op_set_enabled(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)r;
    return wifi_set_enabled(w, q->a, q->b != 0);
}

static int op_persist(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)q, (void)r;
    return wifi_persist(w);
}

static int op_reload(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)q, (void)r;
    char why[256];
    int err = wifi_reload(w, why, sizeof why);
    if (err)
        fprintf(stderr, "sphered: Wi-Fi reload refused: %s\n", why);
    return err == -EINVAL ? -EIO : err;
}

static int op_set_psk(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)r;
    if (q->b < 0 || q->b > WIFI_PSK_MAX)
        return -ERANGE;
    return wifi_set_psk(w, q->a, q->text, (size_t)q->b);
}

static int op_set_targeted(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)r;
    return wifi_set_targeted_scan(w, q->a, q->b != 0);
}

static int op_get_identity(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    const struct wifi_network *n = wifi_network(w, q->a);
    if (!n)
        return q->a < 0 ? -EINVAL : -ENODEV;
    size_t total = strlen(n->client_identity), off = q->b < 0 ? 0 : (size_t)q->b;
    if (off < total)
        snprintf(r->text, TEXT_SIZE, "%s", n->client_identity + off);
    r->value = (int32_t)total;
    return 0;
}

static int op_set_identity(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)r;
    const struct wifi_network *n = wifi_network(w, q->a);
    if (!n)
        return q->a < 0 ? -EINVAL : -ENODEV;
    if (q->c < 0 || q->c > WIFI_IDENTITY_MAX || q->b < 0 || q->b > q->c)
        return -ERANGE;
    char identity[WIFI_IDENTITY_MAX + 1] = "";
    size_t keep = (size_t)q->b < strlen(n->client_identity) ? (size_t)q->b : strlen(n->client_identity);
    size_t chunk = (size_t)(q->c - q->b) < TEXT_SIZE - 1 ? (size_t)(q->c - q->b) : TEXT_SIZE - 1;
    memcpy(identity, n->client_identity, keep);
    memcpy(identity + keep, q->text, chunk);
    identity[keep + chunk] = 0;
    return wifi_set_client_identity(w, q->a, identity);
}

static int op_set_config_name(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)r;
    char name[TEXT_SIZE];
    text_of(q, name);
    return wifi_set_config_name(w, q->a, name);
}

static int op_id_by_name(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    char name[TEXT_SIZE];
    text_of(q, name);
    return value_or_error(wifi_id_by_config_name(w, name), r);
}

static int op_diagnostics(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    struct wifi_diag d;
    int err = wifi_diagnostics(w, q->a, &d);
    if (err)
        return err;
    const struct wifi_network *n = wifi_network(w, q->a);
    struct broker_wifi_diag out = {.enabled = n->enabled, .connected = n->connected, .error = d.error,
                                   .timestamp = d.timestamp, .cert_error = d.cert_error, .cert_depth = d.cert_depth};
    memcpy(out.cert_subject, d.cert_subject, sizeof out.cert_subject - 1); /* truncated; NUL from the initialiser */
    memcpy(r->text, &out, sizeof out);
    return 0;
}

static int op_get_cert_id(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    const struct wifi_network *n = wifi_network(w, q->a);
    if (!n)
        return q->a < 0 ? -EINVAL : -ENODEV;
    if (q->b != WIFI_CERT_ROOT_CA && q->b != WIFI_CERT_CLIENT)
        return -EINVAL;
    snprintf(r->text, TEXT_SIZE, "%s", q->b == WIFI_CERT_CLIENT ? n->client_cert_id : n->root_ca_id);
    return 0;
}

static int op_set_cert_id(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)r;
    char id[TEXT_SIZE];
    text_of(q, id);
    if (q->b != WIFI_CERT_ROOT_CA && q->b != WIFI_CERT_CLIENT)
        return -EINVAL;
    return wifi_set_cert_id(w, q->a, (enum wifi_cert_slot)q->b, id);
}

static int op_store(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)r;
    if (q->a < 1 || q->a > WIFI_SSID_MAX || q->b < 0 || q->b > WIFI_PSK_MAX)
        return -ERANGE;
    return wifi_store_network(w, (const uint8_t *)q->text, (size_t)q->a, q->b ? WIFI_SEC_PSK : WIFI_SEC_OPEN,
                              q->text + WIFI_SSID_MAX, (size_t)q->b);
}

static int op_forget_matching(struct wifi *w, const struct broker_request *q, struct broker_reply *r)
{
    (void)r;
    if (q->a < 1 || q->a > WIFI_SSID_MAX)
        return -EINVAL;
    return wifi_forget_matching(w, (const uint8_t *)q->text, (size_t)q->a, q->b);
}

#define HANDLER(name, enterprise, op)                                                                                  \
    static int name(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd) \
    {                                                                                                                  \
        (void)fd;                                                                                                      \
        return run(ctx, enterprise, q, r, op);                                                                         \
    }
HANDLER(h_add, false, op_add)
HANDLER(h_add_duplicate, false, op_add_duplicate)
HANDLER(h_forget, false, op_forget)
HANDLER(h_forget_all, false, op_forget_all)
HANDLER(h_count, false, op_count)
HANDLER(h_stored_get, false, op_stored_get)
HANDLER(h_current, false, op_current)
HANDLER(h_connected_id, false, op_connected_id)
HANDLER(h_scan, false, op_scan)
HANDLER(h_scanned_get, false, op_scanned_get)
HANDLER(h_set_ssid, false, op_set_ssid)
HANDLER(h_set_enabled, false, op_set_enabled)
HANDLER(h_persist, false, op_persist)
HANDLER(h_reload, false, op_reload)
HANDLER(h_set_psk, false, op_set_psk)
HANDLER(h_set_targeted, false, op_set_targeted)
HANDLER(h_get_identity, true, op_get_identity)
HANDLER(h_set_identity, true, op_set_identity)
HANDLER(h_set_config_name, false, op_set_config_name)
HANDLER(h_id_by_name, false, op_id_by_name)
HANDLER(h_diagnostics, false, op_diagnostics)
HANDLER(h_get_cert_id, true, op_get_cert_id)
HANDLER(h_set_cert_id, true, op_set_cert_id)
HANDLER(h_store, false, op_store)
HANDLER(h_forget_matching, false, op_forget_matching)

/* Security type Wpa2_EAP_TLS needs EnterpriseWifiConfig too. */
static int h_set_security(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r,
                          int *fd)
{
    (void)fd;
    return run(ctx, q->b == WIFI_SEC_EAP_TLS, q, r, op_set_security);
}

const struct broker_op_entry broker_wifi_ops[] = {
    {BROKER_WIFI_ADD_NETWORK, h_add},
    {BROKER_WIFI_ADD_DUPLICATE, h_add_duplicate},
    {BROKER_WIFI_FORGET, h_forget},
    {BROKER_WIFI_FORGET_ALL, h_forget_all},
    {BROKER_WIFI_STORED_COUNT, h_count},
    {BROKER_WIFI_STORED_GET, h_stored_get},
    {BROKER_WIFI_CURRENT, h_current},
    {BROKER_WIFI_CONNECTED_ID, h_connected_id},
    {BROKER_WIFI_SCAN, h_scan},
    {BROKER_WIFI_SCANNED_GET, h_scanned_get},
    {BROKER_WIFI_SET_SSID, h_set_ssid},
    {BROKER_WIFI_SET_SECURITY, h_set_security},
    {BROKER_WIFI_SET_ENABLED, h_set_enabled},
    {BROKER_WIFI_PERSIST, h_persist},
    {BROKER_WIFI_RELOAD, h_reload},
    {BROKER_WIFI_SET_PSK, h_set_psk},
    {BROKER_WIFI_SET_TARGETED_SCAN, h_set_targeted},
    {BROKER_WIFI_GET_IDENTITY, h_get_identity},
    {BROKER_WIFI_SET_IDENTITY, h_set_identity},
    {BROKER_WIFI_SET_CONFIG_NAME, h_set_config_name},
    {BROKER_WIFI_ID_BY_CONFIG_NAME, h_id_by_name},
    {BROKER_WIFI_DIAGNOSTICS, h_diagnostics},
    {BROKER_WIFI_GET_CERT_ID, h_get_cert_id},
    {BROKER_WIFI_SET_CERT_ID, h_set_cert_id},
    {BROKER_WIFI_STORE_NETWORK, h_store},
    {BROKER_WIFI_FORGET_MATCHING, h_forget_matching},
    {0, NULL},
};
