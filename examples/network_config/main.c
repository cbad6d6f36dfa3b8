/* SPDX-License-Identifier: MIT */
/* NetworkConfig — an OpenSphere example high-level app (our own code) that calls every
 * configuration function of applibs/networking.h and checks each result and errno.
 *
 * CmdArgs pick what it does:
 *   suite  the whole API on a device whose board file gives it eth0 (tests/cli/test_netcfg.sh):
 *          interfaces, enabling/disabling (a disabled device carries no traffic: ENETUNREACH),
 *          IP configuration (bad addresses EINVAL, unknown interface ENOENT), DHCP and SNTP
 *          servers (EPERM without a static address), network time, proxy. Leaves eth0 static
 *          at 192.168.100.10/24 with a DHCP server for .11-.20 and an SNTP server, custom NTP
 *          127.0.0.1/127.0.0.2 (nothing outside the host is asked), the device clock one day ahead
 *          (clock_settime; the host's clock unchanged), and a proxy proxy.test:3128 with basic
 *          authentication.
 *   nocap  every call that needs a capability fails with EACCES (a manifest without them).
 *   ntp SERVER   sets the device clock a day ahead, then custom NTP SERVER (no fallback), and
 *          waits up to 15 s for the device's sync: GetLastNtpSyncInfo names SERVER, the time
 *          before is a day ahead of the NTP time, and time() is the NTP time again.
 *   dnssd SERVICE [OTHER]  DNS service discovery through the device's resolver: a PTR query
 *          (res_query) for SERVICE (listed in AllowedConnections) names an instance, SRV and TXT
 *          queries for the instance (res_query; res_nquery, the res_state form) give its host,
 *          port and text, and a connect to host:port succeeds (the device resolves host through
 *          the DNS server that answered); an unlisted service is refused (EACCES), and so is the
 *          instance before the PTR answer made it known; OTHER, a name neither listed nor
 *          learned, is refused by res_nquery (EACCES) and getaddrinfo (EAI_NONAME, EACCES).
 *   serve  eth0 static 192.168.100.10/24, a DHCP server for .11-.20 (router and NTP .10) and an
 *          SNTP server; turns time sync off and sets the device clock one hour ahead, so what
 *          the SNTP server answers is visibly the device's clock (tests/cli/test_netcfg_netns.sh).
 * Every check logs "NETCFG <check> ok" or "NETCFG <check> FAIL …"; each mode ends with
 * "NETCFG <mode> done: P passed, F failed". Exits on SIGTERM. */
#define NETWORKING_STRUCTS_VERSION 1
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>

#include <applibs/log.h>
#include <applibs/networking.h>
#include <applibs/rtc.h>

/* The host's clock, bypassing libapplibs' device clock (the raw system call). */
static void syscall_time(struct timespec *ts)
{
    syscall(SYS_clock_gettime, CLOCK_REALTIME, ts);
}

static volatile sig_atomic_t stop;
static int passed, failed;

static void on_sigterm(int signal) { stop = 1; }

static void expect(const char *name, long got, int err, long want, int want_errno)
{
    bool good = want >= 0 ? got == want : got == -1 && err == want_errno;
    if (good) {
        passed++;
        Log_Debug("NETCFG %s ok\n", name);
    } else {
        failed++;
        Log_Debug("NETCFG %s FAIL: returned %ld errno %s, expected %ld errno %s\n", name, got, strerror(err), want,
                  want_errno ? strerror(want_errno) : "-");
    }
}
#define OK(name, call, want) do { errno = 0; long r_ = (long)(call); expect(name, r_, errno, want, 0); } while (0)
#define FAILS(name, call, e) do { errno = 0; long r_ = (long)(call); expect(name, r_, errno, -1, e); } while (0)
#define TRUE(name, cond) expect(name, (cond) ? 1 : 0, 0, 1, 0)

static struct in_addr ip(const char *s)
{
    struct in_addr a = {0};
    inet_pton(AF_INET, s, &a);
    return a;
}

static Networking_InterfaceConnectionStatus status_of(const char *name)
{
    Networking_InterfaceConnectionStatus st = 0xff;
    if (Networking_GetInterfaceConnectionStatus(name, &st) < 0)
        return 0xff;
    return st;
}

