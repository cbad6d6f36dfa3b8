/* SPDX-License-Identifier: MIT */
/* tlsutils.c — libtlsutils: tlsutils/deviceauth.h and tlsutils/deviceauth_curl.h for apps.
 *
 * DeviceAuth_SslCtxFunc must configure whatever TLS library the app's libcurl was built with
 * (the platform's is wolfSSL; Debian's libcurl uses OpenSSL) without making every app link
 * both: it looks the functions up at run time with dlsym — curl_version_info() names curl's
 * TLS backend, then the backend's *_CTX_use_certificate_chain_file and *_CTX_use_PrivateKey_file
 * (already loaded in the process with libcurl). Both libraries take the PEM file type as 1. */
#include <tlsutils/deviceauth.h>
#include <tlsutils/deviceauth_curl.h>

#include <dlfcn.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#define APP_PATH "/run/daa/device.pem" /* DEVICEAUTH_APP_PATH in src/deviceauth/deviceauth.h */
#define FILETYPE_PEM 1                 /* SSL_FILETYPE_PEM, WOLFSSL_FILETYPE_PEM */

const char *DeviceAuth_GetCertificatePath(void)
{
    return APP_PATH;
}

typedef int (*chain_file_fn)(void *ctx, const char *file);
typedef int (*key_file_fn)(void *ctx, const char *file, int type);
typedef curl_version_info_data *(*version_fn)(CURLversion);

/* dlsym returns functions as void *; POSIX defines the conversion, ISO C does not. */
static chain_file_fn chain_file(const char *name)
{
    void *p = dlsym(RTLD_DEFAULT, name);
    return __extension__(chain_file_fn) p;
}

static key_file_fn key_file(const char *name)
{
    void *p = dlsym(RTLD_DEFAULT, name);
    return __extension__(key_file_fn) p;
}

/* true when the TLS library to configure is wolfSSL: curl's backend if curl is loaded, else
 * wolfSSL when the app links it. */
static bool backend_is_wolfssl(void)
{
    void *p = dlsym(RTLD_DEFAULT, "curl_version_info");
    version_fn version = __extension__(version_fn) p;
    const curl_version_info_data *info = version ? version(CURLVERSION_NOW) : NULL;
    if (info && info->ssl_version)
        return strstr(info->ssl_version, "wolfSSL") != NULL;
    return dlsym(RTLD_DEFAULT, "wolfSSL_CTX_use_certificate_chain_file") != NULL;
}

DeviceAuthSslResult DeviceAuth_SslCtxFunc(void *sslctx)
{
    if (access(APP_PATH, R_OK) != 0)
        return DeviceAuthSslResult_GetTenantIdError;
    bool wolf = backend_is_wolfssl();
    chain_file_fn use_chain = chain_file(wolf ? "wolfSSL_CTX_use_certificate_chain_file" : "SSL_CTX_use_certificate_chain_file");
    key_file_fn use_key = key_file(wolf ? "wolfSSL_CTX_use_PrivateKey_file" : "SSL_CTX_use_PrivateKey_file");
    if (!sslctx || !use_chain || !use_key || use_chain(sslctx, APP_PATH) != 1 ||
        use_key(sslctx, APP_PATH, FILETYPE_PEM) != 1)
        return DeviceAuthSslResult_GetTenantCertificateError;
    return DeviceAuthSslResult_Success;
}

CURLcode DeviceAuth_CurlSslFunc(CURL *curl, void *sslctx, void *userCtx)
{
    (void)curl;
    (void)userCtx;
    return DeviceAuth_SslCtxFunc(sslctx) == DeviceAuthSslResult_Success ? CURLE_OK : CURLE_SSL_CERTPROBLEM;
}
