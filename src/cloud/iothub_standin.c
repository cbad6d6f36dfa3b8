/* SPDX-License-Identifier: MIT */
/*
 * iothub_standin.c — the IoT Hub and DPS stand-in's service side (iothub_standin.h): the MQTT handlers, the twin
 * store, telemetry for monitor-events, methods and C2D. One lock serialises twin changes (so
 * desired versions go out in order) and guards the event ring and the method calls.
 */
#include <ctype.h>
#include <errno.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clouddb.h"
#include "iot_codec.h"
#include "iothub_standin.h"
#include "json.h"
#include "mqtt_loop.h"
#include "mqttbroker.h"
#include "twin.h"

#define ID_MAX 128

struct method_call {
    struct method_call *next;
    char device[ID_MAX + 1];
    char rid[24];
    int status;
    char *payload;
    /* told the outcome once, under the lock, then the call is freed (iothub_invoke_async) */
    iothub_method_done *on_done;
    void *on_done_cls;
    uint64_t op;
    struct timespec deadline; /* CLOCK_MONOTONIC */
    char method[IOTHUB_METHOD_MAX + 1];
    unsigned timeout_s;
};

/* A parked event poll (iothub_events_async), answered on the next matching event or at its
 * deadline. */
struct event_wait {
    struct event_wait *next;
    char device[ID_MAX + 1]; /* lower case; "" for every device */
    uint64_t after, op;
    size_t max, n;
    struct strbuf out; /* the answer so far: "[" and n events */
    struct timespec deadline;
    iothub_events_done *done;
    void *cls;
};

struct ring_event {
    uint64_t seq;
    char device[ID_MAX + 1];
    char *json;
};

struct iothub {
    struct clouddb *db;
    char host[256];
    struct mosquitto *m;
    struct mqtt_loop *loop;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool connected;
    struct ring_event ring[IOTHUB_RING];
    uint64_t next_seq; /* the sequence number of the next event; the first is 1 */
    struct method_call *calls;
    struct event_wait *event_waits;
    uint64_t next_rid, next_op;
    /* the expiry thread: ends waiting asynchronous method calls at their deadline */
    pthread_t expiry;
    bool expiry_started, stopping;
    pthread_cond_t expiry_changed;
};

/* Device IDs: the store, the ring and the operator's API use lower case; the wire uses the
 * device certificate's CN, which for simulated devices is the upper-case ID (docs/iot.md). */
static bool valid_id(const char *id)
{
    size_t n = strspn(id, "0123456789abcdefABCDEF");
    return n == DEVICE_ID_HEX && id[n] == '\0';
}

static void cased(const char *id, char out[ID_MAX + 1], int (*conv)(int))
{
    size_t i = 0;
    for (; id[i] && i < ID_MAX; i++)
        out[i] = (char)conv((unsigned char)id[i]);
    out[i] = '\0';
}

const char *iothub_host(const struct iothub *h)
{
    return h->host;
}

/* ---- the store -------------------------------------------------------------------------------- */

#define TABLE_SQL                                                                                                     \
    "CREATE TABLE IF NOT EXISTS iot_twins (device_id TEXT PRIMARY KEY, desired TEXT NOT NULL, desired_version BIGINT " \
    "NOT NULL, reported TEXT NOT NULL, reported_version BIGINT NOT NULL)"

struct twin_row {
    char *desired, *reported;
    long dv, rv;
};

static void twin_row_free(struct twin_row *t)
{
    free(t->desired), free(t->reported);
    memset(t, 0, sizeof *t);
}

/* The stored twin of the device, or a fresh one ({} at version 1 each). */
static int load_twin(struct clouddb_conn *c, const char *id, struct twin_row *t)
{
    struct clouddb_rows r;
    const char *params[] = {id};
    int err = clouddb_exec(c, "SELECT desired, desired_version, reported, reported_version FROM iot_twins WHERE device_id = $1",
                           params, 1, &r);
    if (err)
        return err;
    bool found = r.nrows == 1;
    t->desired = strdup(found ? clouddb_cell(&r, 0, 0) : "{}");
    t->dv = found ? atol(clouddb_cell(&r, 0, 1)) : 1;
    t->reported = strdup(found ? clouddb_cell(&r, 0, 2) : "{}");
    t->rv = found ? atol(clouddb_cell(&r, 0, 3)) : 1;
    clouddb_rows_free(&r);
    if (!t->desired || !t->reported) {
        twin_row_free(t);
        return -ENOMEM;
    }
    return 0;
}

