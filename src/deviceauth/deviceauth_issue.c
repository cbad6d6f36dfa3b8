/* SPDX-License-Identifier: MIT */
/* deviceauth_issue.c — the security service's device-authentication CA and device certificates
 * (see deviceauth_issue.h). */
#include "deviceauth_issue.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "bytes.h"
#include "hostio.h"

static char *bio_text(BIO *b)
{
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    char *out = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (out) {
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
    }
    return out;
}

static int load_ca(const char *key_pem, size_t key_len, const char *cert_pem, size_t cert_len, EVP_PKEY **key, X509 **cert)
{
    *key = NULL;
    *cert = NULL;
    if (key_len > INT_MAX || cert_len > INT_MAX)
        return -EINVAL;
    BIO *kb = BIO_new_mem_buf(key_pem, (int)key_len), *cb = BIO_new_mem_buf(cert_pem, (int)cert_len);
    if (kb && cb) {
        *key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
        *cert = PEM_read_bio_X509(cb, NULL, NULL, NULL);
    }
    BIO_free(kb);
    BIO_free(cb);
    int err = *key && *cert && X509_check_private_key(*cert, *key) == 1 ? 0 : -EINVAL;
    ERR_clear_error();
    if (err) {
        EVP_PKEY_free(*key);
        X509_free(*cert);
        *key = NULL;
        *cert = NULL;
    }
    return err;
}

static bool random_serial(X509 *cert)
{
    uint8_t serial[16];
    if (bytes_random(serial, sizeof serial))
        return false;
    serial[0] &= 0x7F;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    bool ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
    BN_free(bn);
    return ok;
}

static bool add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    bool ok = ext && X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

int deviceauth_make_ca(const char *ca_key_pem, size_t key_len, const char *ca_cert_pem, size_t cert_len, char **out)
{
    *out = NULL;
    EVP_PKEY *key;
    X509 *signer;
    int err = load_ca(ca_key_pem, key_len, ca_cert_pem, cert_len, &key, &signer);
    if (err)
        return err;
    X509 *ca = X509_new();
    BIO *b = BIO_new(BIO_s_mem());
    err = -EIO;
    if (ca && b && random_serial(ca) && X509_set_version(ca, 2) &&
        X509_set_subject_name(ca, X509_get_subject_name(signer)) &&
        X509_set_issuer_name(ca, X509_get_subject_name(signer)) &&
        X509_set1_notBefore(ca, X509_get0_notBefore(signer)) && X509_set1_notAfter(ca, X509_get0_notAfter(signer)) &&
        X509_set_pubkey(ca, key) && add_ext(ca, ca, NID_basic_constraints, "critical,CA:TRUE") &&
        add_ext(ca, ca, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature") &&
        add_ext(ca, ca, NID_subject_key_identifier, "hash") && X509_sign(ca, key, EVP_sha256()) &&
        PEM_write_bio_X509(b, ca)) {
        *out = bio_text(b);
        err = *out ? 0 : -ENOMEM;
    }
    ERR_clear_error();
    BIO_free(b);
    X509_free(ca);
    X509_free(signer);
    EVP_PKEY_free(key);
    return err;
}

int deviceauth_issue(const char *ca_key_pem, size_t key_len, const char *ca_cert_pem, size_t cert_len,
                     const char *device_id, unsigned days, char **out)
{
    *out = NULL;
    if (!device_id || !*device_id || strlen(device_id) > 256)
        return -EINVAL;
    char *ca_pem = NULL;
    int err = deviceauth_make_ca(ca_key_pem, key_len, ca_cert_pem, cert_len, &ca_pem);
    EVP_PKEY *ca_key = NULL;
    X509 *ca = NULL;
    if (!err && ca_pem) {
        BIO *cb = BIO_new_mem_buf(ca_pem, -1);
        ca = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
        BIO_free(cb);
        X509 *signer = NULL;
        err = ca ? load_ca(ca_key_pem, key_len, ca_cert_pem, cert_len, &ca_key, &signer) : -EIO;
        X509_free(signer);
    }
    EVP_PKEY *key = err ? NULL : EVP_EC_gen("prime256v1");
    X509 *cert = err ? NULL : X509_new();
    BIO *b = err ? NULL : BIO_new(BIO_s_mem());
    if (!err) {
        err = -EIO;
        X509_NAME *name = X509_get_subject_name(cert);
        /* V_ASN1_UTF8STRING, not MBSTRING_UTF8: the latter enforces the 64-character CN limit,
         * and a device ID has 128 hex digits */
        if (key && cert && b && random_serial(cert) && X509_set_version(cert, 2) &&
            X509_NAME_add_entry_by_txt(name, "CN", V_ASN1_UTF8STRING, (const unsigned char *)device_id, -1, -1, 0) &&
            X509_set_issuer_name(cert, X509_get_subject_name(ca)) && X509_gmtime_adj(X509_getm_notBefore(cert), -3600) &&
            X509_gmtime_adj(X509_getm_notAfter(cert), (long)days * 86400L) && X509_set_pubkey(cert, key) &&
            add_ext(cert, ca, NID_basic_constraints, "critical,CA:FALSE") &&
            add_ext(cert, ca, NID_key_usage, "critical,digitalSignature") &&
            add_ext(cert, ca, NID_ext_key_usage, "clientAuth") &&
            add_ext(cert, ca, NID_authority_key_identifier, "keyid:always") && X509_sign(cert, ca_key, EVP_sha256()) &&
            PEM_write_bio_X509(b, cert) && PEM_write_bio_X509(b, ca) &&
            PEM_write_bio_PKCS8PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)) {
            *out = bio_text(b);
            err = *out ? 0 : -ENOMEM;
        }
    }
    if (b) {
        char *data = NULL;
        long n = BIO_get_mem_data(b, &data);
        if (n > 0)
            OPENSSL_cleanse(data, (size_t)n);
    }
    ERR_clear_error();
    BIO_free(b);
    X509_free(cert);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    free(ca_pem);
    return err;
}

