/* SPDX-License-Identifier: MIT */
/* cmd_network.c — `sphere sim hosts list|add|remove` (the simulated device resolver's static
 * entries) and `sphere device network list-firewall-rules` (each app's effective network rules),
 * through the device's /sim/hosts and /sim/firewall-rules endpoints (docs/network.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "devclient.h"

#define DEVICE_OPTION {"device", 'd', "NAME", false, false, "The simulated device (default: the only one running)."}
#define END_OPTIONS {NULL, 0, NULL, false, false, NULL}

static int call(const struct cli_invocation *inv, const char *method, const char *path, const char *body,
                struct devresponse *r)
{
    return devclient_call(cli_value(inv, "device"), method, path, body, r);
}

static const char *str(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_STRING ? v->u.string.chars : "";
}

static void print_json(const struct json_value *v)
{
    struct strbuf sb = {0};
    json_write(v, JSON_PRETTY, &sb);
    printf("%s\n", strbuf_str(&sb));
    strbuf_free(&sb);
}

static int show_hosts(const struct cli_invocation *inv, struct devresponse *r)
{
    if (inv->output == CLI_OUTPUT_JSON) {
        print_json(r->json);
        return CLI_EXIT_OK;
    }
    struct cli_table t;
    cli_table_init(&t, 3);
    cli_table_row(&t, "Name", "Address", "TTL");
    for (size_t i = 0; r->json && r->json->type == JSON_ARRAY && i < r->json->u.array.count; i++) {
        const struct json_value *h = r->json->u.array.items[i], *ttl = json_object_get(h, "ttl");
        char ttl_text[24];
        snprintf(ttl_text, sizeof ttl_text, "%lld", ttl && ttl->type == JSON_NUMBER ? (long long)ttl->u.number.integer : 0);
        cli_table_row(&t, str(h, "name"), str(h, "address"), ttl_text);
    }
    cli_table_print(&t, stdout);
    cli_table_free(&t);
    return CLI_EXIT_OK;
}

static int run_hosts_list(const struct cli_invocation *inv)
{
    struct devresponse r;
    int rc = call(inv, "GET", "/sim/hosts", NULL, &r);
    if (!rc)
        rc = show_hosts(inv, &r);
    devresponse_free(&r);
    return rc;
}

static int run_hosts_add(const struct cli_invocation *inv)
{
    const char *ttl = cli_value(inv, "ttl");
    char *end;
    long t = ttl ? strtol(ttl, &end, 10) : 300;
    if (ttl && (*end || t < 1 || t > 86400))
        return cli_error("--ttl must be a number of seconds from 1 to 86400");
    /* `hosts add NAME ADDRESS`, or the address as -a/--address */
    const char *address = cli_arg(inv, "ADDRESS"), *option = cli_value(inv, "address");
    if (address && option && strcmp(address, option) != 0)
        return cli_usage_error(inv, "two addresses given ('%s' and --address %s): one entry per call", address, option);
    if (!address && !(address = option))
        return cli_usage_error(inv, "missing ADDRESS (sphere sim hosts add NAME ADDRESS)");
    struct strbuf body = {0};
    strbuf_append(&body, "{\"name\":", 8);
    json_write_string(inv->args[0], &body);
    strbuf_append(&body, ",\"address\":", 11);
    json_write_string(address, &body);
    char tail[32];
    int n = snprintf(tail, sizeof tail, ",\"ttl\":%ld}", t);
    strbuf_append(&body, tail, (size_t)n);
    struct devresponse r;
    int rc = call(inv, "POST", "/sim/hosts", strbuf_str(&body), &r);
    strbuf_free(&body);
    if (!rc)
        rc = show_hosts(inv, &r);
    devresponse_free(&r);
    return rc;
}

static int run_hosts_remove(const struct cli_invocation *inv)
{
    char path[128];
    snprintf(path, sizeof path, "/sim/hosts/%s", inv->args[0]);
    if (strchr(inv->args[0], '/') || strlen(inv->args[0]) > 63)
        return cli_error("'%s' is not a host name", inv->args[0]);
    struct devresponse r;
    int rc = call(inv, "DELETE", path, NULL, &r);
    if (!rc)
        rc = show_hosts(inv, &r);
    devresponse_free(&r);
    return rc;
}

