/* SPDX-License-Identifier: MIT */
/*
 * cmd_rollout.c — `sphere rollout create|list|show|pause|resume|approve|abort` (staged rollouts,
 * docs/rollouts.md), `sphere device explain-update` and `device update-now`, against the cloud (sphere login first).
 * Tables show times as ISO 8601 in local time; -o json gives the service's raw numbers.
 * `rollout show` draws one progress bar per phase; --watch redraws it until the rollout rests.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd_cloud.h"
#include "commands.h"

static const char *const columns[] = {"id", "deviceGroup", "status", "phase", "phases", "created", "updated"};
static const char *const headers[] = {"Rollout", "Device group", "Status", "Phase", "Phases", "Created", "Updated"};
#define NCOLUMNS (sizeof columns / sizeof columns[0])

/* "2026-12-07T18:30:00+0000" in local time, or "" for none. */
static void iso_local(long long epoch, char *out, size_t size)
{
    time_t t = (time_t)epoch;
    struct tm tm;
    if (epoch <= 0 || !localtime_r(&t, &tm) || !strftime(out, size, "%Y-%m-%dT%H:%M:%S%z", &tm))
        snprintf(out, size, "%s", "");
}

static long long num(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_NUMBER ? (long long)v->u.number.real : 0;
}

static const char *text(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_STRING ? v->u.string.chars : "";
}

/* A copy of a rollout (or a list of them) with times as local ISO text, for tables. */
static struct json_value *for_table(const struct json_value *v)
{
    struct json_value *copy = json_clone(v);
    size_t n = copy && copy->type == JSON_ARRAY ? copy->u.array.count : 1;
    for (size_t i = 0; copy && i < n; i++) {
        struct json_value *row = copy->type == JSON_ARRAY ? copy->u.array.items[i] : copy;
        static const char *const times[] = {"created", "updated"};
        for (size_t k = 0; k < 2; k++) {
            char iso[40];
            iso_local(num(row, times[k]), iso, sizeof iso);
            json_object_set(row, times[k], json_new_string(iso));
        }
    }
    return copy;
}

static int call(const struct cli_invocation *inv, const char *method, const char *path, struct json_value *body,
                struct cloudresp *resp)
{
    struct cloudclient c;
    int rc = cloudcli_open(&c);
    rc = rc ? rc : cloudcli_call(&c, method, path, body, resp);
    json_free(body);
    cloudclient_free(&c);
    return rc;
}

/* ---- drawing ------------------------------------------------------------------------------- */

/* [#####+++---------]: # succeeded, ! failed, + updating, - pending, over `width` cells. */
static void bar(long long ok, long long failed, long long updating, long long total, int width, char *out)
{
    int cells[3] = {0};
    long long parts[3] = {ok, failed, updating};
    int used = 0;
    for (int i = 0; i < 3 && total > 0; i++) {
        cells[i] = (int)(parts[i] * width / total);
        if (parts[i] > 0 && cells[i] == 0 && used < width)
            cells[i] = 1; /* anything that happened shows */
        if (used + cells[i] > width)
            cells[i] = width - used;
        used += cells[i];
    }
    int k = 0;
    out[k++] = '[';
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < cells[i]; j++)
            out[k++] = "#!+"[i];
    while (k < width + 1)
        out[k++] = '-';
    out[k++] = ']';
    out[k] = '\0';
}

