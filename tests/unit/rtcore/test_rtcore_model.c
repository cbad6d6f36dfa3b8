/* SPDX-License-Identifier: MIT */
/* test_rtcore_model.c — the emulator's pure parts: the ELF loader against hostile inputs, NVIC
 * priority rules, peripheral timing on the cycle clock, manifest grants, control protocol. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtcore_ctl.h"
#include "rtcore_elf.h"
#include "rtcore_grant.h"
#include "rtcore_nvic.h"
#include "rtcore_soc.h"

/* ---- ELF images built in memory ------------------------------------------------------------ */

struct seg {
    uint32_t type, offset, vaddr, filesz, memsz, flags;
};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v), put16(p + 2, (uint16_t)(v >> 16)); }

/* A 4 KiB file: header, program headers at 52, segment data from 0x100 (vector table there:
 * SP 0x00130000, reset 0x00100009). */
static size_t make_elf(uint8_t *f, const struct seg *segs, int n)
{
    memset(f, 0, 4096);
    memcpy(f, "\x7f" "ELF\x01\x01\x01", 7);
    put16(f + 16, 2);
    put16(f + 18, 40);
    put32(f + 20, 1);
    put32(f + 24, 0x00100009);
    put32(f + 28, 52);
    put16(f + 40, 52);
    put16(f + 42, 32);
    put16(f + 44, (uint16_t)n);
    for (int i = 0; i < n; i++) {
        uint8_t *ph = f + 52 + 32 * i;
        put32(ph, segs[i].type);
        put32(ph + 4, segs[i].offset);
        put32(ph + 8, segs[i].vaddr);
        put32(ph + 12, segs[i].vaddr);
        put32(ph + 16, segs[i].filesz);
        put32(ph + 20, segs[i].memsz);
        put32(ph + 24, segs[i].flags);
    }
    put32(f + 0x100, 0x00130000);
    put32(f + 0x104, 0x00100009);
    return 4096;
}

static const struct seg good = {1, 0x100, 0x00100000, 0x100, 0x200, 5};

static const char *parse_code(const uint8_t *f, size_t len)
{
    struct rtcore_image img;
    struct rtcore_load_error err = {0};
    int rc = rtcore_elf_parse(f, len, &img, &err);
    if (rc == 0)
        return "ok";
    assert_int_equal(rc, -ENOEXEC);
    assert_non_null(err.code);
    assert_true(strlen(err.message) > 10);
    return err.code;
}

static void test_elf_good_image_boots_from_its_vector_table(void **state)
{
    static uint8_t f[4096];
    size_t len = make_elf(f, &good, 1);
    struct rtcore_image img;
    struct rtcore_load_error err;
    assert_int_equal(rtcore_elf_parse(f, len, &img, &err), 0);
    assert_int_equal(img.vector_table, 0x00100000);
    assert_int_equal(img.initial_sp, 0x00130000);
    assert_int_equal(img.reset_pc, 0x00100009);
    uint8_t *mem[RTCORE_REGION_COUNT];
    for (int i = 0; i < RTCORE_REGION_COUNT; i++)
        mem[i] = malloc(rtcore_regions[i].size), memset(mem[i], 0xAA, rtcore_regions[i].size);
    rtcore_elf_load(&img, f, mem);
    assert_memory_equal(mem[RTCORE_TCM], f + 0x100, 0x100);
    assert_int_equal(mem[RTCORE_TCM][0x100], 0);   /* .bss zero-filled */
    assert_int_equal(mem[RTCORE_TCM][0x1FF], 0);
    assert_int_equal(mem[RTCORE_TCM][0x200], 0xAA); /* nothing beyond memsz */
    for (int i = 0; i < RTCORE_REGION_COUNT; i++)
        free(mem[i]);
}

struct hostile {
    const char *name;
    struct seg segs[2];
    int count;
    const char *code;
};

