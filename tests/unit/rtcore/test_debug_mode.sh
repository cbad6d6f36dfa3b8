#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_debug_mode.sh BUILD_DIR — `sphere device app start --debug-mode` on an RTApp, end to end:
# a simulated device restarts the app's core under the GDB stub and answers its port; raw RSP
# packets over bash's /dev/tcp (127.0.0.1 only) read the PC, set a breakpoint and continue to
# it; show-status shows "debugging" and the port; stop ends the core. High-level apps debug under
# gdbserver instead (tests/cli/test_debug_hl.sh).
set -u
build=$(cd "$1" && pwd)
sphere=$build/bin/sphere
fw=$build/tests/unit/rtcore/fw/gdb_target.elf
export OPENSPHERE_HOME=$(mktemp -d)
work=$(mktemp -d)
cleanup() { exec 5>&- 2>/dev/null; sim_cleanup; }
trap cleanup EXIT
. "$(dirname "${BASH_SOURCE[0]}")/../../cli/lib.sh" # fail MSG
CID=3c1e6f0a-9b2d-4c8e-a7f1-5d3b2e1a0c9f
nm=$(command -v arm-none-eabi-nm) || fail "no arm-none-eabi-nm"
sym() { "$nm" "$fw" | awk -v s="$1" '$3 == s { print $1 }'; }
le() { local v=$1; printf '%s%s%s%s' "${v:6:2}" "${v:4:2}" "${v:2:2}" "${v:0:2}"; } # 8 hex digits -> target order

mkdir -p "$work/app/bin" && cp "$fw" "$work/app/bin/app"
printf '{"SchemaVersion":1,"Name":"gdbtarget","ComponentId":"%s","EntryPoint":"/bin/app","CmdArgs":[],"Capabilities":{},"ApplicationType":"RealTimeCapable"}' \
  $CID > "$work/app/app_manifest.json"
"$sphere" image-package pack-application --package-directory "$work/app" --destination "$work/app.ip" >/dev/null || fail "pack"
"$sphere" sim create dbg >/dev/null && "$sphere" sim start dbg >/dev/null || fail "cannot start a simulated device"
"$sphere" device app start -i $CID --debug-mode >"$work/out" 2>&1 && fail "debug-mode without appDevelopment must be refused"
"$sphere" device enable-development >/dev/null || fail "enable-development"
"$sphere" device sideload deploy -p "$work/app.ip" >/dev/null || fail "deploy"

"$sphere" device app start -i $CID --debug-mode >"$work/out" 2>&1 || { cat "$work/out"; fail "app start --debug-mode"; }
grep -q "App state   : debugging" "$work/out" || { cat "$work/out"; fail "not debugging"; }
port=$(sed -n 's/^  GDB port    : \([0-9]*\) .*/\1/p' "$work/out")
[ -n "$port" ] || { cat "$work/out"; fail "no GDB port printed"; }
"$sphere" device app show-status -i $CID >"$work/st" 2>&1
grep -q "App state   : debugging" "$work/st" && grep -q "GDB port    : $port " "$work/st" || { cat "$work/st"; fail "show-status"; }

exec 5<>/dev/tcp/127.0.0.1/$port || fail "cannot connect to 127.0.0.1:$port"
pkt() {
  local d=$1 s=0 i c
  for ((i = 0; i < ${#d}; i++)); do printf -v c '%d' "'${d:i:1}"; s=$(((s + c) & 255)); done
  printf '$%s#%02x' "$d" $s >&5
}
reply() {
  local c r=""
  while IFS= read -r -t 10 -n 1 -d '' c <&5; do [ "$c" = '$' ] && break; done
  while IFS= read -r -t 10 -n 1 -d '' c <&5; do [ "$c" = '#' ] && break; r+=$c; done
  IFS= read -r -t 10 -n 2 c <&5
  printf '%s' "$r"
}
ask() { pkt "$1"; reply; }
[ "$(ask '?')" = S05 ] || fail "no stop reply"
reset=$(sym reset) tick=$(sym gdb_tick)
[ "$(ask pf)" = "$(le "$reset")" ] || fail "the core does not wait at reset for the debugger (pc $(ask pf), reset $reset)"
[ "$(ask "Z0,${tick#00},2")" = OK ] || fail "breakpoint"
got=$(ask c)
[ "$got" = "T050f:$(le "$tick");" ] || fail "continue did not stop at gdb_tick: $got"
[ "$(ask "m${tick#00},2")" = "024a" ] || fail "memory read at gdb_tick: $(ask "m${tick#00},2")" # ldr r2, [pc, #8]
[ "$(ask "z0,${tick#00},2")" = OK ] || fail "breakpoint removal"
[ "$(ask D)" = OK ] || fail "detach"
exec 5>&-

# A real debugger (gdb-multiarch, scripts/install-deps.sh) attaches to the core running on.
if command -v gdb-multiarch >/dev/null; then
  timeout 60 gdb-multiarch -batch -nx "$fw" -ex "target remote 127.0.0.1:$port" -ex "break gdb_tick" -ex continue \
    -ex "set var gdb_counter = 41" -ex continue -ex "print gdb_counter" -ex stepi -ex "info registers pc" -ex detach \
    >"$work/gdb.out" 2>&1 || { cat "$work/gdb.out"; fail "gdb-multiarch failed"; }
  grep -q "Breakpoint 1, gdb_tick ()" "$work/gdb.out" && grep -q '^\$1 = 42$' "$work/gdb.out" &&
    grep -q "^pc  *0x$(printf '%x' $((0x$tick + 2))) " "$work/gdb.out" || { cat "$work/gdb.out"; fail "gdb-multiarch session"; }
else
  echo "NOTE: gdb-multiarch is not installed (scripts/install-deps.sh): the real-debugger part was not run"
fi
exec 5<>/dev/tcp/127.0.0.1/$port || fail "cannot connect again"
[ "$(ask '?')" = S05 ] || fail "no stop reply on the second connection"

"$sphere" device app stop -i $CID >"$work/out" 2>&1 && grep -q "App state   : stopped" "$work/out" || { cat "$work/out"; fail "stop"; }
IFS= read -r -t 10 -n 1 -d '' c <&5 && fail "the stub still answers after stop"
"$sphere" device app show-status -i $CID >"$work/st" 2>&1
grep -q "GDB port" "$work/st" && fail "a stopped app still shows a GDB port"
echo "debug mode end to end: OK (port $port)"