static void interfaces(void)
{
    OK("count", Networking_GetInterfaceCount(), 2);
    Networking_NetworkInterface ifs[4];
    memset(ifs, 0xa5, sizeof ifs);
    OK("list", Networking_GetInterfaces(ifs, 4), 2);
    TRUE("list wlan0", !strcmp(ifs[0].interfaceName, "wlan0") && ifs[0].isEnabled &&
                           ifs[0].interfaceMediumType == Networking_InterfaceMedium_Wifi &&
                           ifs[0].ipConfigurationType == Networking_IpType_DhcpClient);
    TRUE("list eth0", !strcmp(ifs[1].interfaceName, "eth0") && ifs[1].isEnabled &&
                          ifs[1].interfaceMediumType == Networking_InterfaceMedium_Ethernet);
    OK("list 1 of 2", Networking_GetInterfaces(ifs, 1), 1);
    FAILS("list NULL", Networking_GetInterfaces(NULL, 2), EFAULT);
    FAILS("list 0", Networking_GetInterfaces(ifs, 0), ERANGE);
    const Networking_InterfaceConnectionStatus all = Networking_InterfaceConnectionStatus_InterfaceUp |
                                                     Networking_InterfaceConnectionStatus_ConnectedToNetwork |
                                                     Networking_InterfaceConnectionStatus_IpAvailable;
    OK("status eth0", status_of("eth0"), all);
    Networking_InterfaceConnectionStatus st;
    FAILS("status eth7", Networking_GetInterfaceConnectionStatus("eth7", &st), ENODEV);
    FAILS("status NULL", Networking_GetInterfaceConnectionStatus(NULL, &st), EFAULT);
    FAILS("set state eth7", Networking_SetInterfaceState("eth7", false), ENOENT);
    FAILS("set state NULL", Networking_SetInterfaceState(NULL, false), EFAULT);
    OK("disable eth0", Networking_SetInterfaceState("eth0", false), 0);
    OK("status eth0 disabled", status_of("eth0"), 0);
    Networking_GetInterfaces(ifs, 4);
    TRUE("list eth0 disabled", !ifs[1].isEnabled);
    bool ready = false;
    OK("ready with wlan0", Networking_IsNetworkingReady(&ready), 0);
    TRUE("ready with wlan0 is true", ready);
    OK("disable wlan0", Networking_SetInterfaceState("wlan0", false), 0);
    OK("ready with none", Networking_IsNetworkingReady(&ready), 0);
    TRUE("ready with none is false", !ready);
    FAILS("connect with none", OpenSphere_Networking_Connect(ip("10.77.0.3"), 80, SOCK_STREAM), ENETUNREACH);
    OK("enable wlan0", Networking_SetInterfaceState("wlan0", true), 0);
    OK("enable eth0", Networking_SetInterfaceState("eth0", true), 0);
    OK("status eth0 enabled", status_of("eth0"), all);

    Networking_Interface_HardwareAddress mac;
    OK("get mac wlan0", Networking_GetHardwareAddress("wlan0", &mac), 0);
    TRUE("wlan0's mac", mac.address[0] == 0x02 && mac.address[5] == 0x01);
    FAILS("get mac eth7", Networking_GetHardwareAddress("eth7", &mac), ENOENT);
    FAILS("get mac NULL", Networking_GetHardwareAddress("eth0", NULL), EINVAL);
    const uint8_t mine[6] = {0x02, 0x12, 0x34, 0x56, 0x78, 0x9a}, group[6] = {0x03, 1, 2, 3, 4, 5};
    FAILS("set mac on wlan0", Networking_SetHardwareAddress("wlan0", mine, 6), EPERM);
    FAILS("set mac group", Networking_SetHardwareAddress("eth0", group, 6), EINVAL);
    FAILS("set mac length 7", Networking_SetHardwareAddress("eth0", mine, 7), ERANGE);
    OK("set mac eth0", Networking_SetHardwareAddress("eth0", mine, 6), 0);
    Networking_GetHardwareAddress("eth0", &mac);
    TRUE("eth0's new mac", !memcmp(mac.address, mine, 6));
}

