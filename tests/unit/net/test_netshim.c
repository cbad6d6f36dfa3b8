/* SPDX-License-Identifier: MIT */
/* test_netshim.c — libapplibs' plain-sockets interposers (src/applibs/netshim.c) against a fake
 * device: fd 3 is one end of a SOCK_SEQPACKET pair whose other end a thread here serves with the
 * broker protocol (src/core/broker.h). The fake device's rules:
 *   RESOLVE  good.test → 10.0.0.1, 10.0.0.2; bad.test → EACCES; none.test → ENOENT
 *   CONNECT  10.0.0.1 or 10.0.0.2 port 80 → a TCP connection to a listener here on 127.0.0.1;
 *            port 81 → ECONNREFUSED; any other address → EACCES
 *   LISTEN   port 8096 (TCP) → a listening socket on 127.0.0.1; 8098 → EACCES; 8099 (UDP) → one
 *            end of a SOCK_SEQPACKET pair whose other end (udp_device_end) the tests play the
 *            device's UDP server thread on; UDP on another port → EACCES
 * Built with netshim.c itself (not the archive) so the sanitizer build checks it. Only 127.0.0.1
 * is contacted. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "broker.h"
#include "broker_pool.h"

/* The fake device's own sockets bypass the interposers (this process defines them). */
static int sys_socket(int domain, int type) { return (int)syscall(SYS_socket, domain, type, 0); }
static int sys_connect(int fd, const struct sockaddr_in *to)
{
    return (int)syscall(SYS_connect, fd, to, sizeof *to);
}

static int target_port; /* the local listener CONNECT hands connections to */

static int fake_connect(uint32_t addr, int port, int *fd)
{
    if (addr != inet_addr("10.0.0.1") && addr != inet_addr("10.0.0.2"))
        return -EACCES;
    if (port == 81)
        return -ECONNREFUSED;
    int s = sys_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)target_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (s < 0 || sys_connect(s, &to) < 0)
        return -errno;
    *fd = s;
    return 0;
}

static int udp_device_end = -1; /* the device's side of the UDP server on port 8099 */

static int fake_listen(int port, int type, int *fd)
{
    if (type == SOCK_DGRAM) {
        int pair[2];
        if (port != 8099)
            return -EACCES;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
            return -errno;
        udp_device_end = pair[1];
        *fd = pair[0];
        return 0;
    }
    if (port != 8096)
        return -EACCES;
    int s = sys_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC);
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (s < 0 || syscall(SYS_bind, s, &at, sizeof at) < 0 || syscall(SYS_listen, s, 4) < 0)
        return -errno;
    *fd = s;
    return 0;
}

static void *fake_device(void *arg)
{
    int end = *(int *)arg;
    struct broker_request q;
    while (recv(end, &q, sizeof q, 0) == (ssize_t)sizeof q) {
        struct broker_reply r = {0};
        int fd = -1;
        switch (q.op) {
        case BROKER_NET_STATUS:
            r.value = 7;
            break;
        case BROKER_NET_RESOLVE: {
            uint32_t ttl = 60, a[2] = {inet_addr("10.0.0.1"), inet_addr("10.0.0.2")};
            if (!strcmp(q.text, "good.test")) {
                memcpy(r.text, &ttl, 4);
                memcpy(r.text + 4, a, sizeof a);
                r.value = 2;
            } else {
                r.result = !strcmp(q.text, "none.test") ? -ENOENT : -EACCES;
            }
            break;
        }
        case BROKER_NET_CONNECT:
            r.result = fake_connect((uint32_t)q.a, q.b, &fd);
            break;
        case BROKER_NET_LISTEN:
            r.result = fake_listen(q.a, q.c, &fd);
            break;
        default:
            r.result = -ENOSYS;
        }
        broker_send_reply(end, &r, fd); /* the device's own (src/runtime/broker_pool.c) */
        if (fd >= 0)
            close(fd);
    }
    return NULL;
}

