/* SPDX-License-Identifier: MIT */
/*
 * test_iothub_plugin.c — the IoT Hub broker plugin's rules (src/iothubplugin/iothub_plugin.c),
 * compiled in with the few broker functions it calls stood in for: a device's request is filed
 * under its identity whatever its topic says, the service's answer goes back on IoT Hub's topic
 * to the addressed device only, a device may write/subscribe only its own topics in devices/,
 * $iothub/ and $dps/ (and retains nothing there), a client whose user name is not its client ID is refused there, other
 * topics and the service user are left to the acl_file (DEFER). The end-to-end check with the
 * real broker is iot_conformance.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "iothub_plugin.c"

/* ---- the broker, as far as the plugin uses it --------------------------------------------------- */

struct mosquitto {
    const char *user, *id;
};

const char *mosquitto_client_username(const struct mosquitto *client)
{
    return client->user;
}

const char *mosquitto_client_id(const struct mosquitto *client)
{
    return client->id;
}

char *mosquitto_strdup(const char *s)
{
    return strdup(s);
}

void mosquitto_free(void *mem)
{
    free(mem);
}

void mosquitto_log_printf(int level, const char *fmt, ...)
{
    (void)level, (void)fmt;
}

static MOSQ_FUNC_generic_callback registered[2];

int mosquitto_callback_register(mosquitto_plugin_id_t *identifier, int event, MOSQ_FUNC_generic_callback cb_func,
                                const void *event_data, void *userdata)
{
    (void)identifier, (void)event_data, (void)userdata;
    registered[event == MOSQ_EVT_MESSAGE] = cb_func;
    return MOSQ_ERR_SUCCESS;
}

int mosquitto_callback_unregister(mosquitto_plugin_id_t *identifier, int event, MOSQ_FUNC_generic_callback cb_func,
                                  const void *event_data)
{
    (void)identifier, (void)event, (void)cb_func, (void)event_data;
    return MOSQ_ERR_SUCCESS;
}

/* ---- helpers ------------------------------------------------------------------------------------ */

static struct mosquitto service = {"opensphere-cloud", "opensphere-cloud-iothub"};
static struct mosquitto dev_a = {"AAAA", "AAAA"}, dev_b = {"BBBB", "BBBB"}, mismatched = {"AAAA", "someone"};

static int acl(struct mosquitto *client, int access, const char *topic)
{
    struct mosquitto_evt_acl_check ev = {.client = client, .access = access, .topic = topic};
    return registered[0](MOSQ_EVT_ACL_CHECK, &ev, NULL);
}

/* The MESSAGE event on `topic` from client: the topic afterwards (malloc'd) in *out. */
static bool last_retain; /* the RETAIN flag after the last message() (each is sent with it set) */

static int message(struct mosquitto *client, const char *topic, char **out)
{
    struct mosquitto_evt_message ev = {.client = client, .topic = strdup(topic), .retain = true};
    int rc = registered[1](MOSQ_EVT_MESSAGE, &ev, NULL);
    *out = ev.topic;
    last_retain = ev.retain;
    return rc;
}

static int setup(void **unused)
{
    (void)unused;
    struct mosquitto_opt opt = {.key = "service_user", .value = "opensphere-cloud"};
    void *userdata = NULL;
    return mosquitto_plugin_init(NULL, &userdata, &opt, 1);
}

/* ---- tests -------------------------------------------------------------------------------------- */

static void init_needs_the_service_user(void **unused)
{
    (void)unused;
    void *userdata = NULL;
    assert_int_equal(mosquitto_plugin_init(NULL, &userdata, NULL, 0), MOSQ_ERR_INVAL);
    assert_int_equal(setup(NULL), MOSQ_ERR_SUCCESS);
    int v5 = 5, v4 = 4;
    assert_int_equal(mosquitto_plugin_version(1, &v5), 5);
    assert_int_equal(mosquitto_plugin_version(1, &v4), -1);
}

static void device_requests_are_filed_under_the_sender(void **unused)
{
    (void)unused;
    char *topic = NULL;
    assert_int_equal(message(&dev_a, "$iothub/twin/GET/?$rid=7", &topic), MOSQ_ERR_SUCCESS);
    assert_string_equal(topic, "$iothub/AAAA/twin/GET/?$rid=7");
    assert_false(last_retain);
    free(topic);
    assert_int_equal(message(&dev_b, "$dps/registrations/PUT/iotdps-register/?$rid=1", &topic), MOSQ_ERR_SUCCESS);
    assert_string_equal(topic, "$dps/BBBB/registrations/PUT/iotdps-register/?$rid=1");
    free(topic);
    assert_int_equal(message(&dev_a, "devices/AAAA/messages/events/a=1", &topic), MOSQ_ERR_SUCCESS);
    assert_string_equal(topic, "devices/AAAA/messages/events/a=1"); /* IoT Hub's own topic: unchanged */
    assert_false(last_retain);
    free(topic);
    assert_int_equal(message(&dev_a, "opensphere/devices/AAAA/twin/reported", &topic), MOSQ_ERR_SUCCESS);
    assert_true(last_retain); /* outside the IoT namespaces: not the plugin's */
    free(topic);
}

