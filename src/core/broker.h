/* SPDX-License-Identifier: MIT */
/*
 * broker.h — the protocol between an app (libapplibs) and its device (the runtime's broker),
 * version 1. Documented in docs/runtime.md.
 *
 * The app inherits one connected SOCK_SEQPACKET socket as file descriptor BROKER_FD. Each
 * request is one struct broker_request; each answer one struct broker_reply, possibly carrying
 * one file descriptor (SCM_RIGHTS) — a GPIO line, the mutable-storage file. The device checks
 * every request against the app's manifest; the app never opens a device path itself.
 */
#ifndef OPENSPHERE_CORE_BROKER_H
#define OPENSPHERE_CORE_BROKER_H

#include <stdint.h>

#define BROKER_FD 3
#define BROKER_VERSION 1

enum broker_op {
    BROKER_GPIO_OPEN_INPUT = 1,  /* a = GPIO id */
    BROKER_GPIO_OPEN_OUTPUT = 2, /* a = GPIO id, b = output mode, c = initial value */
    BROKER_STORAGE_OPEN = 3,     /* the app's mutable-storage file */
    BROKER_STORAGE_DELETE = 4,
    BROKER_CAPABILITY = 5,       /* text = a boolean capability name, or "PowerControls:ForceReboot" */
    BROKER_OS_VERSION = 6,       /* reply text = "25.02" */
    BROKER_POWER = 7,            /* a = 1 reboot, 2 power down (b = seconds), 3 set profile (b) */
    /* System events (docs/runtime.md, "System events"). */
    BROKER_SYSEVENT_REGISTER = 8,   /* a = SysEvent_Events mask; answers the event channel: a
                                       SOCK_SEQPACKET socket carrying struct broker_sysevent */
    BROKER_SYSEVENT_UNREGISTER = 9, /* the device closes its end of the channel */
    BROKER_SYSEVENT_DEFER = 10,     /* a = event, b = minutes */
    BROKER_SYSEVENT_RESUME = 11,    /* a = event */
    BROKER_DEBUG_WAIT = 12,         /* sent by libapplibs before main: answered at once, or, when
                                       the app was started for debugging, once gdbserver has
                                       attached to it (docs/runtime.md, "Debugging") */
    /* The board's buses and converters (docs/board.md); each answers one descriptor. */
    BROKER_UART_OPEN = 32, /* a = UART_Id (4-8 = ISU0-4), b = baud, c = data bits | parity << 8 |
                              stop bits << 16 | flow control << 24 */
    BROKER_I2C_OPEN = 33,  /* a = I2C_InterfaceId (0-4 = ISU0-4) */
    BROKER_SPI_OPEN = 34,  /* a = SPI_InterfaceId, b = chip select (-1 A, -2 B), c = CS polarity */
    BROKER_ADC_OPEN = 35,  /* a = ADC_ControllerId */
    BROKER_PWM_OPEN = 36,  /* a = PWM_ControllerId */
    /* Inter-core communication (docs/intercore.md). */
    BROKER_APP_CONNECT = 64, /* text = the partner RTApp's component ID (any case); answers a
                                connected SOCK_SEQPACKET socket, one message per send/recv */
    /* Networking (docs/network.md): the device makes every socket an app holds. */
    BROKER_NET_STATUS = 96,  /* reply value = Networking_InterfaceConnectionStatus bits of the device */
    BROKER_NET_RESOLVE = 97, /* text = host name; reply value = count, text = uint32 TTL (s), then
                                count IPv4 addresses (network byte order, 4 bytes each) */
    BROKER_NET_CONNECT = 98, /* a = IPv4 address (network byte order), b = port, c = SOCK_STREAM or
                                SOCK_DGRAM; answers the connected descriptor */
    BROKER_NET_LISTEN = 99,  /* a = port, c = SOCK_STREAM or SOCK_DGRAM; answers a listening TCP
                                socket, or for UDP one end of a SOCK_SEQPACKET pair carrying
                                datagrams, each prefixed by struct broker_udp_header */
    /* Wi-Fi configuration, applibs/wificonfig.h (docs/wifi.md). Each needs WifiConfig in the
     * manifest (EACCES), the ones marked EAP also EnterpriseWifiConfig; EAGAIN when the device
     * has no Wi-Fi model. id = a network ID (an index into the stored networks). */
    BROKER_WIFI_ADD_NETWORK = 128,      /* reply value = the new network's id */
    BROKER_WIFI_ADD_DUPLICATE = 129,    /* a = id, text = config name; reply value = new id */
    BROKER_WIFI_FORGET = 130,           /* a = id */
    BROKER_WIFI_FORGET_ALL = 131,       /* persisted at once */
    BROKER_WIFI_STORED_COUNT = 132,     /* reply value = count */
    BROKER_WIFI_STORED_GET = 133,       /* a = index; reply text = struct broker_wifi_network */
    BROKER_WIFI_CURRENT = 134,          /* reply text = struct broker_wifi_bss; ENODATA */
    BROKER_WIFI_CONNECTED_ID = 135,     /* reply value = id; ENOTCONN */
    BROKER_WIFI_SCAN = 136,             /* scans; reply value = count */
    BROKER_WIFI_SCANNED_GET = 137,      /* a = index into the last scan; reply text = struct broker_wifi_bss */
    BROKER_WIFI_SET_SSID = 138,         /* a = id, b = length, text = the SSID's bytes */
    BROKER_WIFI_SET_SECURITY = 139,     /* a = id, b = WifiConfig_Security (3 = EAP) */
    BROKER_WIFI_SET_ENABLED = 140,      /* a = id, b = 0 or 1 */
    BROKER_WIFI_PERSIST = 141,
    BROKER_WIFI_RELOAD = 142,
    BROKER_WIFI_SET_PSK = 143,          /* a = id, b = length, text = the key */
    BROKER_WIFI_SET_TARGETED_SCAN = 144, /* a = id, b = 0 or 1 */
    BROKER_WIFI_GET_IDENTITY = 145,     /* EAP; a = id, b = offset; reply value = full length, text =
                                           up to 95 bytes from offset, NUL-terminated */
    BROKER_WIFI_SET_IDENTITY = 146,     /* EAP; a = id, b = offset, c = full length, text = the bytes
                                           from offset (up to 95); keeps the first b bytes */
    BROKER_WIFI_SET_CONFIG_NAME = 147,  /* a = id, text = name */
    BROKER_WIFI_ID_BY_CONFIG_NAME = 148, /* text = name; reply value = id */
    BROKER_WIFI_DIAGNOSTICS = 149,      /* a = id; reply text = struct broker_wifi_diag; ENODEV */
    BROKER_WIFI_GET_CERT_ID = 150,      /* EAP; a = id, b = 1 root CA, 2 client; reply text = id */
    BROKER_WIFI_SET_CERT_ID = 151,      /* EAP; a = id, b = 1 root CA, 2 client, text = id */
    BROKER_WIFI_STORE_NETWORK = 152,    /* deprecated Store*Network: a = SSID length, b = PSK length
                                           (0: open), text = SSID (32 bytes) then PSK; persisted */
    BROKER_WIFI_FORGET_MATCHING = 153,  /* deprecated ForgetNetwork: a = SSID length, b = security,
                                           text = SSID; ENOENT when none matches */
    /* The certificate store (docs/certstore.md). Requests that carry PEM blobs pass them in one
       descriptor attached to the request (SCM_RIGHTS from the app): the read end of a pipe the
       app has filled and closed. Identifiers travel in text (at most 17 bytes are read). */
    BROKER_CERTSTORE_INSTALL_ROOT_CA = 160, /* text = id, a = certificate length; descriptor */
    BROKER_CERTSTORE_INSTALL_CLIENT = 161,  /* text = id, a = certificate, b = key, c = password
                                               length (-1: none); descriptor: the three in order */
    BROKER_CERTSTORE_DELETE = 162,          /* text = id */
    BROKER_CERTSTORE_COUNT = 163,           /* reply value = count */
    BROKER_CERTSTORE_ID_AT = 164,           /* a = index; reply text = id */
    BROKER_CERTSTORE_SPACE = 165,           /* reply value = bytes available */
    BROKER_CERTSTORE_INFO = 166,            /* text = id, a = BROKER_CERTSTORE_FIELD_*, b = offset;
                                               reply text = the field from b (at most 95 bytes),
                                               value = its whole length */
    BROKER_CERTSTORE_MOVE = 167,            /* text = source id, NUL, destination id */
    /* The device's network configuration (applibs/networking.h; docs/netconfig.md;
     * src/runtime/broker_netcfg.c). Interface names in text (NUL-terminated, < 16). */
    BROKER_NETCFG_IF_COUNT = 192,     /* reply value = number of interfaces */
    BROKER_NETCFG_IF_GET = 193,       /* a = index; reply text = struct broker_net_interface; ERANGE past the end */
    BROKER_NETCFG_IF_STATUS = 194,    /* text = name; reply value = status bits; ENOENT */
    BROKER_NETCFG_SET_STATE = 195,    /* NetworkConfig; text = name, a = 0 or 1 */
    BROKER_NETCFG_IP_APPLY = 196,     /* NetworkConfig; text = struct broker_net_ipconfig */
    BROKER_NETCFG_IP_RELEASE = 197,   /* NetworkConfig; text = name */
    BROKER_NETCFG_IP_RENEW = 198,     /* NetworkConfig; text = name */
    BROKER_NETCFG_DHCP_START = 199,   /* DhcpService; text = struct broker_net_dhcp */
    BROKER_NETCFG_SNTP_START = 200,   /* SntpService; text = name */
    BROKER_NETCFG_STAGE = 201,        /* a = field (BROKER_NETCFG_FIELD_*), b = offset, c = full length,
                                         text = the bytes from offset: a string longer than text, kept
                                         for this app's next TIME_CUSTOM / PROXY_APPLY */
    BROKER_TIME_GET_ENABLED = 202,    /* reply value = 0 or 1 */
    BROKER_TIME_SET_ENABLED = 203,    /* TimeSyncConfig; a = 0 or 1 */
    BROKER_TIME_DEFAULT = 204,        /* TimeSyncConfig */
    BROKER_TIME_CUSTOM = 205,         /* TimeSyncConfig; a = Networking_NtpOption, text = primary, b = 1:
                                         the staged NTP_SECONDARY field is the secondary */
    BROKER_TIME_AUTOMATIC = 206,      /* TimeSyncConfig; a = Networking_NtpOption */
    BROKER_TIME_LAST_SYNC = 207,      /* reply text = struct broker_time_sync; ENOENT before the first */
    BROKER_PROXY_APPLY = 208,         /* NetworkConfig; a = Networking_ProxyOptions, b = port, c = auth
                                         type; the staged PROXY_* fields are the strings */
    BROKER_PROXY_GET = 209,           /* NetworkConfig or ReadNetworkProxyConfig; reply value = options,
                                         text = struct broker_proxy_info; ENOENT none */
    BROKER_PROXY_GET_FIELD = 210,     /* as PROXY_GET; a = field, b = offset; reply value = full length,
                                         text = the bytes from offset */
    BROKER_CLOCK_MAP = 211,           /* answers a memfd (read-only for the app: F_SEAL_FUTURE_WRITE) whose
                                         first 8 bytes are the device clock's offset over the host's
                                         CLOCK_REALTIME (int64 ns, updated in place) */
    BROKER_CLOCK_SET = 212,           /* SystemTime; text = int64 Unix ns: the device's new time */
    BROKER_NETCFG_GET_MAC = 213,      /* text = name; reply text = the 6 bytes */
    BROKER_NETCFG_SET_MAC = 214,      /* HardwareAddressConfig; text = name (16 bytes) then the 6 bytes */
    BROKER_NET_DNS_QUERY = 215,       /* text = name, a = class, b = type: a DNS query through the device's
                                         resolver (res_query); reply value = answer length, and a memfd
                                         holding the answer; EACCES name not allowed (docs/netconfig.md) */
};

