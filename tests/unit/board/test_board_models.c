/* SPDX-License-Identifier: MIT */
/* test_board_models.c — the board's device models against their datasheets (LSM6DS3: WHO_AM_I,
 * register auto-increment, full scales, reset, read-only registers, SPI framing) and the board's
 * handles through the wire protocol libapplibs speaks (I2C NACK, SPI to the W25Q128JV through
 * its command path, ADC conversion, PWM validation, one owner per peripheral, the event ring). */
#include <errno.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "board.h"
#include "board_client.h"
#include "board_gpio_ring.h"
#include "lsm6ds3.h"

static uint8_t reg_read(struct lsm6ds3 *d, uint8_t reg)
{
    uint8_t v = 0;
    lsm6ds3_i2c_write(d, &reg, 1);
    lsm6ds3_i2c_read(d, &v, 1);
    return v;
}

static void reg_write(struct lsm6ds3 *d, uint8_t reg, uint8_t v)
{
    uint8_t b[2] = {reg, v};
    lsm6ds3_i2c_write(d, b, 2);
}

static void who_am_i_reads_69h(void **state)
{
    struct lsm6ds3 d;
    lsm6ds3_init(&d);
    assert_int_equal(reg_read(&d, LSM6DS3_WHO_AM_I), 0x69);
    reg_write(&d, LSM6DS3_WHO_AM_I, 0x12); /* read-only */
    assert_int_equal(reg_read(&d, LSM6DS3_WHO_AM_I), 0x69);
}

static void outputs_auto_increment_at_2g(void **state)
{
    struct lsm6ds3 d;
    lsm6ds3_init(&d);
    lsm6ds3_set_accel(&d, 0.5, -0.25, 1.0);
    reg_write(&d, LSM6DS3_CTRL1_XL, 0x40); /* 104 Hz, ±2 g */
    uint8_t reg = LSM6DS3_OUTX_L_XL, out[6];
    lsm6ds3_i2c_write(&d, &reg, 1);
    lsm6ds3_i2c_read(&d, out, 6);
    int16_t x = (int16_t)(out[0] | out[1] << 8), y = (int16_t)(out[2] | out[3] << 8), z = (int16_t)(out[4] | out[5] << 8);
    assert_int_equal(x, 8197);  /* 500 mg / 0.061 */
    assert_int_equal(y, -4098);
    assert_int_equal(z, 16393);
    assert_int_equal(reg_read(&d, LSM6DS3_STATUS_REG) & 1, 1);
}

static void full_scale_16g_changes_sensitivity(void **state)
{
    struct lsm6ds3 d;
    lsm6ds3_init(&d);
    reg_write(&d, LSM6DS3_CTRL1_XL, 0x44); /* ±16 g */
    uint8_t reg = LSM6DS3_OUTX_L_XL + 4, out[2];
    lsm6ds3_i2c_write(&d, &reg, 1);
    lsm6ds3_i2c_read(&d, out, 2);
    assert_int_equal((int16_t)(out[0] | out[1] << 8), 2049); /* 1000 mg / 0.488 */
}

static void without_if_inc_the_address_stays(void **state)
{
    struct lsm6ds3 d;
    lsm6ds3_init(&d);
    reg_write(&d, LSM6DS3_CTRL3_C, 0x00);
    uint8_t reg = LSM6DS3_WHO_AM_I, out[3];
    lsm6ds3_i2c_write(&d, &reg, 1);
    lsm6ds3_i2c_read(&d, out, 3);
    assert_memory_equal(out, ((uint8_t[]){0x69, 0x69, 0x69}), 3);
}

static void powered_down_outputs_keep_their_value(void **state)
{
    struct lsm6ds3 d;
    lsm6ds3_init(&d);
    assert_int_equal(reg_read(&d, LSM6DS3_OUTX_L_XL + 5), 0); /* never sampled */
    assert_int_equal(reg_read(&d, LSM6DS3_STATUS_REG), 0);
}

