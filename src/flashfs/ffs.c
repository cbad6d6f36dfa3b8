/* SPDX-License-Identifier: MIT */
/*
 * ffs.c — the flash file system (see ffs.h for the contract, docs/flashfs.md for the design).
 * One module by design, as littlefs's lfs.c is: the on-flash format, the commit protocol and
 * the recovery that reads it back must be read together, so they stay in one file.
 *
 * In RAM: the committed inode table (exactly what the last commit on flash describes) and,
 * per open file, a pending inode (contents and size not yet synced). On flash: block 0 holds
 * the superblock pair; one "meta block" holds a checkpoint (the whole inode table) followed
 * by delta commits; every other block is file data or free. A commit is one CRC-protected,
 * sequence-numbered record; the newest valid checkpoint plus the valid deltas after it is
 * the file system. Blocks referenced by the committed state are never erased, so a power
 * cut anywhere leaves the last complete commit intact.
 */
#include "ffs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bytes.h"
#include "strbuf.h"

/* ---- on-disk constants (docs/flashfs.md "On-disk format") ---- */
static const char SB_MAGIC[8] = {'O', 'S', 'F', 'F', 'S', '-', 'S', 'B'};
#define SB_LEN 36u
#define COMMIT_MAGIC 0x43534646u /* "FFSC" little-endian */
#define HDR_LEN 36u
#define CRC_LEN 4u
#define TYPE_CHECKPOINT 1u
#define TYPE_DELTA 2u
#define OP_PUT 1u
#define OP_DEL 2u
#define PUT_FIXED_LEN 17u
#define DEL_LEN 5u
#define FLAG_INLINE 0x01u
#define BREF_LEN 8u
#define ROOT_ID 1u
#define SB_BLOCK 0u

#define WP_UNKNOWN UINT32_MAX
#define CRC_STALE UINT32_MAX

struct bref {
    uint32_t block;
    uint32_t crc;     /* CRC-32 of the block's bytes [0, fill) */
    uint32_t crc_len; /* RAM only: how many bytes `crc` covers (CRC_STALE = recompute) */
};

struct inode {
    uint32_t id, parent, size;
    uint8_t type;
    bool is_inline;
    char *name;        /* NUL-terminated; "" for the root */
    uint8_t *data;     /* inline contents (size bytes), or NULL */
    struct bref *blocks;
    uint32_t nblocks;
};

struct ffs_file {
    struct ffs *fs;
    uint32_t id;
    int flags;
    uint32_t pos;
    bool dirty;
    struct inode pend; /* pending contents; data has inline_max bytes of room */
    uint32_t cap;      /* room in pend.blocks */
    struct ffs_file *next;
};

struct ffs {
    struct flash_bd bd;
    uint64_t volume_id;
    uint32_t inline_max;
    struct inode *inodes;
    size_t ninodes, cap;
    uint32_t next_id, cursor;
    uint64_t seq;
    uint32_t meta_block, meta_off;
    bool meta_appendable, broken;
    uint32_t *wp;  /* per block: bytes known programmed from 0, beyond which it is erased */
    uint8_t *used; /* scratch bitmap (one byte per block) */
    uint8_t *buf;  /* one block of scratch */
    struct ffs_file *files;
    void (*report)(void *ctx, bool problem, const char *line);
    void *report_ctx;
    int problems;
};

/* ---- little helpers (byte order: core/bytes.h) ---- */

static uint32_t crc(const void *p, size_t len)
{
    return (uint32_t)crc32(0L, p, (uInt)len);
}

static uint32_t crc_more(uint32_t c, const void *p, size_t len)
{
    return (uint32_t)crc32(c, p, (uInt)len);
}

