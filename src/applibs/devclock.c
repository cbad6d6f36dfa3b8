/* SPDX-License-Identifier: MIT */
/* devclock.c — the device's clock inside an app (docs/netconfig.md, "The device clock"). The
 * device keeps its own time: the host's CLOCK_REALTIME plus an offset that the device's NTP sync
 * and apps with the SystemTime capability change. libapplibs maps the device's clock page once
 * (BROKER_CLOCK_MAP, read-only) and adds the offset to what the C library's clock_gettime, time
 * and gettimeofday answer for the real-time clock; clock_settime asks the device
 * (BROKER_CLOCK_SET: EACCES without SystemTime). The host's clock is never changed. Outside a
 * device these are the C library's own. Interposers: interpose.c. */
#include "devclock.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "broker_client.h"

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);
typedef int (*clock_settime_fn)(clockid_t, const struct timespec *);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static clock_gettime_fn real_gettime;
static clock_settime_fn real_settime;
static const int64_t *offset_page; /* NULL outside a device (offset 0) */

static void init(void)
{
    void *p = dlsym(RTLD_NEXT, "clock_gettime"); /* libc's (the vDSO) */
    memcpy(&real_gettime, &p, sizeof p);
    p = dlsym(RTLD_NEXT, "clock_settime");
    memcpy(&real_settime, &p, sizeof p);
    if (!applibs_broker_present())
        return;
    struct broker_request q = {.op = BROKER_CLOCK_MAP};
    struct broker_reply r;
    int fd = -1;
    if (applibs_broker_call(&q, &r, &fd) || fd < 0)
        return;
    void *page = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (page != MAP_FAILED)
        offset_page = page;
}

static int64_t offset_ns(void)
{
    pthread_once(&once, init);
    return offset_page ? __atomic_load_n(offset_page, __ATOMIC_ACQUIRE) : 0;
}

static bool realtime(clockid_t id)
{
    return id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE;
}

int devclock_gettime(clockid_t id, struct timespec *ts)
{
    int64_t off = offset_ns(); /* also finds the real function */
    if (!real_gettime) {
        errno = ENOSYS;
        return -1;
    }
    int rc = real_gettime(id, ts);
    if (rc == 0 && realtime(id) && off) {
        int64_t ns = (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec + off;
        ts->tv_sec = (time_t)(ns / 1000000000);
        ts->tv_nsec = (long)(ns % 1000000000);
        if (ts->tv_nsec < 0)
            ts->tv_sec--, ts->tv_nsec += 1000000000;
    }
    return rc;
}

int devclock_settime(clockid_t id, const struct timespec *ts)
{
    pthread_once(&once, init);
    if (!applibs_broker_present())
        return real_settime ? real_settime(id, ts) : (errno = ENOSYS, -1);
    if (!ts) {
        errno = EFAULT;
        return -1;
    }
    if (id != CLOCK_REALTIME || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000) {
        errno = EINVAL;
        return -1;
    }
    struct broker_request q = {.op = BROKER_CLOCK_SET};
    struct broker_reply r;
    int64_t ns = (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
    memcpy(q.text, &ns, sizeof ns);
    return applibs_result(applibs_broker_call(&q, &r, NULL), 0);
}
