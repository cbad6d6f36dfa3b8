/* SPDX-License-Identifier: MIT */
/* test_mcu_update.c — updates through a PTY to a real sphere-mcu process: install and confirm,
 * power cuts (SIGKILL) of the MCU during the upload and after a test boot (-> revert), of the
 * client mid-upload (-> resume), an image the MCU's own SHA-256 check refuses, an oversized
 * image, and kills at random instants never leaving the MCU without a bootable image.
 * Rerun: build/tests/test_mcu_update (MCU_TEST_BAUD=N to change the line speed). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hostio.h"
#include "mcu_client.h"
#include "mcu_image.h"

struct rig {
    char dir[64], slave_path[64], init_path[96];
    int master, slave;
    pid_t mcu;
    struct mcu_smp_client c;
    const char *baud;
};

static void msleep(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&t, NULL);
}

static uint8_t *image(uint32_t payload, const char *version, uint8_t seed, size_t *len)
{
    uint8_t *raw = malloc(payload), *img = NULL;
    for (uint32_t i = 0; i < payload; i++)
        raw[i] = (uint8_t)(i * 13 + seed + (i >> 9));
    struct mcu_version v;
    assert_int_equal(mcu_version_parse(version, &v), 0);
    assert_int_equal(mcu_image_create(raw, payload, &v, 0, &img, len), 0);
    free(raw);
    return img;
}

static void start_mcu(struct rig *r)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(OPENSPHERE_BINARY_DIR "/bin/sphere-mcu", "sphere-mcu", "--state", r->dir, "--tty", r->slave_path, "--baud",
              r->baud, "--install", r->init_path, "--reset-ms", "50", (char *)NULL);
        _exit(127);
    }
    r->mcu = pid;
    for (int i = 0; i < 100; i++)
        if (mcu_smp_echo(&r->c, "ping") == 0)
            return;
    fail_msg("sphere-mcu did not answer");
}

/* The power cut: SIGKILL, reap. */
static void kill_mcu(struct rig *r)
{
    kill(r->mcu, SIGKILL);
    waitpid(r->mcu, NULL, 0);
    r->mcu = 0;
}

static int setup(void **state)
{
    struct rig *r = calloc(1, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "/tmp/test-mcu-XXXXXX");
    assert_non_null(mkdtemp(r->dir));
    r->baud = getenv("MCU_TEST_BAUD") ? getenv("MCU_TEST_BAUD") : "3000000";
    r->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    assert_true(r->master >= 0);
    assert_int_equal(grantpt(r->master), 0);
    assert_int_equal(unlockpt(r->master), 0);
    assert_int_equal(ptsname_r(r->master, r->slave_path, sizeof r->slave_path), 0);
    /* hold the slave open (raw) so the line survives the MCU's power cuts */
    r->slave = open(r->slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(r->slave >= 0);
    struct termios t;
    tcgetattr(r->slave, &t);
    cfmakeraw(&t);
    tcsetattr(r->slave, TCSANOW, &t);
    size_t len;
    uint8_t *img = image(64 * 1024, "1.0.0", 1, &len);
    snprintf(r->init_path, sizeof r->init_path, "%s/initial.img", r->dir);
    assert_int_equal(hostio_write_file_atomic(r->init_path, img, len, 0644), 0);
    free(img);
    mcu_smp_client_init(&r->c, r->master, 400, 2);
    start_mcu(r);
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    struct rig *r = *state;
    if (r->mcu)
        kill_mcu(r);
    close(r->master), close(r->slave);
    hostio_remove_tree(r->dir);
    free(r);
    return 0;
}

static const struct smp_slot *active(const mcu_state_t *s)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->slots[i].active)
            return &s->slots[i];
    return NULL;
}

