/* SPDX-License-Identifier: MIT */
/* tlsutils/deviceauth_curl.h — OpenSphere SDK: mutual TLS with the device's authentication
 * certificate for libcurl (docs/deviceauth.md). Link `tlsutils` and `curl`. */
#pragma once
#include <curl/curl.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef enum DeviceAuthSslResult {
    DeviceAuthSslResult_Success = 0,
    DeviceAuthSslResult_GetTenantIdError = 1,          /* the app has no DeviceAuthentication tenant */
    DeviceAuthSslResult_GetTenantCertificateError = 2, /* the certificate or key did not load */
    DeviceAuthSslResult_EnableHwSignError = 3,         /* (never here: the key is in software) */
} DeviceAuthSslResult;

/* A CURLOPT_SSL_CTX_FUNCTION callback: sets curl's SSL context up to present the device's
 * certificate and key (mutual TLS). CURLE_OK, or CURLE_SSL_CERTPROBLEM when
 * DeviceAuth_SslCtxFunc fails. Only sslctx is used. */
CURLcode DeviceAuth_CurlSslFunc(CURL *curl, void *sslctx, void *userCtx);

/* The same for use inside an app's own CURLOPT_SSL_CTX_FUNCTION: `sslctx` is the context curl
 * hands it (an OpenSSL SSL_CTX with the SDK's libcurl; a WOLFSSL_CTX with a wolfSSL build). */
DeviceAuthSslResult DeviceAuth_SslCtxFunc(void *sslctx);

#ifdef __cplusplus
}
#endif
