/* SPDX-License-Identifier: MIT */
/*
 * cloud_rollout.c — staged rollouts in the service (cloud_rollout.h, docs/rollouts.md): the
 * rollouts and rollout_devices tables, POST/GET /v1/rollouts and their actions, the decision a
 * device's check-in gets (new target or previous one), the reports that move the state machine
 * (rollout.c) and GET /v1/devices/{id}/update-explanation.
 *
 * A rollout's deployment is an ordinary deployment of the group (it shows in the group's
 * history); the rollout governs the group while that deployment is the group's newest. Devices
 * of the group are placed in phases when the rollout is created; a device that joins later is
 * placed at its first check-in by the same hash, so it gets its phase's decision.
 */
#include "cloud_rollout.h"

#include "cloudtwin.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "diag.h"
#include "rollout.h"
#include "strbuf.h"

static const char *const schema[] = {
    "CREATE TABLE IF NOT EXISTS rollouts (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, group_id TEXT NOT NULL,"
    "  kind TEXT NOT NULL, from_deployment TEXT, to_deployment TEXT NOT NULL, phases TEXT NOT NULL,"
    "  success BIGINT NOT NULL, error BIGINT NOT NULL, min_devices BIGINT NOT NULL, approve BIGINT NOT NULL,"
    "  win TEXT NOT NULL, status TEXT NOT NULL, phase BIGINT NOT NULL, reason TEXT NOT NULL,"
    "  base_failed BIGINT NOT NULL, base_finished BIGINT NOT NULL, version BIGINT NOT NULL,"
    "  created BIGINT NOT NULL, updated BIGINT NOT NULL, target TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS rollouts_to ON rollouts (to_deployment)",
    "CREATE INDEX IF NOT EXISTS rollouts_group ON rollouts (group_id)",
    "CREATE TABLE IF NOT EXISTS rollout_devices (rollout_id TEXT NOT NULL, device_id TEXT NOT NULL,"
    "  phase BIGINT NOT NULL, status TEXT NOT NULL, detail TEXT, updated BIGINT NOT NULL,"
    "  PRIMARY KEY (rollout_id, device_id))",
    "CREATE INDEX IF NOT EXISTS rollout_devices_phase ON rollout_devices (rollout_id, phase, status)",
};

int cloud_rollout_schema(struct clouddb_conn *c)
{
    int err = 0;
    for (size_t i = 0; !err && i < sizeof schema / sizeof schema[0]; i++)
        err = clouddb_exec(c, schema[i], NULL, 0, NULL);
    return err;
}

/* ---- a rollout row: plan and state -------------------------------------------------------- */

#define ROLLOUT_COLUMNS                                                                                                \
    "r.id, r.group_id, r.kind, r.from_deployment, r.to_deployment, r.phases, r.success, r.error, r.min_devices, "      \
    "r.approve, r.win, r.status, r.phase, r.reason, r.base_failed, r.base_finished, r.version, r.created, r.updated, " \
    "r.target"
#define ROLLOUT_FROM " FROM rollouts r "
enum { C_ID, C_GROUP, C_KIND, C_FROM, C_TO, C_PHASES, C_SUCCESS, C_ERROR, C_MIN, C_APPROVE, C_WIN, C_STATUS, C_PHASE,
       C_REASON, C_BASE_FAILED, C_BASE_FINISHED, C_VERSION, C_CREATED, C_UPDATED, C_GROUP_NAME, C_COUNT };

struct loaded {
    char id[GUID_TEXT_LEN + 1];
    char kind[8]; /* "app" or "ota" */
    struct rollout_plan plan;
    struct rollout_state state;
    long long version;
};

static unsigned long long cell_u(const struct clouddb_rows *r, size_t row, size_t col)
{
    const char *v = clouddb_cell(r, row, col);
    return v ? strtoull(v, NULL, 10) : 0;
}

static int load_row(const struct clouddb_rows *r, size_t i, struct loaded *out)
{
    char why[256];
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", clouddb_cell(r, i, C_ID));
    snprintf(out->kind, sizeof out->kind, "%s", clouddb_cell(r, i, C_KIND) ? clouddb_cell(r, i, C_KIND) : "");
    rollout_plan_init(&out->plan);
    if (rollout_parse_phases(clouddb_cell(r, i, C_PHASES), &out->plan, why, sizeof why))
        return -EIO;
    out->plan.success_threshold = (unsigned)cell_u(r, i, C_SUCCESS);
    out->plan.error_threshold = (unsigned)cell_u(r, i, C_ERROR);
    out->plan.min_devices = (unsigned)cell_u(r, i, C_MIN);
    out->plan.approve_each_phase = cell_u(r, i, C_APPROVE) != 0;
    const char *w = clouddb_cell(r, i, C_WIN);
    if (w && w[0] && rollout_parse_window(w, &out->plan, why, sizeof why))
        return -EIO;
    if (rollout_status_parse(clouddb_cell(r, i, C_STATUS), &out->state.status))
        return -EIO;
    out->state.phase = (unsigned)cell_u(r, i, C_PHASE);
    out->state.base_failed = cell_u(r, i, C_BASE_FAILED);
    out->state.base_finished = cell_u(r, i, C_BASE_FINISHED);
    snprintf(out->state.reason, sizeof out->state.reason, "%s", clouddb_cell(r, i, C_REASON) ? clouddb_cell(r, i, C_REASON) : "");
    out->version = (long long)cell_u(r, i, C_VERSION);
    return 0;
}

static int counts_of(struct cloud_call *x, const char *rollout_id, unsigned phase, struct rollout_counts *out)
{
    char ph[16];
    snprintf(ph, sizeof ph, "%u", phase);
    struct clouddb_rows r;
    memset(out, 0, sizeof *out);
    int err = cloud_call_query(x, "SELECT status, COUNT(*) FROM rollout_devices WHERE rollout_id = $1 AND phase <= $2 GROUP BY status",
                               PARAMS(rollout_id, ph), &r);
    for (size_t i = 0; !err && i < r.nrows; i++) {
        uint64_t n = cell_u(&r, i, 1);
        out->devices += n;
        enum rollout_device_status s = rollout_device_status_parse(clouddb_cell(&r, i, 0));
        if (s == ROLLOUT_DEV_SUCCEEDED)
            out->succeeded += n;
        else if (s == ROLLOUT_DEV_FAILED)
            out->failed += n;
    }
    clouddb_rows_free(&r);
    return err;
}

/* Writes a changed state if nobody else changed the row since it was read: 1 written, 0 lost the
 * race, or an error. */
static int store_state(struct cloud_call *x, const struct loaded *l)
{
    char phase[16], bf[24], bn[24], ver[24], now[24];
    snprintf(phase, sizeof phase, "%u", l->state.phase);
    snprintf(bf, sizeof bf, "%llu", (unsigned long long)l->state.base_failed);
    snprintf(bn, sizeof bn, "%llu", (unsigned long long)l->state.base_finished);
    snprintf(ver, sizeof ver, "%lld", l->version);
    cloud_now_text(now);
    struct clouddb_rows r;
    int err = cloud_call_query(x, "UPDATE rollouts SET status = $3, phase = $4, reason = $5, base_failed = $6, base_finished = $7, "
                                  "version = version + 1, updated = $8 WHERE id = $1 AND version = $2 RETURNING version",
                               PARAMS(l->id, ver, rollout_status_name(l->state.status), phase, l->state.reason, bf, bn, now), &r);
    int done = err ? err : r.nrows == 1;
    clouddb_rows_free(&r);
    return done;
}

static int load_by_id(struct cloud_call *x, const char *id, struct loaded *out, bool *found)
{
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT " ROLLOUT_COLUMNS ROLLOUT_FROM "WHERE r.tenant_id = $1 AND r.id = $2", PARAMS(x->tenant, id), &r);
    *found = !err && r.nrows == 1;
    if (*found)
        err = load_row(&r, 0, out);
    clouddb_rows_free(&r);
    return err;
}

/* ---- twin resync of OTA rollouts -------------------------------------------------------------- */

#define RESYNC_MAX 200000 /* queued device IDs; more are dropped (said on stderr) */

struct rollout_resync {
    struct cloud *s;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
    char (*ids)[DEVICE_ID_HEX + 1];
    size_t count, cap;
};

