/* SPDX-License-Identifier: MIT */
/* test_certstore.c — the certificate store's rules (certstore.h, docs/certstore.md): install,
 * list, move, delete, the 24 KiB quota, bad PEM, key mismatch and passwords, identifier rules,
 * persistence, damaged files refused with file:line:col + JSON path + reason, and a crash in
 * the middle of a write leaving the old or the new store. Table-driven tests print the case
 * and how to rerun it (CERTSTORE_CASE=<name>). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "certgen.h"
#include "certstore_store.h"
#include "hostio.h"

static struct testcert ca, client, other, leaf;
static char dir[64];

static int setup(void **state)
{
    (void)state;
    if (testcert_make(&ca, "Test Root CA", NULL, "20240101000000Z", "20340101000000Z") ||
        testcert_make(&client, "device-1", &ca, "20240215103000Z", "20260215103000Z") ||
        testcert_make(&other, "device-2", &ca, "20240101000000Z", "20250101000000Z") ||
        testcert_make(&leaf, "leaf", &ca, "20240101000000Z", "20250101000000Z"))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    testcert_free(&ca);
    testcert_free(&client);
    testcert_free(&other);
    testcert_free(&leaf);
    return 0;
}

static int fresh_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/certstore-test.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    return hostio_remove_tree(dir);
}

static struct certstore *open_store(void)
{
    struct certstore *cs = NULL;
    char why[512];
    int err = certstore_open(dir, &cs, why, sizeof why);
    if (err)
        fprintf(stderr, "certstore_open: %d %s\n", err, why);
    assert_int_equal(err, 0);
    return cs;
}

static void install_list_move_delete(void **state)
{
    (void)state;
    struct certstore *cs = open_store();
    assert_int_equal(certstore_count(cs), 0);
    assert_int_equal(certstore_available(cs), 24514);
    assert_int_equal(certstore_install_root_ca(cs, "root", ca.cert_pem, strlen(ca.cert_pem)), 0);
    assert_int_equal(certstore_install_client(cs, "client", client.cert_pem, strlen(client.cert_pem), client.key_pem,
                                              strlen(client.key_pem), NULL),
                     0);
    assert_int_equal(certstore_count(cs), 2);
    char id[CERTSTORE_ID_MAX + 1];
    assert_int_equal(certstore_id_at(cs, 0, id), 0);
    assert_string_equal(id, "root");
    assert_int_equal(certstore_id_at(cs, 1, id), 0);
    assert_string_equal(id, "client");
    assert_int_equal(certstore_id_at(cs, 2, id), -ERANGE);
    assert_int_equal(certstore_kind(cs, "root"), CERTSTORE_ROOT_CA);
    assert_int_equal(certstore_kind(cs, "client"), CERTSTORE_CLIENT);
    assert_int_equal(certstore_kind(cs, "nope"), -ENOENT);
    assert_int_equal(certstore_kind(cs, "bad id"), -ENOENT);

    /* move: renames; onto an existing identifier replaces it */
    assert_int_equal(certstore_move(cs, "client", "client2"), 0);
    assert_int_equal(certstore_kind(cs, "client"), -ENOENT);
    assert_int_equal(certstore_kind(cs, "client2"), CERTSTORE_CLIENT);
    assert_int_equal(certstore_move(cs, "client2", "root"), 0);
    assert_int_equal(certstore_count(cs), 1);
    assert_int_equal(certstore_kind(cs, "root"), CERTSTORE_CLIENT);
    assert_int_equal(certstore_move(cs, "root", "root"), 0);
    assert_int_equal(certstore_move(cs, "gone", "x"), -ENOENT);
    assert_int_equal(certstore_move(cs, "a b", "x"), -EINVAL);
    assert_int_equal(certstore_move(cs, "root", "x/y"), -EINVAL);
    assert_int_equal(certstore_move(cs, "root", "seventeen-chars-x"), -ERANGE);
    assert_int_equal(certstore_move(cs, NULL, "x"), -EFAULT);

    /* replace by install keeps one entry per identifier */
    assert_int_equal(certstore_install_root_ca(cs, "root", ca.cert_pem, strlen(ca.cert_pem)), 0);
    assert_int_equal(certstore_count(cs), 1);
    assert_int_equal(certstore_kind(cs, "root"), CERTSTORE_ROOT_CA);

    assert_int_equal(certstore_delete(cs, "root"), 0);
    assert_int_equal(certstore_delete(cs, "root"), -ENOENT);
    assert_int_equal(certstore_delete(cs, "bad id"), -ENOENT);
    assert_int_equal(certstore_delete(cs, NULL), -EFAULT);
    assert_int_equal(certstore_count(cs), 0);
    assert_int_equal(certstore_available(cs), 24514);
    certstore_close(cs);
}

