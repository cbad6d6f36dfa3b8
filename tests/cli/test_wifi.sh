#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_wifi.sh SPHERE SOURCE_DIR — Wi-Fi end to end (docs/wifi.md): the default radio and stored
# network; `sphere sim wifi` access points; examples/wifi_config built with the SDK runs every
# wificonfig.h function on the device (results and errno checked in the app); the same app
# without WifiConfig gets EACCES everywhere; `sphere device wifi` add/list/show/show-status/
# scan/enable/disable/forget/reload-config and `device network show-diagnostics` (WrongKey,
# NetworkNotFound); networking is not ready while no stored network is connected (an app watching
# Networking_IsNetworkingReady sees it change); the state survives `sphere sim stop/start`; a
# damaged wifi.json stops the device with its file, field and reason.
set -u
sphere=$1 src=$2
. "$src/tests/cli/lib.sh"
device_test_env # $bin, $sdk; new temporary $OPENSPHERE_HOME and $work
cleanup() { "$sphere" sim stop wf >/dev/null 2>&1; rm -rf "$work" "$OPENSPHERE_HOME"; }
trap cleanup EXIT
dev=$OPENSPHERE_HOME/devices/wf

log_has() { "$sphere" device app log -i "$1" > "$work/log" 2>&1; grep -qF -- "$2" "$work/log"; }
expect_log() { # CID TEXT [SECONDS]
  if until_ok "${3:-10}" log_has "$1" "$2"; then ok; else bad "app $1 never logged '$2'"; grep WIFI "$work/log" | grep -v ' ok$' | tail -20 | sed 's/^/  | /'; app_snapshot "$1"; fi
}
log_count() { "$sphere" device app log -i "$1" 2>/dev/null | grep -cF -- "$2"; }
wifi_json() { "$sphere" device wifi "$@" -o json > "$work/json" 2>"$work/err"; }
status_is() { "$sphere" device wifi show-status -o json > "$work/status" 2>&1 && [ "$(jget "$work/status" connectionState)" = "$1" ]; }

"$sphere" sim create wf >/dev/null && "$sphere" sim start wf >/dev/null && "$sphere" device enable-development >/dev/null \
  || { echo "cannot start a simulated device"; exit 1; }

# ---- a new device: one access point, one stored network, connected ----------------------------
wifi_json list && [ "$(jget "$work/json" 0 ssid)" = OpenSphere-Sim ] && [ "$(jget "$work/json" 0 connectionState)" = connected ] \
  && [ -z "$(jget "$work/json" 1 ssid 2>/dev/null)" ] && ok || bad "a new device is not connected to its default network: $(cat "$work/json")"
[ ! -e "$dev/wifi.json" ] && ok || bad "the default was written to wifi.json before any change"

# ---- the radio: access points ------------------------------------------------------------------
"$sphere" sim wifi add --ssid Cafe --psk cafe-secret --signal -30 >/dev/null \
  && "$sphere" sim wifi add --ssid Corp --security eaptls --signal -50 --frequency 5180 >/dev/null \
  && "$sphere" sim wifi add --ssid Hidden --hidden --signal -60 --bssid 02:aa:bb:cc:dd:ee >/dev/null && ok || bad "sim wifi add failed"
"$sphere" sim wifi list -o json > "$work/aps" && [ "$(jget "$work/aps" 3 bssid)" = 02:aa:bb:cc:dd:ee ] \
  && [ "$(jget "$work/aps" 2 frequency)" = 5180 ] && ok || bad "sim wifi list: $(cat "$work/aps")"
"$sphere" sim wifi add --ssid Bad --security psk --psk short >/dev/null 2>"$work/err"; rc=$?
[ $rc = 1 ] && grep -q "psk" "$work/err" && ok || bad "an access point with a short key: exit $rc, $(cat "$work/err")"
"$sphere" sim wifi add --ssid X --signal loud >/dev/null 2>&1; [ $? = 2 ] && ok || bad "--signal loud is not a usage error"
wifi_json scan && grep -q '"ssid": "Cafe"' "$work/json" && grep -q '"ssid": "Corp"' "$work/json" && ! grep -q Hidden "$work/json" \
  && [ "$(jget "$work/json" 0 ssid)" = Cafe ] && [ "$(jget "$work/json" 0 signal_level)" = -30 ] && ok \
  || bad "scan does not list the visible access points strongest first: $(cat "$work/json")"
