#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_network.sh SPHERE SOURCE_DIR — network confinement end to end (docs/network.md). The whole
# test, the simulated device included, runs in a network namespace it creates (unshare -n): test
# hosts are addresses 10.77.0.1-5 on a veth interface there, served by a small Python server
# (HTTP :8080, HTTPS :8443, UDP echo :9000, a held TCP port :8099). Nothing outside the namespace is
# ever contacted. A hostile probe app (tests/unit/net/netprobe.c) tries the allowed and the
# forbidden: literals, names with several addresses, TTL expiry, IPv6, raw, netlink and AF_UNIX
# sockets, sendto on a UDP flow, an address rewritten during the connect, libcurl with and
# without the helper, server ports and port claims. The same probe then does everything with
# plain libc calls (getaddrinfo/socket/connect/bind/listen: libapplibs' interposers), plain libcurl
# fetches over HTTP and HTTPS (the device has a 4 MiB memory limit for OpenSSL), and an unmodified
# libmosquitto client (tests/unit/net/mqttprobe.c) talks to a mosquitto broker the test starts on
# 10.77.0.3:1883 (and 10.77.0.4:1883, which the app may not reach).
set -u
if [ "${OPENSPHERE_NETNS_TEST:-}" != 1 ]; then
  if [ "$(id -u)" != 0 ] || ! unshare -n true 2>/dev/null || ! command -v ip >/dev/null || ! command -v python3 >/dev/null; then
    echo "SKIP: needs root, unshare -n, iproute2 and python3 for a private network namespace"; exit 0
  fi
  OPENSPHERE_NETNS_TEST=1 exec unshare -n bash "$0" "$@"
fi
sphere=$1 src=$2
. "$src/tests/cli/lib.sh"
device_test_env # $bin, $sdk; new temporary $OPENSPHERE_HOME and $work
server_pid= broker_pid=
cleanup() {
  sim_stop_all
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
  [ -n "${KEEP:-}" ] && cp "$logf" /tmp/net-last.log; sim_cleanup
}
trap cleanup EXIT
logf=$work/log log_wait=10 log_show="NET " log_tail=40 # expect_log waits 10 s, shows the last 40 NET lines
want() { grep -qF -- "NET $1" "$logf" && ok || { bad "expected 'NET $1'"; grep -F "NET ${1%% *}" "$logf" | sed 's/^/  | /'; }; }

# ---- the namespace's test hosts ------------------------------------------------------------------
ip link set lo up && ip link add dum0 type veth peer name dum1 && ip link set dum1 up && ip link set dum0 up || { echo "cannot set up the namespace"; exit 1; }
for i in 1 2 3 4 5; do ip addr add 10.77.0.$i/24 dev dum0; done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=secure.test \
  -addext "subjectAltName=DNS:secure.test,DNS:evil.test,IP:10.77.0.4" -keyout "$work/key.pem" -out "$work/ca.pem" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=secure.test \
  -addext "subjectAltName=DNS:secure.test" -keyout "$work/badkey.pem" -out "$work/badca.pem" 2>/dev/null
cat > "$work/server.py" <<'PY'
import http.server, socket, socketserver, ssl, sys, threading, os
logdir = sys.argv[1]
def note(name, line):
    with open(os.path.join(logdir, name), "a") as f: f.write(line + "\n")
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello from %s\n" % self.server.server_address[0]).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True; allow_reuse_address = True
    def verify_request(self, request, client):
        note("conn-" + self.server_address[0], "tcp")
        return True
