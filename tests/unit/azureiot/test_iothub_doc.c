/* SPDX-License-Identifier: MIT */
/*
 * test_iothub_doc.c — the IoT Hub stand-in's pure parts (src/cloud/iothub_doc.c): twin merge
 * patches (objects merge, null deletes, '$' names skipped, not an object refused), the device's
 * twin document, and telemetry events (percent-decoded properties, system properties, payload
 * as JSON when it parses, as a string otherwise).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "iothub_standin.h"

static void merge_patches(void **state)
{
    char *out = NULL;
    const char *patch = "{\"a\":{\"b\":null,\"c\":2},\"d\":null,\"e\":[1,{\"f\":null}],\"$version\":7}";
    assert_int_equal(iothub_apply_patch("{\"a\":{\"b\":1,\"x\":0},\"d\":true,\"keep\":\"k\"}", patch, strlen(patch), &out), 0);
    assert_string_equal(out, "{\"a\":{\"x\":0,\"c\":2},\"keep\":\"k\",\"e\":[1,{\"f\":null}]}");
    free(out);
    const char *nested = "{\"n\":{\"m\":{\"gone\":null,\"here\":1}}}";
    assert_int_equal(iothub_apply_patch(NULL, nested, strlen(nested), &out), 0);
    assert_string_equal(out, "{\"n\":{\"m\":{\"here\":1}}}");
    free(out);
    assert_int_equal(iothub_apply_patch("{}", "[1]", 3, &out), -EINVAL);
    assert_int_equal(iothub_apply_patch("{}", "not json", 8, &out), -EINVAL);
    assert_int_equal(iothub_apply_patch("[]", "{}", 2, &out), -EINVAL);
}

static void device_document(void **state)
{
    struct strbuf sb = {0};
    assert_int_equal(iothub_device_document("{\"a\":1}", 3, "{}", 1, &sb), 0);
    assert_string_equal(strbuf_str(&sb), "{\"desired\":{\"a\":1,\"$version\":3},\"reported\":{\"$version\":1}}");
    strbuf_free(&sb);
}

static void telemetry_events(void **state)
{
    struct strbuf sb = {0};
    const char *payload = "{\"temperature\":21.5}";
    assert_int_equal(iothub_event_json(5, "dev", "iothub-creation-time-utc=2025-03-01T12%3a00%3a00Z&%24.ct=application%2fjson",
                                       payload, strlen(payload), (time_t)0, &sb),
                     0);
    assert_string_equal(strbuf_str(&sb),
                        "{\"seq\":5,\"deviceId\":\"dev\",\"enqueuedTime\":\"1970-01-01T00:00:00Z\",\"properties\":"
                        "{\"iothub-creation-time-utc\":\"2025-03-01T12:00:00Z\"},\"systemProperties\":{\"ct\":\"application/json\"},"
                        "\"payload\":{\"temperature\":21.5}}");
    strbuf_free(&sb);
    assert_int_equal(iothub_event_json(6, "dev", "", "plain text", 10, (time_t)0, &sb), 0);
    assert_non_null(strstr(strbuf_str(&sb), "\"payload\":\"plain text\""));
    strbuf_free(&sb);
    /* Not percent-encoded as the protocol says: the raw pairs are kept. */
    assert_int_equal(iothub_event_json(7, "dev", "k=100%", "{}", 2, (time_t)0, &sb), 0);
    assert_non_null(strstr(strbuf_str(&sb), "\"k\":\"100%\""));
    strbuf_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(merge_patches), cmocka_unit_test(device_document),
                                       cmocka_unit_test(telemetry_events)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
