/* SPDX-License-Identifier: MIT */
/*
 * test_ffs_powercut.c — the power-loss sweep. Each scripted workload is first run cleanly to
 * count its flash operations; then, for every operation index N, a fresh device runs the
 * workload with power cut during operation N (at a random byte of a program, or leaving a
 * random half-erased block; the exhaustive build also cuts just before each operation),
 * is power-cycled and mounted, and the invariants are checked: the mount succeeds, fsck
 * finds nothing, and every file shows the state before or after each completed sync. The
 * workload is then resumed from what the mount shows and must complete with the right
 * final contents. A violation prints how to rerun exactly that case:
 * FFS_SWEEP_ONLY=<workload>:<op> <test binary>.
 *
 * Built twice: the short sweep (in `make test`) and, with FFS_SWEEP_LONG, the exhaustive one
 * (label `long`), which includes the 4 MiB OTA download on the full 16 MiB W25Q128JV with
 * 64 KiB blocks.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "fixture.h"

struct cfg {
    uint32_t capacity, block_size;
    uint32_t file_size, chunk, sync_every; /* OTA workload */
    uint32_t small_files;                  /* many-small-files workload */
    uint32_t fw_size;                      /* rename workload */
};

#define MAX_FILES 64

/* What the workload driver knows has completed (it survives the cut; the device does not
 * tell the driver anything else). */
struct wl {
    const struct cfg *c;
    /* OTA */
    uint32_t file_synced, progress_synced;
    /* rename */
    int fw_steps; /* 0..3 completed: write fw, write fw.new, rename */
    /* small files: 0 none, 1 written, 2 removed, 3 renamed; inflight op on `busy` */
    int state[MAX_FILES];
    int busy;
    /* rewrite on a nearly full device */
    bool filler_done;
    int versions_done;
};

struct workload {
    const char *name;
    int (*run)(struct ffs *fs, struct wl *w);
    /* Checks the mounted state against what completed; fills `why` on a violation. */
    int (*check)(struct ffs *fs, struct wl *w, char *why, size_t why_len);
};

/* ---- file helpers ---- */

/* Size of `path`, or -1 if missing. */
static int64_t size_of(struct ffs *fs, const char *path)
{
    struct ffs_stat st;
    return ffs_stat(fs, path, &st) == 0 ? (int64_t)st.size : -1;
}

/* 1 if `path` holds exactly `size` bytes of pattern k, 0 if not, negative on error. */
static int holds(struct ffs *fs, const char *path, uint32_t k, uint32_t size, uint32_t upto)
{
    struct ffs_file *f;
    int err = ffs_open(fs, path, FFS_O_RDONLY, &f);
    if (err)
        return err == -ENOENT ? 0 : err;
    int ok = ffs_file_size(f) == size;
    static uint8_t buf[65536];
    uint32_t off = 0;
    while (ok && off < upto) {
        int n = ffs_read(f, buf, upto - off < sizeof buf ? upto - off : sizeof buf);
        if (n <= 0) {
            ok = n < 0 ? n : 0;
            break;
        }
        for (int i = 0; i < n && ok; i++)
            ok = buf[i] == pattern(k, off + (uint32_t)i);
        off += (uint32_t)n;
    }
    ffs_close(f);
    return ok;
}

static int write_whole(struct ffs *fs, const char *path, uint32_t k, uint32_t size)
{
    struct ffs_file *f = NULL;
    int err = ffs_open(fs, path, FFS_O_WRONLY | FFS_O_CREAT | FFS_O_TRUNC, &f);
    static uint8_t buf[4096];
    for (uint32_t off = 0; !err && off < size;) {
        uint32_t n = size - off < sizeof buf ? size - off : (uint32_t)sizeof buf;
        for (uint32_t i = 0; i < n; i++)
            buf[i] = pattern(k, off + i);
        int w = ffs_write(f, buf, n);
        err = w < 0 ? w : 0;
        off += n;
    }
    if (f && err) {
        ffs_close(f);
        return err;
    }
    return err ? err : ffs_close(f);
}

#define VIOLATION(...) (snprintf(why, why_len, __VA_ARGS__), -1)

/* ---- workload 1: OTA download with a progress record ---- */

