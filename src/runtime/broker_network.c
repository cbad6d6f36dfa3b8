/* SPDX-License-Identifier: MIT */
/* broker_network.c — broker handlers for networking (docs/network.md): the device's status, name
 * resolution through the device's resolver (its static hosts, then its DNS servers: broker_dns.c
 * picks them), mediated connects and server ports. The checks and
 * the sockets themselves are net.c's; what would wait on the network (an upstream resolve, a
 * connect not answered at once) is finished by broker_pool. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker_ops.h"
#include "broker_pool.h"
#include "net.h"
#include "wifi_device.h"

static int net_status(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    (void)ctx, (void)q, (void)fd;
    r->value = (int32_t)broker_netcfg_status(); /* broker_netcfg.c: the union over the interfaces */
    return 0;
}

/* Writes a resolve's answer into the reply: value = count, text = TTL then the addresses. */
static int resolve_into(const char *cid, const struct json_value *manifest, const char *name,
                        const struct net_dns_servers *dns, struct broker_reply *r)
{
    uint32_t addrs[NET_MAX_ADDRS];
    size_t count = 0, max = (sizeof r->text - 4) / 4;
    unsigned ttl = 0;
    int err = net_resolve_with(cid, manifest, name, dns, addrs, max < NET_MAX_ADDRS ? max : NET_MAX_ADDRS, &count, &ttl);
    if (err)
        return err;
    uint32_t t = ttl;
    memcpy(r->text, &t, 4);
    memcpy(r->text + 4, addrs, count * 4);
    r->value = (int32_t)count;
    return 0;
}

/* An upstream resolve, on a pool worker: copies of what it needs. */
struct resolve_job {
    char cid[40];
    char name[sizeof ((struct broker_request *)0)->text];
    struct json_value *manifest;
    struct net_dns_servers dns;
};

static void resolve_job_run(void *state, struct broker_reply *r, int *fd)
{
    (void)fd;
    struct resolve_job *j = state;
    r->result = resolve_into(j->cid, j->manifest, j->name, &j->dns, r);
}

static void resolve_job_free(void *state)
{
    struct resolve_job *j = state;
    json_free(j->manifest);
    free(j);
}

static int resolve(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    (void)fd;
    if (!broker_netcfg_carries_traffic()) /* no enabled interface with an address (docs/netconfig.md) */
        return -ENETUNREACH;
    char name[sizeof q->text];
    memcpy(name, q->text, sizeof name);
    name[sizeof name - 1] = 0;
    struct json_value *proxy = broker_proxy_manifest(ctx->manifest, name); /* the proxy's name: resolvable */
    if (!proxy) /* a name a DNS-SD answer made known to this app (broker_dns.c) */
        proxy = broker_dns_manifest(ctx->manifest, ctx->component_text, name);
    const struct json_value *manifest = proxy ? proxy : ctx->manifest;
    struct net_dns_servers dns; /* the device's DNS servers for this name (broker_dns.c) */
    broker_dns_servers_for(ctx->component_text, name, &dns);
    if (net_resolve_is_local(manifest, name)) {
        int err = resolve_into(ctx->component_text, manifest, name, &dns, r);
        json_free(proxy);
        return err;
    }
    struct resolve_job *j = calloc(1, sizeof *j);
    if (!j || !(j->manifest = proxy ? proxy : json_clone(ctx->manifest))) {
        json_free(proxy);
        free(j);
        return -ENOMEM;
    }
    snprintf(j->cid, sizeof j->cid, "%s", ctx->component_text);
    snprintf(j->name, sizeof j->name, "%s", q->text);
    j->dns = dns;
    int err = broker_pool_submit(ctx->reply_sock, resolve_job_run, j, resolve_job_free);
    if (err)
        resolve_job_free(j);
    return err ? err : BROKER_REPLY_LATER;
}

/* A connect the peer has not answered yet, finished on a pool worker. A worker takes it as soon
 * as it is submitted (the pool starts one when none is idle), so the worker's full
 * NET_CONNECT_TIMEOUT_MS is the connect's. */
struct connect_job {
    int sock, type;
};

static void connect_job_run(void *state, struct broker_reply *r, int *fd)
{
    struct connect_job *j = state;
    r->result = net_connect_finish(j->sock, j->type, NET_CONNECT_TIMEOUT_MS, fd);
    if (r->result == -EINPROGRESS)
        r->result = -ETIMEDOUT; /* the socket is still ours: closed by connect_job_free */
    else
        j->sock = -1; /* taken by net_connect_finish */
}

static void connect_job_free(void *state)
{
    struct connect_job *j = state;
    if (j->sock >= 0)
        close(j->sock);
    free(j);
}

/* The checks and the connect's start here; if the peer has not answered at once, the rest on a
 * pool worker (up to NET_CONNECT_TIMEOUT_MS more). */
static int net_connect_op(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r,
                          int *fd)
{
    (void)r;
    if (!broker_netcfg_carries_traffic()) /* no enabled interface with an address (docs/netconfig.md) */
        return -ENETUNREACH;
    bool proxied = false;
    int err = q->c == SOCK_STREAM ? broker_proxy_connect(ctx, (uint32_t)q->a, q->b, &proxied) : 0;
    if (proxied)
        return err; /* the proxy: the device relay (broker_proxy.c) */
    int sock;
    struct json_value *dnssd = broker_dns_manifest_all(ctx->manifest, ctx->component_text); /* DNS-SD finds */
    err = net_connect_begin(ctx->component_text, dnssd ? dnssd : ctx->manifest, (uint32_t)q->a, q->b, q->c, &sock);
    json_free(dnssd);
    if (err || (err = net_connect_finish(sock, q->c, 0, fd)) != -EINPROGRESS)
        return err;
    struct connect_job *j = malloc(sizeof *j);
    if (!j) {
        close(sock);
        return -ENOMEM;
    }
    *j = (struct connect_job){.sock = sock, .type = q->c};
    err = broker_pool_submit(ctx->reply_sock, connect_job_run, j, connect_job_free);
    if (err)
        connect_job_free(j);
    return err ? err : BROKER_REPLY_LATER;
}

static int net_listen_op(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r,
                         int *fd)
{
    (void)r;
    return net_listen(ctx->manifest, q->a, q->c, fd);
}

const struct broker_op_entry broker_network_ops[] = {
    {BROKER_NET_STATUS, net_status},
    {BROKER_NET_RESOLVE, resolve},
    {BROKER_NET_CONNECT, net_connect_op},
    {BROKER_NET_LISTEN, net_listen_op},
    {0, NULL},
};
