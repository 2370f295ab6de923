"""Shared helpers for the embargo end-to-end tests.

The tests drive the real binary: $EMBARGO_BIN, else the default build at
/work/main/build-e2e/embargo.  Every test gets a fresh temporary data
directory made with `embargo init`; nothing outside the temporary
directory is touched.
"""

import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

BIN = os.environ.get("EMBARGO_BIN", "/work/main/build-e2e/embargo")

# Every failure is "embargo: MESSAGE" on one line of stderr.
ERR_PREFIX = "embargo: "

# A partner API token: "emb_" and 43 base64url characters (32 bytes).
TOKEN_RE = r"^emb_[A-Za-z0-9_-]{43}$"


def check_binary():
    if not (os.path.isfile(BIN) and os.access(BIN, os.X_OK)):
        raise SystemExit(
            "embargo binary not found at %s (build it, or set EMBARGO_BIN)"
            % BIN)


def run(args, datadir=None, cwd=None, env=None, stdin=None, binary=False,
        timeout=60):
    """Run embargo [-d DATADIR] ARGS; return (rc, stdout, stderr).

    stdout is bytes when binary is true, else text; stderr is always text.
    EMBARGO_HOME is removed from the environment unless env sets it, so a
    test never falls back to a data directory outside its sandbox.
    """
    argv = [BIN]
    if datadir is not None:
        argv += ["-d", str(datadir)]
    argv += [str(a) for a in args]
    e = dict(os.environ)
    e.pop("EMBARGO_HOME", None)
    e["LC_ALL"] = "C"
    if env:
        e.update(env)
    p = subprocess.run(argv, cwd=cwd, env=e, input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    out = p.stdout if binary else p.stdout.decode("utf-8", "replace")
    return p.returncode, out, p.stderr.decode("utf-8", "replace")


def iso(dt):
    """RFC 3339 text in UTC with a Z, whole seconds."""
    dt = dt.astimezone(datetime.timezone.utc).replace(microsecond=0)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def future(days=0, hours=0, minutes=0, base=None):
    """RFC 3339 text for a time this far from now (or from base)."""
    b = base if base is not None else utcnow()
    return iso(b + datetime.timedelta(days=days, hours=hours,
                                      minutes=minutes))


def parse_time(s):
    """Parse the RFC 3339 times embargo prints (always UTC with Z)."""
    s = s.replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(s)


def db_dump(datadir):
    """Every row of every table of DATADIR/embargo.db, for before/after
    comparisons (read in a transaction, nothing written)."""
    c = sqlite3.connect(os.path.join(str(datadir), "embargo.db"))
    try:
        out = {}
        tables = [r[0] for r in c.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " ORDER BY name")]
        for t in tables:
            out[t] = c.execute('SELECT * FROM "%s" ORDER BY rowid'
                               % t.replace('"', '""')).fetchall()
        return out
    finally:
        c.close()


def init_datadir(path):
    rc, out, err = run(["init"], datadir=path)
    if rc != 0:
        raise AssertionError("embargo init %s failed (%d): %s"
                             % (path, rc, err))
    return path


class EmbargoTestCase(unittest.TestCase):
    """A test with its own temporary directory and data directory.

    self.tmp    temporary directory, removed after the test
    self.home   an initialised data directory inside it
    """

    maxDiff = None
    init_home = True

    def setUp(self):
        check_binary()
        self.tmp = tempfile.mkdtemp(prefix="embargo-e2e-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.home = os.path.join(self.tmp, "data")
        if self.init_home:
            init_datadir(self.home)

    # ---- running commands ----

    def emb(self, *args, home=None, **kw):
        """Run a command against self.home (or home); (rc, out, err)."""
        return run(args, datadir=home if home is not None else self.home,
                   **kw)

    def ok(self, *args, home=None, **kw):
        """Run a command that must succeed; return its stdout."""
        rc, out, err = self.emb(*args, home=home, **kw)
        self.assertEqual(rc, 0, "embargo %s failed (rc %d): %s"
                         % (" ".join(map(str, args)), rc, err))
        return out

    def ok_json(self, *args, home=None):
        out = self.ok(*args, home=home)
        try:
            return json.loads(out)
        except ValueError as e:
            self.fail("embargo %s: output is not JSON (%s): %r"
                      % (" ".join(map(str, args)), e, out))

    def audit_log(self, home=None):
        """Snapshot of `audit log --json` (the raw text, and parsed)."""
        rc, out, err = self.emb("audit", "log", "--json", home=home)
        self.assertEqual(rc, 0, "audit log --json failed: %s" % err)
        return out

    def audit_events(self, home=None):
        return json.loads(self.audit_log(home=home))

    def write_file(self, name, data):
        path = os.path.join(self.tmp, name)
        mode = "wb" if isinstance(data, bytes) else "w"
        with open(path, mode) as f:
            f.write(data)
        return path

    # ---- assertions ----

    def assertOneLineError(self, rc, out, err, substr, args=()):
        """The shape of every failure: non-zero exit, nothing on stdout,
        exactly one stderr line "embargo: ..." that contains substr."""
        what = "embargo %s" % " ".join(map(str, args))
        self.assertNotEqual(rc, 0, "%s: expected failure, got rc 0;"
                            " stdout %r stderr %r" % (what, out, err))
        self.assertTrue(0 < rc < 128, "%s: exit status %d (crash?);"
                        " stderr %r" % (what, rc, err))
        self.assertEqual(out if isinstance(out, str)
                         else out.decode("utf-8", "replace"), "",
                         "%s: stdout should be empty on failure" % what)
        lines = err.split("\n")
        self.assertTrue(err.endswith("\n") and len(lines) == 2,
                        "%s: stderr should be exactly one line, got %r"
                        % (what, err))
        self.assertTrue(err.startswith(ERR_PREFIX),
                        "%s: stderr should start with %r, got %r"
                        % (what, ERR_PREFIX, err))
        if isinstance(substr, str):
            substr = [substr]
        for s in substr:
            self.assertIn(s.lower(), err.lower(),
                          "%s: message should mention %r, got %r"
                          % (what, s, err))
