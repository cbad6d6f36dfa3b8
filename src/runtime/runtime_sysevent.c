/* SPDX-License-Identifier: MIT */
/* runtime_sysevent.c — system events: registrations, the update offer and its deferrals (see
 * runtime_sysevent.h; docs/runtime.md, "System events"). */
#include "runtime_sysevent.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* The values of applibs/sysevent.h (the platform's ABI). */
enum { EV_READY = 0x01, EV_STARTED = 0x02, EV_NO_UPDATE = 0x04, EV_MASK = 0x07 };
enum { ST_PENDING = 1, ST_FINAL = 2, ST_DEFERRED = 3, ST_COMPLETE = 4 };
enum { TYPE_APP = 1, TYPE_SYSTEM = 2 };

#define MAX_REGS 32

struct reg {
    bool used;
    struct guid cid;
    char cid_text[GUID_TEXT_LEN + 1];
    char name[32];
    uint32_t mask;
    int fd;              /* the device's end of the event channel */
    bool notified;       /* told about the current offer */
    bool resumed;        /* let the current offer go ahead (SysEvent_ResumeEvent while pending) */
    long long defer_end; /* monotonic ms; 0 = no deferral */
    unsigned defer_minutes;
};

enum offer_state { OFFER_NONE, OFFER_PENDING, OFFER_DEFERRED, OFFER_FINAL, OFFER_DONE };
static const char *const offer_names[] = {"none", "pending", "deferred", "final", "complete"};

struct sysev {
    pthread_mutex_t lock;
    struct applog *log;
    int timer_fd;
    struct reg regs[MAX_REGS];
    /* The update offer (UpdateReadyForInstall). */
    enum offer_state state;
    uint32_t type;
    unsigned max_minutes;
    unsigned offered_minutes; /* the maximum named in the open Pending offer */
    long long limit;      /* monotonic ms: the end of the deferral allowance */
    long long deadline;   /* monotonic ms: the end of the current Pending/Final window or deferral */
    unsigned ms_per_min;  /* 60000, or less when the simulation speeds time up */
    unsigned window_ms;
};

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* A monotonic deadline as wall-clock seconds. */
static int64_t wall(long long mono_ms) { return (int64_t)time(NULL) + (mono_ms - now_ms() + 999) / 1000; }

