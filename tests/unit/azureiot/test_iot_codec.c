/* SPDX-License-Identifier: MIT */
/*
 * test_iot_codec.c — the Azure IoT client's pure parts (src/azureiot/private/iot_codec.h), its
 * messages (IoTHubMessage_*), and the headers as the samples use them: the enum string
 * generator (defined here, at file scope, as the samples do), the option names, the includes
 * without the directory prefix (this file is built with -I…/azureiot and friends).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <azure_sphere_provisioning.h>
#include <iothub_client_options.h>
#include <iothub_device_client_ll.h>
#include <iothubtransportmqtt.h>
#include <shared_util_options.h>
#include <azure_prov_client/iothub_security_factory.h>
#include <azure_prov_client/prov_device_ll_client.h>
#include <azure_prov_client/prov_security_factory.h>
#include <azure_prov_client/prov_transport_mqtt_client.h>
#include "iothub.h"
#include "iothub_message.h"

#include "iot_codec.h"

MU_DEFINE_ENUM_STRINGS_WITHOUT_INVALID(IOTHUB_CLIENT_RESULT, IOTHUB_CLIENT_RESULT_VALUE);
MU_DEFINE_ENUM_STRINGS_WITHOUT_INVALID(IOTHUB_CLIENT_CONNECTION_STATUS_REASON, IOTHUB_CLIENT_CONNECTION_STATUS_REASON_VALUES);
MU_DEFINE_ENUM_STRINGS_WITHOUT_INVALID(PROV_DEVICE_RESULT, PROV_DEVICE_RESULT_VALUE);

static void enum_strings(void **state)
{
    assert_string_equal(IOTHUB_CLIENT_RESULTStrings(IOTHUB_CLIENT_ERROR), "IOTHUB_CLIENT_ERROR");
    assert_string_equal(IOTHUB_CLIENT_RESULTStrings((IOTHUB_CLIENT_RESULT)99), "UNKNOWN");
    assert_string_equal(IOTHUB_CLIENT_CONNECTION_STATUS_REASONStrings(IOTHUB_CLIENT_CONNECTION_NO_PING_RESPONSE),
                        "IOTHUB_CLIENT_CONNECTION_NO_PING_RESPONSE");
    assert_string_equal(PROV_DEVICE_RESULTStrings(PROV_DEVICE_RESULT_DISABLED), "PROV_DEVICE_RESULT_DISABLED");
    assert_string_equal(PROV_DEVICE_RESULTStrings((PROV_DEVICE_RESULT)14), "UNKNOWN");
    PROV_DEVICE_RESULT r = PROV_DEVICE_RESULT_OK;
    assert_int_equal(PROV_DEVICE_RESULT_FromString("PROV_DEVICE_RESULT_TIMEOUT", &r), 0);
    assert_int_equal(r, PROV_DEVICE_RESULT_TIMEOUT);
    assert_int_not_equal(PROV_DEVICE_RESULT_FromString("nope", &r), 0);
    /* Values the samples rely on (AZURE-IOT-API.md §2.0 rule 4, §2.2). */
    assert_int_equal(IOTHUB_MESSAGE_OK, 0);
    assert_int_equal(IOTHUBMESSAGE_ACCEPTED, 0);
    assert_int_equal(IOTHUB_CLIENT_CONNECTION_QUOTA_EXCEEDED, 8);
    assert_int_equal(PROV_DEVICE_RESULT_DISABLED, 13);
    assert_string_equal(OPTION_AUTO_URL_ENCODE_DECODE, "auto_url_encode_decode");
    assert_string_equal(OPTION_MODEL_ID, "model_id");
    assert_string_equal(OPTION_TRUSTED_CERT, "TrustedCerts");
    assert_non_null(MQTT_Protocol());
    assert_non_null(Prov_Device_MQTT_Protocol());
}

