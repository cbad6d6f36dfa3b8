/* SPDX-License-Identifier: MIT */
/* cmd_netcfg.c — `sphere device network show-status|list-interfaces|update-interface|enable|
 * disable`, `sphere device network proxy show|apply|delete` (azsphere's words) over the device
 * REST API's /net/status, /net/interfaces[/{name}], /net/proxy, and `sphere device time show`
 * over /sim/time (docs/netconfig.md). Every command takes -o json (the endpoint's JSON). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "devclient.h"

#define DEVICE_OPTION {"device", 'd', "NAME", false, false, "The simulated device (default: the only one running)."}
#define INTERFACE_OPTION {"interface", 0, "NAME", false, true, "The network interface (wlan0, eth0)."}
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

static const char *yes_no(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_BOOL && v->u.boolean ? "True" : "False";
}

static void print_json(const struct json_value *v)
{
    struct strbuf sb = {0};
    json_write(v, JSON_PRETTY, &sb);
    printf("%s\n", strbuf_str(&sb));
    strbuf_free(&sb);
}

static void print_interfaces(const struct json_value *list)
{
    struct cli_table t;
    cli_table_init(&t, 7);
    cli_table_row(&t, "Interface", "Up", "Connected", "IP assignment", "IP acquired", "IP addresses", "Hardware address");
    for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.array.count; i++) {
        const struct json_value *f = list->u.array.items[i], *addrs = json_object_get(f, "ipAddresses");
        struct strbuf a = {0};
        for (size_t k = 0; addrs && addrs->type == JSON_ARRAY && k < addrs->u.array.count; k++) {
            if (k)
                strbuf_puts(&a, ", ");
            strbuf_puts(&a, addrs->u.array.items[k]->type == JSON_STRING ? addrs->u.array.items[k]->u.string.chars : "");
        }
        cli_table_row(&t, str(f, "interfaceName"), yes_no(f, "interfaceUp"), yes_no(f, "connectedToNetwork"),
                      str(f, "ipAssignment"), yes_no(f, "ipAcquired"), a.len ? strbuf_str(&a) : "-",
                      str(f, "hardwareAddress"));
        strbuf_free(&a);
    }
    cli_table_print(&t, stdout);
    cli_table_free(&t);
}

static int run_list_interfaces(const struct cli_invocation *inv)
{
    struct devresponse r;
    int rc = call(inv, "GET", "/net/interfaces", NULL, &r);
    if (!rc && inv->output == CLI_OUTPUT_JSON)
        print_json(r.json);
    else if (!rc)
        print_interfaces(json_object_get(r.json, "interfaces"));
    devresponse_free(&r);
    return rc;
}

/* /net/status, with the interfaces (so a static address shows here too). */
static int run_show_status(const struct cli_invocation *inv)
{
    struct devresponse s, f;
    int rc = call(inv, "GET", "/net/status", NULL, &s);
    if (rc)
        return rc;
    rc = call(inv, "GET", "/net/interfaces", NULL, &f);
    if (!rc && inv->output == CLI_OUTPUT_JSON) {
        struct json_value *o = json_clone(s.json);
        const struct json_value *list = json_object_get(f.json, "interfaces");
        if (o && list)
            json_object_append(o, "interfaces", json_clone(list));
        print_json(o);
        json_free(o);
    } else if (!rc) {
        printf("Device authentication ready: %s\nNetwork time sync: %s\nProxy: %s\n\n",
               yes_no(s.json, "deviceAuthenticationIsReady"), str(s.json, "networkTimeSync"), str(s.json, "proxy"));
        print_interfaces(json_object_get(f.json, "interfaces"));
    }
    devresponse_free(&s);
    if (!rc)
        devresponse_free(&f);
    return rc;
}

static int patch_interface(const struct cli_invocation *inv, const char *body)
{
    const char *name = cli_value(inv, "interface");
    if (!name[0] || strchr(name, '/') || strlen(name) > 15)
        return cli_error("'%s' is not an interface name", name);
    char path[64];
    snprintf(path, sizeof path, "/net/interfaces/%s", name);
    struct devresponse r;
    int rc = call(inv, "PATCH", path, body, &r);
    devresponse_free(&r);
    if (rc)
        return rc;
    rc = call(inv, "GET", path, NULL, &r); /* show the result */
    if (!rc && inv->output == CLI_OUTPUT_JSON) {
        print_json(r.json);
    } else if (!rc) {
        struct json_value *list = json_new_array();
        json_array_append(list, json_clone(r.json));
        print_interfaces(list);
        json_free(list);
    }
    devresponse_free(&r);
    return rc;
}

