/* SPDX-License-Identifier: MIT */
/* test_netcfg.c — the network configuration model (src/netcfg/netcfg.h): one behaviour per test. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "hostio.h"
#include "hwaddr.h"
#include "netcfg.h"
#include "netcfg_device.h"

static uint32_t ip(const char *s)
{
    struct in_addr a;
    assert_int_equal(inet_pton(AF_INET, s, &a), 1);
    return a.s_addr;
}

static char *temp_dir(void)
{
    char tmpl[] = "/tmp/test_netcfg.XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void write_text(const char *dir, const char *file, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    assert_int_equal(hostio_write_file_atomic(path, text, strlen(text), 0600), 0);
}

static void remove_dir(char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

static struct netcfg *open_mem(bool eth0)
{
    struct netcfg *n = NULL;
    char why[256] = "";
    assert_int_equal(netcfg_open(NULL, eth0, &n, why, sizeof why), 0);
    return n;
}

static void defaults_are_wlan0_dhcp_time_sync_on_no_proxy(void **state)
{
    (void)state;
    struct netcfg *n = open_mem(false);
    assert_int_equal(netcfg_interface_count(n), 1);
    const struct netcfg_interface *w = netcfg_interface(n, "wlan0");
    assert_non_null(w);
    assert_true(w->enabled);
    assert_false(w->ip.static_ip);
    assert_int_equal(w->medium, NETCFG_MEDIUM_WIFI);
    assert_null(netcfg_interface(n, "eth0"));
    assert_true(netcfg_time(n)->enabled);
    assert_int_equal(netcfg_time(n)->mode, NETCFG_NTP_DEFAULT);
    assert_false(netcfg_time(n)->synced);
    assert_false(netcfg_proxy(n)->configured);
    netcfg_close(n);
}

static void board_file_with_ethernet_gives_eth0(void **state)
{
    (void)state;
    char *dir = temp_dir(), why[256] = "";
    bool eth0 = true;
    assert_int_equal(netcfg_board_has_eth0(dir, &eth0, why, sizeof why), 0);
    assert_false(eth0); /* no board file: the default board, no Ethernet */
    write_text(dir, "board.json", "{\"Name\":\"b\",\"HardwareDefinition\":\"h\",\"Ethernet\":{\"Interface\":\"eth0\"}}");
    assert_int_equal(netcfg_board_has_eth0(dir, &eth0, why, sizeof why), 0);
    assert_true(eth0);
    write_text(dir, "board.json", "{\"Name\":\"b\",\"HardwareDefinition\":\"h\",\"Ethernet\":{\"Interface\":\"eth1\"}}");
    assert_int_equal(netcfg_board_has_eth0(dir, &eth0, why, sizeof why), -EINVAL);
    assert_non_null(strstr(why, "board.json:1:"));
    assert_non_null(strstr(why, "Ethernet: must be"));
    remove_dir(dir);
}

static void unknown_interface_is_enoent(void **state)
{
    (void)state;
    struct netcfg *n = open_mem(true);
    struct netcfg_ip cfg = {0};
    char why[128];
    assert_int_equal(netcfg_set_enabled(n, "eth1", false), -ENOENT);
    assert_int_equal(netcfg_apply_ip(n, "wlan1", &cfg, why, sizeof why), -ENOENT);
    assert_int_equal(netcfg_release_ip(n, "x"), -ENOENT);
    assert_int_equal(netcfg_start_sntp_server(n, "eth9"), -ENOENT);
    netcfg_close(n);
}

