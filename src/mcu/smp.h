/* SPDX-License-Identifier: MIT */
/*
 * smp.h — the mcumgr Simple Management Protocol over a serial line: the 8-byte SMP header, the
 * serial framing (docs/mcu.md "Serial framing"), CRC16 and base64, and (smp_cbor.c) the CBOR
 * payloads of the commands OpenSphere's MCU serves. Pure: no I/O, no allocation in the framing.
 *
 * Framing: a packet is sent as raw = BE16 length (SMP packet + 2) | SMP packet | BE16 CRC16
 * (CCITT/XMODEM: poly 0x1021, init 0, over the SMP packet only), cut into chunks of at most
 * SMP_FRAME_RAW_MAX bytes; each chunk becomes one line: 0x06 0x09 (first) or 0x04 0x14
 * (continuation), the chunk in base64 (padded), '\n' — at most 127 bytes with the marker and
 * newline. Anything else on the line (console text) is ignored up to its newline.
 *
 * The receiver (struct smp_rx) is a byte-stream state machine: malformed frames are dropped
 * with a negative code, and it resynchronises on the next 0x06 0x09 line. It never reads or
 * writes outside its own buffers, whatever the input.
 */
#ifndef OPENSPHERE_MCU_SMP_H
#define OPENSPHERE_MCU_SMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcu_image.h"

#define SMP_HDR_SIZE 8u
#define SMP_MAX_PACKET 2048u    /* header + CBOR: the largest packet either side accepts */
#define SMP_FRAME_MAX 127u      /* a line, marker and '\n' included */
#define SMP_FRAME_RAW_MAX 93u   /* raw bytes per line: 124 base64 characters */
/* Text size of a framed packet of n bytes (an upper bound). */
#define SMP_FRAMED_MAX(n) ((((n) + 4u + SMP_FRAME_RAW_MAX - 1u) / SMP_FRAME_RAW_MAX) * SMP_FRAME_MAX)

enum smp_op { SMP_OP_READ = 0, SMP_OP_READ_RSP = 1, SMP_OP_WRITE = 2, SMP_OP_WRITE_RSP = 3 };
enum smp_group { SMP_GROUP_OS = 0, SMP_GROUP_IMAGE = 1 };
enum smp_id {
    SMP_ID_OS_ECHO = 0, SMP_ID_OS_RESET = 5,                                   /* group 0 */
    SMP_ID_IMAGE_STATE = 0, SMP_ID_IMAGE_UPLOAD = 1, SMP_ID_IMAGE_ERASE = 5, /* group 1 */
};
/* mcumgr result codes (MGMT_ERR_*), carried as "rc" in a response map. */
enum smp_rc {
    SMP_RC_OK = 0, SMP_RC_EUNKNOWN = 1, SMP_RC_ENOMEM = 2, SMP_RC_EINVAL = 3, SMP_RC_ETIMEOUT = 4,
    SMP_RC_ENOENT = 5, SMP_RC_EBADSTATE = 6, SMP_RC_EMSGSIZE = 7, SMP_RC_ENOTSUP = 8,
    SMP_RC_ECORRUPT = 9, SMP_RC_EBUSY = 10,
};

struct smp_hdr {
    uint8_t op;     /* enum smp_op (3 bits; version bits 0: SMP v1) */
    uint8_t flags;
    uint16_t len;   /* CBOR payload length */
    uint16_t group;
    uint8_t seq, id;
};

void smp_hdr_encode(const struct smp_hdr *h, uint8_t out[SMP_HDR_SIZE]);
/* Decodes a whole packet's header: -EINVAL if n < 8 or the length field disagrees with n. */
int smp_hdr_decode(const uint8_t *pkt, size_t n, struct smp_hdr *h);

uint16_t smp_crc16(const uint8_t *data, size_t n);
/* Standard base64 with padding; out needs 4 * ceil(n / 3) bytes. Returns the text length. */
size_t smp_base64_encode(const uint8_t *in, size_t n, char *out);
/* Decodes padded base64 (n a multiple of 4); returns the byte count, -EINVAL for bad input,
 * -EMSGSIZE if it does not fit in cap. */
int smp_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap);

/* Frames packet pkt[0..n) (n <= SMP_MAX_PACKET) into out (at least SMP_FRAMED_MAX(n) bytes).
 * Returns the text length, or -EMSGSIZE. */
