/* SPDX-License-Identifier: MIT */
/* fuzz_certstore.c — the certificate store's file reader (certstore_parse) on any bytes: never
 * crash, leak or read out of bounds; a refusal always says why; whatever it accepts serialises
 * and re-parses to a store with the same certificates, and stays within the quota. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certstore_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    struct certstore *cs = NULL;
    char why[512];
    int err = certstore_parse((const char *)input, size, "fuzz.json", &cs, why, sizeof why);
    if (err) {
        if (err != -ENOMEM && !why[0])
            abort(); /* every refusal names its reason */
        return 0;
    }
    if (certstore_available(cs) > CERTSTORE_QUOTA_BYTES - CERTSTORE_OVERHEAD_BYTES)
        abort();
    char *text = NULL;
    size_t len = 0;
    if (certstore_serialize(cs, &text, &len) == 0) {
        struct certstore *again = NULL;
        if (certstore_parse(text, len, "again.json", &again, why, sizeof why) != 0 ||
            certstore_count(again) != certstore_count(cs) || certstore_available(again) != certstore_available(cs))
            abort();
        for (size_t i = 0; i < certstore_count(cs); i++) {
            char a[CERTSTORE_ID_MAX + 1], b[CERTSTORE_ID_MAX + 1];
            if (certstore_id_at(cs, i, a) || certstore_id_at(again, i, b) || strcmp(a, b) ||
                certstore_kind(cs, a) != certstore_kind(again, b))
                abort();
        }
        certstore_close(again);
        free(text);
    }
    certstore_close(cs);
    return 0;
}
