/* SPDX-License-Identifier: MIT */
/*
 * netcfg.h — the simulated device's network configuration (docs/netconfig.md): its interfaces
 * (wlan0 always, eth0 when the board file says so), each one's enabled state, hardware address,
 * IP configuration (DHCP or static, automatic or custom DNS), private-network services (DHCP and
 * SNTP server settings), network time (NTP mode and servers, the device clock's offset over the
 * host's, the last sync) and the HTTP proxy. Pure logic: the one state file, netcfg.json in the
 * device's state folder, goes through src/hostio (hostio_write_file_atomic: new file, fsync,
 * rename, fsync of the folder), so a crash during a write leaves the old file or the new one.
 *
 * Every mutating call validates first, then changes the state, then writes the file; when the
 * write fails the change is undone and the write's error returned (nothing changed). Without a
 * folder (netcfg_open(NULL, …)) nothing is written.
 *
 * Errors (negative errno): -ENOENT no interface of that name, -EINVAL a value out of range (the
 * `why` text, where a call takes one, says which), -EPERM an operation the interface does not
 * allow (a DHCP/SNTP server on an interface without a static address), -ENOMEM, or a write error.
 * Addresses are IPv4 in network byte order. Not thread-safe: netcfg_device.h serialises.
 */
#ifndef OPENSPHERE_NETCFG_H
#define OPENSPHERE_NETCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETCFG_FILE "netcfg.json"
#define NETCFG_MAX_INTERFACES 2
#define NETCFG_NAME_SIZE 16  /* IF_NAMESIZE */
#define NETCFG_MAX_DNS 3     /* custom DNS servers */
#define NETCFG_MAX_NTP 3     /* NTP servers a DHCP server hands out */
#define NETCFG_HOST_SIZE 64  /* an NTP server name: up to 63 characters */
#define NETCFG_PROXY_ADDRESS_SIZE 256 /* device_rest_api.yaml NetworkAddress: up to 255 */
#define NETCFG_PROXY_NOPROXY_SIZE 256 /* comma-separated, up to 255 characters */
#define NETCFG_PROXY_CRED_SIZE 64     /* user name, password: 1-63 characters */

enum netcfg_medium { NETCFG_MEDIUM_WIFI = 1, NETCFG_MEDIUM_ETHERNET = 2 }; /* Networking_InterfaceMedium */

struct netcfg_ip {
    bool static_ip;       /* false: DHCP client (the default) */
    uint32_t address, netmask, gateway;
    bool custom_dns;      /* false: the DNS servers DHCP gives (automatic) */
    uint32_t dns[NETCFG_MAX_DNS];
    uint8_t dns_count;
};

struct netcfg_dhcp_server {
    bool running;
    uint32_t start, netmask, gateway; /* gateway 0: none */
    uint8_t count;                    /* addresses from start, 1-255 */
    uint32_t lease_hours;             /* 1-8760 */
    uint32_t ntp[NETCFG_MAX_NTP];
    uint8_t ntp_count;
};

struct netcfg_interface {
    char name[NETCFG_NAME_SIZE];
    uint8_t medium;       /* enum netcfg_medium */
    bool enabled;
    uint8_t mac[6];
    struct netcfg_ip ip;
    bool lease_released;  /* Networking_IpConfig_ReleaseIp until RenewIp */
    struct netcfg_dhcp_server dhcp_server;
    bool sntp_server;
    unsigned renewals;    /* RenewIp calls (not persisted): the host side asks again */
};

enum netcfg_ntp_mode { NETCFG_NTP_DEFAULT = 0, NETCFG_NTP_CUSTOM = 1, NETCFG_NTP_AUTOMATIC = 2 };

struct netcfg_time {
    bool enabled;         /* time sync on (the default) */
    uint8_t mode;         /* enum netcfg_ntp_mode */
    char primary[NETCFG_HOST_SIZE], secondary[NETCFG_HOST_SIZE]; /* custom mode; secondary may be "" */
    bool fallback;        /* Networking_NtpOption_FallbackServerEnabled */
    int64_t offset_ns;    /* the device's clock minus the host's CLOCK_REALTIME */
    bool synced;          /* a sync has happened (GetLastNtpSyncInfo: ENOENT before) */
    char last_server[NETCFG_HOST_SIZE];
    int64_t last_before, last_ntp; /* device time (Unix seconds) before the sync, and the server's */
};

