/* SPDX-License-Identifier: MIT */
/* mcu_dev.c — the simulated MCU's flash, state record, bootloader and SMP server (mcu_dev.h). */
#include "mcu_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "hostio.h"
#include "path.h"

/* ---- the state record: "MCUS", u32 format 1, then the fields of mcu_dev_state, LE --------- */

#define STATE_MAGIC "MCUS"
#define STATE_FORMAT 1u
#define STATE_SIZE (8 + 4 * 10 + 1 + MCU_IMAGE_HASH_SIZE)

/* Cursor helpers over core/bytes.h: write or read one LE u32 and step past it. */
static void put32(uint8_t **p, uint32_t v)
{
    bytes_put_le32(*p, v);
    *p += 4;
}
static uint32_t get32(const uint8_t **p)
{
    uint32_t v = bytes_le32(*p);
    *p += 4;
    return v;
}

static int save_state(struct mcu_dev *d)
{
    uint8_t buf[STATE_SIZE], *p = buf;
    const struct mcu_dev_state *s = &d->st;
    memcpy(p, STATE_MAGIC, 4), p += 4;
    put32(&p, STATE_FORMAT);
    put32(&p, (uint32_t)s->confirmed), put32(&p, (uint32_t)s->pending), put32(&p, (uint32_t)s->trial);
    put32(&p, (uint32_t)s->active), put32(&p, s->boots), put32(&p, (uint32_t)s->up_slot);
    put32(&p, s->up_len), put32(&p, s->up_off), put32(&p, s->slot_size), put32(&p, 0);
    *p++ = s->up_has_sha;
    memcpy(p, s->up_sha, MCU_IMAGE_HASH_SIZE);
    return hostio_write_file_atomic(d->state_path, buf, sizeof buf, 0644);
}

static bool slot_ok(int32_t s) { return s >= -1 && s < MCU_DEV_SLOTS; }

static int load_state(struct mcu_dev *d)
{
    char *text = NULL;
    size_t len = 0;
    int err = hostio_read_file(d->state_path, &text, &len);
    if (err)
        return err;
    const uint8_t *p = (const uint8_t *)text;
    struct mcu_dev_state *s = &d->st;
    err = -EINVAL;
    if (len == STATE_SIZE && !memcmp(p, STATE_MAGIC, 4)) {
        p += 4;
        if (get32(&p) == STATE_FORMAT) {
            s->confirmed = (int32_t)get32(&p), s->pending = (int32_t)get32(&p), s->trial = (int32_t)get32(&p);
            s->active = (int32_t)get32(&p), s->boots = get32(&p), s->up_slot = (int32_t)get32(&p);
            s->up_len = get32(&p), s->up_off = get32(&p), s->slot_size = get32(&p);
            get32(&p);
            s->up_has_sha = *p++ != 0;
            memcpy(s->up_sha, p, MCU_IMAGE_HASH_SIZE);
            if (slot_ok(s->confirmed) && slot_ok(s->pending) && slot_ok(s->trial) && slot_ok(s->active) &&
                slot_ok(s->up_slot) && s->up_off <= s->up_len && s->up_len <= s->slot_size && s->slot_size >= 4096)
                err = 0;
        }
    }
    free(text);
    return err;
}

/* ---- flash ---------------------------------------------------------------------------------- */

static off_t slot_base(const struct mcu_dev *d, int slot) { return (off_t)slot * d->st.slot_size; }

static int flash_write(struct mcu_dev *d, int slot, uint32_t off, const void *data, size_t n)
{
    if ((uint64_t)off + n > d->st.slot_size)
        return -EINVAL;
    ssize_t w = pwrite(d->flash_fd, data, n, slot_base(d, slot) + off);
    return w == (ssize_t)n ? 0 : w < 0 ? -errno : -EIO;
}

static int flash_erase(struct mcu_dev *d, int slot)
{
    uint8_t ff[4096];
    memset(ff, 0xff, sizeof ff);
    for (uint32_t off = 0; off < d->st.slot_size; off += sizeof ff) {
        int err = flash_write(d, slot, off, ff, sizeof ff);
        if (err)
            return err;
    }
    return fdatasync(d->flash_fd) ? -errno : 0;
}

