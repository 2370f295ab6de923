#!/bin/sh
# Benchmark: wrk on loopback against `embargo serve` (an authenticated
# TAXII objects page, and a raw artifact download) beside nginx serving a
# static file of the same size, in the same run.  Not a test: prints a
# table and the two target checks (>= 50% of nginx's requests/s for the
# same bytes, p99 < 5 ms), and exits 0 whatever the figures.
#
#   bench/server/run.sh [EMBARGO_BIN]
#
# Environment: DURATION (s, default 10), CONNECTIONS (64), WRK_THREADS (2),
# SERVER_THREADS (embargo serve --threads, default: cores), SIZE (bytes of
# the artifact, default 4096), MARK (auto|none, default auto).
# Needs wrk and nginx (scripts/install-deps --bench installs them).
set -eu
cd "$(dirname "$0")/../.."
BIN=${1:-${EMBARGO_BIN:-build/embargo}}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
SIZE=${SIZE:-4096}
MARK=${MARK:-auto}
CORES=$(nproc)
SERVER_THREADS=${SERVER_THREADS:-$CORES}
for t in wrk nginx curl python3; do
	command -v "$t" >/dev/null || { echo "bench: $t is missing" >&2; exit 1; }
done
[ -x "$BIN" ] || { echo "bench: no embargo binary at $BIN" >&2; exit 1; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

work=$(mktemp -d /tmp/embargo-bench.XXXXXX)
epid="" npid=""
cleanup() {
	[ -n "$epid" ] && kill "$epid" 2>/dev/null && wait "$epid" 2>/dev/null
	[ -n "$npid" ] && kill "$npid" 2>/dev/null && wait "$npid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
export EMBARGO_HOME="$work/data"
E() { "$BIN" "$@" >/dev/null 2>&1; }

# One partner, one advisory, one text artifact of SIZE bytes.
E init
TOKEN=$("$BIN" partner add "Bench Partner" --id bench --tier poc --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
python3 - "$work/artifact.txt" "$SIZE" <<'PY'
import sys
path, size = sys.argv[1], int(sys.argv[2])
line = "the quick brown fox jumps over the lazy dog, said the advisory\n"
text = (line * (size // len(line) + 1))[:size - 1] + "\n"
open(path, "w").write(text)
PY
E advisory create BENCH-1 --title "Benchmark advisory" \
    --cve CVE-2021-26855 --patch-at "$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)"
E advisory attach BENCH-1 "$work/artifact.txt" --kind advisory --tier notify \
    --mark "$MARK"

"$BIN" serve --listen 127.0.0.1:0 --threads "$SERVER_THREADS" \
    --max-per-addr 1024 --auth-fail-limit 0 2>"$work/serve.log" &
epid=$!
for _ in $(seq 50); do
	grep -q 'serving' "$work/serve.log" 2>/dev/null && break
	sleep 0.1
done
EPORT=$(sed -n 's/.*:\([0-9]*\) (.*/\1/p' "$work/serve.log" | head -n 1)
[ -n "$EPORT" ] || { cat "$work/serve.log" >&2; exit 1; }
BASE="http://127.0.0.1:$EPORT"
AUTH="Authorization: Bearer $TOKEN"
DL="$BASE/v1/advisories/BENCH-1/artifacts/artifact.txt"
PAGE="$BASE/taxii2/api/collections/c6eb1f7e-f401-4b45-8377-2f44c2c755ba/objects/"

# nginx serves the very same bytes, as static files (its workers run as
# an unprivileged user: the web root must be readable to them).
mkdir -p "$work/www" "$work/nginx"
chmod 755 "$work" "$work/www"
curl -sf -H "$AUTH" -o "$work/www/download.bin" "$DL"
curl -sf -H "$AUTH" -H "Accept: application/taxii+json;version=2.1" \
    -o "$work/www/page.json" "$PAGE"
NPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/nginx/nginx.conf" <<NGINX
daemon off;
worker_processes $CORES;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	client_body_temp_path $work/nginx;
	proxy_temp_path $work/nginx;
	fastcgi_temp_path $work/nginx;
	uwsgi_temp_path $work/nginx;
	scgi_temp_path $work/nginx;
	server {
		listen 127.0.0.1:$NPORT;
		root $work/www;
	}
}
NGINX
chmod 644 "$work/www/download.bin" "$work/www/page.json"
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
npid=$!
sleep 0.5

# wrk prints Requests/sec and, with --latency, the 99% percentile.
run() { # name url [header]
	name=$1 url=$2
	shift 2
	if [ $# -gt 0 ]; then
		wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency \
		    -H "$1" ${2:+-H "$2"} "$url" >"$work/$name.wrk" 2>&1
	else
		wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency \
		    "$url" >"$work/$name.wrk" 2>&1
	fi
	rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$work/$name.wrk")
	p99=$(sed -n 's/^ *99% *\([0-9.]*[a-z]*\).*/\1/p' "$work/$name.wrk")
	non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' \
	    "$work/$name.wrk")
	printf '%-28s %10s req/s   p99 %-9s %s\n' "$name" "$rps" "$p99" \
	    "${non2xx:+($non2xx non-2xx!)}"
	eval "rps_$name=\$rps; p99_$name=\$p99"
}

echo "embargo $("$BIN" --version | cut -d' ' -f2), $CORES cores, wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s, artifact $SIZE bytes (mark $MARK), copy $(wc -c <"$work/www/download.bin") bytes, objects page $(wc -c <"$work/www/page.json") bytes"
run embargo_download "$DL" "$AUTH"
run nginx_download "http://127.0.0.1:$NPORT/download.bin"
run embargo_taxii_page "$PAGE" "$AUTH" "Accept: application/taxii+json;version=2.1"
run nginx_taxii_page "http://127.0.0.1:$NPORT/page.json"

python3 - "$rps_embargo_download" "$rps_nginx_download" "$p99_embargo_download" \
    "$rps_embargo_taxii_page" "$rps_nginx_taxii_page" "$p99_embargo_taxii_page" <<'PY'
import sys
def ms(s):
    for unit, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if s.endswith(unit):
            return float(s[:-len(unit)]) * f
    return float("nan")
d, nd, dp, t, nt, tp = sys.argv[1:]
for name, a, b, p in (("download", d, nd, dp), ("TAXII page", t, nt, tp)):
    ratio = float(a) / float(b)
    print("%-11s %5.1f%% of nginx (target >= 50%%): %s;  p99 %.2f ms (target < 5 ms): %s"
          % (name, 100 * ratio, "met" if ratio >= 0.5 else "NOT met",
             ms(p), "met" if ms(p) < 5 else "NOT met"))
PY
deliveries=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from deliveries').fetchone()[0])" "$EMBARGO_HOME/embargo.db")
echo "deliveries recorded during the run: $deliveries"
