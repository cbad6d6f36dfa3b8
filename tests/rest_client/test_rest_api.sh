#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_rest_api.sh SPHERE SOURCE_DIR SPEC — the device REST API (docs/device.md, "REST API"):
# the endpoints of rest_diag.c (GET /log, GET/DELETE /telemetry, GET /net/firewall/rulesets), the
# REST-API-Version header on successes and errors, POST /restart's answer and the device coming
# back, the TLS certificate's names, authorisation refusals (DeviceComplete without a capability:
# 403 error 13) and malformed requests; then walk_description.py (a client written only from
# device_rest_api.yaml) over HTTPS, with every capability and then locked down.
set -u
sphere=$1 src=$2 spec=$3
export OPENSPHERE_HOME=$(mktemp -d)
work=$(mktemp -d)
trap sim_cleanup EXIT
. "$src/tests/cli/lib.sh"
py=/usr/bin/python3
d=ra dir=$OPENSPHERE_HOME/devices/ra
# Endpoints the /net and /certstore branches serve; the walker names each one it finds missing.
allow=()

"$sphere" sim create $d >/dev/null && "$sphere" sim start $d >/dev/null && "$sphere" device enable-development >/dev/null \
  || { echo "cannot start a simulated device"; exit 1; }
port=$(jget "$dir/device.json" httpsPort)

# ---- the certificate: the name clients send as Host, and the loopback address -------------------
openssl x509 -in "$dir/tls.cert.pem" -noout -ext subjectAltName > "$work/san" 2>&1
has "$work/san" "DNS:*.devices.sphere.azure.local"
has "$work/san" "IP Address:127.0.0.1"
code=$(curl -s -o "$work/https" -w '%{http_code}' --cacert "$dir/tls.cert.pem" \
  --resolve "a.devices.sphere.azure.local:$port:127.0.0.1" "https://a.devices.sphere.azure.local:$port/status")
same "$code" 200 "GET /status over HTTPS verified by name"

# ---- the version header on every response ---------------------------------------------------------
for p in /status /no/such/endpoint /log; do
  curl -s -D "$work/h" -o /dev/null --unix-socket "$dir/rest.sock" "http://localhost$p"
  has "$work/h" "REST-API-Version: 4.6.0"
done

# ---- diagnostics ----------------------------------------------------------------------------------
expect_rest '200 *' $d GET /log
curl -s -D "$work/h" -o /dev/null --unix-socket "$dir/rest.sock" http://localhost/telemetry
has "$work/h" "Content-Type: application/octet-stream"
expect_rest '200 {}' $d DELETE /telemetry
expect_rest '200 {"rulesets":[{"hook":"PREROUTING",*"hook":"INPUT"*"hook":"OUTPUT"*' $d GET /net/firewall/rulesets
expect_rest '404 {"error":10485763*' $d POST /log
expect_rest '404 {"error":10485763*' $d PUT /telemetry -H 'Content-Type: application/json' -d '{}'

# ---- an app: its output in /log, its AllowedConnections and server port in the rulesets, its crash
# (a non-zero exit) in /telemetry until DELETE clears it ------------------------------------------------
sdk=$(cd "$(dirname "$sphere")/../sdk" && pwd)
printf '#include <stdio.h>\n#include <unistd.h>\nint main(void) { puts("walker-app-says-hello"); fflush(stdout); sleep(1); return 3; }\n' > "$work/crash.c"
probe_src=$work/crash.c probe crasher 5a6b7c8d-1111-4222-8333-944455556666 '{"AllowedConnections":["198.51.100.7"],"AllowedTcpServerPorts":[8080]}'
if "$sphere" device sideload deploy -p "$work/crasher.ip" >/dev/null 2>"$work/err"; then
  ok
  until_ok 10 sh -c "curl -s --unix-socket '$dir/rest.sock' http://localhost/telemetry | grep -q 'exited with code 3'" && ok || bad "no error report for the app's exit code 3"
  rest $d GET /log >/dev/null; has "$work/body" walker-app-says-hello
  rest $d GET /net/firewall/rulesets >/dev/null
  has "$work/body" '"destinationIP":"198.51.100.7","destinationMask":"255.255.255.255","action":"accept"'
  has "$work/body" '"protocol":"tcp","destinationPortRange":{"min":8080,"max":8080}'
  expect_rest '200 {}' $d DELETE /telemetry
  rest $d GET /telemetry >/dev/null; n=$(grep -c 'exited with code 3' "$work/body"); [ "$n" -le 1 ] && ok || bad "DELETE /telemetry left $n reports"
  "$sphere" device app stop -i 5a6b7c8d-1111-4222-8333-944455556666 >/dev/null 2>&1
else
  bad "cannot deploy the test app: $(cat "$work/err")"
fi

# ---- restart: {"restartingSystem": true}, the device answers again, and its apps start again ------
printf '#include <unistd.h>\nint main(void) { for (;;) sleep(1); }\n' > "$work/sleeper.c"
probe_src=$work/sleeper.c probe sleeper 6b7c8d9e-2222-4333-8444-a55566667777 '{}'
deploy sleeper
app_pid() { rest $d GET /stats/memory/groups/applications >/dev/null; jget "$work/body" apps 0 processes 0 pid 2>/dev/null; }
pid_known() { [ -n "$(app_pid)" ]; }
until_ok 10 pid_known
pid_before=$(app_pid)
[ -n "$pid_before" ] && ok || bad "no pid for the running sleeper app: $(cat "$work/body")"
expect_rest '200 {"restartingSystem":true}' $d POST /restart
until_ok 10 sh -c "curl -sf --unix-socket '$dir/rest.sock' http://localhost/status >/dev/null" && ok || bad "no GET /status after restart"
new_pid() { local p; p=$(app_pid); [ -n "$p" ] && [ "$p" != "$pid_before" ]; }
until_ok 10 new_pid && ok || bad "the app did not start again after POST /restart (pid $pid_before, now '$(app_pid)')"
expect_rest '200 {"state":"running"*' $d GET /app/status/6b7c8d9e-2222-4333-8444-a55566667777

