/* SPDX-License-Identifier: MIT */
/* test_mbox.c — the inter-core mailbox model (src/rtcore/rtcore_mbox.h) and the msg lines of
 * the control protocol: setup FIFO, both rings with wrap-around, the 1040-byte limit, full
 * rings, and a hostile core writing bogus positions and sizes (never a touch outside the
 * shared buffers: the buffer sits between guard bytes checked after every case). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rtcore_ctl.h"
#include "rtcore_mbox.h"
#include "rtcore_soc.h"

#define GUARD 256
static uint8_t arena[GUARD + RTCORE_MBOX_SHARED_SIZE + GUARD];
static uint8_t *const shared = arena + GUARD;
static const uint8_t cid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
/* Header words: outbound (the core's) at 0, inbound (the device's) at BUF_SIZE. */
static uint8_t *out_hdr(void) { return shared; }
static uint8_t *in_hdr(void) { return shared + RTCORE_MBOX_BUF_SIZE; }

static int setup(void **state)
{
    memset(arena, 0xA5, sizeof arena);
    return 0;
}

static int guards_intact(void **state)
{
    for (size_t i = 0; i < GUARD; i++)
        if (arena[i] != 0xA5 || arena[GUARD + RTCORE_MBOX_SHARED_SIZE + i] != 0xA5)
            return -1;
    return 0;
}

/* The core side, as an RTApp would do it: reads one block from the inbound ring. */
static int core_dequeue(uint8_t from[16], uint8_t *payload, uint32_t *len)
{
    const uint32_t size_data = RTCORE_MBOX_DATA;
    uint32_t w = rd32(in_hdr()), r = rd32(out_hdr() + 4);
    if (w == r)
        return -EAGAIN;
    const uint8_t *data = in_hdr() + RTCORE_MBOX_HEADER;
    uint32_t size = rd32(data + r);
    uint8_t tmp[RTCORE_MBOX_BLOCK_EXTRA + RTCORE_MBOX_MAX_PAYLOAD];
    for (uint32_t i = 0; i < size; i++)
        tmp[i] = data[(r + 4 + i) % size_data];
    memcpy(from, tmp, 16);
    *len = size - 20;
    memcpy(payload, tmp + 20, *len);
    wr32(out_hdr() + 4, (r + ((4 + size + 15) & ~15u)) % size_data);
    return 0;
}

/* The core side: writes one block into the outbound ring. */
static int core_enqueue(const uint8_t to[16], const uint8_t *payload, uint32_t len)
{
    const uint32_t size_data = RTCORE_MBOX_DATA;
    uint32_t r = rd32(in_hdr() + 4), w = rd32(out_hdr());
    uint32_t avail = r <= w ? r + size_data - w : r - w, size = 20 + len, block = (4 + size + 15) & ~15u;
    if (avail < block + 16)
        return -EAGAIN;
    uint8_t *data = out_hdr() + RTCORE_MBOX_HEADER;
    uint8_t tmp[4 + RTCORE_MBOX_BLOCK_EXTRA + RTCORE_MBOX_MAX_PAYLOAD] = {0};
    wr32(tmp, size);
    memcpy(tmp + 4, to, 16);
    memcpy(tmp + 24, payload, len);
    for (uint32_t i = 0; i < 4 + size; i++)
        data[(w + i) % size_data] = tmp[i];
    wr32(out_hdr(), (w + block) % size_data);
    return 0;
}

static void test_setup_fifo_gives_both_descriptors_then_end(void **state)
{
    struct rtcore_mbox m;
    rtcore_mbox_reset(&m, shared);
    assert_int_equal(rtcore_mbox_read(&m, 0x58), 3);
    uint32_t expect_cmd[3] = {0xBA5E0001u, 0xBA5E0002u, 0xBA5E0003u};
    uint32_t expect_data[3] = {RTCORE_MBOX_SHARED_BASE | 12, (RTCORE_MBOX_SHARED_BASE + 4096) | 12, 0};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rtcore_mbox_read(&m, 0x54), expect_data[i]);
        assert_int_equal(rtcore_mbox_read(&m, 0x50), expect_cmd[i]);
    }
    assert_int_equal(rtcore_mbox_read(&m, 0x58), 0);
    assert_int_equal(rtcore_mbox_read(&m, 0x50), 0);
}

