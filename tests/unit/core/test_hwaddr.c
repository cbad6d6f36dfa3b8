/* SPDX-License-Identifier: MIT */
/* test_hwaddr.c — hardware address text (core/hwaddr.h): round trip, either case, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>

#include "hwaddr.h"

static void addresses_round_trip_in_lower_case(void **state)
{
    (void)state;
    uint8_t a[6];
    assert_int_equal(hwaddr_parse("02:AA:bb:0C:dd:Ef", a), 0);
    const uint8_t want[6] = {0x02, 0xaa, 0xbb, 0x0c, 0xdd, 0xef};
    assert_memory_equal(a, want, 6);
    char text[HWADDR_TEXT_LEN + 1];
    hwaddr_format(a, text);
    assert_string_equal(text, "02:aa:bb:0c:dd:ef");
}

static void malformed_addresses_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {NULL, "", "02:aa:bb:0c:dd", "02:aa:bb:0c:dd:ef:00", "02-aa-bb-0c-dd-ef",
                                      "02:aa:bb:0c:dd:eg", "2:aa:bb:0c:dd:ef0", " 02:aa:bb:0c:dd:e"};
    uint8_t a[6];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(hwaddr_parse(bad[i], a), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(addresses_round_trip_in_lower_case),
        cmocka_unit_test(malformed_addresses_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
