/* SPDX-License-Identifier: MIT */
/* test_otasig.c — the OTA image signature (otasig.h): the canonical message, sign/verify round
 * trip, every signed field bound, wrong keys, malformed base64, signatures and PEM refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "otasig.h"
#include "signing.h"

#define SHA_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct keys {
    EVP_PKEY *key, *other;
    char *pem, *other_pem;
};

static int setup(void **state)
{
    struct keys *k = calloc(1, sizeof *k);
    k->key = EVP_EC_gen("prime256v1");
    k->other = EVP_EC_gen("prime256v1");
    if (!k->key || !k->other || otasig_public_pem(k->key, &k->pem) || otasig_public_pem(k->other, &k->other_pem))
        return -1;
    *state = k;
    return 0;
}

static int teardown(void **state)
{
    struct keys *k = *state;
    EVP_PKEY_free(k->key), EVP_PKEY_free(k->other);
    free(k->pem), free(k->other_pem), free(k);
    return 0;
}

static struct otasig_fields fields(void) { return (struct otasig_fields){"P", 5, 4194304, SHA_A}; }

static int verify(const struct keys *k, const char *pem, struct otasig_fields f, const char *sig)
{
    (void)k;
    return otasig_verify(pem, strlen(pem), &f, sig);
}

static void the_message_is_the_documented_text(void **state)
{
    (void)state;
    char msg[OTASIG_MAX_MESSAGE];
    size_t len = 0;
    struct otasig_fields f = fields();
    assert_int_equal(otasig_message(&f, msg, &len), 0);
    assert_string_equal(msg, "OSOTA1\nP\n5\n4194304\n" SHA_A "\n");
    assert_int_equal(len, strlen(msg));
}

static void a_signature_verifies_with_the_public_key(void **state)
{
    struct keys *k = *state;
    struct otasig_fields f = fields();
    char *sig = NULL;
    assert_int_equal(otasig_sign(k->key, &f, &sig), 0);
    assert_int_equal(verify(k, k->pem, f, sig), 0);
    free(sig);
}

static void every_signed_field_is_bound(void **state)
{
    struct keys *k = *state;
    struct otasig_fields f = fields();
    char *sig = NULL;
    assert_int_equal(otasig_sign(k->key, &f, &sig), 0);
    struct otasig_fields changed[] = {
        {"Q", 5, 4194304, SHA_A},
        {"P ", 5, 4194304, SHA_A},
        {"P", 6, 4194304, SHA_A},
        {"P", 5, 4194305, SHA_A},
        {"P", 5, 4194304, "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
        {"P", 5, 4194304, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdee"},
    };
    for (size_t i = 0; i < sizeof changed / sizeof changed[0]; i++)
        assert_int_equal(verify(k, k->pem, changed[i], sig), -EBADMSG);
    free(sig);
}

static void a_flipped_signature_byte_fails(void **state)
{
    struct keys *k = *state;
    struct otasig_fields f = fields();
    char *sig = NULL;
    assert_int_equal(otasig_sign(k->key, &f, &sig), 0);
    size_t n = strlen(sig);
    for (size_t i = 0; i + 2 < n; i++) { /* every character but the padding area */
        char saved = sig[i];
        sig[i] = saved == 'A' ? 'B' : 'A';
        assert_int_not_equal(verify(k, k->pem, f, sig), 0);
        sig[i] = saved;
    }
    assert_int_equal(verify(k, k->pem, f, sig), 0);
    free(sig);
}

static void another_key_fails(void **state)
{
    struct keys *k = *state;
    struct otasig_fields f = fields();
    char *sig = NULL;
    assert_int_equal(otasig_sign(k->other, &f, &sig), 0);
    assert_int_equal(verify(k, k->pem, f, sig), -EBADMSG);
    assert_int_equal(verify(k, k->other_pem, f, sig), 0);
    free(sig);
}

static void malformed_base64_is_refused(void **state)
{
    struct keys *k = *state;
    static const char *const bad[] = {"", "abc", "!!!!", "MEUC IQ==", "MEU=\n", "QQ=A", "QR==", "=AAA"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(verify(k, k->pem, fields(), bad[i]), -EBADMSG);
    assert_int_equal(otasig_verify(k->pem, strlen(k->pem), &(struct otasig_fields){"P", 5, 1, SHA_A}, NULL), -EBADMSG);
    /* valid base64 that is not a DER signature */
    assert_int_equal(verify(k, k->pem, fields(), "AAAAAAAAAAAAAAAAAAAAAAAA"), -EBADMSG);
}

static void malformed_or_foreign_keys_are_refused(void **state)
{
    struct keys *k = *state;
    struct otasig_fields f = fields();
    char *sig = NULL;
    assert_int_equal(otasig_sign(k->key, &f, &sig), 0);
    assert_int_equal(verify(k, "not a pem", f, sig), -EINVAL);
    assert_int_equal(verify(k, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", f, sig), -EINVAL);
    assert_int_equal(otasig_verify(k->pem, 40, &f, sig), -EINVAL); /* truncated */
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    char *ed_sig = NULL;
    assert_non_null(ed);
    assert_int_equal(otasig_sign(ed, &f, &ed_sig), -EINVAL);
    assert_int_equal(otasig_public_pem(ed, &ed_sig), -EINVAL);
    EVP_PKEY_free(ed);
    free(sig);
}

static void a_certificate_works_as_the_public_key(void **state)
{
    (void)state;
    char *key_pem = NULL, *cert_pem = NULL;
    uint8_t thumb[20];
    assert_int_equal(signing_generate("otasig test", 1, &key_pem, &cert_pem, thumb), 0);
    struct signing_key *sk = NULL;
    assert_int_equal(signing_key_load(key_pem, strlen(key_pem), cert_pem, strlen(cert_pem), &sk), 0);
    signing_key_free(sk);
    BIO *bio = BIO_new_mem_buf(key_pem, -1);
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    struct otasig_fields f = fields();
    char *sig = NULL;
    assert_int_equal(otasig_sign(key, &f, &sig), 0);
    assert_int_equal(otasig_verify(cert_pem, strlen(cert_pem), &f, sig), 0);
    EVP_PKEY_free(key);
    free(sig), free(key_pem), free(cert_pem);
}

static void malformed_fields_are_refused(void **state)
{
    struct keys *k = *state;
    char *sig = NULL;
    struct otasig_fields bad[] = {
        {"", 5, 1, SHA_A},
        {"P\nQ", 5, 1, SHA_A},
        {"P", 0, 1, SHA_A},
        {"P", 5, 1, "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"},
        {"P", 5, 1, "0123"},
        {"P", 5, 1, NULL},
        {"PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP", 5, 1, SHA_A}, /* 65 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(otasig_sign(k->key, &bad[i], &sig), -EINVAL);
        assert_null(sig);
        assert_int_equal(verify(k, k->pem, bad[i], "AAAA"), -EINVAL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_message_is_the_documented_text),
        cmocka_unit_test(a_signature_verifies_with_the_public_key),
        cmocka_unit_test(every_signed_field_is_bound),
        cmocka_unit_test(a_flipped_signature_byte_fails),
        cmocka_unit_test(another_key_fails),
        cmocka_unit_test(malformed_base64_is_refused),
        cmocka_unit_test(malformed_or_foreign_keys_are_refused),
        cmocka_unit_test(a_certificate_works_as_the_public_key),
        cmocka_unit_test(malformed_fields_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
