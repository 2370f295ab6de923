#!/usr/bin/env python3
"""End-to-end: marked copies of prose, YARA and Suricata artifacts.

For every fixture, 30 copies (seeds 1..30) rendered by mark_tool must be
deterministic, differ from each other, and mean exactly what the original
means:

- YARA: each copy compiles with yarac and matches exactly the same sample
  files (built here) with the same rules (rules are matched by position,
  since a copy may rename them) as the original;
- Suricata/Snort: each rule parses to the same action and header, the same
  ordered list of position-dependent options (content bytes decoded, so
  "|2f|" and "/" compare equal), the same multiset of free options and the
  same msg once the synonym table is mapped back;
- prose: after mapping the synonym and spelling tables back (and
  normalising list bullets, emphasis delimiters, serial commas and
  blanks), each copy reads exactly as the original, and every code span,
  fenced block and URL is there verbatim.

MARK_TOOL names the mark_tool binary (default /tmp/mark_tool_rules),
EMBARGO_SRC the repository (default: from this file's location).  The
YARA part is skipped when yara/yarac are not installed (Debian: yara).
Run standalone: python3 tests/e2e/test_mark_rules.py
"""

import concurrent.futures
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

SRC = os.environ.get("EMBARGO_SRC") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.environ.get("MARK_TOOL", "/tmp/mark_tool_rules")
FIX = os.path.join(SRC, "tests", "fixtures")
SEEDS = range(1, 31)


def fixtures(kind):
    d = os.path.join(FIX, kind)
    return sorted(os.path.join(d, f) for f in os.listdir(d)
                  if not f.startswith("."))


def run_tool(*args):
    p = subprocess.run([TOOL] + list(args), capture_output=True,
                       timeout=60)
    if p.returncode != 0:
        raise AssertionError("mark_tool %s failed: %s" %
                             (" ".join(args), p.stderr.decode()))
    return p.stdout


def render(lang, path, seed):
    return run_tool("render", lang, path, str(seed))


_COPIES = {}
DETERMINISM_SEEDS = (1, 2, 3, 17, 30)


class CopiesMixin:
    lang = None

    def check_copies(self, path):
        """The 30 copies of path, checked deterministic and distinct."""
        if (self.lang, path) in _COPIES:
            return _COPIES[(self.lang, path)]
        jobs = list(SEEDS) + list(DETERMINISM_SEEDS)
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            out = list(ex.map(lambda s: render(self.lang, path, s), jobs))
        copies = dict(zip(SEEDS, out))
        for seed, again in zip(DETERMINISM_SEEDS, out[len(SEEDS):]):
            self.assertEqual(copies[seed], again,
                             "%s seed %d not deterministic" % (path, seed))
        self.assertEqual(len(set(copies.values())), len(copies),
                         "%s: two seeds gave the same copy" % path)
        _COPIES[(self.lang, path)] = copies
        return copies


# ---------------------------------------------------------------- YARA

RULE_RE = re.compile(r"^\s*(?:(?:private|global)\s+)*rule\s+(\w+)",
                     re.M)


