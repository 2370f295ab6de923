#include <stdlib.h>
#include <string.h>

#include "mark/site.h"
#include "common/emb.h"

#define NEST_MAX 32

static int plan_build(struct mark_set *set);
static void plan_free(struct mark_plan *pl);

static const uint8_t perm2[2][3] = {{0, 1, 2}, {1, 0, 2}};
static const uint8_t perm3[6][3] = {
    {0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};

const uint8_t *
mark_permutation(unsigned n, unsigned v)
{
	return n == 2 ? perm2[v % 2] : perm3[v % 6];
}

void
mark_set_init(struct mark_set *set, const uint8_t *text, size_t len)
{
	memset(set, 0, sizeof(*set));
	set->text = text;
	set->len = len;
	buf_init(&set->pool, MARK_POOL_MAX);
}

void
mark_set_fini(struct mark_set *set)
{
	free(set->sites);
	free(set->spans);
	free(set->texts);
	plan_free(set->plan);
	buf_fini(&set->pool);
	memset(set, 0, sizeof(*set));
}

/* Grow a heap array to hold one more element; bounded by max. */
static int
grow(void **arr, size_t *cap, size_t n, size_t elem, size_t max)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	if (n >= max)
		return EMB_ETOOBIG;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > max)
		ncap = max;
	p = realloc(*arr, ncap * elem);
	if (p == NULL)
		return EMB_ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int
check_spans(const struct mark_set *set, const struct mark_span *spans, size_t n)
{
	if (n == 0 || n > MARK_SPANS_MAX)
		return EMB_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (spans[i].len == 0 || spans[i].off > set->len ||
		    spans[i].len > set->len - spans[i].off)
			return EMB_EINVAL;
		if (i > 0 && spans[i].off < spans[i - 1].off + spans[i - 1].len)
			return EMB_EINVAL;
	}
	return 0;
}

static int
add_site(struct mark_set *set, const struct mark_site *proto,
    const struct mark_span *spans, size_t n)
{
	struct mark_site *s;
	int r;

	if (set->final)
		return EMB_EINVAL;
	if ((r = check_spans(set, spans, n)) < 0)
		return r;
	if ((r = grow((void **)&set->sites, &set->sites_cap, set->nsites,
	         sizeof(*set->sites), MARK_SITES_MAX)) < 0)
		return r;
	if (set->nspans + n > UINT32_MAX / 2)
		return EMB_ETOOBIG;
	for (size_t i = 0; i < n; i++) {
		if ((r = grow((void **)&set->spans, &set->spans_cap,
		         set->nspans + i, sizeof(*set->spans),
		         (size_t)MARK_SITES_MAX * 64)) < 0)
			return r;
		set->spans[set->nspans + i] = spans[i];
	}
	s = &set->sites[set->nsites];
	*s = *proto;
	s->span0 = (uint32_t)set->nspans;
	s->nspans = (uint32_t)n;
	set->nspans += n;
	set->nsites++;
	return 0;
}

static int
add_texts(struct mark_set *set, const struct mark_text *texts, size_t n,
    uint32_t *ret_first)
{
	size_t first = set->ntexts;
	int r;

	for (size_t i = 0; i < n; i++) {
		if ((r = grow((void **)&set->texts, &set->texts_cap,
		         set->ntexts, sizeof(*set->texts),
		         (size_t)MARK_SITES_MAX * 64)) < 0)
			return r;
		if (texts[i].n > UINT32_MAX || set->pool.len > UINT32_MAX)
			return EMB_ETOOBIG;
		set->texts[set->ntexts].off = (uint32_t)set->pool.len;
		set->texts[set->ntexts].len = (uint32_t)texts[i].n;
		if ((r = buf_append(&set->pool, texts[i].p, texts[i].n)) < 0)
			return r;
		set->ntexts++;
	}
	*ret_first = (uint32_t)first;
	return 0;
}

