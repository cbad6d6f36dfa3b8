/* SPDX-License-Identifier: MIT */
/* test_broker_pool.c — src/runtime/broker_pool.c: a job's reply reaches the app even when the
 * socket it was submitted with is closed at once; a job that waits holds up no other job; at
 * BROKER_POOL_MAX jobs in flight the next is refused with EAGAIN (its state left to the caller),
 * and once they end the pool takes jobs again. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "broker_pool.h"

/* Jobs that wait until `open_gate` (or a job with value -1 opens it). */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_changed = PTHREAD_COND_INITIALIZER;
static bool gate_open;

struct job_state {
    int value;    /* the reply's value */
    bool waits;   /* waits at the gate first */
    bool opens;   /* opens the gate */
};

static void run(void *state, struct broker_reply *r, int *fd)
{
    (void)fd;
    struct job_state *s = state;
    pthread_mutex_lock(&gate_lock);
    if (s->opens) {
        gate_open = true;
        pthread_cond_broadcast(&gate_changed);
    }
    while (s->waits && !gate_open)
        pthread_cond_wait(&gate_changed, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    r->value = s->value;
}

static void free_state(void *state) { free(state); }

/* For a state the test keeps: only notes that the pool let go of it. */
static bool kept_state_released;
static void note_release(void *state)
{
    (void)state;
    kept_state_released = true;
}

static struct job_state *job(int value, bool waits, bool opens)
{
    struct job_state *s = malloc(sizeof *s);
    *s = (struct job_state){.value = value, .waits = waits, .opens = opens};
    return s;
}

/* The next reply on app's end within 5 s: its value. */
static int next_reply(int app)
{
    struct pollfd p = {.fd = app, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 5000), 1);
    struct broker_reply r;
    assert_int_equal(recv(app, &r, sizeof r, 0), (ssize_t)sizeof r);
    return r.value;
}

static void pair(int sv[2]) { assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0); }

static void reply_reaches_the_app_after_the_submitter_closed(void **state)
{
    (void)state;
    int sv[2];
    pair(sv);
    assert_int_equal(broker_pool_submit(sv[0], run, job(42, false, false), free_state), 0);
    close(sv[0]); /* the app's descriptor number may be reused now */
    assert_int_equal(next_reply(sv[1]), 42);
    close(sv[1]);
}

static void a_waiting_job_holds_up_no_other(void **state)
{
    (void)state;
    int sv[2];
    pair(sv);
    gate_open = false;
    assert_int_equal(broker_pool_submit(sv[0], run, job(1, true, false), free_state), 0);
    assert_int_equal(broker_pool_submit(sv[0], run, job(2, false, true), free_state), 0);
    /* job 1 can only end after job 2 has run: on one worker neither would answer */
    int a = next_reply(sv[1]), b = next_reply(sv[1]);
    assert_int_equal(a + b, 3);
    assert_int_not_equal(a, b);
    close(sv[0]), close(sv[1]);
}

static void too_many_in_flight_is_eagain(void **state)
{
    (void)state;
    int sv[2];
    pair(sv);
    gate_open = false;
    for (int i = 0; i < BROKER_POOL_MAX; i++)
        assert_int_equal(broker_pool_submit(sv[0], run, job(i, true, false), free_state), 0);
    struct job_state *refused = job(-1, false, false);
    kept_state_released = false;
    assert_int_equal(broker_pool_submit(sv[0], run, refused, note_release), -EAGAIN);
    assert_false(kept_state_released); /* still ours */
    free(refused);
    pthread_mutex_lock(&gate_lock);
    gate_open = true;
    pthread_cond_broadcast(&gate_changed);
    pthread_mutex_unlock(&gate_lock);
    for (int i = 0; i < BROKER_POOL_MAX; i++)
        next_reply(sv[1]);
    /* every job answered is out of the count: the next is taken at once */
    assert_int_equal(broker_pool_submit(sv[0], run, job(7, false, false), free_state), 0);
    assert_int_equal(next_reply(sv[1]), 7);
    close(sv[0]), close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reply_reaches_the_app_after_the_submitter_closed),
        cmocka_unit_test(a_waiting_job_holds_up_no_other),
        cmocka_unit_test(too_many_in_flight_is_eagain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
