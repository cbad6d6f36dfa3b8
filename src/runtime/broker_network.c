/* broker_network.c — broker handlers for networking (docs/network.md): the device's status, name
 * resolution through the device's resolver, mediated connects and server ports. The checks and
 * the sockets themselves are net.c's. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "broker_ops.h"
#include "net.h"

/* Networking_InterfaceConnectionStatus bits (applibs/networking.h). */
#define STATUS_UP 1u
#define STATUS_CONNECTED 2u
#define STATUS_IP 4u

static int net_status(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    (void)ctx, (void)q, (void)fd;
    r->value = net_ready() ? (int32_t)(STATUS_UP | STATUS_CONNECTED | STATUS_IP) : 0;
    return 0;
}

static int resolve(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    (void)fd;
    uint32_t addrs[NET_MAX_ADDRS];
    size_t count = 0, max = (sizeof r->text - 4) / 4;
    unsigned ttl = 0;
    int err = net_resolve(ctx->component_text, ctx->manifest, q->text, addrs, max < NET_MAX_ADDRS ? max : NET_MAX_ADDRS,
                          &count, &ttl);
    if (err)
        return err;
    uint32_t t = ttl;
    memcpy(r->text, &t, 4);
    memcpy(r->text + 4, addrs, count * 4);
    r->value = (int32_t)count;
    return 0;
}

static int net_connect_op(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r,
                          int *fd)
{
    (void)r;
    return net_connect(ctx->component_text, ctx->manifest, (uint32_t)q->a, q->b, q->c, fd);
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

/* upstream getaddrinfo; a connect waits up to NET_CONNECT_TIMEOUT_MS */
const uint32_t broker_blocking_ops[] = {BROKER_NET_RESOLVE, BROKER_NET_CONNECT, 0};
