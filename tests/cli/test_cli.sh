#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_cli.sh SPHERE SOURCE_DIR — end-to-end checks of `sphere` as a user runs it: exit codes,
# help at every level, error formats, -o json, header generation. Prints "N passed, N failed".
set -u
sphere=$1 src=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
. "$src/tests/cli/lib.sh"
out=$work/out err=$work/err

rdb="--target-definition-filename mt3620_rdb.json"
example=$src/examples/manifests/documented_example.json

# Help at every level, and usage errors exit 2.
run 0 --help && has "$out" "app-manifest"
run 0 app-manifest --help && has "$out" "validate"
run 0 app-manifest validate --help && has "$out" "--target-definition-filename" && has "$out" "-o, --output"
run 0 hardware-definition generate-header -h && has "$out" "--hardware-definition-file"
run 2 && has "$out" "Usage: sphere"
run 2 frobnicate && has "$err" "error: 'frobnicate' is not a command of 'sphere'"
run 2 app-manifest validate && has "$err" "error: missing MANIFEST"
run 2 app-manifest validate --bogus x.json && has "$err" "error: unknown option '--bogus'"
run 2 app-manifest validate -o yaml "$example" && has "$err" "unknown output format 'yaml'"
run 2 app-manifest validate "$example" --target-definition-filename && has "$err" "needs a value"
run 2 hardware-definition generate-header && has "$err" "missing required option '--hardware-definition-file'"
run 0 --version && has "$out" "sphere "
# Several named positionals (ota deploy has four): help, missing and extra arguments, "-1" as a value.
run 0 ota deploy --help && has "$out" "Usage: sphere ota deploy [options] FILE VERSION PRODUCT GROUP"
run 2 ota deploy fw.bin 5 P && has "$err" "error: missing GROUP"
run 2 ota deploy fw.bin && has "$err" "error: missing VERSION"
run 2 ota deploy fw.bin 5 P G extra && has "$err" "error: unexpected argument 'extra'"
run 1 ota deploy fw.bin -1 P G && has "$err" "VERSION must be an integer greater than 0, not '-1'"
run 2 app-manifest validate a.json b.json && has "$err" "only one MANIFEST may be given ('a.json' and 'b.json')"
run 0 sim gpio --help && has "$out" "[N] [0|1]"

# The documented example validates and resolves names to raw values.
run 0 app-manifest validate $rdb "$example" && has "$out" "Gpio                   8                                      \$MT3620_RDB_LED1_RED"
run 0 app-manifest validate -o json $rdb "$example" && has "$out" '"Gpio":[1,8,12]' && has "$out" '"ApplicationType":"Default"'
run 0 app-manifest validate --output=json --hardware-definitions "$src/sdk/HardwareDefinitions" \
      --target-definition-filename mt3620_rdb.json "$example" && has "$out" '"MallocVersion":2'

# Every problem at once, as FILE:LINE:COL: JSON.path: reason, exit 1.
cat > "$work/bad.json" <<'JSON'
{
  "SchemaVersion": 1,
  "Name": "Bad",
  "ComponentId": "not-a-guid",
  "EntryPoint": "/bin/app",
  "Capabilities": {
    "Gpio": [ "$MT3620_RDB_LED1_RED", 99 ],
    "AllowedConnections": [ "*.example.com" ],
    "MutableStorage": { "SizeKB": 128 }
  }
}
JSON
run 1 app-manifest validate $rdb "$work/bad.json"
has "$err" "$work/bad.json:4:18: ComponentId: \"not-a-guid\" is not a GUID"
has "$err" "$work/bad.json:7:39: Capabilities.Gpio[1]: mixes hardware-definition names and raw values"
has "$err" "$work/bad.json:8:29: Capabilities.AllowedConnections[0]: \"*.example.com\" contains a wildcard"
has "$err" "$work/bad.json:9:35: Capabilities.MutableStorage.SizeKB: 128 KiB is out of range"
has "$err" "error: $work/bad.json: 5 errors"
lacks "$out" "Capability"

# Syntax errors, missing files, missing target definitions.
printf '{ "SchemaVersion": 1,, }' > "$work/syntax.json"
run 1 app-manifest validate "$work/syntax.json" && has "$err" "$work/syntax.json:1:22: invalid JSON: expected a string key"
run 1 app-manifest validate "$work/missing.json" && has "$err" "error: cannot read $work/missing.json: No such file or directory"
run 1 app-manifest validate --target-definition-filename nope.json "$example" && has "$err" "cannot find the target hardware definition 'nope.json'"
run 1 app-manifest validate "$example" && has "$err" "no target hardware definition was given"

# A real-time capable app needs no target definition; raw values are checked against the chip.
cat > "$work/rt.json" <<'JSON'
{ "SchemaVersion": 1, "Name": "Rt", "ComponentId": "005180bc-402f-4cb3-a662-72937dbcde47",
  "EntryPoint": "/bin/app", "ApplicationType": "RealTimeCapable",
  "Capabilities": { "Gpio": [ 8, 12 ], "Uart": [ "ISU3" ],
                    "AllowedApplicationConnections": [ "072C9364-61D4-4303-86E0-B0F883C7ADA2" ] } }
JSON
run 0 app-manifest validate -o json "$work/rt.json" && has "$out" '"ApplicationType":"RealTimeCapable"'

# Hardware definitions: generate, test (fresh and stale), validate, bad input.
mkdir -p "$work/hw/mt3620_rdb"
cp "$src/tests/data/headers/mt3620_rdb/sample_appliance.json" "$work/hw/mt3620_rdb/"
hw=$work/hw/mt3620_rdb/sample_appliance.json
run 1 hardware-definition test-header --hardware-definition-file "$hw" && has "$err" "the header does not exist"
run 0 hardware-definition generate-header --hardware-definition-file "$hw" && has "$out" "inc/hw/sample_appliance.h"
same "$(sha256sum < "$work/hw/mt3620_rdb/inc/hw/sample_appliance.h" | cut -d' ' -f1)" \
     eab90bacd9fad4e1fe91c01320e58ede30bc74dbb363b5585a6f67aff9fca76b "generated sample_appliance.h differs from the published header"
run 0 hardware-definition test-header --hardware-definition-file "$hw" && has "$out" "is up to date"
echo "// edited" >> "$work/hw/mt3620_rdb/inc/hw/sample_appliance.h"
run 1 hardware-definition test-header --hardware-definition-file "$hw" && has "$err" "is out of date"
run 0 hardware-definition validate -o json --hardware-definition-file "$hw" && has "$out" '"peripherals": 193'
sed 's/"Mapping": "MT3620_RDB_BUTTON_A"/"Mapping": "MT3620_RDB_BUTTON_Z"/' "$hw" > "$work/hw/mt3620_rdb/broken.json"
run 1 hardware-definition generate-header --hardware-definition-file "$work/hw/mt3620_rdb/broken.json" \
  && has "$err" "broken.json:22:9: Peripherals[0].Mapping: \"SAMPLE_BUTTON_1\" maps to \"MT3620_RDB_BUTTON_Z\", which is not defined"
check "header written for a broken definition" "[ ! -e '$work/hw/mt3620_rdb/inc/hw/broken.h' ]"

summary
