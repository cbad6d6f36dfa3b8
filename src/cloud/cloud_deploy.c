/* SPDX-License-Identifier: MIT */
/*
 * cloud_deploy.c — what the service sends to devices (docs/cloud.md): application images (uploaded,
 * verified against the SDK or production certificate, re-signed with the production key, stored
 * once under DATA/blobs/<sha256>), the deployments of a device group (its target set, newest
 * first), and the devices' check-ins, reports and image downloads.
 *
 * Contract: each entry point answers in x->rs, scoped to x->tenant on x->c, and calls nothing
 * above it. cloud_deploy_route_images: a user's /v1/images...; cloud_deploy_list/create: a group's
 * deployments (the group already found in the tenant); cloud_deploy_route_device: a device's
 * /v1/device/checkin, /v1/device/report, /v1/device/images/{id} (x->subject is the device).
 */
#include "cloud_int.h"
#include "cloud_rollout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "diag.h"
#include "hostio.h"
#include "imgpkg.h"
#include "path.h"
#include "signing.h"
#include "strbuf.h"

/* ---- images ------------------------------------------------------------------------------- */

#define IMAGE_COLUMNS "id, component_id, name, sha256, size, temporary, beta, uploaded"

static struct json_value *image_json(const struct clouddb_rows *r, size_t i)
{
    struct json_value *o = json_new_object();
    cloud_put_str(o, "id", clouddb_cell(r, i, 0));
    cloud_put_str(o, "componentId", clouddb_cell(r, i, 1));
    cloud_put_str(o, "name", clouddb_cell(r, i, 2));
    cloud_put_str(o, "sha256", clouddb_cell(r, i, 3));
    cloud_put_int(o, "sizeBytes", clouddb_cell(r, i, 4));
    cloud_put_bool(o, "temporary", strcmp(clouddb_cell(r, i, 5), "0") != 0);
    cloud_put_bool(o, "betaApis", strcmp(clouddb_cell(r, i, 6), "0") != 0);
    cloud_put_int(o, "uploaded", clouddb_cell(r, i, 7));
    cloud_put_str(o, "signedBy", "production");
    return o;
}

static bool uses_beta(const struct imgpkg *pkg)
{
    const struct imgpkg_file *mf = imgpkg_find(pkg, "app_manifest.json");
    struct json_value *m = NULL;
    struct diag_list diags = {0};
    bool beta = false;
    if (mf && json_parse((const char *)mf->data, mf->size, NULL, "app_manifest.json", &diags, &m) == 0) {
        const struct json_value *b = json_object_get(m, "TargetBetaApis");
        beta = b && b->type == JSON_STRING && b->u.string.len > 0;
    }
    diag_list_free(&diags);
    json_free(m);
    return beta;
}

/* Re-signs a verified package with the production key: same body, metadata with the production
 * thumbprint and (for --temporary) RemoveAtBoot instead of UnderDevelopment. */
static int resign(struct cloud *s, const uint8_t *data, const struct imgpkg *pkg, bool temporary, uint8_t **out, size_t *len)
{
    struct imgpkg_metadata meta = pkg->meta;
    signing_key_thumbprint(s->production, meta.thumbprint);
    meta.signing_type = IMGPKG_SIGNING_ECDSA256;
    meta.has_temporary = temporary;
    meta.temporary_flags = temporary ? IMGPKG_TEMP_REMOVE_AT_BOOT : 0;
    uint8_t *buf = malloc(pkg->body_size + 256 + 8 * IMGPKG_MAX_ABIS + IMGPKG_SIGNATURE_SIZE);
    if (!buf)
        return -ENOMEM;
    memcpy(buf, data, pkg->body_size);
    size_t n = pkg->body_size + imgpkg_write_metadata(buf + pkg->body_size, &meta);
    int err = signing_sign(s->production, buf, n, buf + n);
    if (err) {
        free(buf);
        return err;
    }
    *out = buf;
    *len = n + IMGPKG_SIGNATURE_SIZE;
    return 0;
}

