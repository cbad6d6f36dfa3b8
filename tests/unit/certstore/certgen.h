/* SPDX-License-Identifier: MIT */
/* certgen.h — test certificates made in memory with OpenSSL: an EC P-256 key and a certificate
 * for it, self-signed or signed by another, with fixed names and validity, as PEM text. */
#ifndef OPENSPHERE_TEST_CERTGEN_H
#define OPENSPHERE_TEST_CERTGEN_H

#include <stddef.h>

struct testcert {
    char *cert_pem;
    char *key_pem;      /* unencrypted PKCS#8 */
    char *key_pem_enc;  /* the same key, AES-256-CBC with password "secret" */
    void *key;          /* EVP_PKEY * */
    void *x509;         /* X509 * */
};

/* `cn` as subject CN (O=OpenSphere Test, C=US); issued by `issuer` (NULL: self-signed);
 * validity from `not_before` to `not_after` ("YYYYMMDDHHMMSSZ"). 0 or -1. */
int testcert_make(struct testcert *tc, const char *cn, const struct testcert *issuer, const char *not_before,
                  const char *not_after);
void testcert_free(struct testcert *tc);

#endif
