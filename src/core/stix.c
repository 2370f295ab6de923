/*
 * STIX 2.1 objects for a view: the catalogue of object versions and the
 * rendering of each (see stix.h for the mapping).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "core/cvss.h"
#include "core/stix.h"
#include "common/str.h"
#include "common/timeutil.h"
#include "common/emb.h"

/* The published TLP 2.0 marking-definitions (OASIS cti-stix-common-objects,
 * extension-definition-specifications/tlp-2.0). */
#define TLP2_EXTENSION                                                         \
	"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
#define TLP2_CREATED INT64_C(1664582400000) /* 2022-10-01T00:00:00.000Z */

/* The vendor identity's first (and only) version. */
#define IDENTITY_CREATED INT64_C(1577836800000) /* 2020-01-01T00:00:00Z */

static const struct {
	const char *id, *name, *level;
} tlp_table[CORE_TLP_COUNT] = {
    [CORE_TLP_CLEAR] = {"marking-definition--94868c89-83c2-464b-929b-"
                        "a1a8aa3c8487",
        "TLP:CLEAR", "clear"},
    [CORE_TLP_AMBER_STRICT] = {"marking-definition--939a9414-2ddd-4d32-"
                               "a0cd-375ea402b003",
        "TLP:AMBER+STRICT", "amber+strict"},
    [CORE_TLP_RED] = {"marking-definition--e828b379-4e03-4974-9ac4-"
                      "e53a884c97c1",
        "TLP:RED", "red"},
};

const char *
core_tlp_id(enum core_tlp t)
{
	return tlp_table[t].id;
}

const char *
core_tlp_name(enum core_tlp t)
{
	return tlp_table[t].name;
}

static json_t *
stix_time(int64_t ms)
{
	char t[EMB_TIME_STR];

	return json_string(emb_time_format(ms, true, t));
}

json_t *
core_tlp_marking(enum core_tlp t)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:{s:{s:s, s:s}}}", "type",
	    "marking-definition", "spec_version", "2.1", "id", tlp_table[t].id,
	    "created", stix_time(TLP2_CREATED), "name", tlp_table[t].name,
	    "extensions", TLP2_EXTENSION, "extension_type",
	    "property-extension", "tlp_2_0", tlp_table[t].level);
}

void
core_stix_namespace(struct emb_instance *inst, uint8_t ns[32])
{
	static const char domain[] = "embargo-stix-namespace-v1";
	uint8_t buf[sizeof(domain) + CRYPTO_SIGN_PUB_BYTES];

	memcpy(buf, domain, sizeof(domain));
	crypto_sig_pub(inst->keys, buf + sizeof(domain));
	crypto_sha256(buf, sizeof(buf), ns);
}

