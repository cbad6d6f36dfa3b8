/* SPDX-License-Identifier: MIT */
/*
 * rtcore_elf.h — the RTApp ELF loader: checks an untrusted ELF32 ARM executable against the
 * MT3620 real-time core's memory map and copies its loadable segments into that memory.
 *
 * Memory (docs/rtcore.md): TCM 0x00100000 (192 KiB, rwx), XIP flash 0x10000000 (1 MiB, r-x),
 * SYSRAM 0x22000000 (64 KiB, rwx). Every PT_LOAD segment must lie entirely inside one region,
 * with p_filesz <= p_memsz and its file bytes inside the file; segments may not overlap. The
 * loader zero-fills from p_filesz to p_memsz (RTApps have no start-up code for .bss).
 *
 * The core boots like the platform boots an RTApp: VTOR = the lowest loaded address (the
 * vector table comes first), SP = word 0, PC = word 1. Word 0 must be a stack top inside a RAM
 * region (its end included) and 8-byte aligned; word 1 must have the Thumb bit set and point
 * into a loaded executable segment. Both words must come from file bytes.
 *
 * rtcore_elf_parse never trusts its input: it returns 0, or -ENOEXEC with a stable code and a
 * sentence in *err ("bad-magic", "segment-outside-memory", ...). It allocates nothing.
 */
#ifndef OPENSPHERE_RTCORE_ELF_H
#define OPENSPHERE_RTCORE_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rtcore_region_id { RTCORE_TCM, RTCORE_FLASH, RTCORE_SYSRAM, RTCORE_REGION_COUNT };

struct rtcore_region {
    const char *name;
    uint32_t base;
    uint32_t size;
    bool writable;
};

/* The three memory regions, indexed by enum rtcore_region_id. */
extern const struct rtcore_region rtcore_regions[RTCORE_REGION_COUNT];

#define RTCORE_MAX_SEGMENTS 16

struct rtcore_segment {
    uint32_t vaddr, memsz, offset, filesz;
    bool executable;
    enum rtcore_region_id region;
};

struct rtcore_image {
    uint32_t entry;       /* e_entry, informational */
    uint32_t vector_table;
    uint32_t initial_sp;
    uint32_t reset_pc;    /* with the Thumb bit */
    struct rtcore_segment segments[RTCORE_MAX_SEGMENTS];
    size_t segment_count;
};

struct rtcore_load_error {
    const char *code;
    char message[200];
};

int rtcore_elf_parse(const uint8_t *data, size_t len, struct rtcore_image *out, struct rtcore_load_error *err);

/* Copies the segments of a parsed image into region memory (mem[i] is rtcore_regions[i].size
 * bytes) and zero-fills their .bss parts. `data` must be the buffer that was parsed. */
void rtcore_elf_load(const struct rtcore_image *img, const uint8_t *data, uint8_t *const mem[RTCORE_REGION_COUNT]);

/* The region holding [addr, addr+len) entirely, or -1. len 0 means the single address. */
int rtcore_region_of(uint32_t addr, uint32_t len);

#endif