static void test_elf_hostile_images_are_refused_with_a_reason(void **state)
{
    static const struct hostile cases[] = {
        {"file size beyond memory size", {{1, 0x100, 0x00100000, 0x300, 0x200, 5}}, 1, "bad-segment-size"},
        {"huge file size", {{1, 0x100, 0x00100000, 0xFFFFFF00u, 0xFFFFFF00u, 5}}, 1, "segment-outside-file"},
        {"offset past the end", {{1, 0xFFFFFFF0u, 0x00100000, 0x20, 0x20, 5}}, 1, "segment-outside-file"},
        {"huge memory size", {{1, 0x100, 0x00100000, 0x100, 0x7FFFFFFF, 5}}, 1, "segment-outside-memory"},
        {"wraps around 4 GiB", {{1, 0x100, 0xFFFFFF00u, 0x100, 0x200, 5}}, 1, "segment-outside-memory"},
        {"straddles TCM's end", {{1, 0x100, 0x0012FF00, 0x100, 0x200, 5}}, 1, "segment-outside-memory"},
        {"in peripheral space", {{1, 0x100, 0x21040000, 0x100, 0x100, 5}}, 1, "segment-outside-memory"},
        {"overlapping segments", {{1, 0x100, 0x00100000, 0x100, 0x200, 5}, {1, 0x100, 0x00100100, 0x10, 0x10, 6}}, 2,
         "overlapping-segments"},
        {"vector table in .bss", {{1, 0x100, 0x00100000, 0x4, 0x200, 5}}, 1, "no-vector-table"},
        {"no loadable segment", {{4, 0x100, 0x00100000, 0x100, 0x100, 5}}, 1, "no-segments"},
        {"reset vector in a data segment", {{1, 0x100, 0x00100000, 0x100, 0x200, 6}}, 1, "bad-reset-vector"},
    };
    static uint8_t f[4096];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = make_elf(f, cases[i].segs, cases[i].count);
        const char *got = parse_code(f, len);
        if (strcmp(got, cases[i].code) != 0)
            fail_msg("case \"%s\": expected %s, got %s", cases[i].name, cases[i].code, got);
    }
}

static void test_elf_bad_headers_and_vectors_are_refused(void **state)
{
    static uint8_t f[4096];
    size_t len = make_elf(f, &good, 1);
    assert_string_equal(parse_code(f, 40), "bad-magic");
    f[4] = 2;
    assert_string_equal(parse_code(f, len), "bad-class");
    make_elf(f, &good, 1);
    put16(f + 18, 62);
    assert_string_equal(parse_code(f, len), "wrong-machine");
    make_elf(f, &good, 1);
    put16(f + 44, 0xFFFF); /* 65535 program headers run past the file */
    assert_string_equal(parse_code(f, len), "phdrs-outside-file");
    make_elf(f, &good, 1);
    put32(f + 0x100, 0x30000000); /* stack outside memory */
    assert_string_equal(parse_code(f, len), "bad-initial-sp");
    make_elf(f, &good, 1);
    put32(f + 0x104, 0x00100008); /* no Thumb bit */
    assert_string_equal(parse_code(f, len), "bad-reset-vector");
    make_elf(f, &good, 1);
    put32(f + 0x104, 0x20000001); /* reset vector outside every segment */
    assert_string_equal(parse_code(f, len), "bad-reset-vector");
    make_elf(f, &good, 1);
    assert_string_equal(parse_code(f, 0x150), "segment-outside-file"); /* truncated file */
}

/* ---- NVIC ---------------------------------------------------------------------------------- */

static void test_nvic_priorities_keep_three_bits(void **state)
{
    struct rtcore_nvic n;
    rtcore_nvic_reset(&n);
    rtcore_nvic_set_priority(&n, RTCORE_EXC_IRQ0 + 3, 0xFF);
    assert_int_equal(n.prio[RTCORE_EXC_IRQ0 + 3], 0xE0);
    rtcore_nvic_set_priority(&n, RTCORE_EXC_IRQ0 + 3, 0x1F);
    assert_int_equal(n.prio[RTCORE_EXC_IRQ0 + 3], 0);
}

