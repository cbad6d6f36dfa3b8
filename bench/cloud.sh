#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cloud.sh BUILD_DIR — device check-ins per second against the cloud service, with 1,000
# simulated device identities (each with its own device token, claimed into Field Test, whose
# deployment targets one image), once with SQLite and once with PostgreSQL (a server started
# here in a temp dir), beside nginx serving a static JSON file of the same size as a check-in
# answer over the same TLS certificate and key, in the same run. The check-in client is wrk
# with a Lua script cycling through the 1,000 tokens (POST /v1/device/checkin with a report of
# one installed image): a light client, not 1,000 daemons.
set -euo pipefail
build=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
secs=${SECONDS_PER_RUN:-5}
. "$src/bench/lib.sh"         # sphere, work, nginx_static, rate, bench_bg, clean-up at exit
. "$src/tests/lib/cloud.sh"   # cloud_serve, pg_start, pg_stop, free_port
bench_on_exit pg_stop
mkdir -p "$work/app/bin"
printf '{"SchemaVersion":1,"Name":"bench","ComponentId":"44444444-0000-0000-0000-000000000001","EntryPoint":"/bin/app","Capabilities":{}}' > "$work/app/app_manifest.json"
head -c 20000 /dev/urandom > "$work/app/bin/app"
"$sphere" image-package pack-application --package-directory "$work/app" --destination "$work/app.ip" >/dev/null

# serve NAME [--db URL] — starts a cloud, fills it with 1,000 claimed devices; sets url/ca/tokens file.
serve() {
  local name=$1; shift
  cloud_serve "$work/$name" "$@"; bench_pids+=("$cloud_pid")
  "$sphere" login --cloud "$url" --token-file "$work/$name/tokens/default.token" --ca-cert "$ca" >/dev/null
  "$sphere" product create --name Bench >/dev/null
  image=$("$sphere" image add --image "$work/app.ip" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  "$sphere" device-group deployment create --device-group "Bench/Field Test" --images "$image" >/dev/null
  python3 - "$url" "$ca" "$(cat "$work/$name/tokens/default.token")" "$work/$name.tokens" "$image" <<'PY'
import http.client, json, os, ssl, sys
url, ca, user, out, image = sys.argv[1:]
host, port = url[len("https://"):].split(":")
conn = http.client.HTTPSConnection(host, int(port), context=ssl.create_default_context(cafile=ca))
h = {"Authorization": "Bearer " + user, "Content-Type": "application/json"}
with open(out, "w") as f:
    for i in range(1000):
        dev = os.urandom(64).hex()
        conn.request("POST", f"/v1/devices/{dev}/token", headers=h); r = conn.getresponse(); tok = json.load(r)["token"]
        conn.request("POST", f"/v1/devices/{dev}/claim", body=json.dumps({"deviceGroup": "Bench/Field Test"}), headers=h)
        r = conn.getresponse(); r.read(); assert r.status == 201, r.status
        f.write(tok + "\n")
PY
}
cat > "$work/checkin.lua" <<'LUA'
local tokens, n, i = {}, 0, 0
for line in io.lines(os.getenv("TOKENS")) do n = n + 1; tokens[n] = line end
local body = os.getenv("BODY")
request = function()
  i = i % n + 1
  return wrk.format("POST", "/v1/device/checkin", {["Authorization"] = "Bearer " .. tokens[i],
                    ["Content-Type"] = "application/json"}, body)
end
LUA
checkin_rate() { # checkin_rate NAME — check-ins/s and the size of one answer
  local body='{"installed":[{"componentId":"44444444-0000-0000-0000-000000000001","imageId":"'"$image"'"}],"appDevelopment":false}'
  local tok; tok=$(head -1 "$work/$1.tokens")
  curl -s --cacert "$ca" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -d "$body" "$url/v1/device/checkin" > "$work/$1.answer"
  grep -q '"applicationUpdates":true' "$work/$1.answer" || { echo "check-in answer unexpected: $(cat "$work/$1.answer")"; exit 1; }
  TOKENS=$work/$1.tokens BODY=$body rate -s "$work/checkin.lua" "$url/v1/device/checkin"
}

serve sqlite
sqlite_rate=$(checkin_rate sqlite) sqlite_url=$url sqlite_ca_dir=$work/sqlite
size=$(stat -c %s "$work/sqlite.answer")
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  pg_start
  serve pg "${db_args[@]}"
  pg_rate=$(checkin_rate pg)
else
  pg_rate=0; echo "PostgreSQL is not installed: its figure is 0"
fi

# nginx: the same answer as a static file, same certificate and key as the SQLite cloud.
nport=$(free_port)
mkdir -p "$work/www"; cp "$work/sqlite.answer" "$work/www/checkin"
nginx_static "$work/www" "$sqlite_ca_dir/tls.cert.pem" "$sqlite_ca_dir/tls.key.pem" "$nport"
nginx_rate=$(rate "https://127.0.0.1:$nport/checkin")
printf 'device check-ins over HTTPS, 1000 device identities, %d-byte answer, wrk 1 thread 8 connections %ss:\n' "$size" "$secs"
printf '  cloud + SQLite      %8.0f check-ins/s (ratio to nginx %.2f)\n' "$sqlite_rate" "$(echo "$sqlite_rate / $nginx_rate" | bc -l)"
printf '  cloud + PostgreSQL  %8.0f check-ins/s (ratio to nginx %.2f)\n' "$pg_rate" "$(echo "$pg_rate / $nginx_rate" | bc -l)"
printf '  nginx static file   %8.0f req/s (same size, same TLS key)\n' "$nginx_rate"
