#!/usr/bin/env python3
"""End-to-end: the happy path of every embargo command.

Run standalone: python3 tests/e2e/test_cli.py (EMBARGO_BIN names the
binary).  Each test has its own fresh data directory.
"""

import base64
import datetime
import hashlib
import json
import os
import re
import sqlite3
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import embargo_test as et  # noqa: E402
from embargo_test import EmbargoTestCase  # noqa: E402

CVSS_CRIT = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8
CVSS_MED = "CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:L/I:L/A:N"   # 3.7 low..


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


def token_of(out):
    m = re.search(r"^token: (\S+)$", out, re.M)
    return m.group(1) if m else None


class InitTest(EmbargoTestCase):
    init_home = False

    def check_datadir(self, d):
        self.assertTrue(os.path.isdir(d))
        self.assertEqual(mode_of(d), 0o700, "data dir mode")
        for f in ("master.key", "sign.key"):
            p = os.path.join(d, f)
            self.assertTrue(os.path.isfile(p), f)
            self.assertEqual(mode_of(p), 0o600, f + " mode")
            self.assertEqual(os.path.getsize(p), 32, f + " size")
        db = os.path.join(d, "embargo.db")
        self.assertTrue(os.path.isfile(db))
        with open(db, "rb") as f:
            self.assertEqual(f.read(16), b"SQLite format 3\x00")
        self.assertNotEqual(read(os.path.join(d, "master.key")),
                            read(os.path.join(d, "sign.key")))
        # Nothing left beside it from the build-and-rename.
        parent = os.path.dirname(d)
        left = [n for n in os.listdir(parent) if ".init-" in n]
        self.assertEqual(left, [], "temporary init directories left")

    def test_init_creates_private_datadir(self):
        rc, out, err = self.emb("init")
        self.assertEqual(rc, 0, err)
        self.assertIn("initialised", out)
        self.assertIn("notify < detect < poc", out)
        self.assertEqual(err, "")
        self.check_datadir(self.home)
        ev = self.audit_events()
        self.assertEqual(len(ev), 1)
        self.assertEqual(ev[0]["seq"], 1)
        self.assertEqual(ev[0]["type"], "instance.init")
        self.assertEqual(ev[0]["detail"]["tiers"], ["notify", "detect", "poc"])
        self.assertRegex(ev[0]["hash"], r"^[0-9a-f]{64}$")
        self.ok("audit", "verify")

    def test_init_two_instances_have_different_keys(self):
        a = os.path.join(self.tmp, "a")
        b = os.path.join(self.tmp, "b")
        self.ok("init", home=a)
        self.ok("init", home=b)
        for f in ("master.key", "sign.key"):
            self.assertNotEqual(read(os.path.join(a, f)),
                                read(os.path.join(b, f)), f)

    def test_init_on_empty_existing_dir(self):
        os.mkdir(self.home, 0o755)
        os.chmod(self.home, 0o755)
        rc, out, err = self.emb("init")
        self.assertEqual(rc, 0, err)
        self.check_datadir(self.home)
        self.ok("tier", "list")

    def test_init_refuses_nonempty_dir(self):
        os.mkdir(self.home)
        keep = os.path.join(self.home, "keep.txt")
        with open(keep, "w") as f:
            f.write("precious\n")
        rc, out, err = self.emb("init")
        self.assertOneLineError(rc, out, err, ["not empty", self.home])
        self.assertEqual(os.listdir(self.home), ["keep.txt"])
        self.assertEqual(read(keep, "r"), "precious\n")
        self.assertEqual([n for n in os.listdir(self.tmp) if ".init-" in n],
                         [])

    def test_init_refuses_existing_datadir(self):
        self.ok("init")
        before = self.audit_log()
        key = read(os.path.join(self.home, "master.key"))
        rc, out, err = self.emb("init")
        self.assertOneLineError(rc, out, err, "not empty")
        self.assertEqual(self.audit_log(), before)
        self.assertEqual(read(os.path.join(self.home, "master.key")), key)

    def test_datadir_from_embargo_home_and_default(self):
        home = os.path.join(self.tmp, "fromenv")
        rc, out, err = et.run(["init"], env={"EMBARGO_HOME": home},
                              cwd=self.tmp)
        self.assertEqual(rc, 0, err)
        self.check_datadir(home)
        rc, out, err = et.run(["tier", "list"], env={"EMBARGO_HOME": home},
                              cwd=self.tmp)
        self.assertEqual(rc, 0, err)
        self.assertIn("poc", out)
        # Without EMBARGO_HOME: ./embargo-data in the working directory.
        rc, out, err = et.run(["init"], cwd=self.tmp)
        self.assertEqual(rc, 0, err)
        self.check_datadir(os.path.join(self.tmp, "embargo-data"))
        # -d wins over EMBARGO_HOME.
        rc, out, err = et.run(["init"], datadir=self.home,
                              env={"EMBARGO_HOME": home}, cwd=self.tmp)
        self.assertEqual(rc, 0, err)
        self.check_datadir(self.home)

    def test_command_help(self):
        # The top-level usage says "Run 'embargo COMMAND --help' for a
        # command's options": that is a request, not an error.
        self.ok("init")
        for cmd, words in ((["init"], ["init"]),
                           (["tier"], ["list", "add", "--rank"]),
                           (["partner"], ["add", "--tier", "--rotate"]),
                           (["advisory"], ["create", "attach", "--patch-at"]),
                           (["copy"], ["--partner"]),
                           (["audit"], ["log", "verify"]),
                           (["tier", "add"], ["--rank"]),
                           (["advisory", "attach"], ["--kind", "--tier"])):
            with self.subTest(cmd=cmd):
                rc, out, err = self.emb(*cmd, "--help")
                self.assertEqual(rc, 0, "%s --help: rc %d, stderr %r"
                                 % (" ".join(cmd), rc, err))
                for w in words:
                    self.assertIn(w, out, "%s --help" % " ".join(cmd))

    def test_version_and_help(self):
        rc, out, err = et.run(["--version"])
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^embargo \d+\.\d+\.\d+\n$")
        rc, out, err = et.run(["--help"])
        self.assertEqual(rc, 0)
        self.assertIn("usage: embargo", out)
        for cmd in ("init", "tier", "partner", "advisory", "copy", "audit"):
            self.assertIn(cmd, out)


