/*
 * Mark sites in PowerShell scripts.
 *
 * A lexer splits the script into code tokens (variables, bare words,
 * numbers, operators and brackets, line breaks) and text: comments
 * (# and <# #>), verbatim strings ('..' and @'..'@) and expandable ones
 * (".." and @".."@), inside which it follows $name, ${name}, backtick
 * escapes and $(...) subexpressions, whose code it lexes like any other.
 * Every name it meets is recorded with what it is: a variable use, an
 * assignment, a parameter, a bare word (command, -Parameter, member,
 * hashtable key), text, or something that rules the name out (a scope
 * prefix such as $script:x or $using:x, an escaped `$x, a $x inside a
 * verbatim string, a string that is exactly the name).  PowerShell names
 * ignore case, so all of this is done case-insensitively.  Smart quotes
 * (which PowerShell also accepts as quotes), unterminated strings or
 * comments and deep nesting make the lexer give up: no site at all.
 *
 * Robust sites (they survive Invoke-Formatter, re-indentation and comment
 * stripping):
 *
 *  - ps.rename: a variable or parameter of one function gets another
 *    name at each of its uses there, whatever their case.  Its first use
 *    in the function assigns it (or it is a parameter).  Scopes are
 *    dynamic, so elsewhere the name may only be text, a bare word, or the
 *    variable of another function that starts by assigning it without
 *    reading it; never a script-level variable.  Automatic and preference
 *    variables ($_, $args, $input, $PSItem, $this, $Matches,
 *    $LASTEXITCODE, $ErrorActionPreference, ...) are never touched, nor
 *    anything in a function that reaches variables by name
 *    (Get-Variable and friends, Invoke-Expression, dot-sourcing,
 *    variable:, ExpandString).  Parameters are left alone when any
 *    -Parameter word of the script could name them (parameter names may be
 *    abbreviated), when they appear as bare words (splatting hashtables),
 *    and in functions that read $PSBoundParameters or $MyInvocation or
 *    bind by property name.
 *  - ps.int: 16..32767 in decimal and hexadecimal, only where the number
 *    is parsed as an expression (after =, (, [, an arithmetic or
 *    comparison operator), never as a command argument.
 *  - ps.assign_order: two or three adjacent lines each assigning a
 *    constant to a distinct plain variable, in a script block (not a
 *    hashtable, class or param block).
 *
 * Fragile sites: ps.quote ('text' and "text" when the text has no $,
 * backtick or quote), ps.comment (comment wording) and ps.trailing_ws.
 */
#include <stdlib.h>
#include <string.h>

#include "mark/clex.h"
#include "mark/lang.h"
#include "common/emb.h"

#define PS_DEPTH_MAX 64
#define PS_TOKENS_MAX (1u << 21)
#define NONE UINT32_MAX

enum tok_kind {
	T_VAR, /* $name, ${name}, @name: the token is the name */
	T_WORD, /* bare word, -Parameter or -operator */
	T_NUM,
	T_STR, /* whole string; the tokens of its subexpressions follow */
	T_OP, /* operator or bracket: ( ) { } [ ] @( @{ $( = , ; | ... */
	T_NL
};

#define TF_DASH 0x01u /* T_WORD starting with '-' */
#define TF_EXPAND 0x02u /* T_STR: expandable */
#define TF_HERE 0x04u /* T_STR: here-string */
#define TF_FLIP 0x08u /* T_STR: quotes may change */
#define TF_BAD 0x10u /* T_VAR: scoped, escaped or odd */
#define TF_INSTR 0x20u /* inside a string's subexpression */

struct tok {
	uint32_t off, len;
	uint32_t inner; /* T_STR: tokens inside; openers: matching closer */
	uint8_t kind, flags;
};

enum occ_class {
	OC_VAR,
	OC_DECL, /* $x = ... */
	OC_PARAM, /* a parameter declaration */
	OC_LOOP, /* foreach ($x in ...) */
	OC_BARE, /* a bare word in code */
	OC_TEXT, /* string or comment text */
	OC_OTHER
};

struct occ {
	uint32_t off, len;
	uint32_t tok; /* T_VAR token, or NONE */
	uint8_t cls;
};

struct span2 {
	uint32_t a, b;
};

struct ps {
	struct mark_set *set;
	const uint8_t *s;
	size_t len;
	struct tok *t;
	size_t nt, ct;
	struct occ *o;
	size_t no, co;
	struct span2 *com, *nls;
	size_t ncom, ccom, nnl, cnl;
	bool confused;
	bool balanced;
	int err;
};

static bool
grow(struct ps *P, void **p, size_t *cap, size_t n, size_t elem)
{
	void *np;
	size_t nc;

	if (n < *cap)
		return true;
	if (n >= PS_TOKENS_MAX) {
		P->confused = true;
		return false;
	}
	nc = *cap ? *cap * 2 : 64;
	np = realloc(*p, nc * elem);
	if (np == NULL) {
		P->err = EMB_ENOMEM;
		P->confused = true;
		return false;
	}
	*p = np;
	*cap = nc;
	return true;
}

static uint32_t
add_tok(struct ps *P, size_t off, size_t len, unsigned kind, unsigned flags)
{
	if (!grow(P, (void **)&P->t, &P->ct, P->nt, sizeof(*P->t)))
		return NONE;
	P->t[P->nt].off = (uint32_t)off;
	P->t[P->nt].len = (uint32_t)len;
	P->t[P->nt].inner = NONE;
	P->t[P->nt].kind = (uint8_t)kind;
	P->t[P->nt].flags = (uint8_t)flags;
	return (uint32_t)P->nt++;
}

static void
add_occ(struct ps *P, size_t off, size_t len, unsigned cls, uint32_t tok)
{
	if (!grow(P, (void **)&P->o, &P->co, P->no, sizeof(*P->o)))
		return;
	P->o[P->no].off = (uint32_t)off;
	P->o[P->no].len = (uint32_t)len;
	P->o[P->no].cls = (uint8_t)cls;
	P->o[P->no].tok = tok;
	P->no++;
}

static void
add_span(struct ps *P, struct span2 **arr, size_t *n, size_t *cap, size_t a,
    size_t b)
{
	if (!grow(P, (void **)arr, cap, *n, sizeof(**arr)))
		return;
	(*arr)[*n].a = (uint32_t)a;
	(*arr)[*n].b = (uint32_t)b;
	(*n)++;
}

static size_t
name_end(const struct ps *P, size_t i, size_t end)
{
	while (i < end && clex_alnum(P->s[i]))
		i++;
	return i;
}

static bool
name_start(const struct ps *P, size_t i)
{
	return clex_alpha(P->s[i]) && (i == 0 || !clex_alnum(P->s[i - 1]));
}

static uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

static bool
word_eq(const uint8_t *p, size_t n, const char *w)
{
	size_t m = strlen(w);

	if (n != m)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(p[i]) != (uint8_t)w[i])
			return false;
	return true;
}

/* Names in text: TEXT, or OTHER after a '$'. */
static void
text_runs(struct ps *P, size_t a, size_t b, bool dollar_other)
{
	for (size_t i = a; i < b; i++) {
		if (!name_start(P, i))
			continue;
		size_t e = name_end(P, i, b);
		bool d = dollar_other && i > a &&
		    (P->s[i - 1] == '$' || P->s[i - 1] == '{');
		add_occ(P, i, e - i, d ? OC_OTHER : OC_TEXT, NONE);
		i = e - 1;
	}
}

