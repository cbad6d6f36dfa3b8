/* SPDX-License-Identifier: MIT */
/* applibs/networking.h — OpenSphere Applibs: network status, and the OpenSphere extensions that
 * give an app its sockets (docs/network.md).
 *
 * An app's container has no network of its own and may not call socket(), connect() or bind():
 * every socket it uses is made by the device after checking the app's manifest, and handed in.
 *
 *   Networking_IsNetworkingReady     true when the device has an interface (other than loopback)
 *                                    up with an IPv4 address.
 *   Networking_GetInterfaceConnectionStatus("wlan0", …)  an interface's bits: wlan0 always,
 *                                    eth0 when the board file gives the device Ethernet; others
 *                                    ENODEV. wlan0's are 0 while no stored Wi-Fi network is
 *                                    connected (docs/wifi.md).
 *   The configuration API below (interfaces, IP, DHCP/SNTP servers, time, proxy): docs/netconfig.md.
 *
 * OpenSphere extensions (not in Azure Sphere's Applibs; return -1 and set errno on failure):
 *   OpenSphere_Networking_Resolve    resolves a host name listed in AllowedConnections through the
 *                                    device's resolver; only these answers (until their TTL ends)
 *                                    and listed IPv4 literals may be connected to.
 *                                    EACCES not listed, ENOENT no such host, EINVAL bad name.
 *   OpenSphere_Networking_Connect    a connected socket to addr:port. SOCK_STREAM gives a TCP
 *                                    socket; SOCK_DGRAM a SOCK_SEQPACKET socket whose datagrams
 *                                    the device relays to and from addr:port over UDP (send/recv).
 *                                    EACCES not allowed, ECONNREFUSED, ETIMEDOUT, EINVAL.
 *   OpenSphere_Networking_Listen     SOCK_STREAM: a listening TCP socket on a port
 *                                    AllowedTcpServerPorts lists (accept() works on it).
 *                                    SOCK_DGRAM: a port AllowedUdpServerPorts lists, as a
 *                                    SOCK_SEQPACKET socket whose messages are a struct
 *                                    broker_udp_header (the peer) then the datagram; replies go
 *                                    only to peers that sent lately (docs/network.md). Plain
 *                                    bind()+recvfrom()/sendto() hide the header. EACCES not
 *                                    listed, EADDRINUSE held by another app or process.
 * Addresses are in network byte order (struct in_addr).
 */
