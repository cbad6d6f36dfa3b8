/* SPDX-License-Identifier: MIT */
/*
 * iot_client.c — IoTHubDeviceClient_LL_* on libmosquitto (azureiot/iothub_device_client_ll.h,
 * AZURE-IOT-API.md §3). One mosquitto object per handle, driven only from DoWork with
 * mosquitto_loop(timeout 0): libmosquitto's callbacks, and so every user callback, run inside
 * DoWork. The connection is remade after any loss (1 s, doubling to 60 s), with clean session 0
 * so that queued C2D messages and unacknowledged telemetry survive it.
 */
#include <errno.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "azureiot/azure_sphere_provisioning.h"
#include "azureiot/iothub.h"
#include "azureiot/iothub_client_options.h"
#include "azureiot/iothub_device_client_ll.h"
#include "azureiot/iothubtransportmqtt.h"
#include "azure_c_shared_utility/shared_util_options.h"
#include "azure_prov_client/iothub_security_factory.h"
#include "iot_codec.h"
#include "iot_internal.h"

#define API_VERSION "2020-09-30"
#define CLIENT_TYPE "opensphere-azureiot%%2F0.1"
#define CONNECT_TIMEOUT_S 10.0
#define RETRY_MIN_S 1.0
#define RETRY_MAX_S 60.0
/* A full-twin GET unanswered this long is sent again: after a broker restart the service may
 * reconnect (and subscribe) after the device, and the first GET is then lost. */
#define TWIN_GET_RETRY_S 5.0

struct TRANSPORT_PROVIDER_TAG {
    int kind;
};
static const TRANSPORT_PROVIDER mqtt_provider = {1};
IOT_EXPORT const TRANSPORT_PROVIDER *MQTT_Protocol(void)
{
    return &mqtt_provider;
}

IOT_EXPORT int IoTHub_Init(void)
{
    return mosquitto_lib_init() == MOSQ_ERR_SUCCESS ? 0 : 1;
}
IOT_EXPORT void IoTHub_Deinit(void)
{
}
IOT_EXPORT int iothub_security_init(IOTHUB_SECURITY_TYPE sec_type)
{
    return sec_type == IOTHUB_SECURITY_TYPE_X509 ? 0 : 1;
}
IOT_EXPORT void iothub_security_deinit(void)
{
}

struct pending_event { /* telemetry waiting for its PUBACK */
    struct pending_event *next;
    char *topic;
    unsigned char *payload;
    size_t size;
    int mid; /* 0: not yet handed to libmosquitto */
    IOTHUB_CLIENT_EVENT_CONFIRMATION_CALLBACK cb;
    void *ctx;
};

struct pending_report { /* a reported-state PATCH waiting for its response */
    struct pending_report *next;
    unsigned char *payload;
    size_t size;
    long rid; /* 0: not yet sent */
    IOTHUB_CLIENT_REPORTED_STATE_CALLBACK cb;
    void *ctx;
};

enum link_state { LINK_IDLE, LINK_CONNECTING, LINK_UP, LINK_WAIT };

struct IOTHUB_CLIENT_CORE_LL_HANDLE_DATA_TAG {
    char host[256];
    int port;
    char device_id[256];
    char *cert_pem, *key_pem, *trusted_pem, *model_id;
    bool model_set, url_encode;
    int keepalive;
    struct mosquitto *mosq;
    SSL_CTX *ssl;
    enum link_state state;
    double deadline, retry_delay;
    IOTHUB_CLIENT_CONNECTION_STATUS_CALLBACK status_cb;
    void *status_ctx;
    IOTHUB_CLIENT_DEVICE_TWIN_CALLBACK twin_cb;
    void *twin_ctx;
    IOTHUB_CLIENT_DEVICE_METHOD_CALLBACK_ASYNC method_cb;
    void *method_ctx;
    IOTHUB_CLIENT_MESSAGE_CALLBACK_ASYNC message_cb;
    void *message_ctx;
    struct pending_event *events;
    struct pending_report *reports;
    int twin_sub_mid;
    long twin_get_rid; /* the full-twin GET in flight, 0 when none */
    double twin_get_sent;
    long next_rid;
};

