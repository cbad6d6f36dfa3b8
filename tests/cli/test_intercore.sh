#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_intercore.sh SPHERE SOURCE_DIR — inter-core communication end to end (docs/intercore.md):
# the echo example (HL app + RTApp built from sample-style projects) on a simulated device;
# round trips, 1040 bytes and one over, back-pressure, restart of either side mid-stream, the
# permission matrix with case-insensitive IDs, partner apps, show-status, a hostile RTApp.
set -u
sphere=$1 src=$2
. "$src/tests/cli/lib.sh"
device_test_env # $bin, $sdk; new temporary $OPENSPHERE_HOME and $work
trap sim_cleanup EXIT
logf=$work/log log_wait=10

HL=7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d    # examples/intercore/hl_echo
RT=0e5c9a7b-3d2f-4b1a-9c8e-7f6d5e4c3b2a    # examples/intercore/rt_echo (lists HL in upper case)
RT_UP=$(echo $RT | tr a-f A-F)

# ---- build the example (sample-style projects) and the test apps -----------------------------
cp -r "$src/examples/intercore" "$work/ex" && rm -rf "$work/ex"/*/out
if AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere ArmGnuPath= make -C "$work/ex" >"$work/build.log" 2>&1; then ok
else bad "the inter-core example does not build"; tail -20 "$work/build.log"; exit 1; fi
rtpkg=$work/ex/rt_echo/out/ARM-Release/rt_echo.imagepackage
hlpkg=$work/ex/hl_echo/out/ARM-Debug/hl_echo.imagepackage
rtelf=$work/ex/rt_echo/out/ARM-Release/rt_echo
cc -O1 -o "$work/hlprobe" "$src/tests/unit/intercore/hlprobe.c" -isystem "$sdk/Sysroots/17/usr/include" \
  -L"$sdk/Sysroots/17/usr/lib" -lapplibs || { bad "cannot build hlprobe"; exit 1; }

# hl NAME CID CONNECTIONS-JSON ARGS... — packs hlprobe as a high-level app.
hl() {
  local name=$1 cid=$2 conns=$3 args=""; shift 3
  mkdir -p "$work/$name/bin" && cp "$work/hlprobe" "$work/$name/bin/app"
  for a in "$@"; do args="$args${args:+,}\"$a\""; done
  printf '{"SchemaVersion":1,"Name":"%s","ComponentId":"%s","EntryPoint":"/bin/app","CmdArgs":[%s],"Capabilities":{"AllowedApplicationConnections":%s},"ApplicationType":"Default"}' \
    "$name" "$cid" "$args" "$conns" > "$work/$name/app_manifest.json"
  "$sphere" image-package pack-application --package-directory "$work/$name" --destination "$work/$name.ip" >/dev/null
}
# rt NAME CID CONNECTIONS-JSON [ELF] — packs an RTApp ELF (default: rt_echo) with that manifest.
rt() {
  mkdir -p "$work/$1/bin" && cp "${4:-$rtelf}" "$work/$1/bin/app"
  printf '{"SchemaVersion":1,"Name":"%s","ComponentId":"%s","EntryPoint":"/bin/app","CmdArgs":[],"Capabilities":{"AllowedApplicationConnections":%s},"ApplicationType":"RealTimeCapable"}' \
    "$1" "$2" "$3" > "$work/$1/app_manifest.json"
  "$sphere" image-package pack-application --package-directory "$work/$1" --destination "$work/$1.ip" >/dev/null
}
clear() { "$sphere" device sideload delete >/dev/null; }

"$sphere" sim create ic >/dev/null && "$sphere" sim start ic >/dev/null && "$sphere" device enable-development >/dev/null \
  || { echo "cannot start a simulated device"; exit 1; }

# ---- the example: HL sends, RT upper-cases and replies --------------------------------------
deploy "$rtpkg"
deploy "$hlpkg"
expect_log "hl_echo: sent 'hello from hl_echo 1', got 'HELLO FROM HL_ECHO 1'"
expect_log "rt_echo: ready, ring of 4032 bytes"
"$sphere" device app show-status > "$work/out"
grep -q "Connected to: $HL" "$work/out" && grep -q "Connected to: $RT" "$work/out" && ok \
  || { bad "show-status does not show the connection both ways"; cat "$work/out"; }
# Partner apps: deleting all but the listed ones keeps the partner; redeploying one keeps the other.
"$sphere" device sideload delete -e "$RT" >/dev/null
"$sphere" device app show-status > "$work/out"
grep -q "$RT" "$work/out" && ! grep -q "$HL" "$work/out" && ok || bad "sideload delete -e did not keep exactly the partner"
deploy "$hlpkg"
deploy "$rtpkg"
"$sphere" device app show-status > "$work/out"
grep -q "^$RT" "$work/out" && grep -q "^$HL" "$work/out" && ok || bad "deploying one partner removed the other"
expect_log "[runtime] hl_echo connected to OpenSphereEchoRTApp"
clear

# ---- round trips, maximum size and one byte over ---------------------------------------------
deploy "$rtpkg"
hl rtrip $HL "[\"$RT_UP\"]" "$RT_UP" roundtrip     # upper-case ID in the HL manifest and the call
deploy "$work/rtrip.ip"
expect_log "ICP roundtrip ok"
expect_log "ICP over EMSGSIZE"
expect_log "ICP after-over ok"
clear

# ---- back-pressure: the HL app stops reading; the RT's ring fills; the HL's sends block --------
deploy "$rtpkg"
hl bp $HL "[\"$RT\"]" "$RT" backpressure
deploy "$work/bp.ip"
expect_log "ICP backpressure blocked after" 10
if until_ok 10 log_has "ICP backpressure sent"; then
  line=$(grep -o "ICP backpressure sent [0-9]* got [0-9]*" "$logf")
  set -- $line
  [ "$4" = "$6" ] && [ "$4" -gt 10 ] && ok || bad "back-pressure lost messages: $line"
else bad "the back-pressure run did not finish"; grep ICP "$logf" | tail -3; fi
clear

# ---- restart of either side mid-stream -------------------------------------------------------
deploy "$rtpkg"
hl stream $HL "[\"$RT\"]" "$RT" stream
deploy "$work/stream.ip"
expect_log "ICP stream 10 ok"
"$sphere" device app stop -i $RT >/dev/null
expect_log "ICP stream closed"
"$sphere" device app start -i $RT >/dev/null
expect_log "ICP stream reconnected"
"$sphere" device app log > "$logf"; before=$(grep -c "ICP stream .* ok" "$logf")
sleep 1.5
"$sphere" device app log > "$logf"; after=$(grep -c "ICP stream .* ok" "$logf")
[ "$after" -gt "$before" ] && ok || bad "the stream did not continue after the RTApp restarted"
"$sphere" device app stop -i $HL >/dev/null
expect_log "the high-level app $HL closed its connection"
"$sphere" device app start -i $HL >/dev/null
until_ok 8 sh -c "[ \$(\"$sphere\" device app log | grep -c 'ICP stream 10 ok') -ge 2 ]" && ok \
  || bad "the HL app did not resume its stream after its restart"
clear

# ---- the permission matrix --------------------------------------------------------------------
# name | HL lists | partner | partner lists | expected
HL2=7d1c2b3a-0000-4a6b-8c7d-000000000002
rt rt_ok   $RT "[\"$(echo $HL | tr a-f A-F)\"]"
rt rt_deny 0e5c9a7b-0000-4b1a-9c8e-000000000003 "[\"7d1c2b3a-0000-4a6b-8c7d-999999999999\"]"
hl hl_peer $HL2 "[\"$HL\"]" "$HL" connect
deploy "$work/rt_ok.ip"; deploy "$work/rt_deny.ip"; deploy "$work/hl_peer.ip"
# rt_ok takes the component of the stream RTApp just deleted: it starts once that one has stopped
# (Application_Connect to an RTApp not running yet is ECONNREFUSED, as on a device)
expect_log "started rt_ok on a real-time core" 10
connect_results() { "$sphere" device app log > "$logf" 2>&1; grep -c "ICP connect" "$logf"; }
connect_case() { # NAME CONNS TARGET WANT — a fresh HL app (component $HL) calls Application_Connect(TARGET)
  "$sphere" device sideload delete -e $RT -e 0e5c9a7b-0000-4b1a-9c8e-000000000003 -e $HL2 >/dev/null
  local before; before=$(connect_results)
  hl "$1" $HL "$2" "$3" connect
  deploy "$work/$1.ip"
  if until_ok 10 sh -c "[ \$(\"$sphere\" device app log | grep -c 'ICP connect') -gt $before ]"; then
    got=$("$sphere" device app log | grep -o "ICP connect [A-Za-z]*" | tail -1 | cut -d' ' -f3)
    [ "$got" = "$4" ] && ok || bad "$1: Application_Connect($3) gave $got, want $4 (rerun: bash $0 $sphere $src)"
  else bad "$1: no result"; fi
}
connect_case m_both_list     "[\"$RT\"]" $RT ok
connect_case m_mixed_case    "[\"$RT_UP\"]" "$(echo $RT | sed 's/0e5c/0E5C/')" ok
connect_case m_hl_not_list   "[]" $RT EACCES
connect_case m_rt_not_list   "[\"0e5c9a7b-0000-4b1a-9c8e-000000000003\"]" 0e5c9a7b-0000-4b1a-9c8e-000000000003 EACCES
connect_case m_hl_to_hl      "[\"$HL2\"]" $HL2 EACCES
connect_case m_absent        "[\"0e5c9a7b-0000-4b1a-9c8e-00000000dead\"]" 0e5c9a7b-0000-4b1a-9c8e-00000000dead ECONNREFUSED
connect_case m_malformed     "[\"$RT\"]" not-a-guid EINVAL
"$sphere" device app stop -i $RT >/dev/null
connect_case m_stopped       "[\"$RT\"]" $RT ECONNREFUSED
clear

# ---- a hostile RTApp: bogus block, bogus positions; the device drops, closes and carries on -----
cp -r "$src/examples/intercore/rt_echo" "$work/evil" && rm -rf "$work/evil/out"
cp "$src/tests/unit/intercore/evil_rtapp.c" "$work/evil/main.c"
(cd "$work/evil" && AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere ArmGnuPath= cmake --preset ARM-Release >/dev/null \
  && cmake --build out/ARM-Release >/dev/null) || bad "the hostile RTApp does not build"
rt evil $RT "[\"$HL\"]" "$work/evil/out/ARM-Release/rt_echo"
deploy "$work/evil.ip"
hl victim $HL "[\"$RT\"]" "$RT" roundtrip
deploy "$work/victim.ip"
expect_log "evil: done"
expect_log "dropped a message from evil to eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee: not the connected high-level app"
expect_log "inter-core channel closed: the real-time core corrupted the shared ring"
"$sphere" device app show-status > "$work/out" && grep -q "App state   : running" "$work/out" && ok \
  || bad "the device stopped answering after the hostile RTApp"
clear
deploy "$rtpkg"; deploy "$hlpkg"
expect_log "got 'HELLO FROM HL_ECHO" 5

summary
