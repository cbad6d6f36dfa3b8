/* SPDX-License-Identifier: MIT */
/* fuzz_manifest.c — manifest validation on any input, for a high-level app resolving names
 * through a small board definition: never crash or leak; an accepted manifest's normalised
 * form must itself validate. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_fixtures.h"
#include "manifest.h"
#include "memfs.h"

static struct hwdef_set *board;

static void load_board(void)
{
    static struct memfs fs;
    memfs_init(&fs);
    memfs_add(&fs, "/hw/chip.json", fuzz_chip, 0);
    memfs_add(&fs, "/hw/board.json", fuzz_board, 0);
    struct hwdef_search search = {0};
    struct diag_list diags = {0};
    if (hwdef_load("/hw/board.json", &search, &fs.io, &diags, &board) != 0)
        abort();
    diag_list_free(&diags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!board)
        load_board();
    struct manifest_context ctx = {.target = board, .chip = board};
    struct diag_list diags = {0};
    struct manifest *m = NULL;
    if (manifest_validate((const char *)data, size, "fuzz.json", &ctx, &diags, &m) == 0) {
        struct strbuf out = {0};
        if (json_write(m->normalized, JSON_COMPACT, &out) == 0) {
            struct diag_list d2 = {0};
            struct manifest *again = NULL;
            if (manifest_validate(out.data, out.len, "normalized.json", &ctx, &d2, &again) != 0)
                abort(); /* normalisation produced a manifest the validator refuses */
            manifest_free(again);
            diag_list_free(&d2);
        }
        strbuf_free(&out);
    }
    manifest_free(m);
    diag_list_free(&diags);
    return 0;
}