/* Reads a slot's bytes [0, n) into a malloc'd buffer. */
static int flash_read(const struct mcu_dev *d, int slot, uint32_t n, uint8_t **out)
{
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        return -ENOMEM;
    ssize_t r = pread(d->flash_fd, b, n, slot_base(d, slot));
    if (r != (ssize_t)n) {
        free(b);
        return r < 0 ? -errno : -EIO;
    }
    *out = b;
    return 0;
}

static void scan_slot(struct mcu_dev *d, int slot)
{
    d->valid[slot] = d->parsed[slot] = false;
    memset(&d->info[slot], 0, sizeof d->info[slot]);
    if (d->st.up_slot == slot)
        return; /* an upload in progress is not an image yet */
    uint8_t *b = NULL;
    if (flash_read(d, slot, d->st.slot_size, &b))
        return;
    char why[160];
    int err = mcu_image_verify(b, d->st.slot_size, &d->info[slot], why, sizeof why);
    d->parsed[slot] = err == 0 || err == -EBADMSG;
    d->valid[slot] = err == 0;
    free(b);
}

void mcu_dev_scan(struct mcu_dev *d)
{
    for (int s = 0; s < MCU_DEV_SLOTS; s++)
        scan_slot(d, s);
}

/* ---- open / boot ---------------------------------------------------------------------------- */

void mcu_dev_close(struct mcu_dev *d)
{
    if (!d)
        return;
    if (d->flash_fd >= 0)
        close(d->flash_fd);
    free(d->dir), free(d->flash_path), free(d->state_path);
    free(d);
}

int mcu_dev_open(const char *dir, uint32_t slot_size, const uint8_t *install, size_t install_len, bool read_only,
                 struct mcu_dev **out)
{
    struct mcu_dev *d = calloc(1, sizeof *d);
    if (!d)
        return -ENOMEM;
    d->flash_fd = -1;
    d->read_only = read_only;
    d->dir = strdup(dir);
    d->flash_path = path_join(dir, "mcu-flash.bin");
    d->state_path = path_join(dir, "mcu-state");
    if (!d->dir || !d->flash_path || !d->state_path) {
        mcu_dev_close(d);
        return -ENOMEM;
    }
    int err = load_state(d);
    bool fresh = err == -ENOENT && !read_only;
    if (err && !fresh) {
        mcu_dev_close(d);
        return err;
    }
    if (fresh) {
        err = hostio_make_dirs(dir, 0755);
        d->st = (struct mcu_dev_state){.confirmed = -1, .pending = -1, .trial = -1, .active = -1, .up_slot = -1,
                                       .slot_size = slot_size ? slot_size : MCU_DEV_DEFAULT_SLOT_SIZE};
        if (!err && (d->st.slot_size % 4096 || install_len > d->st.slot_size))
            err = -EFBIG;
    }
    if (!err) {
        if (!read_only)
            hostio_remove_stale_temporaries(dir); /* a reader leaves the running MCU's files alone */
        d->flash_fd = open(d->flash_path, (read_only ? O_RDONLY : O_RDWR | O_CREAT) | O_CLOEXEC, 0644);
        if (d->flash_fd < 0)
            err = -errno;
    }
    if (!err && fresh) {
        /* a new part: erased flash, then the factory image in slot 0, then the record */
        if (ftruncate(d->flash_fd, (off_t)d->st.slot_size * MCU_DEV_SLOTS))
            err = -errno;
        for (int s = 0; !err && s < MCU_DEV_SLOTS; s++)
            err = flash_erase(d, s);
        if (!err && install) {
            err = flash_write(d, 0, 0, install, install_len);
            if (!err && fdatasync(d->flash_fd))
                err = -errno;
            d->st.confirmed = 0;
        }
        if (!err)
            err = save_state(d);
    }
    if (!err) {
        struct stat sb;
        if (fstat(d->flash_fd, &sb) || sb.st_size < (off_t)d->st.slot_size * MCU_DEV_SLOTS)
            err = -EINVAL;
    }
    if (err) {
        mcu_dev_close(d);
        return err;
    }
    d->live_off = d->st.up_off;
    mcu_dev_scan(d);
    *out = d;
    return 0;
}

