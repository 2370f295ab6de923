/*
 * The read side for the distribution server: views built on
 * core_visible() alone (see partner_view.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/lru.h"
#include "core/access.h"
#include "core/core_int.h"
#include "core/marking.h"
#include "core/partner_view.h"
#include "common/emb.h"

int64_t
core_advisory_published_at(const struct store_advisory *a, int64_t now)
{
	if (core_advisory_state(a, now) != STORE_ADV_PUBLISHED)
		return 0;
	if (a->state == STORE_ADV_PUBLISHED && a->published_at != 0 &&
	    a->published_at <= a->patch_at)
		return a->published_at;
	return a->patch_at;
}

/* The patch time in force during interval j (after j reschedules). */
static int64_t
patch_in_force(const struct store_advisory *a, size_t j)
{
	if (j == 0)
		return a->n_reschedules > 0 ? a->reschedules[0].old_patch_at
		                            : a->patch_at;
	return a->reschedules[j - 1].new_patch_at;
}

static int64_t
release_under(const struct store_artifact *art, int64_t patch_at)
{
	if (!art->release_relative)
		return art->release_at;
	return art->release_before >= patch_at ? 0
	                                       : patch_at - art->release_before;
}

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

size_t
core_advisory_versions(const struct store_advisory *a, int64_t published,
    struct core_adv_version *out)
{
	size_t n = 0;

	for (size_t j = 0; j <= a->n_reschedules + 1; j++) {
		struct core_adv_version v;
		if (j <= a->n_reschedules) {
			v.at =
			    j == 0 ? a->created_at : a->reschedules[j - 1].at;
			v.patch_at = patch_in_force(a, j);
			v.n_reschedules = j;
			v.published = false;
		} else {
			if (published == 0)
				break;
			v.at = published;
			v.patch_at = a->patch_at;
			v.n_reschedules = a->n_reschedules;
			v.published = true;
		}
		/* Keep the versions strictly increasing in time. */
		if (n > 0 && v.at <= out[n - 1].at) {
			v.at = out[n - 1].at;
			out[n - 1] = v;
			continue;
		}
		out[n++] = v;
	}
	return n;
}

int64_t
core_view_since(const struct store_partner *p, const struct store_advisory *a,
    const struct store_artifact *art, int64_t now)
{
	size_t k = a->n_reschedules;
	int64_t pub = core_advisory_published_at(a, now), since = now;

	/*
	 * Walk the schedule's intervals: in interval j the patch time was
	 * patch_in_force(a, j), so a relative release fell at that minus the
	 * offset.  Only the last interval can hold the publication, since
	 * a published advisory cannot be rescheduled.
	 */
	for (size_t j = 0; j <= k; j++) {
		int64_t t0 = j == 0 ? a->created_at : a->reschedules[j - 1].at;
		int64_t rel = release_under(art, patch_in_force(a, j)), v;
		if (j == k && pub != 0 && pub < rel)
			rel = pub;
		v = max64(max64(t0, art->attached_at), rel);
		if (j == k || v < a->reschedules[j].at) {
			since = v;
			break;
		}
	}
	if (since > now)
		since = now;
	if (p != NULL && p->updated_at > since && p->updated_at <= now)
		since = p->updated_at;
	return since;
}

void
core_view_fini(struct core_view *v)
{
	for (size_t i = 0; i < v->n; i++) {
		store_advisory_fini(&v->advs[i].adv);
		free(v->advs[i].arts);
	}
	free(v->advs);
	v->advs = NULL;
	v->n = 0;
}

static bool
space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skip a quoted string starting at text[*i] == '\''; false if unclosed. */
static bool
skip_quoted(const uint8_t *text, size_t n, size_t *i)
{
	for (size_t j = *i + 1; j < n; j++) {
		if (text[j] == '\\') {
			j++;
			continue;
		}
		if (text[j] == '\'') {
			*i = j + 1;
			return true;
		}
	}
	return false;
}

