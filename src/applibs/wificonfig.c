/* SPDX-License-Identifier: MIT */
/* wificonfig.c — Applibs Wi-Fi configuration (applibs/wificonfig.h): argument checks here, the
 * rest one broker request each (BROKER_WIFI_*, src/core/broker.h; docs/wifi.md). */
#define WIFICONFIG_STRUCTS_VERSION 1
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/wificonfig.h>

#include <errno.h>
#include <string.h>

#include "broker_client.h"

_Static_assert(sizeof(struct broker_wifi_bss) <= sizeof((struct broker_reply *)0)->text, "bss fits a reply");
_Static_assert(sizeof(struct broker_wifi_diag) <= sizeof((struct broker_reply *)0)->text, "diag fits a reply");

#define TEXT_MAX (sizeof((struct broker_request *)0)->text - 1) /* 95: one NUL always fits */

/* Sends q; returns -1 + errno, or the reply's value. */
static int call(struct broker_request *q, struct broker_reply *r)
{
    int err = applibs_broker_call(q, r, NULL);
    if (err == -ENOTCONN && r->result != -ENOTCONN) /* no answer: outside a device, no Wi-Fi */
        err = -EAGAIN;
    return applibs_result(err, err ? 0 : r->value);
}

static int simple(uint32_t op, int a, int b)
{
    struct broker_request q = {.op = op, .a = a, .b = b};
    struct broker_reply r;
    return call(&q, &r);
}

static int fail(int err)
{
    errno = err;
    return -1;
}

/* Copies a NUL-terminated string of at most max bytes into the request's text. */
static int with_text(struct broker_request *q, const char *s, size_t max)
{
    if (!s)
        return fail(EFAULT);
    size_t n = strlen(s);
    if (n > max)
        return fail(ERANGE);
    memcpy(q->text, s, n);
    return 0;
}

/* ---- exported functions ---- */

static int store(const uint8_t *ssid, size_t ssid_len, const char *psk, size_t psk_len)
{
    if (!ssid)
        return fail(EFAULT);
    if (!ssid_len || ssid_len > WIFICONFIG_SSID_MAX_LENGTH || psk_len > WIFICONFIG_WPA2_KEY_MAX_BUFFER_SIZE)
        return fail(ERANGE);
    struct broker_request q = {.op = BROKER_WIFI_STORE_NETWORK, .a = (int32_t)ssid_len, .b = (int32_t)psk_len};
    struct broker_reply r;
    memcpy(q.text, ssid, ssid_len);
    memcpy(q.text + WIFICONFIG_SSID_MAX_LENGTH, psk, psk_len);
    return call(&q, &r) < 0 ? -1 : 0;
}

int WifiConfig_StoreOpenNetwork(const uint8_t *ssid, size_t ssidLength)
{
    return store(ssid, ssidLength, "", 0);
}

int WifiConfig_StoreWpa2Network(const uint8_t *ssid, size_t ssidLength, const char *psk, size_t pskLength)
{
    if (!psk)
        return fail(EFAULT);
    if (!pskLength)
        return fail(ERANGE);
    return store(ssid, ssidLength, psk, pskLength);
}

int WifiConfig_ForgetNetworkById(int networkId)
{
    return simple(BROKER_WIFI_FORGET, networkId, 0) < 0 ? -1 : 0;
}

int WifiConfig_ForgetAllNetworks(void)
{
    return simple(BROKER_WIFI_FORGET_ALL, 0, 0) < 0 ? -1 : 0;
}

ssize_t WifiConfig_GetStoredNetworkCount(void)
{
    return simple(BROKER_WIFI_STORED_COUNT, 0, 0);
}

int WifiConfig_GetConnectedNetworkId(void)
{
    return simple(BROKER_WIFI_CONNECTED_ID, 0, 0);
}

ssize_t WifiConfig_TriggerScanAndGetScannedNetworkCount(void)
{
    return simple(BROKER_WIFI_SCAN, 0, 0);
}

