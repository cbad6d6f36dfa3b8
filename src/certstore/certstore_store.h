/* SPDX-License-Identifier: MIT */
/*
 * certstore_store.h — the device's certificate store (docs/certstore.md): root CA and client
 * certificates (a client certificate with its private key) under identifiers of 1-16 characters
 * of A-Z a-z 0-9 . - _, within the platform's 24 KiB quota. The rules the Applibs header
 * applibs/certstore.h documents are checked here, once, for the broker (apps), the REST API and
 * the tests alike; each function returns 0 (or a count) or the negative errno that the matching
 * CertStore_* call reports.
 *
 * A store is an in-memory set of records. One opened from a folder (certstore_open) persists
 * every change before the function returns: the whole store is written to DIR/certstore.json
 * with hostio_write_file_atomic (new file, fsync, rename, fsync of the folder), so a crash leaves
 * the old or the new store, never a mix. When that write fails the change is undone and its
 * error returned. A store made by certstore_parse (fuzzers, tests) is never written.
 *
 * Thread safety: each function locks the store; certstore_shared() hands every caller in one
 * process (the REST threads, the broker) the same store for one folder.
 *
 * Certificates and keys are PEM (OpenSSL parses them). The store keeps the certificate
 * re-encoded as PEM and the private key decrypted, as unencrypted PKCS#8 PEM, in the device's
 * private state folder; the size counted against the quota is the length of those two texts
 * (docs/certstore.md, "Space").
 */
#ifndef OPENSPHERE_CERTSTORE_H
#define OPENSPHERE_CERTSTORE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define CERTSTORE_ID_MAX 16            /* CERTSTORE_MAX_IDENTIFIER_LENGTH */
#define CERTSTORE_BLOB_MAX 8192        /* CERTSTORE_MAX_CERT_SIZE: each PEM blob */
#define CERTSTORE_PASSWORD_MAX 256     /* CERTSTORE_MAX_PRIVATE_KEY_PASSWORD_LENGTH */
#define CERTSTORE_NAME_MAX 300         /* CertStore_SubjectName / CertStore_IssuerName */
#define CERTSTORE_QUOTA_BYTES 24576    /* 24 KiB for all certificates of the device */
#define CERTSTORE_OVERHEAD_BYTES 62    /* the empty store's own use: the platform reports 24514 */
#define CERTSTORE_FILE "certstore.json"

enum certstore_kind { CERTSTORE_ROOT_CA = 1, CERTSTORE_CLIENT = 2 };

struct certstore;

/* What certstore_info reports about one certificate. */
struct certstore_info {
    char id[CERTSTORE_ID_MAX + 1];
    enum certstore_kind kind;
    struct tm not_before, not_after;       /* UTC; tm_wday, tm_yday, tm_isdst are 0 */
    char subject[CERTSTORE_NAME_MAX + 1];  /* "/C=US/O=Contoso/CN=Name", cut at 300 bytes */
    char issuer[CERTSTORE_NAME_MAX + 1];
    size_t bytes;                          /* counted against the quota */
};

/* Opens the store kept in `dir` (DIR/certstore.json; no file = an empty store). A damaged file
 * is refused with -EINVAL and `why` = "PATH:LINE:COL: JSON.path: reason"; I/O errors are
 * returned as they come. Leftover temporaries of an interrupted write are removed. */
int certstore_open(const char *dir, struct certstore **out, char *why, size_t why_size);
/* The one store of `dir` for this process (opened on first use, kept until exit). */
int certstore_shared(const char *dir, struct certstore **out, char *why, size_t why_size);
/* Parses a store file's text (`file` names it in `why`); the result is not tied to a folder. */
int certstore_parse(const char *text, size_t len, const char *file, struct certstore **out, char *why,
                     size_t why_size);
/* The store file's text (malloc'd, NUL-terminated), as certstore_open writes it. */
int certstore_serialize(struct certstore *cs, char **text, size_t *len);
void certstore_close(struct certstore *cs);

/* 0 for a valid identifier; -EFAULT for NULL; -ERANGE when longer than 16; -EINVAL when empty
 * or with a character outside A-Z a-z 0-9 . - _. */
int certstore_check_id(const char *id);

/* Installs (or replaces: any certificate with that identifier) a root CA certificate.
 * -EFAULT NULL argument; -ERANGE len 0 or > 8192, identifier > 16; -EINVAL bad identifier or not
 * a PEM certificate; -ENOSPC beyond the quota; -ENOMEM; an I/O error of the write. */
int certstore_install_root_ca(struct certstore *cs, const char *id, const char *pem, size_t len);
/* Installs (or replaces) a client certificate with its private key (PEM; encrypted keys need
 * `password`, NULL otherwise). As above, plus: -ERANGE key_len 0 or > 8192, password > 256;
 * -EINVAL no or wrong password for an encrypted key, a password for an unencrypted one, a key
 * that is not the certificate's. */
int certstore_install_client(struct certstore *cs, const char *id, const char *cert, size_t cert_len,
                             const char *key, size_t key_len, const char *password);
/* -EFAULT, -ENOENT (no such certificate; also for an invalid identifier). */
int certstore_delete(struct certstore *cs, const char *id);
/* Renames `src` to `dst`, replacing any certificate `dst`. -EFAULT, -ERANGE, -EINVAL (invalid
 * identifier), -ENOENT (no `src`). Moving a certificate onto itself succeeds and changes nothing. */
int certstore_move(struct certstore *cs, const char *src, const char *dst);
/* The number of certificates; identifiers are indexed 0..count-1 in installation order
 * (deleting one re-indexes the rest). */
size_t certstore_count(struct certstore *cs);
/* -ERANGE for an index out of range. `out` gets the NUL-terminated identifier. */
int certstore_id_at(struct certstore *cs, size_t index, char out[CERTSTORE_ID_MAX + 1]);
/* Bytes still free under the quota. */
size_t certstore_available(struct certstore *cs);
/* -EFAULT, -EINVAL (invalid identifier), -ENOENT. */
int certstore_info(struct certstore *cs, const char *id, struct certstore_info *out);
/* 1 (CERTSTORE_ROOT_CA), 2 (CERTSTORE_CLIENT) or -ENOENT (also for NULL or invalid ids). */
int certstore_kind(const struct certstore *cs, const char *id);
/* Copies of the certificate's PEM and, for a client certificate, its key's PEM (else NULL), for
 * a TLS stack (EAP-TLS). The caller frees both. -ENOENT, -ENOMEM. */
int certstore_pem(const struct certstore *cs, const char *id, char **cert_pem, char **key_pem);

#endif
