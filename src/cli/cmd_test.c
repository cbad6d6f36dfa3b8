/* SPDX-License-Identifier: MIT */
/* cmd_test.c — `sphere test run SCENARIO.yaml [--junit FILE] [--keep-device] [--timeout-scale X]`
 * (docs/scenarios.md): loads a scenario (src/scenario/), creates a fresh simulated device,
 * enables development, sideloads the scenario's packages, runs the steps in order and deletes
 * the device (unless --keep-device).
 *
 * Exit codes: 0 every step passed; 1 a step (or the device's setup) failed — the trace shows what
 * was expected, what was seen and the last lines of the device log; 2 the scenario is malformed
 * or a package is missing (FILE:LINE:COL: steps[i].step.field: reason), reported before
 * anything runs, or a usage error.
 *
 * The device's life (create, start, enable-development, sideload, power-cut, delete) goes through
 * this same `sphere` program as a child process, so it behaves exactly as those commands do; the
 * steps that poll (log, pins, apps) and drive (GPIO, ADC, accelerometer) talk to the device's
 * REST socket directly; serial steps use the UART's host pseudo-terminal. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "devclient.h"
#include "hostio.h"
#include "scenario.h"
#include "strbuf.h"

enum { UARTS = 5, LOG_TAIL_LINES = 12, POLL_MS = 20 };

struct uart_tap {
    int fd;            /* the host PTY, raw; -1 when not open */
    struct strbuf rx;  /* everything the app sent since it was opened */
    size_t cursor;     /* wait-serial matches after here */
};

struct runner {
    const struct scenario *s;
    char device[64];
    char *sphere;                  /* this program */
    double scale;                  /* --timeout-scale */
    struct scenario_vars vars;
    unsigned long long log_since;  /* /sim/log?since= */
    struct strbuf log;             /* the device log so far, one line each */
    size_t log_cursor;             /* wait-log matches after here */
    struct uart_tap uart[UARTS];
    struct strbuf trace;           /* what was printed, for the JUnit report */
    char expected[512], seen[1024];
    char note[256];                /* shown after a step's "ok" (a capture) */
    struct devclient client;       /* the device's REST socket, opened at the first request */
    bool client_open;
};

/* ---- small helpers ---------------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* SIGINT or SIGTERM (a cancelled CI job): the current step fails as interrupted and the device is
 * still deleted. */
static volatile sig_atomic_t interrupted;
static void on_interrupt(int sig) { interrupted = sig; }

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (!interrupted && nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The wait is over: its deadline passed, or the run was interrupted. */
static bool expired(double deadline) { return interrupted || now_s() >= deadline; }

/* Prints to stdout and keeps it in the trace. */
static void say(struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct runner *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    va_start(ap, fmt);
    strbuf_vprintf(&r->trace, fmt, ap);
    va_end(ap);
    fflush(stdout);
}

static int expect(struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int expect(struct runner *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->expected, sizeof r->expected, fmt, ap);
    va_end(ap);
    return 0;
}

static int seen(struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int seen(struct runner *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->seen, sizeof r->seen, fmt, ap);
    va_end(ap);
    return -1;
}

static unsigned scaled(const struct runner *r, unsigned ms) { return (unsigned)lround(ms * r->scale); }

/* Runs `sphere ARGS...` (NULL-terminated) with its output in *out. Returns its exit status. */
static int run_sphere(struct runner *r, struct strbuf *out, const char *const *args)
{
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], 1), dup2(pipefd[1], 2);
        close(pipefd[0]), close(pipefd[1]);
        char *argv[16];
        size_t n = 0;
        argv[n++] = r->sphere;
        for (; args[n - 1] && n < 15; n++)
            argv[n] = (char *)args[n - 1];
        argv[n] = NULL;
        execv(r->sphere, argv);
        _exit(127);
    }
    close(pipefd[1]);
    char buf[4096];
    ssize_t got;
    while (pid > 0 && ((got = read(pipefd[0], buf, sizeof buf)) > 0 || (got < 0 && errno == EINTR)))
        if (got > 0)
            strbuf_append(out, buf, (size_t)got);
    close(pipefd[0]);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* `sphere ARGS...` that must succeed; otherwise *seen holds its output's end. */
