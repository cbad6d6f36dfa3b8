/* SPDX-License-Identifier: MIT */
/*
 * main.c — sphere-rtcore, the helper process that runs one RTApp on one emulated real-time
 * core. It links Unicorn (GPLv2) and is therefore a separate program: the sphere CLI and the
 * device daemon only start it and talk to it (docs/rtcore.md).
 *
 *   sphere-rtcore (--image-package PKG | --elf FILE [--manifest JSON]) [--instruction-clock]
 *                 [--max-instructions N] [--max-time-ms MS] [--exit-on-bkpt] [--trace-gpio]
 *                 [--control-fd FD] [--no-sandbox] [--gdb-port PORT | --gdb-listen-fd FD]
 *   sphere-rtcore --sandbox-selftest
 *
 * Standalone (no --control-fd): the core starts at once; debug-UART lines go to stdout, ISU
 * UART lines as "[ISUk] text", GPIO changes (--trace-gpio) as "[gpio] N high|low at T ms".
 * With --control-fd the helper reports "state loaded" and waits for "start" (rtcore_ctl.h).
 * With --gdb-port (127.0.0.1:PORT, 0: any free port) or --gdb-listen-fd (an inherited listening
 * socket) the core runs under the GDB stub (rtcore_gdb.h): it stays halted until a debugger
 * connects and tells it to continue; the port is reported on stderr and as "gdb-port N".
 *
 * Exit status: 0 stopped (limit, "stop", or asleep for good), 1 the firmware or package was
 * refused, 2 usage, 3 the core crashed (reason on stderr / as "state crashed"), and with
 * --exit-on-bkpt the BKPT immediate.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"
#include "hostio.h"
#include "imgpkg.h"
#include "json.h"
#include "rtcore_cpu.h"
#include "rtcore_ctl.h"
#include "rtcore_elf.h"
#include "rtcore_gdb.h"
#include "rtcore_grant.h"
#include "rtcore_sandbox.h"

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_CRASHED = 3, LINE_MAX_BYTES = 256 };
/* While a msg-ack is owed a slice is at most this long (about 0.1 ms of emulation), so a core
 * that never sleeps still acknowledges promptly. */
enum { ACK_SLICE_INSTRUCTIONS = 20000 };

struct options {
    const char *elf, *manifest, *package;
    bool instruction_clock, exit_on_bkpt, trace_gpio, no_sandbox, selftest;
    uint64_t max_instructions, max_ms;
    int control_fd;
    int gdb_port;      /* -1: no --gdb-port */
    int gdb_listen_fd; /* the stub's listening socket, or -1 */
    int gdb_bound_port; /* its port, learnt before the sandbox forbids getsockname */
};

struct line {
    char bytes[LINE_MAX_BYTES];
    size_t len;
};

struct helper {
    struct options opt;
    struct rtcore_cpu *cpu;
    struct line uart[6]; /* 0: debug UART, 1..5: ISU0..4 */
    char ctl[RTCORE_CTL_MAX_LINE];
    size_t ctl_len;
    bool started, stop_requested, control_closed;
    struct rtcore_ctl_cmd in; /* a msg-in not yet in the inbound ring */
    bool in_pending, out_waiting, mbox_reported;
    /* a msg-ack not written yet: it goes out with the next line, before the core sleeps on the
     * host, or when the slice ends, whichever comes first (one write and one wake-up of the
     * supervisor instead of two when the core answers at once) */
    bool ack_owed;
    /* the inter-core peer (rtcore_ctl.h "peer"): the connected high-level app's channel socket,
     * read and written here directly; -1 = none (messages then go as msg-in / msg-out lines) */
    int peer_fd;
    int incoming_fd;           /* a descriptor received on the control socket, not adopted yet */
    uint8_t peer_cid[16];
    uint64_t peers;            /* how many "peer" commands were adopted (peer-closed's number) */
    bool in_from_peer;         /* the pending inbound message came from peer_fd: no msg-ack */
    bool out_held;             /* out_msg waits for room in the peer's socket */
    uint8_t out_msg[RTCORE_MBOX_MAX_PAYLOAD];
    size_t out_len;
    /* the GDB stub */
    struct rtcore_gdb gdb;
    int gdb_conn;        /* the connected debugger, or -1 */
    bool halted, killed;
};

/* ---- output -------------------------------------------------------------------------------- */

static const char ack_line[] = "msg-ack\n";

