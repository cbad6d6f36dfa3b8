#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_escape.sh SPHERE SOURCE_DIR — the escape suite (docs/security.md): tests/apps/escape.c, a
# hostile app built with the SDK, tries every way out of its container we know of (host files,
# /proc, /sys, namespaces, mounts, ptrace, raw/packet/netlink/vsock sockets, io_uring, userfaultfd,
# bpf, perf, keyrings, modules, reboot, kexec, the clock, fork, exec, W+X memory, handles, set*id,
# capset, TIOCSTI, swapon, acct, quotactl, syslog, sysfs, ustat, ...); every attempt must be
# refused, and each attempt's result is printed. Then the W^X rules must leave the dynamic loader
# and the big libraries working (tests/apps/wxlibs.c: libcurl, OpenSSL, a thread), and the RTApp
# helper must hold one executable-and-writable region only: Unicorn's translation buffer, made
# before its filter is installed.
set -u
sphere=$1 src=$2
. "$src/tests/cli/lib.sh"
device_test_env # $bin, $sdk; new temporary $OPENSPHERE_HOME and $work
trap sim_cleanup EXIT
logf=$work/log
min_attempts=33

"$sphere" sim create esc >/dev/null && "$sphere" sim start esc >/dev/null && "$sphere" device enable-development >/dev/null \
  || { echo "cannot start a simulated device"; exit 1; }

# ---- the hostile app ---------------------------------------------------------------------------
probe_src=$src/tests/apps/escape.c probe escape 5ec0e5ca-0000-4000-8000-000000000001 '{"MutableStorage":{"SizeKB":16}}'
deploy escape
expect_log "ESCAPE summary" 20
grep "ESCAPE " "$logf" | sed 's/^.*ESCAPE /  attempt: /'
attempted=$(sed -n 's/.*ESCAPE summary attempted \([0-9]*\) refused \([0-9]*\).*/\1/p' "$logf" | tail -1)
refused=$(sed -n 's/.*ESCAPE summary attempted \([0-9]*\) refused \([0-9]*\).*/\2/p' "$logf" | tail -1)
if grep -q "ESCAPED" "$logf"; then bad "escapes succeeded: $(grep -o 'ESCAPE [a-z0-9-]* ESCAPED' "$logf" | tr '\n' ' ')"; else ok; fi
[ "${attempted:-0}" -ge $min_attempts ] && ok || bad "only ${attempted:-0} escape attempts ran (at least $min_attempts expected)"
[ -n "$attempted" ] && [ "$attempted" = "$refused" ] && ok || bad "attempted ${attempted:-?}, refused ${refused:-?}"
# The W^X attempts are refused by the filter itself (EPERM), not by some other check.
for a in mmap-wx mmap-anon-x mmap-file-wx mprotect-code-wx mprotect-data-x pkey-mprotect-x personality-rie memfd-create fork \
         unshare-user ptrace-attach socket-netlink io-uring bpf add-key init-module clock-settime; do
  grep -qF "ESCAPE $a refused EPERM" "$logf" && ok || bad "$a was not refused with EPERM by the seccomp filter"
done
echo "escape suite: $attempted attempted, $refused refused"
"$sphere" device app show-status > "$work/status"
grep -q "App state *: running" "$work/status" && ok || bad "the escape app did not stay running after its attempts: $(cat "$work/status")"
"$sphere" device sideload delete >/dev/null

# ---- W^X leaves the loader and the libraries working --------------------------------------------
dir=$work/wxlibs
mkdir -p "$dir/bin"
if cc -O1 -o "$dir/bin/app" "$src/tests/apps/wxlibs.c" -isystem "$sdk/Sysroots/17/usr/include" -lcurl -lssl -lcrypto -lpthread; then
  printf '{"SchemaVersion":1,"Name":"wxlibs","ComponentId":"5ec0e5ca-0000-4000-8000-000000000002","EntryPoint":"/bin/app","CmdArgs":[],"Capabilities":{}}' \
    > "$dir/app_manifest.json"
  "$sphere" image-package pack-application --package-directory "$dir" --destination "$work/wxlibs.ip" >/dev/null
  deploy wxlibs
  expect_log "WXLIBS done" 15
  for step in curl-init curl-easy openssl-ctx openssl-sha256 thread; do
    grep -qF "WXLIBS $step ok" "$logf" && ok || bad "wxlibs: $step did not work under the W^X filter"
  done
  "$sphere" device sideload delete >/dev/null
else bad "cannot build wxlibs.c"; fi

# ---- the RTApp helper: one RWX region (Unicorn's translation buffer), made before the filter ----
# (Sanitizer builds run the helper without its filter, docs/rtcore.md: LeakSanitizer needs ptrace.)
fw=$bin/../tests/unit/rtcore/fw/spin.elf
if ldd "$bin/sphere-rtcore" 2>/dev/null | grep -q libasan; then
  echo "skipped the sphere-rtcore check: a sanitizer build runs the helper without its seccomp filter"
elif [ -f "$fw" ]; then
  "$bin/sphere-rtcore" --elf "$fw" --max-time-ms 4000 >/dev/null 2>&1 & rtpid=$!
  until_ok 3 grep -q "Seccomp:.*2" "/proc/$rtpid/status" && ok || bad "sphere-rtcore runs without its seccomp filter"
  rwx=$(grep -cE '^[0-9a-f-]+ rwx' "/proc/$rtpid/maps")
  rwx_file=$(grep -E '^[0-9a-f-]+ rwx' "/proc/$rtpid/maps" | awk '$6 != ""' | wc -l)
  echo "sphere-rtcore: $rwx writable+executable region(s), $rwx_file of them file-backed"
  same "$rwx" 1 "writable and executable regions in sphere-rtcore (Unicorn's translation buffer only)"
  same "$rwx_file" 0 "file-backed writable and executable regions in sphere-rtcore"
  kill "$rtpid" 2>/dev/null; wait "$rtpid" 2>/dev/null
else echo "skipped the sphere-rtcore check: no $fw"; fi

"$sphere" sim stop esc >/dev/null
if grep -E "Sanitizer|runtime error" "$OPENSPHERE_HOME"/devices/esc/sphered.log; then bad "a sanitizer reported a problem in sphered"; else ok; fi
summary
