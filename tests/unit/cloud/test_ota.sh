#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_ota.sh SPHERE SOURCE_DIR [sqlite|postgresql] — external-MCU OTA in the cloud service end to end (SQLite), through
# the CLI and curl: deploy (versions strictly increasing, cancelled ones included; files immutable),
# targeting by the tags productType=/deviceGroup=, the desired state and its signature (checked
# with `openssl dgst -verify`), signed blob URLs (full, ranges, 416, If-Range, If-None-Match, HEAD,
# expired, tampered), cancel falling back, device reports and `ota status`, the CLI's refusals;
# then nginx (tools/nginx-ota.conf.in) in front of the same blobs. Expired URLs are made by the
# test itself: it signs a past expiry with DATA/ota-url.key, per the documented format. With
# postgresql it starts its own server in a temp dir (as test_cloud.sh does).
# Prints "N passed, N failed"; a failure names the step.
set -u
sphere=$1 src=$2 backend=${3:-sqlite}
export OPENSPHERE_HOME=$(mktemp -d) OPENSPHERE_CONFIG_DIR=$(mktemp -d)
work=$(mktemp -d)
. "$src/tests/cli/lib.sh"
. "$src/tests/lib/cloud.sh"
trap cloud_cleanup EXIT
trap 'exit 130' INT; trap 'exit 143' TERM # signals too: bash runs the EXIT trap only when it exits
out=$work/out err=$work/err fail_tag=$backend

# ---- the database and the service ---------------------------------------------------------------
[ "$backend" = postgresql ] && pg_start -F
cloud_serve "$work/data" --tenant acme "${db_args[@]}" || exit 1
run 0 login --cloud "$url" --token "$acme" --ca-cert "$ca"
run 0 product create --name P

# The keys the service made: the URL key (32 bytes, 0600) and the OTA signing key beside the others.
same "$(stat -c '%a %s' "$work/data/ota-url.key")" "600 32" "DATA/ota-url.key mode and size"
[ -f "$OPENSPHERE_HOME/ota-signing.key.pem" ] && [ -f "$OPENSPHERE_HOME/ota-signing.cert.pem" ] && ok || bad "no ota-signing key in the keys folder"
run 0 ota public-key --out "$work/pub.pem" && has "$work/pub.pem" "BEGIN PUBLIC KEY"
expect_api '200 -----BEGIN PUBLIC KEY-----*' "$acme" GET /v1/ota/public-key

# ---- deploy --------------------------------------------------------------------------------------
head -c 4194304 /dev/urandom >"$work/fw5.bin"
head -c 1048576 /dev/urandom >"$work/fw6.bin"
sha5=$(sha256sum "$work/fw5.bin" | cut -d' ' -f1)
run 0 ota deploy "$work/fw5.bin" 5 P FieldTest -o json && dep5=$(jget "$out" id)
same "$(jget "$out" version) $(jget "$out" size) $(jget "$out" sha256) $(jget "$out" state)" "5 4194304 $sha5 active" "deployment v5"
cmp -s "$work/fw5.bin" "$work/data/ota/ota/5/fw5.bin" && ok || bad "DATA/ota/ota/5/fw5.bin is not the file"
run 1 ota deploy "$work/fw5.bin" 4 P FieldTest && has "$err" "version-not-newer" && has "$err" "version 4 is not newer than 5"
run 1 ota deploy "$work/fw5.bin" 5 P FieldTest && has "$err" "version-not-newer"
# A deploy the service will refuse is answered on its headers: a client that waits for
# "100 Continue" (as `sphere ota deploy` does) sends none of the file. (If the service answered
# only after the body, curl would send the 4 MiB after its 30 s wait and this would see them.)
upload() { # upload PRODUCT GROUP VERSION → "STATUS BYTES-SENT"
  curl -s -o "$work/body" -w '%{http_code} %{size_upload}' --cacert "$ca" -H "Authorization: Bearer $acme" \
    -H 'Content-Type: application/octet-stream' -H 'Expect: 100-continue' --expect100-timeout 30 \
    --data-binary @"$work/fw5.bin" "$url/v1/ota/deployments?product=$1&group=$2&version=$3&name=fw5.bin"; }