__attribute__((format(printf, 2, 3))) static void emit(struct helper *h, const char *fmt, ...)
{
    char buf[sizeof ack_line - 1 + RTCORE_CTL_MAX_LINE * 4 + 64];
    size_t at = 0;
    if (h->ack_owed) {
        memcpy(buf, ack_line, sizeof ack_line - 1);
        at = sizeof ack_line - 1;
        h->ack_owed = false;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + at, sizeof buf - at, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = at + ((size_t)n < sizeof buf - at ? (size_t)n : sizeof buf - at - 1);
    int fd = h->opt.control_fd >= 0 ? h->opt.control_fd : STDOUT_FILENO;
    for (size_t done = 0; done < len && !(h->opt.control_fd >= 0 && h->control_closed);) {
        ssize_t w = write(fd, buf + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            h->control_closed = true;
            return;
        }
        done += (size_t)w;
    }
}

/* Writes the deferred msg-ack, if any. */
static void flush_ack(struct helper *h)
{
    if (h->ack_owed)
        emit(h, "%s", "");
}

static void flush_line(struct helper *h, int channel)
{
    struct line *l = &h->uart[channel];
    if (h->opt.control_fd >= 0) {
        char esc[LINE_MAX_BYTES * 4 + 1];
        rtcore_ctl_escape(l->bytes, l->len, esc, sizeof esc);
        if (channel == 0)
            emit(h, "log %s\n", esc);
        else
            emit(h, "uart ISU%d %s\n", channel - 1, esc);
    } else if (channel == 0) {
        emit(h, "%.*s\n", (int)l->len, l->bytes);
    } else {
        emit(h, "[ISU%d] %.*s\n", channel - 1, (int)l->len, l->bytes);
    }
    l->len = 0;
}

static void on_uart(void *ctx, int isu, uint8_t byte)
{
    struct helper *h = ctx;
    int channel = isu + 1;
    struct line *l = &h->uart[channel];
    if (byte == '\r')
        return;
    if (byte != '\n')
        l->bytes[l->len++] = (char)byte;
    if (byte == '\n' || l->len == LINE_MAX_BYTES)
        flush_line(h, channel);
}

static void on_gpio(void *ctx, int gpio, bool level, uint64_t cycles)
{
    struct helper *h = ctx;
    if (h->opt.control_fd >= 0)
        emit(h, "gpio %d %d %llu\n", gpio, level, (unsigned long long)cycles);
    else if (h->opt.trace_gpio)
        emit(h, "[gpio] %d %s at %.3f ms\n", gpio, level ? "high" : "low", (double)cycles * 1000.0 / RTCORE_HZ);
}

/* ---- the mailbox: supervisor <-> the core's rings ------------------------------------------ */

/* Closes the peer's socket (our copy; the supervisor closes its own), reporting it when asked. */
static void peer_close(struct helper *h, bool report)
{
    if (h->peer_fd < 0)
        return;
    close(h->peer_fd);
    h->peer_fd = -1;
    h->out_held = false;
    if (report)
        emit(h, "peer-closed %llu\n", (unsigned long long)h->peers);
}

static void mbox_failed(struct helper *h, int err)
{
    if (h->mbox_reported)
        return;
    h->mbox_reported = true;
    const char *why = err == -EPROTO ? rtcore_cpu_mbox_error(h->cpu) : "no shared buffers";
    if (h->opt.control_fd >= 0)
        emit(h, "mbox-error %s\n", why);
    else
        emit(h, "[mailbox] %s\n", why);
    peer_close(h, false); /* the channel is closed: the supervisor closes its copy on mbox-error */
}

/* Moves the pending msg-in into the inbound ring if there is room. */
static void mbox_push(struct helper *h)
{
    if (!h->in_pending)
        return;
    int err = rtcore_cpu_mbox_push(h->cpu, h->in.cid, h->in.data, h->in.len);
    if (err == -EAGAIN)
        return; /* back-pressure: the supervisor sends nothing more until msg-ack */
    h->in_pending = false;
    if (err)
        mbox_failed(h, err);
    if (h->in_from_peer)
        return; /* the peer's next message is simply read now: no one waits for an ack */
    if (h->opt.control_fd >= 0)
        h->ack_owed = true; /* written by flush_ack or with the next line */
    else
        emit(h, "%s", ack_line);
}

/* Sends the held block to the peer: false while its socket is full. */
static bool peer_send_held(struct helper *h)
{
    if (!h->out_held)
        return true;
    ssize_t w = send(h->peer_fd, h->out_msg, h->out_len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w < 0 && (errno == EAGAIN || errno == ENOBUFS || errno == EINTR))
        return false;
    h->out_held = false;
    if (w < 0)
        peer_close(h, true); /* the app is gone: the block is dropped, as the device would */
    return true;
}

/* Takes the peer's next messages into the inbound ring while there is room (back-pressure: a
 * message that does not fit waits in `in`, and the socket is not read meanwhile). */
static void peer_read(struct helper *h)
{
    static uint8_t msg[RTCORE_MBOX_MAX_PAYLOAD + 1];
    for (int i = 0; i < 16 && h->peer_fd >= 0 && !h->in_pending; i++) {
        ssize_t n = recv(h->peer_fd, msg, sizeof msg, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) {
            peer_close(h, true);
            return;
        }
        if (n > RTCORE_MBOX_MAX_PAYLOAD) {
            emit(h, "peer-dropped %zd\n", n);
            continue;
        }
        memcpy(h->in.cid, h->peer_cid, sizeof h->in.cid);
        memcpy(h->in.data, msg, (size_t)n);
        h->in.len = (size_t)n;
        h->in_pending = h->in_from_peer = true;
        mbox_push(h);
    }
}

/* Passes the next block the core sent to the supervisor (one at a time, until msg-out-ack). */
static void mbox_pop(struct helper *h)
{
    while (!h->out_waiting && !h->out_held && !h->control_closed) {
        uint8_t cid[16], payload[RTCORE_MBOX_MAX_PAYLOAD];
        size_t len = 0;
        int err = rtcore_cpu_mbox_pop(h->cpu, cid, payload, &len);
        if (err) {
            if (err != -EAGAIN)
                mbox_failed(h, err);
            return;
        }
        if (h->peer_fd >= 0 && !memcmp(cid, h->peer_cid, sizeof cid)) {
            memcpy(h->out_msg, payload, len); /* straight to the app, held while its socket is full */
            h->out_len = len;
            h->out_held = true;
            peer_send_held(h);
            continue;
        }
        char cid_text[37], hex[RTCORE_MBOX_MAX_PAYLOAD * 2 + 1];
        rtcore_ctl_cid_format(cid, cid_text);
        rtcore_ctl_hex(payload, len, hex);
        if (h->opt.control_fd >= 0) {
            emit(h, "msg-out %s %s\n", cid_text, hex);
            h->out_waiting = true;
        } else {
            emit(h, "[mailbox] to %s: %s\n", cid_text, hex);
        }
    }
}

/* The core is about to sleep on the host: nothing may wait for it. */
static void on_idle(void *ctx) { flush_ack(ctx); }

static void on_mailbox(void *ctx, enum rtcore_mbox_event event)
{
    struct helper *h = ctx;
    if (event == RTCORE_MBOX_CONSUMED)
        mbox_push(h);
    else
        mbox_pop(h);
}

static void flush_all(struct helper *h)
{
    for (int i = 0; i < 6; i++)
        if (h->uart[i].len)
            flush_line(h, i);
}

/* ---- options ------------------------------------------------------------------------------- */

static int usage(const char *why)
{
    fprintf(stderr, "sphere-rtcore: %s\nusage: sphere-rtcore (--image-package PKG | --elf FILE [--manifest JSON])\n"
                    "         [--instruction-clock] [--max-instructions N] [--max-time-ms MS] [--exit-on-bkpt]\n"
                    "         [--trace-gpio] [--control-fd FD] [--no-sandbox] [--gdb-port PORT | --gdb-listen-fd FD]\n"
                    "       sphere-rtcore --sandbox-selftest\n", why);
    return EXIT_USAGE;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = s && *s >= '0' && *s <= '9' ? strtoull(s, &end, 10) : 0;
    if (!s || *s < '0' || *s > '9' || *end || errno)
        return false;
    *out = v;
    return true;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    *o = (struct options){.control_fd = -1, .gdb_port = -1, .gdb_listen_fd = -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n = 0;
        bool takes = true;
        if (!strcmp(a, "--elf")) o->elf = v;
        else if (!strcmp(a, "--manifest")) o->manifest = v;
        else if (!strcmp(a, "--image-package")) o->package = v;
        else if (!strcmp(a, "--max-instructions") && parse_u64(v, &n)) o->max_instructions = n;
        else if (!strcmp(a, "--max-time-ms") && parse_u64(v, &n)) o->max_ms = n;
        else if (!strcmp(a, "--control-fd") && parse_u64(v, &n) && n < 1024) o->control_fd = (int)n;
        else if (!strcmp(a, "--gdb-port") && parse_u64(v, &n) && n < 65536) o->gdb_port = (int)n;
        else if (!strcmp(a, "--gdb-listen-fd") && parse_u64(v, &n) && n < 1024) o->gdb_listen_fd = (int)n;
        else {
            takes = false;
            if (!strcmp(a, "--instruction-clock")) o->instruction_clock = true;
            else if (!strcmp(a, "--exit-on-bkpt")) o->exit_on_bkpt = true;
            else if (!strcmp(a, "--trace-gpio")) o->trace_gpio = true;
            else if (!strcmp(a, "--no-sandbox")) o->no_sandbox = true;
            else if (!strcmp(a, "--sandbox-selftest")) o->selftest = true;
            else {
                char why[300];
                snprintf(why, sizeof why, "bad option or value: %s", a);
                return usage(why);
            }
        }
        if (takes && !v)
            return usage("an option is missing its value");
        i += takes;
    }
    if (!o->selftest && !o->elf == !o->package)
        return usage("give exactly one of --image-package and --elf");
    if (o->package && o->manifest)
        return usage("--manifest goes with --elf; a package carries its own");
    if (o->gdb_port >= 0 && o->gdb_listen_fd >= 0)
        return usage("give at most one of --gdb-port and --gdb-listen-fd");
    return 0;
}

/* ---- loading ------------------------------------------------------------------------------- */

struct input {
    char *file;        /* the ELF or the whole package */
    size_t file_len;
    char *manifest;    /* separate manifest file, when given */
    size_t manifest_len;
    struct imgpkg pkg;
    bool have_pkg;
    const uint8_t *elf;
    size_t elf_len;
    const char *manifest_text;
    size_t manifest_text_len;
};

static void input_free(struct input *in)
{
    if (in->have_pkg)
        imgpkg_free(&in->pkg);
    free(in->file);
    free(in->manifest);
}

/* The EntryPoint of a manifest, without its leading '/', copied into out. */
static int entry_point(const char *text, size_t len, char *out, size_t out_size)
{
    struct diag_list diags = {0};
    struct json_value *root = NULL;
    int err = json_parse(text, len, NULL, "app_manifest.json", &diags, &root);
    diag_list_free(&diags);
    const struct json_value *ep = !err && root && root->type == JSON_OBJECT ? json_object_get(root, "EntryPoint") : NULL;
    if (!ep || ep->type != JSON_STRING || ep->u.string.len + 1 > out_size) {
        json_free(root);
        return -EINVAL;
    }
    snprintf(out, out_size, "%s", ep->u.string.chars + (ep->u.string.chars[0] == '/'));
    json_free(root);
    return 0;
}

static int load_package(struct input *in, const char *path)
{
    struct imgpkg_error perr = {0};
    if (imgpkg_parse((const uint8_t *)in->file, in->file_len, &in->pkg, &perr)) {
        fprintf(stderr, "sphere-rtcore: %s is not an image package: %s\n", path, perr.message);
        return EXIT_REFUSED;
    }
    in->have_pkg = true;
    const struct imgpkg_file *m = imgpkg_find(&in->pkg, "app_manifest.json");
    char ep[256];
    if (!m || entry_point((const char *)m->data, m->size, ep, sizeof ep)) {
        fprintf(stderr, "sphere-rtcore: %s has no app_manifest.json with an EntryPoint\n", path);
        return EXIT_REFUSED;
    }
    const struct imgpkg_file *elf = imgpkg_find(&in->pkg, ep);
    if (!elf) {
        fprintf(stderr, "sphere-rtcore: %s: the EntryPoint /%s is not in the package\n", path, ep);
        return EXIT_REFUSED;
    }
    in->manifest_text = (const char *)m->data;
    in->manifest_text_len = m->size;
    in->elf = elf->data;
    in->elf_len = elf->size;
    return 0;
}

static int load_input(const struct options *o, struct input *in)
{
    const char *path = o->package ? o->package : o->elf;
    int err = hostio_read_file(path, &in->file, &in->file_len);
    if (err) {
        fprintf(stderr, "sphere-rtcore: cannot read %s: %s\n", path, os_strerror(err));
        return EXIT_REFUSED;
    }
    if (o->package)
        return load_package(in, path);
    in->elf = (const uint8_t *)in->file;
    in->elf_len = in->file_len;
    if (o->manifest) {
        if ((err = hostio_read_file(o->manifest, &in->manifest, &in->manifest_len))) {
            fprintf(stderr, "sphere-rtcore: cannot read %s: %s\n", o->manifest, os_strerror(err));
            return EXIT_REFUSED;
        }
        in->manifest_text = in->manifest;
        in->manifest_text_len = in->manifest_len;
    }
    return 0;
}

static int make_core(struct helper *h, const struct input *in)
{
    struct rtcore_image img;
    struct rtcore_load_error lerr = {0};
    bool granted[RTCORE_BLOCK_COUNT] = {0};
    char why[256];
    if (rtcore_elf_parse(in->elf, in->elf_len, &img, &lerr)) {
        fprintf(stderr, "sphere-rtcore: refused the firmware: %s [%s]\n", lerr.message, lerr.code);
        return EXIT_REFUSED;
    }
    int err = in->manifest_text ? rtcore_grant_from_manifest(in->manifest_text, in->manifest_text_len, granted, why, sizeof why) : 0;
    if (err) {
        fprintf(stderr, "sphere-rtcore: refused the app manifest: %s\n", err == -ENOMEM ? "out of memory" : why);
        return EXIT_REFUSED;
    }
    struct rtcore_config cfg = {h->opt.instruction_clock ? RTCORE_CLOCK_INSTRUCTIONS : RTCORE_CLOCK_HOST,
                                h->opt.exit_on_bkpt, h->opt.gdb_listen_fd >= 0};
    struct rtcore_cpu_ops ops = {h, on_uart, on_gpio, on_mailbox, on_idle};
    if ((err = rtcore_cpu_new(&img, in->elf, granted, &cfg, &ops, &h->cpu))) {
        fprintf(stderr, "sphere-rtcore: cannot create the emulated core: %s\n", os_strerror(err));
        return EXIT_REFUSED;
    }
    return 0;
}

/* ---- control ------------------------------------------------------------------------------- */

static const char *state_name(const struct helper *h)
{
    return !h->started ? "loaded" : h->stop_requested ? "stopped" : "running";
}

static void run_command(struct helper *h, const char *line, size_t len)
{
    static struct rtcore_ctl_cmd cmd; /* 1 KiB of payload: not on the stack */
    if (rtcore_ctl_parse(line, len, &cmd)) {
        char esc[RTCORE_CTL_MAX_LINE * 4 + 1];
        rtcore_ctl_escape(line, len, esc, sizeof esc);
        emit(h, "error unknown command: %s\n", esc);
        return;
    }
    switch (cmd.verb) {
    case RTCORE_CTL_START:
        if (!h->started)
            emit(h, "state running\n");
        h->started = true;
        break;
    case RTCORE_CTL_STOP: h->stop_requested = true; break;
    case RTCORE_CTL_STATUS:
        emit(h, "status %s instructions=%llu cycles=%llu exceptions=%llu\n", state_name(h),
             (unsigned long long)rtcore_cpu_instructions(h->cpu), (unsigned long long)rtcore_cpu_cycles(h->cpu),
             (unsigned long long)rtcore_cpu_exceptions_taken(h->cpu));
        break;
    case RTCORE_CTL_GPIO_IN: rtcore_cpu_gpio_input(h->cpu, cmd.gpio, cmd.level); break;
    case RTCORE_CTL_MSG_IN:
        if (h->in_pending) {
            emit(h, "error msg-in before msg-ack: dropped\n");
            return;
        }
        h->in = cmd;
        h->in_pending = true;
        h->in_from_peer = false;
        mbox_push(h);
        break;
    case RTCORE_CTL_PEER:
        if (h->incoming_fd < 0) {
            emit(h, "error peer without a descriptor\n");
            return;
        }
        peer_close(h, false); /* replaced: the supervisor closed its copy already */
        h->peer_fd = h->incoming_fd;
        h->incoming_fd = -1;
        h->peers++;
        memcpy(h->peer_cid, cmd.cid, sizeof h->peer_cid);
        peer_read(h);
        mbox_pop(h);
        break;
    case RTCORE_CTL_MSG_OUT_ACK:
        h->out_waiting = false;
        mbox_pop(h);
        break;
    }
}

/* Reads what the supervisor sent (the socket is readable) and runs complete lines. */
static void read_control(struct helper *h)
{
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    struct iovec iov = {h->ctl + h->ctl_len, sizeof h->ctl - h->ctl_len};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                       .msg_controllen = sizeof control.space};
    ssize_t n = recvmsg(h->opt.control_fd, &m, MSG_CMSG_CLOEXEC);
    for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int))) {
            if (h->incoming_fd >= 0)
                close(h->incoming_fd);
            memcpy(&h->incoming_fd, CMSG_DATA(c), sizeof(int)); /* adopted by the "peer" line */
        }
    if (n <= 0) {
        h->control_closed = true; /* the supervisor went away: stop */
        h->stop_requested = true;
        return;
    }
    h->ctl_len += (size_t)n;
    char *nl;
    while ((nl = memchr(h->ctl, '\n', h->ctl_len))) {
        size_t len = (size_t)(nl - h->ctl);
        run_command(h, h->ctl, len);
        memmove(h->ctl, nl + 1, h->ctl_len - len - 1);
        h->ctl_len -= len + 1;
    }
    if (h->ctl_len == sizeof h->ctl) {
        emit(h, "error command line too long\n");
        h->ctl_len = 0;
    }
}

