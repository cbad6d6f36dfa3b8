/* SPDX-License-Identifier: MIT */
/* w25q_bd.c — struct flash_bd over the W25Q128JV model (see w25q_bd.h). */
#include "w25q_bd.h"

#include <errno.h>
#include <string.h>

#include "bytes.h"

/* The instruction, then its 24-bit address most significant byte first: the low three bytes of
 * the address's big-endian form (device addresses stay below 16 MiB, so the top byte is free). */
static void put_address(uint8_t *tx, uint8_t op, uint32_t addr)
{
    bytes_put_be32(tx, addr);
    tx[0] = op;
}

/* The device address of (block, off), or -EINVAL in *err for a range outside the block. */
static uint32_t device_address(const struct w25q_bd *w, uint32_t block, uint32_t off, uint32_t len, int *err)
{
    if (block >= w->bd.block_count || off > w->bd.block_size || len > w->bd.block_size - off)
        *err = -EINVAL;
    return block * w->bd.block_size + off;
}

/* 06h then the instruction in `tx`, then poll until it completes. */
static int write_and_wait(struct w25q *dev, const uint8_t *tx, size_t tx_len)
{
    const uint8_t wren = W25Q_WRITE_ENABLE;
    int err = w25q_transfer(dev, &wren, 1, NULL, 0);
    if (!err)
        err = w25q_transfer(dev, tx, tx_len, NULL, 0);
    if (!err)
        err = w25q_wait_ready(dev);
    return err;
}

static int bd_read(void *ctx, uint32_t block, uint32_t off, void *buf, uint32_t len)
{
    struct w25q_bd *w = ctx;
    int err = 0;
    uint32_t addr = device_address(w, block, off, len, &err);
    if (err || len == 0)
        return err;
    uint8_t tx[5];
    put_address(tx, W25Q_FAST_READ, addr);
    tx[4] = 0; /* dummy byte */
    return w25q_transfer(w->dev, tx, sizeof tx, buf, len);
}

static int bd_prog(void *ctx, uint32_t block, uint32_t off, const void *buf, uint32_t len)
{
    struct w25q_bd *w = ctx;
    int err = 0;
    uint32_t addr = device_address(w, block, off, len, &err);
    const uint8_t *p = buf;
    uint8_t tx[4 + W25Q_PAGE_SIZE];
    while (!err && len > 0) {
        uint32_t chunk = W25Q_PAGE_SIZE - (addr % W25Q_PAGE_SIZE);
        if (chunk > len)
            chunk = len;
        put_address(tx, W25Q_PAGE_PROGRAM, addr);
        memcpy(tx + 4, p, chunk);
        err = write_and_wait(w->dev, tx, 4 + chunk);
        addr += chunk;
        p += chunk;
        len -= chunk;
    }
    return err;
}

static int bd_erase(void *ctx, uint32_t block)
{
    struct w25q_bd *w = ctx;
    int err = 0;
    uint32_t addr = device_address(w, block, 0, 0, &err);
    uint32_t size = w->bd.block_size;
    while (!err && size > 0) {
        uint8_t op = W25Q_SECTOR_ERASE;
        uint32_t unit = W25Q_SECTOR_SIZE;
        if (addr % W25Q_BLOCK64_SIZE == 0 && size >= W25Q_BLOCK64_SIZE) {
            op = W25Q_BLOCK64_ERASE;
            unit = W25Q_BLOCK64_SIZE;
        } else if (addr % W25Q_BLOCK32_SIZE == 0 && size >= W25Q_BLOCK32_SIZE) {
            op = W25Q_BLOCK32_ERASE;
            unit = W25Q_BLOCK32_SIZE;
        }
        uint8_t tx[4];
        put_address(tx, op, addr);
        err = write_and_wait(w->dev, tx, sizeof tx);
        addr += unit;
        size -= unit;
    }
    return err;
}

static int bd_sync(void *ctx)
{
    struct w25q_bd *w = ctx;
    return w25q_is_off(w->dev) ? -EIO : w25q_sync(w->dev);
}

int w25q_bd_init(struct w25q_bd *wbd, struct w25q *dev, uint32_t block_size)
{
    uint32_t capacity = w25q_capacity(dev);
    if ((block_size != W25Q_SECTOR_SIZE && block_size != W25Q_BLOCK32_SIZE && block_size != W25Q_BLOCK64_SIZE) ||
        capacity % block_size != 0)
        return -EINVAL;
    memset(wbd, 0, sizeof *wbd);
    wbd->dev = dev;
    wbd->bd.ctx = wbd;
    wbd->bd.block_size = block_size;
    wbd->bd.block_count = capacity / block_size;
    wbd->bd.read = bd_read;
    wbd->bd.prog = bd_prog;
    wbd->bd.erase = bd_erase;
    wbd->bd.sync = bd_sync;
    return 0;
}
