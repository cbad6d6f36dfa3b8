/* SPDX-License-Identifier: MIT */
/* signing.c — ECDSA P-256 keys, self-signed certificates, raw r||s signatures (see signing.h). */
#include "signing.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

struct signing_key {
    EVP_PKEY *pkey;
    uint8_t thumbprint[20];
};

struct keystore_entry {
    uint8_t thumbprint[20];
    EVP_PKEY *pub;
    enum signing_trust trust;
    char *name;
};

struct keystore {
    struct keystore_entry *entries;
    size_t count;
};

static int cert_thumbprint(X509 *cert, uint8_t out[20])
{
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    if (len <= 0)
        return -EIO;
    unsigned int n = 0;
    int ok = EVP_Digest(der, (size_t)len, out, &n, EVP_sha1(), NULL);
    OPENSSL_free(der);
    return ok == 1 && n == 20 ? 0 : -EIO;
}

static X509 *read_cert(const char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return cert;
}

static bool is_p256(EVP_PKEY *pkey)
{
    char group[64];
    size_t n = 0;
    return EVP_PKEY_id(pkey) == EVP_PKEY_EC && EVP_PKEY_get_group_name(pkey, group, sizeof group, &n) == 1 &&
           strcmp(group, "prime256v1") == 0;
}

int signing_key_load(const char *key_pem, size_t key_len, const char *cert_pem, size_t cert_len,
                     struct signing_key **out)
{
    *out = NULL;
    BIO *bio = BIO_new_mem_buf(key_pem, (int)key_len);
    EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    X509 *cert = read_cert(cert_pem, cert_len);
    int err = 0;
    if (!pkey || !cert || !is_p256(pkey))
        err = -EINVAL;
    else if (X509_check_private_key(cert, pkey) != 1)
        err = -EINVAL;
    struct signing_key *key = err ? NULL : calloc(1, sizeof *key);
    if (!err && !key)
        err = -ENOMEM;
    if (!err)
        err = cert_thumbprint(cert, key->thumbprint);
    X509_free(cert);
    if (err) {
        EVP_PKEY_free(pkey);
        free(key);
        return err;
    }
    key->pkey = pkey;
    *out = key;
    return 0;
}

void signing_key_free(struct signing_key *key)
{
    if (!key)
        return;
    EVP_PKEY_free(key->pkey);
    free(key);
}

void signing_key_thumbprint(const struct signing_key *key, uint8_t out[20]) { memcpy(out, key->thumbprint, 20); }

int signing_sign(const struct signing_key *key, const uint8_t *data, size_t len, uint8_t sig[64])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char der[128];
    size_t der_len = sizeof der;
    int err = -EIO;
    if (ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) == 1 &&
        EVP_DigestSign(ctx, der, &der_len, data, len) == 1) {
        const unsigned char *p = der;
        ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
        const BIGNUM *r = NULL, *sv = NULL;
        if (s) {
            ECDSA_SIG_get0(s, &r, &sv);
            if (BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(sv, sig + 32, 32) == 32)
                err = 0;
            ECDSA_SIG_free(s);
        }
    }
    EVP_MD_CTX_free(ctx);
    return err;
}

static char *bio_to_string(BIO *bio)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        memcpy(s, data, (size_t)n);
        s[n] = '\0';
    }
    return s;
}

static int generate(const char *common_name, const char *names, bool ca_true, unsigned days, char **key_pem,
                    char **cert_pem, uint8_t thumbprint[20]);

int signing_generate(const char *common_name, unsigned days, char **key_pem, char **cert_pem, uint8_t thumbprint[20])
{
    return generate(common_name, NULL, false, days, key_pem, cert_pem, thumbprint);
}

int signing_generate_tls(const char *common_name, const char *ip, unsigned days, char **key_pem, char **cert_pem)
{
    char names[80];
    uint8_t thumbprint[20];
    snprintf(names, sizeof names, "IP:%s", ip);
    return generate(common_name, names, false, days, key_pem, cert_pem, thumbprint);
}

int signing_generate_tls_names(const char *common_name, const char *names, unsigned days, char **key_pem,
                               char **cert_pem)
{
    uint8_t thumbprint[20];
    return generate(common_name, names, true, days, key_pem, cert_pem, thumbprint);
}

/* Adds subjectAltName=<names> ("IP:…,DNS:…") to `cert`. */
static bool add_san(X509 *cert, const char *names)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, names);
    bool ok = ext && X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

/* Adds basicConstraints CA:TRUE: a pinned self-signed server certificate is its own trust
 * anchor, and Python's ssl (Microsoft's device client) accepts it only when it says so. */
static bool add_ca_true(X509 *cert)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    bool ok = ext && X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

