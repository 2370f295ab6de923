/*
 * Shared helpers of the C-family, shell and PowerShell discoverers; see
 * clex.h for the ideas.
 */
#include <stdlib.h>
#include <string.h>

#include "mark/clex.h"
#include "common/emb.h"

/* ---- C-family tokenizer ---- */

struct lexer {
	const uint8_t *s;
	size_t len, i;
	struct clex *lx;
	uint8_t nl; /* CLEX_F_NL pending for the next token */
	bool line_start; /* only blanks and comments so far on this line */
	int prev; /* index of the last significant token, or -1 */
	uint32_t braces; /* open { in code */
	uint32_t tmpl[CLEX_NEST_MAX];
	size_t ntmpl;
};

static int
push(struct lexer *L, size_t off, size_t end, unsigned kind, unsigned flags)
{
	struct clex *lx = L->lx;

	if (lx->n >= CLEX_TOKENS_MAX || end > UINT32_MAX) {
		lx->bad = true;
		return 0;
	}
	if (lx->n == lx->cap) {
		size_t ncap = lx->cap ? lx->cap * 2 : 256;
		struct clex_tok *p;
		if (ncap > CLEX_TOKENS_MAX)
			ncap = CLEX_TOKENS_MAX;
		p = realloc(lx->tok, ncap * sizeof(*p));
		if (p == NULL)
			return EMB_ENOMEM;
		lx->tok = p;
		lx->cap = ncap;
	}
	lx->tok[lx->n].off = (uint32_t)off;
	lx->tok[lx->n].len = (uint32_t)(end - off);
	lx->tok[lx->n].kind = (uint8_t)kind;
	lx->tok[lx->n].flags = (uint8_t)(flags | L->nl);
	if (kind != CLEX_COMMENT)
		L->prev = (int)lx->n;
	lx->n++;
	L->nl = 0;
	L->line_start = false;
	return 0;
}

bool
clex_is(const uint8_t *s, const struct clex_tok *t, const char *p)
{
	size_t n = strlen(p);

	return t->kind == CLEX_PUNCT && t->len == n &&
	    memcmp(s + t->off, p, n) == 0;
}

static bool
ident_byte(int c)
{
	return clex_alnum(c) || c == '$' || c >= 0x80;
}

static bool
tok_word(const struct lexer *L, const struct clex_tok *t, const char *w)
{
	size_t n = strlen(w);

	return t->kind == CLEX_IDENT && t->len == n &&
	    memcmp(L->s + t->off, w, n) == 0;
}

/* Whether a '/' here starts a regular expression rather than a division. */
static bool
regex_allowed(const struct lexer *L)
{
	static const char *const kw[] = {"return", "typeof", "case", "do",
	    "else", "in", "instanceof", "new", "delete", "void", "throw",
	    "yield", "await", "of"};
	const struct clex_tok *t;

	if (L->prev < 0)
		return true;
	t = &L->lx->tok[L->prev];
	switch (t->kind) {
	case CLEX_PUNCT:
		return !(clex_is(L->s, t, ")") || clex_is(L->s, t, "]") ||
		    clex_is(L->s, t, "}") || clex_is(L->s, t, "++") ||
		    clex_is(L->s, t, "--"));
	case CLEX_IDENT:
		for (size_t k = 0; k < EMB_ARRAY_LEN(kw); k++)
			if (tok_word(L, t, kw[k]))
				return true;
		return false;
	case CLEX_PP:
		return true;
	default:
		return false;
	}
}

/* End of a regular expression starting at '/' at i, or 0 if it is none. */
static size_t
scan_regex(const struct lexer *L, size_t i)
{
	bool cls = false;
	size_t j = i + 1;

	if (j >= L->len || L->s[j] == '/' || L->s[j] == '*')
		return 0;
	while (j < L->len) {
		uint8_t c = L->s[j];
		if (c == '\n' || c == '\r')
			return 0;
		if (c == '\\') {
			if (j + 1 >= L->len || L->s[j + 1] == '\n')
				return 0;
			j += 2;
			continue;
		}
		if (c == '[')
			cls = true;
		else if (c == ']')
			cls = false;
		else if (c == '/' && !cls)
			break;
		j++;
	}
	if (j >= L->len)
		return 0;
	j++;
	while (j < L->len && clex_alpha(L->s[j]))
		j++;
	return j;
}

/*
 * End of a quoted literal whose body starts at j, closed by q; backslash
 * escapes.  0 when a line ends first or the text does.
 */
static size_t
scan_quoted(const struct lexer *L, size_t j, uint8_t q)
{
	while (j < L->len) {
		uint8_t c = L->s[j];
		if (c == '\\') {
			j += 2;
			if (j < L->len && L->s[j - 1] == '\r' &&
			    L->s[j] == '\n')
				j++;
			continue;
		}
		if (c == q)
			return j + 1;
		if (c == '\n')
			return 0;
		j++;
	}
	return 0;
}

/* Java and C# text blocks: """ then a line break, up to the next """. */
static size_t
scan_text_block(const struct lexer *L, size_t i)
{
	size_t j = i + 3;

	while (j < L->len &&
	    (L->s[j] == ' ' || L->s[j] == '\t' || L->s[j] == '\r'))
		j++;
	if (j >= L->len || L->s[j] != '\n')
		return 0;
	while (j + 2 < L->len) {
		if (L->s[j] == '\\') {
			j += 2;
			continue;
		}
		if (L->s[j] == '"' && L->s[j + 1] == '"' &&
		    L->s[j + 2] == '"') {
			j += 3;
			while (j < L->len && L->s[j] == '"')
				j++;
			return j;
		}
		j++;
	}
	return SIZE_MAX;
}

/*
 * C# strings: verbatim @"..." ("" is a quote) and interpolated $"...",
 * whose {holes} may hold nested simple strings.  j is the opening quote.
 */
static size_t
scan_csharp(const struct lexer *L, size_t j, bool verbatim, bool interp)
{
	size_t depth = 0;

	for (j++; j < L->len; j++) {
		uint8_t c = L->s[j];
		if (depth > 0) {
			if (c == '"' || c == '\'') {
				size_t e = scan_quoted(L, j + 1, c);
				if (e == 0)
					return 0;
				j = e - 1;
			} else if (c == '{') {
				depth++;
			} else if (c == '}') {
				depth--;
			}
			continue;
		}
		if (interp && c == '{') {
			if (j + 1 < L->len && L->s[j + 1] == '{')
				j++;
			else
				depth = 1;
			continue;
		}
		if (!verbatim && c == '\\') {
			j++;
			continue;
		}
		if (!verbatim && c == '\n')
			return 0;
		if (c == '"') {
			if (verbatim && j + 1 < L->len && L->s[j + 1] == '"') {
				j++;
				continue;
			}
			return j + 1;
		}
	}
	return 0;
}

