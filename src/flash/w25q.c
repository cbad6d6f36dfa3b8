/* SPDX-License-Identifier: MIT */
/* w25q.c — the W25Q128JV command-level model (see w25q.h and docs/flash-model.md). */
#include "w25q.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Typical and maximum AC characteristics, W25Q128JV datasheet §9.6 (see docs/flash-model.md). */
const struct w25q_timing w25q_timing_typical = {
    .page_program_ns = 400000ull,
    .sector_erase_ns = 45000000ull,
    .block32_erase_ns = 120000000ull,
    .block64_erase_ns = 150000000ull,
    .chip_erase_ns = 40000000000ull,
    .power_down_ns = 3000ull,
    .release_ns = 3000ull,
    .clock_hz = 133000000u,
    .read_clock_hz = 50000000u,
};

const struct w25q_timing w25q_timing_max = {
    .page_program_ns = 3000000ull,
    .sector_erase_ns = 400000000ull,
    .block32_erase_ns = 1600000000ull,
    .block64_erase_ns = 2000000000ull,
    .chip_erase_ns = 200000000000ull,
    .power_down_ns = 3000ull,
    .release_ns = 3000ull,
    .clock_hz = 133000000u,
    .read_clock_hz = 50000000u,
};

struct w25q {
    uint8_t *array;
    uint32_t capacity;
    uint32_t *erase_counts; /* per 4 KiB sector */
    int fd;                 /* backing file, or -1; then `array` is its shared mapping */
    struct w25q_timing timing;
    uint64_t rng;
    uint8_t status1;
    bool reset_enabled;
    bool powered_down;
    bool off;
    uint64_t busy_until;
    struct w25q_cut cut;
    struct w25q_counters counters;
};

