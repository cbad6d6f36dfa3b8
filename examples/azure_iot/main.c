/* SPDX-License-Identifier: MIT */
/*
 * AzureIoT — an OpenSphere example app (our own code) written the way the platform's
 * Samples/AzureIoT is: it waits for Application_IsDeviceAuthReady, provisions through DPS
 * (--ConnectionType DPS --ScopeID ID) or connects straight to a hub (--ConnectionType IoTHub
 * --Hostname NAME) with the device's DAA certificate, drives IoTHubDeviceClient_LL_DoWork from
 * a 100 ms timer, and on any UNAUTHENTICATED status destroys the client and connects again
 * (1 s, then backing off). Connected, it reports its serial number, sends {"temperature":T}
 * with an iothub-creation-time-utc property every 2 s while the desired property
 * thermometerTelemetryUploadEnabled allows it (and acknowledges each desired version with
 * ac/av), answers the direct method displayAlert, and logs cloud-to-device messages.
 * Everything it does is logged (Log_Debug) as "AzureIoT: ...". SIGTERM ends it.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <applibs/application.h>
#include <applibs/eventloop.h>
#include <applibs/log.h>

#include <azure_prov_client/iothub_security_factory.h>
#include <azure_prov_client/prov_device_ll_client.h>
#include <azure_prov_client/prov_security_factory.h>
#include <azure_prov_client/prov_transport_mqtt_client.h>
#include <azure_sphere_provisioning.h>
#include <iothub_client_options.h>
#include <iothub_device_client_ll.h>
#include <iothubtransportmqtt.h>
#include <shared_util_options.h>
#include "iothub.h"
#include "iothub_message.h"

MU_DEFINE_ENUM_STRINGS_WITHOUT_INVALID(IOTHUB_CLIENT_CONNECTION_STATUS_REASON, IOTHUB_CLIENT_CONNECTION_STATUS_REASON_VALUES);
MU_DEFINE_ENUM_STRINGS_WITHOUT_INVALID(IOTHUB_CLIENT_RESULT, IOTHUB_CLIENT_RESULT_VALUE);
MU_DEFINE_ENUM_STRINGS_WITHOUT_INVALID(PROV_DEVICE_RESULT, PROV_DEVICE_RESULT_VALUE);

#define DPS_URL "global.azure-devices-provisioning.net"
#define MODEL_ID "dtmi:com:example:azuresphere:thermometer;1"

static volatile sig_atomic_t stop;
static EventLoop *loop;
static IOTHUB_DEVICE_CLIENT_LL_HANDLE client;
static PROV_DEVICE_LL_HANDLE prov;
static char scope[33], hostname[128];
static bool use_dps, connected, telemetry_enabled = true;
static long backoff_s = 1, connect_in_ms = 0, provisioning_ms;
static int telemetry_timer_ms;
static double temperature = 21.5;

static void on_sigterm(int sig) { stop = 1; }

/* ---- the twin ---- */

static void on_reported(int status, void *ctx)
{
    Log_Debug("AzureIoT: reported state %s acknowledged: %d\n", (const char *)ctx, status);
}

static void report(const char *json, const char *what)
{
    if (IoTHubDeviceClient_LL_SendReportedState(client, (const unsigned char *)json, strlen(json), on_reported, (void *)what) !=
        IOTHUB_CLIENT_OK)
        Log_Debug("AzureIoT: cannot queue the reported state %s\n", what);
}

/* The sample parses with parson; a number or boolean after "key": is all this one needs. */
static const char *json_value_of(const char *json, const char *key)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *p = strstr(json, pattern);
    return p ? p + strlen(pattern) : NULL;
}

static void on_twin(DEVICE_TWIN_UPDATE_STATE state, const unsigned char *payload, size_t size, void *ctx)
{
    if (size > 512) { /* as the sample: a larger document ends the app */
        Log_Debug("AzureIoT: the twin is too large (%zu bytes)\n", size);
        stop = 1;
        return;
    }
    char json[513];
    memcpy(json, payload, size);
    json[size] = '\0';
    /* The full document has the desired properties under "desired"; a patch is them. */
    const char *desired = state == DEVICE_TWIN_UPDATE_COMPLETE ? strstr(json, "\"desired\":") : json;
    if (!desired)
        return;
    const char *enabled = json_value_of(desired, "thermometerTelemetryUploadEnabled");
    const char *version = json_value_of(desired, "$version");
    Log_Debug("AzureIoT: twin %s, desired version %ld\n", state == DEVICE_TWIN_UPDATE_COMPLETE ? "document" : "update",
              version ? atol(version) : 0);
    if (!enabled)
        return;
    telemetry_enabled = strncmp(enabled, "true", 4) == 0;
    char ack[256];
    snprintf(ack, sizeof ack,
             "{\"thermometerTelemetryUploadEnabled\":{\"value\":%s,\"ac\":200,\"av\":%ld,\"ad\":\"Successfully updated\"}}",
             telemetry_enabled ? "true" : "false", version ? atol(version) : 0);
    Log_Debug("AzureIoT: telemetry upload %s\n", telemetry_enabled ? "enabled" : "disabled");
    report(ack, "thermometerTelemetryUploadEnabled");
}

