/* SPDX-License-Identifier: MIT */
/*
 * cloud_ota.h — the cloud side of external-MCU OTA (docs/ota.md, "Cloud side"): deployments of a
 * firmware file to the devices tagged productType=PRODUCT and deviceGroup=GROUP, the device's
 * desired state (the highest non-cancelled, unexpired version that targets it), per-device
 * progress reports, signed blob URLs and the blobs' storage.
 *
 * Storage: DATA/ota/<container>/<version>/<name> holds each uploaded file, written once (temp
 * file, fsync, link(2) — which never replaces — fsync of the folder) and never changed; the
 * (container, version) pair names one file for good. DATA/ota-url.key (32 random bytes, 0600,
 * made on first start) keys the HMAC of download URLs; KEYS/ota-signing.{key,cert}.pem (made if
 * missing) signs each image (otasig.h).
 *
 * Ownership: a struct cloud_ota borrows the store (clouddb) it is opened with; strings passed
 * in are borrowed for the call; strings handed out are malloc'd and the caller's to free.
 * Errors: 0 or a negative errno (-EINVAL bad input with a sentence in `why` where there is one,
 * -ENOENT unknown device or blob, -EACCES / -EKEYEXPIRED refused URL, -EIO store or file
 * failure, -ENOMEM).
 */
#ifndef OPENSPHERE_CLOUD_CLOUD_OTA_H
#define OPENSPHERE_CLOUD_CLOUD_OTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloudreq.h"
#include "clouddb.h"
#include "json.h"

#define CLOUD_OTA_MAX_FILE (64u * 1024u * 1024u) /* 64 MiB */
#define CLOUD_OTA_URL_KEY_BYTES 32

struct cloud_ota;

/* Opens the OTA state: creates DATA/ota/ and DATA/ota-url.key, loads (or makes) the signing key
 * in keys_dir. `db` is borrowed and must outlive the result. why gets a sentence on failure. */
int cloud_ota_open(struct clouddb *db, const char *data_dir, const char *keys_dir, struct cloud_ota **out, char *why,
                   size_t why_size);
void cloud_ota_close(struct cloud_ota *ota);

/* The base of download URLs ("https://127.0.0.1:8443", or nginx's address); copied. Until it
 * is set, URLs are relative ("/blobs/..."). 0 or -ENOMEM. */
int cloud_ota_set_base_url(struct cloud_ota *ota, const char *base_url);

/* The device's desired OTA state as compact JSON (malloc'd into *json_out):
 *   {"version":N,"size":N,"url":"https://…","sha256":"<hex>","signature":"<base64>","product":"P",
 *    "deploymentId":"…"}
 * or "{}" when no deployment targets it. tenant_id may be NULL (the device's own tenant).
 * 0, -ENOENT (no such device in the tenant), -EIO, -ENOMEM. On a store connection the caller
 * holds (e.g. inside the twin's desired_for hook). */
int cloud_ota_desired_json_on(struct cloud_ota *ota, struct clouddb_conn *c, const char *tenant_id,
                              const char *device_id, char **json_out);

/* Called after a deployment is created or cancelled (its transaction committed), on the
 * request's store connection: the devices of `tenant` may have a new desired state. */
typedef void (*cloud_ota_targets_fn)(void *ctx, struct clouddb_conn *c, const char *tenant);
/* A gate on the desired state (staged rollouts, docs/rollouts.md): whether deployment (product,
 * group, version) may target the device now. Candidates are offered highest version first; the
 * first let through wins. Called on the connection computing the desired state. */
typedef bool (*cloud_ota_gate_fn)(void *ctx, struct clouddb_conn *c, const char *tenant, const char *device_id,
                                  const char *product, const char *group, const char *version);
void cloud_ota_set_gate(struct cloud_ota *ota, cloud_ota_gate_fn gate, void *ctx);
/* Called after a device's OTA report is stored (over HTTP or the twin), on that store connection:
 * staged rollouts take the outcome at once (docs/rollouts.md). */