static void expect_running(struct rig *r, const char *version, bool confirmed)
{
    mcu_state_t s;
    assert_int_equal(mcu_smp_ops.list(&r->c, &s), 0);
    const struct smp_slot *a = active(&s);
    assert_non_null(a);
    assert_true(a->bootable);
    if (strcmp(a->version, version) || a->confirmed != confirmed)
        fail_msg("running %s (confirmed %d), expected %s (confirmed %d)", a->version, a->confirmed, version, confirmed);
}

static int update(struct rig *r, const uint8_t *img, size_t len, const struct mcu_update_options *o)
{
    struct mcu_image_source src;
    mcu_image_source_bytes(&src, img, len);
    return mcu_update(&mcu_smp_ops, &r->c, &src, o, NULL);
}

static void update_installs_then_skips(void **state)
{
    struct rig *r = *state;
    expect_running(r, "1.0.0.0", true);
    size_t len;
    uint8_t *img = image(256 * 1024, "2.0.0", 2, &len);
    assert_int_equal(update(r, img, len, NULL), MCU_UPDATE_INSTALLED);
    expect_running(r, "2.0.0.0", true);
    assert_int_equal(update(r, img, len, NULL), MCU_UPDATE_ALREADY);
    /* it stays after another power cut */
    kill_mcu(r);
    start_mcu(r);
    expect_running(r, "2.0.0.0", true);
    free(img);
}

/* Kills the MCU (and restarts it) when the upload passes each of these offsets. */
struct cutter {
    struct rig *r;
    uint32_t at[4];
    int next, n;
    uint32_t resumed_at[4];
};

static void cut_progress(void *arg, enum mcu_update_phase phase, uint32_t done, uint32_t total)
{
    struct cutter *k = arg;
    if (phase != MCU_PHASE_UPLOAD || k->next >= k->n || done < k->at[k->next])
        return;
    kill_mcu(k->r);
    start_mcu(k->r);
    mcu_state_t s;
    assert_int_equal(mcu_smp_ops.list(&k->r->c, &s), 0);
    assert_true(s.has_upload);
    assert_true(active(&s) != NULL); /* still bootable: the old image runs */
    k->resumed_at[k->next++] = s.upload_off;
}

/* Counts what the client actually sends. */
struct counting {
    struct rig *r;
    uint64_t sent;
    uint32_t first_next;
    int calls;
};
static struct counting counter;
static int count_list(void *ctx, mcu_state_t *s) { return mcu_smp_ops.list(&counter.r->c, s); }
static int count_upload(void *ctx, uint32_t total, const uint8_t sha[32], uint32_t off, const uint8_t *chunk, size_t n,
                        uint32_t *next)
{
    int err = mcu_smp_ops.upload(&counter.r->c, total, sha, off, chunk, n, next);
    if (!err && counter.calls++ == 0)
        counter.first_next = *next;
    if (!err && *next == off + n)
        counter.sent += n; /* bytes the MCU took */
    return err;
}
static int count_test(void *ctx, const uint8_t h[32]) { return mcu_smp_ops.test(&counter.r->c, h); }
static int count_reset(void *ctx) { return mcu_smp_ops.reset(&counter.r->c); }
static int count_confirm(void *ctx, const uint8_t h[32]) { return mcu_smp_ops.confirm(&counter.r->c, h); }
static const struct mcu_updater_ops counting_ops = {count_list, count_upload, count_test, count_reset, count_confirm,
                                                    SMP_UPLOAD_CHUNK_MAX};

