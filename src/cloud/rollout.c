/* SPDX-License-Identifier: MIT */
/*
 * rollout.c — the staged-rollout state machine (rollout.h): plans and their text forms, the
 * stable placement of devices into phases, maintenance windows, per-device decisions and the
 * transitions driven by counts and by users. Pure: everything comes in as arguments.
 */
#include "rollout.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rollout_plan_init(struct rollout_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    plan->phase_count = 1;
    plan->phase_bp[0] = ROLLOUT_BUCKETS;
    plan->success_threshold = 95;
    plan->error_threshold = 5;
    plan->min_devices = 10;
}

/* A percentage with at most two decimals, "12", "12.5", "0.25", as basis points. */
static int parse_percent(const char *s, const char **end, unsigned *bp)
{
    unsigned whole = 0, frac = 0, digits = 0, fdigits = 0;
    for (; isdigit((unsigned char)*s) && digits < 4; s++, digits++)
        whole = whole * 10 + (unsigned)(*s - '0');
    if (!digits)
        return -EINVAL;
    if (*s == '.') {
        for (s++; isdigit((unsigned char)*s) && fdigits < 2; s++, fdigits++)
            frac = frac * 10 + (unsigned)(*s - '0');
        if (!fdigits)
            return -EINVAL;
        if (fdigits == 1)
            frac *= 10;
    }
    if (isdigit((unsigned char)*s))
        return -EINVAL;
    if (*s == '%')
        s++;
    *end = s;
    *bp = whole * 100 + frac;
    return 0;
}

int rollout_parse_phases(const char *text, struct rollout_plan *plan, char *why, size_t why_size)
{
    unsigned n = 0, bp[ROLLOUT_MAX_PHASES];
    const char *s = text;
    while (*s) {
        const char *end;
        unsigned v;
        if (n == ROLLOUT_MAX_PHASES) {
            snprintf(why, why_size, "--phases: at most %d phases", ROLLOUT_MAX_PHASES);
            return -EINVAL;
        }
        if (parse_percent(s, &end, &v) || (*end && *end != ',')) {
            snprintf(why, why_size, "--phases: '%s' is not a list of percentages such as 1%%,10%%,100%%", text);
            return -EINVAL;
        }
        if (v == 0 || v > ROLLOUT_BUCKETS || (n && v <= bp[n - 1])) {
            snprintf(why, why_size, "--phases: phase %u (%.2f%%) must be above the previous one and at most 100%%", n + 1,
                     v / 100.0);
            return -EINVAL;
        }
        bp[n++] = v;
        s = *end ? end + 1 : end;
    }
    if (!n || bp[n - 1] != ROLLOUT_BUCKETS) {
        snprintf(why, why_size, "--phases: the last phase must be 100%% (got '%s')", text);
        return -EINVAL;
    }
    plan->phase_count = n;
    memcpy(plan->phase_bp, bp, sizeof bp[0] * n);
    return 0;
}

int rollout_parse_ramp(const char *text, struct rollout_plan *plan, char *why, size_t why_size)
{
    const char *s = text, *end;
    unsigned base, factor_bp;
    if (strncmp(s, "exponential:", 12) || parse_percent(s + 12, &end, &base) || *end != ',' ||
        parse_percent(end + 1, &end, &factor_bp) || *end || base == 0 || base >= ROLLOUT_BUCKETS || factor_bp <= 100) {
        snprintf(why, why_size, "--ramp: '%s' is not exponential:BASE,FACTOR (BASE%% below 100, FACTOR above 1)", text);
        return -EINVAL;
    }
    unsigned n = 0;
    for (uint64_t v = base; v < ROLLOUT_BUCKETS && n < ROLLOUT_MAX_PHASES - 1; v = v * factor_bp / 100)
        plan->phase_bp[n++] = (unsigned)v;
    plan->phase_bp[n++] = ROLLOUT_BUCKETS;
    plan->phase_count = n;
    return 0;
}

