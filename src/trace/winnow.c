/*
 * Winnowing: local fingerprints for finding copied passages.
 *
 * Reference: S. Schleimer, D. S. Wilkerson, A. Aiken, "Winnowing: local
 * algorithms for document fingerprinting", Proc. ACM SIGMOD 2003, pp.
 * 76-85 (the algorithm behind MOSS).
 *
 * A document is first reduced to what copying preserves: here the
 * abstract token stream of trace/tokens.h, where comments and layout are
 * gone, every identifier is the same symbol, and so is every number and
 * every string.  Each run of k consecutive abstract tokens (a k-gram) is
 * hashed.  Two documents that share a passage share the hashes of its
 * k-grams, but keeping every hash costs one per token, so a subset is
 * kept.  Choosing it by value (say, hashes that are 0 mod p) leaves
 * arbitrarily long gaps.  Winnowing instead slides a window of w
 * consecutive k-gram hashes over the document and selects the minimum of
 * each window.  Because the choice depends only on the window's contents,
 * it is local: if two documents share a run of at least t = w + k - 1
 * tokens, that run contains w whole k-grams, that is a whole window, and
 * both documents select the same minimal hash there.  Below the noise
 * threshold k nothing is detected at all, which keeps short idioms
 * (`for i in range(...)`) from counting as copying.
 *
 * The paper's robust variant breaks ties in favour of the hash selected
 * for the previous window when it is still inside, and otherwise takes
 * the rightmost minimum; this keeps the density down in low-entropy runs
 * (long tables of numbers, repeated statements) where many windows hold
 * equal minima.  A random hash makes the expected density 2 / (w + 1)
 * fingerprints per k-gram, within 33% of the paper's lower bound for any
 * local algorithm.  Every fingerprint remembers the tokens it covers, so
 * matches can be shown and mapped back to byte ranges.
 *
 * Choice of k and w.  Matching is on abstract tokens, where punctuation
 * is one token per byte and a typical line of code is 6 to 12 tokens.  k
 * must be long enough that unrelated code of the same language rarely
 * shares a k-gram (idioms like `if (x == NULL) return -1;` are 12
 * tokens), yet short enough that what survives reordering and partial
 * copying (runs of a few statements) still holds whole k-grams.  w trades
 * index size against the guarantee.  Shell lexes into fewer, larger
 * tokens (a quoted word with its expansions is one), so a 60-line script
 * has only ~150 of them: it gets a shorter k-gram and a denser window, or
 * a third of such a script would hold too few fingerprints to be found.
 * The values were calibrated on Debian's own Python, shell and C sources
 * and planted copies (docs/derivation.md has the measurements):
 *
 *	family			k	w	t = w + k - 1	density
 *	Python, PowerShell, C	12	8	19 tokens	2/9
 *	shell			8	4	11 tokens	2/5
 *	YARA, Suricata		8	4	11 tokens	2/5
 *	prose			7	6	12 words	2/7
 *
 * Repetition.  Structure that repeats line after line (tables of numbers,
 * lists of `#define NAME value`, struct fields) produces a handful of
 * k-grams that recur in every file with such a list, in order, and would
 * pass for copied passages.  Two filters drop them before winnowing: a
 * k-gram that is periodic with a period of at most k/2, and a k-gram that
 * occurs again within REPEAT_SPAN k-grams.  Both depend only on a
 * neighbourhood of the k-gram, so copies are filtered alike and the
 * guarantee holds for every shared run that is not itself repetitive.
 *
 * Rare literals.  Identifiers and literals are abstracted away, which is
 * what makes renaming harmless, but long literals (paths, URLs, payload
 * bytes, magic constants) are exactly what a leaker keeps.  They form a
 * second stream: every string whose body is at least lit_string bytes
 * and every number at least lit_number characters long, hashed exactly
 * (string bodies without their quotes, so 'x' and "x" agree).  Literals
 * are supporting evidence only: two independent exploits for the same
 * bug share URLs and header names, so a shared literal alone never makes
 * a derivation (trace/derive.c).
 */
