/* SPDX-License-Identifier: MIT */
/* smp_cbor.c — the CBOR maps of the SMP commands OpenSphere's MCU serves (smp.h), on libcbor.
 * Decoders ignore unknown keys and refuse a known key of the wrong type or size. Before libcbor
 * sees the bytes, a pre-scan (well_formed) refuses indefinite lengths, nesting deeper than 8 and
 * any count or length larger than the bytes left — libcbor would otherwise allocate what a
 * hostile header claims (found by fuzz_mcu_image). */
#include "smp.h"

#include <errno.h>
#include <string.h>

#include <cbor.h>

#include "bytes.h"

/* ---- building ------------------------------------------------------------------------------- */

/* Adds key: value to map, taking the value's reference; false (value released) on failure. */
static bool put(cbor_item_t *map, const char *key, cbor_item_t *value)
{
    cbor_item_t *k = cbor_build_string(key);
    bool ok = k && value && cbor_map_add(map, (struct cbor_pair){.key = k, .value = value});
    if (k)
        cbor_decref(&k);
    if (value)
        cbor_decref(&value);
    return ok;
}

static cbor_item_t *uint_item(uint64_t v) { return v <= 0xffffffffu ? cbor_build_uint32((uint32_t)v) : cbor_build_uint64(v); }

static int finish(cbor_item_t *map, bool ok, uint8_t *buf, size_t cap)
{
    int rc = -ENOMEM;
    if (map && ok) {
        size_t n = cbor_serialize(map, buf, cap);
        rc = n ? (int)n : -EMSGSIZE;
    }
    if (map)
        cbor_decref(&map);
    return rc;
}

int smp_cbor_encode_empty(uint8_t *buf, size_t cap) { return finish(cbor_new_definite_map(0), true, buf, cap); }

int smp_cbor_encode_rc(int rc, bool has_off, uint32_t off, uint8_t *buf, size_t cap)
{
    cbor_item_t *m = cbor_new_definite_map(2);
    bool ok = m && put(m, "rc", uint_item((uint32_t)rc)) && (!has_off || put(m, "off", uint_item(off)));
    return finish(m, ok, buf, cap);
}

int smp_cbor_encode_text(const char *key, const char *text, uint8_t *buf, size_t cap)
{
    cbor_item_t *m = cbor_new_definite_map(1);
    bool ok = m && put(m, key, cbor_build_string(text));
    return finish(m, ok, buf, cap);
}

int smp_cbor_encode_upload_req(const struct smp_upload_req *r, uint8_t *buf, size_t cap)
{
    cbor_item_t *m = cbor_new_definite_map(5);
    bool ok = m && (r->off != 0 || put(m, "image", uint_item(r->image))) && put(m, "off", uint_item(r->off)) &&
              put(m, "data", cbor_build_bytestring(r->data, r->data_len)) &&
              (!r->has_len || put(m, "len", uint_item(r->len))) &&
              (!r->has_sha || put(m, "sha", cbor_build_bytestring(r->sha, sizeof r->sha)));
    return finish(m, ok, buf, cap);
}

int smp_cbor_encode_state_write(const struct smp_state_write_req *r, uint8_t *buf, size_t cap)
{
    cbor_item_t *m = cbor_new_definite_map(2);
    bool ok = m && (!r->has_hash || put(m, "hash", cbor_build_bytestring(r->hash, sizeof r->hash))) &&
              put(m, "confirm", cbor_build_bool(r->confirm));
    return finish(m, ok, buf, cap);
}

