#!/bin/sh
# Canary scan benchmark: embargo's scanner beside `rg -F -f` and
# `LC_ALL=C grep -F -f` on one generated IIS (W3C) log, with 100, 1,000
# and 10,000 tokens.  Prints the median wall time, GB/s (10^9 bytes per
# second) and the speed-up over ripgrep for each.
#
#	bench/canary/run.sh
#
# Knobs (environment): SIZE_MIB=1024 (log size), RUNS=3 (runs per tool
# and count; a tool whose first run takes more than SLOW=15 seconds is run
# once), FULL=1 (also time embargo with every token in all its forms, as
# `embargo trace` scans), BENCH_DIR=/tmp/embargo-bench-canary (where the
# log, the token lists and the binaries go; never the repository), CC=cc.
# Needs ripgrep, grep, pkg-config, libvectorscan-dev and zlib1g-dev.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
SIZE_MIB=${SIZE_MIB:-1024}
RUNS=${RUNS:-3}
SLOW=${SLOW:-15}
FULL=${FULL:-1}
BENCH_DIR=${BENCH_DIR:-/tmp/embargo-bench-canary}
CC=${CC:-cc}

for tool in rg grep pkg-config "$CC"; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "run.sh: $tool not found (apt-get install ripgrep" \
		    "pkg-config libvectorscan-dev zlib1g-dev)" >&2
		exit 1
	}
done
case $BENCH_DIR in
"$src" | "$src"/*)
	echo "run.sh: BENCH_DIR must be outside the repository" >&2
	exit 1
	;;
esac
mkdir -p "$BENCH_DIR"

# Build the generator and the driver (with the flags of a release build).
cflags="-std=c17 -O2 -g -D_GNU_SOURCE -I$src/src"
$CC $cflags -o "$BENCH_DIR/gen_log" "$here/gen_log.c"
$CC $cflags -o "$BENCH_DIR/canary_bench" "$here/canary_bench.c" \
    "$src/src/trace/canary.c" "$src/src/trace/logread.c" \
    "$src/src/common/buf.c" "$src/src/common/err.c" \
    "$src/src/common/str.c" $(pkg-config --cflags --libs libhs zlib)

log=$BENCH_DIR/iis.log
want=$((SIZE_MIB * 1048576))
if [ ! -f "$log" ] || [ "$(stat -c %s "$log")" -lt "$want" ] ||
    [ ! -f "$BENCH_DIR/patterns-10000.txt" ]; then
	echo "generating a $SIZE_MIB MiB IIS log in $log ..." >&2
	"$BENCH_DIR/gen_log" "$BENCH_DIR" "$SIZE_MIB"
fi
bytes=$(stat -c %s "$log")
cat "$log" >/dev/null # into the page cache: every tool reads from memory

now() {
	date +%s.%N
}

median() {
	tr ' ' '\n' | grep . | sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR % 2)
				m = v[(NR + 1) / 2]
			else
				m = (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.3f", m
		}'
}

# CPU time (user + system) too, when /usr/bin/time is there: on a busy
# machine it moves less than the wall time.
if [ -x /usr/bin/time ]; then
	cpu_time() {
		/usr/bin/time -f '%U %S' -o "$out.cpu" "$@"
	}
else
	cpu_time() {
		echo "0 0" >"$out.cpu"
		"$@"
	}
fi

# time_runs NAME OUT CMD...: run CMD (stdout to OUT) up to RUNS times and
# print "runs median-wall-seconds median-cpu-seconds hits".
time_runs() {
	name=$1
	out=$2
	shift 2
	times=""
	cpus=""
	n=0
	while [ "$n" -lt "$RUNS" ]; do
		t0=$(now)
		cpu_time "$@" >"$out" 2>"$out.err" || {
			# grep and rg exit 1 when nothing matches
			[ $? -eq 1 ] || {
				echo "run.sh: $name failed:" >&2
				cat "$out.err" >&2
				exit 1
			}
		}
		t1=$(now)
		dt=$(echo "$t0 $t1" | awk '{ printf "%.4f", $2 - $1 }')
		times="$times $dt"
		cpus="$cpus $(awk '{ c = $1 + $2 } END { printf "%.3f", c }' \
		    "$out.cpu")"
		n=$((n + 1))
		if awk -v t="$dt" -v s="$SLOW" 'BEGIN { exit !(t > s) }'; then
			break
		fi
	done
	med=$(echo "$times" | median)
	cpu=$(echo "$cpus" | median)
	echo "$n $med $cpu $(wc -l <"$out")"
}

echo "canary scan: $(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1e9 }')" \
    "GB IIS log, $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo |
    sed 's/.*: //')), median of up to $RUNS runs"
echo "  $(rg --version | sed -n 1p); $(grep --version | sed -n 1p);" \
    "Vectorscan $(pkg-config --modversion libhs)"
printf '%-7s %-20s %4s %8s %7s %7s %6s %8s\n' tokens tool runs wall-s \
    cpu-s GB/s hits "vs rg"
for k in 100 1000 10000; do
	pat=$BENCH_DIR/patterns-$k.txt
	set -- \
	    "embargo" "$BENCH_DIR/canary_bench -m same $pat $log" \
	    "rg -F -f" "rg -n -F -f $pat $log" \
	    "LC_ALL=C grep -F -f" "env LC_ALL=C grep -n -F -f $pat $log"
	if [ "$FULL" = 1 ]; then
		set -- "$@" "embargo, all forms" \
		    "$BENCH_DIR/canary_bench -m full $pat $log"
	fi
	while [ $# -gt 0 ]; do
		name=$1
		cmd=$2
		shift 2
		# shellcheck disable=SC2086 # cmd is split on purpose
		r=$(time_runs "$name" "$BENCH_DIR/out" $cmd)
		# shellcheck disable=SC2086 # r holds four words
		set -- $r "$@"
		runs=$1
		med=$2
		cpu=$3
		hits=$4
		shift 4
		gbs=$(awk -v b="$bytes" -v t="$med" \
		    'BEGIN { printf "%.2f", b / t / 1e9 }')
		printf '%-7s %-20s %4s %8s %7s %7s %6s\n' "$k" "$name" \
		    "$runs" "$med" "$cpu" "$gbs" "$hits"
	done | awk '
		{ line[NR] = $0; if ($0 ~ /rg -F -f/) rg = $(NF - 3) }
		END {
			for (i = 1; i <= NR; i++) {
				n = split(line[i], f, " ")
				printf "%s %7.2fx\n", line[i], rg / f[n - 3]
			}
		}'
done
echo "wall-s, cpu-s: median wall and CPU (user + system) seconds; GB/s from"
echo "wall-s; hits: output lines (embargo: one per token occurrence; rg and"
echo "grep: matching lines); vs rg: ripgrep's median wall time over the tool's."
