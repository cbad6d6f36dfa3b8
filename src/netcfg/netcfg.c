/* SPDX-License-Identifier: MIT */
/* netcfg.c — the device's network configuration model and its state file (see netcfg.h). */
#include "netcfg.h"
#include "hwaddr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostio.h"
#include "json.h"
#include "path.h"
#include "strbuf.h"

#define FORMAT_VERSION 1
#define MAX_LEASE_HOURS 8760

struct state {
    struct netcfg_interface ifs[NETCFG_MAX_INTERFACES];
    size_t if_count;
    struct netcfg_time time;
    struct netcfg_proxy proxy;
};

struct netcfg {
    char *dir;
    struct state s;
};

/* ---- defaults -------------------------------------------------------------------------------- */

static void default_interface(struct netcfg_interface *f, const char *name, uint8_t medium, uint8_t last)
{
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    f->medium = medium;
    f->enabled = true;
    /* locally administered unicast: 02:00:5e:10:00:NN */
    const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, last};
    memcpy(f->mac, mac, 6);
}

static void default_state(struct state *s, bool has_eth0)
{
    memset(s, 0, sizeof *s);
    default_interface(&s->ifs[s->if_count++], "wlan0", NETCFG_MEDIUM_WIFI, 1);
    if (has_eth0)
        default_interface(&s->ifs[s->if_count++], "eth0", NETCFG_MEDIUM_ETHERNET, 2);
    s->time.enabled = true;
    s->time.mode = NETCFG_NTP_DEFAULT;
    s->time.fallback = true;
}

/* ---- small checks ---------------------------------------------------------------------------- */

bool netcfg_host_valid(const char *host, size_t size)
{
    size_t len = host ? strlen(host) : 0;
    if (!len || len >= size || host[0] == '.' || host[0] == '-')
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)host[i]) && host[i] != '.' && host[i] != '-')
            return false;
    return true;
}

static bool no_proxy_valid(const char *list)
{
    size_t len = strlen(list);
    if (len >= NETCFG_PROXY_NOPROXY_SIZE)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)list[i]) && !strchr(".-,*/:", list[i]))
            return false;
    return true;
}

static bool cred_valid(const char *s)
{
    size_t len = strlen(s);
    if (!len || len >= NETCFG_PROXY_CRED_SIZE)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isprint((unsigned char)s[i]))
            return false;
    return true;
}

static bool mask_valid(uint32_t mask_be)
{
    uint32_t m = ntohl(mask_be);
    return m != 0 && m != 0xffffffffu && (~m & (~m + 1)) == 0; /* ones then zeros */
}

static bool host_address(uint32_t addr_be)
{
    uint32_t a = ntohl(addr_be);
    uint8_t top = (uint8_t)(a >> 24);
    return a != 0 && top != 127 && top < 224;
}

static int why_einval(char *why, size_t why_size, const char *reason)
{
    if (why && why_size)
        snprintf(why, why_size, "%s", reason);
    return -EINVAL;
}

static int check_ip(const struct netcfg_ip *ip, char *why, size_t why_size)
{
    if (ip->static_ip) {
        uint32_t a = ntohl(ip->address), m = ntohl(ip->netmask);
        if (!mask_valid(ip->netmask))
            return why_einval(why, why_size, "the subnet mask must be contiguous and neither /0 nor /32");
        if (!host_address(ip->address) || (a & ~m) == 0 || (a & ~m) == ~m)
            return why_einval(why, why_size, "the IP address must be a host address of its subnet");
        if (ip->gateway && (!host_address(ip->gateway) || (ntohl(ip->gateway) & m) != (a & m) ||
                            ip->gateway == ip->address))
            return why_einval(why, why_size, "the gateway must be another host address inside the subnet");
    }
    if (ip->custom_dns) {
        if (ip->dns_count == 0 || ip->dns_count > NETCFG_MAX_DNS)
            return why_einval(why, why_size, "custom DNS takes 1 to 3 servers");
        for (size_t i = 0; i < ip->dns_count; i++)
            if (!host_address(ip->dns[i]))
                return why_einval(why, why_size, "a DNS server must be a host address");
    }
    return 0;
}

