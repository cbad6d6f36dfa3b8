/* SPDX-License-Identifier: MIT */
/*
 * runtime.c — the supervisor (see runtime.h, docs/runtime.md): one thread with one epoll loop
 * owns every app. It reconciles the apps with the device's desired state (start, stop, restart
 * with backoff, replace on a new image), runs high-level apps in containers, answers their
 * broker requests, splits their output into the device log, and gives the device its hooks.
 * RTApps and their inter-core peers are runtime_rtapp.c's, debugging a high-level app is
 * runtime_debug.c's, the memory watchdog and report are runtime_watchdog.c's; what the four share
 * is in private/runtime_int.h. The epoll tag of each event says which app and which of its
 * descriptors fired; this file dispatches them.
 *
 * It stays about 700 lines because it is one module: the high-level app's life cycle (extract,
 * start, watch, end, restart), which every handler here moves along.
 */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "broker_ops.h"
#include "deviceauth_bind.h"
#include "broker_pool.h"
#include "container.h"
#include "hostio.h"
#include "imgpkg.h"
#include "path.h"
#include "runtime_int.h"
#include "runtime_sysevent.h"

static long elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

void runtime_log_app(struct runtime *rt, const struct app *a, const char *fmt, ...)
{
    char text[APPLOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    applog_add(rt->log, &a->cid, "runtime", text, n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

void runtime_arm_timer(struct app *a, long ms)
{
    struct itimerspec its = {.it_value = {ms / 1000, (ms % 1000) * 1000000L}};
    if (ms <= 0)
        its.it_value.tv_nsec = 1;
    timerfd_settime(a->timer_fd, 0, &its, NULL);
}

void runtime_disarm_timer(struct app *a)
{
    struct itimerspec its = {0};
    timerfd_settime(a->timer_fd, 0, &its, NULL);
}

void runtime_watch(struct runtime *rt, int fd, uint64_t t)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = t};
    epoll_ctl(rt->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

void runtime_close_fd(struct runtime *rt, int *fd)
{
    if (*fd >= 0) {
        epoll_ctl(rt->epoll_fd, EPOLL_CTL_DEL, *fd, NULL);
        close(*fd);
    }
    *fd = -1;
}

/* ---- images ------------------------------------------------------------------------------- */

/* Extracts the installed package into run_dir/<image id>/ (once per image). */
static int extract_image(struct runtime *rt, struct app *a, char *why, size_t why_size)
{
    char iid[GUID_TEXT_LEN + 1];
    guid_format(&a->image_id, iid);
    char *dir = path_join(rt->run_dir, iid);
    if (!dir)
        return -ENOMEM;
    struct stat st;
    if (stat(dir, &st) == 0) {
        free(a->image_dir);
        a->image_dir = dir;
        return 0;
    }
    char *data = NULL;
    size_t len = 0;
    int err = hostio_read_file(a->image_path, &data, &len);
    struct imgpkg pkg;
    struct imgpkg_error perr;
    if (!err && imgpkg_parse((const uint8_t *)data, len, &pkg, &perr) != 0) {
        if (snprintf(why, why_size, "the installed image is damaged: %s", perr.message) >= (int)why_size)
            why[why_size - 1] = '\0';
        err = -EINVAL;
    } else if (!err) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.partial", dir);
        hostio_remove_tree(tmp);
        err = hostio_make_dirs(tmp, 0755);
        for (size_t i = 0; !err && i < pkg.file_count; i++) {
            char *file = path_join(tmp, pkg.files[i].path), *parent = file ? path_dirname(file) : NULL;
            err = parent ? hostio_make_dirs(parent, 0755) : -ENOMEM;
            if (!err)
                err = hostio_write_file_atomic(file, pkg.files[i].data, pkg.files[i].size,
                                               (pkg.files[i].mode & 0111) ? 0555 : 0444);
            free(file), free(parent);
        }
        if (!err && rename(tmp, dir) < 0)
            err = -errno;
        imgpkg_free(&pkg);
        if (err)
            snprintf(why, why_size, "cannot extract the image: %s", strerror(-err));
    }
    free(data);
    if (err) {
        free(dir);
        return err;
    }
    free(a->image_dir);
    a->image_dir = dir;
    return 0;
}

/* ---- starting and stopping ---------------------------------------------------------------- */

static unsigned long long storage_quota(const struct app *a)
{
    const struct json_value *kb =
        json_object_get(json_object_get(json_object_get(a->manifest, "Capabilities"), "MutableStorage"), "SizeKB");
    return kb && kb->type == JSON_NUMBER ? (unsigned long long)kb->u.number.integer * 1024 : 0;
}

static const char **cmd_args(const struct app *a)
{
    const struct json_value *args = json_object_get(a->manifest, "CmdArgs");
    size_t n = args && args->type == JSON_ARRAY ? args->u.array.count : 0;
    const char **out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++)
        out[i] = args->u.array.items[i]->type == JSON_STRING ? args->u.array.items[i]->u.string.chars : "";
    return out;
}

static void start_app(struct runtime *rt, struct app *a, size_t index)
{
    if (a->realtime) {
        runtime_rtapp_start(rt, a, index);
        return;
    }
    char why[256] = "";
    int err = extract_image(rt, a, why, sizeof why);
    int broker[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1}, status[2] = {-1, -1};
    if (!err && (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, broker) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
                 pipe2(errp, O_CLOEXEC) < 0 || pipe2(status, O_CLOEXEC) < 0))
        err = -errno, snprintf(why, sizeof why, "cannot create the app's channels: %s", strerror(errno));
    char scratch[4096], mount_point[64];
    snprintf(scratch, sizeof scratch, "%s/root-%s", rt->run_dir, a->cid_text);
    snprintf(mount_point, sizeof mount_point, "/mnt/apps/%s", a->cid_text);
    const char **args = err ? NULL : cmd_args(a);
    const struct json_value *ep = json_object_get(a->manifest, "EntryPoint");
    pthread_mutex_lock(&rt->lock);
    bool debug = a->debug_wanted && a->gdb_fd >= 0;
    a->debug_running = a->debug_wanted;
    int gdb_port = a->gdb_port;
    pthread_mutex_unlock(&rt->lock);
    if (!err) {
        mkdir(scratch, 0755);
        struct container_spec spec = {
            .image_dir = a->image_dir, .mount_point = mount_point,
            .entry_point = ep && ep->type == JSON_STRING ? ep->u.string.chars : "/bin/app", .args = args,
            .scratch_dir = scratch, .broker_fd = broker[1], .stdout_fd = out[1], .stderr_fd = errp[1],
            .status_fd = status[1], .max_file_bytes = storage_quota(a), .seccomp_filter = rt->filter};
        char daa[4096];
        if (runtime_deviceauth_file(device_state_dir(rt->device), rt->run_dir, a->cid_text, a->manifest, daa,
                                    sizeof daa) > 0)
            spec.deviceauth_file = daa;
        err = container_start(&spec, &a->init_pid, why, sizeof why);
    }
    free(args);
    for (int i = 0; i < 2; i++) {
        if (err) {
            if (broker[i] >= 0) close(broker[i]);
            if (out[i] >= 0) close(out[i]);
            if (errp[i] >= 0) close(errp[i]);
            if (status[i] >= 0) close(status[i]);
        }
    }
    if (err) {
        runtime_log_app(rt, a, "cannot start %s: %s", a->name, why);
        a->phase = PHASE_BACKOFF;
        a->failures++;
        runtime_arm_timer(a, BACKOFF_MAX_MS);
        return;
    }
    close(broker[1]), close(out[1]), close(errp[1]), close(status[1]);
    a->broker_fd = broker[0], a->out_fd = out[0], a->err_fd = errp[0], a->status_fd = status[0];
    runtime_watch(rt, a->broker_fd, runtime_tag(TAG_BROKER, index));
    runtime_watch(rt, a->out_fd, runtime_tag(TAG_STDOUT, index));
    runtime_watch(rt, a->err_fd, runtime_tag(TAG_STDERR, index));
    runtime_watch(rt, a->status_fd, runtime_tag(TAG_STATUS, index));
    clock_gettime(CLOCK_MONOTONIC, &a->started);
    a->phase = PHASE_RUNNING;
    a->baseline_kb = -1;
    a->killed_for_memory = false;
    runtime_disarm_timer(a);
    if (debug)
        runtime_log_app(rt, a, "started %s (component %s) for debugging: it waits for gdb on 127.0.0.1:%d", a->name,
                 a->cid_text, gdb_port);
    else
        runtime_log_app(rt, a, "started %s (component %s)", a->name, a->cid_text);
}

