#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# imgpkg.sh BUILD_DIR — image-package throughput for a 1 MiB package, against a baseline of
# the same cryptographic work done by standard tools in the same run:
#   pack   = `sphere image-package pack-application` (validate, lay out, CRC, SHA-256, sign)
#            vs `sha256sum` + `openssl dgst -sha256 -sign` on the same bytes;
#   verify = `sphere image-package show` (bounds checks, CRC, SHA-256, ECDSA verify)
#            vs `sha256sum` + `openssl dgst -sha256 -verify` on the same bytes.
# Both sides include process start-up. Prints the mean time per run and the ratio.
set -euo pipefail
build=${1:-build}
sphere=$build/bin/sphere
keys=$build/sdk/Keys
runs=${RUNS:-20}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

mkdir -p "$work/app/bin"
printf '{"SchemaVersion":1,"Name":"Bench","ComponentId":"11111111-2222-3333-4444-555555555555","EntryPoint":"/bin/app","Capabilities":{"Gpio":[8]}}' \
  > "$work/app/app_manifest.json"
head -c $((1024 * 1024 - 8192)) /dev/urandom > "$work/app/bin/app"
"$sphere" image-package pack-application --package-directory "$work/app" --destination "$work/p.ip" >/dev/null
size=$(stat -c %s "$work/p.ip")
head -c $((size - 64)) "$work/p.ip" > "$work/signed"
openssl x509 -in "$keys/sdk-signing.cert.pem" -pubkey -noout > "$work/pub.pem"
openssl dgst -sha256 -sign "$keys/sdk-signing.key.pem" -out "$work/sig.der" "$work/signed"

# mean_ms CMD... — mean wall time of `runs` runs, in milliseconds.
mean_ms() {
  local start end
  start=$(date +%s%N)
  for _ in $(seq "$runs"); do "$@" >/dev/null 2>&1; done
  end=$(date +%s%N)
  echo "scale=3; ($end - $start) / $runs / 1000000" | bc
}
pack() { "$sphere" image-package pack-application --package-directory "$work/app" --destination "$work/q.ip"; }
base_sign() { sha256sum "$work/signed" && openssl dgst -sha256 -sign "$keys/sdk-signing.key.pem" -out "$work/s2.der" "$work/signed"; }
show() { "$sphere" image-package show -p "$work/p.ip"; }
base_verify() { sha256sum "$work/p.ip" && openssl dgst -sha256 -verify "$work/pub.pem" -signature "$work/sig.der" "$work/signed"; }
show >/dev/null || { echo "bench: the package does not verify" >&2; exit 1; }

p=$(mean_ms pack); bs=$(mean_ms base_sign)
v=$(mean_ms show); bv=$(mean_ms base_verify)
printf 'image package: %d bytes, %d runs each\n' "$size" "$runs"
printf 'pack   %8.2f ms   baseline sha256sum+openssl sign   %8.2f ms   ratio %.2f\n' "$p" "$bs" "$(echo "$p / $bs" | bc -l)"
printf 'verify %8.2f ms   baseline sha256sum+openssl verify %8.2f ms   ratio %.2f\n' "$v" "$bv" "$(echo "$v / $bv" | bc -l)"
