/* SPDX-License-Identifier: MIT */
/* cmd_ota_enroll.c — `sphere ota enroll -d DEV [--mqtt-host HOST] [--ca FILE] [--component CID]`:
 * gives a simulated device's OTA agent what it needs to run (docs/ota.md, "Enrolling"): the
 * device's MQTT credentials for its twin — the ones its cloud agent already has in DEV/cloud/mqtt.json
 * (one password per device: a fresh one would lock the cloud agent out of `device update-now`), or
 * fresh ones (POST /v1/devices/{id}/mqtt-credentials) then stored there for it too — the cloud's OTA public
 * key and the CA of the blob server (which the agent also checks the MQTT broker's certificate
 * against when the credentials say "tls": the service's broker serves its certificate), written as one JSON file into the agent's mutable storage
 * (DEVDIR/storage/<component>/mutable_storage, 0600, write-new + rename). With --mcu-baud the
 * agent also programs the external MCU on ISU0 (`sphere sim mcu attach`). The device must be
 * known to the logged-in tenant (`sphere sim create NAME --cloud URL`). Restart the agent (or
 * the device) afterwards: it reads the file when it starts. When the cloud's broker has a device
 * listener ("certificatePort" in the credentials) the agent logs in there with its device
 * certificate and the file holds no password; --password-login writes the password instead. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_cloud.h"
#include "device.h"
#include "error.h"
#include "hostio.h"
#include "json.h"
#include "path.h"
#include "simhome.h"
#include "strbuf.h"

#define OTA_AGENT_COMPONENT "0e5a7c11-3f2b-4d6e-9a8c-6f1d2b3c4e01" /* src/ota/agent/app_manifest.json */
#define OTA_AGENT_MQTT_HOST "ota-mqtt.opensphere.test"

/* The simulated device's folder and ID. */
static int sim_device(const char *name, char **dir, char *id, size_t id_size)
{
    char *home = simhome_dir(), *sdk = hostio_sdk_dir(), why[256] = "";
    *dir = home && name ? simhome_device_dir(home, name) : NULL;
    struct device *d = NULL;
    int rc = !name ? cli_error("name the simulated device with -d/--device")
             : !*dir || device_open(*dir, sdk, &d, why, sizeof why) != 0
                 ? cli_error("no simulated device '%s'%s%s", name, why[0] ? ": " : "", why)
                 : 0;
    if (!rc) /* the cloud names devices in lower case */
        for (size_t i = 0; i + 1 < id_size && (id[i] = (char)tolower((unsigned char)device_id_text(d)[i])) != '\0'; i++)
            ;
    device_close(d);
    free(home), free(sdk);
    return rc;
}

static int copy_member(struct json_value *to, const struct json_value *from, const char *key)
{
    const struct json_value *v = json_object_get(from, key);
    return v ? json_object_append(to, key, json_clone(v)) : -EPROTO;
}

/* The agent's configuration from the credentials answer, the public key and the CA. */
static int compose(const struct json_value *creds, const char *mqtt_host, const char *key_pem, const char *ca_pem,
                   long mcu_baud, bool password_login, struct strbuf *out)
{
    /* The broker's device listener ("certificatePort"): the agent logs in there with the device
     * certificate and gets no password; --password-login (or a cloud without that listener)
     * gives it the password instead, the explicit fallback (docs/ota.md). */
    const struct json_value *cert_port = password_login ? NULL : json_object_get(creds, "certificatePort");
    struct json_value *o = json_new_object();
    int err = o ? 0 : -ENOMEM;
    err = err ? err : json_object_append(o, "host", mqtt_host ? json_new_string(mqtt_host) : json_clone(json_object_get(creds, "host")));
    static const char *const keys[] = {"port", "username", "clientId", "desiredTopic", "reportedTopic"};
    for (size_t i = 0; !err && i < sizeof keys / sizeof keys[0]; i++)
        err = copy_member(o, creds, keys[i]);
    err = err ? err : cert_port ? json_object_append(o, "certificatePort", json_clone(cert_port)) : copy_member(o, creds, "password");
    const struct json_value *tls = json_object_get(creds, "tls"); /* absent from older services: plain MQTT */
    if (!err && tls && tls->type == JSON_BOOL && tls->u.boolean) {
        if (!ca_pem)
            err = -EPROTO; /* the agent could not check the broker's certificate */
        err = err ? err : json_object_append(o, "tls", json_new_bool(true));
    }
    err = err ? err : json_object_append(o, "otaPublicKey", json_new_string(key_pem));
    if (!err && ca_pem)
        err = json_object_append(o, "caCertificate", json_new_string(ca_pem));
    if (!err && mcu_baud) {
        struct json_value *mcu = json_new_object();
        err = mcu ? json_object_append(mcu, "baud", json_new_int(mcu_baud)) : -ENOMEM;
        err = err ? err : json_object_append(o, "mcu", mcu);
    }
    err = err ? err : json_write(o, JSON_PRETTY, out);
    json_free(o);
    return err;
}

/* The device's MQTT credentials, shared by its cloud agent and its OTA agent: DEV/cloud/mqtt.json
 * when it holds this device's complete answer, else a fresh answer which is then stored there. */
