/* SPDX-License-Identifier: MIT */
/*
 * iot_probe.c — a device for the conformance test (test_iot_conformance.sh): an Azure IoT client
 * written as the samples write theirs (the LL API, DoWork every 10 ms, every callback set), driven
 * by lines on stdin and reporting every callback as a line on stdout.
 *
 *   iot_probe hub HOST[:PORT]             CreateWithAzureSphereFromDeviceAuth(HOST) (OPENSPHERE_DAA_PATH)
 *   iot_probe dps HOST[:PORT] SCOPE       DPS first, then the assigned hub
 *   iot_probe cs CONNECTION-STRING        CreateFromConnectionString, the certificate and key given
 *                                         as OPTION_X509_CERT/OPTION_X509_PRIVATE_KEY (PEM text read
 *                                         from OPENSPHERE_DAA_PATH)
 * stdin:  send JSON [KEY=VALUE...] | report JSON | burst N | pingpong N | quit
 *         (burst: N telemetry messages queued at once, DoWork in a tight loop until all are
 *         confirmed → "burst N SECONDS"; pingpong: N reported states one after the other, each
 *         waiting for its 204 → "pingpong N SECONDS": bench/iot.sh)
 * stdout: status S REASON | twin COMPLETE|PARTIAL JSON | confirm RESULT N | reported STATUS N |
 *         c2d ce=CE KEY=VALUE;... body=BODY | method NAME PAYLOAD | dps RESULT HUB ID | destroyed
 * Methods: displayAlert → 200 "Alert message displayed successfully."; silent → no reply; else -1 {}.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <azureiot/azure_sphere_provisioning.h>
#include <azureiot/iothub_client_options.h>
#include <azureiot/iothub_device_client_ll.h>
#include <azureiot/iothubtransportmqtt.h>
#include <azure_prov_client/prov_device_ll_client.h>
#include <azure_prov_client/prov_transport_mqtt_client.h>

MU_DEFINE_ENUM_STRINGS_WITHOUT_INVALID(IOTHUB_CLIENT_CONNECTION_STATUS, IOTHUB_CLIENT_CONNECTION_STATUS_VALUES);
MU_DEFINE_ENUM_STRINGS_WITHOUT_INVALID(IOTHUB_CLIENT_CONNECTION_STATUS_REASON, IOTHUB_CLIENT_CONNECTION_STATUS_REASON_VALUES);
MU_DEFINE_ENUM_STRINGS_WITHOUT_INVALID(IOTHUB_CLIENT_CONFIRMATION_RESULT, IOTHUB_CLIENT_CONFIRMATION_RESULT_VALUES);
MU_DEFINE_ENUM_STRINGS_WITHOUT_INVALID(DEVICE_TWIN_UPDATE_STATE, DEVICE_TWIN_UPDATE_STATE_VALUES);
MU_DEFINE_ENUM_STRINGS_WITHOUT_INVALID(PROV_DEVICE_RESULT, PROV_DEVICE_RESULT_VALUE);

static void on_status(IOTHUB_CLIENT_CONNECTION_STATUS s, IOTHUB_CLIENT_CONNECTION_STATUS_REASON r, void *ctx)
{
    printf("status %s %s\n", IOTHUB_CLIENT_CONNECTION_STATUSStrings(s) + strlen("IOTHUB_CLIENT_CONNECTION_"),
           IOTHUB_CLIENT_CONNECTION_STATUS_REASONStrings(r) + strlen("IOTHUB_CLIENT_CONNECTION_"));
}

static void on_twin(DEVICE_TWIN_UPDATE_STATE state, const unsigned char *payload, size_t size, void *ctx)
{
    printf("twin %s %.*s\n", DEVICE_TWIN_UPDATE_STATEStrings(state) + strlen("DEVICE_TWIN_UPDATE_"), (int)size,
           (const char *)payload);
}

static long bench_done; /* burst confirmations / pingpong acknowledgements so far */
static bool bench_quiet;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_confirm(IOTHUB_CLIENT_CONFIRMATION_RESULT r, void *ctx)
{
    if (bench_quiet) {
        bench_done += r == IOTHUB_CLIENT_CONFIRMATION_OK;
        return;
    }
    printf("confirm %s %ld\n", IOTHUB_CLIENT_CONFIRMATION_RESULTStrings(r) + strlen("IOTHUB_CLIENT_CONFIRMATION_"), (long)(intptr_t)ctx);
}

static void on_reported(int status, void *ctx)
{
    if (bench_quiet) {
        bench_done += status == 204;
        return;
    }
    printf("reported %d %ld\n", status, (long)(intptr_t)ctx);
}

