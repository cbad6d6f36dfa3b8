#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_netcfg_netns.sh SPHERE SOURCE_DIR — the device's eth0 for real (docs/netconfig.md), in
# network namespaces the test creates (root): the device runs in one, its eth0 is one end of a
# veth pair ("HostInterface" in the board file), the other end is in a second namespace, "the LAN".
#  1. the LAN serves DHCP (Debian's dnsmasq) and NTP (chronyd): eth0 gets its address by DHCP
#     (shown by `sphere device network list-interfaces`); an app sets the device clock a day
#     ahead and custom NTP to the LAN's server; the device syncs (GetLastNtpSyncInfo in the app,
#     `sphere device time sync`), and the host's clock never moved.
#     DNS service discovery: the LAN's second dnsmasq serves PTR/SRV/TXT/A records; an app's
#     res_query (and res_nquery) through the device finds the instance of a listed service and
#     connects to it at the address dnsmasq's A record gives (no static host: the device asks
#     the DNS server eth0's lease named); a name neither listed nor learned stays refused.
#  2. an app makes eth0 static and starts the DHCP and SNTP servers: a real DHCP client (udhcpc)
#     on the LAN gets a lease with router and NTP server, and an SNTP query gets the device's
#     clock (one hour ahead of the host's). `sphere device network disable` takes the link down.
#  3. the LAN runs Debian's tinyproxy (basic authentication) and a web server; with the proxy
#     applied (`sphere device network proxy apply`), examples/proxy_curl's libcurl requests
#     (Networking_Curl_SetDefaultProxy) reach the listed host through the proxy, an unlisted
#     host gets 403 from the device relay (the proxy never sees it), a wrong password tinyproxy's 401.
set -u
if [ "${OPENSPHERE_NETNS_TEST:-}" != 1 ]; then
  for tool in ip dnsmasq chronyd udhcpc tinyproxy python3; do
    command -v $tool >/dev/null || { echo "SKIP: needs $tool (scripts/install-deps.sh)"; exit 0; }
  done
  [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null || { echo "SKIP: needs root and network namespaces"; exit 0; }
  OPENSPHERE_NETNS_TEST=1 exec unshare -n bash "$0" "$@"
fi
sphere=$1 src=$2
. "$src/tests/cli/lib.sh"
device_test_env # $bin, $sdk; new temporary $OPENSPHERE_HOME and $work
out=$work/out err=$work/err
lan=oslan-$$
pids=()
cleanup() {
  "$sphere" sim stop nn >/dev/null 2>&1
  [ -n "${KEEP:-}" ] && cp "$OPENSPHERE_HOME/devices/nn/sphered.log" /tmp/netcfg-netns-sphered.log
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  ip netns del "$lan" 2>/dev/null
  rm -rf "$work" "$OPENSPHERE_HOME"
}
trap cleanup EXIT
inlan() { ip netns exec "$lan" "$@"; }
log_has() { "$sphere" device app log -i "$1" > "$work/log" 2>&1; grep -qF -- "$2" "$work/log"; }
expect_app() { # CID TEXT [SECONDS]
  if until_ok "${3:-15}" log_has "$1" "$2"; then ok; else bad "app $1 never logged '$2'"; grep NETCFG "$work/log" | grep -v ' ok$' | tail -20 | sed 's/^/  | /'; fi
}

ip link set lo up && ip netns add "$lan" && inlan ip link set lo up \
  && ip link add deveth0 type veth peer name lan0 netns "$lan" && inlan ip addr add 10.88.0.1/24 dev lan0 \
  && inlan ip link set lan0 up || { echo "cannot set up the namespaces"; exit 1; }

# ---- the LAN's servers: DHCP (dnsmasq), NTP (chronyd) --------------------------------------------
start_lan_dhcp() { # the LAN's DHCP server, started once the device has tried without it
  ip netns exec "$lan" dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 --interface=lan0 --bind-interfaces \
    --dhcp-range=10.88.0.50,10.88.0.60,255.255.255.0,1h --dhcp-option=option:ntp-server,10.88.0.1 \
    --dhcp-option=option:dns-server,10.88.0.1 \
    --dhcp-leasefile="$work/lan.leases" --pid-file="$work/lan-dnsmasq.pid" 2>"$work/lan-dnsmasq.log" &
  lan_dnsmasq=$!; pids+=($lan_dnsmasq)
}
ip netns exec "$lan" dnsmasq --keep-in-foreground --conf-file=/dev/null --port=53 --listen-address=10.88.0.1 \
  --bind-interfaces --no-resolv --no-hosts --pid-file="$work/lan-dns.pid" \
  --ptr-record=_sample._tcp.local,Instance1._sample._tcp.local \
  --srv-host=Instance1._sample._tcp.local,samplehost.local,8000 \
  --txt-record=Instance1._sample._tcp.local,hello=dns-sd --host-record=samplehost.local,10.88.0.2 \
  --host-record=otherhost.local,10.88.0.1 \
  2>"$work/lan-dns.log" &
pids+=($!)
cat > "$work/web.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello %s via %s\n" % (self.headers.get("Host", ""), self.client_address[0])).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("", 8000), H).serve_forever()
PY
ip netns exec "$lan" python3 "$work/web.py" & pids+=($!)
cat > "$work/chrony.conf" <<EOF2
local stratum 1
allow all
bindaddress 10.88.0.1
cmdport 0
pidfile $work/chronyd.pid
EOF2
ip netns exec "$lan" chronyd -x -d -f "$work/chrony.conf" >"$work/chronyd.log" 2>&1 &
pids+=($!)