static void note(struct ffs *fs, bool problem, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void note(struct ffs *fs, bool problem, const char *fmt, ...)
{
    if (problem)
        fs->problems++;
    if (!fs->report)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fs->report(fs->report_ctx, problem, line);
}

static uint32_t inline_max_for(uint32_t block_size)
{
    uint32_t m = block_size / 32;
    return m > 1024 ? 1024 : m;
}

static uint32_t blocks_for(const struct ffs *fs, uint32_t size)
{
    return (uint32_t)(((uint64_t)size + fs->bd.block_size - 1) / fs->bd.block_size);
}

/* Bytes of block `i` that belong to a file of `size` bytes. */
static uint32_t fill_of(const struct ffs *fs, uint32_t size, uint32_t i)
{
    uint64_t start = (uint64_t)i * fs->bd.block_size;
    uint64_t left = size > start ? size - start : 0;
    return left > fs->bd.block_size ? fs->bd.block_size : (uint32_t)left;
}

static bool geometry_ok(const struct flash_bd *bd)
{
    uint32_t bs = bd->block_size;
    return bs >= 512 && bs <= (1u << 20) && (bs & (bs - 1)) == 0 && bd->block_count >= 4 &&
           bd->block_count <= bs / 16 && bd->read && bd->prog && bd->erase && bd->sync;
}

/* ---- the inode table ---- */

static void inode_free(struct inode *n)
{
    free(n->name);
    free(n->data);
    free(n->blocks);
    memset(n, 0, sizeof *n);
}

static struct inode *find_id(struct ffs *fs, uint32_t id)
{
    for (size_t i = 0; i < fs->ninodes; i++)
        if (fs->inodes[i].id == id)
            return &fs->inodes[i];
    return NULL;
}

static struct inode *find_child(struct ffs *fs, uint32_t parent, const char *name, size_t len)
{
    for (size_t i = 0; i < fs->ninodes; i++) {
        struct inode *n = &fs->inodes[i];
        if (n->parent == parent && n->id != ROOT_ID && strlen(n->name) == len && memcmp(n->name, name, len) == 0)
            return n;
    }
    return NULL;
}

static void table_clear(struct ffs *fs)
{
    for (size_t i = 0; i < fs->ninodes; i++)
        inode_free(&fs->inodes[i]);
    fs->ninodes = 0;
}

static uint32_t record_len(const struct inode *n)
{
    return PUT_FIXED_LEN + (uint32_t)strlen(n->name) + (n->is_inline ? n->size : n->nblocks * BREF_LEN);
}

static uint64_t checkpoint_len(const struct ffs *fs)
{
    uint64_t len = HDR_LEN + CRC_LEN;
    for (size_t i = 0; i < fs->ninodes; i++)
        len += record_len(&fs->inodes[i]);
    return len;
}

/* Appends the PUT record of `n` to `sb`. */
static int emit_put(struct strbuf *sb, const struct inode *n)
{
    uint8_t fixed[PUT_FIXED_LEN];
    size_t name_len = strlen(n->name);
    fixed[0] = OP_PUT;
    bytes_put_le32(fixed + 1, n->id);
    bytes_put_le32(fixed + 5, n->parent);
    fixed[9] = n->type;
    fixed[10] = n->is_inline ? FLAG_INLINE : 0;
    bytes_put_le16(fixed + 11, (uint16_t)name_len);
    bytes_put_le32(fixed + 13, n->size);
    int err = strbuf_append(sb, (const char *)fixed, sizeof fixed);
    if (!err)
        err = strbuf_append(sb, n->name, name_len);
    if (!err && n->is_inline && n->size)
        err = strbuf_append(sb, (const char *)n->data, n->size);
    for (uint32_t i = 0; !err && !n->is_inline && i < n->nblocks; i++) {
        uint8_t b[BREF_LEN];
        bytes_put_le32(b, n->blocks[i].block);
        bytes_put_le32(b + 4, n->blocks[i].crc);
        err = strbuf_append(sb, (const char *)b, sizeof b);
    }
    return err;
}

static int emit_del(struct strbuf *sb, uint32_t id)
{
    uint8_t rec[DEL_LEN];
    rec[0] = OP_DEL;
    bytes_put_le32(rec + 1, id);
    return strbuf_append(sb, (const char *)rec, sizeof rec);
}

/* One decoded operation, pointing into the record. */
struct op_view {
    uint8_t op;
    uint32_t id, parent, size, nblocks;
    uint8_t type, flags;
    uint16_t name_len;
    const uint8_t *name, *payload;
    uint32_t len; /* bytes the operation occupies */
};

/* Decodes and checks the structure of one operation at p[0..avail). Returns 0 or -EUCLEAN
 * with a note saying what is wrong. */
static int parse_op(struct ffs *fs, const uint8_t *p, size_t avail, struct op_view *v)
{
    memset(v, 0, sizeof *v);
    v->op = p[0];
    if (v->op == OP_DEL) {
        if (avail < DEL_LEN)
            goto truncated;
        v->id = bytes_le32(p + 1);
        v->len = DEL_LEN;
        if (v->id == ROOT_ID) {
            note(fs, true, "metadata: a commit deletes the root directory");
            return -EUCLEAN;
        }
        return 0;
    }
    if (v->op != OP_PUT) {
        note(fs, true, "metadata: unknown operation code %u", v->op);
        return -EUCLEAN;
    }
    if (avail < PUT_FIXED_LEN)
        goto truncated;
    v->id = bytes_le32(p + 1);
    v->parent = bytes_le32(p + 5);
    v->type = p[9];
    v->flags = p[10];
    v->name_len = bytes_le16(p + 11);
    v->size = bytes_le32(p + 13);
    v->name = p + PUT_FIXED_LEN;
    bool is_inline = v->flags & FLAG_INLINE;
    const char *why = NULL;
    if (v->id == 0 || v->id >= fs->next_id)
        why = "an inode number outside the allocated range";
    else if (v->type != FFS_TYPE_FILE && v->type != FFS_TYPE_DIR)
        why = "an unknown inode type";
    else if (v->flags & ~FLAG_INLINE)
        why = "unknown flags";
    else if ((v->id == ROOT_ID) != (v->name_len == 0) || (v->id == ROOT_ID && (v->parent != 0 || v->type != FFS_TYPE_DIR)))
        why = "a malformed root directory or an empty name";
    else if (v->name_len > FFS_NAME_MAX)
        why = "a name longer than 255 bytes";
    else if (v->type == FFS_TYPE_DIR && (v->size != 0 || is_inline))
        why = "a directory with contents";
    else if (is_inline && v->size > fs->inline_max)
        why = "an inline file larger than the inline limit";
    if (why) {
        note(fs, true, "metadata: inode %u has %s", v->id, why);
        return -EUCLEAN;
    }
    v->nblocks = is_inline || v->type == FFS_TYPE_DIR ? 0 : blocks_for(fs, v->size);
    uint64_t payload = is_inline ? v->size : (uint64_t)v->nblocks * BREF_LEN;
    if (PUT_FIXED_LEN + v->name_len + payload > avail)
        goto truncated;
    for (uint16_t i = 0; i < v->name_len; i++)
        if (v->name[i] == '/' || v->name[i] == 0) {
            note(fs, true, "metadata: inode %u has a name containing '/' or NUL", v->id);
            return -EUCLEAN;
        }
    if ((v->name_len == 1 && v->name[0] == '.') || (v->name_len == 2 && v->name[0] == '.' && v->name[1] == '.')) {
        note(fs, true, "metadata: inode %u is named \".\" or \"..\"", v->id);
        return -EUCLEAN;
    }
    v->payload = v->name + v->name_len;
    for (uint32_t i = 0; i < v->nblocks; i++) {
        uint32_t b = bytes_le32(v->payload + i * BREF_LEN);
        if (b == SB_BLOCK || b >= fs->bd.block_count) {
            note(fs, true, "metadata: inode %u refers to block %u, outside the data area", v->id, b);
            return -EUCLEAN;
        }
    }
    v->len = (uint32_t)(PUT_FIXED_LEN + v->name_len + payload);
    return 0;
truncated:
    note(fs, true, "metadata: an operation runs past the end of its commit");
    return -EUCLEAN;
}

/* Applies a PUT: replaces or inserts the inode. */
static int apply_put(struct ffs *fs, const struct op_view *v)
{
    struct inode n = {.id = v->id, .parent = v->parent, .size = v->size, .type = v->type,
                      .is_inline = v->flags & FLAG_INLINE, .nblocks = v->nblocks};
    n.name = malloc(v->name_len + 1u);
    if (!n.name)
        return -ENOMEM;
    memcpy(n.name, v->name, v->name_len);
    n.name[v->name_len] = 0;
    if (n.is_inline && n.size) {
        n.data = malloc(n.size);
        if (!n.data)
            goto nomem;
        memcpy(n.data, v->payload, n.size);
    }
    if (n.nblocks) {
        n.blocks = malloc(n.nblocks * sizeof *n.blocks);
        if (!n.blocks)
            goto nomem;
        for (uint32_t i = 0; i < n.nblocks; i++) {
            n.blocks[i].block = bytes_le32(v->payload + i * BREF_LEN);
            n.blocks[i].crc = bytes_le32(v->payload + i * BREF_LEN + 4);
            n.blocks[i].crc_len = fill_of(fs, n.size, i);
        }
    }
    struct inode *old = find_id(fs, v->id);
    if (old) {
        inode_free(old);
        *old = n;
        return 0;
    }
    if (fs->ninodes == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 16;
        struct inode *grown = realloc(fs->inodes, cap * sizeof *grown);
        if (!grown)
            goto nomem;
        fs->inodes = grown;
        fs->cap = cap;
    }
    fs->inodes[fs->ninodes++] = n;
    return 0;
nomem:
    inode_free(&n);
    return -ENOMEM;
}

/* Applies every operation of a commit payload to the table. */
static int apply_ops(struct ffs *fs, const uint8_t *p, size_t len)
{
    while (len > 0) {
        struct op_view v;
        int err = parse_op(fs, p, len, &v);
        if (err)
            return err;
        if (v.op == OP_PUT) {
            err = apply_put(fs, &v);
        } else {
            struct inode *n = find_id(fs, v.id);
            if (!n) {
                note(fs, true, "metadata: a commit deletes inode %u, which does not exist", v.id);
                return -EUCLEAN;
            }
            inode_free(n);
            *n = fs->inodes[--fs->ninodes];
        }
        if (err)
            return err;
        p += v.len;
        len -= v.len;
    }
    return 0;
}

/* The checkpoint length the table would have after applying `ops` (already well-formed). */
static int64_t checkpoint_len_after(struct ffs *fs, const struct strbuf *ops)
{
    int64_t len = (int64_t)checkpoint_len(fs);
    const uint8_t *p = (const uint8_t *)ops->data;
    size_t left = ops->len;
    while (left > 0) {
        struct op_view v;
        int err = parse_op(fs, p, left, &v);
        if (err)
            return err;
        struct inode *old = find_id(fs, v.id);
        if (old)
            len -= record_len(old);
        if (v.op == OP_PUT)
            len += v.len;
        p += v.len;
        left -= v.len;
    }
    return len;
}

/* ---- commit records ---- */

struct header {
    uint32_t magic, len, cursor, next_id;
    uint64_t volume_id, seq;
    uint8_t type;
};

static void put_header(uint8_t *p, const struct header *h)
{
    memset(p, 0, HDR_LEN);
    bytes_put_le32(p, h->magic);
    bytes_put_le32(p + 4, h->len);
    bytes_put_le64(p + 8, h->volume_id);
    bytes_put_le64(p + 16, h->seq);
    bytes_put_le32(p + 24, h->cursor);
    bytes_put_le32(p + 28, h->next_id);
    p[32] = h->type;
}

static void get_header(const uint8_t *p, struct header *h)
{
    h->magic = bytes_le32(p);
    h->len = bytes_le32(p + 4);
    h->volume_id = bytes_le64(p + 8);
    h->seq = bytes_le64(p + 16);
    h->cursor = bytes_le32(p + 24);
    h->next_id = bytes_le32(p + 28);
    h->type = p[32];
}

/* Builds a whole commit record (header, payload, CRC) into `rec`. */
static int build_record(struct ffs *fs, uint8_t type, const struct strbuf *payload, struct strbuf *rec)
{
    struct header h = {.magic = COMMIT_MAGIC, .len = (uint32_t)(HDR_LEN + payload->len + CRC_LEN),
                       .cursor = fs->cursor, .next_id = fs->next_id, .volume_id = fs->volume_id,
                       .seq = fs->seq + 1, .type = type};
    uint8_t hdr[HDR_LEN], tail[CRC_LEN];
    put_header(hdr, &h);
    int err = strbuf_append(rec, (const char *)hdr, sizeof hdr);
    if (!err && payload->len)
        err = strbuf_append(rec, payload->data, payload->len);
    if (err)
        return err;
    bytes_put_le32(tail, crc(rec->data, rec->len));
    return strbuf_append(rec, (const char *)tail, sizeof tail);
}

static int checkpoint_payload(struct ffs *fs, struct strbuf *sb)
{
    for (size_t i = 0; i < fs->ninodes; i++) {
        int err = emit_put(sb, &fs->inodes[i]);
        if (err)
            return err;
    }
    return 0;
}

/* Marks every block the committed state or an open file refers to. */
static void mark_used(struct ffs *fs)
{
    memset(fs->used, 0, fs->bd.block_count);
    fs->used[SB_BLOCK] = 1;
    fs->used[fs->meta_block] = 1;
    for (size_t i = 0; i < fs->ninodes; i++)
        for (uint32_t j = 0; j < fs->inodes[i].nblocks; j++)
            fs->used[fs->inodes[i].blocks[j].block] = 1;
    for (struct ffs_file *f = fs->files; f; f = f->next)
        for (uint32_t j = 0; j < f->pend.nblocks; j++)
            fs->used[f->pend.blocks[j].block] = 1;
}

static int io_fail(struct ffs *fs, int err)
{
    if (err == -EIO || err == -EINVAL)
        fs->broken = true;
    return err;
}

/* Takes a free block (next fit from the cursor, which rotates wear over the device) and
 * erases it. Blocks of the committed state are never chosen, so they survive a cut. */
static int alloc_block(struct ffs *fs, uint32_t *out)
{
    mark_used(fs);
    uint32_t count = fs->bd.block_count;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t b = (fs->cursor + i) % count;
        if (fs->used[b])
            continue;
        int err = fs->bd.erase(fs->bd.ctx, b);
        if (err)
            return io_fail(fs, err);
        fs->cursor = (b + 1) % count;
        fs->wp[b] = 0;
        *out = b;
        return 0;
    }
    return -ENOSPC;
}

