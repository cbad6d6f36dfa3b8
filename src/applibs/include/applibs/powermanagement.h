/* SPDX-License-Identifier: MIT */
/* applibs/powermanagement.h — OpenSphere Applibs: power controls. Each call needs its entry in
 * the PowerControls capability (else EACCES). The simulated device logs the request. */
#pragma once
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
typedef uint32_t PowerManagement_System_PowerProfile;
enum {
    PowerManagement_PowerSaver = 0,
    PowerManagement_Balanced = 1,
    PowerManagement_HighPerformance = 2,
};
int PowerManagement_ForceSystemReboot(void);
int PowerManagement_ForceSystemPowerDown(unsigned int maximum_residency_in_seconds);
int PowerManagement_SetSystemPowerProfile(PowerManagement_System_PowerProfile desired_profile);
#ifdef __cplusplus
}
#endif
