/* SPDX-License-Identifier: MIT */
/* certstore.c — applibs/certstore.h through the broker (ops 160-167, src/core/broker.h). PEM
 * blobs travel in a pipe whose read end is attached to the request; identifiers in the request's
 * text, cut at 17 characters so that a longer one still reads as too long on the device. */
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/certstore.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker_client.h"

static void put_id(char *text, const char *id)
{
    size_t n = strnlen(id, CERTSTORE_MAX_IDENTIFIER_LENGTH + 1);
    memcpy(text, id, n);
    text[n] = '\0';
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -EIO;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Sends `q` with a pipe holding the parts (at most 16.25 KiB: within a pipe's 64 KiB, so the
 * writes never wait). */
static int call_with_blob(struct broker_request *q, const char *const parts[], const size_t lens[], size_t count)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    int err = 0;
    for (size_t i = 0; !err && i < count; i++)
        err = write_all(p[1], parts[i], lens[i]);
    close(p[1]);
    if (err) {
        close(p[0]);
        return err;
    }
    struct broker_reply r;
    err = applibs_broker_call_with_fd(q, &r, p[0]);
    close(p[0]);
    return err;
}

int CertStore_InstallRootCACertificate(const char *identifier, const char *certBlob, size_t certBlobLength)
{
    if (!identifier || !certBlob)
        return applibs_result(-EFAULT, 0);
    if (certBlobLength == 0 || certBlobLength > CERTSTORE_MAX_CERT_SIZE)
        return applibs_result(-ERANGE, 0);
    struct broker_request q = {.op = BROKER_CERTSTORE_INSTALL_ROOT_CA, .a = (int32_t)certBlobLength};
    put_id(q.text, identifier);
    const char *parts[] = {certBlob};
    size_t lens[] = {certBlobLength};
    return applibs_result(call_with_blob(&q, parts, lens, 1), 0);
}

int CertStore_InstallClientCertificate(const char *identifier, const char *certBlob, size_t certBlobLength,
                                       const char *privateKeyBlob, size_t privateKeyBlobLength,
                                       const char *privateKeyPassword)
{
    if (!identifier || !certBlob || !privateKeyBlob)
        return applibs_result(-EFAULT, 0);
    size_t pw = privateKeyPassword ? strnlen(privateKeyPassword, CERTSTORE_MAX_PRIVATE_KEY_PASSWORD_LENGTH + 1) : 0;
    if (certBlobLength == 0 || certBlobLength > CERTSTORE_MAX_CERT_SIZE || privateKeyBlobLength == 0 ||
        privateKeyBlobLength > CERTSTORE_MAX_CERT_SIZE || pw > CERTSTORE_MAX_PRIVATE_KEY_PASSWORD_LENGTH)
        return applibs_result(-ERANGE, 0);
    struct broker_request q = {.op = BROKER_CERTSTORE_INSTALL_CLIENT,
                               .a = (int32_t)certBlobLength,
                               .b = (int32_t)privateKeyBlobLength,
                               .c = privateKeyPassword ? (int32_t)pw : -1};
    put_id(q.text, identifier);
    const char *parts[] = {certBlob, privateKeyBlob, privateKeyPassword ? privateKeyPassword : ""};
    size_t lens[] = {certBlobLength, privateKeyBlobLength, pw};
    return applibs_result(call_with_blob(&q, parts, lens, 3), 0);
}

int CertStore_DeleteCertificate(const char *identifier)
{
    if (!identifier)
        return applibs_result(-EFAULT, 0);
    struct broker_request q = {.op = BROKER_CERTSTORE_DELETE};
    struct broker_reply r;
    put_id(q.text, identifier);
    return applibs_result(applibs_broker_call(&q, &r, NULL), 0);
}

ssize_t CertStore_GetCertificateCount(void)
{
    struct broker_request q = {.op = BROKER_CERTSTORE_COUNT};
    struct broker_reply r;
    int err = applibs_broker_call(&q, &r, NULL);
    return err ? applibs_result(err, 0) : (ssize_t)r.value;
}

