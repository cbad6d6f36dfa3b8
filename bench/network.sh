#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/network.sh [BUILD_DIR] — network confinement overhead (docs/network.md): connect latency
# (median) and HTTP request throughput (libcurl, keep-alive, HTTP/1.1) from a confined app on a simulated
# device vs the same client run unconfined on the host, in the same run, against the same local
# nginx. The confined app also measures the same with plain libc calls (socket()+connect() and
# libcurl without the helper: libapplibs' interposers, docs/network.md "Plain sockets").
# Runs in a private network namespace (unshare -n); only 127.0.0.1 there is contacted.
# Prints both, and the throughput ratio (target >= 0.9).
set -u
if [ "${OPENSPHERE_NETNS_BENCH:-}" != 1 ]; then
  [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null || { echo "needs root and unshare -n"; exit 1; }
  OPENSPHERE_NETNS_BENCH=1 exec unshare -n bash "$0" "$@"
fi
build=$(cd "${1:-build}" && pwd)
sphere=$build/bin/sphere sdk=$build/sdk
export OPENSPHERE_HOME=$(mktemp -d)
work=$(mktemp -d)
server_pid=
cleanup() {
  "$sphere" sim stop bench >/dev/null 2>&1
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work" "$OPENSPHERE_HOME"
}
trap cleanup EXIT
ip link set lo up
SECONDS_PER_RUN=${SECONDS_PER_RUN:-3} CONNECTS=${CONNECTS:-300}

cat > "$work/client.c" <<'C'
#include <applibs/networking_curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static size_t sink(char *d, size_t s, size_t n, void *u) { (void)d, (void)u; return s * n; }
static int by_value(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
static double median(double *v, int n) { qsort(v, (size_t)n, sizeof *v, by_value); return v[n / 2]; }
int main(int argc, char **argv)
{
    int connects = atoi(argv[1]);
    double seconds = atof(argv[2]);
    sleep(1); /* let the start settle (the CLI that installed the app exiting, the device's start-up work) */
    struct in_addr lo = {htonl(INADDR_LOOPBACK)};
    /* Per-connect times, extension and plain calls alternating, reported as medians: a connect
     * that meets a full accept queue at the server waits a whole SYN retransmission (1 s), which
     * would otherwise dominate a mean. */
    double *ext = calloc((size_t)connects, sizeof *ext), *plain = calloc((size_t)connects, sizeof *plain);
    for (int i = 0; i < connects; i++) {
        struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(18080), .sin_addr = lo};
        double t0 = now();
#ifdef HOST
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(s, (struct sockaddr *)&to, sizeof to) < 0) return 1;
#else
        int s = OpenSphere_Networking_Connect(lo, 18080, SOCK_STREAM);
        if (s < 0) { perror("connect"); return 1; }
#endif
        ext[i] = now() - t0;
        close(s);
#ifndef HOST
        t0 = now(); /* plain libc calls: libapplibs' interposers */
        s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0 || connect(s, (struct sockaddr *)&to, sizeof to) < 0) { perror("plain connect"); return 1; }
        plain[i] = now() - t0;
        close(s);
#endif
    }
    double connect_us = median(ext, connects) * 1e6, plain_us = median(plain, connects) * 1e6;
    double t0;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *c = curl_easy_init();
#ifndef HOST
    struct OpenSphere_CurlConfinement conf;
    OpenSphere_Curl_Confine(c, &conf, "127.0.0.1", 18080);
#endif
    curl_easy_setopt(c, CURLOPT_URL, "http://127.0.0.1:18080/");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    long n = 0;
    t0 = now();
    CURLcode rc = CURLE_OK;
    while (now() - t0 < seconds && (rc = curl_easy_perform(c)) == CURLE_OK)
        n++;
    if (rc)
        fprintf(stderr, "curl: %s\n", curl_easy_strerror(rc));
    double rps = n / (now() - t0);
    double plain_rps = 0;
#ifndef HOST
    CURL *p = curl_easy_init(); /* no helper: plain getaddrinfo/socket/connect inside libcurl */
    curl_easy_setopt(p, CURLOPT_URL, "http://127.0.0.1:18080/");
    curl_easy_setopt(p, CURLOPT_WRITEFUNCTION, sink);
    long m = 0;
    t0 = now();
    while (now() - t0 < seconds && (rc = curl_easy_perform(p)) == CURLE_OK)
        m++;
    if (rc)
        fprintf(stderr, "plain curl: %s\n", curl_easy_strerror(rc));
    plain_rps = m / (now() - t0);
    curl_easy_cleanup(p);
