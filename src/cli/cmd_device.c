/* SPDX-License-Identifier: MIT */
/* cmd_device.c — `sphere device …`: the device-side commands of azsphere, over the REST API. */
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apiset.h"
#include "capfile.h"
#include "commands.h"
#include "devclient.h"
#include "error.h"
#include "hostio.h"
#include "imgpkg.h"
#include "path.h"
#include "simhome.h"

#define DEVICE_OPTION {"device", 'd', "NAME", false, false, "The simulated device (default: the only one running)."}
#define END_OPTIONS {NULL, 0, NULL, false, false, NULL}

static int open_device(const struct cli_invocation *inv, struct devclient *c)
{
    return devclient_open(cli_value(inv, "device"), c);
}

/* GET path and check the answer; on success *json is the body (caller frees). */
static int get(struct devclient *c, const char *path, struct json_value **json)
{
    struct devresponse r;
    int rc = devclient_request(c, "GET", path, NULL, NULL, 0, NULL, 0, &r);
    if (!rc)
        rc = devclient_check(&r);
    *json = rc ? NULL : r.json;
    if (rc)
        devresponse_free(&r);
    return rc;
}

static int send_json_request(struct devclient *c, const char *method, const char *path, const char *body,
                             struct json_value **json)
{
    struct devresponse r;
    int rc = devclient_request(c, method, path, body ? "application/json" : NULL, body, body ? strlen(body) : 0, NULL,
                               0, &r);
    if (!rc)
        rc = devclient_check(&r);
    if (json && !rc)
        *json = r.json;
    else
        devresponse_free(&r);
    return rc;
}

static const char *str(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_STRING ? v->u.string.chars : "";
}

static int print_json(const struct json_value *v)
{
    struct strbuf sb = {0};
    int rc = json_write(v, JSON_PRETTY, &sb) ? cli_error("out of memory") : CLI_EXIT_OK;
    if (!rc)
        printf("%s\n", strbuf_str(&sb));
    strbuf_free(&sb);
    return rc;
}

/* Prints one answer of the device as a table. */
typedef void table_printer(const struct cli_invocation *inv, const struct json_value *answer);

/* GET path from the device and print the answer: as JSON with -o json, else with print_table. */
static int show_resource(const struct cli_invocation *inv, const char *path, table_printer *print_table)
{
    struct devclient c;
    struct json_value *j = NULL;
    int rc = open_device(inv, &c);
    if (!rc)
        rc = get(&c, path, &j);
    if (!rc && inv->output == CLI_OUTPUT_JSON)
        rc = print_json(j);
    else if (!rc)
        print_table(inv, j);
    json_free(j);
    devclient_close(&c);
    return rc;
}

/* ---- device information ------------------------------------------------------------------- */

/* The device's address: its attached one (DIR/attached.json beside DIR/rest.sock, written by
 * `sphered --attach`; docs/device.md) or the loopback. */
static void device_address(const char *socket_path, char *out, size_t out_size)
{
    snprintf(out, out_size, "127.0.0.1");
    char *dir = strdup(socket_path), *slash = dir ? strrchr(dir, '/') : NULL, *file = NULL, *text = NULL;
    size_t len = 0;
    if (slash)
        *slash = '\0';
    if (slash && (file = path_join(dir, "attached.json")) != NULL && hostio_read_file(file, &text, &len) == 0) {
        struct diag_list diags = {0};
        struct json_value *j = NULL;
        if (json_parse(text, len, NULL, "attached.json", &diags, &j) == 0 && str(j, "IpAddress")[0])
            snprintf(out, out_size, "%s", str(j, "IpAddress"));
        diag_list_free(&diags);
        json_free(j);
    }
    free(text), free(file), free(dir);
}

static int run_show_attached(const struct cli_invocation *inv)
{
    struct devclient c;
    struct json_value *j = NULL;
    int rc = open_device(inv, &c);
    if (!rc)
        rc = get(&c, "/device/security_state", &j);
    if (!rc) {
        if (inv->output == CLI_OUTPUT_JSON) {
            json_object_append(j, "connectionPath", json_new_string(c.socket));
            rc = print_json(j);
        } else {
            char address[64];
            device_address(c.socket, address, sizeof address);
            printf("Device ID: %s\nIP address: %s\nConnection path: %s\n", str(j, "deviceIdentifier"), address, c.socket);
        }
    }
    json_free(j);
    devclient_close(&c);
    return rc;
}

static void print_os_version(const struct cli_invocation *inv, const struct json_value *j)
{
    printf("Your device is running Azure Sphere OS version %s.\n", str(j, "osversion"));
}