same "$(upload P FieldTest 4)" "409 0" "a version not newer, refused before the upload"
has "$work/body" "version 4 is not newer than 5"
same "$(upload Nope FieldTest 9)" "404 0" "an unknown product, refused before the upload"
same "$(upload P FieldTest 0)" "400 0" "version 0, refused before the upload"
same "$(upload P Early 1)" "201 4194304" "a deploy the service takes: the file follows the 100 Continue"

# The CLI's refusals name the field; nothing is uploaded.
for v in abc 0 -1 1.5 ""; do run 1 ota deploy "$work/fw5.bin" "$v" P FieldTest && has "$err" "VERSION must be an integer greater than 0"; done
run 1 ota deploy "$work/missing.bin" 9 P FieldTest && has "$err" "FILE '$work/missing.bin' cannot be read"
run 1 ota deploy "$work/fw5.bin" 9 Nope FieldTest && has "$err" "unknown-product" && has "$err" "no product 'Nope'"
run 1 ota deploy "$work/fw5.bin" 9 P FieldTest --days 0 && has "$err" "--days must be"
run 2 ota deploy "$work/fw5.bin" 9 P && has "$err" "missing GROUP"
run 2 ota deploy "$work/fw5.bin" 9 P G extra && has "$err" "unexpected argument 'extra'"
run 0 ota deploy --help && has "$out" "Usage: sphere ota deploy [options] FILE VERSION PRODUCT GROUP"
# The service checks the same without the CLI.
expect_api '400 *bad-version*' "$acme" POST "/v1/ota/deployments?product=P&group=FieldTest&version=0&name=x" \
  -H 'Content-Type: application/octet-stream' --data-binary @"$work/fw6.bin"
expect_api '400 *bad-name*' "$acme" POST "/v1/ota/deployments?product=P&group=FieldTest&version=9&name=../x" \
  -H 'Content-Type: application/octet-stream' --data-binary @"$work/fw6.bin"
expect_api '401 *unauthenticated*' "" POST "/v1/ota/deployments?product=P&group=FieldTest&version=9&name=x" \
  -H 'Content-Type: application/octet-stream' --data-binary @"$work/fw6.bin"
head -c $((64 * 1024 * 1024 + 1)) /dev/zero >"$work/big.bin"
expect_api '413 *file-too-large*' "$acme" POST "/v1/ota/deployments?product=P&group=FieldTest&version=9&name=big.bin" \
  -H 'Content-Type: application/octet-stream' --data-binary @"$work/big.bin"
run 1 ota deploy "$work/big.bin" 9 P FieldTest && has "$err" "larger than 64 MiB"
rm -f "$work/big.bin"
[ -z "$(ls "$work/data/ota/.incoming")" ] && ok || bad "refused uploads left files in DATA/ota/.incoming"

# Immutability: (container, version) keeps its bytes; the same bytes may be deployed elsewhere.
run 1 ota deploy "$work/fw6.bin" 5 P Production && has "$err" "blob-exists"
run 0 ota deploy "$work/fw5.bin" 5 P Production -c ota
run 0 ota deploy "$work/fw6.bin" 5 P Lab -c lab
cmp -s "$work/fw5.bin" "$work/data/ota/ota/5/fw5.bin" && ok || bad "a later deploy changed DATA/ota/ota/5/fw5.bin"

