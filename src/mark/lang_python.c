/*
 * Mark-site discovery for Python.
 *
 * The text is tokenized (pylex) and read as logical lines with their
 * indentation level, which gives the block structure: which lines a def
 * or class owns, which statements sit directly in a function's scope.
 * There is no full parser; every rule instead looks for a narrow pattern
 * whose meaning is certain, and gives up on anything it cannot prove
 * behaviour-preserving.  A file that does not tokenize cleanly gets no
 * sites at all.
 *
 * Robust rules survive black, whitespace changes and comment stripping:
 *
 *  - py.rename: consistent renaming of a function's locals and
 *    parameters, and of module-level private (_name) functions and
 *    classes, to one of up to four plausible names.  A local is a name
 *    bound by an assignment, for, with or except target, or a parameter,
 *    in the function's own scope.  Renaming every occurrence in the
 *    function (nested comprehensions and closures included) to a name
 *    that occurs nowhere in the file is an alpha-renaming, hence safe,
 *    unless something reaches the name other than lexically: dynamic
 *    lookups (locals, vars, eval, exec, globals, dir, frame introspection)
 *    disqualify the function; global, nonlocal, del, import, walrus,
 *    nested def or lambda parameters, f-strings and format templates
 *    mentioning the name disqualify the name; attributes (.x) and keyword
 *    names at call sites (x=) are never touched, so a parameter that any
 *    call passes by keyword, or that a string names, keeps its name, as do
 *    parameters of decorated functions and of methods of derived classes
 *    (their callers are not in this file).
 *  - py.kwarg-order: the order of keyword arguments whose values are
 *    literals or plain names, in calls whose callee is known to take
 *    named parameters (a def in this file without **, or a well-known
 *    library function); evaluation order cannot matter then.
 *  - py.reorder: adjacent literal constant assignments, and adjacent
 *    top-level def/class blocks that only bind names when they run.
 *  - py.expr: range(0, n)/range(n), dict()/{}, list()/[], "if not a ==
 *    LIT"/"if a != LIT", join over a list comprehension or a generator,
 *    return None/return, "in (a, b)"/"in [a, b]", open(f, "r")/open(f),
 *    only where the builtin cannot have been rebound.
 *  - py.int-literal and py.str-escape: other spellings of the same
 *    integer or string value, in the forms black leaves alone.
 *
 * Fragile rules only catch verbatim copies: py.import-order (isort
 * sorts), py.blank-lines, py.trailing-ws, py.quote and py.comment.
 *
 * The scoping rules relied on are those of the Python Language Reference,
 * "Execution model: naming and binding" (a name bound anywhere in a
 * function body is local to the whole body; class bodies are no
 * enclosing scope), and the literal rules its "Lexical analysis".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mark/lang.h"
#include "common/str.h"
#include "mark/pylex.h"
#include "common/emb.h"

#define NONE UINT32_MAX
#define PY_TEXT_MAX (16u << 20)
#define PY_TOKENS_MAX (4u << 20)
#define PY_NAME_MAX 48
#define PY_RENAME_SITES_MAX 8192
#define PY_PRIVATE_MAX 256
#define PY_DECODE_MAX 4096

/* ---- small containers ---- */

struct vec {
	uint32_t *v;
	size_t n, cap;
};

static int
vec_push(struct vec *a, uint32_t x)
{
	if (a->n >= PY_TOKENS_MAX)
		return EMB_ETOOBIG;
	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 16;
		uint32_t *nv = realloc(a->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return EMB_ENOMEM;
		a->v = nv;
		a->cap = ncap;
	}
	a->v[a->n++] = x;
	return 0;
}

static uint32_t
hash_bytes(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/*
 * Open-addressing map from byte strings (borrowed) to a value; a key may
 * be inserted more than once (lookups walk the whole probe chain).
 */
struct slot {
	const uint8_t *k;
	uint32_t n;
	uint32_t val;
};

struct map {
	struct slot *s;
	size_t cap, used;
};

static int
map_init(struct map *m, size_t expect)
{
	size_t cap = 64;

	while (cap < expect * 2 + 16)
		cap *= 2;
	m->s = calloc(cap, sizeof(*m->s));
	m->cap = cap;
	m->used = 0;
	return m->s ? 0 : EMB_ENOMEM;
}

static void
map_fini(struct map *m)
{
	free(m->s);
	memset(m, 0, sizeof(*m));
}

static int
map_grow(struct map *m)
{
	struct map nm;

	if (map_init(&nm, m->cap) < 0)
		return EMB_ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		struct slot *s = &m->s[i];
		if (s->k == NULL)
			continue;
		size_t j = hash_bytes(s->k, s->n) & (nm.cap - 1);
		while (nm.s[j].k != NULL)
			j = (j + 1) & (nm.cap - 1);
		nm.s[j] = *s;
		nm.used++;
	}
	free(m->s);
	*m = nm;
	return 0;
}

/* Insert a new entry (duplicates allowed). */
static int
map_add(struct map *m, const uint8_t *k, size_t n, uint32_t val)
{
	size_t j;

	if ((m->used + 1) * 2 > m->cap && map_grow(m) < 0)
		return EMB_ENOMEM;
	j = hash_bytes(k, n) & (m->cap - 1);
	while (m->s[j].k != NULL)
		j = (j + 1) & (m->cap - 1);
	m->s[j].k = k;
	m->s[j].n = (uint32_t)n;
	m->s[j].val = val;
	m->used++;
	return 0;
}

/* The first entry for a key, or NULL; *iter continues with map_next. */
static struct slot *
map_next(const struct map *m, const uint8_t *k, size_t n, size_t *iter)
{
	for (size_t j = *iter; m->s[j].k != NULL; j = (j + 1) & (m->cap - 1)) {
		if (m->s[j].n == n && memcmp(m->s[j].k, k, n) == 0) {
			*iter = (j + 1) & (m->cap - 1);
			return &m->s[j];
		}
	}
	return NULL;
}

static struct slot *
map_get(const struct map *m, const uint8_t *k, size_t n)
{
	size_t it;

	if (m->cap == 0)
		return NULL;
	it = hash_bytes(k, n) & (m->cap - 1);
	return map_next(m, k, n, &it);
}

/* ---- the analysed file ---- */

struct pline {
	uint32_t s0, s1; /* significant tokens; s1 is the NEWLINE */
	uint32_t level;
	uint32_t parent; /* innermost enclosing header line */
	uint32_t owner; /* innermost enclosing def or class line */
	uint32_t end; /* first line after the block */
	uint32_t last_eq; /* last top-level '=' or augmented assignment */
};

struct pfunc {
	uint32_t line;
	uint32_t def; /* sig index of "def" */
	uint32_t name; /* sig index of the name */
	uint32_t lp, rp; /* header parentheses */
	uint32_t colon;
	uint32_t b0, b1; /* body tokens */
	uint32_t outer; /* outermost enclosing function (index) */
	bool decorated;
	bool starstar; /* has a ** parameter */
	bool lambda_hdr; /* a lambda in the header */
	bool async;
};

struct py {
	struct mark_set *set;
	const uint8_t *t;
	size_t n;
	struct pylex_tok *all;
	size_t nall;
	uint32_t *sig; /* significant tokens: indices into all */
	size_t nsig;
	uint32_t *match; /* matching bracket */
	uint32_t *openof; /* innermost enclosing open bracket */
	uint32_t *lineof; /* logical line of each token */
	uint8_t *flag; /* SF_* per significant token */
	struct pline *lines;
	size_t nlines;
	struct pfunc *funcs;
	size_t nfuncs;
	uint32_t *funcof; /* function index of a def line, or NONE */
	struct map names; /* every NAME in the file: its first token */
	uint32_t *gnext; /* next token with the same name */
	struct map kwkeys; /* keyword names at call sites */
	struct map strs; /* contents of plain one-line strings */
	struct map strwords; /* identifier-like words in any string */
	struct map defs; /* def names: DEF_* */
	struct map classes; /* class names: DEF_* */
	struct map class_lines; /* top-level class names: first line */
	struct map resv; /* reserved new names (generated, owned) */
	struct buf resv_pool;
	size_t renames;
	bool py2;
	bool has_match; /* a match statement somewhere */
	bool dyn_file; /* frame or code introspection somewhere */
	bool dyn_params; /* signature introspection somewhere */
	bool dyn_globals; /* module names reached other than lexically */
	bool dyn_order; /* the order of module or local names is visible */
	bool has_eval; /* eval or exec: builtins may be rebound */
	bool star_import; /* from x import *: anything may be rebound */
	char quote; /* the file's usual quote */
	bool full; /* the set is full: stop quietly */
};

#define SF_DEFHDR 0x01 /* inside a def header (def .. colon) */
#define SF_LAMBDA 0x02 /* inside lambda parameters */
#define SF_COMPTGT 0x04 /* comprehension target (for .. in) */
#define SF_KWKEY 0x08 /* keyword name at a call site */
#define SF_BINDING 0x10 /* bound by its statement */
#define SF_STMTSKIP 0x20 /* in an import/global/nonlocal/del statement */

static const struct pylex_tok *
tok(const struct py *p, size_t i)
{
	return &p->all[p->sig[i]];
}

static const uint8_t *
ttext(const struct py *p, size_t i)
{
	return p->t + tok(p, i)->off;
}

static bool
is_kind(const struct py *p, size_t i, enum pylex_kind k)
{
	return i < p->nsig && tok(p, i)->kind == k;
}

static bool
tok_eq(const struct py *p, size_t i, enum pylex_kind k, const char *s)
{
	size_t n = strlen(s);

	return i < p->nsig && tok(p, i)->kind == k && tok(p, i)->len == n &&
	    memcmp(ttext(p, i), s, n) == 0;
}

static bool
is_op(const struct py *p, size_t i, const char *s)
{
	return tok_eq(p, i, PYLEX_OP, s);
}

static bool
is_name(const struct py *p, size_t i, const char *s)
{
	return tok_eq(p, i, PYLEX_NAME, s);
}

static bool
is_ident_tok(const struct py *p, size_t i)
{
	return is_kind(p, i, PYLEX_NAME) &&
	    !pylex_is_keyword(ttext(p, i), tok(p, i)->len);
}

static bool
same_text(const struct py *p, size_t i, size_t j)
{
	return tok(p, i)->len == tok(p, j)->len &&
	    memcmp(ttext(p, i), ttext(p, j), tok(p, i)->len) == 0;
}

static bool
in_list(const uint8_t *s, size_t n, const char *const *list)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strlen(list[i]) == n && memcmp(list[i], s, n) == 0)
			return true;
	return false;
}

static bool
tok_in(const struct py *p, size_t i, const char *const *list)
{
	return i < p->nsig && in_list(ttext(p, i), tok(p, i)->len, list);
}

/* An attribute name: preceded by '.'. */
static bool
is_attr(const struct py *p, size_t i)
{
	return i > 0 && is_op(p, i - 1, ".");
}

static bool
file_has_name(const struct py *p, const char *s)
{
	return map_get(&p->names, (const uint8_t *)s, strlen(s)) != NULL;
}

static bool
file_has_text(const struct py *p, const char *s)
{
	return memmem(p->t, p->n, s, strlen(s)) != NULL;
}

/* Add a site; a full set ends discovery quietly. */
static int
add_replace(struct py *p, enum mark_kind kind, const char *rule, unsigned q,
    const struct mark_span *spans, size_t n, const struct mark_text *texts)
{
	int r;

	if (p->full)
		return 0;
	r = mark_set_replace(p->set, kind, rule, q, spans, n, texts);
	if (r == EMB_ETOOBIG) {
		p->full = true;
		return 0;
	}
	return r;
}

static int
add_permute(struct py *p, enum mark_kind kind, const char *rule,
    const struct mark_span *spans, size_t n)
{
	int r;

	if (p->full)
		return 0;
	r = mark_set_permute(p->set, kind, rule, spans, n);
	if (r == EMB_ETOOBIG) {
		p->full = true;
		return 0;
	}
	return r;
}

static struct mark_span
span_of(const struct py *p, size_t i)
{
	struct mark_span s = {tok(p, i)->off, tok(p, i)->len};

	return s;
}

/* Span from the start of sig token a to the end of sig token b. */
static struct mark_span
span_range(const struct py *p, size_t a, size_t b)
{
	struct mark_span s;

	s.off = tok(p, a)->off;
	s.len = tok(p, b)->off + tok(p, b)->len - s.off;
	return s;
}

/* Whether a comment or a line break lies between the two offsets. */
static bool
gap_plain(const struct py *p, size_t from, size_t to)
{
	for (size_t i = from; i < to && i < p->n; i++)
		if (p->t[i] == '#' || p->t[i] == '\n' || p->t[i] == '\r' ||
		    p->t[i] == '\\')
			return false;
	return true;
}

/* ---- structure ---- */

static const char *const aug_ops[] = {"+=", "-=", "*=", "/=", "//=", "%=",
    "**=", ">>=", "<<=", "&=", "|=", "^=", "@=", NULL};

static int
build(struct py *p)
{
	struct vec stack = {0};
	uint32_t level = 0;
	int r = 0;

	p->sig = malloc(sizeof(uint32_t) * (p->nall + 1));
	if (p->sig == NULL)
		return EMB_ENOMEM;
	for (size_t i = 0; i < p->nall; i++) {
		uint8_t k = p->all[i].kind;
		if (k != PYLEX_COMMENT && k != PYLEX_NL)
			p->sig[p->nsig++] = (uint32_t)i;
	}
	p->match = malloc(sizeof(uint32_t) * (p->nsig + 1));
	p->openof = malloc(sizeof(uint32_t) * (p->nsig + 1));
	p->lineof = malloc(sizeof(uint32_t) * (p->nsig + 1));
	p->flag = calloc(p->nsig + 1, 1);
	p->lines = malloc(sizeof(*p->lines) * (p->nsig + 1));
	if (!p->match || !p->openof || !p->lineof || !p->flag || !p->lines)
		return EMB_ENOMEM;
	/* Brackets (the lexer has checked that they match). */
	for (size_t i = 0; i < p->nsig; i++) {
		p->match[i] = NONE;
		p->openof[i] = stack.n ? stack.v[stack.n - 1] : NONE;
		if (is_op(p, i, "(") || is_op(p, i, "[") || is_op(p, i, "{")) {
			if ((r = vec_push(&stack, (uint32_t)i)) < 0)
				goto out;
		} else if (is_op(p, i, ")") || is_op(p, i, "]") ||
		    is_op(p, i, "}")) {
			if (stack.n == 0) {
				r = EMB_EINVAL;
				goto out;
			}
			uint32_t o = stack.v[--stack.n];
			p->match[o] = (uint32_t)i;
			p->match[i] = o;
			p->openof[i] = stack.n ? stack.v[stack.n - 1] : NONE;
		}
	}
	if (stack.n != 0) {
		r = EMB_EINVAL;
		goto out;
	}
	/* Logical lines. */
	for (size_t i = 0; i < p->nsig;) {
		uint8_t k = tok(p, i)->kind;
		if (k == PYLEX_INDENT || k == PYLEX_DEDENT) {
			level += k == PYLEX_INDENT ? 1 : (level ? -1u : 0);
			i++;
			continue;
		}
		struct pline *l = &p->lines[p->nlines];
		l->s0 = (uint32_t)i;
		while (i < p->nsig && tok(p, i)->kind != PYLEX_NEWLINE) {
			p->lineof[i] = (uint32_t)p->nlines;
			i++;
		}
		if (i >= p->nsig) {
			r = EMB_EINVAL;
			goto out;
		}
		p->lineof[i] = (uint32_t)p->nlines;
		l->s1 = (uint32_t)i;
		l->level = level;
		l->last_eq = NONE;
		for (size_t j = l->s0; j < l->s1; j++)
			if (tok(p, j)->depth == 0 &&
			    tok(p, j)->kind == PYLEX_OP &&
			    (is_op(p, j, "=") || tok_in(p, j, aug_ops)))
				l->last_eq = (uint32_t)j;
		p->nlines++;
		i++;
	}
	for (size_t i = 0; i < p->nsig; i++)
		if (tok(p, i)->kind == PYLEX_INDENT ||
		    tok(p, i)->kind == PYLEX_DEDENT)
			p->lineof[i] = NONE;
	/*
	 * Parents, owners and block ends.  A block must follow a header and
	 * a header needs a block (else Python would not run the file and
	 * its structure here would be fiction).
	 */
	stack.n = 0;
	for (size_t i = 0; i < p->nlines; i++) {
		struct pline *l = &p->lines[i];
		bool header = is_op(p, l->s1 - 1, ":") && l->s1 > l->s0;
		bool deeper =
		    i + 1 < p->nlines && p->lines[i + 1].level > l->level;
		if (header != deeper || (i == 0 && l->level != 0)) {
			r = EMB_EINVAL;
			goto out;
		}
		while (stack.n > 0 &&
		    p->lines[stack.v[stack.n - 1]].level >= l->level)
			p->lines[stack.v[--stack.n]].end = (uint32_t)i;
		l->parent = stack.n ? stack.v[stack.n - 1] : NONE;
		l->end = (uint32_t)i + 1;
		if (l->parent == NONE)
			l->owner = NONE;
		else if (is_name(p, p->lines[l->parent].s0, "def") ||
		    is_name(p, p->lines[l->parent].s0, "class") ||
		    (is_name(p, p->lines[l->parent].s0, "async") &&
		        is_name(p, p->lines[l->parent].s0 + 1, "def")))
			l->owner = l->parent;
		else
			l->owner = p->lines[l->parent].owner;
		if ((r = vec_push(&stack, (uint32_t)i)) < 0)
			goto out;
	}
	while (stack.n > 0)
		p->lines[stack.v[--stack.n]].end = (uint32_t)p->nlines;
out:
	free(stack.v);
	return r;
}