static int check_dhcp_server(const struct netcfg_interface *f, const struct netcfg_dhcp_server *s, char *why,
                             size_t why_size)
{
    uint32_t m = ntohl(f->ip.netmask), net = ntohl(f->ip.address) & m;
    uint32_t start = ntohl(s->start);
    if (s->netmask != f->ip.netmask)
        return why_einval(why, why_size, "the lease's subnet mask must be the interface's");
    if (s->count == 0)
        return why_einval(why, why_size, "the lease needs at least one address");
    if ((start & m) != net || ((start + s->count - 1u) & m) != net || (start & ~m) == 0 ||
        ((start + s->count - 1u) & ~m) == ~m)
        return why_einval(why, why_size, "the lease's addresses must be host addresses of the interface's subnet");
    uint32_t own = ntohl(f->ip.address);
    if (own >= start && own < start + s->count)
        return why_einval(why, why_size, "the lease's addresses must not include the interface's own address");
    if (s->gateway && (ntohl(s->gateway) & m) != net)
        return why_einval(why, why_size, "the gateway must be inside the interface's subnet");
    if (s->lease_hours == 0 || s->lease_hours > MAX_LEASE_HOURS)
        return why_einval(why, why_size, "the lease time must be 1 to 8760 hours");
    if (s->ntp_count > NETCFG_MAX_NTP)
        return why_einval(why, why_size, "at most 3 NTP servers");
    for (size_t i = 0; i < s->ntp_count; i++)
        if (!host_address(s->ntp[i]))
            return why_einval(why, why_size, "an NTP server must be a host address");
    return 0;
}

static int check_proxy(const struct netcfg_proxy *p, char *why, size_t why_size)
{
    if (!netcfg_host_valid(p->address, sizeof p->address))
        return why_einval(why, why_size, "the proxy address must be 1-255 characters of A-Z a-z 0-9 . -");
    if (p->port == 0)
        return why_einval(why, why_size, "the proxy port must be 1-65535");
    if (!no_proxy_valid(p->no_proxy))
        return why_einval(why, why_size, "the no-proxy list must be host names or addresses separated by commas");
    if (p->basic_auth && (!cred_valid(p->username) || !cred_valid(p->password)))
        return why_einval(why, why_size, "basic authentication needs a user name and a password of 1-63 characters");
    return 0;
}

/* ---- the file: writing ----------------------------------------------------------------------- */

static struct json_value *addr_json(uint32_t a)
{
    char text[INET_ADDRSTRLEN];
    struct in_addr in = {a};
    inet_ntop(AF_INET, &in, text, sizeof text);
    return json_new_string(text);
}

static int put_addr_list(struct json_value *o, const char *key, const uint32_t *list, size_t count)
{
    struct json_value *a = json_new_array();
    if (json_object_append(o, key, a))
        return -ENOMEM;
    for (size_t i = 0; i < count; i++)
        if (json_array_append(a, addr_json(list[i])))
            return -ENOMEM;
    return 0;
}

static int interface_json(const struct netcfg_interface *f, struct json_value *o)
{
    char mac[18];
    hwaddr_format(f->mac, mac);
    int err = json_object_append(o, "name", json_new_string(f->name)) ||
              json_object_append(o, "enabled", json_new_bool(f->enabled)) ||
              json_object_append(o, "hardwareAddress", json_new_string(mac)) ||
              json_object_append(o, "ip", json_new_string(f->ip.static_ip ? "static" : "dhcp"));
    if (!err && f->ip.static_ip)
        err = json_object_append(o, "address", addr_json(f->ip.address)) ||
              json_object_append(o, "netmask", addr_json(f->ip.netmask)) ||
              json_object_append(o, "gateway", addr_json(f->ip.gateway));
    if (!err && f->ip.custom_dns)
        err = put_addr_list(o, "dns", f->ip.dns, f->ip.dns_count);
    if (!err && f->lease_released)
        err = json_object_append(o, "leaseReleased", json_new_bool(true));
    if (!err && f->dhcp_server.running) {
        const struct netcfg_dhcp_server *s = &f->dhcp_server;
        struct json_value *d = json_new_object();
        err = json_object_append(o, "dhcpServer", d) || json_object_append(d, "start", addr_json(s->start)) ||
              json_object_append(d, "count", json_new_int(s->count)) ||
              json_object_append(d, "netmask", addr_json(s->netmask)) ||
              json_object_append(d, "gateway", addr_json(s->gateway)) ||
              json_object_append(d, "leaseHours", json_new_int(s->lease_hours)) ||
              put_addr_list(d, "ntp", s->ntp, s->ntp_count);
    }
    if (!err && f->sntp_server)
        err = json_object_append(o, "sntpServer", json_new_bool(true));
    return err ? -ENOMEM : 0;
}

static const char *const mode_names[] = {"default", "custom", "automatic"};

