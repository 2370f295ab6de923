#!/usr/bin/env python3
"""End-to-end: bad input to every command and subcommand.

Every refusal must look the same: a non-zero exit status, nothing on
stdout, exactly one line on stderr that starts with "embargo: " and says
what is wrong, and no change at all to the data (the event log, tiers,
partners and advisories read the same before and after).

Run standalone: python3 tests/e2e/test_bad_input.py (EMBARGO_BIN names
the binary).
"""

import hashlib
import os
import shutil
import sqlite3
import stat
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import embargo_test as et  # noqa: E402
from embargo_test import EmbargoTestCase  # noqa: E402

CVSS = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
ADVISORIES = ("ADV-1", "ADV-DRAFT", "ADV-PUB", "ADV-WD")

# Bad RFC 3339 times, all otherwise in the future.
BAD_TIMES = [
    "tomorrow",
    "2099-02-30T00:00:00Z",           # no such day
    "2021-02-30T00:00:00Z",           # no such day (and in the past)
    "2099-03-09T17:00:00",            # no zone
    "2099-03-09",                     # no time
    "2099-03-09T17:00Z",              # no seconds
    "2099-13-01T00:00:00Z",           # month 13
    "2099-03-09T24:00:00Z",           # hour 24
    "2099-03-09T17:00:00+25:00",      # offset out of range
    "2099-3-9T17:00:00Z",             # short fields
    "2099-03-09T17:00:00.Z",          # empty fraction
    "2099-03-09T17:00:00Z junk",
    "",
]

BAD_DURATIONS = ["7x", "7", "d7", "-1d", "1h1d", "1d1d", "1.5d", "7 d",
                 "", "99999999999999w"]


def build_template(home, tmp):
    """A data directory with something of everything, for the refusals to
    leave alone:
      partners acme (poc, DE), beta (detect, US), gamma (notify),
               sus (poc, suspended), rev (poc, revoked);
      ADV-1    shared, patch in 30 days, artifacts poc.py (poc) and
               guide.txt (detect), old.txt withdrawn; excludes partner
               beta and country RU;
      ADV-DRAFT draft; ADV-PUB published; ADV-WD withdrawn.
    Returns ADV-1's patch time."""
    def ok(*args):
        rc, out, err = et.run(args, datadir=home)
        if rc != 0:
            raise AssertionError("template: embargo %s: %s"
                                 % (" ".join(args), err))
        return out

    et.init_datadir(home)
    ok("partner", "add", "Acme Security", "--tier", "poc", "--id", "acme",
       "--country", "DE", "--contact", "psirt@acme.example")
    ok("partner", "add", "Beta AV", "--tier", "detect", "--id", "beta",
       "--country", "US")
    ok("partner", "add", "Gamma", "--tier", "notify", "--id", "gamma")
    ok("partner", "add", "Sus", "--tier", "poc", "--id", "sus")
    ok("partner", "set", "sus", "--suspend")
    ok("partner", "add", "Rev", "--tier", "poc", "--id", "rev")
    ok("partner", "set", "rev", "--revoke")
    patch = et.future(days=30)
    f = os.path.join(tmp, "template.txt")
    with open(f, "w") as fh:
        fh.write("template artifact\n")
    ok("advisory", "create", "ADV-1", "--title", "Shared one", "--patch-at",
       patch, "--cve", "CVE-2021-26855", "--cvss", CVSS)
    ok("advisory", "attach", "ADV-1", f, "--kind", "poc", "--tier", "poc",
       "--name", "poc.py")
    ok("advisory", "attach", "ADV-1", f, "--kind", "detection", "--tier",
       "detect", "--name", "guide.txt")
    ok("advisory", "attach", "ADV-1", f, "--kind", "other", "--tier",
       "notify", "--name", "old.txt")
    ok("advisory", "withdraw", "ADV-1", "--artifact", "old.txt")
    ok("advisory", "exclude", "ADV-1", "--partner", "beta")
    ok("advisory", "exclude", "ADV-1", "--country", "RU")
    ok("advisory", "create", "ADV-DRAFT", "--title", "Draft", "--patch-at",
       et.future(days=20))
    ok("advisory", "create", "ADV-PUB", "--title", "Published",
       "--patch-at", et.future(days=20))
    ok("advisory", "attach", "ADV-PUB", f, "--kind", "advisory", "--tier",
       "notify", "--name", "pub.txt")
    ok("advisory", "publish", "ADV-PUB")
    ok("advisory", "create", "ADV-WD", "--title", "Withdrawn",
       "--patch-at", et.future(days=20))
    ok("advisory", "attach", "ADV-WD", f, "--kind", "advisory", "--tier",
       "notify", "--name", "wd.txt")
    ok("advisory", "withdraw", "ADV-WD")
    return patch


