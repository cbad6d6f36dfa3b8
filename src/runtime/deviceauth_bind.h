/* SPDX-License-Identifier: MIT */
/* deviceauth_bind.h — the app's copy of the device-authentication file (docs/deviceauth.md). */
#ifndef OPENSPHERE_RUNTIME_DEVICEAUTH_BIND_H
#define OPENSPHERE_RUNTIME_DEVICEAUTH_BIND_H

#include <stddef.h>

#include "json.h"

/* When the app's manifest has "DeviceAuthentication" and the device holds STATE_DIR/deviceauth.pem,
 * writes RUN_DIR/daa-<cid>.pem, readable only by the app's user (mode 0400; owned by nobody when
 * the device runs as root, as the app then is), and returns 1 with its path in `out`, for the
 * container to bind read-only. 0 when the app gets none; a negative errno on failure. */
int runtime_deviceauth_file(const char *state_dir, const char *run_dir, const char *cid, const struct json_value *manifest,
                            char *out, size_t out_size);

#endif
