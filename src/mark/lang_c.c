/*
 * Mark sites in C-family code: C, C++, C#, Java and JavaScript, read with
 * one tokenizer (clex.h) since nothing tells them apart reliably.
 *
 * Robust sites (they survive clang-format, prettier, re-indentation and
 * comment stripping):
 *
 *  - c.rename: a local variable or parameter of one function gets one of
 *    up to four names, the same at every occurrence.  A name qualifies
 *    only if every occurrence in the whole file lies inside that one
 *    function; it is declared there (a parameter, or a declarator after a
 *    type, var/let/const, a for/catch/lambda head) and every occurrence
 *    follows a declaration whose scope covers it, so no global or
 *    header-declared entity of the same name is touched; it never appears
 *    as a member (.x, ->x, ::x), label, object key, named argument,
 *    shorthand property, in a preprocessor line, inside the arguments of
 *    a macro that could stringify or paste it (file-defined macros using
 *    #, unknown ALL_CAPS macros, assert, offsetof) or as the whole
 *    content of a string (reflection, obj["x"]).  Functions holding
 *    preprocessor lines, inline assembly, eval/with or C# interpolated
 *    strings are left alone.  A new name must not occur anywhere in the
 *    file (nor in its macros) and must not be a keyword or well-known
 *    global of any of these languages, so nothing is captured; names
 *    given to different variables of one function are all different.
 *  - c.int: a decimal literal from 16 to 32767 and its hexadecimal form
 *    (or back, hex digits in either case).  Below 2^15 both have type int
 *    in every one of these languages, suffixes are kept, octal and
 *    anything with other suffixes or separators is left alone, and so
 *    are literals in macro arguments (token pasting) and in preprocessor
 *    lines.
 *  - c.decl_order: two or three adjacent declarations in a function
 *    block, each with constant initialisers or none, none naming what
 *    another declares, with types that cannot run constructors (built-in
 *    and C typedef-style types, or pointers).
 *
 * Fragile sites (verbatim copies only): c.comment, synonyms in comment
 * wording; c.trailing_ws, an invisible blank at a line end outside
 * literals.
 *
 * Anything the tokenizer is unsure about (an unterminated literal,
 * unbalanced brackets, digraphs, trigraphs, line splices in code) turns
 * the code rules off, and an untokenizable text gets no site at all.
 */
#include <stdlib.h>
#include <string.h>

#include "mark/clex.h"
#include "mark/lang.h"
#include "common/emb.h"

#define NOID UINT32_MAX
#define DEPTH_MAX 512
#define SCAN_MAX 256
#define STMT_MAX 64
#define STMT_IDS 16

/* Per identifier flags. */
#define ID_BANNED 0x01u /* in a macro, pp line or as a string */
#define ID_FNMACRO 0x02u /* function-like macro defined in the file */
#define ID_RISKY 0x04u /* ... whose expansion may stringify or paste */
#define ID_FUNCNAME 0x08u /* names a function defined in the file */

/* Per identifier: which word lists hold it (looked up once per name). */
#define KW_EXPR 0x01u
#define KW_CONTROL 0x02u
#define KW_PLAIN 0x04u
#define KW_CONST 0x08u

/* Frames of the bracket stack while reading a function. */
enum frame_kind {
	FR_PARAMS, /* the function's own parameter list */
	FR_DECLPAREN, /* parameters of a nested function, catch, using */
	FR_FORPAREN, /* for (...) and foreach (...) */
	FR_PAREN, /* any other parenthesis */
	FR_BLOCK, /* a statement block */
	FR_BRACE, /* initialiser, object literal, class or struct body */
	FR_BRACKET
};

struct frame {
	size_t open;
	int64_t scope; /* scope end of declarations made here, -1: none */
	uint32_t q; /* unmatched '?' */
	uint8_t kind;
	bool untyped; /* JavaScript-style parameters without types */
};

struct region {
	size_t rs; /* first token: '(' of the parameters or the parameter */
	size_t body; /* '{' */
	size_t re; /* '}' */
	bool untyped;
};

struct cfile {
	struct mark_set *set;
	const uint8_t *s;
	size_t len;
	struct clex lx;
	uint32_t *sig; /* token index of each significant token */
	size_t ns;
	int64_t *match;
	uint32_t *id;
	struct clex_map names;
	uint32_t *gcount; /* uses outside every function body */
	uint8_t *idf;
	uint8_t *kwf;
	bool code_ok; /* balanced brackets and nothing suspect */
	bool cpp; /* preprocessor lines or "::": may be C++ */
	uint8_t *risky;
	/* scratch for one region */
	uint32_t *rcount;
	int64_t *rhead, *rtail;
	uint8_t *rbad;
	uint32_t *touched;
	size_t ntouched;
	int64_t *next_occ;
	int64_t *decl_end;
	int64_t *encl;
	uint8_t *fkind;
	uint8_t *cont; /* declared by a declarator list continuation */
};

static const struct clex_tok *
T(const struct cfile *f, size_t k)
{
	return &f->lx.tok[f->sig[k]];
}

static bool
is(const struct cfile *f, int64_t k, const char *p)
{
	return k >= 0 && (size_t)k < f->ns && clex_is(f->s, T(f, (size_t)k), p);
}

static bool
ident(const struct cfile *f, int64_t k)
{
	return k >= 0 && (size_t)k < f->ns &&
	    T(f, (size_t)k)->kind == CLEX_IDENT;
}

static bool
word(const struct cfile *f, int64_t k, const char *w)
{
	size_t n = strlen(w);
	const struct clex_tok *t;

	if (!ident(f, k))
		return false;
	t = T(f, (size_t)k);
	return t->len == n && memcmp(f->s + t->off, w, n) == 0;
}

static bool
has(const struct cfile *f, int64_t k, uint8_t flag)
{
	return ident(f, k) && f->id[k] != NOID && (f->kwf[f->id[k]] & flag);
}

static bool
word_in(const struct cfile *f, int64_t k, const char *const *list)
{
	for (; *list != NULL; list++)
		if (word(f, k, *list))
			return true;
	return false;
}

static bool
bytes_in(const uint8_t *p, size_t n, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == n && memcmp(p, *list, n) == 0)
			return true;
	return false;
}

/* Words after which the next name is used, not declared. */
static const char *const expr_kw[] = {"return", "case", "goto", "sizeof",
    "alignof", "_Alignof", "typeof", "__typeof__", "decltype", "throw",
    "delete", "new", "else", "do", "in", "of", "instanceof", "await", "yield",
    "co_await", "co_yield", "co_return", "struct", "union", "enum", "class",
    "interface", "typename", "template", "operator", "using", "namespace",
    "import", "export", "extends", "implements", "throws", "is", "as", "out",
    "ref", "params", "nameof", "default", "when", "with", "select", "where",
    "from", "group", "by", "orderby", "into", "join", "on", "equals", "and",
    "or", "not", "xor", "bitand", "bitor", "compl", "not_eq", "and_eq", "or_eq",
    "xor_eq", "static_assert", "_Static_assert", "assert", "package", "break",
    "continue", "void", "this", "super", "base", "true", "false", "null",
    "nullptr", "NULL", "undefined", "stackalloc", "checked", "unchecked",
    "typeid", "if", "while", "for", "switch", "catch", "try", "finally",
    "function", "async", "get", "set", "static", "friend", "public", "private",
    "protected", "internal", "abstract", "virtual", "override", "sealed",
    "readonly", "volatile", "extern", "inline", "explicit", "implicit", "event",
    "delegate", "fixed", "lock", "unsafe", "goto", "typedef", "yield",
    "debugger", "label", NULL};