static void url_encoding(void **state)
{
    char out[128];
    size_t len = 0;
    assert_int_equal(iot_url_encode("2025-03-01T12:00:00Z", out, sizeof out, &len), 0);
    assert_string_equal(out, "2025-03-01T12%3a00%3a00Z");
    len = 0;
    assert_int_equal(iot_url_encode("a b&c=d!()*-._~", out, sizeof out, &len), 0);
    assert_string_equal(out, "a%20b%26c%3dd!()*-._%7e");
    len = 0;
    assert_int_equal(iot_url_encode("abcdef", out, 4, &len), -ENOSPC);
    char dec[64];
    assert_int_equal(iot_url_decode("v%20x%3A%3a", 11, dec, sizeof dec), 0);
    assert_string_equal(dec, "v x::");
    assert_int_equal(iot_url_decode("bad%2", 5, dec, sizeof dec), -EINVAL);
    assert_int_equal(iot_url_decode("bad%zz", 6, dec, sizeof dec), -EINVAL);
    assert_int_equal(iot_url_decode("nul%00", 6, dec, sizeof dec), -EINVAL);
}

static void topics(void **state)
{
    char out[256];
    assert_int_equal(iot_topic_scope("$iothub/twin/GET/?$rid=1", "abc", out, sizeof out), 0);
    assert_string_equal(out, "$iothub/abc/twin/GET/?$rid=1");
    assert_int_equal(iot_topic_scope("$dps/registrations/res/#", "abc", out, sizeof out), 0);
    assert_string_equal(out, "$dps/abc/registrations/res/#");
    assert_int_equal(iot_topic_scope("devices/abc/messages/events/", "abc", out, sizeof out), 0);
    assert_string_equal(out, "devices/abc/messages/events/");
    assert_int_equal(iot_topic_unscope("$iothub/abc/twin/res/200/?$rid=7", "abc", out, sizeof out), 0);
    assert_string_equal(out, "$iothub/twin/res/200/?$rid=7");
    assert_int_equal(iot_topic_unscope("$iothub/abd/twin/res/200/?$rid=7", "abc", out, sizeof out), -EINVAL);
    assert_int_equal(iot_topic_number("$iothub/twin/res/204/?$rid=12&$version=5", "$rid="), 12);
    assert_int_equal(iot_topic_number("$iothub/twin/res/204/?$rid=12&$version=5", "$version="), 5);
    assert_int_equal(iot_topic_number("$iothub/twin/res/204/?$rid=x", "$rid="), -EINVAL);
    assert_int_equal(iot_topic_number("$iothub/twin/res/204/", "$rid="), -EINVAL);
    assert_int_equal(iot_topic_number("$dps/registrations/res/202/?$rid=1&retry-after=3", "retry-after="), 3);
    assert_int_equal(iot_topic_number("$x/?$rid=99999999999", "$rid="), -EINVAL);
    int status = 0;
    assert_int_equal(iot_topic_status("$iothub/twin/res/204/?$rid=1", "$iothub/twin/res/", &status), 0);
    assert_int_equal(status, 204);
    assert_int_equal(iot_topic_status("$iothub/methods/res/-1/?$rid=1", "$iothub/methods/res/", &status), 0);
    assert_int_equal(status, -1);
    assert_int_equal(iot_topic_status("$iothub/twin/res/20x/", "$iothub/twin/res/", &status), -EINVAL);
    char name[64], rid[32];
    assert_int_equal(iot_method_topic("$iothub/methods/POST/displayAlert/?$rid=ab-1", name, sizeof name, rid, sizeof rid), 0);
    assert_string_equal(name, "displayAlert");
    assert_string_equal(rid, "ab-1");
    assert_int_equal(iot_method_topic("$iothub/methods/POST//?$rid=1", name, sizeof name, rid, sizeof rid), -EINVAL);
    assert_int_equal(iot_method_topic("$iothub/methods/POST/x/?nothing", name, sizeof name, rid, sizeof rid), -EINVAL);
}

struct pairs {
    char text[256];
};
static int collect(void *ctx, const char *key, const char *value)
{
    struct pairs *p = ctx;
    size_t n = strlen(p->text);
    snprintf(p->text + n, sizeof p->text - n, "[%s|%s]", key, value);
    return 0;
}

