/* SPDX-License-Identifier: MIT */
/* test_wifi.c — the Wi-Fi model (src/wifi/wifi.h): one behaviour per test. A failing damaged-file
 * case prints its name; rerun one test with CMOCKA_TEST_ABORT=1 ./test_wifi and a filter:
 * CMOCKA_FILTER=<test name>. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "hostio.h"
#include "path.h"
#include "wifi.h"

/* ---- fixtures ---------------------------------------------------------------------------------- */

static char dir[64];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_wifi.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    return hostio_remove_tree(dir);
}

static void write_file(const char *name, const char *text)
{
    char *p = path_join(dir, name);
    assert_int_equal(hostio_write_file_atomic(p, text, strlen(text), 0600), 0);
    free(p);
}

/* The certificate store the tests pretend: "ca" is a root CA, "client" a client certificate. */
static int certs(void *ctx, const char *id)
{
    (void)ctx;
    if (!strcmp(id, "ca"))
        return WIFI_CERT_KIND_ROOT_CA;
    if (!strcmp(id, "client"))
        return WIFI_CERT_KIND_CLIENT;
    return -ENOENT;
}

static const char aps_text[] =
    "{\"version\":1,\"accessPoints\":["
    "{\"ssid\":\"Home\",\"bssid\":\"02:00:00:00:00:01\",\"security\":\"psk\",\"frequency\":2437,\"signal\":-60,\"psk\":\"home-secret\"},"
    "{\"ssid\":\"Strong\",\"bssid\":\"02:00:00:00:00:02\",\"security\":\"open\",\"frequency\":5180,\"signal\":-40},"
    "{\"ssid\":\"Corp\",\"bssid\":\"02:00:00:00:00:03\",\"security\":\"eaptls\",\"frequency\":2412,\"signal\":-50},"
    "{\"ssid\":\"Secret\",\"bssid\":\"02:00:00:00:00:04\",\"security\":\"open\",\"frequency\":2462,\"signal\":-30,\"hidden\":true}]}";

/* A Wi-Fi in dir with the four access points above and no stored networks. */
static struct wifi *open_empty(void)
{
    write_file("wifi-aps.json", aps_text);
    write_file("wifi.json", "{\"version\":1,\"networks\":[]}");
    struct wifi *w;
    char why[256] = "";
    struct wifi_ops ops = {.cert_kind = certs};
    int err = wifi_open(dir, &ops, &w, why, sizeof why);
    if (err)
        print_error("%s\n", why);
    assert_int_equal(err, 0);
    return w;
}

static int add(struct wifi *w, const char *ssid, int security, const char *psk)
{
    int id = wifi_add_network(w);
    assert_true(id >= 0);
    assert_int_equal(wifi_set_ssid(w, id, (const uint8_t *)ssid, strlen(ssid)), 0);
    assert_int_equal(wifi_set_security(w, id, security), 0);
    if (psk)
        assert_int_equal(wifi_set_psk(w, id, psk, strlen(psk)), 0);
    assert_int_equal(wifi_set_enabled(w, id, true), 0);
    return id;
}

/* ---- defaults ---------------------------------------------------------------------------------- */

static void a_new_device_is_connected_to_the_default_network(void **state)
{
    (void)state;
    struct wifi *w;
    char why[128];
    assert_int_equal(wifi_open(dir, NULL, &w, why, sizeof why), 0);
    assert_int_equal(wifi_network_count(w), 1);
    assert_int_equal(wifi_ap_count(w), 1);
    assert_int_equal(wifi_connected_id(w), 0);
    assert_true(wifi_link_up(w));
    assert_memory_equal(wifi_connected_ap(w)->ssid, "OpenSphere-Sim", 14);
    wifi_close(w);
}

/* ---- connect ----------------------------------------------------------------------------------- */

static void a_psk_network_with_the_right_key_connects(void **state)
{
    (void)state;
    struct wifi *w = open_empty();
    assert_false(wifi_link_up(w));
    int id = add(w, "Home", WIFI_SEC_PSK, "home-secret");
    assert_int_equal(wifi_connected_id(w), id);
    assert_int_equal(wifi_connected_ap(w)->frequency_mhz, 2437);
    assert_true(wifi_network(w, id)->connected);
    assert_int_equal(wifi_diagnostics(w, id, &(struct wifi_diag){0}), -ENODEV); /* never failed */
    wifi_close(w);
}

