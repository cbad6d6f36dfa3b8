/* SPDX-License-Identifier: MIT */
/* test_ffs.c — the flash file system API: files, directories, sync semantics, errors,
 * corruption detection, geometry checks and wear spreading. Device: a 256 KiB W25Q model
 * in RAM with 4 KiB blocks (64 blocks). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "ram_bd.h"

#define CAP (256u * 1024u)
#define BS 4096u

struct env {
    struct fixture fx;
    struct ffs *fs;
};

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    if (!e || fixture_open(&e->fx, CAP, BS, 7) != 0)
        return -1;
    if (ffs_format(&e->fx.wbd.bd, 0x1234) != 0 || ffs_mount(&e->fx.wbd.bd, &e->fs) != 0)
        return -1;
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    ffs_unmount(e->fs);
    fixture_close(&e->fx);
    free(e);
    return 0;
}

static void remount(struct env *e)
{
    assert_int_equal(ffs_unmount(e->fs), 0);
    e->fs = NULL;
    assert_int_equal(ffs_mount(&e->fx.wbd.bd, &e->fs), 0);
}

/* Simulates a power cut: the next flash operation fails, the instance is dropped, the
 * device is powered up again and mounted. */
static void power_cut_and_remount(struct env *e)
{
    struct w25q_cut cut = {.kind = W25Q_CUT_BEFORE_OP, .op = w25q_counters(e->fx.dev)->ops + 1};
    w25q_set_cut(e->fx.dev, &cut);
    ffs_unmount(e->fs); /* its syncs fail with -EIO */
    w25q_power_cycle(e->fx.dev);
    e->fs = NULL;
    assert_int_equal(ffs_mount(&e->fx.wbd.bd, &e->fs), 0);
}

static void write_file(struct ffs *fs, const char *path, uint32_t k, uint32_t size)
{
    struct ffs_file *f;
    assert_int_equal(ffs_open(fs, path, FFS_O_WRONLY | FFS_O_CREAT | FFS_O_TRUNC, &f), 0);
    uint8_t buf[1000];
    for (uint32_t off = 0; off < size;) {
        uint32_t n = size - off < sizeof buf ? size - off : (uint32_t)sizeof buf;
        for (uint32_t i = 0; i < n; i++)
            buf[i] = pattern(k, off + i);
        assert_int_equal(ffs_write(f, buf, n), (int)n);
        off += n;
    }
    assert_int_equal(ffs_close(f), 0);
}

static void expect_file(struct ffs *fs, const char *path, uint32_t k, uint32_t size)
{
    struct ffs_file *f;
    assert_int_equal(ffs_open(fs, path, FFS_O_RDONLY, &f), 0);
    assert_int_equal(ffs_file_size(f), size);
    uint8_t buf[777];
    uint32_t off = 0;
    int n;
    while ((n = ffs_read(f, buf, sizeof buf)) > 0) {
        for (int i = 0; i < n; i++)
            assert_int_equal(buf[i], pattern(k, off + (uint32_t)i));
        off += (uint32_t)n;
    }
    assert_int_equal(n, 0);
    assert_int_equal(off, size);
    assert_int_equal(ffs_close(f), 0);
}

static int count_entry(void *ctx, const struct ffs_dirent *e)
{
    (*(int *)ctx)++;
    return 0;
}

static void test_format_then_mount_shows_an_empty_root(void **state)
{
    struct env *e = *state;
    struct ffs_stat st;
    assert_int_equal(ffs_stat(e->fs, "/", &st), 0);
    assert_int_equal(st.type, FFS_TYPE_DIR);
    int n = 0;
    assert_int_equal(ffs_list(e->fs, "/", count_entry, &n), 0);
    assert_int_equal(n, 0);
    struct ffs_fsinfo info;
    assert_int_equal(ffs_fsinfo(e->fs, &info), 0);
    assert_int_equal(info.block_count, 64);
    assert_int_equal(info.free_blocks, 62); /* superblock + meta block */
}

static void test_mount_of_a_blank_device_is_enodev(void **state)
{
    struct fixture fx;
    assert_int_equal(fixture_open(&fx, CAP, BS, 1), 0);
    struct ffs *fs = NULL;
    assert_int_equal(ffs_mount(&fx.wbd.bd, &fs), -ENODEV);
    assert_null(fs);
    fixture_close(&fx);
}