static int save_twin(struct clouddb_conn *c, const char *id, const struct twin_row *t)
{
    char dv[24], rv[24];
    snprintf(dv, sizeof dv, "%ld", t->dv);
    snprintf(rv, sizeof rv, "%ld", t->rv);
    const char *params[] = {id, t->desired, dv, t->reported, rv};
    return clouddb_exec(c,
                        "INSERT INTO iot_twins (device_id, desired, desired_version, reported, reported_version) "
                        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (device_id) DO UPDATE SET desired = $2, "
                        "desired_version = $3, reported = $4, reported_version = $5",
                        params, 5, NULL);
}

/* ---- publishing ------------------------------------------------------------------------------ */

/* To one device: `topic` in IoT Hub's form, sent on the internal per-device form ($iothub/<ID>/…,
 * $dps/<ID>/…), which the broker plugin turns back into IoT Hub's form for that device's
 * connection only (src/iothubplugin). devices/<ID>/… topics go out as they are. */
static int publish(struct iothub *h, const char *device, const char *topic, const void *payload, size_t len, int qos)
{
    char wire[IOT_MAX_TOPIC + ID_MAX + 8], upper[ID_MAX + 1];
    cased(device, upper, toupper);
    if (iot_topic_scope(topic, upper, wire, sizeof wire) != 0)
        return -EINVAL;
    int rc = mosquitto_publish(h->m, NULL, wire, (int)len, payload, qos, false);
    return rc == MOSQ_ERR_SUCCESS ? 0 : rc == MOSQ_ERR_NO_CONN ? -ENOTCONN : -EIO;
}

static void reply_status(struct iothub *h, const char *device, const char *prefix, int status, const char *query,
                         const char *body)
{
    char topic[512];
    snprintf(topic, sizeof topic, "%s%d/%s", prefix, status, query);
    publish(h, device, topic, body, body ? strlen(body) : 0, 0);
}

/* ---- device → service ------------------------------------------------------------------------- */

static void on_twin_get(struct iothub *h, const char *device, long rid)
{
    char query[64];
    snprintf(query, sizeof query, "?$rid=%ld", rid);
    struct twin_row t = {0};
    struct strbuf doc = {0};
    pthread_mutex_lock(&h->lock);
    struct clouddb_conn *c = clouddb_acquire(h->db);
    int err = load_twin(c, device, &t);
    clouddb_release(h->db, c);
    err = err ? err : iothub_device_document(t.desired, t.dv, t.reported, t.rv, &doc);
    if (err)
        reply_status(h, device, "$iothub/twin/res/", 500, query, "{\"message\":\"storage\"}");
    else
        reply_status(h, device, "$iothub/twin/res/", 200, query, strbuf_str(&doc));
    pthread_mutex_unlock(&h->lock);
    strbuf_free(&doc);
    twin_row_free(&t);
}

static void on_twin_reported(struct iothub *h, const char *device, long rid, const void *payload, size_t len)
{
    char query[96];
    struct twin_row t = {0};
    char *merged = NULL;
    pthread_mutex_lock(&h->lock);
    struct clouddb_conn *c = clouddb_acquire(h->db);
    int err = load_twin(c, device, &t);
    int status = err ? 500 : 204;
    if (!err && len > TWIN_MAX_JSON)
        status = 413;
    else if (!err && iothub_apply_patch(t.reported, payload, len, &merged) != 0)
        status = 400;
    if (status == 204) {
        free(t.reported);
        t.reported = merged, merged = NULL;
        t.rv++;
        if (save_twin(c, device, &t) != 0)
            status = 500;
    }
    clouddb_release(h->db, c);
    snprintf(query, sizeof query, "?$rid=%ld&$version=%ld", rid, t.rv);
    reply_status(h, device, "$iothub/twin/res/", status, status == 204 ? query : query, NULL);
    pthread_mutex_unlock(&h->lock);
    free(merged);
    twin_row_free(&t);
}

/* ---- the event ring and polls answered later -------------------------------------------- */

/* Where a reader of the ring stands: `after` moved to the oldest event still held when it
 * fell behind, and to the newest when it asks from the future ("from now"). Under the lock. */
