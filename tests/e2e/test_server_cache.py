"""The server gives an answer again only while nothing it depends on has
changed: the same bytes as a fresh server would send, to the same partner
only, and never past a release or patch time or a change made with the
CLI in another process.

Run alone: python3 tests/e2e/test_server_cache.py (binary from $EMBARGO_BIN).
"""

import datetime
import hashlib
import json
import os
import shutil
import tempfile
import time
import unittest

import requests

import embargo_test as et
from test_server_lib import (EMBARGOED, PUBLIC, TLP, Server, bearer,
                             collection_path, headers_without_date,
                             taxii_get)

SRC = os.environ.get("EMBARGO_SRC",
                     os.path.dirname(os.path.dirname(os.path.dirname(
                         os.path.abspath(__file__)))))
DEMO = os.path.join(SRC, "demo")


def soon(seconds):
    """RFC 3339 text for a whole second at least `seconds` from now."""
    t = datetime.datetime.now(datetime.timezone.utc)
    t = t.replace(microsecond=0) + datetime.timedelta(seconds=seconds + 1)
    return et.iso(t), t.timestamp()


def wait_until(ts):
    d = ts - time.time()
    if d > 0:
        time.sleep(d + 0.05)


class ServerCache(unittest.TestCase):
    def setUp(self):
        et.check_binary()
        self.tmp = tempfile.mkdtemp(prefix="embargo-cache-")
        self.home = os.path.join(self.tmp, "data")
        et.init_datadir(self.home)
        self.a = self.partner("Alpha", "poc")
        self.b = self.partner("Bravo", "poc")
        self.cmd("advisory", "create", "EMB-1", "--title", "Cached one",
                 "--cve", "CVE-2021-26855", "--patch-at", et.future(days=9))
        self.cmd("advisory", "attach", "EMB-1",
                 os.path.join(DEMO, "poc.py"), "--kind", "poc", "--tier",
                 "poc")
        self.srv = Server(self.home, "--auth-fail-limit", "0")
        self.s = requests.Session()

    def tearDown(self):
        rc = self.srv.stop()
        shutil.rmtree(self.tmp, True)
        self.assertEqual(rc, 0)

    def cmd(self, *args):
        rc, out, err = et.run(list(args), datadir=self.home)
        self.assertEqual(rc, 0, "embargo %s: %s" % (" ".join(args), err))
        return out

    def partner(self, name, tier):
        d = json.loads(self.cmd("partner", "add", name, "--tier", tier,
                                "--json"))
        return d["id"], d["token"]

    def get(self, who, path, params=None):
        return taxii_get(self.srv, path, bearer(who[1]), params,
                         session=self.s)

    def download(self, who, adv="EMB-1", name="poc.py"):
        return self.s.get(self.srv.url(
            "/v1/advisories/%s/artifacts/%s" % (adv, name)),
            headers=bearer(who[1]), timeout=30)

    def artifacts(self, who):
        r = self.get(who, collection_path(EMBARGOED, "objects/"),
                     {"match[type]": "artifact"})
        self.assertEqual(r.status_code, 200, r.text)
        return {(o["x_embargo_advisory"], o["x_embargo_name"]): o
                for o in r.json().get("objects", [])}

    def test_answers_are_the_same_bytes_as_a_fresh_server(self):
        paths = [collection_path(EMBARGOED, "objects/"),
                 collection_path(EMBARGOED, "manifest/"),
                 "/v1/advisories", "/v1/advisories/EMB-1"]
        first = {}
        for p in paths:
            r1, r2 = self.get(self.a, p), self.get(self.a, p)
            self.assertEqual(r1.status_code, 200, p)
            self.assertEqual(r1.content, r2.content, p)
            self.assertEqual(headers_without_date(r1),
                             headers_without_date(r2), p)
            first[p] = r1
        d1, d2 = self.download(self.a), self.download(self.a)
        self.assertEqual(d1.content, d2.content)
        self.assertEqual(d1.headers["Embargo-Delivery"],
                         d2.headers["Embargo-Delivery"])
        # A new server (nothing cached) answers with the same bytes.
        self.assertEqual(self.srv.stop(), 0)
        self.srv = Server(self.home, "--auth-fail-limit", "0")
        for p in paths:
            r = self.get(self.a, p)
            self.assertEqual(r.content, first[p].content, p)
        self.assertEqual(self.download(self.a).content, d1.content)
        # Every request still gets its access-log line.
        log = [ln for ln in self.srv.log() if '"GET ' in ln]
        self.assertEqual(len(log), len(paths) + 1)

    def test_partners_never_share_answers(self):
        p = collection_path(EMBARGOED, "objects/")
        ra, rb = self.get(self.a, p), self.get(self.b, p)
        ra2, rb2 = self.get(self.a, p), self.get(self.b, p)
        self.assertEqual(ra.content, ra2.content)
        self.assertEqual(rb.content, rb2.content)
        pa = self.artifacts(self.a)[("EMB-1", "poc.py")]["payload_bin"]
        pb = self.artifacts(self.b)[("EMB-1", "poc.py")]["payload_bin"]
        self.assertNotEqual(pa, pb)  # each its own marked copy
        da, db = self.download(self.a), self.download(self.b)
        self.assertNotEqual(da.content, db.content)
        self.assertEqual(self.download(self.a).content, da.content)
        # Without credentials: 401, not somebody's cached answer.
        r = taxii_get(self.srv, p, session=self.s)
        self.assertEqual(r.status_code, 401)

    def test_release_and_patch_times_take_effect_at_once(self):
        release_txt, release_ts = soon(2)
        patch_txt, patch_ts = soon(4)
        self.cmd("advisory", "create", "EMB-T", "--title", "Timed one",
                 "--cve", "CVE-2021-26857", "--patch-at", patch_txt)
        self.cmd("advisory", "attach", "EMB-T",
                 os.path.join(DEMO, "poc.py"), "--kind", "poc", "--tier",
                 "poc", "--release-at", release_txt)
        pub = collection_path(PUBLIC, "objects/")
        # Asked (and so cached) before the release time...
        for _ in range(3):
            self.assertNotIn(("EMB-T", "poc.py"), self.artifacts(self.a))
            self.assertEqual(self.download(self.a, "EMB-T").status_code,
                             404)
        wait_until(release_ts)
        # ...the same requests see it as soon as the time has passed.
        got = self.artifacts(self.a)
        self.assertIn(("EMB-T", "poc.py"), got)
        self.assertEqual(got[("EMB-T", "poc.py")]["object_marking_refs"],
                         [TLP["red"]])
        self.assertEqual(self.download(self.a, "EMB-T").status_code, 200)
        names = {o.get("name") for o in taxii_get(
            self.srv, pub, session=self.s).json().get("objects", [])}
        self.assertNotIn("Timed one", names)
        wait_until(patch_ts)
        names = {o.get("name") for o in taxii_get(
            self.srv, pub, session=self.s).json().get("objects", [])}
        self.assertIn("Timed one", names)
        r = self.s.get(self.srv.url(
            "/.well-known/csaf/provider-metadata.json"), timeout=30)
        self.assertEqual(r.status_code, 200)

    def test_changes_from_another_process_take_effect_at_once(self):
        p = collection_path(EMBARGOED, "objects/")
        before = self.get(self.a, p)
        self.assertEqual(self.download(self.a).status_code, 200)
        # Excluded: gone at once, from the same URLs, as if never there.
        self.cmd("advisory", "exclude", "EMB-1", "--partner", self.a[0])
        self.assertEqual(self.download(self.a).status_code, 404)
        after = self.get(self.a, p)
        self.assertNotEqual(after.content, before.content)
        self.assertNotIn(("EMB-1", "poc.py"), self.artifacts(self.a))
        # Bravo's answers follow the new data too, and still hold its copy.
        self.assertIn(("EMB-1", "poc.py"), self.artifacts(self.b))
        # A tier lowered for Bravo: its PoC goes away.
        self.cmd("partner", "set", self.b[0], "--tier", "notify")
        self.assertEqual(self.download(self.b).status_code, 404)
        self.assertNotIn(("EMB-1", "poc.py"), self.artifacts(self.b))
        # Suspended: 401 at once, whatever was cached.
        self.cmd("partner", "set", self.b[0], "--suspend")
        self.assertEqual(self.get(self.b, p).status_code, 401)
        self.assertEqual(self.download(self.b).status_code, 401)

    def test_other_partners_downloads_do_not_touch_my_answers(self):
        """A delivery recorded for one partner changes nothing another can
        observe: the data stamp ignores deliveries and the event log."""
        p = collection_path(EMBARGOED, "objects/")
        r1 = self.get(self.a, p)
        before = self.generation()
        self.assertEqual(self.download(self.b).status_code, 200)
        self.assertEqual(self.generation(), before)
        self.assertEqual(self.get(self.a, p).content, r1.content)

    def generation(self):
        import sqlite3
        db = sqlite3.connect(os.path.join(self.home, "embargo.db"))
        try:
            return db.execute("SELECT n FROM generation").fetchone()[0]
        finally:
            db.close()


if __name__ == "__main__":
    unittest.main()
