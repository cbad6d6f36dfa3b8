/* SPDX-License-Identifier: MIT */
/* netshim.c — plain getaddrinfo()/socket()/connect() inside a confined app (docs/network.md,
 * "Plain sockets"): the logic of libapplibs' C library entry points. interpose.c defines those
 * names (socket, connect, … write), each a call of its netshim_* here (private/netshim.h); the
 * SDK's libapplibs.a linker script forces them into every app and the executable exports them,
 * so the app's own calls and those of the shared libraries it loads (libcurl, libmosquitto…)
 * land here.
 *
 * Contract. Inside a device (fd 3 is the broker) nothing here widens what the app may do: every
 * network socket is still made, checked and connected by the device (the broker's RESOLVE,
 * CONNECT and LISTEN ops); the kernel layers (empty netns, seccomp) are untouched.
 *   getaddrinfo   numeric IPv4 hosts locally; names through the device's resolver (a name the
 *                 manifest does not list, or one that does not resolve: EAI_NONAME, errno says
 *                 EACCES or ENOENT); IPv4 answers only (AF_INET6 hints: EAI_FAMILY).
 *   socket        AF_INET SOCK_STREAM/SOCK_DGRAM (± SOCK_NONBLOCK/SOCK_CLOEXEC) → a placeholder
 *                 descriptor (an AF_UNIX datagram socket whose peer is closed) in a small table
 *                 keyed by descriptor and inode; AF_INET6 → EAFNOSUPPORT; anything else → the
 *                 system call (which seccomp refuses as before).
 *   connect       on a placeholder: the device connects, and the connected descriptor is dup3'd
 *                 over the placeholder with its O_NONBLOCK and FD_CLOEXEC; options recorded by
 *                 setsockopt are replayed (best effort). Returns 0 or -1 with the broker's errno
 *                 (EACCES, ECONNREFUSED, ETIMEDOUT…). Again on a connected one: EISCONN.
 *                 Any other descriptor: the system call (seccomp answers EINPROGRESS).
 *   bind          on a placeholder: port 0 at INADDR_ANY is a no-op; a nonzero port asks the
 *                 device for that server port (LISTEN op; EACCES if unlisted, EADDRINUSE if
 *                 taken). TCP: the listening socket replaces the placeholder; listen() on it then
 *                 returns 0. UDP: the device's datagram channel replaces it (a UDP server).
 *   recvfrom/recv/recvmsg/read    on a UDP server: the next datagram, without the channel's
 *                 header, its source as the address (MSG_TRUNC and the truncation flag as on a
 *                 UDP socket). Any other descriptor: the C library's own.
 *   recvmmsg/sendmmsg on a UDP server: one recvmsg/sendmsg per entry, as Linux does them:
 *                 the count done, or -1 when the first fails; MSG_WAITFORONE makes every
 *                 entry after the first non-blocking; the timeout is checked after each
 *                 datagram (recvmmsg(2) BUGS: it does not bound a blocked receive).
 *   sendto/sendmsg on a UDP server: a datagram to the named address (EDESTADDRREQ without one,
 *                 EAFNOSUPPORT not IPv4, EMSGSIZE over 65507 bytes); the device drops it unless
 *                 that peer sent to the port lately. send/write on one: EDESTADDRREQ.
 *   send/write    also EMSGSIZE for more than BROKER_INTERCORE_MAX_PAYLOAD bytes on an
 *                 inter-core socket (intercore.c); otherwise the system call.
 *                 These interposers cost an atomic load until the app has a UDP server, then a
 *                 table lookup per call (docs/network.md).
 *   setsockopt/getsockopt/getsockname/getpeername   answered for placeholders (and the socket
 *                 identity of table entries); otherwise the system call.
 * Outside a device (no broker on fd 3) every entry point is the C library's own.
 * Thread-safe: the table has a lock; broker calls have their own. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/networking.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "broker_client.h"
#include "intercore.h"
#include "netshim.h"

/* ---- the C library's own entry points ------------------------------------------------------ */

