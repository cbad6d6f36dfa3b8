/* SPDX-License-Identifier: MIT */
/* test_sysevent.c — the system-event manager (src/runtime/sysevent.h) driven as the broker and
 * the REST layer drive it: registration rules, who gets which event with which status, deferral
 * rules and the refusals. One behaviour per test, each with a fresh manager. Rerun:
 * build/tests/test_runtime_sysevent (ctest -R test_runtime_sysevent). Time-driven steps (the
 * windows, deferral expiry) are covered end to end by tests/cli/test_sysevent.sh. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime_sysevent.h"

struct fixture {
    struct applog *log;
    struct sysev *s;
};

static int setup(void **state)
{
    static struct fixture f;
    if (applog_create(&f.log) || sysev_create(f.log, &f.s))
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    sysev_destroy(f->s);
    applog_destroy(f->log);
    return 0;
}

/* An app: its component ID, name and manifest capabilities (a JSON object's text). */
struct app {
    struct guid cid;
    struct json_value *manifest;
    struct broker_context ctx;
    int channel;
};

static void app_init(struct app *a, struct sysev *s, int n, const char *caps)
{
    char text[256];
    snprintf(text, sizeof text, "00000000-0000-0000-0000-%012d", n);
    assert_int_equal(guid_parse(text, &a->cid), 0);
    snprintf(text, sizeof text, "{\"Capabilities\":%s}", caps);
    struct diag_list d = {0};
    assert_int_equal(json_parse(text, strlen(text), NULL, "manifest", &d, &a->manifest), 0);
    diag_list_free(&d);
    a->ctx = (struct broker_context){.component_id = &a->cid, .app_name = "app", .manifest = a->manifest, .sysevents = s};
    a->channel = -1;
}

static void app_free(struct app *a)
{
    json_free(a->manifest);
    if (a->channel >= 0)
        close(a->channel);
}

static int call(struct app *a, uint32_t op, int arg, int arg2)
{
    struct broker_request q = {.version = BROKER_VERSION, .op = op, .a = arg, .b = arg2};
    struct broker_reply r = {0};
    int fd = -1;
    for (const struct broker_op_entry *e = broker_sysevent_ops; e->handler; e++)
        if (e->op == op) {
            int err = e->handler(&a->ctx, &q, &r, &fd);
            if (fd >= 0)
                a->channel = fd;
            return err;
        }
    fail_msg("no handler for op %u", op);
    return 0;
}

/* The next event on the app's channel, or event 0 when none is there. */
static struct broker_sysevent next(struct app *a)
{
    struct broker_sysevent m = {0};
    if (recv(a->channel, &m, sizeof m, MSG_DONTWAIT) != (ssize_t)sizeof m)
        memset(&m, 0, sizeof m);
    return m;
}

static int inject(struct sysev *s, const char *body, char *why)
{
    struct diag_list d = {0};
    struct json_value *j = NULL, *out = NULL;
    assert_int_equal(json_parse(body, strlen(body), NULL, "body", &d, &j), 0);
    diag_list_free(&d);
    int err = sysev_inject(s, j, &out, why, 256);
    json_free(j);
    json_free(out);
    return err;
}

#define ALL "{\"SystemEventNotifications\":true,\"SoftwareUpdateDeferral\":true}"
#define READY "{\"event\":\"updateReadyForInstall\",\"updateType\":\"system\",\"maxDeferralMinutes\":30}"

static void registering_needs_SystemEventNotifications(void **state)
{
    struct fixture *f = *state;
    struct app a;
    app_init(&a, f->s, 1, "{\"SoftwareUpdateDeferral\":true}");
    assert_int_equal(call(&a, BROKER_SYSEVENT_REGISTER, 1, 0), -EACCES);
    assert_int_equal(a.channel, -1);
    app_free(&a);
}

