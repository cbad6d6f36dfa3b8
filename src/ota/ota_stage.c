/* SPDX-License-Identifier: MIT */
/*
 * ota_stage.c — the OTA staging store on the flash file system (see ota_stage.h).
 */
#include "ota_stage.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define DIR_OTA "/ota"
#define STAGE_ID DIR_OTA "/stage.id"
#define STAGE_BIN DIR_OTA "/stage.bin"
#define COUNTER DIR_OTA "/counter"

/* Reads a small file whole into `buf` (NUL-terminated). */
static int read_small(struct ffs *fs, const char *path, char *buf, size_t cap)
{
    struct ffs_file *f;
    int err = ffs_open(fs, path, FFS_O_RDONLY, &f);
    if (err)
        return err;
    int n = ffs_read(f, buf, cap - 1);
    ffs_close(f);
    if (n < 0)
        return n;
    buf[n] = '\0';
    return 0;
}

/* Replaces `path` with `text` atomically: write path.new, commit, rename over path. */
static int write_small(struct ffs *fs, const char *path, const char *text)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    struct ffs_file *f;
    int err = ffs_open(fs, tmp, FFS_O_WRONLY | FFS_O_CREAT | FFS_O_TRUNC, &f);
    if (err)
        return err;
    int n = ffs_write(f, text, strlen(text));
    err = ffs_close(f);
    if (n < 0)
        return n;
    return err ? err : ffs_rename(fs, tmp, path);
}

static int load_identity(struct ota_stage *st)
{
    char text[256];
    int err = read_small(st->fs, STAGE_ID, text, sizeof text);
    if (err == -ENOENT)
        return 0;
    if (err)
        return err;
    char etag[OTA_ETAG_MAX] = "";
    if (sscanf(text, "%" SCNu32 " %" SCNu32 " %64s %99s", &st->id_version, &st->id_size, st->id_sha256, etag) < 3 ||
        strlen(st->id_sha256) != OTA_SHA256_HEX) {
        st->id_version = 0; /* a damaged record: treat as no partial download */
        return 0;
    }
    snprintf(st->id_etag, sizeof st->id_etag, "%s", strcmp(etag, "-") ? etag : "");
    struct ffs_stat s;
    st->committed = ffs_stat(st->fs, STAGE_BIN, &s) == 0 ? s.size : 0;
    return 0;
}

struct image_scan {
    uint32_t highest;
};

static int scan_image(void *ctx, const struct ffs_dirent *e)
{
    struct image_scan *scan = ctx;
    uint32_t v;
    char tail[8];
    if (e->type == FFS_TYPE_FILE && sscanf(e->name, "image-%" SCNu32 ".%7s", &v, tail) == 2 && !strcmp(tail, "bin") &&
        v > scan->highest)
        scan->highest = v;
    return 0;
}

static int load_accepted(struct ota_stage *st)
{
    char text[32];
    uint32_t counter = 0;
    int err = read_small(st->fs, COUNTER, text, sizeof text);
    if (!err && sscanf(text, "%" SCNu32, &counter) != 1)
        counter = 0;
    if (err && err != -ENOENT)
        return err;
    struct image_scan scan = {0};
    err = ffs_list(st->fs, DIR_OTA, scan_image, &scan);
    st->accepted = scan.highest > counter ? scan.highest : counter;
    return err;
}

int ota_stage_open(struct ota_stage *st, struct ffs *fs)
{
    memset(st, 0, sizeof *st);
    st->fs = fs;
    struct ffs_fsinfo info;
    int err = ffs_fsinfo(fs, &info);
    if (err)
        return err;
    st->block_size = info.block_size;
    err = ffs_mkdir(fs, DIR_OTA);
    if (err && err != -EEXIST)
        return err;
    err = load_accepted(st);
    return err ? err : load_identity(st);
}

int ota_stage_close(struct ota_stage *st)
{
    int err = st->data ? ffs_close(st->data) : 0;
    st->data = NULL;
    return err;
}

bool ota_stage_matches(const struct ota_stage *st, const struct ota_desired *d)
{
    return st->id_version && st->id_version == d->version && st->id_size == d->size &&
           !strcmp(st->id_sha256, d->sha256);
}

static int write_identity(struct ota_stage *st)
{
    char text[256];
    snprintf(text, sizeof text, "%" PRIu32 " %" PRIu32 " %s %s\n", st->id_version, st->id_size, st->id_sha256,
             st->id_etag[0] ? st->id_etag : "-");
    return write_small(st->fs, STAGE_ID, text);
}

int ota_stage_discard(struct ota_stage *st)
{
    int err = ota_stage_close(st);
    int e1 = ffs_remove(st->fs, STAGE_BIN), e2 = ffs_remove(st->fs, STAGE_ID);
    st->id_version = 0, st->committed = 0, st->id_etag[0] = '\0';
    if (!err && e1 && e1 != -ENOENT)
        err = e1;
    if (!err && e2 && e2 != -ENOENT)
        err = e2;
    return err;
}

int ota_stage_begin_fresh(struct ota_stage *st, const struct ota_desired *d)
{
    /* The old data goes first: a cut after this leaves the old identity with no data. */
    int err = ota_stage_discard(st);
    if (err)
        return err;
    st->id_version = d->version;
    st->id_size = d->size;
    memcpy(st->id_sha256, d->sha256, sizeof st->id_sha256);
    err = write_identity(st);
    if (err)
        st->id_version = 0;
    return err;
}