static void test_interrupt_follows_status_and_enable(void **state)
{
    struct rtcore_mbox m;
    rtcore_mbox_reset(&m, shared);
    uint8_t p[1] = {'x'};
    assert_int_equal(rtcore_mbox_push(&m, cid, p, 1), 0);
    assert_false(rtcore_mbox_irq(&m)); /* not enabled yet */
    rtcore_mbox_write(&m, 0x18, 2);
    assert_true(rtcore_mbox_irq(&m));
    assert_int_equal(rtcore_mbox_read(&m, 0x1C) & 2, 2);
    rtcore_mbox_write(&m, 0x1C, 2); /* W1C */
    assert_false(rtcore_mbox_irq(&m));
    assert_int_equal(rtcore_mbox_write(&m, 0x14, 1), RTCORE_MBOX_SENT);
    assert_int_equal(rtcore_mbox_write(&m, 0x14, 2), RTCORE_MBOX_CONSUMED);
    assert_int_equal(rtcore_mbox_write(&m, 0x14, 7), RTCORE_MBOX_NONE);
}

static void test_soc_raises_irq11_on_a_message(void **state)
{
    struct rtcore_soc soc;
    rtcore_soc_init(&soc, NULL, 0x100000);
    rtcore_mbox_reset(&soc.mbox, shared);
    int mbox = rtcore_block_at(0x21050000);
    rtcore_soc_write(&soc, mbox, 0x18, 4, 2);
    uint8_t p[3] = "abc";
    assert_int_equal(rtcore_mbox_push(&soc.mbox, cid, p, 3), 0);
    rtcore_soc_update_irqs(&soc);
    assert_true(soc.nvic.pending[RTCORE_EXC_IRQ0 + RTCORE_MBOX_IRQ]);
    assert_int_equal(rtcore_soc_read(&soc, mbox, 0x58, 4), 3);
}

static void test_round_trips_both_ways_with_wrap_around(void **state)
{
    struct rtcore_mbox m;
    rtcore_mbox_reset(&m, shared);
    uint8_t msg[RTCORE_MBOX_MAX_PAYLOAD], got[RTCORE_MBOX_MAX_PAYLOAD], from[16];
    for (int round = 0; round < 200; round++) { /* sizes vary so every wrap offset is met */
        uint32_t len = (uint32_t)(round * 37) % (RTCORE_MBOX_MAX_PAYLOAD + 1), got_len = 0;
        for (uint32_t i = 0; i < len; i++)
            msg[i] = (uint8_t)(round + i);
        assert_int_equal(rtcore_mbox_push(&m, cid, msg, len), 0);
        assert_int_equal(core_dequeue(from, got, &got_len), 0);
        assert_int_equal(got_len, len);
        assert_memory_equal(from, cid, 16);
        assert_memory_equal(got, msg, len);
        assert_int_equal(core_enqueue(cid, msg, len), 0);
        size_t back = 0;
        assert_int_equal(rtcore_mbox_pop(&m, from, got, &back), 0);
        assert_int_equal(back, len);
        assert_memory_equal(got, msg, len);
        assert_int_equal(rtcore_mbox_pop(&m, from, got, &back), -EAGAIN);
    }
    assert_false(m.broken);
}

static void test_max_payload_passes_and_one_byte_more_is_refused(void **state)
{
    struct rtcore_mbox m;
    rtcore_mbox_reset(&m, shared);
    static uint8_t big[RTCORE_MBOX_MAX_PAYLOAD + 1];
    assert_int_equal(rtcore_mbox_push(&m, cid, big, RTCORE_MBOX_MAX_PAYLOAD), 0);
    assert_int_equal(rtcore_mbox_push(&m, cid, big, RTCORE_MBOX_MAX_PAYLOAD + 1), -EMSGSIZE);
}