/* Text that is exactly a name (or "name=..."): it may name a variable. */
static void
exact_text(struct ps *P, size_t first, size_t a, size_t b)
{
	for (size_t k = first; k < P->no; k++) {
		struct occ *o = &P->o[k];
		if (o->cls != OC_TEXT || o->off != a)
			continue;
		if (o->off + o->len == b || P->s[o->off + o->len] == '=')
			o->cls = OC_OTHER;
	}
}

/* ---- lexer ---- */

enum frame_type { P_CODE, P_DQ, P_HDQ };

struct frame {
	uint8_t type;
	uint32_t open; /* offset of the opener */
	uint32_t tok; /* T_STR token of a string; opener token in code */
	uint32_t occ0; /* first occurrence inside a string */
	uint32_t depth; /* P_CODE in a string: open brackets */
};

struct lexer {
	struct ps *P;
	struct frame st[PS_DEPTH_MAX];
	size_t top;
	size_t i;
};

static struct frame *
push(struct lexer *L, unsigned type, size_t open)
{
	struct frame *f;

	if (L->top + 1 >= PS_DEPTH_MAX) {
		L->P->confused = true;
		return NULL;
	}
	f = &L->st[++L->top];
	memset(f, 0, sizeof(*f));
	f->type = (uint8_t)type;
	f->open = (uint32_t)open;
	f->tok = NONE;
	return f;
}

static bool
in_string(const struct lexer *L)
{
	for (size_t k = 1; k <= L->top; k++)
		if (L->st[k].type != P_CODE)
			return true;
	return false;
}

/* A variable reference at '$' (or '@' for splatting). */
static size_t
lex_var(struct lexer *L, size_t i, bool code)
{
	struct ps *P = L->P;
	const uint8_t *s = P->s;
	size_t len = P->len, j = i + 1;
	unsigned fl = in_string(L) ? TF_INSTR : 0;

	if (j < len && s[j] == '{') {
		size_t e = j + 1, c;
		while (e < len && s[e] != '}') {
			if (s[e] == '`')
				e++;
			e++;
		}
		if (e >= len) {
			P->confused = true;
			return len;
		}
		c = j + 1;
		if (c < e && clex_alpha(s[c]) && name_end(P, c, e) == e) {
			uint32_t t = add_tok(P, c, e - c, T_VAR, fl);
			add_occ(P, c, e - c, OC_VAR, t);
		} else {
			text_runs(P, c, e, false);
			for (size_t k = P->no; k-- > 0 && P->o[k].off >= c;)
				P->o[k].cls = OC_OTHER;
			add_tok(P, i, e + 1 - i, T_VAR, fl | TF_BAD);
		}
		return e + 1;
	}
	if (j < len && clex_alnum(s[j])) {
		size_t e = name_end(P, j, len);
		bool bad = false;
		uint32_t t;
		/* $name? is another name; $name: a scope, drive or error */
		if (e < len &&
		    (s[e] == '?' ||
		        (s[e] == ':' && !(e + 1 < len && s[e + 1] == ':'))))
			bad = true;
		if (!clex_alpha(s[j]))
			bad = true; /* $1 ... */
		t = add_tok(P, j, e - j, T_VAR, fl | (bad ? TF_BAD : 0));
		if (clex_alpha(s[j]))
			add_occ(P, j, e - j, bad ? OC_OTHER : OC_VAR, t);
		if (bad && e + 1 < len && s[e] == ':' && clex_alpha(s[e + 1])) {
			/* $scope:name, $env:name */
			size_t e2 = name_end(P, e + 1, len);
			add_occ(P, e + 1, e2 - e - 1, OC_OTHER, NONE);
			return e2;
		}
		return e;
	}
	(void)code;
	/* $_ is alnum; $$ $? $^ and a lone $ */
	if (j < len && (s[j] == '$' || s[j] == '?' || s[j] == '^'))
		return j + 1;
	return j;
}

