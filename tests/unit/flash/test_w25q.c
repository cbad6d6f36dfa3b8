/* SPDX-License-Identifier: MIT */
/* test_w25q.c — the W25Q128JV model at the command level: IDs, status bits, program/erase
 * semantics, the simulated clock, power cuts, file persistence and the flash_bd adapter. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "w25q.h"
#include "w25q_bd.h"

#define SMALL (256u * 1024u)

static struct w25q *open_dev(uint32_t capacity, const struct w25q_timing *timing)
{
    struct w25q_config cfg = {.capacity = capacity, .timing = timing, .seed = 42};
    struct w25q *dev = NULL;
    assert_int_equal(w25q_open(&cfg, &dev), 0);
    return dev;
}

static void cmd(struct w25q *dev, uint8_t op)
{
    assert_int_equal(w25q_transfer(dev, &op, 1, NULL, 0), 0);
}

static uint8_t status1(struct w25q *dev)
{
    uint8_t op = W25Q_READ_STATUS1, sr = 0;
    assert_int_equal(w25q_transfer(dev, &op, 1, &sr, 1), 0);
    return sr;
}

static int program(struct w25q *dev, uint32_t addr, const void *data, size_t len)
{
    uint8_t tx[4 + 600];
    tx[0] = W25Q_PAGE_PROGRAM;
    tx[1] = (uint8_t)(addr >> 16);
    tx[2] = (uint8_t)(addr >> 8);
    tx[3] = (uint8_t)addr;
    memcpy(tx + 4, data, len);
    return w25q_transfer(dev, tx, 4 + len, NULL, 0);
}

static int addr_cmd(struct w25q *dev, uint8_t op, uint32_t addr)
{
    uint8_t tx[4] = {op, (uint8_t)(addr >> 16), (uint8_t)(addr >> 8), (uint8_t)addr};
    return w25q_transfer(dev, tx, 4, NULL, 0);
}

static void read_at(struct w25q *dev, uint32_t addr, void *buf, size_t len)
{
    uint8_t tx[5] = {W25Q_FAST_READ, (uint8_t)(addr >> 16), (uint8_t)(addr >> 8), (uint8_t)addr, 0};
    assert_int_equal(w25q_transfer(dev, tx, 5, buf, len), 0);
}

static void write_enabled_program(struct w25q *dev, uint32_t addr, const void *data, size_t len)
{
    cmd(dev, W25Q_WRITE_ENABLE);
    assert_int_equal(program(dev, addr, data, len), 0);
    assert_int_equal(w25q_wait_ready(dev), 0);
}

static void test_jedec_id_is_ef_40_18(void **state)
{
    struct w25q *dev = open_dev(0, NULL);
    uint8_t op = W25Q_JEDEC_ID, id[3];
    assert_int_equal(w25q_transfer(dev, &op, 1, id, 3), 0);
    assert_int_equal(id[0], 0xEF);
    assert_int_equal(id[1], 0x40);
    assert_int_equal(id[2], 0x18);
    assert_int_equal(w25q_capacity(dev), 16u * 1024 * 1024);
    w25q_close(dev);
}

static void test_write_enable_sets_and_write_disable_clears_wel(void **state)
{
    struct w25q *dev = open_dev(SMALL, NULL);
    assert_int_equal(status1(dev) & W25Q_SR1_WEL, 0);
    cmd(dev, W25Q_WRITE_ENABLE);
    assert_int_equal(status1(dev) & W25Q_SR1_WEL, W25Q_SR1_WEL);
    cmd(dev, W25Q_WRITE_DISABLE);
    assert_int_equal(status1(dev) & W25Q_SR1_WEL, 0);
    w25q_close(dev);
}

static void test_program_without_write_enable_is_refused(void **state)
{
    struct w25q *dev = open_dev(SMALL, NULL);
    uint8_t data = 0x00, back;
    assert_int_equal(program(dev, 0, &data, 1), -EPERM);
    read_at(dev, 0, &back, 1);
    assert_int_equal(back, 0xFF);
    assert_int_equal(w25q_counters(dev)->ops, 0);
    w25q_close(dev);
}

static void test_program_sets_busy_until_tpp_elapsed_then_clears_wel(void **state)
{
    struct w25q *dev = open_dev(SMALL, NULL);
    uint8_t data[256];
    memset(data, 0x5A, sizeof data);
    cmd(dev, W25Q_WRITE_ENABLE);
    assert_int_equal(program(dev, 0, data, sizeof data), 0);
    assert_int_equal(status1(dev) & (W25Q_SR1_BUSY | W25Q_SR1_WEL), W25Q_SR1_BUSY);
    uint64_t before = w25q_counters(dev)->sim_ns;
    assert_int_equal(w25q_wait_ready(dev), 0);
    uint64_t after = w25q_counters(dev)->sim_ns;
    assert_true(after - before <= 400000 && after - before > 390000);
    assert_int_equal(status1(dev) & W25Q_SR1_BUSY, 0);
    w25q_close(dev);
}

static void test_instructions_other_than_status_are_refused_while_busy(void **state)
{
    struct w25q *dev = open_dev(SMALL, NULL);
    cmd(dev, W25Q_WRITE_ENABLE);
    assert_int_equal(addr_cmd(dev, W25Q_SECTOR_ERASE, 0), 0);
    uint8_t tx[5] = {W25Q_FAST_READ, 0, 0, 0, 0}, rx[4];
    assert_int_equal(w25q_transfer(dev, tx, 5, rx, 4), -EBUSY);
    assert_int_equal(w25q_wait_ready(dev), 0);
    assert_int_equal(w25q_transfer(dev, tx, 5, rx, 4), 0);
    w25q_close(dev);
}

static void test_program_only_clears_bits(void **state)
{
    struct w25q *dev = open_dev(SMALL, NULL);
    uint8_t a = 0xF0, b = 0x3C, back;
    write_enabled_program(dev, 10, &a, 1);
    write_enabled_program(dev, 10, &b, 1);
    read_at(dev, 10, &back, 1);
    assert_int_equal(back, 0x30);
    w25q_close(dev);
}

static void test_program_wraps_within_the_page(void **state)
{
    struct w25q *dev = open_dev(SMALL, NULL);
    uint8_t data[4] = {1, 2, 3, 4}, back[256];
    write_enabled_program(dev, 256 + 254, data, 4); /* 254,255 then wraps to 0,1 */
    read_at(dev, 256, back, 256);
    assert_int_equal(back[254], 1);
    assert_int_equal(back[255], 2);
    assert_int_equal(back[0], 3);
    assert_int_equal(back[1], 4);
    assert_int_equal(back[2], 0xFF);
    uint8_t next;
    read_at(dev, 512, &next, 1);
    assert_int_equal(next, 0xFF);
    w25q_close(dev);
}

