#!/usr/bin/env python3
"""End-to-end: the event log is tamper-evident.

A data directory with a dozen events is copied once per attack; the copy
is edited directly with sqlite3 (as someone with access to the database
file but not to the keys would), and then:
  - `audit verify` must fail with one line that names the problem and,
    where one applies, the entry number;
  - `audit verify --json` must say ok: false with the same problem;
  - a state-changing command must refuse to append to the broken log;
while the untouched original keeps verifying and accepting changes.

Run standalone: python3 tests/e2e/test_audit_tamper.py (EMBARGO_BIN
names the binary).
"""

import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import embargo_test as et  # noqa: E402
from embargo_test import EmbargoTestCase  # noqa: E402


def build_log(home, tmp):
    """An instance with several events of several kinds."""
    def ok(*args):
        rc, out, err = et.run(args, datadir=home)
        if rc != 0:
            raise AssertionError("setup: embargo %s: %s"
                                 % (" ".join(args), err))

    et.init_datadir(home)                                          # 1
    ok("tier", "add", "gold", "--rank", "25")                      # 2
    ok("partner", "add", "Acme", "--tier", "poc", "--country", "DE")  # 3
    ok("partner", "add", "Beta", "--tier", "detect")               # 4
    ok("advisory", "create", "ADV-1", "--title", "T", "--patch-at",
       et.future(days=10), "--cve", "CVE-2021-26855")              # 5
    f = os.path.join(tmp, "poc.py")
    with open(f, "w") as fh:
        fh.write("print('poc')\n")
    ok("advisory", "attach", "ADV-1", f, "--kind", "poc", "--tier",
       "poc")                                                      # 6
    ok("advisory", "exclude", "ADV-1", "--partner", "beta")        # 7
    ok("partner", "set", "beta", "--suspend")                      # 8
    ok("copy", "ADV-1", "poc.py", "--partner", "acme")             # 9
    ok("advisory", "reschedule", "ADV-1", "--patch-at",
       et.future(days=12), "--reason", "postponed")                # 10