# ---- devices and targeting -------------------------------------------------------------------------
new_device() { # new_device TAGS_JSON — prints "ID TOKEN" of a claimed device with those tags
  local id; id=$(head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n')
  api "$acme" POST "/v1/devices/$id/claim" >/dev/null
  local tok; tok=$(api "$acme" POST "/v1/devices/$id/token" | sed 's/^[0-9]* //' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  api "$acme" PATCH "/v1/devices/$id" -H 'Content-Type: application/json' -d "{\"tags\":$1}" >/dev/null
  echo "$id $tok"
}
read -r devA tokA <<<"$(new_device '["productType=P","deviceGroup=FieldTest"]')"
read -r devB tokB <<<"$(new_device '["productType=P","deviceGroup=Production2"]')"
read -r devC tokC <<<"$(new_device '[]')"
expect_api '200 {}' "$tokB" GET /v1/device/ota
expect_api '200 {}' "$tokC" GET /v1/device/ota
expect_api '403 *forbidden*' "$acme" GET /v1/device/ota
expect_api '403 *forbidden*' "$tokA" GET /v1/ota/deployments
api "$tokA" GET /v1/device/ota >/dev/null; cp "$work/body" "$work/desired.json"
same "$(jget "$work/desired.json" version) $(jget "$work/desired.json" size) $(jget "$work/desired.json" sha256) $(jget "$work/desired.json" product) $(jget "$work/desired.json" deploymentId)" \
     "5 4194304 $sha5 P $dep5" "device A's desired state"
python3 -c 'import json,sys; k=list(json.load(open(sys.argv[1]))); sys.exit(k!=["version","size","url","sha256","signature","product","deploymentId"])' \
  "$work/desired.json" && ok || bad "desired state keys: $(cat "$work/desired.json")"

# The signature verifies with the public key over the documented message, and only over it.
jget "$work/desired.json" signature | base64 -d >"$work/sig.der"
printf 'OSOTA1\nP\n5\n4194304\n%s\n' "$sha5" >"$work/msg"
openssl dgst -sha256 -verify "$work/pub.pem" -signature "$work/sig.der" "$work/msg" >/dev/null 2>&1 && ok || bad "the signature does not verify with openssl"
printf 'OSOTA1\nP\n6\n4194304\n%s\n' "$sha5" >"$work/msg"
openssl dgst -sha256 -verify "$work/pub.pem" -signature "$work/sig.der" "$work/msg" >/dev/null 2>&1 && bad "the signature verified for version 6" || ok

# ---- blob delivery ---------------------------------------------------------------------------------
blob=$(jget "$work/desired.json" url)
case "$blob" in "$url/blobs/ota/5/fw5.bin?se="*"&sig="*) ok ;; *) bad "blob URL '$blob'" ;; esac
fetch() { # fetch URL [curl args] — body to $work/got, headers to $work/hdr, prints the status
  curl -s --cacert "$ca" -D "$work/hdr" -o "$work/got" -w '%{http_code}' "$@"
}
hdr() { grep -i "^$1:" "$work/hdr" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
same "$(fetch "$blob")" 200 "full GET"
cmp -s "$work/got" "$work/fw5.bin" && ok || bad "full GET: not the deployed bytes"
same "$(hdr ETag) $(hdr Accept-Ranges) $(hdr Content-Length)" "\"$sha5\" bytes 4194304" "full GET headers"
range_case() { # range_case RANGE OFFSET LENGTH — 206, Content-Range and the bytes
  same "$(fetch "$blob" -H "Range: bytes=$1")" 206 "Range $1"
  same "$(hdr Content-Range)" "bytes $2-$(($2 + $3 - 1))/4194304" "Range $1 Content-Range"
  cmp -s "$work/got" <(tail -c +$(($2 + 1)) "$work/fw5.bin" | head -c "$3") && ok || bad "Range $1: wrong bytes"
}
range_case 0-0 0 1
range_case 4194303-4194303 4194303 1
range_case 1000-1999 1000 1000
range_case -500 4193804 500
range_case 4194000- 4194000 304
range_case 4194000-9999999 4194000 304
same "$(fetch "$blob" -H 'Range: bytes=4194304-')" 416 "Range beyond the end"
same "$(hdr Content-Range)" "bytes */4194304" "416 Content-Range"
same "$(fetch "$blob" -H 'Range: bytes=-0')" 416 "empty suffix range"
same "$(fetch "$blob" -H 'Range: bytes=0-0,5-9')" 200 "multi-range: whole file"
same "$(fetch "$blob" -H 'Range: bytes=9-5')" 200 "malformed range: whole file"
same "$(fetch "$blob" -H 'Range: bytes=10-19' -H "If-Range: \"$sha5\"")" 206 "If-Range matching"
same "$(fetch "$blob" -H 'Range: bytes=10-19' -H 'If-Range: "0000"')" 200 "If-Range not matching"
cmp -s "$work/got" "$work/fw5.bin" && ok || bad "If-Range not matching: not the whole file"
same "$(fetch "$blob" -H 'Range: bytes=10-19' -H 'If-Range: Sat, 01 Jan 2000 00:00:00 GMT')" 200 "If-Range date"
same "$(fetch "$blob" -H "If-None-Match: \"$sha5\"")" 304 "If-None-Match matching"
same "$(fetch "$blob" -H 'If-None-Match: "0000"')" 200 "If-None-Match not matching"
same "$(fetch "$blob" -I)" 200 "HEAD"
same "$(hdr Content-Length)" 4194304 "HEAD: Content-Length"
cmp -s "$work/got" "$work/hdr" && ok || bad "HEAD: a body was sent"  # curl -I writes only the headers