static void *resync_run(void *arg)
{
    struct rollout_resync *q = arg;
    pthread_mutex_lock(&q->lock);
    while (!q->stop) {
        if (!q->count) {
            pthread_cond_wait(&q->wake, &q->lock);
            continue;
        }
        char id[DEVICE_ID_HEX + 1];
        memcpy(id, q->ids[--q->count], sizeof id);
        pthread_mutex_unlock(&q->lock);
        cloud_twin_sync(q->s->twin, id); /* best effort: stored, published when the broker is up */
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

int cloud_rollout_resync_start(struct cloud *s)
{
    struct rollout_resync *q = calloc(1, sizeof *q);
    if (!q)
        return -ENOMEM;
    q->s = s;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->wake, NULL);
    if (pthread_create(&q->thread, NULL, resync_run, q) != 0) {
        pthread_mutex_destroy(&q->lock);
        pthread_cond_destroy(&q->wake);
        free(q);
        return -EAGAIN;
    }
    s->rollout_resync = q;
    return 0;
}

void cloud_rollout_resync_stop(struct cloud *s)
{
    struct rollout_resync *q = s ? s->rollout_resync : NULL;
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->stop = true;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->thread, NULL);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->wake);
    free(q->ids);
    free(q);
    s->rollout_resync = NULL;
}

/* After an OTA rollout's state changed: the twins of its devices that have not succeeded get their
 * desired state again (a new phase lets the version through; an abort takes it back). */
static void after_change(struct cloud_call *x, const struct loaded *l)
{
    struct rollout_resync *q = x->s ? x->s->rollout_resync : NULL;
    if (!q || strcmp(l->kind, "ota"))
        return;
    struct clouddb_rows r;
    if (cloud_call_query(x, "SELECT device_id FROM rollout_devices WHERE rollout_id = $1 AND status <> 'succeeded'", PARAMS(l->id), &r))
        return;
    pthread_mutex_lock(&q->lock);
    size_t dropped = 0;
    for (size_t i = 0; i < r.nrows; i++) {
        if (q->count == q->cap) {
            size_t cap = q->cap ? q->cap * 2 : 1024;
            void *grown = cap <= RESYNC_MAX ? realloc(q->ids, cap * sizeof *q->ids) : NULL;
            if (!grown) {
                dropped = r.nrows - i;
                break;
            }
            q->ids = grown;
            q->cap = cap;
        }
        snprintf(q->ids[q->count++], DEVICE_ID_HEX + 1, "%s", clouddb_cell(&r, i, 0));
    }
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
    if (dropped)
        fprintf(stderr, "sphere-cloud: rollout %s: %zu twin resyncs dropped (queue full)\n", l->id, dropped);
    clouddb_rows_free(&r);
}

/* Runs the machine on the rollout's counts until it rests; retried when another report changed
 * the row meanwhile. */
static int advance(struct cloud_call *x, const char *rollout_id)
{
    for (int attempt = 0; attempt < 16; attempt++) {
        struct loaded l;
        bool found;
        int err = load_by_id(x, rollout_id, &l, &found);
        if (err || !found)
            return err;
        bool changed = false;
        for (unsigned step = 0; step <= l.plan.phase_count; step++) {
            struct rollout_counts c;
            err = counts_of(x, l.id, l.state.phase, &c);
            if (err)
                return err;
            if (!rollout_step(&l.plan, &l.state, &c))
                break;
            changed = true;
        }
        if (!changed)
            return 0;
        int done = store_state(x, &l);
        if (done > 0)
            after_change(x, &l);
        if (done != 0)
            return done < 0 ? done : 0;
    }
    return -EBUSY;
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static struct json_value *rollout_json(const struct clouddb_rows *r, size_t i)
{
    struct json_value *o = json_new_object();
    cloud_put_str(o, "id", clouddb_cell(r, i, C_ID));
    cloud_put_str(o, "deviceGroupId", clouddb_cell(r, i, C_GROUP));
    cloud_put_str(o, "deviceGroup", clouddb_cell(r, i, C_GROUP_NAME));
    cloud_put_str(o, "kind", clouddb_cell(r, i, C_KIND));
    cloud_put_str(o, "fromDeployment", clouddb_cell(r, i, C_FROM));
    cloud_put_str(o, "toDeployment", clouddb_cell(r, i, C_TO));
    cloud_put_str(o, "phases", clouddb_cell(r, i, C_PHASES));
    cloud_put_int(o, "successThreshold", clouddb_cell(r, i, C_SUCCESS));
    cloud_put_int(o, "errorThreshold", clouddb_cell(r, i, C_ERROR));
    cloud_put_int(o, "minDevices", clouddb_cell(r, i, C_MIN));
    cloud_put_bool(o, "approveEachPhase", cell_u(r, i, C_APPROVE) != 0);
    const char *w = clouddb_cell(r, i, C_WIN);
    cloud_put_str(o, "window", w && w[0] ? w : NULL);
    cloud_put_str(o, "status", clouddb_cell(r, i, C_STATUS));
    if (o)
        json_object_append(o, "phase", json_new_int((long long)cell_u(r, i, C_PHASE) + 1));
    cloud_put_str(o, "reason", clouddb_cell(r, i, C_REASON));
    cloud_put_int(o, "created", clouddb_cell(r, i, C_CREATED));
    cloud_put_int(o, "updated", clouddb_cell(r, i, C_UPDATED));
    return o;
}

/* Per phase: its share and the devices in it by status. */
static int phases_json(struct cloud_call *x, const struct loaded *l, struct json_value *o)
{
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT phase, status, COUNT(*) FROM rollout_devices WHERE rollout_id = $1 GROUP BY phase, status",
                               PARAMS(l->id), &r);
    if (err)
        return err;
    uint64_t n[ROLLOUT_MAX_PHASES][4] = {{0}};
    for (size_t i = 0; i < r.nrows; i++) {
        unsigned ph = (unsigned)cell_u(&r, i, 0);
        if (ph < ROLLOUT_MAX_PHASES)
            n[ph][rollout_device_status_parse(clouddb_cell(&r, i, 1))] += cell_u(&r, i, 2);
    }
    clouddb_rows_free(&r);
    struct json_value *list = json_new_array();
    for (unsigned ph = 0; ph < l->plan.phase_count; ph++) {
        struct json_value *p = json_new_object();
        unsigned bp = l->plan.phase_bp[ph];
        char share[16];
        snprintf(share, sizeof share, bp % 100 ? "%u.%02u%%" : "%u%%", bp / 100, bp % 100);
        if (p) {
            json_object_append(p, "phase", json_new_int(ph + 1));
            json_object_append(p, "share", json_new_string(share));
            json_object_append(p, "started", json_new_bool(ph <= l->state.phase && l->state.status != ROLLOUT_ABORTED));
            uint64_t total = n[ph][0] + n[ph][1] + n[ph][2] + n[ph][3];
            json_object_append(p, "devices", json_new_int((long long)total));
            for (int s = 0; s < 4; s++)
                json_object_append(p, rollout_device_status_name((enum rollout_device_status)s), json_new_int((long long)n[ph][s]));
        }
        cloud_append(list, p);
    }
    cloud_put(o, "phaseProgress", list);
    return 0;
}

/* ---- creating ------------------------------------------------------------------------------ */

static bool find_group(struct cloud_call *x, const char *ref, char id[GUID_TEXT_LEN + 1])
{
    struct clouddb_rows r;
    const char *slash = strchr(ref, '/');
    int err;
    if (slash) {
        char product[64];
        snprintf(product, sizeof product, "%.*s", (int)(slash - ref) < 63 ? (int)(slash - ref) : 63, ref);
        err = cloud_call_query(x, "SELECT g.id FROM device_groups g JOIN products p ON p.id = g.product_id "
                                  "WHERE g.tenant_id = $1 AND p.name = $2 AND g.name = $3",
                               PARAMS(x->tenant, product, slash + 1), &r);
    } else {
        char lower[GUID_TEXT_LEN + 1] = "";
        if (cloud_is_guid(ref))
            cloud_lower_guid(ref, lower);
        err = cloud_call_query(x, "SELECT id FROM device_groups WHERE tenant_id = $1 AND id = $2", PARAMS(x->tenant, lower), &r);
    }
    bool found = !err && r.nrows == 1;
    if (found)
        snprintf(id, GUID_TEXT_LEN + 1, "%s", clouddb_cell(&r, 0, 0));
    clouddb_rows_free(&r);
    if (err)
        cloud_call_store_failed(x, err);
    else if (!found)
        cloud_call_fail(x, 404, "unknown-device-group", "there is no device group '%s' (ID or PRODUCT/GROUP)", ref);
    return found;
}

