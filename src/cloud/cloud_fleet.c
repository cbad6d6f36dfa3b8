/* SPDX-License-Identifier: MIT */
/*
 * cloud_fleet.c — the fleet a tenant manages (docs/cloud.md): users and their tokens, products and
 * their device groups (with the default groups and update policies), devices — provisioned with
 * a token, claimed, listed, moved between groups, tagged — and their capability files.
 *
 * Contract: cloud_fleet_route(x) answers every user request under /v1/users, /v1/products,
 * /v1/device-groups and /v1/devices in x->rs (a group's deployments go to cloud_deploy.c, a
 * device's twin to cloudtwin.c), scoped to x->tenant on x->c, and calls nothing above it.
 * Re-tagging a device republishes its twin (the tags choose its OTA deployments).
 */
#include "cloud_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cloudtwin.h"
#include "diag.h"
#include "signing.h"

static const struct {
    const char *name, *description, *app_update, *os_feed;
} default_groups[] = {
    {"Development", "Default development device group", "No3rdPartyAppUpdates", "Retail"},
    {"Field Test", "Default test device group", "UpdateAll", "Retail"},
    {"Production", "Default production device group", "UpdateAll", "Retail"},
    {"Production OS Evaluation", "Default production device group for OS evaluation", "UpdateAll", "RetailEval"},
    {"Field Test OS Evaluation", "Default test device group for OS evaluation", "UpdateAll", "RetailEval"},
};

/* ---- products and device groups ----------------------------------------------------------- */

static struct json_value *product_json(const struct clouddb_rows *r, size_t i)
{
    struct json_value *o = json_new_object();
    cloud_put_str(o, "id", clouddb_cell(r, i, 0));
    cloud_put_str(o, "name", clouddb_cell(r, i, 1));
    cloud_put_str(o, "description", clouddb_cell(r, i, 2));
    return o;
}

#define PRODUCT_COLUMNS "id, name, description"

/* After a query for one object's ID: copies it, or reports 404 `code` or the storage error. */
static bool take_id(struct cloud_call *x, int err, struct clouddb_rows *r, char id[GUID_TEXT_LEN + 1], const char *code,
                           const char *what, const char *name)
{
    bool found = !err && r->nrows == 1;
    if (err)
        cloud_call_store_failed(x, err);
    else if (found)
        snprintf(id, GUID_TEXT_LEN + 1, "%s", clouddb_cell(r, 0, 0));
    else
        cloud_call_fail(x, 404, code, "there is no %s '%s'", what, name);
    clouddb_rows_free(r);
    return found;
}

/* Finds the caller's product called `name` (or with that ID); 404 otherwise. */
static bool find_product(struct cloud_call *x, const char *name, char id[GUID_TEXT_LEN + 1])
{
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT id FROM products WHERE tenant_id = $1 AND (name = $2 OR id = $2)", PARAMS(x->tenant, name), &r);
    return take_id(x, err, &r, id, "unknown-product", "product", name);
}

static int insert_default_groups(struct cloud_call *x, const char *product)
{
    int err = 0;
    for (size_t i = 0; !err && i < sizeof default_groups / sizeof default_groups[0]; i++) {
        char gid[GUID_TEXT_LEN + 1];
        err = cloud_new_id(gid);
        err = err ? err : cloud_call_query(x, "INSERT INTO device_groups (id, tenant_id, product_id, name, description, "
                                              "app_update, os_feed) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                                           PARAMS(gid, x->tenant, product, default_groups[i].name, default_groups[i].description,
                                                  default_groups[i].app_update, default_groups[i].os_feed), NULL);
    }
    return err;
}

