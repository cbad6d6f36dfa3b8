/* SPDX-License-Identifier: MIT */
/*
 * applibs/wificonfig.h — OpenSphere Applibs: the device's stored Wi-Fi networks, scans, the
 * connected network and per-network diagnostics (docs/wifi.md). Every function needs the
 * WifiConfig capability (EACCES); the EAP-TLS ones (certificate ids, client identity, security
 * type Wpa2_EAP_TLS) also EnterpriseWifiConfig. Failures return -1 and set errno:
 *
 *   EACCES  capability missing          EAGAIN  the device has no Wi-Fi (outside a device too)
 *   EFAULT  a NULL pointer              ERANGE  a length out of range (SSID 1-32, PSK <= 64,
 *   EINVAL  negative network id, bad            config name <= 16, identity <= 254, cert id <= 16)
 *           value or struct version     ENODEV  no stored network with that id (diagnostics:
 *   ENOTCONN / ENODATA  not connected           also none recorded)
 *   ENOMEM  37 networks stored          EEXIST  config name in use; deprecated Store*: stored
 *   ENOSPC  deprecated Store*: full     ENOENT  deprecated ForgetNetwork: no such network
 *
 * Changes are effective at once and kept across WifiConfig_ReloadConfig or a device restart only
 * after WifiConfig_PersistConfig (WifiConfig_ForgetAllNetworks and the deprecated Store…/
 * ForgetNetwork persist by themselves). Network ids are indices and change when one is forgotten.
 * Not thread-safe (as on the platform). Define WIFICONFIG_STRUCTS_VERSION 1 (the default).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <applibs/certstore_structs.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef WIFICONFIG_STRUCTS_VERSION
#define WIFICONFIG_STRUCTS_VERSION 1
#endif
#if WIFICONFIG_STRUCTS_VERSION != 1
#error To use applibs/wificonfig.h you must first #define a supported WIFICONFIG_STRUCTS_VERSION
#endif

#define WIFICONFIG_SSID_MAX_LENGTH 32
#define WIFICONFIG_WPA2_KEY_MAX_BUFFER_SIZE 64
#define WIFICONFIG_BSSID_BUFFER_SIZE 6
#define WIFICONFIG_CONFIG_NAME_MAX_LENGTH 16
#define WIFICONFIG_EAP_IDENTITY_MAX_LENGTH 254

/* The struct version libapplibs expects in z__magicAndVersion ("WC", version 1). */
#define z__WIFICONFIG_STRUCTS_MAGIC_V1 (0x5743u << 16 | 1u)

typedef enum {
    WifiConfig_Security_Unknown = 0,
    WifiConfig_Security_Open = 1,
    WifiConfig_Security_Wpa2_Psk = 2,
    WifiConfig_Security_Wpa2_EAP_TLS = 3,
} WifiConfig_Security;

typedef uint8_t WifiConfig_Security_Type;

struct z__WifiConfig_ScannedNetwork_v1 {
    uint32_t z__magicAndVersion;
    uint8_t ssid[WIFICONFIG_SSID_MAX_LENGTH];
    uint8_t bssid[WIFICONFIG_BSSID_BUFFER_SIZE];
    uint8_t ssidLength;
    WifiConfig_Security_Type security;
    uint32_t frequencyMHz;
    int8_t signalRssi;
};

struct z__WifiConfig_StoredNetwork_v1 {
    uint32_t z__magicAndVersion;
    uint8_t ssid[WIFICONFIG_SSID_MAX_LENGTH];
    uint8_t ssidLength;
    bool isEnabled;
    bool isConnected;
    WifiConfig_Security_Type security;
};

struct z__WifiConfig_ConnectedNetwork_v1 {
    uint32_t z__magicAndVersion;
    uint8_t ssid[WIFICONFIG_SSID_MAX_LENGTH];
    uint8_t bssid[WIFICONFIG_BSSID_BUFFER_SIZE];
    uint8_t ssidLength;
    WifiConfig_Security_Type security;
    uint32_t frequencyMHz;
    int8_t signalRssi;
};

typedef struct z__WifiConfig_StoredNetwork_v1 WifiConfig_StoredNetwork;
typedef struct z__WifiConfig_ConnectedNetwork_v1 WifiConfig_ConnectedNetwork;
typedef struct z__WifiConfig_ScannedNetwork_v1 WifiConfig_ScannedNetwork;

typedef struct WifiConfig_ClientIdentity {
    char identity[WIFICONFIG_EAP_IDENTITY_MAX_LENGTH + 1]; /* NUL-terminated */
} WifiConfig_ClientIdentity;