/* A number member in [lo, hi], or the default when absent. */
static bool opt_uint(struct cloud_call *x, const struct json_value *b, const char *key, unsigned lo, unsigned hi, unsigned *out)
{
    const struct json_value *v = json_object_get(b, key);
    if (!v || v->type == JSON_NULL)
        return true;
    if (v->type != JSON_NUMBER || !v->u.number.is_integer || v->u.number.integer < lo || v->u.number.integer > hi) {
        cloud_call_fail(x, 400, "bad-rollout", "\"%s\" must be an integer from %u to %u", key, lo, hi);
        return false;
    }
    *out = (unsigned)v->u.number.integer;
    return true;
}

static bool read_plan(struct cloud_call *x, const struct json_value *b, struct rollout_plan *plan)
{
    char why[256] = "";
    const char *phases = NULL, *ramp = NULL, *window = NULL;
    rollout_plan_init(plan);
    if (!cloud_call_opt_string(x, b, "phases", &phases) || !cloud_call_opt_string(x, b, "ramp", &ramp) ||
        !cloud_call_opt_string(x, b, "window", &window))
        return false;
    int err = 0;
    if (phases && ramp) {
        snprintf(why, sizeof why, "give either \"phases\" or \"ramp\", not both");
        err = -EINVAL;
    }
    err = err ? err : phases ? rollout_parse_phases(phases, plan, why, sizeof why) : 0;
    err = err ? err : ramp ? rollout_parse_ramp(ramp, plan, why, sizeof why) : 0;
    err = err ? err : window && window[0] ? rollout_parse_window(window, plan, why, sizeof why) : 0;
    if (err) {
        cloud_call_fail(x, 400, "bad-rollout", "%s", why);
        return false;
    }
    const struct json_value *approve = json_object_get(b, "approveEachPhase");
    if (approve && approve->type != JSON_BOOL && approve->type != JSON_NULL) {
        cloud_call_fail(x, 400, "bad-rollout", "\"approveEachPhase\" must be true or false");
        return false;
    }
    plan->approve_each_phase = approve && approve->type == JSON_BOOL && approve->u.boolean;
    if (!opt_uint(x, b, "successThreshold", 1, 100, &plan->success_threshold) ||
        !opt_uint(x, b, "errorThreshold", 0, 100, &plan->error_threshold) ||
        !opt_uint(x, b, "minDevices", 0, 1000000, &plan->min_devices))
        return false;
    if (rollout_plan_check(plan, why, sizeof why)) {
        cloud_call_fail(x, 400, "bad-rollout", "%s", why);
        return false;
    }
    return true;
}

#define MAX_IMAGES 32

/* The "images" of the body: existing images of the tenant, one per component. */
static bool read_images(struct cloud_call *x, const struct json_value *b, char ids[MAX_IMAGES][GUID_TEXT_LEN + 1], size_t *n)
{
    const struct json_value *images = json_object_get(b, "images");
    if (!images || images->type != JSON_ARRAY || images->u.array.count > MAX_IMAGES) {
        cloud_call_fail(x, 400, "bad-images", "\"images\" must be an array of at most %d image IDs", MAX_IMAGES);
        return false;
    }
    char cids[MAX_IMAGES][GUID_TEXT_LEN + 1];
    *n = images->u.array.count;
    for (size_t i = 0; i < *n; i++) {
        const struct json_value *v = images->u.array.items[i];
        if (v->type != JSON_STRING || !cloud_is_guid(v->u.string.chars)) {
            cloud_call_fail(x, 400, "bad-images", "images[%zu] is not an image ID", i);
            return false;
        }
        cloud_lower_guid(v->u.string.chars, ids[i]);
        struct clouddb_rows r;
        int err = cloud_call_query(x, "SELECT component_id FROM images WHERE tenant_id = $1 AND id = $2", PARAMS(x->tenant, ids[i]), &r);
        bool found = !err && r.nrows == 1;
        if (found)
            snprintf(cids[i], sizeof cids[i], "%s", clouddb_cell(&r, 0, 0));
        clouddb_rows_free(&r);
        if (err) {
            cloud_call_store_failed(x, err);
            return false;
        }
        if (!found) {
            cloud_call_fail(x, 404, "unknown-image", "there is no image %s", ids[i]);
            return false;
        }
        for (size_t k = 0; k < i; k++)
            if (!strcmp(cids[k], cids[i])) {
                cloud_call_fail(x, 409, "duplicate-component", "images %s and %s are both component %s; a deployment holds one "
                                                               "image per component", ids[k], ids[i], cids[i]);
                return false;
            }
    }
    return true;
}

/* The rollout governing the group (its deployment is the group's newest) that has not ended. */
static int running_rollout(struct cloud_call *x, const char *group, char id[GUID_TEXT_LEN + 1])
{
    struct clouddb_rows r;
    id[0] = '\0';
    int err = cloud_call_query(x, "SELECT id FROM rollouts WHERE group_id = $1 AND status IN ('active','paused','awaiting-approval') "
                                  "AND to_deployment = (SELECT id FROM deployments WHERE group_id = $1 ORDER BY seq DESC LIMIT 1)",
                               PARAMS(group), &r);
    if (!err && r.nrows)
        snprintf(id, GUID_TEXT_LEN + 1, "%s", clouddb_cell(&r, 0, 0));
    clouddb_rows_free(&r);
    return err;
}

/* Places the group's devices, many rows a statement. */
static int place_rows(struct cloud_call *x, const char *rollout_id, struct clouddb_rows *devices, const struct rollout_plan *plan,
                      const char *now);

static int place_devices(struct cloud_call *x, const char *rollout_id, const char *group, const struct rollout_plan *plan, const char *now)
{
    struct clouddb_rows d;
    int err = cloud_call_query(x, "SELECT id FROM devices WHERE group_id = $1 AND claimed <> 0", PARAMS(group), &d);
    return err ? err : place_rows(x, rollout_id, &d, plan, now);
}

/* Places every row of `d` (device IDs) and frees it. */
static int place_rows(struct cloud_call *x, const char *rollout_id, struct clouddb_rows *devices, const struct rollout_plan *plan,
                      const char *now)
{
    struct clouddb_rows d = *devices;
    int err = 0;
    enum { BATCH = 200 };
    for (size_t i = 0; !err && i < d.nrows; i += BATCH) {
        size_t n = d.nrows - i < BATCH ? d.nrows - i : BATCH;
        struct strbuf sql = {0};
        const char *params[2 + 2 * BATCH];
        char phases[BATCH][8];
        params[0] = rollout_id;
        params[1] = now;
        strbuf_puts(&sql, "INSERT INTO rollout_devices (rollout_id, device_id, phase, status, updated) VALUES ");
        for (size_t k = 0; k < n; k++) {
            const char *dev = clouddb_cell(&d, i + k, 0);
            snprintf(phases[k], sizeof phases[k], "%u", rollout_phase_of_bucket(plan, rollout_bucket(rollout_id, dev)));
            params[2 + 2 * k] = dev;
            params[3 + 2 * k] = phases[k];
            strbuf_printf(&sql, "%s($1, $%zu, $%zu, 'pending', $2)", k ? ", " : "", 3 + 2 * k, 4 + 2 * k);
        }
        err = strbuf_str(&sql)[0] ? cloud_call_query(x, strbuf_str(&sql), params, 2 + 2 * n, NULL) : -ENOMEM;
        strbuf_free(&sql);
    }
    clouddb_rows_free(&d);
    return err;
}

