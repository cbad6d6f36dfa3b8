/* SPDX-License-Identifier: MIT */
/*
 * sphere_mcu.c — `sphere-mcu --state DIR (--tty PATH | --fd N) [--baud N] [--slot-kb N]
 * [--install IMAGE] [--reset-ms N]`: the simulated external MCU as its own process.
 *
 * It boots (mcu_dev_boot), then serves SMP serial recovery on the line. The line is paced at
 * the baud rate, 10 bits per byte, in both directions: the MCU reads no faster than the line
 * delivers and writes no faster than it sends, so a PTY behaves like a real UART. --install
 * puts IMAGE into slot 0 of a new MCU (no state yet) and confirms it. When a --tty line hangs
 * up (the simulated device that owns the other end stopped), the MCU keeps running and reopens
 * the path once the symbolic link there is replaced (re-pointed at the new PTY: the old PTY
 * number may meanwhile belong to another device). A hold requested in DIR/hold (mcu_hold.h)
 * silences it after that step until the line hangs up. SIGTERM stops it; SIGKILL is a power cut.
 * Writes DIR/mcu.pid. Exit status 0 after SIGTERM, 1 on a fatal error (printed on stderr).
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "hostio.h"
#include "mcu_dev.h"
#include "mcu_hold.h"
#include "path.h"
#include "smp.h"

static volatile sig_atomic_t stop;
static void on_term(int sig) { stop = 1; }

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void sleep_until(uint64_t t)
{
    for (uint64_t n = now_ns(); n < t && !stop; n = now_ns()) {
        struct timespec ts = {(time_t)((t - n) / 1000000000u), (long)((t - n) % 1000000000u)};
        nanosleep(&ts, NULL);
    }
}

/* One direction of the line: `n` bytes take n * 10 / baud seconds. */
struct pacer {
    uint64_t next, ns_per_byte;
};
static void pace(struct pacer *p, size_t n)
{
    uint64_t now = now_ns();
    if (p->next < now)
        p->next = now;
    p->next += p->ns_per_byte * n;
    sleep_until(p->next);
}

static int open_line(const char *path)
{
    int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct termios t;
    if (isatty(fd) && tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(fd, TCSANOW, &t);
    }
    return fd;
}

static int write_paced(int fd, struct pacer *tx, const char *data, size_t n)
{
    while (n && !stop) {
        size_t chunk = n < 32 ? n : 32;
        pace(tx, chunk);
        ssize_t w = write(fd, data, chunk);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd p = {fd, POLLOUT, 0};
            poll(&p, 1, 100);
            continue;
        }
        if (w <= 0)
            return -EIO;
        data += w, n -= (size_t)w;
    }
    return 0;
}

/* One line in the MCU's log (its stderr) for each step of an update it carries out. */
static void log_step(const struct mcu_dev *d, const char *what, int slot)
{
    char version[32] = "-";
    if (slot >= 0 && d->parsed[slot])
        mcu_version_format(&d->info[slot].version, version, sizeof version);
    fprintf(stderr, "sphere-mcu: boot %u: %s slot %d (%s)\n", d->st.boots, what, slot, version);
}

/* Whether DIR/hold asks to hold after `step`. */
static bool hold_armed(const char *dir, enum mcu_hold_op step)
{
    struct mcu_hold h;
    return mcu_hold_read(dir, &h) == 0 && !h.holding && h.op == step;
}

/* From now on the MCU answers nothing until the line hangs up; DIR/hold says so. */
static void start_hold(const char *dir, enum mcu_hold_op step, bool *holding)
{
    *holding = true;
    mcu_hold_write(dir, &(struct mcu_hold){step, true});
    fprintf(stderr, "sphere-mcu: holding after %s: no answers until the line hangs up\n", mcu_hold_op_name(step));
}

/* The device let go of the line (hang-up): a hold is over. */
static void end_hold(const char *dir, bool *holding)
{
    if (!*holding)
        return;
    *holding = false;
    mcu_hold_write(dir, &(struct mcu_hold){MCU_HOLD_NONE, false});
    fprintf(stderr, "sphere-mcu: the line hung up: the hold is over\n");
}

