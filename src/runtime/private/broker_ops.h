/* SPDX-License-Identifier: MIT */
/*
 * broker_ops.h — the broker's request handlers (docs/runtime.md). Each Applibs request that
 * reaches the device is dispatched by its op code to one handler, which checks the app's
 * manifest and answers: a result (0 or -errno, what the Applibs call returns), maybe a value,
 * text, and one descriptor to hand to the app. Handlers live in tables, one per area:
 * broker_core.c (GPIO, storage, system), broker_peripherals.c (UART, SPI, I2C, ADC, PWM),
 * broker_network.c (status, resolve, connect, server ports), runtime_sysevent.c (system events).
 */
#ifndef OPENSPHERE_RUNTIME_BROKER_OPS_H
#define OPENSPHERE_RUNTIME_BROKER_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "applog.h"
#include "board.h"
#include "broker.h"
#include "device.h"

struct sysev;

struct broker_context {
    struct device *device;
    struct board *board;
    struct applog *log;
    const struct guid *component_id;
    const char *component_text;
    const char *app_name;
    const struct json_value *manifest; /* the packaged manifest (raw values) */
    unsigned long long storage_quota;  /* MutableStorage bytes, 0 = none */
    struct sysev *sysevents;           /* the device's system-event manager (runtime_sysevent.h) */
    int reply_sock;                    /* the app's broker socket (for broker_pool_submit) */
    int request_fd;                    /* a descriptor the app attached to the request, or -1
                                          (the caller closes it) */
};

/* Returned by a handler that has handed the request to broker_pool (it would have to wait): the
 * pool sends the reply, the caller sends none. Handlers run on the supervisor thread and must not
 * wait otherwise. */
#define BROKER_REPLY_LATER 1

/* Returns the result for the app; *fd may receive a descriptor to pass (the caller closes it). */
typedef int (*broker_handler)(const struct broker_context *ctx, const struct broker_request *q,
                              struct broker_reply *r, int *fd);

struct broker_op_entry {
    uint32_t op;
    broker_handler handler;
};

/* Tables end with {0, NULL}. */
extern const struct broker_op_entry broker_core_ops[];
extern const struct broker_op_entry broker_peripheral_ops[];
extern const struct broker_op_entry broker_network_ops[];
extern const struct broker_op_entry broker_sysevent_ops[]; /* runtime_sysevent.c */
extern const struct broker_op_entry broker_wifi_ops[];     /* broker_wifi.c (wificonfig.h) */
extern const struct broker_op_entry broker_certstore_ops[]; /* broker_certstore.c */

/* Runs one request of n bytes (as received; *q's text is NUL-terminated here): -EPROTO when n
 * is not sizeof *q or the version is not BROKER_VERSION, -ENOSYS for an op no table knows, else
 * what the op's handler returns (BROKER_REPLY_LATER included). *fd is set to -1 first; a handler
 * may put a descriptor there for the reply (the caller closes it). (broker_dispatch.c) */
int broker_dispatch(const struct broker_context *ctx, struct broker_request *q, size_t n, struct broker_reply *r,
                    int *fd);

/* Receives one request and at most one descriptor attached to it (*fd, else -1; the caller
 * closes it). Returns what recvmsg returns. (broker_certstore.c) */
ssize_t broker_receive_request(int sock, struct broker_request *q, int *fd);
extern const struct broker_op_entry broker_netcfg_ops[];   /* broker_netcfg.c (networking.h configuration) */

/* broker_netcfg.c: whether some enabled interface has an address (else resolve and connect are
 * ENETUNREACH), and the device's status bits (the union over its interfaces). */
bool broker_netcfg_carries_traffic(void);
uint32_t broker_netcfg_status(void);

/* broker_proxy.c: the device's HTTP proxy for apps. A clone of the manifest that also lists the
 * proxy's host (when a proxy is on and name is NULL or its host), else NULL (the caller frees). */
struct json_value *broker_proxy_manifest(const struct json_value *manifest, const char *name);
/* A TCP connect: when addr:port is the proxy (*handled), the app gets the device relay
 * (BROKER_REPLY_LATER or an error); otherwise *handled is false and the caller goes on. */
int broker_proxy_connect(const struct broker_context *ctx, uint32_t addr, int port, bool *handled);

/* broker_dns.c: DNS queries for apps (res_query). A clone of the manifest that also lists name
 * when an earlier answer to this app made it known (DNS-SD), else NULL. */
extern const struct broker_op_entry broker_dns_ops[];
struct json_value *broker_dns_manifest(const struct json_value *manifest, const char *cid, const char *name);
/* The same with every name known to this app so far (NULL when none): for connects. */
struct json_value *broker_dns_manifest_all(const struct json_value *manifest, const char *cid);
/* The DNS servers the device asks for name's address on this app's behalf: for a name an answer
 * to this app made known (DNS-SD), the servers res_query asks (an interface's custom DNS, else
 * eth0's DHCP lease's); for any other name, the custom DNS servers; none: the host's resolver. */
struct net_dns_servers;
void broker_dns_servers_for(const char *cid, const char *name, struct net_dns_servers *dns);

/* Does the manifest's capability (an array) list `value`? (numbers or strings, exact match) */
bool broker_manifest_lists(const struct json_value *manifest, const char *capability, const struct json_value *value);
/* The capability's value in the manifest, or NULL. */
const struct json_value *broker_capability(const struct json_value *manifest, const char *capability);

#endif
