/* SPDX-License-Identifier: MIT */
/* rest_net.c — /net/interfaces, /net/interfaces/{name}, /net/status, /net/proxy
 * (device_rest_api.yaml; docs/netconfig.md) over the device's network configuration
 * (src/netcfg/netcfg_device.h). A change is persisted (netcfg.json) before the answer; one that
 * cannot be written changes nothing and answers 500. */
#include "rest_net.h"
#include "hwaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "net.h"
#include "netcfg_device.h"
#include "wifi_device.h"

static struct netcfg *lock(struct device_result *r)
{
    struct netcfg *n = netcfg_device_lock();
    if (!n)
        device_result_fail(r, DERR_INTERNAL, "%s", "this device has no network configuration");
    return n;
}

/* The host's first IPv4 interface address (what a DHCP-configured interface reports). */
static void host_address(char out[INET_ADDRSTRLEN])
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

static struct json_value *details(struct netcfg *n, const struct netcfg_interface *f, bool wifi, bool host)
{
    uint32_t bits = 0;
    netcfg_status_bits(n, f->name, wifi, host, &bits);
    char mac[18], ip[INET_ADDRSTRLEN] = "";
    hwaddr_format(f->mac, mac);
    uint32_t real = f->medium == NETCFG_MEDIUM_ETHERNET ? netcfg_device_eth0_address() : 0;
    if (bits & NETCFG_STATUS_IP) {
        if (real)
            inet_ntop(AF_INET, &real, ip, sizeof ip);
        else if (f->ip.static_ip)
            inet_ntop(AF_INET, &f->ip.address, ip, sizeof ip);
        else
            host_address(ip);
    }
    struct json_value *o = json_new_object(), *addrs = json_new_array();
    if (!o || json_object_append(o, "interfaceName", json_new_string(f->name)) ||
        json_object_append(o, "interfaceUp", json_new_bool(bits & NETCFG_STATUS_UP)) ||
        json_object_append(o, "connectedToNetwork", json_new_bool(bits & NETCFG_STATUS_CONNECTED)) ||
        json_object_append(o, "ipAcquired", json_new_bool(bits & NETCFG_STATUS_IP)) ||
        json_object_append(o, "connectedToInternet", json_new_bool(false)) ||
        json_object_append(o, "ipAssignment", json_new_string(f->ip.static_ip ? "static" : "dynamic")) ||
        json_object_append(o, "ipAddresses", addrs) || (ip[0] && json_array_append(addrs, json_new_string(ip))) ||
        json_object_append(o, "hardwareAddress", json_new_string(mac))) {
        json_free(o);
        return NULL;
    }
    return o;
}

void rest_net_interfaces(struct device *d, const struct auth *a, const char *param, const struct json_value *json,
                         const struct request *req, struct device_result *r)
{
    (void)d, (void)a, (void)param, (void)json, (void)req;
    bool wifi = wifi_device_link_up(), host = net_ready();
    struct netcfg *n = lock(r);
    if (!n)
        return;
    struct json_value *o = json_new_object(), *list = json_new_array();
    int err = !o || json_object_append(o, "interfaces", list);
    for (size_t i = 0; !err && i < netcfg_interface_count(n); i++)
        err = json_array_append(list, details(n, netcfg_interface_at(n, i), wifi, host));
    netcfg_device_unlock();
    if (err) {
        json_free(o);
        o = NULL;
    }
    device_result_body(r, o);
}

void rest_net_interface(struct device *d, const struct auth *a, const char *param, const struct json_value *json,
                        const struct request *req, struct device_result *r)
{
    (void)d, (void)a, (void)json, (void)req;
    bool wifi = wifi_device_link_up(), host = net_ready();
    struct netcfg *n = lock(r);
    if (!n)
        return;
    const struct netcfg_interface *f = netcfg_interface(n, param);
    if (f)
        device_result_body(r, details(n, f, wifi, host));
    else
        device_result_fail(r, DERR_NOT_FOUND, "no network interface named \"%.32s\"", param);
    netcfg_device_unlock();
}

