/* SPDX-License-Identifier: MIT */
/* test_json.c — the position-keeping JSON reader and the writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "json.h"

/* Parses `text`; returns the tree (or NULL) and leaves diagnostics in *diags. */
static struct json_value *parse(const char *text, bool trailing, struct diag_list *diags, int *err)
{
    struct json_options o = {.allow_trailing_commas = trailing};
    struct json_value *v = NULL;
    *err = json_parse(text, strlen(text), &o, "t.json", diags, &v);
    return v;
}

/* Expects a syntax error at line:col whose message contains `needle`. */
static void expect_syntax_error(const char *text, unsigned line, unsigned col, const char *needle)
{
    struct diag_list d = {0};
    int err;
    struct json_value *v = parse(text, true, &d, &err);
    assert_int_equal(err, -EINVAL);
    assert_null(v);
    assert_int_equal(d.count, 1);
    assert_int_equal(d.items[0].line, line);
    assert_int_equal(d.items[0].col, col);
    if (!strstr(d.items[0].message, needle))
        fail_msg("message \"%s\" lacks \"%s\"", d.items[0].message, needle);
    diag_list_free(&d);
}

static void values_carry_line_and_column(void **state)
{
    struct diag_list d = {0};
    int err;
    struct json_value *v = parse("{\n  \"a\": [1,\n        \"x\"],\n\t\"b\": true}", false, &d, &err);
    assert_int_equal(err, 0);
    const struct json_member *a = json_object_member(v, "a");
    assert_int_equal(a->key_pos.line, 2);
    assert_int_equal(a->key_pos.col, 3);
    assert_int_equal(a->value->pos.line, 2);
    assert_int_equal(a->value->pos.col, 8);
    assert_int_equal(a->value->u.array.items[1]->pos.line, 3);
    assert_int_equal(a->value->u.array.items[1]->pos.col, 9);
    assert_int_equal(json_object_member(v, "b")->key_pos.col, 2);
    json_free(v);
    diag_list_free(&d);
}

static void columns_count_characters_not_bytes(void **state)
{
    struct diag_list d = {0};
    int err;
    struct json_value *v = parse("[\"\xc3\xa9\xe2\x82\xac\", 5]", false, &d, &err);
    assert_int_equal(err, 0);
    assert_int_equal(v->u.array.items[1]->pos.col, 8);
    json_free(v);
}

static void trailing_comma_accepted_only_when_allowed(void **state)
{
    struct diag_list d = {0};
    int err;
    struct json_value *v = parse("{\"SizeKB\": 64,}", true, &d, &err);
    assert_int_equal(err, 0);
    assert_int_equal(json_object_get(v, "SizeKB")->u.number.integer, 64);
    json_free(v);
    v = parse("[1,2,]", true, &d, &err);
    assert_int_equal(err, 0);
    assert_int_equal(v->u.array.count, 2);
    json_free(v);
    v = parse("{\"a\": 1,}", false, &d, &err);
    assert_int_equal(err, -EINVAL);
    assert_null(v);
    diag_list_free(&d);
}

static void lone_comma_is_refused_even_with_trailing_commas(void **state)
{
    expect_syntax_error("[,]", 1, 2, "expected a value");
    expect_syntax_error("{,}", 1, 2, "expected a string key");
    expect_syntax_error("[1,,2]", 1, 4, "expected a value");
}

static void duplicate_keys_are_reported_with_both_positions(void **state)
{
    struct diag_list d = {0};
    int err;
    struct json_value *v = parse("{\"a\": 1,\n \"a\": 2}", false, &d, &err);
    assert_int_equal(err, 0);
    assert_non_null(v);
    assert_int_equal(diag_error_count(&d), 1);
    assert_int_equal(d.items[0].line, 2);
    assert_int_equal(d.items[0].col, 2);
    assert_non_null(strstr(d.items[0].message, "duplicate key \"a\" (first defined at line 1, column 2)"));
    json_free(v);
    diag_list_free(&d);
}

static void syntax_errors_name_position_and_reason(void **state)
{
    expect_syntax_error("{\"a\" 1}", 1, 6, "expected ':'");
    expect_syntax_error("{\"a\": \"x}", 1, 7, "unterminated string");
    expect_syntax_error("[tru]", 1, 2, "unknown literal");
    expect_syntax_error("[01]", 1, 2, "leading zeros");
    expect_syntax_error("[1.]", 1, 4, "digit after the decimal point");
    expect_syntax_error("[\"\\q\"]", 1, 3, "invalid escape");
    expect_syntax_error("[\"a\nb\"]", 1, 4, "control character");
    expect_syntax_error("[\"\\ud800\"]", 1, 3, "unpaired high surrogate");
    expect_syntax_error("[\"\\udc00\"]", 1, 3, "unpaired low surrogate");
    expect_syntax_error("[\"\\u0000\"]", 1, 3, "NUL");
    expect_syntax_error("[\"\xff\"]", 1, 3, "invalid UTF-8");
    expect_syntax_error("[\"\xc0\xaf\"]", 1, 3, "invalid UTF-8");
    expect_syntax_error("{} x", 1, 4, "end of file");
    expect_syntax_error("", 1, 1, "expected a value");
    expect_syntax_error("[1 2]", 1, 4, "',' or ']'");
}

