#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scenario.sh BUILD_DIR — what `sphere test run` costs against the same steps done by hand with
# the CLI, measured in the same run: examples/blinky/scenarios/presses.yaml (13 steps: wait for
# the log, the LED's blinking, two button presses, a captured press count, a power cut, an app
# restart) RUNS times (default 3) each way, alternating, on a fresh device each time. By hand is
# how the shell tests do it (tests/cli/lib.sh): `sphere` commands, polling the log with
# `device app log` every 0.1 s. Prints each run's seconds, the means and by-hand / scenario.
#
# Figures (2-core development machine shared with other helpers' builds, RelWithDebInfo, RUNS=3):
#   run 1: sphere test run 6.12 s, by hand 6.04 s
#   run 2: sphere test run 5.99 s, by hand 5.97 s
#   run 3: sphere test run 5.00 s, by hand 6.05 s
#   mean: sphere test run 5.70 s, by hand 6.02 s, by hand / scenario 1.05
# About the same: both are paced by the app and the device, not by the driver. Of the scenario's
# ~5.5 s, ~3.5 s are the steps (0.72 s for three LED toggles at 250 ms, 0.6 s of presses, 0.2 s
# delay, 1.3-2.1 s for the power cut's reboot) and ~1.9 s is deleting the device (sphered's own
# shutdown); its REST polls cost milliseconds. By hand needs the same waits plus a `sphere`
# process per poll; what the scenario adds is not speed but one file, its checks before anything
# runs, the trace with expected/seen and the log tail, and the JUnit report.
set -euo pipefail
[ -n "${BENCH_DEBUG:-}" ] && set -x
build=$(cd "${1:-build}" && pwd)
sphere=$build/bin/sphere
sdk=$build/sdk
runs=${RUNS:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
export OPENSPHERE_HOME=$(mktemp -d)
work=$(mktemp -d)
cleanup() {
  local d
  for d in "$OPENSPHERE_HOME"/devices/*; do [ -d "$d" ] && "$sphere" sim delete "${d##*/}" >/dev/null 2>&1; done
  rm -rf "$OPENSPHERE_HOME" "$work"
}
trap cleanup EXIT

cp -r "$here/examples/blinky" "$work/blinky" && rm -rf "$work/blinky/out"
(cd "$work/blinky" && AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere cmake --preset ARM-Debug >/dev/null \
  && cmake --build out/ARM-Debug >/dev/null)
pkg=$work/blinky/out/ARM-Debug/Blinky.imagepackage
cid=5e8b1f3a-2d4c-4b6e-8f90-1a2b3c4d5e6f

now() { date +%s.%N; }
# until_log DEV REGEX [SECONDS] — poll the device log every 0.1 s until a line matches
until_log() {
  local end=$((SECONDS + ${3:-5}))
  while [ $SECONDS -le $end ]; do
    "$sphere" device app log -d "$1" > "$work/log" 2>/dev/null && grep -qE -- "$2" "$work/log" && return 0
    sleep 0.1
  done
  echo "by hand: the log never showed /$2/" >&2; return 1
}
changes() { "$sphere" sim gpio -d "$1" 8 -o json | sed -n 's/.*"changes":\([0-9]*\).*/\1/p'; }
press() { "$sphere" sim gpio -d "$1" 12 0 >/dev/null; sleep 0.3; "$sphere" sim gpio -d "$1" 12 1 >/dev/null; }
running() { "$sphere" device app show-status -d "$1" -i $cid | grep -q running; }

by_hand() {
  local d=hand$1
  "$sphere" sim create $d >/dev/null && "$sphere" sim start $d >/dev/null
  "$sphere" device enable-development -d $d >/dev/null
  "$sphere" device sideload deploy -d $d -p "$pkg" >/dev/null
  until_log $d "Blinky starting"
  running $d
  local first; first=$(changes $d)
  local end=$((SECONDS + 5))
  until [ $(( $(changes $d) - first )) -ge 3 ]; do [ $SECONDS -le $end ] || return 1; sleep 0.1; done
  press $d
  until_log $d "presses so far\): blinking every 1000 ms" 3
  sleep 0.2
  press $d
  until_log $d "presses so far\): blinking every 250 ms" 3
  local count; count=$(sed -n 's/.*(\([0-9]*\) presses so far): blinking every 250 ms.*/\1/p' "$work/log" | tail -1)
  "$sphere" sim power-cut -d $d >/dev/null && "$sphere" sim start $d >/dev/null
  until_log $d "has been pressed $count times before"
  "$sphere" device app stop -d $d -i $cid >/dev/null
  until_log $d "^\S+ \S+ \[runtime\] Blinky (exited with code|was terminated by signal)" 10 # as restart-app does
  "$sphere" device app start -d $d -i $cid >/dev/null
  end=$((SECONDS + 5))
  until "$sphere" device app log -d $d | grep -c "Blinky starting" | grep -q '^[2-9]'; do [ $SECONDS -le $end ] || return 1; sleep 0.1; done
  running $d
  "$sphere" sim delete $d >/dev/null
}

scenario_times=() hand_times=()
for i in $(seq "$runs"); do
  t0=$(now); "$sphere" test run "$work/blinky/scenarios/presses.yaml" > "$work/trace" || { cat "$work/trace"; exit 1; }; t1=$(now)
  by_hand "$i"; t2=$(now)
  s=$(echo "$t1 - $t0" | bc -l) h=$(echo "$t2 - $t1" | bc -l)
  scenario_times+=("$s") hand_times+=("$h")
  printf 'run %d: sphere test run %.2f s, by hand %.2f s\n' "$i" "$s" "$h"
done
mean() { local sum=0 x; for x in "$@"; do sum=$(echo "$sum + $x" | bc -l); done; echo "$sum / $#" | bc -l; }
ms=$(mean "${scenario_times[@]}") mh=$(mean "${hand_times[@]}")
printf 'mean over %d runs: sphere test run %.2f s, by hand %.2f s, by hand / scenario %.2f\n' "$runs" "$ms" "$mh" \
  "$(echo "$mh / $ms" | bc -l)"