/* The listener behind CONNECT: accepts and closes, forever. */
static void *acceptor(void *arg)
{
    int l = *(int *)arg;
    for (;;) {
        int c = accept(l, NULL, NULL);
        if (c >= 0)
            close(c);
    }
    return NULL;
}

static int device_end, listener;

static int start_fake_device(void **state)
{
    (void)state;
    int null = open("/dev/null", O_RDWR); /* hold fd 3 so nothing below lands on it */
    if (null < 0 || (null != BROKER_FD && dup2(null, BROKER_FD) < 0))
        return -1;
    listener = sys_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC);
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof at;
    if (listener < 0 || syscall(SYS_bind, listener, &at, sizeof at) < 0 || syscall(SYS_listen, listener, 64) < 0 ||
        syscall(SYS_getsockname, listener, &at, &len) < 0)
        return -1;
    target_port = ntohs(at.sin_port);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0 || dup2(sv[0], BROKER_FD) < 0)
        return -1;
    close(sv[0]);
    device_end = sv[1];
    pthread_t t;
    pthread_create(&t, NULL, fake_device, &device_end);
    pthread_detach(t);
    pthread_create(&t, NULL, acceptor, &listener);
    pthread_detach(t);
    return 0;
}

/* ---- getaddrinfo -------------------------------------------------------------------------- */

static const struct gai_case {
    const char *node, *service;
    int family, socktype, protocol, flags;
    int rc;          /* expected getaddrinfo result */
    int err;         /* errno after an EAI_NONAME from the device (0: not checked) */
    const char *list; /* "addr:port/tcp,…" */
} gai_cases[] = {
    {"good.test", "80", AF_UNSPEC, 0, 0, 0, 0, 0, "10.0.0.1:80/tcp,10.0.0.1:80/udp,10.0.0.2:80/tcp,10.0.0.2:80/udp"},
    {"good.test", "http", AF_INET, SOCK_STREAM, 0, 0, 0, 0, "10.0.0.1:80/tcp,10.0.0.2:80/tcp"},
    {"good.test", "mqtt", AF_UNSPEC, 0, IPPROTO_UDP, 0, 0, 0, "10.0.0.1:1883/udp,10.0.0.2:1883/udp"},
    {"bad.test", "80", AF_UNSPEC, 0, 0, 0, EAI_NONAME, EACCES, NULL},
    {"none.test", "80", AF_UNSPEC, 0, 0, 0, EAI_NONAME, ENOENT, NULL},
    {"10.0.0.9", "443", AF_UNSPEC, SOCK_STREAM, 0, 0, 0, 0, "10.0.0.9:443/tcp"},
    {"10.1", NULL, AF_INET, SOCK_STREAM, 0, AI_NUMERICHOST, 0, 0, "10.0.0.1:0/tcp"}, /* inet_aton forms */
    {"good.test", "80", AF_UNSPEC, 0, 0, AI_NUMERICHOST, EAI_NONAME, 0, NULL},
    {"good.test", "80", AF_INET6, 0, 0, 0, EAI_FAMILY, 0, NULL},
    {"::1", "80", AF_UNSPEC, 0, 0, 0, EAI_NONAME, 0, NULL},
    {"good.test", "gopher", AF_UNSPEC, 0, 0, 0, EAI_SERVICE, 0, NULL},
    {"good.test", "http", AF_UNSPEC, 0, 0, AI_NUMERICSERV, EAI_NONAME, 0, NULL},
    {"good.test", "70000", AF_UNSPEC, 0, 0, 0, EAI_SERVICE, 0, NULL},
    {"good.test", "80", AF_UNSPEC, SOCK_RAW, 0, 0, EAI_SOCKTYPE, 0, NULL},
    {"good.test", "80", AF_UNSPEC, SOCK_STREAM, IPPROTO_UDP, 0, EAI_SOCKTYPE, 0, NULL},
    {"good.test", "80", AF_UNSPEC, 0, 0, 0x10000, EAI_BADFLAGS, 0, NULL},
    {NULL, NULL, AF_UNSPEC, 0, 0, 0, EAI_NONAME, 0, NULL},
    {NULL, "8096", AF_UNSPEC, SOCK_STREAM, 0, AI_PASSIVE, 0, 0, "0.0.0.0:8096/tcp"},
    {NULL, "80", AF_UNSPEC, SOCK_STREAM, 0, 0, 0, 0, "127.0.0.1:80/tcp"},
};