static void request_stop(struct runtime *rt, struct app *a)
{
    if (a->phase == PHASE_BACKOFF) {
        runtime_disarm_timer(a);
        a->phase = PHASE_IDLE;
        return;
    }
    if (a->phase != PHASE_RUNNING)
        return;
    if (a->realtime) {
        runtime_rtapp_stop(a);
    } else {
        /* Under a debugger: end gdbserver first (the kernel detaches the app from it). */
        if (a->gdbserver_pid > 0)
            kill(a->gdbserver_pid, SIGKILL);
        kill(a->init_pid, SIGTERM);
    }
    a->phase = PHASE_STOPPING;
    runtime_arm_timer(a, STOP_GRACE_MS);
}

static void flush_output(struct runtime *rt, struct app *a, char *buf, size_t *len)
{
    if (*len) {
        applog_add(rt->log, &a->cid, "app", buf, *len);
        runtime_debug_copy_output(a, buf, *len, true);
    }
    *len = 0;
}

void runtime_app_ended(struct runtime *rt, struct app *a)
{
    int status = -1;
    if (a->realtime) {
        if (waitpid(a->init_pid, &status, 0) != a->init_pid)
            status = -1;
        runtime_rtapp_ended(rt, a);
    } else {
        if (a->status_fd >= 0 && read(a->status_fd, &status, sizeof status) != sizeof status)
            status = -1;
        waitpid(a->init_pid, NULL, 0);
    }
    /* Drain what the app wrote before it went. */
    char chunk[4096];
    ssize_t n;
    while (a->out_fd >= 0 && (n = read(a->out_fd, chunk, sizeof chunk)) > 0) {
        applog_add(rt->log, &a->cid, "app", chunk, (size_t)n);
        runtime_debug_copy_output(a, chunk, (size_t)n, false);
    }
    flush_output(rt, a, a->out_buf, &a->out_len);
    flush_output(rt, a, a->err_buf, &a->err_len);
    runtime_close_fd(rt, &a->status_fd);
    runtime_close_fd(rt, &a->broker_fd);
    runtime_close_fd(rt, &a->out_fd);
    runtime_close_fd(rt, &a->err_fd);
    board_release_owner(rt->board, &a->cid);
    sysev_forget(rt->sysevents, &a->cid);
    a->debug_waiting = false;
    pthread_mutex_lock(&rt->lock);
    a->has_exit = true;
    a->last_exit_code = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    a->last_signal = status >= 0 && WIFSIGNALED(status) ? WTERMSIG(status) : status < 0 ? SIGKILL : 0;
    pthread_mutex_unlock(&rt->lock);
    bool stopping = a->phase == PHASE_STOPPING;
    if (a->last_signal)
        runtime_log_app(rt, a, "%s was terminated by signal %d%s", a->name, a->last_signal,
                 a->killed_for_memory ? " (over its memory limit)" : "");
    else
        runtime_log_app(rt, a, "%s exited with code %d", a->name, a->last_exit_code);
    a->init_pid = 0;
    if (stopping && a->wanted && a->present && !rt->stopping) {
        /* Stopped for a replacement, or deleted and deployed again while it stopped: run the
         * installed image at once — from the timer, never from here, since events for the old
         * descriptors may still be pending in this epoll batch. */
        a->phase = PHASE_BACKOFF;
        runtime_arm_timer(a, 0);
        return;
    }
    if (stopping || !a->wanted || !a->present || rt->stopping) {
        a->phase = PHASE_IDLE;
        runtime_disarm_timer(a);
        return;
    }
    if (elapsed_ms(&a->started) >= STABLE_RUN_MS)
        a->failures = 0;
    long delay = BACKOFF_FIRST_MS;
    for (unsigned i = 0; i < a->failures && delay < BACKOFF_MAX_MS; i++)
        delay *= 2;
    if (delay > BACKOFF_MAX_MS)
        delay = BACKOFF_MAX_MS;
    a->failures++;
    a->phase = PHASE_BACKOFF;
    runtime_arm_timer(a, delay);
    runtime_log_app(rt, a, "restarting %s in %ld ms", a->name, delay);
}

