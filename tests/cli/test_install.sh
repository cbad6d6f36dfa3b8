#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_install.sh SPHERE SOURCE_DIR — `make install`'s layout works on its own: the installed
# tools find the installed SDK, and a sample-style project builds against it.
set -u
sphere=$1 src=$2
build=$(cd "$(dirname "$sphere")/.." && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
. "$src/tests/cli/lib.sh"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null 2>&1 && ok || bad "cmake --install failed"
for f in bin/sphere bin/sphered share/opensphere/sdk/CMakeFiles/AzureSphereToolchain.cmake \
         share/opensphere/sdk/Sysroots/17/usr/lib/libapplibs.a share/opensphere/sdk/HardwareDefinitions/inc/hw/mt3620_rdb.h; do
  [ -e "$prefix/$f" ] && ok || bad "the installation lacks $f"
done
env -u OPENSPHERE_SDK_DIR "$prefix/bin/sphere" app-manifest validate --target-definition-filename mt3620_rdb.json \
  "$src/examples/manifests/documented_example.json" >/dev/null && ok || bad "the installed sphere does not find its SDK"
cp -r "$src/examples/blinky" "$work/blinky" && rm -rf "$work/blinky/out"
(cd "$work/blinky" && AzureSphereDefaultSDKDir=$prefix/share/opensphere/sdk PATH=/usr/bin:/bin cmake --preset ARM-Debug >/dev/null 2>&1 \
  && cmake --build out/ARM-Debug >/dev/null 2>&1) && [ -f "$work/blinky/out/ARM-Debug/Blinky.imagepackage" ] && ok \
  || bad "blinky does not build against the installed SDK"
summary
