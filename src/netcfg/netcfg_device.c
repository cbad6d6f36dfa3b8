/* SPDX-License-Identifier: MIT */
/* netcfg_device.c — the process's one network configuration, behind a mutex (netcfg_device.h). */
#include "netcfg_device.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "hostio.h"
#include "json.h"
#include "netcfg_host.h"
#include "netcfg_sntp.h"
#include "path.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct netcfg *device_netcfg;
static bool host_eth0; /* eth0 is a host interface (netcfg_host.h) */
static int clock_fd = -1;           /* the device clock's page, shared read-only with apps */
static int64_t *clock_page;

/* The time sync thread: runs after a time configuration change and every NETCFG_SYNC_SECONDS. */
static pthread_mutex_t sync_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sync_cond = PTHREAD_COND_INITIALIZER;
static pthread_t sync_thread;
static bool sync_running, sync_stop, sync_kicked;
static struct netcfg_time last_time; /* the settings last seen, to notice changes */

int netcfg_board_has_eth0(const char *dir, bool *has_eth0, char *why, size_t why_size)
{
    char host[16];
    return netcfg_board_eth0(dir, has_eth0, host, sizeof host, why, why_size);
}

int netcfg_board_eth0(const char *dir, bool *has_eth0, char *host, size_t host_size, char *why, size_t why_size)
{
    *has_eth0 = false;
    host[0] = 0;
    char *path = path_join(dir, "board.json"), *text = NULL;
    size_t len = 0;
    int err = path ? hostio_read_file(path, &text, &len) : -ENOMEM;
    if (err == -ENOENT) {
        free(path);
        return 0;
    }
    struct json_value *root = NULL;
    struct diag_list diags = {0};
    if (!err && (json_parse(text, len, NULL, path, &diags, &root) || diag_error_count(&diags)))
        err = -EINVAL; /* the board loader reports a broken file itself */
    diag_list_free(&diags);
    const struct json_value *e = root && root->type == JSON_OBJECT ? json_object_get(root, "Ethernet") : NULL;
    if (!err && e) {
        const struct json_value *name = e->type == JSON_OBJECT ? json_object_get(e, "Interface") : NULL;
        const struct json_value *hostif = e->type == JSON_OBJECT ? json_object_get(e, "HostInterface") : NULL;
        if (e->type != JSON_OBJECT || e->u.object.count != 1u + (hostif != NULL) || !name ||
            name->type != JSON_STRING || strcmp(name->u.string.chars, "eth0") ||
            (hostif && (hostif->type != JSON_STRING || !hostif->u.string.len || hostif->u.string.len >= host_size ||
                        hostif->u.string.len >= 16 || strchr(hostif->u.string.chars, '/')))) {
            snprintf(why, why_size,
                     "%s:%u:%u: Ethernet: must be {\"Interface\": \"eth0\"} with an optional \"HostInterface\": "
                     "a network interface name (1-15 characters)",
                     path, e->pos.line, e->pos.col);
            err = -EINVAL;
        } else {
            *has_eth0 = true;
            if (hostif)
                memcpy(host, hostif->u.string.chars, hostif->u.string.len + 1);
        }
    }
    json_free(root);
    free(text);
    free(path);
    return err == -EINVAL && !e ? 0 : err;
}

static void *sync_loop(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&sync_lock);
    while (!sync_stop) {
        if (!sync_kicked) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += NETCFG_SYNC_SECONDS;
            if (pthread_cond_timedwait(&sync_cond, &sync_lock, &until) == 0 && !sync_kicked)
                continue; /* woken to stop, or spuriously */
        }
        sync_kicked = false;
        pthread_mutex_unlock(&sync_lock);
        char why[160];
        struct netcfg *n = netcfg_device_lock();
        bool enabled = n && netcfg_time(n)->enabled;
        if (n)
            netcfg_device_unlock();
        if (enabled && netcfg_device_time_sync(why, sizeof why))
            fprintf(stderr, "sphered: network time: %s\n", why);
        pthread_mutex_lock(&sync_lock);
    }
    pthread_mutex_unlock(&sync_lock);
    return NULL;
}

static void kick_sync(void)
{
    pthread_mutex_lock(&sync_lock);
    sync_kicked = true;
    pthread_cond_broadcast(&sync_cond);
    pthread_mutex_unlock(&sync_lock);
}

/* The clock page: created once per process, the offset kept current by after_change. */
static void clock_page_open(void)
{
    if (clock_fd >= 0)
        return;
    int fd = memfd_create("opensphere-device-clock", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    void *p = MAP_FAILED;
    if (fd >= 0 && ftruncate(fd, 4096) == 0)
        p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE) < 0) {
        fprintf(stderr, "sphered: the device clock page: %s\n", strerror(errno));
        if (p != MAP_FAILED)
            munmap(p, 4096);
        if (fd >= 0)
            close(fd);
        return;
    }
    clock_page = p;
    clock_fd = fd;
}

