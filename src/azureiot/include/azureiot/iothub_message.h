/* SPDX-License-Identifier: MIT */
/*
 * azureiot/iothub_message.h — telemetry and cloud-to-device messages (AZURE-IOT-API.md §2.5).
 * A message owns copies of its body, properties and system properties. Messages received in
 * the C2D callback belong to the library and live only during the call.
 */
#ifndef AZUREIOT_IOTHUB_MESSAGE_H
#define AZUREIOT_IOTHUB_MESSAGE_H
#include "azure_c_shared_utility/crt_abstractions.h"
#include "azure_macro_utils/macro_utils.h"
#ifdef __cplusplus
extern "C" {
#endif

#define IOTHUB_MESSAGE_RESULT_VALUES \
    IOTHUB_MESSAGE_OK, IOTHUB_MESSAGE_INVALID_ARG, IOTHUB_MESSAGE_INVALID_TYPE, IOTHUB_MESSAGE_ERROR, IOTHUB_MESSAGE_BECAUSE_DESTROY
MU_DEFINE_ENUM_WITHOUT_INVALID(IOTHUB_MESSAGE_RESULT, IOTHUB_MESSAGE_RESULT_VALUES);

#define IOTHUBMESSAGE_CONTENT_TYPE_VALUES IOTHUBMESSAGE_BYTEARRAY, IOTHUBMESSAGE_STRING, IOTHUBMESSAGE_UNKNOWN
MU_DEFINE_ENUM_WITHOUT_INVALID(IOTHUBMESSAGE_CONTENT_TYPE, IOTHUBMESSAGE_CONTENT_TYPE_VALUES);

typedef struct IOTHUB_MESSAGE_HANDLE_DATA_TAG *IOTHUB_MESSAGE_HANDLE;

/* Copies the string (content type STRING). NULL on failure. */
IOTHUB_MESSAGE_HANDLE IoTHubMessage_CreateFromString(const char *source);
/* Copies the bytes (content type BYTEARRAY); size 0 allowed. NULL on failure. */
IOTHUB_MESSAGE_HANDLE IoTHubMessage_CreateFromByteArray(const unsigned char *byteArray, size_t size);
IOTHUB_MESSAGE_HANDLE IoTHubMessage_Clone(IOTHUB_MESSAGE_HANDLE iotHubMessageHandle);
IOTHUBMESSAGE_CONTENT_TYPE IoTHubMessage_GetContentType(IOTHUB_MESSAGE_HANDLE iotHubMessageHandle);
/* Borrowed pointer, valid while the message lives; INVALID_ARG on a STRING message. */
IOTHUB_MESSAGE_RESULT IoTHubMessage_GetByteArray(IOTHUB_MESSAGE_HANDLE iotHubMessageHandle, const unsigned char **buffer,
                                                 size_t *size);
/* NULL unless the content type is STRING. */
const char *IoTHubMessage_GetString(IOTHUB_MESSAGE_HANDLE iotHubMessageHandle);
/* Adds or replaces an application property (printable US-ASCII key and value; both copied). */
IOTHUB_MESSAGE_RESULT IoTHubMessage_SetProperty(IOTHUB_MESSAGE_HANDLE iotHubMessageHandle, const char *key, const char *value);
/* The value of an application property, or NULL. */
const char *IoTHubMessage_GetProperty(IOTHUB_MESSAGE_HANDLE iotHubMessageHandle, const char *key);
IOTHUB_MESSAGE_RESULT IoTHubMessage_SetContentTypeSystemProperty(IOTHUB_MESSAGE_HANDLE iotHubMessageHandle, const char *contentType);
const char *IoTHubMessage_GetContentTypeSystemProperty(IOTHUB_MESSAGE_HANDLE iotHubMessageHandle);
IOTHUB_MESSAGE_RESULT IoTHubMessage_SetContentEncodingSystemProperty(IOTHUB_MESSAGE_HANDLE iotHubMessageHandle,
                                                                     const char *contentEncoding);
const char *IoTHubMessage_GetContentEncodingSystemProperty(IOTHUB_MESSAGE_HANDLE iotHubMessageHandle);
IOTHUB_MESSAGE_RESULT IoTHubMessage_SetMessageId(IOTHUB_MESSAGE_HANDLE iotHubMessageHandle, const char *messageId);
const char *IoTHubMessage_GetMessageId(IOTHUB_MESSAGE_HANDLE iotHubMessageHandle);
IOTHUB_MESSAGE_RESULT IoTHubMessage_SetCorrelationId(IOTHUB_MESSAGE_HANDLE iotHubMessageHandle, const char *correlationId);
const char *IoTHubMessage_GetCorrelationId(IOTHUB_MESSAGE_HANDLE iotHubMessageHandle);
void IoTHubMessage_Destroy(IOTHUB_MESSAGE_HANDLE iotHubMessageHandle);

#ifdef __cplusplus
}
#endif
#endif
