/* SPDX-License-Identifier: MIT */
/* ProxyCurl — an OpenSphere example high-level app (our own code): fetches each URL in its
 * CmdArgs with libcurl through the device's proxy, set up the way the platform's HTTPS samples
 * do it (Networking_Curl_SetDefaultProxy), and logs one line per URL:
 *   "PROXY <url> curl <CURLcode> http <response code> body <first line of the body>"
 * then "PROXY done". A device whose proxy is configured sends the requests through it; the
 * device still lets through only hosts the manifest lists (others: HTTP 403 from the device).
 * Exits on SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include <applibs/log.h>
#include <applibs/networking.h>
#include <applibs/networking_curl.h>

static volatile sig_atomic_t stop;

static void on_sigterm(int signal) { stop = 1; }

struct body {
    char text[256];
    size_t len;
};

static size_t on_data(char *data, size_t size, size_t count, void *user)
{
    struct body *b = user;
    size_t n = size * count, room = sizeof b->text - 1 - b->len;
    memcpy(b->text + b->len, data, n < room ? n : room);
    b->len += n < room ? n : room;
    b->text[b->len] = 0;
    return n;
}

static void fetch(const char *url)
{
    CURL *curl = curl_easy_init();
    struct body b = {.len = 0};
    long code = 0;
    char error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    int proxy = Networking_Curl_SetDefaultProxy(curl);
    if (proxy != 0)
        Log_Debug("PROXY %s setdefaultproxy failed errno %d\n", url, errno);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
    CURLcode rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    b.text[strcspn(b.text, "\r\n")] = 0;
    Log_Debug("PROXY %s curl %d http %ld body %s\n", url, (int)rc, code, b.text);
    if (rc != CURLE_OK)
        Log_Debug("PROXY %s error: %s\n", url, error);
    curl_easy_cleanup(curl);
}

int main(int argc, char *argv[])
{
    signal(SIGTERM, on_sigterm);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    for (int i = 1; i < argc; i++)
        fetch(argv[i]);
    Log_Debug("PROXY done\n");
    curl_global_cleanup();
    while (!stop)
        pause();
    return 0;
}
