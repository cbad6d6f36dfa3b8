/* SPDX-License-Identifier: MIT */
/* broker_dns.c — DNS queries for apps through the device's resolver (BROKER_NET_DNS_QUERY;
 * libapplibs' res_query/res_search; docs/netconfig.md "DNS service discovery"). An app may ask
 * about a name its AllowedConnections lists, or a name an earlier answer to it made known: the
 * instances a PTR answer names (DNS-SD: `_service._tcp.domain` → `Instance._service._tcp.domain`)
 * and the targets an SRV answer names. Those discovered names then also resolve and connect
 * through the ordinary mediation (broker_dns_manifest), for this app only, for the answer's TTL
 * (at least 60 s). The device asks its DNS servers: custom DNS of an interface, else the servers
 * eth0's DHCP lease named, else the host's resolver configuration. A discovered name's address
 * comes from those same servers (broker_dns_servers_for: net_resolve_with asks them for its A
 * record), so the instance DNS-SD finds is connectable as the DNS server describes it. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "broker_ops.h"
#include "net.h"
#include "netcfg_device.h"
#include "netcfg_host.h"

#define DISCOVERED_MAX 128
#define ANSWER_MAX 65536

struct discovered {
    char cid[40];
    char name[NS_MAXDNAME];
    time_t expires;
};
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct discovered found[DISCOVERED_MAX];
static size_t found_next;

static bool listed(const struct json_value *manifest, const char *name)
{
    const struct json_value *list = broker_capability(manifest, "AllowedConnections");
    for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.array.count; i++) {
        const struct json_value *v = list->u.array.items[i];
        if (v->type == JSON_STRING && !strcasecmp(v->u.string.chars, name))
            return true;
    }
    return false;
}

static bool discovered(const char *cid, const char *name)
{
    time_t now = time(NULL);
    bool yes = false;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < DISCOVERED_MAX && !yes; i++)
        yes = found[i].expires > now && !strcmp(found[i].cid, cid) && !strcasecmp(found[i].name, name);
    pthread_mutex_unlock(&lock);
    return yes;
}

static void remember(const char *cid, const char *name, unsigned ttl)
{
    pthread_mutex_lock(&lock);
    struct discovered *d = &found[found_next++ % DISCOVERED_MAX]; /* the oldest goes */
    snprintf(d->cid, sizeof d->cid, "%s", cid);
    snprintf(d->name, sizeof d->name, "%s", name);
    d->expires = time(NULL) + (ttl < 60 ? 60 : ttl);
    pthread_mutex_unlock(&lock);
}

struct json_value *broker_dns_manifest(const struct json_value *manifest, const char *cid, const char *name)
{
    if (!discovered(cid, name) || listed(manifest, name))
        return NULL;
    struct json_value *m = json_clone(manifest);
    struct json_value *caps = m ? (struct json_value *)json_object_get(m, "Capabilities") : NULL;
    struct json_value *list = caps ? (struct json_value *)json_object_get(caps, "AllowedConnections") : NULL;
    if (caps && !list && !json_object_append(caps, "AllowedConnections", json_new_array()))
        list = (struct json_value *)json_object_get(caps, "AllowedConnections");
    if (!list || list->type != JSON_ARRAY || json_array_append(list, json_new_string(name))) {
        json_free(m);
        return NULL;
    }
    return m;
}

struct json_value *broker_dns_manifest_all(const struct json_value *manifest, const char *cid)
{
    struct json_value *m = NULL, *list = NULL;
    time_t now = time(NULL);
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < DISCOVERED_MAX; i++) {
        if (found[i].expires <= now || strcmp(found[i].cid, cid) || listed(manifest, found[i].name))
            continue;
        if (!m) {
            m = json_clone(manifest);
            struct json_value *caps = m ? (struct json_value *)json_object_get(m, "Capabilities") : NULL;
            if (caps && !json_object_get(caps, "AllowedConnections"))
                json_object_append(caps, "AllowedConnections", json_new_array());
            list = caps ? (struct json_value *)json_object_get(caps, "AllowedConnections") : NULL;
            if (!list || list->type != JSON_ARRAY)
                break;
        }
        json_array_append(list, json_new_string(found[i].name));
    }
    pthread_mutex_unlock(&lock);
    if (m && (!list || list->type != JSON_ARRAY)) {
        json_free(m);
        return NULL;
    }
    return m;
}

