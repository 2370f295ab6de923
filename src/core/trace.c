#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_int.h"
#include "core/json.h"
#include "core/marking.h"
#include "core/trace.h"
#include "trace/accuse.h"
#include "trace/canary.h"
#include "trace/derive.h"
#include "trace/extract.h"
#include "common/emb.h"

/* Bonferroni split of alpha over the rounds: 1/2, 1/4, 1/4. */
static const double round_factor[CORE_TRACE_ROUNDS] = {2, 4, 4};

/* No delivery of an entry to a partner. */
#define NEVER INT64_MAX

/*
 * Cleared candidates whose bound is computed, per group, after the
 * accused and suspects: the rows the text report shows.  The others get
 * the trivial bound 1 (their bound is above the suspect threshold: it
 * does not decrease as the score falls).
 */
#define BOUND_CLEARED 10

struct recipient {
	size_t partner; /* index into the partner table */
	int64_t first_at;
};

struct entry {
	struct store_artifact art;
	struct buf plain;
	struct mark_artifact ma;
	bool prepared;
	struct trace_tokens toks;
	bool tokenized;
	struct recipient *rcpt;
	size_t nrcpt, rcpt_cap;
	int64_t *first_at; /* per partner: first delivery, NEVER if none */
	/* per sample being traced: */
	int *observed;
	bool derived;
	size_t nread; /* coded sites read in the sample */
	size_t *read; /* their indices */
	uint8_t *want; /* the variant the sample shows at each */
	double *gg; /* per read site: score term if no match, if a match */
	bool *explained; /* per read site, in the colluder rounds */
	size_t boff; /* its agreement bytes in a candidate's row */
};

struct tracer {
	struct emb_instance *inst;
	const struct core_trace_opts *o;
	struct entry *e;
	size_t ne;
	struct store_partner *ps;
	size_t nps;
	struct trace_index *ix;
	struct emb_error *err;
};

static void
tracer_fini(struct tracer *t)
{
	for (size_t i = 0; i < t->ne; i++) {
		struct entry *e = &t->e[i];
		if (e->prepared)
			mark_artifact_fini(&e->ma);
		if (e->tokenized)
			trace_tokens_fini(&e->toks);
		buf_fini_wipe(&e->plain);
		free(e->rcpt);
		free(e->first_at);
		free(e->observed);
		free(e->read);
		free(e->want);
		free(e->gg);
		free(e->explained);
	}
	free(t->e);
	free(t->ps);
	trace_index_free(t->ix);
}

struct pidx {
	const char *id;
	size_t i;
};

static int
pidx_cmp(const void *a, const void *b)
{
	return strcmp(
	    ((const struct pidx *)a)->id, ((const struct pidx *)b)->id);
}

/* Index of partner id in the table sorted by id (ix, n), or SIZE_MAX. */
static size_t
partner_index(const struct pidx *ix, size_t n, const char *id)
{
	struct pidx key = {id, 0};
	const struct pidx *p = bsearch(&key, ix, n, sizeof(*ix), pidx_cmp);

	return p ? p->i : SIZE_MAX;
}

/* Every artifact ever attached, decrypted and indexed for derivation. */
static int
load_artifacts(struct tracer *t)
{
	char(*ids)[EMB_ID_MAX] = NULL;
	size_t nids = 0, cap = 0;
	int r;

	if ((r = store_advisory_ids(t->inst->store, &ids, &nids)) < 0)
		return core_store_error(t->err, r, "cannot list advisories");
	for (size_t k = 0; k < nids; k++) {
		struct store_artifact *arts = NULL;
		size_t n = 0;
		if ((r = store_artifact_list(
		         t->inst->store, ids[k], true, &arts, &n)) < 0) {
			r = core_store_error(
			    t->err, r, "cannot list artifacts");
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			struct entry *e;
			if (t->ne == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct entry *p =
				    realloc(t->e, nc * sizeof(*p));
				if (p == NULL) {
					free(arts);
					r = emb_error_code(t->err, EMB_ENOMEM);
					goto out;
				}
				t->e = p;
				cap = nc;
			}
			e = &t->e[t->ne++];
			memset(e, 0, sizeof(*e));
			e->art = arts[i];
			buf_init(&e->plain, CORE_ARTIFACT_MAX);
		}
		free(arts);
	}
	if ((r = trace_index_new(&t->ix)) < 0) {
		r = emb_error_code(t->err, r);
		goto out;
	}
	for (size_t i = 0; i < t->ne; i++) {
		struct entry *e = &t->e[i];
		char name[EMB_ID_MAX + STORE_ARTIFACT_NAME_MAX + 2];
		enum mark_lang lang;
		size_t doc;
		if ((r = core_artifact_content(
		         t->inst, &e->art, &e->plain, t->err)) < 0)
			goto out;
		lang =
		    mark_lang_detect(e->art.name, e->plain.data, e->plain.len);
		(void)snprintf(name, sizeof(name), "%s/%s", e->art.advisory_id,
		    e->art.name);
		doc = trace_index_count(t->ix);
		if ((r = trace_index_add(t->ix, name, lang,
		         e->plain.data ? e->plain.data : (const uint8_t *)"",
		         e->plain.len)) < 0) {
			r = emb_error_set(t->err, r, "cannot index %s: %s",
			    name, emb_strerror(r));
			goto out;
		}
		if (doc != i) {
			r = emb_error_code(t->err, EMB_EINVAL);
			goto out;
		}
	}
	r = 0;
out:
	free(ids);
	return r;
}

