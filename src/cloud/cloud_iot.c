/* SPDX-License-Identifier: MIT */
/*
 * cloud_iot.c — the operator's API of the IoT Hub stand-in (iothub_standin.h, docs/iot.md), for users
 * of the device's tenant (another tenant's device, or one the tenant does not know: 404):
 *
 *   GET   /v1/iot/hub                                 {"hostName","dpsHostName"}
 *   GET   /v1/iot/devices/{id}/twin                   {"deviceId","version","properties":{"desired","reported"}}
 *   PATCH /v1/iot/devices/{id}/twin                   {"properties":{"desired":{…}}}  → the twin
 *   POST  /v1/iot/devices/{id}/methods                {"methodName","payload","responseTimeoutInSeconds"} → {"status","payload"}
 *   POST  /v1/iot/devices/{id}/messages/devicebound   {"data","properties":{…},"contentEncoding"} → {"messageId"}
 *   GET   /v1/iot/events?deviceId&after&wait          {"events":[…],"next"}  (long poll, wait ≤ 5 s)
 *
 * Without the stand-in (no --iot-listen) every endpoint answers 409 iot-not-configured.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud_int.h"
#include "iothub_standin.h"
#include "twin.h"

void cloud_set_iothub(struct cloud *s, struct iothub *h)
{
    s->iot = h;
}

/* id: lower case (cloud_iot_route makes it so). */
static bool device_known(struct cloud_call *x, const char *id)
{
    if (!twin_valid_device_id(id)) {
        cloud_call_fail(x, 400, "bad-device-id", "a device ID is 128 lower-case hex digits");
        return false;
    }
    struct clouddb_rows r;
    int err = cloud_call_query(x, "SELECT 1 FROM devices WHERE id = $1 AND tenant_id = $2", PARAMS(id, x->tenant), &r);
    if (err) {
        cloud_call_store_failed(x, err);
        return false;
    }
    bool known = r.nrows == 1;
    clouddb_rows_free(&r);
    if (!known)
        cloud_call_fail(x, 404, "no-such-device", "device %.16s... is not known to this tenant", id);
    return known;
}

/* The ID in lower case into out (truncated past DEVICE_ID_HEX: then not a valid ID). */
static const char *lower_id(const char *id, char out[DEVICE_ID_HEX + 1])
{
    size_t i = 0;
    for (; id[i] && i < DEVICE_ID_HEX; i++)
        out[i] = (char)tolower((unsigned char)id[i]);
    out[i] = id[i] ? '!' : '\0';
    if (id[i])
        out[DEVICE_ID_HEX] = '\0';
    return out;
}

static void h_twin(struct cloud_call *x, const char *id)
{
    if (cloud_call_method(x, "PATCH")) {
        struct json_value *body = cloud_call_json_body(x);
        if (!body)
            return;
        const struct json_value *props = json_object_get(body, "properties");
        const struct json_value *desired = json_object_get(props && props->type == JSON_OBJECT ? props : body, "desired");
        long version = 0;
        int err = desired && desired->type == JSON_OBJECT ? iothub_twin_update_desired(x->s->iot, id, desired, &version) : -EINVAL;
        json_free(body);
        if (err == -EINVAL || err == -E2BIG) {
            cloud_call_fail(x, 400, "bad-twin-patch",
                            err == -E2BIG ? "the desired properties would exceed 4096 bytes"
                                          : "the body must be {\"properties\":{\"desired\":{...}}}");
            return;
        }
        if (err) {
            cloud_call_store_failed(x, err);
            return;
        }
    } else if (!cloud_call_method(x, "GET")) {
        cloud_call_not_allowed(x);
        return;
    }
    struct json_value *twin = NULL;
    int err = iothub_twin_get(x->s->iot, id, &twin);
    if (err)
        cloud_call_store_failed(x, err);
    else
        cloud_call_reply(x, 200, twin);
}

