/* SPDX-License-Identifier: MIT */
/*
 * runtime_sysevent.h — the device's system-event manager (docs/runtime.md, "System events").
 *
 * Contract: keeps every app's SysEvent registration (a bit mask and the device's end of a
 * SOCK_SEQPACKET event channel handed to the app over the broker) and at most one software
 * update offer, and drives the offer through Pending → (Deferred → Pending …) → Final → done,
 * writing one struct broker_sysevent per notification to every app registered for the event.
 * Time-driven steps run from sysev_on_timer when the descriptor sysev_timer_fd() is readable.
 *
 * Thread-safe: its own mutex guards everything; it never calls the device or the runtime, so it
 * may be called with the device's lock held (the REST thread) and from the supervisor thread.
 * Every function returning int gives 0 or a negative errno.
 */
#ifndef OPENSPHERE_RUNTIME_SYSEVENT_H
#define OPENSPHERE_RUNTIME_SYSEVENT_H

#include <stddef.h>
#include <stdint.h>

#include "applog.h"
#include "broker_ops.h"
#include "guid.h"
#include "json.h"

struct sysev;

/* Platform limits (docs/runtime.md): an OS update may be deferred up to 24 h, an app update up
 * to 167 h (10,020 minutes); Pending and Final are 10-second warnings. */
#define SYSEV_MAX_DEFERRAL_SYSTEM_MIN 1440u
#define SYSEV_MAX_DEFERRAL_APP_MIN 10020u
#define SYSEV_DEFAULT_WINDOW_S 10u

int sysev_create(struct applog *log, struct sysev **out);
void sysev_destroy(struct sysev *s);
/* A timerfd; when readable call sysev_on_timer. */
int sysev_timer_fd(const struct sysev *s);
void sysev_on_timer(struct sysev *s);

/* The app exited or was removed: its registration and deferral go (its end of the channel is
 * closed). */
void sysev_forget(struct sysev *s, const struct guid *cid);

/* An injection (POST /sim/sysevent) or the view (GET). `body` is the request JSON; *out gets
 * the answer (owned by the caller). -EINVAL (bad request, reason in why), -EBUSY (an update
 * offer is still in progress), -ENOMEM. */
int sysev_inject(struct sysev *s, const struct json_value *body, struct json_value **out, char *why, size_t why_size);
struct json_value *sysev_view(struct sysev *s);
/* Adds "sysevents": {"events":[…],"deferredUntil":t} to an app's status when it is registered. */
void sysev_app_status(struct sysev *s, const struct guid *cid, struct json_value *status);

/* The broker's handlers for BROKER_SYSEVENT_*; ctx->sysevents is the manager. */
extern const struct broker_op_entry broker_sysevent_ops[];

#endif