/* error: 1 ConnectionFailed, 2 NetworkNotFound, 3 NoPskIncluded, 4 WrongKey,
 * 5 AuthenticationFailed, 6 SecurityTypeMismatch, 7 NetworkFrequencyNotAllowed,
 * 8 NetworkNotEssPbssMbss, 9 NetworkNotSupported, 10 NetworkNonWpa (OpenSphere records 2-6).
 * certError (with 5): 100 CertificateNotFound, 101 InvalidRootCA, 102 InvalidClientAuth,
 * 103 UnknownClientId. */
typedef struct WifiConfig_NetworkDiagnostics32 {
    uint8_t isEnabled;
    uint8_t isConnected;
    int32_t error;
    int32_t timestamp; /* Unix time, 32 bits */
    int32_t certError;
    int32_t certDepth;
    CertStore_SubjectName certSubject;
} WifiConfig_NetworkDiagnostics32;

typedef struct WifiConfig_NetworkDiagnostics64 {
    uint8_t isEnabled;
    uint8_t isConnected;
    int32_t error;
    time_t timestamp;
    int32_t certError;
    int32_t certDepth;
    CertStore_SubjectName certSubject;
} WifiConfig_NetworkDiagnostics64;

typedef struct WifiConfig_NetworkDiagnostics64 WifiConfig_NetworkDiagnostics;

#if defined(__GNUC__)
#define z__WIFICONFIG_DEPRECATED_BY(f) __attribute__((deprecated("use " #f " instead")))
#else
#define z__WIFICONFIG_DEPRECATED_BY(f)
#endif

/* ---- exported functions ---- */
z__WIFICONFIG_DEPRECATED_BY(WifiConfig_AddNetwork)
int WifiConfig_StoreOpenNetwork(const uint8_t *ssid, size_t ssidLength);
z__WIFICONFIG_DEPRECATED_BY(WifiConfig_AddNetwork)
int WifiConfig_StoreWpa2Network(const uint8_t *ssid, size_t ssidLength, const char *psk, size_t pskLength);
int WifiConfig_ForgetNetworkById(int networkId);
int WifiConfig_ForgetAllNetworks(void);
ssize_t WifiConfig_GetStoredNetworkCount(void);
int WifiConfig_GetConnectedNetworkId(void); /* the SDK writes "()" */
ssize_t WifiConfig_TriggerScanAndGetScannedNetworkCount(void);
int WifiConfig_AddNetwork(void);
int WifiConfig_AddDuplicateNetwork(int networkId, const char *configName);
int WifiConfig_GetNetworkIdByConfigName(const char *configName);

/* ---- what the inline functions below call (libapplibs; not for apps) ---- */
int z__WifiConfig_ForgetNetwork(const WifiConfig_StoredNetwork *storedNetwork, uint32_t magicAndVersion);
ssize_t z__WifiConfig_GetStoredNetworks(WifiConfig_StoredNetwork *storedNetworkArray, size_t storedNetworkArrayCount,
                                        uint32_t magicAndVersion);
int z__WifiConfig_GetCurrentNetwork(WifiConfig_ConnectedNetwork *connectedNetwork, uint32_t magicAndVersion);
ssize_t z__WifiConfig_GetScannedNetworks(WifiConfig_ScannedNetwork *scannedNetworkArray,
                                         size_t scannedNetworkArrayCount, uint32_t magicAndVersion);
int z__WifiConfig_GetCertStoreIdentifier(int networkId, int which, CertStore_Identifier *outIdentifier);
int z__WifiConfig_SetCertStoreIdentifier(int networkId, int which, const char *certStoreIdentifier);
int z__WifiConfig_SetSSID(int networkId, const uint8_t *ssid, size_t ssidLength);
int z__WifiConfig_SetSecurityType(int networkId, WifiConfig_Security_Type securityType);
int z__WifiConfig_SetNetworkEnabled(int networkId, bool enabled);
int z__WifiConfig_PersistConfig(void);
int z__WifiConfig_ReloadConfig(void);
int z__WifiConfig_SetPSK(int networkId, const char *psk, size_t pskLength);
int z__WifiConfig_SetTargetedScanEnabled(int networkId, bool enabled);
int z__WifiConfig_GetClientIdentity(int networkId, WifiConfig_ClientIdentity *outIdentity);
int z__WifiConfig_SetClientIdentity(int networkId, const char *identity);
int z__WifiConfig_SetConfigName(int networkId, const char *configName);
int z__WifiConfig_GetNetworkDiagnostics(int networkId, WifiConfig_NetworkDiagnostics *networkDiagnostics);

