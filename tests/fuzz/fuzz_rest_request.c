/* SPDX-License-Identifier: MIT */
/* fuzz_rest_request.c — the device REST API's request checks (src/rest/rest_parse.c) on any
 * input: never crash or leak. The input is "KIND\nCONTENT-TYPE\nCAPABILITY\nURL\nBODY" (KIND's
 * first byte picks the route's body kind). Invariants: an accepted JSON body is an object; a
 * route that takes no JSON gets none; a decoded capability is at most 3/4 of its text; a '*'
 * route's parameter is the URL's last component, non-empty and without '/'. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rest_internal.h"

static const char *const patterns[] = {"/app/status/*", "/status", "/wifi/config/networks/*", "/telemetry", "*", ""};

/* The next '\n'-terminated field of [*p, end) as a NUL-terminated copy (the rest at the end). */
static char *field(const uint8_t **p, const uint8_t *end, bool last)
{
    const uint8_t *nl = last ? NULL : memchr(*p, '\n', (size_t)(end - *p));
    size_t n = (size_t)((nl ? nl : end) - *p);
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, *p, n);
    s[n] = '\0';
    *p = nl ? nl + 1 : end;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char *kind_text = field(&p, end, false), *ctype = field(&p, end, false), *cap = field(&p, end, false),
         *url = field(&p, end, false);
    size_t body_len = (size_t)(end - p);
    enum body_kind kind = (enum body_kind)((unsigned char)kind_text[0] % (BODY_ANY + 1));

    struct json_value *json = NULL;
    const char *why = NULL;
    enum deverr e = rest_parse_body(kind, ctype[0] ? ctype : NULL, (const char *)p, body_len, &json, &why);
    if (e != DERR_NONE && (json || !why))
        abort();
    if (e == DERR_NONE && json && json->type != JSON_OBJECT)
        abort();
    if (e == DERR_NONE && json && kind != BODY_JSON && kind != BODY_JSON_OPTIONAL)
        abort();
    json_free(json);

    uint8_t *decoded = NULL;
    size_t decoded_len = 0;
    if (rest_capability_decode(cap, &decoded, &decoded_len) == 0 && decoded_len > strlen(cap) / 4 * 3)
        abort();
    free(decoded);

    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        const char *param = NULL;
        size_t n = strlen(patterns[i]);
        if (rest_path_matches(patterns[i], url, &param) && n && patterns[i][n - 1] == '*' &&
            (!param || !*param || strchr(param, '/') || param < url || param > url + strlen(url)))
            abort();
    }
    free(kind_text), free(ctype), free(cap), free(url);
    return 0;
}
