/* SPDX-License-Identifier: MIT */
/* webprobe.c — the app the browser test drives (tests/unit/web/test_web.sh): blinks LED 1 red
 * (GPIO 8, active-low) every 250 ms, logs "WEB button A pressed" when button A (GPIO 12) goes
 * low, reads ISU0 and logs "WEB uart got <line>" (and echoes "echo: <line>" back), and logs
 * "WEB adc <raw>" whenever ADC channel 1's sample changes. Runs until SIGTERM. With the argument
 * "pwm" it instead drives LED 1 green through PWM-CONTROLLER-2 channel 1 at 25 % (inversed
 * polarity: the LED is active-low) and logs "WEB pwm applied". */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <applibs/adc.h>
#include <applibs/gpio.h>
#include <applibs/log.h>
#include <applibs/pwm.h>
#include <applibs/uart.h>

static volatile sig_atomic_t terminated;
static void on_term(int s) { terminated = 1; }

static int run_pwm(void)
{
    int fd = PWM_Open(2); /* MT3620_RDB_LED_PWM_CONTROLLER2 */
    PwmState state = {.period_nsec = 1000000, .dutyCycle_nsec = 250000, .polarity = PWM_Polarity_Inversed, .enabled = true};
    int rc = fd < 0 ? fd : PWM_Apply(fd, 1, &state);
    Log_Debug(rc < 0 ? "WEB pwm failed: %s\n" : "WEB pwm applied%s\n", rc < 0 ? strerror(errno) : "");
    while (!terminated)
        pause();
    return 0;
}

int main(int argc, char **argv)
{
    struct sigaction act = {.sa_handler = on_term};
    sigaction(SIGTERM, &act, NULL);
    if (argc > 1 && !strcmp(argv[1], "pwm"))
        return run_pwm();
    int led = GPIO_OpenAsOutput(8, GPIO_OutputMode_PushPull, GPIO_Value_High);
    int button = GPIO_OpenAsInput(12);
    UART_Config cfg;
    UART_InitConfig(&cfg);
    cfg.baudRate = 115200;
    int uart = UART_Open(4, &cfg); /* MT3620_RDB_HEADER2_ISU0_UART */
    int adc = ADC_Open(0);
    Log_Debug("WEB started led=%d button=%d uart=%d adc=%d\n", led, button, uart, adc);
    GPIO_Value_Type last_button = GPIO_Value_High, level = GPIO_Value_High;
    long last_sample = -1;
    char line[256];
    size_t used = 0;
    for (unsigned tick = 0; !terminated; tick++) {
        if (tick % 25 == 0) { /* every 250 ms */
            level = level == GPIO_Value_High ? GPIO_Value_Low : GPIO_Value_High;
            GPIO_SetValue(led, level);
        }
        GPIO_Value_Type b;
        if (GPIO_GetValue(button, &b) == 0) {
            if (b == GPIO_Value_Low && last_button == GPIO_Value_High)
                Log_Debug("WEB button A pressed\n");
            last_button = b;
        }
        char buf[128];
        ssize_t n = uart >= 0 ? read(uart, buf, sizeof buf) : -1;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n' || buf[i] == '\r') {
                if (!used)
                    continue;
                line[used] = '\0';
                Log_Debug("WEB uart got %s\n", line);
                char reply[300];
                int len = snprintf(reply, sizeof reply, "echo: %s\r\n", line);
                ssize_t w = write(uart, reply, (size_t)len);
                (void)w;
                used = 0;
            } else if (used < sizeof line - 1) {
                line[used++] = buf[i];
            }
        }
        uint32_t sample;
        if (adc >= 0 && ADC_Poll(adc, 1, &sample) == 0 && (long)sample != last_sample) {
            if (tick % 10 == 0) { /* at most every 100 ms */
                Log_Debug("WEB adc %u\n", sample);
                last_sample = (long)sample;
            }
        }
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    }
    return 0;
}
