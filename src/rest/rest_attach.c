/* SPDX-License-Identifier: MIT */
/*
 * rest_attach.c — attached mode (docs/device.md, "Attached devices"): a device at its own IPv4
 * address, as a USB-attached Azure Sphere device is, and the device-connection service that
 * lists the attached devices.
 *
 * rest_attach() (root only) takes the first address 192.168.35.N (N = 2, 3, …) no running
 * sphered holds, on a host-side interface "sphdevN" it creates (type dummy, or an empty bridge
 * where the kernel has no dummy driver) with that /32 address, and records the claim in
 * DIR/attached.json {"IpAddress","DeviceConnectionPath","pid"}; rest_detach() removes both.
 * Claims are made under an flock on <devices folder>/.attach.lock, so two devices starting
 * together never take the same address; an interface left by a sphered that died is reused.
 *
 * The device-connection service: every attached sphered runs rest_devsvc_start(); the first one
 * listens on 127.0.0.1:48938, the others retry each second, so the service outlives any one
 * device. GET /api/service/devices answers [{"IpAddress","DeviceConnectionPath"}…] for every
 * sibling state folder whose attached.json names a running sphered.
 */
#include "rest.h"
#include "rest_internal.h"

#include "hostio.h"
#include "path.h"
#include "strbuf.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <microhttpd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ATTACH_PREFIX "192.168.35."
#define ATTACH_FIRST 2
#define ATTACH_LAST 254
#define ATTACH_FILE "attached.json"

extern char **environ;

struct rest_attachment {
    char *state_dir;
    char ifname[IFNAMSIZ];
    char address[INET_ADDRSTRLEN];
};

/* ---- reading claims ---------------------------------------------------------------------------- */

static bool pid_is_sphered(long pid)
{
    char path[64], comm[32] = "";
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(comm, sizeof comm, f) && !strcmp(comm, "sphered\n");
    fclose(f);
    return ok;
}

int rest_attach_parse_claim(const char *text, size_t len, char *address, size_t address_size, char *path,
                            size_t path_size, long *pid)
{
    struct diag_list diags = {0};
    struct json_value *j = NULL;
    int perr = json_parse(text, len, NULL, ATTACH_FILE, &diags, &j);
    bool bad = perr || diag_error_count(&diags) || !j || j->type != JSON_OBJECT;
    diag_list_free(&diags);
    const struct json_value *ip = bad ? NULL : json_object_get(j, "IpAddress"),
                            *cp = bad ? NULL : json_object_get(j, "DeviceConnectionPath"),
                            *p = bad ? NULL : json_object_get(j, "pid");
    struct in_addr a;
    bool ok = ip && cp && p && ip->type == JSON_STRING && cp->type == JSON_STRING && p->type == JSON_NUMBER &&
              p->u.number.is_integer && p->u.number.integer > 0 && p->u.number.integer <= INT32_MAX &&
              inet_pton(AF_INET, ip->u.string.chars, &a) == 1 && cp->u.string.len > 0 &&
              cp->u.string.len < path_size && ip->u.string.len < address_size;
    if (ok) {
        memcpy(address, ip->u.string.chars, ip->u.string.len + 1);
        memcpy(path, cp->u.string.chars, cp->u.string.len + 1);
        *pid = (long)p->u.number.integer;
    }
    json_free(j);
    return ok ? 0 : -EINVAL;
}

/* The claim in <dir>/attached.json when its sphered still runs: 0, else -ENOENT. */
static int read_claim(const char *dir, char *address, size_t address_size, char *path, size_t path_size)
{
    char *file = path_join(dir, ATTACH_FILE), *text = NULL;
    size_t len = 0;
    int err = file ? hostio_read_file(file, &text, &len) : -ENOMEM;
    free(file);
    if (err)
        return -ENOENT;
    long pid = 0;
    err = rest_attach_parse_claim(text, len, address, address_size, path, path_size, &pid);
    free(text);
    return !err && pid_is_sphered(pid) ? 0 : -ENOENT;
}

