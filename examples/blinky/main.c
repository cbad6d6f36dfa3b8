/* SPDX-License-Identifier: MIT */
/* Blinky — an OpenSphere example high-level app (our own code).
 *
 * Blinks LED 1 (red) every 250 ms. Each press of button A (active-low) toggles the blink rate
 * between 250 ms and 1 s and increments a counter kept in the app's mutable storage, so the
 * count survives restarts and updates. Exits cleanly on SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <applibs/eventloop.h>
#include <applibs/gpio.h>
#include <applibs/log.h>
#include <applibs/storage.h>

#include <hw/mt3620_rdb.h>

enum exit_code { EXIT_OK = 0, EXIT_SIGTERM = 1, EXIT_LED = 2, EXIT_BUTTON = 3, EXIT_TIMER = 4, EXIT_LOOP = 5 };

static volatile sig_atomic_t exit_code = EXIT_OK;
static int led_fd = -1, button_fd = -1, blink_timer = -1, button_timer = -1;
static bool led_on, fast = true;
static GPIO_Value_Type last_button = GPIO_Value_High;
static uint32_t presses;

static void on_sigterm(int signal) { exit_code = EXIT_SIGTERM; }

static int make_timer(long ms)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct itimerspec period = {{ms / 1000, (ms % 1000) * 1000000L}, {ms / 1000, (ms % 1000) * 1000000L}};
    if (fd >= 0 && timerfd_settime(fd, 0, &period, NULL) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void consume(int fd)
{
    uint64_t expirations;
    if (read(fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
        exit_code = EXIT_TIMER;
}

static void load_presses(void)
{
    int fd = Storage_OpenMutableFile();
    if (fd < 0) {
        Log_Debug("Cannot open mutable storage: %s\n", strerror(errno));
        return;
    }
    if (read(fd, &presses, sizeof presses) != sizeof presses)
        presses = 0;
    close(fd);
}

static void save_presses(void)
{
    int fd = Storage_OpenMutableFile();
    if (fd < 0 || pwrite(fd, &presses, sizeof presses, 0) != sizeof presses)
        Log_Debug("Cannot save the press count: %s\n", strerror(errno));
    if (fd >= 0)
        close(fd);
}

static void blink(EventLoop *el, int fd, EventLoop_IoEvents events, void *context)
{
    consume(fd);
    led_on = !led_on;
    /* The RDB's LEDs are active-low. */
    if (GPIO_SetValue(led_fd, led_on ? GPIO_Value_Low : GPIO_Value_High) < 0)
        exit_code = EXIT_LED;
}

static void poll_button(EventLoop *el, int fd, EventLoop_IoEvents events, void *context)
{
    consume(fd);
    GPIO_Value_Type value;
    if (GPIO_GetValue(button_fd, &value) < 0) {
        exit_code = EXIT_BUTTON;
        return;
    }
    if (value == GPIO_Value_Low && last_button == GPIO_Value_High) {
        presses++;
        fast = !fast;
        long ms = fast ? 250 : 1000;
        struct itimerspec period = {{ms / 1000, (ms % 1000) * 1000000L}, {ms / 1000, (ms % 1000) * 1000000L}};
        timerfd_settime(blink_timer, 0, &period, NULL);
        save_presses();
        Log_Debug("Button A pressed (%u presses so far): blinking every %ld ms\n", presses, ms);
    }
    last_button = value;
}

int main(int argc, char *argv[])
{
    Log_Debug("Blinky starting.\n");
    struct sigaction action = {.sa_handler = on_sigterm};
    sigaction(SIGTERM, &action, NULL);

    led_fd = GPIO_OpenAsOutput(MT3620_RDB_LED1_RED, GPIO_OutputMode_PushPull, GPIO_Value_High);
    if (led_fd < 0) {
        Log_Debug("Cannot open the LED: %s (%d)\n", strerror(errno), errno);
        return EXIT_LED;
    }
    button_fd = GPIO_OpenAsInput(MT3620_RDB_BUTTON_A);
    if (button_fd < 0) {
        Log_Debug("Cannot open button A: %s (%d)\n", strerror(errno), errno);
        return EXIT_BUTTON;
    }
    load_presses();
    Log_Debug("Button A has been pressed %u times before.\n", presses);

    EventLoop *loop = EventLoop_Create();
    blink_timer = make_timer(250);
    button_timer = make_timer(50);
    if (!loop || blink_timer < 0 || button_timer < 0 ||
        !EventLoop_RegisterIo(loop, blink_timer, EventLoop_Input, blink, NULL) ||
        !EventLoop_RegisterIo(loop, button_timer, EventLoop_Input, poll_button, NULL)) {
        Log_Debug("Cannot set up the event loop: %s\n", strerror(errno));
        return EXIT_TIMER;
    }
    while (exit_code == EXIT_OK) {
        EventLoop_Run_Result result = EventLoop_Run(loop, -1, true);
        if (result == EventLoop_Run_Failed && errno != EINTR)
            exit_code = EXIT_LOOP;
    }
    EventLoop_Close(loop);
    close(blink_timer), close(button_timer), close(led_fd), close(button_fd);
    Log_Debug("Blinky exiting (code %d).\n", (int)exit_code);
    return exit_code == EXIT_SIGTERM ? EXIT_OK : exit_code;
}
