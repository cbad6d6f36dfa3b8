#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cloud.sh BUILD_DIR — device check-ins per second against the cloud service, with 1,000
# simulated device identities (each with its own device token, claimed into Field Test, whose
# deployment targets one image), once with SQLite and once with PostgreSQL (a server started
# here in a temp dir), beside nginx serving a static JSON file of the same size as a check-in
# answer over the same TLS certificate and key, in the same run. The check-in client is wrk
# with a Lua script cycling through the 1,000 tokens (POST /v1/device/checkin with a report of
# one installed image): a light client, not 1,000 daemons. Each figure follows a 2 s warm-up.
# PostgreSQL is measured twice on the same data: with the server's synchronous_commit (default:
# on; the service commits only a check-in's own transaction, soft state the device re-sends,
# without waiting for the WAL flush, everything else synchronously — docs/cloud.md, "Durability")
# and with synchronous_commit=off in the URL (every commit asynchronous); the ratio to SQLite is
# printed. Scale-out: one instance direct, the same behind nginx
# (tools/nginx-cloud.conf.in), and two instances on the same database and data folder behind
# nginx, each with the CPU time per check-in of the service, PostgreSQL and nginx, and how busy
# the whole machine was; then the 2-instance / 1-instance ratios.
set -euo pipefail
build=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
secs=${SECONDS_PER_RUN:-5}
. "$src/bench/lib.sh"         # sphere, work, nginx_static, rate, bench_bg, clean-up at exit
. "$src/tests/lib/cloud.sh"   # cloud_serve, pg_start, pg_stop, free_port
bench_on_exit pg_stop
bench_on_exit front_stop
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
  # A 2 s warm-up first (same for every backend): the first writes after the 1,000 devices were
  # made cost more (PostgreSQL's first change of a page after a checkpoint logs the whole page).
  TOKENS=$work/$1.tokens BODY=$body SECONDS_PER_RUN=2 rate -s "$work/checkin.lua" "$url/v1/device/checkin" >/dev/null
  TOKENS=$work/$1.tokens BODY=$body rate -s "$work/checkin.lua" "$url/v1/device/checkin"
}

