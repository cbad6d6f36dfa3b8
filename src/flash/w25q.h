/* SPDX-License-Identifier: MIT */
/*
 * w25q.h — a command-level model of the Winbond W25Q128JV SPI NOR flash, with a simulated
 * clock, wear counters and power-cut injection. See docs/flash-model.md.
 *
 * The host talks to the model as an SPI master does: w25q_transfer() is one chip-select
 * frame (instruction, address and data bytes in; response bytes out). Implemented
 * instructions: 9Fh JEDEC ID, 05h/35h/15h read status register 1/2/3, 06h write enable,
 * 04h write disable, 03h read, 0Bh fast read, 02h page program, 20h 4 KiB sector erase,
 * 52h 32 KiB block erase, D8h 64 KiB block erase, C7h/60h chip erase, B9h power-down,
 * ABh release power-down (with device ID), 66h/99h reset.
 *
 * Time is simulated: every frame advances the clock by its bus time, and program/erase set
 * the BUSY (WIP) bit until the datasheet time has elapsed on the simulated clock. Nothing
 * sleeps. w25q_wait_ready() models a driver polling 05h: it advances the clock to the end
 * of the operation.
 *
 * Power cuts: w25q_set_cut() arms a cut at the N-th program/erase operation (the 1-based
 * value of the `ops` counter, which counts from w25q_open or w25q_reset_counters and is not
 * reset by a power cycle). When it fires the interrupted operation leaves a realistic indeterminate state drawn from a seeded RNG, and
 * the device is off: every frame fails with -EIO until w25q_power_cycle().
 *
 * Persistence: with a backing file, every program and erase is written through with
 * pwrite() at once and the file is fsync()ed by w25q_sync() and w25q_close(), so the image
 * on disk always equals the simulated array (a crash of the host process loses at most what
 * the host OS had not flushed). Without a file the array lives in RAM only.
 */
#ifndef OPENSPHERE_FLASH_W25Q_H
#define OPENSPHERE_FLASH_W25Q_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define W25Q_PAGE_SIZE 256u
#define W25Q_SECTOR_SIZE 4096u
#define W25Q_BLOCK32_SIZE 32768u
#define W25Q_BLOCK64_SIZE 65536u
#define W25Q128JV_CAPACITY (16u * 1024u * 1024u)
#define W25Q_JEDEC_MANUFACTURER 0xEFu /* Winbond */
#define W25Q_JEDEC_MEMORY_TYPE 0x40u  /* W25Q..JV-IQ/JQ, SPI mode */

/* Instructions (datasheet §8.1.2, instruction set table 1). */
enum w25q_instruction {
    W25Q_WRITE_STATUS1 = 0x01,
    W25Q_PAGE_PROGRAM = 0x02,
    W25Q_READ = 0x03,
    W25Q_WRITE_DISABLE = 0x04,
    W25Q_READ_STATUS1 = 0x05,
    W25Q_WRITE_ENABLE = 0x06,
    W25Q_FAST_READ = 0x0B,
    W25Q_READ_STATUS3 = 0x15,
    W25Q_SECTOR_ERASE = 0x20,
    W25Q_READ_STATUS2 = 0x35,
    W25Q_BLOCK32_ERASE = 0x52,
    W25Q_CHIP_ERASE_60 = 0x60,
    W25Q_RESET_ENABLE = 0x66,
    W25Q_RESET = 0x99,
    W25Q_JEDEC_ID = 0x9F,
    W25Q_RELEASE_POWER_DOWN = 0xAB,
    W25Q_POWER_DOWN = 0xB9,
    W25Q_CHIP_ERASE = 0xC7,
    W25Q_BLOCK64_ERASE = 0xD8,
};

/* Status register 1 bits. */
#define W25Q_SR1_BUSY 0x01u
#define W25Q_SR1_WEL 0x02u

/* Operation times in nanoseconds and bus clocks. */
struct w25q_timing {
    uint64_t page_program_ns; /* tPP, per page program instruction */
    uint64_t sector_erase_ns; /* tSE, 4 KiB */
    uint64_t block32_erase_ns; /* tBE1 */
    uint64_t block64_erase_ns; /* tBE2 */
    uint64_t chip_erase_ns;    /* tCE */
    uint64_t power_down_ns;    /* tDP */
    uint64_t release_ns;       /* tRES1 */
    uint32_t clock_hz;         /* SPI clock for every instruction except 03h */
    uint32_t read_clock_hz;    /* 03h Read Data is limited to 50 MHz */
};
/* The datasheet's typical and maximum values (docs/flash-model.md gives the source). */
extern const struct w25q_timing w25q_timing_typical;
extern const struct w25q_timing w25q_timing_max;

