/* SPDX-License-Identifier: MIT */
/* deviceauth_bind.c — see deviceauth_bind.h. */
#include "deviceauth_bind.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deviceauth_issue.h"
#include "hostio.h"

#define NOBODY 65534 /* the app's user outside its namespace when the device runs as root */

int runtime_deviceauth_file(const char *state_dir, const char *run_dir, const char *cid, const struct json_value *manifest,
                            char *out, size_t out_size)
{
    const struct json_value *tenant = json_object_get(json_object_get(manifest, "Capabilities"), "DeviceAuthentication");
    if (!tenant || tenant->type != JSON_STRING)
        return 0;
    char src[4096];
    snprintf(src, sizeof src, "%s/%s", state_dir, DEVICEAUTH_FILE);
    char *data = NULL;
    size_t len = 0;
    int err = hostio_read_file(src, &data, &len);
    if (err)
        return err == -ENOENT ? 0 : err;
    snprintf(out, out_size, "%s/daa-%s.pem", run_dir, cid);
    unlink(out); /* a previous run's copy is read-only */
    err = hostio_write_file_atomic(out, data, len, 0400);
    memset(data, 0, len);
    free(data);
    if (!err && geteuid() == 0 && chown(out, NOBODY, NOBODY) < 0)
        err = -errno;
    return err ? err : 1;
}
