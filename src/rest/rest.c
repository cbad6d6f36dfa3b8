/* SPDX-License-Identifier: MIT */
/* rest.c — HTTP glue for the device REST API (see rest.h). */
#include "rest.h"
#include "rest_certstore.h"
#include "net.h"
#include "rest_internal.h"
#include "rest_net.h"
#include "rest_wifi.h"

#include "applog.h"
#include "board.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_JSON_BODY (64u * 1024u)
#define CAPABILITY_HEADER "AZSPHERE-CAPABILITIES"

struct rest_server {
    struct device *device;
    struct board *board;
    struct applog *log;
    struct MHD_Daemon *unix_daemon;
    struct MHD_Daemon *https_daemon;
    struct MHD_Daemon *attached_daemon; /* HTTPS on the attached address (rest_serve_attached) */
    void (*on_restart)(void *ctx);      /* rest_on_restart */
    void *on_restart_ctx;
    int unix_fd;
    char *unix_path;
};

/* One request being received. */
struct request {
    struct strbuf body;
    size_t limit;
    bool too_large;
    struct rest_server *server;
    bool octet_reply; /* answer with `octets` (application/octet-stream) instead of JSON */
    struct strbuf octets;
};

struct applog *rest_request_applog(const struct request *req)
{
    return req->server->log;
}

int rest_request_reply_octets(const struct request *req, const char *data, size_t len)
{
    struct request *q = (struct request *)req; /* allocated non-const in on_request */
    strbuf_free(&q->octets);
    q->octet_reply = true;
    return strbuf_append(&q->octets, data, len);
}

enum authorizer { AUTH_NONE, AUTH_REST_ALLOWED };

struct route {
    const char *method;
    const char *path; /* a trailing '*' matches one component ID */
    enum authorizer authorizer;
    enum body_kind body;
    void (*handle)(struct device *d, const struct auth *a, const char *param, const struct json_value *json,
                   const struct request *req, struct device_result *r);
};

/* Handlers that take the device lock themselves: called after authorisation, unlocked. */
static bool takes_lock_itself(const struct route *rt)
{
    return rt->handle == rest_firewall_rulesets;
}

/* ---- handlers ----------------------------------------------------------------------------- */

#define SIMPLE(fn)                                                                                                     \
    static void h_##fn(struct device *d, const struct auth *a, const char *p, const struct json_value *j,              \
                       const struct request *q, struct device_result *r)                                              \
    {                                                                                                                  \
        fn(d, r);                                                                                                      \
    }
SIMPLE(device_abi_versions)
SIMPLE(device_capabilities)
SIMPLE(device_security_state)
SIMPLE(device_manufacturing_state)
SIMPLE(device_status)
SIMPLE(device_os_version)

static const char *json_string(const struct json_value *j, const char *key)
{
    const struct json_value *v = json_object_get(j, key);
    return v && v->type == JSON_STRING ? v->u.string.chars : NULL;
}

static void h_set_manufacturing(struct device *d, const struct auth *a, const char *p, const struct json_value *j,
                                const struct request *q, struct device_result *r)
{
    device_set_manufacturing_state(d, a, json_string(j, "manufacturingState"), r);
}

static void h_restart(struct device *d, const struct auth *a, const char *p, const struct json_value *j,
                      const struct request *q, struct device_result *r)
{
    device_restart(d, a, r);
    if (!r->err && (r->body = json_new_object()) != NULL) /* what clients wait for (REST-CLIENT-FACTS 6) */
        json_object_append(r->body, "restartingSystem", json_new_bool(true));
    if (!r->err && q->server->on_restart)
        q->server->on_restart(q->server->on_restart_ctx);
}

void rest_on_restart(struct rest_server *s, void (*fn)(void *ctx), void *ctx)
{
    s->on_restart = fn;
    s->on_restart_ctx = ctx;
}

static void h_stage(struct device *d, const struct auth *a, const char *p, const struct json_value *j,
                    const struct request *q, struct device_result *r)
{
    device_stage(d, a, (const uint8_t *)q->body.data, q->body.len, r);
}

