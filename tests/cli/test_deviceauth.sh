#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_deviceauth.sh SPHERE SOURCE_DIR — device authentication end to end (docs/deviceauth.md):
# `sphere sim create` has the simulated security service issue the device its certificate
# (CN = device ID, chained to security-service.ca.pem); examples/deviceauth_tls, built with the
# SDK's presets against wolfSSL and tlsutils, reads its device ID from the certificate and does
# mutual TLS with `openssl s_server -Verify 1` on 127.0.0.1, which sees the device ID; a server
# that does not trust the CA refuses it; an app without DeviceAuthentication has no certificate;
# a libcurl app presents the certificate through DeviceAuth_CurlSslFunc, and is refused without it.
set -u
sphere=$1 src=$2
. "$src/tests/cli/lib.sh"
device_test_env # $bin, $sdk; new temporary $OPENSPHERE_HOME and $work
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  "$sphere" sim stop daa >/dev/null 2>&1; rm -rf "$work" "$OPENSPHERE_HOME"
}
trap cleanup EXIT
ex=$src/examples/deviceauth_tls
CID=d4e5f6a7-1b2c-4d3e-8f9a-0b1c2d3e4f5a
ca=$OPENSPHERE_HOME/security-service.ca.pem

app_log_has() { "$sphere" device app log -i "$1" > "$work/log" 2>&1; grep -qF -- "$2" "$work/log"; }
app_has() { if until_ok "${3:-10}" app_log_has "$1" "$2"; then ok; else bad "app $1 never logged '$2'"; grep -E "DEVICEAUTH|DAACURL" "$work/log" | tail -4; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# serve PORT CAFILE [EXTRA...] — one openssl s_server requiring a client certificate that CAFILE
# verifies (-verify_return_error: without it s_server only reports a failed check), in the background
# (its standard input is a FIFO this shell holds open: it never sees end of file)
serve() {
  local port=$1 cafile=$2; shift 2
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -p "$work/stdin" ] || { mkfifo "$work/stdin" && exec 7<>"$work/stdin"; }
  openssl s_server -accept "127.0.0.1:$port" -cert "$ex/server/server.pem" -key "$ex/server/server.key" \
    -Verify 1 -verify_return_error -CAfile "$cafile" "$@" <&7 >"$work/server.log" 2>&1 &
  server_pid=$!
  until_ok 5 grep -q ACCEPT "$work/server.log" || bad "openssl s_server did not start: $(cat "$work/server.log")"
}
# build DIR — builds an example copy with the SDK's ARM-Debug preset
build() {
  (cd "$1" && AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere cmake --preset ARM-Debug >"$work/build.log" 2>&1 \
    && cmake --build out/ARM-Debug >>"$work/build.log" 2>&1)
}

# ---- the device's certificate --------------------------------------------------------------
"$sphere" sim create daa -o json >"$work/create.json" || { echo "cannot create a simulated device"; exit 1; }
id=$(jget "$work/create.json" deviceId)
state=$(jget "$work/create.json" stateDirectory)
check "sim create issues deviceauth.pem (mode 600)" '[ "$(stat -c %a "$state/deviceauth.pem")" = 600 ]'
check "the CA file exists beside the security service's key" '[ -f "$ca" ]'
check "the certificate chains to the security service's CA" 'openssl verify -CAfile "$ca" "$state/deviceauth.pem" >/dev/null 2>&1'
check "its subject CN is the device ID" \
  'openssl x509 -in "$state/deviceauth.pem" -noout -subject -nameopt RFC2253 | grep -qx "subject=CN=$id"'
check "it is a client-authentication certificate" \
  'openssl x509 -in "$state/deviceauth.pem" -noout -ext extendedKeyUsage | grep -q "Client Authentication"'
check "the CA has the capability signer's key" \
  '[ "$(openssl x509 -in "$ca" -noout -pubkey)" = "$(openssl x509 -in "$OPENSPHERE_HOME/security-service.cert.pem" -noout -pubkey)" ]'
check "the CA is a CA" 'openssl x509 -in "$ca" -noout -ext basicConstraints | grep -q "CA:TRUE"'
"$sphere" sim start daa >/dev/null && "$sphere" device enable-development -d daa >/dev/null || { echo "cannot start the device"; exit 1; }

