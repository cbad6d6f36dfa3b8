/* SPDX-License-Identifier: MIT */
/* applibs/adc.h — OpenSphere Applibs: analog-to-digital converters. ADC_Open needs the
 * controller in the manifest's Adc capability (else EACCES); a listed controller the board does
 * not have fails with ENODEV, one already open with EBUSY. A channel the controller does not
 * have fails with EINVAL; so does a reference voltage outside 1.8-2.5 V (the MT3620's VREF
 * range); EFAULT for a NULL output. */
#pragma once
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
typedef uint32_t ADC_ControllerId;
typedef uint32_t ADC_ChannelId;

int ADC_Open(ADC_ControllerId id);
/* The sample width in bits (12 on the MT3620). */
int ADC_GetSampleBitCount(int fd, ADC_ChannelId channel);
int ADC_SetReferenceVoltage(int fd, ADC_ChannelId channel, float referenceVoltage);
/* One conversion: *outSampleValue = round(min(Vin, Vref) / Vref * (2^bits - 1)). */
int ADC_Poll(int fd, ADC_ChannelId channel, uint32_t *outSampleValue);
#ifdef __cplusplus
}
#endif
