#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_scenario.sh SPHERE SOURCE_DIR — `sphere test run` end to end (docs/scenarios.md): the
# examples' own scenarios pass (exit 0) against apps built with the SDK presets; every step's
# fail path fails (exit 1) with what was expected and what was seen; a scenario that fails on
# purpose writes a JUnit report that parses; malformed scenarios and missing packages exit 2
# before any device is created; --keep-device and --timeout-scale.
set -u
sphere=$1 src=$2
. "$src/tests/cli/lib.sh"
device_test_env # $bin, $sdk; new temporary $OPENSPHERE_HOME and $work
out=$work/out err=$work/err
trap sim_cleanup EXIT

devices() { ls "$OPENSPHERE_HOME/devices" 2>/dev/null | wc -l; }

# scenario NAME <<YAML — writes $work/NAME.yaml (packages are relative to $work).
scenario() { cat > "$work/$1.yaml"; }

# expect_fail NAME SEEN... — runs $work/NAME.yaml: exit 1, and the trace shows each SEEN text.
expect_fail() {
  local name=$1; shift
  run 1 test run "$work/$name.yaml" || return
  has "$out" "FAILED: "
  local want; for want in "$@"; do has "$out" "$want"; done
}

# ---- the examples, built with the SDK's presets, and their scenarios ---------------------------
build_example() {
  cp -r "$src/examples/$1" "$work/$1" && rm -rf "$work/$1/out"
  (cd "$work/$1" && AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere cmake --preset ARM-Debug >/dev/null \
    && nice cmake --build out/ARM-Debug >/dev/null) && ok || bad "the $1 example does not build with the SDK"
}
for e in blinky uart_echo adc_voltmeter i2c_accelerometer; do build_example $e; done

for s in blinky/scenarios/presses uart_echo/scenarios/echo adc_voltmeter/scenarios/voltages \
         i2c_accelerometer/scenarios/tilt; do
  run 0 test run "$work/$s.yaml" --timeout-scale 3 && has "$out" "PASSED: "
done
run 0 test run "$work/uart_echo/scenarios/echo.yaml" --timeout-scale 3 && has "$out" 'TOTAL = "' && has "$out" "[6/7] wait-serial uart=ISU0 match=/ID \${TOTAL}/"
same "$(devices)" 0 "the scenarios' devices were not deleted"

# ---- a scenario that fails on purpose: the trace and its JUnit report ----------------------------
scenario purpose <<'YAML'
name: fails <on purpose> & says why
version: 1
packages: [ blinky/out/ARM-Debug/Blinky.imagepackage ]
steps:
  - wait-log:   { match: "Blinky starting", timeout: 5s }
  - wait-pin:   { gpio: 8, value: 0, timeout: 2s }
  - expect-pin: { gpio: 12, value: 1 }
  - wait-log:   { match: "a line Blinky never logs", timeout: 300ms }
  - delay:      1s
YAML
run 1 test run "$work/purpose.yaml" --junit "$work/junit.xml"
has "$out" "[2/5] wait-pin gpio=8 value=0 timeout=2s ... ok"
has "$out" "[3/5] expect-pin gpio=12 value=1 ... ok"
has "$out" "[4/5] wait-log match=/a line Blinky never logs/ timeout=300ms ... FAIL"
has "$out" "expected: a device log line matching /a line Blinky never logs/ within 0.3 s"
has "$out" "last lines of the device log:"
has "$out" "    | Blinky starting."
has "$out" "FAILED: 'fails <on purpose> & says why' at step 4 of 5"
lacks "$out" "[5/5]"
if command -v xmllint >/dev/null; then
  xmllint --noout "$work/junit.xml" && ok || bad "the JUnit report is not well-formed XML"
else
  python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$work/junit.xml" && ok || bad "the JUnit report is not well-formed XML"
fi
python3 - "$work/junit.xml" <<'PY' && ok || bad "the JUnit report lacks the test case, its failure or the log excerpt"
import sys, xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot().find("testsuite")
case = suite.find("testcase")
assert suite.get("tests") == "1" and suite.get("failures") == "1", suite.attrib
assert case.get("name") == "fails <on purpose> & says why", case.attrib
failure = case.find("failure")
assert "step 4 (wait-log" in failure.get("message") and "no such line" in failure.get("message"), failure.attrib
out = case.find("system-out").text
assert "Blinky starting." in out and "[4/5]" in out, out
PY
run 0 test run "$work/blinky/scenarios/presses.yaml" --junit "$work/pass.xml" --timeout-scale 3
grep -q 'failures="0"' "$work/pass.xml" && ! grep -q "<failure" "$work/pass.xml" && ok || bad "a passing run's JUnit report: $(head -c 400 "$work/pass.xml")"

