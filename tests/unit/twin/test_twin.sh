#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_twin.sh SPHERE — the device twin end to end (docs/twin.md): `sphere cloud init` prepares a
# data folder with DATA/mqtt, `sphere cloud serve` runs Debian's mosquitto on a free 127.0.0.1 port
# as its child, and mosquitto_sub/mosquitto_pub play the devices: a device gets its retained
# desired state, sees nothing of another device's, cannot write another device's reported state;
# its reported state is stored and shown (API and CLI); bad payloads are ignored and logged;
# anonymous, wrong and re-issued passwords are refused; a broker that dies is restarted and gets
# the desired states again; stopping (or killing) the service stops its broker; `sphere cloud
# clean` refuses without --yes-delete, on a foreign folder and while serving, then lists and
# deletes. Prints "N passed, N failed". Rerun: bash tests/unit/twin/test_twin.sh build/bin/sphere
set -u
sphere=$1
export OPENSPHERE_HOME=$(mktemp -d) OPENSPHERE_CONFIG_DIR=$(mktemp -d)
work=$(mktemp -d)
data=$work/data src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
. "$src/tests/cli/lib.sh"
. "$src/tests/lib/cloud.sh"
trap cloud_cleanup EXIT
trap 'exit 130' INT; trap 'exit 143' TERM # signals too: bash runs the EXIT trap only when it exits
out=$work/out err=$work/err
broker_pid() { pgrep -P "$cloud_pid" -x mosquitto; }
serve() { cloud_serve "$data" --tenant acme --tenant other "$@"; } # sets cloud_pid, url, ca, acme, other

A=$(printf 'a%.0s' $(seq 128)) B=$(printf 'b%.0s' $(seq 128)) C=$(printf 'c%.0s' $(seq 128))
topic() { echo "opensphere/devices/$1/twin/$2"; }

# ---- init ----------------------------------------------------------------------------------
mport=$(free_port)
run 0 cloud init --data "$data" --mqtt-listen "127.0.0.1:$mport" --tenant acme --tenant other && has "$out" "127.0.0.1:$mport"
for f in cloud.db tls.cert.pem tokens/acme.token .opensphere-cloud mqtt/mosquitto.conf mqtt/passwd mqtt/acl mqtt/service.secret; do
  check "init did not create $f" "[ -e '$data/$f' ]"
done
check "service.secret is not 0600" "[ \"\$(stat -c %a '$data/mqtt/service.secret')\" = 600 ]"
check "passwd is not 0600" "[ \"\$(stat -c %a '$data/mqtt/passwd')\" = 600 ]"
has "$data/mqtt/mosquitto.conf" "listener $mport 127.0.0.1"
has "$data/mqtt/mosquitto.conf" "allow_anonymous false"
has "$data/mqtt/acl" "pattern read opensphere/devices/%u/twin/desired"
has "$data/mqtt/acl" "pattern write opensphere/devices/%u/twin/reported"
has "$data/mqtt/acl" "pattern read opensphere/devices/%u/commands"
check "the ACL grants devices more than their three topics" \
  "[ \"\$(grep -v '^#' '$data/mqtt/acl' | grep -c '^pattern\|^topic')\" = 4 ]"
has "$data/mqtt/passwd" 'opensphere-cloud:$7$101$'
run 2 cloud init --data "$work/x" --mqtt-listen "127.0.0.1" && has "$err" "--mqtt-listen must be ADDR:PORT"

# ---- clean's refusals ----------------------------------------------------------------------
run 1 cloud clean "$data" && has "$err" "without --yes-delete"
mkdir -p "$work/notcloud/keep" && run 1 cloud clean --yes-delete "$work/notcloud" && has "$err" "not a cloud data folder"
check "clean touched a foreign folder" "[ -d '$work/notcloud/keep' ]"

# ---- serve: the broker as a child ----------------------------------------------------------
serve || exit 1
bpid=$(broker_pid)
check "no mosquitto child of the service" "[ -n '$bpid' ]"
has "$work/cloud.log" "connected to the MQTT broker 127.0.0.1:$mport"
has "$data/mqtt/mosquitto.run.conf" "listener $mport 127.0.0.1"
has "$data/mqtt/mosquitto.run.conf" "certfile $data/tls.cert.pem"
check "mosquitto.run.conf is not 0600" "[ \"\$(stat -c %a '$data/mqtt/mosquitto.run.conf')\" = 600 ]"
run 1 cloud clean --yes-delete "$data" && has "$err" "is running"
check "clean deleted something while serving" "[ -f '$data/cloud.db' ]"