class TamperTest(EmbargoTestCase):
    init_home = False
    N = 10  # events in the log

    @classmethod
    def setUpClass(cls):
        et.check_binary()
        cls.ctmp = tempfile.mkdtemp(prefix="embargo-e2e-tamper-")
        cls.base = os.path.join(cls.ctmp, "base")
        build_log(cls.base, cls.ctmp)
        # A copy of the log head one event earlier, for a rollback.
        c = sqlite3.connect(os.path.join(cls.base, "embargo.db"))
        cls.head_n = c.execute(
            "SELECT value FROM meta WHERE key = 'log_head'").fetchone()[0]
        c.close()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.ctmp, True)

    def setUp(self):
        super().setUp()
        shutil.copytree(self.base, self.home)

    # ---- helpers ----

    def sql(self, *stmts):
        """Run statements on the copy's database, committed."""
        c = sqlite3.connect(os.path.join(self.home, "embargo.db"))
        try:
            for s in stmts:
                if isinstance(s, tuple):  # (statement, parameters)
                    q, params = s
                    if not isinstance(params, (tuple, list)):
                        params = (params,)
                    c.execute(q, params)
                else:
                    c.execute(s)
            c.commit()
        finally:
            c.close()

    def query(self, q, *params):
        c = sqlite3.connect(os.path.join(self.home, "embargo.db"))
        try:
            return c.execute(q, params).fetchall()
        finally:
            c.close()

    def assertDetected(self, words, entry=None):
        """`audit verify` fails with one line naming the problem (every
        regex in words) and the entry number; so does --json; and no
        change can be appended afterwards."""
        rc, out, err = self.emb("audit", "verify")
        msg = err.strip()
        with self.subTest(check="audit verify"):
            self.assertOneLineError(rc, out, err, "does not verify",
                                    ("audit", "verify"))
            for w in words:
                self.assertRegex(msg, re.compile(w, re.I))
            if entry is not None:
                ok = entry if isinstance(entry, tuple) else (entry,)
                self.assertRegex(msg, r"\bentry (%s)\b"
                                 % "|".join(map(str, ok)),
                                 "message should name entry %s: %r"
                                 % (" or ".join(map(str, ok)), msg))
        with self.subTest(check="audit verify --json"):
            rc, out, err = self.emb("audit", "verify", "--json")
            self.assertNotEqual(rc, 0, "audit verify --json: rc 0")
            j = json.loads(out)
            self.assertIs(j["ok"], False)
            self.assertIsInstance(j["problem"], str)
            self.assertIn(j["problem"], msg)
        # The broken log must not be extended.
        events = self.query("SELECT seq, hash FROM events ORDER BY seq")
        tiers = self.ok("tier", "list", "--json")
        for args in (("tier", "add", "platinum", "--rank", "27"),
                     ("partner", "set", "acme", "--tier", "detect"),
                     ("advisory", "publish", "ADV-1")):
            with self.subTest(check="append refused", args=args):
                rc, out, err = self.emb(*args)
                self.assertOneLineError(rc, out, err,
                                        ["event log", "does not verify"],
                                        args)
        with self.subTest(check="nothing appended"):
            self.assertEqual(self.query("SELECT seq, hash FROM events"
                                        " ORDER BY seq"), events,
                             "a change was appended to a tampered log")
            self.assertEqual(self.ok("tier", "list", "--json"), tiers)
            self.assertEqual(self.ok_json("partner", "show", "acme",
                                          "--json")["tier"], "poc")
        return msg

    # ---- the untouched log ----

    def test_untouched_copy_verifies(self):
        out = self.ok("audit", "verify")
        self.assertIn("%d entries" % self.N, out)
        self.assertEqual(self.ok_json("audit", "verify", "--json"),
                         {"ok": True, "entries": self.N, "problem": None})
        # ...and accepts changes, which keep it verifying.
        self.ok("tier", "add", "silver", "--rank", "22")
        self.assertEqual(self.ok_json("audit", "verify", "--json")["entries"],
                         self.N + 1)
        # The original was not affected by anything done to copies.
        rc, out, err = et.run(["audit", "verify"], datadir=self.base)
        self.assertEqual(rc, 0, err)
        self.assertIn("%d entries" % self.N, out)

    # ---- attacks ----

    def test_edit_detail(self):
        self.sql("UPDATE events SET detail = '{\"rank\":99}' WHERE seq = 2")
        self.assertDetected([r"altered|hash does not match"], entry=2)

    def test_edit_detail_of_delivery(self):
        # Hiding which partner got a copy.
        row = self.query("SELECT detail FROM events WHERE seq = 9")[0][0]
        self.assertIn('"partner":"acme"', row)
        self.sql(("UPDATE events SET detail = ? WHERE seq = 9",
                  row.replace('"acme"', '"beta"')))
        self.assertDetected([r"altered|hash does not match"], entry=9)

    def test_edit_at(self):
        self.sql("UPDATE events SET at = at - 86400000 WHERE seq = 5")
        self.assertDetected([r"altered|hash does not match"], entry=5)

    def test_edit_actor_and_type(self):
        self.sql("UPDATE events SET actor = 'cli:mallory' WHERE seq = 4")
        self.assertDetected([r"altered|hash does not match"], entry=4)

    def test_edit_first_entry(self):
        self.sql("UPDATE events SET subject = 'x' WHERE seq = 1")
        self.assertDetected([r"altered|hash does not match"], entry=1)

    def test_delete_middle_entry(self):
        self.sql("DELETE FROM events WHERE seq = 6")
        self.assertDetected([r"missing|removed"], entry=6)

    def test_delete_middle_and_renumber(self):
        # Close the gap so the sequence numbers look contiguous.
        self.sql("DELETE FROM events WHERE seq = 6",
                 "UPDATE events SET seq = seq - 1 WHERE seq > 6")
        self.assertDetected([r"chain|removed|altered"], entry=6)

    def test_delete_last_entry(self):
        self.sql("DELETE FROM events WHERE seq = %d" % self.N)
        msg = self.assertDetected([r"removed|missing", r"end|head"])
        self.assertIn(str(self.N), msg)

    def test_delete_all_entries(self):
        self.sql("DELETE FROM events")
        msg = self.assertDetected([r"removed|missing"])
        self.assertIn(str(self.N), msg)

    def test_swap_entries_columns(self):
        # Exchange everything but seq between entries 3 and 4.
        cols = ["at", "actor", "type", "subject", "detail", "prev", "hash"]
        r3 = self.query("SELECT %s FROM events WHERE seq = 3"
                        % ", ".join(cols))[0]
        r4 = self.query("SELECT %s FROM events WHERE seq = 4"
                        % ", ".join(cols))[0]
        setc = ", ".join("%s = ?" % c for c in cols)
        self.sql(("UPDATE events SET %s WHERE seq = 3" % setc, r4),
                 ("UPDATE events SET %s WHERE seq = 4" % setc, r3))
        self.assertDetected([r"chain|reorder|order|altered"], entry=3)

    def test_swap_seq_values(self):
        # Exchange the seq numbers of entries 7 and 8 through a temporary.
        self.sql("UPDATE events SET seq = -1 WHERE seq = 7",
                 "UPDATE events SET seq = 7 WHERE seq = 8",
                 "UPDATE events SET seq = 8 WHERE seq = -1")
        self.assertDetected([r"chain|reorder|order|altered"], entry=7)

    def test_swap_distant_entries(self):
        cols = ["at", "actor", "type", "subject", "detail", "prev", "hash"]
        r2 = self.query("SELECT %s FROM events WHERE seq = 2"
                        % ", ".join(cols))[0]
        r8 = self.query("SELECT %s FROM events WHERE seq = 8"
                        % ", ".join(cols))[0]
        setc = ", ".join("%s = ?" % c for c in cols)
        self.sql(("UPDATE events SET %s WHERE seq = 2" % setc, r8),
                 ("UPDATE events SET %s WHERE seq = 8" % setc, r2))
        self.assertDetected([r"chain|reorder|order|altered"], entry=2)

    def test_insert_entry(self):
        # Copy entry 3 in as an extra entry at the end.
        self.sql("INSERT INTO events (seq, at, actor, type, subject, detail,"
                 " prev, hash) SELECT %d, at, actor, type, subject, detail,"
                 " prev, hash FROM events WHERE seq = 3" % (self.N + 1))
        self.assertDetected([r"chain|altered|head"], entry=self.N + 1)

    def test_change_log_head_hash(self):
        head = bytearray(self.query("SELECT value FROM meta"
                                    " WHERE key = 'log_head'")[0][0])
        head[8] ^= 0x01  # first byte of the head hash
        self.sql(("UPDATE meta SET value = ? WHERE key = 'log_head'",
                  bytes(head)))
        self.assertDetected([r"head", r"signature"])

    def test_change_log_head_signature(self):
        head = bytearray(self.query("SELECT value FROM meta"
                                    " WHERE key = 'log_head'")[0][0])
        head[-1] ^= 0x80
        self.sql(("UPDATE meta SET value = ? WHERE key = 'log_head'",
                  bytes(head)))
        self.assertDetected([r"head", r"signature"])

    def test_change_log_head_seq(self):
        head = bytearray(self.query("SELECT value FROM meta"
                                    " WHERE key = 'log_head'")[0][0])
        head[7] = (head[7] + 1) & 0xff
        self.sql(("UPDATE meta SET value = ? WHERE key = 'log_head'",
                  bytes(head)))
        self.assertDetected([r"head", r"signature"])

    def test_truncate_log_head(self):
        self.sql("UPDATE meta SET value = x'00' WHERE key = 'log_head'")
        self.assertDetected([r"head"])

    def test_delete_log_head(self):
        # There is no signed head any more: the message must say so, not
        # describe a head that does not exist.
        self.sql("DELETE FROM meta WHERE key = 'log_head'")
        self.assertDetected([r"head",
                             r"missing|no signed head|not found|absent|"
                             r"deleted|removed"])

    def test_roll_back_log_head(self):
        # A genuine, correctly signed head of an earlier state: the log
        # now has one entry more than its head.  Nothing was removed.
        c = sqlite3.connect(os.path.join(self.home, "embargo.db"))
        old = c.execute("SELECT value FROM meta WHERE key = 'log_head'"
                        ).fetchone()[0]
        c.close()
        self.assertEqual(old, self.head_n)
        self.ok("tier", "add", "silver", "--rank", "22")
        self.sql(("UPDATE meta SET value = ? WHERE key = 'log_head'", old))
        # The head names entry N; entry N + 1 is the first one beyond it.
        msg = self.assertDetected([r"head"], entry=(self.N, self.N + 1))
        self.assertNotRegex(msg, r"removed",
                            "nothing was removed: an entry is beyond the"
                            " signed head")

    def test_tamper_then_restore_is_clean(self):
        # Sanity: editing and restoring the same bytes leaves a good log,
        # so the failures above are caused by the edits themselves.
        row = self.query("SELECT detail FROM events WHERE seq = 2")[0][0]
        self.sql("UPDATE events SET detail = 'x' WHERE seq = 2")
        rc, out, err = self.emb("audit", "verify")
        self.assertNotEqual(rc, 0)
        self.sql(("UPDATE events SET detail = ? WHERE seq = 2", row))
        self.ok("audit", "verify")
        self.ok("tier", "add", "silver", "--rank", "22")
        self.ok("audit", "verify")


if __name__ == "__main__":
    et.check_binary()
    unittest.main(verbosity=1)
