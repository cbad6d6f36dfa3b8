/* SPDX-License-Identifier: MIT */
/* fuzz_mcu_image.c — the MCU image parser on any bytes: never crash or read out of bounds;
 * whatever it accepts lies inside the input. Inputs whose last byte is odd get their SHA-256
 * TLV recomputed first so mutations also reach the accepted path. Also feeds the same bytes to
 * the SMP serial receiver and the CBOR decoders. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcu_image.h"
#include "smp.h"

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    uint8_t *data = malloc(size ? size : 1);
    if (!data)
        return 0;
    memcpy(data, input, size);
    struct mcu_image_info info;
    char why[160];
    if (size > 40 && (input[size - 1] & 1) && mcu_image_parse(data, size, &info, NULL, 0) == 0) {
        /* find the SHA entry and make it right */
        for (uint32_t p = info.tlv_off + 4; p + 36 <= info.total_size; p++)
            if (data[p] == 0x10 && data[p + 1] == 0 && data[p + 2] == 32 && data[p + 3] == 0) {
                mcu_sha256(data, (size_t)info.hdr_size + info.img_size, data + p + 4);
                break;
            }
    }
    int rc = mcu_image_verify(data, size, &info, why, sizeof why);
    if (rc == 0 && (info.total_size > size || info.tlv_off + info.tlv_size != info.total_size))
        abort();
    struct smp_rx rx;
    smp_rx_init(&rx);
    for (size_t off = 0; off < size;) {
        size_t used = 0;
        const uint8_t *pkt = NULL;
        int got = smp_rx_feed(&rx, data + off, size - off, &used, &pkt);
        if (got > 0 && (size_t)got > SMP_MAX_PACKET)
            abort();
        off += used;
    }
    static struct smp_upload_req up;
    struct smp_image_state st;
    struct smp_state_write_req sw;
    int r;
    smp_cbor_decode_upload_req(data, size, &up);
    smp_cbor_decode_image_state(data, size, &st, &r);
    smp_cbor_decode_state_write(data, size, &sw);
    free(data);
    return 0;
}