static char *blob_path(struct cloud *s, const char *sha)
{
    return path_join(s->blob_dir, sha);
}

static void h_image_add(struct cloud_call *x)
{
    const struct cloud_request *rq = x->rq;
    if (!rq->content_type || strncasecmp(rq->content_type, "application/octet-stream", 24) != 0) {
        cloud_call_fail(x, 415, "media-type", "upload the image package as application/octet-stream");
        return;
    }
    if (rq->body_len > CLOUD_MAX_IMAGE) {
        cloud_call_fail(x, 413, "image-too-large", "the image is %zu bytes; images are limited to 1 MiB (%u bytes)",
                        rq->body_len, CLOUD_MAX_IMAGE);
        return;
    }
    struct imgpkg pkg;
    struct imgpkg_error perr = {0};
    if (imgpkg_parse(rq->body, rq->body_len, &pkg, &perr) != 0) {
        cloud_call_fail(x, 400, "invalid-image", "the image package is malformed: %s [%s]", perr.message, perr.code);
        return;
    }
    struct keystore_match match;
    int err = keystore_verify(x->s->upload_keys, pkg.meta.thumbprint, rq->body, pkg.signed_size, pkg.signature, &match);
    char iid[GUID_TEXT_LEN + 1], cid[GUID_TEXT_LEN + 1], src[65], sha[65], now[24], size[24];
    uint8_t *signed_img = NULL;
    size_t signed_len = 0;
    if (err == -ENOKEY)
        cloud_call_fail(x, 400, "untrusted-signature", "the image is signed by a key this service does not know (sign it with the SDK key)");
    else if (err)
        cloud_call_fail(x, 400, "bad-signature", "the image's signature does not verify");
    else if (pkg.meta.image_type != IMGPKG_TYPE_APPLICATION)
        cloud_call_fail(x, 400, "invalid-image", "image type %u (%s) cannot be uploaded; only applications",
                        pkg.meta.image_type, imgpkg_type_name(pkg.meta.image_type));
    else if (guid_is_nil(&pkg.meta.component_id) || guid_is_nil(&pkg.meta.image_id))
        cloud_call_fail(x, 400, "invalid-image", "the image's component ID or image ID is the nil GUID");
    else if (uses_beta(&pkg) && !rq->force)
        cloud_call_fail(x, 400, "beta-needs-force", "the app targets Beta APIs that may change or be removed; upload it with --force");
    else if ((err = resign(x->s, rq->body, &pkg, rq->temporary, &signed_img, &signed_len)) != 0)
        cloud_call_fail(x, 500, "signing", "cannot re-sign the image: %s", strerror(-err));
    if (x->rs->status) {
        imgpkg_free(&pkg);
        return;
    }
    guid_format(&pkg.meta.image_id, iid);
    guid_format(&pkg.meta.component_id, cid);
    cloud_sha256_hex(rq->body, rq->body_len, src);
    cloud_sha256_hex(signed_img, signed_len, sha);
    cloud_now_text(now);
    snprintf(size, sizeof size, "%zu", signed_len);
    const char *name = pkg.meta.name;
    struct clouddb_rows r;
    err = cloud_call_query(x, "SELECT " IMAGE_COLUMNS ", source_sha256 FROM images WHERE tenant_id = $1 AND id = $2", PARAMS(x->tenant, iid), &r);
    if (!err && r.nrows == 1) {
        if (!strcmp(clouddb_cell(&r, 0, 8), src))
            cloud_call_reply(x, 200, image_json(&r, 0)); /* the same upload again: the stored image */
        else
            cloud_call_fail(x, 409, "image-exists", "image %s already exists with other content; images are immutable (give the "
                                                    "new build a new image ID)", iid);
        clouddb_rows_free(&r);
        free(signed_img);
        imgpkg_free(&pkg);
        return;
    }
    clouddb_rows_free(&r);
    char *blob = blob_path(x->s, sha);
    struct stat st;
    if (!err && !blob)
        err = -ENOMEM;
    if (!err && stat(blob, &st) != 0)
        err = hostio_write_file_atomic(blob, signed_img, signed_len, 0644);
    if (!err)
        err = cloud_call_query(x, "INSERT INTO images (tenant_id, id, component_id, name, sha256, size, temporary, beta, source_sha256, uploaded) "
                                  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                               PARAMS(x->tenant, iid, cid, name, sha, size, rq->temporary ? "1" : "0", uses_beta(&pkg) ? "1" : "0", src, now),
                               NULL);
    if (err == -EEXIST)
        cloud_call_fail(x, 409, "image-exists", "image %s was uploaded meanwhile", iid);
    else if (err)
        cloud_call_store_failed(x, err);
    else if (cloud_call_query(x, "SELECT " IMAGE_COLUMNS " FROM images WHERE tenant_id = $1 AND id = $2", PARAMS(x->tenant, iid), &r) == 0) {
        cloud_call_reply(x, 201, image_json(&r, 0));
        clouddb_rows_free(&r);
    } else {
        cloud_call_store_failed(x, -EIO);
    }
    free(blob);
    free(signed_img);
    imgpkg_free(&pkg);
}

