#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/mcu.sh BUILD_DIR — external-MCU programming throughput: a 256 KiB image uploaded over
# SMP to sphere-mcu through a PTY paced at 115200 and 921600 baud, as a ratio to the line's raw
# byte rate (baud / 10). The gap is base64 (4/3), framing (127-byte lines), CBOR and the
# request/response turn-around per 1792-byte chunk.
set -euo pipefail
build=${1:-build}
[ -x "$build/tests/mcu_bench" ] || { echo "bench/mcu.sh: build $build first (mcu_bench missing)" >&2; exit 1; }
for baud in 115200 921600; do
  "$build/tests/mcu_bench" "$build" "$baud"
done
