/* SPDX-License-Identifier: MIT */
/* certgen.c — see certgen.h. */
#include "certgen.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static char *bio_string(BIO *b)
{
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    char *out = malloc((size_t)n + 1);
    if (out) {
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
    }
    return out;
}

int testcert_make(struct testcert *tc, const char *cn, const struct testcert *issuer, const char *not_before,
                  const char *not_after)
{
    memset(tc, 0, sizeof *tc);
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    if (!key || !x)
        return -1;
    static long serial = 1;
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_set_version(x, 2);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"OpenSphere Test", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->x509) : name);
    ASN1_TIME_set_string(X509_getm_notBefore(x), not_before);
    ASN1_TIME_set_string(X509_getm_notAfter(x), not_after);
    X509_set_pubkey(x, key);
    if (!X509_sign(x, issuer ? issuer->key : key, EVP_sha256()))
        return -1;
    BIO *c = BIO_new(BIO_s_mem()), *k = BIO_new(BIO_s_mem()), *e = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(c, x);
    PEM_write_bio_PKCS8PrivateKey(k, key, NULL, NULL, 0, NULL, NULL);
    PEM_write_bio_PKCS8PrivateKey(e, key, EVP_aes_256_cbc(), NULL, 0, NULL, (void *)"secret");
    tc->cert_pem = bio_string(c);
    tc->key_pem = bio_string(k);
    tc->key_pem_enc = bio_string(e);
    BIO_free(c);
    BIO_free(k);
    BIO_free(e);
    tc->key = key;
    tc->x509 = x;
    return tc->cert_pem && tc->key_pem && tc->key_pem_enc ? 0 : -1;
}

void testcert_free(struct testcert *tc)
{
    free(tc->cert_pem);
    free(tc->key_pem);
    free(tc->key_pem_enc);
    EVP_PKEY_free(tc->key);
    X509_free(tc->x509);
    memset(tc, 0, sizeof *tc);
}
