/* SPDX-License-Identifier: MIT */
/*
 * device.h — one simulated MT3620-class device: its persistent state and every operation its
 * REST API offers, with the platform's rules applied (policy.h). No HTTP here: the REST layer
 * (src/rest) parses requests, calls these, and renders the results.
 *
 * State folder (docs/device.md): device.json (identity, OS, manufacturing state, settings),
 * capability.bin (the applied capability file), installed.json (the installed images) with
 * images/<image id>.imagepackage, storage/<component id>/ (mutable storage), trusted/ (certificates)
 * (the keys the device trusts), tls.{key,cert}.pem. Every file that must survive is written
 * new, fsync'd and renamed; installed.json is the single commit point of an install, so a
 * crash at any moment leaves the old set of images or the new one (device_open recovers).
 *
 * Operations fill a struct device_result: err (DERR_NONE on success) with a detail sentence,
 * or a JSON body to send back. Callers hold the device's lock (device_lock/device_unlock) around
 * every operation: the REST layer, the application runtime and any other agent share it.
 */
#ifndef OPENSPHERE_DEVICE_DEVICE_H
#define OPENSPHERE_DEVICE_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deverr.h"
#include "json.h"
#include "policy.h"

#define DEVICE_DEFAULT_QUOTA_BYTES (1024u * 1024u)
#define DEVICE_MAX_UPLOAD (4u * 1024u * 1024u)
/* The names in the device's TLS certificate: the name real clients send as Host and verify
 * (REST-CLIENT-FACTS 2) and the loopback address (sphered adds an attached address). */
#define DEVICE_TLS_HOST_NAME "*.devices.sphere.azure.local"
#define DEVICE_TLS_NAMES "DNS:" DEVICE_TLS_HOST_NAME ",IP:127.0.0.1"

struct device;

struct device_config {
    const char *os_version;   /* a release from apiset.h; NULL = the newest */
    size_t quota_bytes;       /* 0 = 1 MiB */
    uint16_t https_port;      /* the loopback port its HTTPS API listens on */
    const char *trust_dir;    /* folder with sdk, production and security-service certificates */
    unsigned memory_limit_kb; /* a high-level app's memory limit; 0 = 256 KiB */
};

struct device_result {
    enum deverr err;
    char detail[512];
    struct json_value *body; /* owned; NULL means {} */
};

/* Creates a new device's state folder (which must not exist yet): a fresh device ID, the
 * chosen OS, manufacturing state Blank, no capabilities, a self-signed TLS certificate. */
int device_create(const char *state_dir, const struct device_config *cfg, char *why, size_t why_size);
/* Opens (and recovers) a device. `sdk_dir` is the SDK folder (for mt3620.json). */
int device_open(const char *state_dir, const char *sdk_dir, struct device **out, char *why, size_t why_size);
void device_close(struct device *d);

void device_lock(struct device *d);
void device_unlock(struct device *d);

uint16_t device_https_port(const struct device *d);
unsigned device_memory_limit_kb(const struct device *d);
const char *device_state_dir(const struct device *d);
const char *device_id_text(const struct device *d);

/* The authority of one request: the device's own capabilities, plus a capability file the
 * client presents (raw bytes, may be NULL). A presented file that is not valid for this device
 * is refused (DERR_CAPABILITY_INVALID). */
enum deverr device_auth(const struct device *d, const uint8_t *presented, size_t presented_len, struct auth *out);

