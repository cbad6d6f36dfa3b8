/* SPDX-License-Identifier: MIT */
/* iot_tls.c — TLS contexts and the device identity for the hub and DPS clients (iot_internal.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iot_internal.h"

const char *iot_daa_path(void)
{
    const char *env = getenv("OPENSPHERE_DAA_PATH");
    return env && env[0] ? env : IOT_DAA_PATH;
}

double iot_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int iot_split_host(const char *uri, char *host, size_t cap, int *port)
{
    if (!uri || !uri[0])
        return -EINVAL;
    const char *colon = strrchr(uri, ':');
    size_t len = colon ? (size_t)(colon - uri) : strlen(uri);
    *port = 8883;
    if (colon) {
        char *end = NULL;
        long p = strtol(colon + 1, &end, 10);
        if (!colon[1] || *end || p < 1 || p > 65535)
            return -EINVAL;
        *port = (int)p;
    }
    if (len == 0 || len >= cap)
        return -EINVAL;
    memcpy(host, uri, len);
    host[len] = '\0';
    return 0;
}

static BIO *pem_source(const char *pem)
{
    return pem ? BIO_new_mem_buf(pem, -1) : BIO_new_file(iot_daa_path(), "r");
}

int iot_certificate_cn(const char *cert_pem, char *out, size_t cap)
{
    BIO *bio = pem_source(cert_pem);
    if (!bio)
        return -ENOENT;
    X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!cert)
        return -EINVAL;
    char cn[512];
    int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
    X509_free(cert);
    if (n <= 0)
        return -EINVAL;
    if ((size_t)n >= cap)
        return -ENOSPC;
    memcpy(out, cn, (size_t)n + 1);
    return 0;
}

/* Adds every certificate in the PEM source to the store; returns how many. */
static int add_anchors(X509_STORE *store, BIO *bio)
{
    int added = 0;
    X509 *cert;
    while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (X509_STORE_add_cert(store, cert) == 1)
            added++;
        X509_free(cert);
    }
    ERR_clear_error();
    return added;
}

/* The certificate chain (leaf first) and the key from one PEM source. */
static int use_credentials(SSL_CTX *ctx, const char *cert_pem, const char *key_pem)
{
    BIO *bio = pem_source(cert_pem);
    X509 *leaf = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    int ok = leaf && SSL_CTX_use_certificate(ctx, leaf) == 1;
    X509 *extra;
    while (ok && (extra = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
        if (SSL_CTX_add_extra_chain_cert(ctx, extra) != 1) /* takes ownership on success */
            X509_free(extra), ok = 0;
    ERR_clear_error();
    X509_free(leaf);
    BIO_free(bio);
    bio = ok ? pem_source(key_pem ? key_pem : cert_pem) : NULL;
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    ok = key && SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
    EVP_PKEY_free(key);
    BIO_free(bio);
    return ok ? 0 : -EINVAL;
}

SSL_CTX *iot_tls_context(const struct iot_tls_config *cfg, char *why, size_t why_size)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(why, why_size, "out of memory");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    BIO *own = pem_source(cfg->cert_pem);
    int anchors = own ? add_anchors(store, own) : 0;
    BIO_free(own);
    if (cfg->trusted_pem) {
        BIO *extra = BIO_new_mem_buf(cfg->trusted_pem, -1);
        anchors += extra ? add_anchors(store, extra) : 0;
        BIO_free(extra);
    }
    SSL_CTX_set_default_verify_paths(ctx);
    ERR_clear_error();
    if (use_credentials(ctx, cfg->cert_pem, cfg->key_pem) != 0) {
        snprintf(why, why_size, "cannot load the device certificate and key from %s",
                 cfg->cert_pem ? "the x509 options" : iot_daa_path());
        SSL_CTX_free(ctx);
        return NULL;
    }
    struct in6_addr ip;
    bool numeric = cfg->host && (inet_pton(AF_INET, cfg->host, &ip) == 1 || inet_pton(AF_INET6, cfg->host, &ip) == 1);
    X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ctx);
    if (cfg->host && (numeric ? X509_VERIFY_PARAM_set1_ip_asc(param, cfg->host) : X509_VERIFY_PARAM_set1_host(param, cfg->host, 0)) != 1) {
        snprintf(why, why_size, "bad host name %s", cfg->host);
        SSL_CTX_free(ctx);
        return NULL;
    }
    (void)anchors;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}
