#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# board.sh BUILD_DIR — the simulated board's I2C cost, beside a baseline in the same run:
# LSM6DS3 write-then-read transactions/s (register address out, 6 output bytes back) from a
# confined app through I2CMaster_WriteThenRead (broker-issued handle, board thread, model) vs a
# host process doing the same transaction on the model directly (lsm6ds3_i2c_write + _read).
# Both run for SECONDS (default 2) at the same time on the same machine.
set -euo pipefail
[ -n "${BENCH_DEBUG:-}" ] && set -x
build=$(cd "${1:-build}" && pwd)
sphere=$build/bin/sphere
sdk=$build/sdk
seconds=${SECONDS_PER_RUN:-2}
here=$(cd "$(dirname "$0")/.." && pwd)
export OPENSPHERE_HOME=$(mktemp -d)
work=$(mktemp -d)
trap '"$sphere" sim stop bench >/dev/null 2>&1; rm -rf "$OPENSPHERE_HOME" "$work"' EXIT

cat > "$work/app.c" <<'C'
/* The confined side: WriteThenRead of OUTX_L_XL..OUTZ_H_XL for argv[1] seconds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <applibs/i2c.h>
int main(int argc, char **argv)
{
    int fd = I2CMaster_Open(2);
    uint8_t ctrl[2] = {0x10, 0x40}, reg = 0x28, out[6];
    if (fd < 0 || I2CMaster_Write(fd, 0x6A, ctrl, 2) != 2)
        return printf("BENCH failed\n"), 1;
    struct timespec a, b;
    double limit = argc > 1 ? atof(argv[1]) : 2, t = 0;
    long n = 0;
    clock_gettime(CLOCK_MONOTONIC, &a);
    while (t < limit) {
        for (int i = 0; i < 256; i++, n++)
            if (I2CMaster_WriteThenRead(fd, 0x6A, &reg, 1, out, 6) != 7)
                return printf("BENCH failed\n"), 1;
        clock_gettime(CLOCK_MONOTONIC, &b);
        t = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    }
    printf("BENCH i2c %.0f\n", n / t);
    fflush(stdout);
    for (;;)
        pause();
}
C
cat > "$work/host.c" <<'C'
/* The baseline: the same transaction on the model, in-process, for argv[1] seconds. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "lsm6ds3.h"
int main(int argc, char **argv)
{
    struct lsm6ds3 d;
    lsm6ds3_init(&d);
    uint8_t ctrl[2] = {0x10, 0x40}, reg = 0x28, out[6];
    lsm6ds3_i2c_write(&d, ctrl, 2);
    struct timespec a, b;
    double limit = argc > 1 ? atof(argv[1]) : 2, t = 0;
    long n = 0;
    volatile uint8_t sink = 0;
    clock_gettime(CLOCK_MONOTONIC, &a);
    while (t < limit) {
        for (int i = 0; i < 4096; i++, n++) {
            lsm6ds3_i2c_write(&d, &reg, 1);
            lsm6ds3_i2c_read(&d, out, 6);
            sink ^= out[5];
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        t = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    }
    printf("%.0f\n", n / t);
    return sink == 255 ? 1 : 0;
}
C
cc -O2 -o "$work/host" "$work/host.c" "$here/src/board/lsm6ds3.c" -I"$here/src/board" -lm
mkdir -p "$work/i2cbench/bin"
cc -O2 -o "$work/i2cbench/bin/app" "$work/app.c" -isystem "$sdk/Sysroots/17/usr/include" -L"$sdk/Sysroots/17/usr/lib" -lapplibs
printf '{"SchemaVersion":1,"Name":"i2cbench","ComponentId":"66666666-0000-0000-0000-000000000001","EntryPoint":"/bin/app","CmdArgs":["%s"],"Capabilities":{"I2cMaster":["ISU2"]}}' \
  "$seconds" > "$work/i2cbench/app_manifest.json"
"$sphere" image-package pack-application --package-directory "$work/i2cbench" --destination "$work/i2cbench.ip" >/dev/null
"$sphere" sim create bench >/dev/null && "$sphere" sim start bench >/dev/null && "$sphere" device enable-development >/dev/null
"$sphere" device sideload deploy -p "$work/i2cbench.ip" >/dev/null
host=$("$work/host" "$seconds")
for _ in $(seq 100); do "$sphere" device app log > "$work/log"; grep -q "BENCH" "$work/log" && break; sleep 0.2; done
app=$(grep -o 'BENCH i2c [0-9]*' "$work/log" | awk '{print $3}')
[ -n "$app" ] || { echo "the benchmark app failed:"; tail -5 "$work/log"; exit 1; }
printf 'I2C write-then-read (1 + 6 bytes): confined app %.0f transactions/s; model in a host process %.0f transactions/s; ratio %.4f (%.0fx slower)\n' \
  "$app" "$host" "$(echo "$app / $host" | bc -l)" "$(echo "$host / $app" | bc -l)"
