#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_iot.sh SPHERE SRC — "Azure IoT apps run unchanged" end to end (docs/iot.md): the cloud with
# its IoT Hub and DPS stand-in, a simulated device running examples/azure_iot (built with the
# SDK's presets, sideloaded), seen through the CLI: DPS assigns the hub named in the app's
# manifest, the app connects with its device certificate, reports its serial number, sends
# telemetry with properties (sphere iot monitor-events), follows a desired-property change and
# acknowledges its version (sphere iot twin update/show), answers a direct method (sphere iot
# invoke-method) and logs a cloud-to-device message (sphere iot c2d send).
# Everything runs in a network namespace the test creates (unshare -n -m): the cloud listens on
# 10.79.0.1, and the device's static hosts (sphere sim hosts add) name it
# global.azure-devices-provisioning.net and opensphere-hub.azure-devices.net. Nothing outside is contacted.
set -u
sphere=$1 src=$2
if [ "${OPENSPHERE_NETNS_TEST:-}" != 1 ]; then
  if [ "$(id -u)" != 0 ] || ! unshare -n -m true 2>/dev/null || ! command -v ip >/dev/null || ! command -v mosquitto >/dev/null; then
    echo "SKIP: needs root, unshare -n -m, iproute2 and mosquitto for a private network namespace"; exit 0
  fi
  OPENSPHERE_NETNS_TEST=1 exec unshare -n -m bash "$0" "$@"
fi
. "$src/tests/cli/lib.sh"
. "$src/tests/lib/cloud.sh"
bin=$(dirname "$sphere")
sdk=$(cd "$bin/../sdk" && pwd)
export OPENSPHERE_HOME=$(mktemp -d) OPENSPHERE_CONFIG_DIR=$(mktemp -d)
work=$(mktemp -d)
data=$work/cloud out=$work/out err=$work/err
trap cloud_cleanup EXIT
hub=opensphere-hub.azure-devices.net

ip link set lo up && ip link add iot0 type veth peer name iot1 && ip link set iot1 up &&
  ip addr add 10.79.0.1/24 dev iot0 && ip link set iot0 up || { echo "cannot set up the namespace"; exit 1; }
run 0 cloud init --data "$data" --mqtt-listen 10.79.0.1:1883 --listen 10.79.0.1:8443 || { summary; exit 1; }
cloud_serve "$data" --listen 10.79.0.1:8443 --iot-listen 10.79.0.1:8883 || exit 1
run 0 login --cloud "$url" --token-file "$data/tokens/default.token" --ca-cert "$ca"
run 0 sim create dev --cloud "$url" --memory-limit-kb 8192
ID=$(jget "$OPENSPHERE_HOME/devices/dev/device.json" deviceId | tr A-F a-f)
dev=dev
run 0 sim start dev
run 0 device enable-development -d dev
run 0 sim hosts add -d dev global.azure-devices-provisioning.net -a 10.79.0.1
run 0 sim hosts add -d dev "$hub" -a 10.79.0.1

# The app, built as a platform sample is: a copy of the example, the SDK's preset.
cp -r "$src/examples/azure_iot" "$work/app" && rm -rf "$work/app/out"
(cd "$work/app" && AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere cmake --preset ARM-Debug >"$work/build.log" 2>&1 &&
  OPENSPHERE_SPHERE_TOOL=$sphere cmake --build out/ARM-Debug >>"$work/build.log" 2>&1) && ok ||
  { bad "examples/azure_iot does not build with the SDK"; tail -20 "$work/build.log"; summary; exit 1; }
run 0 device sideload deploy -d dev -p "$work/app/out/ARM-Debug/AzureIoT.imagepackage"

log_wait=30
expect_log "AzureIoT: the device certificate is ready"
expect_log "AzureIoT: DPS: PROV_DEVICE_RESULT_OK, assigned hub $hub"
expect_log "AzureIoT: connected to the hub (IOTHUB_CLIENT_CONNECTION_OK)"
expect_log "AzureIoT: twin document, desired version 1"
expect_log "AzureIoT: reported state serialNumber acknowledged: 204"

# Telemetry with its creation-time property, as the operator sees it.
"$sphere" iot monitor-events --device-id "$ID" --timeout 6 -o json > "$work/events.json" 2>"$err"
check "monitor-events shows the app's temperature with iothub-creation-time-utc" \
  "jq -se 'map(select(.payload.temperature != null and (.properties[\"iothub-creation-time-utc\"] | test(\"^20[0-9-]+T[0-9:]+Z$\")))) | length >= 2' '$work/events.json' >/dev/null"
"$sphere" iot monitor-events --device-id "$ID" --timeout 3 > "$work/events.txt" 2>&1
check "monitor-events in text is shaped like az's" "grep -q '\"origin\": \"$ID\"' '$work/events.txt' && grep -q '\"application\"' '$work/events.txt'"

# A desired change: the app stops its telemetry and acknowledges the version.
run 0 iot twin update --device-id "$ID" --desired '{"thermometerTelemetryUploadEnabled":false}'
expect_log "AzureIoT: telemetry upload disabled"
acked() { "$sphere" iot twin show --device-id "$ID" -o json > "$out" 2>"$err" &&
  jq -e '.properties.reported.thermometerTelemetryUploadEnabled | .value == false and .ac == 200 and .av == 2' "$out" >/dev/null; }
until_ok 15 acked && ok || bad "the reported state does not acknowledge desired version 2: $(cat "$out")"
check "the reported state holds the serial number" "jq -e '.properties.reported.serialNumber == \"TEMPMON-01234\"' '$out' >/dev/null"
sleep 3
"$sphere" iot monitor-events --device-id "$ID" --timeout 4 -o json > "$work/quiet.json" 2>"$err"
same "$(jq -s length "$work/quiet.json")" 0 "telemetry events while the upload is disabled"

# A direct method and a cloud-to-device message.
run 0 iot invoke-method --device-id "$ID" --method displayAlert --payload '"Check the freezer"' -o json
check "displayAlert answered 200" "jq -e '.status == 200 and .payload == \"Alert message displayed successfully.\"' '$out' >/dev/null"
expect_log 'AzureIoT: ALERT: "Check the freezer"'
run 0 iot invoke-method --device-id "$ID" --method reboot -o json
check "an unknown method answers -1" "jq -e '.status == -1' '$out' >/dev/null"
run 0 iot c2d send --device-id "$ID" --data '{"configureDebug":{"enabled":true}}' --props 'origin=test'
expect_log 'AzureIoT: cloud-to-device message: {"configureDebug":{"enabled":true}}'

# The twin is the store's: it survives the service's restart.
cloud_stop
cloud_serve "$data" --listen 10.79.0.1:8443 --iot-listen 10.79.0.1:8883 || exit 1
run 0 iot twin show --device-id "$ID" -o json
check "the twin after a restart of the service" \
  "jq -e '.properties.desired.thermometerTelemetryUploadEnabled == false and .properties.desired[\"\$version\"] == 2' '$out' >/dev/null"
summary
