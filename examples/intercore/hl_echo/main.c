/* SPDX-License-Identifier: MIT */
/* main.c — hl_echo: the high-level half of the inter-core echo example. Connects to the RTApp
 * named by its first argument (the rt_echo example), sends "hello from hl_echo N" once a second
 * and logs the reply ("HELLO FROM HL_ECHO N"). Waits and reconnects while the RTApp is absent,
 * stopped or restarting. */
#include <applibs/application.h>
#include <applibs/log.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
    const char *partner = argc > 1 ? argv[1] : "0e5c9a7b-3d2f-4b1a-9c8e-7f6d5e4c3b2a";
    for (unsigned n = 1;; n++) {
        int fd = Application_Connect(partner);
        if (fd < 0) {
            Log_Debug("hl_echo: cannot connect to %s: %s\n", partner, strerror(errno));
            sleep(1);
            continue;
        }
        for (;; n++) {
            char msg[64], reply[1040 + 1];
            int len = snprintf(msg, sizeof msg, "hello from hl_echo %u", n);
            if (send(fd, msg, (size_t)len, 0) < 0)
                break;
            struct pollfd p = {fd, POLLIN, 0};
            if (poll(&p, 1, 2000) <= 0) {
                Log_Debug("hl_echo: no reply to '%s'\n", msg);
                continue;
            }
            ssize_t got = recv(fd, reply, sizeof reply - 1, 0);
            if (got <= 0)
                break;
            reply[got] = '\0';
            Log_Debug("hl_echo: sent '%s', got '%s'\n", msg, reply);
            sleep(1);
        }
        Log_Debug("hl_echo: the connection closed; reconnecting\n");
        close(fd);
        sleep(1);
    }
}
