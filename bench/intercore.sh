#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/intercore.sh [BUILD_DIR] [N] — inter-core round trips, HL app -> device -> emulated core
# -> device -> HL app (64-byte messages; examples/intercore/rt_echo upper-cases and replies; the
# HL side is tests/unit/intercore/hlprobe.c "bench N", timing N sequential round trips), beside a
# raw SOCK_SEQPACKET socketpair ping-pong between two host processes, same run, same N, in
# ROUNDS (default 5) interleaved rounds per placement: latency per round trip and the ratio per
# round, then the median ratio. Host-clock emulation (the default).
# Placement decides both figures (a wake-up on the same CPU costs ~8 us on this VM, across CPUs
# ~40 us), so each side is measured like for like:
#   same CPU    everything on CPU 0: the device (sphered, the RTApp's helper, the HL app) and both
#               raw processes;
#   two CPUs    the HL app (and sphered) on CPU 0, the RTApp's helper on CPU 1; the raw parent on
#               CPU 0, its child on CPU 1;
#   as scheduled no affinity: the raw pair, forked together, usually shares a CPU while the
#               device's long-lived processes usually do not, so this ratio compares unlike cases
#               (printed for reference). PLACEMENTS="same cross free" picks which run.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
n=${2:-2000}
src=$(cd "$(dirname "$0")/.." && pwd)
sphere=$build/bin/sphere
sdk=$build/sdk
[ -x "$sphere" ] && [ -x "$build/bin/sphere-rtcore" ] || { echo "bench/intercore.sh: build $build first" >&2; exit 1; }
export OPENSPHERE_HOME=$(mktemp -d)
work=$(mktemp -d)
trap '"$sphere" sim stop bench >/dev/null 2>&1; rm -rf "$work" "$OPENSPHERE_HOME"' EXIT

# The raw baseline: parent sends 64 bytes, child echoes, N times.
cat > "$work/raw.c" <<'C'
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
/* raw N [PARENT_CPU CHILD_CPU]: -1 leaves a side where the scheduler puts it. */
static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (cpu >= 0 && sched_setaffinity(0, sizeof set, &set) != 0)
        exit(2);
}
int main(int argc, char **argv)
{
    int n = atoi(argv[1]), sv[2];
    int parent_cpu = argc > 3 ? atoi(argv[2]) : -1, child_cpu = argc > 3 ? atoi(argv[3]) : -1;
    char buf[64] = "benchmark payload";
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
        pin(child_cpu);
        close(sv[0]);
        ssize_t got;
        while ((got = recv(sv[1], buf, sizeof buf, 0)) > 0)
            if (send(sv[1], buf, (size_t)got, 0) < 0) break;
        _exit(0);
    }
    close(sv[1]);
    pin(parent_cpu);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; i++)
        if (send(sv[0], buf, sizeof buf, 0) != sizeof buf || recv(sv[0], buf, sizeof buf, 0) != sizeof buf) return 1;
    clock_gettime(CLOCK_MONOTONIC, &b);
    close(sv[0]);
    waitpid(pid, NULL, 0);
    printf("%lld\n", (b.tv_sec - a.tv_sec) * 1000000LL + (b.tv_nsec - a.tv_nsec) / 1000);
    return 0;
}
C
cc -O2 -o "$work/raw" "$work/raw.c"

