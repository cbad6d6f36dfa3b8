/* SPDX-License-Identifier: MIT */
/* azure_prov_client/iothub_security_factory.h — hub security type. Only X.509 is supported; a
 * client works whatever this state (§2.6). */
#ifndef AZURE_PROV_CLIENT_IOTHUB_SECURITY_FACTORY_H
#define AZURE_PROV_CLIENT_IOTHUB_SECURITY_FACTORY_H
#ifdef __cplusplus
extern "C" {
#endif
typedef enum IOTHUB_SECURITY_TYPE_TAG {
    IOTHUB_SECURITY_TYPE_UNKNOWN,
    IOTHUB_SECURITY_TYPE_SAS,
    IOTHUB_SECURITY_TYPE_X509,
    IOTHUB_SECURITY_TYPE_HTTP_EDGE,
    IOTHUB_SECURITY_TYPE_SYMMETRIC_KEY
} IOTHUB_SECURITY_TYPE;
/* 0 for X.509, non-zero otherwise. */
int iothub_security_init(IOTHUB_SECURITY_TYPE sec_type);
void iothub_security_deinit(void);
#ifdef __cplusplus
}
#endif
#endif