# Refused URLs: tampered signature, path, expiry; missing signature; expired (signed by the test).
sig=${blob##*sig=} se=${blob##*se=}; se=${se%%&*}
if [ "${sig:0:1}" = 0 ]; then flip=1${sig:1}; else flip=0${sig:1}; fi
same "$(fetch "${blob%sig=*}sig=$flip")" 403 "tampered signature"; has "$work/got" "url-bad-signature"
same "$(fetch "${blob/\/5\/fw5.bin/\/5\/fw6.bin}")" 403 "tampered path"; has "$work/got" "url-bad-signature"
same "$(fetch "${blob/se=$se/se=$((se + 1))}")" 403 "tampered expiry"; has "$work/got" "url-bad-signature"
same "$(fetch "${blob%%\?*}")" 403 "no signature"; has "$work/got" "url-bad-signature"
sign_url() { # sign_URL PATH EXPIRY — a URL signed the documented way with DATA/ota-url.key
  python3 -c 'import hmac,hashlib,sys; k=open(sys.argv[1],"rb").read(); m=("GET\n%s\n%s" % (sys.argv[2], sys.argv[3])).encode()
print("%s%s?se=%s&sig=%s" % (sys.argv[4], sys.argv[2], sys.argv[3], hmac.new(k, m, hashlib.sha256).hexdigest()))' \
    "$work/data/ota-url.key" "$1" "$2" "$3"
}
same "$(fetch "$(sign_url /blobs/ota/5/fw5.bin $(($(date +%s) + 60)) "$url")")" 200 "a URL the test signed"
same "$(fetch "$(sign_url /blobs/ota/5/fw5.bin $(($(date +%s) - 1)) "$url")")" 403 "expired URL"; has "$work/got" "url-expired"
same "$(fetch "$(sign_url /blobs/ota/5/nothere.bin $(($(date +%s) + 60)) "$url")")" 404 "signed URL of no blob"
expect_api '204 ' "" GET /v1/blob-auth -H "X-Original-URI: ${blob#$url}"
expect_api '403 ' "" GET /v1/blob-auth -H "X-Original-URI: ${blob%sig=*}sig=$flip"
got=$(curl -s --cacert "$ca" -D - -o /dev/null -H "X-Original-URI: $(sign_url /blobs/ota/5/fw5.bin 1 "")" "$url/v1/blob-auth" | grep -i '^x-ota-error' | tr -d '\r')
same "$got" "X-OTA-Error: url-expired" "blob-auth of an expired URL"

# ---- cancel: the next-highest version wins again -----------------------------------------------------
run 0 ota deploy "$work/fw6.bin" 6 P FieldTest -o json && dep6=$(jget "$out" id)
api "$tokA" GET /v1/device/ota >/dev/null; same "$(jget "$work/body" version)" 6 "desired after v6"
run 0 ota cancel "$dep6" -o json && same "$(jget "$out" state)" cancelled "cancelled state"
api "$tokA" GET /v1/device/ota >/dev/null; same "$(jget "$work/body" version) $(jget "$work/body" deploymentId)" "5 $dep5" "desired after cancelling v6"
run 1 ota deploy "$work/fw6.bin" 6 P FieldTest && has "$err" "version-not-newer"
run 1 ota cancel 00000000-0000-0000-0000-000000000000 && has "$err" "unknown-deployment"
run 0 ota list --product P --group FieldTest -o json
same "$(jget "$out" 0 version) $(jget "$out" 0 state) $(jget "$out" 1 version) $(jget "$out" 1 state)" "6 cancelled 5 active" "ota list"
run 0 ota list && has "$out" "cancelled" && has "$out" "Production"

# ---- reports and status -------------------------------------------------------------------------------
report() { api "$1" POST /v1/device/ota/report -H 'Content-Type: application/json' -d "$2"; }
expect_report() { local want=$1; shift; local got; got=$(report "$@"); if [[ "$got" == $want ]]; then ok; else bad "report $2: got '$got', expected '$want'"; fi; }
expect_report '200 {}' "$tokA" '{"status":"downloading","targetVersion":5,"bytesDone":1024,"size":4194304}'
expect_report '400 *bad-report*status* must be one of*' "$tokA" '{"status":"bogus"}'
expect_report '400 *status* is required*' "$tokA" '{"bytesDone":1}'
expect_report '400 *unknown field *foo*' "$tokA" '{"status":"applied","foo":1}'
expect_report '400 *bytesDone* must be an integer*' "$tokA" '{"status":"downloading","bytesDone":-1}'
expect_report '400 *targetVersion* must be an integer*' "$tokA" '{"status":"downloading","targetVersion":"5"}'
expect_report '400 *bytesDone* is larger than *size*' "$tokA" '{"status":"downloading","bytesDone":9,"size":8}'
expect_report '400 *error* must be a string*' "$tokA" '{"status":"error","error":5}'
expect_report '400 *bad-json*' "$tokA" '{"status":'
expect_report '403 *forbidden*' "$acme" '{"status":"applied"}'
expect_report '200 {}' "$tokC" '{"status":"error","targetVersion":3,"error":"flash write failed"}'
run 0 ota status P FieldTest -o json
same "$(jget "$out" 0 deviceId) $(jget "$out" 0 desiredVersion) $(jget "$out" 0 status) $(jget "$out" 0 bytesDone) $(jget "$out" 0 size) $(jget "$out" 0 targetVersion)" \
     "$devA 5 downloading 1024 4194304 5" "ota status row"
same "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$out")" 1 "ota status: only P/FieldTest devices"
run 0 ota status P FieldTest && has "$out" "1024/4194304" && has "$out" "downloading"
expect_report '200 {}' "$tokA" '{"status":"applied","targetVersion":5,"appliedVersion":5}'
run 0 ota status P FieldTest -o json && same "$(jget "$out" 0 status) $(jget "$out" 0 appliedVersion)" "applied 5" "status after applied"
run 1 ota status Nope FieldTest && has "$err" "unknown-product"