static void h_image_list(struct cloud_call *x)
{
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT " IMAGE_COLUMNS " FROM images WHERE tenant_id = $1 ORDER BY uploaded, id", PARAMS(x->tenant), &r);
    cloud_call_reply_rows(x, err, &r, image_json);
}

/* Answers 200 with the stored image, or 500 blob-missing. */
static void send_blob(struct cloud_call *x, const char *sha)
{
    char *p = blob_path(x->s, sha), *data = NULL;
    size_t len = 0;
    int err = p ? hostio_read_file(p, &data, &len) : -ENOMEM;
    free(p);
    if (err) {
        cloud_call_fail(x, 500, "blob-missing", "the stored image %s cannot be read: %s", sha, strerror(-err));
        return;
    }
    x->rs->status = 200;
    x->rs->octets = (uint8_t *)data;
    x->rs->octets_len = len;
}

static void h_image_show(struct cloud_call *x, const char *id, bool content)
{
    if (!cloud_is_guid(id)) {
        cloud_call_fail(x, 400, "bad-image-id", "'%s' is not an image ID", id);
        return;
    }
    char iid[GUID_TEXT_LEN + 1];
    cloud_lower_guid(id, iid);
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT " IMAGE_COLUMNS " FROM images WHERE tenant_id = $1 AND id = $2", PARAMS(x->tenant, iid), &r);
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    if (r.nrows != 1)
        cloud_call_fail(x, 404, "unknown-image", "there is no image %s", iid);
    else if (content)
        send_blob(x, clouddb_cell(&r, 0, 3));
    else
        cloud_call_reply(x, 200, image_json(&r, 0));
    clouddb_rows_free(&r);
}

/* ---- deployments -------------------------------------------------------------------------- */

void cloud_deploy_list(struct cloud_call *x, const char *group)
{
    struct clouddb_rows r, imgs;
    int err = cloud_call_query(x, "SELECT id, seq, created FROM deployments WHERE tenant_id = $1 AND group_id = $2 ORDER BY seq DESC",
                               PARAMS(x->tenant, group), &r);
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    struct json_value *list = json_new_array();
    for (size_t i = 0; i < r.nrows && !err; i++) {
        struct json_value *o = json_new_object(), *ids = json_new_array();
        cloud_put_str(o, "id", clouddb_cell(&r, i, 0));
        cloud_put_str(o, "deviceGroupId", group);
        cloud_put_int(o, "sequence", clouddb_cell(&r, i, 1));
        cloud_put_int(o, "created", clouddb_cell(&r, i, 2));
        cloud_put_bool(o, "current", i == 0);
        err = cloud_call_query(x, "SELECT image_id FROM deployment_images WHERE deployment_id = $1 ORDER BY image_id",
                               PARAMS(clouddb_cell(&r, i, 0)), &imgs);
        for (size_t k = 0; !err && k < imgs.nrows; k++)
            cloud_append(ids, json_new_string(clouddb_cell(&imgs, k, 0)));
        clouddb_rows_free(&imgs);
        cloud_put(o, "images", ids);
        cloud_append(list, o);
    }
    clouddb_rows_free(&r);
    if (err) {
        json_free(list);
        cloud_call_store_failed(x, err);
        return;
    }
    cloud_call_reply(x, 200, list);
}

