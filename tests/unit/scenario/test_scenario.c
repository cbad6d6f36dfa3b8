/* SPDX-License-Identifier: MIT */
/* test_scenario.c — the scenario parser and runner core (src/scenario/, docs/scenarios.md).
 * Table-driven: each step's fields, durations, bad YAML, unknown steps and fields, wrong types,
 * missing packages, ${NAME} references, substitution, regex captures and the JUnit writer.
 * A failing case prints its name; SCENARIO_CASE=<name> runs that case alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "scenario.h"

#define HEAD "name: t\nversion: 1\n"
#define STEPS(s) HEAD "steps:\n" s

/* ---- the parse table ------------------------------------------------------------------------------ */

struct parse_case {
    const char *name;
    const char *yaml;
    const char *where;  /* "LINE:COL" of the expected problem (NULL: not checked) */
    const char *path;   /* the problem's field path (NULL: not checked) */
    const char *needle; /* text the problem must contain; NULL = the scenario is valid */
};

static const struct parse_case cases[] = {
    /* the top level */
    {"valid_minimal", STEPS("  - delay: 1s\n"), NULL, NULL, NULL},
    {"valid_everything", "name: all\nversion: 1\ndevice: { board: mt3620_rdb, os-version: \"25.02\" }\n"
     "packages: [ a.imagepackage ]\nsteps:\n  - delay: 1ms\n", NULL, NULL, NULL},
    {"bad_yaml", "name: t\nversion: 1\nsteps: [\n  - delay: 1s\n", NULL, NULL, "not valid YAML"},
    {"bad_yaml_indentation", "name: t\n  version: 1\n", "2:10", NULL, "not valid YAML"},
    {"empty_document", "", NULL, NULL, "not an empty document"},
    {"not_a_mapping", "- a\n- b\n", "1:1", NULL, "a scenario is a mapping"},
    {"two_documents", STEPS("  - delay: 1s\n") "---\nname: u\n", "5:1", NULL, "one YAML document"},
    {"name_required", "version: 1\nsteps:\n  - delay: 1s\n", "1:1", "name", "needs a name"},
    {"name_not_a_mapping", "name: {a: 1}\nversion: 1\nsteps:\n  - delay: 1s\n", "1:7", "name", "not a mapping"},
    {"version_required", "name: t\nsteps:\n  - delay: 1s\n", NULL, "version", "version: 1"},
    {"version_must_be_1", "name: t\nversion: 2\nsteps:\n  - delay: 1s\n", "2:10", "version", "'2' is not supported"},
    {"version_quoted_is_a_string", "name: t\nversion: \"1\"\nsteps:\n  - delay: 1s\n", "2:10", "version", "not supported"},
    {"unknown_top_field", HEAD "stpes: []\nsteps:\n  - delay: 1s\n", "3:1", "stpes", "unknown field 'stpes'"},
    {"duplicate_top_field", HEAD "name: u\nsteps:\n  - delay: 1s\n", "3:1", "name", "given twice"},
    {"steps_required", HEAD, NULL, "steps", "needs steps"},
    {"steps_not_empty", HEAD "steps: []\n", "3:8", "steps", "at least one step"},
    {"steps_must_be_sequence", HEAD "steps: {delay: 1s}\n", "3:8", "steps", "a sequence of steps, not a mapping"},
    {"device_unknown_field", HEAD "device: { bord: x }\nsteps:\n  - delay: 1s\n", "3:11", "device.bord", "unknown field 'bord'"},
    {"device_must_be_mapping", HEAD "device: rdb\nsteps:\n  - delay: 1s\n", "3:9", "device", "expected a mapping"},
    {"packages_must_be_sequence", HEAD "packages: a.ip\nsteps:\n  - delay: 1s\n", "3:11", "packages", "a sequence"},
    {"package_must_be_a_path", HEAD "packages: [ {a: 1} ]\nsteps:\n  - delay: 1s\n", "3:13", "packages[0]", "not a mapping"},
    /* the shape of a step */
    {"unknown_step", STEPS("  - delay: 1s\n  - wait-lgo: { match: x }\n"), "5:5", "steps[1]", "unknown step 'wait-lgo'"},
    {"step_with_two_keys", STEPS("  - { delay: 1s, press: {gpio: 1} }\n"), "4:5", "steps[0]", "several keys"},
    {"step_a_scalar", STEPS("  - delay\n"), "4:5", "steps[0]", "not a scalar"},
    {"step_fields_not_a_sequence", STEPS("  - press: [12]\n"), "4:12", "steps[0].press", "takes a mapping of its fields"},
    {"unknown_field", STEPS("  - press: { gpio: 12, msec: 300 }\n"), "4:24", "steps[0].press.msec",
     "unknown field 'msec' of press (its fields: gpio, ms)"},
    {"duplicate_field", STEPS("  - press: { gpio: 12, gpio: 13 }\n"), "4:24", "steps[0].press.gpio", "given twice"},
    {"missing_field", STEPS("  - press: { ms: 300 }\n"), "4:12", "steps[0].press", "press needs 'gpio'"},
    {"problems_name_the_step_index", STEPS("  - delay: 1s\n  - delay: 1s\n  - expect-pin: { gpio: 8 }\n"), "6:17",
     "steps[2].expect-pin", "needs 'value'"},
    /* wait-log */
    {"wait_log", STEPS("  - wait-log: { match: \"start(ing)?\", timeout: 5s }\n"), NULL, NULL, NULL},
    {"wait_log_needs_match", STEPS("  - wait-log: { timeout: 5s }\n"), NULL, "steps[0].wait-log", "needs 'match'"},
    {"wait_log_bad_regex", STEPS("  - wait-log: { match: \"a(b\" }\n"), "4:24", "steps[0].wait-log.match", "not a valid extended regex"},
    {"wait_log_regex_nested_counts", STEPS("  - wait-log: { match: \"((a{100}){100}){100}\" }\n"), NULL,
     "steps[0].wait-log.match", "too many repetitions"},
    {"wait_log_regex_many_plus", STEPS("  - wait-log: { match: \"a+++++++++++\" }\n"), NULL, "steps[0].wait-log.match",
     "too many repetitions"},
    {"wait_log_regex_escaped_brace", STEPS("  - wait-log: { match: \"a\\\\{999}[{]9999}\" }\n"), NULL, NULL, NULL},
    {"wait_log_regex_matching_nothing", STEPS("  - wait-log: { match: \"x|^$\" }\n"), NULL, "steps[0].wait-log.match",
     "matches the empty text"},
    {"wait_log_regex_optional_only", STEPS("  - wait-serial: { uart: ISU0, match: \"(ok)?\" }\n"), NULL,
     "steps[0].wait-serial.match", "would pass at once"},
    {"wait_log_empty_regex", STEPS("  - wait-log: { match: \"\" }\n"), NULL, "steps[0].wait-log.match", "empty regex"},
    {"wait_log_match_not_a_mapping", STEPS("  - wait-log: { match: {a: b} }\n"), NULL, "steps[0].wait-log.match",
     "expected a scalar, not a mapping"},
    {"wait_log_bad_capture_name", STEPS("  - wait-log: { match: x, as: 9lives }\n"), NULL, "steps[0].wait-log.as",
     "variable name"},
    /* wait-pin */
    {"wait_pin_toggles", STEPS("  - wait-pin: { gpio: 8, toggles: 3, timeout: 5s }\n"), NULL, NULL, NULL},
    {"wait_pin_value", STEPS("  - wait-pin: { gpio: 8, value: 0 }\n"), NULL, NULL, NULL},
    {"wait_pin_neither", STEPS("  - wait-pin: { gpio: 8 }\n"), NULL, "steps[0].wait-pin", "one of 'toggles'"},
    {"wait_pin_both", STEPS("  - wait-pin: { gpio: 8, value: 1, toggles: 2 }\n"), NULL, "steps[0].wait-pin", "not both"},
    {"wait_pin_gpio_range", STEPS("  - wait-pin: { gpio: 128, value: 1 }\n"), "4:23", "steps[0].wait-pin.gpio",
     "a GPIO number (0-127), not '128'"},
    {"wait_pin_gpio_not_a_number", STEPS("  - wait-pin: { gpio: eight, value: 1 }\n"), NULL, "steps[0].wait-pin.gpio",
     "not 'eight'"},
    {"wait_pin_gpio_quoted", STEPS("  - wait-pin: { gpio: \"8\", value: 1 }\n"), NULL, "steps[0].wait-pin.gpio",
     "a GPIO number"},
    {"wait_pin_value_2", STEPS("  - wait-pin: { gpio: 8, value: 2 }\n"), NULL, "steps[0].wait-pin.value", "0 or 1"},
    {"wait_pin_toggles_0", STEPS("  - wait-pin: { gpio: 8, toggles: 0 }\n"), NULL, "steps[0].wait-pin.toggles",
     "a count from 1"},
    /* press, expect-pin */
    {"press", STEPS("  - press: { gpio: 12, ms: 300 }\n"), NULL, NULL, NULL},
    {"press_ms_range", STEPS("  - press: { gpio: 12, ms: 0 }\n"), NULL, "steps[0].press.ms", "milliseconds from 1"},
    {"press_ms_is_a_number", STEPS("  - press: { gpio: 12, ms: 300ms }\n"), NULL, "steps[0].press.ms", "not '300ms'"},
    {"expect_pin", STEPS("  - expect-pin: { gpio: 8, value: 1 }\n"), NULL, NULL, NULL},
    {"expect_pin_no_timeout", STEPS("  - expect-pin: { gpio: 8, value: 1, timeout: 1s }\n"), NULL,
     "steps[0].expect-pin.timeout", "unknown field 'timeout'"},
    /* serial */
    {"write_serial", STEPS("  - write-serial: { uart: ISU0, text: \"hello\\n\" }\n"), NULL, NULL, NULL},
    {"write_serial_bad_uart", STEPS("  - write-serial: { uart: ISU5, text: x }\n"), NULL, "steps[0].write-serial.uart",
     "ISU0-ISU4, not 'ISU5'"},
    {"write_serial_needs_text", STEPS("  - write-serial: { uart: ISU0 }\n"), NULL, "steps[0].write-serial", "needs 'text'"},
    {"wait_serial", STEPS("  - wait-serial: { uart: ISU0, match: hello, timeout: 2s }\n"), NULL, NULL, NULL},
    {"wait_serial_needs_uart", STEPS("  - wait-serial: { match: hello }\n"), NULL, "steps[0].wait-serial", "needs 'uart'"},
    /* set-adc, set-accel */
    {"set_adc", STEPS("  - set-adc: { controller: 0, channel: 0, volts: 1.25 }\n"), NULL, NULL, NULL},
    {"set_adc_controller_defaults", STEPS("  - set-adc: { channel: 1, volts: 3 }\n"), NULL, NULL, NULL},
    {"set_adc_volts_range", STEPS("  - set-adc: { channel: 0, volts: 5.5 }\n"), NULL, "steps[0].set-adc.volts",
     "volts from 0 to 5, not '5.5'"},
    {"set_adc_volts_not_a_number", STEPS("  - set-adc: { channel: 0, volts: high }\n"), NULL, "steps[0].set-adc.volts",
     "not 'high'"},
    {"set_accel", STEPS("  - set-accel: { x: 0, y: -0.5, z: 1.0 }\n"), NULL, NULL, NULL},
    {"set_accel_needs_z", STEPS("  - set-accel: { x: 0, y: 0 }\n"), NULL, "steps[0].set-accel", "needs 'z'"},
    {"set_accel_range", STEPS("  - set-accel: { x: 17, y: 0, z: 1 }\n"), NULL, "steps[0].set-accel.x", "g from -16 to 16"},
    /* delay and durations */
    {"delay_500ms", STEPS("  - delay: 500ms\n"), NULL, NULL, NULL},
    {"delay_2m", STEPS("  - delay: 2m\n"), NULL, NULL, NULL},
    {"delay_without_unit", STEPS("  - delay: 500\n"), "4:12", "steps[0].delay", "a duration such as 500ms"},
    {"delay_mapping", STEPS("  - delay: { ms: 5 }\n"), NULL, "steps[0].delay", "not a mapping"},
    {"delay_too_long", STEPS("  - delay: 61m\n"), NULL, "steps[0].delay", "at most 1 hour"},
    {"timeout_bad_unit", STEPS("  - wait-log: { match: x, timeout: 5h }\n"), NULL, "steps[0].wait-log.timeout",
     "not '5h'"},
    /* apps, power */
    {"expect_app", STEPS("  - expect-app: { app: Blinky, state: running }\n"), NULL, NULL, NULL},
    {"expect_app_bad_state", STEPS("  - expect-app: { app: Blinky, state: up }\n"), NULL, "steps[0].expect-app.state",
     "running, stopped, debugging or notPresent"},
    {"expect_app_empty_app", STEPS("  - expect-app: { app: \"\", state: running }\n"), NULL, "steps[0].expect-app.app",
     "empty string"},
    {"restart_app", STEPS("  - restart-app: { app: 5e8b1f3a-2d4c-4b6e-8f90-1a2b3c4d5e6f }\n"), NULL, NULL, NULL},
    {"power_cut", STEPS("  - power-cut: {}\n  - power-cut:\n"), NULL, NULL, NULL},
    {"power_cut_takes_no_fields", STEPS("  - power-cut: { after: 3 }\n"), NULL, "steps[0].power-cut", "no fields"},
    /* captures and ${NAME} */
    {"variable_defined_earlier", STEPS("  - wait-log: { match: \"id ([0-9]+)\", as: ID }\n"
                                       "  - wait-serial: { uart: ISU0, match: \"got ${ID}\" }\n"
                                       "  - write-serial: { uart: ISU0, text: \"${ID}\\n\" }\n"
                                       "  - expect-app: { app: \"${ID}\", state: running }\n"), NULL, NULL, NULL},
    {"variable_undefined", STEPS("  - wait-log: { match: \"got ${ID}\" }\n"), "4:24", "steps[0].wait-log.match",
     "${ID} is not captured by an earlier step"},
    {"variable_defined_later", STEPS("  - write-serial: { uart: ISU0, text: \"${ID}\" }\n"
                                     "  - wait-log: { match: \"id (.*)\", as: ID }\n"), NULL,
     "steps[0].write-serial.text", "${ID} is not captured"},
    {"variable_unclosed", STEPS("  - write-serial: { uart: ISU0, text: \"${ID\" }\n"), NULL, "steps[0].write-serial.text",
     "without a closing"},
    /* every problem at once */
    {"several_problems_first", STEPS("  - press: { gpio: 200 }\n  - delay: soon\n"), "4:20", "steps[0].press.gpio", "not '200'"},
    {"several_problems_second", STEPS("  - press: { gpio: 200 }\n  - delay: soon\n"), "5:12", "steps[1].delay", "not 'soon'"},
};