static bool
line_starts(const struct py *p, size_t line, const char *kw)
{
	return is_name(p, p->lines[line].s0, kw);
}

static bool
is_def_line(const struct py *p, size_t line)
{
	size_t s = p->lines[line].s0;

	return is_name(p, s, "def") ||
	    (is_name(p, s, "async") && is_name(p, s + 1, "def"));
}

/* The top-level ':' of a compound statement header, after sig a. */
static uint32_t
header_colon(const struct py *p, size_t line, size_t a)
{
	for (size_t i = a; i < p->lines[line].s1; i++)
		if (tok(p, i)->depth == 0 && is_op(p, i, ":"))
			return (uint32_t)i;
	return NONE;
}

static int
find_funcs(struct py *p)
{
	p->funcs = calloc(p->nlines + 1, sizeof(*p->funcs));
	p->funcof = malloc(sizeof(uint32_t) * (p->nlines + 1));
	if (p->funcs == NULL || p->funcof == NULL)
		return EMB_ENOMEM;
	for (size_t i = 0; i < p->nlines; i++) {
		const struct pline *l = &p->lines[i];
		struct pfunc f = {0};
		size_t s = l->s0;

		p->funcof[i] = NONE;
		if (!is_def_line(p, i))
			continue;
		f.async = is_name(p, s, "async");
		f.line = (uint32_t)i;
		f.def = (uint32_t)(s + f.async);
		f.name = f.def + 1;
		f.lp = f.def + 2;
		if (!is_ident_tok(p, f.name) || !is_op(p, f.lp, "(") ||
		    p->match[f.lp] == NONE)
			continue;
		f.rp = p->match[f.lp];
		f.colon = header_colon(p, i, f.rp + 1);
		if (f.colon == NONE)
			continue;
		for (size_t k = f.def; k <= f.colon; k++)
			p->flag[k] |= SF_DEFHDR;
		for (size_t k = f.lp + 1; k < f.rp; k++) {
			if (is_name(p, k, "lambda"))
				f.lambda_hdr = true;
			if (is_op(p, k, "**") &&
			    tok(p, k)->depth == tok(p, f.lp)->depth + 1u)
				f.starstar = true;
		}
		f.b0 = f.colon + 1;
		f.b1 = l->end > i + 1 ? p->lines[l->end - 1].s1 : l->s1;
		f.decorated = i > 0 && p->lines[i - 1].level == l->level &&
		    is_op(p, p->lines[i - 1].s0, "@");
		f.outer = (uint32_t)p->nfuncs;
		for (uint32_t o = l->owner; o != NONE; o = p->lines[o].owner)
			if (p->funcof[o] != NONE)
				f.outer = p->funcs[p->funcof[o]].outer;
		p->funcof[i] = (uint32_t)p->nfuncs;
		p->funcs[p->nfuncs++] = f;
	}
	return 0;
}

/* Lambda parameters, comprehension targets and keyword names. */
static void
mark_contexts(struct py *p)
{
	for (size_t i = 0; i < p->nsig; i++) {
		if (is_name(p, i, "lambda") && !(p->flag[i] & SF_LAMBDA)) {
			uint16_t d = tok(p, i)->depth;
			for (size_t k = i + 1; k < p->nsig; k++) {
				if (tok(p, k)->kind == PYLEX_NEWLINE ||
				    tok(p, k)->depth < d ||
				    (tok(p, k)->depth == d && is_op(p, k, ":")))
					break;
				p->flag[k] |= SF_LAMBDA;
			}
		}
		if (is_name(p, i, "for") && tok(p, i)->depth > 0 &&
		    !(p->flag[i] & SF_COMPTGT)) {
			uint16_t d = tok(p, i)->depth;
			for (size_t k = i + 1; k < p->nsig; k++) {
				if (tok(p, k)->kind == PYLEX_NEWLINE ||
				    tok(p, k)->depth < d ||
				    (tok(p, k)->depth == d &&
				        is_name(p, k, "in")))
					break;
				p->flag[k] |= SF_COMPTGT;
			}
		}
		if (is_kind(p, i, PYLEX_NAME) && is_op(p, i + 1, "=") &&
		    i > 0 && (is_op(p, i - 1, "(") || is_op(p, i - 1, ",")) &&
		    p->openof[i] != NONE && is_op(p, p->openof[i], "(") &&
		    !(p->flag[i] & SF_DEFHDR))
			p->flag[i] |= SF_KWKEY;
	}
	/* Names after import, global, nonlocal and del, to the end. */
	for (size_t i = 0; i < p->nsig; i++) {
		if (tok(p, i)->depth != 0 || (p->flag[i] & SF_STMTSKIP) ||
		    !(is_name(p, i, "import") || is_name(p, i, "from") ||
		        is_name(p, i, "global") || is_name(p, i, "nonlocal") ||
		        is_name(p, i, "del")))
			continue;
		for (size_t k = i; k < p->nsig; k++) {
			if (tok(p, k)->kind == PYLEX_NEWLINE ||
			    (tok(p, k)->depth == 0 && is_op(p, k, ";")))
				break;
			p->flag[k] |= SF_STMTSKIP;
		}
	}
}

/* ---- bindings ---- */

/* A token before which a target name may start. */
static bool
target_lead(const struct py *p, size_t i, size_t a)
{
	return i == a || is_op(p, i - 1, ",") || is_op(p, i - 1, "(") ||
	    is_op(p, i - 1, "[") || is_op(p, i - 1, "*");
}

/*
 * Flag the bare names of the target list [a, b): names not part of an
 * attribute, subscript or call, inside grouping brackets only.
 */
static void
flag_targets(struct py *p, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++) {
		bool ok;

		if (!is_ident_tok(p, i) || !target_lead(p, i, a))
			continue;
		ok = i + 1 == b || is_op(p, i + 1, ",") ||
		    is_op(p, i + 1, ")") || is_op(p, i + 1, "]");
		for (uint32_t o = p->openof[i]; ok && o != NONE && o >= a;
		     o = p->openof[o])
			ok = (is_op(p, o, "(") || is_op(p, o, "[")) &&
			    target_lead(p, o, a);
		if (ok)
			p->flag[i] |= SF_BINDING;
	}
}

/* Flag the names one simple statement [a, b) binds. */
static void
stmt_bindings(struct py *p, size_t a, size_t b)
{
	size_t eq[64], neq = 0, start = a;

	if (a >= b)
		return;
	if (is_name(p, a, "async"))
		a++;
	if (is_name(p, a, "for")) {
		for (size_t i = a + 1; i < b; i++)
			if (tok(p, i)->depth == 0 && is_name(p, i, "in")) {
				flag_targets(p, a + 1, i);
				break;
			}
		return;
	}
	if (is_name(p, a, "with") || is_name(p, a, "except")) {
		for (size_t i = a + 1; i + 2 <= b; i++)
			if (is_name(p, i, "as") && is_ident_tok(p, i + 1) &&
			    (is_op(p, i + 2, ",") || is_op(p, i + 2, ":") ||
			        is_op(p, i + 2, ")")))
				p->flag[i + 1] |= SF_BINDING;
		return;
	}
	if (is_kind(p, a, PYLEX_NAME) &&
	    pylex_is_keyword(ttext(p, a), tok(p, a)->len))
		return;
	if (is_op(p, a, "@"))
		return;
	for (size_t i = a; i < b; i++) {
		if (tok(p, i)->depth != 0)
			continue;
		if (is_name(p, i, "lambda"))
			break;
		if (is_op(p, i, "=")) {
			if (neq == sizeof(eq) / sizeof(eq[0]))
				return;
			eq[neq++] = i;
		}
	}
	if (neq == 0) {
		if (is_ident_tok(p, a) && a + 1 < b &&
		    (tok_in(p, a + 1, aug_ops) || is_op(p, a + 1, ":")) &&
		    tok(p, a + 1)->kind == PYLEX_OP)
			p->flag[a] |= SF_BINDING;
		return;
	}
	(void)start;
	for (size_t k = 0; k < neq; k++) {
		size_t s0 = k == 0 ? a : eq[k - 1] + 1, s1 = eq[k];
		for (size_t i = s0; i < s1; i++)
			if (tok(p, i)->depth == 0 && is_op(p, i, ":")) {
				/* Annotated: only a plain name before ':'. */
				if (k == 0 && i == a + 1 && is_ident_tok(p, a))
					p->flag[a] |= SF_BINDING;
				s1 = s0;
				break;
			}
		flag_targets(p, s0, s1);
	}
}

/* Flag bindings of every simple statement of a line (split at ';'). */
static void
line_bindings(struct py *p, size_t a, size_t b)
{
	size_t s = a;

	for (size_t i = a; i <= b; i++) {
		if (i == b || (tok(p, i)->depth == 0 && is_op(p, i, ";"))) {
			stmt_bindings(p, s, i);
			s = i + 1;
		}
	}
}

/* ---- names ---- */

/*
 * Groups of interchangeable names for the things PoC code handles.  A
 * name's alternatives are the other members of the first group holding
 * it; a compound name (target_url) swaps one component.  Every member is
 * a plain lower-case identifier and no builtin.
 */
#define VERBS "-verbs-"

static const char *const name_groups[][5] = {
    {"url", "uri", "endpoint", "target_url", NULL},
    {"resp", "response", "reply", "res", NULL},
    {"r", "resp", "response", NULL},
    {"data", "payload", "body", "blob", NULL},
    {"payload", "data", "body", "blob", NULL},
    {"body", "payload", "data", "content", NULL},
    {"host", "target", "rhost", "hostname", NULL},
    {"target", "tgt", "victim", NULL},
    {"hostname", "host", "target", "rhost", NULL},
    {"server", "srv", "httpd", NULL},
    {"port", "rport", "dport", "target_port", NULL},
    {"sock", "conn", "s", "connection", NULL},
    {"conn", "sock", "connection", "link", NULL},
    {"s", "sock", "conn", NULL},
    {"buf", "buffer", "chunk", "block", NULL},
    {"buffer", "buf", "chunk", "block", NULL},
    {"chunk", "buf", "block", "piece", NULL},
    {"msg", "message", "text", NULL},
    {"message", "msg", "text", NULL},
    {"pkt", "packet", "frame", "dgram", NULL},
    {"packet", "pkt", "frame", "dgram", NULL},
    {"req", "request", "rq", NULL},
    {"request", "req", "rq", NULL},
    {"headers", "hdrs", "header_map", "extra_headers", NULL},
    {"hdrs", "headers", "header_map", NULL},
    {"header", "hdr", "head", NULL},
    {"params", "query", "qs", "query_params", NULL},
    {"query", "params", "qs", NULL},
    {"path", "route", "uri_path", "location", NULL},
    {"cmd", "command", "cmdline", "shell_cmd", NULL},
    {"command", "cmd", "cmdline", NULL},
    {"user", "username", "login", "uname", NULL},
    {"username", "user", "login", "uname", NULL},
    {"password", "passwd", "pw", "pwd", NULL},
    {"passwd", "password", "pw", "pwd", NULL},
    {"token", "auth_token", "tok", "access_token", NULL},
    {"key", "k", "secret_key", NULL},
    {"k", "key", "kk", NULL},
    {"value", "val", "v", NULL},
    {"val", "value", "v", NULL},
    {"v", "val", "value", NULL},
    {"i", "idx", "n", "j", NULL},
    {"idx", "i", "index", "pos", NULL},
    {"index", "idx", "i", NULL},
    {"n", "num", "count", "cnt", NULL},
    {"num", "n", "count", NULL},
    {"count", "cnt", "num", "total", NULL},
    {"cnt", "count", "num", NULL},
    {"total", "count", "tally", NULL},
    {"size", "length", "sz", "nbytes", NULL},
    {"length", "size", "sz", "nbytes", NULL},
    {"offset", "off", "pos", "position", NULL},
    {"off", "offset", "pos", NULL},
    {"pos", "offset", "position", "off", NULL},
    {"timeout", "time_limit", "tmo", "wait_time", NULL},
    {"delay", "interval", "pause", "sleep_time", NULL},
    {"interval", "delay", "pause", NULL},
    {"result", "ret", "res", "rv", NULL},
    {"ret", "result", "rv", "res", NULL},
    {"res", "result", "ret", "rv", NULL},
    {"out", "output", "outbuf", NULL},
    {"output", "out", "outbuf", NULL},
    {"e", "exc", "err", "ex", NULL},
    {"exc", "e", "err", "ex", NULL},
    {"err", "e", "exc", "ex", NULL},
    {"ex", "e", "exc", "err", NULL},
    {"error", "err", "failure", NULL},
    {"f", "fh", "fp", "fobj", NULL},
    {"fh", "f", "fp", "fobj", NULL},
    {"fp", "f", "fh", "fobj", NULL},
    {"fd", "f", "fh", "fp", NULL},
    {"filename", "fname", "file_name", "fn", NULL},
    {"fname", "filename", "file_name", NULL},
    {"outfile", "out_path", "output_path", "out_file", NULL},
    {"line", "ln", "row", NULL},
    {"lines", "rows", "all_lines", NULL},
    {"items", "entries", "elems", NULL},
    {"item", "entry", "elem", "element", NULL},
    {"entry", "item", "elem", NULL},
    {"name", "nm", "label", NULL},
    {"ip", "addr", "address", "ip_addr", NULL},
    {"addr", "address", "ip", "ip_addr", NULL},
    {"address", "addr", "ip_addr", NULL},
    {"raw", "raw_bytes", "rawdata", NULL},
    {"encoded", "enc", "b64", "encoded_data", NULL},
    {"enc", "encoded", "b64", NULL},
    {"decoded", "dec", "plain", "decoded_data", NULL},
    {"text", "txt", "content", NULL},
    {"content", "text", "body", NULL},
    {"args", "opts", "options", "cli_args", NULL},
    {"opts", "args", "options", NULL},
    {"options", "opts", "args", NULL},
    {"parser", "ap", "argp", "arg_parser", NULL},
    {"session", "sess", "http_session", NULL},
    {"sess", "session", "http_session", NULL},
    {"client", "cli", "http_client", NULL},
    {"sig", "signature", "mac", NULL},
    {"signature", "sig", "mac", NULL},
    {"digest", "hsh", "hash_value", NULL},
    {"cookies", "cookie_jar", "jar", NULL},
    {"cookie", "cookie_value", "session_cookie", NULL},
    {"html", "page", "markup", NULL},
    {"page", "html", "doc", NULL},
    {"m", "mo", "match_obj", NULL},
    {"pattern", "pat", "regex", "rx", NULL},
    {"regex", "pattern", "pat", "rx", NULL},
    {"obj", "o", "inst", NULL},
    {"ctx", "context", "ssl_ctx", NULL},
    {"context", "ctx", NULL},
    {"config", "cfg", "conf", "settings", NULL},
    {"cfg", "config", "conf", "settings", NULL},
    {"start", "t0", "begin", "started", NULL},
    {"end", "t1", "finish", NULL},
    {"elapsed", "duration", "dt", "took", NULL},
    {"ts", "timestamp", "tstamp", NULL},
    {"timestamp", "ts", "tstamp", NULL},
    {"tmp", "temp", "scratch", NULL},
    {"prefix", "pfx", "head", NULL},
    {"suffix", "sfx", "tail", NULL},
    {"field", "fld", NULL},
    {"status", "code", "status_code", "st", NULL},
    {"code", "status", "status_code", NULL},
    {"ok", "success", "passed", NULL},
    {"success", "ok", "passed", NULL},
    {"found", "hit", "matched", NULL},
    {"vulnerable", "vuln", "is_vuln", "affected", NULL},
    {"vuln", "vulnerable", "is_vuln", NULL},
    {"marker", "needle", "probe", "canary", NULL},
    {"needle", "marker", "probe", NULL},
    {"attempts", "tries", "retries", NULL},
    {"retries", "attempts", "tries", NULL},
    {"attempt", "try_no", "n_try", NULL},
    {"words", "wordlist", "candidates", NULL},
    {"word", "w", "candidate", "cand", NULL},
    {"gadget", "chain", "gadget_chain", NULL},
    {"fmt", "fmt_str", "spec", NULL},
    {"src", "source", "orig", NULL},
    {"dst", "dest", "destination", NULL},
    {"dest", "dst", "destination", NULL},
    {"proc", "process", "p", NULL},
    {"p", "proc", "process", NULL},
    {"t", "th", "thread", "worker", NULL},
    {"thread", "th", "worker", "t", NULL},
    {"threads", "workers", "pool", NULL},
    {"q", "jobs", "work_q", NULL},
    {"results", "hits", "findings", "matches", NULL},
    {"opcode", "op", "opc", NULL},
    {"op", "opcode", "opc", NULL},
    {"seq", "seq_no", "sequence", "seqnum", NULL},
    {"sent", "nsent", "written", NULL},
    {"received", "got", "recvd", "rx", NULL},
    {"got", "received", "recvd", NULL},
    {"reply", "resp", "response", "answer", NULL},
    {"answer", "ans", "reply", NULL},
    {"callback", "cb", "handler", NULL},
    {"cb", "callback", "handler", NULL},
    {"handler", "callback", "cb", NULL},
    {"func", "fn", "fun", NULL},
    {"fn", "func", "fun", NULL},
    {"outdir", "out_dir", "dest_dir", NULL},
    {"directory", "folder", "dirpath", NULL},
    {"base_url", "base", "root_url", "baseurl", NULL},
    {"template", "tpl", "tmpl", NULL},
    {"form", "form_data", "fields", NULL},
    {"exploit", "xpl", "poc", NULL},
    {"shellcode", "sc", "shell_code", NULL},
    {"padding", "pad", "filler", "junk", NULL},
    {"pad", "padding", "filler", "junk", NULL},
    {"junk", "filler", "padding", NULL},
    {"ret_addr", "retaddr", "ret_address", NULL},
    {"nonce", "iv", "salt", NULL},
    {"secret", "key", "shared_secret", NULL},
    {"creds", "credentials", "auth", NULL},
    {"auth", "creds", "credentials", NULL},
    {"version", "ver", "vers", NULL},
    {"banner", "greeting", "hello", NULL},
    {"mode", "kind", "flavor", NULL},
    {"flag", "flg", NULL},
    {"flags", "flg", "bits", NULL},
    {"state", "st", "phase", NULL},
    {"host_header", "vhost", "host_hdr", NULL},
    {"cur", "current", "curr", NULL},
    {"current", "cur", "curr", NULL},
    {"prev", "previous", "last", NULL},
    {"last", "prev", "previous", NULL},
    {"limit", "max_count", "cap", NULL},
    {"crashed", "dead", "down", NULL},
    {"alive", "up", "reachable", NULL},
    {"case", "testcase", "tc", NULL},
    {"cases", "testcases", "tcs", NULL},
    {"rounds", "iterations", "iters", NULL},
    {"payloads", "bodies", "blobs", NULL},
    {"urls", "uris", "endpoints", "targets", NULL},
    {"hosts", "targets", "servers", NULL},
    {"targets", "hosts", "servers", NULL},
    {"ports", "rports", NULL},
    {"argv", "arglist", "cmd_args", NULL},
    {"written", "nwritten", "count_written", NULL},
    {"check", "probe", "chk", NULL},
    {"blob", "packed", "raw_blob", NULL},
    /* Verbs, for components of function names only. */
    {VERBS, NULL},
    {"send", "transmit", "deliver", "push", NULL},
    {"get", "fetch", "retrieve", "grab", NULL},
    {"fetch", "get", "retrieve", "grab", NULL},
    {"build", "make", "create", "craft", NULL},
    {"make", "build", "create", "craft", NULL},
    {"create", "make", "build", "craft", NULL},
    {"craft", "build", "make", "forge", NULL},
    {"check", "test", "probe", "verify", NULL},
    {"test", "check", "probe", "verify", NULL},
    {"verify", "check", "validate", "confirm", NULL},
    {"parse", "extract", "decode", NULL},
    {"extract", "parse", "pull", NULL},
    {"recv", "receive", "read", NULL},
    {"read", "load", "recv", NULL},
    {"run", "execute", "launch", NULL},
    {"encode", "pack", "serialize", NULL},
    {"pack", "encode", "serialize", NULL},
    {"trigger", "fire", "hit", NULL},
    {"show", "display", NULL},
    {"write", "save", "dump", NULL},
    {"save", "write", "store", NULL},
    {"login", "authenticate", "sign_in", NULL},
    {"upload", "push", "put", NULL},
    {"setup", "init", "prepare", NULL},
    {"init", "setup", "prepare", NULL},
    {"handle", "process", "deal_with", NULL},
    {"render", "format", "emit", NULL},
    {"connect", "open", "dial", NULL},
    {"scan", "sweep", "probe", NULL},
    {"generate", "gen", "produce", NULL},
    {"gen", "generate", "produce", NULL},
    {"mutate", "perturb", "alter", NULL},
    {"fuzz", "mutate", "perturb", NULL},
    {"dump", "hexdump", "show", NULL},
    {"wait", "pause", NULL},
    {"print", "show", "display", NULL},
};