void cloud_deploy_create(struct cloud_call *x, const char *group)
{
    struct json_value *b = cloud_call_json_body(x);
    if (!b)
        return;
    const struct json_value *images = json_object_get(b, "images");
    if (!images || images->type != JSON_ARRAY || images->u.array.count > 32)
        cloud_call_fail(x, 400, "bad-images", "\"images\" must be an array of at most 32 image IDs (empty: remove all apps)");
    char ids[32][GUID_TEXT_LEN + 1], cids[32][GUID_TEXT_LEN + 1];
    size_t n = x->rs->status ? 0 : images->u.array.count;
    for (size_t i = 0; i < n && !x->rs->status; i++) {
        const struct json_value *v = images->u.array.items[i];
        if (v->type != JSON_STRING || !cloud_is_guid(v->u.string.chars)) {
            cloud_call_fail(x, 400, "bad-images", "images[%zu] is not an image ID", i);
            break;
        }
        cloud_lower_guid(v->u.string.chars, ids[i]);
        struct clouddb_rows r;
        int err = cloud_call_query(x, "SELECT component_id FROM images WHERE tenant_id = $1 AND id = $2", PARAMS(x->tenant, ids[i]), &r);
        if (err)
            cloud_call_store_failed(x, err);
        else if (r.nrows != 1)
            cloud_call_fail(x, 404, "unknown-image", "there is no image %s", ids[i]);
        else
            snprintf(cids[i], sizeof cids[i], "%s", clouddb_cell(&r, 0, 0));
        clouddb_rows_free(&r);
        for (size_t k = 0; k < i && !x->rs->status; k++)
            if (!strcmp(cids[k], cids[i]))
                cloud_call_fail(x, 409, "duplicate-component", "images %s and %s are both component %s; a deployment holds one "
                                                               "image per component", ids[k], ids[i], cids[i]);
    }
    json_free(b);
    if (x->rs->status)
        return;
    char did[GUID_TEXT_LEN + 1], now[24];
    cloud_now_text(now);
    int err = cloud_new_id(did);
    if (err) {
        cloud_call_random_failed(x, err);
        return;
    }
    err = -EBUSY;
    for (int attempt = 0; attempt < 8 && (err == -EBUSY || err == -EEXIST); attempt++) {
        struct clouddb_rows r;
        err = clouddb_begin(x->c);
        err = err ? err : cloud_call_query(x, "SELECT COALESCE(MAX(seq), 0) + 1 FROM deployments WHERE group_id = $1", PARAMS(group), &r);
        char seq[24];
        snprintf(seq, sizeof seq, "%s", err ? "0" : clouddb_cell(&r, 0, 0));
        clouddb_rows_free(&r);
        err = err ? err : cloud_call_query(x, "INSERT INTO deployments (id, tenant_id, group_id, seq, created) VALUES ($1, $2, $3, $4, $5)",
                                           PARAMS(did, x->tenant, group, seq, now), NULL);
        for (size_t i = 0; !err && i < n; i++)
            err = cloud_call_query(x, "INSERT INTO deployment_images (deployment_id, image_id) VALUES ($1, $2)", PARAMS(did, ids[i]), NULL);
        err = err ? err : clouddb_commit(x->c);
        if (err)
            clouddb_rollback(x->c);
    }
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    struct json_value *o = json_new_object(), *list = json_new_array();
    cloud_put_str(o, "id", did);
    cloud_put_str(o, "deviceGroupId", group);
    for (size_t i = 0; i < n; i++)
        cloud_append(list, json_new_string(ids[i]));
    cloud_put(o, "images", list);
    cloud_call_reply(x, 201, o);
}

