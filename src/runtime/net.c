/* SPDX-License-Identifier: MIT */
/* net.c — static hosts, per-app resolver answers with TTLs, mediated connects and listens, UDP
 * relays and UDP server ports (see net.h). */
#include "net.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "diag.h"
#include "guid.h"
#include "hostio.h"
#include "strbuf.h"

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
static char *hosts_path; /* where the table is kept (net_hosts_open), or NULL: memory only */
static struct answer answers[MAX_ANSWERS];
static size_t answer_count;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool alnum(char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Letters, digits, '-' and '.'; '_' only to begin a label and followed by a letter or digit (the
 * DNS-SD service labels of `_sample-service._tcp.local`, as the manifest rules allow them). */
static bool valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool label_start = i == 0 || name[i - 1] == '.';
        if (!(name[i] == '.' || name[i] == '-' || alnum(name[i]) || (name[i] == '_' && label_start && alnum(name[i + 1]))))
            return false;
    }
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

/* The table as [{"name","address","ttl"}…]; the caller holds the lock. NULL when out of memory. */
static struct json_value *hosts_json_locked(void)
{
    struct json_value *list = json_new_array();
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
    return list;
}

/* Writes the table to hosts_path crash-safely (if there is one); the caller holds the lock. */
static int save_hosts_locked(void)
{
    if (!hosts_path)
        return 0;
    struct json_value *list = hosts_json_locked();
    struct strbuf text = {0};
    int err = list ? json_write(list, JSON_PRETTY, &text) : -ENOMEM;
    if (!err)
        err = strbuf_append(&text, "\n", 1);
    if (!err)
        err = hostio_write_file_atomic(hosts_path, text.data, text.len, 0600);
    strbuf_free(&text);
    json_free(list);
    return err;
}

/* Applies a change made by `change` (under the lock) and saves it; a change that cannot be saved
 * is undone, so the table in memory is always the one on disk. */
static int change_hosts(int (*change)(const char *, uint32_t, unsigned), const char *name, uint32_t addr, unsigned ttl)
{
    static struct host_entry saved[MAX_HOSTS]; /* static: large, and only used under the lock */
    pthread_mutex_lock(&lock);
    size_t saved_count = host_count;
    memcpy(saved, hosts, sizeof hosts);
    int err = change(name, addr, ttl);
    if (!err && (err = save_hosts_locked()) != 0) {
        memcpy(hosts, saved, sizeof hosts);
        host_count = saved_count;
    }
    pthread_mutex_unlock(&lock);
    return err;
}

static int add_locked(const char *name, uint32_t addr, unsigned ttl)
{
    size_t i = 0;
    while (i < host_count && !(!strcasecmp(hosts[i].name, name) && hosts[i].addr == addr))
        i++;
    if (i == host_count && host_count == MAX_HOSTS)
        return -ENOSPC;
    if (i == host_count)
        host_count++;
    snprintf(hosts[i].name, sizeof hosts[i].name, "%s", name);
    hosts[i].addr = addr;
    hosts[i].ttl = ttl;
    return 0;
}

static int remove_locked(const char *name, uint32_t addr, unsigned ttl)
{
    (void)addr, (void)ttl;
    size_t kept = 0;
    for (size_t i = 0; i < host_count; i++)
        if (strcasecmp(hosts[i].name, name))
            hosts[kept++] = hosts[i];
    int err = kept == host_count ? -ENOENT : 0;
    host_count = kept;
    return err;
}

int net_hosts_add(const char *name, const char *address, unsigned ttl)
{
    uint32_t addr;
    if (!name || !address || !valid_name(name) || !parse_ipv4(address, &addr) || ttl < 1 || ttl > 86400)
        return -EINVAL;
    return change_hosts(add_locked, name, addr, ttl);
}

int net_hosts_remove(const char *name)
{
    return name ? change_hosts(remove_locked, name, 0, 0) : -EINVAL;
}

void net_hosts_clear(void)
{
    pthread_mutex_lock(&lock);
    host_count = 0;
    answer_count = 0;
    free(hosts_path);
    hosts_path = NULL;
    pthread_mutex_unlock(&lock);
}

struct json_value *net_hosts_json(void)
{
    pthread_mutex_lock(&lock);
    struct json_value *list = hosts_json_locked();
    pthread_mutex_unlock(&lock);
    return list;
}

