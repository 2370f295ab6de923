/*
 * Mark sites in prose: Markdown and plain-text advisories, detection
 * guidance, mitigation notes.
 *
 * Prose tolerates many small choices that a reader does not notice and
 * that do not change what the text says: "allows" or "permits", "a flaw"
 * or "a vulnerability", "behaviour" or "behavior", "A, B and C" or "A, B,
 * and C", "e.g." or "for example", a list bulleted with "-" or "*".  Each
 * such place is a site; a copy picks one variant per site, and a leaked
 * copy shows which.  Choices are taken from fixed tables of true
 * synonyms in security-advisory vocabulary, most of them guarded by the
 * words around them ("upgrade to" and "update to" are the same, "the
 * upgrade" and "the update" are not; "vulnerability scanner" is a term and
 * is left alone).  Variant 0 is always the original text, so the
 * original is one of the copies.  Capitalisation of the original is kept;
 * a capitalised word is only touched at the start of a sentence, since in
 * the middle of one it is probably a name ("Remote Desktop").
 *
 * The robust sites survive what a leaker does to prose short of
 * rewriting it: re-wrapping, whitespace normalisation, re-rendering the
 * Markdown (word choices, spelling and commas all render).  List bullets
 * and emphasis delimiters ("**" or "__") vanish when the Markdown is
 * rendered to HTML or PDF, but a partner who forwards the Markdown source
 * itself -- the usual way an advisory is passed on -- keeps them, so they
 * count as robust for Markdown sources.  The fragile sites (a trailing
 * blank, two blanks after a full stop, where a paragraph line wraps)
 * only identify verbatim copies.
 *
 * Nothing is touched where a word is not just a word: code spans, fenced
 * and indented code, URLs and link destinations, HTML, template markers
 * (@@...@@), headings (their text makes the anchors that links point to),
 * the first line (the title, usually naming the product), block quotes,
 * tables, quoted text, link labels, and words glued to other characters
 * (file names, identifiers, CVE ids, version numbers).  Spelling choices
 * are per word family and the whole family changes together, so a copy
 * never spells a word two ways; a family that also appears where it must
 * not be touched is left alone for the same reason.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mark/lang.h"
#include "common/emb.h"

enum { M_FREE = 0, M_SOFT = 1, M_HARD = 2 };

#define WORD_MAX 48 /* longest word looked at */
#define VAR_MAX 64 /* longest variant text */
#define LOOK_MAX 256 /* how far back context is looked for */
#define BLANK_MAX 64 /* longest blank run inside a phrase */
#define CODE_SPAN_MAX 4096 /* how far a code span's closing is looked for */
#define INLINE_MAX 1024 /* brackets, quotes, tags: same line, this far */
#define EMPH_MAX 256 /* emphasised text, at most */
#define LIST_DEPTH 8 /* nested lists followed */
#define ITEMS_MAX 16 /* items of an in-sentence list followed */

struct prose {
	struct mark_set *set;
	const uint8_t *t;
	size_t n;
	uint8_t *mask; /* M_FREE, M_SOFT (prose not to touch) or M_HARD */
	bool full; /* the set is at its limits: add nothing more */
};

/* ---- characters ---- */

static bool
is_lower(uint8_t c)
{
	return c >= 'a' && c <= 'z';
}

static bool
is_upper(uint8_t c)
{
	return c >= 'A' && c <= 'Z';
}

static bool
is_alpha(uint8_t c)
{
	return is_lower(c) || is_upper(c);
}

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(uint8_t c)
{
	return is_alpha(c) || is_digit(c);
}

static bool
is_hspace(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static bool
is_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static uint8_t
to_lower(uint8_t c)
{
	return is_upper(c) ? (uint8_t)(c - 'A' + 'a') : c;
}

static bool
in_set(uint8_t c, const char *set)
{
	return c != 0 && strchr(set, c) != NULL;
}

static bool
in_list(const char *const *list, const char *w)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(*list, w) == 0)
			return true;
	return false;
}

static size_t
line_end(const uint8_t *t, size_t n, size_t i)
{
	const uint8_t *nl = i < n ? memchr(t + i, '\n', n - i) : NULL;

	return nl ? (size_t)(nl - t) : n;
}

/* ---- adding sites ---- */

static int
add_replace(struct prose *p, enum mark_kind kind, const char *rule, unsigned q,
    const struct mark_span *spans, size_t nspans, const struct mark_text *texts)
{
	int r;

	if (p->full)
		return 0;
	r = mark_set_replace(p->set, kind, rule, q, spans, nspans, texts);
	if (r == EMB_ETOOBIG) {
		p->full = true;
		r = 0;
	}
	return r;
}

static struct mark_span
span_of(size_t a, size_t b)
{
	struct mark_span s = {(uint32_t)a, (uint32_t)(b - a)};

	return s;
}

static struct mark_text
text_of(const void *p, size_t n)
{
	struct mark_text x = {(const char *)p, n};

	return x;
}

/* ---- what must not be touched ---- */

static void
mask_raise(struct prose *p, size_t a, size_t b, uint8_t v)
{
	if (b > p->n)
		b = p->n;
	for (size_t i = a; i < b; i++)
		if (p->mask[i] < v)
			p->mask[i] = v;
}

static bool
all_free(const struct prose *p, size_t a, size_t b)
{
	if (b > p->n || a > b)
		return false;
	for (size_t i = a; i < b; i++)
		if (p->mask[i] != M_FREE)
			return false;
	return true;
}

/*
 * Template markers, found exactly as the template pass finds them (or a
 * little more): nothing inside one is prose.
 */
static void
mask_templates(struct prose *p)
{
	size_t i = 0;

	while (i + 1 < p->n) {
		const uint8_t *a = memmem(p->t + i, p->n - i, "@@", 2);
		size_t at, rest, from, end;

		if (a == NULL)
			break;
		at = (size_t)(a - p->t);
		rest = p->n - at;
		if (rest >= 4 && memcmp(a, "@@@@", 4) == 0) {
			mask_raise(p, at, at + 4, M_HARD);
			i = at + 4;
			continue;
		}
		if (rest >= 7 && memcmp(a, "@@mark:", 7) == 0)
			from = at + 7;
		else if (rest >= 8 && memcmp(a, "@@canary", 8) == 0)
			from = at + 8;
		else {
			i = at + 1;
			continue;
		}
		a = from < p->n ? memmem(p->t + from, p->n - from, "@@", 2)
		                : NULL;
		end = a ? (size_t)(a - p->t) + 2 : p->n;
		mask_raise(p, at, end, M_HARD);
		i = end;
	}
}

/* First non-blank byte of [ls, le) and its column (tabs to 4). */
static size_t
first_nonblank(const uint8_t *t, size_t ls, size_t le, size_t *ret_col)
{
	size_t i = ls, col = 0;

	while (i < le && (is_hspace(t[i]) || t[i] == '\r')) {
		col = t[i] == '\t' ? (col + 4) / 4 * 4 : col + 1;
		i++;
	}
	*ret_col = col;
	return i;
}

static size_t
run_of(const uint8_t *t, size_t i, size_t e, uint8_t c)
{
	size_t k = i;

	while (k < e && t[k] == c)
		k++;
	return k - i;
}

static bool
rest_blank(const uint8_t *t, size_t i, size_t e)
{
	for (; i < e; i++)
		if (!is_blank(t[i]))
			return false;
	return true;
}

/* A setext underline or thematic break made of c: "===", "---", "***". */
static bool
rule_line(const uint8_t *t, size_t f, size_t le, uint8_t c, size_t min)
{
	size_t k = 0;

	for (size_t i = f; i < le; i++) {
		if (t[i] == c)
			k++;
		else if (!is_blank(t[i]) && !(c != '=' && t[i] == ' '))
			return false;
	}
	return k >= min;
}

/* "[label]: destination" */
static bool
ref_definition(const uint8_t *t, size_t f, size_t le)
{
	for (size_t i = f + 1; i + 1 < le && i < f + INLINE_MAX; i++)
		if (t[i] == ']')
			return t[i + 1] == ':';
	return false;
}

