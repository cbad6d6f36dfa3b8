/* SPDX-License-Identifier: MIT */
/* test_rtcore_run.c — the emulated core end to end: firmware from the fw folder runs in the
 * sphere-rtcore helper and reports through its debug UART; each test checks what a user of
 * the core would see (log lines, exit status, crash reasons).
 * Rerun one test: RTCORE_TEST='*name*' build-rt/tests/test_rtcore_run */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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

static void expect_err(const struct run_result *r, const char *text)
{
    if (!strstr(strbuf_str(&r->err), text))
        fail_msg("expected \"%s\" on stderr:\n%s\nstdout:\n%s", text, strbuf_str(&r->err), strbuf_str(&r->out));
}

static void test_svc_from_psp_thread_and_pendsv_systick_on_msp(void **state)
{
    struct run_result r;
    run_fw(FW("svc_psp"), &r, NULL, NULL);
    expect_line(&r, "thread_on_psp=1");
    expect_line(&r, "svc_result=12034"); /* arguments from the stacked r0/r1, result in stacked r0 */
    expect_line(&r, "svc_number=42");
    expect_line(&r, "svc_lr=0xffffffed"); /* thread, PSP, FP frame */
    expect_line(&r, "handler_on_msp=1");
    expect_line(&r, "pendsv_ran=1");
    expect_line(&r, "still_on_psp=1");
    assert_int_equal(r.status, 0);
    run_result_free(&r);
}

static void test_fp_registers_and_it_blocks_survive_frequent_interrupts(void **state)
{
    struct run_result r;
    run_fw(FW("fp_it"), &r, NULL, NULL);
    expect_line(&r, "float_equal=1");
    expect_line(&r, "it_equal=1");
    expect_line(&r, "many_interrupts=1");
    assert_int_equal(r.status, 0);
    run_result_free(&r);
}

static void test_timers_match_the_instruction_clock(void **state)
{
    struct run_result r;
    run_fw(FW("timer"), &r, NULL, NULL);
    /* 100 ticks of 1 ms measured by the 1 MHz GPT3: exact on the instruction clock. */
    expect_line(&r, "gpt0_100_ticks_us=100000");
    /* 3277 counts at 32.768 kHz = 100.006 ms; GPT3 truncates to whole microseconds. */
    expect_line(&r, "gpt1_3277_counts_us=100007");
    expect_line(&r, "gpt1_stopped=1");
    assert_int_equal(r.status, 0);
    run_result_free(&r);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_host_clock_timers_follow_wall_time(void **state)
{
    char *argv[] = {HELPER, "--elf", FW("timer"), "--exit-on-bkpt", NULL};
    struct run_result r;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(run_program(argv, &r), 0);
    double took = seconds_since(&t0);
    assert_int_equal(r.status, 0);
    unsigned us = 0;
    const char *line = strstr(strbuf_str(&r.out), "gpt0_100_ticks_us=");
    assert_non_null(line);
    sscanf(line, "gpt0_100_ticks_us=%u", &us);
    /* 100 ms of timer ticks take 100 ms of host time; GPT3 is read after the wake-up, which a
     * loaded host delays (exactness is checked on the instruction clock). */
    assert_in_range(us, 100000, 150000);
    if (took < 0.19 || took > 2.0)
        fail_msg("two 100 ms timer waits took %.3f s of host time", took);
    run_result_free(&r);
}

static const char *write_manifest(const char *name, const char *caps)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s.json", RTCORE_FW_DIR, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"SchemaVersion\":1,\"Name\":\"t\",\"ComponentId\":\"005180bc-402f-4cb3-a662-72937dbcde47\","
               "\"EntryPoint\":\"/bin/app\",\"ApplicationType\":\"RealTimeCapable\",\"Capabilities\":{%s}}", caps);
    fclose(f);
    return path;
}

static void test_unlisted_peripheral_stops_the_core_with_address_and_pc(void **state)
{
    struct run_result r;
    run_fw(FW("confine"), &r, "--manifest", write_manifest("gpio8", "\"Gpio\":[8]"));
    expect_line(&r, "gpio 8 driven");
    assert_null(strstr(strbuf_str(&r.out), "wrote to ISU1"));
    expect_err(&r, "peripheral access denied: write of 0x38080000 (ISU1) in the block at PC 0x001");
    expect_err(&r, "the app manifest does not list Uart, I2cMaster or SpiMaster \"ISU1\"");
    assert_int_equal(r.status, 3);
    run_result_free(&r);

    run_fw(FW("confine"), &r, "--manifest", write_manifest("gpio8isu1", "\"Gpio\":[8],\"Uart\":[\"ISU1\"]"));
    expect_line(&r, "wrote to ISU1");
    expect_line(&r, "[ISU1] x");
    assert_int_equal(r.status, 0);
    run_result_free(&r);

    run_fw(FW("confine"), &r, "--manifest", write_manifest("none", ""));
    expect_err(&r, "write of 0x38030010 (GRP2)");
    expect_err(&r, "does not list Gpio 8-11 or Pwm \"PWM-CONTROLLER-2\"");
    assert_int_equal(r.status, 3);
    run_result_free(&r);
}