/* Checks one saved entry and adds it to `into`; -EINVAL with the reason in why. */
static int load_entry(const struct json_value *o, size_t index, struct host_entry *into, char *why, size_t why_size)
{
    const struct json_value *name = json_object_get(o, "name"), *address = json_object_get(o, "address"),
                            *ttl = json_object_get(o, "ttl");
    const char *field = NULL, *reason = NULL;
    if (o->type != JSON_OBJECT)
        field = "", reason = "must be an object {\"name\", \"address\", \"ttl\"}";
    else if (!name || name->type != JSON_STRING || !valid_name(name->u.string.chars))
        field = ".name", reason = "must be a host name (1-63 characters of A-Z a-z 0-9 . -, and _ to begin a label)";
    else if (!address || address->type != JSON_STRING || !parse_ipv4(address->u.string.chars, &into->addr))
        field = ".address", reason = "must be an IPv4 address (dotted quad)";
    else if (!ttl || ttl->type != JSON_NUMBER || !ttl->u.number.is_integer || ttl->u.number.integer < 1 ||
             ttl->u.number.integer > 86400)
        field = ".ttl", reason = "must be an integer from 1 to 86400 (seconds)";
    if (reason) {
        snprintf(why, why_size, "[%zu]%s %s", index, field, reason);
        return -EINVAL;
    }
    snprintf(into->name, sizeof into->name, "%s", name->u.string.chars);
    into->ttl = (unsigned)ttl->u.number.integer;
    return 0;
}

/* Parses a saved table into entries/count; -EINVAL/-ENOSPC with "JSON path: reason" in why. */
static int parse_hosts(const char *path, const char *text, size_t len, struct host_entry *entries, size_t *count,
                       char *why, size_t why_size)
{
    struct diag_list diags = {0};
    struct json_value *list = NULL;
    int err = json_parse(text, len, NULL, path, &diags, &list);
    if (err) {
        const struct diag *d = diags.count ? &diags.items[0] : NULL;
        snprintf(why, why_size, "line %u, column %u: %s", d ? d->line : 0, d ? d->col : 0,
                 d ? d->message : "not valid JSON");
        diag_list_free(&diags);
        return -EINVAL;
    }
    diag_list_free(&diags);
    *count = 0;
    if (list->type != JSON_ARRAY) {
        snprintf(why, why_size, "(top level) must be an array of static host entries");
        err = -EINVAL;
    } else if (list->u.array.count > MAX_HOSTS) {
        snprintf(why, why_size, "(top level) holds %zu entries; at most %d", list->u.array.count, MAX_HOSTS);
        err = -ENOSPC;
    }
    for (size_t i = 0; !err && i < list->u.array.count; i++)
        err = load_entry(list->u.array.items[i], i, &entries[(*count)++], why, why_size);
    json_free(list);
    return err;
}

int net_hosts_load_text(const char *name, const char *text, size_t len, char *why, size_t why_size)
{
    struct host_entry *loaded = calloc(MAX_HOSTS, sizeof *loaded);
    size_t count = 0;
    char reason[256] = "";
    int err = loaded ? parse_hosts(name, text, len, loaded, &count, reason, sizeof reason) : -ENOMEM;
    if (err) {
        snprintf(why, why_size, "%s: %s", name, loaded ? reason : "out of memory");
        free(loaded);
        return err;
    }
    pthread_mutex_lock(&lock);
    memcpy(hosts, loaded, count * sizeof loaded[0]);
    host_count = count;
    pthread_mutex_unlock(&lock);
    free(loaded);
    return 0;
}

int net_hosts_open(const char *path, char *why, size_t why_size)
{
    char *text = NULL, *copy = strdup(path);
    size_t len = 0;
    int err = copy ? hostio_read_file(path, &text, &len) : -ENOMEM;
    if (err == -ENOENT) {
        err = net_hosts_load_text(path, "[]", 2, why, why_size); /* none saved yet: an empty table */
    } else if (err) {
        snprintf(why, why_size, "%s: cannot read it: %s", path, strerror(-err));
    } else {
        err = net_hosts_load_text(path, text, len, why, why_size);
    }
    free(text);
    if (err) {
        free(copy);
        return err;
    }
    pthread_mutex_lock(&lock);
    free(hosts_path);
    hosts_path = copy;
    pthread_mutex_unlock(&lock);
    return 0;
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

bool net_resolve_is_local(const struct json_value *manifest, const char *name)
{
    uint32_t literal;
    if (!valid_name(name) || parse_ipv4(name, &literal) || !lists_host(manifest, name))
        return true;
    bool found = false;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < host_count && !found; i++)
        found = !strcasecmp(hosts[i].name, name);
    pthread_mutex_unlock(&lock);
    return found;
}

