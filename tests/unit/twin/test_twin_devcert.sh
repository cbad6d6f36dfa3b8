#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_twin_devcert.sh SPHERE — the twin broker's device-certificate listener (docs/twin.md,
# docs/security.md, issue 27): `sphere cloud serve --mqtt-device-listen` adds a listener that
# requires a certificate from the security service's CA and takes its CN (the device ID) as the
# MQTT user name. mosquitto_sub/pub play two simulated devices with their deviceauth.pem and the
# service user plays the cloud: a device reads its own desired state and commands and writes its
# reported state; it reads and writes nothing of the other device's; no certificate, and a
# certificate with the same CN from another CA, fail the handshake; the password listener stays
# a fallback, and with `--mqtt-passwords off` a device password is refused while the service
# itself and certificates still work; a simulated device's cloud agent (update-now) logs in with its
# certificate when the service names the device listener. Prints "N passed, N failed".
set -u
sphere=$1
export OPENSPHERE_HOME=$(mktemp -d) OPENSPHERE_CONFIG_DIR=$(mktemp -d)
work=$(mktemp -d)
data=$work/data src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
. "$src/tests/cli/lib.sh"
. "$src/tests/lib/cloud.sh"
trap cloud_cleanup EXIT
trap 'exit 130' INT; trap 'exit 143' TERM
out=$work/out err=$work/err
command -v mosquitto >/dev/null && command -v mosquitto_sub >/dev/null || { echo "SKIP: mosquitto is not installed"; exit 0; }

# Two devices with their certificates from the simulated security service (deviceauth.pem:
# certificate, CA certificate, key).
for d in a b; do
  run 0 sim create "$d" -o json || { summary; exit 1; }
  declare "id_$d=$(jget "$out" deviceId)"
  pem=$OPENSPHERE_HOME/devices/$d/deviceauth.pem
  openssl x509 -in "$pem" -out "$work/$d.crt" && openssl pkey -in "$pem" -out "$work/$d.key" || bad "cannot split $pem"