static void getaddrinfo_answers_like_the_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof gai_cases / sizeof gai_cases[0]; i++) {
        const struct gai_case *c = &gai_cases[i];
        struct addrinfo hints = {.ai_family = c->family, .ai_socktype = c->socktype, .ai_protocol = c->protocol,
                                 .ai_flags = c->flags};
        struct addrinfo *res = NULL;
        errno = 0;
        int rc = getaddrinfo(c->node, c->service, &hints, &res);
        int err = errno;
        char list[300] = "";
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
            const struct sockaddr_in *in = (const struct sockaddr_in *)ai->ai_addr;
            assert_int_equal(ai->ai_family, AF_INET);
            assert_int_equal(ai->ai_addrlen, sizeof *in);
            assert_int_equal(ai->ai_protocol, ai->ai_socktype == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP);
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s:%u/%s", ai == res ? "" : ",",
                     inet_ntoa(in->sin_addr), ntohs(in->sin_port), ai->ai_socktype == SOCK_STREAM ? "tcp" : "udp");
        }
        freeaddrinfo(res);
        if (rc != c->rc || (c->err && err != c->err) || strcmp(list, c->list ? c->list : "")) {
            print_error("case %zu (%s, %s): rc %d errno %d list '%s'; want rc %d errno %d list '%s'\n", i,
                        c->node ? c->node : "NULL", c->service ? c->service : "NULL", rc, err, list, c->rc, c->err,
                        c->list ? c->list : "");
            fail();
        }
    }
}

static void getaddrinfo_canonname_is_the_name_asked(void **state)
{
    (void)state;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_CANONNAME}, *res = NULL;
    assert_int_equal(getaddrinfo("good.test", "80", &hints, &res), 0);
    assert_non_null(res->ai_canonname);
    assert_string_equal(res->ai_canonname, "good.test");
    assert_null(res->ai_next->ai_canonname);
    freeaddrinfo(res);
}

/* ---- socket and connect ------------------------------------------------------------------- */

static struct sockaddr_in to(const char *addr, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, addr, &a.sin_addr);
    return a;
}

static void connect_replaces_the_placeholder_keeping_flags_and_options(void **state)
{
    (void)state;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(s >= 0);
    int one = 1, v = 0;
    socklen_t len = sizeof v;
    assert_int_equal(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
    assert_int_equal(getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
    assert_int_equal(v, 1);
    assert_int_equal(getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &len), 0);
    assert_int_equal(v, AF_INET);
    assert_int_equal(getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &len), 0);
    assert_int_equal(v, 0);
    struct sockaddr_in peer, good = to("10.0.0.1", 80);
    len = sizeof peer;
    assert_int_equal(getpeername(s, (struct sockaddr *)&peer, &len), -1);
    assert_int_equal(errno, ENOTCONN);

    assert_int_equal(connect(s, (struct sockaddr *)&good, sizeof good), 0);
    assert_true(fcntl(s, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(s, F_GETFD) & FD_CLOEXEC);
    v = 0, len = sizeof v;
    assert_int_equal(getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0); /* the real socket's */
    assert_int_equal(v, 1);
    len = sizeof peer;
    assert_int_equal(getpeername(s, (struct sockaddr *)&peer, &len), 0);
    assert_int_equal(ntohs(peer.sin_port), target_port); /* the fake device's local stand-in */
    assert_int_equal(connect(s, (struct sockaddr *)&good, sizeof good), -1);
    assert_int_equal(errno, EISCONN);
    close(s);

    s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP); /* blocking, inheritable: stays so */
    assert_int_equal(connect(s, (struct sockaddr *)&good, sizeof good), 0);
    assert_false(fcntl(s, F_GETFL) & O_NONBLOCK);
    assert_false(fcntl(s, F_GETFD) & FD_CLOEXEC);
    close(s);
}