static int insert_rollout(struct cloud_call *x, const char *rid, const char *did, const char *group, const struct rollout_plan *plan,
                          const char ids[MAX_IMAGES][GUID_TEXT_LEN + 1], size_t n, const char *now)
{
    struct clouddb_rows r;
    int err = clouddb_begin(x->c);
    err = err ? err : cloud_call_query(x, "SELECT id, seq FROM deployments WHERE group_id = $1 ORDER BY seq DESC LIMIT 1", PARAMS(group), &r);
    if (err) {
        clouddb_rollback(x->c);
        return err;
    }
    char from[GUID_TEXT_LEN + 1] = "", seq[24] = "1";
    if (r.nrows) {
        snprintf(from, sizeof from, "%s", clouddb_cell(&r, 0, 0));
        snprintf(seq, sizeof seq, "%llu", cell_u(&r, 0, 1) + 1);
    }
    clouddb_rows_free(&r);
    char phases[128], window[16], success[8], error[8], min[16];
    rollout_format_phases(plan, phases, sizeof phases);
    rollout_format_window(plan, window, sizeof window);
    snprintf(success, sizeof success, "%u", plan->success_threshold);
    snprintf(error, sizeof error, "%u", plan->error_threshold);
    snprintf(min, sizeof min, "%u", plan->min_devices);
    err = cloud_call_query(x, "INSERT INTO deployments (id, tenant_id, group_id, seq, created) VALUES ($1, $2, $3, $4, $5)",
                           PARAMS(did, x->tenant, group, seq, now), NULL);
    for (size_t i = 0; !err && i < n; i++)
        err = cloud_call_query(x, "INSERT INTO deployment_images (deployment_id, image_id) VALUES ($1, $2)", PARAMS(did, ids[i]), NULL);
    err = err ? err : cloud_call_query(x, "INSERT INTO rollouts (id, tenant_id, group_id, kind, from_deployment, to_deployment, phases, "
                                          "success, error, min_devices, approve, win, status, phase, reason, base_failed, base_finished, "
                                          "version, created, updated, target) VALUES ($1, $2, $3, 'app', $4, $5, $6, $7, $8, $9, $10, "
                                          "$11, 'active', 0, 'phase 1 started', 0, 0, 0, $12, $12, "
                                          "(SELECT p.name || '/' || g.name FROM device_groups g JOIN products p ON p.id = g.product_id "
                                          "WHERE g.id = $3))",
                                       PARAMS(rid, x->tenant, group, from[0] ? from : NULL, did, phases, success, error, min,
                                              plan->approve_each_phase ? "1" : "0", window, now), NULL);
    err = err ? err : place_devices(x, rid, group, plan, now);
    err = err ? err : clouddb_commit(x->c);
    if (err)
        clouddb_rollback(x->c);
    return err;
}

static void reply_rollout(struct cloud_call *x, unsigned status, const char *id);

static void h_create_ota(struct cloud_call *x, const struct json_value *b, const char *ref, long long version);

static void h_create(struct cloud_call *x)
{
    struct json_value *b = cloud_call_json_body(x);
    if (!b)
        return;
    const struct json_value *ota = json_object_get(b, "otaVersion");
    if (ota) {
        const char *target = NULL;
        bool okay = cloud_call_opt_string(x, b, "deviceGroup", &target); /* else answered 400 */
        if (okay && (ota->type != JSON_NUMBER || !ota->u.number.is_integer || ota->u.number.integer < 1)) {
            cloud_call_fail(x, 400, "bad-rollout", "\"otaVersion\" must be an integer greater than 0");
            okay = false;
        }
        if (okay && (!target || !strchr(target, '/') || strchr(strchr(target, '/') + 1, '/'))) {
            cloud_call_fail(x, 400, "bad-rollout", "an OTA rollout's \"deviceGroup\" is PRODUCT/GROUP (the devices' productType and "
                                                   "deviceGroup tags)");
            okay = false;
        }
        if (okay)
            h_create_ota(x, b, target, (long long)ota->u.number.integer);
        json_free(b);
        return;
    }
    struct rollout_plan plan;
    const char *ref = NULL;
    char group[GUID_TEXT_LEN + 1], ids[MAX_IMAGES][GUID_TEXT_LEN + 1], running[GUID_TEXT_LEN + 1];
    size_t n = 0;
    bool okay = cloud_call_opt_string(x, b, "deviceGroup", &ref);
    if (okay && !ref) {
        cloud_call_fail(x, 400, "bad-rollout", "\"deviceGroup\" (ID or PRODUCT/GROUP) is required");
        okay = false;
    }
    okay = okay && read_plan(x, b, &plan) && find_group(x, ref, group) && read_images(x, b, ids, &n);
    json_free(b);
    if (!okay)
        return;
    int err = running_rollout(x, group, running);
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    if (running[0]) {
        cloud_call_fail(x, 409, "rollout-in-progress", "rollout %s is still running on this group: abort it or let it complete first",
                        running);
        return;
    }
    char rid[GUID_TEXT_LEN + 1], did[GUID_TEXT_LEN + 1], now[24];
    cloud_now_text(now);
    err = cloud_new_id(rid);
    err = err ? err : cloud_new_id(did);
    if (err) {
        cloud_call_random_failed(x, err);
        return;
    }
    err = -EBUSY;
    for (int attempt = 0; attempt < 8 && (err == -EBUSY || err == -EEXIST); attempt++)
        err = insert_rollout(x, rid, did, group, &plan, (const char(*)[GUID_TEXT_LEN + 1])ids, n, now);
    err = err ? err : advance(x, rid); /* an empty first phase passes at once */
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    reply_rollout(x, 201, rid);
}

/* ---- reading, acting ------------------------------------------------------------------------ */

static void reply_rollout(struct cloud_call *x, unsigned status, const char *id)
{
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT " ROLLOUT_COLUMNS ROLLOUT_FROM "WHERE r.tenant_id = $1 AND r.id = $2", PARAMS(x->tenant, id), &r);
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    if (r.nrows != 1) {
        clouddb_rows_free(&r);
        cloud_call_fail(x, 404, "unknown-rollout", "there is no rollout %s", id);
        return;
    }
    struct loaded l;
    struct json_value *o = rollout_json(&r, 0);
    err = load_row(&r, 0, &l);
    clouddb_rows_free(&r);
    err = err ? err : phases_json(x, &l, o);
    if (err) {
        json_free(o);
        cloud_call_store_failed(x, err);
        return;
    }
    cloud_call_reply(x, status, o);
}

static void h_list(struct cloud_call *x)
{
    const char *ref = x->rq->arg ? x->rq->arg(x->rq, "deviceGroup") : NULL;
    char group[GUID_TEXT_LEN + 1] = "";
    if (ref && !find_group(x, ref, group))
        return;
    struct clouddb_rows r;
    int err = group[0] ? cloud_call_query(x, "SELECT " ROLLOUT_COLUMNS ROLLOUT_FROM "WHERE r.tenant_id = $1 AND r.group_id = $2 "
                                             "ORDER BY r.created DESC, r.id", PARAMS(x->tenant, group), &r)
                       : cloud_call_query(x, "SELECT " ROLLOUT_COLUMNS ROLLOUT_FROM "WHERE r.tenant_id = $1 ORDER BY r.created DESC, r.id",
                                          PARAMS(x->tenant), &r);
    cloud_call_reply_rows(x, err, &r, rollout_json);
}

static void h_action(struct cloud_call *x, const char *id, enum rollout_action action)
{
    for (int attempt = 0; attempt < 16; attempt++) {
        struct loaded l;
        bool found;
        struct rollout_counts c;
        int err = load_by_id(x, id, &l, &found);
        if (!err && !found) {
            cloud_call_fail(x, 404, "unknown-rollout", "there is no rollout %s", id);
            return;
        }
        err = err ? err : counts_of(x, l.id, l.state.phase, &c);
        if (err) {
            cloud_call_store_failed(x, err);
            return;
        }
        char why[256];
        err = rollout_apply(&l.plan, &l.state, action, &c, why, sizeof why);
        if (err) {
            cloud_call_fail(x, 409, err == -EALREADY ? "rollout-already" : "rollout-state", "%s", why);
            return;
        }
        int done = store_state(x, &l);
        if (done < 0) {
            cloud_call_store_failed(x, done);
            return;
        }
        if (done) {
            after_change(x, &l);
            if (action == ROLLOUT_RESUME || action == ROLLOUT_APPROVE)
                advance(x, l.id);
            reply_rollout(x, 200, l.id);
            return;
        }
    }
    cloud_call_store_failed(x, -EBUSY);
}

void cloud_rollout_route(struct cloud_call *x)
{
    size_t n = x->nseg;
    if (n == 2) {
        if (cloud_call_method(x, "GET"))
            h_list(x);
        else if (cloud_call_method(x, "POST"))
            h_create(x);
        else
            cloud_call_not_allowed(x);
        return;
    }
    if (!cloud_is_guid(x->seg[2])) {
        cloud_call_fail(x, 400, "bad-rollout-id", "'%s' is not a rollout ID", x->seg[2]);
        return;
    }
    char id[GUID_TEXT_LEN + 1];
    cloud_lower_guid(x->seg[2], id);
    if (n == 3) {
        if (cloud_call_method(x, "GET"))
            reply_rollout(x, 200, id);
        else
            cloud_call_not_allowed(x);
        return;
    }
    static const struct {
        const char *name;
        enum rollout_action action;
    } actions[] = {{"pause", ROLLOUT_PAUSE}, {"resume", ROLLOUT_RESUME}, {"approve", ROLLOUT_APPROVE}, {"abort", ROLLOUT_ABORT}};
    for (size_t i = 0; n == 4 && i < sizeof actions / sizeof actions[0]; i++)
        if (cloud_call_is(x, 3, actions[i].name)) {
            if (cloud_call_method(x, "POST"))
                h_action(x, id, actions[i].action);
            else
                cloud_call_not_allowed(x);
            return;
        }
    cloud_call_fail(x, 404, "no-such-endpoint", "no endpoint %s", x->rq->path);
}