int smp_cbor_encode_image_state(const struct smp_image_state *s, int rc, uint8_t *buf, size_t cap)
{
    cbor_item_t *m = cbor_new_definite_map(3), *list = cbor_new_definite_array(s->count);
    bool ok = m && list;
    for (size_t i = 0; ok && i < s->count; i++) {
        const struct smp_slot *sl = &s->slots[i];
        cbor_item_t *e = cbor_new_definite_map(9);
        ok = e && put(e, "image", uint_item(sl->image)) && put(e, "slot", uint_item(sl->slot)) &&
             put(e, "version", cbor_build_string(sl->version)) &&
             (!sl->has_hash || put(e, "hash", cbor_build_bytestring(sl->hash, sizeof sl->hash))) &&
             put(e, "bootable", cbor_build_bool(sl->bootable)) && put(e, "pending", cbor_build_bool(sl->pending)) &&
             put(e, "confirmed", cbor_build_bool(sl->confirmed)) && put(e, "active", cbor_build_bool(sl->active)) &&
             put(e, "permanent", cbor_build_bool(sl->permanent));
        ok = ok && cbor_array_push(list, e);
        if (e)
            cbor_decref(&e);
    }
    if (ok)
        ok = put(m, "images", list); /* consumes list */
    else if (list)
        cbor_decref(&list);
    if (ok && s->has_upload) {
        cbor_item_t *u = cbor_new_definite_map(4);
        bool inner = u && put(u, "slot", uint_item(s->upload_slot)) && put(u, "len", uint_item(s->upload_len)) &&
                     put(u, "off", uint_item(s->upload_off)) &&
                     (!s->upload_has_sha || put(u, "sha", cbor_build_bytestring(s->upload_sha, sizeof s->upload_sha)));
        if (inner)
            ok = put(m, "upload", u);
        else if (u)
            cbor_decref(&u), ok = false;
        else
            ok = false;
    }
    if (ok && rc)
        ok = put(m, "rc", uint_item((uint32_t)rc));
    return finish(m, ok, buf, cap);
}

/* ---- reading -------------------------------------------------------------------------------- */

/* A CBOR argument of 1, 2, 4 or 8 bytes, big-endian (RFC 8949 3.1). */
static uint64_t argument_be(const uint8_t *p, size_t bytes)
{
    switch (bytes) {
    case 1:
        return p[0];
    case 2:
        return bytes_be16(p);
    case 4:
        return bytes_be32(p);
    default:
        return (uint64_t)bytes_be32(p) << 32 | bytes_be32(p + 4);
    }
}

/* Walks one item at buf[*pos]; 0 or -EINVAL. */
static int well_formed(const uint8_t *buf, size_t n, size_t *pos, int depth)
{
    if (depth > 8 || *pos >= n)
        return -EINVAL;
    uint8_t ib = buf[(*pos)++], major = ib >> 5, ai = ib & 31;
    uint64_t v = ai;
    if (ai >= 24 && ai <= 27) {
        size_t bytes = (size_t)1 << (ai - 24);
        if (n - *pos < bytes)
            return -EINVAL;
        v = argument_be(buf + *pos, bytes);
        *pos += bytes;
    } else if (ai > 27) {
        return -EINVAL; /* reserved or indefinite */
    }
    size_t left = n - *pos;
    switch (major) {
    case 2:
    case 3:
        if (v > left)
            return -EINVAL;
        *pos += (size_t)v;
        return 0;
    case 4:
    case 5:
        if (v > left || (major == 5 && v > left / 2))
            return -EINVAL;
        for (uint64_t i = 0; i < (major == 5 ? 2 * v : v); i++)
            if (well_formed(buf, n, pos, depth + 1))
                return -EINVAL;
        return 0;
    case 6:
        return well_formed(buf, n, pos, depth + 1);
    default:
        return 0; /* integers, simple values, floats: the header was all */
    }
}

static cbor_item_t *load_map(const uint8_t *buf, size_t n)
{
    size_t pos = 0;
    if (well_formed(buf, n, &pos, 0) || pos != n)
        return NULL;
    struct cbor_load_result res;
    cbor_item_t *item = cbor_load(buf, n, &res);
    if (!item)
        return NULL;
    if (!cbor_isa_map(item) || res.read != n) {
        cbor_decref(&item);
        return NULL;
    }
    return item;
}

