/* SPDX-License-Identifier: MIT */
/* cloudtwin.c — the device twin in the cloud service: store, MQTT, endpoints (see cloudtwin.h). */
#include "cloudtwin.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "capfile.h"
#include "clouddb.h"
#include "diag.h"
#include "json.h"
#include "mqttbroker.h"
#include "path.h"
#include "twin.h"
#include "twin_devlisten.h"

struct cloud_twin {
    struct clouddb *db; /* the service's store (borrowed) */
    char *data_dir;     /* the service's data folder: DATA/mqtt/passwd */
    cloud_desired_fn desired_for;
    void *desired_ctx;
    cloud_reported_fn reported_sink;
    void *reported_ctx;
    struct mqttbroker *broker; /* NULL with an external broker */
    struct twin *twin;         /* NULL until cloud_twin_mqtt_start */
    char host[64];             /* the broker devices connect to */
    uint16_t port;
    bool tls;                  /* our broker listens with TLS (the service's certificate) */
    pthread_mutex_t passwd_lock; /* one read-modify-write of the password file at a time */
};

int cloud_twin_open(struct clouddb *db, const char *data_dir, struct cloud_twin **out)
{
    *out = NULL;
    struct cloud_twin *ct = calloc(1, sizeof *ct);
    if (!ct)
        return -ENOMEM;
    ct->db = db;
    ct->data_dir = strdup(data_dir);
    if (!ct->data_dir) {
        free(ct);
        return -ENOMEM;
    }
    pthread_mutex_init(&ct->passwd_lock, NULL);
    *out = ct;
    return 0;
}

void cloud_twin_close(struct cloud_twin *ct)
{
    if (!ct)
        return;
    cloud_twin_mqtt_stop(ct);
    pthread_mutex_destroy(&ct->passwd_lock);
    free(ct->data_dir);
    free(ct);
}

#define PARAMS(...) (const char *const[]){__VA_ARGS__}, sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)

/* ---- the store ----------------------------------------------------------------------------- */

static void now_text(char out[24]) { snprintf(out, 24, "%lld", (long long)time(NULL)); }

static int store_desired(struct clouddb_conn *c, const char *id, const char *json)
{
    char now[24];
    now_text(now);
    return clouddb_exec(c,
                        "INSERT INTO device_twin (device_id, desired, desired_updated) VALUES ($1, $2, $3) "
                        "ON CONFLICT (device_id) DO UPDATE SET desired = excluded.desired, desired_updated = excluded.desired_updated",
                        PARAMS(id, json, now), NULL);
}

/* 1 the device is known (to `tenant`, when given), 0 not, or a negative errno. */
static int device_known(struct clouddb_conn *c, const char *id, const char *tenant)
{
    struct clouddb_rows r;
    int err = clouddb_exec(c, "SELECT tenant_id FROM devices WHERE id = $1", PARAMS(id), &r);
    int known = !err && r.nrows == 1 && (!tenant || !strcmp(clouddb_cell(&r, 0, 0), tenant));
    clouddb_rows_free(&r);
    return err ? err : known;
}

static void on_reported(void *ctx, const char *id, const char *json)
{
    struct cloud_twin *ct = ctx;
    struct clouddb *db = ct->db;
    struct clouddb_conn *c = clouddb_acquire(db);
    char now[24];
    now_text(now);
    int known = device_known(c, id, NULL), err = known < 0 ? known : 0;
    if (known == 1)
        err = clouddb_exec(c,
                           "INSERT INTO device_twin (device_id, reported, reported_updated) VALUES ($1, $2, $3) "
                           "ON CONFLICT (device_id) DO UPDATE SET reported = excluded.reported, "
                           "reported_updated = excluded.reported_updated",
                           PARAMS(id, json, now), NULL);
    if (!err && known == 1 && ct->reported_sink)
        ct->reported_sink(ct->reported_ctx, c, id, json);
    if (err)
        fprintf(stderr, "sphere-cloud: twin: cannot store the reported state of device %.16s...: %s\n", id,
                clouddb_last_error(c));
    else if (known == 0)
        fprintf(stderr, "sphere-cloud: twin: ignored the reported state of device %.16s...: not a known device\n", id);
    clouddb_release(db, c);
}