class TierTest(EmbargoTestCase):
    def test_default_tiers(self):
        out = self.ok("tier", "list")
        rows = [l.split() for l in out.splitlines()]
        self.assertEqual(rows, [["TIER", "RANK"], ["notify", "10"],
                                ["detect", "20"], ["poc", "30"]])
        self.assertEqual(self.ok_json("tier", "list", "--json"),
                         [{"name": "notify", "rank": 10},
                          {"name": "detect", "rank": 20},
                          {"name": "poc", "rank": 30}])

    def test_tier_add(self):
        out = self.ok("tier", "add", "gold", "--rank", "25")
        self.assertIn("gold", out)
        self.assertIn("25", out)
        self.ok("tier", "add", "bottom", "--rank", "0")
        tiers = self.ok_json("tier", "list", "--json")
        self.assertEqual([t["name"] for t in tiers],
                         ["bottom", "notify", "detect", "gold", "poc"])
        self.assertEqual(tiers[3], {"name": "gold", "rank": 25})
        ev = self.audit_events()
        self.assertEqual([(e["type"], e["subject"], e["detail"])
                          for e in ev[1:]],
                         [("tier.add", "gold", {"rank": 25}),
                          ("tier.add", "bottom", {"rank": 0})])

    def test_new_tier_ranks_between(self):
        # A partner in a tier ranked 25 sees detect (20) but not poc (30).
        self.ok("tier", "add", "gold", "--rank", "25")
        self.ok("partner", "add", "Gold Co", "--tier", "gold")
        self.ok("advisory", "create", "ADV-1", "--title", "t",
                "--patch-at", et.future(days=10))
        f = self.write_file("a.txt", "x\n")
        self.ok("advisory", "attach", "ADV-1", f, "--kind", "detection",
                "--tier", "detect", "--name", "det")
        self.ok("advisory", "attach", "ADV-1", f, "--kind", "poc",
                "--tier", "poc", "--name", "poc")
        acc = self.ok_json("advisory", "access", "ADV-1", "--json")
        row = acc["partners"][0]
        self.assertEqual(row["partner"], "gold-co")
        self.assertEqual(row["tier"], "gold")
        self.assertEqual(row["artifacts"]["det"], "visible")
        self.assertIn("tier", row["artifacts"]["poc"])


