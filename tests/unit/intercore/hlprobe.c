/* SPDX-License-Identifier: MIT */
/* hlprobe.c — a high-level test app for tests/cli/test_intercore.sh. argv[1] is the partner's
 * component ID, then one command; results go to the device log as "ICP <result>".
 *   connect        Application_Connect's result: "ICP connect ok" or "ICP connect <ERRNO>"
 *   roundtrip      "abc" -> "ABC", 1040 bytes both ways, 1041 refused with EMSGSIZE
 *   backpressure   send (non-blocking) without reading until EAGAIN, then read every reply in order
 *   stream         one round trip every 100 ms; reports closes and reconnects (restart tests)
 *   bench N        N round trips of 64 bytes: "ICP bench N round trips in T us" */
#include <applibs/application.h>
#include <applibs/log.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *errname(int e)
{
    switch (e) {
    case EACCES: return "EACCES";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EINVAL: return "EINVAL";
    case EMSGSIZE: return "EMSGSIZE";
    case EPIPE: return "EPIPE";
    case ECONNRESET: return "ECONNRESET";
    case EAGAIN: return "EAGAIN";
    default: return strerror(e);
    }
}

static int fail(const char *what)
{
    Log_Debug("ICP %s FAILED (%s)\n", what, errname(errno));
    return 1;
}

/* Sends msg and waits up to 3 s for the reply. Returns its length, 0 closed, -1 error/timeout. */
static ssize_t round_trip(int fd, const void *msg, size_t len, char *reply, size_t cap)
{
    if (send(fd, msg, len, 0) < 0)
        return -1;
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 3000) <= 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    return recv(fd, reply, cap, 0);
}

static int roundtrip(int fd)
{
    static char big[1041], reply[2048];
    ssize_t n = round_trip(fd, "abc", 3, reply, sizeof reply);
    if (n != 3 || memcmp(reply, "ABC", 3))
        return fail("roundtrip small");
    memset(big, 'q', sizeof big);
    n = round_trip(fd, big, 1040, reply, sizeof reply);
    for (ssize_t i = 0; i < n; i++)
        if (reply[i] != 'Q')
            return fail("roundtrip max content");
    if (n != 1040)
        return fail("roundtrip max size");
    Log_Debug("ICP roundtrip ok\n");
    errno = 0;
    n = send(fd, big, 1041, 0);
    Log_Debug("ICP over %s\n", n < 0 ? errname(errno) : "accepted");
    n = round_trip(fd, "after", 5, reply, sizeof reply);
    Log_Debug("ICP after-over %s\n", n == 5 && !memcmp(reply, "AFTER", 5) ? "ok" : "broken");
    return 0;
}

static int backpressure(int fd)
{
    fcntl(fd, F_SETFL, O_NONBLOCK);
    char msg[64], reply[2048];
    int sent = 0;
    for (; sent < 100000; sent++) {
        snprintf(msg, sizeof msg, "m%06d", sent);
        if (send(fd, msg, 64, 0) < 0)
            break;
    }
    if (sent == 100000 || errno != EAGAIN)
        return fail("backpressure: sends never blocked");
    Log_Debug("ICP backpressure blocked after %d messages\n", sent);
    int got = 0;
    while (got < sent) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 3000) <= 0)
            break;
        ssize_t n = recv(fd, reply, sizeof reply, 0);
        if (n != 64)
            break;
        snprintf(msg, sizeof msg, "M%06d", got);
        if (memcmp(reply, msg, 7))
            return fail("backpressure: a reply out of order");
        got++;
    }
    Log_Debug("ICP backpressure sent %d got %d\n", sent, got);
    return 0;
}

static int stream(const char *partner, int fd)
{
    char msg[32], reply[64];
    for (int n = 0;; n++) {
        int len = snprintf(msg, sizeof msg, "s%d", n);
        ssize_t got = round_trip(fd, msg, (size_t)len, reply, sizeof reply);
        if (got == len) {
            if (n % 10 == 0)
                Log_Debug("ICP stream %d ok\n", n);
        } else {
            Log_Debug("ICP stream closed (%s)\n", got == 0 ? "EOF" : errname(errno));
            close(fd);
            while ((fd = Application_Connect(partner)) < 0)
                usleep(50000);
            Log_Debug("ICP stream reconnected\n");
        }
        usleep(100000);
    }
}

static int bench(int fd, int count)
{
    char msg[64] = "benchmark payload", reply[128];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < count; i++)
        if (round_trip(fd, msg, sizeof msg, reply, sizeof reply) != sizeof msg)
            return fail("bench");
    clock_gettime(CLOCK_MONOTONIC, &b);
    long long us = (b.tv_sec - a.tv_sec) * 1000000LL + (b.tv_nsec - a.tv_nsec) / 1000;
    Log_Debug("ICP bench %d round trips in %lld us\n", count, us);
    return 0;
}

int main(int argc, char *argv[])
{
    if (argc < 3)
        return 2;
    const char *partner = argv[1], *cmd = argv[2];
    int fd = Application_Connect(partner);
    /* Except for "connect", wait up to 10 s for a partner that is still (re)starting. */
    for (int i = 0; fd < 0 && errno == ECONNREFUSED && strcmp(cmd, "connect") && i < 200; i++) {
        usleep(50000);
        fd = Application_Connect(partner);
    }
    if (!strcmp(cmd, "connect")) {
        Log_Debug("ICP connect %s\n", fd >= 0 ? "ok" : errname(errno));
    } else if (fd < 0) {
        return fail(cmd);
    } else if (!strcmp(cmd, "roundtrip")) {
        roundtrip(fd);
    } else if (!strcmp(cmd, "backpressure")) {
        backpressure(fd);
    } else if (!strcmp(cmd, "stream")) {
        stream(partner, fd);
    } else if (!strcmp(cmd, "bench")) {
        bench(fd, argc > 3 ? atoi(argv[3]) : 1000);
    }
    for (;;)
        pause();
}