typedef int (*socket_fn)(int, int, int);
typedef int (*addr_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*name_fn)(int, struct sockaddr *, socklen_t *);
typedef int (*listen_fn)(int, int);
typedef int (*setsockopt_fn)(int, int, int, const void *, socklen_t);
typedef int (*getsockopt_fn)(int, int, int, void *, socklen_t *);
typedef int (*getaddrinfo_fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
typedef void (*freeaddrinfo_fn)(struct addrinfo *);
typedef ssize_t (*recvfrom_fn)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
typedef ssize_t (*recv_fn)(int, void *, size_t, int);
typedef ssize_t (*recvmsg_fn)(int, struct msghdr *, int);
typedef ssize_t (*read_fn)(int, void *, size_t);
typedef ssize_t (*sendto_fn)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);
typedef int (*recvmmsg_fn)(int, struct mmsghdr *, unsigned int, int, struct timespec *);
typedef int (*sendmmsg_fn)(int, struct mmsghdr *, unsigned int, int);

/* Set once (find_reals(), before any entry point uses them), read-only afterwards. */
static struct {
    socket_fn socket;
    addr_fn connect, bind;
    listen_fn listen;
    setsockopt_fn setsockopt;
    getsockopt_fn getsockopt;
    name_fn getsockname, getpeername;
    getaddrinfo_fn getaddrinfo;
    freeaddrinfo_fn freeaddrinfo;
    recvfrom_fn recvfrom;
    recv_fn recv;
    recvmsg_fn recvmsg;
    read_fn read;
    sendto_fn sendto;
    sendmsg_fn sendmsg;
    recvmmsg_fn recvmmsg;
    sendmmsg_fn sendmmsg;
} real;

static void find_real(void *slot, const char *name)
{
    void *p = dlsym(RTLD_NEXT, name); /* the next definition after the executable: libc's */
    memcpy(slot, &p, sizeof p);
}

/* ---- inside a device? --------------------------------------------------------------------- */

static pthread_once_t reals_once = PTHREAD_ONCE_INIT, detect_once = PTHREAD_ONCE_INIT;
static bool confined;

static void find_reals(void)
{
    find_real(&real.socket, "socket");
    find_real(&real.connect, "connect");
    find_real(&real.bind, "bind");
    find_real(&real.listen, "listen");
    find_real(&real.setsockopt, "setsockopt");
    find_real(&real.getsockopt, "getsockopt");
    find_real(&real.getsockname, "getsockname");
    find_real(&real.getpeername, "getpeername");
    find_real(&real.getaddrinfo, "getaddrinfo");
    find_real(&real.freeaddrinfo, "freeaddrinfo");
    find_real(&real.recvfrom, "recvfrom");
    find_real(&real.recv, "recv");
    find_real(&real.recvmsg, "recvmsg");
    find_real(&real.read, "read");
    find_real(&real.sendto, "sendto");
    find_real(&real.sendmsg, "sendmsg");
    find_real(&real.recvmmsg, "recvmmsg");
    find_real(&real.sendmmsg, "sendmmsg");
}

/* Its own once: the data-path entry points need `real` but not the broker's answer, which they
 * ask for only once the app has a UDP server. */
static void reals(void) { pthread_once(&reals_once, find_reals); }

static void detect(void)
{
    reals();
    if (!applibs_broker_present())
        return;
    int saved = errno;
    struct broker_request q = {.op = BROKER_NET_STATUS};
    struct broker_reply r;
    confined = applibs_broker_call(&q, &r, NULL) != -ENOTCONN;
    errno = saved;
}

/* Every entry point calls this first (it also fills `real`). */
static bool in_device(void)
{
    pthread_once(&detect_once, detect);
    return confined;
}

/* ---- the placeholder table ------------------------------------------------------------------ */

enum { SHIM_MAX = 64, SHIM_MAX_OPTS = 8, SHIM_OPT_LEN = 16 };
enum shim_state { SHIM_FREE, SHIM_PLACEHOLDER, SHIM_CONNECTED, SHIM_LISTENING, SHIM_UDP_SERVER };

struct shim_opt {
    int level, name;
    socklen_t len;
    unsigned char value[SHIM_OPT_LEN];
};