class PartnerTest(EmbargoTestCase):
    def add(self, name, *opts):
        rc, out, err = self.emb("partner", "add", name, *opts)
        self.assertEqual(rc, 0, err)
        return out, err

    def test_add_derives_id_and_prints_token_once(self):
        out, err = self.add("Acme Security, Inc.", "--tier", "poc",
                            "--country", "de", "--contact",
                            "psirt@acme.example")
        self.assertRegex(out, r"(?m)^id: +acme-security-inc$")
        tok = token_of(out)
        self.assertIsNotNone(tok, out)
        self.assertRegex(tok, et.TOKEN_RE)
        # A reminder that the token is shown only once (one stderr line).
        self.assertRegex(err, r"^embargo: .*once.*\n$")
        p = self.ok_json("partner", "show", "acme-security-inc", "--json")
        self.assertEqual(p["id"], "acme-security-inc")
        self.assertEqual(p["name"], "Acme Security, Inc.")
        self.assertEqual(p["country"], "DE")
        self.assertEqual(p["contact"], "psirt@acme.example")
        self.assertEqual(p["tier"], "poc")
        self.assertEqual(p["status"], "active")
        self.assertEqual(p["created"], p["updated"])
        # Neither the token nor its stored keyed hash shows up anywhere.
        c = sqlite3.connect(os.path.join(self.home, "embargo.db"))
        (h,), = c.execute("SELECT token_hash FROM partners WHERE id = ?",
                          ("acme-security-inc",)).fetchall()
        c.close()
        self.assertGreaterEqual(len(h), 16)
        hash_forms = [h.hex(), h.hex().upper(),
                      base64.b64encode(h).decode().rstrip("="),
                      base64.urlsafe_b64encode(h).decode().rstrip("=")]
        for args in (("partner", "list", "--json"),
                     ("partner", "show", "acme-security-inc", "--json"),
                     ("partner", "show", "acme-security-inc"),
                     ("audit", "log", "--json")):
            out = self.ok(*args)
            for form in hash_forms:
                self.assertNotIn(form, out, args)
            self.assertNotIn("token_hash", out, args)
        # The token never shows up again.
        for args in (("partner", "show", "acme-security-inc"),
                     ("partner", "show", "acme-security-inc", "--json"),
                     ("partner", "list"), ("partner", "list", "--json"),
                     ("audit", "log"), ("audit", "log", "--json")):
            self.assertNotIn(tok, self.ok(*args), args)
            self.assertNotIn(tok[4:], self.ok(*args), args)

    def test_add_with_id_json_and_minimal(self):
        p = self.ok_json("partner", "add", "Beta AV", "--tier", "detect",
                         "--id", "beta", "--json")
        self.assertEqual(set(p), {"id", "token"})
        self.assertEqual(p["id"], "beta")
        self.assertRegex(p["token"], et.TOKEN_RE)
        q = self.ok_json("partner", "add", "Gamma", "--tier", "notify",
                         "--json")
        self.assertEqual(q["id"], "gamma")
        self.assertNotEqual(p["token"], q["token"])
        g = self.ok_json("partner", "show", "gamma", "--json")
        self.assertIsNone(g["country"])
        self.assertIsNone(g["contact"])
        out = self.ok("partner", "show", "gamma")
        self.assertRegex(out, r"(?m)^country: +-$")
        self.assertRegex(out, r"(?m)^tier: +notify$")
        self.assertRegex(out, r"(?m)^status: +active$")

    def test_list_and_show(self):
        self.add("Zed Labs", "--tier", "poc", "--country", "US")
        self.add("Alpha Co", "--tier", "notify", "--id", "alpha")
        lst = self.ok_json("partner", "list", "--json")
        self.assertEqual([p["id"] for p in lst], ["alpha", "zed-labs"])
        for p in lst:
            self.assertEqual(set(p), {"id", "name", "country", "contact",
                                      "tier", "status", "cert_pin_sha256",
                                      "created", "updated"})
            self.assertNotIn("hash", json.dumps(p).lower())
            self.assertNotIn("token", json.dumps(p).lower())
        out = self.ok("partner", "list")
        rows = [l.split() for l in out.splitlines()]
        self.assertEqual(rows[0], ["ID", "TIER", "STATUS", "COUNTRY",
                                   "NAME"])
        self.assertEqual(rows[1], ["alpha", "notify", "active", "-", "Alpha",
                                   "Co"])
        self.assertEqual(rows[2], ["zed-labs", "poc", "active", "US", "Zed",
                                   "Labs"])
        show = self.ok_json("partner", "show", "zed-labs", "--json")
        self.assertEqual(show, lst[1])
        out = self.ok("partner", "show", "zed-labs")
        self.assertRegex(out, r"(?m)^name: +Zed Labs$")
        self.assertNotIn("hash", out.lower())
        self.assertNotIn("token", out.lower())

    def test_set_tier_suspend_reinstate(self):
        self.add("Acme", "--tier", "poc")
        self.assertIn("acme", self.ok("partner", "set", "acme", "--tier",
                                      "detect"))
        self.assertEqual(self.ok_json("partner", "show", "acme",
                                      "--json")["tier"], "detect")
        self.ok("partner", "set", "acme", "--suspend")
        self.assertEqual(self.ok_json("partner", "show", "acme",
                                      "--json")["status"], "suspended")
        self.ok("partner", "set", "acme", "--reinstate")
        p = self.ok_json("partner", "show", "acme", "--json")
        self.assertEqual(p["status"], "active")
        self.assertEqual(p["tier"], "detect")
        self.assertGreaterEqual(et.parse_time(p["updated"]),
                                et.parse_time(p["created"]))
        ev = self.audit_events()
        self.assertEqual([(e["type"], e["subject"]) for e in ev[1:]],
                         [("partner.add", "acme"), ("partner.tier", "acme"),
                          ("partner.suspend", "acme"),
                          ("partner.reinstate", "acme")])
        self.assertEqual(ev[2]["detail"], {"from": "poc", "to": "detect"})

    def test_revoke_is_final(self):
        self.add("Acme", "--tier", "poc")
        self.ok("partner", "set", "acme", "--revoke")
        self.assertEqual(self.ok_json("partner", "show", "acme",
                                      "--json")["status"], "revoked")
        before = self.audit_log()
        for args in (("partner", "set", "acme", "--reinstate"),
                     ("partner", "token", "acme", "--rotate"),
                     ("partner", "set", "acme", "--suspend"),
                     ("partner", "set", "acme", "--tier", "notify")):
            rc, out, err = self.emb(*args)
            self.assertOneLineError(rc, out, err, ["acme", "revoked"], args)
        self.assertEqual(self.audit_log(), before)
        self.assertEqual(self.ok_json("partner", "show", "acme",
                                      "--json")["status"], "revoked")

    def test_token_rotate(self):
        out, _ = self.add("Acme", "--tier", "poc")
        t1 = token_of(out)
        rc, out, err = self.emb("partner", "token", "acme", "--rotate")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"(?m)^id: +acme$")
        t2 = token_of(out)
        self.assertRegex(t2, et.TOKEN_RE)
        self.assertNotEqual(t1, t2)
        j = self.ok_json("partner", "token", "acme", "--rotate", "--json")
        self.assertEqual(j["id"], "acme")
        self.assertRegex(j["token"], et.TOKEN_RE)
        self.assertNotIn(j["token"], (t1, t2))
        ev = self.audit_events()
        self.assertEqual([e["type"] for e in ev[-2:]],
                         ["partner.token", "partner.token"])
        log = self.audit_log()
        for t in (t1, t2, j["token"]):
            self.assertNotIn(t[4:], log)
        # Only a keyed hash is stored: no token in the database files.
        blob = b""
        for f in os.listdir(self.home):
            if f.startswith("embargo.db"):
                blob += read(os.path.join(self.home, f))
        for t in (t1, t2, j["token"]):
            self.assertNotIn(t.encode(), blob)
            self.assertNotIn(t[4:].encode(), blob)


