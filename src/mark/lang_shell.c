/*
 * Mark sites in POSIX shell and bash scripts.
 *
 * A small lexer follows the shell's own rules for what is code and what
 * is text: words, single and double quotes, $'..' and $"..", backslash
 * escapes and line continuations, $name and ${...}, $(...), backticks,
 * $((...)) and ((...)), [[ ... ]], case patterns, array literals,
 * comments, and here-documents (quoted ones are text, unquoted ones are
 * read like double-quoted strings).  It records every name it meets with
 * what it is there: a variable reference, an assignment, a `local`
 * declaration, an arithmetic operand, plain text, or something else.
 * Anything it does not follow (extended globs, backslashes inside
 * backticks, nesting deeper than SH_DEPTH_MAX, an unterminated quote or
 * here-document) makes it give up, and the script gets no site at all.
 *
 * Robust sites (shfmt and re-indentation keep them):
 *
 *  - sh.rename: a variable declared with `local` (or declare/typeset in
 *    a function) gets another name at its declaration, its $x and ${x}
 *    uses, its assignments and its arithmetic uses inside that function.
 *    Shell variables are dynamically scoped, so the name must appear
 *    nowhere else in the script except as plain text (inside a longer
 *    word, in quotes with other text, in comments); its first use in the
 *    function is the `local` itself; it is not exported, global,
 *    integer-typed or a nameref; and scripts that reach variables by
 *    computed names (eval, source, ${!name}, declare -n, set -a, dynamic
 *    names given to read/printf -v/declare) get no renaming at all.  Names
 *    given by the shell (IFS, PATH, REPLY, anything in capitals) are never
 *    renamed nor introduced.
 *  - sh.brace: $name and ${name} (when no name character follows).
 *  - sh.quote: 'text' and "text" for text without $, `, \, !, quotes or
 *    line breaks, outside ${...} and here-documents.
 *  - sh.test: [ ... ] and test ... as a simple command without
 *    redirections, in scripts that do not define a function of that name.
 *  - sh.cmdsub: $(cmd) and `cmd` for a one-line command without quotes,
 *    backslashes, parentheses, comments or nested substitutions.
 *  - sh.assign_order: two or three adjacent lines, each assigning a
 *    literal (no expansion, no tilde) to a distinct non-special name.
 *
 * Fragile sites: sh.comment (comment wording) and sh.trailing_ws (a blank
 * at the end of a code line; never inside quotes, here-documents or after
 * a line continuation).
 */
#include <stdlib.h>
#include <string.h>

#include "mark/clex.h"
#include "mark/lang.h"
#include "common/emb.h"

#define SH_DEPTH_MAX 64
#define SH_HEREDOC_MAX 16
#define NONE UINT32_MAX

enum occ_class {
	OC_REF, /* $x */
	OC_BRACEREF, /* ${x...} */
	OC_ASSIGN, /* x=..., for x, read x, printf -v x */
	OC_LOCAL, /* local x[=...] */
	OC_ARITH, /* x in $((...)), ((...)), let */
	OC_TEXT, /* text that is not a name here */
	OC_OTHER /* anything else: rules the name out */
};

#define O_BARE 0x01u /* unquoted literal part of a word */
#define O_QTEXT 0x02u /* text of a quoted string */
#define O_UNCOND 0x04u /* OC_LOCAL run unconditionally by its function */

struct occ {
	uint32_t off, len;
	uint32_t aux; /* OC_LOCAL with "=value": end of that word */
	uint8_t cls, flags;
	uint16_t depth;
};

#define W_PLAIN 0x01u /* only literal unquoted characters */

struct word {
	uint32_t off, end;
	uint8_t flags;
};

#define C_REDIR 0x01u
#define C_CMDWORD 0x02u
#define C_NLTERM 0x04u

struct cmd {
	uint32_t w0, nw;
	uint32_t frame; /* serial number of the frame it belongs to */
	uint8_t flags;
};

struct span2 {
	uint32_t a, b; /* opening and closing offsets */
	uint8_t kind;
};

enum frame_type {
	F_TOP,
	F_CMDSUB,
	F_SUBSHELL,
	F_PROCSUB,
	F_BRACE,
	F_CASE,
	F_BACKTICK,
	F_ARRAY,
	F_DBRACK,
	F_DQ,
	F_PARAM,
	F_ARITH,
	F_HEREDOC
};

enum expect {
	E_NONE,
	E_FORNAME,
	E_SELNAME,
	E_FORIN,
	E_CASEWORD,
	E_CASEIN,
	E_FUNCNAME,
	E_FUNCBODY,
	E_REGEX
};

enum cmdkind { K_NONE, K_LOCAL, K_READ, K_PRINTF, K_LET, K_OTHER };

struct frame {
	uint8_t type;
	bool func; /* F_BRACE: a function body */
	bool simple; /* F_PARAM: ${name} so far */
	bool in_dq; /* F_PARAM inside double quotes */
	bool quotable; /* F_DQ: in a plain command context */
	uint8_t arith; /* F_ARITH: 0 $((, 1 ((, 2 $[ */
	uint8_t cstate; /* F_CASE: 0 pattern, 1 body */
	uint32_t open; /* offset of the opener */
	uint32_t serial;
	uint32_t paren; /* F_ARITH nesting, F_DBRACK regex parens */
	uint32_t name_end;
	/* base frames: the command being read */
	uint32_t cmd; /* index in cmds or NONE */
	uint32_t wstart; /* start of the word being read or NONE */
	uint32_t wocc; /* first occurrence of that word */
	uint8_t wflags;
	bool cmdpos;
	bool redir; /* the next word is a redirection target */
	uint8_t expect;
	uint8_t kind; /* enum cmdkind of the current command */
	bool nolocal; /* local -x / -g: names are not local */
	bool optarg; /* read: the next word is an option argument */
	bool rd_array; /* read -a: that argument is a name */
	bool printf_v; /* printf -v: the next word is a name */
	uint32_t nest; /* open if/while/until/for/select */
	bool listed; /* the command follows && || or | */
	uint32_t cocc; /* first occurrence of the command */
	uint32_t prefix[8];
	uint8_t nprefix;
};

struct heredoc {
	uint32_t doff, dlen; /* delimiter, quotes removed, in dbuf */
	bool quoted, strip;
};

struct sh {
	struct mark_set *set;
	const uint8_t *s;
	size_t len;
	struct occ *occ;
	size_t nocc, capocc;
	struct word *w;
	size_t nw, capw;
	struct cmd *c;
	size_t nc, capc;
	struct span2 *quotes, *subs, *refs, *braces, *nls, *comments;
	size_t nq, cq, nsub, csub, nref, cref, nbr, cbr, nnl, cnl, ncom, ccom;
	struct span2 *funcs; /* function bodies: '{' and '}' */
	size_t nf, cf;
	uint8_t dbuf[4096];
	size_t dlen;
	struct heredoc hd[SH_HEREDOC_MAX];
	size_t nhd;
	bool in_heredoc;
	bool confused;
	bool no_rename;
	bool defines_test;
	bool saw_set;
	char tmp[4];
	uint32_t serial;
	int err;
};

/* ---- growable arrays ---- */

static bool
grow(struct sh *S, void **p, size_t *cap, size_t n, size_t elem)
{
	void *np;
	size_t nc;

	if (n < *cap)
		return true;
	if (n >= (64u << 20) / elem) {
		S->confused = true;
		return false;
	}
	nc = *cap ? *cap * 2 : 64;
	np = realloc(*p, nc * elem);
	if (np == NULL) {
		S->err = EMB_ENOMEM;
		S->confused = true;
		return false;
	}
	*p = np;
	*cap = nc;
	return true;
}

static uint32_t
add_occ(struct sh *S, size_t off, size_t len, unsigned cls, unsigned flags,
    size_t depth)
{
	if (!grow(S, (void **)&S->occ, &S->capocc, S->nocc, sizeof(*S->occ)))
		return NONE;
	S->occ[S->nocc].off = (uint32_t)off;
	S->occ[S->nocc].len = (uint32_t)len;
	S->occ[S->nocc].cls = (uint8_t)cls;
	S->occ[S->nocc].flags = (uint8_t)flags;
	S->occ[S->nocc].depth = (uint16_t)depth;
	S->occ[S->nocc].aux = 0;
	return (uint32_t)S->nocc++;
}

static void
add_span(struct sh *S, struct span2 **arr, size_t *n, size_t *cap, size_t a,
    size_t b, unsigned kind)
{
	if (!grow(S, (void **)arr, cap, *n, sizeof(**arr)))
		return;
	(*arr)[*n].a = (uint32_t)a;
	(*arr)[*n].b = (uint32_t)b;
	(*arr)[*n].kind = (uint8_t)kind;
	(*n)++;
}

static size_t
name_end(const struct sh *S, size_t i, size_t end)
{
	while (i < end && clex_alnum(S->s[i]))
		i++;
	return i;
}

/* Whether a name starts at i (a name character not after another). */
static bool
name_start(const struct sh *S, size_t i)
{
	return clex_alpha(S->s[i]) && (i == 0 || !clex_alnum(S->s[i - 1]));
}

/* Every name in [a, b) as plain text ($x as something else). */
static void
text_runs(struct sh *S, size_t a, size_t b, size_t depth)
{
	for (size_t i = a; i < b; i++) {
		if (!name_start(S, i))
			continue;
		size_t e = name_end(S, i, b);
		bool dollar = i > a &&
		    (S->s[i - 1] == '$' ||
		        (S->s[i - 1] == '{' && i > a + 1 &&
		            S->s[i - 2] == '$'));
		add_occ(
		    S, i, e - i, dollar ? OC_OTHER : OC_TEXT, O_QTEXT, depth);
		i = e - 1;
	}
}

