/* SPDX-License-Identifier: MIT */
/* test_rtcore_gdb.c — the GDB remote stub of the emulated core. The sphere-rtcore helper runs
 * fw/gdb_target.c with --gdb-listen-fd (a listening socket on 127.0.0.1 made here); the test
 * speaks raw RSP packets to it: registers, memory, breakpoints, continue, step, Ctrl-C,
 * malformed packets, bad checksums, memory outside the map or not granted. The protocol state
 * machine is also fed garbage in-process. Symbol addresses come from arm-none-eabi-nm.
 * Rerun one test: RTCORE_TEST='*name*' build-gdb/tests/test_rtcore_gdb */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rtcore_gdb.h"
#include "run_helper.h"

#define HELPER OPENSPHERE_BINARY_DIR "/bin/sphere-rtcore"
#define FW_ELF RTCORE_FW_DIR "/gdb_target.elf"

static pid_t live_helper; /* killed by the teardown if a test fails before finish() */

struct session {
    struct run_result run;
    int fd;
    char reply[8192];
};

static uint32_t symbol(const char *name)
{
    char cmd[512], line[256];
    snprintf(cmd, sizeof cmd, "%s %s", ARM_NM, FW_ELF);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    uint32_t addr = 0;
    while (fgets(line, sizeof line, p)) {
        unsigned long a;
        char type, sym[128];
        if (sscanf(line, "%lx %c %127s", &a, &type, sym) == 3 && !strcmp(sym, name))
            addr = (uint32_t)a;
    }
    pclose(p);
    if (!addr)
        fail_msg("no symbol %s in %s", name, FW_ELF);
    return addr & ~1u;
}

static void start(struct session *s)
{
    int lis = socket(AF_INET, SOCK_STREAM, 0); /* no CLOEXEC: the helper inherits it */
    assert_true(lis >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    assert_int_equal(bind(lis, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(lis, 1), 0);
    assert_int_equal(getsockname(lis, (struct sockaddr *)&sa, &len), 0);
    char fdtext[16];
    snprintf(fdtext, sizeof fdtext, "%d", lis);
    char *argv[] = {HELPER, "--elf", FW_ELF, "--instruction-clock", "--gdb-listen-fd", fdtext, "--max-time-ms", "20000", NULL};
    assert_int_equal(run_start(argv, &s->run), 0);
    live_helper = s->run.pid;
    close(lis);
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->fd >= 0);
    assert_int_equal(connect(s->fd, (struct sockaddr *)&sa, sizeof sa), 0);
}

static void send_raw(struct session *s, const char *bytes)
{
    size_t n = strlen(bytes);
    assert_int_equal(write(s->fd, bytes, n), (ssize_t)n);
}

static void send_packet(struct session *s, const char *data)
{
    static char frame[8192];
    unsigned sum = 0;
    for (const char *p = data; *p; p++)
        sum += (unsigned char)*p;
    snprintf(frame, sizeof frame, "$%s#%02x", data, sum & 0xFF);
    send_raw(s, frame);
}

static char read_byte(struct session *s)
{
    struct pollfd p = {s->fd, POLLIN, 0};
    if (poll(&p, 1, 10000) != 1)
        fail_msg("no answer from the stub within 10 s");
    char c;
    if (read(s->fd, &c, 1) != 1)
        fail_msg("the stub closed the connection");
    return c;
}

/* Reads one packet ($...#cs, checksum verified) and returns its payload; skips acks. */
static const char *read_packet(struct session *s)
{
    char c;
    while ((c = read_byte(s)) != '$')
        assert_true(c == '+');
    size_t n = 0;
    unsigned sum = 0;
    while ((c = read_byte(s)) != '#') {
        assert_true(n + 1 < sizeof s->reply);
        s->reply[n++] = c;
        sum += (unsigned char)c;
    }
    s->reply[n] = '\0';
    char cs[3] = {read_byte(s), read_byte(s), 0};
    assert_int_equal(strtoul(cs, NULL, 16), sum & 0xFF);
    return s->reply;
}

static const char *ask(struct session *s, const char *packet)
{
    send_packet(s, packet);
    assert_int_equal(read_byte(s), '+');
    return read_packet(s);
}

static uint32_t word_at(const char *hex) /* 8 hex digits, target byte order */
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) {
        char b[3] = {hex[2 * i], hex[2 * i + 1], 0};
        v = v << 8 | (uint32_t)strtoul(b, NULL, 16);
    }
    return v;
}