static void test_full_inbound_ring_pushes_back_until_the_core_reads(void **state)
{
    struct rtcore_mbox m;
    rtcore_mbox_reset(&m, shared);
    uint8_t msg[100] = {0}, got[RTCORE_MBOX_MAX_PAYLOAD], from[16];
    int sent = 0;
    while (rtcore_mbox_push(&m, cid, msg, sizeof msg) == 0)
        sent++;
    assert_int_equal(sent, (RTCORE_MBOX_DATA - 16) / 128); /* 128-byte blocks, 16 bytes kept free */
    assert_int_equal(rtcore_mbox_push(&m, cid, msg, sizeof msg), -EAGAIN);
    uint32_t len;
    assert_int_equal(core_dequeue(from, got, &len), 0);
    assert_int_equal(rtcore_mbox_push(&m, cid, msg, sizeof msg), 0);
}

static void test_bogus_positions_and_sizes_break_the_channel_safely(void **state)
{
    static const struct {
        const char *name;
        int header_off; /* into the outbound header: 0 write pos, 4 read pos; -1: block size */
        uint32_t value;
        int push; /* 1: detected by push, 0: by pop */
    } cases[] = {
        {"read position beyond the ring", 4, 0xFFFFFFF0u, 1},
        {"read position not 16-aligned", 4, 8, 1},
        {"write position beyond the ring", 0, RTCORE_MBOX_DATA, 0},
        {"write position not 16-aligned", 0, 4, 0},
        {"block size huge", -1, 0x7FFFFFFFu, 0},
        {"block size below the header", -1, 3, 0},
        {"block longer than written", -1, 1000, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct rtcore_mbox m;
        rtcore_mbox_reset(&m, shared);
        uint8_t buf[RTCORE_MBOX_MAX_PAYLOAD], from[16];
        size_t len;
        if (cases[i].header_off >= 0) {
            wr32(out_hdr() + cases[i].header_off, cases[i].value);
        } else {
            wr32(out_hdr(), 32);                                   /* 32 bytes written... */
            wr32(out_hdr() + RTCORE_MBOX_HEADER, cases[i].value);  /* ...claiming this size */
        }
        int err = cases[i].push ? rtcore_mbox_push(&m, cid, buf, 1) : rtcore_mbox_pop(&m, from, buf, &len);
        if (err != -EPROTO)
            fail_msg("case '%s': expected -EPROTO, got %d", cases[i].name, err);
        assert_true(m.broken);
        assert_non_null(strstr(m.why, "corrupted"));
        assert_int_equal(rtcore_mbox_push(&m, cid, buf, 1), -EPROTO); /* stays closed */
        assert_int_equal(rtcore_mbox_pop(&m, from, buf, &len), -EPROTO);
        assert_int_equal(guards_intact(state), 0);
    }
}

static void test_msg_lines_parse_and_component_ids_round_trip(void **state)
{
    static struct rtcore_ctl_cmd cmd;
    const char *line = "msg-in 7D1C2B3A-4e5f-4a6b-8c7d-9e0f1a2b3c4d 48690a";
    assert_int_equal(rtcore_ctl_parse(line, strlen(line), &cmd), 0);
    assert_int_equal(cmd.verb, RTCORE_CTL_MSG_IN);
    assert_int_equal(cmd.len, 3);
    assert_memory_equal(cmd.data, "Hi\n", 3);
    static const uint8_t le[16] = {0x3a, 0x2b, 0x1c, 0x7d, 0x5f, 0x4e, 0x6b, 0x4a, 0x8c, 0x7d, 0x9e, 0x0f, 0x1a, 0x2b, 0x3c, 0x4d};
    assert_memory_equal(cmd.cid, le, 16);
    char text[37];
    rtcore_ctl_cid_format(cmd.cid, text);
    assert_string_equal(text, "7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
    line = "msg-in 7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    assert_int_equal(rtcore_ctl_parse(line, strlen(line), &cmd), 0);
    assert_int_equal(cmd.len, 0);
    assert_int_equal(rtcore_ctl_parse("msg-out-ack", 11, &cmd), 0);
    assert_int_equal(cmd.verb, RTCORE_CTL_MSG_OUT_ACK);
    static const char *const bad[] = {"msg-in 7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d 4", "msg-in 7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d zz",
                                      "msg-in 7d1c2b3a_4e5f-4a6b-8c7d-9e0f1a2b3c4d 00", "msg-in short 00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (rtcore_ctl_parse(bad[i], strlen(bad[i]), &cmd) == 0)
            fail_msg("'%s' was accepted", bad[i]);
    /* 1040 bytes is the most a line may carry; 1041 is refused. */
    static char longline[8 + 37 + 2 * 1041 + 1];
    int n = snprintf(longline, sizeof longline, "msg-in 7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d ");
    memset(longline + n, '0', 2 * 1040);
    assert_int_equal(rtcore_ctl_parse(longline, (size_t)n + 2 * 1040, &cmd), 0);
    assert_int_equal(cmd.len, 1040);
    memset(longline + n, '0', 2 * 1041);
    assert_int_equal(rtcore_ctl_parse(longline, (size_t)n + 2 * 1041, &cmd), -EINVAL);
}

/* The direct channel's lines: "peer <cid>" (the descriptor travels beside it), and the helper's
 * "peer-closed <n>" and "peer-dropped <bytes>". */
static void test_peer_lines_parse(void **state)
{
    (void)state;
    static struct rtcore_ctl_cmd cmd;
    const char *line = "peer 7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    assert_int_equal(rtcore_ctl_parse(line, strlen(line), &cmd), 0);
    assert_int_equal(cmd.verb, RTCORE_CTL_PEER);
    static const uint8_t le[16] = {0x3a, 0x2b, 0x1c, 0x7d, 0x5f, 0x4e, 0x6b, 0x4a, 0x8c, 0x7d, 0x9e, 0x0f, 0x1a, 0x2b, 0x3c, 0x4d};
    assert_memory_equal(cmd.cid, le, 16);
    static const char *const bad[] = {"peer", "peer ", "peer 7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d 00", "peer short"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (rtcore_ctl_parse(bad[i], strlen(bad[i]), &cmd) == 0)
            fail_msg("'%s' was accepted", bad[i]);
    static struct rtcore_ctl_event ev;
    assert_int_equal(rtcore_ctl_event_parse("peer-closed 3", 13, &ev), 0);
    assert_int_equal(ev.kind, RTCORE_CTL_EV_PEER_CLOSED);
    assert_int_equal(ev.peer, 3);
    assert_int_equal(rtcore_ctl_event_parse("peer-closed", 11, &ev), -EINVAL);
    assert_int_equal(rtcore_ctl_event_parse("peer-closed x", 13, &ev), -EINVAL);
    assert_int_equal(rtcore_ctl_event_parse("peer-dropped 2000", 17, &ev), 0);
    assert_int_equal(ev.kind, RTCORE_CTL_EV_PEER_DROPPED);
    assert_int_equal(ev.text_len, 4);
    assert_memory_equal(ev.text, "2000", 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_setup_fifo_gives_both_descriptors_then_end, setup, guards_intact),
        cmocka_unit_test_setup_teardown(test_interrupt_follows_status_and_enable, setup, guards_intact),
        cmocka_unit_test_setup_teardown(test_soc_raises_irq11_on_a_message, setup, guards_intact),
        cmocka_unit_test_setup_teardown(test_round_trips_both_ways_with_wrap_around, setup, guards_intact),
        cmocka_unit_test_setup_teardown(test_max_payload_passes_and_one_byte_more_is_refused, setup, guards_intact),
        cmocka_unit_test_setup_teardown(test_full_inbound_ring_pushes_back_until_the_core_reads, setup, guards_intact),
        cmocka_unit_test_setup_teardown(test_bogus_positions_and_sizes_break_the_channel_safely, setup, guards_intact),
        cmocka_unit_test(test_msg_lines_parse_and_component_ids_round_trip),
        cmocka_unit_test(test_peer_lines_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