/* Quoted text that is exactly a name, or starts "name=": a name. */
static void
quoted_exact(struct sh *S, size_t first, size_t a, size_t b)
{
	for (size_t k = first; k < S->nocc; k++) {
		struct occ *o = &S->occ[k];
		if (!(o->flags & O_QTEXT) || o->off != a)
			continue;
		if (o->off + o->len == b ||
		    (o->off + o->len < b &&
		        (S->s[o->off + o->len] == '=' ||
		            (S->s[o->off + o->len] == '+' &&
		                o->off + o->len + 1 < b &&
		                S->s[o->off + o->len + 1] == '='))))
			o->cls = OC_OTHER;
	}
}

static bool
is_base(unsigned t)
{
	return t == F_TOP || t == F_CMDSUB || t == F_SUBSHELL ||
	    t == F_PROCSUB || t == F_BRACE || t == F_CASE || t == F_BACKTICK ||
	    t == F_ARRAY || t == F_DBRACK;
}

/* Frames where a command starts: everything but arrays and [[ ]]. */
static bool
is_cmdframe(unsigned t)
{
	return is_base(t) && t != F_ARRAY && t != F_DBRACK;
}

struct scan {
	struct sh *S;
	struct frame st[SH_DEPTH_MAX];
	size_t top; /* index of the top frame */
	size_t end;
};

static struct frame *
cur(struct scan *sc)
{
	return &sc->st[sc->top];
}

static struct frame *
push(struct scan *sc, unsigned type, size_t open)
{
	struct frame *f;

	if (sc->top + 1 >= SH_DEPTH_MAX) {
		sc->S->confused = true;
		return NULL;
	}
	f = &sc->st[++sc->top];
	memset(f, 0, sizeof(*f));
	f->type = (uint8_t)type;
	f->open = (uint32_t)open;
	f->serial = ++sc->S->serial;
	f->cmd = NONE;
	f->wstart = NONE;
	f->cmdpos = is_cmdframe(type);
	f->cocc = (uint32_t)sc->S->nocc;
	return f;
}

static void
pop(struct scan *sc)
{
	if (sc->top == 0)
		sc->S->confused = true;
	else
		sc->top--;
}

/* ---- words and commands ---- */

static bool
word_is(const struct sh *S, uint32_t a, uint32_t b, const char *w)
{
	size_t n = strlen(w);

	return b - a == n && memcmp(S->s + a, w, n) == 0;
}

static void
start_word(struct scan *sc, size_t i)
{
	struct frame *f = cur(sc);

	if (f->wstart != NONE)
		return;
	f->wstart = (uint32_t)i;
	f->wocc = (uint32_t)sc->S->nocc;
	f->wflags = W_PLAIN;
}

/*
 * End the current command.  next_listed: the next one runs only
 * depending on this one (&&, ||) or in a pipeline; sub: this one runs in
 * a subshell (a pipeline or &).  Locals of such commands are conditional.
 */
static void
end_command_op(struct scan *sc, bool nl, bool next_listed, bool sub)
{
	struct frame *f = cur(sc);
	struct sh *S = sc->S;

	if (sub || f->listed) {
		for (size_t k = f->cocc; k < S->nocc; k++)
			S->occ[k].flags &= (uint8_t)~O_UNCOND;
	}
	f->listed = next_listed;
	f->cocc = (uint32_t)S->nocc;
	if (f->cmd != NONE) {
		struct cmd *c = &S->c[f->cmd];
		if (c->flags & C_CMDWORD)
			for (unsigned k = 0; k < f->nprefix; k++)
				S->occ[f->prefix[k]].cls = OC_OTHER;
		if (nl)
			c->flags |= C_NLTERM;
	}
	f->cmd = NONE;
	f->nprefix = 0;
	f->kind = K_NONE;
	f->nolocal = f->optarg = f->rd_array = f->printf_v = false;
	f->redir = false;
	if (is_cmdframe(f->type))
		f->cmdpos = true;
}

static void
end_command(struct scan *sc, bool nl)
{
	end_command_op(sc, nl, false, false);
}

static void
keyword(struct scan *sc, uint32_t a, uint32_t b, bool *handled)
{
	static const char *const opener[] = {"if", "then", "else", "elif", "do",
	    "while", "until", "!", "time", NULL};
	static const char *const closer[] = {"fi", "done", NULL};
	struct frame *f = cur(sc);
	struct sh *S = sc->S;

	*handled = true;
	for (size_t k = 0; opener[k]; k++)
		if (word_is(S, a, b, opener[k])) {
			if (word_is(S, a, b, "if") ||
			    word_is(S, a, b, "while") ||
			    word_is(S, a, b, "until"))
				f->nest++;
			if (word_is(S, a, b, "!"))
				f->listed = true;
			f->cmdpos = true;
			return;
		}
	for (size_t k = 0; closer[k]; k++)
		if (word_is(S, a, b, closer[k])) {
			if (f->nest > 0)
				f->nest--;
			f->cmdpos = false;
			return;
		}
	if (word_is(S, a, b, "for")) {
		f->nest++;
		f->expect = E_FORNAME;
		return;
	}
	if (word_is(S, a, b, "select")) {
		f->nest++;
		f->expect = E_SELNAME;
		return;
	}
	if (word_is(S, a, b, "case")) {
		f->expect = E_CASEWORD;
		return;
	}
	if (word_is(S, a, b, "function")) {
		f->expect = E_FUNCNAME;
		return;
	}
	if (word_is(S, a, b, "{")) {
		bool fn = f->expect == E_FUNCBODY;
		struct frame *nf;
		f->expect = E_NONE;
		if ((nf = push(sc, F_BRACE, a)) != NULL)
			nf->func = fn;
		return;
	}
	if (word_is(S, a, b, "}")) {
		if (f->type != F_BRACE) {
			S->confused = true;
			return;
		}
		if (f->func)
			add_span(S, &S->funcs, &S->nf, &S->cf, f->open, a, 0);
		pop(sc);
		cur(sc)->cmdpos = false;
		return;
	}
	if (word_is(S, a, b, "[[")) {
		push(sc, F_DBRACK, a);
		return;
	}
	if (word_is(S, a, b, "esac") && f->type == F_CASE) {
		pop(sc);
		cur(sc)->cmdpos = false;
		return;
	}
	*handled = false;
}

static enum cmdkind
command_kind(struct sh *S, uint32_t a, uint32_t b, bool plain)
{
	static const char *const local[] = {
	    "local", "declare", "typeset", NULL};
	static const char *const kill[] = {"eval", "source", ".", "enable",
	    "compgen", "complete", "coproc", NULL};

	if (!plain)
		return K_OTHER;
	if (word_is(S, a, b, "alias") || word_is(S, a, b, "unalias"))
		S->defines_test = true;
	if (word_is(S, a, b, "set"))
		S->saw_set = true;
	for (size_t k = 0; kill[k]; k++)
		if (word_is(S, a, b, kill[k]))
			S->no_rename = true;
	for (size_t k = 0; local[k]; k++)
		if (word_is(S, a, b, local[k]))
			return K_LOCAL;
	if (word_is(S, a, b, "read"))
		return K_READ;
	if (word_is(S, a, b, "printf"))
		return K_PRINTF;
	if (word_is(S, a, b, "let"))
		return K_LET;
	return K_OTHER;
}

/* The bare names of the word being ended: occurrences in [o0, nocc). */
static void
classify_bare(struct scan *sc, uint32_t a, uint32_t b, unsigned def)
{
	struct sh *S = sc->S;
	size_t d = sc->top;

	for (size_t k = cur(sc)->wocc; k < S->nocc; k++) {
		struct occ *o = &S->occ[k];
		if (!(o->flags & O_BARE) || o->depth != d)
			continue;
		if (o->off == a && o->off + o->len == b)
			o->cls = OC_OTHER; /* the whole word is a name */
		else
			o->cls = (uint8_t)def;
	}
}

/* An assignment word NAME=... / NAME+=... / NAME[..]=...: its name. */
static uint32_t
assign_name(struct scan *sc, uint32_t a, uint32_t b)
{
	struct sh *S = sc->S;
	size_t d = sc->top;
	uint32_t e;

	if (!name_start(S, a))
		return NONE;
	e = (uint32_t)name_end(S, a, b);
	if (e >= b ||
	    !(S->s[e] == '=' || S->s[e] == '[' ||
	        (S->s[e] == '+' && e + 1 < b && S->s[e + 1] == '=')))
		return NONE;
	for (size_t k = cur(sc)->wocc; k < S->nocc; k++) {
		struct occ *o = &S->occ[k];
		if ((o->flags & O_BARE) && o->depth == d && o->off == a)
			return (uint32_t)k;
	}
	return NONE;
}

/* Value of an assignment word that is itself exactly a name. */
static void
assign_value(struct scan *sc, uint32_t name, uint32_t b)
{
	struct sh *S = sc->S;
	uint32_t e = S->occ[name].off + S->occ[name].len;
	size_t d = sc->top;

	if (S->s[e] == '+')
		e++;
	for (size_t k = cur(sc)->wocc; k < S->nocc; k++) {
		struct occ *o = &S->occ[k];
		if (k == name || !(o->flags & O_BARE) || o->depth != d)
			continue;
		if (o->off < e + 1 && S->s[e] == '[')
			o->cls = OC_OTHER; /* subscript */
		else if (o->off == e + 1 && o->off + o->len == b)
			o->cls = OC_OTHER;
		else
			o->cls = OC_TEXT;
	}
}

