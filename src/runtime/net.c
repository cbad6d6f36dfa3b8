/* net.c — static hosts, per-app resolver answers with TTLs, mediated connects and listens, UDP
 * relays (see net.h). */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "guid.h"

#define MAX_HOSTS 64
#define MAX_ANSWERS 512

struct host_entry {
    char name[64];
    uint32_t addr;
    unsigned ttl;
};

struct answer {
    char cid[40];
    char name[64];
    uint32_t addr;
    long long expires_ms; /* CLOCK_MONOTONIC */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct host_entry hosts[MAX_HOSTS];
static size_t host_count;
static struct answer answers[MAX_ANSWERS];
static size_t answer_count;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(name[i] == '.' || name[i] == '-' || (name[i] >= '0' && name[i] <= '9') ||
              ((name[i] | 0x20) >= 'a' && (name[i] | 0x20) <= 'z')))
            return false;
    return true;
}

static bool parse_ipv4(const char *text, uint32_t *addr)
{
    struct in_addr a;
    if (inet_pton(AF_INET, text, &a) != 1)
        return false;
    *addr = a.s_addr;
    return true;
}

/* ---- static hosts ----------------------------------------------------------------------------- */

int net_hosts_add(const char *name, const char *address, unsigned ttl)
{
    uint32_t addr;
    if (!name || !address || !valid_name(name) || !parse_ipv4(address, &addr) || ttl < 1 || ttl > 86400)
        return -EINVAL;
    pthread_mutex_lock(&lock);
    int err = 0;
    size_t i = 0;
    while (i < host_count && !(!strcasecmp(hosts[i].name, name) && hosts[i].addr == addr))
        i++;
    if (i == host_count && host_count == MAX_HOSTS)
        err = -ENOSPC;
    else {
        if (i == host_count)
            host_count++;
        snprintf(hosts[i].name, sizeof hosts[i].name, "%s", name);
        hosts[i].addr = addr;
        hosts[i].ttl = ttl;
    }
    pthread_mutex_unlock(&lock);
    return err;
}

int net_hosts_remove(const char *name)
{
    pthread_mutex_lock(&lock);
    size_t kept = 0;
    for (size_t i = 0; i < host_count; i++)
        if (strcasecmp(hosts[i].name, name))
            hosts[kept++] = hosts[i];
    int err = kept == host_count ? -ENOENT : 0;
    host_count = kept;
    pthread_mutex_unlock(&lock);
    return err;
}

void net_hosts_clear(void)
{
    pthread_mutex_lock(&lock);
    host_count = 0;
    answer_count = 0;
    pthread_mutex_unlock(&lock);
}

struct json_value *net_hosts_json(void)
{
    struct json_value *list = json_new_array();
    pthread_mutex_lock(&lock);
    for (size_t i = 0; list && i < host_count; i++) {
        struct json_value *o = json_new_object();
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &hosts[i].addr, text, sizeof text);
        if (!o || json_object_append(o, "name", json_new_string(hosts[i].name)) ||
            json_object_append(o, "address", json_new_string(text)) ||
            json_object_append(o, "ttl", json_new_int(hosts[i].ttl)) || json_array_append(list, o)) {
            json_free(o);
            json_free(list);
            list = NULL;
        }
    }
    pthread_mutex_unlock(&lock);
    return list;
}

/* ---- the manifest's rules ---------------------------------------------------------------------- */

static const struct json_value *capability(const struct json_value *manifest, const char *name)
{
    const struct json_value *v = json_object_get(json_object_get(manifest, "Capabilities"), name);
    return v && v->type == JSON_ARRAY ? v : NULL;
}

static bool lists_host(const struct json_value *manifest, const char *name)
{
    const struct json_value *list = capability(manifest, "AllowedConnections");
    for (size_t i = 0; list && i < list->u.array.count; i++) {
        const struct json_value *v = list->u.array.items[i];
        if (v->type == JSON_STRING && !strcasecmp(v->u.string.chars, name))
            return true;
    }
    return false;
}

static bool lists_literal(const struct json_value *manifest, uint32_t addr)
{
    const struct json_value *list = capability(manifest, "AllowedConnections");
    for (size_t i = 0; list && i < list->u.array.count; i++) {
        const struct json_value *v = list->u.array.items[i];
        uint32_t a;
        if (v->type == JSON_STRING && parse_ipv4(v->u.string.chars, &a) && a == addr)
            return true;
    }
    return false;
}

static bool lists_port(const struct json_value *manifest, const char *cap, int port)
{
    const struct json_value *list = capability(manifest, cap);
    for (size_t i = 0; list && i < list->u.array.count; i++) {
        const struct json_value *v = list->u.array.items[i];
        if (v->type == JSON_NUMBER && v->u.number.is_integer && v->u.number.integer == port)
            return true;
    }
    return false;
}

/* ---- resolve ----------------------------------------------------------------------------------- */