static int sphere_ok(struct runner *r, const char *what, const char *const *args)
{
    struct strbuf out = {0};
    int rc = run_sphere(r, &out, args);
    const char *text = strbuf_str(&out);
    size_t len = strlen(text);
    if (rc != 0)
        seen(r, "%s failed (exit %d): %s", what, rc, text + (len > 600 ? len - 600 : 0));
    strbuf_free(&out);
    return rc ? -1 : 0;
}

/* One request to the device; a transport or HTTP error is the step's failure, with the device's
 * own words in *seen (nothing is printed: the trace says it). */
static int call(struct runner *r, const char *method, const char *path, const char *body, struct devresponse *resp)
{
    *resp = (struct devresponse){0};
    if (!r->client_open) {
        if (devclient_open(r->device, &r->client))
            return seen(r, "cannot reach simulated device '%s'", r->device);
        r->client_open = true;
    }
    if (devclient_request(&r->client, method, path, body ? "application/json" : NULL, body, body ? strlen(body) : 0,
                          NULL, 0, resp))
        return seen(r, "the device did not answer %s %s", method, path);
    if (resp->status == 200)
        return 0;
    const struct json_value *detail = json_object_get(resp->json, "detail");
    seen(r, "the device refused %s %s (HTTP %ld): %s", method, path, resp->status,
         detail && detail->type == JSON_STRING ? detail->u.string.chars : "no detail");
    devresponse_free(resp);
    return -1;
}

static long long json_int(const struct json_value *o, const char *key, long long fallback)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_NUMBER ? (v->u.number.is_integer ? v->u.number.integer : (long long)v->u.number.real)
                                       : fallback;
}

static const char *json_text(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_STRING ? v->u.string.chars : NULL;
}

/* ---- the device log ------------------------------------------------------------------------------ */

/* Appends the lines logged since the last poll. */
static int poll_log(struct runner *r)
{
    for (int page = 0; page < 50; page++) {
        char path[64];
        snprintf(path, sizeof path, "/sim/log?since=%llu", r->log_since);
        struct devresponse resp;
        if (call(r, "GET", path, NULL, &resp))
            return -1;
        const struct json_value *lines = json_object_get(resp.json, "lines");
        size_t n = lines && lines->type == JSON_ARRAY ? lines->u.array.count : 0;
        for (size_t i = 0; i < n; i++) {
            const struct json_value *l = lines->u.array.items[i];
            const char *text = json_text(l, "text"), *source = json_text(l, "source");
            if (source && !strcmp(source, "runtime"))
                strbuf_puts(&r->log, "[runtime] ");
            strbuf_puts(&r->log, text ? text : "");
            if (!text || !*text || text[strlen(text) - 1] != '\n')
                strbuf_putc(&r->log, '\n');
        }
        r->log_since = (unsigned long long)json_int(resp.json, "next", (long long)r->log_since);
        devresponse_free(&resp);
        if (n == 0)
            break;
    }
    return 0;
}

/* The last `count` lines of the log, each prefixed "    | ". */
static void log_tail(struct runner *r, struct strbuf *out, int count)
{
    const char *text = strbuf_str(&r->log), *start = text + strlen(text);
    for (int lines = 0; start > text && lines <= count;) {
        start--;
        if (*start == '\n' && start[1] && ++lines > count) {
            start++;
            break;
        }
    }
    while (*start) {
        const char *nl = strchr(start, '\n');
        size_t len = nl ? (size_t)(nl - start) : strlen(start);
        strbuf_printf(out, "    | %.*s\n", (int)len, start);
        start += len + (nl ? 1 : 0);
    }
}

/* ---- UARTs ------------------------------------------------------------------------------------------ */

static int uart_index(const char *isu) { return isu[3] - '0'; }

static void uart_close_all(struct runner *r)
{
    for (int i = 0; i < UARTS; i++)
        if (r->uart[i].fd >= 0) {
            close(r->uart[i].fd);
            r->uart[i].fd = -1;
        }
}