#include <stdlib.h>
#include <string.h>

#include "trace/winnow.h"
#include "common/emb.h"

#define RING 128 /* power of two > TRACE_W_MAX */
#define ROLL_BASE 0x9e3779b97f4a7c15ULL
#define TAG_LIT 0x243f6a8885a308d3ULL
#define PERIODIC UINT64_MAX /* hash of a k-gram that is never kept */
#define REPEAT_SPAN 32 /* k-grams repeated this close: structure */

/* The calibration runs (docs/derivation.md) override these with -D. */
#ifndef WINNOW_CODE_K
#define WINNOW_CODE_K 12
#endif
#ifndef WINNOW_CODE_W
#define WINNOW_CODE_W 8
#endif
#ifndef WINNOW_SHELL_K
#define WINNOW_SHELL_K 8
#endif
#ifndef WINNOW_SHELL_W
#define WINNOW_SHELL_W 4
#endif
#ifndef WINNOW_RULES_K
#define WINNOW_RULES_K 8
#endif
#ifndef WINNOW_RULES_W
#define WINNOW_RULES_W 4
#endif
#ifndef WINNOW_PROSE_K
#define WINNOW_PROSE_K 7
#endif
#ifndef WINNOW_PROSE_W
#define WINNOW_PROSE_W 6
#endif

static const struct trace_winnow_params params_code = {
    WINNOW_CODE_K, WINNOW_CODE_W, 8, 5};
static const struct trace_winnow_params params_shell = {
    WINNOW_SHELL_K, WINNOW_SHELL_W, 8, 5};
static const struct trace_winnow_params params_rules = {
    WINNOW_RULES_K, WINNOW_RULES_W, 8, 5};
static const struct trace_winnow_params params_prose = {
    WINNOW_PROSE_K, WINNOW_PROSE_W, 0, 0};

static uint64_t
fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

const struct trace_winnow_params *
trace_winnow_params(enum mark_lang lang)
{
	switch (lang) {
	case MARK_LANG_PYTHON:
	case MARK_LANG_POWERSHELL:
	case MARK_LANG_C:
		return &params_code;
	case MARK_LANG_SHELL:
		return &params_shell;
	case MARK_LANG_YARA:
	case MARK_LANG_SURICATA:
		return &params_rules;
	default:
		return &params_prose;
	}
}

size_t
trace_winnow_select(const uint64_t *h, size_t n, unsigned w, uint32_t *out)
{
	uint32_t dq[RING];
	size_t head = 0, tail = 0, cnt = 0, sel = SIZE_MAX;

	if (n == 0 || w == 0)
		return 0;
	if (w > TRACE_W_MAX)
		w = TRACE_W_MAX;
	if (n <= w) {
		/* One window: its rightmost minimum. */
		size_t m = 0;

		for (size_t i = 1; i < n; i++)
			if (h[i] <= h[m])
				m = i;
		out[0] = (uint32_t)m;
		return 1;
	}
	/*
	 * dq holds, front to back, the positions of the current window
	 * whose hash is strictly below every later one: the front is the
	 * window's rightmost minimum.  Each position enters and leaves
	 * once, so the pass is linear.
	 */
	for (size_t i = 0; i < n; i++) {
		size_t start, m;

		while (tail > head && h[dq[(tail - 1) % RING]] >= h[i])
			tail--;
		dq[tail++ % RING] = (uint32_t)i;
		if (i + 1 < w)
			continue;
		start = i + 1 - w;
		while (dq[head % RING] < start)
			head++;
		m = dq[head % RING];
		if (sel != SIZE_MAX && sel >= start && h[sel] == h[m])
			continue;
		sel = m;
		out[cnt++] = (uint32_t)m;
	}
	return cnt;
}