static int time_json(const struct netcfg_time *t, struct json_value *o)
{
    int err = json_object_append(o, "enabled", json_new_bool(t->enabled)) ||
              json_object_append(o, "mode", json_new_string(mode_names[t->mode])) ||
              (t->mode == NETCFG_NTP_CUSTOM && json_object_append(o, "primary", json_new_string(t->primary))) ||
              (t->mode == NETCFG_NTP_CUSTOM && t->secondary[0] &&
               json_object_append(o, "secondary", json_new_string(t->secondary))) ||
              json_object_append(o, "fallback", json_new_bool(t->fallback)) ||
              json_object_append(o, "offsetNs", json_new_int(t->offset_ns));
    if (!err && t->synced) {
        struct json_value *l = json_new_object();
        err = json_object_append(o, "lastSync", l) || json_object_append(l, "server", json_new_string(t->last_server)) ||
              json_object_append(l, "before", json_new_int(t->last_before)) ||
              json_object_append(l, "ntpTime", json_new_int(t->last_ntp));
    }
    return err ? -ENOMEM : 0;
}

static int proxy_json(const struct netcfg_proxy *p, struct json_value *o)
{
    int err = json_object_append(o, "enabled", json_new_bool(p->enabled)) ||
              json_object_append(o, "address", json_new_string(p->address)) ||
              json_object_append(o, "port", json_new_int(p->port)) ||
              json_object_append(o, "noProxy", json_new_string(p->no_proxy)) ||
              (p->basic_auth && (json_object_append(o, "username", json_new_string(p->username)) ||
                                 json_object_append(o, "password", json_new_string(p->password))));
    return err ? -ENOMEM : 0;
}

static struct json_value *state_json(const struct state *s)
{
    struct json_value *root = json_new_object(), *ifs = json_new_array(), *t = json_new_object();
    if (!root || json_object_append(root, "version", json_new_int(FORMAT_VERSION)) ||
        json_object_append(root, "interfaces", ifs) || json_object_append(root, "time", t) || time_json(&s->time, t))
        goto fail;
    for (size_t i = 0; i < s->if_count; i++) {
        struct json_value *o = json_new_object();
        if (json_array_append(ifs, o) || interface_json(&s->ifs[i], o))
            goto fail;
    }
    if (s->proxy.configured) {
        struct json_value *p = json_new_object();
        if (json_object_append(root, "proxy", p) || proxy_json(&s->proxy, p))
            goto fail;
    }
    return root;
fail:
    json_free(root);
    return NULL;
}

char *netcfg_file_text(const struct netcfg *n)
{
    struct json_value *root = state_json(&n->s);
    struct strbuf text = {0};
    if (!root || json_write(root, JSON_PRETTY, &text) || strbuf_puts(&text, "\n")) {
        json_free(root);
        strbuf_free(&text);
        return NULL;
    }
    json_free(root);
    return text.data;
}

static int save(const struct netcfg *n)
{
    if (!n->dir)
        return 0;
    char *text = netcfg_file_text(n), *path = path_join(n->dir, NETCFG_FILE);
    int err = !text || !path ? -ENOMEM : hostio_write_file_atomic(path, text, strlen(text), 0600);
    free(text);
    free(path);
    return err;
}

/* Saves the changed state, or puts back the old one when the file cannot be written. */
static int commit(struct netcfg *n, const struct state *old)
{
    int err = save(n);
    if (err)
        n->s = *old;
    return err;
}

/* ---- the file: reading ----------------------------------------------------------------------- */

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

/* Refuses members not named in `known` (a NULL-terminated list). */
static int only_known(const struct loader *l, const struct json_value *o, const char *where, const char *const *known)
{
    for (size_t i = 0; i < o->u.object.count; i++) {
        const char *k = o->u.object.members[i].key;
        size_t j = 0;
        while (known[j] && strcmp(known[j], k))
            j++;
        if (!known[j]) {
            char path[128];
            snprintf(path, sizeof path, "%s.%s", where, k);
            return refuse(l, o->u.object.members[i].value, path, "is not a known field");
        }
    }
    return 0;
}

static const struct json_value *member(const struct json_value *o, const char *key, char *path, size_t path_size,
                                       const char *where)
{
    snprintf(path, path_size, "%s.%s", where, key);
    return json_object_get(o, key);
}

static int get_bool(const struct loader *l, const struct json_value *o, const char *where, const char *key, bool *out,
                    bool required)
{
    char path[128];
    const struct json_value *v = member(o, key, path, sizeof path, where);
    if (!v)
        return required ? refuse(l, o, path, "is missing") : 0;
    if (v->type != JSON_BOOL)
        return refuse(l, v, path, "must be true or false");
    *out = v->u.boolean;
    return 0;
}

