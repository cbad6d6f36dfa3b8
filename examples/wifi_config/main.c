/* SPDX-License-Identifier: MIT */
/* WifiConfig — an OpenSphere example high-level app (our own code) that calls every function of
 * applibs/wificonfig.h, deprecated ones included, and checks each result and errno.
 *
 * CmdArgs pick what it does:
 *   suite  the whole API against the radio tests/cli/test_wifi.sh sets up (access points
 *          "OpenSphere-Sim", "Cafe" psk "cafe-secret" at -30 dBm, "Corp" EAP-TLS, "Hidden" open
 *          and hidden); leaves one stored, persisted network "Cafe", connected.
 *   nocap  every function must fail with EACCES (a manifest without WifiConfig).
 *   watch  logs "WIFI ready N (network ID)" each time networking readiness changes.
 * Every check logs "WIFI <check> ok" or "WIFI <check> FAIL …"; the suite ends with
 * "WIFI suite done: P passed, F failed". Exits on SIGTERM. */
#define WIFICONFIG_STRUCTS_VERSION 1
#define NETWORKING_STRUCTS_VERSION 1
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <applibs/log.h>
#include <applibs/networking.h>
#include <applibs/wificonfig.h>

/* The deprecated functions are part of what this app checks. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static volatile sig_atomic_t stop;
static int passed, failed;

static void on_sigterm(int signal) { stop = 1; }

/* Checks that a call returned `want` (want >= 0) or failed with errno `want_errno` (want < 0). */
static void expect(const char *name, long got, int err, long want, int want_errno)
{
    bool good = want >= 0 ? got == want : got == -1 && err == want_errno;
    if (good) {
        passed++;
        Log_Debug("WIFI %s ok\n", name);
    } else {
        failed++;
        Log_Debug("WIFI %s FAIL: returned %ld errno %s, expected %ld errno %s\n", name, got, strerror(err), want,
                  want_errno ? strerror(want_errno) : "-");
    }
}
#define OK(name, call, want) do { errno = 0; long r_ = (long)(call); expect(name, r_, errno, want, 0); } while (0)
#define FAILS(name, call, e) do { errno = 0; long r_ = (long)(call); expect(name, r_, errno, -1, e); } while (0)
#define TRUE(name, cond) expect(name, (cond) ? 1 : 0, 0, 1, 0)

static bool ssid_is(const uint8_t *ssid, uint8_t len, const char *want)
{
    return len == strlen(want) && !memcmp(ssid, want, len);
}

static bool networking_ready(void)
{
    bool ready = false;
    return Networking_IsNetworkingReady(&ready) == 0 && ready;
}

static void scan(void)
{
    ssize_t n = WifiConfig_TriggerScanAndGetScannedNetworkCount();
    TRUE("scan-count", n >= 3);
    WifiConfig_ScannedNetwork found[16];
    ssize_t got = WifiConfig_GetScannedNetworks(found, 16);
    TRUE("scan-get", got == n);
    bool cafe = false, hidden = false;
    for (ssize_t i = 0; i < got; i++) {
        cafe |= ssid_is(found[i].ssid, found[i].ssidLength, "Cafe") && found[i].security == WifiConfig_Security_Wpa2_Psk &&
                found[i].signalRssi == -30 && found[i].frequencyMHz == 2437;
        hidden |= ssid_is(found[i].ssid, found[i].ssidLength, "Hidden");
    }
    TRUE("scan-sees-cafe", cafe);
    TRUE("scan-hides-hidden", !hidden);
    OK("scan-get-one", WifiConfig_GetScannedNetworks(found, 1), 1);
    FAILS("scan-get-null", WifiConfig_GetScannedNetworks(NULL, 4), EFAULT);
    FAILS("scan-get-zero", WifiConfig_GetScannedNetworks(found, 0), ERANGE);
}