static uint32_t next_sync(const struct cfg *c, uint32_t synced)
{
    uint32_t n = (synced / c->sync_every + 1) * c->sync_every;
    return n > c->file_size ? c->file_size : n;
}

static int read_progress(struct ffs *fs, uint32_t *p)
{
    struct ffs_file *f;
    *p = 0;
    int err = ffs_open(fs, "/progress", FFS_O_RDONLY, &f);
    if (err == -ENOENT)
        return 0;
    if (err)
        return err;
    uint8_t b[4] = {0};
    int n = ffs_read(f, b, 4);
    ffs_close(f);
    if (n == 0)
        return 0; /* created, first record not yet committed */
    if (n != 4)
        return -EILSEQ;
    *p = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 0;
}

static int ota_run(struct ffs *fs, struct wl *w)
{
    const struct cfg *c = w->c;
    uint32_t pos;
    int err = read_progress(fs, &pos);
    struct ffs_file *f = NULL, *rec = NULL;
    if (!err)
        err = ffs_open(fs, "/ota.bin", FFS_O_RDWR | FFS_O_CREAT, &f);
    if (!err)
        err = ffs_open(fs, "/progress", FFS_O_RDWR | FFS_O_CREAT, &rec);
    if (!err)
        err = ffs_truncate(f, pos); /* resume exactly where the record says */
    if (!err && ffs_seek(f, pos, FFS_SEEK_SET) < 0)
        err = -EINVAL;
    static uint8_t buf[65536];
    while (!err && pos < c->file_size) {
        uint32_t boundary = next_sync(c, pos);
        while (!err && pos < boundary) {
            uint32_t n = boundary - pos < c->chunk ? boundary - pos : c->chunk;
            for (uint32_t i = 0; i < n; i++)
                buf[i] = pattern(1, pos + i);
            int wr = ffs_write(f, buf, n);
            err = wr < 0 ? wr : 0;
            pos += n;
        }
        if (!err)
            err = ffs_sync(f);
        if (err)
            break;
        w->file_synced = pos;
        uint8_t b[4] = {(uint8_t)pos, (uint8_t)(pos >> 8), (uint8_t)(pos >> 16), (uint8_t)(pos >> 24)};
        if (ffs_seek(rec, 0, FFS_SEEK_SET) != 0 || ffs_write(rec, b, 4) != 4)
            err = -EIO;
        if (!err)
            err = ffs_sync(rec);
        if (!err)
            w->progress_synced = pos;
    }
    int e1 = f ? ffs_close(f) : 0, e2 = rec ? ffs_close(rec) : 0;
    return err ? err : e1 ? e1 : e2;
}

static int ota_check(struct ffs *fs, struct wl *w, char *why, size_t why_len)
{
    const struct cfg *c = w->c;
    uint32_t p;
    if (read_progress(fs, &p) != 0)
        return VIOLATION("the progress record is unreadable or torn");
    int64_t size = size_of(fs, "/ota.bin");
    uint32_t fsz = size < 0 ? 0 : (uint32_t)size;
    if (p != w->progress_synced && p != next_sync(c, w->progress_synced))
        return VIOLATION("progress %" PRIu32 " is neither the last synced %" PRIu32 " nor the next", p, w->progress_synced);
    if (fsz != w->file_synced && fsz != next_sync(c, w->file_synced))
        return VIOLATION("file size %" PRIu32 " is neither the last synced %" PRIu32 " nor the next", fsz, w->file_synced);
    if (p > fsz)
        return VIOLATION("progress %" PRIu32 " is ahead of the file size %" PRIu32, p, fsz);
    if (size >= 0 && holds(fs, "/ota.bin", 1, fsz, fsz) != 1)
        return VIOLATION("/ota.bin does not hold the written bytes");
    w->file_synced = fsz;
    w->progress_synced = p;
    return 0;
}

static int ota_final(struct ffs *fs, struct wl *w, char *why, size_t why_len)
{
    uint32_t p;
    if (read_progress(fs, &p) != 0 || p != w->c->file_size)
        return VIOLATION("the progress record does not say complete");
    if (holds(fs, "/ota.bin", 1, w->c->file_size, w->c->file_size) != 1)
        return VIOLATION("/ota.bin is not the complete image");
    return 0;
}