/* ---- the device's side: decisions and reports ------------------------------------------------ */

/* The device's local minute of the day: its tag "utc+HH:MM" / "utc-HH:MM" when it has one (the
 * device reports no clock yet), else the service's own local time zone. */
static int device_minute(struct cloud_call *x, const char *device_id, unsigned *minute)
{
    time_t now = time(NULL);
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT tag FROM device_tags WHERE device_id = $1 AND tag LIKE 'utc%'", PARAMS(device_id), &r);
    if (err)
        return err;
    int offset = 0;
    bool tagged = false;
    for (size_t i = 0; i < r.nrows && !tagged; i++) {
        const char *t = clouddb_cell(&r, i, 0);
        unsigned h, m;
        char sign;
        if (sscanf(t, "utc%c%2u:%2u", &sign, &h, &m) == 3 && (sign == '+' || sign == '-') && h < 15 && m < 60) {
            offset = (sign == '-' ? -1 : 1) * (int)(h * 60 + m);
            tagged = true;
        }
    }
    clouddb_rows_free(&r);
    if (tagged) {
        long long mins = (long long)now / 60 + offset;
        *minute = (unsigned)(((mins % 1440) + 1440) % 1440);
    } else {
        struct tm tm;
        localtime_r(&now, &tm);
        *minute = (unsigned)(tm.tm_hour * 60 + tm.tm_min);
    }
    return 0;
}

/* The governing rollout's row and the device's record in it. */
#define GOVERNING                                                                                                      \
    "SELECT " ROLLOUT_COLUMNS ", rd.phase, rd.status" ROLLOUT_FROM                                                     \
    "LEFT JOIN rollout_devices rd ON rd.rollout_id = r.id AND rd.device_id = $2 "                                      \
    "WHERE r.to_deployment = (SELECT id FROM deployments WHERE group_id = $1 ORDER BY seq DESC LIMIT 1)"
/* The same when the group is not known yet: the device's own (DEV: an SQL expression of the
 * device's ID). */
#define GOVERNING_OWN_GROUP_OF(DEV)                                                                                    \
    "SELECT " ROLLOUT_COLUMNS ", rd.phase, rd.status" ROLLOUT_FROM                                                     \
    "LEFT JOIN rollout_devices rd ON rd.rollout_id = r.id AND rd.device_id = " DEV " "                                \
    "WHERE r.to_deployment = (SELECT id FROM deployments WHERE group_id = "                                            \
    "(SELECT group_id FROM devices WHERE id = " DEV ") ORDER BY seq DESC LIMIT 1)"
#define GOVERNING_OWN_GROUP GOVERNING_OWN_GROUP_OF("$1")

struct device_view {
    bool governed;
    struct loaded l;
    char from[GUID_TEXT_LEN + 1], to[GUID_TEXT_LEN + 1], group_name[128];
    bool has_record;
    unsigned phase;
    enum rollout_device_status dev;
    bool window_open;
    bool decision;
    char why[256];
};

/* The rollout staging OTA deployment `key` ("ota:PRODUCT/GROUP/VERSION") and the device's record. */
#define GOVERNING_OTA                                                                                                  \
    "SELECT " ROLLOUT_COLUMNS ", rd.phase, rd.status" ROLLOUT_FROM                                                     \
    "LEFT JOIN rollout_devices rd ON rd.rollout_id = r.id AND rd.device_id = $2 "                                      \
    "WHERE r.tenant_id = $3 AND r.to_deployment = $1 ORDER BY r.created DESC LIMIT 1"

static int fill_view(struct cloud_call *x, int err, struct clouddb_rows *rows, const char *device_id, struct device_view *v);

/* group_id NULL: the device's own group. */
static int view_device(struct cloud_call *x, const char *group_id, const char *device_id, struct device_view *v)
{
    memset(v, 0, sizeof *v);
    struct clouddb_rows r;
    int err = group_id ? cloud_call_query(x, GOVERNING, PARAMS(group_id, device_id), &r)
                       : cloud_call_query(x, GOVERNING_OWN_GROUP, PARAMS(device_id), &r);
    return fill_view(x, err, &r, device_id, v);
}

static int view_ota(struct cloud_call *x, const char *key, const char *device_id, struct device_view *v)
{
    memset(v, 0, sizeof *v);
    struct clouddb_rows r;
    int err = cloud_call_query(x, GOVERNING_OTA, PARAMS(key, device_id, x->tenant), &r);
    return fill_view(x, err, &r, device_id, v);
}

static int fill_view(struct cloud_call *x, int err, struct clouddb_rows *rows, const char *device_id, struct device_view *v)
{
    struct clouddb_rows r = *rows;
    if (err)
        return err;
    if (r.nrows == 1 && (err = load_row(&r, 0, &v->l)) == 0) {
        v->governed = true;
        snprintf(v->from, sizeof v->from, "%s", clouddb_cell(&r, 0, C_FROM) ? clouddb_cell(&r, 0, C_FROM) : "none");
        snprintf(v->to, sizeof v->to, "%s", clouddb_cell(&r, 0, C_TO));
        snprintf(v->group_name, sizeof v->group_name, "%s", clouddb_cell(&r, 0, C_GROUP_NAME));
        v->has_record = clouddb_cell(&r, 0, C_COUNT) != NULL;
        v->phase = v->has_record ? (unsigned)cell_u(&r, 0, C_COUNT)
                                 : rollout_phase_of_bucket(&v->l.plan, rollout_bucket(v->l.id, device_id));
        v->dev = rollout_device_status_parse(clouddb_cell(&r, 0, C_COUNT + 1));
    }
    clouddb_rows_free(&r);
    if (err || !v->governed)
        return err;
    unsigned minute = 0;
    if (v->l.plan.has_window && (err = device_minute(x, device_id, &minute)) != 0)
        return err;
    v->window_open = rollout_window_open(&v->l.plan, minute);
    v->decision = rollout_decide(&v->l.plan, &v->l.state, v->phase, v->dev, v->window_open, v->why, sizeof v->why);
    return 0;
}

const char *const cloud_rollout_view_sql = GOVERNING_OWN_GROUP;
const char *const cloud_rollout_view_by_token_sql = GOVERNING_OWN_GROUP_OF(CLOUD_TOKEN_SUBJECT);

/* cloud_rollout_target once the device's view v is read (err: reading it failed). */
static int target_from_view(struct cloud_call *x, const struct device_view *v, int err, bool record,
                            char dep[GUID_TEXT_LEN + 1])
{
    dep[0] = '\0';
    if (err || !v->governed)
        return err;
    snprintf(dep, GUID_TEXT_LEN + 1, "%s", v->decision ? v->to : v->from);
    if (!record)
        return 0;
    char now[24], phase[16];
    cloud_now_text(now);
    snprintf(phase, sizeof phase, "%u", v->phase);
    if (!v->has_record) /* a late joiner: placed by the same hash */
        err = cloud_call_query(x, "INSERT INTO rollout_devices (rollout_id, device_id, phase, status, updated) VALUES ($1, $2, $3, $4, $5) "
                                  "ON CONFLICT (rollout_id, device_id) DO NOTHING",
                               PARAMS(v->l.id, x->subject, phase, v->decision ? "targeted" : "pending", now), NULL);
    else if (v->decision && v->dev == ROLLOUT_DEV_PENDING)
        err = cloud_call_query(x, "UPDATE rollout_devices SET status = 'targeted', updated = $3 WHERE rollout_id = $1 AND device_id = $2 "
                                  "AND status = 'pending'", PARAMS(v->l.id, x->subject, now), NULL);
    return err;
}

int cloud_rollout_target(struct cloud_call *x, const char *group_id, bool record, char dep[GUID_TEXT_LEN + 1])
{
    struct device_view v;
    int err = view_device(x, group_id, x->subject, &v);
    return target_from_view(x, &v, err, record, dep);
}

int cloud_rollout_target_rows(struct cloud_call *x, struct clouddb_rows *view, bool record, char dep[GUID_TEXT_LEN + 1])
{
    struct device_view v;
    memset(&v, 0, sizeof v);
    int err = fill_view(x, 0, view, x->subject, &v); /* frees the rows */
    memset(view, 0, sizeof *view);
    return target_from_view(x, &v, err, record, dep);
}