/* Commits `ops` atomically: a delta appended to the meta block, or, when it does not fit
 * (or after a mount), a checkpoint of the new state in a freshly erased block. */
static int commit(struct ffs *fs, const struct strbuf *ops)
{
    if (fs->broken)
        return -EIO;
    int64_t after = checkpoint_len_after(fs, ops);
    if (after < 0)
        return (int)after;
    if (after > fs->bd.block_size / 2)
        return -ENOSPC;
    struct strbuf rec = {0};
    int err;
    uint64_t delta_len = HDR_LEN + ops->len + CRC_LEN;
    if (fs->meta_appendable && fs->meta_off + delta_len <= fs->bd.block_size) {
        err = build_record(fs, TYPE_DELTA, ops, &rec);
        if (!err)
            err = io_fail(fs, fs->bd.prog(fs->bd.ctx, fs->meta_block, fs->meta_off, rec.data, (uint32_t)rec.len));
        if (!err && apply_ops(fs, (const uint8_t *)ops->data, ops->len) != 0)
            err = io_fail(fs, -EIO);
        if (!err)
            fs->meta_off += (uint32_t)rec.len;
    } else {
        uint32_t nb = 0;
        struct strbuf payload = {0};
        err = alloc_block(fs, &nb);
        if (!err && apply_ops(fs, (const uint8_t *)ops->data, ops->len) != 0)
            err = io_fail(fs, -EIO); /* the table may be half-changed: refuse further use */
        if (!err)
            err = checkpoint_payload(fs, &payload);
        if (!err)
            err = build_record(fs, TYPE_CHECKPOINT, &payload, &rec);
        if (err == -ENOMEM)
            fs->broken = true;
        if (!err)
            err = io_fail(fs, fs->bd.prog(fs->bd.ctx, nb, 0, rec.data, (uint32_t)rec.len));
        if (!err) {
            fs->wp[nb] = (uint32_t)rec.len;
            fs->meta_block = nb;
            fs->meta_off = (uint32_t)rec.len;
            fs->meta_appendable = true;
        }
        strbuf_free(&payload);
    }
    strbuf_free(&rec);
    if (!err)
        err = io_fail(fs, fs->bd.sync(fs->bd.ctx));
    if (!err)
        fs->seq++;
    return err;
}

