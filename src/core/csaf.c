/*
 * CSAF 2.0 documents and provider metadata (see csaf.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csaf.h"
#include "core/cvss.h"
#include "core/partner_view.h"
#include "common/timeutil.h"
#include "common/emb.h"

#define CSAF_ENGINE "embargo"
#define CSAF_ENGINE_VERSION "0.1.0"

bool
core_csaf_url_valid(const char *url)
{
	size_t n = strlen(url);

	if (n <= 8 || n >= CORE_CSAF_URL_MAX - 64 ||
	    strncmp(url, "https://", 8) != 0 || url[n - 1] == '/')
		return false;
	for (size_t i = 8; i < n; i++) {
		unsigned char c = (unsigned char)url[i];
		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' ||
		    c == '?' || c == '#' || c == '<' || c == '>')
			return false;
	}
	return true;
}

static json_t *
csaf_time(int64_t ms)
{
	char t[EMB_TIME_STR];

	return json_string(emb_time_format(ms, false, t));
}

void
core_csaf_path(const struct store_advisory *a, int64_t published,
    char out[CORE_CSAF_PATH_MAX])
{
	char t[EMB_TIME_STR], name[EMB_ID_MAX];
	size_t i;

	/* Section 5.1: lower case, anything but [+\-a-z0-9] becomes '_'. */
	for (i = 0; a->id[i] != '\0' && i + 1 < sizeof(name); i++) {
		char c = (char)tolower((unsigned char)a->id[i]);
		name[i] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		        c == '+' || c == '-'
		    ? c
		    : '_';
	}
	name[i] = '\0';
	emb_time_format(published, false, t);
	(void)snprintf(out, CORE_CSAF_PATH_MAX, "%.4s/%s.json", t, name);
}

/* The CVSS v3 vector with its metrics in the specification's order. */
static bool
cvss_canonical(const char *vector, char *out, size_t n)
{
	static const char *const order[] = {
	    "AV", "AC", "PR", "UI", "S", "C", "I", "A"};
	char val[8][4] = {{0}};
	const char *p;
	size_t len;

	if (strncmp(vector, "CVSS:3.", 7) != 0 ||
	    (vector[7] != '0' && vector[7] != '1') || vector[8] != '/')
		return false;
	for (p = vector + 9; *p != '\0'; p += len + (p[len] == '/')) {
		const char *colon = strchr(p, ':');
		len = strcspn(p, "/");
		if (colon == NULL || colon > p + len || p + len - colon != 2)
			return false;
		for (size_t i = 0; i < EMB_ARRAY_LEN(order); i++)
			if (strlen(order[i]) == (size_t)(colon - p) &&
			    strncmp(order[i], p, (size_t)(colon - p)) == 0)
				val[i][0] = colon[1];
	}
	for (size_t i = 0; i < EMB_ARRAY_LEN(order); i++)
		if (val[i][0] == '\0')
			return false;
	(void)snprintf(out, n,
	    "CVSS:3.%c/AV:%s/AC:%s/PR:%s/UI:%s/S:%s/C:%s/I:%s/A:%s", vector[7],
	    val[0], val[1], val[2], val[3], val[4], val[5], val[6], val[7]);
	return true;
}

static json_t *
cvss_score(const struct store_advisory *a)
{
	struct core_cvss cv;
	char vec[STORE_CVSS_MAX + 1], sev[16];
	const char *s;
	size_t i;

	if (a->cvss[0] == '\0' || core_cvss_parse(a->cvss, &cv) < 0 ||
	    !cvss_canonical(a->cvss, vec, sizeof(vec)))
		return NULL;
	s = core_cvss_severity(cv.base_tenths);
	for (i = 0; s[i] != '\0' && i + 1 < sizeof(sev); i++)
		sev[i] = (char)toupper((unsigned char)s[i]);
	sev[i] = '\0';
	return json_pack("{s:s, s:s, s:f, s:s}", "version",
	    cv.minor ? "3.1" : "3.0", "vectorString", vec, "baseScore",
	    cv.base_tenths / 10.0, "baseSeverity", sev);
}

