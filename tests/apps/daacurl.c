/* SPDX-License-Identifier: MIT */
/* daacurl.c — test app for tlsutils/deviceauth_curl.h (tests/cli/test_deviceauth.sh): one HTTPS
 * GET with libcurl to argv[1], trusting the CA file argv[2] of the image package; with argv[3] =
 * "daa" the device's certificate is presented through CURLOPT_SSL_CTX_FUNCTION =
 * DeviceAuth_CurlSslFunc, with "none" it is not. Logs "DAACURL <mode> ok <HTTP status>" or
 * "DAACURL <mode> fail <curl error>", and DeviceAuth_SslCtxFunc's result on a NULL context. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <applibs/log.h>
#include <applibs/storage.h>
#include <curl/curl.h>
#include <tlsutils/deviceauth_curl.h>

static size_t discard(char *data, size_t size, size_t n, void *user)
{
    (void)data, (void)user;
    return size * n;
}

int main(int argc, char *argv[])
{
    const char *url = argc > 1 ? argv[1] : "https://127.0.0.1:4433/", *mode = argc > 3 ? argv[3] : "daa";
    char *ca = Storage_GetAbsolutePathInImagePackage(argc > 2 ? argv[2] : "server-ca.pem");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    if (!strcmp(mode, "daa"))
        curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, DeviceAuth_CurlSslFunc);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_OK)
        Log_Debug("DAACURL %s ok %ld\n", mode, status);
    else
        Log_Debug("DAACURL %s fail %s\n", mode, curl_easy_strerror(rc));
    Log_Debug("DAACURL null-context %d\n", (int)DeviceAuth_SslCtxFunc(NULL));
    curl_easy_cleanup(c);
    for (;;)
        pause();
}
