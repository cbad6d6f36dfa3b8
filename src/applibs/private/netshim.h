/* SPDX-License-Identifier: MIT */
/* netshim.h — the logic behind libapplibs' C library entry points (netshim.c). Internal to
 * libapplibs: interpose.c defines socket(), connect(), … write() as calls of these.
 *
 * Each netshim_X has the C library's X contract (arguments, result, errno) and, inside a device,
 * the confinement rules netshim.c's header lists (docs/network.md, "Plain sockets"); outside a
 * device (no broker on fd 3) each is the C library's own X. Thread-safe. */
#ifndef OPENSPHERE_APPLIBS_NETSHIM_H
#define OPENSPHERE_APPLIBS_NETSHIM_H

#include <netdb.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

int netshim_socket(int domain, int type, int protocol);
int netshim_connect(int fd, const struct sockaddr *addr, socklen_t len);
int netshim_bind(int fd, const struct sockaddr *addr, socklen_t len);
int netshim_listen(int fd, int backlog);
int netshim_setsockopt(int fd, int level, int name, const void *value, socklen_t len);
int netshim_getsockopt(int fd, int level, int name, void *value, socklen_t *len);
int netshim_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int netshim_getpeername(int fd, struct sockaddr *addr, socklen_t *len);

int netshim_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res);
void netshim_freeaddrinfo(struct addrinfo *ai);

ssize_t netshim_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr, socklen_t *addrlen);
ssize_t netshim_recv(int fd, void *buf, size_t len, int flags);
ssize_t netshim_recvmsg(int fd, struct msghdr *m, int flags);
int netshim_recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags, struct timespec *timeout);
ssize_t netshim_read(int fd, void *buf, size_t len);

ssize_t netshim_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr, socklen_t addrlen);
ssize_t netshim_send(int fd, const void *buf, size_t len, int flags);
ssize_t netshim_sendmsg(int fd, const struct msghdr *m, int flags);
int netshim_sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags);
ssize_t netshim_write(int fd, const void *buf, size_t len);

#endif