# ---- the device: eth0 is deveth0 -----------------------------------------------------------------
printf '{"Name":"rdb-eth","HardwareDefinition":"mt3620_rdb/mt3620_rdb.json","Ethernet":{"Interface":"eth0","HostInterface":"deveth0"}}' > "$work/board.json"
"$sphere" sim create nn --board "$work/board.json" >/dev/null && "$sphere" sim start nn >/dev/null \
  && "$sphere" device enable-development >/dev/null || { echo "cannot start a simulated device"; exit 1; }
# a LAN whose DHCP server comes up late: the device keeps asking (udhcpc's 3 tries, a pause, again)
until_ok 20 grep -q "no DHCP lease yet" "$OPENSPHERE_HOME/devices/nn/sphered.log" && ok \
  || bad "the device did not say it got no lease from a LAN without a DHCP server"
start_lan_dhcp
eth0_addr() { "$sphere" device network list-interfaces -o json > "$out" 2>/dev/null && jq -r '.interfaces[1].ipAddresses[0] // ""' "$out"; }
dhcp_bound() { case "$(eth0_addr)" in 10.88.0.5[0-9]|10.88.0.60) return 0;; esac; return 1; }
until_ok 15 dhcp_bound && ok || bad "eth0 got no DHCP lease from the LAN: $(cat "$out"; tail -3 "$work/lan-dnsmasq.log")"
same "$(jq -r '.interfaces[1].ipAssignment + " " + (.interfaces[1].ipAcquired|tostring)' "$out")" "dynamic true" "eth0 by DHCP"
# the host interface carries the very address the device reports (the pool is .50-.60: not a prefix)
lease=$(eth0_addr)
ip -4 addr show deveth0 | grep -q "inet $lease/" && ok || bad "deveth0 does not carry the lease $lease: $(ip -4 addr show deveth0)"

# ---- the example app: the device clock, synced over NTP -----------------------------------------
cp -r "$src/examples/network_config" "$work/nc" && rm -rf "$work/nc/out"
(cd "$work/nc" && AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere cmake --preset ARM-Debug >/dev/null \
  && cmake --build out/ARM-Debug >/dev/null) && ok || bad "examples/network_config does not build"
variant() { # NAME CID CAPS ARGS-JSON
  mkdir -p "$work/$1/bin" && cp "$work/nc/out/ARM-Debug/NetworkConfig" "$work/$1/bin/app"
  printf '{"SchemaVersion":1,"Name":"%s","ComponentId":"%s","EntryPoint":"/bin/app","CmdArgs":%s,"Capabilities":%s}' \
    "$1" "$2" "$4" "$3" > "$work/$1/app_manifest.json"
  "$sphere" image-package pack-application --package-directory "$work/$1" --destination "$work/$1.ip" >/dev/null \
    && "$sphere" device sideload deploy -p "$work/$1.ip" >/dev/null || bad "deploying $1 failed"
}
NTP=5b7e2c91-04d3-4f8a-9e61-2a8c3d4b5e03 SERVE=5b7e2c91-04d3-4f8a-9e61-2a8c3d4b5e04
host_before=$(date +%s)
variant ntp $NTP '{"TimeSyncConfig":true,"SystemTime":true}' '["ntp","10.88.0.1"]'
expect_app $NTP "NETCFG ntp done" 25
grep -q "NETCFG ntp done: [0-9]* passed, 0 failed" "$work/log" && ok || bad "the NTP sync: $(grep NETCFG "$work/log" | grep -v ' ok$')"
[ $(( $(date +%s) - host_before )) -lt 120 ] && ok || bad "the host's clock moved"
run 0 device time sync -o json
same "$(jq -r '.lastSync.server + " " + .mode' "$out")" "10.88.0.1 custom" "device time sync"
off=$(jq -r .offsetNs "$out"); [ "${off#-}" -lt 2000000000 ] && ok || bad "after a sync the offset is $off ns"
"$sphere" device sideload delete -i $NTP >/dev/null