static void h_product_create(struct cloud_call *x)
{
    struct json_value *b = cloud_call_json_body(x);
    if (!b)
        return;
    const char *name = cloud_jstr(b, "name"), *desc = NULL;
    const struct json_value *nodef = json_object_get(b, "noDefaultDeviceGroups");
    if (!name || !cloud_valid_name(name))
        cloud_call_fail(x, 400, "bad-name", "a product needs a \"name\" of 1-50 printable characters without '/'");
    else if (cloud_call_opt_string(x, b, "description", &desc) && desc && strlen(desc) > 100)
        cloud_call_fail(x, 400, "bad-description", "the description is longer than 100 characters");
    else if (nodef && nodef->type != JSON_BOOL)
        cloud_call_fail(x, 400, "bad-field", "\"noDefaultDeviceGroups\" must be true or false");
    if (x->rs->status) {
        json_free(b);
        return;
    }
    char id[GUID_TEXT_LEN + 1], now[24];
    cloud_now_text(now);
    int err = cloud_new_id(id);
    if (err) {
        json_free(b);
        cloud_call_random_failed(x, err);
        return;
    }
    err = clouddb_begin(x->c);
    err = err ? err : cloud_call_query(x, "INSERT INTO products (id, tenant_id, name, description, created) VALUES ($1, $2, $3, $4, $5)",
                                       PARAMS(id, x->tenant, name, desc ? desc : "", now), NULL);
    if (!err && !(nodef && nodef->u.boolean))
        err = insert_default_groups(x, id);
    err = err ? err : clouddb_commit(x->c);
    if (err) {
        clouddb_rollback(x->c);
        if (err == -EEXIST)
            cloud_call_fail(x, 409, "product-exists", "a product called '%s' already exists", name);
        else
            cloud_call_store_failed(x, err);
    } else {
        struct json_value *o = json_new_object();
        cloud_put_str(o, "id", id);
        cloud_put_str(o, "name", name);
        cloud_put_str(o, "description", desc ? desc : "");
        cloud_call_reply(x, 201, o);
    }
    json_free(b);
}

static void h_product_list(struct cloud_call *x)
{
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT " PRODUCT_COLUMNS " FROM products WHERE tenant_id = $1 ORDER BY name", PARAMS(x->tenant), &r);
    cloud_call_reply_rows(x, err, &r, product_json);
}

static void h_product_show(struct cloud_call *x, const char *name)
{
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT " PRODUCT_COLUMNS " FROM products WHERE tenant_id = $1 AND (name = $2 OR id = $2)",
                               PARAMS(x->tenant, name), &r);
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    if (r.nrows == 1)
        cloud_call_reply(x, 200, product_json(&r, 0));
    else
        cloud_call_fail(x, 404, "unknown-product", "there is no product '%s'", name);
    clouddb_rows_free(&r);
}

#define GROUP_COLUMNS "g.id, g.name, p.name, g.description, g.app_update, g.os_feed"
#define GROUP_FROM " FROM device_groups g JOIN products p ON p.id = g.product_id "

static struct json_value *group_json(const struct clouddb_rows *r, size_t i)
{
    struct json_value *o = json_new_object();
    cloud_put_str(o, "id", clouddb_cell(r, i, 0));
    cloud_put_str(o, "name", clouddb_cell(r, i, 1));
    cloud_put_str(o, "product", clouddb_cell(r, i, 2));
    cloud_put_str(o, "description", clouddb_cell(r, i, 3));
    cloud_put_str(o, "applicationUpdate", clouddb_cell(r, i, 4));
    cloud_put_str(o, "osFeed", clouddb_cell(r, i, 5));
    return o;
}

static void group_list(struct cloud_call *x, const char *product)
{
    struct clouddb_rows r;
    int err = product ? cloud_call_query(x, "SELECT " GROUP_COLUMNS GROUP_FROM "WHERE g.tenant_id = $1 AND g.product_id = $2 ORDER BY g.name",
                                         PARAMS(x->tenant, product), &r)
                      : cloud_call_query(x, "SELECT " GROUP_COLUMNS GROUP_FROM "WHERE g.tenant_id = $1 ORDER BY p.name, g.name",
                                         PARAMS(x->tenant), &r);
    cloud_call_reply_rows(x, err, &r, group_json);
}

