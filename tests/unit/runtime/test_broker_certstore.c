/* SPDX-License-Identifier: MIT */
/* test_broker_certstore.c — the broker's certificate-store handlers in-process
 * (src/runtime/broker_certstore.c, docs/certstore.md) on a real device state folder: every op
 * needs CertStore (EACCES); blobs come in a pipe the app attached, which the handler reads
 * without ever waiting (a pipe holding less than announced, with its writer still open, is
 * EINVAL at once: the supervisor thread must not block); lengths out of range are ERANGE; the
 * names come back in 95-byte pieces; move's two identifiers; one descriptor per request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "broker_ops.h"
#include "hostio.h"
#include "signing.h"

static char dir[64], trust[96], state[96];
static struct device *dev;
static struct applog *alog;
static struct json_value *with_cap, *without_cap;
static struct guid cid;
static char *ca_pem;

static struct json_value *parse(const char *text)
{
    struct diag_list diags = {0};
    struct json_value *v = NULL;
    json_parse(text, strlen(text), NULL, "manifest", &diags, &v);
    diag_list_free(&diags);
    return v;
}

/* A self-signed certificate whose one-line subject is longer than one reply (95 bytes). */
static char *long_name_cert(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    char cn[64];
    memset(cn, 'n', sizeof cn - 1);
    cn[sizeof cn - 1] = '\0';
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"An organisation with a long name", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC, (const unsigned char *)"A unit with a long name too", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, name);
    ASN1_TIME_set_string(X509_getm_notBefore(x), "20240101000000Z");
    ASN1_TIME_set_string(X509_getm_notAfter(x), "20340101000000Z");
    X509_set_pubkey(x, key);
    X509_sign(x, key, EVP_sha256());
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, x);
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    char *out = strndup(data, (size_t)n);
    BIO_free(b);
    X509_free(x);
    EVP_PKEY_free(key);
    return out;
}

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/broker-certstore.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(trust, sizeof trust, "%s/trust", dir);
    snprintf(state, sizeof state, "%s/dev", dir);
    hostio_make_dirs(trust, 0700);
    static const char *const names[] = {"sdk-signing", "production", "security-service"};
    for (int i = 0; i < 3; i++) {
        char *k = NULL, *c = NULL, path[160];
        uint8_t thumb[20];
        if (signing_generate(names[i], 30, &k, &c, thumb))
            return -1;
        snprintf(path, sizeof path, "%s/%s.cert.pem", trust, names[i]);
        hostio_write_file_atomic(path, c, strlen(c), 0644);
        free(k);
        free(c);
    }
    char why[256];
    struct device_config cfg = {.https_port = 1, .trust_dir = trust};
    if (device_create(state, &cfg, why, sizeof why) ||
        device_open(state, OPENSPHERE_SOURCE_DIR "/sdk", &dev, why, sizeof why) || applog_create(&alog)) {
        fprintf(stderr, "setup: %s\n", why);
        return -1;
    }
    with_cap = parse("{\"Capabilities\":{\"CertStore\":true}}");
    without_cap = parse("{\"Capabilities\":{\"CertStore\":false}}");
    ca_pem = long_name_cert();
    return guid_parse("11111111-2222-3333-4444-555555555555", &cid);
}

static int teardown(void **st)
{
    (void)st;
    device_close(dev);
    applog_destroy(alog);
    json_free(with_cap);
    json_free(without_cap);
    free(ca_pem);
    return hostio_remove_tree(dir);
}

static broker_handler handler(uint32_t op)
{
    for (const struct broker_op_entry *e = broker_certstore_ops; e->handler; e++)
        if (e->op == op)
            return e->handler;
    return NULL;
}

/* Runs one op; `blob` (may be NULL) is put in a pipe whose read end goes with the request;
 * with `keep_writer` the pipe's write end stays open during the call. */