static int get_int(const struct loader *l, const struct json_value *o, const char *where, const char *key, int64_t min,
                   int64_t max, int64_t *out, bool required)
{
    char path[128], reason[96];
    const struct json_value *v = member(o, key, path, sizeof path, where);
    if (!v)
        return required ? refuse(l, o, path, "is missing") : 0;
    if (v->type != JSON_NUMBER || !v->u.number.is_integer || v->u.number.integer < min || v->u.number.integer > max) {
        snprintf(reason, sizeof reason, "must be an integer from %lld to %lld", (long long)min, (long long)max);
        return refuse(l, v, path, reason);
    }
    *out = v->u.number.integer;
    return 0;
}

static int get_string(const struct loader *l, const struct json_value *o, const char *where, const char *key,
                      char *out, size_t size, bool required)
{
    char path[128];
    const struct json_value *v = member(o, key, path, sizeof path, where);
    if (!v)
        return required ? refuse(l, o, path, "is missing") : 0;
    if (v->type != JSON_STRING)
        return refuse(l, v, path, "must be a string");
    if (v->u.string.len >= size) {
        char reason[64];
        snprintf(reason, sizeof reason, "must be at most %zu characters long", size - 1);
        return refuse(l, v, path, reason);
    }
    memcpy(out, v->u.string.chars, v->u.string.len + 1);
    return 0;
}

static int addr_value(const struct loader *l, const struct json_value *v, const char *path, uint32_t *out)
{
    struct in_addr in;
    if (!v || v->type != JSON_STRING || inet_pton(AF_INET, v->u.string.chars, &in) != 1)
        return refuse(l, v, path, "must be an IPv4 address \"a.b.c.d\"");
    *out = in.s_addr;
    return 0;
}

static int get_addr(const struct loader *l, const struct json_value *o, const char *where, const char *key,
                    uint32_t *out)
{
    char path[128];
    const struct json_value *v = member(o, key, path, sizeof path, where);
    if (!v)
        return refuse(l, o, path, "is missing");
    return addr_value(l, v, path, out);
}

static int get_addr_list(const struct loader *l, const struct json_value *o, const char *where, const char *key,
                         uint32_t *out, uint8_t *count, bool *present)
{
    char path[128];
    const struct json_value *v = member(o, key, path, sizeof path, where);
    *present = v != NULL;
    if (!v)
        return 0;
    if (v->type != JSON_ARRAY || v->u.array.count > 3)
        return refuse(l, v, path, "must be an array of at most 3 IPv4 addresses");
    for (size_t i = 0; i < v->u.array.count; i++) {
        char item[160];
        snprintf(item, sizeof item, "%s[%zu]", path, i);
        int err = addr_value(l, v->u.array.items[i], item, &out[i]);
        if (err)
            return err;
    }
    *count = (uint8_t)v->u.array.count;
    return 0;
}

static int load_dhcp_server(const struct loader *l, const struct json_value *d, const char *where,
                            struct netcfg_interface *f)
{
    static const char *const known[] = {"start", "count", "netmask", "gateway", "leaseHours", "ntp", NULL};
    struct netcfg_dhcp_server *s = &f->dhcp_server;
    int64_t count = 0, hours = 0;
    bool present;
    if (d->type != JSON_OBJECT)
        return refuse(l, d, where, "must be an object");
    int err = only_known(l, d, where, known);
    if (!err)
        err = get_addr(l, d, where, "start", &s->start);
    if (!err)
        err = get_int(l, d, where, "count", 1, 255, &count, true);
    if (!err)
        err = get_addr(l, d, where, "netmask", &s->netmask);
    if (!err)
        err = get_addr(l, d, where, "gateway", &s->gateway);
    if (!err)
        err = get_int(l, d, where, "leaseHours", 1, MAX_LEASE_HOURS, &hours, true);
    if (!err)
        err = get_addr_list(l, d, where, "ntp", s->ntp, &s->ntp_count, &present);
    if (err)
        return err;
    s->count = (uint8_t)count;
    s->lease_hours = (uint32_t)hours;
    s->running = true;
    char reason[128];
    if (!f->ip.static_ip)
        return refuse(l, d, where, "a DHCP server needs the interface's static address");
    if (check_dhcp_server(f, s, reason, sizeof reason))
        return refuse(l, d, where, reason);
    return 0;
}

