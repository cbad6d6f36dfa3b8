/* SPDX-License-Identifier: MIT */
/* fuzz_attach_claim.c — an attached device's claim file, attached.json (src/rest/rest_attach.c,
 * read by the device-connection service from every state folder) on any input: never crash or
 * leak; an accepted claim has an IPv4 address, a non-empty connection path that fit their
 * buffers, and a positive pid. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rest_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char address[16], path[64];
    long pid = 0;
    if (rest_attach_parse_claim((const char *)data, size, address, sizeof address, path, sizeof path, &pid) != 0)
        return 0;
    struct in_addr a;
    if (inet_pton(AF_INET, address, &a) != 1 || !path[0] || strlen(path) >= sizeof path || pid <= 0)
        abort();
    return 0;
}