class BadInputCase(EmbargoTestCase):
    """Each test starts from a copy of the template data directory."""

    init_home = False

    @classmethod
    def setUpClass(cls):
        et.check_binary()
        cls.ctmp = tempfile.mkdtemp(prefix="embargo-e2e-tpl-")
        cls.template = os.path.join(cls.ctmp, "data")
        cls.patch = build_template(cls.template, cls.ctmp)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.ctmp, True)

    def setUp(self):
        super().setUp()
        shutil.copytree(self.template, self.home)
        self.good = self.write_file("good.txt", "a fine artifact\n")
        self.empty = self.write_file("empty.txt", b"")
        self.big = os.path.join(self.tmp, "big.bin")
        with open(self.big, "wb") as f:
            f.truncate(17 * 1024 * 1024)  # sparse
        self.adir = os.path.join(self.tmp, "adir")
        os.mkdir(self.adir)
        self.last = None  # (command group, snapshot) after the last case

    def snapshot(self, args=()):
        """Everything a refusal must leave alone: `audit log --json`, the
        partner or advisory listing when the command is about those, and
        every row of every table of the database."""
        out = {"audit log": self.audit_log()}
        group = args[0] if args else None
        for listing in (("partner", "list", "--json"),
                        ("advisory", "list", "--json")):
            if group not in (None, listing[0]):
                continue
            rc, o, err = self.emb(*listing)
            self.assertEqual(rc, 0, "%s: %s" % (listing, err))
            out[" ".join(listing[:2])] = o
        for table, rows in et.db_dump(self.home).items():
            out["table " + table] = rows
        return out

    def bad(self, args, substr, home=None):
        """args must be refused with one line naming substr, and leave
        the data unchanged."""
        group = args[0] if args else None
        if self.last is not None and self.last[0] == group:
            before = self.last[1]  # the previous case's "after"
        else:
            before = self.snapshot(args)
        with self.subTest(args=args):
            rc, out, err = self.emb(*args, home=home)
            self.assertOneLineError(rc, out, err, substr, args)
        after = self.snapshot(args)
        self.last = (group, after)
        with self.subTest(args=args, check="data unchanged"):
            for k in before:
                self.assertEqual(after.get(k), before[k],
                                 "embargo %s changed the %s"
                                 % (" ".join(args), k))

    def bad_raw(self, args, substr, **kw):
        """A refusal where there is no data directory to compare."""
        with self.subTest(args=args):
            rc, out, err = et.run(args, **kw)
            self.assertOneLineError(rc, out, err, substr, args)


class GlobalTest(BadInputCase):
    def test_no_command(self):
        self.bad([], "command")

    def test_unknown_command(self):
        self.bad(["frob"], ["unknown command", "frob"])
        self.bad(["tiers", "list"], ["unknown command", "tiers"])
        self.bad(["serve-all"], ["unknown command", "serve-all"])

    def test_unknown_global_option(self):
        self.bad(["--frob", "tier", "list"], ["unknown option", "--frob"])
        self.bad(["-x", "tier", "list"], ["unknown option", "-x"])

    def test_datadir_option_without_value(self):
        self.bad_raw(["-d"], "-d needs a directory", cwd=self.tmp)
        self.bad_raw(["--datadir"], "needs a directory", cwd=self.tmp)


class InitBadTest(BadInputCase):
    def test_arguments_and_options(self):
        self.bad(["init", "extra"], "takes no arguments")
        self.bad(["init", "--frob"], ["unknown option", "--frob"])

    def test_existing(self):
        self.bad(["init"], "not empty")
        f = self.write_file("afile", "x")
        self.bad_raw(["init"], "not a directory", datadir=f)
        self.bad_raw(["init"], "empty data directory", datadir="",
                     cwd=self.tmp)
        missing = os.path.join(self.tmp, "no", "such", "parent")
        self.bad_raw(["init"], "cannot create", datadir=missing)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "no")))


class TierBadTest(BadInputCase):
    def test_subcommands(self):
        self.bad(["tier"], "missing subcommand")
        self.bad(["tier", "frob"], ["unknown subcommand", "frob"])
        self.bad(["tier", "remove", "poc"], ["unknown subcommand", "remove"])
        self.bad(["tier", "list", "extra"], "takes no arguments")
        self.bad(["tier", "list", "--frob"], ["unknown option", "--frob"])
        self.bad(["tier", "list", "--rank", "5"], "does not apply")

    def test_add(self):
        self.bad(["tier", "add"], "name")
        self.bad(["tier", "add", "--rank", "5"], "name")
        self.bad(["tier", "add", "gold"], "--rank")
        self.bad(["tier", "add", "gold", "silver", "--rank", "5"], "name")
        self.bad(["tier", "add", "gold", "--rank"],
                 ["--rank", "needs a value"])
        for rank in ("abc", "-1", "1000001", "1e3", "", "99999999999999999999",
                     "5x"):
            self.bad(["tier", "add", "gold", "--rank", rank],
                     ["invalid rank", "'%s'" % rank])
        for name in ("bad name", "gold/x", "", "x" * 64, "g\u00f6ld", ".g"):
            self.bad(["tier", "add", name, "--rank", "5"],
                     "invalid tier name")
        self.bad(["tier", "add", "-gold", "--rank", "5"],
                 ["unknown option", "-g"])
        self.bad(["tier", "add", "poc", "--rank", "99"],
                 ["poc", "already exists"])
        self.bad(["tier", "add", "gold", "--rank", "30"],
                 ["rank 30", "already"])
        self.bad(["tier", "add", "gold", "--rank", "5", "--frob"],
                 ["unknown option", "--frob"])