/* ---- format ---- */

static void put_superblock(uint8_t *p, const struct flash_bd *bd, uint64_t volume_id)
{
    memcpy(p, SB_MAGIC, sizeof SB_MAGIC);
    bytes_put_le32(p + 8, FFS_FORMAT_VERSION);
    bytes_put_le32(p + 12, bd->block_size);
    bytes_put_le32(p + 16, bd->block_count);
    bytes_put_le32(p + 20, inline_max_for(bd->block_size));
    bytes_put_le64(p + 24, volume_id);
    bytes_put_le32(p + 32, crc(p, 32));
}

int ffs_format(const struct flash_bd *bd, uint64_t volume_id)
{
    if (!geometry_ok(bd) || volume_id == 0)
        return -EINVAL;
    uint8_t sb[SB_LEN];
    put_superblock(sb, bd, volume_id);
    int err = bd->erase(bd->ctx, SB_BLOCK);
    if (!err)
        err = bd->prog(bd->ctx, SB_BLOCK, 0, sb, SB_LEN);
    if (!err)
        err = bd->prog(bd->ctx, SB_BLOCK, bd->block_size / 2, sb, SB_LEN);
    if (err)
        return err;
    /* The first checkpoint: the root directory, in block 1. */
    struct ffs fs = {.bd = *bd, .volume_id = volume_id, .next_id = ROOT_ID + 1, .cursor = 2 % bd->block_count};
    struct inode root = {.id = ROOT_ID, .type = FFS_TYPE_DIR, .name = (char *)""};
    struct strbuf payload = {0}, rec = {0};
    err = emit_put(&payload, &root);
    if (!err)
        err = build_record(&fs, TYPE_CHECKPOINT, &payload, &rec);
    if (!err)
        err = bd->erase(bd->ctx, 1);
    if (!err)
        err = bd->prog(bd->ctx, 1, 0, rec.data, (uint32_t)rec.len);
    if (!err)
        err = bd->sync(bd->ctx);
    strbuf_free(&payload);
    strbuf_free(&rec);
    return err;
}

/* ---- mount ---- */

static void fs_free(struct ffs *fs)
{
    if (!fs)
        return;
    table_clear(fs);
    free(fs->inodes);
    free(fs->wp);
    free(fs->used);
    free(fs->buf);
    free(fs);
}

static int read_superblock(struct ffs *fs)
{
    const struct flash_bd *bd = &fs->bd;
    uint8_t copy[2][SB_LEN];
    bool valid[2];
    bool any_magic = false;
    for (int i = 0; i < 2; i++) {
        int err = bd->read(bd->ctx, SB_BLOCK, i ? bd->block_size / 2 : 0, copy[i], SB_LEN);
        if (err)
            return err;
        any_magic |= memcmp(copy[i], SB_MAGIC, sizeof SB_MAGIC) == 0;
        valid[i] = memcmp(copy[i], SB_MAGIC, sizeof SB_MAGIC) == 0 && bytes_le32(copy[i] + 32) == crc(copy[i], 32);
    }
    if (!valid[0] && !valid[1]) {
        if (!any_magic) {
            note(fs, true, "superblock: no file system on this device (no superblock magic in block 0)");
            return -ENODEV;
        }
        note(fs, true, "superblock: both copies in block 0 fail their CRC; the image is damaged");
        return -EUCLEAN;
    }
    if (!valid[0] || !valid[1])
        note(fs, true, "superblock: copy %c (block 0, offset %u) is damaged; using the other copy",
             valid[0] ? 'B' : 'A', valid[0] ? bd->block_size / 2 : 0);
    else if (memcmp(copy[0], copy[1], SB_LEN) != 0)
        note(fs, true, "superblock: the two copies differ; using copy A");
    const uint8_t *sb = valid[0] ? copy[0] : copy[1];
    uint32_t version = bytes_le32(sb + 8), bs = bytes_le32(sb + 12), count = bytes_le32(sb + 16);
    if (version > FFS_FORMAT_VERSION || version == 0) {
        note(fs, true, "superblock: format version %u is not supported (this build reads version %u)", version,
             FFS_FORMAT_VERSION);
        return -EPROTONOSUPPORT;
    }
    if (bs != bd->block_size || count != bd->block_count) {
        note(fs, true,
             "superblock: formatted for %u blocks of %u bytes (%llu bytes) but the device has %u blocks of %u "
             "bytes (%llu bytes)",
             count, bs, (unsigned long long)count * bs, bd->block_count, bd->block_size,
             (unsigned long long)bd->block_count * bd->block_size);
        return -EMEDIUMTYPE;
    }
    fs->inline_max = bytes_le32(sb + 20);
    fs->volume_id = bytes_le64(sb + 24);
    if (fs->inline_max != inline_max_for(bs) || fs->volume_id == 0) {
        note(fs, true, "superblock: inconsistent parameters (inline limit %u, volume id %llu)", fs->inline_max,
             (unsigned long long)fs->volume_id);
        return -EUCLEAN;
    }
    return 0;
}

struct candidate {
    uint64_t seq;
    uint32_t block;
};

static int by_seq_desc(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0;
}

static bool header_plausible(const struct ffs *fs, const struct header *h, uint8_t type, uint32_t room)
{
    return h->magic == COMMIT_MAGIC && h->volume_id == fs->volume_id && h->type == type &&
           h->len >= HDR_LEN + CRC_LEN && h->len <= room;
}

/* Reads the record at (block, off) of h->len bytes into fs->buf and checks its CRC. */
static int read_record(struct ffs *fs, uint32_t block, uint32_t off, const struct header *h, bool *ok)
{
    int err = fs->bd.read(fs->bd.ctx, block, off, fs->buf, h->len);
    if (err)
        return err;
    *ok = bytes_le32(fs->buf + h->len - CRC_LEN) == crc(fs->buf, h->len - CRC_LEN);
    return 0;
}

static bool all_erased(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != 0xFF)
            return false;
    return true;
}

/* Replays the delta commits that follow the checkpoint in the meta block. */
static int replay_deltas(struct ffs *fs, uint32_t block, uint32_t off)
{
    uint32_t replayed = 0;
    while (off + HDR_LEN + CRC_LEN <= fs->bd.block_size) {
        uint8_t raw[HDR_LEN];
        struct header h;
        int err = fs->bd.read(fs->bd.ctx, block, off, raw, HDR_LEN);
        if (err)
            return err;
        get_header(raw, &h);
        bool ok = false;
        if (header_plausible(fs, &h, TYPE_DELTA, fs->bd.block_size - off) && h.seq == fs->seq + 1) {
            err = read_record(fs, block, off, &h, &ok);
            if (err)
                return err;
        }
        if (!ok) {
            if (!all_erased(raw, HDR_LEN))
                note(fs, false,
                     "log: discarded an incomplete commit at block %u offset %u (power was lost while it was "
                     "written; the state before it is used)",
                     block, off);
            break;
        }
        if (h.next_id < fs->next_id) {
            note(fs, true, "log: commit %llu lowers the next inode number", (unsigned long long)h.seq);
            return -EUCLEAN;
        }
        fs->next_id = h.next_id;
        err = apply_ops(fs, fs->buf + HDR_LEN, h.len - HDR_LEN - CRC_LEN);
        if (err)
            return err;
        fs->seq = h.seq;
        fs->cursor = h.cursor % fs->bd.block_count;
        off += h.len;
        replayed++;
    }
    fs->meta_block = block;
    fs->meta_off = off;
    note(fs, false, "log: checkpoint in block %u plus %u later commits; last commit %llu", block, replayed,
         (unsigned long long)fs->seq);
    return 0;
}

