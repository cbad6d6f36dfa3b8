/* SPDX-License-Identifier: MIT */
/*
 * hwaddr.h — 48-bit hardware addresses (Ethernet MACs, Wi-Fi BSSIDs) in their text form
 * "aa:bb:cc:dd:ee:ff". Pure functions; the Wi-Fi model and the network configuration share them.
 */
#ifndef OPENSPHERE_CORE_HWADDR_H
#define OPENSPHERE_CORE_HWADDR_H

#include <stdint.h>

#define HWADDR_TEXT_LEN 17

/* Writes 17 lower-case characters and a NUL into out[18]. */
void hwaddr_format(const uint8_t addr[6], char out[HWADDR_TEXT_LEN + 1]);
/* 0, or -EINVAL unless `text` is exactly six colon-separated pairs of hex digits (either case). */
int hwaddr_parse(const char *text, uint8_t addr[6]);

#endif