struct shim_entry {
    int fd;
    dev_t dev;
    ino_t ino;
    enum shim_state state;
    int type, protocol;
    struct sockaddr_in peer; /* after connect; a UDP server's own (bound) address */
    unsigned nopts;
    struct shim_opt opts[SHIM_MAX_OPTS];
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shim_entry table[SHIM_MAX];

static bool same_file(int fd, const struct shim_entry *e)
{
    struct stat st;
    return fstat(fd, &st) == 0 && st.st_dev == e->dev && st.st_ino == e->ino;
}

/* Copies the live entry for fd into *out; an entry whose descriptor number now names another
 * file (closed and reused) is dropped. Returns the slot or -1. */
static int shim_find(int fd, struct shim_entry *out)
{
    int slot = -1;
    pthread_mutex_lock(&table_lock);
    for (int i = 0; i < SHIM_MAX && slot < 0; i++) {
        if (table[i].state == SHIM_FREE || table[i].fd != fd)
            continue;
        if (same_file(fd, &table[i])) {
            slot = i;
            *out = table[i];
        } else {
            table[i].state = SHIM_FREE;
        }
    }
    pthread_mutex_unlock(&table_lock);
    return slot;
}

/* Stores e (for e->fd, whose current file it records), replacing any entry for that descriptor
 * and reclaiming stale ones. Returns 0 or -ENOBUFS (the table is full) or fstat's -errno. */
static int shim_store(struct shim_entry *e)
{
    struct stat st;
    if (fstat(e->fd, &st) < 0)
        return -errno;
    e->dev = st.st_dev;
    e->ino = st.st_ino;
    int err = -ENOBUFS;
    pthread_mutex_lock(&table_lock);
    int free_slot = -1;
    for (int i = 0; i < SHIM_MAX; i++) {
        if (table[i].state != SHIM_FREE && (table[i].fd == e->fd || !same_file(table[i].fd, &table[i])))
            table[i].state = SHIM_FREE;
        if (table[i].state == SHIM_FREE && free_slot < 0)
            free_slot = i;
    }
    if (free_slot >= 0) {
        table[free_slot] = *e;
        err = 0;
    }
    pthread_mutex_unlock(&table_lock);
    return err;
}

/* How many UDP servers the app has made (never decreases): while 0, the data-path interposers
 * go straight to the C library. */
static atomic_int udp_servers;

static int fail(int err)
{
    errno = err;
    return -1;
}

/* Puts `conn` (from the device) in place of the placeholder e->fd: the placeholder's O_NONBLOCK
 * and FD_CLOEXEC, the recorded options (best effort), then dup3. Takes `conn` in all cases.
 * Returns 0 or -1 with errno. */
static int adopt(struct shim_entry *e, int conn, enum shim_state state)
{
    int fl = fcntl(e->fd, F_GETFL), fdfl = fcntl(e->fd, F_GETFD), cfl = fcntl(conn, F_GETFL);
    if (fl < 0 || fdfl < 0 || cfl < 0 || fcntl(conn, F_SETFL, (cfl & ~O_NONBLOCK) | (fl & O_NONBLOCK)) < 0) {
        int err = errno;
        close(conn);
        return fail(err);
    }
    for (unsigned i = 0; i < e->nopts; i++)
        (void)real.setsockopt(conn, e->opts[i].level, e->opts[i].name, e->opts[i].value, e->opts[i].len);
    int rc = dup3(conn, e->fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0);
    int err = errno;
    close(conn);
    if (rc < 0)
        return fail(err);
    e->state = state;
    e->nopts = 0;
    /* Replaces the placeholder's entry. Should another thread have filled the table meanwhile,
     * the socket works all the same; only the identity answers of getsockopt are lost. */
    (void)shim_store(e);
    return 0;
}

/* ---- sockets -------------------------------------------------------------------------------- */

int netshim_socket(int domain, int type, int protocol)
{
    if (!in_device())
        return real.socket(domain, type, protocol);
    int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (domain == AF_INET6)
        return fail(EAFNOSUPPORT);
    if (domain != AF_INET || (base != SOCK_STREAM && base != SOCK_DGRAM))
        return real.socket(domain, type, protocol);
    int want = base == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
    if (protocol != 0 && protocol != want)
        return fail(EPROTONOSUPPORT);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM | (type & (SOCK_NONBLOCK | SOCK_CLOEXEC)), 0, sv) < 0)
        return -1;
    close(sv[1]);
    struct shim_entry e = {.fd = sv[0], .state = SHIM_PLACEHOLDER, .type = base, .protocol = want};
    int err = shim_store(&e);
    if (err) {
        close(sv[0]);
        return fail(err == -ENOBUFS ? EMFILE : -err);
    }
    return sv[0];
}