/* YAML front matter: "---" on the first line up to "---" or "...". */
static size_t
front_matter(struct prose *p)
{
	const uint8_t *t = p->t;
	size_t le = line_end(t, p->n, 0), i;

	if (p->n < 3 || memcmp(t, "---", 3) != 0 || !rest_blank(t, 3, le))
		return 0;
	for (i = le + 1; i < p->n;) {
		size_t e = line_end(t, p->n, i);
		if (e - i >= 3 &&
		    (memcmp(t + i, "---", 3) == 0 ||
		        memcmp(t + i, "...", 3) == 0) &&
		    rest_blank(t, i + 3, e)) {
			mask_raise(p, 0, e + 1, M_HARD);
			return e + 1 < p->n ? e + 1 : p->n;
		}
		i = e + 1;
	}
	return 0;
}

/* Block structure, line by line. */
static void
mask_blocks(struct prose *p)
{
	const uint8_t *t = p->t;
	size_t n = p->n, i, flen = 0;
	bool fence = false, seen_first = false;
	uint8_t fch = 0;

	i = front_matter(p);
	while (i < n) {
		size_t le = line_end(t, n, i), nx = le < n ? le + 1 : n;
		size_t col, f = first_nonblank(t, i, le, &col);
		uint8_t v = M_FREE;

		if (fence) {
			mask_raise(p, i, nx, M_HARD);
			if (col <= 3 && f < le && t[f] == fch &&
			    run_of(t, f, le, fch) >= flen &&
			    rest_blank(t, f + run_of(t, f, le, fch), le))
				fence = false;
			i = nx;
			continue;
		}
		if (f == le) {
			i = nx;
			continue;
		}
		if (col <= 3 && (t[f] == '`' || t[f] == '~') &&
		    run_of(t, f, le, t[f]) >= 3) {
			fence = true;
			fch = t[f];
			flen = run_of(t, f, le, t[f]);
			mask_raise(p, i, nx, M_HARD);
			i = nx;
			continue;
		}
		if (col >= 4) {
			/* Indented code, or text deep in a list: leave it. */
			mask_raise(p, i, nx, M_HARD);
			i = nx;
			continue;
		}
		if (!seen_first)
			v = M_SOFT; /* the title */
		seen_first = true;
		if (t[f] == '#' || t[f] == '>' || t[f] == '|' ||
		    memchr(t + f, '|', le - f) != NULL)
			v = M_SOFT;
		if (t[f] == '<' || (t[f] == '[' && ref_definition(t, f, le)))
			v = M_HARD;
		if (nx < n) {
			size_t ne = line_end(t, n, nx), ncol;
			size_t nf = first_nonblank(t, nx, ne, &ncol);
			if (ncol <= 3 && nf < ne &&
			    (rule_line(t, nf, ne, '=', 1) ||
			        rule_line(t, nf, ne, '-', 1)))
				v = v > M_SOFT ? v
				               : M_SOFT; /* setext heading */
		}
		mask_raise(p, i, nx, v);
		i = nx;
	}
}

/*
 * Position of the next c at or after from, cached: the scans that use it
 * only move forward, so all lookups together cost one pass.
 */
struct next_of {
	const char *needle;
	size_t nlen;
	size_t pos;
	bool valid;
};

static size_t
next_find(struct next_of *f, const uint8_t *t, size_t n, size_t from)
{
	const uint8_t *a;

	if (f->valid && f->pos >= from)
		return f->pos;
	a = from < n ? memmem(t + from, n - from, f->needle, f->nlen) : NULL;
	f->pos = a ? (size_t)(a - t) : n;
	f->valid = true;
	return f->pos;
}

static size_t
url_end(const struct prose *p, size_t i)
{
	const uint8_t *t = p->t;
	size_t k = i, e;

	if (i > 0 && (is_alnum(t[i - 1]) || t[i - 1] == '.'))
		return i;
	while (k < p->n && k - i < 16 &&
	    (is_alnum(t[k]) || t[k] == '+' || t[k] == '.' || t[k] == '-'))
		k++;
	if (k + 3 <= p->n && memcmp(t + k, "://", 3) == 0)
		e = k + 3;
	else if (k + 5 <= p->n && memcmp(t + k, "[:]//", 5) == 0)
		e = k + 5;
	else if (k - i == 6 && k < p->n && t[k] == ':' &&
	    memcmp(t + i, "mailto", 6) == 0)
		e = k + 1;
	else if (p->n - i >= 4 && memcmp(t + i, "www.", 4) == 0)
		e = i + 4;
	else
		return i;
	while (e < p->n && !is_blank(t[e]) && !in_set(t[e], "<>\"`"))
		e++;
	return e;
}

/* Inline code, links, HTML, URLs, quotes: a forward scan. */
static void
mask_inline(struct prose *p)
{
	const uint8_t *t = p->t;
	size_t n = p->n, i = 0;
	struct next_of nl = {"\n", 1, 0, false};
	struct next_of rb = {"]", 1, 0, false};
	struct next_of dq = {"\"", 1, 0, false};
	struct next_of gt = {">", 1, 0, false};
	struct next_of rc = {"}", 1, 0, false};
	struct next_of cq = {"\xe2\x80\x9d", 3, 0, false};

	while (i < n) {
		uint8_t c = t[i];
		size_t eol, k;

		if (p->mask[i] == M_HARD) {
			i++;
			continue;
		}
		eol = next_find(&nl, t, n, i);
		if (c == '`') {
			/* A code span: a closing run of the same length. */
			size_t run = run_of(t, i, n, '`'), j = i + run;
			size_t lim =
			    i + CODE_SPAN_MAX < n ? i + CODE_SPAN_MAX : n;
			size_t close = n;
			while (j < lim) {
				if (t[j] == '`') {
					size_t r2 = run_of(t, j, lim, '`');
					if (r2 == run) {
						close = j;
						break;
					}
					j += r2;
					continue;
				}
				if (t[j] == '\n' && j + 1 < lim &&
				    rest_blank(
				        t, j + 1, line_end(t, lim, j + 1)))
					break; /* end of paragraph */
				j++;
			}
			k = close < n ? close + run : (j < lim ? j : lim);
			mask_raise(p, i, k, M_HARD);
			i = k > i ? k : i + 1;
			continue;
		}
		if (c == '<' && i + 1 < n) {
			if (n - i >= 4 && memcmp(t + i, "<!--", 4) == 0) {
				const uint8_t *a =
				    memmem(t + i + 4, n - i - 4, "-->", 3);
				k = a ? (size_t)(a - t) + 3 : n;
				mask_raise(p, i, k, M_HARD);
				i = k;
				continue;
			}
			if (is_alpha(t[i + 1]) || in_set(t[i + 1], "/!?")) {
				k = next_find(&gt, t, n, i);
				if (k < eol && k - i < INLINE_MAX) {
					mask_raise(p, i, k + 1, M_HARD);
					i = k + 1;
					continue;
				}
			}
		}
		if (c == ']' && i + 1 < n && t[i + 1] == '(') {
			/* A link destination, with balanced parentheses. */
			int depth = 0;
			for (k = i + 1; k < eol && k - i < INLINE_MAX; k++) {
				if (t[k] == '(')
					depth++;
				else if (t[k] == ')' && --depth == 0)
					break;
			}
			k = k < eol && depth == 0 ? k + 1 : eol;
			mask_raise(p, i + 1, k, M_HARD);
			i = k;
			continue;
		}
		if (c == '[' || c == '"' || c == '{' ||
		    (c == 0xe2 && n - i >= 3 && t[i + 1] == 0x80 &&
		        t[i + 2] == 0x9c)) {
			struct next_of *f = c == '[' ? &rb
			    : c == '"'               ? &dq
			    : c == '{'               ? &rc
			                             : &cq;
			k = next_find(f, t, n, i + 1);
			if (k < eol && k - i < INLINE_MAX) {
				mask_raise(p, i, k + f->nlen,
				    c == '{' ? M_HARD : M_SOFT);
				/* link text may hold code: look inside it */
				if (c != '[') {
					i = k + f->nlen;
					continue;
				}
			}
			i++;
			continue;
		}
		if (is_alpha(c)) {
			k = url_end(p, i);
			if (k > i) {
				mask_raise(p, i, k, M_HARD);
				i = k;
				continue;
			}
		}
		i++;
	}
}