static bool valid_policy(const char *update, const char *feed)
{
    return (!update || !strcmp(update, "UpdateAll") || !strcmp(update, "No3rdPartyAppUpdates")) &&
           (!feed || !strcmp(feed, "Retail") || !strcmp(feed, "RetailEval"));
}

static void h_group_create(struct cloud_call *x, const char *product_name)
{
    char product[GUID_TEXT_LEN + 1];
    if (!find_product(x, product_name, product))
        return;
    struct json_value *b = cloud_call_json_body(x);
    if (!b)
        return;
    const char *name = cloud_jstr(b, "name"), *desc = NULL, *update = NULL, *feed = NULL;
    if (!name || !cloud_valid_name(name) || !strcmp(name, "deployments"))
        cloud_call_fail(x, 400, "bad-name", "a device group needs a \"name\" of 1-50 printable characters without '/'");
    else if (cloud_call_opt_string(x, b, "description", &desc) && cloud_call_opt_string(x, b, "applicationUpdate", &update) &&
             cloud_call_opt_string(x, b, "osFeed", &feed) && !valid_policy(update, feed))
        cloud_call_fail(x, 400, "bad-policy", "applicationUpdate must be UpdateAll or No3rdPartyAppUpdates; osFeed Retail or RetailEval");
    if (x->rs->status) {
        json_free(b);
        return;
    }
    char id[GUID_TEXT_LEN + 1];
    int err = cloud_new_id(id);
    if (err) {
        json_free(b);
        cloud_call_random_failed(x, err);
        return;
    }
    err = cloud_call_query(x, "INSERT INTO device_groups (id, tenant_id, product_id, name, description, app_update, os_feed) "
                              "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                           PARAMS(id, x->tenant, product, name, desc ? desc : "", update ? update : "UpdateAll", feed ? feed : "Retail"),
                           NULL);
    if (err == -EEXIST)
        cloud_call_fail(x, 409, "group-exists", "product '%s' already has a device group '%s'", product_name, name);
    else if (err)
        cloud_call_store_failed(x, err);
    else {
        struct json_value *o = json_new_object();
        cloud_put_str(o, "id", id);
        cloud_put_str(o, "name", name);
        cloud_put_str(o, "product", product_name);
        cloud_put_str(o, "description", desc ? desc : "");
        cloud_put_str(o, "applicationUpdate", update ? update : "UpdateAll");
        cloud_put_str(o, "osFeed", feed ? feed : "Retail");
        cloud_call_reply(x, 201, o);
    }
    json_free(b);
}

/* Resolves a group reference: its ID, or "Product/Group". */
static bool find_group(struct cloud_call *x, const char *ref, char id[GUID_TEXT_LEN + 1])
{
    struct clouddb_rows r;
    int err;
    const char *slash = strchr(ref, '/');
    if (slash) {
        char product[64];
        snprintf(product, sizeof product, "%.*s", (int)(slash - ref) < 63 ? (int)(slash - ref) : 63, ref);
        err = cloud_call_query(x, "SELECT g.id" GROUP_FROM "WHERE g.tenant_id = $1 AND p.name = $2 AND g.name = $3",
                               PARAMS(x->tenant, product, slash + 1), &r);
    } else {
        err = cloud_call_query(x, "SELECT id FROM device_groups WHERE tenant_id = $1 AND id = $2", PARAMS(x->tenant, ref), &r);
    }
    return take_id(x, err, &r, id, "unknown-device-group", "device group (ID or PRODUCT/GROUP)", ref);
}

static void h_group_show(struct cloud_call *x, const char *id)
{
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT " GROUP_COLUMNS GROUP_FROM "WHERE g.tenant_id = $1 AND g.id = $2", PARAMS(x->tenant, id), &r);
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    cloud_call_reply(x, 200, group_json(&r, 0));
    clouddb_rows_free(&r);
}

