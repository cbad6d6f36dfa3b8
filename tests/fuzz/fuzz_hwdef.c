/* SPDX-License-Identifier: MIT */
/* fuzz_hwdef.c — a hardware definition (the fuzz input) importing known-good files: loading,
 * validation and header generation must never crash or leak. */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_fixtures.h"
#include "hwdef.h"
#include "memfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    struct memfs fs;
    memfs_init(&fs);
    memfs_add(&fs, "/hw/chip.json", fuzz_chip, 0);
    memfs_add(&fs, "/hw/board.json", fuzz_board, 0);
    memfs_add(&fs, "/hw/fuzz.json", (const char *)data, size);
    struct hwdef_search search = {.sdk_dir = "/sdk"};
    struct diag_list diags = {0};
    struct hwdef_set *set = NULL;
    int err = hwdef_load("/hw/fuzz.json", &search, &fs.io, &diags, &set);
    if (set && err == 0) {
        struct strbuf header = {0};
        hwdef_generate_header(set->root, &header);
        strbuf_free(&header);
        for (size_t i = 0; i < set->root->peripheral_count; i++)
            hwdef_resolve(&set->root->peripherals[i]);
    }
    hwdef_set_free(set);
    diag_list_free(&diags);
    return 0;
}
