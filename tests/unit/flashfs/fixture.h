/* SPDX-License-Identifier: MIT */
/* fixture.h — a W25Q128JV model (RAM) with a flash_bd over it, shared by the flashfs tests. */
#ifndef OPENSPHERE_TEST_FFS_FIXTURE_H
#define OPENSPHERE_TEST_FFS_FIXTURE_H

#include <stdint.h>
#include <stdlib.h>

#include "ffs.h"
#include "w25q.h"
#include "w25q_bd.h"

struct fixture {
    struct w25q *dev;
    struct w25q_bd wbd;
};

/* Opens a RAM device of `capacity` bytes with `block_size` blocks; returns 0 or an error. */
static inline int fixture_open(struct fixture *fx, uint32_t capacity, uint32_t block_size, uint64_t seed)
{
    struct w25q_config cfg = {.capacity = capacity, .seed = seed};
    int err = w25q_open(&cfg, &fx->dev);
    if (!err)
        err = w25q_bd_init(&fx->wbd, fx->dev, block_size);
    return err;
}

static inline void fixture_close(struct fixture *fx)
{
    w25q_close(fx->dev);
    fx->dev = NULL;
}

/* The deterministic byte at offset `i` of test file number `k`. */
static inline uint8_t pattern(uint32_t k, uint32_t i)
{
    uint32_t x = (i + 1u) * 2654435761u ^ (k + 1u) * 40503u;
    return (uint8_t)(x >> 13);
}

#endif
