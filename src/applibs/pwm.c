/* SPDX-License-Identifier: MIT */
/* pwm.c — PWM controller handles (see applibs/pwm.h; board_wire.h requests). */
#include "export.h" /* first: the Applibs API's visibility */
#include <applibs/pwm.h>

#include <errno.h>

#include "board_client.h"
#include "broker_client.h"

int PWM_Open(PWM_ControllerId pwm) { return board_client_open(BROKER_PWM_OPEN, (int)pwm, 0, 0); }

int PWM_Apply(int pwmFd, PWM_ChannelId pwmChannel, const PwmState *newState)
{
    if (!newState) {
        errno = EFAULT;
        return -1;
    }
    struct board_wire_pwm s = {.period_ns = newState->period_nsec, .duty_ns = newState->dutyCycle_nsec,
                               .polarity = newState->polarity, .enabled = newState->enabled};
    struct iovec out = {&s, sizeof s};
    int rc = board_client_call(pwmFd, BOARD_WIRE_PWM_APPLY, pwmChannel, 0, &out, 1, NULL, 0, NULL);
    return applibs_result(rc < 0 ? rc : 0, 0);
}