#pragma once
#include <net/if.h>
#include <netinet/in.h>
#include <sys/types.h>
#include <time.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#ifndef NETWORKING_STRUCTS_VERSION
#define NETWORKING_STRUCTS_VERSION 1
#endif
#if NETWORKING_STRUCTS_VERSION != 1
#error "NETWORKING_STRUCTS_VERSION must be 1"
#endif
#ifdef __cplusplus
extern "C" {
#endif
typedef uint32_t Networking_InterfaceConnectionStatus;
enum {
    Networking_InterfaceConnectionStatus_InterfaceUp = 1 << 0,
    Networking_InterfaceConnectionStatus_ConnectedToNetwork = 1 << 1,
    Networking_InterfaceConnectionStatus_IpAvailable = 1 << 2,
    Networking_InterfaceConnectionStatus_ConnectedToInternet = 1 << 3,
};
int Networking_IsNetworkingReady(bool *outIsNetworkingReady);
int Networking_GetInterfaceConnectionStatus(const char *networkInterfaceName,
                                            Networking_InterfaceConnectionStatus *outStatus);

/* ---- Interfaces (docs/netconfig.md). The device has wlan0, and eth0 when its board file says so.
 * Errors: EFAULT NULL, ENOENT no such interface (GetInterfaceConnectionStatus: ENODEV, as before),
 * EACCES without the NetworkConfig capability (SetInterfaceState, IpConfig_*), EPERM an
 * operation the interface does not allow, EAGAIN the device's network configuration is not
 * ready, EINVAL a bad address or mask (the device log says which). */
typedef uint8_t Networking_InterfaceMedium_Type;
enum {
    Networking_InterfaceMedium_Unspecified = 0,
    Networking_InterfaceMedium_Wifi = 1,
    Networking_InterfaceMedium_Ethernet = 2,
};
typedef enum {
    Networking_IpType_DhcpNone = 0,
    Networking_IpType_DhcpClient = 1,
} Networking_IpType;
typedef uint8_t Networking_IpType_Type;

struct z__Networking_NetworkInterface_Base {
    uint32_t z__magicAndVersion;
};
#define z__NETWORKING_NETWORK_INTERFACE_STRUCT_MAGIC 0xfa9a0000
struct z__Networking_NetworkInterface_v1 {
    uint32_t z__magicAndVersion;
    bool isEnabled;
    char interfaceName[IF_NAMESIZE];
    uint32_t reserved;
    Networking_IpType_Type ipConfigurationType;
    Networking_InterfaceMedium_Type interfaceMediumType;
};
typedef struct z__Networking_NetworkInterface_v1 Networking_NetworkInterface;

ssize_t Networking_GetInterfaceCount(void);
ssize_t z__Networking_GetInterfaces(struct z__Networking_NetworkInterface_Base *outNetworkInterfacesArray,
                                    size_t networkInterfacesArrayCount, uint32_t networkInterfaceStructVersion);
/* Fills up to networkInterfacesArrayCount entries; EFAULT NULL, ERANGE a count of 0. */
static inline ssize_t Networking_GetInterfaces(Networking_NetworkInterface *outNetworkInterfacesArray,
                                               size_t networkInterfacesArrayCount)
{
    return z__Networking_GetInterfaces((struct z__Networking_NetworkInterface_Base *)(void *)outNetworkInterfacesArray,
                                       networkInterfacesArrayCount, NETWORKING_STRUCTS_VERSION);
}
/* A disabled interface carries no app traffic (resolve and connect: ENETUNREACH when no enabled
 * interface has an address). */
int Networking_SetInterfaceState(const char *networkInterfaceName, bool isEnabled);

/* ---- Hardware addresses. Set: HardwareAddressConfig (EACCES), Ethernet interfaces only (EPERM),
 * persisted; EINVAL a group or all-zero address, ERANGE a length over HARDWARE_ADDRESS_LENGTH. */
#define HARDWARE_ADDRESS_LENGTH 6
typedef struct Networking_Interface_HardwareAddress {
    uint8_t address[HARDWARE_ADDRESS_LENGTH];
} Networking_Interface_HardwareAddress;
int z__Networking_SetHardwareAddress(const char *networkInterfaceName, const uint8_t *hardwareAddress,
                                     size_t hardwareAddressLength);
int z__Networking_GetHardwareAddress(const char *networkInterfaceName, Networking_Interface_HardwareAddress *outAddress);
static inline int Networking_SetHardwareAddress(const char *networkInterfaceName, const uint8_t *hardwareAddress,
                                                size_t hardwareAddressLength)
{
    return z__Networking_SetHardwareAddress(networkInterfaceName, hardwareAddress, hardwareAddressLength);
}
static inline int Networking_GetHardwareAddress(const char *networkInterfaceName,
                                                Networking_Interface_HardwareAddress *outAddress)
{
    return z__Networking_GetHardwareAddress(networkInterfaceName, outAddress);
}

/* ---- IP configuration (NetworkConfig). An opaque value the app keeps on its stack. */
typedef struct Networking_IpConfig {
    uint64_t reserved[5];
} Networking_IpConfig;
void Networking_IpConfig_Init(Networking_IpConfig *ipConfig);
void Networking_IpConfig_Destroy(Networking_IpConfig *ipConfig);
void Networking_IpConfig_EnableDynamicIp(Networking_IpConfig *ipConfig);
void Networking_IpConfig_EnableStaticIp(Networking_IpConfig *ipConfig, struct in_addr ipAddress,
                                        struct in_addr subnetMask, struct in_addr gatewayAddress);
void Networking_IpConfig_EnableAutomaticDns(Networking_IpConfig *ipConfig);
/* 1-3 servers: EINVAL otherwise (ERANGE over 3), EFAULT NULL. */
int Networking_IpConfig_EnableCustomDns(Networking_IpConfig *ipConfig, const struct in_addr *dnsServerAddresses,
                                        size_t serverCount);
int Networking_IpConfig_Apply(const char *networkInterfaceName, const Networking_IpConfig *ipConfig);
/* The DHCP lease: EPERM on an interface with a static address. */
int Networking_IpConfig_ReleaseIp(const char *networkInterfaceName);
int Networking_IpConfig_RenewIp(const char *networkInterfaceName);

/* ---- Private network services: DHCP server (DhcpService), SNTP server (SntpService). The
 * interface needs a static address first (EPERM). */
typedef struct Networking_DhcpServerConfig {
    uint64_t reserved[8];
} Networking_DhcpServerConfig;
void Networking_DhcpServerConfig_Init(Networking_DhcpServerConfig *dhcpServerConfig);
void Networking_DhcpServerConfig_Destroy(Networking_DhcpServerConfig *dhcpServerConfig);
int Networking_DhcpServerConfig_SetLease(Networking_DhcpServerConfig *dhcpServerConfig, struct in_addr startIpAddress,
                                         uint8_t ipAddressCount, struct in_addr subnetMask,
                                         struct in_addr gatewayAddress, uint32_t leaseTimeInHours);
/* At most 3 (ERANGE). */
int Networking_DhcpServerConfig_SetNtpServerAddresses(Networking_DhcpServerConfig *dhcpServerConfig,
                                                      const struct in_addr *ntpServerAddresses, size_t serverCount);
int Networking_DhcpServer_Start(const char *networkInterfaceName, const Networking_DhcpServerConfig *dhcpServerConfig);

typedef struct Networking_SntpServerConfig {
    uint64_t reserved[3];
} Networking_SntpServerConfig;
void Networking_SntpServerConfig_Init(Networking_SntpServerConfig *sntpServerConfig);
void Networking_SntpServerConfig_Destroy(Networking_SntpServerConfig *sntpServerConfig);
int Networking_SntpServer_Start(const char *networkInterfaceName, const Networking_SntpServerConfig *sntpServerConfig);

/* ---- Network time (TimeSyncConfig; GetEnabled needs none). */
typedef uint32_t Networking_NtpOption;
enum {
    Networking_NtpOption_FallbackServerDisabled = 0,
    Networking_NtpOption_FallbackServerEnabled = 1,
};
int Networking_TimeSync_GetEnabled(bool *outIsEnabled);
int Networking_TimeSync_SetEnabled(bool enabled);
int Networking_TimeSync_EnableDefaultNtp(void);
/* primary: a host name or IPv4 address of 1-63 characters; secondary NULL or the same. EINVAL. */
int Networking_TimeSync_EnableCustomNtp(const char *primaryNtpServer, const char *secondaryNtpServer,
                                        Networking_NtpOption option);
int Networking_TimeSync_EnableAutomaticNtp(Networking_NtpOption option);
/* ENOENT before the first sync; ENOBUFS when outNtpServer is too small (*inOutNtpServerLength
 * then says how large it must be). Times are UTC. */
int Networking_TimeSync_GetLastNtpSyncInfo(char *outNtpServer, size_t *inOutNtpServerLength,
                                           struct tm *outTimeBeforeSync, struct tm *outNtpTime);

/* ---- HTTP proxy (Apply: NetworkConfig; Get: NetworkConfig or ReadNetworkProxyConfig). */
#define PROXY_ADDRESS_MAX_LENGTH 255
#define PROXY_NO_PROXY_ADDRESSES_MAX_LENGTH 255
#define PROXY_USERNAME_MAX_LENGTH 63
#define PROXY_PASSWORD_MAX_LENGTH 63
typedef uint32_t Networking_ProxyOptions;
enum {
    Networking_ProxyOptions_None = 1 << 0,
    Networking_ProxyOptions_Enabled = 1 << 1,
};
typedef int8_t Networking_ProxyType;
enum {
    Networking_ProxyType_Invalid = -1,
    Networking_ProxyType_HTTP = 0,
};
typedef int8_t Networking_ProxyAuthType;
enum {
    Networking_ProxyAuthType_Invalid = -1,
    Networking_ProxyAuthType_Anonymous = 0,
    Networking_ProxyAuthType_Basic = 1,
};
typedef struct Networking_ProxyConfig Networking_ProxyConfig;
/* Enabled, HTTP, no address, anonymous. NULL + ENOMEM. */
Networking_ProxyConfig *Networking_Proxy_Create(void);
void Networking_Proxy_Destroy(Networking_ProxyConfig *proxyConfig);
/* EACCES, EFAULT, EINVAL a proxy without an address (or basic authentication without a user). */
int Networking_Proxy_Apply(const Networking_ProxyConfig *proxyConfig);
/* ENOENT none configured. */
int Networking_Proxy_Get(Networking_ProxyConfig *proxyConfig);
int Networking_Proxy_SetProxyOptions(Networking_ProxyConfig *proxyConfig, Networking_ProxyOptions proxyOptions);
/* ERANGE over PROXY_ADDRESS_MAX_LENGTH. */
int Networking_Proxy_SetProxyAddress(Networking_ProxyConfig *proxyConfig, const char *proxyAddress,
                                     uint16_t proxyPort);
int Networking_Proxy_SetAnonymousAuthentication(Networking_ProxyConfig *proxyConfig);
int Networking_Proxy_SetBasicAuthentication(Networking_ProxyConfig *proxyConfig, const char *username,
                                            const char *password);
int Networking_Proxy_SetProxyNoProxyAddresses(Networking_ProxyConfig *proxyConfig, const char *noProxyAddresses);
int Networking_Proxy_GetProxyOptions(const Networking_ProxyConfig *proxyConfig, Networking_ProxyOptions *proxyOptions);
const char *Networking_Proxy_GetProxyAddress(const Networking_ProxyConfig *proxyConfig);
int Networking_Proxy_GetProxyPort(const Networking_ProxyConfig *proxyConfig, uint16_t *proxyPort);
Networking_ProxyType Networking_Proxy_GetProxyType(const Networking_ProxyConfig *proxyConfig);
const char *Networking_Proxy_GetProxyUsername(const Networking_ProxyConfig *proxyConfig);
const char *Networking_Proxy_GetProxyPassword(const Networking_ProxyConfig *proxyConfig);
const char *Networking_Proxy_GetNoProxyAddresses(const Networking_ProxyConfig *proxyConfig);
Networking_ProxyAuthType Networking_Proxy_GetAuthType(const Networking_ProxyConfig *proxyConfig);

/* Returns the number of addresses written (1..max), *ttl_seconds (may be NULL) how long they stay
 * connectable. */
int OpenSphere_Networking_Resolve(const char *host, struct in_addr *addrs, size_t max, unsigned *ttl_seconds);
/* Returns a descriptor. type: SOCK_STREAM or SOCK_DGRAM. port in host byte order. */
int OpenSphere_Networking_Connect(struct in_addr addr, uint16_t port, int type);
/* Returns a listening (TCP) or bound (UDP) descriptor. type: SOCK_STREAM or SOCK_DGRAM. */
int OpenSphere_Networking_Listen(uint16_t port, int type);
#ifdef __cplusplus
}
#endif