static IOTHUBMESSAGE_DISPOSITION_RESULT on_c2d(IOTHUB_MESSAGE_HANDLE m, void *ctx)
{
    const unsigned char *body = NULL;
    size_t size = 0;
    const char *ce = IoTHubMessage_GetContentEncodingSystemProperty(m);
    const char *k = IoTHubMessage_GetProperty(m, "k");
    if (IoTHubMessage_GetContentType(m) != IOTHUBMESSAGE_BYTEARRAY || IoTHubMessage_GetByteArray(m, &body, &size) != IOTHUB_MESSAGE_OK)
        printf("c2d not-a-bytearray\n");
    else
        printf("c2d ce=%s k=%s body=%.*s\n", ce ? ce : "-", k ? k : "-", (int)size, (const char *)body);
    return IOTHUBMESSAGE_ACCEPTED;
}

static int on_method(const char *name, const unsigned char *payload, size_t size, unsigned char **response, size_t *response_size,
                     void *ctx)
{
    printf("method %s %.*s\n", name, (int)size, (const char *)payload);
    const char *answer = !strcmp(name, "displayAlert") ? "\"Alert message displayed successfully.\"" : "{}";
    if (!strcmp(name, "silent"))
        return -1;
    *response_size = strlen(answer);
    *response = malloc(*response_size);
    memcpy(*response, answer, *response_size);
    return !strcmp(name, "displayAlert") ? 200 : -1;
}

/* 0: a 50 µs pause (the bench loops). */
static void pause_ms(long ms)
{
    nanosleep(&(struct timespec){ms / 1000, ms ? (ms % 1000) * 1000000 : 50000}, NULL);
}

static char *read_text(const char *path)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    char *text = f ? calloc(1, 65536) : NULL;
    if (text && fread(text, 1, 65535, f) == 0) {
        free(text);
        text = NULL;
    }
    if (f)
        fclose(f);
    return text;
}

static IOTHUB_DEVICE_CLIENT_LL_HANDLE create_hub(const char *host, bool connection_string)
{
    IOTHUB_DEVICE_CLIENT_LL_HANDLE h = connection_string ? IoTHubDeviceClient_LL_CreateFromConnectionString(host, MQTT_Protocol)
                                                         : IoTHubDeviceClient_LL_CreateWithAzureSphereFromDeviceAuth(host, MQTT_Protocol);
    if (h && connection_string) {
        char *pem = read_text(getenv("OPENSPHERE_DAA_PATH"));
        bool ok = pem && IoTHubDeviceClient_LL_SetOption(h, OPTION_X509_CERT, pem) == IOTHUB_CLIENT_OK &&
                  IoTHubDeviceClient_LL_SetOption(h, OPTION_X509_PRIVATE_KEY, pem) == IOTHUB_CLIENT_OK;
        free(pem);
        if (!ok) {
            printf("x509 options failed\n");
            exit(2);
        }
        unsetenv("OPENSPHERE_DAA_PATH"); /* from here on, only the options' PEM text */
    }
    if (!h) {
        printf("create failed\n");
        exit(2);
    }
    static const int one = 1;
    bool yes = true;
    if (IoTHubDeviceClient_LL_SetOption(h, "SetDeviceId", &one) != IOTHUB_CLIENT_OK ||
        IoTHubDeviceClient_LL_SetOption(h, OPTION_AUTO_URL_ENCODE_DECODE, &yes) != IOTHUB_CLIENT_OK ||
        IoTHubDeviceClient_LL_SetOption(h, OPTION_MODEL_ID, "dtmi:opensphere:probe;1") != IOTHUB_CLIENT_OK) {
        printf("options failed\n");
        exit(2);
    }
    const char *keepalive = getenv("IOT_PROBE_KEEPALIVE");
    if (keepalive) {
        int k = atoi(keepalive);
        IoTHubDeviceClient_LL_SetOption(h, OPTION_KEEP_ALIVE, &k);
    }
    IoTHubDeviceClient_LL_SetDeviceTwinCallback(h, on_twin, NULL);
    IoTHubDeviceClient_LL_SetMessageCallback(h, on_c2d, NULL);
    IoTHubDeviceClient_LL_SetDeviceMethodCallback(h, on_method, NULL);
    IoTHubDeviceClient_LL_SetConnectionStatusCallback(h, on_status, NULL);
    return h;
}

static struct {
    bool done;
    char hub[256];
} dps;

static void on_registered(PROV_DEVICE_RESULT r, const char *hub, const char *id, void *ctx)
{
    printf("dps %s %s %s\n", PROV_DEVICE_RESULTStrings(r) + strlen("PROV_DEVICE_RESULT_"), hub ? hub : "-", id ? id : "-");
    dps.done = true;
    if (r == PROV_DEVICE_RESULT_OK)
        snprintf(dps.hub, sizeof dps.hub, "%s", hub);
}