static int run_show_os_version(const struct cli_invocation *inv) { return show_resource(inv, "/osversion", print_os_version); }

static int run_restart(const struct cli_invocation *inv)
{
    struct devclient c;
    int rc = open_device(inv, &c);
    struct devresponse r;
    if (!rc)
        rc = devclient_request(&c, "POST", "/restart", "text/plain", "", 0, NULL, 0, &r);
    if (!rc) {
        rc = devclient_check(&r);
        devresponse_free(&r);
    }
    if (!rc)
        printf("Restarting device.\nDevice restarted successfully.\n");
    devclient_close(&c);
    return rc;
}

/* ---- sideload ----------------------------------------------------------------------------- */

/* The API-set check the CLI does before deploying (beta sets need --force). */
static int check_beta(struct devclient *c, const struct imgpkg *pkg, bool force, bool *beta)
{
    *beta = false;
    const struct imgpkg_file *mf = imgpkg_find(pkg, "app_manifest.json");
    struct json_value *m = NULL, *os = NULL;
    struct diag_list diags = {0};
    if (!mf || json_parse((const char *)mf->data, mf->size, NULL, "app_manifest.json", &diags, &m) != 0) {
        diag_list_free(&diags);
        return CLI_EXIT_OK; /* the device will explain */
    }
    diag_list_free(&diags);
    const struct json_value *b = json_object_get(m, "TargetBetaApis"), *arv = json_object_get(m, "TargetApplicationRuntimeVersion");
    int rc = CLI_EXIT_OK;
    if (b && b->type == JSON_STRING && arv && arv->type == JSON_NUMBER) {
        *beta = true;
        fprintf(stderr, "warn: This app targets Beta APIs that may change or be removed in future.\n");
        rc = get(c, "/osversion", &os);
        const struct os_release *rel = rc ? NULL : apiset_find_release(str(os, "osversion"));
        struct apiset set = {.arv = (unsigned)arv->u.number.integer};
        snprintf(set.beta, sizeof set.beta, "%s", b->u.string.chars);
        char why[256];
        if (rel && apiset_check(&set, rel, why, sizeof why) == APISET_NEEDS_FORCE && !force)
            rc = cli_error("%s", why);
    }
    json_free(m);
    json_free(os);
    return rc;
}

static int run_deploy(const struct cli_invocation *inv)
{
    const char *file = cli_value(inv, "image-package");
    bool manual = cli_flag(inv, "manual-start"), force = cli_flag(inv, "force");
    char *data = NULL;
    size_t len = 0;
    int err = hostio_read_file(file, &data, &len);
    if (err)
        return cli_error("cannot read %s: %s", file, os_strerror(err));
    struct devclient c;
    int rc = open_device(inv, &c);
    struct imgpkg pkg;
    struct imgpkg_error perr;
    bool parsed = imgpkg_parse((const uint8_t *)data, len, &pkg, &perr) == 0, beta = false;
    if (!rc && parsed)
        rc = check_beta(&c, &pkg, force, &beta);
    if (parsed)
        imgpkg_free(&pkg);
    if (!rc) {
        printf("Deploying '%s' to the attached device.\n", file);
        struct devresponse r;
        rc = devclient_request(&c, "PUT", "/update/stage", "application/octet-stream", data, len, NULL, 0, &r);
        if (!rc) {
            rc = devclient_check(&r);
            devresponse_free(&r);
        }
    }
    if (!rc) {
        char body[96];
        snprintf(body, sizeof body, "{\"appControlMode\":\"%s\"%s}", manual ? "Manual" : "Auto", force ? ",\"force\":true" : "");
        rc = send_json_request(&c, "POST", "/update/install", body, NULL);
    }
    if (!rc) {
        printf("Image package '%s' has been deployed to the attached device.\n", file);
        if (manual)
            printf("The application was not automatically started. Use 'sphere device app start' to start it.\n");
    }
    devclient_close(&c);
    free(data);
    return rc;
}

/* Component IDs of the installed applications (image type 10). */
static int installed_apps(struct devclient *c, char ***ids, size_t *count)
{
    struct json_value *j = NULL;
    *ids = NULL;
    *count = 0;
    int rc = get(c, "/images", &j);
    const struct json_value *list = json_object_get(j, "components");
    for (size_t i = 0; !rc && list && list->type == JSON_ARRAY && i < list->u.array.count; i++) {
        const struct json_value *comp = list->u.array.items[i];
        const struct json_value *type = json_object_get(comp, "image_type");
        if (!type || type->type != JSON_NUMBER || type->u.number.integer != IMGPKG_TYPE_APPLICATION)
            continue;
        char **grown = realloc(*ids, (*count + 1) * sizeof *grown);
        if (!grown || !(grown[*count] = strdup(str(comp, "uid")))) {
            if (grown)
                *ids = grown;
            rc = cli_error("out of memory");
            break;
        }
        *ids = grown;
        (*count)++;
    }
    json_free(j);
    return rc;
}