static void the_strongest_viable_network_is_chosen(void **state)
{
    (void)state;
    struct wifi *w = open_empty();
    int home = add(w, "Home", WIFI_SEC_PSK, "home-secret");
    assert_int_equal(wifi_forget(w, home), 0);
    int strong = add(w, "Strong", WIFI_SEC_OPEN, NULL);
    home = add(w, "Home", WIFI_SEC_PSK, "home-secret");
    assert_int_equal(wifi_connected_id(w), strong); /* -40 dBm beats -60 */
    assert_int_equal(wifi_set_enabled(w, strong, false), 0);
    assert_int_equal(wifi_connected_id(w), home);
    assert_int_equal(wifi_set_enabled(w, strong, true), 0);
    assert_int_equal(wifi_connected_id(w), home); /* stays while it works */
    wifi_close(w);
}

static void a_wrong_psk_records_wrong_key(void **state)
{
    (void)state;
    struct wifi *w = open_empty();
    int id = add(w, "Home", WIFI_SEC_PSK, "not-the-key");
    assert_int_equal(wifi_connected_id(w), -ENOTCONN);
    struct wifi_diag d;
    assert_int_equal(wifi_diagnostics(w, id, &d), 0);
    assert_int_equal(d.error, WIFI_ERR_WRONG_KEY);
    assert_true(d.timestamp > 0);
    assert_int_equal(wifi_set_psk(w, id, "home-secret", 11), 0);
    assert_int_equal(wifi_connected_id(w), id);
    wifi_close(w);
}

static void missing_psk_mismatch_and_absent_networks_are_told_apart(void **state)
{
    (void)state;
    struct wifi *w = open_empty();
    struct wifi_diag d;
    int nopsk = add(w, "Home", WIFI_SEC_PSK, NULL);
    int mismatch = add(w, "Strong", WIFI_SEC_PSK, "whatever-key");
    int absent = add(w, "Elsewhere", WIFI_SEC_OPEN, NULL);
    int hidden = add(w, "Secret", WIFI_SEC_OPEN, NULL);
    assert_int_equal(wifi_diagnostics(w, nopsk, &d), 0);
    assert_int_equal(d.error, WIFI_ERR_NO_PSK);
    assert_int_equal(wifi_diagnostics(w, mismatch, &d), 0);
    assert_int_equal(d.error, WIFI_ERR_SECURITY_MISMATCH);
    assert_int_equal(wifi_diagnostics(w, absent, &d), 0);
    assert_int_equal(d.error, WIFI_ERR_NETWORK_NOT_FOUND);
    assert_int_equal(wifi_diagnostics(w, hidden, &d), 0);
    assert_int_equal(d.error, WIFI_ERR_NETWORK_NOT_FOUND); /* hidden: needs targeted scan */
    assert_int_equal(wifi_set_targeted_scan(w, hidden, true), 0);
    assert_int_equal(wifi_connected_id(w), hidden);
    wifi_close(w);
}

static void eap_tls_needs_installed_certificates(void **state)
{
    (void)state;
    struct wifi *w = open_empty();
    struct wifi_diag d;
    int id = add(w, "Corp", WIFI_SEC_EAP_TLS, NULL);
    assert_int_equal(wifi_diagnostics(w, id, &d), 0); /* no client certificate set */
    assert_int_equal(d.error, WIFI_ERR_AUTHENTICATION_FAILED);
    assert_int_equal(d.cert_error, WIFI_CERT_NOT_FOUND);
    assert_int_equal(wifi_set_cert_id(w, id, WIFI_CERT_CLIENT, "nothere"), 0);
    assert_int_equal(wifi_diagnostics(w, id, &d), 0);
    assert_int_equal(d.cert_error, WIFI_CERT_NOT_FOUND);
    assert_int_equal(d.cert_depth, 0);
    assert_string_equal(d.cert_subject, "nothere");
    assert_int_equal(wifi_set_cert_id(w, id, WIFI_CERT_CLIENT, "ca"), 0); /* a root CA as the client's */
    assert_int_equal(wifi_diagnostics(w, id, &d), 0);
    assert_int_equal(d.cert_error, WIFI_CERT_INVALID_CLIENT_AUTH);
    assert_int_equal(wifi_set_cert_id(w, id, WIFI_CERT_CLIENT, "client"), 0);
    assert_int_equal(wifi_set_cert_id(w, id, WIFI_CERT_ROOT_CA, "missing-ca"), 0);
    assert_int_equal(wifi_diagnostics(w, id, &d), 0);
    assert_int_equal(d.cert_error, WIFI_CERT_NOT_FOUND);
    assert_int_equal(d.cert_depth, 1);
    assert_int_equal(wifi_set_cert_id(w, id, WIFI_CERT_ROOT_CA, "client"), 0);
    assert_int_equal(wifi_diagnostics(w, id, &d), 0);
    assert_int_equal(d.cert_error, WIFI_CERT_INVALID_ROOT_CA);
    assert_int_equal(wifi_connected_id(w), -ENOTCONN);
    assert_int_equal(wifi_set_cert_id(w, id, WIFI_CERT_ROOT_CA, "ca"), 0);
    assert_int_equal(wifi_connected_id(w), id);
    assert_int_equal(wifi_set_cert_id(w, id, WIFI_CERT_ROOT_CA, "bad id!"), -EINVAL);
    assert_int_equal(wifi_set_cert_id(w, id, WIFI_CERT_ROOT_CA, "seventeen-chars-x"), -ERANGE);
    wifi_close(w);
}