static json_t *
product_ids(const struct store_advisory *a)
{
	json_t *l = json_array();
	size_t n = a->n_products ? a->n_products : 1;
	char id[32];

	for (size_t i = 0; i < n; i++) {
		(void)snprintf(id, sizeof(id), "CSAFPID-%04zu", i + 1);
		json_array_append_new(l, json_string(id));
	}
	return l;
}

static json_t *
product_tree(const struct store_advisory *a)
{
	json_t *names = json_array();
	char id[32], fallback[EMB_ID_MAX + 32];

	if (a->n_products == 0) {
		(void)snprintf(fallback, sizeof(fallback),
		    "Products affected by %s", a->id);
		json_array_append_new(names,
		    json_pack("{s:s, s:s}", "product_id", "CSAFPID-0001",
		        "name", fallback));
	}
	for (size_t i = 0; i < a->n_products; i++) {
		(void)snprintf(id, sizeof(id), "CSAFPID-%04zu", i + 1);
		json_array_append_new(names,
		    json_pack("{s:s, s:s}", "product_id", id, "name",
		        a->products[i]));
	}
	return json_pack("{s:o}", "full_product_names", names);
}

static json_t *
revision_history(const struct store_advisory *a, int64_t published)
{
	struct core_adv_version *vers;
	char t1[EMB_TIME_STR], t2[EMB_TIME_STR], num[24], sum[1024];
	json_t *l = json_array();
	size_t nv;

	vers = calloc(a->n_reschedules + 2, sizeof(*vers));
	if (vers == NULL || l == NULL) {
		free(vers);
		json_decref(l);
		return NULL;
	}
	nv = core_advisory_versions(a, published, vers);
	for (size_t i = 0; i < nv; i++) {
		const struct core_adv_version *v = &vers[i];
		if (v->published) {
			(void)snprintf(
			    sum, sizeof(sum), "Published; the embargo ended.");
		} else if (v->n_reschedules == 0) {
			(void)snprintf(sum, sizeof(sum),
			    "Created under embargo; the update was scheduled"
			    " for %s.",
			    emb_time_format(v->patch_at, false, t1));
		} else {
			const struct store_reschedule *rs =
			    &a->reschedules[v->n_reschedules - 1];
			(void)snprintf(sum, sizeof(sum),
			    "Update %s from %s to %s: %s",
			    rs->new_patch_at < rs->old_patch_at ? "expedited"
			                                        : "postponed",
			    emb_time_format(rs->old_patch_at, false, t1),
			    emb_time_format(rs->new_patch_at, false, t2),
			    rs->reason);
		}
		(void)snprintf(num, sizeof(num), "%zu", i + 1);
		json_array_append_new(l,
		    json_pack("{s:o, s:s, s:s}", "date", csaf_time(v->at),
		        "number", num, "summary", sum));
	}
	free(vers);
	return l;
}

static json_t *
vulnerability(
    const struct store_advisory *a, const char *cve, int64_t published)
{
	json_t *v, *refs = json_array(), *score;
	char url[128], details[256], t[EMB_TIME_STR];

	if (cve != NULL) {
		(void)snprintf(url, sizeof(url),
		    "https://www.cve.org/CVERecord?id=%s", cve);
		json_array_append_new(refs,
		    json_pack("{s:s, s:s, s:s}", "category", "external",
		        "summary", cve, "url", url));
	}
	(void)snprintf(details, sizeof(details),
	    "Install the update released %s.",
	    emb_time_format(published, false, t));
	v = json_pack("{s:s, s:[{s:s, s:s, s:s}], s:{s:o}, s:[{s:s, s:s, "
	              "s:o, s:o}]}",
	    "title", a->title, "notes", "category", "description", "title",
	    "Description", "text", a->title, "product_status", "known_affected",
	    product_ids(a), "remediations", "category", "vendor_fix", "details",
	    details, "date", csaf_time(published), "product_ids",
	    product_ids(a));
	if (v == NULL) {
		json_decref(refs);
		return NULL;
	}
	if (cve != NULL)
		json_object_set_new(v, "cve", json_string(cve));
	if (json_array_size(refs) > 0)
		json_object_set_new(v, "references", refs);
	else
		json_decref(refs);
	if ((score = cvss_score(a)) != NULL)
		json_object_set_new(v, "scores",
		    json_pack("[{s:o, s:o}]", "products", product_ids(a),
		        "cvss_v3", score));
	return v;
}