static void test_faults_stop_the_core_with_a_reason(void **state)
{
    static const struct {
        const char *fw, *log, *reason;
    } cases[] = {
        {FW("fault_udf"), "about to fault", "undefined instruction at PC 0x001"},
        {FW("fault_bus"), "reading 0x30000000", "bus fault: read of unmapped address 0x30000000"},
        {FW("bad_vtor"), "vtor moved", "bad vector for exception 19 (IRQ): 0x00000000 at 0x0012004c (VTOR 0x00120000"},
        {FW("stack_overflow"), "sp to 0x000fff00", "stack overflow: cannot push the SVCall exception frame"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct run_result r;
        run_fw(cases[i].fw, &r, NULL, NULL);
        expect_line(&r, cases[i].log);
        assert_null(strstr(strbuf_str(&r.out), "survived"));
        expect_err(&r, cases[i].reason);
        assert_int_equal(r.status, 3);
        run_result_free(&r);
    }
}

static void test_hostile_elf_files_are_refused_before_running(void **state)
{
    char path[256];
    snprintf(path, sizeof path, "%s/hostile.elf", RTCORE_FW_DIR);
    /* The hello firmware with its only segment moved to 0x40000000 (p_vaddr at 52+8). */
    struct run_result r;
    FILE *in = fopen(FW("hello"), "rb"), *out = fopen(path, "wb");
    assert_non_null(in);
    assert_non_null(out);
    unsigned char buf[65536];
    size_t n = fread(buf, 1, sizeof buf, in);
    buf[52 + 8 + 3] = 0x40;
    fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
    run_fw(path, &r, NULL, NULL);
    expect_err(&r, "refused the firmware: segment 0 at 0x40100000");
    expect_err(&r, "[segment-outside-memory]");
    assert_int_equal(r.status, 1);
    assert_int_equal(r.out.len, 0);
    run_result_free(&r);
    run_fw(OPENSPHERE_SOURCE_DIR "/README.md", &r, NULL, NULL);
    expect_err(&r, "not an ELF file [bad-magic]");
    assert_int_equal(r.status, 1);
    run_result_free(&r);
}

static void test_two_cores_run_at_once_independently(void **state)
{
    char *a[] = {HELPER, "--elf", FW("timer"), "--exit-on-bkpt", NULL};
    char *b[] = {HELPER, "--elf", FW("nested"), "--exit-on-bkpt", NULL};
    struct run_result ra, rb;
    assert_int_equal(run_start(a, &ra), 0);
    assert_int_equal(run_start(b, &rb), 0);
    assert_int_equal(run_wait(&ra), 0);
    assert_int_equal(run_wait(&rb), 0);
    expect_line(&ra, "gpt1_stopped=1");
    expect_line(&rb, "gpt_nesting=G5g6");
    assert_null(strstr(strbuf_str(&ra.out), "nesting"));
    assert_int_equal(ra.status, 0);
    assert_int_equal(rb.status, 0);
    run_result_free(&ra);
    run_result_free(&rb);
}

static void test_instruction_limit_stops_a_spinning_core(void **state)
{
    char *argv[] = {HELPER, "--elf", FW("spin"), "--instruction-clock", "--max-instructions", "5000000", NULL};
    struct run_result r;
    assert_int_equal(run_program(argv, &r), 0);
    expect_line(&r, "spinning");
    expect_err(&r, "stopped after 500000"); /* 5000000 plus at most one block */
    assert_int_equal(r.status, 0);
    run_result_free(&r);
}

/* Host-clock slices end every ~20 ms wherever the core is: 400 ms of busy code is about 20
 * stops at arbitrary blocks, each resumed exactly where it stopped (fw/slices.c checks that no
 * block ran twice). */
static void test_host_clock_slices_resume_busy_code_where_it_stopped(void **state)
{
    char *argv[] = {HELPER, "--elf", FW("slices"), "--exit-on-bkpt", "--max-time-ms", "400", NULL};
    struct run_result r;
    assert_int_equal(run_program(argv, &r), 0);
    expect_line(&r, "slicing");
    if (strstr(strbuf_str(&r.out), "broken"))
        fail_msg("a block ran twice across a slice boundary:\n%s", strbuf_str(&r.out));
    expect_err(&r, "ms of host-clock time");
    assert_int_equal(r.status, 0);
    run_result_free(&r);
}

static void test_sandbox_kills_the_helper_on_a_forbidden_system_call(void **state)
{
#ifdef RTCORE_SANITIZED
    skip(); /* sanitizer builds run the helper without its sandbox (docs/rtcore.md) */
#endif
    char *argv[] = {HELPER, "--sandbox-selftest", NULL};
    struct run_result r;
    assert_int_equal(run_program(argv, &r), 0);
    expect_line(&r, "sandbox installed; now trying to open a file");
    assert_int_equal(r.status, 128 + 31); /* SIGSYS */
    run_result_free(&r);
}

/* Reads from fd until `want` appears (or 5 s pass); returns what was read. */
static void read_until(int fd, struct strbuf *got, const char *want)
{
    for (int i = 0; i < 500 && !strstr(strbuf_str(got), want); i++) {
        struct pollfd p = {fd, POLLIN, 0};
        char buf[512];
        ssize_t n = poll(&p, 1, 10) > 0 ? read(fd, buf, sizeof buf) : 0;
        if (n > 0)
            strbuf_append(got, buf, (size_t)n);
        if (n < 0)
            break;
    }
    if (!strstr(strbuf_str(got), want))
        fail_msg("no \"%s\" from the helper; got:\n%s", want, strbuf_str(got));
}

/* Starts the helper on `fw` with a control socket as fd 3; returns our end of the socket. */
static int spawn_controlled(const char *fw, bool instruction_clock, pid_t *pid)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    *pid = fork();
    if (*pid == 0) {
        dup2(sv[1], 3);
        if (instruction_clock)
            execl(HELPER, HELPER, "--elf", fw, "--instruction-clock", "--exit-on-bkpt", "--control-fd", "3", (char *)NULL);
        else
            execl(HELPER, HELPER, "--elf", fw, "--control-fd", "3", (char *)NULL);
        _exit(127);
    }
    close(sv[1]);
    return sv[0];
}