/* ---- words ---- */

/* Whether the byte before s lets a word start at s. */
static bool
ok_before(const struct prose *p, size_t s)
{
	const uint8_t *t = p->t;
	uint8_t c;

	if (s == 0)
		return true;
	c = t[s - 1];
	if (c >= 0x80) /* U+2000..U+203F punctuation, or a no-break space */
		return (s >= 3 && t[s - 3] == 0xe2 && t[s - 2] == 0x80) ||
		    (s >= 2 && t[s - 2] == 0xc2 && c == 0xa0);
	if (c < 0x20)
		return c == '\n' || c == '\r' || c == '\t';
	return !is_alnum(c) && !in_set(c, "_-/\\.@$%#=<>{}[]&+~|^`:'");
}

/* Whether the byte at e lets a word end there. */
static bool
ok_after(const struct prose *p, size_t e)
{
	const uint8_t *t = p->t;
	uint8_t c, d;

	if (e >= p->n)
		return true;
	c = t[e];
	if (c >= 0x80)
		return (e + 1 < p->n && c == 0xe2 && t[e + 1] == 0x80) ||
		    (e + 1 < p->n && c == 0xc2 && t[e + 1] == 0xa0);
	if (c < 0x20)
		return c == '\n' || c == '\r' || c == '\t';
	if (is_alnum(c) || in_set(c, "_-/\\@$%#=<>{}[]&+~|^`("))
		return false;
	if (c == '.' || c == ':' || c == '\'') {
		d = e + 1 < p->n ? t[e + 1] : ' ';
		if (c == '\'' && d == 's' &&
		    (e + 2 >= p->n || !is_alnum(t[e + 2])))
			return true; /* a possessive */
		return !is_alnum(d) && !in_set(d, "_/\\-@.:'");
	}
	return true;
}

/* 0: lower case, 1: capitalised, -1: anything else ("SQL", "McAfee"). */
static int
case_of(const uint8_t *t, size_t s, size_t e)
{
	bool first = true;
	int cls = 0;

	for (size_t i = s; i < e; i++) {
		if (!is_alpha(t[i]))
			continue;
		if (first)
			cls = is_upper(t[i]);
		else if (is_upper(t[i]))
			return -1;
		first = false;
	}
	return cls;
}

static bool
ends_sentence(uint8_t c)
{
	return c == '.' || c == '!' || c == '?' || c == ':';
}

/* Whether the previous line (before the one starting at ls) ends one. */
static bool
prev_line_ends(const struct prose *p, size_t ls)
{
	const uint8_t *t = p->t;
	size_t k;

	if (ls == 0)
		return true;
	k = ls - 1; /* the newline */
	while (k > 0 && ls - k < LOOK_MAX &&
	    (is_hspace(t[k - 1]) || t[k - 1] == '\r'))
		k--;
	return k == 0 || t[k - 1] == '\n' || ends_sentence(t[k - 1]);
}

/*
 * Whether a word at s starts a sentence (so a capital letter there says
 * nothing about it being a name): after . ! ? :, at the start of a list
 * item or paragraph, skipping emphasis and opening quotes.
 */
static bool
sentence_start(const struct prose *p, size_t s)
{
	const uint8_t *t = p->t;
	size_t j = s, lim = s > LOOK_MAX ? s - LOOK_MAX : 0, ls = s, k;
	bool marker = false;

	/* first thing on its line, perhaps after a list marker? */
	while (ls > lim && t[ls - 1] != '\n')
		ls--;
	if (ls == 0 || t[ls - 1] == '\n') {
		k = ls;
		while (k < s && is_hspace(t[k]))
			k++;
		if (k + 1 < s && in_set(t[k], "-*+") && is_hspace(t[k + 1])) {
			marker = true;
			k += 2;
		}
		while (k < s && in_set(t[k], " \t*_(\"'"))
			k++;
		if (k == s)
			return marker || prev_line_ends(p, ls);
	}
	while (j > lim && in_set(t[j - 1], " \t*_(\"'"))
		j--;
	return j > lim && ends_sentence(t[j - 1]);
}

/* The lower-cased word after e, over blanks (one newline at most). */
static void
next_word(const struct prose *p, size_t e, char *w)
{
	const uint8_t *t = p->t;
	size_t i = e, k = 0, nl = 0;

	while (i < p->n && is_blank(t[i]) && i - e < BLANK_MAX) {
		if (t[i] == '\n' && ++nl > 1)
			break;
		i++;
	}
	if (nl <= 1)
		while (i < p->n && is_alpha(t[i]) && k + 1 < WORD_MAX)
			w[k++] = (char)to_lower(t[i++]);
	if (i < p->n && is_alpha(t[i]))
		k = 0;
	w[k] = 0;
}

/* The lower-cased word before s, over blanks (one newline at most). */
static void
prev_word(const struct prose *p, size_t s, char *w)
{
	const uint8_t *t = p->t;
	size_t i = s, e, nl = 0;

	w[0] = 0;
	while (i > 0 && is_blank(t[i - 1]) && s - i < BLANK_MAX) {
		if (t[i - 1] == '\n' && ++nl > 1)
			return;
		i--;
	}
	e = i;
	while (i > 0 && is_alpha(t[i - 1]) && e - i + 1 < WORD_MAX)
		i--;
	if (i == e || (i > 0 && is_alnum(t[i - 1])))
		return;
	for (size_t k = i; k < e; k++)
		w[k - i] = (char)to_lower(t[k]);
	w[e - i] = 0;
}

/*
 * Length of the text at s matching form: letters case-insensitively, a
 * space as one blank run (one newline at most), anything else exactly.
 */
static size_t
match_form(const struct prose *p, size_t s, const char *form)
{
	const uint8_t *t = p->t;
	size_t i = s;

	for (const char *f = form; *f != 0; f++) {
		if (*f == ' ') {
			size_t j = i, nl = 0;
			while (j < p->n && is_blank(t[j]) && j - i < BLANK_MAX)
				nl += t[j++] == '\n';
			if (j == i || nl > 1 || j - i >= BLANK_MAX)
				return 0;
			i = j;
			continue;
		}
		if (i >= p->n || to_lower(t[i]) != (uint8_t)*f)
			return 0;
		i++;
	}
	return i - s;
}

/* ---- synonyms ---- */

#define SYN_ONEWAY 1 /* only forms[0] is replaced, never put back */
#define SYN_COMMA 2 /* only before a comma */
#define SYN_ABBR 4 /* "e.g.": the comma follows from what comes next */

struct syn {
	const char *forms[4];
	unsigned flags;
	const char *const *prev_need;
	const char *const *prev_not;
	const char *const *next_need;
	const char *const *next_not;
};

static const char *const next_allow[] = {"for", NULL};
static const char *const next_vuln[] = {"management", "scanner", "scanners",
    "scanning", "scan", "scans", "class", "classes", "type", "types", "id",
    "ids", "identifier", "identifiers", "database", "databases", "disclosure",
    "disclosures", "report", "reports", "reporting", "note", "notes",
    "assessment", "assessments", "research", "researcher", "researchers",
    "details", "detail", "program", "programs", "programme", "bounty",
    "bounties", "coordination", "handling", "response", "analysis", "feed",
    "feeds", "data", "score", "scores", "scoring", "rating", "ratings",
    "category", "categories", "name", "names", "title", "summary",
    "description", "tracking", "tracker", "chain", "chains", "exploitation",
    "enumeration", "lifecycle", "window", "team", "teams", "intelligence",
    "advisory", "advisories", "bulletin", "bulletins", "catalog", "catalogue",
    "list", "lists", "count", "owner", "owners", "status", NULL};
static const char *const prev_vuln[] = {"known", "exploited", "common", NULL};
static const char *const next_exec[] = {"arbitrary", "code", "commands",
    "command", "malicious", "scripts", "script", "shell", "system", "attacker",
    "payloads", "payload", "programs", "remote", "os", "operating",
    "powershell", "javascript", NULL};
static const char *const next_gain[] = {"access", "control", "privileges",
    "elevated", "administrative", "administrator", "admin", "root", "system",
    "full", "unauthorized", "unauthorised", "remote", "persistent", "initial",
    "domain", "shell", "complete", "kernel", "persistence", "higher", NULL};
