/* SPDX-License-Identifier: MIT */
/* test_rest_parse.c — the REST layer without a connection: route paths, Content-Type, the
 * capability header's base64, route bodies (415 before 400), the attached.json reader, and the
 * TLS certificate's names (rest_tls_load replaces a certificate that lacks one, keeps one that
 * has them all). One behaviour per test. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "hostio.h"
#include "path.h"
#include "rest.h"
#include "rest_internal.h"
#include "signing.h"

static void route_paths_match_whole_paths_and_one_parameter_component(void **state)
{
    (void)state;
    const char *param = NULL;
    assert_true(rest_path_matches("/telemetry", "/telemetry", &param));
    assert_false(rest_path_matches("/telemetry", "/telemetry/", &param));
    assert_false(rest_path_matches("/log", "/logs", &param));
    assert_true(rest_path_matches("/app/status/*", "/app/status/abc", &param));
    assert_string_equal(param, "abc");
    assert_false(rest_path_matches("/app/status/*", "/app/status/", &param));
    assert_false(rest_path_matches("/app/status/*", "/app/status/a/b", &param));
    assert_false(rest_path_matches("", "/", &param));
}

static void content_types_match_with_parameters_and_any_case(void **state)
{
    (void)state;
    assert_true(rest_content_type_is("application/json", "application/json"));
    assert_true(rest_content_type_is("Application/JSON; charset=utf-8", "application/json"));
    assert_false(rest_content_type_is("application/jsonx", "application/json"));
    assert_false(rest_content_type_is(NULL, "application/json"));
}

static void the_capability_header_is_strict_base64(void **state)
{
    (void)state;
    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal(rest_capability_decode("QUJDRA==", &out, &len), 0);
    assert_int_equal(len, 4);
    assert_memory_equal(out, "ABCD", 4);
    free(out);
    assert_int_equal(rest_capability_decode(NULL, &out, &len), 0);
    assert_null(out);
    assert_int_equal(rest_capability_decode("", &out, &len), 0);
    assert_null(out);
    assert_int_equal(rest_capability_decode("A===", &out, &len), -EINVAL);
    assert_int_equal(rest_capability_decode("QU=D", &out, &len), -EINVAL);
    assert_int_equal(rest_capability_decode("QUJ", &out, &len), -EINVAL);
    assert_int_equal(rest_capability_decode("%%%%", &out, &len), -EINVAL);
    char *huge = malloc(REST_CAPABILITY_HEADER_MAX + 5);
    memset(huge, 'A', REST_CAPABILITY_HEADER_MAX + 4);
    huge[REST_CAPABILITY_HEADER_MAX + 4] = '\0';
    assert_int_equal(rest_capability_decode(huge, &out, &len), -EINVAL);
    free(huge);
}

static void a_json_route_checks_the_media_type_before_the_body(void **state)
{
    (void)state;
    struct json_value *j = NULL;
    const char *why = NULL;
    assert_int_equal(rest_parse_body(BODY_JSON, "text/plain", "{", 1, &j, &why), DERR_MEDIA_TYPE);
    assert_null(j);
    assert_int_equal(rest_parse_body(BODY_JSON, "application/json", "{", 1, &j, &why), DERR_BAD_REQUEST);
    assert_int_equal(rest_parse_body(BODY_JSON, "application/json", "[1]", 3, &j, &why), DERR_BAD_REQUEST);
    assert_int_equal(rest_parse_body(BODY_JSON, "application/json", "", 0, &j, &why), DERR_BAD_REQUEST);
    assert_int_equal(rest_parse_body(BODY_JSON, "application/json", "{\"a\":1}", 7, &j, &why), DERR_NONE);
    assert_non_null(j);
    assert_int_equal(j->type, JSON_OBJECT);
    json_free(j);
}

static void optional_octet_and_bodiless_routes(void **state)
{
    (void)state;
    struct json_value *j = NULL;
    const char *why = NULL;
    assert_int_equal(rest_parse_body(BODY_JSON_OPTIONAL, NULL, NULL, 0, &j, &why), DERR_NONE);
    assert_null(j);
    assert_int_equal(rest_parse_body(BODY_JSON_OPTIONAL, NULL, "{}", 2, &j, &why), DERR_MEDIA_TYPE);
    assert_int_equal(rest_parse_body(BODY_OCTETS, "application/json", "x", 1, &j, &why), DERR_MEDIA_TYPE);
    assert_int_equal(rest_parse_body(BODY_OCTETS, "application/octet-stream", "x", 1, &j, &why), DERR_NONE);
    assert_int_equal(rest_parse_body(BODY_NONE, "text/plain", "junk", 4, &j, &why), DERR_NONE);
    assert_int_equal(rest_parse_body(BODY_ANY, NULL, "junk", 4, &j, &why), DERR_NONE);
    assert_null(j);
}

static void an_attached_claim_needs_an_ipv4_address_a_path_and_a_pid(void **state)
{
    (void)state;
    char address[16], path[32];
    long pid = 0;
    const char *good = "{\"IpAddress\":\"192.168.35.2\",\"DeviceConnectionPath\":\"dev1\",\"pid\":42}";
    assert_int_equal(rest_attach_parse_claim(good, strlen(good), address, sizeof address, path, sizeof path, &pid), 0);
    assert_string_equal(address, "192.168.35.2");
    assert_string_equal(path, "dev1");
    assert_int_equal(pid, 42);
    const char *bad[] = {
        "{\"IpAddress\":\"192.168.35.256\",\"DeviceConnectionPath\":\"d\",\"pid\":1}",
        "{\"IpAddress\":\"192.168.35.2\",\"DeviceConnectionPath\":\"\",\"pid\":1}",
        "{\"IpAddress\":\"192.168.35.2\",\"DeviceConnectionPath\":\"d\",\"pid\":0}",
        "{\"IpAddress\":\"192.168.35.2\",\"DeviceConnectionPath\":\"d\",\"pid\":1.5}",
        "{\"IpAddress\":\"192.168.35.2\",\"DeviceConnectionPath\":\"a-path-longer-than-the-buffer-given\",\"pid\":1}",
        "[]",
        "{",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(rest_attach_parse_claim(bad[i], strlen(bad[i]), address, sizeof address, path, sizeof path, &pid),
                         -EINVAL);
}

/* ---- TLS names ----------------------------------------------------------------------------------- */

