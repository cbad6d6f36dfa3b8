/* SPDX-License-Identifier: MIT */
/* interpose.c — every C library function libapplibs defines in its place, and nothing else:
 * getaddrinfo freeaddrinfo socket connect bind listen setsockopt getsockopt getsockname
 * getpeername recvfrom recv recvmsg recvmmsg read sendto send sendmsg sendmmsg write;
 * clock_gettime clock_settime time gettimeofday; res_query res_search res_send res_nquery
 * res_nsearch res_nsend. Each is one call of its netshim_* (netshim.c, the logic and its
 * contract; docs/network.md, "Plain sockets"), devclock_* or devdns_*. One more,
 * close, is gpio.c's (a GPIO output's set ring goes with its descriptor). The same list is libapplibs.ld's EXTERN (which forces this object into every
 * app) and the export test's allow-list (tests/unit/applibs); a name added here goes to both.
 *
 * Each definition has glibc's exact prototype, so -Wpedantic finds nothing to say about it: with
 * _GNU_SOURCE glibc declares the socket-address arguments as transparent unions
 * (__SOCKADDR_ARG, __CONST_SOCKADDR_ARG), whose struct sockaddr member is `__sockaddr__`. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "export.h" /* first: the Applibs API's visibility */

#include <netdb.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "devclock.h"
#include "devdns.h"
#include "netshim.h"

/* glibc's own condition for the transparent unions (sys/socket.h). */
#if defined __USE_GNU && !defined __cplusplus && __GNUC_PREREQ(2, 7)
#define SOCKADDR_OF(arg) ((arg).__sockaddr__)
#else
#define SOCKADDR_OF(arg) (arg)
#endif

/* ---- sockets --------------------------------------------------------------------------------- */

APPLIBS_INTERPOSER int socket(int domain, int type, int protocol)
{
    return netshim_socket(domain, type, protocol);
}

APPLIBS_INTERPOSER int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
    return netshim_connect(fd, SOCKADDR_OF(addr), len);
}

APPLIBS_INTERPOSER int bind(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
    return netshim_bind(fd, SOCKADDR_OF(addr), len);
}

APPLIBS_INTERPOSER int listen(int fd, int backlog)
{
    return netshim_listen(fd, backlog);
}

APPLIBS_INTERPOSER int setsockopt(int fd, int level, int name, const void *value, socklen_t len)
{
    return netshim_setsockopt(fd, level, name, value, len);
}

APPLIBS_INTERPOSER int getsockopt(int fd, int level, int name, void *__restrict value, socklen_t *__restrict len)
{
    return netshim_getsockopt(fd, level, name, value, len);
}

APPLIBS_INTERPOSER int getsockname(int fd, __SOCKADDR_ARG addr, socklen_t *__restrict len)
{
    return netshim_getsockname(fd, SOCKADDR_OF(addr), len);
}

APPLIBS_INTERPOSER int getpeername(int fd, __SOCKADDR_ARG addr, socklen_t *__restrict len)
{
    return netshim_getpeername(fd, SOCKADDR_OF(addr), len);
}

/* ---- names ----------------------------------------------------------------------------------- */

APPLIBS_INTERPOSER int getaddrinfo(const char *__restrict node, const char *__restrict service,
                                   const struct addrinfo *__restrict hints, struct addrinfo **__restrict res)
{
    return netshim_getaddrinfo(node, service, hints, res);
}

APPLIBS_INTERPOSER void freeaddrinfo(struct addrinfo *ai)
{
    netshim_freeaddrinfo(ai);
}

/* ---- receiving ------------------------------------------------------------------------------- */

APPLIBS_INTERPOSER ssize_t recvfrom(int fd, void *__restrict buf, size_t len, int flags, __SOCKADDR_ARG addr,
                                    socklen_t *__restrict addrlen)
{
    return netshim_recvfrom(fd, buf, len, flags, SOCKADDR_OF(addr), addrlen);
}

APPLIBS_INTERPOSER ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    return netshim_recv(fd, buf, len, flags);
}

APPLIBS_INTERPOSER ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
    return netshim_recvmsg(fd, m, flags);
}

APPLIBS_INTERPOSER int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags, struct timespec *timeout)
{
    return netshim_recvmmsg(fd, v, n, flags, timeout);
}

APPLIBS_INTERPOSER ssize_t read(int fd, void *buf, size_t len)
{
    return netshim_read(fd, buf, len);
}

/* ---- sending --------------------------------------------------------------------------------- */

APPLIBS_INTERPOSER ssize_t sendto(int fd, const void *buf, size_t len, int flags, __CONST_SOCKADDR_ARG addr,
                                  socklen_t addrlen)
{
    return netshim_sendto(fd, buf, len, flags, SOCKADDR_OF(addr), addrlen);
}

APPLIBS_INTERPOSER ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    return netshim_send(fd, buf, len, flags);
}

APPLIBS_INTERPOSER ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
    return netshim_sendmsg(fd, m, flags);
}

APPLIBS_INTERPOSER int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
    return netshim_sendmmsg(fd, v, n, flags);
}

APPLIBS_INTERPOSER ssize_t write(int fd, const void *buf, size_t len)
{
    return netshim_write(fd, buf, len);
}

/* ---- the device's clock (devclock.c) --------------------------------------------------------- */

APPLIBS_INTERPOSER int clock_gettime(clockid_t id, struct timespec *ts)
{
    return devclock_gettime(id, ts);
}

APPLIBS_INTERPOSER int clock_settime(clockid_t id, const struct timespec *ts)
{
    return devclock_settime(id, ts);
}

APPLIBS_INTERPOSER time_t time(time_t *out)
{
    struct timespec ts;
    if (devclock_gettime(CLOCK_REALTIME, &ts) < 0)
        return (time_t)-1;
    if (out)
        *out = ts.tv_sec;
    return ts.tv_sec;
}

APPLIBS_INTERPOSER int gettimeofday(struct timeval *__restrict tv, void *__restrict tz)
{
    (void)tz;
    struct timespec ts;
    if (devclock_gettime(CLOCK_REALTIME, &ts) < 0)
        return -1;
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
    return 0;
}

/* ---- the resolver (devdns.c) ----------------------------------------------------------------- */

APPLIBS_INTERPOSER int res_query(const char *name, int class, int type, unsigned char *answer, int size)
{
    return devdns_query(name, class, type, answer, size);
}

APPLIBS_INTERPOSER int res_search(const char *name, int class, int type, unsigned char *answer, int size)
{
    return devdns_search(name, class, type, answer, size);
}

APPLIBS_INTERPOSER int res_send(const unsigned char *msg, int len, unsigned char *answer, int size)
{
    return devdns_send(msg, len, answer, size);
}

/* The res_state forms: glibc's prototypes (res_state is struct __res_state *). */
APPLIBS_INTERPOSER int res_nquery(struct __res_state *statp, const char *name, int class, int type,
                                  unsigned char *answer, int size)
{
    return devdns_nquery(statp, name, class, type, answer, size);
}

APPLIBS_INTERPOSER int res_nsearch(struct __res_state *statp, const char *name, int class, int type,
                                   unsigned char *answer, int size)
{
    return devdns_nsearch(statp, name, class, type, answer, size);
}

APPLIBS_INTERPOSER int res_nsend(struct __res_state *statp, const unsigned char *msg, int len, unsigned char *answer,
                                 int size)
{
    return devdns_nsend(statp, msg, len, answer, size);
}
