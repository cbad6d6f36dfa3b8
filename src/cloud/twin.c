/* SPDX-License-Identifier: MIT */
/* twin.c — the device twin over MQTT with libmosquitto's threaded loop (see twin.h). */
#include "twin.h"
#include "mqtt_loop.h"

#include <ctype.h>
#include <errno.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "json.h"

struct twin {
    struct mosquitto *m;
    struct twin_config cfg;
    char *host, *username, *password, *client_id;
    atomic_bool connected;
    struct mqtt_loop *loop; /* the network thread, once started */
};

/* ---- pure helpers -------------------------------------------------------------------------- */

bool twin_valid_device_id(const char *id)
{
    size_t n = 0;
    for (; id && id[n]; n++)
        if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f')))
            return false;
    return id && n == DEVICE_ID_HEX;
}

int twin_topic_device(const char *topic, const char *suffix, char id[DEVICE_ID_HEX + 1])
{
    size_t plen = strlen(TWIN_TOPIC_PREFIX), slen = strlen(suffix), tlen = topic ? strlen(topic) : 0;
    if (tlen != plen + DEVICE_ID_HEX + slen || strncmp(topic, TWIN_TOPIC_PREFIX, plen) != 0 ||
        strcmp(topic + plen + DEVICE_ID_HEX, suffix) != 0)
        return -EINVAL;
    memcpy(id, topic + plen, DEVICE_ID_HEX);
    id[DEVICE_ID_HEX] = '\0';
    /* All upper case: the device certificate's CN, the user name on the device listener (docs/twin.md). */
    if (strspn(id, "0123456789ABCDEF") == DEVICE_ID_HEX)
        for (char *p = id; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    return twin_valid_device_id(id) ? 0 : -EINVAL;
}

int twin_check_json(const void *payload, size_t len, char *why, size_t why_size)
{
    if (len > TWIN_MAX_JSON) {
        snprintf(why, why_size, "%zu bytes, larger than %u", len, TWIN_MAX_JSON);
        return -EINVAL;
    }
    if (len == 0 || !payload) {
        snprintf(why, why_size, "empty, not a JSON object");
        return -EINVAL;
    }
    struct json_value *v = NULL;
    struct diag_list diags = {0};
    int err = json_parse(payload, len, NULL, "payload", &diags, &v);
    bool bad = err || diag_error_count(&diags) > 0 || !v;
    if (bad)
        snprintf(why, why_size, "not JSON");
    else if (v->type != JSON_OBJECT)
        snprintf(why, why_size, "a JSON %s, not an object", json_type_phrase(v->type));
    bad = bad || v->type != JSON_OBJECT;
    json_free(v);
    diag_list_free(&diags);
    return bad ? -EINVAL : 0;
}

/* ---- callbacks (libmosquitto's thread) ----------------------------------------------------- */

static void on_connect(struct mosquitto *m, void *arg, int rc)
{
    struct twin *t = arg;
    if (rc != 0) {
        fprintf(stderr, "sphere-cloud: twin: the broker %s:%u refused the service user '%s': %s\n", t->host,
                t->cfg.port, t->username, mosquitto_connack_string(rc));
        return;
    }
    int err = mosquitto_subscribe(m, NULL, TWIN_REPORTED_FILTER, 1);
    if (err != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "sphere-cloud: twin: cannot subscribe to %s: %s\n", TWIN_REPORTED_FILTER, mosquitto_strerror(err));
        return;
    }
    atomic_store(&t->connected, true);
    fprintf(stderr, "sphere-cloud: twin: connected to the MQTT broker %s:%u as '%s'\n", t->host, t->cfg.port, t->username);
    if (t->cfg.on_connected)
        t->cfg.on_connected(t->cfg.ctx, t);
}

static void on_disconnect(struct mosquitto *m, void *arg, int rc)
{
    struct twin *t = arg;
    bool was = atomic_exchange(&t->connected, false);
    if (rc != 0 && was)
        fprintf(stderr, "sphere-cloud: twin: lost the MQTT broker %s:%u (%s); reconnecting\n", t->host, t->cfg.port,
                mosquitto_strerror(rc));
}

