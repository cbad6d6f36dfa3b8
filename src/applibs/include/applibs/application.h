/* SPDX-License-Identifier: MIT */
/* applibs/application.h — OpenSphere Applibs: this application and its partners.
 *
 * Application_Connect(componentId) opens a channel to a real-time capable app (docs/intercore.md)
 * and returns a connected, pollable SOCK_SEQPACKET socket: each send/recv carries one message of
 * at most 1040 bytes (send/write of more fail with EMSGSIZE). The caller owns the descriptor.
 * Errors (-1 and errno):
 *   EINVAL        componentId is not a GUID "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (either case)
 *   EACCES        this app's AllowedApplicationConnections does not list componentId, or the
 *                 partner's manifest does not list this app (IDs compared ignoring case), or the
 *                 partner is not a real-time capable app (high-level to high-level is refused)
 *   ECONNREFUSED  the partner is not installed, or installed but not running
 * When the RTApp stops or restarts, the device closes the socket: recv returns 0 and send fails
 * with EPIPE; connect again once it runs. Connecting again replaces the previous channel. */
#pragma once
#include <stdbool.h>
#ifdef __cplusplus
extern "C" {
#endif
int Application_Connect(const char *componentId);
int Application_IsDeviceAuthReady(bool *outIsDeviceAuthReady);
#ifdef __cplusplus
}
#endif