int netshim_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct shim_entry e;
    if (!in_device() || shim_find(fd, &e) < 0)
        return real.connect(fd, addr, len);
    if (!addr)
        return fail(EFAULT);
    if (len < sizeof(sa_family_t))
        return fail(EINVAL);
    sa_family_t family;
    memcpy(&family, addr, sizeof family);
    if (e.state != SHIM_PLACEHOLDER)
        return family == AF_UNSPEC ? real.connect(fd, addr, len) : fail(EISCONN);
    if (family == AF_UNSPEC)
        return 0; /* nothing to disconnect */
    if (family != AF_INET)
        return fail(EAFNOSUPPORT);
    if (len < sizeof(struct sockaddr_in))
        return fail(EINVAL);
    struct sockaddr_in to;
    memcpy(&to, addr, sizeof to); /* read once: the device connects to exactly this */
    int conn = OpenSphere_Networking_Connect(to.sin_addr, ntohs(to.sin_port), e.type);
    if (conn < 0)
        return -1;
    e.peer = to;
    return adopt(&e, conn, SHIM_CONNECTED);
}

int netshim_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct shim_entry e;
    if (!in_device() || shim_find(fd, &e) < 0 || e.state != SHIM_PLACEHOLDER)
        return real.bind(fd, addr, len);
    if (!addr)
        return fail(EFAULT);
    if (len < sizeof(struct sockaddr_in))
        return fail(EINVAL);
    struct sockaddr_in at;
    memcpy(&at, addr, sizeof at);
    if (at.sin_family != AF_INET)
        return fail(EAFNOSUPPORT);
    if (at.sin_port == 0) /* the device picks the source address and port when it connects */
        return at.sin_addr.s_addr == htonl(INADDR_ANY) ? 0 : fail(EADDRNOTAVAIL);
    int l = OpenSphere_Networking_Listen(ntohs(at.sin_port), e.type);
    if (l < 0)
        return -1;
    if (e.type == SOCK_STREAM)
        return adopt(&e, l, SHIM_LISTENING);
    e.peer = at;
    if (adopt(&e, l, SHIM_UDP_SERVER) < 0)
        return -1;
    atomic_fetch_add(&udp_servers, 1);
    return 0;
}

int netshim_listen(int fd, int backlog)
{
    struct shim_entry e;
    if (in_device() && shim_find(fd, &e) >= 0 && e.state == SHIM_LISTENING)
        return 0; /* the device listens already (its backlog) */
    return real.listen(fd, backlog);
}

static bool recordable(int level) { return level == SOL_SOCKET || level == IPPROTO_TCP; }

int netshim_setsockopt(int fd, int level, int name, const void *value, socklen_t len)
{
    struct shim_entry e;
    int slot;
    if (!in_device() || (slot = shim_find(fd, &e)) < 0 || e.state != SHIM_PLACEHOLDER || !recordable(level))
        return real.setsockopt(fd, level, name, value, len);
    if (!value)
        return fail(EFAULT);
    if (len > SHIM_OPT_LEN)
        return fail(EINVAL);
    int rc = fail(ENOBUFS);
    pthread_mutex_lock(&table_lock);
    struct shim_entry *t = &table[slot];
    if (t->state == SHIM_PLACEHOLDER && t->fd == fd) {
        unsigned i = 0;
        while (i < t->nopts && (t->opts[i].level != level || t->opts[i].name != name))
            i++;
        if (i < SHIM_MAX_OPTS) {
            t->opts[i].level = level;
            t->opts[i].name = name;
            t->opts[i].len = len;
            memcpy(t->opts[i].value, value, len);
            if (i == t->nopts)
                t->nopts++;
            rc = 0;
        }
    }
    pthread_mutex_unlock(&table_lock);
    return rc;
}

static int answer_int(void *value, socklen_t *len, int v)
{
    if (!value || !len)
        return fail(EFAULT);
    if (*len < sizeof v)
        return fail(EINVAL);
    memcpy(value, &v, sizeof v);
    *len = sizeof v;
    return 0;
}