def serve(s): threading.Thread(target=s.serve_forever, daemon=True).start()
for i in range(1, 6):
    a = "10.77.0.%d" % i
    serve(S((a, 8080), H))
    t = S((a, 8443), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(os.path.join(logdir, "ca.pem"), os.path.join(logdir, "key.pem"))
    t.socket = ctx.wrap_socket(t.socket, server_side=True); serve(t)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((a, 9000))
    def echo(u=u, a=a):
        while True:
            data, peer = u.recvfrom(2048); note("udp-" + a, data.decode(errors="replace")); u.sendto(data.replace(b"ping", b"pong"), peer)
    threading.Thread(target=echo, daemon=True).start()
held = socket.socket(); held.bind(("0.0.0.0", 8099)); held.listen()
open(os.path.join(logdir, "ready"), "w").close()
threading.Event().wait()
PY
python3 "$work/server.py" "$work" & server_pid=$!
until_ok 5 test -e "$work/ready" || { echo "the test server did not start"; exit 1; }

"$sphere" sim create net --memory-limit-kb 4096 >/dev/null && "$sphere" sim start net >/dev/null && "$sphere" device enable-development >/dev/null \
  || { echo "cannot start a simulated device"; exit 1; }

# ---- sim hosts ----------------------------------------------------------------------------------
"$sphere" sim hosts add multi.test 10.77.0.2 >/dev/null && "$sphere" sim hosts add -d net multi.test -a 10.77.0.3 >/dev/null \
  && "$sphere" sim hosts add secure.test -a 10.77.0.1 >/dev/null && "$sphere" sim hosts add evil.test -a 10.77.0.4 >/dev/null \
  && "$sphere" sim hosts add short.test -a 10.77.0.5 --ttl 2 >/dev/null && "$sphere" sim hosts add broker.test -a 10.77.0.3 >/dev/null \
  && ok || bad "sim hosts add failed"
"$sphere" sim hosts add bad_name -a 10.77.0.1 >/dev/null 2>&1 && bad "a bad host name was accepted" || ok
"$sphere" sim hosts add x.test >/dev/null 2>"$work/err"; rc=$?
[ $rc = 2 ] && grep -q "missing ADDRESS" "$work/err" && ok || bad "hosts add without an address: exit $rc, $(cat "$work/err")"
"$sphere" sim hosts add x.test 10.77.0.2 -a 10.77.0.3 >/dev/null 2>"$work/err"; rc=$?
[ $rc = 2 ] && grep -q "two addresses given" "$work/err" && ok || bad "hosts add with two addresses: exit $rc, $(cat "$work/err")"
"$sphere" sim hosts add x.test -a 10.77.0 >/dev/null 2>&1 && bad "a bad address was accepted" || ok
"$sphere" sim hosts add gone.test -a 10.77.0.3 >/dev/null && "$sphere" sim hosts remove gone.test >/dev/null && ok || bad "sim hosts remove failed"
"$sphere" sim hosts list > "$work/hosts"
grep -q "multi.test *10.77.0.3 *300" "$work/hosts" && grep -q "short.test *10.77.0.5 *2" "$work/hosts" && ! grep -q gone.test "$work/hosts" \
  && ok || { bad "sim hosts list is wrong"; cat "$work/hosts"; }
# The table is the device's state: it survives a restart; a damaged file stops the device with
# an error naming the file, the entry and the reason, and nothing of it is lost.
"$sphere" sim stop net >/dev/null && "$sphere" sim start net >/dev/null || bad "cannot restart the device"
"$sphere" sim hosts list > "$work/hosts.after"
cmp -s "$work/hosts" "$work/hosts.after" && ok || { bad "the static hosts changed across a restart"; diff "$work/hosts" "$work/hosts.after"; }
hosts_file=$OPENSPHERE_HOME/devices/net/hosts.json
"$sphere" sim stop net >/dev/null && cp "$hosts_file" "$work/hosts.json.good" \
  && sed -i '0,/"ttl": 300/s//"ttl": -1/' "$hosts_file" || bad "cannot damage the hosts file"
"$sphere" sim start net > "$work/start.out" 2>&1 && bad "the device started with a damaged hosts file" || ok
grep -qF "$hosts_file: [0].ttl must be an integer from 1 to 86400" "$work/start.out" && ok \
  || { bad "the damaged hosts file's error does not name the file, entry and reason"; cat "$work/start.out"; }
cp "$work/hosts.json.good" "$hosts_file" && "$sphere" sim start net >/dev/null || bad "the device did not start again"

# ---- the probe app ------------------------------------------------------------------------------
# app NAME CID CAPS ARGS… builds $app_src (default: the net probe) with plain `-lapplibs` as an app
# would, packs it with ca.pem and badca.pem as resources, and sideloads it.
app_src=netprobe app_libs="-lcurl -lpthread"
app() {
  local name=$1 cid=$2 caps=$3; shift 3
  local dir=$work/$name args=""
  mkdir -p "$dir/bin" && cp "$work/ca.pem" "$work/badca.pem" "$dir/" && chmod 644 "$dir/ca.pem" "$dir/badca.pem"
  # shellcheck disable=SC2086
  cc -O1 -o "$dir/bin/app" "$src/tests/unit/net/$app_src.c" -isystem "$sdk/Sysroots/17/usr/include" -L"$sdk/Sysroots/17/usr/lib" \
    -lapplibs $app_libs || { bad "cannot build the probe app $app_src"; return 1; }
  for a in "$@"; do args="$args${args:+,}\"$a\""; done
  printf '{"SchemaVersion":1,"Name":"%s","ComponentId":"%s","EntryPoint":"/bin/app","CmdArgs":[%s],"Capabilities":%s}' \
    "$name" "$cid" "$args" "$caps" > "$dir/app_manifest.json"
  "$sphere" image-package pack-application --package-directory "$dir" --destination "$work/$name.ip" >/dev/null \
    && "$sphere" device sideload deploy -p "$work/$name.ip" ${deploy_opts:-} >/dev/null || bad "deploying $name failed"
}
caps='{"AllowedConnections":["10.77.0.1","multi.test","secure.test","short.test","missing.invalid"],"AllowedTcpServerPorts":[8096,8097,8099],"AllowedUdpServerPorts":[9001]}'
app netapp 55555555-0000-0000-0000-000000000001 "$caps" \
  ready status socket socket6 raw netlink unix \
  tcp:10.77.0.1:8080 tcp:10.77.0.4:8080 tcp:10.77.0.2:8080 tcp:127.0.0.1:8080 \
  resolve:multi.test tcp:10.77.0.2:8080 tcp:10.77.0.3:8080 resolve:evil.test resolve:missing.invalid resolve:bad_name! \
  udp:10.77.0.1:9000 udp:10.77.0.4:9000 sendto:10.77.0.1:9000:10.77.0.4 \
  race:10.77.0.1:10.77.0.4:8080 ttl:short.test:8080:3 \
  curl:http://secure.test:8080/:secure.test:8080 curl:https://evil.test:8443/:evil.test:8443 \
  curl:https://10.77.0.4:8443/:10.77.0.4:8443 \
  connect:10.77.0.1:8080 listen:8098 listen:8099 listen:9001 ulisten:9001 ulisten:9003 listen:8097 \
  plainsocket plainsocket6 plain:secure.test:8080 plain:10.77.0.1:8080 plain:10.77.0.4:8080 plain:10.77.0.1:8081 \
  plain:evil.test:8080 plain:missing.invalid:8080 plain:multi.test:http-alt plainudp:10.77.0.1:9000 plainudp:10.77.0.4:9000 \
  gai:multi.test:8080 gai:multi.test:https:sc gai:10.77.0.1:http:s gai:secure.test:8080:6 gai:secure.test:8080:n \
  gai:@@1:80 gai:-:8096:ps gai:-:80:s gai:secure.test:nosuchservice gai:10.77.0.1:domain:u gai:10.77.0.1:80:su reuse:10.77.0.1:8080 \
  plaincurl:http://secure.test:8080/ plaincurl:http://10.77.0.4:8080/ plaincurl:http://evil.test:8080/ \
  plaincurl:https://secure.test:8443/ plaincurlbadca:https://secure.test:8443/ plainlisten:8098 plainlisten:8096 \
  plainudpserve:9001:10.77.0.4:9000
expect_log "NET listen:8097 ok (again: EADDRINUSE)" 30
greeting=$(python3 -c 'import socket; s=socket.create_connection(("10.77.0.1", 8097), 3); print(s.recv(100).decode().strip())' 2>&1)
[ "$greeting" = "hello from the app" ] && ok || bad "the app's server port did not answer: $greeting"
expect_log "NET plainlisten:8096 ok port 8096" 60
greeting=$(python3 -c 'import socket; s=socket.create_connection(("10.77.0.1", 8096), 3); print(s.recv(100).decode().strip())' 2>&1)
[ "$greeting" = "hello from the plain app" ] && ok || bad "the app's plain server port did not answer: $greeting"
# The UDP server port: clients on two addresses are answered, from the address they sent to; the
# "unasked" datagram the app sends each time to 10.77.0.4 (which never sent to it) goes nowhere.
udp_ask() {
  python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 0)); s.settimeout(3)
