/* SPDX-License-Identifier: MIT */
/*
 * broker_pool.h — finishing broker requests that wait on the network (an upstream resolve, a
 * connect the peer has not answered yet) off the supervisor thread, so one app's slow peer holds
 * up no other app (docs/runtime.md, "The broker").
 *
 * A handler that would wait submits a job and returns BROKER_REPLY_LATER: the job's function
 * runs on a worker thread and its reply goes to a duplicate of the app's broker socket taken at
 * submission (the app may stop, and its descriptor number be reused, before the answer is
 * ready; the answer then goes nowhere). The job's state is the submitter's copy of all it needs.
 * Workers are started on demand (when none is idle) and then wait for the next job; at most
 * BROKER_POOL_MAX jobs are queued or running. Thread-safe; the pool lives as long as the process.
 */
#ifndef OPENSPHERE_RUNTIME_BROKER_POOL_H
#define OPENSPHERE_RUNTIME_BROKER_POOL_H

#include "broker.h"

#define BROKER_POOL_MAX 64 /* jobs queued or running, device-wide */

/* Fills the reply: r->result and maybe value/text, *fd a descriptor to pass (closed after). */
typedef void (*broker_job_fn)(void *state, struct broker_reply *r, int *fd);

/* Sends one reply, with fd (if >= 0) as SCM_RIGHTS; never blocks, never raises SIGPIPE. */
void broker_send_reply(int sock, const struct broker_reply *r, int fd);

/* Queues run(state) with its reply going to reply_sock's duplicate; free_state(state) follows it.
 * 0, or -EAGAIN (BROKER_POOL_MAX in flight), -ENOMEM, -errno: then nothing runs and state is
 * still the caller's. */
int broker_pool_submit(int reply_sock, broker_job_fn run, void *state, void (*free_state)(void *));

#endif