/*
 * Each entry's recipients and first delivery times, in one pass over the
 * deliveries: partners are found in a sorted index and repeat deliveries
 * in a per-partner array, so the cost grows as deliveries log partners.
 */
static int
load_recipients(struct tracer *t)
{
	struct store_delivery *d = NULL;
	struct pidx *ix = NULL;
	size_t nd = 0;
	int r;

	if ((r = store_delivery_list(t->inst->store, NULL, &d, &nd)) < 0)
		return core_store_error(t->err, r, "cannot list deliveries");
	if ((ix = calloc(t->nps + 1, sizeof(*ix))) == NULL) {
		r = emb_error_code(t->err, EMB_ENOMEM);
		goto out;
	}
	for (size_t i = 0; i < t->nps; i++) {
		ix[i].id = t->ps[i].id;
		ix[i].i = i;
	}
	qsort(ix, t->nps, sizeof(*ix), pidx_cmp);
	for (size_t k = 0; k < nd; k++) {
		size_t pi = partner_index(ix, t->nps, d[k].partner_id);
		struct entry *e = NULL;
		for (size_t i = 0; i < t->ne; i++)
			if (t->e[i].art.id == d[k].artifact_id)
				e = &t->e[i];
		if (e == NULL || pi == SIZE_MAX)
			continue;
		if (e->first_at == NULL) {
			e->first_at = malloc((t->nps + 1) * sizeof(int64_t));
			if (e->first_at == NULL) {
				r = emb_error_code(t->err, EMB_ENOMEM);
				goto out;
			}
			for (size_t i = 0; i < t->nps; i++)
				e->first_at[i] = NEVER;
		}
		if (e->first_at[pi] != NEVER) {
			if (d[k].at < e->first_at[pi])
				e->first_at[pi] = d[k].at;
			continue;
		}
		if (e->nrcpt == e->rcpt_cap) {
			size_t nc = e->rcpt_cap ? e->rcpt_cap * 2 : 16;
			struct recipient *p = realloc(e->rcpt, nc * sizeof(*p));
			if (p == NULL) {
				r = emb_error_code(t->err, EMB_ENOMEM);
				goto out;
			}
			e->rcpt = p;
			e->rcpt_cap = nc;
		}
		e->rcpt[e->nrcpt].partner = pi;
		e->rcpt[e->nrcpt].first_at = d[k].at;
		e->nrcpt++;
		e->first_at[pi] = d[k].at;
	}
	r = 0;
out:
	free(ix);
	free(d);
	return r;
}

static int
prepare_entry(struct tracer *t, struct entry *e)
{
	int r;

	if (!e->prepared) {
		if ((r = core_mark_prepare(t->inst->keys, &e->art,
		         e->plain.data, e->plain.len, &e->ma, t->err)) < 0)
			return r;
		e->prepared = true;
	}
	if (!e->tokenized) {
		if ((r = trace_tokens_scan(e->ma.lang,
		         e->plain.data ? e->plain.data : (const uint8_t *)"",
		         e->plain.len, &e->toks)) < 0)
			return emb_error_code(t->err, r);
		e->tokenized = true;
	}
	free(e->observed);
	e->observed = calloc(e->ma.set.nsites + 1, sizeof(int));
	return e->observed ? 0 : emb_error_code(t->err, EMB_ENOMEM);
}