static bool has_problem(const struct diag_list *diags, const struct parse_case *c)
{
    for (size_t i = 0; i < diags->count; i++) {
        const struct diag *d = &diags->items[i];
        char where[32];
        snprintf(where, sizeof where, "%u:%u", d->line, d->col);
        if (strstr(d->message, c->needle) && (!c->path || (d->path && !strcmp(d->path, c->path))) &&
            (!c->where || !strcmp(where, c->where)) && d->file && !strcmp(d->file, "t.yaml"))
            return true;
    }
    return false;
}

static void every_case_of_the_parse_table(void **state)
{
    const char *only = getenv("SCENARIO_CASE");
    size_t failures = 0, run = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct parse_case *c = &cases[i];
        if (only && strcmp(only, c->name))
            continue;
        run++;
        struct diag_list diags = {0};
        struct scenario *s = NULL;
        int err = scenario_parse(c->yaml, strlen(c->yaml), "t.yaml", &diags, &s);
        bool ok = c->needle ? err == -EINVAL && !s && has_problem(&diags, c) : err == 0 && s && diags.count == 0;
        if (!ok) {
            failures++;
            fprintf(stderr, "case %s failed (rerun: SCENARIO_CASE=%s test_scenario); err=%d, problems:\n", c->name,
                    c->name, err);
            diag_print_all(&diags, stderr);
        }
        scenario_free(s);
        diag_list_free(&diags);
    }
    assert_true(run > 0);
    assert_int_equal(failures, 0);
}