/* Static configurations that must be refused, and why. */
static void bad_static_addresses_are_einval(void **state)
{
    (void)state;
    static const struct {
        const char *addr, *mask, *gw, *reason;
    } cases[] = {
        {"192.168.5.10", "255.0.255.0", "0.0.0.0", "contiguous"},
        {"192.168.5.10", "0.0.0.0", "0.0.0.0", "contiguous"},
        {"192.168.5.10", "255.255.255.255", "0.0.0.0", "contiguous"},
        {"0.0.0.0", "255.255.255.0", "0.0.0.0", "host address"},
        {"127.0.0.5", "255.0.0.0", "0.0.0.0", "host address"},
        {"224.0.0.1", "255.255.255.0", "0.0.0.0", "host address"},
        {"192.168.5.0", "255.255.255.0", "0.0.0.0", "host address"},
        {"192.168.5.255", "255.255.255.0", "0.0.0.0", "host address"},
        {"192.168.5.10", "255.255.255.0", "192.168.6.1", "gateway"},
        {"192.168.5.10", "255.255.255.0", "192.168.5.10", "gateway"},
    };
    struct netcfg *n = open_mem(true);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct netcfg_ip cfg = {.static_ip = true, .address = ip(cases[i].addr), .netmask = ip(cases[i].mask),
                                .gateway = ip(cases[i].gw)};
        char why[160] = "";
        int err = netcfg_apply_ip(n, "eth0", &cfg, why, sizeof why);
        if (err != -EINVAL || !strstr(why, cases[i].reason))
            fail_msg("case %zu (%s/%s gw %s): %d \"%s\"", i, cases[i].addr, cases[i].mask, cases[i].gw, err, why);
    }
    assert_false(netcfg_interface(n, "eth0")->ip.static_ip); /* nothing changed */
    struct netcfg_ip dns = {.custom_dns = true, .dns_count = 1, .dns = {0}};
    char why[160];
    assert_int_equal(netcfg_apply_ip(n, "eth0", &dns, why, sizeof why), -EINVAL);
    netcfg_close(n);
}

static void static_then_dhcp_server_and_sntp(void **state)
{
    (void)state;
    struct netcfg *n = open_mem(true);
    char why[160] = "";
    struct netcfg_dhcp_server s = {.start = ip("192.168.100.11"), .count = 5, .netmask = ip("255.255.255.0"),
                                   .gateway = ip("192.168.100.10"), .lease_hours = 24};
    assert_int_equal(netcfg_start_dhcp_server(n, "eth0", &s, why, sizeof why), -EPERM); /* DHCP client */
    assert_int_equal(netcfg_start_sntp_server(n, "eth0"), -EPERM);
    struct netcfg_ip cfg = {.static_ip = true, .address = ip("192.168.100.10"), .netmask = ip("255.255.255.0"),
                            .gateway = 0};
    assert_int_equal(netcfg_apply_ip(n, "eth0", &cfg, why, sizeof why), 0);
    assert_int_equal(netcfg_release_ip(n, "eth0"), -EPERM); /* no lease on a static interface */
    assert_int_equal(netcfg_start_dhcp_server(n, "eth0", &s, why, sizeof why), 0);
    assert_true(netcfg_interface(n, "eth0")->dhcp_server.running);
    assert_int_equal(netcfg_start_sntp_server(n, "eth0"), 0);
    struct netcfg_dhcp_server bad = s;
    bad.start = ip("192.168.100.8"); /* the pool holds the interface's own address */
    assert_int_equal(netcfg_start_dhcp_server(n, "eth0", &bad, why, sizeof why), -EINVAL);
    bad = s, bad.lease_hours = 0;
    assert_int_equal(netcfg_start_dhcp_server(n, "eth0", &bad, why, sizeof why), -EINVAL);
    bad = s, bad.count = 0;
    assert_int_equal(netcfg_start_dhcp_server(n, "eth0", &bad, why, sizeof why), -EINVAL);
    /* back to DHCP: the services stop */
    struct netcfg_ip dyn = {0};
    assert_int_equal(netcfg_apply_ip(n, "eth0", &dyn, why, sizeof why), 0);
    assert_false(netcfg_interface(n, "eth0")->dhcp_server.running);
    assert_false(netcfg_interface(n, "eth0")->sntp_server);
    netcfg_close(n);
}

