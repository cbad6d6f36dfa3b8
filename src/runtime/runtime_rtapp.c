/* SPDX-License-Identifier: MIT */
/*
 * runtime_rtapp.c — RTApps in the supervisor (docs/rtcore.md, docs/intercore.md).
 *
 * An RTApp runs in its own sphere-rtcore helper, not a container: this file starts it (control
 * socket on the helper's fd 3, diagnostics through a pipe, the GDB stub's listening socket as
 * fd 4 when debugging), reads the helper's events with rtcore_ctl_event_parse() and acts on them
 * (start once loaded, log lines, GPIO outputs mirrored onto the board, state changes), and stops
 * it. It also runs the inter-core channel: one connected high-level app per RTApp, a
 * SOCK_SEQPACKET socket on the app's side and msg-in / msg-out lines on the helper's, one
 * message in flight per direction (back-pressure both ways). Everything runs on the supervisor
 * thread; the peer fields that on_status reads are written under rt->lock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rtcore_ctl.h"
#include "runtime_int.h"

static void release_rt_gpios(struct app *a)
{
    for (size_t i = 0; i < a->gpio_count; i++)
        close(a->gpio_fds[i]);
    a->gpio_count = 0;
}

void runtime_rtapp_stop(struct app *a)
{
    ssize_t w = a->broker_fd >= 0 ? write(a->broker_fd, "stop\n", 5) : -1;
    (void)w;
}

/* Starts an RTApp: sphere-rtcore loads the package's ELF and waits on its control socket
 * (fd 3); its own diagnostics go to the log through a pipe (docs/rtcore.md). */
void runtime_rtapp_start(struct runtime *rt, struct app *a, size_t index)
{
    int ctl[2] = {-1, -1}, errp[2] = {-1, -1};
    pthread_mutex_lock(&rt->lock);
    int gdb = a->debug_wanted ? a->gdb_fd : -1;
    a->debug_running = gdb >= 0;
    pthread_mutex_unlock(&rt->lock);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
        runtime_log_app(rt, a, "cannot start %s: %s", a->name, strerror(errno));
        for (int i = 0; i < 2; i++) {
            if (ctl[i] >= 0) close(ctl[i]);
            if (errp[i] >= 0) close(errp[i]);
        }
        a->phase = PHASE_BACKOFF;
        runtime_arm_timer(a, BACKOFF_MAX_MS);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        int high = gdb >= 0 ? fcntl(gdb, F_DUPFD, 10) : -1; /* out of the way of 0-4 */
        if (null < 0 || dup2(null, 0) < 0 || dup2(errp[1], 1) < 0 || dup2(errp[1], 2) < 0 || dup2(ctl[1], 3) < 0 ||
            (gdb >= 0 && (high < 0 || dup2(high, 4) < 0)))
            _exit(126);
        syscall(SYS_close_range, gdb >= 0 ? 5 : 4, ~0U, 0);
        if (gdb >= 0)
            execl(rt->rtcore_helper, "sphere-rtcore", "--image-package", a->image_path, "--control-fd", "3",
                  "--gdb-listen-fd", "4", (char *)NULL);
        else
            execl(rt->rtcore_helper, "sphere-rtcore", "--image-package", a->image_path, "--control-fd", "3", (char *)NULL);
        _exit(127);
    }
    close(ctl[1]);
    close(errp[1]);
    if (pid < 0) {
        close(ctl[0]), close(errp[0]);
        a->phase = PHASE_BACKOFF;
        runtime_arm_timer(a, BACKOFF_MAX_MS);
        return;
    }
    a->init_pid = pid;
    a->broker_fd = ctl[0];
    a->err_fd = errp[0];
    a->ctl_len = 0;
    a->peers_sent = 0;
    runtime_watch(rt, a->broker_fd, runtime_tag(TAG_BROKER, index));
    runtime_watch(rt, a->err_fd, runtime_tag(TAG_STDERR, index));
    clock_gettime(CLOCK_MONOTONIC, &a->started);
    a->phase = PHASE_RUNNING;
    runtime_disarm_timer(a);
    runtime_log_app(rt, a, "started %s on a real-time core (component %s)", a->name, a->cid_text);
}

/* ---- inter-core: HL app socket <-> the RTApp helper's rings (docs/intercore.md) ------------ */

/* Watches the RTApp's peer socket for what it can take now: the app's next message only when
 * none is in flight (back-pressure) and the helper does not read the socket itself, room only
 * while a message from the core is held. */
