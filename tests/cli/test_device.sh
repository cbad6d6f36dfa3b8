#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_device.sh SPHERE SOURCE_DIR — the simulated device end to end, through its REST API
# (curl over the Unix socket and over HTTPS) and through `sphere device`: authorisation,
# capabilities, trust, API sets, resource rules, malformed and oversized requests, concurrency,
# and crash safety of installs (sphered killed at every step). Prints "N passed, N failed".
set -u
sphere=$1 src=$2
export OPENSPHERE_HOME=$(mktemp -d)
work=$(mktemp -d)
. "$src/tests/cli/lib.sh"
trap sim_cleanup EXIT
out=$work/out err=$work/err

# app NAME CID CAPS [TYPE] — an app folder with that manifest; packs it to $work/NAME.ip.
app() {
  local name=$1 cid=$2 caps=$3 extra=${4:-} dir=$work/$1
  mkdir -p "$dir/bin"
  printf '{"SchemaVersion":1,"Name":"%s","ComponentId":"%s","EntryPoint":"/bin/app","Capabilities":%s%s}' \
    "$name" "$cid" "$caps" "$extra" > "$dir/app_manifest.json"
  head -c 2000 /dev/urandom > "$dir/bin/app"
  shift 4 2>/dev/null || shift $#
  "$sphere" image-package pack-application --package-directory "$dir" --destination "$work/$name.ip" "$@" >/dev/null 2>"$err" \
    || { bad "packing $name failed"; cat "$err"; }
}
prod=(--signing-key "$OPENSPHERE_HOME/production.key.pem" --signing-cert "$OPENSPHERE_HOME/production.cert.pem")
C1=11111111-0000-0000-0000-000000000001 C2=11111111-0000-0000-0000-000000000002
C3=11111111-0000-0000-0000-000000000003 C4=11111111-0000-0000-0000-000000000004

