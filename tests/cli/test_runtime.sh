#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_runtime.sh SPHERE SOURCE_DIR — high-level apps on a simulated device, end to end: an app
# laid out like the platform's samples built with CMake against our SDK, Applibs calls and their
# errors, the container's confinement, the lifecycle (restart with backoff, crash and exit
# records, SIGTERM then SIGKILL), the memory limit, mutable storage, the board and the device log.
set -u
sphere=$1 src=$2
. "$src/tests/cli/lib.sh"
device_test_env # $bin, $sdk; new temporary $OPENSPHERE_HOME and $work
trap sim_cleanup EXIT
logf=$work/log
gpio_changes() { curl -s --unix-socket "$OPENSPHERE_HOME/devices/rt/rest.sock" "http://localhost/sim/gpio/$1" | sed -n 's/.*"changes":\([0-9]*\).*/\1/p'; }


"$sphere" sim create rt >/dev/null && "$sphere" sim start rt >/dev/null && "$sphere" device enable-development >/dev/null \
  || { echo "cannot start a simulated device"; exit 1; }

# ---- the SDK: a sample-style project builds unchanged with CMake presets ----------------------
cp -r "$src/examples/blinky" "$work/blinky"
rm -rf "$work/blinky/out"
if (cd "$work/blinky" && AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere cmake --preset ARM-Debug >/dev/null \
    && cmake --build out/ARM-Debug >/dev/null); then ok; else bad "the blinky example does not build with the SDK"; fi
pkg=$work/blinky/out/ARM-Debug/Blinky.imagepackage
[ -f "$pkg" ] && ok || bad "no Blinky.imagepackage"
"$sphere" image-package show -p "$pkg" > "$work/show" && grep -q "ApplicationRuntime, version 17" "$work/show" && ok \
  || bad "Blinky is not packaged for the latest LTS API set"
cp -r "$src/examples/blinky" "$work/blinky99" && rm -rf "$work/blinky99/out"
(cd "$work/blinky99" && AzureSphereDefaultSDKDir=$sdk cmake --preset ARM-Debug -DAZURE_SPHERE_TARGET_API_SET=99 >/dev/null 2>"$work/err")
grep -q "Target API set '99' is not supported by this SDK" "$work/err" && ok || bad "an unknown API set was not refused by the toolchain"