/* Names no variant may take: builtins and soft keywords. */
static const char *const reserved_names[] = {"abs", "all", "any", "ascii",
    "bin", "bool", "breakpoint", "bytearray", "bytes", "callable", "chr",
    "classmethod", "compile", "complex", "copyright", "credits", "delattr",
    "dict", "dir", "divmod", "enumerate", "eval", "exec", "exit", "filter",
    "float", "format", "frozenset", "getattr", "globals", "hasattr", "hash",
    "help", "hex", "id", "input", "int", "isinstance", "issubclass", "iter",
    "len", "license", "list", "locals", "map", "max", "memoryview", "min",
    "next", "object", "oct", "open", "ord", "pow", "print", "property", "quit",
    "range", "repr", "reversed", "round", "set", "setattr", "slice", "sorted",
    "staticmethod", "str", "sum", "super", "tuple", "type", "vars", "zip",
    "match", "case", "_", "self", "cls", "file", "long", "unicode", "reduce",
    "apply", "raw_input", "xrange", "execfile", "cmp", "basestring", "unichr",
    "reload", "intern", "coerce", NULL};

/* The group of a word; whole names only look before the verbs. */
static int
group_of(const char *w, size_t n, bool verbs)
{
	for (size_t g = 0; g < EMB_ARRAY_LEN(name_groups); g++) {
		if (strcmp(name_groups[g][0], VERBS) == 0 && !verbs)
			break;
		if (strlen(name_groups[g][0]) == n &&
		    memcmp(name_groups[g][0], w, n) == 0)
			return (int)g;
	}
	return -1;
}

/* Words that are no nouns: the_only, all_any... would read oddly. */
static const char *const not_nouns[] = {"only", "all", "any", "done", "new",
    "old", "first", "last", "next", "prev", "more", "less", "ok", "yes", "no",
    "true", "false", "none", "same", "other", "full", "empty", "valid", "ready",
    "busy", "alive", "dead", "verbose", "quiet", "debug", "force", "dry_run",
    "use_tls", "is_ok", NULL};