int WifiConfig_AddNetwork(void)
{
    return simple(BROKER_WIFI_ADD_NETWORK, 0, 0);
}

int WifiConfig_AddDuplicateNetwork(int networkId, const char *configName)
{
    struct broker_request q = {.op = BROKER_WIFI_ADD_DUPLICATE, .a = networkId};
    struct broker_reply r;
    if (with_text(&q, configName, WIFICONFIG_CONFIG_NAME_MAX_LENGTH))
        return -1;
    if (!configName[0])
        return fail(ERANGE);
    return call(&q, &r);
}

int WifiConfig_GetNetworkIdByConfigName(const char *configName)
{
    struct broker_request q = {.op = BROKER_WIFI_ID_BY_CONFIG_NAME};
    struct broker_reply r;
    if (with_text(&q, configName, WIFICONFIG_CONFIG_NAME_MAX_LENGTH))
        return -1;
    return call(&q, &r);
}

/* ---- behind the static inline functions ---- */

int z__WifiConfig_ForgetNetwork(const WifiConfig_StoredNetwork *storedNetwork, uint32_t magicAndVersion)
{
    if (!storedNetwork)
        return fail(EFAULT);
    if (magicAndVersion != z__WIFICONFIG_STRUCTS_MAGIC_V1 || !storedNetwork->ssidLength ||
        storedNetwork->ssidLength > WIFICONFIG_SSID_MAX_LENGTH)
        return fail(EINVAL);
    struct broker_request q = {.op = BROKER_WIFI_FORGET_MATCHING, .a = storedNetwork->ssidLength,
                               .b = storedNetwork->security};
    struct broker_reply r;
    memcpy(q.text, storedNetwork->ssid, storedNetwork->ssidLength);
    return call(&q, &r) < 0 ? -1 : 0;
}

ssize_t z__WifiConfig_GetStoredNetworks(WifiConfig_StoredNetwork *storedNetworkArray, size_t storedNetworkArrayCount,
                                        uint32_t magicAndVersion)
{
    if (!storedNetworkArray)
        return fail(EFAULT);
    if (!storedNetworkArrayCount)
        return fail(ERANGE);
    if (magicAndVersion != z__WIFICONFIG_STRUCTS_MAGIC_V1)
        return fail(EINVAL);
    int count = simple(BROKER_WIFI_STORED_COUNT, 0, 0);
    if (count < 0)
        return -1;
    size_t n = (size_t)count < storedNetworkArrayCount ? (size_t)count : storedNetworkArrayCount;
    for (size_t i = 0; i < n; i++) {
        struct broker_request q = {.op = BROKER_WIFI_STORED_GET, .a = (int32_t)i};
        struct broker_reply r;
        if (call(&q, &r) < 0)
            return -1;
        struct broker_wifi_network w;
        memcpy(&w, r.text, sizeof w);
        WifiConfig_StoredNetwork *out = &storedNetworkArray[i];
        memset(out, 0, sizeof *out);
        out->z__magicAndVersion = magicAndVersion;
        memcpy(out->ssid, w.ssid, sizeof out->ssid);
        out->ssidLength = w.ssid_len;
        out->isEnabled = w.enabled;
        out->isConnected = w.connected;
        out->security = w.security;
    }
    return (ssize_t)n;
}

static int get_bss(uint32_t op, int index, uint32_t magic, WifiConfig_ScannedNetwork *out)
{
    struct broker_request q = {.op = op, .a = index};
    struct broker_reply r;
    if (call(&q, &r) < 0)
        return -1;
    struct broker_wifi_bss b;
    memcpy(&b, r.text, sizeof b);
    memset(out, 0, sizeof *out);
    out->z__magicAndVersion = magic;
    memcpy(out->ssid, b.ssid, sizeof out->ssid);
    memcpy(out->bssid, b.bssid, sizeof out->bssid);
    out->ssidLength = b.ssid_len;
    out->security = b.security;
    out->frequencyMHz = b.frequency_mhz;
    out->signalRssi = b.signal_rssi;
    return 0;
}