/* Records the names PTR and SRV answers make known to this app. */
static void learn(const char *cid, const unsigned char *answer, int len)
{
    ns_msg msg;
    if (ns_initparse(answer, len, &msg) < 0)
        return;
    for (int i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
        ns_rr rr;
        char name[NS_MAXDNAME];
        if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
            continue;
        const unsigned char *rdata = ns_rr_rdata(rr);
        if (ns_rr_type(rr) == ns_t_ptr &&
            ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), rdata, name, sizeof name) >= 0)
            remember(cid, name, ns_rr_ttl(rr));
        else if (ns_rr_type(rr) == ns_t_srv && ns_rr_rdlen(rr) > 6 &&
                 ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), rdata + 6, name, sizeof name) >= 0)
            remember(cid, name, ns_rr_ttl(rr));
    }
}

/* The DNS servers of the interfaces with custom DNS (network order), up to max. */
static size_t custom_servers(uint32_t *out, size_t max)
{
    size_t n = 0;
    struct netcfg *c = netcfg_device_lock();
    for (size_t i = 0; c && i < netcfg_interface_count(c) && !n; i++) {
        const struct netcfg_interface *f = netcfg_interface_at(c, i);
        for (size_t k = 0; f->enabled && f->ip.custom_dns && k < f->ip.dns_count && n < max; k++)
            out[n++] = f->ip.dns[k];
    }
    if (c)
        netcfg_device_unlock();
    return n;
}

/* The device's DNS servers (network order): an interface's custom DNS, else eth0's lease's. */
static size_t dns_servers(uint32_t *out, size_t max)
{
    size_t n = custom_servers(out, max);
    return n ? n : netcfg_host_dhcp_dns(out, max);
}

void broker_dns_servers_for(const char *cid, const char *name, struct net_dns_servers *dns)
{
    dns->count = discovered(cid, name) ? dns_servers(dns->addr, NET_DNS_SERVERS)
                                       : custom_servers(dns->addr, NET_DNS_SERVERS);
}

static int dns_query(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    char name[sizeof q->text];
    memcpy(name, q->text, sizeof name);
    name[sizeof name - 1] = 0;
    if (!name[0] || q->a < 0 || q->a > 65535 || q->b < 0 || q->b > 65535)
        return -EINVAL;
    if (!broker_netcfg_carries_traffic())
        return -ENETUNREACH;
    if (!listed(ctx->manifest, name) && !discovered(ctx->component_text, name))
        return -EACCES;
    struct __res_state st;
    memset(&st, 0, sizeof st);
    if (res_ninit(&st) < 0)
        return -EIO;
    uint32_t servers[MAXNS];
    size_t count = dns_servers(servers, MAXNS);
    for (size_t i = 0; i < count; i++) {
        st.nsaddr_list[i].sin_family = AF_INET;
        st.nsaddr_list[i].sin_addr.s_addr = servers[i];
        st.nsaddr_list[i].sin_port = htons(53);
    }
    if (count)
        st.nscount = (int)count;
    st.retry = 2;
    st.retrans = 1;
    unsigned char *answer = malloc(ANSWER_MAX);
    int len = answer ? res_nquery(&st, name, q->a, q->b, answer, ANSWER_MAX) : -1;
    res_nclose(&st);
    if (len < 0) {
        free(answer);
        return answer ? -ENOENT : -ENOMEM;
    }
    learn(ctx->component_text, answer, len);
    int m = memfd_create("opensphere-dns-answer", MFD_CLOEXEC);
    int err = m < 0 ? -errno : write(m, answer, (size_t)len) == len ? 0 : -EIO;
    free(answer);
    if (err) {
        if (m >= 0)
            close(m);
        return err;
    }
    r->value = len;
    *fd = m;
    return 0;
}

const struct broker_op_entry broker_dns_ops[] = {
    {BROKER_NET_DNS_QUERY, dns_query},
    {0, NULL},
};