/* Tells whether a torn-looking checkpoint was followed by a valid commit (so it was complete
 * once and has been damaged since). */
static bool followed_by_commit(struct ffs *fs, uint32_t block, const struct header *h)
{
    if (h->len + HDR_LEN + CRC_LEN > fs->bd.block_size)
        return false;
    uint8_t raw[HDR_LEN];
    struct header next;
    if (fs->bd.read(fs->bd.ctx, block, h->len, raw, HDR_LEN) != 0)
        return false;
    get_header(raw, &next);
    bool ok = false;
    return header_plausible(fs, &next, TYPE_DELTA, fs->bd.block_size - h->len) && next.seq == h->seq + 1 &&
           read_record(fs, block, h->len, &next, &ok) == 0 && ok;
}

static int load_log(struct ffs *fs)
{
    uint32_t count = fs->bd.block_count;
    struct candidate *cands = malloc(count * sizeof *cands);
    if (!cands)
        return -ENOMEM;
    size_t n = 0;
    int err = 0;
    for (uint32_t b = 1; b < count && !err; b++) {
        uint8_t raw[HDR_LEN];
        struct header h;
        err = fs->bd.read(fs->bd.ctx, b, 0, raw, HDR_LEN);
        get_header(raw, &h);
        if (!err && header_plausible(fs, &h, TYPE_CHECKPOINT, fs->bd.block_size))
            cands[n++] = (struct candidate){h.seq, b};
    }
    qsort(cands, n, sizeof *cands, by_seq_desc);
    bool found = false;
    for (size_t i = 0; i < n && !err && !found; i++) {
        uint8_t raw[HDR_LEN];
        struct header h;
        bool ok = false;
        err = fs->bd.read(fs->bd.ctx, cands[i].block, 0, raw, HDR_LEN);
        get_header(raw, &h);
        if (!err)
            err = read_record(fs, cands[i].block, 0, &h, &ok);
        if (err)
            break;
        if (!ok) {
            bool damaged = followed_by_commit(fs, cands[i].block, &h);
            note(fs, damaged,
                 damaged ? "log: checkpoint %llu in block %u fails its CRC although a later commit follows it: "
                           "the metadata is damaged; falling back to an older checkpoint"
                         : "log: checkpoint %llu in block %u is incomplete (power was lost while it was written); "
                           "ignored",
                 (unsigned long long)h.seq, cands[i].block);
            continue;
        }
        found = true;
        table_clear(fs);
        fs->next_id = h.next_id;
        fs->seq = h.seq;
        fs->cursor = h.cursor % count;
        err = apply_ops(fs, fs->buf + HDR_LEN, h.len - HDR_LEN - CRC_LEN);
        if (!err)
            err = replay_deltas(fs, cands[i].block, h.len);
    }
    free(cands);
    if (!err && !found) {
        note(fs, true, "log: no valid metadata checkpoint in any block (%zu candidates); the image is damaged", n);
        err = -EUCLEAN;
    }
    return err;
}

/* A printable path of inode `n` for reports (bounded walk; long paths are cut short). */
static void path_of(struct ffs *fs, const struct inode *n, char *out, size_t size)
{
    const struct inode *chain[32];
    size_t depth = 0;
    for (const struct inode *cur = n; cur && cur->id != ROOT_ID && depth < 32; cur = find_id(fs, cur->parent))
        chain[depth++] = cur;
    size_t len = 0;
    out[0] = 0;
    while (depth-- > 0) {
        int w = snprintf(out + len, size - len, "/%s", chain[depth]->name);
        if (w < 0 || (size_t)w >= size - len)
            break;
        len += (size_t)w;
    }
    if (!len)
        snprintf(out, size, "/");
}

/* Checks the whole-table invariants a commit-by-commit replay cannot see. */
static int validate_state(struct ffs *fs)
{
    struct inode *root = find_id(fs, ROOT_ID);
    if (!root) {
        note(fs, true, "tree: the root directory is missing");
        return -EUCLEAN;
    }
    memset(fs->used, 0, fs->bd.block_count);
    fs->used[SB_BLOCK] = 1;
    fs->used[fs->meta_block] = 1;
    for (size_t i = 0; i < fs->ninodes; i++) {
        struct inode *n = &fs->inodes[i];
        char path[512];
        path_of(fs, n, path, sizeof path);
        if (n->id == ROOT_ID)
            continue;
        struct inode *parent = find_id(fs, n->parent);
        if (!parent || parent->type != FFS_TYPE_DIR) {
            note(fs, true, "tree: inode %u (\"%s\") has a missing or non-directory parent %u", n->id, n->name, n->parent);
            return -EUCLEAN;
        }
        if (find_child(fs, n->parent, n->name, strlen(n->name)) != n) {
            note(fs, true, "tree: two entries named %s", path);
            return -EUCLEAN;
        }
        const struct inode *up = parent;
        size_t steps = 0;
        while (up && up->id != ROOT_ID && steps++ <= fs->ninodes)
            up = find_id(fs, up->parent);
        if (!up) {
            note(fs, true, "tree: inode %u (\"%s\") is not reachable from the root (a cycle)", n->id, n->name);
            return -EUCLEAN;
        }
        for (uint32_t j = 0; j < n->nblocks; j++) {
            uint32_t b = n->blocks[j].block;
            if (fs->used[b]) {
                note(fs, true, "tree: block %u of %s is also used by another file or the metadata", b, path);
                return -EUCLEAN;
            }
            fs->used[b] = 1;
        }
    }
    return 0;
}

static int load(struct ffs *fs)
{
    if (!geometry_ok(&fs->bd)) {
        note(fs, true, "device: unsupported geometry (%u blocks of %u bytes)", fs->bd.block_count, fs->bd.block_size);
        return -EINVAL;
    }
    fs->wp = malloc(fs->bd.block_count * sizeof *fs->wp);
    fs->used = malloc(fs->bd.block_count);
    fs->buf = malloc(fs->bd.block_size);
    if (!fs->wp || !fs->used || !fs->buf)
        return -ENOMEM;
    for (uint32_t b = 0; b < fs->bd.block_count; b++)
        fs->wp[b] = WP_UNKNOWN;
    int err = read_superblock(fs);
    if (!err)
        err = load_log(fs);
    if (!err)
        err = validate_state(fs);
    fs->meta_appendable = false; /* the tail of the meta block may hold a torn commit */
    return err;
}