static void peer_events(struct runtime *rt, struct app *a, size_t index)
{
    if (a->peer_fd < 0)
        return;
    uint32_t want = (a->in_flight || a->peer_direct ? 0 : EPOLLIN) | (a->out_held ? EPOLLOUT : 0);
    if (!want) {
        if (a->peer_watched)
            epoll_ctl(rt->epoll_fd, EPOLL_CTL_DEL, a->peer_fd, NULL);
        a->peer_watched = false;
        return;
    }
    struct epoll_event ev = {.events = want, .data.u64 = runtime_tag(TAG_PEER, index)};
    epoll_ctl(rt->epoll_fd, a->peer_watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, a->peer_fd, &ev);
    a->peer_watched = true;
}

static void peer_close(struct runtime *rt, struct app *a)
{
    if (a->peer_fd >= 0) {
        if (a->peer_watched)
            epoll_ctl(rt->epoll_fd, EPOLL_CTL_DEL, a->peer_fd, NULL);
        close(a->peer_fd);
    }
    pthread_mutex_lock(&rt->lock);
    a->peer_fd = -1;
    pthread_mutex_unlock(&rt->lock);
    a->peer_watched = a->in_flight = a->out_held = a->peer_direct = false;
}

static void ctl_send(struct app *a, const char *text, size_t len)
{
    for (size_t done = 0; a->broker_fd >= 0 && done < len;) {
        ssize_t w = send(a->broker_fd, text + done, len - done, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* the helper is gone; its EOF ends the app */
        done += (size_t)w;
    }
}

/* Hands a copy of the channel's socket to the helper ("peer <cid>" with SCM_RIGHTS): from then
 * on the helper reads the app's messages and writes the core's blocks itself, and the device
 * only keeps its copy to close the channel. False (the device relays, as before) if the helper
 * could not be told. */
static bool peer_hand_over(struct app *a, int fd)
{
    char line[8 + GUID_TEXT_LEN + 2];
    int len = snprintf(line, sizeof line, "peer %s\n", a->peer_text);
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {line, (size_t)len};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                       .msg_controllen = sizeof control.space};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    ssize_t w;
    do
        w = a->broker_fd >= 0 ? sendmsg(a->broker_fd, &m, MSG_NOSIGNAL) : -1;
    while (w < 0 && errno == EINTR);
    if (w <= 0)
        return false;
    if (w < len) /* a partial line: finish it (the descriptor went with its first byte) */
        ctl_send(a, line + w, (size_t)(len - w));
    a->peers_sent++;
    return true;
}

/* The high-level app sent a message (or hung up): pass it to the core's helper. */
static void peer_readable(struct runtime *rt, struct app *a, size_t index)
{
    unsigned char msg[BROKER_INTERCORE_MAX_PAYLOAD + 1];
    ssize_t n = recv(a->peer_fd, msg, sizeof msg, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        runtime_log_app(rt, a, "the high-level app %s closed its connection to %s", a->peer_text, a->name);
        peer_close(rt, a);
        return;
    }
    if (n > BROKER_INTERCORE_MAX_PAYLOAD) {
        a->dropped++;
        runtime_log_app(rt, a, "dropped a %zd-byte message from %s: more than %d bytes", n, a->peer_text,
                 BROKER_INTERCORE_MAX_PAYLOAD);
        return;
    }
    char line[16 + GUID_TEXT_LEN + 2 * BROKER_INTERCORE_MAX_PAYLOAD];
    int len = snprintf(line, sizeof line, "msg-in %s ", a->peer_text);
    rtcore_ctl_hex(msg, (size_t)n, line + len);
    len += 2 * (int)n;
    line[len++] = '\n';
    a->in_flight = true;
    peer_events(rt, a, index);
    ctl_send(a, line, (size_t)len);
}

/* Delivers the held message from the core; true when done (sent, or the app is gone). */
static bool peer_deliver(struct runtime *rt, struct app *a)
{
    ssize_t w = send(a->peer_fd, a->out_msg, a->out_msg_len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w < 0 && (errno == EAGAIN || errno == ENOBUFS || errno == EINTR))
        return false;
    if (w < 0) {
        a->dropped++;
        peer_close(rt, a);
    } else {
        a->from_rt++;
    }
    return true;
}

/* "msg-out <cid> <hex>" from the helper (ev, or malformed: ev->args as sent): the core sent a
 * block addressed to <cid>. Every msg-out is answered with msg-out-ack once delivered or
 * dropped. */
static void rt_msg_out(struct runtime *rt, struct app *a, size_t index, const struct rtcore_ctl_event *ev, bool ok)
{
    char to[37] = "";
    ok = ok && ev->len <= sizeof a->out_msg;
    if (ok) {
        rtcore_ctl_cid_format(ev->cid, to);
        memcpy(a->out_msg, ev->data, ev->len);
        a->out_msg_len = ev->len;
    } else {
        snprintf(to, sizeof to, "%.*s", (int)ev->args_len, ev->args);
    }
    if (!ok || a->peer_fd < 0 || strcasecmp(to, a->peer_text) != 0) {
        a->dropped++;
        runtime_log_app(rt, a, "dropped a message from %s to %.36s: %s", a->name, to,
                        !ok ? "malformed" : a->peer_fd < 0 ? "no high-level app is connected" : "not the connected high-level app");
        ctl_send(a, "msg-out-ack\n", 12);
        return;
    }
    if (peer_deliver(rt, a)) {
        ctl_send(a, "msg-out-ack\n", 12);
        return;
    }
    a->out_held = true; /* back-pressure: the core's ring fills up while the app does not read */
    peer_events(rt, a, index);
}

