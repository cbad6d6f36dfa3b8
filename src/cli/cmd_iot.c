/* SPDX-License-Identifier: MIT */
/*
 * cmd_iot.c — `sphere iot …`, the operator's side of the cloud's IoT Hub stand-in (docs/iot.md),
 * shaped like `az iot hub …`:
 *   sphere iot monitor-events --device-id ID [--timeout S] [--from-start] [-o json]
 *   sphere iot twin show --device-id ID [-o json]
 *   sphere iot twin update --device-id ID --desired JSON [-o json]
 *   sphere iot invoke-method --device-id ID --method NAME [--payload JSON] [--timeout S] [-o json]
 *   sphere iot c2d send --device-id ID --data TEXT [--props "k=v;k2=v2"] [--content-encoding E]
 * monitor-events prints each event as it arrives (one JSON object per line with -o json) until
 * --timeout seconds have passed (0, the default: until interrupted). Exit 1 when the service
 * says no (the error printed), e.g. a method the device did not answer in time (504).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_cloud.h"
#include "commands.h"
#include "json.h"

static int call(const char *method, const char *path, const struct json_value *body, long timeout, struct cloudresp *resp)
{
    struct cloudclient c;
    int rc = cloudcli_open(&c);
    if (rc)
        return rc;
    if (timeout)
        c.timeout = timeout;
    rc = cloudcli_call(&c, method, path, body, resp);
    cloudclient_free(&c);
    return rc;
}

/* "/v1/iot/devices/<id><suffix>". */
static int device_path(const struct cli_invocation *inv, const char *suffix, char *out, size_t cap)
{
    char *esc = cloudcli_escape(cli_value(inv, "device-id"));
    if (!esc)
        return cli_error("out of memory");
    snprintf(out, cap, "/v1/iot/devices/%s%s", esc, suffix);
    free(esc);
    return 0;
}

static struct json_value *parse_json_arg(const char *text, const char *what)
{
    struct diag_list diags = {0};
    struct json_value *v = NULL;
    if (json_parse(text, strlen(text), NULL, what, &diags, &v) != 0) {
        cli_error("%s is not JSON: %s", what, text);
        v = NULL;
    }
    diag_list_free(&diags);
    return v;
}

static void print_pretty(const struct json_value *v)
{
    struct strbuf sb = {0};
    if (!json_write(v, JSON_PRETTY, &sb))
        printf("%s\n", strbuf_str(&sb));
    strbuf_free(&sb);
}

static void print_twin(const struct cli_invocation *inv, const struct json_value *twin)
{
    if (inv->output == CLI_OUTPUT_JSON)
        cloudcli_print(inv, twin, NULL, NULL, 0);
    else
        print_pretty(twin);
}

static int run_twin_show(const struct cli_invocation *inv)
{
    char path[512];
    struct cloudresp resp;
    int rc = device_path(inv, "/twin", path, sizeof path);
    rc = rc ? rc : call("GET", path, NULL, 0, &resp);
    if (rc)
        return rc;
    print_twin(inv, resp.json);
    cloudresp_free(&resp);
    return CLI_EXIT_OK;
}

static int run_twin_update(const struct cli_invocation *inv)
{
    struct json_value *desired = parse_json_arg(cli_value(inv, "desired"), "--desired");
    if (!desired)
        return CLI_EXIT_FAILED;
    if (desired->type != JSON_OBJECT) {
        json_free(desired);
        return cli_error("--desired must be a JSON object");
    }
    struct json_value *body = json_new_object(), *props = json_new_object();
    if (!body || !props || json_object_append(props, "desired", desired) || json_object_append(body, "properties", props)) {
        json_free(body);
        return cli_error("out of memory");
    }
    char path[512];
    struct cloudresp resp;
    int rc = device_path(inv, "/twin", path, sizeof path);
    rc = rc ? rc : call("PATCH", path, body, 0, &resp);
    json_free(body);
    if (rc)
        return rc;
    print_twin(inv, resp.json);
    cloudresp_free(&resp);
    return CLI_EXIT_OK;
}