static void test_mount_with_a_different_flash_size_is_emediumtype(void **state)
{
    struct env *e = *state;
    struct flash_bd smaller = e->fx.wbd.bd;
    smaller.block_count = 32;
    struct ffs *fs = NULL;
    assert_int_equal(ffs_mount(&smaller, &fs), -EMEDIUMTYPE);
}

static void test_format_refuses_an_unsupported_geometry(void **state)
{
    struct env *e = *state;
    struct flash_bd bad = e->fx.wbd.bd;
    bad.block_size = 3000;
    assert_int_equal(ffs_format(&bad, 1), -EINVAL);
    assert_int_equal(ffs_format(&e->fx.wbd.bd, 0), -EINVAL); /* volume id 0 */
}

static void test_file_spanning_blocks_reads_back_after_remount(void **state)
{
    struct env *e = *state;
    write_file(e->fs, "/big", 1, 3 * BS + 123);
    remount(e);
    expect_file(e->fs, "/big", 1, 3 * BS + 123);
    struct ffs_stat st;
    assert_int_equal(ffs_stat(e->fs, "/big", &st), 0);
    assert_int_equal(st.blocks, 4);
}

static void test_small_file_lives_inline_and_reads_back(void **state)
{
    struct env *e = *state;
    write_file(e->fs, "/small", 2, 100);
    struct ffs_stat st;
    assert_int_equal(ffs_stat(e->fs, "/small", &st), 0);
    assert_int_equal(st.blocks, 0);
    remount(e);
    expect_file(e->fs, "/small", 2, 100);
}

static void test_inline_file_that_grows_moves_into_a_block(void **state)
{
    struct env *e = *state;
    write_file(e->fs, "/grow", 3, 100);
    struct ffs_file *f;
    assert_int_equal(ffs_open(e->fs, "/grow", FFS_O_RDWR | FFS_O_APPEND, &f), 0);
    uint8_t buf[400];
    for (int i = 0; i < 400; i++)
        buf[i] = pattern(3, 100 + (uint32_t)i);
    assert_int_equal(ffs_write(f, buf, 400), 400);
    assert_int_equal(ffs_close(f), 0);
    remount(e);
    expect_file(e->fs, "/grow", 3, 500);
}

static void test_unsynced_writes_are_lost_on_power_cut_and_synced_ones_kept(void **state)
{
    struct env *e = *state;
    struct ffs_file *f;
    assert_int_equal(ffs_open(e->fs, "/log", FFS_O_WRONLY | FFS_O_CREAT, &f), 0);
    uint8_t buf[BS];
    for (uint32_t i = 0; i < BS; i++)
        buf[i] = pattern(4, i);
    assert_int_equal(ffs_write(f, buf, BS), (int)BS);
    assert_int_equal(ffs_sync(f), 0);
    for (uint32_t i = 0; i < BS; i++)
        buf[i] = pattern(4, BS + i);
    assert_int_equal(ffs_write(f, buf, 1000), 1000);
    power_cut_and_remount(e);
    expect_file(e->fs, "/log", 4, BS);
}

static void test_overwrite_in_the_middle_keeps_the_rest(void **state)
{
    struct env *e = *state;
    write_file(e->fs, "/mid", 5, 2 * BS);
    struct ffs_file *f;
    assert_int_equal(ffs_open(e->fs, "/mid", FFS_O_RDWR, &f), 0);
    assert_int_equal(ffs_seek(f, BS - 10, FFS_SEEK_SET), (int)BS - 10);
    uint8_t x[20];
    memset(x, 0xAB, sizeof x);
    assert_int_equal(ffs_write(f, x, 20), 20);
    assert_int_equal(ffs_close(f), 0);
    remount(e);
    assert_int_equal(ffs_open(e->fs, "/mid", FFS_O_RDONLY, &f), 0);
    uint8_t all[2 * BS];
    assert_int_equal(ffs_read(f, all, sizeof all), (int)(2 * BS));
    for (uint32_t i = 0; i < 2 * BS; i++)
        assert_int_equal(all[i], i >= BS - 10 && i < BS + 10 ? 0xAB : pattern(5, i));
    assert_int_equal(ffs_close(f), 0);
}