s.sendto(sys.argv[2].encode(), ("10.77.0.1", 9001)); d, a = s.recvfrom(100); print(d.decode(), "%s:%d" % a)' "$1" "$2" 2>&1
}
expect_log "NET plainudpserve:9001:10.77.0.4:9000 ok port 9001" 60
answer=$(udp_ask 10.77.0.2 ping1)
[ "$answer" = "echo:ping1 10.77.0.1:9001" ] && ok || bad "the app's UDP server port did not answer 10.77.0.2: $answer"
answer=$(udp_ask 10.77.0.3 ping2)
[ "$answer" = "echo:ping2 10.77.0.1:9001" ] && ok || bad "the app's UDP server port did not answer 10.77.0.3: $answer"
expect_log "NET plainudpserve:9001:10.77.0.4:9000 answered ping2 from 10.77.0.3 (sent 10, unasked 7)"
want "plainudpserve:9001:10.77.0.4:9000 answered ping1 from 10.77.0.2 (sent 10, unasked 7)"
sleep 0.3 # the device's UDP thread has handled the app's datagrams
grep -q unasked "$work/udp-10.77.0.4" 2>/dev/null && bad "a UDP server's datagram reached 10.77.0.4, which never sent to it" || ok
expect_log "NET done ok"
want "ready ok yes"
want "status ok 7 (wlan9: ENODEV)"
# The kernel layer is unchanged: the socket() system call itself is refused for every family.
for p in socket socket6 raw netlink unix; do want "$p EPERM"; done
want "tcp:10.77.0.1:8080 ok 200"
want "tcp:10.77.0.4:8080 EACCES"
want "tcp:127.0.0.1:8080 EACCES"
grep -n "NET tcp:10.77.0.2:8080" "$logf" | head -1 | grep -q EACCES && ok || bad "10.77.0.2 was reachable before its name was resolved"
want "resolve:multi.test ok 10.77.0.2,10.77.0.3 ttl 300"
grep -F "NET tcp:10.77.0.2:8080" "$logf" | tail -1 | grep -q "ok 200" && ok || bad "a resolved address was not reachable"
want "tcp:10.77.0.3:8080 ok 200"
want "resolve:evil.test EACCES"
want "resolve:missing.invalid ENOENT"
want "resolve:bad_name! EINVAL"
want "udp:10.77.0.1:9000 ok pong"
want "udp:10.77.0.4:9000 EACCES"
grep -q "NET sendto:10.77.0.1:9000:10.77.0.4 sendto \(sent\|EISCONN\)" "$logf" && ok || bad "sendto on a UDP flow: $(grep -F 'NET sendto' "$logf")"
grep -q "" "$work/udp-10.77.0.4" 2>/dev/null && bad "a datagram reached 10.77.0.4: $(cat "$work/udp-10.77.0.4")" || ok
until_ok 2 grep -q sneaky "$work/udp-10.77.0.1" && ok || bad "the sendto datagram did not go to the flow's own peer"
# The security property: no connection ever reaches the bad host; every attempt either reached the
# good host or was refused (how many of each depends on the timing, e.g. under sanitizers).
grep -E "NET race:10.77.0.1:10.77.0.4:8080 ok [0-9]+ good 0 bad-allowed [0-9]+ refused" "$logf" \
  | awk '{ for (i = 1; i <= NF; i++) if ($i == "ok") good = $(i + 1); else if ($i == "bad-allowed") refused = $(i + 1) }
         END { exit !(good + refused == 200) }' && ok \
  || bad "the address race: $(grep -F 'NET race' "$logf")"
