/* SPDX-License-Identifier: MIT */
/*
 * iot_prov.c — Prov_Device_LL_* (azure_prov_client/prov_device_ll_client.h, AZURE-IOT-API.md §4)
 * on libmosquitto, driven from Prov_Device_LL_DoWork like the hub client: register, then poll
 * the operation every retry-after seconds until it is assigned or fails; 429 and 5xx repeat the
 * same request. The register callback fires exactly once, from DoWork; never from _Destroy.
 */
#include <errno.h>
#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "azureiot/azure_sphere_provisioning.h"
#include "azureiot/iothubtransportmqtt.h"
#include "azure_c_shared_utility/shared_util_options.h"
#include "azure_prov_client/prov_device_ll_client.h"
#include "azure_prov_client/prov_security_factory.h"
#include "azure_prov_client/prov_transport_mqtt_client.h"
#include "iot_codec.h"
#include "iot_internal.h"

#define DPS_API_VERSION "2019-03-31"
#define DPS_GLOBAL_HOST "global.azure-devices-provisioning.net"

struct PROV_DEVICE_TRANSPORT_PROVIDER_TAG {
    int kind;
};
static const PROV_DEVICE_TRANSPORT_PROVIDER prov_mqtt = {2};
IOT_EXPORT const PROV_DEVICE_TRANSPORT_PROVIDER *Prov_Device_MQTT_Protocol(void)
{
    return &prov_mqtt;
}
IOT_EXPORT int prov_dev_security_init(SECURE_DEVICE_TYPE hsm_type)
{
    return hsm_type == SECURE_DEVICE_TYPE_X509 ? 0 : 1;
}
IOT_EXPORT void prov_dev_security_deinit(void)
{
}

enum prov_state { PROV_IDLE, PROV_CONNECTING, PROV_SUBSCRIBING, PROV_WAITING, PROV_SLEEPING, PROV_DONE };

struct PROV_INSTANCE_INFO_TAG {
    char host[256], scope[128], registration_id[256];
    int port;
    char *payload, *trusted_pem, *cert_pem, *key_pem;
    double timeout_s, started, wake_at;
    enum prov_state state;
    bool armed, polling; /* polling: the next request is the operation-status GET */
    char operation_id[128];
    long rid;
    struct mosquitto *mosq;
    SSL_CTX *ssl;
    PROV_DEVICE_CLIENT_REGISTER_DEVICE_CALLBACK cb;
    void *cb_ctx;
    PROV_DEVICE_CLIENT_REGISTER_STATUS_CALLBACK status_cb;
    void *status_ctx;
};

IOT_EXPORT PROV_DEVICE_LL_HANDLE Prov_Device_LL_Create(const char *uri, const char *scope_id,
                                                       PROV_DEVICE_TRANSPORT_PROVIDER_FUNCTION protocol)
{
    if (!uri || !scope_id || !protocol || strlen(scope_id) >= 128)
        return NULL;
    PROV_DEVICE_LL_HANDLE p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    if (iot_split_host(uri, p->host, sizeof p->host, &p->port) != 0) {
        free(p);
        return NULL;
    }
    strcpy(p->scope, scope_id);
    p->timeout_s = 60;
    mosquitto_lib_init();
    return p;
}

static int replace(char **slot, const char *v)
{
    char *c = strdup(v);
    if (!c)
        return -ENOMEM;
    free(*slot);
    *slot = c;
    return 0;
}

IOT_EXPORT PROV_DEVICE_RESULT Prov_Device_LL_SetOption(PROV_DEVICE_LL_HANDLE p, const char *name, const void *value)
{
    if (!p || !name || !value)
        return PROV_DEVICE_RESULT_INVALID_ARG;
    if (!strcmp(name, "SetDeviceId") || !strcmp(name, PROV_OPTION_LOG_TRACE))
        return PROV_DEVICE_RESULT_OK;
    if (!strcmp(name, PROV_OPTION_TIMEOUT)) {
        long t = *(const long *)value;
        if (t <= 0)
            return PROV_DEVICE_RESULT_INVALID_ARG;
        p->timeout_s = (double)t;
        return PROV_DEVICE_RESULT_OK;
    }
    if (!strcmp(name, PROV_REGISTRATION_ID)) {
        if (strlen(value) >= sizeof p->registration_id)
            return PROV_DEVICE_RESULT_INVALID_ARG;
        strcpy(p->registration_id, value);
        return PROV_DEVICE_RESULT_OK;
    }
    char **slot = !strcmp(name, OPTION_TRUSTED_CERT)       ? &p->trusted_pem
                  : !strcmp(name, OPTION_X509_CERT)        ? &p->cert_pem
                  : !strcmp(name, OPTION_X509_PRIVATE_KEY) ? &p->key_pem
                                                           : NULL;
    if (!slot)
        return PROV_DEVICE_RESULT_INVALID_ARG;
    return replace(slot, value) ? PROV_DEVICE_RESULT_MEMORY : PROV_DEVICE_RESULT_OK;
}