static void ip_config(void)
{
    Networking_IpConfig c;
    memset(&c, 0, sizeof c);
    FAILS("apply uninitialised", Networking_IpConfig_Apply("eth0", &c), EINVAL);
    Networking_IpConfig_Init(&c);
    FAILS("apply NULL", Networking_IpConfig_Apply("eth0", NULL), EFAULT);
    FAILS("apply eth7", Networking_IpConfig_Apply("eth7", &c), ENOENT);
    Networking_IpConfig_EnableStaticIp(&c, ip("192.168.100.10"), ip("255.0.255.0"), ip("0.0.0.0"));
    FAILS("apply bad mask", Networking_IpConfig_Apply("eth0", &c), EINVAL);
    Networking_IpConfig_EnableStaticIp(&c, ip("192.168.100.255"), ip("255.255.255.0"), ip("0.0.0.0"));
    FAILS("apply broadcast address", Networking_IpConfig_Apply("eth0", &c), EINVAL);
    Networking_IpConfig_EnableStaticIp(&c, ip("192.168.100.10"), ip("255.255.255.0"), ip("10.0.0.1"));
    FAILS("apply gateway outside", Networking_IpConfig_Apply("eth0", &c), EINVAL);
    struct in_addr dns[4] = {ip("192.168.100.1"), ip("192.168.100.2"), ip("192.168.100.3"), ip("192.168.100.4")};
    FAILS("custom dns 0", Networking_IpConfig_EnableCustomDns(&c, dns, 0), EINVAL);
    FAILS("custom dns 4", Networking_IpConfig_EnableCustomDns(&c, dns, 4), ERANGE);
    FAILS("custom dns NULL", Networking_IpConfig_EnableCustomDns(&c, NULL, 1), EFAULT);
    OK("custom dns 2", Networking_IpConfig_EnableCustomDns(&c, dns, 2), 0);
    Networking_IpConfig_EnableAutomaticDns(&c);
    Networking_IpConfig_EnableDynamicIp(&c);
    OK("apply dynamic", Networking_IpConfig_Apply("eth0", &c), 0);
    OK("release", Networking_IpConfig_ReleaseIp("eth0"), 0);
    OK("status released", status_of("eth0"), Networking_InterfaceConnectionStatus_InterfaceUp |
                                                 Networking_InterfaceConnectionStatus_ConnectedToNetwork);
    OK("renew", Networking_IpConfig_RenewIp("eth0"), 0);
    FAILS("release eth7", Networking_IpConfig_ReleaseIp("eth7"), ENOENT);
    FAILS("renew NULL", Networking_IpConfig_RenewIp(NULL), EFAULT);
    Networking_IpConfig_EnableStaticIp(&c, ip("192.168.100.10"), ip("255.255.255.0"), ip("0.0.0.0"));
    OK("custom dns 1", Networking_IpConfig_EnableCustomDns(&c, dns, 1), 0);
    OK("apply static", Networking_IpConfig_Apply("eth0", &c), 0);
    FAILS("release static", Networking_IpConfig_ReleaseIp("eth0"), EPERM);
    Networking_NetworkInterface ifs[2];
    Networking_GetInterfaces(ifs, 2);
    TRUE("list eth0 static", ifs[1].ipConfigurationType == Networking_IpType_DhcpNone);
    Networking_IpConfig_Destroy(&c);
}

static void servers(void)
{
    Networking_DhcpServerConfig d;
    Networking_DhcpServerConfig_Init(&d);
    FAILS("dhcp without a lease", Networking_DhcpServer_Start("eth0", &d), EINVAL);
    FAILS("dhcp lease NULL", Networking_DhcpServerConfig_SetLease(NULL, ip("192.168.100.11"), 10, ip("255.255.255.0"),
                                                                  ip("192.168.100.10"), 24), EFAULT);
    OK("dhcp lease", Networking_DhcpServerConfig_SetLease(&d, ip("192.168.100.11"), 10, ip("255.255.255.0"),
                                                          ip("192.168.100.10"), 24), 0);
    struct in_addr ntp[4] = {ip("192.168.100.10"), ip("192.168.100.10"), ip("192.168.100.10"), ip("192.168.100.10")};
    FAILS("dhcp ntp 4", Networking_DhcpServerConfig_SetNtpServerAddresses(&d, ntp, 4), ERANGE);
    OK("dhcp ntp 1", Networking_DhcpServerConfig_SetNtpServerAddresses(&d, ntp, 1), 0);
    FAILS("dhcp on wlan0 (DHCP client)", Networking_DhcpServer_Start("wlan0", &d), EPERM);
    FAILS("dhcp on eth7", Networking_DhcpServer_Start("eth7", &d), ENOENT);
    FAILS("dhcp NULL", Networking_DhcpServer_Start("eth0", NULL), EFAULT);
    Networking_DhcpServerConfig bad;
    Networking_DhcpServerConfig_Init(&bad);
    Networking_DhcpServerConfig_SetLease(&bad, ip("10.1.1.11"), 10, ip("255.255.255.0"), ip("0.0.0.0"), 24);
    FAILS("dhcp pool outside the subnet", Networking_DhcpServer_Start("eth0", &bad), EINVAL);
    Networking_DhcpServerConfig_SetLease(&bad, ip("192.168.100.11"), 0, ip("255.255.255.0"), ip("0.0.0.0"), 24);
    FAILS("dhcp pool of 0", Networking_DhcpServer_Start("eth0", &bad), EINVAL);
    Networking_DhcpServerConfig_Destroy(&bad);
    OK("dhcp start", Networking_DhcpServer_Start("eth0", &d), 0);
    Networking_DhcpServerConfig_Destroy(&d);

    Networking_SntpServerConfig s;
    Networking_SntpServerConfig_Init(&s);
    FAILS("sntp on wlan0", Networking_SntpServer_Start("wlan0", &s), EPERM);
    FAILS("sntp NULL", Networking_SntpServer_Start("eth0", NULL), EFAULT);
    OK("sntp start", Networking_SntpServer_Start("eth0", &s), 0);
    Networking_SntpServerConfig_Destroy(&s);
}

