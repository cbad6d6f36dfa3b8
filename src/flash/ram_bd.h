/* SPDX-License-Identifier: MIT */
/*
 * ram_bd.h — a struct flash_bd over a caller-owned RAM buffer with NOR semantics (program
 * clears bits, erase sets a block to 0xFF). No timing and no power cuts: for fuzzing and
 * for inspecting images in memory.
 */
#ifndef OPENSPHERE_FLASH_RAM_BD_H
#define OPENSPHERE_FLASH_RAM_BD_H

#include <stddef.h>

#include "flash_bd.h"

struct ram_bd {
    struct flash_bd bd; /* pass &ram_bd.bd to the file system */
    uint8_t *mem;
    size_t size;
};

/* Fills `rbd` over `mem` (size bytes, borrowed; must outlive rbd) with blocks of
 * `block_size` bytes (size / block_size blocks, rounded down). `rbd` must not move while in
 * use. Returns 0, or -EINVAL when block_size is 0 or larger than size. */
int ram_bd_init(struct ram_bd *rbd, uint8_t *mem, size_t size, uint32_t block_size);

#endif
