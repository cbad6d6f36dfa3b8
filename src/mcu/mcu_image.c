/* SPDX-License-Identifier: MIT */
/* mcu_image.c — MCUboot-style image header and TLV trailer: parse, verify, create (mcu_image.h). */
#include "mcu_image.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bytes.h"

__attribute__((format(printf, 3, 4))) static int refuse(char *why, size_t size, const char *fmt, ...)
{
    if (why && size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, size, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

int mcu_sha256(const void *data, size_t len, uint8_t out[MCU_IMAGE_HASH_SIZE])
{
    unsigned n = 0;
    return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == MCU_IMAGE_HASH_SIZE ? 0 : -EIO;
}

int mcu_image_parse_parts(const uint8_t *d, size_t len, const uint8_t *tail, size_t tail_len,
                          struct mcu_image_info *o, char *why, size_t ws)
{
    memset(o, 0, sizeof *o);
    if (len < MCU_IMAGE_HEADER_SIZE)
        return refuse(why, ws, "image: %zu bytes, shorter than the %u-byte header", len, MCU_IMAGE_HEADER_SIZE);
    if (tail_len > len)
        return -EINVAL;
    if (bytes_le32(d) != MCU_IMAGE_MAGIC)
        return refuse(why, ws, "header.magic: 0x%08x, expected 0x%08x", bytes_le32(d), MCU_IMAGE_MAGIC);
    o->load_addr = bytes_le32(d + 4);
    o->hdr_size = bytes_le16(d + 8);
    o->protect_tlv_size = bytes_le16(d + 10);
    o->img_size = bytes_le32(d + 12);
    o->flags = bytes_le32(d + 16);
    o->version = (struct mcu_version){d[20], d[21], bytes_le16(d + 22), bytes_le32(d + 24)};
    if (o->hdr_size < MCU_IMAGE_HEADER_SIZE)
        return refuse(why, ws, "header.hdr_size: %u, less than %u", o->hdr_size, MCU_IMAGE_HEADER_SIZE);
    if (o->protect_tlv_size != 0)
        return refuse(why, ws, "header.protect_tlv_size: %u, protected TLVs are not supported", o->protect_tlv_size);
    if (o->flags != 0)
        return refuse(why, ws, "header.flags: 0x%x, no flags are supported", o->flags);
    if (o->img_size > MCU_IMAGE_MAX_SIZE)
        return refuse(why, ws, "header.img_size: %u, more than %u", o->img_size, MCU_IMAGE_MAX_SIZE);
    uint64_t tlv = (uint64_t)o->hdr_size + o->img_size;
    if (tlv + 4 > len)
        return refuse(why, ws, "header.img_size: %u, the TLV area would start past the end (%zu bytes)", o->img_size, len);
    if (tlv < len - tail_len)
        return refuse(why, ws, "tlv: starts at %llu, before the %zu bytes read", (unsigned long long)tlv, tail_len);
    const uint8_t *t = tail + (tlv - (len - tail_len));
    if (bytes_le16(t) != MCU_IMAGE_TLV_INFO_MAGIC)
        return refuse(why, ws, "tlv.magic: 0x%04x, expected 0x%04x", bytes_le16(t), MCU_IMAGE_TLV_INFO_MAGIC);
    uint32_t total = bytes_le16(t + 2);
    if (total < 4 || tlv + total > len)
        return refuse(why, ws, "tlv.total: %u, outside the image (%zu bytes after the TLV start)", total, (size_t)(len - tlv));
    o->tlv_off = (uint32_t)tlv;
    o->tlv_size = total;
    o->total_size = (uint32_t)(tlv + total);
    int hashes = 0;
    for (uint32_t p = 4; p < total;) {
        if (total - p < 4)
            return refuse(why, ws, "tlv[%u]: truncated entry header", p);
        uint16_t type = bytes_le16(t + p), n = bytes_le16(t + p + 2);
        if (n > total - p - 4)
            return refuse(why, ws, "tlv[%u]: type 0x%02x length %u runs past the TLV area", p, type, n);
        if (type == MCU_IMAGE_TLV_SHA256) {
            if (n != MCU_IMAGE_HASH_SIZE)
                return refuse(why, ws, "tlv[%u]: SHA-256 length %u, expected 32", p, n);
            if (hashes++)
                return refuse(why, ws, "tlv[%u]: a second SHA-256 entry", p);
            memcpy(o->hash, t + p + 4, MCU_IMAGE_HASH_SIZE);
        }
        p += 4u + n;
    }
    if (!hashes)
        return refuse(why, ws, "tlv: no SHA-256 entry (type 0x10)");
    return 0;
}

int mcu_image_parse(const uint8_t *d, size_t len, struct mcu_image_info *o, char *why, size_t ws)
{
    return mcu_image_parse_parts(d, len, d, len, o, why, ws);
}

int mcu_image_verify(const uint8_t *d, size_t len, struct mcu_image_info *o, char *why, size_t ws)
{
    int err = mcu_image_parse(d, len, o, why, ws);
    if (err)
        return err;
    uint8_t h[MCU_IMAGE_HASH_SIZE];
    err = mcu_sha256(d, (size_t)o->hdr_size + o->img_size, h);
    if (err)
        return err;
    if (memcmp(h, o->hash, sizeof h)) {
        char want[65], got[65];
        mcu_hash_hex(o->hash, want), mcu_hash_hex(h, got);
        if (why && ws)
            snprintf(why, ws, "tlv.sha256: %s, but header+image hash to %s", want, got);
        return -EBADMSG;
    }
    return 0;
}

int mcu_image_create(const uint8_t *payload, size_t len, const struct mcu_version *v, uint32_t load_addr,
                     uint8_t **out, size_t *out_len)
{
    if (len > MCU_IMAGE_MAX_SIZE)
        return -EFBIG;
    size_t tlv = 4 + 4 + MCU_IMAGE_HASH_SIZE, total = MCU_IMAGE_HEADER_SIZE + len + tlv;
    uint8_t *b = calloc(1, total);
    if (!b)
        return -ENOMEM;
    bytes_put_le32(b, MCU_IMAGE_MAGIC);
    bytes_put_le32(b + 4, load_addr);
    bytes_put_le16(b + 8, MCU_IMAGE_HEADER_SIZE);
    bytes_put_le16(b + 10, 0);
    bytes_put_le32(b + 12, (uint32_t)len);
    bytes_put_le32(b + 16, 0);
    b[20] = v->major, b[21] = v->minor;
    bytes_put_le16(b + 22, v->revision);
    bytes_put_le32(b + 24, v->build);
    if (len)
        memcpy(b + MCU_IMAGE_HEADER_SIZE, payload, len);
    uint8_t *t = b + MCU_IMAGE_HEADER_SIZE + len;
    bytes_put_le16(t, MCU_IMAGE_TLV_INFO_MAGIC);
    bytes_put_le16(t + 2, (uint16_t)tlv);
    bytes_put_le16(t + 4, MCU_IMAGE_TLV_SHA256);
    bytes_put_le16(t + 6, MCU_IMAGE_HASH_SIZE);
    int err = mcu_sha256(b, MCU_IMAGE_HEADER_SIZE + len, t + 8);
    if (err) {
        free(b);
        return err;
    }
    *out = b;
    *out_len = total;
    return 0;
}

static int parse_uint(const char **s, unsigned long max, unsigned long *v)
{
    const char *p = *s;
    if (*p < '0' || *p > '9')
        return -EINVAL;
    unsigned long n = 0;
    while (*p >= '0' && *p <= '9') {
        n = n * 10 + (unsigned long)(*p++ - '0');
        if (n > max)
            return -EINVAL;
    }
    *s = p;
    *v = n;
    return 0;
}

int mcu_version_parse(const char *text, struct mcu_version *v)
{
    unsigned long maj = 0, min = 0, rev = 0, build = 0;
    const char *p = text;
    if (!p || parse_uint(&p, 255, &maj))
        return -EINVAL;
    if (*p == '.') {
        p++;
        if (parse_uint(&p, 255, &min) || *p++ != '.' || parse_uint(&p, 65535, &rev))
            return -EINVAL;
        if (*p == '+') {
            p++;
            if (parse_uint(&p, 0xffffffffUL, &build))
                return -EINVAL;
        }
    }
    if (*p)
        return -EINVAL;
    *v = (struct mcu_version){(uint8_t)maj, (uint8_t)min, (uint16_t)rev, (uint32_t)build};
    return 0;
}

void mcu_version_format(const struct mcu_version *v, char *buf, size_t size)
{
    snprintf(buf, size, "%u.%u.%u.%u", v->major, v->minor, v->revision, v->build);
}

int mcu_version_compare(const struct mcu_version *a, const struct mcu_version *b)
{
    uint64_t x = (uint64_t)a->major << 24 | (uint64_t)a->minor << 16 | a->revision;
    uint64_t y = (uint64_t)b->major << 24 | (uint64_t)b->minor << 16 | b->revision;
    if (x != y)
        return x < y ? -1 : 1;
    return a->build < b->build ? -1 : a->build > b->build;
}

void mcu_hash_hex(const uint8_t hash[MCU_IMAGE_HASH_SIZE], char *buf)
{
    for (unsigned i = 0; i < MCU_IMAGE_HASH_SIZE; i++)
        sprintf(buf + 2 * i, "%02x", hash[i]);
}
