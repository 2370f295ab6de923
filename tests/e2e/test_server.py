#!/usr/bin/env python3
"""The distribution server over real HTTP on a free loopback port: TAXII
2.1 protocol behaviour, STIX 2.1 mapping validated against the OASIS
schemas, REST downloads and their delivery records, the public CSAF side
validated against the CSAF 2.0 schemas and equal to `export csaf`,
robustness limits, the access log and graceful shutdown.

Run alone: python3 tests/e2e/test_server.py (binary from $EMBARGO_BIN).
"""

import base64
import datetime
import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import tempfile
import threading
import time
import unittest

import requests

import embargo_test as et
import test_server_lib as sl
from test_server_lib import (EMBARGOED, PUBLIC, STIX, TAXII, TLP, Server,
                             basic, bearer, collection_path, taxii_get, walk)

SRC = os.environ.get("EMBARGO_SRC",
                     os.path.join(os.path.dirname(__file__), "..", ".."))
DEMO = os.path.join(SRC, "demo")

PATTERN = ("[file:hashes.'SHA-256' = "
           "'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']"
           " OR [network-traffic:dst_port = 443]\n")
SECRET_MARKER = "zq-unique-content-marker-7731"


class World:
    """One data directory shared by the tests of a class."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="embargo-srv-")
        self.home = os.path.join(self.tmp, "data")
        et.init_datadir(self.home)

    def cmd(self, *args):
        rc, out, err = et.run(list(args), datadir=self.home)
        if rc != 0:
            raise AssertionError("embargo %s: %s" % (" ".join(args), err))
        return out

    def json(self, *args):
        return json.loads(self.cmd(*args))

    def partner(self, name, tier, country=None):
        args = ["partner", "add", name, "--tier", tier, "--json"]
        if country:
            args += ["--country", country]
        d = self.json(*args)
        return d["id"], d["token"]

    def file(self, name, data):
        p = os.path.join(self.tmp, name)
        with open(p, "w") as f:
            f.write(data)
        return p

    def cleanup(self):
        shutil.rmtree(self.tmp, True)


class ServerTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        et.check_binary()
        w = cls.w = World()
        cls.alpha = w.partner("Alpha Sec", "poc", "US")
        cls.beta = w.partner("Beta Labs", "detect", "DE")
        cls.gamma = w.partner("Gamma AV", "notify", "FR")
        w.cmd("advisory", "create", "EMB-A", "--title", "Remote code"
              " execution in Frobnicator", "--cve", "CVE-2021-26855",
              "--cve", "CVE-2021-27065", "--cvss",
              "CVSS:3.1/AC:L/AV:N/PR:N/UI:N/S:U/C:H/I:H/A:H",
              "--product", "Frobnicator 1.0", "--product", "Frobnicator 2.0",
              "--patch-at", et.future(days=10))
        with open(os.path.join(DEMO, "advisory.md")) as f:
            adv = w.file("advisory.md", f.read() + "\n" + SECRET_MARKER +
                         "\n")
        w.cmd("advisory", "attach", "EMB-A", adv, "--kind", "advisory",
              "--tier", "notify")
        w.cmd("advisory", "attach", "EMB-A", w.file("rule.stix", PATTERN),
              "--kind", "detection", "--tier", "detect", "--mark", "none")
        w.cmd("advisory", "attach", "EMB-A",
              os.path.join(DEMO, "detection.yar"), "--kind", "detection",
              "--tier", "detect")
        w.cmd("advisory", "attach", "EMB-A", os.path.join(DEMO, "poc.py"),
              "--kind", "poc", "--tier", "poc", "--release-before", "13d")
        w.cmd("advisory", "reschedule", "EMB-A", "--patch-at",
              et.future(days=12), "--reason", "more testing needed")
        w.cmd("advisory", "create", "EMB-B", "--title", "Information"
              " disclosure in Widget", "--cve", "CVE-2022-0001",
              "--severity", "medium", "--product", "Widget",
              "--patch-at", et.future(days=5))
        w.cmd("advisory", "attach", "EMB-B", adv, "--kind", "advisory",
              "--tier", "notify")
        w.cmd("advisory", "reschedule", "EMB-B", "--patch-at",
              et.future(days=3), "--reason", "exploited in the wild")
        w.cmd("advisory", "publish", "EMB-B")
        cls.srv = Server(w.home, "--auth-fail-limit", "0")
        cls.schemas = sl.Schemas()

    @classmethod
    def tearDownClass(cls):
        rc = cls.srv.stop()
        cls.w.cleanup()
        assert rc == 0, "server exited with %d" % rc

    # ---- helpers ----

    def objects(self, who, cid=EMBARGOED, params=None, limit=None):
        items, _ = walk(self.srv, collection_path(cid, "objects/"),
                        bearer(who[1]) if who else {}, params, limit=limit)
        return items

    def manifest(self, who, cid=EMBARGOED, params=None, limit=None):
        items, _ = walk(self.srv, collection_path(cid, "manifest/"),
                        bearer(who[1]) if who else {}, params, limit=limit,
                        key="objects")
        return items

    def assertTaxiiError(self, r, status):
        self.assertEqual(r.status_code, status, r.text)
        self.assertTrue(r.headers["Content-Type"].startswith(
            "application/taxii+json"), r.headers)
        body = r.json()
        self.assertEqual(body["http_status"], str(status))
        self.assertTrue(body["title"])
        return body

    # ---- discovery, API root, collections ----

    def test_healthz(self):
        r = requests.get(self.srv.url("/healthz"), timeout=10)
        self.assertEqual((r.status_code, r.json()), (200, {"status": "ok"}))
        r = requests.post(self.srv.url("/healthz"), timeout=10)
        self.assertEqual(r.status_code, 405)

    def test_discovery_and_api_root(self):
        r = taxii_get(self.srv, "/taxii2/")
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.headers["Content-Type"], TAXII)
        d = r.json()
        self.assertEqual(d["api_roots"], ["/taxii2/api/"])
        self.assertEqual(d["default"], "/taxii2/api/")
        self.assertIn(sl.VENDOR, d["title"])
        r = taxii_get(self.srv, "/taxii2/api/")
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.json()["versions"], [TAXII])
        self.assertIsInstance(r.json()["max_content_length"], int)
        self.assertTaxiiError(taxii_get(self.srv, "/taxii2/?limit=1"), 400)
        self.assertTaxiiError(taxii_get(self.srv, "/taxii2/api/status/"
                                        "2d086da7-4bdc-4f91-900e-"
                                        "d77486753710/"), 404)

    def test_collections(self):
        r = taxii_get(self.srv, "/taxii2/api/collections/")
        self.assertEqual([c["id"] for c in r.json()["collections"]], [PUBLIC])
        r = taxii_get(self.srv, "/taxii2/api/collections/",
                      bearer(self.gamma[1]))
        cols = r.json()["collections"]
        self.assertEqual([c["id"] for c in cols], [EMBARGOED, PUBLIC])
        for c in cols:
            self.assertEqual((c["can_read"], c["can_write"]), (True, False))
            self.assertEqual(c["media_types"], [STIX])
        r = taxii_get(self.srv, collection_path(EMBARGOED),
                      bearer(self.gamma[1]))
        self.assertEqual(r.json()["id"], EMBARGOED)
        self.assertEqual(taxii_get(self.srv, collection_path(
            "embargoed"), bearer(self.gamma[1])).json()["id"], EMBARGOED)
        self.assertTaxiiError(taxii_get(self.srv, collection_path(
            "6a7b5c8d-1111-4222-8333-444455556666"), bearer(self.gamma[1])),
            404)
        # The embargoed collection needs credentials; the public does not.
        self.assertTaxiiError(taxii_get(self.srv, collection_path(
            EMBARGOED, "objects/")), 401)
        self.assertEqual(taxii_get(self.srv, collection_path(
            PUBLIC, "objects/")).status_code, 200)

    def test_accept_negotiation(self):
        for accept in ("application/xml", "text/html",
                       "application/taxii+json;version=2.0"):
            r = requests.get(self.srv.url("/taxii2/"),
                             headers={"Accept": accept}, timeout=10)
            self.assertTaxiiError(r, 406)
        for accept in ("application/taxii+json", "*/*", TAXII,
                       "text/html, application/taxii+json;version=2.1"):
            r = requests.get(self.srv.url("/taxii2/"),
                             headers={"Accept": accept}, timeout=10)
            self.assertEqual(r.status_code, 200, accept)
        r = requests.get(self.srv.url("/taxii2/"), timeout=10)
        self.assertEqual(r.status_code, 200)

    # ---- objects, manifest, pagination, filters ----

    def test_manifest_matches_objects(self):
        who = self.alpha
        objs = self.objects(who, params={"match[version]": "all"})
        man = self.manifest(who, params={"match[version]": "all"})
        key = lambda o: (o["id"], o.get("modified") or o.get("created"))
        self.assertEqual(len(objs), len(man))
        for o, m in zip(objs, man):
            self.assertEqual(o["id"], m["id"])
            self.assertEqual(m["media_type"], STIX)
            if o["type"] != "artifact":
                self.assertEqual(m["version"], key(o)[1])
        added = [m["date_added"] for m in man]
        self.assertEqual(added, sorted(added))
        self.assertEqual(len({(m["id"], m["version"]) for m in man}),
                         len(man), "a version listed twice")

    def test_pagination_covers_everything_once(self):
        who = self.alpha
        full = self.manifest(who, params={"match[version]": "all"})
        self.assertGreater(len(full), 20)
        for limit in (1, 2, 7):
            items, pages = walk(self.srv, collection_path(
                EMBARGOED, "manifest/"), bearer(who[1]),
                {"match[version]": "all"}, limit=limit)
            self.assertEqual(items, full, "limit %d" % limit)
            self.assertEqual(len(pages), -(-len(full) // limit))
            for r, body in pages:
                got = body.get("objects", [])
                self.assertLessEqual(len(got), limit)
                self.assertEqual(r.headers["X-TAXII-Date-Added-First"],
                                 got[0]["date_added"])
                self.assertEqual(r.headers["X-TAXII-Date-Added-Last"],
                                 got[-1]["date_added"])
                self.assertEqual(body["more"], "next" in body)
            self.assertFalse(pages[-1][1]["more"])
        # The objects endpoint pages the same way.
        items = self.objects(who, params={"match[version]": "all"},
                             limit=3)
        self.assertEqual([o["id"] for o in items], [m["id"] for m in full])

    def test_next_token_is_bound_to_its_query(self):
        who = self.alpha
        path = collection_path(EMBARGOED, "manifest/")
        r = taxii_get(self.srv, path, bearer(who[1]), {"limit": "2"})
        nxt = r.json()["next"]
        ok = taxii_get(self.srv, path, bearer(who[1]),
                       {"limit": "5", "next": nxt})
        self.assertEqual(ok.status_code, 200, "limit may change")
        for params in ({"next": nxt, "match[type]": "report"},
                       {"next": nxt, "added_after": "2020-01-01T00:00:00Z"},
                       {"next": nxt[:-2]}, {"next": nxt + "A"},
                       {"next": "AAAA"}, {"next": ""}, {"next": "!!"}):
            self.assertTaxiiError(taxii_get(self.srv, path, bearer(who[1]),
                                            params), 400)
        # Bound to the partner, the endpoint and the collection too.
        self.assertTaxiiError(taxii_get(self.srv, path, bearer(
            self.beta[1]), {"next": nxt}), 400)
        self.assertTaxiiError(taxii_get(self.srv, collection_path(
            EMBARGOED, "objects/"), bearer(who[1]), {"next": nxt}), 400)

    def test_filters(self):
        who = self.alpha
        everything = self.manifest(who, params={"match[version]": "all"})
        last = self.manifest(who)
        self.assertLess(len(last), len(everything))
        self.assertEqual(len({m["id"] for m in last}), len(last))
        types = {m["id"].split("--")[0] for m in last}
        self.assertTrue({"identity", "marking-definition", "vulnerability",
                         "report", "course-of-action", "relationship",
                         "artifact", "indicator", "note"} <= types, types)
        # match[type], several at once
        got = self.manifest(who, params={"match[type]": "report,note"})
        self.assertEqual({m["id"].split("--")[0] for m in got},
                         {"report", "note"})
        # match[id]
        rid = [m for m in last if m["id"].startswith("report--")][0]["id"]
        got = self.manifest(who, params={"match[id]": rid,
                                         "match[version]": "all"})
        self.assertEqual({m["id"] for m in got}, {rid})
        self.assertEqual(len(got), 2, "created and rescheduled")
        # match[version]: first, last, a timestamp, all
        first = self.manifest(who, params={"match[id]": rid,
                                           "match[version]": "first"})
        latest = self.manifest(who, params={"match[id]": rid})
        self.assertEqual(len(first), 1)
        self.assertLess(first[0]["version"], latest[0]["version"])
        both = self.manifest(who, params={"match[id]": rid,
                                          "match[version]": "first,last"})
        self.assertEqual(len(both), 2)
        at = self.manifest(who, params={"match[version]":
                                        first[0]["version"],
                                        "match[id]": rid})
        self.assertEqual(at, first)
        # match[spec_version]
        self.assertEqual(self.manifest(who, params={
            "match[spec_version]": "2.1"}), last)
        self.assertEqual(self.manifest(who, params={
            "match[spec_version]": "2.0"}), [])
        # added_after: strictly after
        cut = last[len(last) // 2]["date_added"]
        after = self.manifest(who, params={"added_after": cut})
        self.assertEqual(after, [m for m in last if m["date_added"] > cut])
        r = taxii_get(self.srv, collection_path(EMBARGOED, "manifest/"),
                      bearer(who[1]), {"added_after": last[-1]["date_added"]})
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.json(), {"more": False})
        self.assertNotIn("X-TAXII-Date-Added-First", r.headers)

    def test_bad_parameters(self):
        who = bearer(self.alpha[1])
        objects = collection_path(EMBARGOED, "objects/")
        bad = [
            {"limit": "abc"}, {"limit": "0"}, {"limit": "-1"},
            {"limit": "1001"}, {"limit": "99999999999999999999999"},
            {"limit": "1.5"}, {"limit": ""},
            {"added_after": "yesterday"}, {"added_after": "2021-13-01T00:00:00Z"},
            {"added_after": ""},
            {"match[id]": "report"}, {"match[id]": "report--not-a-uuid"},
            {"match[id]": ""}, {"match[id]": "a,,b"},
            {"match[type]": "Report"}, {"match[type]": "a b"},
            {"match[version]": "latest"}, {"match[version]": "2021"},
            {"match[spec_version]": "two"}, {"match[spec_version]": "2."},
            {"match[foo]": "x"}, {"foo": "bar"}, {"token": "x"},
            {"next": "%%%"},
        ]
        for params in bad:
            with self.subTest(params=params):
                self.assertTaxiiError(taxii_get(self.srv, objects, who,
                                                params), 400)
        # Filters the single-object endpoints do not take.
        rid = self.manifest(self.alpha, params={"match[type]": "report"})[0]
        self.assertTaxiiError(taxii_get(self.srv, collection_path(
            EMBARGOED, "objects/%s/" % rid["id"]), who,
            {"match[type]": "report"}), 400)
        self.assertTaxiiError(taxii_get(self.srv, collection_path(
            EMBARGOED, "objects/%s/versions/" % rid["id"]), who,
            {"match[version]": "all"}), 400)
        # Repeated parameters and malformed targets.
        r = requests.get(self.srv.url(objects + "?limit=1&limit=2"),
                         headers=dict(who, Accept=TAXII), timeout=10)
        self.assertTaxiiError(r, 400)
        for target in (objects + "?limit=%zz", objects + "?=1",
                       "/taxii2/api/collections/%00/", "/taxii2//api/",
                       "/taxii2/api/collections/../collections/"):
            s = socket.create_connection(("127.0.0.1", self.srv.port))
            s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAccept: %s\r\n"
                       "Connection: close\r\n\r\n" % (target, TAXII))
                      .encode())
            head = s.recv(65536).decode("latin-1")
            s.close()
            self.assertTrue(head.startswith("HTTP/1.1 400")
                            or head.startswith("HTTP/1.1 404"),
                            (target, head[:80]))
        # Unknown paths: 404 with a TAXII error object.
        for path in ("/taxii2/api/collections/%s/objectz/" % EMBARGOED,
                     "/taxii2/nope/", "/nope"):
            r = taxii_get(self.srv, path, who)
            self.assertEqual(r.status_code, 404, path)
            self.assertEqual(r.json()["http_status"], "404")

    def test_object_and_versions_endpoints(self):
        who = bearer(self.alpha[1])
        rid = [o for o in self.objects(self.alpha, params={
            "match[type]": "report"}) if o["x_embargo_advisory"] == "EMB-A"]
        self.assertEqual(len(rid), 1)
        rid = rid[0]["id"]
        r = taxii_get(self.srv, collection_path(
            EMBARGOED, "objects/%s/" % rid), who)
        self.assertEqual(r.status_code, 200)
        objs = r.json()["objects"]
        self.assertEqual(len(objs), 1)
        self.assertEqual(objs[0]["x_embargo_reschedules"][0]["reason"],
                         "more testing needed")
        r = taxii_get(self.srv, collection_path(
            EMBARGOED, "objects/%s/" % rid), who, {"match[version]": "all"})
        vers = [o["modified"] for o in r.json()["objects"]]
        self.assertEqual(len(vers), 2)
        r = taxii_get(self.srv, collection_path(
            EMBARGOED, "objects/%s/versions/" % rid), who)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.json()["versions"], sorted(vers))
        self.assertIn("X-TAXII-Date-Added-First", r.headers)
        r2 = taxii_get(self.srv, collection_path(
            EMBARGOED, "objects/%s/versions/" % rid), who, {"limit": "1"})
        self.assertEqual(len(r2.json()["versions"]), 1)
        self.assertTrue(r2.json()["more"])
        for path in ("objects/report--0b7f3c50-d0b3-4b5f-8a6d-0c1f00d4e1a2/",
                     "objects/report--0b7f3c50-d0b3-4b5f-8a6d-0c1f00d4e1a2"
                     "/versions/", "objects/not-an-id/",
                     "objects/not-an-id/versions/"):
            self.assertTaxiiError(taxii_get(self.srv, collection_path(
                EMBARGOED, path), who), 404)

    def test_writes_are_refused(self):
        h = dict(bearer(self.alpha[1]), Accept=TAXII)
        h["Content-Type"] = TAXII
        envelope = json.dumps({"objects": []})
        r = requests.post(self.srv.url(collection_path(EMBARGOED,
                                                       "objects/")),
                          data=envelope, headers=h, timeout=10)
        self.assertTaxiiError(r, 403)
        oid = self.manifest(self.alpha)[0]["id"]
        r = requests.delete(self.srv.url(collection_path(
            EMBARGOED, "objects/%s/" % oid)), headers=h, timeout=10)
        self.assertTaxiiError(r, 403)
        r = requests.put(self.srv.url(collection_path(EMBARGOED, "objects/")),
                         data=envelope, headers=h, timeout=10)
        self.assertTaxiiError(r, 405)
        r = requests.post(self.srv.url(collection_path(PUBLIC, "objects/")),
                          data=envelope, headers={"Accept": TAXII},
                          timeout=10)
        self.assertTaxiiError(r, 403)
        r = requests.post(self.srv.url(collection_path(EMBARGOED,
                                                       "objects/")),
                          data=envelope, headers={"Accept": TAXII},
                          timeout=10)
        self.assertTaxiiError(r, 401)
        # Nothing was added.
        self.assertEqual(self.manifest(self.alpha), self.manifest(self.alpha))

    # ---- the STIX mapping ----

    def test_every_object_validates_against_the_stix_schemas(self):
        seen = set()
        for who, cid in ((self.alpha, EMBARGOED), (self.beta, EMBARGOED),
                         (None, PUBLIC)):
            objs = self.objects(who, cid, {"match[version]": "all"})
            self.assertTrue(objs)
            for o in objs:
                with self.subTest(id=o["id"], modified=o.get("modified")):
                    self.assertEqual(o["spec_version"], "2.1")
                    seen.add(self.schemas.stix_object(o))
        self.assertEqual(seen, {
            "sdos/identity.json", "marking-definition",
            "sdos/vulnerability.json", "sdos/report.json",
            "sdos/course-of-action.json", "sros/relationship.json",
            "observables/artifact.json", "sdos/indicator.json",
            "sdos/note.json"})

    def test_schema_check_can_fail(self):
        bad = {"type": "vulnerability", "spec_version": "2.1",
               "id": "vulnerability--1", "created": "2021",
               "modified": "2021"}
        with self.assertRaises(AssertionError):
            self.schemas.stix_object(bad)

    def test_mapping_and_markings(self):
        objs = {o["id"]: o for o in self.objects(self.alpha)}
        by_type = {}
        for o in objs.values():
            by_type.setdefault(o["type"], []).append(o)
        # Every marking referenced is served, and they are the official
        # TLP 2.0 objects.
        for o in objs.values():
            for m in o.get("object_marking_refs", []):
                self.assertIn(m, objs, o["id"])
        for m in by_type["marking-definition"]:
            self.assertEqual(m["created"], "2022-10-01T00:00:00.000Z")
            self.assertIn(m["id"], TLP.values())
        vulns = {v["name"]: v for v in by_type["vulnerability"]}
        a = vulns["Remote code execution in Frobnicator"]
        cves = sorted(r["external_id"] for r in a["external_references"]
                      if r["source_name"] == "cve")
        self.assertEqual(cves, ["CVE-2021-26855", "CVE-2021-27065"])
        self.assertEqual(a["object_marking_refs"], [TLP["amber+strict"]])
        b = vulns["Information disclosure in Widget"]
        self.assertEqual(b["object_marking_refs"], [TLP["clear"]])
        arts = {o["x_embargo_name"]: o for o in by_type["artifact"]
                if o["x_embargo_advisory"] == "EMB-A"}
        self.assertEqual(set(arts), {"advisory.md", "rule.stix",
                                     "detection.yar", "poc.py"})
        self.assertEqual(arts["poc.py"]["object_marking_refs"], [TLP["red"]])
        self.assertEqual(arts["advisory.md"]["object_marking_refs"],
                         [TLP["amber+strict"]])
        for art in arts.values():
            data = base64.b64decode(art["payload_bin"])
            self.assertEqual(hashlib.sha256(data).hexdigest(),
                             art["hashes"]["SHA-256"])
        # The STIX pattern became an indicator, the YARA rules a note.
        ind = by_type["indicator"]
        self.assertEqual(len(ind), 1)
        self.assertEqual(ind[0]["pattern"], PATTERN)
        self.assertEqual(ind[0]["pattern_type"], "stix")
        notes = by_type["note"]
        self.assertEqual(len(notes), 1)
        self.assertIn("rule EMB_2021_0001_webshell_dropped",
                      notes[0]["content"])
        self.assertIn(a["id"], notes[0]["object_refs"])
        # Relationships tie everything to the vulnerability.
        rels = by_type["relationship"]
        targets = {(objs[r["source_ref"]]["type"], r["relationship_type"])
                   for r in rels if r["target_ref"] == a["id"]}
        self.assertEqual(targets, {("artifact", "related-to"),
                                   ("indicator", "related-to"),
                                   ("course-of-action", "remediates")})
        for r in rels:
            self.assertIn(r["source_ref"], objs)
            self.assertIn(r["target_ref"], objs)
        # Every SDO/SRO names the vendor.
        ident = by_type["identity"]
        self.assertEqual([i["name"] for i in ident], [sl.VENDOR])
        for o in objs.values():
            if "created_by_ref" in o:
                self.assertEqual(o["created_by_ref"], ident[0]["id"])

    def test_reschedule_is_a_new_version(self):
        w = self.w
        w.cmd("advisory", "create", "EMB-R", "--title", "Rescheduled one",
              "--patch-at", et.future(days=20))
        w.cmd("advisory", "attach", "EMB-R", w.file("r.txt", "text\n"),
              "--kind", "advisory", "--tier", "notify")
        who = self.gamma
        rep = [m for m in self.objects(who, params={"match[type]": "report"})
               if m["name"] == "Rescheduled one"][0]
        v0 = taxii_get(self.srv, collection_path(
            EMBARGOED, "objects/%s/versions/" % rep["id"]),
            bearer(who[1])).json()["versions"]
        self.assertEqual(len(v0), 1)
        new_patch = et.future(days=15)
        w.cmd("advisory", "reschedule", "EMB-R", "--patch-at", new_patch,
              "--reason", "expedited for testing")
        v1 = taxii_get(self.srv, collection_path(
            EMBARGOED, "objects/%s/versions/" % rep["id"]),
            bearer(who[1])).json()["versions"]
        self.assertEqual(len(v1), 2)
        self.assertEqual(v1[0], v0[0])
        latest = taxii_get(self.srv, collection_path(
            EMBARGOED, "objects/%s/" % rep["id"]),
            bearer(who[1])).json()["objects"][0]
        self.assertEqual(latest["modified"], v1[1])
        self.assertEqual(latest["x_embargo_patch_at"][:19], new_patch[:19])
        self.assertEqual(latest["x_embargo_reschedules"][0]["direction"],
                         "expedite")
        # A client polling with added_after sees the new version.
        r = taxii_get(self.srv, collection_path(EMBARGOED, "objects/"),
                      bearer(who[1]), {"added_after": v0[0],
                                       "match[id]": rep["id"]})
        self.assertEqual([o["modified"] for o in r.json()["objects"]],
                         [v1[1]])

    # ---- REST ----

    def test_rest_listing_tells_nothing_about_others(self):
        r = requests.get(self.srv.url("/v1/advisories"),
                         headers=bearer(self.beta[1]), timeout=10)
        self.assertEqual(r.status_code, 200)
        advs = {a["id"]: a for a in r.json()["advisories"]}
        self.assertIn("EMB-A", advs)
        names = {x["name"] for x in advs["EMB-A"]["artifacts"]}
        self.assertEqual(names, {"advisory.md", "rule.stix",
                                 "detection.yar"})
        text = r.text.lower()
        for word in ("exclusion", "alpha", "gamma", "partner", "sha256"):
            self.assertNotIn(word, text)
        r = requests.get(self.srv.url("/v1/advisories/EMB-A"),
                         headers=bearer(self.beta[1]), timeout=10)
        self.assertEqual(r.json(), advs["EMB-A"])
        self.assertEqual(advs["EMB-A"]["reschedules"][0]["reason"],
                         "more testing needed")

    def test_rest_download_records_the_delivery_first(self):
        who = self.w.partner("Epsilon", "poc")
        before = self.deliveries()
        r = requests.get(self.srv.url(
            "/v1/advisories/EMB-A/artifacts/poc.py"),
            headers=basic(*who), timeout=10)
        self.assertEqual(r.status_code, 200)
        body = r.content
        digest = hashlib.sha256(body).hexdigest()
        self.assertEqual(r.headers["ETag"], '"sha256:%s"' % digest)
        self.assertEqual(r.headers["Content-Type"],
                         "text/x-python; charset=utf-8")
        self.assertEqual(r.headers["Cache-Control"], "no-store")
        did = int(r.headers["Embargo-Delivery"])
        after = self.deliveries()
        self.assertEqual(len(after), len(before) + 1)
        row = after[-1]
        self.assertEqual(row[0], did)
        self.assertEqual((row[1], row[3].hex(), row[4]),
                         (who[0], digest, "rest"))
        events = json.loads(self.w.cmd("audit", "log", "--json"))
        ev = [e for e in events if e["type"] == "delivery"][-1]
        self.assertEqual(ev["detail"]["delivery"], did)
        self.assertEqual(ev["detail"]["sha256"], digest)
        # The receipt, for this partner only.
        rc = requests.get(self.srv.url("/v1/deliveries/%d" % did),
                          headers=bearer(who[1]), timeout=10)
        self.assertEqual(rc.json()["sha256"], digest)
        self.assertEqual(rc.json()["artifact"], "poc.py")
        other = requests.get(self.srv.url("/v1/deliveries/%d" % did),
                             headers=bearer(self.alpha[1]), timeout=10)
        self.assertEqual(other.status_code, 404)
        mine = requests.get(self.srv.url("/v1/deliveries"),
                            headers=bearer(self.alpha[1]), timeout=10)
        self.assertNotIn(did, [d["id"] for d in mine.json()["deliveries"]])
        # The same bytes again are already on record: no new record, the
        # same one named; a conditional request gets 304.
        r2 = requests.get(self.srv.url(
            "/v1/advisories/EMB-A/artifacts/poc.py"),
            headers=bearer(who[1]), timeout=10)
        self.assertEqual(r2.content, body)
        self.assertEqual(int(r2.headers["Embargo-Delivery"]), did)
        r3 = requests.get(self.srv.url(
            "/v1/advisories/EMB-A/artifacts/poc.py"),
            headers=dict(bearer(who[1]),
                         **{"If-None-Match": r.headers["ETag"]}),
            timeout=10)
        self.assertEqual(r3.status_code, 304)
        self.assertEqual(r3.content, b"")
        self.assertEqual(len(self.deliveries()), len(after))
        # Another partner gets its own copy, on its own record.
        r4 = requests.get(self.srv.url(
            "/v1/advisories/EMB-A/artifacts/poc.py"),
            headers=bearer(self.alpha[1]), timeout=10)
        self.assertNotEqual(int(r4.headers["Embargo-Delivery"]), did)
        self.assertEqual(self.deliveries_of(self.alpha[0], r4), 1)

    def deliveries_of(self, pid, r):
        did = int(r.headers["Embargo-Delivery"])
        digest = hashlib.sha256(r.content).hexdigest()
        return len([d for d in self.deliveries() if d[0] == did and
                    d[1] == pid and d[3].hex() == digest])

    def test_taxii_payload_is_the_partners_copy(self):
        who = self.w.partner("Zeta", "poc")
        before = len(self.deliveries())
        r = taxii_get(self.srv, collection_path(EMBARGOED, "objects/"),
                      bearer(who[1]), {"match[type]": "artifact"})
        objs = r.json()["objects"]
        ids = [int(x) for x in r.headers["Embargo-Delivery"].split(",")]
        self.assertEqual(len(ids), len(objs))
        after = self.deliveries()
        self.assertEqual(len(after), before + len(objs))
        self.assertEqual([d[0] for d in after[-len(ids):]], ids)
        self.assertTrue(all(d[4] == "taxii" and d[1] == who[0]
                            for d in after[-len(ids):]))
        for o, d in zip(objs, after[-len(ids):]):
            self.assertEqual(o["hashes"]["SHA-256"], d[3].hex())
        # Fetched again: the same records, nothing new.
        r2 = taxii_get(self.srv, collection_path(EMBARGOED, "objects/"),
                       bearer(who[1]), {"match[type]": "artifact"})
        self.assertEqual(r2.headers["Embargo-Delivery"],
                         r.headers["Embargo-Delivery"])
        self.assertEqual(len(self.deliveries()), len(after))
        # The REST download is the same copy, on the same record.
        poc = [o for o in objs if o["x_embargo_name"] == "poc.py"][0]
        rest = requests.get(self.srv.url(
            "/v1/advisories/EMB-A/artifacts/poc.py"),
            headers=bearer(who[1]), timeout=10)
        self.assertEqual(base64.b64decode(poc["payload_bin"]), rest.content)
        self.assertIn(int(rest.headers["Embargo-Delivery"]), ids)
        # The manifest hands out nothing and records nothing.
        n = len(self.deliveries())
        self.manifest(who)
        self.assertEqual(len(self.deliveries()), n)

    def deliveries(self):
        c = sqlite3.connect(os.path.join(self.w.home, "embargo.db"))
        try:
            return c.execute("SELECT id, partner_id, artifact_id, sha256,"
                             " channel FROM deliveries ORDER BY id"
                             ).fetchall()
        finally:
            c.close()

    # ---- the public side ----

    def test_csaf_documents_validate_and_match_export(self):
        meta = requests.get(self.srv.url(
            "/.well-known/csaf/provider-metadata.json"), timeout=10)
        self.assertEqual(meta.status_code, 200)
        self.schemas.provider(meta.json())
        self.assertEqual(meta.json()["canonical_url"], sl.PUBLIC_URL +
                         "/.well-known/csaf/provider-metadata.json")
        index = requests.get(self.srv.url("/.well-known/csaf/white/"
                                          "index.txt"), timeout=10).text
        paths = index.split()
        self.assertEqual(len(paths), 1, "only EMB-B is published")
        self.assertRegex(paths[0], r"^\d{4}/emb-b\.json$")
        changes = requests.get(self.srv.url("/.well-known/csaf/white/"
                                            "changes.csv"), timeout=10)
        self.assertTrue(changes.text.startswith('"%s","' % paths[0]))
        r = requests.get(self.srv.url("/.well-known/csaf/white/" + paths[0]),
                         timeout=10)
        self.assertEqual(r.status_code, 200)
        doc = r.json()
        self.schemas.csaf(doc)
        d = doc["document"]
        self.assertEqual(d["category"], "csaf_security_advisory")
        self.assertEqual(d["tracking"]["id"], "EMB-B")
        hist = d["tracking"]["revision_history"]
        self.assertEqual(len(hist), 3, "created, rescheduled, published")
        self.assertIn("exploited in the wild", hist[1]["summary"])
        self.assertEqual(d["tracking"]["version"], "3")
        self.assertEqual(d["references"][0]["url"], sl.PUBLIC_URL +
                         "/.well-known/csaf/white/" + paths[0])
        self.assertEqual([v["cve"] for v in doc["vulnerabilities"]],
                         ["CVE-2022-0001"])
        v = doc["vulnerabilities"][0]
        self.assertTrue(v["notes"] and v["remediations"] and
                        v["references"] and v["product_status"])
        # Nothing about partners or artifacts.
        for word in ("alpha", "beta", "gamma", "advisory.md", "tier"):
            self.assertNotIn(word, r.text.lower())
        sha = requests.get(self.srv.url("/.well-known/csaf/white/" +
                                        paths[0] + ".sha256"), timeout=10)
        self.assertEqual(sha.text.split()[0],
                         hashlib.sha256(r.content).hexdigest())
        # `embargo export csaf` prints the same bytes.
        rc, out, err = et.run(["export", "csaf", "EMB-B", "--vendor",
                               sl.VENDOR, "--public-url", sl.PUBLIC_URL],
                              datadir=self.w.home, binary=True)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, r.content)
        # Embargoed: no document, on either side.
        rc, out, err = et.run(["export", "csaf", "EMB-A"],
                              datadir=self.w.home)
        self.assertNotEqual(rc, 0)
        self.assertIn("not published", err)
        year = paths[0].split("/")[0]
        r = requests.get(self.srv.url("/.well-known/csaf/white/%s/"
                                      "emb-a.json" % year), timeout=10)
        self.assertEqual(r.status_code, 404)

    def test_csaf_schema_check_can_fail(self):
        rc, out, err = et.run(["export", "csaf", "EMB-B", "--public-url",
                               sl.PUBLIC_URL], datadir=self.w.home)
        doc = json.loads(out)
        del doc["document"]["tracking"]["revision_history"]
        with self.assertRaises(AssertionError):
            self.schemas.csaf(doc)

    def test_public_collection(self):
        objs = self.objects(None, PUBLIC, {"match[version]": "all"})
        types = sorted({o["type"] for o in objs})
        self.assertEqual(types, ["course-of-action", "identity",
                                 "marking-definition", "relationship",
                                 "report", "vulnerability"])
        for o in objs:
            if o["type"] != "marking-definition":
                self.assertEqual(o["object_marking_refs"], [TLP["clear"]])
        names = {o["name"] for o in objs if o["type"] == "vulnerability"}
        self.assertEqual(names, {"Information disclosure in Widget"})
        # The same objects with partner credentials.
        self.assertEqual(self.objects(self.gamma, PUBLIC,
                                      {"match[version]": "all"}), objs)

    # ---- robustness ----

    def raw(self, data, read=True):
        s = socket.create_connection(("127.0.0.1", self.srv.port),
                                     timeout=10)
        s.sendall(data)
        out = b""
        if read:
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    out += chunk
            except socket.timeout:
                pass
        s.close()
        return out

    def test_limits(self):
        # Headers past the per-connection limit.
        big = b"X-Big: " + b"a" * 80000 + b"\r\n"
        out = self.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + big +
                       b"Connection: close\r\n\r\n")
        self.assertRegex(out[:12].decode(), r"HTTP/1\.1 4(31|13|00)")
        # A request-target past the limit.
        r = requests.get(self.srv.url("/taxii2/?" + "a" * 5000),
                         timeout=10)
        self.assertIn(r.status_code, (400, 414, 431))
        # A body where none is taken: refused as soon as it is announced.
        out = self.raw(b"POST " + collection_path(PUBLIC, "objects/")
                       .encode() + b" HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Length: 200000\r\n\r\n" + b"x" * 1000)
        self.assertTrue(out.startswith(b"HTTP/1.1 413"), out[:40])
        self.assertIn(b'"http_status":"413"', out)
        # An oversized Authorization header is just a failed login.
        r = requests.get(self.srv.url("/v1/advisories"),
                         headers={"Authorization": "Bearer " + "x" * 5000},
                         timeout=10)
        self.assertEqual(r.status_code, 401)

    def test_access_log_has_no_secrets(self):
        tok = self.alpha[1]
        requests.get(self.srv.url("/v1/advisories/EMB-A/artifacts/"
                                  "advisory.md"),
                     headers=bearer(tok), timeout=10)
        requests.get(self.srv.url("/v1/advisories"),
                     headers=basic(*self.beta), timeout=10)
        requests.get(self.srv.url("/v1/advisories?token=" + tok),
                     timeout=10)
        requests.get(self.srv.url("/taxii2/?q=" + self.gamma[1]),
                     headers={"Accept": TAXII}, timeout=10)
        lines = self.srv.log()
        text = "\n".join(lines)
        for secret in (self.alpha[1], self.beta[1], self.gamma[1],
                       SECRET_MARKER, base64.b64encode(
                           ("%s:%s" % self.beta).encode()).decode()):
            self.assertNotIn(secret, text)
        dl = [x for x in lines if "artifacts/advisory.md" in x][-1]
        self.assertRegex(dl, r'^\S+Z 127\.0\.0\.1 %s "GET /v1/advisories/'
                         r'EMB-A/artifacts/advisory\.md" 200 \d+ [\d.]+ms '
                         r'delivery \d+$' % self.alpha[0])
        self.assertTrue(any('"GET /v1/advisories?token" 401' in x
                            for x in lines), lines[-4:])

    def test_one_log_line_per_request(self):
        n0 = len(self.srv.log())
        s = requests.Session()
        for _ in range(5):
            s.get(self.srv.url("/healthz"), timeout=10)
        s.get(self.srv.url("/nope"), timeout=10)
        time.sleep(0.2)
        lines = self.srv.log()[n0:]
        self.assertEqual(len([x for x in lines if '"GET /healthz"' in x]), 5)
        self.assertEqual(len([x for x in lines if '"GET /nope"' in x]), 1)

    # ---- a client that behaves like the OASIS taxii2-client ----

    def test_client_reads_its_whole_entitlement(self):
        sess = requests.Session()
        sess.auth = (self.beta[0], self.beta[1])
        sess.headers["Accept"] = TAXII
        disc = sess.get(self.srv.url("/taxii2/"), timeout=10).json()
        root = requests.compat.urljoin(self.srv.url("/taxii2/"),
                                       disc["api_roots"][0])
        info = sess.get(root, timeout=10)
        self.assertEqual(info.status_code, 200)
        cols = sess.get(root + "collections/", timeout=10).json()
        col = [c for c in cols["collections"]
               if c["alias"] == "embargoed"][0]
        url = root + "collections/%s/objects/" % col["id"]
        got, params = [], {"limit": "4"}
        while True:
            r = sess.get(url, params=params, timeout=10)
            self.assertEqual(r.status_code, 200)
            env = r.json()
            got += env.get("objects", [])
            if not env.get("more"):
                break
            params["next"] = env["next"]
        names = {o["x_embargo_name"] for o in got if o["type"] == "artifact"}
        self.assertEqual(names, {"advisory.md", "rule.stix",
                                 "detection.yar", "r.txt"}
                         if "r.txt" in names else
                         {"advisory.md", "rule.stix", "detection.yar"})
        self.assertNotIn("poc.py", names)


class ShutdownTest(unittest.TestCase):
    """SIGTERM and SIGINT: requests in flight finish; nothing is lost."""

    def setUp(self):
        et.check_binary()
        self.w = World()
        self.addCleanup(self.w.cleanup)
        self.p = self.w.partner("Delta", "poc")
        self.w.cmd("advisory", "create", "EMB-S", "--title", "Shutdown",
                   "--patch-at", et.future(days=3))
        big = "".join("line %d of a larger advisory text\n" % i
                      for i in range(20000))
        self.w.cmd("advisory", "attach", "EMB-S",
                   self.w.file("big.md", big), "--kind", "advisory",
                   "--tier", "notify", "--mark", "none")

    def shutdown_with_traffic(self, sig):
        srv = Server(self.w.home, "--threads", "4")
        results, stop = [], threading.Event()

        def client():
            s = requests.Session()
            while not stop.is_set():
                try:
                    r = s.get(srv.url("/v1/advisories/EMB-S/artifacts/"
                                      "big.md"), headers=bearer(self.p[1]),
                              timeout=20)
                except requests.ConnectionError:
                    results.append(("refused", None, None))
                    return
                results.append((r.status_code, r.headers.get(
                    "Embargo-Delivery"), hashlib.sha256(r.content)
                    .hexdigest()))
                if r.headers.get("Connection", "").lower() == "close":
                    s = requests.Session()

        threads = [threading.Thread(target=client) for _ in range(6)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        t0 = time.monotonic()
        rc = srv.stop(sig)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        self.assertEqual(rc, 0)
        self.assertLess(time.monotonic() - t0, 15)
        ok = [r for r in results if r[0] == 200]
        self.assertGreater(len(ok), 5)
        self.assertTrue(all(r[0] in (200, "refused") for r in results),
                        {r[0] for r in results})
        # Every copy handed out has its delivery record, with its hash.
        c = sqlite3.connect(os.path.join(self.w.home, "embargo.db"))
        rows = dict((str(i), h.hex()) for i, h in c.execute(
            "SELECT id, sha256 FROM deliveries"))
        c.close()
        for status, did, digest in ok:
            self.assertEqual(rows.get(did), digest)
        self.assertTrue(any("finishing requests in flight" in x
                            for x in srv.lines))
        self.assertEqual(srv.lines[-1], "embargo: stopped")
        # The port is closed.
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", srv.port), timeout=2)
        return ok

    def test_sigterm(self):
        self.shutdown_with_traffic(signal.SIGTERM)

    def test_sigint(self):
        self.shutdown_with_traffic(signal.SIGINT)


class ConnectionLimitTest(unittest.TestCase):
    def setUp(self):
        et.check_binary()
        self.w = World()
        self.addCleanup(self.w.cleanup)

    def test_per_address_limit_and_idle_timeout(self):
        with Server(self.w.home, "--max-per-addr", "3", "--timeout",
                    "1") as srv:
            socks = [socket.create_connection(("127.0.0.1", srv.port),
                                              timeout=5) for _ in range(3)]
            time.sleep(0.2)
            extra = socket.create_connection(("127.0.0.1", srv.port),
                                             timeout=5)
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                got = extra.recv(100)
            except OSError:
                got = b""
            self.assertEqual(got, b"", "4th connection must be refused")
            extra.close()
            # Idle connections are closed after the timeout.
            time.sleep(2.5)
            for s in socks:
                try:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    data = s.recv(100)
                except OSError:
                    data = b""
                self.assertEqual(data, b"")
                s.close()
            r = requests.get(srv.url("/healthz"), timeout=5)
            self.assertEqual(r.status_code, 200)


if __name__ == "__main__":
    unittest.main()
