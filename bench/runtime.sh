#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# runtime.sh BUILD_DIR — the application runtime's costs, each beside a baseline in the same run:
#   1. GPIO_SetValue calls/s from a confined app vs write() of the same 2 bytes to a pipe in the
#      same app; GPIO_GetValue round-trip latency vs a socket-pair ping-pong in the same app;
#   2. app start latency (start request -> the app's first log line) vs bubblewrap starting the
#      same binary with comparable namespaces (user, mount, pid, ipc, uts, net; read-only binds),
#      median of 20 runs each. Ours ends at the time the device stamped on that line (ms), not
#      when a polling curl happened to see it; both sides include one process start (curl for
#      the request, bwrap itself).
set -euo pipefail
[ -n "${BENCH_DEBUG:-}" ] && set -x
build=$(cd "${1:-build}" && pwd)
sphere=$build/bin/sphere
sdk=$build/sdk
runs=${RUNS:-20}
command -v bwrap >/dev/null || { SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo; DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq bubblewrap >/dev/null; }
export OPENSPHERE_HOME=$(mktemp -d)
work=$(mktemp -d)
trap '"$sphere" sim stop bench >/dev/null 2>&1; rm -rf "$OPENSPHERE_HOME" "$work"' EXIT
here=$(cd "$(dirname "$0")/.." && pwd)
pack() { # pack NAME SOURCE CID CAPS ARGS
  mkdir -p "$work/$1/bin"
  cc -O2 -o "$work/$1/bin/app" "$2" -isystem "$sdk/Sysroots/17/usr/include" -L"$sdk/Sysroots/17/usr/lib" -lapplibs -lpthread
  printf '{"SchemaVersion":1,"Name":"%s","ComponentId":"%s","EntryPoint":"/bin/app","CmdArgs":[%s],"Capabilities":%s}' \
    "$1" "$3" "$5" "$4" > "$work/$1/app_manifest.json"
  "$sphere" image-package pack-application --package-directory "$work/$1" --destination "$work/$1.ip" >/dev/null
}
"$sphere" sim create bench >/dev/null && "$sphere" sim start bench >/dev/null && "$sphere" device enable-development >/dev/null
sock=$OPENSPHERE_HOME/devices/bench/rest.sock

pack gpiobench "$here/tests/apps/gpiobench.c" 55555555-0000-0000-0000-000000000001 '{"Gpio":[8]}' ''
"$sphere" device sideload deploy -p "$work/gpiobench.ip" >/dev/null
for _ in $(seq 100); do "$sphere" device app log > "$work/log"; grep -q "BENCH roundtrip" "$work/log" && break; sleep 0.2; done
read -r _ _ set_gpio set_pipe < <(grep -o 'BENCH set .*' "$work/log")
read -r _ _ rt_gpio rt_sock < <(grep -o 'BENCH roundtrip .*' "$work/log")
printf 'GPIO_SetValue: %.0f calls/s; write() to a pipe: %.0f calls/s; ratio %.2f\n' "$set_gpio" "$set_pipe" "$(echo "$set_gpio / $set_pipe" | bc -l)"
printf 'GPIO_GetValue round trip: %.2f us; socket-pair ping-pong: %.2f us; ratio %.2f\n' "$rt_gpio" "$rt_sock" "$(echo "$rt_gpio / $rt_sock" | bc -l)"
"$sphere" device sideload delete >/dev/null

pack starter "$here/tests/apps/probe.c" 55555555-0000-0000-0000-000000000002 '{}' '"log"'
"$sphere" device sideload deploy -p "$work/starter.ip" --manual-start >/dev/null
cid=55555555-0000-0000-0000-000000000002
for _ in $(seq "$runs"); do
  since=$(curl -s --unix-socket "$sock" "http://localhost/sim/log?since=0" | sed -n 's/^{"next":\([0-9]*\).*/\1/p')
  s=$(date +%s%N)
  curl -s -o /dev/null --unix-socket "$sock" -X PATCH -H 'Content-Type: application/json' -d '{"trigger":"start"}' "http://localhost/app/status/$cid"
  until curl -s --unix-socket "$sock" "http://localhost/sim/log?since=$since" > "$work/poll" && grep -q 'Log_Debug says hello' "$work/poll"; do sleep 0.01; done
  # The line's own arrival time (the device stamps each line when it reads it, ms): the polling
  # above (a curl process per look) is not part of the start.
  at=$(jq -r '.lines[] | select(.text | contains("Log_Debug says hello")) | .time' "$work/poll" | head -1)
  e=$(date -d "$at" +%s%N); echo $(( (e - s) / 1000 ))
  curl -s -o /dev/null --unix-socket "$sock" -X PATCH -H 'Content-Type: application/json' -d '{"trigger":"stop"}' "http://localhost/app/status/$cid"
done | sort -n > "$work/ours"
root=$work/starter
for _ in $(seq "$runs"); do
  s=$(date +%s%N)
  bwrap --unshare-all --die-with-parent --ro-bind /usr/lib /usr/lib --ro-bind /usr/lib64 /usr/lib64 --symlink usr/lib /lib \
        --symlink usr/lib64 /lib64 --ro-bind "$root" /mnt/apps/$cid --dev /dev /mnt/apps/$cid/bin/app log exitnow 2>&1 | \
    { read -r _; e=$(date +%s%N); echo $(( (e - s) / 1000 )); cat >/dev/null; }
done | sort -n > "$work/bwrap"
ours=$(sed -n "$(( runs / 2 ))p" "$work/ours"); theirs=$(sed -n "$(( runs / 2 ))p" "$work/bwrap")
printf 'app start to first log line: median %.2f ms; bwrap, same binary: median %.2f ms; ratio %.2f\n' \
  "$(echo "$ours / 1000" | bc -l)" "$(echo "$theirs / 1000" | bc -l)" "$(echo "$ours / $theirs" | bc -l)"