static void time_sync(void)
{
    bool on = false;
    OK("timesync get", Networking_TimeSync_GetEnabled(&on), 0);
    TRUE("timesync on by default", on);
    FAILS("timesync get NULL", Networking_TimeSync_GetEnabled(NULL), EFAULT);
    OK("timesync off", Networking_TimeSync_SetEnabled(false), 0);
    Networking_TimeSync_GetEnabled(&on);
    TRUE("timesync is off", !on);
    OK("timesync on", Networking_TimeSync_SetEnabled(true), 0);
    FAILS("custom NULL", Networking_TimeSync_EnableCustomNtp(NULL, NULL, Networking_NtpOption_FallbackServerEnabled), EINVAL);
    FAILS("custom bad name", Networking_TimeSync_EnableCustomNtp("bad name", NULL, Networking_NtpOption_FallbackServerEnabled), EINVAL);
    FAILS("custom bad option", Networking_TimeSync_EnableCustomNtp("ntp.test", NULL, 7), EINVAL);
    OK("automatic", Networking_TimeSync_EnableAutomaticNtp(Networking_NtpOption_FallbackServerDisabled), 0);
    OK("default", Networking_TimeSync_EnableDefaultNtp(), 0);
    /* loopback servers: nothing answers, and nothing outside the test host is ever asked */
    OK("custom", Networking_TimeSync_EnableCustomNtp("127.0.0.1", "127.0.0.2", Networking_NtpOption_FallbackServerEnabled), 0);
    char server[64];
    size_t len = sizeof server;
    struct tm before, after;
    FAILS("last sync before any", Networking_TimeSync_GetLastNtpSyncInfo(server, &len, &before, &after), ENOENT);
    FAILS("last sync NULL", Networking_TimeSync_GetLastNtpSyncInfo(server, NULL, &before, &after), EFAULT);
}

/* The device keeps its own clock: an app with SystemTime sets it, the host's stays. */
static void device_clock(void)
{
    struct timespec host;
    syscall_time(&host);
    time_t t0 = time(NULL);
    TRUE("time is the host's at first", t0 - host.tv_sec >= -1 && t0 - host.tv_sec <= 1);
    struct timespec ts = {.tv_sec = t0 + 86400, .tv_nsec = 0};
    OK("clock_settime +1 day", clock_settime(CLOCK_REALTIME, &ts), 0);
    time_t t1 = time(NULL);
    TRUE("time() follows the device clock", t1 - t0 >= 86399 && t1 - t0 <= 86402);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    TRUE("gettimeofday follows", tv.tv_sec - t0 >= 86399 && tv.tv_sec - t0 <= 86402);
    syscall_time(&host);
    TRUE("the host's clock is unchanged", host.tv_sec - t0 >= -1 && host.tv_sec - t0 <= 2);
    FAILS("clock_settime MONOTONIC", clock_settime(CLOCK_MONOTONIC, &ts), EINVAL);
    OK("clock_systohc", clock_systohc(), 0);
}

