#!/usr/bin/env bash
# demo.sh BUILD_DIR — what `make run` shows: validate the documented example manifest, then
# build the hello app, pack it, and sideload it onto a simulated device named "demo" (kept in
# BUILD_DIR/demo-home, so your ~/.opensphere is untouched). The device keeps running afterwards:
#   OPENSPHERE_HOME=BUILD_DIR/demo-home BUILD_DIR/bin/sphere device app show-status
set -euo pipefail
build=$1
sphere=$build/bin/sphere
export OPENSPHERE_HOME=$build/demo-home
step() { printf '\n== %s\n' "$*"; }

step "Validating the documented example manifest against the MT3620 RDB"
"$sphere" app-manifest validate --target-definition-filename mt3620_rdb.json examples/manifests/documented_example.json

step "Building and packing examples/hello"
app=$build/demo-approot
rm -rf "$app" && mkdir -p "$app/bin"
cc -O2 -o "$app/bin/app" examples/hello/src/main.c
cp examples/hello/app_manifest.json "$app/"
"$sphere" image-package pack-application --package-directory "$app" --destination "$build/hello.imagepackage" \
  --target-definition-filename mt3620_rdb.json

step "Starting the simulated device 'demo'"
[ -d "$OPENSPHERE_HOME/devices/demo" ] || "$sphere" sim create demo
"$sphere" sim stop demo >/dev/null
"$sphere" sim start demo
"$sphere" device show-attached

step "Sideloading: refused until development is enabled, as on a real device"
"$sphere" device sideload delete >/dev/null 2>&1 || true
if "$sphere" device capability show-attached | grep -q EnableAppDevelopment; then
  echo "(development was enabled by an earlier run)"
else
  "$sphere" device sideload deploy -p "$build/hello.imagepackage" || true
  "$sphere" device enable-development
fi
"$sphere" device sideload deploy -p "$build/hello.imagepackage"
"$sphere" device image list-installed
"$sphere" device app show-status

step "Done. The device keeps running; stop it with:"
echo "OPENSPHERE_HOME=$OPENSPHERE_HOME $sphere sim stop demo"
