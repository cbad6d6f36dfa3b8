/* SPDX-License-Identifier: MIT */
/* test_twin_unit.c — the device twin's pure parts: mosquitto's password format (checked against
 * a line mosquitto_passwd 2.0.11 wrote), the password file's add-or-replace, topics, payload
 * checks and broker addresses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "hostio.h"
#include "mqttbroker.h"
#include "twin.h"

static void password_hash_is_what_mosquitto_passwd_writes(void **state)
{
    /* `mosquitto_passwd -c -b pw u1 secret` (mosquitto 2.0.11) wrote this line. */
    const char *line = "$7$101$hYuDjKxRQ50c9Mz/$2L39U0snoBkS1qH9qBQsdXcJYsuUSuCjI0BEQj9plLfaahvrk+Y1ytzyD3dfVOCbXBC+S42vR+nnktUjgX7n3g==";
    uint8_t salt[16];
    assert_int_equal(EVP_DecodeBlock(salt, (const unsigned char *)"hYuDjKxRQ50c9Mz/", 16), 12);
    char out[192];
    assert_int_equal(mqttbroker_hash_password("secret", salt, out, sizeof out), 0);
    assert_string_equal(out, line);
    assert_int_equal(mqttbroker_hash_password("Secret", salt, out, sizeof out), 0);
    assert_string_not_equal(out, line);
}

static void set_password_adds_then_replaces_only_that_user(void **state)
{
    char dir[] = "/tmp/test_twin_XXXXXX", file[64];
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/passwd", dir);
    assert_int_equal(mqttbroker_set_password(file, "alice", "one"), 0);
    assert_int_equal(mqttbroker_set_password(file, "bob", "two"), 0);
    char *before = NULL, *after = NULL;
    size_t len = 0;
    assert_int_equal(hostio_read_file(file, &before, &len), 0);
    assert_int_equal(mqttbroker_set_password(file, "alice", "three"), 0);
    assert_int_equal(hostio_read_file(file, &after, &len), 0);
    /* bob's line unchanged, alice's replaced (one line each), mode 0600. */
    char *bob_before = strstr(before, "bob:"), *bob_after = strstr(after, "bob:");
    assert_non_null(bob_before);
    assert_non_null(bob_after);
    assert_memory_equal(bob_before, bob_after, strcspn(bob_before, "\n"));
    assert_non_null(strstr(after, "alice:$7$101$"));
    assert_null(strstr(strstr(after, "alice:") + 1, "alice:"));
    assert_string_not_equal(strstr(before, "alice:"), strstr(after, "alice:"));
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* A user name that would break the file's format is refused. */
    assert_int_equal(mqttbroker_set_password(file, "a:b", "x"), -EINVAL);
    assert_int_equal(mqttbroker_set_password(file, "a\nb", "x"), -EINVAL);
    free(before), free(after);
    unlink(file);
    rmdir(dir);
}

static void random_passwords_are_32_alphanumerics_and_differ(void **state)
{
    char a[33], b[33];
    assert_int_equal(mqttbroker_random_password(a), 0);
    assert_int_equal(mqttbroker_random_password(b), 0);
    assert_int_equal(strlen(a), 32);
    assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"), 32);
    assert_string_not_equal(a, b);
}

