/* SPDX-License-Identifier: MIT */
/* PwmDimmer — an OpenSphere example high-level app (our own code).
 *
 * Fades LED 1 green (PWM controller 2, channel 1, active low on the RDB: inversed polarity) up
 * and down in 10 % steps every 200 ms at 1 kHz. On the simulator, watch it with
 * `sphere sim pwm` or `sphere sim watch`. Turns the LED off and exits on SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <applibs/log.h>
#include <applibs/pwm.h>

#include <hw/mt3620_rdb.h>

#define PERIOD_NS 1000000u /* 1 kHz */

static volatile sig_atomic_t stop;
static void on_sigterm(int signal) { stop = 1; }

int main(void)
{
    struct sigaction act = {.sa_handler = on_sigterm};
    sigaction(SIGTERM, &act, NULL);
    int fd = PWM_Open(MT3620_RDB_LED_PWM_CONTROLLER2);
    if (fd < 0) {
        Log_Debug("ERROR: PWM_Open: %s (%d)\n", strerror(errno), errno);
        return 2;
    }
    PwmState state = {.period_nsec = PERIOD_NS, .polarity = PWM_Polarity_Inversed, .enabled = true};
    int percent = 0, step = 10;
    while (!stop) {
        state.dutyCycle_nsec = PERIOD_NS / 100 * (unsigned)percent;
        if (PWM_Apply(fd, MT3620_PWM_CHANNEL1, &state) < 0) {
            Log_Debug("ERROR: PWM_Apply: %s (%d)\n", strerror(errno), errno);
            return 3;
        }
        Log_Debug("LED brightness %d %%\n", percent);
        if (percent + step > 100 || percent + step < 0)
            step = -step;
        percent += step;
        nanosleep(&(struct timespec){0, 200000000L}, NULL);
    }
    state.enabled = false;
    PWM_Apply(fd, MT3620_PWM_CHANNEL1, &state);
    close(fd);
    return 0;
}
