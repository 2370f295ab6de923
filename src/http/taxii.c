/*
 * TAXII 2.1 (OASIS, 2021): discovery, one API root, two collections, and
 * the objects, object, versions and manifest endpoints over the STIX
 * catalogue of a view (core/stix.h).  Read-only: a write gets the TAXII
 * permission error.
 *
 * Collections: "embargoed" holds what the authenticated partner may see
 * (its view, core/partner_view.h); "public" holds the published
 * advisories and needs no credentials.  Listing order is the catalogue's:
 * date_added, then id, then version; filters apply in the reference
 * server's order (type and id, added_after, spec_version, version), then
 * the page is cut after the `next` position, at `limit` items or when its
 * objects would exceed HTTP_PAGE_BYTES_MAX.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/partner_view.h"
#include "http/http_int.h"
#include "http/taxii_query.h"
#include "common/emb.h"

#define API_ROOT "/taxii2/api/"

struct collection {
	const char *id, *alias, *title, *description;
	bool partners_only;
};

static const struct collection collections[] = {
    {"c6eb1f7e-f401-4b45-8377-2f44c2c755ba", "embargoed",
        "Embargoed advisories",
        "Advisories, detection guidance and proof-of-concept code shared"
        " with you under embargo: exactly what your tier, the schedule and"
        " the exclusions let you see, each file as your own copy.",
        true},
    {"4f08170f-374f-411e-aa73-d1166061892a", "public", "Published advisories",
        "Advisories whose embargo has ended, for everyone.", false},
};

static json_t *
collection_json(const struct collection *k)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:[s]}", "id", k->id,
	    "title", k->title, "description", k->description, "alias", k->alias,
	    "can_read", 1, "can_write", 0, "media_types", CORE_STIX_MEDIA_TYPE);
}

static const struct collection *
find_collection(const char *s)
{
	for (size_t i = 0; i < EMB_ARRAY_LEN(collections); i++)
		if (strcmp(collections[i].id, s) == 0 ||
		    strcmp(collections[i].alias, s) == 0)
			return &collections[i];
	return NULL;
}

static void
discovery(struct http_ctx *c)
{
	char title[STORE_NAME_MAX + 32];

	(void)snprintf(title, sizeof(title), "%s (embargo)", c->app->vendor);
	http_json(c, 200, HTTP_TAXII_TYPE,
	    json_pack("{s:s, s:s, s:s, s:[s]}", "title", title, "description",
	        "Pre-disclosure sharing of vulnerability details with vetted"
	        " security partners.",
	        "default", API_ROOT, "api_roots", API_ROOT));
}

static void
api_root(struct http_ctx *c)
{
	char title[STORE_NAME_MAX + 32];

	(void)snprintf(title, sizeof(title), "%s advisories", c->app->vendor);
	http_json(c, 200, HTTP_TAXII_TYPE,
	    json_pack("{s:s, s:s, s:[s], s:I}", "title", title, "description",
	        "Embargoed and published advisories.", "versions",
	        HTTP_TAXII_TYPE, "max_content_length",
	        (json_int_t)c->app->conf.body_max));
}

static void
collection_list(struct http_ctx *c)
{
	json_t *l = json_array();

	for (size_t i = 0; i < EMB_ARRAY_LEN(collections); i++)
		if (c->authenticated || !collections[i].partners_only)
			json_array_append_new(
			    l, collection_json(&collections[i]));
	http_json(
	    c, 200, HTTP_TAXII_TYPE, json_pack("{s:o}", "collections", l));
}

/* ---- selecting the page ---- */

struct sel {
	const struct core_stix_catalog *cat;
	size_t *idx; /* catalogue indexes, catalogue order */
	size_t n;
	bool more;
	size_t total; /* before pagination */
};

static int
by_id_version(const void *x, const void *y, void *arg)
{
	const struct core_stix_catalog *cat = arg;
	const struct core_stix_entry *a = &cat->v[*(const size_t *)x];
	const struct core_stix_entry *b = &cat->v[*(const size_t *)y];
	int r = strcmp(a->id, b->id);

	if (r != 0)
		return r;
	if (a->version != b->version)
		return a->version < b->version ? -1 : 1;
	return 0;
}