/* ---- the SDK's static functions ---- */
static inline int WifiConfig_GetClientCertStoreIdentifier(int networkId, CertStore_Identifier *outIdentifier)
{
    return z__WifiConfig_GetCertStoreIdentifier(networkId, 2, outIdentifier);
}
static inline int WifiConfig_SetClientCertStoreIdentifier(int networkId, const char *certStoreIdentifier)
{
    return z__WifiConfig_SetCertStoreIdentifier(networkId, 2, certStoreIdentifier);
}
static inline int WifiConfig_GetRootCACertStoreIdentifier(int networkId, CertStore_Identifier *outIdentifier)
{
    return z__WifiConfig_GetCertStoreIdentifier(networkId, 1, outIdentifier);
}
static inline int WifiConfig_SetRootCACertStoreIdentifier(int networkId, const char *certStoreIdentifier)
{
    return z__WifiConfig_SetCertStoreIdentifier(networkId, 1, certStoreIdentifier);
}
z__WIFICONFIG_DEPRECATED_BY(WifiConfig_ForgetNetworkById)
static inline int WifiConfig_ForgetNetwork(const WifiConfig_StoredNetwork *storedNetwork)
{
    return z__WifiConfig_ForgetNetwork(storedNetwork, z__WIFICONFIG_STRUCTS_MAGIC_V1);
}
static inline ssize_t WifiConfig_GetStoredNetworks(WifiConfig_StoredNetwork *storedNetworkArray,
                                                   size_t storedNetworkArrayCount)
{
    return z__WifiConfig_GetStoredNetworks(storedNetworkArray, storedNetworkArrayCount, z__WIFICONFIG_STRUCTS_MAGIC_V1);
}
static inline int WifiConfig_GetCurrentNetwork(WifiConfig_ConnectedNetwork *connectedNetwork)
{
    return z__WifiConfig_GetCurrentNetwork(connectedNetwork, z__WIFICONFIG_STRUCTS_MAGIC_V1);
}
static inline ssize_t WifiConfig_GetScannedNetworks(WifiConfig_ScannedNetwork *scannedNetworkArray,
                                                    size_t scannedNetworkArrayCount)
{
    return z__WifiConfig_GetScannedNetworks(scannedNetworkArray, scannedNetworkArrayCount,
                                            z__WIFICONFIG_STRUCTS_MAGIC_V1);
}
static inline int WifiConfig_SetSSID(int networkId, const uint8_t *ssid, size_t ssidLength)
{
    return z__WifiConfig_SetSSID(networkId, ssid, ssidLength);
}
static inline int WifiConfig_SetSecurityType(int networkId, WifiConfig_Security_Type securityType)
{
    return z__WifiConfig_SetSecurityType(networkId, securityType);
}
static inline int WifiConfig_SetNetworkEnabled(int networkId, bool enabled)
{
    return z__WifiConfig_SetNetworkEnabled(networkId, enabled);
}
static inline int WifiConfig_PersistConfig(void)
{
    return z__WifiConfig_PersistConfig();
}
static inline int WifiConfig_ReloadConfig(void)
{
    return z__WifiConfig_ReloadConfig();
}
static inline int WifiConfig_SetPSK(int networkId, const char *psk, size_t pskLength)
{
    return z__WifiConfig_SetPSK(networkId, psk, pskLength);
}
static inline int WifiConfig_SetTargetedScanEnabled(int networkId, bool enabled)
{
    return z__WifiConfig_SetTargetedScanEnabled(networkId, enabled);
}
static inline int WifiConfig_GetClientIdentity(int networkId, WifiConfig_ClientIdentity *outIdentity)
{
    return z__WifiConfig_GetClientIdentity(networkId, outIdentity);
}
static inline int WifiConfig_SetClientIdentity(int networkId, const char *identity)
{
    return z__WifiConfig_SetClientIdentity(networkId, identity);
}
static inline int WifiConfig_SetConfigName(int networkId, const char *configName)
{
    return z__WifiConfig_SetConfigName(networkId, configName);
}
static inline int WifiConfig_GetNetworkDiagnostics(int networkId, WifiConfig_NetworkDiagnostics *networkDiagnostics)
{
    return z__WifiConfig_GetNetworkDiagnostics(networkId, networkDiagnostics);
}

#ifdef __cplusplus
}
#endif
