/* SPDX-License-Identifier: MIT */
/* cmd_ota.c — `sphere ota deploy|list|status|cancel|public-key` (and enroll, cmd_ota_enroll.c): external-MCU OTA deployments in
 * the cloud service (docs/ota.md). Arguments are checked here first, so a bad VERSION or FILE
 * is refused before anything is uploaded; the service checks everything again. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd_cloud.h"
#include "error.h"
#include "hostio.h"
#include "path.h"

#define MAX_FILE (64ull * 1024 * 1024)

static const char *const deployment_columns[] = {"id", "product", "deviceGroup", "version", "name", "size", "state"};
static const char *const deployment_headers[] = {"ID", "Product", "Group", "Version", "File", "Size", "State"};
static const char *const status_columns[] = {"deviceId", "desiredVersion", "status", "progress", "appliedVersion", "error", "updated"};
static const char *const status_headers[] = {"Device", "Desired", "Status", "Progress", "Applied", "Error", "Updated"};

/* A decimal integer in [min, max], the whole text. */
static bool parse_number(const char *text, unsigned long long min, unsigned long long max, unsigned long long *out)
{
    char *end = NULL;
    if (!text || text[0] < '0' || text[0] > '9')
        return false;
    errno = 0;
    *out = strtoull(text, &end, 10);
    return !errno && !*end && *out >= min && *out <= max;
}

/* "?product=…&group=…" parts, escaped, appended to sb. */
static int add_query(struct strbuf *sb, const char *key, const char *value)
{
    char *esc = cloudcli_escape(value);
    int err = esc ? strbuf_printf(sb, "%c%s=%s", strchr(strbuf_str(sb), '?') ? '&' : '?', key, esc) : -ENOMEM;
    free(esc);
    return err;
}

/* Checks FILE, VERSION and --days before the upload; prints and returns non-zero on a problem. */
static int check_deploy_args(const struct cli_invocation *inv, unsigned long long *version, unsigned long long *days)
{
    const char *file = cli_arg(inv, "FILE"), *v = cli_arg(inv, "VERSION"), *d = cli_value(inv, "days");
    struct stat st;
    if (!parse_number(v, 1, INT64_MAX, version))
        return cli_error("VERSION must be an integer greater than 0, not '%s'", v);
    if (!parse_number(d ? d : "365", 1, 3650, days))
        return cli_error("--days must be an integer from 1 to 3650, not '%s'", d);
    if (stat(file, &st) != 0)
        return cli_error("FILE '%s' cannot be read: %s", file, os_strerror(-errno));
    if (!S_ISREG(st.st_mode))
        return cli_error("FILE '%s' is not a regular file", file);
    if (st.st_size == 0)
        return cli_error("FILE '%s' is empty", file);
    if ((unsigned long long)st.st_size > MAX_FILE)
        return cli_error("FILE '%s' is larger than 64 MiB (%lld bytes)", file, (long long)st.st_size);
    return CLI_EXIT_OK;
}

static int run_deploy(const struct cli_invocation *inv)
{
    unsigned long long version = 0, days = 0;
    int rc = check_deploy_args(inv, &version, &days);
    if (rc)
        return rc;
    const char *file = cli_arg(inv, "FILE"), *container = cli_value(inv, "container");
    struct strbuf path = {0};
    char number[24];
    int err = strbuf_puts(&path, "/v1/ota/deployments");
    err = err ? err : add_query(&path, "product", cli_arg(inv, "PRODUCT"));
    err = err ? err : add_query(&path, "group", cli_arg(inv, "GROUP"));
    snprintf(number, sizeof number, "%llu", version);
    err = err ? err : add_query(&path, "version", number);
    snprintf(number, sizeof number, "%llu", days);
    err = err ? err : add_query(&path, "days", number);
    err = err ? err : add_query(&path, "container", container ? container : "ota");
    err = err ? err : add_query(&path, "name", path_basename(file));
    struct cloudclient c;
    rc = err ? cli_error("out of memory") : cloudcli_open(&c);
    if (rc) {
        strbuf_free(&path);
        return rc;
    }
    struct cloudresp resp;
    char why[512] = "";
    err = cloudclient_upload_file(&c, "POST", strbuf_str(&path), "application/octet-stream", file, &resp, why, sizeof why);
    if (err)
        rc = cli_error("%s", why[0] ? why : os_strerror(err));
    else if (resp.status != 201)
        rc = cli_error("%s (%s, HTTP %ld)", cloudresp_message(&resp), cloudresp_code(&resp), resp.status);
    else
        cloudcli_print(inv, resp.json, deployment_columns, deployment_headers, 7);
    if (!err)
        cloudresp_free(&resp);
    cloudclient_free(&c);
    strbuf_free(&path);
    return rc;
}