_Static_assert(sizeof(WifiConfig_ScannedNetwork) == sizeof(WifiConfig_ConnectedNetwork), "same layout");

int z__WifiConfig_GetCurrentNetwork(WifiConfig_ConnectedNetwork *connectedNetwork, uint32_t magicAndVersion)
{
    if (!connectedNetwork)
        return fail(EFAULT);
    if (magicAndVersion != z__WIFICONFIG_STRUCTS_MAGIC_V1)
        return fail(EINVAL);
    WifiConfig_ScannedNetwork s;
    if (get_bss(BROKER_WIFI_CURRENT, 0, magicAndVersion, &s))
        return -1;
    memcpy(connectedNetwork, &s, sizeof s);
    return 0;
}

ssize_t z__WifiConfig_GetScannedNetworks(WifiConfig_ScannedNetwork *scannedNetworkArray,
                                         size_t scannedNetworkArrayCount, uint32_t magicAndVersion)
{
    if (!scannedNetworkArray)
        return fail(EFAULT);
    if (!scannedNetworkArrayCount)
        return fail(ERANGE);
    if (magicAndVersion != z__WIFICONFIG_STRUCTS_MAGIC_V1)
        return fail(EINVAL);
    size_t n = 0;
    for (; n < scannedNetworkArrayCount; n++) {
        int saved = errno;
        if (get_bss(BROKER_WIFI_SCANNED_GET, (int)n, magicAndVersion, &scannedNetworkArray[n])) {
            if (errno != ERANGE)
                return -1;
            errno = saved; /* past the last scanned network */
            break;
        }
    }
    return (ssize_t)n;
}

int z__WifiConfig_GetCertStoreIdentifier(int networkId, int which, CertStore_Identifier *outIdentifier)
{
    if (!outIdentifier)
        return fail(EFAULT);
    struct broker_request q = {.op = BROKER_WIFI_GET_CERT_ID, .a = networkId, .b = which};
    struct broker_reply r;
    if (call(&q, &r) < 0)
        return -1;
    memset(outIdentifier, 0, sizeof *outIdentifier);
    memcpy(outIdentifier->identifier, r.text, CERTSTORE_MAX_IDENTIFIER_LENGTH);
    return 0;
}

int z__WifiConfig_SetCertStoreIdentifier(int networkId, int which, const char *certStoreIdentifier)
{
    struct broker_request q = {.op = BROKER_WIFI_SET_CERT_ID, .a = networkId, .b = which};
    struct broker_reply r;
    if (with_text(&q, certStoreIdentifier, CERTSTORE_MAX_IDENTIFIER_LENGTH))
        return -1;
    return call(&q, &r) < 0 ? -1 : 0;
}

int z__WifiConfig_SetSSID(int networkId, const uint8_t *ssid, size_t ssidLength)
{
    if (!ssid)
        return fail(EFAULT);
    if (!ssidLength || ssidLength > WIFICONFIG_SSID_MAX_LENGTH)
        return fail(ERANGE);
    struct broker_request q = {.op = BROKER_WIFI_SET_SSID, .a = networkId, .b = (int32_t)ssidLength};
    struct broker_reply r;
    memcpy(q.text, ssid, ssidLength);
    return call(&q, &r) < 0 ? -1 : 0;
}

int z__WifiConfig_SetSecurityType(int networkId, WifiConfig_Security_Type securityType)
{
    return simple(BROKER_WIFI_SET_SECURITY, networkId, securityType) < 0 ? -1 : 0;
}

int z__WifiConfig_SetNetworkEnabled(int networkId, bool enabled)
{
    return simple(BROKER_WIFI_SET_ENABLED, networkId, enabled) < 0 ? -1 : 0;
}

int z__WifiConfig_PersistConfig(void)
{
    return simple(BROKER_WIFI_PERSIST, 0, 0) < 0 ? -1 : 0;
}

int z__WifiConfig_ReloadConfig(void)
{
    return simple(BROKER_WIFI_RELOAD, 0, 0) < 0 ? -1 : 0;
}