static void sw_reset_restores_defaults(void **state)
{
    struct lsm6ds3 d;
    lsm6ds3_init(&d);
    reg_write(&d, LSM6DS3_CTRL1_XL, 0x40);
    reg_write(&d, LSM6DS3_CTRL3_C, 0x05);
    assert_int_equal(reg_read(&d, LSM6DS3_CTRL1_XL), 0);
    assert_int_equal(reg_read(&d, LSM6DS3_CTRL3_C), 0x04);
}

static void spi_read_bit_and_write(void **state)
{
    struct lsm6ds3 d;
    lsm6ds3_init(&d);
    uint8_t rx[2];
    lsm6ds3_spi_frame(&d, (uint8_t[]){0x80 | LSM6DS3_WHO_AM_I}, 1, rx, 1);
    assert_int_equal(rx[0], 0x69);
    lsm6ds3_spi_frame(&d, (uint8_t[]){LSM6DS3_CTRL1_XL, 0x40, 0x10}, 3, rx, 0); /* CTRL1_XL, CTRL2_G */
    lsm6ds3_spi_frame(&d, (uint8_t[]){0x80 | LSM6DS3_CTRL1_XL}, 1, rx, 2);
    assert_memory_equal(rx, ((uint8_t[]){0x40, 0x10}), 2);
}

/* ---- the board's handles --------------------------------------------------------------------- */

static const struct guid app_a = {{1}}, app_b = {{2}};

static void i2c_handle_reads_nacks_and_is_owned(void **state)
{
    struct board *b;
    assert_int_equal(board_create(&b), 0);
    int fd = board_i2c_open(b, "ISU2", &app_a);
    assert_true(fd >= 0);
    assert_int_equal(board_i2c_open(b, "ISU2", &app_b), -EBUSY);
    assert_int_equal(board_spi_open(b, "ISU2", -1, 1, &app_a), -EBUSY); /* one function per ISU */
    assert_int_equal(board_i2c_open(b, "ISU7", &app_a), -ENODEV);
    uint8_t reg = LSM6DS3_WHO_AM_I, v = 0;
    struct iovec out = {&reg, 1}, in = {&v, 1};
    assert_int_equal(board_client_call(fd, BOARD_WIRE_I2C_TRANSFER, 0x6A, 0, &out, 1, &in, 1, NULL), 1);
    assert_int_equal(v, 0x69);
    assert_int_equal(board_client_call(fd, BOARD_WIRE_I2C_TRANSFER, 0x50, 0, &out, 1, &in, 1, NULL), -ENXIO);
    assert_int_equal(board_client_simple(fd, BOARD_WIRE_ADC_POLL, 0, 0, NULL), -EBADF);
    close(fd);
    int again = -EBUSY;
    for (int i = 0; i < 100 && again == -EBUSY; i++, usleep(5000))
        again = board_i2c_open(b, "ISU2", &app_b);
    assert_true(again >= 0);
    board_release_owner(b, &app_b);
    assert_int_equal(board_client_simple(again, BOARD_WIRE_I2C_SPEED, 0, 400000, NULL), -EBADF); /* board end gone */
    close(again);
    board_destroy(b);
}