typedef void (*cloud_ota_report_fn)(void *ctx, struct clouddb_conn *c, const char *device_id);
void cloud_ota_on_report(struct cloud_ota *ota, cloud_ota_report_fn fn, void *ctx);
void cloud_ota_report_stored(struct cloud_ota *ota, struct clouddb_conn *c, const char *device_id);
void cloud_ota_on_targets_changed(struct cloud_ota *ota, cloud_ota_targets_fn fn, void *ctx);

/* Validates and stores a device's progress report (the body of POST /v1/device/ota/report or
 * the device twin's reported properties) on a store connection the caller holds:
 *   {"status":"downloading|interrupted|verifying|verified|applying|applied|error","targetVersion":N,
 *    "appliedVersion":N,"bytesDone":N,"size":N,"error":"text"}
 * "status" is required, the rest optional; unknown fields are refused. -EINVAL with a sentence
 * naming the field in why; -ENOENT unknown device; -EIO; -ENOMEM. */
int cloud_ota_store_report_on(struct clouddb_conn *c, const char *device_id, const struct json_value *report, char *why,
                              size_t why_size);

/* ---- hooks for the HTTP front end (cloud.c, cloudhttp.c) --------------------------------- */

/* An authenticated API call under /v1/ota (user) or /v1/device/ota (device). */
struct cloud_ota_call {
    struct clouddb_conn *conn;
    const char *tenant;
    const char *subject; /* the user's or the device's ID */
    const struct cloud_request *rq;
    const char *const *seg; /* the path's segments, "v1" first */
    size_t nseg;
};
void cloud_ota_route_user(struct cloud_ota *ota, const struct cloud_ota_call *call, struct cloud_response *rs);
void cloud_ota_route_device(struct cloud_ota *ota, const struct cloud_ota_call *call, struct cloud_response *rs);

/* A deployment's file while it arrives: written to a temp file under DATA/ota/.incoming and
 * hashed on the way, never held in memory. write: 0, -EFBIG past CLOUD_OTA_MAX_FILE, -EIO.
 * free removes the temp file unless a deployment took it. */
struct cloud_ota_upload;
int cloud_ota_upload_begin(struct cloud_ota *ota, struct cloud_ota_upload **out);
int cloud_ota_upload_write(struct cloud_ota_upload *up, const void *data, size_t len);
void cloud_ota_upload_free(struct cloud_ota_upload *up);

/* Checks a signed blob URL: path "/blobs/<container>/<version>/<name>", se (unix seconds) and
 * sig (64 hex digits, HMAC-SHA256 of "GET\n<path>\n<se>" under DATA/ota-url.key), compared in
 * constant time. 0; -EACCES malformed, missing or wrong signature; -EKEYEXPIRED now >= se. */
int cloud_ota_url_check(const struct cloud_ota *ota, const char *path, const char *se, const char *sig, int64_t now);
/* The same for a raw request URI "path?query" (nginx's X-Original-URI). */
int cloud_ota_uri_check(const struct cloud_ota *ota, const char *uri, int64_t now);

/* Opens a stored blob for reading: *fd (the caller closes it), *size, etag_hex (its SHA-256).
 * 0, -ENOENT, -EIO. */
int cloud_ota_blob_open(struct cloud_ota *ota, const char *path, int *fd, uint64_t *size, char etag_hex[65]);

/* What to answer a GET/HEAD of an immutable blob of `size` bytes with strong ETag `etag`
 * (quoted): a pure function of the conditional and Range headers (each NULL when absent).
 *   304 If-None-Match lists the ETag (or *); 206 one satisfiable range (offset, length);
 *   416 a range beyond the end; 200 the whole blob: no Range, a malformed or multi-range Range,
 *   or an If-Range that is not exactly the ETag. */
struct cloud_ota_range {
    unsigned status;
    uint64_t offset, length;
};
void cloud_ota_plan_range(uint64_t size, const char *etag, const char *range, const char *if_range,
                          const char *if_none_match, struct cloud_ota_range *out);

#endif
