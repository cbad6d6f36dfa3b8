#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_netcfg.sh SPHERE SOURCE_DIR — the device's network configuration end to end
# (docs/netconfig.md): a board file with "Ethernet" gives the device eth0; examples/network_config
# built with the SDK runs every configuration function of networking.h on the device (results and
# errno checked in the app); the same app without the capabilities gets EACCES; the static
# address it sets shows in `sphere device network show-status`; `sphere device network
# list-interfaces|enable|disable|update-interface`, `proxy show|apply|delete`, `device time show`
# with -o json; the REST shapes and codes of /net/*; the state survives a restart; a damaged
# netcfg.json stops the device with its file, JSON path and reason.
set -u
sphere=$1 src=$2
. "$src/tests/cli/lib.sh"
device_test_env # $bin, $sdk; new temporary $OPENSPHERE_HOME and $work
out=$work/out err=$work/err
cleanup() { "$sphere" sim stop nc >/dev/null 2>&1; rm -rf "$work" "$OPENSPHERE_HOME"; }
trap cleanup EXIT
dev=$OPENSPHERE_HOME/devices/nc

log_has() { "$sphere" device app log -i "$1" > "$work/log" 2>&1; grep -qF -- "$2" "$work/log"; }
expect_app() { # CID TEXT [SECONDS]
  if until_ok "${3:-15}" log_has "$1" "$2"; then ok; else bad "app $1 never logged '$2'"; grep NETCFG "$work/log" | grep -v ' ok$' | tail -20 | sed 's/^/  | /'; fi
}

cat > "$work/board.json" <<'JSON'
{"Name": "rdb-with-ethernet", "HardwareDefinition": "mt3620_rdb/mt3620_rdb.json", "Ethernet": {"Interface": "eth0"}}
JSON
"$sphere" sim create nc --board "$work/board.json" >/dev/null && "$sphere" sim start nc >/dev/null \
  && "$sphere" device enable-development >/dev/null || { echo "cannot start a simulated device"; exit 1; }

# ---- interfaces: wlan0 and (board file) eth0 ----------------------------------------------------
run 0 device network list-interfaces -o json
same "$(jq -r '[.interfaces[].interfaceName] | join(",")' "$out")" "wlan0,eth0" "interfaces"
same "$(jq -r '.interfaces[1].ipAssignment' "$out")" "dynamic" "eth0 starts with DHCP"
[ ! -e "$dev/netcfg.json" ] && ok || bad "the default was written to netcfg.json before any change"

# ---- the example app: every configuration function ----------------------------------------------
cp -r "$src/examples/network_config" "$work/network_config" && rm -rf "$work/network_config/out"
if (cd "$work/network_config" && AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere cmake --preset ARM-Debug >/dev/null \
    && cmake --build out/ARM-Debug >/dev/null); then ok; else bad "examples/network_config does not build with the SDK"; fi
SUITE=5b7e2c91-04d3-4f8a-9e61-2a8c3d4b5e01 NOCAP=5b7e2c91-04d3-4f8a-9e61-2a8c3d4b5e02
"$sphere" device sideload deploy -p "$work/network_config/out/ARM-Debug/NetworkConfig.imagepackage" >/dev/null || bad "deploying the example failed"
expect_app $SUITE "NETCFG suite done" 20
grep -q "NETCFG suite done: [0-9]* passed, 0 failed" "$work/log" && ok || bad "the suite failed: $(grep -e 'suite done' -e FAIL "$work/log")"
grep -o "NETCFG suite done: .*" "$work/log" | head -1
grep -q "refused an IP configuration: the subnet mask must be contiguous" "$work/log" && ok \
  || bad "the device log does not say why a configuration was refused"
"$sphere" device sideload delete -i $SUITE >/dev/null || bad "deleting the suite app failed"

mkdir -p "$work/nocap/bin" && cp "$work/network_config/out/ARM-Debug/NetworkConfig" "$work/nocap/bin/app"
printf '{"SchemaVersion":1,"Name":"nocap","ComponentId":"%s","EntryPoint":"/bin/app","CmdArgs":["nocap"],"Capabilities":{"WifiConfig":true}}' \
  $NOCAP > "$work/nocap/app_manifest.json"
"$sphere" image-package pack-application --package-directory "$work/nocap" --destination "$work/nocap.ip" >/dev/null \
  && "$sphere" device sideload deploy -p "$work/nocap.ip" >/dev/null || bad "deploying nocap failed"
expect_app $NOCAP "NETCFG nocap done" 15
grep -q "NETCFG nocap done: 17 passed, 0 failed" "$work/log" && ok || bad "without capabilities: $(grep NETCFG "$work/log" | grep -v ' ok$' | head)"
"$sphere" device sideload delete -i $NOCAP >/dev/null

# ---- what the suite left shows in the CLI -------------------------------------------------------
run 0 device network show-status -o json
same "$(jq -r '.interfaces[1].ipAssignment + " " + .interfaces[1].ipAddresses[0]' "$out")" "static 192.168.100.10" "show-status eth0"
same "$(jq -r '.networkTimeSync + " " + .proxy' "$out")" "incomplete ready" "show-status time sync and proxy"
run 0 device network show-status
has "$out" "192.168.100.10"
run 0 device network proxy show -o json
same "$(jq -c '[.address, .port, .authenticationType, .username, .noProxyAddresses, has("password")]' "$out")" \
  '["proxy.test",3128,"basic","user",["a.test","10.0.0.1"],false]' "proxy show (the password is never shown)"