static void status_bits_follow_enabled_wifi_and_lease(void **state)
{
    (void)state;
    struct netcfg *n = open_mem(true);
    uint32_t bits = 0;
    const uint32_t all = NETCFG_STATUS_UP | NETCFG_STATUS_CONNECTED | NETCFG_STATUS_IP;
    assert_int_equal(netcfg_status_bits(n, "wlan0", true, true, &bits), 0);
    assert_int_equal(bits, all);
    assert_int_equal(netcfg_status_bits(n, "wlan0", false, true, &bits), 0);
    assert_int_equal(bits, NETCFG_STATUS_UP); /* up, not associated */
    assert_int_equal(netcfg_set_enabled(n, "wlan0", false), 0);
    assert_int_equal(netcfg_status_bits(n, "wlan0", true, true, &bits), 0);
    assert_int_equal(bits, 0);
    assert_int_equal(netcfg_release_ip(n, "eth0"), 0);
    assert_int_equal(netcfg_status_bits(n, "eth0", false, true, &bits), 0);
    assert_int_equal(bits, NETCFG_STATUS_UP | NETCFG_STATUS_CONNECTED);
    assert_int_equal(netcfg_renew_ip(n, "eth0"), 0);
    assert_int_equal(netcfg_status_bits(n, "eth0", false, true, &bits), 0);
    assert_int_equal(bits, all);
    assert_int_equal(netcfg_status_bits(n, "eth7", true, true, &bits), -ENOENT);
    assert_int_equal(netcfg_status_bits(NULL, "eth0", true, true, &bits), 0); /* no model: wlan0's alias */
    assert_int_equal(bits, all);
    netcfg_close(n);
}

static void hardware_address_only_on_ethernet(void **state)
{
    (void)state;
    struct netcfg *n = open_mem(true);
    char why[160] = "";
    const uint8_t good[6] = {0x02, 1, 2, 3, 4, 5}, group[6] = {0x01, 1, 2, 3, 4, 5}, zero[6] = {0};
    assert_int_equal(netcfg_set_mac(n, "wlan0", good, why, sizeof why), -EPERM);
    assert_int_equal(netcfg_set_mac(n, "eth0", group, why, sizeof why), -EINVAL);
    assert_int_equal(netcfg_set_mac(n, "eth0", zero, why, sizeof why), -EINVAL);
    assert_int_equal(netcfg_set_mac(n, "eth9", good, why, sizeof why), -ENOENT);
    assert_int_equal(netcfg_set_mac(n, "eth0", good, why, sizeof why), 0);
    assert_memory_equal(netcfg_interface(n, "eth0")->mac, good, 6);
    uint8_t parsed[6];
    assert_int_equal(hwaddr_parse("02:01:02:03:04:05", parsed), 0);
    assert_memory_equal(parsed, good, 6);
    assert_int_equal(hwaddr_parse("02:01:02:03:04", parsed), -EINVAL);
    assert_int_equal(hwaddr_parse("02-01-02-03-04-05", parsed), -EINVAL);
    netcfg_close(n);
}

static void time_modes_and_custom_names(void **state)
{
    (void)state;
    struct netcfg *n = open_mem(false);
    assert_int_equal(netcfg_time_custom(n, "ntp.test", NULL, false), 0);
    assert_int_equal(netcfg_time(n)->mode, NETCFG_NTP_CUSTOM);
    assert_string_equal(netcfg_time(n)->primary, "ntp.test");
    assert_false(netcfg_time(n)->fallback);
    assert_int_equal(netcfg_time_custom(n, "", NULL, true), -EINVAL);
    assert_int_equal(netcfg_time_custom(n, "bad name", NULL, true), -EINVAL);
    assert_int_equal(netcfg_time_custom(n, "a.test", "b_c", true), -EINVAL);
    char longname[80];
    memset(longname, 'a', sizeof longname - 1), longname[sizeof longname - 1] = 0;
    assert_int_equal(netcfg_time_custom(n, longname, NULL, true), -EINVAL);
    assert_string_equal(netcfg_time(n)->primary, "ntp.test"); /* unchanged */
    assert_int_equal(netcfg_time_automatic(n, true), 0);
    assert_int_equal(netcfg_time(n)->mode, NETCFG_NTP_AUTOMATIC);
    assert_int_equal(netcfg_time_set_enabled(n, false), 0);
    assert_false(netcfg_time(n)->enabled);
    assert_int_equal(netcfg_time_record_sync(n, "10.9.0.1", 1000, 2000, 1000000000000LL), 0);
    assert_true(netcfg_time(n)->synced);
    assert_int_equal(netcfg_time(n)->offset_ns, 1000000000000LL);
    netcfg_close(n);
}