static const char *const control_kw[] = {"if", "for", "while", "switch",
    "catch", "with", "synchronized", "lock", "using", "fixed", "foreach",
    "return", "sizeof", "typeof", "do", "else", "try", "new", "delete", "throw",
    "case", "when", "alignof", "_Alignof", "static_assert", "_Static_assert",
    "assert", "defined", "await", "yield", "in", "of", "typeid", "nameof",
    "checked", "unchecked", "elif", "until", NULL};

static const char *const tail_kw[] = {"noexcept", "throw", "__attribute__",
    "__declspec", "alignas", "_Alignas", "decltype", "requires", "__attribute",
    NULL};

static const char *const skip_fn[] = {"asm", "__asm__", "__asm", "eval", "with",
    "nameof", "__COUNTER__", "_Pragma", "__pragma", NULL};

static const char *const risky_fn[] = {"assert", "static_assert",
    "_Static_assert", "offsetof", "__builtin_offsetof", "nameof", "va_arg",
    "__builtin_va_arg", "defined", "_Pragma", "__pragma", "__typeof__", NULL};

/* ALL_CAPS macros from system headers that neither stringify nor paste. */
static const char *const safe_caps[] = {"FD_SET", "FD_CLR", "FD_ISSET",
    "FD_ZERO", "WIFEXITED", "WEXITSTATUS", "WIFSIGNALED", "WTERMSIG",
    "WIFSTOPPED", "WSTOPSIG", "S_ISREG", "S_ISDIR", "S_ISLNK", "S_ISCHR",
    "S_ISBLK", "S_ISFIFO", "S_ISSOCK", "CMSG_DATA", "CMSG_FIRSTHDR",
    "CMSG_NXTHDR", "CMSG_LEN", "CMSG_SPACE", "MAKEWORD", "LOWORD", "HIWORD",
    "LOBYTE", "HIBYTE", "FAILED", "SUCCEEDED", NULL};

/* Types whose objects have no constructor anywhere. */
static const char *const plain_types[] = {"int", "char", "short", "long",
    "unsigned", "signed", "float", "double", "_Bool", "bool", "void", "const",
    "volatile", "static", "register", "auto", "byte", "boolean", "String",
    "string", "var", "let", "final", "uint", "ulong", "ushort", "sbyte",
    "decimal", "nint", "nuint", "char16_t", "char32_t", "wchar_t", "struct",
    "union", "enum", NULL};

static const char *const const_words[] = {"NULL", "nullptr", "null", "true",
    "false", "TRUE", "FALSE", "undefined", NULL};

static bool
all_caps(const uint8_t *p, size_t n)
{
	bool letter = false;

	if (n < 2)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] >= 'A' && p[i] <= 'Z')
			letter = true;
		else if (!clex_digit(p[i]) && p[i] != '_')
			return false;
	}
	return letter;
}

