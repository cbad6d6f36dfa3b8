# SPDX-License-Identifier: MIT
# bench/lib.sh — the server start and stop shared by the benchmarks that measure one of ours
# against nginx (bench/cloud.sh, bench/device.sh). Source it after `set -euo pipefail` with
# $build set; it makes $work, $OPENSPHERE_HOME and $OPENSPHERE_CONFIG_DIR (temp folders), sets
# $sphere, installs nginx-light when missing (the baseline; its service is not started), and
# traps EXIT to bench_cleanup. It defines:
#   bench_bg CMD...                 run CMD in the background; stopped by bench_cleanup
#   bench_on_exit CMD...            run CMD (errors ignored) in bench_cleanup, after the servers stop
#   nginx_static ROOT CERT KEY PORT nginx serving the files in ROOT over HTTPS on 127.0.0.1:PORT
#                                   with that certificate and key (its files in $work); waits 0.5 s
#   rate WRK-ARGS... URL            requests per second: wrk, 1 thread, 8 connections,
#                                   ${SECONDS_PER_RUN:-5} seconds
#   bench_cleanup                   the EXIT trap: stops the background processes, runs the exit
#                                   commands, deletes the temp folders
sphere=$(cd "$build/bin" && pwd)/sphere
if ! command -v nginx >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx-light >/dev/null
fi
export OPENSPHERE_HOME=$(mktemp -d) OPENSPHERE_CONFIG_DIR=$(mktemp -d)
work=$(mktemp -d)
bench_pids=() bench_exit_cmds=()
bench_bg() { "$@" & bench_pids+=($!); }
bench_on_exit() { bench_exit_cmds+=("$(printf '%q ' "$@")"); }
bench_cleanup() {
  local c p
  for p in "${bench_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for c in "${bench_exit_cmds[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
  rm -rf "$work" "$OPENSPHERE_HOME" "$OPENSPHERE_CONFIG_DIR"
}
trap bench_cleanup EXIT
nginx_static() {
  local root=$1 cert=$2 key=$3 port=$4
  cat > "$work/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $work/nginx.pid; error_log $work/nginx.err;
events { worker_connections 256; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$port ssl; ssl_certificate $cert; ssl_certificate_key $key;
    location / { root $root; default_type application/json; }
  }
}
CONF
  bench_bg nginx -c "$work/nginx.conf" -p "$work"
  sleep 0.5
}
rate() { wrk -t1 -c8 -d"${SECONDS_PER_RUN:-5}"s "$@" 2>/dev/null | awk '/Requests\/sec/ {print $2}'; }
