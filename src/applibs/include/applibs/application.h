/* applibs/application.h — OpenSphere Applibs: this application and its partners.
 * Application_Connect fails with EACCES unless componentId is in AllowedApplicationConnections
 * (compared ignoring case), EINVAL for a malformed ID; inter-core channels arrive with the
 * inter-core issue (until then a listed partner is refused with ECONNREFUSED). */
#pragma once
#include <stdbool.h>
#ifdef __cplusplus
extern "C" {
#endif
int Application_Connect(const char *componentId);
int Application_IsDeviceAuthReady(bool *outIsDeviceAuthReady);
#ifdef __cplusplus
}
#endif
