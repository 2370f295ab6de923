/*
 * Tiers, partners, advisories (with their CVEs, products, reschedules and
 * exclusions), artifacts with their sealed blobs, and deliveries.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "common/emb.h"

#define LIST_MAX 1000000 /* sanity bound on any listing */

static const char *const partner_status_names[] = {
    "active", "suspended", "revoked"};
static const char *const advisory_state_names[] = {
    "draft", "shared", "published", "withdrawn"};
static const char *const kind_names[] = {
    "advisory", "detection", "poc", "other"};
static const char *const mark_names[] = {"auto", "template", "none"};
static const char *const exclusion_kind_names[] = {"partner", "country"};

const char *
store_partner_status_name(enum store_partner_status s)
{
	return partner_status_names[s];
}

const char *
store_advisory_state_name(enum store_advisory_state s)
{
	return advisory_state_names[s];
}

const char *
store_artifact_kind_name(enum store_artifact_kind k)
{
	return kind_names[k];
}

const char *
store_mark_mode_name(enum store_mark_mode m)
{
	return mark_names[m];
}

int
store_artifact_kind_parse(const char *s, enum store_artifact_kind *ret)
{
	int i = store_name_index(kind_names, EMB_ARRAY_LEN(kind_names), s);

	if (i < 0)
		return i;
	*ret = (enum store_artifact_kind)i;
	return 0;
}

int
store_mark_mode_parse(const char *s, enum store_mark_mode *ret)
{
	int i = store_name_index(mark_names, EMB_ARRAY_LEN(mark_names), s);

	if (i < 0)
		return i;
	*ret = (enum store_mark_mode)i;
	return 0;
}

/* Read an enum column; a value outside the table is corruption. */
static int
col_enum(
    sqlite3_stmt *st, int col, const char *const *names, size_t n, int *ret)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	int i = t ? store_name_index(names, n, t) : EMB_EINVAL;

	if (i < 0)
		return EMB_ECORRUPT;
	*ret = i;
	return 0;
}

/* ---- tiers ---- */

int
store_tier_list(struct store *s, struct store_tier **ret, size_t *ret_n)
{
	sqlite3_stmt *st;
	struct store_tier *v = NULL;
	size_t n = 0, cap = 0;
	int r, rc;

	if ((r = store_stmt(
	         s, "SELECT name, rank FROM tiers ORDER BY rank", &st)) < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = store_grow(
		         (void **)&v, &cap, n, sizeof(*v), LIST_MAX)) < 0)
			goto fail;
		store_col_text(st, 0, v[n].name, sizeof(v[n].name));
		v[n].rank = sqlite3_column_int64(st, 1);
		n++;
	}
	if (rc != SQLITE_DONE) {
		r = EMB_EDB;
		goto fail;
	}
	sqlite3_reset(st);
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	sqlite3_reset(st);
	free(v);
	return r;
}

int
store_tier_get(struct store *s, const char *name, struct store_tier *ret)
{
	sqlite3_stmt *st;
	int r, rc;

	if ((r = store_stmt(
	         s, "SELECT name, rank FROM tiers WHERE name = ?", &st)) < 0)
		return r;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		store_col_text(st, 0, ret->name, sizeof(ret->name));
		ret->rank = sqlite3_column_int64(st, 1);
		r = 0;
	} else {
		r = rc == SQLITE_DONE ? EMB_ENOENT : EMB_EDB;
	}
	sqlite3_reset(st);
	return r;
}

int
store_tier_add(struct store *s, const struct store_tier *t)
{
	sqlite3_stmt *st;
	int r;

	if ((r = store_stmt(
	         s, "INSERT INTO tiers (name, rank) VALUES (?, ?)", &st)) < 0)
		return r;
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, t->rank);
	return store_step_done(st);
}

/* ---- partners ---- */

