/* SPDX-License-Identifier: MIT */
/* rtcore_elf.c — bounds-checked ELF32 ARM loader for RTApps (see rtcore_elf.h). */
#include "rtcore_elf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"

const struct rtcore_region rtcore_regions[RTCORE_REGION_COUNT] = {
    [RTCORE_TCM] = {"TCM", 0x00100000u, 192u * 1024u, true},
    [RTCORE_FLASH] = {"XIP flash", 0x10000000u, 1024u * 1024u, false},
    [RTCORE_SYSRAM] = {"SYSRAM", 0x22000000u, 64u * 1024u, true},
};

enum { EHDR_SIZE = 52, PHDR_SIZE = 32, PT_LOAD = 1, PF_X = 1, EM_ARM = 40, ET_EXEC = 2 };


__attribute__((format(printf, 3, 4))) static int refuse(struct rtcore_load_error *err, const char *code, const char *fmt, ...)
{
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -ENOEXEC;
}

int rtcore_region_of(uint32_t addr, uint32_t len)
{
    for (int i = 0; i < RTCORE_REGION_COUNT; i++) {
        uint64_t start = rtcore_regions[i].base, end = start + rtcore_regions[i].size;
        if (addr >= start && (uint64_t)addr + len <= end && (len > 0 || addr < end))
            return i;
    }
    return -1;
}

static int check_header(const uint8_t *d, size_t len, struct rtcore_load_error *err)
{
    if (len < EHDR_SIZE || memcmp(d, "\x7f" "ELF", 4) != 0)
        return refuse(err, "bad-magic", "not an ELF file");
    if (d[4] != 1 || d[5] != 1)
        return refuse(err, "bad-class", "not a 32-bit little-endian ELF file (class %u, data %u)", d[4], d[5]);
    if (bytes_le16(d + 16) != ET_EXEC)
        return refuse(err, "not-executable", "ELF type %u is not an executable (2)", bytes_le16(d + 16));
    if (bytes_le16(d + 18) != EM_ARM)
        return refuse(err, "wrong-machine", "ELF machine %u is not ARM (40)", bytes_le16(d + 18));
    uint32_t phoff = bytes_le32(d + 28);
    uint16_t phentsize = bytes_le16(d + 42), phnum = bytes_le16(d + 44);
    if (phnum == 0)
        return refuse(err, "no-segments", "the ELF file has no program headers");
    if (phentsize != PHDR_SIZE)
        return refuse(err, "bad-phentsize", "program header size %u is not %u", phentsize, PHDR_SIZE);
    if (phoff > len || (uint64_t)phnum * PHDR_SIZE > len - phoff)
        return refuse(err, "phdrs-outside-file", "program headers (%u at offset %u) run past the end of the %zu-byte file",
                      phnum, phoff, len);
    return 0;
}

static int add_segment(const uint8_t *ph, size_t len, struct rtcore_image *img, struct rtcore_load_error *err)
{
    uint32_t offset = bytes_le32(ph + 4), vaddr = bytes_le32(ph + 8), filesz = bytes_le32(ph + 16), memsz = bytes_le32(ph + 20);
    size_t n = img->segment_count;
    if (memsz == 0)
        return 0;
    if (n == RTCORE_MAX_SEGMENTS)
        return refuse(err, "too-many-segments", "more than %d loadable segments", RTCORE_MAX_SEGMENTS);
    if (filesz > memsz)
        return refuse(err, "bad-segment-size", "segment %zu at 0x%08x: file size %u exceeds memory size %u", n, vaddr,
                      filesz, memsz);
    if (offset > len || filesz > len - offset)
        return refuse(err, "segment-outside-file", "segment %zu at 0x%08x: bytes %u..%llu are outside the %zu-byte file",
                      n, vaddr, offset, (unsigned long long)offset + filesz, len);
    int region = rtcore_region_of(vaddr, memsz);
    if (region < 0)
        return refuse(err, "segment-outside-memory",
                      "segment %zu at 0x%08x (%u bytes) is not inside TCM, XIP flash or SYSRAM", n, vaddr, memsz);
    for (size_t i = 0; i < n; i++) {
        const struct rtcore_segment *s = &img->segments[i];
        if ((uint64_t)vaddr < (uint64_t)s->vaddr + s->memsz && (uint64_t)s->vaddr < (uint64_t)vaddr + memsz)
            return refuse(err, "overlapping-segments", "segments at 0x%08x and 0x%08x overlap", s->vaddr, vaddr);
    }
    img->segments[n] = (struct rtcore_segment){vaddr, memsz, offset, filesz, (bytes_le32(ph + 24) & PF_X) != 0,
                                               (enum rtcore_region_id)region};
    img->segment_count++;
    return 0;
}

