/* SPDX-License-Identifier: MIT */
/* cloudhttp_cert.c — the device certificate a TLS client presented to the cloud (mutual TLS,
 * docs/security.md "Device certificates", docs/deviceauth.md): verified against the device CA the
 * HTTPS front end trusts (security-service.ca.pem), checked for client authentication, and
 * reduced to the device ID its subject CN carries. See cloudhttp_cert.h. */
#include "cloudhttp_cert.h"

#include <ctype.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

/* The subject CN as a device ID: 128 hex digits, lower-cased. */
static int device_id_of(gnutls_x509_crt_t crt, char id[DEVICE_ID_HEX + 1])
{
    char cn[DEVICE_ID_HEX + 8];
    size_t size = sizeof cn;
    if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &size) < 0 || size != DEVICE_ID_HEX)
        return -EACCES;
    for (size_t i = 0; i < DEVICE_ID_HEX; i++) {
        if (!isxdigit((unsigned char)cn[i]))
            return -EACCES;
        id[i] = (char)tolower((unsigned char)cn[i]);
    }
    id[DEVICE_ID_HEX] = '\0';
    return 0;
}

static bool for_client_auth(gnutls_x509_crt_t crt)
{
    for (unsigned i = 0;; i++) {
        char oid[128];
        size_t size = sizeof oid;
        int rc = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &size, NULL);
        if (rc < 0)
            return false; /* no (more) extended key usage: not a device certificate */
        if (!strcmp(oid, GNUTLS_KP_TLS_WWW_CLIENT))
            return true;
    }
}

int cloudhttp_peer_device(void *tls_session, char id[DEVICE_ID_HEX + 1])
{
    gnutls_session_t tls = tls_session;
    unsigned count = 0, status = 0;
    const gnutls_datum_t *chain = tls ? gnutls_certificate_get_peers(tls, &count) : NULL;
    if (!chain || !count)
        return -ENOENT;
    if (gnutls_certificate_verify_peers3(tls, NULL, &status) < 0 || status != 0)
        return -EACCES; /* not issued by the device CA, expired, or not proven by its key */
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) < 0)
        return -ENOMEM;
    int err = gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) < 0 ? -EACCES : 0;
    if (!err && !for_client_auth(crt))
        err = -EACCES;
    err = err ? err : device_id_of(crt, id);
    gnutls_x509_crt_deinit(crt);
    return err;
}