static const char *const next_recommend[] = {"that", "applying", "upgrading",
    "updating", "installing", "disabling", "enabling", "restricting",
    "reviewing", "using", "customers", "users", "administrators", "all",
    "organizations", "organisations", "against", "blocking", "monitoring",
    "limiting", "removing", NULL};
static const char *const next_to[] = {"to", NULL};
static const char *const next_patch[] = {"management", "level", "levels",
    "release", "releases", "tuesday", "notes", "note", "version", "versions",
    "cycle", "status", "deployment", "file", "files", "set", "sets", "diff",
    "number", "id", "window", "windows", "day", "process", "schedule", "bypass",
    "analysis", "gap", "gaps", "point", NULL};
static const char *const prev_affected[] = {"the", "all", "any", "is", "are",
    "be", "been", "not", "were", "was", "remain", "remains", "potentially",
    "possibly", "currently", "also", "other", "only", "still", NULL};
static const char *const next_affected[] = {"by", "from", "to", "with", NULL};
static const char *const prev_observed[] = {"has", "have", "had", "been", "was",
    "were", "is", "are", "be", "being", NULL};
static const char *const prev_whether[] = {"of", NULL};
static const char *const next_whether[] = {"or", "to", NULL};
static const char *const prev_info[] = {"sensitive", "confidential", NULL};
static const char *const next_that[] = {"that", NULL};
static const char *const prev_required[] = {
    "is", "are", "be", "been", "was", "were", "not", NULL};

/*
 * Phrases first: the first entry that matches wins.  Each group lists
 * forms that can replace each other in any sentence that passes its
 * guards (SYN_ONEWAY: only the first may be replaced).
 */
static const struct syn syns[] = {
    {{"prior to", "before"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"in order to", "to"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"in addition", "additionally", "furthermore", "moreover"}, SYN_COMMA,
        NULL, NULL, NULL, NULL},
    {{"as a result", "therefore", "consequently"}, SYN_COMMA, NULL, NULL, NULL,
        NULL},
    {{"for example", "for instance"}, 0, NULL, NULL, NULL, NULL},
    {{"e.g.", "for example", "for instance"}, SYN_ONEWAY | SYN_ABBR, NULL, NULL,
        NULL, NULL},
    {{"i.e.", "that is"}, SYN_ONEWAY | SYN_ABBR, NULL, NULL, NULL, NULL},
    {{"allows", "permits"}, 0, NULL, NULL, NULL, next_allow},
    {{"allow", "permit"}, 0, NULL, NULL, NULL, next_allow},
    {{"allowed", "permitted"}, 0, NULL, NULL, NULL, next_allow},
    {{"allowing", "permitting"}, 0, NULL, NULL, NULL, next_allow},
    {{"attacker", "adversary"}, 0, NULL, NULL, NULL, NULL},
    {{"attackers", "adversaries"}, 0, NULL, NULL, NULL, NULL},
    {{"vulnerability", "flaw"}, 0, NULL, prev_vuln, NULL, next_vuln},
    {{"vulnerabilities", "flaws"}, 0, NULL, prev_vuln, NULL, next_vuln},
    {{"execute", "run"}, SYN_ONEWAY, NULL, NULL, next_exec, NULL},
    {{"executes", "runs"}, SYN_ONEWAY, NULL, NULL, next_exec, NULL},
    {{"executing", "running"}, SYN_ONEWAY, NULL, NULL, next_exec, NULL},
    {{"obtain", "gain"}, 0, NULL, NULL, next_gain, NULL},
    {{"obtains", "gains"}, 0, NULL, NULL, next_gain, NULL},
    {{"obtained", "gained"}, 0, NULL, NULL, next_gain, NULL},
    {{"obtaining", "gaining"}, 0, NULL, NULL, next_gain, NULL},
    {{"recommend", "advise"}, 0, NULL, NULL, next_recommend, NULL},
    {{"recommends", "advises"}, 0, NULL, NULL, next_recommend, NULL},
    {{"upgrade", "update"}, 0, NULL, NULL, next_to, NULL},
    {{"upgrades", "updates"}, 0, NULL, NULL, next_to, NULL},
    {{"upgrading", "updating"}, 0, NULL, NULL, next_to, NULL},
    {{"upgraded", "updated"}, 0, NULL, NULL, next_to, NULL},
    {{"patch", "fix"}, 0, NULL, NULL, NULL, next_patch},
    {{"patches", "fixes"}, 0, NULL, NULL, NULL, next_patch},
    {{"patched", "fixed"}, SYN_ONEWAY, NULL, NULL, NULL, next_patch},
    {{"affected", "vulnerable"}, SYN_ONEWAY, prev_affected, NULL, NULL,
        next_affected},
    {{"via", "through"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"leverage", "use"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"leverages", "uses"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"leveraged", "used"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"leveraging", "using"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"utilize", "use"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"utilizes", "uses"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"utilized", "used"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"utilizing", "using"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"utilise", "use"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"utilises", "uses"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"utilised", "used"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"utilising", "using"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"discovered", "found", "identified"}, SYN_ONEWAY, NULL, NULL, NULL,
        next_that},
    {{"approximately", "roughly", "about"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"numerous", "many"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"subsequently", "later"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"typically", "usually"}, 0, NULL, NULL, NULL, NULL},
    {{"observed", "seen"}, 0, prev_observed, NULL, NULL, NULL},
    {{"ensure", "make sure"}, SYN_ONEWAY, NULL, NULL, next_that, NULL},
    {{"restrict", "limit"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"restricts", "limits"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"restricting", "limiting"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"modify", "change"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"modifies", "changes"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"modifying", "changing"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"whether", "if"}, SYN_ONEWAY, NULL, prev_whether, NULL, next_whether},
    {{"information", "data"}, 0, prev_info, NULL, NULL, NULL},
    {{"additional", "further"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"attempting", "trying"}, SYN_ONEWAY, NULL, NULL, next_to, NULL},
    {{"attempted", "tried"}, SYN_ONEWAY, NULL, NULL, next_to, NULL},
    {{"begin", "start"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"begins", "starts"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"began", "started"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"require", "need"}, SYN_ONEWAY, NULL, NULL, NULL, next_that},
    {{"requires", "needs"}, SYN_ONEWAY, NULL, NULL, NULL, next_that},
    {{"required", "needed"}, SYN_ONEWAY, prev_required, NULL, NULL, next_that},
    {{"assist", "help"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"assists", "helps"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"demonstrate", "show"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"demonstrates", "shows"}, SYN_ONEWAY, NULL, NULL, NULL, NULL},
    {{"verify", "confirm"}, 0, NULL, NULL, NULL, NULL},
    {{"verifies", "confirms"}, 0, NULL, NULL, NULL, NULL},
    {{"verifying", "confirming"}, 0, NULL, NULL, NULL, NULL},
    {{"toward", "towards"}, 0, NULL, NULL, NULL, NULL},
};

static bool
vowel(char c)
{
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'A' ||
	    c == 'E' || c == 'I' || c == 'O';
}

/*
 * Try the synonym table at word start s; on a match, add the site and
 * set *ret_end past it.
 */