static void test_truncate_shrinks_then_extends_with_zeros(void **state)
{
    struct env *e = *state;
    write_file(e->fs, "/t", 6, BS + 500);
    struct ffs_file *f;
    assert_int_equal(ffs_open(e->fs, "/t", FFS_O_RDWR, &f), 0);
    assert_int_equal(ffs_truncate(f, 300), 0);
    assert_int_equal(ffs_truncate(f, 600), 0);
    assert_int_equal(ffs_close(f), 0);
    remount(e);
    assert_int_equal(ffs_open(e->fs, "/t", FFS_O_RDONLY, &f), 0);
    uint8_t buf[700];
    assert_int_equal(ffs_read(f, buf, sizeof buf), 600);
    for (int i = 0; i < 600; i++)
        assert_int_equal(buf[i], i < 300 ? pattern(6, (uint32_t)i) : 0);
    assert_int_equal(ffs_close(f), 0);
    assert_int_equal(ffs_check(&e->fx.wbd.bd, NULL, NULL), 0);
}

static void test_write_past_the_end_fills_the_gap_with_zeros(void **state)
{
    struct env *e = *state;
    struct ffs_file *f;
    assert_int_equal(ffs_open(e->fs, "/gap", FFS_O_RDWR | FFS_O_CREAT, &f), 0);
    assert_int_equal(ffs_seek(f, BS + 5, FFS_SEEK_SET), (int)BS + 5);
    assert_int_equal(ffs_write(f, "z", 1), 1);
    assert_int_equal(ffs_seek(f, 0, FFS_SEEK_SET), 0);
    uint8_t buf[BS + 6];
    assert_int_equal(ffs_read(f, buf, sizeof buf), (int)BS + 6);
    for (uint32_t i = 0; i < BS + 5; i++)
        assert_int_equal(buf[i], 0);
    assert_int_equal(buf[BS + 5], 'z');
    assert_int_equal(ffs_close(f), 0);
}

static void test_seek_to_a_negative_position_is_einval(void **state)
{
    struct env *e = *state;
    struct ffs_file *f;
    assert_int_equal(ffs_open(e->fs, "/s", FFS_O_RDWR | FFS_O_CREAT, &f), 0);
    assert_int_equal(ffs_seek(f, -1, FFS_SEEK_SET), -EINVAL);
    assert_int_equal(ffs_seek(f, 0, (enum ffs_whence)9), -EINVAL);
    assert_int_equal(ffs_close(f), 0);
}

static void test_directories_nest_and_list(void **state)
{
    struct env *e = *state;
    assert_int_equal(ffs_mkdir(e->fs, "/a"), 0);
    assert_int_equal(ffs_mkdir(e->fs, "/a/b"), 0);
    write_file(e->fs, "/a/b/f", 7, 10);
    write_file(e->fs, "/a/g", 8, 10);
    assert_int_equal(ffs_mkdir(e->fs, "/a"), -EEXIST);
    remount(e);
    int n = 0;
    assert_int_equal(ffs_list(e->fs, "/a", count_entry, &n), 0);
    assert_int_equal(n, 2);
    expect_file(e->fs, "a/b/f", 7, 10);
    assert_int_equal(ffs_list(e->fs, "/a/g", count_entry, &n), -ENOTDIR);
}

static void test_remove_refuses_non_empty_directories_and_open_files(void **state)
{
    struct env *e = *state;
    assert_int_equal(ffs_mkdir(e->fs, "/d"), 0);
    write_file(e->fs, "/d/f", 9, 10);
    assert_int_equal(ffs_remove(e->fs, "/d"), -ENOTEMPTY);
    struct ffs_file *f;
    assert_int_equal(ffs_open(e->fs, "/d/f", FFS_O_RDONLY, &f), 0);
    assert_int_equal(ffs_remove(e->fs, "/d/f"), -EBUSY);
    assert_int_equal(ffs_close(f), 0);
    assert_int_equal(ffs_remove(e->fs, "/d/f"), 0);
    assert_int_equal(ffs_remove(e->fs, "/d"), 0);
    assert_int_equal(ffs_remove(e->fs, "/d"), -ENOENT);
    assert_int_equal(ffs_remove(e->fs, "/"), -EBUSY);
}

