/* SPDX-License-Identifier: MIT */
/*
 * spinor_bd.c — flash_bd over a 25-series serial NOR command set (see spinor_bd.h).
 */
#include "spinor_bd.h"

#include <errno.h>
#include <string.h>

enum {
    CMD_PAGE_PROGRAM = 0x02,
    CMD_READ = 0x03,
    CMD_READ_STATUS1 = 0x05,
    CMD_WRITE_ENABLE = 0x06,
    CMD_SECTOR_ERASE = 0x20,
    CMD_JEDEC_ID = 0x9F,
    CMD_BLOCK64_ERASE = 0xD8,
};
#define SR1_BUSY 0x01u
#define SR1_WEL 0x02u
#define PAGE 256u
/* The W25Q128JV's worst 64 KiB erase is 2 s; a model finishes by the next poll. A chip still
 * busy after this many polls is broken. */
#define MAX_POLLS 2000000u

static int frame(struct spinor *nor, const uint8_t *tx, size_t tx_len, uint8_t *rx, size_t rx_len)
{
    nor->frames++;
    int err = nor->frame(nor->ctx, tx, tx_len, rx, rx_len);
    return err ? -EIO : 0;
}

static void put_address(uint8_t *p, uint32_t address)
{
    p[0] = (uint8_t)(address >> 16);
    p[1] = (uint8_t)(address >> 8);
    p[2] = (uint8_t)address;
}

static int read_status(struct spinor *nor, uint8_t *status)
{
    const uint8_t cmd = CMD_READ_STATUS1;
    return frame(nor, &cmd, 1, status, 1);
}

static int wait_ready(struct spinor *nor)
{
    for (uint32_t i = 0; i < MAX_POLLS; i++) {
        uint8_t status;
        int err = read_status(nor, &status);
        if (err)
            return err;
        if (!(status & SR1_BUSY))
            return 0;
    }
    return -EIO;
}

static int write_enable(struct spinor *nor)
{
    const uint8_t cmd = CMD_WRITE_ENABLE;
    uint8_t status;
    int err = frame(nor, &cmd, 1, NULL, 0);
    err = err ? err : read_status(nor, &status);
    if (err)
        return err;
    return (status & SR1_WEL) ? 0 : -EIO;
}

static int check_range(const struct spinor *nor, uint32_t block_size, uint32_t block, uint32_t off, uint32_t len)
{
    if (off > block_size || len > block_size - off)
        return -EINVAL;
    if ((uint64_t)block * block_size + off + len > nor->capacity)
        return -EINVAL;
    return 0;
}

static int bd_read(void *ctx, uint32_t block, uint32_t off, void *buf, uint32_t len)
{
    struct spinor *nor = ctx;
    uint32_t bs = nor->block_size;
    int err = check_range(nor, bs, block, off, len);
    uint32_t address = block * bs + off;
    for (uint8_t *out = buf; !err && len;) {
        uint32_t n = len < SPINOR_MAX_FRAME ? len : SPINOR_MAX_FRAME;
        uint8_t cmd[4] = {CMD_READ};
        put_address(cmd + 1, address);
        err = frame(nor, cmd, sizeof cmd, out, n);
        out += n, address += n, len -= n;
    }
    return err;
}

static int bd_prog(void *ctx, uint32_t block, uint32_t off, const void *buf, uint32_t len)
{
    struct spinor *nor = ctx;
    uint32_t bs = nor->block_size;
    int err = check_range(nor, bs, block, off, len);
    uint32_t address = block * bs + off;
    for (const uint8_t *in = buf; !err && len;) {
        uint32_t room = PAGE - address % PAGE, n = len < room ? len : room;
        err = write_enable(nor);
        if (err)
            break;
        nor->buf[0] = CMD_PAGE_PROGRAM;
        put_address(nor->buf + 1, address);
        memcpy(nor->buf + 4, in, n);
        err = frame(nor, nor->buf, 4 + n, NULL, 0);
        err = err ? err : wait_ready(nor);
        in += n, address += n, len -= n;
    }
    return err;
}

static int bd_erase(void *ctx, uint32_t block)
{
    struct spinor *nor = ctx;
    uint32_t bs = nor->block_size;
    int err = check_range(nor, bs, block, 0, bs);
    err = err ? err : write_enable(nor);
    if (err)
        return err;
    uint8_t cmd[4] = {bs == 65536u ? CMD_BLOCK64_ERASE : CMD_SECTOR_ERASE};
    put_address(cmd + 1, block * bs);
    err = frame(nor, cmd, sizeof cmd, NULL, 0);
    return err ? err : wait_ready(nor);
}

static int bd_sync(void *ctx)
{
    (void)ctx; /* every program and erase has completed (BUSY clear) before it returned */
    return 0;
}

int spinor_open(struct spinor *nor, spinor_frame_fn frame_fn, void *ctx, uint32_t block_size, struct flash_bd *bd)
{
    if (block_size != 4096u && block_size != 65536u)
        return -EINVAL;
    memset(nor, 0, sizeof *nor);
    nor->frame = frame_fn;
    nor->ctx = ctx;
    const uint8_t cmd = CMD_JEDEC_ID;
    int err = frame(nor, &cmd, 1, nor->jedec, 3);
    if (err)
        return err;
    if ((nor->jedec[0] == 0xFF && nor->jedec[1] == 0xFF && nor->jedec[2] == 0xFF) ||
        (nor->jedec[0] == 0 && nor->jedec[1] == 0 && nor->jedec[2] == 0))
        return -ENODEV;
    if (nor->jedec[2] < 16 || nor->jedec[2] > 24)
        return -EINVAL;
    nor->capacity = 1u << nor->jedec[2];
    if (nor->capacity < block_size * 4u)
        return -EINVAL;
    nor->block_size = block_size;
    *bd = (struct flash_bd){.ctx = nor,
                            .block_size = block_size,
                            .block_count = nor->capacity / block_size,
                            .read = bd_read,
                            .prog = bd_prog,
                            .erase = bd_erase,
                            .sync = bd_sync};
    return 0;
}