static bool listed(const char *id, const char *const *list, size_t n)
{
    struct guid a, b;
    if (guid_parse(id, &a))
        return false;
    for (size_t i = 0; i < n; i++)
        if (guid_parse(list[i], &b) == 0 && guid_equal(&a, &b))
            return true;
    return false;
}

/* The targets of an app command: -i CID, or every installed app (minus -e CIDs). */
static int targets(const struct cli_invocation *inv, struct devclient *c, char ***ids, size_t *count)
{
    const char *one = cli_value(inv, "component-id");
    if (one) {
        struct guid g;
        if (guid_parse(one, &g))
            return cli_error("'%s' is not a component ID", one);
        *ids = malloc(sizeof **ids);
        if (!*ids || !((*ids)[0] = strdup(one)))
            return cli_error("out of memory");
        *count = 1;
        return CLI_EXIT_OK;
    }
    int rc = installed_apps(c, ids, count);
    size_t n_except = 0;
    const char *const *except = NULL;
    for (size_t i = 0; !rc && inv->command->options[i].long_name; i++)
        if (!strcmp(inv->command->options[i].long_name, "except-component-ids"))
            except = cli_values(inv, "except-component-ids", &n_except);
    size_t kept = 0;
    for (size_t i = 0; !rc && i < *count; i++) {
        if (listed((*ids)[i], except, n_except))
            free((*ids)[i]);
        else
            (*ids)[kept++] = (*ids)[i];
    }
    if (!rc)
        *count = kept;
    return rc;
}

