/* SPDX-License-Identifier: MIT */
/*
 * netcfg_device.h — the network configuration of the device this process simulates (sphered is
 * one device), shared by the broker (libapplibs' networking.h), the network mediation and the
 * REST API (the /net/ paths), like wifi_device.h. One instance, one mutex.
 *
 * Until netcfg_device_open succeeds (runtime unit tests without sphered) there is none:
 * netcfg_device_lock returns NULL (the broker answers EAGAIN, "the networking stack isn't ready
 * yet") and the interface bits are wlan0's alone, as before this component existed.
 *
 * The board file says whether the device has eth0: a top-level member
 *   "Ethernet": {"Interface": "eth0"}   or   {"Interface": "eth0", "HostInterface": "NAME"}
 * in <state>/board.json (docs/netconfig.md). With HostInterface, NAME (an interface in sphered's
 * network namespace) is eth0 for real (netcfg_host.h). Anything else refuses the device's start.
 *
 * Network time: the device's clock is the host's CLOCK_REALTIME plus an offset (netcfg.json).
 * A sync asks the configured NTP server (custom: primary, then secondary; automatic: the servers
 * eth0's DHCP lease named; then, with the fallback option or in default mode, the default server
 * — sphered's environment OPENSPHERE_DEFAULT_NTP_SERVER, none when unset, so that a simulated
 * device never contacts a public server by itself) and sets the offset. sphered syncs after each
 * time configuration change and every NETCFG_SYNC_SECONDS while time sync is enabled.
 */
#ifndef OPENSPHERE_NETCFG_DEVICE_H
#define OPENSPHERE_NETCFG_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netcfg.h"

/* Networking_InterfaceConnectionStatus bits (applibs/networking.h). */
#define NETCFG_STATUS_UP 1u
#define NETCFG_STATUS_CONNECTED 2u
#define NETCFG_STATUS_IP 4u

#define NETCFG_SYNC_SECONDS 300

/* Reads whether the board has eth0 from dir/board.json (a missing file: no). 0 or -EINVAL + why. */
int netcfg_board_has_eth0(const char *dir, bool *has_eth0, char *why, size_t why_size);
/* The same, and the host interface that is eth0 ("" when none; host_size >= 16). */
int netcfg_board_eth0(const char *dir, bool *has_eth0, char *host, size_t host_size, char *why, size_t why_size);
/* Opens the device's configuration from its state folder (board.json, netcfg.json). */
int netcfg_device_open(const char *state_dir, char *why, size_t why_size);
void netcfg_device_close(void);
/* Locks and returns the device's configuration, or NULL (nothing locked) when none is open. */
struct netcfg *netcfg_device_lock(void);
void netcfg_device_unlock(void);

/* An interface's status bits given the Wi-Fi link (wlan0 associated) and whether the host has
 * an IPv4 interface up (net_ready). -ENOENT no such interface (none open: only "wlan0" and, for
 * compatibility, "eth0" as wlan0's alias). */
int netcfg_status_bits(struct netcfg *n, const char *name, bool wifi_link, bool host_ready, uint32_t *bits);
/* The union of all interfaces' bits: IpAvailable when some enabled interface has an address. */
uint32_t netcfg_device_status(bool wifi_link, bool host_ready);

/* The device clock: CLOCK_REALTIME + the configured offset, in nanoseconds since the epoch. */
int64_t netcfg_device_now_ns(void);
/* Sets the device clock to unix_ns (the host's clock is never changed). 0, -EAGAIN none open. */
int netcfg_device_set_time(int64_t unix_ns);
/* Syncs the device clock now (see above): 0, or the error and why ("no NTP server configured",
 * "10.88.0.1: timed out"…). Waits up to ~3 s per server. */
int netcfg_device_time_sync(char *why, size_t why_size);
/* A new descriptor of the device clock's page (memfd, 8-byte offset at 0, sealed against new
 * writable mappings): -errno when there is none. The caller owns it. */
int netcfg_device_clock_fd(void);
/* eth0's address on its host interface (0 when none or no host interface). */
uint32_t netcfg_device_eth0_address(void);

#endif
