#!/usr/bin/env bash
# test_ota.sh SPHERE SRC — the external-MCU OTA flow end to end (docs/ota.md): a cloud with its
# MQTT broker, three simulated devices running OpenSphere's OTA agent (built with the SDK,
# sideloaded), a 4 MiB firmware deployed as version 5 to product Widget, group FieldTest.
# Both FieldTest devices must end with v5 verified on their SPI flash — one loses power in the
# middle of a flash operation during the download, and every device loses its network for 20 s —
# the Production device is untouched, and version 4 can never be deployed after it.
# Everything runs in a network namespace the test creates (unshare -n -m): the cloud and broker
# listen on 10.78.0.1 (a dummy interface), the agent's host names resolve through a private
# /etc/hosts bind-mounted there. Nothing outside is contacted.
set -u
if [ "${OPENSPHERE_NETNS_TEST:-}" != 1 ]; then
  if [ "$(id -u)" != 0 ] || ! unshare -n -m true 2>/dev/null || ! command -v ip >/dev/null || ! command -v mosquitto >/dev/null; then
    echo "SKIP: needs root, unshare -n -m, iproute2 and mosquitto for a private network namespace"; exit 0
  fi
  OPENSPHERE_NETNS_TEST=1 exec unshare -n -m bash "$0" "$@"
fi
sphere=$1 src=$2
. "$src/tests/cli/lib.sh"
bin=$(dirname "$sphere")
sdk=$(cd "$bin/../sdk" && pwd)
export OPENSPHERE_HOME=$(mktemp -d) OPENSPHERE_CONFIG_DIR=$(mktemp -d)
work=$(mktemp -d)
data=$work/cloud cloud_pid=
devices="ft1 ft2 prod1"
nginx_dir=
cleanup() {
  for d in $devices; do "$sphere" sim stop "$d" >/dev/null 2>&1; done
  [ -n "$nginx_dir" ] && [ -f "$nginx_dir/nginx.pid" ] && kill "$(cat "$nginx_dir/nginx.pid")" 2>/dev/null
  [ -n "$cloud_pid" ] && kill "$cloud_pid" 2>/dev/null && wait "$cloud_pid" 2>/dev/null
  [ -n "${KEEP:-}" ] && { rm -rf /tmp/ota-e2e-last; cp -r "$work" /tmp/ota-e2e-last; cp -r "$OPENSPHERE_HOME" /tmp/ota-e2e-last/home; }
  rm -rf "$work" "$OPENSPHERE_HOME" "$OPENSPHERE_CONFIG_DIR"
}
trap cleanup EXIT
out=$work/out err=$work/err
run() {
  local want=$1; shift
  "$sphere" "$@" >"$out" 2>"$err"; local got=$?
  if [ "$got" -ne "$want" ]; then bad "sphere $* exited $got, expected $want"; sed 's/^/  | /' "$err" "$out" | head -8; return 1; fi
  ok
}

# ---- the namespace: 10.78.0.1 on a veth interface, the agent's names in a private /etc/hosts ----
ip link set lo up && ip link add dum0 type veth peer name dum1 && ip link set dum1 up && ip addr add 10.78.0.1/24 dev dum0 && ip link set dum0 up ||
  { echo "cannot set up the namespace"; exit 1; }
printf '127.0.0.1 localhost\n10.78.0.1 ota-cloud.opensphere.test ota-mqtt.opensphere.test\n' > "$work/hosts"
mount --bind "$work/hosts" /etc/hosts || { echo "cannot bind-mount /etc/hosts"; exit 1; }

# ---- the cloud: TLS for the name the agent uses, the broker, the OTA key ------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=ota-cloud.opensphere.test" \
  -addext "subjectAltName=DNS:ota-cloud.opensphere.test,IP:10.78.0.1" -keyout "$work/tls.key" -out "$work/tls.cert" 2>/dev/null
run 0 cloud init --data "$data" --mqtt-listen 10.78.0.1:1883
"$sphere" cloud serve --data "$data" --listen 10.78.0.1:8443 --tls-key "$work/tls.key" --tls-cert "$work/tls.cert" \
  --ota-base-url https://ota-cloud.opensphere.test:8444 2>"$work/cloud.log" &
