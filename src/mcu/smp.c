/* SPDX-License-Identifier: MIT */
/* smp.c — SMP header, CRC16, base64 and the mcumgr serial framing (smp.h). */
#include "smp.h"

#include <errno.h>
#include <string.h>

#include "bytes.h"

void smp_hdr_encode(const struct smp_hdr *h, uint8_t o[SMP_HDR_SIZE])
{
    o[0] = h->op & 7;
    o[1] = h->flags;
    bytes_put_be16(o + 2, h->len);
    bytes_put_be16(o + 4, h->group);
    o[6] = h->seq, o[7] = h->id;
}

int smp_hdr_decode(const uint8_t *p, size_t n, struct smp_hdr *h)
{
    if (n < SMP_HDR_SIZE)
        return -EINVAL;
    h->op = p[0] & 7;
    h->flags = p[1];
    h->len = bytes_be16(p + 2);
    h->group = bytes_be16(p + 4);
    h->seq = p[6], h->id = p[7];
    return (size_t)h->len + SMP_HDR_SIZE == n ? 0 : -EINVAL;
}

uint16_t smp_crc16(const uint8_t *d, size_t n)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)(d[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (uint16_t)(crc & 0x8000 ? crc << 1 ^ 0x1021 : crc << 1);
    }
    return crc;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t smp_base64_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    return o;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int smp_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
    if (n % 4)
        return -EINVAL;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            if (in[i + k] == '=') {
                if (i + 4 != n || k < 2)
                    return -EINVAL;
                pad++;
                v[k] = 0;
            } else {
                if (pad)
                    return -EINVAL; /* data after padding */
                v[k] = b64_value(in[i + k]);
                if (v[k] < 0)
                    return -EINVAL;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        size_t bytes = 3u - (size_t)pad;
        if (o + bytes > cap)
            return -EMSGSIZE;
        out[o++] = (uint8_t)(w >> 16);
        if (bytes > 1)
            out[o++] = (uint8_t)(w >> 8);
        if (bytes > 2)
            out[o++] = (uint8_t)w;
    }
    return (int)o;
}

int smp_frame_encode(const uint8_t *pkt, size_t n, char *out, size_t cap)
{
    if (n > SMP_MAX_PACKET || cap < SMP_FRAMED_MAX(n))
        return -EMSGSIZE;
    uint8_t raw[SMP_MAX_PACKET + 4];
    size_t len = n + 2;
    bytes_put_be16(raw, (uint16_t)len);
    memcpy(raw + 2, pkt, n);
    uint16_t crc = smp_crc16(pkt, n);
    bytes_put_be16(raw + n + 2, crc);
    size_t total = n + 4, o = 0;
    for (size_t off = 0; off < total; off += SMP_FRAME_RAW_MAX) {
        size_t chunk = total - off < SMP_FRAME_RAW_MAX ? total - off : SMP_FRAME_RAW_MAX;
        out[o++] = off ? 0x04 : 0x06;
        out[o++] = off ? 0x14 : 0x09;
        o += smp_base64_encode(raw + off, chunk, out + o);
        out[o++] = '\n';
    }
    return (int)o;
}

void smp_rx_init(struct smp_rx *rx) { memset(rx, 0, sizeof *rx); }

/* One complete line (without its newline): returns as smp_rx_feed does. */
static int rx_line(struct smp_rx *rx, const uint8_t **pkt)
{
    const uint8_t *l = rx->line;
    size_t n = rx->line_len;
    bool first = n >= 2 && l[0] == 0x06 && l[1] == 0x09, cont = n >= 2 && l[0] == 0x04 && l[1] == 0x14;
    if (!first && !cont)
        return 0; /* console text: not ours */
    if (rx->line_overflow) {
        rx->in_packet = false;
        return -EMSGSIZE;
    }
    if (first) {
        rx->in_packet = true;
        rx->raw_len = 0;
        rx->want = 0;
    } else if (!rx->in_packet) {
        return -EINVAL;
    }
    int got = smp_base64_decode((const char *)l + 2, n - 2, rx->raw + rx->raw_len, sizeof rx->raw - rx->raw_len);
    if (got < 0) {
        rx->in_packet = false;
        return got;
    }
    rx->raw_len += (size_t)got;
    if (first) {
        if (rx->raw_len < 2) {
            rx->in_packet = false;
            return -EINVAL;
        }
        size_t len = bytes_be16(rx->raw);
        if (len < SMP_HDR_SIZE + 2) {
            rx->in_packet = false;
            return -EINVAL;
        }
        if (len > SMP_MAX_PACKET + 2) {
            rx->in_packet = false;
            return -EMSGSIZE;
        }
        rx->want = len + 2;
    }
    if (rx->raw_len < rx->want)
        return 0;
    rx->in_packet = false;
    if (rx->raw_len > rx->want)
        return -EINVAL;
    size_t plen = rx->want - 4;
    uint16_t crc = bytes_be16(rx->raw + 2 + plen);
    if (smp_crc16(rx->raw + 2, plen) != crc)
        return -EBADMSG;
    *pkt = rx->raw + 2;
    return (int)plen;
}

int smp_rx_feed(struct smp_rx *rx, const uint8_t *data, size_t n, size_t *consumed, const uint8_t **pkt)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = data[i];
        if (c != '\n') {
            if (rx->line_len < sizeof rx->line)
                rx->line[rx->line_len++] = c;
            else
                rx->line_overflow = true;
            continue;
        }
        /* the limit counts the newline: at most 126 bytes before it */
        if (rx->line_len > SMP_FRAME_MAX - 1)
            rx->line_overflow = true;
        int rc = rx_line(rx, pkt);
        rx->line_len = 0;
        rx->line_overflow = false;
        if (rc) {
            *consumed = i + 1;
            return rc;
        }
    }
    *consumed = n;
    return 0;
}
