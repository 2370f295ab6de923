#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "core/core_int.h"
#include "core/cvss.h"
#include "core/marking.h"
#include "common/timeutil.h"
#include "common/emb.h"

static const char *const severities[] = {"low", "medium", "high", "critical"};

enum store_advisory_state
core_advisory_state(const struct store_advisory *a, int64_t now)
{
	if (a->state == STORE_ADV_WITHDRAWN || a->state == STORE_ADV_PUBLISHED)
		return a->state;
	if (a->patch_at <= now)
		return STORE_ADV_PUBLISHED;
	return a->state;
}

int64_t
core_artifact_release_at(
    const struct store_artifact *art, const struct store_advisory *a)
{
	if (!art->release_relative)
		return art->release_at;
	/* Both are validated to lie in [0, EMB_TIME_MAX]: no overflow. */
	return art->release_before >= a->patch_at
	    ? 0
	    : a->patch_at - art->release_before;
}

static int
get_advisory(struct emb_instance *inst, const char *id,
    struct store_advisory *ret, struct emb_error *err)
{
	int r;

	if (!emb_valid_ident(id, EMB_ID_MAX - 1))
		return emb_error_set(
		    err, EMB_EINVAL, "invalid advisory id '%s'", id);
	r = store_advisory_get(inst->store, id, ret);
	if (r == EMB_ENOENT)
		return emb_error_set(err, r, "advisory '%s' not found", id);
	return r < 0 ? core_store_error(err, r, "cannot read advisory") : 0;
}

int
core_advisory_get(struct emb_instance *inst, const char *id,
    struct store_advisory *ret, struct emb_error *err)
{
	return get_advisory(inst, id, ret, err);
}

void
core_advisory_list_free(struct store_advisory *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_advisory_fini(&v[i]);
	free(v);
}

int
core_advisory_list(struct emb_instance *inst, struct store_advisory **ret,
    size_t *ret_n, struct emb_error *err)
{
	char(*ids)[EMB_ID_MAX] = NULL;
	struct store_advisory *v;
	size_t n = 0, i;
	int r;

	if ((r = store_advisory_ids(inst->store, &ids, &n)) < 0)
		return core_store_error(err, r, "cannot list advisories");
	v = calloc(n ? n : 1, sizeof(*v));
	if (v == NULL) {
		free(ids);
		return emb_error_code(err, EMB_ENOMEM);
	}
	for (i = 0; i < n; i++) {
		if ((r = get_advisory(inst, ids[i], &v[i], err)) < 0) {
			core_advisory_list_free(v, i);
			free(ids);
			return r;
		}
	}
	free(ids);
	*ret = v;
	*ret_n = n;
	return 0;
}