/* Opens the UART's host PTY (once), raw. */
static int uart_open(struct runner *r, const char *isu)
{
    struct uart_tap *t = &r->uart[uart_index(isu)];
    if (t->fd >= 0)
        return 0;
    char path[64];
    snprintf(path, sizeof path, "/sim/uart/%s", isu);
    struct devresponse resp;
    if (call(r, "GET", path, NULL, &resp))
        return -1;
    const char *pty = json_text(resp.json, "pty");
    t->fd = pty ? open(pty, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) : -1;
    if (t->fd < 0)
        seen(r, "cannot open %s's host PTY %s: %s", isu, pty ? pty : "(none)", strerror(errno));
    devresponse_free(&resp);
    struct termios tio;
    if (t->fd >= 0 && tcgetattr(t->fd, &tio) == 0) {
        cfmakeraw(&tio);
        tcsetattr(t->fd, TCSANOW, &tio);
    }
    return t->fd >= 0 ? 0 : -1;
}

static void uart_drain(struct uart_tap *t)
{
    char buf[1024];
    ssize_t n;
    while (t->fd >= 0 && (n = read(t->fd, buf, sizeof buf)) > 0)
        strbuf_append(&t->rx, buf, (size_t)n);
}

/* Opens every UART the steps use, so nothing the app sends is missed. */
static void uart_open_used(struct runner *r)
{
    for (size_t i = 0; i < r->s->step_count; i++)
        if (r->s->steps[i].uart && r->uart[uart_index(r->s->steps[i].uart)].fd < 0 && uart_open(r, r->s->steps[i].uart))
            r->seen[0] = 0; /* reported again by the step that needs it */
}

/* ---- steps ------------------------------------------------------------------------------------------- */

/* Looks for `re` in `text + *cursor`; on a match moves the cursor past it and records a capture. */
static int match_text(struct runner *r, const struct scenario_step *st, const char *re, const char *text,
                      size_t *cursor, bool *found)
{
    char why[256];
    size_t end = 0;
    char *capture = NULL;
    int m = scenario_regex_search(re, text + *cursor, &end, st->as ? &capture : NULL, why, sizeof why);
    if (m < 0)
        return seen(r, "the regex cannot be used: %s", why);
    *found = m == 1;
    if (*found) {
        *cursor += end;
        if (capture && scenario_vars_set(&r->vars, st->as, capture))
            m = seen(r, "out of memory");
        if (capture && m >= 0)
            snprintf(r->note, sizeof r->note, "; %s = \"%.200s\"", st->as, capture);
        free(capture);
    }
    return m < 0 ? -1 : 0;
}

/* The step's regex with its ${NAME}s replaced (escaped to match literally); NULL after seen(). */
static char *step_regex(struct runner *r, const struct scenario_step *st)
{
    char why[256];
    char *re = scenario_substitute(st->match, &r->vars, true, why, sizeof why);
    if (!re)
        seen(r, "%s", why);
    return re;
}

static int step_wait_log(struct runner *r, const struct scenario_step *st)
{
    char *re = step_regex(r, st);
    expect(r, "a device log line matching /%s/ within %.1f s", re ? re : st->match, scaled(r, st->timeout_ms) / 1000.0);
    double deadline = now_s() + scaled(r, st->timeout_ms) / 1000.0;
    int rc = re ? 0 : -1;
    for (bool found = false; !rc && !found;) {
        rc = poll_log(r);
        if (!rc)
            rc = match_text(r, st, re, strbuf_str(&r->log), &r->log_cursor, &found);
        if (!rc && !found && expired(deadline))
            rc = seen(r, "no such line (the last lines are below)");
        if (!rc && !found)
            sleep_ms(50);
    }
    free(re);
    return rc;
}

static int step_wait_serial(struct runner *r, const struct scenario_step *st)
{
    char *re = step_regex(r, st);
    expect(r, "%s output matching /%s/ within %.1f s", st->uart, re ? re : st->match, scaled(r, st->timeout_ms) / 1000.0);
    int rc = re ? uart_open(r, st->uart) : -1;
    struct uart_tap *t = &r->uart[uart_index(st->uart)];
    double deadline = now_s() + scaled(r, st->timeout_ms) / 1000.0;
    for (bool found = false; !rc && !found;) {
        uart_drain(t);
        rc = match_text(r, st, re, strbuf_str(&t->rx), &t->cursor, &found);
        if (!rc && !found && expired(deadline)) {
            const char *rest = strbuf_str(&t->rx) + t->cursor;
            size_t len = strlen(rest);
            rc = seen(r, "%zu bytes since the last match%s\"%.*s\"", len, len > 200 ? ", ending " : ": ",
                      (int)(len > 200 ? 200 : len), rest + (len > 200 ? len - 200 : 0));
        }
        if (!rc && !found)
            sleep_ms(POLL_MS);
    }
    free(re);
    return rc;
}