/* Whether partner pi is a candidate for entry e (received in time). */
static bool
received(const struct tracer *t, const struct entry *e, size_t pi)
{
	return e->first_at != NULL && e->first_at[pi] != NEVER &&
	    (t->o->seen_at == 0 || e->first_at[pi] < t->o->seen_at);
}

struct cand {
	size_t partner;
	size_t group; /* candidates that received the same derived entries */
	double score;
	size_t sites, agree;
	double bound, corrected;
	int round; /* round accused in, 0 if never */
	bool suspect;
	/* the current round's figures: */
	double rscore;
	size_t rsites, ragree;
};

/*
 * The accusation of one sample.  Every candidate's symbols are derived
 * once; what the rounds need of them is whether they match the sample at
 * each read site (a score term depends on nothing else), kept as
 * agreement bits, one row per candidate.  Candidates that received the
 * same derived entries are scored over the same sites, so among them the
 * innocent-tail bound does not increase with the score: it is computed
 * for the top scorers in decreasing order only, down to the first one
 * that is not accused (later rounds), or not a suspect plus
 * BOUND_CLEARED more (round 1).
 */
struct accusation {
	struct tracer *t;
	struct entry **de; /* the derived entries */
	size_t nde;
	struct cand *c;
	size_t nc;
	bool *got; /* nc x nde: candidate received derived entry */
	size_t row; /* agreement bytes per candidate */
	uint8_t *bits; /* nc x row */
	size_t *order;
	struct accuse_site *sites;
	size_t sites_cap;
};

static void
accusation_fini(struct accusation *a)
{
	free(a->de);
	free(a->got);
	free(a->bits);
	free(a->order);
	free(a->sites);
}

/* The read sites of every derived entry and their two score terms. */
static int
read_sites(struct accusation *a)
{
	a->row = 0;
	for (size_t j = 0; j < a->nde; j++) {
		struct entry *e = a->de[j];
		const struct mark_set *set = &e->ma.set;
		size_t n = 0;
		free(e->read);
		free(e->want);
		free(e->gg);
		free(e->explained);
		e->read = calloc(set->nsites + 1, sizeof(size_t));
		e->want = calloc(set->nsites + 1, 1);
		e->gg = calloc(2 * set->nsites + 2, sizeof(double));
		e->explained = calloc(set->nsites + 1, sizeof(bool));
		if (!e->read || !e->want || !e->gg || !e->explained)
			return EMB_ENOMEM;
		for (size_t k = 0; k < set->nsites; k++) {
			const double *p = mark_artifact_bias(&e->ma, k);
			unsigned q = set->sites[k].q, y;
			if (e->observed[k] < 0 || q < 2)
				continue;
			y = (unsigned)e->observed[k];
			e->read[n] = k;
			e->want[n] = (uint8_t)y;
			e->gg[2 * n] = tardos_g(p, q, y, y == 0 ? 1 : 0);
			e->gg[2 * n + 1] = tardos_g(p, q, y, y);
			n++;
		}
		e->nread = n;
		e->boff = a->row;
		a->row += (n + 7) / 8;
	}
	return 0;
}

/* Candidates (recipients in time of a derived entry) and their groups. */
static int
find_candidates(struct accusation *a)
{
	struct tracer *t = a->t;
	size_t ngroups = 0;
	size_t *rep = NULL; /* a candidate of each group */

	a->c = calloc(t->nps + 1, sizeof(*a->c));
	a->got = calloc((t->nps + 1) * (a->nde + 1), sizeof(bool));
	rep = calloc(t->nps + 1, sizeof(size_t));
	if (a->c == NULL || a->got == NULL || rep == NULL) {
		free(rep);
		return EMB_ENOMEM;
	}
	a->nc = 0;
	for (size_t pi = 0; pi < t->nps; pi++) {
		bool *got = a->got + a->nc * a->nde, any = false;
		struct cand *c = &a->c[a->nc];
		size_t g;
		for (size_t j = 0; j < a->nde; j++)
			any |= got[j] = received(t, a->de[j], pi);
		if (!any)
			continue;
		/* Groups are few: one per set of derived entries received. */
		for (g = 0; g < ngroups; g++)
			if (memcmp(a->got + rep[g] * a->nde, got, a->nde) == 0)
				break;
		if (g == ngroups)
			rep[ngroups++] = a->nc;
		c->partner = pi;
		c->group = g;
		c->bound = c->corrected = 1;
		a->nc++;
	}
	free(rep);
	return 0;
}