static cbor_item_t *get(const cbor_item_t *map, const char *key)
{
    size_t n = cbor_map_size(map), klen = strlen(key);
    struct cbor_pair *p = cbor_map_handle(map);
    for (size_t i = 0; i < n; i++)
        if (cbor_isa_string(p[i].key) && cbor_string_is_definite(p[i].key) && cbor_string_length(p[i].key) == klen &&
            !memcmp(cbor_string_handle(p[i].key), key, klen))
            return p[i].value;
    return NULL;
}

/* 1 found, 0 absent, -EINVAL wrong type */
static int get_uint(const cbor_item_t *map, const char *key, uint64_t max, uint64_t *v)
{
    cbor_item_t *it = get(map, key);
    if (!it)
        return 0;
    if (!cbor_isa_uint(it) || cbor_get_int(it) > max)
        return -EINVAL;
    *v = cbor_get_int(it);
    return 1;
}

static int get_bool(const cbor_item_t *map, const char *key, bool *v)
{
    cbor_item_t *it = get(map, key);
    if (!it)
        return 0;
    if (!cbor_is_bool(it))
        return -EINVAL;
    *v = cbor_get_bool(it);
    return 1;
}

/* A definite byte string of exactly `exact` bytes (or at most `max` when exact is 0). */
static int get_bytes(const cbor_item_t *map, const char *key, size_t exact, size_t max, uint8_t *out, size_t *len)
{
    cbor_item_t *it = get(map, key);
    if (!it)
        return 0;
    if (!cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it))
        return -EINVAL;
    size_t n = cbor_bytestring_length(it);
    if (exact ? n != exact : n > max)
        return -EINVAL;
    memcpy(out, cbor_bytestring_handle(it), n);
    if (len)
        *len = n;
    return 1;
}

static int get_text(const cbor_item_t *map, const char *key, char *out, size_t size)
{
    cbor_item_t *it = get(map, key);
    if (!it)
        return 0;
    if (!cbor_isa_string(it) || !cbor_string_is_definite(it) || cbor_string_length(it) >= size)
        return -EINVAL;
    size_t n = cbor_string_length(it);
    memcpy(out, cbor_string_handle(it), n);
    out[n] = '\0';
    if (memchr(out, '\0', n))
        return -EINVAL;
    return 1;
}

int smp_cbor_decode_rc(const uint8_t *buf, size_t n, int *rc, bool *has_off, uint32_t *off)
{
    cbor_item_t *m = load_map(buf, n);
    if (!m)
        return -EINVAL;
    uint64_t v = 0, o = 0;
    int a = get_uint(m, "rc", 0xffff, &v), b = get_uint(m, "off", 0xffffffffu, &o);
    cbor_decref(&m);
    if (a < 0 || b < 0)
        return -EINVAL;
    *rc = (int)v;
    if (has_off)
        *has_off = b == 1;
    if (off)
        *off = (uint32_t)o;
    return 0;
}

int smp_cbor_decode_text(const uint8_t *buf, size_t n, const char *key, char *text, size_t size)
{
    cbor_item_t *m = load_map(buf, n);
    if (!m)
        return -EINVAL;
    int r = get_text(m, key, text, size);
    cbor_decref(&m);
    return r == 1 ? 0 : -EINVAL;
}

int smp_cbor_decode_upload_req(const uint8_t *buf, size_t n, struct smp_upload_req *r)
{
    cbor_item_t *m = load_map(buf, n);
    if (!m)
        return -EINVAL;
    memset(r, 0, sizeof *r);
    uint64_t image = 0, off = 0, len = 0;
    int a = get_uint(m, "image", 0xffffffffu, &image), b = get_uint(m, "off", 0xffffffffu, &off),
        c = get_uint(m, "len", 0xffffffffu, &len), d = get_bytes(m, "sha", sizeof r->sha, 0, r->sha, NULL),
        e = get_bytes(m, "data", 0, sizeof r->data, r->data, &r->data_len);
    cbor_decref(&m);
    if (a < 0 || b != 1 || c < 0 || d < 0 || e != 1)
        return -EINVAL;
    r->image = (uint32_t)image, r->off = (uint32_t)off, r->len = (uint32_t)len;
    r->has_len = c == 1, r->has_sha = d == 1;
    return 0;
}