# ---- every step's fail path ---------------------------------------------------------------------------
printf '{"Name": "bare", "HardwareDefinition": "mt3620_rdb/mt3620_rdb.json"}\n' > "$work/bare.json"
fail_step() { # fail_step NAME 'STEP YAML' [DEVICE-LINE] [PACKAGES-LINE]
  printf 'name: %s\nversion: 1\n%s\n%s\nsteps:\n  - wait-log: { match: "Blinky starting", timeout: 5s }\n%s\n' \
    "$1" "${3:-}" "${4:-}" "$2" > "$work/$1.yaml"
}
app='packages: [ blinky/out/ARM-Debug/Blinky.imagepackage ]'
# every fail scenario waits for the app first, then fails at its step 2
fail_step f_wait_pin_toggles '  - wait-pin: { gpio: 9, toggles: 1, timeout: 200ms }' '' "$app"
fail_step f_wait_pin_value '  - wait-pin: { gpio: 12, value: 0, timeout: 100ms }' '' "$app"
fail_step f_press '  - press: { gpio: 8, ms: 10 }' '' "$app"
fail_step f_expect_pin '  - expect-pin: { gpio: 12, value: 0 }' '' "$app"
fail_step f_write_serial '  - write-serial: { uart: ISU3, text: "x" }' '' "$app"
fail_step f_wait_serial '  - wait-serial: { uart: ISU0, match: "never", timeout: 200ms }' '' "$app"
fail_step f_set_adc '  - set-adc: { controller: 3, channel: 0, volts: 1 }' '' "$app"
fail_step f_set_accel '  - set-accel: { x: 0, y: 0, z: 1 }' 'device: { board: bare.json }' "$app"
fail_step f_expect_app '  - expect-app: { app: Blinky, state: stopped, timeout: 200ms }' '' "$app"
fail_step f_restart_app '  - restart-app: { app: NoSuchApp }' '' "$app"
fail_step f_wait_log '  - wait-log: { match: "never ${X}", timeout: 100ms }' '' "$app"
sed -i 's/^  - wait-log: { match: "Blinky starting", timeout: 5s }/  - wait-log: { match: "Blinky (start)ing", as: X, timeout: 5s }/' "$work/f_wait_log.yaml"
for f in f_wait_pin_toggles f_wait_pin_value f_press f_expect_pin f_write_serial f_wait_serial f_set_adc f_set_accel \
         f_expect_app f_restart_app f_wait_log; do
  ( "$sphere" test run "$work/$f.yaml" > "$work/$f.out" 2>&1; echo $? > "$work/$f.rc" ) &
  [ $(jobs -r | wc -l) -ge 3 ] && wait -n
done
wait
expect_out() { # expect_out NAME TEXT... — the run exited 1 at its step 2 and shows each TEXT
  local f=$1; shift
  same "$(cat "$work/$f.rc")" 1 "$f's exit code"
  has "$work/$f.out" "at step 2 of 2"
  local t; for t in "$@"; do has "$work/$f.out" "$t"; done
}
expect_out f_wait_pin_toggles "expected: 1 level changes of GPIO 9 within 0.2 s" "seen:     0 level changes"
expect_out f_wait_pin_value "expected: GPIO 12 at 0 within 0.1 s" "seen:     GPIO 12 stayed at 1"
expect_out f_press "refused PUT /sim/gpio/8 (HTTP 400): that GPIO is an output"
expect_out f_expect_pin "expected: GPIO 12 at 0" "seen:     GPIO 12 at 1"
expect_out f_write_serial "refused GET /sim/uart/ISU3 (HTTP 404)"
expect_out f_wait_serial "expected: ISU0 output matching /never/ within 0.2 s" "seen:     0 bytes since the last match"
expect_out f_set_adc "refused PUT /sim/adc/3/0 (HTTP 404)"
expect_out f_set_accel "refused PUT /sim/accel (HTTP 404)"
expect_out f_expect_app "expected: app 'Blinky' stopped (waiting for it)" "seen:     app 'Blinky' running"
expect_out f_restart_app "seen:     no app 'NoSuchApp' is installed"
expect_out f_wait_log 'X = "start"' "expected: a device log line matching /never start/"

