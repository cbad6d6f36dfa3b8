/* SPDX-License-Identifier: MIT */
/*
 * iothub_plugin.c — a mosquitto 2.0 broker plugin (plugin API version 5) that gives the IoT Hub
 * and DPS stand-in IoT Hub's per-connection topics (docs/iot.md, "The broker plugin").
 *
 * IoT Hub's `$iothub/twin/…`, `$iothub/methods/…` and DPS's `$dps/registrations/…` topics carry no
 * device ID: the hub scopes them by the connection. mosquitto's topics are global (mount_point is
 * static per listener), so this plugin does the scoping:
 *
 *   device → service  a device's PUBLISH on `$iothub/<rest>` or `$dps/<rest>` is rewritten to
 *                     `$iothub/<identity>/<rest>` (`$dps/<identity>/<rest>`), an internal topic only
 *                     the service subscribes to; <identity> is the MQTT user name the broker
 *                     authenticated (on the stand-in's listener: the device certificate's CN).
 *   service → device  the service publishes on the internal `$iothub/<id>/<rest>`; the plugin
 *                     rewrites it to IoT Hub's `$iothub/<rest>` and remembers <id>; the READ check
 *                     then delivers that message only to the connection whose identity is <id>.
 *   access            a device (any client but the service user) may, in the IoT namespaces,
 *                     publish only `devices/<identity>/messages/events/…` and the device-to-hub
 *                     `$iothub/…`/`$dps/…` requests, subscribe only `devices/<identity>/messages/
 *                     devicebound/…` and the hub-to-device `$iothub/…`/`$dps/…` topics, and read
 *                     only its own; everything else in `devices/`, `$iothub/`, `$dps/` is refused.
 *                     Other topics and the service user are left to the broker's acl_file.
 *                     A device's RETAIN flag is cleared there (IoT Hub retains nothing).
 *
 * Delivery is synchronous: mosquitto runs the MESSAGE event and then, in the same call, the READ
 * check of every subscriber, so one "last service message" record is enough.
 *
 * Options: plugin_opt_service_user NAME (the cloud's MQTT user; required).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#define IDENTITY_MAX 256
#define TOPIC_MAX 1024

struct plugin_state {
    mosquitto_plugin_id_t *id;
    char service_user[IDENTITY_MAX];
    /* The last service message rewritten to a shared topic: its topic and its one reader. */
    char last_topic[TOPIC_MAX];
    char last_target[IDENTITY_MAX];
};

static struct plugin_state state;

/* Topics a device sends to the hub (WRITE), and the filters it may subscribe to (SUBSCRIBE). */
static const char *const device_requests[] = {
    "$iothub/twin/GET/", "$iothub/twin/PATCH/properties/reported/", "$iothub/methods/res/",
    "$dps/registrations/PUT/", "$dps/registrations/GET/",
};
static const char *const device_notifications[] = {
    "$iothub/twin/res/", "$iothub/twin/PATCH/properties/desired/", "$iothub/methods/POST/", "$dps/registrations/res/",
};

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool in_iot_namespace(const char *topic)
{
    return starts_with(topic, "$iothub/") || starts_with(topic, "$dps/") || starts_with(topic, "devices/");
}

/* The client's identity when it is a device: its user name, which must also be its client ID
 * (the stand-in's listener forces both to the certificate's CN). NULL for the service or a
 * client without a usable identity. *service tells the two apart. */
static const char *device_identity(struct mosquitto *client, bool *service)
{
    const char *user = mosquitto_client_username(client), *id = mosquitto_client_id(client);
    *service = user && !strcmp(user, state.service_user);
    if (*service || !user || !id || strcmp(user, id) || !user[0] || strlen(user) >= IDENTITY_MAX || strpbrk(user, "/+#"))
        return NULL;
    return user;
}

/* `prefix` matched as a topic prefix, or a filter that is `prefix` minus its slash plus "/#". */
static bool filter_within(const char *filter, const char *prefix)
{
    size_t n = strlen(prefix);
    if (!strncmp(filter, prefix, n)) /* wildcards, if any, only below the fixed part */
        return true;
    return !strncmp(filter, prefix, n - 1) && !strcmp(filter + n - 1, "/#");
}

static bool own_devices_topic(const char *topic, const char *identity, const char *section)
{
    char prefix[IDENTITY_MAX + 64];
    snprintf(prefix, sizeof prefix, "devices/%s/messages/%s/", identity, section);
    return filter_within(topic, prefix);
}