static int call(const struct json_value *manifest, uint32_t op, const char *text, size_t text_len, int a, int b, int c,
                const char *blob, size_t blob_len, bool keep_writer, struct broker_reply *r)
{
    struct broker_request q = {.version = BROKER_VERSION, .op = op, .a = a, .b = b, .c = c};
    memcpy(q.text, text, text_len < sizeof q.text ? text_len : sizeof q.text - 1);
    int p[2] = {-1, -1};
    if (blob) {
        assert_int_equal(pipe(p), 0);
        assert_int_equal(write(p[1], blob, blob_len), (ssize_t)blob_len);
        if (!keep_writer) {
            close(p[1]);
            p[1] = -1;
        }
    }
    struct broker_context ctx = {.device = dev, .log = alog, .component_id = &cid,
                                 .component_text = "11111111-2222-3333-4444-555555555555", .app_name = "t",
                                 .manifest = manifest, .reply_sock = -1, .request_fd = p[0]};
    memset(r, 0, sizeof *r);
    int fd = -1;
    alarm(5); /* a handler that waits on the pipe fails the test instead of hanging it */
    int result = handler(op)(&ctx, &q, r, &fd);
    alarm(0);
    for (int i = 0; i < 2; i++)
        if (p[i] >= 0)
            close(p[i]);
    return result;
}

static void every_op_needs_the_capability(void **st)
{
    (void)st;
    struct broker_reply r;
    for (uint32_t op = BROKER_CERTSTORE_INSTALL_ROOT_CA; op <= BROKER_CERTSTORE_MOVE; op++) {
        int got = call(without_cap, op, "x", 1, 1, 1, -1, "x", 1, false, &r);
        if (got != -EACCES)
            fprintf(stderr, "op %u: %d\n", op, got);
        assert_int_equal(got, -EACCES);
    }
}

static void install_and_read_back_in_pieces(void **st)
{
    (void)st;
    struct broker_reply r;
    size_t len = strlen(ca_pem);
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_INSTALL_ROOT_CA, "ca", 2, (int)len, 0, 0, ca_pem, len, false, &r), 0);
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_COUNT, "", 0, 0, 0, 0, NULL, 0, false, &r), 0);
    assert_int_equal(r.value, 1);
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_ID_AT, "", 0, 0, 0, 0, NULL, 0, false, &r), 0);
    assert_string_equal(r.text, "ca");
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_ID_AT, "", 0, 1, 0, 0, NULL, 0, false, &r), -ERANGE);
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_ID_AT, "", 0, -1, 0, 0, NULL, 0, false, &r), -ERANGE);
    /* the subject, 95 bytes at a time */
    char subject[400] = "";
    size_t got = 0;
    int pieces = 0;
    do {
        assert_int_equal(call(with_cap, BROKER_CERTSTORE_INFO, "ca", 2, BROKER_CERTSTORE_FIELD_SUBJECT, (int)got, 0, NULL, 0,
                              false, &r),
                         0);
        assert_true(strlen(r.text) <= 95);
        strcat(subject, r.text);
        got += strlen(r.text);
        pieces++;
    } while (got < (size_t)r.value && pieces < 10);
    assert_true(pieces >= 2);
    assert_int_equal(strlen(subject), (size_t)r.value);
    assert_non_null(strstr(subject, "/O=An organisation with a long name/OU=A unit with a long name too/CN=nnnn"));
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_INFO, "ca", 2, BROKER_CERTSTORE_FIELD_NOT_AFTER, 0, 0, NULL, 0, false, &r), 0);
    assert_string_equal(r.text, "20340101000000");
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_INFO, "ca", 2, 9, 0, 0, NULL, 0, false, &r), -EINVAL);
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_INFO, "ca", 2, BROKER_CERTSTORE_FIELD_SUBJECT, 1000, 0, NULL, 0, false, &r),
                     -EINVAL);
    /* move carries "source NUL destination" */
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_MOVE, "ca\0ca2", 7, 0, 0, 0, NULL, 0, false, &r), 0);
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_ID_AT, "", 0, 0, 0, 0, NULL, 0, false, &r), 0);
    assert_string_equal(r.text, "ca2");
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_MOVE, "ca2\0abcdefghijklmnopq", 21, 0, 0, 0, NULL, 0, false, &r), -ERANGE);
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_DELETE, "ca2", 3, 0, 0, 0, NULL, 0, false, &r), 0);
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_SPACE, "", 0, 0, 0, 0, NULL, 0, false, &r), 0);
    assert_int_equal(r.value, 24514);
}

