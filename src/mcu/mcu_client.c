/* SPDX-License-Identifier: MIT */
/* mcu_client.c — SMP over a file descriptor (mcu_client.h) and mcu_update (mcu_ops.h). */
#include "mcu_client.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void mcu_smp_client_init(struct mcu_smp_client *c, int fd, int timeout_ms, int retries)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : 3000;
    c->retries = retries >= 0 ? retries : 2;
    smp_rx_init(&c->rx);
}

int mcu_smp_rc_errno(int rc)
{
    switch (rc) {
    case SMP_RC_OK: return 0;
    case SMP_RC_ENOMEM: return -EFBIG;
    case SMP_RC_EINVAL: return -EINVAL;
    case SMP_RC_ETIMEOUT: return -ETIMEDOUT;
    case SMP_RC_ENOENT: return -ENOENT;
    case SMP_RC_EBADSTATE:
    case SMP_RC_EBUSY: return -EBUSY;
    case SMP_RC_ENOTSUP: return -ENOTSUP;
    case SMP_RC_ECORRUPT: return -EBADMSG;
    default: return -EREMOTEIO;
    }
}

static int write_all(int fd, const char *p, size_t n, int64_t deadline)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w > 0) {
            p += w, n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return -EIO;
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd pf = {fd, POLLOUT, 0};
        poll(&pf, 1, (int)left);
    }
    return 0;
}

/* Reads until a packet answering (op, group, id, seq) arrives, or the deadline. */
static int read_answer(struct mcu_smp_client *c, const struct smp_hdr *req, int64_t deadline, uint8_t *rsp, size_t cap)
{
    static __thread uint8_t buf[256];
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return -ETIMEDOUT;
        struct pollfd pf = {c->fd, POLLIN, 0};
        int pr = poll(&pf, 1, (int)left);
        if (pr < 0 && errno != EINTR)
            return -EIO;
        if (pr <= 0)
            continue;
        ssize_t n = read(c->fd, buf, sizeof buf);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n < 0 && errno == EIO) { /* a PTY whose other side is closed: wait for it */
            struct timespec ts = {0, 50000000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (n <= 0)
            return -EIO;
        size_t off = 0;
        while (off < (size_t)n) {
            size_t used = 0;
            const uint8_t *pkt = NULL;
            int got = smp_rx_feed(&c->rx, buf + off, (size_t)n - off, &used, &pkt);
            off += used;
            struct smp_hdr h;
            if (got <= 0 || smp_hdr_decode(pkt, (size_t)got, &h))
                continue;
            if (h.op != req->op + 1 || h.group != req->group || h.id != req->id || h.seq != req->seq)
                continue; /* a stale answer */
            if (h.len > cap)
                return -EPROTO;
            memcpy(rsp, pkt + SMP_HDR_SIZE, h.len);
            /* bytes after the answer in this read are dropped: one request at a time */
            smp_rx_init(&c->rx);
            return h.len;
        }
    }
}

int mcu_smp_request(struct mcu_smp_client *c, uint8_t op, uint16_t group, uint8_t id, const uint8_t *body,
                    size_t body_len, uint8_t *rsp, size_t cap, int attempts)
{
    if (body_len + SMP_HDR_SIZE > SMP_MAX_PACKET)
        return -EMSGSIZE;
    static __thread uint8_t pkt[SMP_MAX_PACKET];
    static __thread char framed[SMP_FRAMED_MAX(SMP_MAX_PACKET)];
    int err = -ETIMEDOUT;
    for (int a = 0; a < attempts && err == -ETIMEDOUT; a++) {
        struct smp_hdr h = {.op = op, .len = (uint16_t)body_len, .group = group, .seq = ++c->seq, .id = id};
        smp_hdr_encode(&h, pkt);
        memcpy(pkt + SMP_HDR_SIZE, body, body_len);
        int text = smp_frame_encode(pkt, SMP_HDR_SIZE + body_len, framed, sizeof framed);
        if (text < 0)
            return text;
        int64_t deadline = now_ms() + c->timeout_ms;
        err = write_all(c->fd, framed, (size_t)text, deadline);
        if (!err)
            err = read_answer(c, &h, deadline, rsp, cap);
    }
    return err;
}

