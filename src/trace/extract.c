#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "trace/extract.h"
#include "common/emb.h"

#define CTX 3 /* tokens of context on each side */
#define FRAG_TOKENS 24 /* most tokens a variant may span */
#define RAW_CTX 12 /* bytes of raw context for fragile spans */
#define PERMUTE_MIN 8 /* fewest tokens a block located alone needs */
#define CAND_MAX 4096 /* candidates examined per lookup */
#define CTX_WIDE 8 /* tokens of context to tell look-alikes apart */
#define BLOCK_PREFIX 16 /* tokens that locate a moved block */
#define COMBO_MAX 16 /* other sites' variant choices tried in a fragment */
#define FOREIGN_MAX 4 /* other sites inside one fragment */
#define WINDOW_MAX 4096 /* tokens of a permuted window read in place */

static uint64_t
ctx_of(const struct trace_tok *t)
{
	return t->abstract ? t->abstract : t->exact;
}

/* Hash of the context values of tokens [p, p + CTX). */
static uint64_t
kgram(const struct trace_tok *v, size_t p)
{
	uint64_t h = UINT64_C(1469598103934665603);

	for (size_t i = 0; i < CTX; i++)
		h = (h ^ ctx_of(&v[p + i])) * UINT64_C(1099511628211);
	return h | 1;
}

/* Chained hash index: k-gram hash at position p -> p. */
struct index {
	uint64_t *keys;
	uint32_t *head; /* per bucket: 1 + first position, 0: empty */
	uint32_t *next; /* per position: 1 + next position */
	size_t mask;
};

static int
index_build(struct index *ix, const struct trace_tokens *t)
{
	size_t nb = 1024;

	memset(ix, 0, sizeof(*ix));
	if (t->n > UINT32_MAX - 1)
		return EMB_ETOOBIG;
	while (nb < 2 * t->n)
		nb *= 2;
	ix->mask = nb - 1;
	ix->head = calloc(nb, sizeof(*ix->head));
	ix->keys = calloc(t->n + 1, sizeof(*ix->keys));
	ix->next = calloc(t->n + 1, sizeof(*ix->next));
	if (ix->head == NULL || ix->keys == NULL || ix->next == NULL)
		return EMB_ENOMEM;
	for (size_t p = 0; p + CTX <= t->n; p++) {
		uint64_t k = kgram(t->v, p);
		size_t b = (size_t)(k & ix->mask);
		ix->keys[p] = k;
		ix->next[p] = ix->head[b];
		ix->head[b] = (uint32_t)(p + 1);
	}
	return 0;
}

static void
index_fini(struct index *ix)
{
	free(ix->keys);
	free(ix->head);
	free(ix->next);
}

static bool
ctx_equal(
    const struct trace_tok *a, size_t pa, const struct trace_tok *b, size_t pb)
{
	for (size_t i = 0; i < CTX; i++)
		if (ctx_of(&a[pa + i]) != ctx_of(&b[pb + i]))
			return false;
	return true;
}

struct extractor;
static bool
strict_equal(const struct extractor *x, size_t o, size_t s, size_t n);

struct extractor {
	const struct mark_set *set;
	enum mark_lang lang;
	const struct trace_tokens *orig;
	const uint8_t *sample;
	size_t sample_len;
	const struct trace_tokens *st;
	struct index ix;
	bool *replaced; /* original tokens touched by a REPLACE span */
	size_t *prange; /* PERMUTE site i's tokens: [prange[2i], [2i + 1]) */
	uint64_t *ostrict, *sstrict; /* exact, strings by their body */
	struct mark_span *all; /* every span, sorted, for raw contexts */
	uint32_t *all_site; /* the site of each of all[] */
	size_t nall;
};

/*
 * A token's strict value: its exact hash, but a string by its body alone,
 * so a formatter that changes quote style keeps contexts intact.
 */
static uint64_t *
strict_values(const struct trace_tokens *t, const uint8_t *text)
{
	uint64_t *v = calloc(t->n + 1, sizeof(*v));

	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_tok *k = &t->v[i];
		if (k->type == TRACE_TOK_STRING && k->len > k->pre + k->post)
			v[i] = trace_hash(
			    text + k->off + k->pre, k->len - k->pre - k->post);
		else
			v[i] = k->exact;
	}
	return v;
}