static void proxy_checks(void **state)
{
    (void)state;
    struct netcfg *n = open_mem(false);
    char why[160] = "";
    struct netcfg_proxy p = {.enabled = true, .port = 8888};
    assert_int_equal(netcfg_proxy_set(n, &p, why, sizeof why), -EINVAL); /* no host */
    assert_non_null(strstr(why, "proxy address"));
    snprintf(p.address, sizeof p.address, "proxy.test");
    p.port = 0;
    assert_int_equal(netcfg_proxy_set(n, &p, why, sizeof why), -EINVAL);
    p.port = 8888;
    p.basic_auth = true;
    assert_int_equal(netcfg_proxy_set(n, &p, why, sizeof why), -EINVAL); /* basic without a user */
    snprintf(p.username, sizeof p.username, "user");
    snprintf(p.password, sizeof p.password, "pass");
    snprintf(p.no_proxy, sizeof p.no_proxy, "a.test,10.0.0.1");
    assert_int_equal(netcfg_proxy_set(n, &p, why, sizeof why), 0);
    assert_true(netcfg_proxy(n)->configured);
    assert_string_equal(netcfg_proxy(n)->username, "user");
    assert_int_equal(netcfg_proxy_delete(n), 0);
    assert_false(netcfg_proxy(n)->configured);
    netcfg_close(n);
}

static void persisted_state_reopens_equal(void **state)
{
    (void)state;
    char *dir = temp_dir(), why[256] = "";
    struct netcfg *n = NULL;
    assert_int_equal(netcfg_open(dir, true, &n, why, sizeof why), 0);
    struct netcfg_ip cfg = {.static_ip = true, .address = ip("10.1.2.3"), .netmask = ip("255.255.0.0"),
                            .gateway = ip("10.1.0.1"), .custom_dns = true, .dns_count = 2,
                            .dns = {ip("10.1.0.53"), ip("10.1.0.54")}};
    assert_int_equal(netcfg_apply_ip(n, "eth0", &cfg, why, sizeof why), 0);
    assert_int_equal(netcfg_time_custom(n, "ntp.test", "10.1.0.123", true), 0);
    struct netcfg_proxy p = {.enabled = true, .port = 3128, .basic_auth = true};
    snprintf(p.address, sizeof p.address, "10.1.0.8");
    snprintf(p.username, sizeof p.username, "u");
    snprintf(p.password, sizeof p.password, "p w");
    assert_int_equal(netcfg_proxy_set(n, &p, why, sizeof why), 0);
    char *first = netcfg_file_text(n);
    netcfg_close(n);
    assert_int_equal(netcfg_open(dir, true, &n, why, sizeof why), 0);
    char *second = netcfg_file_text(n);
    assert_string_equal(first, second);
    assert_true(netcfg_interface(n, "eth0")->ip.static_ip);
    assert_int_equal(netcfg_interface(n, "eth0")->ip.dns_count, 2);
    free(first), free(second);
    netcfg_close(n);
    remove_dir(dir);
}

static void failed_write_changes_nothing(void **state)
{
    (void)state;
    char *dir = temp_dir(), why[256] = "";
    struct netcfg *n = NULL;
    assert_int_equal(netcfg_open(dir, true, &n, why, sizeof why), 0);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir); /* the folder vanishes: every write fails */
    assert_int_equal(system(cmd), 0);
    assert_true(netcfg_set_enabled(n, "eth0", false) < 0);
    assert_true(netcfg_interface(n, "eth0")->enabled);
    assert_true(netcfg_time_set_enabled(n, false) < 0);
    assert_true(netcfg_time(n)->enabled);
    netcfg_close(n);
    free(dir);
}

