#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# flashfs.sh BUILD_DIR — the flash file system benchmark: a 4 MiB OTA-style download on the
# W25Q128JV model. Prints write amplification, erase ratio, flash time ratio (goal <= 1.10
# each) and host CPU time per MiB; exits non-zero if a ratio is over the goal.
set -euo pipefail
build=${1:-build}
exec "$build/bench/bench_flashfs"
