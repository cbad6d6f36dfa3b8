/* SPDX-License-Identifier: MIT */
/*
 * fuzz_iot_topics.c — the Azure IoT client's parsers of what the hub and DPS send (src/azureiot/
 * iot_codec.h): topics ($rid, $version, status, method name and request ID, the device scope),
 * property bags (C2D), percent-decoding and DPS response bodies. None may crash, leak or read
 * out of bounds; what they return must hold their contracts (NUL-terminated, within bounds).
 * The input's first byte picks the target, the rest is the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iot_codec.h"

static int count_pair(void *ctx, const char *key, const char *value)
{
    size_t *n = ctx;
    if (!key[0] || !value[0])
        abort(); /* empty keys and values are skipped, never handed over */
    (*n)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0'; /* topics are C strings */
    switch (data[0] % 6) {
    case 0: {
        long rid = iot_topic_number(text, "$rid="), version = iot_topic_number(text, "$version=");
        if (rid < -1000 || version < -1000) /* -EINVAL or a non-negative number */
            abort();
        int status = 0;
        iot_topic_status(text, "$iothub/twin/res/", &status);
        iot_topic_status(text, "$dps/registrations/res/", &status);
        break;
    }
    case 1: {
        char name[64], rid[32];
        if (iot_method_topic(text, name, sizeof name, rid, sizeof rid) == 0 && (strlen(name) >= sizeof name || !rid[0]))
            abort();
        break;
    }
    case 2: {
        size_t n = 0;
        iot_property_bag(text, true, count_pair, &n);
        iot_property_bag(text, false, count_pair, &n);
        break;
    }
    case 3: {
        char out[4096];
        if (size - 1 < sizeof out && iot_url_decode((const char *)data + 1, size - 1, out, sizeof out) == 0 &&
            strlen(out) > size - 1)
            abort();
        size_t len = 0;
        char enc[256];
        iot_url_encode(text, enc, sizeof enc, &len);
        break;
    }
    case 4: {
        char out[1200];
        iot_topic_unscope(text, "ABCDEF", out, sizeof out);
        iot_topic_scope(text, "ABCDEF", out, sizeof out);
        break;
    }
    default: {
        struct iot_dps_reply r;
        if (iot_dps_parse((const char *)data + 1, size - 1, &r) == 0 && r.state == IOT_DPS_ASSIGNED &&
            (!r.assigned_hub[0] || !r.device_id[0]))
            abort();
        break;
    }
    }
    free(text);
    return 0;
}
