/* SPDX-License-Identifier: MIT */
/* test_manifest.c — every app-manifest rule, a valid and an invalid case each (table-driven).
 * A failing case prints its name; MANIFEST_CASE=<name> runs that case alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostio.h"
#include "manifest.h"

#define CID "\"ComponentId\":\"11111111-2222-3333-4444-555555555555\""
#define HL(caps) "{\"SchemaVersion\":1,\"Name\":\"T\"," CID ",\"EntryPoint\":\"/bin/app\",\"Capabilities\":" caps "}"
#define RT(caps)                                                                                                    \
    "{\"SchemaVersion\":1,\"Name\":\"T\"," CID ",\"EntryPoint\":\"/bin/app\",\"Capabilities\":" caps                \
    ",\"ApplicationType\":\"RealTimeCapable\"}"
#define TOP(extra) "{\"SchemaVersion\":1,\"Name\":\"T\"," CID ",\"EntryPoint\":\"/bin/app\",\"Capabilities\":{}," extra "}"

struct manifest_case {
    const char *name;
    const char *json;
    const char *path;   /* JSON path of the expected error; NULL for the root */
    const char *needle; /* text the error must contain; NULL = the manifest is valid */
};

static const struct manifest_case cases[] = {
    /* top level */
    {"valid_minimal", HL("{}"), NULL, NULL},
    {"valid_trailing_comma", HL("{\"MutableStorage\":{\"SizeKB\":64,},}"), NULL, NULL},
    {"schema_version_must_be_1", "{\"SchemaVersion\":2,\"Name\":\"T\"," CID ",\"EntryPoint\":\"/bin/app\",\"Capabilities\":{}}",
     "SchemaVersion", "must be 1"},
    {"schema_version_required", "{\"Name\":\"T\"," CID ",\"EntryPoint\":\"/bin/app\",\"Capabilities\":{}}", NULL,
     "missing required field \"SchemaVersion\""},
    {"name_required", "{\"SchemaVersion\":1," CID ",\"EntryPoint\":\"/bin/app\",\"Capabilities\":{}}", NULL,
     "missing required field \"Name\""},
    {"name_must_be_string", "{\"SchemaVersion\":1,\"Name\":5," CID ",\"EntryPoint\":\"/bin/app\",\"Capabilities\":{}}",
     "Name", "must be a string, not a number"},
    {"name_not_empty", "{\"SchemaVersion\":1,\"Name\":\"\"," CID ",\"EntryPoint\":\"/bin/app\",\"Capabilities\":{}}",
     "Name", "is empty"},
    {"component_id_must_be_guid",
     "{\"SchemaVersion\":1,\"Name\":\"T\",\"ComponentId\":\"my-app\",\"EntryPoint\":\"/bin/app\",\"Capabilities\":{}}",
     "ComponentId", "is not a GUID"},
    {"component_id_not_nil",
     "{\"SchemaVersion\":1,\"Name\":\"T\",\"ComponentId\":\"00000000-0000-0000-0000-000000000000\",\"EntryPoint\":\"/bin/app\",\"Capabilities\":{}}",
     "ComponentId", "nil GUID"},
    {"entry_point_required", "{\"SchemaVersion\":1,\"Name\":\"T\"," CID ",\"Capabilities\":{}}", NULL,
     "missing required field \"EntryPoint\""},
    {"entry_point_no_dotdot", "{\"SchemaVersion\":1,\"Name\":\"T\"," CID ",\"EntryPoint\":\"/bin/../app\",\"Capabilities\":{}}",
     "EntryPoint", "contains '.' or '..'"},
    {"entry_point_names_a_file", "{\"SchemaVersion\":1,\"Name\":\"T\"," CID ",\"EntryPoint\":\"/bin/\",\"Capabilities\":{}}",
     "EntryPoint", "ends with '/'"},
    {"entry_point_not_empty", "{\"SchemaVersion\":1,\"Name\":\"T\"," CID ",\"EntryPoint\":\"/\",\"Capabilities\":{}}",
     "EntryPoint", "is empty"},
    {"capabilities_required", "{\"SchemaVersion\":1,\"Name\":\"T\"," CID ",\"EntryPoint\":\"/bin/app\"}", NULL,
     "missing required field \"Capabilities\""},
    {"capabilities_must_be_object", HL("[]"), "Capabilities", "must be an object"},
    {"cmd_args_valid", TOP("\"CmdArgs\":[\"-m\",\"1\"]"), NULL, NULL},
    {"cmd_args_strings_only", TOP("\"CmdArgs\":[\"-m\",1]"), "CmdArgs[1]", "must be a string"},
    {"cmd_args_array_only", TOP("\"CmdArgs\":\"-m\""), "CmdArgs", "must be an array of strings"},
    {"application_type_default", TOP("\"ApplicationType\":\"Default\""), NULL, NULL},
    {"application_type_debugger", TOP("\"ApplicationType\":\"Debugger\""), NULL, NULL},
    {"application_type_unknown", TOP("\"ApplicationType\":\"Service\""), "ApplicationType", "must be \"Default\""},
    {"malloc_version_2", TOP("\"MallocVersion\":2"), NULL, NULL},
    {"malloc_version_range", TOP("\"MallocVersion\":3"), "MallocVersion", "must be 1"},
    {"target_arv_valid", TOP("\"TargetApplicationRuntimeVersion\":16"), NULL, NULL},
    {"target_arv_positive", TOP("\"TargetApplicationRuntimeVersion\":0"), "TargetApplicationRuntimeVersion", "positive integer"},
    {"target_beta_valid", TOP("\"TargetBetaApis\":\"Beta2101\""), NULL, NULL},
    {"target_beta_form", TOP("\"TargetBetaApis\":\"Beta21\""), "TargetBetaApis", "beta API set"},
    {"unknown_top_level_field_suggests", TOP("\"Capabilites\":{}"), "Capabilites", "did you mean \"Capabilities\""},
    {"policy_field_refused", TOP("\"Policy\":{}"), "Policy", "unknown field \"Policy\""},
    {"duplicate_key_refused", TOP("\"Name\":\"U\""), NULL, "duplicate key \"Name\""},
    {"root_must_be_object", "[1]", NULL, "must be a JSON object"},
    {"invalid_json_reported", "{\"SchemaVersion\":1,", NULL, "invalid JSON"},

    /* booleans and simple values */
    {"bool_capability_true", HL("{\"WifiConfig\":true,\"SystemTime\":false}"), NULL, NULL},
    {"bool_capability_type", HL("{\"WifiConfig\":\"yes\"}"), "Capabilities.WifiConfig", "must be true or false"},
    {"unknown_capability_suggests", HL("{\"GPIO\":[8]}"), "Capabilities.GPIO", "did you mean \"Gpio\""},
    {"unknown_capability_plain", HL("{\"Bluetooth\":true}"), "Capabilities.Bluetooth", "unknown capability"},
    {"device_authentication_guid", HL("{\"DeviceAuthentication\":\"77304f1f-9530-4157-8598-30bc1f3d66f0\"}"), NULL, NULL},
    {"device_authentication_bad", HL("{\"DeviceAuthentication\":\"tenant\"}"), "Capabilities.DeviceAuthentication", "tenant ID"},

    /* peripherals, high-level */
    {"gpio_names_resolve", HL("{\"Gpio\":[\"$MT3620_RDB_LED1_RED\",\"$MT3620_RDB_BUTTON_A\"]}"), NULL, NULL},
    {"gpio_raw_values", HL("{\"Gpio\":[8,12]}"), NULL, NULL},
    {"gpio_raw_must_exist", HL("{\"Gpio\":[99]}"), "Capabilities.Gpio[0]", "GPIO 99 does not exist"},
    {"gpio_no_fractions", HL("{\"Gpio\":[8.5]}"), "Capabilities.Gpio[0]", "not a fraction"},
    {"gpio_array_required", HL("{\"Gpio\":8}"), "Capabilities.Gpio", "must be an array of GPIOs"},
    {"gpio_unknown_name", HL("{\"Gpio\":[\"$MT3620_RDB_NOPE\"]}"), "Capabilities.Gpio[0]", "unknown hardware-definition name"},
    {"gpio_name_of_other_type", HL("{\"Gpio\":[\"$MT3620_RDB_HEADER2_ISU0_UART\"]}"), "Capabilities.Gpio[0]",
     "is a Uart and cannot be used as Gpio"},
    {"int_name_is_not_a_peripheral", HL("{\"Gpio\":[\"$MT3620_SPI_CS_A\"]}"), "Capabilities.Gpio[0]", "is not a peripheral"},
    {"names_and_raw_not_mixed", HL("{\"Gpio\":[\"$MT3620_RDB_LED1_RED\",9]}"), "Capabilities.Gpio[1]", "mixes hardware-definition names"},
    {"gpio_duplicate_raw", HL("{\"Gpio\":[8,8]}"), "Capabilities.Gpio[1]", "requests the same Gpio"},
    {"gpio_duplicate_through_names", HL("{\"Gpio\":[\"$MT3620_RDB_LED1_RED\",\"$MT3620_GPIO8\"]}"), "Capabilities.Gpio[1]",
     "requests the same Gpio"},
    {"uart_raw", HL("{\"Uart\":[\"ISU0\"]}"), NULL, NULL},
    {"uart_unknown_isu", HL("{\"Uart\":[\"ISU9\"]}"), "Capabilities.Uart[0]", "is not a Uart on this chip"},
    {"uart_needs_string", HL("{\"Uart\":[4]}"), "Capabilities.Uart[0]", "must be a string such as \"ISU0\""},
    {"pwm_name", HL("{\"Pwm\":[\"$MT3620_RDB_LED_PWM_CONTROLLER2\"]}"), NULL, NULL},
    {"pwm_bad", HL("{\"Pwm\":[\"PWM-CONTROLLER-7\"]}"), "Capabilities.Pwm[0]", "is not a Pwm"},
    {"adc_raw", HL("{\"Adc\":[\"ADC-CONTROLLER-0\"]}"), NULL, NULL},
    {"adc_bad", HL("{\"Adc\":[\"ADC-CONTROLLER-1\"]}"), "Capabilities.Adc[0]", "is not a Adc"},
    {"isu_used_twice_shares_pins", HL("{\"Uart\":[\"ISU0\"],\"I2cMaster\":[\"ISU0\"]}"), "Capabilities.I2cMaster[0]",
     "uses GPIO 26"},
    {"gpio_inside_isu_block", HL("{\"Gpio\":[27],\"SpiMaster\":[\"ISU0\"]}"), "Capabilities.SpiMaster[0]", "uses GPIO 27"},
    {"gpio_inside_pwm_block", HL("{\"Pwm\":[\"PWM-CONTROLLER-0\"],\"Gpio\":[2]}"), "Capabilities.Gpio[0]", "uses GPIO 2"},
    {"gpio_inside_adc_block", HL("{\"Adc\":[\"ADC-CONTROLLER-0\"],\"Gpio\":[45]}"), "Capabilities.Gpio[0]", "uses GPIO 45"},
    {"different_isus_coexist", HL("{\"Uart\":[\"ISU0\"],\"I2cMaster\":[\"ISU2\"],\"SpiMaster\":[\"ISU1\"]}"), NULL, NULL},

    /* network */
    {"hosts_valid", HL("{\"AllowedConnections\":[\"my-hub.example.net\",\"10.1.2.3\",\"localhost\"]}"), NULL, NULL},
    {"hosts_no_wildcards", HL("{\"AllowedConnections\":[\"*.example.com\"]}"), "Capabilities.AllowedConnections[0]", "wildcard"},
    {"hosts_no_ports", HL("{\"AllowedConnections\":[\"example.com:443\"]}"), "Capabilities.AllowedConnections[0]", "port number"},
    {"hosts_no_urls", HL("{\"AllowedConnections\":[\"https://example.com\"]}"), "Capabilities.AllowedConnections[0]", "is a URL"},
    {"hosts_no_ipv6", HL("{\"AllowedConnections\":[\"fe80::1\"]}"), "Capabilities.AllowedConnections[0]", "IPv6"},
    {"hosts_ipv4_range", HL("{\"AllowedConnections\":[\"1.2.3.256\"]}"), "Capabilities.AllowedConnections[0]", "not a valid IPv4"},
    {"hosts_empty_label", HL("{\"AllowedConnections\":[\"a..b\"]}"), "Capabilities.AllowedConnections[0]", "empty label"},
    {"hosts_bad_character", HL("{\"AllowedConnections\":[\"a_b.com\"]}"), "Capabilities.AllowedConnections[0]", "not allowed in a host name"},
    {"hosts_dnssd_underscore_inside", HL("{\"AllowedConnections\":[\"_a_b._tcp.local\"]}"), "Capabilities.AllowedConnections[0]", "not allowed in a host name"},
    {"hosts_dnssd_service", HL("{\"AllowedConnections\":[\"_sample-service._tcp.local\"]}"), NULL, NULL},
    {"hosts_label_hyphen", HL("{\"AllowedConnections\":[\"-a.com\"]}"), "Capabilities.AllowedConnections[0]", "starts with '-'"},
    {"hosts_dns_sd_service", HL("{\"AllowedConnections\":[\"_sample-service._tcp.local\"]}"), NULL, NULL},
    {"hosts_dns_sd_udp", HL("{\"AllowedConnections\":[\"_printer._udp.example.com\"]}"), NULL, NULL},
    {"hosts_dns_sd_with_instance", HL("{\"AllowedConnections\":[\"kitchen._ipp._tcp.local\"]}"), NULL, NULL},
    {"hosts_underscore_alone", HL("{\"AllowedConnections\":[\"_._tcp.local\"]}"), "Capabilities.AllowedConnections[0]",
     "only '_'"},
    {"hosts_underscore_last_label", HL("{\"AllowedConnections\":[\"a._\"]}"), "Capabilities.AllowedConnections[0]",
     "only '_'"},
    {"hosts_double_underscore", HL("{\"AllowedConnections\":[\"__svc._tcp.local\"]}"), "Capabilities.AllowedConnections[0]",
     "followed by '-' or '_'"},
    {"hosts_underscore_hyphen", HL("{\"AllowedConnections\":[\"_-svc._tcp.local\"]}"), "Capabilities.AllowedConnections[0]",
     "followed by '-' or '_'"},
    {"hosts_underscore_inside_label", HL("{\"AllowedConnections\":[\"_svc_x._tcp.local\"]}"),
     "Capabilities.AllowedConnections[0]", "not allowed in a host name"},
    {"hosts_underscore_at_label_end", HL("{\"AllowedConnections\":[\"svc_._tcp.local\"]}"),
     "Capabilities.AllowedConnections[0]", "not allowed in a host name"},
    {"hosts_dns_sd_trailing_dot", HL("{\"AllowedConnections\":[\"_svc._tcp.local.\"]}"),
     "Capabilities.AllowedConnections[0]", "ends with a dot"},
    {"hosts_strings_only", HL("{\"AllowedConnections\":[5]}"), "Capabilities.AllowedConnections[0]", "must be a host name"},
    {"ports_valid_and_shared_between_tcp_udp",
     HL("{\"AllowedTcpServerPorts\":[1024,65535],\"AllowedUdpServerPorts\":[1024]}"), NULL, NULL},
    {"ports_range_low", HL("{\"AllowedTcpServerPorts\":[80]}"), "Capabilities.AllowedTcpServerPorts[0]", "out of range"},
    {"ports_range_high", HL("{\"AllowedUdpServerPorts\":[65536]}"), "Capabilities.AllowedUdpServerPorts[0]", "out of range"},
    {"ports_at_most_ten", HL("{\"AllowedTcpServerPorts\":[2001,2002,2003,2004,2005,2006,2007,2008,2009,2010,2011]}"),
     "Capabilities.AllowedTcpServerPorts", "at most 10"},
    {"ports_no_duplicates", HL("{\"AllowedTcpServerPorts\":[2000,2000]}"), "Capabilities.AllowedTcpServerPorts[1]", "listed twice"},
    {"ports_integers_only", HL("{\"AllowedTcpServerPorts\":[\"2000\"]}"), "Capabilities.AllowedTcpServerPorts[0]", "must be a port number"},

    /* partners */
    {"partners_valid", HL("{\"AllowedApplicationConnections\":[\"005180BC-402F-4CB3-A662-72937DBCDE47\"]}"), NULL, NULL},
    {"partners_guid", HL("{\"AllowedApplicationConnections\":[\"rtapp\"]}"), "Capabilities.AllowedApplicationConnections[0]",
     "must be a component ID"},
    {"partners_not_self", HL("{\"AllowedApplicationConnections\":[\"11111111-2222-3333-4444-555555555555\"]}"),
     "Capabilities.AllowedApplicationConnections[0]", "own component ID"},
    {"partners_duplicate_ignoring_case",
     HL("{\"AllowedApplicationConnections\":[\"005180bc-402f-4cb3-a662-72937dbcde47\",\"005180BC-402F-4CB3-A662-72937DBCDE47\"]}"),
     "Capabilities.AllowedApplicationConnections[1]", "listed twice"},

    /* storage and power */
    {"storage_zero", HL("{\"MutableStorage\":{\"SizeKB\":0}}"), NULL, NULL},
    {"storage_max_64", HL("{\"MutableStorage\":{\"SizeKB\":65}}"), "Capabilities.MutableStorage.SizeKB", "0 to 64 KiB"},
    {"storage_not_negative", HL("{\"MutableStorage\":{\"SizeKB\":-1}}"), "Capabilities.MutableStorage.SizeKB", "out of range"},
    {"storage_size_required", HL("{\"MutableStorage\":{}}"), "Capabilities.MutableStorage", "missing required field \"SizeKB\""},
    {"storage_unknown_field", HL("{\"MutableStorage\":{\"SizeKB\":8,\"Quota\":1}}"), "Capabilities.MutableStorage.Quota", "unknown field"},
    {"storage_object", HL("{\"MutableStorage\":8}"), "Capabilities.MutableStorage", "must be an object"},
    {"storage_whole_kib", HL("{\"MutableStorage\":{\"SizeKB\":1.5}}"), "Capabilities.MutableStorage.SizeKB", "whole number"},
    {"power_controls_valid", HL("{\"PowerControls\":[\"ForcePowerDown\",\"ForceReboot\"]}"), NULL, NULL},
    {"power_controls_not_empty", HL("{\"PowerControls\":[]}"), "Capabilities.PowerControls", "is empty"},
    {"power_controls_known", HL("{\"PowerControls\":[\"Reboot\"]}"), "Capabilities.PowerControls[0]", "not \"Reboot\""},
    {"power_controls_unique", HL("{\"PowerControls\":[\"ForceReboot\",\"ForceReboot\"]}"), "Capabilities.PowerControls[1]", "listed twice"},

    /* real-time capable apps */
    {"rt_raw_values", RT("{\"Gpio\":[8,12],\"Uart\":[\"ISU3\"],\"ExternalInterrupt\":[\"EINT4\"],\"I2sSubordinate\":[\"I2S0\"]}"),
     NULL, NULL},
    {"rt_partner", RT("{\"AllowedApplicationConnections\":[\"005180bc-402f-4cb3-a662-72937dbcde47\"]}"), NULL, NULL},
    {"rt_no_names", RT("{\"Gpio\":[\"$MT3620_RDB_LED1_RED\"]}"), "Capabilities.Gpio[0]", "must use raw values"},
    {"rt_no_network", RT("{\"AllowedConnections\":[\"example.com\"]}"), "Capabilities.AllowedConnections",
     "only to high-level apps"},
    {"rt_no_storage", RT("{\"MutableStorage\":{\"SizeKB\":8}}"), "Capabilities.MutableStorage", "only to high-level apps"},
    {"rt_eint_range", RT("{\"ExternalInterrupt\":[\"EINT24\"]}"), "Capabilities.ExternalInterrupt[0]", "EINT0 to EINT23"},
    {"rt_i2s_range", RT("{\"I2sSubordinate\":[\"I2S2\"]}"), "Capabilities.I2sSubordinate[0]", "I2S0 or I2S1"},
    {"rt_i2s_pins_conflict_with_gpio", RT("{\"I2sSubordinate\":[\"I2S0\"],\"Gpio\":[57]}"), "Capabilities.Gpio[0]", "uses GPIO 57"},
    {"hl_no_external_interrupt", HL("{\"ExternalInterrupt\":[\"EINT4\"]}"), "Capabilities.ExternalInterrupt",
     "only to real-time capable apps"},
    {"hl_no_i2s", HL("{\"I2sSubordinate\":[\"I2S0\"]}"), "Capabilities.I2sSubordinate", "only to real-time capable apps"},
    {"rt_malloc_version_2_accepted", "{\"SchemaVersion\":1,\"Name\":\"T\"," CID ",\"EntryPoint\":\"/bin/app\",\"Capabilities\":{},"
     "\"ApplicationType\":\"RealTimeCapable\",\"MallocVersion\":2}", NULL, NULL},
    {"rt_malloc_version_1_accepted", "{\"SchemaVersion\":1,\"Name\":\"T\"," CID ",\"EntryPoint\":\"/bin/app\",\"Capabilities\":{},"
     "\"ApplicationType\":\"RealTimeCapable\",\"MallocVersion\":1}", NULL, NULL},
    {"rt_malloc_version_range", "{\"SchemaVersion\":1,\"Name\":\"T\"," CID ",\"EntryPoint\":\"/bin/app\",\"Capabilities\":{},"
     "\"ApplicationType\":\"RealTimeCapable\",\"MallocVersion\":3}", "MallocVersion", "must be 1"},
    {"rt_malloc_version_integer", "{\"SchemaVersion\":1,\"Name\":\"T\"," CID ",\"EntryPoint\":\"/bin/app\",\"Capabilities\":{},"
     "\"ApplicationType\":\"RealTimeCapable\",\"MallocVersion\":\"2\"}", "MallocVersion", "must be 1"},
    {"rt_no_arv", "{\"SchemaVersion\":1,\"Name\":\"T\"," CID ",\"EntryPoint\":\"/bin/app\",\"Capabilities\":{},"
     "\"ApplicationType\":\"RealTimeCapable\",\"TargetApplicationRuntimeVersion\":16}", "TargetApplicationRuntimeVersion",
     "no runtime version"},
};

