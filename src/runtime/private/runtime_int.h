/* SPDX-License-Identifier: MIT */
/*
 * runtime_int.h — what the supervisor's files share; private to src/runtime.
 *
 *   runtime.c           the supervisor: its thread and epoll loop, reconciling the apps with the
 *                       device's desired state, high-level apps (containers, broker requests,
 *                       output), the device's hooks, runtime_start()/runtime_stop().
 *   runtime_rtapp.c     RTApps: the sphere-rtcore helper's life and control protocol, and the
 *                       inter-core channel between one RTApp and its high-level peer.
 *   runtime_debug.c     debugging a high-level app: its GDB and output ports, gdbserver, the
 *                       start held until a debugger attaches.
 *   runtime_watchdog.c  the apps' memory: the watchdog that kills an app over its limit, and the
 *                       device's memory report.
 *
 * Everything here runs on the supervisor thread, except where a field says it is guarded by
 * runtime.lock (read by the device's status and memory hooks on the REST threads). Functions
 * return nothing: failures are logged to the app's device log and the app goes on or ends.
 */
#ifndef OPENSPHERE_RUNTIME_INT_H
#define OPENSPHERE_RUNTIME_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "applog.h"
#include "board.h"
#include "broker.h"
#include "device.h"
#include "guid.h"
#include "json.h"
#include "runtime.h"

#define STOP_GRACE_MS 2000     /* SIGTERM (or "stop" to an RTApp's helper) to SIGKILL */
#define BACKOFF_FIRST_MS 100   /* first restart delay after a short run; doubles per failure */
#define BACKOFF_MAX_MS 10000
#define STABLE_RUN_MS 10000    /* a run this long resets the backoff */

enum app_phase { PHASE_IDLE, PHASE_RUNNING, PHASE_STOPPING, PHASE_BACKOFF };

/* One installed app as the supervisor runs it: rt->apps[i], i being the index in its epoll tags.
 * Grouped by who uses the fields: everyone, RTApps (runtime_rtapp.c), debugging. */
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
    bool peer_direct;     /* the helper has a copy of peer_fd and serves it itself ("peer") */
    unsigned long long peers_sent; /* "peer" commands sent to this helper (peer-closed's number) */
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

/* The supervisor: one per device (runtime.h). */
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

static inline uint64_t runtime_tag(enum tag_kind kind, size_t index) { return (uint64_t)index << 8 | kind; }

/* ---- runtime.c: shared by all three ---- */

/* Adds a "runtime" line about the app to the device log (cut at APPLOG_LINE_MAX). */
void runtime_log_app(struct runtime *rt, const struct app *a, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The app's timer fires in ms (<= 0: at once) / never. */
void runtime_arm_timer(struct app *a, long ms);
void runtime_disarm_timer(struct app *a);
/* Adds fd to the supervisor's epoll set for input, tagged t (runtime_tag()). */
void runtime_watch(struct runtime *rt, int fd, uint64_t t);
/* Removes *fd from the epoll set and closes it, if open; *fd becomes -1. */
void runtime_close_fd(struct runtime *rt, int *fd);
/* The app with this component ID and its index in rt->apps, or NULL. */
struct app *runtime_find_app(struct runtime *rt, const struct guid *cid, size_t *index);
/* The app's process (container init or sphere-rtcore helper) ended or reported: reap it, close
 * its channels, record the exit, and restart it after a backoff if it is still wanted. */
void runtime_app_ended(struct runtime *rt, struct app *a);

/* ---- runtime_rtapp.c ---- */

/* Starts the RTApp's sphere-rtcore helper (phase RUNNING; BACKOFF when it cannot). */
void runtime_rtapp_start(struct runtime *rt, struct app *a, size_t index);
/* Asks the helper to stop the core (it exits; its EOF ends the app). */
void runtime_rtapp_stop(struct app *a);
/* The helper's control socket is readable: runs its events; on EOF ends the app. */
void runtime_rtapp_control(struct runtime *rt, struct app *a, size_t index);
/* The connected high-level app's socket is ready (epoll events). */
void runtime_rtapp_on_peer(struct runtime *rt, struct app *a, size_t index, uint32_t events);
/* BROKER_APP_CONNECT from high-level app a to the RTApp named by text: 0 and *fd (the app's end
 * of a new SOCK_SEQPACKET socket; the caller closes it once sent), or -EINVAL (not a component
 * ID), -EACCES (either manifest does not list the other, or not high-level to real-time),
 * -ECONNREFUSED (not installed or not running), or another -errno. */
int runtime_rtapp_connect(struct runtime *rt, struct app *a, const char *text, int *fd);
/* The RTApp ended: releases its board lines and closes its peer's channel. */
void runtime_rtapp_ended(struct runtime *rt, struct app *a);
/* Frees what the RTApp holds at runtime_stop() (the epoll set is going away). */
void runtime_rtapp_free(struct app *a);
/* The device's status for the RTApp: opens or closes its GDB stub's listening socket as the
 * state says "debugging" or not, and adds gdbPort. Called with rt->lock held. */
void runtime_rtapp_debug_state(struct app *a, struct json_value *status);

/* ---- runtime_debug.c ---- */

/* Copies a line (or, newline false, a raw chunk) of the app's output to the output port's
 * client, if one is connected; a client that cannot keep up loses it, one that failed is closed. */
void runtime_debug_copy_output(struct app *a, const char *text, size_t len, bool newline);
/* Reconcile saw the device's debugging flag for a high-level app: makes (if the status hook has
 * not) and watches its GDB and output ports, or closes them. Called with rt->lock held. */
void runtime_debug_sync(struct runtime *rt, struct app *a, size_t index, bool debugging);
/* The device's status for a high-level app: makes its ports as soon as the state is
 * "debugging" and adds outPort, gdbPort and debuggerAttached. Called with rt->lock held. */
void runtime_debug_status(struct app *a, struct json_value *status);
/* BROKER_DEBUG_WAIT from the app: answered now, unless it was started for debugging and no
 * gdbserver is attached yet (then when gdbserver reports "Attached;"). */
void runtime_debug_wait(struct runtime *rt, struct app *a);
/* One of the app's debugging descriptors fired (TAG_GDB_LISTEN: a debugger connects, one
 * gdbserver at a time; TAG_GDB_SERVER: gdbserver ended; TAG_GDB_ERR: its output;
 * TAG_OUT_LISTEN: an output client connects, replacing the previous one). */
void runtime_debug_event(struct runtime *rt, struct app *a, size_t index, enum tag_kind kind);
/* Frees the app's debugging resources at runtime_stop() (kills gdbserver; an RTApp's GDB stub
 * socket, in gdb_fd too). */
void runtime_debug_free(struct app *a);

/* ---- runtime_watchdog.c ---- */

/* Arms the watchdog's periodic timer (rt->watchdog_fd, watched as TAG_WATCHDOG). */
void runtime_watchdog_arm(struct runtime *rt);
/* The watchdog's timer fired: samples every running high-level app, kills those over the limit. */
void runtime_watchdog_fired(struct runtime *rt);
/* The app's host PID (the only child of its container's init), or 0. */
int runtime_app_pid(pid_t init_pid);
/* The device's memory hook (device_hooks.memory; ctx is the runtime). */
void runtime_memory_report(void *ctx, struct json_value *apps, long long *bytes, long long *peak_bytes);

#endif