/* Calls fn for every live claim among the state folders in `devices_dir`. */
static void each_claim(const char *devices_dir, void (*fn)(void *ctx, const char *address, const char *path), void *ctx)
{
    DIR *dir = opendir(devices_dir);
    struct dirent *e;
    while (dir && (e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *sub = path_join(devices_dir, e->d_name), address[INET_ADDRSTRLEN], cpath[256];
        if (sub && read_claim(sub, address, sizeof address, cpath, sizeof cpath) == 0)
            fn(ctx, address, cpath);
        free(sub);
    }
    if (dir)
        closedir(dir);
}

struct taken {
    bool used[ATTACH_LAST + 1];
};

static void note_taken(void *ctx, const char *address, const char *path)
{
    struct taken *t = ctx;
    unsigned n;
    char tail;
    if (!strncmp(address, ATTACH_PREFIX, strlen(ATTACH_PREFIX)) &&
        sscanf(address + strlen(ATTACH_PREFIX), "%u%c", &n, &tail) == 1 && n <= ATTACH_LAST)
        t->used[n] = true;
}

/* ---- the host-side interface --------------------------------------------------------------------- */

/* Runs `ip ARGS…` quietly: 0 when it exits 0. */
static int run_ip(const char *const *args)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char *argv[12];
    size_t n = 0;
    argv[n++] = (char *)"ip";
    for (; args[n - 1] && n < 11; n++)
        argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    pid_t pid;
    int err = posix_spawnp(&pid, "ip", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err)
        return -err;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* The name of an interface, other than our sphdevN ones, with an address in 192.168.35.0/24 (a
 * real device attached over USB: its host side is 192.168.35.1), or NULL. */
static const char *real_device_interface(char *name, size_t name_size)
{
    struct ifaddrs *list = NULL, *i;
    const char *found = NULL;
    if (getifaddrs(&list) != 0)
        return NULL;
    for (i = list; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !strncmp(i->ifa_name, "sphdev", 6))
            continue;
        uint32_t a = ntohl(((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr.s_addr);
        if ((a >> 8) == ((192u << 16) | (168u << 8) | 35u)) {
            snprintf(name, name_size, "%s", i->ifa_name);
            found = name;
        }
    }
    freeifaddrs(list);
    return found;
}

static int create_interface(const char *ifname, const char *address)
{
    char cidr[INET_ADDRSTRLEN + 3];
    snprintf(cidr, sizeof cidr, "%s/32", address);
    if (run_ip((const char *[]){"link", "add", ifname, "type", "dummy", NULL}) != 0 &&
        run_ip((const char *[]){"link", "add", ifname, "type", "bridge", NULL}) != 0)
        return -EPERM;
    if (run_ip((const char *[]){"addr", "add", cidr, "dev", ifname, NULL}) != 0 ||
        run_ip((const char *[]){"link", "set", ifname, "up", NULL}) != 0) {
        run_ip((const char *[]){"link", "del", ifname, NULL});
        return -EIO;
    }
    return 0;
}

static int write_claim(const struct rest_attachment *a, const char *connection_path)
{
    struct json_value *o = json_new_object();
    struct strbuf sb = {0};
    int err = o ? 0 : -ENOMEM;
    err = err ? err : json_object_append(o, "IpAddress", json_new_string(a->address));
    err = err ? err : json_object_append(o, "DeviceConnectionPath", json_new_string(connection_path));
    err = err ? err : json_object_append(o, "pid", json_new_int((int64_t)getpid()));
    err = err ? err : json_write(o, JSON_PRETTY, &sb);
    char *file = err ? NULL : path_join(a->state_dir, ATTACH_FILE);
    err = err ? err : file ? hostio_write_file_atomic(file, sb.data, sb.len, 0644) : -ENOMEM;
    free(file);
    strbuf_free(&sb);
    json_free(o);
    return err;
}

static char *devices_dir_of(const char *state_dir)
{
    char *copy = strdup(state_dir);
    size_t n = copy ? strlen(copy) : 0;
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    char *slash = copy ? strrchr(copy, '/') : NULL;
    if (slash == copy)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else if (copy)
        strcpy(copy, ".");
    return copy;
}

static const char *device_name_of(const char *state_dir)
{
    const char *slash = strrchr(state_dir, '/');
    return slash && slash[1] ? slash + 1 : state_dir;
}

int rest_attach(const char *state_dir, struct rest_attachment **out, char *why, size_t why_size)
{
    if (geteuid() != 0) {
        snprintf(why, why_size, "attached mode needs root (it creates a network interface and listens on port 443)");
        return -EPERM;
    }
    struct rest_attachment *a = calloc(1, sizeof *a);
    char *devices = devices_dir_of(state_dir), *lockpath = devices ? path_join(devices, ".attach.lock") : NULL;
    int lock = lockpath ? open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
    int err = 0;
    if (!a || !lockpath || !(a->state_dir = strdup(state_dir)))
        err = -ENOMEM;
    else if (lock < 0 || flock(lock, LOCK_EX) != 0)
        err = -errno;
    struct taken taken = {{false}};
    char real[IFNAMSIZ];
    if (!err && real_device_interface(real, sizeof real)) {
        err = -EADDRINUSE;
        snprintf(why, why_size, "%s has an address in 192.168.35.0/24 (a device attached over USB?): attaching a "
                 "simulated device there would hide it", real);
    }
    if (!err)
        each_claim(devices, note_taken, &taken);
    unsigned n = ATTACH_FIRST;
    while (!err && n <= ATTACH_LAST && taken.used[n])
        n++;
    if (!err && n > ATTACH_LAST) {
        err = -EADDRINUSE;
        snprintf(why, why_size, "every address " ATTACH_PREFIX "%d-%d is taken", ATTACH_FIRST, ATTACH_LAST);
    } else if (!err) {
        snprintf(a->ifname, sizeof a->ifname, "sphdev%u", n);
        snprintf(a->address, sizeof a->address, ATTACH_PREFIX "%u", n);
        if (if_nametoindex(a->ifname)) /* left by a sphered that died: no live claim names it */
            run_ip((const char *[]){"link", "del", a->ifname, NULL});
        err = create_interface(a->ifname, a->address);
        if (err)
            snprintf(why, why_size, "cannot create the interface %s with %s (`ip link add … type dummy|bridge` failed)",
                     a->ifname, a->address);
        else if ((err = write_claim(a, device_name_of(state_dir))) != 0) {
            run_ip((const char *[]){"link", "del", a->ifname, NULL});
            snprintf(why, why_size, "cannot write %s/" ATTACH_FILE ": %s", state_dir, strerror(-err));
        }
    } else if (err != -EADDRINUSE) {
        snprintf(why, why_size, "cannot lock %s: %s", lockpath ? lockpath : "the devices folder", strerror(-err));
    }
    if (lock >= 0)
        close(lock); /* releases the flock */
    free(lockpath);
    free(devices);
    if (err) {
        if (a)
            free(a->state_dir);
        free(a);
        return err;
    }
    *out = a;
    return 0;
}

const char *rest_attached_address(const struct rest_attachment *a)
{
    return a->address;
}

void rest_detach(struct rest_attachment *a)
{
    if (!a)
        return;
    char *file = path_join(a->state_dir, ATTACH_FILE);
    if (file)
        unlink(file);
    free(file);
    run_ip((const char *[]){"link", "del", a->ifname, NULL});
    free(a->state_dir);
    free(a);
}

/* ---- the device-connection service ------------------------------------------------------------- */

struct rest_devsvc {
    char *devices_dir;
    uint16_t port;
    struct MHD_Daemon *daemon;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
};

static void add_device(void *ctx, const char *address, const char *path)
{
    struct json_value *o = json_new_object();
    if (o) {
        json_object_append(o, "IpAddress", json_new_string(address));
        json_object_append(o, "DeviceConnectionPath", json_new_string(path));
    }
    json_array_append(ctx, o);
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *body)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result on_service_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                          const char *version, const char *upload, size_t *upload_size, void **req_cls)
{
    struct rest_devsvc *svc = cls;
    if (!*req_cls) { /* the headers: wait for (and ignore) any body */
        *req_cls = svc;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(url, "/api/service/devices") != 0)
        return answer(c, MHD_HTTP_NOT_FOUND, "{\"error\":\"no such endpoint\"}");
    if (strcmp(method, "GET") != 0)
        return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, "{\"error\":\"method not allowed\"}");
    struct json_value *list = json_new_array();
    struct strbuf sb = {0};
    if (list)
        each_claim(svc->devices_dir, add_device, list);
    enum MHD_Result ret = list && json_write(list, JSON_COMPACT, &sb) == 0
                              ? answer(c, MHD_HTTP_OK, sb.data)
                              : answer(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "{\"error\":\"out of memory\"}");
    strbuf_free(&sb);
    json_free(list);
    return ret;
}

