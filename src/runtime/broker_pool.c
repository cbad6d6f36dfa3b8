/* SPDX-License-Identifier: MIT */
/* broker_pool.c — worker threads for broker requests that may wait (see broker_pool.h). */
#include "broker_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct job {
    struct job *next;
    int sock;
    broker_job_fn run;
    void *state;
    void (*free_state)(void *);
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;
    struct job *head, *tail;
    int queued, idle, in_flight;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER};

void broker_send_reply(int sock, const struct broker_reply *r, int fd)
{
    struct iovec iov = {.iov_base = (void *)r, .iov_len = sizeof *r};
    char control[CMSG_SPACE(sizeof(int))] = {0};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Runs the job and answers; it stops counting as in flight before the answer goes, so an app that
 * has its answer can always submit again. */
static void run_job(struct job *j)
{
    struct broker_reply r = {0};
    int fd = -1;
    j->run(j->state, &r, &fd);
    pthread_mutex_lock(&pool.lock);
    pool.in_flight--;
    pthread_mutex_unlock(&pool.lock);
    broker_send_reply(j->sock, &r, fd);
    if (fd >= 0)
        close(fd);
    close(j->sock);
    j->free_state(j->state);
    free(j);
}

static void *worker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        while (!pool.head) {
            pool.idle++;
            pthread_cond_wait(&pool.work, &pool.lock);
            pool.idle--;
        }
        struct job *j = pool.head;
        pool.head = j->next;
        if (!pool.head)
            pool.tail = NULL;
        pool.queued--;
        pthread_mutex_unlock(&pool.lock);
        run_job(j);
        pthread_mutex_lock(&pool.lock);
    }
    return NULL;
}

static int start_worker(void)
{
    pthread_attr_t attr;
    pthread_t t;
    int err = pthread_attr_init(&attr);
    if (err)
        return -err;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    err = pthread_create(&t, &attr, worker_main, NULL);
    pthread_attr_destroy(&attr);
    return -err;
}

int broker_pool_submit(int reply_sock, broker_job_fn run, void *state, void (*free_state)(void *))
{
    struct job *j = calloc(1, sizeof *j);
    if (!j)
        return -ENOMEM;
    *j = (struct job){.sock = fcntl(reply_sock, F_DUPFD_CLOEXEC, 0), .run = run, .state = state, .free_state = free_state};
    int err = j->sock < 0 ? -errno : 0;
    pthread_mutex_lock(&pool.lock);
    if (err) {
        /* no duplicate of the socket */
    } else if (pool.in_flight >= BROKER_POOL_MAX) {
        err = -EAGAIN;
    } else if (pool.queued >= pool.idle && (err = start_worker()) != 0) {
        /* no idle worker for it, and no new one */
    } else {
        if (pool.tail)
            pool.tail->next = j;
        else
            pool.head = j;
        pool.tail = j;
        pool.queued++;
        pool.in_flight++;
        pthread_cond_signal(&pool.work);
    }
    pthread_mutex_unlock(&pool.lock);
    if (err) {
        if (j->sock >= 0)
            close(j->sock);
        free(j);
    }
    return err;
}
