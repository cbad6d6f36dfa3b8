#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_iot_conformance.sh SPHERE IOT_PROBE SRC — the Azure IoT client library (src/azureiot) against
# the cloud's IoT Hub and DPS stand-in (src/cloud/iothub*.c) on Debian's mosquitto, on 127.0.0.1:
# the full twin on connect, desired updates in version order, reported-state acknowledgement, a
# method round trip with its status (and a timeout when the device answers nothing), telemetry
# with custom properties seen by the operator's event stream, C2D with properties, DPS
# assignment, a client made from a connection string, a broker restart (COMMUNICATION_ERROR or NO_NETWORK, then the automatic reconnect
# and a fresh twin), and a device refused another's topics and identity (with Debian's own
# mosquitto_sub/_pub/_rr and a device certificate on IoT Hub's real topic names: the broker
# plugin's wire compatibility and per-device scoping). Devices are two
# simulated devices' certificates (sphere sim create), used by iot_probe (tests/unit/azureiot).
set -u
sphere=$1 probe=$2 src=$3
command -v mosquitto >/dev/null || command -v /usr/sbin/mosquitto >/dev/null || { echo "SKIP: mosquitto is not installed"; exit 0; }
. "$src/tests/cli/lib.sh"
. "$src/tests/lib/cloud.sh"
export OPENSPHERE_HOME=$(mktemp -d) OPENSPHERE_CONFIG_DIR=$(mktemp -d)
work=$(mktemp -d) out=$(mktemp) err=$(mktemp)
data=$work/cloud
probes=() parked=()
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

# Calls waiting for a device hold no HTTP worker and no database connection (the connection is
# parked): 24 calls to a silent method (6 times the 4 HTTP threads with SQLite) wait out their 6 s while
# other requests, and a method the device answers, are served at once; then each ends 504.
for i in $(seq 1 24); do
  "$sphere" iot invoke-method --device-id "$ID_d1" --method silent --payload "$i" --timeout 6 >"$work/park$i.out" 2>&1 &
  parked+=($!)
done
sleep 1
t0=$(date +%s%N)
run 0 iot twin show --device-id "$ID_d1" -o json
run 0 iot invoke-method --device-id "$ID_d1" --method displayAlert --payload '"meanwhile"' -o json
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "with 24 method calls waiting, a twin read and an answered method took ${ms} ms (< 2000)" "[ $ms -lt 2000 ]"
timed_out=0
for p in "${parked[@]}"; do wait "$p" && continue; timed_out=$((timed_out + 1)); done
same "$timed_out" 24 "waiting method calls that ended 'did not answer' (exit 1)"
check "each waiting call said the device did not answer within 6 s" "[ \$(grep -l 'did not answer silent within 6 s' $work/park*.out | wc -l) = 24 ]"

# ---- telemetry with custom properties, seen by monitor-events ------------------------------------
say d1 'send {"temperature":21.5} iothub-creation-time-utc=2025-03-01T12:00:00Z unit=deg C'
expect d1 '^confirm OK '
# Event polls with nothing to answer are parked too: 8 watchers (twice the 4 HTTP threads) do
# not slow a twin read, and one event wakes every one of them.
watchers=()
for i in $(seq 1 8); do
  "$sphere" iot monitor-events --device-id "$ID_d1" --timeout 5 -o json >"$work/watch$i.json" 2>&1 &
  watchers+=($!)
done
sleep 1.5
t0=$(date +%s%N)
run 0 iot twin show --device-id "$ID_d1" -o json
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "with 8 event polls waiting, a twin read took ${ms} ms (< 1000)" "[ $ms -lt 1000 ]"
say d1 'send {"parked":"poll"}'
expect d1 '^confirm OK '
for p in "${watchers[@]}"; do wait "$p"; done
check "each of the 8 watchers saw the event" "[ \$(grep -l '\"parked\":\"poll\"' $work/watch*.json | wc -l) = 8 ]"
"$sphere" iot monitor-events --device-id "$ID_d1" --timeout 3 --from-start -o json > "$work/events.json" 2>"$err"
check "monitor-events shows the telemetry with its properties, decoded" \
  "jq -se 'map(select(.payload.temperature == 21.5)) | .[0] | .properties[\"iothub-creation-time-utc\"] == \"2025-03-01T12:00:00Z\" and .properties.unit == \"deg\" and .systemProperties.ct == \"application/json\" and .systemProperties.ce == \"utf-8\"' '$work/events.json' >/dev/null"

