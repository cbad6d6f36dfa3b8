/* SPDX-License-Identifier: MIT */
/*
 * cloud_otatwin.c — the OTA desired/reported state carried by the device twin (see cloud_otatwin.h).
 */
#include "cloud_otatwin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clouddb.h"
#include "cloudtwin.h"
#include "diag.h"
#include "json.h"
#include "cloud_ota.h"
#include "strbuf.h"

#define PARAMS(...) (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)

/* The device's stored desired document (an object; empty when there is none). */
static struct json_value *stored_desired(struct clouddb_conn *c, const char *device_id)
{
    struct clouddb_rows r;
    struct json_value *doc = NULL;
    struct diag_list diags = {0};
    if (clouddb_exec(c, "SELECT desired FROM device_twin WHERE device_id = $1", PARAMS(device_id), &r) == 0 &&
        r.nrows == 1 && clouddb_cell(&r, 0, 0)) {
        const char *text = clouddb_cell(&r, 0, 0);
        if (json_parse(text, strlen(text), NULL, "desired", &diags, &doc) != 0 || doc->type != JSON_OBJECT) {
            json_free(doc);
            doc = NULL;
        }
    }
    clouddb_rows_free(&r);
    diag_list_free(&diags);
    return doc ? doc : json_new_object();
}

/* The twin's desired document with its OTA member replaced by the device's OTA desired state
 * (removed when no deployment targets it); other members, set by operators, are kept. */
static int desired_for(void *ctx, const char *device_id, char **json_out)
{
    struct cloud_ota *ota_state = ctx;
    struct clouddb_conn *c = cloud_twin_conn();
    char *ota_json = NULL;
    *json_out = NULL;
    if (!c)
        return -EINVAL;
    int err = cloud_ota_desired_json_on(ota_state, c, NULL, device_id, &ota_json);
    struct json_value *doc = err ? NULL : stored_desired(c, device_id), *ota = NULL;
    struct diag_list diags = {0};
    if (!err && !doc)
        err = -ENOMEM;
    if (!err && strcmp(ota_json, "{}") && json_parse(ota_json, strlen(ota_json), NULL, "ota", &diags, &ota) != 0)
        err = -EIO;
    if (!err && ota)
        err = json_object_set(doc, OTATWIN_MEMBER, ota);
    else if (!err)
        json_object_remove(doc, OTATWIN_MEMBER);
    struct strbuf out = {0};
    if (!err && doc->u.object.count)
        err = json_write(doc, JSON_COMPACT, &out);
    if (!err && doc->u.object.count)
        *json_out = strbuf_detach(&out);
    strbuf_free(&out);
    json_free(doc);
    free(ota_json);
    diag_list_free(&diags);
    return err;
}

static void on_reported(void *ctx, struct clouddb_conn *c, const char *device_id, const char *json)
{
    struct diag_list diags = {0};
    struct json_value *v = NULL;
    char why[256] = "";
    if (json_parse(json, strlen(json), NULL, "reported", &diags, &v) == 0 && json_object_get(v, "status")) {
        if (cloud_ota_store_report_on(c, device_id, v, why, sizeof why) != 0)
            fprintf(stderr, "sphere-cloud: twin: device %.16s...: the OTA report was not stored: %s\n", device_id, why);
        else
            cloud_ota_report_stored(ctx, c, device_id); /* ctx: the cloud_ota (staged rollouts count it) */
    }
    json_free(v);
    diag_list_free(&diags);
}

int cloud_otatwin_resync(struct cloud_twin *twin, struct clouddb_conn *c, const char *tenant)
{
    struct clouddb_rows r;
    int err = clouddb_exec(c, "SELECT id FROM devices WHERE tenant_id = COALESCE($1, tenant_id)", PARAMS(tenant), &r);
    for (size_t i = 0; !err && i < r.nrows; i++) {
        int e = cloud_twin_sync_conn(twin, c, clouddb_cell(&r, i, 0));
        if (e)
            fprintf(stderr, "sphere-cloud: twin: cannot publish the OTA state of device %.16s...: %d\n",
                    clouddb_cell(&r, i, 0), e);
    }
    clouddb_rows_free(&r);
    return err;
}

static void on_targets_changed(void *ctx, struct clouddb_conn *c, const char *tenant)
{
    cloud_otatwin_resync(ctx, c, tenant);
}

void cloud_otatwin_install(struct cloud_twin *twin, struct cloud_ota *ota)
{
    cloud_twin_set_desired_source(twin, desired_for, ota);
    cloud_twin_set_reported_sink(twin, on_reported, ota);
    cloud_ota_on_targets_changed(ota, on_targets_changed, twin);
}
