#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/ota.sh BUILD_DIR — the OTA agent's download path measured against baselines in the same run
# (docs/ota.md, "Figures"): a 4 MiB image over loopback from the same HTTP server (tests/unit/ota/
# blobfault.py, no faults armed) fetched (1) by `curl -o` into a file and (2) by the agent's job
# (src/ota, via build/tests/ota_host) into the W25Q128JV model through the SPI NOR driver and the
# flash file system, verified; median of 5 runs each, ratio agent/curl. Each agent run starts from
# a copy of a factory-fresh chip (erased, formatted: `ota_host --format-only`, copied outside the
# timer), as a device's flash is: making a 16 MiB chip file and formatting it is not the job. Then the flash write
# amplification of a whole OTA (bytes programmed and erased / image size) and the body bytes
# fetched with a power cut every ops/(k+1) flash operations (k = 1, 4, 16) / image size.
set -eu
build=${1:-build}
host=$build/tests/ota_host src=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$host" ] || { echo "bench/ota.sh: build first (missing $host)"; exit 1; }
work=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 130' INT; trap 'exit 143' TERM # signals too: bash runs the EXIT trap only when it exits
size=$((4 * 1024 * 1024))
head -c $size /dev/urandom > "$work/fw.bin"
openssl ecparam -name prime256v1 -genkey -noout -out "$work/k.pem" 2>/dev/null
openssl ec -in "$work/k.pem" -pubout -out "$work/k.pub" 2>/dev/null
python3 "$src/tests/unit/ota/blobfault.py" "$work/fw.bin" --port-file "$work/port" 2>/dev/null &
server=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
url=http://127.0.0.1:$(cat "$work/port")/ota/5/fw.bin
sha=$(sha256sum "$work/fw.bin" | cut -c1-64)
sig=$(printf 'OSOTA1\nbench\n5\n%s\n%s\n' $size "$sha" | openssl dgst -sha256 -sign "$work/k.pem" | base64 -w0)
printf '{"version":5,"size":%s,"sha256":"%s","product":"bench","url":"%s","signature":"%s"}' $size "$sha" "$url" "$sig" > "$work/d.json"
median() { sort -n | sed -n 3p; }
now() { date +%s.%N; }
for i in 1 2 3 4 5; do
  t0=$(now); curl -s -o "$work/curl.out" "$url"; t1=$(now); echo "$t1 - $t0" | bc
done | median > "$work/curl.t"
"$host" --flash "$work/blank.flash" --format-only
for i in 1 2 3 4 5; do
  cp "$work/blank.flash" "$work/f.flash" # a warm-up run
  "$host" --flash "$work/f.flash" --desired "$work/d.json" --pubkey "$work/k.pub" > "$work/f.flash.json" 2>/dev/null
  cp "$work/blank.flash" "$work/g.flash"
  t0=$(now)
  "$host" --flash "$work/g.flash" --desired "$work/d.json" --pubkey "$work/k.pub" > "$work/run.json" 2>/dev/null; t1=$(now)
  echo "$t1 - $t0" | bc
done | median > "$work/agent.t"
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
c=$(cat "$work/curl.t") a=$(cat "$work/agent.t")
printf 'download of a 4 MiB image over loopback, median of 5 (same server):\n'
printf '  curl -o FILE                          %8.3f s  (%6.1f MiB/s)\n' "$c" "$(echo "4 / $c" | bc -l)"
printf '  agent job into the flash model        %8.3f s  (%6.1f MiB/s)   ratio agent/curl %.2f\n' "$a" \
  "$(echo "4 / $a" | bc -l)" "$(echo "$a / $c" | bc -l)"
echo "    (the agent's time: its process start, the download into flash, hashing the image back from flash"
echo "     and verifying the signature, on a formatted chip; the flash model does not sleep for program/erase)"
prog=$(field "$work/run.json" bytesProgrammed) erased=$(field "$work/run.json" bytesErased)
printf 'flash write amplification of one OTA: programmed %s bytes (%.4f x the image), erased %s (%.4f x)\n' \
  "$prog" "$(echo "$prog / $size" | bc -l)" "$erased" "$(echo "$erased / $size" | bc -l)"
ops=$(field "$work/run.json" ops)
for k in 1 4 16; do
  rm -f "$work/k.flash"
  "$host" --flash "$work/k.flash" --desired "$work/d.json" --pubkey "$work/k.pub" --cut-every $((ops / (k + 1))) \
    --seed $k > "$work/k.json" 2>/dev/null || true
  f=$(field "$work/k.json" bytesFetched) cuts=$(field "$work/k.json" cuts) st=$(field "$work/k.json" status)
  printf 'power cuts %2s (every %5s flash ops): %s, body bytes fetched %s = %.4f x the image\n' "$cuts" \
    $((ops / (k + 1))) "$st" "$f" "$(echo "$f / $size" | bc -l)"
done
