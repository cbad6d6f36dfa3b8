/* SPDX-License-Identifier: MIT */
/* test_rollout.c — the staged-rollout state machine (src/cloud/rollout.c, docs/rollouts.md):
 * plan parsing, stable placement, thresholds, min-devices, approvals, pause/resume/abort,
 * maintenance-window edges, late joiners and a state rebuilt from its stored fields. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rollout.h"

static struct rollout_plan plan_of(const char *phases)
{
    struct rollout_plan p;
    char why[256];
    rollout_plan_init(&p);
    assert_int_equal(rollout_parse_phases(phases, &p, why, sizeof why), 0);
    return p;
}

static void phases_parse_and_format_back(void **state)
{
    (void)state;
    struct rollout_plan p = plan_of("1%,10%,50%,100%");
    assert_int_equal(p.phase_count, 4);
    assert_int_equal(p.phase_bp[0], 100);
    assert_int_equal(p.phase_bp[3], 10000);
    char text[128];
    rollout_format_phases(&p, text, sizeof text);
    assert_string_equal(text, "1%,10%,50%,100%");
    p = plan_of("0.5,2.25%,100");
    rollout_format_phases(&p, text, sizeof text);
    assert_string_equal(text, "0.50%,2.25%,100%");
}

static void bad_phases_are_refused_with_the_value(void **state)
{
    (void)state;
    static const struct {
        const char *text, *why;
    } cases[] = {
        {"", "last phase must be 100%"},       {"10%,5%,100%", "phase 2"}, {"10%,50%", "last phase must be 100%"},
        {"0%,100%", "phase 1"},                {"abc", "not a list"},      {"10%,,100%", "not a list"},
        {"150%", "phase 1"},                   {"1.234%,100%", "not a list"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rollout_plan p;
        char why[256] = "";
        rollout_plan_init(&p);
        if (rollout_parse_phases(cases[i].text, &p, why, sizeof why) != -EINVAL || !strstr(why, cases[i].why))
            fail_msg("case %zu ('%s'): got '%s', expected '%s'", i, cases[i].text, why, cases[i].why);
    }
}

static void exponential_ramp_multiplies_up_to_100(void **state)
{
    (void)state;
    struct rollout_plan p;
    char why[256], text[128];
    rollout_plan_init(&p);
    assert_int_equal(rollout_parse_ramp("exponential:1,10", &p, why, sizeof why), 0);
    rollout_format_phases(&p, text, sizeof text);
    assert_string_equal(text, "1%,10%,100%");
    assert_int_equal(rollout_parse_ramp("exponential:2,3", &p, why, sizeof why), 0);
    rollout_format_phases(&p, text, sizeof text);
    assert_string_equal(text, "2%,6%,18%,54%,100%");
    assert_int_equal(rollout_parse_ramp("exponential:1,1", &p, why, sizeof why), -EINVAL);
    assert_int_equal(rollout_parse_ramp("linear:1,2", &p, why, sizeof why), -EINVAL);
}

static void placement_is_stable_and_roughly_proportional(void **state)
{
    (void)state;
    struct rollout_plan p = plan_of("1%,10%,50%,100%");
    unsigned per_phase[4] = {0};
    for (unsigned i = 0; i < 10000; i++) {
        char id[80];
        snprintf(id, sizeof id, "%064x", i);
        unsigned b = rollout_bucket("r1", id);
        assert_int_equal(b, rollout_bucket("r1", id)); /* stable */
        per_phase[rollout_phase_of_bucket(&p, b)]++;
    }
    /* expected 100, 900, 4000, 5000 of 10000 */
    assert_in_range(per_phase[0], 60, 140);
    assert_in_range(per_phase[1], 800, 1000);
    assert_in_range(per_phase[2], 3800, 4200);
    assert_in_range(per_phase[3], 4800, 5200);
    /* the case of the device ID does not move a device */
    assert_int_equal(rollout_bucket("r1", "ABCDEF"), rollout_bucket("r1", "abcdef"));
}

