#!/usr/bin/env python3
"""List unrelated Debian source files on this machine as a manifest.

    collect.py [--max-per-lang N] [--seed S] > manifest.tsv

Each line is LANG<TAB>PATH (python, c or shell).  Files come from the
packages installed on this machine: Python from /usr/lib and /usr/share
(Debian's python3 and dist-packages, and whatever else apt installed), the
C family (.c .h .cc .cpp .hpp .js) from /usr/include, /usr/src, /usr/share
and /usr/lib, shell scripts (by shebang) from /usr/bin, /usr/sbin,
/usr/lib, /usr/share and /etc.  To keep the set free of real copies, exact duplicates are
dropped, only one file is kept per base name (vendored modules and
per-version copies share their names), and at most --per-dir files (4) per
directory but /usr/bin and /usr/sbin (a directory of generated codecs or of lexers written from one
template is one family of clones, not unrelated code).  Sizes 300 B to 200 KiB; files
that are not UTF-8 are skipped.
"""
import argparse
import hashlib
import os
import random
import sys

# Directories that collect programs of many packages: no per-dir limit.
FLAT = ("/usr/bin", "/usr/sbin", "/bin", "/sbin")
# Not Debian's (installed from other registries) or per-platform copies.
SKIP = ("google-cloud-sdk", "node_modules", "archs")
MIN_SIZE = 300
MAX_SIZE = 200 * 1024
SHEBANGS = (b"#!/bin/sh", b"#! /bin/sh", b"#!/bin/bash", b"#! /bin/bash",
            b"#!/usr/bin/env bash", b"#!/usr/bin/env sh", b"#!/bin/dash")


def walk(roots, pred):
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP)
            for f in sorted(filenames):
                p = os.path.join(dirpath, f)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                try:
                    size = os.path.getsize(p)
                except OSError:
                    continue
                if MIN_SIZE <= size <= MAX_SIZE and pred(p):
                    yield p


def is_shell(p):
    try:
        with open(p, "rb") as f:
            head = f.read(64)
    except OSError:
        return False
    return head.startswith(SHEBANGS)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-per-lang", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-dir", type=int, default=4,
                    help="at most this many files from one directory")
    args = ap.parse_args()
    sources = [
        ("python", walk(["/usr/lib", "/usr/share"],
                        lambda p: p.endswith(".py"))),
        ("c", walk(["/usr/include", "/usr/src", "/usr/share", "/usr/lib"],
                   lambda p: p.endswith((".c", ".h", ".cc", ".cpp", ".hpp",
                                         ".js")))),
        ("shell", walk(["/usr/bin", "/usr/sbin", "/usr/lib", "/usr/share",
                        "/etc"], is_shell)),
    ]
    seen_hash, seen_name = set(), set()
    rng = random.Random(args.seed)
    for lang, it in sources:
        picked, per_dir = [], {}
        for p in it:
            d = os.path.dirname(p)
            if (args.per_dir and d not in FLAT and
                    per_dir.get(d, 0) >= args.per_dir):
                continue
            name = os.path.basename(p)
            if name in seen_name or name == "__init__.py":
                continue
            try:
                data = open(p, "rb").read()
                data.decode("utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            h = hashlib.sha256(data).digest()
            if h in seen_hash:
                continue
            seen_hash.add(h)
            seen_name.add(name)
            per_dir[d] = per_dir.get(d, 0) + 1
            picked.append(p)
        if args.max_per_lang and len(picked) > args.max_per_lang:
            picked = sorted(rng.sample(picked, args.max_per_lang))
        for p in picked:
            sys.stdout.write("%s\t%s\n" % (lang, p))


if __name__ == "__main__":
    main()