IOT_EXPORT PROV_DEVICE_RESULT Prov_Device_LL_Set_Provisioning_Payload(PROV_DEVICE_LL_HANDLE p, const char *json)
{
    if (!p || !json)
        return PROV_DEVICE_RESULT_INVALID_ARG;
    return replace(&p->payload, json) ? PROV_DEVICE_RESULT_MEMORY : PROV_DEVICE_RESULT_OK;
}

IOT_EXPORT PROV_DEVICE_RESULT Prov_Device_LL_Register_Device(PROV_DEVICE_LL_HANDLE p, PROV_DEVICE_CLIENT_REGISTER_DEVICE_CALLBACK cb,
                                                             void *ctx, PROV_DEVICE_CLIENT_REGISTER_STATUS_CALLBACK status_cb,
                                                             void *status_ctx)
{
    if (!p || !cb)
        return PROV_DEVICE_RESULT_INVALID_ARG;
    if (p->armed)
        return PROV_DEVICE_RESULT_INVALID_STATE;
    if (!p->registration_id[0] && iot_certificate_cn(p->cert_pem, p->registration_id, sizeof p->registration_id) != 0)
        return PROV_DEVICE_RESULT_DEV_AUTH_ERROR;
    p->cb = cb, p->cb_ctx = ctx, p->status_cb = status_cb, p->status_ctx = status_ctx;
    p->armed = true;
    p->started = iot_now();
    return PROV_DEVICE_RESULT_OK;
}

static void finish(PROV_DEVICE_LL_HANDLE p, PROV_DEVICE_RESULT result, const char *hub, const char *device)
{
    if (p->state == PROV_DONE)
        return;
    p->state = PROV_DONE;
    if (p->mosq)
        mosquitto_disconnect(p->mosq);
    p->cb(result, hub, device, p->cb_ctx);
}

static void status(PROV_DEVICE_LL_HANDLE p, PROV_DEVICE_REG_STATUS s)
{
    if (p->status_cb)
        p->status_cb(s, p->status_ctx);
}

static void send_request(PROV_DEVICE_LL_HANDLE p)
{
    char topic[512], body[1024];
    p->rid++;
    if (p->polling)
        snprintf(topic, sizeof topic, "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=%ld&operationId=%s", p->rid,
                 p->operation_id);
    else
        snprintf(topic, sizeof topic, "$dps/registrations/PUT/iotdps-register/?$rid=%ld", p->rid);
    int n = p->payload ? snprintf(body, sizeof body, "{\"registrationId\":\"%s\",\"payload\":%s}", p->registration_id, p->payload)
                       : snprintf(body, sizeof body, "{\"registrationId\":\"%s\"}", p->registration_id);
    if (n < 0 || (size_t)n >= sizeof body || mosquitto_publish(p->mosq, NULL, topic, n, body, 0, false) != MOSQ_ERR_SUCCESS) {
        finish(p, PROV_DEVICE_RESULT_TRANSPORT, NULL, NULL);
        return;
    }
    p->state = PROV_WAITING;
}