[ -e "$work/conn-10.77.0.4" ] && bad "10.77.0.4 was connected to $(wc -l < "$work/conn-10.77.0.4") times" || ok
want "ttl:short.test:8080:3 first ok then EACCES"
want "curl:http://secure.test:8080/:secure.test:8080 ok 200 hello from 10.77.0.1"
want "curl:https://evil.test:8443/:evil.test:8443 curl-error 6"
want "curl:https://10.77.0.4:8443/:10.77.0.4:8443 curl-error 7"
want "listen:8098 EACCES"
want "listen:8099 EADDRINUSE"
want "listen:9001 EACCES"
want "ulisten:9001 ok (again: EADDRINUSE)"
want "ulisten:9003 EACCES"
want "connect:10.77.0.1:8080 unspec EINPROGRESS other EINPROGRESS"
want "listen:8097 accepted"

# ---- plain libc sockets (libapplibs' interposers) -----------------------------------------------
want "plainsocket ok"
want "plainsocket6 EAFNOSUPPORT"
want "plain:secure.test:8080 ok 200 nonblock cloexec domain inet nodelay 1 again EISCONN"
want "plain:10.77.0.1:8080 ok 200 nonblock cloexec domain inet nodelay 1 again EISCONN"
want "plain:10.77.0.4:8080 EACCES"
want "plain:10.77.0.1:8081 ECONNREFUSED"
want "plain:evil.test:8080 EAI_NONAME (errno EACCES)"
want "plain:missing.invalid:8080 EAI_NONAME (errno ENOENT)"
want "plain:multi.test:http-alt EAI_SERVICE"
want "plainudp:10.77.0.1:9000 ok pong"
want "plainudp:10.77.0.4:9000 EACCES"
want "gai:multi.test:8080 ok 10.77.0.2:8080/tcp,10.77.0.2:8080/udp,10.77.0.3:8080/tcp,10.77.0.3:8080/udp"
want "gai:multi.test:https:sc ok 10.77.0.2:443/tcp,10.77.0.3:443/tcp canon multi.test"
want "gai:10.77.0.1:http:s ok 10.77.0.1:80/tcp"
want "gai:secure.test:8080:6 EAI_FAMILY"
want "gai:secure.test:8080:n EAI_NONAME"
want "gai:@@1:80 EAI_NONAME"
want "gai:-:8096:ps ok 0.0.0.0:8096/tcp"
want "gai:-:80:s ok 127.0.0.1:80/tcp"
want "gai:secure.test:nosuchservice EAI_SERVICE"
want "gai:10.77.0.1:domain:u ok 10.77.0.1:53/udp"
want "gai:10.77.0.1:80:su EAI_SOCKTYPE"
want "reuse:10.77.0.1:8080 same-number EINPROGRESS still-dev-null"
want "plaincurl:http://secure.test:8080/ ok 200 hello from 10.77.0.1"
want "plaincurl:http://10.77.0.4:8080/ curl-error 7"
want "plaincurl:http://evil.test:8080/ curl-error 6"
want "plaincurl:https://secure.test:8443/ ok 200 hello from 10.77.0.1"
want "plaincurlbadca:https://secure.test:8443/ curl-error 60"
want "plainlisten:8098 EACCES"
want "plainlisten:8096 accepted"

