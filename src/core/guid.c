/* SPDX-License-Identifier: MIT */
/* guid.c — GUID text parsing and formatting (see guid.h). */
#include "guid.h"

#include "bytes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int guid_parse(const char *text, struct guid *out)
{
    if (strlen(text) != GUID_TEXT_LEN)
        return -EINVAL;
    size_t b = 0;
    for (size_t i = 0; i < GUID_TEXT_LEN;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-')
                return -EINVAL;
            i++;
            continue;
        }
        int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
        if (hi < 0 || lo < 0)
            return -EINVAL;
        out->bytes[b++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    return 0;
}

bool guid_equal(const struct guid *a, const struct guid *b) { return memcmp(a->bytes, b->bytes, 16) == 0; }

bool guid_is_nil(const struct guid *g)
{
    static const struct guid nil;
    return guid_equal(g, &nil);
}

void guid_format(const struct guid *g, char out[GUID_TEXT_LEN + 1])
{
    const uint8_t *b = g->bytes;
    snprintf(out, GUID_TEXT_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
             b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

int guid_random(struct guid *out)
{
    int err = bytes_random(out->bytes, sizeof out->bytes);
    if (err)
        return err;
    out->bytes[6] = (uint8_t)((out->bytes[6] & 0x0F) | 0x40); /* version 4 */
    out->bytes[8] = (uint8_t)((out->bytes[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    return 0;
}
