/* SPDX-License-Identifier: MIT */
/* applications.c — applibs/applications.h: the OS version (from the device's broker) and the
 * app's memory use (its peak resident size, from getrusage). */
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/applications.h>

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "broker_client.h"

int Applications_GetOsVersion(Applications_OsVersion *outVersion)
{
    if (!outVersion) {
        errno = EFAULT;
        return -1;
    }
    struct broker_request q = {.op = BROKER_OS_VERSION};
    struct broker_reply r;
    int result = applibs_broker_call(&q, &r, NULL);
    if (!result) {
        r.text[sizeof outVersion->version - 1] = '\0';
        memcpy(outVersion->version, r.text, sizeof outVersion->version);
    }
    return applibs_result(result, 0);
}

static size_t peak_kb(void)
{
    struct rusage u;
    return getrusage(RUSAGE_SELF, &u) == 0 ? (size_t)u.ru_maxrss : 0;
}

size_t Applications_GetTotalMemoryUsageInKB(void) { return peak_kb(); }
size_t Applications_GetUserModeMemoryUsageInKB(void) { return peak_kb(); }
size_t Applications_GetPeakUserModeMemoryUsageInKB(void) { return peak_kb(); }