#define PARTNER_COLS                                                           \
	"SELECT p.id, p.name, p.country, p.contact, p.tier, t.rank,"           \
	" p.status, p.token_hash, p.created_at, p.updated_at, p.cert_pin"      \
	" FROM partners p JOIN tiers t ON t.name = p.tier "

static int
partner_row(sqlite3_stmt *st, struct store_partner *p)
{
	int status, r;

	memset(p, 0, sizeof(*p));
	store_col_text(st, 0, p->id, sizeof(p->id));
	store_col_text(st, 1, p->name, sizeof(p->name));
	store_col_text(st, 2, p->country, sizeof(p->country));
	store_col_text(st, 3, p->contact, sizeof(p->contact));
	store_col_text(st, 4, p->tier, sizeof(p->tier));
	p->tier_rank = sqlite3_column_int64(st, 5);
	if ((r = col_enum(st, 6, partner_status_names,
	         EMB_ARRAY_LEN(partner_status_names), &status)) < 0)
		return r;
	p->status = (enum store_partner_status)status;
	if ((r = store_col_blob(st, 7, p->token_hash, sizeof(p->token_hash))) <
	    0)
		return r;
	p->created_at = sqlite3_column_int64(st, 8);
	p->updated_at = sqlite3_column_int64(st, 9);
	if (sqlite3_column_type(st, 10) != SQLITE_NULL) {
		if ((r = store_col_blob(
		         st, 10, p->cert_pin, sizeof(p->cert_pin))) < 0)
			return r;
		p->has_cert_pin = true;
	}
	return 0;
}

static int
partner_one(sqlite3_stmt *st, struct store_partner *ret)
{
	int rc = sqlite3_step(st), r;

	if (rc == SQLITE_ROW)
		r = partner_row(st, ret);
	else
		r = rc == SQLITE_DONE ? EMB_ENOENT : EMB_EDB;
	sqlite3_reset(st);
	return r;
}

int
store_partner_add(struct store *s, const struct store_partner *p)
{
	sqlite3_stmt *st;
	int r;

	if ((r = store_stmt(s,
	         "INSERT INTO partners (id, name, country, contact, tier,"
	         " status, token_hash, created_at, updated_at)"
	         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	         &st)) < 0)
		return r;
	sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
	store_bind_text_or_null(st, 3, p->country);
	store_bind_text_or_null(st, 4, p->contact);
	sqlite3_bind_text(st, 5, p->tier, -1, SQLITE_STATIC);
	sqlite3_bind_text(
	    st, 6, partner_status_names[p->status], -1, SQLITE_STATIC);
	sqlite3_bind_blob(
	    st, 7, p->token_hash, sizeof(p->token_hash), SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, p->created_at);
	sqlite3_bind_int64(st, 9, p->updated_at);
	return store_step_done(st);
}

int
store_partner_get(struct store *s, const char *id, struct store_partner *ret)
{
	sqlite3_stmt *st;
	int r;

	if ((r = store_stmt(s, PARTNER_COLS "WHERE p.id = ?", &st)) < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	return partner_one(st, ret);
}

int
store_partner_by_token(
    struct store *s, const uint8_t hash[32], struct store_partner *ret)
{
	sqlite3_stmt *st;
	int r;

	if ((r = store_stmt(s, PARTNER_COLS "WHERE p.token_hash = ?", &st)) < 0)
		return r;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	return partner_one(st, ret);
}

int
store_partner_list(struct store *s, struct store_partner **ret, size_t *ret_n)
{
	sqlite3_stmt *st;
	struct store_partner *v = NULL;
	size_t n = 0, cap = 0;
	int r, rc;

	if ((r = store_stmt(s, PARTNER_COLS "ORDER BY p.id", &st)) < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = store_grow(
		         (void **)&v, &cap, n, sizeof(*v), LIST_MAX)) < 0 ||
		    (r = partner_row(st, &v[n])) < 0)
			goto fail;
		n++;
	}
	if (rc != SQLITE_DONE) {
		r = EMB_EDB;
		goto fail;
	}
	sqlite3_reset(st);
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	sqlite3_reset(st);
	free(v);
	return r;
}

