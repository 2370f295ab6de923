/*
 * The REST API for partners (credentials required):
 *   GET /v1/advisories                       what the partner may see
 *   GET /v1/advisories/{id}                  one of them
 *   GET /v1/advisories/{id}/artifacts/{name} the partner's own copy, raw
 *   GET /v1/deliveries[/{id}]                the partner's own receipts
 *
 * A download renders the partner's copy and durably records its delivery
 * (core_copy, the same record `embargo copy` makes) before a byte leaves;
 * the response names the record (Embargo-Delivery), and its ETag is the
 * copy's SHA-256.  Nothing here tells a partner who else received
 * anything: no exclusions, no other partners, no delivery counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/partner_view.h"
#include "core/stix.h"
#include "http/http_int.h"
#include "common/timeutil.h"
#include "common/emb.h"

static json_t *
time_or_null(int64_t ms)
{
	char t[EMB_TIME_STR];

	return ms != 0 ? json_string(emb_time_format(ms, false, t))
	               : json_null();
}

static json_t *
advisory_json(const struct core_view_advisory *va, int64_t now)
{
	const struct store_advisory *a = &va->adv;
	json_t *cves = json_array(), *products = json_array();
	json_t *history = json_array(), *arts = json_array();
	char url[EMB_ID_MAX * 2 + STORE_ARTIFACT_NAME_MAX + 64];

	(void)now;
	for (size_t i = 0; i < a->n_cves; i++)
		json_array_append_new(cves, json_string(a->cves[i]));
	for (size_t i = 0; i < a->n_products; i++)
		json_array_append_new(products, json_string(a->products[i]));
	for (size_t i = 0; i < a->n_reschedules; i++) {
		const struct store_reschedule *rs = &a->reschedules[i];
		json_array_append_new(history,
		    json_pack("{s:o, s:o, s:o, s:s, s:s}", "at",
		        time_or_null(rs->at), "from",
		        time_or_null(rs->old_patch_at), "to",
		        time_or_null(rs->new_patch_at), "direction",
		        rs->new_patch_at < rs->old_patch_at ? "expedite"
		                                            : "postpone",
		        "reason", rs->reason));
	}
	for (size_t i = 0; i < va->n_arts; i++) {
		const struct core_view_artifact *w = &va->arts[i];
		(void)snprintf(url, sizeof(url),
		    "/v1/advisories/%s/artifacts/%s", a->id, w->art.name);
		json_array_append_new(arts,
		    json_pack("{s:s, s:s, s:s, s:o, s:s, s:s}", "name",
		        w->art.name, "kind",
		        store_artifact_kind_name(w->art.kind), "tier",
		        w->art.tier, "available_since", time_or_null(w->since),
		        "media_type", core_mime_type(w->art.name), "url", url));
	}
	return json_pack("{s:s, s:s, s:s?, s:s?, s:o, s:o, s:s, s:o, s:o, "
	                 "s:o, s:o}",
	    "id", a->id, "title", a->title, "severity",
	    a->severity[0] ? a->severity : NULL, "cvss",
	    a->cvss[0] ? a->cvss : NULL, "cves", cves, "products", products,
	    "state", va->published ? "published" : "embargoed", "patch_at",
	    time_or_null(a->patch_at), "published", time_or_null(va->published),
	    "reschedules", history, "artifacts", arts);
}

static void
advisories(struct http_ctx *c, const char *id)
{
	struct emb_error err = {0};
	struct core_view v;
	json_t *l;
	int r;

	r = id != NULL
	    ? core_view_partner_one(
	          c->inst, &c->partner, id, c->req->now, &v, &err)
	    : core_view_partner(c->inst, &c->partner, c->req->now, &v, &err);
	if (r == EMB_ENOENT) {
		http_not_found(c);
		return;
	}
	if (r < 0) {
		http_internal(c, &err);
		return;
	}
	if (id != NULL) {
		http_json(c, 200, HTTP_JSON_TYPE,
		    advisory_json(&v.advs[0], c->req->now));
	} else {
		l = json_array();
		for (size_t i = 0; i < v.n; i++)
			json_array_append_new(
			    l, advisory_json(&v.advs[i], c->req->now));
		http_json(c, 200, HTTP_JSON_TYPE,
		    json_pack("{s:o}", "advisories", l));
	}
	core_view_fini(&v);
}

/* Whether an If-None-Match header names etag (or is "*"). */
static bool
etag_matches(const char *inm, const char *etag)
{
	size_t n = strlen(etag);

	if (inm == NULL)
		return false;
	while (*inm != '\0') {
		while (*inm == ' ' || *inm == ',')
			inm++;
		if (*inm == '*')
			return true;
		if (strncmp(inm, "W/", 2) == 0)
			inm += 2;
		if (strncmp(inm, etag, n) == 0 &&
		    (inm[n] == '\0' || inm[n] == ',' || inm[n] == ' '))
			return true;
		inm += strcspn(inm, ",");
	}
	return false;
}