static int run_invoke(const struct cli_invocation *inv)
{
    const char *payload = cli_value(inv, "payload"), *timeout_text = cli_value(inv, "timeout");
    long timeout = timeout_text ? strtol(timeout_text, NULL, 10) : 30;
    if (timeout < 1 || timeout > 300)
        return cli_error("--timeout must be 1 to 300 seconds");
    struct json_value *arg = parse_json_arg(payload ? payload : "{}", "--payload");
    struct json_value *body = json_new_object();
    if (!arg || !body || json_object_append(body, "methodName", json_new_string(cli_value(inv, "method"))) ||
        json_object_append(body, "payload", arg) || json_object_append(body, "responseTimeoutInSeconds", json_new_int(timeout))) {
        json_free(body);
        return arg ? cli_error("out of memory") : CLI_EXIT_FAILED;
    }
    char path[512];
    struct cloudresp resp;
    int rc = device_path(inv, "/methods", path, sizeof path);
    rc = rc ? rc : call("POST", path, body, timeout + 15, &resp);
    json_free(body);
    if (rc)
        return rc;
    print_twin(inv, resp.json);
    cloudresp_free(&resp);
    return CLI_EXIT_OK;
}

static int run_c2d_send(const struct cli_invocation *inv)
{
    struct json_value *body = json_new_object(), *props = json_new_object();
    const char *ce = cli_value(inv, "content-encoding"), *list = cli_value(inv, "props");
    int err = !body || !props || json_object_append(body, "data", json_new_string(cli_value(inv, "data")));
    char *copy = list ? strdup(list) : NULL;
    for (char *save = NULL, *p = copy ? strtok_r(copy, ";", &save) : NULL; !err && p; p = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(p, '=');
        if (!eq || eq == p) {
            free(copy);
            json_free(body), json_free(props);
            return cli_error("--props takes key=value pairs separated by ';', not '%s'", p);
        }
        *eq = '\0';
        err = json_object_set(props, p, json_new_string(eq + 1));
    }
    free(copy);
    if (!err) {
        err = json_object_append(body, "properties", props);
        props = NULL;
    }
    if (!err && ce)
        err = json_object_append(body, "contentEncoding", json_new_string(ce));
    if (err) {
        json_free(body), json_free(props);
        return cli_error("out of memory");
    }
    char path[512];
    struct cloudresp resp;
    int rc = device_path(inv, "/messages/devicebound", path, sizeof path);
    rc = rc ? rc : call("POST", path, body, 0, &resp);
    json_free(body);
    if (rc)
        return rc;
    if (inv->output == CLI_OUTPUT_JSON) {
        cloudcli_print(inv, resp.json, NULL, NULL, 0);
    } else {
        const struct json_value *mid = json_object_get(resp.json, "messageId");
        printf("Sent message %s.\n", mid && mid->type == JSON_STRING ? mid->u.string.chars : "?");
    }
    cloudresp_free(&resp);
    return CLI_EXIT_OK;
}

/* An event as `az iot hub monitor-events` shows it. */
static void print_event(const struct cli_invocation *inv, const struct json_value *e)
{
    struct strbuf sb = {0};
    if (inv->output == CLI_OUTPUT_JSON) {
        if (!json_write(e, JSON_COMPACT, &sb))
            printf("%s\n", strbuf_str(&sb));
        strbuf_free(&sb);
        fflush(stdout);
        return;
    }
    struct json_value *o = json_new_object(), *ev = json_new_object(), *props = json_new_object();
    const char *keys[] = {"deviceId", "enqueuedTime", "payload"}, *names[] = {"origin", "enqueuedTime", "payload"};
    for (size_t i = 0; o && ev && props && i < 3; i++) {
        const struct json_value *v = json_object_get(e, keys[i]);
        if (v)
            json_object_append(ev, names[i], json_clone(v));
    }
    const struct json_value *app = json_object_get(e, "properties"), *sys = json_object_get(e, "systemProperties");
    if (o && ev && props) {
        json_object_append(props, "system", sys ? json_clone(sys) : json_new_object());
        json_object_append(props, "application", app ? json_clone(app) : json_new_object());
        json_object_append(ev, "properties", props);
        json_object_append(o, "event", ev);
        print_pretty(o);
    } else {
        json_free(ev), json_free(props);
    }
    json_free(o);
    fflush(stdout);
}