static void test_program_longer_than_a_page_keeps_the_last_256_bytes(void **state)
{
    struct w25q *dev = open_dev(SMALL, NULL);
    uint8_t data[300], back[256];
    for (int i = 0; i < 300; i++)
        data[i] = (uint8_t)(i < 44 ? 0x00 : 0xA5);
    write_enabled_program(dev, 0, data, sizeof data);
    read_at(dev, 0, back, 256);
    for (int i = 0; i < 256; i++)
        assert_int_equal(back[i], 0xA5); /* the leading 0x00 bytes were replaced after the wrap */
    assert_int_equal(w25q_counters(dev)->bytes_programmed, 256);
    w25q_close(dev);
}

static void erase_case(uint8_t op, uint32_t size, uint64_t typical_ns)
{
    struct w25q *dev = open_dev(SMALL, NULL);
    uint8_t zero[256] = {0};
    for (uint32_t a = 0; a < 2 * W25Q_BLOCK64_SIZE; a += 4096)
        write_enabled_program(dev, a, zero, sizeof zero);
    cmd(dev, W25Q_WRITE_ENABLE);
    uint64_t before = w25q_counters(dev)->sim_ns;
    assert_int_equal(addr_cmd(dev, op, size + 5), 0); /* any address inside the unit */
    assert_int_equal(w25q_wait_ready(dev), 0);
    uint64_t took = w25q_counters(dev)->sim_ns - before;
    assert_true(took >= typical_ns && took < typical_ns + 1000);
    const uint8_t *a = w25q_array(dev);
    for (uint32_t x = 0; x < 2 * W25Q_BLOCK64_SIZE; x += 4096)
        assert_int_equal(a[x], x >= size && x < 2 * size ? 0xFF : 0x00);
    assert_int_equal(w25q_sector_erase_counts(dev)[size / 4096], 1);
    assert_int_equal(w25q_sector_erase_counts(dev)[0], 0);
    w25q_close(dev);
}