static int parse_hhmm(const char *s, const char **end, unsigned *minutes)
{
    if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' || !isdigit((unsigned char)s[3]) ||
        !isdigit((unsigned char)s[4]))
        return -EINVAL;
    unsigned h = (unsigned)((s[0] - '0') * 10 + (s[1] - '0')), m = (unsigned)((s[3] - '0') * 10 + (s[4] - '0'));
    if (h > 23 || m > 59)
        return -EINVAL;
    *minutes = h * 60 + m;
    *end = s + 5;
    return 0;
}

int rollout_parse_window(const char *text, struct rollout_plan *plan, char *why, size_t why_size)
{
    const char *end;
    unsigned a, b;
    if (parse_hhmm(text, &end, &a) || *end != '-' || parse_hhmm(end + 1, &end, &b) || *end || a == b) {
        snprintf(why, why_size, "--window: '%s' is not HH:MM-HH:MM with two different times (e.g. 22:00-04:00)", text);
        return -EINVAL;
    }
    plan->has_window = true;
    plan->window_start = a;
    plan->window_end = b;
    return 0;
}

void rollout_format_phases(const struct rollout_plan *plan, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < plan->phase_count && used < size; i++) {
        unsigned v = plan->phase_bp[i];
        int n = v % 100 ? snprintf(out + used, size - used, "%s%u.%02u%%", i ? "," : "", v / 100, v % 100)
                        : snprintf(out + used, size - used, "%s%u%%", i ? "," : "", v / 100);
        if (n < 0)
            return;
        used += (size_t)n;
    }
}

void rollout_format_window(const struct rollout_plan *plan, char *out, size_t size)
{
    if (!plan->has_window)
        snprintf(out, size, "%s", "");
    else
        snprintf(out, size, "%02u:%02u-%02u:%02u", plan->window_start / 60, plan->window_start % 60, plan->window_end / 60,
                 plan->window_end % 60);
}

int rollout_plan_check(const struct rollout_plan *plan, char *why, size_t why_size)
{
    if (plan->success_threshold < 1 || plan->success_threshold > 100) {
        snprintf(why, why_size, "--success-threshold must be 1-100 (percent), not %u", plan->success_threshold);
        return -EINVAL;
    }
    if (plan->error_threshold > 100) {
        snprintf(why, why_size, "--error-threshold must be 0-100 (percent), not %u", plan->error_threshold);
        return -EINVAL;
    }
    if (!plan->phase_count || plan->phase_count > ROLLOUT_MAX_PHASES || plan->phase_bp[plan->phase_count - 1] != ROLLOUT_BUCKETS) {
        snprintf(why, why_size, "the phases must end at 100%%");
        return -EINVAL;
    }
    return 0;
}

unsigned rollout_bucket(const char *rollout_id, const char *device_id)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *s = rollout_id; *s; s++)
        h = (h ^ (unsigned char)tolower((unsigned char)*s)) * 1099511628211ull;
    h = (h ^ '/') * 1099511628211ull;
    for (const char *s = device_id; *s; s++)
        h = (h ^ (unsigned char)tolower((unsigned char)*s)) * 1099511628211ull;
    h ^= h >> 29; /* FNV's low bits mix poorly on short, similar keys */
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (unsigned)(h % ROLLOUT_BUCKETS);
}

unsigned rollout_phase_of_bucket(const struct rollout_plan *plan, unsigned bucket)
{
    for (unsigned i = 0; i < plan->phase_count; i++)
        if (bucket < plan->phase_bp[i])
            return i;
    return plan->phase_count ? plan->phase_count - 1 : 0;
}

bool rollout_window_open(const struct rollout_plan *plan, unsigned minute_of_day)
{
    if (!plan->has_window)
        return true;
    unsigned a = plan->window_start, b = plan->window_end, m = minute_of_day % 1440;
    return a < b ? (m >= a && m < b) : (m >= a || m < b);
}

