#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cli_flashfs.sh SPHERE — `sphere flashfs` end to end: format a 1 MiB image with 4 KiB
# blocks, put a file, ls, cat and compare, fsck clean; then damage one data byte and one
# superblock byte and require fsck to exit 1 and say what is damaged; a blank image must
# not mount.
set -euo pipefail
sphere=$1
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
img=$work/flash.img
. "$(dirname "${BASH_SOURCE[0]}")/../../cli/lib.sh" # fail MSG

"$sphere" flashfs format --image "$img" --size 1M --block-size 4K >/dev/null
[ "$(stat -c %s "$img")" = 1048576 ] || fail "image size"
head -c 20000 /dev/urandom >"$work/payload"
"$sphere" flashfs put --image "$img" --file "$work/payload" /fw.bin >/dev/null
"$sphere" flashfs ls --image "$img" | grep -q 'file *20000 *fw.bin' || fail "ls does not list fw.bin"
"$sphere" flashfs ls --image "$img" -o json | grep -q '"name": "fw.bin"' || fail "ls -o json"
"$sphere" flashfs cat --image "$img" /fw.bin >"$work/back"
cmp -s "$work/payload" "$work/back" || fail "cat returned different bytes"
"$sphere" flashfs fsck --image "$img" | grep -q "consistent" || fail "fsck of a clean image"

# Damage a byte of file data: find the payload's first 16 bytes in the image.
needle=$(head -c 16 "$work/payload" | od -An -tx1 | tr -d ' \n')
offset=$(od -An -v -tx1 -w16 "$img" | tr -d ' ' | awk -v n="$needle" '$0 == n && !found { print NR; found = 1 }')
[ -n "$offset" ] || fail "payload not found in the image"
pos=$(( (offset - 1) * 16 + 5 ))
# flip every bit of that byte (writing a fixed value changed nothing when the random payload
# already held it: 1 run in 256 passed a damaged image that was not damaged)
byte=$(od -An -tu1 -j "$pos" -N 1 "$img" | tr -d ' ')
printf "\\$(printf '%03o' $(( byte ^ 255 )))" | dd of="$img" bs=1 seek="$pos" conv=notrunc status=none
[ "$(od -An -tu1 -j "$pos" -N 1 "$img" | tr -d ' ')" = $(( byte ^ 255 )) ] || fail "the byte was not flipped"
set +e
out=$("$sphere" flashfs fsck --image "$img" 2>&1); rc=$?
set -e
[ "$rc" = 1 ] || fail "fsck of a damaged image exited $rc"
echo "$out" | grep -q "DAMAGE data: /fw.bin" || fail "fsck did not name the damaged file: $out"
echo "$out" | grep -q "error: .* is damaged" || fail "fsck did not print an error line"

# Damage superblock copy A: reported, the other copy is used.
printf "\x00" | dd of="$img" bs=1 seek=0 conv=notrunc status=none
set +e
out=$("$sphere" flashfs fsck --image "$img" 2>&1); rc=$?
set -e
[ "$rc" = 1 ] && echo "$out" | grep -q "superblock: copy A" || fail "superblock damage not explained: $out"

# A blank image is not a file system.
head -c 65536 /dev/zero | tr '\0' '\377' >"$work/blank.img"
set +e
out=$("$sphere" flashfs ls --image "$work/blank.img" 2>&1); rc=$?
set -e
[ "$rc" = 1 ] && echo "$out" | grep -q "error: .*cannot mount" || fail "blank image: $out"
# An image whose size is not a flash size is refused with the reason.
head -c 100000 /dev/zero >"$work/odd.img"
set +e
out=$("$sphere" flashfs fsck --image "$work/odd.img" 2>&1); rc=$?
set -e
[ "$rc" = 1 ] && echo "$out" | grep -q "power of two" || fail "odd-sized image: $out"
echo "cli_flashfs: ok"
