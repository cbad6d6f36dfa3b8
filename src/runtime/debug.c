/* SPDX-License-Identifier: MIT */
/* debug.c — gdbserver for high-level apps (see debug.h). */
#include "debug.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int listen_on(uint16_t port, int *fd, uint16_t *got)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return -errno;
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(s, 1) < 0 ||
        getsockname(s, (struct sockaddr *)&sa, &len) < 0) {
        int err = -errno;
        close(s);
        return err;
    }
    *fd = s;
    *got = ntohs(sa.sin_port);
    return 0;
}

int debug_listen(uint16_t preferred, int *fd, uint16_t *port)
{
    if (preferred && listen_on(preferred, fd, port) == 0)
        return 0;
    return listen_on(0, fd, port);
}

int debug_spawn_gdbserver(const char *gdbserver, int conn, pid_t app_pid, int err_fd, pid_t *pid, int *pidfd)
{
    char pidtext[16];
    snprintf(pidtext, sizeof pidtext, "%d", (int)app_pid);
    pid_t child = fork();
    if (child < 0)
        return -errno;
    if (child == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int flags = fcntl(conn, F_GETFL);
        if (flags >= 0)
            fcntl(conn, F_SETFL, flags & ~O_NONBLOCK);
        if (dup2(conn, 0) < 0 || dup2(conn, 1) < 0 || dup2(err_fd, 2) < 0)
            _exit(126);
        syscall(SYS_close_range, 3, ~0U, 0);
        execl(gdbserver, "gdbserver", "--attach", "stdio", pidtext, (char *)NULL);
        dprintf(2, "cannot run %s: %s\n", gdbserver, strerror(errno));
        _exit(127);
    }
    int pfd = (int)syscall(SYS_pidfd_open, child, 0);
    if (pfd < 0) {
        int err = -errno;
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        return err;
    }
    fcntl(pfd, F_SETFD, FD_CLOEXEC);
    *pid = child;
    *pidfd = pfd;
    return 0;
}