static void usage(void)
{
    fprintf(stderr, "usage: sphere-mcu --state DIR (--tty PATH | --fd N) [--baud N] [--slot-kb N] [--install IMAGE] "
                    "[--reset-ms N]\n");
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *tty = NULL, *install_path = NULL;
    int fd = -1;
    unsigned long baud = 115200, slot_kb = 0, reset_ms = 100;
    for (int i = 1; i < argc; i += 2) { /* every option takes a value */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            usage();
            return 2;
        }
        if (!strcmp(a, "--state"))
            dir = v;
        else if (!strcmp(a, "--tty"))
            tty = v;
        else if (!strcmp(a, "--fd"))
            fd = atoi(v);
        else if (!strcmp(a, "--baud"))
            baud = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--slot-kb"))
            slot_kb = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--install"))
            install_path = v;
        else if (!strcmp(a, "--reset-ms"))
            reset_ms = strtoul(v, NULL, 10);
        else {
            usage();
            return 2;
        }
    }
    if (!dir || (!tty && fd < 0) || baud < 1200 || baud > 4000000 || slot_kb > 65536) {
        usage();
        return 2;
    }
    char *install = NULL;
    size_t install_len = 0;
    int err = install_path ? hostio_read_file(install_path, &install, &install_len) : 0;
    if (err) {
        fprintf(stderr, "sphere-mcu: cannot read %s: %s\n", install_path, os_strerror(err));
        return 1;
    }
    struct mcu_dev *d = NULL;
    err = mcu_dev_open(dir, (uint32_t)slot_kb * 1024u, (const uint8_t *)install, install_len, false, &d);
    free(install);
    if (!err)
        err = mcu_dev_boot(d);
    if (err) {
        fprintf(stderr, "sphere-mcu: cannot start the MCU in %s: %s\n", dir, os_strerror(err));
        mcu_dev_close(d);
        return 1;
    }
    struct mcu_hold hold;
    if (mcu_hold_read(dir, &hold) == 0 && hold.holding) /* a hold does not outlive the MCU's power */
        mcu_hold_write(dir, &(struct mcu_hold){MCU_HOLD_NONE, false});
    char pid[32], *pidfile = path_join(dir, "mcu.pid");
    snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    if (pidfile)
        hostio_write_file_atomic(pidfile, pid, strlen(pid), 0644);
    struct sigaction sa = {.sa_handler = on_term};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct pacer rx = {0, 10000000000ull / baud}, tx = rx;
    static struct smp_rx srx;
    static uint8_t rsp[SMP_MAX_PACKET];
    static char framed[SMP_FRAMED_MAX(SMP_MAX_PACKET)];
    smp_rx_init(&srx);
    /* After a hang-up the line is reopened only once `sim start` has re-pointed the link (a new
     * symlink, so a new inode): the old PTY number may meanwhile belong to another device. */
    ino_t line_ino = 0;
    bool hung_up = false, holding = false;
    while (!stop) {
        if (fd < 0) {
            struct stat link;
            bool repointed = tty && lstat(tty, &link) == 0 && (!S_ISLNK(link.st_mode) || link.st_ino != line_ino);
            fd = !hung_up || repointed ? open_line(tty) : -1;
            if (fd < 0) {
                sleep_until(now_ns() + 200000000u); /* the device is off: wait for its PTY */
                continue;
            }
            line_ino = tty && lstat(tty, &link) == 0 ? link.st_ino : 0;
            hung_up = false;
            smp_rx_init(&srx);
        }
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        uint8_t buf[64];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0) {
            end_hold(dir, &holding);
            close(fd);
            if (!tty)
                break; /* an inherited descriptor closed: nothing to reopen */
            fd = -1, hung_up = true;
            sleep_until(now_ns() + 200000000u);
            continue;
        }
        pace(&rx, (size_t)n);
        if (holding)
            continue; /* deaf until the line hangs up */
        size_t off = 0;
        while (off < (size_t)n && !stop) {
            size_t used = 0;
            const uint8_t *pkt = NULL;
            int got = smp_rx_feed(&srx, buf + off, (size_t)n - off, &used, &pkt);
            off += used;
            if (got <= 0)
                continue; /* a dropped frame is just noise on the line */
            struct mcu_dev_state before = d->st;
            int len = mcu_dev_handle(d, pkt, (size_t)got, rsp, sizeof rsp);
            enum mcu_hold_op step = mcu_hold_step(&before, d);
            if (step == MCU_HOLD_TEST)
                log_step(d, "test mark on", d->st.pending);
            else if (step == MCU_HOLD_CONFIRM)
                log_step(d, "confirmed", d->st.confirmed);
            bool hold_now = step != MCU_HOLD_NONE && hold_armed(dir, step);
            if (hold_now && step != MCU_HOLD_RESET) {
                start_hold(dir, step, &holding);
                break; /* the step is done and recorded; its answer is never sent */
            }
            int text = len > 0 ? smp_frame_encode(rsp, (size_t)len, framed, sizeof framed) : 0;
            if (text > 0 && write_paced(fd, &tx, framed, (size_t)text) && tty) {
                close(fd);
                fd = -1, hung_up = true;
                break;
            }
            if (d->reset_requested) {
                d->reset_requested = false;
                if (fd >= 0)
                    tcdrain(fd);
                sleep_until(now_ns() + reset_ms * 1000000u); /* rebooting: deaf to the line */
                if (fd >= 0)
                    tcflush(fd, TCIFLUSH);
                smp_rx_init(&srx);
                err = mcu_dev_boot(d);
                if (err)
                    fprintf(stderr, "sphere-mcu: boot failed: %s\n", os_strerror(err));
                else
                    log_step(d, "reset: running", d->st.active);
                if (hold_now)
                    start_hold(dir, step, &holding); /* answered the reset, rebooted, then silent */
                break; /* anything read before the reset is gone */
            }
        }
    }
    if (pidfile)
        unlink(pidfile);
    free(pidfile);
    mcu_dev_close(d);
    return 0;
}
