/* SPDX-License-Identifier: MIT */
/* fuzz_json.c — the JSON reader and writer must never crash, leak or loop on any input, and
 * whatever they accept must re-serialise and re-parse to the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_options options = {.allow_trailing_commas = size > 0 && (data[0] & 1)};
    struct diag_list diags = {0};
    struct json_value *v = NULL;
    if (json_parse((const char *)data, size, &options, "fuzz.json", &diags, &v) == 0) {
        struct strbuf once = {0}, twice = {0};
        if (json_write(v, JSON_COMPACT, &once) == 0) {
            struct json_value *again = NULL;
            struct diag_list d2 = {0};
            if (json_parse(once.data, once.len, &options, "again.json", &d2, &again) != 0)
                abort(); /* the writer produced something the reader refuses */
            if (json_write(again, JSON_COMPACT, &twice) == 0 && strcmp(strbuf_str(&once), strbuf_str(&twice)) != 0)
                abort();
            json_free(again);
            diag_list_free(&d2);
        }
        strbuf_free(&once);
        strbuf_free(&twice);
        json_free(v);
    }
    diag_list_free(&diags);
    return 0;
}