int deviceauth_provision(const char *home, const char *state_dir, const char *device_id, char *why, size_t why_size)
{
    char key_path[4096], cert_path[4096], ca_path[4096], out_path[4096];
    snprintf(key_path, sizeof key_path, "%s/security-service.key.pem", home);
    snprintf(cert_path, sizeof cert_path, "%s/security-service.cert.pem", home);
    snprintf(ca_path, sizeof ca_path, "%s/%s", home, DEVICEAUTH_CA_FILE);
    snprintf(out_path, sizeof out_path, "%s/%s", state_dir, DEVICEAUTH_FILE);
    char *key = NULL, *cert = NULL, *ca = NULL, *issued = NULL;
    size_t key_len = 0, cert_len = 0;
    int err = hostio_read_file(key_path, &key, &key_len);
    err = err ? err : hostio_read_file(cert_path, &cert, &cert_len);
    if (err) {
        snprintf(why, why_size, "cannot read the security service's key (%s): %s", key_path, strerror(-err));
    } else {
        struct stat st;
        if (stat(ca_path, &st) != 0) {
            err = deviceauth_make_ca(key, key_len, cert, cert_len, &ca);
            err = err ? err : hostio_write_file_atomic(ca_path, ca, strlen(ca), 0644);
            if (err)
                snprintf(why, why_size, "cannot make the device-authentication CA %s: %s", ca_path, strerror(-err));
        }
        if (!err) {
            err = deviceauth_issue(key, key_len, cert, cert_len, device_id, DEVICEAUTH_DAYS, &issued);
            err = err ? err : hostio_write_file_atomic(out_path, issued, strlen(issued), 0600);
            if (err)
                snprintf(why, why_size, "cannot issue the device certificate %s: %s", out_path, strerror(-err));
        }
    }
    if (key)
        OPENSSL_cleanse(key, key_len);
    if (issued)
        OPENSSL_cleanse(issued, strlen(issued));
    free(key);
    free(cert);
    free(ca);
    free(issued);
    return err;
}
