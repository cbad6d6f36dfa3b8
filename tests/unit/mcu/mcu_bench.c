/* SPDX-License-Identifier: MIT */
/* mcu_bench.c — `mcu_bench BUILD_DIR BAUD`: uploads a 256 KiB image to a fresh sphere-mcu over a
 * PTY paced at BAUD and prints the programming throughput (upload only, bytes of image per
 * second) and its ratio to the line's raw byte rate (baud / 10). Used by bench/mcu.sh. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "hostio.h"
#include "mcu_client.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    char dir[] = "/tmp/mcu-bench-XXXXXX", slave[64], exe[512];
    if (!mkdtemp(dir))
        return 1;
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (master < 0 || grantpt(master) || unlockpt(master) || ptsname_r(master, slave, sizeof slave))
        return 1;
    int sfd = open(slave, O_RDWR | O_NOCTTY);
    struct termios t;
    tcgetattr(sfd, &t);
    cfmakeraw(&t);
    tcsetattr(sfd, TCSANOW, &t);
    snprintf(exe, sizeof exe, "%s/bin/sphere-mcu", argv[1]);
    pid_t pid = fork();
    if (pid == 0) {
        execl(exe, "sphere-mcu", "--state", dir, "--tty", slave, "--baud", argv[2], (char *)NULL);
        _exit(127);
    }
    struct mcu_smp_client c;
    mcu_smp_client_init(&c, master, 3000, 2);
    int err = -1;
    for (int i = 0; i < 50 && err; i++)
        err = mcu_smp_echo(&c, "ping");
    uint32_t payload = 256 * 1024;
    uint8_t *raw = malloc(payload), *img = NULL, sha[32];
    for (uint32_t i = 0; i < payload; i++)
        raw[i] = (uint8_t)(i * 7);
    size_t len = 0;
    struct mcu_version v = {1, 0, 0, 0};
    mcu_image_create(raw, payload, &v, 0, &img, &len);
    mcu_sha256(img, len, sha);
    double t0 = now();
    uint32_t off = 0, next = 0;
    while (!err && off < len) {
        size_t n = len - off < SMP_UPLOAD_CHUNK_MAX ? len - off : SMP_UPLOAD_CHUNK_MAX;
        err = mcu_smp_ops.upload(&c, (uint32_t)len, sha, off, img + off, n, &next);
        off = next;
    }
    double secs = now() - t0, rate = (double)len / secs, line = atof(argv[2]) / 10.0;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    hostio_remove_tree(dir);
    if (err) {
        fprintf(stderr, "mcu_bench: upload failed: %d\n", err);
        return 1;
    }
    printf("mcu: %7s baud: %zu bytes in %.2f s = %.0f B/s; line %.0f B/s; ratio %.3f\n", argv[2], len, secs, rate, line,
           rate / line);
    free(raw), free(img);
    return 0;
}