/* The bootloader's choice, in memory: revert an unconfirmed trial, try a pending image once,
 * else the confirmed image, else the highest valid version. */
static void choose_boot_image(struct mcu_dev *d)
{
    struct mcu_dev_state *s = &d->st;
    s->boots++;
    if (s->trial >= 0) {
        s->trial = -1; /* the test image was not confirmed: revert */
    } else if (s->pending >= 0) {
        int p = s->pending;
        s->pending = -1;
        if (d->valid[p]) {
            s->trial = s->active = p;
            return;
        }
    }
    if (s->confirmed >= 0 && d->valid[s->confirmed]) {
        s->active = s->confirmed;
    } else {
        s->active = -1;
        for (int i = 0; i < MCU_DEV_SLOTS; i++)
            if (d->valid[i] && (s->active < 0 || mcu_version_compare(&d->info[i].version, &d->info[s->active].version) > 0))
                s->active = i;
    }
}

int mcu_dev_boot(struct mcu_dev *d)
{
    mcu_dev_scan(d);
    struct mcu_dev_state before = d->st;
    uint32_t live_before = d->live_off;
    d->live_off = d->st.up_off;
    choose_boot_image(d);
    int err = save_state(d);
    if (err) { /* not recorded, so not done: the MCU goes on from its record */
        d->st = before;
        d->live_off = live_before;
    }
    return err;
}

void mcu_dev_list(const struct mcu_dev *d, struct smp_image_state *out)
{
    memset(out, 0, sizeof *out);
    const struct mcu_dev_state *s = &d->st;
    for (int i = 0; i < MCU_DEV_SLOTS; i++) {
        if (!d->parsed[i])
            continue;
        struct smp_slot *e = &out->slots[out->count++];
        e->slot = (uint32_t)i;
        mcu_version_format(&d->info[i].version, e->version, sizeof e->version);
        e->has_hash = true;
        memcpy(e->hash, d->info[i].hash, sizeof e->hash);
        e->bootable = d->valid[i];
        e->pending = s->pending == i;
        e->confirmed = s->confirmed == i;
        e->active = s->active == i;
    }
    if (s->up_slot >= 0) {
        out->has_upload = true;
        out->upload_slot = (uint32_t)s->up_slot;
        out->upload_len = s->up_len;
        out->upload_off = d->live_off;
        out->upload_has_sha = s->up_has_sha;
        memcpy(out->upload_sha, s->up_sha, sizeof out->upload_sha);
    }
}

/* ---- SMP commands --------------------------------------------------------------------------- */

/* The slot an upload writes: neither running nor the confirmed fallback. */
static int upload_slot(const struct mcu_dev *d)
{
    if (d->st.active >= 0)
        return 1 - d->st.active;
    return d->st.confirmed >= 0 ? 1 - d->st.confirmed : 0;
}

static int finish_upload(struct mcu_dev *d, int *rc)
{
    struct mcu_dev_state *s = &d->st;
    int slot = s->up_slot;
    uint8_t *b = NULL;
    int err = flash_read(d, slot, s->up_len, &b);
    if (err)
        return err;
    uint8_t sha[MCU_IMAGE_HASH_SIZE];
    struct mcu_image_info info;
    char why[160];
    err = mcu_sha256(b, s->up_len, sha);
    bool ok = !err && (!s->up_has_sha || !memcmp(sha, s->up_sha, sizeof sha)) &&
              mcu_image_verify(b, s->up_len, &info, why, sizeof why) == 0;
    free(b);
    if (err)
        return err;
    s->up_slot = -1;
    s->up_off = s->up_len = 0;
    s->up_has_sha = 0;
    err = save_state(d);
    scan_slot(d, slot);
    *rc = ok ? SMP_RC_OK : SMP_RC_ECORRUPT;
    return err;
}

