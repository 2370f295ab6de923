#!/usr/bin/env python3
"""Build the derivation benchmark corpus with planted derived pairs.

    make_corpus.py --pool POOL.tsv --out DIR [--base N] [--planted P]
                   [--seed S]

POOL.tsv is collect.py's manifest of unrelated Debian files.  The pool
(or N files of it) is copied into DIR/<lang>/ as the unrelated
background, and P of those files (40% Python, 40% C family, 20% shell;
programs of 1-30 KB with at least 40 lines of code) become originals: for each, one derived copy is
written beside them, made by one of the transformations below (cycled so
that each gets its share).  Embedding hosts are large pool files kept out
of the corpus.  Written:

    DIR/manifest.tsv   LANG<TAB>PATH, every corpus file
    DIR/truth.tsv      ORIGINAL<TAB>DERIVED<TAB>TRANSFORMATION (paths)
    DIR/origin.tsv     PATH<TAB>SOURCE<TAB>PACKAGE: where each corpus file
                       came from and the Debian package owning it (a
                       derived copy gets its original's)

Transformations (what a leaker does to a PoC):
    reformat         comments stripped, re-indented, quotes and braces
                     restyled, spacing changed, blank lines dropped
    rename           every local name renamed consistently
    partial          one contiguous 30-50% of the lines
    reorder          top-level blocks (functions, paragraphs) shuffled
    embed            the whole file pasted into a larger unrelated file,
                     at a top-level point near its middle
    rename+reformat, partial+rename, reorder+rename, embed+partial
"""
import argparse
import glob
import os
import random
import re
import shutil

TRANSFORMS = ["reformat", "rename", "partial", "reorder", "embed",
              "rename+reformat", "partial+rename", "reorder+rename",
              "embed+partial"]

KEYWORDS = {
    "python": set("""False None True and as assert async await break class
        continue def del elif else except finally for from global if import
        in is lambda nonlocal not or pass raise return try while with yield
        self print len range str int dict list set tuple open isinstance
        super object Exception bool float bytes""".split()),
    "c": set("""auto break case char const continue default do double else
        enum extern float for goto if inline int long register restrict
        return short signed sizeof static struct switch typedef union
        unsigned void volatile while NULL include define ifdef ifndef endif
        undef pragma elif error size_t uint8_t uint16_t uint32_t uint64_t
        int8_t int16_t int32_t int64_t bool true false""".split()),
    "shell": set("""if then else elif fi case esac for while until do done in
        function select time echo printf read cd export local set unset
        shift exit return test source eval exec trap wait true false
        declare readonly getopts""".split()),
}

# Strings and comments are skipped by the renamer (first alternatives).
LEX = {
    "python": re.compile(r'''("""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|#[^\n]*)|([A-Za-z_][A-Za-z0-9_]*)'''),
    "c": re.compile(r'''("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|//[^\n]*|/\*[\s\S]*?\*/|^\s*#\s*include[^\n]*)|([A-Za-z_][A-Za-z0-9_]*)''', re.M),
    "shell": re.compile(r'''('[^']*'|#[^\n]*)|([A-Za-z_][A-Za-z0-9_]*)'''),
}

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo "
         "lima mike november oscar papa quebec romeo sierra tango uniform "
         "victor whiskey xray yankee zulu").split()


def strip_comments(text, lang):
    out = []
    if lang == "c":
        text = re.sub(r"/\*[\s\S]*?\*/", " ", text)
        text = re.sub(r"(^|[ \t])//[^\n]*", r"\1", text)
    for i, line in enumerate(text.split("\n")):
        s = line.strip()
        if lang in ("python", "shell") and s.startswith("#") and not (
                i == 0 and s.startswith("#!")):
            continue
        if s == "":
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def reindent(line, unit_from, unit_to):
    stripped = line.lstrip(" \t")
    lead = line[:len(line) - len(stripped)].replace("\t", " " * 8)
    return unit_to * (len(lead) // unit_from) + " " * (
        len(lead) % unit_from) + stripped


def map_code(text, lang, fn, fstr=None):
    """Apply fn to the code between strings and comments (fstr to those)."""
    out, pos = [], 0
    for m in LEX[lang].finditer(text):
        if m.group(1) is None:
            continue
        out.append(fn(text[pos:m.start(1)]))
        out.append(fstr(m.group(1)) if fstr else m.group(1))
        pos = m.end(1)
    out.append(fn(text[pos:]))
    return "".join(out)


def requote(s):
    if (len(s) >= 2 and s[0] == "'" and s[-1] == "'" and not
            s.startswith("\'\'\'") and '"' not in s and "\\" not in s):
        return '"' + s[1:-1] + '"'
    return s


