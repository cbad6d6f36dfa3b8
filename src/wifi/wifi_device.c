/* SPDX-License-Identifier: MIT */
/* wifi_device.c — the process's one simulated Wi-Fi, behind a mutex (see wifi_device.h). */
#include "wifi_device.h"

#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct wifi *device_wifi;

int wifi_device_open(const char *state_dir, const struct wifi_ops *ops, char *why, size_t why_size)
{
    struct wifi *w;
    int err = wifi_open(state_dir, ops, &w, why, why_size);
    if (err)
        return err;
    pthread_mutex_lock(&lock);
    struct wifi *old = device_wifi;
    device_wifi = w;
    pthread_mutex_unlock(&lock);
    wifi_close(old);
    return 0;
}

void wifi_device_close(void)
{
    pthread_mutex_lock(&lock);
    struct wifi *old = device_wifi;
    device_wifi = NULL;
    pthread_mutex_unlock(&lock);
    wifi_close(old);
}

struct wifi *wifi_device_lock(void)
{
    pthread_mutex_lock(&lock);
    if (!device_wifi)
        pthread_mutex_unlock(&lock);
    return device_wifi;
}

void wifi_device_unlock(void)
{
    pthread_mutex_unlock(&lock);
}

bool wifi_device_link_up(void)
{
    pthread_mutex_lock(&lock);
    bool up = !device_wifi || wifi_link_up(device_wifi);
    pthread_mutex_unlock(&lock);
    return up;
}
