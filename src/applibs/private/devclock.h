/* SPDX-License-Identifier: MIT */
/* devclock.h — the device's clock for the interposers (devclock.c; docs/netconfig.md). */
#ifndef OPENSPHERE_APPLIBS_DEVCLOCK_H
#define OPENSPHERE_APPLIBS_DEVCLOCK_H

#include <time.h>

/* clock_gettime with the device's offset on CLOCK_REALTIME(_COARSE). */
int devclock_gettime(clockid_t id, struct timespec *ts);
/* clock_settime(CLOCK_REALTIME) on the device: -1 + EACCES without SystemTime, EINVAL other
 * clocks or a bad value; outside a device the C library's. */
int devclock_settime(clockid_t id, const struct timespec *ts);

#endif