static void draw(const struct json_value *r, FILE *f)
{
    char created[40], updated[40];
    iso_local(num(r, "created"), created, sizeof created);
    iso_local(num(r, "updated"), updated, sizeof updated);
    const struct json_value *phases = json_object_get(r, "phaseProgress");
    size_t count = phases && phases->type == JSON_ARRAY ? phases->u.array.count : 0;
    fprintf(f, "Rollout %s (%s) on %s: %s, phase %lld of %zu\n", text(r, "id"), text(r, "kind"), text(r, "deviceGroup"),
            text(r, "status"), num(r, "phase"), count);
    fprintf(f, "  %s\n", text(r, "reason"));
    fprintf(f, "  thresholds: success %lld%%, error %lld%% over at least %lld finished devices; window %s%s\n",
            num(r, "successThreshold"), num(r, "errorThreshold"), num(r, "minDevices"),
            text(r, "window")[0] ? text(r, "window") : "none", json_object_get(r, "approveEachPhase") &&
            json_object_get(r, "approveEachPhase")->u.boolean ? "; each phase needs an approval" : "");
    fprintf(f, "  created %s, updated %s\n", created, updated);
    for (size_t i = 0; i < count; i++) {
        const struct json_value *p = phases->u.array.items[i];
        long long total = num(p, "devices"), ok = num(p, "succeeded"), failed = num(p, "failed"), upd = num(p, "targeted");
        char b[64];
        bar(ok, failed, upd, total, 30, b);
        bool started = json_object_get(p, "started") && json_object_get(p, "started")->u.boolean;
        fprintf(f, "  phase %zu %6s %s %3lld%%  %lld/%lld ok, %lld failed, %lld updating%s\n", i + 1, text(p, "share"), b,
                total ? ok * 100 / total : 0, ok, total, failed, upd, started ? "" : "  (not started)");
    }
}

/* ---- commands ------------------------------------------------------------------------------ */

/* --ota FILE --ota-version N: the rollout stages the version first, then the file is uploaded as
 * an OTA deployment of PRODUCT/GROUP (what `sphere ota deploy` does); a failed upload aborts it. */
static int upload_ota(const struct cli_invocation *inv, const char *rollout_id)
{
    const char *ref = cli_value(inv, "device-group"), *file = cli_value(inv, "ota"), *slash = strchr(ref, '/');
    char *product = strndup(ref, (size_t)(slash - ref)), *p = product ? cloudcli_escape(product) : NULL;
    char *g = cloudcli_escape(slash + 1), *v = cloudcli_escape(cli_value(inv, "ota-version"));
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    char *name = cloudcli_escape(base), path[1024];
    snprintf(path, sizeof path, "/v1/ota/deployments?product=%s&group=%s&version=%s&name=%s&container=ota&days=365", p ? p : "",
             g ? g : "", v ? v : "", name ? name : "");
    free(product), free(p), free(g), free(v), free(name);
    struct cloudclient c;
    struct cloudresp resp;
    char why[512] = "";
    int rc = cloudcli_open(&c);
    if (rc)
        return rc;
    int err = cloudclient_upload_file(&c, "POST", path, "application/octet-stream", file, &resp, why, sizeof why);
    if (!err && resp.status >= 200 && resp.status < 300) {
        cloudresp_free(&resp);
        cloudclient_free(&c);
        return CLI_EXIT_OK;
    }
    rc = cli_error("the OTA file was not deployed (%s); aborting rollout %s",
                   err ? why : cloudresp_message(&resp), rollout_id);
    if (!err)
        cloudresp_free(&resp);
    snprintf(path, sizeof path, "/v1/rollouts/%s/abort", rollout_id);
    if (cloudclient_request(&c, "POST", path, NULL, NULL, 0, &resp, why, sizeof why) == 0)
        cloudresp_free(&resp);
    cloudclient_free(&c);
    return rc;
}