int smp_frame_encode(const uint8_t *pkt, size_t n, char *out, size_t cap);

struct smp_rx {
    uint8_t line[SMP_FRAME_MAX + 1];
    size_t line_len;
    bool line_overflow;
    uint8_t raw[SMP_MAX_PACKET + 4]; /* length + packet + CRC */
    size_t raw_len;
    bool in_packet;
    size_t want; /* value of the length field + 2 */
};

void smp_rx_init(struct smp_rx *rx);
/*
 * Feeds bytes from the line. Consumes up to and including the first newline that completes a
 * packet or drops a frame, and sets *consumed. Returns:
 *   > 0  a whole packet of that many bytes at *pkt (valid until the next call)
 *   0    all bytes consumed, nothing complete yet
 *   < 0  a frame was dropped: -EMSGSIZE (line over 127 bytes or packet over SMP_MAX_PACKET),
 *        -EINVAL (bad base64, bad length, continuation without a start), -EBADMSG (CRC).
 * Call again with the remaining bytes after a non-zero return.
 */
int smp_rx_feed(struct smp_rx *rx, const uint8_t *data, size_t n, size_t *consumed, const uint8_t **pkt);

/* ---- CBOR payloads (smp_cbor.c, libcbor) --------------------------------------------------- */

#define SMP_MAX_SLOTS 2
#define SMP_UPLOAD_CHUNK_MAX 1792u /* image bytes per upload request (fits SMP_MAX_PACKET) */

struct smp_slot {
    uint32_t image, slot;
    char version[32];
    bool has_hash;
    uint8_t hash[MCU_IMAGE_HASH_SIZE];
    bool bootable, pending, confirmed, active, permanent;
};

/* State-of-images response; `upload` is an OpenSphere extension (key "upload"). */
struct smp_image_state {
    size_t count;
    struct smp_slot slots[SMP_MAX_SLOTS];
    bool has_upload;
    uint32_t upload_slot, upload_len, upload_off;
    bool upload_has_sha;
    uint8_t upload_sha[MCU_IMAGE_HASH_SIZE];
};

struct smp_upload_req {
    uint32_t image, off;
    bool has_len;
    uint32_t len;
    bool has_sha;
    uint8_t sha[MCU_IMAGE_HASH_SIZE];
    size_t data_len;
    uint8_t data[SMP_UPLOAD_CHUNK_MAX];
};

struct smp_state_write_req {
    bool has_hash;
    uint8_t hash[MCU_IMAGE_HASH_SIZE];
    bool confirm;
};

/* Encoders write into buf[0..cap) and return the length, or -EMSGSIZE / -ENOMEM.
 * Decoders return 0, -EINVAL (not the expected map or a field of the wrong type or size). */
int smp_cbor_encode_image_state(const struct smp_image_state *s, int rc, uint8_t *buf, size_t cap);
int smp_cbor_decode_image_state(const uint8_t *buf, size_t n, struct smp_image_state *s, int *rc);
int smp_cbor_encode_upload_req(const struct smp_upload_req *r, uint8_t *buf, size_t cap);
int smp_cbor_decode_upload_req(const uint8_t *buf, size_t n, struct smp_upload_req *r);
/* {"rc": rc} plus {"off": off} when has_off. */
int smp_cbor_encode_rc(int rc, bool has_off, uint32_t off, uint8_t *buf, size_t cap);
/* Reads "rc" (0 when absent) and "off" (has_off false when absent); other keys are ignored. */
int smp_cbor_decode_rc(const uint8_t *buf, size_t n, int *rc, bool *has_off, uint32_t *off);
int smp_cbor_encode_state_write(const struct smp_state_write_req *r, uint8_t *buf, size_t cap);
int smp_cbor_decode_state_write(const uint8_t *buf, size_t n, struct smp_state_write_req *r);
/* Echo: request {"d": text}, response {"r": text}; key is "d" or "r". */
int smp_cbor_encode_text(const char *key, const char *text, uint8_t *buf, size_t cap);
int smp_cbor_decode_text(const uint8_t *buf, size_t n, const char *key, char *text, size_t size);
/* An empty map (reset request/response). */
int smp_cbor_encode_empty(uint8_t *buf, size_t cap);

#endif