static void spi_reaches_the_flash_through_its_commands(void **state)
{
    struct board *b;
    assert_int_equal(board_create(&b), 0);
    int fd = board_spi_open(b, "ISU1", -2, 1, &app_a);
    assert_true(fd >= 0);
    assert_int_equal(board_spi_open(b, "ISU1", -2, 1, &app_a), -EBUSY);
    assert_int_equal(board_spi_open(b, "ISU1", -3, 1, &app_a), -EINVAL);
    struct board_wire_segment segs[2] = {{2, 1}, {1, 3}};
    uint8_t cmd = 0x9F, id[3];
    struct iovec out[2] = {{segs, sizeof segs}, {&cmd, 1}}, in = {id, 3};
    assert_int_equal(board_client_call(fd, BOARD_WIRE_SPI_FRAME, 0, 2, out, 2, &in, 1, NULL), 3);
    assert_memory_equal(id, ((uint8_t[]){0xEF, 0x40, 0x18}), 3);
    /* page program without write enable is ignored by the chip; the array stays erased */
    uint8_t prog[5] = {0x02, 0, 0, 0, 0x00}, rd[4] = {0x03, 0, 0, 0}, back = 0;
    struct board_wire_segment w5 = {2, 5}, rw[2] = {{2, 4}, {1, 1}};
    struct iovec po[2] = {{&w5, sizeof w5}, {prog, 5}}, ro[2] = {{rw, sizeof rw}, {rd, 4}}, ri = {&back, 1};
    assert_int_equal(board_client_call(fd, BOARD_WIRE_SPI_FRAME, 0, 1, po, 2, NULL, 0, NULL), 0);
    assert_int_equal(board_client_call(fd, BOARD_WIRE_SPI_FRAME, 0, 2, ro, 2, &ri, 1, NULL), 1);
    assert_int_equal(back, 0xFF);
    struct board_wire_segment bad = {3, 1};
    struct iovec bo[2] = {{&bad, sizeof bad}, {&cmd, 1}};
    assert_int_equal(board_client_call(fd, BOARD_WIRE_SPI_FRAME, 0, 1, bo, 2, NULL, 0, NULL), -EINVAL);
    close(fd);
    board_destroy(b);
}

static void adc_converts_and_pwm_validates(void **state)
{
    struct board *b;
    assert_int_equal(board_create(&b), 0);
    struct json_value *o = NULL;
    char why[128];
    assert_int_equal(board_sim_request(b, "PUT", "adc/0/3", NULL, "{\"volts\":0.625}", 15, &o, why, sizeof why), 0);
    json_free(o);
    assert_int_equal(board_sim_request(b, "PUT", "adc/0/3", NULL, "{\"volt\":1}", 10, &o, why, sizeof why), -EINVAL);
    int adc = board_adc_open(b, "ADC-CONTROLLER-0", &app_a);
    assert_true(adc >= 0);
    assert_int_equal(board_adc_open(b, "ADC-CONTROLLER-0", &app_b), -EBUSY);
    assert_int_equal(board_adc_open(b, "ADC-CONTROLLER-1", &app_b), -ENODEV);
    uint32_t v = 0;
    assert_int_equal(board_client_simple(adc, BOARD_WIRE_ADC_POLL, 3, 0, &v), 0);
    assert_int_equal(v, 1024); /* 0.625 / 2.5 * 4095, rounded */
    assert_int_equal(board_client_simple(adc, BOARD_WIRE_ADC_REFERENCE, 3, 1800000, NULL), 0);
    assert_int_equal(board_client_simple(adc, BOARD_WIRE_ADC_POLL, 3, 0, &v), 0);
    assert_int_equal(v, 1422);
    assert_int_equal(board_client_simple(adc, BOARD_WIRE_ADC_REFERENCE, 3, 3300000, NULL), -EINVAL);
    assert_int_equal(board_client_simple(adc, BOARD_WIRE_ADC_BITS, 8, 0, &v), -EINVAL);
    int pwm = board_pwm_open(b, "PWM-CONTROLLER-1", &app_a);
    assert_true(pwm >= 0);
    struct board_wire_pwm s = {1000, 1001, 0, 1};
    struct iovec out = {&s, sizeof s};
    assert_int_equal(board_client_call(pwm, BOARD_WIRE_PWM_APPLY, 0, 0, &out, 1, NULL, 0, NULL), -EINVAL);
    s.duty_ns = 500;
    assert_int_equal(board_client_call(pwm, BOARD_WIRE_PWM_APPLY, 4, 0, &out, 1, NULL, 0, NULL), -ENODEV);
    assert_int_equal(board_client_call(pwm, BOARD_WIRE_PWM_APPLY, 2, 0, &out, 1, NULL, 0, NULL), 0);
    assert_int_equal(board_sim_request(b, "GET", "pwm", NULL, NULL, 0, &o, why, sizeof why), 0);
    const struct json_value *c1 = json_object_get(o, "controllers")->u.array.items[1];
    const struct json_value *ch2 = json_object_get(c1, "channels")->u.array.items[2];
    assert_int_equal(json_object_get(ch2, "dutyCycleNs")->u.number.integer, 500);
    assert_true(json_object_get(ch2, "enabled")->u.boolean);
    json_free(o);
    assert_int_equal(board_sim_request(b, "GET", "events", "1", NULL, 0, &o, why, sizeof why), 0);
    const struct json_value *ev = json_object_get(o, "events");
    const struct json_value *last = ev->u.array.items[ev->u.array.count - 1];
    assert_string_equal(json_object_get(last, "kind")->u.string.chars, "pwm");
    assert_string_equal(json_object_get(last, "source")->u.string.chars, "PWM1.2");
    json_free(o);
    close(adc);
    close(pwm);
    board_destroy(b);
}

