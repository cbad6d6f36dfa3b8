/* SPDX-License-Identifier: MIT */
/* test_net_names.c — the network mediation resolves every name the manifest's AllowedConnections
 * lists through the device's resolver (its hosts table first), DNS-SD service instance names such
 * as `_sample-service._tcp.local` included, and refuses unlisted or malformed names
 * (docs/network.md, docs/manifest.md). Table-driven; NET_NAME_CASE=<name> runs one case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "json.h"
#include "net.h"

#define MANIFEST                                                                                                   \
    "{\"Capabilities\":{\"AllowedConnections\":[\"_sample-service._tcp.local\",\"kitchen._ipp._tcp.local\","      \
    "\"plain.example\"]}}"

struct name_case {
    const char *name;
    const char *host;
    int expect; /* 0 = resolves to 127.0.0.N, else the negative errno */
};

static const struct name_case cases[] = {
    {"dns_sd_service_listed", "_sample-service._tcp.local", 0},
    {"dns_sd_service_any_case", "_SAMPLE-SERVICE._TCP.LOCAL", 0},
    {"dns_sd_instance_listed", "kitchen._ipp._tcp.local", 0},
    {"plain_name_listed", "plain.example", 0},
    {"dns_sd_service_not_listed", "_other-service._tcp.local", -EACCES},
    {"dns_sd_protocol_differs", "_sample-service._udp.local", -EACCES},
    {"space_is_not_a_name", "_sample service._tcp.local", -EINVAL},
    {"slash_is_not_a_name", "_sample-service/_tcp.local", -EINVAL},
    {"empty_name", "", -EINVAL},
    {"underscore_inside_a_label", "_sample_service._tcp.local", -EINVAL},
};

static int add_hosts(void **state)
{
    (void)state;
    net_hosts_clear();
    if (net_hosts_add("_sample-service._tcp.local", "127.0.0.1", 60) || net_hosts_add("kitchen._ipp._tcp.local", "127.0.0.2", 60) ||
        net_hosts_add("plain.example", "127.0.0.3", 60) || net_hosts_add("_other-service._tcp.local", "127.0.0.4", 60) ||
        net_hosts_add("_sample-service._udp.local", "127.0.0.5", 60))
        return -1;
    return 0;
}

static int clear_hosts(void **state)
{
    (void)state;
    net_hosts_clear();
    return 0;
}

static void listed_names_resolve_through_the_device(void **state)
{
    (void)state;
    struct json_value *manifest = NULL;
    struct diag_list diags = {0};
    assert_int_equal(json_parse(MANIFEST, strlen(MANIFEST), NULL, "manifest", &diags, &manifest), 0);
    diag_list_free(&diags);
    const char *only = getenv("NET_NAME_CASE");
    size_t failures = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct name_case *c = &cases[i];
        if (only && strcmp(only, c->name))
            continue;
        uint32_t addrs[4];
        size_t count = 0;
        unsigned ttl = 0;
        int err = net_resolve("11111111-2222-3333-4444-555555555555", manifest, c->host, addrs, 4, &count, &ttl);
        bool ok = err == c->expect && (err || (count == 1 && (ntohl(addrs[0]) >> 24) == 127 && ttl == 60));
        if (!ok) {
            failures++;
            fprintf(stderr, "case %s failed (rerun: NET_NAME_CASE=%s test_net_names): err=%d count=%zu\n", c->name,
                    c->name, err, count);
        }
    }
    json_free(manifest);
    assert_int_equal(failures, 0);
}

static void hosts_table_takes_dns_sd_names(void **state)
{
    (void)state;
    assert_int_equal(net_hosts_add("_x._tcp.local", "127.0.0.9", 5), 0);
    assert_int_equal(net_hosts_remove("_x._tcp.local"), 0);
    assert_int_equal(net_hosts_add("a b", "127.0.0.9", 5), -EINVAL);
    assert_int_equal(net_hosts_add("bad_name", "127.0.0.9", 5), -EINVAL); /* '_' only to begin a label */
    assert_int_equal(net_hosts_add("_", "127.0.0.9", 5), -EINVAL);
    assert_int_equal(net_hosts_add("__x.local", "127.0.0.9", 5), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(listed_names_resolve_through_the_device),
        cmocka_unit_test(hosts_table_takes_dns_sd_names),
    };
    return cmocka_run_group_tests(tests, add_hosts, clear_hosts);
}
