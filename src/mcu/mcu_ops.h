/* SPDX-License-Identifier: MIT */
/*
 * mcu_ops.h — the seam between the OTA agent and an external MCU's bootloader: five operations
 * any transport implements (mcu_client.h implements them as SMP over a file descriptor), and
 * mcu_update(), the whole update built on them.
 *
 * Every operation returns 0 or a negative errno: -ETIMEDOUT (no answer in time), -EPROTO
 * (an answer that is not SMP or not the expected one), -EIO (the descriptor failed), or the
 * MCU's refusal mapped from its SMP rc: EFBIG (ENOMEM: image larger than the slot), EINVAL,
 * ENOENT (no such image), EBUSY (EBADSTATE/EBUSY: e.g. a test image awaits confirmation),
 * EBADMSG (ECORRUPT: the image failed the MCU's SHA-256 check), ENOTSUP, EREMOTEIO (other).
 */
#ifndef OPENSPHERE_MCU_OPS_H
#define OPENSPHERE_MCU_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcu_image.h"
#include "smp.h"

/* What the MCU reports: its image slots and any upload in progress (smp.h). */
typedef struct smp_image_state mcu_state_t;

struct mcu_updater_ops {
    /* The MCU's slots and its upload in progress. */
    int (*list)(void *ctx, mcu_state_t *out);
    /* Writes chunk[0..n) of an image of `total` bytes at `off`. At off 0 the MCU starts a new
     * upload, or resumes one with the same total and `sha` (SHA-256 of the whole file): then
     * *next_off is where to continue. *next_off is always the offset the MCU expects next.
     * n <= max_chunk. */
    int (*upload)(void *ctx, uint32_t total, const uint8_t sha[MCU_IMAGE_HASH_SIZE], uint32_t off,
                  const uint8_t *chunk, size_t n, uint32_t *next_off);
    /* Marks the (complete, valid) image with this TLV hash for one test boot. */
    int (*test)(void *ctx, const uint8_t hash[MCU_IMAGE_HASH_SIZE]);
    /* Reboots the MCU (answers first). */
    int (*reset)(void *ctx);
    /* Confirms the running image with this TLV hash, so it stays after the next reset. */
    int (*confirm)(void *ctx, const uint8_t hash[MCU_IMAGE_HASH_SIZE]);
    size_t max_chunk; /* largest chunk upload() takes */
};

/* Where mcu_update reads the image from: read(arg, off, buf, n) fills buf with n bytes. */
struct mcu_image_source {
    uint32_t size;
    int (*read)(void *arg, uint32_t off, uint8_t *buf, size_t n);
    void *arg;
};
/* A source over bytes in memory (`src` keeps pointers to `data`, which must outlive it). */
void mcu_image_source_bytes(struct mcu_image_source *src, const uint8_t *data, size_t len);

enum mcu_update_phase { MCU_PHASE_CHECK, MCU_PHASE_UPLOAD, MCU_PHASE_TEST, MCU_PHASE_REBOOT, MCU_PHASE_CONFIRM, MCU_PHASE_DONE };
/* Progress: phase, and during the upload the offset the MCU has taken out of the total. */
typedef void (*mcu_progress_fn)(void *arg, enum mcu_update_phase phase, uint32_t done, uint32_t total);

struct mcu_update_options {
    unsigned boot_wait_ms;   /* how long to wait for the MCU after a reset (default 10000) */
    mcu_progress_fn progress; /* may be NULL */
    void *progress_arg;
};

enum mcu_update_result {
    MCU_UPDATE_INSTALLED = 1, /* the image was uploaded, test-booted and confirmed */
    MCU_UPDATE_ALREADY = 2,   /* the image was already running and confirmed: nothing sent */
};

/*
 * Updates the MCU to the image in `src` (a complete MCUboot-style image): checks it locally
 * (TLV SHA-256), lists the MCU's slots, skips if the image is already running and confirmed,
 * uploads it resuming from the offset the MCU reports (so calling again after the host lost
 * power mid-upload continues), marks it for test, resets, waits for the MCU to report it
 * running, confirms it, and lists again into *final (may be NULL).
 * Returns MCU_UPDATE_INSTALLED or MCU_UPDATE_ALREADY, or a negative errno: those of the ops,
 * -EINVAL / -EBADMSG (the image itself is malformed / fails its hash), -ENOEXEC (the MCU
 * came back running another image: it refused or reverted the new one).
 */
int mcu_update(const struct mcu_updater_ops *ops, void *ctx, const struct mcu_image_source *src,
               const struct mcu_update_options *opt, mcu_state_t *final);

#endif