void cloud_rollout_report(struct cloud_call *x, bool ok, const char *const *installed, size_t n)
{
    struct device_view v;
    if (view_device(x, NULL, x->subject, &v) || !v.governed || !v.has_record)
        return;
    if (v.dev != ROLLOUT_DEV_TARGETED && !(ok && v.dev == ROLLOUT_DEV_FAILED))
        return; /* not on the new target: its outcome says nothing about the rollout */
    /* Success means running every image of the rollout's deployment. */
    struct clouddb_rows imgs;
    bool has_all = ok;
    if (ok && cloud_call_query(x, "SELECT image_id FROM deployment_images WHERE deployment_id = $1", PARAMS(v.to), &imgs) == 0) {
        for (size_t i = 0; has_all && i < imgs.nrows; i++) {
            bool found = false;
            for (size_t k = 0; k < n && !found; k++)
                found = !strcasecmp(installed[k], clouddb_cell(&imgs, i, 0));
            has_all = found;
        }
        clouddb_rows_free(&imgs);
    }
    if (ok && !has_all)
        return; /* "ok" before the new images arrived (e.g. a check-in out of the window) */
    char now[24];
    cloud_now_text(now);
    if (cloud_call_query(x, "UPDATE rollout_devices SET status = $3, updated = $4 WHERE rollout_id = $1 AND device_id = $2",
                         PARAMS(v.l.id, x->subject, ok ? "succeeded" : "failed", now), NULL) == 0)
        advance(x, v.l.id);
}

/* ---- explaining ----------------------------------------------------------------------------- */

static void step(struct json_value *steps, const char *check, bool ok, const char *detail)
{
    struct json_value *s = json_new_object();
    cloud_put_str(s, "check", check);
    cloud_put_bool(s, "ok", ok);
    cloud_put_str(s, "detail", detail);
    cloud_append(steps, s);
}

static void iso_time(const char *epoch, char *out, size_t size)
{
    time_t t = epoch ? (time_t)strtoll(epoch, NULL, 10) : 0;
    struct tm tm;
    if (!epoch || !localtime_r(&t, &tm) || !strftime(out, size, "%Y-%m-%dT%H:%M:%S%z", &tm))
        snprintf(out, size, "never");
}

/* The external-MCU OTA part of explain-update: the OTA target (the device's productType= and
 * deviceGroup= tags), the deployed versions and the rollout staging one, the last OTA report, and
 * one sentence ("otaSummary"). Only for devices with such a tag or an OTA report. */
static int explain_ota(struct cloud_call *x, const char *id, struct json_value *steps, struct json_value *o)
{
    struct clouddb_rows t, rep = {0};
    int err = cloud_call_query(x, "SELECT tag FROM device_tags WHERE device_id = $1 AND (tag LIKE 'productType=%' OR tag LIKE "
                                  "'deviceGroup=%') ORDER BY tag", PARAMS(id), &t);
    err = err ? err : cloud_call_query(x, "SELECT status, target_version, applied_version, error, updated FROM ota_reports "
                                          "WHERE device_id = $1", PARAMS(id), &rep);
    char product[64] = "", group[64] = "", target[140], detail[640], now[24], when[40];
    for (size_t i = 0; !err && i < t.nrows; i++) {
        const char *tag = clouddb_cell(&t, i, 0);
        if (!strncmp(tag, "productType=", 12))
            snprintf(product, sizeof product, "%s", tag + 12);
        else
            snprintf(group, sizeof group, "%s", tag + 12);
    }
    bool relevant = !err && (t.nrows || rep.nrows);
    clouddb_rows_free(&t);
    if (!relevant) {
        clouddb_rows_free(&rep);
        return err;
    }
    struct rollout_ota_facts f = {.tagged = product[0] && group[0], .target = target};
    snprintf(target, sizeof target, "%s/%s", product, group);
    if (f.tagged)
        snprintf(detail, sizeof detail, "OTA target %s (tags productType=%s, deviceGroup=%s)", target, product, group);
    else
        snprintf(detail, sizeof detail, "no OTA target: productType=%s, deviceGroup=%s", product[0] ? product : "(no tag)",
                 group[0] ? group : "(no tag)");
    step(steps, "otaTarget", f.tagged, detail);
    char held_id[GUID_TEXT_LEN + 1] = "", held_why[256] = "";
    struct clouddb_rows d = {0};
    cloud_now_text(now);
    if (f.tagged)
        err = cloud_call_query(x, "SELECT version FROM ota_deployments WHERE tenant_id = $1 AND product = $2 AND device_group = $3 "
                                  "AND cancelled IS NULL AND expires > $4 ORDER BY version DESC",
                               PARAMS(x->tenant, product, group, now), &d);
    f.deployed = !err && d.nrows > 0;
    if (f.tagged && !err) {
        snprintf(detail, sizeof detail, f.deployed ? "%s has %zu live OTA deployment(s), the newest version %s" : "%s has no OTA deployment",
                 target, d.nrows, f.deployed ? clouddb_cell(&d, 0, 0) : "");
        step(steps, "otaDeployment", f.deployed, detail);
    }
    for (size_t i = 0; !err && i < d.nrows && !f.offered; i++) {
        char key[200];
        snprintf(key, sizeof key, "ota:%s/%s", target, clouddb_cell(&d, i, 0));
        struct device_view v;
        if ((err = view_ota(x, key, id, &v)) != 0 || !v.governed) {
            f.offered = err ? 0 : strtoll(clouddb_cell(&d, i, 0), NULL, 10);
            continue;
        }
        char window[16] = "";
        if (v.l.plan.has_window)
            rollout_format_window(&v.l.plan, window, sizeof window);
        snprintf(detail, sizeof detail, "rollout %s stages version %s (%s, phase %u of %u): the device is in phase %u, %s%s%s%s; %s",
                 v.l.id, clouddb_cell(&d, i, 0), rollout_status_name(v.l.state.status), v.l.state.phase + 1, v.l.plan.phase_count,
                 v.phase + 1, rollout_device_status_name(v.dev), window[0] ? "; window " : "", window,
                 window[0] ? (v.window_open ? " (open now)" : " (closed now)") : "", v.why);
        step(steps, "otaRollout", v.decision, detail);
        if (v.decision) {
            f.offered = strtoll(clouddb_cell(&d, i, 0), NULL, 10);
        } else if (!f.held) {
            f.held = strtoll(clouddb_cell(&d, i, 0), NULL, 10);
            snprintf(held_id, sizeof held_id, "%s", v.l.id);
            snprintf(held_why, sizeof held_why, "%s", v.why);
        }
    }
    clouddb_rows_free(&d);
    f.held_rollout = held_id, f.held_why = held_why;
    if (!err && rep.nrows) {
        f.status = clouddb_cell(&rep, 0, 0);
        f.target_version = clouddb_cell(&rep, 0, 1) ? strtoll(clouddb_cell(&rep, 0, 1), NULL, 10) : 0;
        f.applied = clouddb_cell(&rep, 0, 2) ? strtoll(clouddb_cell(&rep, 0, 2), NULL, 10) : 0;
        f.error = clouddb_cell(&rep, 0, 3);
        iso_time(clouddb_cell(&rep, 0, 4), when, sizeof when);
        snprintf(detail, sizeof detail, "last OTA report at %s: %s, target version %s, applied version %s%s%s", when, f.status,
                 clouddb_cell(&rep, 0, 1) ? clouddb_cell(&rep, 0, 1) : "-", clouddb_cell(&rep, 0, 2) ? clouddb_cell(&rep, 0, 2) : "-",
                 f.error && f.error[0] ? ": " : "", f.error ? f.error : "");
        step(steps, "otaLastResult", strcmp(f.status, "error") != 0, detail);
    } else if (!err) {
        step(steps, "otaLastResult", true, "no OTA report yet");
    }
    if (!err) {
        char sentence[768];
        rollout_ota_explain(&f, sentence, sizeof sentence);
        if (o) {
            json_object_append(o, "otaSummary", json_new_string(sentence));
            if (f.offered)
                json_object_append(o, "otaOfferedVersion", json_new_int(f.offered));
        }
    }
    clouddb_rows_free(&rep);
    return err;
}

