/* networking.c — Applibs networking: the device's status and the OpenSphere socket extensions,
 * each one broker request (see applibs/networking.h, docs/network.md). */
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/networking.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "broker_client.h"

static int status(uint32_t *bits)
{
    struct broker_request q = {.op = BROKER_NET_STATUS};
    struct broker_reply r;
    int err = applibs_broker_call(&q, &r, NULL);
    if (!err)
        *bits = (uint32_t)r.value;
    return err;
}

int Networking_IsNetworkingReady(bool *outIsNetworkingReady)
{
    if (!outIsNetworkingReady) {
        errno = EFAULT;
        return -1;
    }
    uint32_t bits = 0;
    int err = status(&bits);
    if (err == -ENOTCONN) { /* outside a device: no network */
        *outIsNetworkingReady = false;
        return 0;
    }
    if (err)
        return applibs_result(err, 0);
    *outIsNetworkingReady = (bits & Networking_InterfaceConnectionStatus_IpAvailable) != 0;
    return 0;
}

int Networking_GetInterfaceConnectionStatus(const char *networkInterfaceName,
                                            Networking_InterfaceConnectionStatus *outStatus)
{
    if (!networkInterfaceName || !outStatus) {
        errno = EFAULT;
        return -1;
    }
    if (strcmp(networkInterfaceName, "eth0") && strcmp(networkInterfaceName, "wlan0")) {
        errno = ENODEV;
        return -1;
    }
    uint32_t bits = 0;
    int err = status(&bits);
    if (!err)
        *outStatus = bits;
    return applibs_result(err, 0);
}

int OpenSphere_Networking_Resolve(const char *host, struct in_addr *addrs, size_t max, unsigned *ttl_seconds)
{
    struct broker_request q = {.op = BROKER_NET_RESOLVE};
    struct broker_reply r;
    if (!host || !addrs) {
        errno = EFAULT;
        return -1;
    }
    if (!max || strlen(host) >= sizeof q.text) {
        errno = EINVAL;
        return -1;
    }
    strcpy(q.text, host);
    int err = applibs_broker_call(&q, &r, NULL);
    if (err)
        return applibs_result(err, 0);
    size_t n = r.value < 0 ? 0 : (size_t)r.value;
    if (n > (sizeof r.text - 4) / 4)
        n = (sizeof r.text - 4) / 4;
    if (n > max)
        n = max;
    uint32_t ttl;
    memcpy(&ttl, r.text, 4);
    memcpy(addrs, r.text + 4, n * 4);
    if (ttl_seconds)
        *ttl_seconds = ttl;
    return (int)n;
}

int OpenSphere_Networking_Connect(struct in_addr addr, uint16_t port, int type)
{
    struct broker_request q = {.op = BROKER_NET_CONNECT, .a = (int32_t)addr.s_addr, .b = port, .c = type};
    struct broker_reply r;
    int fd = -1;
    int err = applibs_broker_call(&q, &r, &fd);
    return applibs_result(err, fd);
}

int OpenSphere_Networking_Listen(uint16_t port, int type)
{
    struct broker_request q = {.op = BROKER_NET_LISTEN, .a = port, .c = type};
    struct broker_reply r;
    int fd = -1;
    int err = applibs_broker_call(&q, &r, &fd);
    return applibs_result(err, fd);
}
