"""Traceable copies through the real binary: every partner's copy is its
own, deterministic, recorded with its own hash; template markers and
canaries; the capacity report; binary files and malformed markers."""

import hashlib
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import embargo_test as et  # noqa: E402

SRC = os.environ.get("EMBARGO_SRC", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", ".."))

TEMPLATE = """\
#!/usr/bin/env python3
UA = "@@canary:ua@@"
HOST = "@@canary:hostname@@.example"
REQ = "@@canary:uuid@@"
TOKEN = "@@canary@@"
B32 = "@@canary:base32@@"
PORT = @@mark:443|0x1BB@@
NAME = "@@mark:probe|check|scan|test@@"
LITERAL = "@@@@ not a marker @@"
"""


class MarksTest(et.EmbargoTestCase):

    def setUp(self):
        super().setUp()
        self.partners = []
        for i in range(6):
            out = self.ok_json("partner", "add", "Partner %d" % i,
                               "--tier", "poc", "--country", "DE",
                               "--json")
            self.partners.append(out["id"])
        self.ok("advisory", "create", "ADV-1", "--title", "T",
                "--patch-at", et.future(days=10))

    def copy(self, name, partner):
        rc, out, err = self.emb("copy", "ADV-1", name, "--partner",
                                partner, binary=True)
        self.assertEqual(rc, 0, err)
        return out

    def test_template_copies(self):
        path = self.write_file("tpl.py", TEMPLATE)
        rc, out, err = self.emb("advisory", "attach", "ADV-1", path,
                                "--kind", "poc", "--tier", "poc",
                                "--mark", "template")
        self.assertEqual(rc, 0, err)
        self.assertIn("5 canaries", out)
        copies = {p: self.copy("tpl.py", p) for p in self.partners}
        # Deterministic: the same partner always gets the same bytes.
        for p in self.partners[:2]:
            self.assertEqual(self.copy("tpl.py", p), copies[p])
        # Pairwise distinct (the canaries alone guarantee it).
        self.assertEqual(len(set(copies.values())), len(copies))
        for p, c in copies.items():
            text = c.decode()
            self.assertNotIn("@@mark", text)
            self.assertNotIn("@@canary", text)
            self.assertIn('LITERAL = "@@ not a marker @@"', text)
            self.assertRegex(text, r'UA = "Mozilla/5\.0 .* rid/[a-z2-7]{20}"')
            self.assertRegex(text, r'HOST = "h[a-z2-7]{23}\.example"')
            self.assertRegex(text, r'REQ = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]'
                             r'{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"')
            self.assertRegex(text, r'TOKEN = "[0-9a-f]{24}"')
            self.assertRegex(text, r'B32 = "[a-z2-7]{20}"')
            self.assertRegex(text, r'PORT = (443|0x1BB)\n')
            self.assertRegex(text, r'NAME = "(probe|check|scan|test)"')
            compile(text, "copy", "exec")  # still valid Python
        # Canary tokens differ between partners.
        toks = {re.search(r'TOKEN = "(\w+)"', c.decode()).group(1)
                for c in copies.values()}
        self.assertEqual(len(toks), len(copies))

    def test_delivery_records_copy_hash(self):
        path = self.write_file("tpl.py", TEMPLATE)
        self.ok("advisory", "attach", "ADV-1", path, "--kind", "poc",
                "--tier", "poc")
        c = self.copy("tpl.py", self.partners[0])
        ev = [e for e in self.audit_events() if e["type"] == "delivery"]
        self.assertEqual(len(ev), 1)
        self.assertEqual(ev[0]["detail"]["sha256"],
                         hashlib.sha256(c).hexdigest())
        self.assertEqual(ev[0]["detail"]["partner"], self.partners[0])
        # The original's hash (attach) differs from the copy's.
        att = [e for e in self.audit_events()
               if e["type"] == "artifact.attach"][0]
        self.assertNotEqual(att["detail"]["sha256"],
                            ev[0]["detail"]["sha256"])

    def test_mark_none_is_verbatim(self):
        path = self.write_file("tpl.py", TEMPLATE)
        self.ok("advisory", "attach", "ADV-1", path, "--kind", "poc",
                "--tier", "poc", "--mark", "none")
        for p in self.partners[:3]:
            self.assertEqual(self.copy("tpl.py", p), TEMPLATE.encode())

    def test_binary_warns_and_is_verbatim(self):
        data = bytes(range(256)) * 8
        path = self.write_file("blob.bin", data)
        rc, out, err = self.emb("advisory", "attach", "ADV-1", path,
                                "--kind", "other", "--tier", "poc")
        self.assertEqual(rc, 0, err)
        self.assertIn("byte-identical", err)
        self.assertEqual(self.copy("blob.bin", self.partners[0]), data)

    def test_weak_artifact_warns(self):
        path = self.write_file("tiny.txt", "x = @@mark:1|2@@\n")
        rc, out, err = self.emb("advisory", "attach", "ADV-1", path,
                                "--kind", "other", "--tier", "poc",
                                "--mark", "template")
        self.assertEqual(rc, 0, err)
        self.assertIn("cannot identify a single leaker", err)

    def test_malformed_marker_refused(self):
        before = self.audit_log()
        for text, msg in [("a\nb = @@mark:x@@\n", "line 2"),
                          ("@@mark:x|y", "closing"),
                          ("@@canary:rot13@@", "format")]:
            path = self.write_file("bad.py", text)
            rc, out, err = self.emb("advisory", "attach", "ADV-1", path,
                                    "--kind", "poc", "--tier", "poc")
            self.assertOneLineError(rc, out, err, msg)
        self.assertEqual(self.audit_log(), before)

    def test_marks_report(self):
        path = self.write_file("tpl.py", TEMPLATE)
        self.ok("advisory", "attach", "ADV-1", path, "--kind", "poc",
                "--tier", "poc", "--mark", "template")
        rep = self.ok_json("advisory", "show", "ADV-1", "--marks", "--json")
        self.assertEqual(rep["advisory"], "ADV-1")
        self.assertEqual(len(rep["artifacts"]), 1)
        a = rep["artifacts"][0]
        self.assertEqual(a["artifact"], "tpl.py")
        self.assertEqual(a["robust_sites"], 2)
        self.assertAlmostEqual(a["robust_bits"], 1 + 2, places=6)
        self.assertEqual(a["canaries"], 5)
        self.assertEqual(rep["total"]["rules"]["template.mark"]["sites"], 2)
        sim = rep["simulation"]
        self.assertGreaterEqual(sim["partners"], 80)
        self.assertEqual(sim["innocents_accused"], 0)
        self.assertEqual([r["colluders"] for r in sim["by_colluders"]],
                         [1, 2, 3])
        text = self.ok("advisory", "show", "ADV-1", "--marks")
        self.assertIn("1 leaker named", text)
        self.assertIn("template.mark", text)

    def test_demo_advisory_capacity(self):
        """The demo's material offers real capacity once discovery runs."""
        for name, kind, tier in [("advisory.md", "advisory", "notify"),
                                 ("detection.yar", "detection", "detect"),
                                 ("poc.py", "poc", "poc")]:
            self.ok("advisory", "attach", "ADV-1",
                    os.path.join(SRC, "demo", name), "--kind", kind,
                    "--tier", tier)
        rep = self.ok_json("advisory", "show", "ADV-1", "--marks", "--json")
        langs = {a["artifact"]: a["language"] for a in rep["artifacts"]}
        self.assertEqual(langs, {"advisory.md": "prose",
                                 "detection.yar": "yara",
                                 "poc.py": "python"})
        for a in rep["artifacts"]:
            self.assertGreater(a["robust_sites"], 0, a)


if __name__ == "__main__":
    unittest.main()