static void report_status(IOTHUB_DEVICE_CLIENT_LL_HANDLE h, IOTHUB_CLIENT_CONNECTION_STATUS s,
                          IOTHUB_CLIENT_CONNECTION_STATUS_REASON r)
{
    if (h->status_cb)
        h->status_cb(s, r, h->status_ctx);
}

/* ---- creation ---- */

static IOTHUB_DEVICE_CLIENT_LL_HANDLE client_new(const char *host_uri, const char *device_id)
{
    IOTHUB_DEVICE_CLIENT_LL_HANDLE h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    if (iot_split_host(host_uri, h->host, sizeof h->host, &h->port) != 0 || !strchr(h->host, '.') ||
        strlen(device_id) >= sizeof h->device_id) {
        free(h);
        return NULL;
    }
    strcpy(h->device_id, device_id);
    h->keepalive = 240;
    h->url_encode = false;
    h->retry_delay = RETRY_MIN_S;
    h->next_rid = 1;
    mosquitto_lib_init();
    return h;
}

IOT_EXPORT IOTHUB_DEVICE_CLIENT_LL_HANDLE IoTHubDeviceClient_LL_CreateWithAzureSphereFromDeviceAuth(
    const char *iothub_uri, IOTHUB_CLIENT_TRANSPORT_PROVIDER protocol)
{
    char id[256];
    if (!iothub_uri || !protocol || iot_certificate_cn(NULL, id, sizeof id) != 0)
        return NULL;
    return client_new(iothub_uri, id);
}

/* "HostName=h;DeviceId=d;x509=true" → h, d. */
static int connection_string_field(const char *cs, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    for (const char *p = cs; p && *p; p = strchr(p, ';') ? strchr(p, ';') + 1 : NULL) {
        if (!strncmp(p, key, klen) && p[klen] == '=') {
            size_t len = strcspn(p + klen + 1, ";");
            if (len == 0 || len >= cap)
                return -EINVAL;
            memcpy(out, p + klen + 1, len);
            out[len] = '\0';
            return 0;
        }
    }
    return -ENOENT;
}

IOT_EXPORT IOTHUB_DEVICE_CLIENT_LL_HANDLE IoTHubDeviceClient_LL_CreateFromConnectionString(const char *connectionString,
                                                                                           IOTHUB_CLIENT_TRANSPORT_PROVIDER protocol)
{
    char host[256], id[256], x509[8], key[8];
    if (!connectionString || !protocol || connection_string_field(connectionString, "HostName", host, sizeof host) ||
        connection_string_field(connectionString, "DeviceId", id, sizeof id))
        return NULL;
    if (connection_string_field(connectionString, "SharedAccessKey", key, sizeof key) != -ENOENT) {
        fprintf(stderr, "azureiot: shared access keys are not supported: use x509=true (docs/iot.md)\n");
        return NULL;
    }
    if (connection_string_field(connectionString, "x509", x509, sizeof x509) || strcmp(x509, "true"))
        return NULL;
    return client_new(host, id);
}

/* ---- options and callbacks ---- */

static int replace_string(char **slot, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return -ENOMEM;
    free(*slot);
    *slot = copy;
    return 0;
}