static void h_group_update(struct cloud_call *x, const char *id)
{
    struct json_value *b = cloud_call_json_body(x);
    if (!b)
        return;
    const char *desc = NULL, *update = NULL, *feed = NULL;
    if (cloud_call_opt_string(x, b, "description", &desc) && cloud_call_opt_string(x, b, "applicationUpdate", &update) &&
        cloud_call_opt_string(x, b, "osFeed", &feed) && !valid_policy(update, feed))
        cloud_call_fail(x, 400, "bad-policy", "applicationUpdate must be UpdateAll or No3rdPartyAppUpdates; osFeed Retail or RetailEval");
    int err = x->rs->status ? 0
                            : cloud_call_query(x, "UPDATE device_groups SET description = COALESCE($3, description), "
                                                  "app_update = COALESCE($4, app_update), os_feed = COALESCE($5, os_feed) "
                                                  "WHERE tenant_id = $1 AND id = $2",
                                               PARAMS(x->tenant, id, desc, update, feed), NULL);
    json_free(b);
    if (err)
        cloud_call_store_failed(x, err);
    else if (!x->rs->status)
        h_group_show(x, id);
}

/* ---- devices ------------------------------------------------------------------------------ */

/* Device IDs: 128 hex digits; stored lower-case. */
static bool device_id_norm(const char *in, char out[DEVICE_ID_HEX + 1])
{
    uint8_t id[DEVICE_ID_BYTES];
    if (!in || device_id_parse(in, id) != 0)
        return false;
    device_id_format(id, out);
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return true;
}

/* Looks the device up: 1 the caller's, 0 unknown, -1 another tenant's; claimed/group filled. */
static int device_owner(struct cloud_call *x, const char *id, bool *claimed, int *err)
{
    struct clouddb_rows r;
    *err = cloud_call_query(x, "SELECT tenant_id, claimed FROM devices WHERE id = $1", PARAMS(id), &r);
    int who = 0;
    if (!*err && r.nrows == 1) {
        who = strcmp(clouddb_cell(&r, 0, 0), x->tenant) == 0 ? 1 : -1;
        *claimed = strcmp(clouddb_cell(&r, 0, 1), "0") != 0;
    }
    clouddb_rows_free(&r);
    return who;
}

static bool parse_device_id(struct cloud_call *x, const char *text, char id[DEVICE_ID_HEX + 1])
{
    if (device_id_norm(text, id))
        return true;
    cloud_call_fail(x, 400, "bad-device-id", "'%.40s%s' is not a device ID (128 hex digits)", text, strlen(text) > 40 ? "..." : "");
    return false;
}

static void h_device_token(struct cloud_call *x, const char *text)
{
    char id[DEVICE_ID_HEX + 1], now[24], token[71], hash[65];
    if (!parse_device_id(x, text, id))
        return;
    bool claimed = false;
    int err = 0, who;
    cloud_now_text(now);
    if ((err = cloud_new_token('d', token, hash)) != 0) {
        cloud_call_random_failed(x, err);
        return;
    }
    err = clouddb_begin(x->c);
    who = err ? 0 : device_owner(x, id, &claimed, &err);
    if (!err && who < 0) {
        clouddb_rollback(x->c);
        cloud_call_fail(x, 409, "device-other-tenant", "device %.16s... belongs to another tenant", id);
        return;
    }
    if (!err && who == 0)
        err = cloud_call_query(x, "INSERT INTO devices (id, tenant_id, claimed) VALUES ($1, $2, 0)", PARAMS(id, x->tenant), NULL);
    err = err ? err : cloud_call_query(x, "DELETE FROM tokens WHERE kind = 'd' AND subject = $1", PARAMS(id), NULL);
    err = err ? err : cloud_call_query(x, "INSERT INTO tokens (hash, tenant_id, kind, subject, created) VALUES ($1, $2, 'd', $3, $4)",
                                       PARAMS(hash, x->tenant, id, now), NULL);
    err = err ? err : clouddb_commit(x->c);
    if (err) {
        clouddb_rollback(x->c);
        cloud_call_store_failed(x, err);
        return;
    }
    struct json_value *o = json_new_object();
    cloud_put_str(o, "deviceId", id);
    cloud_put_str(o, "token", token);
    cloud_call_reply(x, 201, o);
}

