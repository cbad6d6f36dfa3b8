/* SPDX-License-Identifier: MIT */
/* broker_netcfg.c — broker handlers for the device's network configuration (BROKER_NETCFG_*,
 * BROKER_TIME_*, BROKER_PROXY_*; src/core/broker.h; docs/netconfig.md). Each checks the manifest
 * (NetworkConfig, DhcpService, SntpService, TimeSyncConfig, ReadNetworkProxyConfig: EACCES),
 * then works on the device's configuration (src/netcfg/netcfg_device.h; EAGAIN when there is
 * none) and answers what the Applibs call returns. Strings longer than a request's text arrive
 * first in BROKER_NETCFG_STAGE requests, kept per app (by component ID) until used. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "broker_ops.h"
#include "net.h"
#include "netcfg_device.h"
#include "wifi_device.h"

#define TEXT_SIZE sizeof((struct broker_request *)0)->text
#define STAGE_APPS 16
#define STAGE_FIELDS 6 /* BROKER_NETCFG_FIELD_* 1..5 */

static bool has_capability(const struct broker_context *ctx, const char *name)
{
    const struct json_value *v = broker_capability(ctx->manifest, name);
    return v && v->type == JSON_BOOL && v->u.boolean;
}

/* A NUL-terminated copy of the request's text. */
static void text_of(const struct broker_request *q, char out[TEXT_SIZE])
{
    memcpy(out, q->text, TEXT_SIZE);
    out[TEXT_SIZE - 1] = 0;
}

/* ---- staged strings -------------------------------------------------------------------------- */

struct stage {
    char component[40];
    char fields[STAGE_FIELDS][NETCFG_PROXY_ADDRESS_SIZE];
    bool set[STAGE_FIELDS];
};
static pthread_mutex_t stage_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stage stages[STAGE_APPS];
static unsigned stage_next;

/* The app's staging slot (created, replacing the oldest, when missing). Called locked. */
static struct stage *stage_of(const char *component)
{
    for (size_t i = 0; i < STAGE_APPS; i++)
        if (!strcmp(stages[i].component, component))
            return &stages[i];
    struct stage *s = &stages[stage_next++ % STAGE_APPS];
    memset(s, 0, sizeof *s);
    snprintf(s->component, sizeof s->component, "%s", component);
    return s;
}

static int stage_op(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    (void)r, (void)fd;
    if (q->a < 1 || q->a >= STAGE_FIELDS || q->b < 0 || q->c < 0 || q->c >= NETCFG_PROXY_ADDRESS_SIZE || q->b > q->c)
        return -EINVAL;
    size_t chunk = (size_t)(q->c - q->b);
    if (chunk > TEXT_SIZE)
        chunk = TEXT_SIZE;
    pthread_mutex_lock(&stage_lock);
    struct stage *s = stage_of(ctx->component_text);
    memcpy(s->fields[q->a] + q->b, q->text, chunk);
    s->fields[q->a][q->c] = 0;
    s->set[q->a] = true;
    pthread_mutex_unlock(&stage_lock);
    return 0;
}

/* Takes the app's staged field (empty when none was staged) and forgets it; -EINVAL when it
 * does not fit out (size bytes with the NUL). */
static int take_staged(const struct broker_context *ctx, int field, char *out, size_t size)
{
    pthread_mutex_lock(&stage_lock);
    struct stage *s = stage_of(ctx->component_text);
    size_t len = s->set[field] ? strlen(s->fields[field]) : 0;
    int err = len < size ? 0 : -EINVAL;
    if (!err) {
        memcpy(out, s->fields[field], len);
        out[len] = 0;
    }
    s->set[field] = false;
    s->fields[field][0] = 0;
    pthread_mutex_unlock(&stage_lock);
    return err;
}

/* ---- running an operation -------------------------------------------------------------------- */

typedef int (*netcfg_op)(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                         struct broker_reply *r);

static int run(const struct broker_context *ctx, const char *capability, const struct broker_request *q,
               struct broker_reply *r, netcfg_op op)
{
    if (capability && !has_capability(ctx, capability))
        return -EACCES;
    struct netcfg *n = netcfg_device_lock();
    if (!n)
        return -EAGAIN;
    int err = op(ctx, n, q, r);
    netcfg_device_unlock();
    return err;
}

/* Logs why the device refused a value (the Applibs call only has EINVAL). */
static int refused(const struct broker_context *ctx, const char *what, int err, const char *why)
{
    if (err == -EINVAL && why[0] && ctx->log) {
        char line[256];
        int len = snprintf(line, sizeof line, "networking: refused %s: %s\n", what, why);
        applog_add(ctx->log, ctx->component_id, "device", line, len < (int)sizeof line ? (size_t)len : sizeof line - 1);
    }
    return err;
}