static void one_registration_per_app_and_a_valid_mask(void **state)
{
    struct fixture *f = *state;
    struct app a;
    app_init(&a, f->s, 2, ALL);
    assert_int_equal(call(&a, BROKER_SYSEVENT_REGISTER, 0, 0), -EINVAL);
    assert_int_equal(call(&a, BROKER_SYSEVENT_REGISTER, 8, 0), -EINVAL);
    assert_int_equal(call(&a, BROKER_SYSEVENT_REGISTER, 7, 0), 0);
    int first = a.channel;
    a.channel = -1;
    assert_int_equal(call(&a, BROKER_SYSEVENT_REGISTER, 1, 0), -EEXIST);
    assert_int_equal(call(&a, BROKER_SYSEVENT_UNREGISTER, 0, 0), 0);
    assert_int_equal(call(&a, BROKER_SYSEVENT_UNREGISTER, 0, 0), -EINVAL);
    close(first);
    app_free(&a);
}

static void pending_goes_to_apps_registered_for_it_only(void **state)
{
    struct fixture *f = *state;
    struct app ready, other;
    app_init(&ready, f->s, 3, ALL);
    app_init(&other, f->s, 4, ALL);
    assert_int_equal(call(&ready, BROKER_SYSEVENT_REGISTER, 1, 0), 0);
    assert_int_equal(call(&other, BROKER_SYSEVENT_REGISTER, 4, 0), 0);
    char why[256];
    assert_int_equal(inject(f->s, READY, why), 0);
    struct broker_sysevent m = next(&ready);
    assert_int_equal(m.event, 1);
    assert_int_equal(m.status, 1);      /* Pending */
    assert_int_equal(m.update_type, 2); /* System */
    assert_int_equal(m.max_deferral_minutes, 30);
    assert_int_equal(next(&other).event, 0);
    /* a second offer while this one is open is refused */
    assert_int_equal(inject(f->s, READY, why), -EBUSY);
    sysev_forget(f->s, &ready.cid);
    sysev_forget(f->s, &other.cid);
    app_free(&ready), app_free(&other);
}

static void deferring_needs_SoftwareUpdateDeferral_and_an_open_offer_within_the_allowance(void **state)
{
    struct fixture *f = *state;
    struct app a, b;
    app_init(&a, f->s, 5, ALL);
    app_init(&b, f->s, 6, "{\"SystemEventNotifications\":true}");
    assert_int_equal(call(&a, BROKER_SYSEVENT_REGISTER, 7, 0), 0);
    assert_int_equal(call(&b, BROKER_SYSEVENT_REGISTER, 1, 0), 0);
    assert_int_equal(call(&a, BROKER_SYSEVENT_DEFER, 1, 5), -EINVAL); /* nothing offered */
    char why[256];
    assert_int_equal(inject(f->s, READY, why), 0);
    next(&a), next(&b);
    assert_int_equal(call(&b, BROKER_SYSEVENT_DEFER, 1, 5), -EACCES);
    assert_int_equal(call(&a, BROKER_SYSEVENT_DEFER, 2, 5), -EINVAL);  /* not UpdateReadyForInstall */
    assert_int_equal(call(&a, BROKER_SYSEVENT_DEFER, 1, 31), -EINVAL); /* more than the allowance */
    assert_int_equal(call(&a, BROKER_SYSEVENT_DEFER, 1, 5), 0);
    struct broker_sysevent m = next(&b);
    assert_int_equal(m.event, 1);
    assert_int_equal(m.status, 3); /* Deferred, to every registered app */
    assert_int_equal(next(&a).status, 3);
    struct json_value *v = sysev_view(f->s);
    const struct json_value *u = json_object_get(v, "update"), *d = json_object_get(u, "deferrals");
    assert_string_equal(json_object_get(u, "state")->u.string.chars, "deferred");
    assert_int_equal(d->u.array.count, 1);
    assert_int_equal(json_object_get(d->u.array.items[0], "minutes")->u.number.integer, 5);
    json_free(v);
    /* resuming withdraws the only deferral: the update goes ahead (Final) */
    assert_int_equal(call(&a, BROKER_SYSEVENT_RESUME, 1, 0), 0);
    assert_int_equal(next(&a).status, 2);
    assert_int_equal(next(&b).status, 2);
    sysev_forget(f->s, &a.cid);
    sysev_forget(f->s, &b.cid);
    app_free(&a), app_free(&b);
}

/* The offer names the whole allowance, and while it is open the app may defer all of it, even
 * when the clock has already eaten into the first simulated minute (a CI run once got max=9). */
