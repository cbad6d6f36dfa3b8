/* SPDX-License-Identifier: MIT */
/* powermanagement.c — applibs/powermanagement.h: reboot, power-down and the power profile, each
 * one request to the device's broker. */
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/powermanagement.h>

#include <errno.h>

#include "broker_client.h"

static int power(int what, int arg)
{
    struct broker_request q = {.op = BROKER_POWER, .a = what, .b = arg};
    struct broker_reply r;
    return applibs_result(applibs_broker_call(&q, &r, NULL), 0);
}

int PowerManagement_ForceSystemReboot(void) { return power(1, 0); }
int PowerManagement_ForceSystemPowerDown(unsigned int maximum_residency_in_seconds)
{
    return power(2, (int)maximum_residency_in_seconds);
}
int PowerManagement_SetSystemPowerProfile(PowerManagement_System_PowerProfile desired_profile)
{
    if (desired_profile > PowerManagement_HighPerformance) {
        errno = EINVAL;
        return -1;
    }
    return power(3, (int)desired_profile);
}