static uint64_t ring_position(const struct iothub *h, uint64_t after)
{
    uint64_t oldest = h->next_seq > IOTHUB_RING ? h->next_seq - IOTHUB_RING : 1;
    if (after >= h->next_seq)
        after = h->next_seq - 1;
    if (after + 1 < oldest)
        after = oldest - 1;
    return after;
}

/* Appends the events of device_id (NULL: all) after *after, at most max, to out (elements of a
 * JSON array, *n counts them) and moves *after past what it looked at. Under the lock. */
static int collect_events(const struct iothub *h, const char *device_id, uint64_t *after, size_t max, struct strbuf *out,
                          size_t *n)
{
    int err = 0;
    for (uint64_t s = *after + 1; !err && s < h->next_seq && *n < max; s++) {
        const struct ring_event *e = &h->ring[s % IOTHUB_RING];
        *after = s;
        if (device_id && strcmp(e->device, device_id))
            continue;
        err = (*n ? strbuf_puts(out, ",") : 0) || strbuf_puts(out, e->json) ? -ENOMEM : 0;
        (*n)++;
    }
    return err;
}

/* After a wait with nothing for the reader, what arrived for others is skipped: *after moves to
 * the last event before the first one of device_id. Under the lock. */
static void skip_others(const struct iothub *h, const char *device_id, uint64_t *after)
{
    for (uint64_t s = *after + 1; s < h->next_seq; s++) {
        if (!device_id || !strcmp(h->ring[s % IOTHUB_RING].device, device_id))
            break;
        *after = s;
    }
}

/* Ends a parked poll with what it has (its array closed), under the lock, and frees it. */
static void finish_event_wait(struct iothub *h, struct event_wait *w, int err)
{
    for (struct event_wait **p = &h->event_waits; *p; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            break;
        }
    if (!err && !w->n)
        skip_others(h, w->device[0] ? w->device : NULL, &w->after);
    err = err ? err : strbuf_puts(&w->out, "]") ? -ENOMEM : 0;
    w->done(w->cls, err, err ? NULL : w->out.data, w->after);
    strbuf_free(&w->out);
    free(w);
}

/* A new event is in the ring: parked polls that want it are answered. Under the lock. */
static void wake_event_waits(struct iothub *h)
{
    for (struct event_wait *w = h->event_waits, *next; w; w = next) {
        next = w->next;
        int err = collect_events(h, w->device[0] ? w->device : NULL, &w->after, w->max, &w->out, &w->n);
        if (err || w->n)
            finish_event_wait(h, w, err);
    }
}

/* ---- method calls answered later ---------------------------------------------------------- */

static void unlink_call(struct iothub *h, struct method_call *m)
{
    for (struct method_call **p = &h->calls; *p; p = &(*p)->next)
        if (*p == m) {
            *p = m->next;
            return;
        }
}

/* An asynchronous call is over (err 0: answered; else -ETIMEDOUT or -ESHUTDOWN): tells its
 * owner, under the lock (so a cancel that finds it gone knows the owner was told), and frees it. */
static void finish_call(struct iothub *h, struct method_call *m, int err)
{
    unlink_call(h, m);
    char *payload = m->payload;
    m->payload = NULL;
    m->on_done(m->on_done_cls, err, m->status, err ? NULL : payload, m->method, m->timeout_s);
    if (err)
        free(payload);
    free(m);
}

static bool before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The expiry thread: sleeps until the earliest deadline of an asynchronous call (or a change),
 * ends the calls whose deadline passed with -ETIMEDOUT. */