def reformat(text, lang, rng):
    text = strip_comments(text, lang)
    lines = text.split("\n")
    if lang == "python":
        lines = [reindent(l, 4, "  ") for l in lines]
        text = "\n".join(lines)
        # single quotes to double where harmless, spaces around operators
        text = map_code(text, lang, lambda c: re.sub(
            r",(\S)", r", \1", re.sub(r"(\w)=(\w)", r"\1 = \2", c)),
            requote)
    elif lang == "c":
        lines = [reindent(l, 8, "    ") for l in lines]
        text = "\n".join(lines)
        text = map_code(text, lang, lambda c: re.sub(
            r"([^ =!<>+\-*/&|%^])=([^=])", r"\1 = \2", re.sub(
                r"\b(if|for|while|switch)\(", r"\1 (", re.sub(
                    r"\)[ \t]*\{[ \t]*\n", ")\n{\n", c))))
        text = re.sub(r"[ \t]+\n", "\n", text)
    else:
        lines = [reindent(l, 4, "\t") for l in lines]
        text = "\n".join(lines)
        text = map_code(text, lang, lambda c: re.sub(
            r";[ \t]*do\b", "\ndo", re.sub(r";[ \t]*then\b", "\nthen", c)))
    return text


def rename(text, lang, rng):
    kw = KEYWORDS[lang]
    names = {}
    words = WORDS[:]
    rng.shuffle(words)

    def fresh():
        n = len(names)
        return "%s_%s%d" % (words[n % len(words)],
                            words[(n // len(words)) % len(words)], n)

    out, pos = [], 0
    for m in LEX[lang].finditer(text):
        if m.group(2) is None:
            continue
        name = m.group(2)
        start = m.start(2)
        before = text[max(0, start - 1):start]
        line_start = text.rfind("\n", 0, start) + 1
        line = text[line_start:text.find("\n", start) if text.find(
            "\n", start) >= 0 else len(text)]
        if name in kw or len(name) < 2 or before == ".":
            continue
        if lang == "python" and re.match(r"\s*(import|from)\b", line):
            continue
        if lang == "shell":
            # variables and functions only: NAME=, $NAME, ${NAME}, NAME()
            after = text[m.end(2):m.end(2) + 2]
            if not (before in ("$", "{") or after.startswith("=") or
                    after.startswith("()")):
                continue
        if name not in names:
            names[name] = fresh()
        out.append(text[pos:start])
        out.append(names[name])
        pos = m.end(2)
    out.append(text[pos:])
    return "".join(out)


def partial(text, lang, rng):
    lines = text.split("\n")
    n = len(lines)
    k = max(1, int(n * rng.uniform(0.30, 0.50)))
    start = rng.randrange(0, max(1, n - k + 1))
    return "\n".join(lines[start:start + k]) + "\n"


def blocks(text, lang):
    """Top-level blocks: a header, then units that can be reordered."""
    lines = text.split("\n")
    out, cur = [], []
    for line in lines:
        top = line[:1] not in (" ", "\t", "") and not line.startswith(("}",
                                                                       ")"))
        if lang == "python":
            brk = top and re.match(r"(def |class |@|async def )", line) \
                and not (cur and cur[-1].startswith("@"))
        elif lang == "c":
            brk = top and cur and cur[-1].strip() in ("}", "};", "")
        else:
            brk = line.strip() == "" and cur
        if brk and cur:
            out.append(cur)
            cur = []
        cur.append(line)
    if cur:
        out.append(cur)
    return out


def reorder(text, lang, rng):
    bl = blocks(text, lang)
    if len(bl) < 3:
        # too few blocks: swap halves of the lines
        lines = text.split("\n")
        h = len(lines) // 2
        return "\n".join(lines[h:] + lines[:h])
    head, rest = bl[0], bl[1:]
    rng.shuffle(rest)
    return "\n".join(l for b in [head] + rest for l in b)


def embed(text, host, lang):
    """Paste text at a top-level point near the middle of host: a blank
    line followed by an unindented line that starts a definition (not the
    inside of a string, a here-doc or a function)."""
    lines = host.split("\n")
    starts = {"python": r"(def |class |async def |@|import |from )",
              "c": r"(static |int |void |char |const |struct |unsigned |"
                   r"#include|#define|typedef )",
              "shell": r"[A-Za-z_][A-Za-z0-9_]*(\(\)| *\(\)|=)"}[lang]
    ok = [i for i in range(1, len(lines))
          if lines[i - 1].strip() == "" and re.match(starts, lines[i]) and
          (lang != "c" or i < 2 or lines[i - 2].strip() in ("}", "};", "")
           or lines[i - 2].startswith("#"))]
    if not ok:
        ok = [i for i, l in enumerate(lines) if l.strip() == ""] or [
            len(lines) // 2]
    mid = min(ok, key=lambda i: abs(i - len(lines) // 2))
    return "\n".join(lines[:mid] + text.split("\n") + [""] + lines[mid:])


def apply(name, text, lang, rng, hosts):
    for step in name.split("+"):
        if step == "embed":
            continue
        text = {"reformat": reformat, "rename": rename, "partial": partial,
                "reorder": reorder}[step](text, lang, rng)
    if "embed" in name.split("+"):
        text = embed(text, hosts.pop(), lang)
    return text


def code_lines(path, lang):
    """Lines of code: not blank, not a comment, not inside a docstring."""
    text = strip_comments(open(path, encoding="utf-8").read(), lang)
    if lang == "python":
        text = re.sub(r'("""|\'\'\')[\s\S]*?\1', "", text)
    return sum(1 for l in text.split("\n") if l.strip())


def owners():
    own = {}
    for lst in glob.glob("/var/lib/dpkg/info/*.list"):
        pkg = os.path.basename(lst)[:-5].split(":")[0]
        with open(lst, errors="replace") as f:
            for line in f:
                own[line.rstrip("\n")] = pkg
    return own


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pool", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--base", type=int, default=0,
                    help="base files (default: the whole pool but hosts)")
    ap.add_argument("--planted", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    pool = {}
    for line in open(args.pool):
        lang, path = line.rstrip("\n").split("\t")
        pool.setdefault(lang, []).append(path)
    total = sum(len(v) for v in pool.values())
    # Planted originals: 40% Python, 40% C family, 20% shell.
    plant_share = {"python": 0.4, "c": 0.4, "shell": 0.2}
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    manifest, truth, origin = [], [], {}
    own = owners()
    for lang, frac in plant_share.items():
        files = pool.get(lang, [])[:]
        rng.shuffle(files)
        nplant = int(round(args.planted * frac))
        nembed = sum(1 for j in range(nplant)
                     if "embed" in TRANSFORMS[j % len(TRANSFORMS)])
        # Embedding hosts: large files kept out of the corpus.
        big = [p for p in files if os.path.getsize(p) >= 8000]
        hosts = [open(p, encoding="utf-8").read() for p in big[:nembed]]
        files = [p for p in files if p not in set(big[:nembed])]
        while len(hosts) < nembed and len(files) > 3:
            h = ""
            while files and len(h) < 8000:
                h += open(files.pop(), encoding="utf-8").read() + "\n"
            hosts.append(h)
        nbase = len(files)
        if args.base:
            nbase = min(nbase, int(args.base * len(pool[lang]) / total))
        os.makedirs(os.path.join(args.out, lang))
        copied = []
        for i, p in enumerate(files[:nbase]):
            dst = os.path.join(args.out, lang, "b%04d_%s" % (
                i, os.path.basename(p)))
            shutil.copyfile(p, dst)
            origin[dst] = (p, own.get(p, own.get(os.path.realpath(p), "?")))
            copied.append(dst)
            manifest.append((lang, dst))
        # Originals: PoC-sized programs (1-30 KB), not headers if possible.
        cand = [p for p in copied if 1000 <= os.path.getsize(p) <= 30000
                and code_lines(p, lang) >= 40]
        rng.shuffle(cand)
        cand.sort(key=lambda p: p.endswith((".h", ".hpp")))
        for j, orig in enumerate(cand[:nplant]):
            t = TRANSFORMS[j % len(TRANSFORMS)]
            text = open(orig, encoding="utf-8").read()
            out = apply(t, text, lang, rng, hosts)
            ext = os.path.splitext(orig)[1]
            dst = os.path.join(args.out, lang, "d%04d_%s%s" % (
                j, t.replace("+", "_"), ext))
            with open(dst, "w", encoding="utf-8") as f:
                f.write(out)
            manifest.append((lang, dst))
            origin[dst] = origin[orig]
            truth.append((orig, dst, t))
    with open(os.path.join(args.out, "manifest.tsv"), "w") as f:
        for lang, p in manifest:
            f.write("%s\t%s\n" % (lang, p))
    with open(os.path.join(args.out, "origin.tsv"), "w") as f:
        for p, (src, pkg) in origin.items():
            f.write("%s\t%s\t%s\n" % (p, src, pkg))
    with open(os.path.join(args.out, "truth.tsv"), "w") as f:
        for o, d, t in truth:
            f.write("%s\t%s\t%s\n" % (o, d, t))


if __name__ == "__main__":
    main()
