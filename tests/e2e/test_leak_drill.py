#!/usr/bin/env python3
"""End-to-end leak drills: `embargo trace` against leaked, edited copies.

One instance, 80 partners, all in the PoC tier, one advisory with four
PoC artifacts (two Python, one C, one shell script from tests/fixtures).
Every partner's copies are rendered once with `embargo copy`.  Then, for
many seeds, each case below builds a sample from the copies of randomly
chosen partners, deterministically from the seed, and runs
`embargo trace SAMPLE --json` on it:

  light (the single leaker must be accused):
    verbatim, reformatted (black for Python, a whitespace, indent and
    brace reflow for C and shell), comment-stripped, partly renamed
    (a few identifiers, consistently, with a word-boundary regex),
    embedded in a larger program (real Debian code around it);
  heavy (recorded): a contiguous or scattered 30-50% of the lines (cut
    only between logical lines, never inside a string or a comment),
    partial and reformatted, everything light at once, and for Python
    ast.unparse (which also normalises literals and quotes);
  collusion (recorded): two or three partners merging their copies line
    by line (each line from a random colluder, copies aligned with
    difflib), three voting line by line (majority), and a merged pair
    reformatted;
  no leaker: the vendor's own original leaks (each artifact once, it
    is the same sample for every seed); real Debian sources of the
    same languages (/usr/lib/python3*, /usr/include, shell scripts in
    /usr/bin, /usr/sbin and /usr/share); and the unrelated fixtures
    (tests/fixtures/derive/same_bug_other.py and unrelated_*, and the
    PoCs that were never attached).

Checked for every sample of every seed: `trace` succeeds; no partner
outside the true leakers is ever accused; the light cases accuse the one
leaker; unrelated code gives no derivation, no candidate, no accusation
and no suspect; the vendor's original accuses nobody.  Innocent suspects
are allowed but counted.  A table goes to stderr at the end: per case
the runs, how often the artifact was found derived, how often a true
leaker was accused (and, for coalitions, all of them), how many
innocents were accused and suspected, and on which artifacts no leaker
was accused.  Beside the innocent suspects stands their "budget": if the
bound holds, an innocent candidate is a suspect with probability at most
1e-2 / (2 x candidates), so their expected number is at most the sum of
that over the runs (not asserted: runs share the partners' codewords, so
the counts are not independent enough for a sharp test).

LEAK_DRILL_SEEDS sets the number of seeds (default 30; the base seed is
fixed, so a run is deterministic but for the instance's random keys).
When anything fails (or LEAK_DRILL_KEEP is set), the temporary
directory (data directory and every sample) is kept and its path
printed, and each failure names the case, seed, artifact, leakers and
what was accused, with the command that reproduces it.

Run standalone: EMBARGO_BIN=... EMBARGO_SRC=... python3
tests/e2e/test_leak_drill.py (black is used when it is installed).
"""

import ast
import builtins
import collections
import difflib
import glob
import io
import json
import keyword
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import embargo_test as et  # noqa: E402