static void the_offered_maximum_holds_while_the_offer_is_open(void **state)
{
    struct fixture *f = *state;
    struct app a;
    app_init(&a, f->s, 9, ALL);
    assert_int_equal(call(&a, BROKER_SYSEVENT_REGISTER, 1, 0), 0);
    char why[256];
    assert_int_equal(inject(f->s, "{\"event\":\"updateReadyForInstall\",\"updateType\":\"system\","
                                  "\"maxDeferralMinutes\":10,\"secondsPerMinute\":1,\"windowSeconds\":5}", why), 0);
    struct broker_sysevent m = next(&a);
    assert_int_equal(m.status, 1);
    assert_int_equal(m.max_deferral_minutes, 10);
    usleep(50 * 1000); /* 0.05 simulated minutes pass: only 9 whole minutes are left on the clock */
    assert_int_equal(call(&a, BROKER_SYSEVENT_DEFER, 1, 11), -EINVAL);
    assert_int_equal(call(&a, BROKER_SYSEVENT_DEFER, 1, 10), 0);
    assert_int_equal(next(&a).status, 3);
    assert_int_equal(call(&a, BROKER_SYSEVENT_RESUME, 1, 0), 0);
    assert_int_equal(next(&a).status, 2);
    sysev_forget(f->s, &a.cid);
    app_free(&a);
}

static void one_shot_events_are_final_and_carry_no_deferral_for_noUpdateAvailable(void **state)
{
    struct fixture *f = *state;
    struct app a;
    app_init(&a, f->s, 7, ALL);
    assert_int_equal(call(&a, BROKER_SYSEVENT_REGISTER, 6, 0), 0);
    char why[256];
    assert_int_equal(inject(f->s, "{\"event\":\"updateStarted\",\"updateType\":\"app\"}", why), 0);
    struct broker_sysevent m = next(&a);
    assert_int_equal(m.event, 2);
    assert_int_equal(m.status, 2);
    assert_int_equal(m.update_type, 1);
    assert_int_equal(m.max_deferral_minutes, SYSEV_MAX_DEFERRAL_APP_MIN);
    assert_int_equal(inject(f->s, "{\"event\":\"noUpdateAvailable\"}", why), 0);
    m = next(&a);
    assert_int_equal(m.event, 4);
    assert_int_equal(m.update_type, 0);
    sysev_forget(f->s, &a.cid);
    app_free(&a);
}

static void bad_injections_say_which_field(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *body, *field;
    } cases[] = {
        {"{}", "\"event\""},
        {"{\"event\":\"reboot\"}", "not \"reboot\""},
        {"{\"event\":\"updateStarted\",\"updateType\":\"firmware\"}", "\"updateType\""},
        {"{\"event\":\"updateReadyForInstall\",\"updateType\":\"system\",\"maxDeferralMinutes\":1441}", "\"maxDeferralMinutes\""},
        {"{\"event\":\"updateReadyForInstall\",\"maxDeferralMinutes\":10021}", "\"maxDeferralMinutes\""},
        {"{\"event\":\"updateReadyForInstall\",\"windowSeconds\":0}", "\"windowSeconds\""},
        {"{\"event\":\"updateReadyForInstall\",\"secondsPerMinute\":61}", "\"secondsPerMinute\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char why[256] = "";
        int err = inject(f->s, cases[i].body, why);
        if (err != -EINVAL || !strstr(why, cases[i].field))
            fail_msg("case %zu %s: %d, '%s'", i, cases[i].body, err, why);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(registering_needs_SystemEventNotifications, setup, teardown),
        cmocka_unit_test_setup_teardown(one_registration_per_app_and_a_valid_mask, setup, teardown),
        cmocka_unit_test_setup_teardown(pending_goes_to_apps_registered_for_it_only, setup, teardown),
        cmocka_unit_test_setup_teardown(deferring_needs_SoftwareUpdateDeferral_and_an_open_offer_within_the_allowance, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(one_shot_events_are_final_and_carry_no_deferral_for_noUpdateAvailable, setup, teardown),
        cmocka_unit_test_setup_teardown(the_offered_maximum_holds_while_the_offer_is_open, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_injections_say_which_field, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