# DNS service discovery through the device's resolver (the DNS server from eth0's lease); the
# instance's host is only in dnsmasq (10.88.0.2, a second address of the LAN's end): no static host
DNSSD=5b7e2c91-04d3-4f8a-9e61-2a8c3d4b5e05
inlan ip addr add 10.88.0.2/24 dev lan0
run 0 sim hosts list -o json
same "$(jq -r '[.[] | select(.name == "samplehost.local")] | length' "$out" 2>/dev/null)" 0 "samplehost.local is no static host"
variant dnssd $DNSSD '{"AllowedConnections":["_sample._tcp.local"]}' '["dnssd","_sample._tcp.local","otherhost.local"]'
expect_app $DNSSD "NETCFG dnssd done" 20
grep -q "NETCFG dnssd done: [0-9]* passed, 0 failed" "$work/log" && ok || bad "DNS-SD: $(grep NETCFG "$work/log" | grep -v ' ok$')"
grep -qi "NETCFG dnssd found Instance1._sample._tcp.local at samplehost.local:8000 (10.88.0.2) txt hello=dns-sd" "$work/log" && ok || bad "dnssd: $(grep "dnssd found" "$work/log")"
for check in "connect to the instance" "res_nquery of a name not learned" "res_state's h_errno" "getaddrinfo of a name not learned refused"; do
  grep -q "NETCFG $check ok" "$work/log" && ok || bad "dnssd: '$check' not ok: $(grep "NETCFG $check" "$work/log")"
done
"$sphere" device sideload delete -i $DNSSD >/dev/null

# ---- the device serves DHCP and SNTP on eth0 -----------------------------------------------------
kill "$lan_dnsmasq" && wait "$lan_dnsmasq" 2>/dev/null
inlan ip -4 addr flush dev lan0
variant serve $SERVE '{"NetworkConfig":true,"DhcpService":true,"SntpService":true,"TimeSyncConfig":true,"SystemTime":true}' '["serve"]'
expect_app $SERVE "NETCFG serve done" 15
grep -q "NETCFG serve done: [0-9]* passed, 0 failed" "$work/log" && ok || bad "serve: $(grep NETCFG "$work/log" | grep -v ' ok$')"
static_up() { [ "$(eth0_addr)" = 192.168.100.10 ] && ip -4 addr show deveth0 | grep -q "inet 192.168.100.10/24"; }
until_ok 10 static_up && ok || bad "eth0 is not 192.168.100.10: $(ip -4 addr show deveth0)"
dnsmasq_up() { pgrep -f "dnsmasq.*--interface=deveth0" >/dev/null; }
until_ok 10 dnsmasq_up && ok || bad "the device's dnsmasq does not run"
cat > "$work/client.script" <<EOF2
#!/bin/sh
[ "\$1" = bound ] && printf 'ip=%s router=%s ntpsrv=%s\n' "\$ip" "\$router" "\$ntpsrv" > "$work/lease"
exit 0
EOF2
chmod +x "$work/client.script"
inlan udhcpc -i lan0 -q -n -t 5 -T 1 -s "$work/client.script" >"$work/udhcpc.log" 2>&1 && ok || bad "udhcpc got no lease from the device: $(tail -3 "$work/udhcpc.log")"
grep -Eq '^ip=192\.168\.100\.(1[1-9]|20) router=192\.168\.100\.10 ntpsrv=192\.168\.100\.10$' "$work/lease" 2>/dev/null && ok \
  || bad "the device's lease: $(cat "$work/lease" 2>/dev/null)"
lease_ip=$(sed -n 's/^ip=\([^ ]*\).*/\1/p' "$work/lease" 2>/dev/null)
inlan ip addr add "${lease_ip:-192.168.100.11}/24" dev lan0
cat > "$work/sntp.py" <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(b'\x23' + 47 * b'\0', (sys.argv[1], 123))
data, _ = s.recvfrom(512)
secs, frac = struct.unpack('!II', data[40:48])
print("mode=%d stratum=%d offset=%.0f" % (data[0] & 7, data[1], secs - 2208988800 + frac / 2**32 - time.time()))
PY
inlan python3 "$work/sntp.py" 192.168.100.10 > "$work/sntp" 2>&1
read -r mode stratum offset < <(tr '=' ' ' < "$work/sntp" | awk '{print $2, $4, $6}')
[ "${mode:-}" = 4 ] && [ "${stratum:-}" = 1 ] && [ "${offset:-0}" -ge 3598 ] && [ "${offset:-0}" -le 3602 ] && ok \
  || bad "the device's SNTP server: $(cat "$work/sntp")"

