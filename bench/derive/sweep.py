#!/usr/bin/env python3
"""Sweep the verdict's cut-offs (docs/derivation.md).

    sweep.py POOL.tsv POOL_PAIRS CORPUS_DIR CORPUS_PAIRS

Both pair files come from a derive_bench built with a relaxed verdict, so
that the aligned count is computed for every pair sharing 4 fingerprints:

    gcc ... -DTRACE_DERIVE_RUN=3 -DTRACE_DERIVE_GAP=2 \\
        -DTRACE_DERIVE_MIN_SHARED=4 -DTRACE_DERIVE_MIN_ART=0.0 \\
        -DTRACE_DERIVE_MIN_SMP=0.0 ... -o derive_bench_relaxed

For each (MIN_SHARED, MIN_ART, MIN_SMP) it prints the pairs of unrelated
Debian files (POOL, from collect.py) that would be flagged, in all and
across packages, and the planted pairs of the corpus (make_corpus.py)
that would be found.
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


def features(path):
    """Per unordered pair: (aligned, artifact fps, sample fps) each way."""
    out = collections.defaultdict(list)
    for l in open(path):
        f = l.rstrip("\n").split("\t")
        ac, sc, sh, al = float(f[2]), float(f[3]), int(f[4]), int(f[7])
        if sh == 0:
            continue
        out[frozenset((int(f[0]), int(f[1])))].append(
            (al, sh / ac if ac else 0, sh / sc if sc else 0))
    return out


def flag(v, a, ma, ms):
    return any(al >= a and (al >= ma * art or al >= ms * smp)
               for al, art, smp in v)


def main():
    own = owners()
    pool = [l.rstrip("\n").split("\t")[1] for l in open(sys.argv[1])]
    pf = features(sys.argv[2])
    cpaths = [l.rstrip("\n").split("\t")[1]
              for l in open(sys.argv[3] + "/manifest.tsv")]
    idx = {p: i for i, p in enumerate(cpaths)}
    truth = {}
    for l in open(sys.argv[3] + "/truth.tsv"):
        o, d, t = l.rstrip("\n").split("\t")
        truth[frozenset((idx[o], idx[d]))] = t
    tf = features(sys.argv[4])

    def pkg(i):
        return own.get(pool[i], "?%d" % i)

    print("min_shared min_art min_smp  pool_flagged cross_pkg  recall")
    for a in (6, 8, 10, 12, 16):
        for ma, ms in ((0.15, 0.3), (0.2, 0.4), (0.25, 0.5), (0.3, 0.6)):
            fl = [p for p, v in pf.items() if flag(v, a, ma, ms)]
            cross = sum(1 for p in fl if len({pkg(i) for i in p}) == 2)
            rec = sum(1 for p in truth if p in tf and flag(tf[p], a, ma, ms))
            print("%10d %7.2f %7.2f  %12d %9d  %d/%d" % (
                a, ma, ms, len(fl), cross, rec, len(truth)))


if __name__ == "__main__":
    main()