/* GETs path and prints it with `columns`; `decorate` may add computed fields first. */
static int get_and_print(const struct cli_invocation *inv, const char *path, const char *const *columns,
                         const char *const *headers, size_t n, void (*decorate)(struct json_value *))
{
    struct cloudclient c;
    struct cloudresp resp;
    int rc = cloudcli_open(&c);
    if (!rc && !(rc = cloudcli_call(&c, "GET", path, NULL, &resp))) {
        if (decorate && inv->output == CLI_OUTPUT_TABLE)
            decorate(resp.json);
        cloudcli_print(inv, resp.json, columns, headers, n);
        cloudresp_free(&resp);
    }
    cloudclient_free(&c);
    return rc;
}

static int run_list(const struct cli_invocation *inv)
{
    struct strbuf path = {0};
    int err = strbuf_puts(&path, "/v1/ota/deployments");
    if (!err && cli_value(inv, "product"))
        err = add_query(&path, "product", cli_value(inv, "product"));
    if (!err && cli_value(inv, "group"))
        err = add_query(&path, "group", cli_value(inv, "group"));
    int rc = err ? cli_error("out of memory")
                 : get_and_print(inv, strbuf_str(&path), deployment_columns, deployment_headers, 7, NULL);
    strbuf_free(&path);
    return rc;
}

static bool is_number(const struct json_value *v) { return v && v->type == JSON_NUMBER && v->u.number.is_integer; }

/* Adds "progress": "bytesDone/size" (or "bytesDone/?") to each status row, for the table. */
static void add_progress(struct json_value *rows)
{
    for (size_t i = 0; rows && rows->type == JSON_ARRAY && i < rows->u.array.count; i++) {
        struct json_value *row = rows->u.array.items[i];
        const struct json_value *done = json_object_get(row, "bytesDone"), *size = json_object_get(row, "size");
        char text[96] = "";
        if (is_number(done) && is_number(size) && size->u.number.integer > 0) {
            int64_t pct = done->u.number.integer * 100 / size->u.number.integer;
            char bar[22];
            int cells = (int)(pct / 5 > 20 ? 20 : pct / 5);
            for (int k = 0; k < 20; k++)
                bar[k] = k < cells ? '#' : '-';
            bar[20] = '\0';
            snprintf(text, sizeof text, "[%s] %3d%% %" PRId64 "/%" PRId64, bar, (int)pct, done->u.number.integer,
                     size->u.number.integer);
        } else if (is_number(done) && is_number(size))
            snprintf(text, sizeof text, "%" PRId64 "/%" PRId64, done->u.number.integer, size->u.number.integer);
        else if (is_number(done))
            snprintf(text, sizeof text, "%" PRId64 "/?", done->u.number.integer);
        json_object_append(row, "progress", json_new_string(text));
    }
}

static int run_status(const struct cli_invocation *inv)
{
    struct strbuf path = {0};
    int err = strbuf_puts(&path, "/v1/ota/status");
    err = err ? err : add_query(&path, "product", cli_arg(inv, "PRODUCT"));
    err = err ? err : add_query(&path, "group", cli_arg(inv, "GROUP"));
    int rc = err ? cli_error("out of memory") : get_and_print(inv, strbuf_str(&path), status_columns, status_headers, 7, add_progress);
    strbuf_free(&path);
    return rc;
}