IOT_EXPORT IOTHUB_CLIENT_RESULT IoTHubDeviceClient_LL_SetOption(IOTHUB_DEVICE_CLIENT_LL_HANDLE h, const char *name,
                                                                const void *value)
{
    if (!h || !name || !value)
        return IOTHUB_CLIENT_INVALID_ARG;
    if (!strcmp(name, "SetDeviceId"))
        return IOTHUB_CLIENT_OK; /* the DAA certificate is always presented */
    if (!strcmp(name, OPTION_AUTO_URL_ENCODE_DECODE)) {
        h->url_encode = *(const bool *)value;
        return IOTHUB_CLIENT_OK;
    }
    if (!strcmp(name, OPTION_MODEL_ID)) {
        if (h->model_set || h->state != LINK_IDLE || h->mosq)
            return IOTHUB_CLIENT_ERROR;
        h->model_set = true;
        return replace_string(&h->model_id, value) ? IOTHUB_CLIENT_ERROR : IOTHUB_CLIENT_OK;
    }
    if (!strcmp(name, OPTION_KEEP_ALIVE)) {
        int k = *(const int *)value;
        if (k < 5 || k > 65535)
            return IOTHUB_CLIENT_INVALID_ARG;
        h->keepalive = k;
        return IOTHUB_CLIENT_OK;
    }
    if (!strcmp(name, OPTION_LOG_TRACE) || !strcmp(name, OPTION_MESSAGE_TIMEOUT))
        return IOTHUB_CLIENT_OK;
    char **slot = !strcmp(name, OPTION_TRUSTED_CERT)       ? &h->trusted_pem
                  : !strcmp(name, OPTION_X509_CERT)        ? &h->cert_pem
                  : !strcmp(name, OPTION_X509_PRIVATE_KEY) ? &h->key_pem
                                                           : NULL;
    if (!slot)
        return IOTHUB_CLIENT_INVALID_ARG;
    if (h->ssl) { /* credentials changed: build the context again at the next connection */
        SSL_CTX_free(h->ssl);
        h->ssl = NULL;
    }
    return replace_string(slot, value) ? IOTHUB_CLIENT_ERROR : IOTHUB_CLIENT_OK;
}

IOT_EXPORT IOTHUB_CLIENT_RESULT IoTHubDeviceClient_LL_SetConnectionStatusCallback(IOTHUB_DEVICE_CLIENT_LL_HANDLE h,
                                                                                  IOTHUB_CLIENT_CONNECTION_STATUS_CALLBACK cb,
                                                                                  void *ctx)
{
    if (!h)
        return IOTHUB_CLIENT_INVALID_ARG;
    h->status_cb = cb, h->status_ctx = ctx;
    return IOTHUB_CLIENT_OK;
}

IOT_EXPORT IOTHUB_CLIENT_RESULT IoTHubDeviceClient_LL_SetDeviceTwinCallback(IOTHUB_DEVICE_CLIENT_LL_HANDLE h,
                                                                            IOTHUB_CLIENT_DEVICE_TWIN_CALLBACK cb, void *ctx)
{
    if (!h)
        return IOTHUB_CLIENT_INVALID_ARG;
    h->twin_cb = cb, h->twin_ctx = ctx;
    return IOTHUB_CLIENT_OK;
}

IOT_EXPORT IOTHUB_CLIENT_RESULT IoTHubDeviceClient_LL_SetDeviceMethodCallback(IOTHUB_DEVICE_CLIENT_LL_HANDLE h,
                                                                              IOTHUB_CLIENT_DEVICE_METHOD_CALLBACK_ASYNC cb,
                                                                              void *ctx)
{
    if (!h)
        return IOTHUB_CLIENT_INVALID_ARG;
    h->method_cb = cb, h->method_ctx = ctx;
    return IOTHUB_CLIENT_OK;
}

IOT_EXPORT IOTHUB_CLIENT_RESULT IoTHubDeviceClient_LL_SetMessageCallback(IOTHUB_DEVICE_CLIENT_LL_HANDLE h,
                                                                         IOTHUB_CLIENT_MESSAGE_CALLBACK_ASYNC cb, void *ctx)
{
    if (!h)
        return IOTHUB_CLIENT_INVALID_ARG;
    h->message_cb = cb, h->message_ctx = ctx;
    return IOTHUB_CLIENT_OK;
}

/* ---- sending ---- */

static int append_text(char *out, size_t cap, size_t *len, const char *text, bool encode)
{
    if (encode)
        return iot_url_encode(text, out, cap, len);
    size_t n = strlen(text);
    if (*len + n >= cap)
        return -ENOSPC;
    memcpy(out + *len, text, n + 1);
    *len += n;
    return 0;
}

