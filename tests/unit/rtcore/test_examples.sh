#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_examples.sh BUILD_DIR — the example RTApps end to end: built unchanged from their
# CMakePresets.json with the SDK's RT toolchain file into image packages, run through
# `sphere rtcore run`; blinky must blink GPIO 8 from its timer interrupt, and the same
# firmware packaged without Gpio 8 in its manifest must be stopped at its first GPIO access.
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../../.." && pwd)
sphere=$build/bin/sphere
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
. "$(dirname "${BASH_SOURCE[0]}")/../../cli/lib.sh" # fail MSG

cp -r "$src/examples/rtapps" "$work/rtapps"
AzureSphereDefaultSDKDir=$build/sdk ArmGnuPath= make -C "$work/rtapps" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "examples did not build"; }
blinky=$work/rtapps/blinky/out/ARM-Release/blinky_rtapp.imagepackage
hello=$work/rtapps/hello_uart/out/ARM-Release/hello_uart_rtapp.imagepackage
[ -f "$blinky" ] && [ -f "$hello" ] || fail "no image packages built"

"$sphere" image-package show --image-package "$blinky" >"$work/show.txt"
grep -q "Depends on: *nothing" "$work/show.txt" || fail "an RTApp package must not depend on an ABI"
grep -q '"ApplicationType":"RealTimeCapable"' "$work/rtapps/blinky/out/ARM-Release/approotblinky_rtapp/app_manifest.json" ||
  grep -q 'RealTimeCapable' "$work/rtapps/blinky/app_manifest.json" || fail "manifest lost its ApplicationType"

"$sphere" rtcore run --image-package "$blinky" --instruction-clock --max-time-ms 1100 --trace-gpio >"$work/blinky.out" 2>"$work/blinky.err" ||
  { cat "$work/blinky.out" "$work/blinky.err"; fail "blinky exited with $?"; }
expected="blinky: GPIO 8 every 250 ms from GPT0
[gpio] 8 high at 250.002 ms
LED on, toggle 1
[gpio] 8 low at 500.002 ms
LED off, toggle 2
[gpio] 8 high at 750.002 ms
LED on, toggle 3
[gpio] 8 low at 1000.002 ms
LED off, toggle 4"
[ "$(cat "$work/blinky.out")" = "$expected" ] || { diff <(echo "$expected") "$work/blinky.out"; fail "blinky output differs"; }

"$sphere" rtcore run --image-package "$hello" --instruction-clock --max-time-ms 2500 >"$work/hello.out" 2>&1 || fail "hello exited with $?"
grep -qx "Hello from an OpenSphere real-time core!" "$work/hello.out" || fail "no greeting: $(cat "$work/hello.out")"
grep -qx "\[ISU0\] hello, ISU0" "$work/hello.out" || fail "no ISU0 output"
grep -qx "uptime 2 s" "$work/hello.out" || fail "SysTick did not count 2 s"

# The same blinky firmware, packaged with a manifest that does not list Gpio 8.
root=$work/rtapps/blinky/out/ARM-Release/approotblinky_rtapp
sed 's/"Gpio": \[ 8 \]/"Gpio": [ 12 ]/' "$work/rtapps/blinky/app_manifest.json" >"$root/app_manifest.json"
"$sphere" image-package pack-application --package-directory "$root" --destination "$work/nogpio.imagepackage" >/dev/null
set +e
"$sphere" rtcore run --image-package "$work/nogpio.imagepackage" --instruction-clock --max-time-ms 1100 >"$work/no.out" 2>"$work/no.err"
rc=$?
set -e
[ $rc -eq 3 ] || fail "expected a crash (3), got $rc"
grep -q "peripheral access denied: write of 0x38030014 (GRP2)" "$work/no.err" || fail "no denial: $(cat "$work/no.err")"
grep -q "does not list Gpio 8-11" "$work/no.err" || fail "denial does not name the grant"
! grep -q "LED on" "$work/no.out" || fail "the confined app kept running"

# Two cores at once: both examples in parallel on the host clock.
"$sphere" rtcore run --image-package "$blinky" --max-time-ms 600 --trace-gpio >"$work/p1.out" 2>/dev/null &
p1=$!
"$sphere" rtcore run --image-package "$hello" --max-time-ms 1200 >"$work/p2.out" 2>/dev/null &
p2=$!
wait $p1 && wait $p2 || fail "a parallel core failed"
grep -q "LED off, toggle 2" "$work/p1.out" || fail "parallel blinky: $(cat "$work/p1.out")"
grep -qx "uptime 1 s" "$work/p2.out" || fail "parallel hello: $(cat "$work/p2.out")"
echo "examples: built, blinked, confined, ran in parallel"