# ---- the wolfSSL example: device ID and mutual TLS ----------------------------------------------
port=$(free_port)
cp -r "$ex" "$work/tls" && rm -rf "$work/tls/out"
sed -i "s/\"4433\"/\"$port\"/" "$work/tls/app_manifest.json"
if build "$work/tls"; then ok; else bad "examples/deviceauth_tls does not build with the SDK (wolfSSL, tlsutils)"; tail -20 "$work/build.log"; summary; exit 1; fi
serve "$port" "$ca" -naccept 1
"$sphere" device sideload deploy -d daa -p "$work/tls/out/ARM-Debug/DeviceAuthTls.imagepackage" >/dev/null || bad "deploy failed"
app_has $CID "DEVICEAUTH id $id"
app_has $CID "DEVICEAUTH tls ok"
check "the server verified the device's certificate" 'until_ok 5 grep -q "^depth=0 CN = $id" "$work/server.log" && grep -q "verify return:1" "$work/server.log"'
check "the server got the app's data over TLS" 'until_ok 5 grep -aq "hello from $id" "$work/server.log"'

# a server that trusts another CA refuses the device
serve "$port" "$ex/certs/server-ca.pem" -naccept 1
"$sphere" device app stop -d daa -i $CID >/dev/null && "$sphere" device app start -d daa -i $CID >/dev/null
app_has $CID "DEVICEAUTH tls FAIL: handshake failed"
check "the untrusting server saw no verified client" '! grep -aq "hello from" "$work/server.log"'

# ---- an app without DeviceAuthentication has no certificate -------------------------------------
cp -r "$ex" "$work/nodaa" && rm -rf "$work/nodaa/out"
sed -i '/"DeviceAuthentication"/d; s/"AllowedConnections": \[ "127.0.0.1" \],/"AllowedConnections": [ "127.0.0.1" ]/; s/d4e5f6a7-1b2c-4d3e-8f9a-0b1c2d3e4f5a/d4e5f6a7-1b2c-4d3e-8f9a-0b1c2d3e4f5b/' \
  "$work/nodaa/app_manifest.json"
if build "$work/nodaa" && "$sphere" device sideload deploy -d daa -p "$work/nodaa/out/ARM-Debug/DeviceAuthTls.imagepackage" >/dev/null; then
  app_has d4e5f6a7-1b2c-4d3e-8f9a-0b1c2d3e4f5b "DEVICEAUTH id FAIL: cannot read /run/daa/device.pem"
else bad "the app without DeviceAuthentication does not build or deploy"; tail -5 "$work/build.log"; fi

# ---- libcurl: DeviceAuth_CurlSslFunc presents the certificate ---------------------------------
curl_app() { # NAME CID MODE
  local dir=$work/$1
  mkdir -p "$dir/bin"
  cc -O1 -o "$dir/bin/app" "$src/tests/apps/daacurl.c" -isystem "$sdk/Sysroots/17/usr/include" -L"$sdk/Sysroots/17/usr/lib" \
    -lapplibs -ltlsutils -lcurl || { bad "cannot build daacurl"; return 1; }
  cp "$ex/certs/server-ca.pem" "$dir/server-ca.pem"
  printf '{"SchemaVersion":1,"Name":"%s","ComponentId":"%s","EntryPoint":"/bin/app","CmdArgs":["https://127.0.0.1:%s/","server-ca.pem","%s"],"Capabilities":{"AllowedConnections":["127.0.0.1"],"DeviceAuthentication":"77304f1f-9530-4157-8598-30bc1f3d66f0"}}' \
    "$1" "$2" "$port" "$3" > "$dir/app_manifest.json"
  "$sphere" image-package pack-application --package-directory "$dir" --destination "$work/$1.ip" >/dev/null \
    && "$sphere" device sideload deploy -d daa -p "$work/$1.ip" >/dev/null || bad "deploying $1 failed"
}
serve "$port" "$ca" -www
curl_app daacurl d4e5f6a7-0000-4000-8000-00000000c0a1 daa
app_has d4e5f6a7-0000-4000-8000-00000000c0a1 "DAACURL daa ok 200"
check "SslCtxFunc on a NULL context: certificate error (2)" 'grep -q "DAACURL null-context 2" "$work/log"'
curl_app nodaacurl d4e5f6a7-0000-4000-8000-00000000c0a2 none
app_has d4e5f6a7-0000-4000-8000-00000000c0a2 "DAACURL none fail"

summary