/* After every (re)connection: the broker may have missed desired states (it was down, or is a
 * new one); publish every stored one again. Retained and idempotent, so repeats are harmless. */
static void on_connected(void *ctx, struct twin *t)
{
    struct cloud_twin *ct = ctx;
    struct clouddb *db = ct->db;
    struct clouddb_conn *c = clouddb_acquire(db);
    struct clouddb_rows r;
    int err = clouddb_exec(c, "SELECT device_id, desired FROM device_twin WHERE desired IS NOT NULL", NULL, 0, &r);
    if (err)
        fprintf(stderr, "sphere-cloud: twin: cannot read the desired states to publish: %s\n", clouddb_last_error(c));
    clouddb_release(db, c);
    for (size_t i = 0; !err && i < r.nrows; i++) {
        int perr = twin_publish_desired(t, clouddb_cell(&r, i, 0), clouddb_cell(&r, i, 1));
        if (perr)
            fprintf(stderr, "sphere-cloud: twin: cannot publish the desired state of device %.16s...: %s\n",
                    clouddb_cell(&r, i, 0), strerror(-perr));
    }
    clouddb_rows_free(&r);
}

/* ---- desired state ------------------------------------------------------------------------- */

static void publish(struct cloud_twin *ct, const char *id, const char *json)
{
    if (!ct || !ct->twin)
        return;
    int err = twin_publish_desired(ct->twin, id, json);
    if (err)
        fprintf(stderr, "sphere-cloud: twin: the desired state of device %.16s... is stored but not published (%s); "
                        "it will be on reconnection\n", id, strerror(-err));
}

static _Thread_local struct clouddb_conn *hook_conn;

struct clouddb_conn *cloud_twin_conn(void) { return hook_conn; }

static int set_desired_on(struct cloud_twin *ct, struct clouddb_conn *c, const char *device_id, const char *json)
{
    char why[96];
    if (!twin_valid_device_id(device_id) || (json && twin_check_json(json, strlen(json), why, sizeof why)))
        return -EINVAL;
    int known = device_known(c, device_id, NULL);
    int err = known < 0 ? known : known == 0 ? -ENOENT : store_desired(c, device_id, json);
    if (!err)
        publish(ct, device_id, json);
    return err;
}

int cloud_twin_notify(struct cloud_twin *ct, const char *device_id, const char *json)
{
    return ct && ct->twin ? twin_publish_command(ct->twin, device_id, json) : -ENOTCONN;
}

int cloud_twin_set_desired(struct cloud_twin *ct, const char *device_id, const char *json)
{
    struct clouddb_conn *c = clouddb_acquire(ct->db);
    int err = set_desired_on(ct, c, device_id, json);
    clouddb_release(ct->db, c);
    return err;
}

int cloud_twin_sync_conn(struct cloud_twin *ct, struct clouddb_conn *c, const char *device_id)
{
    if (!twin_valid_device_id(device_id))
        return -EINVAL;
    if (!ct || !ct->desired_for) {
        /* No hook: publish what is stored. */
        struct clouddb_rows r;
        int err = clouddb_exec(c, "SELECT desired FROM device_twin WHERE device_id = $1", PARAMS(device_id), &r);
        if (!err && r.nrows == 1)
            publish(ct, device_id, clouddb_cell(&r, 0, 0));
        clouddb_rows_free(&r);
        return err;
    }
    char *json = NULL;
    struct clouddb_conn *outer = hook_conn;
    hook_conn = c;
    int err = ct->desired_for(ct->desired_ctx, device_id, &json);
    hook_conn = outer;
    if (!err)
        err = set_desired_on(ct, c, device_id, json);
    free(json);
    return err;
}

int cloud_twin_sync(struct cloud_twin *ct, const char *device_id)
{
    struct clouddb_conn *c = clouddb_acquire(ct->db);
    int err = cloud_twin_sync_conn(ct, c, device_id);
    clouddb_release(ct->db, c);
    return err;
}

void cloud_twin_set_desired_source(struct cloud_twin *ct, cloud_desired_fn desired_for, void *ctx)
{
    ct->desired_for = desired_for;
    ct->desired_ctx = ctx;
}

