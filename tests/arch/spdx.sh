#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# spdx.sh SOURCE_DIR — every source, build and script file of the project carries an SPDX
# licence line in its first three lines. Lists each file that does not; exit 1 if any.
set -u
top=$1
missing=0
while IFS= read -r -d '' f; do
  head -n 3 "$f" | grep -q 'SPDX-License-Identifier:' && continue
  echo "no SPDX line: ${f#"$top"/}"
  missing=$((missing + 1))
done < <(find "$top/src" "$top/tests" "$top/sdk" "$top/examples" "$top/scripts" "$top/bench" "$top/tools" \
           "$top/cmake" "$top/CMakeLists.txt" "$top/Makefile" "$top/.ci" \
           \( -path '*/out' -o -path '*/corpus' -o -path '*/corpus-work' -o -path '*/HardwareDefinitions' \
              -o -path '*/node_modules' -o -path '*/tests/data' \) -prune -o \
           -type f \( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.py' -o -name '*.cmake' \
              -o -name 'CMakeLists.txt' -o -name '*.ld' -o -name 'Makefile' -o -name 'run' -o -name '*.S' \
              -o -name '*.in' \) -print0)
if [ "$missing" -gt 0 ]; then
  echo "$missing files without an SPDX line"
  exit 1
fi
echo "every source file carries an SPDX line"