static int op_if_count(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                       struct broker_reply *r)
{
    (void)ctx, (void)q;
    r->value = (int32_t)netcfg_interface_count(n);
    return 0;
}

static int op_if_get(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                     struct broker_reply *r)
{
    (void)ctx;
    const struct netcfg_interface *f = q->a < 0 ? NULL : netcfg_interface_at(n, (size_t)q->a);
    if (!f)
        return -ERANGE;
    struct broker_net_interface out = {.enabled = f->enabled, .ip_type = f->ip.static_ip ? 0 : 1, .medium = f->medium};
    snprintf(out.name, sizeof out.name, "%s", f->name);
    memcpy(out.mac, f->mac, 6);
    memcpy(r->text, &out, sizeof out);
    return 0;
}

static int op_set_state(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                        struct broker_reply *r)
{
    (void)ctx, (void)r;
    char name[TEXT_SIZE];
    text_of(q, name);
    return netcfg_set_enabled(n, name, q->a != 0);
}

static int op_get_mac(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                      struct broker_reply *r)
{
    (void)ctx;
    char name[TEXT_SIZE];
    text_of(q, name);
    const struct netcfg_interface *f = netcfg_interface(n, name);
    if (!f)
        return -ENOENT;
    memcpy(r->text, f->mac, 6);
    return 0;
}

static int op_set_mac(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                      struct broker_reply *r)
{
    (void)r;
    char name[16], why[160] = "";
    memcpy(name, q->text, sizeof name);
    name[sizeof name - 1] = 0;
    uint8_t mac[6];
    memcpy(mac, q->text + 16, 6);
    return refused(ctx, "a hardware address", netcfg_set_mac(n, name, mac, why, sizeof why), why);
}

static int op_ip_apply(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                       struct broker_reply *r)
{
    (void)r;
    struct broker_net_ipconfig in;
    memcpy(&in, q->text, sizeof in);
    in.name[sizeof in.name - 1] = 0;
    if (in.dns_count > NETCFG_MAX_DNS)
        return -EINVAL;
    struct netcfg_ip ip = {.static_ip = in.static_ip != 0, .address = in.address, .netmask = in.netmask,
                           .gateway = in.gateway, .custom_dns = in.custom_dns != 0, .dns_count = in.dns_count};
    memcpy(ip.dns, in.dns, sizeof ip.dns);
    char why[160] = "";
    return refused(ctx, "an IP configuration", netcfg_apply_ip(n, in.name, &ip, why, sizeof why), why);
}

static int op_ip_release(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                         struct broker_reply *r)
{
    (void)ctx, (void)r;
    char name[TEXT_SIZE];
    text_of(q, name);
    return netcfg_release_ip(n, name);
}

static int op_ip_renew(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                       struct broker_reply *r)
{
    (void)ctx, (void)r;
    char name[TEXT_SIZE];
    text_of(q, name);
    return netcfg_renew_ip(n, name);
}

static int op_dhcp_start(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                         struct broker_reply *r)
{
    (void)r;
    struct broker_net_dhcp in;
    memcpy(&in, q->text, sizeof in);
    in.name[sizeof in.name - 1] = 0;
    if (in.ntp_count > NETCFG_MAX_NTP)
        return -EINVAL;
    struct netcfg_dhcp_server s = {.start = in.start, .netmask = in.netmask, .gateway = in.gateway,
                                   .count = in.count, .lease_hours = in.lease_hours, .ntp_count = in.ntp_count};
    memcpy(s.ntp, in.ntp, sizeof s.ntp);
    char why[160] = "";
    return refused(ctx, "a DHCP server configuration", netcfg_start_dhcp_server(n, in.name, &s, why, sizeof why), why);
}

static int op_sntp_start(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                         struct broker_reply *r)
{
    (void)ctx, (void)r;
    char name[TEXT_SIZE];
    text_of(q, name);
    return netcfg_start_sntp_server(n, name);
}

static int op_time_get(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                       struct broker_reply *r)
{
    (void)ctx, (void)q;
    r->value = netcfg_time(n)->enabled;
    return 0;
}

static int op_time_set(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                       struct broker_reply *r)
{
    (void)ctx, (void)r;
    return netcfg_time_set_enabled(n, q->a != 0);
}

static int op_time_default(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                           struct broker_reply *r)
{
    (void)ctx, (void)q, (void)r;
    return netcfg_time_default(n);
}

