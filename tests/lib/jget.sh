# SPDX-License-Identifier: MIT
# tests/lib/jget.sh — sourced by the shell tests: jget FILE [KEY|INDEX]... prints the value at
# that path of FILE's JSON (strings raw, objects and arrays as compact JSON, null as "null").
# A missing file, key or index is an error (exit non-zero, message on stderr), never an empty
# string that could pass for a value. jq, not python: tests poll with it, and starting python
# took up to a second on a loaded two-CPU CI machine.
jget() {
  jq -r '
    def step($k):
      if type == "array" then
        ($k | tonumber) as $i
        | if $i >= 0 and $i < length then .[$i] else error("no index \($k)") end
      elif type == "object" then
        if has($k) then .[$k] else error("no key \"\($k)\"") end
      else error("no \"\($k)\" in a \(type)") end;
    reduce $ARGS.positional[] as $k (.; step($k))
    | if type == "object" or type == "array" then tojson else . end' "$1" --args "${@:2}"
}