static void test_nvic_takes_highest_priority_enabled_unmasked(void **state)
{
    struct rtcore_nvic n;
    rtcore_nvic_reset(&n);
    unsigned a = RTCORE_EXC_IRQ0 + 4, b = RTCORE_EXC_IRQ0 + 9;
    rtcore_nvic_set_priority(&n, a, 0x60);
    rtcore_nvic_set_priority(&n, b, 0x20);
    rtcore_nvic_set_pending(&n, a, true);
    rtcore_nvic_set_pending(&n, b, true);
    assert_int_equal(rtcore_nvic_next(&n, false, 0), 0); /* neither enabled */
    n.enabled[a] = n.enabled[b] = true;
    assert_int_equal(rtcore_nvic_next(&n, false, 0), b);
    assert_int_equal(rtcore_nvic_next(&n, true, 0), 0);      /* PRIMASK */
    assert_int_equal(rtcore_nvic_next(&n, false, 0x20), 0);  /* BASEPRI 0x20 masks 0x20 too */
    assert_int_equal(rtcore_nvic_next(&n, false, 0x3F), 0);  /* 0x3F acts as 0x20 */
    assert_int_equal(rtcore_nvic_next(&n, false, 0x40), b);
    rtcore_nvic_activate(&n, b);
    assert_int_equal(rtcore_nvic_next(&n, false, 0), 0);     /* 0x60 cannot preempt 0x20 */
    rtcore_nvic_deactivate(&n, b);
    assert_int_equal(rtcore_nvic_next(&n, false, 0), a);
    /* Equal priority: the lower exception number wins, and it cannot preempt its equal. */
    rtcore_nvic_set_priority(&n, b, 0x60);
    rtcore_nvic_set_pending(&n, b, true);
    assert_int_equal(rtcore_nvic_next(&n, false, 0), a);
    rtcore_nvic_activate(&n, a);
    assert_int_equal(rtcore_nvic_next(&n, false, 0), 0);
    assert_int_equal(rtcore_nvic_active_count(&n), 1);
}

static void test_nvic_prigroup_makes_low_bits_subpriority(void **state)
{
    struct rtcore_nvic n;
    rtcore_nvic_reset(&n);
    unsigned a = RTCORE_EXC_IRQ0, b = RTCORE_EXC_IRQ0 + 1;
    n.enabled[a] = n.enabled[b] = true;
    rtcore_nvic_set_priority(&n, a, 0x40);
    rtcore_nvic_set_priority(&n, b, 0x60);
    rtcore_nvic_activate(&n, b);
    rtcore_nvic_set_pending(&n, a, true);
    assert_int_equal(rtcore_nvic_next(&n, false, 0), a); /* PRIGROUP 0: 0x40 preempts 0x60 */
    n.prigroup = 6;                                       /* group = bit 7 only */
    assert_int_equal(rtcore_nvic_next(&n, false, 0), 0);  /* same group 0x00: no preemption */
}

/* ---- peripherals --------------------------------------------------------------------------- */

static int block_named(const char *name)
{
    for (int i = 0; i < RTCORE_BLOCK_COUNT; i++)
        if (!strcmp(rtcore_blocks[i].name, name))
            return i;
    fail_msg("no block %s", name);
    return -1;
}