static void deleting_reindexes_the_rest(void **state)
{
    (void)state;
    struct certstore *cs = open_store();
    const char *ids[] = {"a", "b", "c"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(certstore_install_root_ca(cs, ids[i], ca.cert_pem, strlen(ca.cert_pem)), 0);
    assert_int_equal(certstore_delete(cs, "a"), 0);
    char id[CERTSTORE_ID_MAX + 1];
    assert_int_equal(certstore_id_at(cs, 0, id), 0);
    assert_string_equal(id, "b");
    assert_int_equal(certstore_id_at(cs, 1, id), 0);
    assert_string_equal(id, "c");
    certstore_close(cs);
}

static void info_has_names_and_dates(void **state)
{
    (void)state;
    struct certstore *cs = open_store();
    assert_int_equal(certstore_install_client(cs, "c", client.cert_pem, strlen(client.cert_pem), client.key_pem,
                                              strlen(client.key_pem), NULL),
                     0);
    struct certstore_info info;
    assert_int_equal(certstore_info(cs, "c", &info), 0);
    assert_string_equal(info.id, "c");
    assert_int_equal(info.kind, CERTSTORE_CLIENT);
    assert_string_equal(info.subject, "/C=US/O=OpenSphere Test/CN=device-1");
    assert_string_equal(info.issuer, "/C=US/O=OpenSphere Test/CN=Test Root CA");
    assert_int_equal(info.not_before.tm_year, 124);
    assert_int_equal(info.not_before.tm_mon, 1);
    assert_int_equal(info.not_before.tm_mday, 15);
    assert_int_equal(info.not_before.tm_hour, 10);
    assert_int_equal(info.not_before.tm_min, 30);
    assert_int_equal(info.not_after.tm_year, 126);
    assert_int_equal(info.bytes, 24514 - certstore_available(cs));
    assert_int_equal(certstore_info(cs, "none", &info), -ENOENT);
    assert_int_equal(certstore_info(cs, "a b", &info), -EINVAL);
    assert_int_equal(certstore_info(cs, NULL, &info), -EFAULT);
    assert_int_equal(certstore_info(cs, "c", NULL), -EFAULT);
    char *cert = NULL, *key = NULL;
    assert_int_equal(certstore_pem(cs, "c", &cert, &key), 0);
    assert_non_null(strstr(cert, "BEGIN CERTIFICATE"));
    assert_non_null(strstr(key, "BEGIN PRIVATE KEY"));
    free(cert);
    free(key);
    certstore_close(cs);
}

struct id_case {
    const char *name;
    const char *id;
    int expect;
};

static const struct id_case id_cases[] = {
    {"one_character", "a", 0},
    {"sixteen_characters", "abcdefghijklmnop", 0},
    {"every_allowed_kind", "Az09.-_", 0},
    {"seventeen_characters", "abcdefghijklmnopq", -ERANGE},
    {"empty", "", -EINVAL},
    {"space", "a b", -EINVAL},
    {"slash", "a/b", -EINVAL},
    {"colon", "a:b", -EINVAL},
    {"non_ascii", "caf\xc3\xa9", -EINVAL},
    {"null", NULL, -EFAULT},
};

static void identifier_rules(void **state)
{
    (void)state;
    struct certstore *cs = open_store();
    const char *only = getenv("CERTSTORE_CASE");
    size_t failures = 0;
    for (size_t i = 0; i < sizeof id_cases / sizeof id_cases[0]; i++) {
        const struct id_case *c = &id_cases[i];
        if (only && strcmp(only, c->name))
            continue;
        int check = certstore_check_id(c->id);
        int install = certstore_install_root_ca(cs, c->id, ca.cert_pem, strlen(ca.cert_pem));
        if (check != c->expect || install != c->expect) {
            failures++;
            fprintf(stderr, "case %s failed (rerun: CERTSTORE_CASE=%s test_certstore): check %d install %d, want %d\n",
                    c->name, c->name, check, install, c->expect);
        }
    }
    certstore_close(cs);
    assert_int_equal(failures, 0);
}

static void bad_blobs_are_refused(void **state)
{
    (void)state;
    struct certstore *cs = open_store();
    const char *garbage = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";
    assert_int_equal(certstore_install_root_ca(cs, "x", garbage, strlen(garbage)), -EINVAL);
    assert_int_equal(certstore_install_root_ca(cs, "x", "hello", 5), -EINVAL);
    assert_int_equal(certstore_install_root_ca(cs, "x", ca.key_pem, strlen(ca.key_pem)), -EINVAL);
    assert_int_equal(certstore_install_root_ca(cs, "x", ca.cert_pem, 0), -ERANGE);
    char *big = calloc(1, CERTSTORE_BLOB_MAX + 2);
    memset(big, ' ', CERTSTORE_BLOB_MAX + 1);
    memcpy(big, ca.cert_pem, strlen(ca.cert_pem));
    assert_int_equal(certstore_install_root_ca(cs, "x", big, CERTSTORE_BLOB_MAX + 1), -ERANGE);
    assert_int_equal(certstore_install_root_ca(cs, "x", big, CERTSTORE_BLOB_MAX), 0); /* trailing spaces: fine */
    free(big);
    assert_int_equal(certstore_install_root_ca(cs, "x", NULL, 5), -EFAULT);
    /* a truncated certificate */
    assert_int_equal(certstore_install_root_ca(cs, "y", ca.cert_pem, strlen(ca.cert_pem) / 2), -EINVAL);
    assert_int_equal(certstore_count(cs), 1);
    certstore_close(cs);
}

static void client_key_must_match_and_decrypt(void **state)
{
    (void)state;
    struct certstore *cs = open_store();
    const char *c = client.cert_pem;
    size_t cl = strlen(c);
    /* another key than the certificate's */
    assert_int_equal(certstore_install_client(cs, "k", c, cl, other.key_pem, strlen(other.key_pem), NULL), -EINVAL);
    /* encrypted: right password, none, wrong one */
    assert_int_equal(certstore_install_client(cs, "k", c, cl, client.key_pem_enc, strlen(client.key_pem_enc), "secret"), 0);
    assert_int_equal(certstore_install_client(cs, "k2", c, cl, client.key_pem_enc, strlen(client.key_pem_enc), NULL),
                     -EINVAL);
    assert_int_equal(certstore_install_client(cs, "k2", c, cl, client.key_pem_enc, strlen(client.key_pem_enc), "wrong"),
                     -EINVAL);
    /* a password for an unencrypted key */
    assert_int_equal(certstore_install_client(cs, "k2", c, cl, client.key_pem, strlen(client.key_pem), "secret"), -EINVAL);
    /* limits */
    char password[CERTSTORE_PASSWORD_MAX + 2];
    memset(password, 'p', sizeof password - 1);
    password[sizeof password - 1] = '\0';
    assert_int_equal(certstore_install_client(cs, "k2", c, cl, client.key_pem, strlen(client.key_pem), password), -ERANGE);
    assert_int_equal(certstore_install_client(cs, "k2", c, cl, client.key_pem, 0, NULL), -ERANGE);
    assert_int_equal(certstore_install_client(cs, "k2", c, cl, NULL, 5, NULL), -EFAULT);
    assert_int_equal(certstore_install_client(cs, "k2", c, cl, "junk", 4, NULL), -EINVAL);
    assert_int_equal(certstore_count(cs), 1);
    /* the stored key is decrypted */
    char *cert = NULL, *key = NULL;
    assert_int_equal(certstore_pem(cs, "k", &cert, &key), 0);
    assert_null(strstr(key, "ENCRYPTED"));
    free(cert);
    free(key);
    certstore_close(cs);
}

static void quota_is_24_kib(void **state)
{
    (void)state;
    struct certstore *cs = open_store();
    size_t available = certstore_available(cs), installed = 0;
    int err = 0;
    char id[CERTSTORE_ID_MAX + 1];
    while (!err) {
        snprintf(id, sizeof id, "c%zu", installed);
        err = certstore_install_client(cs, id, client.cert_pem, strlen(client.cert_pem), client.key_pem,
                                       strlen(client.key_pem), NULL);
        if (!err) {
            installed++;
            assert_true(certstore_available(cs) < available);
            available = certstore_available(cs);
        }
    }
    assert_int_equal(err, -ENOSPC);
    assert_true(installed > 5);
    assert_int_equal(certstore_count(cs), installed);
    struct certstore_info info;
    assert_int_equal(certstore_info(cs, "c0", &info), 0);
    assert_true(certstore_available(cs) < info.bytes);
    assert_int_equal(certstore_available(cs), 24514 - installed * info.bytes);
    /* replacing one with the same size fits; deleting frees its bytes */
    assert_int_equal(certstore_install_client(cs, "c0", client.cert_pem, strlen(client.cert_pem), client.key_pem,
                                              strlen(client.key_pem), NULL),
                     0);
    assert_int_equal(certstore_delete(cs, "c0"), 0);
    assert_int_equal(certstore_available(cs), available + info.bytes);
    certstore_close(cs);
    /* what was refused was not written either */
    cs = open_store();
    assert_int_equal(certstore_count(cs), installed - 1);
    certstore_close(cs);
}

static void state_persists_across_opens(void **state)
{
    (void)state;
    struct certstore *cs = open_store();
    assert_int_equal(certstore_install_root_ca(cs, "root", ca.cert_pem, strlen(ca.cert_pem)), 0);
    assert_int_equal(certstore_install_client(cs, "dev", client.cert_pem, strlen(client.cert_pem), client.key_pem_enc,
                                              strlen(client.key_pem_enc), "secret"),
                     0);
    assert_int_equal(certstore_move(cs, "root", "ca"), 0);
    size_t available = certstore_available(cs);
    certstore_close(cs);
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, CERTSTORE_FILE);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    cs = open_store();
    assert_int_equal(certstore_count(cs), 2);
    assert_int_equal(certstore_kind(cs, "ca"), CERTSTORE_ROOT_CA);
    assert_int_equal(certstore_kind(cs, "dev"), CERTSTORE_CLIENT);
    assert_int_equal(certstore_available(cs), available);
    struct certstore_info info;
    assert_int_equal(certstore_info(cs, "dev", &info), 0);
    assert_string_equal(info.subject, "/C=US/O=OpenSphere Test/CN=device-1");
    certstore_close(cs);
}

