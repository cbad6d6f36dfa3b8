/* SPDX-License-Identifier: MIT */
/*
 * container.h — starts one high-level app in its own container (docs/runtime.md).
 *
 * New user, mount, PID, IPC, UTS and network namespaces. The root is an empty tmpfs, made
 * read-only, holding only: the app's image, read-only, at /mnt/apps/<component ID>; the host's
 * shared libraries (/usr/lib, /usr/lib64), read-only; /dev/null, /dev/zero, /dev/urandom. No
 * shell, no other programs, no writable path, no /proc. PID 1 is a small init (our code) that
 * forwards SIGTERM to the app and reports the app's wait status on `status_fd`; the app is
 * PID 2, runs as an unprivileged user (when the device runs as root) with no capabilities,
 * no_new_privs, rlimits, and a seccomp allow-list; its descriptors are exactly 0 (/dev/null),
 * 1 and 2 (the device log), and 3 (its broker socket).
 */
#ifndef OPENSPHERE_RUNTIME_CONTAINER_H
#define OPENSPHERE_RUNTIME_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct container_spec {
    const char *image_dir;   /* host folder holding the extracted image */
    const char *mount_point; /* "/mnt/apps/<cid>" */
    const char *entry_point; /* "/bin/app" (inside the image) */
    const char *const *args; /* CmdArgs, NULL-terminated (may be NULL) */
    const char *scratch_dir; /* an empty host folder the new root is mounted on */
    int broker_fd;           /* becomes the app's fd 3 */
    int stdout_fd, stderr_fd;
    int status_fd;           /* init writes the app's int wait status here, then exits */
    unsigned long long max_file_bytes; /* RLIMIT_FSIZE: the mutable-storage quota */
    const void *seccomp_filter;        /* from container_build_filter */
    const char *deviceauth_file;       /* bound read-only at DEVICEAUTH_APP_PATH, or NULL */
};

/* Builds the app's seccomp program once (a struct sock_fprog, malloc'd; free with
 * container_free_filter). Doing it before the fork keeps the child free of allocations. */
int container_build_filter(void **filter);
void container_free_filter(void *filter);

/* Starts the container; *init_pid is its PID 1 as the host sees it. 0 or a negative errno
 * with the reason in why. */
int container_start(const struct container_spec *spec, pid_t *init_pid, char *why, size_t why_size);

#endif
