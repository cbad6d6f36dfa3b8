/* SPDX-License-Identifier: MIT */
/* cmd_wifi.c — `sphere device wifi add|list|show|show-status|scan|enable|disable|forget|
 * reload-config` (azsphere's words and options), `sphere device network show-diagnostics`, and
 * `sphere sim wifi add|remove|list` (the simulated access points), over the device's /wifi/… and
 * /sim/wifi/aps endpoints (docs/wifi.md). Every command takes -d/--device and -o json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "devclient.h"

#define DEVICE_OPTION {"device", 'd', "NAME", false, false, "The simulated device (default: the only one running)."}
#define ID_OPTION {"id", 'i', "ID", false, true, "The network's ID (see 'sphere device wifi list')."}
#define END_OPTIONS {NULL, 0, NULL, false, false, NULL}

static const char *str(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_STRING ? v->u.string.chars : "";
}

/* A member as text: strings as they are, numbers in decimal, booleans as True/False. */
static const char *text(const struct json_value *o, const char *key, char buf[32])
{
    const struct json_value *v = json_object_get(o, key);
    if (v && v->type == JSON_NUMBER)
        snprintf(buf, 32, "%lld", (long long)v->u.number.integer);
    else if (v && v->type == JSON_BOOL)
        snprintf(buf, 32, "%s", v->u.boolean ? "True" : "False");
    else
        return v && v->type == JSON_STRING ? v->u.string.chars : "";
    return buf;
}

static void print_json(const struct json_value *v)
{
    struct strbuf sb = {0};
    json_write(v, JSON_PRETTY, &sb);
    printf("%s\n", strbuf_str(&sb));
    strbuf_free(&sb);
}

static int call(const struct cli_invocation *inv, const char *method, const char *path, const char *body,
                struct devresponse *r)
{
    return devclient_call(cli_value(inv, "device"), method, path, body, r);
}

/* The --id value as a non-negative number; prints a usage error otherwise. */
static int network_id(const struct cli_invocation *inv, long *id)
{
    const char *v = cli_value(inv, "id");
    char *end;
    *id = v ? strtol(v, &end, 10) : -1;
    if (!v || !*v || *end || *id < 0 || *id > 1000000)
        return cli_usage_error(inv, "--id must be a network ID (a number from 'sphere device wifi list')");
    return CLI_EXIT_OK;
}

/* Prints "Key : value" lines for the members listed (label, key) that are present. */
static void print_fields(const struct json_value *o, const char *const fields[][2])
{
    for (size_t i = 0; fields[i][0]; i++) {
        char buf[32];
        if (json_object_get(o, fields[i][1]))
            printf("%-21s: %s\n", fields[i][0], text(o, fields[i][1], buf));
    }
}

static const char *const network_fields[][2] = {
    {"ID", "id"}, {"SSID", "ssid"}, {"Configuration state", "configState"}, {"Connection state", "connectionState"},
    {"Security state", "securityState"}, {"Targeted scan", "targetedScan"}, {"Configuration name", "configName"},
    {"Client identity", "clientIdentity"}, {"Client cert ID", "clientCertStoreIdentifier"},
    {"Root CA cert ID", "rootCaCertStoreIdentifier"}, {NULL, NULL}};

static int show_network(const struct cli_invocation *inv, const struct json_value *o, const char *headline)
{
    if (inv->output == CLI_OUTPUT_JSON) {
        print_json(o);
        return CLI_EXIT_OK;
    }
    if (headline)
        printf("%s\n", headline);
    print_fields(o, network_fields);
    return CLI_EXIT_OK;
}

/* ---- sphere device wifi ---- */

static void put_string(struct strbuf *b, const char *key, const char *value)
{
    if (!value)
        return;
    strbuf_printf(b, "%s\"%s\":", b->len > 1 ? "," : "", key);
    json_write_string(value, b);
}