/* ---- workload 2: replace a file by rename ---- */

static int fw_run(struct ffs *fs, struct wl *w)
{
    uint32_t size = w->c->fw_size;
    int err = 0;
    if (holds(fs, "/fw", 2, size, size) == 1 && size_of(fs, "/fw.new") < 0) {
        w->fw_steps = 3;
        return 0;
    }
    if (holds(fs, "/fw.new", 2, size, size) != 1) {
        if (holds(fs, "/fw", 1, size, size) != 1) {
            err = write_whole(fs, "/fw", 1, size);
            if (err)
                return err;
        }
        w->fw_steps = 1;
        err = write_whole(fs, "/fw.new", 2, size);
        if (err)
            return err;
    }
    w->fw_steps = 2;
    err = ffs_rename(fs, "/fw.new", "/fw");
    if (!err)
        w->fw_steps = 3;
    return err;
}

static int fw_check(struct ffs *fs, struct wl *w, char *why, size_t why_len)
{
    uint32_t size = w->c->fw_size;
    int64_t fw = size_of(fs, "/fw"), nw = size_of(fs, "/fw.new");
    int fw_old = holds(fs, "/fw", 1, size, size) == 1, fw_new = holds(fs, "/fw", 2, size, size) == 1;
    int new_full = holds(fs, "/fw.new", 2, size, size) == 1;
    bool a = (fw <= 0) && nw < 0;
    bool b = fw_old && (nw <= 0 || new_full);
    bool cc = fw_new && nw < 0;
    if (!a && !b && !cc)
        return VIOLATION("/fw (%" PRId64 " bytes) and /fw.new (%" PRId64 " bytes) are in no legal state", fw, nw);
    if (w->fw_steps >= 1 && a)
        return VIOLATION("/fw was written and closed but is missing or empty");
    if (w->fw_steps >= 2 && b && !new_full)
        return VIOLATION("/fw.new was written and closed but is missing or empty");
    if (w->fw_steps >= 3 && !cc)
        return VIOLATION("the rename completed but /fw is not the new file");
    return 0;
}

static int fw_final(struct ffs *fs, struct wl *w, char *why, size_t why_len)
{
    if (holds(fs, "/fw", 2, w->c->fw_size, w->c->fw_size) != 1 || size_of(fs, "/fw.new") >= 0)
        return VIOLATION("/fw is not the new firmware, or /fw.new remains");
    return 0;
}

/* ---- workload 3: many small files, then removes and renames ---- */

static uint32_t small_size(const struct cfg *c, int i)
{
    return (uint32_t)(i * 397) % (c->block_size + c->block_size / 2) + 1;
}

static int small_goal(int i)
{
    return i % 3 == 0 ? 2 : i % 5 == 0 ? 3 : 1;
}

static void names(int i, char *f, char *g)
{
    snprintf(f, 16, "/d/f%03d", i);
    snprintf(g, 16, "/d/g%03d", i);
}

static int small_run(struct ffs *fs, struct wl *w)
{
    const struct cfg *c = w->c;
    int err = ffs_mkdir(fs, "/d");
    if (err && err != -EEXIST)
        return err;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < (int)c->small_files; i++) {
            char f[16], g[16];
            names(i, f, g);
            uint32_t size = small_size(c, i);
            w->busy = i;
            if (pass == 0) {
                if (holds(fs, g, (uint32_t)i, size, size) == 1 || holds(fs, f, (uint32_t)i, size, size) == 1 ||
                    (small_goal(i) == 2 && w->state[i] == 2))
                    continue;
                err = write_whole(fs, f, (uint32_t)i, size);
                if (err)
                    return err;
                w->state[i] = 1;
            } else if (small_goal(i) == 2 && size_of(fs, f) >= 0) {
                if ((err = ffs_remove(fs, f)) != 0)
                    return err;
                w->state[i] = 2;
            } else if (small_goal(i) == 3 && size_of(fs, g) < 0) {
                if ((err = ffs_rename(fs, f, g)) != 0)
                    return err;
                w->state[i] = 3;
            } else {
                w->state[i] = small_goal(i);
            }
        }
    w->busy = -1;
    return 0;
}