/* Damaged files: refused with the file, line:col, the JSON path and the reason. */
static void damaged_files_are_refused_with_path_and_reason(void **state)
{
    (void)state;
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {"{", "netcfg.json:"},
        {"[]", "(top level): must be an object"},
        {"{\"version\":2,\"interfaces\":[]}", "version: must be an integer from 1 to 1"},
        {"{\"version\":1}", "interfaces: must be an array"},
        {"{\"version\":1,\"interfaces\":[],\"extra\":1}", "(top level).extra: is not a known field"},
        {"{\"version\":1,\"interfaces\":[{\"name\":\"eth5\"}]}", "interfaces[0]: names no interface"},
        {"{\"version\":1,\"interfaces\":[{\"name\":\"eth0\",\"enabled\":1}]}", "interfaces[0].enabled: must be true or false"},
        {"{\"version\":1,\"interfaces\":[{\"name\":\"eth0\",\"enabled\":true,\"hardwareAddress\":\"zz\"}]}",
         "hardwareAddress must be"},
        {"{\"version\":1,\"interfaces\":[{\"name\":\"eth0\",\"enabled\":true,\"hardwareAddress\":\"02:00:00:00:00:01\","
         "\"ip\":\"static\",\"address\":\"10.0.0.1\",\"netmask\":\"255.0.255.0\",\"gateway\":\"0.0.0.0\"}]}",
         "interfaces[0]: the subnet mask must be contiguous"},
        {"{\"version\":1,\"interfaces\":[{\"name\":\"eth0\",\"enabled\":true,\"hardwareAddress\":\"02:00:00:00:00:01\","
         "\"ip\":\"dhcp\",\"dns\":[\"1.2.3\"]}]}",
         "interfaces[0].dns[0]: must be an IPv4 address"},
        {"{\"version\":1,\"interfaces\":[],\"time\":{\"enabled\":true,\"mode\":\"sometimes\"}}", "time.mode: must be"},
        {"{\"version\":1,\"interfaces\":[],\"proxy\":{\"enabled\":true,\"address\":\"\",\"port\":80}}",
         "proxy: the proxy address must be"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *dir = temp_dir(), why[512] = "";
        write_text(dir, NETCFG_FILE, cases[i].text);
        struct netcfg *n = NULL;
        int err = netcfg_open(dir, true, &n, why, sizeof why);
        if (err != -EINVAL || !strstr(why, cases[i].expect) || !strstr(why, NETCFG_FILE))
            fail_msg("case %zu: %d \"%s\" (want \"%s\")", i, err, why, cases[i].expect);
        remove_dir(dir);
    }
}

/* A writer changes the configuration over and over, alternating two states; it is killed at
 * 40 different moments. After each kill the file loads and is one of the two states. */
static void kill_during_writes_leaves_old_or_new(void **state)
{
    (void)state;
    char *dir = temp_dir(), why[256] = "";
    struct netcfg *n = NULL;
    assert_int_equal(netcfg_open(dir, true, &n, why, sizeof why), 0);
    assert_int_equal(netcfg_time_custom(n, "a.test", NULL, true), 0);
    char *a = netcfg_file_text(n);
    assert_int_equal(netcfg_time_custom(n, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.test", "c.test", false), 0);
    char *b = netcfg_file_text(n);
    netcfg_close(n);
    for (int round = 0; round < 40; round++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            struct netcfg *w = NULL;
            char wwhy[256];
            if (netcfg_open(dir, true, &w, wwhy, sizeof wwhy))
                _exit(2);
            for (int i = 0;; i++)
                if (i % 2 ? netcfg_time_custom(w, "a.test", NULL, true)
                          : netcfg_time_custom(w, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.test", "c.test", false))
                    _exit(3);
        }
        usleep(1000 + (useconds_t)(round * 397 % 5000));
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(netcfg_open(dir, true, &n, why, sizeof why), 0);
        char *now = netcfg_file_text(n);
        if (strcmp(now, a) && strcmp(now, b))
            fail_msg("round %d: the file is neither state:\n%s", round, now);
        free(now);
        netcfg_close(n);
    }
    free(a), free(b);
    remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_wlan0_dhcp_time_sync_on_no_proxy),
        cmocka_unit_test(board_file_with_ethernet_gives_eth0),
        cmocka_unit_test(unknown_interface_is_enoent),
        cmocka_unit_test(bad_static_addresses_are_einval),
        cmocka_unit_test(static_then_dhcp_server_and_sntp),
        cmocka_unit_test(status_bits_follow_enabled_wifi_and_lease),
        cmocka_unit_test(hardware_address_only_on_ethernet),
        cmocka_unit_test(time_modes_and_custom_names),
        cmocka_unit_test(proxy_checks),
        cmocka_unit_test(persisted_state_reopens_equal),
        cmocka_unit_test(failed_write_changes_nothing),
        cmocka_unit_test(damaged_files_are_refused_with_path_and_reason),
        cmocka_unit_test(kill_during_writes_leaves_old_or_new),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
