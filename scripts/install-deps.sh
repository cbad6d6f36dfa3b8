#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# install-deps.sh — install the Debian packages OpenSphere needs to build and test.
# Idempotent: quiet and fast when everything is present; uses apt-get only for what is missing.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git
  clang libclang-rt-14-dev          # libFuzzer and the sanitizer runtimes
  libcmocka-dev                     # unit tests
  libssl-dev                        # hashes and signatures (OpenSSL)
  zlib1g-dev                        # CRC-32 (flash file system, image packages)
  openssl bc util-linux             # benchmark baselines; fsck.cramfs cross-checks packages
  libmicrohttpd-dev libcurl4-openssl-dev curl  # the device REST API (server, CLI client, tests)
  wrk                               # load generator for the REST benchmark (bench/device.sh adds nginx)
  gcc-arm-none-eabi libnewlib-arm-none-eabi  # RTApps and the emulator's test firmware
  libunicorn-dev libseccomp-dev     # sphere-rtcore: emulated Cortex-M4 cores and its sandbox
  gdb-multiarch                     # the RTApp GDB stub checked with a real debugger (test_debug_mode.sh)
  gdb gdbserver                     # debugging high-level apps (sphere device app start --debug-mode; test_debug_hl.sh)
  libsqlite3-dev libpq-dev          # the cloud service's stores (SQLite default, PostgreSQL with --db)
  postgresql                        # the cloud tests start their own PostgreSQL server in a temp dir
  mosquitto mosquitto-clients libmosquitto-dev mosquitto-dev  # the device twin (MQTT broker, test clients, agent + cloud; mosquitto-dev: the broker plugin API)
  nginx                             # the documented blob front end (OTA tests) and benchmark baselines
  python3                           # test helpers: the network test's HTTP server, the OTA fault server
  python3-requests                  # tests/rest_client: the REST API walker (device_rest_api.yaml)
  python3-yaml                      # tests/rest_client: reads the OpenAPI description
  jq                                # the shell tests read JSON with it (tests/lib/jget.sh)
  libcbor-dev                       # the external MCU's serial-recovery protocol (CBOR payloads)
  libwolfssl-dev                    # wolfSSL in the SDK's sysroots, as the platform's SDK ships it (docs/deviceauth.md)
  libyaml-dev libxml2-utils         # scenario tests: the YAML parser (sphere test), xmllint for their JUnit reports
  chromium nodejs                   # the board page's browser test (tests/unit/web: headless chromium, puppeteer-core; npm below)
  dnsmasq-base tinyproxy-bin chrony udhcpc  # network configuration tests: DHCP/DNS server, HTTP proxy, NTP server, DHCP client
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm: Debian's package, unless a Node.js that brings its own npm (NodeSource's nodejs) is installed.
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
