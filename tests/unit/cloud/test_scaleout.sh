#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_scaleout.sh SPHERE SOURCE_DIR — two `sphere cloud serve` instances on one PostgreSQL (a
# server the test starts) and one data folder, behind nginx (tools/nginx-cloud.conf.in): the CLI
# works through the one front address, and devices checking in on both instances at once see one
# consistent state:
#   - 24 devices, each given its token and claimed on one instance or the other, check in 6 times
#     each from 4 threads, alternating instance A, instance B and the front at every check-in;
#     every answer is 200 with the group's current deployment; halfway a deployment made on B
#     must be in every answer of a check-in that starts after it was made, whichever instance;
#   - afterwards every device's osVersion is the last one it sent (no lost or stale write), read
#     through A, B and the front alike, and every device is listed once;
#   - 8 deployments created at the same moment, 4 on A and 4 on B, all succeed with 8 distinct
#     sequence numbers, and a check-in on A and on B both get the newest.
# Prints "N passed, N failed"; a failure names the step. Every loop is bounded.
set -u
sphere=$1 src=$2
export OPENSPHERE_HOME=$(mktemp -d) OPENSPHERE_CONFIG_DIR=$(mktemp -d)
work=$(mktemp -d)
. "$src/tests/cli/lib.sh"
. "$src/tests/lib/cloud.sh"
pid_b=""
cleanup() { [ -n "$pid_b" ] && kill "$pid_b" 2>/dev/null && wait "$pid_b" 2>/dev/null; cloud_cleanup; }
trap cleanup EXIT
trap 'exit 130' INT; trap 'exit 143' TERM # signals too: bash runs the EXIT trap only when it exits
out=$work/out err=$work/err fail_tag=scaleout

# ---- one database, one data folder, two instances, one front -----------------------------------------
pg_start -F
cloud_serve "$work/data" --tenant acme "${db_args[@]}" || exit 1
url_b_pid=$cloud_pid url_a=$url
cloud_serve "$work/data" --tenant acme "${db_args[@]}" || exit 1 # the same folder: keys, TLS, blobs
url_b=$url pid_b=$cloud_pid cloud_pid=$url_b_pid                 # cloud_cleanup stops A, cleanup B
[ "$url_a" != "$url_b" ] && ok || bad "the two instances share an address"
port=$(free_port)
nginx_front "127.0.0.1:$port" "$work/data" 1 "${url_a#https://}" "${url_b#https://}" || exit 1
front=https://127.0.0.1:$port

run 0 login --cloud "$front" --token "$acme" --ca-cert "$ca"
run 0 product create --name P
mkdir -p "$work/app/bin"
printf '{"SchemaVersion":1,"Name":"scale","ComponentId":"55555555-0000-0000-0000-000000000001","EntryPoint":"/bin/app","Capabilities":{}}' \
  >"$work/app/app_manifest.json"
images=()
for n in 1 2; do
  head -c 4000 /dev/urandom >"$work/app/bin/app"
  run 0 image-package pack-application --package-directory "$work/app" --destination "$work/app$n.ip"
  run 0 image add --image "$work/app$n.ip" -o json && images+=("$(jget "$out" id)")
done
[ "${#images[@]}" -eq 2 ] && [ "${images[0]}" != "${images[1]}" ] && ok || bad "two distinct images: ${images[*]}"
run 0 device-group deployment create --device-group "P/Field Test" --images "${images[0]}"
# An image uploaded through the front is in the shared blob store: both instances serve its content.
for u in "$url_a" "$url_b"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$ca" -H "Authorization: Bearer $acme" "$u/v1/images/${images[0]}/content")
  same "$code" 200 "image content from $u"
done

# ---- devices on both instances at once ---------------------------------------------------------------
python3 - "$url_a" "$url_b" "$front" "$ca" "$acme" "${images[0]}" "${images[1]}" >"$work/drive.out" 2>&1 <<'PY'
import http.client, json, os, ssl, sys, threading, time
url_a, url_b, front, ca, user, image1, image2 = sys.argv[1:]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
DEVICES, ROUNDS, THREADS = 24, 6, 4
fails = []
def conn(url):
    host, port = url[len("https://"):].split(":")
    return http.client.HTTPSConnection(host, int(port), context=ctx, timeout=30)
def call(c, method, path, token, body=None):
    h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    c.request(method, path, body=None if body is None else json.dumps(body), headers=h)
    r = c.getresponse(); data = r.read()
    return r.status, json.loads(data) if data else None
def fail(msg):
    fails.append(msg)
