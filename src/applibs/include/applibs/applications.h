/* SPDX-License-Identifier: MIT */
/* applibs/applications.h — OpenSphere Applibs: OS version and this app's memory use (in KiB,
 * from getrusage: the peak resident set; 0 on error). */
#pragma once
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
typedef struct Applications_OsVersion {
    char version[16];
} Applications_OsVersion;
int Applications_GetOsVersion(Applications_OsVersion *outVersion);
size_t Applications_GetTotalMemoryUsageInKB(void);
size_t Applications_GetUserModeMemoryUsageInKB(void);
size_t Applications_GetPeakUserModeMemoryUsageInKB(void);
#ifdef __cplusplus
}
#endif