run 0 device time show -o json
same "$(jq -r '.mode + " " + .primary + " " + .secondary' "$out")" "custom 127.0.0.1 127.0.0.2" "time show"
off=$(jq -r .offsetNs "$out"); [ "${off:-0}" -ge 86398000000000 ] && [ "$off" -le 86403000000000 ] && ok \
  || bad "the app's clock_settime did not set the device clock one day ahead: offset $off ns"
grep -q '"dhcpServer"' "$dev/netcfg.json" && grep -q '"sntpServer": true' "$dev/netcfg.json" && ok || bad "netcfg.json: $(cat "$dev/netcfg.json")"

# ---- CLI: enable/disable/update-interface, proxy apply/delete -----------------------------------
run 0 device network disable --interface eth0 -o json
same "$(jq -r '.interfaceUp' "$out")" "false" "disable eth0"
run 0 device network enable --interface eth0
has "$out" "eth0"
run 1 device network disable --interface eth9
has "$err" 'no network interface named "eth9"'
run 0 device network update-interface --interface eth0 --hardware-address 02:aa:bb:cc:dd:ee -o json
same "$(jq -r .hardwareAddress "$out")" "02:aa:bb:cc:dd:ee" "update-interface"
run 1 device network update-interface --interface eth0 --hardware-address 03:aa:bb:cc:dd:ee
run 1 device network update-interface --interface wlan0 --hardware-address 02:aa:bb:cc:dd:ee
has "$err" "only an Ethernet interface"
run 1 device network proxy apply --address "" --port 3128
has "$err" "proxy address must be"
run 0 device network proxy apply --address 10.1.0.8 --port 8888 --disable -o json
same "$(jq -c '[.enabled, .authenticationType, has("username")]' "$out")" '[false,"anonymous",false]' "proxy apply anonymous disabled"
run 0 device network proxy delete
run 0 device network proxy show -o json
same "$(cat "$out" | tr -d ' \n')" "{}" "no proxy after delete"

# ---- REST: shapes and codes ---------------------------------------------------------------------
expect_rest "404 *" nc GET /net/interfaces/eth9
expect_rest "200 *\"interfaceName\":\"eth0\"*" nc GET /net/interfaces/eth0
expect_rest "400 *" nc PATCH /net/interfaces/eth0 -H 'Content-Type: application/json' -d '{"hardwareAddress":"nonsense"}'
expect_rest "415 *" nc PATCH /net/interfaces/eth0 -H 'Content-Type: text/plain' -d '{"interfaceUp":true}'
expect_rest "400 *" nc POST /net/proxy -H 'Content-Type: application/json' -d '{"address":"p.test","port":80,"authenticationType":"basic"}'
expect_rest "200 *" nc POST /net/proxy -H 'Content-Type: application/json' -d '{"address":"p.test","port":80,"authenticationType":"anonymous"}'
expect_rest "200 {\"deviceAuthenticationIsReady\":false,\"networkTimeSync\":\"incomplete\",\"proxy\":\"ready\"}" nc GET /net/status

# ---- the SDK links the C library's resolver functions (libresolv under glibc) ----------------------
mkdir -p "$work/rsv" && cp "$src/examples/wifi_config/CMakePresets.json" "$work/rsv/"
printf 'cmake_minimum_required(VERSION 3.20)\nproject(Rsv C)\nadd_executable(Rsv main.c)\ntarget_link_libraries(Rsv applibs gcc_s c)\n' > "$work/rsv/CMakeLists.txt"
cat > "$work/rsv/main.c" <<'C'
#include <arpa/nameser.h>
#include <resolv.h>
int main(void)
{
    unsigned char a[512];
    ns_msg m;
    ns_rr rr;
    int n = res_query("_http._tcp.local", ns_c_in, ns_t_ptr, a, sizeof a);
    return n > 0 && ns_initparse(a, n, &m) == 0 && ns_parserr(&m, ns_s_an, 0, &rr) == 0 && res_init() == 0;
}
C
(cd "$work/rsv" && AzureSphereDefaultSDKDir=$sdk cmake --preset ARM-Debug >/dev/null && cmake --build out/ARM-Debug >"$work/rsv.log" 2>&1) \
  && readelf -d "$work/rsv/out/ARM-Debug/Rsv" | grep -q "libresolv" && ok || bad "res_query/ns_initparse/ns_parserr do not link with the SDK: $(tail -3 "$work/rsv.log")"

# ---- the state survives a restart; a damaged file stops the device ------------------------------
"$sphere" sim stop nc >/dev/null && "$sphere" sim start nc >/dev/null || bad "restart failed"
run 0 device network list-interfaces -o json
same "$(jq -r '.interfaces[1].ipAssignment + " " + .interfaces[1].hardwareAddress' "$out")" "static 02:aa:bb:cc:dd:ee" "after a restart"
"$sphere" sim stop nc >/dev/null
sed -i 's/"ip": "static"/"ip": "sometimes"/' "$dev/netcfg.json"
"$sphere" sim start nc >"$out" 2>"$err" && bad "a damaged netcfg.json did not stop the device" || ok
grep -rqE "netcfg.json:[0-9]+:[0-9]+: interfaces\[1\]: ip must be \"dhcp\" or \"static\"" "$err" "$dev"/*.log 2>/dev/null && ok \
  || bad "the refusal does not name file, path and reason: $(cat "$err"; tail -3 "$dev"/*.log 2>/dev/null)"

summary