static int generate(const char *common_name, const char *names, bool ca_true, unsigned days, char **key_pem,
                    char **cert_pem, uint8_t thumbprint[20])
{
    *key_pem = *cert_pem = NULL;
    EVP_PKEY *pkey = EVP_EC_gen("prime256v1");
    X509 *cert = X509_new();
    BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
    int err = -EIO;
    uint8_t serial[16];
    BIGNUM *bn = NULL;
    if (pkey && cert && kb && cb && bytes_random(serial, sizeof serial) == 0) {
        serial[0] &= 0x7F;
        bn = BN_bin2bn(serial, sizeof serial, NULL);
        X509_NAME *name = X509_get_subject_name(cert);
        if (bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) && X509_set_version(cert, 2) &&
            X509_gmtime_adj(X509_getm_notBefore(cert), 0) &&
            X509_gmtime_adj(X509_getm_notAfter(cert), (long)days * 86400L) &&
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)common_name, -1, -1, 0) &&
            X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"OpenSphere", -1, -1, 0) &&
            X509_set_issuer_name(cert, name) && X509_set_pubkey(cert, pkey) && (!names || add_san(cert, names)) &&
            (!ca_true || add_ca_true(cert)) &&
            X509_sign(cert, pkey, EVP_sha256()) &&
            PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL) && PEM_write_bio_X509(cb, cert) &&
            cert_thumbprint(cert, thumbprint) == 0) {
            *key_pem = bio_to_string(kb);
            *cert_pem = bio_to_string(cb);
            err = *key_pem && *cert_pem ? 0 : -ENOMEM;
        }
    }
    if (err) {
        free(*key_pem);
        free(*cert_pem);
        *key_pem = *cert_pem = NULL;
    }
    BN_free(bn);
    BIO_free(kb);
    BIO_free(cb);
    X509_free(cert);
    EVP_PKEY_free(pkey);
    return err;
}

int keystore_new(struct keystore **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : -ENOMEM;
}

void keystore_free(struct keystore *ks)
{
    if (!ks)
        return;
    for (size_t i = 0; i < ks->count; i++) {
        EVP_PKEY_free(ks->entries[i].pub);
        free(ks->entries[i].name);
    }
    free(ks->entries);
    free(ks);
}

int keystore_add_cert(struct keystore *ks, const char *cert_pem, size_t cert_len, enum signing_trust trust,
                      const char *name)
{
    X509 *cert = read_cert(cert_pem, cert_len);
    if (!cert)
        return -EINVAL;
    struct keystore_entry e = {.trust = trust};
    int err = cert_thumbprint(cert, e.thumbprint);
    e.pub = err ? NULL : X509_get_pubkey(cert);
    X509_free(cert);
    if (err)
        return err;
    if (!e.pub || !is_p256(e.pub)) {
        EVP_PKEY_free(e.pub);
        return -EINVAL;
    }
    e.name = strdup(name);
    struct keystore_entry *entries = e.name ? realloc(ks->entries, (ks->count + 1) * sizeof *entries) : NULL;
    if (!entries) {
        EVP_PKEY_free(e.pub);
        free(e.name);
        return -ENOMEM;
    }
    ks->entries = entries;
    entries[ks->count++] = e;
    return 0;
}

int keystore_verify(const struct keystore *ks, const uint8_t thumbprint[20], const uint8_t *data, size_t len,
                    const uint8_t sig[64], struct keystore_match *match)
{
    const struct keystore_entry *e = NULL;
    for (size_t i = 0; i < ks->count && !e; i++)
        if (memcmp(ks->entries[i].thumbprint, thumbprint, 20) == 0)
            e = &ks->entries[i];
    if (!e)
        return -ENOKEY;
    match->trust = e->trust;
    match->name = e->name;
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *sv = BN_bin2bn(sig + 32, 32, NULL);
    unsigned char *der = NULL;
    int der_len = -1;
    if (s && r && sv && ECDSA_SIG_set0(s, r, sv) == 1) {
        r = sv = NULL; /* owned by s now */
        der_len = i2d_ECDSA_SIG(s, &der);
    }
    BN_free(r);
    BN_free(sv);
    ECDSA_SIG_free(s);
    if (der_len <= 0)
        return -EIO;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = -EIO;
    if (ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, e->pub) == 1) {
        int v = EVP_DigestVerify(ctx, der, (size_t)der_len, data, len);
        rc = v == 1 ? 0 : v == 0 ? -EBADMSG : -EBADMSG;
    }
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    return rc;
}

void signing_thumbprint_hex(const uint8_t thumbprint[20], char out[41])
{
    for (int i = 0; i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", thumbprint[i]);
}