int z__WifiConfig_SetPSK(int networkId, const char *psk, size_t pskLength)
{
    if (!psk)
        return fail(EFAULT);
    if (pskLength > WIFICONFIG_WPA2_KEY_MAX_BUFFER_SIZE)
        return fail(ERANGE);
    struct broker_request q = {.op = BROKER_WIFI_SET_PSK, .a = networkId, .b = (int32_t)pskLength};
    struct broker_reply r;
    memcpy(q.text, psk, pskLength);
    return call(&q, &r) < 0 ? -1 : 0;
}

int z__WifiConfig_SetTargetedScanEnabled(int networkId, bool enabled)
{
    return simple(BROKER_WIFI_SET_TARGETED_SCAN, networkId, enabled) < 0 ? -1 : 0;
}

int z__WifiConfig_GetClientIdentity(int networkId, WifiConfig_ClientIdentity *outIdentity)
{
    if (!outIdentity)
        return fail(EFAULT);
    memset(outIdentity, 0, sizeof *outIdentity);
    size_t total = 0, have = 0;
    do {
        struct broker_request q = {.op = BROKER_WIFI_GET_IDENTITY, .a = networkId, .b = (int32_t)have};
        struct broker_reply r;
        int value = call(&q, &r);
        if (value < 0)
            return -1;
        total = (size_t)value;
        size_t n = strnlen(r.text, sizeof r.text);
        if (n > WIFICONFIG_EAP_IDENTITY_MAX_LENGTH - have)
            n = WIFICONFIG_EAP_IDENTITY_MAX_LENGTH - have;
        memcpy(outIdentity->identity + have, r.text, n);
        have += n;
        if (!n)
            break;
    } while (have < total);
    return 0;
}

int z__WifiConfig_SetClientIdentity(int networkId, const char *identity)
{
    if (!identity)
        return fail(EFAULT);
    size_t total = strlen(identity);
    if (total > WIFICONFIG_EAP_IDENTITY_MAX_LENGTH)
        return fail(ERANGE);
    size_t off = 0;
    do {
        size_t n = total - off < TEXT_MAX ? total - off : TEXT_MAX;
        struct broker_request q = {.op = BROKER_WIFI_SET_IDENTITY, .a = networkId, .b = (int32_t)off, .c = (int32_t)total};
        struct broker_reply r;
        memcpy(q.text, identity + off, n);
        if (call(&q, &r) < 0)
            return -1;
        off += n;
    } while (off < total);
    return 0;
}

int z__WifiConfig_SetConfigName(int networkId, const char *configName)
{
    struct broker_request q = {.op = BROKER_WIFI_SET_CONFIG_NAME, .a = networkId};
    struct broker_reply r;
    if (with_text(&q, configName, WIFICONFIG_CONFIG_NAME_MAX_LENGTH))
        return -1;
    return call(&q, &r) < 0 ? -1 : 0;
}

int z__WifiConfig_GetNetworkDiagnostics(int networkId, WifiConfig_NetworkDiagnostics *networkDiagnostics)
{
    if (!networkDiagnostics)
        return fail(EFAULT);
    struct broker_request q = {.op = BROKER_WIFI_DIAGNOSTICS, .a = networkId};
    struct broker_reply r;
    if (call(&q, &r) < 0)
        return -1;
    struct broker_wifi_diag d;
    memcpy(&d, r.text, sizeof d);
    memset(networkDiagnostics, 0, sizeof *networkDiagnostics);
    networkDiagnostics->isEnabled = d.enabled;
    networkDiagnostics->isConnected = d.connected;
    networkDiagnostics->error = d.error;
    networkDiagnostics->timestamp = (time_t)d.timestamp;
    networkDiagnostics->certError = d.cert_error;
    networkDiagnostics->certDepth = d.cert_depth;
    memcpy(networkDiagnostics->certSubject.name, d.cert_subject, strnlen(d.cert_subject, sizeof d.cert_subject));
    return 0;
}