static int step_write_serial(struct runner *r, const struct scenario_step *st)
{
    char why[256];
    char *text = scenario_substitute(st->text, &r->vars, false, why, sizeof why);
    expect(r, "%zu bytes written to %s", text ? strlen(text) : 0, st->uart);
    if (!text)
        return seen(r, "%s", why);
    int rc = uart_open(r, st->uart);
    size_t len = strlen(text), done = 0;
    double deadline = now_s() + 2.0;
    while (!rc && done < len) {
        ssize_t n = write(r->uart[uart_index(st->uart)].fd, text + done, len - done);
        if (n > 0)
            done += (size_t)n;
        else if (n < 0 && errno != EAGAIN && errno != EINTR)
            rc = seen(r, "writing to %s failed: %s", st->uart, strerror(errno));
        else if (now_s() > deadline)
            rc = seen(r, "%s took only %zu of %zu bytes in 2 s", st->uart, done, len);
        else
            sleep_ms(5);
    }
    free(text);
    return rc;
}

/* GET /sim/gpio/N: its level and change counter. */
static int read_pin(struct runner *r, int gpio, int *value, long long *changes)
{
    char path[48];
    snprintf(path, sizeof path, "/sim/gpio/%d", gpio);
    struct devresponse resp;
    if (call(r, "GET", path, NULL, &resp))
        return -1;
    *value = (int)json_int(resp.json, "value", -1);
    *changes = json_int(resp.json, "changes", 0);
    devresponse_free(&resp);
    return 0;
}

static int step_wait_pin(struct runner *r, const struct scenario_step *st)
{
    double limit = scaled(r, st->timeout_ms) / 1000.0, deadline = now_s() + limit;
    if (st->toggles)
        expect(r, "%u level changes of GPIO %d within %.1f s", st->toggles, st->gpio, limit);
    else
        expect(r, "GPIO %d at %d within %.1f s", st->gpio, st->value, limit);
    int value = -1;
    long long first = 0, changes = 0;
    if (read_pin(r, st->gpio, &value, &first))
        return -1;
    for (;;) {
        if (st->toggles ? changes - first >= (long long)st->toggles : value == st->value)
            return 0;
        if (expired(deadline))
            return st->toggles ? seen(r, "%lld level changes (now at %d)", changes - first, value)
                               : seen(r, "GPIO %d stayed at %d", st->gpio, value);
        sleep_ms(POLL_MS);
        if (read_pin(r, st->gpio, &value, &changes))
            return -1;
    }
}

static int step_expect_pin(struct runner *r, const struct scenario_step *st)
{
    expect(r, "GPIO %d at %d", st->gpio, st->value);
    int value = -1;
    long long changes = 0;
    if (read_pin(r, st->gpio, &value, &changes))
        return -1;
    return value == st->value ? 0 : seen(r, "GPIO %d at %d", st->gpio, value);
}

static int drive_pin(struct runner *r, int gpio, int value)
{
    char path[48], body[32];
    snprintf(path, sizeof path, "/sim/gpio/%d", gpio);
    snprintf(body, sizeof body, "{\"value\":%d}", value);
    struct devresponse resp;
    if (call(r, "PUT", path, body, &resp))
        return -1;
    devresponse_free(&resp);
    return 0;
}

static int step_press(struct runner *r, const struct scenario_step *st)
{
    expect(r, "GPIO %d held low for %u ms, then released", st->gpio, st->ms);
    if (drive_pin(r, st->gpio, 0))
        return -1;
    sleep_ms(st->ms);
    return drive_pin(r, st->gpio, 1);
}

static int put_json(struct runner *r, const char *path, const char *body)
{
    struct devresponse resp;
    if (call(r, "PUT", path, body, &resp))
        return -1;
    devresponse_free(&resp);
    return 0;
}

static int step_set_adc(struct runner *r, const struct scenario_step *st)
{
    char path[64], body[64];
    expect(r, "ADC %d channel %d set to %g V", st->controller, st->channel, st->volts);
    snprintf(path, sizeof path, "/sim/adc/%d/%d", st->controller, st->channel);
    snprintf(body, sizeof body, "{\"volts\":%.6f}", st->volts);
    return put_json(r, path, body);
}