static void
end_word(struct scan *sc, size_t i)
{
	struct frame *f = cur(sc);
	struct sh *S = sc->S;
	uint32_t a = f->wstart, b = (uint32_t)i, an;
	bool plain, handled = false;

	if (a == NONE)
		return;
	f->wstart = NONE;
	plain = (f->wflags & W_PLAIN) != 0;
	if (f->type == F_DBRACK) {
		if (plain && word_is(S, a, b, "]]")) {
			pop(sc);
			cur(sc)->cmdpos = false;
			return;
		}
		classify_bare(sc, a, b, OC_OTHER);
		f->expect = plain && word_is(S, a, b, "=~") ? E_REGEX : E_NONE;
		return;
	}
	if (f->type == F_ARRAY) {
		classify_bare(sc, a, b, OC_TEXT);
		return;
	}
	if (f->type == F_CASE && f->cstate == 0) {
		if (plain && word_is(S, a, b, "esac")) {
			pop(sc);
			cur(sc)->cmdpos = false;
			return;
		}
		classify_bare(sc, a, b, OC_TEXT);
		return;
	}
	/* record the word in its command */
	if (f->cmd == NONE) {
		if (!grow(S, (void **)&S->c, &S->capc, S->nc, sizeof(*S->c)))
			return;
		f->cmd = (uint32_t)S->nc++;
		S->c[f->cmd].w0 = (uint32_t)S->nw;
		S->c[f->cmd].nw = 0;
		S->c[f->cmd].frame = f->serial;
		S->c[f->cmd].flags = 0;
	}
	if (!grow(S, (void **)&S->w, &S->capw, S->nw, sizeof(*S->w)))
		return;
	S->w[S->nw].off = a;
	S->w[S->nw].end = b;
	S->w[S->nw].flags = f->wflags;
	S->nw++;
	S->c[f->cmd].nw++;
	if (f->redir) {
		f->redir = false;
		classify_bare(sc, a, b, OC_TEXT);
		return;
	}
	switch (f->expect) {
	case E_FORNAME:
	case E_SELNAME:
		classify_bare(sc, a, b, OC_OTHER);
		if (plain && name_start(S, a) && name_end(S, a, b) == b &&
		    f->expect == E_FORNAME)
			S->occ[S->nocc - 1].cls = OC_ASSIGN;
		f->expect = E_FORIN;
		f->cmdpos = false;
		return;
	case E_FORIN:
		f->expect = E_NONE;
		if (plain && word_is(S, a, b, "do")) {
			f->cmdpos = true;
			return;
		}
		classify_bare(sc, a, b, OC_TEXT);
		return;
	case E_CASEWORD:
		classify_bare(sc, a, b, OC_TEXT);
		f->expect = E_CASEIN;
		return;
	case E_CASEIN:
		f->expect = E_NONE;
		if (plain && word_is(S, a, b, "in")) {
			struct frame *nf = push(sc, F_CASE, a);
			if (nf != NULL)
				nf->cmdpos = false;
		} else {
			S->confused = true;
		}
		return;
	case E_FUNCNAME:
		classify_bare(sc, a, b, OC_OTHER);
		if (plain && word_is(S, a, b, "test"))
			S->defines_test = true;
		f->expect = E_FUNCBODY;
		return;
	default:
		break;
	}
	if (f->cmdpos && plain) {
		keyword(sc, a, b, &handled);
		if (handled) {
			S->nw--; /* keywords are not words of a command */
			S->c[f->cmd].nw--;
			if (S->c[f->cmd].nw == 0) {
				S->nc--;
				f->cmd = NONE;
			}
			return;
		}
	}
	an = assign_name(sc, a, b);
	if (f->cmdpos) {
		if (an != NONE) {
			S->occ[an].cls = OC_ASSIGN;
			assign_value(sc, an, b);
			if (f->nprefix < 8)
				f->prefix[f->nprefix++] = an;
			else
				S->occ[an].cls = OC_OTHER;
			return;
		}
		classify_bare(sc, a, b, OC_TEXT);
		f->kind = (uint8_t)command_kind(S, a, b, plain);
		S->c[f->cmd].flags |= C_CMDWORD;
		f->cmdpos = false;
		return;
	}
	/* an argument */
	switch (f->kind) {
	case K_LOCAL:
		if (S->s[a] == '-' || S->s[a] == '+') {
			for (uint32_t k = a + 1; k < b; k++) {
				if (S->s[k] == 'n' || S->s[k] == 'i')
					S->no_rename = true;
				if (strchr("xgpfF", S->s[k]) != NULL &&
				    S->s[k] != 0)
					f->nolocal = true;
			}
			classify_bare(sc, a, b, OC_OTHER);
			return;
		}
		if (!plain && an == NONE)
			S->no_rename = true; /* a computed name */
		if (an != NONE) {
			const struct occ *o = &S->occ[an];
			S->occ[an].cls = f->nolocal ? OC_OTHER : OC_LOCAL;
			if (S->s[o->off + o->len] == '=' &&
			    !(b < S->len && S->s[b] == '('))
				S->occ[an].aux = b;
			if (f->type == F_BRACE && f->func && f->nest == 0 &&
			    !f->listed)
				S->occ[an].flags |= O_UNCOND;
			assign_value(sc, an, b);
			return;
		}
		classify_bare(sc, a, b, OC_OTHER);
		if (!f->nolocal && name_start(S, a) && name_end(S, a, b) == b)
			S->occ[S->nocc - 1].cls = OC_LOCAL;
		return;
	case K_READ:
		if (f->optarg) {
			f->optarg = false;
			classify_bare(sc, a, b, OC_TEXT);
			if (f->rd_array && plain && name_start(S, a) &&
			    name_end(S, a, b) == b)
				S->occ[S->nocc - 1].cls = OC_ASSIGN;
			else if (f->rd_array)
				S->no_rename = true;
			f->rd_array = false;
			return;
		}
		if (plain && S->s[a] == '-') {
			for (uint32_t k = a + 1; k < b; k++)
				if (strchr("adinNptu", S->s[k]) != NULL) {
					f->rd_array = S->s[k] == 'a';
					if (k + 1 == b)
						f->optarg = true;
					else if (f->rd_array)
						S->no_rename = true;
					break;
				}
			classify_bare(sc, a, b, OC_OTHER);
			return;
		}
		classify_bare(sc, a, b, OC_OTHER);
		if (plain && name_start(S, a) && name_end(S, a, b) == b)
			S->occ[S->nocc - 1].cls = OC_ASSIGN;
		else
			S->no_rename = true;
		return;
	case K_PRINTF:
		if (f->printf_v) {
			f->printf_v = false;
			classify_bare(sc, a, b, OC_OTHER);
			if (plain && name_start(S, a) && name_end(S, a, b) == b)
				S->occ[S->nocc - 1].cls = OC_ASSIGN;
			else
				S->no_rename = true;
			return;
		}
		if (plain && word_is(S, a, b, "-v") && S->c[f->cmd].nw == 2)
			f->printf_v = true;
		break;
	case K_LET:
		classify_bare(sc, a, b, OC_ARITH);
		return;
	default:
		break;
	}
	if (an != NONE) {
		S->occ[an].cls = OC_OTHER;
		assign_value(sc, an, b);
		return;
	}
	classify_bare(sc, a, b, OC_TEXT);
}

/* ---- here-documents ---- */

static void scan(struct sh *S, size_t start, size_t end, unsigned type);

static size_t
heredoc_op(struct scan *sc, size_t i, bool strip)
{
	struct sh *S = sc->S;
	struct heredoc *h;
	bool quoted = false;

	while (i < sc->end && (S->s[i] == ' ' || S->s[i] == '\t'))
		i++;
	if (S->nhd >= SH_HEREDOC_MAX) {
		S->confused = true;
		return i;
	}
	h = &S->hd[S->nhd];
	h->doff = (uint32_t)S->dlen;
	h->strip = strip;
	while (i < sc->end && !strchr(" \t\n;&|()<>", S->s[i])) {
		uint8_t c = S->s[i];
		if (c == '\'' || c == '"') {
			size_t e = i + 1;
			quoted = true;
			while (e < sc->end && S->s[e] != c)
				e++;
			if (e >= sc->end) {
				S->confused = true;
				return sc->end;
			}
			for (size_t k = i + 1; k < e; k++)
				if (S->dlen < sizeof(S->dbuf))
					S->dbuf[S->dlen++] = S->s[k];
			i = e + 1;
			continue;
		}
		if (c == '\\') {
			quoted = true;
			i++;
			if (i >= sc->end)
				break;
			c = S->s[i];
		}
		if (c == '$' || c == '`') {
			S->confused = true;
			return i;
		}
		if (S->dlen < sizeof(S->dbuf))
			S->dbuf[S->dlen++] = c;
		i++;
	}
	h->dlen = (uint32_t)S->dlen - h->doff;
	h->quoted = quoted;
	if (h->dlen == 0 || S->dlen >= sizeof(S->dbuf)) {
		S->confused = true;
		return i;
	}
	S->nhd++;
	return i;
}