class AdvisoryTest(EmbargoTestCase):
    def setUp(self):
        super().setUp()
        self.patch = et.future(days=14)

    def create(self, adv="ADV-1", *extra, patch=None):
        return self.ok("advisory", "create", adv, "--title",
                       "Exchange pre-auth RCE", "--patch-at",
                       patch or self.patch, *extra)

    def attach(self, adv, path, *opts):
        return self.ok("advisory", "attach", adv, path, *opts)

    def test_create_show_list(self):
        out = self.create("ADV-2021-001", "--cve", "CVE-2021-26855",
                          "--cve", "CVE-2021-26857,CVE-2021-26858",
                          "--severity", "critical", "--cvss", CVSS_CRIT,
                          "--product", "Exchange Server 2019",
                          "--product", "Exchange Server 2016")
        self.assertIn("ADV-2021-001", out)
        self.assertIn("draft", out)
        a = self.ok_json("advisory", "show", "ADV-2021-001", "--json")
        self.assertEqual(a["id"], "ADV-2021-001")
        self.assertEqual(a["title"], "Exchange pre-auth RCE")
        self.assertEqual(a["cves"], ["CVE-2021-26855", "CVE-2021-26857",
                                     "CVE-2021-26858"])
        self.assertEqual(a["products"], ["Exchange Server 2019",
                                         "Exchange Server 2016"])
        self.assertEqual(a["severity"], "critical")
        self.assertEqual(a["cvss"], {"version": "3.1", "vector": CVSS_CRIT,
                                     "base_score": 9.8})
        self.assertEqual(a["patch_at"], self.patch)
        self.assertEqual(a["state"], "draft")
        self.assertIsNone(a["published"])
        self.assertEqual(a["reschedules"], [])
        self.assertEqual(a["exclusions"], [])
        out = self.ok("advisory", "show", "ADV-2021-001")
        self.assertRegex(out, r"(?m)^state: +draft$")
        self.assertRegex(out, r"(?m)^cves: +CVE-2021-26855 CVE-2021-26857"
                              r" CVE-2021-26858$")
        self.assertRegex(out, r"(?m)^patch at: +%s$" % re.escape(self.patch))
        self.assertIn("Exchange Server 2016", out)
        self.create("ADV-2")
        lst = self.ok_json("advisory", "list", "--json")
        self.assertEqual([x["id"] for x in lst], ["ADV-2021-001", "ADV-2"])
        self.assertNotIn("artifacts", lst[0])
        self.assertEqual(lst[0]["cves"], a["cves"])
        out = self.ok("advisory", "list")
        rows = out.splitlines()
        self.assertEqual(rows[0].split()[:4], ["ID", "STATE", "SEVERITY",
                                               "PATCH"])
        self.assertEqual(rows[1].split()[:4], ["ADV-2021-001", "draft",
                                               "critical", self.patch])
        self.assertEqual(rows[2].split()[:4], ["ADV-2", "draft", "-",
                                               self.patch])
        ev = self.audit_events()
        self.assertEqual(ev[-2]["type"], "advisory.create")
        self.assertEqual(ev[-2]["subject"], "ADV-2021-001")
        self.assertEqual(ev[-2]["detail"]["cves"], a["cves"])

    def test_show_json_lists_artifacts_even_when_none(self):
        # The shape of `advisory show --json` does not depend on the data:
        # an advisory without artifacts has "artifacts": [].
        self.create()
        a = self.ok_json("advisory", "show", "ADV-1", "--json")
        self.assertEqual(a.get("artifacts"), [])

    def test_severity_from_cvss(self):
        self.create("ADV-1", "--cvss", CVSS_CRIT)
        a = self.ok_json("advisory", "show", "ADV-1", "--json")
        self.assertEqual(a["severity"], "critical")
        self.create("ADV-2", "--cvss", CVSS_MED)
        a = self.ok_json("advisory", "show", "ADV-2", "--json")
        self.assertEqual(a["cvss"]["base_score"], 3.7)
        self.assertEqual(a["severity"], "low")
        self.create("ADV-3", "--cvss",
                    "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H")
        a = self.ok_json("advisory", "show", "ADV-3", "--json")
        self.assertEqual(a["cvss"]["version"], "3.0")
        self.assertEqual(a["cvss"]["base_score"], 10.0)

    def test_attach_defaults_and_options(self):
        self.create()
        content = b"# detection guidance\nalert tcp any any\n"
        f = self.write_file("guide.txt", content)
        out = self.attach("ADV-1", f, "--kind", "detection", "--tier",
                          "detect")
        self.assertIn("guide.txt", out)
        self.assertIn("%d bytes" % len(content), out)
        rel = et.future(days=3)
        self.attach("ADV-1", f, "--kind", "poc", "--tier", "poc", "--name",
                    "exploit.py", "--mark", "template", "--release-at", rel)
        self.attach("ADV-1", f, "--kind", "advisory", "--tier", "notify",
                    "--name", "advisory.md", "--mark", "none")
        self.attach("ADV-1", f, "--kind", "other", "--tier", "notify",
                    "--name", "notes")
        a = self.ok_json("advisory", "show", "ADV-1", "--json")
        self.assertEqual(a["state"], "shared")
        arts = {x["name"]: x for x in a["artifacts"]}
        self.assertEqual(set(arts), {"guide.txt", "exploit.py", "advisory.md",
                                     "notes"})
        g = arts["guide.txt"]
        self.assertEqual(g["kind"], "detection")
        self.assertEqual(g["tier"], "detect")
        self.assertEqual(g["mark"], "auto")
        self.assertEqual(g["size"], len(content))
        self.assertEqual(g["sha256"], hashlib.sha256(content).hexdigest())
        # Released on attach.
        self.assertLessEqual(et.parse_time(g["release_at"]),
                             et.utcnow() + datetime.timedelta(seconds=1))
        self.assertEqual(g["release"], {"at": g["release_at"]})
        e = arts["exploit.py"]
        self.assertEqual((e["kind"], e["tier"], e["mark"]),
                         ("poc", "poc", "template"))
        self.assertEqual(e["release_at"], rel)
        self.assertEqual(e["release"], {"at": rel})
        self.assertEqual(arts["advisory.md"]["mark"], "none")
        self.assertEqual(arts["advisory.md"]["kind"], "advisory")
        self.assertEqual(arts["notes"]["kind"], "other")
        self.assertNotIn("withdrawn", g)
        out = self.ok("advisory", "show", "ADV-1")
        self.assertRegex(out, r"(?m)^state: +shared$")
        self.assertRegex(out, r"(?m)^exploit\.py +poc +poc +template +%d +live"
                              r" +%s$" % (len(content), re.escape(rel)))
        ev = self.audit_events()
        att = [x for x in ev if x["type"] == "artifact.attach"]
        self.assertEqual([x["subject"] for x in att],
                         ["ADV-1/guide.txt", "ADV-1/exploit.py",
                          "ADV-1/advisory.md", "ADV-1/notes"])
        self.assertEqual(att[0]["detail"]["sha256"], g["sha256"])
        self.assertEqual(att[1]["detail"]["release_at"], rel)

    def test_attach_max_size(self):
        self.create()
        f = os.path.join(self.tmp, "big.bin")
        with open(f, "wb") as fh:
            fh.truncate(16 * 1024 * 1024)
        self.attach("ADV-1", f, "--kind", "other", "--tier", "poc")
        a = self.ok_json("advisory", "show", "ADV-1", "--json")
        self.assertEqual(a["artifacts"][0]["size"], 16 * 1024 * 1024)

    def test_relative_release_follows_reschedule(self):
        self.create()
        f = self.write_file("poc.py", "print('x')\n")
        self.attach("ADV-1", f, "--kind", "poc", "--tier", "poc",
                    "--release-before", "7d")
        patch0 = et.parse_time(self.patch)

        def art():
            a = self.ok_json("advisory", "show", "ADV-1", "--json")
            return a, a["artifacts"][0]

        a, x = art()
        self.assertEqual(x["release"], {"before_patch": "7d"})
        self.assertEqual(et.parse_time(x["release_at"]),
                         patch0 - datetime.timedelta(days=7))
        out = self.ok("advisory", "show", "ADV-1")
        self.assertIn("7d before patch", out)
        # Postpone by two days: the release moves with it.
        later = et.future(days=2, base=patch0)
        out = self.ok("advisory", "reschedule", "ADV-1", "--patch-at", later,
                      "--reason", "QA found a regression")
        self.assertIn(later, out)
        a, x = art()
        self.assertEqual(a["patch_at"], later)
        self.assertEqual(et.parse_time(x["release_at"]),
                         patch0 + datetime.timedelta(days=2 - 7))
        self.assertEqual(len(a["reschedules"]), 1)
        r = a["reschedules"][0]
        self.assertEqual((r["from"], r["to"], r["direction"], r["reason"]),
                         (self.patch, later, "postpone",
                          "QA found a regression"))
        # Expedite to nine days from now: release is two days from now.
        sooner = et.future(days=9)
        self.ok("advisory", "reschedule", "ADV-1", "--patch-at", sooner,
                "--reason", "exploited in the wild")
        a, x = art()
        self.assertEqual(a["patch_at"], sooner)
        self.assertEqual(et.parse_time(x["release_at"]),
                         et.parse_time(sooner) - datetime.timedelta(days=7))
        self.assertEqual([r["direction"] for r in a["reschedules"]],
                         ["postpone", "expedite"])
        out = self.ok("advisory", "show", "ADV-1")
        self.assertIn("expedite", out)
        self.assertIn("exploited in the wild", out)
        ev = self.audit_events()
        rs = [e for e in ev if e["type"] == "advisory.reschedule"]
        self.assertEqual(len(rs), 2)
        self.assertEqual(rs[1]["detail"]["direction"], "expedite")
        self.assertEqual(rs[1]["detail"]["reason"], "exploited in the wild")
        # An absolute release time does not move.
        rel = et.future(days=1)
        self.attach("ADV-1", f, "--kind", "poc", "--tier", "poc", "--name",
                    "abs.py", "--release-at", rel)
        self.ok("advisory", "reschedule", "ADV-1", "--patch-at",
                et.future(days=20), "--reason", "postponed again")
        a = self.ok_json("advisory", "show", "ADV-1", "--json")
        arts = {x["name"]: x for x in a["artifacts"]}
        self.assertEqual(arts["abs.py"]["release_at"], rel)

    def setup_matrix(self):
        """Partners in every situation and three artifacts."""
        for args in (("Poc DE", "--tier", "poc", "--country", "DE",
                      "--id", "poc-de"),
                     ("Poc RU", "--tier", "poc", "--country", "RU",
                      "--id", "poc-ru"),
                     ("Poc X", "--tier", "poc", "--id", "poc-x"),
                     ("Det", "--tier", "detect", "--country", "US",
                      "--id", "det"),
                     ("Note", "--tier", "notify", "--id", "note"),
                     ("Sus", "--tier", "poc", "--id", "sus")):
            self.ok("partner", "add", *args)
        self.ok("partner", "set", "sus", "--suspend")
        self.create()
        f = self.write_file("a.txt", "text\n")
        self.attach("ADV-1", f, "--kind", "advisory", "--tier", "notify",
                    "--name", "adv.txt")
        self.attach("ADV-1", f, "--kind", "detection", "--tier", "detect",
                    "--name", "det.yar")
        self.attach("ADV-1", f, "--kind", "poc", "--tier", "poc",
                    "--name", "poc.py", "--release-before", "3d")

    def assertMatrix(self, m, expect):
        """m equals expect, where a tuple in expect allows any of its
        values."""
        self.assertEqual(sorted(m), sorted(expect))
        for p in expect:
            self.assertEqual(sorted(m[p]), sorted(expect[p]), p)
            for art, want in expect[p].items():
                allowed = want if isinstance(want, tuple) else (want,)
                self.assertIn(m[p][art], allowed, (p, art))

    def matrix(self, *extra):
        acc = self.ok_json("advisory", "access", "ADV-1", "--json", *extra)
        return acc, {r["partner"]: r["artifacts"] for r in acc["partners"]}

    def test_access_matrix(self):
        self.setup_matrix()
        V = "visible"
        TIER = "the partner's tier ranks below the artifact's"
        LATER = "the artifact is not released yet"
        INACT = "the partner is not active"
        EXCL = "the partner is excluded from this advisory"
        acc, m = self.matrix()
        self.assertEqual(acc["advisory"], "ADV-1")
        self.assertEqual(acc["state"], "shared")
        self.assertEqual([r["partner"] for r in acc["partners"]],
                         ["det", "note", "poc-de", "poc-ru", "poc-x", "sus"])
        self.assertEqual([r["tier"] for r in acc["partners"]],
                         ["detect", "notify", "poc", "poc", "poc", "poc"])
        # Where several reasons apply, any one of them may be given.
        expect = {
            "poc-de": {"adv.txt": V, "det.yar": V, "poc.py": LATER},
            "poc-ru": {"adv.txt": V, "det.yar": V, "poc.py": LATER},
            "poc-x": {"adv.txt": V, "det.yar": V, "poc.py": LATER},
            "det": {"adv.txt": V, "det.yar": V, "poc.py": (TIER, LATER)},
            "note": {"adv.txt": V, "det.yar": TIER, "poc.py": (TIER, LATER)},
            "sus": {"adv.txt": INACT, "det.yar": INACT,
                    "poc.py": (INACT, LATER)},
        }
        self.assertMatrix(m, expect)
        # Exclusions: one partner by id, one by country (lower case is
        # normalised).
        self.assertIn("poc-x", self.ok("advisory", "exclude", "ADV-1",
                                       "--partner", "poc-x"))
        self.ok("advisory", "exclude", "ADV-1", "--country", "ru")
        a = self.ok_json("advisory", "show", "ADV-1", "--json")
        self.assertEqual(sorted((k, v) for e in a["exclusions"]
                                for k, v in e.items() if k != "at"),
                         [("country", "RU"), ("partner", "poc-x")])
        acc, m = self.matrix()
        for art in ("adv.txt", "det.yar"):
            expect["poc-x"][art] = EXCL
            expect["poc-ru"][art] = EXCL
        expect["poc-x"]["poc.py"] = (EXCL, LATER)
        expect["poc-ru"]["poc.py"] = (EXCL, LATER)
        self.assertMatrix(m, expect)
        # After the release time (3 days before patch) but before patch.
        at = et.future(days=12)
        acc, m = self.matrix("--at", at)
        self.assertEqual(acc["at"], at)
        self.assertEqual(acc["state"], "shared")
        self.assertEqual(m["poc-de"]["poc.py"], V)
        self.assertEqual(m["poc-x"]["poc.py"], EXCL)
        self.assertEqual(m["poc-ru"]["poc.py"], EXCL)
        self.assertEqual(m["det"]["poc.py"], TIER)
        # Text form: a header and one row per partner.
        out = self.ok("advisory", "access", "ADV-1")
        lines = out.splitlines()
        self.assertIn("ADV-1", lines[0])
        self.assertIn("shared", lines[0])
        self.assertEqual(lines[1].split(), ["PARTNER", "TIER", "adv.txt",
                                            "det.yar", "poc.py"])
        rows = {l.split()[0]: l.split()[1:] for l in lines[2:]}
        self.assertEqual(rows["poc-de"], ["poc", "yes", "yes", "later"])
        self.assertEqual(rows["note"][:3], ["notify", "yes", "tier"])
        self.assertEqual(rows["poc-x"][:3], ["poc", "excluded", "excluded"])
        self.assertIn(rows["poc-x"][3], ("excluded", "later"))
        self.assertEqual(rows["sus"][:3], ["poc", "inactive", "inactive"])

    def test_access_draft(self):
        self.ok("partner", "add", "P", "--tier", "poc")
        self.create()
        acc = self.ok_json("advisory", "access", "ADV-1", "--json")
        self.assertEqual(acc["state"], "draft")
        self.assertEqual(acc["partners"], [{"partner": "p", "tier": "poc",
                                            "artifacts": {}}])

    def test_past_patch_time_counts_as_published(self):
        self.setup_matrix()
        after = et.future(days=15)
        acc, m = self.matrix("--at", after)
        self.assertEqual(acc["state"], "published")
        self.assertEqual(m["poc-de"], {"adv.txt": "visible",
                                       "det.yar": "visible",
                                       "poc.py": "visible"})
        self.assertEqual(m["det"]["poc.py"],
                         "the partner's tier ranks below the artifact's")
        self.assertEqual(m["sus"]["adv.txt"], "the partner is not active")
        # Now it is still shared.
        self.assertEqual(self.ok_json("advisory", "show", "ADV-1",
                                      "--json")["state"], "shared")

    def test_publish_releases_everything_tier_allowed(self):
        self.setup_matrix()
        self.ok("advisory", "exclude", "ADV-1", "--partner", "poc-x")
        acc, m = self.matrix()
        self.assertEqual(m["poc-de"]["poc.py"],
                         "the artifact is not released yet")
        out = self.ok("advisory", "publish", "ADV-1")
        self.assertIn("published", out)
        a = self.ok_json("advisory", "show", "ADV-1", "--json")
        self.assertEqual(a["state"], "published")
        self.assertIsNotNone(a["published"])
        self.assertEqual(a["patch_at"], self.patch)
        acc, m = self.matrix()
        self.assertEqual(acc["state"], "published")
        self.assertEqual(m["poc-de"]["poc.py"], "visible")
        self.assertEqual(m["poc-ru"]["poc.py"], "visible")
        self.assertEqual(m["det"]["det.yar"], "visible")
        self.assertEqual(m["det"]["poc.py"],
                         "the partner's tier ranks below the artifact's")
        self.assertEqual(m["note"]["det.yar"],
                         "the partner's tier ranks below the artifact's")
        self.assertEqual(m["sus"]["adv.txt"], "the partner is not active")
        # Exclusions still apply after publication.
        self.assertEqual(m["poc-x"]["poc.py"],
                         "the partner is excluded from this advisory")
        self.assertEqual(self.audit_events()[-1]["type"], "advisory.publish")
        lst = self.ok_json("advisory", "list", "--json")
        self.assertEqual(lst[0]["state"], "published")

    def test_withdraw_artifact_and_advisory(self):
        self.setup_matrix()
        out = self.ok("advisory", "withdraw", "ADV-1", "--artifact",
                      "det.yar")
        self.assertIn("det.yar", out)
        a = self.ok_json("advisory", "show", "ADV-1", "--json")
        arts = {x["name"]: x for x in a["artifacts"]}
        self.assertIn("withdrawn", arts["det.yar"])
        self.assertEqual(a["state"], "shared")
        acc, m = self.matrix()
        self.assertEqual(sorted(m["poc-de"]), ["adv.txt", "poc.py"])
        out = self.ok("advisory", "show", "ADV-1")
        self.assertRegex(out, r"(?m)^det\.yar .*withdrawn")
        ev = self.audit_events()[-1]
        self.assertEqual((ev["type"], ev["subject"]),
                         ("artifact.withdraw", "ADV-1/det.yar"))
        # The name can be used again once withdrawn.
        f = self.write_file("v2.yar", "rule v2\n")
        self.attach("ADV-1", f, "--kind", "detection", "--tier", "detect",
                    "--name", "det.yar")
        a = self.ok_json("advisory", "show", "ADV-1", "--json")
        dets = [x for x in a["artifacts"] if x["name"] == "det.yar"]
        self.assertEqual(len(dets), 2)
        self.assertEqual(sum("withdrawn" in x for x in dets), 1)
        acc, m = self.matrix()
        self.assertEqual(m["det"]["det.yar"], "visible")
        # Withdraw the whole advisory.
        self.assertIn("withdrawn", self.ok("advisory", "withdraw", "ADV-1"))
        a = self.ok_json("advisory", "show", "ADV-1", "--json")
        self.assertEqual(a["state"], "withdrawn")
        acc, m = self.matrix()
        self.assertEqual(acc["state"], "withdrawn")
        WD = "the artifact or advisory is withdrawn"
        for p, arts in m.items():
            for name, why in arts.items():
                self.assertNotEqual(why, "visible", (p, name))
        # Where withdrawal is the only reason, it is the one given.
        self.assertEqual(m["poc-de"], {"adv.txt": WD, "poc.py": WD,
                                       "det.yar": WD})
        self.assertEqual(m["det"]["adv.txt"], WD)
        self.assertEqual(m["det"]["det.yar"], WD)
        # Still withdrawn after the patch time: never published.
        acc, m = self.matrix("--at", et.future(days=30))
        self.assertEqual(acc["state"], "withdrawn")
        self.assertEqual(m["poc-de"]["adv.txt"],
                         "the artifact or advisory is withdrawn")
        self.assertEqual(self.audit_events()[-1]["type"], "advisory.withdraw")


