#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_board.sh SPHERE SOURCE_DIR — the simulated board end to end: apps using UART, I2C, SPI,
# ADC and PWM through Applibs on a simulated device (every call and its errno, EACCES outside
# the manifest, one owner per peripheral), driven and watched from the CLI (sim uart/adc/accel/
# pwm/device/watch), board files (sim create --board), and the examples built with the SDK.
set -u
sphere=$1 src=$2
. "$src/tests/cli/lib.sh"
device_test_env # $bin, $sdk; new temporary $OPENSPHERE_HOME and $work
cleanup() {
  [ -n "${watch_pid:-}" ] && kill "$watch_pid" 2>/dev/null
  sim_cleanup
}
trap cleanup EXIT
probe_src=$src/tests/unit/board/boardprobe.c # probe builds the board probe app

# expect_probes WANT... — each "name result" must appear as "PROBE name result" in the log.
# Lines carry the app's component ID's first 8 digits ($cur, set by probe), so apps never mix.
expect_probes() {
  expect_log "$cur PROBE done"
  for want in "$@"; do grep -qF "$cur PROBE $want" "$logf" && ok || bad "expected '$cur PROBE $want' in the log"; done
}
remove() { "$sphere" device sideload delete -d "$dev" -i "$1" > /dev/null || bad "deleting $1 failed"; }

dev=bd # log_has, expect_log, deploy and remove talk to $dev
"$sphere" sim create bd >/dev/null && "$sphere" sim start bd >/dev/null && "$sphere" device enable-development -d bd >/dev/null \
  || { echo "cannot start a simulated device"; exit 1; }

# ---- drive the inputs first, then watch an app use everything ----------------------------------
"$sphere" sim accel -d bd --x 0.5 --y=-0.25 --z 1 > "$work/out" && grep -q "accel (lsm6ds3, ok): x 0.500 g, y -0.250 g, z 1.000 g" "$work/out" \
  && ok || bad "sim accel did not set the accelerometer: $(cat "$work/out")"
"$sphere" sim adc -d bd --channel 1 --volts 1.25 > "$work/out" && grep -q "channel 1: 1.2500 V" "$work/out" && ok || bad "sim adc did not set channel 1"
"$sphere" sim adc -d bd --channel 8 --volts 1 2>"$work/err" && bad "sim adc accepted channel 8" || { grep -q "channels 0-7" "$work/err" && ok || bad "sim adc channel 8: $(cat "$work/err")"; }
"$sphere" sim adc -d bd --channel 1 --volts 9 2>"$work/err" && bad "sim adc accepted 9 V" || ok
"$sphere" sim watch -d bd -o json > "$work/watch" 2>&1 & watch_pid=$!

all='{"Uart":["ISU0"],"I2cMaster":["ISU2"],"SpiMaster":["ISU1"],"Adc":["ADC-CONTROLLER-0"],"Pwm":["PWM-CONTROLLER-2"]}'
probe owner 55555551-0000-0000-0000-000000000000 "$all" \
  uart_null uart_nomagic uart_badbaud uart_badid uart_isu1 uart uart_again \
  i2c i2c_again i2c_isu3 i2c_badid i2c_speed i2c_badspeed i2c_timeout0 i2c_whoami i2c_writeread i2c_plain i2c_accel \
  i2c_absent i2c_probe i2c_badaddr i2c_null i2c_toolong i2c_badfd \
  spi_null spi_nomagic spi_badcs spi_isu3 spi_a spi_b spi_again spi_mode spi_badmode spi_order spi_badorder \
  spi_speed spi_whoami spi_jedec spi_flash spi_duplex spi_toolong spi_noinit spi_nullbuf \
  adc adc_again adc_ctl1 adc_bits adc_badch adc_ref adc_badref adc_poll adc_null i2c_on_adc \
  pwm pwm_again pwm_ctl0 pwm_apply pwm_badch pwm_null pwm_badduty pwm_badpolarity pwm_on_i2c uartecho
