/* SPDX-License-Identifier: MIT */
/* AdcVoltmeter — an OpenSphere example high-level app (our own code).
 *
 * Opens ADC controller 0, sets the 2.5 V reference and logs the voltage on channel 1 (a
 * potentiometer on the RDB's header) twice a second. On the simulator, turn the knob with
 * `sphere sim adc --channel 1 --volts 1.8`. Exits cleanly on SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <applibs/adc.h>
#include <applibs/log.h>

#include <hw/mt3620_rdb.h>

#define CHANNEL MT3620_ADC_CHANNEL1
#define REFERENCE_VOLTS 2.5f

static volatile sig_atomic_t stop;
static void on_sigterm(int signal) { stop = 1; }

int main(void)
{
    struct sigaction act = {.sa_handler = on_sigterm};
    sigaction(SIGTERM, &act, NULL);
    int fd = ADC_Open(MT3620_RDB_ADC_CONTROLLER0);
    int bits = fd < 0 ? -1 : ADC_GetSampleBitCount(fd, CHANNEL);
    if (bits <= 0 || ADC_SetReferenceVoltage(fd, CHANNEL, REFERENCE_VOLTS) < 0) {
        Log_Debug("ERROR: cannot set up the ADC: %s (%d)\n", strerror(errno), errno);
        return 2;
    }
    uint32_t full_scale = (1u << bits) - 1;
    Log_Debug("ADC ready: %d bits, reference %.2f V\n", bits, REFERENCE_VOLTS);
    uint32_t last = UINT32_MAX;
    while (!stop) {
        uint32_t sample;
        if (ADC_Poll(fd, CHANNEL, &sample) < 0) {
            Log_Debug("ERROR: ADC_Poll: %s (%d)\n", strerror(errno), errno);
            return 3;
        }
        if (sample != last)
            Log_Debug("Voltage: %.3f V (sample %u)\n", sample * REFERENCE_VOLTS / full_scale, sample);
        last = sample;
        nanosleep(&(struct timespec){0, 500000000L}, NULL);
    }
    close(fd);
    return 0;
}
