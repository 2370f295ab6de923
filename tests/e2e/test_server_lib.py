"""Shared helpers for the server tests (test_server*.py); no tests here.

Server   runs `embargo serve` on a free loopback port (--listen
         127.0.0.1:0; the port is read from its start-up line) and
         collects its access log.
Schemas  validates STIX 2.1 objects and CSAF 2.0 documents against the
         OASIS schemas in ../shared/schemas (found from $EMBARGO_SHARED,
         else beside the repository).
"""

import base64
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import embargo_test as et  # noqa: E402

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
VENDOR = "Contoso PSIRT"
PUBLIC_URL = "https://embargo.example"

TLP = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
EMBARGOED = "c6eb1f7e-f401-4b45-8377-2f44c2c755ba"
PUBLIC = "4f08170f-374f-411e-aa73-d1166061892a"

START_RE = re.compile(r"^embargo: serving .* on (https?)://(\S+):(\d+) ")


class Server:
    """`embargo serve` on a free loopback port; stop() or use `with`."""

    def __init__(self, home, *args, env=None, vendor=VENDOR,
                 public_url=PUBLIC_URL, scheme_host="127.0.0.1"):
        argv = [et.BIN, "-d", str(home), "serve", "--listen",
                "127.0.0.1:0", "--vendor", vendor, "--public-url",
                public_url] + [str(a) for a in args]
        e = dict(os.environ)
        e.pop("EMBARGO_HOME", None)
        e.pop("EMBARGO_VENDOR", None)
        e.pop("EMBARGO_PUBLIC_URL", None)
        if env:
            e.update(env)
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=e)
        self.lines = []
        self.lock = threading.Lock()
        first = self.proc.stderr.readline().decode("utf-8", "replace")
        m = START_RE.match(first)
        if not m:
            rest = self.proc.stderr.read().decode("utf-8", "replace")
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("server did not start: %r %r"
                                 % (first, rest))
        self.scheme = m.group(1)
        self.port = int(m.group(3))
        self.base = "%s://%s:%d" % (self.scheme, scheme_host, self.port)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stderr:
            with self.lock:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def log(self):
        """The stderr lines so far (access log and messages)."""
        time.sleep(0.05)
        with self.lock:
            return list(self.lines)

    def url(self, path):
        return self.base + path

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("server did not stop within %ds" % timeout)
        self.reader.join(timeout=5)
        self.proc.stderr.close()
        return rc

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.stop()


def bearer(token):
    return {"Authorization": "Bearer " + token}


def basic(user, token):
    raw = ("%s:%s" % (user, token)).encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def taxii_get(srv, path, headers=None, params=None, session=None, **kw):
    h = {"Accept": TAXII}
    if headers:
        h.update(headers)
    s = session or requests
    return s.get(srv.url(path), headers=h, params=params, timeout=30, **kw)


def collection_path(cid, rest=""):
    return "/taxii2/api/collections/%s/%s" % (cid, rest)


def walk(srv, path, headers, params=None, key="objects", limit=None,
         session=None):
    """Follow `next` through every page; returns (items, pages)."""
    items, pages = [], []
    p = dict(params or {})
    if limit is not None:
        p["limit"] = str(limit)
    for _ in range(10000):
        r = taxii_get(srv, path, headers, p, session=session)
        if r.status_code != 200:
            raise AssertionError("GET %s %r: %d %s"
                                 % (path, p, r.status_code, r.text))
        body = r.json()
        pages.append((r, body))
        items.extend(body.get(key, []))
        if not body.get("more"):
            return items, pages
        p["next"] = body["next"]
    raise AssertionError("pagination does not end")


# ---- schemas ----

def shared_dir():
    d = os.environ.get("EMBARGO_SHARED")
    if d:
        return d
    src = os.environ.get("EMBARGO_SRC",
                         os.path.join(os.path.dirname(__file__), "..", ".."))
    for cand in (os.path.join(src, "..", "shared"), "/work/shared"):
        if os.path.isdir(os.path.join(cand, "schemas")):
            return cand
    raise SystemExit("cannot find shared/schemas (set EMBARGO_SHARED)")