static void test_sector_erase_clears_4k_in_45ms(void **state)
{
    erase_case(W25Q_SECTOR_ERASE, 4096, 45000000ull);
}

static void test_block32_erase_clears_32k_in_120ms(void **state)
{
    erase_case(W25Q_BLOCK32_ERASE, 32768, 120000000ull);
}

static void test_block64_erase_clears_64k_in_150ms(void **state)
{
    erase_case(W25Q_BLOCK64_ERASE, 65536, 150000000ull);
}

static void test_chip_erase_clears_everything_in_max_200s(void **state)
{
    struct w25q *dev = open_dev(SMALL, &w25q_timing_max);
    uint8_t zero = 0;
    write_enabled_program(dev, SMALL - 1, &zero, 1);
    cmd(dev, W25Q_WRITE_ENABLE);
    cmd(dev, W25Q_CHIP_ERASE);
    assert_int_equal(w25q_wait_ready(dev), 0);
    assert_int_equal(w25q_array(dev)[SMALL - 1], 0xFF);
    assert_true(w25q_counters(dev)->sim_ns >= 200000000000ull);
    assert_int_equal(w25q_counters(dev)->chip_erases, 1);
    w25q_close(dev);
}

static void test_power_down_ignores_instructions_until_release(void **state)
{
    struct w25q *dev = open_dev(SMALL, NULL);
    cmd(dev, W25Q_POWER_DOWN);
    uint8_t op = W25Q_JEDEC_ID, id[3];
    assert_int_equal(w25q_transfer(dev, &op, 1, id, 3), -EAGAIN);
    uint8_t rel = W25Q_RELEASE_POWER_DOWN, rx[4];
    assert_int_equal(w25q_transfer(dev, &rel, 1, rx, 4), 0);
    assert_int_equal(rx[3], 0x11); /* 256 KiB part: 2^0x12, device ID 0x11 */
    assert_int_equal(w25q_transfer(dev, &op, 1, id, 3), 0);
    w25q_close(dev);
}

static void test_address_beyond_the_array_is_invalid(void **state)
{
    struct w25q *dev = open_dev(SMALL, NULL);
    cmd(dev, W25Q_WRITE_ENABLE);
    assert_int_equal(addr_cmd(dev, W25Q_SECTOR_ERASE, SMALL), -EINVAL);
    uint8_t bogus = 0x42;
    assert_int_equal(w25q_transfer(dev, &bogus, 1, NULL, 0), -EINVAL);
    w25q_close(dev);
}

static void test_bad_capacity_is_refused(void **state)
{
    struct w25q_config cfg = {.capacity = 100000};
    struct w25q *dev = (struct w25q *)1;
    assert_int_equal(w25q_open(&cfg, &dev), -EINVAL);
    assert_null(dev);
}

