/* SPDX-License-Identifier: MIT */
/* fuzz_imgpkg.c — the image-package reader on any bytes: never crash, leak or read out of
 * bounds; whatever it accepts must describe files that lie inside the input. For inputs whose
 * last byte is odd the file-system CRC is recomputed first, so mutations reach the directory
 * walker instead of stopping at the checksum. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "imgpkg.h"

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    uint8_t *data = malloc(size ? size : 1);
    if (!data)
        return 0;
    memcpy(data, input, size);
    if (size > 64 && (input[size - 1] & 1)) {
        uint32_t body = rd32(data + 4);
        if (body >= 64 && body <= size) {
            memset(data + 32, 0, 4);
            uint32_t crc = (uint32_t)crc32(0, data, (uInt)body);
            for (int i = 0; i < 4; i++)
                data[32 + i] = (uint8_t)(crc >> (8 * i));
        }
    }
    struct imgpkg pkg;
    struct imgpkg_error err;
    if (imgpkg_parse(data, size, &pkg, &err) == 0) {
        for (size_t i = 0; i < pkg.file_count; i++) {
            const struct imgpkg_file *f = &pkg.files[i];
            if (f->size && (f->data < data || f->data + f->size > data + pkg.body_size))
                abort();
            volatile uint8_t sink = 0;
            for (size_t k = 0; k < f->size; k++)
                sink ^= f->data[k];
            (void)sink;
        }
        imgpkg_free(&pkg);
    }
    free(data);
    return 0;
}
