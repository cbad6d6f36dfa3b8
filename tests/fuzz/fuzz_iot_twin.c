/* SPDX-License-Identifier: MIT */
/*
 * fuzz_iot_twin.c — the IoT Hub stand-in's parsers of what devices send (src/cloud/iothub.h):
 * reported-state patches merged into a stored twin, the twin document built from the result, and
 * telemetry property bags + payloads turned into monitor-events' JSON. No input may crash or
 * leak; a merged twin must stay a JSON object that merges again to itself (idempotence).
 * Input: a patch; when it holds a NUL, the text after it is a telemetry bag and payload.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iothub_standin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *stored = "{\"a\":{\"b\":1},\"serialNumber\":\"x\"}";
    char *merged = NULL;
    if (iothub_apply_patch(stored, data, size, &merged) == 0) {
        char *again = NULL;
        if (iothub_apply_patch(merged, data, size, &again) != 0 || strcmp(merged, again) != 0)
            abort(); /* applying the same patch twice changes nothing more */
        struct strbuf doc = {0};
        if (iothub_device_document(merged, 2, merged, 3, &doc) != 0)
            abort();
        strbuf_free(&doc);
        free(again);
        free(merged);
    }
    const uint8_t *nul = memchr(data, 0, size);
    char bag[256];
    size_t blen = nul ? (size_t)(nul - data) : size;
    if (blen >= sizeof bag)
        blen = sizeof bag - 1;
    memcpy(bag, data, blen);
    bag[blen] = '\0';
    struct strbuf ev = {0};
    const uint8_t *payload = nul ? nul + 1 : data;
    iothub_event_json(1, "dev", bag, payload, size - (size_t)(payload - data), (time_t)0, &ev);
    strbuf_free(&ev);
    return 0;
}
