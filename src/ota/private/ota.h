/* SPDX-License-Identifier: MIT */
/*
 * ota.h — the external-MCU OTA agent's vocabulary, shared by its parts (docs/ota.md).
 *
 * struct ota_desired is what the cloud asks for (the twin's desired properties); struct
 * ota_report is what the agent tells it (the reported properties). Both are plain data: the
 * JSON mapping is ota_desired_parse() / ota_report_json(), kept free of any transport.
 */
#ifndef OPENSPHERE_OTA_H
#define OPENSPHERE_OTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OTA_SHA256_HEX 64
#define OTA_PRODUCT_MAX 128
#define OTA_URL_MAX 2048
#define OTA_SIGNATURE_MAX 256
#define OTA_ERROR_MAX 200
#define OTA_ETAG_MAX 100

struct ota_desired {
    uint32_t version; /* 0: nothing is deployed to this device */
    uint32_t size;
    char sha256[OTA_SHA256_HEX + 1]; /* lowercase hex */
    char product[OTA_PRODUCT_MAX];
    char url[OTA_URL_MAX];
    char signature[OTA_SIGNATURE_MAX]; /* base64 DER ECDSA-P256 over the otasig message */
};

enum ota_status {
    OTA_IDLE,         /* nothing to do (never reported) */
    OTA_DOWNLOADING,
    OTA_INTERRUPTED,  /* the network failed; retrying */
    OTA_VERIFYING,
    OTA_VERIFIED,     /* the image is on flash, checked and accepted; no MCU programmed yet */
    OTA_APPLYING,
    OTA_APPLIED,
    OTA_ERROR,
};

struct ota_report {
    enum ota_status status;
    uint32_t target_version;   /* the desired version being worked on (0: none) */
    uint32_t accepted_version; /* the anti-rollback counter: highest version verified on flash */
    uint32_t bytes_done;
    uint32_t size;
    char error[OTA_ERROR_MAX]; /* empty unless status is OTA_ERROR or OTA_INTERRUPTED */
};

/* "downloading", "interrupted", ... ("idle" for OTA_IDLE). */
const char *ota_status_name(enum ota_status status);

/* Parses the desired-state JSON: the twin's desired document (its "extFwInfo" member) or the
 * OTA object itself. `{}` (or a missing/0 version) gives version 0. Returns 0, or
 * -EINVAL with `why` naming the field (JSON path) and the reason. */
int ota_desired_parse(const char *json, size_t len, struct ota_desired *out, char *why, size_t why_size);

/* The reported-state JSON for `r` (malloc'd, NUL-terminated), or NULL when out of memory. */
char *ota_report_json(const struct ota_report *r);

#endif
