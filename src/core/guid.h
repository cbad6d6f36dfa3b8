/* SPDX-License-Identifier: MIT */
/*
 * guid.h — GUIDs (component IDs, image IDs, tenant IDs) in their textual form.
 *
 * Accepted text: exactly 36 characters "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", hex digits in
 * either case. Bytes are kept in text order; comparisons are therefore case-insensitive, as
 * the platform compares component IDs. Formatting is lower-case.
 */
#ifndef OPENSPHERE_CORE_GUID_H
#define OPENSPHERE_CORE_GUID_H

#include <stdbool.h>
#include <stdint.h>

struct guid {
    uint8_t bytes[16];
};

#define GUID_TEXT_LEN 36

/* 0, or -EINVAL if `text` is not a GUID in the form above. */
int guid_parse(const char *text, struct guid *out);
bool guid_equal(const struct guid *a, const struct guid *b);
bool guid_is_nil(const struct guid *g);
/* Writes 36 characters and a NUL into out[37]. */
void guid_format(const struct guid *g, char out[GUID_TEXT_LEN + 1]);
/* A fresh random (version 4, RFC 4122 variant) GUID from bytes_random(): 0, or -EIO. */
int guid_random(struct guid *out);

#endif
