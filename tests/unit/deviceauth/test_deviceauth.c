/* SPDX-License-Identifier: MIT */
/* test_deviceauth.c — the security service's device-authentication CA and device certificates
 * (deviceauth.h): the CA has the signer's key and subject and is a CA; a device certificate has
 * CN = the (128-digit) device ID, client authentication, and verifies against the CA; the file
 * holds certificate, CA certificate and key in that order; a key that is not the signer's
 * certificate's is refused; deviceauth_provision writes the CA once and the device file 0600. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "deviceauth_issue.h"
#include "hostio.h"
#include "signing.h"

static char *signer_key, *signer_cert, *other_key, *other_cert;
static const char device_id[] = "179D28ECA059E354EBA6B8300C5EF407EE063E1BE41DE0CC84F70594027E69F7"
                                "8ED9B941D66D258FE178CC49E965F6E1F102FBA7797E450C68CD692FF7840515";

static int setup(void **state)
{
    (void)state;
    uint8_t thumb[20];
    return signing_generate("OpenSphere simulated security service", 36500, &signer_key, &signer_cert, thumb) ||
           signing_generate("Someone else", 365, &other_key, &other_cert, thumb);
}

static int teardown(void **state)
{
    (void)state;
    free(signer_key);
    free(signer_cert);
    free(other_key);
    free(other_cert);
    return 0;
}

static X509 *nth_cert(const char *pem, int n)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = NULL;
    for (int i = 0; i <= n; i++) {
        X509_free(x);
        x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    }
    BIO_free(b);
    return x;
}

static void ca_is_the_signer_as_a_ca(void **state)
{
    (void)state;
    char *ca = NULL;
    assert_int_equal(deviceauth_make_ca(signer_key, strlen(signer_key), signer_cert, strlen(signer_cert), &ca), 0);
    X509 *c = nth_cert(ca, 0), *s = nth_cert(signer_cert, 0);
    assert_non_null(c);
    assert_int_equal(X509_check_ca(c), 1);
    assert_int_equal(X509_NAME_cmp(X509_get_subject_name(c), X509_get_subject_name(s)), 0);
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(c), X509_get0_pubkey(s)), 1);
    X509_free(c);
    X509_free(s);
    free(ca);
    assert_int_equal(deviceauth_make_ca(other_key, strlen(other_key), signer_cert, strlen(signer_cert), &ca), -EINVAL);
    assert_null(ca);
}

static void device_certificate_verifies_with_the_device_id(void **state)
{
    (void)state;
    char *issued = NULL, *ca = NULL;
    assert_int_equal(deviceauth_issue(signer_key, strlen(signer_key), signer_cert, strlen(signer_cert), device_id, 30, &issued), 0);
    assert_int_equal(deviceauth_make_ca(signer_key, strlen(signer_key), signer_cert, strlen(signer_cert), &ca), 0);
    /* certificate, CA certificate, key — in that order */
    const char *c1 = strstr(issued, "BEGIN CERTIFICATE"), *c2 = c1 ? strstr(c1 + 1, "BEGIN CERTIFICATE") : NULL,
               *k = strstr(issued, "BEGIN PRIVATE KEY");
    assert_true(c1 && c2 && k && c1 < c2 && c2 < k);
    X509 *dev = nth_cert(issued, 0), *anchor = nth_cert(ca, 0);
    char cn[300] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(dev), NID_commonName, cn, sizeof cn);
    assert_string_equal(cn, device_id);
    assert_true(X509_get_extended_key_usage(dev) & XKU_SSL_CLIENT);
    assert_int_equal(X509_check_ca(dev), 0);
    X509_STORE *store = X509_STORE_new();
    X509_STORE_add_cert(store, anchor);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, dev, NULL);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
    int ok = X509_verify_cert(ctx);
    if (ok != 1)
        fprintf(stderr, "verify: %s\n", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    assert_int_equal(ok, 1);
    /* the key in the file is the certificate's */
    BIO *b = BIO_new_mem_buf(k - 5, -1);
    EVP_PKEY *key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    assert_non_null(key);
    assert_int_equal(X509_check_private_key(dev, key), 1);
    EVP_PKEY_free(key);
    BIO_free(b);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(dev);
    X509_free(anchor);
    free(issued);
    free(ca);
    assert_int_equal(deviceauth_issue(signer_key, strlen(signer_key), signer_cert, strlen(signer_cert), "", 30, &issued),
                     -EINVAL);
}

static void provision_writes_the_files(void **state)
{
    (void)state;
    char home[] = "/tmp/deviceauth-test.XXXXXX";
    assert_non_null(mkdtemp(home));
    char path[256], dev[64];
    snprintf(path, sizeof path, "%s/security-service.key.pem", home);
    assert_int_equal(hostio_write_file_atomic(path, signer_key, strlen(signer_key), 0600), 0);
    snprintf(path, sizeof path, "%s/security-service.cert.pem", home);
    assert_int_equal(hostio_write_file_atomic(path, signer_cert, strlen(signer_cert), 0644), 0);
    snprintf(dev, sizeof dev, "%s/dev", home);
    assert_int_equal(mkdir(dev, 0700), 0);
    char why[256] = "";
    assert_int_equal(deviceauth_provision(home, dev, device_id, why, sizeof why), 0);
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dev, DEVICEAUTH_FILE);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(path, sizeof path, "%s/%s", home, DEVICEAUTH_CA_FILE);
    char *ca1 = NULL, *ca2 = NULL;
    size_t len;
    assert_int_equal(hostio_read_file(path, &ca1, &len), 0);
    assert_int_equal(deviceauth_provision(home, dev, device_id, why, sizeof why), 0);
    assert_int_equal(hostio_read_file(path, &ca2, &len), 0);
    assert_string_equal(ca1, ca2); /* made once: every device chains to the same CA */
    free(ca1);
    free(ca2);
    /* no security service key: a reason */
    snprintf(path, sizeof path, "%s/security-service.key.pem", home);
    unlink(path);
    assert_int_equal(deviceauth_provision(home, dev, device_id, why, sizeof why), -ENOENT);
    assert_non_null(strstr(why, "security-service.key.pem"));
    hostio_remove_tree(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ca_is_the_signer_as_a_ca),
        cmocka_unit_test(device_certificate_verifies_with_the_device_id),
        cmocka_unit_test(provision_writes_the_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