/* The seed of a family: equal for languages tokenised alike. */
static uint64_t
family_seed(enum mark_lang lang)
{
	const struct trace_winnow_params *p = trace_winnow_params(lang);
	unsigned fam = (unsigned)lang;

	if (p == &params_prose)
		fam = MARK_LANG_PROSE;
	return fmix64(0x6c62272e07bb0142ULL + fam);
}

/*
 * Set g[j] to PERIODIC for every k-gram j of the abstract stream (token
 * indices idx[0..m)) that repeats with a period p <= k / 2, i.e. a[i] ==
 * a[i + p] throughout it: "N , N , N ..." in a table of numbers, or two
 * identical short statements.  Such k-grams carry no structure, match
 * any table or any repetition, and are never fingerprints; with the
 * largest hash they are also never a window's minimum unless the whole
 * window is repetitive.  r[i] counts how many positions from i on match
 * their p-th successor, so a k-gram j has period p iff r[j] >= k - p.
 */
static int
mark_periodic(const struct trace_tokens *toks, const uint32_t *idx, size_t m,
    unsigned k, uint64_t *g)
{
	uint32_t *r = malloc(m * sizeof(*r));

	if (r == NULL)
		return EMB_ENOMEM;
	for (unsigned p = 1; p <= k / 2; p++) {
		r[m - 1] = 0;
		for (size_t i = m - 1; i-- > 0;)
			r[i] = i + p < m &&
			        toks->v[idx[i]].abstract ==
			            toks->v[idx[i + p]].abstract
			    ? r[i + 1] + 1
			    : 0;
		for (size_t j = 0; j + k <= m; j++)
			if (r[j] >= k - p)
				g[j] = PERIODIC;
	}
	free(r);
	return 0;
}

/*
 * Set g[j] to PERIODIC when the same k-gram occurs again within
 * REPEAT_SPAN k-grams (before or after).  That is structure repeated line
 * after line (a list of `#define V V(V, N, struct V)`, of `V V ;` struct
 * fields, of similar assignments): its handful of k-grams, the rotations
 * of one line's shape, recur in every file that has such a list, in
 * order, and would pass for a copied passage.  O(ng * REPEAT_SPAN).
 */
static void
mark_repeats(uint64_t *g, size_t ng)
{
	uint64_t prev[REPEAT_SPAN];
	bool hit[REPEAT_SPAN];

	for (size_t j = 0; j < ng; j++) {
		uint64_t h = g[j];
		size_t back = j < REPEAT_SPAN ? j : REPEAT_SPAN;
		bool rep = false;

		/* prev[(j - d) % REPEAT_SPAN] is the original g[j - d]. */
		for (size_t d = 1; d <= back; d++) {
			size_t q = (j - d) % REPEAT_SPAN;

			if (prev[q] == h && h != PERIODIC) {
				rep = true;
				hit[q] = true;
			}
		}
		if (j >= REPEAT_SPAN && hit[j % REPEAT_SPAN])
			g[j - REPEAT_SPAN] = PERIODIC;
		prev[j % REPEAT_SPAN] = h;
		hit[j % REPEAT_SPAN] = rep;
	}
	for (size_t d = ng < REPEAT_SPAN ? ng : REPEAT_SPAN; d > 0; d--)
		if (hit[(ng - d) % REPEAT_SPAN])
			g[ng - d] = PERIODIC;
}

