/* SPDX-License-Identifier: MIT */
/*
 * rtcore_mbox.h — the MT3620 inter-core mailbox as one real-time core sees it, and the two
 * shared ring buffers the device owns for the core's one high-level partner
 * (../shared/spec/RTCORE-FACTS.md, docs/intercore.md). Pure state machine: no emulator, no I/O.
 *
 * Registers (offsets in the mailbox block 0x21050000; "assumed" as in RTCORE-FACTS):
 *   0x14 SW_TX_INT_PORT  write 1 "sent" (a block is in the outbound ring), 2 "consumed"
 *                        (the core read the inbound ring): returned by rtcore_mbox_write.
 *   0x18 SW_RX_INT_EN    bit 1 "the device sent", bit 0 "the device consumed" (assumed).
 *   0x1C SW_RX_INT_STS   same bits, write 1 to clear. IRQ 11 is asserted while STS & EN.
 *   0x50 CMD_POP         the setup FIFO's head command; reading it pops the entry (assumed).
 *   0x54 DATA_POP        the head entry's data. 0x58 FIFO_POP_CNT: entries left.
 * At reset the FIFO holds (0xBA5E0001, outbound descriptor), (0xBA5E0002, inbound descriptor),
 * (0xBA5E0003, 0). Descriptor: bits 31:5 header address (32-aligned), bits 4:0 log2 buffer size.
 *
 * Buffers: RTCORE_MBOX_SHARED_BASE holds the outbound buffer (core -> device), then the inbound
 * one (device -> core), RTCORE_MBOX_BUF_SIZE bytes each: a 64-byte header (u32 writePos, u32
 * readPos) then BUF_SIZE - 64 data bytes. Each side writes only the header of the ring it sends
 * on: its write position there and its read position in the other ring. Positions are data
 * offsets, multiples of 16. A block: u32 size (16-byte component ID + u32 reserved + payload),
 * then those bytes, padded to 16; the bytes may wrap, the size word cannot. A sender needs the
 * padded block plus 16 bytes free.
 *
 * Trust: the device keeps its own positions (never re-read from shared memory) and checks every
 * value the core wrote (positions in range and 16-aligned, sizes within the limit and the data
 * present). The first bad value marks the mailbox broken: every later transfer fails with
 * -EPROTO, nothing outside the shared buffers is ever touched.
 */
#ifndef OPENSPHERE_RTCORE_MBOX_H
#define OPENSPHERE_RTCORE_MBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTCORE_MBOX_IRQ 11
#define RTCORE_MBOX_SHARED_BASE 0x22010000u /* just above SYSRAM */
#define RTCORE_MBOX_BUF_LOG2 12
#define RTCORE_MBOX_BUF_SIZE (1u << RTCORE_MBOX_BUF_LOG2)
#define RTCORE_MBOX_SHARED_SIZE (2 * RTCORE_MBOX_BUF_SIZE)
#define RTCORE_MBOX_HEADER 64u
#define RTCORE_MBOX_DATA (RTCORE_MBOX_BUF_SIZE - RTCORE_MBOX_HEADER)
#define RTCORE_MBOX_MAX_PAYLOAD 1040u
#define RTCORE_MBOX_BLOCK_EXTRA 20u /* component ID + reserved word */

#define RTCORE_MBOX_SETUP_OUTBOUND 0xBA5E0001u
#define RTCORE_MBOX_SETUP_INBOUND 0xBA5E0002u
#define RTCORE_MBOX_SETUP_END 0xBA5E0003u
enum rtcore_mbox_event { RTCORE_MBOX_NONE = 0, RTCORE_MBOX_SENT = 1, RTCORE_MBOX_CONSUMED = 2 };

struct rtcore_mbox {
    uint8_t *shared; /* RTCORE_MBOX_SHARED_SIZE bytes, owned by the caller; NULL: no buffers */
    uint32_t fifo_cmd[3], fifo_data[3];
    unsigned fifo_head, fifo_count;
    uint32_t rx_int_en, rx_int_sts;
    uint32_t in_write;  /* device's write position in the inbound ring */
    uint32_t out_read;  /* device's read position in the outbound ring */
    bool broken;
    char why[160];      /* the first protocol error */
};

/* Resets registers and positions, fills the setup FIFO, zeroes the shared headers (if any). */
void rtcore_mbox_reset(struct rtcore_mbox *m, uint8_t *shared);
/* Register access (word offsets). rtcore_mbox_write returns what the core notified. */
uint32_t rtcore_mbox_read(struct rtcore_mbox *m, uint32_t off);
enum rtcore_mbox_event rtcore_mbox_write(struct rtcore_mbox *m, uint32_t off, uint32_t value);
/* Is IRQ 11 asserted (STS & EN)? */
bool rtcore_mbox_irq(const struct rtcore_mbox *m);
/* Does the register at `off` belong to the mailbox model (otherwise: plain read-back)? */
bool rtcore_mbox_owns(uint32_t off);

/* Device -> core: writes one block into the inbound ring, sets STS bit 1.
 * Returns 0, -EMSGSIZE (len > RTCORE_MBOX_MAX_PAYLOAD), -EAGAIN (no room yet), -ENODEV (no
 * buffers), -EPROTO (the core corrupted the ring; see m->why). */
int rtcore_mbox_push(struct rtcore_mbox *m, const uint8_t sender[16], const void *payload, size_t len);
/* Core -> device: takes the next block from the outbound ring into dest[16] / payload (room for
 * RTCORE_MBOX_MAX_PAYLOAD bytes), sets STS bit 0. Returns 0, -EAGAIN (empty), -ENODEV, -EPROTO. */
int rtcore_mbox_pop(struct rtcore_mbox *m, uint8_t dest[16], uint8_t *payload, size_t *len);

#endif
