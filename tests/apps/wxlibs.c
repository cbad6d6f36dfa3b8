/* SPDX-License-Identifier: MIT */
/* wxlibs.c — an app that loads and uses the big shared libraries apps use (libcurl, OpenSSL's
 * libssl and libcrypto, a thread) inside its container, to show that the W^X seccomp rules
 * (docs/security.md, "Memory") leave the dynamic loader and those libraries working. It prints
 * "WXLIBS <step> ok" or "WXLIBS <step> failed", then "WXLIBS done", and waits for SIGTERM. */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void report(const char *step, int ok)
{
    printf("WXLIBS %s %s\n", step, ok ? "ok" : "failed");
    fflush(stdout);
}

static void *thread_main(void *arg) { return arg; }

static volatile sig_atomic_t terminated;
static void on_term(int s)
{
    (void)s;
    terminated = 1;
}

int main(void)
{
    struct sigaction act = {.sa_handler = on_term};
    sigaction(SIGTERM, &act, NULL);
    report("curl-init", curl_global_init(CURL_GLOBAL_ALL) == CURLE_OK);
    CURL *easy = curl_easy_init();
    report("curl-easy", easy != NULL && curl_version_info(CURLVERSION_NOW)->ssl_version != NULL);
    curl_easy_cleanup(easy);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    report("openssl-ctx", ctx != NULL);
    SSL_CTX_free(ctx);
    unsigned char md[32];
    unsigned int len = 0;
    report("openssl-sha256", EVP_Digest("abc", 3, md, &len, EVP_sha256(), NULL) == 1 && len == 32 && md[0] == 0xba);
    pthread_t t;
    report("thread", pthread_create(&t, NULL, thread_main, NULL) == 0 && pthread_join(t, NULL) == 0);
    printf("WXLIBS done\n");
    fflush(stdout);
    while (!terminated)
        pause();
    curl_global_cleanup();
    return 0;
}