cloud_pid=$!
until_ok 20 test -f "$data/cloud.url" || { echo "the cloud did not start"; cat "$work/cloud.log"; exit 1; }
url=$(cat "$data/cloud.url")
# The blobs go out through nginx (tools/nginx-ota.conf.in) over HTTPS at 512 KiB/s per download,
# about a W25Q128JV's real write speed, so faults land in the middle of the transfers.
nginx_dir=$work/nginx; mkdir -p "$nginx_dir"
sed -e "s|@USER@|$(id -un)|; s|@RUNDIR@|$nginx_dir|g; s|@OTA_ROOT@|$data/ota|; s|@CLOUD_URL@|$url|; s|@CLOUD_CA@|$work/tls.cert|" \
    -e "s|@LISTEN@|10.78.0.1:8444 ssl; ssl_certificate $work/tls.cert; ssl_certificate_key $work/tls.key; limit_rate 512k|" \
    -e 's|proxy_ssl_name "OpenSphere cloud";|proxy_ssl_name ota-cloud.opensphere.test;|' \
    "$src/tools/nginx-ota.conf.in" > "$nginx_dir/nginx.conf"
"$(command -v nginx || echo /usr/sbin/nginx)" -c "$nginx_dir/nginx.conf" -e "$nginx_dir/error.log" 2>"$work/nginx.err" ||
  { echo "nginx did not start: $(cat "$work/nginx.err")"; exit 1; }
run 0 login --cloud "$url" --token-file "$data/tokens/default.token" --ca-cert "$work/tls.cert"
run 0 product create --name Widget

# ---- the agent, built with the SDK like any app ---------------------------------------------------
(AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere cmake -S "$src/src/ota/agent" -B "$work/agent" -G Ninja \
   -DCMAKE_TOOLCHAIN_FILE="$sdk/CMakeFiles/AzureSphereToolchain.cmake" -DAZURE_SPHERE_TARGET_API_SET=latest-lts >/dev/null &&
 OPENSPHERE_SPHERE_TOOL=$sphere cmake --build "$work/agent" >/dev/null) && ok || { bad "the OTA agent does not build with the SDK"; summary; exit 1; }
agent=$work/agent/OtaAgent.imagepackage

# ---- three devices: two tagged Widget/FieldTest, one Widget/Production --------------------------------
for d in $devices; do
  run 0 sim create "$d" --cloud "$url" --memory-limit-kb 8192
  id=$(jget "$OPENSPHERE_HOME/devices/$d/device.json" deviceId | tr A-F a-f)
  eval "ID_$d=$id"
  group=FieldTest; [ "$d" = prod1 ] && group=Production
  run 0 device claim --device-id "$id" --device-group Widget/Development
  run 0 device update --device-id "$id" --tag productType=Widget --tag deviceGroup=$group
  run 0 sim start "$d"
  run 0 device enable-development -d "$d"
  run 0 device sideload deploy -d "$d" -p "$agent"
  run 0 ota enroll -d "$d" # after the install, which starts the app with empty storage: it retries until enrolled
done
log_has() { "$sphere" device app log -d "$1" > "$work/$1.log" 2>&1; grep -qF -- "$2" "$work/$1.log"; }
for d in $devices; do
  until_ok 30 log_has "$d" "OtaAgent: connected to the twin" && ok || { bad "$d: the agent never reached its twin"; tail -5 "$work/$d.log"; }
done