/* libmosquitto's own errors (a failed TLS handshake on reconnect, …) go to the service's log. */
static void on_log(struct mosquitto *m, void *arg, int level, const char *text)
{
    (void)m, (void)arg;
    if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING))
        fprintf(stderr, "sphere-cloud: twin: mqtt: %s\n", text);
}

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
    struct twin *t = arg;
    char id[DEVICE_ID_HEX + 1], why[128];
    if (twin_topic_device(msg->topic, TWIN_REPORTED_SUFFIX, id) != 0) {
        fprintf(stderr, "sphere-cloud: twin: ignored a message on '%.200s': not a device's reported topic\n", msg->topic);
        return;
    }
    if (msg->retain && msg->payloadlen == 0)
        return; /* a cleared retained message: nothing reported */
    if (twin_check_json(msg->payload, msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0, why, sizeof why) != 0) {
        fprintf(stderr, "sphere-cloud: twin: ignored the reported state of device %.16s...: %s\n", id, why);
        return;
    }
    char *json = malloc((size_t)msg->payloadlen + 1);
    if (!json) {
        fprintf(stderr, "sphere-cloud: twin: ignored the reported state of device %.16s...: out of memory\n", id);
        return;
    }
    memcpy(json, msg->payload, (size_t)msg->payloadlen);
    json[msg->payloadlen] = '\0';
    t->cfg.on_reported(t->cfg.ctx, id, json);
    free(json);
}

/* ---- open / close / publish ---------------------------------------------------------------- */

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static void lib_init(void) { mosquitto_lib_init(); }

int twin_open(const struct twin_config *cfg, struct twin **out, char *why, size_t why_size)
{
    *out = NULL;
    if (!cfg->host || !cfg->username || !cfg->password || !cfg->on_reported) {
        snprintf(why, why_size, "the twin needs a broker host, a user name, a password and a callback");
        return -EINVAL;
    }
    pthread_once(&lib_once, lib_init);
    struct twin *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    t->cfg = *cfg;
    t->host = strdup(cfg->host);
    t->username = strdup(cfg->username);
    t->password = strdup(cfg->password);
    t->client_id = strdup(cfg->client_id ? cfg->client_id : cfg->username);
    atomic_init(&t->connected, false);
    if (!t->host || !t->username || !t->password || !t->client_id) {
        twin_close(t);
        return -ENOMEM;
    }
    t->m = mosquitto_new(t->client_id, true, t);
    int rc = t->m ? MOSQ_ERR_SUCCESS : MOSQ_ERR_NOMEM;
    if (rc == MOSQ_ERR_SUCCESS)
        rc = mosquitto_username_pw_set(t->m, t->username, t->password);
    if (rc == MOSQ_ERR_SUCCESS) {
        mosquitto_connect_callback_set(t->m, on_connect);
        mosquitto_disconnect_callback_set(t->m, on_disconnect);
        mosquitto_message_callback_set(t->m, on_message);
        mosquitto_log_callback_set(t->m, on_log);
        rc = mosquitto_reconnect_delay_set(t->m, 1, 10, true);
    }
    if (rc == MOSQ_ERR_SUCCESS && cfg->tls_pinned_cert_file) {
        rc = mosquitto_tls_set(t->m, cfg->tls_pinned_cert_file, NULL, NULL, NULL, NULL);
        if (rc == MOSQ_ERR_SUCCESS) /* the chain is the pinned certificate itself; its names are not checked */
            rc = mosquitto_tls_insecure_set(t->m, true);
    }
    if (rc == MOSQ_ERR_SUCCESS) {
        /* A broker that is not up yet is not an error: the loop keeps trying. */
        int crc = mosquitto_connect_async(t->m, t->host, cfg->port, 30);
        if (crc != MOSQ_ERR_SUCCESS)
            fprintf(stderr, "sphere-cloud: twin: cannot reach the MQTT broker %s:%u yet (%s); retrying\n", t->host,
                    cfg->port, crc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(crc));
        rc = mqtt_loop_start(t->m, &t->loop) == 0 ? MOSQ_ERR_SUCCESS : MOSQ_ERR_NOMEM;
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        snprintf(why, why_size, "cannot start the MQTT client: %s", mosquitto_strerror(rc));
        twin_close(t);
        return rc == MOSQ_ERR_NOMEM ? -ENOMEM : -EIO;
    }
    *out = t;
    return 0;
}

