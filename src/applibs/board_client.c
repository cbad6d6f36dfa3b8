/* SPDX-License-Identifier: MIT */
/* board_client.c — requests on board handles (see board_client.h). */
#include "board_client.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>

#include "broker_client.h"

static atomic_uint next_seq = 1;

int board_client_call(int fd, uint32_t op, uint32_t addr, uint32_t arg, const struct iovec *out, int out_count,
                      const struct iovec *in, int in_count, uint32_t *value)
{
    struct board_wire_request q = {.magic = BOARD_WIRE_MAGIC, .seq = atomic_fetch_add(&next_seq, 1), .op = op,
                                   .addr = addr, .arg = arg};
    struct iovec iov[1 + 258];
    if (out_count > 257 || in_count > 257)
        return -EINVAL;
    iov[0] = (struct iovec){&q, sizeof q};
    for (int i = 0; i < out_count; i++) {
        iov[1 + i] = out[i];
        q.write_len += (uint32_t)out[i].iov_len;
    }
    for (int i = 0; i < in_count; i++)
        q.read_len += (uint32_t)in[i].iov_len;
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)(1 + out_count)};
    if (sendmsg(fd, &m, MSG_NOSIGNAL) < 0)
        return errno == ENOTSOCK || errno == EBADF || errno == EPIPE || errno == ECONNRESET ? -EBADF : -errno;
    struct board_wire_reply r;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, 30000);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            return ready ? -errno : -ETIMEDOUT;
        iov[0] = (struct iovec){&r, sizeof r};
        for (int i = 0; i < in_count; i++)
            iov[1 + i] = in[i];
        m = (struct msghdr){.msg_iov = iov, .msg_iovlen = (size_t)(1 + in_count)};
        ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);
        if (n == 0)
            return -EBADF; /* the board has gone */
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            return errno == ECONNRESET ? -EBADF : -errno; /* the board released the handle */
        }
        /* skip what is not our reply: a read-ahead for plain read(), an abandoned reply */
        if ((size_t)n >= sizeof r && r.magic == BOARD_WIRE_MAGIC && r.seq == q.seq)
            break;
    }
    if (value)
        *value = r.value;
    return r.result < 0 ? r.result : (int)r.len;
}

int board_client_simple(int fd, uint32_t op, uint32_t addr, uint32_t arg, uint32_t *value)
{
    int rc = board_client_call(fd, op, addr, arg, NULL, 0, NULL, 0, value);
    return rc < 0 ? rc : 0;
}

int board_client_open(uint32_t op, int a, int b, int c)
{
    struct broker_request q = {.op = op, .a = a, .b = b, .c = c};
    struct broker_reply r;
    int fd;
    int result = applibs_broker_call(&q, &r, &fd);
    return applibs_result(result, fd);
}