/* C++ raw string R"delim( ... )delim"; j is the opening quote. */
static size_t
scan_raw(const struct lexer *L, size_t j)
{
	size_t d0 = j + 1, d1 = d0;

	while (d1 < L->len && d1 - d0 <= 16 && L->s[d1] != '(') {
		uint8_t c = L->s[d1];
		if (c == ' ' || c == ')' || c == '\\' || c == '\n' ||
		    c == '\t' || c == '"')
			return 0;
		d1++;
	}
	if (d1 >= L->len || L->s[d1] != '(')
		return 0;
	for (size_t k = d1 + 1; k < L->len; k++) {
		size_t dl = d1 - d0;
		if (L->s[k] == ')' && k + 1 + dl < L->len &&
		    memcmp(L->s + k + 1, L->s + d0, dl) == 0 &&
		    L->s[k + 1 + dl] == '"')
			return k + 2 + dl;
	}
	return 0;
}

/* A preprocessor line from '#' at i, with continuations and comments. */
static size_t
scan_pp(struct lexer *L, size_t i)
{
	size_t j = i;

	while (j < L->len) {
		uint8_t c = L->s[j];
		if (c == '\n') {
			size_t b = j;
			if (b > i && L->s[b - 1] == '\r')
				b--;
			if (b > i && L->s[b - 1] == '\\') {
				j++;
				continue;
			}
			break;
		}
		if (c == '/' && j + 1 < L->len && L->s[j + 1] == '*') {
			const uint8_t *e =
			    memmem(L->s + j + 2, L->len - j - 2, "*/", 2);
			if (e == NULL) {
				L->lx->bad = true;
				return L->len;
			}
			j = (size_t)(e - L->s) + 2;
			continue;
		}
		if (c == '/' && j + 1 < L->len && L->s[j + 1] == '/') {
			const uint8_t *e = memchr(L->s + j, '\n', L->len - j);
			j = e ? (size_t)(e - L->s) : L->len;
			continue;
		}
		if (c == '"' || c == '\'') {
			size_t e = scan_quoted(L, j + 1, c);
			if (e == 0) {
				const uint8_t *nl =
				    memchr(L->s + j, '\n', L->len - j);
				j = nl ? (size_t)(nl - L->s) : L->len;
				continue;
			}
			j = e;
			continue;
		}
		j++;
	}
	return j;
}

/* The end of a template literal piece starting at j (after ` or }). */
static int
lex_template(struct lexer *L, size_t start, size_t j, bool resumed)
{
	while (j < L->len) {
		uint8_t c = L->s[j];
		if (c == '\\') {
			j += 2;
			continue;
		}
		if (c == '`') {
			L->i = j + 1;
			return push(L, start, j + 1, CLEX_STRING,
			    resumed ? CLEX_F_PART : 0);
		}
		if (c == '$' && j + 1 < L->len && L->s[j + 1] == '{') {
			if (L->ntmpl >= CLEX_NEST_MAX) {
				L->lx->bad = true;
				return 0;
			}
			L->tmpl[L->ntmpl++] = L->braces;
			L->i = j + 2;
			return push(L, start, j + 2, CLEX_STRING, CLEX_F_PART);
		}
		j++;
	}
	L->lx->bad = true;
	return 0;
}

static const char *const puncts[] = {"===", "!==", "&&=", "||=", "?\?=", "...",
    "->*", "::", "->", "=>", "++", "--", "&&", "||",
    "==", "!=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "??", "?.",
    "##", "<%", "%>", "%:", ".*"};

static int
lex_punct(struct lexer *L)
{
	size_t i = L->i;

	for (size_t k = 0; k < EMB_ARRAY_LEN(puncts); k++) {
		size_t n = strlen(puncts[k]);
		if (L->len - i < n || memcmp(L->s + i, puncts[k], n) != 0)
			continue;
		if (k >= 2 && strcmp(puncts[k], "?.") == 0 && i + 2 < L->len &&
		    clex_digit(L->s[i + 2]))
			continue;
		if (strcmp(puncts[k], "<%") == 0 ||
		    strcmp(puncts[k], "%>") == 0 ||
		    strcmp(puncts[k], "%:") == 0)
			L->lx->suspect = true; /* digraphs */
		L->i = i + n;
		return push(L, i, i + n, CLEX_PUNCT, 0);
	}
	L->i = i + 1;
	return push(L, i, i + 1, CLEX_PUNCT, 0);
}

static size_t
scan_number(const struct lexer *L, size_t j)
{
	while (j < L->len) {
		uint8_t c = L->s[j];
		if ((c == '+' || c == '-') &&
		    (L->s[j - 1] == 'e' || L->s[j - 1] == 'E' ||
		        L->s[j - 1] == 'p' || L->s[j - 1] == 'P')) {
			j++;
			continue;
		}
		if (c == '\'' && j + 1 < L->len && clex_alnum(L->s[j + 1]) &&
		    clex_alnum(L->s[j - 1])) {
			j++;
			continue;
		}
		if (!clex_alnum(c) && c != '.')
			break;
		j++;
	}
	return j;
}

static bool
raw_prefix(const uint8_t *p, size_t n)
{
	return (n == 1 && p[0] == 'R') ||
	    (n == 2 && (p[0] == 'L' || p[0] == 'u' || p[0] == 'U') &&
	        p[1] == 'R') ||
	    (n == 3 && memcmp(p, "u8R", 3) == 0);
}

static bool
enc_prefix(const uint8_t *p, size_t n)
{
	return (n == 1 && (p[0] == 'L' || p[0] == 'u' || p[0] == 'U')) ||
	    (n == 2 && p[0] == 'u' && p[1] == '8');
}

