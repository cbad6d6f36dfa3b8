#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_image_package.sh SPHERE SOURCE_DIR — `sphere image-package` and `sphere keys` end to end:
# pack a sample app, inspect it, check the body with util-linux's fsck.cramfs (an independent
# reader of the cramfs layout), production keys, RTApps, beta API sets, and the error paths.
set -u
sphere=$1 src=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
. "$src/tests/cli/lib.sh"
out=$work/out err=$work/err

# A sample high-level app laid out as the SDK's CMake lays out its approot.
app=$work/approot
mkdir -p "$app/bin" "$app/certs"
cat > "$app/app_manifest.json" <<'JSON'
{
  "SchemaVersion": 1,
  "Name": "A sample app with a name well oer thirty-one characters",
  "ComponentId": "072c9364-61d4-4303-86e0-b0f883c7ada2",
  "EntryPoint": "/bin/app",
  "CmdArgs": [ "--verbose" ],
  "Capabilities": {
    "Gpio": [ "$MT3620_RDB_LED1_RED", "$MT3620_RDB_BUTTON_A" ],
    "Uart": [ "$MT3620_RDB_HEADER2_ISU0_UART" ],
    "MutableStorage": { "SizeKB": 8 },
  },
  "MallocVersion": 2
}
JSON
head -c 70000 /dev/urandom > "$app/bin/app"
printf 'root certificate' > "$app/certs/root.pem"
pkg=$work/app.imagepackage
rdb="--target-definition-filename mt3620_rdb.json"

run 0 image-package pack-application --package-directory "$app" --destination "$pkg" $rdb
has "$out" "Packaged 'A sample app with a name well o' into $pkg"
has "$out" "API set:       17"
run 0 image-package show --image-package "$pkg"
has "$out" "Image Type:           Application (10)"
has "$out" "Component ID:         072c9364-61d4-4303-86e0-b0f883c7ada2"
has "$out" "Image Name:           A sample app with a name well o"
has "$out" "Under development:    True"
has "$out" "Depends on:           ApplicationRuntime, version 17"
has "$out" "0101755     70000  /bin/app"
has "$out" "0101644        16  /certs/root.pem"
has "$out" "Signature:            valid, SDK key"
run 0 image-package show -p "$pkg" -o json
has "$out" '"status": "valid"'
has "$out" '"trust": "sdk"'

# The packaged manifest: minified, raw values, explicit type and runtime version.
body=$(( $(od -An -tu4 -j4 -N4 "$pkg") ))
dd if="$pkg" of="$work/body.cramfs" bs=4096 count=$((body / 4096)) status=none
check "fsck.cramfs rejects the package body" "fsck.cramfs '$work/body.cramfs' >/dev/null 2>&1"
check "packaged manifest is not the normalised one" \
      "dd if='$pkg' bs=4096 skip=1 count=1 status=none | tr -d '\0' | grep -qF '\"Capabilities\":{\"Gpio\":[8,12],\"Uart\":[\"ISU0\"],\"MutableStorage\":{\"SizeKB\":8}},\"MallocVersion\":2,\"ApplicationType\":\"Default\",\"TargetApplicationRuntimeVersion\":17}'"

# Deterministic apart from image ID and signature.
SOURCE_DATE_EPOCH=1700000000 "$sphere" image-package pack-application --package-directory "$app" --destination "$work/a.ip" $rdb >/dev/null
SOURCE_DATE_EPOCH=1700000000 "$sphere" image-package pack-application --package-directory "$app" --destination "$work/b.ip" $rdb >/dev/null
cmp -l "$work/a.ip" "$work/b.ip" | awk '{print $1}' > "$work/diff"
size=$(stat -c %s "$work/a.ip")
meta=$((size - 64 - 4))
check "two packs differ outside the image ID and the signature" \
      "awk -v body=$body -v sig=$((size - 64)) '(\$1 - 1 < body + 32 || \$1 - 1 >= body + 48) && \$1 - 1 < sig { bad = 1 } END { exit bad }' '$work/diff'"