static void *expire_calls(void *arg)
{
    struct iothub *h = arg;
    pthread_mutex_lock(&h->lock);
    while (!h->stopping) {
        struct timespec now, earliest = {0, 0};
        bool any = false;
        clock_gettime(CLOCK_MONOTONIC, &now);
        for (struct method_call *m = h->calls, *next; m; m = next) {
            next = m->next;
            if (!before(&now, &m->deadline))
                finish_call(h, m, -ETIMEDOUT);
            else if (!any || before(&m->deadline, &earliest))
                earliest = m->deadline, any = true;
        }
        for (struct event_wait *w = h->event_waits, *next; w; w = next) {
            next = w->next;
            if (!before(&now, &w->deadline))
                finish_event_wait(h, w, 0);
            else if (!any || before(&w->deadline, &earliest))
                earliest = w->deadline, any = true;
        }
        if (any)
            pthread_cond_timedwait(&h->expiry_changed, &h->lock, &earliest);
        else
            pthread_cond_wait(&h->expiry_changed, &h->lock);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

static void on_method_response(struct iothub *h, const char *device, const char *topic, const void *payload, size_t len)
{
    int status = 0;
    const char *rid = strstr(topic, "$rid=");
    if (iot_topic_status(topic, "$iothub/methods/res/", &status) != 0 || !rid)
        return;
    rid += 5;
    pthread_mutex_lock(&h->lock);
    for (struct method_call *m = h->calls; m; m = m->next) {
        if (strcmp(m->device, device) || strncmp(m->rid, rid, strlen(m->rid)) || rid[strlen(m->rid)] != '\0')
            continue;
        m->status = status;
        m->payload = strndup(payload, len);
        finish_call(h, m, 0);
        break;
    }
    pthread_mutex_unlock(&h->lock);
}

static void on_telemetry(struct iothub *h, const char *device, const char *bag, const void *payload, size_t len)
{
    struct strbuf sb = {0};
    pthread_mutex_lock(&h->lock);
    uint64_t seq = h->next_seq;
    if (iothub_event_json(seq, device, bag, payload, len, time(NULL), &sb) == 0) {
        struct ring_event *e = &h->ring[seq % IOTHUB_RING];
        free(e->json);
        e->seq = seq;
        snprintf(e->device, sizeof e->device, "%s", device);
        e->json = strbuf_detach(&sb);
        h->next_seq++;
        wake_event_waits(h);
    } else {
        fprintf(stderr, "sphere-cloud: iot: dropped a telemetry message of device %.16s...: malformed properties\n", device);
    }
    pthread_mutex_unlock(&h->lock);
    strbuf_free(&sb);
}

static void on_dps(struct iothub *h, const char *device, const char *topic, const void *payload, size_t len)
{
    long rid = iot_topic_number(topic, "$rid=");
    char query[64], body[1024];
    if (rid < 0)
        return;
    snprintf(query, sizeof query, "?$rid=%ld&retry-after=1", rid);
    if (!strncmp(topic, "$dps/registrations/PUT/iotdps-register/", 39)) {
        /* The registration ID in the body must be the certificate's (the broker's user name). */
        char want[ID_MAX + 32], *body_lower = malloc(len + 1);
        snprintf(want, sizeof want, "\"registrationid\":\"%s\"", device);
        for (size_t i = 0; body_lower && i < len; i++)
            body_lower[i] = (char)tolower(((const unsigned char *)payload)[i]);
        bool same = body_lower && memmem(body_lower, len, want, strlen(want));
        free(body_lower);
        if (!same) {
            reply_status(h, device, "$dps/registrations/res/", 401, query,
                         "{\"errorCode\":401002,\"message\":\"the registration ID is not the certificate's\"}");
            return;
        }
        pthread_mutex_lock(&h->lock);
        unsigned long long op = ++h->next_op;
        pthread_mutex_unlock(&h->lock);
        snprintf(body, sizeof body, "{\"operationId\":\"4.%.16s.%llu\",\"status\":\"assigning\"}", device, op);
        reply_status(h, device, "$dps/registrations/res/", 202, query, body);
        return;
    }
    if (!strncmp(topic, "$dps/registrations/GET/iotdps-get-operationstatus/", 50)) {
        const char *op = strstr(topic, "operationId=");
        char prefix[32], upper[ID_MAX + 1];
        cased(device, upper, toupper);
        snprintf(prefix, sizeof prefix, "4.%.16s.", device);
        if (!op || strncmp(op + 12, prefix, strlen(prefix))) {
            reply_status(h, device, "$dps/registrations/res/", 404, query,
                         "{\"errorCode\":404201,\"message\":\"no such operation\"}");
            return;
        }
        size_t oplen = strcspn(op + 12, "&");
        snprintf(body, sizeof body,
                 "{\"operationId\":\"%.*s\",\"status\":\"assigned\",\"registrationState\":{\"registrationId\":\"%s\","
                 "\"assignedHub\":\"%s\",\"deviceId\":\"%s\",\"status\":\"assigned\",\"substatus\":\"initialAssignment\"}}",
                 (int)(oplen < 64 ? oplen : 64), op + 12, upper, h->host, upper);
        reply_status(h, device, "$dps/registrations/res/", 200, query, body);
    }
}

/* "$iothub/<id>/…" or "$dps/<id>/…" (the broker plugin put the sender's certificate CN there) → id
 * and the IoT Hub topic; "devices/<id>/…" → id. */
static int split_device(const char *wire, char id[ID_MAX + 1], char *topic, size_t cap)
{
    const char *p = !strncmp(wire, "$iothub/", 8) ? wire + 8 : !strncmp(wire, "$dps/", 5) ? wire + 5
                    : !strncmp(wire, "devices/", 8) ? wire + 8 : NULL;
    size_t n = p ? strcspn(p, "/") : 0;
    if (!p || n == 0 || n > ID_MAX || p[n] != '/')
        return -EINVAL;
    memcpy(id, p, n);
    id[n] = '\0';
    return iot_topic_unscope(wire, id, topic, cap);
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg)
{
    struct iothub *h = obj;
    char id[ID_MAX + 1], topic[IOT_MAX_TOPIC];
    char wire_id[ID_MAX + 1];
    if (split_device(msg->topic, wire_id, topic, sizeof topic) != 0 || !valid_id(wire_id))
        return;
    cased(wire_id, id, tolower);
    size_t len = (size_t)(msg->payloadlen > 0 ? msg->payloadlen : 0);
    if (!strncmp(topic, "$iothub/twin/GET/", 17)) {
        long rid = iot_topic_number(topic, "$rid=");
        if (rid >= 0)
            on_twin_get(h, id, rid);
    } else if (!strncmp(topic, "$iothub/twin/PATCH/properties/reported/", 39)) {
        long rid = iot_topic_number(topic, "$rid=");
        if (rid >= 0)
            on_twin_reported(h, id, rid, msg->payload, len);
    } else if (!strncmp(topic, "$iothub/methods/res/", 20)) {
        on_method_response(h, id, topic, msg->payload, len);
    } else if (!strncmp(topic, "$dps/", 5)) {
        on_dps(h, id, topic, msg->payload, len);
    } else {
        char prefix[ID_MAX + 32];
        snprintf(prefix, sizeof prefix, "devices/%s/messages/events/", wire_id);
        if (!strncmp(topic, prefix, strlen(prefix)))
            on_telemetry(h, id, topic + strlen(prefix), msg->payload, len);
    }
}

static void on_connect(struct mosquitto *m, void *obj, int rc)
{
    struct iothub *h = obj;
    if (rc != 0) {
        fprintf(stderr, "sphere-cloud: iot: the broker refused the service: %s\n", mosquitto_connack_string(rc));
        return;
    }
    char *const filters[] = {"devices/+/messages/events/#", "$iothub/+/twin/GET/#", "$iothub/+/twin/PATCH/properties/reported/#",
                             "$iothub/+/methods/res/#", "$dps/+/registrations/PUT/#", "$dps/+/registrations/GET/#"};
    mosquitto_subscribe_multiple(m, NULL, (int)(sizeof filters / sizeof filters[0]), filters, 1, 0, NULL);
    pthread_mutex_lock(&h->lock);
    h->connected = true;
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->lock);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc)
{
    struct iothub *h = obj;
    pthread_mutex_lock(&h->lock);
    h->connected = false;
    pthread_mutex_unlock(&h->lock);
}

/* ---- life ------------------------------------------------------------------------------------ */

int iothub_start(struct clouddb *db, const char *data_dir, const char *tls_cert_file, const char *hub_host,
                 struct iothub **out, char *why, size_t why_size)
{
    *out = NULL;
    struct clouddb_conn *c = clouddb_acquire(db);
    int err = clouddb_exec(c, TABLE_SQL, NULL, 0, NULL);
    if (err)
        snprintf(why, why_size, "cannot create the table iot_twins: %s", clouddb_last_error(c));
    clouddb_release(db, c);
    if (err)
        return err;
    struct iothub *h = calloc(1, sizeof *h);
    if (!h)
        return -ENOMEM;
    h->db = db;
    h->next_seq = 1;
    snprintf(h->host, sizeof h->host, "%s", hub_host);
    pthread_mutex_init(&h->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->changed, &ca);
    pthread_cond_init(&h->expiry_changed, &ca);
    pthread_condattr_destroy(&ca);
    h->expiry_started = pthread_create(&h->expiry, NULL, expire_calls, h) == 0;
    if (!h->expiry_started) {
        snprintf(why, why_size, "cannot start the IoT Hub stand-in's method-call timer thread");
        iothub_stop(h);
        return -EAGAIN;
    }
    char broker[64], *secret = NULL;
    uint16_t port = 0;
    err = mqttbroker_read_listen(data_dir, broker, &port);
    err = err ? err : mqttbroker_read_secret(data_dir, &secret);
    if (err) {
        snprintf(why, why_size, "cannot read the broker's address and the service's secret in %s/mqtt: %s", data_dir,
                 strerror(-err));
        iothub_stop(h);
        return err;
    }
    mosquitto_lib_init();
    h->m = mosquitto_new("opensphere-cloud-iothub", true, h);
    int rc = h->m ? mosquitto_username_pw_set(h->m, MQTT_SERVICE_USER, secret) : MOSQ_ERR_NOMEM;
    free(secret);
    if (rc == MOSQ_ERR_SUCCESS && tls_cert_file) {
        rc = mosquitto_tls_set(h->m, tls_cert_file, NULL, NULL, NULL, NULL);
        if (rc == MOSQ_ERR_SUCCESS) /* the broker is our own child, serving exactly this certificate */
            rc = mosquitto_tls_insecure_set(h->m, true);
    }
    if (rc == MOSQ_ERR_SUCCESS) {
        mosquitto_connect_callback_set(h->m, on_connect);
        mosquitto_disconnect_callback_set(h->m, on_disconnect);
        mosquitto_message_callback_set(h->m, on_message);
        mosquitto_reconnect_delay_set(h->m, 1, 10, true);
        mosquitto_connect_async(h->m, broker, port, 30); /* a failure is retried by the loop */
        err = mqtt_loop_start(h->m, &h->loop);
    } else {
        err = -EIO;
    }
    if (err) {
        snprintf(why, why_size, "cannot start the IoT Hub stand-in's MQTT client: %s", mosquitto_strerror(rc));
        iothub_stop(h);
        return err;
    }
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&h->lock);
    while (!h->connected && pthread_cond_timedwait(&h->changed, &h->lock, &until) == 0)
        ;
    bool up = h->connected;
    pthread_mutex_unlock(&h->lock);
    fprintf(stderr, "sphere-cloud: iot: the IoT Hub stand-in (%s) %s\n", h->host,
            up ? "is connected to the broker" : "has not reached the broker yet (it keeps trying)");
    *out = h;
    return 0;
}