/*
 * Candidate ci's score, sites and agreements from its agreement bits,
 * over the read sites of the entries it received (not explained by an
 * accused partner, in the colluder rounds).  A term is gg[2 i + bit]: no
 * branch, since whether an innocent matches is a coin toss; four partial
 * sums, so that the additions need not wait for each other.
 */
static void
score_row(const struct accusation *a, size_t ci, bool colluder_round,
    double *ret_score, size_t *ret_sites, size_t *ret_agree)
{
	const uint8_t *bits = a->bits + ci * a->row;
	double sum[4] = {0, 0, 0, 0};
	size_t sites = 0, agree = 0;

	for (size_t j = 0; j < a->nde; j++) {
		const struct entry *e = a->de[j];
		const uint8_t *w = bits + e->boff;
		if (!a->got[ci * a->nde + j])
			continue;
		for (size_t i = 0; i < e->nread; i++) {
			unsigned m = (w[i / 8] >> (i % 8)) & 1;
			if (colluder_round && e->explained[i])
				continue;
			sum[i % 4] += e->gg[2 * i + m];
			agree += m;
			sites++;
		}
	}
	*ret_score = (sum[0] + sum[1]) + (sum[2] + sum[3]);
	*ret_sites = sites;
	*ret_agree = agree;
}

/* Round 1: every candidate's agreement bits and score. */
static int
score_all(struct accusation *a)
{
	struct tracer *t = a->t;

	if (a->nc > 0 && a->row > SIZE_MAX / a->nc)
		return EMB_ENOMEM;
	a->bits = calloc(a->nc * a->row + 1, 1);
	if (a->bits == NULL)
		return EMB_ENOMEM;
	for (size_t ci = 0; ci < a->nc; ci++) {
		struct cand *c = &a->c[ci];
		const bool *got = a->got + ci * a->nde;
		uint8_t *bits = a->bits + ci * a->row;
		for (size_t j = 0; j < a->nde; j++) {
			const struct entry *e = a->de[j];
			uint8_t *w = bits + e->boff;
			if (!got[j])
				continue;
			mark_artifact_agree(&e->ma, t->ps[c->partner].id,
			    e->read, e->want, e->nread, w);
		}
		score_row(a, ci, false, &c->score, &c->sites, &c->agree);
		c->rscore = c->score;
		c->rsites = c->sites;
		c->ragree = c->agree;
	}
	return 0;
}

/* Rounds 2 and 3: rescore on the sites no accused partner explains. */
static void
rescore(struct accusation *a)
{
	for (size_t j = 0; j < a->nde; j++) {
		struct entry *e = a->de[j];
		memset(e->explained, 0, e->nread * sizeof(bool));
		for (size_t ci = 0; ci < a->nc; ci++) {
			const uint8_t *w = a->bits + ci * a->row + e->boff;
			if (a->c[ci].round == 0 || !a->got[ci * a->nde + j])
				continue;
			for (size_t i = 0; i < e->nread; i++)
				e->explained[i] |= (w[i / 8] >> (i % 8)) & 1;
		}
	}
	for (size_t ci = 0; ci < a->nc; ci++) {
		struct cand *c = &a->c[ci];
		if (c->round == 0)
			score_row(
			    a, ci, true, &c->rscore, &c->rsites, &c->ragree);
	}
}

/* The sites a candidate of group g is bounded over, in a->sites. */
static int
group_sites(struct accusation *a, size_t ci, bool colluder_round, size_t *ret_n)
{
	size_t n = 0;

	for (size_t j = 0; j < a->nde; j++) {
		const struct entry *e = a->de[j];
		if (!a->got[ci * a->nde + j])
			continue;
		for (size_t i = 0; i < e->nread; i++) {
			size_t k = e->read[i];
			if (colluder_round && e->explained[i])
				continue;
			if (n == a->sites_cap) {
				size_t nc =
				    a->sites_cap ? a->sites_cap * 2 : 256;
				struct accuse_site *p =
				    realloc(a->sites, nc * sizeof(*p));
				if (p == NULL)
					return EMB_ENOMEM;
				a->sites = p;
				a->sites_cap = nc;
			}
			a->sites[n].q = e->ma.set.sites[k].q;
			memcpy(a->sites[n].p, mark_artifact_bias(&e->ma, k),
			    sizeof(a->sites[n].p));
			a->sites[n].observed = e->observed[k];
			n++;
		}
	}
	*ret_n = n;
	return 0;
}