int
store_partner_update(struct store *s, const struct store_partner *p)
{
	sqlite3_stmt *st;
	int r;

	if ((r = store_stmt(s,
	         "UPDATE partners SET name = ?, country = ?, contact = ?,"
	         " tier = ?, status = ?, token_hash = ?, updated_at = ?,"
	         " cert_pin = ? WHERE id = ?",
	         &st)) < 0)
		return r;
	sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
	store_bind_text_or_null(st, 2, p->country);
	store_bind_text_or_null(st, 3, p->contact);
	sqlite3_bind_text(st, 4, p->tier, -1, SQLITE_STATIC);
	sqlite3_bind_text(
	    st, 5, partner_status_names[p->status], -1, SQLITE_STATIC);
	sqlite3_bind_blob(
	    st, 6, p->token_hash, sizeof(p->token_hash), SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, p->updated_at);
	if (p->has_cert_pin)
		sqlite3_bind_blob(
		    st, 8, p->cert_pin, sizeof(p->cert_pin), SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_text(st, 9, p->id, -1, SQLITE_STATIC);
	return store_step_done(st);
}

/* ---- advisories ---- */

void
store_advisory_fini(struct store_advisory *a)
{
	free(a->cves);
	free(a->products);
	free(a->reschedules);
	free(a->exclusions);
	a->cves = NULL;
	a->products = NULL;
	a->reschedules = NULL;
	a->exclusions = NULL;
	a->n_cves = a->n_products = a->n_reschedules = a->n_exclusions = 0;
}

static int
advisory_lists_insert(struct store *s, const struct store_advisory *a)
{
	sqlite3_stmt *st;
	int r;

	for (size_t i = 0; i < a->n_cves; i++) {
		if ((r = store_stmt(s,
		         "INSERT INTO advisory_cves (advisory_id, ord, cve)"
		         " VALUES (?, ?, ?)",
		         &st)) < 0)
			return r;
		sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_text(st, 3, a->cves[i], -1, SQLITE_STATIC);
		if ((r = store_step_done(st)) < 0)
			return r;
	}
	for (size_t i = 0; i < a->n_products; i++) {
		if ((r = store_stmt(s,
		         "INSERT INTO advisory_products (advisory_id, ord,"
		         " name) VALUES (?, ?, ?)",
		         &st)) < 0)
			return r;
		sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_text(st, 3, a->products[i], -1, SQLITE_STATIC);
		if ((r = store_step_done(st)) < 0)
			return r;
	}
	return 0;
}

static void
advisory_bind(sqlite3_stmt *st, const struct store_advisory *a)
{
	sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->title, -1, SQLITE_STATIC);
	store_bind_text_or_null(st, 3, a->severity);
	store_bind_text_or_null(st, 4, a->cvss);
	sqlite3_bind_int64(st, 5, a->patch_at);
	sqlite3_bind_text(
	    st, 6, advisory_state_names[a->state], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, a->created_at);
	if (a->published_at != 0)
		sqlite3_bind_int64(st, 8, a->published_at);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_int64(st, 9, a->updated_at);
}

int
store_advisory_add(struct store *s, const struct store_advisory *a)
{
	sqlite3_stmt *st;
	int r;

	if ((r = store_stmt(s,
	         "INSERT INTO advisories (id, title, severity, cvss, patch_at,"
	         " state, created_at, published_at, updated_at)"
	         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	         &st)) < 0)
		return r;
	advisory_bind(st, a);
	if ((r = store_step_done(st)) < 0)
		return r;
	return advisory_lists_insert(s, a);
}

int
store_advisory_update(struct store *s, const struct store_advisory *a)
{
	sqlite3_stmt *st;
	int r;

	/* Lists other than reschedules/exclusions are fixed at creation. */
	if ((r = store_stmt(s,
	         "UPDATE advisories SET id = ?1, title = ?2, severity = ?3,"
	         " cvss = ?4, patch_at = ?5, state = ?6, created_at = ?7,"
	         " published_at = ?8, updated_at = ?9 WHERE id = ?1",
	         &st)) < 0)
		return r;
	advisory_bind(st, a);
	return store_step_done(st);
}