static int run_create(const struct cli_invocation *inv)
{
    size_t n = 0;
    const char *const *ids = cli_values(inv, "images", &n);
    const char *ota = cli_value(inv, "ota"), *ota_version = cli_value(inv, "ota-version");
    if (!n == !ota)
        return cli_usage_error(inv, "give either --images ID... or --ota FILE --ota-version N");
    if (ota && (!ota_version || !strchr(cli_value(inv, "device-group"), '/')))
        return cli_usage_error(inv, "--ota FILE needs --ota-version N and --device-group PRODUCT/GROUP (the devices' tags)");
    if (ota && access(ota, R_OK) != 0)
        return cli_usage_error(inv, "--ota: '%s' cannot be read", ota);
    if (cli_value(inv, "phases") && cli_value(inv, "ramp"))
        return cli_usage_error(inv, "give either --phases or --ramp, not both");
    struct json_value *body = json_new_object(), *list = json_new_array();
    json_object_append(body, "deviceGroup", json_new_string(cli_value(inv, "device-group")));
    for (size_t i = 0; i < n; i++)
        json_array_append(list, json_new_string(ids[i]));
    if (ota) {
        json_free(list);
        char *end = NULL;
        long long v = strtoll(ota_version, &end, 10);
        if (!end || *end || v < 1) {
            json_free(body);
            return cli_usage_error(inv, "--ota-version must be an integer greater than 0, not '%s'", ota_version);
        }
        json_object_append(body, "otaVersion", json_new_int(v));
    } else {
        json_object_append(body, "images", list);
    }
    static const char *const strings[][2] = {{"phases", "phases"}, {"ramp", "ramp"}, {"window", "window"}};
    for (size_t i = 0; i < 3; i++)
        if (cli_value(inv, strings[i][0]))
            json_object_append(body, strings[i][1], json_new_string(cli_value(inv, strings[i][0])));
    static const char *const numbers[][2] = {{"success-threshold", "successThreshold"}, {"error-threshold", "errorThreshold"},
                                             {"min-devices", "minDevices"}};
    for (size_t i = 0; i < 3; i++) {
        const char *v = cli_value(inv, numbers[i][0]);
        if (!v)
            continue;
        char *end = NULL;
        long long x = strtoll(v, &end, 10);
        if (end && *end == '%')
            end++;
        if (!end || *end || end == v || x < 0) {
            json_free(body);
            return cli_usage_error(inv, "--%s must be a whole number, not '%s'", numbers[i][0], v);
        }
        json_object_append(body, numbers[i][1], json_new_int(x));
    }
    if (cli_flag(inv, "approve-each-phase"))
        json_object_append(body, "approveEachPhase", json_new_bool(true));
    struct cloudresp resp;
    int rc = call(inv, "POST", "/v1/rollouts", body, &resp);
    if (rc)
        return rc;
    if (ota && (rc = upload_ota(inv, text(resp.json, "id"))) != 0) {
        cloudresp_free(&resp);
        return rc;
    }
    if (inv->output == CLI_OUTPUT_JSON)
        cloudcli_print(inv, resp.json, columns, headers, NCOLUMNS);
    else
        draw(resp.json, stdout);
    cloudresp_free(&resp);
    return CLI_EXIT_OK;
}

static int run_list(const struct cli_invocation *inv)
{
    char path[512] = "/v1/rollouts";
    if (cli_value(inv, "device-group")) {
        char *g = cloudcli_escape(cli_value(inv, "device-group"));
        snprintf(path, sizeof path, "/v1/rollouts?deviceGroup=%s", g ? g : "");
        free(g);
    }
    struct cloudresp resp;
    int rc = call(inv, "GET", path, NULL, &resp);
    if (rc)
        return rc;
    struct json_value *t = inv->output == CLI_OUTPUT_JSON ? NULL : for_table(resp.json);
    cloudcli_print(inv, t ? t : resp.json, columns, headers, NCOLUMNS);
    json_free(t);
    cloudresp_free(&resp);
    return CLI_EXIT_OK;
}

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { interrupted = sig; }

