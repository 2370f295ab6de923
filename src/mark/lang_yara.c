/*
 * Mark sites in YARA rules.
 *
 * A YARA file can be written many ways that compile to rules matching
 * exactly the same files.  A rule's string identifiers are local names:
 * "$a, $b" can be "$s1, $s2" or "$str_a, $str_b" as long as the
 * condition's references ($a, #a, @a[1], !a[1]) change with them and no
 * wildcard set ("$s*") gains or loses a member.  A rule can be renamed
 * if every rule that uses it as a condition changes too.  The order of
 * meta entries, of string definitions and of string modifiers ("ascii
 * wide" or "wide ascii") means nothing to the scanner; neither does the
 * order of the operands of a chain of "and" or of "or" (conditions have
 * no side effects).  Hex strings can be written in either case, and
 * "filesize < 2MB" is "filesize < 2048KB".  All these survive
 * re-indentation and comment stripping: they are robust.  Whitespace
 * (the brace after a rule's name on its line or the next, a trailing
 * blank) only marks verbatim copies.
 *
 * Nothing is changed that a tool might read: meta values, string
 * contents, regular expressions, tags, imports.  The text is tokenised
 * and parsed with bounds; a file that does not parse cleanly keeps the
 * rules that did and, since a rule name could then be used where we
 * cannot see it, no rule is renamed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mark/lang.h"
#include "common/emb.h"

#define YARA_IDENT_MAX 128 /* YARA's limit on identifier length */
#define NAME_MAX_ 160 /* room for a name and a suffix */
#define GROUP_DEPTH 16 /* boolean parentheses followed */

enum tok_type {
	T_IDENT,
	T_STRVAR, /* $a, $a*, $*, $ */
	T_COUNT, /* #a */
	T_OFFSET, /* @a */
	T_LENGTH, /* !a */
	T_STRING,
	T_REGEX,
	T_HEX,
	T_NUM,
	T_PUNCT
};

struct tok {
	uint32_t off, len;
	uint8_t type;
};

struct entry {
	uint32_t first, last; /* tokens, inclusive */
};

struct rule {
	uint32_t name; /* token */
	uint32_t open; /* token of "{" */
	uint32_t meta0, nmeta; /* entries */
	uint32_t str0, nstr;
	uint32_t cond0, cond1; /* tokens [cond0, cond1) */
};

struct yara {
	struct mark_set *set;
	const uint8_t *t;
	size_t n;
	struct tok *tok;
	size_t ntok, tok_cap;
	struct entry *ent;
	size_t nent, ent_cap;
	struct rule *rule;
	size_t nrule, rule_cap;
	bool bad; /* the file did not parse to the end */
	bool full; /* the set is at its limits */
};

/* ---- helpers ---- */

static bool
is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool
is_ident(uint8_t c)
{
	return is_alpha(c) || is_digit(c) || c == '_';
}