static bool
listed(const char (*v)[CORE_STIX_ID_MAX], size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/*
 * Filter cat by q (and the object id for the single-object endpoints),
 * then cut the page.  *ret owns idx.
 */
static int
select_page(const struct core_stix_catalog *cat, const struct taxii_query *q,
    enum taxii_endpoint ep, const char *oid, struct sel *ret)
{
	size_t *idx = NULL, *byid = NULL, n = 0, kept = 0, start = 0;
	bool *first = NULL, *last = NULL;
	size_t bytes = 0;
	int r = EMB_ENOMEM;

	memset(ret, 0, sizeof(*ret));
	ret->cat = cat;
	idx = calloc(cat->n ? cat->n : 1, sizeof(*idx));
	byid = calloc(cat->n ? cat->n : 1, sizeof(*byid));
	first = calloc(cat->n ? cat->n : 1, sizeof(*first));
	last = calloc(cat->n ? cat->n : 1, sizeof(*last));
	if (idx == NULL || byid == NULL || first == NULL || last == NULL)
		goto out;
	for (size_t i = 0; i < cat->n; i++) {
		const struct core_stix_entry *e = &cat->v[i];
		if (oid != NULL && strcmp(e->id, oid) != 0)
			continue;
		if (q->n_types > 0 && !listed(q->types, q->n_types, e->type))
			continue;
		if (q->n_ids > 0 && !listed(q->ids, q->n_ids, e->id))
			continue;
		if (q->added_after_set && e->date_added <= q->added_after)
			continue;
		if (!q->spec_21)
			continue; /* every object we serve is STIX 2.1 */
		idx[n++] = i;
	}
	if (ep != TAXII_EP_VERSIONS && !q->v_all) {
		memcpy(byid, idx, n * sizeof(*idx));
		qsort_r(byid, n, sizeof(*byid), by_id_version, (void *)cat);
		for (size_t g = 0; g < n;) {
			size_t h = g;
			while (h + 1 < n &&
			    strcmp(cat->v[byid[h + 1]].id,
			        cat->v[byid[g]].id) == 0)
				h++;
			first[byid[g]] = true;
			last[byid[h]] = true;
			g = h + 1;
		}
		for (size_t i = 0; i < n; i++) {
			const struct core_stix_entry *e = &cat->v[idx[i]];
			bool keep = (q->v_first && first[idx[i]]) ||
			    (q->v_last && last[idx[i]]);
			for (size_t k = 0; k < q->n_vtimes && !keep; k++)
				keep = e->version == q->vtimes[k];
			if (keep)
				idx[kept++] = idx[i];
		}
		n = kept;
	}
	ret->total = n;
	if (q->next_set) {
		struct core_stix_entry pos;
		memset(&pos, 0, sizeof(pos));
		pos.date_added = q->next.date_added;
		pos.version = q->next.version;
		memcpy(pos.id, q->next.id, sizeof(pos.id));
		while (start < n &&
		    core_stix_entry_cmp(&cat->v[idx[start]], &pos) <= 0)
			start++;
	}
	kept = 0;
	for (size_t i = start; i < n && kept < q->limit; i++) {
		size_t est = cat->v[idx[i]].estimate;
		if (ep == TAXII_EP_OBJECTS || ep == TAXII_EP_OBJECT) {
			if (kept > 0 && bytes + est > HTTP_PAGE_BYTES_MAX)
				break;
			bytes += est;
		}
		idx[kept++] = idx[i];
	}
	ret->more = start + kept < n;
	ret->idx = idx;
	ret->n = kept;
	idx = NULL;
	r = 0;
out:
	free(idx);
	free(byid);
	free(first);
	free(last);
	return r;
}

/* The envelope's common part: more, next, and the date headers. */
static void
page_frame(struct http_ctx *c, const struct sel *s, const struct taxii_query *q,
    json_t *o)
{
	char t[EMB_TIME_STR], next[TAXII_NEXT_MAX];

	json_object_set_new(o, "more", json_boolean(s->more));
	if (s->more && s->n > 0) {
		const struct core_stix_entry *e = &s->cat->v[s->idx[s->n - 1]];
		struct taxii_cursor cur;
		memset(&cur, 0, sizeof(cur));
		cur.date_added = e->date_added;
		cur.version = e->version;
		memcpy(cur.id, e->id, sizeof(cur.id));
		taxii_cursor_encode(&cur, q->binding, next);
		json_object_set_new(o, "next", json_string(next));
	}
	if (s->n > 0) {
		http_response_header(c->resp, "X-TAXII-Date-Added-First", "%s",
		    http_time(s->cat->v[s->idx[0]].date_added, t));
		http_response_header(c->resp, "X-TAXII-Date-Added-Last", "%s",
		    http_time(s->cat->v[s->idx[s->n - 1]].date_added, t));
	}
}

static void
answer_objects(struct http_ctx *c, const struct core_view *v,
    const struct sel *s, const struct taxii_query *q)
{
	struct core_stix_copies *copies = core_stix_copies_new();
	struct emb_error err = {0};
	json_t *o = json_object(), *objs = json_array();
	const int64_t *dl;
	char actor[EMB_ID_MAX + 16];
	size_t nd, used = 0;

	if (copies == NULL || o == NULL || objs == NULL) {
		json_decref(o);
		json_decref(objs);
		core_stix_copies_free(copies);
		http_internal(c, NULL);
		return;
	}
	http_actor(c, actor, sizeof(actor));
	for (size_t i = 0; i < s->n; i++) {
		json_t *obj;
		if (core_stix_render(c->inst, v, &c->app->stix,
		        &s->cat->v[s->idx[i]], actor, "taxii", copies, &obj,
		        &err) < 0) {
			json_decref(o);
			json_decref(objs);
			core_stix_copies_free(copies);
			http_internal(c, &err);
			return;
		}
		json_array_append_new(objs, obj);
	}
	page_frame(c, s, q, o);
	if (s->n > 0)
		json_object_set_new(o, "objects", objs);
	else
		json_decref(objs);
	/* Every copy handed out was recorded first; name the records. */
	nd = core_stix_copies_deliveries(copies, &dl);
	for (size_t i = 0; i < nd && used + 24 < sizeof(c->resp->note); i++)
		used += (size_t)snprintf(c->resp->note + used,
		    sizeof(c->resp->note) - used, "%sdelivery %lld",
		    i ? ", " : "", (long long)dl[i]);
	if (nd > 0) {
		char list[HTTP_HEADER_VALUE_MAX];
		size_t u = 0;
		for (size_t i = 0; i < nd && u + 24 < sizeof(list); i++)
			u += (size_t)snprintf(list + u, sizeof(list) - u,
			    "%s%lld", i ? ", " : "", (long long)dl[i]);
		http_response_header(c->resp, "Embargo-Delivery", "%s", list);
	}
	core_stix_copies_free(copies);
	http_json(c, 200, HTTP_TAXII_TYPE, o);
}

static void
answer_manifest(
    struct http_ctx *c, const struct sel *s, const struct taxii_query *q)
{
	json_t *o = json_object(), *l = json_array();
	char t1[EMB_TIME_STR], t2[EMB_TIME_STR];

	for (size_t i = 0; i < s->n; i++) {
		const struct core_stix_entry *e = &s->cat->v[s->idx[i]];
		json_array_append_new(l,
		    json_pack("{s:s, s:s, s:s, s:s}", "id", e->id, "date_added",
		        http_time(e->date_added, t1), "version",
		        http_time(e->version, t2), "media_type",
		        CORE_STIX_MEDIA_TYPE));
	}
	page_frame(c, s, q, o);
	if (s->n > 0)
		json_object_set_new(o, "objects", l);
	else
		json_decref(l);
	http_json(c, 200, HTTP_TAXII_TYPE, o);
}

static void
answer_versions(
    struct http_ctx *c, const struct sel *s, const struct taxii_query *q)
{
	json_t *o = json_object(), *l = json_array();
	char t[EMB_TIME_STR];

	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(
		    l, json_string(http_time(s->cat->v[s->idx[i]].version, t)));
	page_frame(c, s, q, o);
	if (s->n > 0)
		json_object_set_new(o, "versions", l);
	else
		json_decref(l);
	http_json(c, 200, HTTP_TAXII_TYPE, o);
}

static bool
catalog_has(const struct core_stix_catalog *cat, const char *id)
{
	for (size_t i = 0; i < cat->n; i++)
		if (strcmp(cat->v[i].id, id) == 0)
			return true;
	return false;
}

static void
collection_content(struct http_ctx *c, const struct collection *k,
    enum taxii_endpoint ep, const char *oid)
{
	struct emb_error err = {0};
	struct core_view v;
	struct core_stix_catalog cat = {0};
	struct taxii_query *q;
	struct sel s = {0};
	char scope[160];
	const char *why = NULL;
	int r;

	if ((ep == TAXII_EP_OBJECT || ep == TAXII_EP_VERSIONS) &&
	    !taxii_valid_stix_id(oid)) {
		http_not_found(c);
		return;
	}
	q = malloc(sizeof(*q));
	if (q == NULL) {
		http_internal(c, NULL);
		return;
	}
	(void)snprintf(scope, sizeof(scope), "%s|%s|%s", k->id,
	    oid != NULL ? oid : "-", c->authenticated ? c->partner.id : "-");
	if (taxii_query_parse(&c->t, ep, scope, q, &why) < 0) {
		http_error(c, 400, "Bad request", why);
		free(q);
		return;
	}
	r = k->partners_only
	    ? core_view_partner(c->inst, &c->partner, c->req->now, &v, &err)
	    : core_view_public(c->inst, c->req->now, &v, &err);
	if (r < 0) {
		free(q);
		http_internal(c, &err);
		return;
	}
	if (core_stix_catalog(&v, &c->app->stix, &cat) < 0) {
		http_internal(c, NULL);
		goto out;
	}
	if (oid != NULL && !catalog_has(&cat, oid)) {
		http_not_found(c);
		goto out;
	}
	if (select_page(&cat, q, ep, oid, &s) < 0) {
		http_internal(c, NULL);
		goto out;
	}
	switch (ep) {
	case TAXII_EP_OBJECTS:
	case TAXII_EP_OBJECT:
		answer_objects(c, &v, &s, q);
		break;
	case TAXII_EP_MANIFEST:
		answer_manifest(c, &s, q);
		break;
	case TAXII_EP_VERSIONS:
		answer_versions(c, &s, q);
		break;
	}
out:
	free(s.idx);
	core_stix_catalog_fini(&cat);
	core_view_fini(&v);
	free(q);
}

void
http_taxii(struct http_ctx *c)
{
	const struct http_target *t = &c->t;
	const struct collection *k;
	enum taxii_endpoint ep;
	const char *oid = NULL;
	size_t n = t->n_seg;

	/* /taxii2/ and /taxii2/api/... take no parameters but their own. */
	if (n == 1 || (n == 2 && strcmp(t->seg[1], "api") == 0) ||
	    (n == 3 && strcmp(t->seg[1], "api") == 0 &&
	        strcmp(t->seg[2], "collections") == 0)) {
		if (!c->read) {
			http_method_not_allowed(c);
			return;
		}
		if (t->n_params > 0) {
			http_error(c, 400, "Bad request",
			    "This endpoint takes no parameters.");
			return;
		}
		if (n == 1)
			discovery(c);
		else if (n == 2)
			api_root(c);
		else
			collection_list(c);
		return;
	}
	if (n < 4 || strcmp(t->seg[1], "api") != 0 ||
	    strcmp(t->seg[2], "collections") != 0 ||
	    (k = find_collection(t->seg[3])) == NULL) {
		http_not_found(c);
		return;
	}
	if (k->partners_only && !c->authenticated) {
		http_unauthorized(c);
		return;
	}
	if (n == 4) {
		if (!c->read)
			http_method_not_allowed(c);
		else if (t->n_params > 0)
			http_error(c, 400, "Bad request",
			    "This endpoint takes no parameters.");
		else
			http_json(c, 200, HTTP_TAXII_TYPE, collection_json(k));
		return;
	}
	if (n == 5 && strcmp(t->seg[4], "objects") == 0) {
		ep = TAXII_EP_OBJECTS;
	} else if (n == 5 && strcmp(t->seg[4], "manifest") == 0) {
		ep = TAXII_EP_MANIFEST;
	} else if (n == 6 && strcmp(t->seg[4], "objects") == 0) {
		ep = TAXII_EP_OBJECT;
		oid = t->seg[5];
	} else if (n == 7 && strcmp(t->seg[4], "objects") == 0 &&
	    strcmp(t->seg[6], "versions") == 0) {
		ep = TAXII_EP_VERSIONS;
		oid = t->seg[5];
	} else {
		http_not_found(c);
		return;
	}
	if (!c->read) {
		/* Adding objects or deleting one: never, for anybody. */
		if ((ep == TAXII_EP_OBJECTS &&
		        strcmp(c->req->method, "POST") == 0) ||
		    (ep == TAXII_EP_OBJECT &&
		        strcmp(c->req->method, "DELETE") == 0))
			http_forbidden_write(c);
		else
			http_method_not_allowed(c);
		return;
	}
	collection_content(c, k, ep, oid);
}
