# lib.sh — helpers shared by the end-to-end shell tests (source it; it defines, it runs nothing).
#   ok / bad MSG        count a passed / failed check (bad prints FAIL: MSG)
#   check MSG EXPR      eval EXPR: ok, else bad MSG
#   until_ok SECONDS CMD...   re-run CMD every 0.1 s until it succeeds or the time is up
#   jget FILE KEY...    a value from a JSON file (objects by key, arrays by index)
#   summary             print "N passed, N failed" and exit non-zero on any failure
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { if eval "$2"; then ok; else bad "$1"; fi; }
until_ok() {
  local limit=$1; shift
  local end=$((SECONDS + limit))
  while [ $SECONDS -le $end ]; do "$@" && return 0; sleep 0.1; done
  return 1
}
source "$(dirname "${BASH_SOURCE[0]}")/../lib/jget.sh"   # jget FILE [KEY|INDEX]...
summary() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; }