static void forgetting_the_connected_network_drops_the_link(void **state)
{
    (void)state;
    struct wifi *w = open_empty();
    int strong = add(w, "Strong", WIFI_SEC_OPEN, NULL);
    int home = add(w, "Home", WIFI_SEC_PSK, "home-secret");
    assert_int_equal(wifi_connected_id(w), strong);
    assert_int_equal(wifi_forget(w, strong), 0);
    assert_int_equal(wifi_connected_id(w), home - 1); /* IDs are renumbered */
    assert_int_equal(wifi_forget(w, 0), 0);
    assert_false(wifi_link_up(w));
    assert_int_equal(wifi_forget(w, 0), -ENODEV);
    assert_int_equal(wifi_forget(w, -1), -EINVAL);
    wifi_close(w);
}

static void scans_show_visible_access_points_strongest_first(void **state)
{
    (void)state;
    struct wifi *w = open_empty();
    assert_int_equal(wifi_scan(w), 3); /* the hidden one is not listed */
    assert_memory_equal(wifi_scanned(w, 0)->ssid, "Strong", 6);
    assert_memory_equal(wifi_scanned(w, 1)->ssid, "Corp", 4);
    assert_memory_equal(wifi_scanned(w, 2)->ssid, "Home", 4);
    assert_null(wifi_scanned(w, 3));
    wifi_close(w);
}

/* ---- setters' limits --------------------------------------------------------------------------- */

static void the_stored_network_limit_is_37(void **state)
{
    (void)state;
    struct wifi *w = open_empty();
    for (int i = 0; i < WIFI_MAX_NETWORKS; i++)
        assert_int_equal(wifi_add_network(w), i);
    assert_int_equal(wifi_add_network(w), -ENOMEM);
    assert_int_equal(wifi_add_duplicate(w, 0, "copy"), -ENOMEM);
    assert_int_equal(wifi_persist(w), -EINVAL); /* networks without SSID */
    wifi_close(w);
    struct wifi *v = open_empty();
    for (int i = 0; i < WIFI_MAX_NETWORKS; i++) {
        char ssid[8];
        snprintf(ssid, sizeof ssid, "n%d", i);
        assert_int_equal(wifi_store_network(v, (const uint8_t *)ssid, strlen(ssid), WIFI_SEC_OPEN, NULL, 0), 0);
    }
    assert_int_equal(wifi_store_network(v, (const uint8_t *)"one-more", 8, WIFI_SEC_OPEN, NULL, 0), -ENOSPC);
    wifi_close(v);
}