static int load_interface(const struct loader *l, const struct json_value *o, size_t index, struct state *s)
{
    static const char *const known[] = {"name",    "enabled", "hardwareAddress", "ip",         "address",   "netmask",
                                        "gateway", "dns",     "leaseReleased",   "dhcpServer", "sntpServer", NULL};
    char where[40], name[NETCFG_NAME_SIZE] = "", mac[18] = "", ip[32] = "";
    snprintf(where, sizeof where, "interfaces[%zu]", index);
    if (o->type != JSON_OBJECT)
        return refuse(l, o, where, "must be an object");
    int err = only_known(l, o, where, known);
    if (!err)
        err = get_string(l, o, where, "name", name, sizeof name, true);
    struct netcfg_interface *f = NULL;
    for (size_t i = 0; !err && i < s->if_count; i++)
        if (!strcmp(s->ifs[i].name, name))
            f = &s->ifs[i];
    if (!err && !f)
        return refuse(l, json_object_get(o, "name"), where, "names no interface of this device");
    if (!err)
        err = get_bool(l, o, where, "enabled", &f->enabled, true);
    if (!err)
        err = get_string(l, o, where, "hardwareAddress", mac, sizeof mac, true);
    if (!err && hwaddr_parse(mac, f->mac))
        return refuse(l, json_object_get(o, "hardwareAddress"), where, "hardwareAddress must be \"xx:xx:xx:xx:xx:xx\"");
    if (!err)
        err = get_string(l, o, where, "ip", ip, sizeof ip, true);
    if (!err && strcmp(ip, "dhcp") && strcmp(ip, "static"))
        return refuse(l, json_object_get(o, "ip"), where, "ip must be \"dhcp\" or \"static\"");
    f->ip.static_ip = !err && !strcmp(ip, "static");
    if (!err && f->ip.static_ip) {
        err = get_addr(l, o, where, "address", &f->ip.address);
        if (!err)
            err = get_addr(l, o, where, "netmask", &f->ip.netmask);
        if (!err)
            err = get_addr(l, o, where, "gateway", &f->ip.gateway);
    }
    if (!err)
        err = get_addr_list(l, o, where, "dns", f->ip.dns, &f->ip.dns_count, &f->ip.custom_dns);
    char reason[128];
    if (!err && check_ip(&f->ip, reason, sizeof reason))
        return refuse(l, o, where, reason);
    if (!err)
        err = get_bool(l, o, where, "leaseReleased", &f->lease_released, false);
    if (!err && f->lease_released && f->ip.static_ip)
        return refuse(l, o, where, "leaseReleased needs DHCP");
    const struct json_value *d = json_object_get(o, "dhcpServer");
    if (!err && d) {
        char dw[64];
        snprintf(dw, sizeof dw, "%s.dhcpServer", where);
        err = load_dhcp_server(l, d, dw, f);
    }
    if (!err)
        err = get_bool(l, o, where, "sntpServer", &f->sntp_server, false);
    if (!err && f->sntp_server && !f->ip.static_ip)
        return refuse(l, o, where, "an SNTP server needs the interface's static address");
    return err;
}

static int load_time(const struct loader *l, const struct json_value *t, struct netcfg_time *out)
{
    static const char *const known[] = {"enabled", "mode", "primary", "secondary", "fallback", "offsetNs", "lastSync", NULL};
    static const char *const sync_known[] = {"server", "before", "ntpTime", NULL};
    char mode[16] = "";
    if (t->type != JSON_OBJECT)
        return refuse(l, t, "time", "must be an object");
    int err = only_known(l, t, "time", known);
    if (!err)
        err = get_bool(l, t, "time", "enabled", &out->enabled, true);
    if (!err)
        err = get_string(l, t, "time", "mode", mode, sizeof mode, true);
    for (size_t i = 0; !err && i < 3; i++)
        if (!strcmp(mode, mode_names[i]))
            out->mode = (uint8_t)(i + 10);
    if (!err && out->mode < 10)
        return refuse(l, json_object_get(t, "mode"), "time.mode", "must be \"default\", \"custom\" or \"automatic\"");
    out->mode = (uint8_t)(out->mode - 10);
    if (!err && out->mode == NETCFG_NTP_CUSTOM) {
        err = get_string(l, t, "time", "primary", out->primary, sizeof out->primary, true);
        if (!err && !netcfg_host_valid(out->primary, sizeof out->primary))
            return refuse(l, json_object_get(t, "primary"), "time.primary", "must be a host name or IPv4 address");
        if (!err)
            err = get_string(l, t, "time", "secondary", out->secondary, sizeof out->secondary, false);
        if (!err && out->secondary[0] && !netcfg_host_valid(out->secondary, sizeof out->secondary))
            return refuse(l, json_object_get(t, "secondary"), "time.secondary", "must be a host name or IPv4 address");
    } else if (!err && (json_object_get(t, "primary") || json_object_get(t, "secondary"))) {
        return refuse(l, t, "time", "primary and secondary belong to the custom mode only");
    }
    if (!err)
        err = get_bool(l, t, "time", "fallback", &out->fallback, true);
    if (!err)
        err = get_int(l, t, "time", "offsetNs", INT64_MIN / 2, INT64_MAX / 2, &out->offset_ns, true);
    const struct json_value *s = json_object_get(t, "lastSync");
    if (!err && s) {
        if (s->type != JSON_OBJECT)
            return refuse(l, s, "time.lastSync", "must be an object");
        err = only_known(l, s, "time.lastSync", sync_known);
        if (!err)
            err = get_string(l, s, "time.lastSync", "server", out->last_server, sizeof out->last_server, true);
        if (!err)
            err = get_int(l, s, "time.lastSync", "before", 0, INT64_MAX / 2, &out->last_before, true);
        if (!err)
            err = get_int(l, s, "time.lastSync", "ntpTime", 0, INT64_MAX / 2, &out->last_ntp, true);
        out->synced = !err;
    }
    return err;
}