static const struct cand *order_c;

static int
order_cmp(const void *x, const void *y)
{
	const struct cand *a = &order_c[*(const size_t *)x];
	const struct cand *b = &order_c[*(const size_t *)y];

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->rscore != b->rscore)
		return a->rscore > b->rscore ? -1 : 1;
	return a->partner < b->partner ? -1 : a->partner > b->partner;
}

/*
 * Bound the candidates not yet accused, group by group from the top
 * scorer down; returns whether anyone was accused in this round.
 */
static int
bound_round(
    struct accusation *a, int round, double factor, double alpha, bool *ret_any)
{
	size_t no = 0, n = 0, cleared = 0, group = SIZE_MAX;
	bool stop = false;
	int r;

	*ret_any = false;
	for (size_t ci = 0; ci < a->nc; ci++)
		if (a->c[ci].round == 0)
			a->order[no++] = ci;
	order_c = a->c;
	qsort(a->order, no, sizeof(*a->order), order_cmp);
	for (size_t k = 0; k < no; k++) {
		struct cand *c = &a->c[a->order[k]];
		double bound, corrected;
		if (c->group != group) {
			group = c->group;
			stop = false;
			cleared = 0;
			if ((r = group_sites(a, a->order[k], round > 1, &n)) <
			    0)
				return r;
		}
		if (stop)
			continue;
		if (n == 0 || c->rsites == 0) {
			stop = true; /* no evidence: the bound is 1 */
			continue;
		}
		bound = accuse_innocent_tail(a->sites, n, c->rscore);
		corrected = fmin(1.0, bound * factor);
		/* Later rounds only add accusations; the report keeps the
		 * first round's figures otherwise. */
		if (corrected <= alpha) {
			c->round = round;
			c->score = c->rscore;
			c->sites = c->rsites;
			c->agree = c->ragree;
			c->bound = bound;
			c->corrected = corrected;
			*ret_any = true;
		} else if (round == 1) {
			c->bound = bound;
			c->corrected = corrected;
			c->suspect = corrected <= CORE_SUSPECT;
			if (!c->suspect && ++cleared >= BOUND_CLEARED)
				stop = true;
		} else {
			stop = true;
		}
	}
	return 0;
}

static int
accuse(struct accusation *a, size_t nsamples)
{
	struct tracer *t = a->t;
	int r;

	a->de = calloc(t->ne + 1, sizeof(*a->de));
	if (a->de == NULL)
		return EMB_ENOMEM;
	for (size_t i = 0; i < t->ne; i++)
		if (t->e[i].derived)
			a->de[a->nde++] = &t->e[i];
	if ((r = read_sites(a)) < 0 || (r = find_candidates(a)) < 0)
		return r;
	if (a->nc == 0)
		return 0;
	if ((a->order = calloc(a->nc, sizeof(size_t))) == NULL)
		return EMB_ENOMEM;
	if ((r = score_all(a)) < 0)
		return r;
	for (int round = 1; round <= CORE_TRACE_ROUNDS; round++) {
		double factor =
		    (double)a->nc * (double)nsamples * round_factor[round - 1];
		bool any;
		if (round > 1)
			rescore(a);
		if ((r = bound_round(a, round, factor, t->o->alpha, &any)) < 0)
			return r;
		if (!any)
			break;
	}
	return 0;
}

static int
cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->corrected != y->corrected)
		return x->corrected < y->corrected ? -1 : 1;
	return x->score > y->score ? -1 : x->score < y->score;
}

/* Canary tokens of every recipient of every artifact with canaries. */
static int scan_canaries(struct tracer *t, json_t *hits);

struct hit_ctx {
	struct tracer *t;
	json_t *hits;
};