static int
try_synonym(struct prose *p, size_t s, size_t *ret_end)
{
	const uint8_t *t = p->t;
	char prev[WORD_MAX], next[WORD_MAX];
	char buf[4][VAR_MAX];
	struct mark_text v[4];
	struct mark_span span;

	for (size_t k = 0; k < EMB_ARRAY_LEN(syns); k++) {
		const struct syn *y = &syns[k];
		size_t len = 0, e, fi;
		unsigned q = 1;
		int cap;

		for (fi = 0; fi < 4 && y->forms[fi] != NULL; fi++)
			if ((len = match_form(p, s, y->forms[fi])) > 0)
				break;
		if (len == 0 || (fi > 0 && (y->flags & SYN_ONEWAY)))
			continue;
		e = s + len;
		if (!all_free(p, s, e))
			continue;
		if (y->flags & SYN_ABBR) {
			if (e >= p->n || (t[e] != ',' && t[e] != ' '))
				continue;
		} else if (!ok_after(p, e)) {
			continue;
		}
		if ((y->flags & SYN_COMMA) && (e >= p->n || t[e] != ','))
			continue;
		cap = case_of(t, s, e);
		if (cap < 0 ||
		    (cap == 1 &&
		        ((y->flags & SYN_ABBR) || !sentence_start(p, s))))
			continue;
		prev_word(p, s, prev);
		next_word(p, e, next);
		if ((y->prev_need && !in_list(y->prev_need, prev)) ||
		    in_list(y->prev_not, prev) ||
		    (y->next_need && !in_list(y->next_need, next)) ||
		    in_list(y->next_not, next))
			continue;
		v[0] = text_of(t + s, len);
		for (size_t j = 0; j < 4 && y->forms[j] != NULL; j++) {
			size_t m = strlen(y->forms[j]);
			if (j == fi)
				continue;
			if (m + 2 > VAR_MAX)
				continue;
			memcpy(buf[q], y->forms[j], m);
			if ((y->flags & SYN_ABBR) && t[e] == ' ')
				buf[q][m++] = ',';
			if (cap && is_lower((uint8_t)buf[q][0]))
				buf[q][0] = (char)(buf[q][0] - 'a' + 'A');
			/* "an attacker" must stay "an" + vowel */
			if ((strcmp(prev, "a") == 0 ||
			        strcmp(prev, "an") == 0) &&
			    vowel((char)t[s]) != vowel(buf[q][0]))
				continue;
			v[q] = text_of(buf[q], m);
			q++;
		}
		if (q < 2)
			continue;
		span = span_of(s, e);
		*ret_end = e;
		return add_replace(
		    p, MARK_ROBUST, "prose.synonym", q, &span, 1, v);
	}
	return 0;
}

/* ---- spelling families ---- */

/* -ize / -ise: the letter after the stem is z or s. */
static const char *const ize_stems[] = {"authori", "unauthori", "organi",
    "recogni", "prioriti", "saniti", "seriali", "deseriali", "initiali",
    "minimi", "normali", "customi", "optimi", "reali", "summari", "categori",
    "emphasi", "synchroni", "randomi", "characteri", "standardi", "finali",
    "visuali", "centrali", "neutrali", "tokeni", "containeri", "virtuali",
    "weaponi", "operationali", "analy"};
static const char *const ize_suffixes[] = {
    "e", "es", "ed", "ing", "ation", "ations", "er", "ers", "able", NULL};
static const char *const yze_suffixes[] = {"e", "ed", "ing", "er", "ers",
    NULL}; /* not "analyses": that is also the plural of analysis */

/* -or / -our: stem + "o" [+ "u"] + suffix starting with "r". */
struct our_family {
	const char *stem;
	const char *suffixes[8];
};

static const struct our_family our_stems[] = {
    {"behavio", {"r", "rs", "ral", "rally"}},
    {"favo", {"r", "rs", "rable", "rite", "rites", "red", "ring"}},
    {"neighbo", {"r", "rs", "ring", "rhood"}},
    {"hono", {"r", "rs", "red", "ring", "rable"}},
    {"rumo", {"r", "rs", "red"}},
    {"endeavo", {"r", "rs", "red", "ring"}},
};

/* Plain pairs, American first. */
static const char *const spell_pairs[][2] = {
    {"canceled", "cancelled"},
    {"canceling", "cancelling"},
    {"labeled", "labelled"},
    {"labeling", "labelling"},
    {"modeled", "modelled"},
    {"modeling", "modelling"},
    {"signaled", "signalled"},
    {"signaling", "signalling"},
    {"tunneled", "tunnelled"},
    {"tunneling", "tunnelling"},
    {"traveled", "travelled"},
    {"traveling", "travelling"},
    {"defense", "defence"},
    {"defenses", "defences"},
    {"judgment", "judgement"},
    {"judgments", "judgements"},
    {"acknowledgment", "acknowledgement"},
    {"acknowledgments", "acknowledgements"},
    {"fulfill", "fulfil"},
    {"fulfills", "fulfils"},
    {"enrollment", "enrolment"},
};

#define FAM_IZE 0
#define FAM_OUR EMB_ARRAY_LEN(ize_stems)
#define FAM_PAIR (FAM_OUR + EMB_ARRAY_LEN(our_stems))
#define FAM_COUNT (FAM_PAIR + EMB_ARRAY_LEN(spell_pairs))

struct spelling {
	uint32_t off, len;
	uint16_t fam;
	uint8_t side; /* 1 American, 2 British */
	uint8_t altlen;
	char alt[WORD_MAX + 2];
};

static bool
has_suffix(const char *const *list, const char *w)
{
	return in_list(list, w);
}

/*
 * Which family the lower-cased word w belongs to, its side, and the
 * other spelling (same case as the original o).
 */
static int
family_of(const char *w, size_t m, const uint8_t *o, struct spelling *sp)
{
	for (size_t i = 0; i < EMB_ARRAY_LEN(ize_stems); i++) {
		size_t k = strlen(ize_stems[i]);
		bool yze = strcmp(ize_stems[i], "analy") == 0;
		if (m <= k || strncmp(w, ize_stems[i], k) != 0 ||
		    (w[k] != 'z' && w[k] != 's') ||
		    !has_suffix(yze ? yze_suffixes : ize_suffixes, w + k + 1))
			continue;
		memcpy(sp->alt, o, m);
		sp->alt[k] = w[k] == 'z' ? 's' : 'z';
		sp->altlen = (uint8_t)m;
		sp->side = w[k] == 'z' ? 1 : 2;
		sp->fam = (uint16_t)(FAM_IZE + i);
		return 1;
	}
	for (size_t i = 0; i < EMB_ARRAY_LEN(our_stems); i++) {
		const struct our_family *f = &our_stems[i];
		size_t k = strlen(f->stem);
		bool uk;
		if (m <= k || strncmp(w, f->stem, k) != 0)
			continue;
		uk = w[k] == 'u';
		if (!in_list(f->suffixes, w + k + uk))
			continue;
		if (uk) {
			memcpy(sp->alt, o, k);
			memcpy(sp->alt + k, o + k + 1, m - k - 1);
			sp->altlen = (uint8_t)(m - 1);
		} else {
			memcpy(sp->alt, o, k);
			sp->alt[k] = 'u';
			memcpy(sp->alt + k + 1, o + k, m - k);
			sp->altlen = (uint8_t)(m + 1);
		}
		sp->side = uk ? 2 : 1;
		sp->fam = (uint16_t)(FAM_OUR + i);
		return 1;
	}
	for (size_t i = 0; i < EMB_ARRAY_LEN(spell_pairs); i++) {
		for (int s = 0; s < 2; s++) {
			const char *other = spell_pairs[i][1 - s];
			size_t ol = strlen(other);
			if (strcmp(w, spell_pairs[i][s]) != 0)
				continue;
			memcpy(sp->alt, other, ol);
			if (is_upper(o[0]))
				sp->alt[0] = (char)(sp->alt[0] - 'a' + 'A');
			sp->altlen = (uint8_t)ol;
			sp->side = (uint8_t)(s + 1);
			sp->fam = (uint16_t)(FAM_PAIR + i);
			return 1;
		}
	}
	return 0;
}

struct fam_state {
	uint32_t count;
	uint8_t sides;
	bool blocked;
};

