/* SPDX-License-Identifier: MIT */
/* cmd_product.c — `sphere product create|list|show` and `product device-group list|create-defaults`
 * against the cloud service. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd_cloud.h"

static const char *const columns[] = {"name", "id", "description"};
static const char *const headers[] = {"Name", "ID", "Description"};
static const char *const group_columns[] = {"name", "id", "applicationUpdate", "osFeed", "description"};
static const char *const group_headers[] = {"Name", "ID", "Application update", "OS feed", "Description"};

/* GETs prefix + the escaped product + suffix and prints it. */
static int get_and_print(const struct cli_invocation *inv, const char *prefix, const char *product, const char *suffix,
                         const char *const *cols, const char *const *heads, size_t n)
{
    struct cloudclient c;
    int rc = cloudcli_open(&c);
    char *esc = product ? cloudcli_escape(product) : NULL, path[512];
    snprintf(path, sizeof path, "%s%s%s", prefix, esc ? esc : "", suffix);
    struct cloudresp resp;
    if (!rc && !(rc = cloudcli_call(&c, "GET", path, NULL, &resp))) {
        cloudcli_print(inv, resp.json, cols, heads, n);
        cloudresp_free(&resp);
    }
    free(esc);
    cloudclient_free(&c);
    return rc;
}

static int run_create(const struct cli_invocation *inv)
{
    struct cloudclient c;
    int rc = cloudcli_open(&c);
    struct json_value *body = json_new_object();
    json_object_append(body, "name", json_new_string(cli_value(inv, "name")));
    if (cli_value(inv, "description"))
        json_object_append(body, "description", json_new_string(cli_value(inv, "description")));
    json_object_append(body, "noDefaultDeviceGroups", json_new_bool(cli_flag(inv, "no-default-device-groups")));
    struct cloudresp resp;
    if (!rc && !(rc = cloudcli_call(&c, "POST", "/v1/products", body, &resp))) {
        cloudcli_print(inv, resp.json, columns, headers, 3);
        cloudresp_free(&resp);
    }
    json_free(body);
    cloudclient_free(&c);
    return rc;
}

static int run_list(const struct cli_invocation *inv) { return get_and_print(inv, "/v1/products", NULL, "", columns, headers, 3); }
static int run_show(const struct cli_invocation *inv)
{
    return get_and_print(inv, "/v1/products/", cli_value(inv, "product"), "", columns, headers, 3);
}
static int run_groups(const struct cli_invocation *inv)
{
    return get_and_print(inv, "/v1/products/", cli_value(inv, "product"), "/device-groups", group_columns, group_headers, 5);
}

static int run_create_defaults(const struct cli_invocation *inv)
{
    struct cloudclient c;
    int rc = cloudcli_open(&c);
    char *esc = cloudcli_escape(cli_value(inv, "product")), path[512];
    snprintf(path, sizeof path, "/v1/products/%s/create-default-groups", esc ? esc : "");
    struct cloudresp resp;
    if (!rc && !(rc = cloudcli_call(&c, "POST", path, NULL, &resp))) {
        cloudcli_print(inv, resp.json, group_columns, group_headers, 5);
        cloudresp_free(&resp);
    }
    free(esc);
    cloudclient_free(&c);
    return rc;
}

static const struct cli_option create_options[] = {
    {"name", 'n', "NAME", false, true, "The product's name (unique in the tenant)."},
    {"description", 0, "TEXT", false, false, "Up to 100 characters."},
    {"no-default-device-groups", 0, NULL, false, false, "Do not create the five default device groups."},
    {NULL, 0, NULL, false, false, NULL},
};
static const struct cli_option product_options[] = {
    {"product", 'p', "NAME", false, true, "The product (name or ID)."},
    {NULL, 0, NULL, false, false, NULL},
};
static const struct cli_option no_options[] = {{NULL, 0, NULL, false, false, NULL}};

static const struct cli_command create = {.name = "create", .summary = "Create a product (and its default device groups).",
                                          .options = create_options, .prints_data = true, .run = run_create};
static const struct cli_command list = {.name = "list", .summary = "List the tenant's products.", .options = no_options,
                                        .prints_data = true, .run = run_list};
static const struct cli_command show = {.name = "show", .summary = "Show a product.", .options = product_options,
                                        .prints_data = true, .run = run_show};
static const struct cli_command groups_list = {.name = "list", .summary = "List a product's device groups.",
                                               .options = product_options, .prints_data = true, .run = run_groups};
static const struct cli_command groups_defaults = {.name = "create-defaults",
                                                   .summary = "Create the default device groups a product lacks.",
                                                   .options = product_options, .prints_data = true,
                                                   .run = run_create_defaults};
static const struct cli_command *const group_commands[] = {&groups_list, &groups_defaults, NULL};
static const struct cli_command groups = {.name = "device-group", .summary = "A product's device groups.",
                                          .subcommands = group_commands};
static const struct cli_command *const product_commands[] = {&create, &list, &show, &groups, NULL};
const struct cli_command cmd_product = {.name = "product", .summary = "Products in the cloud (sphere login first).",
                                        .subcommands = product_commands};