# ---- the effective rules ----------------------------------------------------------------------
"$sphere" device network list-firewall-rules > "$work/rules"
grep -q "netapp (55555555-0000-0000-0000-000000000001)" "$work/rules" && grep -q "allow 10.77.0.1 .*-> 10.77.0.1" "$work/rules" \
  && grep -q "allow short.test .*(not resolved yet)" "$work/rules" && grep -q "Inbound TCP ports: 8096, 8097, 8099" "$work/rules" \
  && ok || { bad "list-firewall-rules is wrong"; cat "$work/rules"; }
"$sphere" device network list-firewall-rules -o json | grep -q '"10.77.0.3"' && ok || bad "the rules do not show multi.test's answers"
"$sphere" device sideload delete >/dev/null

# ---- an unmodified libmosquitto client -----------------------------------------------------------
# A broker on 10.77.0.3:1883 (broker.test, listed) and on 10.77.0.4:1883 (not listed).
if command -v mosquitto >/dev/null && command -v mosquitto_pub >/dev/null && [ -e /usr/include/mosquitto.h ]; then
  printf 'listener 1883 10.77.0.3\nlistener 1883 10.77.0.4\nallow_anonymous true\n' > "$work/mosquitto.conf"
  mosquitto -c "$work/mosquitto.conf" > "$work/mosquitto.log" 2>&1 & broker_pid=$!
  until_ok 5 mosquitto_pub -h 10.77.0.3 -p 1883 -t opensphere/ping -m x 2>/dev/null || bad "the test's mosquitto broker did not start: $(cat "$work/mosquitto.log")"
  app_src=mqttprobe app_libs=-lmosquitto
  app mqttapp 77777777-0000-0000-0000-000000000003 '{"AllowedConnections":["broker.test"]}' broker.test 1883 10.77.0.4 1883
  app_src=netprobe app_libs="-lcurl -lpthread"
  # plain -lapplibs linked the interposers and the executable exports them (libmosquitto binds to them)
  [ "$(nm -D "$work/mqttapp/bin/app" | grep -cE ' T (getaddrinfo|freeaddrinfo|socket|connect)$')" = 4 ] && ok \
    || bad "the mosquitto app does not export the plain-sockets interposers: $(nm -D "$work/mqttapp/bin/app" | grep ' T ')"
  expect_log "77777777 NET mqtt:broker.test:1883 subscribed" 30
  mosquitto_sub -h 10.77.0.3 -p 1883 -t opensphere/out -C 1 -W 10 > "$work/sub.out" 2>&1 & sub_pid=$!
  sleep 1 # the subscriber is subscribed
  mosquitto_pub -h 10.77.0.3 -p 1883 -t opensphere/in -q 1 -m hello-app && ok || bad "mosquitto_pub to the test broker failed"
  expect_log "NET mqtt:broker.test:1883 got hello-app"
  wait "$sub_pid"
  [ "$(cat "$work/sub.out")" = "reply:hello-app" ] && ok || bad "mosquitto_sub did not receive the app's message: $(cat "$work/sub.out")"
  expect_log "77777777 NET done ok"
  want "mqtt:broker.test:1883 connected"
  grep -q "NET mqtt:10.77.0.4:1883 connect-failed .* errno EACCES" "$logf" && ok || bad "the unlisted broker: $(grep -F 'NET mqtt:10.77.0.4' "$logf")"
  "$sphere" device sideload delete >/dev/null
