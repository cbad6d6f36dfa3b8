#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run-all.sh BUILD_DIR SECONDS — run every libFuzzer target in BUILD_DIR/fuzz for SECONDS each,
# seeded from tests/fuzz/corpus/<target>/ (copied to a scratch folder, so the tree stays clean).
# Exits non-zero on the first crash, leak or sanitizer report, printing how to reproduce it.
set -euo pipefail
build=$1 seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
shopt -s nullglob
targets=("$build"/fuzz/fuzz_*)
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no targets built in $build/fuzz" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
total=0
for t in "${targets[@]}"; do
  name=$(basename "$t")
  mkdir -p "$work/$name"
  [ -d "$here/corpus/$name" ] && cp -r "$here/corpus/$name/." "$work/$name/"
  log="$work/$name.log"
  if ! "$t" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$work/" "$work/$name" >"$log" 2>&1; then
    tail -40 "$log"; echo "fuzz: $name failed; reproduce with: $t <artifact in the output above>" >&2; exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  total=$((total + runs))
  printf 'fuzz: %-28s %10s executions in %ss, no crash\n' "$name" "$runs" "$seconds"
done
echo "fuzz: ${#targets[@]} targets, $total executions, 0 failures"
