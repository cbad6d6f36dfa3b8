#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_rollout.sh SPHERE SOURCE_DIR sqlite|postgresql — staged rollouts end to end with simulated
# fleets (docs/rollouts.md): a rehearsal with 1,000 devices and a 5% failure rate that must pause
# itself in its first phase; the state surviving a restart of the cloud mid-phase; abort sending
# the devices not yet updated back to the previous target; a maintenance window that is closed;
# approval of each phase; devices that join the group mid-rollout getting their phase's decision;
# `device explain-update` naming the reason (apps and external-MCU OTA); OTA outcomes counted when
# reported; `device update-now` reaching a --mqtt simulated fleet and a sphered device after
# `ota enroll`. With postgresql it starts its own server.
# Prints "N passed, N failed".
set -u
sphere=$1 src=$2 backend=${3:-sqlite}
export OPENSPHERE_HOME=$(mktemp -d) OPENSPHERE_CONFIG_DIR=$(mktemp -d) TZ=UTC
work=$(mktemp -d)
. "$src/tests/cli/lib.sh"
. "$src/tests/lib/cloud.sh"
trap cloud_cleanup EXIT
trap 'exit 130' INT; trap 'exit 143' TERM # signals too: bash runs the EXIT trap only when it exits
out=$work/out err=$work/err fail_tag=$backend
started=$SECONDS

[ "$backend" = postgresql ] && pg_start -F
# With an MQTT broker (its own port): `device update-now` tells devices over it.
run 0 cloud init --data "$work/data" --mqtt-listen "127.0.0.1:$(free_port)" --tenant acme "${db_args[@]}" || exit 1
cloud_serve "$work/data" --tenant acme "${db_args[@]}" || exit 1
run 0 login --cloud "$url" --token "$acme" --ca-cert "$ca" || exit 1
run 0 product create --name Widget

