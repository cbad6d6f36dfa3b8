/* SPDX-License-Identifier: MIT */
/*
 * iot_internal.h — what the library's files share: the message internals, TLS set-up and the
 * device identity. The library is compiled with -fvisibility=hidden and linked into one object
 * whose hidden symbols are made local (CMakeLists.txt), so only IOT_EXPORT names reach an app:
 * its own parson.c and *Strings definitions cannot clash with ours.
 */
#ifndef OPENSPHERE_AZUREIOT_IOT_INTERNAL_H
#define OPENSPHERE_AZUREIOT_IOT_INTERNAL_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

#include "azureiot/iothub_message.h"

#define IOT_EXPORT __attribute__((visibility("default")))

/* Where an app with DeviceAuthentication finds its certificate, chain and key. The environment
 * variable OPENSPHERE_DAA_PATH overrides it (host-side tests; an app's container has the file). */
#define IOT_DAA_PATH "/run/daa/device.pem"
const char *iot_daa_path(void);

struct iot_prop {
    char *key, *value;
};

struct IOTHUB_MESSAGE_HANDLE_DATA_TAG {
    IOTHUBMESSAGE_CONTENT_TYPE type;
    unsigned char *body; /* NUL-terminated too (so GetString works) */
    size_t size;
    struct iot_prop *props;
    size_t nprops;
    char *content_type, *content_encoding, *message_id, *correlation_id;
};

/* Sets a system property by its wire name ("mid", "cid", "ct", "ce"); others are ignored. */
int iot_message_set_system(IOTHUB_MESSAGE_HANDLE m, const char *name, const char *value);

/* Credentials and trust for one TLS client. Strings are PEM text (NULL: none). */
struct iot_tls_config {
    const char *cert_pem, *key_pem; /* NULL: the DAA file */
    const char *trusted_pem;        /* OPTION_TRUSTED_CERT */
    const char *host;               /* checked against the server's certificate */
};
/* A TLS 1.2+ client context presenting the certificate chain and key and trusting: the CAs in
 * the device's own certificate file (the simulated security service also issues the cloud's
 * server certificates, docs/iot.md), trusted_pem, and the system's default roots. NULL with a
 * reason in why. */
SSL_CTX *iot_tls_context(const struct iot_tls_config *cfg, char *why, size_t why_size);
/* The subject CN of the first certificate in cert_pem (NULL: the DAA file), as written, into
 * out. 0 or -ENOENT (no file), -EINVAL (no certificate or CN), -ENOSPC. */
int iot_certificate_cn(const char *cert_pem, char *out, size_t cap);
/* "host[:port]" → host (copied) and port (default 8883). 0 or -EINVAL. */
int iot_split_host(const char *uri, char *host, size_t cap, int *port);
/* Seconds since an arbitrary start (CLOCK_MONOTONIC), with milliseconds. */
double iot_now(void);

#endif
