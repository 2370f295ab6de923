/*
 * The derivation index.  Containment, not resemblance: Broder's
 * containment c(A, B) = |F(A) & F(B)| / |F(A)| of one fingerprint set
 * in another (A. Broder, "On the resemblance and containment of
 * documents", SEQUENCES 1997) measured both ways, because the two ways
 * answer different leaks.  A leaker who copies 40% of a PoC into a large
 * tool of his own leaves a sample that contains a good part of the
 * artifact but is mostly something else; one who posts a fragment of a
 * long artifact leaves a sample made mostly of the artifact.  A symmetric
 * similarity (Jaccard, or Dolos' similarity) is low in both cases.
 *
 * Fingerprints are the winnowed k-gram hashes of trace/winnow.c, so both
 * ways are robust to renaming, reformatting and comment stripping;
 * partial copying and reordering lose only the k-grams that straddle a
 * cut.  Derivation is decided on those structural fingerprints alone,
 * and only on the aligned ones: shared fingerprints that form runs
 * following each other in both texts.  A copy, even partial, reordered
 * or embedded, keeps its passages in order, so its matches come in long
 * runs; chance matches between unrelated code of one language (idioms,
 * declarations) are scattered.  A floor on the absolute number keeps
 * short texts from reaching a high fraction by chance.  Shared rare
 * literals are counted and reported, but do not decide: code that merely
 * targets the same bug shares its URLs, paths and magic values with the
 * PoC.  The cut-offs are in derive.h, their calibration in
 * docs/derivation.md.
 *
 * Layout.  Each distinct fingerprint of each artifact is one posting
 * (hash, artifact, span) of 16 bytes plus an 8-byte byte span; the
 * postings are kept sorted by hash (a stable LSD radix sort, so postings
 * of one hash stay in artifact order) with a directory on the top bits of
 * the hash, so a lookup is one directory read and a short scan.  Adding
 * artifacts appends unsorted postings; the next query sorts again.  A
 * query costs one tokenisation and winnowing of the sample per language
 * in play plus one lookup per distinct sample fingerprint, and a counter
 * per artifact touched.
 */
#include <stdlib.h>
#include <string.h>

#include "trace/derive.h"
#include "trace/tokens.h"
#include "trace/winnow.h"
#include "common/emb.h"

#define POSTINGS_MAX (1u << 30)

struct posting {
	uint64_t hash;
	uint32_t doc;
	uint32_t span; /* index in ix->spans */
};

struct span {
	uint32_t off, len;
};

struct table {
	struct posting *v;
	size_t n, cap;
	size_t sorted; /* v[0..sorted) is sorted and indexed */
	uint32_t *dir; /* 2^bits + 1 bucket starts */
	unsigned bits;
};

struct doc {
	char *name;
	enum mark_lang lang;
	uint32_t nfp; /* distinct fingerprints */
	uint32_t nlit; /* distinct literals */
	uint32_t span0; /* spans[span0 + r]: its fingerprint of rank r */
};

struct trace_index {
	struct doc *docs;
	size_t ndocs, capdocs;
	struct span *spans;
	size_t nspans, capspans;
	struct table fp, lit;
	/* Per-query scratch, one slot per artifact, zero between queries. */
	uint32_t *shared, *lits, *slot;
	size_t capscratch;
};

/* One fingerprinted sample, in one language. */
struct sample {
	enum mark_lang lang;
	struct trace_fp *fp; /* distinct by hash, sorted by hash */
	size_t nfp;
	struct trace_fp *lit;
	size_t nlit;
	struct span *fpspan; /* byte span of fp[i] */
	uint32_t *rank; /* rank of fp[i] in text order */
};

/* A fingerprint shared by a candidate artifact and the sample. */
struct match {
	uint32_t a; /* rank in the artifact */
	uint32_t i; /* index in the sample's fp (by hash) */
};

