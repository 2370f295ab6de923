#!/usr/bin/env python3
"""`embargo trace --html` rendered in headless Chromium (Debian chromium).

One instance with sixteen partners (fourteen receive the PoC); one
partner leaks an edited copy that also shows up as a User-Agent in an IIS
log.  The page of that trace, the page of an unrelated sample and the
page of three leaked copies traced together are checked as Chromium
parses and lays them out:

- the verdict names the accused partners (as `trace --json` does on the
  same inputs);
- the SVG chart has one bar per candidate of the JSON report, in its
  order, coloured by status, labelled with the partner (apart per sample
  when several are traced), on one -log10 scale with a single threshold
  line that exactly the bars at or below alpha reach; the rendered labels
  fit inside the chart;
- the candidates, derivation and canary tables hold the JSON's rows (the
  derivation of the leaked artifact, the canary hit with the log's file,
  line, partner, time and client);
- file names full of markup (`<script>alert(1)</script>"&'`, an
  `<img onerror>`) come out as literal text, never as elements; the page
  has no script at all;
- the page is self-contained: no src/href/url()/@import in the file, and
  Chromium, whose only way out is a recording proxy, fetches nothing for
  it (a probe image in an instrumented copy proves the proxy sees
  requests);
- a 1200x1600 screenshot is a real PNG (decoded here with zlib) that is
  not blank and shows the accused bar's colour;
- an unrelated sample's page renders, says nothing was derived and names
  the sample it is about.

Run alone: python3 tests/e2e/test_trace_html.py (embargo from $EMBARGO_BIN,
chromium from $CHROMIUM or the PATH).
"""

import html.parser
import http.server
import json
import math
import os
import re
import shutil
import signal
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import unittest
import zlib
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import embargo_test as et  # noqa: E402

SRC = os.environ.get("EMBARGO_SRC", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", ".."))
POC = os.path.join(SRC, "demo", "poc.py")

MISSING_CHROMIUM = "chromium not found: run scripts/install-deps --test"


def find_chromium():
    c = os.environ.get("CHROMIUM")
    if c:
        return c if os.access(c, os.X_OK) else None
    for name in ("chromium", "chromium-browser"):
        p = shutil.which(name)
        if p:
            return p
    return None


CHROMIUM = find_chromium()
CHROMIUM_TIMEOUT = 90

CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu",
    "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--no-default-browser-check", "--disable-extensions",
    "--disable-default-apps", "--disable-breakpad", "--mute-audio",
    "--disable-client-side-phishing-detection", "--metrics-recording-only",
    "--disable-features=Translate,OptimizationHints,MediaRouter,"
    "DialMediaRouteProvider,AutofillServerCommunication,"
    "NetworkTimeServiceQuerying,OptimizationGuideModelDownloading",
    "--hide-scrollbars", "--force-device-scale-factor=1",
    "--lang=en-US",
]

# Markup in names that must come out as text.
EVIL_DIR = "<script>alert(1)</script>\"&'"  # a directory: '/' splits it
EVIL_PARTNER_NAME = "Acme <script>alert(1)</script> \"&<>' Labs"
EVIL_LOG_DIR = "logs <img src=x onerror=alert(2)> \"&'"

# Colours of report.c's stylesheet.
RED = (0xc0, 0x39, 0x2b)        # .acc
ACC_FILL = "rgb(192, 57, 43)"

# demo-like partners: (name, id or None, tier).  The PoC goes to "poc".
PARTNERS = [
    (EVIL_PARTNER_NAME, "acme", "poc"),
    ("Avantguard", None, "poc"),
    ("Bitshield", None, "poc"),
    ("Kestrel Laboratories Threat Intelligence", None, "poc"),
    ("Cygnet Security", None, "poc"),
    ("Dunesec", None, "poc"),
    ("Ember Labs", None, "poc"),
    ("Harbor AV", None, "poc"),
    ("Jade Netsec", None, "poc"),
    ("Lumen EDR", None, "poc"),
    ("Fjordwall", None, "poc"),
    ("Ironclad", None, "poc"),
    ("Quarry Response", None, "poc"),
    ("Tundra CERT", None, "poc"),
    ("Osprey MSSP", None, "detect"),
    ("Vireo Analytics", None, "notify"),
]
LEAKER = "acme"
LEAKER2 = "kestrel-laboratories-threat-intelligence"
LEAKER3 = "tundra-cert"

LOG_NOISE = 40
LOG_HIT_LINE = 2 + LOG_NOISE + 1   # two header lines, the noise, the hit
LOG_CLIENT = "203.0.113.66"
LOG_TIME = "2021-03-02T11:42:07Z"


# ---------------------------------------------------------------- helpers

