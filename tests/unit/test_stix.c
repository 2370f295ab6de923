/*
 * The read side's pure parts: STIX pattern recognition, advisory
 * versions, "visible since" under reschedules, publication and partner
 * changes, and the STIX catalogue of a view (which objects, which
 * versions, which markings, in which order, with stable ids).
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "core/partner_view.h"
#include "core/stix.h"
#include "common/emb.h"

#define T0 INT64_C(1700000000000)
#define DAY INT64_C(86400000)
#define HOUR INT64_C(3600000)

static void
test_pattern(void **state)
{
	static const char *const yes[] = {
	    "[file:hashes.'SHA-256' = 'aec0']",
	    "  [network-traffic:dst_port = 443]\n",
	    "[ipv4-addr:value = '198.51.100.7'] OR [domain-name:value = "
	    "'x.example']",
	    "([a:b = 1] AND [c:d = 'x']) FOLLOWEDBY [e:f = 3] WITHIN 600 "
	    "SECONDS",
	    "[x-custom:values[*] MATCHES '^a\\'b]']",
	    "[file:name = 'a'] START t'2021-01-01T00:00:00Z' STOP "
	    "t'2021-02-01T00:00:00Z'",
	    "[process:pid = 4] REPEATS 5 TIMES",
	};
	static const char *const no[] = {
	    "",
	    "rule x { condition: true }",
	    "alert tcp any any -> any 443 (msg:\"x\";)",
	    "[not a pattern]",
	    "[a:b = 'unterminated]",
	    "[a:b = 1",
	    "[a:b = 1] garbage",
	    "hello [a:b = 1]",
	    "[a:b = 1]) ",
	    "[:b = 1]",
	    "# [a:b = 1]",
	};

	(void)state;
	for (size_t i = 0; i < EMB_ARRAY_LEN(yes); i++)
		if (!core_text_is_stix_pattern(
		        (const uint8_t *)yes[i], strlen(yes[i])))
			fail_msg("not taken for a pattern: %s", yes[i]);
	for (size_t i = 0; i < EMB_ARRAY_LEN(no); i++)
		if (core_text_is_stix_pattern(
		        (const uint8_t *)no[i], strlen(no[i])))
			fail_msg("taken for a pattern: %s", no[i]);
}

static struct store_reschedule rs[2];

static void
advisory(struct store_advisory *a, size_t n_resched)
{
	memset(a, 0, sizeof(*a));
	(void)snprintf(a->id, sizeof(a->id), "ADV-1");
	(void)snprintf(a->title, sizeof(a->title), "Frobnicator RCE");
	a->created_at = T0;
	a->state = STORE_ADV_SHARED;
	/* T0: patch at T0+10d; T0+1d: postponed to T0+12d; T0+2d:
	 * expedited to T0+4d. */
	rs[0] = (struct store_reschedule){
	    T0 + DAY, T0 + 10 * DAY, T0 + 12 * DAY, "later"};
	rs[1] = (struct store_reschedule){
	    T0 + 2 * DAY, T0 + 12 * DAY, T0 + 4 * DAY, "sooner"};
	a->reschedules = rs;
	a->n_reschedules = n_resched;
	a->patch_at =
	    n_resched == 0 ? T0 + 10 * DAY : rs[n_resched - 1].new_patch_at;
}