static int
grow(void **p, size_t *cap, size_t need, size_t size, size_t max)
{
	size_t c = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	if (need > max)
		return EMB_ETOOBIG;
	while (c < need)
		c *= 2;
	if (c > max)
		c = max;
	q = realloc(*p, c * size);
	if (q == NULL)
		return EMB_ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

int
trace_index_new(struct trace_index **ret)
{
	struct trace_index *ix = calloc(1, sizeof(*ix));

	if (ix == NULL)
		return EMB_ENOMEM;
	*ret = ix;
	return 0;
}

void
trace_index_free(struct trace_index *ix)
{
	if (ix == NULL)
		return;
	for (size_t i = 0; i < ix->ndocs; i++)
		free(ix->docs[i].name);
	free(ix->docs);
	free(ix->spans);
	free(ix->fp.v);
	free(ix->fp.dir);
	free(ix->lit.v);
	free(ix->lit.dir);
	free(ix->shared);
	free(ix->lits);
	free(ix->slot);
	free(ix);
}

size_t
trace_index_count(const struct trace_index *ix)
{
	return ix->ndocs;
}

size_t
trace_index_bytes(const struct trace_index *ix)
{
	size_t b = sizeof(*ix);

	b += ix->capdocs * sizeof(*ix->docs);
	for (size_t i = 0; i < ix->ndocs; i++)
		b += strlen(ix->docs[i].name) + 1;
	b += ix->capspans * sizeof(*ix->spans);
	b += (ix->fp.cap + ix->lit.cap) * sizeof(struct posting);
	if (ix->fp.dir != NULL)
		b += ((size_t)1 << ix->fp.bits) * sizeof(uint32_t);
	if (ix->lit.dir != NULL)
		b += ((size_t)1 << ix->lit.bits) * sizeof(uint32_t);
	b += 3 * ix->capscratch * sizeof(uint32_t);
	return b;
}

static int
fp_cmp(const void *a, const void *b)
{
	const struct trace_fp *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Sort by hash and keep the first occurrence of each; returns the count. */
static size_t
dedupe(struct trace_fp *v, size_t n)
{
	size_t m = 0;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), fp_cmp);
	for (size_t i = 1; i < n; i++)
		if (v[i].hash != v[m].hash)
			v[++m] = v[i];
	return m + 1;
}