static int
advisory_load_lists(struct store *s, struct store_advisory *a)
{
	sqlite3_stmt *st;
	size_t cap;
	int r, rc;

	if ((r = store_stmt(s,
	         "SELECT cve FROM advisory_cves WHERE advisory_id = ?"
	         " ORDER BY ord",
	         &st)) < 0)
		return r;
	sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
	cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = store_grow((void **)&a->cves, &cap, a->n_cves,
		         sizeof(*a->cves), LIST_MAX)) < 0)
			goto out;
		store_col_text(st, 0, a->cves[a->n_cves], STORE_CVE_MAX);
		a->n_cves++;
	}
	if (rc != SQLITE_DONE)
		goto db;
	sqlite3_reset(st);

	if ((r = store_stmt(s,
	         "SELECT name FROM advisory_products WHERE advisory_id = ?"
	         " ORDER BY ord",
	         &st)) < 0)
		return r;
	sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
	cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = store_grow((void **)&a->products, &cap, a->n_products,
		         sizeof(*a->products), LIST_MAX)) < 0)
			goto out;
		store_col_text(
		    st, 0, a->products[a->n_products], STORE_NAME_MAX + 1);
		a->n_products++;
	}
	if (rc != SQLITE_DONE)
		goto db;
	sqlite3_reset(st);

	if ((r = store_stmt(s,
	         "SELECT at, old_patch_at, new_patch_at, reason"
	         " FROM reschedules WHERE advisory_id = ? ORDER BY seq",
	         &st)) < 0)
		return r;
	sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
	cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_reschedule *rs;
		if ((r = store_grow((void **)&a->reschedules, &cap,
		         a->n_reschedules, sizeof(*a->reschedules), LIST_MAX)) <
		    0)
			goto out;
		rs = &a->reschedules[a->n_reschedules++];
		rs->at = sqlite3_column_int64(st, 0);
		rs->old_patch_at = sqlite3_column_int64(st, 1);
		rs->new_patch_at = sqlite3_column_int64(st, 2);
		store_col_text(st, 3, rs->reason, sizeof(rs->reason));
	}
	if (rc != SQLITE_DONE)
		goto db;
	sqlite3_reset(st);

	if ((r = store_stmt(s,
	         "SELECT kind, value, at FROM exclusions WHERE advisory_id = ?"
	         " ORDER BY at, kind, value",
	         &st)) < 0)
		return r;
	sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
	cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_exclusion *e;
		int kind;
		if ((r = store_grow((void **)&a->exclusions, &cap,
		         a->n_exclusions, sizeof(*a->exclusions), LIST_MAX)) <
		        0 ||
		    (r = col_enum(st, 0, exclusion_kind_names,
		         EMB_ARRAY_LEN(exclusion_kind_names), &kind)) < 0)
			goto out;
		e = &a->exclusions[a->n_exclusions++];
		e->kind = (enum store_exclusion_kind)kind;
		store_col_text(st, 1, e->value, sizeof(e->value));
		e->at = sqlite3_column_int64(st, 2);
	}
	if (rc != SQLITE_DONE)
		goto db;
	sqlite3_reset(st);
	return 0;
db:
	r = EMB_EDB;
out:
	sqlite3_reset(st);
	return r;
}

