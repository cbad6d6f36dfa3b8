/* SPDX-License-Identifier: MIT */
/*
 * ota_stage.h — the OTA agent's power-safe staging store on the flash file system (ffs.h).
 *
 * Files under /ota (docs/ota.md, "On flash"):
 *   stage.id     identity of the partial download: "version size sha256 etag\n"; written
 *                whole (write new, sync, rename) before any byte of stage.bin
 *   stage.bin    the bytes received so far; its *committed* size is the resume point: it is
 *                synced at every erase-block boundary, so a power cut loses at most one block
 *   image-V.bin  an accepted image (verified before it got this name, by an atomic rename)
 *   counter      "V\n": the anti-rollback counter, the highest version ever accepted
 * The accepted version is max(counter, every image-V.bin): a cut between the rename that
 * accepts an image and the counter update cannot lower it. Nothing here knows about HTTP.
 * Every function returns 0 or a negative errno (ffs's, or -EBADMSG for a damaged record).
 */
#ifndef OPENSPHERE_OTA_STAGE_H
#define OPENSPHERE_OTA_STAGE_H

#include <stdint.h>

#include "ffs.h"
#include "ota.h"

struct ota_stage {
    struct ffs *fs;
    uint32_t accepted;           /* anti-rollback counter (see above) */
    /* the partial download, valid when id_version != 0 */
    uint32_t id_version, id_size;
    char id_sha256[OTA_SHA256_HEX + 1];
    char id_etag[OTA_ETAG_MAX];
    struct ffs_file *data;       /* stage.bin, open while downloading */
    uint32_t committed;          /* stage.bin's committed size */
    uint32_t block_size;
};

/* Loads the records (creating /ota on an empty file system). */
int ota_stage_open(struct ota_stage *st, struct ffs *fs);
/* Closes stage.bin (committing what was written). */
int ota_stage_close(struct ota_stage *st);

/* True when the partial download is for exactly this version, size and hash. */
bool ota_stage_matches(const struct ota_stage *st, const struct ota_desired *d);
/* Forgets any partial download and binds a new one to `d` (stage.id written first). */
int ota_stage_begin_fresh(struct ota_stage *st, const struct ota_desired *d);
/* Opens stage.bin for appending at its committed size (after begin_fresh or for a resume). */
int ota_stage_open_data(struct ota_stage *st);
/* Appends; commits at every erase-block boundary. */
int ota_stage_append(struct ota_stage *st, const void *buf, size_t len);
/* Commits what was appended (stage.bin's contents and size, atomically). */
int ota_stage_checkpoint(struct ota_stage *st);
/* Empties stage.bin (the server sent the whole body again); keeps the identity. */
int ota_stage_restart(struct ota_stage *st);
/* Records the ETag the server gave the bytes in stage.bin. */
int ota_stage_set_etag(struct ota_stage *st, const char *etag);
/* SHA-256 of the committed stage.bin, lowercase hex. */
int ota_stage_sha256(struct ota_stage *st, char hex[OTA_SHA256_HEX + 1]);
/* Accepts the verified stage.bin as image-V.bin, raises the counter, drops older images. */
int ota_stage_accept(struct ota_stage *st);
/* Drops the partial download (after a failed verification). */
int ota_stage_discard(struct ota_stage *st);
/* The accepted image's path ("/ota/image-V.bin"), or -ENOENT. */
int ota_stage_image_path(const struct ota_stage *st, char *out, size_t size);

#endif
