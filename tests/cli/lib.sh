# SPDX-License-Identifier: MIT
# lib.sh — the one harness of the shell tests (source it; it defines, it runs nothing). Every test
# script sources it and defines none of these itself. Each has one argument order. The test sets
# what they use: $sphere (the CLI), $work (its temp folder), $out/$err (run), $src/$sdk (probe).
#   device_test_env          set $bin, $sdk, a new $OPENSPHERE_HOME (exported) and $work
#   ok [MSG]                 count a passed check (prints "ok: MSG" when given one)
#   bad MSG                  count a failed check: prints "FAIL: MSG" ("FAIL [$fail_tag]: MSG"
#                            when the test sets fail_tag, e.g. to its database backend)
#   fail MSG                 print "FAIL: MSG" on stderr and exit 1 (tests that stop at the first)
#   check MSG EXPR           eval EXPR: ok, else bad MSG
#   same GOT WANT MSG        GOT = WANT: ok, else bad "MSG: got 'GOT', expected 'WANT'"
#   run CODE ARGS...         "$sphere" ARGS must exit CODE (ok, else bad with stderr and stdout's
#                            head; returns 1); output in $out and $err
#   has FILE TEXT            FILE holds TEXT (fixed string): ok, else bad and FILE's head
#   lacks FILE TEXT          FILE does not hold TEXT
#   until_ok SECONDS CMD...  re-run CMD every 0.1 s until it succeeds or the time is up
#   jget FILE KEY...         a value from a JSON file (objects by key, arrays by index)
#   summary                  print "N passed, N failed"; non-zero on any failure
#   sim_stop_all             stops every simulated device under $OPENSPHERE_HOME (and its external
#                            MCU); a sphered that outlives `sim stop` (or left a stale pid file
#                            after a power cut) is killed only if that pid is still a sphered
#   sim_cleanup              the device tests' EXIT trap: sim_stop_all, then deletes $work,
#                            $OPENSPHERE_HOME and $OPENSPHERE_CONFIG_DIR (when set)
# The simulated device $dev ("-d $dev" is given when dev is set, else sphere's attached device):
#   log_has TEXT [LOG-ARGS...]        `sphere device app log [-d $dev] ${log_args[@]} LOG-ARGS` to
#                                     $logf (default $work/log) holds TEXT (fixed string)
#   log_has_re REGEX [LOG-ARGS...]    the same with an extended regex
#   expect_log [-E] TEXT [SECONDS [LOG-ARGS...]]  wait (default $log_wait, else 5 s) until the log
#                                     holds TEXT (-E: an extended regex): ok, else bad and the last
#                                     $log_tail (8) lines of it that match $log_show (all)
#   app_snapshot [CID]       prints, for a failure's report, every app process on this machine
#                            (/mnt/apps/CID… entry points; CID default $cur; "" all): pid, state, what it waits in (wchan,
#                            the system call and its kernel stack when readable), and the device
#                            log's last 15 runtime lines
#   deploy PACKAGE           sideload PACKAGE (a path, or NAME for $work/NAME.ip) to $dev; bad if refused
#   probe NAME CID CAPS ARGS...  builds $probe_src (default tests/apps/probe.c, $probe_cflags,
#                            default -O1) into $work/NAME.ip with that manifest, CmdArgs ARGS and a
#                            data/hello.txt (the binary is built once per source, in $work);
#                            sets cur to CID's first 8 digits
#   rest DEVICE METHOD PATH [CURL-ARGS...]   a request to DEVICE's REST socket: prints "STATUS BODY",
#                            the body also in $work/body
#   expect_rest WANT DEVICE METHOD PATH [CURL-ARGS...]  "STATUS BODY" matches the glob WANT
# The cloud service (tests/lib/cloud.sh starts it and sets $url and $ca):
#   api TOKEN METHOD PATH [CURL-ARGS...]      a request to $url (TOKEN may be ""): prints
#                            "STATUS BODY", the body also in $work/body
#   expect_api WANT TOKEN METHOD PATH [CURL-ARGS...]    "STATUS BODY" matches the glob WANT
passed=0 failed=0
# device_test_env: what a device test starts with — $bin (the CLI's folder), $sdk (the SDK beside
# it), and new temporary folders $OPENSPHERE_HOME (exported) and $work. Needs $sphere.
device_test_env() {
  bin=$(dirname "$sphere")
  sdk=$(cd "$bin/../sdk" && pwd)
  export OPENSPHERE_HOME=$(mktemp -d)
  work=$(mktemp -d)
}
ok() { passed=$((passed + 1)); [ $# -eq 0 ] || echo "ok: $*"; }
bad() { echo "FAIL${fail_tag:+ [$fail_tag]}: $*"; failed=$((failed + 1)); }
fail() { echo "FAIL: $*" >&2; exit 1; }
check() { if eval "$2"; then ok; else bad "$1"; fi; }
same() { if [ "$1" = "$2" ]; then ok; else bad "$3: got '$1', expected '$2'"; fi; }
run() {
  local want=$1; shift
  "$sphere" "$@" >"$out" 2>"$err"; local got=$?
  if [ "$got" -ne "$want" ]; then bad "sphere $* exited $got, expected $want"; sed 's/^/  | /' "$err" "$out" | head -8; return 1; fi
  ok
}
has() { if grep -qF -- "$2" "$1"; then ok; else bad "expected '$2' in $(basename "$1")"; sed 's/^/  | /' "$1" | head -8; fi; }
lacks() { if grep -qF -- "$2" "$1"; then bad "did not expect '$2' in $(basename "$1")"; else ok; fi; }
until_ok() {
  local limit=$1; shift
  local end=$((SECONDS + limit))
  while [ $SECONDS -le $end ]; do "$@" && return 0; sleep 0.1; done
  return 1
}
source "$(dirname "${BASH_SOURCE[0]}")/../lib/jget.sh"   # jget FILE [KEY|INDEX]...
summary() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; }
sim_stop_all() {
  local d name pid
  for d in "${OPENSPHERE_HOME:-/nonexistent}"/devices/*; do
    [ -f "$d/sphered.pid" ] || continue
    name=${d##*/}
    "$sphere" sim mcu stop -d "$name" >/dev/null 2>&1; "$sphere" sim stop "$name" >/dev/null 2>&1
    pid=$(cat "$d/sphered.pid" 2>/dev/null) || continue
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sphered ] && kill "$pid" 2>/dev/null
  done
  return 0
}
sim_cleanup() { sim_stop_all; rm -rf "$work" "$OPENSPHERE_HOME" ${OPENSPHERE_CONFIG_DIR:+"$OPENSPHERE_CONFIG_DIR"}; }