/* The file bytes that load at `addr` (4 of them), or NULL. */
static const uint8_t *file_word(const struct rtcore_image *img, const uint8_t *data, uint32_t addr)
{
    for (size_t i = 0; i < img->segment_count; i++) {
        const struct rtcore_segment *s = &img->segments[i];
        if (addr >= s->vaddr && (uint64_t)addr + 4 <= (uint64_t)s->vaddr + s->filesz)
            return data + s->offset + (addr - s->vaddr);
    }
    return NULL;
}

static bool in_executable_segment(const struct rtcore_image *img, uint32_t addr)
{
    for (size_t i = 0; i < img->segment_count; i++) {
        const struct rtcore_segment *s = &img->segments[i];
        if (s->executable && addr >= s->vaddr && (uint64_t)addr + 2 <= (uint64_t)s->vaddr + s->memsz)
            return true;
    }
    return false;
}

static int check_vectors(const uint8_t *data, struct rtcore_image *img, struct rtcore_load_error *err)
{
    uint32_t lowest = UINT32_MAX;
    for (size_t i = 0; i < img->segment_count; i++)
        lowest = img->segments[i].vaddr < lowest ? img->segments[i].vaddr : lowest;
    img->vector_table = lowest;
    const uint8_t *sp = file_word(img, data, lowest), *pc = file_word(img, data, lowest + 4);
    if (!sp || !pc)
        return refuse(err, "no-vector-table", "no vector table: the first 8 bytes at 0x%08x are not in the file", lowest);
    img->initial_sp = bytes_le32(sp);
    img->reset_pc = bytes_le32(pc);
    int sp_region = rtcore_region_of(img->initial_sp - 4, 4);
    if (sp_region < 0 || !rtcore_regions[sp_region].writable || (img->initial_sp & 7))
        return refuse(err, "bad-initial-sp", "initial stack pointer 0x%08x is not an 8-byte aligned address in TCM or SYSRAM",
                      img->initial_sp);
    if (!(img->reset_pc & 1))
        return refuse(err, "bad-reset-vector", "reset vector 0x%08x lacks the Thumb bit", img->reset_pc);
    if (!in_executable_segment(img, img->reset_pc & ~1u))
        return refuse(err, "bad-reset-vector", "reset vector 0x%08x does not point into a loaded executable segment",
                      img->reset_pc);
    return 0;
}

int rtcore_elf_parse(const uint8_t *data, size_t len, struct rtcore_image *out, struct rtcore_load_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = check_header(data, len, err);
    if (rc)
        return rc;
    out->entry = bytes_le32(data + 24);
    uint32_t phoff = bytes_le32(data + 28);
    uint16_t phnum = bytes_le16(data + 44);
    for (uint16_t i = 0; i < phnum; i++) {
        const uint8_t *ph = data + phoff + (size_t)i * PHDR_SIZE;
        if (bytes_le32(ph) == PT_LOAD && (rc = add_segment(ph, len, out, err)))
            return rc;
    }
    if (out->segment_count == 0)
        return refuse(err, "no-segments", "the ELF file has no loadable segment");
    return check_vectors(data, out, err);
}

void rtcore_elf_load(const struct rtcore_image *img, const uint8_t *data, uint8_t *const mem[RTCORE_REGION_COUNT])
{
    for (size_t i = 0; i < img->segment_count; i++) {
        const struct rtcore_segment *s = &img->segments[i];
        uint8_t *dst = mem[s->region] + (s->vaddr - rtcore_regions[s->region].base);
        memcpy(dst, data + s->offset, s->filesz);
        memset(dst + s->filesz, 0, s->memsz - s->filesz);
    }
}