static int run_add(const struct cli_invocation *inv)
{
    const char *ssid = cli_value(inv, "ssid"), *psk = cli_value(inv, "psk"), *type = cli_value(inv, "security-type");
    const char *name = cli_value(inv, "config-name"), *client = cli_value(inv, "client-cert-id");
    if (!name)
        name = cli_value(inv, "configuration-name");
    if (!type)
        type = client || cli_value(inv, "root-ca-cert-id") || cli_value(inv, "client-id") ? "eaptls" : psk ? "psk" : "open";
    if (strcmp(type, "open") && strcmp(type, "psk") && strcmp(type, "eaptls"))
        return cli_usage_error(inv, "--security-type must be open, psk or eaptls");
    struct strbuf body = {0};
    strbuf_puts(&body, "{");
    put_string(&body, "ssid", ssid);
    put_string(&body, "securityState", type);
    put_string(&body, "psk", psk);
    put_string(&body, "configName", name);
    put_string(&body, "clientIdentity", cli_value(inv, "client-id"));
    put_string(&body, "clientCertStoreIdentifier", client);
    put_string(&body, "rootCaCertStoreIdentifier", cli_value(inv, "root-ca-cert-id"));
    strbuf_printf(&body, ",\"targetedScan\":%s}", cli_flag(inv, "targeted-scan") ? "true" : "false");
    struct devclient c;
    int rc = devclient_open(cli_value(inv, "device"), &c);
    if (rc) {
        strbuf_free(&body);
        return rc;
    }
    struct devresponse r = {0};
    rc = devclient_request(&c, "POST", "/wifi/config/networks", "application/json", body.data, body.len, NULL, 0, &r);
    devclient_close(&c);
    strbuf_free(&body);
    if (!rc && r.status != 201) /* devclient_check takes 200 only; POST answers 201 Created */
        rc = devclient_check(&r);
    if (!rc)
        rc = show_network(inv, r.json, "Add network succeeded:");
    devresponse_free(&r);
    return rc;
}

static int run_list(const struct cli_invocation *inv)
{
    struct devresponse r;
    int rc = call(inv, "GET", "/wifi/config/networks", NULL, &r);
    if (rc)
        return rc;
    const struct json_value *list = json_object_get(r.json, "values");
    if (inv->output == CLI_OUTPUT_JSON) {
        print_json(list);
    } else if (!list || list->type != JSON_ARRAY || !list->u.array.count) {
        printf("No Wi-Fi networks are stored on the device.\n");
    } else {
        struct cli_table t;
        cli_table_init(&t, 7);
        cli_table_row(&t, "ID", "SSID", "ConfigState", "ConnectionState", "SecurityState", "TargetedScan", "ConfigName");
        for (size_t i = 0; i < list->u.array.count; i++) {
            const struct json_value *n = list->u.array.items[i];
            char id[32], targeted[32];
            cli_table_row(&t, text(n, "id", id), str(n, "ssid"), str(n, "configState"), str(n, "connectionState"),
                          str(n, "securityState"), text(n, "targetedScan", targeted), str(n, "configName"));
        }
        cli_table_print(&t, stdout);
        cli_table_free(&t);
    }
    devresponse_free(&r);
    return CLI_EXIT_OK;
}

/* GET/PATCH/DELETE /wifi/config/networks/ID. */
static int on_network(const struct cli_invocation *inv, const char *method, const char *body, const char *headline)
{
    long id;
    int rc = network_id(inv, &id);
    if (rc)
        return rc;
    char path[64];
    snprintf(path, sizeof path, "/wifi/config/networks/%ld", id);
    struct devresponse r;
    rc = call(inv, method, path, body, &r);
    if (!rc && !strcmp(method, "DELETE")) {
        if (inv->output == CLI_OUTPUT_JSON)
            print_json(r.json);
        else
            printf("Successfully forgotten network %ld.\n", id);
    } else if (!rc) {
        rc = show_network(inv, r.json, headline);
    }
    devresponse_free(&r);
    return rc;
}

static int run_show(const struct cli_invocation *inv)
{
    return on_network(inv, "GET", NULL, NULL);
}

static int run_enable(const struct cli_invocation *inv)
{
    return on_network(inv, "PATCH", "{\"configState\":\"enabled\"}", "Successfully enabled network:");
}

static int run_disable(const struct cli_invocation *inv)
{
    return on_network(inv, "PATCH", "{\"configState\":\"disabled\"}", "Successfully disabled network:");
}

static int run_forget(const struct cli_invocation *inv)
{
    return on_network(inv, "DELETE", NULL, NULL);
}

