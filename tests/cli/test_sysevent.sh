#!/usr/bin/env bash
# test_sysevent.sh SPHERE SOURCE_DIR — system events end to end (docs/runtime.md, "System
# events"): probe apps register through libapplibs; `sphere sim sysevent` injects update events
# through POST /sim/sysevent; each registered app's EventLoop callback gets the event with the
# right status, update type and deferral allowance; deferral needs SoftwareUpdateDeferral, is
# recorded and shown (sim view, show-status), expires, and the allowance runs out; registration
# needs SystemEventNotifications; unregistered apps get nothing; bad input and a stopped device
# are refused with a clear error and a non-zero exit.
set -u
sphere=$1 src=$2
bin=$(dirname "$sphere")
sdk=$(cd "$bin/../sdk" && pwd)
export OPENSPHERE_HOME=$(mktemp -d)
work=$(mktemp -d)
cleanup() { "$sphere" sim stop sev >/dev/null 2>&1; rm -rf "$work" "$OPENSPHERE_HOME"; }
trap cleanup EXIT
. "$src/tests/cli/lib.sh" # ok, bad, until_ok, check, jget
# app_has CID TEXT [SECONDS] — waits for TEXT in that app's lines of the device log.
app_log_has() { "$sphere" device app log -i "$1" > "$work/log.$1" 2>&1; grep -qF -- "$2" "$work/log.$1"; }
app_log_re() { "$sphere" device app log -i "$1" > "$work/log.$1" 2>&1; grep -qE -- "$2" "$work/log.$1"; }
app_has_re() { if until_ok "${3:-5}" app_log_re "$1" "$2"; then ok; else bad "app $1 never logged /$2/"; tail -8 "$work/log.$1"; fi; }
app_has() { if until_ok "${3:-5}" app_log_has "$1" "$2"; then ok; else bad "app $1 never logged '$2'"; tail -8 "$work/log.$1" | sed 's/^  | //'; fi; }

probe() { # NAME CID CAPS ARGS...
  local name=$1 cid=$2 caps=$3; shift 3
  local dir=$work/$name args=""
  mkdir -p "$dir/bin"
  cc -O1 -g -o "$dir/bin/app" "$src/tests/apps/probe.c" -isystem "$sdk/Sysroots/17/usr/include" -L"$sdk/Sysroots/17/usr/lib" -lapplibs \
    || { bad "cannot build the probe app"; return 1; }
  for a in "$@"; do args="$args${args:+,}\"$a\""; done
  printf '{"SchemaVersion":1,"Name":"%s","ComponentId":"%s","EntryPoint":"/bin/app","CmdArgs":[%s],"Capabilities":%s}' \
    "$name" "$cid" "$args" "$caps" > "$dir/app_manifest.json"
  "$sphere" image-package pack-application --package-directory "$dir" --destination "$work/$name.ip" >/dev/null
  "$sphere" device sideload deploy -d sev -p "$work/$name.ip" >/dev/null || bad "deploying $name failed"
}

# ---- no device running: a clear error, exit 1 -----------------------------------------------
"$sphere" sim sysevent -d sev updateReadyForInstall >"$work/out" 2>"$work/err"; rc=$?
[ $rc = 1 ] && grep -q "^error: " "$work/err" && ok || bad "injecting into a device that does not exist: exit $rc, $(cat "$work/err")"

"$sphere" sim create sev >/dev/null && "$sphere" sim start sev >/dev/null && "$sphere" device enable-development -d sev >/dev/null \
  || { echo "cannot start a simulated device"; exit 1; }

A=55555555-0000-0000-0000-00000000000a # registers, may defer (defers 4 minutes)
B=55555555-0000-0000-0000-00000000000b # registers, may not defer
C=55555555-0000-0000-0000-00000000000c # no SystemEventNotifications
D=55555555-0000-0000-0000-00000000000d # registers, then unregisters
E=55555555-0000-0000-0000-00000000000e # never registers
probe deferrer $A '{"SystemEventNotifications":true,"SoftwareUpdateDeferral":true}' deferidle sysev-ready defer:4
probe listener $B '{"SystemEventNotifications":true}' sysev defer:2
probe nocap $C '{"SoftwareUpdateDeferral":true}' sysev
probe quitter $D '{"SystemEventNotifications":true}' sysev unregister
probe bystander $E '{"SystemEventNotifications":true}' log
app_has $A "PROBE deferidle EINVAL"   # nothing offered yet
app_has $A "PROBE sysev-ready ok"
app_has $B "PROBE sysev ok"
app_has $C "PROBE sysev EACCES"       # registering needs SystemEventNotifications
app_has $D "PROBE unregister ok"
app_has $E "PROBE done"