void runtime_rtapp_on_peer(struct runtime *rt, struct app *a, size_t index, uint32_t events)
{
    if ((events & EPOLLOUT) && a->out_held && peer_deliver(rt, a)) {
        a->out_held = false;
        ctl_send(a, "msg-out-ack\n", 12);
    }
    if (a->peer_fd >= 0 && !a->in_flight && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        peer_readable(rt, a, index);
    peer_events(rt, a, index);
}

static bool lists_connection(const struct json_value *manifest, const char *cid_text)
{
    const struct json_value *list = json_object_get(json_object_get(manifest, "Capabilities"), "AllowedApplicationConnections");
    for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.array.count; i++) {
        const struct json_value *v = list->u.array.items[i];
        if (v->type == JSON_STRING && !strcasecmp(v->u.string.chars, cid_text))
            return true;
    }
    return false;
}

/* BROKER_APP_CONNECT: a high-level app asks for a channel to an RTApp. */
int runtime_rtapp_connect(struct runtime *rt, struct app *a, const char *text, int *fd)
{
    struct guid target;
    char target_text[GUID_TEXT_LEN + 1];
    if (guid_parse(text, &target))
        return -EINVAL;
    guid_format(&target, target_text);
    if (!lists_connection(a->manifest, target_text))
        return -EACCES; /* the caller's manifest does not list the partner */
    size_t ti;
    struct app *t = runtime_find_app(rt, &target, &ti);
    if (!t || !t->present || !t->manifest)
        return -ECONNREFUSED; /* not installed */
    if (!t->realtime || t == a)
        return -EACCES; /* only high-level <-> real-time */
    if (!lists_connection(t->manifest, a->cid_text))
        return -EACCES; /* the RTApp's manifest does not list the caller */
    if (t->phase != PHASE_RUNNING || t->broker_fd < 0)
        return -ECONNREFUSED; /* installed but not running */
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    if (t->peer_fd >= 0)
        runtime_log_app(rt, t, "%s reconnected to %s: the previous connection is closed", a->name, t->name);
    peer_close(rt, t);
    pthread_mutex_lock(&rt->lock);
    t->peer_fd = sv[0];
    t->peer_cid = a->cid;
    memcpy(t->peer_text, a->cid_text, sizeof t->peer_text);
    pthread_mutex_unlock(&rt->lock);
    t->peer_direct = peer_hand_over(t, sv[0]);
    peer_events(rt, t, ti);
    runtime_log_app(rt, t, "%s connected to %s", a->name, t->name);
    *fd = sv[1];
    return 0;
}

/* The app's init reported (or died): collect everything, decide on a restart. */

/* Mirrors an RTApp's GPIO output onto the board (the line is opened for it on first use). */
static void rt_gpio(struct runtime *rt, struct app *a, int n, int level)
{
    size_t i = 0;
    while (i < a->gpio_count && a->gpio_ids[i] != n)
        i++;
    if (i == a->gpio_count) {
        if (a->gpio_count == sizeof a->gpio_fds / sizeof a->gpio_fds[0])
            return;
        int fd = board_gpio_open_mirror(rt->board, n, level, &a->cid);
        if (fd < 0)
            return;
        a->gpio_fds[a->gpio_count] = fd;
        a->gpio_ids[a->gpio_count++] = n;
        return;
    }
    unsigned char msg[2] = {'S', (unsigned char)(level ? 1 : 0)};
    ssize_t w = send(a->gpio_fds[i], msg, sizeof msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)w;
}