static void topics_carry_exactly_one_single_case_device_id(void **state)
{
    char id[DEVICE_ID_HEX + 1], topic[300], good[DEVICE_ID_HEX + 1];
    memset(good, 'a', DEVICE_ID_HEX);
    good[DEVICE_ID_HEX] = '\0';
    snprintf(topic, sizeof topic, "opensphere/devices/%s/twin/reported", good);
    assert_int_equal(twin_topic_device(topic, TWIN_REPORTED_SUFFIX, id), 0);
    assert_string_equal(id, good);
    assert_int_equal(twin_topic_device(topic, TWIN_DESIRED_SUFFIX, id), -EINVAL);
    static const char *const bad[] = {
        "opensphere/devices//twin/reported", "opensphere/devices/abc/twin/reported", "opensphere/devices/+/twin/reported",
        "other/devices/x/twin/reported", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(twin_topic_device(bad[i], TWIN_REPORTED_SUFFIX, id), -EINVAL);
    good[5] = 'A'; /* mixed case: neither user name the ACL's %u can be */
    snprintf(topic, sizeof topic, "opensphere/devices/%s/twin/reported", good);
    assert_int_equal(twin_topic_device(topic, TWIN_REPORTED_SUFFIX, id), -EINVAL);
    assert_false(twin_valid_device_id(good));
    /* all upper case: the device certificate's CN (the device listener's user name), read in lower case */
    memset(good, 'A', DEVICE_ID_HEX);
    snprintf(topic, sizeof topic, "opensphere/devices/%s/twin/reported", good);
    assert_int_equal(twin_topic_device(topic, TWIN_REPORTED_SUFFIX, id), 0);
    memset(good, 'a', DEVICE_ID_HEX);
    assert_string_equal(id, good);
    assert_int_equal(twin_topic_device(NULL, TWIN_REPORTED_SUFFIX, id), -EINVAL);
}

static void payloads_must_be_one_json_object_of_at_most_4_kib(void **state)
{
    static const struct {
        const char *payload, *why; /* why NULL: accepted */
    } cases[] = {
        {"{}", NULL},
        {"{\"status\":\"applied\",\"appliedVersion\":3}", NULL},
        {"not json", "not JSON"},
        {"{\"a\":1", "not JSON"},
        {"[1,2]", "not an object"},
        {"\"text\"", "not an object"},
        {"", "empty"},
        {"{\"a\":1,}", "not JSON"},
    };
    char why[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        why[0] = '\0';
        int err = twin_check_json(cases[i].payload, strlen(cases[i].payload), why, sizeof why);
        if (!cases[i].why) {
            assert_int_equal(err, 0);
        } else {
            assert_int_equal(err, -EINVAL);
            if (!strstr(why, cases[i].why))
                fail_msg("case %zu ('%s'): reason '%s' lacks '%s'", i, cases[i].payload, why, cases[i].why);
        }
    }
    size_t n = TWIN_MAX_JSON + 1;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, ' ', n);
    big[0] = '{', big[n - 1] = '}', big[n] = '\0';
    assert_int_equal(twin_check_json(big, n, why, sizeof why), -EINVAL);
    assert_non_null(strstr(why, "larger than 4096"));
    assert_int_equal(twin_check_json(big + 1, n - 1, why, sizeof why), -EINVAL); /* "  ...}" */
    big[1] = '{', big[n - 1] = ' ', big[n - 2] = '}'; /* exactly 4096 bytes after big + 1 */
    big[0] = ' ';
    assert_int_equal(twin_check_json(big + 1, TWIN_MAX_JSON, why, sizeof why), 0);
    free(big);
}

static void broker_addresses_are_host_colon_port(void **state)
{
    char host[64];
    uint16_t port = 0;
    assert_int_equal(mqttbroker_parse_addr("127.0.0.1:1883", host, &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 1883);
    assert_int_equal(mqttbroker_parse_addr("[::1]:8883", host, &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 8883);
    static const char *const bad[] = {"127.0.0.1", ":1883", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x", "a b:1", "[]:1", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (mqttbroker_parse_addr(bad[i], host, &port) != -EINVAL)
            fail_msg("'%s' was accepted", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(password_hash_is_what_mosquitto_passwd_writes),
        cmocka_unit_test(set_password_adds_then_replaces_only_that_user),
        cmocka_unit_test(random_passwords_are_32_alphanumerics_and_differ),
        cmocka_unit_test(topics_carry_exactly_one_single_case_device_id),
        cmocka_unit_test(payloads_must_be_one_json_object_of_at_most_4_kib),
        cmocka_unit_test(broker_addresses_are_host_colon_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