bool rollout_decide(const struct rollout_plan *plan, const struct rollout_state *state, unsigned device_phase,
                    enum rollout_device_status dev, bool window_open, char *why, size_t why_size)
{
    bool started = dev != ROLLOUT_DEV_PENDING; /* the device already received the new target */
    switch (state->status) {
    case ROLLOUT_COMPLETED:
        snprintf(why, why_size, "the rollout is complete");
        return true;
    case ROLLOUT_ABORTED:
        if (dev == ROLLOUT_DEV_SUCCEEDED) {
            snprintf(why, why_size, "the rollout was aborted after this device updated: it keeps the new target");
            return true;
        }
        snprintf(why, why_size, "the rollout was aborted before this device updated: it is back on the previous target");
        return false;
    default:
        break;
    }
    if (device_phase > state->phase) {
        snprintf(why, why_size, "the device is in phase %u of %u, which has not started (phase %u is running)",
                 device_phase + 1, plan->phase_count, state->phase + 1);
        return false;
    }
    if (state->status == ROLLOUT_PAUSED) {
        snprintf(why, why_size, started ? "the rollout is paused; this device had already started the update"
                                        : "the rollout is paused before this device started the update");
        return started;
    }
    if (!started && !window_open) {
        char w[16];
        rollout_format_window(plan, w, sizeof w);
        snprintf(why, why_size, "the device's phase %u has started but its local time is outside the maintenance window %s",
                 device_phase + 1, w);
        return false;
    }
    snprintf(why, why_size, "the device's phase %u of %u has started", device_phase + 1, plan->phase_count);
    return true;
}

bool rollout_step(const struct rollout_plan *plan, struct rollout_state *state, const struct rollout_counts *counts)
{
    if (state->status != ROLLOUT_ACTIVE)
        return false;
    uint64_t finished = counts->succeeded + counts->failed;
    uint64_t failed = counts->failed > state->base_failed ? counts->failed - state->base_failed : 0;
    uint64_t since = finished > state->base_finished ? finished - state->base_finished : 0;
    if (since && since >= plan->min_devices && failed * 100 > (uint64_t)plan->error_threshold * since) {
        state->status = ROLLOUT_PAUSED;
        snprintf(state->reason, sizeof state->reason,
                 "paused itself in phase %u: %llu of %llu finished devices failed (%.1f%%), over the %u%% error threshold",
                 state->phase + 1, (unsigned long long)failed, (unsigned long long)since, 100.0 * (double)failed / (double)since,
                 plan->error_threshold);
        return true;
    }
    if (counts->succeeded * 100 < (uint64_t)plan->success_threshold * counts->devices)
        return false;
    if (state->phase + 1 >= plan->phase_count) {
        state->status = ROLLOUT_COMPLETED;
        snprintf(state->reason, sizeof state->reason, "completed: %llu of %llu devices succeeded",
                 (unsigned long long)counts->succeeded, (unsigned long long)counts->devices);
    } else if (plan->approve_each_phase) {
        state->status = ROLLOUT_AWAITING_APPROVAL;
        snprintf(state->reason, sizeof state->reason, "phase %u met the %u%% success threshold; waiting for approval of phase %u",
                 state->phase + 1, plan->success_threshold, state->phase + 2);
    } else {
        state->phase++;
        snprintf(state->reason, sizeof state->reason, "phase %u started: phase %u met the %u%% success threshold",
                 state->phase + 1, state->phase, plan->success_threshold);
    }
    return true;
}

int rollout_apply(const struct rollout_plan *plan, struct rollout_state *state, enum rollout_action action,
                  const struct rollout_counts *counts, char *why, size_t why_size)
{
    enum rollout_status s = state->status;
    if (s == ROLLOUT_ABORTED || s == ROLLOUT_COMPLETED) {
        snprintf(why, why_size, "the rollout is %s; nothing can change it any more", rollout_status_name(s));
        return -EPERM;
    }
    switch (action) {
    case ROLLOUT_PAUSE:
        if (s == ROLLOUT_PAUSED) {
            snprintf(why, why_size, "the rollout is already paused");
            return -EALREADY;
        }
        state->status = ROLLOUT_PAUSED;
        snprintf(state->reason, sizeof state->reason, "paused by a user in phase %u", state->phase + 1);
        return 0;
    case ROLLOUT_RESUME:
        if (s != ROLLOUT_PAUSED) {
            snprintf(why, why_size, "the rollout is %s, not paused", rollout_status_name(s));
            return -EALREADY;
        }
        state->status = ROLLOUT_ACTIVE;
        state->base_failed = counts->failed;
        state->base_finished = counts->succeeded + counts->failed;
        snprintf(state->reason, sizeof state->reason, "resumed by a user in phase %u (the error rate counts from here)",
                 state->phase + 1);
        return 0;
    case ROLLOUT_APPROVE:
        if (s != ROLLOUT_AWAITING_APPROVAL) {
            snprintf(why, why_size, "the rollout is %s, not waiting for an approval", rollout_status_name(s));
            return -EPERM;
        }
        state->status = ROLLOUT_ACTIVE;
        state->phase++;
        snprintf(state->reason, sizeof state->reason, "phase %u of %u started: approved by a user", state->phase + 1,
                 plan->phase_count);
        return 0;
    case ROLLOUT_ABORT:
        state->status = ROLLOUT_ABORTED;
        snprintf(state->reason, sizeof state->reason,
                 "aborted by a user in phase %u: devices not yet updated are back on the previous target", state->phase + 1);
        return 0;
    }
    snprintf(why, why_size, "unknown action");
    return -EINVAL;
}