/* Adds "Cafe" with a wrong key first, checks the diagnostic, then the right key; returns its id. */
static int add_cafe(void)
{
    ssize_t before = WifiConfig_GetStoredNetworkCount();
    int id = WifiConfig_AddNetwork();
    TRUE("add", id >= 0 && id == before);
    OK("count-after-add", WifiConfig_GetStoredNetworkCount(), before + 1);
    OK("set-ssid", WifiConfig_SetSSID(id, (const uint8_t *)"Cafe", 4), 0);
    FAILS("set-ssid-null", WifiConfig_SetSSID(id, NULL, 4), EFAULT);
    FAILS("set-ssid-long", WifiConfig_SetSSID(id, (const uint8_t *)"123456789012345678901234567890123", 33), ERANGE);
    FAILS("set-ssid-unknown-id", WifiConfig_SetSSID(999, (const uint8_t *)"x", 1), ENODEV);
    FAILS("set-ssid-negative-id", WifiConfig_SetSSID(-1, (const uint8_t *)"x", 1), EINVAL);
    OK("set-security", WifiConfig_SetSecurityType(id, WifiConfig_Security_Wpa2_Psk), 0);
    FAILS("set-security-bad", WifiConfig_SetSecurityType(id, 9), EINVAL);
    OK("set-psk-wrong", WifiConfig_SetPSK(id, "wrong-secret", 12), 0);
    FAILS("set-psk-null", WifiConfig_SetPSK(id, NULL, 8), EFAULT);
    FAILS("set-psk-long", WifiConfig_SetPSK(id, "x", 65), ERANGE);
    OK("set-config-name", WifiConfig_SetConfigName(id, "cafe"), 0);
    FAILS("set-config-name-long", WifiConfig_SetConfigName(id, "seventeen-chars-x"), ERANGE);
    OK("set-targeted-scan", WifiConfig_SetTargetedScanEnabled(id, false), 0);
    OK("enable", WifiConfig_SetNetworkEnabled(id, true), 0);

    WifiConfig_NetworkDiagnostics d;
    OK("diagnostics-wrong-key", WifiConfig_GetNetworkDiagnostics(id, &d), 0);
    TRUE("diagnostics-says-wrong-key", d.error == 4 && !d.isConnected && d.isEnabled && d.timestamp > 0);
    FAILS("diagnostics-null", WifiConfig_GetNetworkDiagnostics(id, NULL), EFAULT);
    FAILS("diagnostics-unknown-id", WifiConfig_GetNetworkDiagnostics(999, &d), ENODEV);

    OK("set-psk-right", WifiConfig_SetPSK(id, "cafe-secret", 11), 0);
    int before_id = WifiConfig_GetConnectedNetworkId();
    TRUE("connected-stays", before_id >= 0 && before_id != id); /* the default network stays */
    OK("disable-old", WifiConfig_SetNetworkEnabled(before_id, false), 0);
    OK("connected-to-cafe", WifiConfig_GetConnectedNetworkId(), id);
    OK("enable-old", WifiConfig_SetNetworkEnabled(before_id, true), 0);
    OK("still-cafe", WifiConfig_GetConnectedNetworkId(), id);
    WifiConfig_ConnectedNetwork c;
    OK("current", WifiConfig_GetCurrentNetwork(&c), 0);
    TRUE("current-is-cafe", ssid_is(c.ssid, c.ssidLength, "Cafe") && c.signalRssi == -30 && c.frequencyMHz == 2437 &&
                                c.security == WifiConfig_Security_Wpa2_Psk);
    FAILS("current-null", WifiConfig_GetCurrentNetwork(NULL), EFAULT);
    OK("id-by-name", WifiConfig_GetNetworkIdByConfigName("cafe"), id);
    FAILS("id-by-name-unknown", WifiConfig_GetNetworkIdByConfigName("nope"), ENODEV);
    FAILS("id-by-name-null", WifiConfig_GetNetworkIdByConfigName(NULL), EFAULT);
    return id;
}