/* Appends "[&]key=value"; the key is encoded when encode_key, the value when encode. */
static int append_pair(char *out, size_t cap, size_t *len, const char *key, bool encode_key, const char *value, bool encode)
{
    int err = out[*len - 1] != '/' ? append_text(out, cap, len, "&", false) : 0;
    err = err ? err : append_text(out, cap, len, key, encode_key);
    err = err ? err : append_text(out, cap, len, "=", false);
    return err ? err : append_text(out, cap, len, value, encode);
}

/* devices/<id>/messages/events/<application properties>&<system properties>. */
static int telemetry_topic(IOTHUB_DEVICE_CLIENT_LL_HANDLE h, IOTHUB_MESSAGE_HANDLE m, char *out, size_t cap)
{
    int n = snprintf(out, cap, "devices/%s/messages/events/", h->device_id);
    if (n < 0 || (size_t)n >= cap)
        return -ENOSPC;
    size_t len = (size_t)n;
    int err = 0;
    for (size_t i = 0; !err && i < m->nprops; i++)
        err = append_pair(out, cap, &len, m->props[i].key, h->url_encode, m->props[i].value, h->url_encode);
    const struct {
        const char *name, *value;
    } sys[] = {{"%24.cid", m->correlation_id}, {"%24.mid", m->message_id}, {"%24.ct", m->content_type},
               {"%24.ce", m->content_encoding}};
    for (size_t i = 0; !err && i < sizeof sys / sizeof sys[0]; i++)
        if (sys[i].value)
            err = append_pair(out, cap, &len, sys[i].name, false, sys[i].value, true);
    return err;
}

IOT_EXPORT IOTHUB_CLIENT_RESULT IoTHubDeviceClient_LL_SendEventAsync(IOTHUB_DEVICE_CLIENT_LL_HANDLE h, IOTHUB_MESSAGE_HANDLE m,
                                                                     IOTHUB_CLIENT_EVENT_CONFIRMATION_CALLBACK cb, void *ctx)
{
    if (!h || !m)
        return IOTHUB_CLIENT_INVALID_ARG;
    char topic[IOT_MAX_TOPIC];
    if (telemetry_topic(h, m, topic, sizeof topic) != 0)
        return IOTHUB_CLIENT_INVALID_SIZE;
    struct pending_event *e = calloc(1, sizeof *e);
    if (e) {
        e->topic = strdup(topic);
        e->payload = malloc(m->size ? m->size : 1);
    }
    if (!e || !e->topic || !e->payload) {
        if (e)
            free(e->topic), free(e->payload);
        free(e);
        return IOTHUB_CLIENT_ERROR;
    }
    memcpy(e->payload, m->body, m->size);
    e->size = m->size;
    e->cb = cb, e->ctx = ctx;
    struct pending_event **tail = &h->events;
    while (*tail)
        tail = &(*tail)->next;
    *tail = e;
    return IOTHUB_CLIENT_OK;
}

IOT_EXPORT IOTHUB_CLIENT_RESULT IoTHubDeviceClient_LL_SendReportedState(IOTHUB_DEVICE_CLIENT_LL_HANDLE h,
                                                                        const unsigned char *state, size_t size,
                                                                        IOTHUB_CLIENT_REPORTED_STATE_CALLBACK cb, void *ctx)
{
    if (!h || !state || size == 0)
        return IOTHUB_CLIENT_INVALID_ARG;
    struct pending_report *r = calloc(1, sizeof *r);
    if (r)
        r->payload = malloc(size);
    if (!r || !r->payload) {
        free(r);
        return IOTHUB_CLIENT_ERROR;
    }
    memcpy(r->payload, state, size);
    r->size = size;
    r->cb = cb, r->ctx = ctx;
    struct pending_report **tail = &h->reports;
    while (*tail)
        tail = &(*tail)->next;
    *tail = r;
    return IOTHUB_CLIENT_OK;
}

