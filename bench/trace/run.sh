#!/bin/sh
# `embargo trace` on one leaked PoC, run from the repository root after a
# build:
#   bench/trace/run.sh [BUILD_DIR] [PARTNERS...]     (default: 80 1000)
# (or ninja -C BUILD bench-trace)
# For each partner count: a fresh instance with that many partners in the
# poc tier, the demo PoC (demo/poc.py) attached and a copy delivered to
# every partner, then one partner's copy leaked as in scripts/demo step 13 (the leak drill)
# (black, comments stripped, a variable renamed).  Times the whole
# command, `embargo trace leaked.py` and `embargo trace leaked.py --json`
# in turn, RUNS times each (default 15, at least 11), and prints median
# and 90th percentile; every run must accuse exactly the leaker.  Beside
# it, in the same go: what a coordinator who kept every partner's copy
# could otherwise run, the copy whose identifier set (Python tokenize)
# is closest (Jaccard) to the leak's, timed in-process over all copies.
set -eu
build=$(cd "${1:-build-test}" && pwd)
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/../.."
partners=${*:-80 1000}
tmp=$(mktemp -d /tmp/embargo-bench-trace.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
command -v black >/dev/null || { echo "needs black (apt install black)" >&2; exit 1; }
# shellcheck disable=SC2086 # one argument per partner count
python3 - "$build" "$tmp" "${RUNS:-15}" $partners <<'PY'
import io, json, math, os, re, statistics, subprocess, sys, time, tokenize
build, tmp, runs = sys.argv[1], sys.argv[2], max(11, int(sys.argv[3]))
emb = os.path.abspath(os.path.join(build, "embargo"))
poc = os.path.abspath("demo/poc.py")

def load():
    return " ".join("%.2f" % x for x in os.getloadavg())

def names(text):
    out = set()
    try:
        for t in tokenize.generate_tokens(io.StringIO(text).readline):
            if t.type == tokenize.NAME:
                out.add(t.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out

def p90(xs):
    xs = sorted(xs)
    return xs[max(0, math.ceil(0.9 * len(xs)) - 1)]

print("load average at start: %s" % load())
print("%8s %7s %6s %11s %11s %11s %11s %11s %9s" % (
    "partners", "sites", "read", "trace_med", "trace_p90", "json_med",
    "json_p90", "jaccard_med", "jacc_ok"))
for n in [int(x) for x in sys.argv[4:]]:
    home = os.path.join(tmp, "data-%d" % n)
    env = dict(os.environ, EMBARGO_HOME=home)
    def run(*a, **kw):
        return subprocess.run([emb] + list(a), env=env, check=True,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, **kw).stdout
    t0 = time.perf_counter()
    run("init")
    ids = ["partner-%04d" % i for i in range(n)]
    for i in ids:
        run("partner", "add", "Partner " + i, "--tier", "poc", "--id", i)
    run("advisory", "create", "EMB-BENCH-0001", "--title", "bench",
        "--patch-at", "2099-01-01T00:00:00Z")
    run("advisory", "attach", "EMB-BENCH-0001", poc, "--kind", "poc",
        "--tier", "poc")
    copies = os.path.join(tmp, "copies-%d" % n)
    os.mkdir(copies)
    for i in ids:
        run("copy", "EMB-BENCH-0001", "poc.py", "--partner", i,
            "-o", os.path.join(copies, i + ".py"))
    leaker = ids[n // 2]
    # scripts/demo step 13 (the leak drill): black, comments stripped, a variable renamed.
    with open(os.path.join(copies, leaker + ".py")) as f:
        src = f.read()
    src = subprocess.run(["black", "-q", "-"], input=src, text=True,
                         check=True, stdout=subprocess.PIPE).stdout
    src = re.sub(r"(?m)^ *#.*$", "", src)
    src = re.sub(r"\bprobes\b", "checks", src)
    leaked = os.path.join(tmp, "leaked-%d.py" % n)
    with open(leaked, "w") as f:
        f.write(src)
    setup = time.perf_counter() - t0
    t_txt, t_json, t_jac, jac_ok = [], [], [], True
    rep = None
    for _ in range(runs):
        t = time.perf_counter()
        out = run("trace", leaked, text=True)
        t_txt.append(time.perf_counter() - t)
        if not re.search(r"VERDICT: accused: %s\s*$" % leaker, out, re.M):
            sys.exit("trace did not accuse exactly %s:\n%s" % (leaker, out))
        t = time.perf_counter()
        rep = json.loads(run("trace", leaked, "--json", text=True))
        t_json.append(time.perf_counter() - t)
        if rep["accused"] != [leaker]:
            sys.exit("trace --json accused %s, not %s" % (rep["accused"],
                                                         leaker))
        # The baseline: closest identifier set among the kept copies.
        t = time.perf_counter()
        with open(leaked) as f:
            ln = names(f.read())
        best, best_j = None, -1.0
        for i in ids:
            with open(os.path.join(copies, i + ".py")) as f:
                cn = names(f.read())
            j = len(ln & cn) / max(1, len(ln | cn))
            if j > best_j:
                best, best_j = i, j
        t_jac.append(time.perf_counter() - t)
        jac_ok &= best == leaker
    art = rep["samples"][0]["artifacts"][0]
    innocents = [c for c in rep["candidates"]
                 if c["partner"] != leaker and c["status"] != "cleared"]
    print("%8d %7d %6d %9.0fms %9.0fms %9.0fms %9.0fms %9.0fms %9s" % (
        n, art["sites"], art["read"], statistics.median(t_txt) * 1e3,
        p90(t_txt) * 1e3, statistics.median(t_json) * 1e3,
        p90(t_json) * 1e3, statistics.median(t_jac) * 1e3,
        "yes" if jac_ok else "NO"))
    print("         %d runs each; setup %.0f s; accused %s (round %s, "
          "corrected %.3g), %d innocent suspects, %d candidates; "
          "load %s" % (runs, setup, ",".join(rep["accused"]),
                       rep["candidates"][0]["round"],
                       rep["candidates"][0]["corrected"], len(innocents),
                       len(rep["candidates"]), load()))
PY