static int small_check(struct ffs *fs, struct wl *w, char *why, size_t why_len)
{
    for (int i = 0; i < (int)w->c->small_files; i++) {
        char f[16], g[16];
        names(i, f, g);
        uint32_t size = small_size(w->c, i);
        int64_t fs_ = size_of(fs, f), gs = size_of(fs, g);
        int f_full = holds(fs, f, (uint32_t)i, size, size) == 1, g_full = holds(fs, g, (uint32_t)i, size, size) == 1;
        bool busy = w->busy == i;
        bool ok;
        switch (w->state[i]) {
        case 0:
            ok = gs < 0 && (fs_ <= 0 || f_full);
            break;
        case 1:
            ok = (f_full && gs < 0) || (busy && small_goal(i) == 2 && fs_ < 0 && gs < 0) ||
                 (busy && small_goal(i) == 3 && fs_ < 0 && g_full);
            break;
        case 2:
            ok = fs_ < 0 && gs < 0;
            break;
        default:
            ok = fs_ < 0 && g_full;
            break;
        }
        if (!ok)
            return VIOLATION("file %d (state %d): %s is %" PRId64 " bytes%s, %s is %" PRId64 " bytes%s", i, w->state[i],
                             f, fs_, f_full ? " (complete)" : "", g, gs, g_full ? " (complete)" : "");
    }
    return 0;
}

static int small_final(struct ffs *fs, struct wl *w, char *why, size_t why_len)
{
    for (int i = 0; i < (int)w->c->small_files; i++)
        if (w->state[i] != small_goal(i))
            return VIOLATION("file %d did not reach its final state", i);
    return small_check(fs, w, why, why_len);
}

/* ---- workload 4: rewrite a file on a nearly full device (freed blocks are reused at once) ---- */

#define REWRITES 5

static uint32_t filler_size(const struct cfg *c)
{
    return (c->capacity / c->block_size - 2 - 5) * c->block_size; /* leaves 5 free blocks */
}

static uint32_t cfg_size(const struct cfg *c)
{
    return 2 * c->block_size - 100;
}

static int rewrite_run(struct ffs *fs, struct wl *w)
{
    const struct cfg *c = w->c;
    int err = 0;
    if (holds(fs, "/filler", 50, filler_size(c), 0) != 1 || size_of(fs, "/filler") != filler_size(c))
        err = write_whole(fs, "/filler", 50, filler_size(c));
    if (err)
        return err;
    w->filler_done = true;
    for (int v = 1; v <= REWRITES; v++) {
        if (holds(fs, "/cfg", 100u + (uint32_t)v, cfg_size(c), cfg_size(c)) == 1) {
            w->versions_done = v;
            continue;
        }
        if (v <= w->versions_done)
            continue;
        if ((err = write_whole(fs, "/cfg", 100u + (uint32_t)v, cfg_size(c))) != 0)
            return err;
        w->versions_done = v;
    }
    return 0;
}

static int rewrite_check(struct ffs *fs, struct wl *w, char *why, size_t why_len)
{
    const struct cfg *c = w->c;
    if (w->filler_done && holds(fs, "/filler", 50, filler_size(c), filler_size(c)) != 1)
        return VIOLATION("/filler was written and closed but is not intact");
    int v = w->versions_done;
    int64_t size = size_of(fs, "/cfg");
    bool ok = holds(fs, "/cfg", 100u + (uint32_t)v, cfg_size(c), cfg_size(c)) == 1 ||
              (v < REWRITES && holds(fs, "/cfg", 101u + (uint32_t)v, cfg_size(c), cfg_size(c)) == 1) ||
              (v == 0 && size <= 0);
    if (!ok)
        return VIOLATION("/cfg (%" PRId64 " bytes) is neither version %d nor %d", size, v, v + 1);
    return 0;
}

static int rewrite_final(struct ffs *fs, struct wl *w, char *why, size_t why_len)
{
    w->versions_done = REWRITES;
    return rewrite_check(fs, w, why, why_len);
}

struct workload_def {
    struct workload w;
    int (*final)(struct ffs *fs, struct wl *w, char *why, size_t why_len);
};