void cloud_twin_set_reported_sink(struct cloud_twin *ct, cloud_reported_fn sink, void *ctx)
{
    ct->reported_sink = sink;
    ct->reported_ctx = ctx;
}

/* ---- MQTT ---------------------------------------------------------------------------------- */

int cloud_twin_mqtt_start(struct cloud_twin *ct, const struct cloud_mqtt_config *cfg, char *why, size_t why_size)
{
    const char *data_dir = ct->data_dir;
    if (ct->twin) {
        snprintf(why, why_size, "MQTT is already started");
        return -EALREADY;
    }
    char *secret = NULL;
    int err = 0;
    if (cfg->broker) {
        err = mqttbroker_parse_addr(cfg->broker, ct->host, &ct->port);
        if (err)
            snprintf(why, why_size, "--mqtt-broker must be HOST:PORT (e.g. 127.0.0.1:1883), not '%s'", cfg->broker);
    } else {
        err = mqttbroker_read_listen(data_dir, ct->host, &ct->port);
        if (err)
            snprintf(why, why_size, "cannot read the broker's listener from %s/mqtt/mosquitto.conf: %s", data_dir,
                     strerror(-err));
    }
    if (!err && (err = mqttbroker_read_secret(data_dir, &secret)) != 0)
        snprintf(why, why_size, "cannot read the service user's password %s/mqtt/service.secret: %s (run 'sphere cloud "
                                "init --data %s')", data_dir, strerror(-err), data_dir);
    ct->tls = !cfg->broker && cfg->tls_cert_file && cfg->tls_key_file;
    if (!err && !cfg->broker)
        err = mqttbroker_start(data_dir, ct->tls ? cfg->tls_cert_file : NULL, ct->tls ? cfg->tls_key_file : NULL,
                               &ct->broker, why, why_size);
    if (!err) {
        struct twin_config tc = {.host = ct->host, .port = ct->port, .username = MQTT_SERVICE_USER, .password = secret,
                                 .tls_pinned_cert_file = ct->tls ? cfg->tls_cert_file : NULL,
                                 .on_reported = on_reported, .on_connected = on_connected, .ctx = ct};
        err = twin_open(&tc, &ct->twin, why, why_size);
    }
    if (secret)
        memset(secret, 0, strlen(secret));
    free(secret);
    if (err) {
        cloud_twin_mqtt_stop(ct);
        return err;
    }
    if (twin_wait_connected(ct->twin, 10000) != 0)
        fprintf(stderr, "sphere-cloud: twin: not connected to the MQTT broker %s:%u after 10 s; still trying\n", ct->host,
                ct->port);
    return 0;
}

void cloud_twin_mqtt_stop(struct cloud_twin *ct)
{
    if (!ct)
        return;
    twin_close(ct->twin);
    ct->twin = NULL;
    mqttbroker_stop(ct->broker);
    ct->broker = NULL;
}

/* ---- endpoints ----------------------------------------------------------------------------- */


static void storage_failed(struct cloud_response *rs, struct clouddb_conn *c, int err)
{
    if (err == -ENOMEM)
        cloud_fail(rs, 500, "out-of-memory", "the service ran out of memory");
    else
        cloud_fail(rs, 500, "storage", "the service's store failed: %s", clouddb_last_error(c));
}

static void reply(struct cloud_response *rs, unsigned status, struct json_value *body)
{
    if (!body) {
        cloud_fail(rs, 500, "out-of-memory", "the service ran out of memory");
        return;
    }
    rs->status = status;
    rs->json = body;
}

static void put(struct json_value *o, const char *key, struct json_value *v)
{
    if (o && v)
        json_object_append(o, key, v);
    else
        json_free(v);
}

static struct json_value *stored_json(const char *text)
{
    struct json_value *v = NULL;
    struct diag_list diags = {0};
    if (!text || json_parse(text, strlen(text), NULL, "stored", &diags, &v) != 0) {
        json_free(v);
        v = json_new_null();
    }
    diag_list_free(&diags);
    return v;
}

static struct json_value *time_json(const char *text) { return text ? json_new_int(strtoll(text, NULL, 10)) : json_new_null(); }

