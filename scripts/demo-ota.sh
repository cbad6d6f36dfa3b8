#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo-ota.sh BUILD_DIR — `make run-ota`: the whole external-MCU OTA scenario on one machine,
# unattended. A cloud with its MQTT broker and an nginx blob front end, two simulated devices
# (ft1, ft2) each running OpenSphere's OTA agent with an external MCU on ISU0 (factory firmware
# 1.0.0), and a 4 MiB firmware deployed as version 2 to Widget/FieldTest. Per-device progress
# bars follow each device through download, verify, program and applied; ft1 loses power half-way
# through programming its MCU and is started again. Ends when both MCUs run version 2 confirmed.
# DEMO_FW_KB sets the firmware size (default 4096; CI uses less), DEMO_LIMIT_S the time the
# rollout may take (default 900 s; on failure the devices' OTA logs are printed). Needs root (it builds its own
# network namespace, like the tests: scripts/ota_env.sh).
build=${1:-build}
sphere=$(cd "$build/bin" && pwd)/sphere src=$(cd "$(dirname "$0")/.." && pwd)
devices="ft1 ft2"
declare -A last lastpct
. "$src/scripts/ota_env.sh"
kb=${DEMO_FW_KB:-4096}
CUT_IN=${DEMO_CUT_IN:-applying} # or downloading (see docs/ota.md, open items)
echo "Setting the stage: cloud + MQTT broker + nginx on 10.78.0.1 (a private network namespace), the agent built with the SDK..."
ota_stage $(( kb / 4 > 64 ? kb / 4 : 64 ))k # a download takes about 4 s, so the power cut lands in it
head -c 65536 /dev/urandom > "$work/factory.bin" && head -c $((kb * 1024)) /dev/urandom > "$work/fw.bin"
run 0 mcu-image create --version 1 "$work/factory.bin" "$work/factory.img"
run 0 mcu-image create --version 2 "$work/fw.bin" "$work/fw2.img"
for d in $devices; do
  ota_device "$d" FieldTest --mcu-baud 921600
  run 0 sim mcu attach -d "$d" --uart ISU0 --version-file "$work/factory.img" --baud 921600 --slot-kb $((kb + 64))
  until_ok 30 log_has "OtaAgent: connected to the twin" -d "$d" || { echo "$d: the agent did not reach its twin"; exit 1; }
done
[ "$failed" -eq 0 ] || { echo "the stage is not ready ($failed problem(s) above)"; exit 1; }
echo "Two devices with external MCUs at 1.0.0 are ready. Deploying version 2 ($kb KiB) to Widget/FieldTest:"
"$sphere" ota deploy "$work/fw2.img" 2 Widget FieldTest | sed 's/^/  /'

bar() { # bar NAME STATUS DONE SIZE
  local width=30 pct=0 fill
  [ "$4" != null ] && [ "$4" -gt 0 ] 2>/dev/null && pct=$(($3 * 100 / $4))
  fill=$((pct * width / 100))
  printf '  %-4s [%-*s] %3d%%  %-12s\n' "$1" $width "$(printf '%*s' $fill '' | tr ' ' '#')" $pct "$2"
}
limit=${DEMO_LIMIT_S:-900}
cut_done= start=$SECONDS lines=0
while [ $((SECONDS - start)) -lt "$limit" ]; do
  status_json
  [ $lines -gt 0 ] && [ -t 1 ] && printf '\033[%dA' $lines
  lines=0 all=1
  for d in $devices; do
    eval "id=\$ID_$d"
    st=$(row "$id" status) done=$(row "$id" bytesDone) size=$(row "$id" size)
    [ "$st" = null ] || [ -z "$st" ] && st=waiting done=0 size=1
    [ "$done" = null ] && done=0
    if ! running "$d"; then st="power off"; fi
    # A terminal redraws every bar in place; a log gets a line per state and per 10% of progress
    # (download and programming report bytesDone as they go: drawn, not only their ends).
    pct=0; [ "$size" != null ] && [ "$size" -gt 0 ] 2>/dev/null && pct=$((done * 100 / size))
    if [ -t 1 ] || [ "$st" != "${last[$d]:-}" ] || [ $((pct / 10)) -ne "${lastpct[$d]:-0}" ]; then
      bar "$d" "$st" "$done" "$size" && lines=$((lines + 1))
    fi
    lastpct[$d]=$((pct / 10))
    [ "$st" = error ] && [ "$st" != "${last[$d]:-}" ] && echo "        $(row "$id" error)" && lines=$((lines + 1))
    last[$d]=$st
    [ "$st" = applied ] || all=0
    if [ -z "$cut_done" ] && [ -z "${DEMO_NO_CUT:-}" ] && [ "$d" = ft1 ] && [ "$st" = "$CUT_IN" ] && [ "$done" -ge $((kb * 512)) ] 2>/dev/null; then
      echo "  >>> power cut on ft1 half-way through its $CUT_IN"
      "$sphere" sim power-cut -d ft1 >/dev/null && sleep 2 && "$sphere" sim start ft1 >/dev/null &&
        echo "  >>> ft1 powered up again: its agent resumes from the flash"
      cut_done=1 lines=0
    fi
  done
  [ $all = 1 ] && break
  sleep 0.5
done
echo
for d in $devices; do echo "$d's external MCU:"; "$sphere" sim mcu show -d "$d" | sed 's/^/  /'; done
"$sphere" ota status Widget FieldTest
[ -n "$cut_done" ] || { echo "The power cut never happened (ft1 was never seen half-way through its download)."; exit 1; }
[ $all = 1 ] && echo "Done: both devices downloaded, verified and programmed version 2 into their MCUs." && exit 0
echo "The rollout did not finish in $limit s. The agents' last words:"
for d in $devices; do log_has x -d "$d"; grep -E "OtaAgent|runtime" "$logf" | tail -8 | sed "s/^/  $d | /"; done
exit 1
