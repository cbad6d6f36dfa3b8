/* SPDX-License-Identifier: MIT */
/*
 * cmd_sim_fleet.c — `sphere sim fleet create|run|show|delete`: a fleet of lightweight simulated
 * devices for load tests and rollout rehearsals (docs/rollouts.md, "Rehearsing"). Not sphered
 * processes: one process, a pool of threads (each with one kept-alive HTTPS connection), and per
 * device only its ID, token, installed set and MCU version in memory. A device speaks the device's
 * side of the cloud API: POST /v1/device/checkin, GET /v1/device/images/{id} (the blob, SHA-256
 * checked), POST /v1/device/report; with --ota instead GET /v1/device/ota, the signed blob URL and
 * POST /v1/device/ota/report (the OTA twin's content over HTTP). A fleet created with --mqtt also
 * has each device's MQTT credentials (POST /v1/devices/{id}/mqtt-credentials) and, while `fleet run`
 * lasts, keeps one MQTT connection per device subscribed to its commands topic, as sphered's cloud
 * agent does: `sphere device update-now` makes the devices it names check in at once.
 *
 * Fault injection, deterministic (a hash of the fleet's seed, the device and the round):
 *   --fail-rate P      that share of devices always fails to install (a "bad hardware batch"):
 *                      it reports "failed" with a reason and keeps its previous images;
 *   --power-cut-rate P each device's update is cut by a power loss mid-download with that
 *                      probability per round: no report, the next round tries again;
 *   --latency D        every request waits D first (e.g. 50ms), as a slow link would.
 *
 * The fleet is kept in $OPENSPHERE_HOME/fleets/NAME.json (mode 0600: device tokens), with the
 * cloud's URL and CA from the user's login. Only that cloud is contacted (the tests: 127.0.0.1).
 * Every loop is bounded: at most 100000 devices, 1000 rounds, 3600 s, 64 threads.
 */
#include <curl/curl.h>
#include <errno.h>
#include <mosquitto.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cmd_cloud.h"
#include "commands.h"
#include "error.h"
#include "hostio.h"
#include "path.h"
#include "simhome.h"
#include "strbuf.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>

#define FLEET_MAX_DEVICES 100000
#define FLEET_MAX_ROUNDS 1000
#define FLEET_MAX_SECONDS 3600
#define FLEET_MAX_THREADS 64
#define FLEET_MAX_IMAGES 8
#define FLEET_MAX_MQTT_DEVICES 10000 /* one connection each: bounded by this and the open-file limit */
#define FLEET_SUBSCRIBE_SECONDS 60   /* how long `fleet run` waits for every device's subscription */

struct sim_device {
    char id[129];
    char token[72];
    unsigned installed_count;
    long long ota_version; /* the external MCU's firmware version (fleets made with --ota) */
    char installed[FLEET_MAX_IMAGES][2][37]; /* component ID, image ID */
    char mqtt_password[40];                  /* fleets made with --mqtt: the device's broker password */
};

struct fleet {
    char *name, *url, *ca, *group;
    unsigned fail_bp, power_cut_bp, latency_ms;
    bool ota;        /* rounds also follow the device's OTA desired state */
    char *tags_json; /* ["productType=P",...] given to each device at create, or NULL */
    char *mqtt_host; /* fleets made with --mqtt: the cloud's broker (its host is on this machine) */
    unsigned mqtt_port;
    bool mqtt_tls;
    size_t count;
    struct sim_device *devices;
};

struct counters {
    atomic_ullong checkins, downloads, reports_ok, reports_failed, power_cuts, errors, up_to_date, no_updates;
    atomic_ullong checkin_ns_total;
    atomic_ullong commanded; /* check-ins made because the cloud said so over MQTT (update-now) */
    atomic_ullong latency_hist[64]; /* check-in latency, bucket = floor(log2(microseconds)) */
};

/* ---- small helpers ------------------------------------------------------------------------- */

static uint64_t mix(const char *a, const char *b, uint64_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *s = a; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    for (const char *s = b; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    h ^= n + 0x9e3779b97f4a7c15ull;
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    return h;
}

/* "2%", "2", "0.5%" as basis points; -1 when malformed or over 100%. */
static long parse_rate(const char *text)
{
    if (!text)
        return 0;
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || (*end && strcmp(end, "%")) || v < 0 || v > 100)
        return -1;
    return (long)(v * 100 + 0.5);
}

/* "50ms", "0.2s", "50" (ms) as milliseconds; -1 when malformed or over 10 s. */
static long parse_latency(const char *text)
{
    if (!text)
        return 0;
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || v < 0)
        return -1;
    if (!strcmp(end, "s"))
        v *= 1000;
    else if (*end && strcmp(end, "ms"))
        return -1;
    return v > 10000 ? -1 : (long)v;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r"); /* not hostio_read_file: /proc files have no size */
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

static char *fleet_path(const char *name)
{
    char *home = simhome_dir(), *dir = home ? path_join(home, "fleets") : NULL, file[512];
    free(home);
    if (!dir)
        return NULL;
    hostio_make_dirs(dir, 0700);
    snprintf(file, sizeof file, "%s.json", name);
    char *p = path_join(dir, file);
    free(dir);
    return p;
}

static bool valid_fleet_name(const char *name)
{
    size_t n = strlen(name);
    if (!n || n > 64 || name[0] == '.')
        return false;
    for (const char *s = name; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

/* ---- HTTP (one kept-alive connection per thread) ------------------------------------------- */

struct conn {
    CURL *curl;
    const struct fleet *f;
    struct strbuf body;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    struct strbuf *sb = ctx;
    return strbuf_append(sb, p, size * n) == 0 ? size * n : 0;
}

/* One request with the device's (or user's) token. 0 and *status, or -EIO. The body is in c->body. */
static int request(struct conn *c, const char *token, const char *method, const char *path, const char *json, long *status)
{
    if (c->f->latency_ms)
        usleep((useconds_t)c->f->latency_ms * 1000);
    char url[1024], auth[128];
    snprintf(url, sizeof url, "%s%s", c->f->url, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    if (json)
        h = curl_slist_append(h, "Content-Type: application/json");
    strbuf_free(&c->body);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(c->curl, CURLOPT_HTTPGET, json ? 0L : 1L);
    if (json) {
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, json);
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
    }
    CURLcode rc = curl_easy_perform(c->curl);
    curl_slist_free_all(h);
    if (rc != CURLE_OK)
        return -EIO;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
    return 0;
}

static int conn_open(struct conn *c, const struct fleet *f)
{
    memset(c, 0, sizeof *c);
    c->f = f;
    c->curl = curl_easy_init();
    if (!c->curl)
        return -ENOMEM;
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &c->body);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "https,http");
    if (f->ca)
        curl_easy_setopt(c->curl, CURLOPT_CAINFO, f->ca);
    return 0;
}