static X509 *parse_cert(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    assert_non_null(cert);
    return cert;
}

static void write_text(const char *dir, const char *name, const char *text)
{
    char *p = path_join(dir, name);
    assert_int_equal(hostio_write_file_atomic(p, text, strlen(text), 0600), 0);
    free(p);
}

static void a_certificate_without_the_clients_name_is_replaced(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_rest_tls.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *old_key = NULL, *old_cert = NULL, *key = NULL, *cert = NULL, why[256] = "";
    assert_int_equal(signing_generate_tls("old device", "127.0.0.1", 30, &old_key, &old_cert), 0);
    write_text(dir, "tls.key.pem", old_key);
    write_text(dir, "tls.cert.pem", old_cert);

    assert_int_equal(rest_tls_load(dir, NULL, &key, &cert, why, sizeof why), 0);
    assert_string_not_equal(cert, old_cert);
    X509 *x = parse_cert(cert);
    assert_int_equal(X509_check_host(x, "abc.devices.sphere.azure.local", 0, 0, NULL), 1);
    assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
    assert_int_equal(X509_check_ip_asc(x, "192.168.35.2", 0), 0);
    assert_true(X509_check_ca(x) > 0);
    X509_free(x);

    char *again_key = NULL, *again_cert = NULL; /* all names present: kept as it is */
    assert_int_equal(rest_tls_load(dir, NULL, &again_key, &again_cert, why, sizeof why), 0);
    assert_string_equal(again_cert, cert);
    assert_string_equal(again_key, key);
    free(again_key), free(again_cert);

    assert_int_equal(rest_tls_load(dir, "192.168.35.2", &again_key, &again_cert, why, sizeof why), 0);
    x = parse_cert(again_cert); /* attached: the address is added */
    assert_int_equal(X509_check_ip_asc(x, "192.168.35.2", 0), 1);
    assert_int_equal(X509_check_host(x, "abc.devices.sphere.azure.local", 0, 0, NULL), 1);
    X509_free(x);
    free(again_key), free(again_cert), free(key), free(cert), free(old_key), free(old_cert);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(route_paths_match_whole_paths_and_one_parameter_component),
        cmocka_unit_test(content_types_match_with_parameters_and_any_case),
        cmocka_unit_test(the_capability_header_is_strict_base64),
        cmocka_unit_test(a_json_route_checks_the_media_type_before_the_body),
        cmocka_unit_test(optional_octet_and_bodiless_routes),
        cmocka_unit_test(an_attached_claim_needs_an_ipv4_address_a_path_and_a_pid),
        cmocka_unit_test(a_certificate_without_the_clients_name_is_replaced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
