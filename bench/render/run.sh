#!/bin/sh
# Rendering benchmark, run from the repository root after a build:
#   bench/render/run.sh [BUILD_DIR]
# For each fixture: the in-process render time per partner copy (median of
# 2000 partners), then, side by side as whole commands, `embargo copy`
# (open the instance, decrypt, parse, render, record the delivery) against
# `sed -f` running the same partner's renamings over the same file: the
# per-copy script a coordinator would otherwise use.  Medians of 30 runs.
set -eu
build=${1:-build-test}
tmp=$(mktemp -d /tmp/embargo-bench-render.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
python3 - "$build" "$tmp" <<'PY'
import glob, json, os, statistics, subprocess, sys, time
build, tmp = sys.argv[1], sys.argv[2]
emb = os.path.join(build, "embargo")
bench = os.path.join(build, "bench", "render_bench")
files = sorted(glob.glob("tests/fixtures/python/*.py"))[:2] + ["demo/poc.py"]
# A ~50 KB artifact: fixtures concatenated as one long PoC.
big = os.path.join(tmp, "big_poc.py")
with open(big, "w") as out:
    for f in sorted(glob.glob("tests/fixtures/python/*.py")) * 8:
        out.write(open(f).read() + "\n")
        if out.tell() > 50000:
            break
files.append(big)
home = os.path.join(tmp, "data")
env = dict(os.environ, EMBARGO_HOME=home)
def run(*a):
    subprocess.run([emb] + list(a), env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
run("init")
run("partner", "add", "Partner Zero", "--tier", "poc", "--id", "partner-0")
run("advisory", "create", "BENCH", "--title", "bench", "--patch-at",
    "2099-01-01T00:00:00Z")
def median_cmd(argv, n=30, **kw):
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, **kw)
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts) * 1e3
print("%-22s %7s %6s %10s %10s %10s %10s %7s" % (
    "artifact", "bytes", "sites", "render_us", "p90_us", "copy_ms",
    "sed_ms", "sed/cp"))
for f in files:
    name = os.path.basename(f)
    script = os.path.join(tmp, name + ".sed")
    r = json.loads(subprocess.run([bench, f, "2000", script], check=True,
                                  capture_output=True, text=True).stdout)
    run("advisory", "attach", "BENCH", f, "--kind", "poc", "--tier", "poc",
        "--name", name)
    cp = median_cmd([emb, "copy", "BENCH", name, "--partner", "partner-0"],
                    env=env)
    sed = median_cmd(["sed", "-f", script, f])
    print("%-22s %7d %6d %10.1f %10.1f %10.2f %10.2f %7.2f" % (
        name, r["bytes"], r["sites"], r["render_median_us"],
        r["render_p90_us"], cp, sed, sed / cp))
PY