int netshim_getsockopt(int fd, int level, int name, void *value, socklen_t *len)
{
    struct shim_entry e;
    if (!in_device() || shim_find(fd, &e) < 0)
        return real.getsockopt(fd, level, name, value, len);
    if (level == SOL_SOCKET && name == SO_DOMAIN)
        return answer_int(value, len, AF_INET);
    if (level == SOL_SOCKET && name == SO_TYPE)
        return answer_int(value, len, e.type);
    if (level == SOL_SOCKET && name == SO_PROTOCOL)
        return answer_int(value, len, e.protocol);
    if (e.state == SHIM_PLACEHOLDER) {
        if (level == SOL_SOCKET && (name == SO_ERROR || name == SO_ACCEPTCONN))
            return answer_int(value, len, 0);
        for (unsigned i = 0; i < e.nopts; i++) {
            if (e.opts[i].level != level || e.opts[i].name != name)
                continue;
            if (!value || !len)
                return fail(EFAULT);
            if (*len > e.opts[i].len)
                *len = e.opts[i].len;
            memcpy(value, e.opts[i].value, *len);
            return 0;
        }
        if (level == IPPROTO_TCP) /* TCP defaults before the connection exists */
            return answer_int(value, len, 0);
    }
    return real.getsockopt(fd, level, name, value, len);
}

static int answer_addr(struct sockaddr *addr, socklen_t *len, const struct sockaddr_in *in)
{
    if (!addr || !len)
        return fail(EFAULT);
    memcpy(addr, in, *len < sizeof *in ? *len : sizeof *in);
    *len = sizeof *in;
    return 0;
}

/* A placeholder has no address yet; a UDP flow or server is an AF_UNIX channel, so its names
 * are ours. */
int netshim_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
    struct shim_entry e;
    if (!in_device() || shim_find(fd, &e) < 0 || (e.state != SHIM_PLACEHOLDER && e.type != SOCK_DGRAM))
        return real.getsockname(fd, addr, len);
    struct sockaddr_in any = {.sin_family = AF_INET};
    return answer_addr(addr, len, e.state == SHIM_UDP_SERVER ? &e.peer : &any);
}

int netshim_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
    struct shim_entry e;
    if (!in_device() || shim_find(fd, &e) < 0 || (e.state != SHIM_PLACEHOLDER && e.type != SOCK_DGRAM))
        return real.getpeername(fd, addr, len);
    if (e.state == SHIM_PLACEHOLDER || e.state == SHIM_UDP_SERVER)
        return fail(ENOTCONN);
    return answer_addr(addr, len, &e.peer);
}

/* ---- UDP servers: datagrams with their peers ------------------------------------------------- */

enum { UDP_MAX_PAYLOAD = 65507, UDP_MAX_IOV = 63 };

/* Whether fd is one of the app's UDP server channels (after reals() has run). */
static bool is_udp_server(int fd)
{
    struct shim_entry e;
    return atomic_load_explicit(&udp_servers, memory_order_relaxed) > 0 && in_device() && shim_find(fd, &e) >= 0 &&
           e.state == SHIM_UDP_SERVER;
}

/* Receives one datagram into m's buffers, its source into m->msg_name; returns the payload
 * length (the whole datagram's with MSG_TRUNC) or -1 with errno. */
static ssize_t udp_server_recvmsg(int fd, struct msghdr *m, int flags)
{
    if ((size_t)m->msg_iovlen > UDP_MAX_IOV)
        return fail(EMSGSIZE);
    struct broker_udp_header h;
    struct iovec v[UDP_MAX_IOV + 1] = {{.iov_base = &h, .iov_len = sizeof h}};
    for (size_t i = 0; i < (size_t)m->msg_iovlen; i++)
        v[i + 1] = m->msg_iov[i];
    struct msghdr inner = {.msg_iov = v, .msg_iovlen = m->msg_iovlen + 1};
    ssize_t n = real.recvmsg(fd, &inner, flags);
    if (n <= 0) /* 0: the device has gone */
        return n;
    m->msg_flags = inner.msg_flags & MSG_TRUNC;
    m->msg_controllen = 0;
    if (n < (ssize_t)sizeof h) /* not a datagram of ours */
        return fail(EPROTO);
    if (m->msg_name) {
        struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = h.port, .sin_addr.s_addr = h.addr};
        memcpy(m->msg_name, &from, m->msg_namelen < sizeof from ? m->msg_namelen : sizeof from);
        m->msg_namelen = sizeof from;
    }
    return n - (ssize_t)sizeof h;
}