/* Read the pending here-document bodies after the line break at nl. */
static size_t
heredoc_bodies(struct scan *sc, size_t nl)
{
	struct sh *S = sc->S;
	size_t p = nl + 1, n = S->nhd;

	if (S->in_heredoc) {
		S->confused = true;
		return sc->end;
	}
	S->nhd = 0;
	for (size_t k = 0; k < n && !S->confused; k++) {
		const struct heredoc *h = &S->hd[k];
		size_t ls = p, body = p;
		bool found = false;
		while (ls < sc->end) {
			const uint8_t *nlp =
			    memchr(S->s + ls, '\n', sc->end - ls);
			size_t le = nlp ? (size_t)(nlp - S->s) : sc->end;
			size_t cs = ls;
			if (h->strip)
				while (cs < le && S->s[cs] == '\t')
					cs++;
			if (le - cs == h->dlen &&
			    memcmp(S->s + cs, S->dbuf + h->doff, h->dlen) ==
			        0) {
				if (h->quoted) {
					text_runs(S, body, ls, sc->top);
				} else {
					S->in_heredoc = true;
					scan(S, body, ls, F_HEREDOC);
					S->in_heredoc = false;
				}
				text_runs(S, cs, le, sc->top);
				p = le < sc->end ? le + 1 : le;
				found = true;
				break;
			}
			ls = le + 1;
		}
		if (!found)
			S->confused = true;
	}
	S->dlen = 0;
	return p;
}

/* ---- expansions ---- */

/* Whether $(..) and `..` may change form here: not in ${..}, $((..)), `..`. */
static bool
subs_here(const struct scan *sc)
{
	for (size_t k = 0; k <= sc->top; k++)
		if (sc->st[k].type == F_PARAM || sc->st[k].type == F_ARITH ||
		    sc->st[k].type == F_BACKTICK || sc->st[k].type == F_ARRAY ||
		    sc->st[k].type == F_DBRACK)
			return false;
	return true;
}

/* A '$' at i (in any context): returns where scanning goes on. */
static size_t
dollar(struct scan *sc, size_t i, bool base)
{
	struct sh *S = sc->S;
	const uint8_t *s = S->s;
	size_t end = sc->end, j = i + 1;
	struct frame *nf;

	if (j >= end)
		return j;
	if (s[j] == '(' && j + 1 < end && s[j + 1] == '(') {
		if ((nf = push(sc, F_ARITH, i)) != NULL)
			nf->arith = 0;
		return j + 2;
	}
	if (s[j] == '(') {
		bool ok = subs_here(sc);
		if ((nf = push(sc, F_CMDSUB, i)) != NULL)
			nf->quotable = ok;
		return j + 1;
	}
	if (s[j] == '[') {
		if ((nf = push(sc, F_ARITH, i)) != NULL)
			nf->arith = 2;
		return j + 1;
	}
	if (s[j] == '{') {
		bool in_dq = cur(sc)->type == F_DQ || cur(sc)->in_dq;
		size_t k = j + 1;
		bool prefix = false;
		if (k < end && (s[k] == '!'))
			S->no_rename = true; /* indirection */
		if (k < end && (s[k] == '#' || s[k] == '!') && k + 1 < end &&
		    clex_alpha(s[k + 1])) {
			prefix = true;
			k++;
		}
		if ((nf = push(sc, F_PARAM, i)) == NULL)
			return end;
		nf->in_dq = in_dq;
		if (k < end && clex_alpha(s[k])) {
			size_t e = name_end(S, k, end);
			add_occ(S, k, e - k, OC_BRACEREF, 0, sc->top);
			nf->simple = !prefix && e < end && s[e] == '}' &&
			    !(e - k == 1 && s[k] == '_');
			nf->name_end = (uint32_t)e;
			return e;
		}
		return k;
	}
	if (s[j] == '\'' && base) {
		size_t e = j + 1;
		while (e < end && s[e] != '\'') {
			if (s[e] == '\\')
				e++;
			e++;
		}
		if (e >= end) {
			S->confused = true;
			return end;
		}
		text_runs(S, j + 1, e, sc->top);
		quoted_exact(S, S->nocc, j + 1, e);
		return e + 1;
	}
	if (s[j] == '"' && base) {
		if ((nf = push(sc, F_DQ, j)) != NULL)
			nf->quotable = false;
		return j + 1;
	}
	if (clex_alpha(s[j])) {
		size_t e = name_end(S, j, end);
		bool special = e - j == 1 && s[j] == '_';
		uint32_t o = add_occ(
		    S, j, e - j, special ? OC_OTHER : OC_REF, 0, sc->top);
		if (o != NONE && !special && e < end)
			add_span(S, &S->refs, &S->nref, &S->cref, i, e, 0);
		return e;
	}
	if (clex_digit(s[j]) || strchr("@*#?-$!", s[j]) != NULL)
		return j + 1; /* $1, $@, $$, $? ... */
	return j; /* a lone $ */
}

/* ---- the scanner ---- */

static bool
safe_sub(const struct sh *S, size_t a, size_t b)
{
	if (a >= b)
		return false;
	for (size_t k = a; k < b; k++) {
		uint8_t c = S->s[k];
		if (strchr("\\`'\"()#\n!", c) != NULL || c < 0x20 || c >= 0x7f)
			return false;
		if (c == '$' &&
		    (k + 1 >= b ||
		        !(clex_alpha(S->s[k + 1]) || S->s[k + 1] == '{')))
			return false;
	}
	return true;
}

static bool
safe_quote(const struct sh *S, size_t a, size_t b)
{
	for (size_t k = a; k < b; k++) {
		uint8_t c = S->s[k];
		if (strchr("$`\\!'\"\n", c) != NULL || c < 0x20 || c >= 0x7f)
			return false;
	}
	return true;
}

/* Whether a quote at this point may change style: plain command context. */
static bool
quotable_here(const struct scan *sc)
{
	for (size_t k = 0; k <= sc->top; k++)
		if (!(sc->st[k].type == F_TOP || sc->st[k].type == F_BRACE ||
		        sc->st[k].type == F_SUBSHELL ||
		        sc->st[k].type == F_CASE || sc->st[k].type == F_DBRACK))
			return false;
	return true;
}