static void
test_versions(void **state)
{
	struct store_advisory a;
	struct core_adv_version v[4];
	size_t n;

	(void)state;
	advisory(&a, 2);
	n = core_advisory_versions(&a, 0, v);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].at, T0);
	assert_int_equal(v[0].patch_at, T0 + 10 * DAY);
	assert_int_equal(v[1].patch_at, T0 + 12 * DAY);
	assert_int_equal(v[2].patch_at, T0 + 4 * DAY);
	assert_int_equal(v[2].n_reschedules, 2);
	n = core_advisory_versions(&a, T0 + 4 * DAY, v);
	assert_int_equal(n, 4);
	assert_true(v[3].published);
	assert_int_equal(v[3].at, T0 + 4 * DAY);
	/* Changes in the same millisecond collapse into the later one. */
	rs[0].at = T0;
	n = core_advisory_versions(&a, 0, v);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].n_reschedules, 1);
	/* The publication time as the rule sees it. */
	advisory(&a, 2);
	assert_int_equal(core_advisory_published_at(&a, T0 + 3 * DAY), 0);
	assert_int_equal(
	    core_advisory_published_at(&a, T0 + 5 * DAY), T0 + 4 * DAY);
	a.state = STORE_ADV_PUBLISHED;
	a.published_at = T0 + 3 * DAY;
	assert_int_equal(
	    core_advisory_published_at(&a, T0 + 3 * DAY), T0 + 3 * DAY);
	a.state = STORE_ADV_WITHDRAWN;
	assert_int_equal(core_advisory_published_at(&a, T0 + 9 * DAY), 0);
}

static void
test_since(void **state)
{
	struct store_advisory a;
	struct store_artifact art;
	struct store_partner p;

	(void)state;
	memset(&art, 0, sizeof(art));
	memset(&p, 0, sizeof(p));
	p.updated_at = T0 - DAY;
	/* Released when attached. */
	advisory(&a, 0);
	art.attached_at = T0 + HOUR;
	art.release_at = T0 + HOUR;
	assert_int_equal(core_view_since(&p, &a, &art, T0 + DAY), T0 + HOUR);
	/* A relative release under the original schedule. */
	art.release_relative = true;
	art.release_before = 5 * DAY;
	assert_int_equal(
	    core_view_since(&p, &a, &art, T0 + 6 * DAY), T0 + 5 * DAY);
	/* Postponed then expedited: under the expedite the release fell
	 * before the change, so it became visible at the change. */
	advisory(&a, 2);
	assert_int_equal(
	    core_view_since(&p, &a, &art, T0 + 3 * DAY), T0 + 2 * DAY);
	/* One day before the patch: T0+9d under the first schedule, T0+11d
	 * once postponed, T0+3d once expedited, which is when it shows. */
	art.release_before = DAY;
	assert_int_equal(
	    core_view_since(&p, &a, &art, T0 + 3 * DAY + HOUR), T0 + 3 * DAY);
	/* Published by hand before the release: from the publication. */
	advisory(&a, 0);
	art.release_before = 2 * DAY;
	a.state = STORE_ADV_PUBLISHED;
	a.published_at = T0 + 3 * DAY;
	assert_int_equal(
	    core_view_since(&p, &a, &art, T0 + 4 * DAY), T0 + 3 * DAY);
	/* A partner changed later sees it from its change. */
	p.updated_at = T0 + 3 * DAY + 5;
	assert_int_equal(
	    core_view_since(&p, &a, &art, T0 + 4 * DAY), T0 + 3 * DAY + 5);
	/* The public (no partner) from the rule alone. */
	assert_int_equal(
	    core_view_since(NULL, &a, &art, T0 + 4 * DAY), T0 + 3 * DAY);
}

/* A view of one advisory with four files, as a poc partner sees it. */
static void
make_view(struct core_view *v, struct core_view_advisory *va,
    struct core_view_artifact *arts, bool published)
{
	static const struct {
		const char *name;
		enum store_artifact_kind kind;
		bool pattern;
	} files[] = {
	    {"advisory.md", STORE_KIND_ADVISORY, false},
	    {"rule.stix", STORE_KIND_DETECTION, true},
	    {"rules.yar", STORE_KIND_DETECTION, false},
	    {"poc.py", STORE_KIND_POC, false},
	};