# ---- nginx in front of the same blobs ------------------------------------------------------------------
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  bad "nginx is not installed (apt-get install nginx-light or nginx)"
else
  nport=$(free_port)
  if nginx_ota "127.0.0.1:$nport" "$work/data"; then
    ok
    for i in $(seq 100); do [ -s "$nginx_dir/nginx.pid" ] && break; sleep 0.05; done
    nurl=http://127.0.0.1:$nport nblob=$nurl${blob#$url}
    same "$(fetch "$nblob")" 200 "nginx: full GET"
    cmp -s "$work/got" "$work/fw5.bin" && ok || bad "nginx: not the deployed bytes"
    etag=$(hdr ETag)
    same "$(fetch "$nblob" -H 'Range: bytes=0-0')" 206 "nginx: first byte"
    same "$(hdr Content-Range)" "bytes 0-0/4194304" "nginx: Content-Range"
    cmp -s "$work/got" <(head -c 1 "$work/fw5.bin") && ok || bad "nginx: first byte wrong"
    same "$(fetch "$nblob" -H 'Range: bytes=-500')" 206 "nginx: suffix range"
    cmp -s "$work/got" <(tail -c 500 "$work/fw5.bin") && ok || bad "nginx: suffix bytes wrong"
    same "$(fetch "$nblob" -H 'Range: bytes=4194304-')" 416 "nginx: range beyond the end"
    same "$(hdr Content-Range)" "bytes */4194304" "nginx: 416 Content-Range"
    same "$(fetch "$nblob" -H 'Range: bytes=10-19' -H "If-Range: $etag")" 206 "nginx: If-Range matching"
    same "$(fetch "$nblob" -H 'Range: bytes=10-19' -H 'If-Range: "0000"')" 200 "nginx: If-Range not matching"
    same "$(fetch "$nblob" -H 'Range: bytes=0-0,5-9')" 200 "nginx: multi-range: whole file"
    same "$(fetch "$nurl$(sign_url /blobs/ota/5/fw5.bin $(($(date +%s) - 1)) "")")" 403 "nginx: expired URL"
    has "$work/got" '"code":"url-expired"'
    same "$(fetch "${nblob%sig=*}sig=$flip")" 403 "nginx: tampered signature"
    has "$work/got" '"code":"url-bad-signature"'
    same "$(fetch "${nblob/\/5\/fw5.bin/\/5\/fw6.bin}")" 403 "nginx: tampered path"
    same "$(fetch "$nurl/blobs/.incoming/x?se=1&sig=00")" 403 "nginx: the incoming folder"
  else
    bad "nginx did not start"
  fi
fi

summary