static void board_files_are_checked(void **state)
{
    char why[256];
    static const char good[] = "{\"Name\":\"n\",\"HardwareDefinition\":\"h\",\"Devices\":{\"a\":{\"Model\":\"lsm6ds3\"}},"
                               "\"SpiMaster\":{\"ISU3\":{\"B\":\"a\"}}}";
    assert_int_equal(board_check_file(good, strlen(good), why, sizeof why), 0);
    static const struct { const char *text, *why; } bad[] = {
        {"[]", "must be a JSON object"},
        {"{\"Name\":\"n\"}", "needs a HardwareDefinition"},
        {"{\"Name\":\"n\",\"HardwareDefinition\":\"h\",\"Devices\":{\"a\":{\"Model\":\"bmp280\"}}}", "Devices.a.Model"},
        {"{\"Name\":\"n\",\"HardwareDefinition\":\"h\",\"SpiMaster\":{\"ISU1\":{\"C\":\"a\"}}}", "SpiMaster.ISU1.C"},
        {"{\"Name\":\"n\",\"HardwareDefinition\":\"h\",\"Pwm\":{\"PWM-CONTROLLER-3\":{\"Channels\":4}}}", "Pwm.PWM-CONTROLLER-3"},
        {"{\"Name\":\"n\",\"HardwareDefinition\":\"h\",\"Devices\":{\"f\":{\"Model\":\"w25q128jv\",\"Image\":\"../x\"}}}",
         "not a path"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        assert_int_equal(board_check_file(bad[i].text, strlen(bad[i].text), why, sizeof why), -EINVAL);
        if (!strstr(why, bad[i].why))
            fail_msg("case %zu: '%s' does not mention '%s'", i, why, bad[i].why);
    }
    /* the first problem by position, where it is, and how many more there are */
    static const char two[] = "{\"Name\":\"x\",\"HardwareDefinition\":\"y\",\"I2cMaster\":{\"ISU9\":[]},\"Uart\":{\"ISU5\":{}}}";
    assert_int_equal(board_check_file(two, strlen(two), why, sizeof why), -EINVAL);
    assert_string_equal(why, "I2cMaster.ISU9: not an ISU (ISU0-ISU4) with a list of targets (line 1, column 51); "
                             "and 1 more problem");
}

static long elapsed_us(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000000L + (now.tv_nsec - since->tv_nsec) / 1000;
}

/* GPIO_SetValue's contract with the board: every set is applied in order (a 'G' queued behind a
 * burst of sets answers the last one), and "promptly": a lone set is visible to the board
 * (board_gpio_get, what `sphere sim gpio` reads) within 50 ms even on a loaded machine (typically
 * tens of microseconds: one wake-up of the board's thread). The line closes when the app's end
 * does. */
static void gpio_sets_arrive_in_order_and_promptly(void **state)
{
    (void)state;
    struct board *b;
    assert_int_equal(board_create(&b), 0);
    int fd = board_gpio_open(b, 8, BOARD_OUTPUT, 1, &app_a);
    assert_true(fd >= 0);
    for (int i = 0; i < 5000; i++) {
        uint8_t set[2] = {'S', (uint8_t)(i & 1)};
        assert_int_equal(send(fd, set, 2, MSG_NOSIGNAL), 2);
    }
    uint8_t get[2] = {'G', 0}, level = 9;
    assert_int_equal(send(fd, get, 2, MSG_NOSIGNAL), 2);
    assert_int_equal(recv(fd, &level, 1, 0), 1);
    assert_int_equal(level, 1); /* the last set: i = 4999 */
    int now = -1;
    enum board_direction dir;
    for (int v = 0; v < 2; v++) {
        uint8_t set[2] = {'S', (uint8_t)v};
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(send(fd, set, 2, MSG_NOSIGNAL), 2);
        while (board_gpio_get(b, 8, &now, &dir) == 0 && now != v && elapsed_us(&t0) < 50000)
            usleep(10);
        assert_int_equal(now, v);
    }
    close(fd);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (board_gpio_get(b, 8, &now, &dir) == 0 && dir != BOARD_UNUSED && elapsed_us(&t0) < 1000000)
        usleep(100);
    assert_int_equal(dir, BOARD_UNUSED);
    board_destroy(b);
}

/* Asks a line for its set ring ('M'): the memfd received, or -1 when the board answered 0 with
 * no descriptor (anything else fails the test). */
static int ask_ring(int fd)
{
    uint8_t ask[2] = {'M', 0}, yes = 7;
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {&yes, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                       .msg_controllen = sizeof control.space};
    assert_int_equal(send(fd, ask, 2, MSG_NOSIGNAL), 2);
    assert_int_equal(recvmsg(fd, &m, 0), 1);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (yes == 0) {
        assert_null(c);
        return -1;
    }
    assert_int_equal(yes, 1);
    assert_non_null(c);
    int memfd;
    memcpy(&memfd, CMSG_DATA(c), sizeof memfd);
    return memfd;
}

/* How many "gpio-ring" memfds this process (the board runs in it) holds open. */
static int open_gpio_rings(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        char path[300], target[256];
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t len = readlink(path, target, sizeof target - 1);
        if (len > 0) {
            target[len] = '\0';
            n += strstr(target, "memfd:gpio-ring") != NULL;
        }
    }
    closedir(d);
    return n;
}

