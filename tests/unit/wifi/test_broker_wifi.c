/* SPDX-License-Identifier: MIT */
/* test_broker_wifi.c — the broker's Wi-Fi ops (src/runtime/broker_wifi.c) in-process against the
 * device's Wi-Fi model: the capability checks (WifiConfig; EnterpriseWifiConfig for EAP-TLS
 * settings), EAGAIN without a model, the reply layouts, the chunked client identity, and wlan0
 * gating the network ops (ENETUNREACH). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "broker_ops.h"
#include "wifi_device.h"

static const struct broker_op_entry *const tables[] = {broker_wifi_ops, broker_network_ops};

static int call(const char *caps, uint32_t op, int a, int b, int c, const void *text, size_t len, struct broker_reply *r)
{
    char manifest[256];
    snprintf(manifest, sizeof manifest, "{\"Capabilities\":%s}", caps);
    struct diag_list d = {0};
    struct json_value *m = NULL;
    assert_int_equal(json_parse(manifest, strlen(manifest), NULL, "manifest", &d, &m), 0);
    diag_list_free(&d);
    struct broker_context ctx = {.manifest = m, .component_text = "00000000-0000-0000-0000-000000000001",
                                 .reply_sock = -1};
    struct broker_request q = {.version = BROKER_VERSION, .op = op, .a = a, .b = b, .c = c};
    memcpy(q.text, text, len);
    memset(r, 0, sizeof *r);
    int fd = -1, result = -ENOSYS;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0] && result == -ENOSYS; t++)
        for (const struct broker_op_entry *e = tables[t]; e->handler; e++)
            if (e->op == op)
                result = e->handler(&ctx, &q, r, &fd);
    json_free(m);
    return result;
}

#define WIFI "{\"WifiConfig\":true}"
#define ENTERPRISE "{\"WifiConfig\":true,\"EnterpriseWifiConfig\":true}"

static int open_model(void **state)
{
    (void)state;
    char why[128];
    return wifi_device_open(NULL, NULL, why, sizeof why); /* in memory: the defaults */
}

static int close_model(void **state)
{
    (void)state;
    wifi_device_close();
    return 0;
}

static void without_a_model_the_device_is_not_ready(void **state)
{
    (void)state;
    struct broker_reply r;
    assert_int_equal(call(WIFI, BROKER_WIFI_STORED_COUNT, 0, 0, 0, "", 0, &r), -EAGAIN);
    assert_int_equal(call("{}", BROKER_WIFI_STORED_COUNT, 0, 0, 0, "", 0, &r), -EACCES);
    assert_true(wifi_device_link_up()); /* networking as before Wi-Fi existed */
}

static void every_op_needs_wifi_config(void **state)
{
    (void)state;
    struct broker_reply r;
    for (uint32_t op = BROKER_WIFI_ADD_NETWORK; op <= BROKER_WIFI_FORGET_MATCHING; op++)
        assert_int_equal(call("{\"WifiConfig\":false,\"EnterpriseWifiConfig\":true}", op, 0, 1, 1, "x", 1, &r), -EACCES);
}

static void eap_tls_settings_need_enterprise_wifi_config(void **state)
{
    (void)state;
    struct broker_reply r;
    assert_int_equal(call(WIFI, BROKER_WIFI_SET_SECURITY, 0, WIFI_SEC_EAP_TLS, 0, "", 0, &r), -EACCES);
    assert_int_equal(call(WIFI, BROKER_WIFI_SET_CERT_ID, 0, WIFI_CERT_CLIENT, 0, "c", 1, &r), -EACCES);
    assert_int_equal(call(WIFI, BROKER_WIFI_GET_CERT_ID, 0, WIFI_CERT_ROOT_CA, 0, "", 0, &r), -EACCES);
    assert_int_equal(call(WIFI, BROKER_WIFI_SET_IDENTITY, 0, 0, 1, "i", 1, &r), -EACCES);
    assert_int_equal(call(WIFI, BROKER_WIFI_GET_IDENTITY, 0, 0, 0, "", 0, &r), -EACCES);
    assert_int_equal(call(WIFI, BROKER_WIFI_SET_SECURITY, 0, WIFI_SEC_OPEN, 0, "", 0, &r), 0); /* not EAP: fine */
    assert_int_equal(call(ENTERPRISE, BROKER_WIFI_SET_SECURITY, 0, WIFI_SEC_EAP_TLS, 0, "", 0, &r), 0);
    assert_int_equal(call(ENTERPRISE, BROKER_WIFI_SET_CERT_ID, 0, WIFI_CERT_CLIENT, 0, "client1", 7, &r), 0);
    assert_int_equal(call(ENTERPRISE, BROKER_WIFI_GET_CERT_ID, 0, WIFI_CERT_CLIENT, 0, "", 0, &r), 0);
    assert_string_equal(r.text, "client1");
}

