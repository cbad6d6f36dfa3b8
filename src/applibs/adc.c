/* SPDX-License-Identifier: MIT */
/* adc.c — ADC controller handles (see applibs/adc.h; board_wire.h requests). */
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/adc.h>

#include <errno.h>

#include "board_client.h"
#include "broker_client.h"

int ADC_Open(ADC_ControllerId id) { return board_client_open(BROKER_ADC_OPEN, (int)id, 0, 0); }

int ADC_GetSampleBitCount(int fd, ADC_ChannelId channel)
{
    uint32_t bits = 0;
    int rc = board_client_simple(fd, BOARD_WIRE_ADC_BITS, channel, 0, &bits);
    return applibs_result(rc, (int)bits);
}

int ADC_SetReferenceVoltage(int fd, ADC_ChannelId channel, float referenceVoltage)
{
    if (!(referenceVoltage > 0.0f && referenceVoltage < 100.0f)) { /* NaN, negative, absurd */
        errno = EINVAL;
        return -1;
    }
    uint32_t microvolts = (uint32_t)(referenceVoltage * 1e6f + 0.5f);
    return applibs_result(board_client_simple(fd, BOARD_WIRE_ADC_REFERENCE, channel, microvolts, NULL), 0);
}

int ADC_Poll(int fd, ADC_ChannelId channel, uint32_t *outSampleValue)
{
    if (!outSampleValue) {
        errno = EFAULT;
        return -1;
    }
    return applibs_result(board_client_simple(fd, BOARD_WIRE_ADC_POLL, channel, 0, outSampleValue), 0);
}