static int
spelling_sites(struct prose *p)
{
	const uint8_t *t = p->t;
	struct spelling *occ = NULL, *tmp;
	struct fam_state fs[FAM_COUNT];
	struct mark_span *spans = NULL;
	struct mark_text *texts = NULL;
	size_t nocc = 0, cap = 0, i = 0;
	int r = 0;

	memset(fs, 0, sizeof(fs));
	while (i < p->n) {
		size_t s = i, e, m;
		char w[WORD_MAX];
		struct spelling sp;
		int cls;

		if (!is_alpha(t[i]) || (i > 0 && is_alnum(t[i - 1]))) {
			i++;
			continue;
		}
		while (i < p->n && is_alpha(t[i]))
			i++;
		e = i;
		m = e - s;
		if (m + 1 >= WORD_MAX || (e < p->n && is_digit(t[e])))
			continue;
		for (size_t k = 0; k < m; k++)
			w[k] = (char)to_lower(t[s + k]);
		w[m] = 0;
		memset(&sp, 0, sizeof(sp));
		if (!family_of(w, m, t + s, &sp))
			continue;
		if (p->mask[s] == M_HARD || !ok_before(p, s) || !ok_after(p, e))
			continue; /* code, or part of a name: not prose */
		cls = case_of(t, s, e);
		if (!all_free(p, s, e) || cls < 0 ||
		    (cls == 1 && !sentence_start(p, s))) {
			fs[sp.fam].blocked = true;
			continue;
		}
		fs[sp.fam].sides |= sp.side;
		fs[sp.fam].count++;
		if (nocc == cap) {
			size_t nc = cap ? cap * 2 : 64;
			tmp = realloc(occ, nc * sizeof(*occ));
			if (tmp == NULL) {
				r = EMB_ENOMEM;
				goto out;
			}
			occ = tmp;
			cap = nc;
		}
		sp.off = (uint32_t)s;
		sp.len = (uint32_t)m;
		occ[nocc++] = sp;
	}
	spans = malloc(sizeof(*spans) * MARK_SPANS_MAX);
	texts = malloc(sizeof(*texts) * 2 * MARK_SPANS_MAX);
	if (spans == NULL || texts == NULL) {
		r = EMB_ENOMEM;
		goto out;
	}
	for (size_t f = 0; f < FAM_COUNT && r == 0; f++) {
		size_t ns = 0;
		if (fs[f].count == 0 || fs[f].blocked || fs[f].sides == 3 ||
		    fs[f].count > MARK_SPANS_MAX)
			continue;
		for (size_t k = 0; k < nocc; k++) {
			if (occ[k].fam != f)
				continue;
			spans[ns] =
			    span_of(occ[k].off, occ[k].off + occ[k].len);
			ns++;
		}
		for (size_t k = 0, j = 0; k < nocc; k++) {
			if (occ[k].fam != f)
				continue;
			texts[j] = text_of(t + occ[k].off, occ[k].len);
			texts[ns + j] = text_of(occ[k].alt, occ[k].altlen);
			j++;
		}
		r = add_replace(
		    p, MARK_ROBUST, "prose.spelling", 2, spans, ns, texts);
	}
out:
	free(occ);
	free(spans);
	free(texts);
	return r;
}

static int
synonym_sites(struct prose *p)
{
	const uint8_t *t = p->t;
	size_t i = 0;
	int r;

	while (i < p->n && !p->full) {
		size_t end = 0;
		if (!is_alpha(t[i]) || (i > 0 && is_alnum(t[i - 1])) ||
		    p->mask[i] != M_FREE || !ok_before(p, i)) {
			i++;
			continue;
		}
		if ((r = try_synonym(p, i, &end)) < 0)
			return r;
		if (end > i) {
			i = end;
			continue;
		}
		while (i < p->n && is_alpha(t[i]))
			i++;
	}
	return 0;
}

/* ---- lists ---- */

struct item {
	uint32_t off;
	uint32_t list;
};

struct list {
	size_t col, content;
	uint8_t marker;
	bool bad;
};

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->list != y->list)
		return x->list < y->list ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

struct list_scan {
	struct item *items;
	size_t nitems, items_cap;
	struct list *lists;
	size_t nlists, lists_cap;
	size_t stack[LIST_DEPTH];
	size_t depth;
};

static int
grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t nc;
	void *np;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 32;
	np = realloc(*arr, nc * elem);
	if (np == NULL)
		return EMB_ENOMEM;
	*arr = np;
	*cap = nc;
	return 0;
}

static int
list_open(struct list_scan *ls, size_t col, size_t content, uint8_t mk)
{
	int r;

	if ((r = grow((void **)&ls->lists, &ls->lists_cap, ls->nlists,
	         sizeof(*ls->lists))) < 0)
		return r;
	ls->lists[ls->nlists].col = col;
	ls->lists[ls->nlists].content = content;
	ls->lists[ls->nlists].marker = mk;
	ls->lists[ls->nlists].bad = false;
	if (ls->depth == LIST_DEPTH) {
		/* Too deep to follow: give up on everything open. */
		for (size_t k = 0; k < ls->depth; k++)
			ls->lists[ls->stack[k]].bad = true;
		ls->lists[ls->nlists].bad = true;
		ls->depth = 0;
	}
	ls->stack[ls->depth++] = ls->nlists++;
	return 0;
}

static int
list_item(struct list_scan *ls, size_t off)
{
	int r;

	if ((r = grow((void **)&ls->items, &ls->items_cap, ls->nitems,
	         sizeof(*ls->items))) < 0)
		return r;
	ls->items[ls->nitems].off = (uint32_t)off;
	ls->items[ls->nitems].list = (uint32_t)ls->stack[ls->depth - 1];
	ls->nitems++;
	return 0;
}

/*
 * Bullet lists: every item of one list shows the same marker ("-", "*"
 * or "+"), so a list is one site whatever its length.  Lists are followed
 * the CommonMark way, conservatively: anything that looks like a marker
 * but is not a clean item spoils the lists around it.
 */
static int
list_sites(struct prose *p)
{
	const uint8_t *t = p->t;
	struct list_scan ls;
	struct mark_span *spans = NULL;
	struct mark_text *texts = NULL;
	size_t i = 0;
	bool blank = true;
	int r = 0;

	memset(&ls, 0, sizeof(ls));
	while (i < p->n) {
		size_t le = line_end(t, p->n, i),
		       nx = le < p->n ? le + 1 : p->n;
		size_t col, f = first_nonblank(t, i, le, &col);
		bool item, markerish;

		if (f == le) {
			blank = true;
			i = nx;
			continue;
		}
		markerish = col <= 3 && in_set(t[f], "-*+") &&
		    (f + 1 == le || is_blank(t[f + 1]));
		item = markerish && f + 1 < le && is_hspace(t[f + 1]) &&
		    !rest_blank(t, f + 1, le) &&
		    !rule_line(t, f, le, t[f], 3) && p->mask[f] == M_FREE &&
		    p->mask[f + 1] == M_FREE;
		if (markerish && !item) {
			for (size_t k = 0; k < ls.depth; k++)
				ls.lists[ls.stack[k]].bad = true;
			ls.depth = 0;
		} else if (item) {
			size_t c = f + 1, content;
			while (c < le && is_hspace(t[c]) && c - f <= 5)
				c++;
			content = col + (c - f > 5 ? 2 : c - f);
			while (ls.depth > 0 &&
			    col < ls.lists[ls.stack[ls.depth - 1]].col)
				ls.depth--;
			if (ls.depth > 0 &&
			    col < ls.lists[ls.stack[ls.depth - 1]].content) {
				if (ls.lists[ls.stack[ls.depth - 1]].marker !=
				    t[f]) {
					ls.depth--;
					r = list_open(&ls, col, content, t[f]);
				}
			} else {
				r = list_open(&ls, col, content, t[f]);
			}
			if (r < 0 || (r = list_item(&ls, f)) < 0)
				goto out;
		} else if (blank || t[f] == '#' || t[f] == '>' || t[f] == '<' ||
		    t[f] == '|' || p->mask[f] == M_HARD ||
		    rule_line(t, f, le, '*', 3) ||
		    rule_line(t, f, le, '_', 3) ||
		    rule_line(t, f, le, '-', 3)) {
			/* Not a lazy continuation: close what it is not in. */
			while (ls.depth > 0 &&
			    col < ls.lists[ls.stack[ls.depth - 1]].content)
				ls.depth--;
		}
		blank = false;
		i = nx;
	}
	if (ls.nitems == 0)
		goto out;
	qsort(ls.items, ls.nitems, sizeof(*ls.items), item_cmp);
	spans = malloc(sizeof(*spans) * MARK_SPANS_MAX);
	texts = malloc(sizeof(*texts) * 3 * MARK_SPANS_MAX);
	if (spans == NULL || texts == NULL) {
		r = EMB_ENOMEM;
		goto out;
	}
	for (size_t a = 0, b; a < ls.nitems && r == 0; a = b) {
		const struct list *l = &ls.lists[ls.items[a].list];
		static const char order[] = "-*+";
		char mk[3];
		size_t ns = b = a;
		unsigned q = 1;

		while (b < ls.nitems && ls.items[b].list == ls.items[a].list)
			b++;
		ns = b - a;
		if (l->bad || ns > MARK_SPANS_MAX)
			continue;
		mk[0] = (char)l->marker;
		for (int k = 0; k < 3; k++)
			if (order[k] != mk[0])
				mk[q++] = order[k];
		for (size_t k = 0; k < ns; k++) {
			spans[k] = span_of(
			    ls.items[a + k].off, ls.items[a + k].off + 1);
			for (unsigned v = 0; v < 3; v++)
				texts[v * ns + k] = text_of(&mk[v], 1);
		}
		r = add_replace(
		    p, MARK_ROBUST, "prose.list_marker", 3, spans, ns, texts);
	}
out:
	free(ls.items);
	free(ls.lists);
	free(spans);
	free(texts);
	return r;
}

