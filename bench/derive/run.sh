#!/bin/sh
# Derivation benchmark: embargo's derivation index beside Dolos on the same
# corpus of Debian sources with planted derived pairs.  See README.md.
#
#   bench/derive/run.sh            build, generate, run, report
#   EMB_RUNS=5 DOLOS_RUNS=3 WORK=/tmp/embargo-derive bench/derive/run.sh
#   DOLOS_RUNS=0 bench/derive/run.sh   reuse the last Dolos times and pairs
#
# Needs gcc, python3, node and npm (Dolos is installed with npm under
# $WORK/dolos, never in the repository).  Nothing is written in the tree.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)/src
WORK=${WORK:-/tmp/embargo-derive}
EMB_RUNS=${EMB_RUNS:-5}
DOLOS_RUNS=${DOLOS_RUNS:-3}
PLANTED=${PLANTED:-300}
SEED=${SEED:-7}
mkdir -p "$WORK"

echo "== building the embargo driver" >&2
gcc -std=c17 -O2 -D_GNU_SOURCE -I"$src" \
    "$src/trace/tokens.c" "$src/trace/winnow.c" "$src/trace/derive.c" \
    "$src/common/buf.c" "$src/common/err.c" "$src/common/str.c" \
    "$here/derive_bench.c" -o "$WORK/derive_bench"

if [ ! -d "$WORK/dolos/node_modules/@dodona/dolos-lib" ]; then
	echo "== installing Dolos (npm @dodona/dolos-lib) in $WORK/dolos" >&2
	mkdir -p "$WORK/dolos"
	(cd "$WORK/dolos" && npm init -y >/dev/null &&
	    npm install --no-audit --no-fund @dodona/dolos-lib >/dev/null)
fi
cp "$here/dolos_run.mjs" "$WORK/dolos/dolos_run.mjs"

echo "== building the corpus" >&2
python3 "$here/collect.py" --per-dir 8 >"$WORK/pool.tsv"
python3 "$here/make_corpus.py" --pool "$WORK/pool.tsv" \
    --out "$WORK/corpus" --planted "$PLANTED" --seed "$SEED"
nfiles=$(wc -l <"$WORK/corpus/manifest.tsv")
echo "corpus: $nfiles files, $(wc -l <"$WORK/corpus/truth.tsv") planted" \
    "pairs" >&2

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {
	if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR/2] + a[NR/2+1]) / 2 }'; }

: >"$WORK/emb_times"
i=0
while [ "$i" -lt "$EMB_RUNS" ]; do
	t0=$(now)
	"$WORK/derive_bench" "$WORK/corpus/manifest.tsv" \
	    >"$WORK/emb_pairs.tsv" 2>"$WORK/emb_stats"
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }' >>"$WORK/emb_times"
	echo "embargo run $((i + 1)): $(tail -1 "$WORK/emb_times") s" \
	    "($(cat "$WORK/emb_stats"))" >&2
	i=$((i + 1))
done

# DOLOS_RUNS=0 keeps the Dolos times and pairs of an earlier run.
[ "$DOLOS_RUNS" -gt 0 ] && : >"$WORK/dolos_times"
i=0
while [ "$i" -lt "$DOLOS_RUNS" ]; do
	t0=$(now)
	(cd "$WORK/dolos" &&
	    node dolos_run.mjs "$WORK/corpus/manifest.tsv" \
	    >"$WORK/dolos_pairs.tsv")
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }' >>"$WORK/dolos_times"
	echo "dolos run $((i + 1)): $(tail -1 "$WORK/dolos_times") s" >&2
	i=$((i + 1))
done

emb=$(median <"$WORK/emb_times")
dol=$(median <"$WORK/dolos_times")
echo
echo "files: $nfiles (every file indexed, then queried against all)"
printf 'embargo: median %.3f s over %d runs\n' "$emb" "$EMB_RUNS"
printf 'dolos:   median %.3f s over %d runs\n' "$dol" \
    "$(wc -l <"$WORK/dolos_times")"
awk -v d="$dol" -v e="$emb" \
    'BEGIN { printf "speed ratio (dolos / embargo): %.1fx\n", d / e }'
echo "embargo runs (s): $(tr '\n' ' ' <"$WORK/emb_times")"
echo "dolos runs (s):   $(tr '\n' ' ' <"$WORK/dolos_times")"
python3 "$here/evaluate.py" "$WORK/corpus" "$WORK/emb_pairs.tsv" \
    "$WORK/dolos_pairs.tsv"