static int run_show_status(const struct cli_invocation *inv)
{
    static const char *const fields[][2] = {
        {"SSID", "ssid"}, {"Configuration state", "configState"}, {"Connection state", "connectionState"},
        {"Security state", "securityState"}, {"Frequency", "freq"}, {"Mode", "mode"}, {"Key management", "key_mgmt"},
        {"WPA state", "wpa_state"}, {"IP address", "ip_address"}, {"MAC address", "address"},
        {"Power savings state", "powerSavingsState"}, {"Network ID", "id"}, {"Configuration name", "configName"},
        {NULL, NULL}};
    struct devresponse r;
    int rc = call(inv, "GET", "/wifi/interface", NULL, &r);
    if (!rc && inv->output == CLI_OUTPUT_JSON)
        print_json(r.json);
    else if (!rc)
        print_fields(r.json, fields);
    devresponse_free(&r);
    return rc;
}

static int run_scan(const struct cli_invocation *inv)
{
    struct devresponse r;
    int rc = call(inv, "GET", "/wifi/scan", NULL, &r);
    if (rc)
        return rc;
    const struct json_value *list = json_object_get(r.json, "values");
    if (inv->output == CLI_OUTPUT_JSON) {
        print_json(list);
    } else if (!list || list->type != JSON_ARRAY || !list->u.array.count) {
        printf("No Wi-Fi networks were found.\n");
    } else {
        struct cli_table t;
        cli_table_init(&t, 5);
        cli_table_row(&t, "SSID", "SecurityState", "BSSID", "SignalLevel", "Frequency");
        for (size_t i = 0; i < list->u.array.count; i++) {
            const struct json_value *n = list->u.array.items[i];
            char sig[32], freq[32];
            cli_table_row(&t, str(n, "ssid"), str(n, "securityState"), str(n, "bssid"), text(n, "signal_level", sig),
                          text(n, "freq", freq));
        }
        cli_table_print(&t, stdout);
        cli_table_free(&t);
    }
    devresponse_free(&r);
    return CLI_EXIT_OK;
}

static int run_reload(const struct cli_invocation *inv)
{
    struct devresponse r;
    int rc = call(inv, "PATCH", "/wifi/interface", "{\"reloadConfig\":true}", &r);
    if (!rc && inv->output == CLI_OUTPUT_JSON)
        print_json(r.json);
    else if (!rc)
        printf("Wi-Fi configuration reloaded.\n");
    devresponse_free(&r);
    return rc;
}

/* `sphere device network show-diagnostics [--network ID]`: the last failure of each network. */
static int run_diagnostics(const struct cli_invocation *inv)
{
    const char *network = cli_value(inv, "network");
    char path[64] = "/wifi/diagnostics/networks";
    if (network) {
        char *end;
        long id = strtol(network, &end, 10);
        if (!*network || *end || id < 0 || id > 1000000)
            return cli_usage_error(inv, "--network must be a network ID");
        snprintf(path, sizeof path, "/wifi/diagnostics/networks/%ld", id);
    }
    struct devresponse r;
    int rc = call(inv, "GET", path, NULL, &r);
    if (rc)
        return rc;
    const struct json_value *list = network ? r.json : json_object_get(r.json, "values");
    if (inv->output == CLI_OUTPUT_JSON) {
        print_json(list);
    } else {
        size_t n = network ? 1 : list && list->type == JSON_ARRAY ? list->u.array.count : 0;
        if (!n)
            printf("No failed connection attempts were recorded.\n");
        for (size_t i = 0; i < n; i++) {
            const struct json_value *d = network ? list : list->u.array.items[i], *cert = json_object_get(d, "certInfo");
            static const char *const fields[][2] = {{"Network ID", "networkId"}, {"SSID", "ssid"},
                                                    {"Configuration state", "configState"},
                                                    {"Connection state", "connectionState"}, {"Error", "error"},
                                                    {"Timestamp", "timestamp"}, {NULL, NULL}};
            static const char *const cert_fields[][2] = {{"Certificate error", "certError"},
                                                         {"Certificate depth", "certDepth"},
                                                         {"Certificate subject", "certSubject"}, {NULL, NULL}};
            if (i)
                printf("\n");
            print_fields(d, fields);
            if (cert)
                print_fields(cert, cert_fields);
        }
    }
    devresponse_free(&r);
    return CLI_EXIT_OK;
}

