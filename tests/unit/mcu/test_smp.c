/* SPDX-License-Identifier: MIT */
/* test_smp.c — SMP serial framing, CRC16, base64 and the CBOR payloads: conformance and
 * malformed input (bad CRC, bad base64, over-long lines, truncation) refused without harm.
 * Rerun one case: CMOCKA_TEST_ABORT=1 build/tests/test_smp (cmocka 1.1 has no per-test filter). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "smp.h"

static void crc16_is_xmodem(void **state)
{
    assert_int_equal(smp_crc16((const uint8_t *)"123456789", 9), 0x31c3);
    assert_int_equal(smp_crc16(NULL, 0), 0);
}

static void base64_round_trips_and_refuses_bad_text(void **state)
{
    const struct { const char *raw, *b64; } cases[] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
                                                        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[16] = {0};
        uint8_t back[16];
        size_t n = smp_base64_encode((const uint8_t *)cases[i].raw, strlen(cases[i].raw), text);
        assert_string_equal(text, cases[i].b64);
        assert_int_equal(smp_base64_decode(text, n, back, sizeof back), (int)strlen(cases[i].raw));
        assert_memory_equal(back, cases[i].raw, strlen(cases[i].raw));
    }
    uint8_t out[8];
    assert_int_equal(smp_base64_decode("Zm9", 3, out, sizeof out), -EINVAL);     /* not a multiple of 4 */
    assert_int_equal(smp_base64_decode("Zm*v", 4, out, sizeof out), -EINVAL);    /* bad character */
    assert_int_equal(smp_base64_decode("Z===", 4, out, sizeof out), -EINVAL);    /* too much padding */
    assert_int_equal(smp_base64_decode("Zg==Zm9v", 8, out, sizeof out), -EINVAL); /* data after padding */
    assert_int_equal(smp_base64_decode("Zm9vYmFy", 8, out, 2), -EMSGSIZE);
}

static size_t make_packet(uint8_t *pkt, size_t body, uint8_t seq)
{
    struct smp_hdr h = {.op = SMP_OP_WRITE, .len = (uint16_t)body, .group = SMP_GROUP_IMAGE, .seq = seq, .id = 1};
    smp_hdr_encode(&h, pkt);
    for (size_t i = 0; i < body; i++)
        pkt[SMP_HDR_SIZE + i] = (uint8_t)(i * 7 + seq);
    return SMP_HDR_SIZE + body;
}

/* Feeds text in pieces of `step` bytes; returns the first non-zero result. */
static int feed(struct smp_rx *rx, const char *text, size_t n, size_t step, const uint8_t **pkt, size_t *at)
{
    for (size_t off = 0; off < n;) {
        size_t piece = n - off < step ? n - off : step, used = 0;
        int rc = smp_rx_feed(rx, (const uint8_t *)text + off, piece, &used, pkt);
        off += used;
        if (rc) {
            *at = off;
            return rc;
        }
    }
    *at = n;
    return 0;
}

static void frames_respect_the_line_limit_and_markers(void **state)
{
    static uint8_t pkt[SMP_MAX_PACKET];
    static char text[SMP_FRAMED_MAX(SMP_MAX_PACKET)];
    size_t n = make_packet(pkt, 1000, 1);
    int len = smp_frame_encode(pkt, n, text, sizeof text);
    assert_true(len > 0);
    size_t lines = 0, start = 0;
    for (int i = 0; i < len; i++) {
        if (text[i] != '\n')
            continue;
        size_t l = (size_t)i + 1 - start;
        assert_true(l <= SMP_FRAME_MAX);
        assert_int_equal((uint8_t)text[start], lines ? 0x04 : 0x06);
        assert_int_equal((uint8_t)text[start + 1], lines ? 0x14 : 0x09);
        lines++, start = (size_t)i + 1;
    }
    assert_int_equal(lines, (n + 4 + 92) / 93);
    /* the first frame's decoded bytes start with the length (packet + CRC), big-endian */
    uint8_t raw[93];
    int got = smp_base64_decode(text + 2, 124, raw, sizeof raw);
    assert_int_equal(got, 93);
    assert_int_equal(raw[0] << 8 | raw[1], n + 2);
    assert_int_equal(smp_frame_encode(pkt, SMP_MAX_PACKET + 1, text, sizeof text), -EMSGSIZE);
}

