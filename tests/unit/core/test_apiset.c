/* SPDX-License-Identifier: MIT */
/* test_apiset.c — API-set parsing and the full app × OS compatibility matrix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "apiset.h"

static struct apiset parse_ok(const char *text)
{
    struct apiset s;
    char why[256];
    if (apiset_parse(text, &s, why, sizeof why) != 0)
        fail_msg("'%s' refused: %s", text, why);
    return s;
}

static void production_and_beta_sets_parse(void **state)
{
    struct apiset s = parse_ok("8");
    assert_int_equal(s.arv, 8);
    assert_string_equal(s.beta, "");
    s = parse_ok("8+Beta2101");
    assert_int_equal(s.arv, 8);
    assert_string_equal(s.beta, "Beta2101");
    char buf[24];
    apiset_format(&s, buf, sizeof buf);
    assert_string_equal(buf, "8+Beta2101");
}

static void latest_names_resolve_to_the_newest(void **state)
{
    assert_int_equal(parse_ok("latest-lts").arv, apiset_newest_release()->arv);
    struct apiset b = parse_ok("latest-beta");
    assert_int_equal(b.arv, 8);
    assert_string_equal(b.beta, "Beta2101");
}

static void unknown_or_malformed_sets_are_refused_with_a_reason(void **state)
{
    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"99", "no release provides ARV 99"}, {"8+Beta1905", "no release with ARV 8 provides Beta1905"},
        {"0", "not an API set"},              {"8+beta2101", "not an API set"},
        {"8+Beta21", "not an API set"},       {"latest", "not an API set"},
        {"", "not an API set"},               {"5 ", "not an API set"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct apiset s;
        char why[256] = "";
        assert_int_equal(apiset_parse(bad[i].text, &s, why, sizeof why), -EINVAL);
        if (!strstr(why, bad[i].needle))
            fail_msg("'%s': reason \"%s\" lacks \"%s\"", bad[i].text, why, bad[i].needle);
    }
}

static enum apiset_verdict check(const char *set, const char *os)
{
    struct apiset s = parse_ok(set);
    char why[256];
    const struct os_release *r = apiset_find_release(os);
    assert_non_null(r);
    return apiset_check(&s, r, why, sizeof why);
}

static void documented_examples_hold(void **state)
{
    assert_int_equal(check("1", "19.05"), APISET_OK);                /* down-level production app runs */
    assert_int_equal(check("1+Beta1902", "19.05"), APISET_NEEDS_FORCE); /* down-level beta app needs --force */
    assert_int_equal(check("2", "19.02"), APISET_REJECTED);          /* up-level app never installs */
    assert_int_equal(check("2+Beta1905", "19.02"), APISET_REJECTED);
    assert_int_equal(check("8+Beta2101", "21.01"), APISET_OK);       /* beta app on its own release */
    assert_int_equal(check("8+Beta2101", "21.02"), APISET_OK);       /* same ARV and beta set */
    assert_int_equal(check("8+Beta2101", "21.04"), APISET_NEEDS_FORCE);
    assert_int_equal(check("1+Beta1811", "19.02"), APISET_NEEDS_FORCE); /* same ARV, newer beta set */
    assert_int_equal(check("16", "25.02"), APISET_OK);
}

static void full_matrix_obeys_the_three_rules(void **state)
{
    size_t n;
    const struct os_release *rel = apiset_releases(&n);
    size_t counts[3] = {0};
    for (size_t a = 0; a < n; a++) {
        /* Every API set a release defines: its production set and its beta set. */
        for (int with_beta = 0; with_beta < 2; with_beta++) {
            if (with_beta && !rel[a].beta)
                continue;
            struct apiset app = {.arv = rel[a].arv};
            if (with_beta)
                strcpy(app.beta, rel[a].beta);
            for (size_t o = 0; o < n; o++) {
                char why[256];
                enum apiset_verdict v = apiset_check(&app, &rel[o], why, sizeof why);
                counts[v]++;
                if (app.arv > rel[o].arv)
                    assert_int_equal(v, APISET_REJECTED);
                else if (!with_beta)
                    assert_int_equal(v, APISET_OK);
                else if (rel[o].beta && strcmp(rel[o].beta, app.beta) == 0 && rel[o].arv == app.arv)
                    assert_int_equal(v, APISET_OK);
                else
                    assert_int_equal(v, APISET_NEEDS_FORCE);
                assert_true(strlen(why) > 10);
            }
        }
    }
    assert_true(counts[APISET_OK] > 0 && counts[APISET_NEEDS_FORCE] > 0 && counts[APISET_REJECTED] > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(production_and_beta_sets_parse),
        cmocka_unit_test(latest_names_resolve_to_the_newest),
        cmocka_unit_test(unknown_or_malformed_sets_are_refused_with_a_reason),
        cmocka_unit_test(documented_examples_hold),
        cmocka_unit_test(full_matrix_obeys_the_three_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