static void window_edges_start_inclusive_end_exclusive(void **state)
{
    (void)state;
    struct rollout_plan p;
    char why[256];
    rollout_plan_init(&p);
    assert_true(rollout_window_open(&p, 0)); /* none: always */
    assert_int_equal(rollout_parse_window("22:00-04:00", &p, why, sizeof why), 0);
    static const struct {
        unsigned minute;
        bool open;
    } wrap[] = {{21 * 60 + 59, false}, {22 * 60, true}, {23 * 60 + 59, true}, {0, true}, {3 * 60 + 59, true}, {4 * 60, false}, {12 * 60, false}};
    for (size_t i = 0; i < sizeof wrap / sizeof wrap[0]; i++)
        if (rollout_window_open(&p, wrap[i].minute) != wrap[i].open)
            fail_msg("22:00-04:00 at minute %u should be %s", wrap[i].minute, wrap[i].open ? "open" : "closed");
    assert_int_equal(rollout_parse_window("09:30-17:00", &p, why, sizeof why), 0);
    assert_false(rollout_window_open(&p, 9 * 60 + 29));
    assert_true(rollout_window_open(&p, 9 * 60 + 30));
    assert_true(rollout_window_open(&p, 16 * 60 + 59));
    assert_false(rollout_window_open(&p, 17 * 60));
    char text[16];
    rollout_format_window(&p, text, sizeof text);
    assert_string_equal(text, "09:30-17:00");
    assert_int_equal(rollout_parse_window("10:00-10:00", &p, why, sizeof why), -EINVAL);
    assert_int_equal(rollout_parse_window("24:00-01:00", &p, why, sizeof why), -EINVAL);
    assert_int_equal(rollout_parse_window("9:00-10:00", &p, why, sizeof why), -EINVAL);
}

static struct rollout_state fresh(void)
{
    struct rollout_state s;
    memset(&s, 0, sizeof s);
    s.status = ROLLOUT_ACTIVE;
    return s;
}

static void next_phase_starts_when_the_success_threshold_is_met(void **state)
{
    (void)state;
    struct rollout_plan p = plan_of("10%,100%");
    p.success_threshold = 90;
    struct rollout_state s = fresh();
    struct rollout_counts c = {.devices = 10, .succeeded = 8};
    assert_false(rollout_step(&p, &s, &c));
    assert_int_equal(s.phase, 0);
    c.succeeded = 9;
    assert_true(rollout_step(&p, &s, &c));
    assert_int_equal(s.phase, 1);
    assert_int_equal(s.status, ROLLOUT_ACTIVE);
    assert_non_null(strstr(s.reason, "phase 2 started"));
    c = (struct rollout_counts){.devices = 100, .succeeded = 100};
    assert_true(rollout_step(&p, &s, &c));
    assert_int_equal(s.status, ROLLOUT_COMPLETED);
    assert_false(rollout_step(&p, &s, &c)); /* terminal */
}

static void an_empty_phase_passes_at_once(void **state)
{
    (void)state;
    struct rollout_plan p = plan_of("1%,100%");
    struct rollout_state s = fresh();
    struct rollout_counts c = {0};
    assert_true(rollout_step(&p, &s, &c));
    assert_int_equal(s.phase, 1);
}

static void error_threshold_pauses_only_over_min_devices(void **state)
{
    (void)state;
    struct rollout_plan p = plan_of("10%,100%");
    p.error_threshold = 5;
    p.min_devices = 20;
    struct rollout_state s = fresh();
    struct rollout_counts c = {.devices = 100, .succeeded = 15, .failed = 4}; /* 19 finished: too few to judge */
    assert_false(rollout_step(&p, &s, &c));
    assert_int_equal(s.status, ROLLOUT_ACTIVE);
    c.succeeded = 16; /* 20 finished, 4 failed = 20% > 5% */
    assert_true(rollout_step(&p, &s, &c));
    assert_int_equal(s.status, ROLLOUT_PAUSED);
    assert_non_null(strstr(s.reason, "4 of 20 finished devices failed"));
    /* exactly at the threshold does not pause */
    s = fresh();
    c = (struct rollout_counts){.devices = 100, .succeeded = 19, .failed = 1};
    assert_false(rollout_step(&p, &s, &c));
    assert_int_equal(s.status, ROLLOUT_ACTIVE);
}

