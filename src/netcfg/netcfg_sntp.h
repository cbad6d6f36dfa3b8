/* SPDX-License-Identifier: MIT */
/*
 * netcfg_sntp.h — SNTP (RFC 4330) for the device's own clock: a client that asks an NTP server
 * for the time, and a responder that serves the device's time on a private interface
 * (Networking_SntpServer_Start; docs/netconfig.md). Times are Unix nanoseconds.
 */
#ifndef OPENSPHERE_NETCFG_SNTP_H
#define OPENSPHERE_NETCFG_SNTP_H

#include <stdint.h>

/* Asks server (an IPv4 literal or a name the host resolves) on UDP port 123, waiting up to
 * timeout_ms. *server_ns is the server's transmit time corrected by half the round trip, as of
 * the moment the answer arrived; *host_ns the host's CLOCK_REALTIME then. 0, -ETIMEDOUT,
 * -ENOENT (name does not resolve), -EPROTO (not a usable server answer), or a socket error. */
int netcfg_sntp_query(const char *server, int timeout_ms, int64_t *server_ns, int64_t *host_ns);

/* Serves SNTP on addr:port (network order; port 123 normally) from a thread, answering with
 * now_ns() (the device's clock) at stratum 1, reference "OSPH". *handle for stop. */
struct netcfg_sntp_server;
int netcfg_sntp_serve(uint32_t addr, uint16_t port, int64_t (*now_ns)(void), struct netcfg_sntp_server **handle);
void netcfg_sntp_stop(struct netcfg_sntp_server *s);

#endif