static bool
ends_with(const uint8_t *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

struct alts {
	char v[3][PY_NAME_MAX + 1];
	unsigned n;
};

static bool
plain_ident(const char *s, size_t n)
{
	if (n == 0 || n > PY_NAME_MAX || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* Offer one candidate; the filter decides whether it may be used. */
typedef bool (*alt_ok_fn)(void *arg, const char *s, size_t n);

static void
alts_offer(struct alts *a, const char *s, alt_ok_fn ok, void *arg)
{
	size_t n = strlen(s);

	if (a->n >= 3 || !plain_ident(s, n) ||
	    pylex_is_keyword((const uint8_t *)s, n) ||
	    in_list((const uint8_t *)s, n, reserved_names))
		return;
	for (unsigned i = 0; i < a->n; i++)
		if (strcmp(a->v[i], s) == 0)
			return;
	if (!ok(arg, s, n))
		return;
	memcpy(a->v[a->n], s, n + 1);
	a->n++;
}

static bool
is_lower_snake(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return n > 0 && s[0] >= 'a' && s[0] <= 'z';
}

/*
 * Alternatives for a snake_case name (prefix, e.g. "_", kept in front):
 * its group, then one component swapped, then (if fallback and nothing
 * else fits a plain noun) the_name and my_name, or all_names.
 */
static void
gen_snake(struct alts *a, const char *prefix, const char *name, size_t n,
    bool fallback, alt_ok_fn ok, void *arg)
{
	char buf[2 * PY_NAME_MAX + 8];
	int g;

	if (n == 0 || n > PY_NAME_MAX)
		return;
	if ((g = group_of(name, n, false)) >= 0) {
		for (size_t k = 1; k < 5 && name_groups[g][k] != NULL; k++) {
			snprintf(buf, sizeof(buf), "%s%s", prefix,
			    name_groups[g][k]);
			alts_offer(a, buf, ok, arg);
		}
	}
	/* One component swapped. */
	for (size_t c0 = 0; c0 < n && a->n < 3;) {
		size_t c1 = c0;
		while (c1 < n && name[c1] != '_')
			c1++;
		if (c1 > c0 && c1 - c0 < n &&
		    (g = group_of(name + c0, c1 - c0, true)) >= 0) {
			for (size_t k = 1; k < 5 && name_groups[g][k] != NULL;
			     k++) {
				const char *m = name_groups[g][k];
				if (strchr(m, '_') != NULL &&
				    m[strlen(m) - 1] == '_')
					continue;
				snprintf(buf, sizeof(buf), "%s%.*s%s%.*s",
				    prefix, (int)c0, name, m, (int)(n - c1),
				    name + c1);
				alts_offer(a, buf, ok, arg);
			}
		}
		c0 = c1 + 1;
	}
	/* Fallbacks only for nouns nothing else fits. */
	if (!fallback || a->n > 0 || n < 3 || !is_lower_snake(name, n) ||
	    (name[n - 1] >= '0' && name[n - 1] <= '9') ||
	    ends_with((const uint8_t *)name, n, "ed") ||
	    ends_with((const uint8_t *)name, n, "ing") ||
	    in_list((const uint8_t *)name, n, not_nouns))
		return;
	if (n > 4 && memcmp(name, "the_", 4) == 0) {
		snprintf(
		    buf, sizeof(buf), "%s%.*s", prefix, (int)(n - 4), name + 4);
		alts_offer(a, buf, ok, arg);
		snprintf(buf, sizeof(buf), "%smy_%.*s", prefix, (int)(n - 4),
		    name + 4);
		alts_offer(a, buf, ok, arg);
		return;
	}
	if (n > 3 && memcmp(name, "my_", 3) == 0) {
		snprintf(
		    buf, sizeof(buf), "%s%.*s", prefix, (int)(n - 3), name + 3);
		alts_offer(a, buf, ok, arg);
		snprintf(buf, sizeof(buf), "%sthe_%.*s", prefix, (int)(n - 3),
		    name + 3);
		alts_offer(a, buf, ok, arg);
		return;
	}
	if (memchr(name, '_', n) != NULL)
		return;
	snprintf(buf, sizeof(buf), "%sthe_%.*s", prefix, (int)n, name);
	alts_offer(a, buf, ok, arg);
	if (name[n - 1] == 's' && n > 3 && name[n - 2] != 's')
		snprintf(buf, sizeof(buf), "%sall_%.*s", prefix, (int)n, name);
	else
		snprintf(buf, sizeof(buf), "%smy_%.*s", prefix, (int)n, name);
	alts_offer(a, buf, ok, arg);
}

/* Alternatives for a CamelCase class name: one word swapped. */
static void
gen_camel(struct alts *a, const char *prefix, const char *name, size_t n,
    alt_ok_fn ok, void *arg)
{
	char word[PY_NAME_MAX + 1], buf[2 * PY_NAME_MAX + 8];

	for (size_t c0 = 0; c0 < n && a->n < 3;) {
		size_t c1 = c0 + 1, wn;
		int g;
		while (c1 < n && !(name[c1] >= 'A' && name[c1] <= 'Z'))
			c1++;
		wn = c1 - c0;
		if (wn > PY_NAME_MAX)
			return;
		for (size_t i = 0; i < wn; i++)
			word[i] = (char)(name[c0 + i] | (i == 0 ? 0x20 : 0));
		word[wn] = '\0';
		if (name[c0] >= 'A' && name[c0] <= 'Z' &&
		    (g = group_of(word, wn, true)) >= 0) {
			for (size_t k = 1; k < 5 && name_groups[g][k] != NULL;
			     k++) {
				const char *m = name_groups[g][k];
				if (strchr(m, '_') != NULL)
					continue;
				snprintf(buf, sizeof(buf), "%s%.*s%c%s%.*s",
				    prefix, (int)c0, name, m[0] & ~0x20, m + 1,
				    (int)(n - c1), name + c1);
				alts_offer(a, buf, ok, arg);
			}
		}
		c0 = c1;
	}
}

/* ---- reservations of new names ---- */

#define RESV_GLOBAL (NONE - 1)

/* Whether name may be taken by a site keyed key (an outermost function). */
static bool
resv_ok(const struct py *p, const char *s, size_t n, uint32_t key)
{
	size_t it;
	struct slot *e;

	if (map_get(&p->names, (const uint8_t *)s, n) != NULL)
		return false;
	if (p->resv.cap == 0)
		return true;
	it = hash_bytes((const uint8_t *)s, n) & (p->resv.cap - 1);
	while ((e = map_next(&p->resv, (const uint8_t *)s, n, &it)) != NULL)
		if (key == RESV_GLOBAL || e->val == RESV_GLOBAL ||
		    e->val == key)
			return false;
	return true;
}

static int
resv_add(struct py *p, const char *s, size_t n, uint32_t key)
{
	char *copy = malloc(n + 1);
	int r;

	/* The map borrows keys: keep them in a list freed at the end. */
	if (copy == NULL)
		return EMB_ENOMEM;
	memcpy(copy, s, n);
	copy[n] = '\0';
	if ((r = buf_append(&p->resv_pool, &copy, sizeof(copy))) < 0) {
		free(copy);
		return r;
	}
	return map_add(&p->resv, (const uint8_t *)copy, n, key);
}

struct resv_arg {
	const struct py *p;
	uint32_t key;
};

static bool
resv_filter(void *arg, const char *s, size_t n)
{
	const struct resv_arg *ra = arg;

	return resv_ok(ra->p, s, n, ra->key);
}

/* ---- py.rename ---- */

#define NF_BOUND 0x01
#define NF_PARAM 0x02
#define NF_SKIP 0x04

struct entry {
	uint32_t first; /* first occurrence in the body, or NONE */
	uint32_t last;
	uint32_t param; /* the parameter token, or NONE */
	uint8_t flags;
};

/* Calls that reach a function's locals by name. */
static const char *const dynamic_locals[] = {"locals", "vars", "eval", "exec",
    "execfile", "globals", "dir", "breakpoint", NULL};

/*
 * Short names that mean something only by convention: renamed to the
 * group's names only when a binding statement shows what they hold.
 */
static const char *const evidence[][6] = {
    {"s", "socket", "create_connection", "accept", "wrap_socket", NULL},
    {"r", "requests", "urlopen", "get", "post", "request"},
    {"t", "Thread", "Timer", NULL},
    {"p", "Popen", "Process", NULL},
    {"q", "Queue", "queue", NULL},
    {"m", "match", "search", "fullmatch", NULL},
    {"f", "open", NULL},
    {"fd", "open", NULL},
    {"fh", "open", NULL},
    {"fp", "open", NULL},
    {"e", "except", NULL},
    {"ex", "except", NULL},
    {"err", "except", NULL},
    {"k", "items", "keys", NULL},
    {"v", "items", "values", NULL},
};

static bool
class_plain_bases(const struct py *p, size_t line)
{
	size_t s = p->lines[line].s0 + 2;

	if (is_op(p, s, ":"))
		return true;
	if (!is_op(p, s, "(") || p->match[s] == NONE)
		return false;
	return p->match[s] == s + 1 ||
	    (p->match[s] == s + 2 && is_name(p, s + 1, "object"));
}

static bool
has_evidence(const struct py *p, const struct entry *e, const uint32_t *next,
    const uint8_t *s, size_t n)
{
	size_t row = EMB_ARRAY_LEN(evidence), seen = 0;

	for (size_t k = 0; k < EMB_ARRAY_LEN(evidence); k++)
		if (strlen(evidence[k][0]) == n &&
		    memcmp(evidence[k][0], s, n) == 0)
			row = k;
	if (row == EMB_ARRAY_LEN(evidence))
		return true;
	for (uint32_t i = e->first; i != NONE && seen < 8; i = next[i]) {
		const struct pline *l;
		if (!(p->flag[i] & SF_BINDING) || p->lineof[i] == NONE)
			continue;
		seen++;
		l = &p->lines[p->lineof[i]];
		for (size_t k = l->s0; k < l->s1; k++)
			for (size_t w = 1; w < 6 && evidence[row][w]; w++)
				if (is_name(p, k, evidence[row][w]))
					return true;
	}
	return false;
}

static bool
ident_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

/*
 * Call fn for every identifier-like word of string token i that could
 * name a variable: all words of an f-string, template fields ({x},
 * %(x)s, $x, ${x}) of the others, or every word when all is set.
 */
static void
string_words(const struct py *p, size_t i, bool all,
    void (*fn)(void *arg, const uint8_t *w, size_t n), void *arg)
{
	const struct pylex_tok *t = tok(p, i);
	const uint8_t *s = p->t + t->off;
	bool fstr = (t->flags & PYLEX_STR_F) != 0;

	for (size_t k = 0; k < t->len;) {
		size_t e = k;
		if (!ident_char(s[k]) || (s[k] >= '0' && s[k] <= '9')) {
			while (k < t->len && ident_char(s[k]))
				k++;
			k += k < t->len ? 1 : 0;
			continue;
		}
		while (e < t->len && ident_char(s[e]))
			e++;
		if (all || fstr ||
		    (k > 0 &&
		        (s[k - 1] == '{' || s[k - 1] == '$' ||
		            (k > 1 && s[k - 1] == '(' && s[k - 2] == '%'))))
			fn(arg, s + k, e - k);
		k = e;
	}
}

struct fscan {
	struct py *p;
	struct map *m;
	struct entry *ents;
};

static void
skip_word(void *arg, const uint8_t *w, size_t n)
{
	struct fscan *fs = arg;
	struct slot *sl = map_get(fs->m, w, n);

	if (sl != NULL)
		fs->ents[sl->val].flags |= NF_SKIP;
}

static int
entry_get(struct map *m, struct entry **ents, size_t *n, size_t *cap,
    const uint8_t *s, size_t len, uint32_t *ret)
{
	struct slot *sl = map_get(m, s, len);

	if (sl != NULL) {
		*ret = sl->val;
		return 0;
	}
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		struct entry *ne = realloc(*ents, nc * sizeof(*ne));
		if (ne == NULL)
			return EMB_ENOMEM;
		*ents = ne;
		*cap = nc;
	}
	(*ents)[*n].first = (*ents)[*n].last = (*ents)[*n].param = NONE;
	(*ents)[*n].flags = 0;
	if (map_add(m, s, len, (uint32_t)*n) < 0)
		return EMB_ENOMEM;
	*ret = (uint32_t)(*n)++;
	return 0;
}

static bool
local_name_ok(const uint8_t *s, size_t n)
{
	bool upper = true;

	if (!plain_ident((const char *)s, n) || s[0] == '_')
		return false;
	if ((n == 4 && memcmp(s, "self", 4) == 0) ||
	    (n == 3 && memcmp(s, "cls", 3) == 0))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'a' && s[i] <= 'z')
			upper = false;
	return !upper || n == 1;
}

/* Emit one rename site: the spans all take the same text per variant. */
static int
emit_rename(struct py *p, const struct mark_span *spans, size_t ns,
    const uint8_t *orig, size_t on, const struct alts *a, uint32_t key)
{
	struct mark_text *texts;
	unsigned q = a->n + 1;
	int r;

	if (a->n == 0 || ns == 0 || ns > MARK_SPANS_MAX)
		return 0;
	texts = malloc(sizeof(*texts) * q * ns);
	if (texts == NULL)
		return EMB_ENOMEM;
	for (size_t s = 0; s < ns; s++) {
		texts[s].p = (const char *)orig;
		texts[s].n = on;
		for (unsigned v = 1; v < q; v++) {
			texts[v * ns + s].p = a->v[v - 1];
			texts[v * ns + s].n = strlen(a->v[v - 1]);
		}
	}
	r = add_replace(p, MARK_ROBUST, "py.rename", q, spans, ns, texts);
	free(texts);
	for (unsigned v = 0; r == 0 && v < a->n; v++)
		r = resv_add(p, a->v[v], strlen(a->v[v]), key);
	p->renames++;
	return r;
}

static int
rename_function(struct py *p, size_t fi, uint32_t *next)
{
	const struct pfunc *f = &p->funcs[fi];
	const struct pline *hl = &p->lines[f->line];
	struct map m = {0};
	struct entry *ents = NULL;
	size_t nents = 0, cap = 0, npar = 0;
	struct vec spans = {0};
	bool method = false, derived = false;
	int r = 0;

	if (f->lambda_hdr)
		return 0;
	if (hl->owner != NONE && line_starts(p, hl->owner, "class")) {
		method = true;
		derived = !class_plain_bases(p, hl->owner);
	}
	for (size_t i = f->b0; i < f->b1; i++)
		if (is_name(p, i, "class"))
			return 0;
	if ((r = map_init(&m, f->b1 - f->b0 + 8)) < 0)
		return r;
	/* Occurrences in the body. */
	for (size_t i = f->b0; i < f->b1; i++) {
		uint32_t e;
		if (!is_ident_tok(p, i))
			continue;
		if (tok_in(p, i, dynamic_locals) && !is_attr(p, i))
			goto out;
		if (p->py2 && is_name(p, i, "input") && !is_attr(p, i))
			goto out;
		if (is_attr(p, i))
			continue;
		if (p->flag[i] & (SF_DEFHDR | SF_LAMBDA | SF_STMTSKIP)) {
			/* Another scope's binding, or an import: hands off. */
			if ((r = entry_get(&m, &ents, &nents, &cap, ttext(p, i),
			         tok(p, i)->len, &e)) < 0)
				goto out;
			ents[e].flags |= NF_SKIP;
			continue;
		}
		if (p->flag[i] & SF_KWKEY)
			continue;
		if ((r = entry_get(&m, &ents, &nents, &cap, ttext(p, i),
		         tok(p, i)->len, &e)) < 0)
			goto out;
		if (ents[e].first == NONE)
			ents[e].first = (uint32_t)i;
		else
			next[ents[e].last] = (uint32_t)i;
		ents[e].last = (uint32_t)i;
		next[i] = NONE;
		if (is_op(p, i + 1, ":="))
			ents[e].flags |= NF_SKIP;
	}
	/* Parameters. */
	for (size_t i = f->lp + 1; i < f->rp; i++) {
		size_t k = i;
		bool star = false, ok;
		uint32_t e;
		if (tok(p, i)->depth != tok(p, f->lp)->depth + 1u ||
		    !(i == f->lp + 1 || is_op(p, i - 1, ",")))
			continue;
		if (is_op(p, k, "*") || is_op(p, k, "**")) {
			star = true;
			k++;
		}
		if (!is_ident_tok(p, k) ||
		    !(is_op(p, k + 1, ",") || is_op(p, k + 1, ")") ||
		        is_op(p, k + 1, "=") || is_op(p, k + 1, ":")))
			continue;
		if ((r = entry_get(&m, &ents, &nents, &cap, ttext(p, k),
		         tok(p, k)->len, &e)) < 0)
			goto out;
		ents[e].param = (uint32_t)k;
		ents[e].flags |= NF_PARAM;
		ok = !f->decorated && !(method && npar == 0) && !derived &&
		    !star && !f->starstar && !p->dyn_params &&
		    map_get(&p->kwkeys, ttext(p, k), tok(p, k)->len) == NULL &&
		    map_get(&p->strs, ttext(p, k), tok(p, k)->len) == NULL;
		if (!ok)
			ents[e].flags |= NF_SKIP;
		npar++;
	}
	/* Names that strings may reach. */
	{
		struct fscan fs = {p, &m, ents};
		for (size_t i = f->b0; i < f->b1; i++)
			if (is_kind(p, i, PYLEX_STRING))
				string_words(p, i, false, skip_word, &fs);
	}
	/* Bindings in the function's own scope. */
	if (hl->end == f->line + 1)
		line_bindings(p, f->b0, hl->s1);
	for (size_t l = f->line + 1; l < hl->end; l++)
		if (p->lines[l].owner == f->line)
			line_bindings(p, p->lines[l].s0, p->lines[l].s1);
	for (size_t i = f->b0; i < f->b1; i++) {
		struct slot *sl;
		size_t l = p->lineof[i];
		if (!(p->flag[i] & SF_BINDING) || l == NONE ||
		    (l != f->line && p->lines[l].owner != f->line))
			continue;
		sl = map_get(&m, ttext(p, i), tok(p, i)->len);
		if (sl != NULL)
			ents[sl->val].flags |= NF_BOUND;
	}
	/* Sites. */
	for (size_t k = 0; k < nents && !p->full; k++) {
		const struct entry *e = &ents[k];
		uint32_t any = e->param != NONE ? e->param : e->first;
		const uint8_t *s;
		size_t n;
		struct alts a = {0};
		struct resv_arg ra = {p, f->outer};
		char name[PY_NAME_MAX + 1];

		if (!(e->flags & (NF_BOUND | NF_PARAM)) ||
		    (e->flags & NF_SKIP) || any == NONE ||
		    p->renames >= PY_RENAME_SITES_MAX)
			continue;
		s = ttext(p, any);
		n = tok(p, any)->len;
		if (!local_name_ok(s, n))
			continue;
		memcpy(name, s, n);
		name[n] = '\0';
		if (has_evidence(p, e, next, s, n))
			gen_snake(&a, "", name, n, true, resv_filter, &ra);
		spans.n = 0;
		if (e->param != NONE && (r = vec_push(&spans, e->param)) < 0)
			goto out;
		for (uint32_t i = e->first; i != NONE; i = next[i])
			if ((r = vec_push(&spans, i)) < 0)
				goto out;
		if (spans.n > MARK_SPANS_MAX || a.n == 0)
			continue;
		{
			struct mark_span *sp = malloc(sizeof(*sp) * spans.n);
			if (sp == NULL) {
				r = EMB_ENOMEM;
				goto out;
			}
			for (size_t j = 0; j < spans.n; j++)
				sp[j] = span_of(p, spans.v[j]);
			r = emit_rename(p, sp, spans.n, s, n, &a, f->outer);
			free(sp);
			if (r < 0)
				goto out;
		}
	}
out:
	free(spans.v);
	free(ents);
	map_fini(&m);
	return r;
}

/* Things that reach module-level names other than lexically. */
static const char *const dynamic_globals[] = {"globals", "vars", "locals",
    "eval", "exec", "execfile", "dir", "modules", "__dict__", "import_module",
    "__import__", "pickle", "cPickle", "_pickle", "dill", "marshal", "copyreg",
    "copy_reg", "__qualname__", "__module__", "__reduce__", "__reduce_ex__",
    "__getstate__", "__all__", "inspect", "_getframe", "__getattr__",
    "traceback", NULL};

/* py.rename of module-level private functions and classes. */
static int
rename_private(struct py *p)
{
	size_t done = 0;
	int r = 0;

	if (p->dyn_globals)
		return 0;
	for (size_t l = 0; l < p->nlines && done < PY_PRIVATE_MAX; l++) {
		const struct pline *hl = &p->lines[l];
		bool cls = line_starts(p, l, "class");
		size_t ni = hl->s0 + 1;
		const uint8_t *s;
		size_t n;
		struct vec spans = {0};
		struct alts a = {0};
		struct resv_arg ra = {p, RESV_GLOBAL};
		char name[PY_NAME_MAX + 1];
		bool ok = true;

		if (hl->level != 0 || !(cls || is_name(p, hl->s0, "def")))
			continue;
		if (l > 0 && p->lines[l - 1].level == 0 &&
		    is_op(p, p->lines[l - 1].s0, "@"))
			continue;
		if (!is_ident_tok(p, ni))
			continue;
		s = ttext(p, ni);
		n = tok(p, ni)->len;
		if (n < 2 || n > PY_NAME_MAX || s[0] != '_' || s[1] == '_' ||
		    !plain_ident((const char *)s, n))
			continue;
		if (cls &&
		    (!class_plain_bases(p, l) || file_has_name(p, "type") ||
		        file_has_name(p, "repr") ||
		        file_has_name(p, "__class__")))
			continue;
		done++;
		for (uint32_t i = map_get(&p->names, s, n)->val;
		     i != NONE && ok; i = p->gnext[i]) {
			size_t ln = p->lineof[i];
			if (i == ni || is_attr(p, i) || (p->flag[i] & SF_KWKEY))
				continue;
			if ((p->flag[i] &
			        (SF_DEFHDR | SF_LAMBDA | SF_STMTSKIP)) ||
			    is_op(p, i + 1, ":=") || ln == NONE ||
			    (p->lines[ln].owner != NONE &&
			        line_starts(p, p->lines[ln].owner, "class"))) {
				ok = false;
				break;
			}
			if ((r = vec_push(&spans, i)) < 0) {
				free(spans.v);
				return r;
			}
		}
		if (map_get(&p->strwords, s, n) != NULL)
			ok = false;
		if (ok) {
			memcpy(name, s + 1, n - 1);
			name[n - 1] = '\0';
			if (cls)
				gen_camel(
				    &a, "_", name, n - 1, resv_filter, &ra);
			else
				gen_snake(&a, "_", name, n - 1, false,
				    resv_filter, &ra);
		}
		if (ok && a.n > 0 && spans.n + 1 <= MARK_SPANS_MAX) {
			struct mark_span *sp =
			    malloc(sizeof(*sp) * (spans.n + 1));
			size_t k = 0, j = 0;
			if (sp == NULL) {
				free(spans.v);
				return EMB_ENOMEM;
			}
			/* The def name goes in order among the uses. */
			for (; j < spans.n && spans.v[j] < ni; j++)
				sp[k++] = span_of(p, spans.v[j]);
			sp[k++] = span_of(p, ni);
			for (; j < spans.n; j++)
				sp[k++] = span_of(p, spans.v[j]);
			r = emit_rename(p, sp, k, s, n, &a, RESV_GLOBAL);
			free(sp);
		}
		free(spans.v);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- py.kwarg-order ---- */

/*
 * Library callables whose keyword arguments all land in named parameters
 * (or in a **kwargs that is only looked up by name), so their order is
 * invisible.  dict(), OrderedDict(), update(), ElementTree builders and
 * the like keep the order and are not here.
 */
static const char *const kwarg_callees[] = {"print", "open", "sorted", "get",
    "post", "put", "patch", "delete", "head", "options", "request", "Session",
    "add_argument", "add_argument_group", "ArgumentParser", "add_parser",
    "add_subparsers", "run", "Popen", "check_output", "check_call", "call",
    "dumps", "dump", "loads", "load", "Request", "urlopen", "HTTPConnection",
    "HTTPSConnection", "Thread", "ThreadPoolExecutor", "create_connection",
    "socket", "wrap_socket", "create_default_context", "encode", "decode",
    "b64encode", "b64decode", "urlsafe_b64encode", "urlsafe_b64decode",
    "basicConfig", "sub", "search", "match", "fullmatch", "findall", "finditer",
    "compile", "makedirs", "to_bytes", "from_bytes", "int", "connect",
    "urlencode", "quote", "unquote", "quote_plus", "urlparse", "ZipFile",
    "mkdtemp", "NamedTemporaryFile", "TemporaryDirectory", "hexlify", "new",
    "pbkdf2_hmac", "randint", "exit", "sleep", "settimeout", "setsockopt",
    "recv", "send", "sendall", "sendto", "bind", "listen", "remote", "process",
    "recvuntil", "recvline", "sendline", "sendafter", "sendlineafter",
    "HTTPServer", "ThreadingHTTPServer", "TCPServer", "exec_command",
    "SSHClient", "Timer", "Event", "Lock", "Semaphore", "Queue", "choice",
    "choices", "sample", "shuffle", "uuid4", "strftime", "strptime",
    "fromtimestamp", "now", "timedelta", "datetime", "date", "Path", "mkdir",
    "write_text", "write_bytes", "read_text", "read_bytes", "splitlines",
    "split", "rsplit", "join", "replace", "strip", "startswith", "endswith",
    "format", "pack", "unpack", "iter_content", "raise_for_status", "json",
    "round", "max", "min", NULL};

/* Fill p->defs: for every def name, whether all its defs take keywords. */
#define DEF_SEEN 0x01u
#define DEF_BAD 0x02u
#define DEF_CLASS 0x04u
#define DEF_INIT_OK 0x08u
#define DEF_INIT_BAD 0x10u
#define DEF_DATACLASS 0x20u

static int
index_defs(struct py *p)
{
	int r;

	if ((r = map_init(&p->defs, p->nfuncs + p->nlines / 4 + 8)) < 0)
		return r;
	for (size_t k = 0; k < p->nfuncs; k++) {
		const struct pfunc *f = &p->funcs[k];
		const uint8_t *s = ttext(p, f->name);
		size_t n = tok(p, f->name)->len;
		struct slot *sl = map_get(&p->defs, s, n);
		uint32_t bad = f->starstar || f->decorated ? DEF_BAD : 0;
		uint32_t owner = p->lines[f->line].owner;

		if (sl == NULL) {
			if ((r = map_add(&p->defs, s, n, DEF_SEEN | bad)) < 0)
				return r;
		} else {
			sl->val |= DEF_SEEN | bad;
		}
		if (n == 8 && memcmp(s, "__init__", 8) == 0 && owner != NONE &&
		    line_starts(p, owner, "class") &&
		    is_ident_tok(p, p->lines[owner].s0 + 1)) {
			size_t c = p->lines[owner].s0 + 1;
			struct slot *cs =
			    map_get(&p->classes, ttext(p, c), tok(p, c)->len);
			if (cs != NULL)
				cs->val |= bad ? DEF_INIT_BAD : DEF_INIT_OK;
		}
	}
	return 0;
}

static int
index_classes(struct py *p)
{
	int r;

	if ((r = map_init(&p->classes, p->nlines / 4 + 8)) < 0 ||
	    (r = map_init(&p->class_lines, p->nlines / 4 + 8)) < 0)
		return r;
	for (size_t l = 0; l < p->nlines; l++) {
		size_t c = p->lines[l].s0 + 1;
		uint32_t v = DEF_CLASS;
		struct slot *sl;
		if (!line_starts(p, l, "class") || !is_ident_tok(p, c))
			continue;
		if (l > 0 && p->lines[l - 1].level == p->lines[l].level &&
		    is_op(p, p->lines[l - 1].s0, "@")) {
			const struct pline *d = &p->lines[l - 1];
			bool dc = false;
			for (size_t k = d->s0; k < d->s1; k++)
				dc |= is_name(p, k, "dataclass");
			v |= dc ? DEF_DATACLASS : DEF_INIT_BAD;
		}
		if (p->lines[l].level == 0 &&
		    map_get(&p->class_lines, ttext(p, c), tok(p, c)->len) ==
		        NULL &&
		    (r = map_add(&p->class_lines, ttext(p, c), tok(p, c)->len,
		         (uint32_t)l)) < 0)
			return r;
		sl = map_get(&p->classes, ttext(p, c), tok(p, c)->len);
		if (sl != NULL)
			sl->val |= v | DEF_INIT_BAD; /* defined twice */
		else if ((r = map_add(
		              &p->classes, ttext(p, c), tok(p, c)->len, v)) < 0)
			return r;
	}
	return 0;
}

static bool
callee_ok(const struct py *p, size_t name)
{
	const uint8_t *s = ttext(p, name);
	size_t n = tok(p, name)->len;
	struct slot *sl;

	if (n == 6 && memcmp(s, "format", 6) == 0)
		return name >= 2 && is_op(p, name - 1, ".") &&
		    is_kind(p, name - 2, PYLEX_STRING) &&
		    !(tok(p, name - 2)->flags & PYLEX_STR_F);
	if ((sl = map_get(&p->defs, s, n)) != NULL)
		return !(sl->val & DEF_BAD) &&
		    map_get(&p->classes, s, n) == NULL;
	if ((sl = map_get(&p->classes, s, n)) != NULL) {
		if (sl->val & DEF_INIT_BAD)
			return false;
		return (sl->val & (DEF_INIT_OK | DEF_DATACLASS)) != 0;
	}
	return in_list(s, n, kwarg_callees);
}

/* A value whose evaluation has no effect and cannot fail: [a, b). */
static bool
simple_value(const struct py *p, size_t a, size_t b)
{
	if (a >= b)
		return false;
	if (b - a == 1 &&
	    (is_kind(p, a, PYLEX_NUMBER) || is_name(p, a, "True") ||
	        is_name(p, a, "False") || is_name(p, a, "None")))
		return true;
	if (b - a == 2 && is_op(p, a, "-") && is_kind(p, a + 1, PYLEX_NUMBER))
		return true;
	if (is_kind(p, a, PYLEX_STRING)) {
		for (size_t i = a; i < b; i++)
			if (!is_kind(p, i, PYLEX_STRING) ||
			    (tok(p, i)->flags & PYLEX_STR_F))
				return false;
		return true;
	}
	for (size_t i = a; i < b; i++)
		if ((i - a) % 2 == 0 ? !is_ident_tok(p, i) : !is_op(p, i, "."))
			return false;
	return (b - a) % 2 == 1;
}

/* Whether sig tokens [a, b] are contiguous: no comment or NL between. */
static bool
no_comments(const struct py *p, size_t a, size_t b)
{
	return p->sig[b] - p->sig[a] == b - a;
}

static int
permute_chunks(struct py *p, enum mark_kind kind, const char *rule,
    const struct mark_span *sp, size_t n)
{
	size_t k = 0;
	int r;

	while (n - k >= 2) {
		size_t g = n - k >= 3 ? 3 : 2;
		if ((r = add_permute(p, kind, rule, sp + k, g)) < 0)
			return r;
		k += g;
	}
	return 0;
}

/* Split the arguments of the bracket at o into [a, b) ranges. */
static size_t
split_args(const struct py *p, size_t o, size_t *a, size_t *b, size_t max)
{
	size_t c = p->match[o], n = 0, s = o + 1;
	uint16_t d = (uint16_t)(tok(p, o)->depth + 1);

	for (size_t i = o + 1; i <= c; i++) {
		if (i == c || (tok(p, i)->depth == d && is_op(p, i, ","))) {
			if (i > s) {
				if (n == max)
					return max + 1;
				a[n] = s;
				b[n] = i;
				n++;
			}
			s = i + 1;
		}
	}
	return n;
}

#define ARGS_MAX 64

static int
kwarg_order(struct py *p)
{
	size_t a[ARGS_MAX], b[ARGS_MAX];
	struct mark_span sp[ARGS_MAX];
	int r;

	for (size_t i = 1; i < p->nsig && !p->full; i++) {
		size_t n, nk = 0;
		bool ok = true;

		if (!is_op(p, i, "(") || p->match[i] == NONE ||
		    !is_ident_tok(p, i - 1) || (p->flag[i] & SF_DEFHDR))
			continue;
		if (i >= 2 && is_name(p, i - 2, "class"))
			continue;
		if (!callee_ok(p, i - 1))
			continue;
		n = split_args(p, i, a, b, ARGS_MAX);
		if (n > ARGS_MAX)
			continue;
		for (size_t k = 0; k < n && ok; k++) {
			if (is_op(p, a[k], "*") || is_op(p, a[k], "**")) {
				ok = false;
			} else if (p->flag[a[k]] & SF_KWKEY) {
				if (!simple_value(p, a[k] + 2, b[k]) ||
				    !no_comments(p, a[k], b[k] - 1))
					ok = false;
				sp[nk++] = span_range(p, a[k], b[k] - 1);
			} else if (nk > 0) {
				ok = false;
			}
		}
		if (ok && nk >= 2 &&
		    (r = permute_chunks(
		         p, MARK_ROBUST, "py.kwarg-order", sp, nk)) < 0)
			return r;
	}
	return 0;
}

/* ---- py.reorder ---- */

static const char *const const_ops[] = {"+", "-", "*", "**", "<<", ">>", "|",
    "&", "^", "~", "(", ")", "[", "]", "{", "}", ",", ":", NULL};

/* A literal-only expression [a, b). */
static bool
const_expr(const struct py *p, size_t a, size_t b)
{
	if (a >= b)
		return false;
	for (size_t i = a; i < b; i++) {
		const struct pylex_tok *t = tok(p, i);
		if (t->kind == PYLEX_NUMBER)
			continue;
		if (t->kind == PYLEX_STRING && !(t->flags & PYLEX_STR_F))
			continue;
		if (is_name(p, i, "True") || is_name(p, i, "False") ||
		    is_name(p, i, "None"))
			continue;
		if (t->kind == PYLEX_OP && tok_in(p, i, const_ops) &&
		    !(t->depth == 0 && is_op(p, i, ":")))
			continue;
		return false;
	}
	return true;
}

/* NAME = literal, alone on its line. */
static bool
const_stmt(const struct py *p, size_t l)
{
	const struct pline *ln = &p->lines[l];

	return is_ident_tok(p, ln->s0) && is_op(p, ln->s0 + 1, "=") &&
	    const_expr(p, ln->s0 + 2, ln->s1);
}

/* End offset of a line's content, a trailing comment included. */
static uint32_t
line_content_end(const struct py *p, size_t l)
{
	uint32_t nl = p->sig[p->lines[l].s1];
	const struct pylex_tok *t = &p->all[nl - 1];
	uint32_t end = t->off + t->len;

	while (end > t->off && (p->t[end - 1] == ' ' || p->t[end - 1] == '\t'))
		end--;
	return end;
}

/* Lines l and l + 1 follow each other with nothing in between. */
static bool
adjacent_lines(const struct py *p, size_t l)
{
	return l + 1 < p->nlines &&
	    p->lines[l + 1].level == p->lines[l].level &&
	    p->sig[p->lines[l + 1].s0] == p->sig[p->lines[l].s1] + 1;
}

static struct mark_span
line_span(const struct py *p, size_t l)
{
	struct mark_span s;

	s.off = tok(p, p->lines[l].s0)->off;
	s.len = line_content_end(p, l) - s.off;
	return s;
}

static bool
owned_by_class(const struct py *p, size_t l)
{
	uint32_t o = p->lines[l].owner;

	return o != NONE && line_starts(p, o, "class");
}

static int
reorder_consts(struct py *p)
{
	struct mark_span sp[3];
	int r;

	if (p->dyn_order)
		return 0;
	for (size_t l = 0; l < p->nlines && !p->full;) {
		size_t k = 0;
		if (!const_stmt(p, l) || owned_by_class(p, l)) {
			l++;
			continue;
		}
		sp[k++] = line_span(p, l);
		while (k < 3 && adjacent_lines(p, l + k - 1) &&
		    const_stmt(p, l + k)) {
			bool dup = false;
			for (size_t j = 0; j < k; j++)
				dup |= same_text(
				    p, p->lines[l + j].s0, p->lines[l + k].s0);
			if (dup)
				break;
			sp[k] = line_span(p, l + k);
			k++;
		}
		if (k >= 2 &&
		    (r = add_permute(p, MARK_ROBUST, "py.reorder", sp, k)) < 0)
			return r;
		l += k;
	}
	return 0;
}

/* Standard-library bases without definition-time side effects. */
static const char *const plain_bases[] = {"object", "Exception",
    "BaseException", "Thread", "BaseHTTPRequestHandler",
    "SimpleHTTPRequestHandler", "BaseRequestHandler", "StreamRequestHandler",
    "DatagramRequestHandler", "HTMLParser", "JSONEncoder", "JSONDecoder",
    "Structure", "LittleEndianStructure", "BigEndianStructure",
    "ThreadingMixIn", "TCPServer", "UDPServer", "HTTPServer",
    "ThreadingHTTPServer", "Handler", "Formatter", "Filter", "NodeVisitor",
    "NodeTransformer", "Protocol", "HTTPAdapter", NULL};

/* A def header whose evaluation only makes a function object. */
static bool
def_header_plain(const struct py *p, size_t l)
{
	size_t s = p->lines[l].s0, lp, rp;
	uint32_t colon;

	if (is_name(p, s, "async"))
		s++;
	lp = s + 2;
	if (!is_name(p, s, "def") || !is_op(p, lp, "(") || p->match[lp] == NONE)
		return false;
	rp = p->match[lp];
	colon = header_colon(p, l, rp + 1);
	if (colon != rp + 1)
		return false; /* a return annotation */
	for (size_t i = lp + 1; i < rp; i++) {
		const struct pylex_tok *t = tok(p, i);
		if (t->kind == PYLEX_STRING && (t->flags & PYLEX_STR_F))
			return false;
		if (t->depth == tok(p, lp)->depth + 1u && is_op(p, i, ":"))
			return false;
		if (t->kind != PYLEX_NAME || is_name(p, i, "True") ||
		    is_name(p, i, "False") || is_name(p, i, "None"))
			continue;
		if (!(is_op(p, i - 1, "(") || is_op(p, i - 1, ",") ||
		        is_op(p, i - 1, "*") || is_op(p, i - 1, "**")) ||
		    t->depth != tok(p, lp)->depth + 1u)
			return false;
	}
	return true;
}

/* A class whose definition only binds names (bases known, body plain). */
static bool
class_plain(const struct py *p, size_t l, size_t first)
{
	const struct pline *hl = &p->lines[l];
	size_t s = hl->s0 + 2;
	uint32_t colon;

	if (is_op(p, s, "(")) {
		size_t c = p->match[s];
		if (c == NONE)
			return false;
		for (size_t i = s + 1; i < c; i++) {
			if (is_op(p, i, ",") || is_op(p, i, "."))
				continue;
			if (!is_ident_tok(p, i))
				return false;
			if (is_op(p, i + 1, "."))
				continue;
			/* The last component of a base. */
			if (!tok_in(p, i, plain_bases) &&
			    !ends_with(ttext(p, i), tok(p, i)->len, "Error") &&
			    !ends_with(
			        ttext(p, i), tok(p, i)->len, "Exception") &&
			    !ends_with(
			        ttext(p, i), tok(p, i)->len, "Warning")) {
				/* Or a class defined before the group. */
				struct slot *cl = map_get(&p->class_lines,
				    ttext(p, i), tok(p, i)->len);
				if (cl == NULL || cl->val >= first)
					return false;
			}
		}
		s = c + 1;
	}
	colon = header_colon(p, l, s);
	if (colon != s)
		return false;
	if (hl->end == l + 1) /* one line: class X: pass */
		return colon + 2 == hl->s1 &&
		    (is_name(p, colon + 1, "pass") ||
		        is_op(p, colon + 1, "..."));
	for (size_t k = l + 1; k < hl->end; k++) {
		const struct pline *b = &p->lines[k];
		if (b->owner != l)
			continue;
		if (is_def_line(p, k)) {
			if (!def_header_plain(p, k))
				return false;
		} else if (is_op(p, b->s0, "@")) {
			size_t d = b->s0 + 1;
			bool ok = (b->s1 == d + 1 &&
			              (is_name(p, d, "staticmethod") ||
			                  is_name(p, d, "classmethod") ||
			                  is_name(p, d, "property"))) ||
			    (b->s1 == d + 3 && is_ident_tok(p, d) &&
			        is_op(p, d + 1, ".") &&
			        (is_name(p, d + 2, "setter") ||
			            is_name(p, d + 2, "getter") ||
			            is_name(p, d + 2, "deleter")));
			if (!ok)
				return false;
		} else if (!(b->s1 == b->s0 + 1 &&
		               (is_kind(p, b->s0, PYLEX_STRING) ||
		                   is_name(p, b->s0, "pass"))) &&
		    !const_stmt(p, k)) {
			return false;
		}
	}
	return true;
}

static const char *const order_visible[] = {"__subclasses__",
    "__init_subclass__", "metaclass", "getmembers", "gc", "__prepare__", NULL};

/* A top-level block that may move: returns false for anything else. */
static bool
movable_block(const struct py *p, size_t l, size_t first)
{
	if (p->lines[l].level != 0)
		return false;
	if (l > 0 && p->lines[l - 1].level == 0 &&
	    is_op(p, p->lines[l - 1].s0, "@"))
		return false;
	if (is_def_line(p, l))
		return def_header_plain(p, l) && p->funcof[l] != NONE &&
		    !p->funcs[p->funcof[l]].decorated;
	if (line_starts(p, l, "class"))
		return is_ident_tok(p, p->lines[l].s0 + 1) &&
		    class_plain(p, l, first);
	return false;
}

/* Offset where block l's text ends (its last line's content). */
static uint32_t
block_end_off(const struct py *p, size_t l)
{
	return line_content_end(p, p->lines[l].end - 1);
}

/* Nothing but blank lines between the end of block l and line m. */
static bool
blank_gap(const struct py *p, size_t l, size_t m)
{
	uint32_t from = p->sig[p->lines[p->lines[l].end - 1].s1];
	uint32_t to = p->sig[p->lines[m].s0];

	for (uint32_t k = from; k < to; k++)
		if (p->all[k].kind == PYLEX_COMMENT)
			return false;
	return true;
}

static int
reorder_defs(struct py *p)
{
	struct mark_span sp[3];
	size_t names[3];
	int r;

	if (p->dyn_order)
		return 0;
	for (size_t k = 0; order_visible[k] != NULL; k++)
		if (file_has_name(p, order_visible[k]))
			return 0;
	for (size_t l = 0; l < p->nlines && !p->full;) {
		size_t k = 0, cur = l;
		if (!movable_block(p, l, l)) {
			l++;
			continue;
		}
		sp[0].off = tok(p, p->lines[l].s0)->off;
		sp[0].len = block_end_off(p, l) - sp[0].off;
		names[0] = p->lines[l].s0 +
		    (is_name(p, p->lines[l].s0, "async") ? 2 : 1);
		k = 1;
		while (k < 3) {
			size_t m = p->lines[cur].end, nm;
			bool dup = false;
			if (m >= p->nlines || !movable_block(p, m, l) ||
			    !blank_gap(p, cur, m))
				break;
			nm = p->lines[m].s0 +
			    (is_name(p, p->lines[m].s0, "async") ? 2 : 1);
			for (size_t j = 0; j < k; j++)
				dup |= same_text(p, names[j], nm);
			if (dup)
				break;
			names[k] = nm;
			sp[k].off = tok(p, p->lines[m].s0)->off;
			sp[k].len = block_end_off(p, m) - sp[k].off;
			cur = m;
			k++;
		}
		if (k >= 2 &&
		    (r = add_permute(p, MARK_ROBUST, "py.reorder", sp, k)) < 0)
			return r;
		l = p->lines[cur].end;
	}
	return 0;
}

/* ---- py.expr ---- */

/*
 * Whether the builtin name is certainly the builtin: every occurrence is
 * a plain call, so nothing in the file can rebind it (a call is never a
 * binding target), and nothing rebinds builtins wholesale.
 */
static bool
builtin_free(const struct py *p, const char *name)
{
	struct slot *sl;

	if (p->has_eval || p->star_import || file_has_name(p, "builtins") ||
	    file_has_name(p, "__builtins__") || p->has_match)
		return false;
	sl = map_get(&p->names, (const uint8_t *)name, strlen(name));
	for (uint32_t i = sl ? sl->val : NONE; i != NONE; i = p->gnext[i])
		if (is_attr(p, i) || !is_op(p, i + 1, "(") ||
		    (i > 0 &&
		        (is_name(p, i - 1, "def") ||
		            is_name(p, i - 1, "class"))) ||
		    (p->flag[i] &
		        (SF_KWKEY | SF_DEFHDR | SF_LAMBDA | SF_STMTSKIP |
		            SF_COMPTGT)))
			return false;
	return true;
}

static int
expr_site(struct py *p, const struct mark_span *sp, size_t n,
    const char *const *v0, const char *const *v1)
{
	struct mark_text t[8];

	for (size_t s = 0; s < n; s++) {
		t[s].p = v0[s];
		t[s].n = strlen(v0[s]);
		t[n + s].p = v1[s];
		t[n + s].n = strlen(v1[s]);
	}
	return add_replace(p, MARK_ROBUST, "py.expr", 2, sp, n, t);
}

/* Same as expr_site with the original text as variant 0 of span 0. */
static int
expr_site1(struct py *p, struct mark_span sp, const char *alt)
{
	char orig[64];
	const char *v0[1] = {orig}, *v1[1] = {alt};

	if (sp.len == 0 || sp.len >= sizeof(orig))
		return 0;
	memcpy(orig, p->t + sp.off, sp.len);
	orig[sp.len] = '\0';
	return expr_site(p, &sp, 1, v0, v1);
}

/* Whether token i (a '[') could be part of an assignment target. */
static bool
maybe_target(const struct py *p, size_t i)
{
	size_t l = p->lineof[i], s0;

	if (l == NONE)
		return true;
	s0 = p->lines[l].s0;
	if (is_name(p, s0, "async"))
		s0++;
	if (is_name(p, s0, "for") || is_name(p, s0, "with") ||
	    is_name(p, s0, "del") || is_name(p, s0, "except") ||
	    (i > 0 && (is_name(p, i - 1, "as") || is_name(p, i - 1, "for"))))
		return true;
	if (p->lines[l].last_eq != NONE && p->lines[l].last_eq > i)
		return true;
	for (size_t k = i, steps = 0; k-- > s0;) {
		if (++steps > 256)
			return true;
		if (tok(p, k)->depth < tok(p, i)->depth)
			break;
		if (tok(p, k)->depth == tok(p, i)->depth) {
			if (is_name(p, k, "for"))
				return true;
			if (is_name(p, k, "in"))
				break;
		}
	}
	return false;
}

static bool
has_at_depth(const struct py *p, size_t o, const char *name, bool op)
{
	uint16_t d = (uint16_t)(tok(p, o)->depth + 1);

	for (size_t k = o + 1; k < p->match[o]; k++)
		if (tok(p, k)->depth == d &&
		    (op ? is_op(p, k, name) : is_name(p, k, name)))
			return true;
	return false;
}

static bool
contains_name(const struct py *p, size_t a, size_t b, const char *name)
{
	for (size_t k = a; k < b; k++)
		if (is_name(p, k, name))
			return true;
	return false;
}

/* X or X.y.z: a plain name or attribute chain [a, b). */
static bool
dotted(const struct py *p, size_t a, size_t b)
{
	if (a >= b || !is_ident_tok(p, a))
		return false;
	return simple_value(p, a, b);
}

static bool
literal(const struct py *p, size_t a, size_t b)
{
	return a < b && !is_name(p, a, "True") && !is_name(p, a, "False") &&
	    !is_name(p, a, "None") && !is_ident_tok(p, a) &&
	    simple_value(p, a, b);
}

static int
expr_compare(struct py *p, size_t l)
{
	const struct pline *ln = &p->lines[l];
	size_t s = ln->s0, e = ln->s1, op = NONE;

	if (!(is_name(p, s, "if") || is_name(p, s, "elif") ||
	        is_name(p, s, "while")) ||
	    header_colon(p, l, s + 1) != e - 1)
		return 0;
	for (size_t k = s + 1; k < e - 1; k++)
		if (is_op(p, k, "==") || is_op(p, k, "!="))
			op = op == NONE ? k : NONE - 1;
	if (op >= NONE - 1 || !literal(p, op + 1, e - 1))
		return 0;
	if (is_op(p, op, "==") && is_name(p, s + 1, "not") &&
	    dotted(p, s + 2, op) &&
	    gap_plain(p, tok(p, s + 1)->off, tok(p, s + 2)->off)) {
		struct mark_span sp[2] = {
		    {tok(p, s + 1)->off,
		        tok(p, s + 2)->off - tok(p, s + 1)->off},
		    span_of(p, op)};
		char notsp[16];
		const char *v0[2] = {notsp, "=="}, *v1[2] = {"", "!="};
		if (sp[0].len >= sizeof(notsp))
			return 0;
		memcpy(notsp, p->t + sp[0].off, sp[0].len);
		notsp[sp[0].len] = '\0';
		return expr_site(p, sp, 2, v0, v1);
	}
	if (is_op(p, op, "!=") && dotted(p, s + 1, op)) {
		uint32_t a = tok(p, s)->off + tok(p, s)->len;
		struct mark_span sp[2] = {
		    {a, tok(p, s + 1)->off - a}, span_of(p, op)};
		const char *v0[2] = {" ", "!="}, *v1[2] = {" not ", "=="};
		if (sp[0].len != 1 || p->t[a] != ' ')
			return 0;
		return expr_site(p, sp, 2, v0, v1);
	}
	return 0;
}

/*
 * Whether the display closed at c is the whole right operand of the "in"
 * at i: a tuple and a list compare and iterate alike, but "+ x", "[0]",
 * ".count" or (in a for statement) ", more" would see the container.
 */
static bool
display_ends(const struct py *p, size_t i, size_t c)
{
	size_t l = p->lineof[i], n = c + 1;
	bool for_stmt;

	if (l == NONE)
		return false;
	for_stmt = tok(p, i)->depth == 0 &&
	    (is_name(p, p->lines[l].s0, "for") ||
	        (is_name(p, p->lines[l].s0, "async") &&
	            is_name(p, p->lines[l].s0 + 1, "for")));
	if (for_stmt)
		return is_op(p, n, ":");
	return is_op(p, n, ":") || is_op(p, n, ")") || is_op(p, n, "]") ||
	    is_op(p, n, "}") || is_op(p, n, ",") || is_name(p, n, "and") ||
	    is_name(p, n, "or") || is_name(p, n, "if") ||
	    is_name(p, n, "else") || is_name(p, n, "for") ||
	    is_kind(p, n, PYLEX_NEWLINE);
}

static int
py_expr(struct py *p)
{
	bool range_ok = builtin_free(p, "range");
	bool dict_ok = builtin_free(p, "dict");
	bool list_ok = builtin_free(p, "list");
	bool open_ok = builtin_free(p, "open");
	bool any_async = file_has_name(p, "async");
	char q = p->quote;
	char mode[16];
	int r = 0;

	snprintf(mode, sizeof(mode), ", %cr%c)", q, q);
	for (size_t i = 0; i < p->nsig && r == 0 && !p->full; i++) {
		size_t a[ARGS_MAX], b[ARGS_MAX], n;
		/* range(0, n) / range(n) */
		if (range_ok && is_name(p, i, "range") &&
		    is_op(p, i + 1, "(")) {
			size_t o = i + 1;
			n = split_args(p, o, a, b, ARGS_MAX);
			if (n == 2 && b[0] == a[0] + 1 &&
			    tok_eq(p, a[0], PYLEX_NUMBER, "0") &&
			    !(p->flag[a[1]] & SF_KWKEY) &&
			    !is_op(p, a[1], "*") &&
			    gap_plain(
			        p, tok(p, a[0])->off, tok(p, a[1])->off)) {
				struct mark_span sp = {tok(p, a[0])->off,
				    tok(p, a[1])->off - tok(p, a[0])->off};
				r = expr_site1(p, sp, "");
			} else if (n == 1 && !(p->flag[a[0]] & SF_KWKEY) &&
			    !is_op(p, a[0], "*") && !is_op(p, a[0], "**") &&
			    !has_at_depth(p, o, "for", false)) {
				r = expr_site1(p, span_of(p, o), "(0, ");
			}
			continue;
		}
		/* dict() / {} and list() / [] */
		if ((dict_ok && is_name(p, i, "dict")) ||
		    (list_ok && is_name(p, i, "list"))) {
			if (is_op(p, i + 1, "(") && p->match[i + 1] == i + 2 &&
			    tok(p, i + 2)->off ==
			        tok(p, i)->off + tok(p, i)->len + 1 &&
			    tok(p, i + 1)->off ==
			        tok(p, i)->off + tok(p, i)->len &&
			    !is_attr(p, i) && !(i > 0 && is_op(p, i - 1, "@")))
				r = expr_site1(p, span_range(p, i, i + 2),
				    is_name(p, i, "dict") ? "{}" : "[]");
			continue;
		}
		if ((is_op(p, i, "{") && dict_ok) ||
		    (is_op(p, i, "[") && list_ok)) {
			bool sq = is_op(p, i, "[");
			if (p->match[i] != i + 1 ||
			    tok(p, i + 1)->off != tok(p, i)->off + 1)
				continue;
			if (i > 0 &&
			    (is_ident_tok(p, i - 1) || is_op(p, i - 1, ")") ||
			        is_op(p, i - 1, "]") || is_op(p, i - 1, "}") ||
			        is_op(p, i - 1, "@") ||
			        is_kind(p, i - 1, PYLEX_STRING)))
				continue;
			if (sq && maybe_target(p, i))
				continue;
			r = expr_site1(p, span_range(p, i, i + 1),
			    sq ? "list()" : "dict()");
			i++;
			continue;
		}
		/* "".join([x for ...]) / "".join(x for ...) */
		if (is_name(p, i, "join") && i >= 2 && is_op(p, i - 1, ".") &&
		    is_kind(p, i - 2, PYLEX_STRING) &&
		    !(tok(p, i - 2)->flags & PYLEX_STR_F) &&
		    is_op(p, i + 1, "(") && p->match[i + 1] != NONE) {
			size_t o = i + 1, c = p->match[o];
			if (contains_name(p, o, c, "await") ||
			    contains_name(p, o, c, "async") ||
			    contains_name(p, o, c, "yield"))
				continue;
			if (is_op(p, o + 1, "[") && p->match[o + 1] == c - 1 &&
			    has_at_depth(p, o + 1, "for", false)) {
				struct mark_span sp[2] = {
				    span_of(p, o + 1), span_of(p, c - 1)};
				const char *v0[2] = {"[", "]"},
				           *v1[2] = {"", ""};
				r = expr_site(p, sp, 2, v0, v1);
			} else if (has_at_depth(p, o, "for", false) &&
			    !has_at_depth(p, o, ",", true)) {
				struct mark_span sp[2] = {
				    span_of(p, o), span_of(p, c)};
				const char *v0[2] = {"(", ")"},
				           *v1[2] = {"([", "])"};
				r = expr_site(p, sp, 2, v0, v1);
			}
			continue;
		}
		/* x in (a, b) / x in [a, b] */
		if (is_name(p, i, "in") &&
		    (is_op(p, i + 1, "(") || is_op(p, i + 1, "[")) &&
		    p->match[i + 1] != NONE) {
			size_t o = i + 1, c = p->match[o];
			bool par = is_op(p, o, "(");
			if (!has_at_depth(p, o, ",", true) ||
			    has_at_depth(p, o, "for", false) ||
			    contains_name(p, o, c, "yield") ||
			    contains_name(p, o, c, "lambda") ||
			    !display_ends(p, i, c)) {
				continue;
			} else {
				struct mark_span sp[2] = {
				    span_of(p, o), span_of(p, c)};
				const char *v0[2] = {par ? "(" : "[",
				    par ? ")" : "]"},
				           *v1[2] = {par ? "[" : "(",
				               par ? "]" : ")"};
				r = expr_site(p, sp, 2, v0, v1);
			}
			continue;
		}
		/* open(f, "r") / open(f) */
		if (open_ok && is_name(p, i, "open") && is_op(p, i + 1, "(")) {
			size_t o = i + 1, c = p->match[o];
			n = split_args(p, o, a, b, ARGS_MAX);
			if (n == 0 || n > 2 || (p->flag[a[0]] & SF_KWKEY) ||
			    is_op(p, a[0], "*") || is_op(p, a[0], "**") ||
			    has_at_depth(p, o, "for", false))
				continue;
			if (n == 1 && b[0] == c) {
				r = expr_site1(p, span_of(p, c), mode);
			} else if (n == 2 && b[1] == a[1] + 1 && b[1] == c &&
			    is_kind(p, a[1], PYLEX_STRING) &&
			    tok(p, a[1])->len == 3 &&
			    ttext(p, a[1])[1] == 'r' &&
			    gap_plain(
			        p, tok(p, b[0])->off, tok(p, a[1])->off)) {
				struct mark_span sp = span_range(p, b[0], a[1]);
				r = expr_site1(p, sp, "");
			}
			continue;
		}
	}
	/* return None / return */
	for (size_t l = 0; l < p->nlines && r == 0 && !p->full; l++) {
		const struct pline *ln = &p->lines[l];
		if (any_async || !is_name(p, ln->s0, "return") ||
		    ln->owner == NONE || p->funcof[ln->owner] == NONE)
			continue;
		if (ln->s1 == ln->s0 + 1)
			r = expr_site1(p, span_of(p, ln->s0), "return None");
		else if (ln->s1 == ln->s0 + 2 &&
		    is_name(p, ln->s0 + 1, "None") &&
		    gap_plain(p, tok(p, ln->s0)->off, tok(p, ln->s0 + 1)->off))
			r = expr_site1(
			    p, span_range(p, ln->s0, ln->s0 + 1), "return");
	}
	for (size_t l = 0; l < p->nlines && r == 0 && !p->full; l++)
		r = expr_compare(p, l);
	return r;
}

/* ---- py.int-literal ---- */

static bool
pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* Parse an integer literal; false for floats, octal, binary, huge. */
static bool
int_value(const uint8_t *s, size_t n, uint64_t *ret, bool *hex, bool *unders)
{
	uint64_t v = 0;
	size_t i = 0;
	unsigned base = 10;

	*hex = *unders = false;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
		*hex = true;
	} else if (n > 1 && s[0] == '0') {
		return false;
	}
	if (i >= n)
		return false;
	for (; i < n; i++) {
		unsigned d;
		if (s[i] == '_') {
			*unders = true;
			continue;
		}
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (base == 16 && (s[i] | 0x20) >= 'a' &&
		    (s[i] | 0x20) <= 'f')
			d = (s[i] | 0x20) - 'a' + 10;
		else
			return false;
		if (v > ((uint64_t)1 << 53) / base)
			return false;
		v = v * base + d;
	}
	*ret = v;
	return true;
}

/* Decimal with '_' every three digits, or hex every four. */
static void
grouped(uint64_t v, bool hex, char *out, size_t cap)
{
	char digits[32];
	size_t n, k = 0, group = hex ? 4 : 3;

	snprintf(digits, sizeof(digits), hex ? "%llX" : "%llu",
	    (unsigned long long)v);
	n = strlen(digits);
	if (hex && cap > 2) {
		out[k++] = '0';
		out[k++] = 'x';
	}
	for (size_t i = 0; i < n && k + 2 < cap; i++) {
		if (i > 0 && (n - i) % group == 0)
			out[k++] = '_';
		out[k++] = digits[i];
	}
	out[k] = '\0';
}

static int
int_literals(struct py *p)
{
	int r = 0;

	for (size_t i = 0; i < p->nsig && r == 0 && !p->full; i++) {
		const struct pylex_tok *t = tok(p, i);
		char v[4][40];
		struct mark_text tx[4];
		unsigned q = 1;
		uint64_t val;
		bool hex, unders;

		if (t->kind != PYLEX_NUMBER || t->len >= sizeof(v[0]) ||
		    !int_value(p->t + t->off, t->len, &val, &hex, &unders))
			continue;
		if ((t->off > 0 &&
		        (ident_char(p->t[t->off - 1]) ||
		            p->t[t->off - 1] == '.')) ||
		    (t->off + t->len < p->n &&
		        (ident_char(p->t[t->off + t->len]) ||
		            p->t[t->off + t->len] == '.')))
			continue;
		memcpy(v[0], p->t + t->off, t->len);
		v[0][t->len] = '\0';
		if (!hex) {
			bool natural = val >= 16 && val <= 0xffffffffu &&
			    (pow2(val) || pow2(val + 1) ||
			        (val % 256 == 0 && val <= 0x10000));
			if (unders)
				snprintf(v[q++], sizeof(v[0]), "%llu",
				    (unsigned long long)val);
			if (natural)
				snprintf(v[q++], sizeof(v[0]), "0x%llX",
				    (unsigned long long)val);
			if (!unders && !p->py2 && val >= 10000 &&
			    (val % 1000 == 0 || val >= 1000000))
				grouped(val, false, v[q++], sizeof(v[0]));
		} else {
			size_t digits = t->len - 2;
			if (val <= 0x10000 &&
			    (val < 256 || pow2(val) || pow2(val + 1)))
				snprintf(v[q++], sizeof(v[0]), "%llu",
				    (unsigned long long)val);
			if (!unders && !p->py2 && digits >= 8 && val > 0xffff)
				grouped(val, true, v[q++], sizeof(v[0]));
		}
		if (q < 2)
			continue;
		for (unsigned k = 0; k < q; k++) {
			tx[k].p = v[k];
			tx[k].n = strlen(v[k]);
		}
		r = add_replace(p, MARK_ROBUST, "py.int-literal", q,
		    &(struct mark_span){t->off, t->len}, 1, tx);
	}
	return r;
}

/* ---- py.str-escape ---- */

#define ESC_CASE_UPPER 0x01u
#define ESC_CASE_LOWER 0x02u
#define ESC_LETTERS 0x04u /* \x41 -> A */
#define ESC_TO_HEX 0x08u /* A -> \x41 */
#define ESC_NAMED_HEX 0x10u /* \n -> \x0a */
#define ESC_HEX_NAMED 0x20u /* \x0a -> \n */

static int
hexdig(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

static bool
ascii_letter(unsigned c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Rewrite a string body; out must hold 4 * n + 1 bytes. */
static size_t
esc_rewrite(
    const uint8_t *s, size_t n, unsigned how, bool upper_default, char *out)
{
	size_t k = 0;
	bool upper = how & ESC_CASE_UPPER ? true
	    : how & ESC_CASE_LOWER        ? false
	                                  : upper_default;
	const char *hx = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	for (size_t i = 0; i < n;) {
		if (s[i] != '\\') {
			if ((how & ESC_TO_HEX) && ascii_letter(s[i])) {
				out[k++] = '\\';
				out[k++] = 'x';
				out[k++] = hx[s[i] >> 4];
				out[k++] = hx[s[i] & 15];
			} else {
				out[k++] = (char)s[i];
			}
			i++;
			continue;
		}
		if (i + 1 >= n) {
			out[k++] = (char)s[i++];
			continue;
		}
		if (s[i + 1] == 'x' && i + 4 <= n && hexdig(s[i + 2]) >= 0 &&
		    hexdig(s[i + 3]) >= 0) {
			unsigned v = (unsigned)(hexdig(s[i + 2]) * 16 +
			    hexdig(s[i + 3]));
			if ((how & ESC_LETTERS) && ascii_letter(v)) {
				out[k++] = (char)v;
			} else if ((how & ESC_HEX_NAMED) &&
			    (v == 9 || v == 10 || v == 13)) {
				out[k++] = '\\';
				out[k++] = v == 9 ? 't' : v == 10 ? 'n' : 'r';
			} else if (how & (ESC_CASE_UPPER | ESC_CASE_LOWER)) {
				out[k++] = '\\';
				out[k++] = 'x';
				out[k++] = hx[v >> 4];
				out[k++] = hx[v & 15];
			} else {
				memcpy(out + k, s + i, 4);
				k += 4;
			}
			i += 4;
			continue;
		}
		if ((how & ESC_NAMED_HEX) &&
		    (s[i + 1] == 'n' || s[i + 1] == 'r' || s[i + 1] == 't')) {
			unsigned v = s[i + 1] == 'n' ? 10
			    : s[i + 1] == 'r'        ? 13
			                             : 9;
			out[k++] = '\\';
			out[k++] = 'x';
			out[k++] = hx[v >> 4];
			out[k++] = hx[v & 15];
			i += 2;
			continue;
		}
		/* Any other escape stays as it is. */
		out[k++] = (char)s[i++];
		out[k++] = (char)s[i++];
	}
	out[k] = '\0';
	return k;
}

struct esc_stats {
	size_t hex, hex_upper, hex_lower, hex_letter, hex_named, named, letters;
};

static void
esc_scan(const uint8_t *s, size_t n, struct esc_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < n;) {
		if (s[i] != '\\') {
			st->letters += ascii_letter(s[i]);
			i++;
			continue;
		}
		if (i + 1 >= n)
			break;
		if (s[i + 1] == 'x' && i + 4 <= n && hexdig(s[i + 2]) >= 0 &&
		    hexdig(s[i + 3]) >= 0) {
			unsigned v = (unsigned)(hexdig(s[i + 2]) * 16 +
			    hexdig(s[i + 3]));
			for (size_t j = 2; j < 4; j++) {
				if (s[i + j] >= 'a' && s[i + j] <= 'f')
					st->hex_lower++;
				else if (s[i + j] >= 'A' && s[i + j] <= 'F')
					st->hex_upper++;
			}
			{
				st->hex++;
				st->hex_letter += ascii_letter(v);
				st->hex_named += v == 9 || v == 10 || v == 13;
				i += 4;
				continue;
			}
		}
		st->named +=
		    s[i + 1] == 'n' || s[i + 1] == 'r' || s[i + 1] == 't';
		i += 2;
	}
}

static int
str_escape_one(struct py *p, const struct pylex_tok *t)
{
	const uint8_t *body = p->t + t->off + t->prefix + 1;
	size_t n = t->len - t->prefix - 2;
	bool bytes = (t->flags & PYLEX_STR_BYTES) != 0;
	struct esc_stats st;
	unsigned ops[3], nops = 0, combos[8], ncombo = 0;
	uint32_t *u0 = NULL, *u1 = NULL;
	char *out[4] = {NULL};
	struct mark_text tx[4];
	unsigned q = 1;
	long n0;
	bool upper;
	int r = 0;

	if (n == 0 || n > PY_DECODE_MAX || memchr(body, '\\', n) == NULL)
		return 0;
	esc_scan(body, n, &st);
	upper = st.hex_upper > st.hex_lower;
	if (st.hex_upper + st.hex_lower > 0)
		ops[nops++] = upper ? ESC_CASE_LOWER : ESC_CASE_UPPER;
	if (st.hex_letter > 0)
		ops[nops++] = ESC_LETTERS;
	else if (st.hex > 0 && st.letters > 0 && st.letters <= 4)
		ops[nops++] = ESC_TO_HEX;
	if (st.named > 0 && st.hex > st.hex_named)
		ops[nops++] = ESC_NAMED_HEX;
	else if (st.hex_named > 0)
		ops[nops++] = ESC_HEX_NAMED;
	if (nops == 0)
		return 0;
	for (unsigned k = 0; k < nops; k++)
		combos[ncombo++] = ops[k];
	if (nops >= 2)
		combos[ncombo++] = ops[0] | ops[1];
	u0 = malloc(sizeof(uint32_t) * (n + 1));
	u1 = malloc(sizeof(uint32_t) * (4 * n + 1));
	if (u0 == NULL || u1 == NULL) {
		r = EMB_ENOMEM;
		goto out;
	}
	n0 = pylex_str_decode(body, n, bytes, u0, n + 1);
	if (n0 < 0)
		goto out;
	tx[0].p = (const char *)body;
	tx[0].n = n;
	for (unsigned c = 0; c < ncombo && q < 4; c++) {
		size_t m;
		long n1;
		bool dup = false;
		if ((out[q] = malloc(4 * n + 1)) == NULL) {
			r = EMB_ENOMEM;
			goto out;
		}
		m = esc_rewrite(body, n, combos[c], upper, out[q]);
		n1 = pylex_str_decode(
		    (const uint8_t *)out[q], m, bytes, u1, 4 * n + 1);
		for (unsigned k = 0; k < q; k++)
			dup |= tx[k].n == m && memcmp(tx[k].p, out[q], m) == 0;
		if (n1 != n0 || memcmp(u0, u1, sizeof(uint32_t) * (size_t)n0) ||
		    dup) {
			free(out[q]);
			out[q] = NULL;
			continue;
		}
		tx[q].p = out[q];
		tx[q].n = m;
		q++;
	}
	if (q >= 2)
		r = add_replace(p, MARK_ROBUST, "py.str-escape", q,
		    &(struct mark_span){(uint32_t)(body - p->t), (uint32_t)n},
		    1, tx);
out:
	for (unsigned k = 0; k < 4; k++)
		free(out[k]);
	free(u0);
	free(u1);
	return r;
}

static int
str_escapes(struct py *p)
{
	int r = 0;

	for (size_t i = 0; i < p->nsig && r == 0 && !p->full; i++) {
		const struct pylex_tok *t = tok(p, i);
		if (t->kind != PYLEX_STRING ||
		    (t->flags &
		        (PYLEX_STR_RAW | PYLEX_STR_F | PYLEX_STR_TRIPLE)) ||
		    t->len < (uint32_t)t->prefix + 2)
			continue;
		r = str_escape_one(p, t);
	}
	return r;
}

/* ---- fragile: imports, blank lines, trailing whitespace ---- */

/* Modules whose import order cannot matter (no import-time effects). */
static const char *const quiet_modules[] = {"os", "sys", "re", "json", "time",
    "socket", "struct", "base64", "argparse", "random", "string", "hashlib",
    "hmac", "ssl", "threading", "urllib", "http", "binascii", "zlib",
    "itertools", "functools", "collections", "subprocess", "select", "datetime",
    "uuid", "tempfile", "shutil", "signal", "errno", "math", "io", "textwrap",
    "typing", "pathlib", "codecs", "zipfile", "tarfile", "gzip", "queue",
    "copy", "getpass", "platform", "secrets", "ipaddress", "xml", "email",
    "html", "csv", "sqlite3", "ctypes", "concurrent", "contextlib",
    "dataclasses", "enum", "abc", "operator", "requests", "urllib3", "pickle",
    "traceback", "logging", "glob", "fnmatch", "stat", "mimetypes", "warnings",
    NULL};

/* import a[, b] / from a.b import c[, d]: modules all quiet. */
static bool
quiet_import(const struct py *p, size_t l)
{
	const struct pline *ln = &p->lines[l];
	size_t s = ln->s0;
	bool expect_mod = true;

	if (ln->level != 0)
		return false;
	for (size_t i = s; i < ln->s1; i++)
		if (is_op(p, i, ";") || is_op(p, i, "*"))
			return false;
	if (is_name(p, s, "from"))
		return tok_in(p, s + 1, quiet_modules);
	if (!is_name(p, s, "import"))
		return false;
	for (size_t i = s + 1; i < ln->s1; i++) {
		if (expect_mod && !tok_in(p, i, quiet_modules))
			return false;
		expect_mod = is_op(p, i, ",");
	}
	return true;
}

/* The imported names of an import line, as spans, when 2 or 3. */
static size_t
import_items(const struct py *p, size_t l, struct mark_span *sp)
{
	const struct pline *ln = &p->lines[l];
	size_t s = ln->s0, a, e = ln->s1, n = 0, start;

	if (is_name(p, s, "from")) {
		a = s + 2;
		while (a < e && !is_name(p, a, "import"))
			a++;
		a++;
	} else {
		a = s + 1;
	}
	if (a < e && is_op(p, a, "(")) {
		if (p->match[a] != e - 1)
			return 0;
		a++;
		e--;
	}
	if (a >= e || !no_comments(p, a, e - 1))
		return 0;
	start = a;
	for (size_t i = a; i <= e; i++) {
		if (i == e || is_op(p, i, ",")) {
			if (i == start)
				break; /* trailing comma */
			if (n == 3)
				return 0;
			sp[n++] = span_range(p, start, i - 1);
			start = i + 1;
		}
	}
	return n >= 2 ? n : 0;
}

static int
import_order(struct py *p)
{
	struct mark_span sp[3];
	int r;

	for (size_t l = 0; l < p->nlines && !p->full;) {
		size_t k = 0;
		if (!quiet_import(p, l)) {
			l++;
			continue;
		}
		sp[k++] = line_span(p, l);
		while (k < 3 && adjacent_lines(p, l + k - 1) &&
		    quiet_import(p, l + k)) {
			sp[k] = line_span(p, l + k);
			k++;
		}
		if (k >= 2 &&
		    (r = add_permute(
		         p, MARK_FRAGILE, "py.import-order", sp, k)) < 0)
			return r;
		for (size_t j = 0; j < k; j++) {
			struct mark_span it[3];
			size_t n = import_items(p, l + j, it);
			if (n >= 2 &&
			    (r = add_permute(p, MARK_FRAGILE, "py.import-order",
			         it, n)) < 0)
				return r;
		}
		l += k;
	}
	return 0;
}

/* Whether line l starts a def/class block (or its decorators). */
static bool
block_start(const struct py *p, size_t l)
{
	return is_def_line(p, l) || line_starts(p, l, "class") ||
	    is_op(p, p->lines[l].s0, "@");
}

/*
 * Blank lines before or after a def or class block, at the top level or
 * between methods: one, two or three pure empty lines become another
 * count (black normalises them, so this is fragile).
 */
static int
blank_lines(struct py *p, uint8_t *used)
{
	int r;

	for (size_t l = 1; l < p->nlines && !p->full; l++) {
		const struct pline *ln = &p->lines[l];
		uint32_t from, to, first = NONE, k = 0;
		bool ok = true;
		char v[2][4];
		struct mark_text tx[2];

		if (!(ln->level == 0 ||
		        (ln->level == 1 && owned_by_class(p, l))))
			continue;
		if (!(block_start(p, l) || block_start(p, l - 1) ||
		        p->lines[l - 1].level > ln->level))
			continue;
		if (is_op(p, p->lines[l - 1].s0, "@") &&
		    p->lines[l - 1].level == ln->level)
			continue; /* between a decorator and its def */
		from = p->sig[p->lines[l - 1].s1] + 1;
		to = p->sig[ln->s0];
		for (uint32_t i = from; i < to && ok; i++) {
			const struct pylex_tok *t = &p->all[i];
			if (t->kind == PYLEX_INDENT || t->kind == PYLEX_DEDENT)
				continue;
			ok = t->kind == PYLEX_NL && t->len == 1 &&
			    p->t[t->off] == '\n' && t->off > 0 &&
			    p->t[t->off - 1] == '\n';
			if (ok && first == NONE)
				first = i;
			k += ok;
		}
		if (!ok || k < 1 || k > 3)
			continue;
		memset(v, '\n', sizeof(v));
		tx[0].p = v[0];
		tx[0].n = k;
		tx[1].p = v[1];
		tx[1].n = k == 1 ? 2 : k - 1;
		if ((r = add_replace(p, MARK_FRAGILE, "py.blank-lines", 2,
		         &(struct mark_span){p->all[first].off, k}, 1, tx)) < 0)
			return r;
		for (uint32_t i = first; i < to; i++)
			used[i] = 1;
	}
	return 0;
}

static int
trailing_ws(struct py *p, const uint8_t *used)
{
	int r;

	for (size_t i = 0; i < p->nall && !p->full; i++) {
		const struct pylex_tok *t = &p->all[i];
		uint32_t j = t->off;
		char nl[4], ws[8];
		struct mark_text tx[2];

		if ((t->kind != PYLEX_NL && t->kind != PYLEX_NEWLINE) ||
		    t->len == 0 || t->len > 2 || used[i])
			continue;
		while (j > 0 && t->off - j < 32 &&
		    (p->t[j - 1] == ' ' || p->t[j - 1] == '\t'))
			j--;
		if (t->off - j >= 32 || (j > 0 && p->t[j - 1] == '\\'))
			continue;
		memcpy(nl, p->t + t->off, t->len);
		nl[t->len] = '\0';
		if (j == t->off) {
			ws[0] = ' ';
			memcpy(ws + 1, nl, t->len + 1);
			tx[0].p = nl;
			tx[0].n = t->len;
			tx[1].p = ws;
			tx[1].n = t->len + 1;
		} else {
			tx[0].p = (const char *)p->t + j;
			tx[0].n = t->off + t->len - j;
			tx[1].p = nl;
			tx[1].n = t->len;
		}
		if ((r = add_replace(p, MARK_FRAGILE, "py.trailing-ws", 2,
		         &(struct mark_span){j, t->off + t->len - j}, 1, tx)) <
		    0)
			return r;
	}
	return 0;
}

/* ---- fragile: quotes and comments ---- */

static int
quote_style(struct py *p)
{
	int r;

	for (size_t i = 0; i < p->nsig && !p->full; i++) {
		const struct pylex_tok *t = tok(p, i);
		const uint8_t *b;
		size_t n;
		char q, o;
		struct mark_text tx[4];

		if (t->kind != PYLEX_STRING ||
		    (t->flags & (PYLEX_STR_F | PYLEX_STR_TRIPLE)) ||
		    t->len < (uint32_t)t->prefix + 2)
			continue;
		q = (char)p->t[t->off + t->prefix];
		o = q == '"' ? '\'' : '"';
		b = p->t + t->off + t->prefix + 1;
		n = t->len - t->prefix - 2;
		if (memchr(b, '\'', n) || memchr(b, '"', n) ||
		    (n > 0 && b[n - 1] == '\\'))
			continue;
		/* ''"x" must not become """x": no quote right next to it. */
		if ((t->off > 0 &&
		        (p->t[t->off - 1] == '\'' ||
		            p->t[t->off - 1] == '"')) ||
		    (t->off + t->len < p->n &&
		        (p->t[t->off + t->len] == '\'' ||
		            p->t[t->off + t->len] == '"')))
			continue;
		tx[0].p = tx[1].p = q == '"' ? "\"" : "'";
		tx[2].p = tx[3].p = o == '"' ? "\"" : "'";
		tx[0].n = tx[1].n = tx[2].n = tx[3].n = 1;
		if ((r = add_replace(p, MARK_FRAGILE, "py.quote", 2,
		         (struct mark_span[2]){
		             {t->off + t->prefix, 1}, {t->off + t->len - 1, 1}},
		         2, tx)) < 0)
			return r;
	}
	return 0;
}

/* Words of comments that have a synonym of the same length of use. */
/*
 * Words of comments with a synonym that reads as well.  Verbs (flag "v")
 * are swapped only where they are verbs: first in the comment ("# Send
 * the payload") or after a word that asks for one ("we try", "to get").
 */
static const char *const comment_words[][3] = {{"check", "verify", "v"},
    {"send", "transmit", "v"}, {"build", "construct", "v"},
    {"get", "fetch", "v"}, {"start", "begin", "v"}, {"try", "attempt", "v"},
    {"print", "show", "v"}, {"write", "save", "v"}, {"wait", "pause", "v"},
    {"run", "execute", "v"}, {"create", "make", "v"}, {"ignore", "skip", "v"},
    {"simple", "basic", ""}, {"helper", "utility", ""}, {"big", "large", ""},
    {"maybe", "perhaps", ""}, {"probably", "likely", ""},
    {"response", "reply", ""}, {"quickly", "fast", ""},
    {"usually", "normally", ""}, {"needed", "required", ""},
    {"done", "finished", ""}};

/* Words after which the next one is a verb. */
static const char *const verb_leads[] = {"to", "we", "then", "and", "will",
    "can", "must", "should", "you", "just", "i", "don't", "also", NULL};

static const char *const special_comments[] = {"noqa", "type:", "pylint",
    "fmt:", "isort", "pragma", "nosec", "mypy", "pyright", "-*-",
    "vim:", "coding:", "coding=", NULL};

static bool
in_list_ci(const uint8_t *s, size_t n, const char *const *list)
{
	for (size_t i = 0; list[i] != NULL; i++) {
		size_t m = strlen(list[i]), k = 0;
		while (k < m && k < n && (s[k] | 0x20) == list[i][k])
			k++;
		if (k == m && m == n)
			return true;
	}
	return false;
}

static int
comment_one(struct py *p, const struct pylex_tok *t)
{
	const uint8_t *s = p->t + t->off;
	int r;

	for (size_t k = 0; special_comments[k] != NULL; k++)
		if (memmem(s, t->len, special_comments[k],
		        strlen(special_comments[k])) != NULL)
			return 0;
	if (t->off == 0 && t->len > 1 && s[1] == '!')
		return 0;
	size_t pw = 0, pn = 0; /* the previous word */
	bool first = true;

	for (size_t i = 1; i < t->len;) {
		size_t e = i, n;
		bool verb_ok;
		char lower[16], alt[16];
		if (!ascii_letter(s[i])) {
			i++;
			continue;
		}
		while (e < t->len && (ascii_letter(s[e]) || s[e] == '\''))
			e++;
		n = e - i;
		verb_ok = first ||
		    (s[i - 1] == ' ' && pw + pn + 1 == i &&
		        in_list_ci(s + pw, pn, verb_leads));
		first = false;
		pw = i;
		pn = n;
		if (n >= sizeof(lower) ||
		    !(s[i - 1] == ' ' || s[i - 1] == '#' || s[i - 1] == '(') ||
		    (e < t->len && !strchr(" ,.;:!?)", s[e])) ||
		    (e < t->len && s[e] == '\0')) {
			i = e;
			continue;
		}
		for (size_t j = 0; j < n; j++)
			lower[j] = (char)(s[i + j] | 0x20);
		lower[n] = '\0';
		alt[0] = '\0';
		for (size_t w = 0; w < EMB_ARRAY_LEN(comment_words); w++)
			for (size_t d = 0; d < 2 && !alt[0]; d++)
				if (strcmp(comment_words[w][d], lower) == 0 &&
				    (verb_ok || comment_words[w][2][0] != 'v'))
					snprintf(alt, sizeof(alt), "%s",
					    comment_words[w][1 - d]);
		if (alt[0] && (s[i] >= 'A' && s[i] <= 'Z')) {
			bool all = n > 1;
			for (size_t j = 0; j < n; j++)
				all &= s[i + j] >= 'A' && s[i + j] <= 'Z';
			for (size_t j = 0; alt[j]; j++)
				if (j == 0 || all)
					alt[j] = (char)(alt[j] & ~0x20);
		}
		if (alt[0]) {
			struct mark_text tx[2] = {
			    {(const char *)s + i, n}, {alt, strlen(alt)}};
			if ((r = add_replace(p, MARK_FRAGILE, "py.comment", 2,
			         &(struct mark_span){
			             t->off + (uint32_t)i, (uint32_t)n},
			         1, tx)) < 0)
				return r;
		}
		i = e;
	}
	return 0;
}

static int
comments(struct py *p)
{
	int r;

	for (size_t i = 0; i < p->nall && !p->full; i++) {
		if (p->all[i].kind != PYLEX_COMMENT)
			continue;
		/* The coding cookie lives in the first two lines. */
		if (p->all[i].line <= 2 &&
		    memmem(p->t + p->all[i].off, p->all[i].len, "coding", 6) !=
		        NULL)
			continue;
		if ((r = comment_one(p, &p->all[i])) < 0)
			return r;
	}
	return 0;
}

/* ---- driver ---- */

/* Frame and code introspection: locals are reachable by name. */
static const char *const dynamic_frames[] = {"_getframe", "currentframe",
    "f_locals", "f_back", "settrace", "setprofile", "inspect", "co_varnames",
    "__code__", "capture_locals", "pdb", NULL};

/* Signature introspection: parameter names are visible. */
static const char *const dynamic_params[] = {"signature", "getfullargspec",
    "getargspec", "__signature__", "__defaults__", "__kwdefaults__", "__code__",
    "inspect", "__wrapped__", NULL};

struct words_arg {
	struct py *p;
	int r;
};

static void
add_word(void *arg, const uint8_t *w, size_t n)
{
	struct words_arg *wa = arg;

	if (wa->r == 0 && map_get(&wa->p->strwords, w, n) == NULL)
		wa->r = map_add(&wa->p->strwords, w, n, 0);
}

/* Ways to see the order in which names were bound. */
static const char *const dynamic_order[] = {"globals", "vars", "dir", "locals",
    "__dict__", "inspect", "getmembers", "modules", "eval", "exec", "execfile",
    "__annotations__", NULL};

static int
setup(struct py *p)
{
	size_t dq = 0, sq = 0;
	struct words_arg wa = {p, 0};
	int r;

	p->gnext = malloc(sizeof(uint32_t) * (p->nsig + 1));
	if (p->gnext == NULL)
		return EMB_ENOMEM;
	if ((r = map_init(&p->names, 1024)) < 0 ||
	    (r = map_init(&p->kwkeys, 64)) < 0 ||
	    (r = map_init(&p->strs, 256)) < 0 ||
	    (r = map_init(&p->strwords, 1024)) < 0 ||
	    (r = map_init(&p->resv, 256)) < 0)
		return r;
	/* Names, with a chain through all occurrences of each. */
	{
		uint32_t *last = malloc(sizeof(uint32_t) * (p->nsig + 1));
		if (last == NULL)
			return EMB_ENOMEM;
		for (size_t i = 0; i < p->nsig; i++) {
			struct slot *sl;
			p->gnext[i] = NONE;
			if (!is_kind(p, i, PYLEX_NAME))
				continue;
			sl = map_get(&p->names, ttext(p, i), tok(p, i)->len);
			if (sl == NULL) {
				if ((r = map_add(&p->names, ttext(p, i),
				         tok(p, i)->len, (uint32_t)i)) < 0) {
					free(last);
					return r;
				}
			} else {
				p->gnext[last[sl->val]] = (uint32_t)i;
			}
			/* last[] is indexed by the first occurrence. */
			last[sl ? sl->val : i] = (uint32_t)i;
			if ((p->flag[i] & SF_KWKEY) &&
			    map_get(&p->kwkeys, ttext(p, i), tok(p, i)->len) ==
			        NULL &&
			    (r = map_add(&p->kwkeys, ttext(p, i),
			         tok(p, i)->len, 0)) < 0) {
				free(last);
				return r;
			}
		}
		free(last);
	}
	/* Strings: exact contents, words, the usual quote. */
	for (size_t i = 0; i < p->nsig; i++) {
		const struct pylex_tok *t = tok(p, i);
		if (t->kind != PYLEX_STRING)
			continue;
		string_words(p, i, true, add_word, &wa);
		if (wa.r < 0)
			return wa.r;
		if ((t->flags & PYLEX_STR_TRIPLE) ||
		    t->len < (uint32_t)t->prefix + 2)
			continue;
		if (p->t[t->off + t->prefix] == '"')
			dq++;
		else
			sq++;
		if (!(t->flags & PYLEX_STR_F) &&
		    (r = map_add(&p->strs, p->t + t->off + t->prefix + 1,
		         t->len - t->prefix - 2, 0)) < 0)
			return r;
	}
	p->quote = sq > dq ? '\'' : '"';
	/* Whole-file facts. */
	for (size_t i = 0; i < p->nsig; i++) {
		if (is_kind(p, i, PYLEX_NAME)) {
			if (tok_in(p, i, dynamic_frames))
				p->dyn_file = true;
			if (tok_in(p, i, dynamic_params))
				p->dyn_params = true;
			if (tok_in(p, i, dynamic_globals) ||
			    (is_name(p, i, "__name__") && is_attr(p, i)))
				p->dyn_globals = true;
			if (tok_in(p, i, dynamic_order))
				p->dyn_order = true;
			if ((is_name(p, i, "eval") || is_name(p, i, "exec") ||
			        is_name(p, i, "execfile")))
				p->has_eval = true;
			if (is_name(p, i, "import") && is_op(p, i + 1, "*"))
				p->star_import = true;
		}
		if (is_op(p, i, "<>"))
			p->py2 = true;
		/* f(**d): keyword names from data, so parameters keep theirs. */
		if (is_op(p, i, "**") && i > 0 &&
		    (is_op(p, i - 1, "(") || is_op(p, i - 1, ",")) &&
		    !(p->flag[i] & (SF_DEFHDR | SF_LAMBDA)))
			p->dyn_params = true;
	}
	if (file_has_text(p, "funcName"))
		p->dyn_globals = true;
	for (size_t l = 0; l < p->nlines; l++) {
		const struct pline *ln = &p->lines[l];
		size_t s = ln->s0;
		if ((is_name(p, s, "match") || is_name(p, s, "case")) &&
		    is_op(p, ln->s1 - 1, ":"))
			p->has_match = true;
		if ((is_name(p, s, "print") || is_name(p, s, "exec")) &&
		    s + 1 < ln->s1 &&
		    (is_kind(p, s + 1, PYLEX_STRING) ||
		        is_kind(p, s + 1, PYLEX_NUMBER) ||
		        is_ident_tok(p, s + 1) || is_op(p, s + 1, ">>")))
			p->py2 = true;
		if (is_name(p, s, "except")) {
			uint32_t c = header_colon(p, l, s + 1);
			for (size_t k = s + 1; c != NONE && k < c; k++)
				if (tok(p, k)->depth == 0 && is_op(p, k, ","))
					p->py2 = true;
		}
	}
	for (size_t i = 0; i + 1 < p->nsig; i++)
		if (is_kind(p, i, PYLEX_NUMBER) &&
		    tok(p, i + 1)->off == tok(p, i)->off + tok(p, i)->len &&
		    (is_name(p, i + 1, "L") || is_name(p, i + 1, "l")))
			p->py2 = true;
	if ((r = index_classes(p)) < 0 || (r = index_defs(p)) < 0)
		return r;
	return 0;
}

static void
teardown(struct py *p)
{
	char **keys = (char **)p->resv_pool.data;

	for (size_t i = 0; keys != NULL && i < p->resv_pool.len / sizeof(*keys);
	     i++)
		free(keys[i]);
	buf_fini(&p->resv_pool);
	map_fini(&p->names);
	map_fini(&p->kwkeys);
	map_fini(&p->strs);
	map_fini(&p->strwords);
	map_fini(&p->defs);
	map_fini(&p->classes);
	map_fini(&p->class_lines);
	map_fini(&p->resv);
	free(p->all);
	free(p->sig);
	free(p->match);
	free(p->openof);
	free(p->lineof);
	free(p->flag);
	free(p->lines);
	free(p->funcs);
	free(p->funcof);
	free(p->gnext);
}

/*
 * Python discovery (see the top of this file).  Adds sites to set and
 * never fails on bad input: text that does not tokenize cleanly, or that
 * is too large, simply gets no sites.  Returns 0 or EMB_ENOMEM.
 */
int
mark_lang_python(struct mark_set *set)
{
	struct py p;
	size_t errors = 0;
	uint32_t *next = NULL;
	uint8_t *used = NULL;
	int r;

	memset(&p, 0, sizeof(p));
	buf_init(
	    &p.resv_pool, (size_t)PY_RENAME_SITES_MAX * 3 * sizeof(char *));
	if (set->len == 0 || set->len > PY_TEXT_MAX ||
	    memchr(set->text, 0, set->len) != NULL ||
	    !emb_utf8_valid(set->text, set->len))
		return 0;
	p.set = set;
	p.t = set->text;
	p.n = set->len;
	r = pylex_all(p.t, p.n, PY_TOKENS_MAX, &p.all, &p.nall, &errors);
	if (r < 0 || errors > 0) {
		r = r == EMB_ENOMEM ? r : 0;
		goto out;
	}
	if ((r = build(&p)) < 0) {
		r = r == EMB_ENOMEM ? r : 0;
		goto out;
	}
	if ((r = find_funcs(&p)) < 0)
		goto out;
	mark_contexts(&p);
	if ((r = setup(&p)) < 0)
		goto out;
	next = malloc(sizeof(uint32_t) * (p.nsig + 1));
	used = calloc(p.nall + 1, 1);
	if (next == NULL || used == NULL) {
		r = EMB_ENOMEM;
		goto out;
	}
	/* Robust sites first, the most valuable first. */
	if (!p.dyn_file && !p.has_match)
		for (size_t k = 0; k < p.nfuncs && r == 0; k++)
			r = rename_function(&p, k, next);
	if (r == 0)
		r = rename_private(&p);
	if (r == 0)
		r = kwarg_order(&p);
	if (r == 0)
		r = reorder_consts(&p);
	if (r == 0)
		r = reorder_defs(&p);
	if (r == 0)
		r = py_expr(&p);
	if (r == 0)
		r = int_literals(&p);
	if (r == 0)
		r = str_escapes(&p);
	/* Fragile ones last. */
	if (r == 0)
		r = import_order(&p);
	if (r == 0)
		r = blank_lines(&p, used);
	if (r == 0)
		r = trailing_ws(&p, used);
	if (r == 0)
		r = quote_style(&p);
	if (r == 0)
		r = comments(&p);
out:
	free(next);
	free(used);
	teardown(&p);
	return r;
}