static void setters_check_their_arguments(void **state)
{
    (void)state;
    struct wifi *w = open_empty();
    int id = wifi_add_network(w);
    assert_false(wifi_network(w, id)->enabled);
    assert_int_equal(wifi_set_ssid(w, id, (const uint8_t *)"", 0), -ERANGE);
    assert_int_equal(wifi_set_ssid(w, id, (const uint8_t *)"123456789012345678901234567890123", 33), -ERANGE);
    assert_int_equal(wifi_set_ssid(w, 7, (const uint8_t *)"x", 1), -ENODEV);
    assert_int_equal(wifi_set_ssid(w, -2, (const uint8_t *)"x", 1), -EINVAL);
    assert_int_equal(wifi_set_security(w, id, 4), -EINVAL);
    assert_int_equal(wifi_set_security(w, id, 0), -EINVAL);
    assert_int_equal(wifi_set_psk(w, id, "short", 5), -EINVAL);
    assert_int_equal(wifi_set_psk(w, id, "x", 65), -ERANGE);
    assert_int_equal(wifi_set_config_name(w, id, "seventeen-chars-x"), -ERANGE);
    assert_int_equal(wifi_set_config_name(w, id, "mine"), 0);
    assert_int_equal(wifi_id_by_config_name(w, "mine"), id);
    assert_int_equal(wifi_id_by_config_name(w, "other"), -ENODEV);
    assert_int_equal(wifi_add_duplicate(w, id, "mine"), -EEXIST);
    assert_int_equal(wifi_add_duplicate(w, id, ""), -ERANGE);
    int copy = wifi_add_duplicate(w, id, "copy");
    assert_int_equal(copy, id + 1);
    assert_false(wifi_network(w, copy)->enabled);
    char identity[WIFI_IDENTITY_MAX + 2];
    memset(identity, 'i', sizeof identity - 1);
    identity[sizeof identity - 1] = 0;
    assert_int_equal(wifi_set_client_identity(w, id, identity), -ERANGE);
    identity[WIFI_IDENTITY_MAX] = 0;
    assert_int_equal(wifi_set_client_identity(w, id, identity), 0);
    wifi_close(w);
}

/* ---- persistence ------------------------------------------------------------------------------- */

static void persisted_networks_survive_a_reopen_and_unsaved_ones_a_reload_do_not(void **state)
{
    (void)state;
    struct wifi *w = open_empty();
    int id = add(w, "Home", WIFI_SEC_PSK, "home-secret");
    assert_int_equal(wifi_set_config_name(w, id, "home"), 0);
    assert_int_equal(wifi_set_targeted_scan(w, id, true), 0);
    uint8_t raw[3] = {0x00, 0xff, 0x41};
    int rawid = wifi_add_network(w);
    assert_int_equal(wifi_set_ssid(w, rawid, raw, 3), 0);
    assert_int_equal(wifi_set_security(w, rawid, WIFI_SEC_OPEN), 0);
    assert_int_equal(wifi_persist(w), 0); /* rawid stays disabled */
    add(w, "Strong", WIFI_SEC_OPEN, NULL); /* not persisted */
    char why[256];
    assert_int_equal(wifi_reload(w, why, sizeof why), 0);
    assert_int_equal(wifi_network_count(w), 2);
    assert_int_equal(wifi_connected_id(w), id);
    wifi_close(w);
    struct wifi_ops ops = {.cert_kind = certs};
    assert_int_equal(wifi_open(dir, &ops, &w, why, sizeof why), 0);
    assert_int_equal(wifi_network_count(w), 2);
    const struct wifi_network *n = wifi_network(w, 0);
    assert_string_equal(n->psk, "home-secret");
    assert_string_equal(n->config_name, "home");
    assert_true(n->targeted_scan);
    assert_int_equal(wifi_network(w, 1)->ssid_len, 3);
    assert_memory_equal(wifi_network(w, 1)->ssid, raw, 3);
    assert_int_equal(wifi_connected_id(w), 0);
    wifi_close(w);
}

static void forget_all_is_persisted(void **state)
{
    (void)state;
    struct wifi *w = open_empty();
    add(w, "Home", WIFI_SEC_PSK, "home-secret");
    assert_int_equal(wifi_persist(w), 0);
    assert_int_equal(wifi_forget_all(w), 0);
    char why[128];
    assert_int_equal(wifi_reload(w, why, sizeof why), 0);
    assert_int_equal(wifi_network_count(w), 0);
    assert_false(wifi_link_up(w));
    wifi_close(w);
}

static void access_points_are_persisted_and_removed_by_ssid_or_bssid(void **state)
{
    (void)state;
    struct wifi *w = open_empty();
    struct wifi_ap ap = {.ssid = "Lab", .ssid_len = 3, .bssid = {2, 0, 0, 0, 0, 9}, .security = WIFI_SEC_PSK,
                         .frequency_mhz = 2412, .signal_dbm = -20};
    char why[256] = "";
    assert_int_equal(wifi_ap_add(w, &ap, why, sizeof why), -EINVAL); /* no key */
    assert_non_null(strstr(why, "psk"));
    snprintf(ap.psk, sizeof ap.psk, "lab-secret");
    assert_int_equal(wifi_ap_add(w, &ap, why, sizeof why), 0);
    add(w, "Lab", WIFI_SEC_PSK, "lab-secret");
    assert_true(wifi_link_up(w));
    wifi_close(w);
    assert_int_equal(wifi_open(dir, NULL, &w, why, sizeof why), 0);
    assert_int_equal(wifi_ap_count(w), 5);
    assert_int_equal(wifi_ap_remove(w, "02:00:00:00:00:09"), 0);
    assert_int_equal(wifi_ap_remove(w, "Strong"), 0);
    assert_int_equal(wifi_ap_remove(w, "Strong"), -ENOENT);
    wifi_close(w);
    assert_int_equal(wifi_open(dir, NULL, &w, why, sizeof why), 0);
    assert_int_equal(wifi_ap_count(w), 3);
    wifi_close(w);
}