/* ---- what a good scenario holds ------------------------------------------------------------------- */

static struct scenario *parse_ok(const char *yaml)
{
    struct diag_list diags = {0};
    struct scenario *s = NULL;
    int err = scenario_parse(yaml, strlen(yaml), "dir/t.yaml", &diags, &s);
    if (err)
        diag_print_all(&diags, stderr);
    assert_int_equal(err, 0);
    diag_list_free(&diags);
    return s;
}

static void fields_land_in_the_step(void **state)
{
    struct scenario *s = parse_ok("name: blinky presses\nversion: 1\ndevice: { board: mt3620_rdb, os-version: \"25.02\" }\n"
                                  "packages: [ out/App.imagepackage, /abs/B.imagepackage ]\nsteps:\n"
                                  "  - wait-log: { match: starting, as: S }\n"
                                  "  - wait-pin: { gpio: 8, toggles: 3, timeout: 2m }\n"
                                  "  - press: { gpio: 12 }\n"
                                  "  - expect-pin: { gpio: 8, value: 1 }\n"
                                  "  - write-serial: { uart: ISU0, text: \"hello\\n\" }\n"
                                  "  - wait-serial: { uart: ISU3, match: hello, timeout: 1.5s }\n"
                                  "  - set-adc: { controller: 1, channel: 2, volts: 1.25 }\n"
                                  "  - set-accel: { x: 0, y: -0.5, z: 1.0 }\n"
                                  "  - delay: 500ms\n"
                                  "  - expect-app: { app: Blinky, state: stopped, timeout: 3s }\n"
                                  "  - power-cut: {}\n"
                                  "  - restart-app: { app: Blinky }\n");
    assert_string_equal(s->name, "blinky presses");
    assert_string_equal(s->board, "mt3620_rdb");
    assert_string_equal(s->os_version, "25.02");
    assert_int_equal(s->package_count, 2);
    char *p0 = scenario_package_path(s, 0), *p1 = scenario_package_path(s, 1);
    assert_string_equal(p0, "dir/out/App.imagepackage");
    assert_string_equal(p1, "/abs/B.imagepackage");
    free(p0), free(p1);
    assert_int_equal(s->step_count, 12);
    const struct scenario_step *st = s->steps;
    assert_int_equal(st[0].kind, SCENARIO_WAIT_LOG);
    assert_string_equal(st[0].match, "starting");
    assert_string_equal(st[0].as, "S");
    assert_int_equal(st[0].timeout_ms, 5000); /* the default */
    assert_int_equal(st[0].line, 6);
    assert_int_equal(st[0].col, 5);
    assert_int_equal(st[1].gpio, 8);
    assert_int_equal(st[1].toggles, 3);
    assert_int_equal(st[1].value, -1);
    assert_int_equal(st[1].timeout_ms, 120000);
    assert_int_equal(st[2].ms, 300); /* press's default */
    assert_int_equal(st[3].value, 1);
    assert_string_equal(st[4].text, "hello\n");
    assert_string_equal(st[5].uart, "ISU3");
    assert_int_equal(st[5].timeout_ms, 1500);
    assert_int_equal(st[6].controller, 1);
    assert_int_equal(st[6].channel, 2);
    assert_true(st[6].volts == 1.25);
    assert_true(st[7].accel[1] == -0.5 && st[7].accel[2] == 1.0);
    assert_int_equal(st[8].ms, 500);
    assert_string_equal(st[9].state, "stopped");
    assert_int_equal(st[9].timeout_ms, 3000);
    assert_int_equal(st[10].kind, SCENARIO_POWER_CUT);
    assert_string_equal(st[11].app, "Blinky");
    for (int k = 0; k < SCENARIO_STEP_KINDS; k++)
        assert_int_equal(scenario_step_kind_from_name(scenario_step_name((enum scenario_step_kind)k)), k);
    scenario_free(s);
}