# A project laid out like the public samples: its own HardwareDefinitions/mt3620_rdb with the
# sample_appliance.json abstraction (importing the SDK's mt3620_rdb.json by name), find_path with
# NO_CMAKE_FIND_ROOT_PATH, "$SAMPLE_LED" in the manifest, #include <hw/sample_appliance.h>.
proj=$work/SampleLayout
mkdir -p "$proj/HardwareDefinitions/mt3620_rdb"
cp "$src/tests/data/hardware-definitions/samples/mt3620_rdb/sample_appliance.json" "$proj/HardwareDefinitions/mt3620_rdb/"
"$sphere" hardware-definition generate-header --hardware-definition-file "$proj/HardwareDefinitions/mt3620_rdb/sample_appliance.json" >/dev/null 2>&1
cp "$src/examples/blinky/CMakePresets.json" "$proj/"
cat > "$proj/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(SampleLayout C)
azsphere_configure_tools(TOOLS_REVISION "23.05")
add_executable(${PROJECT_NAME} main.c)
target_link_libraries(${PROJECT_NAME} applibs gcc_s c)
set(TARGET_HARDWARE "mt3620_rdb")
set(TARGET_DEFINITION "sample_appliance.json")
find_path(TARGET_DIRECTORY NAMES ${TARGET_DEFINITION} PATHS "HardwareDefinitions/${TARGET_HARDWARE}" NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
azsphere_target_hardware_definition(${PROJECT_NAME} TARGET_DIRECTORY "${TARGET_DIRECTORY}" TARGET_DEFINITION "${TARGET_DEFINITION}")
azsphere_target_add_image_package(${PROJECT_NAME} RESOURCE_FILES "certs/note.txt")
CMAKE
mkdir -p "$proj/certs" && echo "a resource" > "$proj/certs/note.txt"
cat > "$proj/main.c" <<'C'
#include <applibs/gpio.h>
#include <applibs/log.h>
#include <applibs/storage.h>
#include <hw/sample_appliance.h>
#include <unistd.h>
int main(void)
{
    int led = GPIO_OpenAsOutput(SAMPLE_LED, GPIO_OutputMode_PushPull, GPIO_Value_Low);
    int res = Storage_OpenFileInImagePackage("certs/note.txt");
    Log_Debug("SampleLayout: LED fd %s, resource %s\n", led >= 0 ? "ok" : "failed", res >= 0 ? "ok" : "failed");
    for (;;)
        pause();
}
C
printf '{"SchemaVersion":1,"Name":"SampleLayout","ComponentId":"66666666-0000-0000-0000-000000000001","EntryPoint":"/bin/app","CmdArgs":[],"Capabilities":{"Gpio":["$SAMPLE_LED"]},"ApplicationType":"Default"}' > "$proj/app_manifest.json"
if (cd "$proj" && AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere cmake --preset ARM-Debug >"$work/cmake.log" 2>&1 \
    && cmake --build out/ARM-Debug >>"$work/cmake.log" 2>&1); then ok; else bad "a sample-layout project does not build with the SDK"; tail -15 "$work/cmake.log"; fi
"$sphere" device sideload deploy -p "$proj/out/ARM-Debug/SampleLayout.imagepackage" >/dev/null 2>"$work/err" || { bad "deploying SampleLayout failed"; cat "$work/err"; }
expect_log "SampleLayout: LED fd ok, resource ok"
"$sphere" device sideload delete >/dev/null

# ---- blinky runs: LED toggles, button press counted in mutable storage, kept across restarts --
"$sphere" device sideload deploy -p "$pkg" >/dev/null || bad "deploying Blinky failed"
expect_log "Button A has been pressed 0 times before."
"$sphere" device app show-memory-stats -o json > "$work/mem"
grep -q '"componentId": "5e8b1f3a-2d4c-4b6e-8f90-1a2b3c4d5e6f"' "$work/mem" && grep -q '"pid": [0-9]' "$work/mem" && ok \
  || bad "show-memory-stats does not list the running app"
before=$(gpio_changes 8); sleep 1; after=$(gpio_changes 8)
[ $((after - before)) -ge 3 ] && ok || bad "LED 1 (GPIO 8) toggled $((after - before)) times in 1 s"
"$sphere" sim gpio -n 8 > "$work/out" && grep -q "GPIO 8: [01] (output)" "$work/out" && ok || bad "sim gpio did not show GPIO 8 as an output"
"$sphere" sim press 12 >/dev/null || bad "sim press 12 (positional) failed"
expect_log "Button A pressed (1 presses so far): blinking every 1000 ms"
"$sphere" sim gpio -n 8 --value 0 >/dev/null 2>"$work/err" && bad "sim gpio drove an output" || grep -q "is an output" "$work/err" && ok
# the positional form `sim gpio N [0|1]` and its usage errors
"$sphere" sim gpio 8 > "$work/out" && grep -q "GPIO 8: [01] (output)" "$work/out" && ok || bad "sim gpio 8 did not show GPIO 8"
"$sphere" sim gpio 8 0 >/dev/null 2>"$work/err"; [ $? = 1 ] && grep -q "is an output" "$work/err" && ok || bad "sim gpio 8 0 drove an output"
"$sphere" sim gpio 13 0 > "$work/out" && grep -q "GPIO 13: 0 (unused)" "$work/out" && ok || bad "sim gpio 13 0 did not pull button B low: $(cat "$work/out")"
"$sphere" sim gpio 13 > "$work/out" && grep -q "GPIO 13: 0 (unused)" "$work/out" && ok || bad "button B did not stay low"
"$sphere" sim gpio 13 --value 1 > "$work/out" && grep -q "GPIO 13: 1 (unused)" "$work/out" && ok || bad "sim gpio 13 --value 1 did not release button B"
for args in "" "8 -n 8" "8 1 1" "13 1 --value 1"; do
  # shellcheck disable=SC2086
  "$sphere" sim gpio $args >/dev/null 2>"$work/err"; rc=$?
  [ $rc = 2 ] && grep -q "^error: " "$work/err" && ok || bad "sim gpio $args: exit $rc, $(cat "$work/err")"
done
"$sphere" sim gpio 8 2 >/dev/null 2>"$work/err"; [ $? = 1 ] && grep -q "must be 0 or 1" "$work/err" && ok || bad "sim gpio 8 2 was not refused"
"$sphere" sim gpio 200 >/dev/null 2>"$work/err"; [ $? = 1 ] && grep -q "not a GPIO number" "$work/err" && ok || bad "sim gpio 200 was not refused"
"$sphere" device app stop >/dev/null
expect_log "Blinky exiting (code 1)."
expect_log "[runtime] Blinky exited with code 0"
"$sphere" device app start >/dev/null
expect_log "Button A has been pressed 1 times before."
storage=$(ls -d "$OPENSPHERE_HOME"/devices/rt/storage/*/)
"$sphere" device sideload delete >/dev/null
[ ! -e "$storage" ] && ok || bad "deleting the app kept its mutable storage"

# ---- Applibs errors and the container ---------------------------------------------------------
probe confined 44444444-0000-0000-0000-000000000001 '{"Gpio":[8],"MutableStorage":{"SizeKB":16}}' \
  log exec hostfile writeimage createfile fork ptrace proc socket readimage badpath gpio8 gpio8again gpio9 \
  gpiomode gpiobadfd storage quota reboot connect
deploy confined
expect_log "PROBE done"
for want in "log ok" "exec ENOENT" "hostfile ENOENT" "writeimage EACCES" "createfile EROFS" "fork EPERM" \
            "ptrace EPERM" "proc ENOENT" "socket EPERM" "readimage ok" "badpath EINVAL" "gpio8 ok" "gpio8again EBUSY" \
            "gpio9 EACCES" "gpiomode EINVAL" "gpiobadfd EBADF" "storage ok" "quota EFBIG" "reboot EACCES" "connect EACCES"; do
  grep -qF "PROBE $want" "$logf" && ok || bad "expected 'PROBE $want' in the log"
done
grep -qF "Log_Debug says hello" "$logf" && ok || bad "Log_Debug output is not in the device log"
"$sphere" device sideload delete >/dev/null
# GPIO_SetValue on an output just closed fails with EBADF (the set ring goes with the descriptor)
probe gpioclose 44444444-0000-0000-0000-000000000003 '{"Gpio":[8]}' gpioclosed
deploy gpioclose
expect_log "PROBE gpioclosed"
grep -qF "PROBE gpioclosed EBADF" "$logf" && ok || bad "a set on a closed GPIO output: $(grep -F 'PROBE gpioclosed' "$logf")"
"$sphere" device sideload delete >/dev/null
probe nostorage 44444444-0000-0000-0000-000000000002 '{"PowerControls":["ForceReboot"],"AllowedApplicationConnections":["005180bc-402f-4cb3-a662-72937dbcde47"]}' \
  storage reboot connect
deploy nostorage
# the probe runs its checks in order, so once the last line is in the log the others are too
expect_log "PROBE connect ECONNREFUSED"   # a listed partner (other case) is found
grep -qF "PROBE storage EACCES" "$logf" && ok || bad "MutableStorage without the capability was not refused with EACCES"
grep -qF "PROBE reboot ok" "$logf" && ok || bad "ForceReboot was refused although PowerControls lists it"
"$sphere" device sideload delete >/dev/null

# ---- lifecycle: exit and crash are recorded and restarted with backoff ------------------------
probe exiter 44444444-0000-0000-0000-000000000003 '{}' exit3
deploy exiter
expect_log "restarting exiter in 400 ms" 8
"$sphere" device app show-status > "$work/out"
grep -q "Last exit   : code 3" "$work/out" && ok || bad "show-status does not show the last exit code"
grep -q "Restarts    : [2-9]" "$work/out" && ok || bad "show-status does not count restarts"
"$sphere" device sideload delete >/dev/null
probe crasher 44444444-0000-0000-0000-000000000004 '{}' crash
deploy crasher
expect_log "crasher was terminated by signal 11"
until_ok 3 sh -c "\"$sphere\" device app show-status | grep -q 'Last exit   : signal 11'" && ok || bad "a crash's signal is not shown"
"$sphere" device sideload delete >/dev/null

# ---- stop: SIGTERM, then SIGKILL after 2 s ------------------------------------------------------
probe stubborn 44444444-0000-0000-0000-000000000005 '{}' ignoreterm
deploy stubborn
expect_log "PROBE ignoreterm armed"
start=$(date +%s%N)
"$sphere" device app stop >/dev/null
expect_log "stubborn did not exit within 2000 ms of SIGTERM: SIGKILL" 6
expect_log "stubborn was terminated by signal 9"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$elapsed" -ge 1900 ] && ok || bad "the app was killed after $elapsed ms, before its 2 s"
"$sphere" device app show-status > "$work/out"; grep -q "App state   : stopped" "$work/out" && ok || bad "the stopped app is not 'stopped'"
sleep 0.5; "$sphere" device app log > "$logf"
grep -q "restarting stubborn" "$logf" && bad "a stopped app was restarted" || ok
"$sphere" device sideload delete >/dev/null

# ---- memory limit ----------------------------------------------------------------------------
probe hog 44444444-0000-0000-0000-000000000006 '{}' memory
deploy hog
expect_log "the limit is 256 KiB: killing it" 8
grep -qF "PROBE memory survived" "$logf" && bad "the memory hog survived" || ok
"$sphere" device sideload delete >/dev/null
# A device made with a larger limit lets the same app live.
"$sphere" sim create roomy --memory-limit-kb 8192 >/dev/null && "$sphere" sim start roomy >/dev/null \
  && "$sphere" device enable-development -d roomy >/dev/null || bad "cannot start a device with --memory-limit-kb"
"$sphere" device sideload deploy -d roomy -p "$work/hog.ip" >/dev/null || bad "deploying the hog to roomy failed"
if until_ok 8 sh -c "\"$sphere\" device app log -d roomy | grep -qF 'PROBE memory survived 4194304'"; then ok
else bad "the hog did not survive an 8 MiB limit"; fi
"$sphere" sim stop roomy >/dev/null
"$sphere" sim create tiny --memory-limit-kb 5 >/dev/null 2>"$work/err" && bad "a 5 KiB limit was accepted" || ok

# ---- the device log: more lines than one page (1000), each printed once, in order (the ring
# keeps 4096, so the first BURST lines may have gone if the device logged much before) ----------
probe chatty 44444444-0000-0000-0000-000000000007 '{}' logburst
deploy chatty
expect_log "BURST 2500" 20 # Log_Debug and stdout are separate pipes: "PROBE logburst ok" may come first
grep -o "BURST [0-9]*" "$logf" | awk 'NR == 1 { prev = $2 - 1 } { if ($2 != prev + 1) bad = 1; prev = $2 } END { exit bad || prev != 2500 || NR <= 1000 }' && ok \
  || bad "the log did not show BURST 1..2500 once each, in order ($(grep -c BURST "$logf") lines)"
"$sphere" device sideload delete >/dev/null

# ---- RTApps on the device's real-time cores --------------------------------------------------
cp -r "$src/examples/rtapps" "$work/rtapps"
if AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere ArmGnuPath= make -C "$work/rtapps" >"$work/rt.log" 2>&1; then ok
else bad "the RTApp examples do not build"; tail -5 "$work/rt.log"; fi
rtb=$work/rtapps/blinky/out/ARM-Release/blinky_rtapp.imagepackage
rth=$work/rtapps/hello_uart/out/ARM-Release/hello_uart_rtapp.imagepackage
"$sphere" device sideload deploy -p "$rtb" >/dev/null || bad "deploying the RTApp blinky failed"
"$sphere" device sideload deploy -p "$rth" >/dev/null || bad "deploying the RTApp hello failed"
expect_log "Hello from an OpenSphere real-time core!"
expect_log "LED off, toggle 2"
[ "$(gpio_changes 8)" -ge 2 ] && ok || bad "the RTApp's GPIO 8 does not show on the board"
"$sphere" device app show-status > "$work/out"
grep -q "Core        : Real-time core 0" "$work/out" && grep -q "Core        : Real-time core 1" "$work/out" && ok \
  || bad "show-status does not show both real-time cores"
"$sphere" device sideload delete >/dev/null
expect_log "OpenSphereBlinkyRTApp exited with code 0"
# The same firmware with a manifest that does not list GPIO 8: the core stops at the first access.
mkdir -p "$work/rtbad/bin"
cp "$work/rtapps/blinky/out/ARM-Release/approotblinky_rtapp/bin/app" "$work/rtbad/bin/app"
printf '{"SchemaVersion":1,"Name":"RtBad","ComponentId":"77777777-0000-0000-0000-000000000001","EntryPoint":"/bin/app","Capabilities":{"Gpio":[12]},"ApplicationType":"RealTimeCapable"}' > "$work/rtbad/app_manifest.json"
"$sphere" image-package pack-application --package-directory "$work/rtbad" --destination "$work/rtbad.ip" >/dev/null
"$sphere" device sideload deploy -p "$work/rtbad.ip" >/dev/null || bad "deploying RtBad failed"
expect_log "peripheral access denied"
expect_log "restarting RtBad"
"$sphere" device sideload delete >/dev/null

"$sphere" sim stop rt >/dev/null
if grep -E "Sanitizer|runtime error" "$OPENSPHERE_HOME"/devices/rt/sphered.log; then bad "a sanitizer reported a problem in sphered"; else ok; fi
summary