/* The peer's entry in a poll set: readable only while nothing waits for the ring (a hung-up
 * socket would otherwise report POLLHUP forever), writable while a block is held. */
static bool peer_pollfd(const struct helper *h, struct pollfd *p)
{
    short events = (short)((h->in_pending ? 0 : POLLIN) | (h->out_held ? POLLOUT : 0));
    if (h->peer_fd < 0 || !events)
        return false;
    *p = (struct pollfd){h->peer_fd, events, 0};
    return true;
}

static void peer_ready(struct helper *h, short revents)
{
    if (h->out_held && (revents & (POLLOUT | POLLERR | POLLHUP)) && peer_send_held(h))
        mbox_pop(h);
    if (revents & (POLLIN | POLLERR | POLLHUP))
        peer_read(h);
}

/* Reads whatever the supervisor or the peer sent (waiting up to timeout_ms) and acts on it. */
static void poll_control(struct helper *h, int timeout_ms)
{
    flush_ack(h);
    if (h->opt.control_fd < 0 || h->control_closed)
        return;
    struct pollfd p[2] = {{h->opt.control_fd, POLLIN, 0}};
    nfds_t n = 1 + peer_pollfd(h, &p[1]);
    if (poll(p, n, timeout_ms) <= 0)
        return;
    if (p[0].revents)
        read_control(h);
    if (n == 2 && p[1].revents)
        peer_ready(h, p[1].revents);
}