static void h_install(struct device *d, const struct auth *a, const char *p, const struct json_value *j,
                      const struct request *q, struct device_result *r)
{
    const char *mode = json_string(j, "appControlMode");
    const struct json_value *force = json_object_get(j, "force");
    if (mode && strcmp(mode, "Manual") != 0 && strcmp(mode, "Auto") != 0) {
        r->err = DERR_BAD_REQUEST;
        snprintf(r->detail, sizeof r->detail, "appControlMode must be \"Auto\" or \"Manual\"");
        return;
    }
    device_install(d, a, mode && !strcmp(mode, "Manual"), force && force->type == JSON_BOOL && force->u.boolean, r);
}

static void h_delete(struct device *d, const struct auth *a, const char *p, const struct json_value *j,
                     const struct request *q, struct device_result *r)
{
    device_delete_image(d, a, p, r);
}

static void h_app_status(struct device *d, const struct auth *a, const char *p, const struct json_value *j,
                         const struct request *q, struct device_result *r)
{
    device_app_status(d, a, p, r);
}

static void h_app_patch(struct device *d, const struct auth *a, const char *p, const struct json_value *j,
                        const struct request *q, struct device_result *r)
{
    device_app_trigger(d, a, p, json_string(j, "trigger"), r);
}

static void h_app_quota(struct device *d, const struct auth *a, const char *p, const struct json_value *j,
                        const struct request *q, struct device_result *r)
{
    device_app_quota(d, a, p, r);
}

static void h_images(struct device *d, const struct auth *a, const char *p, const struct json_value *j,
                     const struct request *q, struct device_result *r)
{
    device_images(d, a, r);
}

static void h_memory(struct device *d, const struct auth *a, const char *p, const struct json_value *j,
                     const struct request *q, struct device_result *r)
{
    device_memory_stats(d, a, r);
}

/* The certificate store (rest_certstore.c). */
#define CERTSTORE(fn)                                                                                                  \
    static void h_certstore_##fn(struct device *d, const struct auth *a, const char *p, const struct json_value *j,    \
                                 const struct request *q, struct device_result *r)                                    \
    {                                                                                                                  \
        rest_certstore_##fn(d, a, p, j, r);                                                                            \
    }
CERTSTORE(list)
CERTSTORE(show)
CERTSTORE(add)
CERTSTORE(delete)
CERTSTORE(space)