static void conn_close(struct conn *c)
{
    curl_easy_cleanup(c->curl);
    strbuf_free(&c->body);
}

static struct json_value *body_json(const struct conn *c)
{
    struct json_value *v = NULL;
    struct diag_list diags = {0};
    if (c->body.len)
        json_parse(c->body.data, c->body.len, NULL, "answer", &diags, &v);
    diag_list_free(&diags);
    return v;
}

/* ---- the fleet file ------------------------------------------------------------------------- */

static void fleet_free(struct fleet *f)
{
    free(f->name), free(f->url), free(f->ca), free(f->group), free(f->devices), free(f->tags_json), free(f->mqtt_host);
    memset(f, 0, sizeof *f);
}

static const char *jstr(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_STRING ? v->u.string.chars : NULL;
}

static long long jnum(const struct json_value *o, const char *key)
{
    const struct json_value *v = json_object_get(o, key);
    return v && v->type == JSON_NUMBER ? (long long)v->u.number.real : 0;
}

static int fleet_save(const struct fleet *f)
{
    struct json_value *o = json_new_object(), *list = json_new_array();
    json_object_append(o, "name", json_new_string(f->name));
    json_object_append(o, "cloud", json_new_string(f->url));
    json_object_append(o, "ca", f->ca ? json_new_string(f->ca) : json_new_null());
    json_object_append(o, "deviceGroup", json_new_string(f->group));
    json_object_append(o, "failRateBasisPoints", json_new_int(f->fail_bp));
    json_object_append(o, "powerCutRateBasisPoints", json_new_int(f->power_cut_bp));
    json_object_append(o, "latencyMs", json_new_int(f->latency_ms));
    json_object_append(o, "ota", json_new_bool(f->ota));
    if (f->mqtt_host) {
        struct json_value *m = json_new_object();
        json_object_append(m, "host", json_new_string(f->mqtt_host));
        json_object_append(m, "port", json_new_int(f->mqtt_port));
        json_object_append(m, "tls", json_new_bool(f->mqtt_tls));
        json_object_append(o, "mqtt", m);
    }
    for (size_t i = 0; i < f->count; i++) {
        const struct sim_device *d = &f->devices[i];
        struct json_value *dv = json_new_object(), *inst = json_new_array();
        json_object_append(dv, "id", json_new_string(d->id));
        json_object_append(dv, "token", json_new_string(d->token));
        for (unsigned k = 0; k < d->installed_count; k++) {
            struct json_value *x = json_new_object();
            json_object_append(x, "componentId", json_new_string(d->installed[k][0]));
            json_object_append(x, "imageId", json_new_string(d->installed[k][1]));
            json_array_append(inst, x);
        }
        json_object_append(dv, "installed", inst);
        json_object_append(dv, "otaVersion", json_new_int(d->ota_version));
        if (d->mqtt_password[0])
            json_object_append(dv, "mqttPassword", json_new_string(d->mqtt_password));
        json_array_append(list, dv);
    }
    json_object_append(o, "devices", list);
    struct strbuf sb = {0};
    char *p = fleet_path(f->name);
    int err = !o || !p ? -ENOMEM : json_write(o, JSON_COMPACT, &sb);
    err = err ? err : hostio_write_file_atomic(p, sb.data, sb.len, 0600);
    strbuf_free(&sb);
    json_free(o);
    free(p);
    return err;
}

static int fleet_load(const char *name, struct fleet *f)
{
    memset(f, 0, sizeof *f);
    char *p = fleet_path(name), *text = NULL;
    size_t len = 0;
    int err = p ? hostio_read_file(p, &text, &len) : -ENOMEM;
    free(p);
    if (err)
        return err;
    struct json_value *o = NULL;
    struct diag_list diags = {0};
    err = json_parse(text, len, NULL, name, &diags, &o) || !o || o->type != JSON_OBJECT ? -EPROTO : 0;
    diag_list_free(&diags);
    free(text);
    const struct json_value *list = err ? NULL : json_object_get(o, "devices");
    if (!err && (!list || list->type != JSON_ARRAY || list->u.array.count > FLEET_MAX_DEVICES || !jstr(o, "cloud")))
        err = -EPROTO;
    if (!err) {
        f->name = strdup(name);
        f->url = strdup(jstr(o, "cloud"));
        f->ca = jstr(o, "ca") ? strdup(jstr(o, "ca")) : NULL;
        f->group = strdup(jstr(o, "deviceGroup") ? jstr(o, "deviceGroup") : "");
        f->fail_bp = (unsigned)jnum(o, "failRateBasisPoints");
        f->power_cut_bp = (unsigned)jnum(o, "powerCutRateBasisPoints");
        f->latency_ms = (unsigned)jnum(o, "latencyMs");
        const struct json_value *ota = json_object_get(o, "ota");
        f->ota = ota && ota->type == JSON_BOOL && ota->u.boolean;
        const struct json_value *mqtt = json_object_get(o, "mqtt"), *tls = json_object_get(mqtt, "tls");
        if (mqtt && mqtt->type == JSON_OBJECT && jstr(mqtt, "host")) {
            f->mqtt_host = strdup(jstr(mqtt, "host"));
            f->mqtt_port = (unsigned)jnum(mqtt, "port");
            f->mqtt_tls = tls && tls->type == JSON_BOOL && tls->u.boolean;
        }
        f->count = list->u.array.count;
        f->devices = calloc(f->count ? f->count : 1, sizeof *f->devices);
        if (!f->name || !f->url || !f->group || !f->devices)
            err = -ENOMEM;
    }
    for (size_t i = 0; !err && i < f->count; i++) {
        const struct json_value *d = list->u.array.items[i], *inst = json_object_get(d, "installed");
        if (!jstr(d, "id") || !jstr(d, "token")) {
            err = -EPROTO;
            break;
        }
        snprintf(f->devices[i].id, sizeof f->devices[i].id, "%s", jstr(d, "id"));
        snprintf(f->devices[i].token, sizeof f->devices[i].token, "%s", jstr(d, "token"));
        f->devices[i].ota_version = jnum(d, "otaVersion");
        if (jstr(d, "mqttPassword"))
            snprintf(f->devices[i].mqtt_password, sizeof f->devices[i].mqtt_password, "%s", jstr(d, "mqttPassword"));
        for (size_t k = 0; inst && inst->type == JSON_ARRAY && k < inst->u.array.count && k < FLEET_MAX_IMAGES; k++) {
            const struct json_value *x = inst->u.array.items[k];
            snprintf(f->devices[i].installed[k][0], 37, "%s", jstr(x, "componentId") ? jstr(x, "componentId") : "");
            snprintf(f->devices[i].installed[k][1], 37, "%s", jstr(x, "imageId") ? jstr(x, "imageId") : "");
            f->devices[i].installed_count = (unsigned)k + 1;
        }
    }
    json_free(o);
    if (err)
        fleet_free(f);
    return err;
}

