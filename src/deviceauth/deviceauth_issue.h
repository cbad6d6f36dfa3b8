/* SPDX-License-Identifier: MIT */
/*
 * deviceauth_issue.h — device authentication certificates (docs/deviceauth.md). The simulated
 * security service — the key that signs capability files ($OPENSPHERE_HOME/security-service.*)
 * — is also the device-authentication CA: it issues each device an X.509 client certificate
 * (subject CN = the device ID, P-256 key, clientAuth) when `sphere sim create` makes the device.
 * A TLS server (the cloud, a test's `openssl s_server`) trusts that CA through
 * security-service.ca.pem: the same key and subject as security-service.cert.pem, self-signed
 * with basicConstraints CA:TRUE (the capability signer's certificate has no CA extension and
 * must stay byte-identical: devices trust it by thumbprint).
 *
 * The device keeps its certificate and key in DIR/deviceauth.pem (certificate, then the CA
 * certificate, then the key; mode 0600). An app whose manifest has "DeviceAuthentication" sees
 * a read-only copy at DEVICEAUTH_APP_PATH inside its container and no other device secret;
 * libtlsutils' DeviceAuth_GetCertificatePath() returns that path.
 *
 * Functions return 0 or a negative errno; outputs are malloc'd, NUL-terminated PEM text.
 */
#ifndef OPENSPHERE_DEVICEAUTH_H
#define OPENSPHERE_DEVICEAUTH_H

#include <stddef.h>

#define DEVICEAUTH_FILE "deviceauth.pem"            /* in the device's state folder */
#define DEVICEAUTH_CA_FILE "security-service.ca.pem" /* in $OPENSPHERE_HOME */
#define DEVICEAUTH_APP_PATH "/run/daa/device.pem"    /* inside an app's container */
#define DEVICEAUTH_DAYS 3650

/* The CA certificate for the security service's key: same subject, key and validity as its
 * certificate, CA:TRUE. -EINVAL if the key and certificate do not parse or do not match. */
int deviceauth_make_ca(const char *ca_key_pem, size_t key_len, const char *ca_cert_pem, size_t cert_len, char **out);
/* Issues a device certificate: a new P-256 key, subject CN = `device_id` (any length: the
 * platform's device IDs are 128 hex digits), issued by the CA for `days`. *out = certificate,
 * CA certificate and PKCS#8 key, in that order. */
int deviceauth_issue(const char *ca_key_pem, size_t key_len, const char *ca_cert_pem, size_t cert_len,
                     const char *device_id, unsigned days, char **out);
/* Makes HOME/security-service.ca.pem if missing and issues STATE_DIR/deviceauth.pem for
 * `device_id` (replacing any). why gets the reason on failure. */
int deviceauth_provision(const char *home, const char *state_dir, const char *device_id, char *why, size_t why_size);

#endif