static int run_update_interface(const struct cli_invocation *inv)
{
    const char *mac = cli_value(inv, "hardware-address");
    struct strbuf body = {0};
    strbuf_puts(&body, "{\"hardwareAddress\":");
    json_write_string(mac, &body);
    strbuf_puts(&body, "}");
    int rc = patch_interface(inv, strbuf_str(&body));
    strbuf_free(&body);
    return rc;
}

static int run_enable(const struct cli_invocation *inv)
{
    return patch_interface(inv, "{\"interfaceUp\":true}");
}

static int run_disable(const struct cli_invocation *inv)
{
    return patch_interface(inv, "{\"interfaceUp\":false}");
}

static void print_proxy(const struct cli_invocation *inv, const struct json_value *p)
{
    if (inv->output == CLI_OUTPUT_JSON) {
        print_json(p);
        return;
    }
    if (!p || !json_object_get(p, "address")) {
        printf("No proxy is configured.\n");
        return;
    }
    const struct json_value *port = json_object_get(p, "port"), *list = json_object_get(p, "noProxyAddresses");
    printf("Enabled: %s\nAddress: %s\nPort: %lld\nAuthentication: %s\n", yes_no(p, "enabled"), str(p, "address"),
           port && port->type == JSON_NUMBER ? (long long)port->u.number.integer : 0, str(p, "authenticationType"));
    if (json_object_get(p, "username"))
        printf("Username: %s\n", str(p, "username"));
    printf("No proxy for:");
    for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.array.count; i++)
        printf("%s%s", i ? ", " : " ", list->u.array.items[i]->type == JSON_STRING ? list->u.array.items[i]->u.string.chars : "");
    printf("%s\n", list && list->type == JSON_ARRAY && list->u.array.count ? "" : " -");
}

static int run_proxy_show(const struct cli_invocation *inv)
{
    struct devresponse r;
    int rc = call(inv, "GET", "/net/proxy", NULL, &r);
    if (!rc)
        print_proxy(inv, r.json);
    devresponse_free(&r);
    return rc;
}

static int run_proxy_apply(const struct cli_invocation *inv)
{
    const char *address = cli_value(inv, "address"), *port = cli_value(inv, "port"),
               *auth = cli_value(inv, "authentication"), *user = cli_value(inv, "username"),
               *password = cli_value(inv, "password");
    char *end;
    long p = strtol(port, &end, 10);
    if (*end || p < 1 || p > 65535)
        return cli_error("--port must be a number from 1 to 65535");
    if (!auth)
        auth = user ? "basic" : "anonymous";
    if (strcmp(auth, "anonymous") && strcmp(auth, "basic"))
        return cli_error("--authentication must be anonymous or basic");
    if (!strcmp(auth, "basic") && (!user || !password))
        return cli_error("basic authentication needs --username and --password");
    if (cli_flag(inv, "enable") && cli_flag(inv, "disable"))
        return cli_error("--enable and --disable exclude each other");
    struct strbuf body = {0};
    strbuf_puts(&body, "{\"address\":");
    json_write_string(address, &body);
    char num[48];
    snprintf(num, sizeof num, ",\"port\":%ld,\"enabled\":%s", p, cli_flag(inv, "disable") ? "false" : "true");
    strbuf_puts(&body, num);
    strbuf_puts(&body, ",\"authenticationType\":");
    json_write_string(auth, &body);
    if (!strcmp(auth, "basic")) {
        strbuf_puts(&body, ",\"username\":");
        json_write_string(user, &body);
        strbuf_puts(&body, ",\"password\":");
        json_write_string(password, &body);
    }
    size_t count = 0;
    const char *const *list = cli_values(inv, "no-proxy-addresses", &count);
    strbuf_puts(&body, ",\"noProxyAddresses\":[");
    for (size_t i = 0; i < count; i++) {
        if (i)
            strbuf_puts(&body, ",");
        json_write_string(list[i], &body);
    }
    strbuf_puts(&body, "]}");
    struct devresponse r;
    int rc = call(inv, "POST", "/net/proxy", strbuf_str(&body), &r);
    strbuf_free(&body);
    devresponse_free(&r);
    return rc ? rc : run_proxy_show(inv);
}

static int run_proxy_delete(const struct cli_invocation *inv)
{
    struct devresponse r;
    int rc = call(inv, "DELETE", "/net/proxy", NULL, &r);
    devresponse_free(&r);
    if (!rc && inv->output != CLI_OUTPUT_JSON)
        printf("The proxy configuration was deleted.\n");
    else if (!rc)
        printf("{}\n");
    return rc;
}

