/* SPDX-License-Identifier: MIT */
/*
 * mcu_dev.h — the simulated external MCU: its flash (two image slots in DIR/mcu-flash.bin), its
 * crash-safe state record (DIR/mcu-state, replaced by write-new/fsync/rename), the bootloader's
 * decision at every (re)boot, and the SMP server that serial recovery runs (docs/mcu.md).
 *
 * Boot (direct-xip with revert, like MCUboot's): images run from the slot they were uploaded to;
 * an upload always goes to the slot that is neither running nor the confirmed fallback. At
 * boot: a test boot not confirmed since the last boot is reverted; else an image marked for
 * test is booted once (the mark is cleared and the trial recorded *before* it runs); else the
 * confirmed image; else the valid image with the highest version; else nothing (the MCU stays
 * in serial recovery). Every state change is one atomic file replace, and the running and the
 * confirmed slot are never written, so a kill at any instant leaves a bootable image.
 *
 * Errors: negative errno (-EIO, -ENOMEM, -EINVAL for a bad state record, -ENOENT).
 */
#ifndef OPENSPHERE_MCU_DEV_H
#define OPENSPHERE_MCU_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcu_image.h"
#include "smp.h"

#define MCU_DEV_SLOTS 2
#define MCU_DEV_DEFAULT_SLOT_SIZE (512u * 1024u)
#define MCU_DEV_CHECKPOINT 8192u /* upload progress is made durable every this many bytes */

struct mcu_dev_state {
    int32_t confirmed; /* slot of the confirmed image, -1 none */
    int32_t pending;   /* slot marked for a test boot, -1 none */
    int32_t trial;     /* slot being test-booted (unconfirmed), -1 none */
    int32_t active;    /* slot running, -1 none (serial recovery only) */
    uint32_t boots;    /* boot counter */
    int32_t up_slot;   /* upload in progress: slot, -1 none */
    uint32_t up_len, up_off; /* total length; durable offset (a checkpoint) */
    uint8_t up_has_sha;
    uint8_t up_sha[MCU_IMAGE_HASH_SIZE];
    uint32_t slot_size;
};

struct mcu_dev {
    char *dir, *flash_path, *state_path;
    int flash_fd;
    bool read_only;
    struct mcu_dev_state st;
    uint32_t live_off; /* upload offset in this session (>= st.up_off) */
    bool valid[MCU_DEV_SLOTS];
    bool parsed[MCU_DEV_SLOTS];
    struct mcu_image_info info[MCU_DEV_SLOTS];
    bool reset_requested; /* set by an SMP reset: the caller reboots after sending the reply */
};

/* Opens (creating when missing, unless read_only) the MCU in `dir`. slot_size 0 means the
 * default or the size recorded. `install` (may be NULL) is an image put into slot 0 and
 * confirmed when the MCU is new. Does not boot. */
int mcu_dev_open(const char *dir, uint32_t slot_size, const uint8_t *install, size_t install_len, bool read_only,
                 struct mcu_dev **out);
void mcu_dev_close(struct mcu_dev *d);
/* The bootloader: validates both slots and picks the image to run (see above). */
int mcu_dev_boot(struct mcu_dev *d);
/* Re-reads the slots (after a read-only open, to show them). */
void mcu_dev_scan(struct mcu_dev *d);
/* The state-of-images answer as served over SMP. */
void mcu_dev_list(const struct mcu_dev *d, struct smp_image_state *s);
/* Serves one SMP request packet; writes the response packet into rsp (cap >= SMP_MAX_PACKET)
 * and returns its length, or 0 when the request gets no answer (a response packet, garbage).
 * When the flash or the state file fails, the answer is SMP_RC_EUNKNOWN and the MCU's state
 * stays what it last recorded (the request had no effect the MCU would act on). */
int mcu_dev_handle(struct mcu_dev *d, const uint8_t *pkt, size_t n, uint8_t *rsp, size_t cap);

#endif