static void mcu_power_cuts_during_upload_resume(void **state)
{
    struct rig *r = *state;
    size_t len;
    uint8_t *img = image(256 * 1024, "3.1.0+7", 3, &len);
    struct cutter k = {.r = r, .at = {5000, 100000, 200000, (uint32_t)len - 2000}, .n = 4};
    struct mcu_update_options o = {.progress = cut_progress, .progress_arg = &k};
    counter = (struct counting){.r = r};
    struct mcu_image_source src;
    mcu_image_source_bytes(&src, img, len);
    assert_int_equal(mcu_update(&counting_ops, NULL, &src, &o, NULL), MCU_UPDATE_INSTALLED);
    assert_int_equal(k.next, 4);
    for (int i = 0; i < 4; i++) {
        /* the MCU resumes from its last checkpoint at or below the cut */
        assert_true(k.resumed_at[i] <= k.at[i] + SMP_UPLOAD_CHUNK_MAX);
        assert_true(k.resumed_at[i] + 8192 + SMP_UPLOAD_CHUNK_MAX >= k.at[i]);
        assert_int_equal(k.resumed_at[i] % 8192, 0);
    }
    /* re-sent at most a checkpoint interval (plus a chunk) per cut */
    assert_true(counter.sent <= len + 4 * (8192 + SMP_UPLOAD_CHUNK_MAX));
    expect_running(r, "3.1.0.7", true);
    free(img);
}

static void unconfirmed_test_image_reverts_after_power_cut(void **state)
{
    struct rig *r = *state;
    size_t len;
    uint8_t *img = image(256 * 1024, "4.0.0", 4, &len);
    struct mcu_image_info info;
    assert_int_equal(mcu_image_parse(img, len, &info, NULL, 0), 0);
    uint8_t sha[32];
    mcu_sha256(img, len, sha);
    uint32_t off = 0, next = 0;
    while (off < len) {
        size_t n = len - off < SMP_UPLOAD_CHUNK_MAX ? len - off : SMP_UPLOAD_CHUNK_MAX;
        assert_int_equal(mcu_smp_ops.upload(&r->c, (uint32_t)len, sha, off, img + off, n, &next), 0);
        off = next;
    }
    assert_int_equal(mcu_smp_ops.test(&r->c, info.hash), 0);
    assert_int_equal(mcu_smp_ops.reset(&r->c), 0);
    msleep(100);
    expect_running(r, "4.0.0.0", false); /* the test boot */
    kill_mcu(r);                         /* power cut before the host confirms */
    start_mcu(r);
    expect_running(r, "1.0.0.0", true); /* reverted */
    mcu_state_t s;
    assert_int_equal(mcu_smp_ops.list(&r->c, &s), 0);
    assert_int_equal(s.count, 2);
    /* the host's next attempt uses the image already in the slot: no upload */
    counter = (struct counting){.r = r};
    struct mcu_image_source src;
    mcu_image_source_bytes(&src, img, len);
    assert_int_equal(mcu_update(&counting_ops, NULL, &src, NULL, NULL), MCU_UPDATE_INSTALLED);
    assert_int_equal(counter.calls, 0);
    expect_running(r, "4.0.0.0", true);
    free(img);
}

static void client_power_cut_mid_upload_resumes(void **state)
{
    struct rig *r = *state;
    size_t len;
    uint8_t *img = image(256 * 1024, "5.0.0", 5, &len);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct mcu_image_source src;
        mcu_image_source_bytes(&src, img, len);
        for (uint32_t off = 0, next = 0;;) {
            uint8_t sha[32];
            mcu_sha256(img, len, sha);
            if (mcu_smp_ops.upload(&r->c, (uint32_t)len, sha, off, img + off, SMP_UPLOAD_CHUNK_MAX, &next))
                _exit(1);
            off = next;
            if (off >= len * 4 / 10)
                raise(SIGKILL); /* the host loses power between two chunks */
        }
    }
    int status = 0;
    waitpid(child, &status, 0);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    counter = (struct counting){.r = r};
    struct mcu_image_source src;
    mcu_image_source_bytes(&src, img, len);
    assert_int_equal(mcu_update(&counting_ops, NULL, &src, NULL, NULL), MCU_UPDATE_INSTALLED);
    assert_true(counter.first_next >= len * 4 / 10 - SMP_UPLOAD_CHUNK_MAX); /* resumed, not restarted */
    assert_true(counter.sent <= len - counter.first_next + SMP_UPLOAD_CHUNK_MAX);
    expect_running(r, "5.0.0.0", true);
    free(img);
}