/* ---- damaged files ----------------------------------------------------------------------------- */

struct damage {
    const char *file, *text, *expect; /* expect: the JSON path and reason in why */
};

static const struct damage damages[] = {
    {"wifi.json", "{\"version\":1,\"networks\":[", "wifi.json:1:"},
    {"wifi.json", "[]", "(top level): must be an object"},
    {"wifi.json", "{\"version\":2,\"networks\":[]}", "version: must be 1"},
    {"wifi.json", "{\"version\":1,\"networks\":{}}", "networks: must be an array"},
    {"wifi.json", "{\"version\":1,\"networks\":[],\"extra\":1}", "extra: is not a known field"},
    {"wifi.json", "{\"version\":1,\"networks\":[7]}", "networks[0]: must be an object"},
    {"wifi.json", "{\"version\":1,\"networks\":[{\"security\":\"open\"}]}", "networks[0]: needs \"ssid\""},
    {"wifi.json", "{\"version\":1,\"networks\":[{\"ssid\":\"\",\"security\":\"open\"}]}", "networks[0].ssid: must be 1-32"},
    {"wifi.json", "{\"version\":1,\"networks\":[{\"ssidHex\":\"0g\",\"security\":\"open\"}]}", "networks[0].ssidHex: must be"},
    {"wifi.json", "{\"version\":1,\"networks\":[{\"ssid\":\"a\",\"security\":\"wep\"}]}", "networks[0].security: must be"},
    {"wifi.json", "{\"version\":1,\"networks\":[{\"ssid\":\"a\",\"security\":\"open\",\"enabled\":1}]}", "networks[0].enabled: must be true or false"},
    {"wifi.json", "{\"version\":1,\"networks\":[{\"ssid\":\"a\",\"security\":\"open\",\"targetedScan\":\"no\"}]}", "networks[0].targetedScan: must be true or false"},
    {"wifi.json", "{\"version\":1,\"networks\":[{\"ssid\":\"a\",\"security\":\"psk\",\"psk\":\"short\"}]}", "networks[0].psk: must be 8-63"},
    {"wifi.json", "{\"version\":1,\"networks\":[{\"ssid\":\"a\",\"security\":\"open\",\"configName\":\"seventeen-chars-x\"}]}", "networks[0].configName: must be at most 16"},
    {"wifi.json", "{\"version\":1,\"networks\":[{\"ssid\":\"a\",\"security\":\"open\",\"clientIdentity\":5}]}", "networks[0].clientIdentity: must be a string"},
    {"wifi.json", "{\"version\":1,\"networks\":[{\"ssid\":\"a\",\"security\":\"eaptls\",\"clientCertId\":\"bad id\"}]}", "networks[0].clientCertId: must be 1-16"},
    {"wifi.json", "{\"version\":1,\"networks\":[{\"ssid\":\"a\",\"security\":\"eaptls\",\"rootCaCertId\":\"\"}]}", "networks[0].rootCaCertId: must be 1-16"},
    {"wifi.json", "{\"version\":1,\"networks\":[{\"ssid\":\"a\",\"security\":\"open\",\"colour\":\"red\"}]}", "networks[0].colour: is not a known field"},
    {"wifi-aps.json", "{\"version\":1,\"accessPoints\":[{\"ssid\":\"a\",\"bssid\":\"02:00:00:00:00\",\"security\":\"open\",\"frequency\":2412,\"signal\":-1}]}", "accessPoints[0].bssid: must be six hex bytes"},
    {"wifi-aps.json", "{\"version\":1,\"accessPoints\":[{\"ssid\":\"a\",\"bssid\":\"02:00:00:00:00:01\",\"security\":\"open\",\"frequency\":2400,\"signal\":-1}]}", "accessPoints[0].frequency: must be"},
    {"wifi-aps.json", "{\"version\":1,\"accessPoints\":[{\"ssid\":\"a\",\"bssid\":\"02:00:00:00:00:01\",\"security\":\"open\",\"frequency\":2412,\"signal\":5}]}", "accessPoints[0].signal: must be"},
    {"wifi-aps.json", "{\"version\":1,\"accessPoints\":[{\"ssid\":\"a\",\"bssid\":\"02:00:00:00:00:01\",\"security\":\"psk\",\"frequency\":2412,\"signal\":-1}]}", "accessPoints[0].psk: a psk access point needs"},
    {"wifi-aps.json", "{\"version\":1,\"accessPoints\":[{\"ssid\":\"a\",\"bssid\":\"02:00:00:00:00:01\",\"security\":\"open\",\"frequency\":2412,\"signal\":-1,\"psk\":\"12345678\"}]}", "accessPoints[0].psk: only a psk access point"},
    {"wifi-aps.json", "{\"version\":1,\"accessPoints\":[{\"ssid\":\"a\",\"bssid\":\"02:00:00:00:00:01\",\"security\":\"open\",\"frequency\":2412,\"signal\":-1,\"hidden\":0}]}", "accessPoints[0].hidden: must be true or false"},
    {"wifi-aps.json", "{\"version\":1,\"accessPoints\":[{\"ssid\":\"a\",\"bssid\":\"02:00:00:00:00:01\",\"security\":\"open\",\"frequency\":2412,\"signal\":-1},{\"ssid\":\"b\",\"bssid\":\"02:00:00:00:00:01\",\"security\":\"open\",\"frequency\":2412,\"signal\":-1}]}", "accessPoints[1].bssid: repeats"},
};