int smp_cbor_decode_state_write(const uint8_t *buf, size_t n, struct smp_state_write_req *r)
{
    cbor_item_t *m = load_map(buf, n);
    if (!m)
        return -EINVAL;
    memset(r, 0, sizeof *r);
    int a = get_bytes(m, "hash", sizeof r->hash, 0, r->hash, NULL), b = get_bool(m, "confirm", &r->confirm);
    cbor_decref(&m);
    if (a < 0 || b < 0)
        return -EINVAL;
    r->has_hash = a == 1;
    return 0;
}

static int decode_slot(const cbor_item_t *e, struct smp_slot *s)
{
    if (!cbor_isa_map(e))
        return -EINVAL;
    memset(s, 0, sizeof *s);
    uint64_t image = 0, slot = 0;
    int r[10] = {get_uint(e, "image", 0xffffffffu, &image), get_uint(e, "slot", 0xffffffffu, &slot),
                 get_text(e, "version", s->version, sizeof s->version),
                 get_bytes(e, "hash", sizeof s->hash, 0, s->hash, NULL), get_bool(e, "bootable", &s->bootable),
                 get_bool(e, "pending", &s->pending), get_bool(e, "confirmed", &s->confirmed),
                 get_bool(e, "active", &s->active), get_bool(e, "permanent", &s->permanent), 0};
    for (int i = 0; i < 9; i++)
        if (r[i] < 0)
            return -EINVAL;
    if (r[1] != 1 || r[2] != 1)
        return -EINVAL;
    s->image = (uint32_t)image, s->slot = (uint32_t)slot;
    s->has_hash = r[3] == 1;
    return 0;
}

int smp_cbor_decode_image_state(const uint8_t *buf, size_t n, struct smp_image_state *s, int *rc)
{
    cbor_item_t *m = load_map(buf, n);
    if (!m)
        return -EINVAL;
    memset(s, 0, sizeof *s);
    int err = 0;
    uint64_t v = 0;
    if (get_uint(m, "rc", 0xffff, &v) < 0)
        err = -EINVAL;
    *rc = (int)v;
    cbor_item_t *list = get(m, "images");
    if (!err && list) {
        if (!cbor_isa_array(list) || cbor_array_size(list) > SMP_MAX_SLOTS)
            err = -EINVAL;
        for (size_t i = 0; !err && i < cbor_array_size(list); i++) {
            cbor_item_t *e = cbor_array_get(list, i);
            err = e ? decode_slot(e, &s->slots[s->count++]) : -EINVAL;
            if (e)
                cbor_decref(&e);
        }
    } else if (!err && !v) {
        err = -EINVAL; /* a success answer must list the images */
    }
    cbor_item_t *u = err ? NULL : get(m, "upload");
    if (u) {
        uint64_t slot = 0, len = 0, off = 0;
        int a = cbor_isa_map(u) ? get_uint(u, "slot", 0xffffffffu, &slot) : -EINVAL;
        int b = a < 0 ? a : get_uint(u, "len", 0xffffffffu, &len), c = b < 0 ? b : get_uint(u, "off", 0xffffffffu, &off);
        int d = c < 0 ? c : get_bytes(u, "sha", sizeof s->upload_sha, 0, s->upload_sha, NULL);
        if (a != 1 || b != 1 || c != 1 || d < 0)
            err = -EINVAL;
        s->has_upload = !err;
        s->upload_slot = (uint32_t)slot, s->upload_len = (uint32_t)len, s->upload_off = (uint32_t)off;
        s->upload_has_sha = d == 1;
    }
    cbor_decref(&m);
    return err;
}