class CopyTest(EmbargoTestCase):
    def setUp(self):
        super().setUp()
        self.ok("partner", "add", "Acme", "--tier", "poc")
        self.ok("partner", "add", "Low", "--tier", "notify")
        self.ok("advisory", "create", "ADV-1", "--title", "t", "--patch-at",
                et.future(days=5))
        self.content = ("import socket\n# PoC for ADV-1\n"
                        "s = socket.create_connection(('target', 443))\n"
                        "s.send(b'GET / HTTP/1.1\\r\\n\\r\\n')\n"
                        ).encode() + bytes(range(256))
        self.src = self.write_file("poc.py", self.content)
        self.ok("advisory", "attach", "ADV-1", self.src, "--kind", "poc",
                "--tier", "poc", "--mark", "none")
        self.ok("advisory", "attach", "ADV-1", self.src, "--kind", "poc",
                "--tier", "poc", "--name", "auto.py")

    def deliveries(self):
        return [e for e in self.audit_events() if e["type"] == "delivery"]

    def test_copy_to_stdout(self):
        rc, out, err = self.emb("copy", "ADV-1", "poc.py", "--partner",
                                "acme", binary=True)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, self.content)
        d = self.deliveries()
        self.assertEqual(len(d), 1)
        self.assertEqual(d[0]["subject"], "ADV-1/poc.py")
        self.assertEqual(d[0]["detail"]["partner"], "acme")
        self.assertEqual(d[0]["detail"]["channel"], "cli")
        self.assertEqual(d[0]["detail"]["sha256"],
                         hashlib.sha256(self.content).hexdigest())
        self.assertIsInstance(d[0]["detail"]["delivery"], int)

    def test_copy_to_file_and_json(self):
        dst = os.path.join(self.tmp, "out.py")
        rc, out, err = self.emb("copy", "ADV-1", "poc.py", "--partner",
                                "acme", "-o", dst)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "")
        self.assertIn(dst, err)
        self.assertEqual(read(dst), self.content)
        self.assertEqual(mode_of(dst), 0o600)
        dst2 = os.path.join(self.tmp, "out2.py")
        j = self.ok_json("copy", "ADV-1", "poc.py", "--partner", "acme",
                         "--output", dst2, "--json")
        self.assertEqual(j["file"], dst2)
        self.assertEqual(j["size"], len(self.content))
        self.assertEqual(j["sha256"], hashlib.sha256(self.content).hexdigest())
        self.assertEqual(read(dst2), self.content)
        d = self.deliveries()
        self.assertEqual(len(d), 2)
        self.assertEqual(d[1]["detail"]["delivery"], j["delivery"])
        self.assertNotEqual(d[0]["detail"]["delivery"], j["delivery"])
        self.assertEqual([n for n in os.listdir(self.tmp) if ".tmp-" in n],
                         [])

    def test_copy_marked_artifact_reports_its_hash(self):
        # With marking on, the copy may differ from the original, but the
        # recorded hash is the hash of the bytes handed out.
        dst = os.path.join(self.tmp, "auto.py")
        j = self.ok_json("copy", "ADV-1", "auto.py", "--partner", "acme",
                         "-o", dst, "--json")
        data = read(dst)
        self.assertGreater(len(data), 0)
        self.assertEqual(j["sha256"], hashlib.sha256(data).hexdigest())
        self.assertEqual(j["size"], len(data))
        self.assertEqual(self.deliveries()[0]["detail"]["sha256"],
                         j["sha256"])

    def test_copy_refused_when_not_visible(self):
        before = self.audit_log()
        dst = os.path.join(self.tmp, "nope.py")
        rc, out, err = self.emb("copy", "ADV-1", "poc.py", "--partner", "low",
                                "-o", dst)
        self.assertOneLineError(rc, out, err, ["not visible", "low", "tier"])
        self.assertFalse(os.path.exists(dst))
        rc, out, err = self.emb("copy", "ADV-1", "poc.py", "--partner", "low",
                                binary=True)
        self.assertOneLineError(rc, out, err, "not visible")
        self.assertEqual(self.audit_log(), before)
        # Excluded, then suspended.
        self.ok("advisory", "exclude", "ADV-1", "--partner", "acme")
        before = self.audit_log()
        rc, out, err = self.emb("copy", "ADV-1", "poc.py", "--partner",
                                "acme", binary=True)
        self.assertOneLineError(rc, out, err, ["not visible", "excluded"])
        self.assertEqual(self.audit_log(), before)
        self.assertEqual(self.deliveries(), [])


