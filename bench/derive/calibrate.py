#!/usr/bin/env python3
"""False derivations among unrelated files (docs/derivation.md).

    collect.py --per-dir 1 > clean.tsv
    derive_bench clean.tsv > clean_pairs.tsv
    calibrate.py clean.tsv clean_pairs.tsv

Every file of the manifest was indexed and queried against all others, so
every flagged pair is a derivation claimed between two files that were
never planted as copies.  Prints the number of same-language pairs, the
flagged pairs (unordered; the direction with the most aligned
fingerprints), and each flagged pair with its numbers, the Debian
packages owning the two files and whether they differ, so that each can
be checked by eye: a real copy (vendored module, generated file, sibling
written from one template) or a false match.
"""
import collections
import glob
import os
import sys


def owners():
    own = {}
    for lst in glob.glob("/var/lib/dpkg/info/*.list"):
        pkg = os.path.basename(lst)[:-5].split(":")[0]
        with open(lst, errors="replace") as f:
            for line in f:
                own[line.rstrip("\n")] = pkg
    return own


def main():
    files = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])
             if l.strip()]
    own = owners()
    per_lang = collections.Counter(lang for lang, _ in files)
    pairs = sum(c * (c - 1) // 2 for c in per_lang.values())
    flagged = {}
    for l in open(sys.argv[2]):
        f = l.rstrip("\n").split("\t")
        if f[6] != "1":
            continue
        key = frozenset((int(f[0]), int(f[1])))
        if key not in flagged or int(f[7]) > int(flagged[key][7]):
            flagged[key] = f
    cross = 0
    rows = []
    for key, f in flagged.items():
        a, b = files[int(f[0])][1], files[int(f[1])][1]
        pa = own.get(a, own.get(os.path.realpath(a), "?"))
        pb = own.get(b, own.get(os.path.realpath(b), "?"))
        diff = pa != pb
        cross += diff
        rows.append((files[int(f[0])][0], a, b, f[2], f[3], f[7], pa, pb,
                     "cross" if diff else "same"))
    print("files: %s" % dict(per_lang))
    print("same-language pairs: %d" % pairs)
    print("flagged pairs: %d (%.2e of all), across packages: %d (%.2e)" % (
        len(flagged), len(flagged) / max(pairs, 1), cross,
        cross / max(pairs, 1)))
    for r in sorted(rows):
        print("%-6s art %s smp %s aligned %-4s %s [%s]  %s [%s]  %s" % (
            r[0], r[3], r[4], r[5], r[1], r[6], r[2], r[7], r[8]))


if __name__ == "__main__":
    main()