/* Asks a packet whose answer is one word (p, m 4 bytes). */
static uint32_t word_reply(struct session *s, const char *packet)
{
    const char *r = ask(s, packet);
    assert_int_equal(strlen(r), 8);
    return word_at(r);
}

static uint32_t reg(struct session *s, int n)
{
    char p[8];
    snprintf(p, sizeof p, "p%x", n);
    return word_reply(s, p);
}

static uint32_t mem_word(struct session *s, uint32_t addr)
{
    char p[32];
    snprintf(p, sizeof p, "m%x,4", addr);
    return word_reply(s, p);
}

static void expect_stop(struct session *s, int signal, uint32_t pc)
{
    const char *r = read_packet(s);
    char want[32];
    snprintf(want, sizeof want, "T%02x0f:%02x%02x%02x%02x;", signal, pc & 0xFF, (pc >> 8) & 0xFF, (pc >> 16) & 0xFF, pc >> 24);
    assert_string_equal(r, want);
}

static void finish(struct session *s)
{
    send_packet(s, "k");
    assert_int_equal(read_byte(s), '+');
    assert_int_equal(run_wait(&s->run), 0);
    live_helper = 0;
    if (s->run.status != 0)
        fail_msg("helper exit %d: %s", s->run.status, strbuf_str(&s->run.err));
    assert_non_null(strstr(strbuf_str(&s->run.err), "GDB stub listening on 127.0.0.1:"));
    close(s->fd);
    run_result_free(&s->run);
}

static void test_registers_memory_and_queries_while_halted_at_reset(void **state)
{
    struct session s;
    start(&s);
    assert_non_null(strstr(ask(&s, "qSupported:multiprocess+;swbreak+"), "PacketSize="));
    assert_string_equal(ask(&s, "?"), "S05");
    assert_string_equal(ask(&s, "vCont?"), "vCont;c;C;s;S");
    assert_string_equal(ask(&s, "qAttached"), "1");
    assert_string_equal(ask(&s, "Hg0"), "OK");
    assert_string_equal(ask(&s, "qTStatus"), ""); /* unsupported: the empty reply */
    const char *xml = ask(&s, "qXfer:features:read:target.xml:0,fff");
    assert_true(xml[0] == 'l');
    assert_non_null(strstr(xml, "org.gnu.gdb.arm.m-profile"));
    /* halted before the first instruction: PC at reset, SP at the top of TCM */
    const char *g = ask(&s, "g");
    assert_int_equal(strlen(g), 17 * 8);
    uint32_t reset = symbol("reset");
    assert_int_equal(word_at(g + 15 * 8), reset);
    assert_int_equal(word_at(g + 13 * 8), 0x00130000);
    assert_int_equal(reg(&s, 15), reset);
    assert_int_equal(reg(&s, 16) & (1u << 24), 1u << 24); /* xPSR.T */
    /* the vector table in TCM */
    assert_int_equal(mem_word(&s, 0x00100000), 0x00130000);
    assert_int_equal(mem_word(&s, 0x00100004), reset | 1);
    /* a granted system block (VTOR in the SCS) reads through the peripheral model */
    assert_int_equal(mem_word(&s, 0xE000ED08), 0x00100000);
    /* write and read back: a register, RAM, a whole G round trip */
    assert_string_equal(ask(&s, "P4=efbeadde"), "OK");
    assert_int_equal(reg(&s, 4), 0xdeadbeef);
    uint32_t counter = symbol("gdb_counter");
    char p[64];
    snprintf(p, sizeof p, "M%x,4:78563412", counter);
    assert_string_equal(ask(&s, p), "OK");
    assert_int_equal(mem_word(&s, counter), 0x12345678);
    char G[1 + 17 * 8 + 1];
    G[0] = 'G';
    memcpy(G + 1, ask(&s, "g"), 17 * 8 + 1);
    assert_string_equal(ask(&s, G), "OK");
    assert_int_equal(reg(&s, 4), 0xdeadbeef);
    /* out of the memory map, not granted, across the end of TCM, too long */
    assert_string_equal(ask(&s, "m40000000,4"), "E02");
    assert_string_equal(ask(&s, "m38070000,4"), "E02"); /* ISU0: the manifest-less ELF has no grants */
    assert_string_equal(ask(&s, "M38010004,4:01000000"), "E02");
    assert_string_equal(ask(&s, "m12ffff,8"), "E02");
    assert_string_equal(ask(&s, "mfffffffc,8"), "E02");
    assert_string_equal(ask(&s, "m100000,100000"), "E01");
    assert_string_equal(ask(&s, "p11"), "E01"); /* no register 17 */
    finish(&s);
}