static int load_proxy(const struct loader *l, const struct json_value *p, struct netcfg_proxy *out)
{
    static const char *const known[] = {"enabled", "address", "port", "noProxy", "username", "password", NULL};
    int64_t port = 0;
    if (p->type != JSON_OBJECT)
        return refuse(l, p, "proxy", "must be an object");
    int err = only_known(l, p, "proxy", known);
    if (!err)
        err = get_bool(l, p, "proxy", "enabled", &out->enabled, true);
    if (!err)
        err = get_string(l, p, "proxy", "address", out->address, sizeof out->address, true);
    if (!err)
        err = get_int(l, p, "proxy", "port", 1, 65535, &port, true);
    if (!err)
        err = get_string(l, p, "proxy", "noProxy", out->no_proxy, sizeof out->no_proxy, false);
    out->basic_auth = json_object_get(p, "username") || json_object_get(p, "password");
    if (!err && out->basic_auth)
        err = get_string(l, p, "proxy", "username", out->username, sizeof out->username, true);
    if (!err && out->basic_auth)
        err = get_string(l, p, "proxy", "password", out->password, sizeof out->password, true);
    out->port = (uint16_t)port;
    out->configured = true;
    char reason[128];
    if (!err && check_proxy(out, reason, sizeof reason))
        return refuse(l, p, "proxy", reason);
    return err;
}

int netcfg_load_text(struct netcfg *n, const char *name, const char *text, size_t len, char *why, size_t why_size)
{
    static const char *const known[] = {"version", "interfaces", "time", "proxy", NULL};
    struct loader l = {name, why, why_size};
    struct diag_list diags = {0};
    struct json_value *root = NULL;
    int err = json_parse(text, len, NULL, name, &diags, &root);
    if (err || diag_error_count(&diags)) {
        const struct diag *d = diags.count ? &diags.items[0] : NULL;
        snprintf(why, why_size, "%s:%u:%u: %s: %s", name, d ? d->line : 0, d ? d->col : 0,
                 d && d->path ? d->path : "(top level)", d ? d->message : "not valid JSON");
        diag_list_free(&diags);
        json_free(root);
        return err == -ENOMEM ? -ENOMEM : -EINVAL;
    }
    diag_list_free(&diags);
    struct state s;
    default_state(&s, n->s.if_count > 1);
    int64_t version = 0;
    const struct json_value *ifs = NULL, *t = NULL, *p = NULL;
    if (root->type != JSON_OBJECT) {
        err = refuse(&l, root, "(top level)", "must be an object {\"version\": 1, …}");
        goto out;
    }
    err = only_known(&l, root, "(top level)", known);
    if (!err)
        err = get_int(&l, root, "(top level)", "version", FORMAT_VERSION, FORMAT_VERSION, &version, true);
    if (!err && (!(ifs = json_object_get(root, "interfaces")) || ifs->type != JSON_ARRAY))
        err = refuse(&l, ifs ? ifs : root, "interfaces", "must be an array");
    if (!err && ifs->u.array.count > s.if_count)
        err = refuse(&l, ifs, "interfaces", "lists more interfaces than the device has");
    for (size_t i = 0; !err && i < ifs->u.array.count; i++) {
        err = load_interface(&l, ifs->u.array.items[i], i, &s);
        for (size_t j = 0; !err && j < i; j++)
            if (!strcmp(json_object_get(ifs->u.array.items[j], "name")->u.string.chars,
                        json_object_get(ifs->u.array.items[i], "name")->u.string.chars))
                err = refuse(&l, ifs->u.array.items[i], "interfaces", "names an interface twice");
    }
    if (!err && (t = json_object_get(root, "time")) != NULL)
        err = load_time(&l, t, &s.time);
    if (!err && (p = json_object_get(root, "proxy")) != NULL)
        err = load_proxy(&l, p, &s.proxy);
    if (!err)
        n->s = s;
out:
    json_free(root);
    return err;
}