static const struct route routes[] = {
    {"GET", "/abi_versions", AUTH_NONE, BODY_NONE, h_device_abi_versions},
    {"GET", "/device/capabilities", AUTH_NONE, BODY_NONE, h_device_capabilities},
    {"GET", "/device/security_state", AUTH_NONE, BODY_NONE, h_device_security_state},
    {"GET", "/device/manufacturing_state", AUTH_NONE, BODY_NONE, h_device_manufacturing_state},
    {"PUT", "/device/manufacturing_state", AUTH_REST_ALLOWED, BODY_JSON, h_set_manufacturing},
    {"GET", "/status", AUTH_NONE, BODY_NONE, h_device_status},
    {"GET", "/osversion", AUTH_NONE, BODY_NONE, h_device_os_version},
    {"POST", "/restart", AUTH_REST_ALLOWED, BODY_ANY, h_restart},
    {"PUT", "/update/stage", AUTH_REST_ALLOWED, BODY_OCTETS, h_stage},
    {"POST", "/update/install", AUTH_REST_ALLOWED, BODY_JSON_OPTIONAL, h_install},
    {"DELETE", "/app/image/*", AUTH_REST_ALLOWED, BODY_NONE, h_delete},
    {"GET", "/app/status/*", AUTH_REST_ALLOWED, BODY_NONE, h_app_status},
    {"PATCH", "/app/status/*", AUTH_REST_ALLOWED, BODY_JSON, h_app_patch},
    {"GET", "/app/quota/*", AUTH_REST_ALLOWED, BODY_NONE, h_app_quota},
    {"GET", "/images", AUTH_REST_ALLOWED, BODY_NONE, h_images},
    {"GET", "/stats/memory/groups/applications", AUTH_REST_ALLOWED, BODY_NONE, h_memory},
    /* Network configuration (rest_net.c, docs/netconfig.md) */
    {"GET", "/net/interfaces", AUTH_REST_ALLOWED, BODY_NONE, rest_net_interfaces},
    {"GET", "/net/interfaces/*", AUTH_REST_ALLOWED, BODY_NONE, rest_net_interface},
    {"PATCH", "/net/interfaces/*", AUTH_REST_ALLOWED, BODY_JSON, rest_net_interface_patch},
    {"GET", "/net/status", AUTH_NONE, BODY_NONE, rest_net_status},
    {"GET", "/net/proxy", AUTH_REST_ALLOWED, BODY_NONE, rest_net_proxy},
    {"POST", "/net/proxy", AUTH_REST_ALLOWED, BODY_JSON, rest_net_proxy_set},
    {"DELETE", "/net/proxy", AUTH_REST_ALLOWED, BODY_NONE, rest_net_proxy_delete},
    /* Wi-Fi (rest_wifi.c, docs/wifi.md) */
    {"GET", "/wifi/config/networks", AUTH_REST_ALLOWED, BODY_NONE, rest_wifi_list},
    {"POST", "/wifi/config/networks", AUTH_REST_ALLOWED, BODY_JSON, rest_wifi_add},
    {"GET", "/wifi/config/networks/*", AUTH_REST_ALLOWED, BODY_NONE, rest_wifi_get},
    {"PATCH", "/wifi/config/networks/*", AUTH_REST_ALLOWED, BODY_JSON, rest_wifi_patch},
    {"DELETE", "/wifi/config/networks/*", AUTH_REST_ALLOWED, BODY_NONE, rest_wifi_delete},
    {"GET", "/wifi/diagnostics/networks", AUTH_REST_ALLOWED, BODY_NONE, rest_wifi_diagnostics},
    {"GET", "/wifi/diagnostics/networks/*", AUTH_REST_ALLOWED, BODY_NONE, rest_wifi_diagnostic},
    {"GET", "/wifi/interface", AUTH_REST_ALLOWED, BODY_NONE, rest_wifi_interface},
    {"PATCH", "/wifi/interface", AUTH_REST_ALLOWED, BODY_JSON, rest_wifi_interface_patch},
    {"GET", "/wifi/scan", AUTH_REST_ALLOWED, BODY_NONE, rest_wifi_scan},
    {"GET", "/certstore/certs", AUTH_REST_ALLOWED, BODY_NONE, h_certstore_list},
    {"GET", "/certstore/certs/*", AUTH_REST_ALLOWED, BODY_NONE, h_certstore_show},
    {"POST", "/certstore/certs/*", AUTH_REST_ALLOWED, BODY_JSON, h_certstore_add},
    {"DELETE", "/certstore/certs/*", AUTH_REST_ALLOWED, BODY_NONE, h_certstore_delete},
    {"GET", "/certstore/space", AUTH_REST_ALLOWED, BODY_NONE, h_certstore_space},
    /* diagnostics (rest_diag.c) */
    {"GET", "/log", AUTH_REST_ALLOWED, BODY_NONE, rest_log_get},
    {"GET", "/telemetry", AUTH_REST_ALLOWED, BODY_NONE, rest_telemetry_get},
    {"DELETE", "/telemetry", AUTH_REST_ALLOWED, BODY_NONE, rest_telemetry_delete},
    {"GET", "/net/firewall/rulesets", AUTH_REST_ALLOWED, BODY_NONE, rest_firewall_rulesets},
};

/* ---- plumbing ----------------------------------------------------------------------------- */

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, const struct json_value *body)
{
    struct strbuf sb = {0};
    if (body ? json_write(body, JSON_COMPACT, &sb) : strbuf_puts(&sb, "{}"))
        return MHD_NO;
    struct MHD_Response *resp = MHD_create_response_from_buffer(sb.len, sb.data, MHD_RESPMEM_MUST_COPY);
    strbuf_free(&sb);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, REST_API_VERSION_HEADER, REST_API_VERSION);
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_octets(struct MHD_Connection *c, const struct strbuf *body)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(body->len, body->len ? body->data : (void *)"", MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "application/octet-stream");
    MHD_add_response_header(resp, REST_API_VERSION_HEADER, REST_API_VERSION);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_error_status(struct MHD_Connection *c, enum deverr e, unsigned status, const char *detail)
{
    struct json_value *o = json_new_object();
    if (o)
        json_object_append(o, "error", json_new_int(deverr_wire(e)));
    if (o && detail && detail[0])
        json_object_append(o, "detail", json_new_string(detail));
    enum MHD_Result ret = send_json(c, status, o);
    json_free(o);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, enum deverr e, const char *detail)
{
    return send_error_status(c, e, (unsigned)deverr_info(e)->http_status, detail);
}