class PartnerBadTest(BadInputCase):
    def test_subcommands(self):
        self.bad(["partner"], "missing subcommand")
        self.bad(["partner", "frob"], ["unknown subcommand", "frob"])
        self.bad(["partner", "delete", "acme"],
                 ["unknown subcommand", "delete"])
        self.bad(["partner", "list", "extra"], "takes no arguments")
        self.bad(["partner", "list", "--frob"], ["unknown option", "--frob"])

    def test_add_arguments(self):
        self.bad(["partner", "add"], "NAME")
        self.bad(["partner", "add", "A", "B", "--tier", "poc"], "NAME")
        self.bad(["partner", "add", "Foo"], "--tier")
        self.bad(["partner", "add", "Foo", "--tier"],
                 ["--tier", "needs a value"])
        self.bad(["partner", "add", "Foo", "--tier", "poc", "--frob"],
                 ["unknown option", "--frob"])

    def test_add_values(self):
        self.bad(["partner", "add", "Foo", "--tier", "gold"],
                 ["unknown tier", "gold"])
        self.bad(["partner", "add", "Foo", "--tier", "bad tier"],
                 "invalid tier name")
        for cc in ("XX", "DEU", "D", "", "1A", "de ", "UK"):
            self.bad(["partner", "add", "Foo", "--tier", "poc", "--country",
                      cc], ["invalid country", "'%s'" % cc])
        for mail in ("not-an-email", "a@b", "@x.example", "a b@x.example",
                     "a@@x.example", "a@x.", "<a@x.example>", ""):
            self.bad(["partner", "add", "Foo", "--tier", "poc", "--contact",
                      mail], "invalid contact e-mail address")
        for pid in ("bad id", "-x", "a/b", "x" * 64, ""):
            self.bad(["partner", "add", "Foo", "--tier", "poc", "--id", pid],
                     "invalid partner id")
        for name in ("", "   ", "a\tb", "x" * 201):
            self.bad(["partner", "add", name, "--tier", "poc", "--id", "ok"],
                     "invalid partner name")
        self.bad(["partner", "add", "!!!", "--tier", "poc"],
                 ["cannot derive an id", "--id"])

    def test_add_duplicates(self):
        self.bad(["partner", "add", "Acme", "--tier", "poc"],
                 ["acme", "already exists"])
        self.bad(["partner", "add", "Other Co", "--tier", "poc", "--id",
                  "acme"], ["acme", "already exists"])
        self.bad(["partner", "add", "ACME!", "--tier", "notify"],
                 ["acme", "already exists"])

    def test_show(self):
        self.bad(["partner", "show"], "partner ID")
        self.bad(["partner", "show", "acme", "beta"], "partner ID")
        self.bad(["partner", "show", "nosuch"], ["nosuch", "not found"])
        self.bad(["partner", "show", "bad id"], "invalid partner id")
        self.bad(["partner", "show", "x" * 64], "invalid partner id")
        self.bad(["partner", "show", "acme", "--frob"],
                 ["unknown option", "--frob"])

    def test_set(self):
        self.bad(["partner", "set"], "partner ID")
        self.bad(["partner", "set", "acme", "beta", "--suspend"],
                 "partner ID")
        self.bad(["partner", "set", "acme"], "exactly one of")
        self.bad(["partner", "set", "acme", "--suspend", "--revoke"],
                 "exactly one of")
        self.bad(["partner", "set", "acme", "--tier", "poc", "--suspend"],
                 "exactly one of")
        self.bad(["partner", "set", "acme", "--suspend", "--suspend"],
                 "exactly one of")
        self.bad(["partner", "set", "acme", "--tier", "gold"],
                 ["unknown tier", "gold"])
        self.bad(["partner", "set", "acme", "--tier", "bad tier"],
                 "invalid tier name")
        self.bad(["partner", "set", "acme", "--tier", "poc"],
                 ["acme", "already in tier"])
        self.bad(["partner", "set", "nosuch", "--suspend"],
                 ["nosuch", "not found"])
        self.bad(["partner", "set", "bad id", "--suspend"],
                 "invalid partner id")
        self.bad(["partner", "set", "acme", "--reinstate"],
                 ["acme", "already active"])
        self.bad(["partner", "set", "sus", "--suspend"],
                 ["sus", "already suspended"])
        for ch in (["--reinstate"], ["--suspend"], ["--revoke"],
                   ["--tier", "notify"]):
            self.bad(["partner", "set", "rev"] + ch,
                     ["rev", "revoked", "final"])
        self.bad(["partner", "set", "acme", "--frob"],
                 ["unknown option", "--frob"])

    def test_token(self):
        self.bad(["partner", "token"], "partner ID")
        self.bad(["partner", "token", "--rotate"], "partner ID")
        self.bad(["partner", "token", "acme", "beta", "--rotate"],
                 "partner ID")
        self.bad(["partner", "token", "acme"], "--rotate")
        self.bad(["partner", "token", "nosuch", "--rotate"],
                 ["nosuch", "not found"])
        self.bad(["partner", "token", "bad id", "--rotate"],
                 "invalid partner id")
        self.bad(["partner", "token", "rev", "--rotate"], ["rev", "revoked"])


