/* SPDX-License-Identifier: MIT */
/*
 * policy.h — the device's install and permission rules, as pure functions over data (no I/O).
 *
 * Who may do what (docs/device.md has the table):
 *   - REST beyond the always-open endpoints: before DeviceComplete, or with appDevelopment or
 *     fieldServicing;
 *   - SDK-signed images: only with appDevelopment; production-signed: with appDevelopment,
 *     fieldServicing, or before DeviceComplete;
 *   - delete and debug: appDevelopment only; start/stop: appDevelopment or fieldServicing.
 * What may be installed next to what: one owner per GPIO, peripheral block, pin, external
 * interrupt and server port; at most two RTApps (two real-time cores); all app packages within
 * the flash quota; the target API set compatible with the OS.
 */
#ifndef OPENSPHERE_DEVICE_POLICY_H
#define OPENSPHERE_DEVICE_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "apiset.h"
#include "deverr.h"
#include "guid.h"
#include "json.h"

#define POLICY_REALTIME_CORES 2

enum signer { SIGNER_UNKNOWN, SIGNER_SDK, SIGNER_PRODUCTION };

struct auth {
    bool app_development;
    bool field_servicing;
    bool before_device_complete;
};

struct installed_app {
    struct guid component_id;
    const struct json_value *manifest; /* the packaged (normalised) manifest */
    bool realtime;
    size_t size_bytes;
};

bool policy_rest_allowed(const struct auth *a);
enum deverr policy_trust(enum signer signer, const struct auth *a);
enum deverr policy_may_delete(const struct auth *a);
enum deverr policy_may_start_stop(const struct auth *a, bool debug);

/* Checks a new app (its packaged manifest) against the installed ones, skipping the app it
 * replaces (same component ID). The reason, naming both apps, goes to detail. */
enum deverr policy_check_resources(const struct json_value *manifest, const struct guid *component_id, bool realtime,
                                   size_t size_bytes, size_t quota_bytes, const struct installed_app *apps,
                                   size_t count, char *detail, size_t detail_size);

/* The API-set rule for a high-level app's packaged manifest on an OS release. */
enum deverr policy_check_api_set(const struct json_value *manifest, const struct os_release *os, bool force,
                                 char *detail, size_t detail_size);

#endif
