/* SPDX-License-Identifier: MIT */
/* cloudagent.c — the device's cloud update agent (see cloudagent.h). */
#include "cloudagent.h"

#include <errno.h>
#include <mosquitto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "guid.h"
#include "hostio.h"
#include "imgpkg.h"
#include "path.h"

struct cloudagent {
    struct device *device;
    struct cloudclient client;
    unsigned interval;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop, now;
    struct mosquitto *mqtt; /* the commands topic (update-now), when cloud/mqtt.json exists */
    char commands_topic[200];
};

/* An application the device has installed (from its installed.json). */
struct have {
    char component_id[37];
    char image_id[37];
    bool production;
};

static char *cloud_file(const char *state_dir, const char *name)
{
    char *dir = path_join(state_dir, "cloud"), *p = dir ? path_join(dir, name) : NULL;
    free(dir);
    return p;
}

static struct json_value *read_json_file(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    struct json_value *v = NULL;
    struct diag_list diags = {0};
    if (path && hostio_read_file(path, &text, &len) == 0 && json_parse(text, len, NULL, path, &diags, &v) != 0)
        v = NULL;
    diag_list_free(&diags);
    free(text);
    return v;
}

static const char *str(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_STRING ? v->u.string.chars : NULL;
}

static int write_json_file(const char *path, const struct json_value *v, unsigned mode)
{
    struct strbuf sb = {0};
    int err = !path || !v ? -ENOMEM : json_write(v, JSON_PRETTY, &sb);
    err = err ? err : strbuf_putc(&sb, '\n');
    err = err ? err : hostio_write_file_atomic(path, sb.data, sb.len, mode);
    strbuf_free(&sb);
    return err;
}

int cloudagent_configure(const char *state_dir, const char *url, const char *token, const char *ca_file)
{
    char *dir = path_join(state_dir, "cloud"), *cfg = cloud_file(state_dir, "cloud.json"), *ca = cloud_file(state_dir, "ca.pem");
    char *pem = NULL;
    size_t len = 0;
    int err = dir && cfg && ca ? hostio_make_dirs(dir, 0700) : -ENOMEM;
    if (!err && ca_file && (err = hostio_read_file(ca_file, &pem, &len)) == 0)
        err = hostio_write_file_atomic(ca, pem, len, 0644);
    struct json_value *o = json_new_object();
    if (o) {
        json_object_append(o, "url", json_new_string(url));
        json_object_append(o, "token", json_new_string(token));
    }
    err = err ? err : write_json_file(cfg, o, 0600);
    json_free(o);
    free(pem), free(dir), free(cfg), free(ca);
    return err;
}

char *cloudagent_stored_url(const char *state_dir)
{
    char *cfg = cloud_file(state_dir, "cloud.json");
    struct json_value *j = read_json_file(cfg);
    char *url = str(j, "url") ? strdup(str(j, "url")) : NULL;
    json_free(j);
    free(cfg);
    return url;
}

/* The installed applications, from the device's committed state. Call with the device locked. */
static struct have *installed(struct device *d, size_t *n)
{
    char *p = path_join(device_state_dir(d), "installed.json");
    struct json_value *j = read_json_file(p);
    free(p);
    const struct json_value *list = json_object_get(j, "images");
    size_t count = list && list->type == JSON_ARRAY ? list->u.array.count : 0;
    struct have *h = calloc(count + 1, sizeof *h);
    *n = 0;
    for (size_t i = 0; h && i < count; i++) {
        const struct json_value *e = list->u.array.items[i], *type = json_object_get(e, "imageType");
        const char *cid = str(e, "componentId"), *iid = str(e, "imageId"), *signer = str(e, "signer");
        if (!cid || !iid || !type || type->type != JSON_NUMBER || type->u.number.integer != 10 || strlen(cid) != 36 ||
            strlen(iid) != 36)
            continue;
        strcpy(h[*n].component_id, cid);
        strcpy(h[*n].image_id, iid);
        h[*n].production = signer && !strcmp(signer, "production");
        (*n)++;
    }
    json_free(j);
    return h;
}