static void handle_request_with_fd(struct runtime *rt, struct app *a, struct broker_request *q_in, ssize_t n,
                                   int request_fd);

static void handle_request(struct runtime *rt, struct app *a)
{
    struct broker_request q;
    int request_fd = -1; /* a descriptor the app attached (docs/certstore.md); closed below */
    ssize_t n = broker_receive_request(a->broker_fd, &q, &request_fd);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        runtime_close_fd(rt, &a->broker_fd);
        return;
    }
    if (n < 0)
        return;
    handle_request_with_fd(rt, a, &q, n, request_fd);
    if (request_fd >= 0)
        close(request_fd);
}

static void handle_request_with_fd(struct runtime *rt, struct app *a, struct broker_request *q_in, ssize_t n,
                                   int request_fd)
{
    struct broker_request q = *q_in;
    if (n == sizeof q && q.version == BROKER_VERSION && q.op == BROKER_DEBUG_WAIT) {
        runtime_debug_wait(rt, a);
        return;
    }
    if (n == sizeof q && q.version == BROKER_VERSION && q.op == BROKER_APP_CONNECT) {
        struct broker_reply r = {0};
        int fd = -1;
        q.text[sizeof q.text - 1] = '\0';
        r.result = runtime_rtapp_connect(rt, a, q.text, &fd);
        broker_send_reply(a->broker_fd, &r, fd);
        if (fd >= 0)
            close(fd);
        return;
    }
    struct broker_reply r = {0};
    int fd = -1;
    struct broker_context ctx = {.device = rt->device, .board = rt->board, .log = rt->log,
                                 .component_id = &a->cid, .component_text = a->cid_text, .app_name = a->name,
                                 .manifest = a->manifest, .storage_quota = storage_quota(a),
                                 .sysevents = rt->sysevents, .reply_sock = a->broker_fd, .request_fd = request_fd};
    r.result = broker_dispatch(&ctx, &q, (size_t)n, &r, &fd);
    if (r.result == BROKER_REPLY_LATER)
        return; /* broker_pool answers */
    broker_send_reply(a->broker_fd, &r, fd);
    if (fd >= 0)
        close(fd);
}