/* The HTTP status of an error, where the description gives the endpoint its own: GET
 * /app/quota of a component that is not installed is 404 NotFound (its code stays 14.12). */
static unsigned error_status(const struct route *rt, enum deverr e)
{
    if (e == DERR_APP_NOT_PRESENT && !strcmp(rt->path, "/app/quota/*"))
        return MHD_HTTP_NOT_FOUND;
    return (unsigned)deverr_info(e)->http_status;
}

static enum MHD_Result dispatch(struct rest_server *s, struct MHD_Connection *c, const struct route *rt,
                                const char *param, struct request *req)
{
    if (req->too_large)
        return send_error(c, rt->body == BODY_OCTETS ? DERR_STAGE_INVALID : DERR_BAD_REQUEST, "the request body is too large");
    const char *why = NULL;
    struct json_value *json = NULL;
    enum deverr bad = rest_parse_body(rt->body, MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
                                      req->body.data, req->body.len, &json, &why);
    if (bad)
        return send_error(c, bad, why);
    uint8_t *cap = NULL;
    size_t cap_len = 0;
    if (rest_capability_decode(MHD_lookup_connection_value(c, MHD_HEADER_KIND, CAPABILITY_HEADER), &cap, &cap_len)) {
        json_free(json);
        return send_error(c, DERR_CAPABILITY_INVALID, "the " CAPABILITY_HEADER " header is not base64");
    }
    struct device_result r = {0};
    struct auth auth;
    device_lock(s->device);
    enum deverr e = device_auth(s->device, cap, cap_len, &auth);
    if (e)
        r.err = e, snprintf(r.detail, sizeof r.detail, "the presented capability file is not valid for this device");
    else if (rt->authorizer == AUTH_REST_ALLOWED && !policy_rest_allowed(&auth))
        r.err = DERR_EACCES, snprintf(r.detail, sizeof r.detail, "the device is finalized (DeviceComplete); present a capability");
    else if (!takes_lock_itself(rt))
        rt->handle(s->device, &auth, param, json, req, &r);
    device_unlock(s->device);
    if (!r.err && takes_lock_itself(rt))
        rt->handle(s->device, &auth, param, json, req, &r);
    enum MHD_Result ret = r.err           ? send_error_status(c, r.err, error_status(rt, r.err), r.detail)
                          : req->octet_reply ? send_octets(c, &req->octets)
                                           : send_json(c, rt->handle == rest_wifi_add ? MHD_HTTP_CREATED : MHD_HTTP_OK, r.body);
    device_result_free(&r);
    free(cap);
    json_free(json);
    return ret;
}

/* ---- the simulator's endpoints: /sim/gpio/N, /sim/gpio/N/press, /sim/log ------------------ */

static enum MHD_Result sim_gpio(struct rest_server *s, struct MHD_Connection *c, const char *method, const char *rest,
                                struct request *req)
{
    char *end;
    long n = strtol(rest, &end, 10);
    bool press = !strcmp(end, "/press");
    if (end == rest || (*end && !press))
        return send_error(c, DERR_NOT_FOUND, "no such simulator endpoint");
    int err = 0;
    if (press && !strcmp(method, "POST")) {
        err = board_gpio_press(s->board, (int)n, 300);
    } else if (!press && !strcmp(method, "PUT")) {
        struct diag_list diags = {0};
        struct json_value *j = NULL;
        int perr = json_parse(req->body.data ? req->body.data : "", req->body.len, NULL, "request", &diags, &j);
        diag_list_free(&diags);
        const struct json_value *v = perr ? NULL : json_object_get(j, "value");
        if (!v || v->type != JSON_NUMBER || (v->u.number.integer != 0 && v->u.number.integer != 1)) {
            json_free(j);
            return send_error(c, DERR_BAD_REQUEST, "the body must be {\"value\": 0 or 1}");
        }
        err = board_gpio_set_input(s->board, (int)n, (int)v->u.number.integer);
        json_free(j);
    } else if (press || strcmp(method, "GET")) {
        return send_error(c, DERR_NOT_FOUND, "method not allowed on this resource");
    }
    int level = 0;
    enum board_direction dir = BOARD_UNUSED;
    if (!err)
        err = board_gpio_get(s->board, (int)n, &level, &dir);
    if (err == -ENODEV)
        return send_error(c, DERR_NOT_FOUND, "no such GPIO on this board");
    if (err == -EPERM)
        return send_error(c, DERR_BAD_REQUEST, "that GPIO is an output: an app drives it");
    struct json_value *o = json_new_object();
    if (o) {
        json_object_append(o, "gpio", json_new_int(n));
        json_object_append(o, "value", json_new_int(level));
        json_object_append(o, "direction", json_new_string(dir == BOARD_OUTPUT ? "output" : dir == BOARD_INPUT ? "input" : "unused"));
        json_object_append(o, "changes", json_new_int((int64_t)board_gpio_changes(s->board, (int)n)));
    }
    enum MHD_Result ret = send_json(c, MHD_HTTP_OK, o);
    json_free(o);
    return ret;
}