static void
lex_code(struct lexer *L)
{
	struct ps *P = L->P;
	const uint8_t *s = P->s;
	size_t len = P->len, i = L->i;
	struct frame *f = &L->st[L->top];
	uint8_t c = s[i];
	unsigned fl = in_string(L) ? TF_INSTR : 0;
	uint8_t prev = i > 0 ? s[i - 1] : '\n';
	bool tstart = prev == ' ' || prev == '\t' || prev == '\n' ||
	    prev == '\r' || strchr(";(){}|,=&", prev) != NULL || i == 0;
	/* a token that cannot take a '#' ends here: "$x# note" */
	bool after_tok = P->nt > 0 &&
	    P->t[P->nt - 1].off + P->t[P->nt - 1].len == i &&
	    (P->t[P->nt - 1].kind == T_VAR || P->t[P->nt - 1].kind == T_STR);

	if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
		L->i = i + 1;
		return;
	}
	if (c == '\n') {
		add_tok(P, i, 1, T_NL, fl);
		if (!in_string(L))
			add_span(P, &P->nls, &P->nnl, &P->cnl, i, i);
		L->i = i + 1;
		return;
	}
	if (c == '`') {
		if (i + 1 < len && (s[i + 1] == '\n' || s[i + 1] == '\r')) {
			L->i = i + 2 +
			    (s[i + 1] == '\r' && i + 2 < len &&
			        s[i + 2] == '\n');
			return;
		}
		if (i + 2 < len && s[i + 1] == '$' && clex_alpha(s[i + 2])) {
			size_t e = name_end(P, i + 2, len);
			add_occ(P, i + 2, e - i - 2, OC_OTHER, NONE);
			add_tok(P, i, e - i, T_WORD, fl);
			L->i = e;
			return;
		}
		add_tok(P, i, i + 2 <= len ? 2 : 1, T_WORD, fl);
		L->i = i + 2 <= len ? i + 2 : len;
		return;
	}
	if (c == '<' && i + 1 < len && s[i + 1] == '#') {
		const uint8_t *e = memmem(s + i + 2, len - i - 2, "#>", 2);
		if (e == NULL) {
			P->confused = true;
			L->i = len;
			return;
		}
		text_runs(P, i, (size_t)(e - s) + 2, false);
		add_span(
		    P, &P->com, &P->ncom, &P->ccom, i, (size_t)(e - s) + 2);
		L->i = (size_t)(e - s) + 2;
		return;
	}
	if (c == '#' && (tstart || after_tok)) {
		const uint8_t *nl = memchr(s + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - s) : len;
		if (fl) {
			/* a comment inside a subexpression of a string */
			P->confused = true;
			L->i = len;
			return;
		}
		text_runs(P, i, e, false);
		add_span(P, &P->com, &P->ncom, &P->ccom, i, e);
		L->i = e;
		return;
	}
	if (c == '\'') {
		size_t e = i + 1, first = P->no;
		uint32_t t;
		bool nl = false;
		for (;;) {
			if (e >= len) {
				P->confused = true;
				L->i = len;
				return;
			}
			if (s[e] == '\'') {
				if (e + 1 < len && s[e + 1] == '\'') {
					e += 2;
					continue;
				}
				break;
			}
			nl |= s[e] == '\n';
			e++;
		}
		t = add_tok(P, i, e + 1 - i, T_STR, fl);
		text_runs(P, i + 1, e, true);
		exact_text(P, first, i + 1, e);
		if (t != NONE && !nl && !fl)
			P->t[t].flags |= TF_FLIP;
		L->i = e + 1;
		return;
	}
	if (c == '"') {
		struct frame *nf = push(L, P_DQ, i);
		if (nf != NULL) {
			nf->tok = add_tok(P, i, 1, T_STR, fl | TF_EXPAND);
			nf->occ0 = (uint32_t)P->no;
		}
		L->i = i + 1;
		return;
	}
	if (c == '@' && i + 1 < len && (s[i + 1] == '"' || s[i + 1] == '\'')) {
		size_t j = i + 2;
		uint8_t q = s[i + 1];
		while (j < len && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r'))
			j++;
		if (j < len && s[j] == '\n') {
			/* here-string: up to a line starting with q@ */
			size_t k = j + 1, body = j + 1;
			for (;;) {
				const uint8_t *nl;
				if (k + 1 < len && s[k] == q && s[k + 1] == '@')
					break;
				nl = memchr(s + k, '\n', len - k);
				if (nl == NULL) {
					P->confused = true;
					L->i = len;
					return;
				}
				k = (size_t)(nl - s) + 1;
			}
			if (q == '\'') {
				add_tok(P, i, k + 2 - i, T_STR, fl | TF_HERE);
				text_runs(P, body, k, true);
				L->i = k + 2;
				return;
			}
			{
				struct frame *nf = push(L, P_HDQ, i);
				if (nf != NULL) {
					nf->tok = add_tok(P, i, 1, T_STR,
					    fl | TF_EXPAND | TF_HERE);
					nf->occ0 = (uint32_t)P->no;
				}
				L->i = body;
				return;
			}
		}
	}
	if (c == '@' && i + 1 < len && (s[i + 1] == '(' || s[i + 1] == '{')) {
		add_tok(P, i, 2, T_OP, fl);
		if (f->type == P_CODE)
			f->depth++;
		L->i = i + 2;
		return;
	}
	if (c == '$' && i + 1 < len && s[i + 1] == '(') {
		add_tok(P, i, 2, T_OP, fl);
		if (f->type == P_CODE)
			f->depth++;
		L->i = i + 2;
		return;
	}
	if (c == '$' || (c == '@' && i + 1 < len && clex_alpha(s[i + 1]))) {
		L->i = lex_var(L, i, true);
		return;
	}
	if (c == '(' || c == '{' || c == '[') {
		add_tok(P, i, 1, T_OP, fl);
		if (f->type == P_CODE)
			f->depth++;
		L->i = i + 1;
		return;
	}
	if (c == ')' || c == '}' || c == ']') {
		if (L->top > 0 && f->type == P_CODE && f->depth == 0) {
			/* the end of a string's $(...) */
			if (c != ')') {
				P->confused = true;
				L->i = len;
				return;
			}
			add_tok(P, i, 1, T_OP, fl);
			L->top--;
			L->i = i + 1;
			return;
		}
		if (f->depth > 0)
			f->depth--;
		add_tok(P, i, 1, T_OP, fl);
		L->i = i + 1;
		return;
	}
	if (clex_digit(c) && tstart) {
		size_t e = i;
		if (c == '0' && i + 1 < len &&
		    (s[i + 1] == 'x' || s[i + 1] == 'X'))
			e += 2;
		while (e < len &&
		    (clex_alnum(s[e]) ||
		        (s[e] == '.' && e + 1 < len && clex_digit(s[e + 1]))))
			e++;
		add_tok(P, i, e - i, T_NUM, fl);
		L->i = e;
		return;
	}
	if (clex_alpha(c) ||
	    (c == '-' && i + 1 < len && clex_alpha(s[i + 1]))) {
		size_t e = i + 1;
		uint32_t wt;
		while (e < len && (clex_alnum(s[e]) || s[e] == '-'))
			e++;
		wt =
		    add_tok(P, i, e - i, T_WORD, fl | (c == '-' ? TF_DASH : 0));
		for (size_t k = i; k < e; k++)
			if (name_start(P, k)) {
				size_t ne = name_end(P, k, e);
				add_occ(P, k, ne - k, OC_BARE, wt);
				k = ne - 1;
			}
		L->i = e;
		return;
	}
	if (c >= 0x80) {
		/* non-ASCII in code: a word character */
		size_t e = i + 1;
		while (e < len && s[e] >= 0x80)
			e++;
		add_tok(P, i, e - i, T_WORD, fl);
		L->i = e;
		return;
	}
	if (c == ':' && i + 1 < len && s[i + 1] == ':') {
		add_tok(P, i, 2, T_OP, fl);
		L->i = i + 2;
		return;
	}
	if (c == '.' && i + 1 < len && s[i + 1] == '.') {
		add_tok(P, i, 2, T_OP, fl);
		L->i = i + 2;
		return;
	}
	add_tok(P, i, 1, T_OP, fl);
	L->i = i + 1;
}

/* Inside ".." or @".."@. */
static void
lex_string(struct lexer *L)
{
	struct ps *P = L->P;
	const uint8_t *s = P->s;
	size_t len = P->len, i = L->i;
	struct frame *f = &L->st[L->top];
	uint8_t c = s[i];

	if (f->type == P_DQ && c == '"') {
		if (i + 1 < len && s[i + 1] == '"') {
			L->i = i + 2;
			return;
		}
		goto close;
	}
	if (f->type == P_HDQ && c == '"' && i + 1 < len && s[i + 1] == '@' &&
	    i > 0 && s[i - 1] == '\n')
		goto close;
	if (c == '`') {
		if (i + 2 < len && s[i + 1] == '$' && clex_alpha(s[i + 2])) {
			size_t e = name_end(P, i + 2, len);
			add_occ(P, i + 2, e - i - 2, OC_OTHER, NONE);
			L->i = e;
			return;
		}
		L->i = i + 2 <= len ? i + 2 : len;
		return;
	}
	if (c == '$' && i + 1 < len && s[i + 1] == '(') {
		struct frame *nf;
		add_tok(P, i, 2, T_OP, TF_INSTR);
		nf = push(L, P_CODE, i);
		L->i = i + 2;
		(void)nf;
		return;
	}
	if (c == '$') {
		L->i = lex_var(L, i, false);
		return;
	}
	if (name_start(P, i)) {
		size_t e = name_end(P, i, len);
		add_occ(P, i, e - i, OC_TEXT, NONE);
		L->i = e;
		return;
	}
	L->i = i + 1;
	return;
close : {
	size_t end = f->type == P_HDQ ? i + 2 : i + 1;
	size_t body = f->type == P_HDQ ? f->open + 2 : f->open + 1;
	struct tok *t = f->tok != NONE ? &P->t[f->tok] : NULL;
	exact_text(P, f->occ0, body, i);
	if (t != NULL) {
		t->len = (uint32_t)(end - t->off);
		t->inner = (uint32_t)(P->nt - f->tok - 1);
		if (f->type == P_DQ && L->top == 1 && t->inner == 0 &&
		    memchr(s + body, '\n', i - body) == NULL)
			t->flags |= TF_FLIP;
	}
	L->top--;
	L->i = end;
}
}

static void
lex(struct ps *P)
{
	struct lexer *L = calloc(1, sizeof(*L));

	if (L == NULL) {
		P->err = EMB_ENOMEM;
		P->confused = true;
		return;
	}
	L->P = P;
	L->st[0].type = P_CODE;
	L->st[0].tok = NONE;
	/* smart quotes are quotes to PowerShell: do not guess */
	for (size_t k = 0; k + 2 < P->len; k++)
		if (P->s[k] == 0xe2 && P->s[k + 1] == 0x80 &&
		    P->s[k + 2] >= 0x98 && P->s[k + 2] <= 0x9e)
			P->confused = true;
	while (L->i < P->len && !P->confused) {
		size_t before = L->i;
		if (L->st[L->top].type == P_CODE)
			lex_code(L);
		else
			lex_string(L);
		if (L->i <= before)
			L->i = before + 1;
	}
	if (L->top != 0)
		P->confused = true;
	free(L);
}