/* One bracketed comparison expression starting at text[*i] == '['. */
static bool
skip_comparison(const uint8_t *text, size_t n, size_t *i)
{
	size_t j = *i + 1, start;
	int depth = 1;

	while (j < n && space(text[j]))
		j++;
	if (j < n && text[j] == '(')
		return true; /* nested expressions: accepted as is below */
	start = j;
	while (j < n &&
	    ((text[j] >= 'a' && text[j] <= 'z') ||
	        (text[j] >= '0' && text[j] <= '9') || text[j] == '-'))
		j++;
	if (j == start || j >= n || text[j] != ':')
		return false;
	while (j < n) {
		if (text[j] == '\'') {
			if (!skip_quoted(text, n, &j))
				return false;
			continue;
		}
		if (text[j] == '[')
			depth++;
		else if (text[j] == ']' && --depth == 0) {
			*i = j + 1;
			return true;
		} else if (text[j] < 0x20 && !space(text[j]))
			return false;
		j++;
	}
	return false;
}

static bool
pattern_word(const uint8_t *w, size_t n)
{
	static const char *const words[] = {"AND", "OR", "FOLLOWEDBY", "WITHIN",
	    "REPEATS", "TIMES", "START", "STOP", "SECONDS", "NOT", "LIKE",
	    "MATCHES", "IN", "ISSUBSET", "ISSUPERSET", "EXISTS"};
	bool digits = true;

	for (size_t i = 0; i < n; i++)
		digits &= (w[i] >= '0' && w[i] <= '9') || w[i] == '.';
	if (digits)
		return true;
	for (size_t i = 0; i < EMB_ARRAY_LEN(words); i++)
		if (strlen(words[i]) == n && memcmp(words[i], w, n) == 0)
			return true;
	return false;
}

bool
core_text_is_stix_pattern(const uint8_t *text, size_t n)
{
	size_t i = 0, groups = 0;
	int parens = 0;
	bool first = true;

	if (n == 0 || n > CORE_VIEW_PATTERN_MAX)
		return false;
	while (i < n) {
		uint8_t c = text[i];
		if (space(c)) {
			i++;
		} else if (c == '(') {
			parens++;
			i++;
		} else if (c == ')') {
			if (--parens < 0)
				return false;
			i++;
		} else if (c == '[') {
			if (!skip_comparison(text, n, &i))
				return false;
			groups++;
		} else if (first) {
			return false;
		} else if (c == '\'' ||
		    (c == 't' && i + 1 < n && text[i + 1] == '\'')) {
			if (c == 't')
				i++;
			if (!skip_quoted(text, n, &i))
				return false;
		} else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			size_t s = i;
			while (i < n &&
			    ((text[i] >= 'A' && text[i] <= 'Z') ||
			        (text[i] >= '0' && text[i] <= '9') ||
			        text[i] == '.'))
				i++;
			if (!pattern_word(text + s, i - s))
				return false;
		} else {
			return false;
		}
		first = false;
	}
	return groups > 0 && parens == 0;
}

/* Whether a detection artifact's content is a STIX pattern. */
static int
classify(struct emb_instance *inst, const struct store_artifact *art, bool *ret,
    struct emb_error *err)
{
	struct buf plain;
	int r;

	*ret = false;
	if (art->kind != STORE_KIND_DETECTION || art->size <= 0 ||
	    (uint64_t)art->size > CORE_VIEW_PATTERN_MAX)
		return 0;
	buf_init(&plain, CORE_VIEW_PATTERN_MAX);
	if ((r = core_artifact_content(inst, art, &plain, err)) == 0)
		*ret = core_text_is_stix_pattern(plain.data, plain.len);
	buf_fini_wipe(&plain);
	return r;
}

/*
 * Add advisory a (taken over: its lists move into the view) when p sees
 * any of its artifacts, or always for the public view (p NULL) when it is
 * published.
 */
static int
view_add(struct emb_instance *inst, struct core_view *v,
    const struct store_partner *p, struct store_advisory *a, size_t *cap,
    struct emb_error *err)
{
	struct core_view_advisory *va;
	struct store_artifact *arts = NULL;
	size_t n_arts = 0, n_vis = 0;
	int64_t pub = core_advisory_published_at(a, v->now);
	int r = 0;