/* The device ID in the path, lower-case, known to the tenant; else a 400/404 in rs. */
static bool find_device(struct cloud_response *rs, struct clouddb_conn *c, const char *tenant, const char *text,
                        char id[DEVICE_ID_HEX + 1])
{
    uint8_t raw[DEVICE_ID_BYTES];
    if (device_id_parse(text, raw) != 0) {
        cloud_fail(rs, 400, "bad-device-id", "'%.40s%s' is not a device ID (128 hex digits)", text, strlen(text) > 40 ? "..." : "");
        return false;
    }
    device_id_format(raw, id);
    for (char *p = id; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    int known = device_known(c, id, tenant);
    if (known < 0)
        storage_failed(rs, c, known);
    else if (!known)
        cloud_fail(rs, 404, "no-such-device", "device %.16s... is not known to this tenant (provision it with POST "
                                        "/v1/devices/{id}/token)", id);
    return known == 1;
}

static void h_twin_show(struct cloud_response *rs, struct clouddb_conn *c, const char *id, bool published, bool with_published)
{
    struct clouddb_rows r;
    int err = clouddb_exec(c, "SELECT desired, reported, desired_updated, reported_updated FROM device_twin WHERE device_id = $1",
                           PARAMS(id), &r);
    if (err) {
        storage_failed(rs, c, err);
        return;
    }
    struct json_value *o = json_new_object();
    put(o, "deviceId", json_new_string(id));
    put(o, "desired", stored_json(clouddb_cell(&r, 0, 0)));
    put(o, "reported", stored_json(clouddb_cell(&r, 0, 1)));
    put(o, "desiredUpdated", time_json(clouddb_cell(&r, 0, 2)));
    put(o, "reportedUpdated", time_json(clouddb_cell(&r, 0, 3)));
    if (with_published)
        put(o, "published", json_new_bool(published));
    clouddb_rows_free(&r);
    reply(rs, 200, o);
}

static void h_desired_put(struct cloud_twin *ct, struct clouddb_conn *c, const struct cloud_request *rq, const char *id,
                          struct cloud_response *rs)
{
    char why[96];
    if (!rq->content_type || strncasecmp(rq->content_type, "application/json", 16) != 0) {
        cloud_fail(rs, 415, "media-type", "this endpoint takes application/json");
        return;
    }
    if (twin_check_json(rq->body, rq->body_len, why, sizeof why) != 0) {
        cloud_fail(rs, 400, "bad-desired", "the desired state must be a JSON object of at most %u bytes; this body is %s",
                   TWIN_MAX_JSON, why);
        return;
    }
    char *json = strndup((const char *)rq->body, rq->body_len);
    if (!json) {
        cloud_fail(rs, 500, "out-of-memory", "the service ran out of memory");
        return;
    }
    int err = store_desired(c, id, json);
    bool published = false;
    if (!err && ct && ct->twin) {
        int perr = twin_publish_desired(ct->twin, id, json);
        published = perr == 0;
        if (perr)
            fprintf(stderr, "sphere-cloud: twin: the desired state of device %.16s... is stored but not published (%s); "
                            "it will be on reconnection\n", id, strerror(-perr));
    }
    free(json);
    if (err) {
        storage_failed(rs, c, err);
        return;
    }
    h_twin_show(rs, c, id, published, true);
}

static void h_credentials(struct cloud_twin *ct, const char *id, struct cloud_response *rs)
{
    if (!ct || !ct->twin) {
        cloud_fail(rs, 409, "mqtt-not-configured", "this service runs without an MQTT broker; run 'sphere cloud init "
                                                   "--data DIR' and restart it");
        return;
    }
    char password[33], *passwd = path_join(ct->data_dir, "mqtt/passwd");
    int err = passwd ? mqttbroker_random_password(password) : -ENOMEM;
    if (!err) {
        pthread_mutex_lock(&ct->passwd_lock);
        err = mqttbroker_set_password(passwd, id, password);
        pthread_mutex_unlock(&ct->passwd_lock);
    }
    if (err) {
        cloud_fail(rs, 500, "mqtt-passwd", "cannot update the broker's password file %s: %s", passwd ? passwd : "", strerror(-err));
        free(passwd);
        return;
    }
    free(passwd);
    int rerr = ct->broker ? mqttbroker_reload(ct->broker) : -ESRCH;
    if (ct->broker && rerr)
        fprintf(stderr, "sphere-cloud: mqtt: cannot make the broker reload its password file: %s\n", strerror(-rerr));
    char topic[sizeof TWIN_TOPIC_PREFIX + DEVICE_ID_HEX + sizeof TWIN_REPORTED_SUFFIX];
    struct json_value *o = json_new_object();
    put(o, "host", json_new_string(ct->host));
    put(o, "port", json_new_int(ct->port));
    put(o, "username", json_new_string(id));
    put(o, "password", json_new_string(password));
    put(o, "clientId", json_new_string(id));
    snprintf(topic, sizeof topic, "%s%s%s", TWIN_TOPIC_PREFIX, id, TWIN_DESIRED_SUFFIX);
    put(o, "desiredTopic", json_new_string(topic));
    snprintf(topic, sizeof topic, "%s%s%s", TWIN_TOPIC_PREFIX, id, TWIN_REPORTED_SUFFIX);
    put(o, "reportedTopic", json_new_string(topic));
    put(o, "tls", json_new_bool(ct->tls)); /* the broker's certificate is the service's (caCertificate of `ota enroll`) */
    uint16_t cert_port = 0; /* the device listener: the device's certificate instead of this password (docs/twin.md) */
    if (ct->broker && ct->tls && twin_devlisten_port(ct->data_dir, &cert_port) == 0)
        put(o, "certificatePort", json_new_int(cert_port));
    put(o, "brokerReloaded", json_new_bool(ct->broker && !rerr));
    if (!ct->broker)
        put(o, "note", json_new_string("the broker is not run by this service: make it reload its password file "
                                       "(e.g. kill -HUP its pid) before the device connects"));
    memset(password, 0, sizeof password);
    reply(rs, 201, o);
}

static bool is_method(const struct cloud_request *rq, const char *m) { return !strcmp(rq->method, m); }

void cloud_twin_route(struct cloud_twin *ct, struct clouddb_conn *c, const char *tenant, const struct cloud_request *rq,
                      const char *const *seg, size_t nseg, struct cloud_response *rs)
{
    /* seg: v1 devices {id} twin [desired] | v1 devices {id} mqtt-credentials */
    bool show = nseg == 4 && !strcmp(seg[3], "twin");
    bool desired = nseg == 5 && !strcmp(seg[3], "twin") && !strcmp(seg[4], "desired");
    bool creds = nseg == 4 && !strcmp(seg[3], "mqtt-credentials");
    if (!show && !desired && !creds) {
        cloud_fail(rs, 404, "no-such-endpoint", "no endpoint %s", rq->path);
        return;
    }
    const char *want = show ? "GET" : desired ? "PUT" : "POST";
    if (!is_method(rq, want)) {
        cloud_fail(rs, 405, "method-not-allowed", "%s is not allowed on %s", rq->method, rq->path);
        return;
    }
    char id[DEVICE_ID_HEX + 1];
    if (!find_device(rs, c, tenant, seg[2], id))
        return;
    if (show) {
        h_twin_show(rs, c, id, false, false);
        return;
    }
    if (desired) {
        h_desired_put(ct, c, rq, id, rs);
        return;
    }
    h_credentials(ct, id, rs);
}

int cloud_twin_forget_device(struct cloud_twin *ct, struct clouddb_conn *c, const char *device_id, bool *reloaded)
{
    *reloaded = false;
    int err = clouddb_exec(c, "DELETE FROM device_twin WHERE device_id = $1", (const char *const[]){device_id}, 1, NULL);
    if (err || !ct)
        return err;
    publish(ct, device_id, NULL); /* clears the retained desired state */
    char *passwd = path_join(ct->data_dir, "mqtt/passwd");
    if (!passwd)
        return -ENOMEM;
    pthread_mutex_lock(&ct->passwd_lock);
    err = mqttbroker_remove_password(passwd, device_id);
    pthread_mutex_unlock(&ct->passwd_lock);
    free(passwd);
    if (!err && ct->broker)
        *reloaded = mqttbroker_reload(ct->broker) == 0;
    return err;
}