/* Splits an app's output into log lines. */
static void read_output(struct runtime *rt, struct app *a, int *fd, char *buf, size_t *len)
{
    char chunk[1024];
    ssize_t n = read(*fd, chunk, sizeof chunk);
    if (n <= 0) {
        flush_output(rt, a, buf, len);
        runtime_close_fd(rt, fd);
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (chunk[i] == '\n' || *len == APPLOG_LINE_MAX) {
            flush_output(rt, a, buf, len);
            if (chunk[i] == '\n')
                continue;
        }
        buf[(*len)++] = chunk[i];
    }
}

/* ---- reconcile ---------------------------------------------------------------------------- */

struct app *runtime_find_app(struct runtime *rt, const struct guid *cid, size_t *index)
{
    for (size_t i = 0; i < rt->app_count; i++)
        if (guid_equal(&rt->apps[i]->cid, cid)) {
            *index = i;
            return rt->apps[i];
        }
    return NULL;
}

static struct app *add_app(struct runtime *rt, const struct device_app_view *v, size_t *index)
{
    struct app **grown = realloc(rt->apps, (rt->app_count + 1) * sizeof *grown);
    struct app *a = calloc(1, sizeof *a);
    if (!grown || !a) {
        if (grown)
            rt->apps = grown;
        free(a);
        return NULL;
    }
    rt->apps = grown;
    a->cid = v->component_id;
    guid_format(&a->cid, a->cid_text);
    a->status_fd = a->broker_fd = a->out_fd = a->err_fd = a->peer_fd = a->gdb_fd = -1;
    a->gdbserver_pidfd = a->gdbserver_err_fd = -1;
    a->out_listen_fd = a->out_client_fd = -1;
    a->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    *index = rt->app_count;
    pthread_mutex_lock(&rt->lock);
    rt->apps[rt->app_count++] = a;
    pthread_mutex_unlock(&rt->lock);
    runtime_watch(rt, a->timer_fd, runtime_tag(TAG_TIMER, *index));
    return a;
}

