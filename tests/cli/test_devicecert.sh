#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_devicecert.sh SPHERE SOURCE_DIR — devices authenticate to the cloud with their device
# certificate (mutual TLS; docs/security.md "Device certificates", docs/deviceauth.md): a device's
# deviceauth.pem alone is a device identity; a device token with another device's certificate is
# refused (certificate-mismatch); another device's certificate without its key fails the TLS
# handshake; a certificate from another CA (same CN) is refused (untrusted-certificate), and so is
# a CA-issued certificate for a device no tenant knows, or one deleted; users need no certificate.
# Once a device has presented its certificate (sphered does from its creation on), its token alone
# is refused (certificate-required, in the audit log) while a device that never did keeps its token; `--device-token-fallback on`
# accepts the token alone again.
set -u
sphere=$1 src=$2
export OPENSPHERE_HOME=$(mktemp -d) OPENSPHERE_CONFIG_DIR=$(mktemp -d)
work=$(mktemp -d)
data=$work/data
. "$src/tests/cli/lib.sh"
. "$src/tests/lib/cloud.sh"
trap cloud_cleanup EXIT
out=$work/out err=$work/err
# dev_api CERT KEY TOKEN METHOD PATH — a request presenting CERT/KEY (files; "" for none)
dev_api() {
  local cert=$1 key=$2 tok=$3 m=$4 p=$5
  rm -f "$work/body"; touch "$work/body"
  curl -sS -o "$work/body" -w '%{http_code}' --cacert "$ca" ${cert:+--cert "$cert"} ${key:+--key "$key"} \
       ${tok:+-H "Authorization: Bearer $tok"} -X "$m" "$url$p" > "$work/code" 2>"$work/curl.err"
  echo "$(cat "$work/code") $(cat "$work/body")"
}
expect_dev() {
  local want=$1; shift
  local got; got=$(dev_api "$@")
  if [[ "$got" == $want ]]; then ok; else bad "$4 $5 with ${1:+cert $(basename "$1")}${3:+ and a token}: got '${got:0:200}', expected '$want'"; fi
}

# The device CA (security-service.ca.pem) appears with the first device; the service reads it at start.
run 0 sim create seed || exit 1
cloud_serve "$data" --tenant acme --tenant other || exit 1
run 0 login --cloud "$url" --token "$acme" --ca-cert "$ca"
for d in a b; do
  run 0 sim create "$d" --cloud "$url" -o json || exit 1
  declare "id_$d=$(jget "$out" deviceId)"
done
run 0 sim create c -o json && id_c=$(jget "$out" deviceId) # issued by the CA, never provisioned
id_a=$(echo "$id_a" | tr A-F a-f) id_b=$(echo "$id_b" | tr A-F a-f)
for d in a b c; do
  pem=$OPENSPHERE_HOME/devices/$d/deviceauth.pem
  openssl x509 -in "$pem" -out "$work/$d.crt" && openssl pkey -in "$pem" -out "$work/$d.key" || bad "cannot split $pem"