void rest_net_interface_patch(struct device *d, const struct auth *a, const char *param,
                              const struct json_value *json, const struct request *req, struct device_result *r)
{
    (void)d, (void)a, (void)req;
    const struct json_value *mac = json_object_get(json, "hardwareAddress"), *up = json_object_get(json, "interfaceUp");
    uint8_t bytes[6];
    if ((!mac && !up) || (up && up->type != JSON_BOOL) ||
        (mac && (mac->type != JSON_STRING || hwaddr_parse(mac->u.string.chars, bytes)))) {
        device_result_fail(r, DERR_BAD_REQUEST, "%s",
               "the body must have \"hardwareAddress\": \"xx:xx:xx:xx:xx:xx\" and/or \"interfaceUp\": true|false");
        return;
    }
    struct netcfg *n = lock(r);
    if (!n)
        return;
    char why[160] = "";
    int err = netcfg_interface(n, param) ? 0 : -ENOENT;
    if (!err && mac)
        err = netcfg_set_mac(n, param, bytes, why, sizeof why);
    if (!err && up)
        err = netcfg_set_enabled(n, param, up->u.boolean);
    netcfg_device_unlock();
    if (err == -ENOENT)
        device_result_fail(r, DERR_NOT_FOUND, "no network interface named \"%.32s\"", param);
    else if (err == -EINVAL)
        device_result_fail(r, DERR_BAD_REQUEST, "hardwareAddress: %s", why);
    else if (err == -EPERM)
        device_result_fail(r, DERR_BAD_REQUEST, "hardwareAddress: only an Ethernet interface's can be set, not %.32s's", param);
    else if (err)
        device_result_fail(r, DERR_INTERNAL, "cannot save the network configuration (nothing changed): %s", strerror(-err));
    else
        device_result_body(r, json_new_object());
}

void rest_net_status(struct device *d, const struct auth *a, const char *param, const struct json_value *json,
                     const struct request *req, struct device_result *r)
{
    (void)d, (void)a, (void)param, (void)json, (void)req;
    uint32_t bits = netcfg_device_status(wifi_device_link_up(), net_ready());
    struct netcfg *n = lock(r);
    if (!n)
        return;
    const struct netcfg_time *t = netcfg_time(n);
    const struct netcfg_proxy *p = netcfg_proxy(n);
    const char *sync = !t->enabled ? "disabled" : t->synced ? "complete" : "incomplete";
    const char *proxy = !p->configured || !p->enabled ? "disabled" : (bits & NETCFG_STATUS_IP) ? "ready" : "enabled";
    struct json_value *o = json_new_object();
    if (!o || json_object_append(o, "deviceAuthenticationIsReady", json_new_bool(false)) ||
        json_object_append(o, "networkTimeSync", json_new_string(sync)) ||
        json_object_append(o, "proxy", json_new_string(proxy))) {
        json_free(o);
        o = NULL;
    }
    netcfg_device_unlock();
    device_result_body(r, o);
}

/* "a,b" → ["a","b"] */
static struct json_value *split_list(const char *list)
{
    struct json_value *a = json_new_array();
    char item[NETCFG_PROXY_NOPROXY_SIZE];
    for (const char *s = list; a && *s;) {
        size_t len = strcspn(s, ",");
        memcpy(item, s, len);
        item[len] = 0;
        if (len && json_array_append(a, json_new_string(item))) {
            return NULL;
        }
        s += len + (s[len] == ',');
    }
    return a;
}

