/* SPDX-License-Identifier: MIT */
/* azureiot/iothub_client_options.h — option names for IoTHubDeviceClient_LL_SetOption (§2.4). */
#ifndef AZUREIOT_IOTHUB_CLIENT_OPTIONS_H
#define AZUREIOT_IOTHUB_CLIENT_OPTIONS_H
#include "azure_c_shared_utility/const_defines.h"
static STATIC_VAR_UNUSED const char *OPTION_AUTO_URL_ENCODE_DECODE = "auto_url_encode_decode";
static STATIC_VAR_UNUSED const char *OPTION_MODEL_ID = "model_id";
static STATIC_VAR_UNUSED const char *OPTION_KEEP_ALIVE = "keepalive";
static STATIC_VAR_UNUSED const char *OPTION_LOG_TRACE = "logtrace";
static STATIC_VAR_UNUSED const char *OPTION_MESSAGE_TIMEOUT = "messageTimeout";
#ifndef OPTION_X509_CERT_DEF
#define OPTION_X509_CERT_DEF
static STATIC_VAR_UNUSED const char *OPTION_X509_CERT = "x509certificate";
#endif
#ifndef OPTION_X509_PRIVATE_KEY_DEF
#define OPTION_X509_PRIVATE_KEY_DEF
static STATIC_VAR_UNUSED const char *OPTION_X509_PRIVATE_KEY = "x509privatekey";
#endif
#endif