static void test_cut_before_op_changes_nothing_and_powers_off(void **state)
{
    struct w25q *dev = open_dev(SMALL, NULL);
    struct w25q_cut cut = {.kind = W25Q_CUT_BEFORE_OP, .op = 1};
    w25q_set_cut(dev, &cut);
    uint8_t zero[16] = {0};
    cmd(dev, W25Q_WRITE_ENABLE);
    assert_int_equal(program(dev, 0, zero, sizeof zero), -EIO);
    assert_true(w25q_is_off(dev));
    assert_int_equal(w25q_array(dev)[0], 0xFF);
    uint8_t op = W25Q_WRITE_ENABLE;
    assert_int_equal(w25q_transfer(dev, &op, 1, NULL, 0), -EIO);
    w25q_power_cycle(dev);
    assert_false(w25q_is_off(dev));
    assert_int_equal(status1(dev), 0);
    w25q_close(dev);
}

static void test_cut_at_byte_programs_the_prefix_and_part_of_the_rest(void **state)
{
    struct w25q *dev = open_dev(SMALL, NULL);
    uint8_t data[256];
    memset(data, 0x00, sizeof data);
    write_enabled_program(dev, 0, data, 1); /* op 1 */
    struct w25q_cut cut = {.kind = W25Q_CUT_AT_BYTE, .op = 2, .byte = 100};
    w25q_set_cut(dev, &cut);
    cmd(dev, W25Q_WRITE_ENABLE);
    assert_int_equal(program(dev, 256, data, 256), -EIO);
    const uint8_t *a = w25q_array(dev);
    for (int i = 0; i < 100; i++)
        assert_int_equal(a[256 + i], 0x00);
    int partial = 0;
    for (int i = 100; i < 256; i++)
        partial += a[256 + i] != 0x00;
    assert_true(partial > 100); /* most of the tail is not fully programmed */
    assert_int_equal(a[512], 0xFF); /* nothing outside the page */
    w25q_close(dev);
}

static void test_cut_mid_erase_only_sets_bits_inside_the_sector(void **state)
{
    struct w25q *dev = open_dev(SMALL, NULL);
    uint8_t zero[256] = {0};
    for (uint32_t a = 0; a < 8192; a += 256)
        write_enabled_program(dev, a, zero, sizeof zero);
    uint64_t op = w25q_counters(dev)->ops + 1;
    struct w25q_cut cut = {.kind = W25Q_CUT_RANDOM, .op = op};
    w25q_set_cut(dev, &cut);
    cmd(dev, W25Q_WRITE_ENABLE);
    assert_int_equal(addr_cmd(dev, W25Q_SECTOR_ERASE, 0), -EIO);
    const uint8_t *a = w25q_array(dev);
    int erased = 0, programmed = 0;
    for (int i = 0; i < 4096; i++) {
        erased += a[i] == 0xFF;
        programmed += a[i] == 0x00;
    }
    assert_true(erased < 4096 && programmed < 4096); /* indeterminate, neither state */
    for (int i = 4096; i < 8192; i++)
        assert_int_equal(a[i], 0x00);
    w25q_close(dev);
}

static void test_same_seed_gives_the_same_indeterminate_state(void **state)
{
    uint8_t first[256];
    for (int round = 0; round < 2; round++) {
        struct w25q *dev = open_dev(SMALL, NULL);
        uint8_t zero[256] = {0};
        struct w25q_cut cut = {.kind = W25Q_CUT_RANDOM, .op = 1};
        w25q_set_cut(dev, &cut);
        cmd(dev, W25Q_WRITE_ENABLE);
        assert_int_equal(program(dev, 0, zero, sizeof zero), -EIO);
        if (round == 0)
            memcpy(first, w25q_array(dev), 256);
        else
            assert_memory_equal(first, w25q_array(dev), 256);
        w25q_close(dev);
    }
}

