/* SPDX-License-Identifier: MIT */
/* cmd_device_group.c — `sphere device-group create|list|show|update` and
 * `device-group deployment create|list` (also as `sphere deployment ...`) against the cloud. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_cloud.h"

static const char *const columns[] = {"product", "name", "id", "applicationUpdate", "osFeed"};
static const char *const headers[] = {"Product", "Name", "ID", "Application update", "OS feed"};
static const char *const deployment_columns[] = {"id", "sequence", "current", "images"};
static const char *const deployment_headers[] = {"Deployment", "Sequence", "Current", "Images"};

/* "/v1/device-groups/<ID>" or "/v1/device-groups/<PRODUCT>/<GROUP>", plus `suffix`. */
static void group_path(const char *ref, const char *suffix, char *out, size_t size)
{
    const char *slash = strchr(ref, '/');
    char *product = slash ? strndup(ref, (size_t)(slash - ref)) : strdup(ref);
    char *a = product ? cloudcli_escape(product) : NULL, *b = slash ? cloudcli_escape(slash + 1) : NULL;
    snprintf(out, size, "/v1/device-groups/%s%s%s%s", a ? a : "", b ? "/" : "", b ? b : "", suffix);
    free(product), free(a), free(b);
}

static int call_print(const struct cli_invocation *inv, const char *method, const char *path, struct json_value *body,
                      const char *const *cols, const char *const *heads, size_t n)
{
    struct cloudclient c;
    int rc = cloudcli_open(&c);
    struct cloudresp resp;
    if (!rc && !(rc = cloudcli_call(&c, method, path, body, &resp))) {
        cloudcli_print(inv, resp.json, cols, heads, n);
        cloudresp_free(&resp);
    }
    json_free(body);
    cloudclient_free(&c);
    return rc;
}

static void add_policy(const struct cli_invocation *inv, struct json_value *body)
{
    static const char *const opts[][2] = {{"description", "description"}, {"application-update", "applicationUpdate"},
                                          {"os-feed", "osFeed"}};
    for (size_t i = 0; i < 3; i++)
        if (cli_value(inv, opts[i][0]))
            json_object_append(body, opts[i][1], json_new_string(cli_value(inv, opts[i][0])));
}

static int run_create(const struct cli_invocation *inv)
{
    struct json_value *body = json_new_object();
    json_object_append(body, "name", json_new_string(cli_value(inv, "name")));
    add_policy(inv, body);
    char *product = cloudcli_escape(cli_value(inv, "product")), path[512];
    snprintf(path, sizeof path, "/v1/products/%s/device-groups", product ? product : "");
    free(product);
    return call_print(inv, "POST", path, body, columns, headers, 5);
}

static int run_list(const struct cli_invocation *inv)
{
    char path[512] = "/v1/device-groups", *product = cli_value(inv, "product") ? cloudcli_escape(cli_value(inv, "product")) : NULL;
    if (product)
        snprintf(path, sizeof path, "/v1/products/%s/device-groups", product);
    free(product);
    return call_print(inv, "GET", path, NULL, columns, headers, 5);
}

static int run_show(const struct cli_invocation *inv)
{
    char path[512];
    group_path(cli_value(inv, "device-group"), "", path, sizeof path);
    return call_print(inv, "GET", path, NULL, columns, headers, 5);
}

static int run_update(const struct cli_invocation *inv)
{
    char path[512];
    group_path(cli_value(inv, "device-group"), "", path, sizeof path);
    struct json_value *body = json_new_object();
    add_policy(inv, body);
    return call_print(inv, "PATCH", path, body, columns, headers, 5);
}

static int run_deploy(const struct cli_invocation *inv)
{
    char path[512];
    group_path(cli_value(inv, "device-group"), "/deployments", path, sizeof path);
    size_t n = 0;
    const char *const *ids = cli_values(inv, "images", &n);
    struct json_value *body = json_new_object(), *list = json_new_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(list, json_new_string(ids[i]));
    json_object_append(body, "images", list);
    static const char *const cols[] = {"id", "images"}, *const heads[] = {"Deployment", "Images"};
    return call_print(inv, "POST", path, body, cols, heads, 2);
}

static int run_deployments(const struct cli_invocation *inv)
{
    char path[512];
    group_path(cli_value(inv, "device-group"), "/deployments", path, sizeof path);
    return call_print(inv, "GET", path, NULL, deployment_columns, deployment_headers, 4);
}

#define GROUP_OPTION {"device-group", 'g', "GROUP", false, true, "The device group: its ID or PRODUCT/GROUP."}
#define POLICY_OPTIONS                                                                                                 \
    {"description", 0, "TEXT", false, false, "Up to 100 characters."},                                                 \
        {"application-update", 'a', "POLICY", false, false, "UpdateAll or No3rdPartyAppUpdates."},                      \
        {"os-feed", 'f', "FEED", false, false, "Retail or RetailEval."}
#define END {NULL, 0, NULL, false, false, NULL}
static const struct cli_option create_options[] = {
    {"name", 'n', "NAME", false, true, "The group's name (unique in the product)."},
    {"product", 'p', "PRODUCT", false, true, "The product it belongs to."}, POLICY_OPTIONS, END};
static const struct cli_option list_options[] = {{"product", 'p', "PRODUCT", false, false, "Only this product's groups."}, END};
static const struct cli_option show_options[] = {GROUP_OPTION, END};
static const struct cli_option update_options[] = {GROUP_OPTION, POLICY_OPTIONS, END};
static const struct cli_option deploy_options[] = {
    GROUP_OPTION, {"images", 'i', "ID", true, true, "The image IDs the group's devices should run (from 'image add')."}, END};

#define LEAF(var, cmd_name, text, opts, fn)                                                                            \
    static const struct cli_command var = {.name = cmd_name, .summary = text, .options = opts, .prints_data = true, .run = fn}
LEAF(create, "create", "Create a device group in a product.", create_options, run_create);
LEAF(list, "list", "List device groups.", list_options, run_list);
LEAF(show, "show", "Show a device group.", show_options, run_show);
LEAF(update, "update", "Change a device group's description or update policy.", update_options, run_update);
LEAF(deploy_create, "create", "Deploy images to a device group (its devices' new target set).", deploy_options, run_deploy);
LEAF(deploy_list, "list", "List a device group's deployments, newest (current) first.", show_options, run_deployments);

static const struct cli_command *const deployment_commands[] = {&deploy_create, &deploy_list, NULL};
static const struct cli_command deployment = {.name = "deployment", .summary = "Deployments of a device group.",
                                              .subcommands = deployment_commands};
static const struct cli_command *const group_commands[] = {&create, &list, &show, &update, &deployment, NULL};
const struct cli_command cmd_device_group = {.name = "device-group", .summary = "Device groups in the cloud.",
                                             .subcommands = group_commands};
