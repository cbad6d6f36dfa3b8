/* SPDX-License-Identifier: MIT */
/* networking.c — Applibs networking: the device's status and the OpenSphere socket extensions,
 * each one broker request (see applibs/networking.h, docs/network.md). */
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/networking.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "broker_client.h"

#define NAME_SIZE 16 /* IF_NAMESIZE */

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
    struct broker_request q = {.op = BROKER_NETCFG_IF_STATUS};
    struct broker_reply r;
    if (strlen(networkInterfaceName) >= NAME_SIZE) {
        errno = ENODEV;
        return -1;
    }
    strcpy(q.text, networkInterfaceName);
    int err = applibs_broker_call(&q, &r, NULL);
    if (err == -ENOENT)
        err = -ENODEV; /* the documented errno for an unknown interface here */
    if (!err)
        *outStatus = (uint32_t)r.value;
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

/* ---- the device's network configuration (docs/netconfig.md) ---------------------------------- */

static int fail(int e)
{
    errno = e;
    return -1;
}

/* A request naming an interface: EFAULT NULL, ENOENT a name too long to exist. */
static int named(struct broker_request *q, uint32_t op, const char *name)
{
    if (!name)
        return -EFAULT;
    if (strlen(name) >= NAME_SIZE)
        return -ENOENT;
    q->op = op;
    strcpy(q->text, name);
    return 0;
}

static int call_named(uint32_t op, const char *name, int32_t a)
{
    struct broker_request q = {.a = a};
    struct broker_reply r;
    int err = named(&q, op, name);
    if (!err)
        err = applibs_broker_call(&q, &r, NULL);
    return applibs_result(err, 0);
}

ssize_t Networking_GetInterfaceCount(void)
{
    struct broker_request q = {.op = BROKER_NETCFG_IF_COUNT};
    struct broker_reply r;
    int err = applibs_broker_call(&q, &r, NULL);
    return err ? applibs_result(err, 0) : (ssize_t)r.value;
}

ssize_t z__Networking_GetInterfaces(struct z__Networking_NetworkInterface_Base *outNetworkInterfacesArray,
                                    size_t networkInterfacesArrayCount, uint32_t networkInterfaceStructVersion)
{
    if (!outNetworkInterfacesArray)
        return fail(EFAULT);
    if (!networkInterfacesArrayCount)
        return fail(ERANGE);
    if (networkInterfaceStructVersion != 1)
        return fail(EINVAL);
    Networking_NetworkInterface *out = (Networking_NetworkInterface *)(void *)outNetworkInterfacesArray;
    size_t n = 0;
    for (; n < networkInterfacesArrayCount; n++) {
        struct broker_request q = {.op = BROKER_NETCFG_IF_GET, .a = (int32_t)n};
        struct broker_reply r;
        int err = applibs_broker_call(&q, &r, NULL);
        if (err == -ERANGE)
            break; /* past the last interface */
        if (err)
            return applibs_result(err, 0);
        struct broker_net_interface f;
        memcpy(&f, r.text, sizeof f);
        memset(&out[n], 0, sizeof out[n]);
        out[n].z__magicAndVersion = z__NETWORKING_NETWORK_INTERFACE_STRUCT_MAGIC | networkInterfaceStructVersion;
        out[n].isEnabled = f.enabled != 0;
        memcpy(out[n].interfaceName, f.name, sizeof f.name < IF_NAMESIZE ? sizeof f.name : IF_NAMESIZE);
        out[n].interfaceName[IF_NAMESIZE - 1] = 0;
        out[n].ipConfigurationType = f.ip_type;
        out[n].interfaceMediumType = f.medium;
    }
    return (ssize_t)n;
}

int Networking_SetInterfaceState(const char *networkInterfaceName, bool isEnabled)
{
    return call_named(BROKER_NETCFG_SET_STATE, networkInterfaceName, isEnabled);
}

int z__Networking_SetHardwareAddress(const char *networkInterfaceName, const uint8_t *hardwareAddress,
                                     size_t hardwareAddressLength)
{
    struct broker_request q = {0};
    struct broker_reply r;
    if (!hardwareAddress)
        return fail(EFAULT);
    if (hardwareAddressLength > HARDWARE_ADDRESS_LENGTH)
        return fail(ERANGE);
    if (hardwareAddressLength != HARDWARE_ADDRESS_LENGTH)
        return fail(EINVAL);
    int err = named(&q, BROKER_NETCFG_SET_MAC, networkInterfaceName);
    if (!err) {
        memcpy(q.text + 16, hardwareAddress, HARDWARE_ADDRESS_LENGTH);
        err = applibs_broker_call(&q, &r, NULL);
    }
    return applibs_result(err, 0);
}

