/* SPDX-License-Identifier: MIT */
/* netcfg_sntp.c — SNTP client and responder (see netcfg_sntp.h). */
#include "netcfg_sntp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"

#define NTP_PACKET 48
#define NTP_UNIX_DELTA 2208988800ull /* seconds from 1900 to 1970 */

static int64_t host_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void put_timestamp(uint8_t *p, int64_t unix_ns)
{
    uint64_t secs = (uint64_t)(unix_ns / 1000000000) + NTP_UNIX_DELTA;
    uint64_t frac = ((uint64_t)(unix_ns % 1000000000) << 32) / 1000000000u;
    bytes_put_be32(p, (uint32_t)secs);
    bytes_put_be32(p + 4, (uint32_t)frac);
}

static int64_t get_timestamp(const uint8_t *p)
{
    uint64_t secs = bytes_be32(p), frac = bytes_be32(p + 4);
    return ((int64_t)secs - (int64_t)NTP_UNIX_DELTA) * 1000000000 + (int64_t)((frac * 1000000000u) >> 32);
}

int netcfg_sntp_query(const char *server, int timeout_ms, int64_t *server_ns, int64_t *host_ns)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *res = NULL;
    if (getaddrinfo(server, "123", &hints, &res) || !res)
        return -ENOENT;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        freeaddrinfo(res);
        return -errno;
    }
    int err = connect(s, res->ai_addr, res->ai_addrlen) < 0 ? -errno : 0;
    freeaddrinfo(res);
    uint8_t q[NTP_PACKET] = {0x23}, a[NTP_PACKET + 16]; /* LI 0, version 4, mode 3 (client) */
    int64_t sent = host_now_ns();
    put_timestamp(q + 40, sent);
    if (!err && send(s, q, sizeof q, 0) != (ssize_t)sizeof q)
        err = -errno;
    struct pollfd p = {.fd = s, .events = POLLIN};
    while (!err) {
        int n = poll(&p, 1, timeout_ms);
        if (n == 0) {
            err = -ETIMEDOUT;
            break;
        }
        ssize_t got = n < 0 ? -1 : recv(s, a, sizeof a, 0);
        if (got < 0) {
            err = -errno;
            break;
        }
        int64_t arrived = host_now_ns();
        /* a server's answer (mode 4) to this request (origin = our transmit), with a stratum */
        if (got < NTP_PACKET || (a[0] & 7) != 4 || a[1] == 0 || a[1] > 15 || memcmp(a + 24, q + 40, 8))
            continue;
        int64_t t2 = get_timestamp(a + 32), t3 = get_timestamp(a + 40);
        int64_t rtt = (arrived - sent) - (t3 - t2);
        *server_ns = t3 + (rtt > 0 ? rtt / 2 : 0);
        *host_ns = arrived;
        break;
    }
    close(s);
    return err;
}

struct netcfg_sntp_server {
    int sock, wake[2];
    pthread_t thread;
    int64_t (*now_ns)(void);
};

static void *serve(void *arg)
{
    struct netcfg_sntp_server *s = arg;
    for (;;) {
        struct pollfd p[2] = {{.fd = s->sock, .events = POLLIN}, {.fd = s->wake[0], .events = POLLIN}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        if (!(p[0].revents & POLLIN))
            continue;
        uint8_t q[NTP_PACKET + 64];
        struct sockaddr_in from;
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(s->sock, q, sizeof q, 0, (struct sockaddr *)&from, &len);
        int64_t received = s->now_ns();
        if (n < NTP_PACKET || (q[0] & 7) != 3) /* client requests only */
            continue;
        uint8_t a[NTP_PACKET] = {0};
        a[0] = (uint8_t)((q[0] & 0x38) | 4); /* LI 0, the client's version, mode 4 (server) */
        a[1] = 1;                            /* stratum 1: the device's clock is the reference */
        a[2] = q[2];
        a[3] = (uint8_t)-20; /* precision ~1 µs */
        memcpy(a + 12, "OSPH", 4);
        put_timestamp(a + 16, received);
        memcpy(a + 24, q + 40, 8); /* origin = the client's transmit */
        put_timestamp(a + 32, received);
        put_timestamp(a + 40, s->now_ns());
        sendto(s->sock, a, sizeof a, 0, (struct sockaddr *)&from, len);
    }
    return NULL;
}

int netcfg_sntp_serve(uint32_t addr, uint16_t port, int64_t (*now_ns)(void), struct netcfg_sntp_server **handle)
{
    struct netcfg_sntp_server *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->now_ns = now_ns;
    s->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = addr, .sin_port = htons(port)};
    int err = s->sock < 0 || bind(s->sock, (struct sockaddr *)&sa, sizeof sa) < 0 || pipe2(s->wake, O_CLOEXEC) < 0 ? -errno : 0;
    if (!err)
        err = -pthread_create(&s->thread, NULL, serve, s);
    if (err) {
        if (s->sock >= 0)
            close(s->sock);
        free(s);
        return err;
    }
    *handle = s;
    return 0;
}

void netcfg_sntp_stop(struct netcfg_sntp_server *s)
{
    if (!s)
        return;
    (void)!write(s->wake[1], "x", 1);
    pthread_join(s->thread, NULL);
    close(s->sock);
    close(s->wake[0]);
    close(s->wake[1]);
    free(s);
}