void cloud_rollout_explain(struct cloud_call *x, const char *device_id)
{
    char id[DEVICE_ID_HEX + 1];
    snprintf(id, sizeof id, "%s", device_id);
    for (char *p = id; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT d.claimed, d.group_id, g.app_update, p.name || '/' || g.name, d.app_development, "
                                  "d.last_checkin, d.last_result, d.reported FROM devices d LEFT JOIN device_groups g ON g.id = d.group_id "
                                  "LEFT JOIN products p ON p.id = g.product_id WHERE d.id = $1 AND d.tenant_id = $2",
                               PARAMS(id, x->tenant), &r);
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    if (r.nrows != 1) {
        clouddb_rows_free(&r);
        cloud_call_fail(x, 404, "unknown-device", "there is no device %s in this tenant", id);
        return;
    }
    struct json_value *o = json_new_object(), *steps = json_new_array();
    char detail[512], summary[640] = "", when[40];
    bool claimed = strcmp(clouddb_cell(&r, 0, 0), "0") != 0, updates = false;
    const char *group = clouddb_cell(&r, 0, 1), *policy = clouddb_cell(&r, 0, 2), *gname = clouddb_cell(&r, 0, 3);
    bool dev_cap = strcmp(clouddb_cell(&r, 0, 4), "0") != 0;
    step(steps, "claimed", claimed, claimed ? "the device is claimed by this tenant" : "the device is known but not claimed");
    if (!claimed)
        snprintf(summary, sizeof summary, "It does not update: it is not claimed (sphere device claim).");
    snprintf(detail, sizeof detail, group ? "in device group %s" : "in no device group", gname);
    step(steps, "group", group != NULL, detail);
    if (!summary[0] && !group)
        snprintf(summary, sizeof summary, "It does not update: it is in no device group (sphere device update --device-group).");
    if (group) {
        bool all = policy && !strcmp(policy, "UpdateAll");
        snprintf(detail, sizeof detail, "the group's application update policy is %s", policy ? policy : "unknown");
        step(steps, "updatePolicy", all, detail);
        if (!summary[0] && !all)
            snprintf(summary, sizeof summary, "It does not update: group %s's policy is %s, not UpdateAll.", gname, policy);
        step(steps, "appDevelopment", !dev_cap, dev_cap ? "the device reported the appDevelopment capability: it keeps its own apps"
                                                        : "no appDevelopment capability reported");
        if (!summary[0] && dev_cap)
            snprintf(summary, sizeof summary, "It does not update: it has the appDevelopment capability, so it keeps its own apps.");
        updates = claimed && all && !dev_cap;
    }
    struct clouddb_rows t = {0};
    char target[GUID_TEXT_LEN + 1] = "";
    if (group && !err) {
        err = cloud_call_query(x, "SELECT d.id, (SELECT COUNT(*) FROM deployment_images di WHERE di.deployment_id = d.id) FROM deployments d "
                                  "WHERE d.group_id = $1 ORDER BY d.seq DESC LIMIT 1", PARAMS(group), &t);
        if (!err && t.nrows)
            snprintf(target, sizeof target, "%s", clouddb_cell(&t, 0, 0));
        snprintf(detail, sizeof detail, t.nrows ? "the group's newest deployment %s lists %s image(s)" : "the group has no deployment",
                 clouddb_cell(&t, 0, 0), clouddb_cell(&t, 0, 1));
        step(steps, "targetedSet", t.nrows > 0, detail);
        if (!summary[0] && !t.nrows)
            snprintf(summary, sizeof summary, "It does not update: group %s has no deployment.", gname);
        clouddb_rows_free(&t);
    }
    if (group && !err) {
        struct cloud_call as_device = *x;
        snprintf(as_device.subject, sizeof as_device.subject, "%s", id);
        struct device_view v;
        err = view_device(&as_device, group, id, &v);
        if (!err && v.governed) {
            snprintf(detail, sizeof detail, "rollout %s (%s, phase %u of %u): the device is in phase %u, %s; %s", v.l.id,
                     rollout_status_name(v.l.state.status), v.l.state.phase + 1, v.l.plan.phase_count, v.phase + 1,
                     rollout_device_status_name(v.dev), v.why);
            step(steps, "rollout", v.decision, detail);
            if (!summary[0] && !v.decision)
                snprintf(summary, sizeof summary, "It stays on the previous target: %s.", v.why);
            if (o) {
                json_object_append(o, "rolloutId", json_new_string(v.l.id));
                json_object_append(o, "rolloutPhase", json_new_int(v.phase + 1));
            }
        } else if (!err) {
            step(steps, "rollout", true, "no rollout governs the group: its newest deployment applies to every device");
        }
    }
    iso_time(clouddb_cell(&r, 0, 5), when, sizeof when);
    snprintf(detail, sizeof detail, "last check-in: %s", when);
    step(steps, "lastCheckIn", clouddb_cell(&r, 0, 5) != NULL, detail);
    const char *last = clouddb_cell(&r, 0, 6);
    struct json_value *lr = NULL;
    struct diag_list diags = {0};
    if (last)
        json_parse(last, strlen(last), NULL, "last_result", &diags, &lr);
    diag_list_free(&diags);
    const char *res = cloud_jstr(lr, "result"), *why = cloud_jstr(lr, "detail");
    snprintf(detail, sizeof detail, res ? "last result: %s%s%s" : "no update result reported yet", res, why && why[0] ? ": " : "",
             why ? why : "");
    step(steps, "lastResult", !res || !strcmp(res, "ok"), detail);
    if (!summary[0] && !clouddb_cell(&r, 0, 5))
        snprintf(summary, sizeof summary, "It has not updated: it has never checked in.");
    if (!summary[0] && res && strcmp(res, "ok"))
        snprintf(summary, sizeof summary, "It tried to update and failed: %s.", why && why[0] ? why : "no reason given");
    if (!summary[0] && updates)
        snprintf(summary, sizeof summary, "It updates: it follows deployment %s of group %s and last checked in at %s.", target, gname, when);
    if (!summary[0])
        snprintf(summary, sizeof summary, "It does not update (store error while explaining).");
    json_free(lr);
    clouddb_rows_free(&r);
    if (err) {
        json_free(o);
        json_free(steps);
        cloud_call_store_failed(x, err);
        return;
    }
    err = explain_ota(x, id, steps, o);
    if (err) {
        json_free(o);
        json_free(steps);
        cloud_call_store_failed(x, err);
        return;
    }
    cloud_put_str(o, "deviceId", id);
    cloud_put(o, "steps", steps);
    cloud_put_str(o, "summary", summary);
    cloud_call_reply(x, 200, o);
}

/* ---- update now ----------------------------------------------------------------------------- */

