/* SPDX-License-Identifier: MIT */
/*
 * wifi_device.h — the Wi-Fi of the device this process simulates (sphered is one device), shared
 * by the broker (libapplibs' wificonfig.h), the network mediation (wlan0's state) and the REST
 * API, like net.c's static hosts. One instance, one mutex.
 *
 * Until wifi_device_open succeeds (unit tests that run the runtime without sphered) there is no
 * Wi-Fi: wifi_device_lock returns NULL, the broker answers EAGAIN ("the Wi-Fi device isn't ready
 * yet") and wifi_device_link_up() is true, so networking behaves as it did before Wi-Fi existed.
 */
#ifndef OPENSPHERE_WIFI_DEVICE_H
#define OPENSPHERE_WIFI_DEVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "wifi.h"

/* Opens the device's Wi-Fi from its state folder (wifi_open); replaces any open one.
 * 0, or the error and why (a damaged file: "FILE:LINE:COL: path: reason"). */
int wifi_device_open(const char *state_dir, const struct wifi_ops *ops, char *why, size_t why_size);
void wifi_device_close(void);
/* Locks and returns the device's Wi-Fi, or NULL (nothing locked) when none is open. */
struct wifi *wifi_device_lock(void);
void wifi_device_unlock(void);
/* Whether wlan0 carries traffic: connected, or no Wi-Fi model open (see above). */
bool wifi_device_link_up(void);

#endif