/* ---- structure ---- */

static bool
is_op(const struct ps *P, size_t k, const char *op)
{
	size_t n = strlen(op);

	return k < P->nt && P->t[k].kind == T_OP && P->t[k].len == n &&
	    memcmp(P->s + P->t[k].off, op, n) == 0;
}

static bool
is_word(const struct ps *P, size_t k, const char *w)
{
	return k < P->nt && P->t[k].kind == T_WORD &&
	    word_eq(P->s + P->t[k].off, P->t[k].len, w);
}

static bool
opener(const struct ps *P, size_t k)
{
	return is_op(P, k, "(") || is_op(P, k, "{") || is_op(P, k, "[") ||
	    is_op(P, k, "@(") || is_op(P, k, "@{") || is_op(P, k, "$(");
}

static bool
closer(const struct ps *P, size_t k)
{
	return is_op(P, k, ")") || is_op(P, k, "}") || is_op(P, k, "]");
}

/* Match brackets; T_STR tokens are skipped as a whole. */
static void
match_brackets(struct ps *P, uint32_t *match)
{
	uint32_t *stack = malloc(sizeof(*stack) * 1024);
	size_t n = 0;

	P->balanced = stack != NULL;
	for (size_t k = 0; k < P->nt && P->balanced; k++) {
		match[k] = NONE;
		if (opener(P, k)) {
			if (n == 1024) {
				P->balanced = false;
				break;
			}
			stack[n++] = (uint32_t)k;
		} else if (closer(P, k)) {
			uint8_t c = P->s[P->t[k].off], o;
			if (n == 0) {
				P->balanced = false;
				break;
			}
			o = P->s[P->t[stack[n - 1]].off +
			    P->t[stack[n - 1]].len - 1];
			if ((c == ')' && o != '(') || (c == '}' && o != '{') ||
			    (c == ']' && o != '[')) {
				P->balanced = false;
				break;
			}
			match[stack[n - 1]] = (uint32_t)k;
			match[k] = stack[n - 1];
			n--;
		}
	}
	if (n != 0)
		P->balanced = false;
	free(stack);
}

struct func {
	uint32_t first, last; /* tokens: parameters or body start .. '}' */
	uint32_t pa, pb; /* parameter list tokens ( .. ), or NONE */
	uint32_t body; /* '{' */
	bool unsafe, no_params;
};

/* Previous token, skipping nothing; NONE at the start. */
static uint32_t
prev_tok(size_t k)
{
	return k == 0 ? NONE : (uint32_t)(k - 1);
}

static bool
stmt_start(const struct ps *P, uint32_t p)
{
	return p == NONE || P->t[p].kind == T_NL || is_op(P, p, ";") ||
	    is_op(P, p, "{") || is_op(P, p, "}");
}

static const char *const unsafe_words[] = {"invoke-expression", "iex",
    "get-variable", "set-variable", "new-variable", "remove-variable",
    "clear-variable", "gv", "sv", "nv", "rv", "clv", "set", "expandstring",
    "dynamicparam", "variable", "psvariable", "invokereturnasis",
    "newscriptblock", "create", "executioncontext", "get-psbreakpoint",
    "set-psbreakpoint", "export-modulemember", "import-clixml", NULL};

static const char *const param_unsafe[] = {"psboundparameters", "myinvocation",
    "valuefrompipelinebypropertyname", "boundparameters", "pscmdlet", NULL};

static bool
in_words(const uint8_t *p, size_t n, const char *const *list)
{
	for (; *list; list++)
		if (word_eq(p, n, *list))
			return true;
	return false;
}

static void
func_flags(const struct ps *P, struct func *fn)
{
	for (uint32_t k = fn->first; k <= fn->last; k++) {
		const struct tok *t = &P->t[k];
		if (t->kind == T_WORD || t->kind == T_VAR) {
			size_t off = t->off, n = t->len;
			if (t->flags & TF_DASH) {
				off++;
				n--;
			}
			if (in_words(P->s + off, n, unsafe_words))
				fn->unsafe = true;
			if (in_words(P->s + off, n, param_unsafe))
				fn->no_params = true;
		}
		/* dot-sourcing: ". path" at the start of a statement */
	}
}

/* Functions, outermost only: function NAME [(...)] { ... }. */
static size_t
find_funcs(struct ps *P, const uint32_t *match, struct func **ret)
{
	struct func *fs = NULL;
	size_t n = 0, cap = 0;

	for (size_t k = 0; k < P->nt; k++) {
		struct func fn;
		size_t j;
		if (!(is_word(P, k, "function") || is_word(P, k, "filter")) ||
		    !stmt_start(P, prev_tok(k)) || (P->t[k].flags & TF_INSTR))
			continue;
		/* the name: words and ':' '.' up to '(' or '{' */
		j = k + 1;
		while (j < P->nt && j < k + 8 &&
		    (P->t[j].kind == T_WORD || is_op(P, j, ":") ||
		        is_op(P, j, ".")))
			j++;
		if (j == k + 1 || j >= P->nt)
			continue;
		memset(&fn, 0, sizeof(fn));
		fn.pa = fn.pb = NONE;
		if (is_op(P, j, "(") && match[j] != NONE) {
			fn.pa = (uint32_t)j;
			fn.pb = match[j];
			j = match[j] + 1;
			while (j < P->nt && P->t[j].kind == T_NL)
				j++;
		}
		if (!is_op(P, j, "{") || match[j] == NONE)
			continue;
		fn.body = (uint32_t)j;
		fn.first = fn.pa != NONE ? fn.pa : (uint32_t)j;
		fn.last = match[j];
		/* a param(...) block at the start of the body */
		if (fn.pa == NONE) {
			size_t b = j + 1;
			for (;;) {
				while (b < fn.last && P->t[b].kind == T_NL)
					b++;
				if (is_op(P, b, "[") && match[b] != NONE) {
					b = match[b] + 1;
					continue;
				}
				break;
			}
			if (is_word(P, b, "param") && is_op(P, b + 1, "(") &&
			    match[b + 1] != NONE) {
				fn.pa = (uint32_t)b + 1;
				fn.pb = match[b + 1];
			}
		}
		func_flags(P, &fn);
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct func *p = realloc(fs, nc * sizeof(*p));
			if (p == NULL) {
				P->err = EMB_ENOMEM;
				free(fs);
				*ret = NULL;
				return 0;
			}
			fs = p;
			cap = nc;
		}
		fs[n++] = fn;
		k = fn.last;
	}
	*ret = fs;
	return n;
}

/* ---- names ---- */

/* Automatic and preference variables (lower case). */
static const char *const automatic[] = {"_", "args", "input", "psitem", "this",
    "true", "false", "null", "matches", "lastexitcode", "error", "event",
    "eventargs", "eventsubscriber", "executioncontext", "foreach", "home",
    "host", "iscoreclr", "islinux", "ismacos", "iswindows", "myinvocation",
    "nestedpromptlevel", "pid", "profile", "pwd", "sender", "shellid",
    "stacktrace", "switch", "ofs", "consolefilename",
    "enabledexperimentalfeatures", "outputencoding", "formatenumerationlimit",
    "errorview", "confirmpreference", "maximumhistorycount",
    "maximumfunctioncount", "maximumvariablecount", "maximumaliascount",
    "maximumdrivecount", "maximumerrorcount", "logcommandhealthevent",
    "logcommandlifecycleevent", "logenginehealthevent",
    "logenginelifecycleevent", "logproviderhealthevent",
    "logproviderlifecycleevent", "env", "global", "script", "local", "private",
    "using", "variable", "function", "alias", "begin", "process", "end",
    "param", "class", "enum", "filter", "workflow", "data", "dynamicparam",
    "in", "if", "else", "elseif", "for", "while", "do", "until", "return",
    "break", "continue", "exit", "throw", "trap", "try", "catch", "finally",
    "hidden", "static", "define", "from", "var", NULL};