static void reconcile(struct runtime *rt)
{
    struct device_app_view *views = NULL;
    size_t n = 0;
    device_lock(rt->device);
    int err = device_app_views(rt->device, &views, &n);
    device_unlock(rt->device);
    if (err)
        return;
    for (size_t i = 0; i < rt->app_count; i++)
        rt->apps[i]->present = false;
    for (size_t i = 0; i < n; i++) {
        const struct device_app_view *v = &views[i];
        size_t index;
        struct app *a = runtime_find_app(rt, &v->component_id, &index);
        if (!a && !(a = add_app(rt, v, &index)))
            continue;
        a->present = true;
        bool replaced = a->manifest && !guid_equal(&a->image_id, &v->image_id);
        if (replaced || !a->manifest) {
            if (replaced && a->phase != PHASE_IDLE)
                request_stop(rt, a);
            json_free(a->manifest);
            free(a->image_path);
            a->manifest = json_clone(v->manifest);
            a->image_path = strdup(v->image_path);
            a->image_id = v->image_id;
            snprintf(a->name, sizeof a->name, "%s", v->name);
            a->realtime = v->realtime;
            a->failures = 0;
        }
        a->wanted = v->running;
        pthread_mutex_lock(&rt->lock);
        if (!a->realtime)
            runtime_debug_sync(rt, a, index, v->debugging);
        bool debug_changed = a->debug_wanted != a->debug_running;
        pthread_mutex_unlock(&rt->lock);
        if (!a->wanted)
            request_stop(rt, a);
        else if (a->phase == PHASE_IDLE)
            start_app(rt, a, index);
        else if (debug_changed && a->phase == PHASE_RUNNING)
            request_stop(rt, a); /* restarted at once (app_ended), with or without the stub */
    }
    for (size_t i = 0; i < rt->app_count; i++)
        if (!rt->apps[i]->present) {
            if (!rt->apps[i]->realtime) {
                pthread_mutex_lock(&rt->lock);
                runtime_debug_sync(rt, rt->apps[i], i, false);
                pthread_mutex_unlock(&rt->lock);
            }
            rt->apps[i]->wanted = false;
            request_stop(rt, rt->apps[i]);
        }
    device_app_views_free(views, n);
}

static void on_timer(struct runtime *rt, struct app *a, size_t index)
{
    uint64_t expirations;
    if (read(a->timer_fd, &expirations, sizeof expirations) != sizeof expirations)
        return;
    if (a->phase == PHASE_STOPPING && a->init_pid > 0) {
        runtime_log_app(rt, a, "%s did not exit within %d ms of SIGTERM: SIGKILL", a->name, STOP_GRACE_MS);
        kill(a->init_pid, SIGKILL);
    } else if (a->phase == PHASE_BACKOFF) {
        a->phase = PHASE_IDLE;
        if (a->wanted && a->present && !rt->stopping) {
            pthread_mutex_lock(&rt->lock);
            a->restarts++;
            pthread_mutex_unlock(&rt->lock);
            start_app(rt, a, index);
        }
    }
}

