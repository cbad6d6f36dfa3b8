/* SPDX-License-Identifier: MIT */
/* fuzz_wifi_state.c — the Wi-Fi state files (docs/wifi.md) on any input: never crash or leak;
 * a file that loads (as the stored networks, and as the access points) is written back in a form
 * that loads again to the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "strbuf.h"
#include "wifi.h"

static char *text_of(struct json_value *root)
{
    struct strbuf text = {0};
    if (!root || json_write(root, JSON_COMPACT, &text))
        abort();
    json_free(root);
    return text.data;
}

static void round_trip(struct wifi *w, bool networks, const uint8_t *data, size_t size)
{
    char why[512];
    int (*load)(struct wifi *, const char *, const char *, size_t, char *, size_t) =
        networks ? wifi_load_networks_text : wifi_load_aps_text;
    if (load(w, "fuzz.json", (const char *)data, size, why, sizeof why) != 0) {
        if (!why[0])
            abort(); /* a refusal always says why */
        return;
    }
    char *first = text_of(networks ? wifi_networks_file_json(w) : wifi_aps_file_json(w));
    if (load(w, "again.json", first, strlen(first), why, sizeof why) != 0)
        abort(); /* what we write must load */
    char *second = text_of(networks ? wifi_networks_file_json(w) : wifi_aps_file_json(w));
    if (strcmp(first, second))
        abort();
    free(first), free(second);
    wifi_evaluate(w);
    wifi_scan(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wifi *w;
    char why[512];
    if (wifi_open(NULL, NULL, &w, why, sizeof why))
        abort();
    why[0] = 0;
    round_trip(w, true, data, size);
    why[0] = 0;
    round_trip(w, false, data, size);
    wifi_close(w);
    return 0;
}