static int
on_hit(const struct canary_hit *h, void *arg)
{
	struct hit_ctx *c = arg;
	const struct entry *e = &c->t->e[h->artifact];
	json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "file", h->name,
	    "line", (json_int_t)h->line, "partner", c->t->ps[h->partner].id,
	    "advisory", e->art.advisory_id, "artifact", e->art.name, "form",
	    canary_form_name(h->form));

	if (o == NULL)
		return EMB_ENOMEM;
	if (h->log.time_ms != LOGREAD_TIME_NONE)
		json_object_set_new(o, "time", core_json_time(h->log.time_ms));
	if (h->log.client[0] != '\0')
		json_object_set_new(o, "client", json_string(h->log.client));
	if (json_array_size(c->hits) < 10000)
		json_array_append(c->hits, o);
	json_decref(o);
	return 0;
}

static int
scan_canaries(struct tracer *t, json_t *hits)
{
	struct canary_set *cs = NULL;
	struct canary_db *db = NULL;
	struct canary_scanner *sc = NULL;
	struct canary_opts copts = {0};
	struct hit_ctx hc = {t, hits};
	struct buf tok;
	int r;

	if ((r = canary_set_new(&cs)) < 0)
		return emb_error_code(t->err, r);
	buf_init(&tok, MARK_CANARY_MAX + 1);
	for (size_t i = 0; i < t->ne; i++) {
		struct entry *e = &t->e[i];
		unsigned fmts = 0;
		if (e->art.mark == STORE_MARK_NONE)
			continue;
		if (!e->prepared) {
			if ((r = core_mark_prepare(t->inst->keys, &e->art,
			         e->plain.data, e->plain.len, &e->ma, t->err)) <
			    0)
				goto out;
			e->prepared = true;
		}
		for (size_t k = 0; k < e->ma.set.nsites; k++)
			if (e->ma.set.sites[k].kind == MARK_CANARY)
				fmts |= 1u << e->ma.set.sites[k].canary_fmt;
		for (size_t j = 0; fmts && j < e->nrcpt; j++) {
			for (unsigned f = 0; f < MARK_CANARY_FMT_COUNT; f++) {
				if (!(fmts & (1u << f)))
					continue;
				tok.len = 0;
				if ((r = mark_canary_token(t->inst->keys,
				         e->ma.ident,
				         t->ps[e->rcpt[j].partner].id,
				         (enum mark_canary_fmt)f, &tok)) < 0 ||
				    (r = canary_set_add_rendered(cs,
				         (enum mark_canary_fmt)f,
				         (const char *)tok.data, tok.len,
				         (uint32_t)e->rcpt[j].partner,
				         (uint32_t)i)) < 0) {
					r = emb_error_code(t->err, r);
					goto out;
				}
			}
		}
	}
	if (canary_set_count(cs) == 0) {
		r = 0;
		goto out;
	}
	if ((r = canary_db_build(cs, &db, t->err)) < 0 ||
	    (r = canary_scanner_new(db, on_hit, &hc, &sc)) < 0) {
		r = emb_error_code(t->err, r);
		goto out;
	}
	copts.progress = t->o->progress;
	copts.progress_arg = t->o->progress_arg;
	for (size_t i = 0; i < t->o->nsamples + t->o->nlogs; i++) {
		const char *path = i < t->o->nsamples
		    ? t->o->samples[i]
		    : t->o->logs[i - t->o->nsamples];
		if ((r = canary_scan_file(sc, path, &copts)) < 0) {
			r = emb_error_set(t->err, r, "cannot scan %s: %s", path,
			    emb_strerror(r));
			goto out;
		}
	}
	r = 0;
out:
	canary_scanner_free(sc);
	canary_db_free(db);
	canary_set_free(cs);
	buf_fini(&tok);
	return r;
}

