/* SPDX-License-Identifier: MIT */
/* cmd_device_cloud.c — the cloud's device commands: `sphere device claim|list|show|assign|update`
 * and `sphere device capability download --device-id ID` (from the cloud's security service).
 *
 * cmd_device.c owns `sphere device`; cmd_device_with_cloud is that group with these commands
 * added and `capability download` extended (without --device-id it runs cmd_device.c's own
 * download from the simulated security service). The merged tree is assembled once at start-up
 * from cmd_device's subcommands, so commands added there appear here too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_cloud.h"
#include "commands.h"
#include "error.h"
#include "hostio.h"

static const char *const columns[] = {"deviceId", "product", "deviceGroup", "tags", "lastCheckIn"};
static const char *const headers[] = {"Device ID", "Product", "Device group", "Tags", "Last check-in"};

/* Sends METHOD /v1/devices[/ID]SUFFIX and prints the answer. */
static int call_print(const struct cli_invocation *inv, const char *method, const char *id, const char *suffix,
                      struct json_value *body)
{
    struct cloudclient c;
    int rc = cloudcli_open(&c);
    char *esc = id ? cloudcli_escape(id) : NULL, path[512];
    snprintf(path, sizeof path, "/v1/devices%s%s%s", esc ? "/" : "", esc ? esc : "", suffix);
    struct cloudresp resp;
    if (!rc && !(rc = cloudcli_call(&c, method, path, body, &resp))) {
        cloudcli_print(inv, resp.json, columns, headers, 5);
        cloudresp_free(&resp);
    }
    free(esc);
    json_free(body);
    cloudclient_free(&c);
    return rc;
}

static struct json_value *group_body(const struct cli_invocation *inv)
{
    struct json_value *body = json_new_object();
    if (cli_value(inv, "device-group"))
        json_object_append(body, "deviceGroup", json_new_string(cli_value(inv, "device-group")));
    return body;
}

static int run_claim(const struct cli_invocation *inv)
{
    if (inv->output != CLI_OUTPUT_JSON)
        printf("Claiming device %.16s... (claiming is permanent: the device cannot be moved to another tenant).\n",
               cli_value(inv, "device-id"));
    return call_print(inv, "POST", cli_value(inv, "device-id"), "/claim", group_body(inv));
}

static int run_list(const struct cli_invocation *inv) { return call_print(inv, "GET", NULL, "", NULL); }
static int run_show(const struct cli_invocation *inv) { return call_print(inv, "GET", cli_value(inv, "device-id"), "", NULL); }

static int run_assign(const struct cli_invocation *inv)
{
    return call_print(inv, "PATCH", cli_value(inv, "device-id"), "", group_body(inv));
}

static int run_update(const struct cli_invocation *inv)
{
    struct json_value *body = group_body(inv);
    size_t n = 0;
    const char *const *tags = cli_values(inv, "tag", &n);
    if (cli_flag(inv, "no-tags") || n) {
        struct json_value *list = json_new_array();
        for (size_t i = 0; i < n; i++)
            json_array_append(list, json_new_string(tags[i]));
        json_object_append(body, "tags", list);
    }
    return call_print(inv, "PATCH", cli_value(inv, "device-id"), "", body);
}

/* ---- capability download ------------------------------------------------------------------ */

static int (*local_download)(const struct cli_invocation *inv);

static int run_cap_download(const struct cli_invocation *inv)
{
    const char *id = cli_value(inv, "device-id");
    if (!id)
        return local_download ? local_download(inv) : cli_error("give --device-id ID");
    struct cloudclient c;
    int rc = cloudcli_open(&c);
    size_t n = 0;
    const char *const *types = cli_values(inv, "type", &n);
    struct json_value *body = json_new_object(), *list = json_new_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(list, json_new_string(types[i]));
    json_object_append(body, "types", list);
    char *esc = cloudcli_escape(id), path[512];
    snprintf(path, sizeof path, "/v1/devices/%s/capabilities", esc ? esc : "");
    const char *out = cli_value(inv, "output-file") ? cli_value(inv, "output-file") : "capability-device.cap";
    struct cloudresp resp;
    if (!rc && !(rc = cloudcli_call(&c, "POST", path, body, &resp))) {
        int err = hostio_write_file_atomic(out, resp.body.data, resp.body.len, 0644);
        if (err)
            rc = cli_error("cannot write %s: %s", out, os_strerror(err));
        else
            printf("Downloaded the device capability configuration for device '%.16s...' from the cloud.\nSaved it as '%s'.\n",
                   id, out);
        cloudresp_free(&resp);
    }
    free(esc);
    json_free(body);
    cloudclient_free(&c);
    return rc;
}

