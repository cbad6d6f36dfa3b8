/* SPDX-License-Identifier: MIT */
/* gpiobench.c — the runtime benchmark's app: GPIO_SetValue calls per second and GPIO_GetValue
 * round trips, beside the same loops over a plain pipe (write) and a socket pair (ping-pong
 * with an echo thread) in the same process. Prints "BENCH ..." lines, then waits for SIGTERM. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <applibs/gpio.h>

#define CALLS 200000
#define ROUND_TRIPS 20000

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *drain(void *arg)
{
    int fd = *(int *)arg;
    char buf[4096];
    while (read(fd, buf, sizeof buf) > 0)
        ;
    return NULL;
}

static void *echo(void *arg)
{
    int fd = *(int *)arg;
    char c;
    while (read(fd, &c, 1) == 1 && write(fd, &c, 1) == 1)
        ;
    return NULL;
}

int main(void)
{
    int led = GPIO_OpenAsOutput(8, GPIO_OutputMode_PushPull, GPIO_Value_High);
    if (led < 0) {
        printf("BENCH error cannot open GPIO 8\n");
        return 1;
    }
    double t = now_s();
    for (int i = 0; i < CALLS; i++)
        GPIO_SetValue(led, (GPIO_Value_Type)(i & 1));
    double gpio_set = now_s() - t;
    GPIO_Value_Type v;
    t = now_s();
    for (int i = 0; i < ROUND_TRIPS; i++)
        GPIO_GetValue(led, &v);
    double gpio_get = now_s() - t;

    int p[2];
    pthread_t th;
    if (pipe(p) < 0 || pthread_create(&th, NULL, drain, &p[0]) != 0)
        return 2;
    char two[2] = {'S', 1};
    t = now_s();
    for (int i = 0; i < CALLS; i++)
        if (write(p[1], two, 2) != 2)
            return 3;
    double pipe_write = now_s() - t;
    int s[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) < 0 || pthread_create(&th, NULL, echo, &s[1]) != 0)
        return 4;
    char c = 'x';
    t = now_s();
    for (int i = 0; i < ROUND_TRIPS; i++)
        if (write(s[0], &c, 1) != 1 || read(s[0], &c, 1) != 1)
            return 5;
    double pingpong = now_s() - t;
    printf("BENCH set %.0f %.0f\n", CALLS / gpio_set, CALLS / pipe_write);
    printf("BENCH roundtrip %.2f %.2f\n", gpio_get / ROUND_TRIPS * 1e6, pingpong / ROUND_TRIPS * 1e6);
    fflush(stdout);
    pause();
    return 0;
}