int z__Networking_GetHardwareAddress(const char *networkInterfaceName, Networking_Interface_HardwareAddress *outAddress)
{
    struct broker_request q = {0};
    struct broker_reply r;
    if (!outAddress)
        return fail(EINVAL);
    int err = named(&q, BROKER_NETCFG_GET_MAC, networkInterfaceName);
    if (!err)
        err = applibs_broker_call(&q, &r, NULL);
    if (!err)
        memcpy(outAddress->address, r.text, HARDWARE_ADDRESS_LENGTH);
    return applibs_result(err, 0);
}

/* ---- IP configuration: the opaque Networking_IpConfig holds this (40 bytes at most). */
struct ipconfig {
    uint32_t magic;
    uint8_t static_ip, custom_dns, dns_count, reserved;
    uint32_t address, netmask, gateway, dns[3];
};
#define IPCONFIG_MAGIC 0x4e49u /* "IN" */
_Static_assert(sizeof(struct ipconfig) <= sizeof(Networking_IpConfig), "ipconfig fits Networking_IpConfig");

static struct ipconfig *ipconfig_of(Networking_IpConfig *c)
{
    return (struct ipconfig *)(void *)c;
}

void Networking_IpConfig_Init(Networking_IpConfig *ipConfig)
{
    if (!ipConfig)
        return;
    memset(ipConfig, 0, sizeof *ipConfig);
    ipconfig_of(ipConfig)->magic = IPCONFIG_MAGIC;
}

void Networking_IpConfig_Destroy(Networking_IpConfig *ipConfig)
{
    if (ipConfig)
        memset(ipConfig, 0, sizeof *ipConfig); /* nothing is allocated */
}

void Networking_IpConfig_EnableDynamicIp(Networking_IpConfig *ipConfig)
{
    if (!ipConfig)
        return;
    struct ipconfig *c = ipconfig_of(ipConfig);
    c->static_ip = 0;
    c->address = c->netmask = c->gateway = 0;
}

void Networking_IpConfig_EnableStaticIp(Networking_IpConfig *ipConfig, struct in_addr ipAddress,
                                        struct in_addr subnetMask, struct in_addr gatewayAddress)
{
    if (!ipConfig)
        return;
    struct ipconfig *c = ipconfig_of(ipConfig);
    c->static_ip = 1;
    c->address = ipAddress.s_addr;
    c->netmask = subnetMask.s_addr;
    c->gateway = gatewayAddress.s_addr;
}

void Networking_IpConfig_EnableAutomaticDns(Networking_IpConfig *ipConfig)
{
    if (!ipConfig)
        return;
    ipconfig_of(ipConfig)->custom_dns = 0;
    ipconfig_of(ipConfig)->dns_count = 0;
}

int Networking_IpConfig_EnableCustomDns(Networking_IpConfig *ipConfig, const struct in_addr *dnsServerAddresses,
                                        size_t serverCount)
{
    if (!ipConfig || !dnsServerAddresses)
        return fail(EFAULT);
    if (serverCount > 3)
        return fail(ERANGE);
    if (serverCount == 0)
        return fail(EINVAL);
    struct ipconfig *c = ipconfig_of(ipConfig);
    for (size_t i = 0; i < serverCount; i++)
        c->dns[i] = dnsServerAddresses[i].s_addr;
    c->custom_dns = 1;
    c->dns_count = (uint8_t)serverCount;
    return 0;
}

int Networking_IpConfig_Apply(const char *networkInterfaceName, const Networking_IpConfig *ipConfig)
{
    struct broker_request q = {0};
    struct broker_reply r;
    if (!ipConfig)
        return fail(EFAULT);
    const struct ipconfig *c = (const struct ipconfig *)(const void *)ipConfig;
    if (c->magic != IPCONFIG_MAGIC)
        return fail(EINVAL); /* not initialised with Networking_IpConfig_Init */
    int err = named(&q, BROKER_NETCFG_IP_APPLY, networkInterfaceName);
    if (err)
        return applibs_result(err, 0);
    struct broker_net_ipconfig in = {.static_ip = c->static_ip, .custom_dns = c->custom_dns,
                                     .dns_count = c->dns_count, .address = c->address, .netmask = c->netmask,
                                     .gateway = c->gateway};
    memcpy(in.name, q.text, sizeof in.name);
    memcpy(in.dns, c->dns, sizeof in.dns);
    memcpy(q.text, &in, sizeof in);
    return applibs_result(applibs_broker_call(&q, &r, NULL), 0);
}