static void test_gpt0_repeat_fires_every_period_and_pends_irq1(void **state)
{
    struct rtcore_soc soc;
    rtcore_soc_init(&soc, NULL, 0x00100000);
    int gpt = block_named("GPT");
    rtcore_soc_write(&soc, gpt, 0x04, 4, 1);       /* IER: GPT0 */
    rtcore_soc_write(&soc, gpt, 0x14, 4, 10);      /* 10 ticks */
    rtcore_soc_write(&soc, gpt, 0x10, 4, 1 | 2 | 4); /* enable, repeat, 1 kHz */
    uint64_t period = 10ull * RTCORE_HZ / 1000;
    assert_int_equal(rtcore_soc_next_deadline(&soc), period);
    rtcore_soc_advance(&soc, period - 1);
    assert_int_equal(soc.gpt_isr, 0);
    rtcore_soc_advance(&soc, period);
    assert_int_equal(soc.gpt_isr, 1);
    assert_true(soc.nvic.pending[RTCORE_EXC_IRQ0 + RTCORE_GPT_IRQ]);
    assert_int_equal(rtcore_soc_next_deadline(&soc), 2 * period);
    rtcore_soc_write(&soc, gpt, 0x00, 4, 1); /* W1C */
    assert_int_equal(rtcore_soc_read(&soc, gpt, 0x00, 4), 0);
    rtcore_soc_advance(&soc, 10 * period + 5); /* missed periods coalesce */
    assert_int_equal(rtcore_soc_next_deadline(&soc), 11 * period);
}

static void test_gpt3_counts_microseconds_and_freezes_when_stopped(void **state)
{
    struct rtcore_soc soc;
    rtcore_soc_init(&soc, NULL, 0);
    int gpt = block_named("GPT");
    rtcore_soc_write(&soc, gpt, 0x54, 4, 1000);
    rtcore_soc_write(&soc, gpt, 0x50, 4, 1);
    rtcore_soc_advance(&soc, RTCORE_HZ / 1000 * 5); /* 5 ms */
    assert_int_equal(rtcore_soc_read(&soc, gpt, 0x58, 4), 6000);
    rtcore_soc_write(&soc, gpt, 0x50, 4, 0);
    rtcore_soc_advance(&soc, RTCORE_HZ);
    assert_int_equal(rtcore_soc_read(&soc, gpt, 0x58, 4), 6000);
}

static void test_systick_counts_down_and_pends(void **state)
{
    struct rtcore_soc soc;
    rtcore_soc_init(&soc, NULL, 0);
    int scs = block_named("SCS");
    rtcore_soc_write(&soc, scs, 0x014, 4, 999);
    rtcore_soc_write(&soc, scs, 0x018, 4, 0);
    rtcore_soc_write(&soc, scs, 0x010, 4, 7);
    rtcore_soc_advance(&soc, 500);
    assert_int_equal(rtcore_soc_read(&soc, scs, 0x018, 4), 999 - 499);
    assert_false(soc.nvic.pending[RTCORE_EXC_SYSTICK]);
    rtcore_soc_advance(&soc, 1001);
    assert_true(soc.nvic.pending[RTCORE_EXC_SYSTICK]);
    assert_true(rtcore_soc_read(&soc, scs, 0x010, 4) & (1u << 16)); /* COUNTFLAG, cleared by the read */
    assert_false(rtcore_soc_read(&soc, scs, 0x010, 4) & (1u << 16));
    assert_int_equal(rtcore_soc_next_deadline(&soc), 2000); /* period RVR+1 */
}

struct gpio_log {
    int gpio[8], level[8], n;
};
static void log_gpio(void *ctx, int gpio, bool level)
{
    struct gpio_log *l = ctx;
    l->gpio[l->n] = gpio;
    l->level[l->n++] = level;
}

static void test_gpio_outputs_report_changes_and_inputs_read_back(void **state)
{
    struct gpio_log log = {0};
    struct rtcore_soc_ops ops = {.ctx = &log, .gpio_out = log_gpio};
    struct rtcore_soc soc;
    rtcore_soc_init(&soc, &ops, 0);
    int grp2 = rtcore_block_of_gpio(8);
    assert_string_equal(rtcore_blocks[grp2].name, "GRP2");
    rtcore_soc_write(&soc, grp2, 0x10, 4, 1);  /* OE pin 8 */
    rtcore_soc_write(&soc, grp2, 0x08, 4, 1);  /* set */
    rtcore_soc_write(&soc, grp2, 0x08, 4, 1);  /* set again: no change, no event */
    rtcore_soc_write(&soc, grp2, 0x0C, 4, 1);  /* reset */
    assert_int_equal(log.n, 2);
    assert_int_equal(log.gpio[0], 8);
    assert_int_equal(log.level[0], 1);
    assert_int_equal(log.level[1], 0);
    rtcore_soc_gpio_input(&soc, 9, true);
    assert_int_equal(rtcore_soc_read(&soc, grp2, 0x00, 4), 2); /* pin 9 in, pin 8 out low */
    int isu0 = rtcore_block_of_gpio(28);
    rtcore_soc_gpio_input(&soc, 28, true);
    assert_int_equal(rtcore_soc_read(&soc, isu0, 0x8000, 4), 4); /* ISU blocks: GPIO at +0x8000 */
}

