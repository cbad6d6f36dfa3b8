/* SPDX-License-Identifier: MIT */
/*
 * signing.h — keys, certificates and signatures for image packages (OpenSSL).
 *
 * A key is named by its certificate's thumbprint: SHA-1 of the certificate's DER encoding.
 * Packages are signed with ECDSA P-256 over SHA-256 of every byte before the signature; the
 * signature is stored raw as r||s (32 + 32 bytes, big-endian).
 *
 * A keystore maps thumbprints to public keys and a trust class: SDK keys (trusted by a device
 * only with the appDevelopment capability) and production keys. All inputs are in-memory PEM
 * buffers; nothing here opens files.
 *
 * Errors: -EINVAL (unparsable PEM, wrong key type, key and certificate do not match),
 * -ENOKEY (unknown thumbprint), -EBADMSG (signature does not verify), -ENOMEM, -EIO (OpenSSL).
 */
#ifndef OPENSPHERE_CORE_SIGNING_H
#define OPENSPHERE_CORE_SIGNING_H

#include <stddef.h>
#include <stdint.h>

enum signing_trust { SIGNING_TRUST_SDK, SIGNING_TRUST_PRODUCTION };

struct signing_key; /* a private key with its certificate */

int signing_key_load(const char *key_pem, size_t key_len, const char *cert_pem, size_t cert_len,
                     struct signing_key **out);
void signing_key_free(struct signing_key *key);
void signing_key_thumbprint(const struct signing_key *key, uint8_t out[20]);

/* Signs `len` bytes: writes the 64-byte raw signature. */
int signing_sign(const struct signing_key *key, const uint8_t *data, size_t len, uint8_t sig[64]);

/* A new P-256 key and a self-signed certificate (CN=`common_name`, valid `days`), as PEM
 * strings (malloc'd, caller frees). */
int signing_generate(const char *common_name, unsigned days, char **key_pem, char **cert_pem, uint8_t thumbprint[20]);
/* The same, for a TLS server: the certificate also names `ip` (e.g. "127.0.0.1") as its
 * subjectAltName, so clients can verify the address they connect to. */
int signing_generate_tls(const char *common_name, const char *ip, unsigned days, char **key_pem, char **cert_pem);
/* The same with a whole subjectAltName value, e.g. "DNS:*.devices.sphere.azure.local,IP:127.0.0.1",
 * and basicConstraints CA:TRUE, so a client may pin the certificate as its own trust anchor. */
int signing_generate_tls_names(const char *common_name, const char *names, unsigned days, char **key_pem,
                               char **cert_pem);

struct keystore;
int keystore_new(struct keystore **out);
void keystore_free(struct keystore *ks);
/* Adds a certificate's public key under its thumbprint. `name` is for reports ("SDK"). */
int keystore_add_cert(struct keystore *ks, const char *cert_pem, size_t cert_len, enum signing_trust trust,
                      const char *name);

struct keystore_match {
    enum signing_trust trust;
    const char *name;
};

/* Verifies a raw 64-byte signature over data[0..len) by the key with `thumbprint`. */
int keystore_verify(const struct keystore *ks, const uint8_t thumbprint[20], const uint8_t *data, size_t len,
                    const uint8_t sig[64], struct keystore_match *match);

void signing_thumbprint_hex(const uint8_t thumbprint[20], char out[41]);

#endif