static void test_remove_frees_the_blocks(void **state)
{
    struct env *e = *state;
    struct ffs_fsinfo before, after;
    assert_int_equal(ffs_fsinfo(e->fs, &before), 0);
    write_file(e->fs, "/r", 10, 5 * BS);
    assert_int_equal(ffs_remove(e->fs, "/r"), 0);
    assert_int_equal(ffs_fsinfo(e->fs, &after), 0);
    assert_int_equal(after.free_blocks, before.free_blocks);
}

static void test_rename_replaces_an_existing_file(void **state)
{
    struct env *e = *state;
    write_file(e->fs, "/fw", 11, 2 * BS);
    write_file(e->fs, "/fw.new", 12, 3 * BS);
    assert_int_equal(ffs_rename(e->fs, "/fw.new", "/fw"), 0);
    remount(e);
    expect_file(e->fs, "/fw", 12, 3 * BS);
    struct ffs_stat st;
    assert_int_equal(ffs_stat(e->fs, "/fw.new", &st), -ENOENT);
    assert_int_equal(ffs_check(&e->fx.wbd.bd, NULL, NULL), 0);
}

static void test_rename_errors(void **state)
{
    struct env *e = *state;
    assert_int_equal(ffs_mkdir(e->fs, "/a"), 0);
    assert_int_equal(ffs_mkdir(e->fs, "/a/b"), 0);
    write_file(e->fs, "/f", 13, 10);
    assert_int_equal(ffs_rename(e->fs, "/a", "/a/b/c"), -EINVAL);
    assert_int_equal(ffs_rename(e->fs, "/f", "/a"), -EISDIR);
    assert_int_equal(ffs_rename(e->fs, "/a", "/f"), -ENOTDIR);
    assert_int_equal(ffs_rename(e->fs, "/missing", "/x"), -ENOENT);
    assert_int_equal(ffs_rename(e->fs, "/f", "/nodir/x"), -ENOENT);
    assert_int_equal(ffs_rename(e->fs, "/a/b", "/c"), 0);
    assert_int_equal(ffs_mkdir(e->fs, "/c/d"), 0);
}

static void test_open_errors(void **state)
{
    struct env *e = *state;
    struct ffs_file *f, *g;
    assert_int_equal(ffs_open(e->fs, "/none", FFS_O_RDONLY, &f), -ENOENT);
    assert_int_equal(ffs_open(e->fs, "/x", 0, &f), -EINVAL);
    assert_int_equal(ffs_open(e->fs, "/x", FFS_O_WRONLY | FFS_O_CREAT, &f), 0);
    assert_int_equal(ffs_open(e->fs, "/x", FFS_O_RDONLY, &g), -EBUSY);
    uint8_t b;
    assert_int_equal(ffs_read(f, &b, 1), -EBADF);
    assert_int_equal(ffs_close(f), 0);
    assert_int_equal(ffs_open(e->fs, "/x", FFS_O_WRONLY | FFS_O_CREAT | FFS_O_EXCL, &f), -EEXIST);
    assert_int_equal(ffs_open(e->fs, "/x", FFS_O_RDONLY, &f), 0);
    assert_int_equal(ffs_write(f, "a", 1), -EBADF);
    assert_int_equal(ffs_truncate(f, 0), -EBADF);
    assert_int_equal(ffs_close(f), 0);
    assert_int_equal(ffs_mkdir(e->fs, "/dir"), 0);
    assert_int_equal(ffs_open(e->fs, "/dir", FFS_O_RDONLY, &f), -EISDIR);
    assert_int_equal(ffs_open(e->fs, "/x/y", FFS_O_RDONLY, &f), -ENOTDIR);
}

static void test_bad_names_are_refused(void **state)
{
    struct env *e = *state;
    char longname[300];
    memset(longname, 'n', sizeof longname);
    longname[0] = '/';
    longname[299] = 0;
    assert_int_equal(ffs_mkdir(e->fs, longname), -ENAMETOOLONG);
    assert_int_equal(ffs_mkdir(e->fs, "/."), -EINVAL);
    assert_int_equal(ffs_mkdir(e->fs, "/a/.."), -EINVAL);
    assert_int_equal(ffs_mkdir(e->fs, "/"), -EEXIST);
}