int
store_advisory_get(struct store *s, const char *id, struct store_advisory *ret)
{
	sqlite3_stmt *st;
	struct store_advisory a;
	int r, rc, state = 0;

	memset(&a, 0, sizeof(a));
	if ((r = store_stmt(s,
	         "SELECT id, title, severity, cvss, patch_at, state,"
	         " created_at, published_at, updated_at"
	         " FROM advisories WHERE id = ?",
	         &st)) < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? EMB_ENOENT : EMB_EDB;
	}
	store_col_text(st, 0, a.id, sizeof(a.id));
	store_col_text(st, 1, a.title, sizeof(a.title));
	store_col_text(st, 2, a.severity, sizeof(a.severity));
	store_col_text(st, 3, a.cvss, sizeof(a.cvss));
	a.patch_at = sqlite3_column_int64(st, 4);
	r = col_enum(st, 5, advisory_state_names,
	    EMB_ARRAY_LEN(advisory_state_names), &state);
	a.state = (enum store_advisory_state)state;
	a.created_at = sqlite3_column_int64(st, 6);
	a.published_at = sqlite3_column_int64(st, 7);
	a.updated_at = sqlite3_column_int64(st, 8);
	sqlite3_reset(st);
	if (r < 0 || (r = advisory_load_lists(s, &a)) < 0) {
		store_advisory_fini(&a);
		return r;
	}
	*ret = a;
	return 0;
}

int
store_advisory_ids(struct store *s, char (**ret)[EMB_ID_MAX], size_t *ret_n)
{
	sqlite3_stmt *st;
	char(*v)[EMB_ID_MAX] = NULL;
	size_t n = 0, cap = 0;
	int r, rc;

	if ((r = store_stmt(s,
	         "SELECT id FROM advisories ORDER BY created_at, id", &st)) < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = store_grow(
		         (void **)&v, &cap, n, sizeof(*v), LIST_MAX)) < 0)
			goto fail;
		store_col_text(st, 0, v[n], EMB_ID_MAX);
		n++;
	}
	if (rc != SQLITE_DONE) {
		r = EMB_EDB;
		goto fail;
	}
	sqlite3_reset(st);
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	sqlite3_reset(st);
	free(v);
	return r;
}

int
store_reschedule_add(
    struct store *s, const char *advisory_id, const struct store_reschedule *rs)
{
	sqlite3_stmt *st;
	int r;

	if ((r = store_stmt(s,
	         "INSERT INTO reschedules (advisory_id, seq, at, old_patch_at,"
	         " new_patch_at, reason) VALUES (?1, (SELECT count(*) FROM"
	         " reschedules WHERE advisory_id = ?1), ?2, ?3, ?4, ?5)",
	         &st)) < 0)
		return r;
	sqlite3_bind_text(st, 1, advisory_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, rs->at);
	sqlite3_bind_int64(st, 3, rs->old_patch_at);
	sqlite3_bind_int64(st, 4, rs->new_patch_at);
	sqlite3_bind_text(st, 5, rs->reason, -1, SQLITE_STATIC);
	return store_step_done(st);
}

int
store_exclusion_add(
    struct store *s, const char *advisory_id, const struct store_exclusion *e)
{
	sqlite3_stmt *st;
	int r;