static bool
auto_name(const uint8_t *p, size_t n)
{
	static const char pref[] = "preference";
	size_t pl = sizeof(pref) - 1;

	if (n >= 2 && lower(p[0]) == 'p' && lower(p[1]) == 's')
		return true; /* $PSItem, $PSScriptRoot, $PSStyle, ... */
	if (n >= pl && word_eq(p + n - pl, pl, pref))
		return true;
	return in_words(p, n, automatic) || clex_reserved(p, n, true);
}

struct names {
	struct clex_map raw, lex;
	uint32_t *rawcount;
	uint32_t *lexid, *order, *start, *count, *fn;
	uint8_t *agg;
};

#define A_DONE 0x01u
#define A_TOP 0x02u
#define A_UNCLEAN 0x04u
#define A_MULTI 0x08u
#define A_BARE 0x10u
#define A_OTHER 0x20u

struct okey {
	uint32_t id, off, idx;
};

static int
okey_cmp(const void *a, const void *b)
{
	const struct okey *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

struct ana {
	struct ps *P;
	uint32_t *match, *encl;
	uint8_t *classbody; /* per token: '{' of a class or enum */
	uint32_t *tokocc; /* per T_VAR token: its occurrence */
	struct func *fs;
	size_t nf;
	struct names N;
	bool file_unsafe;
};

static int
index_names(struct ana *A)
{
	struct ps *P = A->P;
	struct names *N = &A->N;
	size_t runs = 0, n = P->no;
	struct okey *keys;
	int r;

	for (size_t i = 0; i < P->len; i++)
		if (name_start(P, i)) {
			runs++;
			i = name_end(P, i, P->len) - 1;
		}
	if ((r = clex_map_init(&N->raw, runs + 1, true)) < 0 ||
	    (r = clex_map_init(&N->lex, n + 1, true)) < 0)
		return r;
	N->rawcount = calloc(runs + 1, sizeof(*N->rawcount));
	N->lexid = malloc((n + 1) * sizeof(*N->lexid));
	N->order = malloc((n + 1) * sizeof(*N->order));
	N->start = calloc(n + 1, sizeof(*N->start));
	N->count = calloc(n + 1, sizeof(*N->count));
	N->fn = malloc((n + 1) * sizeof(*N->fn));
	N->agg = calloc(n + 1, 1);
	keys = malloc((n + 1) * sizeof(*keys));
	if (N->rawcount == NULL || N->lexid == NULL || N->order == NULL ||
	    N->start == NULL || N->count == NULL || N->fn == NULL ||
	    N->agg == NULL || keys == NULL) {
		free(keys);
		return EMB_ENOMEM;
	}
	for (size_t i = 0; i < P->len; i++)
		if (name_start(P, i)) {
			size_t e = name_end(P, i, P->len);
			uint32_t id;
			if ((r = clex_map_intern(
			         &N->raw, P->s + i, e - i, &id)) < 0) {
				free(keys);
				return r;
			}
			N->rawcount[id]++;
			i = e - 1;
		}
	for (size_t k = 0; k < n; k++) {
		if ((r = clex_map_intern(&N->lex, P->s + P->o[k].off,
		         P->o[k].len, &N->lexid[k])) < 0) {
			free(keys);
			return r;
		}
		keys[k].id = 0;
		keys[k].off = P->o[k].off;
		keys[k].idx = (uint32_t)k;
	}
	qsort(keys, n, sizeof(*keys), okey_cmp);
	for (size_t k = 0, f = 0; k < n; k++) {
		uint32_t o = keys[k].idx, off = P->o[o].off;
		while (f < A->nf && P->t[A->fs[f].last].off < off)
			f++;
		N->fn[o] = f < A->nf && P->t[A->fs[f].first].off <= off
		    ? (uint32_t)f
		    : NONE;
	}
	for (size_t k = 0; k < n; k++) {
		keys[k].id = N->lexid[k];
		keys[k].off = P->o[k].off;
		keys[k].idx = (uint32_t)k;
	}
	qsort(keys, n, sizeof(*keys), okey_cmp);
	for (size_t k = 0; k < n; k++) {
		uint32_t id = keys[k].id;
		N->order[k] = keys[k].idx;
		if (N->count[id]++ == 0)
			N->start[id] = (uint32_t)k;
	}
	free(keys);
	return 0;
}

/* Token after k, the end of the statement that starts there. */
static size_t
stmt_end(const struct ana *A, size_t k)
{
	const struct ps *P = A->P;

	for (size_t n = 0; k < P->nt && n < 4096; n++) {
		if (P->t[k].kind == T_NL || is_op(P, k, ";") || closer(P, k))
			return k;
		if (P->t[k].kind == T_STR && P->t[k].inner != NONE)
			k += P->t[k].inner;
		else if (opener(P, k) && A->match[k] != NONE)
			k = A->match[k];
		k++;
	}
	return k;
}

/*
 * A first use that gives the function its own variable without reading
 * anyone else's: an unconditional "$x = ..." at the top of the body that
 * does not read $x, or a parameter without a default.
 */
static bool
clean_first(const struct ana *A, uint32_t id, uint32_t o, size_t f)
{
	const struct ps *P = A->P;
	const struct occ *u = &P->o[o];
	const struct func *fn = &A->fs[f];
	uint32_t t = u->tok, p, e;

	if (t == NONE)
		return false;
	if (u->cls == OC_PARAM)
		return t + 1 < P->nt &&
		    (is_op(P, t + 1, ",") || is_op(P, t + 1, ")") ||
		        P->t[t + 1].kind == T_NL);
	if (u->cls != OC_DECL || A->encl[t] != fn->body)
		return false;
	p = t;
	if (p > 0 && is_op(P, p - 1, "]") && A->match[p - 1] != NONE)
		p = A->match[p - 1];
	if (!stmt_start(P, prev_tok(p)))
		return false;
	e = (uint32_t)stmt_end(A, t + 1);
	{
		uint32_t end = e < P->nt ? P->t[e].off : (uint32_t)P->len;
		const struct names *N = &A->N;
		for (uint32_t k = 0; k < N->count[id]; k++) {
			const struct occ *v = &P->o[N->order[N->start[id] + k]];
			if (v->off > u->off && v->off < end &&
			    v->cls != OC_TEXT && v->cls != OC_BARE)
				return false;
		}
	}
	return true;
}

static bool
is_use(unsigned cls)
{
	return cls == OC_VAR || cls == OC_DECL || cls == OC_PARAM ||
	    cls == OC_LOOP;
}

static uint8_t
aggregate(struct ana *A, uint32_t id)
{
	struct names *N = &A->N;
	const struct ps *P = A->P;
	uint8_t a = A_DONE;
	uint32_t seen = NONE;

	if (N->agg[id])
		return N->agg[id];
	for (uint32_t k = 0; k < N->count[id]; k++) {
		uint32_t o = N->order[N->start[id] + k];
		unsigned cls = P->o[o].cls;
		if (cls == OC_OTHER)
			a |= A_OTHER;
		if (cls == OC_BARE)
			a |= A_BARE;
		if (!is_use(cls))
			continue;
		if (N->fn[o] == NONE) {
			a |= A_TOP;
			continue;
		}
		if (N->fn[o] == seen)
			continue;
		if (seen != NONE)
			a |= A_MULTI;
		seen = N->fn[o];
		if (!clean_first(A, id, o, N->fn[o]))
			a |= A_UNCLEAN;
	}
	N->agg[id] = a;
	return a;
}

/* Whether some -Word of the script may abbreviate the parameter name. */
static bool
dash_prefix(const struct ps *P, const uint8_t *name, size_t n)
{
	for (size_t k = 0; k < P->nt; k++) {
		const struct tok *t = &P->t[k];
		size_t wl;
		bool pre = true;
		if (t->kind != T_WORD || !(t->flags & TF_DASH))
			continue;
		wl = t->len - 1;
		if (wl == 0 || wl > n)
			continue;
		for (size_t i = 0; i < wl && pre; i++)
			pre = lower(P->s[t->off + 1 + i]) == lower(name[i]);
		if (pre)
			return true;
	}
	return false;
}

static int
rename_one(struct ana *A, size_t f, uint32_t id, char (*taken)[CLEX_NAME_MAX],
    size_t *ntaken)
{
	struct ps *P = A->P;
	struct names *N = &A->N;
	char alts[CLEX_ALTS_MAX][CLEX_NAME_MAX];
	uint32_t k0 = N->start[id], n = N->count[id], b = 0, e, first = NONE;
	bool param = false;
	size_t ns = 0, q = 1, na;
	const char *pick[4];
	struct mark_span *sp;
	struct mark_text *tx;
	int64_t raw;
	uint8_t agg;
	int r;

	raw = clex_map_find(
	    &N->raw, P->s + P->o[N->order[k0]].off, P->o[N->order[k0]].len);
	if (raw < 0 || N->rawcount[raw] != n || n > MARK_SPANS_MAX)
		return 0;
	while (b < n && N->fn[N->order[k0 + b]] != f)
		b++;
	e = b;
	while (e < n && N->fn[N->order[k0 + e]] == f)
		e++;
	for (uint32_t k = b; k < e; k++) {
		uint32_t o = N->order[k0 + k];
		if (!is_use(P->o[o].cls))
			continue;
		if (first == NONE)
			first = o;
		param |= P->o[o].cls == OC_PARAM;
		ns++;
	}
	if (first == NONE ||
	    !(P->o[first].cls == OC_DECL || P->o[first].cls == OC_PARAM ||
	        P->o[first].cls == OC_LOOP))
		return 0;
	if (auto_name(P->s + P->o[first].off, P->o[first].len) ||
	    P->o[first].len + 8 >= CLEX_NAME_MAX)
		return 0;
	agg = aggregate(A, id);
	if (agg & (A_TOP | A_OTHER))
		return 0;
	if (clean_first(A, id, first, f)) {
		if (agg & A_UNCLEAN)
			return 0;
	} else if (agg & A_MULTI) {
		return 0;
	}
	if (param &&
	    (A->fs[f].no_params || (agg & A_BARE) ||
	        dash_prefix(P, P->s + P->o[first].off, P->o[first].len)))
		return 0;
	na = clex_name_alts(
	    P->s + P->o[first].off, P->o[first].len, alts, CLEX_ALTS_MAX);
	for (size_t a = 0; a < na && q < 4 && *ntaken < 64; a++) {
		size_t an = strlen(alts[a]);
		bool dup = false;
		if (clex_map_find(&N->raw, (const uint8_t *)alts[a], an) >= 0 ||
		    clex_avoid((const uint8_t *)alts[a], an, true) ||
		    auto_name((const uint8_t *)alts[a], an))
			continue;
		for (size_t t = 0; t < *ntaken; t++)
			dup |= word_eq((const uint8_t *)alts[a], an, taken[t]);
		if (dup)
			continue;
		for (size_t i = 0; i <= an; i++)
			taken[*ntaken][i] = (char)lower((uint8_t)alts[a][i]);
		(*ntaken)++;
		pick[q] = alts[a];
		/* keep the text: alts is reused below only for reading */
		q++;
	}
	if (q < 2)
		return 0;
	sp = malloc(ns * sizeof(*sp));
	tx = malloc(ns * q * sizeof(*tx));
	if (sp == NULL || tx == NULL) {
		free(sp);
		free(tx);
		return EMB_ENOMEM;
	}
	ns = 0;
	for (uint32_t k = b; k < e; k++) {
		const struct occ *u = &P->o[N->order[k0 + k]];
		if (!is_use(u->cls))
			continue;
		sp[ns].off = u->off;
		sp[ns].len = u->len;
		ns++;
	}
	for (size_t v = 0; v < q; v++)
		for (size_t t = 0; t < ns; t++) {
			tx[v * ns + t].p =
			    v == 0 ? (const char *)P->s + sp[t].off : pick[v];
			tx[v * ns + t].n = v == 0 ? sp[t].len : strlen(pick[v]);
		}
	r = mark_set_replace(
	    P->set, MARK_ROBUST, "ps.rename", (unsigned)q, sp, ns, tx);
	free(sp);
	free(tx);
	return r;
}

/* Assignments, parameters and loop variables; -OutVariable names. */
static void
classify(struct ana *A)
{
	struct ps *P = A->P;

	for (size_t k = 0; k < P->no; k++) {
		struct occ *o = &P->o[k];
		uint32_t t = o->tok;
		if (o->cls != OC_VAR || t == NONE ||
		    (P->t[t].flags & (TF_INSTR | TF_BAD)))
			continue;
		if (t >= 2 && is_word(P, t - 2, "foreach") &&
		    is_op(P, t - 1, "(") && is_word(P, t + 1, "in"))
			o->cls = OC_LOOP;
		else if (is_op(P, t + 1, "=") &&
		    !(A->encl[t] != NONE && is_op(P, A->encl[t], "@{")))
			o->cls = OC_DECL;
	}
	for (size_t f = 0; f < A->nf; f++) {
		const struct func *fn = &A->fs[f];
		if (fn->pa == NONE)
			continue;
		for (uint32_t t = fn->pa + 1; t < fn->pb; t++) {
			struct occ *o;
			if (P->t[t].kind != T_VAR || A->encl[t] != fn->pa ||
			    A->tokocc[t] == NONE)
				continue;
			o = &P->o[A->tokocc[t]];
			if (o->cls == OC_VAR || o->cls == OC_DECL)
				o->cls = OC_PARAM;
		}
	}
	/* names given to -OutVariable, -ErrorVariable, ... */
	for (size_t k = 0; k < P->no; k++) {
		struct occ *o = &P->o[k];
		uint32_t t = o->tok, d;
		const struct tok *w;
		if (o->cls != OC_BARE || t == NONE || t == 0)
			continue;
		d = is_op(P, t - 1, ":") && t >= 2 ? t - 2 : t - 1;
		w = &P->t[d];
		if (w->kind != T_WORD || !(w->flags & TF_DASH))
			continue;
		if (in_words(P->s + w->off + 1, w->len - 1,
		        (const char *const[]){
		            "ov", "ev", "wv", "iv", "pv", NULL}) ||
		    (w->len > 9 &&
		        word_eq(P->s + w->off + w->len - 8, 8, "variable")))
			o->cls = OC_OTHER;
	}
}

/* ---- the other rules ---- */

static const char *const cmp_ops[] = {"eq", "ne", "gt", "ge", "lt", "le",
    "band", "bor", "bxor", "shl", "shr", "and", "or", "xor", "not", "ceq",
    "cne", "cgt", "cge", "clt", "cle", "ieq", "ine", "igt", "ige", "ilt", "ile",
    NULL};

static bool
op_word(const struct ps *P, size_t k)
{
	const struct tok *t = &P->t[k];

	return t->kind == T_WORD && (t->flags & TF_DASH) &&
	    in_words(P->s + t->off + 1, t->len - 1, cmp_ops);
}

static int
int_sites(struct ana *A)
{
	struct ps *P = A->P;
	int r;

	for (size_t k = 0; k < P->nt; k++) {
		const struct tok *t = &P->t[k];
		char forms[3][24];
		struct mark_text tx[3];
		struct mark_span sp;
		bool before, after;
		unsigned q;

		if (t->kind != T_NUM || (t->flags & TF_INSTR))
			continue;
		before = k == 0 || P->t[k - 1].kind == T_NL ||
		    is_op(P, k - 1, "=") || is_op(P, k - 1, "(") ||
		    is_op(P, k - 1, "[") || is_op(P, k - 1, "@(") ||
		    is_op(P, k - 1, "$(") || is_op(P, k - 1, "{") ||
		    is_op(P, k - 1, ";") || is_op(P, k - 1, "+") ||
		    is_op(P, k - 1, "*") || is_op(P, k - 1, "/") ||
		    is_op(P, k - 1, "%") || is_op(P, k - 1, "..") ||
		    op_word(P, k - 1) || is_word(P, k - 1, "return");
		after = k + 1 >= P->nt || P->t[k + 1].kind == T_NL ||
		    is_op(P, k + 1, ";") || is_op(P, k + 1, ")") ||
		    is_op(P, k + 1, "]") || is_op(P, k + 1, "}") ||
		    is_op(P, k + 1, ",") || is_op(P, k + 1, "|") ||
		    is_op(P, k + 1, "+") || is_op(P, k + 1, "-") ||
		    is_op(P, k + 1, "*") || is_op(P, k + 1, "/") ||
		    is_op(P, k + 1, "%") || is_op(P, k + 1, "..") ||
		    op_word(P, k + 1);
		if (!before || !after)
			continue;
		q = clex_int_forms(P->s + t->off, t->len, 0,
		    t->off + t->len < P->len ? P->s[t->off + t->len] : -1,
		    forms);
		if (q < 2)
			continue;
		for (unsigned v = 0; v < q; v++) {
			tx[v].p = forms[v];
			tx[v].n = strlen(forms[v]);
		}
		sp.off = t->off;
		sp.len = t->len;
		if ((r = mark_set_replace(
		         P->set, MARK_ROBUST, "ps.int", q, &sp, 1, tx)) < 0)
			return r;
	}
	return 0;
}

static bool
plain_text(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '$' || p[i] == '`' ||
		    p[i] == '\'' || p[i] == '"')
			return false;
	return true;
}