static void duplicate(int id)
{
    int dup = WifiConfig_AddDuplicateNetwork(id, "cafe2");
    TRUE("duplicate", dup > id);
    FAILS("duplicate-same-name", WifiConfig_AddDuplicateNetwork(id, "cafe"), EEXIST);
    FAILS("duplicate-empty-name", WifiConfig_AddDuplicateNetwork(id, ""), ERANGE);
    FAILS("duplicate-unknown-id", WifiConfig_AddDuplicateNetwork(999, "x"), ENODEV);
    WifiConfig_StoredNetwork all[40];
    ssize_t n = WifiConfig_GetStoredNetworks(all, 40);
    TRUE("duplicate-disabled", n > dup && !all[dup].isEnabled && ssid_is(all[dup].ssid, all[dup].ssidLength, "Cafe"));
    OK("forget-duplicate", WifiConfig_ForgetNetworkById(dup), 0);
    FAILS("forget-again", WifiConfig_ForgetNetworkById(dup), ENODEV);
    FAILS("forget-negative", WifiConfig_ForgetNetworkById(-1), EINVAL);
}

static void eap_tls(void)
{
    int corp = WifiConfig_AddNetwork();
    TRUE("eap-add", corp >= 0);
    OK("eap-ssid", WifiConfig_SetSSID(corp, (const uint8_t *)"Corp", 4), 0);
    OK("eap-security", WifiConfig_SetSecurityType(corp, WifiConfig_Security_Wpa2_EAP_TLS), 0);
    OK("eap-client-cert", WifiConfig_SetClientCertStoreIdentifier(corp, "client1"), 0);
    OK("eap-root-ca", WifiConfig_SetRootCACertStoreIdentifier(corp, "corp-ca"), 0);
    FAILS("eap-client-cert-long", WifiConfig_SetClientCertStoreIdentifier(corp, "seventeen-chars-x"), ERANGE);
    FAILS("eap-root-ca-null", WifiConfig_SetRootCACertStoreIdentifier(corp, NULL), EFAULT);
    char identity[201];
    for (int i = 0; i < 200; i++)
        identity[i] = (char)('a' + i % 26);
    identity[200] = 0;
    OK("eap-identity", WifiConfig_SetClientIdentity(corp, identity), 0);
    WifiConfig_ClientIdentity back;
    OK("eap-get-identity", WifiConfig_GetClientIdentity(corp, &back), 0);
    TRUE("eap-identity-round-trip", !strcmp(back.identity, identity));
    FAILS("eap-get-identity-null", WifiConfig_GetClientIdentity(corp, NULL), EFAULT);
    CertStore_Identifier cid;
    OK("eap-get-client-cert", WifiConfig_GetClientCertStoreIdentifier(corp, &cid), 0);
    TRUE("eap-client-cert-is", !strcmp(cid.identifier, "client1"));
    OK("eap-get-root-ca", WifiConfig_GetRootCACertStoreIdentifier(corp, &cid), 0);
    TRUE("eap-root-ca-is", !strcmp(cid.identifier, "corp-ca"));
    FAILS("eap-get-root-ca-unknown-id", WifiConfig_GetRootCACertStoreIdentifier(999, &cid), ENODEV);
    OK("eap-enable", WifiConfig_SetNetworkEnabled(corp, true), 0);
    WifiConfig_NetworkDiagnostics d;
    OK("eap-diagnostics", WifiConfig_GetNetworkDiagnostics(corp, &d), 0);
    TRUE("eap-certificate-not-found", d.error == 5 && d.certError == 100 && d.certDepth == 0 &&
                                          !strcmp(d.certSubject.name, "client1"));
    OK("eap-forget", WifiConfig_ForgetNetworkById(corp), 0);
}

static void persistence(int cafe)
{
    ssize_t count = WifiConfig_GetStoredNetworkCount();
    WifiConfig_StoredNetwork all[40];
    OK("stored", WifiConfig_GetStoredNetworks(all, 40), count);
    TRUE("stored-cafe-connected", all[cafe].isConnected && all[cafe].isEnabled &&
                                      all[cafe].security == WifiConfig_Security_Wpa2_Psk);
    OK("stored-one", WifiConfig_GetStoredNetworks(all, 1), 1);
    FAILS("stored-null", WifiConfig_GetStoredNetworks(NULL, 1), EFAULT);
    FAILS("stored-zero", WifiConfig_GetStoredNetworks(all, 0), ERANGE);
    OK("persist", WifiConfig_PersistConfig(), 0);
    int extra = WifiConfig_AddNetwork(); /* not persisted: gone after the reload */
    TRUE("add-unsaved", extra >= 0);
    OK("reload", WifiConfig_ReloadConfig(), 0);
    OK("reload-drops-unsaved", WifiConfig_GetStoredNetworkCount(), count);
    OK("reload-reconnects", WifiConfig_GetConnectedNetworkId(), cafe);
}