static bool any_prefix(const char *topic, const char *const *prefixes, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (filter_within(topic, prefixes[i]))
            return true;
    return false;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int on_acl_check(int event, void *event_data, void *userdata)
{
    (void)event, (void)userdata;
    struct mosquitto_evt_acl_check *ev = event_data;
    if (!in_iot_namespace(ev->topic))
        return MOSQ_ERR_PLUGIN_DEFER;
    bool service = false;
    const char *identity = device_identity(ev->client, &service);
    if (service)
        return MOSQ_ERR_PLUGIN_DEFER; /* the acl_file's "user" section grants the namespaces */
    if (!identity)
        return MOSQ_ERR_ACL_DENIED;
    bool ok = false;
    switch (ev->access) {
    case MOSQ_ACL_WRITE:
        ok = !strpbrk(ev->topic, "+#") && (own_devices_topic(ev->topic, identity, "events") ||
                                            any_prefix(ev->topic, device_requests, COUNT(device_requests)));
        break;
    case MOSQ_ACL_SUBSCRIBE:
        ok = own_devices_topic(ev->topic, identity, "devicebound") ||
             any_prefix(ev->topic, device_notifications, COUNT(device_notifications));
        break;
    case MOSQ_ACL_UNSUBSCRIBE:
        ok = true;
        break;
    case MOSQ_ACL_READ:
        if (starts_with(ev->topic, "devices/"))
            ok = own_devices_topic(ev->topic, identity, "devicebound");
        else /* a shared $iothub/$dps topic: only the device the service addressed */
            ok = !strcmp(ev->topic, state.last_topic) && !strcasecmp(identity, state.last_target);
        break;
    default:
        break;
    }
    return ok ? MOSQ_ERR_SUCCESS : MOSQ_ERR_ACL_DENIED;
}

/* Replaces ev->topic with `text` (the broker keeps the new string, the old one is ours to free). */
static int set_topic(struct mosquitto_evt_message *ev, const char *text)
{
    char *copy = mosquitto_strdup(text);
    if (!copy)
        return MOSQ_ERR_NOMEM;
    char *old = ev->topic;
    ev->topic = copy;
    mosquitto_free(old);
    return MOSQ_ERR_SUCCESS;
}

/* "$iothub/<rest>" + identity → "$iothub/<identity>/<rest>" (likewise "$dps/"). */
static int scope_topic(struct mosquitto_evt_message *ev, const char *identity)
{
    size_t head = starts_with(ev->topic, "$iothub/") ? 8 : 5;
    char scoped[TOPIC_MAX + IDENTITY_MAX + 2];
    int n = snprintf(scoped, sizeof scoped, "%.*s%s/%s", (int)head, ev->topic, identity, ev->topic + head);
    if (n < 0 || (size_t)n >= sizeof scoped)
        return MOSQ_ERR_ACL_DENIED;
    return set_topic(ev, scoped);
}

/* "$iothub/<id>/<rest>" → "$iothub/<rest>", remembering <id> as the only reader. */
static int unscope_topic(struct mosquitto_evt_message *ev)
{
    size_t head = starts_with(ev->topic, "$iothub/") ? 8 : 5;
    const char *id = ev->topic + head, *slash = strchr(id, '/');
    size_t id_len = slash ? (size_t)(slash - id) : 0;
    if (!slash || id_len == 0 || id_len >= IDENTITY_MAX)
        return MOSQ_ERR_ACL_DENIED;
    char shared[TOPIC_MAX];
    int n = snprintf(shared, sizeof shared, "%.*s%s", (int)head, ev->topic, slash + 1);
    if (n < 0 || (size_t)n >= sizeof shared)
        return MOSQ_ERR_ACL_DENIED;
    memcpy(state.last_target, id, id_len);
    state.last_target[id_len] = '\0';
    snprintf(state.last_topic, sizeof state.last_topic, "%s", shared);
    return set_topic(ev, shared);
}

static int on_message(int event, void *event_data, void *userdata)
{
    (void)event, (void)userdata;
    struct mosquitto_evt_message *ev = event_data;
    state.last_topic[0] = state.last_target[0] = '\0';
    if (!in_iot_namespace(ev->topic))
        return MOSQ_ERR_SUCCESS;
    bool service = false;
    const char *identity = device_identity(ev->client, &service);
    if (service)
        return starts_with(ev->topic, "devices/") ? MOSQ_ERR_SUCCESS : unscope_topic(ev);
    ev->retain = false; /* IoT Hub keeps no retained device messages (and none may replay later) */
    if (starts_with(ev->topic, "devices/"))
        return MOSQ_ERR_SUCCESS;
    if (!identity) /* the WRITE check refused it already; be safe */
        return MOSQ_ERR_ACL_DENIED;
    return scope_topic(ev, identity);
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
    for (int i = 0; i < supported_version_count; i++)
        if (supported_versions[i] == 5)
            return 5;
    return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata, struct mosquitto_opt *options,
                          int option_count)
{
    memset(&state, 0, sizeof state);
    state.id = identifier;
    for (int i = 0; i < option_count; i++)
        if (!strcmp(options[i].key, "service_user"))
            snprintf(state.service_user, sizeof state.service_user, "%s", options[i].value);
    if (!state.service_user[0]) {
        mosquitto_log_printf(MOSQ_LOG_ERR, "opensphere-iothub: plugin_opt_service_user is required");
        return MOSQ_ERR_INVAL;
    }
    *userdata = &state;
    int rc = mosquitto_callback_register(identifier, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL, &state);
    if (rc == MOSQ_ERR_SUCCESS)
        rc = mosquitto_callback_register(identifier, MOSQ_EVT_MESSAGE, on_message, NULL, &state);
    return rc;
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options, int option_count)
{
    (void)userdata, (void)options, (void)option_count;
    mosquitto_callback_unregister(state.id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL);
    mosquitto_callback_unregister(state.id, MOSQ_EVT_MESSAGE, on_message, NULL);
    return MOSQ_ERR_SUCCESS;
}