void
core_stix_id(const uint8_t ns[32], const char *type, const char *key,
    char out[CORE_STIX_ID_MAX])
{
	struct buf b;
	uint8_t h[32];
	char hex[33];

	buf_init(&b, 4096);
	if (buf_append(&b, ns, 32) < 0 || buf_append_str(&b, type) < 0 ||
	    buf_append(&b, "", 1) < 0 || buf_append_str(&b, key) < 0) {
		/* Keys are bounded identifiers: cannot happen. */
		buf_fini(&b);
		memset(h, 0, sizeof(h));
	} else {
		crypto_sha256(b.data, b.len, h);
		buf_fini(&b);
	}
	h[6] = (uint8_t)((h[6] & 0x0f) | 0x40); /* version 4 layout */
	h[8] = (uint8_t)((h[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	emb_hex(h, 16, hex);
	(void)snprintf(out, CORE_STIX_ID_MAX, "%s--%.8s-%.4s-%.4s-%.4s-%.12s",
	    type, hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static const char *const kind_types[] = {
    [CORE_STIX_IDENTITY] = "identity",
    [CORE_STIX_MARKING] = "marking-definition",
    [CORE_STIX_VULNERABILITY] = "vulnerability",
    [CORE_STIX_REPORT] = "report",
    [CORE_STIX_COA] = "course-of-action",
    [CORE_STIX_REMEDIATES] = "relationship",
    [CORE_STIX_ARTIFACT] = "artifact",
    [CORE_STIX_ARTIFACT_REL] = "relationship",
    [CORE_STIX_INDICATOR] = "indicator",
    [CORE_STIX_INDICATOR_REL] = "relationship",
    [CORE_STIX_NOTE] = "note",
};

/*
 * The id of an object of an advisory (art NULL) or of one of its files:
 * the natural key, with a role for the relationships.
 */
static void
kind_id(const struct core_stix_conf *conf, enum core_stix_kind kind,
    const struct store_advisory *a, const struct store_artifact *art,
    char out[CORE_STIX_ID_MAX])
{
	char key[EMB_ID_MAX + STORE_ARTIFACT_NAME_MAX + 48];

	if (art == NULL)
		(void)snprintf(key, sizeof(key), "%s%s", a->id,
		    kind == CORE_STIX_REMEDIATES ? "|remediates" : "");
	else
		(void)snprintf(key, sizeof(key), "%s/%s/%lld%s",
		    art->advisory_id, art->name, (long long)art->attached_at,
		    kind == CORE_STIX_ARTIFACT_REL        ? "|artifact"
		        : kind == CORE_STIX_INDICATOR_REL ? "|indicator"
		                                          : "");
	core_stix_id(conf->ns, kind_types[kind], key, out);
}

/* ---- the catalogue ---- */

struct cat {
	struct core_stix_catalog c;
	size_t cap;
	int64_t first[CORE_TLP_COUNT]; /* earliest date_added per marking */
	bool used[CORE_TLP_COUNT];
};

static int
cat_add(struct cat *k, const struct core_stix_conf *conf,
    enum core_stix_kind kind, const struct store_advisory *a,
    const struct store_artifact *art, int64_t version, int64_t date_added,
    size_t adv, size_t fi, size_t ver, enum core_tlp tlp, size_t estimate)
{
	struct core_stix_entry *e;

	if (k->c.n == k->cap) {
		size_t ncap = k->cap ? k->cap * 2 : 32;
		void *p = realloc(k->c.v, ncap * sizeof(*k->c.v));
		if (p == NULL)
			return EMB_ENOMEM;
		k->c.v = p;
		k->cap = ncap;
	}
	e = &k->c.v[k->c.n++];
	memset(e, 0, sizeof(*e));
	if (kind == CORE_STIX_MARKING)
		(void)snprintf(e->id, sizeof(e->id), "%s", tlp_table[tlp].id);
	else if (kind == CORE_STIX_IDENTITY)
		core_stix_id(conf->ns, "identity", conf->vendor, e->id);
	else
		kind_id(conf, kind, a, art, e->id);
	e->type = kind_types[kind];
	e->kind = kind;
	e->version = version;
	e->date_added = date_added;
	e->adv = adv;
	e->art = fi;
	e->ver = ver;
	e->tlp = tlp;
	e->estimate = estimate;
	if (kind != CORE_STIX_MARKING &&
	    (!k->used[tlp] || date_added < k->first[tlp])) {
		k->used[tlp] = true;
		k->first[tlp] = date_added;
	}
	return 0;
}

int
core_stix_entry_cmp(
    const struct core_stix_entry *a, const struct core_stix_entry *b)
{
	int c;

	if (a->date_added != b->date_added)
		return a->date_added < b->date_added ? -1 : 1;
	if ((c = strcmp(a->id, b->id)) != 0)
		return c < 0 ? -1 : 1;
	if (a->version != b->version)
		return a->version < b->version ? -1 : 1;
	return 0;
}

static int
entry_qsort_cmp(const void *a, const void *b)
{
	return core_stix_entry_cmp(a, b);
}

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* The advisory-level objects, one version per state of the advisory. */
static int
cat_advisory(struct cat *k, const struct core_view *v,
    const struct core_stix_conf *conf, size_t ai)
{
	static const enum core_stix_kind objs[] = {CORE_STIX_VULNERABILITY,
	    CORE_STIX_REPORT, CORE_STIX_COA, CORE_STIX_REMEDIATES};
	const struct core_view_advisory *va = &v->advs[ai];
	struct core_adv_version *vers;
	size_t nv, from = 0;
	int r = 0;

	vers = calloc(va->adv.n_reschedules + 2, sizeof(*vers));
	if (vers == NULL)
		return EMB_ENOMEM;
	nv = core_advisory_versions(&va->adv, va->published, vers);
	/* The public sees the published version only. */
	if (v->is_public)
		from = nv - 1;
	for (size_t j = from; j < nv && r == 0; j++) {
		enum core_tlp tlp =
		    vers[j].published ? CORE_TLP_CLEAR : CORE_TLP_AMBER_STRICT;
		int64_t added = max64(vers[j].at, va->since);
		for (size_t o = 0; o < EMB_ARRAY_LEN(objs) && r == 0; o++)
			r = cat_add(k, conf, objs[o], &va->adv, NULL,
			    vers[j].at, added, ai, 0, j, tlp,
			    4096 + 1024 * va->adv.n_reschedules);
	}
	free(vers);
	return r;
}

/* The objects made from one visible file. */
static int
cat_artifact(struct cat *k, const struct core_view *v,
    const struct core_stix_conf *conf, size_t ai, size_t fi)
{
	const struct core_view_advisory *va = &v->advs[ai];
	const struct core_view_artifact *w = &va->arts[fi];
	const struct store_artifact *art = &w->art;
	bool poc = art->kind == STORE_KIND_POC;
	bool detection = art->kind == STORE_KIND_DETECTION;
	enum core_tlp tlp = poc ? CORE_TLP_RED
	    : va->published     ? CORE_TLP_CLEAR
	                        : CORE_TLP_AMBER_STRICT;
	size_t size = (size_t)art->size, nver = 1;
	int r;

	/* An observable has no versions: its version is its date_added. */
	if ((r = cat_add(k, conf, CORE_STIX_ARTIFACT, &va->adv, art, w->since,
	         w->since, ai, fi, 0, tlp, size / 3 * 4 + 2048)) < 0)
		return r;
	/* Versioned objects change their marking once published. */
	if (va->published != 0 && !poc && va->published > art->attached_at)
		nver = 2;
	for (size_t j = 0; j < nver; j++) {
		int64_t at = j == 0 ? art->attached_at : va->published;
		enum core_tlp t = j == 0
		    ? (poc ? CORE_TLP_RED : CORE_TLP_AMBER_STRICT)
		    : CORE_TLP_CLEAR;
		int64_t added = max64(at, w->since);
		if ((r = cat_add(k, conf, CORE_STIX_ARTIFACT_REL, &va->adv, art,
		         at, added, ai, fi, j, t, 2048)) < 0)
			return r;
		if (!detection)
			continue;
		if (!w->stix_pattern) {
			r = cat_add(k, conf, CORE_STIX_NOTE, &va->adv, art, at,
			    added, ai, fi, j, t, 2 * size + 2048);
		} else if ((r = cat_add(k, conf, CORE_STIX_INDICATOR, &va->adv,
		                art, at, added, ai, fi, j, t,
		                2 * size + 2048)) == 0) {
			r = cat_add(k, conf, CORE_STIX_INDICATOR_REL, &va->adv,
			    art, at, added, ai, fi, j, t, 2048);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int
core_stix_catalog(const struct core_view *v, const struct core_stix_conf *conf,
    struct core_stix_catalog *ret)
{
	struct cat k;
	int64_t first = 0;
	int r = 0;

	memset(&k, 0, sizeof(k));
	for (size_t i = 0; i < v->n && r == 0; i++) {
		r = cat_advisory(&k, v, conf, i);
		for (size_t j = 0; j < v->advs[i].n_arts && r == 0; j++)
			r = cat_artifact(&k, v, conf, i, j);
	}
	if (r == 0 && k.c.n > 0) {
		first = k.c.v[0].date_added;
		for (size_t i = 1; i < k.c.n; i++)
			if (k.c.v[i].date_added < first)
				first = k.c.v[i].date_added;
		/* The vendor, marked TLP:CLEAR, from the first object on. */
		r = cat_add(&k, conf, CORE_STIX_IDENTITY, NULL, NULL,
		    IDENTITY_CREATED, first, 0, 0, 0, CORE_TLP_CLEAR, 1024);
		for (int t = 0; t < CORE_TLP_COUNT && r == 0; t++)
			if (k.used[t])
				r = cat_add(&k, conf, CORE_STIX_MARKING, NULL,
				    NULL, TLP2_CREATED, k.first[t], 0, 0, 0,
				    (enum core_tlp)t, 1024);
	}
	if (r < 0) {
		free(k.c.v);
		return r;
	}
	if (k.c.n > 1)
		qsort(k.c.v, k.c.n, sizeof(*k.c.v), entry_qsort_cmp);
	*ret = k.c;
	return 0;
}

void
core_stix_catalog_fini(struct core_stix_catalog *c)
{
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

/* ---- copies made while rendering one response ---- */

struct stix_copy {
	size_t adv, art;
	struct buf data;
	struct store_delivery d;
};

struct core_stix_copies {
	struct stix_copy *v;
	size_t n, cap;
	int64_t *deliveries;
};

struct core_stix_copies *
core_stix_copies_new(void)
{
	return calloc(1, sizeof(struct core_stix_copies));
}

void
core_stix_copies_free(struct core_stix_copies *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		buf_fini_wipe(&c->v[i].data);
	free(c->v);
	free(c->deliveries);
	free(c);
}

size_t
core_stix_copies_deliveries(
    const struct core_stix_copies *c, const int64_t **ret)
{
	*ret = c->deliveries;
	return c->n;
}

bool
core_stix_needs_copy(const struct core_stix_entry *e)
{
	return e->kind == CORE_STIX_ARTIFACT || e->kind == CORE_STIX_NOTE ||
	    e->kind == CORE_STIX_INDICATOR;
}

static int
get_copy(struct emb_instance *inst, const struct core_view *v,
    const struct core_stix_conf *conf, size_t ai, size_t fi, const char *actor,
    const char *channel, struct core_stix_copies *c,
    const struct stix_copy **ret, struct emb_error *err)
{
	const struct core_view_advisory *va = &v->advs[ai];
	struct stix_copy *sc;
	bool fresh;
	int r;

	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].adv == ai && c->v[i].art == fi) {
			*ret = &c->v[i];
			return 0;
		}
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 4;
		void *p = realloc(c->v, ncap * sizeof(*c->v));
		if (p == NULL)
			return emb_error_code(err, EMB_ENOMEM);
		c->v = p;
		p = realloc(c->deliveries, ncap * sizeof(*c->deliveries));
		if (p == NULL)
			return emb_error_code(err, EMB_ENOMEM);
		c->deliveries = p;
		c->cap = ncap;
	}
	sc = &c->v[c->n];
	memset(sc, 0, sizeof(*sc));
	sc->adv = ai;
	sc->art = fi;
	buf_init(&sc->data, 2 * (size_t)CORE_ARTIFACT_MAX);
	r = core_copy_once(inst, conf->cache, actor, &v->partner, va->adv.id,
	    va->arts[fi].art.name, channel, v->now, &sc->data, &sc->d, &fresh,
	    err);
	if (r < 0)
		return r;
	c->deliveries[c->n] = sc->d.id;
	c->n++;
	*ret = sc;
	return 0;
}

/* ---- rendering ---- */

static json_t *
markings(enum core_tlp t)
{
	return json_pack("[s]", tlp_table[t].id);
}

/* Text as a JSON string, any invalid UTF-8 byte shown as '?'. */
static json_t *
text_string(const uint8_t *p, size_t n)
{
	json_t *s;
	char *t;

	if (emb_utf8_valid(p, n))
		return json_stringn((const char *)p, n);
	t = malloc(n + 1);
	if (t == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		t[i] = p[i] < 0x80 ? (char)p[i] : '?';
	s = json_stringn(t, n);
	free(t);
	return s;
}

static const char *
kind_label(enum store_artifact_kind k)
{
	switch (k) {
	case STORE_KIND_ADVISORY:
		return "advisory text";
	case STORE_KIND_DETECTION:
		return "detection guidance";
	case STORE_KIND_POC:
		return "proof-of-concept code";
	case STORE_KIND_OTHER:
		break;
	}
	return "file";
}

static int
common_props(json_t *o, const struct core_stix_conf *conf,
    const struct core_stix_entry *e, int64_t created)
{
	char ident[CORE_STIX_ID_MAX];

	core_stix_id(conf->ns, "identity", conf->vendor, ident);
	if (json_object_set_new(o, "type", json_string(e->type)) < 0 ||
	    json_object_set_new(o, "spec_version", json_string("2.1")) < 0 ||
	    json_object_set_new(o, "id", json_string(e->id)) < 0 ||
	    json_object_set_new(o, "created", stix_time(created)) < 0 ||
	    json_object_set_new(o, "modified", stix_time(e->version)) < 0 ||
	    json_object_set_new(o, "created_by_ref", json_string(ident)) < 0 ||
	    json_object_set_new(o, "object_marking_refs", markings(e->tlp)) < 0)
		return EMB_ENOMEM;
	return 0;
}

static json_t *
cve_references(const struct store_advisory *a)
{
	json_t *refs = json_array();

	for (size_t i = 0; i < a->n_cves; i++) {
		char url[128];
		(void)snprintf(url, sizeof(url),
		    "https://www.cve.org/CVERecord?id=%s", a->cves[i]);
		json_array_append_new(refs,
		    json_pack("{s:s, s:s, s:s}", "source_name", "cve",
		        "external_id", a->cves[i], "url", url));
	}
	json_array_append_new(refs,
	    json_pack(
	        "{s:s, s:s}", "source_name", "embargo", "external_id", a->id));
	return refs;
}

/* Describe the advisory's schedule as of version ver. */
static int
schedule_text(const struct store_advisory *a,
    const struct core_adv_version *ver, struct buf *b)
{
	char t1[EMB_TIME_STR], t2[EMB_TIME_STR], t3[EMB_TIME_STR];
	int r;

	if (ver->published)
		r = buf_printf(b, "Published %s; the update was due %s.",
		    emb_time_format(ver->at, false, t1),
		    emb_time_format(ver->patch_at, false, t2));
	else
		r = buf_printf(b,
		    "Under embargo until the update is released at %s.",
		    emb_time_format(ver->patch_at, false, t1));
	for (size_t i = 0; i < ver->n_reschedules && r == 0; i++) {
		const struct store_reschedule *rs = &a->reschedules[i];
		r = buf_printf(b, " On %s the update was %s from %s to %s: %s.",
		    emb_time_format(rs->at, false, t1),
		    rs->new_patch_at < rs->old_patch_at ? "expedited"
		                                        : "postponed",
		    emb_time_format(rs->old_patch_at, false, t2),
		    emb_time_format(rs->new_patch_at, false, t3), rs->reason);
	}
	return r;
}

static json_t *
reschedule_list(const struct store_advisory *a, size_t n)
{
	json_t *l = json_array();

	for (size_t i = 0; i < n; i++) {
		const struct store_reschedule *rs = &a->reschedules[i];
		json_array_append_new(l,
		    json_pack("{s:o, s:o, s:o, s:s, s:s}", "at",
		        stix_time(rs->at), "from", stix_time(rs->old_patch_at),
		        "to", stix_time(rs->new_patch_at), "direction",
		        rs->new_patch_at < rs->old_patch_at ? "expedite"
		                                            : "postpone",
		        "reason", rs->reason));
	}
	return l;
}

static int
render_advisory(const struct core_view *v, const struct core_stix_conf *conf,
    const struct core_stix_entry *e, json_t *o)
{
	const struct core_view_advisory *va = &v->advs[e->adv];
	const struct store_advisory *a = &va->adv;
	struct core_adv_version *vers, *ver;
	char vuln[CORE_STIX_ID_MAX], coa[CORE_STIX_ID_MAX];
	char rel[CORE_STIX_ID_MAX], t[EMB_TIME_STR];
	struct buf d;
	size_t nv;
	int r = 0;

	vers = calloc(a->n_reschedules + 2, sizeof(*vers));
	if (vers == NULL)
		return EMB_ENOMEM;
	nv = core_advisory_versions(a, va->published, vers);
	ver = &vers[e->ver < nv ? e->ver : nv - 1];
	kind_id(conf, CORE_STIX_VULNERABILITY, a, NULL, vuln);
	kind_id(conf, CORE_STIX_COA, a, NULL, coa);
	kind_id(conf, CORE_STIX_REMEDIATES, a, NULL, rel);
	buf_init(&d, 64 * 1024);
	if ((r = common_props(o, conf, e, a->created_at)) < 0)
		goto out;
	if (e->kind != CORE_STIX_REMEDIATES)
		json_object_set_new(
		    o, "x_embargo_advisory", json_string(a->id));
	switch (e->kind) {
	case CORE_STIX_VULNERABILITY: {
		struct core_cvss cv;
		if ((r = buf_printf(&d, "%s: %s.", a->id, a->title)) < 0)
			goto out;
		if (a->severity[0] != '\0' &&
		    (r = buf_printf(&d, " Severity: %s.", a->severity)) < 0)
			goto out;
		if (a->cvss[0] != '\0' && core_cvss_parse(a->cvss, &cv) == 0 &&
		    (r = buf_printf(&d, " %s (base score %d.%d).", a->cvss,
		         cv.base_tenths / 10, cv.base_tenths % 10)) < 0)
			goto out;
		for (size_t i = 0; i < a->n_products; i++)
			if ((r = buf_printf(&d, "%s%s%s",
			         i == 0 ? " Affected: " : ", ", a->products[i],
			         i + 1 == a->n_products ? "." : "")) < 0)
				goto out;
		json_object_set_new(o, "name", json_string(a->title));
		json_object_set_new(
		    o, "description", json_string((char *)d.data));
		json_object_set_new(
		    o, "external_references", cve_references(a));
		if (a->severity[0] != '\0')
			json_object_set_new(
			    o, "x_embargo_severity", json_string(a->severity));
		if (a->cvss[0] != '\0')
			json_object_set_new(
			    o, "x_embargo_cvss", json_string(a->cvss));
		break;
	}
	case CORE_STIX_REPORT:
		if ((r = schedule_text(a, ver, &d)) < 0)
			goto out;
		json_object_set_new(o, "name", json_string(a->title));
		json_object_set_new(
		    o, "description", json_string((char *)d.data));
		json_object_set_new(
		    o, "report_types", json_pack("[s]", "vulnerability"));
		json_object_set_new(o, "published", stix_time(a->created_at));
		json_object_set_new(
		    o, "object_refs", json_pack("[s,s,s]", vuln, coa, rel));
		json_object_set_new(
		    o, "external_references", cve_references(a));
		json_object_set_new(o, "x_embargo_state",
		    json_string(ver->published ? "published" : "embargoed"));
		json_object_set_new(
		    o, "x_embargo_patch_at", stix_time(ver->patch_at));
		/* STIX custom lists must not be empty. */
		if (ver->n_reschedules > 0)
			json_object_set_new(o, "x_embargo_reschedules",
			    reschedule_list(a, ver->n_reschedules));
		break;
	case CORE_STIX_COA:
		if ((r = buf_printf(&d,
		         ver->published
		             ? "Install the update that fixes %s, released %s."
		             : "Install the update that fixes %s, scheduled"
		               " for release at %s.",
		         a->id, emb_time_format(ver->patch_at, false, t))) < 0)
			goto out;
		json_object_set_new(
		    o, "name", json_string("Install the update"));
		json_object_set_new(
		    o, "description", json_string((char *)d.data));
		json_object_set_new(
		    o, "x_embargo_patch_at", stix_time(ver->patch_at));
		break;
	default: /* CORE_STIX_REMEDIATES */
		json_object_set_new(
		    o, "relationship_type", json_string("remediates"));
		json_object_set_new(o, "source_ref", json_string(coa));
		json_object_set_new(o, "target_ref", json_string(vuln));
		break;
	}
out:
	buf_fini(&d);
	free(vers);
	return r;
}

static int
render_file(struct emb_instance *inst, const struct core_view *v,
    const struct core_stix_conf *conf, const struct core_stix_entry *e,
    const char *actor, const char *channel, struct core_stix_copies *copies,
    json_t *o, struct emb_error *err)
{
	const struct core_view_advisory *va = &v->advs[e->adv];
	const struct core_view_artifact *w = &va->arts[e->art];
	const struct stix_copy *sc = NULL;
	char vuln[CORE_STIX_ID_MAX], artifact[CORE_STIX_ID_MAX];
	char guide[CORE_STIX_ID_MAX], hex[65], text[512];
	struct buf b64;
	int r;

	kind_id(conf, CORE_STIX_VULNERABILITY, &va->adv, NULL, vuln);
	kind_id(conf, CORE_STIX_ARTIFACT, &va->adv, &w->art, artifact);
	if (core_stix_needs_copy(e) &&
	    (r = get_copy(inst, v, conf, e->adv, e->art, actor, channel, copies,
	         &sc, err)) < 0)
		return r;
	if (e->kind == CORE_STIX_ARTIFACT) {
		buf_init(&b64, 4 * (size_t)CORE_ARTIFACT_MAX);
		if ((r = core_base64(sc->data.data, sc->data.len, &b64)) < 0) {
			buf_fini(&b64);
			return emb_error_code(err, r);
		}
		emb_hex(sc->d.sha256, sizeof(sc->d.sha256), hex);
		json_object_set_new(o, "type", json_string("artifact"));
		json_object_set_new(o, "spec_version", json_string("2.1"));
		json_object_set_new(o, "id", json_string(e->id));
		json_object_set_new(
		    o, "mime_type", json_string(core_mime_type(w->art.name)));
		json_object_set_new(o, "payload_bin",
		    json_stringn((const char *)b64.data, b64.len));
		json_object_set_new(
		    o, "hashes", json_pack("{s:s}", "SHA-256", hex));
		json_object_set_new(o, "object_marking_refs", markings(e->tlp));
		json_object_set_new(
		    o, "x_embargo_name", json_string(w->art.name));
		json_object_set_new(o, "x_embargo_kind",
		    json_string(store_artifact_kind_name(w->art.kind)));
		json_object_set_new(
		    o, "x_embargo_advisory", json_string(va->adv.id));
		buf_fini(&b64);
		return 0;
	}
	if ((r = common_props(o, conf, e, w->art.attached_at)) < 0)
		return emb_error_code(err, r);
	switch (e->kind) {
	case CORE_STIX_ARTIFACT_REL:
		(void)snprintf(text, sizeof(text), "%s: %s for %s", w->art.name,
		    kind_label(w->art.kind), va->adv.id);
		json_object_set_new(
		    o, "relationship_type", json_string("related-to"));
		json_object_set_new(o, "description", json_string(text));
		json_object_set_new(o, "source_ref", json_string(artifact));
		json_object_set_new(o, "target_ref", json_string(vuln));
		break;
	case CORE_STIX_INDICATOR_REL:
		kind_id(conf, CORE_STIX_INDICATOR, &va->adv, &w->art, guide);
		json_object_set_new(
		    o, "relationship_type", json_string("related-to"));
		json_object_set_new(o, "source_ref", json_string(guide));
		json_object_set_new(o, "target_ref", json_string(vuln));
		break;
	case CORE_STIX_INDICATOR:
		(void)snprintf(
		    text, sizeof(text), "%s (%s)", w->art.name, va->adv.id);
		json_object_set_new(o, "name", json_string(text));
		(void)snprintf(text, sizeof(text), "Detection guidance for %s",
		    va->adv.id);
		json_object_set_new(o, "description", json_string(text));
		json_object_set_new(o, "indicator_types",
		    json_pack("[s]", "malicious-activity"));
		json_object_set_new(
		    o, "pattern", text_string(sc->data.data, sc->data.len));
		json_object_set_new(o, "pattern_type", json_string("stix"));
		json_object_set_new(o, "pattern_version", json_string("2.1"));
		json_object_set_new(
		    o, "valid_from", stix_time(w->art.attached_at));
		json_object_set_new(
		    o, "x_embargo_name", json_string(w->art.name));
		break;
	default: /* CORE_STIX_NOTE */
		(void)snprintf(
		    text, sizeof(text), "Detection guidance: %s", w->art.name);
		json_object_set_new(o, "abstract", json_string(text));
		json_object_set_new(
		    o, "content", text_string(sc->data.data, sc->data.len));
		json_object_set_new(
		    o, "object_refs", json_pack("[s,s]", vuln, artifact));
		json_object_set_new(
		    o, "x_embargo_name", json_string(w->art.name));
		break;
	}
	return 0;
}

int
core_stix_render(struct emb_instance *inst, const struct core_view *v,
    const struct core_stix_conf *conf, const struct core_stix_entry *e,
    const char *actor, const char *channel, struct core_stix_copies *copies,
    json_t **ret, struct emb_error *err)
{
	json_t *o = NULL;
	int r = 0;

	switch (e->kind) {
	case CORE_STIX_MARKING:
		o = core_tlp_marking(e->tlp);
		break;
	case CORE_STIX_IDENTITY:
		o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:o}",
		    "type", "identity", "spec_version", "2.1", "id", e->id,
		    "created", stix_time(IDENTITY_CREATED), "modified",
		    stix_time(IDENTITY_CREATED), "name", conf->vendor,
		    "identity_class", "organization", "object_marking_refs",
		    markings(CORE_TLP_CLEAR));
		break;
	case CORE_STIX_VULNERABILITY:
	case CORE_STIX_REPORT:
	case CORE_STIX_COA:
	case CORE_STIX_REMEDIATES:
		o = json_object();
		if (o != NULL && (r = render_advisory(v, conf, e, o)) < 0)
			r = emb_error_code(err, r);
		break;
	default:
		o = json_object();
		if (o != NULL && v->is_public)
			r = emb_error_set(err, EMB_ENOENT, "not public");
		else if (o != NULL)
			r = render_file(
			    inst, v, conf, e, actor, channel, copies, o, err);
		break;
	}
	if (o == NULL)
		return emb_error_code(err, EMB_ENOMEM);
	if (r < 0) {
		json_decref(o);
		return r;
	}
	*ret = o;
	return 0;
}

const char *
core_mime_type(const char *name)
{
	static const struct {
		const char *ext, *mime;
	} types[] = {
	    {".py", "text/x-python"},
	    {".ps1", "text/plain"},
	    {".psm1", "text/plain"},
	    {".c", "text/x-c"},
	    {".h", "text/x-c"},
	    {".cpp", "text/x-c++"},
	    {".cs", "text/plain"},
	    {".java", "text/x-java"},
	    {".js", "text/javascript"},
	    {".go", "text/plain"},
	    {".rb", "text/x-ruby"},
	    {".sh", "text/x-shellscript"},
	    {".md", "text/markdown"},
	    {".txt", "text/plain"},
	    {".yar", "text/plain"},
	    {".yara", "text/plain"},
	    {".rules", "text/plain"},
	    {".snort", "text/plain"},
	    {".stix", "text/plain"},
	    {".json", "application/json"},
	    {".xml", "application/xml"},
	    {".html", "text/html"},
	    {".pdf", "application/pdf"},
	    {".zip", "application/zip"},
	    {".pcap", "application/vnd.tcpdump.pcap"},
	};
	size_t n = strlen(name);

	for (size_t i = 0; i < EMB_ARRAY_LEN(types); i++) {
		size_t k = strlen(types[i].ext);
		if (n > k && strcasecmp(name + n - k, types[i].ext) == 0)
			return types[i].mime;
	}
	return "application/octet-stream";
}

int
core_base64(const uint8_t *p, size_t n, struct buf *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t need, i;
	uint8_t *o;
	int r;

	if (n > (SIZE_MAX - 2) / 4 * 3)
		return EMB_ETOOBIG;
	need = (n + 2) / 3 * 4;
	if ((r = buf_reserve(out, need)) < 0)
		return r;
	o = out->data + out->len;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v =
		    (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = (uint8_t)tab[v >> 18];
		*o++ = (uint8_t)tab[(v >> 12) & 63];
		*o++ = (uint8_t)tab[(v >> 6) & 63];
		*o++ = (uint8_t)tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		*o++ = (uint8_t)tab[v >> 18];
		*o++ = (uint8_t)tab[(v >> 12) & 63];
		*o++ = i + 1 < n ? (uint8_t)tab[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	out->len += need;
	out->data[out->len] = '\0';
	return 0;
}
