/* SPDX-License-Identifier: MIT */
/* imgpkg.c — image-package writer and bounds-checked reader (see imgpkg.h, docs/image-package.md). */
#include "imgpkg.h"

#include "bytes.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "strbuf.h"

#define SUPERBLOCK_SIZE 64u
#define INODE_SIZE 12u
#define MODE_DIR 0040755u
#define MODE_FILE 0101644u
#define MODE_EXEC 0101755u
#define S_TYPE_MASK 0170000u
#define S_TYPE_DIR 0040000u
#define S_TYPE_REG 0100000u
#define S_SETUID 04000u
#define S_SETGID 02000u
#define CRC_OFFSET 32u
#define MAX_INODES 4096u

static const char fs_signature[16] = "Compressed ROMFS";
static const char fs_name[16] = "Compressed";


static int fail(struct imgpkg_error *err, const char *code, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct imgpkg_error *err, const char *code, size_t offset, const char *fmt, ...)
{
    if (err) {
        err->code = code;
        err->offset = offset;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

void imgpkg_guid_to_bytes_le(const struct guid *g, uint8_t out[16])
{
    static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    for (int i = 0; i < 16; i++)
        out[i] = g->bytes[order[i]];
}

void imgpkg_guid_from_bytes_le(const uint8_t in[16], struct guid *g)
{
    static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    for (int i = 0; i < 16; i++)
        g->bytes[order[i]] = in[i];
}

const char *imgpkg_type_name(uint16_t image_type)
{
    switch (image_type) {
    case IMGPKG_TYPE_APPLICATION: return "Application";
    case IMGPKG_TYPE_FIRMWARE_CONFIG: return "FirmwareConfig";
    case IMGPKG_TYPE_BOARD_CONFIG: return "CustomerBoardConfig";
    default: return "Other";
    }
}

/* ---- building ----------------------------------------------------------------------------- */

struct node {
    const char *name; /* points into a file path */
    size_t name_len;
    bool is_dir;
    const struct imgpkg_input_file *file;
    struct node **children;
    size_t child_count;
    uint8_t *inode; /* where this node's inode is written */
};

static void free_tree(struct node *n)
{
    for (size_t i = 0; i < n->child_count; i++)
        free_tree(n->children[i]);
    free(n->children);
    free(n);
}

static int check_path(const char *path, struct imgpkg_error *err)
{
    if (!path[0])
        return fail(err, "bad-path", 0, "an empty file path");
    if (path[0] == '/')
        return fail(err, "bad-path", 0, "\"%s\" is absolute; paths inside a package are relative", path);
    for (const char *c = path; *c;) {
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return fail(err, "bad-path", 0, "\"%s\" has an empty, '.' or '..' component", path);
        if (n > IMGPKG_MAX_NAME)
            return fail(err, "bad-path", 0, "\"%s\" has a component longer than %u bytes", path, IMGPKG_MAX_NAME);
        c += n + (slash ? 1 : 0);
        if (slash && !*c)
            return fail(err, "bad-path", 0, "\"%s\" ends with '/'", path);
    }
    return 0;
}

static struct node *child_named(struct node *dir, const char *name, size_t len)
{
    for (size_t i = 0; i < dir->child_count; i++)
        if (dir->children[i]->name_len == len && memcmp(dir->children[i]->name, name, len) == 0)
            return dir->children[i];
    return NULL;
}

static int add_child(struct node *dir, struct node *child)
{
    struct node **c = realloc(dir->children, (dir->child_count + 1) * sizeof *c);
    if (!c) {
        free(child);
        return -ENOMEM;
    }
    dir->children = c;
    c[dir->child_count++] = child;
    return 0;
}

static int insert_file(struct node *root, const struct imgpkg_input_file *f, struct imgpkg_error *err)
{
    struct node *dir = root;
    for (const char *c = f->path;;) {
        const char *slash = strchr(c, '/');
        size_t n = slash ? (size_t)(slash - c) : strlen(c);
        struct node *existing = child_named(dir, c, n);
        if (!slash) {
            if (existing)
                return fail(err, "duplicate-path", 0, "\"%s\" is given twice (or is also a folder)", f->path);
            struct node *leaf = calloc(1, sizeof *leaf);
            if (!leaf)
                return -ENOMEM;
            *leaf = (struct node){.name = c, .name_len = n, .file = f};
            return add_child(dir, leaf);
        }
        if (existing && !existing->is_dir)
            return fail(err, "duplicate-path", 0, "\"%.*s\" is both a file and a folder", (int)(slash - f->path), f->path);
        if (!existing) {
            existing = calloc(1, sizeof *existing);
            if (!existing)
                return -ENOMEM;
            *existing = (struct node){.name = c, .name_len = n, .is_dir = true};
            int e = add_child(dir, existing);
            if (e)
                return e;
        }
        dir = existing;
        c = slash + 1;
    }
}

static int compare_nodes(const void *a, const void *b)
{
    const struct node *x = *(struct node *const *)a, *y = *(struct node *const *)b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->name, y->name, n);
    return c ? c : (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

static size_t padded_name(size_t len) { return (len + 3) & ~(size_t)3; }

static void sort_and_measure(struct node *n, size_t *table_bytes, size_t *inodes)
{
    if (n->child_count)
        qsort(n->children, n->child_count, sizeof *n->children, compare_nodes);
    (*inodes)++;
    for (size_t i = 0; i < n->child_count; i++) {
        *table_bytes += INODE_SIZE + padded_name(n->children[i]->name_len);
        if (n->children[i]->is_dir)
            sort_and_measure(n->children[i], table_bytes, inodes);
        else
            (*inodes)++;
    }
}

static void write_inode(uint8_t *p, uint32_t mode, uint32_t size, size_t name_len, uint32_t offset)
{
    bytes_put_le32(p, mode & 0xFFFF);                                    /* mode:16, uid:16 = 0 */
    bytes_put_le32(p + 4, size & 0xFFFFFF);                              /* size:24, gid:8 = 0 */
    bytes_put_le32(p + 8, (uint32_t)(padded_name(name_len) / 4) | (offset / 4) << 6); /* namelen:6, offset:26 */
}

struct layout {
    uint8_t *body;
    size_t table_at; /* next free byte in the directory tables */
    size_t data_at;  /* next free page for file data */
};

/* Writes `dir`'s child table (breadth-first: tables of subfolders follow later). */
static void lay_out_dir(struct layout *l, struct node *dir)
{
    size_t start = l->table_at;
    for (size_t i = 0; i < dir->child_count; i++) {
        struct node *c = dir->children[i];
        c->inode = l->body + l->table_at;
        memcpy(l->body + l->table_at + INODE_SIZE, c->name, c->name_len);
        l->table_at += INODE_SIZE + padded_name(c->name_len);
    }
    uint32_t size = (uint32_t)(l->table_at - start);
    write_inode(dir->inode, MODE_DIR, size, dir->name_len, dir->child_count ? (uint32_t)start : 0);
    for (size_t i = 0; i < dir->child_count; i++)
        if (dir->children[i]->is_dir)
            lay_out_dir(l, dir->children[i]);
}

static void lay_out_files(struct layout *l, struct node *dir)
{
    for (size_t i = 0; i < dir->child_count; i++) {
        struct node *c = dir->children[i];
        if (c->is_dir) {
            lay_out_files(l, c);
            continue;
        }
        uint32_t offset = 0;
        if (c->file->size) {
            offset = (uint32_t)l->data_at;
            memcpy(l->body + l->data_at, c->file->data, c->file->size);
            l->data_at += (c->file->size + IMGPKG_PAGE - 1) / IMGPKG_PAGE * IMGPKG_PAGE;
        }
        write_inode(c->inode, c->file->executable ? MODE_EXEC : MODE_FILE, (uint32_t)c->file->size, c->name_len, offset);
    }
}

static size_t data_pages(const struct node *dir)
{
    size_t bytes = 0;
    for (size_t i = 0; i < dir->child_count; i++) {
        const struct node *c = dir->children[i];
        bytes += c->is_dir ? data_pages(c) : (c->file->size + IMGPKG_PAGE - 1) / IMGPKG_PAGE * IMGPKG_PAGE;
    }
    return bytes;
}

/* Writes ID, SG, DB, then TP and ND when `with_optional` (packages always carry them). */
static size_t write_sections(uint8_t *p, const struct imgpkg_metadata *m, bool with_temporary, bool with_depends)
{
    uint8_t *start = p;
    bytes_put_le32(p, IMGPKG_METADATA_MAGIC);
    bytes_put_le32(p + 4, 3u + with_temporary + with_depends);
    p += 8;
    bytes_put_le16(p, IMGPKG_SECTION_IDENTITY), bytes_put_le16(p + 2, 36), p += 4;
    bytes_put_le16(p, m->image_type), bytes_put_le16(p + 2, 0);
    imgpkg_guid_to_bytes_le(&m->component_id, p + 4);
    imgpkg_guid_to_bytes_le(&m->image_id, p + 20);
    p += 36;
    bytes_put_le16(p, IMGPKG_SECTION_SIGNATURE), bytes_put_le16(p + 2, 24), p += 4;
    memcpy(p, m->thumbprint, 20), bytes_put_le32(p + 20, m->signing_type), p += 24;
    bytes_put_le16(p, IMGPKG_SECTION_DEBUG), bytes_put_le16(p + 2, 40), p += 4;
    bytes_put_le64(p, m->build_time);
    memset(p + 8, 0, 32);
    memcpy(p + 8, m->name, strnlen(m->name, 31));
    p += 40;
    if (with_temporary) {
        bytes_put_le16(p, IMGPKG_SECTION_TEMPORARY), bytes_put_le16(p + 2, 4), p += 4;
        bytes_put_le32(p, m->temporary_flags), p += 4;
    }
    if (with_depends) {
        bytes_put_le16(p, IMGPKG_SECTION_ABI_DEPENDS), bytes_put_le16(p + 2, (uint16_t)(4 + 8 * m->depends_count)), p += 4;
        bytes_put_le32(p, m->depends_count), p += 4;
        for (uint32_t i = 0; i < m->depends_count; i++, p += 8)
            bytes_put_le32(p, m->depends[i].version), bytes_put_le32(p + 4, m->depends[i].type);
    }
    size_t len = (size_t)(p - start) + 4;
    bytes_put_le32(p, (uint32_t)len);
    return len;
}

size_t imgpkg_write_metadata(uint8_t *out, const struct imgpkg_metadata *meta)
{
    return write_sections(out, meta, meta->has_temporary, meta->has_depends);
}

int imgpkg_build(const struct imgpkg_input_file *files, size_t count, const struct imgpkg_metadata *meta,
                 uint8_t **out, size_t *out_len, struct imgpkg_error *err)
{
    *out = NULL;
    if (count > IMGPKG_MAX_FILES)
        return fail(err, "too-many-files", 0, "%zu files; a package holds at most %d", count, IMGPKG_MAX_FILES);
    if (meta->depends_count > IMGPKG_MAX_ABIS)
        return fail(err, "bad-section", 0, "too many ABI dependencies");
    struct node *root = calloc(1, sizeof *root);
    if (!root)
        return -ENOMEM;
    root->is_dir = true;
    int rc = 0;
    for (size_t i = 0; i < count && !rc; i++) {
        rc = check_path(files[i].path, err);
        if (!rc && files[i].size > IMGPKG_MAX_FILE_SIZE)
            rc = fail(err, "file-too-large", 0, "\"%s\" is %zu bytes; a file holds at most %u", files[i].path,
                      files[i].size, IMGPKG_MAX_FILE_SIZE);
        if (!rc)
            rc = insert_file(root, &files[i], err);
    }
    if (rc) {
        free_tree(root);
        return rc;
    }
    size_t table_bytes = 0, inodes = 0;
    sort_and_measure(root, &table_bytes, &inodes);
    size_t data_start = (SUPERBLOCK_SIZE + INODE_SIZE + table_bytes + IMGPKG_PAGE - 1) / IMGPKG_PAGE * IMGPKG_PAGE;
    size_t body_size = data_start + data_pages(root);
    size_t total = body_size + 8 + 40 + 28 + 44 + 8 + 8 + 8 * meta->depends_count + 4;
    uint8_t *buf = calloc(1, total);
    if (!buf) {
        free_tree(root);
        return -ENOMEM;
    }
    bytes_put_le32(buf, IMGPKG_FS_MAGIC);
    bytes_put_le32(buf + 4, (uint32_t)body_size);
    bytes_put_le32(buf + 8, IMGPKG_FS_FLAGS);
    memcpy(buf + 16, fs_signature, 16);
    bytes_put_le32(buf + 44, (uint32_t)inodes);
    memcpy(buf + 48, fs_name, 16);
    root->inode = buf + SUPERBLOCK_SIZE;
    struct layout l = {.body = buf, .table_at = SUPERBLOCK_SIZE + INODE_SIZE, .data_at = data_start};
    lay_out_dir(&l, root);
    lay_out_files(&l, root);
    bytes_put_le32(buf + CRC_OFFSET, (uint32_t)crc32(0L, buf, (uInt)body_size));
    size_t meta_len = write_sections(buf + body_size, meta, true, true);
    free_tree(root);
    *out = buf;
    *out_len = body_size + meta_len;
    return 0;
}

/* ---- reading ------------------------------------------------------------------------------ */

struct extent {
    size_t start, end;
};

struct reader {
    const uint8_t *body;
    size_t body_size;
    struct imgpkg *pkg;
    struct imgpkg_error *err;
    struct extent *extents;
    size_t extent_count;
    size_t inodes;
};

static int claim_extent(struct reader *r, size_t start, size_t len, const char *what)
{
    if (len == 0)
        return 0;
    if (start > r->body_size || len > r->body_size - start)
        return fail(r->err, "bad-extent", start, "%s at offset %zu (%zu bytes) runs past the file system's end (%zu)",
                    what, start, len, r->body_size);
    for (size_t i = 0; i < r->extent_count; i++)
        if (start < r->extents[i].end && r->extents[i].start < start + len)
            return fail(r->err, "overlap", start, "%s at offset %zu overlaps other data at offset %zu", what, start,
                        r->extents[i].start);
    struct extent *e = realloc(r->extents, (r->extent_count + 1) * sizeof *e);
    if (!e)
        return -ENOMEM;
    r->extents = e;
    e[r->extent_count++] = (struct extent){start, start + len};
    return 0;
}

struct inode {
    uint32_t mode, size, name_len, offset;
};

static struct inode read_inode(const uint8_t *p)
{
    uint32_t w0 = bytes_le32(p), w1 = bytes_le32(p + 4), w2 = bytes_le32(p + 8);
    return (struct inode){w0 & 0xFFFF, w1 & 0xFFFFFF, (w2 & 0x3F) * 4, (w2 >> 6) * 4};
}

static int add_file(struct reader *r, const char *path, const struct inode *in)
{
    struct imgpkg *pkg = r->pkg;
    struct imgpkg_file *f = realloc(pkg->files, (pkg->file_count + 1) * sizeof *f);
    if (!f)
        return -ENOMEM;
    pkg->files = f;
    char *copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    f[pkg->file_count++] = (struct imgpkg_file){copy, r->body + in->offset, in->size, (uint16_t)in->mode};
    return 0;
}

static int walk_dir(struct reader *r, const struct inode *dir, const char *prefix, unsigned depth)
{
    if (depth > IMGPKG_MAX_DEPTH)
        return fail(r->err, "too-deep", dir->offset, "folders nested deeper than %d", IMGPKG_MAX_DEPTH);
    int e = claim_extent(r, dir->offset, dir->size, "a folder's entries");
    if (e)
        return e;
    if (dir->size && dir->offset < SUPERBLOCK_SIZE + INODE_SIZE)
        return fail(r->err, "overlap", dir->offset, "a folder's entries overlap the superblock");
    char prev[IMGPKG_MAX_NAME + 1] = "";
    for (size_t at = dir->offset; at < (size_t)dir->offset + dir->size;) {
        if (++r->inodes > MAX_INODES)
            return fail(r->err, "too-many-files", at, "more than %u entries", MAX_INODES);
        if ((size_t)dir->offset + dir->size - at < INODE_SIZE)
            return fail(r->err, "bad-inode", at, "a folder's entries end inside an entry");
        struct inode in = read_inode(r->body + at);
        size_t name_at = at + INODE_SIZE;
        if (in.name_len == 0 || in.name_len > (size_t)dir->offset + dir->size - name_at)
            return fail(r->err, "bad-inode", at, "an entry's name is empty or runs past its folder's entries");
        char name[IMGPKG_MAX_NAME + 1];
        size_t n = strnlen((const char *)r->body + name_at, in.name_len);
        memcpy(name, r->body + name_at, n);
        name[n] = '\0';
        for (size_t i = n; i < in.name_len; i++)
            if (r->body[name_at + i])
                return fail(r->err, "bad-name", name_at, "bytes after the end of name \"%s\" are not zero", name);
        if (n == 0 || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
            return fail(r->err, "bad-path", name_at, "entry name \"%s\" is empty, contains '/', or is '.' or '..'", name);
        if (prev[0] && strcmp(prev, name) >= 0)
            return fail(r->err, "unsorted", name_at, "entry \"%s\" is not after \"%s\": folders must be sorted, without repeats",
                        name, prev);
        memcpy(prev, name, n + 1);
        char path[4096];
        if (snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "/" : "", name) >= (int)sizeof path)
            return fail(r->err, "bad-path", name_at, "a path longer than %zu bytes", sizeof path);
        if (in.mode & (S_SETUID | S_SETGID))
            return fail(r->err, "setuid", at, "\"%s\" has the set-user-ID or set-group-ID bit (mode 0%o)", path, in.mode);
        if ((in.mode & S_TYPE_MASK) == S_TYPE_DIR) {
            r->pkg->dir_count++;
            e = walk_dir(r, &in, path, depth + 1);
        } else if ((in.mode & S_TYPE_MASK) == S_TYPE_REG) {
            if (in.size && in.offset % IMGPKG_PAGE)
                return fail(r->err, "misaligned", at, "\"%s\"'s data at offset %u is not page-aligned", path, in.offset);
            if (in.size && in.offset < SUPERBLOCK_SIZE + INODE_SIZE)
                return fail(r->err, "overlap", at, "\"%s\"'s data overlaps the superblock", path);
            e = claim_extent(r, in.offset, in.size, "file data");
            if (!e)
                e = add_file(r, path, &in);
        } else {
            return fail(r->err, "special-file", at, "\"%s\" is neither a regular file nor a folder (mode 0%o)", path,
                        in.mode);
        }
        if (e)
            return e;
        at = name_at + in.name_len;
    }
    return 0;
}

static int parse_fs(const uint8_t *body, size_t size, struct imgpkg *pkg, struct imgpkg_error *err)
{
    if (size < SUPERBLOCK_SIZE + INODE_SIZE)
        return fail(err, "too-small", 0, "the file system is %zu bytes, smaller than its superblock", size);
    if (bytes_le32(body) != IMGPKG_FS_MAGIC)
        return fail(err, "bad-fs-magic", 0, "the file system's magic is 0x%08x, not 0x%08x", bytes_le32(body), IMGPKG_FS_MAGIC);
    if (bytes_le32(body + 4) != size)
        return fail(err, "bad-fs-size", 4, "the file system says it is %u bytes, but the metadata starts at %zu",
                    bytes_le32(body + 4), size);
    if (size % IMGPKG_PAGE)
        return fail(err, "bad-fs-size", 4, "the file system's size %zu is not a multiple of %u", size, IMGPKG_PAGE);
    if (bytes_le32(body + 8) != IMGPKG_FS_FLAGS || bytes_le32(body + 12) != 0)
        return fail(err, "bad-fs-flags", 8, "unsupported file-system flags 0x%x (expected 0x%x)", bytes_le32(body + 8),
                    IMGPKG_FS_FLAGS);
    if (memcmp(body + 16, fs_signature, 16) != 0)
        return fail(err, "bad-fs-magic", 16, "the file system's signature is not \"Compressed ROMFS\"");
    uint32_t stored = bytes_le32(body + CRC_OFFSET);
    uLong crc = crc32(0L, body, CRC_OFFSET);
    static const uint8_t zero[4];
    crc = crc32(crc, zero, 4);
    crc = crc32(crc, body + CRC_OFFSET + 4, (uInt)(size - CRC_OFFSET - 4));
    if ((uint32_t)crc != stored)
        return fail(err, "bad-crc", CRC_OFFSET, "the file system's CRC-32 is 0x%08x but its contents give 0x%08x",
                    stored, (uint32_t)crc);
    struct inode root = read_inode(body + SUPERBLOCK_SIZE);
    if ((root.mode & S_TYPE_MASK) != S_TYPE_DIR)
        return fail(err, "bad-inode", SUPERBLOCK_SIZE, "the root is not a folder");
    struct reader r = {.body = body, .body_size = size, .pkg = pkg, .err = err, .inodes = 1};
    int e = walk_dir(&r, &root, "", 0);
    free(r.extents);
    if (e)
        return e;
    if (bytes_le32(body + 44) != r.inodes)
        return fail(err, "bad-file-count", 44, "the superblock counts %u entries but the file system has %zu",
                    bytes_le32(body + 44), r.inodes);
    return 0;
}

static int parse_section(const uint8_t *p, uint16_t id, uint16_t len, size_t at, struct imgpkg_metadata *m,
                         struct imgpkg_error *err)
{
    static const struct {
        uint16_t id;
        uint16_t len; /* 0 = variable */
        const char *name;
    } known[] = {{IMGPKG_SECTION_IDENTITY, 36, "Identity"},  {IMGPKG_SECTION_SIGNATURE, 24, "Signature"},
                 {IMGPKG_SECTION_DEBUG, 40, "Debug"},        {IMGPKG_SECTION_TEMPORARY, 4, "TemporaryImage"},
                 {IMGPKG_SECTION_ABI_DEPENDS, 0, "ABIDepends"}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (known[i].id == id && known[i].len && known[i].len != len)
            return fail(err, "bad-section-length", at, "the %s section is %u bytes, not %u", known[i].name, len,
                        known[i].len);
    switch (id) {
    case IMGPKG_SECTION_IDENTITY:
        m->image_type = bytes_le16(p);
        imgpkg_guid_from_bytes_le(p + 4, &m->component_id);
        imgpkg_guid_from_bytes_le(p + 20, &m->image_id);
        return 0;
    case IMGPKG_SECTION_SIGNATURE:
        memcpy(m->thumbprint, p, 20);
        m->signing_type = bytes_le32(p + 20);
        return 0;
    case IMGPKG_SECTION_DEBUG:
        m->build_time = bytes_le64(p);
        if (memchr(p + 8, 0, 32) == NULL)
            return fail(err, "bad-name", at + 12, "the image name is not NUL-terminated within 32 bytes");
        memcpy(m->name, p + 8, 32);
        return 0;
    case IMGPKG_SECTION_TEMPORARY:
        m->temporary_flags = bytes_le32(p);
        m->has_temporary = true;
        return 0;
    case IMGPKG_SECTION_ABI_DEPENDS: {
        uint32_t n = len >= 4 ? bytes_le32(p) : UINT32_MAX;
        if (n > IMGPKG_MAX_ABIS || len != 4 + 8 * n)
            return fail(err, "bad-section-length", at, "the ABIDepends section's length %u does not fit its count", len);
        m->depends_count = n;
        m->has_depends = true;
        for (uint32_t i = 0; i < n; i++)
            m->depends[i] = (struct imgpkg_abi){bytes_le32(p + 4 + 8 * i), bytes_le32(p + 8 + 8 * i)};
        return 0;
    }
    default:
        return 0; /* other sections are carried, not interpreted */
    }
}

static int parse_metadata(const uint8_t *data, size_t start, size_t end, struct imgpkg_metadata *m,
                          struct imgpkg_error *err)
{
    if (bytes_le32(data + start) != IMGPKG_METADATA_MAGIC)
        return fail(err, "bad-metadata-magic", start, "no metadata magic (\"4X4M\") at offset %zu", start);
    uint32_t count = bytes_le32(data + start + 4);
    size_t at = start + 8;
    uint32_t seen = 0; /* bit per known section */
    for (uint32_t i = 0; i < count; i++) {
        if (end - at < 4)
            return fail(err, "bad-section", at, "section %u of %u starts past the metadata's end", i + 1, count);
        uint16_t id = bytes_le16(data + at), len = bytes_le16(data + at + 2);
        if (end - at - 4 < len)
            return fail(err, "bad-section", at, "section %u (%zu bytes) runs past the metadata's end", i + 1, (size_t)len);
        int bit = id == IMGPKG_SECTION_IDENTITY ? 1 : id == IMGPKG_SECTION_SIGNATURE ? 2 : id == IMGPKG_SECTION_DEBUG ? 4
                : id == IMGPKG_SECTION_TEMPORARY ? 8 : id == IMGPKG_SECTION_ABI_DEPENDS ? 16 : 0;
        if (seen & (uint32_t)bit)
            return fail(err, "duplicate-section", at, "section \"%c%c\" appears twice", id & 0xFF, id >> 8);
        seen |= (uint32_t)bit;
        int e = parse_section(data + at + 4, id, len, at, m, err);
        if (e)
            return e;
        at += 4 + (size_t)len;
    }
    if (at != end)
        return fail(err, "bad-section", at, "%zu bytes after the last section", end - at);
    if ((seen & 7) != 7)
        return fail(err, "missing-section", start, "the %s section is missing",
                    !(seen & 1) ? "Identity" : !(seen & 2) ? "Signature" : "Debug");
    return 0;
}

int imgpkg_parse_metadata(const uint8_t *data, size_t len, struct imgpkg_metadata *meta, size_t *body_size,
                          struct imgpkg_error *err)
{
    memset(meta, 0, sizeof *meta);
    const size_t sig = IMGPKG_SIGNATURE_SIZE;
    if (len < sig + 12)
        return fail(err, "too-small", 0, "%zu bytes is too small for signed metadata", len);
    size_t meta_end = len - sig - 4;
    uint32_t meta_len = bytes_le32(data + meta_end);
    if (meta_len < 12 || meta_len > len - sig)
        return fail(err, "bad-metadata-length", meta_end, "the metadata length %u does not fit a %zu-byte file",
                    meta_len, len);
    size_t meta_start = len - sig - meta_len;
    int e = parse_metadata(data, meta_start, meta_end, meta, err);
    if (!e)
        *body_size = meta_start;
    return e;
}

int imgpkg_parse(const uint8_t *data, size_t len, struct imgpkg *out, struct imgpkg_error *err)
{
    memset(out, 0, sizeof *out);
    if (len < IMGPKG_SIGNATURE_SIZE + 12 + SUPERBLOCK_SIZE)
        return fail(err, "too-small", 0, "%zu bytes is too small for an image package", len);
    size_t body = 0;
    int e = imgpkg_parse_metadata(data, len, &out->meta, &body, err);
    if (!e)
        e = parse_fs(data, body, out, err);
    if (e) {
        imgpkg_free(out);
        return e;
    }
    out->body_size = body;
    out->metadata_offset = body;
    out->signed_size = len - IMGPKG_SIGNATURE_SIZE;
    out->signature = data + len - IMGPKG_SIGNATURE_SIZE;
    out->signature_size = IMGPKG_SIGNATURE_SIZE;
    return 0;
}

void imgpkg_free(struct imgpkg *pkg)
{
    for (size_t i = 0; i < pkg->file_count; i++)
        free(pkg->files[i].path);
    free(pkg->files);
    pkg->files = NULL;
    pkg->file_count = 0;
}

const struct imgpkg_file *imgpkg_find(const struct imgpkg *pkg, const char *path)
{
    for (size_t i = 0; i < pkg->file_count; i++)
        if (strcmp(pkg->files[i].path, path) == 0)
            return &pkg->files[i];
    return NULL;
}