# ---- disable takes the link down ------------------------------------------------------------------
run 0 device network disable --interface eth0
ip link show deveth0 | grep -q "state DOWN\|<BROADCAST,MULTICAST>" && ok || bad "deveth0 is still up: $(ip link show deveth0)"
run 0 device network enable --interface eth0
link_up() { ip link show deveth0 | grep -q "<BROADCAST,MULTICAST,UP"; }
until_ok 5 link_up && ok || bad "deveth0 did not come up: $(ip link show deveth0)"
until_ok 5 static_up && ok || bad "eth0 did not come back: $(ip -4 addr show deveth0)"

# ---- 3. the proxy -------------------------------------------------------------------------------
inlan ip addr add 192.168.100.2/24 dev lan0
cat > "$work/tinyproxy.conf" <<EOF2
User nobody
Group nogroup
Port 8888
Listen 192.168.100.2
Timeout 30
MaxClients 10
BasicAuth user s3cret
Allow 192.168.100.0/24
LogLevel Info
EOF2
ip netns exec "$lan" tinyproxy -d -c "$work/tinyproxy.conf" >"$work/tinyproxy.log" 2>&1 & pids+=($!)
for h in evil.test proxy.test; do "$sphere" sim hosts add $h 192.168.100.2 >/dev/null || bad "hosts add $h"; done
web_up() { inlan python3 -c 'import urllib.request; urllib.request.urlopen("http://192.168.100.2:8000/")' 2>/dev/null; }
until_ok 5 web_up || bad "the LAN's web server does not answer"
run 0 device network proxy apply --address proxy.test --port 8888 --username user --password s3cret -o json
cp -r "$src/examples/proxy_curl" "$work/pc" && rm -rf "$work/pc/out"
(cd "$work/pc" && AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere cmake --preset ARM-Debug >/dev/null \
  && cmake --build out/ARM-Debug >/dev/null) && ok || bad "examples/proxy_curl does not build"
PC=5b7e2c91-04d3-4f8a-9e61-2a8c3d4b5e10
# the LAN's tinyproxy cannot resolve test names (no DNS there): the listed host is an IPv4 literal
pc_deploy() {
  mkdir -p "$work/pcv/bin" && cp "$work/pc/out/ARM-Debug/ProxyCurl" "$work/pcv/bin/app"
  printf '{"SchemaVersion":1,"Name":"ProxyCurl","ComponentId":"%s","EntryPoint":"/bin/app","CmdArgs":["http://192.168.100.2:8000/","http://evil.test:8000/"],"Capabilities":{"AllowedConnections":["192.168.100.2"],"ReadNetworkProxyConfig":true}}' \
    $PC > "$work/pcv/app_manifest.json"
  "$sphere" image-package pack-application --package-directory "$work/pcv" --destination "$work/pcv.ip" >/dev/null \
    && "$sphere" device sideload deploy -p "$work/pcv.ip" >/dev/null || bad "deploying proxy_curl failed"
}
pc_deploy
expect_app $PC "PROXY done" 30
grep -Eq "PROXY http://192.168.100.2:8000/ curl 0 http 200 body hello 192.168.100.2:8000 via 192.168.100.(2|1[1-9]|20)$" "$work/log" && ok \
  || bad "the listed host through the proxy (not from the device's 192.168.100.10): $(grep 'PROXY http://192' "$work/log")"
has "$work/log" "PROXY http://evil.test:8000/ curl 0 http 403 body"
has "$work/log" 'refused a request through the proxy to "evil.test": not in AllowedConnections'
grep -q "GET http://192.168.100.2:8000/" "$work/tinyproxy.log" && ! grep -q "evil.test" "$work/tinyproxy.log" && ok \
  || bad "tinyproxy's log: $(grep -i -e 192.168.100.2:8000 -e evil.test "$work/tinyproxy.log" | head -5)"
"$sphere" device sideload delete -i $PC >/dev/null
run 0 device network proxy apply --address proxy.test --port 8888 --username user --password wrong
pc_deploy
second_run() { log_has $PC "PROXY done" && [ "$(grep -c 'PROXY done' "$work/log")" -ge 2 ]; }
until_ok 30 second_run && ok || bad "proxy_curl did not run again"
awk '/started ProxyCurl/ {run++} run >= 2' "$work/log" | grep -q "PROXY http://192.168.100.2:8000/ curl 0 http 401" && ok \
  || bad "a wrong proxy password: $(awk '/started ProxyCurl/ {run++} run >= 2' "$work/log" | grep PROXY)"

summary
