/* SPDX-License-Identifier: MIT */
/* twin_devlisten.c — the twin broker's device-certificate listener and the password switch (see twin_devlisten.h). */
#include "twin_devlisten.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deviceauth_issue.h"
#include "hostio.h"
#include "mqttbroker.h"
#include "path.h"
#include "strbuf.h"

static int read_in(const char *dir, const char *name, char **text, size_t *len)
{
    char *p = path_join(dir, name);
    int err = p ? hostio_read_file(p, text, len) : -ENOMEM;
    free(p);
    return err;
}

static int write_in(const char *dir, const char *name, const char *text, unsigned mode)
{
    char *p = path_join(dir, name);
    int err = p ? hostio_write_file_atomic(p, text, strlen(text), mode) : -ENOMEM;
    free(p);
    return err;
}

static void remove_in(const char *dir, const char *name)
{
    char *p = path_join(dir, name);
    if (p)
        unlink(p);
    free(p);
}

/* DATA/mqtt/devices-ca.pem: the security service's CA, as kept in keys_dir or made from its key. */
static int write_ca(const char *mqtt_dir, const char *keys_dir, char *why, size_t why_size)
{
    char *key = NULL, *cert = NULL, *ca = NULL;
    size_t key_len = 0, cert_len = 0, ca_len = 0;
    int err = 0;
    if (read_in(keys_dir, DEVICEAUTH_CA_FILE, &ca, &ca_len) != 0) {
        err = read_in(keys_dir, "security-service.key.pem", &key, &key_len);
        err = err ? err : read_in(keys_dir, "security-service.cert.pem", &cert, &cert_len);
        if (err)
            snprintf(why, why_size, "cannot read the security service's key and certificate in %s: %s", keys_dir,
                     strerror(-err));
        else if ((err = deviceauth_make_ca(key, key_len, cert, cert_len, &ca)) != 0)
            snprintf(why, why_size, "cannot make the security service's CA certificate: %s", strerror(-err));
    }
    if (!err && (err = write_in(mqtt_dir, "devices-ca.pem", ca, 0644)) != 0)
        snprintf(why, why_size, "cannot write %s/devices-ca.pem: %s", mqtt_dir, strerror(-err));
    if (key)
        OPENSSL_cleanse(key, key_len);
    free(key), free(cert), free(ca);
    return err;
}

static int write_listener(const char *mqtt_dir, const char *host, unsigned port)
{
    char *conf = NULL;
    if (asprintf(&conf,
                 "# The twin broker's device listener (docs/twin.md), written by sphere-cloud at each start:\n"
                 "# a client certificate from the security service's CA, its CN (the device ID) the user name.\n"
                 "listener %u %s\n"
                 "cafile %s/devices-ca.pem\n"
                 "require_certificate true\nuse_identity_as_username true\n",
                 port, host, mqtt_dir) < 0)
        return -ENOMEM;
    int err = write_in(mqtt_dir, "devices.conf", conf, 0600);
    free(conf);
    return err;
}

/* DATA/mqtt/passwd.service: the lines of DATA/mqtt/passwd for the service user only. */
static int write_service_passwd(const char *mqtt_dir)
{
    char *text = NULL;
    size_t len = 0, ulen = strlen(MQTT_SERVICE_USER);
    int err = read_in(mqtt_dir, "passwd", &text, &len);
    struct strbuf sb = {0};
    for (char *save = NULL, *line = err ? NULL : strtok_r(text, "\n", &save); line && !err;
         line = strtok_r(NULL, "\n", &save))
        if (!strncmp(line, MQTT_SERVICE_USER, ulen) && line[ulen] == ':')
            err = strbuf_printf(&sb, "%s\n", line) ? -ENOMEM : 0;
    err = err ? err : write_in(mqtt_dir, "passwd.service", sb.data ? sb.data : "", 0600);
    if (text)
        OPENSSL_cleanse(text, len);
    strbuf_free(&sb);
    free(text);
    return err;
}

int twin_devlisten_prepare(const char *data_dir, const char *keys_dir, const char *listen, bool passwords, char *why,
                           size_t why_size)
{
    char host[64];
    uint16_t port = 0;
    if (listen && mqttbroker_parse_addr(listen, host, &port) != 0) {
        snprintf(why, why_size, "--mqtt-device-listen must be ADDR:PORT (e.g. 127.0.0.1:8884), not '%s'", listen);
        return -EINVAL;
    }
    char *dir = path_join(data_dir, "mqtt");
    if (!dir)
        return -ENOMEM;
    int err = 0;
    if (!listen) {
        remove_in(dir, "devices.conf");
    } else if ((err = write_ca(dir, keys_dir, why, why_size)) == 0 && (err = write_listener(dir, host, port)) != 0) {
        snprintf(why, why_size, "cannot write %s/devices.conf: %s", dir, strerror(-err));
    }
    if (!err && passwords) {
        remove_in(dir, "passwd.service");
    } else if (!err && (err = write_service_passwd(dir)) != 0) {
        snprintf(why, why_size, "cannot write %s/passwd.service: %s", dir, strerror(-err));
    }
    free(dir);
    return err;
}

int twin_devlisten_port(const char *data_dir, uint16_t *port)
{
    char *text = NULL;
    size_t len = 0;
    int err = read_in(data_dir, TWIN_DEVLISTEN_CONF, &text, &len);
    if (err)
        return err;
    err = -ENOENT;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && err; line = strtok_r(NULL, "\n", &save)) {
        unsigned p = 0;
        if (sscanf(line, "listener %u", &p) == 1 && p > 0 && p < 65536)
            *port = (uint16_t)p, err = 0;
    }
    free(text);
    return err;
}
