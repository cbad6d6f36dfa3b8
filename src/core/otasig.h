/* SPDX-License-Identifier: MIT */
/*
 * otasig.h — the signature over an external-MCU OTA image (docs/ota.md, "Signature").
 *
 * The cloud signs, the device agent verifies; neither trusts the channel in between. The signed
 * message is canonical text:
 *
 *     "OSOTA1\n" PRODUCT "\n" VERSION "\n" SIZE "\n" SHA256HEX "\n"
 *
 * VERSION and SIZE in decimal without leading zeros, SHA256HEX the image's SHA-256 as 64
 * lower-case hex digits. The signature is ECDSA P-256 over SHA-256 of that message, DER-encoded,
 * then base64 (RFC 4648, with padding, no line breaks).
 *
 * Pure crypto: no files, no sockets, OpenSSL libcrypto only, so the device agent can link this
 * file alone (plus error.h). Every function returns 0 or a negative errno:
 *   -EINVAL   a field is malformed (product empty, too long or holding '\n'; version 0;
 *             sha256 not 64 lower-case hex digits) or the key is not an EC P-256 key;
 *   -EBADMSG  the signature is not base64, not DER, or does not match the message and key;
 *   -ENOMEM   out of memory.
 */
#ifndef OPENSPHERE_CORE_OTASIG_H
#define OPENSPHERE_CORE_OTASIG_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#define OTASIG_MAX_PRODUCT 64
/* Big enough for any message otasig_message writes (with its terminating NUL). */
#define OTASIG_MAX_MESSAGE (8 + OTASIG_MAX_PRODUCT + 2 * 21 + 65 + 8)

/* What is signed. All pointers are borrowed for the call. */
struct otasig_fields {
    const char *product;    /* 1..OTASIG_MAX_PRODUCT bytes, no '\n' */
    uint64_t version;       /* > 0 */
    uint64_t size;          /* image bytes */
    const char *sha256_hex; /* 64 lower-case hex digits */
};

/* Writes the canonical message into out (NUL-terminated; its length, without the NUL, in *len).
 * 0 or -EINVAL. */
int otasig_message(const struct otasig_fields *f, char out[OTASIG_MAX_MESSAGE], size_t *len);

/* Signs the fields with `key` (an EC P-256 private key, borrowed). *sig_b64 receives a malloc'd,
 * NUL-terminated base64 string the caller frees. 0, -EINVAL, -ENOMEM, -EIO (OpenSSL failed). */
int otasig_sign(EVP_PKEY *key, const struct otasig_fields *f, char **sig_b64);

/* Verifies `sig_b64` over the fields with the public key in `public_key_pem` (a PEM
 * "PUBLIC KEY" or a certificate; `len` bytes, need not be NUL-terminated).
 * 0 when it matches; -EBADMSG when it does not or is malformed; -EINVAL for a bad PEM, a key
 * that is not EC P-256, or malformed fields; -ENOMEM. */
int otasig_verify(const char *public_key_pem, size_t len, const struct otasig_fields *f, const char *sig_b64);

/* The public half of `key` as a PEM "PUBLIC KEY" (malloc'd, NUL-terminated). 0, -EINVAL, -ENOMEM. */
int otasig_public_pem(EVP_PKEY *key, char **pem);

#endif
