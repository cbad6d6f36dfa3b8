/* SPDX-License-Identifier: MIT */
/* azure_prov_client/prov_security_factory.h — DPS security type. Only X.509 (the device's DAA
 * certificate) is supported; the state is not needed by the client (§2.6). */
#ifndef AZURE_PROV_CLIENT_PROV_SECURITY_FACTORY_H
#define AZURE_PROV_CLIENT_PROV_SECURITY_FACTORY_H
#ifdef __cplusplus
extern "C" {
#endif
typedef enum SECURE_DEVICE_TYPE_TAG {
    SECURE_DEVICE_TYPE_UNKNOWN,
    SECURE_DEVICE_TYPE_TPM,
    SECURE_DEVICE_TYPE_X509,
    SECURE_DEVICE_TYPE_HTTP_EDGE,
    SECURE_DEVICE_TYPE_SYMMETRIC_KEY
} SECURE_DEVICE_TYPE;
/* 0 for X.509, non-zero otherwise. */
int prov_dev_security_init(SECURE_DEVICE_TYPE hsm_type);
/* Idempotent. */
void prov_dev_security_deinit(void);
#ifdef __cplusplus
}
#endif
#endif