	memset(v, 0, sizeof(*v));
	memset(va, 0, sizeof(*va));
	advisory(&va->adv, 2);
	for (size_t i = 0; i < 4; i++) {
		memset(&arts[i], 0, sizeof(arts[i]));
		(void)snprintf(arts[i].art.advisory_id,
		    sizeof(arts[i].art.advisory_id), "ADV-1");
		(void)snprintf(arts[i].art.name, sizeof(arts[i].art.name), "%s",
		    files[i].name);
		arts[i].art.kind = files[i].kind;
		arts[i].art.attached_at = T0 + HOUR * (int64_t)(i + 1);
		arts[i].art.size = 100;
		arts[i].since = T0 + HOUR * (int64_t)(i + 1);
		arts[i].stix_pattern = files[i].pattern;
	}
	va->arts = arts;
	va->n_arts = 4;
	va->since = T0 + HOUR;
	va->published = published ? T0 + 4 * DAY : 0;
	v->advs = va;
	v->n = 1;
	v->now = T0 + 5 * DAY;
	(void)snprintf(v->partner.id, sizeof(v->partner.id), "acme");
}

static size_t
count(const struct core_stix_catalog *c, enum core_stix_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->v[i].kind == k;
	return n;
}

static void
test_catalog(void **state)
{
	struct core_view v;
	struct core_view_advisory va;
	struct core_view_artifact arts[4];
	struct core_stix_catalog c;
	struct core_stix_conf conf = {"Contoso PSIRT", NULL, {7}};

	(void)state;
	make_view(&v, &va, arts, false);
	assert_int_equal(core_stix_catalog(&v, &conf, &c), 0);
	/* Three states of the advisory: 3 versions of 4 objects. */
	assert_int_equal(count(&c, CORE_STIX_VULNERABILITY), 3);
	assert_int_equal(count(&c, CORE_STIX_REPORT), 3);
	assert_int_equal(count(&c, CORE_STIX_COA), 3);
	assert_int_equal(count(&c, CORE_STIX_REMEDIATES), 3);
	assert_int_equal(count(&c, CORE_STIX_ARTIFACT), 4);
	assert_int_equal(count(&c, CORE_STIX_ARTIFACT_REL), 4);
	assert_int_equal(count(&c, CORE_STIX_INDICATOR), 1);
	assert_int_equal(count(&c, CORE_STIX_INDICATOR_REL), 1);
	assert_int_equal(count(&c, CORE_STIX_NOTE), 1);
	assert_int_equal(count(&c, CORE_STIX_IDENTITY), 1);
	/* Embargoed: AMBER+STRICT and RED (the PoC), CLEAR for the
	 * identity. */
	assert_int_equal(count(&c, CORE_STIX_MARKING), 3);
	for (size_t i = 0; i < c.n; i++) {
		const struct core_stix_entry *e = &c.v[i];
		if (i > 0)
			assert_true(core_stix_entry_cmp(&c.v[i - 1], e) < 0);
		assert_non_null(strstr(e->id, "--"));
		assert_int_equal(strlen(strstr(e->id, "--") + 2), 36);
		assert_true(e->date_added >= T0);
		if (e->kind == CORE_STIX_ARTIFACT)
			assert_int_equal(e->tlp,
			    strstr(e->id, "artifact") && e->art == 3
			        ? CORE_TLP_RED
			        : CORE_TLP_AMBER_STRICT);
		if (e->kind == CORE_STIX_VULNERABILITY)
			assert_int_equal(e->tlp, CORE_TLP_AMBER_STRICT);
		/* Versions before the partner's view began date from it. */
		if (e->kind == CORE_STIX_REPORT)
			assert_true(e->date_added >= va.since);
	}
	/* Every (id, version) once; relationships of different roles get
	 * different ids. */
	for (size_t i = 0; i < c.n; i++)
		for (size_t j = i + 1; j < c.n; j++)
			assert_false(strcmp(c.v[i].id, c.v[j].id) == 0 &&
			    c.v[i].version == c.v[j].version);
	core_stix_catalog_fini(&c);

	/* Published: a fourth state, CLEAR versions of the file objects
	 * (but the PoC's, which stay RED). */
	make_view(&v, &va, arts, true);
	assert_int_equal(core_stix_catalog(&v, &conf, &c), 0);
	assert_int_equal(count(&c, CORE_STIX_REPORT), 4);
	assert_int_equal(count(&c, CORE_STIX_ARTIFACT_REL), 7);
	assert_int_equal(count(&c, CORE_STIX_NOTE), 2);
	for (size_t i = 0; i < c.n; i++)
		if (c.v[i].kind == CORE_STIX_ARTIFACT)
			assert_int_equal(c.v[i].tlp,
			    c.v[i].art == 3 ? CORE_TLP_RED : CORE_TLP_CLEAR);
	core_stix_catalog_fini(&c);

	/* The public: only the published state, no files. */
	make_view(&v, &va, arts, true);
	v.is_public = true;
	va.n_arts = 0;
	va.since = va.published;
	assert_int_equal(core_stix_catalog(&v, &conf, &c), 0);
	assert_int_equal(c.n, 4 + 1 + 1);
	for (size_t i = 0; i < c.n; i++)
		assert_int_equal(c.v[i].tlp, CORE_TLP_CLEAR);
	core_stix_catalog_fini(&c);

	/* Nothing visible: nothing at all, not even the identity. */
	v.n = 0;
	assert_int_equal(core_stix_catalog(&v, &conf, &c), 0);
	assert_int_equal(c.n, 0);
	core_stix_catalog_fini(&c);
}