# ---- C2D --------------------------------------------------------------------------------------
run 0 iot c2d send --device-id "$ID_d1" --data '{"configureDebug":{"enabled":true}}' --props 'k=v x' --content-encoding utf-8
expect d1 '^c2d ce=utf-8 k=v x body=\{"configureDebug":\{"enabled":true\}\}$'

# ---- DPS: register, poll, assigned; then the assigned hub ----------------------------------------
UP_d2=$(echo "$ID_d2" | tr a-f A-F) UP_d1=$(echo "$ID_d1" | tr a-f A-F)
start_probe d2 dps "$hub" 0ne00000A1B
expect d2 "^dps OK $hub $UP_d2\$" 10 "d2 was not assigned to $hub by DPS within 10 s"
expect d2 '^status AUTHENTICATED OK$'
expect d2 '^twin COMPLETE \{"desired":\{"\$version":1\}'

# ---- one device refused another's topics and identity (the broker plugin, src/iothubplugin) -------
# d2's own certificate with Debian's mosquitto clients, speaking IoT Hub's real topics; d2's probe
# quits first, so the clients below are d2's only connection.
say d2 quit
expect d2 '^destroyed$'
tls=(--cafile "$data/mqtt/iothub-ca.pem" --cert "$OPENSPHERE_HOME/devices/d2/deviceauth.pem"
     --key "$OPENSPHERE_HOME/devices/d2/deviceauth.pem" -h 127.0.0.1 -p "$iot_port" -V mqttv311)
# Posing as d1: its telemetry topic, the old device-ID-in-the-topic form, and a real twin PATCH
# (which the plugin files under the sender's certificate, d2, whatever the client says).
mosquitto_pub "${tls[@]}" -i "$UP_d1" -t "devices/$UP_d1/messages/events/" -m '{"spoofed":true}' 2>/dev/null
mosquitto_pub "${tls[@]}" -t "\$iothub/$UP_d1/twin/PATCH/properties/reported/?\$rid=9" -m '{"spoofed":true}' 2>/dev/null
mosquitto_pub "${tls[@]}" -i "$UP_d1" -t "\$iothub/twin/PATCH/properties/reported/?\$rid=9" -m '{"spoofedAsSender":true}' 2>/dev/null
# A subscriber with d2's certificate (and d1's client ID, which the broker replaces with the CN) on
# IoT Hub's shared topic names and on d1's own topics: it must get d2's desired patch and nothing of d1's.
mosquitto_sub "${tls[@]}" -i "$UP_d1" -v -t '$iothub/twin/res/#' -t '$iothub/twin/PATCH/properties/desired/#' \
  -t '$iothub/methods/POST/#' -t "devices/$UP_d1/messages/devicebound/#" -t "\$iothub/$UP_d1/twin/res/#" >"$work/spy.out" 2>&1 &
spy=$!; probes+=($spy)
sleep 1
run 0 iot c2d send --device-id "$ID_d1" --data 'for d1 only'
run 0 iot invoke-method --device-id "$ID_d1" --method displayAlert --payload '"again"'
run 0 iot twin update --device-id "$ID_d1" --desired '{"forD1":true}'
run 0 iot twin update --device-id "$ID_d2" --desired '{"forD2":true}'
say d1 'report {"spyWindow":true}'
expect d1 '^c2d ce=- k=- body=for d1 only$'
expect d1 '^reported 204 '
expect d1 '^twin PARTIAL .*"forD1":true'
seen_spy() { grep -q "$1" "$work/spy.out"; }
until_ok 10 seen_spy '^\$iothub/twin/PATCH/properties/desired/?\$version=[0-9]* {"forD2":true,"\$version":[0-9]*}$' && ok ||
  bad "plain mosquitto_sub with d2's certificate did not get d2's desired patch on IoT Hub's topic: $(cat "$work/spy.out")"
