/* SPDX-License-Identifier: MIT */
/* main.c — `sphere-cloud --data DIR --keys DIR [--listen ADDR:PORT] [--db URL] [--tenant NAME]...
 * [--tls-key F --tls-cert F] [--ota-base-url URL]`: the cloud service daemon (docs/cloud.md).
 * Writes DIR/cloud.url ("https://ADDR:PORT") once it listens; OTA download URLs start with
 * --ota-base-url (e.g. an nginx in front, docs/ota.md) or else that URL. Runs until SIGTERM or SIGINT.
 * [--mqtt-broker HOST:PORT]: the broker of the device twin.
 * [--iot-listen ADDR:PORT [--iot-hub-host NAME]]: the IoT Hub and DPS stand-in (docs/iot.md) on the
 * broker, devices authenticated by their certificates on that listener.
 * [--mqtt-device-listen ADDR:PORT]: the twin broker's device listener, devices authenticated by their
 * certificates (CN = device ID = MQTT user name); device passwords are then refused unless
 * --mqtt-passwords on (the explicit fallback; without a device listener passwords are the only
 * device login and stay on): the password listener serves only the service itself (docs/twin.md).
 * [--device-token-fallback on]: a device whose certificate is on record may still authenticate
 * with its token alone (default off: 401 certificate-required; docs/security.md).
 * With DIR/mqtt/ (or --mqtt-broker) it also runs the device twin (docs/twin.md).
 * `sphere-cloud --init --data DIR --keys DIR [--mqtt-listen ADDR:PORT] [...]` prepares DIR (store,
 * tenants, TLS, DIR/mqtt/) and exits. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloud_int.h"
#include "cloudhttp.h"
#include "clouddata.h"
#include "cloudtwin.h"
#include "iothub_standin.h"
#include "mqttbroker.h"
#include "hostio.h"
#include "cloud_ota.h"
#include "cloud_otatwin.h"
#include "clouddb.h"
#include "path.h"
#include "signing.h"
#include "twin_devlisten.h"

static int usage(void)
{
    fprintf(stderr, "usage: sphere-cloud --data DIR --keys DIR [--listen ADDR:PORT] [--db postgresql://...]\n"
                    "                    [--tenant NAME]... [--tls-key FILE --tls-cert FILE] [--ota-base-url URL]\n"
                    "                    [--mqtt-broker HOST:PORT] [--iot-listen ADDR:PORT [--iot-hub-host NAME]]\n"
                    "                    [--mqtt-device-listen ADDR:PORT] [--mqtt-passwords on|off]\n"
                    "                    [--device-token-fallback on|off]\n"
                    "       sphere-cloud --init --data DIR --keys DIR [--mqtt-listen ADDR:PORT] [--tenant NAME]... [--db URL]\n");
    return 2;
}

/* The TLS key and certificate: given, or DIR/tls.{key,cert}.pem, generated on first start. */
static int tls_files(const char *data, const char *key_file, const char *cert_file, const char *ip, char **key, char **cert)
{
    size_t len = 0;
    if (key_file || cert_file) {
        if (!key_file || !cert_file) {
            fprintf(stderr, "sphere-cloud: give both --tls-key and --tls-cert\n");
            return -EINVAL;
        }
        int err = hostio_read_file(key_file, key, &len);
        return err ? err : hostio_read_file(cert_file, cert, &len);
    }
    char *kp = path_join(data, "tls.key.pem"), *cp = path_join(data, "tls.cert.pem");
    int err = kp && cp ? 0 : -ENOMEM;
    if (!err && (hostio_read_file(kp, key, &len) != 0 || hostio_read_file(cp, cert, &len) != 0)) {
        free(*key), free(*cert);
        *key = *cert = NULL;
        err = signing_generate_tls("OpenSphere cloud", ip, 3650, key, cert);
        err = err ? err : hostio_write_file_atomic(kp, *key, strlen(*key), 0600);
        err = err ? err : hostio_write_file_atomic(cp, *cert, strlen(*cert), 0644);
    }
    free(kp), free(cp);
    return err;
}

/* DIR/.opensphere-cloud: what `sphere cloud clean` looks for before deleting anything. */
static int data_marker(const char *data)
{
    char *p = path_join(data, CLOUD_DATA_MARKER);
    int err = !p ? -ENOMEM : access(p, F_OK) == 0 ? 0 : hostio_write_file_atomic(p, CLOUD_DATA_MARKER_TEXT, strlen(CLOUD_DATA_MARKER_TEXT), 0644);
    free(p);
    return err;
}