/* IoT Hub's own topics: $iothub/… is scoped by the connection (docs/iot.md). */
static int publish(IOTHUB_DEVICE_CLIENT_LL_HANDLE h, int *mid, const char *topic, size_t size, const void *payload, int qos)
{
    return mosquitto_publish(h->mosq, mid, topic, (int)size, payload, qos, false) == MOSQ_ERR_SUCCESS ? 0 : -EIO;
}

static long next_rid(IOTHUB_DEVICE_CLIENT_LL_HANDLE h)
{
    long rid = h->next_rid++;
    if (h->next_rid > 65535)
        h->next_rid = 1;
    return rid;
}

static void request_full_twin(IOTHUB_DEVICE_CLIENT_LL_HANDLE h)
{
    char topic[64];
    h->twin_get_rid = next_rid(h);
    h->twin_get_sent = iot_now();
    snprintf(topic, sizeof topic, "$iothub/twin/GET/?$rid=%ld", h->twin_get_rid);
    if (publish(h, NULL, topic, 0, NULL, 0) != 0)
        h->twin_get_rid = 0;
}

/* Hands what is queued to libmosquitto (connected only). */
static void flush_queues(IOTHUB_DEVICE_CLIENT_LL_HANDLE h)
{
    if (h->twin_get_rid && iot_now() - h->twin_get_sent > TWIN_GET_RETRY_S)
        request_full_twin(h);
    for (struct pending_event *e = h->events; e; e = e->next)
        if (e->mid == 0 && publish(h, &e->mid, e->topic, e->size, e->payload, 1) != 0)
            e->mid = 0;
    for (struct pending_report *r = h->reports; r; r = r->next) {
        if (r->rid)
            continue;
        char topic[80];
        r->rid = next_rid(h);
        snprintf(topic, sizeof topic, "$iothub/twin/PATCH/properties/reported/?$rid=%ld", r->rid);
        if (publish(h, NULL, topic, r->size, r->payload, 0) != 0)
            r->rid = 0;
    }
}

/* ---- receiving (libmosquitto callbacks, inside DoWork) ---- */

static void on_publish(struct mosquitto *mosq, void *obj, int mid)
{
    IOTHUB_DEVICE_CLIENT_LL_HANDLE h = obj;
    for (struct pending_event **p = &h->events; *p; p = &(*p)->next) {
        struct pending_event *e = *p;
        if (e->mid != mid)
            continue;
        *p = e->next;
        if (e->cb)
            e->cb(IOTHUB_CLIENT_CONFIRMATION_OK, e->ctx);
        free(e->topic), free(e->payload), free(e);
        return;
    }
}

static void on_twin_response(IOTHUB_DEVICE_CLIENT_LL_HANDLE h, const char *topic, const struct mosquitto_message *msg)
{
    int status = 0;
    long rid = iot_topic_number(topic, "$rid=");
    if (iot_topic_status(topic, "$iothub/twin/res/", &status) != 0 || rid <= 0)
        return;
    if (rid == h->twin_get_rid) {
        h->twin_get_rid = 0;
        if (h->twin_cb && status >= 200 && status < 300)
            h->twin_cb(DEVICE_TWIN_UPDATE_COMPLETE, msg->payload, (size_t)msg->payloadlen, h->twin_ctx);
        return;
    }
    for (struct pending_report **p = &h->reports; *p; p = &(*p)->next) {
        struct pending_report *r = *p;
        if (r->rid != rid)
            continue;
        *p = r->next;
        if (r->cb)
            r->cb(status, r->ctx);
        free(r->payload), free(r);
        return;
    }
}