/* ---- the merged `sphere device` ----------------------------------------------------------- */

#define END {NULL, 0, NULL, false, false, NULL}
#define ID_OPTION {"device-id", 0, "ID", false, true, "The device ID (128 hex digits)."}
static const struct cli_option claim_options[] = {
    ID_OPTION, {"device-group", 'g', "GROUP", false, false, "Assign it to this group (ID or PRODUCT/GROUP)."}, END};
static const struct cli_option id_options[] = {ID_OPTION, END};
static const struct cli_option no_options[] = {END};
static const struct cli_option assign_options[] = {
    ID_OPTION, {"device-group", 'g', "GROUP", false, true, "The group (ID or PRODUCT/GROUP)."}, END};
static const struct cli_option update_options[] = {
    ID_OPTION,
    {"device-group", 'g', "GROUP", false, false, "Move it to this group (ID or PRODUCT/GROUP)."},
    {"tag", 't', "TAG", true, false, "The device's tags (replace the old ones)."},
    {"no-tags", 0, NULL, false, false, "Remove all tags."},
    END};
static const struct cli_option cap_options[] = {
    {"type", 0, "TYPE", true, false, "appDevelopment (ApplicationDevelopment) or fieldServicing (none: no capability)."},
    {"output-file", 0, "FILE", false, false, "Where to save it (default capability-device.cap)."},
    {"device", 'd', "NAME", false, false, "The simulated device (without --device-id: the simulated security service)."},
    {"device-id", 0, "ID", false, false, "Get it from the cloud for this claimed device."},
    END};

#define LEAF(var, cmd_name, text, opts, fn)                                                                            \
    static const struct cli_command var = {.name = cmd_name, .summary = text, .options = opts, .prints_data = true, .run = fn}
LEAF(claim, "claim", "Claim a device for your tenant (permanent).", claim_options, run_claim);
LEAF(list, "list", "List the tenant's claimed devices.", no_options, run_list);
LEAF(show, "show", "Show a claimed device: group, tags, what it reported, its last update result.", id_options, run_show);
LEAF(assign, "assign", "Assign a claimed device to a device group.", assign_options, run_assign);
LEAF(update, "update", "Change a claimed device's group or tags.", update_options, run_update);
static struct cli_command cap_download = {.name = "download", .summary = "Get a capability file for a device.",
                                          .options = cap_options, .run = run_cap_download};

static const struct cli_command *device_children[48];
static const struct cli_command *capability_children[16];
static struct cli_command capability_group;

const struct cli_command cmd_device_with_cloud = {
    .name = "device", .summary = "Attached (simulated) devices, and devices in the cloud.", .subcommands = device_children};

/* Copies cmd_device's tree, extending `capability download` and adding the cloud commands. */
__attribute__((constructor)) static void merge(void)
{
    size_t n = 0;
    for (const struct cli_command *const *c = cmd_device.subcommands; *c && n < 40; c++) {
        if (strcmp((*c)->name, "capability") != 0) {
            device_children[n++] = *c;
            continue;
        }
        capability_group = **c;
        size_t k = 0;
        for (const struct cli_command *const *s = (*c)->subcommands; *s && k < 15; s++) {
            if (!strcmp((*s)->name, "download")) {
                local_download = (*s)->run;
                cap_download.summary = (*s)->summary;
                capability_children[k++] = &cap_download;
            } else {
                capability_children[k++] = *s;
            }
        }
        capability_group.subcommands = capability_children;
        device_children[n++] = &capability_group;
    }
    static const struct cli_command *const cloud[] = {&claim, &list, &show, &assign, &update, &cmd_device_twin,
                                                      &cmd_device_delete, &cmd_device_explain_update, &cmd_device_update_now};
    for (size_t i = 0; i < sizeof cloud / sizeof cloud[0]; i++)
        device_children[n++] = cloud[i];
    device_children[n] = NULL;
}