static void test_breakpoint_continue_step_and_interrupt(void **state)
{
    struct session s;
    start(&s);
    uint32_t tick = symbol("gdb_tick"), counter = symbol("gdb_counter");
    char p[64];
    snprintf(p, sizeof p, "Z0,%x,2", tick);
    assert_string_equal(ask(&s, p), "OK");
    assert_string_equal(ask(&s, p), "OK"); /* setting it twice is harmless */
    send_packet(&s, "c");
    assert_int_equal(read_byte(&s), '+');
    expect_stop(&s, 5, tick);
    assert_int_equal(reg(&s, 15), tick);
    uint32_t before = mem_word(&s, counter);
    /* continuing from the breakpoint runs gdb_tick once and stops at its next call */
    send_packet(&s, "vCont;c");
    assert_int_equal(read_byte(&s), '+');
    expect_stop(&s, 5, tick);
    assert_int_equal(mem_word(&s, counter), before + 1);
    /* single steps move the PC one instruction at a time, and stay inside gdb_tick */
    uint32_t pc = tick;
    for (int i = 0; i < 3; i++) {
        send_packet(&s, "s");
        assert_int_equal(read_byte(&s), '+');
        const char *r = read_packet(&s);
        assert_memory_equal(r, "T050f:", 6);
        uint32_t now = word_at(r + 6);
        if (!(now > pc && now <= pc + 4))
            fail_msg("step %d from 0x%08x went to 0x%08x", i, pc, now);
        pc = now;
    }
    /* 16 breakpoints at most; Z1 (hardware) is taken as a breakpoint too */
    for (int i = 1; i < 16; i++) {
        snprintf(p, sizeof p, "Z1,%x,2", 0x00100400 + 2 * i);
        assert_string_equal(ask(&s, p), "OK");
    }
    snprintf(p, sizeof p, "Z0,%x,2", 0x00100400 + 2 * 16);
    assert_string_equal(ask(&s, p), "E03");
    assert_string_equal(ask(&s, "Z0,40000000,2"), "E02"); /* not executable memory */
    for (int i = 1; i < 16; i++) {
        snprintf(p, sizeof p, "z1,%x,2", 0x00100400 + 2 * i);
        assert_string_equal(ask(&s, p), "OK");
    }
    snprintf(p, sizeof p, "z0,%x,2", tick);
    assert_string_equal(ask(&s, p), "OK");
    assert_string_equal(ask(&s, "Z2,100000,4"), ""); /* watchpoints: not supported */
    /* without breakpoints the core runs until Ctrl-C */
    send_packet(&s, "c");
    assert_int_equal(read_byte(&s), '+');
    usleep(50000);
    send_raw(&s, "\x03");
    const char *r = read_packet(&s);
    assert_memory_equal(r, "T020f:", 6);
    assert_true(mem_word(&s, counter) > before + 1000);
    finish(&s);
}

static void test_bad_checksums_and_malformed_packets_get_errors_not_crashes(void **state)
{
    struct session s;
    start(&s);
    send_raw(&s, "$g#00");
    assert_int_equal(read_byte(&s), '-');
    send_raw(&s, "$g#zz");
    assert_int_equal(read_byte(&s), '-');
    send_raw(&s, "+++garbage-");
    assert_string_equal(ask(&s, "mzz,4"), "E01");
    assert_string_equal(ask(&s, "m100000"), "E01");
    assert_string_equal(ask(&s, "m100000,"), "E01");
    assert_string_equal(ask(&s, "m123456789,4"), "E01"); /* more than 32 bits */
    assert_string_equal(ask(&s, "M100000,4:0102"), "E01");
    assert_string_equal(ask(&s, "M100000,2:zzzz"), "E01");
    assert_string_equal(ask(&s, "P4"), "E01");
    assert_string_equal(ask(&s, "P4=12"), "E01");
    assert_string_equal(ask(&s, "Gabc"), "E01");
    assert_string_equal(ask(&s, "Z0"), "E01");
    assert_string_equal(ask(&s, "Z0,100000,9"), "E01");
    assert_string_equal(ask(&s, "cxyz"), "E01");
    assert_string_equal(ask(&s, "gg"), "E01");
    assert_string_equal(ask(&s, ""), "");
    assert_string_equal(ask(&s, "qXfer:features:read:target.xml:zz"), "E01");
    assert_string_equal(ask(&s, "qXfer:features:read:target.xml:10000,10"), "l");
    /* a packet longer than PacketSize */
    char *big = malloc(RTCORE_GDB_MAX_PACKET + 100);
    assert_non_null(big);
    memset(big, 'a', RTCORE_GDB_MAX_PACKET + 99);
    big[0] = 'm';
    big[RTCORE_GDB_MAX_PACKET + 99] = '\0';
    assert_string_equal(ask(&s, big), "E01");
    free(big);
    /* still answering */
    assert_int_equal(reg(&s, 15), symbol("reset"));
    finish(&s);
}