static void errors_win_over_success_in_the_same_step(void **state)
{
    (void)state;
    struct rollout_plan p = plan_of("10%,100%");
    p.success_threshold = 80;
    p.error_threshold = 10;
    p.min_devices = 1;
    struct rollout_state s = fresh();
    struct rollout_counts c = {.devices = 10, .succeeded = 8, .failed = 2};
    assert_true(rollout_step(&p, &s, &c));
    assert_int_equal(s.status, ROLLOUT_PAUSED);
    assert_int_equal(s.phase, 0);
}

static void resume_counts_errors_from_the_resume(void **state)
{
    (void)state;
    struct rollout_plan p = plan_of("10%,100%");
    p.min_devices = 5;
    struct rollout_state s = fresh();
    struct rollout_counts c = {.devices = 100, .succeeded = 5, .failed = 5};
    char why[256];
    assert_true(rollout_step(&p, &s, &c));
    assert_int_equal(s.status, ROLLOUT_PAUSED);
    assert_int_equal(rollout_apply(&p, &s, ROLLOUT_RESUME, &c, why, sizeof why), 0);
    assert_int_equal(s.status, ROLLOUT_ACTIVE);
    assert_false(rollout_step(&p, &s, &c)); /* the old failures do not pause it again */
    c.succeeded += 10;
    assert_false(rollout_step(&p, &s, &c));
    c.failed += 2; /* 2 of 12 since the resume */
    assert_true(rollout_step(&p, &s, &c));
    assert_int_equal(s.status, ROLLOUT_PAUSED);
    assert_int_equal(rollout_apply(&p, &s, ROLLOUT_PAUSE, &c, why, sizeof why), -EALREADY);
}

static void approve_each_phase_waits_for_a_user(void **state)
{
    (void)state;
    struct rollout_plan p = plan_of("10%,50%,100%");
    p.approve_each_phase = true;
    struct rollout_state s = fresh();
    struct rollout_counts c = {.devices = 10, .succeeded = 10};
    char why[256];
    assert_int_equal(rollout_apply(&p, &s, ROLLOUT_APPROVE, &c, why, sizeof why), -EPERM);
    assert_true(rollout_step(&p, &s, &c));
    assert_int_equal(s.status, ROLLOUT_AWAITING_APPROVAL);
    assert_int_equal(s.phase, 0);
    assert_false(rollout_step(&p, &s, &c));
    assert_int_equal(rollout_apply(&p, &s, ROLLOUT_APPROVE, &c, why, sizeof why), 0);
    assert_int_equal(s.status, ROLLOUT_ACTIVE);
    assert_int_equal(s.phase, 1);
}

static void abort_returns_devices_not_yet_updated(void **state)
{
    (void)state;
    struct rollout_plan p = plan_of("10%,100%");
    struct rollout_state s = fresh();
    struct rollout_counts c = {0};
    char why[256];
    assert_int_equal(rollout_apply(&p, &s, ROLLOUT_ABORT, &c, why, sizeof why), 0);
    assert_int_equal(s.status, ROLLOUT_ABORTED);
    assert_true(rollout_decide(&p, &s, 0, ROLLOUT_DEV_SUCCEEDED, true, why, sizeof why));
    assert_false(rollout_decide(&p, &s, 0, ROLLOUT_DEV_TARGETED, true, why, sizeof why));
    assert_non_null(strstr(why, "previous target"));
    assert_false(rollout_decide(&p, &s, 0, ROLLOUT_DEV_FAILED, true, why, sizeof why));
    assert_false(rollout_decide(&p, &s, 1, ROLLOUT_DEV_PENDING, true, why, sizeof why));
    assert_int_equal(rollout_apply(&p, &s, ROLLOUT_RESUME, &c, why, sizeof why), -EPERM);
    assert_false(rollout_step(&p, &s, &(struct rollout_counts){.devices = 1, .succeeded = 1}));
}