static struct hwdef_set *rdb;

static int load_rdb(void **state)
{
    struct diag_list diags = {0};
    struct hwdef_search search = {.sdk_dir = OPENSPHERE_SOURCE_DIR "/sdk/HardwareDefinitions"};
    int err = hwdef_load(OPENSPHERE_SOURCE_DIR "/sdk/HardwareDefinitions/mt3620_rdb.json", &search, hostio_hwdef_io(),
                         &diags, &rdb);
    diag_list_free(&diags);
    return err;
}

static int free_rdb(void **state)
{
    hwdef_set_free(rdb);
    return 0;
}

static int validate(const char *json, struct diag_list *diags, struct manifest **m)
{
    struct manifest_context ctx = {.target = rdb, .chip = rdb};
    return manifest_validate(json, strlen(json), "app_manifest.json", &ctx, diags, m);
}

static bool has_diag(const struct diag_list *diags, const char *path, const char *needle)
{
    for (size_t i = 0; i < diags->count; i++) {
        const struct diag *d = &diags->items[i];
        bool path_ok = path ? (d->path && strcmp(d->path, path) == 0) : true;
        if (d->severity == DIAG_ERROR && path_ok && strstr(d->message, needle))
            return true;
    }
    return false;
}

static void every_rule_has_a_passing_and_a_failing_case(void **state)
{
    const char *only = getenv("MANIFEST_CASE");
    size_t failures = 0, run = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct manifest_case *c = &cases[i];
        if (only && strcmp(only, c->name) != 0)
            continue;
        run++;
        struct diag_list diags = {0};
        struct manifest *m = NULL;
        int err = validate(c->json, &diags, &m);
        bool ok = c->needle ? (err == -EINVAL && !m && has_diag(&diags, c->path, c->needle))
                            : (err == 0 && m && diag_error_count(&diags) == 0);
        if (!ok) {
            failures++;
            fprintf(stderr, "case %s failed (rerun: MANIFEST_CASE=%s %s); err=%d, diagnostics:\n", c->name, c->name,
                    "test_manifest", err);
            diag_print_all(&diags, stderr);
        }
        manifest_free(m);
        diag_list_free(&diags);
    }
    assert_true(run > 0);
    assert_int_equal(failures, 0);
}