static const char *const status_names[] = {"active", "paused", "awaiting-approval", "aborted", "completed"};
static const char *const device_status_names[] = {"pending", "targeted", "succeeded", "failed"};

const char *rollout_status_name(enum rollout_status s)
{
    return (unsigned)s < sizeof status_names / sizeof status_names[0] ? status_names[s] : "unknown";
}

int rollout_status_parse(const char *name, enum rollout_status *out)
{
    for (size_t i = 0; name && i < sizeof status_names / sizeof status_names[0]; i++)
        if (!strcmp(name, status_names[i])) {
            *out = (enum rollout_status)i;
            return 0;
        }
    return -EINVAL;
}

const char *rollout_device_status_name(enum rollout_device_status s)
{
    return (unsigned)s < sizeof device_status_names / sizeof device_status_names[0] ? device_status_names[s] : "pending";
}

enum rollout_device_status rollout_device_status_parse(const char *name)
{
    for (size_t i = 0; name && i < sizeof device_status_names / sizeof device_status_names[0]; i++)
        if (!strcmp(name, device_status_names[i]))
            return (enum rollout_device_status)i;
    return ROLLOUT_DEV_PENDING;
}

/* ---- explaining an external-MCU OTA update ---------------------------------------------------- */

static void held_clause(const struct rollout_ota_facts *f, char *out, size_t size)
{
    snprintf(out, size, "version %lld is held back by rollout %s: %s", f->held, f->held_rollout ? f->held_rollout : "?",
             f->held_why && f->held_why[0] ? f->held_why : "its decision for this device");
}

void rollout_ota_explain(const struct rollout_ota_facts *f, char *out, size_t size)
{
    char held[400];
    held_clause(f, held, sizeof held);
    bool reported = f->status != NULL;
    bool about_offered = reported && f->offered && f->target_version == f->offered;
    long long applied = f->applied ? f->applied : reported && !strcmp(f->status, "applied") ? f->target_version : 0;
    if (!f->tagged)
        snprintf(out, size, "Its external MCU gets no OTA update: the device lacks a productType= or deviceGroup= tag "
                            "(sphere device update --tag productType=P --tag deviceGroup=G).");
    else if (!f->deployed)
        snprintf(out, size, "Its external MCU gets no OTA update: %s has no OTA deployment (sphere ota deploy).", f->target);
    else if (!f->offered)
        snprintf(out, size, "Its external MCU gets no OTA update: %s.", held);
    else if (reported && applied >= f->offered && f->held)
        snprintf(out, size, "Its external MCU stays on version %lld: %s.", applied, held);
    else if (reported && applied >= f->offered)
        snprintf(out, size, "Its external MCU is up to date: it runs version %lld, the newest %s offers it.", applied, f->target);
    else if (about_offered && !strcmp(f->status, "error"))
        snprintf(out, size, "Its external MCU tried to update to version %lld and failed: %s.", f->offered,
                 f->error && f->error[0] ? f->error : "no reason given");
    else if (about_offered && strcmp(f->status, "applied"))
        snprintf(out, size, "Its external MCU is updating to version %lld: its last report says %s.", f->offered, f->status);
    else
        snprintf(out, size, "Its external MCU is offered version %lld and has not reported on it yet: its OTA agent takes it "
                            "when it next reads its twin or asks.", f->offered);
}
