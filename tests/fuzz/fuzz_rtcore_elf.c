/* SPDX-License-Identifier: MIT */
/* fuzz_rtcore_elf.c — the RTApp ELF loader on arbitrary bytes: never reads outside the input,
 * and whatever it accepts loads inside the core's memory regions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rtcore_elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rtcore_image img;
    struct rtcore_load_error err;
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size); /* exact-size heap copy so ASan sees any overread */
    if (rtcore_elf_parse(copy, size, &img, &err) == 0) {
        uint8_t *mem[RTCORE_REGION_COUNT];
        for (int i = 0; i < RTCORE_REGION_COUNT; i++)
            mem[i] = calloc(1, rtcore_regions[i].size);
        if (mem[0] && mem[1] && mem[2])
            rtcore_elf_load(&img, copy, mem);
        for (int i = 0; i < RTCORE_REGION_COUNT; i++)
            free(mem[i]);
    }
    free(copy);
    return 0;
}