int mcu_smp_echo(struct mcu_smp_client *c, const char *text)
{
    uint8_t body[300], rsp[300];
    char back[256];
    int n = smp_cbor_encode_text("d", text, body, sizeof body);
    if (n < 0)
        return n;
    n = mcu_smp_request(c, SMP_OP_WRITE, SMP_GROUP_OS, SMP_ID_OS_ECHO, body, (size_t)n, rsp, sizeof rsp, 1 + c->retries);
    if (n < 0)
        return n;
    int rc = 0;
    if (smp_cbor_decode_text(rsp, (size_t)n, "r", back, sizeof back))
        return smp_cbor_decode_rc(rsp, (size_t)n, &rc, NULL, NULL) ? -EPROTO : mcu_smp_rc_errno(rc ? rc : SMP_RC_EUNKNOWN);
    return strcmp(back, text) ? -EPROTO : 0;
}

/* ---- the ops -------------------------------------------------------------------------------- */

static int op_list(void *ctx, mcu_state_t *out)
{
    struct mcu_smp_client *c = ctx;
    static __thread uint8_t rsp[SMP_MAX_PACKET];
    int n = mcu_smp_request(c, SMP_OP_READ, SMP_GROUP_IMAGE, SMP_ID_IMAGE_STATE, (const uint8_t *)"\xa0", 1, rsp,
                            sizeof rsp, 1 + c->retries);
    if (n < 0)
        return n;
    int rc = 0;
    if (smp_cbor_decode_image_state(rsp, (size_t)n, out, &rc))
        return -EPROTO;
    return mcu_smp_rc_errno(rc);
}

static int state_write(struct mcu_smp_client *c, const uint8_t *hash, bool confirm)
{
    struct smp_state_write_req r = {.has_hash = true, .confirm = confirm};
    memcpy(r.hash, hash, sizeof r.hash);
    uint8_t body[128];
    static __thread uint8_t rsp[SMP_MAX_PACKET];
    int n = smp_cbor_encode_state_write(&r, body, sizeof body);
    if (n < 0)
        return n;
    n = mcu_smp_request(c, SMP_OP_WRITE, SMP_GROUP_IMAGE, SMP_ID_IMAGE_STATE, body, (size_t)n, rsp, sizeof rsp,
                        1 + c->retries);
    if (n < 0)
        return n;
    int rc = 0;
    struct smp_image_state s;
    if (smp_cbor_decode_image_state(rsp, (size_t)n, &s, &rc) && smp_cbor_decode_rc(rsp, (size_t)n, &rc, NULL, NULL))
        return -EPROTO;
    return mcu_smp_rc_errno(rc);
}

static int op_test(void *ctx, const uint8_t hash[MCU_IMAGE_HASH_SIZE]) { return state_write(ctx, hash, false); }
static int op_confirm(void *ctx, const uint8_t hash[MCU_IMAGE_HASH_SIZE]) { return state_write(ctx, hash, true); }

static int op_reset(void *ctx)
{
    struct mcu_smp_client *c = ctx;
    uint8_t rsp[64];
    int n = mcu_smp_request(c, SMP_OP_WRITE, SMP_GROUP_OS, SMP_ID_OS_RESET, (const uint8_t *)"\xa0", 1, rsp, sizeof rsp, 1);
    if (n < 0)
        return n;
    int rc = 0;
    if (smp_cbor_decode_rc(rsp, (size_t)n, &rc, NULL, NULL))
        return -EPROTO;
    return mcu_smp_rc_errno(rc);
}

static int op_upload(void *ctx, uint32_t total, const uint8_t sha[MCU_IMAGE_HASH_SIZE], uint32_t off,
                     const uint8_t *chunk, size_t n, uint32_t *next_off)
{
    struct mcu_smp_client *c = ctx;
    if (n > SMP_UPLOAD_CHUNK_MAX)
        return -EINVAL;
    static __thread struct smp_upload_req r;
    static __thread uint8_t body[SMP_MAX_PACKET];
    memset(&r, 0, offsetof(struct smp_upload_req, data));
    r.off = off;
    if (off == 0) {
        r.has_len = true, r.len = total;
        r.has_sha = true;
        memcpy(r.sha, sha, sizeof r.sha);
    }
    memcpy(r.data, chunk, n);
    r.data_len = n;
    int len = smp_cbor_encode_upload_req(&r, body, sizeof body - SMP_HDR_SIZE);
    if (len < 0)
        return len;
    uint8_t rsp[64];
    int got = mcu_smp_request(c, SMP_OP_WRITE, SMP_GROUP_IMAGE, SMP_ID_IMAGE_UPLOAD, body, (size_t)len, rsp, sizeof rsp,
                              1 + c->retries);
    if (got < 0)
        return got;
    int rc = 0;
    bool has_off = false;
    if (smp_cbor_decode_rc(rsp, (size_t)got, &rc, &has_off, next_off))
        return -EPROTO;
    if (rc)
        return mcu_smp_rc_errno(rc);
    return has_off ? 0 : -EPROTO;
}