class AuditTest(EmbargoTestCase):
    def test_one_event_per_change(self):
        f = self.write_file("g.txt", "guidance\n")
        patch = et.future(days=9)
        changes = [
            (("tier", "add", "gold", "--rank", "25"), "tier.add", "gold"),
            (("partner", "add", "Acme", "--tier", "poc"), "partner.add",
             "acme"),
            (("partner", "add", "Beta", "--tier", "detect", "--country",
              "FR"), "partner.add", "beta"),
            (("partner", "set", "beta", "--tier", "gold"), "partner.tier",
             "beta"),
            (("partner", "set", "beta", "--suspend"), "partner.suspend",
             "beta"),
            (("partner", "set", "beta", "--reinstate"), "partner.reinstate",
             "beta"),
            (("partner", "token", "beta", "--rotate"), "partner.token",
             "beta"),
            (("advisory", "create", "ADV-1", "--title", "T", "--patch-at",
              patch), "advisory.create", "ADV-1"),
            (("advisory", "attach", "ADV-1", f, "--kind", "detection",
              "--tier", "detect"), "artifact.attach", "ADV-1/g.txt"),
            (("advisory", "attach", "ADV-1", f, "--kind", "other",
              "--tier", "detect", "--name", "h.txt"), "artifact.attach",
             "ADV-1/h.txt"),
            (("advisory", "reschedule", "ADV-1", "--patch-at",
              et.future(days=10), "--reason", "later"),
             "advisory.reschedule", "ADV-1"),
            (("advisory", "exclude", "ADV-1", "--country", "FR"),
             "advisory.exclude", "ADV-1"),
            (("copy", "ADV-1", "g.txt", "--partner", "acme"), "delivery",
             "ADV-1/g.txt"),
            (("advisory", "withdraw", "ADV-1", "--artifact", "h.txt"),
             "artifact.withdraw", "ADV-1/h.txt"),
            (("advisory", "publish", "ADV-1"), "advisory.publish", "ADV-1"),
            (("partner", "set", "acme", "--revoke"), "partner.revoke",
             "acme"),
        ]
        readonly = [("tier", "list"), ("tier", "list", "--json"),
                    ("partner", "list"), ("partner", "show", "acme"),
                    ("advisory", "list", "--json"),
                    ("advisory", "show", "ADV-1"),
                    ("advisory", "access", "ADV-1", "--json"),
                    ("audit", "log"), ("audit", "verify"),
                    ("audit", "verify", "--json")]
        expect = [("instance.init", "instance")]
        for args, typ, subj in changes:
            self.ok(*args)
            expect.append((typ, subj))
            ev = self.audit_events()
            self.assertEqual([(e["type"], e["subject"]) for e in ev], expect,
                             "after " + " ".join(args))
            if len(expect) >= 9:  # acme and ADV-1 exist
                for r in readonly:
                    self.ok(*r)
            self.assertEqual(len(self.audit_events()), len(expect),
                             "a read-only command added an event")
        ev = self.audit_events()
        self.assertEqual([e["seq"] for e in ev], list(range(1, len(ev) + 1)))
        self.assertEqual(len({e["hash"] for e in ev}), len(ev))
        user = [e["actor"] for e in ev]
        self.assertTrue(all(a.startswith("cli:") for a in user), user)
        ats = [et.parse_time(e["at"]) for e in ev]
        self.assertEqual(ats, sorted(ats))
        self.assertEqual(ev[12]["detail"], {"country": "FR"})
        # Text log: one line per event.
        out = self.ok("audit", "log")
        self.assertEqual(len(out.splitlines()), len(ev))
        self.assertRegex(out.splitlines()[-1],
                         r"^\s*%d\s+\S+\s+cli:\S+\s+partner\.revoke\s+acme"
                         % len(ev))

    def test_verify(self):
        self.ok("partner", "add", "Acme", "--tier", "poc")
        self.ok("tier", "add", "gold", "--rank", "25")
        out = self.ok("audit", "verify")
        self.assertRegex(out, r"verified: 3 entries")
        self.assertEqual(self.ok_json("audit", "verify", "--json"),
                         {"ok": True, "entries": 3, "problem": None})