static struct MHD_Daemon *try_listen(struct rest_devsvc *svc)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(svc->port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, svc->port, NULL, NULL, on_service_request,
                            svc, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
}

/* Keeps trying to take the port while another device's sphered holds it. */
static void *service_thread(void *arg)
{
    struct rest_devsvc *svc = arg;
    pthread_mutex_lock(&svc->lock);
    while (!svc->stopping) {
        if (!svc->daemon)
            svc->daemon = try_listen(svc);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&svc->wake, &svc->lock, &until);
    }
    pthread_mutex_unlock(&svc->lock);
    return NULL;
}

int rest_devsvc_start(const char *state_dir, uint16_t port, struct rest_devsvc **out)
{
    struct rest_devsvc *svc = calloc(1, sizeof *svc);
    if (!svc || !(svc->devices_dir = devices_dir_of(state_dir))) {
        free(svc);
        return -ENOMEM;
    }
    svc->port = port;
    pthread_mutex_init(&svc->lock, NULL);
    pthread_cond_init(&svc->wake, NULL);
    int err = pthread_create(&svc->thread, NULL, service_thread, svc);
    if (err) {
        free(svc->devices_dir);
        free(svc);
        return -err;
    }
    *out = svc;
    return 0;
}

void rest_devsvc_stop(struct rest_devsvc *svc)
{
    if (!svc)
        return;
    pthread_mutex_lock(&svc->lock);
    svc->stopping = true;
    pthread_cond_signal(&svc->wake);
    pthread_mutex_unlock(&svc->lock);
    pthread_join(svc->thread, NULL);
    if (svc->daemon)
        MHD_stop_daemon(svc->daemon);
    pthread_mutex_destroy(&svc->lock);
    pthread_cond_destroy(&svc->wake);
    free(svc->devices_dir);
    free(svc);
}