/* A constant: a number, a plain string, $true/$false/$null, @(). */
static bool
const_at(const struct ps *P, size_t k, size_t *ret_next)
{
	const struct tok *t = &P->t[k];

	if (t->kind == T_NUM) {
		*ret_next = k + 1;
		return true;
	}
	if (t->kind == T_STR && !(t->flags & TF_HERE) &&
	    (t->inner == NONE || t->inner == 0) && t->len >= 2 &&
	    plain_text(P->s + t->off + 1, t->len - 2)) {
		*ret_next = k + 1;
		return true;
	}
	if (t->kind == T_VAR && !(t->flags & TF_BAD) &&
	    (word_eq(P->s + t->off, t->len, "true") ||
	        word_eq(P->s + t->off, t->len, "false") ||
	        word_eq(P->s + t->off, t->len, "null"))) {
		*ret_next = k + 1;
		return true;
	}
	if (is_op(P, k, "@(") && is_op(P, k + 1, ")")) {
		*ret_next = k + 2;
		return true;
	}
	return false;
}

/* Whether the line before token k cannot continue onto k's line. */
static bool
line_closed(const struct ps *P, size_t nl)
{
	size_t p;

	if (nl == 0)
		return true;
	p = nl - 1;
	if (P->t[p].kind == T_NL || P->t[p].kind == T_VAR ||
	    P->t[p].kind == T_NUM || P->t[p].kind == T_STR)
		return true;
	if (P->t[p].kind == T_WORD)
		return !(P->t[p].flags & TF_DASH);
	return is_op(P, p, "{") || is_op(P, p, "}") || is_op(P, p, ")") ||
	    is_op(P, p, "]") || is_op(P, p, ";");
}

