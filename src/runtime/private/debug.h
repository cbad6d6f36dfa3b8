/* SPDX-License-Identifier: MIT */
/*
 * debug.h — debugging high-level apps with the host's gdbserver (docs/runtime.md, "Debugging").
 *
 * Contract: the device listens on 127.0.0.1 (the platform's gdbserver port 2345 when it is
 * free, else any free port); for each debugger connection it runs gdbserver *outside* the app's
 * container, talking over that connection (`gdbserver --attach stdio PID`), so the app keeps its
 * namespaces and its seccomp filter (which refuses ptrace) unchanged. Both functions return 0 or
 * a negative errno; on success the caller owns every descriptor and process they hand back.
 */
#ifndef OPENSPHERE_RUNTIME_DEBUG_H
#define OPENSPHERE_RUNTIME_DEBUG_H

#include <stdint.h>
#include <sys/types.h>

#define DEBUG_GDB_PORT 2345    /* the platform's gdbserver port (PLATFORM-FACTS) */
#define DEBUG_OUTPUT_PORT 2342 /* the platform's app output port while debugging */

/* A listening TCP socket on 127.0.0.1: `preferred` if free, else one the kernel picks. */
int debug_listen(uint16_t preferred, int *fd, uint16_t *port);

/* Starts `gdbserver --attach stdio <app_pid>` with `conn` as its standard input and output and
 * `err_fd` as its standard error. *pid is the gdbserver process, *pidfd a pidfd for it (readable
 * when it exits; the caller reaps it with waitpid). `conn` and `err_fd` stay the caller's. */
int debug_spawn_gdbserver(const char *gdbserver, int conn, pid_t app_pid, int err_fd, pid_t *pid, int *pidfd);

#endif