static void logf_sys(struct sysev *s, const struct guid *cid, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void logf_sys(struct sysev *s, const struct guid *cid, const char *fmt, ...)
{
    char text[APPLOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    static const struct guid none;
    applog_add(s->log, cid ? cid : &none, "sysevent", text, n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

static const char *event_name(uint32_t ev)
{
    return ev == EV_READY ? "updateReadyForInstall" : ev == EV_STARTED ? "updateStarted" : "noUpdateAvailable";
}

static const char *status_name(uint32_t st)
{
    static const char *const names[] = {"Invalid", "Pending", "Final", "Deferred", "Complete"};
    return st < 5 ? names[st] : "?";
}

static unsigned remaining_minutes(const struct sysev *s)
{
    long long left = s->limit - now_ms();
    return left > 0 ? (unsigned)(left / s->ms_per_min) : 0;
}

static void close_reg(struct reg *r)
{
    if (r->fd >= 0)
        close(r->fd);
    memset(r, 0, sizeof *r);
    r->fd = -1;
}

/* Sends one event to every app registered for it; returns how many got it. */
static size_t broadcast(struct sysev *s, uint32_t ev, uint32_t status, unsigned max_minutes, uint32_t type, bool mark)
{
    struct broker_sysevent m = {.event = ev, .status = status, .max_deferral_minutes = max_minutes, .update_type = type};
    size_t n = 0;
    for (size_t i = 0; i < MAX_REGS; i++) {
        struct reg *r = &s->regs[i];
        if (!r->used || !(r->mask & ev))
            continue;
        ssize_t w = send(r->fd, &m, sizeof m, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w != sizeof m) {
            logf_sys(s, &r->cid, "%s: cannot deliver %s (%s): %s", r->name, event_name(ev), status_name(status),
                     w < 0 ? strerror(errno) : "short write");
            continue;
        }
        if (mark)
            r->notified = true;
        n++;
        logf_sys(s, &r->cid, "%s: delivered %s, status %s%s", r->name, event_name(ev), status_name(status),
                 ev == EV_NO_UPDATE ? "" : type == TYPE_APP ? " (app update)" : " (system update)");
    }
    return n;
}

static void arm(struct sysev *s)
{
    struct itimerspec its = {0};
    if (s->state == OFFER_PENDING || s->state == OFFER_DEFERRED || s->state == OFFER_FINAL) {
        long long left = s->deadline - now_ms();
        if (left <= 0)
            left = 1;
        its.it_value.tv_sec = left / 1000;
        its.it_value.tv_nsec = (left % 1000) * 1000000L;
    }
    timerfd_settime(s->timer_fd, 0, &its, NULL);
}

/* Offers the update with `minutes` of deferral left: the whole allowance on injection (a
 * millisecond spent logging must not round it down), what the clock leaves on a re-offer. */
static void go_pending(struct sysev *s, unsigned minutes)
{
    s->state = OFFER_PENDING;
    s->offered_minutes = minutes;
    s->deadline = now_ms() + s->window_ms;
    for (size_t i = 0; i < MAX_REGS; i++)
        s->regs[i].resumed = false, s->regs[i].defer_end = 0, s->regs[i].defer_minutes = 0;
    broadcast(s, EV_READY, ST_PENDING, minutes, s->type, true);
}

static void go_final(struct sysev *s)
{
    s->state = OFFER_FINAL;
    s->deadline = now_ms() + s->window_ms;
    for (size_t i = 0; i < MAX_REGS; i++)
        s->regs[i].defer_end = 0, s->regs[i].defer_minutes = 0;
    broadcast(s, EV_READY, ST_FINAL, 0, s->type, true);
}

/* The latest deferral end of any app, or 0. */
static long long deferral_end(const struct sysev *s)
{
    long long end = 0;
    for (size_t i = 0; i < MAX_REGS; i++)
        if (s->regs[i].used && s->regs[i].defer_end > end)
            end = s->regs[i].defer_end;
    return end;
}

static void step(struct sysev *s)
{
    long long now = now_ms();
    if (s->deadline > now)
        return;
    switch (s->state) {
    case OFFER_PENDING:
        logf_sys(s, NULL, "no app deferred the %s update: it goes ahead", s->type == TYPE_APP ? "app" : "system");
        go_final(s);
        break;
    case OFFER_DEFERRED:
        if (remaining_minutes(s) > 0) {
            logf_sys(s, NULL, "the deferral ended: offering the update again (%u minutes of deferral left)",
                     remaining_minutes(s));
            go_pending(s, remaining_minutes(s));
        } else {
            logf_sys(s, NULL, "the deferral ended and the allowance is used up: the update goes ahead");
            go_final(s);
        }
        break;
    case OFFER_FINAL:
        s->state = OFFER_DONE;
        if (s->type == TYPE_APP)
            broadcast(s, EV_READY, ST_COMPLETE, 0, s->type, false);
        logf_sys(s, NULL, "the %s update is installed (simulated: nothing is replaced%s)",
                 s->type == TYPE_APP ? "app" : "system", s->type == TYPE_APP ? "" : " and the device does not restart");
        break;
    default:
        break;
    }
}

int sysev_create(struct applog *log, struct sysev **out)
{
    struct sysev *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (s->timer_fd < 0) {
        int err = -errno;
        free(s);
        return err;
    }
    for (size_t i = 0; i < MAX_REGS; i++)
        s->regs[i].fd = -1;
    s->log = log;
    pthread_mutex_init(&s->lock, NULL);
    *out = s;
    return 0;
}

void sysev_destroy(struct sysev *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < MAX_REGS; i++)
        if (s->regs[i].used)
            close_reg(&s->regs[i]);
    close(s->timer_fd);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

int sysev_timer_fd(const struct sysev *s) { return s->timer_fd; }

void sysev_on_timer(struct sysev *s)
{
    uint64_t v;
    ssize_t r = read(s->timer_fd, &v, sizeof v);
    (void)r;
    pthread_mutex_lock(&s->lock);
    step(s);
    arm(s);
    pthread_mutex_unlock(&s->lock);
}

static struct reg *find_reg(struct sysev *s, const struct guid *cid)
{
    for (size_t i = 0; i < MAX_REGS; i++)
        if (s->regs[i].used && guid_equal(&s->regs[i].cid, cid))
            return &s->regs[i];
    return NULL;
}

/* A deferral went away: when none is left, the update goes ahead. Lock held. */
static void deferral_released(struct sysev *s)
{
    if (s->state == OFFER_DEFERRED && !deferral_end(s)) {
        logf_sys(s, NULL, "no deferral is left: the update goes ahead");
        go_final(s);
    }
}

void sysev_forget(struct sysev *s, const struct guid *cid)
{
    pthread_mutex_lock(&s->lock);
    struct reg *r = find_reg(s, cid);
    if (r) {
        close_reg(r);
        deferral_released(s);
        arm(s);
    }
    pthread_mutex_unlock(&s->lock);
}

/* ---- the view ------------------------------------------------------------------------------ */

static struct json_value *event_list(uint32_t mask)
{
    struct json_value *a = json_new_array();
    for (uint32_t ev = 1; a && ev <= EV_NO_UPDATE; ev <<= 1)
        if (mask & ev)
            json_array_append(a, json_new_string(event_name(ev)));
    return a;
}

static struct json_value *app_ref(const struct reg *r)
{
    struct json_value *o = json_new_object();
    if (o) {
        json_object_append(o, "componentId", json_new_string(r->cid_text));
        json_object_append(o, "name", json_new_string(r->name));
    }
    return o;
}

static struct json_value *update_json(struct sysev *s)
{
    if (s->state == OFFER_NONE)
        return json_new_null();
    struct json_value *o = json_new_object(), *notified = json_new_array(), *deferrals = json_new_array();
    if (!o || !notified || !deferrals) {
        json_free(o), json_free(notified), json_free(deferrals);
        return NULL;
    }
    json_object_append(o, "event", json_new_string("updateReadyForInstall"));
    json_object_append(o, "updateType", json_new_string(s->type == TYPE_APP ? "app" : "system"));
    json_object_append(o, "state", json_new_string(offer_names[s->state]));
    json_object_append(o, "maxDeferralMinutes", json_new_int(s->max_minutes));
    json_object_append(o, "remainingDeferralMinutes", json_new_int(s->state == OFFER_PENDING || s->state == OFFER_DEFERRED
                                                                       ? remaining_minutes(s) : 0));
    if (s->state == OFFER_DEFERRED)
        json_object_append(o, "deferredUntil", json_new_int(wall(deferral_end(s))));
    if (s->state == OFFER_PENDING || s->state == OFFER_FINAL)
        json_object_append(o, "windowEnds", json_new_int(wall(s->deadline)));
    json_object_append(o, "secondsPerMinute", json_new_int(s->ms_per_min / 1000));
    for (size_t i = 0; i < MAX_REGS; i++) {
        const struct reg *r = &s->regs[i];
        if (!r->used)
            continue;
        if (r->notified)
            json_array_append(notified, app_ref(r));
        if (r->defer_end) {
            struct json_value *d = app_ref(r);
            if (d) {
                json_object_append(d, "minutes", json_new_int(r->defer_minutes));
                json_object_append(d, "until", json_new_int(wall(r->defer_end)));
            }
            json_array_append(deferrals, d);
        }
    }
    json_object_append(o, "notified", notified);
    json_object_append(o, "deferrals", deferrals);
    return o;
}

static struct json_value *view_locked(struct sysev *s)
{
    struct json_value *o = json_new_object(), *regs = json_new_array();
    if (!o || !regs) {
        json_free(o), json_free(regs);
        return NULL;
    }
    for (size_t i = 0; i < MAX_REGS; i++) {
        const struct reg *r = &s->regs[i];
        if (!r->used)
            continue;
        struct json_value *e = app_ref(r);
        if (e)
            json_object_append(e, "events", event_list(r->mask));
        json_array_append(regs, e);
    }
    json_object_append(o, "registrations", regs);
    json_object_append(o, "update", update_json(s));
    return o;
}

struct json_value *sysev_view(struct sysev *s)
{
    pthread_mutex_lock(&s->lock);
    struct json_value *o = view_locked(s);
    pthread_mutex_unlock(&s->lock);
    return o;
}

void sysev_app_status(struct sysev *s, const struct guid *cid, struct json_value *status)
{
    pthread_mutex_lock(&s->lock);
    const struct reg *r = find_reg(s, cid);
    if (r) {
        struct json_value *o = json_new_object();
        if (o) {
            json_object_append(o, "events", event_list(r->mask));
            if (r->defer_end) {
                json_object_append(o, "deferredUntil", json_new_int(wall(r->defer_end)));
                json_object_append(o, "deferredMinutes", json_new_int(r->defer_minutes));
            }
        }
        json_object_append(status, "sysevents", o);
    }
    pthread_mutex_unlock(&s->lock);
}

/* ---- injection ----------------------------------------------------------------------------- */

static int number_field(const struct json_value *body, const char *key, long long lo, long long hi, long long *out,
                        char *why, size_t why_size)
{
    const struct json_value *v = json_object_get(body, key);
    if (!v)
        return 0;
    if (v->type != JSON_NUMBER || !v->u.number.is_integer || v->u.number.integer < lo || v->u.number.integer > hi) {
        snprintf(why, why_size, "\"%s\" must be an integer from %lld to %lld", key, lo, hi);
        return -EINVAL;
    }
    *out = v->u.number.integer;
    return 0;
}

int sysev_inject(struct sysev *s, const struct json_value *body, struct json_value **out, char *why, size_t why_size)
{
    *out = NULL;
    const struct json_value *ev = json_object_get(body, "event"), *ut = json_object_get(body, "updateType");
    uint32_t event = 0;
    if (ev && ev->type == JSON_STRING)
        for (uint32_t e = 1; e <= EV_NO_UPDATE; e <<= 1)
            if (!strcmp(ev->u.string.chars, event_name(e)))
                event = e;
    if (!event) {
        snprintf(why, why_size, "\"event\" must be \"updateReadyForInstall\", \"updateStarted\" or \"noUpdateAvailable\"%s%s%s",
                 ev && ev->type == JSON_STRING ? " (not \"" : "", ev && ev->type == JSON_STRING ? ev->u.string.chars : "",
                 ev && ev->type == JSON_STRING ? "\")" : "");
        return -EINVAL;
    }
    uint32_t type = TYPE_APP;
    if (ut && (ut->type != JSON_STRING || (strcmp(ut->u.string.chars, "app") && strcmp(ut->u.string.chars, "system")))) {
        snprintf(why, why_size, "\"updateType\" must be \"app\" or \"system\"");
        return -EINVAL;
    }
    if (ut && !strcmp(ut->u.string.chars, "system"))
        type = TYPE_SYSTEM;
    unsigned cap = type == TYPE_APP ? SYSEV_MAX_DEFERRAL_APP_MIN : SYSEV_MAX_DEFERRAL_SYSTEM_MIN;
    long long max = cap, window = SYSEV_DEFAULT_WINDOW_S, spm = 60;
    int err = number_field(body, "maxDeferralMinutes", 0, cap, &max, why, why_size);
    if (!err)
        err = number_field(body, "windowSeconds", 1, 60, &window, why, why_size);
    if (!err)
        err = number_field(body, "secondsPerMinute", 1, 60, &spm, why, why_size);
    if (err)
        return err;
    pthread_mutex_lock(&s->lock);
    if (event == EV_READY && (s->state == OFFER_PENDING || s->state == OFFER_DEFERRED || s->state == OFFER_FINAL)) {
        snprintf(why, why_size, "an update offer is already %s; wait until it completes", offer_names[s->state]);
        pthread_mutex_unlock(&s->lock);
        return -EBUSY;
    }
    struct json_value *notified = json_new_array();
    if (event == EV_READY) {
        for (size_t i = 0; i < MAX_REGS; i++)
            s->regs[i].notified = false;
        s->type = type;
        s->max_minutes = (unsigned)max;
        s->ms_per_min = (unsigned)spm * 1000;
        s->window_ms = (unsigned)window * 1000;
        s->limit = now_ms() + (long long)max * s->ms_per_min;
        logf_sys(s, NULL, "injected updateReadyForInstall: %s update, up to %lld minutes of deferral",
                 type == TYPE_APP ? "app" : "system", max);
        go_pending(s, s->max_minutes);
        for (size_t i = 0; notified && i < MAX_REGS; i++)
            if (s->regs[i].used && s->regs[i].notified)
                json_array_append(notified, app_ref(&s->regs[i]));
        arm(s);
    } else {
        logf_sys(s, NULL, "injected %s", event_name(event));
        for (size_t i = 0; i < MAX_REGS; i++) {
            struct reg *r = &s->regs[i];
            if (!r->used || !(r->mask & event))
                continue;
            struct broker_sysevent m = {.event = event, .status = ST_FINAL,
                                        .max_deferral_minutes = event == EV_STARTED ? (unsigned)max : 0,
                                        .update_type = event == EV_STARTED ? type : 0};
            if (send(r->fd, &m, sizeof m, MSG_DONTWAIT | MSG_NOSIGNAL) == sizeof m) {
                logf_sys(s, &r->cid, "%s: delivered %s, status Final", r->name, event_name(event));
                if (notified)
                    json_array_append(notified, app_ref(r));
            }
        }
    }
    struct json_value *o = json_new_object();
    if (o && notified) {
        json_object_append(o, "event", json_new_string(event_name(event)));
        json_object_append(o, "notified", notified);
        notified = NULL;
        json_object_append(o, "update", update_json(s));
    }
    pthread_mutex_unlock(&s->lock);
    json_free(notified);
    if (!o)
        return -ENOMEM;
    *out = o;
    return 0;
}

/* ---- the broker's handlers ----------------------------------------------------------------- */

static bool has_bool(const struct broker_context *ctx, const char *name)
{
    const struct json_value *v = broker_capability(ctx->manifest, name);
    return v && v->type == JSON_BOOL && v->u.boolean;
}

static int op_register(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    struct sysev *s = ctx->sysevents;
    if (!has_bool(ctx, "SystemEventNotifications"))
        return -EACCES;
    if (!s)
        return -ENOSYS;
    if (q->a <= 0 || ((uint32_t)q->a & ~(uint32_t)EV_MASK))
        return -EINVAL;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    pthread_mutex_lock(&s->lock);
    struct reg *slot = find_reg(s, ctx->component_id);
    int err = 0;
    if (slot) {
        err = -EEXIST; /* one registration per app */
    } else {
        for (size_t i = 0; i < MAX_REGS && !slot; i++)
            if (!s->regs[i].used)
                slot = &s->regs[i];
        if (!slot)
            err = -ENOSPC;
    }
    if (!err) {
        slot->used = true;
        slot->cid = *ctx->component_id;
        guid_format(ctx->component_id, slot->cid_text);
        snprintf(slot->name, sizeof slot->name, "%s", ctx->app_name);
        slot->mask = (uint32_t)q->a;
        slot->fd = sv[0];
        logf_sys(s, ctx->component_id, "%s registered for system events 0x%x", ctx->app_name, (unsigned)q->a);
    }
    pthread_mutex_unlock(&s->lock);
    if (err) {
        close(sv[0]), close(sv[1]);
        return err;
    }
    *fd = sv[1];
    return 0;
}

static int op_unregister(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r,
                         int *fd)
{
    struct sysev *s = ctx->sysevents;
    if (!s)
        return -ENOSYS;
    pthread_mutex_lock(&s->lock);
    struct reg *reg = find_reg(s, ctx->component_id);
    if (reg) {
        close_reg(reg);
        deferral_released(s);
        arm(s);
        logf_sys(s, ctx->component_id, "%s unregistered from system events", ctx->app_name);
    }
    pthread_mutex_unlock(&s->lock);
    return reg ? 0 : -EINVAL;
}

static int op_defer(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    struct sysev *s = ctx->sysevents;
    if (!has_bool(ctx, "SoftwareUpdateDeferral"))
        return -EACCES;
    if (!s)
        return -ENOSYS;
    if (q->a != EV_READY || q->b <= 0)
        return -EINVAL;
    pthread_mutex_lock(&s->lock);
    struct reg *reg = find_reg(s, ctx->component_id);
    int err = 0;
    /* While the offer is open, an app may defer as long as it was told it could. */
    unsigned left = remaining_minutes(s);
    if (s->state == OFFER_PENDING && s->offered_minutes > left)
        left = s->offered_minutes;
    if (!reg || !(reg->mask & EV_READY) || (s->state != OFFER_PENDING && s->state != OFFER_DEFERRED))
        err = -EINVAL; /* nothing this app was offered is open for deferral */
    else if ((unsigned)q->b > left)
        err = -EINVAL; /* beyond the update's deferral allowance */
    if (!err) {
        reg->defer_end = now_ms() + (long long)q->b * s->ms_per_min;
        reg->defer_minutes = (unsigned)q->b;
        reg->resumed = false;
        bool was_pending = s->state == OFFER_PENDING;
        s->state = OFFER_DEFERRED;
        s->deadline = deferral_end(s);
        logf_sys(s, ctx->component_id, "%s deferred the update by %d minutes (%u minutes of the allowance were left)",
                 ctx->app_name, q->b, left);
        if (was_pending)
            broadcast(s, EV_READY, ST_DEFERRED, remaining_minutes(s), s->type, false);
        arm(s);
    } else {
        logf_sys(s, ctx->component_id, "%s: SysEvent_DeferEvent(%d, %d) refused: %s", ctx->app_name, q->a, q->b,
                 !reg ? "not registered" : s->state != OFFER_PENDING && s->state != OFFER_DEFERRED
                                               ? "no update offer is pending"
                                               : "more than the deferral allowance left");
    }
    pthread_mutex_unlock(&s->lock);
    return err;
}

static int op_resume(const struct broker_context *ctx, const struct broker_request *q, struct broker_reply *r, int *fd)
{
    struct sysev *s = ctx->sysevents;
    if (!has_bool(ctx, "SoftwareUpdateDeferral"))
        return -EACCES;
    if (!s)
        return -ENOSYS;
    if (q->a != EV_READY)
        return -EINVAL;
    pthread_mutex_lock(&s->lock);
    struct reg *reg = find_reg(s, ctx->component_id);
    int err = 0;
    if (!reg || (s->state != OFFER_PENDING && s->state != OFFER_DEFERRED)) {
        err = -EINVAL;
    } else if (s->state == OFFER_PENDING) {
        reg->resumed = true;
        bool all = true;
        for (size_t i = 0; i < MAX_REGS; i++)
            if (s->regs[i].used && s->regs[i].notified && !s->regs[i].resumed)
                all = false;
        logf_sys(s, ctx->component_id, "%s lets the update go ahead", ctx->app_name);
        if (all)
            go_final(s);
    } else {
        reg->defer_end = 0;
        reg->defer_minutes = 0;
        logf_sys(s, ctx->component_id, "%s resumed the update", ctx->app_name);
        deferral_released(s);
        if (s->state == OFFER_DEFERRED)
            s->deadline = deferral_end(s);
    }
    arm(s);
    pthread_mutex_unlock(&s->lock);
    return err;
}

const struct broker_op_entry broker_sysevent_ops[] = {
    {BROKER_SYSEVENT_REGISTER, op_register}, {BROKER_SYSEVENT_UNREGISTER, op_unregister},
    {BROKER_SYSEVENT_DEFER, op_defer},       {BROKER_SYSEVENT_RESUME, op_resume},
    {0, NULL},
};