static int run_monitor(const struct cli_invocation *inv)
{
    const char *timeout_text = cli_value(inv, "timeout");
    long timeout = timeout_text ? strtol(timeout_text, NULL, 10) : 0;
    if (timeout < 0)
        return cli_error("--timeout must be 0 (no limit) or a number of seconds");
    char *esc = cloudcli_escape(cli_value(inv, "device-id"));
    if (!esc)
        return cli_error("out of memory");
    struct cloudclient c;
    int rc = cloudcli_open(&c);
    if (rc) {
        free(esc);
        return rc;
    }
    c.timeout = 45;
    /* From now (the service clamps "after" to its newest event), or from the oldest it keeps. */
    unsigned long long after = cli_flag(inv, "from-start") ? 0 : 18446744073709551614ull;
    time_t end = timeout ? time(NULL) + timeout : 0;
    if (!cli_flag(inv, "from-start") && inv->output != CLI_OUTPUT_JSON)
        fprintf(stderr, "Starting event monitor, filtering on device: %s, use ctrl-c to stop...\n", cli_value(inv, "device-id"));
    while (!rc) {
        /* A poll waits on the service, parked, until an event comes (then it is answered at
         * once) or `wait` ends: 20 s at most, well inside the client's 45 s timeout. */
        long wait = end ? (long)(end - time(NULL)) : 20;
        if (end && wait <= 0)
            break;
        char path[512];
        snprintf(path, sizeof path, "/v1/iot/events?deviceId=%s&after=%llu&wait=%ld", esc, after, wait > 20 ? 20 : wait);
        struct cloudresp resp;
        rc = cloudcli_call(&c, "GET", path, NULL, &resp);
        if (rc)
            break;
        const struct json_value *events = json_object_get(resp.json, "events"), *next = json_object_get(resp.json, "next");
        for (size_t i = 0; events && events->type == JSON_ARRAY && i < events->u.array.count; i++)
            print_event(inv, events->u.array.items[i]);
        if (next && next->type == JSON_NUMBER && next->u.number.is_integer)
            after = (unsigned long long)next->u.number.integer;
        cloudresp_free(&resp);
    }
    cloudclient_free(&c);
    free(esc);
    return rc;
}

#define ID_OPTION {"device-id", 'd', "ID", false, true, "The device ID (128 hex digits)."}
#define END_OPTION {NULL, 0, NULL, false, false, NULL}
static const struct cli_option show_options[] = {ID_OPTION, END_OPTION};
static const struct cli_option update_options[] = {
    ID_OPTION, {"desired", 0, "JSON", false, true, "Desired properties to merge in (null deletes a property)."}, END_OPTION};
static const struct cli_option invoke_options[] = {
    ID_OPTION,
    {"method", 'm', "NAME", false, true, "The direct method's name."},
    {"payload", 0, "JSON", false, false, "The method's argument (default {})."},
    {"timeout", 0, "SECONDS", false, false, "How long to wait for the device's answer (1-300, default 30)."},
    END_OPTION};
static const struct cli_option c2d_options[] = {
    ID_OPTION,
    {"data", 0, "TEXT", false, true, "The message body."},
    {"props", 0, "K=V;...", false, false, "Application properties, ';'-separated."},
    {"content-encoding", 0, "ENCODING", false, false, "The content encoding system property (e.g. utf-8)."},
    END_OPTION};
static const struct cli_option monitor_options[] = {
    ID_OPTION,
    {"timeout", 't', "SECONDS", false, false, "Stop after this many seconds (default 0: run until interrupted)."},
    {"from-start", 0, NULL, false, false, "Begin with the oldest event the service keeps, not with the next one."},
    END_OPTION};

static const struct cli_command twin_show = {.name = "show", .summary = "Show a device's twin (desired and reported properties).",
                                             .options = show_options, .prints_data = true, .run = run_twin_show};
static const struct cli_command twin_update = {.name = "update", .summary = "Merge desired properties into a device's twin.",
                                               .options = update_options, .prints_data = true, .run = run_twin_update};
static const struct cli_command *const twin_children[] = {&twin_show, &twin_update, NULL};
static const struct cli_command twin = {.name = "twin", .summary = "The device twin of the IoT Hub stand-in.",
                                        .subcommands = twin_children};
static const struct cli_command invoke = {.name = "invoke-method", .summary = "Invoke a direct method on a device and print its answer.",
                                          .options = invoke_options, .prints_data = true, .run = run_invoke};
static const struct cli_command c2d_send = {.name = "send", .summary = "Send a cloud-to-device message.",
                                            .options = c2d_options, .prints_data = true, .run = run_c2d_send};
static const struct cli_command *const c2d_children[] = {&c2d_send, NULL};
static const struct cli_command c2d = {.name = "c2d", .summary = "Cloud-to-device messages.", .subcommands = c2d_children};
static const struct cli_command monitor = {.name = "monitor-events", .summary = "Show a device's telemetry as it arrives.",
                                           .options = monitor_options, .prints_data = true, .run = run_monitor};
static const struct cli_command *const iot_children[] = {&monitor, &twin, &invoke, &c2d, NULL};
const struct cli_command cmd_iot = {.name = "iot", .summary = "The cloud's IoT Hub stand-in: telemetry, twins, methods, C2D (docs/iot.md).",
                                    .subcommands = iot_children};