struct duration_case {
    const char *text;
    int err;
    unsigned ms;
};

static void durations(void **state)
{
    static const struct duration_case table[] = {
        {"500ms", 0, 500}, {"5s", 0, 5000}, {"2m", 0, 120000}, {"1.5s", 0, 1500}, {"0ms", 0, 0}, {"60m", 0, 3600000},
        {"61m", -EINVAL, 0}, {"5", -EINVAL, 0}, {"s", -EINVAL, 0}, {"5 s", -EINVAL, 0}, {"-1s", -EINVAL, 0},
        {"5sec", -EINVAL, 0}, {"", -EINVAL, 0}, {"1e3ms", 0, 1000}, {"nanms", -EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        unsigned ms = 12345;
        int err = scenario_parse_duration(table[i].text, &ms);
        if (err != table[i].err || (!err && ms != table[i].ms))
            fail_msg("duration '%s': err %d ms %u, expected err %d ms %u", table[i].text, err, ms, table[i].err,
                     table[i].ms);
    }
}

static void missing_packages_are_reported(void **state)
{
    char dir[] = "/tmp/scenario-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char here[128], yaml_path[160];
    snprintf(here, sizeof here, "%s/App.imagepackage", dir);
    FILE *f = fopen(here, "w");
    assert_non_null(f);
    fputs("x", f);
    fclose(f);
    snprintf(yaml_path, sizeof yaml_path, "%s/s.yaml", dir);
    const char *yaml = HEAD "packages: [ App.imagepackage, Missing.imagepackage ]\nsteps:\n  - delay: 1s\n";
    struct diag_list diags = {0};
    struct scenario *s = NULL;
    assert_int_equal(scenario_parse(yaml, strlen(yaml), yaml_path, &diags, &s), 0);
    assert_int_equal(scenario_check_packages(s, &diags), 1);
    assert_int_equal(diags.count, 1);
    assert_string_equal(diags.items[0].path, "packages[1]");
    assert_non_null(strstr(diags.items[0].message, "Missing.imagepackage"));
    scenario_free(s);
    diag_list_free(&diags);
    unlink(here);
    rmdir(dir);
}

/* ---- the runner core ---------------------------------------------------------------------------------- */

static void substitution(void **state)
{
    struct scenario_vars v = {0};
    assert_int_equal(scenario_vars_set(&v, "ID", "4.2"), 0);
    assert_int_equal(scenario_vars_set(&v, "N", "a(b)"), 0);
    assert_int_equal(scenario_vars_set(&v, "ID", "42"), 0); /* replaced */
    char why[128] = "";
    char *t = scenario_substitute("id=${ID} n=${N}!", &v, false, why, sizeof why);
    assert_string_equal(t, "id=42 n=a(b)!");
    free(t);
    t = scenario_substitute("n=${N}", &v, true, why, sizeof why);
    assert_string_equal(t, "n=a\\(b\\)");
    free(t);
    t = scenario_substitute("plain ${ text", &v, false, why, sizeof why);
    assert_string_equal(t, "plain ${ text");
    free(t);
    assert_null(scenario_substitute("x ${NOPE}", &v, false, why, sizeof why));
    assert_non_null(strstr(why, "${NOPE}"));
    scenario_vars_free(&v);
}

static void regex_search_and_capture(void **state)
{
    char why[128], *cap = NULL;
    size_t end = 0;
    assert_int_equal(scenario_regex_search("pressed ([0-9]+) times", "a\nButton pressed 12 times\nz", &end, &cap, why,
                                           sizeof why), 1);
    assert_string_equal(cap, "12");
    assert_int_equal(end, strlen("a\nButton pressed 12 times"));
    free(cap);
    cap = NULL;
    assert_int_equal(scenario_regex_search("t[a-z]+", "a test", NULL, &cap, why, sizeof why), 1);
    assert_string_equal(cap, "test"); /* no group: the whole match */
    free(cap);
    assert_int_equal(scenario_regex_search("^b", "a\nb", NULL, NULL, why, sizeof why), 1); /* per line */
    assert_int_equal(scenario_regex_search("a.b", "a\nb", NULL, NULL, why, sizeof why), 0);
    assert_int_equal(scenario_regex_search("(", "x", NULL, NULL, why, sizeof why), -EINVAL);
}

static void junit_escapes_everything(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    struct scenario_result r = {.name = "a <b> & \"c\"", .file = "x'y.yaml", .seconds = 1.5, .failed = true,
                                .message = "expected <1>\x01 saw \xff", .output = "log ]]> line\n\xc3\xa9"};
    assert_int_equal(scenario_write_junit(f, &r), 0);
    fclose(f);
    assert_non_null(strstr(buf, "name=\"a &lt;b&gt; &amp; &quot;c&quot;\""));
    assert_non_null(strstr(buf, "classname=\"x&apos;y.yaml\""));
    assert_non_null(strstr(buf, "failures=\"1\""));
    assert_non_null(strstr(buf, "<failure message=\"expected &lt;1&gt; saw ?\""));
    assert_non_null(strstr(buf, "log ]]&gt; line\n\xc3\xa9</system-out>"));
    assert_null(strchr(buf, '\x01'));
    free(buf);
}

static void describe_names_the_fields(void **state)
{
    struct scenario_step st = {.kind = SCENARIO_WAIT_PIN, .gpio = 8, .toggles = 3, .value = -1, .timeout_ms = 5000};
    char buf[128];
    scenario_describe_step(&st, buf, sizeof buf);
    assert_string_equal(buf, "wait-pin gpio=8 toggles=3 timeout=5s");
    st = (struct scenario_step){.kind = SCENARIO_DELAY, .ms = 500};
    scenario_describe_step(&st, buf, sizeof buf);
    assert_string_equal(buf, "delay 500ms");
}

/* The scenarios shipped with the examples parse. */
static void example_scenarios_parse(void **state)
{
    static const char *const files[] = {"examples/blinky/scenarios/presses.yaml",
                                        "examples/uart_echo/scenarios/echo.yaml",
                                        "examples/adc_voltmeter/scenarios/voltages.yaml",
                                        "examples/i2c_accelerometer/scenarios/tilt.yaml"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512], text[8192];
        snprintf(path, sizeof path, "%s/%s", OPENSPHERE_SOURCE_DIR, files[i]);
        FILE *f = fopen(path, "r");
        if (!f)
            fail_msg("cannot open %s", path);
        size_t n = fread(text, 1, sizeof text, f);
        fclose(f);
        struct diag_list diags = {0};
        struct scenario *s = NULL;
        int err = scenario_parse(text, n, path, &diags, &s);
        if (err)
            diag_print_all(&diags, stderr);
        assert_int_equal(err, 0);
        scenario_free(s);
        diag_list_free(&diags);
    }
}