class Schemas:
    """Validators for STIX 2.1 objects and CSAF 2.0 documents.

    Every schema is registered under its $id (the CVSS ones under the
    FIRST URLs the CSAF schema names) in a `referencing` registry
    (jsonschema 4.18 or later), so nothing is fetched.
    """

    def __init__(self):
        import jsonschema
        self.jsonschema = jsonschema
        root = os.path.join(shared_dir(), "schemas")
        store = {}
        self.stix = {}
        for dirpath, _, files in os.walk(os.path.join(root, "stix2.1")):
            for f in files:
                if not f.endswith(".json"):
                    continue
                with open(os.path.join(dirpath, f)) as fh:
                    doc = json.load(fh)
                store[doc["$id"]] = doc
                self.stix[os.path.relpath(os.path.join(dirpath, f),
                                          os.path.join(root, "stix2.1"))] = doc
        csaf = os.path.join(root, "csaf2.0")
        first = os.path.join(csaf, "referenced_schema", "first")
        for name in ("cvss-v2.0.json", "cvss-v3.0.json", "cvss-v3.1.json"):
            with open(os.path.join(first, name)) as fh:
                store["https://www.first.org/cvss/" + name] = json.load(fh)
        with open(os.path.join(csaf, "csaf_json_schema.json")) as fh:
            self.csaf_schema = json.load(fh)
        with open(os.path.join(csaf, "provider_json_schema.json")) as fh:
            self.provider_schema = json.load(fh)
        for sch in (self.csaf_schema, self.provider_schema):
            store[sch["$id"]] = sch
        self.store = store
        try:
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT7, DRAFT202012
        except ImportError:
            raise SystemExit("the schema checks need jsonschema 4.18 or"
                             " later (with `referencing`)")
        res = []
        for uri, doc in store.items():
            if "draft-07" in doc.get("$schema", ""):
                res.append((uri, Resource(doc, specification=DRAFT7)))
            elif "2020-12" in doc.get("$schema", ""):
                res.append((uri, Resource(doc, specification=DRAFT202012)))
            else:
                res.append((uri, Resource.from_contents(
                    doc, default_specification=DRAFT202012)))
        self.registry = Registry().with_resources(res)

    def _validate(self, schema, doc):
        cls = self.jsonschema.validators.validator_for(schema)
        v = cls(schema, registry=self.registry,
                format_checker=cls.FORMAT_CHECKER)
        errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
        if errors:
            raise AssertionError("; ".join(
                "%s: %s" % ("/".join(map(str, e.path)), e.message[:300])
                for e in errors[:5]))

    def stix_object(self, obj):
        """Validate one STIX object against the schema for its type."""
        t = obj["type"]
        for folder in ("sdos", "sros", "observables"):
            key = "%s/%s.json" % (folder, t)
            if key in self.stix:
                self._validate(self.stix[key], obj)
                return key
        if t == "marking-definition":
            self._validate(self.stix["common/marking-definition.json"], obj)
            self._validate(self.stix[
                "extensions/tlp-2.0/extension-definition--"
                "60a3c5c5-0d10-413e-aab3-9e08dde9e88d.json"], obj)
            return "marking-definition"
        raise AssertionError("no STIX schema for type %r" % t)

    def csaf(self, doc):
        self._validate(self.csaf_schema, doc)

    def provider(self, doc):
        self._validate(self.provider_schema, doc)


def partner_token(test, name, tier, country=None, pid=None):
    args = ["partner", "add", name, "--tier", tier, "--json"]
    if country:
        args += ["--country", country]
    if pid:
        args += ["--id", pid]
    d = test.ok_json(*args)
    return d["id"], d["token"]


def headers_without_date(r):
    return {k.lower(): v for k, v in r.headers.items()
            if k.lower() not in ("date",)}