# Devices become known to a tenant when provisioned.
expect_api '201 *' "$acme" POST "/v1/devices/$A/token"
expect_api '201 *' "$acme" POST "/v1/devices/$B/token"
expect_api '201 *' "$other" POST "/v1/devices/$C/token"
expect_api '404 *no-such-device*' "$acme" GET "/v1/devices/$C/twin"
expect_api '404 *no-such-device*' "$acme" POST "/v1/devices/$C/mqtt-credentials"
expect_api '400 *bad-device-id*' "$acme" GET "/v1/devices/xyz/twin"
expect_api '405 *' "$acme" GET "/v1/devices/$A/mqtt-credentials"
expect_api '200 *"desired":null*"reported":null*' "$acme" GET "/v1/devices/$A/twin"
api "$acme" POST "/v1/devices/$A/token" >/dev/null; dtok=$(jget "$work/body" token)
expect_api '403 *' "$dtok" GET "/v1/devices/$A/twin"   # a device's token is not a user's

# Desired state: an object of at most 4 KiB, stored and published (before the device ever connects).
expect_api '400 *bad-desired*' "$acme" PUT "/v1/devices/$A/twin/desired" -H "Content-Type: application/json" -d '[1]' 
big=$(python3 -c 'print("{\"x\":\"" + "y"*5000 + "\"}")')
expect_api '400 *bad-desired*larger than 4096*' "$acme" PUT "/v1/devices/$A/twin/desired" -H "Content-Type: application/json" -d "$big"
desired='{"version":7,"size":1234,"url":"https://127.0.0.1/x","sha256":"00","signature":"s","product":"p","deploymentId":"d"}'
expect_api '200 *"published":true*' "$acme" PUT "/v1/devices/$A/twin/desired" -H "Content-Type: application/json" -d "$desired"
expect_api '200 *' "$acme" PUT "/v1/devices/$B/twin/desired" -H "Content-Type: application/json" -d '{"version":99}' 

# ---- credentials ---------------------------------------------------------------------------
run 0 login --cloud "$url" --token "$acme" --ca-cert "$ca"
run 0 device twin credentials -d "$A" --out "$work/a.json" && has "$out" "mode 0600"
check "credentials file is not 0600" "[ \"\$(stat -c %a '$work/a.json')\" = 600 ]"
check "credentials: wrong username" "[ \"\$(jget '$work/a.json' username)\" = '$A' ]"
check "credentials: wrong port" "[ \"\$(jget '$work/a.json' port)\" = '$mport' ]"
check "credentials: not TLS" "[ \"\$(jget '$work/a.json' tls)\" = true ]"
check "credentials: wrong desiredTopic" "[ \"\$(jget '$work/a.json' desiredTopic)\" = '$(topic "$A" desired)' ]"
check "credentials: wrong reportedTopic" "[ \"\$(jget '$work/a.json' reportedTopic)\" = '$(topic "$A" reported)' ]"
pa=$(jget "$work/a.json" password)
expect_api '201 *' "$acme" POST "/v1/devices/$B/mqtt-credentials"
pb=$(jget "$work/body" password)

# as USER PASS: mosquitto_sub/pub connection options for a device
# (MQTT over TLS: the broker serves the service's certificate, $ca, for 127.0.0.1)
mqtt_tls=(--cafile "$ca")
sub() { local u=$1 p=$2 t=$3; shift 3; timeout 10 mosquitto_sub "${mqtt_tls[@]}" -h 127.0.0.1 -p "$mport" -u "$u" -P "$p" -i "$u" -t "$t" -C 1 -W 2 "$@" 2>"$work/sub.err"; }
pub() { local u=$1 p=$2 t=$3; shift 3; timeout 10 mosquitto_pub "${mqtt_tls[@]}" -h 127.0.0.1 -p "$mport" -u "$u" -P "$p" -i "$u" -q 1 -t "$t" "$@" 2>"$work/pub.err"; }
# A password change takes effect when mosquitto has reloaded (SIGHUP): retry for up to 3 s.
sub_retry() { local got=""; for i in $(seq 15); do got=$(sub "$@") && [ -n "$got" ] && break; sleep 0.2; done; echo "$got"; }

# ---- a device's own topics, and nothing else -----------------------------------------------
got=$(sub_retry "$A" "$pa" "$(topic "$A" desired)")
check "A did not get its retained desired state (got '$got')" "[ '$got' = '$desired' ]"
got=$(sub "$A" "$pa" "$(topic "$B" desired)")
check "A read B's desired state ('$got')" "[ -z '$got' ]"
got=$(sub "$A" "$pa" "opensphere/devices/#" -C 5)
check "A read more than its own desired state under opensphere/devices/# ('$got')" "[ '$got' = '$desired' ]"
got=$(sub "$B" "$pb" "$(topic "$B" desired)")
check "B did not get its desired state ('$got')" "[ '$got' = '{\"version\":99}' ]"

