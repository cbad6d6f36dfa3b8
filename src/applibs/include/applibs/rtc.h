/* SPDX-License-Identifier: MIT */
/* applibs/rtc.h — OpenSphere Applibs: the real-time clock. Needs the SystemTime capability
 * (else EACCES). The simulated device keeps the host's clock, so this only checks permission. */
#pragma once
#ifdef __cplusplus
extern "C" {
#endif
int clock_systohc(void);
#ifdef __cplusplus
}
#endif