/* Drops expired answers and the app's earlier answers for name. Lock held. */
static void prune(const char *cid, const char *name)
{
    long long now = now_ms();
    size_t kept = 0;
    for (size_t i = 0; i < answer_count; i++) {
        const struct answer *a = &answers[i];
        if (a->expires_ms <= now || (name && !strcmp(a->cid, cid) && !strcasecmp(a->name, name)))
            continue;
        answers[kept++] = *a;
    }
    answer_count = kept;
}

int net_resolve(const char *cid, const struct json_value *manifest, const char *name, uint32_t *addrs, size_t max,
                size_t *count, unsigned *ttl)
{
    *count = 0;
    *ttl = 0;
    if (!valid_name(name))
        return -EINVAL;
    uint32_t literal;
    if (parse_ipv4(name, &literal)) { /* a literal resolves to itself; connect checks it */
        if (max)
            addrs[(*count)++] = literal;
        *ttl = NET_UPSTREAM_TTL;
        return 0;
    }
    if (!lists_host(manifest, name))
        return -EACCES;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < host_count && *count < max; i++)
        if (!strcasecmp(hosts[i].name, name)) {
            addrs[(*count)++] = hosts[i].addr;
            if (!*ttl || hosts[i].ttl < *ttl)
                *ttl = hosts[i].ttl;
        }
    pthread_mutex_unlock(&lock);
    if (!*count) {
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
        if (getaddrinfo(name, NULL, &hints, &res) != 0)
            return -ENOENT;
        for (const struct addrinfo *ai = res; ai && *count < max; ai = ai->ai_next) {
            uint32_t a = ((const struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr;
            bool seen = false;
            for (size_t k = 0; k < *count; k++)
                seen |= addrs[k] == a;
            if (!seen)
                addrs[(*count)++] = a;
        }
        freeaddrinfo(res);
        *ttl = NET_UPSTREAM_TTL;
        if (!*count)
            return -ENOENT;
    }
    pthread_mutex_lock(&lock);
    prune(cid, name);
    long long expires = now_ms() + (long long)*ttl * 1000;
    for (size_t i = 0; i < *count && answer_count < MAX_ANSWERS; i++) {
        struct answer *a = &answers[answer_count++];
        snprintf(a->cid, sizeof a->cid, "%s", cid);
        snprintf(a->name, sizeof a->name, "%s", name);
        a->addr = addrs[i];
        a->expires_ms = expires;
    }
    pthread_mutex_unlock(&lock);
    return 0;
}

void net_forget(const char *cid)
{
    pthread_mutex_lock(&lock);
    size_t kept = 0;
    for (size_t i = 0; i < answer_count; i++)
        if (strcmp(answers[i].cid, cid))
            answers[kept++] = answers[i];
    answer_count = kept;
    pthread_mutex_unlock(&lock);
}

bool net_connect_allowed(const char *cid, const struct json_value *manifest, uint32_t addr)
{
    if (lists_literal(manifest, addr))
        return true;
    bool yes = false;
    long long now = now_ms();
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < answer_count && !yes; i++)
        yes = answers[i].addr == addr && answers[i].expires_ms > now && !strcmp(answers[i].cid, cid) &&
              lists_host(manifest, answers[i].name);
    pthread_mutex_unlock(&lock);
    return yes;
}

/* ---- connect, listen --------------------------------------------------------------------------- */

/* A relay between the app's AF_UNIX end and the connected UDP socket; ends when the app closes
 * its end. */
struct relay {
    int app, udp;
};