/* A direct method's outcome as the operator's answer: {"status","payload"} or the error. */
static void method_response(struct cloud_response *rs, int err, int status, char *answer, const char *method, unsigned secs)
{
    if (err == -ETIMEDOUT)
        cloud_fail(rs, 504, "method-timeout", "the device did not answer %s within %u s", method, secs);
    else if (err == -EINVAL)
        cloud_fail(rs, 400, "bad-method-name", "a method name cannot hold '/', '+', '#' or '?' (at most %d bytes)",
                   IOTHUB_METHOD_MAX);
    else if (err == -ESHUTDOWN)
        cloud_fail(rs, 503, "service-stopping", "the service is stopping; %s was not answered", method);
    else if (err)
        cloud_fail(rs, 503, "broker-unavailable", "the MQTT broker is not reachable: %s", strerror(-err));
    if (err) {
        free(answer);
        return;
    }
    struct json_value *o = json_new_object(), *p = NULL;
    struct diag_list diags = {0};
    if (!answer || json_parse(answer, strlen(answer), NULL, "answer", &diags, &p) != 0)
        p = answer ? json_new_string(answer) : json_new_null();
    diag_list_free(&diags);
    free(answer);
    if (o && !json_object_append(o, "status", json_new_int(status)))
        json_object_append(o, "payload", p);
    else
        json_free(p);
    if (!o) {
        cloud_fail(rs, 500, "out-of-memory", "out of memory");
        return;
    }
    rs->status = 200;
    rs->json = o;
}

/* iothub_method_done for a call answered later: cls is the request's cloud_later. */
static void method_answered(void *cls, int err, int status, char *payload, const char *method, unsigned timeout_s)
{
    struct cloud_response rs = {0};
    method_response(&rs, err, status, payload, method, timeout_s);
    cloud_later_answer(cls, &rs);
}

/* cloud_later_cancel_with for a parked method call or event poll: cls is the hub. */
static void hub_cancel(void *cls, uint64_t op) { iothub_cancel(cls, op); }

/* POST /v1/iot/devices/{id}/methods. The call waits for the device with the connection parked
 * (no worker thread, no database connection held): a slow or absent device costs the service
 * nothing but memory until its timeout. */
static void h_method(struct cloud_call *x, const char *id)
{
    if (!cloud_call_method(x, "POST")) {
        cloud_call_not_allowed(x);
        return;
    }
    struct json_value *body = cloud_call_json_body(x);
    if (!body)
        return;
    const char *name = cloud_jstr(body, "methodName");
    const struct json_value *payload = json_object_get(body, "payload");
    const struct json_value *timeout = json_object_get(body, "responseTimeoutInSeconds");
    long secs = timeout && timeout->type == JSON_NUMBER && timeout->u.number.is_integer ? (long)timeout->u.number.integer : 30;
    struct strbuf arg = {0};
    if (!name || !name[0] || secs < 1 || secs > 300 || (payload && json_write(payload, JSON_COMPACT, &arg))) {
        json_free(body);
        strbuf_free(&arg);
        cloud_call_fail(x, 400, "bad-method-call", "the body must be {\"methodName\",\"payload\",\"responseTimeoutInSeconds\" (1-300)}");
        return;
    }
    char method[IOTHUB_METHOD_MAX + 2];
    snprintf(method, sizeof method, "%s", name);
    json_free(body); /* name pointed into it */
    uint64_t op = 0;
    int err = iothub_invoke_async(x->s->iot, id, method, arg.data ? arg.data : "", (unsigned)secs, method_answered,
                                  x->rq->later, &op);
    strbuf_free(&arg);
    if (err) {
        method_response(x->rs, err, 0, NULL, method, (unsigned)secs);
        return;
    }
    cloud_later_cancel_with(x->rq->later, hub_cancel, x->s->iot, op);
    x->rs->later = true;
}

static void h_c2d(struct cloud_call *x, const char *id)
{
    if (!cloud_call_method(x, "POST")) {
        cloud_call_not_allowed(x);
        return;
    }
    struct json_value *body = cloud_call_json_body(x);
    if (!body)
        return;
    const char *data = cloud_jstr(body, "data"), *ce = cloud_jstr(body, "contentEncoding");
    const struct json_value *props = json_object_get(body, "properties");
    char mid[40];
    int err = data && (!props || props->type == JSON_OBJECT) ? iothub_c2d_send(x->s->iot, id, data, props, ce, mid) : -EINVAL;
    json_free(body);
    if (err == -EINVAL || err == -E2BIG) {
        cloud_call_fail(x, 400, "bad-message", "the body must be {\"data\":\"...\",\"properties\":{string values}}, under 1 KiB of properties");
        return;
    }
    if (err) {
        cloud_call_fail(x, 503, "broker-unavailable", "the MQTT broker is not reachable: %s", strerror(-err));
        return;
    }
    struct json_value *o = json_new_object();
    cloud_put_str(o, "messageId", mid);
    cloud_call_reply(x, 200, o);
}