/* ---- the thread pool ------------------------------------------------------------------------ */

struct pool {
    struct fleet *f;
    const char *user_token; /* for provisioning */
    unsigned round;
    atomic_size_t next;
    struct counters *k;
    int (*work)(struct pool *p, struct conn *c, size_t i);
    double deadline;
    const size_t *only; /* when set, only these devices (told to check in), only_count of them */
    size_t only_count;
    bool mqtt;             /* provisioning: fetch each device's MQTT credentials too */
    pthread_mutex_t *lock; /* provisioning: guards the fleet's broker fields */
};

/* SIGINT/SIGTERM during `fleet run`: finish the request in flight, save the fleet, report. */
static volatile sig_atomic_t stop_requested;
static void on_stop_signal(int sig) { (void)sig, stop_requested = 1; }

static void *worker(void *arg)
{
    struct pool *p = arg;
    struct conn c;
    if (conn_open(&c, p->f))
        return NULL;
    size_t n = p->only ? p->only_count : p->f->count;
    for (size_t i; (i = atomic_fetch_add(&p->next, 1)) < n && now_s() < p->deadline && !stop_requested;)
        if (p->work(p, &c, p->only ? p->only[i] : i))
            atomic_fetch_add(&p->k->errors, 1);
    conn_close(&c);
    return NULL;
}