pub "$A" "$pa" "$(topic "$B" reported)" -m '{"status":"applied","appliedVersion":666}'
pub "$A" "$pa" "$(topic "$A" reported)" -m '{"status":"downloading","targetVersion":7,"bytesDone":10,"size":1234}'
reported() { api "$acme" GET "/v1/devices/$1/twin" >/dev/null; jget "$work/body" reported; }
for i in $(seq 40); do [ "$(reported "$A")" != null ] && break; sleep 0.05; done
check "A's reported state was not stored ('$(reported "$A")')" \
  "[ '$(reported "$A")' = '{\"status\":\"downloading\",\"targetVersion\":7,\"bytesDone\":10,\"size\":1234}' ]"
check "A wrote B's reported state" "[ '$(reported "$B")' = null ]"
run 0 device twin show -d "$A" && has "$out" '"status": "downloading"' && has "$out" '"version": 7'
run 0 device twin show -d "$A" -o json
check "twin show -o json: reported" "[ \"\$(jget '$out' reported status)\" = downloading ]"
check "twin show -o json: desired" "[ \"\$(jget '$out' desired version)\" = 7 ]"

# ---- bad reported payloads: ignored, logged, the service lives on ---------------------------
pub "$A" "$pa" "$(topic "$A" reported)" -m 'not json'
pub "$A" "$pa" "$(topic "$A" reported)" -m '[1,2,3]'
pub "$A" "$pa" "$(topic "$A" reported)" -m "$big"
for i in $(seq 40); do [ "$(grep -c 'ignored the reported state' "$work/cloud.log")" -ge 3 ] && break; sleep 0.05; done
has "$work/cloud.log" "ignored the reported state of device ${A:0:16}...: not JSON"
has "$work/cloud.log" "not an object"
has "$work/cloud.log" "larger than 4096"
check "the service died on bad payloads" "kill -0 $cloud_pid"
check "a bad payload replaced the stored state" "[ \"\$(reported '$A' | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"status\"])')\" = downloading ]"

# ---- refused connections -------------------------------------------------------------------
timeout 10 mosquitto_sub --cafile "$ca" -h 127.0.0.1 -p "$mport" -t '#' -C 1 -W 2 >"$out" 2>"$err"
check "an anonymous client connected" "[ \$? -ne 0 ] && grep -q 'not authorised' '$err'"
# Without TLS, or trusting another certificate, a device with the right password gets nothing.
timeout 10 mosquitto_sub -h 127.0.0.1 -p "$mport" -u "$A" -P "$pa" -i "$A" -t "$(topic "$A" desired)" -C 1 -W 2 >"$out" 2>"$err"
code=$?
check "a plain MQTT client (no TLS) connected or read (exit $code)" "[ $code -ne 0 ] && [ ! -s '$out' ]"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$work/rogue.key" -out "$work/rogue.pem" 2>/dev/null
timeout 10 mosquitto_sub --cafile "$work/rogue.pem" -h 127.0.0.1 -p "$mport" -u "$A" -P "$pa" -i "$A" -t "$(topic "$A" desired)" \
  -C 1 -W 2 >"$out" 2>"$err"
code=$?
check "a client trusting another certificate connected (exit $code: $(cat "$err"))" "[ $code -ne 0 ] && [ ! -s '$out' ] && grep -q 'TLS error' '$err'"
sub "$A" "wrong-password" "$(topic "$A" desired)" >"$out"
check "a wrong password connected" "[ \$? -ne 0 ] && grep -q 'not authorised' '$work/sub.err' && [ ! -s '$out' ]"
sub "$A" "$pb" "$(topic "$A" desired)" >"$out"
check "A connected with B's password" "[ \$? -ne 0 ] && [ ! -s '$out' ]"

