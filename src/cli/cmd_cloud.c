/* SPDX-License-Identifier: MIT */
/* cmd_cloud.c — `sphere cloud serve` (the cloud service), `sphere login`, and the helpers every
 * cloud command uses (cmd_cloud.h). */
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cloudagent.h"
#include "cmd_cloud.h"
#include "commands.h"
#include "error.h"
#include "hostio.h"
#include "path.h"
#include "simhome.h"

/* ---- helpers ------------------------------------------------------------------------------ */

int cloudcli_open(struct cloudclient *c)
{
    int err = cloudclient_load_login(c);
    if (err == -ENOENT)
        return cli_error("not logged in to a cloud; run 'sphere login --cloud URL --token TOKEN' first");
    if (err)
        return cli_error("cannot read the cloud login: %s", os_strerror(err));
    c->progress = true;
    return CLI_EXIT_OK;
}

int cloudcli_call_raw(struct cloudclient *c, const char *method, const char *path, const char *type, const void *body,
                      size_t len, struct cloudresp *out)
{
    char why[512] = "";
    int err = cloudclient_request(c, method, path, type, body, len, out, why, sizeof why);
    if (err)
        return cli_error("%s", why[0] ? why : os_strerror(err));
    if (out->status >= 200 && out->status < 300)
        return CLI_EXIT_OK;
    cli_error("%s (%s, HTTP %ld)", cloudresp_message(out), cloudresp_code(out), out->status);
    cloudresp_free(out);
    return CLI_EXIT_FAILED;
}

int cloudcli_call(struct cloudclient *c, const char *method, const char *path, const struct json_value *body,
                  struct cloudresp *out)
{
    struct strbuf sb = {0};
    if (body && json_write(body, JSON_COMPACT, &sb))
        return cli_error("out of memory");
    int rc = cloudcli_call_raw(c, method, path, body ? "application/json" : NULL, sb.data, sb.len, out);
    strbuf_free(&sb);
    return rc;
}

/* Columns that hold a time (seconds since the epoch): tables show them as ISO 8601 in local time;
 * -o json keeps the number. */
static bool is_time_column(const char *key)
{
    static const char *const keys[] = {"created", "updated", "uploaded", "lastCheckIn", "at", "expires",
                                       "desiredUpdated", "reportedUpdated"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(key, keys[i]))
            return true;
    return false;
}