static void connect_refusals_keep_the_placeholder(void **state)
{
    (void)state;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in bad = to("10.0.0.9", 80), refused = to("10.0.0.1", 81), good = to("10.0.0.2", 80);
    assert_int_equal(connect(s, (struct sockaddr *)&bad, sizeof bad), -1);
    assert_int_equal(errno, EACCES);
    assert_int_equal(connect(s, (struct sockaddr *)&refused, sizeof refused), -1);
    assert_int_equal(errno, ECONNREFUSED);
    struct sockaddr_in6 six = {.sin6_family = AF_INET6};
    assert_int_equal(connect(s, (struct sockaddr *)&six, sizeof six), -1);
    assert_int_equal(errno, EAFNOSUPPORT);
    assert_int_equal(connect(s, (struct sockaddr *)&good, sizeof good - 1), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(connect(s, (struct sockaddr *)&good, sizeof good), 0);
    close(s);
}

static void other_families_are_the_system_call(void **state)
{
    (void)state;
    assert_int_equal(socket(AF_INET6, SOCK_STREAM, 0), -1);
    assert_int_equal(errno, EAFNOSUPPORT);
    assert_int_equal(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), -1);
    assert_int_equal(errno, EPROTONOSUPPORT);
    int u = socket(AF_UNIX, SOCK_STREAM, 0); /* outside seccomp the kernel allows it */
    assert_true(u >= 0);
    int v = 0;
    socklen_t len = sizeof v;
    assert_int_equal(getsockopt(u, SOL_SOCKET, SO_DOMAIN, &v, &len), 0);
    assert_int_equal(v, AF_UNIX);
    close(u);
}

