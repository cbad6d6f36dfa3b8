# SPDX-License-Identifier: MIT
# tests/lib/cloud.sh — the cloud service's set-up for the shell tests (cloud, cloud OTA, twin, the
# OTA end to end through scripts/ota_env.sh) and bench/cloud.sh. Source it after tests/cli/lib.sh,
# with $sphere, $src and $work set; it defines, it runs nothing:
#   free_port                 a free TCP port on 127.0.0.1
#   pg_as CMD...              CMD as nobody when root (PostgreSQL does not run as root)
#   pg_start [OPTION...]      a PostgreSQL server of its own in a temp dir, OPTIONs added to the
#                             server's (the tests give -F); sets pgdir, pg_bin, pg_url and
#                             db_args=(--db $pg_url). Exits 1 with "SKIP: ..." when PostgreSQL is
#                             not installed, and 1 with the server's log when it does not start
#   pg_stop                   stops that server and deletes its folder
#   cloud_serve DATA ARG...   `sphere cloud serve --data DATA ARG...` in the background (stderr
#                             appended to $work/cloud.log), waits up to 20 s, while it lives, for a
#                             new DATA/cloud.url; sets cloud_pid, url, ca=DATA/tls.cert.pem and the
#                             tenant tokens acme and other (when DATA/tokens has them). Returns 1,
#                             after printing the log, when it never serves
#   cloud_stop [SIGNAL]       stops the service (default TERM; its broker goes with it)
#   nginx_ota LISTEN DATA [SED-ARG...]  nginx configured from tools/nginx-ota.conf.in in
#                             $work/nginx ($nginx_dir) on LISTEN, serving DATA/ota and sending the
#                             rest to $url (CA $ca); SED-ARGs edit the configuration further.
#                             Returns 1, start log printed, when it does not start
#   nginx_front LISTEN DATA WORKERS ADDR:PORT...  nginx configured from tools/nginx-cloud.conf.in
#                             in $work/nginx ($nginx_dir) on LISTEN (TLS with DATA's certificate),
#                             in front of the cloud instances at ADDR:PORT... Returns 1, start log
#                             printed, when it does not start
#   cloud_cleanup             the EXIT trap: stops the simulated devices (lib.sh's sim_stop_all),
#                             the service, nginx and PostgreSQL, deletes $work, $OPENSPHERE_HOME
#                             and $OPENSPHERE_CONFIG_DIR
cloud_pid="" pgdir="" nginx_dir="" db_args=()
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pg_as() { if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
pg_start() {
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$pg_bin/initdb" ] || { echo "SKIP: PostgreSQL is not installed (apt-get install postgresql)"; exit 1; }
  pgdir=$(mktemp -d); chmod 755 "$pgdir"; [ "$(id -u)" -eq 0 ] && chown nobody "$pgdir"
  local port; port=$(free_port)
  pg_as "$pg_bin/initdb" -D "$pgdir/data" -A trust -U cloud >"$pgdir/initdb.log" 2>&1 || { cat "$pgdir/initdb.log"; exit 1; }
  pg_as "$pg_bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w -o "-h 127.0.0.1 -p $port -k $pgdir $*" start >/dev/null \
    || { cat "$pgdir/log"; exit 1; }
  pg_url=postgresql://cloud@127.0.0.1:$port/postgres
  db_args=(--db "$pg_url")
}
pg_stop() {
  [ -n "$pgdir" ] || return 0
  pg_as "$pg_bin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1; rm -rf "$pgdir"; pgdir=""
}
cloud_serve() {
  local data=$1; shift
  rm -f "$data/cloud.url"
  "$sphere" cloud serve --data "$data" "$@" 2>>"$work/cloud.log" &
  cloud_pid=$!
  local end=$((SECONDS + 20))
  until [ -f "$data/cloud.url" ]; do
    if [ $SECONDS -gt $end ] || ! kill -0 "$cloud_pid" 2>/dev/null; then
      echo "the cloud service did not start:"; sed 's/^/  | /' "$work/cloud.log"; return 1
    fi
    sleep 0.05
  done
  url=$(cat "$data/cloud.url") ca=$data/tls.cert.pem
  [ -f "$data/tokens/acme.token" ] && acme=$(cat "$data/tokens/acme.token")
  [ -f "$data/tokens/other.token" ] && other=$(cat "$data/tokens/other.token")
  return 0
}
cloud_stop() { [ -n "$cloud_pid" ] && kill -"${1:-TERM}" "$cloud_pid" 2>/dev/null && wait "$cloud_pid" 2>/dev/null; cloud_pid=""; }
nginx_ota() {
  local listen=$1 data=$2; shift 2
  nginx_dir=$work/nginx; mkdir -p "$nginx_dir"
  sed -e "s|@USER@|$(id -un)|; s|@RUNDIR@|$nginx_dir|g; s|@LISTEN@|$listen|; s|@OTA_ROOT@|$data/ota|" \
      -e "s|@CLOUD_URL@|$url|; s|@CLOUD_CA@|$ca|" "$@" "$src/tools/nginx-ota.conf.in" >"$nginx_dir/nginx.conf"
  "$(command -v nginx || echo /usr/sbin/nginx)" -e "$nginx_dir/error.log" -p "$nginx_dir" -c "$nginx_dir/nginx.conf" \
      2>"$nginx_dir/start.log" && return 0
  echo "nginx did not start:"; cat "$nginx_dir/start.log" "$nginx_dir/error.log" 2>/dev/null | head -10 | sed 's/^/  | /'; return 1
}
nginx_front() {
  local listen=$1 data=$2 workers=$3 ups="" b; shift 3
  for b in "$@"; do ups+="server $b; "; done
  nginx_dir=$work/nginx; mkdir -p "$nginx_dir"
  sed -e "s|@RUNDIR@|$nginx_dir|g; s|@WORKERS@|$workers|; s|@LISTEN@|$listen|; s|@UPSTREAMS@|$ups|" \
      -e "s|@TLS_CERT@|$data/tls.cert.pem|; s|@TLS_KEY@|$data/tls.key.pem|; s|@CLOUD_CA@|$data/tls.cert.pem|" \
      "$src/tools/nginx-cloud.conf.in" >"$nginx_dir/nginx.conf"
  "$(command -v nginx || echo /usr/sbin/nginx)" -e "$nginx_dir/error.log" -p "$nginx_dir" -c "$nginx_dir/nginx.conf" \
      2>"$nginx_dir/start.log" && return 0
  echo "nginx did not start:"; cat "$nginx_dir/start.log" "$nginx_dir/error.log" 2>/dev/null | head -10 | sed 's/^/  | /'; return 1
}
cloud_cleanup() {
  sim_stop_all
  cloud_stop
  [ -n "$nginx_dir" ] && [ -f "$nginx_dir/nginx.pid" ] && kill "$(cat "$nginx_dir/nginx.pid")" 2>/dev/null
  pg_stop
  rm -rf "$work" "$OPENSPHERE_HOME" "$OPENSPHERE_CONFIG_DIR"
}
