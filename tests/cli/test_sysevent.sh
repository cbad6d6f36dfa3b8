#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_sysevent.sh SPHERE SOURCE_DIR — system events end to end (docs/runtime.md, "System
# events"): probe apps register through libapplibs; `sphere sim sysevent` injects update events
# through POST /sim/sysevent; each registered app's EventLoop callback gets the event with the
# right status, update type and deferral allowance; deferral needs SoftwareUpdateDeferral, is
# recorded and shown (sim view, show-status), expires, and the allowance runs out; registration
# needs SystemEventNotifications; unregistered apps get nothing; bad input and a stopped device
# are refused with a clear error and a non-zero exit.
set -u
sphere=$1 src=$2
. "$src/tests/cli/lib.sh"
device_test_env # $bin, $sdk; new temporary $OPENSPHERE_HOME and $work
trap sim_cleanup EXIT
dev=sev probe_cflags="-O1 -g" # expect_log TEXT SECONDS -i CID waits for TEXT in that app's lines of the device log

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
probe deferrer $A '{"SystemEventNotifications":true,"SoftwareUpdateDeferral":true}' deferidle sysev-ready defer:4; deploy deferrer
probe listener $B '{"SystemEventNotifications":true}' sysev defer:2; deploy listener
probe nocap $C '{"SoftwareUpdateDeferral":true}' sysev; deploy nocap
probe quitter $D '{"SystemEventNotifications":true}' sysev unregister; deploy quitter
probe bystander $E '{"SystemEventNotifications":true}' log; deploy bystander
expect_log "PROBE deferidle EINVAL" 5 -i $A   # nothing offered yet
expect_log "PROBE sysev-ready ok" 5 -i $A
expect_log "PROBE sysev ok" 5 -i $B
expect_log "PROBE sysev EACCES" 5 -i $C       # registering needs SystemEventNotifications
expect_log "PROBE unregister ok" 5 -i $D
expect_log "PROBE done" 5 -i $E

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
[[ "$(rest sev POST /sim/sysevent -d '{"event":"reboot"}')" == "400 "* ]] && grep -q '"detail":"\\"event\\" must be' "$work/body" \
  && ok || bad "REST: a bad event: $(cat "$work/body")"
[[ "$(rest sev POST /sim/sysevent -d 'nonsense')" == "400 "* ]] && ok || bad "REST: a body that is not JSON"

# ---- a system update: A defers (twice) until the allowance runs out; B may not defer -----------
# 10 minutes of allowance, 2 s per simulated minute, 3 s warning windows (room for a loaded machine).
"$sphere" sim sysevent -d sev updateReadyForInstall --update-type system --max-deferral-minutes 10 \
  --window-seconds 3 --seconds-per-minute 2 > "$work/out" 2>&1 || bad "injecting updateReadyForInstall failed: $(cat "$work/out")"
grep -q "Notified apps: 2" "$work/out" && grep -q "  $A (deferrer)" "$work/out" && grep -q "  $B (listener)" "$work/out" && ok \
  || { bad "the CLI does not report A and B as notified"; cat "$work/out"; }
grep -q "$A (deferrer): deferred 4 minutes" "$work/out" && grep -q "An app deferred the update." "$work/out" && ok \
  || { bad "the CLI does not report A's deferral"; cat "$work/out"; }
expect_log "SYSEVENT event=0x1 status=Pending type=System max=10" 5 -i $A
expect_log "PROBE defer ok" 5 -i $A
expect_log "SYSEVENT event=0x1 status=Pending type=System max=10" 5 -i $B
expect_log "PROBE defer EACCES" 5 -i $B        # deferring needs SoftwareUpdateDeferral
expect_log "SYSEVENT event=0x1 status=Deferred" 5 -i $B
"$sphere" sim sysevent -d sev > "$work/out"
grep -q "Update offer: system update, deferred (allowance 10 minutes" "$work/out" && grep -q "Deferred until: " "$work/out" && ok \
  || { bad "the view does not show the deferral"; cat "$work/out"; }
"$sphere" device app show-status -d sev -i $A > "$work/out"
grep -q "Deferral    : update deferred 4 minutes, until " "$work/out" && ok || { bad "show-status does not show A's deferral"; cat "$work/out"; }
"$sphere" sim sysevent -d sev updateReadyForInstall --window-seconds 1 >/dev/null 2>"$work/err"; rc=$?
[ $rc = 1 ] && grep -qE "already (deferred|pending)" "$work/err" && ok || bad "a second offer during a deferral: exit $rc, $(cat "$work/err")"
# The deferral ends after 4 simulated minutes: offered again with what is left, deferred again,
# then the rest of the allowance is too short for 4 minutes: refused, and the update goes ahead.
expect_log -E "SYSEVENT event=0x1 status=Pending type=System max=[56]$" 14 -i $A # 10 - 4, less the time taken
expect_log "PROBE defer EINVAL" 18 -i $A
expect_log "SYSEVENT event=0x1 status=Final type=System" 8 -i $A
expect_log "SYSEVENT event=0x1 status=Final type=System" 2 -i $B
until_ok 6 sh -c "\"$sphere\" sim sysevent -d sev | grep -q 'Update offer: system update, complete'" && ok || bad "the offer did not complete"
log_has "status=Complete" -i "$A" && bad "a system update sent Complete" || ok

# ---- an app update nobody defers: Pending, Final, Complete -------------------------------------
"$sphere" device app stop -d sev -i $A >/dev/null
# stop returns at once; A's registration goes when it has exited
until_ok 6 sh -c "\"$sphere\" sim sysevent -d sev | grep -q 'Registered apps: 1'" && ok || bad "A's registration outlived it"
"$sphere" sim sysevent -d sev updateReadyForInstall --update-type app --window-seconds 1 > "$work/out" 2>&1 \
  || bad "injecting an app update failed: $(cat "$work/out")"
grep -q "Notified apps: 1" "$work/out" && grep -q "No app deferred the update." "$work/out" && ok || { bad "app update report"; cat "$work/out"; }
expect_log "SYSEVENT event=0x1 status=Pending type=App max=10020" 5 -i $B
expect_log "SYSEVENT event=0x1 status=Final type=App max=0" 4 -i $B
expect_log "SYSEVENT event=0x1 status=Complete type=App" 4 -i $B

# ---- updateStarted and noUpdateAvailable ----------------------------------------------------
"$sphere" sim sysevent -d sev updateStarted --update-type system > "$work/out" 2>&1 && grep -q "  $B (listener)" "$work/out" \
  && ! grep -q "$A" "$work/out" && ok || { bad "updateStarted report"; cat "$work/out"; }
expect_log "SYSEVENT event=0x2 status=Final type=System max=1440" 5 -i $B
"$sphere" sim sysevent -d sev noUpdateAvailable -o json > "$work/out" 2>&1 && grep -q '"event": "noUpdateAvailable"' "$work/out" && ok \
  || { bad "noUpdateAvailable -o json"; cat "$work/out"; }
expect_log "SYSEVENT event=0x4 status=Final type=none max=0" 5 -i $B

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
summary