class AtRestTest(EmbargoTestCase):
    def test_artifact_not_stored_in_plaintext(self):
        marker = "EMBARGO-E2E-PLAINTEXT-%s" % os.urandom(8).hex()
        body = ("# PoC\n" + ("payload = '%s'\n" % marker) * 50).encode()
        f = self.write_file("poc.py", body)
        self.title_marker = "TITLE-MARKER-%s" % os.urandom(8).hex()
        self.ok("advisory", "create", "ADV-1", "--title", self.title_marker,
                "--patch-at", et.future(days=3))
        self.ok("advisory", "attach", "ADV-1", f, "--kind", "poc", "--tier",
                "poc", "--mark", "none")
        self.ok("partner", "add", "Acme", "--tier", "poc")
        rc, out, err = self.emb("copy", "ADV-1", "poc.py", "--partner",
                                "acme", binary=True)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, body)
        # The scan does find what is stored in the clear (the title).
        blob = b"".join(read(os.path.join(self.home, n))
                        for n in os.listdir(self.home))
        self.assertIn(self.title_marker.encode(), blob)
        found = []
        for name in os.listdir(self.home):
            data = read(os.path.join(self.home, name))
            for enc in (marker.encode(), marker.encode("utf-16-le")):
                if enc in data:
                    found.append(name)
        self.assertEqual(found, [], "artifact plaintext found at rest")


if __name__ == "__main__":
    et.check_binary()
    unittest.main(verbosity=1)