static void packets_reassemble_from_any_split(void **state)
{
    static uint8_t pkt[SMP_MAX_PACKET];
    static char text[SMP_FRAMED_MAX(SMP_MAX_PACKET)];
    const size_t sizes[] = {0, 1, 85, 86, 87, 500, SMP_MAX_PACKET - SMP_HDR_SIZE};
    const size_t steps[] = {1, 3, 64, 127, 100000};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (size_t k = 0; k < sizeof steps / sizeof *steps; k++) {
            size_t n = make_packet(pkt, sizes[s], (uint8_t)s);
            int len = smp_frame_encode(pkt, n, text, sizeof text);
            struct smp_rx rx;
            smp_rx_init(&rx);
            const uint8_t *out = NULL;
            size_t at = 0;
            int rc = feed(&rx, text, (size_t)len, steps[k], &out, &at);
            assert_int_equal(rc, (int)n);
            assert_int_equal(at, (size_t)len);
            assert_memory_equal(out, pkt, n);
        }
}

static void console_text_between_packets_is_ignored(void **state)
{
    uint8_t pkt[64];
    char text[512];
    size_t n = make_packet(pkt, 20, 9);
    int off = snprintf(text, sizeof text, "boot: hello\r\n");
    off += smp_frame_encode(pkt, n, text + off, sizeof text - (size_t)off);
    struct smp_rx rx;
    smp_rx_init(&rx);
    const uint8_t *out;
    size_t at;
    assert_int_equal(feed(&rx, text, (size_t)off, 5, &out, &at), (int)n);
}

static int first_error(const char *text, size_t n)
{
    struct smp_rx rx;
    smp_rx_init(&rx);
    const uint8_t *out;
    size_t at;
    return feed(&rx, text, n, 7, &out, &at);
}

static void malformed_frames_are_dropped(void **state)
{
    uint8_t pkt[300];
    char good[2048], bad[2048];
    size_t n = make_packet(pkt, 200, 3);
    int len = smp_frame_encode(pkt, n, good, sizeof good);
    /* bad CRC: flip a payload bit (re-encode the raw chunk after corrupting it) */
    uint8_t corrupt[300];
    memcpy(corrupt, pkt, n);
    memcpy(bad, good, (size_t)len);
    {
        uint8_t raw[96];
        int got = smp_base64_decode(bad + 2, 124, raw, sizeof raw);
        assert_int_equal(got, 93);
        raw[50] ^= 1;
        smp_base64_encode(raw, 93, bad + 2);
        assert_int_equal(first_error(bad, (size_t)len), -EBADMSG);
    }
    /* bad base64 character */
    memcpy(bad, good, (size_t)len);
    bad[10] = '*';
    assert_int_equal(first_error(bad, (size_t)len), -EINVAL);
    /* a line over 127 bytes */
    memset(bad, 'A', sizeof bad);
    bad[0] = 0x06, bad[1] = 0x09, bad[130] = '\n';
    assert_int_equal(first_error(bad, 131), -EMSGSIZE);
    /* exactly 127 with the newline is fine (incomplete packet: 0) */
    assert_int_equal(good[126], '\n');
    assert_int_equal(first_error(good, 127), 0);
    /* continuation without a start */
    assert_int_equal(first_error(good + 125, (size_t)len - 125), -EINVAL);
    /* truncated: the stream ends mid-packet; nothing comes out */
    assert_int_equal(first_error(good, (size_t)len - 40), 0);
    /* a length field claiming more than SMP_MAX_PACKET */
    uint8_t raw[12] = {0xff, 0xff};
    int o = 2;
    bad[0] = 0x06, bad[1] = 0x09;
    o += (int)smp_base64_encode(raw, sizeof raw, bad + 2);
    bad[o++] = '\n';
    assert_int_equal(first_error(bad, (size_t)o), -EMSGSIZE);
    /* a length too small for a header */
    raw[0] = 0, raw[1] = 5;
    smp_base64_encode(raw, sizeof raw, bad + 2);
    assert_int_equal(first_error(bad, (size_t)o), -EINVAL);
    /* more data than the length says */
    raw[0] = 0, raw[1] = 2 + 8 - 2; /* 8 bytes: packet too short anyway */
    /* after a dropped frame the receiver recovers on the next packet */
    struct smp_rx rx;
    smp_rx_init(&rx);
    const uint8_t *out;
    size_t at;
    memcpy(bad, good, (size_t)len);
    bad[10] = '*';
    memcpy(bad + len, good, (size_t)len);
    assert_int_equal(feed(&rx, bad, 2 * (size_t)len, 11, &out, &at), -EINVAL);
    /* the rest of the broken packet's lines are dropped too, then the good packet comes out */
    size_t pos = at, errors = 0;
    int rc;
    while ((rc = feed(&rx, bad + pos, 2 * (size_t)len - pos, 11, &out, &at)) < 0)
        pos += at, errors++;
    assert_int_equal(rc, (int)n);
    assert_memory_equal(out, pkt, n);
    assert_true(errors >= 1);
}