/* ---- emphasis ---- */

/* "**strong**" and "__strong__", "*em*" and "_em_". */
static int
emphasis_sites(struct prose *p)
{
	const uint8_t *t = p->t;
	size_t i = 0;
	int r;

	while (i < p->n && !p->full) {
		uint8_t c = t[i], o;
		size_t run, j, close = 0;
		bool found = false;

		if ((c != '*' && c != '_') || p->mask[i] != M_FREE) {
			i++;
			continue;
		}
		run = run_of(t, i, p->n, c);
		if (run > 2 ||
		    (i > 0 &&
		        (is_alnum(t[i - 1]) || in_set(t[i - 1], "*_\\`"))) ||
		    i + run >= p->n || is_blank(t[i + run])) {
			i += run;
			continue;
		}
		o = c == '*' ? '_' : '*';
		for (j = i + run; j < p->n && j - i < EMPH_MAX; j++) {
			if (t[j] == c) {
				close = j;
				found = run_of(t, j, p->n, c) == run &&
				    !is_blank(t[j - 1]) &&
				    (j + run == p->n ||
				        (!is_alnum(t[j + run]) &&
				            !in_set(t[j + run], "*_`\\[<"))) &&
				    all_free(p, i, j + run);
				break;
			}
			if (t[j] == '\n' || in_set(t[j], "`[<\\") || t[j] == o)
				break;
		}
		if (!found) {
			i = j > i + run ? j : i + run;
			continue;
		}
		{
			struct mark_span sp[2] = {
			    span_of(i, i + run), span_of(close, close + run)};
			const char *a = c == '*' ? "**" : "__";
			const char *b = c == '*' ? "__" : "**";
			struct mark_text v[4] = {text_of(a, run),
			    text_of(a, run), text_of(b, run), text_of(b, run)};
			if ((r = add_replace(p, MARK_ROBUST, "prose.emphasis",
			         2, sp, 2, v)) < 0)
				return r;
		}
		i = close + run;
	}
	return 0;
}

/* ---- serial comma ---- */

enum { TK_BAD, TK_P, TK_C, TK_L };

static bool
tok_char(uint8_t c)
{
	return !is_blank(c) && c != ',' && !in_set(c, "();:!?[]{}\"<>") &&
	    c >= 0x20;
}

/* P: a name or number ("Windows", "macOS", "2.4"), C: code, L: a word. */
static int
tok_class(const uint8_t *t, size_t s, size_t e)
{
	bool up = false, dig = false, low = false;

	if (e - s >= 2 && t[s] == '`' && t[e - 1] == '`')
		return TK_C;
	if (t[e - 1] == '.')
		return TK_BAD;
	for (size_t i = s; i < e; i++) {
		if (is_upper(t[i]))
			up = true;
		else if (is_digit(t[i]))
			dig = true;
		else if (is_lower(t[i]))
			low = true;
		else if (!in_set(t[i], "-_./+#'"))
			return TK_BAD;
	}
	if ((up || dig) && is_alnum(t[s]))
		return TK_P;
	if (low && !up && !dig && is_lower(t[s]))
		return TK_L;
	return TK_BAD;
}

/* Start of the blank run ending at e (one newline at most), or e. */
static size_t
blank_back(const struct prose *p, size_t e, bool *ok)
{
	size_t j = e, nl = 0;

	while (j > 0 && is_blank(p->t[j - 1]) && e - j < BLANK_MAX)
		nl += p->t[--j] == '\n';
	*ok = nl <= 1 && e - j < BLANK_MAX;
	return j;
}

static size_t
token_back(const struct prose *p, size_t e)
{
	size_t s = e;

	while (s > 0 && tok_char(p->t[s - 1]) && e - s < WORD_MAX)
		s--;
	return s > 0 && tok_char(p->t[s - 1]) ? e : s;
}

static const char *const list_intro[] = {"including", "include", "includes",
    "included", "affects", "affect", "affecting", "as", "like", "namely", "are",
    "is", "versions", "both", "either", "between", "among", NULL};

/* Whether the token at s is clearly where an in-sentence list begins. */
static bool
list_begins(const struct prose *p, size_t s)
{
	const uint8_t *t = p->t;
	size_t b, ps;
	bool ok;
	char w[WORD_MAX];

	b = blank_back(p, s, &ok);
	if (!ok)
		return false;
	if (b == s)
		return s == 0 || in_set(t[s - 1], "(:");
	if (b == 0)
		return true;
	if (in_set(t[b - 1], "(:"))
		return true;
	ps = token_back(p, b);
	if (ps == b)
		return false;
	if (b - ps == 1 && in_set(t[ps], "-*+") &&
	    (ps == 0 || t[ps - 1] == '\n' || is_hspace(t[ps - 1])))
		return true; /* first thing in a list item */
	if (in_set(t[b - 1], ".!?"))
		return true;
	if (b - ps + 1 > WORD_MAX)
		return false;
	for (size_t k = ps; k < b; k++)
		w[k - ps] = (char)to_lower(t[k]);
	w[b - ps] = 0;
	return in_list(list_intro, w);
}

struct classes {
	bool pc, l;
};

static void
classes_add(struct classes *c, int cls)
{
	if (cls != TK_P && cls != TK_C)
		c->pc = false;
	if (cls != TK_L)
		c->l = false;
}

enum { IB_COMMA, IB_OPEN, IB_FAIL };

/*
 * Read one list item back from e (exclusive): 1..3 tokens.  IB_COMMA if
 * ", " comes before it (its offset in *ret_comma), IB_OPEN if something
 * else does (the item may be the list's first), IB_FAIL if there is no
 * item at all.
 */
static int
item_back(const struct prose *p, size_t e, struct classes *c, size_t *ntok,
    size_t *ret_comma)
{
	size_t pos = e;
	bool ok;

	*ntok = 0;
	for (;;) {
		size_t s = token_back(p, pos), b;
		if (s == pos)
			return *ntok == 0 ? IB_FAIL : IB_OPEN;
		classes_add(c, tok_class(p->t, s, pos));
		(*ntok)++;
		b = blank_back(p, s, &ok);
		if (!ok || b == s)
			return IB_OPEN;
		if (b > 0 && p->t[b - 1] == ',') {
			*ret_comma = b - 1;
			return IB_COMMA;
		}
		if (*ntok == 3)
			return IB_OPEN;
		pos = b;
	}
}