static const struct workload_def workloads[] = {
    {{"ota", ota_run, ota_check}, ota_final},
    {{"rename", fw_run, fw_check}, fw_final},
    {{"small", small_run, small_check}, small_final},
    {{"rewrite", rewrite_run, rewrite_check}, rewrite_final},
};

/* ---- the sweep ---- */

struct result {
    uint64_t cuts, violations, ops;
};

static int fresh(struct fixture *fx, const struct cfg *c, uint64_t seed, struct ffs **fs)
{
    int err = fixture_open(fx, c->capacity, c->block_size, seed);
    if (!err)
        err = ffs_format(&fx->wbd.bd, 0xF1A5u);
    if (!err)
        w25q_reset_counters(fx->dev);
    if (!err)
        err = ffs_mount(&fx->wbd.bd, fs);
    return err;
}

static void wl_init(struct wl *w, const struct cfg *c)
{
    memset(w, 0, sizeof *w);
    w->c = c;
    w->busy = -1;
}

/* One cut at operation `op`; returns 0 or 1 violation (printed). */
static int one_cut(const struct workload_def *d, const struct cfg *c, uint64_t op, enum w25q_cut_kind kind)
{
    struct fixture fx;
    struct ffs *fs = NULL;
    struct wl w;
    char why[512] = "";
    wl_init(&w, c);
    assert_int_equal(fresh(&fx, c, op * 7919u + (uint64_t)kind, &fs), 0);
    struct w25q_cut cut = {.kind = kind, .op = op};
    w25q_set_cut(fx.dev, &cut);
    int err = d->w.run(fs, &w);
    ffs_unmount(fs);
    fs = NULL;
    int bad = 0;
    if (err != -EIO || !w25q_is_off(fx.dev)) {
        snprintf(why, sizeof why, "the workload did not stop at the cut (%s)", os_strerror(err));
        bad = 1;
    }
    w25q_power_cycle(fx.dev);
    if (!bad && (err = ffs_mount(&fx.wbd.bd, &fs)) != 0) {
        snprintf(why, sizeof why, "mount failed after the cut: %s", os_strerror(err));
        bad = 1;
    }
    if (!bad && d->w.check(fs, &w, why, sizeof why) != 0)
        bad = 1;
    if (!bad && (err = ffs_check(&fx.wbd.bd, NULL, NULL)) != 0) {
        snprintf(why, sizeof why, "fsck reports damage: %s", os_strerror(err));
        bad = 1;
    }
    if (!bad && (err = d->w.run(fs, &w)) != 0) {
        snprintf(why, sizeof why, "resuming the workload failed: %s", os_strerror(err));
        bad = 1;
    }
    if (!bad && (err = ffs_unmount(fs)) != 0) {
        snprintf(why, sizeof why, "unmount after resuming failed: %s", os_strerror(err));
        bad = 1;
    }
    fs = NULL;
    if (!bad && (err = ffs_mount(&fx.wbd.bd, &fs)) != 0) {
        snprintf(why, sizeof why, "mount after completing the workload failed: %s", os_strerror(err));
        bad = 1;
    }
    if (!bad && d->final(fs, &w, why, sizeof why) != 0)
        bad = 1;
    if (!bad && (err = ffs_check(&fx.wbd.bd, NULL, NULL)) != 0) {
        snprintf(why, sizeof why, "fsck after completing the workload reports damage: %s", os_strerror(err));
        bad = 1;
    }
    ffs_unmount(fs);
    fixture_close(&fx);
    if (bad)
        printf("VIOLATION %s cut %s at op %" PRIu64 ": %s\n  rerun: FFS_SWEEP_ONLY=%s:%" PRIu64 " %s\n", d->w.name,
               kind == W25Q_CUT_BEFORE_OP ? "before" : "inside", op, why, d->w.name, op, "<this test binary>");
    return bad;
}