static void on_method(IOTHUB_DEVICE_CLIENT_LL_HANDLE h, const char *topic, const struct mosquitto_message *msg)
{
    char name[256], rid[128];
    if (!h->method_cb || iot_method_topic(topic, name, sizeof name, rid, sizeof rid) != 0)
        return;
    unsigned char *response = NULL;
    size_t response_size = 0;
    int status = h->method_cb(name, msg->payload, (size_t)msg->payloadlen, &response, &response_size, h->method_ctx);
    if (response && response_size) {
        char reply[300];
        snprintf(reply, sizeof reply, "$iothub/methods/res/%d/?$rid=%s", status, rid);
        publish(h, NULL, reply, response_size, response, 0);
    }
    free(response);
}

struct c2d_build {
    IOTHUB_MESSAGE_HANDLE m;
    int err;
};

static int c2d_pair(void *ctx, const char *key, const char *value)
{
    struct c2d_build *b = ctx;
    static const char *const ignored[] = {"$.to", "$.exp", "$.on", "iothub-ack", "iothub-operation", "$.uid", "$.cdid",
                                          "$.cmid", "$.ctime"};
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        if (!strcmp(key, ignored[i]))
            return 0;
    if (!strncmp(key, "$.", 2))
        return iot_message_set_system(b->m, key + 2, value);
    return IoTHubMessage_SetProperty(b->m, key, value) == IOTHUB_MESSAGE_OK ? 0 : -EINVAL;
}

static void on_c2d(IOTHUB_DEVICE_CLIENT_LL_HANDLE h, const char *topic, const struct mosquitto_message *msg)
{
    const char *bag = strstr(topic, "/messages/devicebound/");
    if (!h->message_cb || !bag)
        return;
    bag += strlen("/messages/devicebound/");
    struct c2d_build b = {IoTHubMessage_CreateFromByteArray(msg->payload, (size_t)msg->payloadlen), 0};
    if (!b.m)
        return;
    /* $.xx system names arrive as %24.xx: always decoded; values decoded when asked. */
    char *decoded = NULL;
    size_t cap = strlen(bag) + 1;
    if (!h->url_encode) {
        decoded = malloc(cap);
        /* Decode only the %24 of system names, keeping the rest as sent. */
        size_t o = 0;
        for (const char *p = bag; decoded && *p;)
            if (!strncmp(p, "%24", 3) && (p == bag || p[-1] == '&'))
                decoded[o++] = '$', p += 3;
            else
                decoded[o++] = *p++;
        if (decoded)
            decoded[o] = '\0';
    }
    if (iot_property_bag(decoded ? decoded : bag, h->url_encode, c2d_pair, &b) == 0)
        h->message_cb(b.m, h->message_ctx); /* the disposition: libmosquitto acknowledges every message */
    free(decoded);
    IoTHubMessage_Destroy(b.m);
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg)
{
    IOTHUB_DEVICE_CLIENT_LL_HANDLE h = obj;
    const char *topic = msg->topic;
    if (!strncmp(topic, "$iothub/twin/res/", 17))
        on_twin_response(h, topic, msg);
    else if (!strncmp(topic, "$iothub/twin/PATCH/properties/desired/", 38)) {
        if (h->twin_cb)
            h->twin_cb(DEVICE_TWIN_UPDATE_PARTIAL, msg->payload, (size_t)msg->payloadlen, h->twin_ctx);
    } else if (!strncmp(topic, "$iothub/methods/POST/", 21))
        on_method(h, topic, msg);
    else if (!strncmp(topic, "devices/", 8))
        on_c2d(h, topic, msg);
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int qos_count, const int *granted)
{
    IOTHUB_DEVICE_CLIENT_LL_HANDLE h = obj;
    if (mid == h->twin_sub_mid && h->twin_cb)
        request_full_twin(h);
}

static void subscribe_all(IOTHUB_DEVICE_CLIENT_LL_HANDLE h)
{
    char c2d[300];
    snprintf(c2d, sizeof c2d, "devices/%s/messages/devicebound/#", h->device_id);
    if (h->message_cb)
        mosquitto_subscribe(h->mosq, NULL, c2d, 1);
    if (h->twin_cb) {
        char *const twin[] = {"$iothub/twin/res/#", "$iothub/twin/PATCH/properties/desired/#"};
        mosquitto_subscribe_multiple(h->mosq, &h->twin_sub_mid, 2, twin, 0, 0, NULL);
    }
    if (h->method_cb)
        mosquitto_subscribe(h->mosq, NULL, "$iothub/methods/POST/#", 0);
}