static bool
ascii_name(const uint8_t *p, size_t n)
{
	if (n == 0 || !clex_alpha(p[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!clex_alnum(p[i]))
			return false;
	return true;
}

/* ---- setup ---- */

static int
cfile_tokens(struct cfile *f)
{
	size_t n = f->lx.n, stack_n = 0, *stack = NULL, bound;
	int r;

	f->sig = malloc(sizeof(*f->sig) * (n + 1));
	f->match = malloc(sizeof(*f->match) * (n + 1));
	f->id = malloc(sizeof(*f->id) * (n + 1));
	stack = malloc(sizeof(*stack) * DEPTH_MAX);
	if (f->sig == NULL || f->match == NULL || f->id == NULL ||
	    stack == NULL) {
		free(stack);
		return EMB_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (f->lx.tok[i].kind != CLEX_COMMENT)
			f->sig[f->ns++] = (uint32_t)i;
	f->code_ok = !f->lx.suspect;
	for (size_t k = 0; k < f->ns; k++) {
		const struct clex_tok *t = T(f, k);
		f->match[k] = -1;
		f->id[k] = NOID;
		if (t->kind != CLEX_PUNCT || t->len != 1)
			continue;
		switch (f->s[t->off]) {
		case '(':
		case '[':
		case '{':
			if (stack_n == DEPTH_MAX) {
				f->code_ok = false;
				break;
			}
			stack[stack_n++] = k;
			break;
		case ')':
		case ']':
		case '}': {
			uint8_t want = f->s[t->off] == ')' ? '('
			    : f->s[t->off] == ']'          ? '['
			                                   : '{';
			size_t o;
			if (stack_n == 0) {
				f->code_ok = false;
				break;
			}
			o = stack[--stack_n];
			if (f->s[T(f, o)->off] != want) {
				f->code_ok = false;
				break;
			}
			f->match[k] = (int64_t)o;
			f->match[o] = (int64_t)k;
			break;
		}
		default:
			break;
		}
		if (!f->code_ok)
			break;
	}
	if (stack_n != 0)
		f->code_ok = false;
	free(stack);
	/* identifiers, plus words of pp lines and of strings */
	bound = f->ns + 16;
	for (size_t i = 0; i < n; i++)
		if (f->lx.tok[i].kind == CLEX_PP)
			bound += f->lx.tok[i].len / 2 + 1;
		else if (f->lx.tok[i].kind == CLEX_STRING ||
		    f->lx.tok[i].kind == CLEX_CHAR)
			bound++;
	if ((r = clex_map_init(&f->names, bound, false)) < 0)
		return r;
	for (size_t k = 0; k < f->ns; k++) {
		const struct clex_tok *t = T(f, k);
		if (t->kind != CLEX_IDENT)
			continue;
		if ((r = clex_map_intern(
		         &f->names, f->s + t->off, t->len, &f->id[k])) < 0)
			return r;
	}
	return 0;
}

/* A name seen outside the code proper: it must never be touched. */
static int
ban(struct cfile *f, const uint8_t *p, size_t n, uint8_t flags)
{
	uint32_t id;
	int r;

	if ((r = clex_map_intern(&f->names, p, n, &id)) < 0)
		return r;
	if (id >= f->names.max)
		return EMB_ETOOBIG;
	f->idf[id] |= flags;
	return 0;
}

/* #define NAME( ... body: whether the body may stringify or paste. */
static bool
macro_risky(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '#')
			return true;
		if (clex_alpha(p[i]) && (i == 0 || !clex_alnum(p[i - 1]))) {
			size_t e = i;
			while (e < n && clex_alnum(p[e]))
				e++;
			if (bytes_in(p + i, e - i, risky_fn) ||
			    (all_caps(p + i, e - i) &&
			        !bytes_in(p + i, e - i, safe_caps)))
				return true;
			i = e - 1;
		}
	}
	return false;
}

static int
scan_pp_line(struct cfile *f, const struct clex_tok *t)
{
	const uint8_t *p = f->s + t->off;
	size_t n = t->len, i = 1;
	int r;

	/* every word of the line outside its literals is banned */
	for (size_t k = 0; k < n; k++) {
		if ((p[k] == '"' || p[k] == '\'') &&
		    (k == 0 || p[k - 1] != '\\')) {
			uint8_t q = p[k];
			for (k++; k < n && p[k] != q && p[k] != '\n'; k++)
				if (p[k] == '\\')
					k++;
			continue;
		}
		if (clex_alpha(p[k]) && (k == 0 || !clex_alnum(p[k - 1]))) {
			size_t e = k;
			while (e < n && clex_alnum(p[e]))
				e++;
			if ((r = ban(f, p + k, e - k, ID_BANNED)) < 0)
				return r;
			k = e - 1;
		}
	}
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (n - i > 6 && memcmp(p + i, "define", 6) == 0) {
		size_t b, e;
		i += 6;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		b = e = i;
		while (e < n && clex_alnum(p[e]))
			e++;
		if (e > b && e < n && p[e] == '(') {
			size_t c = e;
			while (c < n && p[c] != ')')
				c++;
			if ((r = ban(f, p + b, e - b,
			         ID_FNMACRO |
			             (macro_risky(p + c, n - c) ? ID_RISKY
			                                        : 0))) < 0)
				return r;
		}
	}
	return 0;
}

static int
cfile_bans(struct cfile *f)
{
	int r;

	f->idf = calloc(f->names.max ? f->names.max : 1, 1);
	f->kwf = calloc(f->names.max ? f->names.max : 1, 1);
	if (f->idf == NULL || f->kwf == NULL)
		return EMB_ENOMEM;
	for (size_t i = 0; i < f->lx.n; i++) {
		const struct clex_tok *t = &f->lx.tok[i];
		if (t->kind == CLEX_PP) {
			if (!(t->off == 0 && t->len > 1 && f->s[1] == '!'))
				f->cpp = true;
			if ((r = scan_pp_line(f, t)) < 0)
				return r;
		} else if (t->kind == CLEX_STRING || t->kind == CLEX_CHAR) {
			/* "name" as the whole content of a literal */
			const uint8_t *p = f->s + t->off;
			size_t b = 0, n = t->len;
			while (
			    b < n && p[b] != '"' && p[b] != '\'' && p[b] != '`')
				b++;
			if (n >= b + 2 && ascii_name(p + b + 1, n - b - 2) &&
			    (r = ban(f, p + b + 1, n - b - 2, ID_BANNED)) < 0)
				return r;
		} else if (clex_is(f->s, t, "::")) {
			f->cpp = true;
		}
	}
	for (size_t id = 0; id < f->names.n; id++) {
		const uint8_t *p = f->names.key[id];
		size_t n = f->names.klen[id];
		f->kwf[id] = (uint8_t)((bytes_in(p, n, expr_kw) ? KW_EXPR : 0) |
		    (bytes_in(p, n, control_kw) ? KW_CONTROL : 0) |
		    (bytes_in(p, n, plain_types) ? KW_PLAIN : 0) |
		    (bytes_in(p, n, const_words) ? KW_CONST : 0));
	}
	return 0;
}

/* Whether '(' at k opens the arguments of something that may stringify. */
static bool
risky_call(const struct cfile *f, size_t k)
{
	const struct clex_tok *t;
	uint32_t id;

	if (k == 0 || !ident(f, (int64_t)k - 1))
		return false;
	t = T(f, k - 1);
	id = f->id[k - 1];
	if (bytes_in(f->s + t->off, t->len, risky_fn))
		return true;
	if (id != NOID && (f->idf[id] & ID_FNMACRO))
		return (f->idf[id] & ID_RISKY) != 0;
	if (id != NOID && (f->idf[id] & ID_FUNCNAME))
		return false;
	return all_caps(f->s + t->off, t->len) &&
	    !bytes_in(f->s + t->off, t->len, safe_caps);
}

static int
cfile_risky(struct cfile *f)
{
	int64_t depth = 0, *diff;

	f->risky = calloc(f->ns + 1, 1);
	diff = calloc(f->ns + 1, sizeof(*diff));
	if (f->risky == NULL || diff == NULL) {
		free(diff);
		return EMB_ENOMEM;
	}
	for (size_t k = 0; k < f->ns; k++)
		if (is(f, (int64_t)k, "(") && f->match[k] > (int64_t)k &&
		    risky_call(f, k)) {
			diff[k + 1]++;
			diff[f->match[k]]--;
		}
	for (size_t k = 0; k < f->ns; k++) {
		depth += diff[k];
		f->risky[k] = depth > 0;
	}
	free(diff);
	return 0;
}

/* ---- functions ---- */

static bool
untyped_ctx(const struct cfile *f, int64_t pp)
{
	static const char *const kw[] = {"static", "async", "get", "set", NULL};

	if (f->cpp)
		return false;
	return pp < 0 || is(f, pp, "{") || is(f, pp, "}") || is(f, pp, ";") ||
	    is(f, pp, ",") || is(f, pp, "*") || word_in(f, pp, kw);
}

/* Whether '{' at b opens a function body; fills *rg. */
static bool
func_body(const struct cfile *f, size_t b, struct region *rg)
{
	int64_t j = (int64_t)b - 1;

	rg->body = b;
	rg->re = (size_t)f->match[b];
	rg->untyped = false;
	if (j < 0)
		return false;
	if (is(f, j, "=>") || (is(f, j, "->") && is(f, j - 1, ")"))) {
		bool arrow = is(f, j, "=>");
		if (is(f, j - 1, ")") && f->match[j - 1] >= 0) {
			rg->rs = (size_t)f->match[j - 1];
			rg->untyped = true;
			return true;
		}
		if (arrow && ident(f, j - 1) && !is(f, j - 2, ".")) {
			rg->rs = (size_t)(j - 1);
			rg->untyped = true;
			return true;
		}
		return false;
	}
	for (int steps = 0; j >= 0 && steps < SCAN_MAX; steps++) {
		const struct clex_tok *t = T(f, (size_t)j);
		if (is(f, j, ")")) {
			int64_t o = f->match[j], nm, pp;
			if (o <= 0)
				return false;
			nm = o - 1;
			if (is(f, nm, "]")) {
				rg->rs = (size_t)o;
				return true;
			}
			if (!ident(f, nm))
				return false;
			if (word(f, nm, "function")) {
				rg->rs = (size_t)o;
				rg->untyped = true;
				return true;
			}
			if (has(f, nm, KW_CONTROL))
				return false;
			if (word_in(f, nm, tail_kw)) {
				j = nm - 1;
				continue;
			}
			pp = nm - 1;
			if (is(f, pp, ":") || is(f, pp, ",")) {
				j = pp - 1; /* constructor initialiser */
				continue;
			}
			if (word(f, pp, "new") || is(f, pp, ".") ||
			    is(f, pp, "->") || is(f, pp, "?."))
				return false;
			rg->rs = (size_t)o;
			rg->untyped =
			    word(f, pp, "function") || untyped_ctx(f, pp);
			return true;
		}
		if (t->kind == CLEX_IDENT || t->kind == CLEX_NUMBER ||
		    t->kind == CLEX_STRING || is(f, j, ",") || is(f, j, ".") ||
		    is(f, j, "::") || is(f, j, "*") || is(f, j, "&") ||
		    is(f, j, "&&") || is(f, j, "<") || is(f, j, ">") ||
		    is(f, j, "->") || is(f, j, ":") || is(f, j, "[") ||
		    is(f, j, "]")) {
			j--;
			continue;
		}
		return false;
	}
	return false;
}

/* First ';' after k at k's level, or the end of the enclosing group. */
static int64_t
stmt_end(const struct cfile *f, size_t k, size_t limit)
{
	for (size_t n = 0; k < limit && n < 4 * SCAN_MAX; n++) {
		if (is(f, (int64_t)k, ";"))
			return (int64_t)k;
		if (is(f, (int64_t)k, ")") || is(f, (int64_t)k, "]") ||
		    is(f, (int64_t)k, "}"))
			return -1;
		if (f->match[k] > (int64_t)k)
			k = (size_t)f->match[k];
		k++;
	}
	return -1;
}

/* End of an arrow function body starting at k. */
static int64_t
arrow_end(const struct cfile *f, size_t k, size_t limit)
{
	if (is(f, (int64_t)k, "{") && f->match[k] > (int64_t)k)
		return f->match[k];
	for (size_t n = 0; k < limit && n < 4 * SCAN_MAX; n++) {
		if (is(f, (int64_t)k, ";") || is(f, (int64_t)k, ",") ||
		    is(f, (int64_t)k, ")") || is(f, (int64_t)k, "]") ||
		    is(f, (int64_t)k, "}"))
			return (int64_t)k - 1;
		if (f->match[k] > (int64_t)k)
			k = (size_t)f->match[k];
		k++;
	}
	return -1;
}

/* Classify '(' at k inside a function. */
static void
paren_frame(const struct cfile *f, size_t k, size_t re, struct frame *fr)
{
	int64_t c = f->match[k], nx = c + 1, pv = (int64_t)k - 1;
	static const char *const declp[] = {"using", "fixed", "try", NULL};

	fr->kind = FR_PAREN;
	fr->scope = -1;
	fr->untyped = false;
	if (c < 0)
		return;
	if (word(f, pv, "for") || word(f, pv, "foreach")) {
		fr->kind = FR_FORPAREN;
		fr->scope =
		    is(f, nx, "{") ? f->match[nx] : stmt_end(f, (size_t)nx, re);
		if (fr->scope < 0)
			fr->scope = c;
		return;
	}
	if (word(f, pv, "catch") || word_in(f, pv, declp)) {
		fr->kind = FR_DECLPAREN;
		fr->untyped = word(f, pv, "catch");
		fr->scope =
		    is(f, nx, "{") ? f->match[nx] : stmt_end(f, (size_t)nx, re);
		if (fr->scope < 0)
			fr->scope = c;
		return;
	}
	if (is(f, nx, "=>")) {
		fr->kind = FR_DECLPAREN;
		fr->untyped = true;
		fr->scope = arrow_end(f, (size_t)nx + 1, re);
		if (fr->scope < 0)
			fr->scope = c;
		return;
	}
	if (is(f, nx, "->") && is(f, nx + 1, "{")) {
		fr->kind = FR_DECLPAREN;
		fr->untyped = true;
		fr->scope = f->match[nx + 1];
		return;
	}
	if (!is(f, nx, "{"))
		return;
	if (word(f, pv, "function") ||
	    (ident(f, pv) && word(f, pv - 1, "function"))) {
		fr->kind = FR_DECLPAREN;
		fr->untyped = true;
		fr->scope = f->match[nx];
		return;
	}
	if ((ident(f, pv) && !has(f, pv, KW_CONTROL) &&
	        !word(f, pv - 1, "new") && !is(f, pv - 1, ".")) ||
	    is(f, pv, "]")) {
		fr->kind = FR_DECLPAREN;
		fr->untyped = ident(f, pv) && untyped_ctx(f, pv - 1);
		fr->scope = f->match[nx];
	}
}

/* Classify '{' at k inside a function. */
static uint8_t
brace_kind(const struct cfile *f, size_t k, size_t body)
{
	static const char *const blockw[] = {"else", "do", "try", "finally",
	    "unsafe", "checked", "unchecked", NULL};
	int64_t pv = (int64_t)k - 1;

	if (k == body)
		return FR_BLOCK;
	if (is(f, pv, ")")) {
		int64_t o = f->match[pv];
		if (o > 1 && ident(f, o - 1) && word(f, o - 2, "new"))
			return FR_BRACE;
		return FR_BLOCK;
	}
	if (is(f, pv, "{") || is(f, pv, "}") || is(f, pv, ";") ||
	    is(f, pv, "=>") || is(f, pv, "->") || word_in(f, pv, blockw))
		return FR_BLOCK;
	if (is(f, pv, ":")) {
		if (word(f, pv - 1, "default"))
			return FR_BLOCK;
		for (int64_t j = pv - 1, n = 0; j >= 0 && n < 16; j--, n++) {
			if (word(f, j, "case"))
				return FR_BLOCK;
			if (is(f, j, ";") || is(f, j, "{") || is(f, j, "}"))
				break;
		}
	}
	return FR_BRACE;
}

/* ---- declarations ---- */

static bool
decl_follower(const struct cfile *f, size_t k, const struct frame *fr)
{
	int64_t x = (int64_t)k + 1;

	if (is(f, x, "=") || is(f, x, ";") || is(f, x, "["))
		return true;
	if (is(f, x, ","))
		return fr == NULL || fr->kind != FR_PAREN;
	if (fr == NULL)
		return false;
	if (is(f, x, ")"))
		return fr->kind == FR_PARAMS || fr->kind == FR_DECLPAREN;
	if (is(f, x, ":") || word(f, x, "in") || word(f, x, "of"))
		return fr->kind == FR_FORPAREN;
	return false;
}

/* Whether the token before a type may start a declaration. */
static bool
decl_start(const struct cfile *f, int64_t tp, const struct frame *fr)
{
	if (tp < 0 || is(f, tp, "{") || is(f, tp, "}") || is(f, tp, ";"))
		return true;
	if (T(f, (size_t)tp)->kind == CLEX_PP)
		return true;
	if (is(f, tp, "(") || is(f, tp, ","))
		return fr != NULL &&
		    (fr->kind == FR_PARAMS || fr->kind == FR_DECLPAREN ||
		        fr->kind == FR_FORPAREN);
	if (is(f, tp, ".") || is(f, tp, "::"))
		return true;
	return ident(f, tp) && !has(f, tp, KW_EXPR);
}

/* A generic type's closing '>' at j: the token before its name, or -2. */
static int64_t
generic_start(const struct cfile *f, int64_t j)
{
	int depth = 0;

	for (int n = 0; j >= 0 && n < 64; j--, n++) {
		const struct clex_tok *t = T(f, (size_t)j);
		if (is(f, j, ">")) {
			depth++;
		} else if (is(f, j, "<")) {
			if (--depth == 0) {
				if (!ident(f, j - 1) || has(f, j - 1, KW_EXPR))
					return -2;
				return j - 2;
			}
		} else if (!(t->kind == CLEX_IDENT || t->kind == CLEX_NUMBER ||
		               is(f, j, ",") || is(f, j, ".") ||
		               is(f, j, "::") || is(f, j, "?") ||
		               is(f, j, "[") || is(f, j, "]") ||
		               is(f, j, "*") || is(f, j, "&"))) {
			return -2;
		}
	}
	return -2;
}

/* Whether the name at k is declared by the type just before it. */
static bool
typed_decl(const struct cfile *f, size_t k, size_t lo, const struct frame *fr)
{
	static const char *const quals[] = {"const", "volatile", "restrict",
	    "__restrict", "__restrict__", "_Nonnull", "_Nullable", NULL};
	static const char *const declkw[] = {
	    "var", "let", "const", "auto", NULL};
	int64_t j = (int64_t)k - 1, tp;
	bool ptr = false;

	if (j < (int64_t)lo || (T(f, k)->flags & CLEX_F_NL) ||
	    !decl_follower(f, k, fr))
		return false;
	if (word_in(f, j, declkw))
		return true;
	while (j >= (int64_t)lo &&
	    (is(f, j, "*") || is(f, j, "&") || is(f, j, "&&") ||
	        is(f, j, "^") || word_in(f, j, quals))) {
		if (T(f, (size_t)j)->flags & CLEX_F_NL)
			return false;
		ptr |= T(f, (size_t)j)->kind == CLEX_PUNCT;
		j--;
	}
	if (j < (int64_t)lo)
		return false;
	if (ident(f, j)) {
		if (has(f, j, KW_EXPR) && !(ptr && word(f, j, "void")) &&
		    !(ptr &&
		        (word(f, j, "struct") || word(f, j, "union") ||
		            word(f, j, "enum"))))
			return false;
		if (!ptr)
			return true;
		tp = j - 1;
	} else if (is(f, j, ">")) {
		tp = generic_start(f, j);
		if (tp == -2)
			return false;
	} else if (is(f, j, "]") && is(f, j - 1, "[")) {
		j -= 2;
		while (is(f, j, "]") && is(f, j - 1, "["))
			j -= 2;
		if (is(f, j, ">")) {
			tp = generic_start(f, j);
			if (tp == -2)
				return false;
		} else if (ident(f, j) && !has(f, j, KW_EXPR)) {
			tp = j - 1;
		} else {
			return false;
		}
	} else {
		return false;
	}
	if (tp < (int64_t)lo - 1)
		return false;
	return decl_start(f, tp, fr);
}

/* Mark the further declarators of a list "T a = 1, *b, c[4];". */
static void
mark_continuations(struct cfile *f, size_t k, size_t re, const struct frame *fr)
{
	static const char *const quals[] = {
	    "const", "volatile", "restrict", NULL};
	size_t j = k + 1;

	for (int n = 0; j <= re && n < SCAN_MAX; n++) {
		if (is(f, (int64_t)j, ";") || is(f, (int64_t)j, ")") ||
		    is(f, (int64_t)j, "]") || is(f, (int64_t)j, "}"))
			return;
		if (is(f, (int64_t)j, ",")) {
			j++;
			while (j <= re &&
			    (is(f, (int64_t)j, "*") || is(f, (int64_t)j, "&") ||
			        word_in(f, (int64_t)j, quals)))
				j++;
			if (j > re || !ident(f, (int64_t)j) ||
			    has(f, (int64_t)j, KW_EXPR) ||
			    !decl_follower(f, j, fr))
				return;
			f->cont[j] = 1;
			j++;
			continue;
		}
		if (f->match[j] > (int64_t)j)
			j = (size_t)f->match[j];
		j++;
	}
}

/* ---- renaming ---- */

static void
touch(struct cfile *f, uint32_t id, size_t k)
{
	if (f->rcount[id]++ == 0) {
		f->touched[f->ntouched++] = id;
		f->rhead[id] = (int64_t)k;
		f->rbad[id] = 0;
	} else {
		f->next_occ[f->rtail[id]] = (int64_t)k;
	}
	f->rtail[id] = (int64_t)k;
	f->next_occ[k] = -1;
}

/* Whether a use of the name at k rules out renaming it. */
static bool
bad_use(const struct cfile *f, size_t k, size_t lo, const struct frame *fr)
{
	int64_t p = (int64_t)k - 1, x = (int64_t)k + 1;

	if (f->risky[k])
		return true;
	if (p >= (int64_t)lo &&
	    (is(f, p, ".") || is(f, p, "->") || is(f, p, "?.") ||
	        is(f, p, "::") || is(f, p, "#") || is(f, p, "@") ||
	        is(f, p, ".*") || is(f, p, "->*") || is(f, p, "$") ||
	        is(f, p, "\\")))
		return true;
	if (is(f, x, "::") || is(f, x, "#"))
		return true;
	if (is(f, x, ":") &&
	    !(fr != NULL && (fr->q > 0 || fr->kind == FR_FORPAREN)))
		return true;
	if (fr != NULL && fr->kind == FR_BRACE &&
	    (is(f, p, "{") || is(f, p, ",")) &&
	    (is(f, x, "}") || is(f, x, ",") || is(f, x, "=") || is(f, x, "(")))
		return true;
	return false;
}

static bool
region_skipped(const struct cfile *f, const struct region *rg)
{
	for (size_t k = rg->rs; k <= rg->re; k++) {
		const struct clex_tok *t = T(f, k);
		if (t->kind == CLEX_PP || (t->flags & CLEX_F_INTERP) ||
		    is(f, (int64_t)k, "\\"))
			return true;
		if (t->kind == CLEX_IDENT &&
		    bytes_in(f->s + t->off, t->len, skip_fn))
			return true;
	}
	return false;
}

struct taken {
	char (*name)[CLEX_NAME_MAX];
	size_t n, cap;
	struct clex_map map;
};

static int
rename_one(struct cfile *f, uint32_t id, struct taken *tk)
{
	char alts[CLEX_ALTS_MAX][CLEX_NAME_MAX];
	const uint8_t *name = f->names.key[id];
	size_t nl = f->names.klen[id], na, q = 1, ns = f->rcount[id];
	struct mark_span *sp = NULL;
	struct mark_text *tx = NULL;
	const char *pick[4];
	int r = 0;

	na = clex_name_alts(name, nl, alts, CLEX_ALTS_MAX);
	for (size_t a = 0; a < na && q < 4; a++) {
		size_t an = strlen(alts[a]);
		if (clex_map_find(&f->names, (const uint8_t *)alts[a], an) >=
		        0 ||
		    clex_avoid((const uint8_t *)alts[a], an, false) ||
		    clex_map_find(&tk->map, (const uint8_t *)alts[a], an) >=
		        0 ||
		    tk->n >= tk->cap)
			continue;
		memcpy(tk->name[tk->n], alts[a], an + 1);
		{
			uint32_t tid;
			if ((r = clex_map_intern(&tk->map,
			         (const uint8_t *)tk->name[tk->n], an, &tid)) <
			    0)
				return r;
		}
		pick[q++] = tk->name[tk->n++];
	}
	if (q < 2)
		return 0;
	sp = malloc(sizeof(*sp) * ns);
	tx = malloc(sizeof(*tx) * ns * q);
	if (sp == NULL || tx == NULL) {
		r = EMB_ENOMEM;
		goto out;
	}
	{
		size_t s = 0;
		for (int64_t k = f->rhead[id]; k >= 0 && s < ns;
		     k = f->next_occ[k], s++) {
			sp[s].off = T(f, (size_t)k)->off;
			sp[s].len = T(f, (size_t)k)->len;
		}
	}
	for (size_t v = 0; v < q; v++)
		for (size_t s = 0; s < ns; s++) {
			tx[v * ns + s].p =
			    v == 0 ? (const char *)name : pick[v];
			tx[v * ns + s].n = v == 0 ? nl : strlen(pick[v]);
		}
	r = mark_set_replace(
	    f->set, MARK_ROBUST, "c.rename", (unsigned)q, sp, ns, tx);
out:
	free(sp);
	free(tx);
	return r;
}

/* Whether every use of id follows a declaration whose scope covers it. */
static bool
covered(const struct cfile *f, uint32_t id)
{
	int64_t reach = -1;
	bool any = false;

	for (int64_t k = f->rhead[id]; k >= 0; k = f->next_occ[k]) {
		if (f->decl_end[k] >= 0) {
			any = true;
			if (f->decl_end[k] > reach)
				reach = f->decl_end[k];
		}
		if (reach < k)
			return false;
	}
	return any;
}

/* Read one function: declarations, uses, frames for the permute rule. */
static void
sweep(struct cfile *f, const struct region *rg, struct frame *stack)
{
	size_t depth = 0;

	memset(f->cont + rg->rs, 0, rg->re - rg->rs + 1);
	for (size_t k = rg->rs; k <= rg->re; k++) {
		const struct clex_tok *t = T(f, k);
		struct frame *fr = depth ? &stack[depth - 1] : NULL;

		f->encl[k] = fr ? (int64_t)fr->open : -1;
		f->decl_end[k] = -1;
		if (is(f, (int64_t)k, "(") || is(f, (int64_t)k, "{") ||
		    is(f, (int64_t)k, "[")) {
			struct frame nf = {k, -1, 0, FR_BRACKET, false};
			if (depth == DEPTH_MAX)
				return;
			if (k == rg->rs) {
				nf.kind = FR_PARAMS;
				nf.scope = (int64_t)rg->re;
				nf.untyped = rg->untyped;
			} else if (is(f, (int64_t)k, "(")) {
				paren_frame(f, k, rg->re, &nf);
			} else if (is(f, (int64_t)k, "{")) {
				nf.kind = brace_kind(f, k, rg->body);
				nf.scope = f->match[k];
			}
			f->fkind[k] = nf.kind;
			stack[depth++] = nf;
			continue;
		}
		if (is(f, (int64_t)k, ")") || is(f, (int64_t)k, "}") ||
		    is(f, (int64_t)k, "]")) {
			if (depth > 0)
				depth--;
			f->encl[k] =
			    depth ? (int64_t)stack[depth - 1].open : -1;
			continue;
		}
		if (is(f, (int64_t)k, "?")) {
			if (fr)
				fr->q++;
			continue;
		}
		if (is(f, (int64_t)k, ":")) {
			if (fr && fr->q > 0)
				fr->q--;
			continue;
		}
		if (t->kind != CLEX_IDENT || f->id[k] == NOID)
			continue;
		touch(f, f->id[k], k);
		if (bad_use(f, k, rg->rs, fr))
			f->rbad[f->id[k]] = 1;
		/* declarations and their scope */
		{
			int64_t scope = -1;
			bool decl = false;
			if (fr == NULL || fr->kind == FR_PARAMS) {
				scope = (int64_t)rg->re;
			} else if (fr->kind == FR_DECLPAREN ||
			    fr->kind == FR_FORPAREN || fr->kind == FR_BLOCK) {
				scope = fr->scope;
			}
			if (is(f, (int64_t)k + 1, "=>")) {
				decl = true;
				scope = arrow_end(f, k + 2, rg->re + 1);
			} else if (scope >= 0 && f->cont[k]) {
				decl = true;
			} else if (scope >= 0 && typed_decl(f, k, rg->rs, fr)) {
				decl = true;
				mark_continuations(f, k, rg->re, fr);
			} else if (scope >= 0 && fr != NULL && fr->untyped &&
			    (fr->kind == FR_PARAMS ||
			        fr->kind == FR_DECLPAREN) &&
			    ((k > 0 && (size_t)k - 1 == fr->open) ||
			        is(f, (int64_t)k - 1, ",") ||
			        is(f, (int64_t)k - 1, "...")) &&
			    (is(f, (int64_t)k + 1, ",") ||
			        is(f, (int64_t)k + 1, ")") ||
			        is(f, (int64_t)k + 1, "="))) {
				decl = true;
			}
			if (decl && scope >= 0)
				f->decl_end[k] = scope;
		}
	}
}

static int
region_renames(struct cfile *f)
{
	struct taken tk = {0};
	size_t neligible = 0;
	int r = 0;

	for (size_t i = 0; i < f->ntouched; i++) {
		uint32_t id = f->touched[i];
		const uint8_t *nm = f->names.key[id];
		size_t nl = f->names.klen[id];
		if (f->rbad[id] || f->gcount[id] != 0 ||
		    (f->idf[id] & (ID_BANNED | ID_FNMACRO | ID_FUNCNAME)) ||
		    f->rcount[id] > MARK_SPANS_MAX || !ascii_name(nm, nl) ||
		    nl + 8 >= CLEX_NAME_MAX || clex_reserved(nm, nl, false) ||
		    !covered(f, id))
			f->rbad[id] = 1;
		else
			neligible++;
	}
	if (neligible == 0)
		return 0;
	tk.cap = neligible * 3;
	tk.name = malloc(sizeof(*tk.name) * tk.cap);
	if (tk.name == NULL)
		return EMB_ENOMEM;
	if ((r = clex_map_init(&tk.map, tk.cap, false)) < 0)
		goto out;
	for (size_t i = 0; i < f->ntouched; i++) {
		uint32_t id = f->touched[i];
		if (!f->rbad[id] && (r = rename_one(f, id, &tk)) < 0)
			goto out;
	}
out:
	clex_map_fini(&tk.map);
	free(tk.name);
	return r;
}

/* ---- declaration order ---- */

struct stmt {
	size_t start, end; /* sig indices; end is the ';' */
	uint32_t decl[STMT_IDS], used[STMT_IDS];
	size_t ndecl, nused;
};

static bool
const_init(const struct cfile *f, size_t *pk, size_t end, int depth)
{
	size_t k = *pk;
	const struct clex_tok *t;

	if (k >= end || depth > 4)
		return false;
	t = T(f, k);
	if (is(f, (int64_t)k, "-") || is(f, (int64_t)k, "+") ||
	    is(f, (int64_t)k, "~") || is(f, (int64_t)k, "!")) {
		k++;
		if (k >= end || T(f, k)->kind != CLEX_NUMBER)
			return false;
		*pk = k + 1;
		return true;
	}
	if (t->kind == CLEX_NUMBER || t->kind == CLEX_CHAR) {
		*pk = k + 1;
		return true;
	}
	if (t->kind == CLEX_STRING) {
		while (k < end && T(f, k)->kind == CLEX_STRING &&
		    !(T(f, k)->flags & (CLEX_F_INTERP | CLEX_F_PART)))
			k++;
		if (k < end && T(f, k)->kind == CLEX_STRING)
			return false;
		*pk = k;
		return true;
	}
	if (has(f, (int64_t)k, KW_CONST)) {
		*pk = k + 1;
		return true;
	}
	if (is(f, (int64_t)k, "{") || is(f, (int64_t)k, "[")) {
		int64_t c = f->match[k];
		if (c < 0 || (size_t)c >= end)
			return false;
		k++;
		while (k < (size_t)c) {
			if (!const_init(f, &k, (size_t)c, depth + 1))
				return false;
			if (k < (size_t)c && !is(f, (int64_t)k, ","))
				return false;
			if (k < (size_t)c)
				k++;
		}
		*pk = (size_t)c + 1;
		return true;
	}
	return false;
}

static bool
plain_type(const struct cfile *f, size_t k)
{
	const struct clex_tok *t = T(f, k);
	const uint8_t *p = f->s + t->off;

	if (has(f, (int64_t)k, KW_PLAIN))
		return true;
	if (t->len > 2 && p[t->len - 2] == '_' && p[t->len - 1] == 't')
		return true;
	if (all_caps(p, t->len))
		return true;
	return k > 0 &&
	    (word(f, (int64_t)k - 1, "struct") ||
	        word(f, (int64_t)k - 1, "union") ||
	        word(f, (int64_t)k - 1, "enum"));
}

static bool
add_id(uint32_t *arr, size_t *n, uint32_t id)
{
	for (size_t i = 0; i < *n; i++)
		if (arr[i] == id)
			return true;
	if (*n >= STMT_IDS)
		return false;
	arr[(*n)++] = id;
	return true;
}

/* Parse "T... d [= c] (, d [= c])* ;" at k; false if it is not one. */
static bool
parse_decl(const struct cfile *f, size_t k, size_t re, struct stmt *st)
{
	size_t j = k, types = 0, limit = k + STMT_MAX;
	bool plain = true, all_ptr = true;

	if (limit > re)
		limit = re;
	st->start = k;
	st->ndecl = st->nused = 0;
	/* type words */
	while (j < limit && ident(f, (int64_t)j) &&
	    (ident(f, (int64_t)j + 1) || is(f, (int64_t)j + 1, "*") ||
	        (is(f, (int64_t)j + 1, "[") && is(f, (int64_t)j + 2, "]")))) {
		if (has(f, (int64_t)j, KW_EXPR) &&
		    !has(f, (int64_t)j, KW_PLAIN))
			return false;
		plain &= plain_type(f, j);
		if (!add_id(st->used, &st->nused, f->id[j]))
			return false;
		types++;
		j++;
		while (is(f, (int64_t)j, "[") && is(f, (int64_t)j + 1, "]"))
			j += 2;
	}
	if (types == 0)
		return false;
	/* declarators */
	for (;;) {
		bool ptr = false;
		while (j < limit && is(f, (int64_t)j, "*")) {
			ptr = true;
			j++;
		}
		if (j >= limit || !ident(f, (int64_t)j) ||
		    has(f, (int64_t)j, KW_EXPR))
			return false;
		all_ptr &= ptr;
		if (!add_id(st->decl, &st->ndecl, f->id[j]) ||
		    !add_id(st->used, &st->nused, f->id[j]))
			return false;
		j++;
		while (j + 2 < limit && is(f, (int64_t)j, "[")) {
			if (is(f, (int64_t)j + 1, "]")) {
				j += 2;
				continue;
			}
			if (!(T(f, j + 1)->kind == CLEX_NUMBER ||
			        ident(f, (int64_t)j + 1)) ||
			    !is(f, (int64_t)j + 2, "]"))
				return false;
			if (ident(f, (int64_t)j + 1) &&
			    !add_id(st->used, &st->nused, f->id[j + 1]))
				return false;
			j += 3;
		}
		if (j < limit && is(f, (int64_t)j, "=")) {
			j++;
			if (!const_init(f, &j, limit, 0))
				return false;
		}
		if (j < limit && is(f, (int64_t)j, ",")) {
			j++;
			continue;
		}
		if (j <= re && is(f, (int64_t)j, ";"))
			break;
		return false;
	}
	if (!plain && !all_ptr)
		return false;
	st->end = j;
	return true;
}

static bool
independent(const struct stmt *a, const struct stmt *b)
{
	for (size_t i = 0; i < a->ndecl; i++)
		for (size_t j = 0; j < b->nused; j++)
			if (a->decl[i] == b->used[j])
				return false;
	for (size_t i = 0; i < b->ndecl; i++)
		for (size_t j = 0; j < a->nused; j++)
			if (b->decl[i] == a->used[j])
				return false;
	return true;
}

/* The statement's text, with a comment trailing it on the same line. */
static struct mark_span
stmt_span(const struct cfile *f, const struct stmt *st)
{
	const struct clex_tok *a = T(f, st->start), *b = T(f, st->end);
	size_t ti = f->sig[st->end] + 1;
	struct mark_span sp;

	sp.off = a->off;
	sp.len = b->off + b->len - a->off;
	if (ti < f->lx.n && f->lx.tok[ti].kind == CLEX_COMMENT &&
	    !(f->lx.tok[ti].flags & CLEX_F_NL) &&
	    memchr(f->s + f->lx.tok[ti].off, '\n', f->lx.tok[ti].len) == NULL)
		sp.len = f->lx.tok[ti].off + f->lx.tok[ti].len - a->off;
	return sp;
}

static int
emit_group(struct cfile *f, const struct stmt *g, size_t n)
{
	struct mark_span sp[3];

	if (n < 2)
		return 0;
	for (size_t i = 0; i < n; i++)
		sp[i] = stmt_span(f, &g[i]);
	return mark_set_permute(f->set, MARK_ROBUST, "c.decl_order", sp, n);
}

static int
region_permutes(struct cfile *f, const struct region *rg)
{
	struct stmt g[3];
	size_t ng = 0;
	int r;

	for (size_t k = rg->body + 1; k < rg->re; k++) {
		int64_t e = f->encl[k], p = (int64_t)k - 1;
		struct stmt st;
		bool start;

		if (!ident(f, (int64_t)k) || e < 0 || f->fkind[e] != FR_BLOCK)
			continue;
		start = p == e || (is(f, p, ";") && f->encl[p] == e) ||
		    (is(f, p, "}") && f->encl[p] == e);
		if (!start || !parse_decl(f, k, rg->re, &st))
			continue;
		if (ng > 0 &&
		    (g[ng - 1].end + 1 != st.start ||
		        f->encl[g[ng - 1].start] != e)) {
			if ((r = emit_group(f, g, ng)) < 0)
				return r;
			ng = 0;
		}
		for (size_t i = 0; i < ng; i++)
			if (!independent(&g[i], &st)) {
				if ((r = emit_group(f, g, ng)) < 0)
					return r;
				ng = 0;
				break;
			}
		g[ng++] = st;
		if (ng == 3) {
			if ((r = emit_group(f, g, ng)) < 0)
				return r;
			ng = 0;
		}
		k = st.end;
	}
	return emit_group(f, g, ng);
}

static int
analyze_region(struct cfile *f, const struct region *rg, struct frame *stack)
{
	int r;

	if (region_skipped(f, rg))
		return 0;
	f->ntouched = 0;
	sweep(f, rg, stack);
	if ((r = region_renames(f)) < 0)
		goto out;
	r = region_permutes(f, rg);
out:
	for (size_t i = 0; i < f->ntouched; i++)
		f->rcount[f->touched[i]] = 0;
	f->ntouched = 0;
	return r;
}

static int
code_sites(struct cfile *f)
{
	struct region *regs = NULL;
	struct frame *stack = NULL;
	size_t nregs = 0, cap = 0, nid = f->names.n ? f->names.n : 1;
	int64_t last_end = -1;
	int r = 0;

	f->gcount = calloc(nid, sizeof(*f->gcount));
	f->rcount = calloc(nid, sizeof(*f->rcount));
	f->rhead = calloc(nid, sizeof(*f->rhead));
	f->rtail = calloc(nid, sizeof(*f->rtail));
	f->rbad = calloc(nid, 1);
	f->touched = calloc(nid, sizeof(*f->touched));
	f->next_occ = calloc(f->ns + 1, sizeof(*f->next_occ));
	f->decl_end = calloc(f->ns + 1, sizeof(*f->decl_end));
	f->encl = calloc(f->ns + 1, sizeof(*f->encl));
	f->fkind = calloc(f->ns + 1, 1);
	f->cont = calloc(f->ns + 1, 1);
	stack = calloc(DEPTH_MAX, sizeof(*stack));
	if (f->gcount == NULL || f->rcount == NULL || f->rhead == NULL ||
	    f->rtail == NULL || f->rbad == NULL || f->touched == NULL ||
	    f->next_occ == NULL || f->decl_end == NULL || f->encl == NULL ||
	    f->fkind == NULL || f->cont == NULL || stack == NULL) {
		r = EMB_ENOMEM;
		goto out;
	}
	/* functions, outermost only, and the names they define */
	for (size_t k = 0; k < f->ns; k++) {
		struct region rg;
		if (!is(f, (int64_t)k, "{") || f->match[k] <= (int64_t)k)
			continue;
		if (!func_body(f, k, &rg) || (int64_t)rg.rs <= last_end)
			continue;
		if (nregs == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct region *p = realloc(regs, nc * sizeof(*p));
			if (p == NULL) {
				r = EMB_ENOMEM;
				goto out;
			}
			regs = p;
			cap = nc;
		}
		regs[nregs++] = rg;
		if (rg.rs > 0 && ident(f, (int64_t)rg.rs - 1) &&
		    is(f, (int64_t)rg.rs, "("))
			f->idf[f->id[rg.rs - 1]] |= ID_FUNCNAME;
		last_end = (int64_t)rg.re;
		k = rg.re;
	}
	{
		size_t ri = 0;
		for (size_t k = 0; k < f->ns; k++) {
			while (ri < nregs && regs[ri].re < k)
				ri++;
			if (f->id[k] != NOID &&
			    !(ri < nregs && regs[ri].rs <= k))
				f->gcount[f->id[k]]++;
		}
	}
	if ((r = cfile_risky(f)) < 0)
		goto out;
	for (size_t i = 0; i < nregs; i++)
		if ((r = analyze_region(f, &regs[i], stack)) < 0)
			goto out;
	/* literals */
	for (size_t k = 0; k < f->ns; k++) {
		const struct clex_tok *t = T(f, k);
		char forms[3][24];
		struct mark_text tx[3];
		struct mark_span sp;
		unsigned q;
		int next;

		if (t->kind != CLEX_NUMBER || f->risky[k])
			continue;
		next = t->off + t->len < f->len ? f->s[t->off + t->len] : -1;
		q = clex_int_forms(
		    f->s + t->off, t->len, CLEX_INT_SUFFIX_C, next, forms);
		if (q < 2)
			continue;
		for (unsigned v = 0; v < q; v++) {
			tx[v].p = forms[v];
			tx[v].n = strlen(forms[v]);
		}
		sp.off = t->off;
		sp.len = t->len;
		if ((r = mark_set_replace(
		         f->set, MARK_ROBUST, "c.int", q, &sp, 1, tx)) < 0)
			goto out;
	}
out:
	free(regs);
	free(stack);
	return r;
}

static int
fragile_sites(struct cfile *f)
{
	size_t ti = 0;
	int r;

	for (size_t i = 0; i < f->lx.n; i++) {
		const struct clex_tok *t = &f->lx.tok[i];
		if (t->kind == CLEX_COMMENT &&
		    (r = clex_comment_sites(
		         f->set, t->off, t->len, "c.comment")) < 0)
			return r;
	}
	if (f->lx.suspect)
		return 0;
	for (size_t p = 0; p < f->len; p++) {
		const struct clex_tok *t;
		if (f->s[p] != '\n')
			continue;
		while (
		    ti < f->lx.n && f->lx.tok[ti].off + f->lx.tok[ti].len <= p)
			ti++;
		t = ti < f->lx.n ? &f->lx.tok[ti] : NULL;
		if (t != NULL && t->off <= p &&
		    (t->kind == CLEX_STRING || t->kind == CLEX_CHAR ||
		        t->kind == CLEX_REGEX))
			continue;
		if ((r = clex_trailing_site(f->set, p, "c.trailing_ws")) < 0)
			return r;
	}
	return 0;
}

/*
 * C-family discovery (see the top of this file).  Adds sites to set; a
 * text it cannot tokenize gets none.  EMB_ENOMEM only: a full set just
 * ends discovery.
 */
int
mark_lang_c(struct mark_set *set)
{
	struct cfile f;
	int r;

	memset(&f, 0, sizeof(f));
	f.set = set;
	f.s = set->text;
	f.len = set->len;
	if (f.len == 0)
		return 0;
	if ((r = clex_lex(&f.lx, f.s, f.len)) < 0)
		goto out;
	if (f.lx.bad)
		goto out;
	if ((r = cfile_tokens(&f)) < 0 || (r = cfile_bans(&f)) < 0)
		goto out;
	if (f.code_ok && (r = code_sites(&f)) < 0)
		goto out;
	r = fragile_sites(&f);
out:
	if (r == EMB_ETOOBIG)
		r = 0; /* the set is full: what we have stays */
	clex_fini(&f.lx);
	clex_map_fini(&f.names);
	free(f.sig);
	free(f.match);
	free(f.id);
	free(f.idf);
	free(f.kwf);
	free(f.gcount);
	free(f.risky);
	free(f.rcount);
	free(f.rhead);
	free(f.rtail);
	free(f.rbad);
	free(f.touched);
	free(f.next_occ);
	free(f.decl_end);
	free(f.encl);
	free(f.fkind);
	free(f.cont);
	return r;
}