static void decisions_follow_phase_pause_and_window(void **state)
{
    (void)state;
    struct rollout_plan p = plan_of("10%,100%");
    char why[256];
    assert_int_equal(rollout_parse_window("22:00-04:00", &p, why, sizeof why), 0);
    struct rollout_state s = fresh();
    assert_true(rollout_decide(&p, &s, 0, ROLLOUT_DEV_PENDING, true, why, sizeof why));
    assert_false(rollout_decide(&p, &s, 1, ROLLOUT_DEV_PENDING, true, why, sizeof why));
    assert_non_null(strstr(why, "phase 2 of 2, which has not started"));
    assert_false(rollout_decide(&p, &s, 0, ROLLOUT_DEV_PENDING, false, why, sizeof why));
    assert_non_null(strstr(why, "outside the maintenance window 22:00-04:00"));
    /* a device that started inside the window finishes after it closes */
    assert_true(rollout_decide(&p, &s, 0, ROLLOUT_DEV_TARGETED, false, why, sizeof why));
    s.status = ROLLOUT_PAUSED;
    assert_false(rollout_decide(&p, &s, 0, ROLLOUT_DEV_PENDING, true, why, sizeof why));
    assert_true(rollout_decide(&p, &s, 0, ROLLOUT_DEV_FAILED, true, why, sizeof why));
    s.status = ROLLOUT_COMPLETED;
    assert_true(rollout_decide(&p, &s, 1, ROLLOUT_DEV_PENDING, false, why, sizeof why));
}

static void late_joiners_get_their_phase_decision(void **state)
{
    (void)state;
    /* A device that joins the group mid-rollout has no record (pending); its bucket alone decides. */
    struct rollout_plan p = plan_of("10%,50%,100%");
    struct rollout_state s = fresh();
    s.phase = 1;
    char why[256];
    for (unsigned i = 0; i < 200; i++) {
        char id[32];
        snprintf(id, sizeof id, "late%u", i);
        unsigned phase = rollout_phase_of_bucket(&p, rollout_bucket("r9", id));
        if (rollout_decide(&p, &s, phase, ROLLOUT_DEV_PENDING, true, why, sizeof why) != (phase <= 1))
            fail_msg("late joiner %s in phase %u: wrong decision (%s)", id, phase + 1, why);
    }
}

static void a_state_rebuilt_from_the_store_decides_the_same(void **state)
{
    (void)state;
    /* What cloud_rollout.c stores: phases text, thresholds, status name, phase, baselines. A cloud
     * restarted mid-phase rebuilds the same plan and state from them. */
    struct rollout_plan p = plan_of("1%,10%,50%,100%");
    char why[256], phases[128], window[16];
    assert_int_equal(rollout_parse_window("01:00-02:00", &p, why, sizeof why), 0);
    struct rollout_state s = fresh();
    s.phase = 2;
    rollout_format_phases(&p, phases, sizeof phases);
    rollout_format_window(&p, window, sizeof window);
    struct rollout_plan q;
    rollout_plan_init(&q);
    assert_int_equal(rollout_parse_phases(phases, &q, why, sizeof why), 0);
    assert_int_equal(rollout_parse_window(window, &q, why, sizeof why), 0);
    struct rollout_state t = fresh();
    assert_int_equal(rollout_status_parse(rollout_status_name(s.status), &t.status), 0);
    t.phase = s.phase;
    for (unsigned ph = 0; ph < 4; ph++)
        for (unsigned m = 0; m < 1440; m += 30)
            assert_int_equal(rollout_decide(&p, &s, ph, ROLLOUT_DEV_PENDING, rollout_window_open(&p, m), why, sizeof why),
                             rollout_decide(&q, &t, ph, ROLLOUT_DEV_PENDING, rollout_window_open(&q, m), why, sizeof why));
}