static int
summary_text(const struct store_advisory *a, int64_t published, struct buf *b)
{
	char t1[EMB_TIME_STR], t2[EMB_TIME_STR];
	int r;

	if ((r = buf_printf(b, "%s.", a->title)) < 0)
		return r;
	if (a->n_cves > 0) {
		for (size_t i = 0; i < a->n_cves && r == 0; i++)
			r = buf_printf(
			    b, "%s%s", i == 0 ? " CVE: " : ", ", a->cves[i]);
		if (r == 0)
			r = buf_append_str(b, ".");
	}
	for (size_t i = 0; i < a->n_products && r == 0; i++)
		r = buf_printf(b, "%s%s%s", i == 0 ? " Affected: " : ", ",
		    a->products[i], i + 1 == a->n_products ? "." : "");
	if (r == 0)
		r = buf_printf(b,
		    " Shared under embargo with vetted security partners from"
		    " %s; published %s.",
		    emb_time_format(a->created_at, false, t1),
		    emb_time_format(published, false, t2));
	return r;
}

json_t *
core_csaf_build(const struct store_advisory *a, int64_t published,
    const struct core_csaf_conf *conf)
{
	json_t *doc = NULL, *document, *vulns, *history;
	char path[CORE_CSAF_PATH_MAX], self[CORE_CSAF_URL_MAX + 64];
	char version[24];
	struct buf sum;

	buf_init(&sum, 64 * 1024);
	history = revision_history(a, published);
	vulns = json_array();
	if (history == NULL || vulns == NULL ||
	    summary_text(a, published, &sum) < 0)
		goto fail;
	core_csaf_path(a, published, path);
	(void)snprintf(self, sizeof(self), "%s%s%s", conf->public_url,
	    CORE_CSAF_DIR, path);
	(void)snprintf(
	    version, sizeof(version), "%zu", json_array_size(history));
	document = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}, "
	                     "s:{s:{s:s, s:s}}, s:[{s:s, s:s, s:s}], "
	                     "s:[{s:s, s:s, s:s}], s:{s:s, s:s, s:s, s:o, "
	                     "s:o, s:o, s:{s:{s:s, s:s}}}}",
	    "category", "csaf_security_advisory", "csaf_version", "2.0",
	    "title", a->title, "lang", "en", "publisher", "category", "vendor",
	    "name", conf->publisher, "namespace", conf->public_url,
	    "distribution", "tlp", "label", "WHITE", "url",
	    "https://www.first.org/tlp/", "notes", "category", "summary",
	    "title", "Summary", "text", (char *)sum.data, "references",
	    "category", "self", "summary", "This document", "url", self,
	    "tracking", "id", a->id, "status", "final", "version", version,
	    "initial_release_date", csaf_time(published),
	    "current_release_date", csaf_time(published), "revision_history",
	    history, "generator", "engine", "name", CSAF_ENGINE, "version",
	    CSAF_ENGINE_VERSION);
	history = NULL;
	if (document == NULL)
		goto fail;
	if (a->severity[0] != '\0')
		json_object_set_new(document, "aggregate_severity",
		    json_pack("{s:s}", "text", a->severity));
	for (size_t i = 0; i < (a->n_cves ? a->n_cves : 1); i++) {
		json_t *v =
		    vulnerability(a, a->n_cves ? a->cves[i] : NULL, published);
		if (v == NULL || json_array_append_new(vulns, v) < 0) {
			json_decref(document);
			goto fail;
		}
	}
	doc = json_pack("{s:o, s:o, s:o}", "document", document, "product_tree",
	    product_tree(a), "vulnerabilities", vulns);
	vulns = NULL;