static void test_full_device_is_enospc_and_stays_consistent(void **state)
{
    struct env *e = *state;
    struct ffs_file *f;
    assert_int_equal(ffs_open(e->fs, "/fill", FFS_O_WRONLY | FFS_O_CREAT, &f), 0);
    uint8_t buf[BS];
    memset(buf, 0x11, sizeof buf);
    int err = 0;
    for (int i = 0; i < 100 && err >= 0; i++)
        err = ffs_write(f, buf, sizeof buf);
    assert_int_equal(err, -ENOSPC);
    ffs_close(f);
    remount(e);
    assert_int_equal(ffs_check(&e->fx.wbd.bd, NULL, NULL), 0);
}

static void test_metadata_capacity_is_enospc_not_corruption(void **state)
{
    struct env *e = *state;
    int err = 0;
    for (int i = 0; i < 200 && !err; i++) {
        char name[32];
        snprintf(name, sizeof name, "/inline-file-%03d", i);
        struct ffs_file *f;
        err = ffs_open(e->fs, name, FFS_O_WRONLY | FFS_O_CREAT, &f);
        if (!err) {
            uint8_t buf[100];
            memset(buf, i, sizeof buf);
            ffs_write(f, buf, sizeof buf);
            err = ffs_close(f);
        }
    }
    assert_int_equal(err, -ENOSPC);
    remount(e);
    assert_int_equal(ffs_check(&e->fx.wbd.bd, NULL, NULL), 0);
}

struct lines {
    int problems;
    char last[512];
};

static void collect(void *ctx, bool problem, const char *line)
{
    struct lines *l = ctx;
    if (problem) {
        l->problems++;
        snprintf(l->last, sizeof l->last, "%s", line);
    }
}

static void test_check_of_a_clean_image_reports_no_problem(void **state)
{
    struct env *e = *state;
    write_file(e->fs, "/c", 14, 2 * BS);
    struct lines l = {0};
    assert_int_equal(ffs_check(&e->fx.wbd.bd, collect, &l), 0);
    assert_int_equal(l.problems, 0);
}

/* Flips bits of one byte of the device array through a page program (only 1->0 possible),
 * or, for 0x00 bytes, rewrites the sector: models arbitrary damage. */
static void damage_byte(struct env *e, uint32_t addr)
{
    const uint8_t *a = w25q_array(e->fx.dev);
    uint32_t sector = addr / 4096 * 4096;
    uint8_t copy[4096];
    memcpy(copy, a + sector, sizeof copy);
    copy[addr - sector] ^= 0x5A;
    uint32_t block = sector / BS;
    assert_int_equal(e->fx.wbd.bd.erase(e->fx.wbd.bd.ctx, block), 0);
    assert_int_equal(e->fx.wbd.bd.prog(e->fx.wbd.bd.ctx, block, 0, copy, BS), 0);
}

static void test_check_explains_damaged_file_data(void **state)
{
    struct env *e = *state;
    write_file(e->fs, "/victim", 15, 2 * BS);
    struct ffs_stat st;
    assert_int_equal(ffs_stat(e->fs, "/victim", &st), 0);
    assert_int_equal(ffs_unmount(e->fs), 0);
    e->fs = NULL;
    /* find the first data block: the first block whose contents match the pattern */
    const uint8_t *a = w25q_array(e->fx.dev);
    uint32_t b;
    for (b = 1; b < 64; b++)
        if (a[b * BS] == pattern(15, 0) && a[b * BS + 1] == pattern(15, 1))
            break;
    assert_true(b < 64);
    damage_byte(e, b * BS + 100);
    struct lines l = {0};
    assert_int_equal(ffs_check(&e->fx.wbd.bd, collect, &l), -EUCLEAN);
    assert_non_null(strstr(l.last, "/victim"));
    assert_non_null(strstr(l.last, "CRC"));
    assert_int_equal(ffs_mount(&e->fx.wbd.bd, &e->fs), 0); /* metadata is fine */
}

