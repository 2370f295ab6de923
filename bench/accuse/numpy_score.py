#!/usr/bin/env python3
"""The baseline for bench/accuse: symmetric Tardos scores (Skoric et al.)
of every partner over a stored code matrix, with NumPy, then a ranking.

    numpy_score.py DIR [RUNS]

DIR holds what `accuse_bench -d DIR` wrote: sym.u8 (partners x read
sites, row-major), obs.u8 and pobs.f64 (the observed symbol per read site
and its bias), colluders.txt and score.f64 (embargo's round-1 scores).
No innocent-tail bound (no Gaussian either): scores and ranking only.
Two implementations: the straightforward np.where over the matrix, and a
matrix-vector product of the agreement matrix; each in chunks of 8,192
partners so that the float temporaries stay small.  Prints one RESULT
line per implementation (median, min, max over RUNS, default 7) and checks
that the top scorers are the colluders and that the scores are embargo's.
"""
import os
import statistics
import sys
import time

import numpy as np

CHUNK = 8192


def score_where(x, y, g1, g0):
    out = np.empty(x.shape[0])
    for i in range(0, x.shape[0], CHUNK):
        out[i:i + CHUNK] = np.where(x[i:i + CHUNK] == y, g1, g0).sum(axis=1)
    return out


def score_matvec(x, y, g1, g0):
    d = g1 - g0
    base = g0.sum()
    out = np.empty(x.shape[0])
    for i in range(0, x.shape[0], CHUNK):
        out[i:i + CHUNK] = (x[i:i + CHUNK] == y) @ d + base
    return out


def main():
    d = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    y = np.fromfile(os.path.join(d, "obs.u8"), dtype=np.uint8)
    a = np.fromfile(os.path.join(d, "pobs.f64"))
    ref = np.fromfile(os.path.join(d, "score.f64"))
    with open(os.path.join(d, "colluders.txt")) as f:
        colluders = {int(v) for v in f.read().split()}
    t = time.perf_counter()
    x = np.fromfile(os.path.join(d, "sym.u8"), dtype=np.uint8)
    x = x.reshape(-1, y.size)
    load = time.perf_counter() - t
    print("numpy %s: %d partners x %d read sites, matrix loaded in %.3f s"
          % (np.__version__, x.shape[0], x.shape[1], load))
    for name, fn in (("numpy-where", score_where),
                     ("numpy-matvec", score_matvec)):
        ts = []
        for _ in range(runs):
            t = time.perf_counter()
            g1 = np.sqrt((1 - a) / a)
            g0 = -np.sqrt(a / (1 - a))
            s = fn(x, y, g1, g0)
            order = np.argsort(-s, kind="stable")
            ts.append(time.perf_counter() - t)
        top = {int(i) for i in order[:len(colluders)]}
        err = float(np.max(np.abs(s - ref)))
        print("RESULT %s partners=%d read=%d runs=%d median=%.3f min=%.3f "
              "max=%.3f top_are_colluders=%s max_abs_diff_vs_embargo=%.2g"
              % (name, x.shape[0], x.shape[1], runs, statistics.median(ts),
                 min(ts), max(ts), "yes" if top == colluders else "NO",
                 err))


if __name__ == "__main__":
    main()