"$sphere" sim sysevent -d sev > "$work/out" 2>&1 || bad "sim sysevent (view) failed: $(cat "$work/out")"
grep -q "Registered apps: 2" "$work/out" && grep -q "$A (deferrer): updateReadyForInstall$" "$work/out" \
  && grep -q "$B (listener): updateReadyForInstall updateStarted noUpdateAvailable" "$work/out" && ok \
  || { bad "the view does not list exactly A and B"; cat "$work/out"; }
"$sphere" device app show-status -d sev -i $B > "$work/out"
grep -q "SysEvents   : updateReadyForInstall updateStarted noUpdateAvailable" "$work/out" && ok || bad "show-status does not show B's registration"

# ---- bad input ---------------------------------------------------------------------------------
"$sphere" sim sysevent -d sev rebootNow >/dev/null 2>"$work/err"; rc=$?
[ $rc = 2 ] && grep -q "unknown system event 'rebootNow'" "$work/err" && ok || bad "a bad event name: exit $rc, $(cat "$work/err")"
"$sphere" sim sysevent -d sev updateReadyForInstall --update-type firmware >/dev/null 2>"$work/err"; rc=$?
[ $rc = 2 ] && grep -q "update-type must be app or system" "$work/err" && ok || bad "a bad update type: exit $rc"
"$sphere" sim sysevent -d sev updateReadyForInstall --update-type system --max-deferral-minutes 5000 >/dev/null 2>"$work/err"; rc=$?
[ $rc = 1 ] && grep -q "maxDeferralMinutes" "$work/err" && ok || bad "more than 1440 minutes for a system update: exit $rc, $(cat "$work/err")"
rest() { curl -s -o "$work/body" -w '%{http_code}' --unix-socket "$OPENSPHERE_HOME/devices/sev/rest.sock" "$@"; }
[ "$(rest -X POST -d '{"event":"reboot"}' http://localhost/sim/sysevent)" = 400 ] && grep -q '"detail":"\\"event\\" must be' "$work/body" \
  && ok || bad "REST: a bad event: $(cat "$work/body")"
[ "$(rest -X POST -d 'nonsense' http://localhost/sim/sysevent)" = 400 ] && ok || bad "REST: a body that is not JSON"

# ---- a system update: A defers (twice) until the allowance runs out; B may not defer -----------
# 10 minutes of allowance, 2 s per simulated minute, 3 s warning windows (room for a loaded machine).
"$sphere" sim sysevent -d sev updateReadyForInstall --update-type system --max-deferral-minutes 10 \
  --window-seconds 3 --seconds-per-minute 2 > "$work/out" 2>&1 || bad "injecting updateReadyForInstall failed: $(cat "$work/out")"
grep -q "Notified apps: 2" "$work/out" && grep -q "  $A (deferrer)" "$work/out" && grep -q "  $B (listener)" "$work/out" && ok \
  || { bad "the CLI does not report A and B as notified"; cat "$work/out"; }
grep -q "$A (deferrer): deferred 4 minutes" "$work/out" && grep -q "An app deferred the update." "$work/out" && ok \
  || { bad "the CLI does not report A's deferral"; cat "$work/out"; }
app_has $A "SYSEVENT event=0x1 status=Pending type=System max=10"
app_has $A "PROBE defer ok"
app_has $B "SYSEVENT event=0x1 status=Pending type=System max=10"
app_has $B "PROBE defer EACCES"        # deferring needs SoftwareUpdateDeferral
app_has $B "SYSEVENT event=0x1 status=Deferred"
"$sphere" sim sysevent -d sev > "$work/out"
grep -q "Update offer: system update, deferred (allowance 10 minutes" "$work/out" && grep -q "Deferred until: " "$work/out" && ok \
  || { bad "the view does not show the deferral"; cat "$work/out"; }