	if ((r = store_stmt(s,
	         "INSERT INTO exclusions (advisory_id, kind, value, at)"
	         " VALUES (?, ?, ?, ?)",
	         &st)) < 0)
		return r;
	sqlite3_bind_text(st, 1, advisory_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(
	    st, 2, exclusion_kind_names[e->kind], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, e->value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, e->at);
	return store_step_done(st);
}

/* ---- artifacts ---- */

#define ARTIFACT_COLS                                                          \
	"SELECT a.id, a.advisory_id, a.name, a.kind, a.tier, t.rank,"          \
	" a.release_at, a.release_before, a.mark, a.size, a.sha256,"           \
	" a.attached_at, a.withdrawn_at"                                       \
	" FROM artifacts a JOIN tiers t ON t.name = a.tier "

static int
artifact_row(sqlite3_stmt *st, struct store_artifact *a)
{
	int kind, mark, r;

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	store_col_text(st, 1, a->advisory_id, sizeof(a->advisory_id));
	store_col_text(st, 2, a->name, sizeof(a->name));
	if ((r = col_enum(
	         st, 3, kind_names, EMB_ARRAY_LEN(kind_names), &kind)) < 0)
		return r;
	a->kind = (enum store_artifact_kind)kind;
	store_col_text(st, 4, a->tier, sizeof(a->tier));
	a->tier_rank = sqlite3_column_int64(st, 5);
	a->release_relative = sqlite3_column_type(st, 6) == SQLITE_NULL;
	a->release_at = sqlite3_column_int64(st, 6);
	a->release_before = sqlite3_column_int64(st, 7);
	if ((r = col_enum(
	         st, 8, mark_names, EMB_ARRAY_LEN(mark_names), &mark)) < 0)
		return r;
	a->mark = (enum store_mark_mode)mark;
	a->size = sqlite3_column_int64(st, 9);
	if ((r = store_col_blob(st, 10, a->sha256, sizeof(a->sha256))) < 0)
		return r;
	a->attached_at = sqlite3_column_int64(st, 11);
	a->withdrawn_at = sqlite3_column_int64(st, 12);
	return 0;
}

int
store_artifact_add(
    struct store *s, struct store_artifact *a, const void *sealed, size_t n)
{
	sqlite3_stmt *st;
	int r;

	if (n > INT32_MAX)
		return EMB_ETOOBIG;
	if ((r = store_stmt(s,
	         "INSERT INTO artifacts (advisory_id, name, kind, tier,"
	         " release_at, release_before, mark, size, sha256,"
	         " attached_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	         &st)) < 0)
		return r;
	sqlite3_bind_text(st, 1, a->advisory_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, kind_names[a->kind], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->tier, -1, SQLITE_STATIC);
	if (a->release_relative) {
		sqlite3_bind_null(st, 5);
		sqlite3_bind_int64(st, 6, a->release_before);
	} else {
		sqlite3_bind_int64(st, 5, a->release_at);
		sqlite3_bind_null(st, 6);
	}
	sqlite3_bind_text(st, 7, mark_names[a->mark], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, a->size);
	sqlite3_bind_blob(st, 9, a->sha256, sizeof(a->sha256), SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, a->attached_at);
	if ((r = store_step_done(st)) < 0)
		return r;
	a->id = sqlite3_last_insert_rowid(s->db);
	if ((r = store_stmt(s,
	         "INSERT INTO artifact_blobs (artifact_id, sealed)"
	         " VALUES (?, ?)",
	         &st)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, a->id);
	sqlite3_bind_blob(st, 2, sealed, (int)n, SQLITE_STATIC);
	return store_step_done(st);
}

int
store_artifact_list(struct store *s, const char *advisory_id,
    bool include_withdrawn, struct store_artifact **ret, size_t *ret_n)
{
	sqlite3_stmt *st;
	struct store_artifact *v = NULL;
	size_t n = 0, cap = 0;
	int r, rc;

	if ((r = store_stmt(s,
	         ARTIFACT_COLS "WHERE a.advisory_id = ?1"
	                       " AND (?2 OR a.withdrawn_at IS NULL)"
	                       " ORDER BY a.id",
	         &st)) < 0)
		return r;
	sqlite3_bind_text(st, 1, advisory_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, include_withdrawn);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = store_grow(
		         (void **)&v, &cap, n, sizeof(*v), LIST_MAX)) < 0 ||
		    (r = artifact_row(st, &v[n])) < 0)
			goto fail;
		n++;
	}
	if (rc != SQLITE_DONE) {
		r = EMB_EDB;
		goto fail;
	}
	sqlite3_reset(st);
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	sqlite3_reset(st);
	free(v);
	return r;
}

int
store_artifact_get(struct store *s, const char *advisory_id, const char *name,
    struct store_artifact *ret)
{
	sqlite3_stmt *st;
	int r, rc;