static int shared_credentials(struct cloudclient *c, const char *dir, const char *id, struct json_value **out)
{
    *out = NULL;
    char *cloud = path_join(dir, "cloud"), *file = cloud ? path_join(cloud, "mqtt.json") : NULL, *text = NULL;
    size_t len = 0;
    if (!file) {
        free(cloud);
        return cli_error("out of memory");
    }
    if (hostio_read_file(file, &text, &len) == 0) {
        struct diag_list diags = {0};
        json_parse(text, len, NULL, "mqtt.json", &diags, out);
        diag_list_free(&diags);
        free(text);
        static const char *const keys[] = {"host", "port", "password", "clientId", "desiredTopic", "reportedTopic"};
        const struct json_value *user = json_object_get(*out, "username");
        bool complete = user && user->type == JSON_STRING && !strcmp(user->u.string.chars, id);
        for (size_t i = 0; complete && i < sizeof keys / sizeof keys[0]; i++)
            complete = json_object_get(*out, keys[i]) != NULL;
        if (!complete) {
            json_free(*out);
            *out = NULL;
        }
    }
    int rc = CLI_EXIT_OK;
    if (!*out) {
        char path[256];
        struct cloudresp creds = {0};
        snprintf(path, sizeof path, "/v1/devices/%s/mqtt-credentials", id);
        rc = cloudcli_call(c, "POST", path, NULL, &creds);
        if (!rc && (hostio_make_dirs(cloud, 0700) || hostio_write_file_atomic(file, creds.body.data, creds.body.len, 0600)))
            fprintf(stderr, "warning: cannot store the device's MQTT credentials in %s: its cloud agent keeps the old ones\n", file);
        if (!rc && !(*out = json_clone(creds.json)))
            rc = cli_error("out of memory");
        cloudresp_free(&creds);
    }
    free(cloud), free(file);
    return rc;
}

static int write_config(const char *dir, const char *component, const struct strbuf *text)
{
    char rel[128];
    snprintf(rel, sizeof rel, "storage/%s", component);
    char *folder = path_join(dir, rel), *file = folder ? path_join(folder, "mutable_storage") : NULL;
    int err = file ? hostio_make_dirs(folder, 0700) : -ENOMEM;
    err = err ? err : hostio_write_file_atomic(file, text->data, text->len, 0600);
    if (!err)
        printf("Wrote the OTA agent's configuration to %s (%zu bytes).\n", file, text->len);
    free(folder), free(file);
    return err;
}

static int run_enroll(const struct cli_invocation *inv)
{
    char *dir = NULL, id[160], *key_pem = NULL, *ca_pem = NULL;
    const char *component = cli_value(inv, "component") ? cli_value(inv, "component") : OTA_AGENT_COMPONENT;
    const char *mqtt_host = cli_value(inv, "mqtt-host") ? cli_value(inv, "mqtt-host") : OTA_AGENT_MQTT_HOST;
    const char *baud_text = cli_value(inv, "mcu-baud");
    char *end = NULL;
    long mcu_baud = baud_text ? strtol(baud_text, &end, 10) : 0;
    if (baud_text && (!*baud_text || *end || mcu_baud < 1200 || mcu_baud > 3000000))
        return cli_usage_error(inv, "--mcu-baud must be a line speed from 1200 to 3000000, not '%s'", baud_text);
    int rc = sim_device(cli_value(inv, "device"), &dir, id, sizeof id);
    struct cloudclient c = {0};
    struct cloudresp key = {0};
    struct json_value *creds = NULL;
    rc = rc ? rc : cloudcli_open(&c);
    const char *ca_file = cli_value(inv, "ca") ? cli_value(inv, "ca") : c.ca_file;
    size_t len = 0;
    if (!rc && ca_file && hostio_read_file(ca_file, &ca_pem, &len) != 0)
        rc = cli_error("cannot read the CA certificate %s", ca_file);
    rc = rc ? rc : shared_credentials(&c, dir, id, &creds);
    rc = rc ? rc : cloudcli_call(&c, "GET", "/v1/ota/public-key", NULL, &key);
    if (!rc && !(key_pem = strndup(key.body.data, key.body.len)))
        rc = cli_error("out of memory");
    const struct json_value *tls = rc ? NULL : json_object_get(creds, "tls");
    if (!rc && tls && tls->type == JSON_BOOL && tls->u.boolean && !ca_pem)
        rc = cli_error("the cloud's MQTT broker uses TLS: give the certificate the agent should trust with --ca FILE "
                       "(or log in with --ca-cert FILE)");
    struct strbuf text = {0};
    int err = rc ? 0 : compose(creds, mqtt_host, key_pem, ca_pem, mcu_baud, cli_flag(inv, "password-login"), &text);
    err = rc || err ? err : write_config(dir, component, &text);
    if (err)
        rc = cli_error("cannot write the OTA agent's configuration for '%s': %s", cli_value(inv, "device"), os_strerror(err));
    strbuf_free(&text);
    json_free(creds);
    cloudresp_free(&key);
    cloudclient_free(&c);
    free(dir), free(key_pem), free(ca_pem);
    return rc;
}

static const struct cli_option enroll_options[] = {
    {"device", 'd', "NAME", false, false, "The simulated device whose OTA agent to enroll."},
    {"mqtt-host", 0, "HOST", false, false, "The broker's name as the agent's manifest lists it (default " OTA_AGENT_MQTT_HOST ")."},
    {"ca", 0, "FILE", false, false, "CA certificate of the blob server (default: the login's, <config>/cloud-ca.pem)."},
    {"component", 0, "ID", false, false, "The agent's component ID (default OpenSphere's OtaAgent)."},
    {"password-login", 0, NULL, false, false, "Log in to the broker with a password even where it takes the device certificate (the fallback)."},
    {"mcu-baud", 0, "BAUD", false, false, "Program an external MCU on ISU0's UART at this speed after each verified image."},
    {NULL, 0, NULL, false, false, NULL},
};
const struct cli_command cmd_ota_enroll = {
    .name = "enroll",
    .summary = "Give a simulated device's OTA agent its twin credentials, the OTA public key and the CA.",
    .options = enroll_options,
    .run = run_enroll};