static size_t
step_base(struct scan *sc, size_t i)
{
	struct sh *S = sc->S;
	const uint8_t *s = S->s;
	struct frame *f = cur(sc);
	size_t end = sc->end;
	uint8_t c = s[i];

	if (f->type == F_DBRACK && f->expect == E_REGEX && f->wstart == NONE &&
	    c != ' ' && c != '\t') {
		/* the right side of =~ may hold ( ) | unquoted */
		f->paren = 0;
		f->expect = E_NONE;
		f->wflags = 0;
		start_word(sc, i);
		f->wflags = 0;
		while (i < end) {
			c = s[i];
			if (c == '(')
				f->paren++;
			else if (c == ')' && f->paren > 0)
				f->paren--;
			else if ((c == ' ' || c == '\t' || c == '\n') &&
			    f->paren == 0)
				break;
			else if (c == '\\' || c == '\'' || c == '"' ||
			    c == '$' || c == '`')
				break;
			if (name_start(S, i)) {
				size_t e = name_end(S, i, end);
				add_occ(S, i, e - i, OC_OTHER, O_BARE, sc->top);
				i = e;
				continue;
			}
			i++;
		}
		/*
		 * A quote or expansion ends the special reading: the rest of
		 * the word is read as usual (and a later unquoted parenthesis
		 * gives up there).
		 */
		return i;
	}
	if (c == ' ' || c == '\t' || c == '\r') {
		end_word(sc, i);
		return i + 1;
	}
	if (c == '\\') {
		if (i + 1 < end && s[i + 1] == '\n')
			return i + 2; /* a line continuation */
		if (f->type == F_BACKTICK) {
			S->confused = true;
			return end;
		}
		start_word(sc, i);
		cur(sc)->wflags &= (uint8_t)~W_PLAIN;
		return i + 2 <= end ? i + 2 : end;
	}
	if (c == '\n') {
		end_word(sc, i);
		if (S->confused)
			return end;
		f = cur(sc);
		if (is_cmdframe(f->type))
			end_command(sc, true);
		add_span(S, &S->nls, &S->nnl, &S->cnl, i, i, 0);
		if (S->nhd > 0)
			return heredoc_bodies(sc, i);
		return i + 1;
	}
	if (c == '#' && f->wstart == NONE) {
		const uint8_t *nl = memchr(s + i, '\n', end - i);
		size_t e = nl ? (size_t)(nl - s) : end;
		text_runs(S, i, e, sc->top);
		add_span(S, &S->comments, &S->ncom, &S->ccom, i, e, 0);
		return e;
	}
	if (c == '\'') {
		size_t e = i + 1, first = S->nocc;
		while (e < end && s[e] != '\'')
			e++;
		if (e >= end) {
			S->confused = true;
			return end;
		}
		start_word(sc, i);
		cur(sc)->wflags &= (uint8_t)~W_PLAIN;
		text_runs(S, i + 1, e, sc->top);
		quoted_exact(S, first, i + 1, e);
		if (safe_quote(S, i + 1, e) && quotable_here(sc))
			add_span(S, &S->quotes, &S->nq, &S->cq, i, e, '\'');
		return e + 1;
	}
	if (c == '"') {
		struct frame *nf;
		bool q = quotable_here(sc);
		start_word(sc, i);
		cur(sc)->wflags &= (uint8_t)~W_PLAIN;
		if ((nf = push(sc, F_DQ, i)) != NULL) {
			nf->quotable = q;
			nf->wocc = (uint32_t)S->nocc;
		}
		return i + 1;
	}
	if (c == '`') {
		if (f->type == F_BACKTICK) {
			end_word(sc, i);
			end_command(sc, false);
			f = cur(sc);
			if (f->quotable)
				add_span(S, &S->subs, &S->nsub, &S->csub,
				    f->open, i, '`');
			pop(sc);
			return i + 1;
		}
		{
			bool ok = subs_here(sc);
			struct frame *nf;
			start_word(sc, i);
			cur(sc)->wflags &= (uint8_t)~W_PLAIN;
			if ((nf = push(sc, F_BACKTICK, i)) != NULL)
				nf->quotable = ok;
		}
		return i + 1;
	}
	if (c == '$') {
		start_word(sc, i);
		cur(sc)->wflags &= (uint8_t)~W_PLAIN;
		return dollar(sc, i, true);
	}
	if (f->type == F_DBRACK) {
		if (c == '(' || c == ')' || c == '<' || c == '>' || c == '!' ||
		    c == '&' || c == '|' || c == ';') {
			end_word(sc, i);
			/* if "]]" closed it, c is the outer frame's */
			if (cur(sc) != f)
				return i;
			if (c == ';') {
				S->confused = true;
				return end;
			}
			return i + 1;
		}
	} else if (c == ';' || c == '&' || c == '|') {
		end_word(sc, i);
		if (S->confused)
			return end;
		f = cur(sc);
		if (c == '&' && i + 1 < end && s[i + 1] == '>') {
			f->redir = true;
			if (f->cmd != NONE)
				S->c[f->cmd].flags |= C_REDIR;
			return i + 2 + (i + 2 < end && s[i + 2] == '>');
		}
		if (c == ';' && i + 1 < end &&
		    (s[i + 1] == ';' || s[i + 1] == '&')) {
			if (f->type != F_CASE) {
				S->confused = true;
				return end;
			}
			end_command(sc, false);
			f->cstate = 0;
			f->cmdpos = false;
			i += 2;
			if (i < end && s[i] == '&')
				i++;
			return i;
		}
		if (f->type == F_CASE && f->cstate == 0 && c == '|')
			return i + 1;
		if ((c == '&' || c == '|') && i + 1 < end &&
		    (s[i + 1] == c || (c == '|' && s[i + 1] == '&'))) {
			/* && || |& */
			end_command_op(sc, false, true, c == '|');
			return i + 2;
		}
		/* ; ends a list, & runs it in the background, | pipes */
		end_command_op(sc, false, c == '|', c != ';');
		return i + 1;
	}
	if (c == '<' || c == '>') {
		f = cur(sc);
		if (f->wstart != NONE) {
			bool digits = true;
			for (size_t k = f->wstart; k < i; k++)
				digits &= clex_digit(s[k]);
			if (digits)
				f->wstart = NONE; /* an fd number */
			else
				end_word(sc, i);
		}
		if (S->confused)
			return end;
		f = cur(sc);
		if (i + 1 < end && s[i + 1] == '(') {
			start_word(sc, i);
			cur(sc)->wflags &= (uint8_t)~W_PLAIN;
			push(sc, F_PROCSUB, i);
			return i + 2;
		}
		if (f->cmd == NONE) {
			/* a redirection before any word: still a command */
			start_word(sc, i);
			f->wstart = NONE;
			if (!grow(S, (void **)&S->c, &S->capc, S->nc,
			        sizeof(*S->c)))
				return end;
			f->cmd = (uint32_t)S->nc++;
			S->c[f->cmd].w0 = (uint32_t)S->nw;
			S->c[f->cmd].nw = 0;
			S->c[f->cmd].frame = f->serial;
			S->c[f->cmd].flags = 0;
		}
		S->c[f->cmd].flags |= C_REDIR;
		if (c == '<' && i + 2 < end && s[i + 1] == '<' &&
		    s[i + 2] == '<') {
			f->redir = true;
			return i + 3;
		}
		if (c == '<' && i + 1 < end && s[i + 1] == '<') {
			bool strip = i + 2 < end && s[i + 2] == '-';
			return heredoc_op(sc, i + 2 + strip, strip);
		}
		f->redir = true;
		if (i + 1 < end &&
		    (s[i + 1] == '>' || s[i + 1] == '&' || s[i + 1] == '|' ||
		        (c == '<' && s[i + 1] == '>')))
			return i + 2;
		return i + 1;
	}
	if (c == '(') {
		f = cur(sc);
		if (f->wstart != NONE) {
			uint32_t a = f->wstart;
			size_t k = i + 1;
			while (k < end && (s[k] == ' ' || s[k] == '\t'))
				k++;
			if (f->cmdpos && (f->wflags & W_PLAIN) &&
			    name_start(S, a) && k < end && s[k] == ')') {
				/* name () { ... } */
				classify_bare(sc, a, (uint32_t)i, OC_OTHER);
				if (word_is(S, a, (uint32_t)i, "test") ||
				    word_is(S, a, (uint32_t)i, "["))
					S->defines_test = true;
				f->wstart = NONE;
				f->expect = E_FUNCBODY;
				return k + 1;
			}
			if (i > a && s[i - 1] == '=' && f->cmdpos) {
				end_word(sc, i);
				push(sc, F_ARRAY, i);
				return i + 1;
			}
			S->confused = true;
			return end;
		}
		if (f->type == F_CASE && f->cstate == 0)
			return i + 1;
		{
			/* "name () {" and "function name () {" */
			size_t k = i + 1;
			while (k < end && (s[k] == ' ' || s[k] == '\t'))
				k++;
			if (k < end && s[k] == ')' && f->expect == E_FUNCBODY)
				return k + 1;
			if (k < end && s[k] == ')' && f->cmd != NONE &&
			    S->c[f->cmd].nw == 1 && f->cmd + 1 == S->nc &&
			    (S->w[S->nw - 1].flags & W_PLAIN) &&
			    name_start(S, S->w[S->nw - 1].off) &&
			    name_end(S, S->w[S->nw - 1].off, end) ==
			        S->w[S->nw - 1].end) {
				if (word_is(S, S->w[S->nw - 1].off,
				        S->w[S->nw - 1].end, "test"))
					S->defines_test = true;
				S->nw--;
				S->nc--;
				f->cmd = NONE;
				f->kind = K_NONE;
				f->cmdpos = true;
				f->expect = E_FUNCBODY;
				return k + 1;
			}
		}
		if (f->cmdpos && i + 1 < end && s[i + 1] == '(') {
			struct frame *nf = push(sc, F_ARITH, i);
			if (nf != NULL)
				nf->arith = 1;
			return i + 2;
		}
		if (f->cmdpos || f->expect == E_FORNAME) {
			if (f->expect == E_FORNAME && i + 1 < end &&
			    s[i + 1] == '(') {
				struct frame *nf = push(sc, F_ARITH, i);
				f->expect = E_NONE;
				if (nf != NULL)
					nf->arith = 1;
				return i + 2;
			}
			push(sc, F_SUBSHELL, i);
			return i + 1;
		}
		S->confused = true;
		return end;
	}
	if (c == ')') {
		end_word(sc, i);
		if (S->confused)
			return end;
		f = cur(sc);
		if (f->type == F_CASE && f->cstate == 0) {
			f->cstate = 1;
			f->cmdpos = true;
			return i + 1;
		}
		if (f->type == F_CMDSUB || f->type == F_SUBSHELL ||
		    f->type == F_PROCSUB) {
			end_command(sc, false);
			if (f->type == F_CMDSUB && f->quotable)
				add_span(S, &S->subs, &S->nsub, &S->csub,
				    f->open, i, '$');
			pop(sc);
			if (f->type == F_SUBSHELL)
				cur(sc)->cmdpos = false;
			return i + 1;
		}
		if (f->type == F_ARRAY) {
			pop(sc);
			return i + 1;
		}
		S->confused = true;
		return end;
	}
	/* an ordinary character of a word */
	start_word(sc, i);
	if (name_start(S, i)) {
		size_t e = name_end(S, i, end);
		add_occ(S, i, e - i, OC_TEXT, O_BARE, sc->top);
		return e;
	}
	return i + 1;
}

static size_t
step_quoted(struct scan *sc, size_t i)
{
	struct sh *S = sc->S;
	const uint8_t *s = S->s;
	struct frame *f = cur(sc);
	uint8_t c = s[i];

	if (f->type == F_DQ && c == '"') {
		quoted_exact(S, f->wocc, f->open + 1, i);
		if (f->quotable && safe_quote(S, f->open + 1, i))
			add_span(
			    S, &S->quotes, &S->nq, &S->cq, f->open, i, '"');
		pop(sc);
		return i + 1;
	}
	if (c == '\\') {
		if (i + 1 < sc->end && strchr("$`\"\\\n", s[i + 1]) != NULL &&
		    s[i + 1] != 0) {
			if (s[i + 1] == '$' && i + 2 < sc->end &&
			    clex_alpha(s[i + 2])) {
				size_t e = name_end(S, i + 2, sc->end);
				add_occ(S, i + 2, e - (i + 2), OC_OTHER, 0,
				    sc->top);
				return e;
			}
			return i + 2;
		}
		return i + 1;
	}
	if (c == '$')
		return dollar(sc, i, false);
	if (c == '`') {
		bool ok = subs_here(sc);
		struct frame *nf = push(sc, F_BACKTICK, i);
		if (nf != NULL)
			nf->quotable = ok;
		return i + 1;
	}
	if (name_start(S, i)) {
		size_t e = name_end(S, i, sc->end);
		add_occ(S, i, e - i, OC_TEXT, O_QTEXT, sc->top);
		return e;
	}
	return i + 1;
}