/*
 * Whether original tokens [o, o + n) and sample tokens [s, s + n) agree:
 * tokens of the original that some site varies match anything, the
 * others must match strictly.
 */
static bool
strict_equal(const struct extractor *x, size_t o, size_t s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!x->replaced[o + i] &&
		    x->ostrict[o + i] != x->sstrict[s + i])
			return false;
	return true;
}

/* Tokens of the original overlapping [off, end): [*a, *b). */
static void
tokens_over(
    const struct trace_tokens *t, size_t off, size_t end, size_t *a, size_t *b)
{
	size_t i = trace_tokens_at(t, off);

	*a = i;
	while (i < t->n && t->v[i].off < end)
		i++;
	*b = i;
}

/*
 * Other REPLACE sites with spans inside the original bytes [lo, hi) (a
 * renamed name inside the same word as a brace), at most FOREIGN_MAX:
 * their indices into *f, how many choices of their variants together
 * into *combos (1 when there are none, or too many to try: then the
 * original text stays).
 */
/* The first of the sorted spans x->all that starts at off or later. */
static size_t
first_span(const struct extractor *x, size_t off)
{
	size_t lo = 0, hi = x->nall;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->all[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t
foreign_sites(const struct extractor *x, const struct mark_site *s, size_t lo,
    size_t hi, uint32_t *f, size_t *combos)
{
	size_t nf = 0, c = 1;

	for (size_t i = first_span(x, lo); i < x->nall && x->all[i].off <= hi;
	     i++) {
		const struct mark_site *o = &x->set->sites[x->all_site[i]];
		bool seen = false;
		if (x->all[i].off + x->all[i].len > hi || o == s ||
		    o->shape != MARK_REPLACE || o->q < 2 ||
		    o->kind == MARK_CANARY)
			continue;
		for (size_t j = 0; j < nf; j++)
			seen = seen || f[j] == x->all_site[i];
		if (seen)
			continue;
		if (nf == FOREIGN_MAX || c * o->q > COMBO_MAX) {
			*combos = 1;
			return 0;
		}
		f[nf++] = x->all_site[i];
		c *= o->q;
	}
	*combos = c;
	return nf;
}

/*
 * Exact hashes of the tokens [a, b) of the original with variant v in
 * every span of site s from k0 to k1 - 1 (spans of one site that share
 * or touch tokens, like both quotes of a string, must change together),
 * and the other sites f[0..nf) inside at the variants choice combo picks.
 */
static int
variant_tokens(const struct extractor *x, size_t a, size_t b,
    const struct mark_site *s, uint32_t k0, uint32_t k1, unsigned v,
    const uint32_t *f, size_t nf, size_t combo, uint64_t *out, size_t *ret_n)
{
	const struct trace_tok *ta = &x->orig->v[a], *tb = &x->orig->v[b - 1];
	const uint8_t *text = x->set->text;
	const struct mark_span *s0 = &x->set->spans[s->span0];
	size_t pos = ta->off, end = tb->off + tb->len, lo = pos, hi = end;
	unsigned fv[FOREIGN_MAX];
	struct trace_tokens ft;
	struct buf frag;
	int r = 0;

	for (size_t j = 0; j < nf; j++) {
		unsigned q = x->set->sites[f[j]].q;
		fv[j] = (unsigned)(combo % q);
		combo /= q;
	}
	for (uint32_t k = k0; k < k1; k++) {
		lo = s0[k].off < lo ? s0[k].off : lo;
		hi = s0[k].off + s0[k].len > hi ? s0[k].off + s0[k].len : hi;
	}
	buf_init(&frag, 1 << 16);
	/* Every span in the fragment, in text order: s's and the others'. */
	for (size_t i = first_span(x, lo);
	     i < x->nall && x->all[i].off <= hi && r == 0; i++) {
		const struct mark_span *sp = &x->all[i];
		const struct mark_site *o = &x->set->sites[x->all_site[i]];
		struct mark_text vt;
		size_t off, j = nf;
		if (o == s) {
			uint32_t k;
			/* all[] holds copies: find which span of s this is */
			for (k = k0; k < k1; k++)
				if (s0[k].off == sp->off &&
				    s0[k].len == sp->len)
					break;
			if (k == k1)
				continue;
			vt = mark_site_text(x->set, s, v, k);
		} else {
			uint32_t k;
			if (sp->off < pos || sp->off + sp->len > end)
				continue;
			for (j = 0; j < nf && f[j] != x->all_site[i]; j++)
				;
			if (j == nf)
				continue;
			for (k = 0; k < o->nspans; k++)
				if (x->set->spans[o->span0 + k].off == sp->off)
					break;
			vt = mark_site_text(x->set, o, fv[j], k);
		}
		off = sp->off > pos ? sp->off : pos;
		if ((r = buf_append(&frag, text + pos, off - pos)) == 0)
			r = buf_append(&frag, vt.p, vt.n);
		pos = sp->off + sp->len > pos ? sp->off + sp->len : pos;
	}
	if (r == 0 && end > pos)
		r = buf_append(&frag, text + pos, end - pos);
	if (r < 0) {
		buf_fini(&frag);
		return r;
	}
	r = trace_tokens_scan(x->lang,
	    frag.data ? frag.data : (const uint8_t *)"", frag.len, &ft);
	buf_fini(&frag);
	if (r < 0)
		return r;
	if (ft.n == 0 || ft.n > FRAG_TOKENS) {
		trace_tokens_fini(&ft);
		*ret_n = 0;
		return 0;
	}
	for (size_t i = 0; i < ft.n; i++)
		out[i] = ft.v[i].exact;
	*ret_n = ft.n;
	trace_tokens_fini(&ft);
	return 0;
}

/*
 * Whether some variant of span k of site s changes the strict value of
 * the tokens [a, b) it falls in (a quote-style choice does not: strings
 * compare by their body).  Such tokens are wildcards in contexts.
 */
static bool
changes_strict(struct extractor *x, const struct mark_site *s, uint32_t k,
    size_t a, size_t b)
{
	const struct trace_tok *t;

	(void)k;
	if (b != a + 1 || x->orig->v[a].type != TRACE_TOK_STRING)
		return a < b;
	t = &x->orig->v[a];
	for (unsigned v = 0; v < s->q; v++) {
		struct trace_tokens ft;
		struct buf frag;
		size_t pos = t->off;
		bool same, fail = false;
		/* Every span of the site inside this token takes variant v. */
		buf_init(&frag, 1 << 16);
		for (uint32_t j = 0; j < s->nspans && !fail; j++) {
			const struct mark_span *sj =
			    &x->set->spans[s->span0 + j];
			struct mark_text vt;
			if (sj->off < t->off ||
			    sj->off + sj->len > t->off + t->len)
				continue;
			vt = mark_site_text(x->set, s, v, j);
			fail = buf_append(&frag, x->set->text + pos,
			           sj->off - pos) < 0 ||
			    buf_append(&frag, vt.p, vt.n) < 0;
			pos = sj->off + sj->len;
		}
		if (fail ||
		    buf_append(
		        &frag, x->set->text + pos, t->off + t->len - pos) < 0 ||
		    trace_tokens_scan(x->lang, frag.data, frag.len, &ft) < 0) {
			buf_fini(&frag);
			return true;
		}
		same = ft.n == 1 && ft.v[0].type == TRACE_TOK_STRING &&
		    ft.v[0].len > ft.v[0].pre + ft.v[0].post &&
		    trace_hash(frag.data + ft.v[0].pre,
		        ft.v[0].len - ft.v[0].pre - ft.v[0].post) ==
		        x->ostrict[a];
		trace_tokens_fini(&ft);
		buf_fini(&frag);
		if (!same)
			return true;
	}
	return false;
}

/*
 * Whether CTX_WIDE tokens before original token a and sample token sa, or
 * after original token b and sample token sb, agree by context value.
 */
static bool
wide_agrees(const struct extractor *x, size_t a, size_t sa, size_t b, size_t sb)
{
	const struct trace_tok *ov = x->orig->v, *sv = x->st->v;
	bool left = a >= CTX_WIDE && sa >= CTX_WIDE,
	     right = b + CTX_WIDE <= x->orig->n && sb + CTX_WIDE <= x->st->n;

	for (size_t i = 0; i < CTX_WIDE && left; i++)
		left = ctx_of(&ov[a - CTX_WIDE + i]) ==
		    ctx_of(&sv[sa - CTX_WIDE + i]);
	for (size_t i = 0; i < CTX_WIDE && right; i++)
		right = ctx_of(&ov[b + i]) == ctx_of(&sv[sb + i]);
	return left || right;
}

/* REPLACE spans k0..k1-1 (tokens [a, b)) read by token context. */
static int
vote_tokens(struct extractor *x, const struct mark_site *s, uint32_t k0,
    uint32_t k1, size_t a, size_t b, unsigned *votes)
{
	const struct trace_tok *ov = x->orig->v, *sv = x->st->v;
	uint64_t ev[MARK_Q_MAX][COMBO_MAX][FRAG_TOKENS];
	size_t en[MARK_Q_MAX][COMBO_MAX], examined = 0, nm = 0, nf, nc;
	size_t mp[16], mq[16];
	unsigned mv[16];
	uint32_t f[FOREIGN_MAX];
	bool differ = false;
	uint64_t key;
	int r;

	if (a < CTX || b + CTX > x->orig->n)
		return 0;
	nf = foreign_sites(x, s, x->orig->v[a].off,
	    x->orig->v[b - 1].off + x->orig->v[b - 1].len, f, &nc);
	for (unsigned v = 0; v < s->q; v++)
		for (size_t c = 0; c < nc; c++) {
			if ((r = variant_tokens(x, a, b, s, k0, k1, v, f, nf, c,
			         ev[v][c], &en[v][c])) < 0)
				return r;
			if (en[v][c] == 0)
				return 0;
			/* The site's variants must tell apart whatever the
			 * other sites show. */
			for (unsigned w = 0; w < v; w++)
				for (size_t d = 0; d < nc; d++)
					if (en[w][d] == en[v][c] &&
					    memcmp(ev[w][d], ev[v][c],
					        en[v][c] * 8) == 0)
						return 0;
			differ = true;
		}
	if (!differ)
		return 0;
	key = kgram(ov, a - CTX);
	for (uint32_t h = x->ix.head[key & x->ix.mask]; h != 0;
	     h = x->ix.next[h - 1]) {
		size_t p = h - 1, q;
		if (++examined > CAND_MAX)
			break;
		if (x->ix.keys[p] != key || !ctx_equal(ov, a - CTX, sv, p) ||
		    !strict_equal(x, a - CTX, p, CTX))
			continue;
		q = p + CTX;
		for (unsigned v = 0; v < s->q; v++) {
			size_t c, k = 0, e = 0;
			for (c = 0; c < nc; c++) {
				e = en[v][c];
				if (q + e + CTX > x->st->n)
					continue;
				for (k = 0; k < e; k++)
					if (sv[q + k].exact != ev[v][c][k])
						break;
				if (k == e && ctx_equal(ov, b, sv, q + e) &&
				    strict_equal(x, b, q + e, CTX))
					break;
			}
			if (c == nc)
				continue;
			if (nm < EMB_ARRAY_LEN(mv)) {
				mv[nm] = v;
				mp[nm] = p;
				mq[nm] = q + e;
				nm++;
			}
			break;
		}
	}
	/*
	 * Several places look like this span (a name another function uses
	 * too): keep those whose wider context agrees as well, and vote only
	 * when they agree on the variant.
	 */
	if (nm > 1) {
		size_t w = 0;
		for (size_t i = 0; i < nm; i++)
			if (a >= CTX_WIDE && mp[i] + CTX >= CTX_WIDE &&
			    b + CTX_WIDE <= x->orig->n &&
			    mq[i] + CTX_WIDE <= x->st->n &&
			    strict_equal(x, a - CTX_WIDE,
			        mp[i] + CTX - CTX_WIDE, CTX_WIDE) &&
			    strict_equal(x, b, mq[i], CTX_WIDE)) {
				mv[w] = mv[i];
				w++;
			}
		nm = w;
	}
	/*
	 * A single place: the span may still have moved to where another
	 * site's look-alike sits (a declaration reordered next to a twin),
	 * so the wider context must agree on one side at least, by token
	 * kind (names renamed by the leaker still agree).
	 */
	if (nm == 1 && !wide_agrees(x, a, mp[0] + CTX, b, mq[0]))
		nm = 0;
	for (size_t i = 1; i < nm; i++)
		if (mv[i] != mv[0])
			return 0;
	if (nm > 0)
		votes[mv[0]]++;
	return 0;
}

/* One span outside any token, read by its bytes and raw context. */
static void
vote_raw(const struct extractor *x, const struct mark_site *s,
    const struct mark_span *sp, unsigned *votes)
{
	const uint8_t *t = x->set->text;
	size_t lo = sp->off, hi = sp->off + sp->len, l, r;
	struct buf pat;

	/* Context stops at neighbouring spans, which vary per copy. */
	l = lo > RAW_CTX ? lo - RAW_CTX : 0;
	r = hi + RAW_CTX < x->set->len ? hi + RAW_CTX : x->set->len;
	for (size_t i = 0; i < x->nall; i++) {
		size_t e = x->all[i].off + x->all[i].len;
		if (e <= lo && e > l)
			l = e;
		if (x->all[i].off >= hi && x->all[i].off < r)
			r = x->all[i].off;
	}
	if (lo - l < 4 || r - hi < 4)
		return;
	for (unsigned v = 0; v < s->q; v++) {
		struct mark_text vt = mark_site_text(
		    x->set, s, v, (unsigned)(sp - &x->set->spans[s->span0]));
		buf_init(&pat, 4096);
		if (buf_append(&pat, t + l, lo - l) == 0 &&
		    buf_append(&pat, vt.p, vt.n) == 0 &&
		    buf_append(&pat, t + hi, r - hi) == 0 &&
		    memmem(x->sample, x->sample_len, pat.data, pat.len) != NULL)
			votes[v]++;
		buf_fini(&pat);
	}
}

static int
read_replace(struct extractor *x, const struct mark_site *s, int *ret)
{
	unsigned votes[MARK_Q_MAX] = {0}, total = 0, best = 0;
	int r;

	for (uint32_t k = 0; k < s->nspans;) {
		const struct mark_span *sp = &x->set->spans[s->span0 + k];
		uint32_t k1 = k + 1;
		size_t a, b, a2, b2;
		tokens_over(x->orig, sp->off, sp->off + sp->len, &a, &b);
		if (a == b || s->kind == MARK_FRAGILE) {
			vote_raw(x, s, sp, votes);
			k++;
			continue;
		}
		/* Later spans in the same or the next token go with it. */
		while (k1 < s->nspans) {
			const struct mark_span *sq =
			    &x->set->spans[s->span0 + k1];
			if (sq->off < sp->off)
				break;
			tokens_over(
			    x->orig, sq->off, sq->off + sq->len, &a2, &b2);
			if (a2 == b2 || a2 > b)
				break;
			if (b2 > b)
				b = b2;
			k1++;
		}
		if ((r = vote_tokens(x, s, k, k1, a, b, votes)) < 0)
			return r;
		k = k1;
	}
	for (unsigned v = 0; v < s->q; v++) {
		total += votes[v];
		if (votes[v] > votes[best])
			best = v;
	}
	*ret = total > 0 && 3 * votes[best] >= 2 * total ? (int)best : -1;
	return 0;
}

/* Where the block [a, b) of the original occurs in the sample, or -1. */
static long
find_block(const struct extractor *x, size_t a, size_t b)
{
	const struct trace_tok *ov = x->orig->v, *sv = x->st->v;
	size_t examined = 0, found = 0;
	long where = -1;
	uint64_t key;

	if (b - a < PERMUTE_MIN || b - a < CTX)
		return -1;
	if (b - a > BLOCK_PREFIX)
		b = a + BLOCK_PREFIX; /* tolerate edits further in */
	key = kgram(ov, a);
	for (uint32_t h = x->ix.head[key & x->ix.mask]; h != 0;
	     h = x->ix.next[h - 1]) {
		size_t p = h - 1, k;
		if (++examined > CAND_MAX)
			return -1;
		if (x->ix.keys[p] != key || p + (b - a) > x->st->n)
			continue;
		for (k = 0; k < b - a; k++) {
			const struct trace_tok *o = &ov[a + k], *t = &sv[p + k];
			if (x->replaced[a + k] ? ctx_of(o) != ctx_of(t)
			                       : o->exact != t->exact)
				break;
		}
		if (k == b - a) {
			found++;
			where = (long)p;
		}
	}
	return found == 1 ? where : -1; /* absent or ambiguous */
}

/*
 * wild[t - lo] for the original tokens [lo, hi) of site self: whether t
 * lies inside another PERMUTE site nested in that range.  Its order varies
 * per copy on its own, so it matches anything there (the range keeps its
 * length).
 */
static void
nested_permuted(
    const struct extractor *x, size_t self, size_t lo, size_t hi, bool *wild)
{
	memset(wild, 0, hi - lo);
	for (size_t i = 0; i < x->set->nsites; i++) {
		size_t a = x->prange[2 * i], b = x->prange[2 * i + 1];
		if (i != self && a < b && a >= lo && b <= hi &&
		    (a > lo || b < hi))
			memset(wild + (a - lo), 1, b - a);
	}
}

/*
 * Whether the sample, from token q on, shows site s's blocks in the order
 * of variant v: *end gets the sample token after the last block.
 */
static bool
window_matches(const struct extractor *x, const bool *wild, const size_t *a,
    const size_t *b, size_t n, unsigned v, size_t q, size_t *end)
{
	const struct trace_tok *ov = x->orig->v, *sv = x->st->v;
	const uint8_t *perm = mark_permutation((unsigned)n, v);
	bool ok = true;

	if (q + (b[n - 1] - a[0]) > x->st->n)
		return false;
	/*
	 * Slot k shows block perm[k]; gaps stay in place.  Each block must
	 * show one word, name, number or string of its own exactly: blocks
	 * of wildcards alone (renamed names, re-cased hex strings) would
	 * match a neighbour's.
	 */
	for (size_t k = 0; k < n && ok; k++) {
		size_t src = perm[k], solid = 0;
		for (size_t t = a[src]; t < b[src] && ok; t++, q++) {
			if (wild[t - a[0]])
				continue;
			if (x->replaced[t]) {
				ok = ctx_of(&ov[t]) == ctx_of(&sv[q]);
				continue;
			}
			ok = x->ostrict[t] == x->sstrict[q];
			solid += ov[t].type != TRACE_TOK_PUNCT;
		}
		ok = ok && solid > 0;
		if (k + 1 < n)
			for (size_t t = b[k]; t < a[k + 1] && ok; t++, q++)
				ok = wild[t - a[0]] ||
				    ctx_of(&ov[t]) == ctx_of(&sv[q]);
	}
	*end = q;
	return ok;
}

/*
 * Read a PERMUTE site in place: the tokens from its first span to its
 * last, anchored by the tokens before it, compared with the order each
 * variant would give.  Works for short blocks (modifiers, meta lines)
 * that cannot be located on their own.
 */
static int
read_permute_window(const struct extractor *x, const struct mark_site *s)
{
	const struct trace_tok *ov = x->orig->v, *sv = x->st->v;
	size_t a[3] = {0}, b[3] = {0}, n = s->nspans, len = 0;
	size_t self = (size_t)(s - x->set->sites);
	unsigned votes[MARK_Q_MAX] = {0}, total = 0, best = 0;
	bool found = false, wild[WINDOW_MAX];

	for (size_t k = 0; k < n; k++) {
		const struct mark_span *sp = &x->set->spans[s->span0 + k];
		tokens_over(x->orig, sp->off, sp->off + sp->len, &a[k], &b[k]);
		if (a[k] == b[k] || (k > 0 && a[k] < b[k - 1]))
			return -1;
	}
	len = b[n - 1] - a[0];
	if (len > WINDOW_MAX)
		return -1;
	nested_permuted(x, self, a[0], b[n - 1], wild);
	/*
	 * Anchored by the tokens before the blocks, or, when those moved
	 * (the site sits at the edge of a block another site permutes), by
	 * the tokens after them.  A window long enough to stand for itself
	 * needs no anchor on its other side.
	 */
	for (int side = 0; side < 2; side++) {
		size_t examined = 0, at = side == 0 ? a[0] : b[n - 1];
		uint64_t key;
		if (side == 0 ? at < CTX : at + CTX > x->orig->n)
			continue;
		key = kgram(ov, side == 0 ? at - CTX : at);
		for (uint32_t h = x->ix.head[key & x->ix.mask]; h != 0;
		     h = x->ix.next[h - 1]) {
			size_t p = h - 1, q, end;
			unsigned matched = 0, which = 0;
			bool other;
			if (++examined > CAND_MAX)
				break;
			if (x->ix.keys[p] != key ||
			    !ctx_equal(ov, side == 0 ? at - CTX : at, sv, p) ||
			    !strict_equal(x, side == 0 ? at - CTX : at, p, CTX))
				continue;
			if (side == 0)
				q = p + CTX;
			else if (p >= len)
				q = p - len;
			else
				continue;
			for (unsigned v = 0; v < s->q; v++) {
				if (!window_matches(
				        x, wild, a, b, n, v, q, &end))
					continue;
				if (side == 0 && len < PERMUTE_MIN)
					other = b[n - 1] + CTX <= x->orig->n &&
					    end + CTX <= x->st->n &&
					    ctx_equal(ov, b[n - 1], sv, end) &&
					    strict_equal(x, b[n - 1], end, CTX);
				else if (side == 1 && len < PERMUTE_MIN)
					other = a[0] >= CTX && q >= CTX &&
					    ctx_equal(
					        ov, a[0] - CTX, sv, q - CTX) &&
					    strict_equal(
					        x, a[0] - CTX, q - CTX, CTX);
				else
					other = true;
				if (other) {
					matched++;
					which = v;
				}
			}
			/* Blocks that look alike (renamed names only) tell
			 * nothing. */
			if (matched == 1) {
				votes[which]++;
				found = true;
			}
		}
		if (found)
			break;
	}
	for (unsigned v = 0; v < s->q; v++) {
		total += votes[v];
		if (votes[v] > votes[best])
			best = v;
	}
	return total > 0 && 3 * votes[best] >= 2 * total ? (int)best : -1;
}

static void
read_permute(const struct extractor *x, const struct mark_site *s, int *ret)
{
	long pos[3];
	unsigned order[3], n = s->nspans;

	if ((*ret = read_permute_window(x, s)) >= 0)
		return;
	/* The blocks moved apart: locate each on its own. */
	for (unsigned k = 0; k < n; k++) {
		const struct mark_span *sp = &x->set->spans[s->span0 + k];
		size_t a, b;
		tokens_over(x->orig, sp->off, sp->off + sp->len, &a, &b);
		if ((pos[k] = find_block(x, a, b)) < 0)
			return;
	}
	/* order[slot] = which block appears in that slot. */
	for (unsigned k = 0; k < n; k++) {
		unsigned rank = 0;
		for (unsigned j = 0; j < n; j++)
			rank += pos[j] < pos[k];
		order[rank] = k;
	}
	for (unsigned v = 0; v < s->q; v++) {
		const uint8_t *perm = mark_permutation(n, v);
		if (perm[0] == order[0] && perm[1] == order[1] &&
		    (n < 3 || perm[2] == order[2])) {
			*ret = (int)v;
			return;
		}
	}
}

/*
 * A formatter that rewrites every instance of a choice (all quotes double,
 * no trailing blanks) makes every site of that rule show the same
 * variant, whatever the partner had.  Honest copies spread over the
 * variants by the sites' biases, so when NORM_MIN or more sites of one
 * rule were read and NORM_SHARE of them agree, the rule's readings say
 * more about the formatter than about the partner: erase them.  Returns
 * how many readings were erased.
 */
#define NORM_MIN 8
#define NORM_SHARE 0.9

static int
erase_normalised(const struct mark_set *set, int *observed)
{
	int erased = 0;

	for (size_t i = 0; i < set->nsites; i++) {
		const char *rule = set->sites[i].rule;
		size_t count[MARK_Q_MAX] = {0}, total = 0, top = 0;
		bool first = true;
		if (observed[i] < 0)
			continue;
		/* Only the first read site of each rule does the work. */
		for (size_t j = 0; j < i; j++)
			if (observed[j] >= 0 &&
			    strcmp(set->sites[j].rule, rule) == 0) {
				first = false;
				break;
			}
		if (!first)
			continue;
		for (size_t j = i; j < set->nsites; j++) {
			if (observed[j] < 0 || strcmp(set->sites[j].rule, rule))
				continue;
			count[observed[j]]++;
			total++;
		}
		for (unsigned v = 0; v < MARK_Q_MAX; v++)
			if (count[v] > top)
				top = count[v];
		if (total < NORM_MIN ||
		    (double)top < NORM_SHARE * (double)total)
			continue;
		for (size_t j = i; j < set->nsites; j++) {
			if (observed[j] < 0 || strcmp(set->sites[j].rule, rule))
				continue;
			observed[j] = -1;
			erased++;
		}
	}
	return erased;
}

struct owned_span {
	struct mark_span sp;
	uint32_t site;
};

static int
span_cmp(const void *a, const void *b)
{
	const struct mark_span *x = &((const struct owned_span *)a)->sp;
	const struct mark_span *y = &((const struct owned_span *)b)->sp;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* Sort x->all (with x->all_site) by offset, then length. */
static int
sort_spans(struct extractor *x)
{
	struct owned_span *o = calloc(x->nall + 1, sizeof(*o));

	if (o == NULL)
		return EMB_ENOMEM;
	for (size_t i = 0; i < x->nall; i++) {
		o[i].sp = x->all[i];
		o[i].site = x->all_site[i];
	}
	qsort(o, x->nall, sizeof(*o), span_cmp);
	for (size_t i = 0; i < x->nall; i++) {
		x->all[i] = o[i].sp;
		x->all_site[i] = o[i].site;
	}
	free(o);
	return 0;
}

int
extract_sites(const struct mark_set *set, enum mark_lang lang,
    const struct trace_tokens *orig, const uint8_t *sample, size_t sample_len,
    const struct trace_tokens *stoks, int *observed)
{
	struct extractor x;
	int r, nread = 0;

	memset(&x, 0, sizeof(x));
	x.set = set;
	x.lang = lang;
	x.orig = orig;
	x.sample = sample;
	x.sample_len = sample_len;
	x.st = stoks;
	for (size_t i = 0; i < set->nsites; i++)
		observed[i] = -1;
	x.replaced = calloc(orig->n + 1, sizeof(bool));
	x.ostrict = strict_values(orig, set->text);
	x.sstrict = strict_values(stoks, sample);
	x.all = calloc(set->nspans + 1, sizeof(*x.all));
	x.all_site = calloc(set->nspans + 1, sizeof(*x.all_site));
	x.prange = calloc(2 * set->nsites + 2, sizeof(*x.prange));
	if (x.replaced == NULL || x.all == NULL || x.all_site == NULL ||
	    x.prange == NULL || x.ostrict == NULL || x.sstrict == NULL) {
		r = EMB_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < set->nsites; i++) {
		const struct mark_site *s = &set->sites[i];
		for (uint32_t k = 0; k < s->nspans; k++) {
			const struct mark_span *sp = &set->spans[s->span0 + k];
			size_t a, b;
			x.all_site[x.nall] = (uint32_t)i;
			x.all[x.nall++] = *sp;
			if (s->shape != MARK_REPLACE)
				continue;
			tokens_over(orig, sp->off, sp->off + sp->len, &a, &b);
			if (!changes_strict(&x, s, k, a, b))
				continue;
			for (; a < b; a++)
				x.replaced[a] = true;
		}
	}
	for (size_t i = 0; i < set->nsites; i++) {
		const struct mark_site *s = &set->sites[i];
		const struct mark_span *f = &set->spans[s->span0];
		const struct mark_span *l =
		    &set->spans[s->span0 + s->nspans - 1];
		size_t a, b, c, d;
		if (s->shape != MARK_PERMUTE || s->nspans == 0)
			continue;
		tokens_over(orig, f->off, f->off + f->len, &a, &b);
		tokens_over(orig, l->off, l->off + l->len, &c, &d);
		x.prange[2 * i] = a;
		x.prange[2 * i + 1] = d;
	}
	if ((r = sort_spans(&x)) < 0)
		goto out;
	if ((r = index_build(&x.ix, stoks)) < 0)
		goto out;
	for (size_t i = 0; i < set->nsites; i++) {
		const struct mark_site *s = &set->sites[i];
		if (s->q < 2 || s->kind == MARK_CANARY)
			continue;
		if (s->shape == MARK_PERMUTE)
			read_permute(&x, s, &observed[i]);
		else if ((r = read_replace(&x, s, &observed[i])) < 0)
			goto out;
		nread += observed[i] >= 0;
	}
	nread -= erase_normalised(set, observed);
	r = nread;
out:
	index_fini(&x.ix);
	free(x.replaced);
	free(x.ostrict);
	free(x.sstrict);
	free(x.all);
	free(x.all_site);
	free(x.prange);
	return r;
}