static void service_answers_reach_only_the_addressed_device(void **unused)
{
    (void)unused;
    char *topic = NULL;
    assert_int_equal(message(&service, "$iothub/AAAA/twin/res/200/?$rid=7", &topic), MOSQ_ERR_SUCCESS);
    assert_string_equal(topic, "$iothub/twin/res/200/?$rid=7");
    assert_int_equal(acl(&dev_a, MOSQ_ACL_READ, topic), MOSQ_ERR_SUCCESS);
    assert_int_equal(acl(&dev_b, MOSQ_ACL_READ, topic), MOSQ_ERR_ACL_DENIED);
    assert_int_equal(acl(&mismatched, MOSQ_ACL_READ, topic), MOSQ_ERR_ACL_DENIED);
    assert_int_equal(acl(&service, MOSQ_ACL_READ, topic), MOSQ_ERR_PLUGIN_DEFER);
    free(topic);
    assert_int_equal(message(&service, "$iothub/bbbb/methods/POST/reboot/?$rid=3", &topic), MOSQ_ERR_SUCCESS);
    assert_string_equal(topic, "$iothub/methods/POST/reboot/?$rid=3");
    assert_int_equal(acl(&dev_b, MOSQ_ACL_READ, topic), MOSQ_ERR_SUCCESS); /* IDs compare without case */
    assert_int_equal(acl(&dev_a, MOSQ_ACL_READ, topic), MOSQ_ERR_ACL_DENIED);
    free(topic);
    /* A later message (here a device's) ends the record: the earlier answer is no one's now. */
    assert_int_equal(message(&dev_a, "$iothub/twin/GET/?$rid=8", &topic), MOSQ_ERR_SUCCESS);
    free(topic);
    assert_int_equal(acl(&dev_b, MOSQ_ACL_READ, "$iothub/methods/POST/reboot/?$rid=3"), MOSQ_ERR_ACL_DENIED);
    assert_int_equal(message(&service, "$iothub/noslash", &topic), MOSQ_ERR_ACL_DENIED);
    free(topic);
}

static void devices_write_only_their_requests(void **unused)
{
    (void)unused;
    const char *allowed[] = {"devices/AAAA/messages/events/", "devices/AAAA/messages/events/a=1&%24.ct=x",
                             "$iothub/twin/GET/?$rid=1", "$iothub/twin/PATCH/properties/reported/?$rid=2",
                             "$iothub/methods/res/-1/?$rid=5", "$dps/registrations/PUT/iotdps-register/?$rid=1",
                             "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=x"};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        assert_int_equal(acl(&dev_a, MOSQ_ACL_WRITE, allowed[i]), MOSQ_ERR_SUCCESS);
    const char *refused[] = {"devices/BBBB/messages/events/", "devices/AAAA/messages/devicebound/x",
                             "$iothub/BBBB/twin/GET/?$rid=1", "$iothub/twin/res/200/?$rid=1",
                             "$iothub/twin/PATCH/properties/desired/?$version=2", "$iothub/methods/POST/x/?$rid=1",
                             "$dps/registrations/res/200/?$rid=1", "$dps/BBBB/registrations/PUT/x", "$iothub/other"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        assert_int_equal(acl(&dev_a, MOSQ_ACL_WRITE, refused[i]), MOSQ_ERR_ACL_DENIED);
    assert_int_equal(acl(&mismatched, MOSQ_ACL_WRITE, "$iothub/twin/GET/?$rid=1"), MOSQ_ERR_ACL_DENIED);
    assert_int_equal(acl(&dev_a, MOSQ_ACL_WRITE, "opensphere/devices/AAAA/twin/reported"), MOSQ_ERR_PLUGIN_DEFER);
    assert_int_equal(acl(&service, MOSQ_ACL_WRITE, "$iothub/AAAA/twin/res/200/?$rid=1"), MOSQ_ERR_PLUGIN_DEFER);
}

static void devices_subscribe_only_their_notifications(void **unused)
{
    (void)unused;
    const char *allowed[] = {"devices/AAAA/messages/devicebound/#", "$iothub/twin/res/#",
                             "$iothub/twin/PATCH/properties/desired/#", "$iothub/methods/POST/#",
                             "$iothub/methods/POST/+/#", "$dps/registrations/res/#", "$iothub/twin/res/200/?$rid=42"};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        assert_int_equal(acl(&dev_a, MOSQ_ACL_SUBSCRIBE, allowed[i]), MOSQ_ERR_SUCCESS);
    const char *refused[] = {"devices/BBBB/messages/devicebound/#", "devices/+/messages/devicebound/#", "devices/#",
                             "$iothub/#", "$iothub/+/twin/GET/#", "$iothub/BBBB/twin/res/#", "$dps/#",
                             "$iothub/twin/GET/#", "$iothub/twin/#"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        assert_int_equal(acl(&dev_a, MOSQ_ACL_SUBSCRIBE, refused[i]), MOSQ_ERR_ACL_DENIED);
    assert_int_equal(acl(&dev_a, MOSQ_ACL_READ, "devices/AAAA/messages/devicebound/%24.mid=1"), MOSQ_ERR_SUCCESS);
    assert_int_equal(acl(&dev_a, MOSQ_ACL_READ, "devices/BBBB/messages/devicebound/%24.mid=1"), MOSQ_ERR_ACL_DENIED);
    assert_int_equal(acl(&dev_a, MOSQ_ACL_UNSUBSCRIBE, "$iothub/#"), MOSQ_ERR_SUCCESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_needs_the_service_user),
        cmocka_unit_test_setup(device_requests_are_filed_under_the_sender, setup),
        cmocka_unit_test_setup(service_answers_reach_only_the_addressed_device, setup),
        cmocka_unit_test_setup(devices_write_only_their_requests, setup),
        cmocka_unit_test_setup(devices_subscribe_only_their_notifications, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