/* Derivation, extraction and accusation for one sample. */
static int
trace_sample(struct tracer *t, const char *path, json_t *samples,
    json_t *cands_out, bool *accused_any, size_t nsamples)
{
	struct buf data;
	struct trace_derive_result dr = {0};
	struct accusation acc = {0};
	struct cand *c;
	size_t nc;
	enum mark_lang lang;
	json_t *derivs = json_array(), *arts = json_array();
	uint8_t digest[32];
	char hex[65];
	int r;

	buf_init(&data, CORE_SAMPLE_MAX);
	r = buf_read_file(&data, path);
	if (r == EMB_ETOOBIG) {
		r = emb_error_set(t->err, r,
		    "sample %s is larger than %u bytes", path, CORE_SAMPLE_MAX);
		goto out;
	}
	if (r < 0) {
		r = emb_error_set(t->err, r, "cannot read sample %s", path);
		goto out;
	}
	lang = mark_lang_detect(path, data.data, data.len);
	crypto_sha256(data.data, data.len, digest);
	emb_hex(digest, 32, hex);
	for (size_t i = 0; i < t->ne; i++)
		t->e[i].derived = false;
	/* Compare each artifact in its own language: a leaked PoC often
	 * arrives without its name or extension. */
	if ((r = trace_index_query(t->ix,
	         data.data ? data.data : (const uint8_t *)"", data.len,
	         TRACE_LANG_AUTO, &dr)) < 0) {
		r = emb_error_set(
		    t->err, r, "cannot analyse %s: %s", path, emb_strerror(r));
		goto out;
	}
	for (size_t k = 0; k < dr.n; k++) {
		const struct trace_derivation *d = &dr.v[k];
		struct entry *e = &t->e[d->doc];
		bool same = crypto_equal(digest, e->art.sha256, 32);
		if (!d->derived && !same && d->shared == 0)
			continue;
		json_array_append_new(derivs,
		    json_pack("{s:s, s:s, s:s, s:b, s:f, s:f, s:I, s:I, s:b}",
		        "advisory", e->art.advisory_id, "artifact", e->art.name,
		        "language", mark_lang_name(d->lang), "derived",
		        d->derived || same, "artifact_contained",
		        d->art_contained, "sample_contained", d->smp_contained,
		        "shared_fingerprints", (json_int_t)d->shared,
		        "literals", (json_int_t)d->literals, "identical",
		        same));
		if (d->derived || same)
			e->derived = true;
	}
	/* Extraction for every derived artifact. */
	for (size_t i = 0; i < t->ne; i++) {
		struct entry *e = &t->e[i];
		struct trace_tokens st;
		size_t coded = 0;
		int nread;
		if (!e->derived)
			continue;
		if ((r = prepare_entry(t, e)) < 0)
			goto out;
		if ((r = trace_tokens_scan(e->ma.lang,
		         data.data ? data.data : (const uint8_t *)"", data.len,
		         &st)) < 0) {
			r = emb_error_code(t->err, r);
			goto out;
		}
		nread = extract_sites(&e->ma.set, e->ma.lang, &e->toks,
		    data.data ? data.data : (const uint8_t *)"", data.len, &st,
		    e->observed);
		trace_tokens_fini(&st);
		if (nread < 0) {
			r = emb_error_code(t->err, nread);
			goto out;
		}
		for (size_t k = 0; k < e->ma.set.nsites; k++)
			coded += e->ma.set.sites[k].q >= 2;
		json_array_append_new(arts,
		    json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "advisory",
		        e->art.advisory_id, "artifact", e->art.name, "language",
		        mark_lang_name(e->ma.lang), "sites", (json_int_t)coded,
		        "read", (json_int_t)nread, "recipients",
		        (json_int_t)e->nrcpt));
	}
	/* Candidates: recipients of a derived artifact, in time. */
	acc.t = t;
	if ((r = accuse(&acc, nsamples)) < 0) {
		r = emb_error_code(t->err, r);
		goto out;
	}
	c = acc.c;
	nc = acc.nc;
	qsort(c, nc, sizeof(*c), cand_cmp);
	for (size_t k = 0; k < nc; k++) {
		const char *status = c[k].round ? "accused"
		    : c[k].suspect              ? "suspect"
		                                : "cleared";
		if (c[k].round)
			*accused_any = true;
		json_array_append_new(cands_out,
		    json_pack("{s:s, s:s, s:s, s:f, s:I, s:I, s:f, s:f, s:i}",
		        "sample", path, "partner", t->ps[c[k].partner].id,
		        "status", status, "score", c[k].score, "sites",
		        (json_int_t)c[k].sites, "agree", (json_int_t)c[k].agree,
		        "bound", c[k].bound, "corrected", c[k].corrected,
		        "round", c[k].round));
	}
	json_array_append_new(samples,
	    json_pack("{s:s, s:s, s:I, s:s, s:o, s:o, s:I}", "file", path,
	        "language", mark_lang_name(lang), "bytes", (json_int_t)data.len,
	        "sha256", hex, "derivations", derivs, "artifacts", arts,
	        "candidates", (json_int_t)nc));
	derivs = arts = NULL;
	r = 0;