# ---- malformed requests ---------------------------------------------------------------------------
expect_rest '400 {"error":10485761*' $d PATCH /app/status/5a6b7c8d-1111-4222-8333-944455556666 -H 'Content-Type: application/json' -d '{"trigger":'
expect_rest '415 {"error":10485762*' $d PATCH /app/status/5a6b7c8d-1111-4222-8333-944455556666 -H 'Content-Type: text/plain' -d 'x'
expect_rest '400 {"error":*' $d POST /wifi/config/networks -H 'Content-Type: application/json' -d '[1,2]'

# Every endpoint with a JSON body: not JSON and not an object are 400 (10.1), another media type 415 (10.2).
cid=5a6b7c8d-1111-4222-8333-944455556666
for ep in "PUT /device/manufacturing_state" "PATCH /app/status/$cid" "POST /update/install" "POST /wifi/config/networks" \
          "PATCH /wifi/config/networks/0" "PATCH /wifi/interface"; do
  m=${ep% *} p=${ep#* }
  expect_rest '400 {"error":10485761*' $d $m $p -H 'Content-Type: application/json' -d '{"a":'
  expect_rest '400 {"error":10485761*' $d $m $p -H 'Content-Type: application/json' -d '"text"'
  expect_rest '415 {"error":10485762*' $d $m $p -H 'Content-Type: text/plain' -d '{}'
done
expect_rest '415 {"error":10485762*' $d PUT /update/stage -H 'Content-Type: application/json' -d '{}'
expect_rest '400 {"error":10485761*' $d PATCH /app/status/$cid -H 'Content-Type: application/json' -d '{"trigger":"fly"}'
# A capability header that is not base64, or not for this device: 400, error 7.49.
expect_rest '400 {"error":7340081,*' $d GET /telemetry -H "AZSPHERE-CAPABILITIES: A==="
expect_rest '400 {"error":7340081,*' $d GET /net/firewall/rulesets -H "AZSPHERE-CAPABILITIES: QUJDRA=="

# ---- the walker, everything granted -----------------------------------------------------------------
# First with a component nothing has, then with the installed sleeper app (its DELETE is last).
"$py" "$src/tests/rest_client/walk_description.py" --spec "$spec" --base "https://127.0.0.1:$port" \
  --cacert "$dir/tls.cert.pem" --phase open "${allow[@]}" > "$work/walk" 2>&1 && ok || { bad "the walker (open) failed"; }
sed 's/^/  walk | /' "$work/walk"
"$py" "$src/tests/rest_client/walk_description.py" --spec "$spec" --base "https://127.0.0.1:$port" \
  --cacert "$dir/tls.cert.pem" --phase open --component 6b7c8d9e-2222-4333-8444-a55566667777 "${allow[@]}" > "$work/walk" 2>&1 \
  && ok || { bad "the walker (open, an installed app) failed"; }
grep -v "not yet served" "$work/walk" | sed 's/^/  walk | /'
expect_rest '200 {"state":"notPresent"}' $d GET /app/status/6b7c8d9e-2222-4333-8444-a55566667777

# ---- locked: no capability, DeviceComplete ---------------------------------------------------------
"$sphere" device enable-cloud-test >/dev/null 2>&1 || bad "enable-cloud-test failed"
"$py" "$src/tests/rest_client/walk_description.py" --spec "$spec" --base "https://127.0.0.1:$port" \
  --cacert "$dir/tls.cert.pem" --phase locked "${allow[@]}" > "$work/walk" 2>&1 && ok || { bad "the walker (locked) failed"; }
sed 's/^/  walk | /' "$work/walk"
for ep in "GET /log" "GET /telemetry" "DELETE /telemetry" "GET /net/firewall/rulesets" "GET /stats/memory/groups/applications" "POST /restart"; do
  expect_rest '403 {"error":13*' $d ${ep% *} ${ep#* }
done
expect_rest '200 {"uptime":*' $d GET /status
# Capabilities presented per request: fieldServicing opens the REST endpoints but not the memory
# statistics (IsAppDevelopmentAllowed); appDevelopment opens both.
"$sphere" device capability download -d $d --type fieldServicing --output-file "$work/fs.cap" >/dev/null &&
  "$sphere" device capability download -d $d --type appDevelopment --output-file "$work/ad.cap" >/dev/null || bad "capability download"
fs=$(base64 -w0 "$work/fs.cap") ad=$(base64 -w0 "$work/ad.cap")
for ep in "GET /log" "GET /telemetry" "DELETE /telemetry" "GET /net/firewall/rulesets"; do
  expect_rest '200 *' $d ${ep% *} ${ep#* } -H "AZSPHERE-CAPABILITIES: $fs"
done
expect_rest '403 {"error":13*' $d GET /stats/memory/groups/applications -H "AZSPHERE-CAPABILITIES: $fs"
expect_rest '200 {"memoryStats":*' $d GET /stats/memory/groups/applications -H "AZSPHERE-CAPABILITIES: $ad"
summary
