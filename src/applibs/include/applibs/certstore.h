/* SPDX-License-Identifier: MIT */
/* applibs/certstore.h — OpenSphere Applibs: the device's certificate store (docs/certstore.md).
 * Every function needs the CertStore capability (else EACCES) and returns -1 with errno on
 * failure: EFAULT for a NULL pointer; ERANGE for a blob of 0 or more than CERTSTORE_MAX_CERT_SIZE
 * bytes, an identifier longer than CERTSTORE_MAX_IDENTIFIER_LENGTH (install, move), a password
 * longer than CERTSTORE_MAX_PRIVATE_KEY_PASSWORD_LENGTH, an index out of range; EINVAL for an
 * invalid identifier (1-16 of A-Z a-z 0-9 . - _) or invalid PEM, a key that is not the
 * certificate's, a missing or wrong password for an encrypted key or one given for an unencrypted
 * key; ENOENT for a certificate not installed; ENOSPC beyond the store's space; EAGAIN when the
 * store cannot be read. Installing or moving onto an existing identifier replaces it. */
#pragma once
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <applibs/certstore_structs.h>
#ifdef __cplusplus
extern "C" {
#endif

#define CERTSTORE_MAX_CERT_SIZE 8192
#define CERTSTORE_MAX_PRIVATE_KEY_PASSWORD_LENGTH 256
/* CERTSTORE_MAX_IDENTIFIER_LENGTH, the name lengths and the identifier/name types are in
 * applibs/certstore_structs.h, which applibs/wificonfig.h shares. */

int CertStore_InstallClientCertificate(const char *identifier, const char *certBlob, size_t certBlobLength,
                                       const char *privateKeyBlob, size_t privateKeyBlobLength,
                                       const char *privateKeyPassword);
int CertStore_InstallRootCACertificate(const char *identifier, const char *certBlob, size_t certBlobLength);
int CertStore_DeleteCertificate(const char *identifier);
ssize_t CertStore_GetCertificateCount(void);
int CertStore_GetCertificateIdentifierAt(size_t index, CertStore_Identifier *outIdentifier);
ssize_t CertStore_GetAvailableSpace(void);
/* Names are "/C=US/O=Contoso/CN=Name" (at most 300 bytes); times are UTC, and tm_wday, tm_yday
 * and tm_isdst are undefined, as the platform documents. */
int CertStore_GetCertificateSubjectName(const char *identifier, struct CertStore_SubjectName *outSubjectName);
int CertStore_GetCertificateIssuerName(const char *identifier, struct CertStore_IssuerName *outIssuerName);
int CertStore_GetCertificateNotBefore(const char *identifier, struct tm *outNotBefore);
int CertStore_GetCertificateNotAfter(const char *identifier, struct tm *outNotAfter);
int CertStore_MoveCertificate(const char *sourceIdentifier, const char *destIdentifier);

#ifdef __cplusplus
}
#endif