else
  bad "mosquitto, mosquitto-clients and libmosquitto-dev are needed (scripts/install-deps.sh)"
fi

# ---- a connect that waits holds up no other app ---------------------------------------------------
# slowapp connects to 10.77.0.9, on the test link but with nobody there (no ARP answer: the
# connect waits for the device's 3 s timeout). quickapp, started meanwhile, is started and
# answered before that connect ends: the device answers it on a thread of its own.
deploy_opts=--manual-start app quickapp 99999999-0000-0000-0000-000000000005 '{"AllowedConnections":["10.77.0.1"]}' ready
app slowapp 88888888-0000-0000-0000-000000000004 '{"AllowedConnections":["10.77.0.9"]}' mark tcp:10.77.0.9:8080
expect_log "88888888 NET mark ok"
"$sphere" device app start -i 99999999-0000-0000-0000-000000000005 >/dev/null || bad "cannot start quickapp"
expect_log "99999999 NET done ok"
expect_log "88888888 NET done ok"
quick=$(grep -n "99999999 NET ready ok" "$logf" | head -1 | cut -d: -f1)
slow=$(grep -n "88888888 NET tcp:10.77.0.9:8080" "$logf" | head -1 | cut -d: -f1)
[ -n "$quick" ] && [ -n "$slow" ] && [ "$quick" -lt "$slow" ] && ok \
  || { bad "quickapp waited for slowapp's connect (lines $quick, $slow)"; grep -E "88888888|99999999" "$logf" | sed 's/^/  | /'; }
grep -qE "88888888 NET tcp:10.77.0.9:8080 (ETIMEDOUT|EHOSTUNREACH)" "$logf" && ok \
  || bad "the connect to a silent host: $(grep -F '88888888 NET tcp' "$logf")"
"$sphere" device sideload delete -i 88888888-0000-0000-0000-000000000004 >/dev/null
"$sphere" device sideload delete -i 99999999-0000-0000-0000-000000000005 >/dev/null

# ---- readiness is truthful: with the interface down, the network is not ready ------------------
ip link set dum0 down
app readyapp 66666666-0000-0000-0000-000000000002 '{"AllowedConnections":["10.77.0.1"]}' ready
expect_log "66666666 NET done ok"
grep -q "66666666 NET ready ok no" "$logf" && ok || bad "Networking_IsNetworkingReady said ready with the interface down"
"$sphere" device sideload delete >/dev/null

"$sphere" sim stop net >/dev/null
if grep -E "Sanitizer|runtime error" "$OPENSPHERE_HOME"/devices/net/sphered.log; then bad "a sanitizer reported a problem in sphered"; else ok; fi
summary