static struct json_value *report_body(struct device *d, const char *result, const char *detail)
{
    struct json_value *o = json_new_object(), *list = json_new_array();
    size_t n = 0;
    device_lock(d);
    struct have *h = installed(d, &n);
    bool dev = device_in_development(d);
    device_unlock(d);
    for (size_t i = 0; h && list && i < n; i++) {
        struct json_value *e = json_new_object();
        json_object_append(e, "componentId", json_new_string(h[i].component_id));
        json_object_append(e, "imageId", json_new_string(h[i].image_id));
        json_array_append(list, e);
    }
    free(h);
    if (!o) {
        json_free(list);
        return NULL;
    }
    json_object_append(o, "installed", list);
    json_object_append(o, "appDevelopment", json_new_bool(dev));
    if (result) {
        json_object_append(o, "result", json_new_string(result));
        json_object_append(o, "detail", json_new_string(detail));
    }
    return o;
}

static int post_json(const struct cloudclient *c, const char *path, struct json_value *body, struct cloudresp *resp,
                     char *why, size_t why_size)
{
    struct strbuf sb = {0};
    int err = body ? json_write(body, JSON_COMPACT, &sb) : -ENOMEM;
    json_free(body);
    err = err ? err : cloudclient_request(c, "POST", path, "application/json", sb.data, sb.len, resp, why, why_size);
    strbuf_free(&sb);
    if (!err && resp->status != 200) {
        snprintf(why, why_size, "the cloud refused %s (HTTP %ld): %s", path, resp->status, cloudresp_message(resp));
        cloudresp_free(resp);
        err = resp->status == 401 || resp->status == 403 ? -EACCES : -EPROTO;
    }
    return err;
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
    uint8_t md[32];
    unsigned n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
}

/* Downloads one target and installs it. Problems go to detail (appended). */
static bool install_target(struct device *d, const struct cloudclient *c, const struct json_value *t, struct strbuf *detail)
{
    const char *iid = str(t, "imageId"), *sha = str(t, "sha256");
    char path[128], why[512] = "", got[65];
    snprintf(path, sizeof path, "/v1/device/images/%s", iid);
    struct cloudresp resp;
    int err = cloudclient_request(c, "GET", path, NULL, NULL, 0, &resp, why, sizeof why);
    if (!err && resp.status != 200)
        snprintf(why, sizeof why, "HTTP %ld: %s", resp.status, cloudresp_message(&resp));
    if (err || resp.status != 200) {
        strbuf_printf(detail, "%simage %s: download failed: %s", detail->len ? "; " : "", iid, why);
        if (!err)
            cloudresp_free(&resp);
        return false;
    }
    device_fault_point("cloud:after-download");
    sha256_hex(resp.body.data, resp.body.len, got);
    bool ok = false;
    struct imgpkg_metadata meta;
    size_t body = 0;
    char meta_iid[GUID_TEXT_LEN + 1] = "", meta_cid[GUID_TEXT_LEN + 1] = "";
    if (imgpkg_parse_metadata((const uint8_t *)resp.body.data, resp.body.len, &meta, &body, NULL) == 0) {
        guid_format(&meta.image_id, meta_iid);
        guid_format(&meta.component_id, meta_cid);
    }
    if (strcmp(got, sha)) {
        strbuf_printf(detail, "%simage %s: the download does not match its SHA-256", detail->len ? "; " : "", iid);
    } else if (strcasecmp(meta_iid, iid) || strcasecmp(meta_cid, str(t, "componentId"))) {
        strbuf_printf(detail, "%simage %s: refused, the download is not the targeted image (it is %s)", detail->len ? "; " : "",
                      iid, meta_iid[0] ? meta_iid : "malformed");
    } else {
        const struct auth cloud_auth = {.before_device_complete = true};
        struct device_result r = {0};
        device_lock(d);
        enum signer signer = device_image_signer(d, (const uint8_t *)resp.body.data, resp.body.len);
        if (signer != SIGNER_PRODUCTION) {
            strbuf_printf(detail, "%simage %s: refused, it is %s", detail->len ? "; " : "", iid,
                          signer == SIGNER_SDK ? "SDK-signed (the cloud only delivers production-signed images)"
                                               : "not signed by a key this device trusts");
        } else {
            device_stage(d, &cloud_auth, (const uint8_t *)resp.body.data, resp.body.len, &r);
            if (!r.err)
                device_install(d, &cloud_auth, false, false, &r);
            if (r.err)
                strbuf_printf(detail, "%simage %s: install refused: %s (%s)", detail->len ? "; " : "", iid,
                              deverr_info(r.err)->message, r.detail);
            ok = !r.err;
        }
        device_unlock(d);
        device_result_free(&r);
    }
    cloudresp_free(&resp);
    return ok;
}