static int run_show(const struct cli_invocation *inv)
{
    char *id = cloudcli_escape(cli_arg(inv, "ROLLOUT")), path[256];
    snprintf(path, sizeof path, "/v1/rollouts/%s", id ? id : "");
    free(id);
    const char *w = cli_value(inv, "watch");
    long watch = w ? strtol(w, NULL, 10) : 0;
    if (w && (watch < 1 || watch > 86400))
        return cli_usage_error(inv, "--watch takes the most seconds to keep redrawing, 1 to 86400, not '%s'", w);
    bool tty = isatty(STDOUT_FILENO);
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int rc = CLI_EXIT_OK;
    time_t end = time(NULL) + watch;
    for (int round = 0; !interrupted; round++) {
        struct cloudresp resp;
        if ((rc = call(inv, "GET", path, NULL, &resp)) != 0)
            break;
        const char *status = text(resp.json, "status");
        bool resting = strcmp(status, "active") != 0;
        if (inv->output == CLI_OUTPUT_JSON) {
            cloudcli_print(inv, resp.json, columns, headers, NCOLUMNS);
        } else {
            if (round && tty)
                printf("\033[H\033[J"); /* redraw in place on a terminal */
            draw(resp.json, stdout);
        }
        fflush(stdout);
        cloudresp_free(&resp);
        if (!watch || resting || time(NULL) >= end)
            break;
        sleep(1);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return interrupted ? CLI_EXIT_FAILED : rc;
}

static int act(const struct cli_invocation *inv, const char *action)
{
    char *id = cloudcli_escape(cli_arg(inv, "ROLLOUT")), path[256];
    snprintf(path, sizeof path, "/v1/rollouts/%s/%s", id ? id : "", action);
    free(id);
    struct cloudresp resp;
    int rc = call(inv, "POST", path, NULL, &resp);
    if (rc)
        return rc;
    if (inv->output == CLI_OUTPUT_JSON)
        cloudcli_print(inv, resp.json, columns, headers, NCOLUMNS);
    else
        draw(resp.json, stdout);
    cloudresp_free(&resp);
    return CLI_EXIT_OK;
}

static int run_pause(const struct cli_invocation *inv) { return act(inv, "pause"); }
static int run_resume(const struct cli_invocation *inv) { return act(inv, "resume"); }
static int run_approve(const struct cli_invocation *inv) { return act(inv, "approve"); }
static int run_abort(const struct cli_invocation *inv) { return act(inv, "abort"); }

static int run_explain(const struct cli_invocation *inv)
{
    char *id = cloudcli_escape(cli_value(inv, "device-id")), path[512];
    snprintf(path, sizeof path, "/v1/devices/%s/update-explanation", id ? id : "");
    free(id);
    struct cloudresp resp;
    int rc = call(inv, "GET", path, NULL, &resp);
    if (rc)
        return rc;
    if (inv->output == CLI_OUTPUT_JSON) {
        cloudcli_print(inv, resp.json, columns, headers, 0);
    } else {
        const struct json_value *steps = json_object_get(resp.json, "steps");
        for (size_t i = 0; steps && steps->type == JSON_ARRAY && i < steps->u.array.count; i++) {
            const struct json_value *s = steps->u.array.items[i], *ok = json_object_get(s, "ok");
            printf("  %-4s %-15s %s\n", ok && ok->u.boolean ? "ok" : "NO", text(s, "check"), text(s, "detail"));
        }
        printf("%s\n", text(resp.json, "summary"));
        if (json_object_get(resp.json, "otaSummary")) /* a device with an external MCU's OTA target */
            printf("%s\n", text(resp.json, "otaSummary"));
    }
    cloudresp_free(&resp);
    return CLI_EXIT_OK;
}

static int run_update_now(const struct cli_invocation *inv)
{
    const char *dev = cli_value(inv, "device-id"), *group = cli_value(inv, "device-group");
    if (!dev == !group)
        return cli_usage_error(inv, "give either --device-id or --device-group");
    char path[512];
    if (dev) {
        char *id = cloudcli_escape(dev);
        snprintf(path, sizeof path, "/v1/devices/%s/update-now", id ? id : "");
        free(id);
    } else {
        const char *slash = strchr(group, '/');
        char *product = slash ? strndup(group, (size_t)(slash - group)) : strdup(group);
        char *a = product ? cloudcli_escape(product) : NULL, *b = slash ? cloudcli_escape(slash + 1) : NULL;
        snprintf(path, sizeof path, "/v1/device-groups/%s%s%s/update-now", a ? a : "", b ? "/" : "", b ? b : "");
        free(product), free(a), free(b);
    }
    struct cloudresp resp;
    int rc = call(inv, "POST", path, NULL, &resp);
    if (rc)
        return rc;
    if (inv->output == CLI_OUTPUT_JSON)
        cloudcli_print(inv, resp.json, columns, headers, 0);
    else
        printf("Told %lld of %lld device(s) to check in now.\n", num(resp.json, "notified"), num(resp.json, "devices"));
    cloudresp_free(&resp);
    return CLI_EXIT_OK;
}

#define END {NULL, 0, NULL, false, false, NULL}
static const struct cli_option create_options[] = {
    {"device-group", 'g', "GROUP", false, true, "The device group: its ID or PRODUCT/GROUP."},
    {"images", 'i', "ID", true, false, "The image IDs of the new target set (from 'image add')."},
    {"ota", 0, "FILE", false, false, "Or an external-MCU firmware file (mcu-image) to stage as an OTA deployment."},
    {"ota-version", 0, "N", false, false, "The OTA version FILE becomes (with --ota)."},
    {"phases", 0, "LIST", false, false, "Cumulative shares of the group, e.g. 1%,10%,50%,100% (default 100%)."},
    {"ramp", 0, "exponential:BASE,FACTOR", false, false, "Phases BASE%, BASE*FACTOR%, ... up to 100% (instead of --phases)."},
    {"success-threshold", 0, "PERCENT", false, false, "Share of a phase's devices that must succeed before the next (95)."},
    {"error-threshold", 0, "PERCENT", false, false, "Failure rate of finished devices over which the rollout pauses (5)."},
    {"min-devices", 0, "N", false, false, "Finished devices needed before the error rate counts (10)."},
    {"window", 0, "HH:MM-HH:MM", false, false, "Maintenance window in the device's local time, e.g. 22:00-04:00."},
    {"approve-each-phase", 0, NULL, false, false, "Wait for 'rollout approve' before each next phase."},
    END};
static const struct cli_option list_options[] = {{"device-group", 'g', "GROUP", false, false, "Only this group's rollouts."}, END};
static const struct cli_option show_options[] = {
    {"watch", 'w', "SECONDS", false, false, "Redraw every second while the rollout is active, for at most SECONDS."}, END};
static const struct cli_option no_options[] = {END};
static const struct cli_option update_now_options[] = {
    {"device-id", 'd', "ID", false, false, "One claimed device."},
    {"device-group", 'g', "GROUP", false, false, "Every claimed device of a group (ID or PRODUCT/GROUP)."}, END};
static const struct cli_option explain_options[] = {{"device-id", 'd', "ID", false, true, "The device's ID."}, END};

#define ROLLOUT_ARG CLI_POSITIONALS({"ROLLOUT", false})
static const struct cli_command create = {
    .name = "create", .summary = "Start a staged rollout of images to a device group.", .options = create_options,
    .prints_data = true, .run = run_create,
    .details = "Devices are placed in phases by a stable hash of the rollout and device IDs. The next phase\n"
               "starts when --success-threshold percent of the started phases' devices succeeded; the rollout\n"
               "pauses itself when more than --error-threshold percent of at least --min-devices finished\n"
               "devices failed. See docs/rollouts.md."};
static const struct cli_command list = {.name = "list", .summary = "List rollouts, newest first.", .options = list_options,
                                        .prints_data = true, .run = run_list};
static const struct cli_command show = {.name = "show", .summary = "Show a rollout with a progress bar per phase.",
                                        .options = show_options, .positionals = ROLLOUT_ARG, .prints_data = true, .run = run_show};
#define ACTION(var, cmd_name, text_, fn)                                                                               \
    static const struct cli_command var = {.name = cmd_name, .summary = text_, .options = no_options,                  \
                                           .positionals = ROLLOUT_ARG, .prints_data = true, .run = fn}
ACTION(pause_cmd, "pause", "Pause a rollout: devices that have not started stay on the previous target.", run_pause);
ACTION(resume, "resume", "Resume a paused rollout (its error rate counts from now).", run_resume);
ACTION(approve, "approve", "Start the next phase of a rollout waiting for approval.", run_approve);
ACTION(abort_cmd, "abort", "Abort a rollout: devices not yet updated go back to the previous target.", run_abort);

static const struct cli_command *const rollout_commands[] = {&create, &list, &show, &pause_cmd, &resume, &approve, &abort_cmd, NULL};
const struct cli_command cmd_rollout = {.name = "rollout", .summary = "Staged rollouts to device groups (sphere login first).",
                                        .subcommands = rollout_commands};
const struct cli_command cmd_device_explain_update = {
    .name = "explain-update", .summary = "Say why a claimed device did or did not update, step by step.",
    .options = explain_options, .prints_data = true, .run = run_explain};
const struct cli_command cmd_device_update_now = {
    .name = "update-now", .summary = "Tell devices over MQTT to check for updates now (within seconds).",
    .options = update_now_options, .prints_data = true, .run = run_update_now};
