#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# iot.sh BUILD_DIR — the Azure IoT client (src/azureiot) and the cloud's IoT Hub stand-in, against
# mosquitto's own clients on the same broker, in the same run (127.0.0.1, TLS on both sides):
#   telemetry: N messages (QoS 1, with an iothub-creation-time-utc property) from one device,
#     queued at once, until every PUBACK is in (iot_probe burst), vs mosquitto_pub -q 1 -l
#     publishing N lines to a topic until mosquitto_sub -C N (subscribed before) has them all;
#   twin round trip: K reported-state PATCHes one after the other, each waiting for the
#     stand-in's 204 (device → broker → service → store → broker → device; iot_probe pingpong),
#     vs one message mosquitto_pub → broker → mosquitto_sub, 20 times (pub's start-up included).
# Prints messages/s and ms per round trip for each, and the ratios (ours / mosquitto's).
# N and K: BENCH_MESSAGES (default 5000) and BENCH_ROUNDS (default 500).
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
n=${BENCH_MESSAGES:-5000} k=${BENCH_ROUNDS:-500}
sphere=$build/bin/sphere probe=$build/tests/iot_probe
[ -x "$probe" ] || { echo "build $probe first (ninja -C $build iot_probe)"; exit 1; }
export OPENSPHERE_HOME=$(mktemp -d) OPENSPHERE_CONFIG_DIR=$(mktemp -d)
work=$(mktemp -d) pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; cloud_stop; rm -rf "$work" "$OPENSPHERE_HOME" "$OPENSPHERE_CONFIG_DIR"; }
. "$src/tests/lib/cloud.sh"   # cloud_serve, cloud_stop, free_port
trap cleanup EXIT
mqtt_port=$(free_port) iot_port=$(free_port)
data=$work/cloud
"$sphere" cloud init --data "$data" --mqtt-listen 127.0.0.1:$mqtt_port >/dev/null
cloud_serve "$data" --iot-listen 127.0.0.1:$iot_port --iot-hub-host 127.0.0.1:$iot_port >/dev/null
pids+=("$cloud_pid")
"$sphere" login --cloud "$url" --token-file "$data/tokens/default.token" --ca-cert "$ca" >/dev/null
"$sphere" sim create bench --cloud "$url" >/dev/null

# ---- ours ------------------------------------------------------------------------------------
mkfifo "$work/in"
OPENSPHERE_DAA_PATH=$OPENSPHERE_HOME/devices/bench/deviceauth.pem "$probe" hub 127.0.0.1:$iot_port <"$work/in" >"$work/probe.out" 2>&1 &
pids+=($!)
exec {to_probe}>"$work/in"
wait_line() { local end=$((SECONDS + ${2:-60})); until grep -qE "$1" "$work/probe.out"; do
  [ $SECONDS -le $end ] || { echo "iot_probe: no '$1'"; tail -5 "$work/probe.out"; exit 1; }; sleep 0.05; done; }
wait_line '^twin COMPLETE'
echo "burst $n" >&"$to_probe"; wait_line "^burst " 180
echo "pingpong $k" >&"$to_probe"; wait_line "^pingpong " 180
read -r _ got_n ours_tel_s < <(grep '^burst ' "$work/probe.out")
read -r _ got_k ours_rt_s < <(grep '^pingpong ' "$work/probe.out")
[ "$got_n" = "$n" ] && [ "$got_k" = "$k" ] || { echo "iot_probe confirmed $got_n/$n messages, $got_k/$k round trips"; exit 1; }

# ---- mosquitto's own clients, same broker, same TLS (the service's listener and user) ---------
m=(-h 127.0.0.1 -p "$mqtt_port" --cafile "$data/tls.cert.pem" --insecure -u opensphere-cloud -P "$(cat "$data/mqtt/service.secret")" -V mqttv311)
mosquitto_sub "${m[@]}" -q 1 -C "$n" -t devices/bench/tel > /dev/null & sub=$!; pids+=($sub)
sleep 0.5
seq "$n" | sed 's/.*/{"temperature":21.5}/' > "$work/lines"
start=$(date +%s.%N)
mosquitto_pub "${m[@]}" -q 1 -t devices/bench/tel -l < "$work/lines"
wait "$sub"
mosq_tel_s=$(echo "$(date +%s.%N) - $start" | bc -l)
# Round trip: one message from mosquitto_pub to a mosquitto_sub -C 1 subscribed beforehand, ROUNDS_MOSQ
# times; mosquitto_pub's process start and TLS handshake are inside the timing (mosquitto ships no
# long-running request/response client), so this baseline is pessimistic for mosquitto.
rounds_mosq=${ROUNDS_MOSQ:-20} mosq_rt_s=0
for i in $(seq "$rounds_mosq"); do
  timeout 10 mosquitto_sub "${m[@]}" -C 1 -t devices/bench/rt > /dev/null & obs=$!
  sleep 0.3
  start=$(date +%s.%N)
  mosquitto_pub "${m[@]}" -t devices/bench/rt -m ping
  wait "$obs"
  mosq_rt_s=$(echo "$mosq_rt_s + $(date +%s.%N) - $start" | bc -l)
done
# The same mosquitto_pub alone (no subscriber waiting): its start-up, handshake and publish, to
# show how much of the baseline's round trip is the client's start-up.
pub_alone_s=0
for i in $(seq "$rounds_mosq"); do
  start=$(date +%s.%N)
  mosquitto_pub "${m[@]}" -t devices/bench/rt -m ping
  pub_alone_s=$(echo "$pub_alone_s + $(date +%s.%N) - $start" | bc -l)
done

rate() { echo "scale=0; $1 / $2" | bc -l; }
ms() { echo "scale=3; 1000 * $2 / $1" | bc -l; }
printf 'telemetry, %d messages from one device (QoS 1, TLS):\n' "$n"
printf '  azureiot -> stand-in        %8s messages/s\n' "$(rate "$n" "$ours_tel_s")"
printf '  mosquitto_pub -> _sub       %8s messages/s\n' "$(rate "$n" "$mosq_tel_s")"
printf '  ratio (ours / mosquitto)    %8.2f\n' "$(echo "$mosq_tel_s / $ours_tel_s" | bc -l)"
printf 'round trip, %d in a row:\n' "$k"
printf '  twin reported PATCH -> 204  %8s ms\n' "$(ms "$k" "$ours_rt_s")"
printf '  mosquitto_pub -> _sub       %8s ms (%d, pub start-up included)\n' "$(ms "$rounds_mosq" "$mosq_rt_s")" "$rounds_mosq"
printf '  mosquitto_pub alone         %8s ms (its start-up, TLS handshake, publish)\n' "$(ms "$rounds_mosq" "$pub_alone_s")"
printf '  ratio (ours / mosquitto)    %8.2f (latency, start-up included: above 1 is slower)\n' "$(echo "($ours_rt_s / $k) / ($mosq_rt_s / $rounds_mosq)" | bc -l)"