static void corrupted_image_is_refused_by_the_mcu(void **state)
{
    struct rig *r = *state;
    size_t len;
    uint8_t *img = image(100 * 1024, "6.0.0", 6, &len);
    struct mcu_image_info info;
    assert_int_equal(mcu_image_parse(img, len, &info, NULL, 0), 0);
    img[5000] ^= 0xff; /* after signing: the TLV hash no longer matches */
    struct mcu_image_source src;
    mcu_image_source_bytes(&src, img, len);
    assert_int_equal(mcu_update(&mcu_smp_ops, &r->c, &src, NULL, NULL), -EBADMSG); /* the host checks first */
    uint8_t sha[32];
    mcu_sha256(img, len, sha);
    uint32_t off = 0, next = 0;
    int err = 0;
    while (off < len && !err) {
        size_t n = len - off < SMP_UPLOAD_CHUNK_MAX ? len - off : SMP_UPLOAD_CHUNK_MAX;
        err = mcu_smp_ops.upload(&r->c, (uint32_t)len, sha, off, img + off, n, &next);
        off = next;
    }
    assert_int_equal(err, -EBADMSG); /* the last chunk: the MCU's check failed */
    mcu_state_t s;
    assert_int_equal(mcu_smp_ops.list(&r->c, &s), 0);
    bool seen = false;
    for (size_t i = 0; i < s.count; i++)
        if (!memcmp(s.slots[i].hash, info.hash, 32))
            seen = true, assert_false(s.slots[i].bootable);
    assert_true(seen);
    assert_int_equal(mcu_smp_ops.test(&r->c, info.hash), -EBADMSG);
    assert_int_equal(mcu_smp_ops.reset(&r->c), 0);
    msleep(100);
    expect_running(r, "1.0.0.0", true);
    free(img);
}

static void oversized_image_is_refused(void **state)
{
    struct rig *r = *state;
    size_t len;
    uint8_t *img = image(600 * 1024, "7.0.0", 7, &len);
    assert_int_equal(update(r, img, len, NULL), -EFBIG);
    expect_running(r, "1.0.0.0", true);
    free(img);
}

static void power_cuts_at_random_instants_never_brick(void **state)
{
    struct rig *r = *state;
    size_t len[2];
    uint8_t *img[2] = {image(128 * 1024, "8.0.0", 8, &len[0]), image(128 * 1024, "9.0.0", 9, &len[1])};
    srand(42);
    for (int round = 0; round < 12; round++) {
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
            struct mcu_smp_client c;
            mcu_smp_client_init(&c, r->master, 400, 2);
            struct mcu_image_source src;
            mcu_image_source_bytes(&src, img[round & 1], len[round & 1]);
            _exit(mcu_update(&mcu_smp_ops, &c, &src, NULL, NULL) > 0 ? 0 : 1);
        }
        msleep(rand() % 700);
        kill_mcu(r);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        start_mcu(r);
        mcu_state_t s;
        assert_int_equal(mcu_smp_ops.list(&r->c, &s), 0);
        const struct smp_slot *a = active(&s);
        if (!a || !a->bootable)
            fail_msg("round %d: no bootable image after a power cut", round);
    }
    assert_true(update(r, img[0], len[0], NULL) > 0);
    expect_running(r, "8.0.0.0", true);
    free(img[0]), free(img[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(update_installs_then_skips, setup, teardown),
        cmocka_unit_test_setup_teardown(mcu_power_cuts_during_upload_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(unconfirmed_test_image_reverts_after_power_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(client_power_cut_mid_upload_resumes, setup, teardown),
        cmocka_unit_test_setup_teardown(corrupted_image_is_refused_by_the_mcu, setup, teardown),
        cmocka_unit_test_setup_teardown(oversized_image_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(power_cuts_at_random_instants_never_brick, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