sleep 1
same "$(grep -v forD2 "$work/spy.out")" "" "what d2 saw of d1's topics"
kill "$spy" 2>/dev/null
run 0 iot twin show --device-id "$ID_d1" -o json
check "d2 could not write d1's reported state" "! grep -q spoofed '$out'"
run 0 iot twin show --device-id "$ID_d2" -o json
check "a reported PATCH is filed under the sender's certificate (d2)" "jq -e '.properties.reported.spoofedAsSender == true' '$out' >/dev/null"
"$sphere" iot monitor-events --device-id "$ID_d1" --timeout 2 --from-start -o json > "$work/events2.json" 2>"$err"
check "d2 could not send telemetry as d1" "! grep -q spoofed '$work/events2.json'"
same "$(count d1 '^status UNAUTHENTICATED')" 0 "d1 disconnections while d2 tried to take its client ID"
# A twin GET round trip on IoT Hub's topics with mosquitto_rr (one MQTT 3.1.1 connection: it
# subscribes to the response topic, publishes the request, prints the answer): d2's full twin.
mosquitto_rr "${tls[@]}" -t '$iothub/twin/GET/?$rid=42' -e '$iothub/twin/res/200/?$rid=42' -n -v -W 10 >"$out" 2>"$err"
rr_answered() { grep -qF '$iothub/twin/res/200/?$rid=42 {"desired":{"forD2":true' "$out"; }
rr_answered && ok || bad "mosquitto_rr twin GET with d2's certificate: no \$iothub/twin/res/200/?\$rid=42 with d2's twin: $(cat "$out" "$err")"

# ---- the broker restarts: the reason, the automatic reconnect, a fresh twin ----------------------
broker=$(ps -o pid= --ppid "$cloud_pid" | tr -d ' ' | head -1)
if [ -n "$broker" ] && kill -9 "$broker"; then
  ok
  expect d1 '^status UNAUTHENTICATED (COMMUNICATION_ERROR|NO_NETWORK)$' 10
  until_ok 20 bash -c "[ \$(grep -c '^status AUTHENTICATED OK' '$work/d1.out') -ge 2 ]" && ok ||
    bad "d1 did not reconnect after the broker restart: $(tail -3 "$work/d1.out")"
  until_ok 10 bash -c "[ \$(grep -c '^twin COMPLETE' '$work/d1.out') -ge 2 ]" && ok || bad "no fresh full twin after the reconnect"
  check "the twin after the restart holds what was stored" "grep '^twin COMPLETE' '$work/d1.out' | tail -1 | grep -q '\"firmware\":\"1.2\"'"
  say d1 'send {"after":"restart"}'
  expect d1 '^confirm OK '
else
  bad "no broker child of the cloud service (pid $cloud_pid) to kill"
fi

# ---- a silent broker: no PINGRESP gives NO_PING_RESPONSE ----------------------------------------
broker=$(ps -o pid= --ppid "$cloud_pid" | tr -d ' ' | head -1)
daa=d2 IOT_PROBE_KEEPALIVE=5 start_probe d3 hub "$hub"
expect d3 '^status AUTHENTICATED OK$'
if [ -n "$broker" ] && kill -STOP "$broker"; then
  expect d3 '^status UNAUTHENTICATED NO_PING_RESPONSE$' 20
  kill -CONT "$broker"
  expect d3 '^status AUTHENTICATED OK' 20
  until_ok 20 bash -c "[ \$(grep -c '^status AUTHENTICATED OK' '$work/d3.out') -ge 2 ]" && ok ||
    bad "d3 did not reconnect once the broker answered again"
  # Destroyed with a message and a reported state unanswered (the broker stopped again).
  kill -STOP "$broker"
  say d3 'send {"last":true}'
  say d3 'report {"last":true}'
  sleep 1
  say d3 quit
  expect d3 '^confirm BECAUSE_DESTROY [0-9]+$' 10 "d3: telemetry pending at destroy did not get BECAUSE_DESTROY"
  expect d3 '^reported 0 [0-9]+$' 10 "d3: a reported state pending at destroy did not get status 0"
  kill -CONT "$broker"
else
  bad "no broker to stop"
fi

# ---- a connection string (X.509 form), the certificate given as options ----------------------------
daa=d2 start_probe d4 cs "HostName=$hub;DeviceId=$UP_d2;x509=true"
expect d4 '^status AUTHENTICATED OK$'
expect d4 '^twin COMPLETE '
say d4 'send {"via":"connection string"}'
expect d4 '^confirm OK '

# ---- the service stops with method calls waiting: they are answered 503, the stop is prompt ----
parked=()
for i in 1 2 3; do
  "$sphere" iot invoke-method --device-id "$ID_d1" --method silent --timeout 120 >"$work/stop$i.out" 2>&1 &
  parked+=($!)
done
sleep 1
t0=$(date +%s%N)
cloud_stop
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "the service stopped in ${ms} ms with 3 method calls waiting (< 5000)" "[ $ms -lt 5000 ]"
for p in "${parked[@]}"; do wait "$p"; done
check "waiting calls were told the service is stopping" "[ \$(grep -l 'service is stopping' $work/stop*.out | wc -l) = 3 ]"
summary
