/* SPDX-License-Identifier: MIT */
/* fuzz_flashfs_mount.c — libFuzzer target: any byte string, taken as a flash image of 16
 * blocks of 512 bytes (padded with 0xFF), must be checked and mounted without a crash, leak
 * or sanitizer report; a mounted image is then listed, read and changed (commit paths run
 * on fuzzed metadata). Seeds: tests/fuzz/corpus/fuzz_flashfs_mount/. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ffs.h"
#include "ram_bd.h"

#define BLOCK 512u
#define BLOCKS 16u

static int read_all(void *ctx, const struct ffs_dirent *e)
{
    struct ffs *fs = ctx;
    char path[300] = "/";
    strncat(path, e->name, sizeof path - 2);
    struct ffs_file *f = NULL;
    if (e->type == FFS_TYPE_FILE && ffs_open(fs, path, FFS_O_RDONLY, &f) == 0) {
        uint8_t buf[256];
        while (ffs_read(f, buf, sizeof buf) > 0) {
        }
        ffs_close(f);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t mem[BLOCK * BLOCKS];
    memset(mem, 0xFF, sizeof mem);
    memcpy(mem, data, size < sizeof mem ? size : sizeof mem);
    struct ram_bd r;
    if (ram_bd_init(&r, mem, sizeof mem, BLOCK) != 0)
        return 0;
    ffs_check(&r.bd, NULL, NULL);
    struct ffs *fs = NULL;
    if (ffs_mount(&r.bd, &fs) != 0)
        return 0;
    ffs_list(fs, "/", read_all, fs);
    struct ffs_file *f = NULL;
    if (ffs_open(fs, "/fuzz", FFS_O_RDWR | FFS_O_CREAT, &f) == 0) {
        ffs_write(f, data, size < 700 ? size : 700);
        ffs_close(f);
    }
    ffs_mkdir(fs, "/d");
    ffs_rename(fs, "/fuzz", "/d/x");
    ffs_remove(fs, "/d/x");
    ffs_unmount(fs);
    return 0;
}