static int do_upload(struct mcu_dev *d, const struct smp_upload_req *r, int *rc, uint32_t *off)
{
    struct mcu_dev_state *s = &d->st;
    int err = 0, slot = upload_slot(d);
    *rc = SMP_RC_OK;
    if (r->off == 0) {
        if (!r->has_len || r->image != 0)
            return *rc = SMP_RC_EINVAL, 0;
        if (s->trial >= 0)
            return *rc = SMP_RC_EBADSTATE, 0; /* confirm or reset the test image first */
        if (r->len > s->slot_size || r->len < MCU_IMAGE_HEADER_SIZE)
            return *rc = r->len > s->slot_size ? SMP_RC_ENOMEM : SMP_RC_EINVAL, 0;
        bool same = s->up_slot == slot && s->up_len == r->len && r->has_sha && s->up_has_sha &&
                    !memcmp(s->up_sha, r->sha, sizeof r->sha);
        if (same && d->live_off > 0) {
            *off = d->live_off; /* resume: the client continues from here */
            return 0;
        }
        if (!same) {
            s->up_slot = slot, s->up_len = r->len, s->up_off = 0;
            s->up_has_sha = r->has_sha;
            memcpy(s->up_sha, r->sha, sizeof s->up_sha);
            if (s->confirmed == slot)
                s->confirmed = -1;
            if (s->pending == slot)
                s->pending = -1;
            d->parsed[slot] = d->valid[slot] = false;
            if ((err = save_state(d)) || (err = flash_erase(d, slot)))
                return err;
        }
        d->live_off = 0;
    }
    if (s->up_slot < 0)
        return *rc = SMP_RC_EINVAL, 0; /* no upload to continue: start again at offset 0 */
    *off = d->live_off;
    if (r->off != d->live_off)
        return 0; /* out of step: tell the client where to continue */
    if (r->data_len > s->up_len - r->off)
        return *rc = SMP_RC_EINVAL, 0;
    if ((err = flash_write(d, s->up_slot, r->off, r->data, r->data_len)))
        return err;
    uint32_t before = d->live_off;
    d->live_off += (uint32_t)r->data_len;
    *off = d->live_off;
    if (d->live_off == s->up_len) {
        if (fdatasync(d->flash_fd))
            return -errno;
        return finish_upload(d, rc);
    }
    if (d->live_off / MCU_DEV_CHECKPOINT != before / MCU_DEV_CHECKPOINT) {
        if (fdatasync(d->flash_fd))
            return -errno;
        s->up_off = d->live_off / MCU_DEV_CHECKPOINT * MCU_DEV_CHECKPOINT;
        return save_state(d);
    }
    return 0;
}

static int find_hash(const struct mcu_dev *d, const uint8_t *hash)
{
    for (int i = 0; i < MCU_DEV_SLOTS; i++)
        if (d->parsed[i] && !memcmp(d->info[i].hash, hash, MCU_IMAGE_HASH_SIZE))
            return i;
    return -1;
}

static int do_state_write(struct mcu_dev *d, const struct smp_state_write_req *r, int *rc)
{
    struct mcu_dev_state *s = &d->st;
    int slot = r->has_hash ? find_hash(d, r->hash) : s->active;
    *rc = SMP_RC_OK;
    if (slot < 0)
        return *rc = r->has_hash ? SMP_RC_ENOENT : SMP_RC_EBADSTATE, 0;
    if (!d->valid[slot])
        return *rc = SMP_RC_ECORRUPT, 0; /* the MCU's own SHA-256 check refuses it */
    if (r->confirm) {
        if (slot != s->active)
            return *rc = SMP_RC_EBADSTATE, 0; /* only the running image can be confirmed */
        s->confirmed = slot;
        s->trial = -1;
        s->pending = -1;
    } else {
        if (slot == s->active)
            return *rc = SMP_RC_EBADSTATE, 0; /* already running */
        if (s->trial >= 0)
            return *rc = SMP_RC_EBADSTATE, 0; /* one test at a time */
        s->pending = slot;
    }
    return save_state(d);
}