int ffs_mount(const struct flash_bd *bd, struct ffs **out)
{
    *out = NULL;
    struct ffs *fs = calloc(1, sizeof *fs);
    if (!fs)
        return -ENOMEM;
    fs->bd = *bd;
    int err = load(fs);
    if (err) {
        fs_free(fs);
        return err;
    }
    *out = fs;
    return 0;
}

/* ---- check ---- */

static int check_data(struct ffs *fs)
{
    for (size_t i = 0; i < fs->ninodes; i++) {
        struct inode *n = &fs->inodes[i];
        for (uint32_t j = 0; j < n->nblocks; j++) {
            uint32_t fill = fill_of(fs, n->size, j);
            int err = fs->bd.read(fs->bd.ctx, n->blocks[j].block, 0, fs->buf, fill);
            if (err)
                return err;
            if (crc(fs->buf, fill) != n->blocks[j].crc) {
                char path[512];
                path_of(fs, n, path, sizeof path);
                note(fs, true, "data: %s, bytes %llu..%llu (block %u) fail their CRC: the file contents are damaged",
                     path, (unsigned long long)j * fs->bd.block_size,
                     (unsigned long long)j * fs->bd.block_size + fill - 1, n->blocks[j].block);
            }
        }
    }
    return 0;
}

int ffs_check(const struct flash_bd *bd, void (*report)(void *ctx, bool problem, const char *line), void *ctx)
{
    struct ffs *fs = calloc(1, sizeof *fs);
    if (!fs)
        return -ENOMEM;
    fs->bd = *bd;
    fs->report = report;
    fs->report_ctx = ctx;
    int err = load(fs);
    if (!err)
        err = check_data(fs);
    if (!err) {
        size_t files = 0, dirs = 0;
        for (size_t i = 0; i < fs->ninodes; i++) {
            if (fs->inodes[i].type == FFS_TYPE_DIR)
                dirs++;
            else
                files++;
        }
        note(fs, false, "tree: %zu directories, %zu files", dirs, files);
    }
    if (!err && fs->problems)
        err = -EUCLEAN;
    fs_free(fs);
    return err;
}

/* ---- paths ---- */

struct resolved {
    struct inode *node;   /* NULL when the last component does not exist */
    uint32_t parent;      /* directory holding the last component (0 for the root) */
    const char *name;     /* last component, not NUL-terminated */
    size_t name_len;
};

static int resolve(struct ffs *fs, const char *path, struct resolved *r)
{
    memset(r, 0, sizeof *r);
    if (!path)
        return -EINVAL;
    struct inode *dir = find_id(fs, ROOT_ID);
    r->node = dir;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > FFS_NAME_MAX)
            return -ENAMETOOLONG;
        if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return -EINVAL;
        if (!dir)
            return -ENOENT;
        if (dir->type != FFS_TYPE_DIR)
            return -ENOTDIR;
        r->parent = dir->id;
        r->name = p;
        r->name_len = len;
        r->node = find_child(fs, dir->id, p, len);
        dir = r->node;
        p += len;
    }
    return 0;
}

/* resolve(), and -ENOENT when the last component does not exist. */
static int resolve_existing(struct ffs *fs, const char *path, struct resolved *r)
{
    int err = resolve(fs, path, r);
    return err ? err : r->node ? 0 : -ENOENT;
}

static bool is_open(struct ffs *fs, uint32_t id)
{
    for (struct ffs_file *f = fs->files; f; f = f->next)
        if (f->id == id)
            return true;
    return false;
}

/* Creates an inode (file or directory) named by `r` and commits it. */
static int create(struct ffs *fs, const struct resolved *r, uint8_t type, uint32_t *id)
{
    if (!r->name_len)
        return -EEXIST; /* the root */
    char *name = strndup(r->name, r->name_len);
    if (!name)
        return -ENOMEM;
    struct inode n = {.id = fs->next_id, .parent = r->parent, .type = type, .is_inline = type == FFS_TYPE_FILE,
                      .name = name};
    struct strbuf ops = {0};
    fs->next_id++;
    int err = emit_put(&ops, &n);
    if (!err)
        err = commit(fs, &ops);
    if (err)
        fs->next_id--;
    else if (id)
        *id = n.id;
    strbuf_free(&ops);
    free(name);
    return err;
}

int ffs_mkdir(struct ffs *fs, const char *path)
{
    struct resolved r;
    int err = resolve(fs, path, &r);
    if (err)
        return err;
    if (r.node)
        return -EEXIST;
    return create(fs, &r, FFS_TYPE_DIR, NULL);
}

static bool has_children(struct ffs *fs, uint32_t id)
{
    for (size_t i = 0; i < fs->ninodes; i++)
        if (fs->inodes[i].parent == id && fs->inodes[i].id != ROOT_ID)
            return true;
    return false;
}

int ffs_remove(struct ffs *fs, const char *path)
{
    struct resolved r;
    int err = resolve_existing(fs, path, &r);
    if (err)
        return err;
    if (r.node->id == ROOT_ID || is_open(fs, r.node->id))
        return -EBUSY;
    if (r.node->type == FFS_TYPE_DIR && has_children(fs, r.node->id))
        return -ENOTEMPTY;
    struct strbuf ops = {0};
    err = emit_del(&ops, r.node->id);
    if (!err)
        err = commit(fs, &ops);
    strbuf_free(&ops);
    return err;
}

int ffs_rename(struct ffs *fs, const char *oldpath, const char *newpath)
{
    struct resolved from, to;
    int err = resolve(fs, oldpath, &from);
    if (!err)
        err = resolve(fs, newpath, &to);
    if (err)
        return err;
    if (!from.node)
        return -ENOENT;
    if (from.node->id == ROOT_ID || !to.name_len)
        return -EBUSY;
    if (to.parent == 0 || !find_id(fs, to.parent))
        return -ENOENT;
    if (to.node == from.node)
        return 0;
    if (from.node->type == FFS_TYPE_DIR)
        for (const struct inode *up = find_id(fs, to.parent); up; up = up->id == ROOT_ID ? NULL : find_id(fs, up->parent))
            if (up->id == from.node->id)
                return -EINVAL; /* into itself */
    struct strbuf ops = {0};
    if (to.node) {
        if (to.node->type == FFS_TYPE_DIR && from.node->type != FFS_TYPE_DIR)
            return -EISDIR;
        if (to.node->type != FFS_TYPE_DIR && from.node->type == FFS_TYPE_DIR)
            return -ENOTDIR;
        if (to.node->type == FFS_TYPE_DIR && has_children(fs, to.node->id))
            return -ENOTEMPTY;
        if (is_open(fs, to.node->id))
            return -EBUSY;
        err = emit_del(&ops, to.node->id);
    }
    char *name = strndup(to.name, to.name_len);
    if (!name)
        err = -ENOMEM;
    if (!err) {
        struct inode moved = *from.node;
        moved.parent = to.parent;
        moved.name = name;
        err = emit_put(&ops, &moved);
    }
    if (!err)
        err = commit(fs, &ops);
    free(name);
    strbuf_free(&ops);
    return err;
}

