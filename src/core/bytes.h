/* SPDX-License-Identifier: MIT */
/*
 * bytes.h — the one byte-order and entropy layer.
 *
 * Binary formats in OpenSphere (image packages, flash records, SMP frames, ELF, the inter-core
 * mailbox) are little-endian unless their own specification says otherwise; these accessors
 * read and write them from unaligned byte buffers, whatever the host's byte order. They never
 * fail and have no side effects beyond the bytes named.
 *
 * bytes_random() is the only source of randomness for identifiers, tokens, salts and keys. It
 * reads the kernel's CSPRNG (getrandom(2)); it fills the whole buffer or fails with -EIO — a
 * caller must never use a buffer whose fill failed.
 */
#ifndef OPENSPHERE_CORE_BYTES_H
#define OPENSPHERE_CORE_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t bytes_le16(const void *src)
{
    const uint8_t *p = src;
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static inline uint32_t bytes_le32(const void *src)
{
    const uint8_t *p = src;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t bytes_le64(const void *src)
{
    const uint8_t *p = src;
    return (uint64_t)bytes_le32(p) | (uint64_t)bytes_le32(p + 4) << 32;
}

static inline uint16_t bytes_be16(const void *src)
{
    const uint8_t *p = src;
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t bytes_be32(const void *src)
{
    const uint8_t *p = src;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void bytes_put_le16(void *dst, uint16_t v)
{
    uint8_t *p = dst;
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void bytes_put_le32(void *dst, uint32_t v)
{
    uint8_t *p = dst;
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void bytes_put_le64(void *dst, uint64_t v)
{
    uint8_t *p = dst;
    bytes_put_le32(p, (uint32_t)v);
    bytes_put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline void bytes_put_be16(void *dst, uint16_t v)
{
    uint8_t *p = dst;
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void bytes_put_be32(void *dst, uint32_t v)
{
    uint8_t *p = dst;
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/*
 * Fill buf[0..len) with bytes from the kernel's CSPRNG. Returns 0, or -EIO when the kernel
 * could not supply them (the buffer's content is then unspecified and must not be used).
 * Blocks only until the kernel's pool is first initialised (never, after boot).
 */
int bytes_random(void *buf, size_t len);

#endif
