/* SPDX-License-Identifier: MIT */
/* broker_proxy.c — the device's HTTP proxy for apps (docs/netconfig.md, "Proxy"). When a proxy
 * is configured and enabled (Networking_Proxy_Apply, `sphere device network proxy apply`):
 *  - an app may resolve the proxy's host name and connect to it, as if its manifest listed it;
 *  - but it never talks to the proxy directly: its connection ends at a device relay (a TCP
 *    socket pair over the device's loopback), which reads the first request head (up to 8 KiB,
 *    10 s), takes the target host from `CONNECT host:port` or an absolute `http://host[:port]/`
 *    URI, and forwards the connection to the proxy only when the app's AllowedConnections lists
 *    that host (a name, case-insensitive, or an IPv4 literal). Otherwise the app gets
 *    `HTTP/1.1 403 Forbidden` from the device and the device log says why. After the first head
 *    the relay copies bytes both ways; on a plain-HTTP connection each later request head (the
 *    app's first bytes after an answer) is checked again, since a client may reuse one proxy
 *    connection for several origins. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker_ops.h"
#include "broker_pool.h"
#include "net.h"
#include "netcfg_device.h"

#define HEAD_MAX 8192
#define HEAD_TIMEOUT_MS 10000

/* The configured, enabled proxy: host and port; false when none. */
static bool proxy_of(char *host, size_t size, uint16_t *port)
{
    struct netcfg *n = netcfg_device_lock();
    if (!n)
        return false;
    const struct netcfg_proxy *p = netcfg_proxy(n);
    bool on = p->configured && p->enabled && strlen(p->address) < size;
    if (on) {
        snprintf(host, size, "%s", p->address);
        *port = p->port;
    }
    netcfg_device_unlock();
    return on;
}

struct json_value *broker_proxy_manifest(const struct json_value *manifest, const char *name)
{
    char host[NETCFG_PROXY_ADDRESS_SIZE];
    uint16_t port;
    if (!proxy_of(host, sizeof host, &port) || (name && strcasecmp(name, host)))
        return NULL;
    struct json_value *m = json_clone(manifest);
    struct json_value *caps = m ? (struct json_value *)json_object_get(m, "Capabilities") : NULL;
    if (!caps || caps->type != JSON_OBJECT) {
        json_free(m);
        return NULL;
    }
    struct json_value *list = (struct json_value *)json_object_get(caps, "AllowedConnections");
    if (!list) {
        list = json_new_array();
        if (json_object_append(caps, "AllowedConnections", list))
            list = NULL;
    }
    if (!list || list->type != JSON_ARRAY || json_array_append(list, json_new_string(host))) {
        json_free(m);
        return NULL;
    }
    return m;
}

/* Does the manifest's AllowedConnections list host? */
static bool allowed_host(const struct json_value *manifest, const char *host)
{
    const struct json_value *list = broker_capability(manifest, "AllowedConnections");
    for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.array.count; i++) {
        const struct json_value *v = list->u.array.items[i];
        if (v->type == JSON_STRING && !strcasecmp(v->u.string.chars, host))
            return true;
    }
    return false;
}

/* The target host of a request head's first line, or "" when it names none. */
static void target_of(const char *head, char *host, size_t size)
{
    host[0] = 0;
    const char *sp = strchr(head, ' ');
    if (!sp)
        return;
    const char *t = sp + 1;
    size_t len;
    if (!strncmp(head, "CONNECT ", 8)) {
        len = strcspn(t, ": \r\n");
    } else if (!strncasecmp(t, "http://", 7)) {
        t += 7;
        len = strcspn(t, ":/ \r\n");
    } else {
        return; /* origin-form: a proxy has no target for it */
    }
    if (len && len < size) {
        memcpy(host, t, len);
        host[len] = 0;
    }
}

struct relay {
    int app, proxy;
    char cid[40];
    struct json_value *manifest;
    struct applog *log;
    struct guid component;
};

static void note_refused(struct relay *r, const char *host)
{
    char line[320];
    int len = snprintf(line, sizeof line,
                       "networking: refused a request through the proxy to \"%s\": not in AllowedConnections\n", host);
    if (r->log && len > 0)
        applog_add(r->log, &r->component, "device", line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
}

/* Reads one request head from the app (it may carry body bytes after it): its length, 0 when
 * the app closed, -1 on error/timeout/too long. */
static ssize_t read_head(int fd, char *buf, size_t size, size_t *have)
{
    for (;;) {
        buf[*have] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        if (end)
            return end + 4 - buf;
        if (*have >= size - 1)
            return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, HEAD_TIMEOUT_MS) <= 0)
            return -1;
        ssize_t n = read(fd, buf + *have, size - 1 - *have);
        if (n <= 0)
            return n == 0 && *have == 0 ? 0 : -1;
        *have += (size_t)n;
    }
}

static bool send_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        p += n, len -= (size_t)n;
    }
    return true;
}

/* Plain HTTP (absolute-form) requests may share a kept-alive connection: after the proxy has
 * answered, the app's next bytes start a new request head, which is checked again. Bytes the app
 * sends before the answer (a request body) pass as they are. CONNECT: after the check, a tunnel. */