/* An RTApp's output mirrored by the runtime (board_gpio_open_mirror) takes sets on its socket
 * and has no set ring: 'M' answers 0 with no descriptor, and no "gpio-ring" memfd exists. */
static void gpio_mirror_lines_have_no_set_ring(void **state)
{
    (void)state;
    struct board *b;
    assert_int_equal(board_create(&b), 0);
    int fd = board_gpio_open_mirror(b, 9, 0, &app_a);
    assert_true(fd >= 0);
    assert_int_equal(ask_ring(fd), -1); /* 'M' answered 0, no descriptor */
    assert_int_equal(open_gpio_rings(), 0);
    int app_fd = board_gpio_open(b, 10, BOARD_OUTPUT, 0, &app_a); /* an app's output: one ring */
    assert_true(app_fd >= 0);
    assert_int_equal(open_gpio_rings(), 1);
    close(app_fd);
    uint8_t set[2] = {'S', 1}, get[2] = {'G', 0}, level = 9;
    assert_int_equal(send(fd, set, 2, MSG_NOSIGNAL), 2);
    assert_int_equal(send(fd, get, 2, MSG_NOSIGNAL), 2);
    assert_int_equal(recv(fd, &level, 1, 0), 1);
    assert_int_equal(level, 1);
    int now = -1;
    enum board_direction dir;
    assert_int_equal(board_gpio_get(b, 9, &now, &dir), 0);
    assert_int_equal(dir, BOARD_OUTPUT);
    close(fd);
    board_destroy(b);
}

/* The same contract through an output's set ring (board_gpio_ring.h, what GPIO_SetValue uses):
 * 'M' hands over a sealed page that cannot be resized; sets appended to it are applied in order
 * (a 'G' empties the ring first, as does board_gpio_changes), a set made after the board armed
 * board_waiting and rang with 'W' is visible within 50 ms, and a closed line marks the page. */
