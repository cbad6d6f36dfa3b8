/* SPDX-License-Identifier: MIT */
/*
 * spinor_bd.h — a flash_bd (src/flash/flash_bd.h) over a serial NOR flash reached through
 * one "chip-select frame" callback: the standard 25-series command set (9Fh JEDEC ID, 03h
 * read, 06h write enable, 02h page program, D8h/20h erase, 05h status polling), 3-byte
 * addresses. On the device the frame is an Applibs SPIMaster_TransferSequential; in tests it
 * is the W25Q128JV model's w25q_transfer. No I/O policy of its own.
 *
 * Contract: spinor_open() identifies the chip (JEDEC ID, capacity 2^id[2] bytes) and fills a
 * flash_bd with erase blocks of `block_size` (4096 or 65536). Reads are split so no frame
 * carries more than SPINOR_MAX_FRAME bytes (the Applibs limit of 4096 per transfer);
 * programs are split at 256-byte page boundaries. Every program and erase waits for BUSY to
 * clear. A frame error, a status that never clears, or a chip that ignores write enable
 * (WEL not set) is -EIO, as flash_bd requires.
 */
#ifndef OPENSPHERE_OTA_SPINOR_BD_H
#define OPENSPHERE_OTA_SPINOR_BD_H

#include <stddef.h>
#include <stdint.h>

#include "flash_bd.h"

#define SPINOR_MAX_FRAME 4096u

/* One chip-select frame: `tx_len` bytes out, then `rx_len` bytes in. Returns 0 or -errno. */
typedef int (*spinor_frame_fn)(void *ctx, const uint8_t *tx, size_t tx_len, uint8_t *rx, size_t rx_len);

struct spinor {
    spinor_frame_fn frame;
    void *ctx;
    uint32_t capacity;     /* bytes, from the JEDEC ID */
    uint32_t block_size;   /* erase unit: 4096 (20h) or 65536 (D8h) */
    uint8_t jedec[3];
    uint64_t frames;       /* frames sent, for benchmarks */
    uint8_t buf[4 + 256];  /* command + one page */
};

/* Identifies the chip and fills `bd` (whose ctx is `nor`). `block_size` 4096 (20h sector
 * erase) or 65536 (D8h block erase). -ENODEV when no chip answers (ID FF FF FF or 00 00 00),
 * -EINVAL for an unsupported block size or capacity (64 KiB .. 16 MiB, 3-byte addressing). */
int spinor_open(struct spinor *nor, spinor_frame_fn frame, void *ctx, uint32_t block_size, struct flash_bd *bd);

#endif