static int op_time_custom(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                          struct broker_reply *r)
{
    (void)r;
    char primary[TEXT_SIZE], secondary[NETCFG_PROXY_ADDRESS_SIZE];
    text_of(q, primary);
    int err = take_staged(ctx, BROKER_NETCFG_FIELD_NTP_SECONDARY, secondary, sizeof secondary);
    if (err || (q->a != 0 && q->a != 1))
        return -EINVAL;
    return netcfg_time_custom(n, primary, q->b ? secondary : NULL, q->a == 1);
}

static int op_time_automatic(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                             struct broker_reply *r)
{
    (void)ctx, (void)r;
    if (q->a != 0 && q->a != 1)
        return -EINVAL;
    return netcfg_time_automatic(n, q->a == 1);
}

static int op_time_last(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                        struct broker_reply *r)
{
    (void)ctx, (void)q;
    const struct netcfg_time *t = netcfg_time(n);
    if (!t->synced)
        return -ENOENT;
    struct broker_time_sync out = {.before = t->last_before, .ntp_time = t->last_ntp};
    snprintf(out.server, sizeof out.server, "%s", t->last_server);
    memcpy(r->text, &out, sizeof out);
    return 0;
}

static int op_proxy_apply(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                          struct broker_reply *r)
{
    (void)r;
    struct netcfg_proxy p = {.enabled = (q->a & 2) != 0, .basic_auth = q->c == 1};
    int err = take_staged(ctx, BROKER_NETCFG_FIELD_PROXY_ADDRESS, p.address, sizeof p.address);
    err |= take_staged(ctx, BROKER_NETCFG_FIELD_PROXY_NO_PROXY, p.no_proxy, sizeof p.no_proxy);
    err |= take_staged(ctx, BROKER_NETCFG_FIELD_PROXY_USERNAME, p.username, sizeof p.username);
    err |= take_staged(ctx, BROKER_NETCFG_FIELD_PROXY_PASSWORD, p.password, sizeof p.password);
    if (err || q->b < 0 || q->b > 65535 || (q->c != 0 && q->c != 1))
        return -EINVAL;
    p.port = (uint16_t)q->b;
    char why[160] = "";
    return refused(ctx, "a proxy configuration", netcfg_proxy_set(n, &p, why, sizeof why), why);
}

static int op_proxy_get(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                        struct broker_reply *r)
{
    (void)ctx, (void)q;
    const struct netcfg_proxy *p = netcfg_proxy(n);
    if (!p->configured)
        return -ENOENT;
    struct broker_proxy_info out = {.port = p->port, .auth_type = p->basic_auth ? 1 : 0};
    memcpy(r->text, &out, sizeof out);
    r->value = p->enabled ? 2 : 0;
    return 0;
}

static int op_proxy_field(const struct broker_context *ctx, struct netcfg *n, const struct broker_request *q,
                          struct broker_reply *r)
{
    (void)ctx;
    const struct netcfg_proxy *p = netcfg_proxy(n);
    if (!p->configured)
        return -ENOENT;
    const char *s = q->a == BROKER_NETCFG_FIELD_PROXY_ADDRESS    ? p->address
                    : q->a == BROKER_NETCFG_FIELD_PROXY_NO_PROXY ? p->no_proxy
                    : q->a == BROKER_NETCFG_FIELD_PROXY_USERNAME ? p->username
                    : q->a == BROKER_NETCFG_FIELD_PROXY_PASSWORD ? p->password
                                                                 : NULL;
    size_t len = s ? strlen(s) : 0;
    if (!s || q->b < 0 || (size_t)q->b > len)
        return -EINVAL;
    size_t chunk = len - (size_t)q->b < TEXT_SIZE ? len - (size_t)q->b : TEXT_SIZE;
    memcpy(r->text, s + q->b, chunk);
    r->value = (int32_t)len;
    return 0;
}

/* ---- the interfaces' status (also the mediation's gate) -------------------------------------- */

static int if_status(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    (void)ctx, (void)fd;
    char name[TEXT_SIZE];
    text_of(q, name);
    uint32_t bits = 0;
    bool wifi = wifi_device_link_up(), host = net_ready();
    struct netcfg *n = netcfg_device_lock();
    int err = netcfg_status_bits(n, name, wifi, host, &bits);
    if (n)
        netcfg_device_unlock();
    r->value = (int32_t)bits;
    return err;
}

bool broker_netcfg_carries_traffic(void)
{
    return (netcfg_device_status(wifi_device_link_up(), true) & NETCFG_STATUS_IP) != 0;
}