static bool targeted(const struct json_value *targets, const char *component_id)
{
    for (size_t i = 0; i < targets->u.array.count; i++)
        if (!strcasecmp(str(targets->u.array.items[i], "componentId") ? str(targets->u.array.items[i], "componentId") : "",
                        component_id))
            return true;
    return false;
}

static bool have_image(const struct have *h, size_t n, const char *image_id)
{
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(h[i].image_id, image_id) && h[i].production)
            return true;
    return false;
}

/* Removes applications the target set no longer lists. */
static bool remove_untargeted(struct device *d, const struct json_value *targets, struct strbuf *detail)
{
    const struct auth cloud_auth = {.app_development = true};
    bool ok = true;
    size_t n = 0;
    device_lock(d);
    struct have *h = installed(d, &n);
    for (size_t i = 0; h && i < n; i++) {
        if (targeted(targets, h[i].component_id))
            continue;
        struct device_result r = {0};
        device_delete_image(d, &cloud_auth, h[i].component_id, &r);
        if (r.err) {
            strbuf_printf(detail, "%scannot remove %s: %s", detail->len ? "; " : "", h[i].component_id, r.detail);
            ok = false;
        }
        device_result_free(&r);
    }
    device_unlock(d);
    free(h);
    return ok;
}

static void write_status(struct device *d, long checkins, const char *result, const char *detail, const struct json_value *ci)
{
    char *p = cloud_file(device_state_dir(d), "status.json");
    struct json_value *o = json_new_object();
    if (o) {
        json_object_append(o, "checkIns", json_new_int(checkins));
        json_object_append(o, "result", json_new_string(result));
        json_object_append(o, "detail", json_new_string(detail));
        json_object_append(o, "at", json_new_int((int64_t)time(NULL)));
        const struct json_value *g = json_object_get(ci, "deviceGroup"), *u = json_object_get(ci, "applicationUpdates");
        json_object_append(o, "deviceGroup", g ? json_clone(g) : json_new_null());
        json_object_append(o, "applicationUpdates", u ? json_clone(u) : json_new_bool(false));
    }
    write_json_file(p, o, 0644);
    json_free(o);
    free(p);
}

static long status_checkins(struct device *d)
{
    char *p = cloud_file(device_state_dir(d), "status.json");
    struct json_value *j = read_json_file(p);
    const struct json_value *n = json_object_get(j, "checkIns");
    long v = n && n->type == JSON_NUMBER ? (long)n->u.number.integer : 0;
    json_free(j);
    free(p);
    return v;
}

int cloudagent_checkin(struct device *d, const struct cloudclient *c, char *why, size_t why_size)
{
    struct cloudresp resp;
    long count = status_checkins(d) + 1;
    int err = post_json(c, "/v1/device/checkin", report_body(d, NULL, NULL), &resp, why, why_size);
    if (err) {
        write_status(d, count, "unreachable", why, NULL);
        return err;
    }
    device_fault_point("cloud:after-checkin");
    const struct json_value *updates = json_object_get(resp.json, "applicationUpdates"),
                            *targets = json_object_get(resp.json, "targets");
    if (!updates || updates->type != JSON_BOOL || !targets || targets->type != JSON_ARRAY) {
        snprintf(why, why_size, "the cloud's check-in answer is malformed");
        write_status(d, count, "failed", why, NULL);
        cloudresp_free(&resp);
        return -EPROTO;
    }
    if (!updates->u.boolean) {
        write_status(d, count, "no-updates", "the device's group takes no application updates (or it has appDevelopment)",
                     resp.json);
        cloudresp_free(&resp);
        return 0;
    }
    struct strbuf detail = {0};
    bool ok = true;
    size_t n = 0;
    device_lock(d);
    struct have *h = installed(d, &n);
    device_unlock(d);
    for (size_t i = 0; i < targets->u.array.count; i++) {
        const struct json_value *t = targets->u.array.items[i];
        if (!str(t, "imageId") || !str(t, "sha256") || !str(t, "componentId")) {
            strbuf_printf(&detail, "%starget %zu is malformed", detail.len ? "; " : "", i);
            ok = false;
        } else if (!have_image(h, n, str(t, "imageId"))) {
            ok &= install_target(d, c, t, &detail);
        }
    }
    free(h);
    device_fault_point("cloud:after-install");
    ok &= remove_untargeted(d, targets, &detail);
    device_fault_point("cloud:after-remove");
    const char *result = ok ? "ok" : "failed";
    struct cloudresp rep;
    err = post_json(c, "/v1/device/report", report_body(d, result, strbuf_str(&detail)), &rep, why, why_size);
    if (!err)
        cloudresp_free(&rep);
    write_status(d, count, result, strbuf_str(&detail), resp.json);
    strbuf_free(&detail);
    cloudresp_free(&resp);
    return err;
}

