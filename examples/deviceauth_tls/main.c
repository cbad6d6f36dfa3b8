/* SPDX-License-Identifier: MIT */
/* Device authentication over wolfSSL: the app reads its device ID from the device certificate
 * (as the platform's DeviceId snippet does), then opens a mutual-TLS connection to a server,
 * presenting that certificate (tlsutils/deviceauth.h) and checking the server's against
 * certs/server-ca.pem from its image package. CmdArgs: HOST PORT (an IPv4 address the manifest's
 * AllowedConnections lists). Logs "DEVICEAUTH id <ID>", then "DEVICEAUTH tls ok" or
 * "DEVICEAUTH tls FAIL: <reason>"; stays up afterwards. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <applibs/log.h>
#include <applibs/storage.h>
#include <tlsutils/deviceauth.h>
#include <wolfssl/ssl.h>

/* The device ID: the subject CN of the device-authentication certificate. */
static int read_device_id(const char *path, char *id, int size)
{
    WOLFSSL_X509 *cert = wolfSSL_X509_load_certificate_file(path, WOLFSSL_FILETYPE_PEM);
    if (!cert)
        return -1;
    int n = wolfSSL_X509_NAME_get_text_by_NID(wolfSSL_X509_get_subject_name(cert), NID_commonName, id, size);
    wolfSSL_X509_free(cert);
    return n > 0 ? 0 : -1;
}

static int connect_to(const char *host, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static const char *tls(const char *host, int port, const char *cert_path, const char *id)
{
    static char why[160];
    char *ca = Storage_GetAbsolutePathInImagePackage("certs/server-ca.pem");
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfTLSv1_2_client_method());
    const char *problem = NULL;
    if (!ca || !ctx)
        problem = "cannot set up wolfSSL";
    else if (wolfSSL_CTX_load_verify_locations(ctx, ca, NULL) != WOLFSSL_SUCCESS)
        problem = "cannot load the server CA from the image package";
    else if (wolfSSL_CTX_use_certificate_chain_file(ctx, cert_path) != WOLFSSL_SUCCESS)
        problem = "cannot load the device certificate";
    else if (wolfSSL_CTX_use_PrivateKey_file(ctx, cert_path, WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS)
        problem = "cannot load the device key";
    int fd = problem ? -1 : connect_to(host, port);
    if (!problem && fd < 0) {
        snprintf(why, sizeof why, "cannot connect to %s:%d: %s", host, port, strerror(errno));
        problem = why;
    }
    WOLFSSL *ssl = problem ? NULL : wolfSSL_new(ctx);
    if (!problem && (!ssl || wolfSSL_set_fd(ssl, fd) != WOLFSSL_SUCCESS))
        problem = "cannot set up the session";
    if (!problem && wolfSSL_connect(ssl) != WOLFSSL_SUCCESS) {
        char text[80];
        wolfSSL_ERR_error_string_n((unsigned long)wolfSSL_get_error(ssl, 0), text, sizeof text);
        snprintf(why, sizeof why, "handshake failed: %s", text);
        problem = why;
    }
    if (!problem) {
        char hello[300];
        int n = snprintf(hello, sizeof hello, "hello from %s\n", id);
        if (wolfSSL_write(ssl, hello, n) != n)
            problem = "cannot send";
        wolfSSL_shutdown(ssl);
    }
    if (ssl)
        wolfSSL_free(ssl);
    if (fd >= 0)
        close(fd);
    if (ctx)
        wolfSSL_CTX_free(ctx);
    free(ca);
    return problem;
}

int main(int argc, char *argv[])
{
    const char *host = argc > 1 ? argv[1] : "127.0.0.1";
    int port = argc > 2 ? atoi(argv[2]) : 4433;
    wolfSSL_Init();
    const char *path = DeviceAuth_GetCertificatePath();
    char id[260];
    if (read_device_id(path, id, sizeof id) != 0) {
        Log_Debug("DEVICEAUTH id FAIL: cannot read %s: %s\n", path, strerror(errno));
    } else {
        Log_Debug("DEVICEAUTH id %s\n", id);
        const char *problem = tls(host, port, path, id);
        if (problem)
            Log_Debug("DEVICEAUTH tls FAIL: %s\n", problem);
        else
            Log_Debug("DEVICEAUTH tls ok\n");
    }
    wolfSSL_Cleanup();
    for (;;)
        pause();
}
