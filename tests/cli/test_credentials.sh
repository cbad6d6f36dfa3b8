#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_credentials.sh SPHERE SOURCE_DIR — the cloud's credential lifecycle (docs/security.md):
# `sphere user list|create|revoke`, token expiry (--expires), `sphere token revoke`, and
# `sphere device delete --device-id` (its token, its broker password and twin go, its claim record
# is kept in deleted_devices; mosquitto drops its live session at once); every refusal and every
# revocation is in the service's log with who and what; no token ever is. Another tenant can
# neither see nor revoke nor delete.
set -u
sphere=$1 src=$2
export OPENSPHERE_HOME=$(mktemp -d) OPENSPHERE_CONFIG_DIR=$(mktemp -d)
work=$(mktemp -d)
data=$work/data
. "$src/tests/cli/lib.sh"
. "$src/tests/lib/cloud.sh"
trap cloud_cleanup EXIT
out=$work/out err=$work/err
log=$work/cloud.log
A=$(printf 'a%.0s' $(seq 128)) B=$(printf 'b%.0s' $(seq 128))
json=(-H "Content-Type: application/json")

mport=$(free_port)
run 0 cloud init --data "$data" --mqtt-listen "127.0.0.1:$mport" --tenant acme --tenant other || exit 1
cloud_serve "$data" --tenant acme --tenant other || exit 1
run 0 login --cloud "$url" --token "$acme" --ca-cert "$ca"

# ---- users -------------------------------------------------------------------------------------
run 0 user create --name alice -o json && alice=$(jget "$out" token) && alice_id=$(jget "$out" id)
run 0 user create --name bob --expires 2 -o json && bob=$(jget "$out" token)
check "bob's token has no expiry" '[ "$(jget "$out" expires)" != null ]'
run 0 user list && has "$out" alice && has "$out" bob && has "$out" owner
run 1 user create --name alice && has "$err" "user-exists"
run 1 user create --name carol --expires 0 && has "$err" "--expires must be"
expect_api '400 *bad-expiry*' "$acme" POST /v1/users "${json[@]}" -d '{"name":"dave","expiresInSeconds":-5}'
expect_api '200 *"kind":"user"*' "$alice" GET /v1/whoami
expect_api '200 *"kind":"user"*' "$bob" GET /v1/whoami
sleep 2.2
expect_api '401 *token-expired*' "$bob" GET /v1/whoami
expect_api '201 *' "$alice" POST /v1/users "${json[@]}" -d '{"name":"erin"}'
erin=$(jget "$work/body" token)
run 0 user revoke --user alice && has "$out" revoked
expect_api '401 *unauthenticated*' "$alice" GET /v1/whoami
run 1 user revoke --user alice && has "$err" "already-revoked"
run 1 user revoke --user nobody && has "$err" "unknown-user"
api "$acme" GET /v1/whoami >/dev/null; owner_id=$(jget "$work/body" subject)
run 1 user revoke --user "$owner_id" && has "$err" "cannot-revoke-self"
run 0 user list -o json && check "alice is not listed as revoked" "grep -A4 '\"name\": \"alice\"' '$out' | grep -q revoked"
# Another tenant cannot see or revoke acme's users.
expect_api '404 *unknown-user*' "$other" DELETE /v1/users/erin
expect_api '200 *' "$other" GET /v1/users && lacks "$work/body" erin

# ---- tokens ------------------------------------------------------------------------------------
echo "$erin" > "$work/erin.token"
expect_api '404 *unknown-token*' "$other" POST /v1/tokens/revoke "${json[@]}" -d "{\"token\":\"$erin\"}"
run 0 token revoke --token-file "$work/erin.token" && has "$out" user
expect_api '401 *' "$erin" GET /v1/whoami
run 1 token revoke --token "$erin" && has "$err" "unknown-token"
run 1 token revoke --token not-a-token && has "$err" "bad-token"

