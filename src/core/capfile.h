/* SPDX-License-Identifier: MIT */
/*
 * capfile.h — device capability files in the platform's format (docs/device.md).
 *
 *   body (140 bytes): u32 magic 0x5CFD5CFD, u32 version 1, u32 data length 0xCC,
 *                     u8 device_id[64] (the 128-hex-digit device ID as bytes),
 *                     u8 capabilities[64] (one capability value per byte, 0 = none)
 *   metadata:         ID (image type 13 FirmwareConfig, component 4128b5d8-abc2-4155-9a33-8a1f31ed67ec),
 *                     SG (thumbprint of the security-service certificate), DB (name "fw_config")
 *   signature:        ECDSA P-256 over everything before it (as image packages)
 *
 * A capability file holds zero or more capabilities for exactly one device.
 */
#ifndef OPENSPHERE_CORE_CAPFILE_H
#define OPENSPHERE_CORE_CAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgpkg.h"
#include "signing.h"

#define CAPFILE_MAGIC 0x5CFD5CFDu
#define CAPFILE_BODY_SIZE 140u
#define CAPFILE_MAX_CAPS 64
#define DEVICE_ID_BYTES 64
#define DEVICE_ID_HEX (2 * DEVICE_ID_BYTES)

enum device_capability {
    CAP_NONE = 0,
    CAP_ENABLE_APP_DEVELOPMENT = 11,
    CAP_ENABLE_RF_TEST_MODE = 12,
    CAP_ENABLE_FIELD_SERVICING = 13,
};

struct capfile {
    uint8_t device_id[DEVICE_ID_BYTES];
    uint8_t caps[CAPFILE_MAX_CAPS];
    size_t cap_count;
    struct imgpkg_metadata meta;
};

/* Builds and signs a capability file for `device_id`; *out is malloc'd. */
int capfile_build(const uint8_t device_id[DEVICE_ID_BYTES], const uint8_t *caps, size_t cap_count,
                  const struct signing_key *security_service, uint8_t **out, size_t *out_len);
/* Parses and verifies: the layout, the signature against `trusted` (the security service's
 * key), and — when `device_id` is not NULL — that the file is for that device.
 * 0; -EINVAL malformed (reason in err); -ENOKEY / -EBADMSG signature; -EXDEV another device. */
int capfile_parse(const uint8_t *data, size_t len, const struct keystore *trusted,
                  const uint8_t device_id[DEVICE_ID_BYTES], struct capfile *out, struct imgpkg_error *err);
bool capfile_has(const struct capfile *cf, enum device_capability cap);
/* "EnableAppDevelopment", "EnableFieldServicing", ... (the CLI's names), or NULL if unknown. */
const char *capfile_capability_name(uint8_t value);

/* Device IDs as text: 128 hex digits, either case. */
int device_id_parse(const char *hex, uint8_t out[DEVICE_ID_BYTES]);
void device_id_format(const uint8_t id[DEVICE_ID_BYTES], char out[DEVICE_ID_HEX + 1]);

#endif