static void device_delete(struct cloud_call *x, const char *text)
{
    char id[DEVICE_ID_HEX + 1];
    if (parse_device_id(x, text, id))
        cloud_access_device_delete(x, id);
}

static void h_device_claim(struct cloud_call *x, const char *text)
{
    char id[DEVICE_ID_HEX + 1], group[GUID_TEXT_LEN + 1] = "";
    if (!parse_device_id(x, text, id))
        return;
    struct json_value *b = cloud_call_json_body(x);
    if (!b)
        return;
    const char *ref = NULL;
    if (!cloud_call_opt_string(x, b, "deviceGroup", &ref) || (ref && !find_group(x, ref, group))) {
        json_free(b);
        return;
    }
    json_free(b);
    bool claimed = false;
    int err = clouddb_begin(x->c), who = 0;
    who = err ? 0 : device_owner(x, id, &claimed, &err);
    if (!err && (who < 0 || claimed)) {
        clouddb_rollback(x->c);
        if (who < 0) {
            cloud_call_fail(x, 409, "device-other-tenant", "device %.16s... is claimed by another tenant", id);
            return;
        }
        cloud_call_fail(x, 409, "already-claimed", "device %.16s... is already claimed (claiming cannot be undone)", id);
        return;
    }
    if (!err && who == 0)
        err = cloud_call_query(x, "INSERT INTO devices (id, tenant_id, claimed, group_id) VALUES ($1, $2, 1, $3)",
                               PARAMS(id, x->tenant, group[0] ? group : NULL), NULL);
    else if (!err)
        err = cloud_call_query(x, "UPDATE devices SET claimed = 1, group_id = COALESCE($2, group_id) WHERE id = $1",
                               PARAMS(id, group[0] ? group : NULL), NULL);
    err = err ? err : clouddb_commit(x->c);
    if (err) {
        clouddb_rollback(x->c);
        if (err == -EEXIST)
            cloud_call_fail(x, 409, "device-other-tenant", "device %.16s... was claimed meanwhile", id);
        else
            cloud_call_store_failed(x, err);
        return;
    }
    struct json_value *o = json_new_object();
    cloud_put_str(o, "deviceId", id);
    cloud_put_bool(o, "claimed", true);
    cloud_call_reply(x, 201, o);
}

#define DEVICE_COLUMNS "d.id, d.claimed, g.id, g.name, p.name, d.os_version, d.app_development, d.last_checkin, d.reported, d.last_result"
#define DEVICE_FROM " FROM devices d LEFT JOIN device_groups g ON g.id = d.group_id LEFT JOIN products p ON p.id = g.product_id "

static struct json_value *parse_stored(const char *text)
{
    struct json_value *v = NULL;
    struct diag_list diags = {0};
    if (!text || json_parse(text, strlen(text), NULL, "stored", &diags, &v) != 0)
        v = json_new_null();
    diag_list_free(&diags);
    return v;
}