static void join_array(const struct json_value *a, struct strbuf *out, bool numbers)
{
    for (size_t i = 0; a && a->type == JSON_ARRAY && i < a->u.array.count; i++) {
        const struct json_value *v = a->u.array.items[i];
        char num[24];
        const char *s = num;
        if (numbers)
            snprintf(num, sizeof num, "%lld", (long long)v->u.number.integer);
        else
            s = v->type == JSON_STRING ? v->u.string.chars : "";
        if (i)
            strbuf_append(out, ", ", 2);
        strbuf_append(out, s, strlen(s));
    }
    if (!out->len)
        strbuf_append(out, "-", 1);
}

static int run_firewall(const struct cli_invocation *inv)
{
    struct devresponse r;
    int rc = call(inv, "GET", "/sim/firewall-rules", NULL, &r);
    if (!rc && inv->output == CLI_OUTPUT_JSON)
        print_json(r.json);
    else if (!rc) {
        size_t n = r.json && r.json->type == JSON_ARRAY ? r.json->u.array.count : 0;
        if (!n)
            printf("No applications are installed.\n");
        for (size_t i = 0; i < n; i++) {
            const struct json_value *app = r.json->u.array.items[i], *conns = json_object_get(app, "allowedConnections");
            printf("%s (%s)\n", str(app, "name"), str(app, "componentId"));
            printf("  Outbound (TCP/UDP, IPv4, any port):\n");
            for (size_t k = 0; conns && conns->type == JSON_ARRAY && k < conns->u.array.count; k++) {
                struct strbuf addrs = {0};
                join_array(json_object_get(conns->u.array.items[k], "addresses"), &addrs, false);
                printf("    allow %-30s -> %s\n", str(conns->u.array.items[k], "host"),
                       strcmp(strbuf_str(&addrs), "-") ? strbuf_str(&addrs) : "(not resolved yet)");
                strbuf_free(&addrs);
            }
            printf("    deny  everything else (EACCES)\n");
            struct strbuf tcp = {0}, udp = {0};
            join_array(json_object_get(app, "tcpServerPorts"), &tcp, true);
            join_array(json_object_get(app, "udpServerPorts"), &udp, true);
            printf("  Inbound TCP ports: %s\n  Inbound UDP ports: %s\n", strbuf_str(&tcp), strbuf_str(&udp));
            strbuf_free(&tcp);
            strbuf_free(&udp);
        }
    }
    devresponse_free(&r);
    return rc;
}

static const struct cli_option only_device[] = {DEVICE_OPTION, END_OPTIONS};
static const struct cli_option add_options[] = {
    {"address", 'a', "IPV4", false, false, "The IPv4 address, when not given as ADDRESS."},
    {"ttl", 0, "SECONDS", false, false, "How long an app may connect to the answer (default 300)."},
    DEVICE_OPTION, END_OPTIONS};

static const struct cli_command hosts_list = {.name = "list", .summary = "List the device resolver's static entries.",
                                              .options = only_device, .prints_data = true, .run = run_hosts_list};
static const struct cli_command hosts_add = {.name = "add", .summary = "Map a host name to an IPv4 address on the device.",
                                             .options = add_options, .positionals = CLI_POSITIONALS({"NAME", false}, {"ADDRESS", true}),
                                             .prints_data = true, .run = run_hosts_add};
static const struct cli_command hosts_remove = {.name = "remove", .summary = "Remove a host name's static entries.",
                                                .options = only_device, .positionals = CLI_POSITIONALS({"NAME", false}), .prints_data = true,
                                                .run = run_hosts_remove};
static const struct cli_command *const hosts_children[] = {&hosts_list, &hosts_add, &hosts_remove, NULL};
const struct cli_command cmd_sim_hosts = {
    .name = "hosts", .summary = "Static host names for the simulated device's resolver (for test hosts).",
    .subcommands = hosts_children};

static const struct cli_command firewall = {
    .name = "list-firewall-rules", .summary = "Show each application's effective network rules.",
    .options = only_device, .prints_data = true, .run = run_firewall};
static const struct cli_command *const network_children[] = {
    &firewall, &cmd_device_network_show_diagnostics, &cmd_device_network_show_status, &cmd_device_network_list_interfaces,
    &cmd_device_network_update_interface, &cmd_device_network_enable, &cmd_device_network_disable,
    &cmd_device_network_proxy, NULL};
const struct cli_command cmd_device_network = {
    .name = "network", .summary = "The device's network: status, interfaces, proxy, firewall rules.", .subcommands = network_children};