static void documented_example_is_accepted_and_resolved(void **state)
{
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(hostio_read_file(OPENSPHERE_SOURCE_DIR "/examples/manifests/documented_example.json", &text, &len), 0);
    struct diag_list diags = {0};
    struct manifest *m = NULL;
    struct manifest_context ctx = {.target = rdb, .chip = rdb};
    assert_int_equal(manifest_validate(text, len, "documented_example.json", &ctx, &diags, &m), 0);
    assert_int_equal(diags.count, 0);
    struct strbuf out = {0};
    assert_int_equal(json_write(json_object_get(m->normalized, "Capabilities"), JSON_COMPACT, &out), 0);
    assert_non_null(strstr(strbuf_str(&out), "\"Gpio\":[1,8,12]"));
    assert_non_null(strstr(strbuf_str(&out), "\"MutableStorage\":{\"SizeKB\":64}"));
    assert_int_equal(m->mutable_storage_kb, 64);
    strbuf_free(&out);
    manifest_free(m);
    diag_list_free(&diags);
    free(text);
}

static void normalized_manifest_has_raw_values_and_explicit_type(void **state)
{
    struct diag_list diags = {0};
    struct manifest *m = NULL;
    assert_int_equal(validate(HL("{\"Gpio\":[\"$MT3620_RDB_LED1_RED\"],\"Uart\":[\"$MT3620_RDB_HEADER2_ISU0_UART\"]}"),
                              &diags, &m),
                     0);
    struct strbuf out = {0};
    assert_int_equal(json_write(m->normalized, JSON_COMPACT, &out), 0);
    assert_string_equal(strbuf_str(&out),
                        "{\"SchemaVersion\":1,\"Name\":\"T\",\"ComponentId\":\"11111111-2222-3333-4444-555555555555\","
                        "\"EntryPoint\":\"/bin/app\",\"Capabilities\":{\"Gpio\":[8],\"Uart\":[\"ISU0\"]},"
                        "\"ApplicationType\":\"Default\"}");
    assert_string_equal(m->entries[0].from_name, "$MT3620_RDB_LED1_RED");
    strbuf_free(&out);
    manifest_free(m);
    diag_list_free(&diags);
}

