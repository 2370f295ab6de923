#!/bin/sh
# Accusation benchmark, run from the repository root after a build:
#   bench/accuse/run.sh [BUILD_DIR] [PARTNERS] [RUNS]
#   (defaults: build-test, 100000 partners, 7 runs; or ninja bench-accuse)
# builds bench/accuse_bench (not built by default), then in one go:
#  1. one leaker, 70% of the sites surviving: the ranked accusation in its
#     three variants (today's mark_artifact_symbols, and the two faster
#     derivations), the "asis" replica of src/core/trace.c on 1,000 of the
#     partners, and its candidate scan alone at PARTNERS;
#  2. a pair forging by majority, 70% surviving: the ranked variants;
#  3. the same with three colluders;
#  4. the NumPy baseline on scenario 1's code matrix (scores and ranking,
#     no bound), if NumPy imports in /usr/bin/python3 or python3.
# The artifact is tests/fixtures/python/*.py appended, cut to >= 1,000
# coded sites.  Every line starting with RESULT is a figure.
set -eu
build=$(cd "${1:-build-test}" && pwd)
partners=${2:-100000}
runs=${3:-7}
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d /tmp/embargo-bench-accuse.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# Under `ninja bench-accuse` (MESON_BUILD_ROOT set) ninja built it already.
[ -n "${MESON_BUILD_ROOT:-}" ] || ninja -C "$build" bench/accuse_bench >/dev/null
bench="$build/bench/accuse_bench"
fixtures=$(ls tests/fixtures/python/*.py)
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== 1. one leaker"
# shellcheck disable=SC2086
"$bench" -n "$partners" -r "$runs" -c 1 -s 0.7 -a 1000 -S -d "$tmp" \
    $fixtures | grep -v ' run '
echo "== 2. a pair, majority"
# shellcheck disable=SC2086
"$bench" -n "$partners" -r "$runs" -c 2 -s 0.7 -a 0 $fixtures |
    grep -v ' run '
echo "== 3. three colluders, majority (the colluder rounds rescore)"
# shellcheck disable=SC2086
"$bench" -n "$partners" -r "$runs" -c 3 -s 0.7 -a 0 $fixtures |
    grep -v ' run '
echo "== 4. NumPy on scenario 1's matrix"
py=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import numpy' 2>/dev/null; then
		py=$p
		break
	fi
done
if [ -n "$py" ]; then
	"$py" bench/accuse/numpy_score.py "$tmp" "$runs"
else
	echo "NumPy not available (apt install python3-numpy): skipped"
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