int netcfg_device_clock_fd(void)
{
    if (clock_fd < 0)
        return -ENODEV;
    int fd = fcntl(clock_fd, F_DUPFD_CLOEXEC, 0);
    return fd < 0 ? -errno : fd;
}

static void stop_threads(void)
{
    if (sync_running) {
        pthread_mutex_lock(&sync_lock);
        sync_stop = true;
        pthread_cond_broadcast(&sync_cond);
        pthread_mutex_unlock(&sync_lock);
        pthread_join(sync_thread, NULL);
        sync_running = false;
    }
    netcfg_host_stop();
    host_eth0 = false;
}

int netcfg_device_open(const char *state_dir, char *why, size_t why_size)
{
    bool eth0 = false;
    char host[16];
    int err = netcfg_board_eth0(state_dir, &eth0, host, sizeof host, why, why_size);
    struct netcfg *n = NULL;
    if (!err)
        err = netcfg_open(state_dir, eth0, &n, why, why_size);
    if (err)
        return err;
    stop_threads();
    pthread_mutex_lock(&lock);
    struct netcfg *old = device_netcfg;
    device_netcfg = n;
    last_time = *netcfg_time(n);
    clock_page_open();
    pthread_mutex_unlock(&lock);
    netcfg_close(old);
    if (host[0] && !(err = netcfg_host_start(host, state_dir, netcfg_device_now_ns)))
        host_eth0 = true;
    else if (host[0])
        fprintf(stderr, "sphered: eth0 on %s: %s\n", host, strerror(-err));
    sync_stop = false;
    sync_kicked = true; /* sync once at start */
    if (!pthread_create(&sync_thread, NULL, sync_loop, NULL))
        sync_running = true;
    netcfg_device_lock();
    netcfg_device_unlock(); /* hands eth0's configuration to the host side */
    return 0;
}

void netcfg_device_close(void)
{
    stop_threads();
    pthread_mutex_lock(&lock);
    struct netcfg *old = device_netcfg;
    device_netcfg = NULL;
    pthread_mutex_unlock(&lock);
    netcfg_close(old);
}

struct netcfg *netcfg_device_lock(void)
{
    pthread_mutex_lock(&lock);
    if (!device_netcfg)
        pthread_mutex_unlock(&lock);
    return device_netcfg;
}

/* Called with the lock held: hands eth0 to the host side, notices time changes. */
static void after_change(struct netcfg *n)
{
    const struct netcfg_interface *f = netcfg_interface(n, "eth0");
    if (host_eth0 && f) {
        struct netcfg_host_state w = {.enabled = f->enabled, .ip = f->ip, .lease_released = f->lease_released,
                                      .renew = f->renewals, .dhcp_server = f->dhcp_server,
                                      .sntp_server = f->sntp_server};
        netcfg_host_kick(&w);
    }
    const struct netcfg_time *t = netcfg_time(n);
    if (clock_page)
        __atomic_store_n(clock_page, t->offset_ns, __ATOMIC_RELEASE);
    bool changed = t->enabled != last_time.enabled || t->mode != last_time.mode || t->fallback != last_time.fallback ||
                   strcmp(t->primary, last_time.primary) || strcmp(t->secondary, last_time.secondary);
    last_time = *t;
    if (changed && t->enabled)
        kick_sync();
}

void netcfg_device_unlock(void)
{
    if (device_netcfg)
        after_change(device_netcfg);
    pthread_mutex_unlock(&lock);
}

int netcfg_status_bits(struct netcfg *n, const char *name, bool wifi_link, bool host_ready, uint32_t *bits)
{
    const uint32_t all = NETCFG_STATUS_UP | NETCFG_STATUS_CONNECTED | NETCFG_STATUS_IP;
    if (!n) { /* no model: wlan0 alone, "eth0" its alias (the behaviour before netcfg) */
        if (strcmp(name, "wlan0") && strcmp(name, "eth0"))
            return -ENOENT;
        *bits = wifi_link && host_ready ? all : 0;
        return 0;
    }
    const struct netcfg_interface *f = netcfg_interface(n, name);
    if (!f)
        return -ENOENT;
    uint32_t b = 0;
    if (f->enabled && host_eth0 && f->medium == NETCFG_MEDIUM_ETHERNET) { /* real: the host interface's address */
        *bits = NETCFG_STATUS_UP | NETCFG_STATUS_CONNECTED | (netcfg_host_address() ? NETCFG_STATUS_IP : 0);
        return 0;
    }
    if (f->enabled) {
        b |= NETCFG_STATUS_UP;
        /* wlan0 is connected when Wi-Fi is; eth0's simulated cable is always plugged in */
        bool link = f->medium == NETCFG_MEDIUM_WIFI ? wifi_link : true;
        if (link)
            b |= NETCFG_STATUS_CONNECTED;
        if (link && host_ready && (f->ip.static_ip || !f->lease_released))
            b |= NETCFG_STATUS_IP;
    }
    *bits = b;
    return 0;
}

