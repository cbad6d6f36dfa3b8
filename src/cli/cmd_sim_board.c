/* SPDX-License-Identifier: MIT */
/* cmd_sim_board.c — `sphere sim gpio|press|uart|adc|accel|pwm|device|watch`: see and drive the
 * simulated board's lines, buses and converters through the device's /sim/ endpoints
 * (docs/board.md). */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "board.h"
#include "devclient.h"
#include "hostio.h"
#include "path.h"

/* One request to the selected device's /sim/ endpoint; on success *r holds the answer (free it
 * with devresponse_free). Returns a CLI exit code, having printed any error. */
static int sim_call(const struct cli_invocation *inv, const char *method, const char *path, const char *body,
                    struct devresponse *r)
{
    return devclient_call(cli_value(inv, "device"), method, path, body, r);
}

static void print_json(const struct json_value *v)
{
    struct strbuf sb = {0};
    json_write(v, JSON_COMPACT, &sb);
    printf("%s\n", strbuf_str(&sb));
    strbuf_free(&sb);
}

static const char *text(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_STRING ? v->u.string.chars : "?";
}

static double num(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return !v || v->type != JSON_NUMBER ? 0 : v->u.number.is_integer ? (double)v->u.number.integer : v->u.number.real;
}

static bool yes(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_BOOL && v->u.boolean;
}

/* Runs a request and prints its answer as JSON (-o json) or with `show`. */
static int sim_show(const struct cli_invocation *inv, const char *method, const char *path, const char *body,
                    void (*show)(const struct json_value *))
{
    struct devresponse r;
    int rc = sim_call(inv, method, path, body, &r);
    if (!rc && inv->output == CLI_OUTPUT_JSON)
        print_json(r.json);
    else if (!rc)
        show(r.json);
    devresponse_free(&r);
    return rc;
}

/* ---- gpio, press ------------------------------------------------------------------------------ */

static int gpio_number(const char *arg, int *n)
{
    char *end;
    long v = arg ? strtol(arg, &end, 10) : -1;
    if (!arg || *end || v < 0 || v > 127)
        return cli_error("'%s' is not a GPIO number (0-127)", arg ? arg : "");
    *n = (int)v;
    return CLI_EXIT_OK;
}

static void show_gpio(const struct json_value *o)
{
    printf("GPIO %.0f: %.0f (%s)\n", num(o, "gpio"), num(o, "value"), text(o, "direction"));
}

/* The line is given as `N` or as `-n N` (not both, not neither). */
static int gpio_line(const struct cli_invocation *inv, int *n)
{
    const char *by_option = cli_value(inv, "gpio");
    if (by_option && inv->args[0])
        return cli_usage_error(inv, "give the GPIO number once ('%s' and '--gpio %s')", inv->args[0], by_option);
    if (!by_option && !inv->args[0])
        return cli_usage_error(inv, "missing the GPIO number N (or --gpio N)");
    return gpio_number(by_option ? by_option : inv->args[0], n);
}

static int gpio_request(const struct cli_invocation *inv, const char *method, const char *suffix, const char *body)
{
    int n = -1;
    int rc = gpio_line(inv, &n);
    if (rc)
        return rc;
    char path[64];
    snprintf(path, sizeof path, "/sim/gpio/%d%s", n, suffix);
    return sim_show(inv, method, path, body, show_gpio);
}

static int run_gpio(const struct cli_invocation *inv)
{
    const char *value = cli_value(inv, "value");
    if (value && inv->args[1])
        return cli_usage_error(inv, "give the value once ('%s' and '--value %s')", inv->args[1], value);
    if (!value)
        value = inv->args[1];
    if (!value)
        return gpio_request(inv, "GET", "", NULL);
    if (strcmp(value, "0") && strcmp(value, "1"))
        return cli_error("the value must be 0 or 1, not '%s'", value);
    char body[32];
    snprintf(body, sizeof body, "{\"value\":%s}", value);
    return gpio_request(inv, "PUT", "", body);
}

static int run_press(const struct cli_invocation *inv) { return gpio_request(inv, "POST", "/press", NULL); }

/* ---- uart --------------------------------------------------------------------------------------- */

static void show_uart(const struct json_value *o)
{
    printf("%s\n", text(o, "pty"));
    printf("%s: loopback %s; ", text(o, "interface"), yes(o, "loopback") ? "on" : "off");
    if (yes(o, "open"))
        printf("open by an app at %.0f baud %s, flow control %s", num(o, "baudRate"), text(o, "frame"),
               text(o, "flowControl"));
    else
        printf("not open by an app");
    printf("; %.0f bytes sent by the app, %.0f received\n", num(o, "txBytes"), num(o, "rxBytes"));
}