static int run_pool(struct pool *p, unsigned threads)
{
    pthread_t t[FLEET_MAX_THREADS];
    unsigned started = 0;
    atomic_store(&p->next, 0);
    for (; started < threads; started++)
        if (pthread_create(&t[started], NULL, worker, p) != 0)
            break;
    for (unsigned i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    return started ? 0 : -EAGAIN;
}

/* ---- provisioning ----------------------------------------------------------------------------- */

static bool local_host(const char *host)
{
    return host && (!strcmp(host, "127.0.0.1") || !strcmp(host, "localhost") || !strcmp(host, "::1"));
}

/* --mqtt: the device's broker password (the answer's user name is its ID), and the broker. A cloud
 * without a broker answers 409 mqtt-not-configured: -ENOTCONN. */
static int fetch_mqtt_credentials(struct pool *p, struct conn *c, struct sim_device *d)
{
    char path[256];
    long status = 0;
    snprintf(path, sizeof path, "/v1/devices/%s/mqtt-credentials", d->id);
    int err = request(c, p->user_token, "POST", path, "{}", &status);
    if (err || status != 201)
        return err ? err : status == 409 ? -ENOTCONN : -EIO;
    struct json_value *j = body_json(c);
    const char *pass = jstr(j, "password"), *host = jstr(j, "host"), *user = jstr(j, "username");
    const struct json_value *tls = json_object_get(j, "tls");
    err = pass && local_host(host) && user && !strcasecmp(user, d->id) && strlen(pass) < sizeof d->mqtt_password ? 0 : -EPROTO;
    if (!err) {
        snprintf(d->mqtt_password, sizeof d->mqtt_password, "%s", pass);
        pthread_mutex_lock(p->lock);
        if (!p->f->mqtt_host) {
            p->f->mqtt_host = strdup(host);
            p->f->mqtt_port = (unsigned)jnum(j, "port");
            p->f->mqtt_tls = tls && tls->type == JSON_BOOL && tls->u.boolean;
        }
        pthread_mutex_unlock(p->lock);
    }
    json_free(j);
    return err;
}

static int provision(struct pool *p, struct conn *c, size_t i)
{
    struct sim_device *d = &p->f->devices[i];
    char path[256];
    long status = 0;
    snprintf(path, sizeof path, "/v1/devices/%s/token", d->id);
    int err = request(c, p->user_token, "POST", path, "{}", &status);
    if (err || (status != 201 && status != 200))
        return -EIO;
    struct json_value *j = body_json(c);
    const char *tok = jstr(j, "token");
    if (tok)
        snprintf(d->token, sizeof d->token, "%s", tok);
    json_free(j);
    if (!tok)
        return -EPROTO;
    struct strbuf body = {0};
    strbuf_puts(&body, "{\"deviceGroup\":");
    json_write_string(p->f->group, &body);
    strbuf_puts(&body, "}");
    snprintf(path, sizeof path, "/v1/devices/%s/claim", d->id);
    err = request(c, p->user_token, "POST", path, strbuf_str(&body), &status);
    strbuf_free(&body);
    if (err || (status != 200 && status != 201))
        return -EIO;
    if (p->f->tags_json) {
        snprintf(path, sizeof path, "/v1/devices/%s", d->id);
        char tags[1200];
        snprintf(tags, sizeof tags, "{\"tags\":%s}", p->f->tags_json);
        err = request(c, p->user_token, "PATCH", path, tags, &status);
        if (err || status != 200)
            return -EIO;
    }
    return p->mqtt ? fetch_mqtt_credentials(p, c, d) : 0;
}

/* ---- one device's round ----------------------------------------------------------------------- */

static char *installed_json(const struct sim_device *d)
{
    struct strbuf sb = {0};
    strbuf_puts(&sb, "{\"installed\":[");
    for (unsigned k = 0; k < d->installed_count; k++)
        strbuf_printf(&sb, "%s{\"componentId\":\"%s\",\"imageId\":\"%s\"}", k ? "," : "", d->installed[k][0], d->installed[k][1]);
    strbuf_puts(&sb, "]");
    return strbuf_detach(&sb);
}

static bool has_image(const struct sim_device *d, const char *image)
{
    for (unsigned k = 0; k < d->installed_count; k++)
        if (!strcasecmp(d->installed[k][1], image))
            return true;
    return false;
}

static void install(struct sim_device *d, const char *component, const char *image)
{
    for (unsigned k = 0; k < d->installed_count; k++)
        if (!strcasecmp(d->installed[k][0], component)) {
            snprintf(d->installed[k][1], 37, "%s", image);
            return;
        }
    if (d->installed_count < FLEET_MAX_IMAGES) {
        snprintf(d->installed[d->installed_count][0], 37, "%s", component);
        snprintf(d->installed[d->installed_count][1], 37, "%s", image);
        d->installed_count++;
    }
}

static int report(struct conn *c, struct sim_device *d, const char *result, const char *detail)
{
    char *inst = installed_json(d);
    struct strbuf body = {0};
    strbuf_printf(&body, "%s,\"result\":\"%s\",\"detail\":", inst ? inst : "{\"installed\":[]", result);
    json_write_string(detail, &body);
    strbuf_puts(&body, "}");
    free(inst);
    long status = 0;
    int err = request(c, d->token, "POST", "/v1/device/report", strbuf_str(&body), &status);
    strbuf_free(&body);
    return err || status != 200 ? -EIO : 0;
}

static bool sha_matches(const struct strbuf *blob, const char *hex)
{
    unsigned char md[32];
    unsigned n = 0;
    char got[65];
    EVP_Digest(blob->data, blob->len, md, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(got + 2 * i, 3, "%02x", md[i]);
    return hex && !strcasecmp(got, hex);
}

static int ota_report(struct conn *c, struct sim_device *d, const char *json)
{
    long status = 0;
    int err = request(c, d->token, "POST", "/v1/device/ota/report", json, &status);
    return err || status != 200 ? -EIO : 0;
}

/* The external MCU's side: GET /v1/device/ota, download a newer version from its signed URL,
 * check its SHA-256, "program" it (or fail, or lose power) and report. */
static int ota_round(struct pool *p, struct conn *c, struct sim_device *d, bool cut, bool bad)
{
    long status = 0;
    int err = request(c, d->token, "GET", "/v1/device/ota", NULL, &status);
    if (err || status != 200)
        return -EIO;
    struct json_value *j = body_json(c);
    long long version = jnum(j, "version");
    const char *url = jstr(j, "url"), *sha = jstr(j, "sha256");
    char *path = url ? strdup(url[0] == '/' ? url : strstr(url, "/blobs/") ? strstr(url, "/blobs/") : url) : NULL;
    char *want = sha ? strdup(sha) : NULL;
    json_free(j);
    if (version <= d->ota_version || !path || !want) {
        free(path), free(want);
        return 0;
    }
    err = request(c, d->token, "GET", path, NULL, &status);
    free(path);
    char body[256];
    if (err || status != 200) {
        free(want);
        return -EIO;
    }
    atomic_fetch_add(&p->k->downloads, 1);
    if (cut) {
        free(want);
        atomic_fetch_add(&p->k->power_cuts, 1);
        return 0;
    }
    bool matches = sha_matches(&c->body, want);
    free(want);
    if (!matches || bad) {
        snprintf(body, sizeof body, "{\"status\":\"error\",\"targetVersion\":%lld,\"error\":\"%s\"}", version,
                 matches ? "simulated programming failure (--fail-rate)" : "the image does not match its SHA-256");
        atomic_fetch_add(&p->k->reports_failed, 1);
        return ota_report(c, d, body);
    }
    d->ota_version = version;
    snprintf(body, sizeof body, "{\"status\":\"applied\",\"targetVersion\":%lld,\"appliedVersion\":%lld}", version, version);
    atomic_fetch_add(&p->k->reports_ok, 1);
    return ota_report(c, d, body);
}

static int device_round(struct pool *p, struct conn *c, size_t i)
{
    struct sim_device *d = &p->f->devices[i];
    struct counters *k = p->k;
    char *inst = installed_json(d);
    struct strbuf body = {0};
    strbuf_printf(&body, "%s}", inst ? inst : "{\"installed\":[]");
    free(inst);
    long status = 0;
    double t0 = now_s();
    int err = request(c, d->token, "POST", "/v1/device/checkin", strbuf_str(&body), &status);
    strbuf_free(&body);
    uint64_t us = (uint64_t)((now_s() - t0) * 1e6);
    atomic_fetch_add(&k->checkin_ns_total, us * 1000);
    unsigned bucket = 0;
    while (bucket < 63 && (2ull << bucket) <= us)
        bucket++;
    atomic_fetch_add(&k->latency_hist[bucket], 1);
    if (err || status != 200)
        return -EIO;
    atomic_fetch_add(&k->checkins, 1);
    struct json_value *j = body_json(c);
    const struct json_value *updates = json_object_get(j, "applicationUpdates"), *targets = json_object_get(j, "targets");
    if (!updates || updates->type != JSON_BOOL || !targets || targets->type != JSON_ARRAY) {
        json_free(j);
        return -EPROTO;
    }
    bool cut = mix(p->f->name, d->id, p->round + 1) % 10000 < p->f->power_cut_bp;
    bool bad = mix(p->f->name, d->id, 0) % 10000 < p->f->fail_bp;
    if (p->f->ota) { /* an OTA fleet: the MCU's firmware is what is rolled out */
        json_free(j);
        return ota_round(p, c, d, cut, bad);
    }
    if (!updates->u.boolean) {
        atomic_fetch_add(&k->no_updates, 1);
        json_free(j);
        return 0;
    }
    bool missing = false;
    for (size_t t = 0; t < targets->u.array.count; t++)
        missing |= !has_image(d, jstr(targets->u.array.items[t], "imageId") ? jstr(targets->u.array.items[t], "imageId") : "");
    if (!missing) {
        atomic_fetch_add(&k->up_to_date, 1);
        json_free(j);
        return report(c, d, "ok", "");
    }
    char detail[256] = "";
    for (size_t t = 0; !err && t < targets->u.array.count; t++) {
        const struct json_value *tg = targets->u.array.items[t];
        const char *image = jstr(tg, "imageId"), *component = jstr(tg, "componentId");
        if (!image || !component || has_image(d, image))
            continue;
        char path[128];
        snprintf(path, sizeof path, "/v1/device/images/%s", image);
        err = request(c, d->token, "GET", path, NULL, &status);
        if (err || status != 200) {
            snprintf(detail, sizeof detail, "download of %s failed (HTTP %ld)", image, status);
            err = err ? err : -EIO;
            break;
        }
        atomic_fetch_add(&k->downloads, 1);
        if (cut) { /* the power went mid-download: the device reboots and reports nothing */
            atomic_fetch_add(&k->power_cuts, 1);
            json_free(j);
            return 0;
        }
        if (!sha_matches(&c->body, jstr(tg, "sha256"))) {
            snprintf(detail, sizeof detail, "image %s does not match its SHA-256", image);
            err = -EBADMSG;
        } else if (bad) {
            snprintf(detail, sizeof detail, "simulated install failure of %s (fleet %s, --fail-rate)", image, p->f->name);
            err = -EIO;
        } else {
            install(d, component, image);
        }
    }
    json_free(j);
    int rep = report(c, d, err ? "failed" : "ok", detail);
    atomic_fetch_add(err ? &k->reports_failed : &k->reports_ok, 1);
    return rep;
}

/* ---- listening for the cloud's commands (--mqtt fleets, `device update-now`) ------------------- */

/* One non-threaded mosquitto client per device, all driven by one thread's poll(): a device told
 * {"command":"checkIn"} on opensphere/devices/<id>/commands is queued (once) for an immediate
 * check-in, which `fleet run` makes between its rounds. */
struct ear {
    struct listener *l;
    size_t i;
};

struct listener {
    struct fleet *f;
    struct mosquitto **m;
    struct ear *ears;
    double *retry_at;      /* when a lost connection is tried again */
    unsigned char *joined; /* subscribed (at least once) */
    atomic_size_t subscribed;
    pthread_mutex_t lock; /* guards the queue */
    size_t *queue, queued;
    unsigned char *in_queue;
    atomic_bool stop;
    pthread_t thread;
    bool running;
    SSL_CTX *tls; /* one TLS context shared by every client (its own per client would cost ~70 KB each) */
};

static void on_ear_connect(struct mosquitto *m, void *ctx, int rc)
{
    struct ear *e = ctx;
    char topic[200];
    snprintf(topic, sizeof topic, "opensphere/devices/%s/commands", e->l->f->devices[e->i].id);
    if (rc == 0)
        mosquitto_subscribe(m, NULL, topic, 1);
}

static void on_ear_subscribe(struct mosquitto *m, void *ctx, int mid, int count, const int *granted)
{
    (void)m, (void)mid;
    struct ear *e = ctx;
    if (count == 1 && granted[0] <= 2 && !e->l->joined[e->i]) { /* 0x80: the broker refused */
        e->l->joined[e->i] = 1;
        atomic_fetch_add(&e->l->subscribed, 1);
    }
}

static void on_ear_message(struct mosquitto *m, void *ctx, const struct mosquitto_message *msg)
{
    (void)m;
    struct ear *e = ctx;
    if (msg->payloadlen <= 0 || msg->payloadlen >= 1024 || !memmem(msg->payload, (size_t)msg->payloadlen, "\"checkIn\"", 9))
        return;
    pthread_mutex_lock(&e->l->lock);
    if (!e->l->in_queue[e->i]) {
        e->l->in_queue[e->i] = 1;
        e->l->queue[e->l->queued++] = e->i;
    }
    pthread_mutex_unlock(&e->l->lock);
}

/* The devices told to check in since the last call (at most f->count), into out; their number. */
static size_t listener_take(struct listener *l, size_t *out)
{
    pthread_mutex_lock(&l->lock);
    size_t n = l->queued;
    memcpy(out, l->queue, n * sizeof *out);
    for (size_t k = 0; k < n; k++)
        l->in_queue[l->queue[k]] = 0;
    l->queued = 0;
    pthread_mutex_unlock(&l->lock);
    return n;
}

static void *listener_loop(void *arg)
{
    struct listener *l = arg;
    size_t n = l->f->count;
    struct pollfd *fds = calloc(n, sizeof *fds);
    size_t *which = calloc(n, sizeof *which);
    while (fds && which && !atomic_load(&l->stop)) {
        size_t nfds = 0;
        double now = now_s();
        for (size_t i = 0; i < n; i++) {
            int sock = mosquitto_socket(l->m[i]);
            if (sock < 0) {
                if (now >= l->retry_at[i]) { /* lost (the broker restarted, ...): again every 2 s */
                    l->retry_at[i] = now + 2;
                    mosquitto_reconnect(l->m[i]);
                }
                continue;
            }
            fds[nfds] = (struct pollfd){.fd = sock, .events = (short)(POLLIN | (mosquitto_want_write(l->m[i]) ? POLLOUT : 0))};
            which[nfds++] = i;
        }
        poll(fds, nfds, 100);
        for (size_t k = 0; k < nfds; k++) {
            struct mosquitto *m = l->m[which[k]];
            int rc = MOSQ_ERR_SUCCESS;
            if (fds[k].revents & (POLLIN | POLLERR | POLLHUP))
                rc = mosquitto_loop_read(m, 1);
            if (rc == MOSQ_ERR_SUCCESS && (fds[k].revents & POLLOUT))
                rc = mosquitto_loop_write(m, 1);
            (void)rc; /* a lost connection closes its socket: the next pass tries again */
        }
        for (size_t i = 0; i < n; i++)
            mosquitto_loop_misc(l->m[i]); /* keep-alive pings */
    }
    free(fds), free(which);
    return NULL;
}

static void listener_free(struct listener *l)
{
    if (l->running) {
        atomic_store(&l->stop, true);
        pthread_join(l->thread, NULL);
    }
    for (size_t i = 0; l->m && i < l->f->count; i++)
        if (l->m[i]) {
            mosquitto_disconnect(l->m[i]);
            mosquitto_destroy(l->m[i]);
        }
    if (l->m)
        pthread_mutex_destroy(&l->lock);
    SSL_CTX_free(l->tls); /* each client held its own reference */
    free(l->m), free(l->ears), free(l->retry_at), free(l->joined), free(l->queue), free(l->in_queue);
    memset(l, 0, sizeof *l);
}

/* Connects every device (user name its ID, client ID <id>.agent as sphered's agent) and starts the
 * loop. 0, or a negative errno with why filled. */
static int listener_start(struct listener *l, struct fleet *f, char *why, size_t why_size)
{
    memset(l, 0, sizeof *l);
    l->f = f;
    size_t n = f->count;
    if (n > FLEET_MAX_MQTT_DEVICES) {
        snprintf(why, why_size, "at most %d devices listen over MQTT, this fleet has %zu", FLEET_MAX_MQTT_DEVICES, n);
        return -E2BIG;
    }
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < n + 256 && lim.rlim_max >= n + 256) {
        lim.rlim_cur = n + 256;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < n + 256) {
        snprintf(why, why_size, "%zu MQTT connections need %zu open files, the limit is %llu", n, n + 256,
                 (unsigned long long)lim.rlim_cur);
        return -EMFILE;
    }
    l->m = calloc(n, sizeof *l->m), l->ears = calloc(n, sizeof *l->ears), l->retry_at = calloc(n, sizeof *l->retry_at);
    l->joined = calloc(n, 1), l->queue = calloc(n, sizeof *l->queue), l->in_queue = calloc(n, 1);
    if (!l->m || !l->ears || !l->retry_at || !l->joined || !l->queue || !l->in_queue) {
        free(l->m), l->m = NULL;
        listener_free(l);
        snprintf(why, why_size, "out of memory");
        return -ENOMEM;
    }
    pthread_mutex_init(&l->lock, NULL);
    mosquitto_lib_init();
    int rc = MOSQ_ERR_SUCCESS;
    if (f->mqtt_tls) { /* the broker's certificate is the cloud's own, pinned: checked against the login's CA, no host name */
        l->tls = SSL_CTX_new(TLS_client_method());
        if (!l->tls || !f->ca || SSL_CTX_load_verify_locations(l->tls, f->ca, NULL) != 1)
            rc = MOSQ_ERR_TLS;
        else
            SSL_CTX_set_verify(l->tls, SSL_VERIFY_PEER, NULL);
        if (l->tls) /* idle connections give back their 2 x 16 KB record buffers */
            SSL_CTX_set_mode(l->tls, SSL_MODE_RELEASE_BUFFERS);
    }
    for (size_t i = 0; i < n && rc == MOSQ_ERR_SUCCESS; i++) {
        char client[160];
        snprintf(client, sizeof client, "%.120s.agent", f->devices[i].id);
        l->ears[i] = (struct ear){.l = l, .i = i};
        l->m[i] = mosquitto_new(client, true, &l->ears[i]);
        rc = !l->m[i] ? MOSQ_ERR_NOMEM : mosquitto_username_pw_set(l->m[i], f->devices[i].id, f->devices[i].mqtt_password);
        if (rc == MOSQ_ERR_SUCCESS && l->tls) {
            rc = mosquitto_int_option(l->m[i], MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
            rc = rc ? rc : mosquitto_void_option(l->m[i], MOSQ_OPT_SSL_CTX, l->tls);
            rc = rc ? rc : mosquitto_tls_insecure_set(l->m[i], true);
        }
        if (rc == MOSQ_ERR_SUCCESS) {
            mosquitto_connect_callback_set(l->m[i], on_ear_connect);
            mosquitto_subscribe_callback_set(l->m[i], on_ear_subscribe);
            mosquitto_message_callback_set(l->m[i], on_ear_message);
            if (mosquitto_connect(l->m[i], f->mqtt_host, (int)f->mqtt_port, 60) != MOSQ_ERR_SUCCESS)
                l->retry_at[i] = now_s() + 1; /* the loop tries again */
        }
    }
    if (rc == MOSQ_ERR_SUCCESS && pthread_create(&l->thread, NULL, listener_loop, l) != 0)
        rc = MOSQ_ERR_NOMEM;
    l->running = rc == MOSQ_ERR_SUCCESS;
    if (rc != MOSQ_ERR_SUCCESS) {
        snprintf(why, why_size, "cannot set up the MQTT clients: %s", mosquitto_strerror(rc));
        listener_free(l);
        return -EIO;
    }
    return 0;
}

/* ---- commands ------------------------------------------------------------------------------ */

static int open_login(struct cloudclient *c)
{
    int rc = cloudcli_open(c);
    if (rc)
        return rc;
    if (strncmp(c->url, "https://127.0.0.1", 17) && strncmp(c->url, "https://localhost", 17) &&
        strncmp(c->url, "https://[::1]", 13) && strncmp(c->url, "http://127.0.0.1", 16)) {
        cloudclient_free(c);
        return cli_error("a simulated fleet only talks to a cloud on this machine (127.0.0.1, localhost, ::1), not %s", c->url);
    }
    return CLI_EXIT_OK;
}

static int run_create(const struct cli_invocation *inv)
{
    const char *name = cli_arg(inv, "NAME"), *count_text = cli_value(inv, "count");
    long fail = parse_rate(cli_value(inv, "fail-rate")), cut = parse_rate(cli_value(inv, "power-cut-rate"));
    long latency = parse_latency(cli_value(inv, "latency"));
    long count = count_text ? strtol(count_text, NULL, 10) : 0, threads = cli_value(inv, "threads") ? strtol(cli_value(inv, "threads"), NULL, 10) : 8;
    if (!valid_fleet_name(name))
        return cli_usage_error(inv, "NAME '%s' must be 1-64 letters, digits, '-', '_' or '.'", name);
    if (count < 1 || count > FLEET_MAX_DEVICES)
        return cli_usage_error(inv, "--count must be 1 to %d, not '%s'", FLEET_MAX_DEVICES, count_text ? count_text : "");
    if (fail < 0 || cut < 0)
        return cli_usage_error(inv, "--fail-rate and --power-cut-rate are percentages from 0 to 100, e.g. 2%%");
    if (latency < 0)
        return cli_usage_error(inv, "--latency is a delay of at most 10 s, e.g. 50ms, not '%s'", cli_value(inv, "latency"));
    if (threads < 1 || threads > FLEET_MAX_THREADS)
        return cli_usage_error(inv, "--threads must be 1 to %d", FLEET_MAX_THREADS);
    struct cloudclient c;
    int rc = open_login(&c);
    if (rc)
        return rc;
    struct fleet f = {.name = strdup(name), .url = strdup(c.url), .ca = c.ca_file ? strdup(c.ca_file) : NULL,
                      .group = strdup(cli_value(inv, "device-group")), .fail_bp = (unsigned)fail, .power_cut_bp = (unsigned)cut,
                      .latency_ms = (unsigned)latency, .count = (size_t)count};
    f.devices = calloc((size_t)count, sizeof *f.devices);
    f.ota = cli_flag(inv, "ota");
    bool mqtt = cli_flag(inv, "mqtt");
    size_t ntags = 0;
    const char *const *tags = cli_values(inv, "tag", &ntags);
    if (ntags) {
        struct strbuf sb = {0};
        strbuf_putc(&sb, '[');
        for (size_t t = 0; t < ntags && t < 8; t++) {
            if (t)
                strbuf_putc(&sb, ',');
            json_write_string(tags[t], &sb);
        }
        strbuf_putc(&sb, ']');
        f.tags_json = strbuf_detach(&sb);
    }
    if (!f.name || !f.url || !f.group || !f.devices) {
        fleet_free(&f);
        cloudclient_free(&c);
        return cli_error("out of memory");
    }
    for (size_t i = 0; i < f.count; i++) { /* deterministic IDs: the same NAME gives the same fleet */
        for (int w = 0; w < 8; w++)
            snprintf(f.devices[i].id + 16 * w, 17, "%016llx", (unsigned long long)mix(name, "device", i * 8 + (uint64_t)w));
    }
    struct counters k = {0};
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    struct pool p = {.f = &f, .user_token = c.token, .k = &k, .work = provision, .deadline = now_s() + FLEET_MAX_SECONDS,
                     .mqtt = mqtt, .lock = &lock};
    double t0 = now_s();
    rc = run_pool(&p, (unsigned)threads) ? cli_error("cannot start threads") : CLI_EXIT_OK;
    double took = now_s() - t0;
    if (!rc && atomic_load(&k.errors))
        rc = cli_error("%llu of %zu devices could not be provisioned and claimed in %s (is the group right?%s)",
                       (unsigned long long)atomic_load(&k.errors), f.count, f.group,
                       mqtt ? " with --mqtt the cloud needs its MQTT broker: sphere cloud init" : "");
    int err = rc ? 0 : fleet_save(&f);
    if (err)
        rc = cli_error("cannot save the fleet: %s", os_strerror(err));
    if (!rc) {
        if (inv->output == CLI_OUTPUT_JSON)
            printf("{\"name\":\"%s\",\"devices\":%zu,\"seconds\":%.3f,\"mqtt\":%s}\n", name, f.count, took, mqtt ? "true" : "false");
        else
            printf("Fleet '%s': %zu simulated devices claimed in %s in %.1f s (fail rate %.2f%%, power cuts %.2f%%, latency %u ms).\n",
                   name, f.count, f.group, took, f.fail_bp / 100.0, f.power_cut_bp / 100.0, f.latency_ms);
    }
    fleet_free(&f);
    cloudclient_free(&c);
    return rc;
}

/* The status of a rollout ("active", ...), or NULL. */
static char *rollout_status(struct cloudclient *c, const char *id)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/rollouts/%s", id);
    struct cloudresp resp;
    char why[256];
    if (cloudclient_request(c, "GET", path, NULL, NULL, 0, &resp, why, sizeof why))
        return NULL;
    const char *s = resp.status == 200 ? jstr(resp.json, "status") : NULL;
    char *copy = s ? strdup(s) : NULL;
    cloudresp_free(&resp);
    return copy;
}

/* Between rounds (until `until`, the run's deadline or a signal): the devices the cloud tells to
 * check in do so at once, in batches, and the fleet is saved after each batch. */
static void listen_between_rounds(struct pool *p, struct listener *l, size_t *batch, double until, unsigned threads,
                                  unsigned *batches)
{
    while (now_s() < until && now_s() < p->deadline && !stop_requested) {
        size_t n = listener_take(l, batch);
        if (!n) {
            usleep(50 * 1000);
            continue;
        }
        unsigned round = p->round;
        p->only = batch, p->only_count = n;
        p->round = FLEET_MAX_ROUNDS + (*batches)++; /* its own power-cut draw */
        run_pool(p, threads);
        p->only = NULL, p->round = round;
        atomic_fetch_add(&p->k->commanded, n);
        fleet_save(p->f);
    }
}

/* Starts listening when the fleet has MQTT credentials and waits (bounded) until every device is
 * subscribed, so no command sent after this returns is missed. 0, or an error already printed. */
static int start_listening(struct fleet *f, struct listener *l, bool *listening)
{
    *listening = false;
    size_t with = 0;
    for (size_t i = 0; i < f->count; i++)
        with += f->devices[i].mqtt_password[0] != 0;
    if (!f->mqtt_host || with != f->count)
        return 0;
    char why[256];
    if (listener_start(l, f, why, sizeof why))
        return cli_error("cannot listen for the cloud's commands: %s", why);
    *listening = true;
    double give_up = now_s() + FLEET_SUBSCRIBE_SECONDS;
    while (atomic_load(&l->subscribed) < f->count && now_s() < give_up && !stop_requested)
        usleep(50 * 1000);
    size_t got = atomic_load(&l->subscribed);
    fprintf(stderr, "Fleet '%s': %zu of %zu devices listen for the cloud's commands over MQTT (%s:%u).\n", f->name, got,
            f->count, f->mqtt_host, f->mqtt_port);
    return 0;
}

static int run_run(const struct cli_invocation *inv)
{
    const char *name = cli_arg(inv, "NAME"), *until = cli_value(inv, "until-rollout-rests");
    long rounds = cli_value(inv, "rounds") ? strtol(cli_value(inv, "rounds"), NULL, 10) : 1;
    long seconds = cli_value(inv, "duration") ? strtol(cli_value(inv, "duration"), NULL, 10) : 600;
    long threads = cli_value(inv, "threads") ? strtol(cli_value(inv, "threads"), NULL, 10) : 8;
    long interval = cli_value(inv, "interval") ? strtol(cli_value(inv, "interval"), NULL, 10) : 0;
    if (rounds < 1 || rounds > FLEET_MAX_ROUNDS)
        return cli_usage_error(inv, "--rounds must be 1 to %d", FLEET_MAX_ROUNDS);
    if (interval < 0 || interval > FLEET_MAX_SECONDS || (cli_value(inv, "interval") && !interval))
        return cli_usage_error(inv, "--interval must be 1 to %d seconds", FLEET_MAX_SECONDS);
    if (seconds < 1 || seconds > FLEET_MAX_SECONDS)
        return cli_usage_error(inv, "--duration must be 1 to %d seconds", FLEET_MAX_SECONDS);
    if (threads < 1 || threads > FLEET_MAX_THREADS)
        return cli_usage_error(inv, "--threads must be 1 to %d", FLEET_MAX_THREADS);
    struct cloudclient user = {0};
    if (until) {
        int rc = open_login(&user);
        if (rc)
            return rc;
    }
    long rss0 = rss_kib();
    struct fleet f;
    int err = fleet_load(name, &f);
    if (err) {
        cloudclient_free(&user);
        return cli_error("cannot read fleet '%s': %s (create it with 'sphere sim fleet create')", name, os_strerror(err));
    }
    long rss1 = rss_kib();
    stop_requested = 0;
    struct sigaction sa = {.sa_handler = on_stop_signal}, old_int, old_term;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    struct listener l;
    bool listening = false;
    size_t *batch = calloc(f.count ? f.count : 1, sizeof *batch);
    int rc = batch ? start_listening(&f, &l, &listening) : cli_error("out of memory");
    if (rc) {
        free(batch);
        fleet_free(&f);
        cloudclient_free(&user);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        return rc;
    }
    struct counters k = {0};
    double t0 = now_s();
    struct pool p = {.f = &f, .k = &k, .work = device_round, .deadline = t0 + (double)seconds};
    long done = 0;
    unsigned batches = 0;
    char *last = NULL;
    for (; done < rounds && now_s() < p.deadline && !stop_requested; done++) {
        double slot_end = now_s() + (double)interval;
        p.round = (unsigned)done;
        if (run_pool(&p, (unsigned)threads)) {
            err = -EAGAIN;
            break;
        }
        if (until) {
            free(last);
            last = rollout_status(&user, until);
            if (last && strcmp(last, "active")) {
                done++;
                break;
            }
        }
        if (interval && listening) {
            fleet_save(&f);
            listen_between_rounds(&p, &l, batch, slot_end, (unsigned)threads, &batches);
        } else {
            while (now_s() < slot_end && now_s() < p.deadline && !stop_requested)
                usleep(50 * 1000);
        }
    }
    if (listening)
        listener_free(&l);
    free(batch);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    double took = now_s() - t0;
    int save = fleet_save(&f);
    unsigned long long n = atomic_load(&k.checkins), total = 0, p50 = 0, p99 = 0, seen = 0;
    for (int b = 0; b < 64; b++)
        total += atomic_load(&k.latency_hist[b]);
    for (int b = 0; b < 64; b++) {
        seen += atomic_load(&k.latency_hist[b]);
        if (!p50 && seen * 2 >= total)
            p50 = 2ull << b;
        if (!p99 && seen * 100 >= total * 99)
            p99 = 2ull << b;
    }
    double per_device = f.count ? (double)(rss1 - rss0) * 1024.0 / (double)f.count : 0;
    if (inv->output == CLI_OUTPUT_JSON)
        printf("{\"fleet\":\"%s\",\"devices\":%zu,\"rounds\":%ld,\"seconds\":%.3f,\"checkIns\":%llu,\"checkInsPerSecond\":%.1f,"
               "\"checkInMeanMs\":%.3f,\"checkInP50MsUpTo\":%.3f,\"checkInP99MsUpTo\":%.3f,\"downloads\":%llu,\"reportsOk\":%llu,"
               "\"reportsFailed\":%llu,\"upToDate\":%llu,\"noUpdates\":%llu,\"powerCuts\":%llu,\"errors\":%llu,"
               "\"checkInsOnCommand\":%llu,\"bytesPerDevice\":%.0f,\"stateBytesPerDevice\":%zu,\"rollout\":%s%s%s}\n",
               name, f.count, done, took, n, took > 0 ? (double)n / took : 0, n ? atomic_load(&k.checkin_ns_total) / 1e6 / (double)n : 0,
               p50 / 1000.0, p99 / 1000.0, (unsigned long long)atomic_load(&k.downloads), (unsigned long long)atomic_load(&k.reports_ok),
               (unsigned long long)atomic_load(&k.reports_failed), (unsigned long long)atomic_load(&k.up_to_date),
               (unsigned long long)atomic_load(&k.no_updates), (unsigned long long)atomic_load(&k.power_cuts),
               (unsigned long long)atomic_load(&k.errors), (unsigned long long)atomic_load(&k.commanded), per_device,
               sizeof(struct sim_device), last ? "\"" : "", last ? last : "null", last ? "\"" : "");
    else
        printf("Fleet '%s': %ld round(s) of %zu devices in %.1f s: %llu check-ins (%.0f/s, mean %.1f ms), %llu downloads, "
               "%llu ok, %llu failed, %llu up to date, %llu power cuts, %llu errors, %llu check-ins on command%s%s.\n",
               name, done, f.count, took, n, took > 0 ? (double)n / took : 0, n ? atomic_load(&k.checkin_ns_total) / 1e6 / (double)n : 0,
               (unsigned long long)atomic_load(&k.downloads), (unsigned long long)atomic_load(&k.reports_ok),
               (unsigned long long)atomic_load(&k.reports_failed), (unsigned long long)atomic_load(&k.up_to_date),
               (unsigned long long)atomic_load(&k.power_cuts), (unsigned long long)atomic_load(&k.errors),
               (unsigned long long)atomic_load(&k.commanded), last ? "; rollout " : "", last ? last : "");
    free(last);
    fleet_free(&f);
    cloudclient_free(&user);
    if (save)
        return cli_error("cannot save the fleet's installed images: %s", os_strerror(save));
    return err ? cli_error("cannot start threads") : CLI_EXIT_OK;
}

static int run_delete(const struct cli_invocation *inv)
{
    char *p = fleet_path(cli_arg(inv, "NAME"));
    int rc = p && unlink(p) == 0 ? CLI_EXIT_OK : cli_error("no fleet '%s'", cli_arg(inv, "NAME"));
    free(p);
    return rc;
}

#define END {NULL, 0, NULL, false, false, NULL}
static const struct cli_option create_options[] = {
    {"count", 'n', "N", false, true, "How many simulated devices (1 to 100000)."},
    {"device-group", 'g', "GROUP", false, true, "The group they are claimed into (ID or PRODUCT/GROUP)."},
    {"fail-rate", 0, "PERCENT", false, false, "Share of devices whose installs always fail (e.g. 2%)."},
    {"power-cut-rate", 0, "PERCENT", false, false, "Chance per round that a device's download is cut by a power loss."},
    {"latency", 0, "DELAY", false, false, "Delay before each request, e.g. 50ms."},
    {"threads", 't', "N", false, false, "Parallel connections (default 8, at most 64)."},
    {"tag", 0, "TAG", true, false, "Tags each device gets (e.g. productType=Widget, deviceGroup=FieldTest for OTA)."},
    {"ota", 0, NULL, false, false, "The devices have an external MCU: rounds follow its OTA desired state instead of apps."},
    {"mqtt", 0, NULL, false, false, "Give each device MQTT credentials: during 'fleet run' it listens for 'device update-now'."},
    END};
static const struct cli_option run_options[] = {
    {"rounds", 'r', "N", false, false, "Check-in rounds (default 1, at most 1000): every device once per round."},
    {"duration", 0, "SECONDS", false, false, "Stop after this long (default 600, at most 3600)."},
    {"threads", 't', "N", false, false, "Parallel connections (default 8, at most 64)."},
    {"until-rollout-rests", 0, "ROLLOUT", false, false, "Stop after the round in which this rollout stops being active."},
    {"interval", 'i', "SECONDS", false, false, "Give each round this long (at most 3600): between rounds --mqtt devices "
                                                 "check in when the cloud tells them (update-now)."},
    END};
static const struct cli_option no_options[] = {END};
static const struct cli_command create = {
    .name = "create", .summary = "Provision and claim NAME: a fleet of lightweight simulated devices.", .options = create_options,
    .positionals = CLI_POSITIONALS({"NAME", false}), .prints_data = true, .run = run_create};
static const struct cli_command run = {
    .name = "run", .summary = "Check the fleet in: download, install (or fail, or lose power), report.", .options = run_options,
    .positionals = CLI_POSITIONALS({"NAME", false}), .prints_data = true, .run = run_run};
static const struct cli_command delete_cmd = {.name = "delete", .summary = "Forget a fleet (its devices stay in the cloud).",
                                              .options = no_options, .positionals = CLI_POSITIONALS({"NAME", false}),
                                              .run = run_delete};
static const struct cli_command *const fleet_commands[] = {&create, &run, &delete_cmd, NULL};
const struct cli_command cmd_sim_fleet = {.name = "fleet", .summary = "Fleets of lightweight simulated devices (load, rehearsals).",
                                          .subcommands = fleet_commands};