static int
validate_new(const struct core_advisory_new *na, struct store_advisory *a,
    int64_t now, struct emb_error *err)
{
	struct core_cvss cv;

	if (!emb_valid_ident(na->id, EMB_ID_MAX - 1))
		return emb_error_set(err, EMB_EINVAL,
		    "invalid advisory id '%s' (letters, digits, '.', '_', '-';"
		    " at most %d)",
		    na->id, EMB_ID_MAX - 1);
	if (!emb_valid_text(na->title, STORE_TITLE_MAX))
		return emb_error_set(err, EMB_EINVAL,
		    "invalid title (1-%d characters of printable UTF-8)",
		    STORE_TITLE_MAX);
	if (na->patch_at <= now)
		return emb_error_set(
		    err, EMB_EINVAL, "patch time must be in the future");
	if (na->n_cves > STORE_LIST_MAX || na->n_products > STORE_LIST_MAX)
		return emb_error_set(err, EMB_ETOOBIG,
		    "at most %d CVEs and %d products", STORE_LIST_MAX,
		    STORE_LIST_MAX);
	(void)snprintf(a->id, sizeof(a->id), "%s", na->id);
	(void)snprintf(a->title, sizeof(a->title), "%s", na->title);
	if (na->cvss != NULL) {
		if (strlen(na->cvss) > STORE_CVSS_MAX ||
		    core_cvss_parse(na->cvss, &cv) < 0)
			return emb_error_set(err, EMB_EINVAL,
			    "invalid CVSS vector '%s' (expected CVSS:3.1/AV:_/"
			    "AC:_/PR:_/UI:_/S:_/C:_/I:_/A:_)",
			    na->cvss);
		(void)snprintf(a->cvss, sizeof(a->cvss), "%s", na->cvss);
		(void)snprintf(a->severity, sizeof(a->severity), "%s",
		    core_cvss_severity(cv.base_tenths));
		if (cv.base_tenths == 0)
			a->severity[0] = '\0';
	}
	if (na->severity != NULL) {
		bool ok = false;
		for (size_t i = 0; i < EMB_ARRAY_LEN(severities); i++)
			ok |= strcmp(na->severity, severities[i]) == 0;
		if (!ok)
			return emb_error_set(err, EMB_EINVAL,
			    "invalid severity '%s' (low, medium, high or"
			    " critical)",
			    na->severity);
		(void)snprintf(
		    a->severity, sizeof(a->severity), "%s", na->severity);
	}
	a->cves = calloc(na->n_cves ? na->n_cves : 1, sizeof(*a->cves));
	a->products =
	    calloc(na->n_products ? na->n_products : 1, sizeof(*a->products));
	if (a->cves == NULL || a->products == NULL)
		return emb_error_code(err, EMB_ENOMEM);
	for (size_t i = 0; i < na->n_cves; i++) {
		if (!emb_valid_cve(na->cves[i]))
			return emb_error_set(err, EMB_EINVAL,
			    "invalid CVE id '%s' (expected CVE-YYYY-NNNN)",
			    na->cves[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(na->cves[i], na->cves[j]) == 0)
				return emb_error_set(err, EMB_EINVAL,
				    "CVE id '%s' given twice", na->cves[i]);
		(void)snprintf(a->cves[i], STORE_CVE_MAX, "%s", na->cves[i]);
	}
	a->n_cves = na->n_cves;
	for (size_t i = 0; i < na->n_products; i++) {
		if (!emb_valid_text(na->products[i], STORE_NAME_MAX))
			return emb_error_set(err, EMB_EINVAL,
			    "invalid product name (1-%d characters of"
			    " printable UTF-8)",
			    STORE_NAME_MAX);
		(void)snprintf(
		    a->products[i], STORE_NAME_MAX + 1, "%s", na->products[i]);
	}
	a->n_products = na->n_products;
	a->patch_at = na->patch_at;
	a->state = STORE_ADV_DRAFT;
	a->created_at = a->updated_at = now;
	return 0;
}

int
core_advisory_create(struct emb_instance *inst, const char *actor,
    const struct core_advisory_new *na, int64_t now, struct emb_error *err)
{
	struct store_advisory a;
	char t[EMB_TIME_STR];
	json_t *cves;
	int r;

	memset(&a, 0, sizeof(a));
	if ((r = validate_new(na, &a, now, err)) < 0)
		goto out;
	if ((r = core_tx_begin(inst, err)) < 0)
		goto out;
	r = store_advisory_add(inst->store, &a);
	if (r < 0) {
		r = r == EMB_EEXIST
		    ? emb_error_set(
		          err, r, "advisory '%s' already exists", a.id)
		    : core_store_error(err, r, "cannot create advisory");
		(void)core_tx_fail(inst, r);
		goto out;
	}
	cves = json_array();
	for (size_t i = 0; i < a.n_cves; i++)
		json_array_append_new(cves, json_string(a.cves[i]));
	r = core_tx_commit(inst, actor, now, "advisory.create", a.id,
	    json_pack("{s:s, s:s, s:o}", "title", a.title, "patch_at",
	        emb_time_format(a.patch_at, false, t), "cves", cves),
	    err);
out:
	store_advisory_fini(&a);
	return r;
}

/* Load an advisory inside a transaction and check it can still change. */
static int
begin_change(struct emb_instance *inst, const char *id, int64_t now,
    struct store_advisory *a, struct emb_error *err)
{
	enum store_advisory_state st;
	int r;

	if ((r = core_tx_begin(inst, err)) < 0)
		return r;
	if ((r = get_advisory(inst, id, a, err)) < 0)
		return core_tx_fail(inst, r);
	st = core_advisory_state(a, now);
	if (st == STORE_ADV_PUBLISHED || st == STORE_ADV_WITHDRAWN) {
		r = emb_error_set(err, EMB_ESTATE, "advisory '%s' is %s", id,
		    store_advisory_state_name(st));
		store_advisory_fini(a);
		return core_tx_fail(inst, r);
	}
	return 0;
}

static int
update_and_commit(struct emb_instance *inst, const char *actor,
    struct store_advisory *a, int64_t now, const char *type, json_t *detail,
    struct emb_error *err)
{
	int r;

	a->updated_at = now;
	if ((r = store_advisory_update(inst->store, a)) < 0) {
		json_decref(detail);
		r = core_tx_fail(
		    inst, core_store_error(err, r, "cannot update advisory"));
	} else {
		r = core_tx_commit(inst, actor, now, type, a->id, detail, err);
	}
	store_advisory_fini(a);
	return r;
}

int
core_advisory_reschedule(struct emb_instance *inst, const char *actor,
    const char *id, int64_t patch_at, const char *reason, int64_t now,
    struct emb_error *err)
{
	struct store_advisory a;
	struct store_reschedule rs;
	char t1[EMB_TIME_STR], t2[EMB_TIME_STR];
	int r;

	if (!emb_valid_text(reason, STORE_REASON_MAX))
		return emb_error_set(err, EMB_EINVAL,
		    "invalid reason (1-%d characters of printable UTF-8)",
		    STORE_REASON_MAX);
	if (patch_at <= now)
		return emb_error_set(err, EMB_EINVAL,
		    "new patch time is not in the future; use 'advisory"
		    " publish' to end the embargo now");
	if ((r = begin_change(inst, id, now, &a, err)) < 0)
		return r;
	if (patch_at == a.patch_at) {
		r = emb_error_set(err, EMB_ESTATE,
		    "advisory '%s' is already scheduled for %s", id,
		    emb_time_format(patch_at, false, t1));
		store_advisory_fini(&a);
		return core_tx_fail(inst, r);
	}
	memset(&rs, 0, sizeof(rs));
	rs.at = now;
	rs.old_patch_at = a.patch_at;
	rs.new_patch_at = patch_at;
	(void)snprintf(rs.reason, sizeof(rs.reason), "%s", reason);
	if ((r = store_reschedule_add(inst->store, a.id, &rs)) < 0) {
		store_advisory_fini(&a);
		return core_tx_fail(
		    inst, core_store_error(err, r, "cannot record reschedule"));
	}
	a.patch_at = patch_at;
	return update_and_commit(inst, actor, &a, now, "advisory.reschedule",
	    json_pack("{s:s, s:s, s:s, s:s}", "from",
	        emb_time_format(rs.old_patch_at, false, t1), "to",
	        emb_time_format(patch_at, false, t2), "direction",
	        patch_at < rs.old_patch_at ? "expedite" : "postpone", "reason",
	        reason),
	    err);
}

int
core_advisory_exclude(struct emb_instance *inst, const char *actor,
    const char *id, enum store_exclusion_kind kind, const char *value,
    int64_t now, struct emb_error *err)
{
	struct store_advisory a;
	struct store_exclusion e;
	struct store_partner p;
	int r;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.at = now;
	if (kind == STORE_EXCL_COUNTRY) {
		char cc[3];
		if (!emb_country_normalise(value, cc))
			return emb_error_set(err, EMB_EINVAL,
			    "invalid country '%s' (ISO 3166-1 alpha-2, e.g."
			    " DE)",
			    value);
		(void)snprintf(e.value, sizeof(e.value), "%s", cc);
	} else {
		if (!emb_valid_ident(value, EMB_ID_MAX - 1))
			return emb_error_set(
			    err, EMB_EINVAL, "invalid partner id '%s'", value);
		(void)snprintf(e.value, sizeof(e.value), "%s", value);
	}
	if ((r = begin_change(inst, id, now, &a, err)) < 0)
		return r;
	if (kind == STORE_EXCL_PARTNER &&
	    (r = store_partner_get(inst->store, value, &p)) < 0) {
		r = r == EMB_ENOENT
		    ? emb_error_set(err, r, "partner '%s' not found", value)
		    : core_store_error(err, r, "cannot read partner");
		store_advisory_fini(&a);
		return core_tx_fail(inst, r);
	}
	r = store_exclusion_add(inst->store, a.id, &e);
	if (r < 0) {
		r = r == EMB_EEXIST
		    ? emb_error_set(err, EMB_ESTATE,
		          "%s '%s' is already excluded from '%s'",
		          kind == STORE_EXCL_PARTNER ? "partner" : "country",
		          e.value, a.id)
		    : core_store_error(err, r, "cannot record exclusion");
		store_advisory_fini(&a);
		return core_tx_fail(inst, r);
	}
	return update_and_commit(inst, actor, &a, now, "advisory.exclude",
	    json_pack("{s:s}",
	        kind == STORE_EXCL_PARTNER ? "partner" : "country", e.value),
	    err);
}

int
core_advisory_publish(struct emb_instance *inst, const char *actor,
    const char *id, int64_t now, struct emb_error *err)
{
	struct store_advisory a;
	int r;

	if ((r = begin_change(inst, id, now, &a, err)) < 0)
		return r;
	a.state = STORE_ADV_PUBLISHED;
	a.published_at = now;
	return update_and_commit(
	    inst, actor, &a, now, "advisory.publish", NULL, err);
}

int
core_advisory_withdraw(struct emb_instance *inst, const char *actor,
    const char *id, int64_t now, struct emb_error *err)
{
	struct store_advisory a;
	int r;

	if ((r = begin_change(inst, id, now, &a, err)) < 0)
		return r;
	a.state = STORE_ADV_WITHDRAWN;
	return update_and_commit(
	    inst, actor, &a, now, "advisory.withdraw", NULL, err);
}

/* Additional data binding a sealed blob to its artifact. */
static int
seal_ad(const struct store_artifact *art, struct buf *ad)
{
	int r;

	if ((r = buf_printf(ad, "embargo-artifact-v1|%s|%s|%lld|",
	         art->advisory_id, art->name, (long long)art->attached_at)) < 0)
		return r;
	return buf_append(ad, art->sha256, sizeof(art->sha256));
}

int
core_artifact_attach(struct emb_instance *inst, const char *actor,
    const struct core_attach *at, const uint8_t *data, size_t n, int64_t now,
    struct store_artifact *ret, struct emb_error *err)
{
	struct store_advisory a;
	struct store_artifact art;
	struct store_tier tier;
	struct buf ad, sealed;
	char t[EMB_TIME_STR], hex[65];
	char subject[EMB_ID_MAX + STORE_ARTIFACT_NAME_MAX + 2];
	json_t *detail;
	int r;

	memset(&art, 0, sizeof(art));
	if (!emb_valid_ident(at->name, STORE_ARTIFACT_NAME_MAX))
		return emb_error_set(err, EMB_EINVAL,
		    "invalid artifact name '%s' (letters, digits, '.', '_',"
		    " '-'; at most %d)",
		    at->name, STORE_ARTIFACT_NAME_MAX);
	if (n == 0)
		return emb_error_set(err, EMB_EINVAL, "artifact is empty");
	if (n > CORE_ARTIFACT_MAX)
		return emb_error_set(err, EMB_ETOOBIG,
		    "artifact is %zu bytes; the limit is %u", n,
		    CORE_ARTIFACT_MAX);
	if (at->release == CORE_RELEASE_BEFORE &&
	    (at->release_before < 0 || at->release_before > EMB_TIME_MAX))
		return emb_error_set(
		    err, EMB_EINVAL, "release offset out of range");
	if (!emb_valid_ident(at->tier, EMB_ID_MAX - 1))
		return emb_error_set(
		    err, EMB_EINVAL, "invalid tier name '%s'", at->tier);
	if ((r = begin_change(inst, at->advisory_id, now, &a, err)) < 0)
		return r;
	buf_init(&ad, 1024);
	buf_init(&sealed, (size_t)CORE_ARTIFACT_MAX + CRYPTO_SEAL_OVERHEAD);
	r = store_tier_get(inst->store, at->tier, &tier);
	if (r < 0) {
		r = r == EMB_ENOENT
		    ? emb_error_set(err, r,
		          "unknown tier '%s' (see 'embargo tier list')",
		          at->tier)
		    : core_store_error(err, r, "cannot read tiers");
		goto fail;
	}
	if (store_artifact_get(inst->store, a.id, at->name, &art) == 0) {
		r = emb_error_set(err, EMB_EEXIST,
		    "advisory '%s' already has an artifact '%s' (withdraw it"
		    " first)",
		    a.id, at->name);
		goto fail;
	}
	memset(&art, 0, sizeof(art));
	(void)snprintf(art.advisory_id, sizeof(art.advisory_id), "%s", a.id);
	(void)snprintf(art.name, sizeof(art.name), "%s", at->name);
	(void)snprintf(art.tier, sizeof(art.tier), "%s", tier.name);
	art.tier_rank = tier.rank;
	art.kind = at->kind;
	art.mark = at->mark;
	art.size = (int64_t)n;
	art.attached_at = now;
	switch (at->release) {
	case CORE_RELEASE_NOW:
		art.release_at = now;
		break;
	case CORE_RELEASE_AT:
		if (at->release_at > a.patch_at) {
			r = emb_error_set(err, EMB_EINVAL,
			    "release time is after the patch time %s",
			    emb_time_format(a.patch_at, false, t));
			goto fail;
		}
		art.release_at = at->release_at;
		break;
	case CORE_RELEASE_BEFORE:
		art.release_relative = true;
		art.release_before = at->release_before;
		break;
	}
	crypto_sha256(data, n, art.sha256);
	{
		/* Malformed template markers must never reach a partner. */
		struct mark_artifact ma;
		if ((r = core_mark_prepare(
		         inst->keys, &art, data, n, &ma, err)) < 0) {
			r = emb_error_set(
			    err, r, "%s", "invalid template marker");
			goto fail;
		}
		mark_artifact_fini(&ma);
	}
	if ((r = seal_ad(&art, &ad)) < 0 ||
	    (r = crypto_seal(inst->keys, ad.data, ad.len, data, n, &sealed)) <
	        0) {
		r = emb_error_set(
		    err, r, "cannot seal the artifact: %s", emb_strerror(r));
		goto fail;
	}
	if ((r = store_artifact_add(
	         inst->store, &art, sealed.data, sealed.len)) < 0) {
		r = core_store_error(err, r, "cannot store the artifact");
		goto fail;
	}
	/* The first artifact shares a draft advisory. */
	if (a.state == STORE_ADV_DRAFT)
		a.state = STORE_ADV_SHARED;
	a.updated_at = now;
	if ((r = store_advisory_update(inst->store, &a)) < 0) {
		r = core_store_error(err, r, "cannot update advisory");
		goto fail;
	}
	emb_hex(art.sha256, sizeof(art.sha256), hex);
	(void)snprintf(
	    subject, sizeof(subject), "%s/%s", art.advisory_id, art.name);
	detail = json_pack("{s:s, s:s, s:s, s:I, s:s}", "kind",
	    store_artifact_kind_name(art.kind), "tier", art.tier, "mark",
	    store_mark_mode_name(art.mark), "size", (json_int_t)n, "sha256",
	    hex);
	if (art.release_relative)
		json_object_set_new(detail, "release_before",
		    json_string(emb_duration_format(art.release_before, t)));
	else
		json_object_set_new(detail, "release_at",
		    json_string(emb_time_format(art.release_at, false, t)));
	buf_fini(&ad);
	buf_fini(&sealed);
	store_advisory_fini(&a);
	r = core_tx_commit(
	    inst, actor, now, "artifact.attach", subject, detail, err);
	if (r == 0)
		*ret = art;
	return r;
fail:
	buf_fini(&ad);
	buf_fini(&sealed);
	store_advisory_fini(&a);
	return core_tx_fail(inst, r);
}

int
core_artifact_list(struct emb_instance *inst, const char *advisory_id,
    bool include_withdrawn, struct store_artifact **ret, size_t *ret_n,
    struct emb_error *err)
{
	int r = store_artifact_list(
	    inst->store, advisory_id, include_withdrawn, ret, ret_n);

	return r < 0 ? core_store_error(err, r, "cannot list artifacts") : 0;
}

static int
get_artifact(struct emb_instance *inst, const char *advisory_id,
    const char *name, struct store_artifact *ret, struct emb_error *err)
{
	int r;

	if (!emb_valid_ident(name, STORE_ARTIFACT_NAME_MAX))
		return emb_error_set(
		    err, EMB_EINVAL, "invalid artifact name '%s'", name);
	r = store_artifact_get(inst->store, advisory_id, name, ret);
	if (r == EMB_ENOENT)
		return emb_error_set(err, r,
		    "advisory '%s' has no artifact '%s'", advisory_id, name);
	return r < 0 ? core_store_error(err, r, "cannot read artifact") : 0;
}

int
core_artifact_withdraw(struct emb_instance *inst, const char *actor,
    const char *advisory_id, const char *name, int64_t now,
    struct emb_error *err)
{
	struct store_advisory a;
	struct store_artifact art;
	char subject[EMB_ID_MAX + STORE_ARTIFACT_NAME_MAX + 2];
	int r;

	if ((r = begin_change(inst, advisory_id, now, &a, err)) < 0)
		return r;
	store_advisory_fini(&a);
	if ((r = get_artifact(inst, advisory_id, name, &art, err)) < 0)
		return core_tx_fail(inst, r);
	if ((r = store_artifact_withdraw(inst->store, art.id, now)) < 0)
		return core_tx_fail(
		    inst, core_store_error(err, r, "cannot withdraw artifact"));
	(void)snprintf(subject, sizeof(subject), "%s/%s", advisory_id, name);
	return core_tx_commit(
	    inst, actor, now, "artifact.withdraw", subject, NULL, err);
}

int
core_copy(struct emb_instance *inst, const char *actor, const char *advisory_id,
    const char *name, const char *partner_id, const char *channel, int64_t now,
    struct buf *out, struct store_delivery *ret_delivery, struct emb_error *err)
{
	struct store_advisory a;
	struct store_artifact art;
	struct store_partner p;
	struct store_delivery d;
	struct buf plain;
	struct mark_artifact ma;
	bool prepared = false;
	enum access_verdict v;
	char subject[EMB_ID_MAX + STORE_ARTIFACT_NAME_MAX + 2], hex[65];
	int r;

	memset(&a, 0, sizeof(a));
	buf_init(&plain, CORE_ARTIFACT_MAX);
	if ((r = core_tx_begin(inst, err)) < 0)
		goto out;
	if ((r = core_partner_get(inst, partner_id, &p, err)) < 0 ||
	    (r = get_advisory(inst, advisory_id, &a, err)) < 0 ||
	    (r = get_artifact(inst, advisory_id, name, &art, err)) < 0)
		goto fail;
	v = core_access(&p, &a, &art, now);
	if (v != ACCESS_VISIBLE) {
		r = emb_error_set(err, EMB_ENOENT,
		    "artifact '%s' of '%s' is not visible to partner '%s': %s",
		    name, advisory_id, partner_id, core_access_reason(v));
		goto fail;
	}
	if ((r = core_artifact_content(inst, &art, &plain, err)) < 0)
		goto fail;
	if ((r = core_mark_prepare(
	         inst->keys, &art, plain.data, plain.len, &ma, err)) < 0)
		goto fail;
	prepared = true;
	/* The partner's own marked copy. */
	if ((r = mark_artifact_copy(&ma, p.id, out)) < 0) {
		r = emb_error_set(
		    err, r, "cannot render the copy: %s", emb_strerror(r));
		goto fail;
	}
	memset(&d, 0, sizeof(d));
	(void)snprintf(d.partner_id, sizeof(d.partner_id), "%s", p.id);
	(void)snprintf(d.channel, sizeof(d.channel), "%s", channel);
	d.artifact_id = art.id;
	d.at = now;
	crypto_sha256(out->data, out->len, d.sha256);
	if ((r = store_delivery_add(inst->store, &d, &d.id)) < 0) {
		r = core_store_error(err, r, "cannot record the delivery");
		goto fail;
	}
	emb_hex(d.sha256, sizeof(d.sha256), hex);
	(void)snprintf(subject, sizeof(subject), "%s/%s", advisory_id, name);
	r = core_tx_commit(inst, actor, now, "delivery", subject,
	    json_pack("{s:s, s:I, s:s, s:s}", "partner", p.id, "delivery",
	        (json_int_t)d.id, "sha256", hex, "channel", channel),
	    err);
	if (r < 0)
		goto out;
	*ret_delivery = d;
	goto out;
fail:
	(void)core_tx_fail(inst, r);
out:
	if (r < 0)
		buf_fini_wipe(out);
	if (prepared)
		mark_artifact_fini(&ma);
	store_advisory_fini(&a);
	buf_fini_wipe(&plain);
	return r;
}

int
core_artifact_content(struct emb_instance *inst,
    const struct store_artifact *art, struct buf *out, struct emb_error *err)
{
	struct buf ad, sealed;
	uint8_t check[32];
	int r;

	buf_init(&ad, 1024);
	buf_init(&sealed, (size_t)CORE_ARTIFACT_MAX + CRYPTO_SEAL_OVERHEAD);
	if ((r = store_artifact_blob(inst->store, art->id, &sealed)) < 0) {
		r = core_store_error(err, r, "cannot read the artifact");
		goto out;
	}
	if ((r = seal_ad(art, &ad)) < 0 ||
	    (r = crypto_open(inst->keys, ad.data, ad.len, sealed.data,
	         sealed.len, out)) < 0) {
		r = emb_error_set(err, EMB_ECORRUPT,
		    "artifact '%s' of '%s' does not decrypt: stored data was"
		    " altered",
		    art->name, art->advisory_id);
		goto out;
	}
	crypto_sha256(out->data, out->len, check);
	if (!crypto_equal(check, art->sha256, sizeof(check))) {
		r = emb_error_set(err, EMB_ECORRUPT,
		    "artifact '%s' of '%s' fails its integrity check",
		    art->name, art->advisory_id);
		goto out;
	}
out:
	if (r < 0)
		buf_fini_wipe(out);
	buf_fini(&ad);
	buf_fini(&sealed);
	return r;
}
