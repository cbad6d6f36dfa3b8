#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_certstore.sh SPHERE SOURCE_DIR — the certificate store end to end (docs/certstore.md):
# examples/certstore, built with the SDK's presets, calls every applibs/certstore.h function on a
# simulated device and checks result and errno; the same app without the CertStore capability
# gets EACCES from each; `sphere device certificate add|list|show|show-quota|delete` (table and
# -o json) sees what the app left and refuses bad input; the store survives `sphere sim
# stop/start`; a damaged store file is reported with its path and reason.
set -u
sphere=$1 src=$2
. "$src/tests/cli/lib.sh"
device_test_env # $bin, $sdk; new temporary $OPENSPHERE_HOME and $work
cleanup() { "$sphere" sim stop cs >/dev/null 2>&1; rm -rf "$work" "$OPENSPHERE_HOME"; }
trap cleanup EXIT
certs=$src/examples/certstore/certs
CID=c3a7e5d1-6b2f-4e8a-9c0d-2f4b6a8c0e1f

app_log_has() { "$sphere" device app log -i "$1" > "$work/log" 2>&1; grep -qF -- "$2" "$work/log"; }
app_has() { if until_ok "${3:-10}" app_log_has "$1" "$2"; then ok; else bad "app $1 never logged '$2'"; grep CERTSTORE "$work/log" | tail -8; fi; }
run() { "$sphere" "$@" >"$work/out" 2>"$work/err"; }

# ---- build the example exactly as a platform sample is built ------------------------------
cp -r "$src/examples/certstore" "$work/ex" && rm -rf "$work/ex/out"
if (cd "$work/ex" && AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere cmake --preset ARM-Debug >"$work/build.log" 2>&1 \
    && cmake --build out/ARM-Debug >>"$work/build.log" 2>&1); then ok
else bad "examples/certstore does not build with the SDK"; tail -20 "$work/build.log"; summary; exit 1; fi
pkg=$work/ex/out/ARM-Debug/CertStoreExample.imagepackage

"$sphere" sim create cs >/dev/null && "$sphere" sim start cs >/dev/null && "$sphere" device enable-development -d cs >/dev/null \
  || { echo "cannot start a simulated device"; exit 1; }

# ---- an empty store ------------------------------------------------------------------------
run device certificate show-quota -o json && check "empty store: 24514 bytes free" '[ "$(jget "$work/out" AvailableSpace)" = 24514 ]'
run device certificate list && check "empty store lists nothing" 'grep -q "No certificates" "$work/out"'

# ---- the example: every function, result and errno ------------------------------------------
run device sideload deploy -d cs -p "$pkg" || bad "deploying the example failed: $(cat "$work/err")"
app_has $CID "CERTSTORE DONE passed="
check "every certstore.h check passes in the app" 'grep -q "CERTSTORE DONE passed=[0-9]* failed=0" "$work/log"'
check "the app made more than 40 checks" '[ "$(grep -o "passed=[0-9]*" "$work/log" | tail -1 | cut -d= -f2)" -gt 40 ]'
grep "CERTSTORE .* FAIL" "$work/log" | head -5

# ---- what the app left, seen from the CLI -------------------------------------------------
run device certificate list -o json && check "the app's root CA is listed" '[ "$(jget "$work/out" identifiers 0)" = ExampleRoot ]'
run device certificate show --cert-id ExampleRoot -o json
check "show: subject" '[ "$(jget "$work/out" subjectName)" = "/C=US/O=OpenSphere Example/CN=Example Root CA" ]'
check "show: not before" '[ "$(jget "$work/out" notBefore)" = 2024-01-01T00:00:00Z ]'
check "show: not after" '[ "$(jget "$work/out" notAfter)" = 2044-01-01T00:00:00Z ]'
run device certificate show --cert-id ExampleRoot
check "show: a table with the issuer" 'grep -q "IssuerName" "$work/out" && grep -q "CN=Example Root CA" "$work/out"'

# ---- the CLI's own changes ----------------------------------------------------------------
run device certificate show-quota -o json; before=$(jget "$work/out" AvailableSpace)
run device certificate add --cert-id dev-1 --cert-type client --public-key-file "$certs/client.pem" \
  --private-key-file "$certs/client.key" --private-key-password example-password \
  && check "add client: confirmed" 'grep -q "successfully added" "$work/out"' || bad "add client failed: $(cat "$work/err")"
run device certificate show-quota; check "show-quota: a table" 'grep -q "Available space (bytes)" "$work/out"'
run device certificate show-quota -o json; after=$(jget "$work/out" AvailableSpace)
check "adding uses space ($before -> $after)" '[ "$after" -lt "$before" ]'
run device certificate add --cert-id dev-2 --cert-type client --public-key-file "$certs/client.pem" --private-key-file "$certs/other.key"; rc=$?
check "a key of another certificate is refused (exit 1)" '[ $rc = 1 ] && grep -q "private key" "$work/err"'
run device certificate add --cert-id dev-2 --cert-type client --public-key-file "$certs/client.pem" \
  --private-key-file "$certs/client.key" --private-key-password wrong; rc=$?
