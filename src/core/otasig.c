/* SPDX-License-Identifier: MIT */
/* otasig.c — the OTA image signature: canonical message, ECDSA P-256/SHA-256, base64 (see otasig.h). */
#include "otasig.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DER_SIGNATURE 80 /* ECDSA P-256 DER: at most 72 bytes */

static bool valid_sha256_hex(const char *s)
{
    if (!s || strlen(s) != 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

static bool valid_product(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 0 && n <= OTASIG_MAX_PRODUCT && !strchr(s, '\n');
}

int otasig_message(const struct otasig_fields *f, char out[OTASIG_MAX_MESSAGE], size_t *len)
{
    if (!valid_product(f->product) || f->version == 0 || !valid_sha256_hex(f->sha256_hex))
        return -EINVAL;
    int n = snprintf(out, OTASIG_MAX_MESSAGE, "OSOTA1\n%s\n%" PRIu64 "\n%" PRIu64 "\n%s\n", f->product, f->version,
                     f->size, f->sha256_hex);
    if (n < 0 || n >= OTASIG_MAX_MESSAGE)
        return -EINVAL;
    *len = (size_t)n;
    return 0;
}

static bool is_p256(EVP_PKEY *key)
{
    char group[64];
    size_t n = 0;
    return key && EVP_PKEY_id(key) == EVP_PKEY_EC && EVP_PKEY_get_group_name(key, group, sizeof group, &n) == 1 &&
           strcmp(group, "prime256v1") == 0;
}

/* ---- base64 (strict: RFC 4648 alphabet, padding required, no whitespace) ---------------- */

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes into out (room for `cap` bytes); the byte count, or -EBADMSG. */
static int b64_decode(const char *in, uint8_t *out, size_t cap)
{
    size_t n = strlen(in), o = 0;
    if (n == 0 || n % 4 != 0 || n / 4 * 3 > cap)
        return -EBADMSG;
    for (size_t i = 0; i < n; i += 4) {
        bool last = i + 4 == n;
        int v[4];
        for (int k = 0; k < 4; k++)
            v[k] = b64_value(in[i + k]);
        int pad = last && in[i + 3] == '=' ? (in[i + 2] == '=' ? 2 : 1) : 0;
        if (v[0] < 0 || v[1] < 0 || (pad < 2 && v[2] < 0) || (pad < 1 && v[3] < 0))
            return -EBADMSG;
        uint32_t bits = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)(pad < 2 ? v[2] : 0) << 6 |
                        (uint32_t)(pad < 1 ? v[3] : 0);
        if ((pad == 2 && (bits & 0xffff)) || (pad == 1 && (bits & 0xff)))
            return -EBADMSG; /* non-canonical: bits after the last byte must be zero */
        out[o++] = (uint8_t)(bits >> 16);
        if (pad < 2)
            out[o++] = (uint8_t)(bits >> 8);
        if (pad < 1)
            out[o++] = (uint8_t)bits;
    }
    return (int)o;
}

static char *b64_encode(const uint8_t *data, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

/* ---- sign / verify ------------------------------------------------------------------------ */

int otasig_sign(EVP_PKEY *key, const struct otasig_fields *f, char **sig_b64)
{
    *sig_b64 = NULL;
    char msg[OTASIG_MAX_MESSAGE];
    size_t msg_len = 0;
    int err = otasig_message(f, msg, &msg_len);
    if (err)
        return err;
    if (!is_p256(key))
        return -EINVAL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t der[MAX_DER_SIGNATURE];
    size_t der_len = sizeof der;
    if (!md)
        return -ENOMEM;
    if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, der, &der_len, (const uint8_t *)msg, msg_len) != 1)
        err = -EIO;
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    if (!err && !(*sig_b64 = b64_encode(der, der_len)))
        err = -ENOMEM;
    return err;
}

/* The public key in a PEM "PUBLIC KEY" or certificate; NULL if neither. */
static EVP_PKEY *read_public_key(const char *pem, size_t len)
{
    if (len > 64 * 1024)
        return NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *key = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    if (bio && !key) {
        BIO_free(bio);
        bio = BIO_new_mem_buf(pem, (int)len);
        X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        key = cert ? X509_get_pubkey(cert) : NULL;
        X509_free(cert);
    }
    BIO_free(bio);
    ERR_clear_error();
    return key;
}

int otasig_verify(const char *public_key_pem, size_t len, const struct otasig_fields *f, const char *sig_b64)
{
    char msg[OTASIG_MAX_MESSAGE];
    size_t msg_len = 0;
    int err = otasig_message(f, msg, &msg_len);
    if (err)
        return err;
    uint8_t der[MAX_DER_SIGNATURE];
    int der_len = sig_b64 ? b64_decode(sig_b64, der, sizeof der) : -EBADMSG;
    if (der_len < 0)
        return der_len;
    EVP_PKEY *key = read_public_key(public_key_pem, len);
    if (!is_p256(key)) {
        EVP_PKEY_free(key);
        return -EINVAL;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md)
        err = -ENOMEM;
    else if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1)
        err = -EINVAL;
    else if (EVP_DigestVerify(md, der, (size_t)der_len, (const uint8_t *)msg, msg_len) != 1)
        err = -EBADMSG; /* 0: mismatch; < 0: not a DER ECDSA signature */
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return err;
}

int otasig_public_pem(EVP_PKEY *key, char **pem)
{
    *pem = NULL;
    if (!is_p256(key))
        return -EINVAL;
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long n = 0;
    int err = bio && PEM_write_bio_PUBKEY(bio, key) == 1 ? 0 : -ENOMEM;
    if (!err && (n = BIO_get_mem_data(bio, &data)) > 0 && (*pem = malloc((size_t)n + 1)) != NULL) {
        memcpy(*pem, data, (size_t)n);
        (*pem)[n] = '\0';
    } else if (!err) {
        err = -ENOMEM;
    }
    BIO_free(bio);
    return err;
}