/* ---- running ------------------------------------------------------------------------------- */

static int finish(struct helper *h, enum rtcore_stop stop)
{
    flush_ack(h);
    flush_all(h);
    bool ctl = h->opt.control_fd >= 0;
    if (stop == RTCORE_STOP_CRASHED) {
        if (ctl)
            emit(h, "state crashed %s\n", rtcore_cpu_crash_reason(h->cpu));
        fprintf(stderr, "sphere-rtcore: crashed: %s\n", rtcore_cpu_crash_reason(h->cpu));
        return EXIT_CRASHED;
    }
    if (stop == RTCORE_STOP_EXITED) {
        if (ctl)
            emit(h, "state exited %d\n", rtcore_cpu_exit_status(h->cpu));
        return rtcore_cpu_exit_status(h->cpu);
    }
    const char *how = stop == RTCORE_STOP_ASLEEP ? "asleep (WFI with no timer running)" : "stopped";
    if (ctl)
        emit(h, "state %s\n", stop == RTCORE_STOP_ASLEEP ? "asleep" : "stopped");
    fprintf(stderr, "sphere-rtcore: %s after %llu instructions, %.3f ms of %s time\n", how,
            (unsigned long long)rtcore_cpu_instructions(h->cpu),
            (double)rtcore_cpu_cycles(h->cpu) * 1000.0 / RTCORE_HZ,
            h->opt.instruction_clock ? "instruction-clock" : "host-clock");
    return EXIT_OK;
}