app() { # app NAME CID — packs $work/NAME.ip (SDK-signed) and uploads it; prints the image ID
  local name=$1 cid=$2 dir=$work/$1
  mkdir -p "$dir/bin"
  printf '{"SchemaVersion":1,"Name":"%s","ComponentId":"%s","EntryPoint":"/bin/app","Capabilities":{}}' "$name" "$cid" > "$dir/app_manifest.json"
  head -c 2000 /dev/urandom > "$dir/bin/app"
  "$sphere" image-package pack-application --package-directory "$dir" --destination "$work/$name.ip" >/dev/null 2>"$err" || { bad "pack $name"; cat "$err"; }
  "$sphere" image add --image "$work/$name.ip" -o json 2>"$err" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
CID=33333333-0000-0000-0000-00000000000a
V1=$(app v1 "$CID") V2=$(app v2 "$CID") V3=$(app v3 "$CID")
[ -n "$V1" ] && [ -n "$V2" ] && [ -n "$V3" ] && ok || bad "image add gave no IDs"
rid() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$out"; }
field() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); [v:=v[int(k)] if isinstance(v,list) else v[k] for k in sys.argv[2:]]; print(v)' "$out" "$@"; }
# Devices of fleet $1 that run image $2.
running() { python3 -c 'import json,sys,os; f=json.load(open(os.path.join(os.environ["OPENSPHERE_HOME"],"fleets",sys.argv[1]+".json")))
print(sum(1 for d in f["devices"] if any(i["imageId"]==sys.argv[2] for i in d["installed"])))' "$1" "$2"; }
device_of() { python3 -c 'import json,sys,os; f=json.load(open(os.path.join(os.environ["OPENSPHERE_HOME"],"fleets",sys.argv[1]+".json")))
print(f["devices"][int(sys.argv[2])]["id"])' "$1" "$2"; }

# ---- the rehearsal: 1,000 devices, 5% of them fail, the first phase pauses ----------------------
run 0 device-group deployment create --device-group "Widget/Field Test" --images "$V1"
run 0 sim fleet create big --count 1000 --device-group "Widget/Field Test" --fail-rate 5% --power-cut-rate 1% -o json
run 0 sim fleet run big --rounds 2 --threads 8 -o json
v1_baseline=$(running big "$V1")
[ "$v1_baseline" -ge 900 ] && [ "$v1_baseline" -le 990 ] && ok || bad "baseline: $v1_baseline of 1000 run v1 (5% fail)"
run 1 rollout create --device-group "Widget/Field Test" --images "$V2" --phases 10%,150% && has "$err" "bad-rollout"
run 1 rollout create --device-group "Widget/Field Test" --images "$V2" --window 25:00-01:00 && has "$err" "--window"
# Which devices fall in phase 1 depends on the rollout's (random) ID, and which fail on the fleet's
# hash, so phase 1's number of failing devices k varies from run to run (5% of ~200). With a 95%
# success threshold and a 2% error threshold, whether phase 1 pauses or advances depended on k and
# on the order the reports arrived (a clean-clone CI run on PostgreSQL advanced to phase 2 with
# k = 2 of 110). A zero-tolerance policy makes the outcome a property of the data: phase 1 cannot
# advance while any of its devices fails, and pauses at its first failure once 20 have finished —
# in every run whose phase 1 holds a failing device (all but 0.95^200 = 0.004% of them).
run 0 rollout create --device-group "Widget/Field Test" --images "$V2" --phases 20%,50%,100% --success-threshold 100 \
  --error-threshold 0 --min-devices 20 -o json || exit 1
R=$(rid)
run 1 rollout create --device-group "Widget/Field Test" --images "$V3" && has "$err" "rollout-in-progress"
run 0 rollout show "$R" && has "$out" "phase 1 of 3" && has "$out" "(not started)"
run 0 sim fleet run big --rounds 6 --threads 8 --until-rollout-rests "$R" -o json
run 0 rollout show "$R" -o json
[ "$(field status)" = paused ] && [ "$(field phase)" = 1 ] && ok || bad "rollout: $(field status) in phase $(field phase), expected paused in phase 1 ($(field reason))"
has "$out" "paused itself in phase 1"
phase1=$(field phaseProgress 0 devices) started1=$(field phaseProgress 1 targeted)
v2=$(running big "$V2")
[ "$v2" -gt 0 ] && [ "$v2" -le "$phase1" ] && ok || bad "$v2 devices run v2; the first phase has $phase1"
[ "$started1" = 0 ] && ok || bad "$started1 devices of phase 2 were targeted while phase 1 ran"
run 0 rollout show "$R" && has "$out" "[#" && has "$out" "failed"
t0=$SECONDS; run 0 rollout show "$R" --watch 60 && has "$out" "paused"   # --watch stops when the rollout rests
[ $((SECONDS - t0)) -lt 10 ] && ok || bad "rollout show --watch kept drawing a paused rollout"
# A device of a phase that has not started: explain-update names it.
for i in $(seq 0 999); do
  d=$(device_of big "$i")
  "$sphere" device explain-update --device-id "$d" >"$out" 2>"$err"
  grep -q "phase 3 of 3, which has not started" "$out" && break
done
has "$out" "It stays on the previous target" && has "$out" "rollout"

# ---- the cloud restarts mid-phase: the same state, and it goes on --------------------------------
cloud_stop
cloud_serve "$work/data" --tenant acme --listen "${url#https://}" "${db_args[@]}" || bad "the cloud did not start again"
sleep 1 # the broker, restarted with the cloud, takes the devices' connections again
run 0 rollout show "$R" -o json
[ "$(field status)" = paused ] && [ "$(field phaseProgress 0 devices)" = "$phase1" ] && ok || bad "after a restart: $(field status), phase 1 has $(field phaseProgress 0 devices) devices"
run 1 rollout approve "$R" && has "$err" "not waiting for an approval"

# ---- abort: devices not yet updated go back to the previous target -------------------------------
run 0 rollout abort "$R" -o json && [ "$(field status)" = aborted ] && ok || bad "abort"
run 1 rollout resume "$R" && has "$err" "aborted"
run 0 sim fleet run big --rounds 1 --threads 8
[ "$(running big "$V2")" = "$v2" ] && ok || bad "after abort: $(running big "$V2") devices run v2, expected the $v2 that had updated"
v1_after=$(running big "$V1")
[ $((v1_after + v2)) -ge "$v1_baseline" ] && ok || bad "after abort: $v1_after on v1 + $v2 on v2 < $v1_baseline on v1 before"

# ---- a closed maintenance window, then each phase approved, with late joiners ------------------
run 0 device-group deployment create --device-group Widget/Production --images "$V1"
run 0 sim fleet create small --count 200 --device-group Widget/Production -o json
run 0 sim fleet run small --rounds 1
h=$(date -u +%H); closed=$(printf '%02d:00-%02d:00' $(( (10#$h + 2) % 24 )) $(( (10#$h + 3) % 24 )))
run 0 rollout create --device-group Widget/Production --images "$V2" --phases 10%,100% --window "$closed" -o json
W=$(rid)
run 0 sim fleet run small --rounds 1
[ "$(running small "$V2")" = 0 ] && ok || bad "$(running small "$V2") devices updated outside the window $closed"
# A device of the started phase is held back by the window; its local time (tag utc+02:00: its clock
# two hours ahead of the cloud's UTC) is inside the window, so it updates at its next check-in.
held=""
for i in $(seq 0 199); do
  d=$(device_of small "$i")
  "$sphere" device explain-update --device-id "$d" >"$out" 2>"$err"
  grep -q "outside the maintenance window $closed" "$out" && held=$d && break
done
[ -n "$held" ] && ok || bad "no device of phase 1 was held back by the window $closed"
has "$out" "It stays on the previous target"
run 0 device update --device-id "$held" --tag utc+02:00
run 0 sim fleet run small --rounds 1
[ "$(running small "$V2")" = 1 ] && ok || bad "$(running small "$V2") devices run v2; only the one whose local time is in the window should"
run 0 rollout abort "$W"
run 0 rollout create --device-group Widget/Production --images "$V3" --phases 10%,100% --approve-each-phase --min-devices 5 -o json
A=$(rid)
run 0 sim fleet run small --rounds 3 --until-rollout-rests "$A"
run 0 rollout show "$A" -o json
[ "$(field status)" = awaiting-approval ] && ok || bad "approve-each-phase: $(field status) ($(field reason))"
p1=$(field phaseProgress 0 devices)
[ "$(running small "$V3")" = "$p1" ] && ok || bad "$(running small "$V3") devices run v3, phase 1 has $p1"
run 0 sim fleet create late --count 60 --device-group Widget/Production -o json
run 0 sim fleet run late --rounds 2
run 0 rollout show "$A" -o json
late1=$(( $(field phaseProgress 0 devices) - p1 ))
[ "$(running late "$V3")" = "$late1" ] && [ "$late1" -gt 0 ] && ok || bad "late joiners: $(running late "$V3") run v3, $late1 joined phase 1"
run 0 rollout approve "$A" && has "$out" "phase 2 of 2"
run 0 sim fleet run small --rounds 2 && run 0 sim fleet run late --rounds 2
run 0 rollout show "$A" -o json
[ "$(field status)" = completed ] && ok || bad "after approval: $(field status) ($(field reason))"
[ "$(running small "$V3")" = 200 ] && [ "$(running late "$V3")" = 60 ] && ok || bad "not every device runs v3"
run 0 rollout list && has "$out" "completed" && has "$out" "aborted" && has "$out" "$(date -u +%Y-%m-%dT)"
run 0 device explain-update --device-id "$(device_of small 0)" && has "$out" "It updates"

# ---- an external-MCU OTA rollout: the version is staged before it is uploaded ----------------------
head -c 20000 /dev/urandom > "$work/fw.bin"
run 0 mcu-image create --version 2 "$work/fw.bin" "$work/fw2.img"
run 0 sim fleet create mcu --count 200 --device-group Widget/Development --tag productType=Widget --tag deviceGroup=MCU --ota -o json
run 2 rollout create --device-group Widget/MCU --ota "$work/fw2.img" && has "$err" "--ota-version"
run 0 rollout create --device-group Widget/MCU --ota "$work/fw2.img" --ota-version 2 --phases 10%,100% --min-devices 5 --approve-each-phase -o json
O=$(rid) ophase1=$(field phaseProgress 0 devices)
[ "$(field kind)" = ota ] && [ "$(field phaseProgress 1 devices)" = $((200 - ophase1)) ] && ok || bad "OTA rollout: $(cat "$out" | head -20)"
run 1 rollout create --device-group Widget/MCU --ota "$work/fw2.img" --ota-version 3 && has "$err" "rollout-in-progress"
mcu_at() { python3 -c 'import json,sys,os; f=json.load(open(os.path.join(os.environ["OPENSPHERE_HOME"],"fleets",sys.argv[1]+".json")))
print(sum(1 for d in f["devices"] if d.get("otaVersion",0) >= int(sys.argv[2])))' "$1" "$2"; }
run 0 sim fleet run mcu --rounds 1
[ "$(mcu_at mcu 2)" = "$ophase1" ] && ok || bad "after one round $(mcu_at mcu 2) MCUs run version 2; phase 1 has $ophase1"
# Outcomes count when the devices report them, not when they next ask: after that one round every
# device of phase 1 has succeeded and the rollout waits for its approval.
run 0 rollout show "$O" -o json
[ "$(field status)" = awaiting-approval ] && [ "$(field phaseProgress 0 succeeded)" = "$ophase1" ] && ok \
  || bad "OTA reports not counted when made: $(field status), $(field phaseProgress 0 succeeded) of $ophase1 succeeded"
# A device of phase 2: its twin (what an OTA agent gets over MQTT) does not offer version 2 yet ...
held=$(python3 -c 'import json,sys,os; f=json.load(open(os.path.join(os.environ["OPENSPHERE_HOME"],"fleets","mcu.json")))
print(next(d["id"] for d in f["devices"] if d.get("otaVersion",0) < 2))')
run 0 device twin show -d "$held" && lacks "$out" '"version": 2'
# explain-update covers the external MCU: the OTA target, the rollout's phase, the last OTA report.
run 0 device explain-update --device-id "$held" && has "$out" "otaRollout" && has "$out" "phase 2 of 2, which has not started" \
  && has "$out" "Its external MCU gets no OTA update: version 2 is held back by rollout $O"
updated=$(python3 -c 'import json,sys,os; f=json.load(open(os.path.join(os.environ["OPENSPHERE_HOME"],"fleets","mcu.json")))
print(next(d["id"] for d in f["devices"] if d.get("otaVersion",0) >= 2))')
run 0 device explain-update --device-id "$updated" -o json && has "$out" "OTA target Widget/MCU" \
  && has "$out" "Its external MCU is up to date: it runs version 2"
run 0 rollout approve "$O" && has "$out" "phase 2 of 2"
run 0 sim fleet run mcu --rounds 6 --until-rollout-rests "$O"
run 0 rollout show "$O" -o json
[ "$(field status)" = completed ] && [ "$(mcu_at mcu 2)" = 200 ] && ok || bad "OTA rollout: $(field status) ($(field reason)), $(mcu_at mcu 2) of 200 at version 2"
# ... and once its phase started, the twin was republished with it.
twin_has_v2() { "$sphere" device twin show -d "$held" > "$out" 2>&1 && grep -q '"version": 2' "$out"; }
until_ok 10 twin_has_v2 && ok || { bad "the twin of $held was not republished with version 2"; head -20 "$out"; }
run 0 device explain-update --device-id "$held" && has "$out" "Its external MCU is up to date: it runs version 2"

# ---- update-now reaches a simulated fleet: one MQTT connection per device ---------------------------
run 0 device-group create --product Widget --name Listeners
run 0 device-group deployment create --device-group Widget/Listeners --images "$V1"
run 0 sim fleet create ears --count 100 --device-group Widget/Listeners --mqtt -o json
[ "$(jget "$out" mqtt)" = true ] && ok || bad "fleet create --mqtt: $(cat "$out" "$err")"
# One round, then 300 s of listening: within them only the cloud's commands make a device check in.
# `fleet run` subscribes every device before its first round, and saves the fleet after each batch.
"$sphere" sim fleet run ears --rounds 1 --interval 300 --duration 120 -o json > "$work/ears.json" 2> "$work/ears.err" &
ears=$!
trap '[ -n "$ears" ] && kill "$ears" 2>/dev/null; cloud_cleanup' EXIT   # the fleet too, however the test ends
all_run() { [ "$(running ears "$1")" = 100 ]; }
until_ok 60 all_run "$V1" && ok || { bad "the listening fleet's first round: $(running ears "$V1") of 100 run v1"; cat "$work/ears.err"; }
has "$work/ears.err" "100 of 100 devices listen"
run 0 device-group deployment create --device-group Widget/Listeners --images "$V2"
t0=$SECONDS
run 0 device update-now --device-group Widget/Listeners -o json && [ "$(jget "$out" notified)" = 100 ] && ok || bad "update-now of the fleet: $(cat "$out" "$err")"
until_ok 30 all_run "$V2" && ok || bad "update-now: $(running ears "$V2") of 100 fleet devices run v2 after 30 s"
echo "update-now: 100 fleet devices checked in and updated in $((SECONDS - t0)) s"
kill -TERM "$ears"; wait "$ears"; rc=$? ears=""   # the fleet stops on SIGTERM, saves itself and reports
[ "$rc" = 0 ] && [ "$(jget "$work/ears.json" checkInsOnCommand)" = 100 ] && ok || bad "fleet run ended $rc: $(cat "$work/ears.json" "$work/ears.err")"

# ---- `device restart` checks for updates, as a reboot does (a real sphered) ------------------------
run 0 sim create r1 --cloud "$url" -o json
R1=$(jget "$OPENSPHERE_HOME/devices/r1/device.json" deviceId)
run 0 device claim --device-id "$R1" --device-group Widget/Production
run 0 sim start r1
checkins() { jget "$OPENSPHERE_HOME/devices/r1/cloud/status.json" checkIns 2>/dev/null || echo 0; }
more_than() { [ "$(checkins)" -gt "$1" ]; }   # evaluated at every try of until_ok
until_ok 60 more_than 0 && ok || { bad "r1 never checked in"; tail -5 "$OPENSPHERE_HOME/devices/r1/sphered.log"; cat "$OPENSPHERE_HOME/devices/r1/cloud/status.json"; tail -5 "$work/cloud.log"; }
first=$(checkins)   # the agent's interval is 60 s: another check-in within 10 s comes from the restart
run 0 device restart -d r1
until_ok 10 more_than "$first" && ok || bad "device restart did not check in ($(checkins) check-ins)"
# `device update-now`: the cloud tells the agent over MQTT; it checks in within seconds.
[ "$(stat -c %a "$OPENSPHERE_HOME/devices/r1/cloud/mqtt.json")" = 600 ] && ok || bad "r1 has no MQTT credentials (0600)"
sleep 1; before=$(checkins)
run 0 device update-now --device-id "$R1" && has "$out" "Told 1 of 1"
until_ok 10 more_than "$before" && ok || { bad "update-now: no check-in within 10 s"; tail -5 "$OPENSPHERE_HOME/devices/r1/sphered.log"; }
before=$(checkins)
run 0 device update-now --device-group Widget/Production -o json && [ "$(jget "$out" notified)" -ge 261 ] && ok || bad "update-now of the group: $(cat "$out")"
until_ok 10 more_than "$before" && ok || bad "update-now of the group: r1 did not check in"
run 2 device update-now --device-id "$R1" --device-group Widget/Production && has "$err" "either --device-id or --device-group"
run 0 device explain-update --device-id "$R1" && has "$out" "last check-in: $(date -u +%Y-%m-%dT)"
# `ota enroll` gives the OTA agent the device's MQTT credentials, the ones its cloud agent has, so
# update-now still reaches the device after enrolling, and after a reboot (a fresh login).
run 0 ota enroll -d r1
pw() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["password"])' "$1"; }
[ "$(pw "$OPENSPHERE_HOME/devices/r1/cloud/mqtt.json")" = "$(pw "$OPENSPHERE_HOME/devices/r1/storage/0e5a7c11-3f2b-4d6e-9a8c-6f1d2b3c4e01/mutable_storage")" ] \
  && ok || bad "ota enroll gave the OTA agent other MQTT credentials than the cloud agent's"
n0=$(checkins)
run 0 sim stop r1 && run 0 sim start r1
until_ok 60 more_than "$n0" && ok || bad "r1 did not check in after its restart"
sleep 1; before=$(checkins)
run 0 device update-now --device-id "$R1" && has "$out" "Told 1 of 1"
until_ok 10 more_than "$before" && ok || { bad "update-now after ota enroll: no check-in within 10 s"; tail -5 "$OPENSPHERE_HOME/devices/r1/sphered.log"; }
run 0 sim stop r1

echo "rehearsal took $((SECONDS - started)) s"
summary