static void all_problems_are_reported_at_once_with_positions(void **state)
{
    const char *json = "{\n"
                       "  \"SchemaVersion\": 2,\n"
                       "  \"Name\": \"T\",\n"
                       "  \"ComponentId\": \"nope\",\n"
                       "  \"EntryPoint\": \"/bin/app\",\n"
                       "  \"Capabilities\": {\n"
                       "    \"Gpio\": [ 8, 99 ],\n"
                       "    \"AllowedTcpServerPorts\": [ 80 ],\n"
                       "    \"Wifi\": true\n"
                       "  }\n"
                       "}\n";
    struct diag_list diags = {0};
    struct manifest *m = NULL;
    assert_int_equal(validate(json, &diags, &m), -EINVAL);
    diag_sort(&diags);
    assert_int_equal(diag_error_count(&diags), 5);
    const unsigned expected[][2] = {{2, 20}, {4, 18}, {7, 18}, {8, 32}, {9, 5}};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(diags.items[i].line, expected[i][0]);
        assert_int_equal(diags.items[i].col, expected[i][1]);
    }
    diag_list_free(&diags);
}

static void long_name_is_a_warning_not_an_error(void **state)
{
    struct diag_list diags = {0};
    struct manifest *m = NULL;
    const char *json = "{\"SchemaVersion\":1,\"Name\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\"," CID
                       ",\"EntryPoint\":\"/bin/app\",\"Capabilities\":{}}";
    assert_int_equal(validate(json, &diags, &m), 0);
    assert_int_equal(diag_warning_count(&diags), 1);
    assert_non_null(strstr(diags.items[0].message, "\"ABCDEFGHIJKLMNOPQRSTUVWXYZ01234\""));
    manifest_free(m);
    diag_list_free(&diags);
}