# ---- the JSON Schema (docs/scenario.schema.json) agrees with the parser on the examples and a typo -----
if python3 -c 'import yaml, jsonschema' 2>/dev/null; then
  python3 - "$src/docs/scenario.schema.json" "$work" <<'PY' && ok || bad "the JSON Schema and the parser disagree"
import sys, glob, json, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
for f in glob.glob(sys.argv[2] + "/*/scenarios/*.yaml") + [sys.argv[2] + "/purpose.yaml"]:
    jsonschema.validate(yaml.safe_load(open(f)), schema)
bad = yaml.safe_load("name: t\nversion: 1\nsteps:\n  - press: { gpio: 12, msec: 3 }\n")
try:
    jsonschema.validate(bad, schema)
    sys.exit("the schema accepted an unknown field")
except jsonschema.ValidationError:
    pass
PY
else
  echo "skip: python3 yaml/jsonschema not installed, the schema is not checked against the examples"
fi

# ---- malformed scenarios and missing packages: exit 2, nothing runs -----------------------------------
scenario malformed <<'YAML'
name: typo
version: 1
steps:
  - delay: 1s
  - wait-lgo: { match: x }
  - press: { gpio: 12, msec: 3 }
  - set-adc: { channel: one, volts: 1 }
YAML
run 2 test run "$work/malformed.yaml"
has "$err" "malformed.yaml:5:5: steps[1]: unknown step 'wait-lgo'"
has "$err" "malformed.yaml:6:24: steps[2].press.msec: unknown field 'msec' of press (its fields: gpio, ms)"
has "$err" "steps[3].set-adc.channel: expected an index from 0 to 15, not 'one'"
has "$err" "3 problems; nothing was run"
lacks "$out" "setup:"
printf 'name: x\nversion: 1\nsteps: [ {delay: 1s\n' > "$work/badyaml.yaml"
run 2 test run "$work/badyaml.yaml" && has "$err" "not valid YAML"
printf 'name: x\nversion: 1\npackages: [ nowhere/App.imagepackage ]\nsteps:\n  - delay: 1s\n' > "$work/nopkg.yaml"
run 2 test run "$work/nopkg.yaml" && has "$err" "packages[0]: no image package at $work/nowhere/App.imagepackage"
printf 'name: x\nversion: 1\ndevice: { board: nowhere.json }\nsteps:\n  - delay: 1s\n' > "$work/noboard.yaml"
run 2 test run "$work/noboard.yaml" && has "$err" "device.board: 'nowhere.json' is neither mt3620_rdb"
run 2 test run "$work/nothere.yaml" && has "$err" "cannot read the scenario"
run 2 test run "$work/purpose.yaml" --timeout-scale 0
same "$(devices)" 0 "a device was left behind (or created for a malformed scenario)"

# ---- --keep-device, --timeout-scale ------------------------------------------------------------------------
printf 'name: keep\nversion: 1\nsteps:\n  - wait-pin: { gpio: 9, toggles: 1, timeout: 100ms }\n' > "$work/keep.yaml"
run 1 test run "$work/keep.yaml" --keep-device --timeout-scale 3
has "$out" "within 0.3 s"
has "$out" "Kept simulated device 'test-"
kept=$(sed -n "s/^Kept simulated device '\([^']*\)'.*/\1/p" "$out")
[ -n "$kept" ] && [ -d "$OPENSPHERE_HOME/devices/$kept" ] && ok || bad "--keep-device did not keep the device"
"$sphere" sim delete "$kept" >/dev/null && ok || bad "cannot delete the kept device"
# ---- a cancelled run (SIGTERM, as a CI job's cancel sends) still deletes its device ----------------------
printf 'name: long\nversion: 1\nsteps:\n  - wait-pin: { gpio: 9, toggles: 1, timeout: 1m }\n' > "$work/long.yaml"
"$sphere" test run "$work/long.yaml" --junit "$work/long.xml" > "$work/long.out" 2>&1 & pid=$!
until_ok 10 grep -q '\[1/1\]' "$work/long.out" || bad "the long scenario did not reach its step"
kill -TERM $pid; wait $pid; same $? 1 "a cancelled run's exit code"
has "$work/long.out" "seen:     interrupted by signal 15"
grep -q 'failures="1"' "$work/long.xml" && ok || bad "a cancelled run's JUnit report does not show the failure"
same "$(devices)" 0 "a cancelled run left its device"
summary
