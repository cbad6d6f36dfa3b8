/* SPDX-License-Identifier: MIT */
/*
 * flash_bd.h — the block-device seam between a flash file system and its storage.
 *
 * Contract: storage is `block_count` erase blocks of `block_size` bytes. NOR semantics: an
 * erased byte reads 0xFF; prog() can only clear bits (1 -> 0) of bytes it is given, so a
 * range must be erased before it is programmed again; erase() sets a whole block to 0xFF.
 * Any byte range inside one block may be programmed, at any alignment, once per erase
 * (programming bytes of a page that were not programmed since the erase is allowed).
 * Every callback returns 0 or a negative errno: -EIO when the device failed or lost power
 * (a power cut is reported as -EIO from then on), -EINVAL for a range outside the device.
 * The file system never touches storage except through these callbacks, so the backend may
 * be a RAM buffer, the W25Q128JV model (w25q_bd.h) or a real MTD device.
 */
#ifndef OPENSPHERE_FLASH_BD_H
#define OPENSPHERE_FLASH_BD_H

#include <stdint.h>

struct flash_bd {
    void *ctx;            /* passed to every callback; owned by the backend */
    uint32_t block_size;  /* erase unit in bytes (a power of two, >= 512) */
    uint32_t block_count; /* number of erase units */
    /* Reads `len` bytes at `off` inside `block`. */
    int (*read)(void *ctx, uint32_t block, uint32_t off, void *buf, uint32_t len);
    /* Programs `len` bytes at `off` inside `block` (off + len <= block_size). */
    int (*prog)(void *ctx, uint32_t block, uint32_t off, const void *buf, uint32_t len);
    /* Erases one block. */
    int (*erase)(void *ctx, uint32_t block);
    /* Makes every completed prog/erase durable (a no-op for devices that are always durable). */
    int (*sync)(void *ctx);
};

#endif
