/* SPDX-License-Identifier: MIT */
/* mqtt_loop.c — the reconnecting network thread for libmosquitto clients (see mqtt_loop.h). */
#include "mqtt_loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#define FIRST_WAIT_MS 1000
#define LONGEST_WAIT_MS 10000

struct mqtt_loop {
    struct mosquitto *m;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
};

/* Waits up to ms unless asked to stop; returns whether to go on. */
static bool wait_unless_stopping(struct mqtt_loop *l, unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&l->lock);
    while (!l->stopping && pthread_cond_timedwait(&l->wake, &l->lock, &until) != ETIMEDOUT)
        ;
    bool go_on = !l->stopping;
    pthread_mutex_unlock(&l->lock);
    return go_on;
}

static bool stopping(struct mqtt_loop *l)
{
    pthread_mutex_lock(&l->lock);
    bool s = l->stopping;
    pthread_mutex_unlock(&l->lock);
    return s;
}

static void *run(void *arg)
{
    struct mqtt_loop *l = arg;
    unsigned wait_ms = FIRST_WAIT_MS;
    while (!stopping(l)) {
        /* Returns on our disconnect, or on an error libmosquitto will not retry by itself. */
        mosquitto_loop_forever(l->m, 1000, 1);
        if (!wait_unless_stopping(l, wait_ms))
            break;
        wait_ms = wait_ms * 2 > LONGEST_WAIT_MS ? LONGEST_WAIT_MS : wait_ms * 2;
        if (mosquitto_reconnect(l->m) == MOSQ_ERR_SUCCESS)
            wait_ms = FIRST_WAIT_MS;
    }
    return NULL;
}

int mqtt_loop_start(struct mosquitto *m, struct mqtt_loop **out)
{
    *out = NULL;
    struct mqtt_loop *l = calloc(1, sizeof *l);
    if (!l)
        return -ENOMEM;
    l->m = m;
    /* Other threads publish and disconnect while this thread runs the loop: libmosquitto takes
     * its locks only when told so (mosquitto_loop_start would tell it; we run our own thread).
     * Without it a publish and the loop thread raced on the same packet (ASan: heap-use-after-free
     * in the cloud's twin client under twin_mqtt). */
    int rc = mosquitto_threaded_set(m, true);
    if (rc != MOSQ_ERR_SUCCESS) {
        free(l);
        return -EINVAL;
    }
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&l->wake, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&l->lock, NULL);
    int err = pthread_create(&l->thread, NULL, run, l);
    if (err) {
        pthread_cond_destroy(&l->wake);
        pthread_mutex_destroy(&l->lock);
        free(l);
        return -err;
    }
    *out = l;
    return 0;
}

void mqtt_loop_stop(struct mqtt_loop *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->lock);
    l->stopping = true;
    pthread_cond_signal(&l->wake);
    pthread_mutex_unlock(&l->lock);
    mosquitto_disconnect(l->m); /* ends mosquitto_loop_forever */
    pthread_join(l->thread, NULL);
    pthread_cond_destroy(&l->wake);
    pthread_mutex_destroy(&l->lock);
    free(l);
}