SRC = os.environ.get("EMBARGO_SRC", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FIX = os.path.join(SRC, "tests", "fixtures")

SEEDS = int(os.environ.get("LEAK_DRILL_SEEDS", "30"))
BASE_SEED = 20210302  # fixed: same leakers and edits on every run
PARTNERS = 80
ADVISORY = "EMB-DRILL-1"

# The artifacts: (language, path under tests/fixtures).  Each offers
# 50-90 robust and 150-230 fragile sites (mark_tool count).
ARTIFACTS = [
    ("python", "python/proto_fuzzer.py"),
    ("c", "c/fbx_hello_crash.c"),
    ("shell", "shell/traversal_probe.sh"),
    ("python", "derive/proxylogon_poc.py"),
]

# Unrelated to every artifact above (same author's style for some).
UNRELATED_FIXTURES = [
    "derive/same_bug_other.py",
    "derive/unrelated_backup.py",
    "derive/unrelated_ring.c",
    "derive/unrelated_rotate.sh",
    "python/auth_bypass.py",
    "python/ssrf_probe.py",
    "c/tlv_overflow.c",
    "shell/smtp_ehlo_probe.sh",
]

BLACK = shutil.which("black")


# ---- lexical helpers: which lines may be cut, where comments are ----

def py_boundaries(text):
    """For each line of text, whether a unit (a logical line, a comment
    or a blank line) may start there; None if tokenize fails."""
    lines = text.split("\n")
    start = [False] * (len(lines) + 1)
    start[0] = True
    depth = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth = max(0, depth - 1)
            elif tok.type == tokenize.NEWLINE or (
                    tok.type == tokenize.NL and depth == 0):
                start[tok.end[0]] = True
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return start[:len(lines)]


def c_classes(text):
    """Per character: 'c' code, 's' string or char literal, 'm' comment."""
    n = len(text)
    cls = ["c"] * n
    i = 0
    while i < n:
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            cls[i:j] = "m" * (j - i)
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            cls[i:j] = "m" * (j - i)
            i = j
        elif text[i] in "\"'":
            q, j = text[i], i + 1
            while j < n and text[j] != q and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            cls[i:j] = "s" * (j - i)
            i = j
        else:
            i += 1
    return cls


HEREDOC_RE = re.compile(r"<<(-?)[ \t]*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")


def sh_classes(text):
    """Per character: 'c' code, 's' quoted, 'm' comment, 'h' here-document
    body or terminator (their newlines too).  The shebang is code."""
    n = len(text)
    cls = ["c"] * n
    i = 0
    pending = []  # here-documents opened on the current line
    if text.startswith("#!"):
        i = text.find("\n")
        i = n if i < 0 else i
    while i < n:
        ch = text[i]
        if ch == "\n":
            i += 1
            for strip_tabs, word in pending:
                while i < n:
                    j = text.find("\n", i)
                    j = n if j < 0 else j
                    line = text[i:j]
                    cls[i:j + 1] = "h" * (min(j + 1, n) - i)
                    i = j + 1
                    if (line.lstrip("\t") if strip_tabs else line) == word:
                        break
            pending = []
        elif ch == "\\":
            i += 2
        elif ch == "'":
            j = text.find("'", i + 1)
            j = n if j < 0 else j + 1
            cls[i:j] = "s" * (j - i)
            i = j
        elif ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            cls[i:j] = "s" * (j - i)
            i = j
        elif ch == "#" and (i == 0 or text[i - 1] in " \t\n;|&("):
            j = text.find("\n", i)
            j = n if j < 0 else j
            cls[i:j] = "m" * (j - i)
            i = j
        elif text.startswith("<<", i) and not text.startswith("<<<", i):
            m = HEREDOC_RE.match(text, i)
            if m:
                pending.append((m.group(1) == "-", m.group(3)))
                i = m.end()
            else:
                i += 2
        else:
            i += 1
    return cls


def classes(lang, text):
    return c_classes(text) if lang == "c" else sh_classes(text)


def line_ends(text):
    """Offset of the newline ending each line of text.split("\\n") (the
    length of the text for the last one)."""
    ends, pos = [], 0
    for line in text.split("\n"):
        pos += len(line)
        ends.append(pos)
        pos += 1
    return ends


def here_lines(cls, text):
    """For each line, whether it belongs to a here-document."""
    return [e < len(cls) and cls[e] == "h" for e in line_ends(text)]


def boundaries(lang, text):
    """For each line, whether a cut between it and the line before keeps
    every string, comment, here-document and continuation whole."""
    lines = text.split("\n")
    if lang == "python":
        b = py_boundaries(text)
        if b is not None:
            return b
        return [True] * len(lines)
    cls = classes(lang, text)
    here = here_lines(cls, text) if lang == "shell" else [False] * len(lines)
    start = [True] * len(lines)
    for k, nl in enumerate(line_ends(text)[:-1]):
        if (cls[nl] not in "ch" or lines[k].endswith("\\") or
                here[k + 1]):
            start[k + 1] = False
    return start


def units(lang, text):
    """The text as a list of units: runs of lines that are cut whole."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    start = boundaries(lang, text)
    out = []
    for k, line in enumerate(lines):
        if not out or start[k]:
            out.append([])
        out[-1].append(line)
    return out


def join_units(us):
    return "".join(line + "\n" for u in us for line in u)


# ---- transformations, each deterministic in its rng ----

def strip_comments(lang, text):
    """Drop every comment (the shebang stays), and lines left empty."""
    if lang == "python":
        lines = text.split("\n")
        cut = {}
        try:
            for tok in tokenize.generate_tokens(
                    io.StringIO(text).readline):
                if tok.type == tokenize.COMMENT and not (
                        tok.start == (1, 0) and tok.string.startswith("#!")):
                    cut[tok.start[0] - 1] = tok.start[1]
        except (tokenize.TokenError, IndentationError, SyntaxError):
            return text
        out = []
        for k, line in enumerate(lines):
            if k in cut:
                line = line[:cut[k]].rstrip()
                if not line:
                    continue
            out.append(line)
        return "\n".join(out)
    cls = classes(lang, text)
    buf = []
    for ch, c in zip(text, cls):
        if c != "m":
            buf.append(ch)
        elif not buf or buf[-1] != "\0":
            buf.append("\0")
        if c == "m" and ch == "\n":
            buf.append("\n")
    out = []
    for line in "".join(buf).split("\n"):
        if "\0" in line:
            line = line.replace("\0", " ").rstrip()
            if not line.strip():
                continue
        out.append(line)
    return "\n".join(out)


_black_cache = {}


def black(text, rng):
    """black with a random line length (and string normalisation off at
    random); the text unchanged when black refuses it."""
    args = [BLACK, "-q", "-l", str(rng.choice([60, 79, 88, 100, 120]))]
    if rng.random() < 0.3:
        args.append("-S")
    args.append("-")
    key = (tuple(args[1:]), text)
    if key not in _black_cache:
        p = subprocess.run(args, input=text.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=120)
        _black_cache[key] = (p.stdout.decode() if p.returncode == 0
                             else text)
    return _black_cache[key]


def py_reindent(text, rng):
    """Without black: indentation to 2 spaces, trailing space gone."""
    start = py_boundaries(text) or []
    out = []
    for k, line in enumerate(text.split("\n")):
        if k < len(start) and start[k]:
            body = line.lstrip(" ")
            line = " " * ((len(line) - len(body)) // 2) + body
        out.append(line.rstrip())
    return "\n".join(out)


def reindent(line, unit):
    body = line.lstrip(" \t")
    lead = line[:len(line) - len(body)]
    level = lead.count("\t") + lead.count(" ") // 8
    return unit * level + " " * (lead.count(" ") % 8) + body


SIG_RE = re.compile(r"^[A-Za-z_][\w \t*]*$")
NAME_PAREN_RE = re.compile(r"^\**[A-Za-z_]\w*\(")
KW_PAREN_RE = re.compile(r"\b(if|for|while|switch|return|sizeof) \(")


def c_reflow(text, rng):
    """What an editor or clang-format does to C: squeezed blanks, another
    indent, K&R function heads, `if(` for `if (`, no trailing space."""
    unit = rng.choice(["    ", "  ", "\t", "        "])
    squeeze = rng.random() < 0.7
    tight_kw = rng.random() < 0.5
    join_sig = rng.random() < 0.7
    cuddle = rng.random() < 0.7
    drop_blank = rng.random() < 0.5
    if squeeze:  # runs of blanks in code, past the indent, to one
        cls = c_classes(text)
        buf, k, lead = [], 0, True
        while k < len(text):
            ch = text[k]
            if ch in " \t" and cls[k] == "c" and not lead:
                while k < len(text) and text[k] in " \t":
                    k += 1
                buf.append(" ")
                continue
            lead = ch == "\n" or (lead and ch in " \t")
            buf.append(ch)
            k += 1
        text = "".join(buf)
    if tight_kw:
        text = KW_PAREN_RE.sub(lambda m: m.group(1) + "(", text)
    out = []
    for line in text.split("\n"):
        line = reindent(line.rstrip(), unit)
        if drop_blank and not line.strip():
            continue
        if (join_sig and out and NAME_PAREN_RE.match(line) and
                SIG_RE.match(out[-1]) and not out[-1].startswith((
                    " ", "\t", "#", "return", "else", "case"))):
            out[-1] = out[-1].rstrip() + " " + line
            continue
        if (cuddle and line == "{" and out and out[-1].endswith(")")):
            out[-1] += " {"
            continue
        out.append(line)
    return "\n".join(out)


THEN_RE = re.compile(r"; *(then|do)$")


def sh_reflow(text, rng):
    """Another indent, `then`/`do` on their own line or not, no blank
    lines, no trailing space; here-documents untouched."""
    unit = rng.choice(["  ", "    ", "\t"])
    split_then = rng.random() < 0.5
    drop_blank = rng.random() < 0.5
    cls = sh_classes(text)
    here = here_lines(cls, text)
    out = []
    for k, line in enumerate(text.split("\n")):
        if here[k]:
            out.append(line)
            continue
        line = reindent(line.rstrip(), unit)
        if drop_blank and not line.strip():
            continue
        m = THEN_RE.search(line)
        # Only a plain `; then` at the end of a line with no quotes or
        # comment (cheap but safe).
        if split_then and m and not re.search("[\"'#]", line):
            lead = line[:len(line) - len(line.lstrip())]
            out.append(line[:m.start()])
            out.append(lead + m.group(1))
            continue
        out.append(line)
    return "\n".join(out)


def reformat(lang, text, rng):
    if lang == "python":
        return black(text, rng) if BLACK else py_reindent(text, rng)
    if lang == "c":
        return c_reflow(text, rng)
    return sh_reflow(text, rng)


C_DECL_RE = re.compile(
    r"\b(?:int|long|short|char|unsigned|size_t|ssize_t|uint8_t|uint16_t|"
    r"uint32_t|uint64_t|double|float|bool|void|FILE|struct\s+\w+)"
    r"[\s*]+([A-Za-z_]\w*)\s*[=;,)\[(]")
SH_DECL_RE = re.compile(
    r"(?:^|[\s;])(?:local\s+|for\s+)?([A-Za-z_]\w*)(?:=|\s+in\b|\s*\(\))",
    re.M)
C_KEYWORDS = set("""auto break case char const continue default do double
    else enum extern float for goto if inline int long register restrict
    return short signed sizeof static struct switch typedef union unsigned
    void volatile while bool main""".split())
SH_KEYWORDS = set("""if then else elif fi for in do done case esac while
    until function local return exit set""".split())
WORDS = """alpha bravo delta echo kilo lima oscar romeo tango victor zulu
    amber cedar maple birch aspen rowan hazel larch willow spruce""".split()


def rename_candidates(lang, text):
    """Identifiers the text declares (variables, parameters, functions)."""
    if lang == "python":
        names = collections.Counter()
        try:
            prev = None
            for tok in tokenize.generate_tokens(
                    io.StringIO(text).readline):
                if (tok.type == tokenize.NAME and
                        not keyword.iskeyword(tok.string) and
                        not hasattr(builtins, tok.string) and
                        not tok.string.startswith("__") and
                        len(tok.string) >= 3 and
                        not (prev is not None and prev.string == ".")):
                    names[tok.string] += 1
                prev = tok
        except (tokenize.TokenError, IndentationError, SyntaxError):
            return []
        imported = set(re.findall(r"^\s*(?:import|from)\s+(\w+)", text,
                                  re.M))
        return sorted(n for n, c in names.items()
                      if c >= 2 and n not in imported and n != "self")
    if lang == "c":
        found = set(C_DECL_RE.findall(text)) - C_KEYWORDS
    else:
        found = set(SH_DECL_RE.findall(text)) - SH_KEYWORDS
    return sorted(n for n in found
                  if len(re.findall(r"\b%s\b" % re.escape(n), text)) >= 2)


def rename(lang, text, rng):
    """Rename 2-5 declared identifiers everywhere (sed -e 's/\\bx\\b/y/g')."""
    cands = rename_candidates(lang, text)
    if not cands:
        return text
    for old in rng.sample(cands, min(len(cands), rng.randint(2, 5))):
        new = "%s_%s" % (rng.choice(WORDS), old[:3].lower().strip("_") or "v")
        if re.search(r"\b%s\b" % re.escape(new), text):
            new += "2"
        text = re.sub(r"\b%s\b" % re.escape(old), new, text)
    return text


def partial(lang, text, rng, scattered):
    """A contiguous, or scattered, 30-50% of the lines, cut only between
    units (logical lines, comments, here-documents)."""
    us = units(lang, text)
    total = sum(len(u) for u in us)
    target = max(1, round(rng.uniform(0.30, 0.50) * total))
    if not scattered:
        first = rng.randrange(len(us))
        # Start earlier when the end of the file comes first.
        while first > 0 and sum(len(u) for u in us[first:]) < target:
            first -= 1
        keep, n, k = [], 0, first
        while k < len(us) and n < target:
            keep.append(us[k])
            n += len(us[k])
            k += 1
        return join_units(keep)
    chosen, n = set(), 0
    while n < target and len(chosen) < len(us):
        k = rng.randrange(len(us))
        for j in range(k, min(len(us), k + rng.randint(1, 6))):
            if j not in chosen and n < target:
                chosen.add(j)
                n += len(us[j])
    return join_units(us[k] for k in sorted(chosen))


def host_files(lang):
    """Real Debian sources of a language, 1.5-60 kB, sorted (so a seed
    picks the same file on every run on the same machine)."""
    if lang == "python":
        paths = glob.glob("/usr/lib/python3*/**/*.py", recursive=True)
    elif lang == "c":
        paths = glob.glob("/usr/include/**/*.h", recursive=True)
    else:
        paths = []
        for p in (glob.glob("/usr/bin/*") + glob.glob("/usr/sbin/*") +
                  glob.glob("/usr/share/**/*.sh", recursive=True)):
            try:
                with open(p, "rb") as f:
                    head = f.readline(80)
            except OSError:
                continue
            if re.match(rb"#! ?/(usr/)?bin/(env +)?(ba|da)?sh\b", head):
                paths.append(p)
    out = set()
    for p in paths:
        try:
            if os.path.isfile(p) and 1500 <= os.path.getsize(p) <= 60000:
                out.add(os.path.realpath(p))
        except OSError:
            continue
    return sorted(out)


def read_text(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def embed(lang, text, rng, hosts):
    """The copy pasted into a larger program (real code of the same
    language), at a unit boundary of it, and maybe a second program
    after it."""
    host = read_text(rng.choice(hosts))
    hu = units(lang, host)
    if lang == "python":  # at top level, so it still looks like Python
        tops = [k for k, u in enumerate(hu)
                if u[0] and not u[0][0].isspace()] or [0]
        k = rng.choice(tops)
    else:
        k = rng.randrange(len(hu) + 1)
    out = join_units(hu[:k]) + "\n" + text.rstrip("\n") + "\n\n" + \
        join_units(hu[k:])
    if rng.random() < 0.5:
        out += "\n" + read_text(rng.choice(hosts))
    return out


def align(ref, other):
    """For each line of ref, the line of other aligned with it, or None."""
    m = [None] * len(ref)
    sm = difflib.SequenceMatcher(None, ref, other, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            for t in range(i2 - i1):
                m[i1 + t] = other[j1 + t]
    return m


def merge(texts, rng, majority):
    """Colluders' copies merged line by line: each line from a random
    colluder, or the most common version of it (ties broken at random).
    The first copy (a random colluder's) sets the order; the others are
    aligned to it with difflib; lines they moved stay the first's."""
    texts = list(texts)
    rng.shuffle(texts)
    ref = texts[0].split("\n")
    maps = [ref] + [align(ref, t.split("\n")) for t in texts[1:]]
    out = []
    for k in range(len(ref)):
        versions = [m[k] for m in maps if m[k] is not None]
        if majority:
            count = collections.Counter(versions)
            best = max(count.values())
            out.append(rng.choice(sorted(v for v in count
                                         if count[v] == best)))
        else:
            out.append(rng.choice(versions))
    return "\n".join(out)


# ---- the cases ----

# Kinds: "light" must accuse the one leaker; "heavy" and "collusion"
# must accuse no innocent; "none" (no leaker) must accuse nobody;
# "unrelated" must not even be derived.
Case = collections.namedtuple("Case", "name kind leakers langs make once",
                              defaults=(False,))


def _one(f):
    """A case made from the one leaker's copy alone."""
    return lambda s, lang, cs, rng: f(lang, cs[0], rng)


CASES = [
    Case("verbatim", "light", 1, None,
         _one(lambda lang, t, rng: t)),
    Case("reformatted", "light", 1, None,
         _one(lambda lang, t, rng: reformat(lang, t, rng))),
    Case("comment-stripped", "light", 1, None,
         _one(lambda lang, t, rng: strip_comments(lang, t))),
    Case("renamed", "light", 1, None,
         _one(lambda lang, t, rng: rename(lang, t, rng))),
    Case("embedded", "light", 1, None,
         lambda s, lang, cs, rng: embed(lang, cs[0], rng, s.hosts[lang])),
    Case("partial-contiguous", "heavy", 1, None,
         _one(lambda lang, t, rng: partial(lang, t, rng, False))),
    Case("partial-scattered", "heavy", 1, None,
         _one(lambda lang, t, rng: partial(lang, t, rng, True))),
    Case("partial+reformatted", "heavy", 1, None,
         _one(lambda lang, t, rng: partial(
             lang, reformat(lang, t, rng), rng, rng.random() < 0.5))),
    Case("reformat+strip+rename", "heavy", 1, None,
         _one(lambda lang, t, rng: rename(
             lang, strip_comments(lang, reformat(lang, t, rng)), rng))),
    Case("all-light+embedded", "heavy", 1, None,
         lambda s, lang, cs, rng: embed(lang, rename(lang, strip_comments(
             lang, reformat(lang, cs[0], rng)), rng), rng, s.hosts[lang])),
    Case("ast-unparse", "heavy", 1, ("python",),
         _one(lambda lang, t, rng: ast.unparse(ast.parse(t)) + "\n")),
    Case("pair-interleave", "collusion", 2, None,
         lambda s, lang, cs, rng: merge(cs, rng, False)),
    Case("triple-interleave", "collusion", 3, None,
         lambda s, lang, cs, rng: merge(cs, rng, False)),
    Case("triple-majority", "collusion", 3, None,
         lambda s, lang, cs, rng: merge(cs, rng, True)),
    Case("pair-merged+reformatted", "collusion", 2, None,
         lambda s, lang, cs, rng: reformat(lang, merge(cs, rng, False),
                                           rng)),
    Case("vendor-original", "none", 0, None,  # the same for every seed
         lambda s, lang, cs, rng: None, once=True),
]

LANGS = ("python", "c", "shell")


class LeakDrillTest(unittest.TestCase):
    """The drill; the instance and copies are made once for the class."""

    @classmethod
    def setUpClass(cls):
        et.check_binary()
        cls.t0 = time.monotonic()
        cls.tmp = tempfile.mkdtemp(prefix="embargo-drill-")
        cls.keep = False
        cls.home = os.path.join(cls.tmp, "data")
        cls.samples = os.path.join(cls.tmp, "samples")
        os.mkdir(cls.samples)
        try:
            cls.make_instance()
        except BaseException:
            shutil.rmtree(cls.tmp, True)
            raise
        cls.setup_time = time.monotonic() - cls.t0

    @classmethod
    def make_instance(cls):
        """80 partners, the advisory, its artifacts, every copy."""
        et.init_datadir(cls.home)
        cls.stats = {}  # case -> Counter of outcomes
        cls.missed = {}  # case -> Counter of artifacts, no leaker accused
        cls.traces = 0
        cls.trace_time = 0.0
        cls.partners = []
        for i in range(PARTNERS):
            out = cls.ok("partner", "add", "Drill Partner %02d" % i,
                         "--tier", "poc", "--country", "DE", "--json")
            cls.partners.append(json.loads(out)["id"])
        cls.ok("advisory", "create", ADVISORY, "--title", "Leak drill",
               "--patch-at", et.future(days=30))
        cls.arts = []  # (language, name, original text)
        for lang, rel in ARTIFACTS:
            cls.ok("advisory", "attach", ADVISORY, os.path.join(FIX, rel),
                   "--kind", "poc", "--tier", "poc")
            cls.arts.append((lang, os.path.basename(rel),
                             read_text(os.path.join(FIX, rel))))
        cls.copies = {}  # (artifact name, partner) -> text
        for lang, name, _ in cls.arts:
            for p in cls.partners:
                rc, out, err = et.run(["copy", ADVISORY, name, "--partner",
                                       p], datadir=cls.home, binary=True)
                if rc != 0:
                    raise AssertionError("copy %s for %s failed: %s"
                                         % (name, p, err))
                cls.copies[(name, p)] = out.decode("utf-8")
        cls.hosts = {lang: host_files(lang) for lang in LANGS}

    @classmethod
    def ok(cls, *args):
        rc, out, err = et.run(args, datadir=cls.home)
        if rc != 0:
            raise AssertionError("embargo %s failed (%d): %s"
                                 % (" ".join(args), rc, err))
        return out

    @classmethod
    def tearDownClass(cls):
        cls.print_summary()
        if cls.keep or os.environ.get("LEAK_DRILL_KEEP"):
            sys.stderr.write("leak drill: data directory and samples kept"
                             " in %s\n" % cls.tmp)
        else:
            shutil.rmtree(cls.tmp, True)

    # ---- running one sample ----

    def stat(self, case):
        return self.stats.setdefault(case, collections.Counter())

    def trace(self, path):
        t = time.monotonic()
        rc, out, err = et.run(["trace", path, "--json"], datadir=self.home,
                              timeout=600)
        type(self).traces += 1
        type(self).trace_time += time.monotonic() - t
        if rc != 0:
            return None, "trace exited %d: %s" % (rc, err.strip())
        if "Sanitizer" in err or "runtime error:" in err:
            return None, "sanitizer report: %s" % err.strip()
        try:
            return json.loads(out), None
        except ValueError as e:
            return None, "trace printed no JSON (%s): %r" % (e, out[:200])

    def run_sample(self, case, seed, art, leakers, text, kind, failures):
        """Trace text as a leak of art by leakers; count and check it.
        Failures go to failures as ((case, artifact), message)."""
        lang, name, _ = art
        tag = "%s-%d-%s" % (case, seed, name)
        path = os.path.join(self.samples, tag.replace("/", "_"))
        k = 1
        while os.path.exists(path):  # two samples of one name
            k += 1
            path = os.path.join(self.samples, "%s-%d" % (tag, k))
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        rep, problem = self.trace(path)
        st = self.stat(case)
        st["runs"] += 1
        what = ("case %s, seed %d, artifact %s, leaker(s) %s"
                % (case, seed, name, ",".join(leakers) or "none"))
        again = ("  reproduce: %s -d %s trace %s --json"
                 % (et.BIN, self.home, path))

        def fail(msg):
            failures.append(((case, name), "%s: %s\n%s" % (what, msg,
                                                            again)))

        if problem is not None:
            fail(problem)
            return
        accused = list(rep.get("accused", []))
        suspects = rep.get("suspects")
        if not isinstance(suspects, list):
            fail("no suspects list in the report")
            suspects = []
        derived = [d for s in rep["samples"] for d in s["derivations"]
                   if d["derived"]]
        derived_art = any(d["artifact"] == name for d in derived)
        caught = [p for p in accused if p in leakers]
        innocent_acc = [p for p in accused if p not in leakers]
        innocent_sus = [p for p in suspects if p not in leakers]
        st["derived"] += derived_art
        st["leaker accused"] += bool(caught)
        st["all accused"] += bool(leakers) and len(caught) == len(leakers)
        st["innocents accused"] += len(innocent_acc)
        st["innocents suspected"] += len(innocent_sus)
        st["runs with innocent suspect"] += bool(innocent_sus)
        # If the bound holds, an innocent candidate is a suspect with
        # probability at most threshold / (2 x candidates): the expected
        # number of innocent suspects is at most this budget (reported).
        ncand = sum(smp["candidates"] for smp in rep["samples"])
        if ncand:
            st["suspect budget"] += (
                sum(1 for c in rep["candidates"]
                    if c["partner"] not in leakers) *
                rep["suspect_threshold"] / (2.0 * ncand))
        if leakers and not caught:
            self.missed.setdefault(case, collections.Counter())[name] += 1
        got = "accused %s, suspects %s, verdict %r" % (
            accused, suspects, rep.get("verdict"))
        if innocent_acc:
            fail("INNOCENT ACCUSED %s; %s" % (innocent_acc, got))
        if kind == "light" and not caught:
            mine = [c for c in rep["candidates"] if c["partner"] in leakers]
            fail("the leaker was not accused; %s (derived: %s%s)" % (
                got, derived_art, "".join(
                    "; the leaker: %d of %d sites read agree, corrected"
                    " bound %.3g" % (c["agree"], c["sites"], c["corrected"])
                    for c in mine[:1])))
        if kind == "unrelated" and (derived or accused or suspects or
                                    rep.get("candidates")):
            fail("unrelated code %s; %s" % (
                "derived from %s" % [d["artifact"] for d in derived]
                if derived else "gave candidates", got))

    def finish(self, failures):
        """Fail with every failure counted and the first 25 in full."""
        if failures:
            type(self).keep = True
            count = collections.Counter(k for k, _ in failures)
            self.fail("%d failure(s) (%s):\n%s%s" % (
                len(failures), ", ".join(
                    "%s on %s: %d" % (c, a, n)
                    for (c, a), n in sorted(count.items())),
                "\n".join(m for _, m in failures[:25]),
                "\n..." if len(failures) > 25 else ""))

    def drill(self, kinds):
        """Every case of these kinds for every seed; the artifact turns
        with the seed so each case meets each artifact as often."""
        failures = []
        for i in range(SEEDS):
            seed = BASE_SEED + i
            for ci, case in enumerate(CASES):
                if case.kind not in kinds:
                    continue
                arts = [a for a in self.arts
                        if case.langs is None or a[0] in case.langs]
                if case.once and i >= len(arts):
                    continue
                art = arts[(i + ci) % len(arts)]
                rng = random.Random("%d/%s" % (seed, case.name))
                leakers = rng.sample(self.partners, case.leakers)
                copies = [self.copies[(art[1], p)] for p in leakers]
                text = case.make(self, art[0], copies, rng)
                if text is None:  # the vendor's own original
                    text = art[2]
                self.run_sample(case.name, seed, art, leakers, text,
                                case.kind, failures)
        self.finish(failures)

    # ---- the tests ----

    def test_light_leaks_name_the_leaker(self):
        self.drill(("light",))

    def test_heavy_edits_accuse_no_innocent(self):
        self.drill(("heavy",))

    def test_collusion_and_vendor_leak_accuse_no_innocent(self):
        self.drill(("collusion", "none"))

    def test_unrelated_debian_code(self):
        failures = []
        for i in range(SEEDS):
            seed = BASE_SEED + i
            for lang in LANGS:
                hosts = self.hosts[lang]
                rng = random.Random("%d/unrelated/%s" % (seed, lang))
                for path in rng.sample(hosts, min(len(hosts), 2)):
                    self.run_sample("unrelated-" + lang, seed,
                                    (lang, os.path.basename(path), None),
                                    [], read_text(path), "unrelated",
                                    failures)
        self.finish(failures)

    def test_unrelated_fixtures(self):
        failures = []
        for rel in UNRELATED_FIXTURES:
            self.run_sample("unrelated-fixtures", 0,
                            (None, os.path.basename(rel), None), [],
                            read_text(os.path.join(FIX, rel)), "unrelated",
                            failures)
        self.finish(failures)

    # ---- the summary ----

    @classmethod
    def print_summary(cls):
        kinds = {c.name: c.kind for c in CASES}
        rows = [("case", "kind", "runs", "derived", "leaker acc.",
                 "all acc.", "innoc. acc.", "innoc. susp.", "(budget)",
                 "no leaker accused, by artifact")]
        order = [c.name for c in CASES]
        for case, st in sorted(cls.stats.items(), key=lambda kv: (
                order.index(kv[0]) if kv[0] in order else len(order),
                kv[0])):
            n = st["runs"] or 1
            kind = kinds.get(case, "unrelated")
            pct = lambda k: "%.0f%%" % (100.0 * st[k] / n)  # noqa: E731
            rows.append((case, kind, str(st["runs"]), pct("derived"),
                         pct("leaker accused") if kind != "unrelated"
                         and kind != "none" else "-",
                         pct("all accused") if kind == "collusion" else "-",
                         str(st["innocents accused"]),
                         str(st["innocents suspected"]),
                         "%.2f" % st["suspect budget"],
                         " ".join("%s:%d" % (a.split(".")[0], k)
                                  for a, k in sorted(
                                      cls.missed.get(case, {}).items()))))
        width = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
        lines = ["", "leak drill: %d seeds (base %d), %d partners, "
                 "reformatter for Python: %s" % (
                     SEEDS, BASE_SEED, PARTNERS,
                     "black" if BLACK else "re-indent (no black)")]
        for r in rows:
            lines.append("  ".join(
                r[k].ljust(width[k]) if k in (0, len(r) - 1)
                else r[k].rjust(width[k]) for k in range(len(r))).rstrip())
        total = time.monotonic() - cls.t0
        lines.append("setup %.1f s, %d traces in %.1f s (%.0f ms each), "
                     "total %.1f s" % (
                         cls.setup_time, cls.traces, cls.trace_time,
                         1000 * cls.trace_time / max(1, cls.traces), total))
        sys.stderr.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    unittest.main()
