/* SPDX-License-Identifier: MIT */
/* cmd_device_twin.c — `sphere device twin show -d ID [-o json]` (the device's desired and
 * reported state in the cloud) and `sphere device twin credentials -d ID [--out FILE]` (a new
 * MQTT password for the device; the old one stops working). docs/twin.md.
 * The answer of credentials holds a secret: with --out it goes to FILE, mode 0600, only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_cloud.h"
#include "commands.h"
#include "error.h"
#include "hostio.h"

static int call(const char *method, const char *id, const char *suffix, struct cloudresp *resp)
{
    struct cloudclient c;
    int rc = cloudcli_open(&c);
    if (rc)
        return rc;
    char *esc = cloudcli_escape(id), path[512];
    snprintf(path, sizeof path, "/v1/devices/%s%s", esc ? esc : "", suffix);
    rc = esc ? cloudcli_call(&c, method, path, NULL, resp) : cli_error("out of memory");
    free(esc);
    cloudclient_free(&c);
    return rc;
}

static void print_part(const char *title, const struct json_value *v, const struct json_value *when)
{
    struct strbuf sb = {0};
    if (v && v->type != JSON_NULL)
        json_write(v, JSON_PRETTY, &sb);
    printf("%s", title);
    if (when && when->type == JSON_NUMBER && when->u.number.is_integer)
        printf(" (updated %lld)", (long long)when->u.number.integer);
    printf(":\n%s\n", sb.data ? strbuf_str(&sb) : "  (none)");
    strbuf_free(&sb);
}

static int run_show(const struct cli_invocation *inv)
{
    struct cloudresp resp;
    int rc = call("GET", cli_value(inv, "device-id"), "/twin", &resp);
    if (rc)
        return rc;
    if (inv->output == CLI_OUTPUT_JSON) {
        cloudcli_print(inv, resp.json, NULL, NULL, 0);
    } else {
        const struct json_value *id = json_object_get(resp.json, "deviceId");
        printf("Device %s\n", id && id->type == JSON_STRING ? id->u.string.chars : "?");
        print_part("Desired", json_object_get(resp.json, "desired"), json_object_get(resp.json, "desiredUpdated"));
        print_part("Reported", json_object_get(resp.json, "reported"), json_object_get(resp.json, "reportedUpdated"));
    }
    cloudresp_free(&resp);
    return CLI_EXIT_OK;
}

static int run_credentials(const struct cli_invocation *inv)
{
    struct cloudresp resp;
    int rc = call("POST", cli_value(inv, "device-id"), "/mqtt-credentials", &resp);
    if (rc)
        return rc;
    struct strbuf sb = {0};
    const char *out = cli_value(inv, "out");
    if (json_write(resp.json, JSON_PRETTY, &sb) || strbuf_puts(&sb, "\n")) {
        rc = cli_error("out of memory");
    } else if (out) {
        int err = hostio_write_file_atomic(out, sb.data, sb.len, 0600);
        if (err)
            rc = cli_error("cannot write %s: %s", out, os_strerror(err));
        else
            printf("Saved the device's MQTT credentials to %s (mode 0600). The previous password no longer works.\n", out);
        const struct json_value *note = json_object_get(resp.json, "note");
        if (!err && note && note->type == JSON_STRING)
            printf("Note: %s\n", note->u.string.chars);
    } else {
        fputs(strbuf_str(&sb), stdout);
    }
    strbuf_free(&sb);
    cloudresp_free(&resp);
    return rc;
}

#define ID_OPTION {"device-id", 'd', "ID", false, true, "The device ID (128 hex digits)."}
static const struct cli_option show_options[] = {ID_OPTION, {NULL, 0, NULL, false, false, NULL}};
static const struct cli_option cred_options[] = {
    ID_OPTION,
    {"out", 0, "FILE", false, false, "Write the credentials (JSON) to FILE, mode 0600, instead of printing them."},
    {NULL, 0, NULL, false, false, NULL}};
static const struct cli_command show = {.name = "show", .summary = "Show a device's desired and reported state.",
                                        .options = show_options, .prints_data = true, .run = run_show};
static const struct cli_command credentials = {
    .name = "credentials", .summary = "Issue new MQTT credentials for a device (the old password stops working).",
    .options = cred_options, .run = run_credentials};
static const struct cli_command *const twin_children[] = {&show, &credentials, NULL};
const struct cli_command cmd_device_twin = {.name = "twin", .summary = "The device twin: desired and reported state over MQTT.",
                                            .subcommands = twin_children};
