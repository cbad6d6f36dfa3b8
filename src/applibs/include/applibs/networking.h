/* applibs/networking.h — OpenSphere Applibs: network status, and the OpenSphere extensions that
 * give an app its sockets (docs/network.md).
 *
 * An app's container has no network of its own and may not call socket(), connect() or bind():
 * every socket it uses is made by the device after checking the app's manifest, and handed in.
 *
 *   Networking_IsNetworkingReady     true when the device has an interface (other than loopback)
 *                                    up with an IPv4 address.
 *   Networking_GetInterfaceConnectionStatus("eth0", …)  the device's interface bits (the
 *                                    simulated device has one interface, "eth0"; others ENODEV).
 *                                    "wlan0" gives the same bits; both are 0 while no stored Wi-Fi
 *                                    network is connected (docs/wifi.md).
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
#include <netinet/in.h>
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
