/* SPDX-License-Identifier: MIT */
/* rtc.c — applibs/rtc.h: clock_systohc checks the SystemTime capability with the device's
 * broker (the simulated device keeps the host's clock). */
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/rtc.h>

#include <stdio.h>

#include "broker_client.h"

static int capability(const char *name)
{
    struct broker_request q = {.op = BROKER_CAPABILITY};
    struct broker_reply r;
    snprintf(q.text, sizeof q.text, "%s", name);
    return applibs_broker_call(&q, &r, NULL);
}

int clock_systohc(void) { return applibs_result(capability("SystemTime"), 0); }
