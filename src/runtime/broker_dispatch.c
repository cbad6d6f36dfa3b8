/* SPDX-License-Identifier: MIT */
/* broker_dispatch.c — one broker request from its raw bytes to its handler (broker_ops.h): the
 * request's size and version are checked, its op looked up in the handler tables, its text
 * NUL-terminated, and the handler run. Split from runtime.c so the broker fuzzer
 * (tests/fuzz/fuzz_broker.c) drives exactly the code sphered runs. */
#include <errno.h>
#include <string.h>

#include "broker_ops.h"

static broker_handler find_handler(uint32_t op)
{
    static const struct broker_op_entry *const tables[] = {broker_core_ops, broker_peripheral_ops, broker_network_ops,
                                                           broker_sysevent_ops, broker_wifi_ops, broker_certstore_ops,
                                                           broker_netcfg_ops, broker_dns_ops};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const struct broker_op_entry *e = tables[t]; e->handler; e++)
            if (e->op == op)
                return e->handler;
    return NULL;
}

int broker_dispatch(const struct broker_context *ctx, struct broker_request *q, size_t n, struct broker_reply *r,
                    int *fd)
{
    *fd = -1;
    if (n != sizeof *q || q->version != BROKER_VERSION)
        return -EPROTO;
    broker_handler handler = find_handler(q->op);
    if (!handler)
        return -ENOSYS;
    q->text[sizeof q->text - 1] = '\0';
    return handler(ctx, q, r, fd);
}
