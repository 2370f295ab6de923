#!/usr/bin/env python3
"""Authorization over the real server: partners in every state and tier,
advisories in every phase, and for each partner exactly what visible()
allows, over TAXII and REST: objects, manifests, versions, counts,
pagination, headers and status codes.  Whatever is not visible answers
exactly like what does not exist (404, same body, same headers).

The expected views come from an independent model of the access rule in
this file, itself checked against `embargo advisory access --json` (the
coordinator's view of the same rule).

Run alone: python3 tests/e2e/test_server_authz.py (binary from
$EMBARGO_BIN).
"""

import datetime
import json
import os
import time
import unittest

import requests

import embargo_test as et
import test_server_lib as sl
from test_server_lib import (EMBARGOED, PUBLIC, TLP, Server, basic, bearer,
                             collection_path, headers_without_date,
                             taxii_get, walk)

PATTERN = "[ipv4-addr:value = '198.51.100.7']\n"
NOPE_ID = "report--5d0c1c1e-9d7e-4c59-9a55-0b8d1f1d2a3b"


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def ms(s):
    return et.parse_time(s)


class AuthorizationTest(et.EmbargoTestCase):
    """One world, many partners, one server."""

    def setUp(self):
        super().setUp()
        self.files = {}
        self.tokens = {}
        self.build_world()
        self.srv = Server(self.home, "--auth-fail-limit", "0")
        self.addCleanup(self.stop)

    def stop(self):
        if self.srv.proc.poll() is None:
            self.assertEqual(self.srv.stop(), 0)

    # ---- the world ----

    def add_partner(self, pid, tier, country):
        d = self.ok_json("partner", "add", pid.title(), "--id", pid,
                         "--tier", tier, "--country", country, "--json")
        self.tokens[pid] = d["token"]

    def attach(self, adv, name, kind, tier, *extra, text=None):
        if text is None:
            text = "%s for %s, kind %s\nline two\n" % (name, adv, kind)
        path = self.write_file("%s-%s" % (adv, name), text)
        self.ok("advisory", "attach", adv, path, "--name", name, "--kind",
                kind, "--tier", tier, "--mark", "none", *extra)

    def create(self, adv, patch, title=None):
        self.ok("advisory", "create", adv, "--title", title or
                "Advisory " + adv, "--cve", "CVE-2021-%05d" % (
                    1000 + len(self.files)), "--patch-at", patch)
        self.files[adv] = True

    def build_world(self):
        # Published by its patch time passing, a few seconds from now.
        self.autopub_at = now_utc() + datetime.timedelta(seconds=4)
        self.create("ADV-AUTOPUB", et.iso(self.autopub_at))
        self.attach("ADV-AUTOPUB", "text.md", "advisory", "notify")
        self.attach("ADV-AUTOPUB", "exploit.py", "poc", "poc",
                    "--release-before", "0")
        # Every state and tier.
        for pid, tier, cc in (
                ("n-active", "notify", "US"), ("d-active", "detect", "DE"),
                ("p-active", "poc", "US"), ("p-china", "poc", "CN"),
                ("d-excluded", "detect", "GB"),
                ("p-suspended", "poc", "US"), ("d-revoked", "detect", "FR"),
                ("p-reinstated", "poc", "NL"),
                ("d-raised", "detect", "JP")):
            self.add_partner(pid, tier, cc)
        self.ok("partner", "set", "p-suspended", "--suspend")
        self.ok("partner", "set", "d-revoked", "--revoke")
        self.ok("partner", "set", "p-reinstated", "--suspend")
        self.ok("partner", "set", "p-reinstated", "--reinstate")
        # Draft: no artifact yet.
        self.create("ADV-DRAFT", et.future(days=9))
        # Before release: text out, detection and PoC later.
        self.create("ADV-FUTURE", et.future(days=10))
        self.attach("ADV-FUTURE", "text.md", "advisory", "notify")
        self.attach("ADV-FUTURE", "rule.stix", "detection", "detect",
                    "--release-at", et.future(days=2), text=PATTERN)
        self.attach("ADV-FUTURE", "exploit.py", "poc", "poc",
                    "--release-before", "3d")
        # Released: everything out now.
        self.create("ADV-RELEASED", et.future(days=10))
        self.attach("ADV-RELEASED", "text.md", "advisory", "notify")
        self.attach("ADV-RELEASED", "rule.stix", "detection", "detect",
                    text=PATTERN)
        self.attach("ADV-RELEASED", "rules.yar", "detection", "detect",
                    text="rule x { condition: true }\n")
        self.attach("ADV-RELEASED", "exploit.py", "poc", "poc")
        # Rescheduled: the expedite releases the PoC (5 days before).
        self.create("ADV-RESCHED", et.future(days=8))
        self.attach("ADV-RESCHED", "text.md", "advisory", "notify")
        self.attach("ADV-RESCHED", "exploit.py", "poc", "poc",
                    "--release-before", "5d")
        self.ok("advisory", "reschedule", "ADV-RESCHED", "--patch-at",
                et.future(days=4), "--reason", "exploited in the wild")
        # Published by hand before the releases.
        self.create("ADV-PUBLISHED", et.future(days=10))
        self.attach("ADV-PUBLISHED", "text.md", "advisory", "notify")
        self.attach("ADV-PUBLISHED", "rule.stix", "detection", "detect",
                    "--release-at", et.future(days=5), text=PATTERN)
        self.attach("ADV-PUBLISHED", "exploit.py", "poc", "poc",
                    "--release-before", "2d")
        self.ok("advisory", "publish", "ADV-PUBLISHED")
        # Excluded by partner and by country.
        self.create("ADV-EXCL", et.future(days=10))
        self.attach("ADV-EXCL", "text.md", "advisory", "notify")
        self.attach("ADV-EXCL", "exploit.py", "poc", "poc")
        self.ok("advisory", "exclude", "ADV-EXCL", "--partner", "d-excluded")
        self.ok("advisory", "exclude", "ADV-EXCL", "--country", "CN")
        # Withdrawn whole, and one artifact withdrawn.
        self.create("ADV-WITHDRAWN", et.future(days=10))
        self.attach("ADV-WITHDRAWN", "text.md", "advisory", "notify")
        self.ok("advisory", "withdraw", "ADV-WITHDRAWN")
        self.create("ADV-PARTIAL", et.future(days=10))
        self.attach("ADV-PARTIAL", "text.md", "advisory", "notify")
        self.attach("ADV-PARTIAL", "old.md", "other", "notify")
        self.ok("advisory", "withdraw", "ADV-PARTIAL", "--artifact",
                "old.md")
        # Wait for the patch time of ADV-AUTOPUB to pass.
        left = (self.autopub_at - now_utc()).total_seconds() + 0.3
        if left > 0:
            time.sleep(left)

    # ---- the model of the access rule ----

    def model(self):
        """{partner: {advisory: {artifact: kind}}} per the rule, now."""
        ranks = {t["name"]: t["rank"] for t in self.ok_json(
            "tier", "list", "--json")}
        partners = {p["id"]: p for p in self.ok_json(
            "partner", "list", "--json")}
        advs = {}
        for a in self.ok_json("advisory", "list", "--json"):
            advs[a["id"]] = self.ok_json("advisory", "show", a["id"],
                                         "--json")
        now = now_utc()
        view = {}
        for pid, p in partners.items():
            view[pid] = {}
            for aid, a in advs.items():
                state = a["state"]
                if state in ("draft", "shared") and \
                        ms(a["patch_at"]) <= now:
                    state = "published"
                for art in a.get("artifacts", []):
                    if p["status"] != "active":
                        continue
                    if state == "withdrawn" or art.get("withdrawn"):
                        continue
                    if state == "draft":
                        continue
                    if any(e.get("partner") == pid or
                           e.get("country") == p["country"]
                           for e in a["exclusions"]):
                        continue
                    if ranks[p["tier"]] < ranks[art["tier"]]:
                        continue
                    if state != "published" and \
                            now < ms(art["release_at"]):
                        continue
                    view[pid].setdefault(aid, {})[art["name"]] = \
                        art["kind"]
        return view, advs, partners

    def check_model_against_cli(self, view, advs, partners):
        for aid in advs:
            acc = self.ok_json("advisory", "access", aid, "--json")
            for row in acc["partners"]:
                got = {n for n, v in row["artifacts"].items()
                       if v == "visible"}
                self.assertEqual(got, set(view[row["partner"]].get(
                    aid, {})), (aid, row["partner"]))

    # ---- checks ----

    def rest(self, pid, path, token=None):
        return requests.get(self.srv.url(path), timeout=20,
                            headers=bearer(token or self.tokens[pid]))

    def assertSameAsNothing(self, r, nothing, what):
        self.assertEqual(r.status_code, 404, what)
        self.assertEqual(r.content, nothing.content, what)
        self.assertEqual(headers_without_date(r),
                         headers_without_date(nothing), what)

    def expected_counts(self, mine, advs):
        """Object counts by type for the last versions of a view."""
        c = {}

        def add(t, n=1):
            c[t] = c.get(t, 0) + n
        for aid, arts in mine.items():
            for t in ("vulnerability", "report", "course-of-action"):
                add(t)
            add("relationship")  # remediates
            for name, kind in arts.items():
                add("artifact")
                add("relationship")
                if kind == "detection":
                    if name.endswith(".stix"):
                        add("indicator")
                        add("relationship")
                    else:
                        add("note")
        if mine:
            add("identity")
        return c

    def check_partner(self, pid, mine, advs, everyone_ids):
        who = bearer(self.tokens[pid])
        nothing = self.rest(pid, "/v1/advisories/NO-SUCH")
        self.assertEqual(nothing.status_code, 404)
        # REST listing
        r = self.rest(pid, "/v1/advisories")
        self.assertEqual(r.status_code, 200)
        got = {a["id"]: {x["name"] for x in a["artifacts"]}
               for a in r.json()["advisories"]}
        self.assertEqual(got, {a: set(n) for a, n in mine.items()}, pid)
        # One advisory at a time, visible or not.
        for aid in list(advs) + ["NO-SUCH"]:
            r = self.rest(pid, "/v1/advisories/" + aid)
            if aid in mine:
                self.assertEqual(r.status_code, 200, (pid, aid))
                self.assertEqual({x["name"] for x in r.json()["artifacts"]},
                                 set(mine[aid]))
            else:
                self.assertSameAsNothing(r, nothing, (pid, aid))
        # Downloads, visible or not.
        nofile = self.rest(pid, "/v1/advisories/NO-SUCH/artifacts/x.md")
        self.assertEqual(nofile.status_code, 404)
        self.assertEqual(nofile.content, nothing.content)
        for aid, a in advs.items():
            for art in a.get("artifacts", []) + [{"name": "none.md"}]:
                r = self.rest(pid, "/v1/advisories/%s/artifacts/%s"
                              % (aid, art["name"]))
                if art["name"] in mine.get(aid, {}):
                    self.assertEqual(r.status_code, 200,
                                     (pid, aid, art["name"]))
                    self.assertIn("Embargo-Delivery", r.headers)
                    self.assertTrue(r.content.startswith(
                        art["name"].encode()) or art["name"].endswith(
                            (".stix", ".yar")))
                else:
                    self.assertSameAsNothing(r, nofile,
                                             (pid, aid, art["name"]))
        # TAXII: the objects of the view.
        objs, pages = walk(self.srv, collection_path(EMBARGOED, "objects/"),
                           who)
        counts = {}
        for o in objs:
            counts[o["type"]] = counts.get(o["type"], 0) + 1
        counts.pop("marking-definition", None)
        self.assertEqual(counts, self.expected_counts(mine, advs), pid)
        arts = {(o["x_embargo_advisory"], o["x_embargo_name"])
                for o in objs if o["type"] == "artifact"}
        self.assertEqual(arts, {(a, n) for a, names in mine.items()
                                for n in names}, pid)
        advs_seen = {o["x_embargo_advisory"] for o in objs
                     if o["type"] == "report"}
        self.assertEqual(advs_seen, set(mine), pid)
        # Markings: what fits, and every one referenced is served.
        ids = {o["id"]: o for o in objs}
        for o in objs:
            for m in o.get("object_marking_refs", []):
                self.assertIn(m, ids)
            if o["type"] == "artifact":
                aid = o["x_embargo_advisory"]
                published = advs[aid]["state"] == "published" or \
                    aid == "ADV-AUTOPUB"
                want = "red" if o["x_embargo_kind"] == "poc" else \
                    "clear" if published else "amber+strict"
                self.assertEqual(o["object_marking_refs"], [TLP[want]],
                                 (pid, aid, o["x_embargo_name"]))
        # Versions: one per state of the advisory.
        for o in objs:
            if o["type"] != "report":
                continue
            a = advs[o["x_embargo_advisory"]]
            published = a["state"] == "published" or \
                a["id"] == "ADV-AUTOPUB"
            r = taxii_get(self.srv, collection_path(
                EMBARGOED, "objects/%s/versions/" % o["id"]), who)
            self.assertEqual(len(r.json()["versions"]),
                             1 + len(a["reschedules"]) + int(published),
                             (pid, a["id"]))
            self.assertEqual(r.json()["versions"][-1], o["modified"])
        # The manifest lists the same objects; every version with "all".
        man, _ = walk(self.srv, collection_path(EMBARGOED, "manifest/"),
                      who)
        self.assertEqual([m["id"] for m in man], [o["id"] for o in objs])
        allv, _ = walk(self.srv, collection_path(EMBARGOED, "manifest/"),
                       who, {"match[version]": "all"})
        self.assertGreaterEqual(len(allv), len(man))
        # Pagination gives the same, page by page, with the headers.
        paged, pages = walk(self.srv, collection_path(EMBARGOED,
                                                      "manifest/"),
                            who, {"match[version]": "all"}, limit=3)
        self.assertEqual(paged, allv)
        for r, body in pages:
            items = body.get("objects", [])
            if items:
                self.assertEqual(r.headers["X-TAXII-Date-Added-First"],
                                 items[0]["date_added"])
                self.assertEqual(r.headers["X-TAXII-Date-Added-Last"],
                                 items[-1]["date_added"])
            else:
                self.assertNotIn("X-TAXII-Date-Added-First", r.headers)
        # Objects of other views look like objects that do not exist.
        none = taxii_get(self.srv, collection_path(
            EMBARGOED, "objects/%s/" % NOPE_ID), who)
        self.assertEqual(none.status_code, 404)
        nonev = taxii_get(self.srv, collection_path(
            EMBARGOED, "objects/%s/versions/" % NOPE_ID), who)
        for oid in sorted(everyone_ids - set(ids)):
            r = taxii_get(self.srv, collection_path(
                EMBARGOED, "objects/%s/" % oid), who)
            self.assertSameAsNothing(r, none, (pid, oid))
            r = taxii_get(self.srv, collection_path(
                EMBARGOED, "objects/%s/versions/" % oid), who)
            self.assertSameAsNothing(r, nonev, (pid, oid))
            r = taxii_get(self.srv, collection_path(EMBARGOED, "manifest/"),
                          who, {"match[id]": oid})
            self.assertEqual(r.json(), {"more": False})
        for oid in list(ids)[:5]:
            r = taxii_get(self.srv, collection_path(
                EMBARGOED, "objects/%s/" % oid), who)
            self.assertEqual(r.status_code, 200)
        return objs

    def test_each_partner_sees_exactly_what_visible_allows(self):
        view, advs, partners = self.model()
        self.check_model_against_cli(view, advs, partners)
        # The model itself covers every case.
        self.assertEqual(view["p-suspended"], {})
        self.assertEqual(view["d-revoked"], {})
        self.assertNotIn("ADV-DRAFT", view["p-active"])
        self.assertNotIn("ADV-WITHDRAWN", view["p-active"])
        self.assertEqual(set(view["p-active"]["ADV-FUTURE"]), {"text.md"})
        self.assertIn("exploit.py", view["p-active"]["ADV-RESCHED"])
        self.assertIn("exploit.py", view["p-active"]["ADV-PUBLISHED"])
        self.assertIn("exploit.py", view["p-active"]["ADV-AUTOPUB"])
        self.assertNotIn("ADV-EXCL", view["d-excluded"])
        self.assertNotIn("ADV-EXCL", view["p-china"])
        self.assertIn("ADV-EXCL", view["p-active"])
        self.assertEqual(set(view["p-active"]["ADV-PARTIAL"]), {"text.md"})
        self.assertNotIn("exploit.py", view["d-active"]["ADV-RELEASED"])
        self.assertEqual(set(view["n-active"]["ADV-RELEASED"]), {"text.md"})
        # Everyone's object ids, to probe the others' views with.
        everyone, reports = set(), {}
        for pid in view:
            if partners[pid]["status"] != "active":
                continue
            objs, _ = walk(self.srv, collection_path(EMBARGOED, "objects/"),
                           bearer(self.tokens[pid]))
            everyone |= {o["id"] for o in objs}
            for o in objs:
                if o["type"] in ("report", "vulnerability"):
                    # Partner-independent: the same object for everyone.
                    prev = reports.setdefault(o["id"], o)
                    self.assertEqual(prev, o)
        for pid, mine in sorted(view.items()):
            with self.subTest(partner=pid):
                if partners[pid]["status"] != "active":
                    self.check_locked_out(pid)
                else:
                    self.check_partner(pid, mine, advs, everyone)
        # The public: published advisories only, and no files.
        pub, _ = walk(self.srv, collection_path(PUBLIC, "objects/"), {})
        self.assertEqual({o["x_embargo_advisory"] for o in pub
                          if o["type"] == "report"},
                         {"ADV-PUBLISHED", "ADV-AUTOPUB"})
        self.assertNotIn("artifact", {o["type"] for o in pub})
        idx = requests.get(self.srv.url("/.well-known/csaf/white/"
                                        "index.txt"), timeout=10).text
        self.assertEqual(sorted(p.split("/")[1] for p in idx.split()),
                         ["adv-autopub.json", "adv-published.json"])

    def check_locked_out(self, pid):
        tok = self.tokens[pid]
        unknown = requests.get(self.srv.url("/v1/advisories"), timeout=10,
                               headers=bearer("emb_" + "A" * 43))
        self.assertEqual(unknown.status_code, 401)
        for path in ("/v1/advisories", "/v1/advisories/ADV-RELEASED",
                     "/v1/advisories/ADV-RELEASED/artifacts/text.md"):
            for h in (bearer(tok), basic(pid, tok)):
                r = requests.get(self.srv.url(path), headers=h, timeout=10)
                self.assertEqual(r.status_code, 401, (pid, path))
                self.assertEqual(r.content, unknown.content)
        r = taxii_get(self.srv, collection_path(EMBARGOED, "objects/"),
                      bearer(tok))
        self.assertEqual(r.status_code, 401)
        r = taxii_get(self.srv, "/taxii2/api/collections/", bearer(tok))
        self.assertEqual(r.status_code, 401)

    def test_polling_sees_material_as_it_becomes_visible(self):
        """date_added follows visibility: expedites, tier changes and
        reinstatements bring objects in after the last poll."""
        def last_added(pid):
            r = taxii_get(self.srv, collection_path(EMBARGOED, "manifest/"),
                          bearer(self.tokens[pid]), {"limit": "1000"})
            return r.headers["X-TAXII-Date-Added-Last"]

        def new_artifacts(pid, since):
            objs, _ = walk(self.srv, collection_path(EMBARGOED, "objects/"),
                           bearer(self.tokens[pid]),
                           {"added_after": since, "match[type]": "artifact"})
            return {(o["x_embargo_advisory"], o["x_embargo_name"])
                    for o in objs}

        mark_p = last_added("p-active")
        mark_d = last_added("d-raised")
        time.sleep(0.01)
        # Expedite ADV-FUTURE so that its PoC (3 days before) is out.
        self.ok("advisory", "reschedule", "ADV-FUTURE", "--patch-at",
                et.future(days=2), "--reason", "expedite")
        self.assertEqual(new_artifacts("p-active", mark_p),
                         {("ADV-FUTURE", "exploit.py")})
        # Raise a detect partner to poc: the released PoCs come in.
        self.ok("partner", "set", "d-raised", "--tier", "poc")
        got = new_artifacts("d-raised", mark_d)
        self.assertIn(("ADV-RELEASED", "exploit.py"), got)
        self.assertIn(("ADV-FUTURE", "exploit.py"), got)
        # (A change to the partner re-announces its whole view: the
        # record keeps no tier history to tell what is new to it.)
        # Suspending shuts the door at once, reinstating reopens it.
        self.ok("partner", "set", "n-active", "--suspend")
        r = taxii_get(self.srv, collection_path(EMBARGOED, "manifest/"),
                      bearer(self.tokens["n-active"]))
        self.assertEqual(r.status_code, 401)
        self.ok("partner", "set", "n-active", "--reinstate")
        r = taxii_get(self.srv, collection_path(EMBARGOED, "manifest/"),
                      bearer(self.tokens["n-active"]))
        self.assertEqual(r.status_code, 200)


if __name__ == "__main__":
    unittest.main()
