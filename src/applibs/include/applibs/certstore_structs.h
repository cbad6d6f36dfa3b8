/* SPDX-License-Identifier: MIT */
/* applibs/certstore_structs.h — the certificate store's identifier and name types, shared by
 * applibs/wificonfig.h and applibs/certstore.h (values as in the platform's SDK). */
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

#define CERTSTORE_MAX_IDENTIFIER_LENGTH 16   /* not counting the NUL */
#define CERTSTORE_SUBJECTNAME_MAX_LENGTH 300 /* not counting the NUL */
#define CERTSTORE_ISSUERNAME_MAX_LENGTH 300  /* not counting the NUL */

typedef struct CertStore_Identifier {
    char identifier[CERTSTORE_MAX_IDENTIFIER_LENGTH + 1]; /* NUL-terminated */
} CertStore_Identifier;

typedef struct CertStore_SubjectName {
    char name[CERTSTORE_SUBJECTNAME_MAX_LENGTH + 1];
} CertStore_SubjectName;

typedef struct CertStore_IssuerName {
    char name[CERTSTORE_ISSUERNAME_MAX_LENGTH + 1];
} CertStore_IssuerName;

#ifdef __cplusplus
}
#endif