static void a_reused_descriptor_number_is_not_a_placeholder(void **state)
{
    (void)state;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    close(s);
    int n = open("/dev/null", O_RDWR);
    assert_int_equal(n, s);
    struct sockaddr_in good = to("10.0.0.1", 80);
    assert_int_equal(connect(n, (struct sockaddr *)&good, sizeof good), -1);
    assert_int_equal(errno, ENOTSOCK); /* the system call's answer, not a brokered connect */
    struct stat st;
    assert_int_equal(fstat(n, &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    close(n);
}

/* ---- bind and listen ---------------------------------------------------------------------- */

static void bind_to_a_listed_port_listens_through_the_device(void **state)
{
    (void)state;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, v = 0;
    socklen_t len = sizeof v;
    struct sockaddr_in any0 = to("0.0.0.0", 0), some0 = to("10.0.0.1", 0), listed = to("0.0.0.0", 8096),
                       unlisted = to("0.0.0.0", 8098);
    assert_int_equal(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    assert_int_equal(bind(s, (struct sockaddr *)&any0, sizeof any0), 0);
    assert_int_equal(bind(s, (struct sockaddr *)&some0, sizeof some0), -1);
    assert_int_equal(errno, EADDRNOTAVAIL);
    assert_int_equal(bind(s, (struct sockaddr *)&unlisted, sizeof unlisted), -1);
    assert_int_equal(errno, EACCES);
    assert_int_equal(bind(s, (struct sockaddr *)&listed, sizeof listed), 0);
    assert_int_equal(listen(s, 8), 0);
    assert_int_equal(getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &len), 0);
    assert_int_equal(v, 1);
    assert_int_equal(getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &len), 0); /* replayed */
    assert_int_equal(v, 1);
    assert_true(fcntl(s, F_GETFD) & FD_CLOEXEC);
    close(s);

    int u = socket(AF_INET, SOCK_DGRAM, 0);
    assert_int_equal(bind(u, (struct sockaddr *)&listed, sizeof listed), -1); /* a TCP port */
    assert_int_equal(errno, EACCES);
    close(u);
}

/* What the device's UDP server thread would hand in: the peer's header, then the payload. */
static void device_delivers(const char *from, int port, const char *payload)
{
    unsigned char msg[64];
    struct broker_udp_header h = {.addr = inet_addr(from), .port = htons((uint16_t)port)};
    memcpy(msg, &h, sizeof h);
    memcpy(msg + sizeof h, payload, strlen(payload));
    assert_int_equal(send(udp_device_end, msg, sizeof h + strlen(payload), 0), (ssize_t)(sizeof h + strlen(payload)));
}

/* What the app asked the device to send: checks the header names to and returns the payload. */
static void device_expects(const char *to_addr, int port, const char *payload)
{
    unsigned char msg[64];
    ssize_t n = recv(udp_device_end, msg, sizeof msg, MSG_DONTWAIT);
    assert_int_equal(n, (ssize_t)(BROKER_UDP_HEADER_SIZE + strlen(payload)));
    struct broker_udp_header h;
    memcpy(&h, msg, sizeof h);
    assert_int_equal(h.addr, inet_addr(to_addr));
    assert_int_equal(ntohs(h.port), port);
    assert_memory_equal(msg + sizeof h, payload, strlen(payload));
}

static void udp_server_datagrams_carry_their_peer(void **state)
{
    (void)state;
    int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in at = to("0.0.0.0", 8099), unlisted = to("0.0.0.0", 8098), name, from;
    assert_int_equal(bind(u, (struct sockaddr *)&unlisted, sizeof unlisted), -1);
    assert_int_equal(errno, EACCES);
    assert_int_equal(bind(u, (struct sockaddr *)&at, sizeof at), 0);
    assert_true(fcntl(u, F_GETFD) & FD_CLOEXEC);
    socklen_t len = sizeof name;
    assert_int_equal(getsockname(u, (struct sockaddr *)&name, &len), 0);
    assert_int_equal(ntohs(name.sin_port), 8099);
    assert_int_equal(getpeername(u, (struct sockaddr *)&name, &len), -1);
    assert_int_equal(errno, ENOTCONN);
    int type = 0;
    len = sizeof type;
    assert_int_equal(getsockopt(u, SOL_SOCKET, SO_TYPE, &type, &len), 0);
    assert_int_equal(type, SOCK_DGRAM);

    /* receiving: recvfrom names the peer; the header never shows */
    char buf[64] = "";
    device_delivers("10.0.0.7", 5000, "ping");
    len = sizeof from;
    assert_int_equal(recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&from, &len), 4);
    assert_int_equal(len, sizeof from);
    assert_memory_equal(buf, "ping", 4);
    assert_int_equal(from.sin_family, AF_INET);
    assert_int_equal(from.sin_addr.s_addr, inet_addr("10.0.0.7"));
    assert_int_equal(ntohs(from.sin_port), 5000);
    device_delivers("10.0.0.8", 5001, "abcdef");
    assert_int_equal(read(u, buf, sizeof buf), 6);
    assert_memory_equal(buf, "abcdef", 6);
    device_delivers("10.0.0.8", 5001, "abcdef");
    assert_int_equal(recv(u, buf, 2, MSG_TRUNC), 6); /* the datagram's length, as UDP says */
    device_delivers("10.0.0.8", 5001, "abcdef");
    char part[2];
    struct iovec v = {.iov_base = part, .iov_len = sizeof part};
    struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &v, .msg_iovlen = 1};
    assert_int_equal(recvmsg(u, &m, 0), 2);
    assert_true(m.msg_flags & MSG_TRUNC);
    assert_int_equal(ntohs(from.sin_port), 5001);
    assert_int_equal(recv(u, buf, sizeof buf, MSG_DONTWAIT), -1);
    assert_int_equal(errno, EAGAIN);

    /* sending: to a named peer only */
    struct sockaddr_in peer = to("10.0.0.7", 5000);
    assert_int_equal(sendto(u, "pong", 4, 0, (struct sockaddr *)&peer, sizeof peer), 4);
    device_expects("10.0.0.7", 5000, "pong");
    struct iovec two[2] = {{.iov_base = "po", .iov_len = 2}, {.iov_base = "ng!", .iov_len = 3}};
    struct msghdr out = {.msg_name = &peer, .msg_namelen = sizeof peer, .msg_iov = two, .msg_iovlen = 2};
    assert_int_equal(sendmsg(u, &out, 0), 5);
    device_expects("10.0.0.7", 5000, "pong!");
    assert_int_equal(sendto(u, "x", 1, 0, NULL, 0), -1);
    assert_int_equal(errno, EDESTADDRREQ);
    assert_int_equal(send(u, "x", 1, 0), -1);
    assert_int_equal(errno, EDESTADDRREQ);
    assert_int_equal(write(u, "x", 1), -1);
    assert_int_equal(errno, EDESTADDRREQ);
    struct sockaddr_in6 six = {.sin6_family = AF_INET6, .sin6_port = htons(5000)};
    assert_int_equal(sendto(u, "x", 1, 0, (struct sockaddr *)&six, sizeof six), -1);
    assert_int_equal(errno, EAFNOSUPPORT);
    static char big[65508];
    assert_int_equal(sendto(u, big, sizeof big, 0, (struct sockaddr *)&peer, sizeof peer), -1);
    assert_int_equal(errno, EMSGSIZE);
    assert_int_equal(recv(udp_device_end, buf, sizeof buf, MSG_DONTWAIT), -1); /* nothing else went */

    /* recvmmsg/sendmmsg: one datagram per entry, each with its peer; MSG_WAITFORONE stops at
     * what has arrived; a first entry that fails is -1, a later one ends the batch */
    device_delivers("10.0.0.7", 5000, "one");
    device_delivers("10.0.0.9", 5002, "three");
    char b0[8], b1[8], b2[8];
    struct sockaddr_in f0, f1, f2;
    struct iovec iv[3] = {{b0, sizeof b0}, {b1, sizeof b1}, {b2, sizeof b2}};
    struct mmsghdr mm[3] = {
        {.msg_hdr = {.msg_name = &f0, .msg_namelen = sizeof f0, .msg_iov = &iv[0], .msg_iovlen = 1}},
        {.msg_hdr = {.msg_name = &f1, .msg_namelen = sizeof f1, .msg_iov = &iv[1], .msg_iovlen = 1}},
        {.msg_hdr = {.msg_name = &f2, .msg_namelen = sizeof f2, .msg_iov = &iv[2], .msg_iovlen = 1}},
    };
    assert_int_equal(recvmmsg(u, mm, 3, MSG_WAITFORONE, NULL), 2);
    assert_int_equal(mm[0].msg_len, 3);
    assert_memory_equal(b0, "one", 3);
    assert_int_equal(f0.sin_addr.s_addr, inet_addr("10.0.0.7"));
    assert_int_equal(mm[1].msg_len, 5);
    assert_memory_equal(b1, "three", 5);
    assert_int_equal(f1.sin_addr.s_addr, inet_addr("10.0.0.9"));
    assert_int_equal(ntohs(f1.sin_port), 5002);
    assert_int_equal(recvmmsg(u, mm, 3, MSG_DONTWAIT, NULL), -1);
    assert_int_equal(errno, EAGAIN);
    struct timespec bad_timeout = {.tv_sec = 0, .tv_nsec = 1000000000L};
    assert_int_equal(recvmmsg(u, mm, 3, MSG_DONTWAIT, &bad_timeout), -1);
    assert_int_equal(errno, EINVAL);
    struct sockaddr_in peer9 = to("10.0.0.9", 5002);
    struct iovec ov[3] = {{"a", 1}, {"bc", 2}, {"def", 3}};
    struct mmsghdr om[3] = {
        {.msg_hdr = {.msg_name = &peer, .msg_namelen = sizeof peer, .msg_iov = &ov[0], .msg_iovlen = 1}},
        {.msg_hdr = {.msg_name = &peer9, .msg_namelen = sizeof peer9, .msg_iov = &ov[1], .msg_iovlen = 1}},
        {.msg_hdr = {.msg_name = NULL, .msg_namelen = 0, .msg_iov = &ov[2], .msg_iovlen = 1}},
    };
    assert_int_equal(sendmmsg(u, om, 3, 0), 2); /* the third has no address */
    assert_int_equal(om[0].msg_len, 1);
    assert_int_equal(om[1].msg_len, 2);
    device_expects("10.0.0.7", 5000, "a");
    device_expects("10.0.0.9", 5002, "bc");
    assert_int_equal(sendmmsg(u, &om[2], 1, 0), -1);
    assert_int_equal(errno, EDESTADDRREQ);
    assert_int_equal(recv(udp_device_end, buf, sizeof buf, MSG_DONTWAIT), -1);

    /* the device going away is the end of the stream */
    close(udp_device_end);
    assert_int_equal(recv(u, buf, sizeof buf, 0), 0);
    close(u);
}