# ---- a device; the always-open endpoints; REST shapes -------------------------------------
run 0 sim create dev && has "$out" "Created simulated device 'dev'"
run 1 sim create dev && has "$err" "already exists"
run 1 sim create "bad/name" && has "$err" "not a valid device name"
run 1 device show-attached && has "$err" "no simulated device is running"
run 0 sim start dev
run 1 sim start dev && has "$err" "already running"
run 0 device show-attached && has "$out" "Device ID: " && has "$out" "Connection path: $OPENSPHERE_HOME/devices/dev/rest.sock"
id=$(sed -n 's/^Device ID: //p' "$out")
[ ${#id} -eq 128 ] && ok || bad "device ID is not 128 hex digits: $id"
expect_rest "200 {\"securityState\":\"SECURE\",\"deviceIdentifier\":\"$id\"}" dev GET /device/security_state
expect_rest '200 {"osversion":"25.02"}' dev GET /osversion
expect_rest '200 {"SecureWorldRuntime":1,"OSRuntime":1,"ApplicationRuntime":17}' dev GET /abi_versions
expect_rest '200 {"device_capabilities":[]}' dev GET /device/capabilities
expect_rest '200 {"manufacturingState":"Blank"}' dev GET /device/manufacturing_state
expect_rest '200 {"uptime":*}' dev GET /status
expect_rest '200 {"state":"notPresent"}' dev GET /app/status/$C1
expect_rest '404 {"error":10485763,*' dev GET /nope
expect_rest '404 {"error":10485763,*' dev POST /status
expect_rest '400 {"error":10485761,*' dev GET /app/status/not-a-guid
port=$(sed -n 's/.*"httpsPort": *\([0-9]*\).*/\1/p' "$OPENSPHERE_HOME/devices/dev/device.json")
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$OPENSPHERE_HOME/devices/dev/tls.cert.pem" "https://127.0.0.1:$port/status")
[ "$code" = 200 ] && ok || bad "HTTPS with the device's certificate answered $code"
curl -s -o /dev/null "https://127.0.0.1:$port/status" && bad "HTTPS without the certificate was trusted" || ok

# ---- trust: SDK-signed needs appDevelopment; production-signed is fine before DeviceComplete ---
app sdkapp $C1 '{"Gpio":[8]}'
run 1 device sideload deploy -p "$work/sdkapp.ip"
has "$err" "error: Image not trusted by device; check if application development capability is enabled"
has "$err" "(device error 7.15, HTTP 400)"
app prodapp $C2 '{"Gpio":[9],"MutableStorage":{"SizeKB":8}}' "" "${prod[@]}"
run 0 device sideload deploy -p "$work/prodapp.ip" && has "$out" "has been deployed to the attached device"
run 0 device app show-status -i $C2 && has "$out" "App state   : running"
expect_rest '403 {"error":1048596,*' dev PATCH /app/status/$C2 -H 'Content-Type: application/json' -d '{"trigger":"stop"}'
expect_rest '403 {"error":7340069,*' dev DELETE /app/image/$C2

# ---- manufacturing state: forward only; DeviceComplete locks REST without a capability --------
expect_rest '400 {"error":10485761,*' dev PUT /device/manufacturing_state -H 'Content-Type: application/json' -d '{"manufacturingState":"Blank"}'
run 0 device manufacturing-state update --state Module1Complete
run 1 device manufacturing-state update --state Module1Complete && has "$err" "can only move forward"
run 0 device manufacturing-state update --state DeviceComplete
expect_rest '200 {"manufacturingState":"DeviceComplete"}' dev GET /device/manufacturing_state
expect_rest '403 {"error":13,*' dev GET /images
expect_rest '200 {"uptime":*}' dev GET /status
run 1 device sideload deploy -p "$work/prodapp.ip" && has "$err" "Permission denied; application development capability may be required"

# ---- capabilities: files bound to the device, presented per request, applied --------------
run 0 device capability download --type FieldServicing --output-file "$work/fs.cap"
b64=$(base64 -w0 "$work/fs.cap")
expect_rest '200 {"has_staged_updates":false,*' dev GET /images -H "AZSPHERE-CAPABILITIES: $b64"
expect_rest '400 {"error":7340081,*' dev GET /images -H "AZSPHERE-CAPABILITIES: AAAA"
expect_rest '400 {"error":7340081,*' dev GET /images -H "AZSPHERE-CAPABILITIES: %%%%"
"$sphere" sim create other >/dev/null && "$sphere" sim start other >/dev/null
run 0 device capability download -d other --type ApplicationDevelopment --output-file "$work/other.cap"
expect_rest '400 {"error":7340081,*' dev GET /images -H "AZSPHERE-CAPABILITIES: $(base64 -w0 "$work/other.cap")"
run 1 device capability update -d dev --capability-file "$work/other.cap"
"$sphere" sim stop other >/dev/null
run 0 device capability select -d dev --capability-file "$work/fs.cap"
# fieldServicing: production-signed yes, SDK-signed no, start/stop yes, delete and debug no.
run 0 device sideload deploy -d dev -p "$work/prodapp.ip"
run 1 device sideload deploy -d dev -p "$work/sdkapp.ip" && has "$err" "(device error 7.15, HTTP 400)"
run 0 device app stop -d dev -i $C2 && has "$out" "App state   : stopped"
run 0 device app start -d dev -i $C2 && has "$out" "App state   : running"
run 1 device app start -d dev -i $C2 --debug-mode && has "$err" "(device error 1.20, HTTP 403)"
run 1 device sideload delete -d dev -i $C2 && has "$err" "Permission denied; check if application development capability is enabled"
run 0 device capability select -d dev --none
run 0 device capability update -d dev --capability-file "$work/fs.cap"
run 0 device capability show-attached -d dev && has "$out" "EnableFieldServicing"
run 0 device enable-development -d dev
run 0 device capability show-attached -d dev && has "$out" "EnableAppDevelopment"
run 0 device sideload deploy -d dev -p "$work/sdkapp.ip"
run 0 device image list-installed -d dev && has "$out" " --> sdkapp" && has "$out" " --> prodapp"
if command -v gdbserver >/dev/null; then # high-level apps debug under gdbserver (tests/cli/test_debug_hl.sh)
  run 0 device app start -d dev -i $C1 --debug-mode && has "$out" "App state   : debugging" && has "$out" "GDB port    : "
  run 0 device app stop -d dev -i $C1
else
  run 1 device app start -d dev -i $C1 --debug-mode && has "$err" "Debugging server is not present"
fi
expect_rest '409 {"error":14680076,*' dev PATCH /app/status/$C4 -H 'Content-Type: application/json' -d '{"trigger":"start"}'
expect_rest '200 {"restartingSystem":false}' dev DELETE /app/image/$C4

# ---- malformed, unsupported and oversized requests ------------------------------------------
expect_rest '415 {"error":10485762,*' dev PATCH /app/status/$C1 -d '{"trigger":"stop"}' -H 'Content-Type: text/plain'
expect_rest '400 {"error":10485761,*' dev PATCH /app/status/$C1 -H 'Content-Type: application/json' -d '{"trigger":'
expect_rest '400 {"error":10485761,*' dev PATCH /app/status/$C1 -H 'Content-Type: application/json' -d '{"trigger":"explode"}'
expect_rest '415 {"error":10485762,*' dev PUT /update/stage -H 'Content-Type: application/json' --data-binary @"$work/sdkapp.ip"
expect_rest '400 {"error":7340050,*' dev PUT /update/stage -H 'Content-Type: application/octet-stream' --data-binary 'not a package'
head -c $((5 * 1024 * 1024)) /dev/zero > "$work/huge.bin"
expect_rest '400 {"error":7340050,*too large*' dev PUT /update/stage -H 'Content-Type: application/octet-stream' --data-binary @"$work/huge.bin"
expect_rest '400 {"error":7340080,*' dev POST /update/install -H 'Content-Type: application/json' -d '{}'
expect_rest '200 {"uptime":*}' dev GET /status

# ---- API sets: up-level always refused, beta needs --force ------------------------------------
"$sphere" sim create old --os-version 22.02 >/dev/null && "$sphere" sim start old >/dev/null
"$sphere" device enable-development -d old >/dev/null
app newer $C3 '{}'
run 1 device sideload deploy -d old -p "$work/newer.ip" && has "$err" "(device error 7.40, HTTP 400)"
app beta $C3 '{}' "" --target-api-set 8+Beta2101
run 1 device sideload deploy -d old -p "$work/beta.ip" && has "$err" "warn: This app targets Beta APIs" && has "$err" "use --force"
curl -s -o /dev/null --unix-socket "$OPENSPHERE_HOME/devices/old/rest.sock" -X PUT -H 'Content-Type: application/octet-stream' \
  --data-binary @"$work/beta.ip" http://localhost/update/stage
expect_rest '400 {"error":7340073,*' old POST /update/install -H 'Content-Type: application/json' -d '{}'
run 0 device sideload deploy -d old -p "$work/beta.ip" --force
app lts $C4 '{}' "" --target-api-set 12
run 0 device sideload deploy -d old -p "$work/lts.ip"
"$sphere" sim stop old >/dev/null

# ---- resources: one owner per GPIO, peripheral, pin, port; two RT cores; quota ---------------
app gpioclash $C3 '{"Gpio":[8]}'
run 1 device sideload deploy -d dev -p "$work/gpioclash.ip" && has "$err" "GPIO 8 is already used by installed app 'sdkapp'" && has "$err" "5.4"
app uart1 $C3 '{"Uart":["ISU0"],"AllowedTcpServerPorts":[2000]}'
run 0 device sideload deploy -d dev -p "$work/uart1.ip"
app i2c $C4 '{"I2cMaster":["ISU0"]}'
run 1 device sideload deploy -d dev -p "$work/i2c.ip" && has "$err" "ISU0 is already used" && has "$err" "5.8"
app pin $C4 '{"Gpio":[27]}'
run 1 device sideload deploy -d dev -p "$work/pin.ip" && has "$err" "5.15"
app port $C4 '{"AllowedTcpServerPorts":[2000]}'
run 1 device sideload deploy -d dev -p "$work/port.ip" && has "$err" "TCP port 2000 is already used" && has "$err" "1.32"
app udp $C4 '{"AllowedUdpServerPorts":[2000]}'
run 0 device sideload deploy -d dev -p "$work/udp.ip"
# Replacing an app keeps its resources' check away from itself, and its mutable storage.
echo state > "$OPENSPHERE_HOME/devices/dev/storage/$C2/data"
run 0 device sideload deploy -d dev -p "$work/prodapp.ip"
[ -f "$OPENSPHERE_HOME/devices/dev/storage/$C2/data" ] && ok || bad "mutable storage lost when the app was replaced"
run 0 device app show-quota -d dev -i $C2 && has "$out" "1 KB used of 8 KB"
run 0 device sideload delete -d dev -i $C2
[ ! -e "$OPENSPHERE_HOME/devices/dev/storage/$C2" ] && ok || bad "mutable storage kept after delete"
for n in 1 2 3; do
  mkdir -p "$work/rt$n/bin"
  printf '{"SchemaVersion":1,"Name":"rt%s","ComponentId":"22222222-0000-0000-0000-00000000000%s","EntryPoint":"/bin/app","Capabilities":{"Gpio":[%s]},"ApplicationType":"RealTimeCapable"}' \
    $n $n $((60 + n)) > "$work/rt$n/app_manifest.json"
  printf 'ELF' > "$work/rt$n/bin/app"
  "$sphere" image-package pack-application --package-directory "$work/rt$n" --destination "$work/rt$n.ip" >/dev/null
done
run 0 device sideload deploy -d dev -p "$work/rt1.ip"
run 0 device sideload deploy -d dev -p "$work/rt2.ip"
run 0 device app show-status -d dev -i 22222222-0000-0000-0000-000000000002 && has "$out" "Core        : Real-time core 1"
run 1 device sideload deploy -d dev -p "$work/rt3.ip" && has "$err" "No matching core available to run application"
mkdir -p "$work/big/bin"; printf '{"SchemaVersion":1,"Name":"big","ComponentId":"%s","EntryPoint":"/bin/app","Capabilities":{}}' $C4 > "$work/big/app_manifest.json"
head -c 1000000 /dev/urandom > "$work/big/bin/app"
"$sphere" image-package pack-application --package-directory "$work/big" --destination "$work/big.ip" >/dev/null
run 1 device sideload deploy -d dev -p "$work/big.ip" && has "$err" "Insufficient free space on the device"

# ---- concurrency: many clients at once -------------------------------------------------------
for i in $(seq 40); do
  curl -s -o /dev/null -w '%{http_code}' --unix-socket "$OPENSPHERE_HOME/devices/dev/rest.sock" http://localhost/status > "$work/c$i" &
done; wait
ok_count=$(grep -l '^200' "$work"/c* | wc -l)
[ "$ok_count" -eq 40 ] && ok || bad "only $ok_count of 40 concurrent requests succeeded"
for i in 1 2 3 4; do "$sphere" device sideload deploy -d dev -p "$work/sdkapp.ip" >/dev/null 2>&1 & done; wait
run 0 device image list-installed -d dev && [ "$(grep -c ' --> sdkapp' "$out")" -eq 1 ] && ok || bad "concurrent deploys broke the image list"

# ---- crash safety: kill sphered at every step of an install, restart, old or new set ---------
"$sphere" sim create crash >/dev/null && "$sphere" sim start crash >/dev/null && "$sphere" device enable-development -d crash >/dev/null
app v1 $C1 '{"Gpio":[8]}'; app v2 $C1 '{"Gpio":[9]}'
"$sphere" device sideload deploy -d crash -p "$work/v1.ip" >/dev/null
"$sphere" sim stop crash >/dev/null
for point in install:after-image-write install:before-commit install:after-commit install:after-cleanup; do
  SPHERED_FAULT=$point "$sphere" sim start crash >/dev/null
  "$sphere" device sideload deploy -d crash -p "$work/v2.ip" >/dev/null 2>&1 && bad "$point: the install did not stop there"
  sleep 0.2
  "$sphere" sim stop crash >/dev/null
  "$sphere" sim start crash >/dev/null
  got=$(rest crash GET /images)
  gpio=$(grep -o '"name": "v[12]"' "$OPENSPHERE_HOME/devices/crash/installed.json")
  files=$(ls "$OPENSPHERE_HOME/devices/crash/images" | wc -l)
  case "$point:$gpio" in
    install:after-image-write:'"name": "v1"'|install:before-commit:'"name": "v1"'|install:after-commit:'"name": "v2"'|install:after-cleanup:'"name": "v2"')
      [ "$files" -eq 1 ] && ok || bad "$point: $files image files after recovery (expected exactly the installed one)";;
    *) bad "$point: after the crash the device holds $gpio";;
  esac
  [[ "$got" == "200 "*'"name":"v'* ]] && ok || bad "$point: device unusable after the crash: $got"
  "$sphere" device sideload deploy -d crash -p "$work/v1.ip" >/dev/null 2>&1 && ok || bad "$point: cannot deploy after recovery"
  "$sphere" sim stop crash >/dev/null
done

run 0 sim list && has "$out" "dev" && has "$out" "running"
run 0 sim stop dev
# Under ASan/UBSan the daemons report to their logs: none may hold a sanitizer report.
if grep -l -E "Sanitizer|runtime error" "$OPENSPHERE_HOME"/devices/*/sphered.log; then bad "a sanitizer reported a problem in sphered"; else ok; fi
run 0 sim delete dev && [ ! -e "$OPENSPHERE_HOME/devices/dev" ] && ok || bad "sim delete left the state folder"
summary
