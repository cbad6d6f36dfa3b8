/* SPDX-License-Identifier: MIT */
/* rtcore_mbox.c — the inter-core mailbox and its shared rings (see rtcore_mbox.h). */
#include "rtcore_mbox.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"

enum { REG_TX_PORT = 0x14, REG_RX_EN = 0x18, REG_RX_STS = 0x1C, REG_CMD = 0x50, REG_DATA = 0x54, REG_COUNT = 0x58 };
enum { STS_CONSUMED = 1u, STS_SENT = 2u };

/* The outbound ring (core -> device) is buffer 0, the inbound ring buffer 1. */
static uint8_t *header(struct rtcore_mbox *m, int buf) { return m->shared + (size_t)buf * RTCORE_MBOX_BUF_SIZE; }
static uint8_t *data(struct rtcore_mbox *m, int buf) { return header(m, buf) + RTCORE_MBOX_HEADER; }

static uint32_t pad16(uint32_t n) { return (n + 15u) & ~15u; }

static int broken(struct rtcore_mbox *m, const char *what, uint32_t value)
{
    if (!m->broken)
        snprintf(m->why, sizeof m->why, "the real-time core corrupted the shared ring: %s 0x%08x", what, (unsigned)value);
    m->broken = true;
    return -EPROTO;
}

/* A position written by the core: inside the data area and 16-aligned. */
static bool valid_pos(uint32_t pos) { return pos < RTCORE_MBOX_DATA && pos % 16 == 0; }

/* Publishes the device's positions (it writes only the inbound header). */
static void publish(struct rtcore_mbox *m)
{
    bytes_put_le32(header(m, 1), m->in_write);
    bytes_put_le32(header(m, 1) + 4, m->out_read);
}

void rtcore_mbox_reset(struct rtcore_mbox *m, uint8_t *shared)
{
    memset(m, 0, sizeof *m);
    m->shared = shared;
    const uint32_t base = RTCORE_MBOX_SHARED_BASE;
    m->fifo_cmd[0] = RTCORE_MBOX_SETUP_OUTBOUND, m->fifo_data[0] = base | RTCORE_MBOX_BUF_LOG2;
    m->fifo_cmd[1] = RTCORE_MBOX_SETUP_INBOUND, m->fifo_data[1] = (base + RTCORE_MBOX_BUF_SIZE) | RTCORE_MBOX_BUF_LOG2;
    m->fifo_cmd[2] = RTCORE_MBOX_SETUP_END, m->fifo_data[2] = 0;
    m->fifo_count = shared ? 3 : 0;
    if (shared) {
        memset(header(m, 0), 0, RTCORE_MBOX_HEADER);
        memset(header(m, 1), 0, RTCORE_MBOX_HEADER);
    }
}

bool rtcore_mbox_owns(uint32_t off)
{
    return off == REG_TX_PORT || off == REG_RX_EN || off == REG_RX_STS || off == REG_CMD || off == REG_DATA ||
           off == REG_COUNT;
}

uint32_t rtcore_mbox_read(struct rtcore_mbox *m, uint32_t off)
{
    switch (off) {
    case REG_RX_EN: return m->rx_int_en;
    case REG_RX_STS: return m->rx_int_sts;
    case REG_COUNT: return m->fifo_count;
    case REG_DATA: return m->fifo_count ? m->fifo_data[m->fifo_head] : 0;
    case REG_CMD: {
        if (!m->fifo_count)
            return 0;
        uint32_t cmd = m->fifo_cmd[m->fifo_head];
        m->fifo_head = (m->fifo_head + 1) % 3;
        m->fifo_count--;
        return cmd;
    }
    }
    return 0;
}

enum rtcore_mbox_event rtcore_mbox_write(struct rtcore_mbox *m, uint32_t off, uint32_t value)
{
    switch (off) {
    case REG_RX_EN: m->rx_int_en = value & 3u; break;
    case REG_RX_STS: m->rx_int_sts &= ~value; break;
    case REG_TX_PORT:
        if (value == RTCORE_MBOX_SENT || value == RTCORE_MBOX_CONSUMED)
            return (enum rtcore_mbox_event)value;
        break;
    }
    return RTCORE_MBOX_NONE;
}