def leak_edit(text, keep_ua=True):
    """What a leaker does before posting: strips the comments, renames a
    variable, (optionally) replaces the User-Agent."""
    out = []
    for line in text.splitlines():
        if line.lstrip().startswith("#") and not line.startswith("#!"):
            continue
        out.append(line)
    text = "\n".join(out) + "\n"
    text = re.sub(r"\bPROBES\b", "CHECKS", text)
    text = re.sub(r"\bprobes\b", "checks", text)
    if not keep_ua:
        text = re.sub(r'(?m)^USER_AGENT = .*$',
                      'USER_AGENT = "python-urllib/3"', text)
    return text


def user_agent(copy_text):
    m = re.search(r'(?m)^USER_AGENT = ["\'](.*)["\'] *$', copy_text)
    if m is None:
        raise AssertionError("no USER_AGENT line in the partner's copy")
    return m.group(1)


def iis_log(ua):
    lines = ["#Software: Microsoft Internet Information Services 10.0",
             "#Fields: date time s-ip cs-method cs-uri-stem s-port c-ip"
             " cs(User-Agent) sc-status"]
    for i in range(LOG_NOISE):
        lines.append("2021-03-02 10:%02d:%02d 10.0.0.5 GET /owa/ 443"
                     " 198.51.100.%d Mozilla/5.0+(Windows+NT+10.0) 200"
                     % (i % 60, (7 * i) % 60, 1 + i))
    date, time = LOG_TIME.rstrip("Z").split("T")
    lines.append("%s %s 10.0.0.5 POST /ecp/proxylogon.js 443 %s %s 500"
                 % (date, time, LOG_CLIENT, ua.replace(" ", "+")))
    return "\n".join(lines) + "\n"


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []   # Node or str

    def iter(self, tag=None):
        for c in self.children:
            if isinstance(c, Node):
                if tag is None or c.tag == tag:
                    yield c
                yield from c.iter(tag)

    def find(self, tag, **attrs):
        for n in self.iter(tag):
            if all(n.attrs.get(k) == v for k, v in attrs.items()):
                return n
        return None

    def findall(self, tag, **attrs):
        return [n for n in self.iter(tag)
                if all(n.attrs.get(k) == v for k, v in attrs.items())]

    def text(self):
        return "".join(c if isinstance(c, str) else c.text()
                       for c in self.children)

    def elements(self):
        """Direct and indirect element children in document order."""
        return list(self.iter())


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "param", "source", "track", "wbr"}


class TreeBuilder(html.parser.HTMLParser):
    """A DOM tree from serialised HTML (Chromium's --dump-dom output is
    well formed: every non-void element is closed)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", [])
        self.cur = self.root
        self.tags = Counter()
        self.attr_names = []

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        self.tags[tag] += 1
        self.attr_names += [(tag, k, v) for k, v in attrs]
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        self.tags[tag] += 1
        self.attr_names += [(tag, k, v) for k, v in attrs]

    def handle_endtag(self, tag):
        n = self.cur
        while n is not self.root and n.tag != tag:
            n = n.parent
        if n is not self.root:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse_html(text):
    b = TreeBuilder()
    b.feed(text)
    b.close()
    return b


def table_rows(doc, table_id):
    t = doc.find("table", id=table_id)
    if t is None:
        raise AssertionError("no <table id=%s> in the page" % table_id)
    rows = []
    for tr in t.iter("tr"):
        if tr.findall("th"):
            continue
        rows.append([td.text() for td in tr.findall("td")])
    return rows


def png_decode(path):
    """(width, height, channels, rows) of an 8-bit RGB/RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise AssertionError("%s is not a PNG" % path)
    pos, idat, hdr = 8, [], None
    while pos + 12 <= len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        if zlib.crc32(typ + body) & 0xffffffff != crc:
            raise AssertionError("PNG chunk %r: bad CRC" % typ)
        if typ == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif typ == b"IDAT":
            idat.append(body)
        elif typ == b"IEND":
            break
        pos += 12 + n
    if hdr is None or not idat:
        raise AssertionError("PNG without IHDR or IDAT")
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace != 0:
        raise AssertionError("unexpected PNG format %r" % (hdr,))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    if len(raw) != h * (stride + 1):
        raise AssertionError("PNG data is %d bytes, expected %d"
                             % (len(raw), h * (stride + 1)))
    lo = int.from_bytes(b"\x7f" * stride, "big")
    hi = int.from_bytes(b"\x80" * stride, "big")

    def add(a, b):  # bytewise a + b mod 256 on big integers
        return ((a & lo) + (b & lo)) ^ ((a ^ b) & hi)

    rows, prev = [], bytes(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        if ft == 0:
            cur = bytes(line)
        elif ft == 2:
            cur = add(int.from_bytes(line, "big"),
                      int.from_bytes(prev, "big")).to_bytes(stride, "big")
        elif ft == 1:
            x, shift = int.from_bytes(line, "big"), 8 * bpp
            while shift < 8 * stride:
                x = add(x, x >> shift)
                shift *= 2
            cur = x.to_bytes(stride, "big")
        elif ft in (3, 4):
            c = bytearray(line)
            for i in range(stride):
                a = c[i - bpp] if i >= bpp else 0
                b = prev[i]
                if ft == 3:
                    c[i] = (c[i] + ((a + b) >> 1)) & 255
                    continue
                cc = prev[i - bpp] if i >= bpp else 0
                p = a + b - cc
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - cc)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else cc
                c[i] = (c[i] + pr) & 255
            cur = bytes(c)
        else:
            raise AssertionError("PNG filter type %d" % ft)
        rows.append(cur)
        prev = cur
    return w, h, bpp, rows