static bool
is_xdigit(uint8_t c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool
is_hspace(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t nc;
	void *np;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 64;
	np = realloc(*arr, nc * elem);
	if (np == NULL)
		return EMB_ENOMEM;
	*arr = np;
	*cap = nc;
	return 0;
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

static int
add_replace(struct yara *y, enum mark_kind kind, const char *rule, unsigned q,
    const struct mark_span *spans, size_t n, const struct mark_text *texts)
{
	int r;

	if (y->full)
		return 0;
	r = mark_set_replace(y->set, kind, rule, q, spans, n, texts);
	if (r == EMB_ETOOBIG) {
		y->full = true;
		r = 0;
	}
	return r;
}

static int
add_permute(
    struct yara *y, const char *rule, const struct mark_span *spans, size_t n)
{
	int r;

	if (y->full)
		return 0;
	r = mark_set_permute(y->set, MARK_ROBUST, rule, spans, n);
	if (r == EMB_ETOOBIG) {
		y->full = true;
		r = 0;
	}
	return r;
}

static bool
tok_is(const struct yara *y, size_t k, const char *s)
{
	size_t m = strlen(s);

	return k < y->ntok && y->tok[k].len == m &&
	    memcmp(y->t + y->tok[k].off, s, m) == 0;
}

static bool
punct_is(const struct yara *y, size_t k, char c)
{
	return k < y->ntok && y->tok[k].type == T_PUNCT && y->tok[k].len == 1 &&
	    y->t[y->tok[k].off] == (uint8_t)c;
}

static bool
same_text(const struct yara *y, size_t a, size_t b)
{
	return y->tok[a].len == y->tok[b].len &&
	    memcmp(y->t + y->tok[a].off, y->t + y->tok[b].off, y->tok[a].len) ==
	    0;
}

static size_t
tok_end(const struct yara *y, size_t k)
{
	return y->tok[k].off + y->tok[k].len;
}

/* ---- tokens ---- */

static int
push(struct yara *y, size_t off, size_t len, enum tok_type type)
{
	int r;

	if ((r = grow(
	         (void **)&y->tok, &y->tok_cap, y->ntok, sizeof(*y->tok))) < 0)
		return r;
	y->tok[y->ntok].off = (uint32_t)off;
	y->tok[y->ntok].len = (uint32_t)len;
	y->tok[y->ntok].type = (uint8_t)type;
	y->ntok++;
	return 0;
}

/* Whether a "/" here starts a regular expression: after "=" or matches. */
static bool
regex_context(const struct yara *y)
{
	return y->ntok > 0 &&
	    (punct_is(y, y->ntok - 1, '=') ||
	        tok_is(y, y->ntok - 1, "matches"));
}

/*
 * Split the text into tokens, skipping blanks and comments.  Anything
 * that cannot be a YARA token (an unterminated string, a stray byte)
 * stops the scan and marks the file bad: what came before still counts.
 */
static int
tokenize(struct yara *y)
{
	const uint8_t *t = y->t;
	size_t n = y->n, i = 0;
	int r;

	while (i < n) {
		uint8_t c = t[i];
		size_t s = i;
		enum tok_type type = T_PUNCT;

		if (is_hspace(c) || c == '\n' || c == '\f' || c == '\v') {
			i++;
			continue;
		}
		if (c == '/' && i + 1 < n && t[i + 1] == '/') {
			while (i < n && t[i] != '\n')
				i++;
			continue;
		}
		if (c == '/' && i + 1 < n && t[i + 1] == '*') {
			const uint8_t *e = i + 2 < n
			    ? memmem(t + i + 2, n - i - 2, "*/", 2)
			    : NULL;
			if (e == NULL)
				goto bad;
			i = (size_t)(e - t) + 2;
			continue;
		}
		if (c == '"') {
			for (i++; i < n && t[i] != '"' && t[i] != '\n'; i++)
				if (t[i] == '\\')
					i++;
			if (i >= n || t[i] != '"')
				goto bad;
			i++;
			type = T_STRING;
		} else if (c == '/' && regex_context(y)) {
			for (i++; i < n && t[i] != '/' && t[i] != '\n'; i++)
				if (t[i] == '\\')
					i++;
			if (i >= n || t[i] != '/')
				goto bad;
			i++;
			while (i < n && is_alpha(t[i]))
				i++;
			type = T_REGEX;
		} else if (c == '{' && y->ntok > 0 &&
		    punct_is(y, y->ntok - 1, '=')) {
			while (i < n && t[i] != '}')
				i++;
			if (i >= n)
				goto bad;
			i++;
			type = T_HEX;
		} else if (is_alpha(c) || c == '_') {
			while (i < n && is_ident(t[i]))
				i++;
			type = T_IDENT;
		} else if (is_digit(c)) {
			if (c == '0' && i + 1 < n &&
			    (t[i + 1] == 'x' || t[i + 1] == 'o')) {
				i += 2;
				while (i < n && is_xdigit(t[i]))
					i++;
			} else {
				while (i < n && is_digit(t[i]))
					i++;
				if (i + 1 < n && t[i] == '.' &&
				    is_digit(t[i + 1])) {
					i++;
					while (i < n && is_digit(t[i]))
						i++;
				}
			}
			if (i + 1 < n && (t[i] == 'K' || t[i] == 'M') &&
			    t[i + 1] == 'B')
				i += 2;
			if (i < n && is_ident(t[i]))
				goto bad;
			type = T_NUM;
		} else if ((c == '$' || c == '#' || c == '@' || c == '!') &&
		    (c == '$' || (i + 1 < n && is_ident(t[i + 1])))) {
			i++;
			while (i < n && is_ident(t[i]))
				i++;
			if (c == '$' && i < n && t[i] == '*')
				i++;
			type = c == '$' ? T_STRVAR
			    : c == '#'  ? T_COUNT
			    : c == '@'  ? T_OFFSET
			                : T_LENGTH;
		} else if (c >= 0x21 && c < 0x7f) {
			static const char *const two[] = {
			    "..", "==", "!=", "<=", ">=", "<<", ">>"};
			i++;
			for (size_t k = 0; k < EMB_ARRAY_LEN(two); k++)
				if (i < n && c == two[k][0] &&
				    t[i] == two[k][1]) {
					i++;
					break;
				}
		} else {
			goto bad;
		}
		if ((r = push(y, s, i - s, type)) < 0)
			return r;
	}
	return 0;
bad:
	y->bad = true;
	return 0;
}

/* ---- structure ---- */

static int
add_entry(struct yara *y, size_t first, size_t last)
{
	int r;

	if ((r = grow(
	         (void **)&y->ent, &y->ent_cap, y->nent, sizeof(*y->ent))) < 0)
		return r;
	y->ent[y->nent].first = (uint32_t)first;
	y->ent[y->nent].last = (uint32_t)last;
	y->nent++;
	return 0;
}

/* Skip a modifier's "(...)" argument list; returns the next token. */
static size_t
skip_args(const struct yara *y, size_t k)
{
	int depth = 0;

	if (!punct_is(y, k, '('))
		return k;
	for (; k < y->ntok; k++) {
		if (punct_is(y, k, '('))
			depth++;
		else if (punct_is(y, k, ')') && --depth == 0)
			return k + 1;
	}
	return SIZE_MAX;
}

/* Parse one rule starting at token k; *ret_next past it.  -1: bad. */
static int
parse_rule(struct yara *y, size_t k, size_t *ret_next)
{
	struct rule ru;
	int r;

	memset(&ru, 0, sizeof(ru));
	while (tok_is(y, k, "private") || tok_is(y, k, "global"))
		k++;
	if (!tok_is(y, k, "rule") || k + 1 >= y->ntok ||
	    y->tok[k + 1].type != T_IDENT)
		return -1;
	ru.name = (uint32_t)(k + 1);
	k += 2;
	if (punct_is(y, k, ':'))
		for (k++; k < y->ntok && y->tok[k].type == T_IDENT; k++)
			;
	if (!punct_is(y, k, '{'))
		return -1;
	ru.open = (uint32_t)k;
	k++;
	ru.meta0 = ru.str0 = (uint32_t)y->nent;
	for (;;) {
		if (k >= y->ntok)
			return -1;
		if (punct_is(y, k, '}'))
			break;
		if (tok_is(y, k, "meta") && punct_is(y, k + 1, ':')) {
			k += 2;
			ru.meta0 = (uint32_t)y->nent;
			while (k + 2 < y->ntok && y->tok[k].type == T_IDENT &&
			    punct_is(y, k + 1, '=')) {
				size_t v = k + 2;
				if (punct_is(y, v, '-'))
					v++;
				if (v >= y->ntok ||
				    (y->tok[v].type != T_STRING &&
				        y->tok[v].type != T_NUM &&
				        !tok_is(y, v, "true") &&
				        !tok_is(y, v, "false")))
					return -1;
				if ((r = add_entry(y, k, v)) < 0)
					return r;
				k = v + 1;
			}
			ru.nmeta = (uint32_t)(y->nent - ru.meta0);
			continue;
		}
		if (tok_is(y, k, "strings") && punct_is(y, k + 1, ':')) {
			k += 2;
			ru.str0 = (uint32_t)y->nent;
			while (k + 2 < y->ntok && y->tok[k].type == T_STRVAR &&
			    punct_is(y, k + 1, '=')) {
				size_t v = k + 2, e;
				if (y->t[tok_end(y, k) - 1] == '*' ||
				    (y->tok[v].type != T_STRING &&
				        y->tok[v].type != T_HEX &&
				        y->tok[v].type != T_REGEX))
					return -1;
				e = v + 1;
				while (e < y->ntok &&
				    y->tok[e].type == T_IDENT &&
				    !punct_is(y, e + 1, ':')) {
					e = skip_args(y, e + 1);
					if (e == SIZE_MAX)
						return -1;
				}
				if ((r = add_entry(y, k, e - 1)) < 0)
					return r;
				k = e;
			}
			ru.nstr = (uint32_t)(y->nent - ru.str0);
			continue;
		}
		if (tok_is(y, k, "condition") && punct_is(y, k + 1, ':')) {
			int depth = 0;
			k += 2;
			ru.cond0 = (uint32_t)k;
			for (; k < y->ntok; k++) {
				if (punct_is(y, k, '(') || punct_is(y, k, '['))
					depth++;
				else if (punct_is(y, k, ')') ||
				    punct_is(y, k, ']'))
					depth--;
				else if (punct_is(y, k, '}') ||
				    punct_is(y, k, '{'))
					break;
				if (depth < 0)
					return -1;
			}
			if (depth != 0 || !punct_is(y, k, '}'))
				return -1;
			ru.cond1 = (uint32_t)k;
			continue;
		}
		return -1;
	}
	if (ru.cond1 <= ru.cond0)
		return -1; /* a rule needs a condition */
	if ((r = grow((void **)&y->rule, &y->rule_cap, y->nrule,
	         sizeof(*y->rule))) < 0)
		return r;
	y->rule[y->nrule++] = ru;
	*ret_next = k + 1;
	return 0;
}

static int
parse(struct yara *y)
{
	size_t k = 0;
	int r;

	while (k < y->ntok) {
		if ((tok_is(y, k, "import") || tok_is(y, k, "include")) &&
		    k + 1 < y->ntok && y->tok[k + 1].type == T_STRING) {
			k += 2;
			continue;
		}
		r = parse_rule(y, k, &k);
		if (r == -1) {
			y->bad = true;
			return 0;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- renaming rules ---- */

static const char *const keywords[] = {"all", "and", "any", "ascii", "at",
    "base64", "base64wide", "condition", "contains", "defined", "endswith",
    "entrypoint", "false", "filesize", "for", "fullword", "global", "icontains",
    "iendswith", "iequals", "import", "in", "include", "int16", "int16be",
    "int32", "int32be", "int8", "int8be", "istartswith", "matches", "meta",
    "nocase", "none", "not", "of", "or", "private", "rule", "startswith",
    "strings", "them", "true", "uint16", "uint16be", "uint32", "uint32be",
    "uint8", "uint8be", "wide", "xor", "with"};

struct cand {
	char name[NAME_MAX_];
	uint32_t rule;
	uint32_t seq;
	bool dead;
};

static int
cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* Identifier tokens sorted by text, to find a name's uses quickly. */
struct ident {
	const uint8_t *p;
	uint32_t len;
	uint32_t tok;
};

static int
ident_cmp(const void *a, const void *b)
{
	const struct ident *x = a, *y = b;
	int c;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if ((c = memcmp(x->p, y->p, x->len)) != 0)
		return c;
	return x->tok < y->tok ? -1 : x->tok > y->tok;
}

/* First index in idx whose text is >= (p, m) by ident_cmp's order. */
static size_t
ident_lower(const struct ident *idx, size_t n, const uint8_t *p, size_t m)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = idx[mid].len != m ? (idx[mid].len < m ? -1 : 1)
		                          : memcmp(idx[mid].p, p, m);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
ident_at(
    const struct ident *idx, size_t n, size_t i, const uint8_t *p, size_t m)
{
	return i < n && idx[i].len == m && memcmp(idx[i].p, p, m) == 0;
}

/* The candidates of each rule together, in the order they were made. */
static int
cand_rule_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Whether name (NUL-terminated) is a keyword or any identifier in use. */
static bool
used_ident(const struct ident *idx, size_t n, const char *name)
{
	size_t m = strlen(name);

	for (size_t k = 0; k < EMB_ARRAY_LEN(keywords); k++)
		if (strcmp(keywords[k], name) == 0)
			return true;
	return ident_at(idx, n, ident_lower(idx, n, (const uint8_t *)name, m),
	    (const uint8_t *)name, m);
}

/*
 * The declaration of rule i and its references: identifiers in
 * conditions with its name, not a field (after ".").  false if the name
 * is used in a way we do not follow (a loop variable, a "with" binding)
 * or is declared twice.
 */
static bool
rule_refs(const struct yara *y, const struct ident *idx, size_t nidx,
    const uint8_t *where, size_t i, struct mark_span *spans, size_t *ns)
{
	size_t nt = y->rule[i].name;
	const uint8_t *p = y->t + y->tok[nt].off;
	size_t m = y->tok[nt].len;

	*ns = 0;
	for (size_t j = ident_lower(idx, nidx, p, m);
	     ident_at(idx, nidx, j, p, m); j++) {
		size_t k = idx[j].tok;
		if (where[k] == 2 && k != nt)
			return false; /* declared twice */
		if (k == nt) {
			spans[(*ns)++] = span_of(y->tok[k].off, tok_end(y, k));
			continue;
		}
		if (where[k] != 1 || (k > 0 && punct_is(y, k - 1, '.')))
			continue;
		if ((k > 0 &&
		        (tok_is(y, k - 1, "for") || tok_is(y, k - 1, "any") ||
		            tok_is(y, k - 1, "all") ||
		            tok_is(y, k - 1, "with"))) ||
		    tok_is(y, k + 1, "in") || punct_is(y, k + 1, '=') ||
		    punct_is(y, k + 1, ','))
			return false;
		if (*ns == MARK_SPANS_MAX)
			return false;
		spans[(*ns)++] = span_of(y->tok[k].off, tok_end(y, k));
	}
	return *ns > 0;
}

static int
span_cmp(const void *a, const void *b)
{
	const struct mark_span *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static int
rename_rules(struct yara *y)
{
	struct cand *c = NULL;
	struct ident *idx = NULL;
	uint8_t *where = NULL; /* per token: 1 in a condition, 2 a name */
	struct mark_span *spans = NULL;
	struct mark_text *texts = NULL;
	size_t nc = 0, nidx = 0;
	int r = 0;

	if (y->bad || y->nrule == 0)
		return 0;
	where = calloc(y->ntok, 1);
	idx = malloc(sizeof(*idx) * y->ntok);
	c = calloc(y->nrule * 3, sizeof(*c));
	spans = malloc(sizeof(*spans) * MARK_SPANS_MAX);
	texts = malloc(sizeof(*texts) * 4 * MARK_SPANS_MAX);
	if (where == NULL || idx == NULL || c == NULL || spans == NULL ||
	    texts == NULL) {
		r = EMB_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < y->nrule; i++) {
		memset(where + y->rule[i].cond0, 1,
		    y->rule[i].cond1 - y->rule[i].cond0);
		where[y->rule[i].name] = 2;
	}
	/* A rule set such as "any of (Foo*)" can gain members: no renames. */
	for (size_t k = 0; k + 1 < y->ntok; k++)
		if (y->tok[k].type == T_IDENT && punct_is(y, k + 1, '*') &&
		    y->tok[k + 1].off == tok_end(y, k) && where[k] == 1)
			goto out;
	for (size_t k = 0; k < y->ntok; k++) {
		if (y->tok[k].type != T_IDENT)
			continue;
		idx[nidx].p = y->t + y->tok[k].off;
		idx[nidx].len = y->tok[k].len;
		idx[nidx].tok = (uint32_t)k;
		nidx++;
	}
	qsort(idx, nidx, sizeof(*idx), ident_cmp);
	for (size_t i = 0; i < y->nrule; i++) {
		const struct tok *nt = &y->tok[y->rule[i].name];
		const char *name = (const char *)y->t + nt->off;
		static const char *const sfx_digit[] = {"a", "b", "c"};
		static const char *const sfx_snake[] = {"_1", "_A", "_v1"};
		static const char *const sfx_camel[] = {"1", "A", "_v1"};
		const char *const *sfx;

		if (nt->len + 4 > YARA_IDENT_MAX)
			continue;
		sfx = is_digit((uint8_t)name[nt->len - 1]) ? sfx_digit
		    : memchr(name, '_', nt->len) != NULL   ? sfx_snake
		                                           : sfx_camel;
		for (size_t k = 0; k < 3; k++) {
			memcpy(c[nc].name, name, nt->len);
			memcpy(
			    c[nc].name + nt->len, sfx[k], strlen(sfx[k]) + 1);
			c[nc].rule = (uint32_t)i;
			c[nc].seq = (uint32_t)k;
			c[nc].dead = used_ident(idx, nidx, c[nc].name);
			nc++;
		}
	}
	/* No two rules may be offered the same new name. */
	qsort(c, nc, sizeof(*c), cand_cmp);
	for (size_t k = 1; k < nc; k++)
		if (strcmp(c[k].name, c[k - 1].name) == 0)
			c[k].dead = c[k - 1].dead = true;
	qsort(c, nc, sizeof(*c), cand_rule_cmp);
	for (size_t i = 0, k = 0; i < y->nrule && r == 0; i++) {
		struct mark_text v[4];
		size_t ns = 0;
		unsigned q = 1;

		for (; k < nc && c[k].rule == i; k++)
			if (!c[k].dead && q < 4)
				v[q++] = text_of(c[k].name, strlen(c[k].name));
		if (q < 2 || !rule_refs(y, idx, nidx, where, i, spans, &ns))
			continue;
		qsort(spans, ns, sizeof(*spans), span_cmp);
		for (size_t s = 0; s < ns; s++)
			for (unsigned w = 0; w < q; w++)
				texts[w * ns + s] = w == 0
				    ? text_of(y->t + spans[s].off, spans[s].len)
				    : v[w];
		r = add_replace(
		    y, MARK_ROBUST, "yara.rule_rename", q, spans, ns, texts);
	}
out:
	free(where);
	free(idx);
	free(c);
	free(spans);
	free(texts);
	return r;
}

/* ---- renaming strings ---- */

/* "a", "s1", "str12": names that read as mere labels. */
static bool
short_name(const uint8_t *p, size_t m)
{
	size_t k = 0;

	while (k < m && p[k] >= 'a' && p[k] <= 'z')
		k++;
	if (k == 0 || k > 3)
		return false;
	while (k < m && is_digit(p[k]))
		k++;
	return k == m && m <= 6;
}

#define SCHEMES 4

/*
 * Name of string number idx (1-based) under scheme sc, from its original
 * name o.  Schemes for rules whose names are all short labels: s1, x1,
 * a1, str1; otherwise: str_NAME, s_NAME.
 */
static size_t
scheme_name(bool labels, unsigned sc, unsigned idx, const uint8_t *o, size_t m,
    char *out)
{
	static const char *const lab[SCHEMES] = {"s", "x", "a", "str"};
	static const char *const pre[2] = {"str_", "s_"};
	int w;

	if (labels) {
		w = snprintf(out, NAME_MAX_, "%s%u", lab[sc], idx);
		return w > 0 && w < NAME_MAX_ ? (size_t)w : 0;
	}
	if (sc >= 2 || strlen(pre[sc]) + m + 1 > NAME_MAX_)
		return 0;
	memcpy(out, pre[sc], strlen(pre[sc]));
	memcpy(out + strlen(pre[sc]), o, m);
	return strlen(pre[sc]) + m;
}

static bool
has_prefix(const uint8_t *p, size_t m, const uint8_t *pre, size_t pm)
{
	return m >= pm && memcmp(p, pre, pm) == 0;
}

/* A string reference in a condition: its name part (after the sigil). */
static bool
ref_name(const struct yara *y, size_t k, size_t *off, size_t *len)
{
	const struct tok *tk = &y->tok[k];

	if (tk->type != T_STRVAR && tk->type != T_COUNT &&
	    tk->type != T_OFFSET && tk->type != T_LENGTH)
		return false;
	*off = tk->off + 1;
	*len = tk->len - 1;
	return true;
}

static int
rename_strings_in(struct yara *y, const struct rule *ru,
    struct mark_span *spans, struct mark_text *texts, uint32_t *owner,
    char (*names)[SCHEMES][NAME_MAX_])
{
	const uint8_t *t = y->t;
	size_t ns = 0, nnamed = 0;
	bool labels = true, keep[SCHEMES];
	unsigned q;

	if (ru->nstr == 0 || ru->nstr > MARK_SPANS_MAX / 4 ||
	    (size_t)(ru->cond1 - ru->cond0) * ru->nstr > (1u << 22))
		return 0;
	/* named strings: unique, and all labels or not */
	for (size_t i = 0; i < ru->nstr; i++) {
		const struct tok *a = &y->tok[y->ent[ru->str0 + i].first];
		if (a->len < 2)
			continue;
		nnamed++;
		labels = labels && short_name(t + a->off + 1, a->len - 1);
		for (size_t j = 0; j < i; j++) {
			const struct tok *b =
			    &y->tok[y->ent[ru->str0 + j].first];
			if (a->len == b->len &&
			    memcmp(t + a->off, t + b->off, a->len) == 0)
				return 0;
		}
	}
	if (nnamed == 0)
		return 0;
	for (unsigned sc = 0; sc < SCHEMES; sc++) {
		unsigned idx = 0;
		keep[sc] = true;
		for (size_t i = 0; i < ru->nstr; i++) {
			const struct tok *a =
			    &y->tok[y->ent[ru->str0 + i].first];
			size_t m;
			if (a->len < 2)
				continue;
			m = scheme_name(labels, sc, ++idx, t + a->off + 1,
			    a->len - 1, names[i][sc]);
			if (m == 0 || m > YARA_IDENT_MAX) {
				keep[sc] = false;
				break;
			}
			names[i][sc][m] = 0;
		}
	}
	/* spans: definitions and references, each with its string */
	for (size_t i = 0; i < ru->nstr; i++) {
		const struct tok *a = &y->tok[y->ent[ru->str0 + i].first];
		if (a->len < 2)
			continue;
		spans[ns] = span_of(a->off + 1, a->off + a->len);
		owner[ns++] = (uint32_t)i;
	}
	for (size_t k = ru->cond0; k < ru->cond1; k++) {
		size_t off, len, i;
		if (!ref_name(y, k, &off, &len) || len == 0)
			continue;
		if (t[off + len - 1] == '*') {
			/* a set: membership must not change */
			const uint8_t *pre = t + off;
			size_t pm = len - 1;
			for (unsigned sc = 0; sc < SCHEMES; sc++) {
				for (i = 0; i < ru->nstr && keep[sc]; i++) {
					const struct tok *a =
					    &y->tok[y->ent[ru->str0 + i].first];
					if (a->len < 2)
						continue;
					if (has_prefix(t + a->off + 1,
					        a->len - 1, pre, pm) !=
					    has_prefix(
					        (const uint8_t *)names[i][sc],
					        strlen(names[i][sc]), pre, pm))
						keep[sc] = false;
				}
			}
			continue;
		}
		for (i = 0; i < ru->nstr; i++) {
			const struct tok *a =
			    &y->tok[y->ent[ru->str0 + i].first];
			if (a->len - 1 == len &&
			    memcmp(t + a->off + 1, t + off, len) == 0)
				break;
		}
		if (i == ru->nstr)
			return 0; /* an unknown string: leave the rule alone */
		if (ns == MARK_SPANS_MAX)
			return 0;
		spans[ns] = span_of(off, off + len);
		owner[ns++] = (uint32_t)i;
	}
	q = 1;
	for (unsigned sc = 0; sc < SCHEMES; sc++) {
		bool same = true;
		if (!keep[sc])
			continue;
		for (size_t s = 0; s < ns; s++)
			same = same &&
			    strlen(names[owner[s]][sc]) == spans[s].len &&
			    memcmp(names[owner[s]][sc], t + spans[s].off,
			        spans[s].len) == 0;
		if (same)
			continue;
		for (size_t s = 0; s < ns; s++)
			texts[q * ns + s] = text_of(
			    names[owner[s]][sc], strlen(names[owner[s]][sc]));
		q++;
	}
	if (q < 2)
		return 0;
	for (size_t s = 0; s < ns; s++)
		texts[s] = text_of(t + spans[s].off, spans[s].len);
	return add_replace(
	    y, MARK_ROBUST, "yara.string_rename", q, spans, ns, texts);
}

static int
rename_strings(struct yara *y)
{
	struct mark_span *spans = malloc(sizeof(*spans) * MARK_SPANS_MAX);
	struct mark_text *texts = malloc(sizeof(*texts) * 5 * MARK_SPANS_MAX);
	uint32_t *owner = malloc(sizeof(*owner) * MARK_SPANS_MAX);
	char(*names)[SCHEMES][NAME_MAX_] =
	    malloc(sizeof(*names) * (MARK_SPANS_MAX / 4));
	int r = 0;

	if (spans == NULL || texts == NULL || owner == NULL || names == NULL)
		r = EMB_ENOMEM;
	for (size_t i = 0; i < y->nrule && r == 0; i++)
		r = rename_strings_in(
		    y, &y->rule[i], spans, texts, owner, names);
	free(spans);
	free(texts);
	free(owner);
	free(names);
	return r;
}

/* ---- literals ---- */

/* Hex strings in upper or lower case. */
static int
hex_case(struct yara *y, size_t k)
{
	const struct tok *tk = &y->tok[k];
	const uint8_t *p = y->t + tk->off;
	char *up, *lo;
	bool letters = false;
	struct mark_text v[3];
	struct mark_span span = span_of(tk->off, tk->off + tk->len);
	unsigned q = 1;
	int r;

	for (size_t i = 0; i < tk->len; i++) {
		if (!is_xdigit(p[i]) &&
		    (p[i] == 0 || !strchr("{}?~[]-()| \t\r\n", p[i])))
			return 0; /* comments, or something we do not know */
		letters = letters || (is_xdigit(p[i]) && !is_digit(p[i]));
	}
	if (!letters)
		return 0;
	up = malloc(tk->len);
	lo = malloc(tk->len);
	if (up == NULL || lo == NULL) {
		free(up);
		free(lo);
		return EMB_ENOMEM;
	}
	for (size_t i = 0; i < tk->len; i++) {
		up[i] = (char)(p[i] >= 'a' && p[i] <= 'f' ? p[i] - 32 : p[i]);
		lo[i] = (char)(p[i] >= 'A' && p[i] <= 'F' ? p[i] + 32 : p[i]);
	}
	v[0] = text_of(p, tk->len);
	if (memcmp(up, p, tk->len) != 0)
		v[q++] = text_of(up, tk->len);
	if (memcmp(lo, p, tk->len) != 0)
		v[q++] = text_of(lo, tk->len);
	r = add_replace(y, MARK_ROBUST, "yara.hex_case", q, &span, 1, v);
	free(up);
	free(lo);
	return r;
}

/* Value of a decimal integer token with an optional KB/MB suffix. */
static bool
dec_value(const struct yara *y, size_t k, uint64_t *ret)
{
	const uint8_t *p = y->t + y->tok[k].off;
	size_t m = y->tok[k].len, i = 0;
	uint64_t v = 0;

	if (m > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'o'))
		return false;
	while (i < m && is_digit(p[i]) && i < 12)
		v = v * 10 + (uint64_t)(p[i++] - '0');
	if (i == 0 || (i < m && is_digit(p[i])))
		return false;
	if (i + 2 == m && p[i] == 'K')
		v *= 1024;
	else if (i + 2 == m && p[i] == 'M')
		v *= 1048576;
	else if (i != m)
		return false;
	*ret = v;
	return true;
}

/* "filesize < 2MB" = "< 2048KB" = "< 2097152"; "0x5A4D" = "0x5a4d". */
static int
int_forms(struct yara *y, size_t k)
{
	const struct tok *tk = &y->tok[k];
	const uint8_t *p = y->t + tk->off;
	struct mark_span span = span_of(tk->off, tk->off + tk->len);
	char buf[3][32];
	struct mark_text v[4];
	unsigned q = 1;
	uint64_t val;

	v[0] = text_of(p, tk->len);
	if (tk->len > 2 && tk->len < 32 && p[0] == '0' && p[1] == 'x') {
		bool up = false, lo = false;
		for (size_t i = 2; i < tk->len; i++) {
			up = up || (p[i] >= 'A' && p[i] <= 'F');
			lo = lo || (p[i] >= 'a' && p[i] <= 'f');
		}
		if (!up && !lo)
			return 0;
		for (size_t i = 0; i < tk->len; i++)
			buf[0][i] = (char)(i < 2 ? p[i]
			        : lo && !up && p[i] >= 'a' && p[i] <= 'f'
			        ? p[i] - 32
			        : up && p[i] >= 'A' && p[i] <= 'F' ? p[i] + 32
			                                           : p[i]);
		if (up && lo)
			return 0; /* mixed case: no natural other form */
		v[q++] = text_of(buf[0], tk->len);
		return add_replace(
		    y, MARK_ROBUST, "yara.int_form", q, &span, 1, v);
	}
	/* only sizes compared with filesize */
	if (k < 2 || !tok_is(y, k - 2, "filesize") ||
	    !(tok_is(y, k - 1, "<") || tok_is(y, k - 1, "<=") ||
	        tok_is(y, k - 1, ">") || tok_is(y, k - 1, ">=") ||
	        tok_is(y, k - 1, "==") || tok_is(y, k - 1, "!=")) ||
	    !dec_value(y, k, &val) || val == 0)
		return 0;
	{
		int w[3];
		w[0] = snprintf(
		    buf[0], sizeof(buf[0]), "%llu", (unsigned long long)val);
		w[1] = val % 1024 == 0
		    ? snprintf(buf[1], sizeof(buf[1]), "%lluKB",
		          (unsigned long long)(val / 1024))
		    : 0;
		w[2] = val % 1048576 == 0
		    ? snprintf(buf[2], sizeof(buf[2]), "%lluMB",
		          (unsigned long long)(val / 1048576))
		    : 0;
		for (int i = 0; i < 3; i++) {
			if (w[i] <= 0 || w[i] >= 32 ||
			    ((size_t)w[i] == tk->len &&
			        memcmp(buf[i], p, tk->len) == 0))
				continue;
			v[q++] = text_of(buf[i], (size_t)w[i]);
		}
	}
	if (q < 2)
		return 0;
	return add_replace(y, MARK_ROBUST, "yara.int_form", q, &span, 1, v);
}

static int
literal_sites(struct yara *y)
{
	int r = 0;

	for (size_t i = 0; i < y->nrule && r == 0; i++) {
		const struct rule *ru = &y->rule[i];
		for (size_t e = 0; e < ru->nstr && r == 0; e++) {
			size_t v = y->ent[ru->str0 + e].first + 2;
			if (y->tok[v].type == T_HEX)
				r = hex_case(y, v);
		}
		for (size_t k = ru->cond0; k < ru->cond1 && r == 0; k++)
			if (y->tok[k].type == T_NUM)
				r = int_forms(y, k);
	}
	return r;
}

/* ---- orders ---- */

/* End of the text belonging to token k: a comment on the same line too. */
static size_t
extend_comment(const struct yara *y, size_t end)
{
	const uint8_t *t = y->t;
	size_t i = end;

	while (i < y->n && is_hspace(t[i]))
		i++;
	if (i + 1 < y->n && t[i] == '/' && t[i + 1] == '/') {
		while (i < y->n && t[i] != '\n')
			i++;
		while (i > end && is_hspace(t[i - 1]))
			i--;
		return i;
	}
	return end;
}

/* Whether offset a starts its line (only blanks before it). */
static bool
line_first(const struct yara *y, size_t a)
{
	while (a > 0 && is_hspace(y->t[a - 1]))
		a--;
	return a == 0 || y->t[a - 1] == '\n';
}

/* Whether offset a ends its line (only blanks after it). */
static bool
line_last(const struct yara *y, size_t a)
{
	while (a < y->n && is_hspace(y->t[a]))
		a++;
	return a == y->n || y->t[a] == '\n';
}

/*
 * Permute runs of entries (meta or strings), three at a time, then two:
 * each entry alone on its lines, keys distinct within a group.
 */
static int
permute_entries(
    struct yara *y, const struct entry *e, size_t n, bool check_keys)
{
	struct mark_span sp[3];
	size_t i = 0;
	int r;

	while (i + 1 < n) {
		size_t g = n - i >= 3 && n - i != 4 ? 3 : 2, k;
		bool ok = true;

		for (k = 0; k < g && ok; k++) {
			size_t a = y->tok[e[i + k].first].off;
			size_t b = extend_comment(y, tok_end(y, e[i + k].last));
			ok = line_first(y, a) && line_last(y, b);
			sp[k] = span_of(a, b);
			for (size_t j = 0; j < k && check_keys; j++)
				ok = ok &&
				    !same_text(
				        y, e[i + j].first, e[i + k].first);
		}
		if (ok &&
		    (r = add_permute(y,
		         check_keys ? "yara.meta_order" : "yara.string_order",
		         sp, g)) < 0)
			return r;
		i += g;
	}
	return 0;
}

/* "ascii wide" = "wide ascii": modifiers, each with its arguments. */
static int
permute_modifiers(struct yara *y, const struct entry *e)
{
	size_t mods[17], nm = 0, k = e->first + 3;
	struct mark_span sp[3];
	int r;

	while (k <= e->last && nm < 16) {
		size_t nx = skip_args(y, k + 1);
		if (nx == SIZE_MAX || nx > e->last + 1)
			return 0;
		mods[nm++] = k;
		mods[nm] = nx;
		k = nx;
	}
	if (nm < 2 || k != e->last + 1)
		return 0;
	for (size_t i = 0; i + 1 < nm;) {
		size_t g = nm - i >= 3 && nm - i != 4 ? 3 : 2;
		for (size_t j = 0; j < g; j++)
			sp[j] = span_of(y->tok[mods[i + j]].off,
			    tok_end(y, mods[i + j + 1] - 1));
		if ((r = add_permute(y, "yara.modifier_order", sp, g)) < 0)
			return r;
		i += g;
	}
	return 0;
}

/*
 * Operands of the "or" chain of tokens [a, b) at depth 0, or of its "and"
 * chain if it has no "or".  Permuted three at a time, then two.
 */
static int
permute_operands(struct yara *y, size_t a, size_t b)
{
	size_t ops[64], nops = 0, start = a;
	const char *sep = "or";
	struct mark_span sp[3];
	int depth = 0, r;

	for (int pass = 0; pass < 2; pass++) {
		nops = 0;
		start = a;
		depth = 0;
		for (size_t k = a; k < b; k++) {
			if (punct_is(y, k, '(') || punct_is(y, k, '['))
				depth++;
			else if (punct_is(y, k, ')') || punct_is(y, k, ']'))
				depth--;
			else if (depth == 0 && tok_is(y, k, sep)) {
				if (k == start || nops + 2 >= 64)
					return 0;
				ops[nops++] = start;
				ops[nops++] = k;
				start = k + 1;
			}
		}
		if (nops > 0)
			break;
		sep = "and";
	}
	if (nops == 0 || start >= b)
		return 0;
	ops[nops++] = start;
	ops[nops++] = b;
	nops /= 2;
	for (size_t i = 0; i + 1 < nops;) {
		size_t g = nops - i >= 3 && nops - i != 4 ? 3 : 2;
		for (size_t j = 0; j < g; j++)
			sp[j] = span_of(y->tok[ops[2 * (i + j)]].off,
			    tok_end(y, ops[2 * (i + j) + 1] - 1));
		if ((r = add_permute(y, "yara.cond_order", sp, g)) < 0)
			return r;
		i += g;
	}
	return 0;
}

/* The condition, and every parenthesised boolean group inside it. */
static int
condition_orders(struct yara *y, const struct rule *ru)
{
	int r;

	if ((r = permute_operands(y, ru->cond0, ru->cond1)) < 0)
		return r;
	for (size_t k = ru->cond0, nest = 0; k < ru->cond1; k++) {
		size_t close, depth = 0;
		bool boolean;

		if (punct_is(y, k, ')') && nest > 0)
			nest--;
		if (!punct_is(y, k, '('))
			continue;
		/* how deep this group sits: bounded work per group */
		if (nest++ >= GROUP_DEPTH)
			continue;
		boolean = k == ru->cond0 || tok_is(y, k - 1, "and") ||
		    tok_is(y, k - 1, "or") || tok_is(y, k - 1, "not") ||
		    punct_is(y, k - 1, '(') || punct_is(y, k - 1, ':');
		if (!boolean)
			continue;
		for (close = k; close < ru->cond1; close++) {
			if (punct_is(y, close, '('))
				depth++;
			else if (punct_is(y, close, ')') && --depth == 0)
				break;
		}
		if (close >= ru->cond1)
			continue;
		if ((r = permute_operands(y, k + 1, close)) < 0)
			return r;
	}
	return 0;
}

static int
order_sites(struct yara *y)
{
	int r = 0;

	for (size_t i = 0; i < y->nrule && r == 0; i++) {
		const struct rule *ru = &y->rule[i];
		for (size_t e = 0; e < ru->nstr && r == 0; e++)
			r = permute_modifiers(y, &y->ent[ru->str0 + e]);
		if (r == 0)
			r = permute_entries(
			    y, &y->ent[ru->str0], ru->nstr, false);
		if (r == 0)
			r = permute_entries(
			    y, &y->ent[ru->meta0], ru->nmeta, true);
		if (r == 0)
			r = condition_orders(y, ru);
	}
	return r;
}

/* ---- fragile ---- */

static int
fragile_sites(struct yara *y)
{
	const uint8_t *t = y->t;
	size_t i = 0;
	int r;

	/* "rule x {" or "rule x\n{" */
	for (size_t k = 0; k < y->nrule; k++) {
		size_t o = y->tok[y->rule[k].open].off,
		       a = tok_end(y, y->rule[k].open - 1);
		struct mark_span span;
		struct mark_text v[2];
		bool nl = false;

		if (a >= o)
			continue;
		for (size_t j = a; j < o; j++) {
			if (t[j] == '\n')
				nl = true;
			else if (!is_hspace(t[j]))
				goto next_rule;
		}
		span = span_of(a, o);
		v[0] = text_of(t + a, o - a);
		v[1] = nl ? text_of(" ", 1) : text_of("\n", 1);
		if ((r = add_replace(y, MARK_FRAGILE, "yara.brace_style", 2,
		         &span, 1, v)) < 0)
			return r;
next_rule:;
	}
	/* a blank at the end of a line (outside strings) */
	while (i < y->n && !y->full) {
		const uint8_t *nl = memchr(t + i, '\n', y->n - i);
		size_t le = nl ? (size_t)(nl - t) : y->n, e = le;
		struct mark_span span;
		struct mark_text v[2];
		char buf[3];

		if (le >= y->n)
			break;
		if (e > i && t[e - 1] == '\r')
			e--;
		if (e > i && !is_hspace(t[e - 1]) && t[e - 1] != '\\') {
			span = span_of(e, le + 1);
			buf[0] = ' ';
			memcpy(buf + 1, t + e, le + 1 - e);
			v[0] = text_of(t + e, le + 1 - e);
			v[1] = text_of(buf, le + 2 - e);
			if ((r = add_replace(y, MARK_FRAGILE,
			         "yara.trailing_space", 2, &span, 1, v)) < 0)
				return r;
		}
		i = le + 1;
	}
	return 0;
}

/*
 * Discover the sites of a YARA file: rule and string renames, literal
 * forms and orders (robust), brace placement and trailing blanks
 * (fragile).  Returns 0 or EMB_ENOMEM; text that does not parse yields
 * fewer sites.
 */
int
mark_lang_yara(struct mark_set *set)
{
	struct yara y;
	int r;

	memset(&y, 0, sizeof(y));
	y.set = set;
	y.t = set->text;
	y.n = set->len;
	if (set->len == 0 || set->len > UINT32_MAX - 1)
		return 0;
	if ((r = tokenize(&y)) < 0 || (r = parse(&y)) < 0)
		goto out;
	if ((r = rename_rules(&y)) < 0 || (r = rename_strings(&y)) < 0 ||
	    (r = literal_sites(&y)) < 0 || (r = order_sites(&y)) < 0 ||
	    (r = fragile_sites(&y)) < 0)
		goto out;
out:
	free(y.tok);
	free(y.ent);
	free(y.rule);
	return r;
}
