#!/usr/bin/env python3
"""Authentication against the real server: Bearer and Basic, the one 401
for every failure (same body, headers, and no timing difference), the
per-address limit on failed attempts, and mutual TLS with a key pinned
per partner (no certificate, wrong CA, wrong partner, revoked partner).

Run alone: python3 tests/e2e/test_server_auth.py (binary from
$EMBARGO_BIN; needs openssl for the test certificates).
"""

import os
import random
import shutil
import statistics
import subprocess
import time
import unittest

import requests
import urllib3

import embargo_test as et
from test_server_lib import (EMBARGOED, TAXII, Server, basic, bearer,
                             collection_path, headers_without_date,
                             partner_token, taxii_get)

urllib3.disable_warnings()


class AuthTest(et.EmbargoTestCase):

    def setUp(self):
        super().setUp()
        self.active = partner_token(self, "Active", "poc", pid="active")
        self.susp = partner_token(self, "Susp", "poc", pid="susp")
        self.revoked = partner_token(self, "Gone", "poc", pid="gone")
        self.ok("partner", "set", "susp", "--suspend")
        self.ok("partner", "set", "gone", "--revoke")
        self.ok("advisory", "create", "ADV-1", "--title", "One",
                "--patch-at", et.future(days=5))
        self.ok("advisory", "attach", "ADV-1",
                self.write_file("a.md", "advisory text\n"), "--kind",
                "advisory", "--tier", "notify")

    def failures(self):
        """Every way to fail, as request headers."""
        tok = self.active[1]
        other = "emb_" + "B" * 43
        return {
            "unknown partner": basic("nobody", other),
            "unknown token": bearer(other),
            "wrong token": basic("active", other),
            "wrong partner id": basic("susp", tok),
            "suspended": bearer(self.susp[1]),
            "suspended basic": basic("susp", self.susp[1]),
            "revoked": bearer(self.revoked[1]),
            "malformed token": bearer("not-a-token"),
            "malformed basic": {"Authorization": "Basic %%%"},
            "unknown scheme": {"Authorization": "Digest x=1"},
            "empty bearer": {"Authorization": "Bearer "},
        }

    def test_bearer_and_basic(self):
        with Server(self.home, "--auth-fail-limit", "0") as srv:
            for h in (bearer(self.active[1]), basic(*self.active),
                      {"Authorization": "bearer " + self.active[1]},
                      {"Authorization": "BASIC " + basic(
                          *self.active)["Authorization"][6:]}):
                r = requests.get(srv.url("/v1/advisories"), headers=h,
                                 timeout=10)
                self.assertEqual(r.status_code, 200, h)
                self.assertEqual([a["id"] for a in r.json()["advisories"]],
                                 ["ADV-1"])
                r = taxii_get(srv, collection_path(EMBARGOED, "manifest/"),
                              h)
                self.assertEqual(r.status_code, 200)

    def test_every_failure_is_the_same_401(self):
        with Server(self.home, "--auth-fail-limit", "0") as srv:
            refs = {}
            for path, taxii in (("/v1/advisories", False),
                                ("/v1/advisories/ADV-1/artifacts/a.md",
                                 False),
                                (collection_path(EMBARGOED, "objects/"),
                                 True),
                                ("/taxii2/", True)):
                answers = {}
                for what, h in self.failures().items():
                    if taxii:
                        h = dict(h, Accept=TAXII)
                    r = requests.get(srv.url(path), headers=h, timeout=10)
                    answers[what] = r
                    self.assertEqual(r.status_code, 401, (path, what))
                ref = refs[path] = answers["unknown token"]
                self.assertEqual(ref.json()["http_status"], "401")
                self.assertIn("Basic", ref.headers["WWW-Authenticate"])
                for what, r in answers.items():
                    self.assertEqual(r.content, ref.content, (path, what))
                    self.assertEqual(headers_without_date(r),
                                     headers_without_date(ref),
                                     (path, what))
            # No credentials on a partner endpoint: the same 401 too.
            r = requests.get(srv.url("/v1/advisories"), timeout=10)
            self.assertEqual(r.status_code, 401)
            self.assertEqual(r.content, refs["/v1/advisories"].content)

    def test_no_timing_difference(self):
        """No kind of failure answers measurably faster than another.

        Rounds measure every kind back to back in a shuffled order; each
        kind's bias is its median distance from its round's median, so a
        machine busy with other work slows whole rounds, not one kind.
        """
        kinds = self.failures()
        rng = random.Random(7)
        with Server(self.home, "--auth-fail-limit", "0", "--threads",
                    "2") as srv:
            s = requests.Session()
            url = srv.url("/v1/advisories")
            for _ in range(20):  # warm every connection and cache
                for h in kinds.values():
                    s.get(url, headers=h, timeout=10)
            deltas = {k: [] for k in kinds}
            every = []
            for _ in range(60):
                order = list(kinds)
                rng.shuffle(order)
                took = {}
                for k in order:
                    t0 = time.perf_counter()
                    r = s.get(url, headers=kinds[k], timeout=10)
                    took[k] = (time.perf_counter() - t0) * 1e3
                    self.assertEqual(r.status_code, 401)
                mid = statistics.median(took.values())
                every.append(mid)
                for k, t in took.items():
                    deltas[k].append(t - mid)
            bias = {k: statistics.median(v) for k, v in deltas.items()}
            typical = statistics.median(every)
            # A short cut past the keyed hash or the lookup would show as
            # a bias of its own; loopback noise stays well below this.
            self.assertLess(max(abs(b) for b in bias.values()),
                            max(0.3, 0.25 * typical),
                            {k: round(v, 3) for k, v in bias.items()})

    def test_failed_attempts_are_rate_limited(self):
        with Server(self.home, "--auth-fail-limit", "5", "--auth-block",
                    "2") as srv:
            url = srv.url("/v1/advisories")
            bad = bearer("emb_" + "C" * 43)
            for i in range(5):
                r = requests.get(url, headers=bad, timeout=10)
                self.assertEqual(r.status_code, 401, i)
            r = requests.get(url, headers=bad, timeout=10)
            self.assertEqual(r.status_code, 429)
            self.assertEqual(r.json()["http_status"], "429")
            self.assertIn(r.headers["Retry-After"], ("1", "2"))
            # Blocked means blocked, even with a good token.
            r = requests.get(url, headers=bearer(self.active[1]),
                             timeout=10)
            self.assertEqual(r.status_code, 429)
            # The public side still answers.
            self.assertEqual(requests.get(srv.url("/healthz"),
                                          timeout=10).status_code, 200)
            time.sleep(2.2)
            r = requests.get(url, headers=bearer(self.active[1]),
                             timeout=10)
            self.assertEqual(r.status_code, 200)
            # Requests without credentials are not attempts.
            for _ in range(8):
                requests.get(url, timeout=10)
            r = requests.get(url, headers=bearer(self.active[1]),
                             timeout=10)
            self.assertEqual(r.status_code, 200)


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@unittest.skipIf(shutil.which("openssl") is None, "needs openssl")
class MutualTlsTest(et.EmbargoTestCase):
    """--client-ca: a partner needs its token and a certificate from that
    CA whose key is pinned to it."""

    def make_ca(self, name):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                name + ".key", "-out", name + ".pem", "-days", "2",
                "-subj", "/CN=" + name, "-addext",
                "basicConstraints=critical,CA:TRUE", "-addext",
                "keyUsage=critical,keyCertSign,cRLSign", cwd=self.pki)

    def make_cert(self, name, ca, key=None, server=False):
        if key is None:
            openssl("genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-out", name + ".key",
                    cwd=self.pki)
            key = name + ".key"
        openssl("req", "-new", "-key", key, "-out", name + ".csr", "-subj",
                "/CN=" + name, cwd=self.pki)
        ext = os.path.join(self.pki, name + ".ext")
        with open(ext, "w") as f:
            if server:
                f.write("subjectAltName=IP:127.0.0.1\n"
                        "extendedKeyUsage=serverAuth\n")
            else:
                f.write("extendedKeyUsage=clientAuth\n")
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem",
                "-CAkey", ca + ".key", "-CAcreateserial", "-out",
                name + ".pem", "-days", "2", "-extfile", ext, cwd=self.pki)
        return (os.path.join(self.pki, name + ".pem"),
                os.path.join(self.pki, key))

    def setUp(self):
        super().setUp()
        self.pki = os.path.join(self.tmp, "pki")
        os.mkdir(self.pki)
        self.make_ca("ca")
        self.make_ca("otherca")
        self.server = self.make_cert("server", "ca", server=True)
        self.a_cert = self.make_cert("alice", "ca")
        self.b_cert = self.make_cert("bob", "ca")
        self.r_cert = self.make_cert("rita", "ca")
        self.n_cert = self.make_cert("nopin", "ca")
        # Same key as alice's, but signed by a CA the server does not
        # trust: the pin matches, the chain does not.
        self.a_other = self.make_cert("alice2", "otherca", key="alice.key")
        self.alice = partner_token(self, "Alice", "poc", pid="alice")
        self.bob = partner_token(self, "Bob", "poc", pid="bob")
        self.rita = partner_token(self, "Rita", "poc", pid="rita")
        self.nopin = partner_token(self, "Nopin", "poc", pid="nopin")
        for pid, cert in (("alice", self.a_cert), ("bob", self.b_cert),
                          ("rita", self.r_cert)):
            self.ok("partner", "set", pid, "--cert", cert[0])
        self.ok("partner", "set", "rita", "--revoke")
        shown = self.ok_json("partner", "show", "alice", "--json")
        self.assertRegex(shown["cert_pin_sha256"], r"^[0-9a-f]{64}$")
        self.ok("advisory", "create", "ADV-1", "--title", "One",
                "--patch-at", et.future(days=5))
        self.ok("advisory", "attach", "ADV-1",
                self.write_file("a.md", "advisory text\n"), "--kind",
                "advisory", "--tier", "notify")

    def get(self, srv, path, headers=None, cert=None):
        return requests.get(srv.url(path), headers=headers or {},
                            cert=cert, timeout=10,
                            verify=os.path.join(self.pki, "ca.pem"))

    def test_pinned_client_certificates(self):
        with Server(self.home, "--tls-cert", self.server[0], "--tls-key",
                    self.server[1], "--client-ca",
                    os.path.join(self.pki, "ca.pem"), "--auth-fail-limit",
                    "0", scheme_host="127.0.0.1") as srv:
            self.assertEqual(srv.scheme, "https")
            path = "/v1/advisories"
            ok = self.get(srv, path, bearer(self.alice[1]), self.a_cert)
            self.assertEqual(ok.status_code, 200)
            self.assertEqual(self.get(srv, path, basic(*self.alice),
                                      self.a_cert).status_code, 200)
            cases = {
                "no certificate": (bearer(self.alice[1]), None),
                "wrong CA": (bearer(self.alice[1]), self.a_other),
                "wrong partner": (bearer(self.alice[1]), self.b_cert),
                "revoked partner": (bearer(self.rita[1]), self.r_cert),
                "no pin": (bearer(self.nopin[1]), self.n_cert),
                "certificate alone": (None, self.a_cert),
            }
            ref = None
            for what, (h, cert) in cases.items():
                r = self.get(srv, path, h, cert)
                self.assertEqual(r.status_code, 401, what)
                if ref is None:
                    ref = r
                self.assertEqual(r.content, ref.content, what)
            # TAXII too.
            r = requests.get(srv.url(collection_path(EMBARGOED,
                                                     "objects/")),
                             headers=dict(bearer(self.alice[1]),
                                          Accept=TAXII),
                             cert=self.b_cert, timeout=10,
                             verify=os.path.join(self.pki, "ca.pem"))
            self.assertEqual(r.status_code, 401)
            r = requests.get(srv.url(collection_path(EMBARGOED,
                                                     "objects/")),
                             headers=dict(bearer(self.alice[1]),
                                          Accept=TAXII),
                             cert=self.a_cert, timeout=10,
                             verify=os.path.join(self.pki, "ca.pem"))
            self.assertEqual(r.status_code, 200)
            # The public side needs no certificate.
            self.assertEqual(self.get(srv, "/healthz").status_code, 200)
            self.assertEqual(self.get(
                srv, "/.well-known/csaf/provider-metadata.json")
                .status_code, 200)

    def test_cert_option_errors(self):
        rc, out, err = self.emb("partner", "set", "alice", "--cert",
                                self.write_file("junk.pem", "junk\n"))
        self.assertOneLineError(rc, out, err, "certificate")
        rc, out, err = self.emb("partner", "set", "alice", "--cert",
                                os.path.join(self.tmp, "missing.pem"))
        self.assertOneLineError(rc, out, err, "missing.pem")
        self.ok("partner", "set", "alice", "--no-cert")
        self.assertIsNone(self.ok_json("partner", "show", "alice",
                                       "--json")["cert_pin_sha256"])


if __name__ == "__main__":
    unittest.main()