int Networking_IpConfig_ReleaseIp(const char *networkInterfaceName)
{
    return call_named(BROKER_NETCFG_IP_RELEASE, networkInterfaceName, 0);
}

int Networking_IpConfig_RenewIp(const char *networkInterfaceName)
{
    return call_named(BROKER_NETCFG_IP_RENEW, networkInterfaceName, 0);
}

/* ---- DHCP and SNTP servers. Networking_DhcpServerConfig holds this (64 bytes at most). */
struct dhcpconfig {
    uint32_t magic;
    uint32_t start, netmask, gateway, lease_hours, ntp[3];
    uint8_t count, ntp_count, lease_set, reserved;
};
#define DHCPCONFIG_MAGIC 0x4e44u /* "DN" */
_Static_assert(sizeof(struct dhcpconfig) <= sizeof(Networking_DhcpServerConfig), "fits Networking_DhcpServerConfig");

static struct dhcpconfig *dhcpconfig_of(Networking_DhcpServerConfig *c)
{
    return (struct dhcpconfig *)(void *)c;
}

void Networking_DhcpServerConfig_Init(Networking_DhcpServerConfig *dhcpServerConfig)
{
    if (!dhcpServerConfig)
        return;
    memset(dhcpServerConfig, 0, sizeof *dhcpServerConfig);
    dhcpconfig_of(dhcpServerConfig)->magic = DHCPCONFIG_MAGIC;
}

void Networking_DhcpServerConfig_Destroy(Networking_DhcpServerConfig *dhcpServerConfig)
{
    if (dhcpServerConfig)
        memset(dhcpServerConfig, 0, sizeof *dhcpServerConfig);
}

int Networking_DhcpServerConfig_SetLease(Networking_DhcpServerConfig *dhcpServerConfig, struct in_addr startIpAddress,
                                         uint8_t ipAddressCount, struct in_addr subnetMask,
                                         struct in_addr gatewayAddress, uint32_t leaseTimeInHours)
{
    if (!dhcpServerConfig)
        return fail(EFAULT);
    struct dhcpconfig *c = dhcpconfig_of(dhcpServerConfig);
    c->start = startIpAddress.s_addr;
    c->count = ipAddressCount;
    c->netmask = subnetMask.s_addr;
    c->gateway = gatewayAddress.s_addr;
    c->lease_hours = leaseTimeInHours;
    c->lease_set = 1;
    return 0;
}

int Networking_DhcpServerConfig_SetNtpServerAddresses(Networking_DhcpServerConfig *dhcpServerConfig,
                                                      const struct in_addr *ntpServerAddresses, size_t serverCount)
{
    if (!dhcpServerConfig || (serverCount && !ntpServerAddresses))
        return fail(EFAULT);
    if (serverCount > 3)
        return fail(ERANGE);
    struct dhcpconfig *c = dhcpconfig_of(dhcpServerConfig);
    for (size_t i = 0; i < serverCount; i++)
        c->ntp[i] = ntpServerAddresses[i].s_addr;
    c->ntp_count = (uint8_t)serverCount;
    return 0;
}

int Networking_DhcpServer_Start(const char *networkInterfaceName, const Networking_DhcpServerConfig *dhcpServerConfig)
{
    struct broker_request q = {0};
    struct broker_reply r;
    if (!dhcpServerConfig)
        return fail(EFAULT);
    const struct dhcpconfig *c = (const struct dhcpconfig *)(const void *)dhcpServerConfig;
    if (c->magic != DHCPCONFIG_MAGIC || !c->lease_set)
        return fail(EINVAL);
    int err = named(&q, BROKER_NETCFG_DHCP_START, networkInterfaceName);
    if (err)
        return applibs_result(err, 0);
    struct broker_net_dhcp in = {.start = c->start, .netmask = c->netmask, .gateway = c->gateway,
                                 .lease_hours = c->lease_hours, .count = c->count, .ntp_count = c->ntp_count};
    memcpy(in.name, q.text, sizeof in.name);
    memcpy(in.ntp, c->ntp, sizeof in.ntp);
    memcpy(q.text, &in, sizeof in);
    return applibs_result(applibs_broker_call(&q, &r, NULL), 0);
}

void Networking_SntpServerConfig_Init(Networking_SntpServerConfig *sntpServerConfig)
{
    if (sntpServerConfig)
        memset(sntpServerConfig, 0, sizeof *sntpServerConfig);
}

