#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_ota_mcu.sh SPHERE SRC — the external MCU at the end of the OTA flow (docs/ota.md, docs/mcu.md):
# a device whose agent programs the simulated MCU on ISU0 (SMP serial recovery at 921600 baud)
# after verifying the image. Version 2 (a 512 KiB MCU image) replaces the MCU's factory version 1
# while the device loses power in the middle of programming and, later, the MCU does too; then
# versions 3, 4 and 5 while the device loses power just after the MCU's test mark, its test boot
# and its confirmation (`sim mcu hold`). Each end state must be the MCU running the new version confirmed and the twin saying
# "applied" — and never "applied" before the MCU runs it. Runs in its own network namespace (scripts/ota_env.sh).
sphere=$1 src=$2
devices="mcu1"
. "$src/scripts/ota_env.sh"
ota_stage 4m
ota_device mcu1 FieldTest --mcu-baud 921600
head -c 65536 /dev/urandom > "$work/v1.bin" && head -c 524288 /dev/urandom > "$work/v2.bin"
run 0 mcu-image create --version 1 "$work/v1.bin" "$work/v1.img"
run 0 mcu-image create --version 2 "$work/v2.bin" "$work/v2.img"
run 0 sim mcu attach -d mcu1 --uart ISU0 --version-file "$work/v1.img" --baud 921600 --slot-kb 1024
until_ok 30 log_has "OtaAgent: connected to the twin" -d mcu1 && ok || bad "the agent never reached its twin"
mcu_json() { "$sphere" sim mcu show -d mcu1 -o json > "$work/mcu.json" 2>"$err"; }
active_version() { mcu_json &&
  jq -r '(.images // .slots // []) | map(select(.active and .confirmed) | .version | tostring) | join(" ")' "$work/mcu.json"; }
check "the MCU does not run its factory version 1 confirmed: $(cat "$work/mcu.json" 2>/dev/null)" '[[ "$(active_version)" == 1.0.0* ]]'

run 0 ota deploy "$work/v2.img" 2 Widget FieldTest
applying_past() { status_json && [ "$(row "$ID_mcu1" status)" = applying ] && local b && b=$(row "$ID_mcu1" bytesDone) &&
  [ "$b" != null ] && [ "$b" -ge "$1" ]; }
# 1. The device loses power while it programs the MCU.
until_ok 120 applying_past 100000 && ok || bad "mcu1 never reported programming the MCU: $(cat "$work/status.json")"
[ "$(row "$ID_mcu1" status)" != applied ] && ok || bad "applied before the MCU ran the image"
run 0 sim power-cut -d mcu1
run 0 sim start mcu1
until_ok 60 log_has "OtaAgent: applying" -d mcu1 && ok || bad "mcu1 did not resume programming after its power cut"
# 2. The MCU loses power while it is being programmed (it restarts by itself: its own supply).
until_ok 120 applying_past 300000 && ok || bad "mcu1 did not get past 300 KB of programming: $(cat "$work/status.json")"
run 0 sim mcu power-cut -d mcu1
applied() { status_json && [ "$(row "$ID_mcu1" status)" = applied ]; }
until_ok 180 applied && ok || bad "mcu1 never reported applied: $(cat "$work/status.json")"
[ "$(row "$ID_mcu1" appliedVersion)" = 2 ] && ok || bad "appliedVersion is not 2: $(cat "$work/status.json")"
check "the MCU does not run version 2 confirmed: $(cat "$work/mcu.json" 2>/dev/null)" '[[ "$(active_version)" == 2.0.0* ]]'
"$sphere" sim mcu show -d mcu1 > "$work/mcu.txt" && echo "MCU after the update:" && sed 's/^/  | /' "$work/mcu.txt"

# 3. The device loses power at each later step of programming the MCU: right after the MCU
# recorded the test mark, right after it rebooted into the test image, right after it confirmed
# it. `sim mcu hold` makes the MCU go silent just after that step (until the device's line hangs
# up), so the agent is waiting for that answer when the power goes. After `sim start` the agent
# must finish the job from whatever the MCU reports, and only then say "applied".
# mcu_field VERSION → "HOLD-STATE [pending] [active] [confirmed]" for the MCU image VERSION.x.y
mcu_field() { jq -r --arg v "$1" '
  ([(.images // [])[] | select(.version | tostring | startswith($v + "."))] | .[0]) as $im
  | [.hold.state // "none"] + (if $im then [("pending", "active", "confirmed") as $k | select($im[$k]) | $k] else [] end)
  | join(" ")' "$work/mcu.json"; }
holding() { mcu_json && [ "$(mcu_field 0 | cut -d" " -f1)" = holding ]; }
applied_v() { status_json && [ "$(row "$ID_mcu1" status)" = applied ] && [ "$(row "$ID_mcu1" appliedVersion)" = "$1" ]; }
cut_after() { # cut_after VERSION STEP "MCU STATE OF THE NEW IMAGE WHEN THE POWER GOES"
  local v=$1 step=$2 want=$3
  head -c 65536 /dev/urandom > "$work/v$v.bin"
  run 0 mcu-image create --version "$v" "$work/v$v.bin" "$work/v$v.img"
  run 0 sim mcu hold -d mcu1 --after "$step"
  run 0 ota deploy "$work/v$v.img" "$v" Widget FieldTest
  until_ok 120 holding && ok || { bad "v$v: the MCU never held after '$step': $(cat "$work/mcu.json")"; return; }
  [ "$(mcu_field "$v")" = "holding $want" ] && ok || bad "v$v: at the cut after '$step' the MCU shows '$(mcu_field "$v")', not 'holding $want'"
  status_json; [ "$(row "$ID_mcu1" status)" != applied ] && ok || bad "v$v: applied was reported before the MCU answered '$step'"
  run 0 sim power-cut -d mcu1
  run 0 sim start mcu1
  until_ok 90 applied_v "$v" && ok || { bad "v$v: never reported applied after a cut after '$step': $(cat "$work/status.json")"
    log_has x -d mcu1; grep OtaAgent "$logf" | tail -6; }
  check "v$v: the MCU does not run version $v confirmed: $(cat "$work/mcu.json" 2>/dev/null)" '[[ "$(active_version)" == $v.0.0* ]]'
  [ "$(mcu_field "$v")" = "none active confirmed" ] && ok || bad "v$v: the hold did not end with the hang-up: $(mcu_field "$v")"
}
cut_after 3 test pending
cut_after 4 reset active
cut_after 5 confirm "active confirmed"
"$sphere" sim mcu -d mcu1 > "$work/mcu.txt" # `sim mcu -d DEV` is `sim mcu show -d DEV`
grep -q "^MCU: running" "$work/mcu.txt" && grep -qE "^[01] +5\.0\.0\.0 +yes +yes +yes" "$work/mcu.txt" && ok \
  || { bad "'sim mcu -d mcu1' does not show 5.0.0 running confirmed"; cat "$work/mcu.txt"; }
# Boots: the factory one, the one after its power cut, the test boot of version 2 (at least).
boots=$(sed -n 's/.*running, \([0-9]*\) boots.*/\1/p' "$work/mcu.txt")
[ -n "$boots" ] && [ "$boots" -ge 3 ] && ok || bad "the MCU did not boot at least 3 times (${boots:-?}): its power cut did not happen"
summary