static struct json_value *device_json(struct cloud_call *x, const struct clouddb_rows *r, size_t i, bool full)
{
    struct json_value *o = json_new_object();
    const char *id = clouddb_cell(r, i, 0);
    cloud_put_str(o, "deviceId", id);
    cloud_put_bool(o, "claimed", strcmp(clouddb_cell(r, i, 1), "0") != 0);
    cloud_put_str(o, "deviceGroupId", clouddb_cell(r, i, 2));
    cloud_put_str(o, "deviceGroup", clouddb_cell(r, i, 3));
    cloud_put_str(o, "product", clouddb_cell(r, i, 4));
    cloud_put_str(o, "osVersion", clouddb_cell(r, i, 5));
    cloud_put_bool(o, "appDevelopment", clouddb_cell(r, i, 6) && strcmp(clouddb_cell(r, i, 6), "0") != 0);
    cloud_put_int(o, "lastCheckIn", clouddb_cell(r, i, 7));
    struct clouddb_rows t;
    struct json_value *tags = json_new_array();
    if (cloud_call_query(x, "SELECT tag FROM device_tags WHERE device_id = $1 ORDER BY tag", PARAMS(id), &t) == 0)
        for (size_t k = 0; k < t.nrows; k++)
            cloud_append(tags, json_new_string(clouddb_cell(&t, k, 0)));
    clouddb_rows_free(&t);
    cloud_put(o, "tags", tags);
    if (full) {
        cloud_put(o, "installed", parse_stored(clouddb_cell(r, i, 8)));
        cloud_put(o, "lastResult", parse_stored(clouddb_cell(r, i, 9)));
    }
    return o;
}

static void h_device_list(struct cloud_call *x)
{
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT " DEVICE_COLUMNS DEVICE_FROM "WHERE d.tenant_id = $1 AND d.claimed = 1 ORDER BY d.id", PARAMS(x->tenant), &r);
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    struct json_value *list = json_new_array();
    for (size_t i = 0; i < r.nrows; i++)
        cloud_append(list, device_json(x, &r, i, false));
    clouddb_rows_free(&r);
    cloud_call_reply(x, 200, list);
}

/* The caller's claimed device; 404 for unknown or another tenant's, 409 if only provisioned. */
static bool find_claimed(struct cloud_call *x, const char *text, char id[DEVICE_ID_HEX + 1])
{
    if (!parse_device_id(x, text, id))
        return false;
    bool claimed = false;
    int err = 0, who = device_owner(x, id, &claimed, &err);
    if (err)
        cloud_call_store_failed(x, err);
    else if (who <= 0)
        cloud_call_fail(x, 404, "unknown-device", "device %.16s... is not in this tenant", id);
    else if (!claimed)
        cloud_call_fail(x, 409, "not-claimed", "device %.16s... is not claimed; claim it first", id);
    return !err && who > 0 && claimed;
}

static void h_device_show(struct cloud_call *x, const char *text)
{
    char id[DEVICE_ID_HEX + 1];
    if (!find_claimed(x, text, id))
        return;
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT " DEVICE_COLUMNS DEVICE_FROM "WHERE d.id = $1", PARAMS(id), &r);
    if (err) {
        cloud_call_store_failed(x, err);
        return;
    }
    cloud_call_reply(x, 200, device_json(x, &r, 0, true));
    clouddb_rows_free(&r);
}