/* ---- grants -------------------------------------------------------------------------------- */

static bool granted_name(const bool g[RTCORE_BLOCK_COUNT], const char *name) { return g[block_named(name)]; }

static void test_grants_follow_the_manifest(void **state)
{
    static const char m[] = "{\"ApplicationType\":\"RealTimeCapable\",\"Capabilities\":{\"Gpio\":[8,28,44],"
                            "\"Uart\":[\"ISU3\"],\"Pwm\":[\"PWM-CONTROLLER-1\"],\"ExternalInterrupt\":[\"EINT5\"],"
                            "\"AllowedApplicationConnections\":[]}}";
    bool g[RTCORE_BLOCK_COUNT] = {0};
    char why[200];
    assert_int_equal(rtcore_grant_from_manifest(m, strlen(m), g, why, sizeof why), 0);
    assert_true(granted_name(g, "GRP2"));
    assert_true(granted_name(g, "ISU0"));
    assert_true(granted_name(g, "ADC-CONTROLLER-0"));
    assert_true(granted_name(g, "ISU3"));
    assert_true(granted_name(g, "GRP1"));
    assert_false(granted_name(g, "GRP0"));
    assert_false(granted_name(g, "ISU1"));
    assert_false(granted_name(g, "I2S0"));
}

static void test_grants_refuse_bad_manifests(void **state)
{
    static const char *const bad[] = {
        "not json",
        "{\"Capabilities\":{}}",
        "{\"ApplicationType\":\"Default\",\"Capabilities\":{}}",
        "{\"ApplicationType\":\"RealTimeCapable\",\"Capabilities\":{\"Gpio\":[24]}}",
        "{\"ApplicationType\":\"RealTimeCapable\",\"Capabilities\":{\"Uart\":[\"ISU5\"]}}",
        "{\"ApplicationType\":\"RealTimeCapable\",\"Capabilities\":{\"Gpio\":[\"$LED\"]}}",
        "{\"ApplicationType\":\"RealTimeCapable\",\"Capabilities\":{\"ExternalInterrupt\":[\"EINT24\"]}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool g[RTCORE_BLOCK_COUNT] = {0};
        char why[200] = "";
        if (rtcore_grant_from_manifest(bad[i], strlen(bad[i]), g, why, sizeof why) != -EINVAL)
            fail_msg("accepted: %s", bad[i]);
        assert_true(strlen(why) > 10);
    }
}

/* ---- control protocol ---------------------------------------------------------------------- */

