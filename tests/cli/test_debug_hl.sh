#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_debug_hl.sh SPHERE SOURCE_DIR — `sphere device app start --debug-mode` on a high-level
# app, end to end (docs/runtime.md, "Debugging high-level apps"): the app is restarted stopped
# at its first instruction, state "debugging", port reported (2345 when free); Debian's gdb
# connects to 127.0.0.1:PORT, gdbserver (outside the container) attaches, a breakpoint on a
# function is hit, backtrace and registers show it, detach lets the app run on; show-status says
# the debugger is attached meanwhile; the output port carries the app's output; a second
# debugger and a second --debug-mode are refused;
# stop ends gdbserver and closes the port; without gdbserver the error names the package.
set -u
sphere=$1 src=$2
. "$src/tests/cli/lib.sh"
device_test_env # $bin, $sdk; new temporary $OPENSPHERE_HOME and $work
trap sim_cleanup EXIT
command -v gdbserver >/dev/null || { echo "SKIP: gdbserver is not installed (scripts/install-deps.sh)"; exit 0; }
command -v gdb >/dev/null || { echo "SKIP: gdb is not installed"; exit 0; }
CID=66666666-0000-0000-0000-0000000000d1
dev=hld log_args=(-i "$CID") logf=$work/log # the ticker's lines of the device log, for log_has and expect_log

mkdir -p "$work/app/bin"
cat > "$work/ticker.c" <<'C'
#include <applibs/log.h>
#include <time.h>
volatile int ticks;
__attribute__((noinline)) void debug_tick(int n)
{
    ticks = n;
    Log_Debug("TICK %d\n", n);
}
int main(void)
{
    struct timespec t = {0, 100 * 1000 * 1000};
    for (int n = 1;; n++) {
        debug_tick(n);
        nanosleep(&t, NULL);
    }
}
C
cc -O0 -g -o "$work/app/bin/app" "$work/ticker.c" -isystem "$sdk/Sysroots/17/usr/include" -L"$sdk/Sysroots/17/usr/lib" -lapplibs \
  || { echo "cannot build the test app"; exit 1; }
printf '{"SchemaVersion":1,"Name":"ticker","ComponentId":"%s","EntryPoint":"/bin/app","CmdArgs":[],"Capabilities":{}}' $CID > "$work/app/app_manifest.json"
"$sphere" image-package pack-application --package-directory "$work/app" --destination "$work/app.ip" >/dev/null
"$sphere" sim create hld >/dev/null && "$sphere" sim start hld >/dev/null && "$sphere" device enable-development -d hld >/dev/null \
  && "$sphere" device sideload deploy -d hld -p "$work/app.ip" >/dev/null || { echo "cannot start a device with the app"; exit 1; }
expect_log "TICK 3"

# ---- start for debugging: stopped at its first instruction, port reported ---------------------
"$sphere" device app start -d hld -i $CID --debug-mode > "$work/out" 2>&1 || bad "app start --debug-mode failed: $(cat "$work/out")"
grep -q "App state   : debugging" "$work/out" && ok || bad "the app is not 'debugging'"
port=$(sed -n 's/^  GDB port    : \([0-9]*\) .*/\1/p' "$work/out")
[ -n "$port" ] && ok || { bad "no GDB port printed"; cat "$work/out"; exit 1; }
expect_log "waits for gdb on 127.0.0.1:$port"
outport=$(sed -n 's/^  Output port : \([0-9]*\) .*/\1/p' "$work/out")
[ -n "$outport" ] && exec 6<>"/dev/tcp/127.0.0.1/$outport" && ok || { bad "no output port to connect to"; cat "$work/out"; }
n_before=$(grep -c "TICK" "$work/log"); sleep 1; "$sphere" device app log -d hld -i $CID > "$work/log"
[ "$(grep -c "TICK" "$work/log")" = "$n_before" ] && ok || bad "the app ran before a debugger attached"
"$sphere" device app show-status -d hld -i $CID > "$work/st"
grep -q "GDB port    : $port " "$work/st" && grep -q "Debugger    : waiting for gdb to connect" "$work/st" && ok \
  || { bad "show-status while waiting"; cat "$work/st"; }
"$sphere" device app start -d hld -i $CID --debug-mode > /dev/null 2> "$work/err"; rc=$?
[ $rc = 1 ] && grep -q "already being debugged" "$work/err" && ok || bad "a second --debug-mode: exit $rc, $(cat "$work/err")"

# ---- gdb: breakpoint, backtrace, registers; show-status and a second debugger meanwhile -------
timeout 90 gdb -batch -nx -ex "set sysroot /" -ex "set confirm off" -ex "target remote 127.0.0.1:$port" \
  -ex "break debug_tick" -ex continue -ex bt -ex "info registers rip" -ex "print n" \
  -ex "shell \"$sphere\" device app show-status -d hld -i $CID > \"$work/st2\"" \
  -ex "shell timeout 20 gdb -batch -nx -ex 'target remote 127.0.0.1:$port' > \"$work/gdb2\" 2>&1" \
  -ex "delete" -ex detach "$work/app/bin/app" > "$work/gdb" 2>&1