static void sweep(const struct workload_def *d, const struct cfg *c, bool before_too)
{
    /* A clean run counts the operations and checks the final state. */
    struct fixture fx;
    struct ffs *fs = NULL;
    struct wl w;
    char why[512] = "";
    wl_init(&w, c);
    assert_int_equal(fresh(&fx, c, 1, &fs), 0);
    assert_int_equal(d->w.run(fs, &w), 0);
    int final = d->final(fs, &w, why, sizeof why);
    if (final)
        printf("clean run of %s: %s\n", d->w.name, why);
    assert_int_equal(final, 0);
    assert_int_equal(ffs_unmount(fs), 0);
    uint64_t total = w25q_counters(fx.dev)->ops;
    fixture_close(&fx);

    const char *only = getenv("FFS_SWEEP_ONLY");
    uint64_t only_op = 0;
    if (only) {
        size_t n = strlen(d->w.name);
        if (strncmp(only, d->w.name, n) != 0 || only[n] != ':')
            return;
        only_op = strtoull(only + n + 1, NULL, 10);
    }
    struct result r = {0};
    r.ops = total;
    for (uint64_t op = 1; op <= total; op++) {
        if (only_op && op != only_op)
            continue;
        r.cuts++;
        r.violations += (uint64_t)one_cut(d, c, op, W25Q_CUT_RANDOM);
        if (before_too) {
            r.cuts++;
            r.violations += (uint64_t)one_cut(d, c, op, W25Q_CUT_BEFORE_OP);
        }
    }
    printf("sweep %-6s on %" PRIu32 " KiB, %" PRIu32 "-byte blocks: %" PRIu64 " operations, %" PRIu64
           " cuts, %" PRIu64 " violations\n",
           d->w.name, c->capacity / 1024, c->block_size, r.ops, r.cuts, r.violations);
    assert_int_equal(r.violations, 0);
}

/* Short: a small device (32 blocks, so the allocator wraps and reuses freed blocks), unaligned syncs (6000 bytes on 4 KiB blocks) to exercise in-place
 * appends to committed blocks and copy-on-write after a remount. */
#ifndef FFS_SWEEP_LONG
static const struct cfg short_cfg = {
    .capacity = 128u * 1024u, .block_size = 4096, .file_size = 60000, .chunk = 1500, .sync_every = 6000,
    .small_files = 24, .fw_size = 9000,
};
#endif

#ifdef FFS_SWEEP_LONG
/* The real case: 4 MiB OTA on the 16 MiB W25Q128JV, 64 KiB blocks, sync every 64 KiB. */
static const struct cfg ota_cfg = {
    .capacity = 16u * 1024u * 1024u, .block_size = 65536, .file_size = 4u * 1024u * 1024u, .chunk = 16384,
    .sync_every = 65536, .small_files = 48, .fw_size = 200000,
};
static const struct cfg long_small_cfg = {
    .capacity = 512u * 1024u, .block_size = 4096, .file_size = 200000, .chunk = 1000, .sync_every = 5000,
    .small_files = 60, .fw_size = 30000,
};
#endif

static void test_ota_download_survives_a_cut_at_every_operation(void **state)
{
#ifdef FFS_SWEEP_LONG
    sweep(&workloads[0], &long_small_cfg, true);
    sweep(&workloads[0], &ota_cfg, false);
#else
    sweep(&workloads[0], &short_cfg, true);
#endif
}

static void test_rename_over_an_old_file_survives_a_cut_at_every_operation(void **state)
{
#ifdef FFS_SWEEP_LONG
    sweep(&workloads[1], &long_small_cfg, true);
    sweep(&workloads[1], &ota_cfg, true);
#else
    sweep(&workloads[1], &short_cfg, true);
#endif
}

static void test_many_small_files_survive_a_cut_at_every_operation(void **state)
{
#ifdef FFS_SWEEP_LONG
    sweep(&workloads[2], &long_small_cfg, true);
#else
    sweep(&workloads[2], &short_cfg, true);
#endif
}

static void test_rewrites_on_a_nearly_full_device_survive_a_cut_at_every_operation(void **state)
{
#ifdef FFS_SWEEP_LONG
    sweep(&workloads[3], &long_small_cfg, true);
#else
    sweep(&workloads[3], &short_cfg, true);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ota_download_survives_a_cut_at_every_operation),
        cmocka_unit_test(test_rename_over_an_old_file_survives_a_cut_at_every_operation),
        cmocka_unit_test(test_many_small_files_survive_a_cut_at_every_operation),
        cmocka_unit_test(test_rewrites_on_a_nearly_full_device_survive_a_cut_at_every_operation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
