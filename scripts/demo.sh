#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# demo.sh BUILD_DIR — what `make run` shows: the blinky example built with CMake against the
# OpenSphere SDK, sideloaded onto a simulated device named "demo", then its LED and its log live
# until Ctrl-C (or DEMO_SECONDS seconds), and the board in a browser at the printed address
# (`sphere sim web`; DEMO_WEB_PORT fixes its port). Devices live in BUILD_DIR/demo-home, so
# ~/.opensphere is untouched.
set -euo pipefail
build=$(cd "$1" && pwd)
sphere=$build/bin/sphere
export OPENSPHERE_HOME=$build/demo-home
step() { printf '\n== %s\n' "$*"; }

step "Validating the documented example manifest against the MT3620 RDB"
"$sphere" app-manifest validate --target-definition-filename mt3620_rdb.json examples/manifests/documented_example.json | head -6

step "Building examples/blinky with CMake presets against the SDK in $build/sdk"
out=$build/demo-blinky
rm -rf "$out"
AzureSphereDefaultSDKDir=$build/sdk cmake -S examples/blinky --preset ARM-Debug -B "$out" >/dev/null
cmake --build "$out" | tail -1
package=$out/Blinky.imagepackage

step "Starting the simulated device 'demo'"
[ -d "$OPENSPHERE_HOME/devices/demo" ] || "$sphere" sim create demo >/dev/null
"$sphere" sim stop demo >/dev/null
"$sphere" sim start demo
"$sphere" device show-attached

step "Sideloading: refused until development is enabled, as on a real device"
"$sphere" device sideload delete >/dev/null 2>&1 || true
if ! "$sphere" device capability show-attached | grep -q EnableAppDevelopment; then
  "$sphere" device sideload deploy -p "$package" || true
  "$sphere" device enable-development
fi
"$sphere" device sideload deploy -p "$package"

# The board in a browser (docs/web.md): `sphere sim web` on a free loopback port; its first line
# is the page's address.
"$sphere" sim web -d demo --listen "127.0.0.1:${DEMO_WEB_PORT:-0}" > "$build/demo-web.url" 2>/dev/null &
web_pid=$!
for _ in $(seq 50); do [ -s "$build/demo-web.url" ] && break; sleep 0.1; done

step "Blinky is running. LED 1 (red, GPIO 8) and the device log, live. Press button A with:"
echo "   OPENSPHERE_HOME=$OPENSPHERE_HOME $sphere sim press -n 12"
if [ -s "$build/demo-web.url" ]; then
  echo "   or open the board in a browser: $(head -1 "$build/demo-web.url")"
else
  echo "   (the board's web page did not start: see 'sphere sim web -d demo')"
fi
echo "   (Ctrl-C stops the demo and the device.)"
"$sphere" device app log -f &
log_pid=$!
stop() {
  kill "$log_pid" 2>/dev/null || true
  kill "$web_pid" 2>/dev/null || true
  echo
  "$sphere" sim stop demo
  exit 0
}
trap stop INT TERM
last=""
end=$((SECONDS + ${DEMO_SECONDS:-1000000}))
while [ $SECONDS -lt $end ]; do
  level=$("$sphere" sim gpio -n 8 -o json 2>/dev/null | sed -n 's/.*"value":\([01]\).*/\1/p')
  if [ "$level" != "$last" ]; then
    [ "$level" = 0 ] && printf '   LED 1: ON \n' || printf '   LED 1: off\n'   # active-low
    last=$level
  fi
  sleep 0.1
done
stop
