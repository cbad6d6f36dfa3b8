/* SPDX-License-Identifier: MIT */
/* tlsutils/deviceauth.h — OpenSphere SDK: device authentication (docs/deviceauth.md). Link
 * `tlsutils` (and `wolfssl` to use the certificate with wolfSSL). */
#pragma once
#ifdef __cplusplus
extern "C" {
#endif

/* The path, inside the app's container, of the device-authentication file: the device's X.509
 * client certificate (subject CN = the device ID), its issuing CA's certificate, then the
 * certificate's private key, in PEM. Load it with wolfSSL_CTX_use_certificate_chain_file() and
 * wolfSSL_CTX_use_PrivateKey_file(..., WOLFSSL_FILETYPE_PEM). The file exists only for apps
 * whose manifest has the DeviceAuthentication capability (opening it fails with ENOENT
 * otherwise). Never NULL; the string is static. */
const char *DeviceAuth_GetCertificatePath(void);

#ifdef __cplusplus
}
#endif
