/* SPDX-License-Identifier: MIT */
/* test_cloudreq.c — what the cloud accepts from devices and users: check-in bodies, tokens, names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cloudreq.h"

static int parse(const char *text, struct cloud_checkin *ci, char *why)
{
    return cloud_parse_checkin(text, strlen(text), ci, why, 256);
}

static void checkin_reads_installed_images_lower_cased(void **state)
{
    struct cloud_checkin ci;
    char why[256] = "";
    assert_int_equal(parse("{\"installed\":[{\"componentId\":\"AAAAAAAA-0000-0000-0000-000000000001\","
                           "\"imageId\":\"bbbbbbbb-0000-0000-0000-000000000002\"}],\"osVersion\":\"22.02\","
                           "\"appDevelopment\":true,\"result\":\"ok\",\"detail\":\"fine\"}", &ci, why), 0);
    assert_int_equal(ci.installed_count, 1);
    assert_string_equal(ci.installed[0].component_id, "aaaaaaaa-0000-0000-0000-000000000001");
    assert_string_equal(ci.installed[0].image_id, "bbbbbbbb-0000-0000-0000-000000000002");
    assert_string_equal(ci.os_version, "22.02");
    assert_true(ci.app_development);
    assert_string_equal(ci.result, "ok");
}

static void checkin_refuses_malformed_bodies_with_a_reason(void **state)
{
    static const struct {
        const char *body, *why;
    } cases[] = {
        {"[]", "not a JSON object"},
        {"{\"installed\":7}", "\"installed\" must be an array"},
        {"{\"installed\":[{\"componentId\":\"x\",\"imageId\":\"y\"}]}", "installed[0]"},
        {"{\"installed\":[5]}", "installed[0]"},
        {"{\"appDevelopment\":\"yes\"}", "appDevelopment"},
        {"{\"osVersion\":\"01234567890123456789\"}", "osVersion"},
        {"{\"result\":\"maybe\"}", "\"result\" must be"},
        {"{\"a\":1,\"a\":2}", "not a JSON object"},
        {"{", "not a JSON object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cloud_checkin ci;
        char why[256] = "";
        if (parse(cases[i].body, &ci, why) != -EINVAL || !strstr(why, cases[i].why))
            fail_msg("case %zu (%s): got '%s', expected '%s'", i, cases[i].body, why, cases[i].why);
    }
}

static void checkin_refuses_more_than_the_reported_limit(void **state)
{
    char body[16384] = "{\"installed\":[";
    for (int i = 0; i <= CLOUD_MAX_REPORTED; i++)
        strcat(body, i ? ",{\"componentId\":\"aaaaaaaa-0000-0000-0000-000000000001\",\"imageId\":\"aaaaaaaa-0000-0000-0000-000000000001\"}"
                       : "{\"componentId\":\"aaaaaaaa-0000-0000-0000-000000000001\",\"imageId\":\"aaaaaaaa-0000-0000-0000-000000000001\"}");
    strcat(body, "]}");
    struct cloud_checkin ci;
    char why[256];
    assert_int_equal(parse(body, &ci, why), -EINVAL);
    assert_non_null(strstr(why, "at most"));
}

static void tokens_have_one_exact_form(void **state)
{
    char kind = 0, t[80];
    memset(t, 0, sizeof t);
    strcpy(t, "os1.u.");
    memset(t + 6, 'a', 64);
    assert_true(cloud_token_parse(t, &kind));
    assert_int_equal(kind, 'u');
    char bearer[96] = "Bearer ";
    strcat(bearer, t);
    bearer[11] = 'd';
    assert_true(cloud_token_parse(bearer, &kind));
    assert_int_equal(kind, 'd');
    t[10] = 'A'; /* upper case */
    assert_false(cloud_token_parse(t, &kind));
    t[10] = 'a';
    t[69] = '\0'; /* too short */
    assert_false(cloud_token_parse(t, &kind));
    t[69] = 'a';
    t[70] = 'a'; /* too long */
    assert_false(cloud_token_parse(t, &kind));
    t[70] = '\0';
    t[4] = 'x'; /* unknown kind */
    assert_false(cloud_token_parse(t, &kind));
    assert_false(cloud_token_parse(NULL, &kind));
}

static void names_are_printable_without_slashes(void **state)
{
    assert_true(cloud_valid_name("Field Test"));
    assert_false(cloud_valid_name(""));
    assert_false(cloud_valid_name("   "));
    assert_false(cloud_valid_name("a/b"));
    assert_false(cloud_valid_name("tab\there"));
    assert_false(cloud_valid_name("012345678901234567890123456789012345678901234567890"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(checkin_reads_installed_images_lower_cased),
        cmocka_unit_test(checkin_refuses_malformed_bodies_with_a_reason),
        cmocka_unit_test(checkin_refuses_more_than_the_reported_limit),
        cmocka_unit_test(tokens_have_one_exact_form),
        cmocka_unit_test(names_are_printable_without_slashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