# Beta API sets and RTApps.
run 0 image-package pack-application --package-directory "$app" --destination "$work/beta.ip" $rdb --target-api-set 8+Beta2101
run 0 image-package show -p "$work/beta.ip" && has "$out" "ApplicationRuntime, version 8"
check "beta set not stamped into the manifest" "grep -aqF '\"TargetBetaApis\":\"Beta2101\"' '$work/beta.ip'"
run 1 image-package pack-application --package-directory "$app" --destination "$work/x.ip" $rdb --target-api-set 99
has "$err" "no release provides ARV 99"
rt=$work/rtroot; mkdir -p "$rt/bin"
printf '{"SchemaVersion":1,"Name":"Rt","ComponentId":"005180bc-402f-4cb3-a662-72937dbcde47","EntryPoint":"/bin/app","Capabilities":{"Gpio":[8]},"ApplicationType":"RealTimeCapable"}' > "$rt/app_manifest.json"
printf '\177ELF' > "$rt/bin/app"
run 0 image-package pack-application --package-directory "$rt" --destination "$work/rt.ip" --target-api-set 5
has "$err" "--target-api-set is ignored for real-time capable apps"
run 0 image-package show -p "$work/rt.ip" && has "$out" "Depends on:           nothing"

# Production keys.
run 0 keys generate --name prod --directory "$work" --common-name "Contoso production"
check "private key is not mode 0600" "[ \"\$(stat -c %a '$work/prod.key.pem')\" = 600 ]"
run 1 keys generate --name prod --directory "$work" && has "$err" "refusing to overwrite a key"
run 0 image-package pack-application --package-directory "$app" --destination "$work/prod.ip" $rdb \
      --signing-key "$work/prod.key.pem" --signing-cert "$work/prod.cert.pem"
run 0 image-package show -p "$work/prod.ip" && has "$out" "not checked: no known key has thumbprint"
run 0 image-package show -p "$work/prod.ip" --production-cert "$work/prod.cert.pem" && has "$out" "valid, production key"
run 1 image-package pack-application --package-directory "$app" --destination "$work/x.ip" $rdb \
      --signing-key "$work/prod.key.pem" --signing-cert "$src/sdk/Keys/sdk-signing.cert.pem"
has "$err" "are not a matching ECDSA P-256 key and certificate"

# Tampering and malformed files.
cp "$pkg" "$work/tampered.ip"; printf 'X' | dd of="$work/tampered.ip" bs=1 seek=$((body + 90)) conv=notrunc status=none
run 1 image-package show -p "$work/tampered.ip" && has "$out" "INVALID" && has "$err" "the signature does not verify"
cp "$pkg" "$work/crc.ip"; printf 'X' | dd of="$work/crc.ip" bs=1 seek=9000 conv=notrunc status=none
run 1 image-package show -p "$work/crc.ip" && has "$err" "[bad-crc at offset 32]"
head -c 100 "$pkg" > "$work/short.ip"
run 1 image-package show -p "$work/short.ip" && has "$err" "is not a valid image package"

# Packing errors: bad manifest (all problems), missing entry point, special files.
cp -r "$app" "$work/bad"; sed -i 's/"SizeKB": 8/"SizeKB": 80/; s/"MallocVersion": 2/"MallocVersion": 9/' "$work/bad/app_manifest.json"
run 1 image-package pack-application --package-directory "$work/bad" --destination "$work/x.ip" $rdb
has "$err" "Capabilities.MutableStorage.SizeKB: 80 KiB is out of range"
has "$err" "MallocVersion: must be 1"
has "$err" "2 errors"
check "a package was written despite errors" "[ ! -e '$work/x.ip' ]"
rm "$work/bad/bin/app"; sed -i 's/"SizeKB": 80/"SizeKB": 8/; s/"MallocVersion": 9/"MallocVersion": 2/' "$work/bad/app_manifest.json"
run 1 image-package pack-application --package-directory "$work/bad" --destination "$work/x.ip" $rdb
has "$err" "EntryPoint \"/bin/app\" does not exist in the package folder"
cp "$app/bin/app" "$work/bad/bin/app"; ln -s /etc/passwd "$work/bad/certs/link"
run 1 image-package pack-application --package-directory "$work/bad" --destination "$work/x.ip" $rdb
has "$err" "certs/link is not a regular file or folder"
run 2 image-package pack-application --package-directory "$app" && has "$err" "missing required option '--destination'"

summary
