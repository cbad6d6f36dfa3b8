#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_web.sh SPHERE SOURCE_DIR OUT_DIR — `sphere sim web` in a real browser: builds webprobe.c,
# runs it on a fresh simulated device, installs puppeteer-core from the committed lock file into
# OUT_DIR/node (npm ci; no browser is downloaded: Debian's chromium is used), then runs
# test_web.cjs; also --allow-remote (token, appDevelopment) and the cloud status (a cloud service
# of its own, SQLite). Without npm, the registry or chromium the test fails (it never skips).
set -u
sphere=$1 src=$2 outdir=$3
bin=$(dirname "$sphere")
sdk=$(cd "$bin/../sdk" && pwd)
export OPENSPHERE_HOME=$(mktemp -d) OPENSPHERE_CONFIG_DIR=$(mktemp -d)
work=$(mktemp -d)
. "$src/tests/cli/lib.sh"
. "$src/tests/lib/cloud.sh"
trap cloud_cleanup EXIT
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
# The same app (same component ID) driving LED 1 green by PWM instead: the browser test installs it
# last, replacing the first (PWM-CONTROLLER-2 shares GPIO 8-11 with LED 1).
probe webpwm $cid '{"Pwm":["PWM-CONTROLLER-2"]}' pwm
export WEB_PWM_PACKAGE=$work/webpwm.ip
expect_log "WEB started led=" 10
# The device is cloud-managed: claimed in a cloud service of the test's own (SQLite, no MQTT),
# with a desired OTA version in its twin, which the page shows through the CLI's cloud commands.
data=$work/cloud
"$sphere" cloud init --data "$data" --tenant acme >/dev/null && cloud_serve "$data" --tenant acme || fail "cannot start the cloud service"
"$sphere" login --cloud "$url" --token "$acme" --ca-cert "$ca" >/dev/null || fail "cannot log in to the cloud service"
id=$(rest web GET /device/security_state | sed 's/^200 //' | jq -r .deviceIdentifier)
"$sphere" device claim --device-id "$id" >/dev/null || bad "cannot claim the device"
expect_api '200 *' "$acme" PUT "/v1/devices/$id/twin/desired" -H "Content-Type: application/json" -d '{"extFwInfo":{"version":7,"size":1234}}'

# Remote access: refused without --allow-remote; with it, /api needs the printed token.
"$sphere" sim web -d web --listen 0.0.0.0:0 >/dev/null 2>"$work/err"; same $? 2 "sim web on 0.0.0.0 without --allow-remote"
has "$work/err" "--allow-remote"
"$sphere" sim web -d web --listen 0.0.0.0:0 --allow-remote >"$work/remote" 2>/dev/null & remote_pid=$!
until_ok 10 grep -q token= "$work/remote" || bad "sim web --allow-remote printed no address with a token"
remote_url=$(head -1 "$work/remote") port=$(sed -E 's|.*:([0-9]+)/.*|\1|' "$work/remote") token=${remote_url##*token=}
same "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/info")" 403 "/api/info without the token"
same "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Sphere-Token: $token" "http://127.0.0.1:$port/api/info")" 200 "/api/info with the token"
same "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")" 200 "the page itself without the token"
kill "$remote_pid"; wait "$remote_pid" 2>/dev/null
[ "$failed" -eq 0 ] || { summary; exit 1; }
rm -f "$outdir/browser.counts"
NODE_PATH=$outdir/node/node_modules timeout 150 node "$here/test_web.cjs" "$sphere" web "$cid" "$outdir"
if [ -f "$outdir/browser.counts" ]; then read -r p f < "$outdir/browser.counts"; passed=$((passed + p)) failed=$((failed + f))
else bad "the browser test did not finish"; fi

# A device that does not grant appDevelopment is not served beyond loopback.
"$sphere" device enable-cloud-test -d web >/dev/null 2>&1
"$sphere" sim web -d web --listen 0.0.0.0:0 --allow-remote >/dev/null 2>"$work/err"; rc=$?
[ $rc -eq 1 ] && grep -q "appDevelopment" "$work/err" && ok "--allow-remote refused without appDevelopment" ||
  bad "--allow-remote on a device without appDevelopment: exit $rc, $(cat "$work/err")"
summary