struct netcfg_proxy {
    bool configured;
    bool enabled;
    char address[NETCFG_PROXY_ADDRESS_SIZE];
    uint16_t port;
    char no_proxy[NETCFG_PROXY_NOPROXY_SIZE];
    bool basic_auth;
    char username[NETCFG_PROXY_CRED_SIZE], password[NETCFG_PROXY_CRED_SIZE];
};

struct netcfg;

/* Opens the configuration kept in dir (NULL: in memory only). has_eth0: the board file gives the
 * device an Ethernet interface. A missing file is the default (both interfaces enabled, DHCP,
 * automatic DNS, time sync on with the default server, offset 0, no proxy). A damaged file is
 * refused: -EINVAL and why = "FILE:LINE:COL: JSON.PATH: reason". */
int netcfg_open(const char *dir, bool has_eth0, struct netcfg **out, char *why, size_t why_size);
void netcfg_close(struct netcfg *n);
/* Replaces the state with the one in text (the file's format); the fuzz target's entry point.
 * On failure the state is unchanged. */
int netcfg_load_text(struct netcfg *n, const char *name, const char *text, size_t len, char *why, size_t why_size);
/* The state as the file's text (malloc'd, NUL-terminated); NULL when out of memory. */
char *netcfg_file_text(const struct netcfg *n);

size_t netcfg_interface_count(const struct netcfg *n);
/* The interface at index, or NULL. */
const struct netcfg_interface *netcfg_interface_at(const struct netcfg *n, size_t index);
/* The interface named so, or NULL. */
const struct netcfg_interface *netcfg_interface(const struct netcfg *n, const char *name);

int netcfg_set_enabled(struct netcfg *n, const char *name, bool enabled);
/* Ethernet interfaces only (-EPERM); -EINVAL a group or all-zero address. */
int netcfg_set_mac(struct netcfg *n, const char *name, const uint8_t mac[6], char *why, size_t why_size);
/* Checks and applies an IP configuration: a static address must be a host address (not 0,
 * loopback, multicast, broadcast, network or broadcast address of its subnet), the mask
 * contiguous and not /0 or /32, a gateway (if not 0) inside the subnet; DNS servers non-zero. */
int netcfg_apply_ip(struct netcfg *n, const char *name, const struct netcfg_ip *ip, char *why, size_t why_size);
/* DHCP lease: -EPERM on a static interface. */
int netcfg_release_ip(struct netcfg *n, const char *name);
int netcfg_renew_ip(struct netcfg *n, const char *name);
/* -EPERM unless the interface has a static address; -EINVAL a pool outside the subnet, a count
 * of 0, a lease of 0 or over 8760 hours. */
int netcfg_start_dhcp_server(struct netcfg *n, const char *name, const struct netcfg_dhcp_server *s, char *why,
                             size_t why_size);
int netcfg_start_sntp_server(struct netcfg *n, const char *name);

const struct netcfg_time *netcfg_time(const struct netcfg *n);
int netcfg_time_set_enabled(struct netcfg *n, bool enabled);
int netcfg_time_default(struct netcfg *n);
/* primary: 1-63 characters of A-Z a-z 0-9 . - (a name or IPv4 literal); secondary NULL or the same. */
int netcfg_time_custom(struct netcfg *n, const char *primary, const char *secondary, bool fallback);
int netcfg_time_automatic(struct netcfg *n, bool fallback);
int netcfg_time_set_offset(struct netcfg *n, int64_t offset_ns);
int netcfg_time_record_sync(struct netcfg *n, const char *server, int64_t before, int64_t ntp_time, int64_t offset_ns);

const struct netcfg_proxy *netcfg_proxy(const struct netcfg *n);
/* address 1-255 characters of A-Z a-z 0-9 . - (name or IPv4), port 1-65535, no_proxy of the same
 * characters and commas, basic auth: user name and password 1-63 printable characters. */
int netcfg_proxy_set(struct netcfg *n, const struct netcfg_proxy *p, char *why, size_t why_size);
int netcfg_proxy_delete(struct netcfg *n);

/* MAC addresses as text: core/hwaddr.h (hwaddr_format, hwaddr_parse). */
/* Whether a name fits an NTP server / proxy host (the characters above, 1..max-1 long). */
bool netcfg_host_valid(const char *host, size_t size);

#endif