deploy owner
expect_probes "uart_null EFAULT" "uart_nomagic EINVAL" "uart_badbaud EINVAL" "uart_badid ENODEV" "uart_isu1 EACCES" \
  "uart ok" "uart_again EBUSY" \
  "i2c ok" "i2c_again EBUSY" "i2c_isu3 EACCES" "i2c_badid EACCES" "i2c_speed ok" "i2c_badspeed EINVAL" "i2c_timeout0 EINVAL" \
  "i2c_whoami ok 2 0x69" "i2c_writeread ok 0x69" "i2c_plain ok 0x69" "i2c_accel ok 500 -250 1000 mg" \
  "i2c_absent ENXIO" "i2c_probe ok" "i2c_badaddr EINVAL" "i2c_null EFAULT" "i2c_toolong EINVAL" "i2c_badfd EBADF" \
  "spi_null EFAULT" "spi_nomagic EINVAL" "spi_badcs EINVAL" "spi_isu3 EACCES" "spi_a ok" "spi_b ok" "spi_again EBUSY" \
  "spi_mode ok" "spi_badmode EINVAL" "spi_order ok" "spi_badorder EINVAL" "spi_speed ok" \
  "spi_whoami ok 2 0x69" "spi_jedec ok EF 40 18" "spi_flash ok hello after 2 status polls" "spi_duplex EINVAL" \
  "spi_toolong EINVAL" "spi_noinit EINVAL" "spi_nullbuf EFAULT" \
  "adc ok" "adc_again EBUSY" "adc_ctl1 EACCES" "adc_bits ok 12" "adc_badch EINVAL" "adc_ref ok" "adc_badref EINVAL" \
  "adc_poll ok 2048" "adc_null EFAULT" "i2c_on_adc EBADF" \
  "pwm ok" "pwm_again EBUSY" "pwm_ctl0 EACCES" "pwm_apply ok" "pwm_badch ENODEV" "pwm_null EFAULT" "pwm_badduty EINVAL" \
  "pwm_badpolarity EINVAL" "pwm_on_i2c EBADF"

# the flash was programmed through the real SPI path into its file-backed image
img=$OPENSPHERE_HOME/devices/bd/flash-isu1-csb.bin
[ "$(dd if="$img" bs=1 skip=4096 count=5 2>/dev/null)" = "hello" ] && ok || bad "the flash image does not hold what the app programmed"

# ---- the UART is a PTY: a host script talks to the app's echo ---------------------------------
"$sphere" sim uart -d bd ISU0 > "$work/out"; pty=$(head -1 "$work/out")
[ -c "$pty" ] && ok || bad "sim uart did not print a PTY path: $(cat "$work/out")"
grep -q "open by an app at 115200 baud 8N1, flow control none" "$work/out" && ok || bad "sim uart does not show the app's settings: $(cat "$work/out")"
exec 7<>"$pty"; stty -F "$pty" raw -echo
printf 'hello board' >&7
read -r -t 3 -N 11 reply <&7; exec 7<&-
[ "$reply" = "HELLO BOARD" ] && ok || bad "the app's UART echo answered '$reply'"
"$sphere" sim uart -d bd ISU0 -o json > "$work/out"; grep -q '"txBytes":11,"rxBytes":11' "$work/out" && ok || bad "UART byte counts: $(cat "$work/out")"

# ---- observe: pwm, watch -------------------------------------------------------------------------
"$sphere" sim pwm -d bd > "$work/out"
grep -Eq "PWM-CONTROLLER-2 +1 +1000000 +250000 +normal +yes" "$work/out" && ok || bad "sim pwm does not show channel 1: $(cat "$work/out")"
grep -Eq "PWM-CONTROLLER-0 +0 +0 +0 +normal +no" "$work/out" && ok || bad "sim pwm does not list the idle controllers"
sleep 0.3; kill "$watch_pid"; wait "$watch_pid" 2>/dev/null; watch_pid=
for want in '"kind":"i2c","source":"ISU2","detail":"addr 0x6A write 1 read 1 ok"' '"kind":"i2c","source":"ISU2","detail":"addr 0x50 write 1 read 0 NACK"' \
            '"kind":"spi","source":"ISU1","detail":"CS B write 1 read 3"' '"kind":"pwm","source":"PWM2.1","detail":"period 1000000 ns duty 250000 ns normal enabled"' \
            '"kind":"uart","source":"ISU0","detail":"rx 11 bytes' '"kind":"adc","source":"ADC0.1","detail":"1.2500 V -> 2048"'; do
  grep -qF "$want" "$work/watch" && ok || bad "sim watch did not stream $want"
done
grep -q '"time":"20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]*\.[0-9]*Z"' "$work/watch" && ok || bad "watch events are not timestamped"