static void proxy(void)
{
    Networking_ProxyConfig *p = Networking_Proxy_Create();
    TRUE("proxy create", p != NULL);
    if (!p)
        return;
    Networking_ProxyOptions o = 0;
    OK("proxy options", Networking_Proxy_GetProxyOptions(p, &o), 0);
    TRUE("proxy enabled by default", o == Networking_ProxyOptions_Enabled);
    OK("proxy type", Networking_Proxy_GetProxyType(p), Networking_ProxyType_HTTP);
    OK("proxy auth", Networking_Proxy_GetAuthType(p), Networking_ProxyAuthType_Anonymous);
    FAILS("proxy without a host", Networking_Proxy_Apply(p), EINVAL);
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    FAILS("proxy address too long", Networking_Proxy_SetProxyAddress(p, longname, 80), ERANGE);
    FAILS("proxy address NULL", Networking_Proxy_SetProxyAddress(p, NULL, 80), EFAULT);
    FAILS("proxy user too long", Networking_Proxy_SetBasicAuthentication(p, longname, "pw"), ERANGE);
    FAILS("proxy no-proxy too long", Networking_Proxy_SetProxyNoProxyAddresses(p, longname), ERANGE);
    FAILS("proxy apply NULL", Networking_Proxy_Apply(NULL), EFAULT);
    OK("proxy address", Networking_Proxy_SetProxyAddress(p, "proxy.test", 3128), 0);
    OK("proxy basic", Networking_Proxy_SetBasicAuthentication(p, "user", "secret pass"), 0);
    OK("proxy no-proxy", Networking_Proxy_SetProxyNoProxyAddresses(p, "a.test,10.0.0.1"), 0);
    OK("proxy apply", Networking_Proxy_Apply(p), 0);
    Networking_Proxy_Destroy(p);
    p = Networking_Proxy_Create();
    OK("proxy get", Networking_Proxy_Get(p), 0);
    uint16_t port = 0;
    Networking_Proxy_GetProxyPort(p, &port);
    TRUE("proxy got", !strcmp(Networking_Proxy_GetProxyAddress(p), "proxy.test") && port == 3128 &&
                          Networking_Proxy_GetAuthType(p) == Networking_ProxyAuthType_Basic &&
                          !strcmp(Networking_Proxy_GetProxyUsername(p), "user") &&
                          !strcmp(Networking_Proxy_GetProxyPassword(p), "secret pass") &&
                          !strcmp(Networking_Proxy_GetNoProxyAddresses(p), "a.test,10.0.0.1"));
    FAILS("proxy get NULL", Networking_Proxy_Get(NULL), EFAULT);
    FAILS("proxy getters NULL", Networking_Proxy_GetProxyPort(NULL, &port), EFAULT);
    TRUE("proxy getters NULL type", Networking_Proxy_GetProxyType(NULL) == Networking_ProxyType_Invalid && errno == EFAULT);
    Networking_Proxy_Destroy(p);
}

static void no_capabilities(void)
{
    OK("count (no capability needed)", Networking_GetInterfaceCount(), 2);
    FAILS("set state", Networking_SetInterfaceState("wlan0", false), EACCES);
    const uint8_t mine[6] = {0x02, 0x12, 0x34, 0x56, 0x78, 0x9b};
    FAILS("set mac", Networking_SetHardwareAddress("eth0", mine, 6), EACCES);
    Networking_IpConfig c;
    Networking_IpConfig_Init(&c);
    FAILS("apply", Networking_IpConfig_Apply("wlan0", &c), EACCES);
    FAILS("release", Networking_IpConfig_ReleaseIp("wlan0"), EACCES);
    FAILS("renew", Networking_IpConfig_RenewIp("wlan0"), EACCES);
    Networking_DhcpServerConfig d;
    Networking_DhcpServerConfig_Init(&d);
    Networking_DhcpServerConfig_SetLease(&d, ip("192.168.100.11"), 10, ip("255.255.255.0"), ip("0.0.0.0"), 24);
    FAILS("dhcp", Networking_DhcpServer_Start("wlan0", &d), EACCES);
    Networking_SntpServerConfig s;
    Networking_SntpServerConfig_Init(&s);
    FAILS("sntp", Networking_SntpServer_Start("wlan0", &s), EACCES);
    bool on;
    OK("timesync get (no capability needed)", Networking_TimeSync_GetEnabled(&on), 0);
    FAILS("timesync set", Networking_TimeSync_SetEnabled(false), EACCES);
    FAILS("default ntp", Networking_TimeSync_EnableDefaultNtp(), EACCES);
    FAILS("custom ntp", Networking_TimeSync_EnableCustomNtp("ntp.test", NULL, 0), EACCES);
    FAILS("automatic ntp", Networking_TimeSync_EnableAutomaticNtp(0), EACCES);
    char server[64];
    size_t len = sizeof server;
    struct tm before, after;
    FAILS("last sync", Networking_TimeSync_GetLastNtpSyncInfo(server, &len, &before, &after), EACCES);
    struct timespec ts = {.tv_sec = time(NULL) + 3600};
    FAILS("clock_settime", clock_settime(CLOCK_REALTIME, &ts), EACCES);
    Networking_ProxyConfig *p = Networking_Proxy_Create();
    Networking_Proxy_SetProxyAddress(p, "proxy.test", 3128);
    FAILS("proxy apply", Networking_Proxy_Apply(p), EACCES);
    FAILS("proxy get", Networking_Proxy_Get(p), EACCES);
    Networking_Proxy_Destroy(p);
}