static void h_device_update(struct cloud_call *x, const char *text)
{
    char id[DEVICE_ID_HEX + 1], group[GUID_TEXT_LEN + 1] = "";
    if (!find_claimed(x, text, id))
        return;
    struct json_value *b = cloud_call_json_body(x);
    if (!b)
        return;
    const struct json_value *g = json_object_get(b, "deviceGroup"), *tags = json_object_get(b, "tags");
    if (g && g->type != JSON_NULL && (g->type != JSON_STRING || !find_group(x, g->u.string.chars, group))) {
        if (!x->rs->status)
            cloud_call_fail(x, 400, "bad-field", "\"deviceGroup\" must be a group ID, PRODUCT/GROUP, or null");
        json_free(b);
        return;
    }
    if (tags && (tags->type != JSON_ARRAY || tags->u.array.count > 32))
        cloud_call_fail(x, 400, "bad-tags", "\"tags\" must be an array of at most 32 tags");
    for (size_t i = 0; tags && !x->rs->status && i < tags->u.array.count; i++) {
        const struct json_value *t = tags->u.array.items[i];
        if (t->type != JSON_STRING || !cloud_valid_name(t->u.string.chars))
            cloud_call_fail(x, 400, "bad-tags", "tag %zu must be 1-50 printable characters without '/'", i + 1);
    }
    if (x->rs->status) {
        json_free(b);
        return;
    }
    int err = clouddb_begin(x->c);
    if (!err && g)
        err = cloud_call_query(x, "UPDATE devices SET group_id = $2 WHERE id = $1", PARAMS(id, group[0] ? group : NULL), NULL);
    if (!err && tags) {
        err = cloud_call_query(x, "DELETE FROM device_tags WHERE device_id = $1", PARAMS(id), NULL);
        for (size_t i = 0; !err && i < tags->u.array.count; i++)
            err = cloud_call_query(x, "INSERT INTO device_tags (device_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                                   PARAMS(id, tags->u.array.items[i]->u.string.chars), NULL);
    }
    err = err ? err : clouddb_commit(x->c);
    json_free(b);
    if (err) {
        clouddb_rollback(x->c);
        cloud_call_store_failed(x, err);
        return;
    }
    if (tags) /* the tags choose the OTA deployments that target the device */
        cloud_twin_sync_conn(x->s->twin, x->c, id);
    h_device_show(x, id);
}

static void h_device_capability(struct cloud_call *x, const char *text)
{
    char id[DEVICE_ID_HEX + 1];
    if (!find_claimed(x, text, id))
        return;
    struct json_value *b = cloud_call_json_body(x);
    if (!b)
        return;
    const struct json_value *types = json_object_get(b, "types");
    uint8_t caps[4];
    size_t n = 0;
    if (types && (types->type != JSON_ARRAY || types->u.array.count > 2))
        cloud_call_fail(x, 400, "bad-capability", "\"types\" must be an array of at most 2 capability types");
    for (size_t i = 0; types && !x->rs->status && i < types->u.array.count; i++) {
        const struct json_value *t = types->u.array.items[i];
        const char *s = t->type == JSON_STRING ? t->u.string.chars : "";
        if (!strcasecmp(s, "appDevelopment") || !strcasecmp(s, "ApplicationDevelopment"))
            caps[n++] = CAP_ENABLE_APP_DEVELOPMENT;
        else if (!strcasecmp(s, "fieldServicing"))
            caps[n++] = CAP_ENABLE_FIELD_SERVICING;
        else
            cloud_call_fail(x, 400, "bad-capability", "unknown capability type '%s' (appDevelopment or fieldServicing)", s);
    }
    json_free(b);
    if (x->rs->status)
        return;
    uint8_t raw[DEVICE_ID_BYTES];
    device_id_parse(id, raw);
    int err = capfile_build(raw, caps, n, x->s->security, &x->rs->octets, &x->rs->octets_len);
    if (err) {
        cloud_call_fail(x, 500, "signing", "cannot sign the capability file: %s", strerror(-err));
        return;
    }
    x->rs->status = 200;
}

/* ---- routing ------------------------------------------------------------------------------ */

static void route_groups(struct cloud_call *x)
{
    /* /v1/device-groups/{id}[/deployments] or /v1/device-groups/{product}/{group}[/deployments] */
    size_t n = x->nseg;
    bool deployments = n >= 4 && cloud_call_is(x, n - 1, "deployments") && (n == 5 || cloud_is_guid(x->seg[2]));
    size_t ref_end = deployments ? n - 1 : n;
    char ref[128], id[GUID_TEXT_LEN + 1];
    if (ref_end != 3 && ref_end != 4) {
        cloud_call_fail(x, 404, "no-such-endpoint", "no endpoint %s", x->rq->path);
        return;
    }
    if (ref_end == 3)
        snprintf(ref, sizeof ref, "%s", x->seg[2]);
    else
        snprintf(ref, sizeof ref, "%s/%s", x->seg[2], x->seg[3]);
    if (!find_group(x, ref, id))
        return;
    if (deployments) {
        if (cloud_call_method(x, "GET"))
            cloud_deploy_list(x, id);
        else if (cloud_call_method(x, "POST"))
            cloud_deploy_create(x, id);
        else
            cloud_call_not_allowed(x);
        return;
    }
    if (cloud_call_method(x, "GET"))
        h_group_show(x, id);
    else if (cloud_call_method(x, "PATCH"))
        h_group_update(x, id);
    else
        cloud_call_not_allowed(x);
}

void cloud_fleet_route(struct cloud_call *x)
{
    size_t n = x->nseg;
    if (cloud_call_is(x, 1, "users")) {
        cloud_access_route_users(x);
        return;
    }
    if (cloud_call_is(x, 1, "products")) {
        if (n == 2) {
            if (cloud_call_method(x, "GET"))
                h_product_list(x);
            else if (cloud_call_method(x, "POST"))
                h_product_create(x);
            else
                cloud_call_not_allowed(x);
            return;
        }
        if (n == 3) {
            if (cloud_call_method(x, "GET"))
                h_product_show(x, x->seg[2]);
            else
                cloud_call_not_allowed(x);
            return;
        }
        if (n == 4 && cloud_call_is(x, 3, "device-groups")) {
            char pid[GUID_TEXT_LEN + 1];
            if (cloud_call_method(x, "POST")) {
                h_group_create(x, x->seg[2]);
                return;
            }
            if (!cloud_call_method(x, "GET")) {
                cloud_call_not_allowed(x);
                return;
            }
            if (find_product(x, x->seg[2], pid))
                group_list(x, pid);
            return;
        }
        if (n == 4 && cloud_call_is(x, 3, "create-default-groups")) {
            char pid[GUID_TEXT_LEN + 1];
            if (!cloud_call_method(x, "POST")) {
                cloud_call_not_allowed(x);
                return;
            }
            if (!find_product(x, x->seg[2], pid))
                return;
            int err = insert_default_groups(x, pid);
            if (err)
                cloud_call_store_failed(x, err);
            else
                group_list(x, pid);
            return;
        }
    }
    if (cloud_call_is(x, 1, "device-groups")) {
        if (n != 2)
            route_groups(x);
        else if (cloud_call_method(x, "GET"))
            group_list(x, NULL);
        else
            cloud_call_not_allowed(x);
        return;
    }
    if (cloud_call_is(x, 1, "devices")) {
        if (n == 2) {
            if (cloud_call_method(x, "GET"))
                h_device_list(x);
            else
                cloud_call_not_allowed(x);
            return;
        }
        if (n == 3) {
            if (cloud_call_method(x, "GET"))
                h_device_show(x, x->seg[2]);
            else if (cloud_call_method(x, "PATCH"))
                h_device_update(x, x->seg[2]);
            else if (cloud_call_method(x, "DELETE"))
                device_delete(x, x->seg[2]);
            else
                cloud_call_not_allowed(x);
            return;
        }
        if (n == 4 && cloud_call_is(x, 3, "claim")) {
            if (cloud_call_method(x, "POST"))
                h_device_claim(x, x->seg[2]);
            else
                cloud_call_not_allowed(x);
            return;
        }
        if (n == 4 && cloud_call_is(x, 3, "token")) {
            if (cloud_call_method(x, "POST"))
                h_device_token(x, x->seg[2]);
            else
                cloud_call_not_allowed(x);
            return;
        }
        if ((n == 4 || n == 5) && (cloud_call_is(x, 3, "twin") || cloud_call_is(x, 3, "mqtt-credentials"))) {
            cloud_twin_route(x->s->twin, x->c, x->tenant, x->rq, x->seg, n, x->rs);
            return;
        }
        if (n == 4 && cloud_call_is(x, 3, "capabilities")) {
            if (cloud_call_method(x, "POST"))
                h_device_capability(x, x->seg[2]);
            else
                cloud_call_not_allowed(x);
            return;
        }
    }
    cloud_call_fail(x, 404, "no-such-endpoint", "no endpoint %s", x->rq->path);
}