static int run_cancel(const struct cli_invocation *inv)
{
    char *esc = cloudcli_escape(cli_arg(inv, "ID")), path[256];
    snprintf(path, sizeof path, "/v1/ota/deployments/%s/cancel", esc ? esc : "");
    free(esc);
    struct cloudclient c;
    struct cloudresp resp;
    int rc = cloudcli_open(&c);
    if (!rc && !(rc = cloudcli_call(&c, "POST", path, NULL, &resp))) {
        cloudcli_print(inv, resp.json, deployment_columns, deployment_headers, 7);
        cloudresp_free(&resp);
    }
    cloudclient_free(&c);
    return rc;
}

static int run_public_key(const struct cli_invocation *inv)
{
    const char *out = cli_value(inv, "out");
    struct cloudclient c;
    struct cloudresp resp;
    int rc = cloudcli_open(&c);
    if (!rc && !(rc = cloudcli_call(&c, "GET", "/v1/ota/public-key", NULL, &resp))) {
        int err = out ? hostio_write_file_atomic(out, resp.body.data, resp.body.len, 0644) : 0;
        if (err)
            rc = cli_error("cannot write %s: %s", out, os_strerror(err));
        else if (!out)
            fwrite(resp.body.data, 1, resp.body.len, stdout);
        else
            printf("Wrote the OTA signing public key to %s.\n", out);
        cloudresp_free(&resp);
    }
    cloudclient_free(&c);
    return rc;
}

static const struct cli_option deploy_options[] = {
    {"container", 'c', "NAME", false, false, "Storage container: the file goes to DATA/ota/NAME/VERSION/ (default ota)."},
    {"days", 'd', "DAYS", false, false, "How long the deployment and its download URLs stay valid (default 365)."},
    {NULL, 0, NULL, false, false, NULL},
};
static const struct cli_option list_options[] = {
    {"product", 0, "NAME", false, false, "Only this product's deployments."},
    {"group", 0, "NAME", false, false, "Only this device group's deployments."},
    {NULL, 0, NULL, false, false, NULL},
};
static const struct cli_option key_options[] = {
    {"out", 0, "FILE", false, false, "Write the PEM public key to FILE (default: standard output)."},
    {NULL, 0, NULL, false, false, NULL},
};
static const struct cli_option no_options[] = {{NULL, 0, NULL, false, false, NULL}};

static const struct cli_command deploy = {
    .name = "deploy",
    .summary = "Deploy FILE as VERSION to the devices tagged productType=PRODUCT and deviceGroup=GROUP.",
    .options = deploy_options,
    .positionals = CLI_POSITIONALS({"FILE", false}, {"VERSION", false}, {"PRODUCT", false}, {"GROUP", false}),
    .prints_data = true,
    .details = "VERSION is an integer greater than every version ever deployed to PRODUCT/GROUP (cancelled ones\n"
               "included). FILE (at most 64 MiB) is uploaded, signed with the service's OTA key and kept\n"
               "unchangeable. A device's desired version is the highest active deployment its tags match.",
    .run = run_deploy,
};
static const struct cli_command list = {.name = "list", .summary = "List OTA deployments (newest version first).",
                                        .options = list_options, .prints_data = true, .run = run_list};
static const struct cli_command status = {
    .name = "status", .summary = "Per-device OTA state of PRODUCT/GROUP: desired and applied versions, progress.",
    .options = no_options, .positionals = CLI_POSITIONALS({"PRODUCT", false}, {"GROUP", false}), .prints_data = true,
    .run = run_status};
static const struct cli_command cancel = {
    .name = "cancel", .summary = "Cancel a deployment: its devices fall back to the next-highest version.",
    .options = no_options, .positionals = CLI_POSITIONALS({"ID", false}), .prints_data = true, .run = run_cancel};
static const struct cli_command public_key = {.name = "public-key",
                                              .summary = "The public key devices verify OTA image signatures with.",
                                              .options = key_options, .run = run_public_key};
extern const struct cli_command cmd_ota_enroll;
static const struct cli_command *const ota_commands[] = {&deploy, &list, &status, &cancel, &public_key, &cmd_ota_enroll, NULL};
const struct cli_command cmd_ota = {.name = "ota", .summary = "External-MCU firmware updates over the air (sphere login first).",
                                    .subcommands = ota_commands};