struct damage_case {
    const char *name;
    const char *text; /* %1$s = the root CA PEM (JSON-escaped), %2$s = the client key PEM, %3$s = the client cert PEM */
    const char *needle;
};

static const struct damage_case damage_cases[] = {
    {"not_json", "{\"format\":1,", "certstore.json:1:"},
    {"root_not_object", "[1]", "(root): must be an object"},
    {"format_missing", "{\"certificates\":[]}", "format: must be 1"},
    {"format_unknown", "{\"format\":2,\"certificates\":[]}", "format: must be 1"},
    {"certificates_not_array", "{\"format\":1,\"certificates\":{}}", "certificates: must be an array"},
    {"record_not_object", "{\"format\":1,\"certificates\":[5]}", "certificates[0]: must be an object"},
    {"record_unknown_field", "{\"format\":1,\"certificates\":[{\"id\":\"a\",\"type\":\"RootCA\",\"certificate\":\"%1$s\",\"x\":1}]}",
     "certificates[0]: unknown field \"x\""},
    {"bad_id", "{\"format\":1,\"certificates\":[{\"id\":\"a b\",\"type\":\"RootCA\",\"certificate\":\"%1$s\"}]}",
     "certificates[0].id: must be an identifier"},
    {"bad_type", "{\"format\":1,\"certificates\":[{\"id\":\"a\",\"type\":\"Server\",\"certificate\":\"%1$s\"}]}",
     "certificates[0].type: must be \"RootCA\" or \"Client\""},
    {"bad_pem", "{\"format\":1,\"certificates\":[{\"id\":\"a\",\"type\":\"RootCA\",\"certificate\":\"junk\"}]}",
     "certificates[0].certificate: must be a PEM certificate"},
    {"duplicate_id",
     "{\"format\":1,\"certificates\":[{\"id\":\"a\",\"type\":\"RootCA\",\"certificate\":\"%1$s\"},"
     "{\"id\":\"a\",\"type\":\"RootCA\",\"certificate\":\"%1$s\"}]}",
     "certificates[1].id: \"a\" is installed twice"},
    {"client_without_key", "{\"format\":1,\"certificates\":[{\"id\":\"a\",\"type\":\"Client\",\"certificate\":\"%3$s\"}]}",
     "certificates[0].privateKey: a client certificate needs its private key"},
    {"root_with_key",
     "{\"format\":1,\"certificates\":[{\"id\":\"a\",\"type\":\"RootCA\",\"certificate\":\"%1$s\",\"privateKey\":\"%2$s\"}]}",
     "certificates[0].privateKey: a root CA certificate has no private key"},
    {"key_of_another_certificate",
     "{\"format\":1,\"certificates\":[{\"id\":\"a\",\"type\":\"Client\",\"certificate\":\"%1$s\",\"privateKey\":\"%2$s\"}]}",
     "certificates[0].privateKey: does not belong to the certificate"},
};