static void gpio_ring_sets_arrive_in_order_and_promptly(void **state)
{
    (void)state;
    struct board *b;
    assert_int_equal(board_create(&b), 0);
    int fd = board_gpio_open(b, 8, BOARD_OUTPUT, 1, &app_a);
    assert_true(fd >= 0);
    int memfd = ask_ring(fd);
    assert_true(memfd >= 0);
    assert_int_equal(ftruncate(memfd, 0), -1); /* sealed: the board's mapping cannot be cut */
    assert_int_equal(ftruncate(memfd, 2 * BOARD_GPIO_RING_BYTES), -1);
    struct board_gpio_ring *r = mmap(NULL, BOARD_GPIO_RING_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    assert_true(r != MAP_FAILED);
    close(memfd);
    uint64_t before = board_gpio_changes(b, 8);
    for (uint32_t i = 0; i < 5000; i++) {
        while (atomic_load(&r->tail) - atomic_load(&r->head) >= BOARD_GPIO_RING_SLOTS)
            usleep(10); /* full: the board's thread drains it (board_waiting is set by then) */
        uint32_t t = atomic_load(&r->tail);
        r->values[t % BOARD_GPIO_RING_SLOTS] = (uint8_t)(i & 1);
        atomic_store(&r->tail, t + 1);
        if (atomic_exchange(&r->board_waiting, 0)) {
            uint8_t w[2] = {'W', 0};
            assert_int_equal(send(fd, w, 2, MSG_NOSIGNAL), 2);
        }
    }
    uint8_t get[2] = {'G', 0}, level = 9;
    assert_int_equal(send(fd, get, 2, MSG_NOSIGNAL), 2);
    assert_int_equal(recv(fd, &level, 1, 0), 1);
    assert_int_equal(level, 1); /* the last set: i = 4999 */
    assert_int_equal(board_gpio_changes(b, 8) - before, 5000);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!atomic_load(&r->board_waiting) && elapsed_us(&t0) < 1000000)
        usleep(100); /* the board's thread goes to sleep */
    assert_true(atomic_exchange(&r->board_waiting, 0));
    uint32_t t = atomic_load(&r->tail);
    r->values[t % BOARD_GPIO_RING_SLOTS] = 0;
    atomic_store(&r->tail, t + 1);
    uint8_t w[2] = {'W', 0};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(send(fd, w, 2, MSG_NOSIGNAL), 2);
    int now = -1;
    enum board_direction dir;
    while (atomic_load(&r->head) != t + 1 && elapsed_us(&t0) < 50000)
        usleep(10);
    assert_int_equal(board_gpio_get(b, 8, &now, &dir), 0);
    assert_int_equal(now, 0);
    close(fd);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!atomic_load(&r->closed) && elapsed_us(&t0) < 1000000)
        usleep(100);
    assert_int_equal(atomic_load(&r->closed), 1);
    munmap(r, BOARD_GPIO_RING_BYTES);
    board_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(who_am_i_reads_69h),
        cmocka_unit_test(outputs_auto_increment_at_2g),
        cmocka_unit_test(full_scale_16g_changes_sensitivity),
        cmocka_unit_test(without_if_inc_the_address_stays),
        cmocka_unit_test(powered_down_outputs_keep_their_value),
        cmocka_unit_test(sw_reset_restores_defaults),
        cmocka_unit_test(spi_read_bit_and_write),
        cmocka_unit_test(i2c_handle_reads_nacks_and_is_owned),
        cmocka_unit_test(spi_reaches_the_flash_through_its_commands),
        cmocka_unit_test(adc_converts_and_pwm_validates),
        cmocka_unit_test(board_files_are_checked),
        cmocka_unit_test(gpio_sets_arrive_in_order_and_promptly),
        cmocka_unit_test(gpio_ring_sets_arrive_in_order_and_promptly),
        cmocka_unit_test(gpio_mirror_lines_have_no_set_ring),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
