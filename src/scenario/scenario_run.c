/* SPDX-License-Identifier: MIT */
/* scenario_run.c — the runner's device-independent core (see scenario.h): captured variables and
 * their ${NAME} substitution, regex search with a capture, step descriptions, JUnit XML. */
#include "scenario.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

int scenario_vars_set(struct scenario_vars *v, const char *name, const char *value)
{
    for (size_t i = 0; i < v->count; i++)
        if (!strcmp(v->names[i], name)) {
            char *copy = strdup(value);
            if (!copy)
                return -ENOMEM;
            free(v->values[i]);
            v->values[i] = copy;
            return 0;
        }
    char **names = realloc(v->names, (v->count + 1) * sizeof *names);
    if (names)
        v->names = names;
    char **values = names ? realloc(v->values, (v->count + 1) * sizeof *values) : NULL;
    if (values)
        v->values = values;
    char *n = values ? strdup(name) : NULL, *val = n ? strdup(value) : NULL;
    if (!val) {
        free(n);
        return -ENOMEM;
    }
    v->names[v->count] = n;
    v->values[v->count++] = val;
    return 0;
}

const char *scenario_vars_get(const struct scenario_vars *v, const char *name)
{
    for (size_t i = 0; i < v->count; i++)
        if (!strcmp(v->names[i], name))
            return v->values[i];
    return NULL;
}

void scenario_vars_free(struct scenario_vars *v)
{
    for (size_t i = 0; i < v->count; i++)
        free(v->names[i]), free(v->values[i]);
    free(v->names), free(v->values);
    *v = (struct scenario_vars){0};
}

static int append_escaped(struct strbuf *sb, const char *value, bool regex_escape)
{
    int err = 0;
    for (const char *c = value; *c && !err; c++) {
        if (regex_escape && strchr("\\^$.|?*+()[]{}", *c))
            err = strbuf_putc(sb, '\\');
        if (!err)
            err = strbuf_putc(sb, *c);
    }
    return err;
}

char *scenario_substitute(const char *in, const struct scenario_vars *v, bool regex_escape, char *why, size_t why_len)
{
    struct strbuf sb = {0};
    int err = strbuf_puts(&sb, "");
    const char *s = in;
    while (!err && *s) {
        const char *ref = strstr(s, "${"), *close = ref ? strchr(ref + 2, '}') : NULL;
        if (!ref || !close) {
            err = strbuf_puts(&sb, s);
            break;
        }
        err = strbuf_append(&sb, s, (size_t)(ref - s));
        char name[80];
        snprintf(name, sizeof name, "%.*s", (int)(close - ref - 2), ref + 2);
        const char *value = scenario_vars_get(v, name);
        if (!value) {
            snprintf(why, why_len, "${%s} has no value (no earlier step captured it)", name);
            strbuf_free(&sb);
            return NULL;
        }
        if (!err)
            err = append_escaped(&sb, value, regex_escape);
        s = close + 1;
    }
    if (err) {
        snprintf(why, why_len, "out of memory");
        strbuf_free(&sb);
        return NULL;
    }
    return strbuf_detach(&sb);
}

/* glibc's regcomp copies a repeated subtree once per count ("x{3}" is xxx, "x+" is xx*), so
 * nested counts ("((a{100}){100}){100}", "((a+)+)+...") grow geometrically. A regex is refused
 * when the product of its copy factors (m+1 for {n,m}, 2 for +; as if all were nested) exceeds
 * COPY_LIMIT, or when it is longer than LENGTH_LIMIT: plenty for matching log lines, and at most
 * a few tens of megabytes to compile. */
enum { COPY_LIMIT = 1024, LENGTH_LIMIT = 1000 };

static bool copies_bounded(const char *re)
{
    unsigned long product = 1;
    bool in_bracket = false;
    if (strlen(re) > LENGTH_LIMIT)
        return false;
    for (const char *c = re; *c; c++) {
        unsigned long factor = 1;
        if (*c == '\\' && c[1]) {
            c++;
        } else if (in_bracket) {
            in_bracket = *c != ']';
        } else if (*c == '[') {
            in_bracket = true;
            if (c[1] == '^')
                c++;
            if (c[1] == ']')
                c++; /* a leading ']' is a member */
        } else if (*c == '+') {
            factor = 2;
        } else if (*c == '{' && c[1] >= '0' && c[1] <= '9') {
            char *end = NULL;
            unsigned long lo = strtoul(c + 1, &end, 10), hi = lo;
            if (*end == ',')
                hi = end[1] >= '0' && end[1] <= '9' ? strtoul(end + 1, &end, 10) : lo;
            factor = (hi > lo ? hi : lo) + 1;
        }
        if (factor > COPY_LIMIT || (product *= factor) > COPY_LIMIT)
            return false;
    }
    return true;
}

int scenario_regex_compile(regex_t *rx, const char *re, char *why, size_t why_len)
{
    if (!copies_bounded(re)) {
        snprintf(why, why_len, "longer than %d characters, or too many repetitions ('+' counts 2, {n,m} counts m+1; "
                 "their product must stay within %d)", LENGTH_LIMIT, COPY_LIMIT);
        return -EINVAL;
    }
    int err = regcomp(rx, re, REG_EXTENDED | REG_NEWLINE);
    if (err) {
        regerror(err, rx, why, why_len);
        return err == REG_ESPACE ? -ENOMEM : -EINVAL;
    }
    return 0;
}