static void
test_ids(void **state)
{
	uint8_t ns1[32] = {1}, ns2[32] = {2};
	char a[CORE_STIX_ID_MAX], b[CORE_STIX_ID_MAX];

	(void)state;
	core_stix_id(ns1, "report", "ADV-1", a);
	core_stix_id(ns1, "report", "ADV-1", b);
	assert_string_equal(a, b);
	/* UUID layout: version 4, RFC 4122 variant. */
	assert_int_equal(strlen(a), strlen("report--") + 36);
	assert_int_equal(a[8 + 14], '4');
	assert_non_null(strchr("89ab", a[8 + 19]));
	core_stix_id(ns2, "report", "ADV-1", b);
	assert_string_not_equal(a, b);
	core_stix_id(ns1, "report", "ADV-2", b);
	assert_string_not_equal(a, b);
	core_stix_id(ns1, "note", "ADV-1", b);
	assert_string_not_equal(a + 8, b + 6);
	assert_string_equal(
	    core_tlp_name(CORE_TLP_AMBER_STRICT), "TLP:AMBER+STRICT");
	assert_string_equal(core_tlp_id(CORE_TLP_CLEAR),
	    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487");
}

static void
test_base64_and_mime(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(core_base64((const uint8_t *)"foobar", 6, &b), 0);
	assert_string_equal((char *)b.data, "Zm9vYmFy");
	b.len = 0;
	assert_int_equal(core_base64((const uint8_t *)"fooba", 5, &b), 0);
	assert_string_equal((char *)b.data, "Zm9vYmE=");
	b.len = 0;
	assert_int_equal(core_base64((const uint8_t *)"f", 1, &b), 0);
	assert_string_equal((char *)b.data, "Zg==");
	buf_fini(&b);
	assert_string_equal(core_mime_type("poc.py"), "text/x-python");
	assert_string_equal(core_mime_type("README.MD"), "text/markdown");
	assert_string_equal(core_mime_type("blob"), "application/octet-stream");
	assert_string_equal(core_mime_type(".py"), "application/octet-stream");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pattern),
	    cmocka_unit_test(test_versions),
	    cmocka_unit_test(test_since),
	    cmocka_unit_test(test_catalog),
	    cmocka_unit_test(test_ids),
	    cmocka_unit_test(test_base64_and_mime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
