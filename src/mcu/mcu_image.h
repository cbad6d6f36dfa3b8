/* SPDX-License-Identifier: MIT */
/*
 * mcu_image.h — the external MCU's firmware image format (MCUboot-style), pure: no I/O.
 *
 * Layout (all integers little-endian; docs/mcu.md is the reference and test_mcu_image checks
 * that it agrees with this code):
 *   header (hdr_size bytes, >= 32):
 *     0  u32 magic 0x96f3b83d       4  u32 load address
 *     8  u16 header size            10 u16 protected TLV size (0: we write none)
 *     12 u32 image size             16 u32 flags
 *     20 u8 major, u8 minor, u16 revision, u32 build      28 u32 reserved (0)
 *     (hdr_size - 32 bytes of padding, 0)
 *   image (image size bytes)
 *   TLV area: u16 magic 0x6907, u16 total length (including these 4 bytes), then entries
 *     u16 type, u16 length, value. Type 0x10 = SHA-256 (32 bytes) over header + image.
 *
 * Contract: mcu_image_parse never reads outside [data, data + len) and accepts only images whose
 * TLV area lies inside the buffer and carries exactly one SHA-256 TLV; mcu_image_verify then
 * recomputes the hash. Errors: -EINVAL (malformed, with a reason in `why` when given),
 * -EBADMSG (hash mismatch), -ENOMEM.
 */
#ifndef OPENSPHERE_MCU_IMAGE_H
#define OPENSPHERE_MCU_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCU_IMAGE_MAGIC 0x96f3b83dU   /* header magic (MCUboot IMAGE_MAGIC) */
#define MCU_IMAGE_HEADER_SIZE 32u     /* the fixed header; hdr_size may be larger (padding) */
#define MCU_IMAGE_TLV_INFO_MAGIC 0x6907u /* unprotected TLV area magic */
#define MCU_IMAGE_TLV_SHA256 0x10u    /* SHA-256 of header + image */
#define MCU_IMAGE_HASH_SIZE 32u
#define MCU_IMAGE_MAX_SIZE (16u << 20) /* refuse anything claiming more */

struct mcu_version {
    uint8_t major, minor;
    uint16_t revision;
    uint32_t build;
};

struct mcu_image_info {
    uint32_t load_addr;
    uint16_t hdr_size, protect_tlv_size;
    uint32_t img_size, flags;
    struct mcu_version version;
    uint32_t tlv_off, tlv_size; /* where the TLV area starts and its total length */
    uint32_t total_size;        /* header + image + TLVs: the bytes that make up the image */
    uint8_t hash[MCU_IMAGE_HASH_SIZE]; /* the SHA-256 TLV's value */
};

/* Parses the layout of the image at data[0..len). `why` (may be NULL) gets a reason on -EINVAL. */
int mcu_image_parse(const uint8_t *data, size_t len, struct mcu_image_info *out, char *why, size_t why_size);
/* The same, for an image of `len` bytes read in parts: d holds at least its first 32 bytes, and
 * tail its last tail_len bytes, which must cover the whole TLV area. */
int mcu_image_parse_parts(const uint8_t *d, size_t len, const uint8_t *tail, size_t tail_len,
                          struct mcu_image_info *out, char *why, size_t why_size);
/* Parses and recomputes the SHA-256 over header + image: 0, -EINVAL or -EBADMSG (mismatch). */
int mcu_image_verify(const uint8_t *data, size_t len, struct mcu_image_info *out, char *why, size_t why_size);
/* Wraps a raw binary: *out (malloc'd, caller frees) holds header + payload + TLVs. */
int mcu_image_create(const uint8_t *payload, size_t len, const struct mcu_version *v, uint32_t load_addr,
                     uint8_t **out, size_t *out_len);
/* "1.2.3+4" or "1.2.3" or "N" (N.0.0) -> version; -EINVAL when out of range or malformed. */
int mcu_version_parse(const char *text, struct mcu_version *v);
/* Formats as "major.minor.revision.build" (the mcumgr convention) into buf. */
void mcu_version_format(const struct mcu_version *v, char *buf, size_t size);
/* <0, 0, >0 like strcmp, build number included. */
int mcu_version_compare(const struct mcu_version *a, const struct mcu_version *b);
/* Lower-case hex of a hash into buf (>= 65 bytes). */
void mcu_hash_hex(const uint8_t hash[MCU_IMAGE_HASH_SIZE], char *buf);
/* SHA-256 of a buffer (OpenSSL). */
int mcu_sha256(const void *data, size_t len, uint8_t out[MCU_IMAGE_HASH_SIZE]);

#endif