static unsigned long long arg_number(struct cloud_call *x, const char *name, unsigned long long fallback)
{
    const char *v = x->rq->arg ? x->rq->arg(x->rq, name) : NULL;
    char *end = NULL;
    unsigned long long n = v && *v ? strtoull(v, &end, 10) : fallback;
    return v && *v && *end ? fallback : n;
}

/* {"events":[…],"next"} into rs from the poll's array text. */
static void events_response(struct cloud_response *rs, int err, const char *array, size_t len, uint64_t next)
{
    struct json_value *events = NULL, *o = json_new_object();
    struct diag_list diags = {0};
    if (!err && json_parse(array, len, NULL, "events", &diags, &events) != 0)
        err = -EIO;
    diag_list_free(&diags);
    if (err || !o) {
        json_free(events), json_free(o);
        cloud_fail(rs, 500, err == -ENOMEM || !o ? "out-of-memory" : "store-failed", "the event stream failed: %s",
                   strerror(err ? -err : ENOMEM));
        return;
    }
    cloud_put(o, "events", events);
    cloud_put(o, "next", json_new_int((int64_t)next));
    rs->status = 200;
    rs->json = o;
}

/* iothub_events_done for a parked poll: cls is the request's cloud_later. */
static void events_answered(void *cls, int err, const char *array, uint64_t next)
{
    struct cloud_response rs = {0};
    events_response(&rs, err, array, array ? strlen(array) : 0, next);
    cloud_later_answer(cls, &rs);
}

/* GET /v1/iot/events: a long poll. A poll with nothing to answer yet is parked (no thread, no
 * database connection held) until an event for it comes or `wait` (at most 60 s) ends. */
static void h_events(struct cloud_call *x)
{
    const char *arg = x->rq->arg ? x->rq->arg(x->rq, "deviceId") : NULL;
    char lower[DEVICE_ID_HEX + 1];
    const char *device = arg ? lower_id(arg, lower) : NULL;
    if (device && !device_known(x, device))
        return;
    unsigned long long after = arg_number(x, "after", 0), wait = arg_number(x, "wait", 0);
    if (wait > 60)
        wait = 60;
    struct strbuf sb = {0};
    uint64_t next = 0, op = 0;
    int err = iothub_events_async(x->s->iot, device, after, (unsigned)wait, 256, events_answered, x->rq->later, &sb, &next, &op);
    if (!err && op) {
        cloud_later_cancel_with(x->rq->later, hub_cancel, x->s->iot, op);
        x->rs->later = true;
        return;
    }
    events_response(x->rs, err, sb.data, sb.len, next);
    strbuf_free(&sb);
}

void cloud_iot_route(struct cloud_call *x)
{
    if (!x->s->iot) {
        cloud_call_fail(x, 409, "iot-not-configured", "the IoT Hub stand-in is not running (start the service with --iot-listen)");
        return;
    }
    if (x->nseg == 3 && cloud_call_is(x, 2, "hub")) {
        struct json_value *o = json_new_object();
        cloud_put_str(o, "hostName", iothub_host(x->s->iot));
        cloud_put_str(o, "dpsHostName", IOTHUB_DPS_HOST);
        cloud_call_reply(x, 200, o);
        return;
    }
    if (x->nseg == 3 && cloud_call_is(x, 2, "events")) {
        if (cloud_call_method(x, "GET"))
            h_events(x);
        else
            cloud_call_not_allowed(x);
        return;
    }
    if (x->nseg < 5 || !cloud_call_is(x, 2, "devices")) {
        cloud_call_fail(x, 404, "no-such-endpoint", "no endpoint %s", x->rq->path);
        return;
    }
    char lower[DEVICE_ID_HEX + 1];
    const char *id = lower_id(x->seg[3], lower);
    if (!device_known(x, id))
        return;
    if (x->nseg == 5 && cloud_call_is(x, 4, "twin"))
        h_twin(x, id);
    else if (x->nseg == 5 && cloud_call_is(x, 4, "methods"))
        h_method(x, id);
    else if (x->nseg == 6 && cloud_call_is(x, 4, "messages") && cloud_call_is(x, 5, "devicebound"))
        h_c2d(x, id);
    else
        cloud_call_fail(x, 404, "no-such-endpoint", "no endpoint %s", x->rq->path);
}
