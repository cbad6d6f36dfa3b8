/* SPDX-License-Identifier: MIT */
/*
 * scenario.h — scenario tests (docs/scenarios.md): a YAML script that says which packages to
 * sideload on a fresh simulated device and which steps to run against it.
 *
 * The parser is pure: scenario_parse() turns YAML text into a struct scenario without touching
 * the file system. Every problem goes to `diags` as FILE:LINE:COL with the path of the field
 * ("steps[2].wait-pin.gpio") and a reason, all of them at once; the scenario is only returned
 * when there was none. scenario_check_packages() is the one impure check (the packages exist).
 *
 * The runner core (scenario_run.c) holds what does not need a device: ${NAME} substitution,
 * regex matching with captures, the step's one-line description, and the JUnit XML writer.
 * The CLI (src/cli/cmd_test.c) drives the device.
 */
#ifndef OPENSPHERE_SCENARIO_H
#define OPENSPHERE_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <regex.h>
#include <stdio.h>

#include "diag.h"

enum scenario_step_kind {
    SCENARIO_WAIT_LOG,
    SCENARIO_WAIT_PIN,
    SCENARIO_PRESS,
    SCENARIO_EXPECT_PIN,
    SCENARIO_WRITE_SERIAL,
    SCENARIO_WAIT_SERIAL,
    SCENARIO_SET_ADC,
    SCENARIO_SET_ACCEL,
    SCENARIO_DELAY,
    SCENARIO_EXPECT_APP,
    SCENARIO_POWER_CUT,
    SCENARIO_RESTART_APP,
    SCENARIO_STEP_KINDS
};

/* One step. Only the fields of its kind are meaningful (docs/scenarios.md lists them); strings
 * are owned by the step and may hold ${NAME} references, already checked to name a capture of
 * an earlier step. */
struct scenario_step {
    enum scenario_step_kind kind;
    unsigned line, col;   /* where the step starts in the file (1-based) */
    int gpio;             /* wait-pin, press, expect-pin: 0-127 */
    int value;            /* wait-pin, expect-pin: 0 or 1; -1 when not given (wait-pin by toggles) */
    unsigned toggles;     /* wait-pin: level changes to see; 0 when waiting for a value */
    unsigned ms;          /* press: how long the line is held low; delay: how long to wait */
    char *uart;           /* write-serial, wait-serial: ISU0-ISU4 */
    char *text;           /* write-serial: the bytes to send */
    char *match;          /* wait-log, wait-serial: POSIX extended regex */
    char *as;             /* wait-log, wait-serial: capture name, or NULL */
    char *app;            /* expect-app, restart-app: the app's name or component ID */
    char *state;          /* expect-app: running, stopped, debugging or notPresent */
    unsigned timeout_ms;  /* the steps that wait (wait-*, expect-app); 0 for expect-app: check once */
    int controller;       /* set-adc */
    int channel;          /* set-adc */
    double volts;         /* set-adc: 0-5 */
    double accel[3];      /* set-accel: x, y, z in g */
};

struct scenario {
    char *file;            /* as given to scenario_parse */
    char *name;
    int version;           /* 1 */
    char *board;           /* device.board: NULL or "mt3620_rdb" (the default) or a board file path */
    char *os_version;      /* device.os-version, or NULL */
    char **packages;       /* as written (relative to the scenario file's folder) */
    size_t package_count;
    unsigned *package_lines; /* where each package is written (1-based line, then column) */
    unsigned *package_cols;
    unsigned board_line, board_col;
    struct scenario_step *steps;
    size_t step_count;
};

/* The stable names of the steps ("wait-log", ...), and back; -1 for an unknown name. */
const char *scenario_step_name(enum scenario_step_kind kind);
int scenario_step_kind_from_name(const char *name);

/* Parses a duration: a number with the unit ms, s or m ("500ms", "5s", "1.5s", "2m"), at most
 * one hour. Returns 0 and the milliseconds, or -EINVAL. */
int scenario_parse_duration(const char *text, unsigned *ms);

/* Parses a scenario. `file` names it in diagnostics (NULL: "scenario"). On success returns 0
 * and *out (free with scenario_free); else -EINVAL (problems in diags) or -ENOMEM, *out NULL. */
int scenario_parse(const char *text, size_t len, const char *file, struct diag_list *diags, struct scenario **out);
void scenario_free(struct scenario *s);

/* The path of package i: made absolute against the scenario file's folder (malloc'd, or NULL
 * when out of memory). */
char *scenario_package_path(const struct scenario *s, size_t i);
/* The board file device.board names, relative to the scenario file's folder (malloc'd); NULL for
 * the default board (no device.board, or "mt3620_rdb") or when out of memory. */
char *scenario_board_path(const struct scenario *s);
/* Reports each package that is not a readable file ("FILE: packages[i]: ...") and a device.board
 * that is neither "mt3620_rdb" nor a file. Returns the number of problems. */
size_t scenario_check_packages(const struct scenario *s, struct diag_list *diags);

/* ---- the runner core (scenario_run.c) ------------------------------------------------------ */

/* Captured variables: NAME -> value. A zero-initialised struct is empty. */
struct scenario_vars {
    char **names;
    char **values;
    size_t count;
};
/* Sets (or replaces) NAME. Returns 0 or -ENOMEM. */
int scenario_vars_set(struct scenario_vars *v, const char *name, const char *value);
const char *scenario_vars_get(const struct scenario_vars *v, const char *name);
void scenario_vars_free(struct scenario_vars *v);

/* Replaces every ${NAME} in `in` by its value; with `regex_escape` each value is escaped so it
 * matches itself literally. Returns a malloc'd string, or NULL for an unknown name (its name in
 * `why`) or when out of memory. */
char *scenario_substitute(const char *in, const struct scenario_vars *v, bool regex_escape, char *why, size_t why_len);

/* Compiles `re` as the steps use it: POSIX extended, per line (REG_NEWLINE: '.' and '[^x]' do not
 * cross a newline, '^' and '$' match at each line), with nested repetition counts bounded so a
 * scenario cannot make regcomp take gigabytes. Returns 0 (free with regfree), -EINVAL (reason
 * in why) or -ENOMEM. */
int scenario_regex_compile(regex_t *rx, const char *re, char *why, size_t why_len);

/* Searches `text` for the extended regex `re` (compiled by scenario_regex_compile). Returns 1 when it matches (with *match_end the
 * offset just after the match and *capture a malloc'd copy of group 1, or of the whole match
 * when the regex has no group; either may be NULL when unwanted), 0 when it does not, -EINVAL
 * for a bad regex (reason in why). */
int scenario_regex_search(const char *re, const char *text, size_t *match_end, char **capture, char *why,
                          size_t why_len);

/* One line describing a step: "wait-pin gpio=8 toggles=3 timeout=5s". */
void scenario_describe_step(const struct scenario_step *st, char *buf, size_t len);

/* The result of one run, for the JUnit writer. */
struct scenario_result {
    const char *name;      /* the scenario's name */
    const char *file;
    double seconds;
    bool failed;
    const char *message;   /* the failure: step, expected, seen (NULL when it passed) */
    const char *output;    /* the console trace and the log excerpt */
};
/* Writes a JUnit XML report (one testsuite, one testcase) with every text XML-escaped
 * (control characters other than tab and newline are dropped). Returns 0 or -errno. */
int scenario_write_junit(FILE *out, const struct scenario_result *r);
/* Appends `s` escaped for XML text and attributes. */
void scenario_xml_escape(FILE *out, const char *s);

#endif