# ---- deploy v5, then a power cut inside a flash operation on ft1 and a 12 s network loss ---------------
head -c $((4 * 1024 * 1024)) /dev/urandom > "$work/fw5.bin"
head -c 1000 /dev/urandom > "$work/fw4.bin"
run 0 sim power-cut -d ft1 --after-flash-ops 3000 --seed 7
run 0 ota deploy "$work/fw5.bin" 5 Widget FieldTest -d 2
status_json() { "$sphere" ota status Widget FieldTest -o json > "$work/status.json" 2>/dev/null; }
row() { python3 -c 'import json,sys
rows=[r for r in json.load(open(sys.argv[1])) if r["deviceId"]==sys.argv[2]]
print(rows[0].get(sys.argv[3]) if rows else "")' "$work/status.json" "$1" "$2"; }
running() { "$sphere" sim list -o json > "$work/list.json" && python3 -c 'import json,sys
print([d["state"] for d in json.load(open(sys.argv[1])) if d["name"]==sys.argv[2]][0])' "$work/list.json" "$1" | grep -qx running; }
stopped() { ! running "$1"; }
progress() { status_json && local b && b=$(row "$ID_ft2" bytesDone) && [ -n "$b" ] && [ "$b" != None ] && [ "$b" -ge 1000000 ]; }
until_ok 60 progress && ok || bad "ft2 never reported 1 MB downloaded: $(cat "$work/status.json")"
[ "$(row "$ID_ft2" status)" = downloading ] && ok || bad "ft2 is not downloading any more when the cable is cut"
# The cable is cut: the address leaves the network for 20 s (the agent gives a transfer up after 10 s
# without a byte; what the sockets had buffered still arrives first).
ip addr del 10.78.0.1/24 dev dum0; sleep 20; ip addr add 10.78.0.1/24 dev dum0
interrupted() { log_has ft2 "OtaAgent: interrupted"; }
until_ok 20 interrupted && ok || bad "ft2 did not notice the network loss"
until_ok 60 stopped ft1
if stopped ft1; then
  ok; grep -q "power cut in the middle of flash operation" "$OPENSPHERE_HOME/devices/ft1/sphered.log" && ok ||
    bad "ft1 died without the power-cut line in its log"
  run 0 sim start ft1
else
  bad "the armed power cut never fired on ft1"
fi

verified() { status_json && [ "$(row "$ID_ft1" status)" = verified ] && [ "$(row "$ID_ft2" status)" = verified ]; }
until_ok 240 verified && ok || bad "the FieldTest devices did not both end verified: $(cat "$work/status.json")"
[ "$(row "$ID_ft1" appliedVersion)" = 5 ] && [ "$(row "$ID_ft2" appliedVersion)" = 5 ] && ok ||
  bad "appliedVersion is not 5 on both: $(cat "$work/status.json")"
"$sphere" ota status Widget FieldTest > "$work/status.txt" && ok || bad "ota status (table) failed"
echo "ota status after the rollout:"; sed 's/^/  | /' "$work/status.txt"

# The bytes on each FieldTest device's SPI flash are the firmware, byte for byte.
log_has ft1 "OtaAgent: verified"
for d in ft1 ft2; do
  run 0 sim stop "$d"
  "$sphere" flashfs cat --image "$OPENSPHERE_HOME/devices/$d/flash-isu1-csb.bin" /ota/image-5.bin > "$work/$d.img" 2>"$err" &&
    cmp -s "$work/$d.img" "$work/fw5.bin" && ok || bad "$d: /ota/image-5.bin on its flash is not the firmware ($(cat "$err"))"
  "$sphere" flashfs fsck --image "$OPENSPHERE_HOME/devices/$d/flash-isu1-csb.bin" > "$work/fsck" 2>&1 && ok ||
    bad "$d: the flash file system is damaged: $(tail -3 "$work/fsck")"
done
# ft1 came back from its power cut with the partial download on flash, and resumed it.
grep -q "a partial download to resume" "$work/ft1.log" 2>/dev/null && ok ||
  bad "ft1 did not resume a partial download after its power cut: $(grep OtaAgent "$work/ft1.log" | tail -5)"

# The Production device was never targeted: no desired OTA state, nothing on its flash.
run 0 device twin show -d "$ID_prod1" -o json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])).get("desired") or {}; sys.exit("extFwInfo" in d)' "$out" && ok ||
  bad "prod1 has an OTA desired state: $(cat "$out")"
run 0 sim stop prod1
"$sphere" flashfs ls --image "$OPENSPHERE_HOME/devices/prod1/flash-isu1-csb.bin" /ota > "$work/prod1.ls" 2>&1
! grep -q "image-" "$work/prod1.ls" && ok || bad "prod1 has an image on its flash: $(cat "$work/prod1.ls")"

# No rollback: version 4 (or 5 again) cannot be deployed after 5.
run 1 ota deploy "$work/fw4.bin" 4 Widget FieldTest && grep -q "version-not-newer\|not newer" "$err" && ok ||
  bad "deploying v4 after v5 was not refused as not newer: $(cat "$err")"
run 1 ota deploy "$work/fw5.bin" 5 Widget FieldTest

summary
