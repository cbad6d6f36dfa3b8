/* SPDX-License-Identifier: MIT */
/* test_path_guid.c — lexical path helpers and GUID parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "guid.h"
#include "path.h"

static void check_relative(const char *from, const char *to, const char *expected)
{
    char *r = path_relative(from, to);
    assert_string_equal(r, expected);
    free(r);
}

static void relative_paths_walk_up_to_the_common_folder(void **state)
{
    check_relative("/x/mt3620_rdb/inc/hw", "/x/mt3620/inc/hw/mt3620.h", "../../../mt3620/inc/hw/mt3620.h");
    check_relative("/x/a/inc/hw", "/x/a/inc/hw/b.h", "b.h");
    check_relative("/x/ab/inc/hw", "/x/a/inc/hw/a.h", "../../../a/inc/hw/a.h");
}

static void check_normalize(const char *in, const char *expected)
{
    char *n = path_normalize(in);
    assert_string_equal(n, expected);
    free(n);
}

static void normalize_collapses_dots_and_slashes(void **state)
{
    check_normalize("/a//b/./c/../d", "/a/b/d");
    check_normalize("a/../../b", "../b");
    check_normalize("/..", "/");
    check_normalize("./", ".");
}

static void dirname_basename_and_join(void **state)
{
    char *d = path_dirname("a/b/c.json");
    assert_string_equal(d, "a/b");
    free(d);
    d = path_dirname("c.json");
    assert_string_equal(d, ".");
    free(d);
    assert_string_equal(path_basename("a/b/c.json"), "c.json");
    char *j = path_join("a/", "b");
    assert_string_equal(j, "a/b");
    free(j);
    j = path_join("a", "/abs");
    assert_string_equal(j, "/abs");
    free(j);
}

static void guids_parse_in_either_case_and_compare_equal(void **state)
{
    struct guid a, b;
    assert_int_equal(guid_parse("005180BC-402F-4CB3-A662-72937DBCDE47", &a), 0);
    assert_int_equal(guid_parse("005180bc-402f-4cb3-a662-72937dbcde47", &b), 0);
    assert_true(guid_equal(&a, &b));
    char text[GUID_TEXT_LEN + 1];
    guid_format(&a, text);
    assert_string_equal(text, "005180bc-402f-4cb3-a662-72937dbcde47");
}

static void malformed_guids_are_refused(void **state)
{
    struct guid g;
    assert_int_equal(guid_parse("005180bc402f4cb3a66272937dbcde47", &g), -EINVAL);
    assert_int_equal(guid_parse("{005180bc-402f-4cb3-a662-72937dbcde47}", &g), -EINVAL);
    assert_int_equal(guid_parse("005180bc-402f-4cb3-a662-72937dbcde4g", &g), -EINVAL);
    assert_int_equal(guid_parse("005180bc-402f-4cb3-a662_72937dbcde47", &g), -EINVAL);
    assert_int_equal(guid_parse("", &g), -EINVAL);
}

static void random_guids_are_version_4_and_differ(void **state)
{
    struct guid a, b;
    assert_int_equal(guid_random(&a), 0);
    assert_int_equal(guid_random(&b), 0);
    assert_false(guid_equal(&a, &b));
    char text[GUID_TEXT_LEN + 1];
    guid_format(&a, text);
    assert_int_equal(text[14], '4');                  /* version nibble */
    assert_non_null(strchr("89ab", text[19]));       /* RFC 4122 variant */
    struct guid back;
    assert_int_equal(guid_parse(text, &back), 0);
    assert_true(guid_equal(&a, &back));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(relative_paths_walk_up_to_the_common_folder),
        cmocka_unit_test(normalize_collapses_dots_and_slashes),
        cmocka_unit_test(dirname_basename_and_join),
        cmocka_unit_test(guids_parse_in_either_case_and_compare_equal),
        cmocka_unit_test(malformed_guids_are_refused),
        cmocka_unit_test(random_guids_are_version_4_and_differ),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