/* ---- devices checking in ------------------------------------------------------------------ */

/* The images of the newest deployment of device DEV's group (TENANT its tenant; both SQL
 * expressions): its target set when no staged rollout decides otherwise. */
#define NEWEST_TARGETS_OF(DEV, TENANT)                                                                                \
    "SELECT i.id, i.component_id, i.name, i.sha256, i.size FROM deployment_images di "                                \
    "JOIN images i ON i.id = di.image_id AND i.tenant_id = " TENANT " WHERE di.deployment_id = "                      \
    "(SELECT id FROM deployments WHERE group_id = (SELECT group_id FROM devices WHERE id = " DEV ") ORDER BY seq "    \
    "DESC LIMIT 1) ORDER BY i.component_id"
#define NEWEST_TARGETS NEWEST_TARGETS_OF("$1", "$2")

/* The device's own row as target_set reads it: claimed, group, its group's app_update and name,
 * app_development (a SELECT for downloads, the RETURNING of a check-in's UPDATE). */
#define DEVICE_VIEW                                                                                                   \
    "claimed, group_id, (SELECT app_update FROM device_groups g WHERE g.id = devices.group_id), "                     \
    "(SELECT name FROM device_groups g WHERE g.id = devices.group_id), app_development"

/* target_set with `newest` the rows of NEWEST_TARGETS and `view` those of cloud_rollout_view_sql
 * when the caller fetched them already (a check-in, in the same round trip as its UPDATE), else
 * empty (nrows 0, cells NULL). Both are taken (freed). */
static int targets_of(struct cloud_call *x, const struct clouddb_rows *d, struct clouddb_rows *newest,
                      struct clouddb_rows *view, bool *updates, char *group_name, size_t gsize, struct clouddb_rows *rows,
                      bool checkin)
{
    int err = 0;
    memset(rows, 0, sizeof *rows);
    const char *group = clouddb_cell(d, 0, 1);
    *updates = d->nrows == 1 && strcmp(clouddb_cell(d, 0, 0), "0") != 0 && group && clouddb_cell(d, 0, 2) &&
               !strcmp(clouddb_cell(d, 0, 2), "UpdateAll") && !strcmp(clouddb_cell(d, 0, 4), "0");
    snprintf(group_name, gsize, "%s", clouddb_cell(d, 0, 3) ? clouddb_cell(d, 0, 3) : "");
    char rollout_dep[GUID_TEXT_LEN + 1] = ""; /* a staged rollout may keep the device on the previous deployment */
    if (*updates && view->cells)
        err = cloud_rollout_target_rows(x, view, checkin, rollout_dep);
    else if (*updates)
        err = cloud_rollout_target(x, group, checkin, rollout_dep);
    clouddb_rows_free(view);
    if (*updates && !err && rollout_dep[0])
        err = cloud_call_query(x, "SELECT i.id, i.component_id, i.name, i.sha256, i.size FROM deployment_images di "
                                  "JOIN images i ON i.id = di.image_id AND i.tenant_id = $2 WHERE di.deployment_id = $1 "
                                  "ORDER BY i.component_id", PARAMS(rollout_dep, x->tenant), rows);
    else if (*updates && !err && newest->cells) {
        *rows = *newest;
        memset(newest, 0, sizeof *newest);
    } else if (*updates && !err)
        err = cloud_call_query(x, NEWEST_TARGETS, PARAMS(x->subject, x->tenant), rows);
    clouddb_rows_free(newest);
    return err;
}

/* The device's target set: rows (image id, component id, name, sha256, size) of its group's
 * newest deployment, when its group takes application updates. *updates says whether it does.
 * d is the device's DEVICE_VIEW row (none: the device is gone). */