"$sphere" device wifi scan | grep -q "^Cafe  *psk  *02:00:5e" && ok || bad "scan table"

# ---- the example app: every wificonfig.h function --------------------------------------------
cp -r "$src/examples/wifi_config" "$work/wifi_config" && rm -rf "$work/wifi_config/out"
if (cd "$work/wifi_config" && AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere cmake --preset ARM-Debug >/dev/null \
    && cmake --build out/ARM-Debug >/dev/null); then ok; else bad "examples/wifi_config does not build with the SDK"; fi
SUITE=3c1d7e0a-9f52-4a61-b8e4-57c0d2a9e6b1 NOCAP=3c1d7e0a-9f52-4a61-b8e4-57c0d2a9e6b2 WATCH=3c1d7e0a-9f52-4a61-b8e4-57c0d2a9e6b3
"$sphere" device sideload deploy -p "$work/wifi_config/out/ARM-Debug/WifiConfig.imagepackage" >/dev/null || bad "deploying the example failed"
expect_log $SUITE "WIFI suite done" 20
grep -q "WIFI suite done: [0-9]* passed, 0 failed" "$work/log" && ok || bad "the suite failed: $(grep -e 'suite done' -e FAIL "$work/log")"
# the suite changes the Wi-Fi configuration: remove it so that a restart does not run it again
"$sphere" device sideload delete -i $SUITE >/dev/null || bad "deleting the suite app failed"

# repackage: the same binary with other arguments and capabilities
variant() { # NAME CID CAPS ARG
  mkdir -p "$work/$1/bin" && cp "$work/wifi_config/out/ARM-Debug/WifiConfig" "$work/$1/bin/app"
  printf '{"SchemaVersion":1,"Name":"%s","ComponentId":"%s","EntryPoint":"/bin/app","CmdArgs":["%s"],"Capabilities":%s}' \
    "$1" "$2" "$4" "$3" > "$work/$1/app_manifest.json"
  "$sphere" image-package pack-application --package-directory "$work/$1" --destination "$work/$1.ip" >/dev/null \
    && "$sphere" device sideload deploy -p "$work/$1.ip" >/dev/null || bad "deploying $1 failed"
}
variant nocap $NOCAP '{"SystemTime":true}' nocap
expect_log $NOCAP "WIFI nocap done" 10
grep -q "WIFI nocap done: 29 passed, 0 failed" "$work/log" && ok || bad "without WifiConfig: $(grep -v ' ok$' "$work/log" | grep WIFI | head)"

# what the suite left: Cafe, persisted and connected
wifi_json list && [ "$(jget "$work/json" 0 ssid)" = Cafe ] && [ "$(jget "$work/json" 0 connectionState)" = connected ] && ok \
  || bad "after the suite: $(cat "$work/json")"
grep -q '"ssid": "Cafe"' "$dev/wifi.json" && grep -q '"psk": "cafe-secret"' "$dev/wifi.json" && ok || bad "wifi.json: $(cat "$dev/wifi.json")"

# ---- networking follows the connection ---------------------------------------------------------
variant watch $WATCH '{"WifiConfig":true}' watch
expect_log $WATCH "WIFI ready 1 (network 0)"
"$sphere" device wifi forget --id 0 | grep -q "Successfully forgotten network 0" && ok || bad "forget"
expect_log $WATCH "WIFI ready 0 (network -1)"
status_is disconnected && ok || bad "show-status after forget: $(cat "$work/status")"

wifi_json add --ssid Cafe --psk wrong-pass1 && [ "$(jget "$work/json" id)" = 0 ] && [ "$(jget "$work/json" securityState)" = psk ] && ok \
  || bad "add with a wrong key: $(cat "$work/json" "$work/err")"