static void deprecated(void)
{
    OK("store-open", WifiConfig_StoreOpenNetwork((const uint8_t *)"Legacy", 6), 0);
    FAILS("store-open-again", WifiConfig_StoreOpenNetwork((const uint8_t *)"Legacy", 6), EEXIST);
    FAILS("store-open-null", WifiConfig_StoreOpenNetwork(NULL, 6), EFAULT);
    FAILS("store-open-empty", WifiConfig_StoreOpenNetwork((const uint8_t *)"x", 0), ERANGE);
    OK("store-wpa2", WifiConfig_StoreWpa2Network((const uint8_t *)"Legacy2", 7, "legacy-key", 10), 0);
    FAILS("store-wpa2-again", WifiConfig_StoreWpa2Network((const uint8_t *)"Legacy2", 7, "legacy-key", 10), EEXIST);
    WifiConfig_StoredNetwork legacy = {.ssidLength = 6, .security = WifiConfig_Security_Open};
    memcpy(legacy.ssid, "Legacy", 6);
    OK("forget-network", WifiConfig_ForgetNetwork(&legacy), 0);
    FAILS("forget-network-again", WifiConfig_ForgetNetwork(&legacy), ENOENT);
    FAILS("forget-network-null", WifiConfig_ForgetNetwork(NULL), EFAULT);
    WifiConfig_StoredNetwork legacy2 = {.ssidLength = 7, .security = WifiConfig_Security_Wpa2_Psk};
    memcpy(legacy2.ssid, "Legacy2", 7);
    OK("forget-network-wpa2", WifiConfig_ForgetNetwork(&legacy2), 0);
}

/* A plain connect() to 127.0.0.1:80, which the device mediates (docs/network.md): -1 + errno. */
static int try_connect(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(80), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int r = s < 0 ? -1 : connect(s, (const struct sockaddr *)&to, sizeof to);
    int err = errno;
    if (s >= 0)
        close(s);
    errno = err;
    return r;
}

static void forget_all(void)
{
    OK("forget-all", WifiConfig_ForgetAllNetworks(), 0);
    OK("count-none", WifiConfig_GetStoredNetworkCount(), 0);
    FAILS("not-connected", WifiConfig_GetConnectedNetworkId(), ENOTCONN);
    WifiConfig_ConnectedNetwork c;
    FAILS("no-current", WifiConfig_GetCurrentNetwork(&c), ENODATA);
    TRUE("networking-not-ready", !networking_ready());
    FAILS("connect-while-wlan0-down", try_connect(), ENETUNREACH);
    OK("store-cafe", WifiConfig_StoreWpa2Network((const uint8_t *)"Cafe", 4, "cafe-secret", 11), 0);
    OK("connected-again", WifiConfig_GetConnectedNetworkId(), 0);
    TRUE("networking-ready", networking_ready());
    FAILS("connect-when-up-meets-the-manifest", try_connect(), EACCES); /* loopback is never allowed */
}

static void suite(void)
{
    TRUE("networking-ready-at-start", networking_ready());
    scan();
    int cafe = add_cafe();
    duplicate(cafe);
    eap_tls();
    persistence(cafe);
    deprecated();
    forget_all();
    Log_Debug("WIFI suite done: %d passed, %d failed\n", passed, failed);
}

