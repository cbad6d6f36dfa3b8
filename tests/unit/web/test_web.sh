#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_web.sh SPHERE SOURCE_DIR OUT_DIR — `sphere sim web` in a real browser: builds webprobe.c,
# runs it on a fresh simulated device, installs puppeteer-core from the committed lock file into
# OUT_DIR/node (npm ci; no browser is downloaded: Debian's chromium is used), then runs
# test_web.cjs. Without npm, the registry or chromium the test fails (it never skips).
set -u
sphere=$1 src=$2 outdir=$3
bin=$(dirname "$sphere")
sdk=$(cd "$bin/../sdk" && pwd)
export OPENSPHERE_HOME=$(mktemp -d)
work=$(mktemp -d)
trap sim_cleanup EXIT
. "$src/tests/cli/lib.sh"
here=$src/tests/unit/web
mkdir -p "$outdir/node"

command -v chromium >/dev/null || fail "chromium is not installed (scripts/install-deps.sh installs it)"
command -v npm >/dev/null || fail "npm is not installed (scripts/install-deps.sh installs it)"
if ! cmp -s "$here/package-lock.json" "$outdir/node/package-lock.json" || [ ! -d "$outdir/node/node_modules/puppeteer-core" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$outdir/node/"
  (cd "$outdir/node" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund >npm.log 2>&1) ||
    { cat "$outdir/node/npm.log"; fail "npm ci failed (is the npm registry reachable?)"; }
fi

dev=web
"$sphere" sim create web >/dev/null && "$sphere" sim start web >/dev/null && "$sphere" device enable-development -d web >/dev/null \
  || fail "cannot start a simulated device"
probe_src=$here/webprobe.c
cid=77777771-0000-0000-0000-000000000000
probe webprobe $cid '{"Gpio":[8,12],"Uart":["ISU0"],"Adc":["ADC-CONTROLLER-0"]}'
deploy webprobe
expect_log "WEB started led=" 10
[ "$failed" -eq 0 ] || { summary; exit 1; }
NODE_PATH=$outdir/node/node_modules timeout 150 node "$here/test_web.cjs" "$sphere" web "$cid" "$outdir"
