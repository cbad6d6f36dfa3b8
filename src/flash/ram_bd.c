/* SPDX-License-Identifier: MIT */
/* ram_bd.c — struct flash_bd over RAM with NOR semantics (see ram_bd.h). */
#include "ram_bd.h"

#include <errno.h>
#include <string.h>

static uint8_t *at(struct ram_bd *r, uint32_t block, uint32_t off, uint32_t len)
{
    if (block >= r->bd.block_count || off > r->bd.block_size || len > r->bd.block_size - off)
        return NULL;
    return r->mem + (size_t)block * r->bd.block_size + off;
}

static int ram_read(void *ctx, uint32_t block, uint32_t off, void *buf, uint32_t len)
{
    uint8_t *p = at(ctx, block, off, len);
    if (!p)
        return -EINVAL;
    memcpy(buf, p, len);
    return 0;
}

static int ram_prog(void *ctx, uint32_t block, uint32_t off, const void *buf, uint32_t len)
{
    uint8_t *p = at(ctx, block, off, len);
    if (!p)
        return -EINVAL;
    const uint8_t *src = buf;
    for (uint32_t i = 0; i < len; i++)
        p[i] &= src[i];
    return 0;
}

static int ram_erase(void *ctx, uint32_t block)
{
    struct ram_bd *r = ctx;
    uint8_t *p = at(r, block, 0, r->bd.block_size);
    if (!p)
        return -EINVAL;
    memset(p, 0xFF, r->bd.block_size);
    return 0;
}

static int ram_sync(void *ctx)
{
    return 0;
}

int ram_bd_init(struct ram_bd *rbd, uint8_t *mem, size_t size, uint32_t block_size)
{
    if (block_size == 0 || block_size > size)
        return -EINVAL;
    memset(rbd, 0, sizeof *rbd);
    rbd->mem = mem;
    rbd->size = size;
    rbd->bd.ctx = rbd;
    rbd->bd.block_size = block_size;
    rbd->bd.block_count = (uint32_t)(size / block_size);
    rbd->bd.read = ram_read;
    rbd->bd.prog = ram_prog;
    rbd->bd.erase = ram_erase;
    rbd->bd.sync = ram_sync;
    return 0;
}