/* One token (or some white space) at L->i. */
static int
lex_one(struct lexer *L)
{
	const uint8_t *s = L->s;
	size_t i = L->i, len = L->len, e;
	uint8_t c = s[i];

	if (c == '\n') {
		L->nl = CLEX_F_NL;
		L->line_start = true;
		L->i++;
		return 0;
	}
	if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
		L->i++;
		return 0;
	}
	if (c == '#' && L->line_start) {
		e = scan_pp(L, i);
		L->i = e;
		return push(L, i, e, CLEX_PP, 0);
	}
	if (c == '/' && i + 1 < len && s[i + 1] == '/') {
		const uint8_t *nl = memchr(s + i, '\n', len - i);
		bool ls = L->line_start;
		int r;
		e = nl ? (size_t)(nl - s) : len;
		if (e > i + 2 &&
		    (s[e - 1] == '\\' ||
		        (s[e - 1] == '\r' && s[e - 2] == '\\')))
			L->lx->suspect = true; /* C splices the next line */
		L->i = e;
		r = push(L, i, e, CLEX_COMMENT, 0);
		L->line_start = ls;
		return r;
	}
	if (c == '/' && i + 1 < len && s[i + 1] == '*') {
		const uint8_t *end = memmem(s + i + 2, len - i - 2, "*/", 2);
		bool ls = L->line_start;
		int r;
		if (end == NULL) {
			L->lx->bad = true;
			return 0;
		}
		e = (size_t)(end - s) + 2;
		L->i = e;
		r = push(L, i, e, CLEX_COMMENT, 0);
		L->line_start = ls;
		return r;
	}
	if (c == '/' && regex_allowed(L) && (e = scan_regex(L, i)) != 0) {
		L->i = e;
		return push(L, i, e, CLEX_REGEX, 0);
	}
	if (c == '"') {
		if (i + 2 < len && s[i + 1] == '"' && s[i + 2] == '"' &&
		    (e = scan_text_block(L, i)) != 0) {
			if (e == SIZE_MAX) {
				L->lx->bad = true;
				return 0;
			}
		} else if ((e = scan_quoted(L, i + 1, '"')) == 0) {
			L->lx->bad = true;
			return 0;
		}
		L->i = e;
		return push(L, i, e, CLEX_STRING, 0);
	}
	if (c == '\'') {
		if ((e = scan_quoted(L, i + 1, '\'')) == 0) {
			L->lx->bad = true;
			return 0;
		}
		L->i = e;
		return push(L, i, e, CLEX_CHAR, 0);
	}
	if (c == '`')
		return lex_template(L, i, i + 1, false);
	if ((c == '@' || c == '$') && i + 1 < len) {
		/* C#: @"..", $"..", $@"..", @$".." */
		bool verb = c == '@', interp = c == '$';
		size_t q = i + 1;
		if ((s[q] == '@' && interp) || (s[q] == '$' && verb)) {
			verb = interp = true;
			q++;
		}
		if (q < len && s[q] == '"' &&
		    (i == 0 || !ident_byte(s[i - 1]))) {
			if (interp && q + 2 < len && s[q + 1] == '"' &&
			    s[q + 2] == '"') {
				L->lx->bad = true; /* C# 11 raw strings */
				return 0;
			}
			if ((e = scan_csharp(L, q, verb, interp)) == 0) {
				L->lx->bad = true;
				return 0;
			}
			L->i = e;
			return push(
			    L, i, e, CLEX_STRING, interp ? CLEX_F_INTERP : 0);
		}
	}
	if (clex_digit(c) ||
	    (c == '.' && i + 1 < len && clex_digit(s[i + 1]))) {
		e = scan_number(L, i + 1);
		L->i = e;
		return push(L, i, e, CLEX_NUMBER, 0);
	}
	if (ident_byte(c)) {
		e = i + 1;
		while (e < len && ident_byte(s[e]))
			e++;
		if (e < len && s[e] == '"' && raw_prefix(s + i, e - i)) {
			size_t r = scan_raw(L, e);
			if (r == 0) {
				L->lx->bad = true;
				return 0;
			}
			L->i = r;
			return push(L, i, r, CLEX_STRING, 0);
		}
		if (e < len && (s[e] == '"' || s[e] == '\'') &&
		    enc_prefix(s + i, e - i)) {
			size_t r = scan_quoted(L, e + 1, s[e]);
			if (r == 0) {
				L->lx->bad = true;
				return 0;
			}
			L->i = r;
			return push(
			    L, i, r, s[e] == '"' ? CLEX_STRING : CLEX_CHAR, 0);
		}
		L->i = e;
		return push(L, i, e, CLEX_IDENT, 0);
	}
	if (c == '\\' && i + 1 < len &&
	    (s[i + 1] == '\n' ||
	        (s[i + 1] == '\r' && i + 2 < len && s[i + 2] == '\n')))
		L->lx->suspect = true; /* a line splice in code */
	if (c == '{') {
		L->braces++;
	} else if (c == '}') {
		if (L->ntmpl > 0 && L->tmpl[L->ntmpl - 1] == L->braces) {
			L->ntmpl--;
			return lex_template(L, i, i + 1, true);
		}
		if (L->braces > 0)
			L->braces--;
	}
	return lex_punct(L);
}

int
clex_lex(struct clex *lx, const uint8_t *s, size_t len)
{
	struct lexer L = {0};
	int r;

	L.s = s;
	L.len = len;
	L.lx = lx;
	L.line_start = true;
	L.prev = -1;
	lx->n = 0;
	lx->bad = lx->suspect = false;
	if (len > UINT32_MAX - 1) {
		lx->bad = true;
		return 0;
	}
	for (size_t k = 0; k + 2 < len; k++)
		if (s[k] == '?' && s[k + 1] == '?' &&
		    strchr("=/'()!<>-", s[k + 2]) != NULL && s[k + 2] != 0)
			lx->suspect = true;
	while (L.i < len && !lx->bad)
		if ((r = lex_one(&L)) < 0)
			return r;
	if (L.ntmpl > 0)
		lx->bad = true;
	return 0;
}

void
clex_fini(struct clex *lx)
{
	free(lx->tok);
	memset(lx, 0, sizeof(*lx));
}

/* ---- identifier map ---- */

static uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

static uint32_t
hash_bytes(const uint8_t *p, size_t n, bool fold)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= fold ? lower(p[i]) : p[i];
		h *= 16777619u;
	}
	return h;
}