static void *supervisor(void *arg)
{
    struct runtime *rt = arg;
    reconcile(rt);
    struct epoll_event events[32];
    while (!rt->stopping || rt->app_count) {
        int n = epoll_wait(rt->epoll_fd, events, 32, -1);
        for (int i = 0; i < n; i++) {
            enum tag_kind kind = (enum tag_kind)(events[i].data.u64 & 0xFF);
            size_t index = (size_t)(events[i].data.u64 >> 8);
            struct app *a = kind >= TAG_STATUS && index < rt->app_count ? rt->apps[index] : NULL;
            uint64_t v;
            switch (kind) {
            case TAG_WAKE:
                if (read(rt->wake_fd, &v, sizeof v) == sizeof v && !rt->stopping)
                    reconcile(rt);
                break;
            case TAG_WATCHDOG:
                runtime_watchdog_fired(rt);
                break;
            case TAG_STATUS:
                if (a)
                    runtime_app_ended(rt, a);
                break;
            case TAG_BROKER:
                if (a && a->broker_fd >= 0 && a->realtime)
                    runtime_rtapp_control(rt, a, index);
                else if (a && a->broker_fd >= 0)
                    handle_request(rt, a);
                break;
            case TAG_STDOUT:
                if (a && a->out_fd >= 0)
                    read_output(rt, a, &a->out_fd, a->out_buf, &a->out_len);
                break;
            case TAG_STDERR:
                if (a && a->err_fd >= 0)
                    read_output(rt, a, &a->err_fd, a->err_buf, &a->err_len);
                break;
            case TAG_TIMER:
                if (a)
                    on_timer(rt, a, index);
                break;
            case TAG_PEER:
                if (a && a->peer_fd >= 0)
                    runtime_rtapp_on_peer(rt, a, index, events[i].events);
                break;
            case TAG_SYSEV:
                sysev_on_timer(rt->sysevents);
                break;
            case TAG_GDB_LISTEN:
            case TAG_GDB_SERVER:
            case TAG_GDB_ERR:
            case TAG_OUT_LISTEN:
                if (a)
                    runtime_debug_event(rt, a, index, kind);
                break;
            }
        }
        if (rt->stopping) {
            bool any = false;
            for (size_t i = 0; i < rt->app_count; i++) {
                request_stop(rt, rt->apps[i]);
                any |= rt->apps[i]->phase != PHASE_IDLE;
            }
            if (!any)
                break;
        }
    }
    return NULL;
}

/* ---- hooks and lifetime ------------------------------------------------------------------- */

static void on_device_changed(void *ctx)
{
    struct runtime *rt = ctx;
    uint64_t one = 1;
    ssize_t r = write(rt->wake_fd, &one, sizeof one);
    (void)r;
}

static void on_status(void *ctx, const struct guid *cid, struct json_value *status)
{
    struct runtime *rt = ctx;
    pthread_mutex_lock(&rt->lock);
    for (size_t i = 0; i < rt->app_count; i++) {
        struct app *a = rt->apps[i];
        if (!guid_equal(&a->cid, cid))
            continue;
        if (a->realtime)
            runtime_rtapp_debug_state(a, status);
        else
            runtime_debug_status(a, status);
        json_object_append(status, "restarts", json_new_int(a->restarts));
        sysev_app_status(rt->sysevents, &a->cid, status);
        /* Inter-core connections: an RTApp's high-level app, or a high-level app's RTApps. */
        struct json_value *conns = json_new_array();
        for (size_t k = 0; conns && k < rt->app_count; k++) {
            const struct app *o = rt->apps[k];
            if (o == a && a->peer_fd >= 0)
                json_array_append(conns, json_new_string(a->peer_text));
            else if (o != a && o->peer_fd >= 0 && guid_equal(&o->peer_cid, &a->cid))
                json_array_append(conns, json_new_string(o->cid_text));
        }
        if (conns && conns->u.array.count)
            json_object_append(status, "connections", conns);
        else
            json_free(conns);
        if (a->has_exit) {
            if (a->last_signal)
                json_object_append(status, "lastExitSignal", json_new_int(a->last_signal));
            else
                json_object_append(status, "lastExitCode", json_new_int(a->last_exit_code));
        }
    }
    pthread_mutex_unlock(&rt->lock);
}