int
mark_set_replace(struct mark_set *set, enum mark_kind kind, const char *rule,
    unsigned q, const struct mark_span *spans, size_t nspans,
    const struct mark_text *texts)
{
	struct mark_site proto = {0};
	size_t ntexts_before = set->ntexts, pool_before = set->pool.len;
	int r;

	if (q < 1 || q > MARK_Q_MAX || nspans == 0 || nspans > MARK_SPANS_MAX)
		return EMB_EINVAL;
	proto.kind = (uint8_t)kind;
	proto.shape = MARK_REPLACE;
	proto.q = (uint8_t)q;
	proto.rule = rule;
	if ((r = check_spans(set, spans, nspans)) < 0 ||
	    (r = add_texts(set, texts, q * nspans, &proto.text0)) < 0 ||
	    (r = add_site(set, &proto, spans, nspans)) < 0) {
		set->ntexts = ntexts_before;
		set->pool.len = pool_before;
		return r;
	}
	return 0;
}

int
mark_set_permute(struct mark_set *set, enum mark_kind kind, const char *rule,
    const struct mark_span *spans, size_t nspans)
{
	struct mark_site proto = {0};

	if (nspans != 2 && nspans != 3)
		return EMB_EINVAL;
	proto.kind = (uint8_t)kind;
	proto.shape = MARK_PERMUTE;
	proto.q = nspans == 2 ? 2 : 6;
	proto.rule = rule;
	return add_site(set, &proto, spans, nspans);
}

int
mark_set_canary(struct mark_set *set, const char *rule, struct mark_span span,
    enum mark_canary_fmt fmt)
{
	struct mark_site proto = {0};

	if ((unsigned)fmt >= MARK_CANARY_FMT_COUNT)
		return EMB_EINVAL;
	proto.kind = MARK_CANARY;
	proto.shape = MARK_REPLACE;
	proto.q = 0;
	proto.canary_fmt = (uint8_t)fmt;
	proto.rule = rule;
	return add_site(set, &proto, &span, 1);
}

int
mark_set_fixed(
    struct mark_set *set, struct mark_span span, const char *p, size_t n)
{
	struct mark_text t = {p, n};

	return mark_set_replace(set, MARK_ROBUST, "fixed", 1, &span, 1, &t);
}

struct mark_text
mark_site_text(const struct mark_set *set, const struct mark_site *site,
    unsigned v, unsigned s)
{
	const struct mark_span *t =
	    &set->texts[site->text0 + (size_t)v * site->nspans + s];
	struct mark_text r = {(const char *)set->pool.data + t->off, t->len};

	if (set->pool.data == NULL)
		r.p = "";
	return r;
}

size_t
mark_set_coded(const struct mark_set *set)
{
	size_t n = 0;

	for (size_t i = 0; i < set->nsites; i++)
		n += set->sites[i].q >= 2 || set->sites[i].kind == MARK_CANARY;
	return n;
}

/* ---- finalisation ---- */

struct edit {
	uint32_t off, end;
	uint32_t site; /* index in the set's sites (insertion order) */
	uint32_t span; /* index within the site */
};

static int
edit_cmp(const void *a, const void *b)
{
	const struct edit *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1; /* longer (outer) first */
	if (x->site != y->site)
		return x->site < y->site ? -1 : 1;
	return 0;
}

struct conflict {
	uint32_t early, late;
};

static int
conflict_cmp(const void *a, const void *b)
{
	const struct conflict *x = a, *y = b;

	if (x->late != y->late)
		return x->late < y->late ? -1 : 1;
	return x->early < y->early ? -1 : x->early > y->early;
}

/* All spans of all sites, sorted outer-first. */
static int
collect_edits(const struct mark_set *set, const bool *keep, struct edit **ret,
    size_t *ret_n)
{
	struct edit *e;
	size_t n = 0;

	e = calloc(set->nspans ? set->nspans : 1, sizeof(*e));
	if (e == NULL)
		return EMB_ENOMEM;
	for (size_t i = 0; i < set->nsites; i++) {
		const struct mark_site *s = &set->sites[i];
		if (keep != NULL && !keep[i])
			continue;
		for (uint32_t k = 0; k < s->nspans; k++) {
			const struct mark_span *sp = &set->spans[s->span0 + k];
			e[n].off = sp->off;
			e[n].end = sp->off + sp->len;
			e[n].site = (uint32_t)i;
			e[n].span = k;
			n++;
		}
	}
	qsort(e, n, sizeof(*e), edit_cmp);
	*ret = e;
	*ret_n = n;
	return 0;
}