static void ntp_sync(const char *server)
{
    struct timespec host, ts;
    syscall_time(&host);
    ts.tv_sec = host.tv_sec + 86400, ts.tv_nsec = 0;
    OK("clock a day ahead", clock_settime(CLOCK_REALTIME, &ts), 0);
    OK("custom ntp", Networking_TimeSync_EnableCustomNtp(server, NULL, Networking_NtpOption_FallbackServerDisabled), 0);
    char name[64];
    size_t len = 0;
    struct tm before, after;
    int rc = -1;
    for (int i = 0; i < 150 && rc != 0; i++) {
        len = sizeof name;
        rc = Networking_TimeSync_GetLastNtpSyncInfo(name, &len, &before, &after);
        if (rc != 0)
            usleep(100000);
    }
    OK("last sync", rc, 0);
    if (rc != 0)
        return;
    TRUE("last sync names the server", !strcmp(name, server) && len == strlen(server) + 1);
    time_t b = timegm(&before), a = timegm(&after);
    TRUE("the time before was a day ahead", b - a >= 86398 && b - a <= 86402);
    syscall_time(&host);
    time_t now = time(NULL);
    TRUE("the device clock is the NTP time again", now - host.tv_sec >= -2 && now - host.tv_sec <= 2);
    size_t small = 3;
    FAILS("last sync into 3 bytes", Networking_TimeSync_GetLastNtpSyncInfo(name, &small, &before, &after), ENOBUFS);
    TRUE("the size it needs", small == strlen(server) + 1);
    Log_Debug("NETCFG synced from %s: before %ld, ntp %ld\n", name, (long)b, (long)a);
}

/* The first answer record of type `type` in answer[0..len): its rdata, or NULL. */
static const unsigned char *first_rdata(const unsigned char *answer, int len, int type, ns_msg *m, ns_rr *rr)
{
    if (len <= 0 || ns_initparse(answer, len, m) < 0)
        return NULL;
    for (int i = 0; i < ns_msg_count(*m, ns_s_an); i++)
        if (ns_parserr(m, ns_s_an, i, rr) == 0 && ns_rr_type(*rr) == type)
            return ns_rr_rdata(*rr);
    return NULL;
}

