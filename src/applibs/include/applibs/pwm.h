/* SPDX-License-Identifier: MIT */
/* applibs/pwm.h — OpenSphere Applibs: PWM controllers. PWM_Open needs the controller in the
 * manifest's Pwm capability (else EACCES); a listed controller the board does not have fails
 * with ENODEV, one already open with EBUSY. PWM_Apply fails with EBADF for a handle that is not
 * a PWM controller, ENODEV for a channel the controller does not have (it has 4), EFAULT for a
 * NULL state, EINVAL for a duty cycle longer than the period, an unknown polarity, or an enabled
 * channel with period 0. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
typedef unsigned int PWM_ControllerId;
typedef uint32_t PWM_ChannelId;
typedef uint32_t PwmPolarity;
enum { PWM_Polarity_Normal = 0, PWM_Polarity_Inversed = 1 };

typedef struct PwmState {
    unsigned int period_nsec;
    unsigned int dutyCycle_nsec;
    PwmPolarity polarity;
    bool enabled;
} PwmState;

int PWM_Open(PWM_ControllerId pwm);
int PWM_Apply(int pwmFd, PWM_ChannelId pwmChannel, const PwmState *newState);
#ifdef __cplusplus
}
#endif
