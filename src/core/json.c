#include <stdio.h>

#include "core/core.h"
#include "core/cvss.h"
#include "core/json.h"
#include "common/timeutil.h"
#include "common/emb.h"

json_t *
core_json_time(int64_t ms)
{
	char t[EMB_TIME_STR];

	return json_string(emb_time_format(ms, false, t));
}

static json_t *
opt_string(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
hex_string(const uint8_t *p, size_t n)
{
	char hex[129];

	if (n > 64)
		return json_null();
	emb_hex(p, n, hex);
	return json_string(hex);
}

json_t *
core_json_tier(const struct store_tier *t)
{
	return json_pack(
	    "{s:s, s:I}", "name", t->name, "rank", (json_int_t)t->rank);
}

json_t *
core_json_partner(const struct store_partner *p)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:o, s:o, s:o}", "id",
	    p->id, "name", p->name, "country", opt_string(p->country),
	    "contact", opt_string(p->contact), "tier", p->tier, "status",
	    store_partner_status_name(p->status), "cert_pin_sha256",
	    p->has_cert_pin ? hex_string(p->cert_pin, sizeof(p->cert_pin))
	                    : json_null(),
	    "created", core_json_time(p->created_at), "updated",
	    core_json_time(p->updated_at));
}

json_t *
core_json_artifact(
    const struct store_artifact *art, const struct store_advisory *a)
{
	json_t *o, *rel;
	char d[EMB_TIME_STR];

	if (art->release_relative)
		rel = json_pack("{s:s}", "before_patch",
		    emb_duration_format(art->release_before, d));
	else
		rel = json_pack("{s:o}", "at", core_json_time(art->release_at));
	o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:I, s:o, s:o}", "name",
	    art->name, "kind", store_artifact_kind_name(art->kind), "tier",
	    art->tier, "release", rel, "release_at",
	    core_json_time(core_artifact_release_at(art, a)), "mark",
	    store_mark_mode_name(art->mark), "size", (json_int_t)art->size,
	    "sha256", hex_string(art->sha256, sizeof(art->sha256)), "attached",
	    core_json_time(art->attached_at));
	if (o != NULL && art->withdrawn_at != 0)
		json_object_set_new(
		    o, "withdrawn", core_json_time(art->withdrawn_at));
	return o;
}

json_t *
core_json_advisory(const struct store_advisory *a, bool with_artifacts,
    const struct store_artifact *arts, size_t n, int64_t now)
{
	json_t *o, *cves, *products, *history, *excl, *cvss = json_null();
	struct core_cvss cv;

	cves = json_array();
	for (size_t i = 0; i < a->n_cves; i++)
		json_array_append_new(cves, json_string(a->cves[i]));
	products = json_array();
	for (size_t i = 0; i < a->n_products; i++)
		json_array_append_new(products, json_string(a->products[i]));
	history = json_array();
	for (size_t i = 0; i < a->n_reschedules; i++) {
		const struct store_reschedule *rs = &a->reschedules[i];
		json_array_append_new(history,
		    json_pack("{s:o, s:o, s:o, s:s, s:s}", "at",
		        core_json_time(rs->at), "from",
		        core_json_time(rs->old_patch_at), "to",
		        core_json_time(rs->new_patch_at), "direction",
		        rs->new_patch_at < rs->old_patch_at ? "expedite"
		                                            : "postpone",
		        "reason", rs->reason));
	}
	excl = json_array();
	for (size_t i = 0; i < a->n_exclusions; i++) {
		const struct store_exclusion *e = &a->exclusions[i];
		json_array_append_new(excl,
		    json_pack("{s:s, s:o}",
		        e->kind == STORE_EXCL_PARTNER ? "partner" : "country",
		        e->value, "at", core_json_time(e->at)));
	}
	if (a->cvss[0] != '\0' && core_cvss_parse(a->cvss, &cv) == 0)
		cvss = json_pack("{s:s, s:s, s:f}", "version",
		    cv.minor ? "3.1" : "3.0", "vector", a->cvss, "base_score",
		    cv.base_tenths / 10.0);
	o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o, "
	              "s:o, s:o}",
	    "id", a->id, "title", a->title, "severity", opt_string(a->severity),
	    "cvss", cvss, "cves", cves, "products", products, "patch_at",
	    core_json_time(a->patch_at), "state",
	    store_advisory_state_name(core_advisory_state(a, now)), "created",
	    core_json_time(a->created_at), "published",
	    a->published_at ? core_json_time(a->published_at) : json_null(),
	    "reschedules", history, "exclusions", excl);
	if (o != NULL && with_artifacts) {
		json_t *list = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(
			    list, core_json_artifact(&arts[i], a));
		json_object_set_new(o, "artifacts", list);
	}
	return o;
}

json_t *
core_json_event(const struct store_event *e)
{
	json_t *detail = json_loads(e->detail ? e->detail : "{}", 0, NULL);

	return json_pack("{s:I, s:o, s:s, s:s, s:s, s:o, s:o}", "seq",
	    (json_int_t)e->seq, "at", core_json_time(e->at), "actor", e->actor,
	    "type", e->type, "subject", e->subject, "detail",
	    detail ? detail : json_string(e->detail ? e->detail : ""), "hash",
	    hex_string(e->hash, sizeof(e->hash)));
}

json_t *
core_json_delivery(const struct store_delivery *d)
{
	return json_pack("{s:I, s:s, s:I, s:o, s:o, s:s}", "id",
	    (json_int_t)d->id, "partner", d->partner_id, "artifact_id",
	    (json_int_t)d->artifact_id, "at", core_json_time(d->at), "sha256",
	    hex_string(d->sha256, sizeof(d->sha256)), "channel", d->channel);
}