static void dns_sd(const char *service, const char *other)
{
    unsigned char a[2048];
    ns_msg m;
    ns_rr rr;
    char instance[NS_MAXDNAME] = "", host[NS_MAXDNAME] = "", txt[256] = "";
    FAILS("unlisted service", res_query("_other._tcp.local", ns_c_in, ns_t_ptr, a, sizeof a), EACCES);
    FAILS("instance before discovery", res_query("Instance1._sample._tcp.local", ns_c_in, ns_t_srv, a, sizeof a), EACCES);
    int n = res_query(service, ns_c_in, ns_t_ptr, a, sizeof a);
    TRUE("ptr answered", n > 0);
    const unsigned char *rd = first_rdata(a, n, ns_t_ptr, &m, &rr);
    TRUE("ptr names an instance", rd && ns_name_uncompress(ns_msg_base(m), ns_msg_end(m), rd, instance, sizeof instance) > 0);
    n = res_query(instance, ns_c_in, ns_t_srv, a, sizeof a);
    rd = first_rdata(a, n, ns_t_srv, &m, &rr);
    TRUE("srv answered", rd && ns_name_uncompress(ns_msg_base(m), ns_msg_end(m), rd + 6, host, sizeof host) > 0);
    int port = rd ? ns_get16(rd + 4) : 0;
    struct __res_state st;
    memset(&st, 0, sizeof st);
    OK("res_ninit", res_ninit(&st), 0);
    n = res_nquery(&st, instance, ns_c_in, ns_t_txt, a, sizeof a);
    rd = first_rdata(a, n, ns_t_txt, &m, &rr);
    TRUE("txt answered", rd && rd[0] < sizeof txt);
    if (rd && rd[0] < sizeof txt)
        memcpy(txt, rd + 1, rd[0]);
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
    if (other) { /* neither listed nor learned: refused, in the res_state form too */
        FAILS("res_nquery of a name not learned", res_nquery(&st, other, ns_c_in, ns_t_a, a, sizeof a), EACCES);
        TRUE("res_state's h_errno", st.res_h_errno == NO_RECOVERY);
        errno = 0;
        int rc = getaddrinfo(other, "80", &hints, &res);
        TRUE("getaddrinfo of a name not learned refused", rc == EAI_NONAME && errno == EACCES);
        if (!rc)
            freeaddrinfo(res);
        res = NULL;
    }
    res_nclose(&st);
    /* the instance's host is connectable now: its address from the DNS server that answered */
    char port_text[8];
    snprintf(port_text, sizeof port_text, "%d", port);
    OK("resolve the instance's host", getaddrinfo(host, port_text, &hints, &res), 0);
    int s = res ? socket(AF_INET, SOCK_STREAM, 0) : -1;
    OK("connect to the instance", res ? connect(s, res->ai_addr, res->ai_addrlen) : -1, 0);
    if (s >= 0)
        close(s);
    char addr[INET_ADDRSTRLEN] = "";
    if (res)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)res->ai_addr)->sin_addr, addr, sizeof addr);
    if (res)
        freeaddrinfo(res);
    Log_Debug("NETCFG dnssd found %s at %s:%d (%s) txt %s\n", instance, host, port, addr, txt);
}

static void serve(void)
{
    Networking_IpConfig c;
    Networking_IpConfig_Init(&c);
    Networking_IpConfig_EnableStaticIp(&c, ip("192.168.100.10"), ip("255.255.255.0"), ip("0.0.0.0"));
    OK("eth0 static", Networking_IpConfig_Apply("eth0", &c), 0);
    Networking_IpConfig_Destroy(&c);
    Networking_DhcpServerConfig d;
    Networking_DhcpServerConfig_Init(&d);
    struct in_addr ntp = ip("192.168.100.10");
    OK("lease", Networking_DhcpServerConfig_SetLease(&d, ip("192.168.100.11"), 10, ip("255.255.255.0"),
                                                     ip("192.168.100.10"), 24), 0);
    OK("lease ntp", Networking_DhcpServerConfig_SetNtpServerAddresses(&d, &ntp, 1), 0);
    OK("dhcp server", Networking_DhcpServer_Start("eth0", &d), 0);
    Networking_DhcpServerConfig_Destroy(&d);
    Networking_SntpServerConfig s;
    Networking_SntpServerConfig_Init(&s);
    OK("sntp server", Networking_SntpServer_Start("eth0", &s), 0);
    OK("time sync off", Networking_TimeSync_SetEnabled(false), 0);
    struct timespec host, ts;
    syscall_time(&host);
    ts.tv_sec = host.tv_sec + 3600, ts.tv_nsec = host.tv_nsec;
    OK("clock an hour ahead", clock_settime(CLOCK_REALTIME, &ts), 0);
}

int main(int argc, char *argv[])
{
    signal(SIGTERM, on_sigterm);
    const char *mode = argc > 1 ? argv[1] : "suite";
    if (!strcmp(mode, "nocap")) {
        no_capabilities();
    } else if (!strcmp(mode, "ntp") && argc > 2) {
        ntp_sync(argv[2]);
    } else if (!strcmp(mode, "dnssd") && argc > 2) {
        dns_sd(argv[2], argc > 3 ? argv[3] : NULL);
    } else if (!strcmp(mode, "serve")) {
        serve();
    } else {
        interfaces();
        ip_config();
        servers();
        time_sync();
        device_clock();
        proxy();
    }
    Log_Debug("NETCFG %s done: %d passed, %d failed\n", mode, passed, failed);
    while (!stop)
        pause();
    return 0;
}