done
tok_a=$(jget "$OPENSPHERE_HOME/devices/a/cloud/cloud.json" token)
# A token-only device (provisioned like `sphere sim fleet` does, it never shows a certificate).
id_t=$(head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n')
expect_api '201 *' "$acme" POST "/v1/devices/$id_t/token" -H "Content-Type: application/json" -d '{}'
tok_t=$(jget "$work/body" token)

# ---- a device by its certificate ---------------------------------------------------------------
expect_dev "200 *\"kind\":\"device\"*\"subject\":\"$id_a\"*" "$work/a.crt" "$work/a.key" "" GET /v1/whoami
expect_dev "200 *\"subject\":\"$id_b\"*" "$work/b.crt" "$work/b.key" "" GET /v1/whoami
expect_dev '403 *forbidden*' "$work/a.crt" "$work/a.key" "" GET /v1/products # a device, not a user
expect_dev "200 *\"subject\":\"$id_a\"*" "$work/a.crt" "$work/a.key" "$tok_a" GET /v1/whoami # token + own certificate
# ---- a's certificate is on record: its token alone is refused; b (never showed one) keeps its token
expect_dev '401 *certificate-required*' "" "" "$tok_a" GET /v1/whoami
expect_dev '401 *certificate-required*' "" "" "$tok_a" GET /v1/device/ota
expect_dev '401 *certificate-required*' "" "" "$tok_a" POST /v1/device/checkin
expect_dev "200 *\"subject\":\"$id_t\"*" "" "" "$tok_t" GET /v1/whoami
expect_dev '200 *' "" "" "$tok_t" GET /v1/device/ota
has "$work/cloud.log" "audit: device ${id_a:0:16}... of tenant"
has "$work/cloud.log" "presented its certificate: on record, its token alone is refused from now on"
has "$work/cloud.log" "refused GET /v1/device/ota (401 certificate-required) to device ${id_a:0:16}... of tenant"

# ---- another device's certificate --------------------------------------------------------------
expect_dev '401 *certificate-mismatch*' "$work/b.crt" "$work/b.key" "$tok_a" GET /v1/whoami
# Presenting A's certificate takes A's key (TLS CertificateVerify): with B's key it goes nowhere.
got=$(dev_api "$work/a.crt" "$work/b.key" "" GET /v1/whoami)
if [[ "$got" != 2* ]]; then ok; else bad "A's certificate with B's key was accepted: ${got:0:200}"; fi
echo "A's certificate with B's key: ${got:0:3} $(head -1 "$work/curl.err")"

# ---- certificates the service must not trust ---------------------------------------------------
# A's certificate re-signed by a key of our own: same subject (CN = A's ID) and client EKU, another CA.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/rogue.key" 2>/dev/null
openssl x509 -in "$work/a.crt" -signkey "$work/rogue.key" -days 30 -out "$work/rogue.crt" 2>/dev/null
openssl x509 -in "$work/rogue.crt" -noout -subject | grep -qi "$id_a" && ok || bad "could not make the foreign CA's certificate"
# (refused in the TLS handshake, or by the service's own check of the chain: never a 2xx)
for tok in "" "$tok_a"; do
  got=$(dev_api "$work/rogue.crt" "$work/rogue.key" "$tok" GET /v1/whoami)
  if [[ "$got" == 000* || "$got" == "401 "*untrusted-certificate* ]]; then ok
  else bad "a foreign CA's certificate for A's ID (token: ${tok:+yes}) got: ${got:0:200}"; fi
done
echo "a foreign CA's certificate: ${got:0:3} $(head -1 "$work/curl.err")"
expect_dev '401 *unknown-device*' "$work/c.crt" "$work/c.key" "" GET /v1/whoami
# users need no certificate
expect_api '200 *"kind":"user"*' "$acme" GET /v1/whoami
# ---- the device's own agent presents its certificate with its token ----------------------------
api "$acme" POST "/v1/devices/$id_a/claim" -H "Content-Type: application/json" -d '{}' >/dev/null
run 0 sim start a
checked_in() { api "$acme" GET "/v1/devices/$id_a" >/dev/null; [ "$(jget "$work/body" lastCheckIn)" != null ]; }
until_ok 15 checked_in && ok || bad "device a's agent never checked in with its certificate and token: $(cat "$work/body")"
run 0 sim stop a
# b's agent holding a's token: the certificate it presents (b's) gives it away
python3 - "$OPENSPHERE_HOME/devices/b/cloud/cloud.json" "$tok_a" <<'PY'
import json, sys
p, tok = sys.argv[1], sys.argv[2]
c = json.load(open(p)); c["token"] = tok; json.dump(c, open(p, "w"))
PY
run 0 sim start b
if until_ok 15 grep -q "refused POST /v1/device/[a-z]* (401 certificate-mismatch)" "$work/cloud.log"; then ok
else bad "b's agent with a's token was not refused: $(grep audit "$work/cloud.log" | tail -3)"; fi
run 0 sim stop b
# a deleted device's certificate stops working
run 0 device delete --device-id "$id_b"
expect_dev '401 *unknown-device*' "$work/b.crt" "$work/b.key" "" GET /v1/whoami

has "$work/cloud.log" "(401 certificate-mismatch)"
has "$work/cloud.log" "(401 untrusted-certificate) to an unauthenticated caller"
cloud_stop

# ---- the explicit fallback: --device-token-fallback on accepts a's token alone again -------------
cloud_serve "$data" --tenant acme --tenant other --device-token-fallback on || exit 1
expect_dev "200 *\"subject\":\"$id_a\"*" "" "" "$tok_a" GET /v1/whoami
expect_dev "200 *\"subject\":\"$id_a\"*" "$work/a.crt" "$work/a.key" "$tok_a" GET /v1/whoami
cloud_stop
# and off again (the default): refused, the record survived the restart
cloud_serve "$data" --tenant acme --tenant other || exit 1
expect_dev '401 *certificate-required*' "" "" "$tok_a" GET /v1/whoami
cloud_stop
summary
