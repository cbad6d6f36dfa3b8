/* SPDX-License-Identifier: MIT */
/* memfs.c — in-memory files for hwdef tests and fuzzers (see memfs.h). */
#include "memfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"

static int find(const struct memfs *fs, const char *path)
{
    char *n = path_normalize(path);
    int hit = -1;
    for (size_t i = 0; n && i < fs->count && hit < 0; i++)
        if (strcmp(fs->paths[i], n) == 0)
            hit = (int)i;
    free(n);
    return hit;
}

static int mem_read(void *ctx, const char *path, char **data, size_t *len)
{
    const struct memfs *fs = ctx;
    int i = find(fs, path);
    if (i < 0)
        return -ENOENT;
    *data = malloc(fs->lens[i] + 1);
    if (!*data)
        return -ENOMEM;
    memcpy(*data, fs->texts[i], fs->lens[i]);
    (*data)[fs->lens[i]] = '\0';
    *len = fs->lens[i];
    return 0;
}

static int mem_canonical(void *ctx, const char *path, char **out)
{
    const struct memfs *fs = ctx;
    int i = find(fs, path);
    if (i < 0)
        return -ENOENT;
    *out = strdup(fs->paths[i]);
    return *out ? 0 : -ENOMEM;
}

void memfs_init(struct memfs *fs)
{
    memset(fs, 0, sizeof *fs);
    fs->io.read_file = mem_read;
    fs->io.canonical_path = mem_canonical;
    fs->io.ctx = fs;
}

void memfs_add(struct memfs *fs, const char *path, const char *text, size_t len)
{
    if (fs->count == MEMFS_MAX_FILES)
        abort();
    fs->paths[fs->count] = path;
    fs->texts[fs->count] = text;
    fs->lens[fs->count] = len ? len : strlen(text);
    fs->count++;
}
