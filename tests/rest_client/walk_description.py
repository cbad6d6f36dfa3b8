#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""walk_description.py — a device REST API client written only from device_rest_api.yaml.

(tests/rest_client/device_rest_api.yaml is a byte-for-byte copy of the project's spec,
/work/shared/spec/device_rest_api.yaml: Microsoft's OpenAPI description of the device REST API.)

Walks every path and method of the OpenAPI description against a device, as Microsoft's client
talks to one: https, Host *.devices.sphere.azure.local verified against the certificate
(--cacert, the device's pinned certificate), Accept: application/json. For each operation it
sends a request built from the description (path parameters, a body from the request schema),
then checks: the status is one the description lists for it; a success body has the listed
content type and matches its schema; an error body is the Error schema; every response carries
the REST-API-Version header with the newest version in the description's history.

--phase open    the device grants everything (appDevelopment): every operation is checked.
--phase locked  the walker sets manufacturing state DeviceComplete (no capability presented):
                operations whose x-azsphere-authorizer is None still succeed, all others are
                refused with an Error body.

An operation the device does not serve at all (it answers the same error as for a path not in
the description) is printed as "not yet served: METHOD PATH"; it fails the walk unless its path
matches an --allow-missing prefix. Exit status 0 when every check passed.
"""
import argparse
import json
import re
import sys
import time
import uuid

import requests
import yaml
from requests.adapters import HTTPAdapter

HOST = "*.devices.sphere.azure.local"
JSON = "application/json"
OCTETS = "application/octet-stream"


class HostHeaderAdapter(HTTPAdapter):
    """Verifies the certificate against the Host header's name, not the address connected to."""

    def init_poolmanager(self, *args, **kwargs):
        kwargs["assert_hostname"] = HOST
        super().init_poolmanager(*args, **kwargs)


class Walker:
    def __init__(self, spec_path, base, cacert, allow_missing):
        with open(spec_path) as f:
            text = f.read()
        self.spec = yaml.safe_load(text)
        versions = re.findall(r"^#\s+(\d+)\.(\d+)\.(\d+)\s*$", text, re.M)
        self.newest = ".".join(map(str, max(tuple(map(int, v)) for v in versions)))
        self.base = base.rstrip("/")
        self.session = requests.Session()
        self.session.mount("https://", HostHeaderAdapter())
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE would replace the pinned certificate
        self.cacert = cacert
        self.session.headers.update({"Host": HOST, "Accept": JSON})
        self.allow_missing = allow_missing
        self.failures = []
        self.missing = []
        self.checked = 0
        self.unserved_signature = None
        self.unserved_answers = set()
        self.component = None

    # ---- schema handling ----------------------------------------------------------------------
    def resolve(self, schema):
        while isinstance(schema, dict) and "$ref" in schema:
            node = self.spec
            for part in schema["$ref"].lstrip("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def validate(self, value, schema, where):
        schema = self.resolve(schema)
        errors = []
        if "allOf" in schema:
            for sub in schema["allOf"]:
                errors += self.validate(value, sub, where)
        if "oneOf" in schema:
            if all(self.validate(value, sub, where) for sub in schema["oneOf"]):
                errors.append(f"{where}: matches none of oneOf")
        t = schema.get("type")
        checks = {"object": dict, "array": list, "string": str, "boolean": bool}
        if t == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
            return errors + [f"{where}: {value!r} is not an integer"]
        if t in checks and not isinstance(value, checks[t]):
            return errors + [f"{where}: {value!r} is not {t}"]
        if t == "integer" and schema.get("format") == "int32" and not -2**31 <= value < 2**31:
            errors.append(f"{where}: {value} is not int32")
        if "enum" in schema and value not in schema["enum"]:
            errors.append(f"{where}: {value!r} not in {schema['enum']}")
        if isinstance(value, str):
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                errors.append(f"{where}: longer than {schema['maxLength']}")
            if "pattern" in schema and not re.fullmatch(schema["pattern"], value):
                errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
        if isinstance(value, dict):
            for key in schema.get("required", []):
                if key not in value:
                    errors.append(f"{where}: missing required '{key}'")
            for key, sub in schema.get("properties", {}).items():
                if key in value:
                    errors += self.validate(value[key], sub, f"{where}.{key}")
        if isinstance(value, list) and "items" in schema:
            for i, item in enumerate(value):
                errors += self.validate(item, schema["items"], f"{where}[{i}]")
        return errors

    def example(self, schema):
        """A minimal value for a request schema: required members, enum[0] or the example."""
        schema = self.resolve(schema)
        if "oneOf" in schema:
            return self.example(min(schema["oneOf"], key=lambda s: len(self.required_of(s))))
        if "allOf" in schema:
            out = {}
            for sub in schema["allOf"]:
                out.update(self.example(sub))
            return out
        if "enum" in schema:
            return schema["enum"][0]
        if "example" in schema:
            return schema["example"]
        t = schema.get("type", "object")
        if t == "object":
            props = schema.get("properties", {})
            return {k: self.example(props.get(k, {})) for k in schema.get("required", [])}
        if t == "string":
            n = max(schema.get("minLength", 1), 8)
            return "walker"[:n].ljust(min(n, schema.get("maxLength", n)), "w")
        return {"integer": 1, "boolean": True, "array": []}.get(t)

    def required_of(self, schema):
        schema = self.resolve(schema)
        req = list(schema.get("required", []))
        for sub in schema.get("allOf", []):
            req += self.required_of(sub)
        return req

    # ---- requests -----------------------------------------------------------------------------
    def send(self, method, path, body=None, content_type=None):
        headers = {}
        if content_type:
            headers["Content-Type"] = content_type
        data = json.dumps(body) if content_type == JSON else body
        return self.session.request(method.upper(), self.base + path, data=data, headers=headers, timeout=20,
                                    verify=self.cacert)

    def fail(self, what):
        self.failures.append(what)
        print(f"FAIL: {what}")

    def error_code(self, resp):
        try:
            return resp.json().get("error")
        except ValueError:
            return None

    def check_common(self, resp, label):
        self.checked += 1
        version = resp.headers.get("REST-API-Version")
        if version != self.newest:
            self.fail(f"{label}: REST-API-Version is {version!r}, expected {self.newest}")

    def check_error_body(self, resp, label):
        try:
            body = resp.json()
        except ValueError:
            return self.fail(f"{label}: error {resp.status_code} without a JSON body: {resp.text[:120]!r}")
        for e in self.validate(body, {"$ref": "#/components/schemas/Error"}, "error body"):
            self.fail(f"{label}: {e}")
        if not isinstance(body.get("error"), int):
            self.fail(f"{label}: error body has no integer 'error': {body}")

    def check_success(self, resp, op, label):
        spec_resp = self.resolve(op["responses"].get(resp.status_code) or op["responses"].get(str(resp.status_code)))
        content = spec_resp.get("content", {})
        ctype = resp.headers.get("Content-Type", "").split(";")[0].strip()
        if content and ctype not in content:
            return self.fail(f"{label}: Content-Type {ctype!r}, expected one of {list(content)}")
        if ctype == JSON:
            try:
                body = resp.json() if resp.content else {}
            except ValueError:
                return self.fail(f"{label}: body is not JSON: {resp.text[:120]!r}")
            for e in self.validate(body, content[JSON].get("schema", {}), "body"):
                self.fail(f"{label}: {e}")
            return body
        return resp.content

    def is_unserved(self, resp):
        return resp.status_code == self.unserved_signature[0] and self.error_code(resp) == self.unserved_signature[1]

    # ---- the walk -----------------------------------------------------------------------------
    def learn_unserved(self):
        resp = self.send("get", "/walker-no-such-path/" + uuid.uuid4().hex)
        self.check_common(resp, "GET (a path not in the description)")
        if resp.status_code < 400:
            self.fail(f"a path not in the description answered {resp.status_code}")
        self.check_error_body(resp, "GET (a path not in the description)")
        self.unserved_signature = (resp.status_code, self.error_code(resp))

    def collection_ids(self):
        """Path parameters: an existing item from its collection where the description has one
        (GET /net/interfaces, GET /certstore/certs), else a value nothing has."""
        ids = {"componentId": str(uuid.uuid4()), "wifiNetworkId": 0, "networkId": 0,
               "networkInterfaceName": "walker0", "identifier": "walkerNoCert"}
        for path, key, pick in (("/net/interfaces", "networkInterfaceName", lambda b: b["interfaces"][0]["interfaceName"]),
                                ("/certstore/certs", "identifier", lambda b: b["identifiers"][0])):
            try:
                resp = self.send("get", path)
                if resp.status_code == 200:
                    ids[key] = pick(resp.json())
            except (requests.RequestException, ValueError, KeyError, IndexError, TypeError):
                pass
        return ids

    def params(self, path, ids):
        def value(m):
            name = m.group(1)
            return str(ids.get(name, 1))
        return re.sub(r"\{(\w+)\}", value, path)

    def operations(self):
        """Every operation: per path GET, PUT/POST, PATCH; all DELETEs last (they remove what
        the others address)."""
        order = {"get": 0, "put": 1, "post": 1, "patch": 2}
        ops = []
        for path, item in self.spec["paths"].items():
            for method in sorted((m for m in item if m in order), key=order.get):
                ops.append((path, method))
        ops += [(path, "delete") for path, item in self.spec["paths"].items() if "delete" in item]
        for path, method in ops:
            item = self.spec["paths"][path]
            op = item[method]
            auth = op.get("x-azsphere-authorizer", item.get("x-azsphere-authorizer",
                          self.spec["x-global"]["x-azsphere-authorizer"]))
            yield path, method, op, auth

    def request_example(self, schema):
        """A request body: the required members, plus every optional one the description gives
        a value for (an enum, an example, or a boolean)."""
        body = self.example(schema)
        schema = self.resolve(schema)
        if isinstance(body, dict) and "oneOf" not in schema:
            for key, sub in schema.get("properties", {}).items():
                sub = self.resolve(sub)
                if key not in body and ("enum" in sub or "example" in sub or sub.get("type") == "boolean"):
                    body[key] = self.example(sub)
        return body

    def request_for(self, path, method, op, ids):
        body = ctype = None
        rb = op.get("requestBody")
        if rb:
            content = rb["content"]
            if JSON in content:
                ctype, body = JSON, self.request_example(content[JSON]["schema"])
                if path == "/device/manufacturing_state":
                    body = {"manufacturingState": "Module1Complete"}  # DeviceComplete: the locked phase
            else:
                ctype, body = next(iter(content)), b"not an image package"
        return self.params(path, ids), body, ctype

    def walk_open(self):
        ids = self.collection_ids()
        if self.component:
            ids["componentId"] = self.component
        # A Wi-Fi network to address by ID, made by the description's own POST.
        post = self.spec["paths"]["/wifi/config/networks"]["post"]
        resp = self.send("post", "/wifi/config/networks", self.example(post["requestBody"]["content"][JSON]["schema"]), JSON)
        if resp.status_code == 201:
            ids["wifiNetworkId"] = ids["networkId"] = resp.json().get("id", 0)
        for path, method, op, auth in self.operations():
            url, body, ctype = self.request_for(path, method, op, ids)
            label = f"{method.upper()} {path}"
            if path == "/restart" and method == "post":
                continue  # last: the device restarts
            resp = self.send(method, url, body, ctype)
            self.check_common(resp, label)
            if self.is_unserved(resp):
                self.unserved_answers.add((method, path))
            if self.is_unserved(resp) and str(resp.status_code) not in map(str, op["responses"]):
                self.report_missing(method, path)
                continue
            listed = {str(c) for c in op["responses"]}
            if str(resp.status_code) not in listed:
                self.fail(f"{label}: status {resp.status_code} not in the description's {sorted(listed)}: {resp.text[:200]}")
            elif resp.status_code >= 400:
                self.check_error_body(resp, label)
            elif (method, path) == ("get", "/app/status/{componentId}"):
                self.check_app_status(resp, label)
            else:
                self.check_success(resp, op, label)
        # Malformed requests: a JSON body that is not JSON, and the wrong media type (415).
        for label, data, ctype in (("not JSON", "{not json", JSON), ("wrong media type", "x", "text/plain")):
            resp = self.send("patch", f"/app/status/{ids['componentId']}", data, ctype)
            self.check_common(resp, f"PATCH /app/status ({label})")
            if resp.status_code not in ((400,) if ctype == JSON else (415,)):
                self.fail(f"PATCH /app/status ({label}): status {resp.status_code}")
            self.check_error_body(resp, f"PATCH /app/status ({label})")
        self.restart()
        self.missing_siblings()

    def missing_siblings(self):
        """A path with an unserved method: its methods that answered the same 404 are unserved
        too (the 404 the description lists for them cannot be told apart)."""
        paths = {p for m, p in self.unserved_answers if f"{m.upper()} {p}" in self.missing}
        for method, path in sorted(self.unserved_answers):
            parent = path.split("/{")[0]
            if (path in paths or parent in paths) and f"{method.upper()} {path}" not in self.missing:
                self.report_missing(method, path)

    def check_app_status(self, resp, label):
        """The description gives GET /app/status a bare AppStatus string, but its PATCH (and the
        CLI of every SDK) has {"state": AppStatus}: accept either, say which was served."""
        body = resp.json()
        shape = {"type": "object", "required": ["state"],
                 "properties": {"state": {"$ref": "#/components/schemas/AppStatus"}}}
        errors = self.validate(body, shape if isinstance(body, dict) else {"$ref": "#/components/schemas/AppStatus"}, "body")
        for e in errors:
            self.fail(f"{label}: {e}")
        if isinstance(body, dict):
            print(f"note: {label} answers {{\"state\": …}} as PATCH does (the description's 200 is a bare string)")

    def restart(self):
        resp = self.send("post", "/restart")
        self.check_common(resp, "POST /restart")
        if resp.status_code != 200 or resp.json() != {"restartingSystem": True}:
            return self.fail(f"POST /restart: {resp.status_code} {resp.text[:120]}")
        for _ in range(100):
            try:
                if self.send("get", "/status").status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.fail("GET /status never answered after POST /restart")

    def walk_locked(self):
        resp = self.send("put", "/device/manufacturing_state", {"manufacturingState": "DeviceComplete"}, JSON)
        self.check_common(resp, "PUT /device/manufacturing_state DeviceComplete")
        if resp.status_code != 200:
            return self.fail(f"PUT /device/manufacturing_state DeviceComplete: {resp.status_code} {resp.text[:200]}")
        ids = self.collection_ids()
        for path, method, op, auth in self.operations():
            url, body, ctype = self.request_for(path, method, op, ids)
            label = f"{method.upper()} {path} (DeviceComplete, no capability)"
            if (method, path) == ("put", "/device/manufacturing_state"):
                body = {"manufacturingState": "DeviceComplete"}
            resp = self.send(method, url, body, ctype)
            self.check_common(resp, label)
            if self.is_unserved(resp):
                self.unserved_answers.add((method, path))
            if self.is_unserved(resp) and str(resp.status_code) not in map(str, op["responses"]):
                self.report_missing(method, path)
            elif auth == "None":
                if resp.status_code != 200:
                    self.fail(f"{label}: authorizer None, but status {resp.status_code}")
                else:
                    self.check_success(resp, op, label)
            elif resp.status_code < 400:
                self.fail(f"{label}: authorizer {auth}, but it was not refused ({resp.status_code})")
            else:
                self.check_error_body(resp, label)
        self.missing_siblings()

    def report_missing(self, method, path):
        print(f"not yet served: {method.upper()} {path}")
        self.missing.append(f"{method.upper()} {path}")
        if not any(path.startswith(p) for p in self.allow_missing):
            self.fail(f"{method.upper()} {path} is not served")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", required=True)
    ap.add_argument("--base", required=True, help="https://ADDRESS:PORT")
    ap.add_argument("--cacert", required=True, help="the device's pinned certificate")
    ap.add_argument("--phase", choices=("open", "locked"), required=True)
    ap.add_argument("--component", help="an installed app's component ID for the /app/… paths (open phase)")
    ap.add_argument("--allow-missing", action="append", default=[], help="a path prefix another branch serves")
    args = ap.parse_args()
    w = Walker(args.spec, args.base, args.cacert, args.allow_missing)
    w.component = args.component
    w.learn_unserved()
    w.walk_open() if args.phase == "open" else w.walk_locked()
    print(f"{args.phase}: {w.checked} responses checked, {len(w.missing)} not yet served, {len(w.failures)} failed")
    return 1 if w.failures else 0


if __name__ == "__main__":
    sys.exit(main())