static void command(IOTHUB_DEVICE_CLIENT_LL_HANDLE *h, char *line)
{
    static long n;
    line[strcspn(line, "\n")] = '\0';
    char *arg = strchr(line, ' ');
    if (arg)
        *arg++ = '\0';
    if (!strcmp(line, "quit")) {
        IoTHubDeviceClient_LL_Destroy(*h);
        *h = NULL;
        printf("destroyed\n");
        exit(0);
    }
    if ((!strcmp(line, "burst") || !strcmp(line, "pingpong")) && arg) {
        long count = atol(arg);
        bool burst = !strcmp(line, "burst");
        bench_quiet = true, bench_done = 0;
        double start = now_s();
        for (long i = 0; i < count && (burst || bench_done == i); i++) {
            if (burst) {
                IOTHUB_MESSAGE_HANDLE m = IoTHubMessage_CreateFromString("{\"temperature\":21.5}");
                IoTHubMessage_SetProperty(m, "iothub-creation-time-utc", "2025-03-01T12:00:00Z");
                IoTHubDeviceClient_LL_SendEventAsync(*h, m, on_confirm, NULL);
                IoTHubMessage_Destroy(m);
                continue;
            }
            IoTHubDeviceClient_LL_SendReportedState(*h, (const unsigned char *)"{\"bench\":1}", 11, on_reported, NULL);
            while (bench_done == i && now_s() - start < 120) {
                IoTHubDeviceClient_LL_DoWork(*h);
                pause_ms(0);
            }
        }
        while (bench_done < count && now_s() - start < 120) {
            IoTHubDeviceClient_LL_DoWork(*h);
            pause_ms(0);
        }
        bench_quiet = false;
        printf("%s %ld %.6f\n", line, bench_done, now_s() - start);
        return;
    }
    if (!strcmp(line, "send") && arg) {
        char *props = strchr(arg, ' ');
        if (props)
            *props++ = '\0';
        IOTHUB_MESSAGE_HANDLE m = IoTHubMessage_CreateFromString(arg);
        for (char *save = NULL, *p = props ? strtok_r(props, " ", &save) : NULL; p; p = strtok_r(NULL, " ", &save)) {
            char *eq = strchr(p, '=');
            if (eq) {
                *eq = '\0';
                IoTHubMessage_SetProperty(m, p, eq + 1);
            }
        }
        IoTHubMessage_SetContentTypeSystemProperty(m, "application/json");
        IoTHubMessage_SetContentEncodingSystemProperty(m, "utf-8");
        IOTHUB_CLIENT_RESULT r = IoTHubDeviceClient_LL_SendEventAsync(*h, m, on_confirm, (void *)(intptr_t)++n);
        IoTHubMessage_Destroy(m); /* straight after, as the samples do: the library keeps a copy */
        printf("sent %ld %d\n", n, (int)r);
    } else if (!strcmp(line, "report") && arg) {
        IOTHUB_CLIENT_RESULT r = IoTHubDeviceClient_LL_SendReportedState(*h, (const unsigned char *)arg, strlen(arg), on_reported,
                                                                         (void *)(intptr_t)++n);
        printf("queued-report %ld %d\n", n, (int)r);
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 3 || (strcmp(argv[1], "hub") && strcmp(argv[1], "cs") && !(strcmp(argv[1], "dps") == 0 && argc == 4))) {
        fprintf(stderr, "usage: iot_probe hub HOST[:PORT] | iot_probe dps HOST[:PORT] SCOPE | iot_probe cs CONNECTION-STRING\n");
        return 2;
    }
    const char *hub = argv[2];
    if (!strcmp(argv[1], "dps")) {
        PROV_DEVICE_LL_HANDLE p = Prov_Device_LL_Create(argv[2], argv[3], Prov_Device_MQTT_Protocol);
        static const int one = 1;
        if (!p || Prov_Device_LL_SetOption(p, "SetDeviceId", &one) != PROV_DEVICE_RESULT_OK ||
            Prov_Device_LL_Set_Provisioning_Payload(p, "{\"modelId\":\"dtmi:opensphere:probe;1\"}") != PROV_DEVICE_RESULT_OK ||
            Prov_Device_LL_Register_Device(p, on_registered, NULL, NULL, NULL) != PROV_DEVICE_RESULT_OK) {
            printf("dps-create failed\n");
            return 2;
        }
        for (int i = 0; i < 400 && !dps.done; i++) { /* 25 ms × 400: the samples' 10 s */
            Prov_Device_LL_DoWork(p);
            pause_ms(25);
        }
        Prov_Device_LL_Destroy(p);
        if (!dps.hub[0])
            return 1;
        hub = dps.hub;
    }
    IOTHUB_DEVICE_CLIENT_LL_HANDLE h = create_hub(hub, !strcmp(argv[1], "cs"));
    char line[4096];
    for (;;) {
        IoTHubDeviceClient_LL_DoWork(h);
        struct pollfd pfd = {0, POLLIN, 0};
        if (poll(&pfd, 1, 10) == 1) {
            if (!fgets(line, sizeof line, stdin)) {
                IoTHubDeviceClient_LL_Destroy(h);
                return 0;
            }
            command(&h, line);
        }
    }
}