/* docs/scenario.schema.json lists exactly the parser's steps (one source of truth, checked). */
static void schema_lists_every_step(void **state)
{
    FILE *f = fopen(OPENSPHERE_SOURCE_DIR "/docs/scenario.schema.json", "r");
    assert_non_null(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    struct diag_list diags = {0};
    struct json_value *schema = NULL;
    struct json_options options = {0};
    assert_int_equal(json_parse(text, n, &options, "scenario.schema.json", &diags, &schema), 0);
    const struct json_value *steps = json_object_get(json_object_get(json_object_get(schema, "properties"), "steps"), "items");
    const struct json_value *one_of = json_object_get(steps, "oneOf");
    assert_non_null(one_of);
    assert_int_equal(one_of->u.array.count, SCENARIO_STEP_KINDS);
    bool seen[SCENARIO_STEP_KINDS] = {false};
    for (size_t i = 0; i < one_of->u.array.count; i++) {
        const struct json_value *required = json_object_get(one_of->u.array.items[i], "required");
        assert_non_null(required);
        int kind = scenario_step_kind_from_name(required->u.array.items[0]->u.string.chars);
        if (kind < 0)
            fail_msg("the schema has a step '%s' the parser does not know", required->u.array.items[0]->u.string.chars);
        seen[kind] = true;
    }
    for (int k = 0; k < SCENARIO_STEP_KINDS; k++)
        if (!seen[k])
            fail_msg("the schema lacks the step '%s'", scenario_step_name((enum scenario_step_kind)k));
    json_free(schema);
    diag_list_free(&diags);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_case_of_the_parse_table),
        cmocka_unit_test(fields_land_in_the_step),
        cmocka_unit_test(durations),
        cmocka_unit_test(missing_packages_are_reported),
        cmocka_unit_test(substitution),
        cmocka_unit_test(regex_search_and_capture),
        cmocka_unit_test(junit_escapes_everything),
        cmocka_unit_test(describe_names_the_fields),
        cmocka_unit_test(example_scenarios_parse),
        cmocka_unit_test(schema_lists_every_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