	if ((r = store_stmt(s,
	         ARTIFACT_COLS "WHERE a.advisory_id = ? AND a.name = ?"
	                       " AND a.withdrawn_at IS NULL",
	         &st)) < 0)
		return r;
	sqlite3_bind_text(st, 1, advisory_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = artifact_row(st, ret);
	else
		r = rc == SQLITE_DONE ? EMB_ENOENT : EMB_EDB;
	sqlite3_reset(st);
	return r;
}

int
store_artifact_blob(struct store *s, int64_t artifact_id, struct buf *out)
{
	sqlite3_stmt *st;
	int r, rc;

	if ((r = store_stmt(s,
	         "SELECT sealed FROM artifact_blobs WHERE artifact_id = ?",
	         &st)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, artifact_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = buf_append(out, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0));
	else
		r = rc == SQLITE_DONE ? EMB_ENOENT : EMB_EDB;
	sqlite3_reset(st);
	return r;
}

int
store_artifact_withdraw(struct store *s, int64_t artifact_id, int64_t at)
{
	sqlite3_stmt *st;
	int r;

	if ((r = store_stmt(s,
	         "UPDATE artifacts SET withdrawn_at = ? WHERE id = ?"
	         " AND withdrawn_at IS NULL",
	         &st)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_int64(st, 2, artifact_id);
	if ((r = store_step_done(st)) < 0)
		return r;
	return sqlite3_changes(s->db) == 1 ? 0 : EMB_ENOENT;
}

/* ---- deliveries ---- */

int
store_delivery_add(
    struct store *s, const struct store_delivery *d, int64_t *ret_id)
{
	sqlite3_stmt *st;
	int r;

	if ((r = store_stmt(s,
	         "INSERT INTO deliveries (partner_id, artifact_id, at, sha256,"
	         " channel) VALUES (?, ?, ?, ?, ?)",
	         &st)) < 0)
		return r;
	sqlite3_bind_text(st, 1, d->partner_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, d->artifact_id);
	sqlite3_bind_int64(st, 3, d->at);
	sqlite3_bind_blob(st, 4, d->sha256, sizeof(d->sha256), SQLITE_STATIC);
	sqlite3_bind_text(st, 5, d->channel, -1, SQLITE_STATIC);
	if ((r = store_step_done(st)) < 0)
		return r;
	*ret_id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_delivery_list(struct store *s, const char *partner_id,
    struct store_delivery **ret, size_t *ret_n)
{
	sqlite3_stmt *st;
	struct store_delivery *v = NULL;
	size_t n = 0, cap = 0;
	int r, rc;

	if ((r = store_stmt(s,
	         "SELECT id, partner_id, artifact_id, at, sha256, channel"
	         " FROM deliveries WHERE ?1 IS NULL OR partner_id = ?1"
	         " ORDER BY id",
	         &st)) < 0)
		return r;
	store_bind_text_or_null(st, 1, partner_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = store_grow(
		         (void **)&v, &cap, n, sizeof(*v), LIST_MAX)) < 0)
			goto fail;
		v[n].id = sqlite3_column_int64(st, 0);
		store_col_text(st, 1, v[n].partner_id, sizeof(v[n].partner_id));
		v[n].artifact_id = sqlite3_column_int64(st, 2);
		v[n].at = sqlite3_column_int64(st, 3);
		if ((r = store_col_blob(
		         st, 4, v[n].sha256, sizeof(v[n].sha256))) < 0)
			goto fail;
		store_col_text(st, 5, v[n].channel, sizeof(v[n].channel));
		n++;
	}
	if (rc != SQLITE_DONE) {
		r = EMB_EDB;
		goto fail;
	}
	sqlite3_reset(st);
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	sqlite3_reset(st);
	free(v);
	return r;
}

/* ---- events ---- */

int
store_event_insert(struct store *s, const struct store_event *e)
{
	sqlite3_stmt *st;
	int r;

	if ((r = store_stmt(s,
	         "INSERT INTO events (seq, at, actor, type, subject, detail,"
	         " prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	         &st)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, e->seq);
	sqlite3_bind_int64(st, 2, e->at);
	sqlite3_bind_text(st, 3, e->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, e->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, e->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, e->detail, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, e->prev, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, e->hash, 32, SQLITE_STATIC);
	return store_step_done(st);
}

static int
event_row(sqlite3_stmt *st, struct store_event *e, bool with_detail)
{
	int r;

	memset(e, 0, sizeof(*e));
	e->seq = sqlite3_column_int64(st, 0);
	e->at = sqlite3_column_int64(st, 1);
	store_col_text(st, 2, e->actor, sizeof(e->actor));
	store_col_text(st, 3, e->type, sizeof(e->type));
	store_col_text(st, 4, e->subject, sizeof(e->subject));
	if (with_detail) {
		const char *d = (const char *)sqlite3_column_text(st, 5);
		e->detail = strdup(d ? d : "");
		if (e->detail == NULL)
			return EMB_ENOMEM;
	}
	/* A wrong-sized hash is reported by the verifier, not here. */
	if ((r = store_col_blob(st, 6, e->prev, 32)) < 0 ||
	    (r = store_col_blob(st, 7, e->hash, 32)) < 0)
		memset(e->hash, 0, 32);
	return 0;
}

int
store_event_last(struct store *s, struct store_event *ret)
{
	sqlite3_stmt *st;
	int r, rc;

	if ((r = store_stmt(s,
	         "SELECT seq, at, actor, type, subject, NULL, prev, hash"
	         " FROM events ORDER BY seq DESC LIMIT 1",
	         &st)) < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = event_row(st, ret, false);
	else
		r = rc == SQLITE_DONE ? EMB_ENOENT : EMB_EDB;
	sqlite3_reset(st);
	return r;
}

int
store_event_each(struct store *s,
    int (*fn)(const struct store_event *e, void *arg), void *arg)
{
	sqlite3_stmt *st;
	struct store_event e;
	int r = 0, rc;

	/* Not cached: the callback may use the store. */
	if (sqlite3_prepare_v2(s->db,
	        "SELECT seq, at, actor, type, subject, detail, prev, hash"
	        " FROM events ORDER BY rowid",
	        -1, &st, NULL) != SQLITE_OK)
		return EMB_EDB;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = event_row(st, &e, true)) < 0)
			break;
		r = fn(&e, arg);
		free(e.detail);
		if (r != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = EMB_EDB;
	sqlite3_finalize(st);
	return r;
}

int64_t
store_event_count(struct store *s)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	if (store_stmt(s, "SELECT count(*) FROM events", &st) < 0)
		return EMB_EDB;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n < 0 ? EMB_EDB : n;
}

int
store_next_change(struct store *s, int64_t now, int64_t *ret)
{
	sqlite3_stmt *st;
	int r;

	/* Every stored time, and every relative release it implies. */
	if ((r = store_stmt(s,
	         "SELECT min(t) FROM ("
	         " SELECT patch_at AS t FROM advisories"
	         " UNION ALL SELECT published_at FROM advisories"
	         " UNION ALL SELECT created_at FROM advisories"
	         " UNION ALL SELECT updated_at FROM advisories"
	         " UNION ALL SELECT at FROM reschedules"
	         " UNION ALL SELECT at FROM exclusions"
	         " UNION ALL SELECT release_at FROM artifacts"
	         " UNION ALL SELECT a.patch_at - r.release_before"
	         "  FROM artifacts r JOIN advisories a ON a.id = r.advisory_id"
	         "  WHERE r.release_before IS NOT NULL"
	         " UNION ALL SELECT attached_at FROM artifacts"
	         " UNION ALL SELECT withdrawn_at FROM artifacts"
	         " UNION ALL SELECT created_at FROM partners"
	         " UNION ALL SELECT updated_at FROM partners"
	         ") WHERE t > ?1",
	         &st)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, now);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return EMB_EDB;
	}
	*ret = sqlite3_column_type(st, 0) == SQLITE_NULL
	    ? INT64_MAX
	    : sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}
