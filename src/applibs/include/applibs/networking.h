/* applibs/networking.h — OpenSphere Applibs: network status (configuration arrives with the
 * network issue). Until then a simulated device has no network interface up: every app is
 * told the network is not ready. */
#pragma once
#include <stdbool.h>
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
#ifdef __cplusplus
}
#endif