static void replies_carry_the_documented_layouts(void **state)
{
    (void)state;
    struct broker_reply r;
    assert_int_equal(call(WIFI, BROKER_WIFI_STORED_GET, 0, 0, 0, "", 0, &r), 0);
    struct broker_wifi_network n;
    memcpy(&n, r.text, sizeof n);
    assert_int_equal(n.ssid_len, 14);
    assert_memory_equal(n.ssid, "OpenSphere-Sim", 14);
    assert_true(n.enabled && n.connected);
    assert_int_equal(n.security, WIFI_SEC_PSK);
    assert_int_equal(call(WIFI, BROKER_WIFI_SCAN, 0, 0, 0, "", 0, &r), 0);
    assert_int_equal(r.value, 1);
    assert_int_equal(call(WIFI, BROKER_WIFI_SCANNED_GET, 0, 0, 0, "", 0, &r), 0);
    struct broker_wifi_bss b;
    memcpy(&b, r.text, sizeof b);
    assert_int_equal(b.frequency_mhz, 2437);
    assert_int_equal(b.signal_rssi, -45);
    assert_int_equal(b.bssid[5], 1);
    assert_int_equal(call(WIFI, BROKER_WIFI_SCANNED_GET, 1, 0, 0, "", 0, &r), -ERANGE); /* past the last */
    assert_int_equal(call(WIFI, BROKER_WIFI_STORED_GET, 5, 0, 0, "", 0, &r), -ENODEV);
}

static void the_client_identity_travels_in_chunks(void **state)
{
    (void)state;
    char identity[WIFI_IDENTITY_MAX + 1];
    for (int i = 0; i < WIFI_IDENTITY_MAX; i++)
        identity[i] = (char)('A' + i % 26);
    identity[WIFI_IDENTITY_MAX] = 0;
    struct broker_reply r;
    for (int off = 0; off < WIFI_IDENTITY_MAX; off += 95) {
        int n = WIFI_IDENTITY_MAX - off < 95 ? WIFI_IDENTITY_MAX - off : 95;
        assert_int_equal(call(ENTERPRISE, BROKER_WIFI_SET_IDENTITY, 0, off, WIFI_IDENTITY_MAX, identity + off, (size_t)n, &r), 0);
    }
    char back[WIFI_IDENTITY_MAX + 1] = "";
    for (size_t have = 0; have < WIFI_IDENTITY_MAX;) {
        assert_int_equal(call(ENTERPRISE, BROKER_WIFI_GET_IDENTITY, 0, (int)have, 0, "", 0, &r), 0);
        assert_int_equal(r.value, WIFI_IDENTITY_MAX);
        size_t n = strlen(r.text);
        assert_true(n > 0);
        memcpy(back + have, r.text, n);
        have += n;
    }
    assert_string_equal(back, identity);
    assert_int_equal(call(ENTERPRISE, BROKER_WIFI_SET_IDENTITY, 0, 0, WIFI_IDENTITY_MAX + 1, "x", 1, &r), -ERANGE);
}

static void wlan0_down_refuses_resolve_and_connect(void **state)
{
    (void)state;
    struct broker_reply r;
    assert_int_equal(call(WIFI, BROKER_WIFI_FORGET, 0, 0, 0, "", 0, &r), 0);
    assert_false(wifi_device_link_up());
    assert_int_equal(call(WIFI, BROKER_NET_STATUS, 0, 0, 0, "", 0, &r), 0);
    assert_int_equal(r.value, 0);
    assert_int_equal(call("{\"AllowedConnections\":[\"127.0.0.1\"]}", BROKER_NET_CONNECT, 0x0100007f, 80, 1, "", 0, &r),
                     -ENETUNREACH);
    assert_int_equal(call("{\"AllowedConnections\":[\"a.test\"]}", BROKER_NET_RESOLVE, 0, 0, 0, "a.test", 7, &r),
                     -ENETUNREACH);
    assert_int_equal(call(WIFI, BROKER_WIFI_CONNECTED_ID, 0, 0, 0, "", 0, &r), -ENOTCONN);
    assert_int_equal(call(WIFI, BROKER_WIFI_CURRENT, 0, 0, 0, "", 0, &r), -ENODATA);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(without_a_model_the_device_is_not_ready),
        cmocka_unit_test_setup_teardown(every_op_needs_wifi_config, open_model, close_model),
        cmocka_unit_test_setup_teardown(eap_tls_settings_need_enterprise_wifi_config, open_model, close_model),
        cmocka_unit_test_setup_teardown(replies_carry_the_documented_layouts, open_model, close_model),
        cmocka_unit_test_setup_teardown(the_client_identity_travels_in_chunks, open_model, close_model),
        cmocka_unit_test_setup_teardown(wlan0_down_refuses_resolve_and_connect, open_model, close_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