int ota_stage_open_data(struct ota_stage *st)
{
    if (st->data)
        return 0;
    if (!st->id_version)
        return -EINVAL;
    int err = ffs_open(st->fs, STAGE_BIN, FFS_O_RDWR | FFS_O_CREAT | FFS_O_APPEND, &st->data);
    if (err)
        return err;
    st->committed = ffs_file_size(st->data);
    return 0;
}

int ota_stage_checkpoint(struct ota_stage *st)
{
    if (!st->data)
        return 0;
    int err = ffs_sync(st->data);
    if (!err)
        st->committed = ffs_file_size(st->data);
    return err;
}

int ota_stage_append(struct ota_stage *st, const void *buf, size_t len)
{
    if (!st->data)
        return -EBADF;
    const uint8_t *p = buf;
    while (len) {
        uint32_t size = ffs_file_size(st->data);
        if ((uint64_t)size + len > st->id_size)
            return -EFBIG;
        uint32_t room = st->block_size - size % st->block_size;
        size_t n = len < room ? len : room;
        int err = ffs_write(st->data, p, n);
        if (err < 0)
            return err;
        p += n, len -= n;
        if (n == room && (err = ota_stage_checkpoint(st)) != 0)
            return err;
    }
    return 0;
}

int ota_stage_restart(struct ota_stage *st)
{
    int err = ota_stage_open_data(st);
    err = err ? err : ffs_truncate(st->data, 0);
    return err ? err : ota_stage_checkpoint(st);
}

int ota_stage_set_etag(struct ota_stage *st, const char *etag)
{
    if (!strcmp(st->id_etag, etag))
        return 0;
    if (strlen(etag) >= sizeof st->id_etag || strchr(etag, ' ') || strchr(etag, '\n'))
        etag = ""; /* an ETag we cannot keep: resume without If-Range protection is refused later */
    snprintf(st->id_etag, sizeof st->id_etag, "%s", etag);
    return write_identity(st);
}

static void to_hex(const uint8_t *bytes, size_t n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++)
        hex[2 * i] = digits[bytes[i] >> 4], hex[2 * i + 1] = digits[bytes[i] & 15];
    hex[2 * n] = '\0';
}

static int hash_file(struct ffs *fs, const char *path, char hex[OTA_SHA256_HEX + 1])
{
    struct ffs_file *f;
    int err = ffs_open(fs, path, FFS_O_RDONLY, &f);
    if (err)
        return err;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
        err = -ENOMEM;
    static uint8_t chunk[4096];
    for (int n = 1; !err && n > 0;) {
        n = ffs_read(f, chunk, sizeof chunk);
        if (n < 0)
            err = n;
        else if (n && !EVP_DigestUpdate(md, chunk, (size_t)n))
            err = -ENOMEM;
    }
    uint8_t digest[32];
    unsigned len = 0;
    if (!err && !EVP_DigestFinal_ex(md, digest, &len))
        err = -ENOMEM;
    if (!err)
        to_hex(digest, 32, hex);
    EVP_MD_CTX_free(md);
    ffs_close(f);
    return err;
}

int ota_stage_sha256(struct ota_stage *st, char hex[OTA_SHA256_HEX + 1])
{
    int err = ota_stage_close(st);
    return err ? err : hash_file(st->fs, STAGE_BIN, hex);
}

struct image_drop {
    struct ffs *fs;
    uint32_t keep;
    char victims[8][32];
    int count;
};

static int note_old_image(void *ctx, const struct ffs_dirent *e)
{
    struct image_drop *drop = ctx;
    uint32_t v;
    if (sscanf(e->name, "image-%" SCNu32 ".bin", &v) == 1 && v != drop->keep && drop->count < 8)
        snprintf(drop->victims[drop->count++], sizeof drop->victims[0], DIR_OTA "/%s", e->name);
    return 0;
}

int ota_stage_accept(struct ota_stage *st)
{
    int err = ota_stage_close(st);
    if (err || !st->id_version)
        return err ? err : -EINVAL;
    char path[64], counter[32];
    snprintf(path, sizeof path, DIR_OTA "/image-%" PRIu32 ".bin", st->id_version);
    err = ffs_rename(st->fs, STAGE_BIN, path); /* the commit point: the image is accepted */
    if (err)
        return err;
    st->accepted = st->id_version;
    snprintf(counter, sizeof counter, "%" PRIu32 "\n", st->accepted);
    err = write_small(st->fs, COUNTER, counter);
    int e2 = ffs_remove(st->fs, STAGE_ID);
    st->id_version = 0, st->committed = 0;
    struct image_drop drop = {.fs = st->fs, .keep = st->accepted};
    ffs_list(st->fs, DIR_OTA, note_old_image, &drop);
    for (int i = 0; i < drop.count; i++)
        ffs_remove(st->fs, drop.victims[i]);
    return err ? err : (e2 == -ENOENT ? 0 : e2);
}

int ota_stage_image_path(const struct ota_stage *st, char *out, size_t size)
{
    if (!st->accepted)
        return -ENOENT;
    snprintf(out, size, DIR_OTA "/image-%" PRIu32 ".bin", st->accepted);
    struct ffs_stat s;
    return ffs_stat(st->fs, out, &s);
}