static int do_erase(struct mcu_dev *d, int *rc)
{
    struct mcu_dev_state *s = &d->st;
    int slot = upload_slot(d);
    *rc = SMP_RC_OK;
    if (s->trial >= 0 || slot == s->confirmed || slot == s->active)
        return *rc = SMP_RC_EBADSTATE, 0;
    s->up_slot = -1, s->up_len = s->up_off = 0, s->up_has_sha = 0;
    if (s->pending == slot)
        s->pending = -1;
    d->live_off = 0;
    int err = save_state(d);
    if (!err)
        err = flash_erase(d, slot);
    scan_slot(d, slot);
    return err;
}

int mcu_dev_handle(struct mcu_dev *d, const uint8_t *pkt, size_t n, uint8_t *rsp, size_t cap)
{
    struct smp_hdr h;
    if (cap < SMP_MAX_PACKET || smp_hdr_decode(pkt, n, &h) || (h.op != SMP_OP_READ && h.op != SMP_OP_WRITE))
        return 0;
    const uint8_t *body = pkt + SMP_HDR_SIZE;
    uint8_t *out = rsp + SMP_HDR_SIZE;
    size_t room = cap - SMP_HDR_SIZE;
    int len = -1, rc = SMP_RC_OK, err = 0;
    uint32_t off = 0;
    bool write = h.op == SMP_OP_WRITE;
    const struct mcu_dev_state before = d->st;
    const uint32_t live_before = d->live_off;
    if (h.group == SMP_GROUP_OS && h.id == SMP_ID_OS_ECHO && write) {
        char text[256];
        if (smp_cbor_decode_text(body, h.len, "d", text, sizeof text) == 0)
            len = smp_cbor_encode_text("r", text, out, room);
        else
            rc = SMP_RC_EINVAL;
    } else if (h.group == SMP_GROUP_OS && h.id == SMP_ID_OS_RESET && write) {
        d->reset_requested = true;
        len = smp_cbor_encode_empty(out, room);
    } else if (h.group == SMP_GROUP_IMAGE && h.id == SMP_ID_IMAGE_STATE) {
        struct smp_state_write_req r;
        if (write && smp_cbor_decode_state_write(body, h.len, &r))
            rc = SMP_RC_EINVAL;
        else if (write)
            err = do_state_write(d, &r, &rc);
        if (!err && rc == SMP_RC_OK) {
            struct smp_image_state s;
            mcu_dev_list(d, &s);
            len = smp_cbor_encode_image_state(&s, 0, out, room);
        }
    } else if (h.group == SMP_GROUP_IMAGE && h.id == SMP_ID_IMAGE_UPLOAD && write) {
        static struct smp_upload_req r; /* 1.8 KiB: keep it off the stack */
        if (smp_cbor_decode_upload_req(body, h.len, &r))
            rc = SMP_RC_EINVAL;
        else
            err = do_upload(d, &r, &rc, &off);
        if (!err)
            len = smp_cbor_encode_rc(rc, rc == SMP_RC_OK || rc == SMP_RC_ECORRUPT, off, out, room);
    } else if (h.group == SMP_GROUP_IMAGE && h.id == SMP_ID_IMAGE_ERASE && write) {
        err = do_erase(d, &rc);
    } else {
        rc = SMP_RC_ENOTSUP;
    }
    if (err) {
        rc = SMP_RC_EUNKNOWN; /* the flash or the state file failed: the MCU keeps what it recorded */
        d->st = before, d->live_off = live_before;
        mcu_dev_scan(d);
    }
    if (len < 0)
        len = smp_cbor_encode_rc(rc, false, 0, out, room);
    if (len < 0)
        return 0;
    struct smp_hdr rh = {.op = (uint8_t)(h.op + 1), .len = (uint16_t)len, .group = h.group, .seq = h.seq, .id = h.id};
    smp_hdr_encode(&rh, rsp);
    return (int)SMP_HDR_SIZE + len;
}