static int run_uart(const struct cli_invocation *inv)
{
    char path[64];
    snprintf(path, sizeof path, "/sim/uart/%s", inv->args[0]);
    bool on = cli_flag(inv, "loopback"), off = cli_flag(inv, "no-loopback");
    if (on && off)
        return cli_error("--loopback and --no-loopback exclude each other");
    if (on || off)
        return sim_show(inv, "PUT", path, on ? "{\"loopback\":true}" : "{\"loopback\":false}", show_uart);
    return sim_show(inv, "GET", path, NULL, show_uart);
}

/* ---- adc ----------------------------------------------------------------------------------------- */

static void show_adc(const struct json_value *o)
{
    const struct json_value *v = json_object_get(o, "volts");
    printf("%s: %.0f bits, reference %.3f V%s\n", text(o, "controller"), num(o, "bits"), num(o, "referenceVolts"),
           yes(o, "open") ? ", open by an app" : "");
    for (size_t i = 0; v && v->type == JSON_ARRAY && i < v->u.array.count; i++) {
        const struct json_value *e = v->u.array.items[i];
        printf("  channel %zu: %.4f V\n", i, e->u.number.is_integer ? (double)e->u.number.integer : e->u.number.real);
    }
}

static bool parse_double(const char *s, double *out)
{
    char *end;
    *out = s ? strtod(s, &end) : 0;
    return s && *s && !*end && isfinite(*out);
}

static int run_adc(const struct cli_invocation *inv)
{
    const char *controller = cli_value(inv, "controller"), *channel = cli_value(inv, "channel");
    const char *volts = cli_value(inv, "volts");
    char *end;
    long c = controller ? strtol(controller, &end, 10) : 0;
    if (controller && (*end || c < 0))
        return cli_error("'%s' is not an ADC controller number", controller);
    char path[64];
    if (!volts && !channel) {
        snprintf(path, sizeof path, "/sim/adc/%ld", c);
        return sim_show(inv, "GET", path, NULL, show_adc);
    }
    double v;
    long ch = channel ? strtol(channel, &end, 10) : -1;
    if (!channel || *end || ch < 0 || !parse_double(volts, &v))
        return cli_error("give --channel N and --volts V (e.g. --channel 1 --volts 1.25)");
    snprintf(path, sizeof path, "/sim/adc/%ld/%ld", c, ch);
    char body[64];
    snprintf(body, sizeof body, "{\"volts\":%.6f}", v);
    return sim_show(inv, "PUT", path, body, show_adc);
}

/* ---- accel, device -------------------------------------------------------------------------------- */

static void show_device(const struct json_value *d)
{
    if (!strcmp(text(d, "model"), "lsm6ds3"))
        printf("%s (lsm6ds3, %s): x %.3f g, y %.3f g, z %.3f g\n", text(d, "name"), text(d, "state"), num(d, "x"),
               num(d, "y"), num(d, "z"));
    else
        printf("%s (%s, %s): %s\n", text(d, "name"), text(d, "model"), text(d, "state"), text(d, "image"));
}

static void show_accels(const struct json_value *o)
{
    const struct json_value *list = json_object_get(o, "accelerometers");
    for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.array.count; i++)
        show_device(list->u.array.items[i]);
}

static int run_accel(const struct cli_invocation *inv)
{
    const char *x = cli_value(inv, "x"), *y = cli_value(inv, "y"), *z = cli_value(inv, "z"), *name = cli_value(inv, "name");
    if (!x && !y && !z)
        return sim_show(inv, "GET", "/sim/accel", NULL, show_accels);
    double g[3];
    if (!parse_double(x, &g[0]) || !parse_double(y, &g[1]) || !parse_double(z, &g[2]))
        return cli_error("give all of --x, --y and --z in g (e.g. --x 0 --y 0 --z 1)");
    if (name && strpbrk(name, "\"\\"))
        return cli_error("'%s' is not a device name", name);
    char body[192];
    snprintf(body, sizeof body, "{\"x\":%.6f,\"y\":%.6f,\"z\":%.6f%s%s%s}", g[0], g[1], g[2],
             name ? ",\"device\":\"" : "", name ? name : "", name ? "\"" : "");
    return sim_show(inv, "PUT", "/sim/accel", body, show_accels);
}

