#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_ota_agent.sh OTA_HOST SRC_DIR [all|faults|sweep] — the OTA agent's job (src/ota) against a
# misbehaving blob server (blobfault.py), on the W25Q128JV model through the SPI NOR driver, with
# power cuts. Every case checks what a user would see: the final state, the image on flash byte
# for byte, and that nothing wrong is ever accepted. "sweep" runs the clean case and the power cut
# at every OTA_SWEEP_STEP-th flash operation (default 64, the issue's figure); "faults" all the
# rest; ctest runs the two as separate tests so they run side by side.
set -u
host=$1 src=$2 part=${3:-all} step=${OTA_SWEEP_STEP:-64}
work=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
. "$src/../../cli/lib.sh" # ok MSG prints "ok: MSG"

size=$((4 * 1024 * 1024))
head -c $size /dev/urandom > "$work/fw5.bin"
head -c $size /dev/urandom > "$work/other.bin"
openssl ecparam -name prime256v1 -genkey -noout -out "$work/ota.key" 2>/dev/null
openssl ec -in "$work/ota.key" -pubout -out "$work/ota.pub" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$work/rogue.key" 2>/dev/null

python3 "$src/blobfault.py" "$work/fw5.bin" --port-file "$work/port" 2> "$work/server.log" &
server_pid=$!
until_ok 5 test -s "$work/port" || { echo "blobfault.py did not start"; cat "$work/server.log"; exit 1; }
port=$(cat "$work/port")
base=http://127.0.0.1:$port

# desired FILE VERSION SIZE SHA KEY → the desired-state JSON for FILE, signed with KEY
desired() {
  local out=$1 version=$2 size=$3 sha=$4 key=$5
  local sig
  sig=$(printf 'OSOTA1\nfieldtest-product\n%s\n%s\n%s\n' "$version" "$size" "$sha" |
        openssl dgst -sha256 -sign "$key" | base64 -w0)
  printf '{"version":%s,"size":%s,"sha256":"%s","product":"fieldtest-product","url":"%s/ota/%s/fw.bin","signature":"%s","deploymentId":"d%s"}\n' \
    "$version" "$size" "$sha" "$base" "$version" "$sig" "$version" > "$out"
}
sha5=$(sha256sum "$work/fw5.bin" | cut -d' ' -f1)
desired "$work/v5.json" 5 $size "$sha5" "$work/ota.key"

fault() { curl -sf -X POST -d "$1" "$base/_fault" >/dev/null || bad "cannot arm fault $1"; }
# agent_run NAME [ota_host options...] → runs on a fresh flash (unless FLASH is set), result JSON in $work/NAME.json
agent_run() {
  local name=$1; shift
  local flash=${FLASH:-$work/$name.flash}
  "$host" --flash "$flash" --desired "${DESIRED:-$work/v5.json}" --pubkey "$work/ota.pub" --backoff-ms 50 \
    --stall 2 --extract "$work/$name.out" "$@" > "$work/$name.json" 2> "$work/$name.log"
  echo $? > "$work/$name.rc"
}
# field NAME KEY → KEY's value in ota_host's one-line report (a number, or a string as written,
# escapes kept); fails when the report or the key is missing. Pure bash: the sweep reads a few
# fields per cut, and starting python for each doubled its time.
field() {
  local line re_str="\"$2\":\"(([^\"\\\\]|\\\\.)*)\"" re_num="\"$2\":(-?[0-9]+)"
  IFS= read -r line 2>/dev/null < "$work/$1.json" || return 1
  if [[ $line =~ $re_str ]]; then echo "${BASH_REMATCH[1]}"
  elif [[ $line =~ $re_num ]]; then echo "${BASH_REMATCH[1]}"
  else return 1; fi
}
expect_verified() {
  local name=$1
  if [ "$(field "$name" status 2>/dev/null)" = verified ] && cmp -s "$work/$name.out" "$work/fw5.bin"; then
    ok "$name: verified, the image on flash is the deployed one ($(cat "$work/$name.json"))"
  else
    bad "$name: expected verified and identical bytes; got $(cat "$work/$name.json" 2>/dev/null) (log: $(tail -3 "$work/$name.log"))"
  fi
}
expect_error() {
  local name=$1 pattern=$2
  if [ "$(field "$name" status 2>/dev/null)" = error ] && field "$name" error | grep -q -- "$pattern" &&
     [ "$(field "$name" accepted)" = "${ACCEPTED:-0}" ]; then
    ok "$name: error '$(field "$name" error)', nothing accepted"
  else
    bad "$name: expected error matching '$pattern', accepted ${ACCEPTED:-0}; got $(cat "$work/$name.json" 2>/dev/null)"
  fi
}