/* /sim/uart, /sim/adc, /sim/accel, /sim/pwm, /sim/devices, /sim/board, /sim/events: the board's
 * buses and converters (board_sim_request; docs/board.md). */
static enum MHD_Result sim_board(struct rest_server *s, struct MHD_Connection *c, const char *path,
                                 const char *method, struct request *req)
{
    char why[256] = "";
    struct json_value *o = NULL;
    const char *since = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
    int err = board_sim_request(s->board, method, path, since, req->body.data, req->body.len, &o, why, sizeof why);
    enum MHD_Result ret;
    if (!err)
        ret = send_json(c, MHD_HTTP_OK, o);
    else if (err == -EINVAL)
        ret = send_error(c, DERR_BAD_REQUEST, why);
    else if (err == -ENOENT || err == -EPERM)
        ret = send_error(c, DERR_NOT_FOUND, err == -EPERM ? "method not allowed on this resource"
                                                          : "no such simulator endpoint or peripheral on this board");
    else
        ret = send_error(c, DERR_INTERNAL, "out of memory");
    json_free(o);
    return ret;
}

static enum MHD_Result sim_request(struct rest_server *s, struct MHD_Connection *c, const char *url, const char *method,
                                   struct request *req)
{
    if (!s->board || !s->log)
        return send_error(c, DERR_NOT_FOUND, "this device has no simulator endpoints");
    if (!strncmp(url, "/sim/gpio/", 10))
        return sim_gpio(s, c, method, url + 10, req);
    if (!strcmp(url, "/sim/log") && !strcmp(method, "GET")) {
        const char *since = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
        struct json_value *o = applog_read(s->log, since ? strtoull(since, NULL, 10) : 0, 1000);
        enum MHD_Result ret = o ? send_json(c, MHD_HTTP_OK, o) : send_error(c, DERR_INTERNAL, "out of memory");
        json_free(o);
        return ret;
    }
    /* /sim/sysevent: GET the registrations and the update offer; POST injects a system event
     * (docs/runtime.md, "System events"). */
    if (!strcmp(url, "/sim/sysevent")) {
        bool post = !strcmp(method, "POST");
        if (!post && strcmp(method, "GET"))
            return send_error(c, DERR_NOT_FOUND, "method not allowed on this resource");
        struct json_value *j = NULL;
        if (post) {
            struct diag_list diags = {0};
            int perr = json_parse(req->body.data ? req->body.data : "", req->body.len, NULL, "request", &diags, &j);
            bool bad = perr || diag_error_count(&diags) || j->type != JSON_OBJECT;
            diag_list_free(&diags);
            if (bad) {
                json_free(j);
                return send_error(c, DERR_BAD_REQUEST, "the body must be a JSON object: {\"event\": …}");
            }
        }
        struct device_result r = {0};
        device_lock(s->device);
        device_sim_sysevent(s->device, j, &r);
        device_unlock(s->device);
        enum MHD_Result ret = r.err ? send_error(c, r.err, r.detail) : send_json(c, MHD_HTTP_OK, r.body);
        device_result_free(&r);
        json_free(j);
        return ret;
    }
    /* /sim/hosts (GET, POST {"name","address","ttl"}), /sim/hosts/NAME (DELETE): the device
     * resolver's static entries; /sim/firewall-rules: each app's effective rules (docs/network.md). */
    if (!strcmp(url, "/sim/hosts") || !strncmp(url, "/sim/hosts/", 11) || !strcmp(url, "/sim/firewall-rules")) {
        int err = 0;
        if (!strcmp(url, "/sim/hosts") && !strcmp(method, "POST")) {
            struct diag_list diags = {0};
            struct json_value *j = NULL;
            int perr = json_parse(req->body.data ? req->body.data : "", req->body.len, NULL, "request", &diags, &j);
            diag_list_free(&diags);
            const struct json_value *n = perr ? NULL : json_object_get(j, "name"),
                                    *a = perr ? NULL : json_object_get(j, "address"),
                                    *t = perr ? NULL : json_object_get(j, "ttl");
            err = n && a && n->type == JSON_STRING && a->type == JSON_STRING && (!t || t->type == JSON_NUMBER)
                      ? net_hosts_add(n->u.string.chars, a->u.string.chars, t ? (unsigned)t->u.number.integer : 300)
                      : -EINVAL;
            json_free(j);
        } else if (!strncmp(url, "/sim/hosts/", 11) && !strcmp(method, "DELETE")) {
            err = net_hosts_remove(url + 11);
        } else if (strcmp(method, "GET") || !strncmp(url, "/sim/hosts/", 11)) {
            return send_error(c, DERR_NOT_FOUND, "method not allowed on this resource");
        }
        if (err == -EINVAL)
            return send_error(c, DERR_BAD_REQUEST, "the body must be {\"name\": host name, \"address\": IPv4, \"ttl\": 1-86400}");
        if (err == -ENOENT)
            return send_error(c, DERR_NOT_FOUND, "no such static host");
        if (err == -ENOSPC)
            return send_error(c, DERR_INTERNAL, "the static host table is full");
        if (err) {
            char text[160];
            snprintf(text, sizeof text, "cannot save the static hosts (nothing changed): %s", strerror(-err));
            return send_error(c, DERR_INTERNAL, text);
        }
        struct json_value *o = url[5] == 'h' ? net_hosts_json() : net_firewall_rules(s->device);
        enum MHD_Result ret = o ? send_json(c, MHD_HTTP_OK, o) : send_error(c, DERR_INTERNAL, "out of memory");
        json_free(o);
        return ret;
    }
    bool time_get = !strcmp(url, "/sim/time") && !strcmp(method, "GET"),
         time_sync = !strcmp(url, "/sim/time/sync") && !strcmp(method, "POST");
    if (time_get || time_sync) { /* the device clock (rest_net.c) */
        struct device_result r = {0};
        (time_sync ? rest_net_time_sync : rest_net_time)(s->device, NULL, NULL, NULL, req, &r);
        enum MHD_Result ret = r.err ? send_error(c, r.err, r.detail) : send_json(c, MHD_HTTP_OK, r.body);
        device_result_free(&r);
        return ret;
    }
    if (!strncmp(url, "/sim/wifi/", 10)) { /* the simulated access points (rest_wifi.c) */
        struct device_result r = {0};
        rest_wifi_sim(method, url + 10, req->body.data, req->body.len, &r);
        enum MHD_Result ret = r.err ? send_error(c, r.err, r.detail) : send_json(c, MHD_HTTP_OK, r.body);
        device_result_free(&r);
        return ret;
    }
    return sim_board(s, c, url + 5, method, req);
}

