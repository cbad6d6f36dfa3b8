#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""blobfault.py — a scriptable, misbehaving blob server for the OTA tests.

Serves FILE at any path with correct HTTP/1.1 semantics (Range: bytes=a-b|a-|-n, 206 with
Content-Range, 416 with Content-Range: bytes */SIZE, strong ETag = "<sha256>", If-Range),
until a fault is armed. Faults (POST /_fault with a JSON body, applied to the next
`count` GETs, default 1; {"mode": "none"} clears):
  drop     {"after": N}      close the connection after N body bytes of that response
  stall    {"after": N, "seconds": S}  send N bytes, then nothing for S seconds, then close
  norange  {}                ignore Range/If-Range: 200 with the whole body
  badrange {}                206 whose Content-Range starts elsewhere than asked
  short    {}                Content-Length/Content-Range claim the full length, send 100 bytes less
  long     {}                200 with a body 100 bytes longer than the image (another blob)
  corrupt  {"at": OFFSET}    flip one bit of the byte at OFFSET in what is sent
  change   {"file": PATH}    from now on serve PATH instead (a new ETag): persistent
  expire   {}                403 for the next `count` requests
  error    {"status": 503}   that status, no body
GET /_stats → {"requests": n, "bytes": body bytes sent, "faults_left": n}.
Listens on 127.0.0.1:PORT (0 = any free port; the chosen port is written to --port-file).
"""
import argparse, hashlib, json, os, socket, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
state = {"file": None, "etag": None, "fault": {"mode": "none"}, "left": 0, "requests": 0, "bytes": 0}


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    return data, '"%s"' % hashlib.sha256(data).hexdigest()


def take_fault():
    with lock:
        state["requests"] += 1
        if state["left"] > 0:
            state["left"] -= 1
            return dict(state["fault"])
        return {"mode": "none"}


def parse_range(header, size):
    """(start, end) inclusive, 'bad' for unsatisfiable, None for none/unsupported."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    a, _, b = header[6:].strip().partition("-")
    try:
        if a == "":
            n = int(b)
            return (max(0, size - n), size - 1) if n > 0 else "bad"
        start = int(a)
        end = int(b) if b else size - 1
    except ValueError:
        return None
    if start >= size or end < start:
        return "bad"
    return (start, min(end, size - 1))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("blobfault: " + fmt % args + "\n")

    def reply_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(n) or b"{}")
        if self.path != "/_fault":
            return self.reply_json(404, {"error": "no such control"})
        with lock:
            if body.get("mode") == "change":
                state["file"], state["etag"] = load(body["file"])
                state["fault"], state["left"] = {"mode": "none"}, 0
            else:
                state["fault"] = body
                state["left"] = int(body.get("count", 1)) if body.get("mode", "none") != "none" else 0
        self.reply_json(200, {"ok": True})

    def send_body(self, data, fault):
        mode = fault.get("mode")
        if mode == "corrupt":
            at = int(fault.get("at", 0)) - self.body_offset
            if 0 <= at < len(data):
                data = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]
        limit = len(data)
        if mode in ("drop", "stall"):
            limit = min(limit, int(fault.get("after", 0)))
        if mode == "short":
            limit = max(0, limit - 100)
        sent = 0
        try:
            while sent < limit:
                chunk = data[sent:min(limit, sent + 65536)]
                self.wfile.write(chunk)
                sent += len(chunk)
            if mode == "long":
                self.wfile.write(b"\0" * 100)
            self.wfile.flush()
            if mode == "stall":
                time.sleep(float(fault.get("seconds", 30)))
        except (BrokenPipeError, ConnectionResetError):
            pass
        with lock:
            state["bytes"] += sent
        if mode in ("drop", "stall", "short"):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def do_GET(self):
        if self.path == "/_stats":
            with lock:
                return self.reply_json(200, {"requests": state["requests"], "bytes": state["bytes"],
                                             "faults_left": state["left"]})
        self.serve(head=False)

    def do_HEAD(self):
        self.serve(head=True)

    def serve(self, head):
        fault = take_fault()
        mode = fault.get("mode")
        with lock:
            data, etag = state["file"], state["etag"]
        if mode == "expire":
            return self.reply_json(403, {"error": {"code": "url-expired"}})
        if mode == "error":
            return self.reply_json(int(fault.get("status", 503)), {"error": "injected"})
        size = len(data)
        rng = None if mode == "norange" else parse_range(self.headers.get("Range"), size)
        if_range = self.headers.get("If-Range")
        if rng is not None and if_range is not None and if_range != etag:
            rng = None
        if rng == "bad":
            self.send_response(416)
            self.send_header("Content-Range", "bytes */%d" % size)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if rng is None:
            self.body_offset = 0
            body = data
            self.send_response(200)
            length = size + (100 if mode == "long" else 0)
        else:
            start, end = rng
            shown = start + 4096 if mode == "badrange" and start + 4096 <= end else start
            self.body_offset = start
            body = data[start:end + 1]
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (shown, end, size))
            length = len(body)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", etag)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if not head:
            self.send_body(body, fault)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    args = ap.parse_args()
    state["file"], state["etag"] = load(args.file)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
