/* SPDX-License-Identifier: MIT */
/*
 * netcfg_host.h — makes the device's eth0 configuration real on a host network interface
 * (docs/netconfig.md). When the board file names one ("Ethernet": {"Interface": "eth0",
 * "HostInterface": "NAME"}), NAME — an interface in sphered's network namespace, e.g. one end of
 * a veth pair a test creates — is the device's eth0:
 *   enabled/disabled      `ip link set NAME up|down`
 *   static address        `ip addr flush` + `ip addr add A/P` (+ `ip route replace default via G`)
 *   DHCP client           Debian's udhcpc (one lease, -q), with OpenSphere's script (state folder:
 *                         udhcpc.script) that sets the address and writes dhcp-lease.env
 *                         (ip, subnet, router, dns, ntpsrv); ReleaseIp flushes the address
 *   DHCP server           Debian's dnsmasq (DHCP only: --port=0), a child of sphered, confined to
 *                         NAME (--interface, --bind-interfaces), dropping to nobody
 *   SNTP server           netcfg_sntp.c's responder on the static address, port 123
 * A worker thread applies each new configuration (netcfg_host_kick), so callers never wait on a
 * DHCP exchange. Without a host interface nothing here runs: eth0 is the model alone.
 */
#ifndef OPENSPHERE_NETCFG_HOST_H
#define OPENSPHERE_NETCFG_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netcfg.h"

/* What the worker applies: eth0's part of the configuration. */
struct netcfg_host_state {
    bool enabled;
    struct netcfg_ip ip;
    bool lease_released;
    unsigned renew; /* bumped by RenewIp: ask again */
    struct netcfg_dhcp_server dhcp_server;
    bool sntp_server;
};

/* Starts the worker for host interface ifname (state_dir for the script, lease and dnsmasq
 * files; now_ns the device clock for the SNTP responder). */
int netcfg_host_start(const char *ifname, const char *state_dir, int64_t (*now_ns)(void));
/* Hands the worker a new state to apply (returns at once). */
void netcfg_host_kick(const struct netcfg_host_state *want);
/* Stops the worker, dnsmasq and the responder; leaves the interface as it is. */
void netcfg_host_stop(void);
/* The host interface's IPv4 address now (network order), 0 when none or no host interface. */
uint32_t netcfg_host_address(void);
/* The NTP servers the last DHCP lease named (up to max, IPv4 network order): the count. */
size_t netcfg_host_dhcp_ntp(uint32_t *out, size_t max);
/* The DNS servers the last DHCP lease named (as netcfg_host_dhcp_ntp). */
size_t netcfg_host_dhcp_dns(uint32_t *out, size_t max);
/* Waits up to ms for the worker to have applied everything kicked so far: 0 or -ETIMEDOUT. */
int netcfg_host_settle(int ms);

#endif