grep -q "Breakpoint 1, debug_tick (n=1)" "$work/gdb" && ok || { bad "gdb did not stop at debug_tick"; cat "$work/gdb"; }
grep -q "^#0  debug_tick (n=1) at .*ticker.c" "$work/gdb" && grep -q "^#1  .* main () at .*ticker.c" "$work/gdb" && ok \
  || { bad "the backtrace does not show debug_tick called from main"; cat "$work/gdb"; }
grep -q "^rip  *0x[0-9a-f]* *0x[0-9a-f]* <debug_tick+[0-9]*>" "$work/gdb" && ok || { bad "info registers does not put rip in debug_tick"; grep "^rip" "$work/gdb"; }
grep -q "^\$1 = 1$" "$work/gdb" && ok || bad "print n"
grep -q "App state   : debugging" "$work/st2" && grep -q "Debugger    : attached (gdbserver)" "$work/st2" && ok \
  || { bad "show-status while attached"; cat "$work/st2"; }
grep -qE "Remote connection closed|Target disconnected|Connection refused" "$work/gdb2" && ! grep -q "^#0 " "$work/gdb2" && ok \
  || { bad "a second debugger was not refused"; cat "$work/gdb2"; }
expect_log "refused a debugger connection to ticker: a debugger is already attached"
# detached: it runs on (more TICK lines than before the debug session, which restarted at 1)
ticks_more() { "$sphere" device app log -d hld -i $CID > "$work/log"; [ "$(grep -c "TICK" "$work/log")" -ge $((n_before + 3)) ]; }
until_ok 5 ticks_more && ok || bad "the app did not run on after detach"
IFS= read -r -t 5 line <&6 && [ "$line" = "TICK 1" ] && ok || bad "the output port did not carry the app's output (got '${line:-}')"
exec 6<&-
expect_log "gdbserver for ticker ended"
# the app runs as before, and the device log still has its output
"$sphere" device app show-status -d hld -i $CID > "$work/st"
grep -q "Debugger    : waiting for gdb to connect" "$work/st" && ok || { bad "show-status after detach"; cat "$work/st"; }

# ---- stop while a debugger is attached: gdbserver ends, the port closes -----------------------
"$sphere" device app start -d hld -i $CID > /dev/null   # leave debugging (restarts, runs freely)
"$sphere" device app start -d hld -i $CID --debug-mode > "$work/out" 2>&1 || bad "second debug session: $(cat "$work/out")"
port=$(sed -n 's/^  GDB port    : \([0-9]*\) .*/\1/p' "$work/out")
timeout 60 gdb -batch -nx -ex "set sysroot /" -ex "target remote 127.0.0.1:$port" -ex "break debug_tick" -ex continue \
  -ex "shell \"$sphere\" device app stop -d hld -i $CID > \"$work/stop\"" -ex "info registers rip" "$work/app/bin/app" > "$work/gdb3" 2>&1
grep -q "Breakpoint 1, debug_tick" "$work/gdb3" && ok || { bad "the second session did not reach the breakpoint"; cat "$work/gdb3"; }
grep -q "App state   : stopped" "$work/stop" && ok || { bad "stop while debugging"; cat "$work/stop"; }
expect_log "gdbserver for ticker ended (signal 9)"
expect_log "ticker was terminated by signal"
"$sphere" device app show-status -d hld -i $CID > "$work/st"
grep -q "GDB port" "$work/st" && bad "a stopped app still shows a GDB port" || ok
(exec 5<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && bad "port $port still accepts connections after stop" || ok
"$sphere" sim stop hld >/dev/null

# ---- without gdbserver: a clear error naming the package ----------------------------------------
OPENSPHERE_GDBSERVER=/nonexistent/gdbserver "$sphere" sim create nogdb >/dev/null
OPENSPHERE_GDBSERVER=/nonexistent/gdbserver "$sphere" sim start nogdb >/dev/null
"$sphere" device enable-development -d nogdb >/dev/null && "$sphere" device sideload deploy -d nogdb -p "$work/app.ip" >/dev/null \
  || bad "cannot set up the nogdb device"
"$sphere" device app start -d nogdb -i $CID --debug-mode > /dev/null 2> "$work/err"; rc=$?
[ $rc = 1 ] && grep -q "Debugging server is not present" "$work/err" && grep -q "Debian package 'gdbserver'" "$work/err" && ok \
  || bad "without gdbserver: exit $rc, $(cat "$work/err")"
"$sphere" sim stop nogdb >/dev/null
if grep -E "Sanitizer|runtime error" "$OPENSPHERE_HOME"/devices/*/sphered.log; then bad "a sanitizer reported a problem in sphered"; else ok; fi
summary