/* In-process: random bytes never crash the state machine, and every answer is framed. */
struct fake {
    size_t sent;
    bool bad_frame;
};

static void f_regs(void *ctx, uint32_t r[RTCORE_GDB_REGS]) { memset(r, 0, RTCORE_GDB_REGS * sizeof *r); }
static void f_wreg(void *ctx, int n, uint32_t v) { assert_true(n >= 0 && n < RTCORE_GDB_REGS); }
static int f_rmem(void *ctx, uint32_t a, uint8_t *b, uint32_t n)
{
    assert_true(n <= RTCORE_GDB_MAX_MEM);
    memset(b, 0x5a, n);
    return a & 1 ? -EFAULT : 0;
}
static int f_wmem(void *ctx, uint32_t a, const uint8_t *b, uint32_t n) { return n <= RTCORE_GDB_MAX_MEM ? 0 : -EINVAL; }
static int f_bp(void *ctx, uint32_t a, bool set) { return 0; }
static void f_send(void *ctx, const char *b, size_t n)
{
    struct fake *f = ctx;
    f->sent += n;
    if (n > 1 && (b[0] != '$' || b[n - 3] != '#'))
        f->bad_frame = true;
}

static void test_random_input_never_crashes_the_protocol_machine(void **state)
{
    struct fake f = {0};
    struct rtcore_gdb_target t = {&f, f_regs, f_wreg, f_rmem, f_wmem, f_bp, f_send};
    static struct rtcore_gdb g;
    rtcore_gdb_init(&g, &t);
    static const char alphabet[] = "$#0123456789abcdefgGmMpPzZcskDqvC,:;=+-\x03}X";
    srand(1234);
    uint8_t buf[512];
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(rand() % (int)(sizeof buf - 8));
        for (size_t i = 0; i < n; i++)
            buf[i] = rand() % 4 ? (uint8_t)alphabet[rand() % (int)(sizeof alphabet - 1)] : (uint8_t)rand();
        if (round % 2) { /* a well-framed packet of random contents */
            unsigned sum = 0;
            buf[0] = '$';
            for (size_t i = 1; i < n; i++) {
                if (buf[i] == '$' || buf[i] == '#')
                    buf[i] = 'x';
                sum += buf[i];
            }
            n = n ? n : 1;
            n += (size_t)snprintf((char *)buf + n, 4, "#%02x", sum & 0xFF);
        }
        for (size_t at = 0; at < n;) {
            size_t used = 0;
            enum rtcore_gdb_action a = rtcore_gdb_feed(&g, buf + at, n - at, &used);
            assert_true(used > 0 && used <= n - at);
            at += used;
            if (a == RTCORE_GDB_CONTINUE || a == RTCORE_GDB_STEP || a == RTCORE_GDB_INTERRUPT)
                rtcore_gdb_stopped(&g, 5);
        }
    }
    assert_false(f.bad_frame);
    assert_true(g.packets > 1000);
    assert_true(g.bad_checksums > 1000);
}

static int kill_helper(void **state)
{
    if (live_helper > 0) {
        kill(live_helper, SIGKILL);
        waitpid(live_helper, NULL, 0);
    }
    live_helper = 0;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_registers_memory_and_queries_while_halted_at_reset, kill_helper),
        cmocka_unit_test_teardown(test_breakpoint_continue_step_and_interrupt, kill_helper),
        cmocka_unit_test_teardown(test_bad_checksums_and_malformed_packets_get_errors_not_crashes, kill_helper),
        cmocka_unit_test(test_random_input_never_crashes_the_protocol_machine),
    };
    cmocka_set_test_filter(getenv("RTCORE_TEST"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
