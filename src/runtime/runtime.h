/* SPDX-License-Identifier: MIT */
/*
 * runtime.h — the application runtime of a simulated device: runs every installed high-level
 * app whose desired state is "running" in its own container (container.h), answers its Applibs
 * requests (the broker), restarts it when it exits or crashes, stops it with SIGTERM and then
 * SIGKILL after 2 s, enforces its memory limit, and collects its output into the device log.
 * Documented in docs/runtime.md.
 *
 * One supervisor thread does all of this; the device tells it about changes through its hooks
 * (device_set_hooks), so the runtime never blocks a REST request.
 */
#ifndef OPENSPHERE_RUNTIME_H
#define OPENSPHERE_RUNTIME_H

#include <stddef.h>

#include "applog.h"
#include "board.h"
#include "device.h"

struct runtime;

struct runtime_config {
    const char *run_dir;             /* scratch folder for extracted images (created) */
    unsigned memory_limit_kb;        /* 0 = 256 */
};

int runtime_start(struct device *d, struct board *b, struct applog *log, const struct runtime_config *cfg,
                  struct runtime **out, char *why, size_t why_size);
/* Stops every app (SIGTERM, then SIGKILL after 2 s) and the supervisor. */
void runtime_stop(struct runtime *rt);

#endif
