/* SPDX-License-Identifier: MIT */
/* memfs.h — an in-memory file set behind struct hwdef_io, for tests and fuzzers.
 * Paths are absolute and normalised lexically; canonical_path fails with -ENOENT for
 * names that were never added. */
#ifndef OPENSPHERE_TEST_MEMFS_H
#define OPENSPHERE_TEST_MEMFS_H

#include <stddef.h>

#include "hwdef.h"

#define MEMFS_MAX_FILES 16

struct memfs {
    const char *paths[MEMFS_MAX_FILES];
    const char *texts[MEMFS_MAX_FILES];
    size_t lens[MEMFS_MAX_FILES];
    size_t count;
    struct hwdef_io io;
};

void memfs_init(struct memfs *fs);
/* Adds a file (the strings are borrowed, not copied); len 0 means strlen(text). */
void memfs_add(struct memfs *fs, const char *path, const char *text, size_t len);

#endif