static void header_length_must_match(void **state)
{
    uint8_t pkt[20];
    struct smp_hdr h;
    make_packet(pkt, 12, 1);
    assert_int_equal(smp_hdr_decode(pkt, 20, &h), 0);
    assert_int_equal(h.op, SMP_OP_WRITE);
    assert_int_equal(h.group, SMP_GROUP_IMAGE);
    assert_int_equal(h.len, 12);
    assert_int_equal(smp_hdr_decode(pkt, 19, &h), -EINVAL);
    assert_int_equal(smp_hdr_decode(pkt, 7, &h), -EINVAL);
}

/* ---- CBOR ------------------------------------------------------------------------------------ */

static void upload_request_round_trips(void **state)
{
    static struct smp_upload_req r, back;
    static uint8_t buf[SMP_MAX_PACKET];
    memset(&r, 0, sizeof r);
    r.off = 0, r.has_len = true, r.len = 262144, r.has_sha = true;
    memset(r.sha, 0xab, sizeof r.sha);
    r.data_len = SMP_UPLOAD_CHUNK_MAX;
    memset(r.data, 0x5a, r.data_len);
    int n = smp_cbor_encode_upload_req(&r, buf, sizeof buf - SMP_HDR_SIZE);
    assert_true(n > 0);
    assert_int_equal(smp_cbor_decode_upload_req(buf, (size_t)n, &back), 0);
    assert_int_equal(back.len, 262144);
    assert_true(back.has_len && back.has_sha);
    assert_memory_equal(back.sha, r.sha, 32);
    assert_int_equal(back.data_len, r.data_len);
    assert_memory_equal(back.data, r.data, r.data_len);
    /* a later chunk carries neither len nor sha */
    r.off = 1792, r.has_len = r.has_sha = false, r.data_len = 10;
    n = smp_cbor_encode_upload_req(&r, buf, sizeof buf);
    assert_int_equal(smp_cbor_decode_upload_req(buf, (size_t)n, &back), 0);
    assert_false(back.has_len || back.has_sha);
    assert_int_equal(back.off, 1792);
}

static void cbor_refuses_wrong_types(void **state)
{
    struct smp_state_write_req w;
    static struct smp_upload_req u;
    int rc;
    bool has_off;
    uint32_t off;
    /* {"hash": h'01', "confirm": true}: hash of the wrong size */
    const uint8_t short_hash[] = {0xa2, 0x64, 'h', 'a', 's', 'h', 0x41, 0x01, 0x67, 'c', 'o', 'n', 'f', 'i', 'r', 'm', 0xf5};
    assert_int_equal(smp_cbor_decode_state_write(short_hash, sizeof short_hash, &w), -EINVAL);
    /* {"off": "x", "data": h''} */
    const uint8_t bad_off[] = {0xa2, 0x63, 'o', 'f', 'f', 0x61, 'x', 0x64, 'd', 'a', 't', 'a', 0x40};
    assert_int_equal(smp_cbor_decode_upload_req(bad_off, sizeof bad_off, &u), -EINVAL);
    /* not a map; truncated; trailing bytes */
    const uint8_t arr[] = {0x80};
    assert_int_equal(smp_cbor_decode_rc(arr, 1, &rc, &has_off, &off), -EINVAL);
    const uint8_t trunc[] = {0xa1, 0x62, 'r', 'c'};
    assert_int_equal(smp_cbor_decode_rc(trunc, sizeof trunc, &rc, &has_off, &off), -EINVAL);
    const uint8_t extra[] = {0xa0, 0x00};
    assert_int_equal(smp_cbor_decode_rc(extra, sizeof extra, &rc, &has_off, &off), -EINVAL);
    /* a map header claiming a billion pairs, and an indefinite map: refused before allocating */
    const uint8_t huge[] = {0xba, 0x47, 0x0c, 0x69, 0x00, 0x00};
    assert_int_equal(smp_cbor_decode_rc(huge, sizeof huge, &rc, &has_off, &off), -EINVAL);
    const uint8_t indef[] = {0xbf, 0x62, 'r', 'c', 0x00, 0xff};
    assert_int_equal(smp_cbor_decode_rc(indef, sizeof indef, &rc, &has_off, &off), -EINVAL);
    /* rc absent means 0; unknown keys are ignored */
    const uint8_t other[] = {0xa1, 0x61, 'z', 0x01};
    assert_int_equal(smp_cbor_decode_rc(other, sizeof other, &rc, &has_off, &off), 0);
    assert_int_equal(rc, 0);
    assert_false(has_off);
}