static bool mqtt_present(const char *data)
{
    char *p = path_join(data, "mqtt/mosquitto.conf");
    bool present = p && access(p, F_OK) == 0;
    free(p);
    return present;
}

/* --init: the broker's files in DIR/mqtt (the store, tenants and TLS are done by then). */
static int init_mqtt(const char *data, const char *listen)
{
    char host[64], why[512] = "";
    uint16_t port = 0;
    if (mqttbroker_parse_addr(listen ? listen : MQTT_DEFAULT_LISTEN, host, &port) != 0) {
        fprintf(stderr, "sphere-cloud: --mqtt-listen must be ADDR:PORT (e.g. 127.0.0.1:1883), not '%s'\n", listen);
        return 2;
    }
    int err = mqttbroker_init_dir(data, host, port, why, sizeof why);
    if (err) {
        fprintf(stderr, "sphere-cloud: %s\n", why);
        return 1;
    }
    printf("Prepared the cloud data folder %s: cloud.db, tls.{key,cert}.pem, tokens/, mqtt/ (MQTT broker on %s:%u, "
           "service user '%s').\n",
           data, host, port, MQTT_SERVICE_USER);
    return 0;
}

int main(int argc, char **argv)
{
    const char *data = NULL, *keys = NULL, *listen = "127.0.0.1:0", *db = NULL, *key_file = NULL, *cert_file = NULL, *ota_base = NULL;
    const char *tenants[16], *mqtt_broker = NULL, *mqtt_listen = NULL, *iot_listen = NULL, *iot_host = IOTHUB_DEFAULT_HOST;
    const char *device_listen = NULL, *passwords = NULL; /* NULL: off with a device listener */
    bool token_fallback = false;
    size_t ntenants = 0;
    bool init = false;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--init")) {
            init = true, i--;
            continue;
        }
        if (!v)
            return usage();
        if (!strcmp(a, "--data"))
            data = v;
        else if (!strcmp(a, "--keys"))
            keys = v;
        else if (!strcmp(a, "--listen"))
            listen = v;
        else if (!strcmp(a, "--db"))
            db = v;
        else if (!strcmp(a, "--tls-key"))
            key_file = v;
        else if (!strcmp(a, "--tls-cert"))
            cert_file = v;
        else if (!strcmp(a, "--ota-base-url"))
            ota_base = v;
        else if (!strcmp(a, "--mqtt-broker"))
            mqtt_broker = v;
        else if (!strcmp(a, "--mqtt-listen"))
            mqtt_listen = v;
        else if (!strcmp(a, "--iot-listen"))
            iot_listen = v;
        else if (!strcmp(a, "--mqtt-device-listen"))
            device_listen = v;
        else if (!strcmp(a, "--mqtt-passwords") && (!strcmp(v, "on") || !strcmp(v, "off")))
            passwords = v;
        else if (!strcmp(a, "--device-token-fallback") && (!strcmp(v, "on") || !strcmp(v, "off")))
            token_fallback = !strcmp(v, "on");
        else if (!strcmp(a, "--iot-hub-host"))
            iot_host = v;
        else if (!strcmp(a, "--tenant") && ntenants < 16)
            tenants[ntenants++] = v;
        else
            return usage();
    }
    if (!data || !keys)
        return usage();
    char ip[64];
    const char *colon = strrchr(listen, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || (size_t)(colon - listen) >= sizeof ip || *end || port < 0 || port > 65535) {
        fprintf(stderr, "sphere-cloud: --listen must be ADDR:PORT (e.g. 127.0.0.1:8443), not '%s'\n", listen);
        return 2;
    }
    snprintf(ip, sizeof ip, "%.*s", (int)(colon - listen), listen);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    char why[512] = "";
    int err = hostio_make_dirs(data, 0700);
    if (err) {
        fprintf(stderr, "sphere-cloud: cannot create %s: %s\n", data, strerror(-err));
        return 1;
    }
    struct cloud_config cfg = {.data_dir = data, .db_url = db, .keys_dir = keys, .tenants = tenants, .tenant_count = ntenants,
                               .device_token_fallback = token_fallback};
    struct cloud *s = NULL;
    char *key = NULL, *cert = NULL;
    struct cloud_http *h = NULL;
    struct iothub *iot = NULL;
    uint16_t bound = 0;
    err = cloud_open(&cfg, &s, why, sizeof why);
    if (err)
        fprintf(stderr, "sphere-cloud: %s\n", why[0] ? why : strerror(-err));
    if (!err && (err = tls_files(data, key_file, cert_file, ip, &key, &cert)) != 0)
        fprintf(stderr, "sphere-cloud: cannot set up TLS: %s\n", strerror(-err));
    if (!err && (err = data_marker(data)) != 0)
        fprintf(stderr, "sphere-cloud: cannot write %s/%s: %s\n", data, CLOUD_DATA_MARKER, strerror(-err));
    if (!err && init) {
        cloud_close(s);
        free(key), free(cert);
        return init_mqtt(data, mqtt_listen);
    }
    if (!err && (mqtt_broker || mqtt_present(data))) {
        /* Our own broker serves MQTT over TLS with the service's certificate (the files tls_files() read). */
        char *default_cert = path_join(data, "tls.cert.pem"), *default_key = path_join(data, "tls.key.pem");
        struct cloud_mqtt_config mc = {.broker = mqtt_broker,
                                       .tls_cert_file = cert_file ? cert_file : default_cert,
                                       .tls_key_file = key_file ? key_file : default_key};
        if (!mqtt_broker && iot_listen)
            err = iothub_prepare(data, keys, iot_listen, iot_host, why, sizeof why);
        else if (!mqtt_broker)
            iothub_unprepare(data);
        bool passwords_on = passwords ? strcmp(passwords, "off") != 0 : !device_listen;
        if (!err && !mqtt_broker)
            err = twin_devlisten_prepare(data, keys, device_listen, passwords_on, why, sizeof why);
        if (err)
            fprintf(stderr, "sphere-cloud: %s\n", why);
        if (!err && (err = cloud_twin_mqtt_start(cloud_twin(s), &mc, why, sizeof why)) != 0)
            fprintf(stderr, "sphere-cloud: %s\n", why);
        if (!err && !mqtt_broker && iot_listen) {
            if ((err = iothub_start(cloud_db(s), data, mc.tls_cert_file, iot_host, &iot, why, sizeof why)) != 0)
                fprintf(stderr, "sphere-cloud: %s\n", why);
            else
                cloud_set_iothub(s, iot);
        }
        free(default_cert), free(default_key);
    }
    if (!err && (err = cloud_http_start(s, ip, (uint16_t)port, key, cert, &h, &bound, why, sizeof why)) != 0)
        fprintf(stderr, "sphere-cloud: %s\n", why);
    if (!err) {
        char url[128], *url_path = path_join(data, "cloud.url"), pid[32], *pid_path = path_join(data, "cloud.pid");
        snprintf(url, sizeof url, "https://%s:%u", ip, bound);
        err = cloud_ota_set_base_url(cloud_ota(s), ota_base ? ota_base : url);
        if (!err) { /* download URLs carry the address just bound: publish every device's state again */
            struct clouddb_conn *c = clouddb_acquire(cloud_db(s));
            cloud_otatwin_resync(cloud_twin(s), c, NULL);
            clouddb_release(cloud_db(s), c);
        }
        snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (pid_path)
            hostio_write_file_atomic(pid_path, pid, strlen(pid), 0644);
        fprintf(stderr, "sphere-cloud: serving %s with %s in %s\n", url, cloud_backend(s), data);
        strcat(url, "\n");
        if (url_path)
            hostio_write_file_atomic(url_path, url, strlen(url), 0644);
        int sig = 0;
        sigwait(&set, &sig);
        fprintf(stderr, "sphere-cloud: stopping (signal %d)\n", sig);
        iothub_fail_waiting(iot); /* parked method calls are answered before the HTTP side stops */
        cloud_http_stop(h);
        cloud_set_iothub(s, NULL);
        iothub_stop(iot);
        iot = NULL;
        cloud_twin_mqtt_stop(cloud_twin(s));
        if (url_path)
            unlink(url_path);
        if (pid_path)
            unlink(pid_path);
        free(url_path), free(pid_path);
    }
    if (iot) {
        cloud_set_iothub(s, NULL);
        iothub_stop(iot);
    }
    cloud_close(s);
    free(key), free(cert);
    return err ? 1 : 0;
}