#endif
    printf("BENCH connect_us %.1f requests_per_s %.0f plain_connect_us %.1f plain_requests_per_s %.0f\n", connect_us, rps,
           plain_us, plain_rps);
    fflush(stdout);
    curl_easy_cleanup(c);
    pause();
    return 0;
}
C
cc -O2 -DHOST -o "$work/host-client" "$work/client.c" -isystem "$sdk/Sysroots/17/usr/include" -lcurl || exit 1
mkdir -p "$work/app/bin"
cc -O2 -o "$work/app/bin/app" "$work/client.c" -isystem "$sdk/Sysroots/17/usr/include" -L"$sdk/Sysroots/17/usr/lib" -lapplibs -lcurl || exit 1
printf '{"SchemaVersion":1,"Name":"netbench","ComponentId":"77777777-0000-0000-0000-000000000001","EntryPoint":"/bin/app","CmdArgs":["%s","%s"],"Capabilities":{"AllowedConnections":["127.0.0.1"]}}' \
  "$CONNECTS" "$SECONDS_PER_RUN" > "$work/app/app_manifest.json"
"$sphere" image-package pack-application --package-directory "$work/app" --destination "$work/app.ip" >/dev/null || exit 1

# The server: nginx, one worker, a 6-byte answer written with its headers in one segment, the
# connection kept for the whole run. (Python's http.server wrote headers and body separately, so
# how often a client woke twice per request depended on timing, not on confinement.)
cat > "$work/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $work/nginx.pid; error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off; keepalive_requests 100000000; keepalive_timeout 60s;
  server { listen 127.0.0.1:18080 backlog=1024; location / { default_type text/plain; return 200 "hello\\n"; } }
}
CONF
nginx -c "$work/nginx.conf" -p "$work" & server_pid=$!
sleep 0.5
"$sphere" sim create bench >/dev/null && "$sphere" sim start bench >/dev/null && "$sphere" device enable-development >/dev/null || exit 1

timeout $((SECONDS_PER_RUN + 20)) "$work/host-client" "$CONNECTS" "$SECONDS_PER_RUN" > "$work/host.out" &
sleep $((SECONDS_PER_RUN + 3)); kill %2 2>/dev/null
host=$(grep BENCH "$work/host.out")
"$sphere" device sideload deploy -p "$work/app.ip" >/dev/null || exit 1
# Not a CLI call while the app measures: each one costs CPU the host run did not have to share.
sleep $((SECONDS_PER_RUN * 2 + 2))
for _ in $(seq 1 $((SECONDS_PER_RUN * 20 + 100))); do
  app=$("$sphere" device app log 2>/dev/null | grep -o 'BENCH .*' | tail -1); [ -n "$app" ] && break; sleep 0.1
done
"$sphere" device app log | grep -q "over its memory limit" && echo "note: the confined client hit the memory limit"
echo "host:     ${host#BENCH }"
echo "confined: ${app#BENCH }"
h=$(echo "$host" | awk '{print $5}') a=$(echo "$app" | awk '{print $5}')
hc=$(echo "$host" | awk '{print $3}') ac=$(echo "$app" | awk '{print $3}')
pc=$(echo "$app" | awk '{print $7}') pa=$(echo "$app" | awk '{print $9}')
[ -n "$h" ] && [ -n "$a" ] && [ -n "$pc" ] && [ -n "$pa" ] || { echo "a run produced no result"; exit 1; }
awk -v h="$h" -v a="$a" -v hc="$hc" -v ac="$ac" -v pc="$pc" -v pa="$pa" 'BEGIN {
  printf "throughput ratio (confined/host): %.2f (target >= 0.9)\n", a / h
  printf "connect latency: host %.1f us, confined %.1f us (%.1fx)\n", hc, ac, ac / hc
  printf "plain libc in the app: connect %.1f us (%.2fx the extension), plain libcurl %.0f req/s (%.2fx the helper, %.2fx host)\n", pc, pc / ac, pa, pa / a, pa / h }'
