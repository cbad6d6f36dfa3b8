#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# device.sh BUILD_DIR — the simulated device's REST performance, against baselines measured in
# the same run:
#   1. sideload-to-installed latency of a 64 KiB package (`sphere device sideload deploy`:
#      stage + verify + policy + crash-safe install), p50 and p99 over 200 runs;
#   2. GET /status requests per second over HTTPS with wrk, against nginx serving a static
#      file of the same size with the same certificate and key, also over HTTPS on loopback.
set -euo pipefail
build=${1:-build}
runs=${RUNS:-200}
. "$(dirname "$0")/lib.sh"   # sphere, work, nginx_static, rate, clean-up at exit
bench_on_exit "$sphere" sim stop bench
"$sphere" sim create bench >/dev/null && "$sphere" sim start bench >/dev/null && "$sphere" device enable-development >/dev/null
state=$OPENSPHERE_HOME/devices/bench

mkdir -p "$work/app/bin"
printf '{"SchemaVersion":1,"Name":"bench","ComponentId":"33333333-0000-0000-0000-000000000001","EntryPoint":"/bin/app","Capabilities":{}}' \
  > "$work/app/app_manifest.json"
head -c $((64 * 1024 - 8192)) /dev/urandom > "$work/app/bin/app"
"$sphere" image-package pack-application --package-directory "$work/app" --destination "$work/app.ip" >/dev/null
size=$(stat -c %s "$work/app.ip")
for i in $(seq "$runs"); do
  s=$(date +%s%N); "$sphere" device sideload deploy -p "$work/app.ip" >/dev/null; e=$(date +%s%N)
  echo $(( (e - s) / 1000 ))
done | sort -n > "$work/lat"
p50=$(sed -n "$(( runs / 2 ))p" "$work/lat"); p99=$(sed -n "$(( runs * 99 / 100 ))p" "$work/lat")
printf 'sideload %d-byte package, %d runs: p50 %.2f ms, p99 %.2f ms\n' "$size" "$runs" "$(echo "$p50/1000" | bc -l)" "$(echo "$p99/1000" | bc -l)"

port=$(sed -n 's/.*"httpsPort": *\([0-9]*\).*/\1/p' "$state/device.json")
nport=$((port + 1))
body=$(curl -s --cacert "$state/tls.cert.pem" "https://127.0.0.1:$port/status")
mkdir -p "$work/www"; printf '%s' "$body" > "$work/www/status"
nginx_static "$work/www" "$state/tls.cert.pem" "$state/tls.key.pem" "$nport"
ours=$(rate "https://127.0.0.1:$port/status"); theirs=$(rate "https://127.0.0.1:$nport/status")
printf 'GET /status over HTTPS: sphered %.0f req/s, nginx (static file, same TLS key) %.0f req/s, ratio %.2f\n' \
  "$ours" "$theirs" "$(echo "$ours / $theirs" | bc -l)"
