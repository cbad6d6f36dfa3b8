/* SPDX-License-Identifier: MIT */
/* broker_client.c — requests to the device's broker (see broker_client.h). It talks on the
 * system calls themselves (broker_sys_*), never through send()/recvmsg(): those are libapplibs'
 * own interposers (interpose.c), whose logic (netshim.c) asks the broker in turn. */
#include "broker_client.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;

/* send(BROKER_FD, …) without the interposer: the whole request or -1 with errno. */
static ssize_t broker_sys_send(const void *buf, size_t len, int flags)
{
    return syscall(SYS_sendto, BROKER_FD, buf, len, flags, NULL, 0);
}

/* recvmsg(BROKER_FD, …) without the interposer. */
static ssize_t broker_sys_recvmsg(struct msghdr *msg, int flags)
{
    return syscall(SYS_recvmsg, BROKER_FD, msg, flags);
}

/* getsockopt(BROKER_FD, SOL_SOCKET, …) of an int without the interposer. */
static int broker_sys_socket_int(int name, int *value)
{
    socklen_t len = sizeof *value;
    return (int)syscall(SYS_getsockopt, BROKER_FD, SOL_SOCKET, name, value, &len);
}

/* sendmsg(BROKER_FD, …) without the interposer. */
static ssize_t broker_sys_sendmsg(const struct msghdr *msg, int flags)
{
    return syscall(SYS_sendmsg, BROKER_FD, msg, flags);
}

/* Sends the request, with `send_fd` attached when >= 0 (SCM_RIGHTS). */
static ssize_t send_request(const struct broker_request *q, int send_fd)
{
    if (send_fd < 0)
        return broker_sys_send(q, sizeof *q, MSG_NOSIGNAL);
    struct iovec iov = {.iov_base = (void *)q, .iov_len = sizeof *q};
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &send_fd, sizeof send_fd);
    return broker_sys_sendmsg(&msg, MSG_NOSIGNAL);
}

static int broker_call(struct broker_request *q, struct broker_reply *r, int *fd, int send_fd);

int applibs_broker_call(struct broker_request *q, struct broker_reply *r, int *fd)
{
    return broker_call(q, r, fd, -1);
}

int applibs_broker_call_with_fd(struct broker_request *q, struct broker_reply *r, int send_fd)
{
    return broker_call(q, r, NULL, send_fd);
}

static int broker_call(struct broker_request *q, struct broker_reply *r, int *fd, int send_fd)
{
    if (fd)
        *fd = -1;
    q->version = BROKER_VERSION;
    memset(r, 0, sizeof *r);
    pthread_mutex_lock(&call_lock);
    ssize_t n = send_request(q, send_fd);
    int result = n == sizeof *q ? 0 : -ENOTCONN;
    if (!result) {
        struct iovec iov = {.iov_base = r, .iov_len = sizeof *r};
        char control[CMSG_SPACE(sizeof(int))];
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
        do
            n = broker_sys_recvmsg(&msg, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n != sizeof *r) {
            result = -ENOTCONN;
        } else {
            result = r->result;
            struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
            if (c && c->cmsg_type == SCM_RIGHTS && fd)
                memcpy(fd, CMSG_DATA(c), sizeof(int));
        }
    }
    pthread_mutex_unlock(&call_lock);
    return result;
}

int applibs_result(int result, int value)
{
    if (result < 0) {
        errno = -result;
        return -1;
    }
    return value;
}

bool applibs_broker_present(void)
{
    int saved = errno, domain = 0, type = 0;
    bool device = broker_sys_socket_int(SO_DOMAIN, &domain) == 0 && domain == AF_UNIX &&
                  broker_sys_socket_int(SO_TYPE, &type) == 0 && type == SOCK_SEQPACKET;
    errno = saved;
    return device;
}

/* Before main: an app started for debugging waits here until the device's gdbserver has
 * attached (the device answers only then); otherwise the answer comes at once. Outside a device
 * the call fails at once (no broker). */
__attribute__((constructor)) static void applibs_wait_for_debugger(void)
{
    if (!applibs_broker_present())
        return;
    int saved = errno;
    struct broker_request q = {.op = BROKER_DEBUG_WAIT};
    struct broker_reply r;
    applibs_broker_call(&q, &r, NULL);
    errno = saved;
}