/* Adds a to addrs (up to max) unless it is there already. */
static void add_unique(uint32_t a, uint32_t *addrs, size_t max, size_t *count)
{
    for (size_t k = 0; k < *count; k++)
        if (addrs[k] == a)
            return;
    if (*count < max)
        addrs[(*count)++] = a;
}

/* The host's resolver: 0 or -ENOENT. */
static int ask_host(const char *name, uint32_t *addrs, size_t max, size_t *count, unsigned *ttl)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(name, NULL, &hints, &res) != 0)
        return -ENOENT;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
        add_unique(((const struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr, addrs, max, count);
    freeaddrinfo(res);
    *ttl = NET_UPSTREAM_TTL;
    return *count ? 0 : -ENOENT;
}

/* The A records dns's servers answer for name (the C library's resolver, res_nquery): 0 or
 * -ENOENT (no such name, no answer), -EIO, -ENOMEM. TTL: the records' smallest, at least
 * NET_UPSTREAM_TTL (local DNS servers such as dnsmasq answer with TTL 0). */
static int ask_servers(const struct net_dns_servers *dns, const char *name, uint32_t *addrs, size_t max,
                       size_t *count, unsigned *ttl)
{
    struct __res_state st;
    memset(&st, 0, sizeof st);
    if (res_ninit(&st) < 0)
        return -EIO;
    for (size_t i = 0; i < dns->count && i < NET_DNS_SERVERS && i < MAXNS; i++) {
        st.nsaddr_list[i].sin_family = AF_INET;
        st.nsaddr_list[i].sin_addr.s_addr = dns->addr[i];
        st.nsaddr_list[i].sin_port = htons(53);
        st.nscount = (int)i + 1;
    }
    st.retry = 2;
    st.retrans = 1;
    unsigned char *answer = malloc(NS_MAXMSG);
    int len = answer ? res_nquery(&st, name, ns_c_in, ns_t_a, answer, NS_MAXMSG) : -1;
    res_nclose(&st);
    ns_msg msg;
    if (len < 0 || ns_initparse(answer, len, &msg) < 0) {
        free(answer);
        return answer ? -ENOENT : -ENOMEM;
    }
    unsigned smallest = 0;
    for (int i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
        ns_rr rr;
        if (ns_parserr(&msg, ns_s_an, i, &rr) < 0 || ns_rr_type(rr) != ns_t_a || ns_rr_class(rr) != ns_c_in ||
            ns_rr_rdlen(rr) != 4)
            continue;
        uint32_t a;
        memcpy(&a, ns_rr_rdata(rr), 4);
        add_unique(a, addrs, max, count);
        if (!smallest || ns_rr_ttl(rr) < smallest)
            smallest = ns_rr_ttl(rr);
    }
    free(answer);
    *ttl = smallest < NET_UPSTREAM_TTL ? NET_UPSTREAM_TTL : smallest;
    return *count ? 0 : -ENOENT;
}

int net_resolve(const char *cid, const struct json_value *manifest, const char *name, uint32_t *addrs, size_t max,
                size_t *count, unsigned *ttl)
{
    return net_resolve_with(cid, manifest, name, NULL, addrs, max, count, ttl);
}

int net_resolve_with(const char *cid, const struct json_value *manifest, const char *name,
                     const struct net_dns_servers *dns, uint32_t *addrs, size_t max, size_t *count, unsigned *ttl)
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
        int err = dns && dns->count ? ask_servers(dns, name, addrs, max, count, ttl)
                                    : ask_host(name, addrs, max, count, ttl);
        if (err)
            return err;
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

/* A device thread's two ends: the app's AF_UNIX end and the UDP socket. The first member of each
 * thread's state. */
struct channel {
    int app, udp;
};

/* The relay of a connected UDP flow: datagrams both ways; ends when the app closes its end. */
static void *relay_main(void *arg)
{
    struct channel r = *(struct channel *)arg;
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

/* Runs fn(arg) on a detached thread; 0 or -errno (arg is then still the caller's). */
static int start_detached(void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int err = -pthread_create(&t, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    return err;
}

/* Starts main_fn on a detached thread with a zeroed state of `size` bytes (a struct channel
 * first) holding udp and one end of a new AF_UNIX SOCK_SEQPACKET pair; *fd gets the other end.
 * The thread owns udp from then on. 0 or -errno. */
static int start_channel(int udp, size_t size, void *(*main_fn)(void *), int *fd)
{
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
        return -errno;
    struct channel *c = calloc(1, size);
    if (!c) {
        close(pair[0]), close(pair[1]);
        return -ENOMEM;
    }
    c->app = pair[1], c->udp = udp;
    int err = start_detached(main_fn, c);
    if (err) {
        free(c);
        close(pair[0]), close(pair[1]);
        return err;
    }
    *fd = pair[0];
    return 0;
}

/* A UDP server port: datagrams that arrive go to the app with their source; the app's go out
 * only to a peer that has sent to the port in the last NET_UDP_PEER_SECONDS (so a server answers
 * its clients and cannot reach anyone else). Ends when the app closes its end. */
struct udp_peer {
    uint32_t addr;
    uint16_t port;
    uint32_t local;     /* the device address it sent to: answers go out from it */
    long long seen_ms;  /* 0: an empty slot */
};

struct udp_server {
    struct channel ch;
    struct udp_peer peers[NET_UDP_PEERS];
    unsigned char buf[BROKER_UDP_HEADER_SIZE + 65536];
};

static struct udp_peer *find_peer(struct udp_server *s, uint32_t addr, uint16_t port)
{
    for (size_t i = 0; i < NET_UDP_PEERS; i++) {
        struct udp_peer *p = &s->peers[i];
        if (p->seen_ms && p->addr == addr && p->port == port)
            return p;
    }
    return NULL;
}

static void remember_peer(struct udp_server *s, uint32_t addr, uint16_t port, uint32_t local)
{
    struct udp_peer *slot = find_peer(s, addr, port);
    if (!slot) {
        slot = &s->peers[0];
        for (size_t i = 1; i < NET_UDP_PEERS; i++)
            if (s->peers[i].seen_ms < slot->seen_ms)
                slot = &s->peers[i]; /* the oldest, or an empty one */
    }
    *slot = (struct udp_peer){.addr = addr, .port = port, .local = local, .seen_ms = now_ms()};
}

/* One datagram from the network to the app, prefixed by its source. */
static void udp_server_receive(struct udp_server *s)
{
    struct sockaddr_in from;
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(struct in_pktinfo))];
    } control;
    struct iovec v = {.iov_base = s->buf + BROKER_UDP_HEADER_SIZE, .iov_len = sizeof s->buf - BROKER_UDP_HEADER_SIZE};
    struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &v, .msg_iovlen = 1,
                       .msg_control = control.bytes, .msg_controllen = sizeof control.bytes};
    ssize_t n = recvmsg(s->ch.udp, &m, MSG_DONTWAIT);
    if (n < 0 || from.sin_family != AF_INET)
        return;
    uint32_t local = INADDR_ANY;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof info);
            local = info.ipi_addr.s_addr;
        }
    remember_peer(s, from.sin_addr.s_addr, from.sin_port, local);
    struct broker_udp_header h = {.addr = from.sin_addr.s_addr, .port = from.sin_port};
    memcpy(s->buf, &h, sizeof h);
    if (send(s->ch.app, s->buf, (size_t)n + BROKER_UDP_HEADER_SIZE, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        /* the app is not reading: a lost datagram, as UDP may lose it */
    }
}

