/* SPDX-License-Identifier: MIT */
/*
 * rest_tls.c — the device's HTTPS key and certificate (DIR/tls.key.pem, DIR/tls.cert.pem) with
 * the names clients check: DNS *.devices.sphere.azure.local (what Microsoft's client sends as
 * Host and verifies), IP 127.0.0.1, and the attached address when there is one. A certificate
 * that lacks one of them (a device made before they were added, or newly attached at another
 * address) is replaced by a new key and certificate, each written new + fsync + rename.
 */
#include "rest.h"

#include "hostio.h"
#include "path.h"
#include "signing.h"

#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether the PEM certificate names the host name and every address given. */
static bool cert_names_all(const char *cert_pem, const char *attached_ip)
{
    BIO *bio = BIO_new_mem_buf(cert_pem, -1);
    X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    bool ok = cert && X509_check_ca(cert) && X509_check_host(cert, "device.devices.sphere.azure.local", 0, 0, NULL) == 1 &&
              X509_check_ip_asc(cert, "127.0.0.1", 0) == 1 &&
              (!attached_ip || X509_check_ip_asc(cert, attached_ip, 0) == 1);
    X509_free(cert);
    BIO_free(bio);
    return ok;
}

static char *read_text(const char *dir, const char *name)
{
    char *p = path_join(dir, name), *text = NULL;
    size_t len = 0;
    if (!p || hostio_read_file(p, &text, &len) != 0)
        text = NULL;
    free(p);
    return text;
}

static int write_pair(const char *state_dir, const char *key, const char *cert)
{
    char *kp = path_join(state_dir, "tls.key.pem"), *cp = path_join(state_dir, "tls.cert.pem");
    int err = kp && cp ? hostio_write_file_atomic(kp, key, strlen(key), 0600) : -ENOMEM;
    if (!err)
        err = hostio_write_file_atomic(cp, cert, strlen(cert), 0644);
    free(kp);
    free(cp);
    return err;
}

int rest_tls_load(const char *state_dir, const char *attached_ip, char **key_pem, char **cert_pem, char *why,
                  size_t why_size)
{
    *key_pem = read_text(state_dir, "tls.key.pem");
    *cert_pem = read_text(state_dir, "tls.cert.pem");
    if (*key_pem && *cert_pem && cert_names_all(*cert_pem, attached_ip))
        return 0;
    free(*key_pem);
    free(*cert_pem);
    *key_pem = *cert_pem = NULL;
    char names[160];
    snprintf(names, sizeof names, "%s%s%s", DEVICE_TLS_NAMES, attached_ip ? ",IP:" : "", attached_ip ? attached_ip : "");
    char *key = NULL, *cert = NULL;
    int err = signing_generate_tls_names("OpenSphere simulated device", names, 3650, &key, &cert);
    if (err) {
        snprintf(why, why_size, "cannot generate the device's TLS certificate");
        return err;
    }
    err = write_pair(state_dir, key, cert);
    if (err) {
        snprintf(why, why_size, "cannot write the device's TLS certificate in %s: %s", state_dir, strerror(-err));
        free(key);
        free(cert);
        return err;
    }
    *key_pem = key;
    *cert_pem = cert;
    return 0;
}