static void test_control_socket_start_status_log_and_exit(void **state)
{
    pid_t pid;
    int sv0 = spawn_controlled(FW("hello"), true, &pid);
    struct strbuf got = {0};
    read_until(sv0, &got, "state loaded\n");
    assert_int_equal(write(sv0, "status\nbogus\n", 13), 13);
    read_until(sv0, &got, "status loaded instructions=0 ");
    read_until(sv0, &got, "error unknown command: bogus\n");
    assert_int_equal(write(sv0, "start\n", 6), 6);
    read_until(sv0, &got, "state exited 7\n");
    assert_non_null(strstr(strbuf_str(&got), "state running\nlog hello from the real-time core\nlog vtor=1048576\n"));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(WEXITSTATUS(status), 7);
    close(sv0);
    strbuf_free(&got);
}

static void test_control_socket_stop_ends_a_running_core(void **state)
{
    pid_t pid;
    int sv0 = spawn_controlled(FW("spin"), false, &pid);
    struct strbuf got = {0};
    assert_int_equal(write(sv0, "start\n", 6), 6);
    read_until(sv0, &got, "log spinning\n");
    assert_int_equal(write(sv0, "stop\n", 5), 5);
    read_until(sv0, &got, "state stopped\n");
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close(sv0);
    strbuf_free(&got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_prints_through_the_debug_uart_and_exits_with_bkpt_status),
        cmocka_unit_test(test_nvic_nesting_tail_chaining_basepri_primask),
        cmocka_unit_test(test_svc_from_psp_thread_and_pendsv_systick_on_msp),
        cmocka_unit_test(test_fp_registers_and_it_blocks_survive_frequent_interrupts),
        cmocka_unit_test(test_timers_match_the_instruction_clock),
        cmocka_unit_test(test_host_clock_timers_follow_wall_time),
        cmocka_unit_test(test_unlisted_peripheral_stops_the_core_with_address_and_pc),
        cmocka_unit_test(test_faults_stop_the_core_with_a_reason),
        cmocka_unit_test(test_hostile_elf_files_are_refused_before_running),
        cmocka_unit_test(test_two_cores_run_at_once_independently),
        cmocka_unit_test(test_instruction_limit_stops_a_spinning_core),
        cmocka_unit_test(test_host_clock_slices_resume_busy_code_where_it_stopped),
        cmocka_unit_test(test_sandbox_kills_the_helper_on_a_forbidden_system_call),
        cmocka_unit_test(test_control_socket_start_status_log_and_exit),
        cmocka_unit_test(test_control_socket_stop_ends_a_running_core),
    };
    const char *only = getenv("RTCORE_TEST");
    if (only)
        cmocka_set_test_filter(only);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