int
mark_set_finalize(struct mark_set *set)
{
	struct edit *e = NULL;
	struct conflict *c = NULL;
	size_t n = 0, nc = 0, cc = 0, *open = NULL, nopen = 0;
	bool *keep = NULL;
	int r = 0;

	if (set->final)
		return 0;
	keep = malloc(set->nsites ? set->nsites : 1);
	open = malloc(sizeof(*open) * (NEST_MAX + 1));
	if (keep == NULL || open == NULL) {
		r = EMB_ENOMEM;
		goto out;
	}
	memset(keep, 1, set->nsites);
	if ((r = collect_edits(set, NULL, &e, &n)) < 0)
		goto out;
	/*
	 * Sweep: every open span overlaps the current one.  Containment in a
	 * PERMUTE span of another site is fine; anything else is a conflict
	 * between the two sites.  Too deep a nesting conflicts too.
	 */
	for (size_t i = 0; i < n; i++) {
		size_t w = 0;
		bool deep;

		for (size_t k = 0; k < nopen; k++)
			if (e[open[k]].end > e[i].off)
				open[w++] = open[k];
		nopen = w;
		deep = nopen >= NEST_MAX;
		for (size_t k = 0; k < nopen; k++) {
			const struct edit *o = &e[open[k]];
			bool inside = e[i].end <= o->end;
			bool ok = inside && o->site != e[i].site &&
			    set->sites[o->site].shape == MARK_PERMUTE;
			if (ok && !deep)
				continue;
			if ((r = grow((void **)&c, &cc, nc, sizeof(*c),
			         SIZE_MAX / sizeof(*c))) < 0)
				goto out;
			c[nc].early = o->site < e[i].site ? o->site : e[i].site;
			c[nc].late = o->site < e[i].site ? e[i].site : o->site;
			if (c[nc].early != c[nc].late)
				nc++;
			else
				keep[o->site] = false; /* self-overlap: bug */
		}
		if (!deep)
			open[nopen++] = i;
	}
	/* Drop the later site of every conflict with a kept earlier site. */
	if (nc > 0)
		qsort(c, nc, sizeof(*c), conflict_cmp);
	for (size_t i = 0; i < nc; i++)
		if (keep[c[i].early])
			keep[c[i].late] = false;
	/* Compact the kept sites, ordered by their first span. */
	{
		size_t w = 0;
		struct edit *firsts;
		struct mark_site *ns;

		firsts = calloc(set->nsites ? set->nsites : 1, sizeof(*firsts));
		ns = calloc(set->nsites ? set->nsites : 1, sizeof(*ns));
		if (firsts == NULL || ns == NULL) {
			free(firsts);
			free(ns);
			r = EMB_ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < set->nsites; i++) {
			const struct mark_site *s = &set->sites[i];
			if (!keep[i])
				continue;
			firsts[w].off = set->spans[s->span0].off;
			firsts[w].end =
			    set->spans[s->span0].off + set->spans[s->span0].len;
			firsts[w].site = (uint32_t)i;
			w++;
		}
		qsort(firsts, w, sizeof(*firsts), edit_cmp);
		for (size_t i = 0; i < w; i++)
			ns[i] = set->sites[firsts[i].site];
		free(firsts);
		free(set->sites);
		set->sites = ns;
		set->nsites = w;
		set->sites_cap = set->nsites ? set->nsites : 1;
	}
	if ((r = plan_build(set)) < 0)
		goto out;
	set->final = true;
out:
	free(e);
	free(c);
	free(open);
	free(keep);
	return r;
}

/* ---- rendering ---- */

/*
 * Every span of the kept sites in text order (outer first), with for each
 * the first later span not nested in it, and for each span of the set its
 * position here: built once by mark_set_finalize, read by every render.
 */
struct mark_plan {
	struct edit *e;
	size_t n;
	size_t *next;
	size_t *site_edit;
};