static void blobs_are_read_without_waiting(void **st)
{
    (void)st;
    struct broker_reply r;
    size_t len = strlen(ca_pem);
    /* fewer bytes than announced, writer still open: refused at once, not waited for */
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_INSTALL_ROOT_CA, "x", 1, (int)len, 0, 0, ca_pem, len / 2, true, &r),
                     -EINVAL);
    /* no descriptor at all */
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_INSTALL_ROOT_CA, "x", 1, (int)len, 0, 0, NULL, 0, false, &r), -EINVAL);
    /* the announced length decides, not what the pipe holds beyond it */
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_INSTALL_ROOT_CA, "x", 1, (int)len, 0, 0, ca_pem, len, true, &r), 0);
    /* lengths out of range */
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_INSTALL_ROOT_CA, "x", 1, 0, 0, 0, ca_pem, len, false, &r), -ERANGE);
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_INSTALL_ROOT_CA, "x", 1, 8193, 0, 0, ca_pem, len, false, &r), -ERANGE);
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_INSTALL_CLIENT, "x", 1, (int)len, 5, 257, ca_pem, len, false, &r), -ERANGE);
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_INSTALL_CLIENT, "x", 1, (int)len, 0, -1, ca_pem, len, false, &r), -ERANGE);
    /* a password with a NUL inside */
    char blob[9000];
    memcpy(blob, ca_pem, len);
    memcpy(blob + len, "KEYab\0c", 7);
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_INSTALL_CLIENT, "x", 1, (int)len, 3, 4, blob, len + 7, false, &r), -EINVAL);
    /* a 17-character identifier reads as too long */
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_INSTALL_ROOT_CA, "abcdefghijklmnopq", 17, (int)len, 0, 0, ca_pem, len,
                          false, &r),
                     -ERANGE);
    assert_int_equal(call(with_cap, BROKER_CERTSTORE_DELETE, "x", 1, 0, 0, 0, NULL, 0, false, &r), 0);
}

static void one_descriptor_per_request(void **st)
{
    (void)st;
    int s[2], p1[2], p2[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, s), 0);
    assert_int_equal(pipe(p1), 0);
    assert_int_equal(pipe(p2), 0);
    struct broker_request q = {.version = BROKER_VERSION, .op = BROKER_CERTSTORE_COUNT};
    struct iovec iov = {.iov_base = &q, .iov_len = sizeof q};
    char control[CMSG_SPACE(2 * sizeof(int))];
    memset(control, 0, sizeof control);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(2 * sizeof(int));
    int fds[2] = {p1[0], p2[0]};
    memcpy(CMSG_DATA(c), fds, sizeof fds);
    assert_int_equal(sendmsg(s[0], &msg, 0), (ssize_t)sizeof q);
    close(p1[0]);
    close(p2[0]);
    struct broker_request got;
    int fd = -2;
    assert_int_equal(broker_receive_request(s[1], &got, &fd), (ssize_t)sizeof got);
    assert_int_equal(got.op, BROKER_CERTSTORE_COUNT);
    assert_true(fd >= 0);
    close(fd);
    /* the second descriptor was closed: its pipe's writer sees no reader left */
    signal(SIGPIPE, SIG_IGN);
    assert_int_equal(write(p2[1], "x", 1), -1);
    assert_int_equal(errno, EPIPE);
    /* a request without one */
    assert_int_equal(send(s[0], &q, sizeof q, 0), (ssize_t)sizeof q);
    assert_int_equal(broker_receive_request(s[1], &got, &fd), (ssize_t)sizeof got);
    assert_int_equal(fd, -1);
    close(p1[1]);
    close(p2[1]);
    close(s[0]);
    close(s[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_op_needs_the_capability),
        cmocka_unit_test(install_and_read_back_in_pieces),
        cmocka_unit_test(blobs_are_read_without_waiting),
        cmocka_unit_test(one_descriptor_per_request),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