/* Sends m's buffers as one datagram to m->msg_name; returns the payload length or -1. */
static ssize_t udp_server_sendmsg(int fd, const struct msghdr *m, int flags)
{
    if (!m->msg_name)
        return fail(EDESTADDRREQ);
    if (m->msg_namelen < sizeof(struct sockaddr_in))
        return fail(EINVAL);
    struct sockaddr_in to;
    memcpy(&to, m->msg_name, sizeof to);
    if (to.sin_family != AF_INET)
        return fail(EAFNOSUPPORT);
    if ((size_t)m->msg_iovlen > UDP_MAX_IOV)
        return fail(EMSGSIZE);
    struct broker_udp_header h = {.addr = to.sin_addr.s_addr, .port = to.sin_port};
    struct iovec v[UDP_MAX_IOV + 1] = {{.iov_base = &h, .iov_len = sizeof h}};
    size_t total = 0;
    for (size_t i = 0; i < (size_t)m->msg_iovlen; i++) {
        v[i + 1] = m->msg_iov[i];
        total += m->msg_iov[i].iov_len;
    }
    if (total > UDP_MAX_PAYLOAD)
        return fail(EMSGSIZE);
    struct msghdr inner = {.msg_iov = v, .msg_iovlen = m->msg_iovlen + 1};
    ssize_t n = real.sendmsg(fd, &inner, flags | MSG_NOSIGNAL);
    return n < 0 ? n : n - (ssize_t)sizeof h;
}

ssize_t netshim_recvmsg(int fd, struct msghdr *m, int flags)
{
    reals();
    return is_udp_server(fd) ? (m ? udp_server_recvmsg(fd, m, flags) : fail(EFAULT)) : real.recvmsg(fd, m, flags);
}

/* recvfrom on a UDP server channel (one buffer). */
static ssize_t udp_server_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr, socklen_t *addrlen)
{
    if (addr && !addrlen)
        return fail(EFAULT);
    struct iovec v = {.iov_base = buf, .iov_len = len};
    struct msghdr m = {.msg_name = addr, .msg_namelen = addr ? *addrlen : 0, .msg_iov = &v, .msg_iovlen = 1};
    ssize_t n = udp_server_recvmsg(fd, &m, flags);
    if (n >= 0 && addr)
        *addrlen = m.msg_namelen;
    return n;
}

ssize_t netshim_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr, socklen_t *addrlen)
{
    reals();
    if (!is_udp_server(fd))
        return real.recvfrom(fd, buf, len, flags, addr, addrlen);
    return udp_server_recvfrom(fd, buf, len, flags, addr, addrlen);
}

ssize_t netshim_recv(int fd, void *buf, size_t len, int flags)
{
    reals();
    if (!is_udp_server(fd))
        return real.recv(fd, buf, len, flags);
    return udp_server_recvfrom(fd, buf, len, flags, NULL, NULL);
}

ssize_t netshim_read(int fd, void *buf, size_t len)
{
    reals();
    if (!is_udp_server(fd))
        return real.read(fd, buf, len);
    return udp_server_recvfrom(fd, buf, len, 0, NULL, NULL);
}

ssize_t netshim_sendmsg(int fd, const struct msghdr *m, int flags)
{
    reals();
    return is_udp_server(fd) ? (m ? udp_server_sendmsg(fd, m, flags) : fail(EFAULT)) : real.sendmsg(fd, m, flags);
}

ssize_t netshim_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr, socklen_t addrlen)
{
    reals();
    if (!is_udp_server(fd))
        return real.sendto(fd, buf, len, flags, addr, addrlen);
    struct iovec v = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr m = {.msg_name = (void *)addr, .msg_namelen = addrlen, .msg_iov = &v, .msg_iovlen = 1};
    return udp_server_sendmsg(fd, &m, flags);
}