static int step_set_accel(struct runner *r, const struct scenario_step *st)
{
    char body[128];
    expect(r, "acceleration set to (%g, %g, %g) g", st->accel[0], st->accel[1], st->accel[2]);
    snprintf(body, sizeof body, "{\"x\":%.6f,\"y\":%.6f,\"z\":%.6f}", st->accel[0], st->accel[1], st->accel[2]);
    return put_json(r, "/sim/accel", body);
}

/* The component ID of the installed app named `app` (its name or its ID), or NULL; its name in
 * *name when wanted (malloc'd). */
static char *find_app(struct runner *r, const char *app, int *rc, char **name)
{
    struct devresponse resp;
    *rc = call(r, "GET", "/images", NULL, &resp);
    if (*rc)
        return NULL;
    const struct json_value *list = json_object_get(resp.json, "components");
    char *found = NULL;
    for (size_t i = 0; !found && list && list->type == JSON_ARRAY && i < list->u.array.count; i++) {
        const char *n = json_text(list->u.array.items[i], "name"), *uid = json_text(list->u.array.items[i], "uid");
        if (uid && ((n && !strcmp(n, app)) || !strcasecmp(uid, app))) {
            found = strdup(uid);
            if (name)
                *name = strdup(n ? n : "");
        }
    }
    devresponse_free(&resp);
    return found;
}

static int app_state(struct runner *r, const char *app, char *state, size_t len)
{
    int rc = 0;
    char *cid = find_app(r, app, &rc, NULL);
    if (rc)
        return -1;
    snprintf(state, len, "notPresent");
    if (!cid)
        return 0;
    char path[96];
    snprintf(path, sizeof path, "/app/status/%s", cid);
    free(cid);
    struct devresponse resp;
    if (call(r, "GET", path, NULL, &resp))
        return -1;
    const char *s = json_text(resp.json, "state");
    snprintf(state, len, "%s", s ? s : "?");
    devresponse_free(&resp);
    return 0;
}

static int step_expect_app(struct runner *r, const struct scenario_step *st)
{
    char why[256], state[32] = "";
    char *app = scenario_substitute(st->app, &r->vars, false, why, sizeof why);
    expect(r, "app '%s' %s%s", app ? app : st->app, st->state, st->timeout_ms ? " (waiting for it)" : "");
    if (!app)
        return seen(r, "%s", why);
    double deadline = now_s() + scaled(r, st->timeout_ms) / 1000.0;
    int rc;
    while ((rc = app_state(r, app, state, sizeof state)) == 0 && strcmp(state, st->state) && !expired(deadline))
        sleep_ms(50);
    if (!rc && strcmp(state, st->state))
        rc = seen(r, "app '%s' %s", app, state);
    free(app);
    return rc;
}

/* After a stop trigger: waits until the runtime logs that the app's process ended ("[runtime]
 * NAME exited with code N" or "... was terminated by signal N"), looking from log offset `from`.
 * The device applies triggers asynchronously: a start sent before the old process is gone would
 * find the app still running and change nothing. */
static int wait_app_exit(struct runner *r, const char *name, size_t from)
{
    struct scenario_vars v = {0};
    char why[256], *re = NULL;
    if (!scenario_vars_set(&v, "N", name))
        re = scenario_substitute("^\\[runtime\\] ${N} (exited with code|was terminated by signal)", &v, true, why,
                                 sizeof why);
    scenario_vars_free(&v);
    if (!re)
        return seen(r, "out of memory");
    double deadline = now_s() + scaled(r, 10000) / 1000.0;
    int rc = 0, m = 0;
    while (!rc && !(m = scenario_regex_search(re, strbuf_str(&r->log) + from, NULL, NULL, why, sizeof why))) {
        if (expired(deadline))
            rc = seen(r, "app '%s' did not exit within %.1f s of its stop trigger", name, scaled(r, 10000) / 1000.0);
        else if (!(rc = poll_log(r)))
            sleep_ms(POLL_MS);
    }
    free(re);
    return rc ? rc : m < 0 ? seen(r, "%s", why) : 0;
}