/* ---- the thread --------------------------------------------------------------------------- */

static void *run(void *arg)
{
    struct cloudagent *a = arg;
    pthread_mutex_lock(&a->lock);
    while (!a->stop) {
        a->now = false;
        pthread_mutex_unlock(&a->lock);
        char why[512] = "";
        if (cloudagent_checkin(a->device, &a->client, why, sizeof why) != 0)
            fprintf(stderr, "sphered: cloud check-in: %s\n", why);
        pthread_mutex_lock(&a->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += a->interval;
        while (!a->stop && !a->now)
            if (pthread_cond_timedwait(&a->wake, &a->lock, &until) == ETIMEDOUT)
                break;
    }
    pthread_mutex_unlock(&a->lock);
    return NULL;
}

/* ---- commands over MQTT (update-now, docs/rollouts.md) ----------------------------------------- */

static void on_mqtt_connect(struct mosquitto *m, void *ctx, int rc)
{
    struct cloudagent *a = ctx;
    if (rc == 0)
        mosquitto_subscribe(m, NULL, a->commands_topic, 1);
}

static void on_mqtt_message(struct mosquitto *m, void *ctx, const struct mosquitto_message *msg)
{
    (void)m;
    struct cloudagent *a = ctx;
    /* The only command is {"command":"checkIn"}; anything on the topic means "check in now". */
    if (msg->payloadlen > 0 && msg->payloadlen < 1024 && memmem(msg->payload, (size_t)msg->payloadlen, "\"checkIn\"", 9)) {
        fprintf(stderr, "sphered: the cloud asked for a check-in now\n");
        cloudagent_check_now(a);
    }
}

static pthread_once_t mqtt_once = PTHREAD_ONCE_INIT;
static void mqtt_lib_init(void) { mosquitto_lib_init(); }

/* Logs in to the broker on a->mqtt: with the device certificate (deviceauth.pem, its CN — the
 * upper-case device ID — the user name) on the device listener when mqtt.json names one
 * ("certificatePort") and the device has its certificate, else with mqtt.json's user name and
 * password (the fallback); sets the commands topic and *port accordingly. */
static int mqtt_login(struct cloudagent *a, const struct json_value *j, const char *ca, int *port)
{
    const char *user = str(j, "username"), *pass = str(j, "password");
    const struct json_value *tls = json_object_get(j, "tls"), *cert_port = json_object_get(j, "certificatePort");
    bool with_tls = tls && tls->type == JSON_BOOL && tls->u.boolean;
    bool with_cert = with_tls && a->client.cert_file && cert_port && cert_port->type == JSON_NUMBER;
    const char *id = with_cert ? device_id_text(a->device) : user;
    char client[160];
    snprintf(client, sizeof client, "%.120s.agent", id); /* not the OTA agent's client ID */
    snprintf(a->commands_topic, sizeof a->commands_topic, "opensphere/devices/%.128s/commands", id);
    a->mqtt = mosquitto_new(client, true, a);
    int rc = !a->mqtt ? MOSQ_ERR_NOMEM : with_cert ? MOSQ_ERR_SUCCESS : mosquitto_username_pw_set(a->mqtt, user, pass);
    if (rc == MOSQ_ERR_SUCCESS && with_tls) {
        rc = mosquitto_tls_set(a->mqtt, ca, NULL, with_cert ? a->client.cert_file : NULL,
                               with_cert ? a->client.cert_file : NULL, NULL);
        if (rc == MOSQ_ERR_SUCCESS) /* the broker's certificate is the pinned cloud certificate itself */
            rc = mosquitto_tls_insecure_set(a->mqtt, true);
    }
    *port = with_cert ? (int)cert_port->u.number.real : (int)json_object_get(j, "port")->u.number.real;
    fprintf(stderr, "sphered: update-now commands: logging in to the cloud's MQTT broker with %s\n",
            with_cert ? "the device certificate" : "the device password");
    return rc;
}

/* Listens on the device's commands topic with cloud/mqtt.json's broker (host, port, username,
 * password, tls[, certificatePort]; the broker's certificate is cloud/ca.pem). No file: nothing to do. */
static void start_commands(struct cloudagent *a, const char *dir)
{
    char *file = cloud_file(dir, "mqtt.json"), *ca = cloud_file(dir, "ca.pem");
    struct json_value *j = file ? read_json_file(file) : NULL;
    const char *host = str(j, "host"), *user = str(j, "username"), *pass = str(j, "password");
    const struct json_value *port = json_object_get(j, "port");
    if (host && user && pass && port && port->type == JSON_NUMBER) {
        pthread_once(&mqtt_once, mqtt_lib_init);
        int to_port = 0;
        int rc = mqtt_login(a, j, ca, &to_port);
        if (rc == MOSQ_ERR_SUCCESS) {
            mosquitto_connect_callback_set(a->mqtt, on_mqtt_connect);
            mosquitto_message_callback_set(a->mqtt, on_mqtt_message);
            mosquitto_reconnect_delay_set(a->mqtt, 1, 10, true);
            int crc = mosquitto_connect_async(a->mqtt, host, to_port, 30);
            if (crc != MOSQ_ERR_SUCCESS)
                fprintf(stderr, "sphered: the cloud's MQTT broker %s is not reachable yet (%s); retrying\n", host,
                        mosquitto_strerror(crc));
            rc = mosquitto_loop_start(a->mqtt);
        }
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "sphered: no update-now commands: %s\n", mosquitto_strerror(rc));
            mosquitto_destroy(a->mqtt);
            a->mqtt = NULL;
        }
    }
    json_free(j);
    free(file), free(ca);
}