static int run(struct helper *h)
{
    const struct options *o = &h->opt;
    uint64_t max_cycles = o->max_ms ? o->max_ms * (RTCORE_HZ / 1000) : 0;
    if (o->control_fd >= 0)
        emit(h, "state loaded\n");
    h->started = o->control_fd < 0;
    while (!h->started && !h->stop_requested)
        poll_control(h, -1);
    for (;;) {
        if (h->stop_requested)
            return finish(h, RTCORE_STOP_SLICE);
        uint64_t done_i = rtcore_cpu_instructions(h->cpu), done_c = rtcore_cpu_cycles(h->cpu);
        if ((o->max_instructions && done_i >= o->max_instructions) || (max_cycles && done_c >= max_cycles))
            return finish(h, RTCORE_STOP_SLICE);
        uint64_t slice_i = o->max_instructions ? o->max_instructions - done_i : 0;
        uint64_t slice_c = max_cycles ? max_cycles - done_c : 0;
        if (o->control_fd >= 0 && (!slice_i || slice_i > 2000000))
            slice_i = 2000000; /* bounded slices keep the control socket responsive */
        if (h->ack_owed && slice_i > ACK_SLICE_INSTRUCTIONS)
            slice_i = ACK_SLICE_INSTRUCTIONS;
        enum rtcore_stop stop = rtcore_cpu_run(h->cpu, slice_i, slice_c);
        mbox_push(h);
        mbox_pop(h);
        if (stop == RTCORE_STOP_CRASHED || stop == RTCORE_STOP_EXITED)
            return finish(h, stop);
        if (stop == RTCORE_STOP_ASLEEP && o->control_fd < 0)
            return finish(h, stop);
        poll_control(h, stop == RTCORE_STOP_ASLEEP ? 100 : 0);
    }
}