/* splitmix64: a small, seedable, well-mixed generator. */
static uint64_t rng_next(struct w25q *dev)
{
    uint64_t z = (dev->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static bool valid_capacity(uint32_t c)
{
    return c >= W25Q_BLOCK64_SIZE && c <= W25Q128JV_CAPACITY && (c & (c - 1)) == 0;
}

static int load_file(struct w25q *dev, const char *path, uint32_t *capacity)
{
    dev->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (dev->fd < 0)
        return -errno;
    struct stat st;
    if (fstat(dev->fd, &st) != 0)
        return -errno;
    if (st.st_size != 0) {
        if (*capacity == 0 && st.st_size <= W25Q128JV_CAPACITY)
            *capacity = (uint32_t)st.st_size;
        if ((uint64_t)st.st_size != *capacity)
            return -EINVAL;
    }
    if (*capacity == 0)
        *capacity = W25Q128JV_CAPACITY;
    if (!valid_capacity(*capacity))
        return -EINVAL;
    /* The array is the file, mapped shared: every program and erase is in the file (the page
     * cache) as soon as it is done, without a write per operation; w25q_sync's fsync flushes it. */
    if (st.st_size == 0 && ftruncate(dev->fd, *capacity) != 0)
        return -errno;
    void *map = mmap(NULL, *capacity, PROT_READ | PROT_WRITE, MAP_SHARED, dev->fd, 0);
    if (map == MAP_FAILED)
        return -errno;
    dev->array = map;
    if (st.st_size == 0)
        memset(dev->array, 0xFF, *capacity); /* a blank chip */
    return 0;
}

int w25q_open(const struct w25q_config *cfg, struct w25q **out)
{
    *out = NULL;
    uint32_t capacity = cfg->capacity;
    if (capacity != 0 && !valid_capacity(capacity))
        return -EINVAL;
    struct w25q *dev = calloc(1, sizeof *dev);
    if (!dev)
        return -ENOMEM;
    dev->fd = -1;
    dev->timing = cfg->timing ? *cfg->timing : w25q_timing_typical;
    dev->rng = cfg->seed;
    int err = 0;
    if (cfg->path) {
        err = load_file(dev, cfg->path, &capacity);
    } else {
        if (capacity == 0)
            capacity = W25Q128JV_CAPACITY;
        dev->array = malloc(capacity);
        if (!dev->array)
            err = -ENOMEM;
        else
            memset(dev->array, 0xFF, capacity);
    }
    dev->capacity = capacity;
    if (!err) {
        dev->erase_counts = calloc(capacity / W25Q_SECTOR_SIZE, sizeof *dev->erase_counts);
        if (!dev->erase_counts)
            err = -ENOMEM;
    }
    if (err) {
        w25q_close(dev);
        return err;
    }
    *out = dev;
    return 0;
}

int w25q_close(struct w25q *dev)
{
    if (!dev)
        return 0;
    int err = w25q_sync(dev);
    if (dev->fd >= 0) {
        if (dev->array)
            munmap(dev->array, dev->capacity);
        close(dev->fd);
    } else {
        free(dev->array);
    }
    free(dev->erase_counts);
    free(dev);
    return err;
}

int w25q_sync(struct w25q *dev)
{
    if (dev->fd >= 0 && fsync(dev->fd) != 0)
        return -errno;
    return 0;
}

static uint64_t bus_ns(uint64_t bytes, uint32_t hz)
{
    return (bytes * 8u * 1000000000ull + hz - 1) / hz;
}

/* Starts a program/erase: counts it and decides whether the armed cut fires here.
 * Returns 0 (run normally), 1 (cut before it starts) or 2 (cut during it). */
static int start_op(struct w25q *dev)
{
    dev->counters.ops++;
    if (dev->cut.kind == W25Q_CUT_NONE || dev->cut.op != dev->counters.ops)
        return 0;
    dev->off = true;
    return dev->cut.kind == W25Q_CUT_BEFORE_OP ? 1 : 2;
}

static void set_busy(struct w25q *dev, uint64_t ns)
{
    dev->busy_until = dev->counters.sim_ns + ns;
    dev->counters.busy_ns += ns;
    dev->status1 |= W25Q_SR1_BUSY;
}

/* The page offsets page_program writes, in the order the chip takes them: `first`, first+1, ...
 * when the data fits in the page (the usual case), else each position once, in order of first
 * appearance, with later bytes replacing earlier ones (bytes beyond the end wrap to its start). */
struct program_plan {
    uint8_t buf[W25Q_PAGE_SIZE];
    uint32_t order[W25Q_PAGE_SIZE];
    uint32_t n, first;
    bool wraps;
};

static void plan_program(struct program_plan *pp, uint32_t offset, const uint8_t *data, size_t len)
{
    pp->wraps = offset + len > W25Q_PAGE_SIZE;
    pp->first = offset;
    if (!pp->wraps) {
        memcpy(pp->buf + offset, data, len);
        pp->n = (uint32_t)len;
        return;
    }
    bool touched[W25Q_PAGE_SIZE] = {false};
    memset(pp->buf, 0xFF, sizeof pp->buf);
    pp->n = 0;
    for (size_t i = 0; i < len; i++) {
        uint32_t pos = (uint32_t)((offset + i) % W25Q_PAGE_SIZE);
        pp->buf[pos] = data[i];
        if (!touched[pos]) {
            touched[pos] = true;
            pp->order[pp->n++] = pos;
        }
    }
}

static int page_program(struct w25q *dev, uint32_t addr, const uint8_t *data, size_t len)
{
    uint32_t page = addr & ~(W25Q_PAGE_SIZE - 1);
    struct program_plan pp;
    plan_program(&pp, addr - page, data, len);
    uint32_t n = pp.n;
    int cut = start_op(dev);
    if (cut == 1)
        return -EIO;
    uint32_t complete = n;
    if (cut == 2)
        complete = dev->cut.kind == W25Q_CUT_AT_BYTE ? (dev->cut.byte < n ? dev->cut.byte : n)
                                                     : (uint32_t)(rng_next(dev) % (n + 1u));
    uint8_t *cell = dev->array + page;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t pos = pp.wraps ? pp.order[i] : pp.first + i;
        uint8_t clear = (uint8_t)~pp.buf[pos] & cell[pos]; /* bits going 1 -> 0 */
        if (i >= complete)
            clear &= (uint8_t)rng_next(dev); /* partially programmed: some of them made it */
        cell[pos] &= (uint8_t)~clear;
    }
    dev->counters.page_programs++;
    dev->counters.bytes_programmed += n;
    if (cut)
        return -EIO;
    set_busy(dev, dev->timing.page_program_ns);
    return 0;
}

static int erase(struct w25q *dev, uint32_t addr, uint32_t size, uint64_t ns, uint64_t *counter)
{
    addr &= ~(size - 1);
    int cut = start_op(dev);
    if (cut == 1)
        return -EIO;
    uint8_t *cell = dev->array + addr;
    if (cut == 2) {
        /* Interrupted: each bit may or may not have reached the erased state. */
        for (uint32_t i = 0; i < size; i += 8) {
            uint64_t r = rng_next(dev), v;
            memcpy(&v, cell + i, 8);
            v |= r;
            memcpy(cell + i, &v, 8);
        }
    } else {
        memset(cell, 0xFF, size);
    }
    for (uint32_t s = addr / W25Q_SECTOR_SIZE; s < (addr + size) / W25Q_SECTOR_SIZE; s++)
        dev->erase_counts[s]++;
    (*counter)++;
    dev->counters.bytes_erased += size;
    if (cut)
        return -EIO;
    set_busy(dev, ns);
    return 0;
}

static uint32_t address(const uint8_t *tx)
{
    return (uint32_t)tx[1] << 16 | (uint32_t)tx[2] << 8 | tx[3];
}

static void read_array(struct w25q *dev, uint32_t addr, uint8_t *rx, size_t len)
{
    size_t first = dev->capacity - addr < len ? dev->capacity - addr : len;
    memcpy(rx, dev->array + addr, first);
    for (size_t i = first; i < len; i++) /* reads wrap at the end of the array */
        rx[i] = dev->array[(addr + i) & (dev->capacity - 1)];
    dev->counters.bytes_read += len;
}

static uint8_t capacity_code(uint32_t capacity)
{
    uint8_t code = 0;
    while ((1u << code) < capacity)
        code++;
    return code; /* 2^0x18 = 16 MiB for the W25Q128JV */
}

/* Instructions that need WEL: program and erase. */
static int write_instruction(struct w25q *dev, const uint8_t *tx, size_t tx_len)
{
    if (!(dev->status1 & W25Q_SR1_WEL))
        return -EPERM;
    uint8_t op = tx[0];
    if (op != W25Q_CHIP_ERASE && op != W25Q_CHIP_ERASE_60) {
        if (tx_len < 4)
            return -EINVAL;
        if (address(tx) >= dev->capacity)
            return -EINVAL;
    }
    dev->status1 &= (uint8_t)~W25Q_SR1_WEL; /* cleared when the operation completes */
    const struct w25q_timing *t = &dev->timing;
    switch (op) {
    case W25Q_PAGE_PROGRAM:
        if (tx_len == 4)
            return 0; /* no data: nothing to program */
        return page_program(dev, address(tx), tx + 4, tx_len - 4);
    case W25Q_SECTOR_ERASE:
        return erase(dev, address(tx), W25Q_SECTOR_SIZE, t->sector_erase_ns, &dev->counters.sector_erases);
    case W25Q_BLOCK32_ERASE:
        return erase(dev, address(tx), W25Q_BLOCK32_SIZE, t->block32_erase_ns, &dev->counters.block32_erases);
    case W25Q_BLOCK64_ERASE:
        return erase(dev, address(tx), W25Q_BLOCK64_SIZE, t->block64_erase_ns, &dev->counters.block64_erases);
    default:
        return erase(dev, 0, dev->capacity, t->chip_erase_ns, &dev->counters.chip_erases);
    }
}

int w25q_transfer(struct w25q *dev, const uint8_t *tx, size_t tx_len, uint8_t *rx, size_t rx_len)
{
    if (dev->off)
        return -EIO;
    if (tx_len == 0)
        return -EINVAL;
    uint8_t op = tx[0];
    dev->counters.sim_ns += bus_ns(tx_len + rx_len, op == W25Q_READ ? dev->timing.read_clock_hz : dev->timing.clock_hz);
    if ((dev->status1 & W25Q_SR1_BUSY) && dev->counters.sim_ns >= dev->busy_until)
        dev->status1 &= (uint8_t)~W25Q_SR1_BUSY;
    if (dev->powered_down && op != W25Q_RELEASE_POWER_DOWN)
        return -EAGAIN;
    if ((dev->status1 & W25Q_SR1_BUSY) && op != W25Q_READ_STATUS1 && op != W25Q_READ_STATUS2 &&
        op != W25Q_READ_STATUS3)
        return -EBUSY;
    if (op != W25Q_RESET)
        dev->reset_enabled = op == W25Q_RESET_ENABLE;
    switch (op) {
    case W25Q_JEDEC_ID: {
        const uint8_t id[3] = {W25Q_JEDEC_MANUFACTURER, W25Q_JEDEC_MEMORY_TYPE, capacity_code(dev->capacity)};
        for (size_t i = 0; i < rx_len; i++)
            rx[i] = i < 3 ? id[i] : 0xFF;
        return 0;
    }
    case W25Q_READ_STATUS1:
    case W25Q_READ_STATUS2:
    case W25Q_READ_STATUS3:
        if (rx_len)
            memset(rx, op == W25Q_READ_STATUS1 ? dev->status1 : 0x00, rx_len);
        return 0;
    case W25Q_WRITE_ENABLE:
        dev->status1 |= W25Q_SR1_WEL;
        return 0;
    case W25Q_WRITE_DISABLE:
        dev->status1 &= (uint8_t)~W25Q_SR1_WEL;
        return 0;
    case W25Q_READ:
    case W25Q_FAST_READ: {
        size_t need = op == W25Q_FAST_READ ? 5 : 4; /* 0Bh has one dummy byte */
        if (tx_len < need || address(tx) >= dev->capacity)
            return -EINVAL;
        read_array(dev, address(tx), rx, rx_len);
        return 0;
    }
    case W25Q_PAGE_PROGRAM:
    case W25Q_SECTOR_ERASE:
    case W25Q_BLOCK32_ERASE:
    case W25Q_BLOCK64_ERASE:
    case W25Q_CHIP_ERASE:
    case W25Q_CHIP_ERASE_60:
        return write_instruction(dev, tx, tx_len);
    case W25Q_POWER_DOWN:
        dev->powered_down = true;
        dev->counters.sim_ns += dev->timing.power_down_ns;
        return 0;
    case W25Q_RELEASE_POWER_DOWN:
        dev->powered_down = false;
        dev->counters.sim_ns += dev->timing.release_ns;
        for (size_t i = 0; i < rx_len; i++) { /* 3 dummy bytes, then the device ID (17h) */
            size_t dummies_left = tx_len >= 4 ? 0 : 4 - tx_len;
            rx[i] = i >= dummies_left ? (uint8_t)(capacity_code(dev->capacity) - 1) : 0xFF;
        }
        return 0;
    case W25Q_RESET_ENABLE:
        return 0;
    case W25Q_RESET:
        if (dev->reset_enabled) {
            dev->status1 = 0;
            dev->reset_enabled = false;
        }
        return 0;
    default:
        return -EINVAL;
    }
}

int w25q_wait_ready(struct w25q *dev)
{
    if (dev->off)
        return -EIO;
    if (dev->status1 & W25Q_SR1_BUSY) {
        if (dev->counters.sim_ns < dev->busy_until)
            dev->counters.sim_ns = dev->busy_until;
        dev->status1 &= (uint8_t)~W25Q_SR1_BUSY;
    }
    return 0;
}

void w25q_set_cut(struct w25q *dev, const struct w25q_cut *cut)
{
    dev->cut = *cut;
}

void w25q_set_seed(struct w25q *dev, uint64_t seed)
{
    dev->rng = seed;
}

bool w25q_is_off(const struct w25q *dev)
{
    return dev->off;
}

void w25q_power_cycle(struct w25q *dev)
{
    dev->off = false;
    dev->cut.kind = W25Q_CUT_NONE;
    dev->status1 = 0;
    dev->powered_down = false;
    dev->reset_enabled = false;
    dev->busy_until = dev->counters.sim_ns;
}

uint32_t w25q_capacity(const struct w25q *dev)
{
    return dev->capacity;
}

const struct w25q_counters *w25q_counters(const struct w25q *dev)
{
    return &dev->counters;
}

const uint32_t *w25q_sector_erase_counts(const struct w25q *dev)
{
    return dev->erase_counts;
}

void w25q_reset_counters(struct w25q *dev)
{
    uint64_t now = dev->counters.sim_ns;
    memset(&dev->counters, 0, sizeof dev->counters);
    memset(dev->erase_counts, 0, (dev->capacity / W25Q_SECTOR_SIZE) * sizeof *dev->erase_counts);
    if (dev->busy_until > now)
        dev->busy_until -= now;
    else
        dev->busy_until = 0;
}

const uint8_t *w25q_array(const struct w25q *dev)
{
    return dev->array;
}