void cloud_rollout_update_now(struct cloud_call *x)
{
    struct clouddb_rows r;
    int err;
    if (cloud_call_is(x, 1, "devices")) {
        char id[DEVICE_ID_HEX + 1];
        snprintf(id, sizeof id, "%s", x->seg[2]);
        for (char *p = id; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
        err = cloud_call_query(x, "SELECT id FROM devices WHERE tenant_id = $1 AND id = $2 AND claimed <> 0", PARAMS(x->tenant, id), &r);
        if (!err && r.nrows == 0) {
            clouddb_rows_free(&r);
            cloud_call_fail(x, 404, "unknown-device", "there is no claimed device %s in this tenant", id);
            return;
        }
    } else {
        char ref[160], group[GUID_TEXT_LEN + 1];
        if (x->nseg == 5)
            snprintf(ref, sizeof ref, "%s/%s", x->seg[2], x->seg[3]);
        else
            snprintf(ref, sizeof ref, "%s", x->seg[2]);
        if (!find_group(x, ref, group))
            return;
        err = cloud_call_query(x, "SELECT id FROM devices WHERE group_id = $1 AND claimed <> 0 ORDER BY id", PARAMS(group), &r);
    }
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    char now[24], msg[96];
    cloud_now_text(now);
    snprintf(msg, sizeof msg, "{\"command\":\"checkIn\",\"at\":%s}", now);
    size_t told = 0;
    int last = 0;
    for (size_t i = 0; i < r.nrows; i++) {
        int e = cloud_twin_notify(x->s->twin, clouddb_cell(&r, i, 0), msg);
        if (e == 0)
            told++;
        else
            last = e;
    }
    size_t n = r.nrows;
    clouddb_rows_free(&r);
    if (n && !told && last == -ENOTCONN) {
        cloud_call_fail(x, 409, "mqtt-not-configured",
                        "the service has no MQTT connection to tell devices (sphere cloud init sets up its broker)");
        return;
    }
    struct json_value *o = json_new_object();
    if (o) {
        json_object_append(o, "devices", json_new_int((long long)n));
        json_object_append(o, "notified", json_new_int((long long)told));
    }
    cloud_call_reply(x, 200, o);
}

/* ---- external-MCU OTA rollouts ---------------------------------------------------------------- */

/* POST /v1/rollouts {"deviceGroup":"P/G","otaVersion":N,...}: stages OTA version N of P/G before it
 * is uploaded (sphere rollout create --ota uploads it next), so no device sees it unstaged. The
 * devices are those tagged productType=P and deviceGroup=G. */
static void h_create_ota(struct cloud_call *x, const struct json_value *b, const char *ref, long long version)
{
    struct rollout_plan plan;
    if (!read_plan(x, b, &plan))
        return;
    char product[64], group[64], ver[24], key[200];
    const char *slash = strchr(ref, '/');
    snprintf(product, sizeof product, "%.*s", (int)(slash - ref) < 63 ? (int)(slash - ref) : 63, ref);
    snprintf(group, sizeof group, "%s", slash + 1);
    snprintf(ver, sizeof ver, "%lld", version);
    snprintf(key, sizeof key, "ota:%s/%s/%s", product, group, ver);
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT id FROM ota_deployments WHERE tenant_id = $1 AND product = $2 AND device_group = $3 "
                                  "AND version = $4", PARAMS(x->tenant, product, group, ver), &r);
    bool exists = !err && r.nrows > 0;
    clouddb_rows_free(&r);
    if (!err && !exists) {
        err = cloud_call_query(x, "SELECT id FROM rollouts WHERE tenant_id = $1 AND kind = 'ota' AND target = $2 "
                                  "AND status IN ('active','paused','awaiting-approval')", PARAMS(x->tenant, ref), &r);
        if (!err && r.nrows)
            cloud_call_fail(x, 409, "rollout-in-progress", "rollout %s is still running on %s: abort it or let it complete first",
                            clouddb_cell(&r, 0, 0), ref);
        clouddb_rows_free(&r);
    }
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    if (exists) {
        cloud_call_fail(x, 409, "ota-version-exists", "version %s of %s is already deployed: a rollout stages a new version", ver, ref);
        return;
    }
    if (x->rs->status)
        return;
    char rid[GUID_TEXT_LEN + 1], now[24], phases[128], window[16], success[8], error[8], min[16];
    cloud_now_text(now);
    if ((err = cloud_new_id(rid)) != 0) {
        cloud_call_random_failed(x, err);
        return;
    }
    rollout_format_phases(&plan, phases, sizeof phases);
    rollout_format_window(&plan, window, sizeof window);
    snprintf(success, sizeof success, "%u", plan.success_threshold);
    snprintf(error, sizeof error, "%u", plan.error_threshold);
    snprintf(min, sizeof min, "%u", plan.min_devices);
    err = clouddb_begin(x->c);
    err = err ? err : cloud_call_query(x, "INSERT INTO rollouts (id, tenant_id, group_id, kind, from_deployment, to_deployment, phases, "
                                          "success, error, min_devices, approve, win, status, phase, reason, base_failed, base_finished, "
                                          "version, created, updated, target) VALUES ($1, $2, '', 'ota', NULL, $3, $4, $5, $6, $7, $8, "
                                          "$9, 'active', 0, 'phase 1 started', 0, 0, 0, $10, $10, $11)",
                                       PARAMS(rid, x->tenant, key, phases, success, error, min, plan.approve_each_phase ? "1" : "0",
                                              window, now, ref), NULL);
    struct clouddb_rows d;
    err = err ? err : cloud_call_query(x, "SELECT d.id FROM devices d WHERE d.tenant_id = $1 "
                                          "AND EXISTS (SELECT 1 FROM device_tags t WHERE t.device_id = d.id AND t.tag = 'productType=' || $2) "
                                          "AND EXISTS (SELECT 1 FROM device_tags t WHERE t.device_id = d.id AND t.tag = 'deviceGroup=' || $3)",
                                       PARAMS(x->tenant, product, group), &d);
    err = err ? err : place_rows(x, rid, &d, &plan, now);
    err = err ? err : clouddb_commit(x->c);
    if (err)
        clouddb_rollback(x->c);
    err = err ? err : advance(x, rid);
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    reply_rollout(x, 201, rid);
}

/* A device's OTA report for the staged version: applied (appliedVersion >= it) is a success, an
 * error while targeting it a failure. Updates the record and advances the rollout. */
static int take_ota_outcome(struct cloud_call *x, struct device_view *v, const char *device, long long version)
{
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT status, target_version, applied_version FROM ota_reports WHERE device_id = $1",
                               PARAMS(device), &r);
    const char *status = NULL;
    if (!err && r.nrows == 1) {
        const char *st = clouddb_cell(&r, 0, 0), *target = clouddb_cell(&r, 0, 1), *applied = clouddb_cell(&r, 0, 2);
        if (applied && strtoll(applied, NULL, 10) >= version)
            status = "succeeded";
        else if (st && !strcmp(st, "error") && target && strtoll(target, NULL, 10) == version && v->dev == ROLLOUT_DEV_TARGETED)
            status = "failed";
    }
    clouddb_rows_free(&r);
    if (err || !status || !strcmp(status, rollout_device_status_name(v->dev)))
        return err;
    char now[24];
    cloud_now_text(now);
    err = cloud_call_query(x, "UPDATE rollout_devices SET status = $3, updated = $4 WHERE rollout_id = $1 AND device_id = $2",
                           PARAMS(v->l.id, device, status, now), NULL);
    return err ? err : advance(x, v->l.id);
}

bool cloud_rollout_ota_gate(void *ctx, struct clouddb_conn *c, const char *tenant, const char *device_id, const char *product,
                            const char *group, const char *version)
{
    struct cloud_call x = {.s = ctx, .c = c};
    snprintf(x.tenant, sizeof x.tenant, "%s", tenant ? tenant : "");
    snprintf(x.subject, sizeof x.subject, "%s", device_id);
    char key[200];
    snprintf(key, sizeof key, "ota:%s/%s/%s", product ? product : "", group ? group : "", version ? version : "");
    struct device_view v;
    if (view_ota(&x, key, device_id, &v))
        return false; /* the store failed: hold the staged version back rather than release it */
    if (!v.governed)
        return true;
    long long ver = strtoll(version, NULL, 10);
    if (v.has_record && (v.dev == ROLLOUT_DEV_TARGETED || v.dev == ROLLOUT_DEV_FAILED)) {
        if (take_ota_outcome(&x, &v, device_id, ver) || view_ota(&x, key, device_id, &v))
            return false;
    }
    char now[24], phase[16];
    cloud_now_text(now);
    snprintf(phase, sizeof phase, "%u", v.phase);
    if (!v.has_record)
        cloud_call_query(&x, "INSERT INTO rollout_devices (rollout_id, device_id, phase, status, updated) VALUES ($1, $2, $3, $4, $5) "
                             "ON CONFLICT (rollout_id, device_id) DO NOTHING",
                         PARAMS(v.l.id, device_id, phase, v.decision ? "targeted" : "pending", now), NULL);
    else if (v.decision && v.dev == ROLLOUT_DEV_PENDING)
        cloud_call_query(&x, "UPDATE rollout_devices SET status = 'targeted', updated = $3 WHERE rollout_id = $1 AND device_id = $2 "
                             "AND status = 'pending'", PARAMS(v.l.id, device_id, now), NULL);
    return v.decision;
}

void cloud_rollout_ota_report(void *ctx, struct clouddb_conn *c, const char *device_id)
{
    struct cloud_call x = {.s = ctx, .c = c};
    char id[DEVICE_ID_HEX + 1];
    snprintf(id, sizeof id, "%s", device_id ? device_id : "");
    for (char *p = id; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
    snprintf(x.subject, sizeof x.subject, "%s", id);
    struct clouddb_rows r;
    /* The OTA rollouts in which the device was given the staged version (or failed it). */
    if (cloud_call_query(&x, "SELECT r.to_deployment, r.tenant_id FROM rollouts r JOIN rollout_devices rd ON rd.rollout_id = r.id "
                             "AND rd.device_id = $1 WHERE r.kind = 'ota' AND rd.status IN ('targeted','failed') ORDER BY r.created",
                         PARAMS(id), &r))
        return;
    for (size_t i = 0; i < r.nrows; i++) {
        const char *key = clouddb_cell(&r, i, 0), *slash = key ? strrchr(key, '/') : NULL, *tenant = clouddb_cell(&r, i, 1);
        snprintf(x.tenant, sizeof x.tenant, "%s", tenant ? tenant : "");
        struct device_view v;
        if (!slash || view_ota(&x, key, id, &v) || !v.governed || !v.has_record)
            continue;
        if (take_ota_outcome(&x, &v, id, strtoll(slash + 1, NULL, 10)))
            fprintf(stderr, "sphere-cloud: rollout %s: cannot take the OTA report of device %.16s...\n", v.l.id, id);
    }
    clouddb_rows_free(&r);
}