/* ---- the GDB stub (rtcore_gdb.h) ---------------------------------------------------------- */

static void gdb_read_regs(void *ctx, uint32_t regs[RTCORE_GDB_REGS]) { rtcore_cpu_read_regs(((struct helper *)ctx)->cpu, regs); }
static void gdb_write_reg(void *ctx, int n, uint32_t v) { rtcore_cpu_write_reg(((struct helper *)ctx)->cpu, n, v); }
static int gdb_read_mem(void *ctx, uint32_t addr, uint8_t *buf, uint32_t len)
{
    return rtcore_cpu_debug_read(((struct helper *)ctx)->cpu, addr, buf, len);
}
static int gdb_write_mem(void *ctx, uint32_t addr, const uint8_t *buf, uint32_t len)
{
    return rtcore_cpu_debug_write(((struct helper *)ctx)->cpu, addr, buf, len);
}
static int gdb_breakpoint(void *ctx, uint32_t addr, bool set) { return rtcore_cpu_breakpoint(((struct helper *)ctx)->cpu, addr, set); }

static void gdb_drop(struct helper *h)
{
    if (h->gdb_conn >= 0)
        close(h->gdb_conn);
    h->gdb_conn = -1;
}

static void gdb_send(void *ctx, const char *bytes, size_t len)
{
    struct helper *h = ctx;
    for (size_t done = 0; h->gdb_conn >= 0 && done < len;) {
        ssize_t w = write(h->gdb_conn, bytes + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            gdb_drop(h); /* the debugger went away: the core runs on */
            h->halted = false;
            return;
        }
        done += (size_t)w;
    }
}

