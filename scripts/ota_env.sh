# SPDX-License-Identifier: MIT
# ota_env.sh — the stage for the external-MCU OTA flow, shared by tests/cli/test_ota*.sh and the
# demo (scripts/demo-ota.sh). Source it with $sphere (the CLI), $src (the source tree) and
# $devices (names, for clean-up) set. First it re-runs the calling script (with its arguments)
# as root in a private network and mount namespace (unshare -n -m), or exits 0 with SKIP when it
# cannot; inside, it makes the work folders and defines:
#   ota_stage [RATE [SERVE-ARGS...]]  10.78.0.1 on a veth, a private /etc/hosts naming it
#                              ota-cloud/ota-mqtt.opensphere.test, the cloud + MQTT broker with a TLS
#                              certificate for that name, nginx serving the blobs over HTTPS at RATE
#                              per download (default 512k), login, product Widget, the agent built
#                              with the SDK ($agent); SERVE-ARGS go to `sphere cloud serve`
#                              (e.g. --mqtt-device-listen 10.78.0.1:8883 --mqtt-passwords off)
#   ota_device NAME GROUP [ENROLL-ARGS]  a device claimed, tagged productType=Widget
#                              deviceGroup=GROUP, started, running the enrolled agent ($ID_<NAME>)
#   status_json GROUP / row ID FIELD / running NAME / stopped NAME
# with tests/cli/lib.sh (run, log_has TEXT -d NAME, ...) and tests/lib/cloud.sh sourced.
set -u
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
data=$work/cloud
ota_cleanup() {
  [ -n "${KEEP:-}" ] && { rm -rf /tmp/ota-e2e-last; cp -r "$work" /tmp/ota-e2e-last; cp -r "$OPENSPHERE_HOME" /tmp/ota-e2e-last/home; }
  cloud_cleanup
}
trap ota_cleanup EXIT
trap 'exit 130' INT; trap 'exit 143' TERM # signals too: bash runs the EXIT trap only when it exits
out=$work/out err=$work/err

ota_stage() {
  local rate=${1:-512k}
  ip link set lo up && ip link add dum0 type veth peer name dum1 && ip link set dum1 up &&
    ip addr add 10.78.0.1/24 dev dum0 && ip link set dum0 up || { echo "cannot set up the namespace"; exit 1; }
  printf '127.0.0.1 localhost\n10.78.0.1 ota-cloud.opensphere.test ota-mqtt.opensphere.test\n' > "$work/hosts"
  mount --bind "$work/hosts" /etc/hosts || { echo "cannot bind-mount /etc/hosts"; exit 1; }
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=ota-cloud.opensphere.test" \
    -addext "subjectAltName=DNS:ota-cloud.opensphere.test,DNS:ota-mqtt.opensphere.test,IP:10.78.0.1" -keyout "$work/tls.key" -out "$work/tls.cert" 2>/dev/null
  run 0 cloud init --data "$data" --mqtt-listen 10.78.0.1:1883
  cloud_serve "$data" --listen 10.78.0.1:8443 --tls-key "$work/tls.key" --tls-cert "$work/tls.cert" \
    --ota-base-url https://ota-cloud.opensphere.test:8444 "${@:2}" || exit 1
  ca=$work/tls.cert
  # nginx (tools/nginx-ota.conf.in) serves the blobs over HTTPS, rate-limited per download so
  # that a 4 MiB transfer takes seconds, as on a real link, and faults land in the middle.
  nginx_ota "10.78.0.1:8444 ssl; ssl_certificate $work/tls.cert; ssl_certificate_key $work/tls.key; limit_rate $rate" "$data" \
    -e 's|proxy_ssl_name "OpenSphere cloud";|proxy_ssl_name ota-cloud.opensphere.test;|' || exit 1
  run 0 login --cloud "$url" --token-file "$data/tokens/default.token" --ca-cert "$ca"
  run 0 product create --name Widget
  (AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere cmake -S "$src/src/ota/agent" -B "$work/agent" -G Ninja \
     -DCMAKE_TOOLCHAIN_FILE="$sdk/CMakeFiles/AzureSphereToolchain.cmake" -DAZURE_SPHERE_TARGET_API_SET=latest-lts >/dev/null &&
   OPENSPHERE_SPHERE_TOOL=$sphere cmake --build "$work/agent" >/dev/null) && ok || { bad "the OTA agent does not build with the SDK"; summary; exit 1; }
  agent=$work/agent/OtaAgent.imagepackage
}

ota_device() {
  local d=$1 group=$2; shift 2
  run 0 sim create "$d" --cloud "$url" --memory-limit-kb 8192
  local id
  id=$(jget "$OPENSPHERE_HOME/devices/$d/device.json" deviceId | tr A-F a-f)
  eval "ID_$d=$id"
  run 0 device claim --device-id "$id" --device-group Widget/Development
  run 0 device update --device-id "$id" --tag productType=Widget --tag deviceGroup="$group"
  run 0 sim start "$d"
  run 0 device enable-development -d "$d"
  run 0 device sideload deploy -d "$d" -p "$agent"
  run 0 ota enroll -d "$d" "$@" # after the install, which starts the app with empty storage: it retries until enrolled
}

status_json() { "$sphere" ota status Widget "${1:-FieldTest}" -o json > "$work/status.json" 2>/dev/null; }
# row ID FIELD: FIELD of device ID's row in the last status_json ("null" when unset, empty when
# the device has no row). jq, not python: these are polled, and python took up to 1 s to start.
row() { jq -r --arg id "$1" --arg f "$2" 'map(select(.deviceId == $id)) | if length > 0 then .[0][$f] else "" end' \
  "$work/status.json"; }
running() { "$sphere" sim list -o json > "$work/list.json" &&
  jq -e --arg n "$1" 'any(.[]; .name == $n and .state == "running")' "$work/list.json" >/dev/null; }
stopped() { ! running "$1"; }
