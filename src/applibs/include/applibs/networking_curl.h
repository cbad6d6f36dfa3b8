/* SPDX-License-Identifier: MIT */
/* applibs/networking_curl.h — OpenSphere: libcurl inside a confined app (docs/network.md).
 * Header-only; the app links -lcurl itself.
 *
 * An app may not create sockets, so libcurl's own socket()/connect() fail (EPERM). After
 * OpenSphere_Curl_Confine(curl, &conf, host, port) the handle:
 *   - resolves `host` through the device (OpenSphere_Networking_Resolve) and pins the answers with
 *     CURLOPT_RESOLVE, so libcurl never runs its own resolver (an IPv4 literal is used as is);
 *   - gets each connection from the device (CURLOPT_OPENSOCKETFUNCTION →
 *     OpenSphere_Networking_Connect), already connected (CURLOPT_SOCKOPTFUNCTION answers
 *     CURL_SOCKOPT_ALREADY_CONNECTED); IPv4 only.
 * A host the manifest does not allow fails in curl_easy_perform with CURLE_COULDNT_RESOLVE_HOST
 * (a name) or CURLE_COULDNT_CONNECT (an address). Redirects to other hosts are not followed
 * unless they were confined too. Call OpenSphere_Curl_Release(&conf) after the last transfer.
 *
 * Returns CURLE_OK, or the curl_easy_setopt error, CURLE_COULDNT_RESOLVE_HOST (errno says why),
 * CURLE_OUT_OF_MEMORY.
 */
#pragma once
#include <applibs/networking.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

struct OpenSphere_CurlConfinement {
    struct curl_slist *resolve;
};

static inline curl_socket_t OpenSphere_Curl_OpenSocket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
    (void)clientp;
    if (purpose != CURLSOCKTYPE_IPCXN || address->family != AF_INET) {
        errno = EAFNOSUPPORT;
        return CURL_SOCKET_BAD;
    }
    const struct sockaddr_in *to = (const struct sockaddr_in *)&address->addr;
    int fd = OpenSphere_Networking_Connect(to->sin_addr, ntohs(to->sin_port),
                                           address->socktype == SOCK_DGRAM ? SOCK_DGRAM : SOCK_STREAM);
    return fd < 0 ? CURL_SOCKET_BAD : fd;
}

static inline int OpenSphere_Curl_SockOpt(void *clientp, curl_socket_t fd, curlsocktype purpose)
{
    (void)clientp, (void)fd, (void)purpose;
    return CURL_SOCKOPT_ALREADY_CONNECTED;
}

static inline CURLcode OpenSphere_Curl_Confine(CURL *curl, struct OpenSphere_CurlConfinement *conf, const char *host,
                                               unsigned port)
{
    conf->resolve = NULL;
    struct in_addr addrs[16];
    struct in_addr literal;
    int n;
    if (inet_pton(AF_INET, host, &literal) == 1) {
        addrs[0] = literal;
        n = 1;
    } else {
        n = OpenSphere_Networking_Resolve(host, addrs, 16, NULL);
        if (n <= 0)
            return CURLE_COULDNT_RESOLVE_HOST;
    }
    char entry[16 * 17 + 96];
    int len = snprintf(entry, sizeof entry, "%s:%u:", host, port);
    for (int i = 0; i < n && len > 0 && (size_t)len < sizeof entry - 17; i++) {
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &addrs[i], text, sizeof text);
        len += snprintf(entry + len, sizeof entry - (size_t)len, "%s%s", i ? "," : "", text);
    }
    conf->resolve = curl_slist_append(NULL, entry);
    if (!conf->resolve)
        return CURLE_OUT_OF_MEMORY;
    CURLcode rc = curl_easy_setopt(curl, CURLOPT_RESOLVE, conf->resolve);
    if (!rc)
        rc = curl_easy_setopt(curl, CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V4);
    if (!rc)
        rc = curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, OpenSphere_Curl_OpenSocket);
    if (!rc)
        rc = curl_easy_setopt(curl, CURLOPT_SOCKOPTFUNCTION, OpenSphere_Curl_SockOpt);
    return rc;
}

static inline void OpenSphere_Curl_Release(struct OpenSphere_CurlConfinement *conf)
{
    curl_slist_free_all(conf->resolve);
    conf->resolve = NULL;
}

/* Networking_Curl_SetDefaultProxy(curl): the device's proxy (Networking_Proxy_Get; the manifest
 * needs NetworkConfig or ReadNetworkProxyConfig) on the handle: CURLOPT_PROXY "address:port"
 * (HTTP), CURLOPT_NOPROXY, and for basic authentication CURLOPT_PROXYUSERNAME/PASSWORD with
 * CURLAUTH_BASIC. No proxy configured, or one disabled: nothing is set, 0. Returns 0, or -1 and
 * errno (the Networking_Proxy_Get errno; ENOMEM; EINVAL when libcurl refuses an option). */
static inline int Networking_Curl_SetDefaultProxy(CURL *curlHandle)
{
    if (!curlHandle) {
        errno = EFAULT;
        return -1;
    }
    Networking_ProxyConfig *p = Networking_Proxy_Create();
    if (!p)
        return -1;
    int rc = Networking_Proxy_Get(p);
    Networking_ProxyOptions options = 0;
    if (rc == -1 && errno == ENOENT) {
        rc = 0;
    } else if (rc == 0 && Networking_Proxy_GetProxyOptions(p, &options) == 0 &&
               (options & Networking_ProxyOptions_Enabled)) {
        char proxy[PROXY_ADDRESS_MAX_LENGTH + 8];
        uint16_t port = 0;
        Networking_Proxy_GetProxyPort(p, &port);
        snprintf(proxy, sizeof proxy, "%s:%u", Networking_Proxy_GetProxyAddress(p), (unsigned)port);
        CURLcode c = curl_easy_setopt(curlHandle, CURLOPT_PROXY, proxy);
        if (c == CURLE_OK)
            c = curl_easy_setopt(curlHandle, CURLOPT_PROXYTYPE, (long)CURLPROXY_HTTP);
        if (c == CURLE_OK)
            c = curl_easy_setopt(curlHandle, CURLOPT_NOPROXY, Networking_Proxy_GetNoProxyAddresses(p));
        if (c == CURLE_OK && Networking_Proxy_GetAuthType(p) == Networking_ProxyAuthType_Basic) {
            c = curl_easy_setopt(curlHandle, CURLOPT_PROXYUSERNAME, Networking_Proxy_GetProxyUsername(p));
            if (c == CURLE_OK)
                c = curl_easy_setopt(curlHandle, CURLOPT_PROXYPASSWORD, Networking_Proxy_GetProxyPassword(p));
            if (c == CURLE_OK)
                c = curl_easy_setopt(curlHandle, CURLOPT_PROXYAUTH, (long)CURLAUTH_BASIC);
        }
        if (c != CURLE_OK) {
            errno = c == CURLE_OUT_OF_MEMORY ? ENOMEM : EINVAL;
            rc = -1;
        }
    }
    int saved = errno;
    Networking_Proxy_Destroy(p);
    errno = saved;
    return rc;
}
