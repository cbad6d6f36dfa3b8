/* SPDX-License-Identifier: MIT */
/*
 * cloud_rollout.h — staged rollouts in the cloud service (cloud_rollout.c, docs/rollouts.md):
 * their tables, the /v1/rollouts endpoints, the per-device decision the check-in path asks for,
 * the outcome reports that drive the state machine (rollout.h), and the explanation of why a
 * device did or did not update (GET /v1/devices/{id}/update-explanation).
 *
 * Layering: between cloud.c (which routes here) and cloud_deploy.c (which asks
 * cloud_rollout_target and calls cloud_rollout_report); it calls only cloud_call.c and the store.
 *
 * Storage: tables rollouts and rollout_devices, created IF NOT EXISTS by cloud_rollout_schema on
 * every start (the same SQL for SQLite and PostgreSQL); nothing is kept in memory, so a restarted
 * service goes on where it was. Concurrent reports change the rollout's row only through an
 * optimistic version check (UPDATE ... WHERE version = $n RETURNING), retried.
 */
#ifndef OPENSPHERE_CLOUD_CLOUD_ROLLOUT_H
#define OPENSPHERE_CLOUD_CLOUD_ROLLOUT_H

#include <stdbool.h>

#include "cloud_int.h"

/* Starts (and stops) the thread that republishes the twins of an OTA rollout's devices when its
 * state changes (their desired state follows the phases). 0 or -ENOMEM / -EAGAIN. Stop first in
 * cloud_close, before the twin closes; NULL-safe. */
int cloud_rollout_resync_start(struct cloud *s);
void cloud_rollout_resync_stop(struct cloud *s);

/* Creates the rollout tables if missing. 0 or the store's error (-EIO, ...). */
int cloud_rollout_schema(struct clouddb_conn *c);

/* A user's /v1/rollouts[/{id}[/pause|resume|approve|abort]]. */
void cloud_rollout_route(struct cloud_call *x);
/* A user's GET /v1/devices/{id}/update-explanation. */
void cloud_rollout_explain(struct cloud_call *x, const char *device_id);
/* A user's POST /v1/devices/{id}/update-now and /v1/device-groups/{ref}/update-now: tells the
 * claimed device(s) over MQTT to check in now ({"command":"checkIn"} on their commands topic). */
void cloud_rollout_update_now(struct cloud_call *x);

/* Which deployment the device x->subject of group `group_id` should follow. dep[0] == '\0': no
 * rollout governs the group (its newest deployment applies); "none": the previous target was no
 * deployment at all; else a deployment ID. With `record` (a check-in), the device's record in the
 * rollout is created or marked targeted. 0 or the store's error. */
int cloud_rollout_target(struct cloud_call *x, const char *group_id, bool record, char dep[GUID_TEXT_LEN + 1]);
/* The same from `view`, the rows of cloud_rollout_view_sql (parameter $1: the device ID) that the
 * caller read already, e.g. in the same round trip as its check-in (the device's own group). The
 * rows are taken (freed). */
extern const char *const cloud_rollout_view_sql;
/* The same for the device of the token whose hash is $1 (CLOUD_TOKEN_SUBJECT). */
extern const char *const cloud_rollout_view_by_token_sql;
int cloud_rollout_target_rows(struct cloud_call *x, struct clouddb_rows *view, bool record, char dep[GUID_TEXT_LEN + 1]);

/* The device x->subject reported `ok` (or failed) with `installed` image IDs: updates its record
 * in the rollout that governs its group, if any, and advances the rollout. Best effort: a store
 * error leaves the rollout for the next report. */
void cloud_rollout_report(struct cloud_call *x, bool ok, const char *const *installed, size_t n);

/* The OTA desired state's gate (cloud_ota_set_gate; ctx: the struct cloud): whether OTA version
 * `version` of product/group may target the device now. A version no rollout stages passes; a
 * staged one passes by the rollout's decision for the device. The device's OTA report of that
 * version (applied, or error) is taken as its outcome on the way, advancing the rollout. */
bool cloud_rollout_ota_gate(void *ctx, struct clouddb_conn *c, const char *tenant, const char *device_id, const char *product,
                            const char *group, const char *version);
/* cloud_ota_report_fn (ctx: the struct cloud): a device's OTA report just stored is its outcome in
 * the staged OTA rollout that targets it (applied: succeeded, error: failed), advancing the rollout
 * at once rather than when the device next asks for its desired state. */
void cloud_rollout_ota_report(void *ctx, struct clouddb_conn *c, const char *device_id);

#endif
