/* SPDX-License-Identifier: MIT */
/* netcfg_host.c — eth0 on a host interface (see netcfg_host.h). */
#include "netcfg_host.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hostio.h"
#include "netcfg_sntp.h"
#include "path.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static pthread_t worker;
static bool running, stopping;
static char ifname[IF_NAMESIZE], *dir;
static int64_t (*clock_now)(void);
static struct netcfg_host_state wanted;
static unsigned wanted_gen, applied_gen;

/* What is applied now (worker thread only). */
static struct netcfg_host_state have;
static bool have_valid;
static pid_t dnsmasq = -1;
static struct netcfg_sntp_server *sntp;
static bool lease_missing;        /* DHCP wanted, and the last try got no lease: tried again */
static struct timespec retry_at; /* when (CLOCK_REALTIME, the condition variable's clock) */

#define DHCP_RETRY_MS 3000 /* between one udhcpc run that got no offer and the next run */

/* In a child before exec: sphered's threads block the signals it handles itself; the child
 * must not inherit that (dnsmasq would never see SIGTERM). */
static void exec_child(char *const argv[])
{
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    execvp(argv[0], argv);
    _exit(127);
}

/* The DHCP client while it runs (under `lock`): a change of the wanted state stops it, so no
 * change waits for a DHCP server that does not answer. */
static pid_t dhcp_pid = -1;

/* Runs argv, waits, returns its exit status (or -errno). Output goes to sphered's log. With
 * track, the child is dhcp_pid while it runs. */
static int run_child(char *const argv[], bool track)
{
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0)
        exec_child(argv);
    if (track) {
        pthread_mutex_lock(&lock);
        dhcp_pid = pid;
        if (wanted_gen != applied_gen) /* a change came while we forked */
            kill(pid, SIGTERM);
        pthread_mutex_unlock(&lock);
    }
    int status;
    int err = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            err = -errno;
            break;
        }
    if (track) {
        pthread_mutex_lock(&lock);
        dhcp_pid = -1;
        pthread_mutex_unlock(&lock);
    }
    if (err)
        return err;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -EINTR;
}

static int run(char *const argv[])
{
    return run_child(argv, false);
}

/* Field by field: the structs have padding, which a copy or an initializer need not set, so
 * memcmp would see changes that are not there (and each one restarted a DHCP client). */
static bool ip_equal(const struct netcfg_ip *a, const struct netcfg_ip *b)
{
    if (a->static_ip != b->static_ip || a->address != b->address || a->netmask != b->netmask ||
        a->gateway != b->gateway || a->custom_dns != b->custom_dns || a->dns_count != b->dns_count)
        return false;
    for (size_t i = 0; i < a->dns_count && i < NETCFG_MAX_DNS; i++)
        if (a->dns[i] != b->dns[i])
            return false;
    return true;
}

static bool dhcp_server_equal(const struct netcfg_dhcp_server *a, const struct netcfg_dhcp_server *b)
{
    if (a->running != b->running || a->start != b->start || a->netmask != b->netmask || a->gateway != b->gateway ||
        a->count != b->count || a->lease_hours != b->lease_hours || a->ntp_count != b->ntp_count)
        return false;
    for (size_t i = 0; i < a->ntp_count && i < NETCFG_MAX_NTP; i++)
        if (a->ntp[i] != b->ntp[i])
            return false;
    return true;
}

static bool host_state_equal(const struct netcfg_host_state *a, const struct netcfg_host_state *b)
{
    return a->enabled == b->enabled && ip_equal(&a->ip, &b->ip) && a->lease_released == b->lease_released &&
           a->renew == b->renew && dhcp_server_equal(&a->dhcp_server, &b->dhcp_server) &&
           a->sntp_server == b->sntp_server;
}

static void addr_text(uint32_t a, char out[INET_ADDRSTRLEN])
{
    struct in_addr in = {a};
    inet_ntop(AF_INET, &in, out, INET_ADDRSTRLEN);
}

static int prefix_of(uint32_t mask)
{
    return __builtin_popcount(ntohl(mask));
}

