#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_rest_attached.sh SPHERE SOURCE_DIR — attached mode (docs/device.md, "Attached devices"),
# entirely inside a network namespace this test creates (private addresses are never used in the
# host's own namespace): two devices started with `sphere sim start --attach` get 192.168.35.2
# and .3 on interfaces sphdev2/sphdev3, answer HTTPS on port 443 there with a certificate naming
# their address, the device-connection service on 127.0.0.1:48938 lists both, stopping a device
# removes its interface and its entry, and the service moves to the device still running; beside
# an interface with a 192.168.35.0/24 address (a real device over USB) --attach is refused.
# The description walker runs against https://192.168.35.2 as a client of a real device would.
# Needs root (ip netns); exits 77 (skipped) without it.
set -u
sphere=$1 src=$2
[ "$(id -u)" = 0 ] && command -v ip >/dev/null || { echo "skipped: needs root and ip(8)"; exit 77; }
ns=osph-rest-$$
ip netns add "$ns" 2>/dev/null || { echo "skipped: cannot create a network namespace"; exit 77; }
export OPENSPHERE_HOME=$(mktemp -d)
work=$(mktemp -d)
in_ns() { ip netns exec "$ns" "$@"; }
cleanup() { for n in a1 a2 a3; do in_ns "$sphere" sim stop $n >/dev/null 2>&1; done; ip netns del "$ns"; rm -rf "$work" "$OPENSPHERE_HOME"; }
trap cleanup EXIT
. "$src/tests/cli/lib.sh"
in_ns ip link set lo up
svc() { in_ns curl -s --max-time 5 http://127.0.0.1:48938/api/service/devices; }

in_ns "$sphere" sim create a1 >/dev/null && in_ns "$sphere" sim create a2 >/dev/null || fail "cannot create devices"
in_ns "$sphere" sim start a1 --attach >/dev/null 2>"$work/err" && ok || bad "sim start a1 --attach: $(cat "$work/err")"
in_ns "$sphere" sim start a2 --attach >/dev/null 2>"$work/err" && ok || bad "sim start a2 --attach: $(cat "$work/err")"
in_ns ip -br addr > "$work/addr"
has "$work/addr" "192.168.35.2/32"
has "$work/addr" "192.168.35.3/32"
same "$(jget "$OPENSPHERE_HOME/devices/a1/attached.json" IpAddress)" 192.168.35.2 "a1's address"
same "$(jget "$OPENSPHERE_HOME/devices/a2/attached.json" IpAddress)" 192.168.35.3 "a2's address"

in_ns "$sphere" device show-attached -d a2 > "$work/show" 2>&1
has "$work/show" "IP address: 192.168.35.3"

# HTTPS on 443 at the device's own address, verified by the name clients use and by address.
for n in 1 2; do
  ip=$(jget "$OPENSPHERE_HOME/devices/a$n/attached.json" IpAddress)
  cert=$OPENSPHERE_HOME/devices/a$n/tls.cert.pem
  got=$(in_ns curl -s --max-time 5 --cacert "$cert" --resolve "x.devices.sphere.azure.local:443:$ip" \
        -H "Host: *.devices.sphere.azure.local" https://x.devices.sphere.azure.local/status)
  [[ $got == '{"uptime":'* ]] && ok || bad "a$n: GET https://$ip/status by name: '$got'"
  got=$(in_ns curl -s --max-time 5 --cacert "$cert" "https://$ip/device/security_state")
  [[ $got == '{"securityState":'* ]] && ok || bad "a$n: GET https://$ip/device/security_state by address: '$got'"
done

# A client written for real devices: the description walker at https://192.168.35.2 (port 443).
in_ns "$sphere" device enable-development -d a1 >/dev/null 2>&1 || bad "enable-development a1"
in_ns /usr/bin/python3 "$src/tests/rest_client/walk_description.py" --spec "$src/tests/rest_client/device_rest_api.yaml" \
  --base https://192.168.35.2 --cacert "$OPENSPHERE_HOME/devices/a1/tls.cert.pem" --phase open \
  \
  > "$work/walk" 2>&1 && ok || { bad "the walker at https://192.168.35.2 failed"; sed 's/^/  walk | /' "$work/walk"; }
tail -1 "$work/walk"

# The device-connection service.
until_ok 5 sh -c "ip netns exec $ns curl -s http://127.0.0.1:48938/api/service/devices | grep -q 192.168.35.3" && ok || bad "the service never listed a2"
svc > "$work/svc"
has "$work/svc" '{"IpAddress":"192.168.35.2","DeviceConnectionPath":"a1"}'
has "$work/svc" '{"IpAddress":"192.168.35.3","DeviceConnectionPath":"a2"}'
same "$(in_ns curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:48938/api/service/nothing)" 404 "an unknown service path"

# Stopping a1: its interface and entry go; the service stays up (a2 takes it over if a1 held it).
in_ns "$sphere" sim stop a1 >/dev/null
in_ns ip -br link > "$work/links"
lacks "$work/links" sphdev2
[ ! -e "$OPENSPHERE_HOME/devices/a1/attached.json" ] && ok || bad "a1's attached.json outlived it"
until_ok 5 sh -c "ip netns exec $ns curl -s http://127.0.0.1:48938/api/service/devices | grep -qx '\[{\"IpAddress\":\"192.168.35.3\",\"DeviceConnectionPath\":\"a2\"}\]'" \
  && ok || bad "after a1 stopped the service answers '$(svc)'"
# a1 again: the first free address is .2 again.
in_ns "$sphere" sim start a1 --attach >/dev/null 2>"$work/err" && ok || bad "restart a1 --attach: $(cat "$work/err")"
same "$(jget "$OPENSPHERE_HOME/devices/a1/attached.json" IpAddress)" 192.168.35.2 "a1's address after a restart"
# A real device attached over USB (its host side has 192.168.35.1): --attach refuses, naming it.
in_ns "$sphere" sim create a3 >/dev/null
in_ns ip link add realusb type bridge && in_ns ip addr add 192.168.35.1/24 dev realusb
in_ns "$sphere" sim start a3 --attach >/dev/null 2>"$work/err" && bad "a3 attached beside a real device" || ok
has "$work/err" "realusb has an address in 192.168.35.0/24"
in_ns ip link del realusb
summary
