/* SPDX-License-Identifier: MIT */
/* hwaddr.c — hardware address text (see hwaddr.h). */
#include "hwaddr.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hwaddr_format(const uint8_t addr[6], char out[HWADDR_TEXT_LEN + 1])
{
    snprintf(out, HWADDR_TEXT_LEN + 1, "%02x:%02x:%02x:%02x:%02x:%02x", addr[0], addr[1], addr[2], addr[3], addr[4],
             addr[5]);
}

int hwaddr_parse(const char *text, uint8_t addr[6])
{
    if (!text || strlen(text) != HWADDR_TEXT_LEN)
        return -EINVAL;
    for (int i = 0; i < 6; i++) {
        const char *p = text + i * 3;
        if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) || (i < 5 && p[2] != ':'))
            return -EINVAL;
        char hex[3] = {p[0], p[1], 0};
        addr[i] = (uint8_t)strtoul(hex, NULL, 16);
    }
    return 0;
}
