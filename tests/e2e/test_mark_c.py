"""Traceable copies of C-family, shell and PowerShell fixtures behave
exactly like the originals.

For every fixture, 30 copies (seeds 1..30) are rendered with mark_tool;
they must be deterministic (the same seed gives the same bytes) and
pairwise distinct.  C copies are compiled with gcc and run on the
fixture's offline inputs, JavaScript copies run under node, shell copies
are syntax-checked with sh -n / bash -n and their --self-test output
compared; all must match the original's stdout and exit code.  (The
JavaScript copies run in one node process, each in a fresh vm context,
since starting node 30 times takes longer than the rest of the test.)  PowerShell
copies are run under pwsh when it is installed (the unit tests check the
PowerShell rules in detail otherwise).

Environment: MARK_TOOL (default /tmp/mark_tool_c), EMBARGO_SRC (default:
two levels above this file).
"""

import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SRC = os.environ.get("EMBARGO_SRC", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TOOL = os.environ.get("MARK_TOOL", "/tmp/mark_tool_c")
SEEDS = range(1, 31)
FIX = os.path.join(SRC, "tests", "fixtures")
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O0"]
WORKERS = 2 * (os.cpu_count() or 2)


def fixture(*parts):
    return os.path.join(FIX, *parts)


def tool(*args):
    r = subprocess.run([TOOL] + list(args), capture_output=True,
                       timeout=60)
    if r.returncode != 0:
        raise AssertionError("mark_tool %s failed: %s" %
                             (" ".join(args), r.stderr.decode()))
    return r.stdout


def render(lang, path, seed):
    return tool("render", lang, path, str(seed))


def read(path):
    with open(path, "rb") as f:
        return f.read()


# Runs each script given on the command line in a fresh vm context with
# its own console and process objects, and prints one JSON line per run:
# [exit code, output lines].
JS_HARNESS = r"""
const vm = require('vm');
const fs = require('fs');
async function runOne(file, args) {
  let src = fs.readFileSync(file, 'utf8');
  if (src.startsWith('#!')) src = '//' + src;
  const out = [];
  const con = {
    log: (...a) => out.push(a.map(String).join(' ')),
    error: (...a) => out.push('E: ' + a.map(String).join(' ')),
  };
  const proc = { argv: ['node', file, ...args], exitCode: undefined };
  vm.runInNewContext(src, { require, console: con, process: proc, Buffer },
                     { filename: file });
  await new Promise((r) => setTimeout(r, 0));
  return [proc.exitCode === undefined ? null : proc.exitCode, out];
}
(async () => {
  const sets = [['--self-test'], []];
  for (const f of process.argv.slice(2))
    for (const a of sets)
      console.log(JSON.stringify(await runOne(f, a)));
})();
"""


def run(cmd, cwd=None, stdin=None):
    r = subprocess.run(cmd, capture_output=True, timeout=60, cwd=cwd,
                       input=stdin)
    return r.returncode, r.stdout


class Copies(unittest.TestCase):
    """Shared checks: determinism, distinctness, capacity."""

    def copies(self, lang, path):
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as ex:
            out = list(ex.map(lambda s: render(lang, path, s), SEEDS))
        again = render(lang, path, SEEDS[0])
        self.assertEqual(out[0], again, "rendering is not deterministic")
        self.assertEqual(len(set(out)), len(out),
                         "two copies of %s are identical" % path)
        original = read(path)
        for c in out:
            self.assertNotEqual(c, original)
        return out

    def capacity(self, lang, path, robust_bits):
        c = json.loads(tool("count", lang, path))
        self.assertGreaterEqual(c["robust_bits"], robust_bits, c)
        return c

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mark_c_")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, name, data):
        p = os.path.join(self.tmp, name)
        with open(p, "wb") as f:
            f.write(data)
        return p


class CFixtures(Copies):

    def build(self, name, src):
        exe = os.path.join(self.tmp, name)
        p = self.write(name + ".c", src)
        r = subprocess.run(["gcc"] + CFLAGS + [p, "-o", exe],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0,
                         "%s does not compile:\n%s" % (name,
                                                       r.stderr.decode()))
        return exe

    def check_program(self, path, runs, robust_bits):
        self.capacity("c", path, robust_bits)
        copies = self.copies("c", path)
        orig = self.build("orig", read(path))
        want = [run([orig] + args, cwd=self.tmp) for args in runs]
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as ex:
            exes = list(ex.map(lambda a: self.build("copy%d" % a[0], a[1]),
                               enumerate(copies)))
        for i, exe in enumerate(exes):
            for args, w in zip(runs, want):
                got = run([exe] + args, cwd=self.tmp)
                self.assertEqual(got, w, "copy %d differs on %s" %
                                 (i + 1, args))
        return exes, orig

    def test_fbx_hello_crash(self):
        self.check_program(fixture("c", "fbx_hello_crash.c"),
                           [["--self-test"], [], ["a", "b", "c"]], 40)

    def test_tlv_overflow(self):
        path = fixture("c", "tlv_overflow.c")
        clean = self.write("clean.cfx", bytes([1, 4]) + b"host" +
                           bytes([0, 0]))
        cut = self.write("cut.cfx", bytes([2, 40]) + b"x")
        orig = self.build("gen", read(path))
        trig = os.path.join(self.tmp, "trigger.cfx")
        self.assertEqual(run([orig, "--emit", "fw.example.net", trig])[0], 0)
        runs = [["--self-test"], [clean], [cut], [trig],
                [clean, trig, cut], ["missing.cfx"]]
        exes, orig = self.check_program(path, runs, 40)
        # --emit writes the same trigger file in every copy
        want = read(trig)
        for i, exe in enumerate(exes):
            out = os.path.join(self.tmp, "t%d.cfx" % i)
            self.assertEqual(run([exe, "--emit", "fw.example.net", out])[0],
                             0)
            self.assertEqual(read(out), want)

    def test_javascript(self):
        path = fixture("c", "ws_upgrade_smuggle.js")
        self.capacity("c", path, 30)
        copies = self.copies("c", path)
        node = shutil.which("node")
        if node is None:
            self.skipTest("node is not installed")
        # the harness agrees with node itself on the original
        code, out = run([node, path, "--self-test"])
        self.assertEqual(code, 0)
        harness = self.write("harness.js", JS_HARNESS.encode())
        files = [path] + [self.write("copy%d.js" % i, c)
                          for i, c in enumerate(copies)]
        code, out = run([node, harness] + files)
        self.assertEqual(code, 0)
        lines = out.decode().splitlines()
        self.assertEqual(len(lines), 2 * len(files))
        self.assertIn("verdict: PASS", lines[0])
        for i in range(1, len(files)):
            self.assertEqual(lines[2 * i], lines[0], "copy %d" % i)
            self.assertEqual(lines[2 * i + 1], lines[1], "copy %d" % i)


class ShellFixtures(Copies):

    def check_script(self, name, shells, robust_bits):
        path = fixture("shell", name)
        self.capacity("shell", path, robust_bits)
        copies = self.copies("shell", path)
        files = [self.write("copy%d.sh" % i, c)
                 for i, c in enumerate(copies)]

        def check(sh, i):
            r = subprocess.run([sh, "-n", files[i]], capture_output=True,
                               timeout=60)
            return (r.returncode, r.stderr.decode(),
                    run([sh, files[i], "--self-test"]))

        # every copy under the script's own shell, a third under the other
        for k, sh in enumerate(shells):
            if shutil.which(sh) is None:
                continue
            want = run([sh, path, "--self-test"])
            self.assertEqual(want[0], 0, "the original fails under " + sh)
            which = range(len(files)) if k == 0 else range(0, len(files), 3)
            with concurrent.futures.ThreadPoolExecutor(WORKERS) as ex:
                res = list(ex.map(lambda i: (i, check(sh, i)), which))
            for i, (rc, err, got) in res:
                self.assertEqual(rc, 0, "%s -n: copy %d: %s" %
                                 (sh, i + 1, err))
                self.assertEqual(got, want, "%s: copy %d" % (sh, i + 1))

    def test_traversal_probe(self):
        self.check_script("traversal_probe.sh", ["bash"], 50)

    def test_smtp_ehlo_probe(self):
        self.check_script("smtp_ehlo_probe.sh", ["dash", "bash"], 40)


class PowerShellFixtures(Copies):

    def check_script(self, name, robust_bits):
        path = fixture("powershell", name)
        self.capacity("powershell", path, robust_bits)
        copies = self.copies("powershell", path)
        pwsh = shutil.which("pwsh")
        if pwsh is None:
            return
        cmd = [pwsh, "-NoProfile", "-NonInteractive", "-File"]
        want = run(cmd + [path, "-SelfTest"])
        for i, c in enumerate(copies):
            p = self.write("copy%d.ps1" % i, c)
            self.assertEqual(run(cmd + [p, "-SelfTest"]), want,
                             "copy %d" % (i + 1))

    def test_rdgw(self):
        self.check_script("Test-RdgwAuthBypass.ps1", 30)

    def test_smb(self):
        self.check_script("Invoke-SmbNegotiateProbe.ps1", 30)


if __name__ == "__main__":
    if not os.access(TOOL, os.X_OK):
        sys.exit("mark_tool not found at %s (set MARK_TOOL)" % TOOL)
    unittest.main()
