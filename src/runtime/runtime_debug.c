/* SPDX-License-Identifier: MIT */
/*
 * runtime_debug.c — debugging a high-level app in the supervisor (docs/runtime.md, "Debugging
 * high-level apps").
 *
 * While the device's state for an app is "debugging", the app has two listening sockets on
 * 127.0.0.1: the GDB port (2345 when free) and the output port (2342 when free). Each debugger
 * connection gets one gdbserver attached to the app from outside (debug.c spawns it); its
 * stderr goes to the device log, and its "Attached;" line answers the app's BROKER_DEBUG_WAIT,
 * which holds the app at start until a debugger is attached. The app's output lines are copied
 * to the output port's newest client. The sockets are made by runtime_debug_status() (the
 * device's status hook, so `app start --debug-mode` can answer the ports at once) or
 * runtime_debug_sync() (reconcile), watched from reconcile, and closed when debugging ends.
 * Everything runs on the supervisor thread except runtime_debug_status(), called with rt->lock
 * held; gdbserver_pid is written under rt->lock because that hook reads it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker_pool.h"
#include "debug.h"
#include "runtime_int.h"

/* Copies app output to the debug output port's client, if any (dropped when it cannot keep up). */
void runtime_debug_copy_output(struct app *a, const char *text, size_t len, bool newline)
{
    if (a->out_client_fd < 0)
        return;
    struct iovec iov[2] = {{(void *)text, len}, {"\n", newline ? 1 : 0}};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
    if (sendmsg(a->out_client_fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
        close(a->out_client_fd);
        a->out_client_fd = -1;
    }
}

/* A high-level app's debug state from the device's view (rt->lock held): the listening socket
 * is made (if on_status has not yet) and watched, or closed when debugging ends. */
void runtime_debug_sync(struct runtime *rt, struct app *a, size_t index, bool debugging)
{
    a->debug_wanted = debugging;
    if (debugging && a->gdb_fd < 0) {
        uint16_t port = 0;
        if (debug_listen(DEBUG_GDB_PORT, &a->gdb_fd, &port) == 0)
            a->gdb_port = port;
        else
            runtime_log_app(rt, a, "cannot listen for a debugger for %s on 127.0.0.1", a->name);
    }
    if (debugging && a->gdb_fd >= 0 && !a->gdb_watched) {
        runtime_watch(rt, a->gdb_fd, runtime_tag(TAG_GDB_LISTEN, index));
        a->gdb_watched = true;
    }
    if (!debugging && a->gdb_fd >= 0) {
        runtime_close_fd(rt, &a->gdb_fd);
        a->gdb_port = 0;
        a->gdb_watched = false;
    }
    if (debugging && a->out_listen_fd < 0) {
        uint16_t port = 0;
        if (debug_listen(DEBUG_OUTPUT_PORT, &a->out_listen_fd, &port) == 0)
            a->out_port = port;
    }
    if (debugging && a->out_listen_fd >= 0 && !a->out_watched) {
        runtime_watch(rt, a->out_listen_fd, runtime_tag(TAG_OUT_LISTEN, index));
        a->out_watched = true;
    }
    if (!debugging && a->out_listen_fd >= 0) {
        runtime_close_fd(rt, &a->out_listen_fd);
        a->out_port = 0;
        a->out_watched = false;
        if (a->out_client_fd >= 0)
            close(a->out_client_fd);
        a->out_client_fd = -1;
    }
}

/* A high-level app's debug port in its status, made at once so `app start --debug-mode` can
 * answer it (the supervisor starts watching it in reconcile). Called with rt->lock held. */
void runtime_debug_status(struct app *a, struct json_value *status)
{
    const struct json_value *state = json_object_get(status, "state");
    bool debugging = state && state->type == JSON_STRING && !strcmp(state->u.string.chars, "debugging");
    if (debugging && a->gdb_fd < 0) {
        uint16_t port = 0;
        if (debug_listen(DEBUG_GDB_PORT, &a->gdb_fd, &port) == 0)
            a->gdb_port = port;
    }
    if (debugging && a->out_listen_fd < 0) {
        uint16_t port = 0;
        if (debug_listen(DEBUG_OUTPUT_PORT, &a->out_listen_fd, &port) == 0)
            a->out_port = port;
    }
    if (debugging && a->out_listen_fd >= 0)
        json_object_append(status, "outPort", json_new_int(a->out_port));
    if (debugging && a->gdb_fd >= 0) {
        json_object_append(status, "gdbPort", json_new_int(a->gdb_port));
        json_object_append(status, "debuggerAttached", json_new_bool(a->gdbserver_pid > 0));
    }
}

void runtime_debug_wait(struct runtime *rt, struct app *a)
{
    pthread_mutex_lock(&rt->lock);
    a->debug_waiting = a->debug_running && a->gdbserver_pid <= 0;
    pthread_mutex_unlock(&rt->lock);
    if (!a->debug_waiting) {
        struct broker_reply r = {0};
        broker_send_reply(a->broker_fd, &r, -1);
    }
}

static void gdbserver_reaped(struct runtime *rt, struct app *a)
{
    int status = 0;
    if (a->gdbserver_pid > 0 && waitpid(a->gdbserver_pid, &status, 0) == a->gdbserver_pid)
        runtime_log_app(rt, a, "gdbserver for %s ended (%s %d)", a->name, WIFSIGNALED(status) ? "signal" : "exit code",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    runtime_close_fd(rt, &a->gdbserver_pidfd);
    pthread_mutex_lock(&rt->lock);
    a->gdbserver_pid = 0;
    pthread_mutex_unlock(&rt->lock);
}

static void output_client(struct app *a)
{
    if (a->out_listen_fd < 0)
        return;
    int c = accept4(a->out_listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c >= 0) { /* the newest client gets the output */
        if (a->out_client_fd >= 0)
            close(a->out_client_fd);
        a->out_client_fd = c;
    }
}

void runtime_debug_event(struct runtime *rt, struct app *a, size_t index, enum tag_kind kind)
{
    if (kind == TAG_OUT_LISTEN) {
        output_client(a);
        return;
    }
    if (kind == TAG_GDB_SERVER) {
        gdbserver_reaped(rt, a);
        return;
    }
    if (kind == TAG_GDB_ERR) {
        char chunk[512];
        ssize_t n = read(a->gdbserver_err_fd, chunk, sizeof chunk);
        if (n <= 0) {
            if (a->gdbserver_len)
                applog_add(rt->log, &a->cid, "gdbserver", a->gdbserver_buf, a->gdbserver_len);
            a->gdbserver_len = 0;
            runtime_close_fd(rt, &a->gdbserver_err_fd);
            return;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (chunk[i] == '\n' || a->gdbserver_len == sizeof a->gdbserver_buf) {
                applog_add(rt->log, &a->cid, "gdbserver", a->gdbserver_buf, a->gdbserver_len);
                /* "Attached; pid = N": the app is under gdbserver's control, let it go on (it runs
                 * when gdb continues it). */
                if (a->debug_waiting && a->gdbserver_len >= 9 && !memcmp(a->gdbserver_buf, "Attached;", 9)) {
                    struct broker_reply r = {0};
                    a->debug_waiting = false;
                    if (a->broker_fd >= 0)
                        broker_send_reply(a->broker_fd, &r, -1);
                }
                a->gdbserver_len = 0;
                if (chunk[i] == '\n')
                    continue;
            }
            a->gdbserver_buf[a->gdbserver_len++] = chunk[i];
        }
        return;
    }
    if (a->gdb_fd < 0)
        return;
    int conn = accept4(a->gdb_fd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0)
        return;
    char path[4096];
    int pid = a->phase == PHASE_RUNNING ? runtime_app_pid(a->init_pid) : 0;
    const char *refused = a->gdbserver_pid > 0 ? "a debugger is already attached"
                          : !pid               ? "the app is not running (it restarts; connect again)"
                          : device_gdbserver_path(path, sizeof path) ? "gdbserver is not installed (Debian package gdbserver)"
                                                                     : NULL;
    if (refused) {
        runtime_log_app(rt, a, "refused a debugger connection to %s: %s", a->name, refused);
        close(conn);
        return;
    }
    int errp[2] = {-1, -1};
    pid_t gs = 0;
    int pidfd = -1;
    int err = pipe2(errp, O_CLOEXEC) < 0 ? -errno : 0;
    if (!err)
        err = debug_spawn_gdbserver(path, conn, pid, errp[1], &gs, &pidfd);
    close(conn);
    if (errp[1] >= 0)
        close(errp[1]);
    if (err) {
        if (errp[0] >= 0)
            close(errp[0]);
        runtime_log_app(rt, a, "cannot start gdbserver for %s: %s", a->name, strerror(-err));
        return;
    }
    if (a->gdbserver_err_fd >= 0)
        runtime_close_fd(rt, &a->gdbserver_err_fd);
    a->gdbserver_err_fd = errp[0];
    a->gdbserver_pidfd = pidfd;
    a->gdbserver_len = 0;
    pthread_mutex_lock(&rt->lock);
    a->gdbserver_pid = gs;
    pthread_mutex_unlock(&rt->lock);
    runtime_watch(rt, a->gdbserver_err_fd, runtime_tag(TAG_GDB_ERR, index));
    runtime_watch(rt, a->gdbserver_pidfd, runtime_tag(TAG_GDB_SERVER, index));
    runtime_log_app(rt, a, "a debugger connected to %s: %s attached to it (host pid %d)", a->name, path, pid);
}

void runtime_debug_free(struct app *a)
{
    if (a->gdb_fd >= 0)
        close(a->gdb_fd);
    if (a->gdbserver_pid > 0) {
        kill(a->gdbserver_pid, SIGKILL);
        waitpid(a->gdbserver_pid, NULL, 0);
    }
    if (a->gdbserver_pidfd >= 0)
        close(a->gdbserver_pidfd);
    if (a->gdbserver_err_fd >= 0)
        close(a->gdbserver_err_fd);
    if (a->out_listen_fd >= 0)
        close(a->out_listen_fd);
    if (a->out_client_fd >= 0)
        close(a->out_client_fd);
    a->gdb_fd = a->gdbserver_pidfd = a->gdbserver_err_fd = a->out_listen_fd = a->out_client_fd = -1;
    a->gdbserver_pid = 0;
}
