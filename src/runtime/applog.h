/* SPDX-License-Identifier: MIT */
/*
 * applog.h — the device log: lines from every app's stdout/stderr (and Log_Debug), and the
 * runtime's own events (started, exited, restarted), each with a sequence number, a wall-clock
 * time and the component ID. A bounded ring (the oldest lines go first); thread-safe.
 */
#ifndef OPENSPHERE_RUNTIME_APPLOG_H
#define OPENSPHERE_RUNTIME_APPLOG_H

#include <stddef.h>
#include <stdint.h>

#include "guid.h"
#include "json.h"

#define APPLOG_LINES 4096
#define APPLOG_LINE_MAX 512

struct applog;

int applog_create(struct applog **out);
void applog_destroy(struct applog *log);
/* Appends a line (truncated to APPLOG_LINE_MAX bytes). source: "app" or "runtime". */
void applog_add(struct applog *log, const struct guid *component, const char *source, const char *text, size_t len);
/* The lines after sequence number `since` (0 = all kept), at most `max`, as a JSON object
 * {"next": N, "last": L, "lines": [{"seq","time","componentId","source","text"}…]}: next = the last
 * line returned, last = the newest line kept. NULL if out of memory. */
struct json_value *applog_read(struct applog *log, uint64_t since, size_t max);

#endif