void Networking_SntpServerConfig_Destroy(Networking_SntpServerConfig *sntpServerConfig)
{
    if (sntpServerConfig)
        memset(sntpServerConfig, 0, sizeof *sntpServerConfig);
}

int Networking_SntpServer_Start(const char *networkInterfaceName, const Networking_SntpServerConfig *sntpServerConfig)
{
    if (!sntpServerConfig)
        return fail(EFAULT);
    return call_named(BROKER_NETCFG_SNTP_START, networkInterfaceName, 0);
}

/* ---- strings longer than one request: staged, then used by the next request ------------------ */

static int stage(int field, const char *s)
{
    size_t len = strlen(s), chunk = sizeof((struct broker_request *)0)->text;
    size_t off = 0;
    do {
        struct broker_request q = {.op = BROKER_NETCFG_STAGE, .a = field, .b = (int32_t)off, .c = (int32_t)len};
        struct broker_reply r;
        size_t n = len - off < chunk ? len - off : chunk;
        memcpy(q.text, s + off, n);
        int err = applibs_broker_call(&q, &r, NULL);
        if (err)
            return err;
        off += n;
    } while (off < len);
    return 0;
}

/* ---- network time ---------------------------------------------------------------------------- */

static int simple(uint32_t op, int32_t a, int32_t *value)
{
    struct broker_request q = {.op = op, .a = a};
    struct broker_reply r;
    int err = applibs_broker_call(&q, &r, NULL);
    if (!err && value)
        *value = r.value;
    return applibs_result(err, 0);
}

int Networking_TimeSync_GetEnabled(bool *outIsEnabled)
{
    if (!outIsEnabled)
        return fail(EFAULT);
    int32_t v = 0;
    int rc = simple(BROKER_TIME_GET_ENABLED, 0, &v);
    if (!rc)
        *outIsEnabled = v != 0;
    return rc;
}

int Networking_TimeSync_SetEnabled(bool enabled)
{
    return simple(BROKER_TIME_SET_ENABLED, enabled, NULL);
}

int Networking_TimeSync_EnableDefaultNtp(void)
{
    return simple(BROKER_TIME_DEFAULT, 0, NULL);
}

int Networking_TimeSync_EnableCustomNtp(const char *primaryNtpServer, const char *secondaryNtpServer,
                                        Networking_NtpOption option)
{
    struct broker_request q = {.op = BROKER_TIME_CUSTOM, .a = (int32_t)option, .b = secondaryNtpServer != NULL};
    struct broker_reply r;
    if (!primaryNtpServer)
        return fail(EINVAL);
    if (strlen(primaryNtpServer) >= sizeof q.text || (secondaryNtpServer && strlen(secondaryNtpServer) >= 255))
        return fail(EINVAL);
    strcpy(q.text, primaryNtpServer);
    int err = secondaryNtpServer ? stage(BROKER_NETCFG_FIELD_NTP_SECONDARY, secondaryNtpServer) : 0;
    if (!err)
        err = applibs_broker_call(&q, &r, NULL);
    return applibs_result(err, 0);
}

int Networking_TimeSync_EnableAutomaticNtp(Networking_NtpOption option)
{
    return simple(BROKER_TIME_AUTOMATIC, (int32_t)option, NULL);
}

int Networking_TimeSync_GetLastNtpSyncInfo(char *outNtpServer, size_t *inOutNtpServerLength,
                                           struct tm *outTimeBeforeSync, struct tm *outNtpTime)
{
    struct broker_request q = {.op = BROKER_TIME_LAST_SYNC};
    struct broker_reply r;
    if (!inOutNtpServerLength || !outTimeBeforeSync || !outNtpTime || (!outNtpServer && *inOutNtpServerLength))
        return fail(EFAULT);
    int err = applibs_broker_call(&q, &r, NULL);
    if (err)
        return applibs_result(err, 0);
    struct broker_time_sync s;
    memcpy(&s, r.text, sizeof s);
    s.server[sizeof s.server - 1] = 0;
    size_t need = strlen(s.server) + 1;
    if (*inOutNtpServerLength < need) {
        *inOutNtpServerLength = need;
        return fail(ENOBUFS);
    }
    memcpy(outNtpServer, s.server, need);
    *inOutNtpServerLength = need;
    time_t before = (time_t)s.before, ntp = (time_t)s.ntp_time;
    gmtime_r(&before, outTimeBeforeSync);
    gmtime_r(&ntp, outNtpTime);
    return 0;
}