# 1. A clean download: one transfer, every byte fetched once.
agent_run clean
expect_verified clean
[ "$(field clean bytesFetched)" = $size ] && [ "$(field clean transfers)" = 1 ] && ok "clean: 1 transfer, $size bytes" ||
  bad "clean: expected 1 transfer of $size bytes, got $(cat "$work/clean.json")"

if [ "$part" != sweep ]; then
# 2. The cable is cut three times: each resume starts at the last committed block.
fault '{"mode":"drop","after":1000000,"count":3}'
agent_run drop
expect_verified drop
fetched=$(field drop bytesFetched)
[ "$fetched" -le $((size + 3 * 65536)) ] && [ "$(field drop transfers)" = 4 ] &&
  ok "drop: 4 transfers, $fetched bytes fetched for $size (resume)" || bad "drop: no resume? $(cat "$work/drop.json")"

# 3. The server stalls: the agent gives up on the transfer after 2 s and resumes.
fault '{"mode":"stall","after":700000,"seconds":6}'
agent_run stall
expect_verified stall

# 4. A resume answered with the whole body (Range ignored): restart cleanly from 0, no splice.
fault '{"mode":"drop","after":1500000,"count":1}'
agent_run norange_a --network-attempts 1
fault '{"mode":"norange","count":1}'
FLASH=$work/norange_a.flash agent_run norange
expect_verified norange

# 5. 206 for another range than asked; a short body; a long body; 503s.
fault '{"mode":"drop","after":900000,"count":1}'
agent_run badrange_a --network-attempts 1
fault '{"mode":"badrange","count":1}'
FLASH=$work/badrange_a.flash agent_run badrange
expect_verified badrange
fault '{"mode":"short","count":2}'
agent_run short
expect_verified short
fault '{"mode":"long","count":1}'
agent_run long
expect_error long "size"
fault '{"mode":"error","status":503,"count":2}'
agent_run unavailable
expect_verified unavailable

# 6. A flipped bit: the hash check refuses it, the image is fetched again; twice → a clear error.
fault '{"mode":"corrupt","at":3000000,"count":1}'
agent_run corrupt_once
expect_verified corrupt_once
fault '{"mode":"corrupt","at":123,"count":2}'
agent_run corrupt_twice
expect_error corrupt_twice "SHA-256 mismatch"

# 7. An expired URL is an error, not a retry loop.
fault '{"mode":"expire","count":1}'
agent_run expired
expect_error expired "HTTP 403"

# 8. A deployment signed by another key is refused before anything is downloaded.
desired "$work/rogue-desired.json" 5 $size "$sha5" "$work/rogue.key"
DESIRED=$work/rogue-desired.json agent_run rogue
expect_error rogue "signature"
[ "$(field rogue transfers)" = 0 ] && ok "rogue: refused before any transfer" || bad "rogue: $(cat "$work/rogue.json")"