static void image_state_round_trips(void **state)
{
    struct smp_image_state s = {.count = 2, .has_upload = true, .upload_slot = 1, .upload_len = 1000, .upload_off = 512};
    s.slots[0] = (struct smp_slot){.slot = 0, .version = "1.0.0.0", .has_hash = true, .bootable = true, .confirmed = true, .active = true};
    s.slots[1] = (struct smp_slot){.slot = 1, .version = "2.0.0.7", .has_hash = true, .pending = true};
    memset(s.slots[1].hash, 0x11, 32);
    uint8_t buf[1024];
    int n = smp_cbor_encode_image_state(&s, 0, buf, sizeof buf);
    assert_true(n > 0);
    struct smp_image_state b;
    int rc = -1;
    assert_int_equal(smp_cbor_decode_image_state(buf, (size_t)n, &b, &rc), 0);
    assert_int_equal(rc, 0);
    assert_int_equal(b.count, 2);
    assert_string_equal(b.slots[1].version, "2.0.0.7");
    assert_true(b.slots[0].active && b.slots[0].confirmed && b.slots[1].pending && !b.slots[1].bootable);
    assert_memory_equal(b.slots[1].hash, s.slots[1].hash, 32);
    assert_true(b.has_upload);
    assert_int_equal(b.upload_off, 512);
    assert_false(b.upload_has_sha);
}

static void text_and_rc_round_trip(void **state)
{
    uint8_t buf[64];
    char text[16];
    int n = smp_cbor_encode_text("d", "hello", buf, sizeof buf);
    assert_int_equal(smp_cbor_decode_text(buf, (size_t)n, "d", text, sizeof text), 0);
    assert_string_equal(text, "hello");
    assert_int_equal(smp_cbor_decode_text(buf, (size_t)n, "r", text, sizeof text), -EINVAL);
    int rc;
    bool has_off;
    uint32_t off;
    n = smp_cbor_encode_rc(SMP_RC_ENOMEM, true, 77, buf, sizeof buf);
    assert_int_equal(smp_cbor_decode_rc(buf, (size_t)n, &rc, &has_off, &off), 0);
    assert_int_equal(rc, SMP_RC_ENOMEM);
    assert_true(has_off);
    assert_int_equal(off, 77);
    assert_int_equal(smp_cbor_encode_rc(0, false, 0, buf, 2), -EMSGSIZE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc16_is_xmodem),
        cmocka_unit_test(base64_round_trips_and_refuses_bad_text),
        cmocka_unit_test(frames_respect_the_line_limit_and_markers),
        cmocka_unit_test(packets_reassemble_from_any_split),
        cmocka_unit_test(console_text_between_packets_is_ignored),
        cmocka_unit_test(malformed_frames_are_dropped),
        cmocka_unit_test(header_length_must_match),
        cmocka_unit_test(upload_request_round_trips),
        cmocka_unit_test(cbor_refuses_wrong_types),
        cmocka_unit_test(image_state_round_trips),
        cmocka_unit_test(text_and_rc_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