out:
	json_decref(derivs);
	json_decref(arts);
	trace_derive_result_fini(&dr);
	buf_fini_wipe(&data);
	accusation_fini(&acc);
	free(acc.c);
	return r;
}

int
core_trace(struct emb_instance *inst, const char *actor,
    const struct core_trace_opts *o, int64_t now, json_t **ret,
    struct emb_error *err)
{
	struct tracer t;
	json_t *samples = json_array(), *cands = json_array(),
	       *hits = json_array(), *accused, *suspects, *rep = NULL;
	const char *verdict;
	bool accused_any = false, derived_any = false;
	size_t k;
	json_t *v;
	int r;

	memset(&t, 0, sizeof(t));
	t.inst = inst;
	t.o = o;
	t.err = err;
	if (o->nsamples == 0 && o->nlogs == 0) {
		r = emb_error_set(err, EMB_EINVAL, "nothing to trace");
		goto out;
	}
	if (!(o->alpha > 0 && o->alpha < 1)) {
		r = emb_error_set(
		    err, EMB_EINVAL, "alpha must be between 0 and 1");
		goto out;
	}
	if ((r = core_partner_list(inst, &t.ps, &t.nps, err)) < 0 ||
	    (r = load_artifacts(&t)) < 0 || (r = load_recipients(&t)) < 0)
		goto out;
	for (size_t i = 0; i < o->nsamples; i++)
		if ((r = trace_sample(&t, o->samples[i], samples, cands,
		         &accused_any, o->nsamples)) < 0)
			goto out;
	if ((r = scan_canaries(&t, hits)) < 0)
		goto out;
	accused = json_array();
	suspects = json_array();
	json_array_foreach(cands, k, v)
	{
		const char *st =
		    json_string_value(json_object_get(v, "status"));
		json_t *pid = json_object_get(v, "partner");
		json_t *into = strcmp(st, "accused") == 0 ? accused
		    : strcmp(st, "suspect") == 0          ? suspects
		                                          : NULL;
		bool dup = false;
		size_t j;
		json_t *w;
		if (into == NULL)
			continue;
		json_array_foreach(into, j, w) dup |= json_equal(w, pid);
		if (!dup)
			json_array_append(into, pid);
	}
	json_array_foreach(hits, k, v)
	{
		json_t *pid = json_object_get(v, "partner");
		bool dup = false;
		size_t j;
		json_t *w;
		json_array_foreach(accused, j, w) dup |= json_equal(w, pid);
		if (!dup)
			json_array_append(accused, pid);
	}
	json_array_foreach(samples, k, v)
	{
		size_t j;
		json_t *d;
		json_array_foreach(json_object_get(v, "derivations"), j, d)
		    derived_any |= json_is_true(json_object_get(d, "derived"));
	}
	verdict = json_array_size(accused) ? "accused"
	    : json_array_size(suspects)    ? "suspects"
	    : derived_any                  ? "derived, no partner identified"
	                                   : "not derived from any artifact";
	rep = json_pack("{s:s, s:o, s:o, s:f, s:f, s:o, s:o, s:o, s:o, s:o}",
	    "verdict", verdict, "accused", accused, "suspects", suspects,
	    "alpha", o->alpha, "suspect_threshold", CORE_SUSPECT, "traced_at",
	    core_json_time(now), "seen_at",
	    o->seen_at ? core_json_time(o->seen_at) : json_null(), "samples",
	    samples, "candidates", cands, "canaries", hits);
	samples = cands = hits = NULL;
	if (rep == NULL) {
		r = emb_error_code(err, EMB_ENOMEM);
		goto out;
	}
	/* The investigation itself goes on the record. */
	if ((r = core_tx_begin(inst, err)) < 0 ||
	    (r = core_tx_commit(inst, actor, now, "trace", "trace",
	         json_pack("{s:i, s:i, s:s, s:O}", "samples", (int)o->nsamples,
	             "logs", (int)o->nlogs, "verdict", verdict, "accused",
	             json_object_get(rep, "accused")),
	         err)) < 0) {
		json_decref(rep);
		goto out;
	}
	*ret = rep;
	r = 0;
out:
	json_decref(samples);
	json_decref(cands);
	json_decref(hits);
	tracer_fini(&t);
	return r;
}