# cpu_ticks PID... — user + system clock ticks of those processes (all threads) so far.
cpu_ticks() { local p t=0; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $5 + $6}' /proc/stat; } # busy idle
pg_pids() { local pm; pm=$(head -1 "$pgdir/data/postmaster.pid" 2>/dev/null) || return 0; echo "$pm" $(ps -o pid= --ppid "$pm"); }
nginx_pids() { local m; m=$(cat "$work/nginx/nginx.pid" 2>/dev/null) || return 0; echo "$m" $(ps -o pid= --ppid "$m"); }
front_stop() { [ -f "$work/nginx/nginx.pid" ] && kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null; sleep 0.5; rm -f "$work/nginx/nginx.pid"; }
# profiled_rate NAME URL CLOUD-PIDS — checkin_rate against URL, then the CPU it cost per check-in
# (µs) in the cloud instances, PostgreSQL and the nginx front, and how busy the machine was (all
# processes, the load generator and anything else running included). Sets prof_rate, prof_line.
profiled_rate() {
  local name=$1 u=$2; shift 2
  local pgp ngp c0 p0 n0 m0 c1 p1 n1 m1 hz r
  pgp=$(pg_pids) ngp=$(nginx_pids); hz=$(getconf CLK_TCK)
  c0=$(cpu_ticks "$@") p0=$(cpu_ticks $pgp) n0=$(cpu_ticks $ngp) m0=$(machine_ticks)
  r=$(url=$u checkin_rate "$name")
  c1=$(cpu_ticks "$@") p1=$(cpu_ticks $pgp) n1=$(cpu_ticks $ngp) m1=$(machine_ticks)
  prof_line=$(python3 -c '
import sys
r, hz, c, p, n, b0, i0, b1, i1, secs = map(float, sys.argv[1:])
per = lambda t: t / hz / (r * secs) * 1e6 if r else 0
print("%8.0f check-ins/s   CPU per check-in: cloud %4.0f us, PostgreSQL %4.0f us, nginx %4.0f us; machine busy %3.0f%%"
      % (r, per(c), per(p), per(n), 100 * (b1 - b0) / ((b1 - b0) + (i1 - i0))))' \
      "$r" "$hz" $((c1 - c0)) $((p1 - p0)) $((n1 - n0)) $m0 $m1 "$secs")
  prof_rate=$r
}

serve sqlite
sqlite_rate=$(checkin_rate sqlite) sqlite_url=$url sqlite_ca_dir=$work/sqlite
size=$(stat -c %s "$work/sqlite.answer")
scale=""
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  pg_start
  serve pg "${db_args[@]}"
  pg_url1=$url pg_pid1=$cloud_pid
  pg_rate=$(checkin_rate pg)
  # The same data with every commit not waiting for the WAL flush (libpq options in the URL). Not
  # the default; see docs/cloud.md.
  cloud_serve "$work/pg" --db "$pg_url?options=-c%20synchronous_commit%3Doff"; bench_pids+=("$cloud_pid")
  pg_async_rate=$(checkin_rate pg); kill "$cloud_pid"; wait "$cloud_pid" 2>/dev/null || true
  # Scale-out: a second instance on the same database and data folder, nginx in front.
  cloud_serve "$work/pg" "${db_args[@]}"; bench_pids+=("$cloud_pid"); pg_url2=$url pg_pid2=$cloud_pid
  pport=$(free_port)
  profiled_rate pg "$pg_url1" "$pg_pid1"; one_direct=$prof_rate prof_direct=$prof_line
  nginx_front "127.0.0.1:$pport" "$work/pg" auto "${pg_url1#https://}"
  profiled_rate pg "https://127.0.0.1:$pport" "$pg_pid1"; one_front=$prof_rate prof_one=$prof_line
  front_stop
  nginx_front "127.0.0.1:$pport" "$work/pg" auto "${pg_url1#https://}" "${pg_url2#https://}"
  profiled_rate pg "https://127.0.0.1:$pport" "$pg_pid1" "$pg_pid2"; two_front=$prof_rate prof_two=$prof_line
  front_stop
  scale=yes
else
  pg_rate=0 pg_async_rate=0; echo "PostgreSQL is not installed: its figure is 0"
fi

# nginx: the same answer as a static file, same certificate and key as the SQLite cloud.
nport=$(free_port)
mkdir -p "$work/www"; cp "$work/sqlite.answer" "$work/www/checkin"
nginx_static "$work/www" "$sqlite_ca_dir/tls.cert.pem" "$sqlite_ca_dir/tls.key.pem" "$nport"
nginx_rate=$(rate "https://127.0.0.1:$nport/checkin")
ratio() { echo "$1 / $2" | bc -l; }
printf 'device check-ins over HTTPS, 1000 device identities, %d-byte answer, wrk 1 thread 8 connections %ss:\n' "$size" "$secs"
printf '  cloud + SQLite      %8.0f check-ins/s (ratio to nginx %.2f)\n' "$sqlite_rate" "$(ratio "$sqlite_rate" "$nginx_rate")"
printf '  cloud + PostgreSQL  %8.0f check-ins/s (ratio to nginx %.2f, to SQLite %.2f)\n' "$pg_rate" \
  "$(ratio "$pg_rate" "$nginx_rate")" "$(ratio "$pg_rate" "$sqlite_rate")"
printf '    synchronous_commit=off %8.0f check-ins/s (ratio to SQLite %.2f; every commit asynchronous)\n' \
  "$pg_async_rate" "$(ratio "$pg_async_rate" "$sqlite_rate")"
printf '  nginx static file   %8.0f req/s (same size, same TLS key)\n' "$nginx_rate"
if [ -n "$scale" ]; then
  printf 'scale-out on one PostgreSQL (same data), nginx front with worker_processes auto:\n'
  printf '  1 instance, direct        %s\n' "$prof_direct"
  printf '  1 instance behind nginx   %s\n' "$prof_one"
  printf '  2 instances behind nginx  %s\n' "$prof_two"
  printf '  2 instances / 1 instance: %.2f (direct), %.2f (both behind nginx)\n' \
    "$(ratio "$two_front" "$one_direct")" "$(ratio "$two_front" "$one_front")"
fi