"$sphere" device network show-diagnostics --network 0 -o json > "$work/diag" && [ "$(jget "$work/diag" error)" = WrongKey ] \
  && [ "$(jget "$work/diag" ssid)" = Cafe ] && ok || bad "no WrongKey diagnostic: $(cat "$work/diag")"
"$sphere" device network show-diagnostics | grep -q "^Error  *: WrongKey" && ok || bad "show-diagnostics table"
sleep 0.3; [ "$(log_count $WATCH 'WIFI ready 1')" = 1 ] && ok || bad "networking became ready with a wrong key"
"$sphere" device wifi forget --id 0 >/dev/null
"$sphere" device wifi add --ssid Cafe --psk cafe-secret --config-name cafe | grep -q "Add network succeeded" && ok || bad "add"
until_ok 5 sh -c "[ \$('$sphere' device app log -i $WATCH | grep -c 'WIFI ready 1 (network 0)') = 2 ]" && ok \
  || bad "networking did not become ready again once connected"
status_is connected && [ "$(jget "$work/status" ssid)" = Cafe ] && [ "$(jget "$work/status" freq)" = 2437 ] && ok \
  || bad "show-status once connected: $(cat "$work/status")"
"$sphere" device wifi disable --id 0 >/dev/null && status_is disconnected && ok || bad "disable"
"$sphere" device wifi enable --id 0 >/dev/null && status_is connected && ok || bad "enable"
"$sphere" device wifi show --id 0 | grep -q "^Configuration name  *: cafe" && ok || bad "show"
"$sphere" device wifi show --id 7 >/dev/null 2>"$work/err"; rc=$?
[ $rc = 1 ] && grep -q "no Wi-Fi network with id 7" "$work/err" && ok || bad "show of an unknown id: exit $rc"
"$sphere" device wifi add --ssid Cafe --psk short >/dev/null 2>"$work/err"; rc=$?
[ $rc = 1 ] && grep -q "psk: a psk network needs a key of 8-63" "$work/err" && ok || bad "add with a short key: exit $rc"
"$sphere" device wifi enable >/dev/null 2>&1; [ $? = 2 ] && ok || bad "enable without --id is not a usage error"

# ---- REST shapes and status codes (device_rest_api.yaml) ---------------------------------------
rest() { curl -s -o "$work/body" -w '%{http_code}' --unix-socket "$dev/rest.sock" "$@"; }
[ "$(rest -X POST -H 'Content-Type: application/json' -d '{"ssid":"Open","securityState":"open","configState":"disabled"}' http://localhost/wifi/config/networks)" = 201 ] \
  && grep -q '"configState":"disabled"' "$work/body" && ok || bad "POST /wifi/config/networks: $(cat "$work/body")"
[ "$(rest -X POST -H 'Content-Type: application/json' -d '{"ssid":"Corp","securityState":"eaptls"}' http://localhost/wifi/config/networks)" = 400 ] \
  && grep -q clientCertStoreIdentifier "$work/body" && ok || bad "an eaptls network without a client certificate: $(cat "$work/body")"
[ "$(rest -X DELETE http://localhost/wifi/config/networks/1)" = 200 ] && ok || bad "DELETE"
[ "$(rest -X DELETE http://localhost/wifi/config/networks/1)" = 404 ] && ok || bad "DELETE of a forgotten network is not 404"
[ "$(rest http://localhost/wifi/diagnostics/networks/0)" = 404 ] && ok || bad "diagnostics of a network that never failed is not 404"
[ "$(rest -X PATCH -H 'Content-Type: application/json' -d '{"reloadConfig":true}' http://localhost/wifi/interface)" = 200 ] && ok || bad "PATCH /wifi/interface"
"$sphere" device wifi reload-config | grep -q "reloaded" && status_is connected && ok || bad "reload-config"

# ---- the state survives a restart of the device ------------------------------------------------
"$sphere" sim stop wf >/dev/null && "$sphere" sim start wf >/dev/null || bad "restart failed"
wifi_json list && [ "$(jget "$work/json" 0 configName)" = cafe ] && [ "$(jget "$work/json" 0 connectionState)" = connected ] && ok \
  || bad "stored networks after restart: $(cat "$work/json")"