static const struct cli_option add_options[] = {
    {"ssid", 's', "SSID", false, true, "The SSID of the network to connect to."},
    {"psk", 'p', "KEY", false, false, "The WPA/WPA2 key (8-63 characters); omit for an open network."},
    {"targeted-scan", 0, NULL, false, false, "Connect even if the SSID is not broadcast (hidden) or in a noisy environment."},
    {"config-name", 0, "NAME", false, false, "A name for the network configuration (at most 16 characters)."},
    {"configuration-name", 0, "NAME", false, false, "Same as --config-name."},
    {"client-cert-id", 0, "ID", false, false, "EAP-TLS: the identifier of the client certificate (certificate store)."},
    {"root-ca-cert-id", 0, "ID", false, false, "EAP-TLS: the identifier of the server's root CA certificate."},
    {"client-id", 0, "IDENTITY", false, false, "EAP-TLS: the client identity (at most 254 bytes)."},
    {"security-type", 0, "open|psk|eaptls", false, false, "Default: eaptls with certificate options, psk with --psk, else open."},
    DEVICE_OPTION, END_OPTIONS};
static const struct cli_option id_options[] = {ID_OPTION, DEVICE_OPTION, END_OPTIONS};
static const struct cli_option device_only[] = {DEVICE_OPTION, END_OPTIONS};
static const struct cli_option diag_options[] = {
    {"network", 'n', "ID", false, false, "Only this network (default: every network with a failure)."}, DEVICE_OPTION,
    END_OPTIONS};

#define LEAF(var, nm, sum, opts, fn)                                                                                   \
    static const struct cli_command var = {.name = nm, .summary = sum, .options = opts, .prints_data = true, .run = fn}
LEAF(wifi_add, "add", "Add a Wi-Fi network on the attached device.", add_options, run_add);
LEAF(wifi_list, "list", "List the current Wi-Fi configurations for the attached device.", device_only, run_list);
LEAF(wifi_show, "show", "Show details of a Wi-Fi network on the attached device.", id_options, run_show);
LEAF(wifi_status, "show-status", "Show the status of the wireless interface on the attached device.", device_only,
     run_show_status);
LEAF(wifi_scan, "scan", "Scan for available Wi-Fi networks visible to the attached device.", device_only, run_scan);
LEAF(wifi_enable, "enable", "Enable a Wi-Fi network on the attached device.", id_options, run_enable);
LEAF(wifi_disable, "disable", "Disable a Wi-Fi connection on the attached device.", id_options, run_disable);
LEAF(wifi_forget, "forget", "Forget a Wi-Fi network on the attached device.", id_options, run_forget);
LEAF(wifi_reload, "reload-config", "Reload the Wi-Fi network configuration on the attached device.", device_only,
     run_reload);
const struct cli_command cmd_device_network_show_diagnostics = {
    .name = "show-diagnostics", .summary = "Show the last failed connection attempt of each Wi-Fi network.",
    .options = diag_options, .prints_data = true, .run = run_diagnostics};

static const struct cli_command *const wifi_children[] = {&wifi_add, &wifi_list, &wifi_show, &wifi_status, &wifi_scan,
                                                          &wifi_enable, &wifi_disable, &wifi_forget, &wifi_reload,
                                                          NULL};
const struct cli_command cmd_device_wifi = {
    .name = "wifi", .summary = "Manage Wi-Fi configurations for the attached device.", .subcommands = wifi_children};

/* ---- sphere sim wifi: the simulated access points ---- */

static int show_aps(const struct cli_invocation *inv, const struct devresponse *r)
{
    const struct json_value *list = json_object_get(r->json, "accessPoints");
    if (inv->output == CLI_OUTPUT_JSON) {
        print_json(list);
        return CLI_EXIT_OK;
    }
    struct cli_table t;
    cli_table_init(&t, 6);
    cli_table_row(&t, "SSID", "BSSID", "Security", "Frequency", "Signal", "Hidden");
    for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->u.array.count; i++) {
        const struct json_value *ap = list->u.array.items[i];
        char f[32], s[32], h[32];
        cli_table_row(&t, str(ap, "ssid")[0] ? str(ap, "ssid") : str(ap, "ssidHex"), str(ap, "bssid"),
                      str(ap, "security"), text(ap, "frequency", f), text(ap, "signal", s),
                      json_object_get(ap, "hidden") ? text(ap, "hidden", h) : "False");
    }
    cli_table_print(&t, stdout);
    cli_table_free(&t);
    return CLI_EXIT_OK;
}

static int run_sim_list(const struct cli_invocation *inv)
{
    struct devresponse r;
    int rc = call(inv, "GET", "/sim/wifi/aps", NULL, &r);
    if (!rc)
        rc = show_aps(inv, &r);
    devresponse_free(&r);
    return rc;
}

