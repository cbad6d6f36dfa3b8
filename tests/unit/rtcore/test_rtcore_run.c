/* test_rtcore_run.c — the emulated core end to end: firmware from the fw folder runs in the
 * sphere-rtcore helper and reports through its debug UART; each test checks what a user of
 * the core would see (log lines, exit status, crash reasons).
 * Rerun one test: RTCORE_TEST='*name*' build-rt/tests/test_rtcore_run */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_helper.h"

#define HELPER OPENSPHERE_BINARY_DIR "/bin/sphere-rtcore"
#define FW(name) RTCORE_FW_DIR "/" name ".elf"

/* Runs the helper on firmware `fw` with the instruction clock and BKPT exits, plus extra args. */
static void run_fw(const char *fw, struct run_result *r, const char *extra1, const char *extra2)
{
    char *argv[] = {HELPER, "--elf", (char *)fw, "--instruction-clock", "--exit-on-bkpt", "--max-time-ms", "10000",
                    (char *)extra1, (char *)extra2, NULL};
    assert_int_equal(run_program(argv, r), 0);
}

static void expect_line(const struct run_result *r, const char *line)
{
    const char *out = strbuf_str(&r->out);
    size_t n = strlen(line);
    for (const char *p = out; (p = strstr(p, line)); p++)
        if ((p == out || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return;
    fail_msg("expected the line \"%s\" in the core's log:\n%s\nstderr:\n%s", line, out, strbuf_str(&r->err));
}

static void test_hello_prints_through_the_debug_uart_and_exits_with_bkpt_status(void **state)
{
    struct run_result r;
    run_fw(FW("hello"), &r, NULL, NULL);
    expect_line(&r, "hello from the real-time core");
    expect_line(&r, "vtor=1048576"); /* VTOR boots at the vector table, 0x00100000 */
    assert_int_equal(r.status, 7);
    run_result_free(&r);
}

static void test_nvic_nesting_tail_chaining_basepri_primask(void **state)
{
    struct run_result r;
    run_fw(FW("nested"), &r, NULL, NULL);
    expect_line(&r, "ipr_ff_reads=224");  /* 3 priority bits: 0xFF reads back 0xE0 */
    expect_line(&r, "gpt_nesting=G5g6");  /* IRQ5 preempts the GPT handler, IRQ6 waits for it */
    expect_line(&r, "basepri=5-7+");      /* BASEPRI 0x40 lets 0x20 through, holds 0x60 */
    expect_line(&r, "primask=-5+");       /* PRIMASK holds everything until CPSIE */
    expect_line(&r, "basepri_3bit=-7");   /* BASEPRI 0x50 acts as 0x40 */
    expect_line(&r, "active_after=0");
    assert_int_equal(r.status, 0);
    run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_prints_through_the_debug_uart_and_exits_with_bkpt_status),
        cmocka_unit_test(test_nvic_nesting_tail_chaining_basepri_primask),
    };
    const char *only = getenv("RTCORE_TEST");
    if (only)
        cmocka_set_test_filter(only);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