# ---- one owner per peripheral: a second app gets EBUSY; freed when the first goes ----------------
probe rival 55555552-0000-0000-0000-000000000000 "$all" uart
"$sphere" device sideload deploy -d bd -p "$work/rival.ip" >/dev/null 2>"$work/err" && bad "a second app holding the same peripherals was installed" \
  || { grep -q "ISU0 is already used by installed app 'owner'" "$work/err" && ok || bad "the rival's refusal: $(cat "$work/err")"; }
remove 55555551-0000-0000-0000-000000000000
probe heir 55555553-0000-0000-0000-000000000000 "$all" uart_9600 i2c spi_b adc pwm close_all i2c
deploy heir
expect_probes "uart_9600 ok" "i2c ok" "spi_b ok" "adc ok" "pwm ok" "close_all ok"
[ "$(grep -cF "$cur PROBE i2c ok" "$logf")" = 2 ] && ok || bad "closing an I2C handle did not release the ISU"
"$sphere" sim uart -d bd ISU0 > "$work/out"; grep -q "not open by an app" "$work/out" && ok || bad "closing the UART did not release it"
[ "$(stty -F "$(head -1 "$work/out")" speed)" = 9600 ] && ok || bad "the host PTY does not show the app's 9600 baud"
remove 55555553-0000-0000-0000-000000000000

# ---- bus faults: unplugged NACKs (ENXIO), stuck times out (ETIMEDOUT) ----------------------------
"$sphere" sim device -d bd accel --state stuck > "$work/out" && grep -q "accel (lsm6ds3, stuck)" "$work/out" && ok || bad "sim device did not hang the accelerometer"
probe faults 55555554-0000-0000-0000-000000000000 "$all" i2c i2c_stuck spi_a spi_whoami
deploy faults
expect_probes "i2c_stuck ETIMEDOUT" "spi_whoami ok 2 0xFF"
ms=$(sed -n 's/.*'$cur' PROBE i2c_stuck_ms \([0-9]*\).*/\1/p' "$logf" | tail -1)
[ "${ms:-0}" -ge 140 ] && [ "${ms:-0}" -lt 1000 ] && ok || bad "a stuck device timed out after ${ms:-?} ms, not the 150 ms set"
"$sphere" sim device -d bd accel --state unplugged >/dev/null
remove 55555554-0000-0000-0000-000000000000
probe faults2 55555555-0000-0000-0000-000000000000 "$all" i2c i2c_whoami
deploy faults2
expect_probes "i2c_whoami ENXIO"
remove 55555555-0000-0000-0000-000000000000
"$sphere" sim device -d bd accel --state ok >/dev/null
"$sphere" sim device -d bd nosuch 2>"$work/err" && bad "sim device found a device that is not there" || ok

# ---- loopback: the app hears itself --------------------------------------------------------------
"$sphere" sim uart -d bd ISU0 --loopback | grep -q "loopback on" && ok || bad "sim uart --loopback"
probe looper 55555556-0000-0000-0000-000000000000 "$all" uart uart_loop
deploy looper
expect_probes "uart_loop ok ping"
remove 55555556-0000-0000-0000-000000000000
"$sphere" sim uart -d bd ISU3 2>"$work/err" && bad "sim uart showed a UART the board does not have" || ok

# ---- the examples, built with the SDK and run on the board ----------------------------------------
# example DIR PROJECT — builds examples/DIR with the ARM-Debug preset and deploys it.
example() {
  cp -r "$src/examples/$1" "$work/$1" && rm -rf "$work/$1/out"
  (cd "$work/$1" && AzureSphereDefaultSDKDir=$sdk OPENSPHERE_SPHERE_TOOL=$sphere cmake --preset ARM-Debug >/dev/null \
    && cmake --build out/ARM-Debug >/dev/null) && ok || bad "the $1 example does not build with the SDK"
  "$sphere" device sideload deploy -d bd -p "$work/$1/out/ARM-Debug/$2.imagepackage" >/dev/null || bad "deploying $1 failed"
}
"$sphere" sim uart -d bd ISU0 --no-loopback >/dev/null
"$sphere" sim accel -d bd --x 0 --y 0.5 --z 0.866 >/dev/null
example i2c_accelerometer I2cAccelerometer
expect_log "WHO_AM_I = 0x69 (LSM6DS3)"
expect_log "Acceleration: x 0.000 g, y 0.500 g, z 0.866 g"
"$sphere" sim accel -d bd --x=-1 --y 0 --z 0 >/dev/null
expect_log "Acceleration: x -1.000 g, y 0.000 g, z 0.000 g"
"$sphere" device sideload delete -d bd >/dev/null
example adc_voltmeter AdcVoltmeter
expect_log "ADC ready: 12 bits, reference 2.50 V"
expect_log "Voltage: 1.250 V (sample 2048)"
"$sphere" sim adc -d bd --channel 1 --volts 3.3 >/dev/null
expect_log "Voltage: 2.500 V (sample 4095)"
"$sphere" device sideload delete -d bd >/dev/null
example pwm_dimmer PwmDimmer
expect_log "LED brightness 50 %"
"$sphere" sim pwm -d bd -o json > "$work/out"
grep -q '"controller":"PWM-CONTROLLER-2","open":true,"channels":\[{[^]]*},{"channel":1,"periodNs":1000000,"dutyCycleNs":[0-9]*,"polarity":"inversed","enabled":true}' "$work/out" \
  && ok || bad "sim pwm does not show the dimmer's channel: $(cat "$work/out")"