	if (p == NULL && pub == 0)
		goto skip;
	if (p != NULL) {
		if ((r = core_artifact_list(
		         inst, a->id, false, &arts, &n_arts, err)) < 0)
			goto skip;
		if (!core_visible_advisory(p, a, arts, n_arts, v->now))
			goto skip;
	}
	if (v->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		void *np = realloc(v->advs, ncap * sizeof(*v->advs));
		if (np == NULL) {
			r = emb_error_code(err, EMB_ENOMEM);
			goto skip;
		}
		v->advs = np;
		*cap = ncap;
	}
	va = &v->advs[v->n];
	memset(va, 0, sizeof(*va));
	va->published = pub;
	va->since = p == NULL ? pub : v->now;
	if (n_arts > 0) {
		va->arts = calloc(n_arts, sizeof(*va->arts));
		if (va->arts == NULL) {
			r = emb_error_code(err, EMB_ENOMEM);
			goto skip;
		}
	}
	for (size_t i = 0; i < n_arts; i++) {
		struct core_view_artifact *w = &va->arts[n_vis];
		if (!core_visible(p, a, &arts[i], v->now))
			continue;
		w->art = arts[i];
		w->release_at = core_artifact_release_at(&arts[i], a);
		w->since = core_view_since(p, a, &arts[i], v->now);
		if ((r = classify(inst, &arts[i], &w->stix_pattern, err)) < 0) {
			free(va->arts);
			goto skip;
		}
		if (w->since < va->since)
			va->since = w->since;
		n_vis++;
	}
	va->n_arts = n_vis;
	va->adv = *a; /* the lists move into the view */
	memset(a, 0, sizeof(*a));
	v->n++;
	free(arts);
	return 0;
skip:
	free(arts);
	store_advisory_fini(a);
	return r;
}

static int
build(struct emb_instance *inst, const struct store_partner *p,
    const char *only, int64_t now, struct core_view *ret, struct emb_error *err)
{
	struct core_view v;
	struct store_advisory *advs = NULL;
	size_t n = 0, cap = 0, i = 0;
	int r = 0;

	memset(&v, 0, sizeof(v));
	v.is_public = p == NULL;
	if (p != NULL)
		v.partner = *p;
	v.now = now;
	if (p != NULL && p->status != STORE_PARTNER_ACTIVE)
		goto done; /* nothing is visible to an inactive partner */
	if (only != NULL) {
		advs = calloc(1, sizeof(*advs));
		if (advs == NULL)
			return emb_error_code(err, EMB_ENOMEM);
		r = core_advisory_get(inst, only, &advs[0], err);
		if (r == EMB_ENOENT || r == EMB_EINVAL) {
			free(advs);
			advs = NULL;
			emb_error_clear(err);
			goto done;
		}
		if (r < 0) {
			free(advs);
			return r;
		}
		n = 1;
	} else if ((r = core_advisory_list(inst, &advs, &n, err)) < 0) {
		return r;
	}
	for (i = 0; i < n; i++)
		if ((r = view_add(inst, &v, p, &advs[i], &cap, err)) < 0)
			break;
	for (i++; i < n; i++)
		store_advisory_fini(&advs[i]);
	free(advs);
	if (r < 0) {
		core_view_fini(&v);
		return r;
	}
done:
	if (only != NULL && v.n == 0)
		return emb_error_set(
		    err, EMB_ENOENT, "no such advisory"); /* whichever */
	*ret = v;
	return 0;
}

int
core_view_partner(struct emb_instance *inst, const struct store_partner *p,
    int64_t now, struct core_view *ret, struct emb_error *err)
{
	return build(inst, p, NULL, now, ret, err);
}

int
core_view_partner_one(struct emb_instance *inst, const struct store_partner *p,
    const char *advisory_id, int64_t now, struct core_view *ret,
    struct emb_error *err)
{
	return build(inst, p, advisory_id, now, ret, err);
}

int
core_view_public(struct emb_instance *inst, int64_t now, struct core_view *ret,
    struct emb_error *err)
{
	return build(inst, NULL, NULL, now, ret, err);
}