/* Sends len bytes of s->buf's payload to the peer, from the address it reached us at. */
static void send_to_peer(struct udp_server *s, const struct udp_peer *p, size_t len)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = p->port, .sin_addr.s_addr = p->addr};
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(sizeof(struct in_pktinfo))];
    } control;
    memset(&control, 0, sizeof control);
    struct iovec v = {.iov_base = s->buf + BROKER_UDP_HEADER_SIZE, .iov_len = len};
    struct msghdr m = {.msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &v, .msg_iovlen = 1};
    if (p->local != INADDR_ANY) {
        m.msg_control = control.bytes;
        m.msg_controllen = sizeof control.bytes;
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
        struct in_pktinfo info = {.ipi_spec_dst.s_addr = p->local};
        memcpy(CMSG_DATA(c), &info, sizeof info);
    }
    if (sendmsg(s->ch.udp, &m, MSG_DONTWAIT) < 0) {
        /* a lost datagram */
    }
}

/* One datagram from the app to a recent peer; false when the app has closed its end. */
static bool udp_server_send(struct udp_server *s)
{
    ssize_t n = recv(s->ch.app, s->buf, sizeof s->buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        return false;
    if (n < BROKER_UDP_HEADER_SIZE)
        return true;
    struct broker_udp_header h;
    memcpy(&h, s->buf, sizeof h);
    const struct udp_peer *p = find_peer(s, h.addr, h.port);
    if (p && now_ms() - p->seen_ms <= (long long)NET_UDP_PEER_SECONDS * 1000)
        send_to_peer(s, p, (size_t)n - BROKER_UDP_HEADER_SIZE);
    /* else: not a client of this port lately; dropped */
    return true;
}

static void *udp_server_main(void *arg)
{
    struct udp_server *s = arg;
    for (;;) {
        struct pollfd p[2] = {{.fd = s->ch.app, .events = POLLIN}, {.fd = s->ch.udp, .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents && !udp_server_send(s))
            break;
        if (p[1].revents)
            udp_server_receive(s);
    }
    close(s->ch.app);
    close(s->ch.udp);
    free(s);
    return NULL;
}

int net_connect_begin(const char *cid, const struct json_value *manifest, uint32_t addr, int port, int type, int *sock)
{
    if (port <= 0 || port > 65535 || (type != SOCK_STREAM && type != SOCK_DGRAM))
        return -EINVAL;
    if (!net_connect_allowed(cid, manifest, addr))
        return -EACCES;
    int s = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return -errno;
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = addr};
    if (connect(s, (const struct sockaddr *)&to, sizeof to) < 0 && errno != EINPROGRESS) {
        int err = -errno;
        close(s);
        return err;
    }
    *sock = s;
    return 0;
}

/* Waits up to timeout_ms for s to connect: 0, -EINPROGRESS (not yet), or the connect's error. */
static int wait_connected(int s, int timeout_ms)
{
    struct pollfd p = {.fd = s, .events = POLLOUT};
    int n;
    do
        n = poll(&p, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return -EINPROGRESS;
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (n < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        return -errno;
    return -soerr;
}

int net_connect_finish(int sock, int type, int timeout_ms, int *fd)
{
    int err = wait_connected(sock, timeout_ms);
    if (err == -EINPROGRESS)
        return err; /* still the caller's */
    if (!err) /* hand it in blocking, as socket() would have made it */
        err = fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) & ~O_NONBLOCK) < 0 ? -errno : 0;
    if (!err && type == SOCK_DGRAM) {
        err = start_channel(sock, sizeof(struct channel), relay_main, fd); /* the relay owns sock */
        if (!err)
            return 0;
    }
    if (err) {
        close(sock);
        return err;
    }
    *fd = sock;
    return 0;
}

int net_listen(const struct json_value *manifest, int port, int type, int *fd)
{
    if (port <= 0 || port > 65535 || (type != SOCK_STREAM && type != SOCK_DGRAM))
        return -EINVAL;
    if (!lists_port(manifest, type == SOCK_STREAM ? "AllowedTcpServerPorts" : "AllowedUdpServerPorts", port))
        return -EACCES;
    int s = socket(AF_INET, type | SOCK_CLOEXEC, 0), one = 1;
    if (s < 0)
        return -errno;
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    /* SO_REUSEADDR only for TCP (TIME_WAIT): for UDP it would let a second app share the port */
    int err = (type == SOCK_STREAM && setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) ||
                      (type == SOCK_DGRAM && setsockopt(s, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0) ||
                      bind(s, (const struct sockaddr *)&at, sizeof at) < 0 ||
                      (type == SOCK_STREAM && listen(s, 64) < 0)
                  ? -errno
                  : 0;
    if (!err && type == SOCK_DGRAM) {
        err = start_channel(s, sizeof(struct udp_server), udp_server_main, fd);
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