struct w25q_config {
    uint32_t capacity; /* bytes; a power of two, 64 KiB .. 16 MiB; 0 = W25Q128JV, or the
                          backing file's size when the file exists */
    const char *path;  /* backing image file (created erased if missing), or NULL for RAM */
    const struct w25q_timing *timing; /* NULL = typical */
    uint64_t seed;     /* RNG seed for indeterminate states after a cut */
};

enum w25q_cut_kind {
    W25Q_CUT_NONE,
    W25Q_CUT_BEFORE_OP, /* power fails just before operation `op` starts: nothing changes */
    W25Q_CUT_RANDOM,    /* operation `op` is interrupted at a random point */
    W25Q_CUT_AT_BYTE,   /* program `op` completes `byte` bytes; the rest are partial (an
                           erase is interrupted at a random point) */
};

struct w25q_cut {
    enum w25q_cut_kind kind;
    uint64_t op;   /* 1-based index in the operation counter (struct w25q_counters.ops) */
    uint32_t byte; /* W25Q_CUT_AT_BYTE only */
};

struct w25q_counters {
    uint64_t ops;              /* program + erase instructions started (cut index space) */
    uint64_t page_programs;
    uint64_t bytes_programmed; /* data bytes clocked into page programs */
    uint64_t sector_erases, block32_erases, block64_erases, chip_erases;
    uint64_t bytes_erased;
    uint64_t bytes_read;
    uint64_t sim_ns;           /* the simulated clock */
    uint64_t busy_ns;          /* of which the array was busy programming or erasing */
};

struct w25q;

/* Opens a device. `cfg` is copied. Returns 0 and *out (free with w25q_close), or -EINVAL
 * (bad capacity, or an existing file whose size does not match), -ENOMEM, or the errno of
 * the failing open/read/ftruncate of the backing file. */
int w25q_open(const struct w25q_config *cfg, struct w25q **out);
/* fsyncs the backing file and frees the device. Returns 0 or the fsync error. NULL is a no-op. */
int w25q_close(struct w25q *dev);

/* One chip-select frame: `tx` (instruction, address, data in) is clocked in, then `rx_len`
 * bytes are clocked out into `rx` (may be NULL when rx_len is 0). Returns 0; -EIO when the
 * power is off (after a cut); -EBUSY when a program/erase is in progress and the
 * instruction is not 05h (the real chip ignores it); -EAGAIN in power-down for anything but
 * ABh; -EPERM for program/erase without WEL (the chip ignores it; WEL is then still 0);
 * -EINVAL for an unknown instruction, a short frame or an address beyond the array;
 * -EIO also when writing the backing file fails. */
int w25q_transfer(struct w25q *dev, const uint8_t *tx, size_t tx_len, uint8_t *rx, size_t rx_len);

/* Advances the simulated clock until the current program/erase (if any) has finished, as a
 * driver polling status register 1 would. Returns 0, or -EIO when the power is off. */
int w25q_wait_ready(struct w25q *dev);

/* Arms (or, with kind W25Q_CUT_NONE, disarms) a power cut. */
void w25q_set_cut(struct w25q *dev, const struct w25q_cut *cut);
/* Reseeds the RNG that draws the indeterminate states of an interrupted operation. */
void w25q_set_seed(struct w25q *dev, uint64_t seed);
/* True once an armed cut has fired. */
bool w25q_is_off(const struct w25q *dev);
/* Power-on reset: clears the cut, WEL, BUSY and power-down. The array keeps its contents. */
void w25q_power_cycle(struct w25q *dev);

/* fsyncs the backing file (no-op in RAM). Returns 0 or a negative errno. */
int w25q_sync(struct w25q *dev);

uint32_t w25q_capacity(const struct w25q *dev);
/* The counters (live view; valid until w25q_close). */
const struct w25q_counters *w25q_counters(const struct w25q *dev);
/* Erase count of every 4 KiB sector (capacity / 4096 entries; live view). */
const uint32_t *w25q_sector_erase_counts(const struct w25q *dev);
/* Zeroes the counters (not the simulated clock origin's meaning: sim_ns restarts at 0). */
void w25q_reset_counters(struct w25q *dev);
/* Direct view of the array, for tests and tools that inspect an image (read-only). */
const uint8_t *w25q_array(const struct w25q *dev);

#endif