static void stop_commands(struct cloudagent *a)
{
    if (!a->mqtt)
        return;
    mosquitto_disconnect(a->mqtt);
    mosquitto_loop_stop(a->mqtt, true);
    mosquitto_destroy(a->mqtt);
    a->mqtt = NULL;
}

int cloudagent_start(struct device *d, const char *url, unsigned interval_seconds, struct cloudagent **out, char *why,
                     size_t why_size)
{
    const char *dir = device_state_dir(d);
    char *cfg = cloud_file(dir, "cloud.json"), *ca = cloud_file(dir, "ca.pem");
    struct json_value *j = read_json_file(cfg);
    const char *stored = str(j, "url"), *token = str(j, "token");
    int err = 0;
    if (!token || (!url && !stored)) {
        snprintf(why, why_size, "%s has no cloud URL and device token (create the device with 'sphere sim create --cloud URL')",
                 cfg ? cfg : dir);
        err = -ENOENT;
    }
    struct cloudagent *a = err ? NULL : calloc(1, sizeof *a);
    if (!err && !a)
        err = -ENOMEM;
    if (!err) {
        a->device = d;
        a->interval = interval_seconds ? interval_seconds : 60;
        a->client.url = strdup(url ? url : stored);
        a->client.token = strdup(token);
        a->client.ca_file = ca;
        /* The device certificate goes with the token: a cloud that trusts the device CA checks
         * that both name this device (docs/security.md, "Device certificates"). */
        a->client.cert_file = path_join(dir, "deviceauth.pem");
        if (a->client.cert_file && access(a->client.cert_file, R_OK) != 0) {
            free(a->client.cert_file);
            a->client.cert_file = NULL;
        }
        a->client.timeout = 30;
        ca = NULL;
        size_t n = strlen(a->client.url);
        while (n && a->client.url[n - 1] == '/')
            a->client.url[--n] = '\0';
        pthread_mutex_init(&a->lock, NULL);
        pthread_cond_init(&a->wake, NULL);
        start_commands(a, dir);
        if (pthread_create(&a->thread, NULL, run, a) != 0) {
            stop_commands(a);
            snprintf(why, why_size, "cannot start the cloud agent's thread");
            cloudclient_free(&a->client);
            free(a);
            a = NULL;
            err = -EAGAIN;
        }
    }
    json_free(j);
    free(cfg), free(ca);
    *out = a;
    return err;
}

void cloudagent_check_now(struct cloudagent *a)
{
    pthread_mutex_lock(&a->lock);
    a->now = true;
    pthread_cond_signal(&a->wake);
    pthread_mutex_unlock(&a->lock);
}

void cloudagent_stop(struct cloudagent *a)
{
    if (!a)
        return;
    stop_commands(a); /* first: its thread calls cloudagent_check_now */
    pthread_mutex_lock(&a->lock);
    a->stop = true;
    pthread_cond_signal(&a->wake);
    pthread_mutex_unlock(&a->lock);
    pthread_join(a->thread, NULL);
    pthread_mutex_destroy(&a->lock);
    pthread_cond_destroy(&a->wake);
    cloudclient_free(&a->client);
    free(a);
}
