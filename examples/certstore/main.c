/* SPDX-License-Identifier: MIT */
/* Certificates example: calls every function of applibs/certstore.h and checks its result and
 * errno, with the certificates packed in the image (certs/). Each check logs
 * "CERTSTORE <name> ok" or "CERTSTORE <name> FAIL: …"; the last line is
 * "CERTSTORE DONE passed=N failed=M"; the app then stays up, as apps do.
 * The root CA stays installed as "ExampleRoot" (the test checks it survives a device restart).
 * With the argument "--expect-eacces" (a manifest without CertStore) every call must fail
 * with EACCES. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <applibs/certstore.h>
#include <applibs/log.h>
#include <applibs/storage.h>

static int passed, failed;

static void check(const char *name, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void check(const char *name, bool ok, const char *fmt, ...)
{
    if (ok) {
        passed++;
        Log_Debug("CERTSTORE %s ok\n", name);
        return;
    }
    failed++;
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    Log_Debug("CERTSTORE %s FAIL: %s\n", name, why);
}

/* Checks that a call returned -1 with `want` in errno. */
static void expect_errno(const char *name, long result, int want)
{
    int e = errno;
    check(name, result == -1 && e == want, "returned %ld, errno %d (%s); wanted -1 and %s", result, e, strerror(e),
          strerror(want));
}

static void expect_ok(const char *name, long result)
{
    int e = errno;
    check(name, result == 0, "returned %ld, errno %d (%s)", result, e, strerror(e));
}