static size_t
step_param(struct scan *sc, size_t i)
{
	struct sh *S = sc->S;
	const uint8_t *s = S->s;
	struct frame *f = cur(sc);
	uint8_t c = s[i];

	if (c == '}') {
		if (f->simple && f->name_end == i &&
		    (i + 1 >= sc->end || !clex_alnum(s[i + 1])))
			add_span(
			    S, &S->braces, &S->nbr, &S->cbr, f->open, i, 0);
		pop(sc);
		return i + 1;
	}
	f->simple = false;
	if (c == '\\')
		return i + 2 <= sc->end ? i + 2 : sc->end;
	if (c == '\'' && !f->in_dq) {
		size_t e = i + 1;
		while (e < sc->end && s[e] != '\'')
			e++;
		if (e >= sc->end) {
			S->confused = true;
			return sc->end;
		}
		text_runs(S, i + 1, e, sc->top);
		quoted_exact(S, S->nocc, i + 1, e);
		return e + 1;
	}
	if (c == '"') {
		struct frame *nf = push(sc, F_DQ, i);
		if (nf != NULL)
			nf->wocc = (uint32_t)S->nocc;
		return i + 1;
	}
	if (c == '$')
		return dollar(sc, i, !f->in_dq);
	if (c == '`') {
		push(sc, F_BACKTICK, i);
		return i + 1;
	}
	if (name_start(S, i)) {
		size_t e = name_end(S, i, sc->end);
		add_occ(S, i, e - i, OC_OTHER, 0, sc->top);
		return e;
	}
	return i + 1;
}

static size_t
step_arith(struct scan *sc, size_t i)
{
	struct sh *S = sc->S;
	const uint8_t *s = S->s;
	struct frame *f = cur(sc);
	uint8_t c = s[i];

	if (c == '(') {
		f->paren++;
		return i + 1;
	}
	if (c == ')' && f->arith != 2) {
		if (f->paren > 0) {
			f->paren--;
			return i + 1;
		}
		if (i + 1 < sc->end && s[i + 1] == ')') {
			bool cmd = f->arith == 1;
			pop(sc);
			if (cmd)
				cur(sc)->cmdpos = false;
			return i + 2;
		}
		S->confused = true;
		return sc->end;
	}
	if (c == ']' && f->arith == 2) {
		pop(sc);
		return i + 1;
	}
	if (c == '\'' || c == '"' || c == '`' || c == '\\' || c == '#') {
		S->confused = true;
		return sc->end;
	}
	if (c == '$')
		return dollar(sc, i, false);
	if (name_start(S, i)) {
		size_t e = name_end(S, i, sc->end);
		add_occ(S, i, e - i, OC_ARITH, 0, sc->top);
		return e;
	}
	return i + 1;
}

static void
scan(struct sh *S, size_t start, size_t end, unsigned type)
{
	struct scan *sc = calloc(1, sizeof(*sc));
	size_t i = start;

	if (sc == NULL) {
		S->err = EMB_ENOMEM;
		S->confused = true;
		return;
	}
	sc->S = S;
	sc->end = end;
	sc->st[0].type = (uint8_t)type;
	sc->st[0].cmd = NONE;
	sc->st[0].wstart = NONE;
	sc->st[0].cmdpos = type == F_TOP;
	sc->st[0].serial = ++S->serial;
	sc->st[0].cocc = (uint32_t)S->nocc;
	while (i < end && !S->confused) {
		unsigned t = cur(sc)->type;
		size_t ni, top = sc->top;
		if (t == F_DQ || t == F_HEREDOC)
			ni = step_quoted(sc, i);
		else if (t == F_PARAM)
			ni = step_param(sc, i);
		else if (t == F_ARITH)
			ni = step_arith(sc, i);
		else
			ni = step_base(sc, i);
		/* no progress is fine only when a frame was closed */
		i = ni > i || (ni == i && sc->top < top) ? ni : i + 1;
	}
	if (!S->confused && is_base(cur(sc)->type)) {
		end_word(sc, end);
		end_command(sc, false);
	}
	if (sc->top != 0 || S->nhd != 0)
		S->confused = true;
	free(sc);
}

/* ---- sites ---- */

static const char *const specials[] = {"http_proxy", "https_proxy", "ftp_proxy",
    "no_proxy", "all_proxy", "auto_resume", "histchars", "path", "argv",
    "status", "prompt", "cdpath", "fpath", "manpath", "options", "commands",
    "functions", "aliases", "parameters", "pipestatus", "signals", "match",
    "mbegin", "mend", "psvar", "watch", "reply", "cdpath", NULL};

static bool
special_name(const uint8_t *p, size_t n)
{
	bool lower = false;

	for (size_t i = 0; i < n; i++)
		lower |= p[i] >= 'a' && p[i] <= 'z';
	if (!lower)
		return true; /* IFS, PATH, REPLY, ... and constants */
	for (size_t k = 0; specials[k]; k++)
		if (strlen(specials[k]) == n && memcmp(specials[k], p, n) == 0)
			return true;
	return clex_reserved(p, n, false);
}

struct names {
	struct clex_map raw; /* every name of the text */
	uint32_t *rawcount;
	struct clex_map lex; /* names the lexer saw */
	uint32_t *lexid; /* per occurrence */
	uint32_t *order; /* occurrences by (name, offset) */
	uint32_t *start, *count; /* per name: its run in order */
	uint32_t *fn; /* per occurrence: outermost function or NONE */
	struct span2 *outer; /* outermost function bodies, by offset */
	size_t nouter;
	uint8_t *agg; /* per name: A_* (0: not computed yet) */
};

#define A_DONE 0x01u
#define A_TOP 0x02u /* a non-text use outside every function */
#define A_UNCLEAN 0x04u /* a function where it is not a clean local */
#define A_MULTI 0x08u /* non-text uses in more than one function */

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

static int
span_cmp(const void *a, const void *b)
{
	const struct span2 *x = a, *y = b;

	return x->a < y->a ? -1 : x->a > y->a;
}