int ffs_stat(struct ffs *fs, const char *path, struct ffs_stat *st)
{
    struct resolved r;
    int err = resolve_existing(fs, path, &r);
    if (err)
        return err;
    st->type = r.node->type;
    st->size = r.node->size;
    st->id = r.node->id;
    st->blocks = r.node->nblocks;
    return 0;
}

int ffs_fsinfo(struct ffs *fs, struct ffs_fsinfo *info)
{
    mark_used(fs);
    uint32_t free_blocks = 0;
    for (uint32_t b = 0; b < fs->bd.block_count; b++)
        free_blocks += !fs->used[b];
    info->block_size = fs->bd.block_size;
    info->block_count = fs->bd.block_count;
    info->free_blocks = free_blocks;
    info->meta_bytes = (uint32_t)checkpoint_len(fs);
    info->meta_capacity = fs->bd.block_size / 2;
    info->inline_max = fs->inline_max;
    info->seq = fs->seq;
    return 0;
}

int ffs_list(struct ffs *fs, const char *path, int (*cb)(void *ctx, const struct ffs_dirent *e), void *ctx)
{
    struct resolved r;
    int err = resolve_existing(fs, path, &r);
    if (err)
        return err;
    if (r.node->type != FFS_TYPE_DIR)
        return -ENOTDIR;
    uint32_t dir = r.node->id;
    for (size_t i = 0; i < fs->ninodes; i++) {
        const struct inode *n = &fs->inodes[i];
        if (n->parent != dir || n->id == ROOT_ID)
            continue;
        struct ffs_dirent e = {.name = n->name, .type = n->type, .size = n->size};
        int rc = cb(ctx, &e);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- files ---- */

static void file_free(struct ffs_file *f)
{
    inode_free(&f->pend);
    free(f);
}

/* Copies the committed contents of inode `n` into the handle's pending inode. */
static int load_pending(struct ffs_file *f, const struct inode *n)
{
    struct ffs *fs = f->fs;
    f->pend.size = n->size;
    f->pend.is_inline = n->is_inline;
    f->pend.nblocks = n->nblocks;
    f->cap = n->nblocks ? n->nblocks : 1;
    f->pend.blocks = malloc(f->cap * sizeof *f->pend.blocks);
    f->pend.data = malloc(fs->inline_max ? fs->inline_max : 1);
    if (!f->pend.blocks || !f->pend.data)
        return -ENOMEM;
    if (n->nblocks)
        memcpy(f->pend.blocks, n->blocks, n->nblocks * sizeof *n->blocks);
    if (n->is_inline && n->size)
        memcpy(f->pend.data, n->data, n->size);
    return 0;
}

static int truncate_pending(struct ffs_file *f, uint32_t size);

int ffs_open(struct ffs *fs, const char *path, int flags, struct ffs_file **out)
{
    *out = NULL;
    if (!(flags & FFS_O_RDWR) || (flags & ~(FFS_O_RDWR | FFS_O_CREAT | FFS_O_EXCL | FFS_O_TRUNC | FFS_O_APPEND)))
        return -EINVAL;
    struct resolved r;
    int err = resolve(fs, path, &r);
    if (err)
        return err;
    uint32_t id = 0;
    if (!r.node) {
        if (!(flags & FFS_O_CREAT))
            return -ENOENT;
        if (!(flags & FFS_O_WRONLY))
            return -EBADF;
        err = create(fs, &r, FFS_TYPE_FILE, &id);
        if (err)
            return err;
    } else {
        if ((flags & FFS_O_CREAT) && (flags & FFS_O_EXCL))
            return -EEXIST;
        if (r.node->type == FFS_TYPE_DIR)
            return -EISDIR;
        id = r.node->id;
        if (is_open(fs, id))
            return -EBUSY;
    }
    struct ffs_file *f = calloc(1, sizeof *f);
    if (!f)
        return -ENOMEM;
    f->fs = fs;
    f->id = id;
    f->flags = flags;
    err = load_pending(f, find_id(fs, id));
    if (!err && (flags & FFS_O_TRUNC) && (flags & FFS_O_WRONLY))
        err = truncate_pending(f, 0);
    if (err) {
        file_free(f);
        return err;
    }
    f->next = fs->files;
    fs->files = f;
    *out = f;
    return 0;
}

uint32_t ffs_file_size(const struct ffs_file *f)
{
    return f->pend.size;
}

static int grow_blocks(struct ffs_file *f)
{
    if (f->pend.nblocks < f->cap)
        return 0;
    uint32_t cap = f->cap * 2;
    struct bref *grown = realloc(f->pend.blocks, cap * sizeof *grown);
    if (!grown)
        return -ENOMEM;
    f->pend.blocks = grown;
    f->cap = cap;
    return 0;
}

/* Writes `n` bytes at `pos` (pos <= size; the range stays inside one block) to a block file:
 * appends in place when the block is known erased from there on, else copies on write. */
static int write_chunk(struct ffs_file *f, uint32_t pos, const uint8_t *src, uint32_t n)
{
    struct ffs *fs = f->fs;
    struct inode *p = &f->pend;
    uint32_t bs = fs->bd.block_size, i = pos / bs, o = pos % bs;
    int err;
    if (i == p->nblocks) { /* a new block at the end (o == 0 since pos == size) */
        uint32_t b = 0;
        err = grow_blocks(f);
        if (!err)
            err = alloc_block(fs, &b);
        if (!err)
            err = io_fail(fs, fs->bd.prog(fs->bd.ctx, b, 0, src, n));
        if (err)
            return err;
        fs->wp[b] = n;
        p->blocks[p->nblocks++] = (struct bref){b, crc(src, n), n};
    } else {
        struct bref *r = &p->blocks[i];
        uint32_t fill = fill_of(fs, p->size, i);
        if (o == fill && fs->wp[r->block] == fill) {
            err = io_fail(fs, fs->bd.prog(fs->bd.ctx, r->block, o, src, n));
            if (err)
                return err;
            fs->wp[r->block] = o + n;
            if (r->crc_len == fill) {
                r->crc = crc_more(r->crc, src, n);
                r->crc_len = fill + n;
            } else {
                r->crc_len = CRC_STALE;
            }
        } else {
            uint32_t b = 0, new_fill = o + n > fill ? o + n : fill;
            err = io_fail(fs, fs->bd.read(fs->bd.ctx, r->block, 0, fs->buf, fill));
            if (!err)
                err = alloc_block(fs, &b);
            if (err)
                return err;
            memcpy(fs->buf + o, src, n);
            err = io_fail(fs, fs->bd.prog(fs->bd.ctx, b, 0, fs->buf, new_fill));
            if (err)
                return err;
            fs->wp[b] = new_fill;
            *r = (struct bref){b, crc(fs->buf, new_fill), new_fill};
        }
    }
    if (pos + n > p->size)
        p->size = pos + n;
    return 0;
}

/* Writes a range at `pos` <= size through the block path, block by block. */
static int write_blocks(struct ffs_file *f, uint32_t pos, const uint8_t *src, size_t len)
{
    uint32_t bs = f->fs->bd.block_size;
    while (len > 0) {
        uint32_t n = bs - pos % bs;
        if (n > len)
            n = (uint32_t)len;
        int err = write_chunk(f, pos, src, n);
        if (err)
            return err;
        pos += n;
        src += n;
        len -= n;
    }
    return 0;
}

static const uint8_t zeros[256];

/* Writes `len` bytes at `pos` (which may be past the end: the gap becomes zeros). */
static int write_at(struct ffs_file *f, uint32_t pos, const uint8_t *src, size_t len)
{
    struct ffs *fs = f->fs;
    struct inode *p = &f->pend;
    uint64_t end = (uint64_t)pos + len;
    if (p->is_inline) {
        if (end <= fs->inline_max) {
            if (pos > p->size)
                memset(p->data + p->size, 0, pos - p->size);
            if (len)
                memcpy(p->data + pos, src, len);
            if (end > p->size)
                p->size = (uint32_t)end;
            return 0;
        }
        /* Grows out of the metadata: move the inline bytes into a block. */
        uint32_t old = p->size;
        p->is_inline = false;
        p->size = 0;
        int err = write_blocks(f, 0, p->data, old);
        if (err)
            return err;
    }
    while (p->size < pos) {
        uint32_t gap = pos - p->size;
        int err = write_blocks(f, p->size, zeros, gap < sizeof zeros ? gap : sizeof zeros);
        if (err)
            return err;
    }
    return write_blocks(f, pos, src, len);
}

int ffs_write(struct ffs_file *f, const void *buf, size_t len)
{
    if (!(f->flags & FFS_O_WRONLY))
        return -EBADF;
    if (f->fs->broken)
        return -EIO;
    if (f->flags & FFS_O_APPEND)
        f->pos = f->pend.size;
    if ((uint64_t)f->pos + len > FFS_FILE_MAX)
        return -EFBIG;
    if (len == 0)
        return 0;
    f->dirty = true;
    int err = write_at(f, f->pos, buf, len);
    if (err)
        return err;
    f->pos += (uint32_t)len;
    return (int)len;
}

int ffs_read(struct ffs_file *f, void *buf, size_t len)
{
    if (!(f->flags & FFS_O_RDONLY))
        return -EBADF;
    struct ffs *fs = f->fs;
    struct inode *p = &f->pend;
    if (f->pos >= p->size || len == 0)
        return 0;
    if (len > p->size - f->pos)
        len = p->size - f->pos;
    if (len > INT32_MAX)
        len = INT32_MAX;
    if (p->is_inline) {
        memcpy(buf, p->data + f->pos, len);
    } else {
        uint8_t *dst = buf;
        uint32_t pos = f->pos, bs = fs->bd.block_size;
        size_t left = len;
        while (left > 0) {
            uint32_t n = bs - pos % bs;
            if (n > left)
                n = (uint32_t)left;
            int err = fs->bd.read(fs->bd.ctx, p->blocks[pos / bs].block, pos % bs, dst, n);
            if (err)
                return err;
            pos += n;
            dst += n;
            left -= n;
        }
    }
    f->pos += (uint32_t)len;
    return (int)len;
}

int ffs_seek(struct ffs_file *f, int64_t off, enum ffs_whence whence)
{
    int64_t base;
    if (whence == FFS_SEEK_SET)
        base = 0;
    else if (whence == FFS_SEEK_CUR)
        base = f->pos;
    else if (whence == FFS_SEEK_END)
        base = f->pend.size;
    else
        return -EINVAL;
    if (off > FFS_FILE_MAX || off < -(int64_t)FFS_FILE_MAX)
        return -EINVAL;
    int64_t pos = base + off;
    if (pos < 0 || pos > FFS_FILE_MAX)
        return -EINVAL;
    f->pos = (uint32_t)pos;
    return (int)pos;
}

static int truncate_pending(struct ffs_file *f, uint32_t size)
{
    struct ffs *fs = f->fs;
    struct inode *p = &f->pend;
    f->dirty = true;
    if (size > p->size)
        return write_at(f, size, NULL, 0);
    if (size == 0) {
        p->is_inline = true;
        p->nblocks = 0;
    } else if (!p->is_inline) {
        p->nblocks = blocks_for(fs, size);
        struct bref *last = &p->blocks[p->nblocks - 1];
        if (last->crc_len != fill_of(fs, size, p->nblocks - 1))
            last->crc_len = CRC_STALE;
    }
    p->size = size;
    return 0;
}

int ffs_truncate(struct ffs_file *f, uint32_t size)
{
    if (!(f->flags & FFS_O_WRONLY))
        return -EBADF;
    if (f->fs->broken)
        return -EIO;
    if (size > FFS_FILE_MAX)
        return -EFBIG;
    return truncate_pending(f, size);
}

int ffs_sync(struct ffs_file *f)
{
    struct ffs *fs = f->fs;
    if (!f->dirty)
        return 0;
    if (fs->broken)
        return -EIO;
    struct inode *p = &f->pend;
    for (uint32_t i = 0; i < p->nblocks; i++) {
        uint32_t fill = fill_of(fs, p->size, i);
        if (p->blocks[i].crc_len == fill)
            continue;
        int err = io_fail(fs, fs->bd.read(fs->bd.ctx, p->blocks[i].block, 0, fs->buf, fill));
        if (err)
            return err;
        p->blocks[i].crc = crc(fs->buf, fill);
        p->blocks[i].crc_len = fill;
    }
    const struct inode *n = find_id(fs, f->id);
    if (!n)
        return -ENOENT;
    struct inode rec = *n;
    rec.size = p->size;
    rec.is_inline = p->is_inline;
    rec.data = p->data;
    rec.blocks = p->blocks;
    rec.nblocks = p->is_inline ? 0 : p->nblocks;
    struct strbuf ops = {0};
    int err = emit_put(&ops, &rec);
    if (!err)
        err = commit(fs, &ops);
    strbuf_free(&ops);
    if (!err)
        f->dirty = false;
    return err;
}

int ffs_close(struct ffs_file *f)
{
    if (!f)
        return 0;
    int err = ffs_sync(f);
    for (struct ffs_file **pp = &f->fs->files; *pp; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    file_free(f);
    return err;
}

int ffs_unmount(struct ffs *fs)
{
    if (!fs)
        return 0;
    int first = 0;
    while (fs->files) {
        int err = ffs_close(fs->files);
        if (err && !first)
            first = err;
    }
    fs_free(fs);
    return first;
}