/* ---- threads and the table ---------------------------------------------------------------- */

static void *connect_many(void *arg)
{
    int *failures = arg;
    struct sockaddr_in good = to("10.0.0.1", 80);
    for (int i = 0; i < 40; i++) {
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int v = 0;
        socklen_t len = sizeof v;
        if (s < 0 || connect(s, (struct sockaddr *)&good, sizeof good) < 0 ||
            getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &len) < 0 || v != AF_INET)
            (*failures)++;
        if (s >= 0)
            close(s);
    }
    return NULL;
}

static void threads_connect_concurrently_and_the_table_recycles(void **state)
{
    (void)state;
    enum { THREADS = 6 };
    pthread_t t[THREADS];
    int failures[THREADS] = {0};
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, connect_many, &failures[i]);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(failures[i], 0);
    }
}

static void a_full_table_says_emfile(void **state)
{
    (void)state;
    int fds[80], n = 0;
    while (n < 80 && (fds[n] = socket(AF_INET, SOCK_DGRAM, 0)) >= 0)
        n++;
    assert_int_equal(n, 64);
    assert_int_equal(errno, EMFILE);
    for (int i = 0; i < n; i++)
        close(fds[i]);
    int s = socket(AF_INET, SOCK_DGRAM, 0); /* closed entries are reclaimed */
    assert_true(s >= 0);
    close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(getaddrinfo_answers_like_the_table),
        cmocka_unit_test(getaddrinfo_canonname_is_the_name_asked),
        cmocka_unit_test(connect_replaces_the_placeholder_keeping_flags_and_options),
        cmocka_unit_test(connect_refusals_keep_the_placeholder),
        cmocka_unit_test(other_families_are_the_system_call),
        cmocka_unit_test(a_reused_descriptor_number_is_not_a_placeholder),
        cmocka_unit_test(bind_to_a_listed_port_listens_through_the_device),
        cmocka_unit_test(udp_server_datagrams_carry_their_peer),
        cmocka_unit_test(threads_connect_concurrently_and_the_table_recycles),
        cmocka_unit_test(a_full_table_says_emfile),
    };
    return cmocka_run_group_tests(tests, start_fake_device, NULL);
}