static void schedule_retry(IOTHUB_DEVICE_CLIENT_LL_HANDLE h)
{
    h->state = LINK_WAIT;
    h->deadline = iot_now() + h->retry_delay;
    h->retry_delay = h->retry_delay * 2 > RETRY_MAX_S ? RETRY_MAX_S : h->retry_delay * 2;
    h->twin_get_rid = 0;
    /* Reported states not yet answered are sent again on the next connection. */
    for (struct pending_report *r = h->reports; r; r = r->next)
        r->rid = 0;
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
    IOTHUB_DEVICE_CLIENT_LL_HANDLE h = obj;
    if (rc != 0) {
        mosquitto_disconnect(h->mosq);
        schedule_retry(h);
        h->deadline += 4.0; /* refused: no hurry */
        report_status(h, IOTHUB_CLIENT_CONNECTION_UNAUTHENTICATED,
                      rc == 3 ? IOTHUB_CLIENT_CONNECTION_DEVICE_DISABLED : IOTHUB_CLIENT_CONNECTION_BAD_CREDENTIAL);
        return;
    }
    h->state = LINK_UP;
    h->retry_delay = RETRY_MIN_S;
    subscribe_all(h);
    report_status(h, IOTHUB_CLIENT_CONNECTION_AUTHENTICATED, IOTHUB_CLIENT_CONNECTION_OK);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
    IOTHUB_DEVICE_CLIENT_LL_HANDLE h = obj;
    if (h->state != LINK_UP)
        return;
    schedule_retry(h);
    report_status(h, IOTHUB_CLIENT_CONNECTION_UNAUTHENTICATED,
                  rc == MOSQ_ERR_KEEPALIVE ? IOTHUB_CLIENT_CONNECTION_NO_PING_RESPONSE : IOTHUB_CLIENT_CONNECTION_COMMUNICATION_ERROR);
}

/* ---- the connection ---- */

