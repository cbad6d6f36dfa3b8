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
jget() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2:]: v=v[int(k)] if isinstance(v,list) else v[k]
print(json.dumps(v,separators=(",",":")) if isinstance(v,(dict,list)) or v is None else v)' "$@"; }
summary() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; }
