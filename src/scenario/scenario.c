/* SPDX-License-Identifier: MIT */
/* scenario.c — the scenario parser (see scenario.h, docs/scenarios.md): YAML (libyaml's document
 * API) to struct scenario. The steps and their fields are a table; every problem is reported
 * with FILE:LINE:COL, the field's path and a reason, and parsing goes on to find the others. */
#include "scenario.h"

#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "path.h"

/* ---- the rules ------------------------------------------------------------------------------- */

enum field_type { F_GPIO, F_BIT, F_COUNT, F_MS, F_UART, F_TEXT, F_REGEX, F_NAME, F_APP, F_STATE, F_DURATION,
                  F_INDEX, F_VOLTS, F_G };

/* Where a field's value goes in the step. */
enum field_slot { S_GPIO, S_VALUE, S_TOGGLES, S_MS, S_UART, S_TEXT, S_MATCH, S_AS, S_APP, S_STATE, S_TIMEOUT,
                  S_CONTROLLER, S_CHANNEL, S_VOLTS, S_X, S_Y, S_Z };

struct field_rule {
    const char *name;
    enum field_type type;
    enum field_slot slot;
    bool required;
};

#define MAX_FIELDS 5
struct step_rule {
    const char *name;
    struct field_rule fields[MAX_FIELDS]; /* ended by a NULL name */
    unsigned default_timeout_ms;
};

static const struct step_rule step_rules[SCENARIO_STEP_KINDS] = {
    [SCENARIO_WAIT_LOG] = {"wait-log", {{"match", F_REGEX, S_MATCH, true}, {"as", F_NAME, S_AS, false},
                                        {"timeout", F_DURATION, S_TIMEOUT, false}}, 5000},
    [SCENARIO_WAIT_PIN] = {"wait-pin", {{"gpio", F_GPIO, S_GPIO, true}, {"toggles", F_COUNT, S_TOGGLES, false},
                                        {"value", F_BIT, S_VALUE, false}, {"timeout", F_DURATION, S_TIMEOUT, false}}, 5000},
    [SCENARIO_PRESS] = {"press", {{"gpio", F_GPIO, S_GPIO, true}, {"ms", F_MS, S_MS, false}}, 0},
    [SCENARIO_EXPECT_PIN] = {"expect-pin", {{"gpio", F_GPIO, S_GPIO, true}, {"value", F_BIT, S_VALUE, true}}, 0},
    [SCENARIO_WRITE_SERIAL] = {"write-serial", {{"uart", F_UART, S_UART, true}, {"text", F_TEXT, S_TEXT, true}}, 0},
    [SCENARIO_WAIT_SERIAL] = {"wait-serial", {{"uart", F_UART, S_UART, true}, {"match", F_REGEX, S_MATCH, true},
                                              {"as", F_NAME, S_AS, false}, {"timeout", F_DURATION, S_TIMEOUT, false}}, 5000},
    [SCENARIO_SET_ADC] = {"set-adc", {{"controller", F_INDEX, S_CONTROLLER, false}, {"channel", F_INDEX, S_CHANNEL, true},
                                      {"volts", F_VOLTS, S_VOLTS, true}}, 0},
    [SCENARIO_SET_ACCEL] = {"set-accel", {{"x", F_G, S_X, true}, {"y", F_G, S_Y, true}, {"z", F_G, S_Z, true}}, 0},
    [SCENARIO_DELAY] = {"delay", {{NULL, F_DURATION, S_MS, false}}, 0}, /* a scalar duration, not a mapping */
    [SCENARIO_EXPECT_APP] = {"expect-app", {{"app", F_APP, S_APP, true}, {"state", F_STATE, S_STATE, true},
                                            {"timeout", F_DURATION, S_TIMEOUT, false}}, 0},
    [SCENARIO_POWER_CUT] = {"power-cut", {{NULL, F_TEXT, S_TEXT, false}}, 0},
    [SCENARIO_RESTART_APP] = {"restart-app", {{"app", F_APP, S_APP, true}}, 0},
};