static void test_backing_file_persists_contents(void **state)
{
    char path[] = "/tmp/w25q-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    struct w25q_config cfg = {.capacity = SMALL, .path = path};
    struct w25q *dev = NULL;
    assert_int_equal(w25q_open(&cfg, &dev), 0);
    uint8_t data[3] = {1, 2, 3}, back[3];
    write_enabled_program(dev, 1000, data, 3);
    assert_int_equal(w25q_close(dev), 0);
    cfg.capacity = 0; /* take the size from the file */
    assert_int_equal(w25q_open(&cfg, &dev), 0);
    assert_int_equal(w25q_capacity(dev), SMALL);
    read_at(dev, 1000, back, 3);
    assert_memory_equal(back, data, 3);
    assert_int_equal(w25q_close(dev), 0);
    cfg.capacity = 2 * SMALL;
    assert_int_equal(w25q_open(&cfg, &dev), -EINVAL);
    unlink(path);
}

static void test_bd_erases_a_64k_block_with_one_d8h(void **state)
{
    struct w25q *dev = open_dev(SMALL, NULL);
    struct w25q_bd wbd;
    assert_int_equal(w25q_bd_init(&wbd, dev, 65536), 0);
    assert_int_equal(wbd.bd.block_count, 4);
    assert_int_equal(wbd.bd.erase(wbd.bd.ctx, 1), 0);
    assert_int_equal(w25q_counters(dev)->block64_erases, 1);
    assert_int_equal(w25q_counters(dev)->sector_erases, 0);
    assert_int_equal(wbd.bd.erase(wbd.bd.ctx, 4), -EINVAL);
    w25q_close(dev);
}

static void test_bd_program_splits_at_page_boundaries(void **state)
{
    struct w25q *dev = open_dev(SMALL, NULL);
    struct w25q_bd wbd;
    assert_int_equal(w25q_bd_init(&wbd, dev, 4096), 0);
    uint8_t data[600], back[600];
    for (int i = 0; i < 600; i++)
        data[i] = (uint8_t)(i * 7);
    assert_int_equal(wbd.bd.prog(wbd.bd.ctx, 2, 100, data, 600), 0);
    assert_int_equal(w25q_counters(dev)->page_programs, 3); /* 156 + 256 + 188 */
    assert_int_equal(wbd.bd.read(wbd.bd.ctx, 2, 100, back, 600), 0);
    assert_memory_equal(back, data, 600);
    assert_int_equal(wbd.bd.prog(wbd.bd.ctx, 2, 4000, data, 200), -EINVAL);
    assert_int_equal(w25q_bd_init(&wbd, dev, 8192), -EINVAL);
    w25q_close(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jedec_id_is_ef_40_18),
        cmocka_unit_test(test_write_enable_sets_and_write_disable_clears_wel),
        cmocka_unit_test(test_program_without_write_enable_is_refused),
        cmocka_unit_test(test_program_sets_busy_until_tpp_elapsed_then_clears_wel),
        cmocka_unit_test(test_instructions_other_than_status_are_refused_while_busy),
        cmocka_unit_test(test_program_only_clears_bits),
        cmocka_unit_test(test_program_wraps_within_the_page),
        cmocka_unit_test(test_program_longer_than_a_page_keeps_the_last_256_bytes),
        cmocka_unit_test(test_sector_erase_clears_4k_in_45ms),
        cmocka_unit_test(test_block32_erase_clears_32k_in_120ms),
        cmocka_unit_test(test_block64_erase_clears_64k_in_150ms),
        cmocka_unit_test(test_chip_erase_clears_everything_in_max_200s),
        cmocka_unit_test(test_power_down_ignores_instructions_until_release),
        cmocka_unit_test(test_address_beyond_the_array_is_invalid),
        cmocka_unit_test(test_bad_capacity_is_refused),
        cmocka_unit_test(test_cut_before_op_changes_nothing_and_powers_off),
        cmocka_unit_test(test_cut_at_byte_programs_the_prefix_and_part_of_the_rest),
        cmocka_unit_test(test_cut_mid_erase_only_sets_bits_inside_the_sector),
        cmocka_unit_test(test_same_seed_gives_the_same_indeterminate_state),
        cmocka_unit_test(test_backing_file_persists_contents),
        cmocka_unit_test(test_bd_erases_a_64k_block_with_one_d8h),
        cmocka_unit_test(test_bd_program_splits_at_page_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