check "a wrong password is refused" '[ $rc = 1 ]'
run device certificate add --cert-id "bad id" --cert-type rootca --public-key-file "$certs/rootca.pem"; rc=$?
check "an invalid identifier is refused" '[ $rc = 1 ] && grep -q "not a certificate identifier" "$work/err"'
run device certificate add --cert-id seventeen-chars-x --cert-type rootca --public-key-file "$certs/rootca.pem"; rc=$?
check "a 17-character identifier is refused" '[ $rc = 1 ]'
run device certificate add --cert-id x --cert-type server --public-key-file "$certs/rootca.pem"; rc=$?
check "an unknown --cert-type is a usage error (exit 2)" '[ $rc = 2 ]'
run device certificate add --cert-id x --cert-type rootca --public-key-file "$certs/client.key"; rc=$?
check "a key is not a certificate" '[ $rc = 1 ] && grep -q "not a PEM certificate" "$work/err"'
run device certificate show --cert-id nosuch; rc=$?
check "show of a missing certificate: exit 1, 404" '[ $rc = 1 ] && grep -q "HTTP 404" "$work/err"'
run device certificate list -o json
check "refusals changed nothing" '[ "$(jget "$work/out" identifiers 1)" = dev-1 ] && [ -z "$(jget "$work/out" identifiers 2 2>/dev/null)" ]'

# the quota: installing until the store is full ends in "Insufficient free space"
full=0
for i in $(seq 1 40); do
  if ! run device certificate add --cert-id "q$i" --cert-type client --public-key-file "$certs/client.pem" \
      --private-key-file "$certs/client.key" --private-key-password example-password; then full=$i; break; fi
done
check "the 24 KiB quota fills (refused at #$full)" '[ "$full" -gt 5 ] && grep -q "free space" "$work/err"'
for i in $(seq 1 $((full - 1))); do "$sphere" device certificate delete --cert-id "q$i" >/dev/null || bad "delete q$i"; done
run device certificate show-quota -o json
check "deleting frees the space again" '[ "$(jget "$work/out" AvailableSpace)" = "$after" ]'

# ---- state across a device restart ------------------------------------------------------
"$sphere" sim stop cs >/dev/null && "$sphere" sim start cs >/dev/null || bad "restarting the device failed"
app_has $CID "CERTSTORE DONE passed=" # the example runs again at start (and installs its root CA again)
run device certificate list -o json
check "kept across sim stop/start" 'grep -q "\"dev-1\"" "$work/out" && grep -q "\"ExampleRoot\"" "$work/out"'
run device certificate delete --cert-id dev-1 && check "delete: confirmed" 'grep -q "successfully deleted" "$work/out"'
run device certificate delete --cert-id dev-1; rc=$?
check "deleting twice: exit 1, not found" '[ $rc = 1 ] && grep -q "no certificate \"dev-1\" is installed" "$work/err"'

# ---- without the CertStore capability: EACCES from every function -------------------------
cp -r "$src/examples/certstore" "$work/nocap" && rm -rf "$work/nocap/out"
sed -i 's/"CertStore": true/"CertStore": false/; s/"CmdArgs": \[\]/"CmdArgs": ["--expect-eacces"]/; s/c3a7e5d1-6b2f-4e8a-9c0d-2f4b6a8c0e1f/c3a7e5d1-6b2f-4e8a-9c0d-2f4b6a8c0e20/' \
  "$work/nocap/app_manifest.json"
if (cd "$work/nocap" && AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere cmake --preset ARM-Debug >"$work/build.log" 2>&1 \
    && cmake --build out/ARM-Debug >>"$work/build.log" 2>&1) \
   && run device sideload deploy -d cs -p "$work/nocap/out/ARM-Debug/CertStoreExample.imagepackage"; then
  app_has c3a7e5d1-6b2f-4e8a-9c0d-2f4b6a8c0e20 "CERTSTORE DONE passed="
  check "all 11 functions refuse with EACCES" 'grep -q "CERTSTORE DONE passed=11 failed=0" "$work/log"'
else bad "the app without the capability does not build or deploy"; tail -5 "$work/build.log"; fi

# ---- a damaged store file is refused with its path and reason -----------------------------
"$sphere" sim stop cs >/dev/null
printf '{"format":1,"certificates":[{"id":"a b","type":"RootCA","certificate":"x"}]}' \
  > "$OPENSPHERE_HOME/devices/cs/certstore.json"
"$sphere" sim start cs >/dev/null || bad "the device does not start with a damaged certificate store"
run device certificate list; rc=$?
check "a damaged store: exit 1 naming file, record and reason" \
  '[ $rc = 1 ] && grep -q "certstore.json:1:.*certificates\[0\].id: must be an identifier" "$work/err"'

summary
