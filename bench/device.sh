#!/usr/bin/env bash
# device.sh BUILD_DIR — the simulated device's REST performance, against baselines measured in
# the same run:
#   1. sideload-to-installed latency of a 64 KiB package (`sphere device sideload deploy`:
#      stage + verify + policy + crash-safe install), p50 and p99 over 200 runs;
#   2. GET /status requests per second over HTTPS with wrk, against nginx serving a static
#      file of the same size with the same certificate and key, also over HTTPS on loopback.
set -euo pipefail
build=${1:-build}
sphere=$(cd "$build/bin" && pwd)/sphere
runs=${RUNS:-200}
if ! command -v nginx >/dev/null; then  # the baseline; installed without starting its service
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx-light >/dev/null
fi
export OPENSPHERE_HOME=$(mktemp -d)
work=$(mktemp -d)
nginx_pid=""
cleanup() {
  "$sphere" sim stop bench >/dev/null 2>&1 || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  rm -rf "$OPENSPHERE_HOME" "$work"
}
trap cleanup EXIT
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
cat > "$work/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $work/nginx.pid; error_log $work/nginx.err;
events { worker_connections 256; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nport ssl; ssl_certificate $state/tls.cert.pem; ssl_certificate_key $state/tls.key.pem;
    location / { root $work/www; default_type application/json; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work" & nginx_pid=$!
sleep 0.5
rate() { wrk -t1 -c8 -d"${SECONDS_PER_RUN:-5}"s "$1" 2>/dev/null | awk '/Requests\/sec/ {print $2}'; }
ours=$(rate "https://127.0.0.1:$port/status"); theirs=$(rate "https://127.0.0.1:$nport/status")
printf 'GET /status over HTTPS: sphered %.0f req/s, nginx (static file, same TLS key) %.0f req/s, ratio %.2f\n' \
  "$ours" "$theirs" "$(echo "$ours / $theirs" | bc -l)"
