/* SPDX-License-Identifier: MIT */
/* netcfg_device.c — the process's one network configuration, behind a mutex (netcfg_device.h). */
#include "netcfg_device.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostio.h"
#include "json.h"
#include "path.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct netcfg *device_netcfg;

int netcfg_board_has_eth0(const char *dir, bool *has_eth0, char *why, size_t why_size)
{
    *has_eth0 = false;
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
        if (e->type != JSON_OBJECT || e->u.object.count != 1 || !name || name->type != JSON_STRING ||
            strcmp(name->u.string.chars, "eth0")) {
            snprintf(why, why_size, "%s:%u:%u: Ethernet: must be {\"Interface\": \"eth0\"}", path, e->pos.line,
                     e->pos.col);
            err = -EINVAL;
        } else {
            *has_eth0 = true;
        }
    }
    json_free(root);
    free(text);
    free(path);
    return err == -EINVAL && !e ? 0 : err;
}

int netcfg_device_open(const char *state_dir, char *why, size_t why_size)
{
    bool eth0 = false;
    int err = netcfg_board_has_eth0(state_dir, &eth0, why, why_size);
    struct netcfg *n = NULL;
    if (!err)
        err = netcfg_open(state_dir, eth0, &n, why, why_size);
    if (err)
        return err;
    pthread_mutex_lock(&lock);
    struct netcfg *old = device_netcfg;
    device_netcfg = n;
    pthread_mutex_unlock(&lock);
    netcfg_close(old);
    return 0;
}

void netcfg_device_close(void)
{
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

void netcfg_device_unlock(void)
{
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