/* "[type]$name = constant" alone on its line: its span and name token. */
static bool
const_assign(const struct ana *A, size_t k, struct mark_span *sp,
    uint32_t *ret_var, size_t *ret_end)
{
	const struct ps *P = A->P;
	size_t j = k, next;
	uint32_t e;

	if (k > 0 && (P->t[k - 1].kind != T_NL || !line_closed(P, k - 1)))
		return false;
	if (A->encl[k] != NONE &&
	    (!is_op(P, A->encl[k], "{") || A->classbody[A->encl[k]]))
		return false;
	if (is_op(P, j, "[") && A->match[j] != NONE)
		j = A->match[j] + 1;
	if (j >= P->nt || P->t[j].kind != T_VAR ||
	    (P->t[j].flags & (TF_BAD | TF_INSTR)) ||
	    auto_name(P->s + P->t[j].off, P->t[j].len) ||
	    !is_op(P, j + 1, "=") || !const_at(P, j + 2, &next))
		return false;
	if (is_op(P, next, ";"))
		next++;
	if (next >= P->nt || P->t[next].kind != T_NL)
		return false;
	if (next + 1 < P->nt && is_op(P, next + 1, "|"))
		return false;
	*ret_var = (uint32_t)j;
	*ret_end = next;
	sp->off = P->t[k].off;
	if (j == k) /* the '$' (or "${") before the name */
		sp->off -= P->s[sp->off - 1] == '{' ? 2 : 1;
	e = P->t[next - 1].off + P->t[next - 1].len;
	/* a comment after it on the line goes with it */
	{
		uint32_t c = e;
		while (c < P->len && (P->s[c] == ' ' || P->s[c] == '\t'))
			c++;
		if (c < P->len && P->s[c] == '#') {
			while (c < P->len && P->s[c] != '\n' && P->s[c] != '\r')
				c++;
			e = c;
		}
	}
	sp->len = e - sp->off;
	return true;
}

static int
assign_sites(struct ana *A)
{
	struct ps *P = A->P;
	struct mark_span g[3];
	uint32_t var[3];
	size_t ng = 0, last_end = 0, g0 = 0;
	int r;

	for (size_t k = 0; k <= P->nt; k++) {
		struct mark_span sp;
		uint32_t v = NONE;
		size_t end = 0;
		bool ok = k < P->nt && const_assign(A, k, &sp, &v, &end);
		bool join = ok && ng > 0 && last_end + 1 == k &&
		    A->encl[k] == A->encl[g0];
		for (size_t i = 0; i < ng && join; i++) {
			const struct tok *a = &P->t[var[i]], *b = &P->t[v];
			bool same = a->len == b->len;
			for (size_t c = 0; c < a->len && same; c++)
				same = lower(P->s[a->off + c]) ==
				    lower(P->s[b->off + c]);
			join = !same;
		}
		if (!join || ng == 3) {
			if (ng >= 2 &&
			    (r = mark_set_permute(P->set, MARK_ROBUST,
			         "ps.assign_order", g, ng)) < 0)
				return r;
			ng = 0;
		}
		if (!ok)
			continue;
		if (ng == 0)
			g0 = k;
		g[ng] = sp;
		var[ng] = v;
		ng++;
		last_end = end;
		k = end;
	}
	return 0;
}