static int step_restart_app(struct runner *r, const struct scenario_step *st)
{
    char why[256], state[32] = "";
    char *app = scenario_substitute(st->app, &r->vars, false, why, sizeof why);
    expect(r, "app '%s' stopped and started again", app ? app : st->app);
    if (!app)
        return seen(r, "%s", why);
    int rc = 0;
    char *name = NULL, *cid = find_app(r, app, &rc, &name), path[96];
    if (!rc && !cid)
        rc = seen(r, "no app '%s' is installed", app);
    snprintf(path, sizeof path, "/app/status/%s", cid ? cid : "");
    if (!rc)
        rc = app_state(r, app, state, sizeof state);
    if (!rc)
        rc = poll_log(r);
    size_t from = r->log.len;
    struct devresponse resp;
    if (!rc && !(rc = call(r, "PATCH", path, "{\"trigger\":\"stop\"}", &resp)))
        devresponse_free(&resp);
    if (!rc && strcmp(state, "stopped"))
        rc = wait_app_exit(r, name ? name : app, from);
    if (!rc && !(rc = call(r, "PATCH", path, "{\"trigger\":\"start\"}", &resp)))
        devresponse_free(&resp);
    free(cid), free(name), free(app);
    return rc;
}

static int step_power_cut(struct runner *r)
{
    expect(r, "the device loses power and boots again");
    if (poll_log(r)) /* keep what was logged before the cut */
        return -1;
    uart_close_all(r);
    const char *cut[] = {"sim", "power-cut", "-d", r->device, NULL}, *start[] = {"sim", "start", r->device, NULL};
    if (sphere_ok(r, "sphere sim power-cut", cut) || sphere_ok(r, "sphere sim start", start))
        return -1;
    r->log_since = 0; /* a new boot, a new log */
    for (int i = 0; i < UARTS; i++)
        r->uart[i].cursor = r->uart[i].rx.len;
    uart_open_used(r);
    return 0;
}

static int dispatch(struct runner *r, const struct scenario_step *st)
{
    switch (st->kind) {
    case SCENARIO_WAIT_LOG: return step_wait_log(r, st);
    case SCENARIO_WAIT_PIN: return step_wait_pin(r, st);
    case SCENARIO_PRESS: return step_press(r, st);
    case SCENARIO_EXPECT_PIN: return step_expect_pin(r, st);
    case SCENARIO_WRITE_SERIAL: return step_write_serial(r, st);
    case SCENARIO_WAIT_SERIAL: return step_wait_serial(r, st);
    case SCENARIO_SET_ADC: return step_set_adc(r, st);
    case SCENARIO_SET_ACCEL: return step_set_accel(r, st);
    case SCENARIO_DELAY: sleep_ms(st->ms); return 0;
    case SCENARIO_EXPECT_APP: return step_expect_app(r, st);
    case SCENARIO_POWER_CUT: return step_power_cut(r);
    case SCENARIO_RESTART_APP: return step_restart_app(r, st);
    case SCENARIO_STEP_KINDS: break;
    }
    return seen(r, "unknown step");
}

static int run_step(struct runner *r, const struct scenario_step *st)
{
    r->expected[0] = r->seen[0] = r->note[0] = 0;
    for (int i = 0; i < UARTS; i++) /* keep the PTYs' buffers empty between serial steps */
        uart_drain(&r->uart[i]);
    int rc = dispatch(r, st);
    return interrupted ? seen(r, "interrupted by signal %d before the step was done", (int)interrupted) : rc;
}

/* ---- the run ------------------------------------------------------------------------------------------ */

/* Creates and starts the device, enables development, sideloads the packages. */
static int setup(struct runner *r)
{
    const struct scenario *s = r->s;
    char *board = scenario_board_path(s);
    const char *create[12] = {"sim", "create", r->device, "-o", "json"};
    size_t n = 5;
    if (s->os_version)
        create[n++] = "--os-version", create[n++] = s->os_version;
    if (board)
        create[n++] = "--board", create[n++] = board;
    create[n] = NULL;
    const char *start[] = {"sim", "start", r->device, NULL};
    const char *dev[] = {"device", "enable-development", "-d", r->device, NULL};
    int rc = sphere_ok(r, "sphere sim create", create);
    free(board);
    if (!rc)
        rc = sphere_ok(r, "sphere sim start", start);
    if (!rc)
        rc = sphere_ok(r, "sphere device enable-development", dev);
    if (!rc)
        uart_open_used(r);
    for (size_t i = 0; !rc && i < s->package_count; i++) {
        char *pkg = scenario_package_path(s, i);
        const char *deploy[] = {"device", "sideload", "deploy", "-d", r->device, "-p", pkg ? pkg : "", NULL};
        rc = sphere_ok(r, "sphere device sideload deploy", deploy);
        free(pkg);
    }
    return rc;
}