void device_result_free(struct device_result *r);
/* Makes r a refusal: err = e and the sentence from fmt (truncated to fit r->detail). */
void device_result_fail(struct device_result *r, enum deverr e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* r's JSON body (owned from now on); a NULL body (out of memory) makes r a DERR_INTERNAL refusal. */
void device_result_body(struct device_result *r, struct json_value *body);

void device_security_state(struct device *d, struct device_result *r);
void device_os_version(struct device *d, struct device_result *r);
void device_status(struct device *d, struct device_result *r);
void device_abi_versions(struct device *d, struct device_result *r);
void device_capabilities(struct device *d, struct device_result *r);
void device_manufacturing_state(struct device *d, struct device_result *r);
void device_set_manufacturing_state(struct device *d, const struct auth *a, const char *state, struct device_result *r);
void device_restart(struct device *d, const struct auth *a, struct device_result *r);
void device_stage(struct device *d, const struct auth *a, const uint8_t *data, size_t len, struct device_result *r);
void device_install(struct device *d, const struct auth *a, bool manual_start, bool force, struct device_result *r);
void device_delete_image(struct device *d, const struct auth *a, const char *component_id, struct device_result *r);
void device_app_status(struct device *d, const struct auth *a, const char *component_id, struct device_result *r);
void device_app_trigger(struct device *d, const struct auth *a, const char *component_id, const char *trigger,
                        struct device_result *r);
void device_app_quota(struct device *d, const struct auth *a, const char *component_id, struct device_result *r);
void device_images(struct device *d, const struct auth *a, struct device_result *r);
/* GET /stats/memory/groups/applications (appDevelopment only). */
void device_memory_stats(struct device *d, const struct auth *a, struct device_result *r);

/* What the application runtime needs to know about one installed application. */
struct device_app_view {
    struct guid component_id;
    struct guid image_id;
    char *image_path;            /* the installed package file */
    struct json_value *manifest; /* the packaged manifest */
    bool running;                /* its desired state: started (true) or stopped */
    bool debugging;              /* started for debugging (running is true too) */
    bool realtime;
    char name[32];
};
int device_app_views(struct device *d, struct device_app_view **out, size_t *n);
void device_app_views_free(struct device_app_view *views, size_t n);
const char *device_os_name(const struct device *d);

/* Observers (the application runtime): `changed` after any change to the installed apps or
 * their desired states (called with the device lock held: it must only note the change);
 * `status` may add fields to an app's status object (e.g. its last exit). */
struct device_hooks {
    void (*changed)(void *ctx);
    void (*status)(void *ctx, const struct guid *component_id, struct json_value *status);
    /* Appends one {"componentId","processes":[{"pid",…}]} per running app to `apps` and adds
     * their memory use to *bytes and *peak_bytes. */
    void (*memory)(void *ctx, struct json_value *apps, long long *bytes, long long *peak_bytes);
    /* System events (docs/runtime.md): `body` NULL = the view, else an injection request. Fills
     * *out (owned by the caller) or returns -EINVAL / -EBUSY with the reason in why. */
    int (*sysevent)(void *ctx, const struct json_value *body, struct json_value **out, char *why, size_t why_size);
    void *ctx;
};
void device_set_hooks(struct device *d, const struct device_hooks *hooks);
/* Called by device_restart, as a reboot would (sphered: the cloud agent checks for updates).
 * With the device lock held: it must only note the request. fn NULL removes it. */
void device_set_restart_listener(struct device *d, void (*fn)(void *ctx), void *ctx);

/* GET (body NULL) and POST /sim/sysevent: the simulator's system-event view and injection,
 * answered by the runtime's sysevent hook. Errors: DERR_BAD_REQUEST (bad body),
 * DERR_APP_WRONG_STATE (an update offer is still in progress), DERR_NOT_FOUND (no runtime). */
void device_sim_sysevent(struct device *d, const struct json_value *body, struct device_result *r);

/* The host's gdbserver for debugging high-level apps: $OPENSPHERE_GDBSERVER if set, else the
 * first `gdbserver` on PATH. 0 with the path in out, or -ENOENT. */
int device_gdbserver_path(char *out, size_t out_size);

/* Which key signed an image (SIGNER_UNKNOWN also when it is malformed or does not verify). */
enum signer device_image_signer(struct device *d, const uint8_t *data, size_t len);
/* Whether the device has the appDevelopment capability (then it takes no cloud app updates). */
bool device_in_development(struct device *d);

/* Test hook: when the environment variable SPHERED_FAULT names `point`, the process exits at
 * once with status 99 (a power cut at that instant). */
void device_fault_point(const char *point);

#endif