void rest_attach_simulator(struct rest_server *s, struct board *board, struct applog *log)
{
    s->board = board;
    s->log = log;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size, void **req_cls)
{
    struct rest_server *s = cls;
    const struct route *rt = NULL;
    const char *param = NULL;
    bool path_known = false;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0] && !rt; i++) {
        const char *p = NULL;
        if (rest_path_matches(routes[i].path, url, &p)) {
            path_known = true;
            if (!strcmp(routes[i].method, method))
                rt = &routes[i], param = p;
        }
    }
    struct request *req = *req_cls;
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req)
            return MHD_NO;
        req->limit = rt && rt->body == BODY_OCTETS ? DEVICE_MAX_UPLOAD : MAX_JSON_BODY;
        req->server = s;
        *req_cls = req;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!req->too_large && req->body.len + *upload_data_size <= req->limit) {
            if (strbuf_append(&req->body, upload_data, *upload_data_size))
                req->too_large = true;
        } else {
            req->too_large = true;
            strbuf_free(&req->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!strncmp(url, "/sim/", 5))
        return req->too_large ? send_error(c, DERR_BAD_REQUEST, "the request body is too large") : sim_request(s, c, url, method, req);
    if (!rt)
        return send_error(c, DERR_NOT_FOUND, path_known ? "method not allowed on this resource" : "no such endpoint");
    return dispatch(s, c, rt, param, req);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
    struct request *req = *req_cls;
    if (req) {
        strbuf_free(&req->body);
        strbuf_free(&req->octets);
        free(req);
        *req_cls = NULL;
    }
}