static long long monotonic_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int udp_server_recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags, struct timespec *timeout)
{
    if (!v && n)
        return fail(EFAULT);
    if (timeout && (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000L))
        return fail(EINVAL);
    long long deadline = timeout ? monotonic_ns() + timeout->tv_sec * 1000000000LL + timeout->tv_nsec : 0;
    int first_flags = flags & ~MSG_WAITFORONE;
    unsigned int done = 0;
    for (; done < n; done++) {
        int f = done && (flags & MSG_WAITFORONE) ? first_flags | MSG_DONTWAIT : first_flags;
        ssize_t got = udp_server_recvmsg(fd, &v[done].msg_hdr, f);
        if (got < 0)
            return done ? (int)done : -1; /* the error of a later entry waits for the next call */
        v[done].msg_len = (unsigned int)got;
        if (timeout && monotonic_ns() >= deadline) {
            done++;
            break;
        }
    }
    return (int)done;
}

int netshim_recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags, struct timespec *timeout)
{
    reals();
    if (!is_udp_server(fd))
        return real.recvmmsg(fd, v, n, flags, timeout);
    return udp_server_recvmmsg(fd, v, n, flags, timeout);
}

int netshim_sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
    reals();
    if (!is_udp_server(fd))
        return real.sendmmsg(fd, v, n, flags);
    if (!v && n)
        return fail(EFAULT);
    unsigned int done = 0;
    for (; done < n; done++) {
        ssize_t sent = udp_server_sendmsg(fd, &v[done].msg_hdr, flags);
        if (sent < 0)
            return done ? (int)done : -1;
        v[done].msg_len = (unsigned int)sent;
    }
    return (int)done;
}

/* send/write: no destination on a UDP server channel, and the inter-core size limit. */
static int send_refusal(int fd, size_t len)
{
    if (is_udp_server(fd))
        return EDESTADDRREQ;
    if (applibs_intercore_too_big(fd, len))
        return EMSGSIZE;
    return 0;
}

ssize_t netshim_send(int fd, const void *buf, size_t len, int flags)
{
    reals();
    int err = send_refusal(fd, len);
    return err ? fail(err) : syscall(SYS_sendto, fd, buf, len, flags, NULL, 0);
}

ssize_t netshim_write(int fd, const void *buf, size_t len)
{
    reals();
    int err = send_refusal(fd, len);
    return err ? fail(err) : syscall(SYS_write, fd, buf, len);
}

/* ---- names ---------------------------------------------------------------------------------- */

/* /etc/services does not exist in the container: the common ones. */
static const struct {
    const char *name;
    uint16_t port;
} services[] = {
    {"ftp", 21},    {"ssh", 22},    {"telnet", 23}, {"smtp", 25},    {"domain", 53},       {"http", 80},
    {"www", 80},    {"pop3", 110},  {"ntp", 123},   {"imap", 143},   {"https", 443},       {"smtps", 465},
    {"submission", 587}, {"imaps", 993}, {"pop3s", 995}, {"mqtt", 1883}, {"secure-mqtt", 8883},
};

/* Returns 0 and the port (host order), or an EAI_* code. */
static int service_port(const char *service, int flags, uint16_t *port)
{
    *port = 0;
    if (!service || !*service)
        return 0;
    char *end;
    errno = 0;
    unsigned long n = strtoul(service, &end, 10);
    if (!*end && isdigit((unsigned char)service[0])) {
        if (n > 65535 || errno)
            return EAI_SERVICE;
        *port = (uint16_t)n;
        return 0;
    }
    if (flags & AI_NUMERICSERV)
        return EAI_NONAME;
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++)
        if (!strcasecmp(service, services[i].name)) {
            *port = services[i].port;
            return 0;
        }
    return EAI_SERVICE;
}

/* The device's answer's errno → getaddrinfo's code (docs/network.md). */
static int eai_of(int err)
{
    switch (err) {
    case EACCES: /* not in the manifest */
    case ENOENT: /* listed, does not resolve */
    case EINVAL: /* malformed name */
        return EAI_NONAME;
    case ENOMEM:
        return EAI_MEMORY;
    case EAGAIN:
    case ETIMEDOUT:
        return EAI_AGAIN;
    default:
        return EAI_FAIL;
    }
}

/* Each entry is one allocation holding the addrinfo and its sockaddr_in, and ai_canonname is
 * a separate one: the layout glibc's freeaddrinfo also frees (ours does the same). */