static void
download(struct http_ctx *c, const char *id, const char *name)
{
	struct http_response *resp = c->resp;
	struct emb_error err = {0};
	struct store_delivery d;
	char actor[EMB_ID_MAX + 16], hex[65], etag[80];
	const char *mime = core_mime_type(name);
	bool fresh;
	int r;

	if (!emb_valid_ident(id, EMB_ID_MAX - 1) ||
	    !emb_valid_ident(name, STORE_ARTIFACT_NAME_MAX)) {
		http_not_found(c);
		return;
	}
	http_actor(c, actor, sizeof(actor));
	/* The copy is rendered into the response body itself. */
	buf_fini(&resp->body);
	buf_init(&resp->body, 2 * (size_t)CORE_ARTIFACT_MAX);
	r = core_copy_once(c->inst, c->app->stix.cache, actor, &c->partner, id,
	    name, "rest", c->req->now, &resp->body, &d, &fresh, &err);
	if (r == EMB_ENOENT || r == EMB_EINVAL) {
		buf_init(&resp->body, HTTP_BODY_MAX);
		http_not_found(c);
		return;
	}
	if (r < 0) {
		buf_init(&resp->body, HTTP_BODY_MAX);
		http_internal(c, &err);
		return;
	}
	emb_hex(d.sha256, sizeof(d.sha256), hex);
	(void)snprintf(etag, sizeof(etag), "\"sha256:%s\"", hex);
	(void)snprintf(resp->note, sizeof(resp->note), "delivery %lld%s",
	    (long long)d.id, fresh ? "" : " (held)");
	http_response_header(resp, "ETag", "%s", etag);
	http_response_header(resp, "Embargo-Delivery", "%lld", (long long)d.id);
	http_response_header(resp, "Link",
	    "</v1/deliveries/%lld>; rel=\"receipt\"", (long long)d.id);
	if (etag_matches(c->req->if_none_match, etag)) {
		buf_fini_wipe(&resp->body);
		resp->status = 304;
		return;
	}
	if (strncmp(mime, "text/", 5) == 0 &&
	    emb_utf8_valid(resp->body.data, resp->body.len))
		http_response_header(
		    resp, "Content-Type", "%s; charset=utf-8", mime);
	else
		http_response_header(resp, "Content-Type", "%s", mime);
	http_response_header(
	    resp, "Content-Disposition", "attachment; filename=\"%s\"", name);
	http_response_header(resp, "X-Content-Type-Options", "nosniff");
	resp->status = 200;
}

static json_t *
receipt_json(const struct core_receipt *rc)
{
	char t[EMB_TIME_STR], hex[65];

	emb_hex(rc->d.sha256, sizeof(rc->d.sha256), hex);
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id",
	    (json_int_t)rc->d.id, "advisory", rc->advisory_id, "artifact",
	    rc->artifact, "at", emb_time_format(rc->d.at, false, t), "sha256",
	    hex, "channel", rc->d.channel);
}

static void
receipts(struct http_ctx *c, const char *id)
{
	struct emb_error err = {0};
	struct core_receipt *v = NULL;
	size_t n = 0;
	int64_t want = 0;
	json_t *l;

	if (id != NULL && emb_parse_int(id, 1, INT64_MAX, &want) < 0) {
		http_not_found(c);
		return;
	}
	if (core_receipts(c->inst, &c->partner, &v, &n, &err) < 0) {
		http_internal(c, &err);
		return;
	}
	if (id != NULL) {
		size_t i;
		for (i = 0; i < n && v[i].d.id != want; i++)
			;
		if (i == n)
			http_not_found(c);
		else
			http_json(c, 200, HTTP_JSON_TYPE, receipt_json(&v[i]));
	} else {
		l = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(l, receipt_json(&v[i]));
		http_json(c, 200, HTTP_JSON_TYPE,
		    json_pack("{s:o}", "deliveries", l));
	}
	free(v);
}

void
http_rest(struct http_ctx *c)
{
	const struct http_target *t = &c->t;
	size_t n = t->n_seg;

	if (!c->authenticated) {
		http_unauthorized(c);
		return;
	}
	if (n < 2 ||
	    (strcmp(t->seg[1], "advisories") != 0 &&
	        strcmp(t->seg[1], "deliveries") != 0) ||
	    (strcmp(t->seg[1], "deliveries") == 0 && n > 3) ||
	    (n != 2 && n != 3 &&
	        !(n == 5 && strcmp(t->seg[3], "artifacts") == 0))) {
		http_not_found(c);
		return;
	}
	if (!c->read) {
		http_method_not_allowed(c);
		return;
	}
	if (t->n_params > 0) {
		http_error(c, 400, "Bad request",
		    "This endpoint takes no parameters.");
		return;
	}
	if (strcmp(t->seg[1], "deliveries") == 0)
		receipts(c, n == 3 ? t->seg[2] : NULL);
	else if (n == 5)
		download(c, t->seg[2], t->seg[4]);
	else
		advisories(c, n == 3 ? t->seg[2] : NULL);
}