/* ---- open / close ---------------------------------------------------------------------------- */

int netcfg_open(const char *dir, bool has_eth0, struct netcfg **out, char *why, size_t why_size)
{
    struct netcfg *n = calloc(1, sizeof *n);
    if (!n || (dir && !(n->dir = strdup(dir)))) {
        free(n);
        return -ENOMEM;
    }
    default_state(&n->s, has_eth0);
    int err = 0;
    if (dir) {
        char *path = path_join(dir, NETCFG_FILE), *text = NULL;
        size_t len = 0;
        err = path ? hostio_read_file(path, &text, &len) : -ENOMEM;
        if (err == -ENOENT)
            err = 0;
        else if (err)
            snprintf(why, why_size, "%s: cannot read: %s", path ? path : NETCFG_FILE, strerror(-err));
        else
            err = netcfg_load_text(n, path, text, len, why, why_size);
        free(text);
        free(path);
    }
    if (err) {
        netcfg_close(n);
        return err;
    }
    *out = n;
    return 0;
}

void netcfg_close(struct netcfg *n)
{
    if (!n)
        return;
    free(n->dir);
    free(n);
}

/* ---- queries --------------------------------------------------------------------------------- */

size_t netcfg_interface_count(const struct netcfg *n)
{
    return n->s.if_count;
}

const struct netcfg_interface *netcfg_interface_at(const struct netcfg *n, size_t index)
{
    return index < n->s.if_count ? &n->s.ifs[index] : NULL;
}

static struct netcfg_interface *find(struct netcfg *n, const char *name)
{
    for (size_t i = 0; name && i < n->s.if_count; i++)
        if (!strcmp(n->s.ifs[i].name, name))
            return &n->s.ifs[i];
    return NULL;
}

const struct netcfg_interface *netcfg_interface(const struct netcfg *n, const char *name)
{
    return find((struct netcfg *)n, name);
}

const struct netcfg_time *netcfg_time(const struct netcfg *n)
{
    return &n->s.time;
}

const struct netcfg_proxy *netcfg_proxy(const struct netcfg *n)
{
    return &n->s.proxy;
}

/* ---- changes --------------------------------------------------------------------------------- */

int netcfg_set_enabled(struct netcfg *n, const char *name, bool enabled)
{
    struct netcfg_interface *f = find(n, name);
    if (!f)
        return -ENOENT;
    struct state old = n->s;
    f->enabled = enabled;
    return commit(n, &old);
}

int netcfg_set_mac(struct netcfg *n, const char *name, const uint8_t mac[6], char *why, size_t why_size)
{
    struct netcfg_interface *f = find(n, name);
    if (!f)
        return -ENOENT;
    if (f->medium != NETCFG_MEDIUM_ETHERNET)
        return -EPERM; /* as on the platform: Ethernet interfaces only */
    if ((mac[0] & 1) || !memcmp(mac, "\0\0\0\0\0\0", 6))
        return why_einval(why, why_size, "the hardware address must be a unicast address other than 00:00:00:00:00:00");
    struct state old = n->s;
    memcpy(f->mac, mac, 6);
    return commit(n, &old);
}

int netcfg_apply_ip(struct netcfg *n, const char *name, const struct netcfg_ip *ip, char *why, size_t why_size)
{
    struct netcfg_interface *f = find(n, name);
    if (!f)
        return -ENOENT;
    int err = check_ip(ip, why, why_size);
    if (err)
        return err;
    struct state old = n->s;
    f->ip = *ip;
    if (!ip->static_ip) {
        f->ip.address = f->ip.netmask = f->ip.gateway = 0;
        f->dhcp_server.running = false; /* the services need the static address */
        f->sntp_server = false;
    } else {
        f->lease_released = false;
    }
    if (!ip->custom_dns)
        f->ip.dns_count = 0;
    if (f->dhcp_server.running && check_dhcp_server(f, &f->dhcp_server, NULL, 0))
        f->dhcp_server.running = false; /* the new subnet no longer holds its pool */
    return commit(n, &old);
}

