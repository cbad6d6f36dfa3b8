/* SPDX-License-Identifier: MIT */
/*
 * net.h — the device's side of network confinement (docs/network.md).
 *
 * An app has no network of its own: its container's network namespace is empty and its seccomp
 * filter refuses socket(), connect() and bind(). Every socket it holds was made by the device,
 * in the device's network namespace, after the checks below, and handed in over the broker:
 *
 *   - resolve: a host name the manifest's AllowedConnections lists (case-insensitive), looked up
 *     first in the device's static hosts (`sphere sim hosts`), else upstream: the DNS servers the
 *     caller names (A records through the C library's resolver, res_nquery; the caller picks the
 *     device's DNS servers, broker_network.c), or without any, the host's resolver (getaddrinfo,
 *     IPv4). Each answer is remembered for that app until its TTL ends (static entries carry
 *     their own TTL; a DNS server's answer its records' smallest, at least NET_UPSTREAM_TTL;
 *     getaddrinfo's NET_UPSTREAM_TTL seconds, because getaddrinfo does not report one).
 *   - connect: to an IPv4 address that is an AllowedConnections literal, or that a resolve for
 *     this app returned and whose TTL has not run out. The device makes the socket and connects
 *     it itself from the values in the request (the app cannot change them after the check).
 *     TCP: the connected socket is handed in. UDP: the app gets one end of an AF_UNIX
 *     SOCK_SEQPACKET pair; a device thread relays datagrams to and from the connected UDP socket
 *     (a real UDP socket would let sendto() name any destination).
 *   - listen: a TCP port the manifest's AllowedTcpServerPorts lists; the device binds it on all
 *     addresses and hands in the listening socket. A UDP port AllowedUdpServerPorts lists: the
 *     device binds it and the app gets one end of an AF_UNIX SOCK_SEQPACKET pair; each message
 *     is a struct broker_udp_header then the datagram. A device thread hands in every datagram
 *     with its source, and sends the app's only to a peer that has sent to the port within
 *     NET_UDP_PEER_SECONDS (one of the last NET_UDP_PEERS peers), dropping the rest. The kernel
 *     refuses a second bind of a port (no SO_REUSEADDR for UDP), so two apps never share one at
 *     run time (EADDRINUSE).
 *
 * Refusals are -EACCES (not allowed by the manifest), -EAFNOSUPPORT (not IPv4), -ENOENT (a
 * listed name that does not resolve), -EINVAL (bad arguments). Thread-safe (one mutex): the
 * broker (runtime thread and broker_pool's workers) and the REST server (its threads) use it.
 */
#ifndef OPENSPHERE_RUNTIME_NET_H
#define OPENSPHERE_RUNTIME_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "json.h"

#define NET_UPSTREAM_TTL 60 /* seconds an upstream answer stays usable */
#define NET_MAX_ADDRS 16    /* addresses one resolve returns at most */
#define NET_CONNECT_TIMEOUT_MS 3000
#define NET_UDP_PEER_SECONDS 120 /* how long a UDP server may answer a peer after its last datagram */
#define NET_UDP_PEERS 64         /* peers a UDP server port remembers (the oldest is replaced) */

/* Static host entries (the simulator's `sphere sim hosts`). name: a host name (1-63 chars of
 * [A-Za-z0-9.-]); address: IPv4 dotted quad; ttl: seconds (1-86400). Several addresses per name
 * are allowed. 0, -EINVAL, -ENOSPC. */
int net_hosts_add(const char *name, const char *address, unsigned ttl);
/* Removes every entry for name; 0 or -ENOENT. */
int net_hosts_remove(const char *name);
/* Keeps the table in the file at path from now on: loads it (a missing file is an empty table)
 * and, after each add or remove, writes it there crash-safely (write-new, fsync, rename). A change
 * that cannot be written is undone and its error returned (-EIO, -ENOSPC…). A bad file: -EINVAL
 * (or -ENOSPC for too many entries) and why = "PATH: JSON path reason", the table unchanged.
 * Format (docs/network.md): [{"name": NAME, "address": "A.B.C.D", "ttl": SECONDS}…]. */
int net_hosts_open(const char *path, char *why, size_t why_size);
/* Replaces the table by the one in text (that format; name labels the errors), without saving
 * it. 0, or -EINVAL/-ENOSPC/-ENOMEM and why (the table unchanged). */
int net_hosts_load_text(const char *name, const char *text, size_t len, char *why, size_t why_size);
/* [{"name","address","ttl"}…], or NULL when out of memory. */
struct json_value *net_hosts_json(void);
/* Empties the table and the answers, and stops keeping the table in a file (tests). */
void net_hosts_clear(void);

/* Resolves name for the app (cid = its component ID text) with that manifest. Writes up to max
 * addresses (network byte order) to addrs, *count and *ttl; 0 or -EACCES/-ENOENT/-EINVAL. */
int net_resolve(const char *cid, const struct json_value *manifest, const char *name, uint32_t *addrs, size_t max,
                size_t *count, unsigned *ttl);
/* DNS servers a resolve asks instead of the host's resolver (network byte order; port 53). */
#define NET_DNS_SERVERS 3
struct net_dns_servers {
    size_t count; /* 0: the host's resolver */
    uint32_t addr[NET_DNS_SERVERS];
};
/* net_resolve, asking dns's servers (NULL or none: the host's resolver) when the name is not a
 * static host; a name they do not know (or that they do not answer): -ENOENT. */
int net_resolve_with(const char *cid, const struct json_value *manifest, const char *name,
                     const struct net_dns_servers *dns, uint32_t *addrs, size_t max, size_t *count, unsigned *ttl);
/* Whether net_resolve answers name without asking the network (a malformed or unlisted name, a
 * literal, a static host), so a caller may run it where it must not wait. */
bool net_resolve_is_local(const struct json_value *manifest, const char *name);
/* Whether the app may connect to addr (network byte order) now. */
bool net_connect_allowed(const char *cid, const struct json_value *manifest, uint32_t addr);
/* A connect in two steps, so that the broker never waits for a peer (broker_network.c).
 * begin: the checks, then a non-blocking socket and its connect started; 0 and *sock, or -EACCES,
 * -EINVAL, or the connect's immediate error. finish: waits up to timeout_ms (0: only looks);
 * -EINPROGRESS if the connect has not ended (sock is still the caller's, to finish later or
 * close); otherwise sock is taken: 0 and *fd, the descriptor to hand in (see above; type
 * SOCK_STREAM or SOCK_DGRAM), or the connect's error (-ECONNREFUSED…). */
int net_connect_begin(const char *cid, const struct json_value *manifest, uint32_t addr, int port, int type, int *sock);
int net_connect_finish(int sock, int type, int timeout_ms, int *fd);
/* Checks, then binds (and for TCP listens on) a port; *fd receives the descriptor to hand in
 * (see above). type: SOCK_STREAM or SOCK_DGRAM. 0 or -EACCES, -EINVAL, -EADDRINUSE. */
int net_listen(const struct json_value *manifest, int port, int type, int *fd);
/* Forgets the app's resolver answers (when it is deleted). */
void net_forget(const char *cid);
/* Whether the device has a network: an interface other than loopback that is up and has an
 * IPv4 address (in the device's network namespace). */
bool net_ready(void);

/* The effective rules of every installed app: [{"componentId","name","allowedConnections":
 * [{"host","addresses":[…unexpired…]}],"tcpServerPorts":[…],"udpServerPorts":[…]}]. Takes the
 * device lock. NULL when out of memory. */
struct json_value *net_firewall_rules(struct device *d);

#endif