/* --gdb-port: the listening socket on 127.0.0.1, made before the sandbox forbids socket(). */
static int gdb_listen(struct options *o)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->gdb_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 1)) {
        fprintf(stderr, "sphere-rtcore: cannot listen on 127.0.0.1:%d for the debugger: %s\n", o->gdb_port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return EXIT_REFUSED;
    }
    o->gdb_listen_fd = fd;
    return 0;
}

static int gdb_port_of(int fd)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) || sa.sin_family != AF_INET)
        return -1;
    return ntohs(sa.sin_port);
}

/* The core halted (breakpoint, step, fault, interrupt): tell the debugger. */
static void gdb_halt(struct helper *h, enum rtcore_stop stop, int signal)
{
    h->halted = true;
    if (h->gdb_conn >= 0)
        rtcore_gdb_stopped(&h->gdb, stop == RTCORE_STOP_CRASHED ? 11 : signal);
}

/* Bytes from the debugger: runs what they ask for. */
static void gdb_input(struct helper *h)
{
    uint8_t buf[4096];
    ssize_t n = read(h->gdb_conn, buf, sizeof buf);
    if (n <= 0) {
        if (n < 0 && errno == EINTR)
            return;
        gdb_drop(h); /* gone without 'D': as a detach */
        h->halted = false;
        return;
    }
    for (size_t at = 0; at < (size_t)n && h->gdb_conn >= 0;) {
        size_t used = 0;
        enum rtcore_gdb_action act = rtcore_gdb_feed(&h->gdb, buf + at, (size_t)n - at, &used);
        at += used;
        switch (act) {
        case RTCORE_GDB_NONE: break;
        case RTCORE_GDB_CONTINUE: h->halted = false; break;
        case RTCORE_GDB_STEP: {
            enum rtcore_stop stop = rtcore_cpu_step(h->cpu);
            mbox_push(h);
            mbox_pop(h);
            if (stop == RTCORE_STOP_EXITED) {
                rtcore_gdb_ended(&h->gdb, true, rtcore_cpu_exit_status(h->cpu));
                h->halted = false; /* the run loop finishes */
            } else {
                gdb_halt(h, stop, 5);
            }
            break;
        }
        case RTCORE_GDB_INTERRUPT: gdb_halt(h, RTCORE_STOP_SLICE, 2); break;
        case RTCORE_GDB_DETACH:
            gdb_drop(h);
            h->halted = false;
            break;
        case RTCORE_GDB_KILL:
            gdb_drop(h);
            h->killed = true;
            break;
        }
    }
}

/* Waits up to timeout_ms for the supervisor, a debugger connecting, or the debugger. */
static void poll_debug(struct helper *h, int timeout_ms)
{
    flush_ack(h);
    struct pollfd p[4];
    int n = 0, ctl = -1, lis = -1, con = -1, peer = -1;
    if (peer_pollfd(h, &p[n]))
        peer = n++;
    if (h->opt.control_fd >= 0 && !h->control_closed)
        ctl = n, p[n++] = (struct pollfd){h->opt.control_fd, POLLIN, 0};
    if (h->gdb_conn < 0)
        lis = n, p[n++] = (struct pollfd){h->opt.gdb_listen_fd, POLLIN, 0};
    else
        con = n, p[n++] = (struct pollfd){h->gdb_conn, POLLIN, 0};
    if (poll(p, (nfds_t)n, timeout_ms) <= 0)
        return;
    if (ctl >= 0 && p[ctl].revents)
        read_control(h);
    if (peer >= 0 && p[peer].revents)
        peer_ready(h, p[peer].revents);
    if (con >= 0 && p[con].revents)
        gdb_input(h);
    if (lis >= 0 && p[lis].revents) {
        int fd = accept4(h->opt.gdb_listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            h->gdb_conn = fd;
            h->halted = true; /* a debugger attaching stops the core */
            struct rtcore_gdb_target t = {h, gdb_read_regs, gdb_write_reg, gdb_read_mem, gdb_write_mem, gdb_breakpoint, gdb_send};
            rtcore_gdb_init(&h->gdb, &t);
        }
    }
}

/* The run loop under the stub: halted until the debugger continues; between slices the
 * supervisor and the debugger (0x03) are polled. */