static int target_set(struct cloud_call *x, const struct clouddb_rows *d, bool *updates, char *group_name, size_t gsize,
                      struct clouddb_rows *rows, bool checkin)
{
    memset(rows, 0, sizeof *rows);
    struct clouddb_rows newest = {0}, view = {0};
    return targets_of(x, d, &newest, &view, updates, group_name, gsize, rows, checkin);
}

static char *installed_text(const struct cloud_checkin *ci)
{
    struct json_value *list = json_new_array();
    for (size_t i = 0; i < ci->installed_count; i++) {
        struct json_value *o = json_new_object();
        cloud_put_str(o, "componentId", ci->installed[i].component_id);
        cloud_put_str(o, "imageId", ci->installed[i].image_id);
        cloud_append(list, o);
    }
    struct strbuf sb = {0};
    if (list && json_write(list, JSON_COMPACT, &sb) != 0)
        strbuf_free(&sb);
    json_free(list);
    return strbuf_detach(&sb);
}

/* The body of a check-in or report into ci: 0, or the status to refuse it with (415 or 400) and
 * why. */
static unsigned checkin_body(const struct cloud_call *x, struct cloud_checkin *ci, char *why, size_t size)
{
    if (x->rq->body_len && (!x->rq->content_type || strncasecmp(x->rq->content_type, "application/json", 16))) {
        snprintf(why, size, "this endpoint takes application/json");
        return 415;
    }
    return cloud_parse_checkin((const char *)x->rq->body, x->rq->body_len, ci, why, size) != 0 ? 400 : 0;
}

static bool parse_checkin(struct cloud_call *x, struct cloud_checkin *ci)
{
    char why[256] = "";
    unsigned status = checkin_body(x, ci, why, sizeof why);
    if (status)
        cloud_call_fail(x, status, status == 415 ? "media-type" : "bad-checkin", "%s", why);
    return status == 0;
}

/* Answers a check-in from its batch's rows: d (the device's DEVICE_VIEW, none when it is gone),
 * newest and view as for targets_of. All three are taken. */
static void checkin_answer(struct cloud_call *x, struct clouddb_rows *d, struct clouddb_rows *newest,
                           struct clouddb_rows *view)
{
    char group[64];
    bool updates = false;
    struct clouddb_rows r;
    int err = targets_of(x, d, newest, view, &updates, group, sizeof group, &r, true);
    clouddb_rows_free(d);
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    struct json_value *o = json_new_object(), *targets = json_new_array();
    cloud_put_str(o, "deviceGroup", group[0] ? group : NULL);
    cloud_put_bool(o, "applicationUpdates", updates);
    for (size_t i = 0; i < r.nrows; i++) {
        struct json_value *t = json_new_object();
        cloud_put_str(t, "imageId", clouddb_cell(&r, i, 0));
        cloud_put_str(t, "componentId", clouddb_cell(&r, i, 1));
        cloud_put_str(t, "name", clouddb_cell(&r, i, 2));
        cloud_put_str(t, "sha256", clouddb_cell(&r, i, 3));
        cloud_put_int(t, "sizeBytes", clouddb_cell(&r, i, 4));
        cloud_append(targets, t);
    }
    clouddb_rows_free(&r);
    cloud_put(o, "targets", targets);
    if (o)
        json_object_append(o, "nextCheckInSeconds", json_new_int(CLOUD_CHECKIN_SECONDS));
    cloud_call_reply(x, 200, o);
}

/* A check-in authenticated beforehand (cloud.c's authenticate, its own round trip): every
 * check-in with SQLite; with PostgreSQL a device with its certificate alone, or a body that is
 * not a check-in (answered 400 or 415), a check-in with a token going through
 * cloud_deploy_checkin_send instead. */