class AdvisoryBadTest(BadInputCase):
    def create(self, *extra, adv="ADV-NEW", patch=None):
        return ["advisory", "create", adv, "--title", "New one",
                "--patch-at", patch or et.future(days=10)] + list(extra)

    def test_subcommands(self):
        self.bad(["advisory"], "missing subcommand")
        self.bad(["advisory", "frob"], ["unknown subcommand", "frob"])
        self.bad(["advisory", "frob", "ADV-1"], ["unknown subcommand",
                                                 "frob"])
        self.bad(["advisory", "delete", "ADV-1"],
                 ["unknown subcommand", "delete"])
        self.bad(["advisory", "list", "extra"], "wrong number of arguments")
        self.bad(["advisory", "list", "--frob"], ["unknown option", "--frob"])
        self.bad(["advisory", "show"], "wrong number of arguments")
        self.bad(["advisory", "show", "ADV-1", "ADV-PUB"],
                 "wrong number of arguments")
        self.bad(["advisory", "show", "NOPE"], ["NOPE", "not found"])
        self.bad(["advisory", "show", "bad id"], "invalid advisory id")
        self.bad(["advisory", "show", "x" * 64], "invalid advisory id")

    def test_create_arguments(self):
        self.bad(["advisory", "create"], "wrong number of arguments")
        self.bad(["advisory", "create", "A", "B", "--title", "t",
                  "--patch-at", et.future(days=3)],
                 "wrong number of arguments")
        self.bad(["advisory", "create", "ADV-NEW", "--patch-at",
                  et.future(days=3)], "--title")
        self.bad(["advisory", "create", "ADV-NEW", "--title", "t"],
                 "--patch-at")
        self.bad(self.create("--frob"), ["unknown option", "--frob"])
        self.bad(self.create("--cve"), ["--cve", "needs a value"])

    def test_create_values(self):
        for adv in ("bad id", "a/b", "x" * 64, "", ".x", "_x"):
            self.bad(self.create(adv=adv), "invalid advisory id")
        self.bad(self.create(adv="-x"), ["unknown option", "-x"])
        self.bad(self.create(adv="ADV-1"), ["ADV-1", "already exists"])
        self.bad(self.create(adv="ADV-PUB"), ["ADV-PUB", "already exists"])
        for cve in ("CVE-21-1", "cve-2021-26855", "CVE-2021-12",
                    "CVE-2021-ABCD", "CVE-1998-1234", "CVE-2021-26855x",
                    "CVE2021-26855", "CVE-2021-"):
            self.bad(self.create("--cve", cve), ["invalid CVE id", cve])
        self.bad(self.create("--cve", "CVE-2021-26855,"), "invalid CVE id")
        self.bad(self.create("--cve", "CVE-2021-26855", "--cve",
                             "CVE-2021-26855"),
                 ["CVE-2021-26855", "twice"])
        self.bad(self.create("--cve", "CVE-2021-26855,CVE-2021-26857,"
                             "CVE-2021-26855"), ["CVE-2021-26855", "twice"])
        many = ",".join("CVE-2021-%05d" % i for i in range(10000, 10065))
        self.bad(self.create("--cve", many), ["at most", "CVE"])
        for sev in ("urgent", "Critical", "none", ""):
            self.bad(self.create("--severity", sev),
                     ["invalid severity", "'%s'" % sev])
        for v in ("CVSS:2.0/AV:N/AC:L/Au:N/C:C/I:C/A:C",
                  "CVSS:3.1/AV:N/AC:L",
                  "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                  "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",
                  "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                  "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", ""):
            self.bad(self.create("--cvss", v), "invalid CVSS vector")
        for title in ("", "  ", "two\nlines", "x" * 301):
            self.bad(["advisory", "create", "ADV-NEW", "--title", title,
                      "--patch-at", et.future(days=3)], "invalid title")
        self.bad(self.create("--product", ""), "invalid product name")
        self.bad(self.create("--product", "a\x01b"), "invalid product name")

    def test_create_times(self):
        for t in BAD_TIMES:
            self.bad(self.create(patch=t) if t else
                     ["advisory", "create", "ADV-NEW", "--title", "t",
                      "--patch-at", ""],
                     ["invalid time", "--patch-at"])
        for t in ("2021-03-09T17:00:00Z", "1970-01-01T00:00:00Z",
                  et.future(minutes=-1)):
            self.bad(self.create(patch=t), ["patch time", "future"])

    def test_attach_arguments(self):
        g = self.good
        self.bad(["advisory", "attach"], "wrong number of arguments")
        self.bad(["advisory", "attach", "ADV-1"], "wrong number of arguments")
        self.bad(["advisory", "attach", "ADV-1", g, g, "--kind", "poc",
                  "--tier", "poc"], "wrong number of arguments")
        self.bad(["advisory", "attach", "ADV-1", g], ["--kind", "--tier"])
        self.bad(["advisory", "attach", "ADV-1", g, "--kind", "poc"],
                 "--tier")
        self.bad(["advisory", "attach", "ADV-1", g, "--tier", "poc"],
                 "--kind")
        self.bad(["advisory", "attach", "ADV-1", g, "--kind", "poc", "--tier",
                  "poc", "--frob"], ["unknown option", "--frob"])

    def attach(self, *opts, adv="ADV-1", path=None, name="new.txt"):
        args = ["advisory", "attach", adv, path or self.good]
        if name is not None:
            args += ["--name", name]
        return args + list(opts)

    def test_attach_values(self):
        base = ["--kind", "poc", "--tier", "poc"]
        for kind in ("exploit", "POC", ""):
            self.bad(self.attach("--kind", kind, "--tier", "poc"),
                     ["invalid kind", "'%s'" % kind])
        self.bad(self.attach("--kind", "poc", "--tier", "gold"),
                 ["unknown tier", "gold"])
        self.bad(self.attach("--kind", "poc", "--tier", "bad tier"),
                 "invalid tier name")
        for mark in ("fancy", "AUTO", ""):
            self.bad(self.attach(*base, "--mark", mark),
                     ["invalid mark mode", "'%s'" % mark])
        for name in ("a/b", "bad name", "-x", ".hidden", "x" * 129, ""):
            self.bad(self.attach(*base, name=name), "invalid artifact name")
        spaced = self.write_file("my file.txt", "x\n")
        self.bad(self.attach(*base, path=spaced, name=None),
                 ["invalid artifact name", "my file.txt"])
        self.bad(self.attach(*base, name="poc.py"),
                 ["already has an artifact", "poc.py"])
        self.bad(self.attach(*base, adv="NOPE"), ["NOPE", "not found"])
        self.bad(self.attach(*base, adv="bad id"), "invalid advisory id")

    def test_attach_files(self):
        base = ["--kind", "poc", "--tier", "poc"]
        missing = os.path.join(self.tmp, "missing.txt")
        self.bad(self.attach(*base, path=missing), ["cannot read", missing])
        self.bad(self.attach(*base, path=self.adir), ["cannot read",
                                                      self.adir])
        self.bad(self.attach(*base, path=self.empty), "empty")
        self.bad(self.attach(*base, path=self.big), ["larger", "limit"])
        unreadable = self.write_file("secret.txt", "x\n")
        os.chmod(unreadable, 0)
        if os.geteuid() != 0:  # root reads anything
            self.bad(self.attach(*base, path=unreadable),
                     ["cannot read", unreadable])

    def test_attach_release(self):
        base = ["--kind", "poc", "--tier", "poc"]
        for d in BAD_DURATIONS:
            self.bad(self.attach(*base, "--release-before", d),
                     ["invalid duration", "--release-before"])
        self.bad(self.attach(*base, "--release-at", et.future(days=1),
                             "--release-before", "7d"),
                 ["--release-at", "--release-before", "not both"])
        for t in BAD_TIMES:
            self.bad(self.attach(*base, "--release-at", t),
                     ["invalid time", "--release-at"])
        self.bad(self.attach(*base, "--release-at", et.future(days=31)),
                 ["release time", "after the patch time"])

    def test_access(self):
        self.bad(["advisory", "access"], "wrong number of arguments")
        self.bad(["advisory", "access", "ADV-1", "ADV-PUB"],
                 "wrong number of arguments")
        self.bad(["advisory", "access", "NOPE"], ["NOPE", "not found"])
        self.bad(["advisory", "access", "bad id"], "invalid advisory id")
        for t in BAD_TIMES:
            self.bad(["advisory", "access", "ADV-1", "--at", t],
                     ["invalid time", "--at"])

    def test_reschedule(self):
        t = et.future(days=12)
        self.bad(["advisory", "reschedule"], "wrong number of arguments")
        self.bad(["advisory", "reschedule", "ADV-1", "ADV-DRAFT",
                  "--patch-at", t, "--reason", "r"],
                 "wrong number of arguments")
        self.bad(["advisory", "reschedule", "ADV-1", "--patch-at", t],
                 "--reason")
        self.bad(["advisory", "reschedule", "ADV-1", "--reason", "r"],
                 "--patch-at")
        self.bad(["advisory", "reschedule", "ADV-1", "--patch-at",
                  self.patch, "--reason", "same"],
                 ["ADV-1", "already scheduled"])
        for past in ("2021-03-02T17:00:00Z", et.future(minutes=-5)):
            self.bad(["advisory", "reschedule", "ADV-1", "--patch-at", past,
                      "--reason", "expedite"], ["not in the future"])
        for bt in BAD_TIMES:
            self.bad(["advisory", "reschedule", "ADV-1", "--patch-at", bt,
                      "--reason", "r"], ["invalid time", "--patch-at"])
        for reason in ("", "  ", "a\nb", "x" * 501):
            self.bad(["advisory", "reschedule", "ADV-1", "--patch-at", t,
                      "--reason", reason], "invalid reason")
        self.bad(["advisory", "reschedule", "NOPE", "--patch-at", t,
                  "--reason", "r"], ["NOPE", "not found"])

    def test_exclude(self):
        self.bad(["advisory", "exclude"], "wrong number of arguments")
        self.bad(["advisory", "exclude", "ADV-1"], ["--partner", "--country"])
        self.bad(["advisory", "exclude", "ADV-1", "--partner", "acme",
                  "--country", "DE"], ["--partner", "--country"])
        for cc in ("XX", "DEU", "", "D"):
            self.bad(["advisory", "exclude", "ADV-1", "--country", cc],
                     ["invalid country", "'%s'" % cc])
        self.bad(["advisory", "exclude", "ADV-1", "--partner", "nosuch"],
                 ["nosuch", "not found"])
        self.bad(["advisory", "exclude", "ADV-1", "--partner", "bad id"],
                 "invalid partner id")
        self.bad(["advisory", "exclude", "ADV-1", "--partner", "beta"],
                 ["beta", "already excluded"])
        self.bad(["advisory", "exclude", "ADV-1", "--country", "RU"],
                 ["RU", "already excluded"])
        self.bad(["advisory", "exclude", "ADV-1", "--country", "ru"],
                 ["RU", "already excluded"])
        self.bad(["advisory", "exclude", "NOPE", "--country", "DE"],
                 ["NOPE", "not found"])

    def test_publish_and_withdraw(self):
        for sub in ("publish", "withdraw"):
            self.bad(["advisory", sub], "wrong number of arguments")
            self.bad(["advisory", sub, "ADV-1", "ADV-DRAFT"],
                     "wrong number of arguments")
            self.bad(["advisory", sub, "NOPE"], ["NOPE", "not found"])
            self.bad(["advisory", sub, "bad id"], "invalid advisory id")
        self.bad(["advisory", "withdraw", "ADV-1", "--artifact", "nosuch"],
                 ["nosuch", "ADV-1"])
        self.bad(["advisory", "withdraw", "ADV-1", "--artifact", "old.txt"],
                 ["old.txt", "ADV-1"])
        self.bad(["advisory", "withdraw", "ADV-1", "--artifact", "a/b"],
                 "invalid artifact name")
        self.bad(["advisory", "withdraw", "NOPE", "--artifact", "poc.py"],
                 ["NOPE", "not found"])

    def test_published_and_withdrawn_are_final(self):
        t = et.future(days=12)
        for adv, state in (("ADV-PUB", "published"), ("ADV-WD", "withdrawn")):
            why = [adv, "is " + state]
            self.bad(self.attach("--kind", "poc", "--tier", "poc", adv=adv),
                     why)
            self.bad(["advisory", "reschedule", adv, "--patch-at", t,
                      "--reason", "r"], why)
            self.bad(["advisory", "exclude", adv, "--country", "DE"], why)
            self.bad(["advisory", "exclude", adv, "--partner", "acme"], why)
            self.bad(["advisory", "publish", adv], why)
            self.bad(["advisory", "withdraw", adv], why)
        self.bad(["advisory", "withdraw", "ADV-PUB", "--artifact", "pub.txt"],
                 ["ADV-PUB", "is published"])
        self.bad(["advisory", "withdraw", "ADV-WD", "--artifact", "wd.txt"],
                 ["ADV-WD", "is withdrawn"])

    def test_options_of_other_subcommands_are_refused(self):
        # An option that belongs to another subcommand must not be
        # silently ignored: `publish --artifact X` would publish the whole
        # advisory when the user meant one artifact.
        self.bad(["advisory", "publish", "ADV-1", "--artifact", "poc.py"],
                 "--artifact")
        self.bad(["advisory", "show", "ADV-1", "--at", et.future(days=40)],
                 "--at")
        self.bad(["partner", "list", "--tier", "poc"], "--tier")
        self.bad(["partner", "set", "acme", "--suspend", "--country", "FR"],
                 "--country")


class CopyBadTest(BadInputCase):
    def test_arguments(self):
        self.bad(["copy"], "ADVISORY and ARTIFACT")
        self.bad(["copy", "ADV-1"], "ADVISORY and ARTIFACT")
        self.bad(["copy", "ADV-1", "poc.py", "extra", "--partner", "acme"],
                 "ADVISORY and ARTIFACT")
        self.bad(["copy", "ADV-1", "poc.py"], "--partner")
        self.bad(["copy", "ADV-1", "poc.py", "--partner"],
                 ["--partner", "needs a value"])
        self.bad(["copy", "ADV-1", "poc.py", "--partner", "acme", "--json"],
                 ["--json", "-o"])
        self.bad(["copy", "ADV-1", "poc.py", "--partner", "acme", "--frob"],
                 ["unknown option", "--frob"])

    def test_not_found(self):
        self.bad(["copy", "NOPE", "poc.py", "--partner", "acme"],
                 ["NOPE", "not found"])
        self.bad(["copy", "ADV-1", "nosuch", "--partner", "acme"],
                 ["nosuch", "ADV-1"])
        self.bad(["copy", "ADV-1", "old.txt", "--partner", "acme"],
                 ["old.txt", "ADV-1"])
        self.bad(["copy", "ADV-1", "poc.py", "--partner", "nosuch"],
                 ["nosuch", "not found"])
        self.bad(["copy", "bad id", "poc.py", "--partner", "acme"],
                 "invalid advisory id")
        self.bad(["copy", "ADV-1", "a/b", "--partner", "acme"],
                 "invalid artifact name")
        self.bad(["copy", "ADV-1", "poc.py", "--partner", "bad id"],
                 "invalid partner id")
        self.bad(["copy", "ADV-DRAFT", "x.txt", "--partner", "acme"],
                 ["x.txt", "ADV-DRAFT"])

    def test_not_visible(self):
        out = os.path.join(self.tmp, "out.bin")
        for adv, art, p, why in (
                ("ADV-1", "poc.py", "gamma", "tier"),
                ("ADV-1", "guide.txt", "gamma", "tier"),
                ("ADV-1", "guide.txt", "beta", "excluded"),
                ("ADV-1", "poc.py", "sus", "not active"),
                ("ADV-1", "poc.py", "rev", "not active"),
                ("ADV-WD", "wd.txt", "acme", "withdrawn")):
            self.bad(["copy", adv, art, "--partner", p],
                     ["not visible", p, why])
            self.bad(["copy", adv, art, "--partner", p, "-o", out],
                     ["not visible", p, why])
            self.assertFalse(os.path.exists(out))

    def test_output_not_writable(self):
        # The copy cannot be written: nothing is delivered, so nothing
        # may be recorded as delivered.
        out = os.path.join(self.tmp, "no", "such", "dir", "poc.py")
        self.bad(["copy", "ADV-1", "poc.py", "--partner", "acme", "-o", out],
                 ["cannot write", out])
        self.bad(["copy", "ADV-1", "poc.py", "--partner", "acme", "-o",
                  self.adir], ["cannot write", self.adir])
        self.assertEqual(os.listdir(self.adir), [])


class AuditBadTest(BadInputCase):
    def test_audit(self):
        self.bad(["audit"], "missing subcommand")
        self.bad(["audit", "frob"], ["unknown subcommand", "frob"])
        self.bad(["audit", "frob", "x"], ["unknown subcommand", "frob"])
        self.bad(["audit", "log", "extra"], "takes no arguments")
        self.bad(["audit", "verify", "extra"], "takes no arguments")
        self.bad(["audit", "log", "--frob"], ["unknown option", "--frob"])
        self.bad(["audit", "verify", "--frob"], ["unknown option", "--frob"])


# Commands that open the data directory, each valid on a good one.
OPENING = [
    ["tier", "list"],
    ["tier", "add", "gold", "--rank", "25"],
    ["partner", "list", "--json"],
    ["partner", "add", "New Co", "--tier", "poc"],
    ["partner", "show", "acme"],
    ["partner", "set", "acme", "--tier", "notify"],
    ["partner", "token", "acme", "--rotate"],
    ["advisory", "list"],
    ["advisory", "show", "ADV-1"],
    ["advisory", "create", "ADV-X", "--title", "t", "--patch-at",
     et.future(days=9)],
    ["advisory", "access", "ADV-1"],
    ["advisory", "publish", "ADV-1"],
    ["copy", "ADV-1", "guide.txt", "--partner", "acme"],
    ["audit", "log"],
    ["audit", "verify"],
]


def tree_digest(path):
    """Names, modes and contents of everything under path."""
    out = {}
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            p = os.path.join(root, n)
            st = os.lstat(p)
            data = b""
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    data = f.read()
            out[os.path.relpath(p, path)] = (
                stat.S_IMODE(st.st_mode), hashlib.sha256(data).hexdigest())
    return out


class DataDirBadTest(BadInputCase):
    """Data directories that are missing, foreign, or damaged."""

    def refuse_all(self, home, substr):
        before = tree_digest(home) if os.path.exists(home) else None
        for args in OPENING:
            self.bad_raw(args, substr, datadir=home)
        after = tree_digest(home) if os.path.exists(home) else None
        self.assertEqual(after, before, "the refused commands changed %s"
                         % home)

    def test_missing_datadir(self):
        for home in ("/nonexistent", os.path.join(self.tmp, "nope")):
            self.refuse_all(home, ["does not exist", home])
            self.assertFalse(os.path.exists(home))
        rc, out, err = et.run(["tier", "list"],
                              env={"EMBARGO_HOME":
                                   os.path.join(self.tmp, "envhome")})
        self.assertOneLineError(rc, out, err, ["does not exist", "envhome"])
        rc, out, err = et.run(["tier", "list"], cwd=self.tmp)
        self.assertOneLineError(rc, out, err, ["does not exist",
                                               "embargo-data"])

    def test_datadir_is_a_file(self):
        f = self.write_file("plain", "hello\n")
        self.refuse_all(f, ["not a directory", f])

    def test_foreign_dir_with_random_files(self):
        d = os.path.join(self.tmp, "foreign")
        os.mkdir(d, 0o700)
        for n in ("notes.txt", "data.bin", "config"):
            with open(os.path.join(d, n), "wb") as f:
                f.write(os.urandom(100))
        self.refuse_all(d, ["not an embargo data directory", d])

    def test_db_not_sqlite(self):
        d = os.path.join(self.tmp, "junkdb")
        shutil.copytree(self.home, d)
        with open(os.path.join(d, "embargo.db"), "wb") as f:
            f.write(b"this is not a database\n" * 100)
        self.refuse_all(d, ["not an embargo data directory", "embargo.db"])

    def test_db_is_other_sqlite(self):
        d = os.path.join(self.tmp, "otherdb")
        shutil.copytree(self.home, d)
        os.unlink(os.path.join(d, "embargo.db"))
        c = sqlite3.connect(os.path.join(d, "embargo.db"))
        c.execute("CREATE TABLE t (x)")
        c.execute("INSERT INTO t VALUES (1)")
        c.commit()
        c.close()
        self.refuse_all(d, ["not an embargo", "embargo.db"])

    def test_master_key_replaced(self):
        with open(os.path.join(self.home, "master.key"), "wb") as f:
            f.write(os.urandom(32))
        self.refuse_all(self.home, ["master.key", "does not belong"])

    def test_master_key_from_other_instance(self):
        other = os.path.join(self.tmp, "other")
        et.init_datadir(other)
        shutil.copyfile(os.path.join(other, "master.key"),
                        os.path.join(self.home, "master.key"))
        self.refuse_all(self.home, ["master.key", "does not belong"])

    def test_sign_key_replaced(self):
        with open(os.path.join(self.home, "sign.key"), "wb") as f:
            f.write(os.urandom(32))
        self.refuse_all(self.home, "sign.key")

    def test_key_file_modes(self):
        for key, mode in (("master.key", 0o644), ("master.key", 0o604),
                          ("sign.key", 0o640)):
            p = os.path.join(self.home, key)
            os.chmod(p, mode)
            self.refuse_all(self.home, [key, "chmod 600"])
            os.chmod(p, 0o600)
        self.assertEqual(et.run(["tier", "list"], datadir=self.home)[0], 0)

    def test_key_file_damaged_or_missing(self):
        p = os.path.join(self.home, "master.key")
        with open(p, "rb") as f:
            key = f.read()
        with open(p, "wb") as f:
            f.write(key[:31])
        self.refuse_all(self.home, ["master.key", "32 bytes"])
        with open(p, "wb") as f:
            f.write(key + b"\n")
        self.refuse_all(self.home, ["master.key", "32 bytes"])
        os.unlink(p)
        self.refuse_all(self.home, "master.key")
        os.mkdir(p, 0o700)
        self.refuse_all(self.home, "master.key")


if __name__ == "__main__":
    et.check_binary()
    unittest.main(verbosity=1)