static int
index_names(struct sh *S, struct names *N)
{
	size_t runs = 0, n = S->nocc;
	struct okey *keys;
	int r;

	for (size_t i = 0; i < S->len; i++)
		if (name_start(S, i)) {
			runs++;
			i = name_end(S, i, S->len) - 1;
		}
	if ((r = clex_map_init(&N->raw, runs + 1, false)) < 0 ||
	    (r = clex_map_init(&N->lex, n + 1, false)) < 0)
		return r;
	N->rawcount = calloc(runs + 1, sizeof(*N->rawcount));
	N->lexid = malloc((n + 1) * sizeof(*N->lexid));
	N->order = malloc((n + 1) * sizeof(*N->order));
	N->start = calloc(n + 1, sizeof(*N->start));
	N->count = calloc(n + 1, sizeof(*N->count));
	N->fn = malloc((n + 1) * sizeof(*N->fn));
	N->outer = malloc((S->nf + 1) * sizeof(*N->outer));
	N->agg = calloc(n + 1, 1);
	if (N->rawcount == NULL || N->lexid == NULL || N->order == NULL ||
	    N->start == NULL || N->count == NULL || N->fn == NULL ||
	    N->outer == NULL || N->agg == NULL)
		return EMB_ENOMEM;
	for (size_t i = 0; i < S->len; i++)
		if (name_start(S, i)) {
			size_t e = name_end(S, i, S->len);
			uint32_t id;
			if ((r = clex_map_intern(
			         &N->raw, S->s + i, e - i, &id)) < 0)
				return r;
			N->rawcount[id]++;
			i = e - 1;
		}
	for (size_t k = 0; k < n; k++)
		if ((r = clex_map_intern(&N->lex, S->s + S->occ[k].off,
		         S->occ[k].len, &N->lexid[k])) < 0)
			return r;
	/* outermost functions, sorted; functions nest or are disjoint */
	if (S->nf > 0)
		memcpy(N->outer, S->funcs, S->nf * sizeof(*N->outer));
	qsort(N->outer, S->nf, sizeof(*N->outer), span_cmp);
	for (size_t k = 0; k < S->nf; k++)
		if (N->nouter == 0 || N->outer[k].a > N->outer[N->nouter - 1].b)
			N->outer[N->nouter++] = N->outer[k];
	/* the function of each occurrence, in offset order */
	keys = malloc((n + 1) * sizeof(*keys));
	if (keys == NULL)
		return EMB_ENOMEM;
	for (size_t k = 0; k < n; k++) {
		keys[k].id = 0;
		keys[k].off = S->occ[k].off;
		keys[k].idx = (uint32_t)k;
	}
	qsort(keys, n, sizeof(*keys), okey_cmp);
	for (size_t k = 0, f = 0; k < n; k++) {
		uint32_t o = keys[k].idx;
		while (f < N->nouter && N->outer[f].b < S->occ[o].off)
			f++;
		N->fn[o] = f < N->nouter && N->outer[f].a < S->occ[o].off
		    ? (uint32_t)f
		    : NONE;
	}
	/* occurrences by name, then offset */
	for (size_t k = 0; k < n; k++) {
		keys[k].id = N->lexid[k];
		keys[k].off = S->occ[k].off;
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

/* A local whose value does not read the name itself: local x=... */
static bool
clean_local(const struct sh *S, const struct names *N, uint32_t id, uint32_t o)
{
	const struct occ *l = &S->occ[o];

	if (l->cls != OC_LOCAL || l->aux == 0 || !(l->flags & O_UNCOND))
		return false;
	for (uint32_t k = 0; k < N->count[id]; k++) {
		const struct occ *u = &S->occ[N->order[N->start[id] + k]];
		if (u->off > l->off && u->off < l->aux)
			return false;
	}
	return true;
}

/* Where else the name is used: A_TOP, A_UNCLEAN, A_MULTI. */
static uint8_t
aggregate(const struct sh *S, struct names *N, uint32_t id)
{
	uint8_t a = A_DONE;
	uint32_t seen = NONE;

	if (N->agg[id])
		return N->agg[id];
	for (uint32_t k = 0; k < N->count[id]; k++) {
		uint32_t o = N->order[N->start[id] + k];
		if (S->occ[o].cls == OC_TEXT)
			continue;
		if (N->fn[o] == NONE) {
			a |= A_TOP;
			continue;
		}
		if (N->fn[o] == seen)
			continue;
		/* the first use in a function */
		if (seen != NONE)
			a |= A_MULTI;
		seen = N->fn[o];
		if (!clean_local(S, N, id, o))
			a |= A_UNCLEAN;
	}
	N->agg[id] = a;
	return a;
}

static int
rename_one(struct sh *S, struct names *N, size_t f, uint32_t id,
    char (*taken)[CLEX_NAME_MAX], size_t *ntaken)
{
	char alts[CLEX_ALTS_MAX][CLEX_NAME_MAX];
	const struct occ *first = NULL;
	uint32_t k0 = N->start[id], n = N->count[id], b = 0, e;
	size_t ns, q = 1, na;
	const char *pick[4];
	struct mark_span *sp;
	struct mark_text *tx;
	uint8_t agg;
	int64_t raw;
	int r;

	raw = clex_map_find(
	    &N->raw, S->s + S->occ[N->order[k0]].off, S->occ[N->order[k0]].len);
	if (raw < 0 || N->rawcount[raw] != n || n > MARK_SPANS_MAX)
		return 0;
	/* its uses in this function: a run of the name's list */
	while (b < n && N->fn[N->order[k0 + b]] != f)
		b++;
	e = b;
	while (e < n && N->fn[N->order[k0 + e]] == f)
		e++;
	for (uint32_t k = b; k < e; k++) {
		const struct occ *u = &S->occ[N->order[k0 + k]];
		if (u->cls == OC_OTHER)
			return 0;
		if (u->cls != OC_TEXT && first == NULL)
			first = u;
	}
	if (first == NULL || first->cls != OC_LOCAL)
		return 0;
	agg = aggregate(S, N, id);
	if (agg & A_TOP)
		return 0;
	for (uint32_t k = 0; k < n; k++)
		if (S->occ[N->order[k0 + k]].cls == OC_OTHER)
			return 0;
	if (clean_local(S, N, id, (uint32_t)(first - S->occ))) {
		/* elsewhere only as clean locals of other functions */
		if ((agg & A_UNCLEAN) != 0)
			return 0;
	} else if (agg & A_MULTI) {
		return 0;
	}
	na = clex_name_alts(S->s + first->off, first->len, alts, CLEX_ALTS_MAX);
	for (size_t a = 0; a < na && q < 4 && *ntaken < 64; a++) {
		size_t an = strlen(alts[a]);
		bool dup = false;
		if (clex_map_find(&N->raw, (const uint8_t *)alts[a], an) >= 0 ||
		    clex_avoid((const uint8_t *)alts[a], an, false) ||
		    special_name((const uint8_t *)alts[a], an))
			continue;
		for (size_t t = 0; t < *ntaken; t++)
			dup |= strcmp(taken[t], alts[a]) == 0;
		if (dup)
			continue;
		memcpy(taken[*ntaken], alts[a], an + 1);
		pick[q++] = taken[(*ntaken)++];
	}
	if (q < 2)
		return 0;
	ns = 0;
	for (uint32_t k = b; k < e; k++)
		ns += S->occ[N->order[k0 + k]].cls != OC_TEXT;
	sp = malloc(ns * sizeof(*sp));
	tx = malloc(ns * q * sizeof(*tx));
	if (sp == NULL || tx == NULL) {
		free(sp);
		free(tx);
		return EMB_ENOMEM;
	}
	ns = 0;
	for (uint32_t k = b; k < e; k++) {
		const struct occ *u = &S->occ[N->order[k0 + k]];
		if (u->cls == OC_TEXT)
			continue;
		sp[ns].off = u->off;
		sp[ns].len = u->len;
		ns++;
	}
	for (size_t v = 0; v < q; v++)
		for (size_t t = 0; t < ns; t++) {
			tx[v * ns + t].p =
			    v == 0 ? (const char *)S->s + first->off : pick[v];
			tx[v * ns + t].n =
			    v == 0 ? first->len : strlen(pick[v]);
		}
	r = mark_set_replace(
	    S->set, MARK_ROBUST, "sh.rename", (unsigned)q, sp, ns, tx);
	free(sp);
	free(tx);
	return r;
}

static int
rename_sites(struct sh *S, struct names *N)
{
	char taken[64][CLEX_NAME_MAX];
	size_t ntaken = 0, f = NONE;
	int r;

	/* occurrences in text order: one pass, names at their first local */
	uint32_t *done = calloc(N->lex.n + 1, sizeof(*done));
	if (done == NULL)
		return EMB_ENOMEM;
	for (size_t k = 0; k < S->nocc; k++) {
		const struct occ *o = &S->occ[k];
		uint32_t id = N->lexid[k];
		if (o->cls != OC_LOCAL || N->fn[k] == NONE ||
		    special_name(S->s + o->off, o->len) ||
		    o->len + 8 >= CLEX_NAME_MAX)
			continue;
		if (N->fn[k] != f) {
			f = N->fn[k];
			ntaken = 0;
		}
		if (done[id] == (uint32_t)f + 1)
			continue;
		done[id] = (uint32_t)f + 1;
		if ((r = rename_one(S, N, f, id, taken, &ntaken)) < 0) {
			free(done);
			return r;
		}
	}
	free(done);
	return 0;
}

static int
brace_sites(struct sh *S)
{
	static const struct mark_text open[2] = {{"$", 1}, {"${", 2}};
	int r;

	for (size_t k = 0; k < S->nref; k++) {
		struct mark_span sp[2] = {{S->refs[k].a, 1}, {S->refs[k].b, 1}};
		char close[2] = {'}', (char)S->s[S->refs[k].b]};
		struct mark_text t[4] = {open[0],
		    {(const char *)S->s + S->refs[k].b, 1}, open[1],
		    {close, 2}};
		if ((r = mark_set_replace(
		         S->set, MARK_ROBUST, "sh.brace", 2, sp, 2, t)) < 0)
			return r;
	}
	for (size_t k = 0; k < S->nbr; k++) {
		struct mark_span sp[2] = {
		    {S->braces[k].a, 2}, {S->braces[k].b, 1}};
		struct mark_text t[4] = {open[1], {"}", 1}, open[0], {"", 0}};
		if ((r = mark_set_replace(
		         S->set, MARK_ROBUST, "sh.brace", 2, sp, 2, t)) < 0)
			return r;
	}
	return 0;
}

static int
quote_sites(struct sh *S)
{
	static const struct mark_text sq = {"'", 1}, dq = {"\"", 1};
	int r;

	for (size_t k = 0; k < S->nq; k++) {
		struct mark_span sp[2] = {
		    {S->quotes[k].a, 1}, {S->quotes[k].b, 1}};
		bool single = S->quotes[k].kind == '\'';
		struct mark_text t[4] = {single ? sq : dq, single ? sq : dq,
		    single ? dq : sq, single ? dq : sq};
		if ((r = mark_set_replace(
		         S->set, MARK_ROBUST, "sh.quote", 2, sp, 2, t)) < 0)
			return r;
	}
	return 0;
}

static int
cmdsub_sites(struct sh *S)
{
	int r;

	for (size_t k = 0; k < S->nsub; k++) {
		const struct span2 *x = &S->subs[k];
		bool dollar = x->kind == '$';
		size_t a = x->a + (dollar ? 2 : 1);
		struct mark_span sp[2] = {{x->a, dollar ? 2 : 1}, {x->b, 1}};
		struct mark_text t[4];
		if (!safe_sub(S, a, x->b))
			continue;
		t[0].p = dollar ? "$(" : "`";
		t[0].n = dollar ? 2 : 1;
		t[1].p = dollar ? ")" : "`";
		t[1].n = 1;
		t[2].p = dollar ? "`" : "$(";
		t[2].n = dollar ? 1 : 2;
		t[3].p = dollar ? "`" : ")";
		t[3].n = 1;
		if ((r = mark_set_replace(
		         S->set, MARK_ROBUST, "sh.cmdsub", 2, sp, 2, t)) < 0)
			return r;
	}
	return 0;
}

static bool
cmd_word_is(const struct sh *S, const struct cmd *c, size_t k, const char *w)
{
	const struct word *x = &S->w[c->w0 + k];

	return (x->flags & W_PLAIN) && word_is(S, x->off, x->end, w);
}

static int
test_sites(struct sh *S)
{
	int r;

	if (S->defines_test)
		return 0;
	for (size_t k = 0; k < S->nc; k++) {
		const struct cmd *c = &S->c[k];
		const struct word *w = &S->w[c->w0];
		struct mark_span sp[2];
		struct mark_text t[4];
		if (!(c->flags & C_CMDWORD) || (c->flags & C_REDIR) ||
		    c->nw < 2)
			continue;
		if (cmd_word_is(S, c, 0, "[") && c->nw >= 3 &&
		    cmd_word_is(S, c, c->nw - 1, "]")) {
			sp[0].off = w[0].off;
			sp[0].len = 1;
			sp[1].off = w[c->nw - 2].end;
			sp[1].len = w[c->nw - 1].end - w[c->nw - 2].end;
			t[0] = (struct mark_text){"[", 1};
			t[1].p = (const char *)S->s + sp[1].off;
			t[1].n = sp[1].len;
			t[2] = (struct mark_text){"test", 4};
			t[3] = (struct mark_text){"", 0};
		} else if (cmd_word_is(S, c, 0, "test")) {
			uint32_t e = w[c->nw - 1].end;
			char *tail;
			if (e >= S->len || !strchr(" \t;\n&|)", S->s[e]) ||
			    S->s[e] == 0)
				continue;
			sp[0].off = w[0].off;
			sp[0].len = 4;
			sp[1].off = e;
			sp[1].len = 1;
			t[0] = (struct mark_text){"test", 4};
			t[1].p = (const char *)S->s + e;
			t[1].n = 1;
			t[2] = (struct mark_text){"[", 1};
			tail = S->tmp;
			tail[0] = ' ';
			tail[1] = ']';
			tail[2] = (char)S->s[e];
			t[3].p = tail;
			t[3].n = 3;
		} else {
			continue;
		}
		if ((r = mark_set_replace(
		         S->set, MARK_ROBUST, "sh.test", 2, sp, 2, t)) < 0)
			return r;
	}
	return 0;
}

/* A literal assignment line: NAME=value or local NAME=value. */
static bool
literal_assign(const struct sh *S, const struct cmd *c, uint32_t *ret_name,
    uint32_t *ret_nlen, struct mark_span *ret)
{
	static const char *const unsafe[] = {"IFS", "PATH", "HOME", "PS1",
	    "PS2", "PS3", "PS4", "ENV", "CDPATH", "RANDOM", "SECONDS", "OPTIND",
	    "OPTARG", "SHELLOPTS", "POSIXLY_CORRECT", "TMOUT", "LANG", NULL};
	const struct word *w;
	uint32_t a, b, e, ls, t;

	if (!(c->flags & C_NLTERM) || (c->flags & C_REDIR))
		return false;
	if (c->nw == 1 && !(c->flags & C_CMDWORD))
		w = &S->w[c->w0];
	else if (c->nw == 2 && (c->flags & C_CMDWORD) &&
	    cmd_word_is(S, c, 0, "local"))
		w = &S->w[c->w0 + 1];
	else
		return false;
	a = w->off;
	b = w->end;
	if (!name_start(S, a))
		return false;
	e = (uint32_t)name_end(S, a, b);
	if (e >= b || S->s[e] != '=')
		return false;
	for (size_t k = 0; unsafe[k]; k++)
		if (word_is(S, a, e, unsafe[k]))
			return false;
	if ((e - a > 4 && memcmp(S->s + a, "BASH", 4) == 0) ||
	    (e - a > 3 && memcmp(S->s + a, "LC_", 3) == 0))
		return false;
	/* the value */
	if (e + 1 < b && (S->s[e + 1] == '\'' || S->s[e + 1] == '"')) {
		uint8_t q = S->s[e + 1];
		if (b - e < 3 || S->s[b - 1] != q ||
		    memchr(S->s + e + 2, q, b - e - 3) != NULL ||
		    !safe_quote(S, e + 2, b - 1))
			return false;
	} else {
		for (uint32_t k = e + 1; k < b; k++)
			if (!(clex_alnum(S->s[k]) ||
			        strchr("./:,+@%=-", S->s[k]) != NULL) ||
			    S->s[k] == 0)
				return false;
	}
	/* alone on its line, maybe with a comment after it */
	ls = S->w[c->w0].off;
	while (ls > 0 && (S->s[ls - 1] == ' ' || S->s[ls - 1] == '\t'))
		ls--;
	if (ls > 0 && S->s[ls - 1] != '\n')
		return false;
	t = b;
	while (t < S->len && (S->s[t] == ' ' || S->s[t] == '\t'))
		t++;
	if (t < S->len && S->s[t] == '#') {
		while (t < S->len && S->s[t] != '\n')
			t++;
		b = t;
	}
	if (t < S->len && S->s[t] != '\n')
		return false;
	*ret_name = a;
	*ret_nlen = e - a;
	ret->off = S->w[c->w0].off;
	ret->len = b - ret->off;
	return true;
}

static int
assign_sites(struct sh *S)
{
	struct mark_span g[3];
	uint32_t nm[3], nl[3], frame = 0;
	size_t ng = 0;
	int r;

	for (size_t k = 0; k <= S->nc; k++) {
		struct mark_span sp;
		uint32_t a = 0, n = 0;
		bool ok = k < S->nc && literal_assign(S, &S->c[k], &a, &n, &sp);
		bool join = ok && ng > 0 && S->c[k].frame == frame;
		if (join) {
			/* only blanks and one line break in between */
			size_t p = g[ng - 1].off + g[ng - 1].len, nls = 0;
			for (; p < sp.off && join; p++) {
				nls += S->s[p] == '\n';
				join = S->s[p] == '\n' || S->s[p] == ' ' ||
				    S->s[p] == '\t';
			}
			join &= nls == 1;
			for (size_t i = 0; i < ng && join; i++)
				join = !(nl[i] == n &&
				    memcmp(S->s + nm[i], S->s + a, n) == 0);
		}
		if (!join || ng == 3) {
			if (ng >= 2 &&
			    (r = mark_set_permute(S->set, MARK_ROBUST,
			         "sh.assign_order", g, ng)) < 0)
				return r;
			ng = 0;
		}
		if (!ok)
			continue;
		g[ng] = sp;
		nm[ng] = a;
		nl[ng] = n;
		ng++;
		frame = S->c[k].frame;
	}
	return 0;
}

static int
fragile_sites(struct sh *S)
{
	int r;

	for (size_t k = 0; k < S->ncom; k++) {
		if (S->comments[k].a == 0 && S->len > 1 && S->s[1] == '!')
			continue;
		if ((r = clex_comment_sites(S->set, S->comments[k].a,
		         S->comments[k].b - S->comments[k].a, "sh.comment")) <
		    0)
			return r;
	}
	for (size_t k = 0; k < S->nnl; k++)
		if ((r = clex_trailing_site(
		         S->set, S->nls[k].a, "sh.trailing_ws")) < 0)
			return r;
	return 0;
}

/* set -a / set -o allexport export every variable. */
static void
check_set(struct sh *S)
{
	for (size_t k = 0; k < S->nc; k++) {
		const struct cmd *c = &S->c[k];
		if (!(c->flags & C_CMDWORD) || !cmd_word_is(S, c, 0, "set"))
			continue;
		for (size_t i = 1; i < c->nw; i++) {
			const struct word *w = &S->w[c->w0 + i];
			if (word_is(S, w->off, w->end, "allexport") ||
			    !(w->flags & W_PLAIN))
				S->no_rename = true;
			if (S->s[w->off] == '-' || S->s[w->off] == '+')
				for (uint32_t j = w->off + 1; j < w->end; j++)
					if (S->s[j] == 'a')
						S->no_rename = true;
		}
	}
}

/*
 * Shell discovery (see the top of this file).  Adds sites to set; a script
 * the lexer cannot follow gets none.  EMB_ENOMEM only: a full set just
 * ends discovery.
 */
int
mark_lang_shell(struct mark_set *set)
{
	struct sh *S;
	struct names N;
	int r = 0;

	if (set->len == 0 || set->len > UINT32_MAX / 2)
		return 0;
	S = calloc(1, sizeof(*S));
	if (S == NULL)
		return EMB_ENOMEM;
	memset(&N, 0, sizeof(N));
	S->set = set;
	S->s = set->text;
	S->len = set->len;
	scan(S, 0, S->len, F_TOP);
	if (S->err < 0) {
		r = S->err;
		goto out;
	}
	if (S->confused)
		goto out;
	check_set(S);
	if (!S->no_rename) {
		if ((r = index_names(S, &N)) < 0 ||
		    (r = rename_sites(S, &N)) < 0)
			goto out;
	}
	if ((r = brace_sites(S)) < 0 || (r = quote_sites(S)) < 0 ||
	    (r = test_sites(S)) < 0 || (r = cmdsub_sites(S)) < 0 ||
	    (r = assign_sites(S)) < 0)
		goto out;
	r = fragile_sites(S);
out:
	if (r == EMB_ETOOBIG)
		r = 0; /* the set is full: what we have stays */
	clex_map_fini(&N.raw);
	clex_map_fini(&N.lex);
	free(N.rawcount);
	free(N.lexid);
	free(N.order);
	free(N.start);
	free(N.count);
	free(N.fn);
	free(N.outer);
	free(N.agg);
	free(S->occ);
	free(S->w);
	free(S->c);
	free(S->quotes);
	free(S->subs);
	free(S->refs);
	free(S->braces);
	free(S->nls);
	free(S->comments);
	free(S->funcs);
	free(S);
	return r;
}
