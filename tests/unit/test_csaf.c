/*
 * CSAF 2.0 documents from advisory records: file names and paths, the
 * tracking and revision history, vulnerabilities per CVE, the CVSS
 * vector in the order the CVSS schema wants, and the provider metadata.
 * (Schema validation itself is in tests/e2e/test_server.py.)
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "core/csaf.h"
#include "common/emb.h"

#define T0 INT64_C(1614000000000) /* 2021-02-22T13:20:00Z */
#define DAY INT64_C(86400000)

static char cves[2][STORE_CVE_MAX] = {"CVE-2021-26855", "CVE-2021-27065"};
static char products[2][STORE_NAME_MAX + 1] = {
    "Exchange 2016", "Exchange 2019"};
static struct store_reschedule rs[1] = {
    {T0 + DAY, T0 + 15 * DAY, T0 + 8 * DAY, "exploited in the wild"}};

static const struct core_csaf_conf conf = {
    "Contoso PSIRT", "https://psirt.contoso.example"};

static void
advisory(struct store_advisory *a)
{
	memset(a, 0, sizeof(*a));
	(void)snprintf(a->id, sizeof(a->id), "EMB-2021.0001");
	(void)snprintf(a->title, sizeof(a->title), "Exchange RCE chain");
	(void)snprintf(a->severity, sizeof(a->severity), "critical");
	/* Metrics out of order: CSAF's CVSS schema wants them in order. */
	(void)snprintf(a->cvss, sizeof(a->cvss),
	    "CVSS:3.1/AC:L/AV:N/PR:N/UI:N/S:U/C:H/I:H/A:H");
	a->created_at = T0;
	a->patch_at = T0 + 8 * DAY;
	a->state = STORE_ADV_SHARED;
	a->cves = cves;
	a->n_cves = 2;
	a->products = products;
	a->n_products = 2;
	a->reschedules = rs;
	a->n_reschedules = 1;
}

static const char *
str(json_t *o, const char *path)
{
	char buf[256], *tok, *save = NULL;

	(void)snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, "/", &save); tok && o;
	     tok = strtok_r(NULL, "/", &save)) {
		if (json_is_array(o))
			o = json_array_get(o, (size_t)strtoul(tok, NULL, 10));
		else
			o = json_object_get(o, tok);
	}
	return json_string_value(o);
}

static void
test_document(void **state)
{
	struct store_advisory a;
	json_t *doc, *hist, *vulns;

	(void)state;
	advisory(&a);
	doc = core_csaf_build(&a, a.patch_at, &conf);
	assert_non_null(doc);
	assert_string_equal(
	    str(doc, "document/category"), "csaf_security_advisory");
	assert_string_equal(str(doc, "document/csaf_version"), "2.0");
	assert_string_equal(
	    str(doc, "document/publisher/namespace"), conf.public_url);
	assert_string_equal(str(doc, "document/tracking/id"), "EMB-2021.0001");
	assert_string_equal(str(doc, "document/tracking/status"), "final");
	assert_string_equal(str(doc, "document/tracking/version"), "3");
	assert_string_equal(str(doc, "document/tracking/initial_release_date"),
	    "2021-03-02T13:20:00Z");
	assert_string_equal(
	    str(doc, "document/distribution/tlp/label"), "WHITE");
	assert_string_equal(str(doc, "document/references/0/url"),
	    "https://psirt.contoso.example/.well-known/csaf/white/2021/"
	    "emb-2021_0001.json");
	hist = json_object_get(
	    json_object_get(json_object_get(doc, "document"), "tracking"),
	    "revision_history");
	assert_int_equal(json_array_size(hist), 3);
	assert_string_equal(str(hist, "0/number"), "1");
	assert_string_equal(str(hist, "2/number"), "3");
	assert_non_null(strstr(str(hist, "1/summary"), "expedited"));
	assert_non_null(strstr(str(hist, "1/summary"), "exploited in the"));
	vulns = json_object_get(doc, "vulnerabilities");
	assert_int_equal(json_array_size(vulns), 2);
	assert_string_equal(str(vulns, "1/cve"), "CVE-2021-27065");
	assert_string_equal(str(vulns, "0/scores/0/cvss_v3/vectorString"),
	    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
	assert_string_equal(
	    str(vulns, "0/scores/0/cvss_v3/baseSeverity"), "CRITICAL");
	assert_string_equal(
	    str(vulns, "0/remediations/0/category"), "vendor_fix");
	assert_string_equal(
	    str(vulns, "0/product_status/known_affected/1"), "CSAFPID-0002");
	assert_string_equal(str(doc, "product_tree/full_product_names/1/name"),
	    "Exchange 2019");
	json_decref(doc);

	/* No CVE, no product, no score: still a complete document. */
	a.n_cves = 0;
	a.n_products = 0;
	a.cvss[0] = '\0';
	a.severity[0] = '\0';
	a.n_reschedules = 0;
	doc = core_csaf_build(&a, T0 + 2 * DAY, &conf);
	vulns = json_object_get(doc, "vulnerabilities");
	assert_int_equal(json_array_size(vulns), 1);
	assert_null(json_object_get(json_array_get(vulns, 0), "cve"));
	assert_null(json_object_get(json_array_get(vulns, 0), "scores"));
	assert_string_equal(str(doc,
	                        "product_tree/full_product_names/0/"
	                        "product_id"),
	    "CSAFPID-0001");
	assert_string_equal(str(doc, "document/tracking/version"), "2");
	json_decref(doc);
}

static void
test_dump_is_stable(void **state)
{
	struct store_advisory a;
	json_t *d1, *d2;
	char *s1, *s2;

	(void)state;
	advisory(&a);
	d1 = core_csaf_build(&a, a.patch_at, &conf);
	d2 = core_csaf_build(&a, a.patch_at, &conf);
	s1 = core_csaf_dump(d1);
	s2 = core_csaf_dump(d2);
	assert_string_equal(s1, s2);
	assert_non_null(strstr(s1, "\"baseScore\": 9.8,"));
	free(s1);
	free(s2);
	json_decref(d1);
	json_decref(d2);
}

static void
test_paths_and_urls(void **state)
{
	struct store_advisory a;
	char path[CORE_CSAF_PATH_MAX];
	json_t *m;

	(void)state;
	advisory(&a);
	core_csaf_path(&a, T0 + 400 * DAY, path);
	assert_string_equal(path, "2022/emb-2021_0001.json");
	assert_true(core_csaf_url_valid("https://x.example"));
	assert_true(core_csaf_url_valid("https://x.example:8443/psirt"));
	assert_false(core_csaf_url_valid("http://x.example"));
	assert_false(core_csaf_url_valid("https://x.example/"));
	assert_false(core_csaf_url_valid("https://"));
	assert_false(core_csaf_url_valid("https://a b"));
	assert_false(core_csaf_url_valid("https://a\"b"));
	assert_false(core_csaf_url_valid("https://x.example?q"));
	m = core_csaf_provider_metadata(&conf, T0);
	assert_string_equal(str(m, "canonical_url"),
	    "https://psirt.contoso.example/.well-known/csaf/"
	    "provider-metadata.json");
	assert_string_equal(str(m, "distributions/0/directory_url"),
	    "https://psirt.contoso.example/.well-known/csaf/white/");
	assert_string_equal(str(m, "role"), "csaf_provider");
	assert_string_equal(str(m, "last_updated"), "2021-02-22T13:20:00Z");
	json_decref(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_document),
	    cmocka_unit_test(test_dump_is_stable),
	    cmocka_unit_test(test_paths_and_urls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