static void property_bags(void **state)
{
    struct pairs p = {""};
    assert_int_equal(iot_property_bag("%24.ce=utf-8&k=v%20x&empty=&=x&iothub-ack=full", true, collect, &p), 0);
    assert_string_equal(p.text, "[$.ce|utf-8][k|v x][iothub-ack|full]");
    struct pairs raw = {""};
    assert_int_equal(iot_property_bag("k=v%20x", false, collect, &raw), 0);
    assert_string_equal(raw.text, "[k|v%20x]");
    struct pairs bad = {""};
    assert_int_equal(iot_property_bag("k=%zz", true, collect, &bad), -EINVAL);
}

static void dps_bodies(void **state)
{
    struct iot_dps_reply r;
    const char *assigning = "{\"operationId\":\"op-1\",\"status\":\"assigning\"}";
    assert_int_equal(iot_dps_parse(assigning, strlen(assigning), &r), 0);
    assert_int_equal(r.state, IOT_DPS_ASSIGNING);
    assert_string_equal(r.operation_id, "op-1");
    const char *assigned = "{\"operationId\":\"op-1\",\"status\":\"assigned\",\"registrationState\":{\"registrationId\":\"d\","
                           "\"assignedHub\":\"hub.example.net\",\"deviceId\":\"d\",\"status\":\"assigned\"}}";
    assert_int_equal(iot_dps_parse(assigned, strlen(assigned), &r), 0);
    assert_int_equal(r.state, IOT_DPS_ASSIGNED);
    assert_string_equal(r.assigned_hub, "hub.example.net");
    assert_string_equal(r.device_id, "d");
    const char *no_hub = "{\"status\":\"assigned\",\"registrationState\":{\"deviceId\":\"d\"}}";
    assert_int_equal(iot_dps_parse(no_hub, strlen(no_hub), &r), -EBADMSG);
    const char *failed = "{\"operationId\":\"o\",\"status\":\"failed\",\"registrationState\":{\"errorCode\":400209}}";
    assert_int_equal(iot_dps_parse(failed, strlen(failed), &r), 0);
    assert_int_equal(r.state, IOT_DPS_FAILED);
    assert_int_equal(r.error_code, 400209);
    const char *no_status = "{\"errorCode\":401002,\"message\":\"unauthorized\"}";
    assert_int_equal(iot_dps_parse(no_status, strlen(no_status), &r), 0);
    assert_int_equal(r.state, IOT_DPS_FAILED);
    assert_int_equal(iot_dps_parse("[1]", 3, &r), -EINVAL);
    assert_int_equal(iot_dps_parse("{", 1, &r), -EINVAL);
    const char *disabled = "{\"status\":\"disabled\"}";
    assert_int_equal(iot_dps_parse(disabled, strlen(disabled), &r), 0);
    assert_int_equal(r.state, IOT_DPS_DISABLED);
}

static void messages(void **state)
{
    IOTHUB_MESSAGE_HANDLE m = IoTHubMessage_CreateFromString("{\"temperature\":21.5}");
    assert_non_null(m);
    assert_int_equal(IoTHubMessage_GetContentType(m), IOTHUBMESSAGE_STRING);
    assert_string_equal(IoTHubMessage_GetString(m), "{\"temperature\":21.5}");
    const unsigned char *bytes = NULL;
    size_t size = 0;
    assert_int_equal(IoTHubMessage_GetByteArray(m, &bytes, &size), IOTHUB_MESSAGE_INVALID_ARG);
    assert_int_equal(IoTHubMessage_SetProperty(m, "k", "v1"), IOTHUB_MESSAGE_OK);
    assert_int_equal(IoTHubMessage_SetProperty(m, "k", "v2"), IOTHUB_MESSAGE_OK);
    assert_string_equal(IoTHubMessage_GetProperty(m, "k"), "v2");
    assert_int_equal(IoTHubMessage_SetProperty(m, "bad", "caf\xc3\xa9"), IOTHUB_MESSAGE_INVALID_ARG);
    assert_null(IoTHubMessage_GetContentEncodingSystemProperty(m));
    assert_int_equal(IoTHubMessage_SetContentEncodingSystemProperty(m, "utf-8"), IOTHUB_MESSAGE_OK);
    IOTHUB_MESSAGE_HANDLE c = IoTHubMessage_Clone(m);
    IoTHubMessage_Destroy(m);
    assert_string_equal(IoTHubMessage_GetContentEncodingSystemProperty(c), "utf-8");
    assert_string_equal(IoTHubMessage_GetProperty(c, "k"), "v2");
    IoTHubMessage_Destroy(c);
    IOTHUB_MESSAGE_HANDLE b = IoTHubMessage_CreateFromByteArray((const unsigned char *)"\x01\x02", 2);
    assert_int_equal(IoTHubMessage_GetByteArray(b, &bytes, &size), IOTHUB_MESSAGE_OK);
    assert_int_equal(size, 2);
    assert_null(IoTHubMessage_GetString(b));
    IoTHubMessage_Destroy(b);
    IoTHubMessage_Destroy(NULL);
}