static void teardown(struct runner *r, bool keep)
{
    uart_close_all(r);
    if (r->client_open)
        devclient_close(&r->client);
    r->client_open = false;
    if (keep) {
        say(r, "Kept simulated device '%s' (delete it with 'sphere sim delete %s').\n", r->device, r->device);
        return;
    }
    struct strbuf out = {0};
    const char *del[] = {"sim", "delete", r->device, NULL};
    if (run_sphere(r, &out, del) != 0)
        fprintf(stderr, "warning: could not delete simulated device '%s': %s", r->device, strbuf_str(&out));
    strbuf_free(&out);
}

/* Runs the steps; on a failure fills `message` and returns the 1-based index of the step (or
 * 0 for the setup); returns -1 when every step passed. */
static long run_all(struct runner *r, struct strbuf *message)
{
    const struct scenario *s = r->s;
    double t0 = now_s();
    say(r, "  setup: create '%s', enable development, sideload %zu package%s ... ", r->device, s->package_count,
        s->package_count == 1 ? "" : "s");
    if (setup(r)) {
        say(r, "FAIL (%.2f s)\n    %s\n", now_s() - t0, r->seen);
        strbuf_printf(message, "setup failed: %s", r->seen);
        return 0;
    }
    say(r, "ok (%.2f s)\n", now_s() - t0);
    for (size_t i = 0; i < s->step_count; i++) {
        const struct scenario_step *st = &s->steps[i];
        char what[600];
        scenario_describe_step(st, what, sizeof what);
        say(r, "  [%zu/%zu] %s ... ", i + 1, s->step_count, what);
        double t = now_s();
        if (run_step(r, st) == 0) {
            say(r, "ok (%.2f s)%s\n", now_s() - t, r->note);
            continue;
        }
        say(r, "FAIL (%.2f s)\n    expected: %s\n    seen:     %s\n", now_s() - t, r->expected, r->seen);
        strbuf_printf(message, "step %zu (%s, line %u) failed: expected %s; seen %s", i + 1, what, st->line,
                      r->expected, r->seen);
        return (long)i + 1;
    }
    return -1;
}

static int write_junit(const char *path, const struct scenario_result *res)
{
    FILE *f = fopen(path, "w");
    int err = f ? scenario_write_junit(f, res) : -errno;
    if (f && fclose(f) != 0 && !err)
        err = -EIO;
    return err ? cli_error("cannot write the JUnit report %s: %s", path, strerror(-err)) : CLI_EXIT_OK;
}

/* Loads and checks everything before anything runs. Returns CLI_EXIT_OK or CLI_EXIT_USAGE. */
static int load(const char *file, struct scenario **out)
{
    char *text = NULL;
    size_t len = 0;
    int err = hostio_read_file(file, &text, &len);
    if (err) {
        free(text);
        fprintf(stderr, "error: cannot read the scenario %s: %s\n", file, strerror(-err));
        return CLI_EXIT_USAGE;
    }
    struct diag_list diags = {0};
    err = scenario_parse(text, len, file, &diags, out);
    free(text);
    if (!err && scenario_check_packages(*out, &diags)) {
        scenario_free(*out);
        *out = NULL;
        err = -EINVAL;
    }
    if (err == -ENOMEM)
        fprintf(stderr, "error: out of memory reading %s\n", file);
    if (err) {
        diag_sort(&diags);
        diag_print_all(&diags, stderr);
        fprintf(stderr, "error: %s: %zu problem%s; nothing was run\n", file, diag_error_count(&diags),
                diag_error_count(&diags) == 1 ? "" : "s");
    }
    diag_list_free(&diags);
    return err ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}