static void time_text(const struct json_value *v, struct strbuf *out)
{
    time_t t = (time_t)v->u.number.integer;
    struct tm tm;
    char text[40];
    if (localtime_r(&t, &tm) && strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S%z", &tm))
        strbuf_puts(out, text);
}

static void cell_text(const struct json_value *v, struct strbuf *out)
{
    if (!v || v->type == JSON_NULL)
        strbuf_puts(out, "");
    else if (v->type == JSON_STRING)
        strbuf_puts(out, v->u.string.chars);
    else if (v->type == JSON_ARRAY)
        for (size_t i = 0; i < v->u.array.count; i++) {
            if (i)
                strbuf_putc(out, ',');
            cell_text(v->u.array.items[i], out);
        }
    else
        json_write(v, JSON_COMPACT, out);
}

void cloudcli_print(const struct cli_invocation *inv, const struct json_value *v, const char *const *columns,
                    const char *const *headers, size_t ncolumns)
{
    if (inv->output == CLI_OUTPUT_JSON) {
        struct strbuf sb = {0};
        if (!json_write(v, JSON_PRETTY, &sb))
            printf("%s\n", strbuf_str(&sb));
        strbuf_free(&sb);
        return;
    }
    struct cli_table t;
    cli_table_init(&t, ncolumns);
    t.cells = calloc(ncolumns, sizeof *t.cells);
    for (size_t k = 0; t.cells && k < ncolumns; k++)
        t.cells[k] = strdup(headers[k]);
    t.rows = 1;
    size_t n = v->type == JSON_ARRAY ? v->u.array.count : 1;
    for (size_t i = 0; i < n; i++) {
        const struct json_value *row = v->type == JSON_ARRAY ? v->u.array.items[i] : v;
        char **grown = realloc(t.cells, (t.rows + 1) * ncolumns * sizeof *t.cells);
        if (!grown)
            break;
        t.cells = grown;
        for (size_t k = 0; k < ncolumns; k++) {
            struct strbuf sb = {0};
            const struct json_value *cell = json_object_get(row, columns[k]);
            if (cell && cell->type == JSON_NUMBER && cell->u.number.is_integer && cell->u.number.integer > 0 &&
                is_time_column(columns[k]))
                time_text(cell, &sb);
            else
                cell_text(cell, &sb);
            t.cells[t.rows * ncolumns + k] = sb.data ? strbuf_detach(&sb) : strdup("");
        }
        t.rows++;
    }
    cli_table_print(&t, stdout);
    cli_table_free(&t);
}

char *cloudcli_escape(const char *segment)
{
    char *e = curl_easy_escape(NULL, segment, 0), *copy = e ? strdup(e) : NULL;
    curl_free(e);
    return copy;
}

/* When the cloud has an MQTT broker, the device's credentials go to <state>/cloud/mqtt.json (0600):
 * its cloud agent then listens for `device update-now` (docs/rollouts.md). Without a broker (409
 * mqtt-not-configured) or on any failure the device simply has no commands channel. */
static void store_mqtt_credentials(const struct cloudclient *c, const char *state_dir, const char *device_id)
{
    char path[256], why[256];
    snprintf(path, sizeof path, "/v1/devices/%s/mqtt-credentials", device_id);
    struct cloudresp resp;
    if (cloudclient_request(c, "POST", path, NULL, NULL, 0, &resp, why, sizeof why) != 0)
        return;
    char *dir = resp.status == 201 ? path_join(state_dir, "cloud") : NULL, *file = dir ? path_join(dir, "mqtt.json") : NULL;
    if (file)
        hostio_write_file_atomic(file, resp.body.data, resp.body.len, 0600);
    free(dir), free(file);
    cloudresp_free(&resp);
}

int cloudcli_provision_sim(const char *state_dir, const char *device_id, const char *url, const char *ca_file)
{
    struct cloudclient c;
    int rc = cloudcli_open(&c);
    if (rc)
        return rc;
    free(c.url);
    c.url = strdup(url);
    size_t n = c.url ? strlen(c.url) : 0;
    while (n && c.url[n - 1] == '/')
        c.url[--n] = '\0';
    if (ca_file) {
        free(c.ca_file);
        c.ca_file = strdup(ca_file);
    }
    char path[256];
    snprintf(path, sizeof path, "/v1/devices/%s/token", device_id);
    struct cloudresp resp;
    rc = c.url ? cloudcli_call(&c, "POST", path, NULL, &resp) : cli_error("out of memory");
    if (!rc) {
        const struct json_value *t = json_object_get(resp.json, "token");
        int err = t && t->type == JSON_STRING ? cloudagent_configure(state_dir, c.url, t->u.string.chars, c.ca_file) : -EPROTO;
        if (err)
            rc = cli_error("cannot store the device's cloud settings: %s", os_strerror(err));
        cloudresp_free(&resp);
    }
    if (!rc)
        store_mqtt_credentials(&c, state_dir, device_id);
    cloudclient_free(&c);
    return rc;
}

/* ---- sphere cloud serve ------------------------------------------------------------------- */

int cloudcli_exec_daemon(const struct cli_invocation *inv, const char *mode, const char *const *passed, size_t npassed)
{
    char *home = simhome_dir();
    if (!home || simhome_ensure_keys(home)) {
        free(home);
        return CLI_EXIT_FAILED;
    }
    char *daemon = cli_sibling_exe("sphere-cloud");
    const char *args[64];
    static char flags[16][24];
    size_t a = 0;
    args[a++] = "sphere-cloud";
    if (mode)
        args[a++] = mode;
    args[a++] = "--data", args[a++] = cli_value(inv, "data");
    args[a++] = "--keys", args[a++] = cli_value(inv, "keys") ? cli_value(inv, "keys") : home;
    for (size_t i = 0; i < npassed && i < 16; i++)
        if (cli_value(inv, passed[i])) {
            snprintf(flags[i], sizeof flags[i], "--%s", passed[i]);
            args[a++] = flags[i], args[a++] = cli_value(inv, passed[i]);
        }
    size_t nt = 0;
    const char *const *tenants = cli_values(inv, "tenant", &nt);
    for (size_t i = 0; i < nt && a < 60; i++)
        args[a++] = "--tenant", args[a++] = tenants[i];
    args[a] = NULL;
    if (daemon)
        execv(daemon, (char *const *)args);
    int rc = cli_error("cannot run %s: %s", daemon ? daemon : "sphere-cloud", os_strerror(-errno));
    free(daemon), free(home);
    return rc;
}

static int run_serve(const struct cli_invocation *inv)
{
    static const char *const passed[] = {"listen", "db", "tls-key", "tls-cert", "ota-base-url", "mqtt-broker", "iot-listen", "iot-hub-host",
                                         "mqtt-device-listen", "mqtt-passwords", "device-token-fallback"};
    return cloudcli_exec_daemon(inv, NULL, passed, sizeof passed / sizeof passed[0]);
}

/* ---- sphere login ------------------------------------------------------------------------- */

static int run_login(const struct cli_invocation *inv)
{
    const char *url = cli_value(inv, "cloud"), *token = cli_value(inv, "token"), *file = cli_value(inv, "token-file");
    const char *ca = cli_value(inv, "ca-cert");
    char *text = NULL;
    size_t len = 0;
    if (!token && !file)
        return cli_error("give --token TOKEN or --token-file FILE (the server writes its first user's token to "
                         "DATA/tokens/<tenant>.token)");
    if (file) {
        int err = hostio_read_file(file, &text, &len);
        if (err)
            return cli_error("cannot read %s: %s", file, os_strerror(err));
        while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
            text[--len] = '\0';
        token = text;
    }
    struct cloudclient c = {.url = strdup(url), .token = strdup(token), .ca_file = ca ? strdup(ca) : NULL};
    size_t n = c.url ? strlen(c.url) : 0;
    while (n && c.url[n - 1] == '/')
        c.url[--n] = '\0';
    struct cloudresp resp;
    int rc = cloudcli_call(&c, "GET", "/v1/whoami", NULL, &resp);
    if (!rc) {
        int err = cloudclient_save_login(c.url, c.token, ca);
        const struct json_value *tenant = json_object_get(resp.json, "tenant");
        if (err)
            rc = cli_error("cannot save the login: %s", os_strerror(err));
        else
            printf("Logged in to %s (tenant '%s').\n", c.url, tenant && tenant->type == JSON_STRING ? tenant->u.string.chars : "?");
        cloudresp_free(&resp);
    }
    cloudclient_free(&c);
    free(text);
    return rc;
}

static const struct cli_option serve_options[] = {
    {"data", 0, "DIR", false, true, "The service's data folder (SQLite database, image blobs, TLS certificate)."},
    {"listen", 0, "ADDR:PORT", false, false, "Where to listen (default 127.0.0.1 and a free port)."},
    {"db", 0, "URL", false, false, "postgresql://... to keep the fleet in PostgreSQL instead of SQLite."},
    {"tenant", 0, "NAME", true, false, "A tenant to serve (default: one called 'default')."},
    {"tls-key", 0, "FILE", false, false, "TLS private key (default: a self-signed one in DIR)."},
    {"tls-cert", 0, "FILE", false, false, "TLS certificate."},
    {"keys", 0, "DIR", false, false, "Folder with the production, security-service and OTA signing keys (default $OPENSPHERE_HOME)."},
    {"ota-base-url", 0, "URL", false, false, "Where devices download OTA files (e.g. an nginx in front; default: this service)."},
    {"mqtt-broker", 0, "HOST:PORT", false, false, "A running MQTT broker for the device twin (default: run mosquitto from DIR/mqtt, if there)."},
    {"iot-listen", 0, "ADDR:PORT", false, false, "Run the IoT Hub and DPS stand-in: devices connect here with their certificates (docs/iot.md)."},
    {"mqtt-device-listen", 0, "ADDR:PORT", false, false, "The twin broker's device listener: devices log in with their certificates (docs/twin.md)."},
    {"mqtt-passwords", 0, "on|off", false, false, "Device password logins to the twin broker (default: off with --mqtt-device-listen, else on)."},
    {"device-token-fallback", 0, "on|off", false, false, "on: a device whose certificate is on record may still use its token alone (default off)."},
    {"iot-hub-host", 0, "NAME", false, false, "The IoT Hub host name DPS assigns (default " "opensphere-hub.azure-devices.net)."},
    {NULL, 0, NULL, false, false, NULL},
};
static const struct cli_command serve = {.name = "serve", .summary = "Run the cloud service (in the foreground).",
                                         .options = serve_options, .run = run_serve};
static const struct cli_command *const cloud_commands[] = {&serve, &cmd_cloud_init, &cmd_cloud_clean, NULL};
const struct cli_command cmd_cloud = {.name = "cloud", .summary = "The OpenSphere cloud service.", .subcommands = cloud_commands};

static const struct cli_option login_options[] = {
    {"cloud", 0, "URL", false, true, "The cloud service (https://ADDR:PORT)."},
    {"token", 0, "TOKEN", false, false, "Your API token."},
    {"token-file", 0, "FILE", false, false, "A file holding your API token."},
    {"ca-cert", 0, "FILE", false, false, "The service's certificate, when it is self-signed (DATA/tls.cert.pem)."},
    {NULL, 0, NULL, false, false, NULL},
};
const struct cli_command cmd_login = {.name = "login", .summary = "Log in to a cloud service (keeps the token in your config, mode 0600).",
                                      .options = login_options, .run = run_login};