static int listen_unix(const char *path, char *why, size_t why_size)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) {
        snprintf(why, why_size, "socket path %s is too long", path);
        return -ENAMETOOLONG;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    unlink(path);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || chmod(path, 0600) < 0 || listen(fd, 64) < 0) {
        int err = -errno;
        snprintf(why, why_size, "cannot listen on %s: %s", path, strerror(errno));
        close(fd);
        return err;
    }
    return fd;
}

int rest_start(struct device *d, const char *unix_path, uint16_t https_port, const char *tls_key_pem,
               const char *tls_cert_pem, struct rest_server **out, char *why, size_t why_size)
{
    struct rest_server *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->device = d;
    s->unix_fd = -1;
    const unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    if (unix_path) {
        s->unix_fd = listen_unix(unix_path, why, why_size);
        s->unix_path = strdup(unix_path);
        if (s->unix_fd < 0) {
            int err = s->unix_fd;
            rest_stop(s);
            return err;
        }
        s->unix_daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, s->unix_fd,
                                          MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_THREAD_POOL_SIZE, 2,
                                          MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
        if (!s->unix_daemon) {
            snprintf(why, why_size, "cannot serve HTTP on %s", unix_path);
            rest_stop(s);
            return -EIO;
        }
    }
    if (https_port) {
        struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(https_port)};
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        s->https_daemon = MHD_start_daemon(flags | MHD_USE_TLS, https_port, NULL, NULL, on_request, s,
                                           MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_HTTPS_MEM_KEY, tls_key_pem,
                                           MHD_OPTION_HTTPS_MEM_CERT, tls_cert_pem, MHD_OPTION_NOTIFY_COMPLETED,
                                           on_completed, s, MHD_OPTION_THREAD_POOL_SIZE, 2,
                                           MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
        if (!s->https_daemon) {
            snprintf(why, why_size, "cannot serve HTTPS on 127.0.0.1:%u (port in use?)", https_port);
            rest_stop(s);
            return -EADDRINUSE;
        }
    }
    *out = s;
    return 0;
}

void rest_stop(struct rest_server *s)
{
    if (!s)
        return;
    if (s->unix_daemon)
        MHD_stop_daemon(s->unix_daemon);
    if (s->https_daemon)
        MHD_stop_daemon(s->https_daemon);
    if (s->attached_daemon)
        MHD_stop_daemon(s->attached_daemon);
    if (s->unix_fd >= 0)
        close(s->unix_fd);
    if (s->unix_path)
        unlink(s->unix_path);
    free(s->unix_path);
    free(s);
}

int rest_serve_attached(struct rest_server *s, const char *ipv4, uint16_t port, const char *tls_key_pem,
                        const char *tls_cert_pem, char *why, size_t why_size)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (s->attached_daemon || inet_pton(AF_INET, ipv4, &addr.sin_addr) != 1) {
        snprintf(why, why_size, "%s is not an IPv4 address (or the device is already attached)", ipv4);
        return -EINVAL;
    }
    s->attached_daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TLS, port, NULL,
                                          NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_HTTPS_MEM_KEY,
                                          tls_key_pem, MHD_OPTION_HTTPS_MEM_CERT, tls_cert_pem,
                                          MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_THREAD_POOL_SIZE, 2,
                                          MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (!s->attached_daemon) {
        snprintf(why, why_size, "cannot serve HTTPS on %s:%u", ipv4, port);
        return -EADDRINUSE;
    }
    return 0;
}
