#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/rtcore.sh [BUILD_DIR] — emulated instructions per second of one sphere-rtcore core,
# as a ratio to the real MT3620 Cortex-M4F at 197.6 MHz (1 instruction ~ 1 cycle), on
#   tight loop       a one-instruction branch-to-self (block hook on every instruction)
#   interrupt-heavy  an arithmetic loop with SysTick every 400 cycles (~494k interrupts/s of
#                    emulated time), each one a host-side exception entry and return.
# Uses the instruction clock so the amount of work is fixed; timed with the host clock.
set -euo pipefail
build=${1:-build}
helper=$build/bin/sphere-rtcore
fw=$build/tests/unit/rtcore/fw
[ -x "$helper" ] && [ -f "$fw/spin.elf" ] || { echo "bench/rtcore.sh: build $build first (with tests)" >&2; exit 1; }
now() { date +%s.%N; }
run() { # name elf instructions
  local t0 t1 err
  t0=$(now)
  err=$("$helper" --elf "$2" --instruction-clock --max-instructions "$3" 2>&1 >/dev/null)
  t1=$(now)
  local n; n=$(echo "$err" | grep -o 'after [0-9]*' | grep -o '[0-9]*')
  echo "$1 $n $(echo "$t1 - $t0" | bc -l)"
}
printf '%-16s %14s %9s %14s %10s\n' workload instructions seconds instr/s "x 197.6MHz"
for w in "tight-loop $fw/spin.elf 1000000000" "interrupt-heavy $fw/irq_heavy.elf 400000000"; do
  set -- $w
  read -r name n secs < <(run "$1" "$2" "$3")
  ips=$(echo "$n / $secs" | bc -l)
  printf '%-16s %14d %9.3f %14.0f %10.3f\n' "$name" "$n" "$secs" "$ips" "$(echo "$ips / 197600000" | bc -l)"
done
