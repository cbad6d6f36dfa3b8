/* SPDX-License-Identifier: MIT */
/* applog.c — the device log ring (see applog.h). */
#include "applog.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct entry {
    uint64_t seq;
    struct timespec when;
    struct guid component;
    char source[8];
    char text[APPLOG_LINE_MAX + 1];
};

struct applog {
    pthread_mutex_t lock;
    struct entry *ring;
    uint64_t next; /* sequence number of the next line (first is 1) */
};

int applog_create(struct applog **out)
{
    struct applog *log = calloc(1, sizeof *log);
    if (!log || !(log->ring = calloc(APPLOG_LINES, sizeof *log->ring))) {
        free(log);
        return -1;
    }
    pthread_mutex_init(&log->lock, NULL);
    log->next = 1;
    *out = log;
    return 0;
}

void applog_destroy(struct applog *log)
{
    if (!log)
        return;
    pthread_mutex_destroy(&log->lock);
    free(log->ring);
    free(log);
}

void applog_add(struct applog *log, const struct guid *component, const char *source, const char *text, size_t len)
{
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    if (len > APPLOG_LINE_MAX)
        len = APPLOG_LINE_MAX;
    pthread_mutex_lock(&log->lock);
    struct entry *e = &log->ring[log->next % APPLOG_LINES];
    e->seq = log->next++;
    clock_gettime(CLOCK_REALTIME, &e->when);
    e->component = *component;
    snprintf(e->source, sizeof e->source, "%s", source);
    memcpy(e->text, text, len);
    e->text[len] = '\0';
    for (size_t i = 0; i < len; i++) /* keep the log printable */
        if ((unsigned char)e->text[i] < 0x20 && e->text[i] != '\t')
            e->text[i] = '?';
    pthread_mutex_unlock(&log->lock);
}

struct json_value *applog_read(struct applog *log, uint64_t since, size_t max)
{
    struct json_value *o = json_new_object(), *lines = json_new_array();
    if (!o || !lines) {
        json_free(o), json_free(lines);
        return NULL;
    }
    pthread_mutex_lock(&log->lock);
    uint64_t first = log->next > APPLOG_LINES ? log->next - APPLOG_LINES : 1;
    if (since + 1 > first)
        first = since + 1;
    uint64_t seq = first;
    for (; seq < log->next && lines->u.array.count < max; seq++) {
        const struct entry *e = &log->ring[seq % APPLOG_LINES];
        char cid[GUID_TEXT_LEN + 1], when[40];
        guid_format(&e->component, cid);
        struct tm tm;
        gmtime_r(&e->when.tv_sec, &tm);
        size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(when + n, sizeof when - n, ".%03ldZ", e->when.tv_nsec / 1000000);
        struct json_value *line = json_new_object();
        if (!line)
            break;
        json_object_append(line, "seq", json_new_int((int64_t)e->seq));
        json_object_append(line, "time", json_new_string(when));
        json_object_append(line, "componentId", json_new_string(cid));
        json_object_append(line, "source", json_new_string(e->source));
        json_object_append(line, "text", json_new_string(e->text));
        json_array_append(lines, line);
    }
    uint64_t last = log->next - 1;
    pthread_mutex_unlock(&log->lock);
    json_object_append(o, "next", json_new_int((int64_t)(seq - 1)));
    json_object_append(o, "last", json_new_int((int64_t)last));
    json_object_append(o, "lines", lines);
    return o;
}