uint32_t netcfg_device_status(bool wifi_link, bool host_ready)
{
    uint32_t all = 0, bits = 0;
    struct netcfg *n = netcfg_device_lock();
    if (!n) {
        netcfg_status_bits(NULL, "wlan0", wifi_link, host_ready, &all);
        return all;
    }
    for (size_t i = 0; i < netcfg_interface_count(n); i++)
        if (!netcfg_status_bits(n, netcfg_interface_at(n, i)->name, wifi_link, host_ready, &bits))
            all |= bits;
    netcfg_device_unlock();
    return all;
}

int64_t netcfg_device_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    struct netcfg *n = netcfg_device_lock();
    if (n) {
        now += netcfg_time(n)->offset_ns;
        netcfg_device_unlock();
    }
    return now;
}

int netcfg_device_set_time(int64_t unix_ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t host = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    struct netcfg *n = netcfg_device_lock();
    if (!n)
        return -EAGAIN;
    int err = netcfg_time_set_offset(n, unix_ns - host);
    netcfg_device_unlock();
    return err;
}

uint32_t netcfg_device_eth0_address(void)
{
    return host_eth0 ? netcfg_host_address() : 0;
}

/* Tries one server: 0 and the sync recorded, or the error with why. */
static int try_server(const char *server, char *why, size_t why_size)
{
    int64_t server_ns = 0, host_ns = 0;
    int err = netcfg_sntp_query(server, 3000, &server_ns, &host_ns);
    if (err) {
        snprintf(why, why_size, "%s: %s", server, err == -ENOENT ? "does not resolve" : strerror(-err));
        return err;
    }
    struct netcfg *n = netcfg_device_lock();
    if (!n)
        return -EAGAIN;
    int64_t before = host_ns + netcfg_time(n)->offset_ns;
    err = netcfg_time_record_sync(n, server, before / 1000000000, server_ns / 1000000000, server_ns - host_ns);
    netcfg_device_unlock();
    if (err)
        snprintf(why, why_size, "cannot save the sync: %s", strerror(-err));
    return err;
}

int netcfg_device_time_sync(char *why, size_t why_size)
{
    char servers[6][NETCFG_HOST_SIZE];
    size_t count = 0;
    struct netcfg *n = netcfg_device_lock();
    if (!n) {
        snprintf(why, why_size, "the device has no network configuration");
        return -EAGAIN;
    }
    struct netcfg_time t = *netcfg_time(n);
    netcfg_device_unlock();
    if (t.mode == NETCFG_NTP_CUSTOM) {
        snprintf(servers[count++], NETCFG_HOST_SIZE, "%s", t.primary);
        if (t.secondary[0])
            snprintf(servers[count++], NETCFG_HOST_SIZE, "%s", t.secondary);
    } else if (t.mode == NETCFG_NTP_AUTOMATIC) {
        uint32_t ntp[3];
        size_t k = netcfg_host_dhcp_ntp(ntp, 3);
        for (size_t i = 0; i < k; i++) {
            struct in_addr in = {ntp[i]};
            inet_ntop(AF_INET, &in, servers[count++], NETCFG_HOST_SIZE);
        }
    }
    const char *def = getenv("OPENSPHERE_DEFAULT_NTP_SERVER");
    if ((t.mode == NETCFG_NTP_DEFAULT || t.fallback) && def && netcfg_host_valid(def, NETCFG_HOST_SIZE))
        snprintf(servers[count++], NETCFG_HOST_SIZE, "%s", def);
    if (!count) {
        snprintf(why, why_size, "no NTP server configured (%s mode%s)",
                 t.mode == NETCFG_NTP_CUSTOM ? "custom" : t.mode == NETCFG_NTP_AUTOMATIC ? "automatic" : "default",
                 t.mode == NETCFG_NTP_AUTOMATIC ? ", no DHCP lease named one" : "; OPENSPHERE_DEFAULT_NTP_SERVER is unset");
        return -ENOENT;
    }
    int err = 0;
    for (size_t i = 0; i < count; i++)
        if (!(err = try_server(servers[i], why, why_size)))
            return 0;
    return err;
}