static int on_sysevent(void *ctx, const struct json_value *body, struct json_value **out, char *why, size_t why_size)
{
    struct runtime *rt = ctx;
    if (body)
        return sysev_inject(rt->sysevents, body, out, why, why_size);
    *out = sysev_view(rt->sysevents);
    return *out ? 0 : -ENOMEM;
}

int runtime_start(struct device *d, struct board *b, struct applog *log, const struct runtime_config *cfg,
                  struct runtime **out, char *why, size_t why_size)
{
    struct runtime *rt = calloc(1, sizeof *rt);
    if (!rt)
        return -ENOMEM;
    rt->device = d, rt->board = b, rt->log = log;
    rt->memory_limit_kb = cfg->memory_limit_kb ? cfg->memory_limit_kb : 256;
    rt->run_dir = strdup(cfg->run_dir);
    char helper[4096];
    if (hostio_beside_exe(NULL, "sphere-rtcore", helper, sizeof helper) == 0)
        rt->rtcore_helper = strdup(helper);
    pthread_mutex_init(&rt->lock, NULL);
    rt->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    rt->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    rt->watchdog_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    int err = rt->run_dir && rt->epoll_fd >= 0 && rt->wake_fd >= 0 && rt->watchdog_fd >= 0 ? 0 : -EIO;
    if (!err && (err = hostio_make_dirs(rt->run_dir, 0755)) != 0)
        snprintf(why, why_size, "cannot create %s", rt->run_dir);
    if (!err && (err = container_build_filter(&rt->filter)) != 0)
        snprintf(why, why_size, "cannot build the apps' seccomp filter");
    if (!err && (err = sysev_create(log, &rt->sysevents)) != 0)
        snprintf(why, why_size, "cannot create the system-event manager");
    if (err) {
        runtime_stop(rt);
        return err;
    }
    runtime_watch(rt, rt->wake_fd, TAG_WAKE);
    runtime_watch(rt, rt->watchdog_fd, TAG_WATCHDOG);
    runtime_watch(rt, sysev_timer_fd(rt->sysevents), TAG_SYSEV);
    runtime_watchdog_arm(rt);
    struct device_hooks hooks = {.changed = on_device_changed, .status = on_status, .memory = runtime_memory_report,
                                 .sysevent = on_sysevent, .ctx = rt};
    device_lock(d);
    device_set_hooks(d, &hooks);
    device_unlock(d);
    if (pthread_create(&rt->thread, NULL, supervisor, rt) != 0) {
        snprintf(why, why_size, "cannot start the supervisor");
        runtime_stop(rt);
        return -EIO;
    }
    *out = rt;
    return 0;
}

void runtime_stop(struct runtime *rt)
{
    if (!rt)
        return;
    if (rt->thread) {
        struct device_hooks none = {0};
        device_lock(rt->device);
        device_set_hooks(rt->device, &none);
        device_unlock(rt->device);
        rt->stopping = true;
        on_device_changed(rt);
        pthread_join(rt->thread, NULL);
    }
    for (size_t i = 0; i < rt->app_count; i++) {
        struct app *a = rt->apps[i];
        if (a->init_pid > 0) {
            kill(a->init_pid, SIGKILL);
            waitpid(a->init_pid, NULL, 0);
        }
        runtime_close_fd(rt, &a->status_fd), runtime_close_fd(rt, &a->broker_fd), runtime_close_fd(rt, &a->out_fd);
        runtime_close_fd(rt, &a->err_fd), runtime_close_fd(rt, &a->timer_fd);
        runtime_rtapp_free(a);
        runtime_debug_free(a);
        json_free(a->manifest);
        free(a->image_path), free(a->image_dir), free(a);
    }
    free(rt->apps);
    if (rt->epoll_fd >= 0) close(rt->epoll_fd);
    if (rt->wake_fd >= 0) close(rt->wake_fd);
    if (rt->watchdog_fd >= 0) close(rt->watchdog_fd);
    container_free_filter(rt->filter);
    sysev_destroy(rt->sysevents);
    pthread_mutex_destroy(&rt->lock);
    free(rt->run_dir);
    free(rt->rtcore_helper);
    free(rt);
}