static void
plan_free(struct mark_plan *pl)
{
	if (pl == NULL)
		return;
	free(pl->e);
	free(pl->next);
	free(pl->site_edit);
	free(pl);
}

static int
plan_build(struct mark_set *set)
{
	struct mark_plan *pl = calloc(1, sizeof(*pl));
	size_t *stack = NULL, top = 0;
	int r;

	if (pl == NULL)
		return EMB_ENOMEM;
	if ((r = collect_edits(set, NULL, &pl->e, &pl->n)) < 0)
		goto fail;
	pl->next = malloc(sizeof(size_t) * (pl->n + 1));
	pl->site_edit = malloc(sizeof(size_t) * (set->nspans + 1));
	stack = malloc(sizeof(size_t) * (pl->n + 1));
	if (pl->next == NULL || pl->site_edit == NULL || stack == NULL) {
		r = EMB_ENOMEM;
		goto fail;
	}
	/* Spans are laminar after finalisation. */
	for (size_t i = 0; i < pl->n; i++) {
		while (top > 0 && pl->e[stack[top - 1]].end <= pl->e[i].off)
			pl->next[stack[--top]] = i;
		stack[top++] = i;
		pl->site_edit[set->sites[pl->e[i].site].span0 + pl->e[i].span] =
		    i;
	}
	while (top > 0)
		pl->next[stack[--top]] = pl->n;
	free(stack);
	set->plan = pl;
	return 0;
fail:
	free(stack);
	plan_free(pl);
	return r;
}

struct render {
	const struct mark_set *set;
	const uint8_t *symbols;
	int (*canary)(size_t site, struct buf *out, void *arg);
	void *arg;
	const struct edit *e;
	size_t n;
	const size_t *next; /* first edit after e[i] not nested in it */
	const size_t *site_edit; /* edit index of each span */
	struct buf *out;
};

static int emit_edit(struct render *rd, size_t k, unsigned depth);

static int
emit_range(struct render *rd, uint32_t lo, uint32_t hi, size_t first,
    size_t last, unsigned depth)
{
	uint32_t pos = lo;
	int r;

	for (size_t k = first; k < last; k = rd->next[k]) {
		if ((r = buf_append(rd->out, rd->set->text + pos,
		         rd->e[k].off - pos)) < 0 ||
		    (r = emit_edit(rd, k, depth)) < 0)
			return r;
		pos = rd->e[k].end;
	}
	return buf_append(rd->out, rd->set->text + pos, hi - pos);
}

static int
emit_edit(struct render *rd, size_t k, unsigned depth)
{
	const struct mark_site *s = &rd->set->sites[rd->e[k].site];
	unsigned v, span = rd->e[k].span;
	struct mark_text t;

	if (depth > NEST_MAX)
		return EMB_EINVAL;
	if (s->kind == MARK_CANARY)
		return rd->canary(rd->e[k].site, rd->out, rd->arg);
	v = s->q >= 2 ? rd->symbols[rd->e[k].site] % s->q : 0;
	if (s->shape == MARK_REPLACE) {
		t = mark_site_text(rd->set, s, v, span);
		return buf_append(rd->out, t.p, t.n);
	}
	/* PERMUTE: slot `span` shows the (rendered) content of span perm[]. */
	{
		size_t j = rd->site_edit[s->span0 +
		    mark_permutation(s->nspans, v)[span]];
		return emit_range(rd, rd->e[j].off, rd->e[j].end, j + 1,
		    rd->next[j], depth + 1);
	}
}

int
mark_render(const struct mark_set *set, const uint8_t *symbols,
    int (*canary)(size_t site, struct buf *out, void *arg), void *arg,
    struct buf *out)
{
	struct render rd;

	if (!set->final || set->plan == NULL || set->len > UINT32_MAX)
		return EMB_EINVAL;
	rd.set = set;
	rd.symbols = symbols;
	rd.canary = canary;
	rd.arg = arg;
	rd.e = set->plan->e;
	rd.n = set->plan->n;
	rd.next = set->plan->next;
	rd.site_edit = set->plan->site_edit;
	rd.out = out;
	return emit_range(&rd, 0, (uint32_t)set->len, 0, rd.n, 0);
}