const char *scenario_step_name(enum scenario_step_kind kind)
{
    return (unsigned)kind < SCENARIO_STEP_KINDS ? step_rules[kind].name : "?";
}

int scenario_step_kind_from_name(const char *name)
{
    for (int k = 0; k < SCENARIO_STEP_KINDS; k++)
        if (!strcmp(step_rules[k].name, name))
            return k;
    return -1;
}

int scenario_parse_duration(const char *text, unsigned *ms)
{
    if (!text || !(*text >= '0' && *text <= '9'))
        return -EINVAL;
    char *end = NULL;
    double v = strtod(text, &end);
    double scale = !strcmp(end, "ms") ? 1 : !strcmp(end, "s") ? 1000 : !strcmp(end, "m") ? 60000 : 0;
    if (scale == 0 || !isfinite(v) || v * scale > 3600000.0)
        return -EINVAL;
    *ms = (unsigned)llround(v * scale);
    return 0;
}

/* ---- the parse --------------------------------------------------------------------------------- */

struct parse {
    yaml_document_t *doc;
    const char *file;
    struct diag_list *diags;
    struct scenario *s;
    char **defined; /* capture names defined so far, in step order */
    size_t defined_count;
    bool oom;
};

static void problem(struct parse *p, const yaml_node_t *at, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void problem(struct parse *p, const yaml_node_t *at, const char *path, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    unsigned line = at ? (unsigned)at->start_mark.line + 1 : 0, col = at ? (unsigned)at->start_mark.column + 1 : 0;
    diag_add(p->diags, DIAG_ERROR, p->file, line, col, path, "%s", msg);
}

static yaml_node_t *node(struct parse *p, int id) { return yaml_document_get_node(p->doc, id); }

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A plain (unquoted) scalar: the only kind numbers come as. */
static bool plain(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* YAML's null: an empty plain scalar, "~" or "null". */
static bool is_null(const yaml_node_t *n)
{
    const char *v = scalar(n);
    return plain(n) && (!*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL"));
}

static const char *kind_text(const yaml_node_t *n)
{
    if (!n)
        return "nothing";
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a sequence";
    return "a scalar";
}

static char *copy_text(struct parse *p, const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        p->oom = true;
    return d;
}

static bool parse_long(const yaml_node_t *n, long lo, long hi, long *out)
{
    const char *v = scalar(n);
    char *end = NULL;
    if (!plain(n) || !*v)
        return false;
    long long x = strtoll(v, &end, 10);
    if (*end || x < lo || x > hi)
        return false;
    *out = (long)x;
    return true;
}

static bool parse_number(const yaml_node_t *n, double lo, double hi, double *out)
{
    const char *v = scalar(n);
    char *end = NULL;
    if (!plain(n) || !*v)
        return false;
    double x = strtod(v, &end);
    if (*end || !isfinite(x) || x < lo || x > hi)
        return false;
    *out = x;
    return true;
}

static bool valid_name(const char *v)
{
    if (!v || !*v || strlen(v) > 64 || !((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') || *v == '_'))
        return false;
    for (; *v; v++)
        if (!((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') || (*v >= '0' && *v <= '9') || *v == '_'))
            return false;
    return true;
}

static bool defined(const struct parse *p, const char *name, size_t len)
{
    for (size_t i = 0; i < p->defined_count; i++)
        if (strlen(p->defined[i]) == len && !strncmp(p->defined[i], name, len))
            return true;
    return false;
}

/* Every ${NAME} must name a capture of an earlier step. */
static bool check_references(struct parse *p, const yaml_node_t *at, const char *path, const char *v)
{
    bool ok = true;
    for (const char *s = strstr(v, "${"); s; s = strstr(s + 2, "${")) {
        const char *close = strchr(s + 2, '}');
        if (!close) {
            problem(p, at, path, "'${' without a closing '}' (a reference reads ${NAME})");
            return false;
        }
        if (!defined(p, s + 2, (size_t)(close - s - 2))) {
            problem(p, at, path, "${%.*s} is not captured by an earlier step (capture it with 'as: %.*s')",
                    (int)(close - s - 2), s + 2, (int)(close - s - 2), s + 2);
            ok = false;
        }
    }
    return ok;
}

static void *slot_ptr(struct scenario_step *st, enum field_slot slot)
{
    switch (slot) {
    case S_GPIO: return &st->gpio;
    case S_VALUE: return &st->value;
    case S_TOGGLES: return &st->toggles;
    case S_MS: return &st->ms;
    case S_UART: return &st->uart;
    case S_TEXT: return &st->text;
    case S_MATCH: return &st->match;
    case S_AS: return &st->as;
    case S_APP: return &st->app;
    case S_STATE: return &st->state;
    case S_TIMEOUT: return &st->timeout_ms;
    case S_CONTROLLER: return &st->controller;
    case S_CHANNEL: return &st->channel;
    case S_VOLTS: return &st->volts;
    case S_X: return &st->accel[0];
    case S_Y: return &st->accel[1];
    case S_Z: return &st->accel[2];
    }
    return NULL;
}

/* Checks one field's value and stores it. Returns true when it was good. */
static bool store_field(struct parse *p, struct scenario_step *st, const struct field_rule *f, const yaml_node_t *v,
                        const char *path)
{
    void *dst = slot_ptr(st, f->slot);
    const char *text = scalar(v);
    long n = 0;
    double x = 0;
    if (!text) {
        problem(p, v, path, "expected a scalar, not %s", kind_text(v));
        return false;
    }
    switch (f->type) {
    case F_GPIO:
    case F_BIT:
    case F_COUNT:
    case F_MS:
    case F_INDEX: {
        static const long lo[] = {[F_GPIO] = 0, [F_BIT] = 0, [F_COUNT] = 1, [F_MS] = 1, [F_INDEX] = 0};
        static const long hi[] = {[F_GPIO] = 127, [F_BIT] = 1, [F_COUNT] = 100000, [F_MS] = 60000, [F_INDEX] = 15};
        static const char *const what[] = {[F_GPIO] = "a GPIO number (0-127)", [F_BIT] = "0 or 1",
                                           [F_COUNT] = "a count from 1 to 100000", [F_MS] = "milliseconds from 1 to 60000",
                                           [F_INDEX] = "an index from 0 to 15"};
        if (!parse_long(v, lo[f->type], hi[f->type], &n)) {
            problem(p, v, path, "expected %s, not '%s'", what[f->type], text);
            return false;
        }
        if (f->slot == S_TOGGLES || f->slot == S_MS)
            *(unsigned *)dst = (unsigned)n;
        else
            *(int *)dst = (int)n;
        return true;
    }
    case F_VOLTS:
    case F_G:
        if (!parse_number(v, f->type == F_VOLTS ? 0 : -16, f->type == F_VOLTS ? 5 : 16, &x)) {
            problem(p, v, path, "expected %s, not '%s'", f->type == F_VOLTS ? "volts from 0 to 5" : "g from -16 to 16",
                    text);
            return false;
        }
        *(double *)dst = x;
        return true;
    case F_DURATION: {
        unsigned ms = 0;
        if (scenario_parse_duration(text, &ms)) {
            problem(p, v, path, "expected a duration such as 500ms, 5s or 2m (at most 1 hour), not '%s'", text);
            return false;
        }
        *(unsigned *)dst = ms;
        return true;
    }
    case F_UART:
        if (strlen(text) != 4 || strncmp(text, "ISU", 3) || text[3] < '0' || text[3] > '4') {
            problem(p, v, path, "expected a UART ISU0-ISU4, not '%s'", text);
            return false;
        }
        break;
    case F_NAME:
        if (!valid_name(text)) {
            problem(p, v, path, "expected a variable name (a letter or _, then letters, digits or _), not '%s'", text);
            return false;
        }
        break;
    case F_STATE:
        if (strcmp(text, "running") && strcmp(text, "stopped") && strcmp(text, "debugging") && strcmp(text, "notPresent")) {
            problem(p, v, path, "expected running, stopped, debugging or notPresent, not '%s'", text);
            return false;
        }
        break;
    case F_REGEX:
        if (!*text) {
            problem(p, v, path, "an empty regex matches anything; give the text to wait for");
            return false;
        }
        if (!check_references(p, v, path, text))
            return false;
        if (!strstr(text, "${")) { /* with references it is checked once they have values */
            regex_t re;
            char why[160];
            int err = scenario_regex_compile(&re, text, why, sizeof why);
            if (err == -ENOMEM)
                p->oom = true;
            if (err) {
                problem(p, v, path, "not a valid extended regex: %s", why);
                return false;
            }
            bool matches_nothing_at_all = regexec(&re, "", 0, NULL, 0) == 0;
            regfree(&re);
            if (matches_nothing_at_all) {
                problem(p, v, path, "/%s/ matches the empty text, so it would pass at once; say what to wait for", text);
                return false;
            }
        }
        break;
    case F_TEXT:
    case F_APP:
        if (f->type == F_APP && !*text) {
            problem(p, v, path, "expected an app's name or component ID, not an empty string");
            return false;
        }
        if (!check_references(p, v, path, text))
            return false;
        break;
    }
    char **s = dst;
    free(*s);
    *s = copy_text(p, text);
    return true;
}

static const struct field_rule *find_field(const struct step_rule *rule, const char *name)
{
    for (size_t i = 0; i < MAX_FIELDS && rule->fields[i].name; i++)
        if (!strcmp(rule->fields[i].name, name))
            return &rule->fields[i];
    return NULL;
}

static void field_list(const struct step_rule *rule, char *buf, size_t len)
{
    buf[0] = 0;
    for (size_t i = 0; i < MAX_FIELDS && rule->fields[i].name; i++)
        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "", rule->fields[i].name);
}

/* The fields of a step given as a mapping. */
static void parse_step_fields(struct parse *p, struct scenario_step *st, const struct step_rule *rule,
                              const yaml_node_t *map, const char *step_path)
{
    bool seen[MAX_FIELDS] = {false};
    char path[160], names[128];
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
        const yaml_node_t *k = node(p, pair->key), *v = node(p, pair->value);
        const char *key = scalar(k);
        if (!key) {
            problem(p, k, step_path, "a field name must be a scalar, not %s", kind_text(k));
            continue;
        }
        snprintf(path, sizeof path, "%s.%s", step_path, key);
        const struct field_rule *f = find_field(rule, key);
        if (!f) {
            field_list(rule, names, sizeof names);
            problem(p, k, path, "unknown field '%s' of %s (its fields: %s)", key, rule->name, names);
            continue;
        }
        size_t i = (size_t)(f - rule->fields);
        if (seen[i]) {
            problem(p, k, path, "'%s' is given twice", key);
            continue;
        }
        seen[i] = true;
        store_field(p, st, f, v, path);
    }
    for (size_t i = 0; i < MAX_FIELDS && rule->fields[i].name; i++)
        if (rule->fields[i].required && !seen[i])
            problem(p, map, step_path, "%s needs '%s'", rule->name, rule->fields[i].name);
    if (st->kind == SCENARIO_WAIT_PIN && seen[1] == seen[2])
        problem(p, map, step_path, "wait-pin needs one of 'toggles' (level changes to see) or 'value' (0 or 1)%s",
                seen[1] ? ", not both" : "");
}

static void parse_step(struct parse *p, struct scenario_step *st, const yaml_node_t *n, size_t index)
{
    char path[64];
    snprintf(path, sizeof path, "steps[%zu]", index);
    st->line = (unsigned)n->start_mark.line + 1;
    st->col = (unsigned)n->start_mark.column + 1;
    st->value = -1;
    st->kind = SCENARIO_STEP_KINDS;
    if (n->type != YAML_MAPPING_NODE || n->data.mapping.pairs.top - n->data.mapping.pairs.start != 1) {
        problem(p, n, path, "a step is a mapping with one key, the step's name (e.g. '- press: { gpio: 12 }'), not %s",
                n->type == YAML_MAPPING_NODE ? "a mapping with several keys" : kind_text(n));
        return;
    }
    const yaml_node_t *k = node(p, n->data.mapping.pairs.start->key), *v = node(p, n->data.mapping.pairs.start->value);
    const char *name = scalar(k);
    int kind = name ? scenario_step_kind_from_name(name) : -1;
    if (kind < 0) {
        problem(p, k, path, "unknown step '%s' (steps: wait-log, wait-pin, press, expect-pin, write-serial, "
                "wait-serial, set-adc, set-accel, delay, expect-app, power-cut, restart-app)", name ? name : kind_text(k));
        return;
    }
    st->kind = (enum scenario_step_kind)kind;
    const struct step_rule *rule = &step_rules[kind];
    st->timeout_ms = rule->default_timeout_ms;
    st->ms = kind == SCENARIO_PRESS ? 300 : 0;
    snprintf(path + strlen(path), sizeof path - strlen(path), ".%s", name);
    if (kind == SCENARIO_DELAY) {
        if (scenario_parse_duration(scalar(v), &st->ms))
            problem(p, v, path, "delay takes a duration such as 500ms, 5s or 2m (at most 1 hour), not %s%s%s",
                    scalar(v) ? "'" : "", scalar(v) ? scalar(v) : kind_text(v), scalar(v) ? "'" : "");
        return;
    }
    if (kind == SCENARIO_POWER_CUT) {
        if (!is_null(v) && !(v->type == YAML_MAPPING_NODE && v->data.mapping.pairs.top == v->data.mapping.pairs.start))
            problem(p, v, path, "power-cut takes no fields: write 'power-cut: {}'");
        return;
    }
    if (v->type != YAML_MAPPING_NODE) {
        char names[128];
        field_list(rule, names, sizeof names);
        problem(p, v, path, "%s takes a mapping of its fields (%s), not %s", name, names, kind_text(v));
        return;
    }
    parse_step_fields(p, st, rule, v, path);
    if (st->as) { /* later steps may use ${as} */
        char **grown = realloc(p->defined, (p->defined_count + 1) * sizeof *grown);
        if (!grown) {
            p->oom = true;
            return;
        }
        p->defined = grown;
        p->defined[p->defined_count++] = st->as;
    }
}

static void parse_steps(struct parse *p, const yaml_node_t *seq)
{
    if (seq->type != YAML_SEQUENCE_NODE) {
        problem(p, seq, "steps", "expected a sequence of steps, not %s", kind_text(seq));
        return;
    }
    size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    if (n == 0) {
        problem(p, seq, "steps", "a scenario needs at least one step");
        return;
    }
    p->s->steps = calloc(n, sizeof *p->s->steps);
    if (!p->s->steps) {
        p->oom = true;
        return;
    }
    p->s->step_count = n;
    for (size_t i = 0; i < n; i++)
        parse_step(p, &p->s->steps[i], node(p, seq->data.sequence.items.start[i]), i);
}

static void parse_packages(struct parse *p, const yaml_node_t *seq)
{
    if (seq->type != YAML_SEQUENCE_NODE) {
        problem(p, seq, "packages", "expected a sequence of image package paths, not %s", kind_text(seq));
        return;
    }
    size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    p->s->packages = calloc(n ? n : 1, sizeof *p->s->packages);
    p->s->package_lines = calloc(n ? n : 1, sizeof *p->s->package_lines);
    p->s->package_cols = calloc(n ? n : 1, sizeof *p->s->package_cols);
    if (!p->s->packages || !p->s->package_lines || !p->s->package_cols) {
        p->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *item = node(p, seq->data.sequence.items.start[i]);
        char path[32];
        snprintf(path, sizeof path, "packages[%zu]", i);
        if (!scalar(item) || !*scalar(item))
            problem(p, item, path, "expected an image package path, not %s", scalar(item) ? "an empty string" : kind_text(item));
        else {
            p->s->package_lines[p->s->package_count] = (unsigned)item->start_mark.line + 1;
            p->s->package_cols[p->s->package_count] = (unsigned)item->start_mark.column + 1;
            p->s->packages[p->s->package_count++] = copy_text(p, scalar(item));
        }
    }
}

static void parse_device(struct parse *p, const yaml_node_t *map)
{
    if (map->type != YAML_MAPPING_NODE) {
        problem(p, map, "device", "expected a mapping (board, os-version), not %s", kind_text(map));
        return;
    }
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
        const yaml_node_t *k = node(p, pair->key), *v = node(p, pair->value);
        const char *key = scalar(k) ? scalar(k) : "?";
        char path[64];
        snprintf(path, sizeof path, "device.%s", key);
        char **dst = !strcmp(key, "board") ? &p->s->board : !strcmp(key, "os-version") ? &p->s->os_version : NULL;
        if (!dst)
            problem(p, k, path, "unknown field '%s' of device (its fields: board, os-version)", key);
        else if (!scalar(v) || !*scalar(v))
            problem(p, v, path, "expected a string, not %s", scalar(v) ? "an empty one" : kind_text(v));
        else if (*dst)
            problem(p, k, path, "'%s' is given twice", key);
        else
            *dst = copy_text(p, scalar(v));
        if (dst == &p->s->board) {
            p->s->board_line = (unsigned)v->start_mark.line + 1;
            p->s->board_col = (unsigned)v->start_mark.column + 1;
        }
    }
}

static void parse_top(struct parse *p, const yaml_node_t *root)
{
    if (!root || root->type != YAML_MAPPING_NODE) {
        problem(p, root, NULL, "a scenario is a mapping (name, version, device, packages, steps), not %s",
                root ? kind_text(root) : "an empty document");
        return;
    }
    const yaml_node_t *name = NULL, *version = NULL, *steps = NULL, *device = NULL, *packages = NULL;
    for (yaml_node_pair_t *pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top; pair++) {
        const yaml_node_t *k = node(p, pair->key), *v = node(p, pair->value);
        const char *key = scalar(k) ? scalar(k) : "?";
        const yaml_node_t **slot = !strcmp(key, "name") ? &name : !strcmp(key, "version") ? &version
                                 : !strcmp(key, "steps") ? &steps : !strcmp(key, "device") ? &device
                                 : !strcmp(key, "packages") ? &packages : NULL;
        if (!slot)
            problem(p, k, key, "unknown field '%s' (a scenario has name, version, device, packages, steps)", key);
        else if (*slot)
            problem(p, k, key, "'%s' is given twice", key);
        else
            *slot = v;
    }
    long n = 0;
    if (!name)
        problem(p, root, "name", "a scenario needs a name");
    else if (!scalar(name) || !*scalar(name))
        problem(p, name, "name", "expected the scenario's name, not %s", scalar(name) ? "an empty string" : kind_text(name));
    else
        p->s->name = copy_text(p, scalar(name));
    if (!version)
        problem(p, root, "version", "a scenario needs 'version: 1' (the format's version)");
    else if (!parse_long(version, 1, 1, &n))
        problem(p, version, "version", "this is format version 1; '%s' is not supported",
                scalar(version) ? scalar(version) : kind_text(version));
    else
        p->s->version = 1;
    if (device)
        parse_device(p, device);
    if (packages)
        parse_packages(p, packages);
    if (!steps)
        problem(p, root, "steps", "a scenario needs steps");
    else
        parse_steps(p, steps);
}

void scenario_free(struct scenario *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->step_count; i++) {
        struct scenario_step *st = &s->steps[i];
        free(st->uart), free(st->text), free(st->match), free(st->as), free(st->app), free(st->state);
    }
    for (size_t i = 0; i < s->package_count; i++)
        free(s->packages[i]);
    free(s->packages), free(s->package_lines), free(s->package_cols), free(s->steps), free(s->file), free(s->name), free(s->board), free(s->os_version);
    free(s);
}

/* Reads the one document; reports a syntax error where libyaml found it. */
static bool load_document(struct parse *p, const char *text, size_t len)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        p->oom = true;
        return false;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    bool ok = yaml_parser_load(&parser, p->doc);
    if (!ok) {
        const yaml_mark_t *m = parser.context ? &parser.context_mark : &parser.problem_mark;
        if (parser.error == YAML_MEMORY_ERROR)
            p->oom = true;
        else
            diag_add(p->diags, DIAG_ERROR, p->file, (unsigned)parser.problem_mark.line + 1,
                     (unsigned)parser.problem_mark.column + 1, NULL, "not valid YAML: %s%s%s (line %u)",
                     parser.problem ? parser.problem : "syntax error", parser.context ? ", " : "",
                     parser.context ? parser.context : "", (unsigned)m->line + 1);
    } else {
        yaml_document_t extra; /* a second document is a mistake, not something to ignore */
        if (yaml_parser_load(&parser, &extra)) {
            if (yaml_document_get_root_node(&extra)) {
                diag_add(p->diags, DIAG_ERROR, p->file, (unsigned)extra.start_mark.line + 1,
                         (unsigned)extra.start_mark.column + 1, NULL, "a scenario file holds one YAML document");
                ok = false;
            }
            yaml_document_delete(&extra);
        }
        if (!ok)
            yaml_document_delete(p->doc);
    }
    yaml_parser_delete(&parser);
    return ok;
}

int scenario_parse(const char *text, size_t len, const char *file, struct diag_list *diags, struct scenario **out)
{
    *out = NULL;
    yaml_document_t doc;
    struct parse p = {.doc = &doc, .file = file ? file : "scenario", .diags = diags};
    size_t errors_before = diag_error_count(diags);
    if (!(p.s = calloc(1, sizeof *p.s)) || !(p.s->file = strdup(p.file))) {
        free(p.s);
        return -ENOMEM;
    }
    if (load_document(&p, text, len)) {
        parse_top(&p, yaml_document_get_root_node(&doc));
        yaml_document_delete(&doc);
    }
    free(p.defined);
    if (p.oom) {
        scenario_free(p.s);
        return -ENOMEM;
    }
    if (diag_error_count(diags) > errors_before) {
        scenario_free(p.s);
        return -EINVAL;
    }
    *out = p.s;
    return 0;
}

/* `rel` made absolute against the scenario file's folder. */
static char *beside_scenario(const struct scenario *s, const char *rel)
{
    if (rel[0] == '/')
        return strdup(rel);
    char *copy = strdup(s->file), *slash = copy ? strrchr(copy, '/') : NULL;
    if (!copy)
        return NULL;
    if (slash)
        *slash = 0;
    char *joined = slash ? path_join(copy, rel) : strdup(rel);
    free(copy);
    return joined;
}

char *scenario_package_path(const struct scenario *s, size_t i) { return beside_scenario(s, s->packages[i]); }

char *scenario_board_path(const struct scenario *s)
{
    return !s->board || !strcmp(s->board, "mt3620_rdb") ? NULL : beside_scenario(s, s->board);
}

/* device.board names the default board or a board file beside the scenario. */
static size_t check_board(const struct scenario *s, struct diag_list *diags)
{
    char *path = scenario_board_path(s);
    struct stat st;
    bool ok = !s->board || !strcmp(s->board, "mt3620_rdb") || (path && stat(path, &st) == 0 && S_ISREG(st.st_mode));
    if (!ok)
        diag_add(diags, DIAG_ERROR, s->file, s->board_line, s->board_col, "device.board", "'%s' is neither mt3620_rdb "
                 "(the default board) nor a board file at %s (docs/board.md)", s->board, path ? path : s->board);
    free(path);
    return ok ? 0 : 1;
}

size_t scenario_check_packages(const struct scenario *s, struct diag_list *diags)
{
    size_t problems = check_board(s, diags);
    for (size_t i = 0; i < s->package_count; i++) {
        char *path = scenario_package_path(s, i), where[32];
        struct stat st;
        snprintf(where, sizeof where, "packages[%zu]", i);
        if (!path || stat(path, &st) != 0 || !S_ISREG(st.st_mode) || access(path, R_OK) != 0) {
            diag_add(diags, DIAG_ERROR, s->file, s->package_lines[i], s->package_cols[i], where, "no image package at %s "
                     "(paths are relative to the scenario file; build the app first)", path ? path : s->packages[i]);
            problems++;
        }
        free(path);
    }
    return problems;
}
