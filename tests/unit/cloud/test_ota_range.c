/* SPDX-License-Identifier: MIT */
/* test_ota_range.c — cloud_ota_plan_range (ota.h): what a GET/HEAD of an immutable OTA blob is
 * answered with, for every form of Range, If-Range and If-None-Match. Table-driven; a failing
 * row prints its name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "cloud_ota.h"

#define ETAG "\"abc\""

struct row {
    const char *name;
    uint64_t size;
    const char *range, *if_range, *if_none_match;
    unsigned status;
    uint64_t offset, length;
};

static const struct row rows[] = {
    {"no range: whole", 100, NULL, NULL, NULL, 200, 0, 100},
    {"first byte", 100, "bytes=0-0", NULL, NULL, 206, 0, 1},
    {"last byte", 100, "bytes=99-99", NULL, NULL, 206, 99, 1},
    {"middle", 100, "bytes=10-19", NULL, NULL, 206, 10, 10},
    {"open-ended", 100, "bytes=90-", NULL, NULL, 206, 90, 10},
    {"end clamped", 100, "bytes=90-1000", NULL, NULL, 206, 90, 10},
    {"suffix", 100, "bytes=-5", NULL, NULL, 206, 95, 5},
    {"suffix longer than the blob", 100, "bytes=-500", NULL, NULL, 206, 0, 100},
    {"start at the end: 416", 100, "bytes=100-", NULL, NULL, 416, 0, 0},
    {"start beyond: 416", 100, "bytes=200-300", NULL, NULL, 416, 0, 0},
    {"empty suffix: 416", 100, "bytes=-0", NULL, NULL, 416, 0, 0},
    {"reversed: ignored", 100, "bytes=9-5", NULL, NULL, 200, 0, 100},
    {"several ranges: whole", 100, "bytes=0-0,5-9", NULL, NULL, 200, 0, 100},
    {"other unit: whole", 100, "items=0-1", NULL, NULL, 200, 0, 100},
    {"garbage: whole", 100, "bytes=a-b", NULL, NULL, 200, 0, 100},
    {"trailing junk: whole", 100, "bytes=1-2x", NULL, NULL, 200, 0, 100},
    {"overflow: whole", 100, "bytes=99999999999999999999999-", NULL, NULL, 200, 0, 100},
    {"If-Range matching", 100, "bytes=10-19", ETAG, NULL, 206, 10, 10},
    {"If-Range other ETag: whole", 100, "bytes=10-19", "\"xyz\"", NULL, 200, 0, 100},
    {"If-Range weak ETag: whole", 100, "bytes=10-19", "W/" ETAG, NULL, 200, 0, 100},
    {"If-Range date: whole", 100, "bytes=10-19", "Sat, 01 Jan 2000 00:00:00 GMT", NULL, 200, 0, 100},
    {"If-None-Match matching: 304", 100, NULL, NULL, ETAG, 304, 0, 0},
    {"If-None-Match in a list: 304", 100, "bytes=0-0", NULL, "\"x\", " ETAG, 304, 0, 0},
    {"If-None-Match weak: 304", 100, NULL, NULL, "W/" ETAG, 304, 0, 0},
    {"If-None-Match star: 304", 100, NULL, NULL, "*", 304, 0, 0},
    {"If-None-Match other: whole", 100, NULL, NULL, "\"abcd\"", 200, 0, 100},
};

static void every_row_is_planned_as_specified(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *r = &rows[i];
        struct cloud_ota_range got;
        cloud_ota_plan_range(r->size, ETAG, r->range, r->if_range, r->if_none_match, &got);
        if (got.status != r->status || got.offset != r->offset || got.length != r->length) {
            print_error("row '%s': got %u %llu+%llu, expected %u %llu+%llu\n", r->name, got.status,
                        (unsigned long long)got.offset, (unsigned long long)got.length, r->status,
                        (unsigned long long)r->offset, (unsigned long long)r->length);
            fail();
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(every_row_is_planned_as_specified)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