log_args=()
log_fetch() { : "${logf:=$work/log}"; "$sphere" device app log ${dev:+-d "$dev"} "${log_args[@]}" "$@" > "$logf" 2>&1; }
log_has() { local text=$1; shift; log_fetch "$@"; grep -qF -- "$text" "$logf"; }
log_has_re() { local re=$1; shift; log_fetch "$@"; grep -qE -- "$re" "$logf"; }
expect_log() {
  local test=log_has what
  [ "$1" = -E ] && { test=log_has_re; shift; }
  local text=$1 limit=${2:-${log_wait:-5}}; shift $(($# < 2 ? $# : 2))
  if until_ok "$limit" "$test" "$text" "$@"; then ok; else
    [ $test = log_has ] && what="'$text'" || what="/$text/"
    bad "the device log never showed $what"
    grep -e "${log_show:-}" "$logf" | tail -n "${log_tail:-8}" | sed 's/^/  | /'
    app_snapshot ""
  fi
}
app_snapshot() {
  local p want=${1-${cur:-}} d pid
  echo "  app processes (/mnt/apps/$want*) and the processes under this test's sphered:"
  for p in /proc/[0-9]*; do
    case $(tr '\0' ' ' 2>/dev/null < "$p/cmdline") in "/mnt/apps/$want"*) snapshot_process "${p#/proc/}";; esac
  done
  for d in "${OPENSPHERE_HOME:-/nonexistent}"/devices/*/sphered.pid; do
    pid=$(cat "$d" 2>/dev/null) && snapshot_tree "$pid"
  done
  echo "  the device's last runtime lines:"
  "$sphere" device app log ${dev:+-d "$dev"} 2>&1 | grep -F '[runtime]' | tail -15 | sed 's/^/  | /'
}
snapshot_process() { # PID: state, wait channel, system call, kernel stack, command
  local p=/proc/$1
  echo "  | $1 $(awk '{print $3}' "$p/stat" 2>/dev/null) wchan=$(cat "$p/wchan" 2>/dev/null)" \
    "syscall=$(cut -d' ' -f1 "$p/syscall" 2>/dev/null) $(tr '\0' ' ' 2>/dev/null < "$p/cmdline" | cut -c1-100)"
  sed 's/^/  |   /' "$p/stack" 2>/dev/null | head -6
}
snapshot_tree() { # PID: its children and theirs (bounded: 64 processes)
  local c n=0
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    n=$((n + 1)); [ $n -le 64 ] || break
    snapshot_process "$c"; snapshot_tree "$c"
  done
}
deploy() {
  local pkg=$work/$1.ip; case $1 in */*) pkg=$1;; esac
  "$sphere" device sideload deploy ${dev:+-d "$dev"} -p "$pkg" >/dev/null 2>"$work/deploy.err" ||
    { bad "deploying $1 failed"; sed 's/^/  | /' "$work/deploy.err"; }
}
probe() {
  local name=$1 cid=$2 caps=$3; shift 3
  local dir=$work/$name args="" psrc=${probe_src:-$src/tests/apps/probe.c} a
  local exe=$work/.probe-$(basename "$psrc" .c)
  cur=${cid:0:8}
  mkdir -p "$dir/bin" "$dir/data"; echo hello > "$dir/data/hello.txt"
  [ -f "$exe" ] || cc ${probe_cflags:--O1} -o "$exe" "$psrc" -isystem "$sdk/Sysroots/17/usr/include" \
    -L"$sdk/Sysroots/17/usr/lib" -lapplibs || { bad "cannot build $(basename "$psrc")"; return 1; }
  cp "$exe" "$dir/bin/app"
  for a in "$@"; do args="$args${args:+,}\"$a\""; done
  printf '{"SchemaVersion":1,"Name":"%s","ComponentId":"%s","EntryPoint":"/bin/app","CmdArgs":[%s],"Capabilities":%s}' \
    "$name" "$cid" "$args" "$caps" > "$dir/app_manifest.json"
  "$sphere" image-package pack-application --package-directory "$dir" --destination "$work/$name.ip" >/dev/null
}
rest() {
  local dev=$1 method=$2 path=$3; shift 3
  curl -s -o "$work/body" -w '%{http_code}' --unix-socket "$OPENSPHERE_HOME/devices/$dev/rest.sock" \
       -X "$method" "http://localhost$path" "$@" > "$work/code"
  echo "$(cat "$work/code") $(cat "$work/body")"
}
expect_rest() {
  local want=$1; shift
  local got; got=$(rest "$@")
  if [[ "$got" == $want ]]; then ok; else bad "$1 $2 $3: got '${got:0:300}', expected '$want'"; fi
}
api() {
  local tok=$1 m=$2 p=$3; shift 3
  curl -s -o "$work/body" -w '%{http_code}' --cacert "$ca" ${tok:+-H "Authorization: Bearer $tok"} -X "$m" "$url$p" "$@" > "$work/code"
  echo "$(cat "$work/code") $(cat "$work/body")"
}
expect_api() {
  local want=$1; shift
  local got; got=$(api "$@")
  if [[ "$got" == $want ]]; then ok; else bad "$2 $3: got '${got:0:300}', expected '$want'"; fi
}