/* Reads a file of the image package into a malloc'd buffer. */
static char *read_package_file(const char *path, size_t *len)
{
    int fd = Storage_OpenFileInImagePackage(path);
    if (fd < 0)
        return NULL;
    char *buf = malloc(CERTSTORE_MAX_CERT_SIZE + 1);
    ssize_t n = buf ? read(fd, buf, CERTSTORE_MAX_CERT_SIZE) : -1;
    close(fd);
    if (n <= 0) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static bool has_id(const char *id)
{
    ssize_t count = CertStore_GetCertificateCount();
    for (ssize_t i = 0; i < count; i++) {
        CertStore_Identifier got;
        if (CertStore_GetCertificateIdentifierAt((size_t)i, &got) == 0 && strcmp(got.identifier, id) == 0)
            return true;
    }
    return false;
}

static bool tm_is(const struct tm *t, int year, int mon, int day, int hour, int min, int sec)
{
    return t->tm_year == year - 1900 && t->tm_mon == mon - 1 && t->tm_mday == day && t->tm_hour == hour &&
           t->tm_min == min && t->tm_sec == sec;
}

static void without_capability(void)
{
    CertStore_Identifier id;
    CertStore_SubjectName subject;
    CertStore_IssuerName issuer;
    struct tm t;
    const char *pem = "-----BEGIN CERTIFICATE-----\n";
    expect_errno("nocap-install-root", CertStore_InstallRootCACertificate("x", pem, strlen(pem)), EACCES);
    expect_errno("nocap-install-client", CertStore_InstallClientCertificate("x", pem, strlen(pem), pem, strlen(pem), NULL),
                 EACCES);
    expect_errno("nocap-count", CertStore_GetCertificateCount(), EACCES);
    expect_errno("nocap-id-at", CertStore_GetCertificateIdentifierAt(0, &id), EACCES);
    expect_errno("nocap-space", CertStore_GetAvailableSpace(), EACCES);
    expect_errno("nocap-subject", CertStore_GetCertificateSubjectName("x", &subject), EACCES);
    expect_errno("nocap-issuer", CertStore_GetCertificateIssuerName("x", &issuer), EACCES);
    expect_errno("nocap-not-before", CertStore_GetCertificateNotBefore("x", &t), EACCES);
    expect_errno("nocap-not-after", CertStore_GetCertificateNotAfter("x", &t), EACCES);
    expect_errno("nocap-move", CertStore_MoveCertificate("x", "y"), EACCES);
    expect_errno("nocap-delete", CertStore_DeleteCertificate("x"), EACCES);
}

static void with_capability(void)
{
    size_t ca_len = 0, cert_len = 0, key_len = 0, other_len = 0;
    char *ca = read_package_file("certs/rootca.pem", &ca_len), *cert = read_package_file("certs/client.pem", &cert_len),
         *key = read_package_file("certs/client.key", &key_len), *other = read_package_file("certs/other.key", &other_len);
    check("package-files", ca && cert && key && other, "cannot read the certificates in the image package");
    if (!ca || !cert || !key || !other)
        return;

    /* start from a store without the example's certificates (a previous run may have left some) */
    CertStore_DeleteCertificate("ExampleRoot");
    CertStore_DeleteCertificate("ExampleClient");
    CertStore_DeleteCertificate("ExampleClient2");
    ssize_t space = CertStore_GetAvailableSpace();
    ssize_t count = CertStore_GetCertificateCount();
    check("space", space > 0 && space <= 24 * 1024, "CertStore_GetAvailableSpace = %zd", space);
    check("count", count >= 0, "CertStore_GetCertificateCount = %zd", count);

    expect_ok("install-root", CertStore_InstallRootCACertificate("ExampleRoot", ca, ca_len));
    ssize_t after = CertStore_GetAvailableSpace();
    check("space-shrinks", after < space, "space %zd after installing, %zd before", after, space);
    expect_ok("install-client",
              CertStore_InstallClientCertificate("ExampleClient", cert, cert_len, key, key_len, "example-password"));
    check("count-grows", CertStore_GetCertificateCount() == count + 2, "count %zd, wanted %zd",
          CertStore_GetCertificateCount(), count + 2);

    /* refusals */
    expect_errno("client-key-mismatch", CertStore_InstallClientCertificate("Bad", cert, cert_len, other, other_len, NULL),
                 EINVAL);
    expect_errno("client-wrong-password",
                 CertStore_InstallClientCertificate("Bad", cert, cert_len, key, key_len, "not-the-password"), EINVAL);
    expect_errno("client-missing-password", CertStore_InstallClientCertificate("Bad", cert, cert_len, key, key_len, NULL),
                 EINVAL);
    expect_errno("client-null-key", CertStore_InstallClientCertificate("Bad", cert, cert_len, NULL, 5, NULL), EFAULT);
    expect_errno("root-bad-pem", CertStore_InstallRootCACertificate("Bad", "not a certificate", 17), EINVAL);
    expect_errno("root-empty", CertStore_InstallRootCACertificate("Bad", ca, 0), ERANGE);
    expect_errno("root-too-big", CertStore_InstallRootCACertificate("Bad", ca, CERTSTORE_MAX_CERT_SIZE + 1), ERANGE);
    expect_errno("root-null-id", CertStore_InstallRootCACertificate(NULL, ca, ca_len), EFAULT);
    expect_errno("id-invalid-character", CertStore_InstallRootCACertificate("bad id", ca, ca_len), EINVAL);
    expect_errno("id-empty", CertStore_InstallRootCACertificate("", ca, ca_len), EINVAL);
    expect_errno("id-too-long", CertStore_InstallRootCACertificate("seventeen-chars-x", ca, ca_len), ERANGE);
    check("id-sixteen", CertStore_InstallRootCACertificate("sixteen.chars-_X", ca, ca_len) == 0 &&
                            CertStore_DeleteCertificate("sixteen.chars-_X") == 0,
          "a 16-character identifier was refused: %s", strerror(errno));

    /* listing */
    check("listed", has_id("ExampleRoot") && has_id("ExampleClient"), "the identifiers are not listed");
    CertStore_Identifier id;
    expect_errno("id-at-out-of-range", CertStore_GetCertificateIdentifierAt((size_t)CertStore_GetCertificateCount(), &id),
                 ERANGE);
    expect_errno("id-at-null", CertStore_GetCertificateIdentifierAt(0, NULL), EFAULT);

    /* names and dates */
    CertStore_SubjectName subject;
    CertStore_IssuerName issuer;
    expect_ok("subject", CertStore_GetCertificateSubjectName("ExampleClient", &subject));
    check("subject-text", !strcmp(subject.name, "/C=US/O=OpenSphere Example/CN=example-device"), "subject \"%s\"",
          subject.name);
    expect_ok("issuer", CertStore_GetCertificateIssuerName("ExampleClient", &issuer));
    check("issuer-text", !strcmp(issuer.name, "/C=US/O=OpenSphere Example/CN=Example Root CA"), "issuer \"%s\"",
          issuer.name);
    struct tm t;
    expect_ok("not-before", CertStore_GetCertificateNotBefore("ExampleClient", &t));
    check("not-before-value", tm_is(&t, 2024, 3, 15, 12, 30, 45), "%04d-%02d-%02d %02d:%02d:%02d", t.tm_year + 1900,
          t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
    expect_ok("not-after", CertStore_GetCertificateNotAfter("ExampleRoot", &t));
    check("not-after-value", tm_is(&t, 2044, 1, 1, 0, 0, 0), "%04d-%02d-%02d", t.tm_year + 1900, t.tm_mon + 1,
          t.tm_mday);
    expect_errno("subject-missing", CertStore_GetCertificateSubjectName("NoSuchCert", &subject), ENOENT);
    expect_errno("issuer-null", CertStore_GetCertificateIssuerName("ExampleClient", NULL), EFAULT);
    expect_errno("not-before-invalid-id", CertStore_GetCertificateNotBefore("bad id", &t), EINVAL);
    expect_errno("not-after-null-id", CertStore_GetCertificateNotAfter(NULL, &t), EFAULT);

    /* move and delete */
    expect_ok("move", CertStore_MoveCertificate("ExampleClient", "ExampleClient2"));
    expect_errno("moved-source-gone", CertStore_GetCertificateSubjectName("ExampleClient", &subject), ENOENT);
    check("moved-destination", CertStore_GetCertificateSubjectName("ExampleClient2", &subject) == 0 &&
                                   !strcmp(subject.name, "/C=US/O=OpenSphere Example/CN=example-device"),
          "the moved certificate is not at its new identifier");
    expect_errno("move-missing", CertStore_MoveCertificate("NoSuchCert", "Other"), ENOENT);
    expect_errno("move-invalid", CertStore_MoveCertificate("ExampleClient2", "bad/id"), EINVAL);
    expect_errno("move-too-long", CertStore_MoveCertificate("ExampleClient2", "seventeen-chars-x"), ERANGE);
    expect_errno("move-null", CertStore_MoveCertificate(NULL, "x"), EFAULT);
    expect_ok("delete", CertStore_DeleteCertificate("ExampleClient2"));
    expect_errno("delete-again", CertStore_DeleteCertificate("ExampleClient2"), ENOENT);
    expect_errno("delete-null", CertStore_DeleteCertificate(NULL), EFAULT);
    check("space-after-delete", CertStore_GetAvailableSpace() == after, "space %zd, wanted %zd",
          CertStore_GetAvailableSpace(), after);
    free(ca);
    free(cert);
    free(key);
    free(other);
}

int main(int argc, char *argv[])
{
    bool nocap = argc > 1 && strcmp(argv[1], "--expect-eacces") == 0;
    if (nocap)
        without_capability();
    else
        with_capability();
    Log_Debug("CERTSTORE DONE passed=%d failed=%d\n", passed, failed);
    /* stay up, as apps do, so the device does not restart it in a loop */
    for (;;)
        pause();
}
