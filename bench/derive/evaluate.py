#!/usr/bin/env python3
"""Recall and precision on planted pairs, for embargo and for Dolos.

    evaluate.py CORPUS_DIR EMBARGO_PAIRS [DOLOS_PAIRS]

EMBARGO_PAIRS is derive_bench's output (a pair is flagged when either
direction is derived: embargo's own verdict, nothing tuned here).  Dolos
has no verdict, only scores, so it gets the benefit of the doubt: its
cut-off is chosen after the fact, on the truth, to maximise F1, for each
of two scores (similarity, and the larger of its two coverages, which is
containment both ways like embargo's); recall at embargo's precision is
reported too.  Pairs are unordered.  Precision is given two ways: strict (every flagged
pair that was not planted is a false positive, although the background
holds real copies: vendored modules, generated files, sibling files
written from one template), and across packages (a flagged pair of files
from the same Debian package is left out as unknown; derived copies count
as their original's package).
"""
import collections
import sys


def load_manifest(d):
    paths = [l.rstrip("\n").split("\t")[1] for l in open(d + "/manifest.tsv")
             if l.strip()]
    return {p: i for i, p in enumerate(paths)}, paths


def load_truth(d, idx):
    truth = {}
    for l in open(d + "/truth.tsv"):
        o, dv, t = l.rstrip("\n").split("\t")
        truth[frozenset((idx[o], idx[dv]))] = t
    return truth


def prf(flagged, truth):
    tp = sum(1 for p in flagged if p in truth)
    fp = len(flagged) - tp
    rec = tp / len(truth) if truth else 0.0
    prec = tp / len(flagged) if flagged else 1.0
    return tp, fp, rec, prec


def cross_fp(flagged, truth, pkg):
    """False positives whose two files come from different packages."""
    return sum(1 for p in flagged if p not in truth and
               len({pkg.get(i, "?%d" % i) for i in p}) == 2)


def load_pkg(d, idx):
    pkg = {}
    try:
        for l in open(d + "/origin.tsv"):
            p, src, owner = l.rstrip("\n").split("\t")
            if p in idx and owner != "?":
                pkg[idx[p]] = owner
    except OSError:
        pass
    return pkg


def per_transform(flagged, truth):
    c = collections.Counter(truth.values())
    hit = collections.Counter(t for p, t in truth.items() if p in flagged)
    return ", ".join("%s %d/%d" % (t, hit[t], c[t]) for t in sorted(c))


def best_cut(scores, truth, min_prec=None):
    """Cut-off on a score maximising F1 (or recall at min_prec)."""
    items = sorted(scores.items(), key=lambda kv: -kv[1])
    tp = fp = 0
    best = (0.0, 1.1, 0, 0)
    for k, (p, s) in enumerate(items):
        if p in truth:
            tp += 1
        else:
            fp += 1
        if k + 1 < len(items) and items[k + 1][1] == s:
            continue
        rec, prec = tp / len(truth), tp / (tp + fp)
        if min_prec is not None:
            val = rec if prec >= min_prec else -1
        else:
            val = 2 * rec * prec / (rec + prec) if rec + prec else 0
        if val > best[0]:
            best = (val, s, tp, fp)
    return best


def main():
    d = sys.argv[1]
    idx, paths = load_manifest(d)
    truth = load_truth(d, idx)
    flagged = set()
    for l in open(sys.argv[2]):
        f = l.split("\t")
        if f[6].strip() == "1":
            flagged.add(frozenset((int(f[0]), int(f[1]))))
    pkg = load_pkg(d, idx)
    tp, fp, rec, prec = prf(flagged, truth)
    xfp = cross_fp(flagged, truth, pkg)
    print("embargo: planted %d, flagged %d, TP %d, FP %d, recall %.3f, "
          "precision %.3f (across packages: FP %d, precision %.3f)" % (
              len(truth), len(flagged), tp, fp, rec, prec, xfp,
              tp / (tp + xfp) if tp + xfp else 1))
    print("  per transformation: " + per_transform(flagged, truth))
    if len(sys.argv) > 3:
        sim, cov = {}, {}
        for l in open(sys.argv[3]):
            f = l.split("\t")
            if len(f) < 6:
                continue
            p = frozenset((int(f[0]), int(f[1])))
            sim[p] = max(sim.get(p, 0), float(f[2]))
            cov[p] = max(cov.get(p, 0), float(f[3]), float(f[4]))
        for name, sc in (("similarity", sim), ("max coverage", cov)):
            f1, cut, btp, bfp = best_cut(sc, truth)
            fl = {p for p, s in sc.items() if s >= cut}
            xf = cross_fp(fl, truth, pkg)
            print("dolos (%s >= %.4f, best F1 on the truth): TP %d, FP %d, "
                  "recall %.3f, precision %.3f (across packages: FP %d, "
                  "precision %.3f)" % (
                      name, cut, btp, bfp, btp / len(truth),
                      btp / (btp + bfp) if btp + bfp else 1, xf,
                      btp / (btp + xf) if btp + xf else 1))
            print("  per transformation: " + per_transform(fl, truth))
            r, cut2, tp2, fp2 = best_cut(sc, truth, min_prec=prec)
            print("  at embargo's precision (%.3f): recall %.3f (cut-off "
                  "%.4f)" % (prec, max(r, 0), cut2))


if __name__ == "__main__":
    main()