"$sphere" sim wifi list -o json > "$work/aps" && [ "$(jget "$work/aps" 3 ssid)" = Hidden ] && ok || bad "access points after restart"

# ---- the access point goes away: NetworkNotFound ------------------------------------------------
"$sphere" sim wifi remove Cafe >/dev/null && status_is disconnected && ok || bad "removing the access point did not disconnect"
"$sphere" device network show-diagnostics --network 0 -o json > "$work/diag" && [ "$(jget "$work/diag" error)" = NetworkNotFound ] && ok \
  || bad "no NetworkNotFound diagnostic: $(cat "$work/diag")"
"$sphere" sim wifi remove Cafe >/dev/null 2>"$work/err"; [ $? = 1 ] && grep -q "no simulated access point" "$work/err" && ok || bad "removing twice"

# ---- EAP-TLS: the network's certificates come from the device's certificate store ------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=corp-ca -days 30 \
  -keyout "$work/ca.key" -out "$work/ca.pem" >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=dev1 -keyout "$work/client.key" \
  -out "$work/client.csr" >/dev/null 2>&1
openssl x509 -req -in "$work/client.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 30 \
  -out "$work/client.pem" >/dev/null 2>&1
"$sphere" device wifi add --ssid Corp --client-cert-id corpclient --root-ca-cert-id corpca --client-id dev1 \
  --config-name corp >/dev/null && ok || bad "adding the EAP-TLS network failed"
corp_diag() { "$sphere" device network show-diagnostics --network 1 -o json > "$work/diag" 2>&1; }
until_ok 5 status_is disconnected && corp_diag && [ "$(jget "$work/diag" error)" = AuthenticationFailed ] \
  && grep -q CertificateNotFound "$work/diag" && grep -q corpclient "$work/diag" && ok \
  || bad "EAP-TLS without its client certificate: not CertificateNotFound: $(cat "$work/diag")"
"$sphere" device certificate add --cert-id corpclient --cert-type client --public-key-file "$work/client.pem" \
  --private-key-file "$work/client.key" >/dev/null || bad "installing the client certificate failed"
"$sphere" device wifi reload-config >/dev/null
until_ok 5 corp_diag && grep -q CertificateNotFound "$work/diag" && grep -q corpca "$work/diag" && ok \
  || bad "EAP-TLS with the client certificate but not its root CA: $(cat "$work/diag")"
"$sphere" device certificate add --cert-id corpca --cert-type rootca --public-key-file "$work/ca.pem" >/dev/null \
  || bad "installing the root CA failed"
"$sphere" device wifi reload-config >/dev/null
until_ok 5 status_is connected && [ "$(jget "$work/status" ssid)" = Corp ] && ok \
  || bad "EAP-TLS with both certificates installed did not connect: $(cat "$work/status")"
"$sphere" device wifi forget --id 1 >/dev/null && "$sphere" device certificate delete --cert-id corpca >/dev/null \
  && "$sphere" device certificate delete --cert-id corpclient >/dev/null || bad "clean-up of the EAP-TLS network"

# ---- a damaged wifi.json stops the device, naming the file, the field and why ------------------
"$sphere" sim stop wf >/dev/null
cp "$dev/wifi.json" "$work/wifi.json.good"
sed -i 's/"psk": "cafe-secret"/"psk": "short"/' "$dev/wifi.json"
"$sphere" sim start wf > "$work/out" 2>&1; rc=$?
all=$(cat "$work/out" "$dev/sphered.log" 2>/dev/null)
[ $rc != 0 ] && echo "$all" | grep -q "wifi.json:[0-9]*:[0-9]*: networks\[0\].psk: must be 8-63" && ok \
  || bad "a damaged wifi.json: exit $rc, $(echo "$all" | tail -3)"
cp "$work/wifi.json.good" "$dev/wifi.json"
"$sphere" sim start wf >/dev/null && wifi_json list && [ "$(jget "$work/json" 0 ssid)" = Cafe ] && ok || bad "start after repair"

summary
