/* SPDX-License-Identifier: MIT */
/*
 * w25q_bd.h — a struct flash_bd over the W25Q128JV model, driving it through SPI frames the
 * way a real driver would: 06h + 02h per page (split at 256-byte page boundaries), the
 * largest aligned erase instruction that covers a block (D8h 64 KiB, 52h 32 KiB, 20h 4 KiB),
 * 0Bh fast read, and a status poll (w25q_wait_ready) after every program and erase.
 */
#ifndef OPENSPHERE_FLASH_W25Q_BD_H
#define OPENSPHERE_FLASH_W25Q_BD_H

#include "flash_bd.h"
#include "w25q.h"

struct w25q_bd {
    struct flash_bd bd; /* pass &w25q_bd.bd to the file system */
    struct w25q *dev;
};

/* Fills `wbd` to use `dev` with erase blocks of `block_size` bytes (4096, 32768 or 65536,
 * dividing the capacity). `dev` is borrowed and must outlive `wbd`; `wbd` must not move
 * while in use (bd.ctx points to it). Returns 0 or -EINVAL for an unsupported block size. */
int w25q_bd_init(struct w25q_bd *wbd, struct w25q *dev, uint32_t block_size);

#endif