static void *relay_run(void *arg)
{
    struct relay *r = arg;
    char *buf = malloc(HEAD_MAX + 1);
    bool tunnel = false, expect_head = true, answered = false;
    while (buf) {
        if (expect_head) { /* a request head: check its target, pass it on */
            size_t have = 0;
            ssize_t head = read_head(r->app, buf, HEAD_MAX + 1, &have);
            if (head <= 0)
                break;
            char host[256];
            char save = buf[head];
            buf[head] = 0;
            target_of(buf, host, sizeof host);
            buf[head] = save;
            if (!host[0] || !allowed_host(r->manifest, host)) {
                static const char forbidden[] = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                note_refused(r, host[0] ? host : "(no target host)");
                send_all(r->app, forbidden, sizeof forbidden - 1);
                break;
            }
            tunnel = !strncmp(buf, "CONNECT ", 8);
            if (!send_all(r->proxy, buf, have)) /* the head and whatever followed it */
                break;
            expect_head = false;
        }
        struct pollfd p[2] = {{.fd = r->app, .events = POLLIN}, {.fd = r->proxy, .events = POLLIN}};
        if (poll(p, 2, -1) < 0)
            break;
        char chunk[16384];
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(r->proxy, chunk, sizeof chunk);
            if (n <= 0 || !send_all(r->app, chunk, (size_t)n))
                break;
            answered = !tunnel; /* what the app sends next is a new head (plain HTTP) */
            continue;
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (answered) {
                expect_head = true;
                answered = false;
                continue;
            }
            ssize_t n = read(r->app, chunk, sizeof chunk);
            if (n <= 0 || !send_all(r->proxy, chunk, (size_t)n))
                break;
        }
    }
    free(buf);
    close(r->app);
    close(r->proxy);
    json_free(r->manifest);
    free(r);
    return NULL;
}

/* A connected TCP pair over the loopback: *app (given to the app) and *dev (the relay's). */
static int loopback_pair(int *app, int *dev)
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), c = -1, a = -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int err = l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) || listen(l, 1) ||
                      getsockname(l, (struct sockaddr *)&sa, &len) ||
                      (c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
                      connect(c, (struct sockaddr *)&sa, sizeof sa) || (a = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0
                  ? -errno
                  : 0;
    if (l >= 0)
        close(l);
    if (err) {
        if (c >= 0)
            close(c);
        return err ? err : -EIO;
    }
    *app = c;
    *dev = a;
    return 0;
}

struct proxy_job {
    int sock;
    struct relay *relay;
};

static void proxy_job_run(void *state, struct broker_reply *r, int *fd)
{
    struct proxy_job *j = state;
    int proxy = -1;
    r->result = net_connect_finish(j->sock, SOCK_STREAM, NET_CONNECT_TIMEOUT_MS, &proxy);
    if (r->result == -EINPROGRESS)
        r->result = -ETIMEDOUT;
    else
        j->sock = -1;
    int app = -1, dev = -1;
    if (!r->result)
        r->result = loopback_pair(&app, &dev);
    pthread_t t;
    if (!r->result) {
        j->relay->app = dev;
        j->relay->proxy = proxy;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        r->result = -pthread_create(&t, &attr, relay_run, j->relay);
        pthread_attr_destroy(&attr);
    }
    if (!r->result) {
        j->relay = NULL; /* the relay thread's */
        *fd = app;
        return;
    }
    if (app >= 0)
        close(app), close(dev);
    if (proxy >= 0)
        close(proxy);
}

static void proxy_job_free(void *state)
{
    struct proxy_job *j = state;
    if (j->sock >= 0)
        close(j->sock);
    if (j->relay) {
        json_free(j->relay->manifest);
        free(j->relay);
    }
    free(j);
}

int broker_proxy_connect(const struct broker_context *ctx, uint32_t addr, int port, bool *handled)
{
    char host[NETCFG_PROXY_ADDRESS_SIZE];
    uint16_t proxy_port;
    *handled = false;
    if (!proxy_of(host, sizeof host, &proxy_port) || port != proxy_port)
        return 0; /* not the proxy */
    /* the proxy's address: its IPv4 literal, or an answer this app got for its name */
    struct json_value *only = json_new_object(), *caps = json_new_object(), *list = json_new_array();
    if (!only || json_object_append(only, "Capabilities", caps) || json_object_append(caps, "AllowedConnections", list) ||
        json_array_append(list, json_new_string(host))) {
        json_free(only);
        return -ENOMEM;
    }
    bool is_proxy = net_connect_allowed(ctx->component_text, only, addr);
    json_free(only);
    struct json_value *aug = is_proxy ? broker_proxy_manifest(ctx->manifest, NULL) : NULL;
    if (!aug)
        return 0; /* not the proxy: the caller connects as usual */
    *handled = true;
    int sock = -1;
    int err = net_connect_begin(ctx->component_text, aug, addr, port, SOCK_STREAM, &sock);
    json_free(aug);
    if (err)
        return err;
    struct proxy_job *j = calloc(1, sizeof *j);
    struct relay *r = calloc(1, sizeof *r);
    if (!j || !r || !(r->manifest = json_clone(ctx->manifest))) {
        free(j), free(r);
        close(sock);
        return -ENOMEM;
    }
    r->log = ctx->log;
    if (ctx->component_id)
        r->component = *ctx->component_id;
    j->sock = sock;
    j->relay = r;
    err = broker_pool_submit(ctx->reply_sock, proxy_job_run, j, proxy_job_free);
    if (err)
        proxy_job_free(j);
    return err ? err : BROKER_REPLY_LATER;
}
