/* runtime.c — the app supervisor and broker (see runtime.h, docs/runtime.md). */
#include "runtime.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
#include "debug.h"
#include "sysevent.h"

#define STOP_GRACE_MS 2000
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 10000
#define STABLE_RUN_MS 10000
#define WATCHDOG_MS 100

enum app_phase { PHASE_IDLE, PHASE_RUNNING, PHASE_STOPPING, PHASE_BACKOFF };

struct app {
    struct guid cid;
    struct guid image_id;
    char cid_text[GUID_TEXT_LEN + 1];
    char name[32];
    struct json_value *manifest;
    char *image_path;
    char *image_dir; /* extracted */
    bool wanted;     /* the device's desired state */
    bool present;    /* still installed (reconcile mark) */
    enum app_phase phase;
    pid_t init_pid;
    int status_fd, broker_fd, out_fd, err_fd, timer_fd;
    struct timespec started;
    unsigned failures; /* consecutive short runs, for the backoff */
    unsigned restarts;
    int last_exit_code, last_signal;
    bool has_exit;
    long baseline_kb;
    bool killed_for_memory;
    char out_buf[APPLOG_LINE_MAX], err_buf[APPLOG_LINE_MAX];
    size_t out_len, err_len;
    bool realtime;        /* runs on an emulated core (sphere-rtcore), not in a container */
    char ctl_buf[4096];   /* partial control line from the core's helper (msg lines are long) */
    size_t ctl_len;
    int gpio_fds[8];      /* board lines the RTApp drives: the GPIO number at gpio_ids[i] */
    int gpio_ids[8];
    size_t gpio_count;
    /* Inter-core (RTApps only, docs/intercore.md): the one connected high-level app. */
    int peer_fd;          /* the device's end of that app's SOCK_SEQPACKET socket, or -1 */
    bool peer_watched;    /* peer_fd is in the epoll set */
    struct guid peer_cid;
    char peer_text[GUID_TEXT_LEN + 1];
    bool in_flight;       /* a msg-in went to the helper; the next waits for msg-ack */
    bool out_held;        /* out_msg (a msg-out) waits for room in the app's socket */
    unsigned char out_msg[BROKER_INTERCORE_MAX_PAYLOAD];
    size_t out_msg_len;
    unsigned long long to_rt, from_rt, dropped;
    /* Debugging an RTApp (docs/rtcore.md, "GDB stub"): the device's state is "debugging"
     * (seen by on_status, under rt->lock); its helper gets gdb_fd, a listening socket on
     * 127.0.0.1:gdb_port made when the state was first seen, as --gdb-listen-fd. */
    bool debug_wanted, debug_running;
    int gdb_fd, gdb_port;
    /* Debugging a high-level app (debug.h): gdb_fd is watched by the supervisor once it has
     * seen it; each connection gets one gdbserver attached to the app from outside. */
    bool gdb_watched;
    bool debug_waiting;   /* its BROKER_DEBUG_WAIT is unanswered until gdbserver attaches */
    pid_t gdbserver_pid;  /* 0 = no debugger attached */
    int gdbserver_pidfd, gdbserver_err_fd;
    char gdbserver_buf[APPLOG_LINE_MAX];
    size_t gdbserver_len;
    /* The platform's output port while debugging (2342 when free): the app's stdout/stderr
     * lines, copied to the last client connected (the device log keeps them too). */
    int out_listen_fd, out_port, out_client_fd;
    bool out_watched;
};

struct runtime {
    char *rtcore_helper; /* path of sphere-rtcore, next to sphered */
    struct device *device;
    struct board *board;
    struct applog *log;
    char *run_dir;
    unsigned memory_limit_kb;
    void *filter;
    int epoll_fd, wake_fd, watchdog_fd;
    pthread_t thread;
    pthread_mutex_t lock; /* guards apps[] for the status hook */
    bool stopping;
    struct app **apps;
    size_t app_count;
    struct sysev *sysevents; /* registrations and the update offer (sysevent.h) */
};

