/* SPDX-License-Identifier: MIT */
/*
 * rest_parse.c — the request checks of the device REST API that need no connection or device
 * (rest_internal.h): route path matching, the Content-Type test, the AZSPHERE-CAPABILITIES
 * header's base64, and a route's body (media type, then a JSON object). Pure functions over
 * their arguments, so tests/fuzz/fuzz_rest_request.c can drive them with any bytes.
 */
#include "rest_internal.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"

bool rest_path_matches(const char *pattern, const char *url, const char **param)
{
    size_t n = strlen(pattern);
    if (!n || pattern[n - 1] != '*')
        return strcmp(pattern, url) == 0;
    if (strncmp(pattern, url, n - 1) != 0 || !url[n - 1] || strchr(url + n - 1, '/'))
        return false;
    *param = url + n - 1;
    return true;
}

bool rest_content_type_is(const char *content_type, const char *type)
{
    if (!content_type)
        return false;
    size_t n = strlen(type);
    return strncasecmp(content_type, type, n) == 0 &&
           (content_type[n] == '\0' || content_type[n] == ';' || content_type[n] == ' ');
}

int rest_capability_decode(const char *header, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (!header || !*header)
        return 0;
    size_t n = strlen(header);
    if (n > REST_CAPABILITY_HEADER_MAX || n % 4)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) /* the alphabet, with '=' only as the last one or two */
        if (!(header[i] >= 'A' && header[i] <= 'Z') && !(header[i] >= 'a' && header[i] <= 'z') &&
            !(header[i] >= '0' && header[i] <= '9') && header[i] != '+' && header[i] != '/' &&
            !(header[i] == '=' && (i == n - 1 || (i == n - 2 && header[n - 1] == '='))))
            return -EINVAL;
    uint8_t *buf = malloc(n / 4 * 3 + 1);
    if (!buf)
        return -ENOMEM;
    int got = EVP_DecodeBlock(buf, (const unsigned char *)header, (int)n);
    if (got < 0) {
        free(buf);
        return -EINVAL;
    }
    got -= (header[n - 1] == '=') + (header[n - 2] == '=');
    *out = buf;
    *len = (size_t)got;
    return 0;
}

enum deverr rest_parse_body(enum body_kind kind, const char *content_type, const char *body, size_t len,
                            struct json_value **json, const char **why)
{
    *json = NULL;
    bool wants_json = kind == BODY_JSON || (kind == BODY_JSON_OPTIONAL && len > 0);
    if (wants_json && !rest_content_type_is(content_type, "application/json")) {
        *why = "this endpoint takes application/json";
        return DERR_MEDIA_TYPE;
    }
    if (kind == BODY_OCTETS && !rest_content_type_is(content_type, "application/octet-stream")) {
        *why = "this endpoint takes application/octet-stream";
        return DERR_MEDIA_TYPE;
    }
    if (!wants_json)
        return DERR_NONE;
    struct diag_list diags = {0};
    int err = json_parse(body ? body : "", len, NULL, "request", &diags, json);
    bool bad = err || diag_error_count(&diags) || !*json || (*json)->type != JSON_OBJECT;
    diag_list_free(&diags);
    if (bad) {
        json_free(*json);
        *json = NULL;
        *why = "the body is not a JSON object";
        return DERR_BAD_REQUEST;
    }
    return DERR_NONE;
}