static char *json_escape(const char *s)
{
    char *out = malloc(strlen(s) * 2 + 1), *o = out;
    for (; *s; s++) {
        if (*s == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

static void damaged_files_are_refused_with_path_and_reason(void **state)
{
    (void)state;
    char *ca_pem = json_escape(ca.cert_pem), *key = json_escape(client.key_pem), *cert = json_escape(client.cert_pem);
    const char *only = getenv("CERTSTORE_CASE");
    size_t failures = 0;
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, CERTSTORE_FILE);
    for (size_t i = 0; i < sizeof damage_cases / sizeof damage_cases[0]; i++) {
        const struct damage_case *c = &damage_cases[i];
        if (only && strcmp(only, c->name))
            continue;
        char text[16384];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(text, sizeof text, c->text, ca_pem, key, cert);
#pragma GCC diagnostic pop
        assert_int_equal(hostio_write_file_atomic(path, text, strlen(text), 0600), 0);
        struct certstore *cs = NULL;
        char why[512] = "";
        int err = certstore_open(dir, &cs, why, sizeof why);
        if (err != -EINVAL || cs || !strstr(why, c->needle) || !strstr(why, path)) {
            failures++;
            fprintf(stderr, "case %s failed (rerun: CERTSTORE_CASE=%s test_certstore): err %d, why \"%s\"\n", c->name,
                    c->name, err, why);
        }
        certstore_close(cs);
    }
    /* the good version of the last file opens */
    char text[16384];
    snprintf(text, sizeof text,
             "{\"format\":1,\"certificates\":[{\"id\":\"a\",\"type\":\"Client\",\"certificate\":\"%s\",\"privateKey\":\"%s\"}]}",
             cert, key);
    assert_int_equal(hostio_write_file_atomic(path, text, strlen(text), 0600), 0);
    struct certstore *cs = open_store();
    assert_int_equal(certstore_kind(cs, "a"), CERTSTORE_CLIENT);
    certstore_close(cs);
    free(ca_pem);
    free(key);
    free(cert);
    assert_int_equal(failures, 0);
}

/* A writer killed at random moments (SIGKILL: no clean-up) leaves a store that opens and holds
 * exactly the certificates of one of its completed steps: old or new, never torn. */
static void crash_mid_write_leaves_old_or_new(void **state)
{
    (void)state;
    unsigned seed = (unsigned)time(NULL);
    srand(seed);
    for (int round = 0; round < 12; round++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            struct certstore *cs = NULL;
            char why[256];
            if (certstore_open(dir, &cs, why, sizeof why))
                _exit(2);
            for (int i = 0;; i++) { /* alternately install and delete, forever */
                char id[16];
                snprintf(id, sizeof id, "r%d", i % 8);
                if (certstore_kind(cs, id) > 0)
                    certstore_delete(cs, id);
                else
                    certstore_install_client(cs, id, client.cert_pem, strlen(client.cert_pem), client.key_pem,
                                             strlen(client.key_pem), NULL);
            }
        }
        usleep(2000 + (useconds_t)(rand() % 20000));
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        struct certstore *cs = NULL;
        char why[512] = "";
        int err = certstore_open(dir, &cs, why, sizeof why);
        if (err)
            fprintf(stderr, "round %d (seed %u): %s\n", round, seed, why);
        assert_int_equal(err, 0);
        for (size_t i = 0; i < certstore_count(cs); i++) {
            char id[CERTSTORE_ID_MAX + 1];
            assert_int_equal(certstore_id_at(cs, i, id), 0);
            struct certstore_info info;
            assert_int_equal(certstore_info(cs, id, &info), 0);
            assert_string_equal(info.subject, "/C=US/O=OpenSphere Test/CN=device-1");
        }
        certstore_close(cs);
    }
    /* a torn temporary of a dead writer is ignored and removed */
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s/%s.tmp.999999", dir, CERTSTORE_FILE);
    assert_int_equal(hostio_write_file_atomic(tmp, "{\"format\":1,\"certif", 19, 0600), 0);
    struct certstore *cs = open_store();
    certstore_close(cs);
    assert_int_equal(access(tmp, F_OK), -1);
}

static void shared_store_is_one_per_folder(void **state)
{
    (void)state;
    struct certstore *a = NULL, *b = NULL;
    char why[256];
    assert_int_equal(certstore_shared(dir, &a, why, sizeof why), 0);
    assert_int_equal(certstore_shared(dir, &b, why, sizeof why), 0);
    assert_ptr_equal(a, b);
    assert_int_equal(certstore_install_root_ca(a, "s", ca.cert_pem, strlen(ca.cert_pem)), 0);
    assert_int_equal(certstore_kind(b, "s"), CERTSTORE_ROOT_CA);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(install_list_move_delete, fresh_dir, remove_dir),
        cmocka_unit_test_setup_teardown(deleting_reindexes_the_rest, fresh_dir, remove_dir),
        cmocka_unit_test_setup_teardown(info_has_names_and_dates, fresh_dir, remove_dir),
        cmocka_unit_test_setup_teardown(identifier_rules, fresh_dir, remove_dir),
        cmocka_unit_test_setup_teardown(bad_blobs_are_refused, fresh_dir, remove_dir),
        cmocka_unit_test_setup_teardown(client_key_must_match_and_decrypt, fresh_dir, remove_dir),
        cmocka_unit_test_setup_teardown(quota_is_24_kib, fresh_dir, remove_dir),
        cmocka_unit_test_setup_teardown(state_persists_across_opens, fresh_dir, remove_dir),
        cmocka_unit_test_setup_teardown(damaged_files_are_refused_with_path_and_reason, fresh_dir, remove_dir),
        cmocka_unit_test_setup_teardown(crash_mid_write_leaves_old_or_new, fresh_dir, remove_dir),
        cmocka_unit_test_setup_teardown(shared_store_is_one_per_folder, fresh_dir, remove_dir),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
