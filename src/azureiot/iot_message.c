/* SPDX-License-Identifier: MIT */
/* iot_message.c — IoTHubMessage_* (azureiot/iothub_message.h): owned copies of body and properties. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iot_internal.h"

static IOTHUB_MESSAGE_HANDLE message_new(IOTHUBMESSAGE_CONTENT_TYPE type, const void *data, size_t size)
{
    IOTHUB_MESSAGE_HANDLE m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->body = malloc(size + 1);
    if (!m->body) {
        free(m);
        return NULL;
    }
    if (size)
        memcpy(m->body, data, size);
    m->body[size] = '\0';
    m->size = size;
    m->type = type;
    return m;
}

IOT_EXPORT IOTHUB_MESSAGE_HANDLE IoTHubMessage_CreateFromString(const char *source)
{
    return source ? message_new(IOTHUBMESSAGE_STRING, source, strlen(source)) : NULL;
}

IOT_EXPORT IOTHUB_MESSAGE_HANDLE IoTHubMessage_CreateFromByteArray(const unsigned char *byteArray, size_t size)
{
    return byteArray || size == 0 ? message_new(IOTHUBMESSAGE_BYTEARRAY, byteArray, size) : NULL;
}

static int dup_into(char **slot, const char *value)
{
    char *copy = value ? strdup(value) : NULL;
    if (value && !copy)
        return -ENOMEM;
    free(*slot);
    *slot = copy;
    return 0;
}

IOT_EXPORT IOTHUB_MESSAGE_HANDLE IoTHubMessage_Clone(IOTHUB_MESSAGE_HANDLE src)
{
    if (!src)
        return NULL;
    IOTHUB_MESSAGE_HANDLE m = message_new(src->type, src->body, src->size);
    bool ok = m != NULL;
    for (size_t i = 0; ok && i < src->nprops; i++)
        ok = IoTHubMessage_SetProperty(m, src->props[i].key, src->props[i].value) == IOTHUB_MESSAGE_OK;
    ok = ok && !dup_into(&m->content_type, src->content_type) && !dup_into(&m->content_encoding, src->content_encoding) &&
         !dup_into(&m->message_id, src->message_id) && !dup_into(&m->correlation_id, src->correlation_id);
    if (!ok) {
        IoTHubMessage_Destroy(m);
        return NULL;
    }
    return m;
}

IOT_EXPORT IOTHUBMESSAGE_CONTENT_TYPE IoTHubMessage_GetContentType(IOTHUB_MESSAGE_HANDLE m)
{
    return m ? m->type : IOTHUBMESSAGE_UNKNOWN;
}

IOT_EXPORT IOTHUB_MESSAGE_RESULT IoTHubMessage_GetByteArray(IOTHUB_MESSAGE_HANDLE m, const unsigned char **buffer, size_t *size)
{
    if (!m || !buffer || !size || m->type != IOTHUBMESSAGE_BYTEARRAY)
        return IOTHUB_MESSAGE_INVALID_ARG;
    *buffer = m->body;
    *size = m->size;
    return IOTHUB_MESSAGE_OK;
}

IOT_EXPORT const char *IoTHubMessage_GetString(IOTHUB_MESSAGE_HANDLE m)
{
    return m && m->type == IOTHUBMESSAGE_STRING ? (const char *)m->body : NULL;
}

static bool printable_ascii(const char *s)
{
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e)
            return false;
    return true;
}

IOT_EXPORT IOTHUB_MESSAGE_RESULT IoTHubMessage_SetProperty(IOTHUB_MESSAGE_HANDLE m, const char *key, const char *value)
{
    if (!m || !key || !value || !key[0] || !printable_ascii(key) || !printable_ascii(value))
        return IOTHUB_MESSAGE_INVALID_ARG;
    for (size_t i = 0; i < m->nprops; i++)
        if (!strcmp(m->props[i].key, key))
            return dup_into(&m->props[i].value, value) ? IOTHUB_MESSAGE_ERROR : IOTHUB_MESSAGE_OK;
    struct iot_prop *grown = realloc(m->props, (m->nprops + 1) * sizeof *grown);
    if (!grown)
        return IOTHUB_MESSAGE_ERROR;
    m->props = grown;
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v) {
        free(k), free(v);
        return IOTHUB_MESSAGE_ERROR;
    }
    m->props[m->nprops++] = (struct iot_prop){k, v};
    return IOTHUB_MESSAGE_OK;
}

IOT_EXPORT const char *IoTHubMessage_GetProperty(IOTHUB_MESSAGE_HANDLE m, const char *key)
{
    for (size_t i = 0; m && key && i < m->nprops; i++)
        if (!strcmp(m->props[i].key, key))
            return m->props[i].value;
    return NULL;
}

static IOTHUB_MESSAGE_RESULT set_system(IOTHUB_MESSAGE_HANDLE m, char **slot, const char *value)
{
    if (!m || !value)
        return IOTHUB_MESSAGE_INVALID_ARG;
    return dup_into(slot, value) ? IOTHUB_MESSAGE_ERROR : IOTHUB_MESSAGE_OK;
}

int iot_message_set_system(IOTHUB_MESSAGE_HANDLE m, const char *name, const char *value)
{
    char **slot = !strcmp(name, "mid") ? &m->message_id
                  : !strcmp(name, "cid") ? &m->correlation_id
                  : !strcmp(name, "ct")  ? &m->content_type
                  : !strcmp(name, "ce")  ? &m->content_encoding
                                         : NULL;
    return slot ? dup_into(slot, value) : 0;
}

IOT_EXPORT IOTHUB_MESSAGE_RESULT IoTHubMessage_SetContentTypeSystemProperty(IOTHUB_MESSAGE_HANDLE m, const char *v)
{
    return set_system(m, m ? &m->content_type : NULL, v);
}
IOT_EXPORT const char *IoTHubMessage_GetContentTypeSystemProperty(IOTHUB_MESSAGE_HANDLE m)
{
    return m ? m->content_type : NULL;
}
IOT_EXPORT IOTHUB_MESSAGE_RESULT IoTHubMessage_SetContentEncodingSystemProperty(IOTHUB_MESSAGE_HANDLE m, const char *v)
{
    return set_system(m, m ? &m->content_encoding : NULL, v);
}
IOT_EXPORT const char *IoTHubMessage_GetContentEncodingSystemProperty(IOTHUB_MESSAGE_HANDLE m)
{
    return m ? m->content_encoding : NULL;
}
IOT_EXPORT IOTHUB_MESSAGE_RESULT IoTHubMessage_SetMessageId(IOTHUB_MESSAGE_HANDLE m, const char *v)
{
    return set_system(m, m ? &m->message_id : NULL, v);
}
IOT_EXPORT const char *IoTHubMessage_GetMessageId(IOTHUB_MESSAGE_HANDLE m)
{
    return m ? m->message_id : NULL;
}
IOT_EXPORT IOTHUB_MESSAGE_RESULT IoTHubMessage_SetCorrelationId(IOTHUB_MESSAGE_HANDLE m, const char *v)
{
    return set_system(m, m ? &m->correlation_id : NULL, v);
}
IOT_EXPORT const char *IoTHubMessage_GetCorrelationId(IOTHUB_MESSAGE_HANDLE m)
{
    return m ? m->correlation_id : NULL;
}

IOT_EXPORT void IoTHubMessage_Destroy(IOTHUB_MESSAGE_HANDLE m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nprops; i++)
        free(m->props[i].key), free(m->props[i].value);
    free(m->props);
    free(m->content_type), free(m->content_encoding), free(m->message_id), free(m->correlation_id);
    free(m->body);
    free(m);
}
