/* SPDX-License-Identifier: MIT */
/*
 * ota_host.c — runs the OTA agent's job (src/ota) in a host process against the W25Q128JV
 * model, reached through the same SPI NOR driver the agent app uses, with power cuts.
 *
 *   ota_host --flash IMG --desired FILE.json --pubkey PEM [--ca F] [--cut-every N]
 *            [--seed S] [--network-attempts N] [--stall S] [--backoff-ms MS]
 *   ota_host --flash IMG --format-only      (a factory-fresh chip: created erased, formatted)
 *
 * IMG is the flash image file (created erased and formatted when missing). With
 * --cut-every N the power fails in the middle of every N-th program/erase instruction
 * (W25Q_CUT_RANDOM): the job is abandoned, the chip power-cycled, the file system mounted
 * again and the job run again from whatever the flash says — exactly what the agent does
 * after a reboot. Prints one JSON line: the final report, the cuts, the transfers, body bytes
 * fetched, and the flash counters. Exit 0 when the job ended (verified, error or idle), 1
 * on a usage or set-up error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ffs.h"
#include "hostio.h"
#include "ota.h"
#include "ota_job.h"
#include "ota_stage.h"
#include "otasig.h"
#include "spinor_bd.h"
#include "w25q.h"

struct options {
    const char *flash, *desired, *pubkey, *ca, *extract;
    unsigned cut_every, network_attempts, stall, backoff_ms;
    uint64_t cut_at; /* one cut, at this operation counted from the first mount */
    uint64_t seed;
    bool format_only;
};

static int frame(void *ctx, const uint8_t *tx, size_t tx_len, uint8_t *rx, size_t rx_len)
{
    struct w25q *chip = ctx;
    int err = w25q_transfer(chip, tx, tx_len, rx, rx_len);
    if (!err && tx[0] == W25Q_READ_STATUS1 && rx_len && (rx[0] & W25Q_SR1_BUSY))
        w25q_wait_ready(chip); /* as the board does: done by the next poll */
    return err;
}

struct verifier {
    char *pem;
    size_t len;
};

static int verify(void *ctx, const struct ota_desired *d)
{
    struct verifier *v = ctx;
    struct otasig_fields f = {.product = d->product, .version = d->version, .size = d->size, .sha256_hex = d->sha256};
    return otasig_verify(v->pem, v->len, &f, d->signature);
}

static void on_report(void *ctx, const struct ota_report *r)
{
    (void)ctx;
    if (r->status != OTA_DOWNLOADING)
        fprintf(stderr, "ota_host: %s v%" PRIu32 " %" PRIu32 "/%" PRIu32 " %s\n", ota_status_name(r->status),
                r->target_version, r->bytes_done, r->size, r->error);
}

static int parse(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--format-only")) {
            o->format_only = true;
            continue;
        }
        if (!v)
            return -EINVAL;
        i++;
        if (!strcmp(a, "--flash"))
            o->flash = v;
        else if (!strcmp(a, "--desired"))
            o->desired = v;
        else if (!strcmp(a, "--pubkey"))
            o->pubkey = v;
        else if (!strcmp(a, "--extract"))
            o->extract = v;
        else if (!strcmp(a, "--ca"))
            o->ca = v;
        else if (!strcmp(a, "--cut-every"))
            o->cut_every = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--cut-at"))
            o->cut_at = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--seed"))
            o->seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--network-attempts"))
            o->network_attempts = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--stall"))
            o->stall = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--backoff-ms"))
            o->backoff_ms = (unsigned)strtoul(v, NULL, 10);
        else
            return -EINVAL;
    }
    return o->flash && (o->format_only || (o->desired && o->pubkey)) ? 0 : -EINVAL;
}

/* Mounts the file system, formatting an empty chip. */
static int mount(struct flash_bd *bd, struct ffs **fs)
{
    int err = ffs_mount(bd, fs);
    if (err == -ENODEV && (err = ffs_format(bd, 0x05A5EEDull)) == 0)
        err = ffs_mount(bd, fs);
    return err;
}

/* --format-only: creates the chip (erased) and formats its file system; exit status 0 or 1. */
static int format_only(const struct w25q_config *cfg)
{
    struct w25q *chip;
    if (w25q_open(cfg, &chip)) {
        fprintf(stderr, "ota_host: cannot open the flash image %s\n", cfg->path);
        return 1;
    }
    struct spinor nor;
    struct flash_bd bd;
    struct ffs *fs = NULL;
    int err = spinor_open(&nor, frame, chip, 65536, &bd);
    err = err ? err : mount(&bd, &fs);
    ffs_unmount(fs);
    w25q_close(chip);
    if (err)
        fprintf(stderr, "ota_host: cannot format %s: %s\n", cfg->path, strerror(-err));
    return err ? 1 : 0;
}

/* Copies the accepted image out of the flash file system into `out` (for comparison). */
static int extract(struct spinor *nor, struct w25q *chip, const char *out)
{
    struct flash_bd bd;
    struct ffs *fs = NULL;
    struct ota_stage st;
    char path[64];
    int err = spinor_open(nor, frame, chip, 65536, &bd);
    err = err ? err : ffs_mount(&bd, &fs);
    err = err ? err : ota_stage_open(&st, fs);
    err = err ? err : ota_stage_image_path(&st, path, sizeof path);
    struct ffs_file *f = NULL;
    err = err ? err : ffs_open(fs, path, FFS_O_RDONLY, &f);
    FILE *w = err ? NULL : fopen(out, "wb");
    static uint8_t buf[65536];
    for (int n = w ? 1 : 0; n > 0;) {
        n = ffs_read(f, buf, sizeof buf);
        if (n > 0 && fwrite(buf, 1, (size_t)n, w) != (size_t)n)
            n = -EIO;
        if (n < 0)
            err = n;
    }
    if (w && fclose(w))
        err = -EIO;
    if (f)
        ffs_close(f);
    ffs_unmount(fs);
    return err;
}