static struct addrinfo *entry(struct in_addr a, uint16_t port, int type, int protocol)
{
    struct addrinfo *ai = calloc(1, sizeof *ai + sizeof(struct sockaddr_in));
    if (!ai)
        return NULL;
    struct sockaddr_in *sin = (struct sockaddr_in *)(ai + 1);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    sin->sin_addr = a;
    ai->ai_family = AF_INET;
    ai->ai_socktype = type;
    ai->ai_protocol = protocol;
    ai->ai_addrlen = sizeof *sin;
    ai->ai_addr = (struct sockaddr *)sin;
    return ai;
}

static void free_list(struct addrinfo *ai)
{
    while (ai) {
        struct addrinfo *next = ai->ai_next;
        free(ai->ai_canonname);
        free(ai);
        ai = next;
    }
}

enum { KNOWN_FLAGS = AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_V4MAPPED | AI_ALL | AI_ADDRCONFIG |
                     AI_NUMERICSERV | AI_IDN | AI_CANONIDN };

int netshim_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
    if (!in_device())
        return real.getaddrinfo(node, service, hints, res);
    struct addrinfo h = {.ai_family = AF_UNSPEC};
    if (hints)
        h = *hints;
    if (!res) {
        errno = EFAULT;
        return EAI_SYSTEM;
    }
    *res = NULL;
    if (h.ai_flags & ~KNOWN_FLAGS)
        return EAI_BADFLAGS;
    if (!node && !service)
        return EAI_NONAME;
    if ((h.ai_flags & AI_CANONNAME) && !node)
        return EAI_BADFLAGS;
    if (h.ai_family != AF_UNSPEC && h.ai_family != AF_INET)
        return EAI_FAMILY; /* IPv4 only (the device's resolver and connects) */
    if (h.ai_socktype != 0 && h.ai_socktype != SOCK_STREAM && h.ai_socktype != SOCK_DGRAM)
        return EAI_SOCKTYPE;
    if ((h.ai_protocol != 0 && h.ai_protocol != IPPROTO_TCP && h.ai_protocol != IPPROTO_UDP) ||
        (h.ai_socktype == SOCK_STREAM && h.ai_protocol == IPPROTO_UDP) ||
        (h.ai_socktype == SOCK_DGRAM && h.ai_protocol == IPPROTO_TCP))
        return EAI_SOCKTYPE;
    uint16_t port;
    int rc = service_port(service, h.ai_flags, &port);
    if (rc)
        return rc;

    struct in_addr addrs[24];
    int count;
    struct in6_addr v6;
    if (!node) {
        addrs[0].s_addr = htonl((h.ai_flags & AI_PASSIVE) ? INADDR_ANY : INADDR_LOOPBACK);
        count = 1;
    } else if (inet_aton(node, &addrs[0])) {
        count = 1;
    } else if (inet_pton(AF_INET6, node, &v6) == 1) {
        return EAI_NONAME; /* an IPv6 literal: no IPv4 address for it */
    } else if (h.ai_flags & AI_NUMERICHOST) {
        return EAI_NONAME;
    } else {
        count = OpenSphere_Networking_Resolve(node, addrs, sizeof addrs / sizeof addrs[0], NULL);
        if (count < 0)
            return eai_of(errno);
        if (count == 0) {
            errno = ENOENT;
            return EAI_NONAME;
        }
    }

    static const struct {
        int type, protocol;
    } kinds[] = {{SOCK_STREAM, IPPROTO_TCP}, {SOCK_DGRAM, IPPROTO_UDP}};
    struct addrinfo *head = NULL, **tail = &head;
    for (int i = 0; i < count; i++)
        for (size_t k = 0; k < 2; k++) {
            if ((h.ai_socktype && h.ai_socktype != kinds[k].type) || (h.ai_protocol && h.ai_protocol != kinds[k].protocol))
                continue;
            struct addrinfo *ai = entry(addrs[i], port, kinds[k].type, kinds[k].protocol);
            if (!ai) {
                free_list(head);
                return EAI_MEMORY;
            }
            *tail = ai;
            tail = &ai->ai_next;
        }
    if ((h.ai_flags & AI_CANONNAME) && head && !(head->ai_canonname = strdup(node))) {
        free_list(head);
        return EAI_MEMORY;
    }
    *res = head;
    return 0;
}

void netshim_freeaddrinfo(struct addrinfo *ai)
{
    if (!in_device())
        real.freeaddrinfo(ai);
    else
        free_list(ai);
}