static int run_device(const struct cli_invocation *inv)
{
    const char *state = cli_value(inv, "state");
    if (strpbrk(inv->args[0], "/?#\"\\"))
        return cli_error("'%s' is not a device name", inv->args[0]);
    if (state && strcmp(state, "ok") && strcmp(state, "unplugged") && strcmp(state, "stuck"))
        return cli_error("--state must be ok, unplugged or stuck, not '%s'", state);
    char path[128], body[64];
    snprintf(path, sizeof path, "/sim/devices/%s", inv->args[0]);
    snprintf(body, sizeof body, "{\"state\":\"%s\"}", state ? state : "");
    return sim_show(inv, state ? "PUT" : "GET", path, state ? body : NULL, show_device);
}

/* ---- pwm ------------------------------------------------------------------------------------------ */

static void show_pwm(const struct json_value *o)
{
    const struct json_value *list = json_object_get(o, "controllers");
    struct cli_table t;
    cli_table_init(&t, 6);
    cli_table_row(&t, "Controller", "Channel", "Period (ns)", "Duty (ns)", "Polarity", "Enabled");
    for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.array.count; i++) {
        const struct json_value *c = list->u.array.items[i], *chs = json_object_get(c, "channels");
        for (size_t k = 0; chs && chs->type == JSON_ARRAY && k < chs->u.array.count; k++) {
            const struct json_value *ch = chs->u.array.items[k];
            char n[16], period[24], duty[24];
            snprintf(n, sizeof n, "%.0f", num(ch, "channel"));
            snprintf(period, sizeof period, "%.0f", num(ch, "periodNs"));
            snprintf(duty, sizeof duty, "%.0f", num(ch, "dutyCycleNs"));
            cli_table_row(&t, text(c, "controller"), n, period, duty, text(ch, "polarity"),
                          yes(ch, "enabled") ? "yes" : "no");
        }
    }
    cli_table_print(&t, stdout);
    cli_table_free(&t);
}

static int run_pwm(const struct cli_invocation *inv) { return sim_show(inv, "GET", "/sim/pwm", NULL, show_pwm); }

/* ---- watch ------------------------------------------------------------------------------------------ */

static volatile sig_atomic_t interrupted;
static void on_interrupt(int sig) { interrupted = 1; }

/* Polls /sim/events every 100 ms and prints each event as it comes, until interrupted or
 * --timeout seconds have passed. */