static void test_damaged_superblock_copy_is_reported_and_the_other_used(void **state)
{
    struct env *e = *state;
    damage_byte(e, 10);
    struct lines l = {0};
    assert_int_equal(ffs_check(&e->fx.wbd.bd, collect, &l), -EUCLEAN);
    assert_non_null(strstr(l.last, "superblock"));
    ffs_unmount(e->fs);
    e->fs = NULL;
    assert_int_equal(ffs_mount(&e->fx.wbd.bd, &e->fs), 0);
}

static void test_damaged_only_checkpoint_fails_mount_with_euclean(void **state)
{
    struct env *e = *state;
    ffs_unmount(e->fs);
    e->fs = NULL;
    damage_byte(e, BS + 40); /* block 1 holds the first checkpoint */
    assert_int_equal(ffs_mount(&e->fx.wbd.bd, &e->fs), -EUCLEAN);
    struct lines l = {0};
    assert_int_equal(ffs_check(&e->fx.wbd.bd, collect, &l), -EUCLEAN);
    assert_non_null(strstr(l.last, "no valid metadata checkpoint"));
}

static void test_random_garbage_images_never_mount_as_garbage(void **state)
{
    /* A valid superblock followed by random bytes: mount must fail cleanly or succeed with
     * a consistent tree (checked by ffs_check), never crash. */
    static uint8_t mem[16 * 512];
    uint64_t x = 99;
    for (int round = 0; round < 300; round++) {
        struct ram_bd r;
        assert_int_equal(ram_bd_init(&r, mem, sizeof mem, 512), 0);
        memset(mem, 0xFF, sizeof mem);
        assert_int_equal(ffs_format(&r.bd, 5), 0);
        for (size_t i = 512; i < sizeof mem; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            if ((x >> 60) == 0)
                mem[i] = (uint8_t)(x >> 32);
        }
        struct ffs *fs = NULL;
        int err = ffs_mount(&r.bd, &fs);
        assert_true(err == 0 || err == -EUCLEAN);
        ffs_unmount(fs);
    }
}

static void test_rewrites_spread_erases_over_the_device(void **state)
{
    struct env *e = *state;
    w25q_reset_counters(e->fx.dev);
    for (int i = 0; i < 400; i++)
        write_file(e->fs, "/hot", (uint32_t)i, BS);
    const uint32_t *counts = w25q_sector_erase_counts(e->fx.dev);
    uint32_t max = 0, total = 0;
    for (uint32_t s = 1; s < 64; s++) {
        total += counts[s];
        if (counts[s] > max)
            max = counts[s];
    }
    uint32_t mean = total / 63;
    assert_true(mean >= 5);
    assert_true(max <= 2 * mean + 2);
    assert_int_equal(counts[0], 0); /* the superblock is written once, at format */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_format_then_mount_shows_an_empty_root),
        cmocka_unit_test(test_mount_of_a_blank_device_is_enodev),
        T(test_mount_with_a_different_flash_size_is_emediumtype),
        T(test_format_refuses_an_unsupported_geometry),
        T(test_file_spanning_blocks_reads_back_after_remount),
        T(test_small_file_lives_inline_and_reads_back),
        T(test_inline_file_that_grows_moves_into_a_block),
        T(test_unsynced_writes_are_lost_on_power_cut_and_synced_ones_kept),
        T(test_overwrite_in_the_middle_keeps_the_rest),
        T(test_truncate_shrinks_then_extends_with_zeros),
        T(test_write_past_the_end_fills_the_gap_with_zeros),
        T(test_seek_to_a_negative_position_is_einval),
        T(test_directories_nest_and_list),
        T(test_remove_refuses_non_empty_directories_and_open_files),
        T(test_remove_frees_the_blocks),
        T(test_rename_replaces_an_existing_file),
        T(test_rename_errors),
        T(test_open_errors),
        T(test_bad_names_are_refused),
        T(test_full_device_is_enospc_and_stays_consistent),
        T(test_metadata_capacity_is_enospc_not_corruption),
        T(test_check_of_a_clean_image_reports_no_problem),
        T(test_check_explains_damaged_file_data),
        T(test_damaged_superblock_copy_is_reported_and_the_other_used),
        T(test_damaged_only_checkpoint_fails_mount_with_euclean),
        cmocka_unit_test(test_random_garbage_images_never_mount_as_garbage),
        T(test_rewrites_spread_erases_over_the_device),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
