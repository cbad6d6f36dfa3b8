#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_secrets.sh SPHERE SOURCE_DIR — secrets at rest and in logs (docs/security.md, "Secrets"):
# sets up everything that makes the project write a secret (the simulator's signing keys, a
# device with its device-authentication key, a Wi-Fi PSK, a client certificate's key and its
# password in the certificate store, a cloud data folder with its TLS key, tenant tokens, the
# broker's password file and service secret, the OTA URL key, a login, a device provisioned with
# a cloud token, MQTT credentials written by the CLI), then finds every file under
# $OPENSPHERE_HOME, the cloud data folder and the config folder that holds a private key or one of
# those secret values — by content, not by name — and requires each to be readable by its owner
# only (no group or other bits). The same secrets must appear in no log (sphered's, the device
# log, the cloud service's). Prints each secret file with its mode.
set -u
sphere=$1 src=$2
export OPENSPHERE_HOME=$(mktemp -d) OPENSPHERE_CONFIG_DIR=$(mktemp -d)
work=$(mktemp -d)
data=$work/data
. "$src/tests/cli/lib.sh"
. "$src/tests/lib/cloud.sh"
trap cloud_cleanup EXIT
out=$work/out err=$work/err
umask 022 # what a user usually has: the project must not rely on a strict umask

mport=$(free_port)
run 0 cloud init --data "$data" --mqtt-listen "127.0.0.1:$mport" --tenant acme || exit 1
cloud_serve "$data" --tenant acme || exit 1
run 0 login --cloud "$url" --token "$acme" --ca-cert "$ca"
run 0 sim create sec --cloud "$url" -o json || exit 1
devid=$(jget "$out" deviceId)
run 0 sim start sec
psk=Secret-PSK-$RANDOM$RANDOM
run 0 device wifi add --ssid HomeNet --psk "$psk"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$work/client.key" -out "$work/client.pem" \
  -days 30 -subj /CN=client -passout pass:KeyPassword42 >/dev/null 2>&1
run 0 device certificate add --cert-id client1 --cert-type client --public-key-file "$work/client.pem" \
  --private-key-file "$work/client.key" --private-key-password KeyPassword42
run 0 device twin credentials -d "$devid" --out "$work/mqtt.json"
mqtt_pw=$(jget "$work/mqtt.json" password)
dev_token=$(jget "$OPENSPHERE_HOME/devices/sec/cloud/cloud.json" token 2>/dev/null || true)
service_secret=$(cat "$data/mqtt/service.secret" 2>/dev/null)
secrets=("$acme" "$psk" "$mqtt_pw" KeyPassword42 ${dev_token:+"$dev_token"} ${service_secret:+"$service_secret"})
echo "secrets: ${#secrets[@]} values (tenant token, Wi-Fi PSK, MQTT password, key password, device token, broker service secret)"
[ -n "$dev_token" ] && ok || bad "the provisioned device has no cloud token in cloud/cloud.json"

# ---- every file holding a secret is 0600 (or stricter) -----------------------------------------
checked=0
while IFS= read -r -d '' f; do
  holds=""
  grep -qa "PRIVATE KEY" "$f" && holds="a private key"
  for s in "${secrets[@]}"; do [ -z "$holds" ] && grep -qaF -- "$s" "$f" && holds="a secret value"; done
  [ -n "$holds" ] || continue
  case $f in *.log) continue;; esac # logs are checked below: they must hold no secret at all
  mode=$(stat -c %a "$f"); checked=$((checked + 1))
  echo "  secret file: ${f#$work/} ($holds) mode $mode"
  [ $((8#$mode & 8#077)) -eq 0 ] && ok || bad "$f holds $holds but has mode $mode"
done < <(find "$OPENSPHERE_HOME" "$data" "$OPENSPHERE_CONFIG_DIR" "$work/mqtt.json" -type f -print0)
echo "secret files: $checked, each readable by its owner only"
[ $checked -ge 10 ] && ok || bad "only $checked secret files found: the set-up did not write what it should"
# the folders that hold them are not listable by others either
for d in "$data/tokens" "$data/mqtt" "$OPENSPHERE_HOME/devices/sec/cloud"; do
  [ -d "$d" ] && { m=$(stat -c %a "$d"); [ $((8#$m & 8#007)) -eq 0 ] && ok || bad "$d has mode $m"; }
done

# ---- no secret in any log ----------------------------------------------------------------------
"$sphere" device app log -d sec > "$work/device.log" 2>&1
"$sphere" sim stop sec >/dev/null
cloud_stop
for l in "$work/device.log" "$work/cloud.log" "$OPENSPHERE_HOME"/devices/sec/*.log; do
  [ -f "$l" ] || continue
  for s in "${secrets[@]}"; do
    grep -qaF -- "$s" "$l" && bad "$(basename "$l") holds a secret (${s:0:6}...)" || ok
  done
done
summary