static void h_checkin(struct cloud_call *x)
{
    struct cloud_checkin ci;
    if (!parse_checkin(x, &ci))
        return;
    char now[24];
    cloud_now_text(now);
    char *installed = installed_text(&ci);
    struct clouddb_rows d, newest, view; /* one round trip and one transaction: the check-in recorded, the
                                          * device and its group read back, the newest deployment's images,
                                          * the staged rollout governing it */
    const char *device[] = {x->subject, x->tenant, now, installed, ci.os_version[0] ? ci.os_version : NULL,
                            ci.app_development ? "1" : "0"};
    struct clouddb_stmt batch[] = {
        {"UPDATE devices SET last_checkin = $3, reported = $4, os_version = $5, app_development = $6 "
         "WHERE id = $1 AND tenant_id = $2 RETURNING " DEVICE_VIEW, device, 6, &d},
        {NEWEST_TARGETS, device, 2, &newest},
        {cloud_rollout_view_sql, device, 1, &view},
    };
    /* Soft state (clouddb_exec_batch_soft, docs/cloud.md "Durability"): the device sends all of it
     * again at its next check-in; what the answer promises is only read here. */
    int err = clouddb_exec_batch_soft(x->c, batch, 3);
    free(installed);
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    checkin_answer(x, &d, &newest, &view);
}

/* A check-in's UPDATE keyed by its token ($1 its hash, $2 now): it changes the device only when
 * the token passes every check cloud.c's authentication makes — a device's token, not expired at
 * $2, and either the certificate presented ($6, a device ID) is the token's device, or none is
 * presented and the device has none on record ($7 '1': the token fallback, where that does not
 * matter). Otherwise it changes nothing and returns no row. */
#define CHECKIN_BY_TOKEN                                                                                              \
    "UPDATE devices SET last_checkin = $2, reported = $3, os_version = $4, app_development = $5 "                     \
    "WHERE tenant_id = " CLOUD_TOKEN_TENANT " AND id = (SELECT t.subject FROM tokens t WHERE t.hash = $1 AND "        \
    "t.kind = 'd' AND (t.expires IS NULL OR t.expires > $2) AND (CAST($6 AS TEXT) IS NULL OR t.subject = $6) AND "    \
    "(CAST($6 AS TEXT) IS NOT NULL OR CAST($7 AS TEXT) = '1' OR NOT EXISTS "                                          \
    "(SELECT 1 FROM device_certificates dc WHERE dc.device_id = t.subject))) RETURNING " DEVICE_VIEW

int cloud_deploy_checkin_send(struct cloud_call *x, const char *token_hash, const char *now, struct cloud_checkin_batch *b)
{
    memset(b, 0, sizeof *b);
    struct cloud_checkin ci;
    char why[256];
    if (checkin_body(x, &ci, why, sizeof why))
        return -EINVAL;
    char *installed = installed_text(&ci);
    const char *p[] = {token_hash, now, installed, ci.os_version[0] ? ci.os_version : NULL, ci.app_development ? "1" : "0",
                       x->rq->device_cert, x->s->device_token_fallback ? "1" : "0"};
    /* One round trip and one transaction (soft state, as in h_checkin): the token, the check-in
     * recorded, the device and its group read back, the newest deployment's images, the staged
     * rollout governing it. */
    struct clouddb_stmt batch[] = {
        {CLOUD_TOKEN_SQL, p, 1, &b->token},
        {CHECKIN_BY_TOKEN, p, 7, &b->device},
        {NEWEST_TARGETS_OF(CLOUD_TOKEN_SUBJECT, CLOUD_TOKEN_TENANT), p, 1, &b->newest},
        {cloud_rollout_view_by_token_sql, p, 1, &b->view},
    };
    int err = clouddb_exec_batch_soft(x->c, batch, 4);
    free(installed);
    return err;
}

void cloud_deploy_checkin_answer(struct cloud_call *x, struct cloud_checkin_batch *b)
{
    clouddb_rows_free(&b->token);
    checkin_answer(x, &b->device, &b->newest, &b->view);
}

void cloud_deploy_checkin_discard(struct cloud_checkin_batch *b)
{
    clouddb_rows_free(&b->token);
    clouddb_rows_free(&b->device);
    clouddb_rows_free(&b->newest);
    clouddb_rows_free(&b->view);
}