static bool
same_bytes(const uint8_t *a, const uint8_t *b, size_t n, bool fold)
{
	if (!fold)
		return memcmp(a, b, n) == 0;
	for (size_t i = 0; i < n; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

int
clex_map_init(struct clex_map *m, size_t max, bool fold)
{
	size_t cap = 16;

	memset(m, 0, sizeof(*m));
	if (max > (size_t)UINT32_MAX / 4)
		return EMB_ETOOBIG;
	while (cap < max * 2)
		cap *= 2;
	m->slot = calloc(cap, sizeof(*m->slot));
	m->key = calloc(max ? max : 1, sizeof(*m->key));
	m->klen = calloc(max ? max : 1, sizeof(*m->klen));
	if (m->slot == NULL || m->key == NULL || m->klen == NULL) {
		clex_map_fini(m);
		return EMB_ENOMEM;
	}
	m->cap = cap;
	m->max = max;
	m->fold = fold;
	return 0;
}

void
clex_map_fini(struct clex_map *m)
{
	free(m->slot);
	free(m->key);
	free(m->klen);
	memset(m, 0, sizeof(*m));
}

static size_t
map_probe(const struct clex_map *m, const uint8_t *p, size_t n)
{
	size_t h = hash_bytes(p, n, m->fold) & (m->cap - 1);

	for (;;) {
		uint32_t v = m->slot[h];
		if (v == 0)
			return h;
		if (m->klen[v - 1] == n &&
		    same_bytes(m->key[v - 1], p, n, m->fold))
			return h;
		h = (h + 1) & (m->cap - 1);
	}
}

int
clex_map_intern(
    struct clex_map *m, const uint8_t *p, size_t n, uint32_t *ret_id)
{
	size_t h;

	if (m->cap == 0 || n > UINT32_MAX)
		return EMB_ETOOBIG;
	h = map_probe(m, p, n);
	if (m->slot[h] == 0) {
		if (m->n >= m->max)
			return EMB_ETOOBIG;
		m->key[m->n] = p;
		m->klen[m->n] = (uint32_t)n;
		m->slot[h] = (uint32_t)++m->n;
	}
	*ret_id = m->slot[h] - 1;
	return 0;
}

int64_t
clex_map_find(const struct clex_map *m, const uint8_t *p, size_t n)
{
	size_t h;

	if (m->cap == 0)
		return -1;
	h = map_probe(m, p, n);
	return m->slot[h] ? (int64_t)m->slot[h] - 1 : -1;
}

/* ---- reserved names ---- */

/* Sorted by ASCII-lower-cased bytes, then by bytes. */
static const char *const reserved[] = {
    "__asm",
    "__asm__",
    "__attribute__",
    "__declspec",
    "__extension__",
    "__FILE__",
    "__func__",
    "__FUNCTION__",
    "__inline",
    "__LINE__",
    "__proto__",
    "__restrict",
    "__typeof__",
    "__volatile__",
    "_Alignas",
    "_Alignof",
    "_Atomic",
    "_Bool",
    "_Complex",
    "_Generic",
    "_Imaginary",
    "_Noreturn",
    "_Static_assert",
    "_Thread_local",
    "abstract",
    "alignas",
    "alignof",
    "and",
    "and_eq",
    "arguments",
    "as",
    "asm",
    "assert",
    "async",
    "auto",
    "await",
    "base",
    "bitand",
    "bitor",
    "bool",
    "boolean",
    "break",
    "byte",
    "case",
    "catch",
    "cdecl",
    "char",
    "char16_t",
    "char32_t",
    "char8_t",
    "checked",
    "class",
    "co_await",
    "co_return",
    "co_yield",
    "compl",
    "complex",
    "concept",
    "console",
    "const",
    "const_cast",
    "consteval",
    "constexpr",
    "constinit",
    "constructor",
    "continue",
    "debugger",
    "decimal",
    "decltype",
    "default",
    "delegate",
    "delete",
    "do",
    "document",
    "double",
    "dynamic_cast",
    "else",
    "enum",
    "environ",
    "EOF",
    "errno",
    "eval",
    "event",
    "explicit",
    "export",
    "exports",
    "extends",
    "extern",
    "FALSE",
    "false",
    "far",
    "final",
    "finally",
    "fixed",
    "float",
    "for",
    "foreach",
    "friend",
    "function",
    "globalThis",
    "goto",
    "h_addr",
    "hyper",
    "I",
    "i386",
    "if",
    "ifr_addr",
    "ifr_name",
    "imaginary",
    "implements",
    "implicit",
    "import",
    "in",
    "Infinity",
    "inline",
    "instanceof",
    "int",
    "interface",
    "internal",
    "is",
    "linux",
    "lock",
    "long",
    "longjmp",
    "main",
    "major",
    "makedev",
    "max",
    "min",
    "minor",
    "module",
    "mutable",
    "nameof",
    "namespace",
    "NaN",
    "native",
    "near",
    "new",
    "noexcept",
    "noreturn",
    "not",
    "not_eq",
    "NULL",
    "null",
    "nullptr",
    "object",
    "of",
    "offsetof",
    "operator",
    "optarg",
    "opterr",
    "optind",
    "optopt",
    "or",
    "or_eq",
    "out",
    "override",
    "package",
    "params",
    "pascal",
    "permits",
    "private",
    "process",
    "protected",
    "prototype",
    "public",
    "readonly",
    "ref",
    "register",
    "reinterpret_cast",
    "require",
    "requires",
    "restrict",
    "return",
    "s_addr",
    "sa_handler",
    "sa_sigaction",
    "sbyte",
    "sealed",
    "self",
    "setjmp",
    "short",
    "si_pid",
    "si_uid",
    "signed",
    "sizeof",
    "small",
    "st_atime",
    "st_ctime",
    "st_mtime",
    "stackalloc",
    "static",
    "static_assert",
    "static_cast",
    "std",
    "stderr",
    "stdin",
    "stdout",
    "strictfp",
    "string",
    "struct",
    "super",
    "switch",
    "synchronized",
    "template",
    "this",
    "thread_local",
    "throw",
    "throws",
    "transient",
    "TRUE",
    "true",
    "try",
    "typedef",
    "typeid",
    "typename",
    "typeof",
    "typeof_unqual",
    "uint",
    "ulong",
    "unchecked",
    "undefined",
    "union",
    "unix",
    "unsafe",
    "unsigned",
    "ushort",
    "using",
    "va_arg",
    "va_copy",
    "va_end",
    "va_list",
    "va_start",
    "value",
    "var",
    "virtual",
    "void",
    "volatile",
    "wchar_t",
    "while",
    "window",
    "xor",
    "xor_eq",
    "yield",
};

/* Contextual keywords and names best not introduced. */
static const char *const avoided[] = {
    "add",
    "alias",
    "args",
    "Array",
    "ascending",
    "begin",
    "Boolean",
    "Buffer",
    "builtin",
    "by",
    "cd",
    "command",
    "configuration",
    "coproc",
    "data",
    "Date",
    "declare",
    "define",
    "descending",
    "done",
    "dynamic",
    "dynamicparam",
    "echo",
    "elif",
    "elseif",
    "equals",
    "Error",
    "esac",
    "exec",
    "exit",
    "fi",
    "field",
    "FILE",
    "file",
    "filter",
    "from",
    "get",
    "getopts",
    "global",
    "group",
    "hash",
    "hidden",
    "init",
    "inlinescript",
    "into",
    "join",
    "JSON",
    "kill",
    "let",
    "local",
    "managed",
    "Map",
    "mapfile",
    "Math",
    "nint",
    "non",
    "notnull",
    "nuint",
    "Number",
    "Object",
    "on",
    "opens",
    "orderby",
    "parallel",
    "param",
    "partial",
    "printf",
    "Promise",
    "provides",
    "pwd",
    "read",
    "readarray",
    "record",
    "RegExp",
    "remove",
    "required",
    "scoped",
    "select",
    "sequence",
    "Set",
    "set",
    "shift",
    "size_t",
    "source",
    "String",
    "Symbol",
    "test",
    "then",
    "time",
    "to",
    "trap",
    "type",
    "typeset",
    "ulimit",
    "umask",
    "unmanaged",
    "unset",
    "until",
    "uses",
    "wait",
    "when",
    "where",
    "with",
    "workflow",
};

static int
fold_cmp(const uint8_t *p, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n && w[i] != 0; i++) {
		uint8_t a = lower(p[i]), b = lower((uint8_t)w[i]);
		if (a != b)
			return a < b ? -1 : 1;
	}
	if (i < n)
		return 1;
	return w[i] != 0 ? -1 : 0;
}

static bool
all_lower(const char *w)
{
	for (; *w; w++)
		if (*w >= 'A' && *w <= 'Z')
			return false;
	return true;
}

static bool
in_list(
    const char *const *list, size_t len, const uint8_t *p, size_t n, bool fold)
{
	size_t lo = 0, hi = len, mid = 0;
	bool found = false;

	while (lo < hi) {
		int c;
		mid = lo + (hi - lo) / 2;
		c = fold_cmp(p, n, list[mid]);
		if (c == 0) {
			found = true;
			break;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (!found)
		return false;
	while (mid > 0 && fold_cmp(p, n, list[mid - 1]) == 0)
		mid--;
	for (; mid < len && fold_cmp(p, n, list[mid]) == 0; mid++) {
		const char *w = list[mid];
		if (fold ? all_lower(w) : memcmp(p, w, n) == 0)
			return true;
	}
	return false;
}

bool
clex_reserved(const uint8_t *p, size_t n, bool fold)
{
	return in_list(reserved, EMB_ARRAY_LEN(reserved), p, n, fold);
}

bool
clex_avoid(const uint8_t *p, size_t n, bool fold)
{
	return in_list(reserved, EMB_ARRAY_LEN(reserved), p, n, fold) ||
	    in_list(avoided, EMB_ARRAY_LEN(avoided), p, n, fold);
}

/* ---- alternative names ---- */

/*
 * Words that name the same thing in code, per name component.  The
 * first group holding a word gives its alternatives, in order.
 */
static const char *const name_groups[][5] = {
    {"len", "length", "size", "nbytes"},
    {"length", "len", "size"},
    {"size", "len", "length"},
    {"sz", "size", "len"},
    {"nbytes", "len", "size"},
    {"buf", "buffer", "data"},
    {"buffer", "buf", "data"},
    {"data", "buf", "bytes"},
    {"bytes", "data", "raw"},
    {"cnt", "count", "num"},
    {"count", "cnt", "num", "total"},
    {"num", "count", "cnt"},
    {"idx", "index", "pos"},
    {"index", "idx", "pos"},
    {"pos", "idx", "offset"},
    {"off", "offset", "pos"},
    {"offset", "off", "pos"},
    {"i", "j", "k"},
    {"j", "k", "i"},
    {"k", "j", "i"},
    {"n", "num", "cnt"},
    {"p", "ptr", "cur"},
    {"ptr", "p", "cursor"},
    {"s", "str"},
    {"str", "s", "text"},
    {"text", "str", "txt"},
    {"c", "ch"},
    {"ch", "c", "chr"},
    {"ret", "rc", "rv", "res"},
    {"rc", "ret", "rv"},
    {"rv", "ret", "rc"},
    {"res", "result", "ret"},
    {"result", "res", "outcome"},
    {"status", "st", "rc"},
    {"err", "error", "e"},
    {"error", "err", "failure"},
    {"e", "err", "ex"},
    {"ex", "exc", "e"},
    {"tmp", "temp", "t"},
    {"temp", "tmp"},
    {"msg", "message", "text"},
    {"message", "msg"},
    {"pkt", "packet", "frame"},
    {"packet", "pkt", "frame"},
    {"frame", "pkt", "packet"},
    {"req", "request", "query"},
    {"request", "req", "query"},
    {"resp", "response", "reply"},
    {"response", "resp", "reply"},
    {"reply", "resp", "response"},
    {"addr", "address", "sa"},
    {"address", "addr"},
    {"host", "hostname", "server", "target"},
    {"hostname", "host", "server"},
    {"server", "srv", "host"},
    {"srv", "server", "host"},
    {"target", "host", "victim"},
    {"port", "portno", "portnum"},
    {"payload", "body", "blob"},
    {"body", "payload", "content"},
    {"hdr", "header", "head"},
    {"header", "hdr", "head"},
    {"ctx", "context", "state"},
    {"context", "ctx", "state"},
    {"state", "st", "ctx"},
    {"cfg", "config", "conf"},
    {"config", "cfg", "conf"},
    {"conf", "cfg", "config"},
    {"opt", "option", "flag"},
    {"option", "opt"},
    {"opts", "options", "flags"},
    {"options", "opts", "flags"},
    {"arg", "param", "argument"},
    {"param", "arg", "argument"},
    {"val", "value", "v"},
    {"value", "val", "v"},
    {"v", "val", "value"},
    {"number", "num", "n"},
    {"name", "label", "ident"},
    {"path", "filename", "fname"},
    {"filename", "fname", "path"},
    {"fname", "filename", "path"},
    {"file", "filename", "fname"},
    {"dst", "dest", "out"},
    {"dest", "dst", "out"},
    {"src", "source", "input"},
    {"source", "src", "input"},
    {"start", "begin", "first"},
    {"begin", "start", "first"},
    {"first", "start", "head"},
    {"end", "stop", "last"},
    {"stop", "end", "last"},
    {"last", "end", "final"},
    {"cur", "curr", "current"},
    {"curr", "cur", "current"},
    {"current", "cur", "curr"},
    {"prev", "previous", "last"},
    {"previous", "prev", "last"},
    {"next", "nxt", "following"},
    {"out", "output", "dst"},
    {"output", "out", "dst"},
    {"input", "inp", "src"},
    {"sum", "total", "acc"},
    {"total", "sum", "count"},
    {"limit", "cap", "bound"},
    {"timeout", "tmo", "deadline"},
    {"delay", "pause", "interval"},
    {"interval", "delay", "period"},
    {"ok", "success", "good"},
    {"success", "ok", "good"},
    {"found", "hit", "matched"},
    {"key", "k"},
    {"line", "ln", "row"},
    {"tok", "token", "word"},
    {"token", "tok", "word"},
    {"word", "tok", "token"},
    {"chunk", "block", "piece", "part"},
    {"block", "chunk", "piece"},
    {"part", "piece", "chunk"},
    {"recvd", "received", "got", "nread"},
    {"received", "recvd", "got"},
    {"nread", "recvd", "got"},
    {"sent", "nsent", "written"},
    {"written", "nwritten", "sent"},
    {"retries", "tries", "attempts"},
    {"tries", "retries", "attempts"},
    {"attempts", "tries", "retries"},
    {"attempt", "try_no", "round"},
    {"conn", "connection", "link"},
    {"connection", "conn", "link"},
    {"client", "cli", "peer"},
    {"peer", "remote", "client"},
    {"url", "uri", "endpoint"},
    {"uri", "url", "endpoint"},
    {"endpoint", "url", "uri"},
    {"user", "username", "login"},
    {"username", "user", "login"},
    {"pass", "password", "passwd", "pw"},
    {"password", "pass", "passwd"},
    {"passwd", "password", "pass"},
    {"cmd", "command"},
    {"command", "cmd"},
    {"verdict", "outcome", "result"},
    {"elem", "item", "entry", "el"},
    {"item", "elem", "entry"},
    {"entry", "item", "elem"},
    {"list", "items", "entries"},
    {"items", "list", "entries"},
    {"entries", "items", "list"},
    {"node", "nd", "elem"},
    {"ver", "version", "vers"},
    {"version", "ver", "vers"},
    {"sock", "sockfd", "sd", "fd"},
    {"sockfd", "sock", "sd"},
    {"sd", "sock", "sockfd"},
    {"fd", "sock", "desc"},
    {"fp", "f", "fh"},
    {"fh", "fp", "handle"},
    {"handle", "h", "hnd"},
    {"flag", "flg", "opt"},
    {"flags", "flg", "opts"},
    {"mode", "kind", "type_"},
    {"kind", "mode", "type_"},
    {"info", "details", "meta"},
    {"hash", "digest", "sum"},
    {"digest", "hash", "sum"},
    {"magic", "sig", "signature"},
    {"sig", "magic", "signature"},
    {"signature", "sig", "magic"},
    {"cookie", "token", "ticket"},
    {"session", "sess", "ses"},
    {"uid", "user_id", "userid"},
    {"code", "rc", "status"},
    {"crash", "fault", "boom"},
    {"evil", "bad", "poison"},
    {"bad", "evil", "poison"},
    {"argc", "ac", "nargs"},
    {"argv", "av", "arglist"},
    {"hints", "hint", "ai_hints"},
    {"failures", "fails", "errors"},
    {"errors", "failures", "fails"},
    {"lengths", "sizes", "lens"},
    {"sizes", "lengths", "lens"},
    {"vulnerable", "vuln", "affected"},
    {"vuln", "vulnerable", "affected"},
    {"banner", "greeting", "ident"},
    {"copy", "copied", "ncopy"},
    {"claimed", "declared", "stated"},
    {"cap", "capacity", "room"},
    {"capacity", "cap", "room"},
    {"wrapped", "wrapped_len", "underflow"},
    {"pad", "padding", "filler"},
    {"padding", "pad", "filler"},
    {"filler", "pad", "padding"},
    {"prog", "progname", "name"},
    {"verbose", "debug", "chatty"},
    {"debug", "verbose", "trace"},
    {"quiet", "silent", "mute"},
    {"fail", "failed", "bad"},
    {"failed", "fail", "bad"},
    {"passed", "ok", "good"},
    {"total", "sum", "count"},
    {"want", "expected", "expect"},
    {"expected", "want", "expect"},
    {"actual", "got", "seen"},
    {"seen", "actual", "got"},
    {"alive", "up", "reachable"},
    {"probe", "check", "test"},
    {"check", "probe", "test"},
    {"raw", "bytes", "data"},
    {"tag", "type_", "kind"},
    {"width", "w", "cols"},
    {"depth", "level", "nest"},
    {"level", "depth", "lvl"},
    {"round", "iter", "pass"},
    {"iter", "round", "it"},
    {"chunks", "blocks", "pieces"},
    {"blocks", "chunks", "pieces"},
    {"fields", "cols", "columns"},
    {"field", "col", "column"},
    {"row", "line", "rec"},
    {"record", "rec", "entry"},
    {"rec", "record", "entry"},
    {"parts", "pieces", "chunks"},
    {"host_name", "hostname", "server_name"},
    {"url_path", "path", "resource"},
    {"header_len", "hdr_len", "header_size"},
    {"nonce", "salt", "iv"},
    {"secret", "key", "token"},
    {"rng", "rand", "prng"},
    {"seed", "salt", "init"},
    {"deadline", "timeout", "until"},
    {"started", "begun", "start_time"},
    {"elapsed", "duration", "took"},
    {"duration", "elapsed", "took"},
    {"sleep", "delay", "nap"},
    {"mask", "bits", "flags"},
    {"bits", "mask", "flags"},
    {"shift", "sh", "nbits"},
    {"crc", "checksum", "csum"},
    {"checksum", "csum", "crc"},
    {"csum", "checksum", "crc"},
    {"seq", "seqno", "sequence"},
    {"ack", "ackno", "acked"},
    {"window", "win", "wnd"},
    {"proto", "protocol", "proto_id"},
    {"protocol", "proto", "proto_id"},
    {"family", "af", "domain"},
    {"sa", "addr", "sin"},
    {"ai", "info", "entry"},
    {"ip", "ipaddr", "address"},
    {"ipaddr", "ip", "address"},
    {"mac", "hwaddr", "lladdr"},
    {"iface", "ifname", "dev"},
    {"dev", "device", "iface"},
    {"device", "dev", "iface"},
    {"x", "y", "z"},
    {"a", "b", "c"},
    {"b", "c", "d"},
    {"m", "n", "k"},
    {"q", "r", "p"},
    {"r", "q", "s"},
    {"t", "u", "tmp"},
    {"u", "v", "w"},
    {"w", "u", "v"},
    {"f", "fn", "g"},
    {"g", "h", "f"},
    {"h", "g", "f"},
    {"l", "ln", "ll"},
    {"o", "obj", "ob"},
    {"obj", "o", "object_"},
    {"d", "dd", "delta"},
    {"y", "z", "x"},
    {"z", "y", "x"},
};

enum ccase { CC_LOWER, CC_UPPER, CC_CAP, CC_OTHER };

static enum ccase
case_of(const uint8_t *p, size_t n)
{
	bool up0 = p[0] >= 'A' && p[0] <= 'Z', lo = false, up = false;

	for (size_t i = 1; i < n; i++) {
		lo |= p[i] >= 'a' && p[i] <= 'z';
		up |= p[i] >= 'A' && p[i] <= 'Z';
	}
	if (!up0 && !up)
		return p[0] >= 'a' && p[0] <= 'z' ? CC_LOWER : CC_OTHER;
	if (up0 && !lo)
		return CC_UPPER;
	if (up0 && !up)
		return CC_CAP;
	return CC_OTHER;
}

struct comp {
	size_t off, len;
	enum ccase cc;
};

enum style { ST_ONE, ST_SNAKE, ST_CAMEL, ST_OTHER };

/* Split a name into components; ST_OTHER for names we leave alone. */
static enum style
split_name(const uint8_t *p, size_t n, struct comp *c, size_t *ret_nc)
{
	size_t nc = 0, start = 0;
	bool under = memchr(p, '_', n) != NULL, hump = false;

	if (p[0] == '_' || p[n - 1] == '_')
		return ST_OTHER;
	for (size_t i = 1; i < n; i++)
		if (p[i] >= 'A' && p[i] <= 'Z' &&
		    ((p[i - 1] >= 'a' && p[i - 1] <= 'z') ||
		        clex_digit(p[i - 1])))
			hump = true;
	if (under && hump)
		return ST_OTHER;
	for (size_t i = 0; i <= n; i++) {
		bool cut = i == n || (under && p[i] == '_') ||
		    (!under && i > 0 && p[i] >= 'A' && p[i] <= 'Z' &&
		        ((p[i - 1] >= 'a' && p[i - 1] <= 'z') ||
		            clex_digit(p[i - 1])));
		if (!cut)
			continue;
		if (i == start || nc == 8)
			return ST_OTHER;
		c[nc].off = start;
		c[nc].len = i - start;
		c[nc].cc = case_of(p + start, i - start);
		nc++;
		start = under && i < n ? i + 1 : i;
	}
	*ret_nc = nc;
	if (nc == 1)
		return ST_ONE;
	return under ? ST_SNAKE : ST_CAMEL;
}

static const char *const *
group_of(const uint8_t *p, size_t n)
{
	for (size_t g = 0; g < EMB_ARRAY_LEN(name_groups); g++) {
		const char *w = name_groups[g][0];
		if (strlen(w) == n && fold_cmp(p, n, w) == 0)
			return name_groups[g];
	}
	return NULL;
}

struct namebuf {
	char s[CLEX_NAME_MAX];
	size_t n;
	bool ok;
};

static void
nb_put(struct namebuf *b, const char *p, size_t n, enum ccase cc)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = (uint8_t)p[i];
		if (b->n + 1 >= CLEX_NAME_MAX) {
			b->ok = false;
			return;
		}
		if (cc == CC_UPPER || (cc == CC_CAP && i == 0))
			ch = ch >= 'a' && ch <= 'z' ? (uint8_t)(ch - 32) : ch;
		else if (cc == CC_LOWER || cc == CC_CAP)
			ch = lower(ch);
		b->s[b->n++] = (char)ch;
	}
	b->s[b->n] = 0;
}

static size_t
add_alt(char out[][CLEX_NAME_MAX], size_t k, size_t max,
    const struct namebuf *b, const uint8_t *orig, size_t on)
{
	if (!b->ok || b->n == 0 || k >= max ||
	    (b->n == on && memcmp(b->s, orig, on) == 0))
		return k;
	for (size_t i = 0; i < k; i++)
		if (strcmp(out[i], b->s) == 0)
			return k;
	memcpy(out[k], b->s, b->n + 1);
	return k + 1;
}

/* Rebuild the name with component r replaced by word w (NULL: none). */
static void
rebuild(struct namebuf *b, const uint8_t *p, const struct comp *c, size_t nc,
    enum style st, size_t r, const char *w)
{
	b->n = 0;
	b->ok = true;
	b->s[0] = 0;
	for (size_t j = 0; j < nc && b->ok; j++) {
		if (j > 0 && st == ST_SNAKE)
			nb_put(b, "_", 1, CC_OTHER);
		if (j == r && w != NULL) {
			size_t dn = 0;
			/* keep trailing digits of the original component */
			while (dn < c[j].len &&
			    clex_digit(p[c[j].off + c[j].len - 1 - dn]))
				dn++;
			nb_put(b, w, strlen(w), c[j].cc);
			nb_put(b, (const char *)p + c[j].off + c[j].len - dn,
			    dn, CC_OTHER);
		} else {
			nb_put(
			    b, (const char *)p + c[j].off, c[j].len, CC_OTHER);
		}
	}
}

/* Abbreviations glued from two words: fine in snake_case only. */
static bool
bytes_glued(const char *w)
{
	static const char *const glued[] = {"portno", "portnum", "nbytes",
	    "sockfd", "nread", "nsent", "nwritten", "fname", "passwd", "seqno",
	    "ackno", "ipaddr", "hwaddr", "lladdr", "ifname", "progname",
	    "userid", "nargs", "arglist", "wnd", "csum", "tmo", "nd", "ncopy",
	    NULL};

	for (size_t i = 0; glued[i] != NULL; i++)
		if (strcmp(w, glued[i]) == 0)
			return true;
	return false;
}

size_t
clex_name_alts(
    const uint8_t *p, size_t n, char out[][CLEX_NAME_MAX], size_t max)
{
	struct comp c[8];
	struct namebuf b;
	size_t nc = 0, k = 0;
	enum style st;

	if (max > CLEX_ALTS_MAX)
		max = CLEX_ALTS_MAX;
	if (n == 0 || n + 8 >= CLEX_NAME_MAX || !clex_alpha(p[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!clex_alnum(p[i]))
			return 0;
	st = split_name(p, n, c, &nc);
	if (st == ST_OTHER)
		return 0;
	for (size_t j = 0; j < nc; j++)
		if (c[j].cc == CC_OTHER && !(nc == 1 && n == 1))
			return 0;
	if (nc > 1 && st == ST_CAMEL)
		for (size_t j = 1; j < nc; j++)
			if (c[j].cc != CC_CAP)
				return 0;
	/* Synonyms of a component, the last (the noun, usually) first. */
	for (size_t r = nc; r-- > 0;) {
		const char *const *g;
		size_t dn = 0, bl;
		while (dn < c[r].len &&
		    clex_digit(p[c[r].off + c[r].len - 1 - dn]))
			dn++;
		bl = c[r].len - dn;
		if (bl == 0 || (g = group_of(p + c[r].off, bl)) == NULL)
			continue;
		for (size_t w = 1; w < 5 && g[w] != NULL; w++) {
			if (strchr(g[w], '_') != NULL && st == ST_CAMEL)
				continue;
			/* "TargetPortno" reads oddly: no glued words there */
			if (c[r].cc == CC_CAP && bytes_glued(g[w]))
				continue;
			rebuild(&b, p, c, nc, st, r, g[w]);
			k = add_alt(out, k, max, &b, p, n);
		}
	}
	/* The other naming style. */
	if (nc > 1) {
		enum style other = st == ST_SNAKE ? ST_CAMEL : ST_SNAKE;
		struct comp cc[8];
		memcpy(cc, c, sizeof(cc));
		for (size_t j = 0; j < nc; j++) {
			if (c[0].cc == CC_UPPER)
				break;
			if (other == ST_CAMEL)
				cc[j].cc = j == 0 && c[0].cc == CC_LOWER
				    ? CC_LOWER
				    : CC_CAP;
			else
				cc[j].cc = CC_LOWER;
		}
		if (c[0].cc != CC_UPPER &&
		    !(other == ST_SNAKE && c[0].cc == CC_CAP)) {
			b.n = 0;
			b.ok = true;
			for (size_t j = 0; j < nc && b.ok; j++) {
				if (j > 0 && other == ST_SNAKE)
					nb_put(&b, "_", 1, CC_OTHER);
				nb_put(&b, (const char *)p + c[j].off, c[j].len,
				    cc[j].cc);
			}
			k = add_alt(out, k, max, &b, p, n);
		}
	}
	/* A "my" prefix in the name's own style. */
	b.n = 0;
	b.ok = true;
	if (c[0].cc == CC_UPPER && (nc > 1 || n > 1)) {
		nb_put(&b, "MY_", 3, CC_OTHER);
		nb_put(&b, (const char *)p, n, CC_OTHER);
	} else if (c[0].cc == CC_CAP || (c[0].cc == CC_UPPER && n == 1)) {
		nb_put(&b, "My", 2, CC_OTHER);
		nb_put(&b, (const char *)p, n, CC_OTHER);
	} else if (st == ST_CAMEL) {
		nb_put(&b, "my", 2, CC_OTHER);
		nb_put(&b, (const char *)p, 1, CC_UPPER);
		nb_put(&b, (const char *)p + 1, n - 1, CC_OTHER);
	} else if (n > 1) {
		nb_put(&b, "my_", 3, CC_OTHER);
		nb_put(&b, (const char *)p, n, CC_OTHER);
	} else {
		b.ok = false;
	}
	k = add_alt(out, k, max, &b, p, n);
	return k;
}

/* ---- integer literals ---- */

static bool
c_suffix(const uint8_t *p, size_t n)
{
	static const char *const ok[] = {
	    "", "u", "l", "ul", "lu", "ll", "ull", "llu"};
	char low[4];

	if (n > 3)
		return false;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)lower(p[i]);
	low[n] = 0;
	/* "lL" and "Ll" are not suffixes */
	if (n >= 2 && memchr(p, 'l', n) && memchr(p, 'L', n))
		return false;
	for (size_t i = 0; i < EMB_ARRAY_LEN(ok); i++)
		if (strcmp(low, ok[i]) == 0)
			return true;
	return false;
}

static int
hexval(uint8_t c)
{
	if (clex_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

unsigned
clex_int_forms(
    const uint8_t *p, size_t n, unsigned flags, int next, char out[3][24])
{
	static const char hexd[] = "0123456789abcdef",
	                  hexu[] = "0123456789ABCDEF";
	size_t i, d0, sfx;
	unsigned long v = 0;
	bool hex, letters = false;
	unsigned q = 1;

	if (n == 0 || n >= 20)
		return 0;
	memcpy(out[0], p, n);
	out[0][n] = 0;
	hex = n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
	d0 = hex ? 2 : 0;
	if (!hex && (p[0] < '1' || p[0] > '9'))
		return 1;
	for (i = d0; i < n; i++) {
		int d =
		    hex ? hexval(p[i]) : (clex_digit(p[i]) ? p[i] - '0' : -1);
		if (d < 0)
			break;
		letters |= d >= 10;
		v = v * (hex ? 16 : 10) + (unsigned)d;
		if (v > 32767)
			return 1;
	}
	if (i == d0)
		return 1;
	sfx = i;
	if (sfx < n &&
	    !((flags & CLEX_INT_SUFFIX_C) && c_suffix(p + sfx, n - sfx)))
		return 1;
	if (hex) {
		/* decimal, then the hex digits in the other case */
		char dec[8];
		size_t dn = 0;
		unsigned long t = v;
		do {
			dec[dn++] = (char)('0' + t % 10);
			t /= 10;
		} while (t > 0);
		for (size_t k = 0; k < dn; k++)
			out[q][k] = dec[dn - 1 - k];
		memcpy(out[q] + dn, p + sfx, n - sfx);
		out[q][dn + n - sfx] = 0;
		q++;
		if (letters) {
			bool up = false;
			for (size_t k = d0; k < sfx; k++)
				up |= p[k] >= 'A' && p[k] <= 'F';
			memcpy(out[q], p, n + 1);
			for (size_t k = d0; k < sfx; k++) {
				int d = hexval(p[k]);
				out[q][k] = up ? hexd[d] : hexu[d];
			}
			out[q][n] = 0;
			q++;
		}
		return q;
	}
	if (v < 16)
		return 1;
	for (int variant = 0; variant < 2; variant++) {
		char h[8];
		size_t hn = 0;
		unsigned long t = v;
		bool let = false;
		do {
			h[hn++] = (variant ? hexu : hexd)[t % 16];
			let |= t % 16 >= 10;
			t /= 16;
		} while (t > 0);
		if (variant == 1 && !let)
			break;
		/* 0x..e followed by + or - would be one pp-number in C */
		if ((h[0] == 'e' || h[0] == 'E') &&
		    (next == '+' || next == '-'))
			return 1;
		out[q][0] = '0';
		out[q][1] = 'x';
		for (size_t k = 0; k < hn; k++)
			out[q][2 + k] = h[hn - 1 - k];
		memcpy(out[q] + 2 + hn, p + sfx, n - sfx);
		out[q][2 + hn + n - sfx] = 0;
		q++;
	}
	return q;
}

/* ---- comment wording ---- */

/*
 * True synonyms in the comments of exploit code, each group with the
 * same grammatical role and the same first sound (so "a"/"an" stay
 * right); a word after "a" or "an" is left alone anyway.
 */
static const char *const comment_groups[][3] = {
    {"check", "verify"},
    {"checks", "verifies"},
    {"checking", "verifying"},
    {"checked", "verified"},
    {"send", "transmit"},
    {"sends", "transmits"},
    {"sending", "transmitting"},
    {"show", "display"},
    {"shows", "displays"},
    {"large", "big"},
    {"maybe", "perhaps"},
    {"usually", "normally", "typically"},
    {"normally", "usually", "typically"},
    {"typically", "usually", "normally"},
    {"quick", "fast"},
    {"often", "frequently"},
    {"because", "since"},
    {"bug", "flaw"},
    {"bugs", "flaws"},
    {"function", "routine"},
    {"functions", "routines"},
    {"trigger", "cause"},
    {"triggers", "causes"},
    {"triggered", "caused"},
    {"invalid", "illegal"},
    {"malformed", "bogus"},
    {"bogus", "malformed"},
    {"target", "victim"},
    {"also", "additionally"},
    {"simply", "just"},
    {"just", "simply"},
    {"very", "really"},
    {"currently", "presently"},
    {"immediately", "instantly"},
    {"enormous", "huge"},
    {"huge", "enormous"},
    {"tiny", "small"},
    {"begins", "starts"},
    {"starts", "begins"},
    {"fails", "errors"},
    {"wait", "pause"},
    {"retry", "repeat"},
    {"build", "craft"},
    {"builds", "crafts"},
    {"overflow", "overrun"},
    {"overflows", "overruns"},
};

static bool
prev_is_article(const uint8_t *s, size_t lo, size_t at)
{
	size_t e = at, b;

	while (e > lo && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	b = e;
	while (b > lo && clex_alpha(s[b - 1]))
		b--;
	return (e - b == 1 && lower(s[b]) == 'a') ||
	    (e - b == 2 && lower(s[b]) == 'a' && lower(s[b + 1]) == 'n');
}

int
clex_comment_sites(struct mark_set *set, size_t off, size_t n, const char *rule)
{
	const uint8_t *s = set->text;
	size_t i = off, end = off + n;
	int r;

	if (end > set->len)
		return 0;
	while (i < end) {
		size_t b, wl;
		enum ccase cc;
		const char *const *g = NULL;

		if (!clex_alpha(s[i]) || s[i] == '_') {
			i++;
			continue;
		}
		b = i;
		while (i < end && (clex_alnum(s[i]) || s[i] >= 0x80))
			i++;
		wl = i - b;
		if ((b > off &&
		        (clex_alnum(s[b - 1]) || s[b - 1] >= 0x80 ||
		            s[b - 1] == '-' || s[b - 1] == '.' ||
		            s[b - 1] == '@' || s[b - 1] == '/' ||
		            s[b - 1] == '$')) ||
		    (i < end &&
		        (s[i] == '-' || s[i] == '_' || s[i] == '@' ||
		            s[i] == '/' || s[i] == '(' ||
		            (s[i] == '.' && i + 1 < end &&
		                clex_alnum(s[i + 1])))))
			continue;
		cc = case_of(s + b, wl);
		if (cc == CC_OTHER || (cc == CC_UPPER && wl > 1))
			continue;
		for (size_t k = 0; k < EMB_ARRAY_LEN(comment_groups); k++)
			if (strlen(comment_groups[k][0]) == wl &&
			    fold_cmp(s + b, wl, comment_groups[k][0]) == 0) {
				g = comment_groups[k];
				break;
			}
		if (g == NULL || prev_is_article(s, off, b))
			continue;
		{
			struct mark_span sp = {(uint32_t)b, (uint32_t)wl};
			struct mark_text t[3];
			struct namebuf nb[3];
			unsigned q = 1;
			t[0].p = (const char *)s + b;
			t[0].n = wl;
			for (size_t w = 1; w < 3 && g[w] != NULL; w++) {
				nb[q].n = 0;
				nb[q].ok = true;
				nb_put(&nb[q], g[w], strlen(g[w]), cc);
				t[q].p = nb[q].s;
				t[q].n = nb[q].n;
				q++;
			}
			if ((r = mark_set_replace(
			         set, MARK_FRAGILE, rule, q, &sp, 1, t)) < 0)
				return r;
		}
	}
	return 0;
}

/* ---- trailing blanks ---- */

int
clex_trailing_site(struct mark_set *set, size_t nl, const char *rule)
{
	static const struct mark_text t[3] = {
	    {"\n", 1}, {" \n", 2}, {"\t\n", 2}};
	struct mark_span sp = {(uint32_t)nl, 1};
	uint8_t c;

	if (nl == 0 || nl >= set->len || set->text[nl] != '\n')
		return 0;
	c = set->text[nl - 1];
	if (c == ' ' || c == '\t' || c == '\r' || c == '\\' || c == '\n' ||
	    c == '\f' || c == '\v')
		return 0;
	return mark_set_replace(set, MARK_FRAGILE, rule, 3, &sp, 1, t);
}