/* Every state of a device's external-MCU OTA update gets its one sentence (explain-update). */
static void ota_explanations_cover_every_state(void **state)
{
    (void)state;
    static const char why[] = "the device is in phase 2 of 2, which has not started (phase 1 is running)";
    static const struct {
        struct rollout_ota_facts f;
        const char *says;
    } table[] = {
        {{.tagged = false}, "gets no OTA update: the device lacks a productType= or deviceGroup= tag"},
        {{.tagged = true, .target = "W/G"}, "gets no OTA update: W/G has no OTA deployment"},
        {{.tagged = true, .target = "W/G", .deployed = true, .held = 2, .held_rollout = "R", .held_why = why},
         "gets no OTA update: version 2 is held back by rollout R: the device is in phase 2 of 2, which has not started"},
        {{.tagged = true, .target = "W/G", .deployed = true, .offered = 1, .held = 2, .held_rollout = "R", .held_why = why,
          .status = "applied", .target_version = 1, .applied = 1},
         "stays on version 1: version 2 is held back by rollout R: the device is in phase 2"},
        {{.tagged = true, .target = "W/G", .deployed = true, .offered = 2, .status = "applied", .target_version = 2, .applied = 2},
         "is up to date: it runs version 2, the newest W/G offers it."},
        {{.tagged = true, .target = "W/G", .deployed = true, .offered = 2, .status = "applied", .target_version = 2},
         "is up to date: it runs version 2"},
        {{.tagged = true, .target = "W/G", .deployed = true, .offered = 2, .status = "error", .target_version = 2, .applied = 1,
          .error = "the image does not match its SHA-256"},
         "tried to update to version 2 and failed: the image does not match its SHA-256."},
        {{.tagged = true, .target = "W/G", .deployed = true, .offered = 2, .status = "error", .target_version = 2},
         "tried to update to version 2 and failed: no reason given."},
        {{.tagged = true, .target = "W/G", .deployed = true, .offered = 2, .status = "downloading", .target_version = 2},
         "is updating to version 2: its last report says downloading."},
        {{.tagged = true, .target = "W/G", .deployed = true, .offered = 2}, "is offered version 2 and has not reported on it yet"},
        {{.tagged = true, .target = "W/G", .deployed = true, .offered = 2, .status = "error", .target_version = 1, .error = "x"},
         "is offered version 2 and has not reported on it yet"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        char out[512];
        rollout_ota_explain(&table[i].f, out, sizeof out);
        if (!strstr(out, table[i].says) || strncmp(out, "Its external MCU ", 17))
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, out, table[i].says);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(phases_parse_and_format_back),
        cmocka_unit_test(bad_phases_are_refused_with_the_value),
        cmocka_unit_test(exponential_ramp_multiplies_up_to_100),
        cmocka_unit_test(placement_is_stable_and_roughly_proportional),
        cmocka_unit_test(window_edges_start_inclusive_end_exclusive),
        cmocka_unit_test(next_phase_starts_when_the_success_threshold_is_met),
        cmocka_unit_test(an_empty_phase_passes_at_once),
        cmocka_unit_test(error_threshold_pauses_only_over_min_devices),
        cmocka_unit_test(errors_win_over_success_in_the_same_step),
        cmocka_unit_test(resume_counts_errors_from_the_resume),
        cmocka_unit_test(approve_each_phase_waits_for_a_user),
        cmocka_unit_test(abort_returns_devices_not_yet_updated),
        cmocka_unit_test(decisions_follow_phase_pause_and_window),
        cmocka_unit_test(late_joiners_get_their_phase_decision),
        cmocka_unit_test(a_state_rebuilt_from_the_store_decides_the_same),
        cmocka_unit_test(ota_explanations_cover_every_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