/* A number option into the body; usage error when it is not an integer. */
static int put_number(const struct cli_invocation *inv, struct strbuf *b, const char *option, const char *key)
{
    const char *v = cli_value(inv, option);
    if (!v)
        return CLI_EXIT_OK;
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end)
        return cli_usage_error(inv, "--%s must be an integer", option);
    strbuf_printf(b, ",\"%s\":%ld", key, n);
    return CLI_EXIT_OK;
}

static int run_sim_add(const struct cli_invocation *inv)
{
    const char *psk = cli_value(inv, "psk"), *security = cli_value(inv, "security");
    if (!security)
        security = psk ? "psk" : "open";
    struct strbuf body = {0};
    strbuf_puts(&body, "{");
    put_string(&body, "ssid", cli_value(inv, "ssid"));
    put_string(&body, "security", security);
    put_string(&body, "bssid", cli_value(inv, "bssid"));
    put_string(&body, "psk", psk);
    int rc = put_number(inv, &body, "frequency", "frequency");
    if (!rc)
        rc = put_number(inv, &body, "signal", "signal");
    if (cli_flag(inv, "hidden"))
        strbuf_puts(&body, ",\"hidden\":true");
    strbuf_puts(&body, "}");
    struct devresponse r = {0};
    if (!rc)
        rc = call(inv, "POST", "/sim/wifi/aps", strbuf_str(&body), &r);
    strbuf_free(&body);
    if (!rc)
        rc = show_aps(inv, &r);
    devresponse_free(&r);
    return rc;
}

static int run_sim_remove(const struct cli_invocation *inv)
{
    const char *key = cli_arg(inv, "SSID|BSSID");
    if (!key)
        key = cli_value(inv, "bssid") ? cli_value(inv, "bssid") : cli_value(inv, "ssid");
    if (!key)
        return cli_usage_error(inv, "name the access point: SSID or BSSID (or --ssid / --bssid)");
    struct strbuf path = {0};
    strbuf_puts(&path, "/sim/wifi/aps/");
    for (const char *p = key; *p; p++) /* percent-encode all but unreserved characters */
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-._~:", *p))
            strbuf_putc(&path, *p);
        else
            strbuf_printf(&path, "%%%02X", (unsigned char)*p);
    struct devresponse r;
    int rc = call(inv, "DELETE", strbuf_str(&path), NULL, &r);
    strbuf_free(&path);
    if (!rc)
        rc = show_aps(inv, &r);
    devresponse_free(&r);
    return rc;
}

static const struct cli_option sim_add_options[] = {
    {"ssid", 's', "SSID", false, true, "The network name the access point broadcasts (1-32 bytes)."},
    {"security", 0, "open|psk|eaptls", false, false, "Default: psk with --psk, else open."},
    {"psk", 'p', "KEY", false, false, "The key of a psk access point (8-63 characters)."},
    {"bssid", 'b', "aa:bb:cc:dd:ee:ff", false, false, "Default: derived from the SSID. An existing BSSID is replaced."},
    {"frequency", 'f', "MHZ", false, false, "The channel's centre frequency (default 2437)."},
    {"signal", 0, "DBM", false, false, "The signal level, -100 to 0 (default -50)."},
    {"hidden", 0, NULL, false, false, "Do not broadcast the SSID (reached only with --targeted-scan)."},
    DEVICE_OPTION, END_OPTIONS};
static const struct cli_option sim_remove_options[] = {
    {"ssid", 's', "SSID", false, false, "Remove the access points with this SSID."},
    {"bssid", 'b', "BSSID", false, false, "Remove the access point with this BSSID."}, DEVICE_OPTION, END_OPTIONS};

static const struct cli_command sim_list = {.name = "list", .summary = "List the simulated Wi-Fi access points in range.",
                                            .options = device_only, .prints_data = true, .run = run_sim_list};
static const struct cli_command sim_add = {.name = "add", .summary = "Add (or replace) a simulated access point.",
                                           .options = sim_add_options, .prints_data = true, .run = run_sim_add};
static const struct cli_command sim_remove = {.name = "remove", .summary = "Remove simulated access points by SSID or BSSID.",
                                              .options = sim_remove_options,
                                              .positionals = CLI_POSITIONALS({"SSID|BSSID", true}), .prints_data = true,
                                              .run = run_sim_remove};
static const struct cli_command *const sim_children[] = {&sim_list, &sim_add, &sim_remove, NULL};
const struct cli_command cmd_sim_wifi = {
    .name = "wifi", .summary = "The simulated device's radio environment: Wi-Fi access points.", .subcommands = sim_children};