const struct mcu_updater_ops mcu_smp_ops = {
    .list = op_list, .upload = op_upload, .test = op_test, .reset = op_reset, .confirm = op_confirm,
    .max_chunk = SMP_UPLOAD_CHUNK_MAX,
};

/* ---- mcu_update ----------------------------------------------------------------------------- */

static int read_bytes(void *arg, uint32_t off, uint8_t *buf, size_t n)
{
    memcpy(buf, (const uint8_t *)arg + off, n);
    return 0;
}

void mcu_image_source_bytes(struct mcu_image_source *src, const uint8_t *data, size_t len)
{
    src->size = (uint32_t)len;
    src->read = read_bytes;
    src->arg = (void *)data;
}

static void progress(const struct mcu_update_options *o, enum mcu_update_phase p, uint32_t done, uint32_t total)
{
    if (o && o->progress)
        o->progress(o->progress_arg, p, done, total);
}

/* Checks the image from the source: layout, TLV hash over header + image; returns the TLV hash
 * and the SHA-256 of the whole file (the upload's identity). */
static int check_image(const struct mcu_image_source *src, uint8_t hash[32], uint8_t file_sha[32], size_t chunk)
{
    uint8_t head[MCU_IMAGE_HEADER_SIZE], tail[4096];
    if (src->size < sizeof head || src->size > MCU_IMAGE_MAX_SIZE)
        return -EINVAL;
    size_t tail_len = src->size < sizeof tail ? src->size : sizeof tail;
    int err = src->read(src->arg, 0, head, sizeof head);
    if (!err)
        err = src->read(src->arg, (uint32_t)(src->size - tail_len), tail, tail_len);
    if (err)
        return err;
    struct mcu_image_info info;
    err = mcu_image_parse_parts(head, src->size, tail, tail_len, &info, NULL, 0);
    if (err)
        return err;
    if (info.total_size != src->size)
        return -EINVAL; /* trailing bytes after the TLV area */
    EVP_MD_CTX *file = EVP_MD_CTX_new(), *img = EVP_MD_CTX_new();
    uint8_t *buf = malloc(chunk);
    err = file && img && buf && EVP_DigestInit_ex(file, EVP_sha256(), NULL) && EVP_DigestInit_ex(img, EVP_sha256(), NULL)
              ? 0
              : -ENOMEM;
    uint32_t covered = info.tlv_off;
    for (uint32_t off = 0; !err && off < src->size;) {
        size_t n = src->size - off < chunk ? src->size - off : chunk;
        err = src->read(src->arg, off, buf, n);
        if (err)
            break;
        EVP_DigestUpdate(file, buf, n);
        if (off < covered)
            EVP_DigestUpdate(img, buf, covered - off < n ? covered - off : n);
        off += (uint32_t)n;
    }
    uint8_t h[32];
    unsigned hl = 0, fl = 0;
    if (!err && (!EVP_DigestFinal_ex(img, h, &hl) || !EVP_DigestFinal_ex(file, file_sha, &fl)))
        err = -EIO;
    if (!err && memcmp(h, info.hash, 32))
        err = -EBADMSG;
    if (!err)
        memcpy(hash, info.hash, 32);
    EVP_MD_CTX_free(file), EVP_MD_CTX_free(img);
    free(buf);
    return err;
}

static const struct smp_slot *find_slot(const mcu_state_t *s, const uint8_t *hash)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->slots[i].has_hash && !memcmp(s->slots[i].hash, hash, 32))
            return &s->slots[i];
    return NULL;
}