/* ---- proxy ----------------------------------------------------------------------------------- */

struct Networking_ProxyConfig {
    Networking_ProxyOptions options;
    Networking_ProxyType type;
    Networking_ProxyAuthType auth;
    uint16_t port;
    char address[PROXY_ADDRESS_MAX_LENGTH + 1];
    char no_proxy[PROXY_NO_PROXY_ADDRESSES_MAX_LENGTH + 1];
    char username[PROXY_USERNAME_MAX_LENGTH + 1];
    char password[PROXY_PASSWORD_MAX_LENGTH + 1];
};

Networking_ProxyConfig *Networking_Proxy_Create(void)
{
    Networking_ProxyConfig *p = calloc(1, sizeof *p);
    if (!p) {
        errno = ENOMEM;
        return NULL;
    }
    p->options = Networking_ProxyOptions_Enabled;
    p->type = Networking_ProxyType_HTTP;
    p->auth = Networking_ProxyAuthType_Anonymous;
    return p;
}

void Networking_Proxy_Destroy(Networking_ProxyConfig *proxyConfig)
{
    free(proxyConfig);
}

int Networking_Proxy_Apply(const Networking_ProxyConfig *proxyConfig)
{
    if (!proxyConfig)
        return fail(EFAULT);
    const Networking_ProxyConfig *p = proxyConfig;
    int err = stage(BROKER_NETCFG_FIELD_PROXY_ADDRESS, p->address);
    if (!err)
        err = stage(BROKER_NETCFG_FIELD_PROXY_NO_PROXY, p->no_proxy);
    if (!err && p->auth == Networking_ProxyAuthType_Basic)
        err = stage(BROKER_NETCFG_FIELD_PROXY_USERNAME, p->username);
    if (!err && p->auth == Networking_ProxyAuthType_Basic)
        err = stage(BROKER_NETCFG_FIELD_PROXY_PASSWORD, p->password);
    if (err)
        return applibs_result(err, 0);
    struct broker_request q = {.op = BROKER_PROXY_APPLY, .a = (int32_t)p->options, .b = p->port,
                               .c = p->auth == Networking_ProxyAuthType_Basic};
    struct broker_reply r;
    return applibs_result(applibs_broker_call(&q, &r, NULL), 0);
}

/* Reads one of the device's proxy strings into out (size bytes). */
static int get_field(int field, char *out, size_t size)
{
    size_t off = 0, len = 0;
    do {
        struct broker_request q = {.op = BROKER_PROXY_GET_FIELD, .a = field, .b = (int32_t)off};
        struct broker_reply r;
        int err = applibs_broker_call(&q, &r, NULL);
        if (err)
            return err;
        len = (size_t)r.value;
        if (len >= size)
            return -EIO;
        size_t n = len - off < sizeof r.text ? len - off : sizeof r.text;
        memcpy(out + off, r.text, n);
        off += n;
    } while (off < len);
    out[len] = 0;
    return 0;
}

int Networking_Proxy_Get(Networking_ProxyConfig *proxyConfig)
{
    if (!proxyConfig)
        return fail(EFAULT);
    struct broker_request q = {.op = BROKER_PROXY_GET};
    struct broker_reply r;
    int err = applibs_broker_call(&q, &r, NULL);
    if (err)
        return applibs_result(err, 0);
    struct broker_proxy_info info;
    memcpy(&info, r.text, sizeof info);
    Networking_ProxyConfig p = {.options = r.value ? (Networking_ProxyOptions)r.value : Networking_ProxyOptions_None,
                                .type = Networking_ProxyType_HTTP,
                                .auth = info.auth_type,
                                .port = info.port};
    err = get_field(BROKER_NETCFG_FIELD_PROXY_ADDRESS, p.address, sizeof p.address);
    if (!err)
        err = get_field(BROKER_NETCFG_FIELD_PROXY_NO_PROXY, p.no_proxy, sizeof p.no_proxy);
    if (!err && p.auth == Networking_ProxyAuthType_Basic)
        err = get_field(BROKER_NETCFG_FIELD_PROXY_USERNAME, p.username, sizeof p.username);
    if (!err && p.auth == Networking_ProxyAuthType_Basic)
        err = get_field(BROKER_NETCFG_FIELD_PROXY_PASSWORD, p.password, sizeof p.password);
    if (err)
        return applibs_result(err, 0);
    *proxyConfig = p;
    return 0;
}