const struct core_view_advisory *
core_view_find(const struct core_view *v, const char *advisory_id)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->advs[i].adv.id, advisory_id) == 0)
			return &v->advs[i];
	return NULL;
}

const struct core_view_artifact *
core_view_find_artifact(const struct core_view_advisory *va, const char *name)
{
	for (size_t i = 0; i < va->n_arts; i++)
		if (strcmp(va->arts[i].art.name, name) == 0)
			return &va->arts[i];
	return NULL;
}

int
core_receipts(struct emb_instance *inst, const struct store_partner *p,
    struct core_receipt **ret, size_t *ret_n, struct emb_error *err)
{
	struct store_delivery *d = NULL;
	struct core_receipt *v = NULL;
	char(*ids)[EMB_ID_MAX] = NULL;
	size_t nd = 0, nids = 0;
	int r;

	if ((r = store_delivery_list(inst->store, p->id, &d, &nd)) < 0)
		return core_store_error(err, r, "cannot list deliveries");
	v = calloc(nd ? nd : 1, sizeof(*v));
	if (v == NULL) {
		r = emb_error_code(err, EMB_ENOMEM);
		goto out;
	}
	for (size_t i = 0; i < nd; i++)
		v[i].d = d[i];
	if (nd > 0 && (r = store_advisory_ids(inst->store, &ids, &nids)) < 0) {
		r = core_store_error(err, r, "cannot list advisories");
		goto out;
	}
	for (size_t k = 0; k < nids; k++) {
		struct store_artifact *arts = NULL;
		size_t na = 0;
		if ((r = core_artifact_list(
		         inst, ids[k], true, &arts, &na, err)) < 0)
			goto out;
		for (size_t i = 0; i < nd; i++)
			for (size_t j = 0; j < na; j++)
				if (arts[j].id == v[i].d.artifact_id) {
					memcpy(v[i].advisory_id, ids[k],
					    EMB_ID_MAX);
					memcpy(v[i].artifact, arts[j].name,
					    sizeof(v[i].artifact));
				}
		free(arts);
	}
	*ret = v;
	*ret_n = nd;
	v = NULL;
	r = 0;
out:
	free(v);
	free(d);
	free(ids);
	return r;
}

/* ---- copies already on record ---- */

#define CACHE_KEY_MAX (EMB_ID_MAX + 8 + 32)

/*
 * The key of p's copy of art: the partner id, its terminating NUL, the
 * artifact id and the artifact's SHA-256 (same text, same copy).
 */
static size_t
cache_key(const char *partner, const struct store_artifact *art,
    unsigned char out[CACHE_KEY_MAX])
{
	size_t n = strnlen(partner, EMB_ID_MAX - 1);

	memcpy(out, partner, n);
	out[n++] = '\0';
	for (int i = 0; i < 8; i++)
		out[n++] = (unsigned char)((uint64_t)art->id >> (8 * i));
	memcpy(out + n, art->sha256, 32);
	return n + 32;
}

struct cache_take {
	struct buf *out;
	struct store_delivery *d;
};

/* A kept copy is its delivery record, then its bytes. */
static bool
cache_take(void *arg, const unsigned char *v, size_t len)
{
	struct cache_take *t = arg;

	if (len < sizeof(*t->d) ||
	    buf_append(t->out, v + sizeof(*t->d), len - sizeof(*t->d)) < 0)
		return false;
	memcpy(t->d, v, sizeof(*t->d));
	return true;
}

/* Append the cached copy to out; false when there is none. */
static bool
cache_get(struct emb_lru *c, const char *partner,
    const struct store_artifact *art, struct buf *out,
    struct store_delivery *ret)
{
	unsigned char key[CACHE_KEY_MAX];
	struct cache_take t = {out, ret};

	return emb_lru_get(
	    c, key, cache_key(partner, art, key), cache_take, &t);
}