/* "A, B and C" <-> "A, B, and C", for lists that are clearly lists. */
static int
try_serial(struct prose *p, size_t s, size_t e)
{
	const uint8_t *t = p->t;
	struct classes cls = {true, true};
	size_t j, bend, comma = 0, ntok, first, ns, ce, mid = 0;
	bool serial, ok, intro = false, single = true;
	struct mark_span span;
	struct mark_text v[2];
	char buf[BLANK_MAX + 2];

	if (e >= p->n || !is_blank(t[e]) || !all_free(p, s, e))
		return 0;
	/* C: the token after the conjunction */
	ns = e;
	while (ns < p->n && is_blank(t[ns]) && ns - e < BLANK_MAX)
		ns++;
	ce = ns;
	while (ce < p->n && tok_char(t[ce]) && ce - ns < WORD_MAX)
		ce++;
	if (ce > ns && t[ce - 1] == '.')
		ce--;
	if (ce == ns)
		return 0;
	classes_add(&cls, tok_class(t, ns, ce));
	/* the blank before the conjunction, and a serial comma */
	j = blank_back(p, s, &ok);
	if (!ok || j == s)
		return 0;
	serial = j > 0 && t[j - 1] == ',';
	bend = serial ? j - 1 : j;
	/* B */
	if (item_back(p, bend, &cls, &ntok, &comma) != IB_COMMA)
		return 0;
	single = ntok == 1;
	/* middle items, then A */
	for (size_t k = 0;; k++) {
		struct classes mc = {true, true};
		size_t c2 = 0;
		int st = item_back(p, comma, &mc, &ntok, &c2);
		if (st == IB_FAIL || k == ITEMS_MAX)
			return 0;
		if (st == IB_COMMA && ((cls.pc && mc.pc) || (cls.l && mc.l))) {
			mid++;
			single = single && ntok == 1;
			cls.pc = cls.pc && mc.pc;
			cls.l = cls.l && mc.l;
			comma = c2;
			continue;
		}
		/*
		 * The first item ("including VPN" in "appliance, including
		 * VPN, LDAP and RADIUS"): only its last token is in the list.
		 */
		first = token_back(p, comma);
		classes_add(&cls, tok_class(t, first, comma));
		intro = list_begins(p, first);
		break;
	}
	if (!(intro || mid > 0) || !(cls.pc || (cls.l && single)))
		return 0;
	for (size_t k = first; k < ce; k++)
		if (p->mask[k] == M_SOFT)
			return 0;
	if (serial) {
		span = span_of(j - 1, s);
		v[0] = text_of(t + j - 1, s - j + 1);
		v[1] = text_of(t + j, s - j);
	} else {
		span = span_of(j, s);
		buf[0] = ',';
		memcpy(buf + 1, t + j, s - j);
		v[0] = text_of(t + j, s - j);
		v[1] = text_of(buf, s - j + 1);
	}
	if (!all_free(p, span.off, span.off + span.len))
		return 0;
	return add_replace(
	    p, MARK_ROBUST, "prose.serial_comma", 2, &span, 1, v);
}

static int
serial_sites(struct prose *p)
{
	const uint8_t *t = p->t;
	int r;

	for (size_t i = 0; i + 2 < p->n && !p->full; i++) {
		size_t e;
		if ((t[i] != 'a' && t[i] != 'o') ||
		    (i > 0 && !is_blank(t[i - 1])))
			continue;
		if (p->n - i >= 3 && memcmp(t + i, "and", 3) == 0)
			e = i + 3;
		else if (memcmp(t + i, "or", 2) == 0)
			e = i + 2;
		else
			continue;
		if ((r = try_serial(p, i, e)) < 0)
			return r;
	}
	return 0;
}

/* ---- fragile: wrapping and blanks ---- */

/* Move a paragraph line's last word to the start of the next line. */
static int
wrap_sites(struct prose *p)
{
	const uint8_t *t = p->t;
	size_t i = 0;
	int r;

	while (i < p->n && !p->full) {
		size_t le = line_end(t, p->n, i), e = le, ws, sp, ne, k;
		bool letter = false, crlf;
		char buf[WORD_MAX + 4];

		if (le >= p->n)
			break;
		crlf = e > i && t[e - 1] == '\r';
		e -= crlf;
		ne = line_end(t, p->n, le + 1);
		if (e - i < 40 || le + 1 >= ne || !is_alpha(t[le + 1]) ||
		    p->mask[le + 1] != M_FREE || is_blank(t[e - 1]))
			goto next;
		for (k = le + 1; k < ne && !is_blank(t[k]); k++)
			;
		if (t[k - 1] == ':')
			goto next;
		ws = e;
		while (ws > i && !is_blank(t[ws - 1]))
			ws--;
		sp = ws - 1;
		if (ws <= i + 1 || t[sp] != ' ' || is_blank(t[sp - 1]) ||
		    e - ws > WORD_MAX || !is_alpha(t[ws]) ||
		    memchr(t + ws, '\\', e - ws) != NULL ||
		    !all_free(p, sp, le + 1))
			goto next;
		for (k = i; k < sp; k++)
			letter = letter || is_alpha(t[k]);
		if (!letter)
			goto next;
		{
			struct mark_span span = span_of(sp, le + 1);
			struct mark_text v[2];
			size_t m = 0;
			if (crlf)
				buf[m++] = '\r';
			buf[m++] = '\n';
			memcpy(buf + m, t + ws, e - ws);
			m += e - ws;
			buf[m++] = ' ';
			v[0] = text_of(t + sp, le + 1 - sp);
			v[1] = text_of(buf, m);
			if ((r = add_replace(p, MARK_FRAGILE, "prose.line_wrap",
			         2, &span, 1, v)) < 0)
				return r;
		}
next:
		i = le + 1;
	}
	return 0;
}

/* One or two blanks after a full stop. */
static int
double_space_sites(struct prose *p)
{
	const uint8_t *t = p->t;
	int r;

	for (size_t i = 2; i + 3 < p->n && !p->full; i++) {
		size_t w;
		struct mark_span span;
		struct mark_text v[2] = {text_of(" ", 1), text_of("  ", 2)};

		if (!in_set(t[i], ".!?") || t[i + 1] != ' ' ||
		    !is_lower(t[i - 1]) || !is_alpha(t[i - 2]))
			continue;
		w = t[i + 2] == ' ' ? 2 : 1;
		if (!is_upper(t[i + 1 + w]) || !all_free(p, i, i + 2 + w))
			continue;
		span = span_of(i + 1, i + 1 + w);
		if (w == 2) {
			v[0] = text_of("  ", 2);
			v[1] = text_of(" ", 1);
		}
		if ((r = add_replace(p, MARK_FRAGILE, "prose.double_space", 2,
		         &span, 1, v)) < 0)
			return r;
	}
	return 0;
}

/* A blank at the end of a line (one: two would be a Markdown break). */
static int
trailing_sites(struct prose *p)
{
	const uint8_t *t = p->t;
	size_t i = 0;
	int r;

	while (i < p->n && !p->full) {
		size_t le = line_end(t, p->n, i), e = le;
		struct mark_span span;
		struct mark_text v[2];
		char buf[3];

		if (le >= p->n)
			break;
		if (e > i && t[e - 1] == '\r')
			e--;
		if (e > i && !is_blank(t[e - 1]) && t[e - 1] != '\\' &&
		    p->mask[e - 1] != M_HARD && p->mask[le] != M_HARD &&
		    p->mask[e] != M_HARD) {
			span = span_of(e, le + 1);
			buf[0] = ' ';
			memcpy(buf + 1, t + e, le + 1 - e);
			v[0] = text_of(t + e, le + 1 - e);
			v[1] = text_of(buf, le + 2 - e);
			if ((r = add_replace(p, MARK_FRAGILE,
			         "prose.trailing_space", 2, &span, 1, v)) < 0)
				return r;
		}
		i = le + 1;
	}
	return 0;
}

/*
 * Discover the sites of a Markdown or plain-text document: word choices,
 * spelling families, list bullets, emphasis and serial commas (robust),
 * then wrapping and blanks (fragile).  Returns 0, or EMB_ENOMEM; a set
 * that fills up simply gets no more sites.
 */
int
mark_lang_prose(struct mark_set *set)
{
	struct prose p = {set, set->text, set->len, NULL, false};
	int r;

	if (set->len == 0 || set->len > UINT32_MAX - 1)
		return 0;
	p.mask = calloc(set->len, 1);
	if (p.mask == NULL)
		return EMB_ENOMEM;
	mask_templates(&p);
	mask_blocks(&p);
	mask_inline(&p);
	if ((r = spelling_sites(&p)) < 0 || (r = synonym_sites(&p)) < 0 ||
	    (r = list_sites(&p)) < 0 || (r = emphasis_sites(&p)) < 0 ||
	    (r = serial_sites(&p)) < 0 || (r = wrap_sites(&p)) < 0 ||
	    (r = double_space_sites(&p)) < 0 || (r = trailing_sites(&p)) < 0)
		goto out;
out:
	free(p.mask);
	return r;
}