# ---- re-issued credentials: the old password stops working ---------------------------------
# (mosquitto re-checks connected clients when it reloads: one still on the old password is cut off)
timeout 10 mosquitto_sub --cafile "$ca" -h 127.0.0.1 -p "$mport" -u "$A" -P "$pa" -i "$A" -t "$(topic "$A" desired)" >/dev/null 2>"$work/old.err" &
old_sub=$!
sleep 0.5
run 0 device twin credentials -d "$A"
wait $old_sub; code=$?
check "a device connected with the old password stayed connected (exit $code)" "[ $code -ne 0 ] && [ $code -ne 124 ]"
pa2=$(jget "$out" password)
check "re-issue gave the same password" "[ '$pa2' != '$pa' ]"
got=$(sub_retry "$A" "$pa2" "$(topic "$A" desired)")
check "the new password does not work ('$got')" "[ '$got' = '$desired' ]"
sub "$A" "$pa" "$(topic "$A" desired)" >"$out"
check "the old password still works" "[ \$? -ne 0 ] && [ ! -s '$out' ]"
pa=$pa2

# ---- a live device gets a new desired state ------------------------------------------------
timeout 10 mosquitto_sub --cafile "$ca" -h 127.0.0.1 -p "$mport" -u "$A" -P "$pa" -i "$A" -t "$(topic "$A" desired)" -C 2 -W 5 >"$work/live" 2>&1 &
live=$!
sleep 0.5
expect_api '200 *' "$acme" PUT "/v1/devices/$A/twin/desired" -H "Content-Type: application/json" -d '{"version":8}' 
wait $live
check "the subscribed device did not get the new desired state ($(tr '\n' ' ' <"$work/live"))" "[ \"\$(tail -1 '$work/live')\" = '{\"version\":8}' ]"

# ---- the broker dies: reported, restarted, desired states published again ------------------
kill -9 "$bpid"
for i in $(seq 100); do nb=$(broker_pid) && [ -n "$nb" ] && [ "$nb" != "$bpid" ] && break; sleep 0.05; done
check "the broker was not restarted" "[ -n '$nb' ] && [ '$nb' != '$bpid' ]"
has "$work/cloud.log" "was killed by signal 9"
got=$(sub_retry "$A" "$pa" "$(topic "$A" desired)")
check "after a broker restart A's desired state is not there ('$got')" "[ '$got' = '{\"version\":8}' ]" || tail -5 "$work/cloud.log"
bpid=$nb

# ---- stopping the service stops its broker -------------------------------------------------
cloud_stop
for i in $(seq 50); do kill -0 "$bpid" 2>/dev/null || break; sleep 0.1; done
check "mosquitto ($bpid) outlived the service" "! kill -0 $bpid 2>/dev/null"
check "cloud.pid left behind" "[ ! -f '$data/cloud.pid' ]"

# Killed outright (no clean-up code runs): the broker still goes (PR_SET_PDEATHSIG).
serve || exit 1
bpid=$(broker_pid)
check "no broker after restart" "[ -n '$bpid' ]"
expect_api '200 *"reported":{"status":"downloading"*' "$acme" GET "/v1/devices/$A/twin"
cloud_stop KILL
for i in $(seq 50); do kill -0 "$bpid" 2>/dev/null || break; sleep 0.1; done
check "mosquitto ($bpid) outlived a killed service" "! kill -0 $bpid 2>/dev/null"

# ---- an external broker (--mqtt-broker) ----------------------------------------------------
mosquitto -c "$data/mqtt/mosquitto.conf" 2>>"$work/ext.log" &
ext=$!
for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$mport) 2>/dev/null && break; sleep 0.05; done
serve --mqtt-broker "127.0.0.1:$mport" || exit 1
check "the service started a broker although given --mqtt-broker" "[ -z \"\$(broker_pid)\" ]"
expect_api '201 *"tls":false*"brokerReloaded":false*"note":*reload*' "$acme" POST "/v1/devices/$B/mqtt-credentials"
mqtt_tls=() # an external broker run from the plain mosquitto.conf
pb=$(jget "$work/body" password)
kill -HUP "$ext"
got=$(sub_retry "$B" "$pb" "$(topic "$B" desired)")
check "B with the external broker: no desired state ('$got')" "[ '$got' = '{\"version\":99}' ]"
cloud_stop
check "the service stopped an external broker" "kill -0 $ext"
kill "$ext"; wait "$ext" 2>/dev/null

# ---- clean ---------------------------------------------------------------------------------
run 0 cloud clean --yes-delete "$data"
for f in cloud.db mqtt tokens tls.key.pem .opensphere-cloud; do has "$out" "deleting $data/$f"; done
check "clean left the folder" "[ ! -e '$data' ]"

if grep -l "ERROR: .*Sanitizer\|runtime error\|LeakSanitizer" "$work/cloud.log" 2>/dev/null; then
  bad "sanitizer reports"; grep -h -A12 "ERROR: .*Sanitizer\|runtime error" "$work/cloud.log" | head -40
else ok; fi
summary