static void h_report(struct cloud_call *x)
{
    struct cloud_checkin ci;
    if (!parse_checkin(x, &ci))
        return;
    if (!ci.result[0]) {
        cloud_call_fail(x, 400, "bad-checkin", "a report needs \"result\": \"ok\" or \"failed\"");
        return;
    }
    char now[24];
    cloud_now_text(now);
    char *installed = installed_text(&ci);
    struct json_value *res = json_new_object();
    cloud_put_str(res, "result", ci.result);
    cloud_put_str(res, "detail", ci.detail);
    if (res)
        json_object_append(res, "at", json_new_int(strtoll(now, NULL, 10)));
    struct strbuf sb = {0};
    int err = res ? json_write(res, JSON_COMPACT, &sb) : -ENOMEM;
    json_free(res);
    err = err ? err : cloud_call_query(x, "UPDATE devices SET reported = $2, last_result = $3 WHERE id = $1",
                                       PARAMS(x->subject, installed, strbuf_str(&sb)), NULL);
    free(installed);
    strbuf_free(&sb);
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    const char *ids[CLOUD_MAX_REPORTED];
    for (size_t i = 0; i < ci.installed_count; i++)
        ids[i] = ci.installed[i].image_id;
    cloud_rollout_report(x, !strcmp(ci.result, "ok"), ids, ci.installed_count); /* may move a staged rollout */
    cloud_call_reply(x, 200, json_new_object());
}

static void h_device_image(struct cloud_call *x, const char *id)
{
    bool updates = false;
    char group[64];
    struct clouddb_rows d, r;
    int err = cloud_call_query(x, "SELECT " DEVICE_VIEW " FROM devices WHERE id = $1 AND tenant_id = $2",
                               PARAMS(x->subject, x->tenant), &d);
    err = err ? err : target_set(x, &d, &updates, group, sizeof group, &r, false);
    clouddb_rows_free(&d);
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    bool targeted = false;
    for (size_t i = 0; i < r.nrows && !targeted; i++) {
        if (!strcasecmp(clouddb_cell(&r, i, 0), id)) {
            targeted = true;
            send_blob(x, clouddb_cell(&r, i, 3));
        }
    }
    clouddb_rows_free(&r);
    if (!targeted)
        cloud_call_fail(x, 404, "not-targeted", "image %s is not in this device's target set", id);
}

/* ---- routing ------------------------------------------------------------------------------ */

void cloud_deploy_route_images(struct cloud_call *x)
{
    size_t n = x->nseg;
    if (n == 2) {
        if (cloud_call_method(x, "GET"))
            h_image_list(x);
        else if (cloud_call_method(x, "POST"))
            h_image_add(x);
        else
            cloud_call_not_allowed(x);
        return;
    }
    if (n == 3 || (n == 4 && cloud_call_is(x, 3, "content"))) {
        if (cloud_call_method(x, "GET"))
            h_image_show(x, x->seg[2], n == 4);
        else
            cloud_call_not_allowed(x);
        return;
    }
    cloud_call_fail(x, 404, "no-such-endpoint", "no endpoint %s", x->rq->path);
}

void cloud_deploy_route_device(struct cloud_call *x)
{
    if (x->nseg == 3 && cloud_call_is(x, 2, "checkin")) {
        if (cloud_call_method(x, "POST"))
            h_checkin(x);
        else
            cloud_call_not_allowed(x);
        return;
    }
    if (x->nseg == 3 && cloud_call_is(x, 2, "report")) {
        if (cloud_call_method(x, "POST"))
            h_report(x);
        else
            cloud_call_not_allowed(x);
        return;
    }
    if (x->nseg == 4 && cloud_call_is(x, 2, "images")) {
        if (cloud_call_method(x, "GET"))
            h_device_image(x, x->seg[3]);
        else
            cloud_call_not_allowed(x);
        return;
    }
    cloud_call_fail(x, 404, "no-such-endpoint", "no endpoint %s", x->rq->path);
}