"$sphere" device sideload delete -d bd >/dev/null
example spi_flash_id SpiFlashId
expect_log "JEDEC ID: EF 40 18 (Winbond, 16 MiB); status register 1: 00"
"$sphere" device sideload delete -d bd >/dev/null
example uart_echo UartEcho
expect_log "UART echo ready on ISU0"
pty=$("$sphere" sim uart -d bd ISU0 | head -1)
exec 7<>"$pty"; printf 'sphere' >&7; read -r -t 3 -N 6 reply <&7; exec 7<&-
[ "$reply" = "SPHERE" ] && ok || bad "the UART echo example answered '$reply'"
expect_log "Echoed 6 bytes (6 in all)"
"$sphere" device sideload delete -d bd >/dev/null

# ---- board files ----------------------------------------------------------------------------------
cat > "$work/board.json" <<'JSON'
{"Name": "two-sensors", "HardwareDefinition": "mt3620_rdb/mt3620_rdb.json",
 "Devices": {"left": {"Model": "lsm6ds3"}, "right": {"Model": "lsm6ds3"}},
 "I2cMaster": {"ISU2": [{"Address": 106, "Device": "left"}, {"Address": 107, "Device": "right"}]},
 "Adc": {"ADC-CONTROLLER-0": {"Channels": 2, "Bits": 10, "ReferenceVolts": 2.5}}}
JSON
"$sphere" sim create bd2 --board "$work/board.json" >/dev/null && ok || bad "sim create --board refused a good board file"
cmp -s "$work/board.json" "$OPENSPHERE_HOME/devices/bd2/board.json" && ok || bad "the board file was not stored in the device's state"
echo '{"Name":"x","HardwareDefinition":"y","I2cMaster":{"ISU9":[]}}' > "$work/badboard.json"
"$sphere" sim create bd3 --board "$work/badboard.json" 2>"$work/err" && bad "sim create accepted a bad board file" || { grep -q "I2cMaster.ISU9" "$work/err" && ok || bad "the bad board file's error: $(cat "$work/err")"; }
[ ! -e "$OPENSPHERE_HOME/devices/bd3" ] && ok || bad "a refused board file left a device behind"
"$sphere" sim stop bd >/dev/null
dev=bd2
"$sphere" sim start bd2 >/dev/null && "$sphere" device enable-development -d bd2 >/dev/null || bad "cannot start bd2"
"$sphere" sim accel -d bd2 --name right --x 0 --y 0 --z=-1 >/dev/null
rest "$dev" GET /sim/board | grep -q '"name":"two-sensors"' && ok || bad "bd2 did not load its board file"
"$sphere" sim uart -d bd2 ISU0 2>/dev/null && bad "bd2 has a UART its board file does not declare" || ok
probe twosensors 55555557-0000-0000-0000-000000000000 "$all" i2c i2c_accel spi_a spi_whoami adc adc_bits
deploy twosensors
expect_probes "i2c_accel ok 0 0 1000 mg" "spi_whoami ok 2 0xFF" "adc_bits ok 10"

for d in bd bd2; do
  "$sphere" sim stop $d >/dev/null
  if grep -E "Sanitizer|runtime error" "$OPENSPHERE_HOME/devices/$d/sphered.log"; then bad "a sanitizer reported a problem in sphered ($d)"; else ok; fi
done
summary