static void
cache_put(struct emb_lru *c, const char *partner,
    const struct store_artifact *art, const uint8_t *copy, size_t len,
    const struct store_delivery *d)
{
	unsigned char key[CACHE_KEY_MAX];
	uint8_t *v;

	if (len == 0 || (v = malloc(sizeof(*d) + len)) == NULL)
		return;
	memcpy(v, d, sizeof(*d));
	memcpy(v + sizeof(*d), copy, len);
	emb_lru_put(c, key, cache_key(partner, art, key), v, sizeof(*d) + len);
	crypto_wipe(v, sizeof(*d) + len);
	free(v);
}

/* p's existing delivery of art with exactly this SHA-256, if any. */
static int
find_delivery(struct emb_instance *inst, const struct store_partner *p,
    const struct store_artifact *art, const uint8_t sha[32],
    struct store_delivery *ret, bool *ret_found, struct emb_error *err)
{
	struct store_delivery *d = NULL;
	size_t n = 0;
	int r;

	*ret_found = false;
	if ((r = store_delivery_list(inst->store, p->id, &d, &n)) < 0)
		return core_store_error(err, r, "cannot list deliveries");
	for (size_t i = n; i-- > 0;)
		if (d[i].artifact_id == art->id &&
		    crypto_equal(d[i].sha256, sha, 32)) {
			*ret = d[i];
			*ret_found = true;
			break;
		}
	free(d);
	return 0;
}

int
core_copy_once(struct emb_instance *inst, struct emb_lru *cache,
    const char *actor, const struct store_partner *p, const char *advisory_id,
    const char *name, const char *channel, int64_t now, struct buf *out,
    struct store_delivery *ret_delivery, bool *ret_new, struct emb_error *err)
{
	struct store_advisory a;
	struct store_artifact art;
	struct store_delivery d;
	struct mark_artifact ma;
	struct buf plain;
	uint8_t sha[32];
	bool found = false;
	int r;

	memset(&a, 0, sizeof(a));
	buf_init(&plain, CORE_ARTIFACT_MAX);
	if (!emb_valid_ident(advisory_id, EMB_ID_MAX - 1) ||
	    !emb_valid_ident(name, STORE_ARTIFACT_NAME_MAX)) {
		r = emb_error_set(err, EMB_ENOENT, "no such artifact");
		goto out;
	}
	r = core_advisory_get(inst, advisory_id, &a, err);
	if (r == 0 &&
	    (r = store_artifact_get(inst->store, advisory_id, name, &art)) <
	        0 &&
	    r != EMB_ENOENT)
		r = core_store_error(err, r, "cannot read artifact");
	if (r == EMB_ENOENT || r == EMB_EINVAL ||
	    (r == 0 && !core_visible(p, &a, &art, now))) {
		emb_error_clear(err);
		r = emb_error_set(err, EMB_ENOENT, "no such artifact");
		goto out;
	}
	if (r < 0)
		goto out;
	/* Allowed: a copy already rendered and on record will do. */
	if (cache != NULL && cache_get(cache, p->id, &art, out, &d)) {
		*ret_delivery = d;
		*ret_new = false;
		goto out;
	}
	/* Render it, as core_copy would, and look for its record. */
	if ((r = core_artifact_content(inst, &art, &plain, err)) < 0 ||
	    (r = core_mark_prepare(
	         inst->keys, &art, plain.data, plain.len, &ma, err)) < 0)
		goto out;
	r = mark_artifact_copy(&ma, p->id, out);
	mark_artifact_fini(&ma);
	if (r < 0) {
		r = emb_error_set(
		    err, r, "cannot render the copy: %s", emb_strerror(r));
		goto out;
	}
	crypto_sha256(out->data, out->len, sha);
	if ((r = find_delivery(inst, p, &art, sha, &d, &found, err)) < 0)
		goto out;
	if (!found) {
		/* New bytes for this partner: record them first. */
		buf_fini_wipe(out);
		if ((r = core_copy(inst, actor, advisory_id, name, p->id,
		         channel, now, out, &d, err)) < 0)
			goto out;
	}
	if (cache != NULL)
		cache_put(cache, p->id, &art, out->data, out->len, &d);
	*ret_delivery = d;
	*ret_new = !found;
out:
	if (r < 0)
		buf_fini_wipe(out);
	store_advisory_fini(&a);
	buf_fini_wipe(&plain);
	return r;
}