int CertStore_GetCertificateIdentifierAt(size_t index, CertStore_Identifier *outIdentifier)
{
    if (!outIdentifier)
        return applibs_result(-EFAULT, 0);
    if (index > INT32_MAX)
        return applibs_result(-ERANGE, 0);
    struct broker_request q = {.op = BROKER_CERTSTORE_ID_AT, .a = (int32_t)index};
    struct broker_reply r;
    int err = applibs_broker_call(&q, &r, NULL);
    if (!err) {
        size_t n = strnlen(r.text, CERTSTORE_MAX_IDENTIFIER_LENGTH);
        memcpy(outIdentifier->identifier, r.text, n);
        outIdentifier->identifier[n] = '\0';
    }
    return applibs_result(err, 0);
}

ssize_t CertStore_GetAvailableSpace(void)
{
    struct broker_request q = {.op = BROKER_CERTSTORE_SPACE};
    struct broker_reply r;
    int err = applibs_broker_call(&q, &r, NULL);
    return err ? applibs_result(err, 0) : (ssize_t)r.value;
}

/* One field of the certificate, asked for in pieces of at most 95 bytes. */
static int get_field(const char *identifier, int field, char *out, size_t out_size)
{
    size_t got = 0;
    out[0] = '\0';
    for (;;) {
        struct broker_request q = {.op = BROKER_CERTSTORE_INFO, .a = field, .b = (int32_t)got};
        struct broker_reply r;
        put_id(q.text, identifier);
        int err = applibs_broker_call(&q, &r, NULL);
        if (err)
            return err;
        r.text[sizeof r.text - 1] = '\0';
        size_t n = strlen(r.text);
        if (got + n >= out_size)
            n = out_size - 1 - got;
        memcpy(out + got, r.text, n);
        got += n;
        out[got] = '\0';
        if (n == 0 || got >= (size_t)r.value || got + 1 >= out_size)
            return 0;
    }
}

static int get_time(const char *identifier, int field, struct tm *out)
{
    if (!identifier || !out)
        return applibs_result(-EFAULT, 0);
    char text[32];
    int err = get_field(identifier, field, text, sizeof text);
    struct tm t = {0};
    if (!err && sscanf(text, "%4d%2d%2d%2d%2d%2d", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour, &t.tm_min,
                       &t.tm_sec) != 6)
        err = -EINVAL;
    if (!err) {
        t.tm_year -= 1900;
        t.tm_mon -= 1;
        *out = t;
    }
    return applibs_result(err, 0);
}

int CertStore_GetCertificateSubjectName(const char *identifier, struct CertStore_SubjectName *outSubjectName)
{
    if (!identifier || !outSubjectName)
        return applibs_result(-EFAULT, 0);
    return applibs_result(get_field(identifier, BROKER_CERTSTORE_FIELD_SUBJECT, outSubjectName->name,
                                    sizeof outSubjectName->name),
                          0);
}

int CertStore_GetCertificateIssuerName(const char *identifier, struct CertStore_IssuerName *outIssuerName)
{
    if (!identifier || !outIssuerName)
        return applibs_result(-EFAULT, 0);
    return applibs_result(get_field(identifier, BROKER_CERTSTORE_FIELD_ISSUER, outIssuerName->name,
                                    sizeof outIssuerName->name),
                          0);
}

int CertStore_GetCertificateNotBefore(const char *identifier, struct tm *outNotBefore)
{
    return get_time(identifier, BROKER_CERTSTORE_FIELD_NOT_BEFORE, outNotBefore);
}

int CertStore_GetCertificateNotAfter(const char *identifier, struct tm *outNotAfter)
{
    return get_time(identifier, BROKER_CERTSTORE_FIELD_NOT_AFTER, outNotAfter);
}

int CertStore_MoveCertificate(const char *sourceIdentifier, const char *destIdentifier)
{
    if (!sourceIdentifier || !destIdentifier)
        return applibs_result(-EFAULT, 0);
    struct broker_request q = {.op = BROKER_CERTSTORE_MOVE};
    struct broker_reply r;
    put_id(q.text, sourceIdentifier);
    put_id(q.text + strlen(q.text) + 1, destIdentifier);
    return applibs_result(applibs_broker_call(&q, &r, NULL), 0);
}