def yara_samples(d):
    rnd = random.Random(42)
    s = {}
    s["template_shell.vm"] = (
        b'<%@ page import="java.io.*" %>\n'
        b'<% Process p = Runtime.getRuntime().exec('
        b'request.getParameter("c")); %>\n')
    s["template_cmd.jsp"] = s["template_shell.vm"] + b"cmd.exe /c dir\n"
    s["template_plain.vm"] = b'#set($x = "hello")\n$x\n'
    s["loader.jsp"] = (
        b"byte[] b = Base64.getDecoder().decode(blob); "
        b"ClassLoader cl = x; cl.defineClass(b);\nString blob = \"" +
        b"QUJD" * 80 + b"==\";\n")
    s["loader.exe"] = b"MZ" + s["loader.jsp"]
    elf = bytearray(b"\x7fELF" + bytes(100))
    elf += b"\xde\xad\xbe\xef\x13\x37AB\x01\x02\x03\x00"
    elf += b"/etc/cron.d/nw-sync\n"
    s["dropper.elf"] = bytes(elf)
    s["dropper_nokey.elf"] = b"\x7fELF" + bytes(100) + \
        b"/etc/cron.d/nw-sync\n"
    cfg = b"NWCFG\x01" + b"sync.northwind-update.example\x00" + \
        bytes(rnd.getrandbits(8) for _ in range(8192))
    s["implant.cfg"] = cfg
    s["implant_low_entropy.cfg"] = b"NWCFG\x01" + \
        b"cdn.nw-telemetry.example\x00" + bytes(8192)
    s["chopper.aspx"] = (
        b'<%@ Page Language="JScript"%><%eval(Request.Item["z"],'
        b'"unsafe");%>')
    s["chopper_big.aspx"] = s["chopper.aspx"] + b" " * 5000
    s["obf_loader.aspx"] = (
        b"<%@ Page Language=\"C#\" %>\n<% var a = "
        b"System.Reflection.Assembly.Load(Convert.FromBase64String(p)); "
        b"%>\n")
    s["handler.ashx"] = (
        b"<%@ WebHandler Language=\"C#\" %>\n"
        b"xorKey = 7; Convert.FromBase64String(x);\n")
    s["dump.bat"] = (b"rundll32.exe C:\\Windows\\System32\\comsvcs.dll, "
                     b"MiniDump 624 C:\\Temp\\lsass.dmp full\n")
    s["dump_wide.ps1"] = s["dump.bat"].decode().encode("utf-16-le")
    s["benign.txt"] = b"nothing to see here\n" * 10
    s["random.bin"] = bytes(rnd.getrandbits(8) for _ in range(4096))
    for name, data in s.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def yara_matches(texts, samples, work):
    """For each rule text (one namespace each, compiled together): its
    rule names in order and the set of (rule position, sample) matches."""
    srcs = []
    for i, text in enumerate(texts):
        src = os.path.join(work, "rules%d.yar" % i)
        with open(src, "wb") as f:
            f.write(text)
        srcs.append("c%d:%s" % (i, src))
    comp = os.path.join(work, "rules.yarc")
    p = subprocess.run(["yarac", "-w"] + srcs + [comp],
                       capture_output=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("yarac failed:\n%s" % p.stderr.decode())
    p = subprocess.run(["yara", "-w", "-e", "-C", comp, samples],
                       capture_output=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("yara failed: %s" % p.stderr.decode())
    names = [RULE_RE.findall(t.decode()) for t in texts]
    pos = [{n: k for k, n in enumerate(ns)} for ns in names]
    got = [set() for _ in texts]
    for line in p.stdout.decode().splitlines():
        rule, path = line.split(" ", 1)
        ns, rule = rule.split(":", 1)
        i = int(ns[1:])
        got[i].add((pos[i][rule], os.path.basename(path)))
    return names, got


@unittest.skipUnless(shutil.which("yara") and shutil.which("yarac"),
                     "yara is not installed")
class TestYara(unittest.TestCase, CopiesMixin):
    lang = "yara"

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="mark_yara_")
        self.samples = os.path.join(self.work, "samples")
        os.mkdir(self.samples)
        yara_samples(self.samples)

    def tearDown(self):
        shutil.rmtree(self.work)

    def test_copies_match_same_files(self):
        for path in fixtures("yara"):
            with open(path, "rb") as f:
                text = f.read()
            copies = self.check_copies(path)
            names, got = yara_matches([text] + list(copies.values()),
                                      self.samples, self.work)
            want = got[0]
            self.assertTrue(len(want) >= 4, "%s: samples too weak: %r" %
                            (path, want))
            for k, seed in enumerate(copies, 1):
                self.assertEqual(len(names[k]), len(names[0]))
                self.assertEqual(got[k], want, "%s seed %d" % (path, seed))
            self.assertTrue(any(n != names[0] for n in names[1:]),
                            "no copy renamed a rule")

    def test_enough_sites(self):
        for path in fixtures("yara"):
            out = run_tool("count", "yara", path).decode()
            robust = int(re.search(r'"robust": (\d+)', out).group(1))
            self.assertGreaterEqual(robust, 20, path)


# ------------------------------------------------------------ Suricata

MSG_GROUPS = [
    ["Server-Side Request Forgery", "SSRF"],
    ["Remote Code Execution", "RCE"],
    ["Cross-Site Scripting", "XSS"],
    ["Exploitation Attempt", "Exploit Attempt"],
    ["Directory Traversal", "Path Traversal"],
    ["Information Disclosure", "Info Disclosure"],
    ["Authentication Bypass", "Auth Bypass"],
    ["Denial of Service", "DoS"],
    ["SQL Injection", "SQLi"],
    ["Web Shell", "Webshell", "WebShell"],
    ["User-Agent", "User Agent"],
    ["Possible", "Potential"],
    ["Inbound", "Incoming"],
    ["Outbound", "Outgoing"],
    ["Checkin", "Check-in"],
    ["CnC", "C2"],
    ["Attempted", "Attempt"],
]

FREE = {"classtype", "reference", "metadata", "priority", "sid", "rev",
        "gid"}


def group_regex(groups, flags=0):
    forms = []
    for gi, g in enumerate(groups):
        for f in g:
            forms.append((f, gi))
    forms.sort(key=lambda x: -len(x[0]))
    index = {f.lower() if flags else f: gi for f, gi in forms}
    pat = re.compile(r"(?<![\w.-])(" + "|".join(
        re.escape(f) for f, _ in forms) + r")(?![\w-])", flags)
    return pat, index


MSG_RE, MSG_INDEX = group_regex(MSG_GROUPS)


def norm_msg(msg):
    return MSG_RE.sub(lambda m: "@G%d@" % MSG_INDEX[m.group(1)], msg)


def content_bytes(value):
    value = value.strip()
    neg = value.startswith("!")
    value = value.lstrip("!").strip()
    assert value.startswith('"') and value.endswith('"'), value
    body = value[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            out.append(ord(body[i + 1]))
            i += 2
        elif c == "|":
            j = body.index("|", i + 1)
            out += bytes.fromhex(body[i + 1:j])
            i = j + 1
        else:
            out += c.encode()
            i += 1
    return (neg, bytes(out))


def split_options(body):
    opts = []
    cur = ""
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            cur += body[i:i + 2]
            i += 2
            continue
        if c == ";":
            opts.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    assert cur.strip() == "", cur
    return opts


def parse_rules(text):
    rules = []
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        head, rest = s.split("(", 1)
        assert rest.endswith(")"), rest
        words = head.split()
        ordered, free, msg = [], [], None
        for o in split_options(rest[:-1]):
            kw, _, val = o.partition(":")
            kw = kw.strip()
            if kw == "msg":
                msg = norm_msg(val.strip())
            elif kw in FREE:
                free.append((kw, val.strip()))
            elif kw in ("content", "uricontent"):
                ordered.append((kw, content_bytes(val)))
            else:
                ordered.append((kw, val.strip()))
        rules.append((words[0], tuple(words[1:]), msg, tuple(ordered),
                      tuple(sorted(free))))
    return rules


class TestSuricata(unittest.TestCase, CopiesMixin):
    lang = "suricata"

    def test_copies_are_equivalent(self):
        for path in fixtures("suricata"):
            with open(path) as f:
                want = parse_rules(f.read())
            self.assertGreaterEqual(len(want), 5)
            for seed, copy in self.check_copies(path).items():
                got = parse_rules(copy.decode())
                self.assertEqual(got, want, "%s seed %d" % (path, seed))

    def test_enough_sites(self):
        for path in fixtures("suricata"):
            out = run_tool("count", "suricata", path).decode()
            robust = int(re.search(r'"robust": (\d+)', out).group(1))
            self.assertGreaterEqual(robust, 20, path)


# --------------------------------------------------------------- prose

SYN_GROUPS = [
    ["prior to", "before"], ["in order to", "to"],
    ["in addition", "additionally", "furthermore", "moreover"],
    ["as a result", "therefore", "consequently"],
    ["for example", "for instance", "e.g."], ["i.e.", "that is"],
    ["allows", "permits"], ["allow", "permit"], ["allowed", "permitted"],
    ["allowing", "permitting"], ["attacker", "adversary"],
    ["attackers", "adversaries"], ["vulnerability", "flaw"],
    ["vulnerabilities", "flaws"], ["execute", "run"], ["executes", "runs"],
    ["executing", "running"], ["obtain", "gain"], ["obtains", "gains"],
    ["obtained", "gained"], ["obtaining", "gaining"],
    ["recommend", "advise"], ["recommends", "advises"],
    ["upgrade", "update"], ["upgrades", "updates"],
    ["upgrading", "updating"], ["upgraded", "updated"], ["patch", "fix"],
    ["patches", "fixes"], ["patched", "fixed"],
    ["affected", "vulnerable"], ["via", "through"],
    ["leverage", "utilize", "utilise", "use"],
    ["leverages", "utilizes", "utilises", "uses"],
    ["leveraged", "utilized", "utilised", "used"],
    ["leveraging", "utilizing", "utilising", "using"],
    ["discovered", "found", "identified"],
    ["approximately", "roughly", "about"], ["numerous", "many"],
    ["subsequently", "later"], ["typically", "usually"],
    ["observed", "seen"], ["ensure", "make sure"],
    ["restrict", "limit"], ["restricts", "limits"],
    ["restricting", "limiting"], ["modify", "change"],
    ["modifies", "changes"], ["modifying", "changing"],
    ["whether", "if"], ["information", "data"], ["additional", "further"],
    ["attempting", "trying"], ["attempted", "tried"], ["begin", "start"],
    ["begins", "starts"], ["began", "started"], ["require", "need"],
    ["requires", "needs"], ["required", "needed"], ["assist", "help"],
    ["assists", "helps"], ["demonstrate", "show"],
    ["demonstrates", "shows"], ["verify", "confirm"],
    ["verifies", "confirms"], ["verifying", "confirming"],
    ["toward", "towards"],
]
SYN_RE, SYN_INDEX = group_regex(SYN_GROUPS, re.I)
IZE_STEMS = ("authori unauthori organi recogni prioriti saniti seriali "
             "deseriali initiali minimi normali customi optimi reali "
             "summari categori emphasi synchroni randomi characteri "
             "standardi finali visuali centrali neutrali tokeni "
             "containeri virtuali weaponi operationali analy").split()
IZE_RE = re.compile(r"\b(%s)s(e|es|ed|ing|ation|ations|er|ers|able)\b" %
                    "|".join(IZE_STEMS), re.I)
OUR_RE = re.compile(r"\b(behavio|favo|neighbo|hono|rumo|endeavo)ur", re.I)
PAIRS = [("cancelled", "canceled"), ("cancelling", "canceling"),
         ("labelled", "labeled"), ("labelling", "labeling"),
         ("modelled", "modeled"), ("modelling", "modeling"),
         ("signalled", "signaled"), ("signalling", "signaling"),
         ("tunnelled", "tunneled"), ("tunnelling", "tunneling"),
         ("travelled", "traveled"), ("travelling", "traveling"),
         ("defence", "defense"), ("defences", "defenses"),
         ("judgement", "judgment"), ("judgements", "judgments"),
         ("acknowledgement", "acknowledgment"),
         ("acknowledgements", "acknowledgments"), ("fulfil", "fulfill"),
         ("fulfils", "fulfills"), ("enrolment", "enrollment")]

PROTECTED_RE = re.compile(
    r"```.*?```|`[^`\n]+`|https?://\S+|CVE-\d{4}-\d+|@@.*?@@", re.S)


def norm_prose(text):
    t = re.sub(r"(?m)^(\s*)[-*+](\s)", r"\1-\2", text)
    t = t.replace("_", "*")
    t = re.sub(r"\s+", " ", t)
    t = re.sub(r",(\s+(?:and|or)\b)", r"\1", t)
    t = IZE_RE.sub(lambda m: m.group(1) + "z" + m.group(2), t)
    t = OUR_RE.sub(lambda m: m.group(1) + "r", t)
    for uk, us in PAIRS:
        t = re.sub(r"\b%s\b" % uk, us, t, flags=re.I)
    t = SYN_RE.sub(lambda m: "@G%d@" % SYN_INDEX[m.group(1).lower()], t)
    t = re.sub(r"(@G\d+@),", r"\1", t)
    return t.lower()


def template_base(raw):
    """The text with each template marker at its first variant, and all
    the variants (a copy may show any of them)."""
    variants = []

    def first(m):
        vs = m.group(1).split("|")
        variants.extend(vs)
        return vs[0]

    base = re.sub(r"@@mark:(.*?)@@", first, raw, flags=re.S)
    return base.replace("@@@@", "@@"), variants


def untemplate(text, variants):
    for v in sorted(variants, key=len, reverse=True):
        text = text.replace(v, "@T@")
    return text


class TestProse(unittest.TestCase, CopiesMixin):
    lang = "prose"

    def test_only_table_words_change(self):
        for path in fixtures("prose"):
            with open(path) as f:
                base, variants = template_base(f.read())
            want = norm_prose(untemplate(base, variants))
            for seed, copy in self.check_copies(path).items():
                got = norm_prose(untemplate(copy.decode(), variants))
                self.assertEqual(got, want, "%s seed %d" % (path, seed))

    def test_protected_text_verbatim(self):
        for path in fixtures("prose"):
            with open(path) as f:
                base, _ = template_base(f.read())
            keep = PROTECTED_RE.findall(base)
            self.assertGreater(len(keep), 5)
            first = base.splitlines()[0]
            for seed, copy in self.check_copies(path).items():
                text = copy.decode()
                for k in keep:
                    self.assertIn(k, text, "%s seed %d" % (path, seed))
                self.assertEqual(text.splitlines()[0].rstrip(),
                                 first.rstrip())

    def test_enough_sites(self):
        for path in fixtures("prose"):
            out = run_tool("count", "prose", path).decode()
            robust = int(re.search(r'"robust": (\d+)', out).group(1))
            self.assertGreaterEqual(robust, 20, path)


if __name__ == "__main__":
    if not os.access(TOOL, os.X_OK):
        sys.exit("test_mark_rules: no mark_tool at %s (set MARK_TOOL)" %
                 TOOL)
    unittest.main(verbosity=2)