static int
literals(const struct trace_tokens *toks, const uint8_t *text, size_t len,
    const struct trace_winnow_params *p, struct trace_fps *f)
{
	size_t cnt = 0;

	for (size_t i = 0; i < toks->n; i++) {
		const struct trace_tok *t = &toks->v[i];

		if ((size_t)t->off + t->len > len)
			continue;
		if ((t->type == TRACE_TOK_STRING && p->lit_string > 0 &&
		        t->len >= (size_t)t->pre + t->post + p->lit_string) ||
		    (t->type == TRACE_TOK_NUMBER && p->lit_number > 0 &&
		        t->len >= p->lit_number))
			cnt++;
	}
	if (cnt == 0)
		return 0;
	f->lit = malloc(cnt * sizeof(*f->lit));
	if (f->lit == NULL)
		return EMB_ENOMEM;
	for (size_t i = 0; i < toks->n; i++) {
		const struct trace_tok *t = &toks->v[i];
		const uint8_t *b = text + t->off;
		size_t blen = t->len;

		if ((size_t)t->off + t->len > len)
			continue;
		if (t->type == TRACE_TOK_STRING && p->lit_string > 0 &&
		    t->len >= (size_t)t->pre + t->post + p->lit_string) {
			b += t->pre;
			blen -= (size_t)t->pre + t->post;
		} else if (!(t->type == TRACE_TOK_NUMBER && p->lit_number > 0 &&
		               t->len >= p->lit_number)) {
			continue;
		}
		f->lit[f->nlit++] =
		    (struct trace_fp){fmix64(trace_hash(b, blen) ^ TAG_LIT),
		        (uint32_t)i, (uint32_t)i};
	}
	return 0;
}

int
trace_winnow(const struct trace_tokens *toks, const uint8_t *text, size_t len,
    const struct trace_winnow_params *p, struct trace_fps *ret)
{
	struct trace_fps f = {0};
	uint32_t *idx = NULL, *sel = NULL;
	uint64_t *g = NULL, seed, h = 0, top = 1;
	size_t m = 0, ng, nsel;
	unsigned k;
	int r = EMB_ENOMEM;

	if (p == NULL)
		p = trace_winnow_params(toks->lang);
	if (p->k == 0 || p->k > TRACE_K_MAX || p->w == 0 || p->w > TRACE_W_MAX)
		return EMB_EINVAL;
	k = p->k;
	seed = family_seed(toks->lang);
	if (text != NULL && (r = literals(toks, text, len, p, &f)) < 0)
		goto out;
	r = EMB_ENOMEM;
	for (size_t i = 0; i < toks->n; i++)
		m += toks->v[i].abstract != 0;
	if (m >= k) {
		ng = m - k + 1;
		idx = malloc(m * sizeof(*idx));
		g = malloc(ng * sizeof(*g));
		sel = malloc(ng * sizeof(*sel));
		if (idx == NULL || g == NULL || sel == NULL)
			goto out;
		m = 0;
		for (size_t i = 0; i < toks->n; i++)
			if (toks->v[i].abstract != 0)
				idx[m++] = (uint32_t)i;
		/*
		 * Rolling polynomial hash of each k-gram of abstract token
		 * hashes (mod 2^64; the inputs are already random), then
		 * mixed so that minima are uniformly spread.
		 */
		for (unsigned i = 1; i < k; i++)
			top *= ROLL_BASE;
		for (size_t i = 0; i < m; i++) {
			if (i >= k)
				h -= toks->v[idx[i - k]].abstract * top;
			h = h * ROLL_BASE + toks->v[idx[i]].abstract;
			if (i + 1 >= k)
				g[i + 1 - k] = fmix64(h ^ seed) >> 1;
		}
		if ((r = mark_periodic(toks, idx, m, k, g)) < 0)
			goto out;
		mark_repeats(g, ng);
		r = EMB_ENOMEM;
		nsel = trace_winnow_select(g, ng, p->w, sel);
		f.fp = malloc(nsel * sizeof(*f.fp));
		if (f.fp == NULL)
			goto out;
		for (size_t i = 0; i < nsel; i++)
			if (g[sel[i]] != PERIODIC)
				f.fp[f.nfp++] = (struct trace_fp){g[sel[i]],
				    idx[sel[i]], idx[sel[i] + k - 1]};
	}
	*ret = f;
	f = (struct trace_fps){0};
	r = 0;
out:
	trace_fps_fini(&f);
	free(idx);
	free(g);
	free(sel);
	return r;
}

void
trace_fps_fini(struct trace_fps *f)
{
	if (f == NULL)
		return;
	free(f->fp);
	free(f->lit);
	*f = (struct trace_fps){0};
}
