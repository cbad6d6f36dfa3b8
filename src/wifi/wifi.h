/* SPDX-License-Identifier: MIT */
/*
 * wifi.h — the simulated device's Wi-Fi (docs/wifi.md): a radio environment of access points,
 * the stored networks (wificonfig.h's model), scans, the connect decision, per-network
 * diagnostics and the connection that drives wlan0. Pure logic plus crash-safe persistence of
 * two files in the device folder through src/hostio:
 *
 *   wifi.json      the persisted stored networks  {"version":1,"networks":[…]}
 *   wifi-aps.json  the simulated access points    {"version":1,"accessPoints":[…]}
 *
 * A missing file is the documented default (one access point "OpenSphere-Sim", WPA2-PSK, and
 * one stored, enabled network for it, so a device connects at once). A damaged file is refused
 * with "FILE:LINE:COL: json.path: reason" in why, and nothing is loaded.
 *
 * Stored networks live in memory ("the current configuration"); changes through the Applibs
 * setters are effective at once and written to wifi.json only by wifi_persist() (or by the
 * operations documented to persist: wifi_forget_all, the deprecated wifi_store_network, and the
 * REST layer, which persists every change it makes). wifi_reload() reads wifi.json back,
 * dropping unsaved changes, and reconnects.
 *
 * Network IDs are indices into the stored list (0 … count-1), renumbered when one is forgotten,
 * as the platform warns ("the network ID may change as network configurations are added and
 * removed").
 *
 * The connect decision (wifi_evaluate, run after every change): each enabled stored network with
 * an SSID is tried against the access points in range with that SSID (hidden ones only with
 * targeted scan); the strongest one whose security and credentials match makes the network
 * viable, else the network's diagnostic records why (WIFI_ERR_*). The connected network stays
 * while it is viable; otherwise the viable network on the strongest access point (lowest ID on a
 * tie) is connected. EAP-TLS credentials are checked through ops->cert_kind.
 *
 * Errors: 0 or a negative errno; each function lists its own. Not thread-safe: callers lock
 * (wifi_device.h does, for the device's one instance).
 */
#ifndef OPENSPHERE_WIFI_H
#define OPENSPHERE_WIFI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_value;

#define WIFI_MAX_NETWORKS 37   /* stored networks (our choice, docs/wifi.md: the figure we recall, unverified) */
#define WIFI_MAX_APS 64        /* simulated access points */
#define WIFI_SSID_MAX 32       /* WIFICONFIG_SSID_MAX_LENGTH */
#define WIFI_PSK_MAX 64        /* WIFICONFIG_WPA2_KEY_MAX_BUFFER_SIZE */
#define WIFI_CONFIG_NAME_MAX 16 /* WIFICONFIG_CONFIG_NAME_MAX_LENGTH */
#define WIFI_IDENTITY_MAX 254  /* WIFICONFIG_EAP_IDENTITY_MAX_LENGTH */
#define WIFI_CERT_ID_MAX 16    /* CERTSTORE_MAX_IDENTIFIER_LENGTH */
#define WIFI_SUBJECT_MAX 80    /* what the diagnostics keep of a certificate's subject */

/* WifiConfig_Security values. */
enum wifi_security { WIFI_SEC_UNKNOWN = 0, WIFI_SEC_OPEN = 1, WIFI_SEC_PSK = 2, WIFI_SEC_EAP_TLS = 3 };

/* WifiConfig_NetworkDiagnostics.error values (the platform's). */
enum wifi_error {
    WIFI_ERR_NONE = 0,
    WIFI_ERR_CONNECTION_FAILED = 1,
    WIFI_ERR_NETWORK_NOT_FOUND = 2,
    WIFI_ERR_NO_PSK = 3,
    WIFI_ERR_WRONG_KEY = 4,
    WIFI_ERR_AUTHENTICATION_FAILED = 5,
    WIFI_ERR_SECURITY_MISMATCH = 6,
};

/* WifiConfig_NetworkDiagnostics.certError values (the platform's). */
enum wifi_cert_error {
    WIFI_CERT_OK = 0,
    WIFI_CERT_NOT_FOUND = 100,
    WIFI_CERT_INVALID_ROOT_CA = 101,
    WIFI_CERT_INVALID_CLIENT_AUTH = 102,
};

/* What ops->cert_kind answers for an installed certificate. */
#define WIFI_CERT_KIND_ROOT_CA 1
#define WIFI_CERT_KIND_CLIENT 2

enum wifi_cert_slot { WIFI_CERT_ROOT_CA = 1, WIFI_CERT_CLIENT = 2 };