/* The samples' idioms that must compile: the DPS variant passes &MQTT_Protocol, the others
 * MQTT_Protocol; both are the same function. */
static void sample_idioms(void **state)
{
    IOTHUB_CLIENT_TRANSPORT_PROVIDER with_address = &MQTT_Protocol, without = MQTT_Protocol;
    assert_ptr_equal(with_address, without);
    PROV_DEVICE_TRANSPORT_PROVIDER_FUNCTION prov = Prov_Device_MQTT_Protocol;
    assert_non_null(prov());
    /* Creating from the DAA certificate needs the file: without one, NULL (no I/O, no crash). */
    setenv("OPENSPHERE_DAA_PATH", "/nonexistent/device.pem", 1);
    assert_null(IoTHubDeviceClient_LL_CreateWithAzureSphereFromDeviceAuth("hub.example.net", &MQTT_Protocol));
    unsetenv("OPENSPHERE_DAA_PATH");
}

static void handles_without_network(void **state)
{
    /* Creating does no I/O; a host name without a dot is refused as upstream does. */
    IOTHUB_DEVICE_CLIENT_LL_HANDLE h =
        IoTHubDeviceClient_LL_CreateFromConnectionString("HostName=hub.example.net;DeviceId=dev1;x509=true", MQTT_Protocol);
    assert_non_null(h);
    bool yes = true;
    assert_int_equal(IoTHubDeviceClient_LL_SetOption(h, OPTION_AUTO_URL_ENCODE_DECODE, &yes), IOTHUB_CLIENT_OK);
    assert_int_equal(IoTHubDeviceClient_LL_SetOption(h, OPTION_MODEL_ID, ""), IOTHUB_CLIENT_OK);
    assert_int_equal(IoTHubDeviceClient_LL_SetOption(h, OPTION_MODEL_ID, "x"), IOTHUB_CLIENT_ERROR);
    assert_int_equal(IoTHubDeviceClient_LL_SetOption(h, "nonsense", &yes), IOTHUB_CLIENT_INVALID_ARG);
    IoTHubDeviceClient_LL_Destroy(h);
    assert_null(IoTHubDeviceClient_LL_CreateFromConnectionString("HostName=hub;DeviceId=d;x509=true", MQTT_Protocol));
    assert_null(IoTHubDeviceClient_LL_CreateFromConnectionString("HostName=h.x;DeviceId=d;SharedAccessKey=abc", MQTT_Protocol));
    assert_int_equal(iothub_security_init(IOTHUB_SECURITY_TYPE_X509), 0);
    iothub_security_deinit();
    assert_int_equal(prov_dev_security_init(SECURE_DEVICE_TYPE_X509), 0);
    prov_dev_security_deinit();
    prov_dev_security_deinit();
    PROV_DEVICE_LL_HANDLE p = Prov_Device_LL_Create("global.azure-devices-provisioning.net", "0ne0000", Prov_Device_MQTT_Protocol);
    assert_non_null(p);
    int one = 1;
    assert_int_equal(Prov_Device_LL_SetOption(p, "SetDeviceId", &one), PROV_DEVICE_RESULT_OK);
    assert_int_equal(Prov_Device_LL_Set_Provisioning_Payload(p, "{\"modelId\":\"\"}"), PROV_DEVICE_RESULT_OK);
    Prov_Device_LL_Destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(enum_strings), cmocka_unit_test(url_encoding), cmocka_unit_test(topics),
        cmocka_unit_test(property_bags), cmocka_unit_test(dps_bodies), cmocka_unit_test(messages),
        cmocka_unit_test(handles_without_network), cmocka_unit_test(sample_idioms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