static const struct smp_slot *active_slot(const mcu_state_t *s)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->slots[i].active)
            return &s->slots[i];
    return NULL;
}

/* After a reset: lists until the MCU answers (it is deaf while it reboots). */
static int wait_boot(const struct mcu_updater_ops *ops, void *ctx, unsigned wait_ms, mcu_state_t *s)
{
    int64_t deadline = now_ms() + (wait_ms ? wait_ms : 10000);
    int err;
    do {
        err = ops->list(ctx, s);
    } while (err == -ETIMEDOUT && now_ms() < deadline);
    return err;
}

static int upload(const struct mcu_updater_ops *ops, void *ctx, const struct mcu_image_source *src,
                  const uint8_t file_sha[32], const struct mcu_update_options *opt)
{
    size_t chunk = ops->max_chunk ? ops->max_chunk : 512;
    uint8_t *buf = malloc(chunk);
    if (!buf)
        return -ENOMEM;
    uint32_t off = 0, next = 0;
    int err = 0, stuck = 0;
    while (!err) {
        size_t n = src->size - off < chunk ? src->size - off : chunk;
        err = src->read(src->arg, off, buf, n);
        if (!err)
            err = ops->upload(ctx, src->size, file_sha, off, buf, n, &next);
        if (err)
            break;
        if (next > src->size)
            err = -EPROTO;
        else if (next == src->size && off + n == src->size)
            break;
        else if (next <= off && ++stuck > 8)
            err = -EPROTO; /* the MCU keeps refusing to advance */
        else if (next > off)
            stuck = 0;
        off = next;
        progress(opt, MCU_PHASE_UPLOAD, off, src->size);
        if (off == src->size)
            break;
    }
    free(buf);
    return err;
}

int mcu_update(const struct mcu_updater_ops *ops, void *ctx, const struct mcu_image_source *src,
               const struct mcu_update_options *opt, mcu_state_t *final)
{
    uint8_t hash[32], file_sha[32];
    mcu_state_t s;
    progress(opt, MCU_PHASE_CHECK, 0, src->size);
    int err = check_image(src, hash, file_sha, ops->max_chunk ? ops->max_chunk : 512);
    if (!err)
        err = ops->list(ctx, &s);
    if (err)
        return err;
    const struct smp_slot *mine = find_slot(&s, hash), *act = active_slot(&s);
    if (mine && mine->active && mine->confirmed) {
        if (final)
            *final = s;
        progress(opt, MCU_PHASE_DONE, src->size, src->size);
        return MCU_UPDATE_ALREADY;
    }
    bool testing_mine = mine && mine->active && !mine->confirmed;
    if (!testing_mine && act && !act->confirmed) {
        /* another image is on trial: a reset reverts it, freeing the slot */
        progress(opt, MCU_PHASE_REBOOT, 0, src->size);
        if ((err = ops->reset(ctx)) && err != -ETIMEDOUT)
            return err;
        if ((err = wait_boot(ops, ctx, opt ? opt->boot_wait_ms : 0, &s)))
            return err;
        mine = find_slot(&s, hash);
    }
    if (!testing_mine) {
        if (!mine || !mine->bootable) {
            if ((err = upload(ops, ctx, src, file_sha, opt)))
                return err;
        }
        progress(opt, MCU_PHASE_TEST, src->size, src->size);
        if ((err = ops->test(ctx, hash)))
            return err;
        progress(opt, MCU_PHASE_REBOOT, src->size, src->size);
        if ((err = ops->reset(ctx)) && err != -ETIMEDOUT)
            return err;
        if ((err = wait_boot(ops, ctx, opt ? opt->boot_wait_ms : 0, &s)))
            return err;
        mine = find_slot(&s, hash);
        if (!mine || !mine->active)
            return -ENOEXEC;
    }
    progress(opt, MCU_PHASE_CONFIRM, src->size, src->size);
    if ((err = ops->confirm(ctx, hash)))
        return err;
    if ((err = ops->list(ctx, &s)))
        return err;
    mine = find_slot(&s, hash);
    if (!mine || !mine->active || !mine->confirmed)
        return -ENOEXEC;
    if (final)
        *final = s;
    progress(opt, MCU_PHASE_DONE, src->size, src->size);
    return MCU_UPDATE_INSTALLED;
}