/* Fields of BROKER_CERTSTORE_INFO; times are "YYYYMMDDHHMMSS" (UTC). */
enum broker_certstore_field {
    BROKER_CERTSTORE_FIELD_SUBJECT = 1,
    BROKER_CERTSTORE_FIELD_ISSUER = 2,
    BROKER_CERTSTORE_FIELD_NOT_BEFORE = 3,
    BROKER_CERTSTORE_FIELD_NOT_AFTER = 4,
};

/* Wi-Fi replies' text (host byte order; docs/wifi.md). */
struct broker_wifi_network {
    uint8_t ssid[32];
    uint8_t ssid_len, enabled, connected, security;
};
struct broker_wifi_bss { /* a scanned or the connected access point */
    uint8_t ssid[32];
    uint8_t bssid[6];
    uint8_t ssid_len, security;
    uint32_t frequency_mhz;
    int8_t signal_rssi;
    uint8_t reserved[3];
};
struct broker_wifi_diag {
    uint8_t enabled, connected, reserved[2];
    int32_t error;
    int64_t timestamp;
    int32_t cert_error, cert_depth;
    char cert_subject[72]; /* NUL-terminated, truncated */
};

/* Network configuration replies and requests (host byte order; addresses network order). */
enum {
    BROKER_NETCFG_FIELD_NTP_SECONDARY = 1,
    BROKER_NETCFG_FIELD_PROXY_ADDRESS = 2,
    BROKER_NETCFG_FIELD_PROXY_NO_PROXY = 3,
    BROKER_NETCFG_FIELD_PROXY_USERNAME = 4,
    BROKER_NETCFG_FIELD_PROXY_PASSWORD = 5,
};
struct broker_net_interface {
    char name[16];
    uint8_t enabled, ip_type, medium, reserved;
    uint8_t mac[6], reserved2[2];
};
struct broker_net_ipconfig {
    char name[16];
    uint8_t static_ip, custom_dns, dns_count, reserved;
    uint32_t address, netmask, gateway, dns[3];
};
struct broker_net_dhcp {
    char name[16];
    uint32_t start, netmask, gateway, lease_hours, ntp[3];
    uint8_t count, ntp_count, reserved[2];
};
struct broker_time_sync {
    int64_t before, ntp_time; /* Unix seconds */
    char server[64];
};
struct broker_proxy_info {
    uint16_t port;
    int8_t auth_type;
    uint8_t reserved;
};

/* Before each datagram on a UDP server's channel: from the device, who sent it; from the app,
 * whom to send it to (only a peer that has sent to the port lately; docs/network.md). */
struct broker_udp_header {
    uint32_t addr;     /* IPv4 address, network byte order */
    uint16_t port;     /* network byte order */
    uint16_t reserved; /* 0 */
};
#define BROKER_UDP_HEADER_SIZE 8

/* One system event on the event channel (little-endian host order; one message each). */
struct broker_sysevent {
    uint32_t event;                /* SysEvent_Events: one bit */
    uint32_t status;               /* SysEvent_Status */
    uint32_t max_deferral_minutes; /* what is left of the update's deferral allowance */
    uint32_t update_type;          /* SysEvent_UpdateType; 0 for NoUpdateAvailable */
};

/* The largest inter-core message payload (RTCORE-FACTS: 1040 bytes). */
#define BROKER_INTERCORE_MAX_PAYLOAD 1040

struct broker_request {
    uint32_t version;
    uint32_t op;
    int32_t a, b, c;
    char text[96];
};

struct broker_reply {
    int32_t result; /* 0, or a negative errno for the Applibs call to return */
    int32_t value;
    char text[96];
};

#endif
