#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_start_load.sh SPHERE SOURCE_DIR — an app starts every time while the device is busy: 100
# stop/start cycles of one app while three clients keep the device's REST threads allocating
# (`sphere device app log` in a loop); each start must reach the app's main and log within 8 s.
# Guards the container's init: it is a clone of a multi-threaded sphered, and when it called
# glibc's fork() it hung on a malloc lock a REST thread held at the moment of the clone (before
# the fix this test hung within 9 to 26 cycles; docs/runtime.md, "Starting an app").
set -u
sphere=$1 src=$2
. "$src/tests/cli/lib.sh"
device_test_env # $bin, $sdk; new temporary $OPENSPHERE_HOME and $work
hammers=()
stop_hammers() { [ ${#hammers[@]} -eq 0 ] || kill "${hammers[@]}" 2>/dev/null; wait 2>/dev/null; }
trap 'stop_hammers; sim_cleanup' EXIT
cycles=${START_LOAD_CYCLES:-100}
cid=51a7c0de-0000-4000-8000-000000000001

"$sphere" sim create sl >/dev/null && "$sphere" sim start sl >/dev/null && "$sphere" device enable-development >/dev/null \
  || { echo "cannot start a simulated device"; exit 1; }
probe starter $cid '{}' log
deploy starter
expect_log "PROBE done" 10

# the load: bounded in time (the test's own limit) and stopped at the end
for k in 1 2 3; do
  ( end=$((SECONDS + 240)); while [ $SECONDS -lt $end ]; do "$sphere" device app log >/dev/null 2>&1; done ) &
  hammers+=($!)
done

done_count() { "$sphere" device app log -i $cid 2>/dev/null | grep -c "PROBE done"; }
started=0
for i in $(seq 1 "$cycles"); do
  "$sphere" device app stop -i $cid >/dev/null 2>&1
  before=$(done_count)
  "$sphere" device app start -i $cid >/dev/null || { bad "cycle $i: app start refused"; break; }
  if until_ok 8 sh -c "[ \$(\"$sphere\" device app log -i $cid 2>/dev/null | grep -c 'PROBE done') -gt $before ]"; then
    started=$((started + 1))
  else
    bad "cycle $i: the app was started but never reached its main"; app_snapshot $cid; break
  fi
done
same "$started" "$cycles" "starts that reached the app's main"
stop_hammers
summary
