/* SPDX-License-Identifier: MIT */
/* test_mcu_hold.c — the MCU's hold request file (mcu_hold.h): round trips, a missing file,
 * malformed ones refused, and which step a state change counts as. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hostio.h"
#include "mcu_hold.h"

static void put(const char *dir, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/hold", dir);
    assert_int_equal(hostio_write_file_atomic(path, text, strlen(text), 0644), 0);
}

static void round_trip_and_missing_file(void **state)
{
    char dir[] = "/tmp/test-mcu-hold-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct mcu_hold h = {MCU_HOLD_CONFIRM, true};
    assert_int_equal(mcu_hold_read(dir, &h), 0); /* no file: no hold */
    assert_int_equal(h.op, MCU_HOLD_NONE);
    for (int op = MCU_HOLD_TEST; op <= MCU_HOLD_CONFIRM; op++)
        for (int holding = 0; holding < 2; holding++) {
            struct mcu_hold in = {(enum mcu_hold_op)op, holding}, out;
            assert_int_equal(mcu_hold_write(dir, &in), 0);
            assert_int_equal(mcu_hold_read(dir, &out), 0);
            assert_int_equal(out.op, in.op);
            assert_int_equal(out.holding, in.holding);
        }
    assert_int_equal(mcu_hold_write(dir, &(struct mcu_hold){MCU_HOLD_NONE, false}), 0);
    assert_int_equal(mcu_hold_read(dir, &h), 0);
    assert_int_equal(h.op, MCU_HOLD_NONE);
    assert_int_equal(mcu_hold_write(dir, &(struct mcu_hold){MCU_HOLD_NONE, false}), 0); /* already gone: fine */
    static const char *const bad[] = {"", "armed", "armed erase\n", "paused test\n", "armed none\n", "holding\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put(dir, bad[i]);
        h.op = MCU_HOLD_TEST;
        if (mcu_hold_read(dir, &h) != -EINVAL || h.op != MCU_HOLD_NONE)
            fail_msg("'%s' was not refused", bad[i]);
    }
    hostio_remove_tree(dir);
}

static void names_parse_back(void **state)
{
    enum mcu_hold_op op;
    for (int i = MCU_HOLD_NONE; i <= MCU_HOLD_CONFIRM; i++) {
        assert_int_equal(mcu_hold_op_parse(mcu_hold_op_name((enum mcu_hold_op)i), &op), 0);
        assert_int_equal(op, i);
    }
    assert_int_equal(mcu_hold_op_parse("Test", &op), -EINVAL);
    assert_int_equal(mcu_hold_op_parse(NULL, &op), -EINVAL);
}

static void steps_from_state_changes(void **state)
{
    struct mcu_dev_state idle = {.confirmed = 0, .pending = -1, .trial = -1, .active = 0, .up_slot = -1};
    struct mcu_dev after = {.st = idle};
    assert_int_equal(mcu_hold_step(&idle, &after), MCU_HOLD_NONE); /* a list, an echo, an upload chunk */
    after.st.pending = 1;
    assert_int_equal(mcu_hold_step(&idle, &after), MCU_HOLD_TEST);
    struct mcu_dev_state marked = after.st;
    assert_int_equal(mcu_hold_step(&marked, &after), MCU_HOLD_NONE); /* the same mark again */
    after.reset_requested = true;
    assert_int_equal(mcu_hold_step(&marked, &after), MCU_HOLD_RESET);
    struct mcu_dev_state trial = {.confirmed = 0, .pending = -1, .trial = 1, .active = 1, .up_slot = -1};
    after = (struct mcu_dev){.st = trial};
    after.st.confirmed = 1, after.st.trial = -1;
    assert_int_equal(mcu_hold_step(&trial, &after), MCU_HOLD_CONFIRM);
    struct mcu_dev_state confirmed = after.st;
    assert_int_equal(mcu_hold_step(&confirmed, &after), MCU_HOLD_NONE); /* confirming again */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_and_missing_file),
        cmocka_unit_test(names_parse_back),
        cmocka_unit_test(steps_from_state_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