static int set_lease(struct netcfg *n, const char *name, bool released)
{
    struct netcfg_interface *f = find(n, name);
    if (!f)
        return -ENOENT;
    if (f->ip.static_ip)
        return -EPERM;
    struct state old = n->s;
    f->lease_released = released;
    return commit(n, &old);
}

int netcfg_release_ip(struct netcfg *n, const char *name)
{
    return set_lease(n, name, true);
}

int netcfg_renew_ip(struct netcfg *n, const char *name)
{
    int err = set_lease(n, name, false);
    if (!err)
        find(n, name)->renewals++;
    return err;
}

int netcfg_start_dhcp_server(struct netcfg *n, const char *name, const struct netcfg_dhcp_server *s, char *why,
                             size_t why_size)
{
    struct netcfg_interface *f = find(n, name);
    if (!f)
        return -ENOENT;
    if (!f->ip.static_ip)
        return -EPERM;
    int err = check_dhcp_server(f, s, why, why_size);
    if (err)
        return err;
    struct state old = n->s;
    f->dhcp_server = *s;
    f->dhcp_server.running = true;
    return commit(n, &old);
}

int netcfg_start_sntp_server(struct netcfg *n, const char *name)
{
    struct netcfg_interface *f = find(n, name);
    if (!f)
        return -ENOENT;
    if (!f->ip.static_ip)
        return -EPERM;
    struct state old = n->s;
    f->sntp_server = true;
    return commit(n, &old);
}

int netcfg_time_set_enabled(struct netcfg *n, bool enabled)
{
    struct state old = n->s;
    n->s.time.enabled = enabled;
    return commit(n, &old);
}

int netcfg_time_default(struct netcfg *n)
{
    struct state old = n->s;
    n->s.time.mode = NETCFG_NTP_DEFAULT;
    n->s.time.primary[0] = n->s.time.secondary[0] = 0;
    return commit(n, &old);
}

int netcfg_time_custom(struct netcfg *n, const char *primary, const char *secondary, bool fallback)
{
    if (!netcfg_host_valid(primary, NETCFG_HOST_SIZE) || (secondary && !netcfg_host_valid(secondary, NETCFG_HOST_SIZE)))
        return -EINVAL;
    struct state old = n->s;
    n->s.time.mode = NETCFG_NTP_CUSTOM;
    snprintf(n->s.time.primary, sizeof n->s.time.primary, "%s", primary);
    snprintf(n->s.time.secondary, sizeof n->s.time.secondary, "%s", secondary ? secondary : "");
    n->s.time.fallback = fallback;
    return commit(n, &old);
}

int netcfg_time_automatic(struct netcfg *n, bool fallback)
{
    struct state old = n->s;
    n->s.time.mode = NETCFG_NTP_AUTOMATIC;
    n->s.time.primary[0] = n->s.time.secondary[0] = 0;
    n->s.time.fallback = fallback;
    return commit(n, &old);
}

int netcfg_time_set_offset(struct netcfg *n, int64_t offset_ns)
{
    if (offset_ns < INT64_MIN / 2 || offset_ns > INT64_MAX / 2)
        return -EINVAL;
    struct state old = n->s;
    n->s.time.offset_ns = offset_ns;
    return commit(n, &old);
}

int netcfg_time_record_sync(struct netcfg *n, const char *server, int64_t before, int64_t ntp_time, int64_t offset_ns)
{
    if (!server || strlen(server) >= NETCFG_HOST_SIZE || before < 0 || ntp_time < 0 || offset_ns < INT64_MIN / 2 ||
        offset_ns > INT64_MAX / 2)
        return -EINVAL;
    struct state old = n->s;
    struct netcfg_time *t = &n->s.time;
    t->synced = true;
    snprintf(t->last_server, sizeof t->last_server, "%s", server);
    t->last_before = before;
    t->last_ntp = ntp_time;
    t->offset_ns = offset_ns;
    return commit(n, &old);
}

int netcfg_proxy_set(struct netcfg *n, const struct netcfg_proxy *p, char *why, size_t why_size)
{
    int err = check_proxy(p, why, why_size);
    if (err)
        return err;
    struct state old = n->s;
    n->s.proxy = *p;
    n->s.proxy.configured = true;
    if (!p->basic_auth)
        n->s.proxy.username[0] = n->s.proxy.password[0] = 0;
    return commit(n, &old);
}

int netcfg_proxy_delete(struct netcfg *n)
{
    struct state old = n->s;
    memset(&n->s.proxy, 0, sizeof n->s.proxy);
    return commit(n, &old);
}