void twin_close(struct twin *t)
{
    if (!t)
        return;
    if (t->m) {
        if (t->loop)
            mqtt_loop_stop(t->loop); /* disconnects */
        else
            mosquitto_disconnect(t->m);
        mosquitto_destroy(t->m);
    }
    free(t->host), free(t->username), free(t->password), free(t->client_id);
    free(t);
}

bool twin_connected(struct twin *t) { return t && atomic_load(&t->connected); }

int twin_wait_connected(struct twin *t, unsigned timeout_ms)
{
    for (unsigned waited = 0; !twin_connected(t); waited += 20) {
        if (waited >= timeout_ms)
            return -ETIMEDOUT;
        nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    return 0;
}

/* Publishes on the device's topic `suffix` twice: with the ID in lower case (the user name of a
 * password login) and in upper case (the CN of the device's certificate, the user name on the
 * device listener; mosquitto's ACL compares %u case-sensitively). Returns mosquitto's code. */
static int publish_both_cases(struct twin *t, const char *device_id, const char *suffix, const void *payload, size_t len,
                              bool retain)
{
    char topic[sizeof TWIN_TOPIC_PREFIX + DEVICE_ID_HEX + 32], upper[DEVICE_ID_HEX + 1];
    for (size_t i = 0; i <= DEVICE_ID_HEX; i++)
        upper[i] = (char)toupper((unsigned char)device_id[i]);
    snprintf(topic, sizeof topic, "%s%s%s", TWIN_TOPIC_PREFIX, device_id, suffix);
    int rc = mosquitto_publish(t->m, NULL, topic, (int)len, payload, 1, retain);
    if (rc == MOSQ_ERR_SUCCESS && strcmp(upper, device_id) != 0) {
        snprintf(topic, sizeof topic, "%s%s%s", TWIN_TOPIC_PREFIX, upper, suffix);
        rc = mosquitto_publish(t->m, NULL, topic, (int)len, payload, 1, retain);
    }
    return rc;
}

int twin_publish_command(struct twin *t, const char *device_id, const char *json)
{
    char why[64];
    size_t len = json ? strlen(json) : 0;
    if (!t || !twin_valid_device_id(device_id) || !len || twin_check_json(json, len, why, sizeof why) != 0)
        return -EINVAL;
    if (!twin_connected(t))
        return -ENOTCONN;
    int rc = publish_both_cases(t, device_id, TWIN_COMMANDS_SUFFIX, json, len, false);
    return rc == MOSQ_ERR_SUCCESS ? 0 : rc == MOSQ_ERR_NO_CONN ? -ENOTCONN : rc == MOSQ_ERR_NOMEM ? -ENOMEM : -EIO;
}

int twin_publish_desired(struct twin *t, const char *device_id, const char *json)
{
    char why[64];
    size_t len = json ? strlen(json) : 0;
    if (!t || !twin_valid_device_id(device_id) || (len && twin_check_json(json, len, why, sizeof why) != 0))
        return -EINVAL;
    if (!twin_connected(t))
        return -ENOTCONN;
    int rc = publish_both_cases(t, device_id, TWIN_DESIRED_SUFFIX, len ? json : NULL, len, true);
    if (rc == MOSQ_ERR_SUCCESS)
        return 0;
    if (rc == MOSQ_ERR_NO_CONN)
        return -ENOTCONN;
    fprintf(stderr, "sphere-cloud: twin: cannot publish the desired state of device %.16s...: %s\n", device_id,
            mosquitto_strerror(rc));
    return rc == MOSQ_ERR_NOMEM ? -ENOMEM : -EIO;
}