static int show_time(const struct cli_invocation *inv, bool sync)
{
    struct devresponse r;
    int rc = sync ? call(inv, "POST", "/sim/time/sync", "{}", &r) : call(inv, "GET", "/sim/time", NULL, &r);
    if (!rc && inv->output == CLI_OUTPUT_JSON) {
        print_json(r.json);
    } else if (!rc) {
        const struct json_value *off = json_object_get(r.json, "offsetNs"), *last = json_object_get(r.json, "lastSync");
        printf("Device time: %s\nOffset from the host: %lld ns\nTime sync: %s\nNTP: %s", str(r.json, "deviceTime"),
               off && off->type == JSON_NUMBER ? (long long)off->u.number.integer : 0,
               strcmp(yes_no(r.json, "enabled"), "True") ? "disabled" : "enabled", str(r.json, "mode"));
        if (!strcmp(str(r.json, "mode"), "custom"))
            printf(" (%s%s%s)", str(r.json, "primary"), json_object_get(r.json, "secondary") ? ", " : "",
                   str(r.json, "secondary"));
        printf(", fallback to the default server: %s\n", yes_no(r.json, "fallback"));
        if (last)
            printf("Last sync: from %s, %s before, %s after\n", str(last, "server"), str(last, "timeBefore"),
                   str(last, "ntpTime"));
        else
            printf("Last sync: none\n");
    }
    devresponse_free(&r);
    return rc;
}

static int run_time_show(const struct cli_invocation *inv)
{
    return show_time(inv, false);
}

static int run_time_sync(const struct cli_invocation *inv)
{
    return show_time(inv, true);
}

static const struct cli_option only_device[] = {DEVICE_OPTION, END_OPTIONS};
static const struct cli_option interface_options[] = {INTERFACE_OPTION, DEVICE_OPTION, END_OPTIONS};
static const struct cli_option update_options[] = {
    INTERFACE_OPTION,
    {"hardware-address", 0, "XX:XX:XX:XX:XX:XX", false, true, "The interface's new hardware (MAC) address."},
    DEVICE_OPTION, END_OPTIONS};
static const struct cli_option proxy_options[] = {
    {"address", 0, "HOST", false, true, "The proxy's host name or IPv4 address."},
    {"port", 0, "PORT", false, true, "The proxy's port."},
    {"authentication", 0, "anonymous|basic", false, false, "How to authenticate (default: basic with --username)."},
    {"username", 0, "NAME", false, false, "User name for basic authentication."},
    {"password", 0, "PASSWORD", false, false, "Password for basic authentication."},
    {"no-proxy-addresses", 0, "HOST", true, false, "Hosts reached without the proxy (repeat, or commas)."},
    {"enable", 0, NULL, false, false, "Enable the proxy (the default)."},
    {"disable", 0, NULL, false, false, "Keep the configuration but disable the proxy."},
    DEVICE_OPTION, END_OPTIONS};

const struct cli_command cmd_device_network_show_status = {.name = "show-status", .summary = "Show the device's network status and interfaces.",
                                               .options = only_device, .prints_data = true, .run = run_show_status};
const struct cli_command cmd_device_network_list_interfaces = {.name = "list-interfaces", .summary = "List the device's network interfaces.",
                                                   .options = only_device, .prints_data = true, .run = run_list_interfaces};
const struct cli_command cmd_device_network_update_interface = {.name = "update-interface", .summary = "Set an interface's hardware address.",
                                                     .options = update_options, .prints_data = true, .run = run_update_interface};
const struct cli_command cmd_device_network_enable = {.name = "enable", .summary = "Enable a network interface.",
                                          .options = interface_options, .prints_data = true, .run = run_enable};
const struct cli_command cmd_device_network_disable = {.name = "disable", .summary = "Disable a network interface (it carries no app traffic).",
                                           .options = interface_options, .prints_data = true, .run = run_disable};
static const struct cli_command proxy_show = {.name = "show", .summary = "Show the device's proxy.", .options = only_device,
                                              .prints_data = true, .run = run_proxy_show};
static const struct cli_command proxy_apply = {.name = "apply", .summary = "Configure the device's HTTP proxy.",
                                               .options = proxy_options, .prints_data = true, .run = run_proxy_apply};
static const struct cli_command proxy_delete = {.name = "delete", .summary = "Delete the device's proxy configuration.",
                                                .options = only_device, .prints_data = true, .run = run_proxy_delete};
static const struct cli_command *const proxy_children[] = {&proxy_show, &proxy_apply, &proxy_delete, NULL};
const struct cli_command cmd_device_network_proxy = {.name = "proxy", .summary = "The device's HTTP proxy.", .subcommands = proxy_children};


static const struct cli_command time_show = {.name = "show", .summary = "Show the device's clock and network time settings.",
                                             .options = only_device, .prints_data = true, .run = run_time_show};
static const struct cli_command time_sync = {.name = "sync", .summary = "Sync the device's clock with its NTP server now.",
                                             .options = only_device, .prints_data = true, .run = run_time_sync};
static const struct cli_command *const time_children[] = {&time_show, &time_sync, NULL};
const struct cli_command cmd_device_time = {.name = "time", .summary = "The device's clock (network time).",
                                            .subcommands = time_children};