static void a_damaged_file_is_refused_with_its_path_and_field(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof damages / sizeof damages[0]; i++) {
        const struct damage *c = &damages[i];
        char *other = path_join(dir, strcmp(c->file, "wifi.json") ? "wifi.json" : "wifi-aps.json");
        unlink(other);
        free(other);
        write_file(c->file, c->text);
        struct wifi *w = NULL;
        char why[512] = "";
        int err = wifi_open(dir, NULL, &w, why, sizeof why);
        if (err != -EINVAL || !strstr(why, c->expect) || !strstr(why, c->file)) {
            print_error("damage case %zu (%s): got %d \"%s\", expected \"%s\"\n", i, c->text, err, why, c->expect);
            fail();
        }
        assert_null(w);
        char *p = path_join(dir, c->file);
        unlink(p);
        free(p);
    }
}

/* ---- crash safety ------------------------------------------------------------------------------ */

/* A child persists "old" and "new" configurations in turn forever; killed at arbitrary moments,
 * the file it leaves always loads and is one of the two. */
static void a_crash_while_persisting_leaves_the_old_or_the_new_file(void **state)
{
    (void)state;
    for (int round = 0; round < 30; round++) {
        struct wifi *w = open_empty();
        add(w, "Home", WIFI_SEC_PSK, "home-secret");
        assert_int_equal(wifi_persist(w), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            for (unsigned i = 0;; i++) {
                wifi_set_config_name(w, 0, i % 2 ? "new" : "");
                if (wifi_persist(w))
                    _exit(2);
            }
        }
        usleep((useconds_t)(1000 + (round * 997) % 9000));
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFEXITED(status) == 0); /* killed, not failed */
        char why[256];
        assert_int_equal(wifi_reload(w, why, sizeof why), 0);
        assert_int_equal(wifi_network_count(w), 1);
        const char *name = wifi_network(w, 0)->config_name;
        assert_true(!strcmp(name, "") || !strcmp(name, "new"));
        wifi_close(w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_new_device_is_connected_to_the_default_network, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(a_psk_network_with_the_right_key_connects, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(the_strongest_viable_network_is_chosen, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(a_wrong_psk_records_wrong_key, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(missing_psk_mismatch_and_absent_networks_are_told_apart, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(eap_tls_needs_installed_certificates, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(forgetting_the_connected_network_drops_the_link, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(scans_show_visible_access_points_strongest_first, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(the_stored_network_limit_is_37, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(setters_check_their_arguments, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(persisted_networks_survive_a_reopen_and_unsaved_ones_a_reload_do_not, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(forget_all_is_persisted, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(access_points_are_persisted_and_removed_by_ssid_or_bssid, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(a_damaged_file_is_refused_with_its_path_and_field, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(a_crash_while_persisting_leaves_the_old_or_the_new_file, make_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