/* Arms the next cut: --cut-at once (counted from `base`, the operations before the job), or
 * --cut-every N operations from now. */
static void arm_cut(struct w25q *chip, const struct options *o, uint64_t base, unsigned cuts)
{
    const struct w25q_counters *c = w25q_counters(chip);
    struct w25q_cut cut = {.kind = W25Q_CUT_RANDOM};
    if (o->cut_at && !cuts)
        cut.op = base + o->cut_at;
    else if (o->cut_every)
        cut.op = c->ops + o->cut_every;
    else
        return;
    w25q_set_cut(chip, &cut);
}

int main(int argc, char **argv)
{
    struct options o = {.seed = 1};
    if (parse(argc, argv, &o)) {
        fprintf(stderr, "usage: ota_host --flash IMG --desired FILE --pubkey PEM [--ca F] [--cut-every N] [--cut-at N] [--seed S] [--extract OUT] "
                        "[--network-attempts N] [--stall S] [--backoff-ms MS]\n"
                        "       ota_host --flash IMG --format-only\n");
        return 1;
    }
    if (o.format_only) {
        struct w25q_config cfg = {.path = o.flash, .seed = o.seed};
        return format_only(&cfg);
    }
    char *json = NULL, why[256] = "";
    size_t json_len = 0;
    struct verifier v = {0};
    struct ota_desired d;
    if (hostio_read_file(o.desired, &json, &json_len) || hostio_read_file(o.pubkey, &v.pem, &v.len) ||
        ota_desired_parse(json, json_len, &d, why, sizeof why)) {
        fprintf(stderr, "ota_host: cannot load %s / %s: %s\n", o.desired, o.pubkey, why);
        return 1;
    }
    struct w25q *chip;
    struct w25q_config cfg = {.path = o.flash, .seed = o.seed};
    if (w25q_open(&cfg, &chip)) {
        fprintf(stderr, "ota_host: cannot open the flash image %s\n", o.flash);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct spinor nor;
    struct flash_bd bd;
    char *ca = NULL;
    size_t ca_len = 0;
    if (o.ca && hostio_read_file(o.ca, &ca, &ca_len)) {
        fprintf(stderr, "ota_host: cannot read %s\n", o.ca);
        return 1;
    }
    struct ota_env env = {.verify_signature = verify, .verify_ctx = &v, .report = on_report, .ca_pem = ca, .ca_pem_len = ca_len,
                          .network_attempts = o.network_attempts, .stall_seconds = o.stall,
                          .backoff_min_ms = o.backoff_ms, .backoff_max_ms = o.backoff_ms ? o.backoff_ms * 8 : 0};
    struct ota_report r = {0};
    unsigned cuts = 0, stuck = 0;
    uint32_t last_committed = 0;
    int rc = spinor_open(&nor, frame, chip, 65536, &bd);
    struct ffs *fs = NULL;
    rc = rc ? rc : mount(&bd, &fs); /* the factory format, if any, is never cut */
    ffs_unmount(fs);
    uint64_t base = w25q_counters(chip)->ops;
    rc = rc ? rc : -EIO;
    while (rc == -EIO && stuck < 50) {
        struct ota_stage st;
        fs = NULL;
        arm_cut(chip, &o, base, cuts);
        rc = spinor_open(&nor, frame, chip, 65536, &bd);
        rc = rc ? rc : ffs_mount(&bd, &fs);
        rc = rc ? rc : ota_stage_open(&st, fs);
        if (!rc) {
            env.stage = &st;
            rc = ota_job_run(&env, &d, &r);
            stuck = st.committed > last_committed || r.status == OTA_VERIFIED ? 0 : stuck + 1;
            last_committed = st.committed > last_committed ? st.committed : last_committed;
            ota_stage_close(&st);
        }
        ffs_unmount(fs);
        if (w25q_is_off(chip)) { /* the cut fired: whatever happened above, power-cycle and go again */
            cuts++;
            w25q_power_cycle(chip);
            rc = -EIO;
        } else if (rc == -EIO) {
            fprintf(stderr, "ota_host: flash error without a power cut\n");
            break;
        }
    }
    if (stuck >= 50)
        fprintf(stderr, "ota_host: no progress across 50 power cuts in a row\n");
    const struct w25q_counters *c = w25q_counters(chip);
    if (!rc && o.extract)
        rc = extract(&nor, chip, o.extract);
    printf("{\"status\":\"%s\",\"error\":\"%s\",\"accepted\":%" PRIu32 ",\"bytesDone\":%" PRIu32 ",\"cuts\":%u,"
           "\"transfers\":%u,\"bytesFetched\":%" PRIu64 ",\"pagePrograms\":%" PRIu64 ",\"bytesProgrammed\":%" PRIu64
           ",\"bytesErased\":%" PRIu64 ",\"ops\":%" PRIu64 ",\"rc\":%d}\n",
           ota_status_name(r.status), r.error, r.accepted_version, r.bytes_done, cuts, env.transfers,
           env.bytes_fetched, c->page_programs, c->bytes_programmed, c->bytes_erased, c->ops - base, rc);
    w25q_close(chip);
    curl_global_cleanup();
    free(json), free(v.pem), free(ca);
    return rc ? 1 : 0;
}