static int run_debug(struct helper *h)
{
    const struct options *o = &h->opt;
    uint64_t max_cycles = o->max_ms ? o->max_ms * (RTCORE_HZ / 1000) : 0;
    int port = o->gdb_bound_port;
    fprintf(stderr, "sphere-rtcore: GDB stub listening on 127.0.0.1:%d; the core waits for the debugger\n", port);
    if (o->control_fd >= 0)
        emit(h, "gdb-port %d\nstate loaded\n", port);
    h->started = o->control_fd < 0;
    while (!h->started && !h->stop_requested)
        poll_control(h, -1);
    h->halted = true;
    enum rtcore_stop last = RTCORE_STOP_SLICE;
    for (;;) {
        if (h->stop_requested || h->killed)
            return finish(h, last == RTCORE_STOP_CRASHED ? last : RTCORE_STOP_SLICE);
        if (h->halted) {
            poll_debug(h, -1);
            continue;
        }
        uint64_t done_i = rtcore_cpu_instructions(h->cpu), done_c = rtcore_cpu_cycles(h->cpu);
        if ((o->max_instructions && done_i >= o->max_instructions) || (max_cycles && done_c >= max_cycles))
            return finish(h, RTCORE_STOP_SLICE);
        uint64_t slice_i = o->max_instructions ? o->max_instructions - done_i : 0;
        if (!slice_i || slice_i > 200000)
            slice_i = 200000; /* short slices: 0x03 and "stop" are seen quickly */
        if (h->ack_owed && slice_i > ACK_SLICE_INSTRUCTIONS)
            slice_i = ACK_SLICE_INSTRUCTIONS;
        enum rtcore_stop stop = rtcore_cpu_run(h->cpu, slice_i, max_cycles ? max_cycles - done_c : 0);
        mbox_push(h);
        mbox_pop(h);
        if (stop == RTCORE_STOP_EXITED) {
            if (h->gdb_conn >= 0)
                rtcore_gdb_ended(&h->gdb, true, rtcore_cpu_exit_status(h->cpu));
            return finish(h, stop);
        }
        if (stop == RTCORE_STOP_CRASHED && h->gdb_conn < 0)
            return finish(h, stop);
        if (stop == RTCORE_STOP_BREAKPOINT || stop == RTCORE_STOP_CRASHED) {
            last = stop;
            fprintf(stderr, "sphere-rtcore: halted for the debugger%s%s\n", stop == RTCORE_STOP_CRASHED ? ": " : "",
                    stop == RTCORE_STOP_CRASHED ? rtcore_cpu_crash_reason(h->cpu) : "");
            gdb_halt(h, stop, 5);
            continue;
        }
        poll_debug(h, stop == RTCORE_STOP_ASLEEP ? 100 : 0);
    }
}

static int selftest(void)
{
    int err = rtcore_sandbox_enter(-1);
    if (err) {
        fprintf(stderr, "sphere-rtcore: the sandbox could not be installed: %s\n", os_strerror(err));
        return EXIT_REFUSED;
    }
    static const char msg[] = "sandbox installed; now trying to open a file\n";
    if (write(STDOUT_FILENO, msg, sizeof msg - 1) < 0)
        return EXIT_REFUSED;
    FILE *f = fopen("/etc/hostname", "r"); /* must kill the process */
    if (f)
        fclose(f);
    return 0; /* reached only if the sandbox let the open through */
}

#ifdef RTCORE_NO_SANDBOX_BUILD
/* Sanitizer builds: Unicorn 2.0.1 leaks its per-page code bitmaps (tb_invalidate_phys_page_fast)
 * when guest code writes to a page it also runs from; that is the library's, not ours. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libunicorn.so\n"; }
#endif

int main(int argc, char **argv)
{
    struct helper h = {.gdb_conn = -1, .peer_fd = -1, .incoming_fd = -1};
    int rc = parse_options(argc, argv, &h.opt);
    if (rc)
        return rc;
    if (h.opt.selftest)
        return selftest();
    if (h.opt.gdb_port >= 0 && (rc = gdb_listen(&h.opt)))
        return rc;
    if (h.opt.gdb_listen_fd >= 0) {
        signal(SIGPIPE, SIG_IGN); /* a debugger that vanishes must not kill the core */
        if ((h.opt.gdb_bound_port = gdb_port_of(h.opt.gdb_listen_fd)) < 0)
            return usage("--gdb-listen-fd is not a listening TCP socket");
        int one = 1; /* accepted connections inherit it: acks and replies leave at once */
        setsockopt(h.opt.gdb_listen_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    struct input in = {0};
    rc = load_input(&h.opt, &in);
    if (!rc)
        rc = make_core(&h, &in);
    input_free(&in);
#ifdef RTCORE_NO_SANDBOX_BUILD
    h.opt.no_sandbox = true;
#endif
    if (!rc && !h.opt.no_sandbox) {
        int err = rtcore_sandbox_enter(h.opt.gdb_listen_fd);
        if (err) {
            fprintf(stderr, "sphere-rtcore: the sandbox could not be installed: %s\n", os_strerror(err));
            rc = EXIT_REFUSED;
        }
    }
    if (!rc)
        rc = h.opt.gdb_listen_fd >= 0 ? run_debug(&h) : run(&h);
    gdb_drop(&h);
    peer_close(&h, false);
    rtcore_cpu_free(h.cpu);
    return rc;
}