static void test_control_commands_parse_and_bad_ones_are_refused(void **state)
{
    struct rtcore_ctl_cmd c;
    assert_int_equal(rtcore_ctl_parse("start", 5, &c), 0);
    assert_int_equal(c.verb, RTCORE_CTL_START);
    assert_int_equal(rtcore_ctl_parse("stop\r", 5, &c), 0);
    assert_int_equal(c.verb, RTCORE_CTL_STOP);
    assert_int_equal(rtcore_ctl_parse("gpio-in 12 1", 12, &c), 0);
    assert_int_equal(c.verb, RTCORE_CTL_GPIO_IN);
    assert_int_equal(c.gpio, 12);
    assert_true(c.level);
    static const char *const bad[] = {"", "star", "start ", "gpio-in 96 1", "gpio-in 1 2", "gpio-in  1 1",
                                      "gpio-in 1", "gpio-in 0001 1", "status now"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (rtcore_ctl_parse(bad[i], strlen(bad[i]), &c) != -EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
}

/* Every event the helper writes (src/rtcore/main.c's emit() formats), parsed back. */
static void test_control_events_parse_as_the_helper_writes_them(void **state)
{
    static struct rtcore_ctl_event e;
#define PARSE(text) assert_int_equal(rtcore_ctl_event_parse(text, strlen(text), &e), 0)
    PARSE("state loaded");
    assert_int_equal(e.kind, RTCORE_CTL_EV_STATE);
    assert_int_equal(e.state, RTCORE_CTL_STATE_LOADED);
    PARSE("state asleep\r");
    assert_int_equal(e.state, RTCORE_CTL_STATE_ASLEEP);
    PARSE("state crashed hard fault at 0x00100040");
    assert_int_equal(e.state, RTCORE_CTL_STATE_CRASHED);
    assert_int_equal(e.text_len, 24);
    assert_memory_equal(e.text, "hard fault at 0x00100040", 24);
    assert_int_equal(e.args_len, 32); /* "crashed <reason>", as a supervisor logs it */
    PARSE("state exited -3");
    assert_int_equal(e.state, RTCORE_CTL_STATE_EXITED);
    assert_int_equal(e.exit_status, -3);
    PARSE("status running instructions=12 cycles=18446744073709551615 exceptions=0");
    assert_int_equal(e.kind, RTCORE_CTL_EV_STATUS);
    assert_int_equal(e.state, RTCORE_CTL_STATE_RUNNING);
    assert_true(e.instructions == 12 && e.cycles == UINT64_MAX && e.exceptions == 0);
    PARSE("log tick \\x01\\\\");
    assert_int_equal(e.kind, RTCORE_CTL_EV_LOG);
    assert_int_equal(e.text_len, 11); /* still escaped */
    PARSE("log ");
    assert_int_equal(e.text_len, 0);
    PARSE("uart ISU3 hello");
    assert_int_equal(e.kind, RTCORE_CTL_EV_UART);
    assert_int_equal(e.isu, 3);
    assert_int_equal(e.text_len, 5);
    PARSE("gpio 95 1 247000");
    assert_int_equal(e.kind, RTCORE_CTL_EV_GPIO);
    assert_true(e.gpio == 95 && e.level && e.cycles == 247000);
    PARSE("error unknown command: go");
    assert_int_equal(e.kind, RTCORE_CTL_EV_ERROR);
    PARSE("msg-ack");
    assert_int_equal(e.kind, RTCORE_CTL_EV_MSG_ACK);
    PARSE("mbox-error no shared buffers");
    assert_int_equal(e.kind, RTCORE_CTL_EV_MBOX_ERROR);
    assert_int_equal(e.text_len, 17);
    PARSE("gdb-port 4711");
    assert_int_equal(e.kind, RTCORE_CTL_EV_GDB_PORT);
    assert_int_equal(e.port, 4711);
    PARSE("a-later-event with arguments"); /* unknown events are skipped, not errors */
    assert_int_equal(e.kind, RTCORE_CTL_EV_UNKNOWN);
#undef PARSE
}

static void test_control_msg_out_round_trips_cid_and_payload(void **state)
{
    static struct rtcore_ctl_event e;
    const uint8_t cid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static uint8_t payload[RTCORE_CTL_MAX_PAYLOAD];
    static char hex[2 * RTCORE_CTL_MAX_PAYLOAD + 1], line[RTCORE_CTL_MAX_LINE];
    char text[37];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7);
    rtcore_ctl_cid_format(cid, text);
    rtcore_ctl_hex(payload, sizeof payload, hex);
    int n = snprintf(line, sizeof line, "msg-out %s %s", text, hex);
    assert_int_equal(rtcore_ctl_event_parse(line, (size_t)n, &e), 0);
    assert_int_equal(e.kind, RTCORE_CTL_EV_MSG_OUT);
    assert_memory_equal(e.cid, cid, 16);
    assert_int_equal(e.len, sizeof payload);
    assert_memory_equal(e.data, payload, sizeof payload);
    n = snprintf(line, sizeof line, "msg-out %s", text); /* an empty block */
    assert_int_equal(rtcore_ctl_event_parse(line, (size_t)n, &e), 0);
    assert_int_equal(e.len, 0);
    n = snprintf(line, sizeof line, "msg-out %s %s00", text, hex); /* one byte too many */
    assert_int_equal(rtcore_ctl_event_parse(line, (size_t)n, &e), -EINVAL);
    assert_int_equal(e.kind, RTCORE_CTL_EV_MSG_OUT); /* still named: the supervisor acks it */
    assert_int_equal(e.args_len, (size_t)n - 8);
}

static void test_control_malformed_events_are_refused(void **state)
{
    static struct rtcore_ctl_event e;
    static const char *const bad[] = {
        "state", "state Loaded", "state loaded now", "state crashedX", "state exited", "state exited 1x",
        "state exited 2147483648", "state exited 01", "status running", "status running instructions=1 cycles=2",
        "status running instructions=1 cycles=2 exceptions=3 more", "status crashed instructions=1 cycles=2 exceptions=3",
        "status running instructions=18446744073709551616 cycles=0 exceptions=0", "log", "uart ISU5 x", "uart ISU0",
        "uart isu0 x", "gpio 96 1 0", "gpio 1 2 0", "gpio 1 1", "gpio 1 1 x", "gpio  1 1 0", "gpio 01 1 0",
        "msg-ack now", "msg-out", "msg-out 00000000-0000-0000-0000-00000000000 00",
        "msg-out 00000000-0000-0000-0000-000000000000 0", "msg-out 00000000-0000-0000-0000-000000000000 0g",
        "msg-out 00000000-0000-0000-0000-000000000000x00", "mbox-error", "gdb-port 0", "gdb-port 65536", "gdb-port",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (rtcore_ctl_event_parse(bad[i], strlen(bad[i]), &e) != -EINVAL)
            fail_msg("accepted \"%s\"", bad[i]);
}

static void test_control_escape_keeps_lines_single(void **state)
{
    char out[32];
    assert_int_equal(rtcore_ctl_escape("a\nb\\c\x01", 6, out, sizeof out), 6);
    assert_string_equal(out, "a\\x0ab\\\\c\\x01");
    assert_int_equal(rtcore_ctl_escape("\n\n\n", 3, out, 9), 2); /* never a half escape */
    assert_string_equal(out, "\\x0a\\x0a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elf_good_image_boots_from_its_vector_table),
        cmocka_unit_test(test_elf_hostile_images_are_refused_with_a_reason),
        cmocka_unit_test(test_elf_bad_headers_and_vectors_are_refused),
        cmocka_unit_test(test_nvic_priorities_keep_three_bits),
        cmocka_unit_test(test_nvic_takes_highest_priority_enabled_unmasked),
        cmocka_unit_test(test_nvic_prigroup_makes_low_bits_subpriority),
        cmocka_unit_test(test_gpt0_repeat_fires_every_period_and_pends_irq1),
        cmocka_unit_test(test_gpt3_counts_microseconds_and_freezes_when_stopped),
        cmocka_unit_test(test_systick_counts_down_and_pends),
        cmocka_unit_test(test_gpio_outputs_report_changes_and_inputs_read_back),
        cmocka_unit_test(test_grants_follow_the_manifest),
        cmocka_unit_test(test_grants_refuse_bad_manifests),
        cmocka_unit_test(test_control_commands_parse_and_bad_ones_are_refused),
        cmocka_unit_test(test_control_events_parse_as_the_helper_writes_them),
        cmocka_unit_test(test_control_msg_out_round_trips_cid_and_payload),
        cmocka_unit_test(test_control_malformed_events_are_refused),
        cmocka_unit_test(test_control_escape_keeps_lines_single),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