int Networking_Proxy_SetProxyOptions(Networking_ProxyConfig *proxyConfig, Networking_ProxyOptions proxyOptions)
{
    if (!proxyConfig)
        return fail(EFAULT);
    proxyConfig->options = proxyOptions;
    return 0;
}

/* Copies s into out[max + 1]: EFAULT NULL, ERANGE longer than max. */
static int set_string(char *out, size_t max, const char *s)
{
    if (!s)
        return fail(EFAULT);
    size_t len = strnlen(s, max + 1);
    if (len > max)
        return fail(ERANGE);
    memcpy(out, s, len + 1);
    return 0;
}

int Networking_Proxy_SetProxyAddress(Networking_ProxyConfig *proxyConfig, const char *proxyAddress, uint16_t proxyPort)
{
    if (!proxyConfig)
        return fail(EFAULT);
    int rc = set_string(proxyConfig->address, PROXY_ADDRESS_MAX_LENGTH, proxyAddress);
    if (!rc)
        proxyConfig->port = proxyPort;
    return rc;
}

int Networking_Proxy_SetAnonymousAuthentication(Networking_ProxyConfig *proxyConfig)
{
    if (!proxyConfig)
        return fail(EFAULT);
    proxyConfig->auth = Networking_ProxyAuthType_Anonymous;
    proxyConfig->username[0] = proxyConfig->password[0] = 0;
    return 0;
}

int Networking_Proxy_SetBasicAuthentication(Networking_ProxyConfig *proxyConfig, const char *username,
                                            const char *password)
{
    if (!proxyConfig || !username || !password)
        return fail(EFAULT);
    if (strnlen(username, PROXY_USERNAME_MAX_LENGTH + 1) > PROXY_USERNAME_MAX_LENGTH ||
        strnlen(password, PROXY_PASSWORD_MAX_LENGTH + 1) > PROXY_PASSWORD_MAX_LENGTH)
        return fail(ERANGE);
    strcpy(proxyConfig->username, username);
    strcpy(proxyConfig->password, password);
    proxyConfig->auth = Networking_ProxyAuthType_Basic;
    return 0;
}

int Networking_Proxy_SetProxyNoProxyAddresses(Networking_ProxyConfig *proxyConfig, const char *noProxyAddresses)
{
    if (!proxyConfig)
        return fail(EFAULT);
    return set_string(proxyConfig->no_proxy, PROXY_NO_PROXY_ADDRESSES_MAX_LENGTH, noProxyAddresses);
}

int Networking_Proxy_GetProxyOptions(const Networking_ProxyConfig *proxyConfig, Networking_ProxyOptions *proxyOptions)
{
    if (!proxyConfig || !proxyOptions)
        return fail(EFAULT);
    *proxyOptions = proxyConfig->options;
    return 0;
}

const char *Networking_Proxy_GetProxyAddress(const Networking_ProxyConfig *proxyConfig)
{
    if (!proxyConfig) {
        errno = EFAULT;
        return NULL;
    }
    return proxyConfig->address;
}

int Networking_Proxy_GetProxyPort(const Networking_ProxyConfig *proxyConfig, uint16_t *proxyPort)
{
    if (!proxyConfig || !proxyPort)
        return fail(EFAULT);
    *proxyPort = proxyConfig->port;
    return 0;
}

Networking_ProxyType Networking_Proxy_GetProxyType(const Networking_ProxyConfig *proxyConfig)
{
    if (!proxyConfig) {
        errno = EFAULT;
        return Networking_ProxyType_Invalid;
    }
    return proxyConfig->type;
}

const char *Networking_Proxy_GetProxyUsername(const Networking_ProxyConfig *proxyConfig)
{
    if (!proxyConfig) {
        errno = EFAULT;
        return NULL;
    }
    return proxyConfig->username;
}

const char *Networking_Proxy_GetProxyPassword(const Networking_ProxyConfig *proxyConfig)
{
    if (!proxyConfig) {
        errno = EFAULT;
        return NULL;
    }
    return proxyConfig->password;
}

Networking_ProxyAuthType Networking_Proxy_GetAuthType(const Networking_ProxyConfig *proxyConfig)
{
    if (!proxyConfig) {
        errno = EFAULT;
        return Networking_ProxyAuthType_Invalid;
    }
    return proxyConfig->auth;
}

const char *Networking_Proxy_GetNoProxyAddresses(const Networking_ProxyConfig *proxyConfig)
{
    if (!proxyConfig) {
        errno = EFAULT;
        return NULL;
    }
    return proxyConfig->no_proxy;
}