struct wifi_ops {
    /* The certificate store: WIFI_CERT_KIND_ROOT_CA or _CLIENT for an installed certificate,
     * -ENOENT when none has that id. NULL: no certificate is installed. */
    int (*cert_kind)(void *ctx, const char *id);
    void *ctx;
};

struct wifi_ap {
    uint8_t ssid[WIFI_SSID_MAX];
    uint8_t ssid_len;               /* 1-32 */
    uint8_t bssid[6];
    uint8_t security;               /* WIFI_SEC_OPEN, _PSK or _EAP_TLS */
    uint32_t frequency_mhz;         /* 2412-2484 or 5150-5895 */
    int8_t signal_dbm;              /* -100 … 0 */
    bool hidden;                    /* not in scans; reached only with targeted scan */
    char psk[WIFI_PSK_MAX + 1];     /* PSK networks: 8-63 characters or 64 hex digits */
};

struct wifi_diag {
    int32_t error;                  /* enum wifi_error */
    int64_t timestamp;              /* Unix seconds */
    int32_t cert_error;             /* enum wifi_cert_error, with WIFI_ERR_AUTHENTICATION_FAILED */
    int32_t cert_depth;             /* 0 the client certificate, 1 the root CA; -1 none */
    char cert_subject[WIFI_SUBJECT_MAX + 1];
};

struct wifi_network {
    uint8_t ssid[WIFI_SSID_MAX];
    uint8_t ssid_len;               /* 0 = not set yet */
    uint8_t security;               /* enum wifi_security */
    bool enabled;
    bool targeted_scan;
    char psk[WIFI_PSK_MAX + 1];     /* "" = none */
    char config_name[WIFI_CONFIG_NAME_MAX + 1];
    char client_identity[WIFI_IDENTITY_MAX + 1];
    char client_cert_id[WIFI_CERT_ID_MAX + 1];
    char root_ca_id[WIFI_CERT_ID_MAX + 1];
    /* state, not persisted */
    bool connected;
    bool has_diag;
    struct wifi_diag diag;
};

struct wifi;

/* Opens the Wi-Fi of the device whose state folder is dir (NULL: in memory only, never
 * written), loading both files or the defaults. ops may be NULL. 0, -ENOMEM, or -EINVAL with
 * why = "FILE:LINE:COL: path: reason" (also for an unreadable file: -EIO and why). */
int wifi_open(const char *dir, const struct wifi_ops *ops, struct wifi **out, char *why, size_t why_size);
void wifi_close(struct wifi *w);

/* Parse a file's text into w (replacing its networks or its access points), without saving.
 * name labels the errors. 0, -EINVAL/-ENOMEM and why (w unchanged). */
int wifi_load_networks_text(struct wifi *w, const char *name, const char *text, size_t len, char *why, size_t why_size);
int wifi_load_aps_text(struct wifi *w, const char *name, const char *text, size_t len, char *why, size_t why_size);
/* The files' contents for w's current state; NULL when out of memory. Caller frees. */
struct json_value *wifi_networks_file_json(const struct wifi *w);
struct json_value *wifi_aps_file_json(const struct wifi *w);

/* ---- stored networks (wificonfig.h) ------------------------------------------------------- */
size_t wifi_network_count(const struct wifi *w);
/* The network with that ID, or NULL. */
const struct wifi_network *wifi_network(const struct wifi *w, int id);
/* A new, empty, disabled network (security unknown; the samples enable it once configured); its ID, or -ENOMEM at WIFI_MAX_NETWORKS. */
int wifi_add_network(struct wifi *w);
/* A disabled copy of network id named config_name; its ID. -ENODEV (no such id), -EINVAL
 * (negative id), -ERANGE (name empty or longer than 16), -EEXIST (name in use), -ENOMEM. */