static void sleep_then_request(PROV_DEVICE_LL_HANDLE p, const char *topic)
{
    long after = iot_topic_number(topic, "retry-after=");
    if (after < 1 || after > 300)
        after = 1;
    p->state = PROV_SLEEPING;
    p->wake_at = iot_now() + (double)after;
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg)
{
    PROV_DEVICE_LL_HANDLE p = obj;
    const char *topic = msg->topic; /* DPS's own topics, scoped by the connection (docs/iot.md) */
    int code = 0;
    if (p->state != PROV_WAITING || iot_topic_status(topic, "$dps/registrations/res/", &code) != 0)
        return;
    if (iot_topic_number(topic, "$rid=") != p->rid)
        return;
    if (code >= 429) { /* throttled or a server error: the same request again */
        sleep_then_request(p, topic);
        return;
    }
    struct iot_dps_reply r;
    int err = iot_dps_parse(msg->payload, (size_t)msg->payloadlen, &r);
    if (err == -EINVAL) {
        finish(p, PROV_DEVICE_RESULT_PARSING, NULL, NULL);
        return;
    }
    if (err == -EBADMSG) {
        finish(p, PROV_DEVICE_RESULT_PARSING, NULL, NULL);
        return;
    }
    switch (r.state) {
    case IOT_DPS_ASSIGNING:
        if (!r.operation_id[0]) {
            finish(p, PROV_DEVICE_RESULT_DEV_AUTH_ERROR, NULL, NULL);
            return;
        }
        strcpy(p->operation_id, r.operation_id);
        p->polling = true;
        status(p, PROV_DEVICE_REG_STATUS_ASSIGNING);
        sleep_then_request(p, topic);
        break;
    case IOT_DPS_ASSIGNED:
        status(p, PROV_DEVICE_REG_STATUS_ASSIGNED);
        finish(p, PROV_DEVICE_RESULT_OK, r.assigned_hub, r.device_id);
        break;
    case IOT_DPS_DISABLED:
        finish(p, PROV_DEVICE_RESULT_DISABLED, NULL, NULL);
        break;
    case IOT_DPS_BLACKLISTED:
        finish(p, PROV_DEVICE_RESULT_ERROR, NULL, NULL);
        break;
    case IOT_DPS_FAILED:
        finish(p, r.error_code == 400208   ? PROV_DEVICE_RESULT_HUB_NOT_SPECIFIED
                  : r.error_code == 400209 ? PROV_DEVICE_RESULT_UNAUTHORIZED
                                           : PROV_DEVICE_RESULT_DEV_AUTH_ERROR,
               NULL, NULL);
        break;
    }
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
    PROV_DEVICE_LL_HANDLE p = obj;
    if (rc != 0) {
        finish(p, PROV_DEVICE_RESULT_DEV_AUTH_ERROR, NULL, NULL);
        return;
    }
    status(p, PROV_DEVICE_REG_STATUS_CONNECTED);
    if (mosquitto_subscribe(p->mosq, NULL, "$dps/registrations/res/#", 1) != MOSQ_ERR_SUCCESS)
        finish(p, PROV_DEVICE_RESULT_TRANSPORT, NULL, NULL);
    else
        p->state = PROV_SUBSCRIBING;
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int n, const int *granted)
{
    PROV_DEVICE_LL_HANDLE p = obj;
    if (p->state == PROV_SUBSCRIBING) {
        status(p, PROV_DEVICE_REG_STATUS_REGISTERING);
        send_request(p);
    }
}

