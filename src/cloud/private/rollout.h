/* SPDX-License-Identifier: MIT */
/*
 * rollout.h — the staged-rollout state machine (docs/rollouts.md), pure: no store, no clock, no
 * I/O. cloud_rollout.c keeps its state in the store and feeds it counts and the time of day.
 *
 * A plan is a list of cumulative phases (basis points of the group, 1% = 100, ascending, the last
 * 10000), a success threshold (percent of the devices in the started phases that must have
 * succeeded before the next phase starts), an error threshold (percent of finished devices that
 * may fail; over it the rollout pauses itself, but only once at least min_devices have finished),
 * an optional maintenance window (minutes of the day, start inclusive, end exclusive, wrapping past
 * midnight when start > end) and whether each phase waits for an approval.
 *
 * Devices are placed by a stable hash of (rollout ID, device ID) into a bucket 0..9999: the device
 * belongs to the first phase whose cumulative share exceeds its bucket, for the whole rollout.
 *
 * Errors: -EINVAL with a sentence in `why` naming the value refused; -EALREADY / -EPERM for an
 * action the state does not allow (also with a sentence).
 */
#ifndef OPENSPHERE_CLOUD_ROLLOUT_H
#define OPENSPHERE_CLOUD_ROLLOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROLLOUT_MAX_PHASES 16
#define ROLLOUT_BUCKETS 10000u

enum rollout_status {
    ROLLOUT_ACTIVE,
    ROLLOUT_PAUSED,            /* by a user or by the error threshold */
    ROLLOUT_AWAITING_APPROVAL, /* --approve-each-phase: the phase met its threshold */
    ROLLOUT_ABORTED,
    ROLLOUT_COMPLETED,
};

struct rollout_plan {
    unsigned phase_count;
    unsigned phase_bp[ROLLOUT_MAX_PHASES]; /* cumulative, ascending, last = ROLLOUT_BUCKETS */
    unsigned success_threshold;            /* percent, 1..100 */
    unsigned error_threshold;              /* percent, 0..100 */
    unsigned min_devices;                  /* finished devices before the error rate counts */
    bool approve_each_phase;
    bool has_window;
    unsigned window_start, window_end; /* minutes of the day 0..1439; start != end */
};

struct rollout_state {
    enum rollout_status status;
    unsigned phase;               /* the newest started phase */
    uint64_t base_failed;         /* failures and finished devices when last resumed: the error rate */
    uint64_t base_finished;       /* after a resume counts only what finished since */
    char reason[200];             /* why the state is what it is, one sentence */
};

/* What the devices of the started phases (0..state.phase) did. */
struct rollout_counts {
    uint64_t devices, succeeded, failed;
};

/* A device's own record in a rollout. */
enum rollout_device_status { ROLLOUT_DEV_PENDING, ROLLOUT_DEV_TARGETED, ROLLOUT_DEV_SUCCEEDED, ROLLOUT_DEV_FAILED };

enum rollout_action { ROLLOUT_PAUSE, ROLLOUT_RESUME, ROLLOUT_APPROVE, ROLLOUT_ABORT };

/* ---- plans --------------------------------------------------------------------------------- */

/* Sets plan's defaults: one phase of 100%, success 95, error 5, min-devices 10, no window. */
void rollout_plan_init(struct rollout_plan *plan);
/* "1%,10%,50%,100%" (the '%' optional, decimals to 0.01%, ascending, ending at 100). */
int rollout_parse_phases(const char *text, struct rollout_plan *plan, char *why, size_t why_size);
/* "exponential:BASE,FACTOR": BASE%, BASE*FACTOR%, ... capped by a last 100% phase. */
int rollout_parse_ramp(const char *text, struct rollout_plan *plan, char *why, size_t why_size);
/* "HH:MM-HH:MM" in the device's local time; start and end must differ. */
int rollout_parse_window(const char *text, struct rollout_plan *plan, char *why, size_t why_size);
/* The phases as "1%,10%,100%" (what rollout_parse_phases reads back). */
void rollout_format_phases(const struct rollout_plan *plan, char *out, size_t size);
/* The window as "HH:MM-HH:MM", or "" when there is none. */
void rollout_format_window(const struct rollout_plan *plan, char *out, size_t size);
/* Checks thresholds and phases together. */
int rollout_plan_check(const struct rollout_plan *plan, char *why, size_t why_size);

/* ---- placement, windows, decisions --------------------------------------------------------- */

/* The device's bucket 0..9999 (FNV-1a 64 of "rollout_id/device_id", device ID lower-cased). */
unsigned rollout_bucket(const char *rollout_id, const char *device_id);
/* The phase a bucket belongs to. */
unsigned rollout_phase_of_bucket(const struct rollout_plan *plan, unsigned bucket);
/* Whether minute_of_day (0..1439, the device's local time) is inside the window (always with none). */
bool rollout_window_open(const struct rollout_plan *plan, unsigned minute_of_day);

/* Whether a device of `device_phase`, whose record says `dev`, gets the rollout's new target
 * (true) or stays on the previous one (false), with the reason in `why`. */
bool rollout_decide(const struct rollout_plan *plan, const struct rollout_state *state, unsigned device_phase,
                    enum rollout_device_status dev, bool window_open, char *why, size_t why_size);

/* One step of the machine after the counts of the started phases changed: pauses over the error
 * threshold, else starts the next phase (or awaits approval, or completes) once the success
 * threshold is met. Returns true when the state changed (counts must then be taken again for
 * the new phase before the next step; a caller loops at most phase_count + 1 times). */
bool rollout_step(const struct rollout_plan *plan, struct rollout_state *state, const struct rollout_counts *counts);

/* A user's action. `counts` (of the started phases) sets the error baseline on resume.
 * 0, -EALREADY (already in that state), -EPERM (not allowed from this state). */
int rollout_apply(const struct rollout_plan *plan, struct rollout_state *state, enum rollout_action action,
                  const struct rollout_counts *counts, char *why, size_t why_size);

/* What `device explain-update` knows about a device's external-MCU OTA update (docs/rollouts.md). */
struct rollout_ota_facts {
    bool tagged;              /* the device has both productType= and deviceGroup= tags */
    const char *target;       /* "PRODUCT/GROUP" when tagged */
    bool deployed;            /* some live (uncancelled, unexpired) OTA deployment of the target exists */
    long long offered;        /* the version its desired state offers (after rollouts), 0 none */
    long long held;           /* a higher version a rollout holds back from it, 0 none */
    const char *held_rollout; /* that rollout's ID */
    const char *held_why;     /* rollout_decide's reason for holding it back */
    const char *status;       /* its last OTA report's status, NULL when it never reported */
    long long target_version; /* ... the version that report was about (0: not said) */
    long long applied;        /* ... the version its MCU runs (0: not said) */
    const char *error;        /* ... the reason of an "error" report */
};

/* One sentence (starting "Its external MCU") saying why the MCU did or did not update. */
void rollout_ota_explain(const struct rollout_ota_facts *f, char *out, size_t size);

const char *rollout_status_name(enum rollout_status s);
int rollout_status_parse(const char *name, enum rollout_status *out);
const char *rollout_device_status_name(enum rollout_device_status s);
enum rollout_device_status rollout_device_status_parse(const char *name);

#endif
