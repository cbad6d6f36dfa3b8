/* SPDX-License-Identifier: MIT */
/*
 * cloudhttp_cert.h — the device certificate of an HTTPS client (mutual TLS; docs/security.md).
 * The front end asks for (does not require) a client certificate and trusts only the device CA
 * (security-service.ca.pem, which issues every device's deviceauth.pem).
 */
#ifndef OPENSPHERE_CLOUD_CLOUDHTTP_CERT_H
#define OPENSPHERE_CLOUD_CLOUDHTTP_CERT_H

#include <stdbool.h>

#include "capfile.h" /* DEVICE_ID_HEX */

/* For a connection's GnuTLS session (NULL: none): 0 and the device ID (the subject CN, lower
 * case) when the client presented a certificate that chains to the trusted device CA, is valid
 * now, is for TLS client authentication and names a device ID; -ENOENT when it presented none;
 * -EACCES when it presented one that fails any of those checks; -ENOMEM. */
int cloudhttp_peer_device(void *tls_session, char id[DEVICE_ID_HEX + 1]);

#endif
