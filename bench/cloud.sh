#!/usr/bin/env bash
# cloud.sh BUILD_DIR — device check-ins per second against the cloud service, with 1,000
# simulated device identities (each with its own device token, claimed into Field Test, whose
# deployment targets one image), once with SQLite and once with PostgreSQL (a server started
# here in a temp dir), beside nginx serving a static JSON file of the same size as a check-in
# answer over the same TLS certificate and key, in the same run. The check-in client is wrk
# with a Lua script cycling through the 1,000 tokens (POST /v1/device/checkin with a report of
# one installed image): a light client, not 1,000 daemons.
set -euo pipefail
build=${1:-build}
sphere=$(cd "$build/bin" && pwd)/sphere
secs=${SECONDS_PER_RUN:-5}
if ! command -v nginx >/dev/null; then  # the baseline; installed without starting its service
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx-light >/dev/null
fi
export OPENSPHERE_HOME=$(mktemp -d) OPENSPHERE_CONFIG_DIR=$(mktemp -d)
work=$(mktemp -d)
pids=() pgdir=""
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pg_as() { if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "$pgdir" ] && pg_as "$pg_bin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work" "$OPENSPHERE_HOME" "$OPENSPHERE_CONFIG_DIR" "$pgdir"
}
trap cleanup EXIT
mkdir -p "$work/app/bin"
printf '{"SchemaVersion":1,"Name":"bench","ComponentId":"44444444-0000-0000-0000-000000000001","EntryPoint":"/bin/app","Capabilities":{}}' > "$work/app/app_manifest.json"
head -c 20000 /dev/urandom > "$work/app/bin/app"
"$sphere" image-package pack-application --package-directory "$work/app" --destination "$work/app.ip" >/dev/null

# serve NAME [--db URL] — starts a cloud, fills it with 1,000 claimed devices; sets url/ca/tokens file.
serve() {
  local name=$1; shift
  "$sphere" cloud serve --data "$work/$name" "$@" 2>"$work/$name.log" & pids+=($!)
  for i in $(seq 200); do [ -f "$work/$name/cloud.url" ] && break; sleep 0.05; done
  url=$(cat "$work/$name/cloud.url") ca=$work/$name/tls.cert.pem
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
rate() { wrk -t1 -c8 -d"${secs}"s "$@" 2>/dev/null | awk '/Requests\/sec/ {print $2}'; }
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
if [ -x "$pg_bin/initdb" ]; then
  pgdir=$(mktemp -d); chmod 755 "$pgdir"; [ "$(id -u)" -eq 0 ] && chown nobody "$pgdir"
  pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  pg_as "$pg_bin/initdb" -D "$pgdir/data" -A trust -U cloud >/dev/null
  pg_as "$pg_bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w -o "-h 127.0.0.1 -p $pgport -k $pgdir" start >/dev/null
  serve pg --db "postgresql://cloud@127.0.0.1:$pgport/postgres"
  pg_rate=$(checkin_rate pg)
else
  pg_rate=0; echo "PostgreSQL is not installed: its figure is 0"
fi

# nginx: the same answer as a static file, same certificate and key as the SQLite cloud.
nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/www"; cp "$work/sqlite.answer" "$work/www/checkin"
cat > "$work/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $work/nginx.pid; error_log $work/nginx.err;
events { worker_connections 256; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nport ssl; ssl_certificate $sqlite_ca_dir/tls.cert.pem; ssl_certificate_key $sqlite_ca_dir/tls.key.pem;
    location / { root $work/www; default_type application/json; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work" & pids+=($!)
sleep 0.5
nginx_rate=$(rate "https://127.0.0.1:$nport/checkin")
printf 'device check-ins over HTTPS, 1000 device identities, %d-byte answer, wrk 1 thread 8 connections %ss:\n' "$size" "$secs"
printf '  cloud + SQLite      %8.0f check-ins/s (ratio to nginx %.2f)\n' "$sqlite_rate" "$(echo "$sqlite_rate / $nginx_rate" | bc -l)"
printf '  cloud + PostgreSQL  %8.0f check-ins/s (ratio to nginx %.2f)\n' "$pg_rate" "$(echo "$pg_rate / $nginx_rate" | bc -l)"
printf '  nginx static file   %8.0f req/s (same size, same TLS key)\n' "$nginx_rate"