static int connect_start(PROV_DEVICE_LL_HANDLE p)
{
    char why[256], user[600];
    struct iot_tls_config tc = {p->cert_pem, p->key_pem, p->trusted_pem, p->host};
    if (!(p->ssl = iot_tls_context(&tc, why, sizeof why))) {
        fprintf(stderr, "azureiot: dps: %s\n", why);
        return -EINVAL;
    }
    if (!(p->mosq = mosquitto_new(p->registration_id, true, p)))
        return -ENOMEM;
    snprintf(user, sizeof user, "%s/registrations/%s/api-version=" DPS_API_VERSION "&ClientVersion=opensphere-azureiot%%2F0.1",
             p->scope, p->registration_id);
    mosquitto_int_option(p->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_int_option(p->mosq, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
    mosquitto_void_option(p->mosq, MOSQ_OPT_SSL_CTX, p->ssl);
    mosquitto_username_pw_set(p->mosq, user, NULL);
    mosquitto_connect_callback_set(p->mosq, on_connect);
    mosquitto_message_callback_set(p->mosq, on_message);
    mosquitto_subscribe_callback_set(p->mosq, on_subscribe);
    /* libmosquitto's keep-alive must be ≥ 5 s; DPS exchanges are short. */
    return mosquitto_connect_async(p->mosq, p->host, p->port, 60) == MOSQ_ERR_SUCCESS ? 0 : -EIO;
}

IOT_EXPORT void Prov_Device_LL_DoWork(PROV_DEVICE_LL_HANDLE p)
{
    if (!p || !p->armed || p->state == PROV_DONE)
        return;
    double now = iot_now();
    if (now - p->started > p->timeout_s) {
        finish(p, PROV_DEVICE_RESULT_TIMEOUT, NULL, NULL);
        return;
    }
    if (p->state == PROV_IDLE) {
        if (connect_start(p) != 0) {
            finish(p, PROV_DEVICE_RESULT_TRANSPORT, NULL, NULL);
            return;
        }
        p->state = PROV_CONNECTING;
    }
    if (p->state == PROV_SLEEPING && now >= p->wake_at)
        send_request(p);
    if (p->state != PROV_DONE && mosquitto_loop(p->mosq, 0, 1) != MOSQ_ERR_SUCCESS)
        finish(p, PROV_DEVICE_RESULT_TRANSPORT, NULL, NULL);
}

IOT_EXPORT void Prov_Device_LL_Destroy(PROV_DEVICE_LL_HANDLE p)
{
    if (!p)
        return;
    if (p->mosq) {
        mosquitto_disconnect(p->mosq);
        mosquitto_destroy(p->mosq);
    }
    SSL_CTX_free(p->ssl);
    free(p->payload), free(p->trusted_pem), free(p->cert_pem), free(p->key_pem);
    free(p);
}

/* ---- the blocking Azure Sphere helper ---- */

struct prov_wait {
    bool done;
    PROV_DEVICE_RESULT result;
    char hub[256];
};

static void on_registered(PROV_DEVICE_RESULT result, const char *hub, const char *device_id, void *ctx)
{
    struct prov_wait *w = ctx;
    w->done = true;
    w->result = result;
    if (hub)
        snprintf(w->hub, sizeof w->hub, "%s", hub);
}

IOT_EXPORT AZURE_SPHERE_PROV_RETURN_VALUE IoTHubDeviceClient_LL_CreateWithAzureSphereDeviceAuthProvisioning(
    const char *idScope, unsigned int timeout, IOTHUB_DEVICE_CLIENT_LL_HANDLE *handle)
{
    AZURE_SPHERE_PROV_RETURN_VALUE rv = {AZURE_SPHERE_PROV_RESULT_OK, PROV_DEVICE_RESULT_OK, IOTHUB_CLIENT_OK};
    if (!handle || !idScope) {
        rv.result = AZURE_SPHERE_PROV_RESULT_INVALID_PARAM;
        return rv;
    }
    *handle = NULL;
    PROV_DEVICE_LL_HANDLE p = Prov_Device_LL_Create(DPS_GLOBAL_HOST, idScope, Prov_Device_MQTT_Protocol);
    struct prov_wait w = {0};
    if (!p || Prov_Device_LL_Register_Device(p, on_registered, &w, NULL, NULL) != PROV_DEVICE_RESULT_OK) {
        Prov_Device_LL_Destroy(p);
        rv.result = p ? AZURE_SPHERE_PROV_RESULT_DEVICEAUTH_NOT_READY : AZURE_SPHERE_PROV_RESULT_GENERIC_ERROR;
        return rv;
    }
    double until = iot_now() + timeout / 1000.0;
    while (!w.done && iot_now() < until) {
        Prov_Device_LL_DoWork(p);
        nanosleep(&(struct timespec){0, 25 * 1000 * 1000}, NULL);
    }
    Prov_Device_LL_Destroy(p);
    if (!w.done || w.result != PROV_DEVICE_RESULT_OK) {
        rv.result = AZURE_SPHERE_PROV_RESULT_PROV_DEVICE_ERROR;
        rv.prov_device_error = w.done ? w.result : PROV_DEVICE_RESULT_TIMEOUT;
        return rv;
    }
    *handle = IoTHubDeviceClient_LL_CreateWithAzureSphereFromDeviceAuth(w.hub, MQTT_Protocol);
    if (!*handle) {
        rv.result = AZURE_SPHERE_PROV_RESULT_IOTHUB_CLIENT_ERROR;
        rv.iothub_client_error = IOTHUB_CLIENT_ERROR;
    }
    return rv;
}