fail:
	json_decref(history);
	json_decref(vulns);
	buf_fini(&sum);
	return doc;
}

int
core_csaf_document(struct emb_instance *inst, const char *id,
    const struct core_csaf_conf *conf, int64_t now, json_t **ret,
    struct emb_error *err)
{
	struct store_advisory a;
	int64_t published = 0;
	json_t *doc;
	int r;

	memset(&a, 0, sizeof(a));
	r = core_advisory_get(inst, id, &a, err);
	if (r == EMB_ENOENT || r == EMB_EINVAL ||
	    (r == 0 &&
	        (published = core_advisory_published_at(&a, now)) == 0)) {
		store_advisory_fini(&a);
		emb_error_clear(err);
		return emb_error_set(err, EMB_ENOENT,
		    "advisory '%s' is not published (its CSAF document"
		    " exists once it is)",
		    id);
	}
	if (r < 0)
		return r;
	doc = core_csaf_build(&a, published, conf);
	store_advisory_fini(&a);
	if (doc == NULL)
		return emb_error_code(err, EMB_ENOMEM);
	*ret = doc;
	return 0;
}

static int
entry_cmp(const void *x, const void *y)
{
	const struct core_csaf_entry *a = x, *b = y;

	if (a->released != b->released)
		return a->released > b->released ? -1 : 1;
	return strcmp(a->id, b->id);
}

int
core_csaf_list(struct emb_instance *inst, int64_t now,
    struct core_csaf_entry **ret, size_t *ret_n, struct emb_error *err)
{
	struct core_view v;
	struct core_csaf_entry *e;
	int r;

	if ((r = core_view_public(inst, now, &v, err)) < 0)
		return r;
	e = calloc(v.n ? v.n : 1, sizeof(*e));
	if (e == NULL) {
		core_view_fini(&v);
		return emb_error_code(err, EMB_ENOMEM);
	}
	for (size_t i = 0; i < v.n; i++) {
		(void)snprintf(
		    e[i].id, sizeof(e[i].id), "%s", v.advs[i].adv.id);
		core_csaf_path(&v.advs[i].adv, v.advs[i].published, e[i].path);
		e[i].released = v.advs[i].published;
	}
	qsort(e, v.n, sizeof(*e), entry_cmp);
	*ret = e;
	*ret_n = v.n;
	core_view_fini(&v);
	return 0;
}

json_t *
core_csaf_provider_metadata(
    const struct core_csaf_conf *conf, int64_t last_updated)
{
	char canonical[CORE_CSAF_URL_MAX + 64], dir[CORE_CSAF_URL_MAX + 64];

	(void)snprintf(canonical, sizeof(canonical), "%s%s", conf->public_url,
	    CORE_CSAF_METADATA);
	(void)snprintf(
	    dir, sizeof(dir), "%s%s", conf->public_url, CORE_CSAF_DIR);
	return json_pack("{s:s, s:[{s:s}], s:o, s:b, s:s, s:b, s:{s:s, s:s, "
	                 "s:s}, s:s}",
	    "canonical_url", canonical, "distributions", "directory_url", dir,
	    "last_updated", csaf_time(last_updated), "list_on_CSAF_aggregators",
	    1, "metadata_version", "2.0", "mirror_on_CSAF_aggregators", 1,
	    "publisher", "category", "vendor", "name", conf->publisher,
	    "namespace", conf->public_url, "role", "csaf_provider");
}

char *
core_csaf_dump(const json_t *doc)
{
	return json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
}
