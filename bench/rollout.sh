#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# rollout.sh BUILD_DIR — what a staged rollout costs the check-in path (docs/rollouts.md, Figures).
# For SQLite and PostgreSQL (a server started here in a temp dir), with 1,000 and 10,000 simulated
# devices per group (`sphere sim fleet`, one process, 8 kept-alive HTTPS connections), in the same
# cloud and run, alternately three times:
#   no rollout  every device of Field Test checks in and reports, its deployment already installed
#   rollout     the same in Production, which a rollout governs (phases 0.01%,100%, waiting for
#               approval): each check-in gets a rollout decision, each report is looked up for it
# and prints the median check-ins/s of both, their ratio, the mean check-in latency of both (the
# difference is the decision's cost), the time `rollout create` takes to place the devices, and the
# fleet's resident memory per simulated device. Only 127.0.0.1 is contacted; loops are bounded.
set -uo pipefail
build=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
sphere=$(cd "$build/bin" && pwd)/sphere
export OPENSPHERE_HOME=$(mktemp -d) OPENSPHERE_CONFIG_DIR=$(mktemp -d) TZ=UTC
work=$(mktemp -d)
. "$src/tests/cli/lib.sh"
. "$src/tests/lib/cloud.sh"
trap cloud_cleanup EXIT
trap 'exit 130' INT; trap 'exit 143' TERM
rounds_1000=${ROUNDS_1000:-3} rounds_10000=${ROUNDS_10000:-1}

mkdir -p "$work/app1/bin" "$work/app2/bin"
for v in 1 2; do
  printf '{"SchemaVersion":1,"Name":"bench%s","ComponentId":"44444444-0000-0000-0000-000000000001","EntryPoint":"/bin/app","Capabilities":{}}' $v > "$work/app$v/app_manifest.json"
  head -c 4000 /dev/urandom > "$work/app$v/bin/app"
  "$sphere" image-package pack-application --package-directory "$work/app$v" --destination "$work/app$v.ip" >/dev/null || exit 1
done
j() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$@"; }

# one BACKEND COUNT ROUNDS: a fresh cloud; fleet a (COUNT devices, Field Test: no rollout) and fleet b
# (COUNT devices, Production: a rollout governs it), measured alternately three times each so that
# both see the same load (this machine is shared); medians are printed.
one() {
  local backend=$1 count=$2 rounds=$3 data=$work/cloud-$1-$2
  local args=()
  if [ "$backend" = postgresql ]; then pg_start -F; args=("${db_args[@]}"); fi
  cloud_serve "$data" "${args[@]}" >/dev/null || return 1
  "$sphere" login --cloud "$url" --token-file "$data/tokens/default.token" --ca-cert "$ca" >/dev/null
  "$sphere" product create --name Bench >/dev/null
  local v1 v2 g
  v1=$("$sphere" image add --image "$work/app1.ip" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  v2=$("$sphere" image add --image "$work/app2.ip" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  for g in "Field Test" Production; do
    "$sphere" device-group deployment create --device-group "Bench/$g" --images "$v1" >/dev/null
  done
  "$sphere" sim fleet create "a$count" --count "$count" --device-group "Bench/Field Test" -o json > "$work/create.json" || return 1
  "$sphere" sim fleet create "b$count" --count "$count" --device-group "Bench/Production" -o json >/dev/null || return 1
  "$sphere" sim fleet run "a$count" --rounds 1 -o json >/dev/null || return 1   # installs v1
  "$sphere" sim fleet run "b$count" --rounds 1 -o json >/dev/null || return 1
  local t0=$EPOCHREALTIME
  "$sphere" rollout create --device-group Bench/Production --images "$v2" --phases 0.01%,100% --approve-each-phase \
    --min-devices 1000000 -o json > "$work/rollout.json" || return 1
  local create_ms; create_ms=$(python3 -c "print(round(($EPOCHREALTIME - $t0) * 1000))")
  for i in 1 2 3; do
    "$sphere" sim fleet run "a$count" --rounds "$rounds" -o json > "$work/base$i.json" || return 1
    "$sphere" sim fleet run "b$count" --rounds "$rounds" -o json > "$work/roll$i.json" || return 1
  done
  python3 - "$backend" "$count" "$work" "$create_ms" <<'PY'
import json, statistics, sys
backend, count, work, create_ms = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
base = [json.load(open(f"{work}/base{i}.json")) for i in (1, 2, 3)]
roll = [json.load(open(f"{work}/roll{i}.json")) for i in (1, 2, 3)]
med = lambda runs, k: statistics.median(r[k] for r in runs)
created = json.load(open(f"{work}/create.json"))
b, r = med(base, "checkInsPerSecond"), med(roll, "checkInsPerSecond")
bm, rm = med(base, "checkInMeanMs"), med(roll, "checkInMeanMs")
print(f"  {backend:10} {count:6} devices: no rollout {b:6.0f} check-ins/s (mean {bm:5.2f} ms) | rollout {r:6.0f}/s "
      f"(mean {rm:5.2f} ms) | ratio {r / b if b else 0:.2f} | decision {rm - bm:+.2f} ms | rollout create {create_ms} ms | "
      f"provisioning {created['seconds']:.1f} s | {med(roll, 'bytesPerDevice'):.0f} B RSS/simulated device | "
      f"errors {sum(x['errors'] for x in base + roll)}")
PY
  cloud_stop
  [ "$backend" = postgresql ] && pg_stop
  "$sphere" sim fleet delete "a$count" >/dev/null; "$sphere" sim fleet delete "b$count" >/dev/null
  return 0
}

echo "rollout.sh: check-ins (check-in + report per device and round), 8 connections, $(nproc) cores, same run"
for backend in sqlite postgresql; do
  one "$backend" 1000 "$rounds_1000" || echo "  $backend 1000: failed (see $work/cloud.log)"
  one "$backend" 10000 "$rounds_10000" || echo "  $backend 10000: failed (see $work/cloud.log)"
done