static void free_ids(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

static int run_delete(const struct cli_invocation *inv)
{
    struct devclient c;
    char **ids = NULL;
    size_t n = 0;
    int rc = open_device(inv, &c);
    if (!rc)
        rc = targets(inv, &c, &ids, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        char path[128];
        snprintf(path, sizeof path, "/app/image/%s", ids[i]);
        rc = send_json_request(&c, "DELETE", path, NULL, NULL);
        if (!rc)
            printf("Component '%s' deleted.\n", ids[i]);
    }
    if (!rc && n == 0)
        printf("No applications to delete.\n");
    free_ids(ids, n);
    devclient_close(&c);
    return rc;
}

/* ---- app ---------------------------------------------------------------------------------- */

static int app_each(const struct cli_invocation *inv, const char *method, const char *prefix, const char *body)
{
    struct devclient c;
    char **ids = NULL;
    size_t n = 0;
    int rc = open_device(inv, &c);
    if (!rc)
        rc = targets(inv, &c, &ids, &n);
    struct json_value *all = json_new_array();
    for (size_t i = 0; !rc && i < n; i++) {
        char path[128];
        struct json_value *j = NULL;
        snprintf(path, sizeof path, "%s/%s", prefix, ids[i]);
        rc = send_json_request(&c, method, path, body, &j);
        if (rc)
            break;
        if (inv->output == CLI_OUTPUT_JSON) {
            json_object_append(j, "componentId", json_new_string(ids[i]));
            json_array_append(all, j);
            continue;
        }
        if (json_object_get(j, "LimitKB"))
            printf("%s\n  %lld KB used of %lld KB\n", ids[i], (long long)json_object_get(j, "UsageKB")->u.number.integer,
                   (long long)json_object_get(j, "LimitKB")->u.number.integer);
        else if (json_object_get(j, "realTimeCore"))
            printf("%s\n  App state   : %s\n  Core        : Real-time core %lld\n", ids[i], str(j, "state"),
                   (long long)json_object_get(j, "realTimeCore")->u.number.integer);
        else
            printf("%s\n  App state   : %s\n", ids[i], str(j, "state"));
        const struct json_value *code = json_object_get(j, "lastExitCode"), *sig = json_object_get(j, "lastExitSignal");
        const struct json_value *restarts = json_object_get(j, "restarts");
        if (code)
            printf("  Last exit   : code %lld\n", (long long)code->u.number.integer);
        if (sig)
            printf("  Last exit   : signal %lld\n", (long long)sig->u.number.integer);
        if (restarts && restarts->u.number.integer)
            printf("  Restarts    : %lld\n", (long long)restarts->u.number.integer);
        const struct json_value *gdb = json_object_get(j, "gdbPort"); /* an RTApp started with --debug-mode */
        if (gdb && gdb->type == JSON_NUMBER)
            printf("  GDB port    : %lld (%s: target remote 127.0.0.1:%lld)\n", (long long)gdb->u.number.integer,
                   json_object_get(j, "realTimeCore") ? "gdb-multiarch" : "gdb", (long long)gdb->u.number.integer);
        const struct json_value *outp = json_object_get(j, "outPort"); /* a high-level app's output while debugging */
        if (outp && outp->type == JSON_NUMBER)
            printf("  Output port : %lld (the app's stdout/stderr: nc 127.0.0.1 %lld)\n", (long long)outp->u.number.integer,
                   (long long)outp->u.number.integer);
        const struct json_value *attached = json_object_get(j, "debuggerAttached"); /* a high-level app */
        if (attached && attached->type == JSON_BOOL)
            printf("  Debugger    : %s\n", attached->u.boolean ? "attached (gdbserver)" : "waiting for gdb to connect");
        const struct json_value *sysev = json_object_get(j, "sysevents"); /* SysEvent registration */
        const struct json_value *evs = json_object_get(sysev, "events");
        if (evs && evs->type == JSON_ARRAY) {
            printf("  SysEvents   :");
            for (size_t k = 0; k < evs->u.array.count; k++)
                if (evs->u.array.items[k]->type == JSON_STRING)
                    printf(" %s", evs->u.array.items[k]->u.string.chars);
            printf("\n");
        }
        const struct json_value *until = json_object_get(sysev, "deferredUntil"), *mins = json_object_get(sysev, "deferredMinutes");
        if (until && until->type == JSON_NUMBER && mins && mins->type == JSON_NUMBER) {
            time_t t = (time_t)until->u.number.integer;
            struct tm tm;
            char when[32];
            strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
            printf("  Deferral    : update deferred %lld minutes, until %s\n", (long long)mins->u.number.integer, when);
        }
        const struct json_value *conns = json_object_get(j, "connections"); /* inter-core partners */
        for (size_t k = 0; conns && conns->type == JSON_ARRAY && k < conns->u.array.count; k++)
            if (conns->u.array.items[k]->type == JSON_STRING)
                printf("  Connected to: %s\n", conns->u.array.items[k]->u.string.chars);
        json_free(j);
    }
    if (!rc && inv->output == CLI_OUTPUT_JSON)
        rc = print_json(all);
    else if (!rc && n == 0)
        printf("No applications are installed.\n");
    json_free(all);
    free_ids(ids, n);
    devclient_close(&c);
    return rc;
}

static int run_app_start(const struct cli_invocation *inv)
{
    return app_each(inv, "PATCH", "/app/status", cli_flag(inv, "debug-mode") ? "{\"trigger\":\"startDebug\"}" : "{\"trigger\":\"start\"}");
}
static int run_app_stop(const struct cli_invocation *inv) { return app_each(inv, "PATCH", "/app/status", "{\"trigger\":\"stop\"}"); }
static int run_app_status(const struct cli_invocation *inv) { return app_each(inv, "GET", "/app/status", NULL); }
static int run_app_quota(const struct cli_invocation *inv) { return app_each(inv, "GET", "/app/quota", NULL); }

static void print_memory_stats(const struct cli_invocation *inv, const struct json_value *j)
{
    const struct json_value *m = json_object_get(j, "memoryStats"), *apps = json_object_get(j, "apps");
    const struct json_value *cur = json_object_get(m, "currentMemoryUsageInBytes");
    const struct json_value *peak = json_object_get(m, "peakUserModeMemoryUsageInBytes");
    printf("Current memory usage:   %lld KB\nPeak user-mode usage:   %lld KB\n",
           cur ? (long long)cur->u.number.integer / 1024 : 0, peak ? (long long)peak->u.number.integer / 1024 : 0);
    for (size_t i = 0; apps && i < apps->u.array.count; i++)
        printf("  %s\n", str(apps->u.array.items[i], "componentId"));
}

static int run_memory_stats(const struct cli_invocation *inv)
{
    return show_resource(inv, "/stats/memory/groups/applications", print_memory_stats);
}

static volatile sig_atomic_t interrupted;
static void on_interrupt(int sig) { interrupted = 1; }

/* Prints the whole device log, page by page (the lines of one app with -i), then follows it with -f until
 * Ctrl-C. */
static int run_app_log(const struct cli_invocation *inv)
{
    struct devclient c;
    int rc = open_device(inv, &c);
    const char *only = cli_value(inv, "component-id");
    struct guid want;
    if (!rc && only && guid_parse(only, &want))
        rc = cli_error("'%s' is not a component ID", only);
    bool follow = cli_flag(inv, "follow");
    signal(SIGINT, on_interrupt);
    unsigned long long since = 0, end = 0;
    while (!rc) {
        char path[64];
        snprintf(path, sizeof path, "/sim/log?since=%llu", since);
        struct json_value *j = NULL;
        rc = get(&c, path, &j);
        const struct json_value *lines = json_object_get(j, "lines"), *next = json_object_get(j, "next");
        for (size_t i = 0; !rc && lines && i < lines->u.array.count; i++) {
            const struct json_value *l = lines->u.array.items[i];
            struct guid g;
            if (only && (guid_parse(str(l, "componentId"), &g) || !guid_equal(&g, &want)))
                continue;
            if (inv->output == CLI_OUTPUT_JSON) {
                struct strbuf sb = {0};
                json_write(l, JSON_COMPACT, &sb);
                printf("%s\n", strbuf_str(&sb));
                strbuf_free(&sb);
            } else {
                printf("%s %.8s %s%s\n", str(l, "time"), str(l, "componentId"),
                       strcmp(str(l, "source"), "runtime") ? "" : "[runtime] ", str(l, "text"));
            }
        }
        /* The device sends at most 1000 lines a page; without -f, read up to the line that was last
         * when the first page came (an app that logs without pause cannot keep us here). */
        bool more = lines && lines->u.array.count > 0;
        if (next && next->type == JSON_NUMBER)
            since = (unsigned long long)next->u.number.integer;
        if (!end && json_object_get(j, "last"))
            end = (unsigned long long)json_object_get(j, "last")->u.number.integer;
        if (!follow && since >= end)
            more = false;
        json_free(j);
        fflush(stdout);
        if (interrupted || rc)
            break;
        if (more)
            continue;
        if (!follow)
            break;
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
    devclient_close(&c);
    return rc;
}

/* ---- images, manufacturing state ---------------------------------------------------------- */

static const char *image_type_text(long long t)
{
    return t == IMGPKG_TYPE_APPLICATION ? "Application" : t == IMGPKG_TYPE_FIRMWARE_CONFIG ? "Firmware configuration"
           : t == IMGPKG_TYPE_BOARD_CONFIG ? "Board configuration" : "Other";
}

static void print_installed(const struct cli_invocation *inv, const struct json_value *j)
{
    bool full = cli_flag(inv, "full");
    const struct json_value *list = json_object_get(j, "components");
    printf("Installed images:\n");
    for (size_t i = 0; list && i < list->u.array.count; i++) {
        const struct json_value *comp = list->u.array.items[i];
        const struct json_value *type_value = json_object_get(comp, "image_type");
        long long type = type_value && type_value->type == JSON_NUMBER ? type_value->u.number.integer : -1;
        if (!full && type != IMGPKG_TYPE_APPLICATION)
            continue;
        const struct json_value *images = json_object_get(comp, "images");
        printf(" --> %s\n   --> Image type:   %s\n   --> Component ID: %s\n   --> Image ID:     %s\n", str(comp, "name"),
               image_type_text(type), str(comp, "uid"),
               images && images->u.array.count ? str(images->u.array.items[0], "uid") : "");
    }
}

static int run_list_installed(const struct cli_invocation *inv) { return show_resource(inv, "/images", print_installed); }

static void print_manufacturing_state(const struct cli_invocation *inv, const struct json_value *j)
{
    printf("Manufacturing state: %s\n", str(j, "manufacturingState"));
}

static int run_ms_show(const struct cli_invocation *inv)
{
    return show_resource(inv, "/device/manufacturing_state", print_manufacturing_state);
}

static int run_ms_update(const struct cli_invocation *inv)
{
    const char *state = cli_value(inv, "state");
    if (strcmp(state, "Module1Complete") && strcmp(state, "DeviceComplete"))
        return cli_error("--state must be Module1Complete or DeviceComplete, not '%s'", state);
    struct devclient c;
    int rc = open_device(inv, &c);
    char body[96];
    snprintf(body, sizeof body, "{\"manufacturingState\":\"%s\"}", state);
    if (!rc)
        rc = send_json_request(&c, "PUT", "/device/manufacturing_state", body, NULL);
    if (!rc)
        printf("Updating manufacturing state to %s.\nCaution: manufacturing state changes are permanent and irreversible.\n"
               "Successfully updated manufacturing state.\n", state);
    devclient_close(&c);
    return rc;
}

/* ---- capabilities ------------------------------------------------------------------------- */

static int capability_value(const char *type, uint8_t *out)
{
    if (!strcmp(type, "ApplicationDevelopment") || !strcmp(type, "appDevelopment"))
        *out = CAP_ENABLE_APP_DEVELOPMENT;
    else if (!strcmp(type, "FieldServicing") || !strcmp(type, "fieldServicing"))
        *out = CAP_ENABLE_FIELD_SERVICING;
    else
        return cli_error("unknown capability type '%s' (ApplicationDevelopment or FieldServicing)", type);
    return CLI_EXIT_OK;
}

/* Has the simulated security service sign a capability file for the device. */
static int download_capability(struct devclient *c, const uint8_t *caps, size_t n, uint8_t **out, size_t *len)
{
    struct json_value *j = NULL;
    int rc = get(c, "/device/security_state", &j);
    uint8_t id[DEVICE_ID_BYTES];
    struct signing_key *key = NULL;
    if (!rc && device_id_parse(str(j, "deviceIdentifier"), id))
        rc = cli_error("the device reported an invalid device ID");
    if (!rc && simhome_security_key(c->home, &key))
        rc = CLI_EXIT_FAILED;
    if (!rc && capfile_build(id, caps, n, key, out, len))
        rc = cli_error("cannot sign the capability file");
    signing_key_free(key);
    json_free(j);
    return rc;
}

/* Applies a capability file to the device (staged and installed as a FirmwareConfig image; the
 * file itself is presented as the request's authority). */
static int apply_capability(struct devclient *c, const uint8_t *cap, size_t len)
{
    struct devresponse r;
    int rc = devclient_request(c, "PUT", "/update/stage", "application/octet-stream", cap, len, cap, len, &r);
    if (!rc) {
        rc = devclient_check(&r);
        devresponse_free(&r);
    }
    if (!rc)
        rc = devclient_request(c, "POST", "/update/install", "application/json", "{}", 2, cap, len, &r);
    if (!rc) {
        rc = devclient_check(&r);
        devresponse_free(&r);
    }
    return rc;
}

static int run_cap_download(const struct cli_invocation *inv)
{
    size_t n = 0;
    const char *const *types = cli_values(inv, "type", &n);
    uint8_t caps[8];
    if (n > 8)
        return cli_error("at most 8 capability types");
    for (size_t i = 0; i < n; i++)
        if (capability_value(types[i], &caps[i]))
            return CLI_EXIT_FAILED;
    const char *out = cli_value(inv, "output-file") ? cli_value(inv, "output-file") : "capability-device.cap";
    struct devclient c;
    uint8_t *file = NULL;
    size_t len = 0;
    int rc = open_device(inv, &c);
    if (!rc)
        rc = download_capability(&c, caps, n, &file, &len);
    if (!rc) {
        int err = hostio_write_file_atomic(out, file, len, 0644);
        rc = err ? cli_error("cannot write %s: %s", out, os_strerror(err)) : CLI_EXIT_OK;
    }
    if (!rc)
        printf("Downloaded the device capability configuration for device '%s'.\nSaved it as '%s'.\n", c.name, out);
    free(file);
    devclient_close(&c);
    return rc;
}

static int run_cap_update(const struct cli_invocation *inv)
{
    const char *file = cli_value(inv, "capability-file");
    char *data = NULL;
    size_t len = 0;
    int err = hostio_read_file(file, &data, &len);
    if (err)
        return cli_error("cannot read %s: %s", file, os_strerror(err));
    struct devclient c;
    int rc = open_device(inv, &c);
    if (!rc)
        rc = apply_capability(&c, (const uint8_t *)data, len);
    if (!rc)
        printf("The device capability configuration has been updated. The device restarted.\n");
    free(data);
    devclient_close(&c);
    return rc;
}

static int run_cap_select(const struct cli_invocation *inv)
{
    const char *file = cli_value(inv, "capability-file");
    bool none = cli_flag(inv, "none");
    if (!file == !none)
        return cli_error("give either --capability-file FILE or --none");
    struct devclient c;
    int rc = open_device(inv, &c);
    char sel_dir[4096], sel[4200];
    snprintf(sel_dir, sizeof sel_dir, "%s/selected", c.home ? c.home : ".");
    snprintf(sel, sizeof sel, "%s/%s.cap", sel_dir, c.name ? c.name : "");
    if (!rc && none) {
        unlink(sel);
        printf("No capability file is selected for '%s'.\n", c.name);
    } else if (!rc) {
        char *data = NULL;
        size_t len = 0;
        int err = hostio_read_file(file, &data, &len);
        if (!err)
            err = hostio_make_dirs(sel_dir, 0700);
        if (!err)
            err = hostio_write_file_atomic(sel, data, len, 0600);
        free(data);
        rc = err ? cli_error("cannot select %s: %s", file, os_strerror(err)) : CLI_EXIT_OK;
        if (!rc)
            printf("Selected '%s' for device '%s': it is sent with every request until 'capability select --none'.\n",
                   file, c.name);
    }
    devclient_close(&c);
    return rc;
}

static void print_capabilities(const struct cli_invocation *inv, const struct json_value *j)
{
    const struct json_value *list = json_object_get(j, "device_capabilities");
    printf("Device capabilities:\n");
    if (!list || !list->u.array.count)
        printf("  (none)\n");
    for (size_t i = 0; list && i < list->u.array.count; i++) {
        const char *name = capfile_capability_name((uint8_t)list->u.array.items[i]->u.number.integer);
        printf("  %s\n", name ? name : "Unknown");
    }
}

static int run_cap_show(const struct cli_invocation *inv) { return show_resource(inv, "/device/capabilities", print_capabilities); }

static int run_enable_development(const struct cli_invocation *inv)
{
    struct devclient c;
    uint8_t cap = CAP_ENABLE_APP_DEVELOPMENT, *file = NULL;
    size_t len = 0;
    int rc = open_device(inv, &c);
    if (!rc)
        rc = download_capability(&c, &cap, 1, &file, &len);
    if (!rc)
        rc = apply_capability(&c, file, len);
    if (!rc)
        printf("Getting device capability configuration for application development.\n"
               "Successfully set up device '%s' for application development, and disabled application updates.\n",
               c.name);
    free(file);
    devclient_close(&c);
    return rc;
}

static int run_enable_cloud_test(const struct cli_invocation *inv)
{
    struct devclient c;
    char **ids = NULL;
    uint8_t *file = NULL;
    size_t n = 0, len = 0;
    int rc = open_device(inv, &c);
    if (!rc)
        rc = installed_apps(&c, &ids, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        char path[128];
        snprintf(path, sizeof path, "/app/image/%s", ids[i]);
        rc = send_json_request(&c, "DELETE", path, NULL, NULL);
        if (!rc)
            printf("Component '%s' deleted.\n", ids[i]);
    }
    if (!rc)
        rc = download_capability(&c, NULL, 0, &file, &len);
    if (!rc)
        rc = apply_capability(&c, file, len);
    if (!rc)
        printf("Successfully set up device '%s' for cloud testing: it now accepts only production-signed images.\n",
               c.name);
    free(file);
    free_ids(ids, n);
    devclient_close(&c);
    return rc;
}

/* ---- the command tree --------------------------------------------------------------------- */

static const struct cli_option only_device[] = {DEVICE_OPTION, END_OPTIONS};
static const struct cli_option deploy_options[] = {
    {"image-package", 'p', "FILE", false, true, "The image package to deploy."},
    {"manual-start", 'm', NULL, false, false, "Do not start the application after installing it."},
    {"force", 0, NULL, false, false, "Deploy even an image using Beta APIs this OS may no longer support."},
    DEVICE_OPTION, END_OPTIONS};
static const struct cli_option delete_options[] = {
    {"component-id", 'i', "CID", false, false, "Delete only this component (default: all applications)."},
    {"except-component-ids", 'e', "CID", true, false, "Keep these components."}, DEVICE_OPTION, END_OPTIONS};
static const struct cli_option app_options[] = {
    {"component-id", 'i', "CID", false, false, "Only this component (default: all applications)."}, DEVICE_OPTION,
    END_OPTIONS};
static const struct cli_option start_options[] = {
    {"component-id", 'i', "CID", false, false, "Only this component (default: all applications)."},
    {"debug-mode", 0, NULL, false, false, "Start for debugging."}, DEVICE_OPTION, END_OPTIONS};
static const struct cli_option log_options[] = {
    {"component-id", 'i', "CID", false, false, "Only this application's lines."},
    {"follow", 'f', NULL, false, false, "Keep printing new lines until Ctrl-C."}, DEVICE_OPTION, END_OPTIONS};
static const struct cli_option list_options[] = {
    {"full", 'f', NULL, false, false, "List every image, not only applications."}, DEVICE_OPTION, END_OPTIONS};
static const struct cli_option ms_options[] = {
    {"state", 's', "STATE", false, true, "Module1Complete or DeviceComplete (irreversible)."}, DEVICE_OPTION, END_OPTIONS};
static const struct cli_option download_options[] = {
    {"type", 0, "TYPE", true, false, "ApplicationDevelopment or FieldServicing (none: no capability)."},
    {"output-file", 0, "FILE", false, false, "Where to save it (default capability-device.cap)."}, DEVICE_OPTION,
    END_OPTIONS};
static const struct cli_option update_options[] = {
    {"capability-file", 0, "FILE", false, true, "The capability file to apply."}, DEVICE_OPTION, END_OPTIONS};
static const struct cli_option select_options[] = {
    {"capability-file", 0, "FILE", false, false, "Send this capability file with every request."},
    {"none", 0, NULL, false, false, "Stop sending one."}, DEVICE_OPTION, END_OPTIONS};

#define LEAF(var, cmd_name, text, opts, data, fn)                                                                      \
    static const struct cli_command var = {.name = cmd_name, .summary = text, .options = opts, .prints_data = data, .run = fn}

LEAF(show_attached, "show-attached", "Show the attached device's ID and connection.", only_device, true, run_show_attached);
LEAF(show_os, "show-os-version", "Show the OS version the device runs.", only_device, true, run_show_os_version);
LEAF(restart, "restart", "Restart the device.", only_device, false, run_restart);
LEAF(enable_dev, "enable-development", "Give the device the appDevelopment capability (SDK-signed apps, debugging).",
     only_device, false, run_enable_development);
LEAF(enable_cloud, "enable-cloud-test", "Remove sideloaded apps and capabilities: production-signed images only.",
     only_device, false, run_enable_cloud_test);
LEAF(deploy, "deploy", "Stage and install an image package.", deploy_options, false, run_deploy);
LEAF(sideload_delete, "delete", "Delete applications from the device.", delete_options, false, run_delete);
LEAF(app_start, "start", "Start applications.", start_options, true, run_app_start);
LEAF(app_stop, "stop", "Stop applications.", app_options, true, run_app_stop);
LEAF(app_status, "show-status", "Show applications' state.", app_options, true, run_app_status);
LEAF(app_quota, "show-quota", "Show applications' mutable storage use.", app_options, true, run_app_quota);
LEAF(app_memory, "show-memory-stats", "Show the memory the running applications use (appDevelopment).", only_device,
     true, run_memory_stats);
LEAF(app_log, "log", "Print the device log: apps' output and the runtime's events, with times.", log_options, true,
     run_app_log);
LEAF(list_installed, "list-installed", "List the images installed on the device.", list_options, true, run_list_installed);
LEAF(ms_show, "show", "Show the manufacturing state.", only_device, true, run_ms_show);
LEAF(ms_update, "update", "Move the manufacturing state forward (irreversible).", ms_options, false, run_ms_update);
LEAF(cap_download, "download", "Get a capability file for the device from the (simulated) security service.",
     download_options, false, run_cap_download);
LEAF(cap_update, "update", "Apply a capability file to the device.", update_options, false, run_cap_update);
LEAF(cap_select, "select", "Choose a capability file to present with every request (host side).", select_options,
     false, run_cap_select);
LEAF(cap_show, "show-attached", "Show the device's capabilities.", only_device, true, run_cap_show);

#define GROUP(var, group_name, text, ...)                                                                              \
    static const struct cli_command *const var##_children[] = {__VA_ARGS__, NULL};                                     \
    static const struct cli_command var = {.name = group_name, .summary = text, .subcommands = var##_children}

GROUP(sideload, "sideload", "Deploy and delete images.", &deploy, &sideload_delete);
GROUP(app, "app", "Start, stop and inspect applications.", &app_start, &app_stop, &app_status, &app_quota, &app_log, &app_memory);
GROUP(image, "image", "Inspect installed images.", &list_installed);
GROUP(manufacturing, "manufacturing-state", "Show or advance the manufacturing state.", &ms_show, &ms_update);
GROUP(capability, "capability", "Device capabilities.", &cap_download, &cap_update, &cap_select, &cap_show);

static const struct cli_command *const device_commands[] = {
    &show_attached, &show_os, &restart, &enable_dev, &enable_cloud, &sideload, &app, &image, &manufacturing,
    &capability, &cmd_device_network, &cmd_device_wifi, &cmd_device_certificate, &cmd_device_time, NULL};

const struct cli_command cmd_device = {
    .name = "device",
    .summary = "Work with a (simulated) device over its REST API.",
    .subcommands = device_commands,
};