static void flush(void)
{
    char *argv[] = {"ip", "-4", "addr", "flush", "dev", ifname, NULL};
    run(argv);
}

static void set_link(bool up)
{
    char *argv[] = {"ip", "link", "set", ifname, up ? "up" : "down", NULL};
    run(argv);
}

static void apply_static(const struct netcfg_ip *ip)
{
    char addr[INET_ADDRSTRLEN + 4], a[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
    addr_text(ip->address, a);
    snprintf(addr, sizeof addr, "%s/%d", a, prefix_of(ip->netmask));
    flush();
    char *add[] = {"ip", "addr", "add", addr, "dev", ifname, NULL};
    run(add);
    if (ip->gateway) {
        addr_text(ip->gateway, gw);
        char *route[] = {"ip", "route", "replace", "default", "via", gw, "dev", ifname, NULL};
        run(route);
    }
}

/* OpenSphere's udhcpc script: sets the lease's address and records the lease. */
static int write_script(char **script, char **lease)
{
    *script = path_join(dir, "udhcpc.script");
    *lease = path_join(dir, "dhcp-lease.env");
    if (!*script || !*lease)
        return -ENOMEM;
    char text[1024];
    int n = snprintf(text, sizeof text,
                     "#!/bin/sh\n"
                     "# written by sphered (src/netcfg/netcfg_host.c): udhcpc's hook for the device's eth0\n"
                     "case \"$1\" in\n"
                     "deconfig) ip -4 addr flush dev \"$interface\"; rm -f '%s' ;;\n"
                     "bound|renew)\n"
                     "  ip -4 addr flush dev \"$interface\"\n"
                     "  ip addr add \"$ip/${mask:-24}\" dev \"$interface\"\n"
                     "  [ -n \"$router\" ] && ip route replace default via ${router%%%% *} dev \"$interface\"\n"
                     "  printf 'ip=%%s\\nsubnet=%%s\\nrouter=%%s\\ndns=%%s\\nntpsrv=%%s\\n' \"$ip\" \"$subnet\" \"$router\" \"$dns\" \"$ntpsrv\" > '%s.tmp'\n"
                     "  mv '%s.tmp' '%s' ;;\n"
                     "esac\n"
                     "exit 0\n",
                     *lease, *lease, *lease, *lease);
    if (n < 0 || (size_t)n >= sizeof text)
        return -ENAMETOOLONG;
    return hostio_write_file_atomic(*script, text, (size_t)n, 0700);
}

/* One udhcpc run (3 tries, each waiting 3 s for an offer: a server such as dnsmasq pings an
 * address for up to 3 s before it offers it): true when it got a lease. */
static bool dhcp_client(void)
{
    char *script = NULL, *lease = NULL;
    bool got = false;
    if (!write_script(&script, &lease)) {
        char *argv[] = {"udhcpc", "-i", ifname, "-q", "-n", "-t", "3", "-T", "3", "-A", "1", "-s", script, NULL};
        run_child(argv, true); /* a lease is what the script recorded: udhcpc stopped early has none */
        got = access(lease, F_OK) == 0;
        if (!got)
            fprintf(stderr, "sphered: eth0 (%s): no DHCP lease yet: trying again in %d ms\n", ifname, DHCP_RETRY_MS);
    }
    free(script);
    free(lease);
    return got;
}

/* A udhcpc run; without a lease, the next is due DHCP_RETRY_MS from now. */
static void dhcp_try(void)
{
    lease_missing = !dhcp_client();
    if (!lease_missing)
        return;
    clock_gettime(CLOCK_REALTIME, &retry_at);
    retry_at.tv_sec += DHCP_RETRY_MS / 1000;
    retry_at.tv_nsec += (long)(DHCP_RETRY_MS % 1000) * 1000000;
    if (retry_at.tv_nsec >= 1000000000)
        retry_at.tv_sec++, retry_at.tv_nsec -= 1000000000;
}

static void release_lease(void)
{
    flush();
    char *lease = path_join(dir, "dhcp-lease.env");
    if (lease)
        unlink(lease);
    free(lease);
}

static void stop_dnsmasq(void)
{
    if (dnsmasq <= 0)
        return;
    kill(dnsmasq, SIGTERM);
    waitpid(dnsmasq, NULL, 0);
    dnsmasq = -1;
}

static void start_dnsmasq(const struct netcfg_dhcp_server *s)
{
    char start[INET_ADDRSTRLEN], end[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
    char range[96], router[64], ntp[128] = "option:ntp-server", iface[32], leases[512], pidfile[512];
    addr_text(s->start, start);
    addr_text(htonl(ntohl(s->start) + s->count - 1u), end);
    addr_text(s->netmask, mask);
    snprintf(range, sizeof range, "%s,%s,%s,%uh", start, end, mask, (unsigned)s->lease_hours);
    addr_text(s->gateway, gw);
    snprintf(router, sizeof router, "option:router%s%s", s->gateway ? "," : "", s->gateway ? gw : "");
    for (size_t i = 0; i < s->ntp_count; i++) {
        char a[INET_ADDRSTRLEN];
        addr_text(s->ntp[i], a);
        size_t used = strlen(ntp);
        snprintf(ntp + used, sizeof ntp - used, ",%s", a);
    }
    snprintf(iface, sizeof iface, "--interface=%s", ifname);
    snprintf(leases, sizeof leases, "--dhcp-leasefile=%s/dnsmasq.leases", dir);
    snprintf(pidfile, sizeof pidfile, "--pid-file=%s/dnsmasq.pid", dir);
    char range_opt[112], router_opt[80], ntp_opt[144];
    snprintf(range_opt, sizeof range_opt, "--dhcp-range=%s", range);
    snprintf(router_opt, sizeof router_opt, "--dhcp-option=%s", router);
    snprintf(ntp_opt, sizeof ntp_opt, "--dhcp-option=%s", ntp);
    char *argv[] = {"dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=0", iface,
                    "--bind-interfaces", "--except-interface=lo", "--user=nobody", "--dhcp-authoritative",
                    range_opt, router_opt, leases, pidfile, s->ntp_count ? ntp_opt : NULL, NULL};
    pid_t pid = fork();
    if (pid == 0)
        exec_child(argv);
    dnsmasq = pid;
}

static void apply(const struct netcfg_host_state *w)
{
    bool first = !have_valid;
    if (first || w->enabled != have.enabled)
        set_link(w->enabled);
    bool ip_changed = first || !ip_equal(&w->ip, &have.ip) || w->lease_released != have.lease_released ||
                      w->renew != have.renew || w->enabled != have.enabled;
    if (w->enabled && ip_changed) {
        lease_missing = false;
        if (w->ip.static_ip)
            apply_static(&w->ip);
        else if (w->lease_released)
            release_lease();
        else
            dhcp_try();
    }
    if (!w->enabled)
        lease_missing = false;
    bool dhcp_changed = first || !dhcp_server_equal(&w->dhcp_server, &have.dhcp_server) || ip_changed;
    if (dhcp_changed) {
        stop_dnsmasq();
        if (w->enabled && w->ip.static_ip && w->dhcp_server.running)
            start_dnsmasq(&w->dhcp_server);
    }
    if (first || w->sntp_server != have.sntp_server || ip_changed) {
        netcfg_sntp_stop(sntp);
        sntp = NULL;
        if (w->enabled && w->ip.static_ip && w->sntp_server) {
            int err = netcfg_sntp_serve(w->ip.address, 123, clock_now, &sntp);
            if (err)
                fprintf(stderr, "sphered: eth0 (%s): cannot serve SNTP: %s\n", ifname, strerror(-err));
        }
    }
    have = *w;
    have_valid = true;
}

/* With the lock held: a DHCP client that got no lease tries again after DHCP_RETRY_MS, as a
 * device does until a server answers, unless a change (or the stop) comes first. */
static void retry_dhcp_after_pause(void)
{
    while (!stopping && wanted_gen == applied_gen)
        if (pthread_cond_timedwait(&changed, &lock, &retry_at))
            break;
    if (stopping || wanted_gen != applied_gen)
        return; /* the change is applied first (the time of the retry stays) */
    pthread_mutex_unlock(&lock);
    dhcp_try();
    pthread_mutex_lock(&lock);
}

static void *work(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!stopping) {
        if (wanted_gen == applied_gen && lease_missing) {
            retry_dhcp_after_pause();
            continue;
        }
        if (wanted_gen == applied_gen) {
            pthread_cond_wait(&changed, &lock);
            continue;
        }
        struct netcfg_host_state w = wanted;
        unsigned gen = wanted_gen;
        pthread_mutex_unlock(&lock);
        apply(&w);
        pthread_mutex_lock(&lock);
        applied_gen = gen;
        pthread_cond_broadcast(&changed);
    }
    pthread_mutex_unlock(&lock);
    stop_dnsmasq();
    netcfg_sntp_stop(sntp);
    sntp = NULL;
    return NULL;
}

int netcfg_host_start(const char *name, const char *state_dir, int64_t (*now_ns)(void))
{
    if (running)
        return -EBUSY;
    if (strlen(name) >= sizeof ifname || !(dir = strdup(state_dir)))
        return -EINVAL;
    snprintf(ifname, sizeof ifname, "%s", name);
    clock_now = now_ns;
    stopping = false;
    have_valid = false;
    int err = -pthread_create(&worker, NULL, work, NULL);
    if (!err)
        running = true;
    return err;
}

void netcfg_host_kick(const struct netcfg_host_state *want)
{
    pthread_mutex_lock(&lock);
    if (running && (wanted_gen == 0 || !host_state_equal(want, &wanted))) {
        wanted = *want;
        wanted_gen++;
        if (dhcp_pid > 0)
            kill(dhcp_pid, SIGTERM);
        pthread_cond_broadcast(&changed);
    }
    pthread_mutex_unlock(&lock);
}

void netcfg_host_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&lock);
    stopping = true;
    if (dhcp_pid > 0)
        kill(dhcp_pid, SIGTERM);
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
    pthread_join(worker, NULL);
    running = false;
    free(dir);
    dir = NULL;
}