/* Without WifiConfig every function fails with EACCES. */
static void nocap(void)
{
    WifiConfig_StoredNetwork stored[2] = {{.ssidLength = 1}};
    WifiConfig_ScannedNetwork scanned[2];
    WifiConfig_ConnectedNetwork c;
    WifiConfig_NetworkDiagnostics d;
    WifiConfig_ClientIdentity identity;
    CertStore_Identifier cid;
    FAILS("nocap-add", WifiConfig_AddNetwork(), EACCES);
    FAILS("nocap-duplicate", WifiConfig_AddDuplicateNetwork(0, "x"), EACCES);
    FAILS("nocap-forget-all", WifiConfig_ForgetAllNetworks(), EACCES);
    FAILS("nocap-forget-id", WifiConfig_ForgetNetworkById(0), EACCES);
    FAILS("nocap-count", WifiConfig_GetStoredNetworkCount(), EACCES);
    FAILS("nocap-stored", WifiConfig_GetStoredNetworks(stored, 2), EACCES);
    FAILS("nocap-connected-id", WifiConfig_GetConnectedNetworkId(), EACCES);
    FAILS("nocap-current", WifiConfig_GetCurrentNetwork(&c), EACCES);
    FAILS("nocap-scan", WifiConfig_TriggerScanAndGetScannedNetworkCount(), EACCES);
    FAILS("nocap-scanned", WifiConfig_GetScannedNetworks(scanned, 2), EACCES);
    FAILS("nocap-ssid", WifiConfig_SetSSID(0, (const uint8_t *)"x", 1), EACCES);
    FAILS("nocap-security", WifiConfig_SetSecurityType(0, WifiConfig_Security_Open), EACCES);
    FAILS("nocap-psk", WifiConfig_SetPSK(0, "12345678", 8), EACCES);
    FAILS("nocap-enabled", WifiConfig_SetNetworkEnabled(0, true), EACCES);
    FAILS("nocap-targeted", WifiConfig_SetTargetedScanEnabled(0, true), EACCES);
    FAILS("nocap-config-name", WifiConfig_SetConfigName(0, "x"), EACCES);
    FAILS("nocap-id-by-name", WifiConfig_GetNetworkIdByConfigName("x"), EACCES);
    FAILS("nocap-persist", WifiConfig_PersistConfig(), EACCES);
    FAILS("nocap-reload", WifiConfig_ReloadConfig(), EACCES);
    FAILS("nocap-diagnostics", WifiConfig_GetNetworkDiagnostics(0, &d), EACCES);
    FAILS("nocap-identity", WifiConfig_SetClientIdentity(0, "x"), EACCES);
    FAILS("nocap-get-identity", WifiConfig_GetClientIdentity(0, &identity), EACCES);
    FAILS("nocap-client-cert", WifiConfig_SetClientCertStoreIdentifier(0, "x"), EACCES);
    FAILS("nocap-get-client-cert", WifiConfig_GetClientCertStoreIdentifier(0, &cid), EACCES);
    FAILS("nocap-root-ca", WifiConfig_SetRootCACertStoreIdentifier(0, "x"), EACCES);
    FAILS("nocap-get-root-ca", WifiConfig_GetRootCACertStoreIdentifier(0, &cid), EACCES);
    FAILS("nocap-store-open", WifiConfig_StoreOpenNetwork((const uint8_t *)"x", 1), EACCES);
    FAILS("nocap-store-wpa2", WifiConfig_StoreWpa2Network((const uint8_t *)"x", 1, "12345678", 8), EACCES);
    FAILS("nocap-forget-network", WifiConfig_ForgetNetwork(&stored[0]), EACCES);
    Log_Debug("WIFI nocap done: %d passed, %d failed\n", passed, failed);
}

/* Logs networking readiness and the connected network whenever they change. */
static void watch(void)
{
    int last = -2;
    while (!stop) {
        int id = WifiConfig_GetConnectedNetworkId();
        int state = networking_ready() ? (id >= 0 ? id : 1000) : -1;
        if (state != last)
            Log_Debug("WIFI ready %d (network %d)\n", state >= 0, id);
        last = state;
        usleep(100 * 1000);
    }
}

int main(int argc, char *argv[])
{
    struct sigaction action = {.sa_handler = on_sigterm};
    sigaction(SIGTERM, &action, NULL);
    const char *mode = argc > 1 ? argv[1] : "suite";
    if (!strcmp(mode, "nocap"))
        nocap();
    else if (!strcmp(mode, "watch"))
        watch();
    else
        suite();
    while (!stop) /* stay running, as an app should, until the device stops it */
        pause();
    return failed ? 1 : 0;
}