static int run_test_run(const struct cli_invocation *inv)
{
    const char *file = cli_arg(inv, "SCENARIO"), *junit = cli_value(inv, "junit"), *scale_text = cli_value(inv, "timeout-scale");
    double scale = 1;
    char *end = NULL;
    if (scale_text && ((scale = strtod(scale_text, &end)), !*scale_text || *end || !(scale >= 0.1 && scale <= 100)))
        return cli_usage_error(inv, "--timeout-scale must be a number from 0.1 to 100, not '%s'", scale_text);
    struct scenario *s = NULL;
    int rc = load(file, &s);
    if (rc)
        return rc;
    struct runner r = {.s = s, .scale = scale, .sphere = cli_sibling_exe("sphere")};
    for (int i = 0; i < UARTS; i++)
        r.uart[i].fd = -1;
    snprintf(r.device, sizeof r.device, "test-%ld-%ld", (long)getpid(), (long)time(NULL) % 100000);
    if (!r.sphere) {
        scenario_free(s);
        return cli_error("cannot find the sphere program itself (/proc/self/exe)");
    }
    struct sigaction act = {.sa_handler = on_interrupt};
    sigaction(SIGINT, &act, NULL);
    sigaction(SIGTERM, &act, NULL);
    double t0 = now_s();
    say(&r, "Scenario '%s' (%s), %zu step%s%s\n", s->name, file, s->step_count, s->step_count == 1 ? "" : "s",
        scale != 1 ? ", timeouts scaled" : "");
    struct strbuf message = {0};
    long failed_at = run_all(&r, &message);
    if (failed_at >= 0) {
        poll_log(&r);
        struct strbuf tail = {0};
        log_tail(&r, &tail, LOG_TAIL_LINES);
        say(&r, "  last lines of the device log:\n%s", tail.len ? strbuf_str(&tail) : "    (empty)\n");
        strbuf_free(&tail);
    }
    teardown(&r, cli_flag(inv, "keep-device"));
    double seconds = now_s() - t0;
    if (failed_at > 0)
        say(&r, "FAILED: '%s' at step %ld of %zu (%.2f s)\n", s->name, failed_at, s->step_count, seconds);
    else if (failed_at == 0)
        say(&r, "FAILED: '%s' before its first step (%.2f s)\n", s->name, seconds);
    else
        say(&r, "PASSED: '%s', %zu step%s (%.2f s)\n", s->name, s->step_count, s->step_count == 1 ? "" : "s", seconds);
    rc = failed_at >= 0 ? CLI_EXIT_FAILED : CLI_EXIT_OK;
    if (junit) {
        struct scenario_result res = {.name = s->name, .file = file, .seconds = seconds, .failed = failed_at >= 0,
                                      .message = failed_at >= 0 ? strbuf_str(&message) : NULL,
                                      .output = strbuf_str(&r.trace)};
        if (write_junit(junit, &res))
            rc = CLI_EXIT_FAILED;
    }
    strbuf_free(&message);
    strbuf_free(&r.trace);
    strbuf_free(&r.log);
    for (int i = 0; i < UARTS; i++)
        strbuf_free(&r.uart[i].rx);
    scenario_vars_free(&r.vars);
    free(r.sphere);
    scenario_free(s);
    return rc;
}

static const struct cli_option run_options[] = {
    {"junit", 0, "FILE", false, false, "Also write a JUnit XML report (one test case) to FILE."},
    {"keep-device", 0, NULL, false, false, "Leave the simulated device in place afterwards (default: delete it)."},
    {"timeout-scale", 0, "X", false, false, "Multiply every step's timeout by X (0.1-100; e.g. 3 on a slow CI runner)."},
    {NULL, 0, NULL, false, false, NULL},
};

static const struct cli_command run = {
    .name = "run", .summary = "Run a scenario (YAML) against a fresh simulated device.",
    .options = run_options, .positionals = CLI_POSITIONALS({"SCENARIO", false}), .run = run_test_run,
    .details = "Exit codes: 0 every step passed, 1 a step failed, 2 the scenario is malformed. See docs/scenarios.md."};

static const struct cli_command *const test_commands[] = {&run, NULL};

const struct cli_command cmd_test = {
    .name = "test",
    .summary = "Scenario tests: run apps on a simulated device from a YAML script (for CI).",
    .subcommands = test_commands,
};