int netcfg_host_settle(int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000)
        until.tv_sec++, until.tv_nsec -= 1000000000;
    int err = 0;
    pthread_mutex_lock(&lock);
    while (running && applied_gen != wanted_gen && !err)
        err = pthread_cond_timedwait(&changed, &lock, &until) ? -ETIMEDOUT : 0;
    pthread_mutex_unlock(&lock);
    return err;
}

uint32_t netcfg_host_address(void)
{
    if (!running)
        return 0;
    struct ifaddrs *list;
    uint32_t a = 0;
    if (getifaddrs(&list) < 0)
        return 0;
    for (const struct ifaddrs *i = list; i && !a; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !strcmp(i->ifa_name, ifname) && (i->ifa_flags & IFF_UP))
            a = ((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr.s_addr;
    freeifaddrs(list);
    return a;
}

static size_t lease_list(const char *key, uint32_t *out, size_t max);

size_t netcfg_host_dhcp_ntp(uint32_t *out, size_t max)
{
    return lease_list("ntpsrv=", out, max);
}

size_t netcfg_host_dhcp_dns(uint32_t *out, size_t max)
{
    return lease_list("\ndns=", out, max);
}

/* A space-separated address list from the lease file's line starting with key. */
static size_t lease_list(const char *key, uint32_t *out, size_t max)
{
    if (!running)
        return 0;
    char *path = path_join(dir, "dhcp-lease.env"), *text = NULL;
    size_t len = 0, n = 0;
    if (path && !hostio_read_file(path, &text, &len)) {
        const char *line = strstr(text, key);
        char list[256] = "";
        if (line)
            sscanf(line + strlen(key), "%255[0-9. ]", list);
        for (char *save = NULL, *t = strtok_r(list, " ", &save); t && n < max; t = strtok_r(NULL, " ", &save)) {
            struct in_addr in;
            if (inet_pton(AF_INET, t, &in) == 1)
                out[n++] = in.s_addr;
        }
    }
    free(text);
    free(path);
    return n;
}
