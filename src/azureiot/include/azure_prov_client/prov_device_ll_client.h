/* SPDX-License-Identifier: MIT */
/*
 * azure_prov_client/prov_device_ll_client.h — the Device Provisioning Service client (§2.7, §4).
 * Single-threaded like the hub client: the registration runs inside Prov_Device_LL_DoWork, and
 * the register callback fires exactly once from there (never from _Destroy).
 */
#ifndef AZURE_PROV_CLIENT_PROV_DEVICE_LL_CLIENT_H
#define AZURE_PROV_CLIENT_PROV_DEVICE_LL_CLIENT_H
#include "azure_c_shared_utility/const_defines.h"
#include "azure_c_shared_utility/crt_abstractions.h"
#include "azure_macro_utils/macro_utils.h"
#include "azure_prov_client/prov_transport.h"
#ifdef __cplusplus
extern "C" {
#endif

#define PROV_DEVICE_RESULT_VALUE                                                                                        \
    PROV_DEVICE_RESULT_OK, PROV_DEVICE_RESULT_INVALID_ARG, PROV_DEVICE_RESULT_SUCCESS, PROV_DEVICE_RESULT_MEMORY,          \
        PROV_DEVICE_RESULT_PARSING, PROV_DEVICE_RESULT_TRANSPORT, PROV_DEVICE_RESULT_INVALID_STATE,                        \
        PROV_DEVICE_RESULT_DEV_AUTH_ERROR, PROV_DEVICE_RESULT_TIMEOUT, PROV_DEVICE_RESULT_KEY_ERROR, PROV_DEVICE_RESULT_ERROR, \
        PROV_DEVICE_RESULT_HUB_NOT_SPECIFIED, PROV_DEVICE_RESULT_UNAUTHORIZED, PROV_DEVICE_RESULT_DISABLED
#define PROV_DEVICE_RESULT_VALUES PROV_DEVICE_RESULT_VALUE
MU_DEFINE_ENUM_WITHOUT_INVALID(PROV_DEVICE_RESULT, PROV_DEVICE_RESULT_VALUE);

#define PROV_DEVICE_REG_STATUS_VALUES                                                                              \
    PROV_DEVICE_REG_STATUS_CONNECTED, PROV_DEVICE_REG_STATUS_REGISTERING, PROV_DEVICE_REG_STATUS_ASSIGNING,           \
        PROV_DEVICE_REG_STATUS_ASSIGNED, PROV_DEVICE_REG_STATUS_ERROR, PROV_DEVICE_REG_HUB_NOT_SPECIFIED
MU_DEFINE_ENUM_WITHOUT_INVALID(PROV_DEVICE_REG_STATUS, PROV_DEVICE_REG_STATUS_VALUES);

static STATIC_VAR_UNUSED const char *const PROV_REGISTRATION_ID = "registration_id";
static STATIC_VAR_UNUSED const char *const PROV_OPTION_LOG_TRACE = "logtrace";
static STATIC_VAR_UNUSED const char *const PROV_OPTION_TIMEOUT = "provisioning_timeout";
#ifndef OPTION_X509_CERT_DEF
#define OPTION_X509_CERT_DEF
static STATIC_VAR_UNUSED const char *OPTION_X509_CERT = "x509certificate";
#endif
#ifndef OPTION_X509_PRIVATE_KEY_DEF
#define OPTION_X509_PRIVATE_KEY_DEF
static STATIC_VAR_UNUSED const char *OPTION_X509_PRIVATE_KEY = "x509privatekey";
#endif

typedef struct PROV_INSTANCE_INFO_TAG *PROV_DEVICE_LL_HANDLE;
typedef void (*PROV_DEVICE_CLIENT_REGISTER_DEVICE_CALLBACK)(PROV_DEVICE_RESULT register_result, const char *iothub_uri,
                                                            const char *device_id, void *user_context);
typedef void (*PROV_DEVICE_CLIENT_REGISTER_STATUS_CALLBACK)(PROV_DEVICE_REG_STATUS reg_status, void *user_context);
typedef const PROV_DEVICE_TRANSPORT_PROVIDER *(*PROV_DEVICE_TRANSPORT_PROVIDER_FUNCTION)(void);

PROV_DEVICE_LL_HANDLE Prov_Device_LL_Create(const char *uri, const char *scope_id, PROV_DEVICE_TRANSPORT_PROVIDER_FUNCTION protocol);
void Prov_Device_LL_Destroy(PROV_DEVICE_LL_HANDLE handle);
PROV_DEVICE_RESULT Prov_Device_LL_Register_Device(PROV_DEVICE_LL_HANDLE handle, PROV_DEVICE_CLIENT_REGISTER_DEVICE_CALLBACK register_callback,
                                                  void *user_context, PROV_DEVICE_CLIENT_REGISTER_STATUS_CALLBACK reg_status_cb,
                                                  void *status_user_ctext);
void Prov_Device_LL_DoWork(PROV_DEVICE_LL_HANDLE handle);
PROV_DEVICE_RESULT Prov_Device_LL_SetOption(PROV_DEVICE_LL_HANDLE handle, const char *optionName, const void *value);
PROV_DEVICE_RESULT Prov_Device_LL_Set_Provisioning_Payload(PROV_DEVICE_LL_HANDLE handle, const char *json);

#ifdef __cplusplus
}
#endif
#endif