void iothub_stop(struct iothub *h)
{
    if (!h)
        return;
    iothub_fail_waiting(h);
    if (h->expiry_started) {
        pthread_mutex_lock(&h->lock);
        h->stopping = true;
        pthread_cond_signal(&h->expiry_changed);
        pthread_mutex_unlock(&h->lock);
        pthread_join(h->expiry, NULL);
    }
    mqtt_loop_stop(h->loop);
    if (h->m)
        mosquitto_destroy(h->m);
    for (size_t i = 0; i < IOTHUB_RING; i++)
        free(h->ring[i].json);
    while (h->calls) {
        struct method_call *m = h->calls;
        h->calls = m->next;
        free(m->payload), free(m);
    }
    pthread_cond_destroy(&h->changed);
    pthread_cond_destroy(&h->expiry_changed);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

void iothub_fail_waiting(struct iothub *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    for (struct method_call *m = h->calls, *next; m; m = next) {
        next = m->next;
        finish_call(h, m, -ESHUTDOWN);
    }
    while (h->event_waits)
        finish_event_wait(h, h->event_waits, 0); /* an empty answer: the poll is simply over */
    pthread_mutex_unlock(&h->lock);
}

/* ---- the operator's side -------------------------------------------------------------------- */

static int parse_text(const char *text, struct json_value **out)
{
    struct diag_list diags = {0};
    int err = json_parse(text, strlen(text), NULL, "twin", &diags, out);
    diag_list_free(&diags);
    return err ? -EIO : 0;
}

int iothub_twin_get(struct iothub *h, const char *device_id, struct json_value **out)
{
    struct twin_row t = {0};
    struct strbuf doc = {0};
    pthread_mutex_lock(&h->lock);
    struct clouddb_conn *c = clouddb_acquire(h->db);
    int err = load_twin(c, device_id, &t);
    clouddb_release(h->db, c);
    pthread_mutex_unlock(&h->lock);
    err = err ? err : iothub_device_document(t.desired, t.dv, t.reported, t.rv, &doc);
    struct json_value *props = NULL;
    err = err ? err : parse_text(strbuf_str(&doc), &props);
    struct json_value *o = err ? NULL : json_new_object();
    if (!err && (!o || json_object_append(o, "deviceId", json_new_string(device_id)) ||
                 json_object_append(o, "version", json_new_int(t.dv + t.rv)) || json_object_append(o, "properties", props)))
        err = -ENOMEM;
    else
        props = NULL;
    if (err)
        json_free(o), o = NULL;
    json_free(props);
    strbuf_free(&doc);
    twin_row_free(&t);
    *out = o;
    return err;
}

int iothub_twin_update_desired(struct iothub *h, const char *device_id, const struct json_value *patch, long *version)
{
    struct strbuf patch_text = {0};
    if (!patch || patch->type != JSON_OBJECT || json_write(patch, JSON_COMPACT, &patch_text))
        return -EINVAL;
    struct twin_row t = {0};
    char *merged = NULL;
    pthread_mutex_lock(&h->lock);
    struct clouddb_conn *c = clouddb_acquire(h->db);
    int err = load_twin(c, device_id, &t);
    err = err ? err : iothub_apply_patch(t.desired, patch_text.data, patch_text.len, &merged);
    if (!err && strlen(merged) > TWIN_MAX_JSON)
        err = -E2BIG;
    if (!err) {
        free(t.desired);
        t.desired = merged, merged = NULL;
        t.dv++;
        err = save_twin(c, device_id, &t);
    }
    clouddb_release(h->db, c);
    if (!err) {
        /* The notification: the patch as given, with its $version (IoT Hub's shape). */
        struct json_value *note = json_clone(patch);
        struct strbuf sb = {0};
        char topic[96];
        snprintf(topic, sizeof topic, "$iothub/twin/PATCH/properties/desired/?$version=%ld", t.dv);
        if (note && !json_object_set(note, "$version", json_new_int(t.dv)) && !json_write(note, JSON_COMPACT, &sb))
            publish(h, device_id, topic, sb.data, sb.len, 0); /* not connected: the next GET has it */
        json_free(note);
        strbuf_free(&sb);
        *version = t.dv;
    }
    pthread_mutex_unlock(&h->lock);
    free(merged);
    twin_row_free(&t);
    strbuf_free(&patch_text);
    return err;
}

int iothub_invoke_async(struct iothub *h, const char *device_id, const char *method, const char *payload_json,
                        unsigned timeout_s, iothub_method_done *done, void *cls, uint64_t *op)
{
    if (!method[0] || strpbrk(method, "/+#?") || strlen(method) > IOTHUB_METHOD_MAX)
        return -EINVAL;
    struct method_call *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    snprintf(m->device, sizeof m->device, "%s", device_id);
    snprintf(m->method, sizeof m->method, "%s", method);
    m->timeout_s = timeout_s;
    m->on_done = done;
    m->on_done_cls = cls;
    clock_gettime(CLOCK_MONOTONIC, &m->deadline);
    m->deadline.tv_sec += timeout_s;
    pthread_mutex_lock(&h->lock);
    m->op = ++h->next_op;
    snprintf(m->rid, sizeof m->rid, "%llu", (unsigned long long)++h->next_rid);
    char topic[512];
    snprintf(topic, sizeof topic, "$iothub/methods/POST/%s/?$rid=%s", method, m->rid);
    int err = publish(h, device_id, topic, payload_json, payload_json ? strlen(payload_json) : 0, 0);
    if (!err) {
        m->next = h->calls;
        h->calls = m;
        *op = m->op;
        pthread_cond_signal(&h->expiry_changed);
    }
    pthread_mutex_unlock(&h->lock);
    if (err)
        free(m);
    return err;
}

void iothub_cancel(struct iothub *h, uint64_t op)
{
    pthread_mutex_lock(&h->lock);
    for (struct method_call *m = h->calls; m; m = m->next)
        if (m->op == op) {
            unlink_call(h, m);
            free(m->payload), free(m);
            break;
        }
    for (struct event_wait **p = &h->event_waits; *p; p = &(*p)->next)
        if ((*p)->op == op) {
            struct event_wait *w = *p;
            *p = w->next;
            strbuf_free(&w->out), free(w);
            break;
        }
    pthread_mutex_unlock(&h->lock);
}

struct bag {
    char text[IOT_MAX_TOPIC];
    size_t len;
    int err;
};

static void bag_add(struct bag *b, const char *key, bool encode_key, const char *value)
{
    if (b->err)
        return;
    if (b->len && b->len + 1 < sizeof b->text)
        b->text[b->len++] = '&', b->text[b->len] = '\0';
    if (encode_key)
        b->err = iot_url_encode(key, b->text, sizeof b->text, &b->len);
    else if (b->len + strlen(key) < sizeof b->text)
        strcpy(b->text + b->len, key), b->len += strlen(key);
    else
        b->err = -ENOSPC;
    if (!b->err && b->len + 1 < sizeof b->text)
        b->text[b->len++] = '=', b->text[b->len] = '\0';
    b->err = b->err ? b->err : iot_url_encode(value, b->text, sizeof b->text, &b->len);
}

int iothub_c2d_send(struct iothub *h, const char *device_id, const char *data, const struct json_value *props,
                    const char *content_encoding, char message_id[40])
{
    struct bag b = {.len = 0};
    b.text[0] = '\0';
    pthread_mutex_lock(&h->lock);
    snprintf(message_id, 40, "c2d-%llu-%ld", (unsigned long long)++h->next_rid, (long)time(NULL));
    pthread_mutex_unlock(&h->lock);
    for (size_t i = 0; props && i < props->u.object.count; i++) {
        const struct json_member *p = &props->u.object.members[i];
        if (p->value->type != JSON_STRING || !p->key[0] || p->key[0] == '$')
            return -EINVAL;
        bag_add(&b, p->key, true, p->value->u.string.chars);
    }
    bag_add(&b, "%24.mid", false, message_id);
    char to[ID_MAX + 40], upper[ID_MAX + 1];
    cased(device_id, upper, toupper);
    snprintf(to, sizeof to, "/devices/%s/messages/deviceBound", upper);
    bag_add(&b, "%24.to", false, to);
    if (content_encoding)
        bag_add(&b, "%24.ce", false, content_encoding);
    if (b.err)
        return -E2BIG;
    char topic[IOT_MAX_TOPIC + ID_MAX + 40];
    snprintf(topic, sizeof topic, "devices/%s/messages/devicebound/%s", upper, b.text);
    return publish(h, device_id, topic, data, strlen(data), 1);
}

/* ---- event polls answered later ---------------------------------------------------------- */

int iothub_events_async(struct iothub *h, const char *device_id, uint64_t after, unsigned wait_s, size_t max,
                        iothub_events_done *done, void *cls, struct strbuf *out, uint64_t *next, uint64_t *op)
{
    struct event_wait *w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    if (device_id)
        cased(device_id, w->device, tolower);
    pthread_mutex_lock(&h->lock);
    w->after = ring_position(h, after);
    int err = strbuf_puts(&w->out, "[");
    err = err ? err : collect_events(h, w->device[0] ? w->device : NULL, &w->after, max, &w->out, &w->n);
    *op = 0;
    if (!err && !w->n && wait_s) { /* nothing yet: parked until an event or the deadline */
        w->max = max;
        w->done = done;
        w->cls = cls;
        w->op = *op = ++h->next_op;
        clock_gettime(CLOCK_MONOTONIC, &w->deadline);
        w->deadline.tv_sec += wait_s;
        w->next = h->event_waits;
        h->event_waits = w;
        pthread_cond_signal(&h->expiry_changed);
        pthread_mutex_unlock(&h->lock);
        return 0;
    }
    if (!err && !w->n)
        skip_others(h, w->device[0] ? w->device : NULL, &w->after);
    pthread_mutex_unlock(&h->lock);
    err = err ? err : strbuf_puts(&w->out, "]") ? -ENOMEM : 0;
    if (!err) {
        *out = w->out;
        *next = w->after;
    } else {
        strbuf_free(&w->out);
    }
    free(w);
    return err;
}