# devices: token and claim on A (even) or B (odd)
tokens = []
conns = {u: conn(u) for u in (url_a, url_b, front)}
for i in range(DEVICES):
    c = conns[url_a if i % 2 == 0 else url_b]
    dev = os.urandom(64).hex()
    s, b = call(c, "POST", f"/v1/devices/{dev}/token", user)
    if s != 201 and s != 200: fail(f"token for device {i}: {s} {b}"); continue
    tok = b["token"]
    s, b = call(c, "POST", f"/v1/devices/{dev}/claim", user, {"deviceGroup": "P/Field Test"})
    if s != 201: fail(f"claim of device {i}: {s} {b}"); continue
    tokens.append((dev, tok))
print("devices", len(tokens))
made = threading.Event(); made_at = [0.0]; done = [0]; lock = threading.Lock()
def worker(k):
    cs = [conn(u) for u in (url_a, url_b, front)]
    for r in range(ROUNDS):
        for i in range(k, len(tokens), THREADS):
            dev, tok = tokens[i]
            started = time.monotonic(); after = made.is_set() and made_at[0] <= started
            c = cs[(r + i) % 3]
            body = {"installed": [], "appDevelopment": False, "osVersion": f"r{r}"}
            s, b = call(c, "POST", "/v1/device/checkin", tok, body)
            if s != 200: fail(f"check-in {r} of device {i}: {s} {b}"); continue
            ids = [t["imageId"] for t in b.get("targets", [])]
            if after and ids != [image2]: fail(f"check-in {r} of device {i} after the new deployment: targets {ids}")
            if not after and ids not in ([image1], [image2]): fail(f"check-in {r} of device {i}: targets {ids}")
            with lock: done[0] += 1
threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
for t in threads: t.start()
half = DEVICES * ROUNDS // 2
for _ in range(600):  # at most 30 s
    with lock:
        if done[0] >= half: break
    time.sleep(0.05)
s, b = call(conns[url_b], "POST", "/v1/device-groups/P/Field%20Test/deployments", user, {"images": [image2]})
made_at[0] = time.monotonic(); made.set()
if s != 201: fail(f"deployment on B during the check-ins: {s} {b}")
for t in threads: t.join(120)
print("check-ins", done[0], "of", DEVICES * ROUNDS)
if done[0] != len(tokens) * ROUNDS: fail(f"{done[0]} check-ins answered, {len(tokens) * ROUNDS} sent")
# every device's last write, the same through every address
for u, c in conns.items():
    s, b = call(c, "GET", "/v1/devices", user)
    if s != 200: fail(f"device list from {u}: {s}"); continue
    seen = {d["deviceId"]: d for d in b}
    if len(b) != len(seen) or len(seen) != len(tokens): fail(f"device list from {u}: {len(b)} entries, {len(seen)} devices, {len(tokens)} made")
    for dev, _ in tokens:
        d = seen.get(dev)
        if not d or d["osVersion"] != f"r{ROUNDS - 1}" or not d["lastCheckIn"]:
            fail(f"device {dev[:12]} from {u}: {d and (d['osVersion'], d['lastCheckIn'])}")
# 8 deployments at the same moment on both instances
results = []
def create(u, img):
    s, b = call(conn(u), "POST", "/v1/device-groups/P/Field%20Test/deployments", user, {"images": [img]})
    with lock: results.append((s, b))
cs = [threading.Thread(target=create, args=((url_a, url_b)[n % 2], (image1, image2)[n % 2])) for n in range(8)]
for t in cs: t.start()
for t in cs: t.join(60)
if [s for s, _ in results] != [201] * 8: fail(f"concurrent deployments: {[s for s, _ in results]} {[b for s, b in results if s != 201]}")
s, b = call(conns[front], "GET", "/v1/device-groups/P/Field%20Test/deployments", user)
seqs = [d["sequence"] for d in b] if s == 200 else []
if len(seqs) != 10 or len(set(seqs)) != 10: fail(f"deployments after the burst: {s} sequences {seqs}")
newest = b[0]["images"] if s == 200 else None
for u in (url_a, url_b):
    s, r = call(conns[u], "POST", "/v1/device/checkin", tokens[0][1], {"installed": [], "appDevelopment": False})
    if s != 200 or [t["imageId"] for t in r["targets"]] != newest: fail(f"check-in on {u} after the burst: {s} {r} (newest {newest})")
print("FAILURES", len(fails))
for f in fails[:20]: print("  " + f)
PY
cat "$work/drive.out"
has "$work/drive.out" "devices 24"
has "$work/drive.out" "check-ins 144 of 144"
has "$work/drive.out" "FAILURES 0"
kill -0 "$pid_b" 2>/dev/null && kill -0 "$cloud_pid" 2>/dev/null && ok || bad "an instance died"
summary
