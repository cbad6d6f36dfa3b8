/* SPDX-License-Identifier: MIT */
/*
 * runtime_watchdog.c — the apps' memory (docs/runtime.md, "Lifecycle", Memory).
 *
 * The watchdog samples every running high-level app each WATCHDOG_MS: its anonymous memory
 * (heap, stack, anonymous mappings, from /proc/<pid>/smaps_rollup) above the baseline taken once
 * it has executed its own binary; over the runtime's memory_limit_kb it is killed (SIGKILL) and
 * its exit is logged as over its memory limit. Not RTApps (their memory is the core's), and not
 * while a debugger runs the app. The memory report gives the device each running app's resident
 * and peak memory (VmRSS, VmHWM). Only the supervisor thread calls these, except
 * runtime_memory_report(), which takes rt->lock.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "runtime_int.h"

#define WATCHDOG_MS 100

int runtime_app_pid(pid_t init_pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)init_pid, (int)init_pid);
    FILE *f = fopen(path, "r");
    int child = 0;
    if (f) {
        if (fscanf(f, "%d", &child) != 1)
            child = 0;
        fclose(f);
    }
    return child > 0 ? child : 0;
}

/* A "Name:  N kB" field of /proc/<pid>/status or smaps_rollup, in KiB; -1 if absent. */
static long proc_kb(int pid, const char *file, const char *field)
{
    char path[64], text[256];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
    size_t n = strlen(field);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(text, sizeof text, f))
        if (!strncmp(text, field, n) && text[n] == ':') {
            kb = strtol(text + n + 1, NULL, 10);
            break;
        }
    if (f)
        fclose(f);
    return kb;
}

/* Whether the app process has replaced the image it was forked with (a copy of sphered's, whose
   memory is no measure of the app's: under ASan it is tens of MiB) by the app's own executable. */
static bool app_has_exec(pid_t init_pid, int pid)
{
    char path[64], init_exe[PATH_MAX], app_exe[PATH_MAX];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)init_pid);
    ssize_t n = readlink(path, init_exe, sizeof init_exe - 1);
    snprintf(path, sizeof path, "/proc/%d/exe", pid);
    ssize_t m = readlink(path, app_exe, sizeof app_exe - 1);
    if (n < 0 || m < 0)
        return false;
    return n != m || memcmp(init_exe, app_exe, (size_t)n) != 0;
}

/* The app's anonymous memory in KiB (heap, stack, anonymous mappings), from its smaps_rollup;
   -1 while there is no app process or, until the baseline is taken (first_sample), while it has
   not yet executed the app's binary. */
static long app_anonymous_kb(pid_t init_pid, bool first_sample)
{
    int pid = runtime_app_pid(init_pid);
    if (!pid || (first_sample && !app_has_exec(init_pid, pid)))
        return -1;
    return proc_kb(pid, "smaps_rollup", "Anonymous");
}

void runtime_watchdog_arm(struct runtime *rt)
{
    struct itimerspec its = {.it_interval = {0, WATCHDOG_MS * 1000000L}, .it_value = {0, WATCHDOG_MS * 1000000L}};
    timerfd_settime(rt->watchdog_fd, 0, &its, NULL);
}

void runtime_watchdog_fired(struct runtime *rt)
{
    uint64_t expirations;
    if (read(rt->watchdog_fd, &expirations, sizeof expirations) != sizeof expirations)
        return;
    for (size_t i = 0; i < rt->app_count; i++) {
        struct app *a = rt->apps[i];
        if (a->phase != PHASE_RUNNING || a->realtime || a->debug_running)
            continue; /* not while debugging: the debugger stops and starts it (docs/runtime.md) */
        long kb = app_anonymous_kb(a->init_pid, a->baseline_kb < 0);
        if (kb < 0)
            continue;
        if (a->baseline_kb < 0) {
            a->baseline_kb = kb;
            continue;
        }
        if (kb - a->baseline_kb > (long)rt->memory_limit_kb) {
            runtime_log_app(rt, a, "%s uses %ld KiB of memory beyond its start-up %ld KiB; the limit is %u KiB: killing it",
                     a->name, kb - a->baseline_kb, a->baseline_kb, rt->memory_limit_kb);
            a->killed_for_memory = true;
            kill(a->init_pid, SIGKILL);
        }
    }
}

void runtime_memory_report(void *ctx, struct json_value *apps, long long *bytes, long long *peak_bytes)
{
    struct runtime *rt = ctx;
    pthread_mutex_lock(&rt->lock);
    for (size_t i = 0; i < rt->app_count; i++) {
        const struct app *a = rt->apps[i];
        int pid = a->init_pid > 0 ? runtime_app_pid(a->init_pid) : 0;
        if (!pid)
            continue;
        long rss = proc_kb(pid, "status", "VmRSS"), hwm = proc_kb(pid, "status", "VmHWM");
        *bytes += rss > 0 ? rss * 1024LL : 0;
        *peak_bytes += hwm > 0 ? hwm * 1024LL : 0;
        struct json_value *entry = json_new_object(), *procs = json_new_array(), *proc = json_new_object();
        if (!entry || !procs || !proc) {
            json_free(entry), json_free(procs), json_free(proc);
            continue;
        }
        json_object_append(proc, "pid", json_new_int(pid));
        json_object_append(proc, "heapUsageByCaller", json_new_array());
        json_array_append(procs, proc);
        json_object_append(entry, "componentId", json_new_string(a->cid_text));
        json_object_append(entry, "processes", procs);
        json_array_append(apps, entry);
    }
    pthread_mutex_unlock(&rt->lock);
}