static int run_watch(const struct cli_invocation *inv)
{
    const char *limit = cli_value(inv, "timeout");
    double seconds = 0;
    if (limit && (!parse_double(limit, &seconds) || seconds <= 0))
        return cli_error("--timeout must be a number of seconds, not '%s'", limit);
    bool all = cli_flag(inv, "all");
    struct sigaction act = {.sa_handler = on_interrupt};
    sigaction(SIGINT, &act, NULL);
    sigaction(SIGTERM, &act, NULL);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    unsigned long long since = 0;
    bool first = true;
    int rc = CLI_EXIT_OK;
    while (!interrupted && !rc) {
        char path[64];
        snprintf(path, sizeof path, "/sim/events?since=%llu", since);
        struct devresponse r;
        rc = sim_call(inv, "GET", path, NULL, &r);
        const struct json_value *events = json_object_get(r.json, "events");
        for (size_t i = 0; !rc && (all || !first) && events && events->type == JSON_ARRAY && i < events->u.array.count;
             i++) {
            const struct json_value *e = events->u.array.items[i];
            if (inv->output == CLI_OUTPUT_JSON)
                print_json(e);
            else
                printf("%s  %-6s %-10s %s\n", text(e, "time"), text(e, "kind"), text(e, "source"), text(e, "detail"));
        }
        if (!rc)
            since = (unsigned long long)num(r.json, "next");
        fflush(stdout);
        devresponse_free(&r);
        first = false;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (seconds > 0 && (double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 >= seconds)
            break;
        nanosleep(&(struct timespec){0, 100000000L}, NULL);
    }
    return rc;
}

/* ---- the commands ------------------------------------------------------------------------------------ */

#define DEVICE_OPTION {"device", 'd', "NAME", false, false, "The simulated device (default: the only one running)."}
#define END_OPTIONS {NULL, 0, NULL, false, false, NULL}

static const struct cli_option gpio_options[] = {
    {"gpio", 'n', "N", false, false, "The GPIO number, instead of N (e.g. 8 for LED 1 red on the RDB, 12 for button A)."},
    {"value", 0, "0|1", false, false, "Drive an input line to this level, instead of 0|1 (default: show the line)."},
    DEVICE_OPTION, END_OPTIONS,
};
static const struct cli_option press_options[] = {
    {"gpio", 'n', "N", false, false, "The GPIO number of the button, instead of N (12 and 13 are buttons A and B)."},
    DEVICE_OPTION, END_OPTIONS,
};
static const struct cli_option uart_options[] = {
    {"loopback", 0, NULL, false, false, "Wire the UART's TX to its RX (the app hears itself)."},
    {"no-loopback", 0, NULL, false, false, "Connect the UART to its host pseudo-terminal again."},
    DEVICE_OPTION, END_OPTIONS,
};
static const struct cli_option adc_options[] = {
    {"controller", 0, "N", false, false, "The ADC controller (default 0)."},
    {"channel", 0, "N", false, false, "The channel whose input to set."},
    {"volts", 0, "V", false, false, "The voltage at that channel's input."},
    DEVICE_OPTION, END_OPTIONS,
};
static const struct cli_option accel_options[] = {
    {"x", 0, "G", false, false, "Acceleration along X in g (use --x=-0.5 for negative values)."},
    {"y", 0, "G", false, false, "Acceleration along Y in g."},
    {"z", 0, "G", false, false, "Acceleration along Z in g."},
    {"name", 0, "DEVICE", false, false, "Only this accelerometer of the board file (default: all)."},
    DEVICE_OPTION, END_OPTIONS,
};
static const struct cli_option device_options[] = {
    {"state", 0, "ok|unplugged|stuck", false, false,
     "Plug the device in, unplug it (I2C NACKs: ENXIO), or make it hold the bus (ETIMEDOUT)."},
    DEVICE_OPTION, END_OPTIONS,
};
static const struct cli_option pwm_options[] = {DEVICE_OPTION, END_OPTIONS};
static const struct cli_option watch_options[] = {
    {"timeout", 0, "SECONDS", false, false, "Stop after this long (default: until interrupted)."},
    {"all", 0, NULL, false, false, "Print the events already recorded first."},
    DEVICE_OPTION, END_OPTIONS,
};

const struct cli_command cmd_sim_gpio = {
    .name = "gpio", .summary = "Show a GPIO line of the simulated board, or drive an input.",
    .options = gpio_options, .positionals = CLI_POSITIONALS({"N", true}, {"0|1", true}),
    .prints_data = true, .run = run_gpio};
const struct cli_command cmd_sim_press = {
    .name = "press", .summary = "Hold an input line low for 300 ms (press a button).",
    .options = press_options, .positionals = CLI_POSITIONALS({"N", true}), .prints_data = true, .run = run_press};
const struct cli_command cmd_sim_uart = {
    .name = "uart", .summary = "Print a UART's host pseudo-terminal (attach screen/picocom to it) and its state.",
    .options = uart_options, .positionals = CLI_POSITIONALS({"ISU", false}), .prints_data = true, .run = run_uart};
const struct cli_command cmd_sim_adc = {
    .name = "adc", .summary = "Show an ADC controller's inputs, or set a channel's voltage.",
    .options = adc_options, .prints_data = true, .run = run_adc};
const struct cli_command cmd_sim_accel = {
    .name = "accel", .summary = "Show or set the acceleration the board's accelerometer feels.",
    .options = accel_options, .prints_data = true, .run = run_accel};
const struct cli_command cmd_sim_device = {
    .name = "device", .summary = "Show a device of the board file, or plug, unplug or hang it.",
    .options = device_options, .positionals = CLI_POSITIONALS({"NAME", false}), .prints_data = true, .run = run_device};
const struct cli_command cmd_sim_pwm = {
    .name = "pwm", .summary = "Show every PWM channel: period, duty cycle, polarity, enabled.",
    .options = pwm_options, .prints_data = true, .run = run_pwm};
const struct cli_command cmd_sim_watch = {
    .name = "watch", .summary = "Stream GPIO edges, PWM changes, UART bytes and bus transfers as they happen.",
    .options = watch_options, .prints_data = true, .run = run_watch};

/* ---- sim create --board ------------------------------------------------------------------------------ */

int cli_sim_store_board(const char *file, const char *state_dir)
{
    char *data = NULL, why[512] = "";
    size_t len = 0;
    int err = hostio_read_file(file, &data, &len);
    if (err) {
        free(data);
        return cli_error("cannot read the board file %s: %s", file, strerror(-err));
    }
    err = board_check_file(data, len, why, sizeof why);
    char *dest = err ? NULL : path_join(state_dir, "board.json");
    int rc = err ? cli_error("%s: %s", file, why[0] ? why : strerror(-err)) : CLI_EXIT_OK;
    if (!rc && (!dest || hostio_write_file_atomic(dest, data, len, 0644) != 0))
        rc = cli_error("cannot write %s", dest ? dest : "board.json");
    free(dest);
    free(data);
    return rc;
}