static int setup(IOTHUB_DEVICE_CLIENT_LL_HANDLE h)
{
    char why[256];
    if (!h->ssl) {
        struct iot_tls_config tc = {h->cert_pem, h->key_pem, h->trusted_pem, h->host};
        if (!(h->ssl = iot_tls_context(&tc, why, sizeof why))) {
            fprintf(stderr, "azureiot: %s\n", why);
            return -EINVAL;
        }
        if (h->mosq) {
            mosquitto_void_option(h->mosq, MOSQ_OPT_SSL_CTX, h->ssl);
        }
    }
    if (h->mosq)
        return 0;
    h->mosq = mosquitto_new(h->device_id, false, h);
    if (!h->mosq)
        return -ENOMEM;
    char user[1024];
    size_t len = (size_t)snprintf(user, sizeof user, "%s/%s/?api-version=" API_VERSION "&DeviceClientType=" CLIENT_TYPE,
                                  h->host, h->device_id);
    if (h->model_set) {
        const char *key = "&model-id=";
        memcpy(user + len, key, strlen(key) + 1);
        len += strlen(key);
        iot_url_encode(h->model_id, user, sizeof user, &len);
    }
    mosquitto_int_option(h->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_int_option(h->mosq, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
    mosquitto_void_option(h->mosq, MOSQ_OPT_SSL_CTX, h->ssl);
    mosquitto_username_pw_set(h->mosq, user, NULL);
    mosquitto_connect_callback_set(h->mosq, on_connect);
    mosquitto_disconnect_callback_set(h->mosq, on_disconnect);
    mosquitto_publish_callback_set(h->mosq, on_publish);
    mosquitto_message_callback_set(h->mosq, on_message);
    mosquitto_subscribe_callback_set(h->mosq, on_subscribe);
    return 0;
}

static void start_connect(IOTHUB_DEVICE_CLIENT_LL_HANDLE h, bool first)
{
    int rc = setup(h);
    if (rc == 0)
        rc = first ? mosquitto_connect_async(h->mosq, h->host, h->port, h->keepalive)
                   : mosquitto_reconnect_async(h->mosq);
    if (rc != 0) {
        schedule_retry(h);
        report_status(h, IOTHUB_CLIENT_CONNECTION_UNAUTHENTICATED, IOTHUB_CLIENT_CONNECTION_NO_NETWORK);
        return;
    }
    h->state = LINK_CONNECTING;
    h->deadline = iot_now() + CONNECT_TIMEOUT_S;
}

IOT_EXPORT void IoTHubDeviceClient_LL_DoWork(IOTHUB_DEVICE_CLIENT_LL_HANDLE h)
{
    if (!h)
        return;
    double now = iot_now();
    if (h->state == LINK_IDLE)
        start_connect(h, true);
    else if (h->state == LINK_WAIT && now >= h->deadline)
        start_connect(h, false);
    if (h->state == LINK_CONNECTING && now >= h->deadline) { /* a connection that hangs still ends */
        mosquitto_disconnect(h->mosq);
        schedule_retry(h);
        report_status(h, IOTHUB_CLIENT_CONNECTION_UNAUTHENTICATED, IOTHUB_CLIENT_CONNECTION_NO_NETWORK);
    }
    if (h->state == LINK_UP)
        flush_queues(h);
    if (h->state == LINK_CONNECTING || h->state == LINK_UP) {
        for (int i = 0; i < 8; i++) {
            enum link_state before = h->state;
            int rc = mosquitto_loop(h->mosq, 0, 1);
            /* libmosquitto may close a socket whose connection failed and still say success. */
            if (rc == MOSQ_ERR_SUCCESS && h->state == LINK_CONNECTING && mosquitto_socket(h->mosq) < 0)
                rc = MOSQ_ERR_NO_CONN;
            if (rc != MOSQ_ERR_SUCCESS) {
                if (h->state == before && (before == LINK_CONNECTING || before == LINK_UP)) {
                    bool was_up = before == LINK_UP;
                    schedule_retry(h);
                    report_status(h, IOTHUB_CLIENT_CONNECTION_UNAUTHENTICATED,
                                  !was_up ? IOTHUB_CLIENT_CONNECTION_NO_NETWORK
                                  : rc == MOSQ_ERR_KEEPALIVE ? IOTHUB_CLIENT_CONNECTION_NO_PING_RESPONSE
                                                             : IOTHUB_CLIENT_CONNECTION_COMMUNICATION_ERROR);
                }
                break;
            }
            if (h->state != LINK_UP)
                break;
            flush_queues(h);
            if (mosquitto_want_write(h->mosq) == false && i > 0)
                break;
        }
    }
}

IOT_EXPORT void IoTHubDeviceClient_LL_Destroy(IOTHUB_DEVICE_CLIENT_LL_HANDLE h)
{
    if (!h)
        return;
    if (h->mosq) {
        if (h->state == LINK_UP) {
            h->state = LINK_IDLE;
            mosquitto_disconnect(h->mosq);
            mosquitto_loop(h->mosq, 0, 1);
        }
        mosquitto_destroy(h->mosq);
    }
    while (h->events) {
        struct pending_event *e = h->events;
        h->events = e->next;
        if (e->cb)
            e->cb(IOTHUB_CLIENT_CONFIRMATION_BECAUSE_DESTROY, e->ctx);
        free(e->topic), free(e->payload), free(e);
    }
    while (h->reports) {
        struct pending_report *r = h->reports;
        h->reports = r->next;
        if (r->cb)
            r->cb(0, r->ctx);
        free(r->payload), free(r);
    }
    SSL_CTX_free(h->ssl);
    free(h->cert_pem), free(h->key_pem), free(h->trusted_pem), free(h->model_id);
    free(h);
}