cp -r "$src/examples/intercore" "$work/ex" && rm -rf "$work/ex"/*/out
AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere ArmGnuPath= make -C "$work/ex" rt_echo >/dev/null 2>&1
mkdir -p "$work/hl/bin"
cc -O2 -o "$work/hl/bin/app" "$src/tests/unit/intercore/hlprobe.c" -isystem "$sdk/Sysroots/17/usr/include" \
  -L"$sdk/Sysroots/17/usr/lib" -lapplibs
RT=0e5c9a7b-3d2f-4b1a-9c8e-7f6d5e4c3b2a
printf '{"SchemaVersion":1,"Name":"bench","ComponentId":"7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d","EntryPoint":"/bin/app","CmdArgs":["%s","bench","%s"],"Capabilities":{"AllowedApplicationConnections":["%s"]},"ApplicationType":"Default"}' \
  "$RT" "$n" "$RT" > "$work/hl/app_manifest.json"
"$sphere" image-package pack-application --package-directory "$work/hl" --destination "$work/hl.ip" >/dev/null
"$sphere" sim create bench >/dev/null && "$sphere" sim start bench >/dev/null && "$sphere" device enable-development >/dev/null
"$sphere" device sideload deploy -p "$work/ex/rt_echo/out/ARM-Release/rt_echo.imagepackage" >/dev/null

# The device's processes: sphered and everything under it.
sphered_pid=$(cat "$OPENSPHERE_HOME/devices/bench/sphered.pid")
descendants() {
  local p
  for p in $(ps -o pid= --ppid "$1"); do echo "$p"; descendants "$p"; done
}
# place MODE: sets the affinity of every thread of the device's processes (later children, the
# HL app among them, inherit sphered's); prints the raw program's CPU arguments.
place() {
  local all="0-$(($(nproc) - 1))" hl rt p
  case $1 in same) hl=0 rt=0 ;; cross) hl=0 rt=1 ;; *) hl=$all rt=$all ;; esac
  for p in "$sphered_pid" $(descendants "$sphered_pid"); do
    if [ "$(cat /proc/"$p"/comm 2>/dev/null)" = sphere-rtcore ]; then taskset -a -p -c "$rt" "$p" >/dev/null 2>&1
    else taskset -a -p -c "$hl" "$p" >/dev/null 2>&1; fi
  done
  case $1 in same) echo "0 0" ;; cross) echo "0 1" ;; *) echo "-1 -1" ;; esac
}
# Rounds, interleaved so both sides see the same machine: the raw ping-pong, then the HL app
# (restarted each round; each run prints one result line). Each round's ratio is printed and the
# figure is the median of the rounds' ratios.
rounds=${ROUNDS:-5}
HL=7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d
results=0
# ic_result K: waits for the K-th result line of the HL app; prints its microseconds.
ic_result() {
  local us="" i
  for i in $(seq 1 600); do
    us=$("$sphere" device app log | sed -n 's/.*ICP bench [0-9]* round trips in \([0-9]*\) us.*/\1/p' | sed -n "$1p")
    [ -n "$us" ] && { echo "$us"; return 0; }
    if "$sphere" device app log | grep -q "ICP bench FAILED"; then
      echo "bench/intercore.sh: the HL app failed:" >&2; "$sphere" device app log | tail -20 >&2; return 1
    fi
    sleep 0.1
  done
  echo "bench/intercore.sh: no result" >&2; return 1
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
for mode in ${PLACEMENTS:-same cross free}; do
  case $mode in same) label="same CPU (all on CPU 0)" ;; cross) label="two CPUs (HL app 0, RTApp helper 1)" ;; *) label="as scheduled (no affinity; unlike cases)" ;; esac
  cpus=$(place "$mode")
  echo "placement: $label"
  printf '  %-6s %8s %18s %18s %7s\n' round trips "HL->RT->HL us" "raw socketpair us" ratio
  ratios=() ics=() raws=()
  for r in $(seq 1 "$rounds"); do
    # shellcheck disable=SC2086 # two CPU numbers
    raw_us=$("$work/raw" "$n" $cpus)
    results=$((results + 1))
    if [ "$results" = 1 ]; then
      "$sphere" device sideload deploy -p "$work/hl.ip" >/dev/null
    else
      "$sphere" device app start -i "$HL" >/dev/null
    fi
    ic_us=$(ic_result "$results")
    "$sphere" device app stop -i "$HL" >/dev/null 2>&1 || true
    ratio=$(echo "$ic_us / $raw_us" | bc -l)
    ratios+=("$ratio") ics+=("$(echo "$ic_us / $n" | bc -l)") raws+=("$(echo "$raw_us / $n" | bc -l)")
    printf '  %-6d %8d %18.1f %18.1f %7.2f\n' "$r" "$n" "${ics[-1]}" "${raws[-1]}" "$ratio"
  done
  printf '  median per round trip: inter-core %.1f us, raw socketpair %.1f us\n' "$(median "${ics[@]}")" "$(median "${raws[@]}")"
  printf '  ratio (inter-core latency / raw latency), %s, median of %d rounds: %.2f (min %.2f, max %.2f)\n' "$mode" "$rounds" \
    "$(median "${ratios[@]}")" "$(printf '%s\n' "${ratios[@]}" | sort -g | head -1)" "$(printf '%s\n' "${ratios[@]}" | sort -g | tail -1)"
done
