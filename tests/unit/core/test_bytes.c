/* SPDX-License-Identifier: MIT */
/* test_bytes.c — the byte-order accessors and the checked random source (core/bytes.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bytes.h"

static void le_values_read_back_from_their_documented_layout(void **state)
{
    (void)state;
    const uint8_t raw[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x88};
    assert_int_equal(bytes_le16(raw), 0x0201);
    assert_int_equal(bytes_le32(raw), 0x04030201u);
    assert_true(bytes_le64(raw) == 0x8807060504030201ull);
    assert_int_equal(bytes_be16(raw), 0x0102);
    assert_int_equal(bytes_be32(raw), 0x01020304u);
    /* Unaligned reads: the same value one byte further on. */
    assert_int_equal(bytes_le32(raw + 1), 0x05040302u);
}

static void stores_write_exactly_their_bytes_and_round_trip(void **state)
{
    (void)state;
    uint8_t buf[10];
    memset(buf, 0xAA, sizeof buf);
    bytes_put_le64(buf + 1, 0x1122334455667788ull);
    const uint8_t want[10] = {0xAA, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0xAA};
    assert_memory_equal(buf, want, sizeof want);
    bytes_put_le16(buf, 0xBEEF);
    assert_int_equal(bytes_le16(buf), 0xBEEF);
    bytes_put_le32(buf + 3, 0xDEADBEEFu);
    assert_int_equal(bytes_le32(buf + 3), 0xDEADBEEFu);
    bytes_put_be16(buf, 0x1234);
    assert_int_equal(buf[0], 0x12);
    assert_int_equal(bytes_be16(buf), 0x1234);
    bytes_put_be32(buf, 0xCAFEF00Du);
    assert_int_equal(buf[0], 0xCA);
    assert_int_equal(bytes_be32(buf), 0xCAFEF00Du);
}

static void random_fills_the_whole_buffer(void **state)
{
    (void)state;
    /* 4 KiB of zeros staying zero in any 64-byte window has probability 2^-512 per window. */
    static uint8_t a[4096], b[4096];
    assert_int_equal(bytes_random(a, sizeof a), 0);
    assert_int_equal(bytes_random(b, sizeof b), 0);
    for (size_t w = 0; w < sizeof a; w += 64) {
        int nonzero = 0;
        for (size_t i = w; i < w + 64; i++)
            nonzero |= a[i];
        assert_true(nonzero);
    }
    assert_memory_not_equal(a, b, sizeof a);
    assert_int_equal(bytes_random(a, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(le_values_read_back_from_their_documented_layout),
        cmocka_unit_test(stores_write_exactly_their_bytes_and_round_trip),
        cmocka_unit_test(random_fills_the_whole_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