uint32_t broker_netcfg_status(void)
{
    return netcfg_device_status(wifi_device_link_up(), net_ready());
}

#define HANDLER(name, capability, op)                                                                        \
    static int name(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, \
                    int *fd)                                                                                 \
    {                                                                                                        \
        (void)fd;                                                                                            \
        return run(ctx, capability, q, r, op);                                                               \
    }

HANDLER(h_if_count, NULL, op_if_count)
HANDLER(h_if_get, NULL, op_if_get)
HANDLER(h_set_state, "NetworkConfig", op_set_state)
HANDLER(h_ip_apply, "NetworkConfig", op_ip_apply)
HANDLER(h_get_mac, NULL, op_get_mac)
HANDLER(h_set_mac, "HardwareAddressConfig", op_set_mac)
HANDLER(h_ip_release, "NetworkConfig", op_ip_release)
HANDLER(h_ip_renew, "NetworkConfig", op_ip_renew)
HANDLER(h_dhcp_start, "DhcpService", op_dhcp_start)
HANDLER(h_sntp_start, "SntpService", op_sntp_start)
HANDLER(h_time_get, NULL, op_time_get)
HANDLER(h_time_set, "TimeSyncConfig", op_time_set)
HANDLER(h_time_default, "TimeSyncConfig", op_time_default)
HANDLER(h_time_custom, "TimeSyncConfig", op_time_custom)
HANDLER(h_time_automatic, "TimeSyncConfig", op_time_automatic)
HANDLER(h_time_last, "TimeSyncConfig", op_time_last)
HANDLER(h_proxy_apply, "NetworkConfig", op_proxy_apply)

/* The device clock: its page for every app (reading the time needs no capability); setting it
 * needs SystemTime (applibs' clock_settime). */
static int h_clock_map(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    (void)ctx, (void)q, (void)r;
    int f = netcfg_device_clock_fd();
    if (f < 0)
        return f == -ENODEV ? -EAGAIN : f;
    *fd = f;
    return 0;
}

static int h_clock_set(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    (void)r, (void)fd;
    if (!has_capability(ctx, "SystemTime"))
        return -EACCES;
    int64_t ns;
    memcpy(&ns, q->text, sizeof ns);
    return netcfg_device_set_time(ns);
}

/* Reading the proxy: NetworkConfig or ReadNetworkProxyConfig. */
static int proxy_reader(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r,
                        netcfg_op op)
{
    if (!has_capability(ctx, "NetworkConfig") && !has_capability(ctx, "ReadNetworkProxyConfig"))
        return -EACCES;
    return run(ctx, NULL, q, r, op);
}

static int h_proxy_get(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    (void)fd;
    return proxy_reader(ctx, q, r, op_proxy_get);
}

static int h_proxy_field(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r,
                         int *fd)
{
    (void)fd;
    return proxy_reader(ctx, q, r, op_proxy_field);
}

const struct broker_op_entry broker_netcfg_ops[] = {
    {BROKER_NETCFG_IF_COUNT, h_if_count},
    {BROKER_NETCFG_IF_GET, h_if_get},
    {BROKER_NETCFG_IF_STATUS, if_status},
    {BROKER_NETCFG_SET_STATE, h_set_state},
    {BROKER_NETCFG_IP_APPLY, h_ip_apply},
    {BROKER_NETCFG_IP_RELEASE, h_ip_release},
    {BROKER_NETCFG_IP_RENEW, h_ip_renew},
    {BROKER_NETCFG_DHCP_START, h_dhcp_start},
    {BROKER_NETCFG_SNTP_START, h_sntp_start},
    {BROKER_NETCFG_STAGE, stage_op},
    {BROKER_TIME_GET_ENABLED, h_time_get},
    {BROKER_TIME_SET_ENABLED, h_time_set},
    {BROKER_TIME_DEFAULT, h_time_default},
    {BROKER_TIME_CUSTOM, h_time_custom},
    {BROKER_TIME_AUTOMATIC, h_time_automatic},
    {BROKER_TIME_LAST_SYNC, h_time_last},
    {BROKER_PROXY_APPLY, h_proxy_apply},
    {BROKER_PROXY_GET, h_proxy_get},
    {BROKER_PROXY_GET_FIELD, h_proxy_field},
    {BROKER_CLOCK_MAP, h_clock_map},
    {BROKER_CLOCK_SET, h_clock_set},
    {BROKER_NETCFG_GET_MAC, h_get_mac},
    {BROKER_NETCFG_SET_MAC, h_set_mac},
    {0, NULL},
};