static int
fragile_sites(struct ps *P)
{
	static const struct mark_text sq = {"'", 1}, dq = {"\"", 1};
	int r;

	for (size_t k = 0; k < P->nt; k++) {
		const struct tok *t = &P->t[k];
		struct mark_span sp[2];
		bool single;
		if (t->kind != T_STR || !(t->flags & TF_FLIP) ||
		    (t->flags & (TF_INSTR | TF_HERE)) || t->len < 2 ||
		    !plain_text(P->s + t->off + 1, t->len - 2))
			continue;
		single = P->s[t->off] == '\'';
		sp[0].off = t->off;
		sp[0].len = 1;
		sp[1].off = t->off + t->len - 1;
		sp[1].len = 1;
		{
			struct mark_text tx[4] = {single ? sq : dq,
			    single ? sq : dq, single ? dq : sq,
			    single ? dq : sq};
			if ((r = mark_set_replace(P->set, MARK_FRAGILE,
			         "ps.quote", 2, sp, 2, tx)) < 0)
				return r;
		}
	}
	for (size_t k = 0; k < P->ncom; k++) {
		const struct span2 *c = &P->com[k];
		if (c->b - c->a >= 9 && word_eq(P->s + c->a + 1, 8, "requires"))
			continue;
		if ((r = clex_comment_sites(
		         P->set, c->a, c->b - c->a, "ps.comment")) < 0)
			return r;
	}
	for (size_t k = 0; k < P->nnl; k++)
		if (P->nls[k].a > 0 && P->s[P->nls[k].a - 1] != '`' &&
		    (r = clex_trailing_site(
		         P->set, P->nls[k].a, "ps.trailing_ws")) < 0)
			return r;
	return 0;
}

static int
analyze(struct ps *P)
{
	struct ana A;
	uint32_t *stack = NULL;
	size_t sn = 0;
	int r = 0;

	memset(&A, 0, sizeof(A));
	A.P = P;
	A.match = malloc((P->nt + 1) * sizeof(*A.match));
	A.encl = malloc((P->nt + 1) * sizeof(*A.encl));
	A.classbody = calloc(P->nt + 1, 1);
	A.tokocc = malloc((P->nt + 1) * sizeof(*A.tokocc));
	stack = malloc(1024 * sizeof(*stack));
	if (A.match == NULL || A.encl == NULL || A.classbody == NULL ||
	    A.tokocc == NULL || stack == NULL) {
		r = EMB_ENOMEM;
		goto out;
	}
	match_brackets(P, A.match);
	if (!P->balanced)
		goto out;
	for (size_t k = 0; k < P->nt; k++) {
		A.encl[k] = sn ? stack[sn - 1] : NONE;
		A.tokocc[k] = NONE;
		if (opener(P, k) && sn < 1024)
			stack[sn++] = (uint32_t)k;
		else if (closer(P, k) && sn > 0)
			sn--;
		/* class Name [: Base] { and enum Name { */
		if (is_op(P, k, "{"))
			for (size_t j = k; j > 0 && k - j < 8; j--) {
				if (P->t[j - 1].kind == T_NL ||
				    is_op(P, j - 1, "{") ||
				    is_op(P, j - 1, "}"))
					break;
				if (is_word(P, j - 1, "class") ||
				    is_word(P, j - 1, "enum"))
					A.classbody[k] = 1;
			}
	}
	for (size_t k = 0; k < P->no; k++)
		if (P->o[k].tok != NONE && P->t[P->o[k].tok].kind == T_VAR)
			A.tokocc[P->o[k].tok] = (uint32_t)k;
	A.nf = find_funcs(P, A.match, &A.fs);
	if (P->err < 0) {
		r = P->err;
		goto out;
	}
	for (size_t k = 0; k < P->nt; k++) {
		const struct tok *t = &P->t[k];
		size_t off = t->off, n = t->len;
		if (t->kind != T_WORD && t->kind != T_VAR)
			continue;
		if (t->flags & TF_DASH) {
			off++;
			n--;
		}
		if (in_words(P->s + off, n, unsafe_words) ||
		    word_eq(P->s + off, n, "ps1") ||
		    word_eq(P->s + off, n, "psm1"))
			A.file_unsafe = true;
	}
	/* the call operator and dot-sourcing run code we do not see */
	for (size_t k = 0; k < P->nt; k++)
		if (is_op(P, k, "&") ||
		    (is_op(P, k, ".") && P->t[k].off + 1 < P->len &&
		        (P->s[P->t[k].off + 1] == ' ' ||
		            P->s[P->t[k].off + 1] == '\t')))
			A.file_unsafe = true;
	classify(&A);
	if (!A.file_unsafe) {
		char taken[64][CLEX_NAME_MAX];
		size_t ntaken = 0, f = NONE;
		uint32_t *done;
		if ((r = index_names(&A)) < 0)
			goto out;
		done = calloc(A.N.lex.n + 1, sizeof(*done));
		if (done == NULL) {
			r = EMB_ENOMEM;
			goto out;
		}
		/* names in text order, at their first use in a function */
		for (size_t k = 0; k < P->no; k++) {
			uint32_t id = A.N.lexid[k], fn = A.N.fn[k];
			if (fn == NONE || A.fs[fn].unsafe ||
			    !is_use(P->o[k].cls))
				continue;
			if (fn != f) {
				f = fn;
				ntaken = 0;
			}
			if (done[id] == fn + 1)
				continue;
			done[id] = fn + 1;
			if ((r = rename_one(&A, fn, id, taken, &ntaken)) < 0)
				break;
		}
		free(done);
		if (r < 0)
			goto out;
	}
	if ((r = int_sites(&A)) < 0 || (r = assign_sites(&A)) < 0)
		goto out;
out:
	clex_map_fini(&A.N.raw);
	clex_map_fini(&A.N.lex);
	free(A.N.rawcount);
	free(A.N.lexid);
	free(A.N.order);
	free(A.N.start);
	free(A.N.count);
	free(A.N.fn);
	free(A.N.agg);
	free(A.match);
	free(A.encl);
	free(A.classbody);
	free(A.tokocc);
	free(A.fs);
	free(stack);
	return r;
}

/*
 * PowerShell discovery (see the top of this file).  Adds sites to set; a
 * script the lexer cannot follow gets none.  EMB_ENOMEM only: a full set
 * just ends discovery.
 */
int
mark_lang_powershell(struct mark_set *set)
{
	struct ps P;
	int r = 0;

	memset(&P, 0, sizeof(P));
	P.set = set;
	P.s = set->text;
	P.len = set->len;
	if (P.len == 0 || P.len > UINT32_MAX / 2)
		return 0;
	lex(&P);
	if (P.err < 0) {
		r = P.err;
		goto out;
	}
	if (P.confused)
		goto out;
	if ((r = analyze(&P)) < 0)
		goto out;
	r = fragile_sites(&P);
out:
	if (r == EMB_ETOOBIG)
		r = 0; /* the set is full: what we have stays */
	free(P.t);
	free(P.o);
	free(P.com);
	free(P.nls);
	return r;
}
