/* SPDX-License-Identifier: MIT */
/*
 * azureiot/azure_sphere_provisioning.h — Azure Sphere's entry points (§2.6): a hub client that
 * authenticates with the device's DAA certificate (device ID = the certificate's CN), and the
 * blocking DPS-then-create helper.
 */
#ifndef AZUREIOT_AZURE_SPHERE_PROVISIONING_H
#define AZUREIOT_AZURE_SPHERE_PROVISIONING_H
#include <azure_prov_client/prov_device_ll_client.h>
#include "iothub_device_client_ll.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef enum AZURE_SPHERE_PROV_RESULT_TAG {
    AZURE_SPHERE_PROV_RESULT_OK,
    AZURE_SPHERE_PROV_RESULT_INVALID_PARAM,
    AZURE_SPHERE_PROV_RESULT_NETWORK_NOT_READY,
    AZURE_SPHERE_PROV_RESULT_DEVICEAUTH_NOT_READY,
    AZURE_SPHERE_PROV_RESULT_PROV_DEVICE_ERROR,
    AZURE_SPHERE_PROV_RESULT_IOTHUB_CLIENT_ERROR,
    AZURE_SPHERE_PROV_RESULT_GENERIC_ERROR
} AZURE_SPHERE_PROV_RESULT;

typedef struct AZURE_SPHERE_PROV_RETURN_VALUE_TAG {
    AZURE_SPHERE_PROV_RESULT result;
    PROV_DEVICE_RESULT prov_device_error;
    IOTHUB_CLIENT_RESULT iothub_client_error;
} AZURE_SPHERE_PROV_RETURN_VALUE;

/* iothub_uri: the hub's host name. NULL when the device certificate cannot be read. No I/O. */
IOTHUB_DEVICE_CLIENT_LL_HANDLE IoTHubDeviceClient_LL_CreateWithAzureSphereFromDeviceAuth(const char *iothub_uri,
                                                                                        IOTHUB_CLIENT_TRANSPORT_PROVIDER protocol);
/* Blocking: registers with DPS (global.azure-devices-provisioning.net, idScope) within timeout
 * ms, then creates the hub client. *handle is NULL on failure. */
AZURE_SPHERE_PROV_RETURN_VALUE IoTHubDeviceClient_LL_CreateWithAzureSphereDeviceAuthProvisioning(
    const char *idScope, unsigned int timeout, IOTHUB_DEVICE_CLIENT_LL_HANDLE *handle);

#ifdef __cplusplus
}
#endif
#endif