int wifi_add_duplicate(struct wifi *w, int id, const char *config_name);
/* Setters: -EINVAL (negative id, bad value), -ENODEV (no such id), -ERANGE (too long/empty). */
int wifi_set_ssid(struct wifi *w, int id, const uint8_t *ssid, size_t len);              /* 1-32 bytes */
int wifi_set_security(struct wifi *w, int id, int security);                            /* 1-3 */
int wifi_set_psk(struct wifi *w, int id, const char *psk, size_t len); /* 0 clears; 8-63, or 64 hex */
int wifi_set_enabled(struct wifi *w, int id, bool enabled);
int wifi_set_targeted_scan(struct wifi *w, int id, bool enabled);
int wifi_set_config_name(struct wifi *w, int id, const char *name);                    /* 0-16 */
int wifi_set_client_identity(struct wifi *w, int id, const char *identity);            /* 0-254 */
/* id_text: 1-16 characters of [A-Za-z0-9._-] ("" clears). */
int wifi_set_cert_id(struct wifi *w, int id, enum wifi_cert_slot slot, const char *id_text);
/* The ID of the network with that config name; -ENODEV, -ERANGE (longer than 16). */
int wifi_id_by_config_name(const struct wifi *w, const char *name);
/* Forgets one network (disconnecting it); -EINVAL, -ENODEV. Not persisted. */
int wifi_forget(struct wifi *w, int id);
/* Forgets every network and persists that. */
int wifi_forget_all(struct wifi *w);
/* The deprecated WifiConfig_StoreOpenNetwork / StoreWpa2Network: adds an enabled network and
 * persists. -EEXIST (same SSID and security stored), -ERANGE, -ENOSPC (full). */
int wifi_store_network(struct wifi *w, const uint8_t *ssid, size_t len, int security, const char *psk, size_t psk_len);
/* The deprecated WifiConfig_ForgetNetwork: the first network with that SSID and security; persists.
 * -ENOENT when none matches. */
int wifi_forget_matching(struct wifi *w, const uint8_t *ssid, size_t len, int security);
/* Writes the stored networks to wifi.json (crash-safe). -ENOSPC never (the limit is kept at
 * add), -EINVAL when a network has no SSID, -EIO etc. from the file system. */
int wifi_persist(struct wifi *w);
/* Reads wifi.json again (unsaved changes are lost), disconnects and reconnects. -EINVAL + why
 * for a damaged file (the configuration unchanged). */
int wifi_reload(struct wifi *w, char *why, size_t why_size);

/* ---- radio ------------------------------------------------------------------------------- */
/* Re-runs the connect decision (after every change the functions above make it themselves). */
void wifi_evaluate(struct wifi *w);
/* The connected network's ID, or -ENOTCONN. */
int wifi_connected_id(const struct wifi *w);
/* The access point the device is associated with, or NULL. */
const struct wifi_ap *wifi_connected_ap(const struct wifi *w);
/* Is wlan0 up with an address (connected)? */
bool wifi_link_up(const struct wifi *w);
/* Scans: the visible access points, strongest first, kept for wifi_scanned; returns the count. */
int wifi_scan(struct wifi *w);
size_t wifi_scanned_count(const struct wifi *w);
const struct wifi_ap *wifi_scanned(const struct wifi *w, size_t i);
/* The last failure recorded for network id: 0 and *out, -EINVAL, -ENODEV (no such id or none). */
int wifi_diagnostics(const struct wifi *w, int id, struct wifi_diag *out);

/* ---- the simulated access points --------------------------------------------------------- */
size_t wifi_ap_count(const struct wifi *w);
const struct wifi_ap *wifi_ap(const struct wifi *w, size_t i);
/* Adds (or replaces the one with the same BSSID) and persists wifi-aps.json. -EINVAL (why says
 * which field), -ENOSPC (WIFI_MAX_APS), file errors (nothing changed). */
int wifi_ap_add(struct wifi *w, const struct wifi_ap *ap, char *why, size_t why_size);
/* Removes every access point whose SSID or BSSID ("aa:bb:cc:dd:ee:ff") is key and persists;
 * -ENOENT when none. */
int wifi_ap_remove(struct wifi *w, const char *key);

/* ---- text forms shared with the REST layer ------------------------------------------------ */
const char *wifi_security_name(int security);      /* "unknown", "open", "psk", "eaptls" */
int wifi_security_parse(const char *name);         /* -EINVAL when unknown */
const char *wifi_error_name(int error);            /* "NetworkNotFound", … */
const char *wifi_cert_error_name(int cert_error);  /* "CertificateNotFound", … */
/* An SSID as text: itself when printable ASCII, else its bytes as hex digits (out: 65 bytes). */
void wifi_ssid_text(const uint8_t *ssid, size_t len, char out[2 * WIFI_SSID_MAX + 1]);
/* BSSIDs as text: core/hwaddr.h (hwaddr_format, hwaddr_parse). */
/* Checks a PSK's form: 8-63 printable ASCII characters, or 64 hex digits. */
bool wifi_psk_valid(const char *psk, size_t len);
/* Checks a certificate id's form: 1-16 characters of [A-Za-z0-9._-]. */
bool wifi_cert_id_valid(const char *id);

#endif
