/* SPDX-License-Identifier: MIT */
/* test_mcu_dev_files.c — the MCU's files while something else looks at them: a reader
 * (`sim mcu show`, a read-only mcu_dev_open) must not remove the running MCU's write in
 * progress, only the leftovers of a writer that is gone; and when the MCU cannot record a
 * state change, it answers an error and keeps acting on what it recorded. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "hostio.h"
#include "mcu_dev.h"
#include "mcu_image.h"
#include "smp.h"

static bool exists(const char *dir, const char *name)
{
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lstat(path, &st) == 0;
}

static void touch(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(hostio_write_new_file(path, "x", 1, 0644), 0);
}

/* A pid that ran and is gone (reaped): no process holds it for a while. */
static pid_t dead_pid(void)
{
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0)
        _exit(0);
    waitpid(p, NULL, 0);
    return p;
}

static pid_t writer = -1; /* stands for the running sphere-mcu, in the middle of a write */

static int stop_writer(void **state)
{
    (void)state;
    if (writer > 0) {
        kill(writer, SIGKILL);
        waitpid(writer, NULL, 0);
    }
    writer = -1;
    return 0;
}

static void reader_leaves_a_live_writers_temporary(void **state)
{
    (void)state;
    char dir[] = "/tmp/test-mcu-files-XXXXXX", live[64], gone[64];
    assert_non_null(mkdtemp(dir));
    struct mcu_dev *d = NULL;
    assert_int_equal(mcu_dev_open(dir, 4096, NULL, 0, false, &d), 0);
    mcu_dev_close(d);
    writer = fork();
    assert_true(writer >= 0);
    if (writer == 0) {
        pause();
        _exit(0);
    }
    snprintf(live, sizeof live, "mcu-state.tmp.%ld", (long)writer);
    snprintf(gone, sizeof gone, "mcu-state.tmp.%ld", (long)dead_pid());
    touch(dir, live);
    touch(dir, gone);
    touch(dir, "hold.tmp.notapid");

    assert_int_equal(mcu_dev_open(dir, 0, NULL, 0, true, &d), 0); /* `sim mcu show` */
    mcu_dev_close(d);
    assert_true(exists(dir, live));
    assert_true(exists(dir, gone)); /* a reader removes nothing */

    assert_int_equal(mcu_dev_open(dir, 0, NULL, 0, false, &d), 0); /* the MCU powering up */
    mcu_dev_close(d);
    assert_true(exists(dir, live)); /* its writer still runs: its rename must not fail */
    assert_false(exists(dir, gone));
    assert_false(exists(dir, "hold.tmp.notapid"));

    stop_writer(NULL);
    hostio_remove_stale_temporaries(dir);
    assert_false(exists(dir, live)); /* now it is a leftover */
    hostio_remove_tree(dir);
}

/* One SMP request: confirm (or test) the image with `hash`; returns the answer's rc. */
static int state_write(struct mcu_dev *d, const uint8_t *hash, bool confirm)
{
    struct smp_state_write_req r = {.has_hash = true, .confirm = confirm};
    memcpy(r.hash, hash, sizeof r.hash);
    static uint8_t pkt[SMP_MAX_PACKET], rsp[SMP_MAX_PACKET];
    int n = smp_cbor_encode_state_write(&r, pkt + SMP_HDR_SIZE, sizeof pkt - SMP_HDR_SIZE);
    assert_true(n > 0);
    smp_hdr_encode(&(struct smp_hdr){.op = SMP_OP_WRITE, .len = (uint16_t)n, .group = SMP_GROUP_IMAGE,
                                     .id = SMP_ID_IMAGE_STATE, .seq = 7},
                   pkt);
    int len = mcu_dev_handle(d, pkt, SMP_HDR_SIZE + (size_t)n, rsp, sizeof rsp);
    assert_true(len > (int)SMP_HDR_SIZE);
    struct smp_image_state s;
    int rc = -1;
    if (smp_cbor_decode_image_state(rsp + SMP_HDR_SIZE, (size_t)len - SMP_HDR_SIZE, &s, &rc) == 0)
        return rc;
    bool has_off;
    uint32_t off;
    assert_int_equal(smp_cbor_decode_rc(rsp + SMP_HDR_SIZE, (size_t)len - SMP_HDR_SIZE, &rc, &has_off, &off), 0);
    return rc;
}

/* A confirmation or a boot whose state cannot be written leaves the MCU on what it recorded. */
static void unrecorded_change_has_no_effect(void **state)
{
    (void)state;
    char dir[] = "/tmp/test-mcu-files-XXXXXX", path[128], blocker[128];
    assert_non_null(mkdtemp(dir));
    uint8_t body[1000];
    memset(body, 0x5a, sizeof body);
    uint8_t *img = NULL;
    size_t img_len = 0;
    assert_int_equal(mcu_image_create(body, sizeof body, &(struct mcu_version){.major = 1}, 0, &img, &img_len), 0);
    struct mcu_dev *d = NULL;
    assert_int_equal(mcu_dev_open(dir, 8192, img, img_len, false, &d), 0);
    free(img);
    assert_int_equal(mcu_dev_boot(d), 0);
    /* Slot 1 gets a second copy, marked for test and booted into: a trial to confirm. */
    snprintf(path, sizeof path, "%s/mcu-flash.bin", dir);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(mcu_image_create(body, sizeof body, &(struct mcu_version){.major = 2}, 0, &img, &img_len), 0);
    assert_int_equal(fseek(f, 8192, SEEK_SET), 0);
    assert_int_equal(fwrite(img, 1, img_len, f), img_len);
    fclose(f);
    free(img);
    mcu_dev_scan(d);
    assert_true(d->valid[1]);
    const uint8_t *hash = d->info[1].hash;
    assert_int_equal(state_write(d, hash, false), SMP_RC_OK);
    assert_int_equal(mcu_dev_boot(d), 0);
    assert_int_equal(d->st.active, 1);
    assert_int_equal(d->st.trial, 1);

    /* The state file cannot be replaced (its temporary's name is taken by a folder). */
    snprintf(blocker, sizeof blocker, "%s/mcu-state.tmp.%ld", dir, (long)getpid());
    assert_int_equal(mkdir(blocker, 0755), 0);
    struct mcu_dev_state before = d->st;
    assert_int_equal(state_write(d, hash, true), SMP_RC_EUNKNOWN);
    assert_memory_equal(&d->st, &before, sizeof before); /* still on trial, as recorded */
    assert_true(mcu_dev_boot(d) < 0); /* a reboot that cannot be recorded did not revert either */
    assert_memory_equal(&d->st, &before, sizeof before);
    assert_int_equal(rmdir(blocker), 0);

    /* What it recorded is what a power cycle finds: the trial reverts to version 1. */
    struct mcu_dev *again = NULL;
    assert_int_equal(mcu_dev_open(dir, 0, NULL, 0, false, &again), 0);
    assert_int_equal(again->st.trial, 1);
    assert_int_equal(mcu_dev_boot(again), 0);
    assert_int_equal(again->st.active, 0);
    mcu_dev_close(again);

    assert_int_equal(state_write(d, hash, true), SMP_RC_OK); /* once it can record it, it confirms */
    assert_int_equal(d->st.confirmed, 1);
    mcu_dev_close(d);
    hostio_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(reader_leaves_a_live_writers_temporary, stop_writer),
        cmocka_unit_test(unrecorded_change_has_no_effect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