static struct span
span_of(const struct trace_tokens *t, const struct trace_fp *f)
{
	const struct trace_tok *a = &t->v[f->first], *b = &t->v[f->last];

	return (struct span){a->off, b->off + b->len - a->off};
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Replace distinct keys k[0..n) by their ranks 0..n-1. */
static int
rank_in_place(uint32_t *k, size_t n)
{
	uint64_t *t = malloc(n * sizeof(*t));

	if (t == NULL)
		return EMB_ENOMEM;
	for (size_t i = 0; i < n; i++)
		t[i] = (uint64_t)k[i] << 32 | i;
	qsort(t, n, sizeof(*t), u64_cmp);
	for (size_t r = 0; r < n; r++)
		k[(uint32_t)t[r]] = (uint32_t)r;
	free(t);
	return 0;
}

static int
first_cmp(const void *a, const void *b)
{
	const struct trace_fp *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* Fingerprint text as lang into s (fp and lit distinct, sorted). */
static int
sample_make(
    enum mark_lang lang, const uint8_t *text, size_t len, struct sample *s)
{
	struct trace_tokens toks = {0};
	struct trace_fps f = {0};
	int r;

	memset(s, 0, sizeof(*s));
	s->lang = lang;
	if ((r = trace_tokens_scan(lang, text, len, &toks)) < 0)
		return r;
	if ((r = trace_winnow(&toks, text, len, NULL, &f)) < 0)
		goto out;
	s->nfp = dedupe(f.fp, f.nfp);
	s->nlit = dedupe(f.lit, f.nlit);
	if (s->nfp > 0) {
		s->fpspan = malloc(s->nfp * sizeof(*s->fpspan));
		s->rank = malloc(s->nfp * sizeof(*s->rank));
		if (s->fpspan == NULL || s->rank == NULL) {
			r = EMB_ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < s->nfp; i++) {
			s->fpspan[i] = span_of(&toks, &f.fp[i]);
			/* first token of fp i: its text-order key */
			s->rank[i] = f.fp[i].first;
		}
		if ((r = rank_in_place(s->rank, s->nfp)) < 0)
			goto out;
	}
	/* Literal spans are not needed: keep only the hashes. */
	s->fp = f.fp;
	s->lit = f.lit;
	f.fp = f.lit = NULL;
	r = 0;
out:
	trace_fps_fini(&f);
	trace_tokens_fini(&toks);
	return r;
}

static void
sample_fini(struct sample *s)
{
	free(s->fp);
	free(s->lit);
	free(s->fpspan);
	free(s->rank);
	memset(s, 0, sizeof(*s));
}

int
trace_index_add(struct trace_index *ix, const char *name, enum mark_lang lang,
    const uint8_t *text, size_t len)
{
	struct trace_tokens toks = {0};
	struct trace_fps f = {0};
	struct doc *d;
	size_t nfp, nlit, nname;
	uint32_t doc;
	int r;

	if (name == NULL)
		name = "";
	nname = strnlen(name, TRACE_NAME_MAX + 1);
	if (nname > TRACE_NAME_MAX || (unsigned)lang >= MARK_LANG_COUNT)
		return EMB_EINVAL;
	if (ix->ndocs >= TRACE_DOCS_MAX)
		return EMB_ETOOBIG;
	if ((r = trace_tokens_scan(lang, text, len, &toks)) < 0)
		return r;
	if ((r = trace_winnow(&toks, text, len, NULL, &f)) < 0)
		goto out;
	nfp = dedupe(f.fp, f.nfp);
	nlit = dedupe(f.lit, f.nlit);
	if ((r = grow((void **)&ix->docs, &ix->capdocs, ix->ndocs + 1,
	         sizeof(*ix->docs), TRACE_DOCS_MAX)) < 0 ||
	    (r = grow((void **)&ix->spans, &ix->capspans, ix->nspans + nfp,
	         sizeof(*ix->spans), POSTINGS_MAX)) < 0 ||
	    (r = grow((void **)&ix->fp.v, &ix->fp.cap, ix->fp.n + nfp,
	         sizeof(*ix->fp.v), POSTINGS_MAX)) < 0 ||
	    (r = grow((void **)&ix->lit.v, &ix->lit.cap, ix->lit.n + nlit,
	         sizeof(*ix->lit.v), POSTINGS_MAX)) < 0)
		goto out;
	d = &ix->docs[ix->ndocs];
	d->name = malloc(nname + 1);
	if (d->name == NULL) {
		r = EMB_ENOMEM;
		goto out;
	}
	memcpy(d->name, name, nname);
	d->name[nname] = '\0';
	d->lang = lang;
	d->nfp = (uint32_t)nfp;
	d->nlit = (uint32_t)nlit;
	d->span0 = (uint32_t)ix->nspans;
	doc = (uint32_t)ix->ndocs++;
	/* Spans in text order, so that span - span0 is the rank. */
	if (nfp > 1)
		qsort(f.fp, nfp, sizeof(*f.fp), first_cmp);
	for (size_t i = 0; i < nfp; i++) {
		ix->spans[ix->nspans] = span_of(&toks, &f.fp[i]);
		ix->fp.v[ix->fp.n++] =
		    (struct posting){f.fp[i].hash, doc, (uint32_t)ix->nspans++};
	}
	for (size_t i = 0; i < nlit; i++)
		ix->lit.v[ix->lit.n++] =
		    (struct posting){f.lit[i].hash, doc, 0};
	r = (int)doc;
out:
	trace_fps_fini(&f);
	trace_tokens_fini(&toks);
	return r;
}

/*
 * Sort the postings by hash (stable LSD radix sort, 8 bits a pass, so
 * postings of one hash stay in artifact order) and rebuild the
 * directory: dir[b] is the first posting whose top bits are >= b.
 */
static int
table_build(struct table *t)
{
	struct posting *tmp = NULL;
	uint32_t *dir = NULL;
	unsigned bits = 1;
	size_t cnt[256];
	int r = EMB_ENOMEM;

	if (t->sorted == t->n && t->dir != NULL)
		return 0;
	while (bits < 24 && ((size_t)1 << (bits + 2)) < t->n)
		bits++;
	dir = malloc((((size_t)1 << bits) + 1) * sizeof(*dir));
	if (t->n > 0)
		tmp = malloc(t->n * sizeof(*tmp));
	if (dir == NULL || (t->n > 0 && tmp == NULL))
		goto out;
	for (unsigned pass = 0; pass < 8 && t->n > 0; pass++) {
		unsigned sh = 8 * pass;
		size_t sum = 0;
		struct posting *swap;

		memset(cnt, 0, sizeof(cnt));
		for (size_t i = 0; i < t->n; i++)
			cnt[(t->v[i].hash >> sh) & 0xff]++;
		for (size_t b = 0; b < 256; b++) {
			size_t c = cnt[b];

			cnt[b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < t->n; i++)
			tmp[cnt[(t->v[i].hash >> sh) & 0xff]++] = t->v[i];
		swap = t->v;
		t->v = tmp;
		tmp = swap;
	}
	for (size_t b = 0, i = 0; b <= ((size_t)1 << bits); b++) {
		while (i < t->n && (t->v[i].hash >> (64 - bits)) < b)
			i++;
		dir[b] = (uint32_t)i;
	}
	free(t->dir);
	t->dir = dir;
	t->bits = bits;
	t->sorted = t->n;
	dir = NULL;
	r = 0;
out:
	free(tmp);
	free(dir);
	return r;
}

/* Postings [*lo, *hi) of hash h. */
static void
table_find(const struct table *t, uint64_t h, size_t *lo, size_t *hi)
{
	size_t b = (size_t)(h >> (64 - t->bits)), i = t->dir[b],
	       e = t->dir[b + 1];

	while (i < e && t->v[i].hash < h)
		i++;
	*lo = i;
	while (i < e && t->v[i].hash == h)
		i++;
	*hi = i;
}

static int
match_cmp(const void *a, const void *b)
{
	const struct match *x = a, *y = b;

	return x->a < y->a ? -1 : x->a > y->a;
}

/*
 * The aligned part of one artifact's matches m[0..n) (sorted by artifact
 * rank): the fingerprints in runs of at least TRACE_DERIVE_RUN that
 * follow each other in both texts, with gaps of at most TRACE_DERIVE_GAP
 * ranks (an edit costs a fingerprint or two).  A copied passage is one
 * long run; chance matches between unrelated code are isolated idioms.
 */
static uint32_t
aligned_count(const struct match *m, size_t n, const struct sample *s)
{
	uint32_t total = 0, run = 0;

	for (size_t j = 0; j < n; j++) {
		bool next = j > 0 && m[j].a - m[j - 1].a <= TRACE_DERIVE_GAP &&
		    s->rank[m[j].i] > s->rank[m[j - 1].i] &&
		    s->rank[m[j].i] - s->rank[m[j - 1].i] <= TRACE_DERIVE_GAP;

		if (!next) {
			if (run >= TRACE_DERIVE_RUN)
				total += run;
			run = 0;
		}
		run++;
	}
	if (run >= TRACE_DERIVE_RUN)
		total += run;
	return total;
}

/*
 * The matched passages of one artifact: its matches m[0..n) (sorted by
 * artifact rank, hence by artifact offset) as byte ranges, neighbours
 * that overlap or touch in both texts merged.  Writes at most n ranges to
 * out and returns the count.
 */
static size_t
ranges_of(const struct trace_index *ix, const struct doc *doc,
    const struct match *m, size_t n, const struct sample *s,
    struct trace_range *out)
{
	size_t k = 0;

	for (size_t j = 0; j < n; j++) {
		const struct span *as = &ix->spans[doc->span0 + m[j].a];
		const struct span *ss = &s->fpspan[m[j].i];
		struct trace_range *c = k > 0 ? &out[k - 1] : NULL;
		uint64_t aend, send, xsend = (uint64_t)ss->off + ss->len;

		if (c != NULL) {
			aend = (uint64_t)c->art_off + c->art_len;
			send = (uint64_t)c->smp_off + c->smp_len;
			if (as->off <= aend && ss->off <= send &&
			    xsend >= c->smp_off) {
				if ((uint64_t)as->off + as->len > aend)
					c->art_len =
					    as->off + as->len - c->art_off;
				if (ss->off < c->smp_off) {
					c->smp_len = (uint32_t)(send - ss->off);
					c->smp_off = ss->off;
				}
				send = (uint64_t)c->smp_off + c->smp_len;
				if (xsend > send)
					c->smp_len =
					    (uint32_t)(xsend - c->smp_off);
				continue;
			}
		}
		out[k++] =
		    (struct trace_range){as->off, as->len, ss->off, ss->len};
	}
	return k;
}

/* Size the per-artifact counters (all zero between queries). */
static int
scratch_fit(struct trace_index *ix)
{
	size_t c = ix->ndocs * 2;
	uint32_t *a, *b, *d;

	if (ix->ndocs <= ix->capscratch)
		return 0;
	if (c > TRACE_DOCS_MAX)
		c = TRACE_DOCS_MAX;
	a = calloc(c, sizeof(*a));
	b = calloc(c, sizeof(*b));
	d = calloc(c, sizeof(*d));
	if (a == NULL || b == NULL || d == NULL) {
		free(a);
		free(b);
		free(d);
		return EMB_ENOMEM;
	}
	free(ix->shared);
	free(ix->lits);
	free(ix->slot);
	ix->shared = a;
	ix->lits = b;
	ix->slot = d;
	ix->capscratch = c;
	return 0;
}

static int
deriv_cmp(const void *a, const void *b)
{
	const struct trace_derivation *x = a, *y = b;

	if (x->derived != y->derived)
		return x->derived ? -1 : 1;
	if (x->art_contained != y->art_contained)
		return x->art_contained > y->art_contained ? -1 : 1;
	if (x->shared != y->shared)
		return x->shared > y->shared ? -1 : 1;
	return x->doc < y->doc ? -1 : x->doc > y->doc;
}

/* Whether fractions of n of the artifact's and sample's pass the bar. */
static bool
passes(uint32_t n, uint32_t art_fps, uint32_t smp_fps)
{
	return n >= TRACE_DERIVE_MIN_SHARED &&
	    ((double)n >= TRACE_DERIVE_MIN_ART * art_fps ||
	        (double)n >= TRACE_DERIVE_MIN_SMP * smp_fps);
}

/* The sample fingerprinted in the language artifact lang is compared in. */
static const struct sample *
sample_for(const struct sample *smp, const int *slot, enum mark_lang qlang,
    enum mark_lang lang)
{
	return &smp[slot[qlang == TRACE_LANG_AUTO ? lang : qlang]];
}

/*
 * Collect the matches of every candidate artifact (ix->slot[d] = its
 * number + 1) into m, grouped by candidate: candidate c's matches start
 * at m + start[c].
 */
static void
collect_matches(const struct trace_index *ix, const struct sample *smp,
    size_t nsmp, size_t *fill, struct match *m)
{
	for (size_t k = 0; k < nsmp; k++) {
		const struct sample *s = &smp[k];

		for (size_t i = 0; i < s->nfp; i++) {
			size_t lo, hi;

			table_find(&ix->fp, s->fp[i].hash, &lo, &hi);
			for (size_t j = lo; j < hi; j++) {
				const struct posting *p = &ix->fp.v[j];
				uint32_t c = ix->slot[p->doc];

				if (c == 0)
					continue;
				m[fill[c - 1]++] = (struct match){
				    p->span - ix->docs[p->doc].span0,
				    (uint32_t)i};
			}
		}
	}
}

int
trace_index_query(struct trace_index *ix, const uint8_t *text, size_t len,
    enum mark_lang lang, struct trace_derive_result *ret)
{
	struct sample smp[MARK_LANG_COUNT];
	int slot[MARK_LANG_COUNT];
	struct trace_derive_result res = {0};
	uint32_t *touched = NULL;
	size_t *start = NULL, *fill = NULL;
	struct match *m = NULL;
	size_t nsmp = 0, ntouched = 0, ncand = 0, nmatch = 0;
	int r;

	memset(smp, 0, sizeof(smp));
	if ((unsigned)lang > TRACE_LANG_AUTO)
		return EMB_EINVAL;
	if (len > TRACE_TEXT_MAX)
		return EMB_ETOOBIG;
	if ((r = table_build(&ix->fp)) < 0 || (r = table_build(&ix->lit)) < 0 ||
	    (r = scratch_fit(ix)) < 0)
		return r;
	for (unsigned l = 0; l < MARK_LANG_COUNT; l++)
		slot[l] = -1;
	/* The languages to fingerprint the sample in. */
	for (size_t d = 0; d < ix->ndocs; d++) {
		enum mark_lang l =
		    lang == TRACE_LANG_AUTO ? ix->docs[d].lang : lang;

		if (slot[l] < 0)
			slot[l] = (int)nsmp++;
	}
	for (unsigned l = 0; l < MARK_LANG_COUNT; l++)
		if (slot[l] >= 0 &&
		    (r = sample_make(
		         (enum mark_lang)l, text, len, &smp[slot[l]])) < 0)
			goto out;
	touched = malloc((ix->ndocs ? ix->ndocs : 1) * sizeof(*touched));
	if (touched == NULL) {
		r = EMB_ENOMEM;
		goto out;
	}
	/*
	 * Count shared fingerprints per artifact.  Hashes are seeded by
	 * language, so a posting found through one language's sample belongs
	 * to an artifact of that language.  Literals are not seeded: count
	 * them through the artifact's own language only.
	 */
	for (size_t k = 0; k < nsmp; k++) {
		const struct sample *s = &smp[k];

		for (size_t i = 0; i < s->nfp; i++) {
			size_t lo, hi;

			table_find(&ix->fp, s->fp[i].hash, &lo, &hi);
			for (size_t j = lo; j < hi; j++) {
				uint32_t d = ix->fp.v[j].doc;

				if (ix->shared[d]++ == 0 && ix->lits[d] == 0)
					touched[ntouched++] = d;
			}
		}
		for (size_t i = 0; i < s->nlit; i++) {
			size_t lo, hi;

			table_find(&ix->lit, s->lit[i].hash, &lo, &hi);
			for (size_t j = lo; j < hi; j++) {
				uint32_t d = ix->lit.v[j].doc;

				if (lang == TRACE_LANG_AUTO &&
				    ix->docs[d].lang != s->lang)
					continue;
				if (ix->lits[d]++ == 0 && ix->shared[d] == 0)
					touched[ntouched++] = d;
			}
		}
	}
	if (ntouched > 0) {
		res.v = calloc(ntouched, sizeof(*res.v));
		start = calloc(ntouched, sizeof(*start));
		fill = calloc(ntouched, sizeof(*fill));
		if (res.v == NULL || start == NULL || fill == NULL) {
			r = EMB_ENOMEM;
			goto out;
		}
	}
	/*
	 * Raw containment for everyone; the candidates, whose raw counts
	 * pass the bar, are then checked for alignment.
	 */
	for (size_t t = 0; t < ntouched; t++) {
		uint32_t d = touched[t];
		const struct doc *doc = &ix->docs[d];
		const struct sample *s = sample_for(smp, slot, lang, doc->lang);
		struct trace_derivation *v = &res.v[res.n++];

		v->doc = d;
		v->name = doc->name;
		v->lang = doc->lang;
		v->art_fps = doc->nfp;
		v->smp_fps = (uint32_t)s->nfp;
		v->shared = ix->shared[d];
		v->art_contained =
		    doc->nfp ? (double)v->shared / doc->nfp : 0.0;
		v->smp_contained = s->nfp ? (double)v->shared / s->nfp : 0.0;
		v->art_lits = doc->nlit;
		v->literals = ix->lits[d];
		if (passes(v->shared, v->art_fps, v->smp_fps)) {
			start[ncand] = fill[ncand] = nmatch;
			nmatch += v->shared;
			ix->slot[d] = (uint32_t)++ncand;
		}
	}
	if (nmatch > 0) {
		m = malloc(nmatch * sizeof(*m));
		res.pool = malloc(nmatch * sizeof(*res.pool));
		if (m == NULL || res.pool == NULL) {
			r = EMB_ENOMEM;
			goto out;
		}
		collect_matches(ix, smp, nsmp, fill, m);
	}
	for (size_t t = 0; t < res.n; t++) {
		struct trace_derivation *v = &res.v[t];
		uint32_t c = ix->slot[v->doc];
		const struct sample *s = sample_for(smp, slot, lang, v->lang);
		struct match *mc;
		size_t nm;

		if (c == 0)
			continue;
		mc = m + start[c - 1];
		nm = fill[c - 1] - start[c - 1];
		qsort(mc, nm, sizeof(*mc), match_cmp);
		v->aligned = aligned_count(mc, nm, s);
		v->derived = passes(v->aligned, v->art_fps, v->smp_fps);
		if (v->derived) {
			v->ranges = res.pool + start[c - 1];
			v->nranges = ranges_of(
			    ix, &ix->docs[v->doc], mc, nm, s, v->ranges);
		}
	}
	if (res.n > 1)
		qsort(res.v, res.n, sizeof(*res.v), deriv_cmp);
	*ret = res;
	res = (struct trace_derive_result){0};
	r = 0;
out:
	for (size_t t = 0; t < ntouched; t++) {
		ix->shared[touched[t]] = 0;
		ix->lits[touched[t]] = 0;
		ix->slot[touched[t]] = 0;
	}
	trace_derive_result_fini(&res);
	for (size_t k = 0; k < nsmp; k++)
		sample_fini(&smp[k]);
	free(touched);
	free(start);
	free(fill);
	free(m);
	return r;
}

void
trace_derive_result_fini(struct trace_derive_result *r)
{
	if (r == NULL)
		return;
	free(r->v);
	free(r->pool);
	*r = (struct trace_derive_result){0};
}
