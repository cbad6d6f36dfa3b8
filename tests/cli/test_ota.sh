#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_ota.sh SPHERE SRC — the external-MCU OTA flow end to end (docs/ota.md): a cloud with its
# MQTT broker, three simulated devices running OpenSphere's OTA agent (built with the SDK,
# sideloaded), a 4 MiB firmware deployed as version 5 to product Widget, group FieldTest.
# Both FieldTest devices must end with v5 verified on their SPI flash — one loses power in the
# middle of a flash operation during the download, and every device loses its network for 20 s —
# the Production device is untouched, and version 4 can never be deployed after it.
# The agents log in to the broker's device listener with their device certificates
# (/run/daa/device.pem) and the broker refuses every device password (--mqtt-passwords off): an
# agent enrolled for the password fallback is refused.
# Everything runs in a network namespace the test creates (unshare -n -m): the cloud and broker
# listen on 10.78.0.1 (scripts/ota_env.sh sets the stage), the agent's host names resolve through a private
# /etc/hosts bind-mounted there. Nothing outside is contacted.
sphere=$1 src=$2
devices="ft1 ft2 prod1"
. "$src/scripts/ota_env.sh"
ota_stage 512k --mqtt-device-listen 10.78.0.1:8883 --mqtt-passwords off
for d in ft1 ft2; do ota_device "$d" FieldTest; done
ota_device prod1 Production
for d in $devices; do
  until_ok 30 log_has "OtaAgent: connected to the twin at ota-mqtt.opensphere.test:8883 (TLS, device certificate)" -d "$d" && ok ||
    { bad "$d: the agent never reached its twin with its device certificate"; tail -5 "$logf"; }
  conf=$OPENSPHERE_HOME/devices/$d/storage/0e5a7c11-3f2b-4d6e-9a8c-6f1d2b3c4e01/mutable_storage
  jq -e '.certificatePort == 8883 and (has("password") | not)' "$conf" >/dev/null && ok ||
    bad "$d: the enrolled configuration is not a certificate login without a password: $(jq -c 'del(.otaPublicKey, .caCertificate)' "$conf")"
done

# ---- deploy v5, then a power cut inside a flash operation on ft1 and a 12 s network loss ---------------
head -c $((4 * 1024 * 1024)) /dev/urandom > "$work/fw5.bin"
head -c 1000 /dev/urandom > "$work/fw4.bin"
run 0 sim power-cut -d ft1 --after-flash-ops 3000 --seed 7
run 0 ota deploy "$work/fw5.bin" 5 Widget FieldTest -d 2
progress() { status_json && local b && b=$(row "$ID_ft2" bytesDone) && [ -n "$b" ] && [ "$b" != null ] && [ "$b" -ge 1000000 ]; }
until_ok 60 progress && ok || bad "ft2 never reported 1 MB downloaded: $(cat "$work/status.json")"
[ "$(row "$ID_ft2" status)" = downloading ] && ok || bad "ft2 is not downloading any more when the cable is cut"
# The cable is cut: the address leaves the network for 20 s (the agent gives a transfer up after 10 s
# without a byte; what the sockets had buffered still arrives first).
ip addr del 10.78.0.1/24 dev dum0; sleep 20; ip addr add 10.78.0.1/24 dev dum0
interrupted() { log_has "OtaAgent: interrupted" -d ft2; }
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
log_has "OtaAgent: verified" -d ft1; cp "$logf" "$work/ft1.log"
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

# An agent that does not trust the broker's certificate never talks to it (MQTT over TLS).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=ota-mqtt.opensphere.test" \
  -addext "subjectAltName=DNS:ota-mqtt.opensphere.test" -keyout "$work/rogue.key" -out "$work/rogue.pem" 2>/dev/null
run 0 ota enroll -d prod1 --ca "$work/rogue.pem"
twin_lines() { "$sphere" device app log -d prod1 2>/dev/null | grep -c "OtaAgent: connected to the twin"; }
before=$(twin_lines)
run 0 sim start prod1
until_ok 30 log_has "certificate verify failed" -d prod1 && ok ||
  bad "prod1 (trusting another certificate) did not refuse the broker: $(grep OtaAgent "$logf" | tail -3)"
[ "$(twin_lines)" = "$before" ] && ok || bad "prod1 connected to the twin although it does not trust the broker"
run 0 sim stop prod1

# The password fallback is explicit (--password-login) and, with --mqtt-passwords off, refused.
run 0 ota enroll -d prod1 --password-login
refused_password() { log_has "OtaAgent: MQTT connection refused: Connection Refused: not authorised" -d prod1; }
before=$(twin_lines)
run 0 sim start prod1
until_ok 30 refused_password && ok ||
  bad "prod1 (password login, passwords off) was not refused: $(grep OtaAgent "$logf" | tail -3)"
[ "$(twin_lines)" = "$before" ] && ok || bad "prod1 reached the twin with a password although passwords are off"
run 0 sim stop prod1

# No rollback: version 4 (or 5 again) cannot be deployed after 5.
run 1 ota deploy "$work/fw4.bin" 4 Widget FieldTest && grep -q "version-not-newer\|not newer" "$err" && ok ||
  bad "deploying v4 after v5 was not refused as not newer: $(cat "$err")"
run 1 ota deploy "$work/fw5.bin" 5 Widget FieldTest

summary