void rest_net_proxy(struct device *d, const struct auth *a, const char *param, const struct json_value *json,
                    const struct request *req, struct device_result *r)
{
    (void)d, (void)a, (void)param, (void)json, (void)req;
    struct netcfg *n = lock(r);
    if (!n)
        return;
    const struct netcfg_proxy *p = netcfg_proxy(n);
    struct json_value *o = json_new_object();
    int err = !o;
    if (!err && p->configured)
        err = json_object_append(o, "enabled", json_new_bool(p->enabled)) ||
              json_object_append(o, "address", json_new_string(p->address)) ||
              json_object_append(o, "port", json_new_int(p->port)) ||
              json_object_append(o, "noProxyAddresses", split_list(p->no_proxy)) ||
              json_object_append(o, "authenticationType", json_new_string(p->basic_auth ? "basic" : "anonymous")) ||
              (p->basic_auth && json_object_append(o, "username", json_new_string(p->username)));
    netcfg_device_unlock();
    if (err) {
        json_free(o);
        o = NULL;
    }
    device_result_body(r, o); /* the password is never shown (NetworkProxyBasicNoPassword) */
}

/* Reads POST /net/proxy's body into p; 0 or a reason. */
static const char *proxy_from_json(const struct json_value *j, struct netcfg_proxy *p)
{
    static const char *const known[] = {"enabled", "address", "port", "noProxyAddresses", "authenticationType",
                                        "username", "password", NULL};
    for (size_t i = 0; i < j->u.object.count; i++) {
        size_t k = 0;
        while (known[k] && strcmp(known[k], j->u.object.members[i].key))
            k++;
        if (!known[k])
            return "unknown field in the body";
    }
    const struct json_value *enabled = json_object_get(j, "enabled"), *address = json_object_get(j, "address"),
                            *port = json_object_get(j, "port"), *list = json_object_get(j, "noProxyAddresses"),
                            *auth = json_object_get(j, "authenticationType"), *user = json_object_get(j, "username"),
                            *pass = json_object_get(j, "password");
    if (!address || address->type != JSON_STRING || address->u.string.len >= sizeof p->address)
        return "address: a host name or IPv4 address of 1-255 characters is required";
    if (!port || port->type != JSON_NUMBER || !port->u.number.is_integer || port->u.number.integer < 1 ||
        port->u.number.integer > 65535)
        return "port: an integer from 1 to 65535 is required";
    if (enabled && enabled->type != JSON_BOOL)
        return "enabled: must be true or false";
    if (!auth || auth->type != JSON_STRING ||
        (strcmp(auth->u.string.chars, "anonymous") && strcmp(auth->u.string.chars, "basic")))
        return "authenticationType: must be \"anonymous\" or \"basic\"";
    p->basic_auth = !strcmp(auth->u.string.chars, "basic");
    if (p->basic_auth && (!user || user->type != JSON_STRING || user->u.string.len >= sizeof p->username || !pass ||
                          pass->type != JSON_STRING || pass->u.string.len >= sizeof p->password))
        return "basic authentication needs username and password (1-63 characters)";
    if (!p->basic_auth && (user || pass))
        return "username and password belong to basic authentication";
    p->enabled = !enabled || enabled->u.boolean;
    memcpy(p->address, address->u.string.chars, address->u.string.len + 1);
    p->port = (uint16_t)port->u.number.integer;
    if (p->basic_auth) {
        memcpy(p->username, user->u.string.chars, user->u.string.len + 1);
        memcpy(p->password, pass->u.string.chars, pass->u.string.len + 1);
    }
    if (list) {
        if (list->type != JSON_ARRAY)
            return "noProxyAddresses: must be an array of strings";
        size_t used = 0;
        for (size_t i = 0; i < list->u.array.count; i++) {
            const struct json_value *s = list->u.array.items[i];
            if (s->type != JSON_STRING || !s->u.string.len || strchr(s->u.string.chars, ','))
                return "noProxyAddresses: must be an array of host names or addresses";
            if (used + s->u.string.len + 2 > sizeof p->no_proxy)
                return "noProxyAddresses: at most 255 characters in all";
            used += (size_t)snprintf(p->no_proxy + used, sizeof p->no_proxy - used, "%s%s", used ? "," : "",
                                     s->u.string.chars);
        }
    }
    return NULL;
}