int scenario_regex_search(const char *re, const char *text, size_t *match_end, char **capture, char *why,
                          size_t why_len)
{
    regex_t rx;
    int err = scenario_regex_compile(&rx, re, why, why_len);
    if (err)
        return err;
    regmatch_t m[2];
    int found = regexec(&rx, text, 2, m, 0) == 0;
    if (found && match_end)
        *match_end = (size_t)m[0].rm_eo;
    if (found && capture) {
        const regmatch_t *g = rx.re_nsub >= 1 && m[1].rm_so >= 0 ? &m[1] : &m[0];
        *capture = strndup(text + g->rm_so, (size_t)(g->rm_eo - g->rm_so));
        if (!*capture) {
            regfree(&rx);
            snprintf(why, why_len, "out of memory");
            return -ENOMEM;
        }
    }
    regfree(&rx);
    return found;
}

static void duration_text(unsigned ms, char *buf, size_t len)
{
    if (ms % 60000 == 0 && ms)
        snprintf(buf, len, "%um", ms / 60000);
    else if (ms % 1000 == 0 && ms)
        snprintf(buf, len, "%us", ms / 1000);
    else
        snprintf(buf, len, "%ums", ms);
}

void scenario_describe_step(const struct scenario_step *st, char *buf, size_t len)
{
    char t[24];
    duration_text(st->timeout_ms, t, sizeof t);
    const char *name = scenario_step_name(st->kind);
    switch (st->kind) {
    case SCENARIO_WAIT_LOG:
        snprintf(buf, len, "%s match=/%s/%s%s timeout=%s", name, st->match, st->as ? " as=" : "", st->as ? st->as : "", t);
        break;
    case SCENARIO_WAIT_PIN:
        if (st->toggles)
            snprintf(buf, len, "%s gpio=%d toggles=%u timeout=%s", name, st->gpio, st->toggles, t);
        else
            snprintf(buf, len, "%s gpio=%d value=%d timeout=%s", name, st->gpio, st->value, t);
        break;
    case SCENARIO_PRESS:
        snprintf(buf, len, "%s gpio=%d ms=%u", name, st->gpio, st->ms);
        break;
    case SCENARIO_EXPECT_PIN:
        snprintf(buf, len, "%s gpio=%d value=%d", name, st->gpio, st->value);
        break;
    case SCENARIO_WRITE_SERIAL:
        snprintf(buf, len, "%s uart=%s text=%zu bytes", name, st->uart, strlen(st->text));
        break;
    case SCENARIO_WAIT_SERIAL:
        snprintf(buf, len, "%s uart=%s match=/%s/%s%s timeout=%s", name, st->uart, st->match, st->as ? " as=" : "",
                 st->as ? st->as : "", t);
        break;
    case SCENARIO_SET_ADC:
        snprintf(buf, len, "%s controller=%d channel=%d volts=%g", name, st->controller, st->channel, st->volts);
        break;
    case SCENARIO_SET_ACCEL:
        snprintf(buf, len, "%s x=%g y=%g z=%g", name, st->accel[0], st->accel[1], st->accel[2]);
        break;
    case SCENARIO_DELAY:
        duration_text(st->ms, t, sizeof t);
        snprintf(buf, len, "%s %s", name, t);
        break;
    case SCENARIO_EXPECT_APP:
        snprintf(buf, len, "%s app=%s state=%s%s%s", name, st->app, st->state, st->timeout_ms ? " timeout=" : "",
                 st->timeout_ms ? t : "");
        break;
    case SCENARIO_RESTART_APP:
        snprintf(buf, len, "%s app=%s", name, st->app);
        break;
    case SCENARIO_POWER_CUT:
    case SCENARIO_STEP_KINDS:
        snprintf(buf, len, "%s", name);
        break;
    }
}

/* The length of the valid UTF-8 sequence at c (a byte >= 0x80), or 0. */
static size_t utf8_sequence(const unsigned char *c)
{
    size_t n = (*c & 0xE0) == 0xC0 ? 2 : (*c & 0xF0) == 0xE0 ? 3 : (*c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || (n == 2 && *c < 0xC2) || (n == 4 && *c > 0xF4))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((c[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

void scenario_xml_escape(FILE *out, const char *s)
{
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
        switch (*c) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default:
            /* XML 1.0 allows no control characters but tab, newline and carriage return, and the
             * document is UTF-8: a byte that starts no valid sequence becomes '?'. */
            if (*c >= 0x80) {
                size_t n = utf8_sequence(c);
                if (n == 0) {
                    fputc('?', out);
                } else {
                    fwrite(c, 1, n, out);
                    c += n - 1;
                }
            } else if (*c >= 0x20 || *c == '\t' || *c == '\n' || *c == '\r') {
                fputc(*c, out);
            }
        }
    }
}

int scenario_write_junit(FILE *out, const struct scenario_result *r)
{
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"sphere test\" tests=\"1\" "
                 "failures=\"%d\" errors=\"0\" time=\"%.3f\">\n<testcase classname=\"",
            r->failed ? 1 : 0, r->seconds);
    scenario_xml_escape(out, r->file);
    fputs("\" name=\"", out);
    scenario_xml_escape(out, r->name);
    fprintf(out, "\" time=\"%.3f\">\n", r->seconds);
    if (r->failed) {
        fputs("<failure message=\"", out);
        scenario_xml_escape(out, r->message);
        fputs("\" type=\"ScenarioStepFailed\">", out);
        scenario_xml_escape(out, r->message);
        fputs("</failure>\n", out);
    }
    fputs("<system-out>", out);
    scenario_xml_escape(out, r->output);
    fputs("</system-out>\n</testcase>\n</testsuite>\n</testsuites>\n", out);
    return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}
