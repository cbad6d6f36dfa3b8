/* SPDX-License-Identifier: MIT */
/*
 * hostio.h — the host file system, for the components that are allowed to touch it (CLI,
 * daemons). Core logic never calls these directly: it receives them through ops structs
 * such as struct hwdef_io.
 *
 * Every function returns 0 or a negative errno.
 */
#ifndef OPENSPHERE_HOSTIO_H
#define OPENSPHERE_HOSTIO_H

#include <stddef.h>

#include "hwdef.h"

/* Reads a whole regular file (at most 64 MiB) into a malloc'd, NUL-terminated buffer. */
int hostio_read_file(const char *path, char **data, size_t *len);
/* Canonical absolute path (realpath) of an existing regular file; -ENOENT otherwise. */
int hostio_canonical_path(const char *path, char **out);
/* Writes `len` bytes to `path` crash-safely: a new file beside it, fsync, rename over, fsync
 * of the folder. Readers see the old or the new contents, never a mix. */
int hostio_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode);
/* mkdir -p. */
int hostio_make_dirs(const char *path, unsigned mode);
/* Lists the regular files under `dir`, recursively, as '/'-separated paths relative to it,
 * sorted. Anything else (a symbolic link, a device, a socket) is refused with -EINVAL and its
 * relative path in *bad (malloc'd). *paths is a malloc'd array of malloc'd strings;
 * hostio_free_list releases it. */
int hostio_list_files(const char *dir, char ***paths, size_t *count, char **bad);
void hostio_free_list(char **paths, size_t count);
/* The names of the folders directly inside `dir`, sorted (none if `dir` does not exist). */
int hostio_list_subdirs(const char *dir, char ***names, size_t *count);
/* Writes a new file that must not exist yet (O_EXCL), with `mode`, and fsyncs it. */
int hostio_write_new_file(const char *path, const void *data, size_t len, unsigned mode);
/* Removes the "<name>.tmp.<pid>" files that an interrupted hostio_write_file_atomic leaves in
 * `dir` (not below it): those whose process <pid> no longer runs. Another process's write in
 * progress is left alone, so a reader may call this while a writer works in `dir`. */
void hostio_remove_stale_temporaries(const char *dir);
/* rm -r: removes `path` and everything below it (symbolic links are removed, not followed).
 * A path that does not exist is not an error. */
int hostio_remove_tree(const char *path);
/* Total size in bytes of the regular files below `path` (0 if it does not exist). */
int hostio_tree_size(const char *path, unsigned long long *bytes);
/* An ops struct over the functions above, for hwdef_load. */
const struct hwdef_io *hostio_hwdef_io(void);
/* A file shipped beside this executable: $env_var when that is set and not empty (env_var may be
 * NULL), else "<folder of /proc/self/exe>/relative", into out. 0, -ENOENT (no executable path)
 * or -ENAMETOOLONG. Whether the file exists is the caller's to check. */
int hostio_beside_exe(const char *env_var, const char *relative, char *out, size_t size);
/* The SDK folder: $OPENSPHERE_SDK_DIR, else "<folder of this executable>/../sdk", else
 * "<folder of this executable>/../share/opensphere/sdk". malloc'd, or NULL if none exists. */
char *hostio_sdk_dir(void);

#endif