static void *relay_main(void *arg)
{
    struct relay r = *(struct relay *)arg;
    free(arg);
    char buf[65536];
    for (;;) {
        struct pollfd p[2] = {{.fd = r.app, .events = POLLIN}, {.fd = r.udp, .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents) {
            ssize_t n = recv(r.app, buf, sizeof buf, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                break;
            if (n > 0 && send(r.udp, buf, (size_t)n, MSG_DONTWAIT) < 0) {
                /* a lost datagram, as UDP may lose it */
            }
        }
        if (p[1].revents) {
            ssize_t n = recv(r.udp, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0 && send(r.app, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno == EPIPE)
                break;
        }
    }
    close(r.app);
    close(r.udp);
    return NULL;
}

static int start_relay(int udp, int *fd)
{
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
        return -errno;
    struct relay *r = malloc(sizeof *r);
    if (!r) {
        close(pair[0]), close(pair[1]);
        return -ENOMEM;
    }
    *r = (struct relay){.app = pair[1], .udp = udp};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int err = -pthread_create(&t, &attr, relay_main, r);
    pthread_attr_destroy(&attr);
    if (err) {
        free(r);
        close(pair[0]), close(pair[1]);
        return err;
    }
    *fd = pair[0];
    return 0;
}

static int connect_with_timeout(int s, const struct sockaddr_in *to)
{
    if (connect(s, (const struct sockaddr *)to, sizeof *to) == 0)
        return 0;
    if (errno != EINPROGRESS)
        return -errno;
    struct pollfd p = {.fd = s, .events = POLLOUT};
    int n;
    do
        n = poll(&p, 1, NET_CONNECT_TIMEOUT_MS);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return -ETIMEDOUT;
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (n < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        return -errno;
    return -soerr;
}

int net_connect(const char *cid, const struct json_value *manifest, uint32_t addr, int port, int type, int *fd)
{
    if (port <= 0 || port > 65535 || (type != SOCK_STREAM && type != SOCK_DGRAM))
        return -EINVAL;
    if (!net_connect_allowed(cid, manifest, addr))
        return -EACCES;
    int s = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return -errno;
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = addr};
    int err = connect_with_timeout(s, &to);
    if (!err) /* hand it in blocking, as socket() would have made it */
        err = fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK) < 0 ? -errno : 0;
    if (!err && type == SOCK_DGRAM) {
        err = start_relay(s, fd); /* the relay owns s from now on */
        if (!err)
            return 0;
    }
    if (err) {
        close(s);
        return err;
    }
    *fd = s;
    return 0;
}

int net_listen(const struct json_value *manifest, int port, int type, int *fd)
{
    if (port <= 0 || port > 65535 || (type != SOCK_STREAM && type != SOCK_DGRAM))
        return -EINVAL;
    if (!lists_port(manifest, type == SOCK_STREAM ? "AllowedTcpServerPorts" : "AllowedUdpServerPorts", port))
        return -EACCES;
    if (type == SOCK_DGRAM)
        return -EOPNOTSUPP;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (s < 0)
        return -errno;
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int err = setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
                      bind(s, (const struct sockaddr *)&at, sizeof at) < 0 || listen(s, 64) < 0
                  ? -errno
                  : 0;
    if (err) {
        close(s);
        return err;
    }
    *fd = s;
    return 0;
}

bool net_ready(void)
{
    struct ifaddrs *list;
    if (getifaddrs(&list) < 0)
        return false;
    bool ready = false;
    for (const struct ifaddrs *i = list; i && !ready; i = i->ifa_next)
        ready = i->ifa_addr && i->ifa_addr->sa_family == AF_INET && (i->ifa_flags & IFF_UP) &&
                (i->ifa_flags & IFF_RUNNING) && !(i->ifa_flags & IFF_LOOPBACK);
    freeifaddrs(list);
    return ready;
}

/* ---- firewall rules ---------------------------------------------------------------------------- */

static struct json_value *ports(const struct json_value *manifest, const char *cap)
{
    struct json_value *out = json_new_array();
    const struct json_value *list = capability(manifest, cap);
    for (size_t i = 0; out && list && i < list->u.array.count; i++)
        if (list->u.array.items[i]->type == JSON_NUMBER)
            json_array_append(out, json_new_int(list->u.array.items[i]->u.number.integer));
    return out;
}

static struct json_value *app_rules(const struct device_app_view *v)
{
    char cid[GUID_TEXT_LEN + 1];
    guid_format(&v->component_id, cid);
    struct json_value *o = json_new_object(), *conns = json_new_array();
    const struct json_value *list = capability(v->manifest, "AllowedConnections");
    long long now = now_ms();
    for (size_t i = 0; conns && list && i < list->u.array.count; i++) {
        const struct json_value *h = list->u.array.items[i];
        if (h->type != JSON_STRING)
            continue;
        struct json_value *c = json_new_object(), *addrs = json_new_array();
        uint32_t literal;
        if (addrs && parse_ipv4(h->u.string.chars, &literal)) {
            json_array_append(addrs, json_new_string(h->u.string.chars));
        } else if (addrs) {
            pthread_mutex_lock(&lock);
            for (size_t k = 0; k < answer_count; k++)
                if (!strcmp(answers[k].cid, cid) && !strcasecmp(answers[k].name, h->u.string.chars) &&
                    answers[k].expires_ms > now) {
                    char text[INET_ADDRSTRLEN];
                    inet_ntop(AF_INET, &answers[k].addr, text, sizeof text);
                    json_array_append(addrs, json_new_string(text));
                }
            pthread_mutex_unlock(&lock);
        }
        if (c) {
            json_object_append(c, "host", json_new_string(h->u.string.chars));
            json_object_append(c, "addresses", addrs);
            json_array_append(conns, c);
        } else {
            json_free(addrs);
        }
    }
    if (!o) {
        json_free(conns);
        return NULL;
    }
    json_object_append(o, "componentId", json_new_string(cid));
    json_object_append(o, "name", json_new_string(v->name));
    json_object_append(o, "allowedConnections", conns);
    json_object_append(o, "tcpServerPorts", ports(v->manifest, "AllowedTcpServerPorts"));
    json_object_append(o, "udpServerPorts", ports(v->manifest, "AllowedUdpServerPorts"));
    return o;
}

struct json_value *net_firewall_rules(struct device *d)
{
    struct device_app_view *views = NULL;
    size_t n = 0;
    device_lock(d);
    int err = device_app_views(d, &views, &n);
    device_unlock(d);
    struct json_value *list = err ? NULL : json_new_array();
    for (size_t i = 0; list && i < n; i++)
        if (!views[i].realtime)
            json_array_append(list, app_rules(&views[i]));
    device_app_views_free(views, n);
    return list;
}