/* ---- methods and C2D ---- */

static int on_method(const char *name, const unsigned char *payload, size_t size, unsigned char **response,
                     size_t *response_size, void *ctx)
{
    const char *answer = "{}";
    int status = -1;
    if (strcmp(name, "displayAlert") == 0) {
        Log_Debug("AzureIoT: ALERT: %.*s\n", (int)size, (const char *)payload);
        answer = "\"Alert message displayed successfully.\"";
        status = 200;
    } else {
        Log_Debug("AzureIoT: unknown method %s\n", name);
    }
    *response_size = strlen(answer);
    *response = malloc(*response_size);
    memcpy(*response, answer, *response_size);
    return status;
}

static IOTHUBMESSAGE_DISPOSITION_RESULT on_c2d(IOTHUB_MESSAGE_HANDLE message, void *ctx)
{
    const unsigned char *body = NULL;
    size_t size = 0;
    if (IoTHubMessage_GetByteArray(message, &body, &size) == IOTHUB_MESSAGE_OK)
        Log_Debug("AzureIoT: cloud-to-device message: %.*s\n", (int)size, (const char *)body);
    return IOTHUBMESSAGE_ACCEPTED;
}

/* ---- telemetry ---- */

static void on_sent(IOTHUB_CLIENT_CONFIRMATION_RESULT result, void *ctx)
{
    Log_Debug("AzureIoT: telemetry %s\n", result == IOTHUB_CLIENT_CONFIRMATION_OK ? "delivered" : "not delivered");
}

static void send_telemetry(void)
{
    char json[64], when[32];
    temperature += 0.5;
    snprintf(json, sizeof json, "{\"temperature\":%.1f}", temperature);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    IOTHUB_MESSAGE_HANDLE message = IoTHubMessage_CreateFromString(json);
    if (message == 0)
        return;
    IoTHubMessage_SetProperty(message, "iothub-creation-time-utc", when);
    IOTHUB_CLIENT_RESULT r = IoTHubDeviceClient_LL_SendEventAsync(client, message, on_sent, NULL);
    IoTHubMessage_Destroy(message);
    Log_Debug("AzureIoT: sending telemetry %s: %s\n", json, IOTHUB_CLIENT_RESULTStrings(r));
}

/* ---- connecting ---- */

static void on_status(IOTHUB_CLIENT_CONNECTION_STATUS result, IOTHUB_CLIENT_CONNECTION_STATUS_REASON reason, void *ctx)
{
    connected = result == IOTHUB_CLIENT_CONNECTION_AUTHENTICATED;
    Log_Debug("AzureIoT: %s (%s)\n", connected ? "connected to the hub" : "not connected",
              IOTHUB_CLIENT_CONNECTION_STATUS_REASONStrings(reason));
    if (connected) {
        backoff_s = 1;
        report("{\"serialNumber\":\"TEMPMON-01234\"}", "serialNumber");
    } else {
        connect_in_ms = 1000; /* the sample's connect timer: destroy and create again */
    }
}

static void create_hub_client(const char *host)
{
    if (iothub_security_init(IOTHUB_SECURITY_TYPE_X509) != 0)
        return;
    client = IoTHubDeviceClient_LL_CreateWithAzureSphereFromDeviceAuth(host, MQTT_Protocol);
    iothub_security_deinit();
    static const int deviceIdForDaaCertUsage = 1;
    bool urlEncodeOn = true;
    if (client == NULL || IoTHubDeviceClient_LL_SetOption(client, "SetDeviceId", &deviceIdForDaaCertUsage) != IOTHUB_CLIENT_OK ||
        IoTHubDeviceClient_LL_SetOption(client, OPTION_AUTO_URL_ENCODE_DECODE, &urlEncodeOn) != IOTHUB_CLIENT_OK ||
        IoTHubDeviceClient_LL_SetOption(client, OPTION_MODEL_ID, MODEL_ID) != IOTHUB_CLIENT_OK) {
        Log_Debug("AzureIoT: cannot create the hub client for %s\n", host);
        IoTHubDeviceClient_LL_Destroy(client);
        client = NULL;
        connect_in_ms = backoff_s * 1000;
        backoff_s = backoff_s * 2 > 600 ? 600 : backoff_s * 2;
        return;
    }
    IoTHubDeviceClient_LL_SetDeviceTwinCallback(client, on_twin, NULL);
    IoTHubDeviceClient_LL_SetDeviceMethodCallback(client, on_method, NULL);
    IoTHubDeviceClient_LL_SetMessageCallback(client, on_c2d, NULL);
    IoTHubDeviceClient_LL_SetConnectionStatusCallback(client, on_status, NULL);
    Log_Debug("AzureIoT: connecting to %s\n", host);
}