"$sphere" device app show-status -d sev -i $A > "$work/out"
grep -q "Deferral    : update deferred 4 minutes, until " "$work/out" && ok || { bad "show-status does not show A's deferral"; cat "$work/out"; }
"$sphere" sim sysevent -d sev updateReadyForInstall --window-seconds 1 >/dev/null 2>"$work/err"; rc=$?
[ $rc = 1 ] && grep -qE "already (deferred|pending)" "$work/err" && ok || bad "a second offer during a deferral: exit $rc, $(cat "$work/err")"
# The deferral ends after 4 simulated minutes: offered again with what is left, deferred again,
# then the rest of the allowance is too short for 4 minutes: refused, and the update goes ahead.
app_has_re $A "SYSEVENT event=0x1 status=Pending type=System max=[56]$" 14 # 10 - 4, less the time taken
app_has $A "PROBE defer EINVAL" 18
app_has $A "SYSEVENT event=0x1 status=Final type=System" 8
app_has $B "SYSEVENT event=0x1 status=Final type=System" 2
until_ok 6 sh -c "\"$sphere\" sim sysevent -d sev | grep -q 'Update offer: system update, complete'" && ok || bad "the offer did not complete"
grep -c "status=Complete" "$work/log.$A" | grep -q '^0$' && ok || bad "a system update sent Complete"

# ---- an app update nobody defers: Pending, Final, Complete -------------------------------------
"$sphere" device app stop -d sev -i $A >/dev/null
# stop returns at once; A's registration goes when it has exited
until_ok 6 sh -c "\"$sphere\" sim sysevent -d sev | grep -q 'Registered apps: 1'" && ok || bad "A's registration outlived it"
"$sphere" sim sysevent -d sev updateReadyForInstall --update-type app --window-seconds 1 > "$work/out" 2>&1 \
  || bad "injecting an app update failed: $(cat "$work/out")"
grep -q "Notified apps: 1" "$work/out" && grep -q "No app deferred the update." "$work/out" && ok || { bad "app update report"; cat "$work/out"; }
app_has $B "SYSEVENT event=0x1 status=Pending type=App max=10020"
app_has $B "SYSEVENT event=0x1 status=Final type=App max=0" 4
app_has $B "SYSEVENT event=0x1 status=Complete type=App" 4

# ---- updateStarted and noUpdateAvailable ----------------------------------------------------
"$sphere" sim sysevent -d sev updateStarted --update-type system > "$work/out" 2>&1 && grep -q "  $B (listener)" "$work/out" \
  && ! grep -q "$A" "$work/out" && ok || { bad "updateStarted report"; cat "$work/out"; }
app_has $B "SYSEVENT event=0x2 status=Final type=System max=1440"
"$sphere" sim sysevent -d sev noUpdateAvailable -o json > "$work/out" 2>&1 && grep -q '"event": "noUpdateAvailable"' "$work/out" && ok \
  || { bad "noUpdateAvailable -o json"; cat "$work/out"; }
app_has $B "SYSEVENT event=0x4 status=Final type=none max=0"

# ---- apps that are not registered got nothing ---------------------------------------------------
for cid in $C $D $E; do
  "$sphere" device app log -d sev -i $cid > "$work/log.$cid"
  grep -q "SYSEVENT" "$work/log.$cid" && bad "app $cid received a system event" || ok
done

# ---- a stopped device: a clear error ----------------------------------------------------------
"$sphere" sim stop sev >/dev/null
"$sphere" sim sysevent -d sev noUpdateAvailable >/dev/null 2>"$work/err"; rc=$?
[ $rc = 1 ] && grep -q "^error: " "$work/err" && ok || bad "injecting into a stopped device: exit $rc, $(cat "$work/err")"
if grep -E "Sanitizer|runtime error" "$OPENSPHERE_HOME"/devices/sev/sphered.log; then bad "a sanitizer reported a problem in sphered"; else ok; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