void rest_net_proxy_set(struct device *d, const struct auth *a, const char *param, const struct json_value *json,
                        const struct request *req, struct device_result *r)
{
    (void)d, (void)a, (void)param, (void)req;
    struct netcfg_proxy p = {0};
    const char *why = proxy_from_json(json, &p);
    if (why) {
        device_result_fail(r, DERR_BAD_REQUEST, "%s", why);
        return;
    }
    struct netcfg *n = lock(r);
    if (!n)
        return;
    char reason[160] = "";
    int err = netcfg_proxy_set(n, &p, reason, sizeof reason);
    netcfg_device_unlock();
    if (err == -EINVAL)
        device_result_fail(r, DERR_BAD_REQUEST, "%s", reason);
    else if (err)
        device_result_fail(r, DERR_INTERNAL, "cannot save the network configuration (nothing changed): %s", strerror(-err));
    else
        device_result_body(r, json_new_object());
}

void rest_net_proxy_delete(struct device *d, const struct auth *a, const char *param, const struct json_value *json,
                           const struct request *req, struct device_result *r)
{
    (void)d, (void)a, (void)param, (void)json, (void)req;
    struct netcfg *n = lock(r);
    if (!n)
        return;
    int err = netcfg_proxy_delete(n);
    netcfg_device_unlock();
    if (err)
        device_result_fail(r, DERR_INTERNAL, "cannot save the network configuration (nothing changed): %s", strerror(-err));
    else
        device_result_body(r, json_new_object());
}

static int iso_time(int64_t seconds, char out[32])
{
    time_t t = (time_t)seconds;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return -EINVAL;
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return 0;
}

void rest_net_time(struct device *d, const struct auth *a, const char *param, const struct json_value *json,
                   const struct request *req, struct device_result *r)
{
    (void)d, (void)a, (void)param, (void)json, (void)req;
    int64_t now = netcfg_device_now_ns();
    struct netcfg *n = lock(r);
    if (!n)
        return;
    static const char *const modes[] = {"default", "custom", "automatic"};
    const struct netcfg_time *t = netcfg_time(n);
    char iso[32] = "", before[32] = "", after[32] = "";
    iso_time(now / 1000000000, iso);
    struct json_value *o = json_new_object();
    int err = !o || json_object_append(o, "deviceTime", json_new_string(iso)) ||
              json_object_append(o, "offsetNs", json_new_int(t->offset_ns)) ||
              json_object_append(o, "enabled", json_new_bool(t->enabled)) ||
              json_object_append(o, "mode", json_new_string(modes[t->mode])) ||
              (t->mode == NETCFG_NTP_CUSTOM && json_object_append(o, "primary", json_new_string(t->primary))) ||
              (t->mode == NETCFG_NTP_CUSTOM && t->secondary[0] &&
               json_object_append(o, "secondary", json_new_string(t->secondary))) ||
              json_object_append(o, "fallback", json_new_bool(t->fallback));
    if (!err && t->synced) {
        struct json_value *l = json_new_object();
        iso_time(t->last_before, before);
        iso_time(t->last_ntp, after);
        err = json_object_append(o, "lastSync", l) || json_object_append(l, "server", json_new_string(t->last_server)) ||
              json_object_append(l, "timeBefore", json_new_string(before)) ||
              json_object_append(l, "ntpTime", json_new_string(after));
    }
    netcfg_device_unlock();
    if (err) {
        json_free(o);
        o = NULL;
    }
    device_result_body(r, o);
}

void rest_net_time_sync(struct device *d, const struct auth *a, const char *param, const struct json_value *json,
                        const struct request *req, struct device_result *r)
{
    char why[200] = "";
    if (netcfg_device_time_sync(why, sizeof why)) {
        device_result_fail(r, DERR_BAD_REQUEST, "the network time sync failed: %s", why);
        return;
    }
    rest_net_time(d, a, param, json, req, r);
}