static void names_without_a_target_definition_are_refused(void **state)
{
    struct diag_list diags = {0};
    struct manifest *m = NULL;
    struct manifest_context ctx = {.target = NULL, .chip = rdb};
    const char *json = HL("{\"Gpio\":[\"$MT3620_RDB_LED1_RED\"]}");
    assert_int_equal(manifest_validate(json, strlen(json), "m.json", &ctx, &diags, &m), -EINVAL);
    assert_true(has_diag(&diags, "Capabilities.Gpio[0]", "no target hardware definition was given"));
    diag_list_free(&diags);
}

static void duplicate_host_is_a_warning(void **state)
{
    struct diag_list diags = {0};
    struct manifest *m = NULL;
    assert_int_equal(validate(HL("{\"AllowedConnections\":[\"a.example\",\"A.EXAMPLE\"]}"), &diags, &m), 0);
    assert_int_equal(diag_warning_count(&diags), 1);
    manifest_free(m);
    diag_list_free(&diags);
}

/* A RealTimeCapable manifest with "MallocVersion": 2 (the SDK's templates write it) is valid with
 * one warning, and the package keeps the field as written. */
static void rt_malloc_version_is_a_warning_and_kept(void **state)
{
    struct diag_list diags = {0};
    struct manifest *m = NULL;
    assert_int_equal(validate("{\"SchemaVersion\":1,\"Name\":\"T\"," CID ",\"EntryPoint\":\"/bin/app\","
                              "\"Capabilities\":{},\"ApplicationType\":\"RealTimeCapable\",\"MallocVersion\":2}",
                              &diags, &m),
                     0);
    assert_int_equal(diag_error_count(&diags), 0);
    assert_int_equal(diag_warning_count(&diags), 1);
    assert_string_equal(diags.items[0].path, "MallocVersion");
    assert_non_null(strstr(diags.items[0].message, "ignores it"));
    const struct json_value *mv = json_object_get(m->normalized, "MallocVersion");
    assert_non_null(mv);
    assert_int_equal(mv->u.number.integer, 2);
    assert_int_equal(m->app_type, MANIFEST_APP_REALTIME);
    manifest_free(m);
    diag_list_free(&diags);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_rule_has_a_passing_and_a_failing_case),
        cmocka_unit_test(documented_example_is_accepted_and_resolved),
        cmocka_unit_test(normalized_manifest_has_raw_values_and_explicit_type),
        cmocka_unit_test(all_problems_are_reported_at_once_with_positions),
        cmocka_unit_test(long_name_is_a_warning_not_an_error),
        cmocka_unit_test(names_without_a_target_definition_are_refused),
        cmocka_unit_test(duplicate_host_is_a_warning),
        cmocka_unit_test(rt_malloc_version_is_a_warning_and_kept),
    };
    return cmocka_run_group_tests(tests, load_rdb, free_rdb);
}