# ---- devices -----------------------------------------------------------------------------------
expect_api '201 *' "$acme" POST "/v1/devices/$A/token"; dtok=$(jget "$work/body" token)
expect_api '201 *' "$acme" POST "/v1/devices/$B/token"
expect_api '201 *' "$acme" POST "/v1/devices/$A/claim" "${json[@]}" -d '{}'
expect_api '200 *' "$acme" PUT "/v1/devices/$A/twin/desired" -H "Content-Type: application/json" -d '{"version":1}'
expect_api '201 *' "$acme" POST "/v1/devices/$A/mqtt-credentials"; pa=$(jget "$work/body" password)
expect_api '201 *' "$acme" POST "/v1/devices/$B/mqtt-credentials"; pb=$(jget "$work/body" password)
expect_api '200 *"kind":"device"*' "$dtok" GET /v1/whoami
# A's session stays connected (no -C/-W): deleting the device must drop it at once.
got=""; for i in $(seq 15); do
  got=$(timeout 5 mosquitto_sub --cafile "$ca" -h 127.0.0.1 -p "$mport" -u "$A" -P "$pa" -i "$A" -t "opensphere/devices/$A/twin/desired" -C 1 -W 2 2>/dev/null) && [ -n "$got" ] && break
  sleep 0.2
done
same "$got" '{"version":1}' "A's desired state before the delete"
timeout 20 mosquitto_sub --cafile "$ca" -h 127.0.0.1 -p "$mport" -u "$A" -P "$pa" -i "$A" -t "opensphere/devices/$A/twin/desired" \
  >/dev/null 2>"$work/live.err" & live=$!
timeout 20 mosquitto_sub --cafile "$ca" -h 127.0.0.1 -p "$mport" -u "$B" -P "$pb" -i "$B" -t "opensphere/devices/$B/twin/desired" \
  >/dev/null 2>&1 & liveb=$!
sleep 1
kill -0 $live 2>/dev/null && ok || bad "A's session did not stay connected before the delete: $(cat "$work/live.err")"
expect_api '404 *unknown-device*' "$other" DELETE "/v1/devices/$A"
start=$SECONDS
run 0 device delete --device-id "$A" -o json && has "$out" '"deleted": true' && has "$out" '"brokerReloaded": true'
wait $live; code=$?
echo "device delete: A's live MQTT session ended (exit $code) $((SECONDS - start)) s after the delete"
check "A's live session survived the delete (exit $code)" "[ $code -ne 0 ] && [ $code -ne 124 ] && [ $((SECONDS - start)) -le 5 ]"
kill -0 $liveb 2>/dev/null && ok || bad "deleting A dropped B's session too"
kill $liveb 2>/dev/null; wait $liveb 2>/dev/null
timeout 5 mosquitto_sub --cafile "$ca" -h 127.0.0.1 -p "$mport" -u "$A" -P "$pa" -i "$A" -t "opensphere/devices/$A/twin/desired" -C 1 -W 2 >"$out" 2>"$err"
check "A reconnected after its delete" "[ \$? -ne 0 ] && [ ! -s '$out' ]"
lacks "$data/mqtt/passwd" "$A:"
has "$data/mqtt/passwd" "$B:"
expect_api '401 *' "$dtok" GET /v1/whoami
expect_api '404 *' "$acme" GET "/v1/devices/$A"
expect_api '404 *' "$acme" GET "/v1/devices/$A/twin"
run 1 device delete --device-id "$A" && has "$err" "unknown-device"
rec=$(sqlite3 "$data/cloud.db" "SELECT claimed, deleted_by FROM deleted_devices WHERE id = '$A'")
check "the claim record was not kept ('$rec')" "[[ '$rec' == 1\|user* ]]"
check "the twin row stayed" "[ \"\$(sqlite3 '$data/cloud.db' \"SELECT COUNT(*) FROM device_twin WHERE device_id = '$A'\")\" = 0 ]"

# ---- the audit log -----------------------------------------------------------------------------
has "$log" "audit: refused GET /v1/whoami (401 token-expired) to an unauthenticated caller"
has "$log" "audit: user $owner_id of tenant"
has "$log" "revoked user alice"
has "$log" "deleted device $A"
has "$log" "(404 unknown-device) to user"
grep -c "audit: refused" "$log" | { read -r n; echo "audit: $n refusals logged"; [ "$n" -ge 10 ]; } && ok || bad "fewer than 10 refusals in the log"
for t in "$acme" "$alice" "$bob" "$erin" "$dtok" "$pa" "$pb"; do
  [ -n "$t" ] || { bad "a secret of this test is empty"; continue; }
  grep -qF -- "$t" "$log" && bad "a secret (${t:0:8}...) is in the service's log" || ok
done

cloud_stop
summary
