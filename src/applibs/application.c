/* SPDX-License-Identifier: MIT */
/* application.c — applibs/application.h: a connection to a partner app (through the device's
 * broker; the socket is then tracked for the inter-core size limit, intercore.c) and the device
 * authentication state. */
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/application.h>

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker_client.h"
#include "intercore.h"

static bool is_guid(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++)
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

int Application_Connect(const char *componentId)
{
    if (!is_guid(componentId)) {
        errno = EINVAL;
        return -1;
    }
    struct broker_request q = {.op = BROKER_APP_CONNECT};
    struct broker_reply r;
    int fd = -1;
    snprintf(q.text, sizeof q.text, "%s", componentId);
    int err = applibs_broker_call(&q, &r, &fd);
    if (!err && fd < 0)
        err = -EPROTO;
    if (err) {
        if (fd >= 0)
            close(fd);
        return applibs_result(err, 0);
    }
    applibs_intercore_track(fd);
    return fd;
}

int Application_IsDeviceAuthReady(bool *outIsDeviceAuthReady)
{
    if (!outIsDeviceAuthReady) {
        errno = EFAULT;
        return -1;
    }
    /* Ready when the device holds its device certificate: the runtime binds it read-only at
     * /run/daa/device.pem for apps with DeviceAuthentication (docs/deviceauth.md). */
    *outIsDeviceAuthReady = access("/run/daa/device.pem", R_OK) == 0;
    return 0;
}
