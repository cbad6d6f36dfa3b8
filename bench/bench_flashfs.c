/* SPDX-License-Identifier: MIT */
/*
 * bench_flashfs.c — writes a 4 MiB file into the flash file system on the W25Q128JV model
 * (16 MiB, 64 KiB blocks, typical timings) the way the OTA agent does (16 KiB chunks, a sync
 * and a 4-byte progress record every 64 KiB) and prints, as ratios:
 *   write amplification   bytes programmed / 4 MiB
 *   erase ratio           erase operations / the minimum (64 x 64 KiB block erases)
 *   flash time ratio      simulated flash time / (64 x tBE2 + 16384 x tPP), typical timings
 * and the host CPU time per MiB. Counters start after format and mount (the mount itself is
 * included). Exit status 1 if a ratio exceeds 1.10.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ffs.h"
#include "w25q.h"
#include "w25q_bd.h"

#define FILE_SIZE (4u * 1024u * 1024u)
#define CHUNK 16384u
#define SYNC_EVERY 65536u

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    struct w25q_config cfg = {.capacity = W25Q128JV_CAPACITY, .seed = 1};
    struct w25q *dev = NULL;
    struct w25q_bd wbd;
    struct ffs *fs = NULL;
    struct ffs_file *f = NULL, *rec = NULL;
    static uint8_t buf[CHUNK];
    if (w25q_open(&cfg, &dev) || w25q_bd_init(&wbd, dev, W25Q_BLOCK64_SIZE) || ffs_format(&wbd.bd, 42)) {
        fprintf(stderr, "bench: cannot set up the device\n");
        return 1;
    }
    w25q_reset_counters(dev);
    double t0 = cpu_seconds();
    int err = ffs_mount(&wbd.bd, &fs);
    if (!err)
        err = ffs_open(fs, "/ota.bin", FFS_O_WRONLY | FFS_O_CREAT, &f);
    if (!err)
        err = ffs_open(fs, "/progress", FFS_O_WRONLY | FFS_O_CREAT, &rec);
    for (uint32_t pos = 0; !err && pos < FILE_SIZE; pos += CHUNK) {
        for (uint32_t i = 0; i < CHUNK; i++)
            buf[i] = (uint8_t)((pos + i) * 2654435761u >> 13);
        err = ffs_write(f, buf, CHUNK) == (int)CHUNK ? 0 : -1;
        if (!err && (pos + CHUNK) % SYNC_EVERY == 0) {
            uint32_t done = pos + CHUNK;
            err = ffs_sync(f);
            if (!err && (ffs_seek(rec, 0, FFS_SEEK_SET) != 0 || ffs_write(rec, &done, 4) != 4))
                err = -1;
            if (!err)
                err = ffs_sync(rec);
        }
    }
    if (!err)
        err = ffs_close(rec);
    if (!err)
        err = ffs_close(f);
    double cpu = cpu_seconds() - t0;
    if (err || ffs_unmount(fs)) {
        fprintf(stderr, "bench: the workload failed (%d)\n", err);
        return 1;
    }
    const struct w25q_counters *c = w25q_counters(dev);
    uint64_t erases = c->sector_erases + c->block32_erases + c->block64_erases + c->chip_erases;
    double min_erases = FILE_SIZE / W25Q_BLOCK64_SIZE;
    double min_ns = min_erases * (double)w25q_timing_typical.block64_erase_ns +
                    (FILE_SIZE / W25Q_PAGE_SIZE) * (double)w25q_timing_typical.page_program_ns;
    double wa = (double)c->bytes_programmed / FILE_SIZE;
    double er = (double)erases / min_erases;
    double tr = (double)c->sim_ns / min_ns;
    printf("flashfs bench: 4 MiB file, 16 KiB writes, sync + progress record every 64 KiB, W25Q128JV 64 KiB blocks\n");
    printf("  bytes programmed      %llu (%llu page programs)\n", (unsigned long long)c->bytes_programmed,
           (unsigned long long)c->page_programs);
    printf("  erases                %llu (64K: %llu, 32K: %llu, 4K: %llu)\n", (unsigned long long)erases,
           (unsigned long long)c->block64_erases, (unsigned long long)c->block32_erases,
           (unsigned long long)c->sector_erases);
    printf("  simulated flash time  %.3f s (array busy %.3f s; physical minimum %.3f s)\n", c->sim_ns / 1e9,
           c->busy_ns / 1e9, min_ns / 1e9);
    printf("  write amplification   %.4f\n", wa);
    printf("  erase ratio           %.4f\n", er);
    printf("  flash time ratio      %.4f\n", tr);
    printf("  host CPU time         %.2f ms per MiB\n", cpu * 1000.0 / 4.0);
    w25q_close(dev);
    return wa <= 1.10 && er <= 1.10 && tr <= 1.10 ? 0 : 1;
}