# 9. Anti-rollback: after v5 is accepted, v4 is refused and v5 is not fetched again.
desired "$work/v4.json" 4 $size "$sha5" "$work/ota.key"
FLASH=$work/clean.flash DESIRED=$work/v4.json agent_run rollback
ACCEPTED=5 expect_error rollback "no rollback"
FLASH=$work/clean.flash agent_run again
[ "$(field again status)" = verified ] && [ "$(field again transfers)" = 0 ] && ok "again: v5 already accepted, no transfer" ||
  bad "again: $(cat "$work/again.json")"

# 10. The blob changes under a half-done download: If-Range answers 200 with the new bytes,
# the agent restarts from 0 (never splices), and the hash (the deployment's) refuses them.
fault '{"mode":"drop","after":1200000,"count":1}'
agent_run changed_a --network-attempts 1
fault "{\"mode\":\"change\",\"file\":\"$work/other.bin\"}"
FLASH=$work/changed_a.flash agent_run changed
expect_error changed "SHA-256 mismatch"
fault "{\"mode\":\"change\",\"file\":\"$work/fw5.bin\"}"

fi # faults, part 1

if [ "$part" != faults ]; then
# 11. A power cut in the middle of flash operation k, for every k that is a multiple of $step over
# the whole OTA (a fresh device each time, resumed after the cut).
total_ops=$(field clean ops)
points=$(seq "$step" "$step" "$total_ops")
swept=0 sweep_fetched=0
for k in $points; do
  agent_run "cut$k" --cut-at "$k" --seed "$k"
  if [ "$(field "cut$k" status 2>/dev/null)" = verified ] && cmp -s "$work/cut$k.out" "$work/fw5.bin"; then
    swept=$((swept + 1)) sweep_fetched=$((sweep_fetched + $(field "cut$k" bytesFetched)))
  else
    bad "power cut at flash op $k: $(cat "$work/cut$k.json" 2>/dev/null) $(tail -2 "$work/cut$k.log")"
  fi
  rm -f "$work/cut$k.flash" "$work/cut$k.out"
done
[ $swept -gt 0 ] && ok "power cut at $swept flash operations (every multiple of $step up to $total_ops): each ended verified with the right bytes"
[ $swept -gt 0 ] && echo "figures: body bytes fetched per OTA with one power cut, mean over the sweep: $((sweep_fetched / swept)) for $size (ratio $(python3 -c "print(round($sweep_fetched/$swept/$size,4))"))"
fi # sweep

if [ "$part" != sweep ]; then

# Repeated cuts during one OTA: one every 1500 flash operations (a 64 KiB block costs about 260).
agent_run cuts1500 --cut-every 1500
expect_verified cuts1500
echo "figures: cut every 1500 flash ops: $(cat "$work/cuts1500.json")"

# 12. Power cuts at random points of network faults (different seeds and spacings).
for seed in 1 2 3; do
  fault '{"mode":"drop","after":800000,"count":2}'
  agent_run "netcut$seed" --cut-every $((997 * seed)) --seed $seed
  expect_verified "netcut$seed"
done

# 13. Every network fault again, this time with power cuts landing at random points during it
# (a cut every 1400-2600 flash operations, seeded): each must still end verified.
for mode in drop stall norange badrange short corrupt unavailable; do
  case $mode in
    drop) f='{"mode":"drop","after":600000,"count":2}' ;;
    stall) f='{"mode":"stall","after":900000,"seconds":4,"count":1}' ;;
    norange) f='{"mode":"norange","count":2}' ;;
    badrange) f='{"mode":"badrange","count":2}' ;;
    short) f='{"mode":"short","count":2}' ;;
    corrupt) f='{"mode":"corrupt","at":2500000,"count":1}' ;;
    unavailable) f='{"mode":"error","status":503,"count":2}' ;;
  esac
  seed=$((RANDOM % 1000 + 1))
  fault "$f"
  agent_run "faultcut_$mode" --cut-every $((1400 + RANDOM % 1200)) --seed $seed
  expect_verified "faultcut_$mode"
  fault '{"mode":"none"}'
done
fi # faults, part 2

summary