/* epoll tags: which descriptor of which app fired. */
enum tag_kind { TAG_WAKE = 1, TAG_WATCHDOG, TAG_STATUS, TAG_BROKER, TAG_STDOUT, TAG_STDERR, TAG_TIMER, TAG_PEER, TAG_SYSEV, TAG_GDB_LISTEN, TAG_GDB_SERVER, TAG_GDB_ERR,
                TAG_OUT_LISTEN };

static uint64_t tag(enum tag_kind kind, size_t index) { return (uint64_t)index << 8 | kind; }

static long elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

static void logf_app(struct runtime *rt, const struct app *a, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void logf_app(struct runtime *rt, const struct app *a, const char *fmt, ...)
{
    char text[APPLOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    applog_add(rt->log, &a->cid, "runtime", text, n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

static void arm_timer(struct app *a, long ms)
{
    struct itimerspec its = {.it_value = {ms / 1000, (ms % 1000) * 1000000L}};
    if (ms <= 0)
        its.it_value.tv_nsec = 1;
    timerfd_settime(a->timer_fd, 0, &its, NULL);
}

static void disarm_timer(struct app *a)
{
    struct itimerspec its = {0};
    timerfd_settime(a->timer_fd, 0, &its, NULL);
}

static void watch(struct runtime *rt, int fd, uint64_t t)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = t};
    epoll_ctl(rt->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

static void close_fd(struct runtime *rt, int *fd)
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

static void release_rt_gpios(struct app *a)
{
    for (size_t i = 0; i < a->gpio_count; i++)
        close(a->gpio_fds[i]);
    a->gpio_count = 0;
}

/* Starts an RTApp: sphere-rtcore loads the package's ELF and waits on its control socket
 * (fd 3); its own diagnostics go to the log through a pipe (docs/rtcore.md). */
static void start_rt_app(struct runtime *rt, struct app *a, size_t index)
{
    int ctl[2] = {-1, -1}, errp[2] = {-1, -1};
    pthread_mutex_lock(&rt->lock);
    int gdb = a->debug_wanted ? a->gdb_fd : -1;
    a->debug_running = gdb >= 0;
    pthread_mutex_unlock(&rt->lock);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
        logf_app(rt, a, "cannot start %s: %s", a->name, strerror(errno));
        for (int i = 0; i < 2; i++) {
            if (ctl[i] >= 0) close(ctl[i]);
            if (errp[i] >= 0) close(errp[i]);
        }
        a->phase = PHASE_BACKOFF;
        arm_timer(a, BACKOFF_MAX_MS);
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
        arm_timer(a, BACKOFF_MAX_MS);
        return;
    }
    a->init_pid = pid;
    a->broker_fd = ctl[0];
    a->err_fd = errp[0];
    a->ctl_len = 0;
    watch(rt, a->broker_fd, tag(TAG_BROKER, index));
    watch(rt, a->err_fd, tag(TAG_STDERR, index));
    clock_gettime(CLOCK_MONOTONIC, &a->started);
    a->phase = PHASE_RUNNING;
    disarm_timer(a);
    logf_app(rt, a, "started %s on a real-time core (component %s)", a->name, a->cid_text);
}

static void start_app(struct runtime *rt, struct app *a, size_t index)
{
    if (a->realtime) {
        start_rt_app(rt, a, index);
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
        logf_app(rt, a, "cannot start %s: %s", a->name, why);
        a->phase = PHASE_BACKOFF;
        a->failures++;
        arm_timer(a, BACKOFF_MAX_MS);
        return;
    }
    close(broker[1]), close(out[1]), close(errp[1]), close(status[1]);
    a->broker_fd = broker[0], a->out_fd = out[0], a->err_fd = errp[0], a->status_fd = status[0];
    watch(rt, a->broker_fd, tag(TAG_BROKER, index));
    watch(rt, a->out_fd, tag(TAG_STDOUT, index));
    watch(rt, a->err_fd, tag(TAG_STDERR, index));
    watch(rt, a->status_fd, tag(TAG_STATUS, index));
    clock_gettime(CLOCK_MONOTONIC, &a->started);
    a->phase = PHASE_RUNNING;
    a->baseline_kb = -1;
    a->killed_for_memory = false;
    disarm_timer(a);
    if (debug)
        logf_app(rt, a, "started %s (component %s) for debugging: it waits for gdb on 127.0.0.1:%d", a->name,
                 a->cid_text, gdb_port);
    else
        logf_app(rt, a, "started %s (component %s)", a->name, a->cid_text);
}

static void request_stop(struct runtime *rt, struct app *a)
{
    if (a->phase == PHASE_BACKOFF) {
        disarm_timer(a);
        a->phase = PHASE_IDLE;
        return;
    }
    if (a->phase != PHASE_RUNNING)
        return;
    if (a->realtime) {
        ssize_t w = a->broker_fd >= 0 ? write(a->broker_fd, "stop\n", 5) : -1;
        (void)w;
    } else {
        /* Under a debugger: end gdbserver first (the kernel detaches the app from it). */
        if (a->gdbserver_pid > 0)
            kill(a->gdbserver_pid, SIGKILL);
        kill(a->init_pid, SIGTERM);
    }
    a->phase = PHASE_STOPPING;
    arm_timer(a, STOP_GRACE_MS);
}

/* Copies app output to the debug output port's client, if any (dropped when it cannot keep up). */
static void out_copy(struct app *a, const char *text, size_t len, bool newline)
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

static void flush_output(struct runtime *rt, struct app *a, char *buf, size_t *len)
{
    if (*len) {
        applog_add(rt->log, &a->cid, "app", buf, *len);
        out_copy(a, buf, *len, true);
    }
    *len = 0;
}

/* ---- inter-core: HL app socket <-> the RTApp helper's rings (docs/intercore.md) ------------ */

/* Watches the RTApp's peer socket for what it can take now: the app's next message only when
 * none is in flight (back-pressure), room only while a message from the core is held. */
static void peer_events(struct runtime *rt, struct app *a, size_t index)
{
    if (a->peer_fd < 0)
        return;
    uint32_t want = (a->in_flight ? 0 : EPOLLIN) | (a->out_held ? EPOLLOUT : 0);
    if (!want) {
        if (a->peer_watched)
            epoll_ctl(rt->epoll_fd, EPOLL_CTL_DEL, a->peer_fd, NULL);
        a->peer_watched = false;
        return;
    }
    struct epoll_event ev = {.events = want, .data.u64 = tag(TAG_PEER, index)};
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
    a->peer_watched = a->in_flight = a->out_held = false;
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

/* The high-level app sent a message (or hung up): pass it to the core's helper. */
static void peer_readable(struct runtime *rt, struct app *a, size_t index)
{
    unsigned char msg[BROKER_INTERCORE_MAX_PAYLOAD + 1];
    ssize_t n = recv(a->peer_fd, msg, sizeof msg, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        logf_app(rt, a, "the high-level app %s closed its connection to %s", a->peer_text, a->name);
        peer_close(rt, a);
        return;
    }
    if (n > BROKER_INTERCORE_MAX_PAYLOAD) {
        a->dropped++;
        logf_app(rt, a, "dropped a %zd-byte message from %s: more than %d bytes", n, a->peer_text,
                 BROKER_INTERCORE_MAX_PAYLOAD);
        return;
    }
    static const char digits[] = "0123456789abcdef";
    char line[16 + GUID_TEXT_LEN + 2 * BROKER_INTERCORE_MAX_PAYLOAD];
    int len = snprintf(line, sizeof line, "msg-in %s ", a->peer_text);
    for (ssize_t i = 0; i < n; i++) {
        line[len++] = digits[msg[i] >> 4];
        line[len++] = digits[msg[i] & 15];
    }
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

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* "msg-out <cid> <hex>" from the helper: the core sent a block addressed to <cid>. */
static void rt_msg_out(struct runtime *rt, struct app *a, size_t index, const char *args)
{
    const char *hex = strchr(args, ' ');
    size_t digits = hex ? strlen(hex + 1) : 0;
    bool ok = hex && hex - args == GUID_TEXT_LEN && digits % 2 == 0 && digits / 2 <= sizeof a->out_msg;
    for (size_t i = 0; ok && i < digits; i += 2) {
        int hi = hexval(hex[1 + i]), lo = hexval(hex[2 + i]);
        ok = hi >= 0 && lo >= 0;
        a->out_msg[i / 2] = (unsigned char)(hi << 4 | lo);
    }
    a->out_msg_len = digits / 2;
    if (!ok || a->peer_fd < 0 || strncasecmp(args, a->peer_text, GUID_TEXT_LEN) != 0) {
        a->dropped++;
        logf_app(rt, a, "dropped a message from %s to %.36s: %s", a->name, args,
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

static void on_peer(struct runtime *rt, struct app *a, size_t index, uint32_t events)
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

static struct app *find_app(struct runtime *rt, const struct guid *cid, size_t *index);

/* BROKER_APP_CONNECT: a high-level app asks for a channel to an RTApp. */
static int app_connect(struct runtime *rt, struct app *a, const char *text, int *fd)
{
    struct guid target;
    char target_text[GUID_TEXT_LEN + 1];
    if (guid_parse(text, &target))
        return -EINVAL;
    guid_format(&target, target_text);
    if (!lists_connection(a->manifest, target_text))
        return -EACCES; /* the caller's manifest does not list the partner */
    size_t ti;
    struct app *t = find_app(rt, &target, &ti);
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
        logf_app(rt, t, "%s reconnected to %s: the previous connection is closed", a->name, t->name);
    peer_close(rt, t);
    pthread_mutex_lock(&rt->lock);
    t->peer_fd = sv[0];
    t->peer_cid = a->cid;
    memcpy(t->peer_text, a->cid_text, sizeof t->peer_text);
    pthread_mutex_unlock(&rt->lock);
    peer_events(rt, t, ti);
    logf_app(rt, t, "%s connected to %s", a->name, t->name);
    *fd = sv[1];
    return 0;
}

/* The app's init reported (or died): collect everything, decide on a restart. */
static void app_ended(struct runtime *rt, struct app *a)
{
    int status = -1;
    if (a->realtime) {
        if (waitpid(a->init_pid, &status, 0) != a->init_pid)
            status = -1;
        release_rt_gpios(a);
        peer_close(rt, a);
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
        out_copy(a, chunk, (size_t)n, false);
    }
    flush_output(rt, a, a->out_buf, &a->out_len);
    flush_output(rt, a, a->err_buf, &a->err_len);
    close_fd(rt, &a->status_fd);
    close_fd(rt, &a->broker_fd);
    close_fd(rt, &a->out_fd);
    close_fd(rt, &a->err_fd);
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
        logf_app(rt, a, "%s was terminated by signal %d%s", a->name, a->last_signal,
                 a->killed_for_memory ? " (over its memory limit)" : "");
    else
        logf_app(rt, a, "%s exited with code %d", a->name, a->last_exit_code);
    a->init_pid = 0;
    if (stopping && a->wanted && a->present && !rt->stopping) {
        /* Stopped for a replacement, or deleted and deployed again while it stopped: run the
         * installed image at once — from the timer, never from here, since events for the old
         * descriptors may still be pending in this epoll batch. */
        a->phase = PHASE_BACKOFF;
        arm_timer(a, 0);
        return;
    }
    if (stopping || !a->wanted || !a->present || rt->stopping) {
        a->phase = PHASE_IDLE;
        disarm_timer(a);
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
    arm_timer(a, delay);
    logf_app(rt, a, "restarting %s in %ld ms", a->name, delay);
}

/* ---- the broker --------------------------------------------------------------------------- */

/* Mirrors an RTApp's GPIO output onto the board (the line is opened for it on first use). */
static void rt_gpio(struct runtime *rt, struct app *a, int n, int level)
{
    size_t i = 0;
    while (i < a->gpio_count && a->gpio_ids[i] != n)
        i++;
    if (i == a->gpio_count) {
        if (a->gpio_count == sizeof a->gpio_fds / sizeof a->gpio_fds[0])
            return;
        int fd = board_gpio_open(rt->board, n, BOARD_OUTPUT, level, &a->cid);
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

static void rt_control_line(struct runtime *rt, struct app *a, size_t index, const char *line)
{
    if (!strcmp(line, "msg-ack")) {
        a->in_flight = false;
        a->to_rt++;
        peer_events(rt, a, index);
    } else if (!strncmp(line, "msg-out ", 8)) {
        rt_msg_out(rt, a, index, line + 8);
    } else if (!strncmp(line, "mbox-error ", 11)) {
        logf_app(rt, a, "%s: inter-core channel closed: %s", a->name, line + 11);
        peer_close(rt, a);
    } else if (!strcmp(line, "state loaded")) {
        ssize_t w = write(a->broker_fd, "start\n", 6);
        (void)w;
    } else if (!strncmp(line, "gdb-port ", 9)) {
        logf_app(rt, a, "%s waits for a debugger on 127.0.0.1:%s", a->name, line + 9);
    } else if (!strncmp(line, "state crashed", 13) || !strncmp(line, "state exited", 12)) {
        logf_app(rt, a, "%s: %s", a->name, line + 6);
    } else if (!strncmp(line, "log ", 4)) {
        applog_add(rt->log, &a->cid, "app", line + 4, strlen(line + 4));
    } else if (!strncmp(line, "uart ", 5)) {
        applog_add(rt->log, &a->cid, "app", line + 5, strlen(line + 5));
    } else if (!strncmp(line, "gpio ", 5)) {
        int n = -1, level = 0;
        if (sscanf(line + 5, "%d %d", &n, &level) == 2 && n >= 0 && n < BOARD_GPIO_COUNT)
            rt_gpio(rt, a, n, level);
    }
}

/* Reads the core's control socket; EOF means the helper is gone. */
static void rt_control(struct runtime *rt, struct app *a, size_t index)
{
    ssize_t n = read(a->broker_fd, a->ctl_buf + a->ctl_len, sizeof a->ctl_buf - 1 - a->ctl_len);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        close_fd(rt, &a->broker_fd);
        app_ended(rt, a);
        return;
    }
    a->ctl_len += (size_t)n;
    a->ctl_buf[a->ctl_len] = '\0';
    char *start = a->ctl_buf, *nl;
    while ((nl = strchr(start, '\n'))) {
        *nl = '\0';
        rt_control_line(rt, a, index, start);
        start = nl + 1;
    }
    a->ctl_len = strlen(start);
    memmove(a->ctl_buf, start, a->ctl_len);
    if (a->ctl_len == sizeof a->ctl_buf - 1) /* an over-long line: drop it */
        a->ctl_len = 0;
}

static broker_handler find_handler(uint32_t op)
{
    static const struct broker_op_entry *const tables[] = {broker_core_ops, broker_peripheral_ops, broker_network_ops,
                                                           broker_sysevent_ops, broker_certstore_ops};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const struct broker_op_entry *e = tables[t]; e->handler; e++)
            if (e->op == op)
                return e->handler;
    return NULL;
}

static void handle_request_with_fd(struct runtime *rt, struct app *a, struct broker_request *q_in, ssize_t n,
                                   int request_fd);

static void handle_request(struct runtime *rt, struct app *a)
{
    struct broker_request q;
    int request_fd = -1; /* a descriptor the app attached (docs/certstore.md); closed below */
    ssize_t n = broker_receive_request(a->broker_fd, &q, &request_fd);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        close_fd(rt, &a->broker_fd);
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
        /* Started for debugging: the answer waits until gdbserver has attached (debug_event). */
        pthread_mutex_lock(&rt->lock);
        a->debug_waiting = a->debug_running && a->gdbserver_pid <= 0;
        pthread_mutex_unlock(&rt->lock);
        if (!a->debug_waiting) {
            struct broker_reply r = {0};
            broker_send_reply(a->broker_fd, &r, -1);
        }
        return;
    }
    if (n == sizeof q && q.version == BROKER_VERSION && q.op == BROKER_APP_CONNECT) {
        struct broker_reply r = {0};
        int fd = -1;
        q.text[sizeof q.text - 1] = '\0';
        r.result = app_connect(rt, a, q.text, &fd);
        broker_send_reply(a->broker_fd, &r, fd);
        if (fd >= 0)
            close(fd);
        return;
    }
    struct broker_reply r = {0};
    int fd = -1;
    broker_handler handler = n == sizeof q && q.version == BROKER_VERSION ? find_handler(q.op) : NULL;
    if (n != sizeof q || q.version != BROKER_VERSION) {
        r.result = -EPROTO;
    } else if (!handler) {
        r.result = -ENOSYS;
    } else {
        q.text[sizeof q.text - 1] = '\0';
        struct broker_context ctx = {.device = rt->device, .board = rt->board, .log = rt->log,
                                     .component_id = &a->cid, .component_text = a->cid_text, .app_name = a->name,
                                     .manifest = a->manifest, .storage_quota = storage_quota(a),
                                     .sysevents = rt->sysevents, .reply_sock = a->broker_fd,
                                     .request_fd = request_fd};
        r.result = handler(&ctx, &q, &r, &fd);
        if (r.result == BROKER_REPLY_LATER)
            return; /* broker_pool answers */
    }
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
        close_fd(rt, fd);
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

/* ---- memory watchdog ---------------------------------------------------------------------- */

/* The app's host PID (the only child of its container's init), or 0. */
static int app_pid(pid_t init_pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)init_pid, (int)init_pid);
    FILE *f = fopen(path, "r");
    int child = 0;
    if (f) {
        if (fscanf(f, "%d", &child) != 1)
            child = 0;
        fclose(f);
    }
    return child > 0 ? child : 0;
}

/* A "Name:  N kB" field of /proc/<pid>/status or smaps_rollup, in KiB; -1 if absent. */
static long proc_kb(int pid, const char *file, const char *field)
{
    char path[64], text[256];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
    size_t n = strlen(field);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(text, sizeof text, f))
        if (!strncmp(text, field, n) && text[n] == ':') {
            kb = strtol(text + n + 1, NULL, 10);
            break;
        }
    if (f)
        fclose(f);
    return kb;
}

/* Whether the app process has replaced the image it was forked with (a copy of sphered's, whose
   memory is no measure of the app's: under ASan it is tens of MiB) by the app's own executable. */
static bool app_has_exec(pid_t init_pid, int pid)
{
    char path[64], init_exe[PATH_MAX], app_exe[PATH_MAX];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)init_pid);
    ssize_t n = readlink(path, init_exe, sizeof init_exe - 1);
    snprintf(path, sizeof path, "/proc/%d/exe", pid);
    ssize_t m = readlink(path, app_exe, sizeof app_exe - 1);
    if (n < 0 || m < 0)
        return false;
    return n != m || memcmp(init_exe, app_exe, (size_t)n) != 0;
}

/* The app's anonymous memory in KiB (heap, stack, anonymous mappings), from its smaps_rollup;
   -1 while there is no app process or, until the baseline is taken (first_sample), while it has
   not yet executed the app's binary. */
static long app_anonymous_kb(pid_t init_pid, bool first_sample)
{
    int pid = app_pid(init_pid);
    if (!pid || (first_sample && !app_has_exec(init_pid, pid)))
        return -1;
    return proc_kb(pid, "smaps_rollup", "Anonymous");
}

static void watchdog(struct runtime *rt)
{
    for (size_t i = 0; i < rt->app_count; i++) {
        struct app *a = rt->apps[i];
        if (a->phase != PHASE_RUNNING || a->realtime || a->debug_running)
            continue; /* not while debugging: the debugger stops and starts it (docs/runtime.md) */
        long kb = app_anonymous_kb(a->init_pid, a->baseline_kb < 0);
        if (kb < 0)
            continue;
        if (a->baseline_kb < 0) {
            a->baseline_kb = kb;
            continue;
        }
        if (kb - a->baseline_kb > (long)rt->memory_limit_kb) {
            logf_app(rt, a, "%s uses %ld KiB of memory beyond its start-up %ld KiB; the limit is %u KiB: killing it",
                     a->name, kb - a->baseline_kb, a->baseline_kb, rt->memory_limit_kb);
            a->killed_for_memory = true;
            kill(a->init_pid, SIGKILL);
        }
    }
}

/* ---- reconcile ---------------------------------------------------------------------------- */

static struct app *find_app(struct runtime *rt, const struct guid *cid, size_t *index)
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
    watch(rt, a->timer_fd, tag(TAG_TIMER, *index));
    return a;
}

/* A high-level app's debug state from the device's view (rt->lock held): the listening socket
 * is made (if on_status has not yet) and watched, or closed when debugging ends. */
static void hl_debug_sync(struct runtime *rt, struct app *a, size_t index, bool debugging)
{
    a->debug_wanted = debugging;
    if (debugging && a->gdb_fd < 0) {
        uint16_t port = 0;
        if (debug_listen(DEBUG_GDB_PORT, &a->gdb_fd, &port) == 0)
            a->gdb_port = port;
        else
            logf_app(rt, a, "cannot listen for a debugger for %s on 127.0.0.1", a->name);
    }
    if (debugging && a->gdb_fd >= 0 && !a->gdb_watched) {
        watch(rt, a->gdb_fd, tag(TAG_GDB_LISTEN, index));
        a->gdb_watched = true;
    }
    if (!debugging && a->gdb_fd >= 0) {
        close_fd(rt, &a->gdb_fd);
        a->gdb_port = 0;
        a->gdb_watched = false;
    }
    if (debugging && a->out_listen_fd < 0) {
        uint16_t port = 0;
        if (debug_listen(DEBUG_OUTPUT_PORT, &a->out_listen_fd, &port) == 0)
            a->out_port = port;
    }
    if (debugging && a->out_listen_fd >= 0 && !a->out_watched) {
        watch(rt, a->out_listen_fd, tag(TAG_OUT_LISTEN, index));
        a->out_watched = true;
    }
    if (!debugging && a->out_listen_fd >= 0) {
        close_fd(rt, &a->out_listen_fd);
        a->out_port = 0;
        a->out_watched = false;
        if (a->out_client_fd >= 0)
            close(a->out_client_fd);
        a->out_client_fd = -1;
    }
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
        struct app *a = find_app(rt, &v->component_id, &index);
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
            hl_debug_sync(rt, a, index, v->debugging);
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
                hl_debug_sync(rt, rt->apps[i], i, false);
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
        logf_app(rt, a, "%s did not exit within %d ms of SIGTERM: SIGKILL", a->name, STOP_GRACE_MS);
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

static void gdbserver_reaped(struct runtime *rt, struct app *a)
{
    int status = 0;
    if (a->gdbserver_pid > 0 && waitpid(a->gdbserver_pid, &status, 0) == a->gdbserver_pid)
        logf_app(rt, a, "gdbserver for %s ended (%s %d)", a->name, WIFSIGNALED(status) ? "signal" : "exit code",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    close_fd(rt, &a->gdbserver_pidfd);
    pthread_mutex_lock(&rt->lock);
    a->gdbserver_pid = 0;
    pthread_mutex_unlock(&rt->lock);
}

/* A debugger connected to a high-level app's port, gdbserver ended, or it wrote something. */
static void debug_event(struct runtime *rt, struct app *a, size_t index, enum tag_kind kind)
{
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
            close_fd(rt, &a->gdbserver_err_fd);
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
    int pid = a->phase == PHASE_RUNNING ? app_pid(a->init_pid) : 0;
    const char *refused = a->gdbserver_pid > 0 ? "a debugger is already attached"
                          : !pid               ? "the app is not running (it restarts; connect again)"
                          : device_gdbserver_path(path, sizeof path) ? "gdbserver is not installed (Debian package gdbserver)"
                                                                     : NULL;
    if (refused) {
        logf_app(rt, a, "refused a debugger connection to %s: %s", a->name, refused);
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
        logf_app(rt, a, "cannot start gdbserver for %s: %s", a->name, strerror(-err));
        return;
    }
    if (a->gdbserver_err_fd >= 0)
        close_fd(rt, &a->gdbserver_err_fd);
    a->gdbserver_err_fd = errp[0];
    a->gdbserver_pidfd = pidfd;
    a->gdbserver_len = 0;
    pthread_mutex_lock(&rt->lock);
    a->gdbserver_pid = gs;
    pthread_mutex_unlock(&rt->lock);
    watch(rt, a->gdbserver_err_fd, tag(TAG_GDB_ERR, index));
    watch(rt, a->gdbserver_pidfd, tag(TAG_GDB_SERVER, index));
    logf_app(rt, a, "a debugger connected to %s: %s attached to it (host pid %d)", a->name, path, pid);
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
                if (read(rt->watchdog_fd, &v, sizeof v) == sizeof v)
                    watchdog(rt);
                break;
            case TAG_STATUS:
                if (a)
                    app_ended(rt, a);
                break;
            case TAG_BROKER:
                if (a && a->broker_fd >= 0 && a->realtime)
                    rt_control(rt, a, index);
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
                    on_peer(rt, a, index, events[i].events);
                break;
            case TAG_SYSEV:
                sysev_on_timer(rt->sysevents);
                break;
            case TAG_GDB_LISTEN:
            case TAG_GDB_SERVER:
            case TAG_GDB_ERR:
                if (a)
                    debug_event(rt, a, index, kind);
                break;
            case TAG_OUT_LISTEN:
                if (a && a->out_listen_fd >= 0) {
                    int c = accept4(a->out_listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                    if (c >= 0) { /* the newest client gets the output */
                        if (a->out_client_fd >= 0)
                            close(a->out_client_fd);
                        a->out_client_fd = c;
                    }
                }
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

/* An RTApp's GDB stub: a listening socket on 127.0.0.1 (any free port), made when the device
 * first reports the app as "debugging" and kept while it is, so the port can be answered at
 * once and survives restarts. Called with rt->lock held. */
static void rt_debug_state(struct app *a, struct json_value *status)
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

/* A high-level app's debug port in its status, made at once so `app start --debug-mode` can
 * answer it (the supervisor starts watching it in reconcile). Called with rt->lock held. */
static void hl_debug_state(struct runtime *rt, struct app *a, struct json_value *status)
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

static void on_status(void *ctx, const struct guid *cid, struct json_value *status)
{
    struct runtime *rt = ctx;
    pthread_mutex_lock(&rt->lock);
    for (size_t i = 0; i < rt->app_count; i++) {
        struct app *a = rt->apps[i];
        if (!guid_equal(&a->cid, cid))
            continue;
        if (a->realtime)
            rt_debug_state(a, status);
        else
            hl_debug_state(rt, a, status);
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

static void on_memory(void *ctx, struct json_value *apps, long long *bytes, long long *peak_bytes)
{
    struct runtime *rt = ctx;
    pthread_mutex_lock(&rt->lock);
    for (size_t i = 0; i < rt->app_count; i++) {
        const struct app *a = rt->apps[i];
        int pid = a->init_pid > 0 ? app_pid(a->init_pid) : 0;
        if (!pid)
            continue;
        long rss = proc_kb(pid, "status", "VmRSS"), hwm = proc_kb(pid, "status", "VmHWM");
        *bytes += rss > 0 ? rss * 1024LL : 0;
        *peak_bytes += hwm > 0 ? hwm * 1024LL : 0;
        struct json_value *entry = json_new_object(), *procs = json_new_array(), *proc = json_new_object();
        if (!entry || !procs || !proc) {
            json_free(entry), json_free(procs), json_free(proc);
            continue;
        }
        json_object_append(proc, "pid", json_new_int(pid));
        json_object_append(proc, "heapUsageByCaller", json_new_array());
        json_array_append(procs, proc);
        json_object_append(entry, "componentId", json_new_string(a->cid_text));
        json_object_append(entry, "processes", procs);
        json_array_append(apps, entry);
    }
    pthread_mutex_unlock(&rt->lock);
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
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *dir = path_dirname(exe);
        rt->rtcore_helper = dir ? path_join(dir, "sphere-rtcore") : NULL;
        free(dir);
    }
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
    watch(rt, rt->wake_fd, TAG_WAKE);
    watch(rt, rt->watchdog_fd, TAG_WATCHDOG);
    watch(rt, sysev_timer_fd(rt->sysevents), TAG_SYSEV);
    struct itimerspec its = {.it_interval = {0, WATCHDOG_MS * 1000000L}, .it_value = {0, WATCHDOG_MS * 1000000L}};
    timerfd_settime(rt->watchdog_fd, 0, &its, NULL);
    struct device_hooks hooks = {.changed = on_device_changed, .status = on_status, .memory = on_memory,
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
        close_fd(rt, &a->status_fd), close_fd(rt, &a->broker_fd), close_fd(rt, &a->out_fd);
        close_fd(rt, &a->err_fd), close_fd(rt, &a->timer_fd);
        release_rt_gpios(a);
        if (a->peer_fd >= 0)
            close(a->peer_fd);
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
