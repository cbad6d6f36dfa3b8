/* SPDX-License-Identifier: MIT */
/*
 * ffs.h — OpenSphere's power-fail-safe flash file system (design and on-disk format:
 * docs/flashfs.md).
 *
 * Contract:
 * - Storage is reached only through the struct flash_bd given to ffs_format/ffs_mount/
 *   ffs_check (copied; bd.ctx must outlive the mount).
 * - Namespace changes (creating a file, mkdir, rename, remove) are committed to flash
 *   before the call returns, each as one atomic commit. File contents and size are
 *   committed by ffs_sync() and ffs_close(), atomically per file. After a power cut at any
 *   instant, ffs_mount() shows exactly the state after the last commit that completed (or
 *   the one being made, if its last byte reached flash), never a mix.
 * - A file may be open through one handle at a time (-EBUSY otherwise); a file or directory
 *   that is open cannot be removed or replaced by rename (-EBUSY).
 * - After an I/O error (-EIO) while committing, the mounted instance refuses further
 *   changes with -EIO; unmount and mount again to recover the last committed state.
 * - Paths are absolute or relative to the root, '/'-separated; names are 1..FFS_NAME_MAX
 *   bytes, without '/' or NUL, and not "." or "..".
 * - Every function returns 0 (or a byte count / position where stated) or a negative errno:
 *   -EINVAL bad argument; -ENOENT no such file; -EEXIST exists; -ENOTDIR / -EISDIR wrong
 *   type; -ENOTEMPTY; -ENAMETOOLONG; -EBADF wrong access mode; -EBUSY open elsewhere;
 *   -ENOSPC no free block or metadata capacity exhausted; -EFBIG beyond FFS_FILE_MAX;
 *   -ENOMEM; -EIO device error; and at mount: -ENODEV no file system, -EMEDIUMTYPE
 *   formatted for a different geometry (flash size or block size), -EPROTONOSUPPORT a newer
 *   format version, -EUCLEAN corrupted metadata (run ffs_check for the explanation).
 */
#ifndef OPENSPHERE_FLASHFS_FFS_H
#define OPENSPHERE_FLASHFS_FFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash_bd.h"

#define FFS_FORMAT_VERSION 1u /* on-disk format; independent of the API */
#define FFS_NAME_MAX 255
#define FFS_FILE_MAX 0x7FFFFFFF

/* open flags */
#define FFS_O_RDONLY 0x01
#define FFS_O_WRONLY 0x02
#define FFS_O_RDWR (FFS_O_RDONLY | FFS_O_WRONLY)
#define FFS_O_CREAT 0x04
#define FFS_O_EXCL 0x08
#define FFS_O_TRUNC 0x10
#define FFS_O_APPEND 0x20

enum ffs_whence { FFS_SEEK_SET, FFS_SEEK_CUR, FFS_SEEK_END };
enum ffs_type { FFS_TYPE_FILE = 1, FFS_TYPE_DIR = 2 };

struct ffs;
struct ffs_file;

struct ffs_stat {
    enum ffs_type type;
    uint32_t size;   /* committed size (a file open for writing may have more pending) */
    uint32_t id;     /* inode number, stable across rename */
    uint32_t blocks; /* data blocks used (0 for inline files and directories) */
};

struct ffs_fsinfo {
    uint32_t block_size, block_count;
    uint32_t free_blocks;    /* blocks a new file could use now */
    uint32_t meta_bytes;     /* size of a checkpoint of the current metadata */
    uint32_t meta_capacity;  /* the most metadata can grow to (half a block) */
    uint32_t inline_max;     /* files up to this size live inside the metadata */
    uint64_t seq;            /* sequence number of the last commit */
};

struct ffs_dirent {
    const char *name; /* valid during the callback only */
    enum ffs_type type;
    uint32_t size;
};

/* Writes an empty file system (superblock pair + first checkpoint with the root directory).
 * `volume_id` tags every metadata record (use a random value; 0 is refused with -EINVAL).
 * Not power-safe: a cut during format leaves an unformatted device. Returns 0, -EINVAL for
 * an unsupported geometry (block_size not a power of two in 512..1 MiB, fewer than 4
 * blocks, or more blocks than the metadata can describe: block_count > block_size / 16),
 * or a device error. */
int ffs_format(const struct flash_bd *bd, uint64_t volume_id);

/* Mounts. On success *out is a new instance (release with ffs_unmount). Errors: see top. */
int ffs_mount(const struct flash_bd *bd, struct ffs **out);
/* Syncs and closes every open file, then frees the instance (NULL is a no-op). Returns 0 or
 * the first sync error; the instance is freed in every case. */
int ffs_unmount(struct ffs *fs);

/* Opens `path` with FFS_O_* flags (at least one of RDONLY/WRONLY). With FFS_O_CREAT a
 * missing file is created and committed at once. *out is owned by the caller until
 * ffs_close. */
int ffs_open(struct ffs *fs, const char *path, int flags, struct ffs_file **out);
/* Reads up to `len` bytes at the position; returns the count (0 at end of file). */
int ffs_read(struct ffs_file *f, void *buf, size_t len);
/* Writes `len` bytes at the position (at the end with FFS_O_APPEND); a position past the end
 * fills the gap with zeros. Returns `len`. Not committed until ffs_sync/ffs_close. */
int ffs_write(struct ffs_file *f, const void *buf, size_t len);
/* Moves the position; returns the new position. -EINVAL for a negative result. */
int ffs_seek(struct ffs_file *f, int64_t off, enum ffs_whence whence);
/* Sets the size (pending until sync). -EBADF unless open for writing. */
int ffs_truncate(struct ffs_file *f, uint32_t size);
/* Commits the file's contents and size atomically (a no-op when nothing changed). */
int ffs_sync(struct ffs_file *f);
/* Syncs, then frees the handle whatever the result. Returns the sync result. */
int ffs_close(struct ffs_file *f);
/* The size as seen through the handle, including pending writes. */
uint32_t ffs_file_size(const struct ffs_file *f);

int ffs_mkdir(struct ffs *fs, const char *path);
/* Removes a file or an empty directory (-ENOTEMPTY otherwise). */
int ffs_remove(struct ffs *fs, const char *path);
/* Renames atomically; an existing file at `newpath` is replaced in the same commit (an
 * existing directory must be empty and `oldpath` a directory). Moving a directory into
 * itself is -EINVAL. */
int ffs_rename(struct ffs *fs, const char *oldpath, const char *newpath);
int ffs_stat(struct ffs *fs, const char *path, struct ffs_stat *st);
int ffs_fsinfo(struct ffs *fs, struct ffs_fsinfo *info);
/* Calls `cb` for each entry of directory `path` (in no particular order); stops and returns
 * the first non-zero value `cb` returns. */
int ffs_list(struct ffs *fs, const char *path, int (*cb)(void *ctx, const struct ffs_dirent *e), void *ctx);

/* Checks an image without changing it: superblocks, every metadata candidate, the replayed
 * commit log, the directory tree and the CRC of every data block. Each finding is passed to
 * `report` (may be NULL) as one line of text, with `problem` true for damage and false for
 * information (e.g. "discarded an interrupted commit"). Returns 0 when the file system is
 * consistent, -EUCLEAN when damage was found, or a mount error (-ENODEV, -EMEDIUMTYPE, ...). */
int ffs_check(const struct flash_bd *bd, void (*report)(void *ctx, bool problem, const char *line), void *ctx);

#endif