done
cn_a=$(openssl x509 -in "$work/a.crt" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p')
same "$cn_a" "$id_a" "device a's certificate CN"
# a's CN on a certificate the security service did not issue (self-signed with a key of its own).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/rogue.key" 2>/dev/null
openssl x509 -in "$work/a.crt" -signkey "$work/rogue.key" -days 30 -out "$work/rogue.crt" 2>/dev/null
openssl x509 -in "$work/rogue.crt" -noout -subject | grep -qi "$id_a" && ok || bad "could not make the foreign CA's certificate"

mport=$(free_port) dport=$(free_port)
run 0 cloud init --data "$data" --mqtt-listen "127.0.0.1:$mport" --tenant acme || { summary; exit 1; }
cloud_serve "$data" --tenant acme --mqtt-device-listen "127.0.0.1:$dport" --mqtt-passwords on || exit 1
has "$data/mqtt/mosquitto.run.conf" "listener $dport 127.0.0.1"
has "$data/mqtt/mosquitto.run.conf" "require_certificate true"
has "$data/mqtt/mosquitto.run.conf" "use_identity_as_username true"
secret=$(cat "$data/mqtt/service.secret")
topic() { echo "opensphere/devices/$1/$2"; }

# as the cloud (service user, password listener); as a device (CERT KEY, device listener)
svc_pub() { timeout 10 mosquitto_pub --cafile "$ca" -h 127.0.0.1 -p "$mport" -u opensphere-cloud -P "$secret" -q 1 "$@" 2>"$work/svc.err"; }
svc_sub() { timeout 10 mosquitto_sub --cafile "$ca" -h 127.0.0.1 -p "$mport" -u opensphere-cloud -P "$secret" -C 1 -W 3 "$@" 2>"$work/svc.err"; }
dev_sub() { local c=$1 k=$2; shift 2; timeout 10 mosquitto_sub --cafile "$ca" --cert "$c" --key "$k" -h 127.0.0.1 -p "$dport" -C 1 -W 2 "$@" 2>"$work/sub.err"; }
dev_pub() { local c=$1 k=$2; shift 2; timeout 10 mosquitto_pub --cafile "$ca" --cert "$c" --key "$k" -h 127.0.0.1 -p "$dport" -q 1 "$@" 2>"$work/pub.err"; }
sub_retry() { local got=""; for i in $(seq 15); do got=$(dev_sub "$@") && [ -n "$got" ] && break; sleep 0.2; done; echo "$got"; }

svc_pub -r -t "$(topic "$id_a" twin/desired)" -m '{"version":7}' && ok || bad "the service cannot publish: $(cat "$work/svc.err")"
svc_pub -r -t "$(topic "$id_b" twin/desired)" -m '{"version":99}'

# ---- a device by its certificate: its own topics ------------------------------------------------
got=$(sub_retry "$work/a.crt" "$work/a.key" -t "$(topic "$id_a" twin/desired)")
same "$got" '{"version":7}' "a's desired state over its certificate ($(cat "$work/sub.err"))"
got=$(dev_sub "$work/b.crt" "$work/b.key" -t "$(topic "$id_b" twin/desired)")
same "$got" '{"version":99}' "b's desired state over its certificate"
svc_sub -t "$(topic "$id_a" twin/reported)" > "$work/reported" &
spid=$!
sleep 0.5
dev_pub "$work/a.crt" "$work/a.key" -t "$(topic "$id_a" twin/reported)" -m '{"status":"applied","appliedVersion":7}'
wait "$spid"
same "$(cat "$work/reported")" '{"status":"applied","appliedVersion":7}' "a's reported state as the service sees it"

# ---- the twin end to end: the service addresses the certificate's CN (upper case) too -----------
lo_a=$(echo "$id_a" | tr A-F a-f)
expect_api '201 *' "$acme" POST "/v1/devices/$lo_a/token"
expect_api '200 *"published":true*' "$acme" PUT "/v1/devices/$lo_a/twin/desired" -H "Content-Type: application/json" \
  -d '{"version":8}'
got=$(sub_retry "$work/a.crt" "$work/a.key" -t "$(topic "$id_a" twin/desired)")
same "$got" '{"version":8}' "the desired state set through the API, over a's certificate"
dev_pub "$work/a.crt" "$work/a.key" -r -t "$(topic "$id_a" twin/reported)" -m '{"status":"applied","appliedVersion":8}'
reported() { api "$acme" GET "/v1/devices/$lo_a/twin" >/dev/null; jget "$work/body" reported; }
for i in $(seq 40); do [ "$(reported)" != null ] && break; sleep 0.05; done
same "$(reported)" '{"status":"applied","appliedVersion":8}' "a's reported state (over its certificate) in the store"
svc_pub -r -t "$(topic "$id_a" twin/reported)" -n # clear the retained report for what follows

# ---- sphered's cloud agent (update-now) logs in with its certificate --------------------------------
run 0 login --cloud "$url" --token "$acme" --ca-cert "$ca"
run 0 sim create c --cloud "$url" -o json && id_c=$(jget "$out" deviceId)
same "$(jget "$OPENSPHERE_HOME/devices/c/cloud/mqtt.json" certificatePort)" "$dport" "the device listener's port in c's mqtt.json"
run 0 sim start c
agent_log() { grep -q "$1" "$OPENSPHERE_HOME/devices/c/sphered.log"; }
until_ok 10 agent_log "logging in to the cloud's MQTT broker with the device certificate" && ok ||
  bad "c's agent does not log in with its certificate: $(tail -3 "$OPENSPHERE_HOME/devices/c/sphered.log")"
broker_saw_c() { grep -B1 "\.agent (.*u'$id_c')" "$data/mqtt/mosquitto.log" | grep -q "on port $dport\.$"; }
until_ok 10 broker_saw_c && ok || bad "the broker did not see c's agent on the device listener: $(tail -3 "$data/mqtt/mosquitto.log")"
sleep 0.5
svc_pub -t "$(topic "$id_c" commands)" -m '{"command":"checkIn"}'
until_ok 10 agent_log "the cloud asked for a check-in now" && ok || bad "c's agent did not get the check-in command"
run 0 sim stop c

# ---- another device's certificate: nothing of a's ----------------------------------------------
got=$(dev_sub "$work/b.crt" "$work/b.key" -t "$(topic "$id_a" twin/desired)")
same "$got" "" "b read a's desired state"
got=$(dev_sub "$work/b.crt" "$work/b.key" -t "opensphere/devices/#" -C 5)
same "$got" '{"version":99}' "b under opensphere/devices/#"
svc_sub -t "$(topic "$id_a" twin/reported)" > "$work/reported" &
spid=$!
sleep 0.5
dev_pub "$work/b.crt" "$work/b.key" -t "$(topic "$id_a" twin/reported)" -m '{"status":"applied","appliedVersion":666}'
wait "$spid"
same "$(cat "$work/reported")" "" "b wrote a's reported state"
# a's certificate takes a's key (CertificateVerify)
got=$(dev_sub "$work/a.crt" "$work/b.key" -t "$(topic "$id_a" twin/desired)")
same "$got" "" "a's certificate with b's key"

# ---- refused at the handshake --------------------------------------------------------------------
got=$(timeout 10 mosquitto_sub --cafile "$ca" -h 127.0.0.1 -p "$dport" -t '#' -C 1 -W 2 2>"$err")
same "$got" "" "no client certificate"
got=$(dev_sub "$work/rogue.crt" "$work/rogue.key" -t "$(topic "$id_a" twin/desired)")
same "$got" "" "a's CN from another CA"
check "the foreign certificate got past the handshake ($(cat "$work/sub.err"))" "! grep -qi 'Connection Refused: not authorised' '$work/sub.err'"
# a password on the device listener is no way in either
got=$(timeout 10 mosquitto_sub --cafile "$ca" -h 127.0.0.1 -p "$dport" -u opensphere-cloud -P "$secret" -t '#' -C 1 -W 2 2>"$err")
same "$got" "" "the service's password on the device listener"

# ---- the password fallback, and turning it off ---------------------------------------------------
# A device password, from the service's API (as `sphere ota enroll` gets it).
expect_api '201 *"brokerReloaded":true*' "$acme" POST "/v1/devices/$lo_a/mqtt-credentials"
pw=$(jget "$work/body" password)
pw_sub() { timeout 10 mosquitto_sub --cafile "$ca" -h 127.0.0.1 -p "$mport" -u "$lo_a" -P "$pw" -t "$(topic "$lo_a" twin/desired)" -C 1 -W 2 2>"$work/pw.err"; }
got=""; for i in $(seq 15); do got=$(pw_sub) && [ -n "$got" ] && break; sleep 0.2; done
same "$got" '{"version":8}' "the password fallback (passwords on)"
cloud_stop
cloud_serve "$data" --tenant acme --mqtt-device-listen "127.0.0.1:$dport" --mqtt-passwords off || exit 1
has "$data/mqtt/mosquitto.run.conf" "password_file $data/mqtt/passwd.service"
lacks "$data/mqtt/passwd.service" "$lo_a:"
got=$(pw_sub)
same "$got" "" "a device password with --mqtt-passwords off"
check "the password was not refused as not authorised ($(cat "$work/pw.err"))" "grep -qi 'not authori[sz]ed' '$work/pw.err'"
# the service itself still logs in with its password, and publishes
expect_api '200 *"published":true*' "$acme" PUT "/v1/devices/$lo_a/twin/desired" -H "Content-Type: application/json" \
  -d '{"version":9}'
got=$(sub_retry "$work/a.crt" "$work/a.key" -t "$(topic "$id_a" twin/desired)")
same "$got" '{"version":9}' "a's certificate with --mqtt-passwords off"
cloud_stop
# with a device listener and no --mqtt-passwords, passwords are off: the fallback is explicit
cloud_serve "$data" --tenant acme --mqtt-device-listen "127.0.0.1:$dport" || exit 1
has "$data/mqtt/mosquitto.run.conf" "password_file $data/mqtt/passwd.service"
got=$(pw_sub)
same "$got" "" "a device password with a device listener and no --mqtt-passwords"
got=$(sub_retry "$work/a.crt" "$work/a.key" -t "$(topic "$id_a" twin/desired)")
same "$got" '{"version":9}' "a's certificate by default"
cloud_stop
cloud_serve "$data" --tenant acme || exit 1
check "devices.conf left after a start without --mqtt-device-listen" "[ ! -e '$data/mqtt/devices.conf' ]"
check "passwd.service left after a start with passwords on" "[ ! -e '$data/mqtt/passwd.service' ]"
got=""; for i in $(seq 15); do got=$(pw_sub) && [ -n "$got" ] && break; sleep 0.2; done
same "$got" '{"version":9}' "the password fallback after passwords are on again"
summary