static void nesting_limit_is_enforced(void **state)
{
    char deep[200];
    memset(deep, '[', 100);
    deep[100] = '\0';
    expect_syntax_error(deep, 1, 65, "nesting deeper than 64");
}

static void escapes_and_surrogates_decode_to_utf8(void **state)
{
    struct diag_list d = {0};
    int err;
    struct json_value *v = parse("\"a\\n\\u00e9\\ud83d\\ude00\\\"\"", false, &d, &err);
    assert_int_equal(err, 0);
    assert_string_equal(v->u.string.chars, "a\n\xc3\xa9\xf0\x9f\x98\x80\"");
    json_free(v);
}

static void byte_order_mark_is_skipped(void **state)
{
    struct diag_list d = {0};
    int err;
    struct json_value *v = parse("\xef\xbb\xbf{\"a\":1}", false, &d, &err);
    assert_int_equal(err, 0);
    assert_int_equal(json_object_member(v, "a")->key_pos.col, 2);
    json_free(v);
}

static void numbers_keep_integer_and_real_forms(void **state)
{
    struct diag_list d = {0};
    int err;
    struct json_value *v = parse("[-12, 3.5, 1e3, 99999999999999999999]", false, &d, &err);
    assert_int_equal(err, 0);
    assert_true(v->u.array.items[0]->u.number.is_integer);
    assert_int_equal(v->u.array.items[0]->u.number.integer, -12);
    assert_false(v->u.array.items[1]->u.number.is_integer);
    assert_false(v->u.array.items[2]->u.number.is_integer);
    assert_false(v->u.array.items[3]->u.number.is_integer);
    json_free(v);
}

static void writer_round_trips_compact_and_escapes(void **state)
{
    struct diag_list d = {0};
    int err;
    const char *text = "{\"k\":[1,true,null,\"a\\\"b\\\\c\\n\\u0001\"],\"o\":{}}";
    struct json_value *v = parse(text, false, &d, &err);
    assert_int_equal(err, 0);
    struct strbuf out = {0};
    assert_int_equal(json_write(v, JSON_COMPACT, &out), 0);
    assert_string_equal(strbuf_str(&out), text);
    strbuf_free(&out);
    struct json_value *copy = json_clone(v);
    assert_int_equal(json_write(copy, JSON_PRETTY, &out), 0);
    assert_string_equal(strbuf_str(&out),
                        "{\n  \"k\": [\n    1,\n    true,\n    null,\n    \"a\\\"b\\\\c\\n\\u0001\"\n  ],\n  \"o\": {}\n}");
    strbuf_free(&out);
    json_free(copy);
    json_free(v);
}

static void reals_stay_reals_when_written(void **state)
{
    /* Found by fuzz_json: -2.3e-33333333 underflows to -0.0, which must not come back as the integer 0. */
    struct diag_list d = {0};
    int err;
    struct json_value *v = parse("[-2.3e-33333333, 2.0, 1e400]", false, &d, &err);
    assert_int_equal(err, 0);
    struct strbuf out = {0};
    assert_int_equal(json_write(v, JSON_COMPACT, &out), 0);
    assert_string_equal(strbuf_str(&out), "[-0.0,2.0,null]");
    strbuf_free(&out);
    json_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_carry_line_and_column),
        cmocka_unit_test(columns_count_characters_not_bytes),
        cmocka_unit_test(trailing_comma_accepted_only_when_allowed),
        cmocka_unit_test(lone_comma_is_refused_even_with_trailing_commas),
        cmocka_unit_test(duplicate_keys_are_reported_with_both_positions),
        cmocka_unit_test(syntax_errors_name_position_and_reason),
        cmocka_unit_test(nesting_limit_is_enforced),
        cmocka_unit_test(escapes_and_surrogates_decode_to_utf8),
        cmocka_unit_test(byte_order_mark_is_skipped),
        cmocka_unit_test(numbers_keep_integer_and_real_forms),
        cmocka_unit_test(writer_round_trips_compact_and_escapes),
        cmocka_unit_test(reals_stay_reals_when_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