static void rt_control_line(struct runtime *rt, struct app *a, size_t index, const char *line, size_t len)
{
    struct rtcore_ctl_event ev;
    bool ok = rtcore_ctl_event_parse(line, len, &ev) == 0;
    switch (ev.kind) {
    case RTCORE_CTL_EV_MSG_ACK:
        a->in_flight = false;
        a->to_rt++;
        peer_events(rt, a, index);
        break;
    case RTCORE_CTL_EV_MSG_OUT:
        rt_msg_out(rt, a, index, &ev, ok);
        break;
    case RTCORE_CTL_EV_PEER_CLOSED: /* the helper saw its peer hang up (ignored if since replaced) */
        if (ok && ev.peer == a->peers_sent && a->peer_fd >= 0 && a->peer_direct) {
            runtime_log_app(rt, a, "the high-level app %s closed its connection to %s", a->peer_text, a->name);
            peer_close(rt, a);
        }
        break;
    case RTCORE_CTL_EV_PEER_DROPPED:
        if (ok) {
            a->dropped++;
            runtime_log_app(rt, a, "dropped a %.*s-byte message from %s: more than %d bytes", (int)ev.text_len, ev.text,
                            a->peer_text, BROKER_INTERCORE_MAX_PAYLOAD);
        }
        break;
    case RTCORE_CTL_EV_MBOX_ERROR:
        if (!ok)
            break;
        runtime_log_app(rt, a, "%s: inter-core channel closed: %.*s", a->name, (int)ev.text_len, ev.text);
        peer_close(rt, a);
        break;
    case RTCORE_CTL_EV_STATE:
        if (ok && ev.state == RTCORE_CTL_STATE_LOADED) {
            ssize_t w = write(a->broker_fd, "start\n", 6);
            (void)w;
        } else if (ok && (ev.state == RTCORE_CTL_STATE_CRASHED || ev.state == RTCORE_CTL_STATE_EXITED)) {
            runtime_log_app(rt, a, "%s: %.*s", a->name, (int)ev.args_len, ev.args);
        }
        break;
    case RTCORE_CTL_EV_GDB_PORT:
        if (ok)
            runtime_log_app(rt, a, "%s waits for a debugger on 127.0.0.1:%d", a->name, ev.port);
        break;
    case RTCORE_CTL_EV_LOG:
        if (ok)
            applog_add(rt->log, &a->cid, "app", ev.text, ev.text_len);
        break;
    case RTCORE_CTL_EV_UART: /* the line keeps its "ISU<k> " prefix in the log */
        if (ok)
            applog_add(rt->log, &a->cid, "app", ev.args, ev.args_len);
        break;
    case RTCORE_CTL_EV_GPIO:
        if (ok && ev.gpio < BOARD_GPIO_COUNT)
            rt_gpio(rt, a, ev.gpio, ev.level);
        break;
    case RTCORE_CTL_EV_STATUS:
    case RTCORE_CTL_EV_ERROR:
    case RTCORE_CTL_EV_UNKNOWN:
        break;
    }
}

/* Reads the core's control socket; EOF means the helper is gone. */
void runtime_rtapp_control(struct runtime *rt, struct app *a, size_t index)
{
    ssize_t n = read(a->broker_fd, a->ctl_buf + a->ctl_len, sizeof a->ctl_buf - 1 - a->ctl_len);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        runtime_close_fd(rt, &a->broker_fd);
        runtime_app_ended(rt, a);
        return;
    }
    a->ctl_len += (size_t)n;
    char *start = a->ctl_buf, *end = a->ctl_buf + a->ctl_len, *nl;
    while ((nl = memchr(start, '\n', (size_t)(end - start)))) {
        rt_control_line(rt, a, index, start, (size_t)(nl - start));
        start = nl + 1;
    }
    a->ctl_len = (size_t)(end - start);
    memmove(a->ctl_buf, start, a->ctl_len);
    if (a->ctl_len == sizeof a->ctl_buf - 1) /* an over-long line: drop it */
        a->ctl_len = 0;
}

/* An RTApp's GDB stub: a listening socket on 127.0.0.1 (any free port), made when the device
 * first reports the app as "debugging" and kept while it is, so the port can be answered at
 * once and survives restarts. Called with rt->lock held. */
void runtime_rtapp_debug_state(struct app *a, struct json_value *status)
{
    const struct json_value *state = json_object_get(status, "state");
    a->debug_wanted = state && state->type == JSON_STRING && !strcmp(state->u.string.chars, "debugging");
    if (!a->debug_wanted && a->gdb_fd >= 0) {
        close(a->gdb_fd);
        a->gdb_fd = -1;
        a->gdb_port = 0;
    }
    if (a->debug_wanted && a->gdb_fd < 0) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof sa;
        if (fd >= 0 && !setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) &&
            !bind(fd, (struct sockaddr *)&sa, sizeof sa) && !listen(fd, 1) &&
            !getsockname(fd, (struct sockaddr *)&sa, &len)) {
            a->gdb_fd = fd;
            a->gdb_port = ntohs(sa.sin_port);
        } else if (fd >= 0) {
            close(fd);
        }
    }
    if (a->debug_wanted && a->gdb_fd >= 0)
        json_object_append(status, "gdbPort", json_new_int(a->gdb_port));
}

void runtime_rtapp_ended(struct runtime *rt, struct app *a)
{
    release_rt_gpios(a);
    peer_close(rt, a);
}

void runtime_rtapp_free(struct app *a)
{
    release_rt_gpios(a);
    if (a->peer_fd >= 0)
        close(a->peer_fd);
    a->peer_fd = -1;
}