bool rtcore_mbox_irq(const struct rtcore_mbox *m) { return (m->rx_int_sts & m->rx_int_en) != 0; }

/* Copies len bytes to/from ring `buf` starting at data offset pos, wrapping. */
static void ring_put(struct rtcore_mbox *m, uint32_t pos, const uint8_t *src, uint32_t len)
{
    uint32_t first = len < RTCORE_MBOX_DATA - pos ? len : RTCORE_MBOX_DATA - pos;
    memcpy(data(m, 1) + pos, src, first);
    memcpy(data(m, 1), src + first, len - first);
}

static void ring_get(struct rtcore_mbox *m, uint32_t pos, uint8_t *dst, uint32_t len)
{
    uint32_t first = len < RTCORE_MBOX_DATA - pos ? len : RTCORE_MBOX_DATA - pos;
    memcpy(dst, data(m, 0) + pos, first);
    memcpy(dst + first, data(m, 0), len - first);
}

int rtcore_mbox_push(struct rtcore_mbox *m, const uint8_t sender[16], const void *payload, size_t len)
{
    if (len > RTCORE_MBOX_MAX_PAYLOAD)
        return -EMSGSIZE;
    if (!m->shared)
        return -ENODEV;
    if (m->broken)
        return -EPROTO;
    uint32_t remote_read = bytes_le32(header(m, 0) + 4); /* the core's read position in the inbound ring */
    if (!valid_pos(remote_read))
        return broken(m, "inbound read position", remote_read);
    uint32_t avail = remote_read <= m->in_write ? remote_read + RTCORE_MBOX_DATA - m->in_write : remote_read - m->in_write;
    uint32_t size = RTCORE_MBOX_BLOCK_EXTRA + (uint32_t)len, block = pad16(4 + size);
    if (avail < block + 16)
        return -EAGAIN;
    uint8_t head[4 + RTCORE_MBOX_BLOCK_EXTRA] = {0};
    bytes_put_le32(head, size);
    memcpy(head + 4, sender, 16);
    ring_put(m, m->in_write, head, sizeof head);
    ring_put(m, (m->in_write + (uint32_t)sizeof head) % RTCORE_MBOX_DATA, payload, (uint32_t)len);
    m->in_write = (m->in_write + block) % RTCORE_MBOX_DATA;
    publish(m);
    m->rx_int_sts |= STS_SENT;
    return 0;
}

int rtcore_mbox_pop(struct rtcore_mbox *m, uint8_t dest[16], uint8_t *payload, size_t *len)
{
    if (!m->shared)
        return -ENODEV;
    if (m->broken)
        return -EPROTO;
    uint32_t remote_write = bytes_le32(header(m, 0)); /* the core's write position in the outbound ring */
    if (!valid_pos(remote_write))
        return broken(m, "outbound write position", remote_write);
    if (remote_write == m->out_read)
        return -EAGAIN;
    uint32_t used = remote_write > m->out_read ? remote_write - m->out_read : remote_write + RTCORE_MBOX_DATA - m->out_read;
    uint32_t size = bytes_le32(data(m, 0) + m->out_read);
    if (size < RTCORE_MBOX_BLOCK_EXTRA || size > RTCORE_MBOX_BLOCK_EXTRA + RTCORE_MBOX_MAX_PAYLOAD)
        return broken(m, "block size", size);
    if (pad16(4 + size) > used)
        return broken(m, "block longer than the data written, size", size);
    uint8_t head[RTCORE_MBOX_BLOCK_EXTRA];
    uint32_t pos = (m->out_read + 4) % RTCORE_MBOX_DATA;
    ring_get(m, pos, head, sizeof head);
    memcpy(dest, head, 16);
    *len = size - RTCORE_MBOX_BLOCK_EXTRA;
    ring_get(m, (pos + RTCORE_MBOX_BLOCK_EXTRA) % RTCORE_MBOX_DATA, payload, (uint32_t)*len);
    m->out_read = (m->out_read + pad16(4 + size)) % RTCORE_MBOX_DATA;
    publish(m);
    m->rx_int_sts |= STS_CONSUMED;
    return 0;
}