def pixel_counts(rows, bpp):
    counts = Counter()
    for r in rows:
        counts.update(zip(r[0::bpp], r[1::bpp], r[2::bpp]))
    return counts


class RecordingProxy:
    """An HTTP proxy on loopback that answers 404 to everything and
    records what it was asked for: Chromium's only way to the network."""

    def __init__(self):
        self.requests = []
        owner = self

        class H(http.server.BaseHTTPRequestHandler):
            def _any(self):
                owner.requests.append("%s %s" % (self.command, self.path))
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()

            do_GET = do_POST = do_HEAD = do_CONNECT = do_PUT = _any
            do_OPTIONS = do_DELETE = do_PATCH = _any

            def log_message(self, *a):
                pass

        class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.server = S(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def take(self):
        r, self.requests = self.requests, []
        return r

    def close(self):
        self.server.shutdown()
        self.server.server_close()


MEASURE_ID = "embargo-test-measure"
PROBE_HOST = "probe.embargo-test.invalid"
PROBE_REQUEST = "GET http://%s/probe.png" % PROBE_HOST

# Appended to a copy of the page: lays the chart out and writes what it
# measured into the DOM, for --dump-dom to return.
MEASURE_SCRIPT = """
<img src="http://%s/probe.png" alt="">
<script>
window.addEventListener('load', function () {
  function box(e, o) {
    var b = e.getBoundingClientRect();
    return {l: b.left - o.left, r: b.right - o.left,
            t: b.top - o.top, b: b.bottom - o.top};
  }
  var out = {svgs: document.querySelectorAll('svg').length};
  var svg = document.querySelector('svg');
  if (svg) {
    var o = svg.getBoundingClientRect();
    out.svg = {w: o.width, h: o.height};
    out.rects = Array.prototype.map.call(svg.querySelectorAll('rect'),
      function (r) { var x = box(r, o); x.cls = r.getAttribute('class');
                     x.fill = getComputedStyle(r).fill; return x; });
    out.texts = Array.prototype.map.call(svg.querySelectorAll('text'),
      function (t) { var x = box(t, o); x.s = t.textContent; return x; });
    out.lines = Array.prototype.map.call(svg.querySelectorAll('line'),
      function (l) { var x = box(l, o); x.cls = l.getAttribute('class');
                     x.stroke = getComputedStyle(l).stroke; return x; });
  }
  out.resources = performance.getEntriesByType('resource').map(
    function (e) { return e.name; });
  var pre = document.createElement('pre');
  pre.id = '%s';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
""" % (PROBE_HOST, MEASURE_ID)


# ------------------------------------------------------------------ test

class TraceHtmlTest(unittest.TestCase):

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        if CHROMIUM is None:
            raise AssertionError(MISSING_CHROMIUM)
        et.check_binary()
        cls.tmp = tempfile.mkdtemp(prefix="embargo-html-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.proxy = RecordingProxy()
        cls.addClassCleanup(cls.proxy.close)
        cls.home = os.path.join(cls.tmp, "data")
        et.init_datadir(cls.home)
        cls.cases = {}
        # What Chromium fetches by itself, with a blank page.
        cls.blank = os.path.join(cls.tmp, "blank.html")
        with open(cls.blank, "w") as f:
            f.write("<!DOCTYPE html><title>blank</title><p>blank</p>\n")
        cls.proxy.take()
        cls.chromium("--dump-dom", "file://" + cls.blank)
        cls.background = {cls.request_key(r) for r in cls.proxy.take()}

        cls.ids = []
        for name, pid, tier in PARTNERS:
            args = ["partner", "add", name, "--tier", tier, "--country",
                    "DE", "--json"]
            if pid:
                args += ["--id", pid]
            cls.ids.append(json.loads(cls.emb(*args))["id"])
        cls.poc_ids = [i for i, p in zip(cls.ids, PARTNERS)
                       if p[2] == "poc"]
        assert LEAKER2 in cls.poc_ids and LEAKER3 in cls.poc_ids
        cls.emb("advisory", "create", "EMB-2021-0001", "--title",
                "Exchange Server SSRF", "--cve", "CVE-2021-26855",
                "--patch-at", et.future(days=15))
        cls.emb("advisory", "attach", "EMB-2021-0001",
                os.path.join(SRC, "demo", "advisory.md"), "--kind",
                "advisory", "--tier", "notify")
        cls.emb("advisory", "attach", "EMB-2021-0001", POC, "--kind", "poc",
                "--tier", "poc")
        copies = {}
        for pid in cls.ids:
            if pid in cls.poc_ids:
                out = os.path.join(cls.tmp, "copy-%s.py" % pid)
                cls.emb("copy", "EMB-2021-0001", "poc.py", "--partner", pid,
                        "-o", out)
                with open(out) as f:
                    copies[pid] = f.read()
            cls.emb("copy", "EMB-2021-0001", "advisory.md", "--partner",
                    pid, "-o", os.path.join(cls.tmp, "adv-%s.md" % pid))

        # The leak: an edited copy under a name full of markup, and the
        # honeypot log with the copy's User-Agent.
        d = os.path.join(cls.tmp, "forum", EVIL_DIR)
        os.makedirs(d)
        cls.sample = os.path.join(d, "poc-leak.py")   # path holds </script>
        with open(cls.sample, "w") as f:
            f.write(leak_edit(copies[LEAKER]))
        d = os.path.join(cls.tmp, EVIL_LOG_DIR)
        os.makedirs(d)
        cls.log = os.path.join(d, "u_ex210302.log")
        with open(cls.log, "w") as f:
            f.write(iis_log(user_agent(copies[LEAKER])))
        cls.sample2 = os.path.join(cls.tmp, "forum", "second & <b>.py")
        with open(cls.sample2, "w") as f:
            f.write(leak_edit(copies[LEAKER2], keep_ua=False))
        cls.sample3 = os.path.join(cls.tmp, "forum", "third.py")
        with open(cls.sample3, "w") as f:
            f.write(leak_edit(copies[LEAKER3], keep_ua=False))
        cls.unrelated = os.path.join(cls.tmp, "forum", "fib <tool>.py")
        with open(cls.unrelated, "w") as f:
            f.write("import sys\n\n\ndef fib(n):\n    a, b = 0, 1\n"
                    "    for _ in range(n):\n        a, b = b, a + b\n"
                    "    return a\n\n\nif __name__ == \"__main__\":\n"
                    "    print(fib(int(sys.argv[1])))\n")

    @classmethod
    def emb(cls, *args):
        rc, out, err = et.run(list(args), datadir=cls.home)
        if rc != 0:
            raise AssertionError("embargo %s failed (%d): %s"
                                 % (" ".join(map(str, args)), rc, err))
        return out

    # ---- running chromium ----

    @classmethod
    def chromium(cls, *args):
        prof = tempfile.mkdtemp(prefix="chromium-", dir=cls.tmp)
        env = dict(os.environ)
        env.update({"HOME": prof, "XDG_CONFIG_HOME": prof + "/.config",
                    "XDG_CACHE_HOME": prof + "/.cache", "TZ": "UTC",
                    "LANG": "C.UTF-8"})
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        argv = [CHROMIUM] + CHROMIUM_FLAGS + [
            "--user-data-dir=" + os.path.join(prof, "profile"),
            "--proxy-server=http://127.0.0.1:%d" % cls.proxy.port,
            "--proxy-bypass-list=<-loopback>"] + list(args)
        p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                             env=env, cwd=prof, start_new_session=True)
        try:
            out, err = p.communicate(timeout=CHROMIUM_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            raise AssertionError("chromium %s: no answer in %d s"
                                 % (args[-1], CHROMIUM_TIMEOUT))
        finally:
            try:  # helpers it left behind, in its own process group
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if p.returncode != 0:
            tail = err.decode("utf-8", "replace").splitlines()[-15:]
            raise AssertionError("chromium %s exited %d:\n%s"
                                 % (" ".join(args), p.returncode,
                                    "\n".join(tail)))
        return out.decode("utf-8", "replace")

    @staticmethod
    def request_key(r):
        """A proxied request without its query: "CONNECT host:port" or
        "METHOD scheme://host/path"."""
        method, _, target = r.partition(" ")
        return method + " " + target.split("?", 1)[0]

    @classmethod
    def page_fetches(cls, requests, expected=()):
        """The requests of a run that Chromium does not also make for a
        blank page (its own update and sign-in services, which the
        Debian build starts whatever the flags)."""
        extra = [r for r in requests
                 if cls.request_key(r) not in cls.background]
        known = [r for r in extra if r in expected]
        extra = [r for r in extra if r not in expected]
        tries = 0
        while extra and tries < 2:  # a service that was late last time?
            tries += 1
            cls.proxy.take()
            cls.chromium("--dump-dom", "file://" + cls.blank)
            cls.background |= {cls.request_key(r)
                               for r in cls.proxy.take()}
            extra = [r for r in extra
                     if cls.request_key(r) not in cls.background]
        return known + extra

    @classmethod
    def case(cls, name):
        """Trace one case (--json and --html on the same inputs); the raw
        page, the page as Chromium parsed it and what it fetched."""
        if name in cls.cases:
            return cls.cases[name]
        samples, logs = {
            "leak": ([cls.sample], [cls.log]),
            "unrelated": ([cls.unrelated], []),
            "three": ([cls.sample, cls.sample2, cls.sample3], [cls.log]),
        }[name]
        args = list(samples)
        for lg in logs:
            args += ["--logs", lg]
        c = {"samples": samples, "logs": logs}
        c["rep"] = json.loads(cls.emb("trace", *args, "--json"))
        page = os.path.join(cls.tmp, "%s.html" % name)
        out = cls.emb("trace", *args, "--html", page)
        c["stdout"] = out
        c["page"] = page
        with open(page, encoding="utf-8") as f:
            c["html"] = f.read()
        c["raw"] = parse_html(c["html"])
        cls.proxy.take()
        c["dom_text"] = cls.chromium("--dump-dom", "file://" + page)
        c["fetched"] = cls.page_fetches(cls.proxy.take())
        c["dom"] = parse_html(c["dom_text"])
        cls.cases[name] = c
        return c

    @classmethod
    def measure(cls, name):
        """Lay out an instrumented copy of the page (a script that
        measures the chart, and a probe image that must reach the proxy)."""
        c = cls.case(name)
        if "measure" not in c:
            inst = os.path.join(cls.tmp, "%s-measured.html" % name)
            with open(inst, "w", encoding="utf-8") as f:
                f.write(c["html"] + MEASURE_SCRIPT)
            cls.proxy.take()
            dom = parse_html(cls.chromium("--dump-dom", "file://" + inst))
            c["probe_fetched"] = cls.page_fetches(
                cls.proxy.take(), expected=[PROBE_REQUEST])
            pre = dom.root.find("pre", id=MEASURE_ID)
            if pre is None:
                raise AssertionError("the measuring script did not run")
            c["measure"] = json.loads(pre.text())
        return c["measure"]

    @classmethod
    def screenshot(cls, name):
        c = cls.case(name)
        if "png" not in c:
            png = os.path.join(cls.tmp, "%s.png" % name)
            cls.chromium("--window-size=1200,1600", "--screenshot=" + png,
                         "file://" + c["page"])
            if not os.path.isfile(png):
                raise AssertionError("chromium wrote no screenshot")
            c["png"] = png
        return c["png"]

    # ---- shared checks ----

    def check_self_contained(self, c):
        raw = c["raw"]
        for tag in ("script", "link", "img", "iframe", "frame", "object",
                    "embed", "base", "audio", "video", "source", "image",
                    "use", "foreignobject", "track", "portal"):
            self.assertEqual(raw.tags[tag], 0,
                             "the page has a <%s> element" % tag)
        for tag, k, v in raw.attr_names:
            k = k.lower()
            self.assertNotIn(k, ("src", "href", "xlink:href", "srcset",
                                 "action", "formaction", "poster", "data",
                                 "background", "ping"),
                             "<%s %s=%r> in the page" % (tag, k, v))
            self.assertFalse(k.startswith("on"),
                             "event handler <%s %s=%r>" % (tag, k, v))
            if k == "xmlns":
                continue
            self.assertNotRegex(v or "", r"(?i)(https?:|//|url\()",
                                "<%s %s=%r> names a URL" % (tag, k, v))
        css = "".join(n.text() for n in raw.root.iter("style"))
        self.assertNotRegex(css, r"(?i)(url\(|@import|https?:)",
                            "the stylesheet loads something")
        # Chromium asked the proxy for nothing while loading the page.
        self.assertEqual(c["fetched"], [],
                         "chromium fetched something for the page")

    def check_no_injection(self, c):
        dom = c["dom"]
        self.assertEqual(dom.tags["script"], 0, "a <script> in the DOM")
        for tag in ("img", "b", "tool", "iframe", "object", "embed"):
            self.assertEqual(dom.tags[tag], c["raw"].tags[tag],
                             "an injected <%s> in the DOM" % tag)
            self.assertEqual(dom.tags[tag], 0, "<%s> in the DOM" % tag)
        for tag, k, v in dom.attr_names:
            self.assertFalse(k.lower().startswith("on"),
                             "event handler <%s %s=%r> in the DOM"
                             % (tag, k, v))
        # Chromium's parse has the elements the file has (nothing added
        # or restructured by text that looked like markup).  html/head/
        # body and <tbody> are the parser's own.
        raw = Counter({k: v for k, v in c["raw"].tags.items()})
        got = Counter({k: v for k, v in dom.tags.items() if k != "tbody"})
        self.assertEqual(got, raw, "the DOM's elements differ from the"
                         " page's: escaping?")

    def check_chart(self, c):
        rep, dom = c["rep"], c["dom"]
        cands = rep["candidates"]
        body = dom.root.find("body")
        svgs = body.findall("svg")
        self.assertEqual(len(svgs), 1, "one chart")
        svg = svgs[0]
        marks = svg.findall("rect")
        self.assertEqual(len(marks), len(cands),
                         "the chart has %d bars for the JSON's %d"
                         " candidates" % (len(marks), len(cands)))
        thr = svg.findall("line")
        self.assertEqual(len(thr), 1, "one threshold line")
        self.assertEqual(thr[0].attrs.get("class"), "thr")
        tx = float(thr[0].attrs["x1"])
        self.assertEqual(float(thr[0].attrs["x2"]), tx, "a vertical line")
        self.assertLess(float(thr[0].attrs["y1"]),
                        float(thr[0].attrs["y2"]))
        width = float(svg.attrs["width"])
        self.assertTrue(0 < tx < width, "threshold inside the chart")
        thr_labels = [t.text() for t in svg.findall("text")
                      if "threshold" in t.text()]
        self.assertEqual(len(thr_labels), 1, "one threshold label")
        self.assertAlmostEqual(
            float(thr_labels[0].split()[-1]), rep["alpha"],
            delta=rep["alpha"] * 0.05, msg="the label shows alpha")
        # Bars in the JSON's order: label, class, value, and the ones
        # that reach the threshold line are exactly those at or below
        # alpha.
        els = svg.elements()
        cls_of = {"accused": "acc", "suspect": "sus", "cleared": "clr"}
        for k, (r, cand) in enumerate(zip(marks, cands)):
            i = els.index(r)
            before = [e for e in els[:i] if e.tag == "text"]
            after = [e for e in els[i + 1:] if e.tag == "text"]
            self.assertTrue(before and after, "bar %d has no labels" % k)
            self.assertIn(cand["partner"], before[-1].text(),
                          "bar %d is not labelled with its partner" % k)
            self.assertEqual(r.attrs.get("class"), cls_of[cand["status"]],
                             "bar %d (%s) has the wrong class"
                             % (k, cand["partner"]))
            shown = float(after[0].text())
            self.assertAlmostEqual(shown, cand["corrected"],
                                   delta=0.06 * cand["corrected"],
                                   msg="bar %d shows %r, JSON %r"
                                   % (k, shown, cand["corrected"]))
            right = float(r.attrs["x"]) + float(r.attrs["width"])
            self.assertGreater(float(r.attrs["height"]), 0)
            if cand["corrected"] <= rep["alpha"]:
                self.assertGreaterEqual(right, tx, "accused bar %d stops"
                                        " short of the threshold" % k)
            else:
                self.assertLess(right, tx, "bar %d (%s, %g) crosses the"
                                " threshold" % (k, cand["partner"],
                                                cand["corrected"]))
        # One scale for bars and threshold: the bars grow with
        # -log10(corrected) from a common origin, and the threshold line
        # sits where a bar for corrected == alpha would end.
        if marks:
            origins = {float(r.attrs["x"]) for r in marks}
            self.assertEqual(len(origins), 1, "bars start at one origin")
            x0 = origins.pop()
            per = (tx - x0) / -math.log10(rep["alpha"])
            self.assertGreater(per, 0)
            for k, (r, cand) in enumerate(zip(marks, cands)):
                s = -math.log10(cand["corrected"]) \
                    if cand["corrected"] > 0 else math.inf
                wd = float(r.attrs["width"])
                if not (0.5 < s < 40) or wd <= 1:
                    continue  # the minimum width, or capped
                self.assertAlmostEqual(
                    wd / s, per, delta=0.01 * per + 0.1 / s,
                    msg="bar %d (%s, %g) is %.1f wide: not on the"
                    " threshold's scale (%.3f px per decade, threshold"
                    " %.3f)" % (k, cand["partner"], cand["corrected"], wd,
                                wd / s, per))
        return [[e for e in els[:els.index(r)] if e.tag == "text"][-1]
                .text() for r in marks]

    def check_candidates_table(self, c):
        rows = table_rows(c["dom"].root, "candidates")
        cands = c["rep"]["candidates"]
        self.assertEqual(len(rows), len(cands))
        for row, cand in zip(rows, cands):
            self.assertEqual(row[:3], [cand["sample"], cand["partner"],
                                       cand["status"]])
            self.assertEqual(int(row[4]), cand["sites"])
            self.assertEqual(int(row[5]), cand["agree"])

    def check_rendered_chart(self, name):
        c = self.case(name)
        m = self.measure(name)
        rep = c["rep"]
        self.assertEqual(m["svgs"], 1)
        self.assertEqual(m["resources"],
                         ["http://%s/probe.png" % PROBE_HOST],
                         "resources other than the probe were loaded")
        self.assertEqual(
            c["probe_fetched"], [PROBE_REQUEST],
            "the recording proxy should see the probe image and nothing"
            " else the page asked for")
        w, h = m["svg"]["w"], m["svg"]["h"]
        self.assertGreater(w, 100)
        self.assertGreater(h, 10)
        self.assertEqual(len(m["lines"]), 1)
        line = m["lines"][0]
        self.assertEqual(line["stroke"], "rgb(0, 0, 0)",
                         "threshold line style not applied")
        self.assertTrue(0 <= line["l"] <= w and line["b"] > line["t"])
        # Every label, value and the threshold caption is inside the
        # drawing (an SVG clips what is outside).
        for t in m["texts"]:
            self.assertTrue(-0.5 <= t["l"] and t["r"] <= w + 0.5
                            and -0.5 <= t["t"] and t["b"] <= h + 0.5,
                            "chart text %r is clipped: box %.1f..%.1f x"
                            " %.1f..%.1f, chart %gx%g"
                            % (t["s"], t["l"], t["r"], t["t"], t["b"],
                               w, h))
        self.assertEqual(len(m["rects"]), len(rep["candidates"]))
        for r, cand in zip(m["rects"], rep["candidates"]):
            self.assertTrue(0 <= r["l"] < r["r"] <= w + 0.5
                            and 0 <= r["t"] < r["b"] <= h + 0.5,
                            "bar of %s outside the chart" % cand["partner"])
            if cand["status"] == "accused":
                self.assertEqual(r["fill"], ACC_FILL)
            if cand["corrected"] <= rep["alpha"]:
                self.assertGreaterEqual(r["r"], line["l"])
            else:
                self.assertLess(r["r"], line["l"])
        # Bars do not overlap one another.
        spans = sorted((r["t"], r["b"]) for r in m["rects"])
        for a, b in zip(spans, spans[1:]):
            self.assertLessEqual(a[1], b[0] + 0.01, "bars overlap")

    def check_screenshot(self, name, accused):
        w, h, bpp, rows = png_decode(self.screenshot(name))
        self.assertEqual((w, h), (1200, 1600))
        counts = pixel_counts(rows, bpp)
        bg, nbg = counts.most_common(1)[0]
        self.assertEqual(bg, (255, 255, 255), "background is not white")
        ink = 1 - nbg / (w * h)
        self.assertGreater(len(counts), 8, "the screenshot is flat")
        self.assertGreater(ink, 0.01, "the screenshot is nearly blank"
                           " (%.2f%% ink)" % (100 * ink))
        if accused:
            self.assertGreater(counts[RED], 16 * 100,
                               "no accused (red) bar in the screenshot")
        else:
            self.assertEqual(counts[RED], 0, "a red bar with no accused")
        return counts

    # ---- the tests ----

    def test_leak_page(self):
        c = self.case("leak")
        rep = c["rep"]
        # The inputs make the case the test is about.
        self.assertEqual(rep["verdict"], "accused")
        self.assertEqual(rep["accused"], [LEAKER])
        self.assertEqual(len(rep["candidates"]), len(self.poc_ids))
        self.assertEqual({x["partner"] for x in rep["candidates"]},
                         set(self.poc_ids))
        self.assertEqual([x["status"] for x in rep["candidates"]
                          if x["partner"] == LEAKER], ["accused"])
        self.assertEqual(rep["samples"][0]["file"], self.sample)
        self.assertIn(c["page"], c["stdout"])

        dom = c["dom"].root
        self.assertEqual(dom.find("title").text(), "embargo trace report")
        verdict = dom.find("p", id="verdict")
        self.assertIsNotNone(verdict, "no verdict")
        self.assertIn(rep["verdict"], verdict.text())
        acc = verdict.find("strong", id="accused")
        self.assertIsNotNone(acc, "the verdict names nobody")
        self.assertEqual(acc.text(), LEAKER)

        self.check_chart(c)
        self.check_candidates_table(c)

        # The derivation: the leaked sample, by its literal name, derives
        # from the PoC.
        rows = table_rows(dom, "derivation")
        derived = [r for r in rows if r[2] == "yes"]
        self.assertEqual(
            [r[:3] for r in derived],
            [[self.sample, "EMB-2021-0001/poc.py", "yes"]])
        d = [x for x in rep["samples"][0]["derivations"] if x["derived"]]
        self.assertEqual(len(rows), len(rep["samples"][0]["derivations"]))
        self.assertEqual(derived[0][3],
                         "%.0f%%" % (100 * d[0]["artifact_contained"]))
        self.assertEqual(derived[0][4],
                         "%.0f%%" % (100 * d[0]["sample_contained"]))

        # The canary hits: the log line, and the UA left in the sample.
        rows = table_rows(dom, "canaries")
        self.assertEqual(len(rows), len(rep["canaries"]))
        self.assertIn([self.log, str(LOG_HIT_LINE), LEAKER,
                       "EMB-2021-0001/poc.py", "plain", LOG_TIME,
                       LOG_CLIENT], rows)
        self.assertIn(self.sample, [r[0] for r in rows])
        for r, hit in zip(rows, rep["canaries"]):
            self.assertEqual(r[:4], [hit["file"], str(hit["line"]),
                                     hit["partner"], "%s/%s"
                                     % (hit["advisory"], hit["artifact"])])

    def test_leak_page_escaping(self):
        c = self.case("leak")
        self.check_no_injection(c)
        text = c["dom"].root.find("body").text()
        self.assertIn(EVIL_DIR, text)
        self.assertIn(EVIL_LOG_DIR, text)
        # The raw file has the markup escaped, not as tags.
        self.assertNotIn("<script>", c["html"])
        self.assertNotIn("<img", c["html"])
        self.assertNotIn(EVIL_PARTNER_NAME, text)  # ids, not names

    def test_leak_page_self_contained(self):
        self.check_self_contained(self.case("leak"))

    def test_leak_page_rendered_chart(self):
        self.check_rendered_chart("leak")

    def test_leak_page_screenshot(self):
        self.check_screenshot("leak", accused=True)

    def test_unrelated_sample_page(self):
        c = self.case("unrelated")
        rep = c["rep"]
        self.assertEqual(rep["verdict"], "not derived from any artifact")
        self.assertEqual(rep["candidates"], [])
        self.assertEqual(rep["canaries"], [])
        dom = c["dom"].root
        verdict = dom.find("p", id="verdict")
        self.assertIsNotNone(verdict)
        self.assertIn("not derived from any artifact", verdict.text())
        self.assertIsNone(dom.find("strong", id="accused"))
        self.check_chart(c)          # no bar, the threshold line only
        self.assertEqual(table_rows(dom, "candidates"), [])
        self.assertEqual(table_rows(dom, "derivation"), [])
        self.assertEqual(table_rows(dom, "canaries"), [])
        self.check_no_injection(c)
        self.check_self_contained(c)
        self.check_screenshot("unrelated", accused=False)

    def test_unrelated_sample_is_named(self):
        """The page says which sample it found nothing in (the text
        report does: "sample F (python, N bytes) / no shared artifact")."""
        c = self.case("unrelated")
        text = c["dom"].root.find("body").text()
        self.assertIn(self.unrelated, text,
                      "the page never names the sample it traced")

    def test_three_samples_page(self):
        c = self.case("three")
        rep = c["rep"]
        self.assertEqual(rep["verdict"], "accused")
        self.assertEqual(set(rep["accused"]), {LEAKER, LEAKER2, LEAKER3})
        self.assertEqual(len(rep["candidates"]), 3 * len(self.poc_ids))
        acc = c["dom"].root.find("strong", id="accused")
        self.assertIsNotNone(acc)
        self.assertEqual(acc.text().split(", "), rep["accused"])
        self.check_candidates_table(c)
        self.check_no_injection(c)
        self.check_self_contained(c)
        rows = table_rows(c["dom"].root, "derivation")
        self.assertEqual(sorted(r[0] for r in rows if r[2] == "yes"),
                         sorted(c["samples"]))
        # Every candidate of every sample is in the chart, and a partner's
        # bars for different samples can be told apart.
        labels = self.check_chart(c)
        dup = sorted(x for x, n in Counter(labels).items() if n > 1)
        self.assertEqual(dup, [], "bars of different samples carry the"
                         " same label")

    def test_three_samples_rendered_chart(self):
        self.check_rendered_chart("three")


def main():
    if CHROMIUM is None:
        sys.stderr.write(MISSING_CHROMIUM + "\n")
        sys.exit(1)
    unittest.main()


if __name__ == "__main__":
    main()