static void on_registered(PROV_DEVICE_RESULT result, const char *hub, const char *device_id, void *ctx)
{
    Log_Debug("AzureIoT: DPS: %s%s%s\n", PROV_DEVICE_RESULTStrings(result), hub ? ", assigned hub " : "", hub ? hub : "");
    if (result == PROV_DEVICE_RESULT_OK)
        snprintf(hostname, sizeof hostname, "%s", hub);
    else
        connect_in_ms = 10000;
}

static void start_connection(void)
{
    IoTHubDeviceClient_LL_Destroy(client);
    client = NULL;
    if (!use_dps || hostname[0]) {
        create_hub_client(hostname);
        return;
    }
    prov = Prov_Device_LL_Create(DPS_URL, scope, Prov_Device_MQTT_Protocol);
    static const int deviceIdForDaaCertUsage = 1;
    if (prov == NULL || Prov_Device_LL_SetOption(prov, "SetDeviceId", &deviceIdForDaaCertUsage) != PROV_DEVICE_RESULT_OK ||
        Prov_Device_LL_Set_Provisioning_Payload(prov, "{\"modelId\":\"" MODEL_ID "\"}") != PROV_DEVICE_RESULT_OK ||
        Prov_Device_LL_Register_Device(prov, on_registered, NULL, NULL, NULL) != PROV_DEVICE_RESULT_OK) {
        Log_Debug("AzureIoT: cannot start the DPS registration\n");
        Prov_Device_LL_Destroy(prov);
        prov = NULL;
        prov_dev_security_deinit();
        connect_in_ms = 10000;
        return;
    }
    provisioning_ms = 0;
    Log_Debug("AzureIoT: registering with DPS (scope %s)\n", scope);
}

/* ---- the 25 ms tick: DoWork and the timers ---- */

static void on_tick(EventLoop *el, int fd, EventLoop_IoEvents events, void *ctx)
{
    uint64_t expirations;
    if (read(fd, &expirations, sizeof expirations) < 0)
        return;
    static int tick;
    tick++;
    if (prov) {
        Prov_Device_LL_DoWork(prov);
        provisioning_ms += 25;
        if (hostname[0] || connect_in_ms || provisioning_ms >= 10000) { /* done, failed, or the sample's 10 s */
            Prov_Device_LL_Destroy(prov);
            prov = NULL;
            prov_dev_security_deinit();
            if (hostname[0])
                create_hub_client(hostname);
            else if (!connect_in_ms)
                connect_in_ms = 10000;
        }
        return;
    }
    if (connect_in_ms > 0 && (connect_in_ms -= 25) <= 0) {
        connect_in_ms = 0;
        start_connection();
    }
    if (client && tick % 4 == 0) /* every 100 ms */
        IoTHubDeviceClient_LL_DoWork(client);
    telemetry_timer_ms += 25;
    if (telemetry_timer_ms >= 2000) {
        telemetry_timer_ms = 0;
        if (client && connected && telemetry_enabled)
            send_telemetry();
    }
}

static bool parse_args(int argc, char *argv[])
{
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--ConnectionType") == 0)
            use_dps = strcmp(argv[i + 1], "DPS") == 0;
        else if (strcmp(argv[i], "--ScopeID") == 0)
            snprintf(scope, sizeof scope, "%s", argv[i + 1]);
        else if (strcmp(argv[i], "--Hostname") == 0)
            snprintf(hostname, sizeof hostname, "%s", argv[i + 1]);
    }
    if (use_dps ? !scope[0] : !hostname[0]) {
        Log_Debug("AzureIoT: give --ConnectionType DPS --ScopeID ID, or --ConnectionType IoTHub --Hostname NAME\n");
        return false;
    }
    return true;
}

int main(int argc, char *argv[])
{
    Log_Debug("AzureIoT: starting\n");
    if (!parse_args(argc, argv))
        return 1;
    struct sigaction action = {.sa_handler = on_sigterm};
    sigaction(SIGTERM, &action, NULL);
    bool ready = false;
    for (int i = 0; i < 60 && !stop; i++) {
        if (Application_IsDeviceAuthReady(&ready) == 0 && ready)
            break;
        sleep(1);
    }
    if (!ready) {
        Log_Debug("AzureIoT: the device certificate is not ready\n");
        return 2;
    }
    Log_Debug("AzureIoT: the device certificate is ready\n");
    loop = EventLoop_Create();
    int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct itimerspec period = {{0, 25 * 1000000L}, {0, 25 * 1000000L}};
    if (!loop || timer < 0 || timerfd_settime(timer, 0, &period, NULL) < 0 ||
        !EventLoop_RegisterIo(loop, timer, EventLoop_Input, on_tick, NULL))
        return 3;
    start_connection();
    while (!stop) {
        EventLoop_Run_Result r = EventLoop_Run(loop, -1, true);
        if (r == EventLoop_Run_Failed && errno != EINTR)
            break;
    }
    IoTHubDeviceClient_LL_Destroy(client);
    Prov_Device_LL_Destroy(prov);
    EventLoop_Close(loop);
    Log_Debug("AzureIoT: stopped\n");
    return 0;
}
