/*
 * The Python tokenizer (see pylex.h).  The rules are those of CPython's
 * Parser/tokenizer.c, reduced to what a reader of the token stream needs:
 *
 *  - Indentation is measured with tabs to the next multiple of 8 and,
 *    separately, with tabs as one column; the two must agree on every
 *    comparison or the file is inconsistent (CPython's TabError).  Blank
 *    and comment-only lines, and lines inside brackets, never indent.
 *  - A backslash before a newline joins lines and produces no token.
 *  - String literals keep their prefix and quotes.  A backslash always
 *    protects the next character from ending the literal, raw or not.
 *    In an f-string, a replacement field is scanned as an expression
 *    whose quotes open nested strings (PEP 701; for code valid in older
 *    Pythons this finds the same end), its top-level ':' starts a format
 *    spec, and nested fields recurse up to PYLEX_FSTRING_NEST_MAX levels.
 *  - Operators are matched longest first.
 */
#include <stdlib.h>
#include <string.h>

#include "mark/pylex.h"
#include "common/emb.h"

#define SCAN_FAIL ((size_t)-1)

static bool
is_ident(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

static bool
is_ident_start(uint8_t c)
{
	return is_ident(c) && !(c >= '0' && c <= '9');
}

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(uint8_t c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

void
pylex_init(struct pylex *lx, const uint8_t *p, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->p = p;
	lx->len = len;
	lx->line = 1;
	lx->bol = true;
	lx->nindent = 1; /* indent[0] = altindent[0] = 0 */
	/* A UTF-8 byte order mark is not part of the program. */
	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		lx->pos = 3;
}

/* Newline length at i (1 for \n or \r, 2 for \r\n), 0 if none. */
static size_t
newline_at(const struct pylex *lx, size_t i)
{
	if (i >= lx->len)
		return 0;
	if (lx->p[i] == '\n')
		return 1;
	if (lx->p[i] == '\r')
		return i + 1 < lx->len && lx->p[i + 1] == '\n' ? 2 : 1;
	return 0;
}

/* String prefix flags for the n bytes at p, or -1 if not a prefix. */
static int
prefix_flags(const uint8_t *p, size_t n)
{
	unsigned f = 0;

	if (n == 0 || n > 2)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned bit;
		switch (p[i] | 0x20) {
		case 'r':
			bit = PYLEX_STR_RAW;
			break;
		case 'b':
			bit = PYLEX_STR_BYTES;
			break;
		case 'f':
			bit = PYLEX_STR_F;
			break;
		case 'u':
			bit = PYLEX_STR_UNICODE;
			break;
		default:
			return -1;
		}
		if (f & bit)
			return -1;
		f |= bit;
	}
	if ((f & PYLEX_STR_UNICODE) && n != 1)
		return -1;
	if ((f & PYLEX_STR_BYTES) && (f & PYLEX_STR_F))
		return -1;
	return (int)f;
}

static size_t
scan_string(const struct pylex *lx, size_t i, unsigned flags, unsigned nest);

/*
 * Scan an f-string replacement field starting after its '{'; returns the
 * offset after the closing '}' or SCAN_FAIL.
 */
static size_t
scan_field(
    const struct pylex *lx, size_t i, uint8_t quote, bool triple, unsigned nest)
{
	const uint8_t *p = lx->p;
	size_t depth = 0;

	if (nest >= PYLEX_FSTRING_NEST_MAX)
		return SCAN_FAIL;
	while (i < lx->len) {
		uint8_t c = p[i];
		if (c == '(' || c == '[' || c == '{') {
			depth++;
			i++;
		} else if (c == ')' || c == ']') {
			if (depth > 0)
				depth--;
			i++;
		} else if (c == '}') {
			if (depth == 0)
				return i + 1;
			depth--;
			i++;
		} else if (c == '\'' || c == '"') {
			/* A nested string, maybe with a prefix before it. */
			size_t k = i;
			int f;
			while (k > 0 && i - k < 2 && is_ident(p[k - 1]))
				k--;
			f = 0;
			if (k < i && (k == 0 || !is_ident(p[k - 1]))) {
				f = prefix_flags(p + k, i - k);
				if (f < 0)
					f = 0;
			}
			i = scan_string(lx, i, (unsigned)f, nest + 1);
			if (i == SCAN_FAIL)
				return SCAN_FAIL;
		} else if (c == ':' && depth == 0) {
			/* Format spec: literal text with nested fields. */
			i++;
			while (i < lx->len) {
				c = p[i];
				if (c == '}')
					return i + 1;
				if (c == '{') {
					i = scan_field(
					    lx, i + 1, quote, triple, nest + 1);
					if (i == SCAN_FAIL)
						return SCAN_FAIL;
					continue;
				}
				if (c == quote ||
				    (!triple && newline_at(lx, i)))
					return SCAN_FAIL;
				i += c == '\\' && i + 1 < lx->len ? 2 : 1;
			}
			return SCAN_FAIL;
		} else if (c == '\\') {
			i += i + 1 < lx->len ? 2 : 1;
		} else {
			i++;
		}
	}
	return SCAN_FAIL;
}

/*
 * Scan a string literal whose opening quote is at i; returns the offset
 * after the closing quote or SCAN_FAIL.
 */
static size_t
scan_string(const struct pylex *lx, size_t i, unsigned flags, unsigned nest)
{
	const uint8_t *p = lx->p;
	uint8_t q = p[i];
	bool triple = i + 2 < lx->len && p[i + 1] == q && p[i + 2] == q;
	bool fstr = (flags & PYLEX_STR_F) != 0;

	if (nest > PYLEX_FSTRING_NEST_MAX)
		return SCAN_FAIL;
	i += triple ? 3 : 1;
	while (i < lx->len) {
		uint8_t c = p[i];
		if (c == '\\') {
			i++;
			if (i < lx->len)
				i += newline_at(lx, i) ? newline_at(lx, i) : 1;
			continue;
		}
		if (c == q) {
			if (!triple)
				return i + 1;
			if (i + 2 < lx->len && p[i + 1] == q && p[i + 2] == q)
				return i + 3;
			i++;
			continue;
		}
		if (!triple && newline_at(lx, i))
			return SCAN_FAIL;
		if (fstr && c == '{') {
			if (i + 1 < lx->len && p[i + 1] == '{') {
				i += 2;
				continue;
			}
			i = scan_field(lx, i + 1, q, triple, nest);
			if (i == SCAN_FAIL)
				return SCAN_FAIL;
			continue;
		}
		i++;
	}
	return SCAN_FAIL;
}

static size_t
scan_number(const struct pylex *lx, size_t i)
{
	const uint8_t *p = lx->p;
	size_t n = lx->len;

	if (p[i] == '0' && i + 1 < n && strchr("xXoObB", p[i + 1]) != NULL &&
	    p[i + 1] != '\0') {
		i += 2;
		while (i < n && (is_hex(p[i]) || p[i] == '_'))
			i++;
		return i;
	}
	while (i < n && (is_digit(p[i]) || p[i] == '_'))
		i++;
	if (i < n && p[i] == '.') {
		i++;
		while (i < n && (is_digit(p[i]) || p[i] == '_'))
			i++;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		size_t k = i + 1;
		if (k < n && (p[k] == '+' || p[k] == '-'))
			k++;
		if (k < n && is_digit(p[k])) {
			i = k;
			while (i < n && (is_digit(p[i]) || p[i] == '_'))
				i++;
		}
	}
	if (i < n && (p[i] == 'j' || p[i] == 'J'))
		i++;
	return i;
}

static const char *const ops3[] = {"**=", "//=", ">>=", "<<=", "...", NULL};
static const char *const ops2[] = {"**", "//", ">>", "<<",
    "<=", ">=", "==", "!=", "->",
    "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=", ":=", "<>", NULL};
static const char ops1[] = "+-*/%@&|^~<>()[]{},:.;=";

static size_t
scan_op(const struct pylex *lx, size_t i)
{
	size_t left = lx->len - i;

	if (left >= 3)
		for (size_t k = 0; ops3[k] != NULL; k++)
			if (memcmp(lx->p + i, ops3[k], 3) == 0)
				return 3;
	if (left >= 2)
		for (size_t k = 0; ops2[k] != NULL; k++)
			if (memcmp(lx->p + i, ops2[k], 2) == 0)
				return 2;
	if (lx->p[i] != '\0' && strchr(ops1, lx->p[i]) != NULL)
		return 1;
	return 0;
}

static uint32_t
count_lines(const uint8_t *p, size_t n)
{
	uint32_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (p[i] == '\n' ||
		    (p[i] == '\r' && (i + 1 >= n || p[i + 1] != '\n')))
			k++;
	return k;
}

static enum pylex_kind
emit(struct pylex *lx, struct pylex_tok *tok, enum pylex_kind kind, size_t off,
    size_t end)
{
	memset(tok, 0, sizeof(*tok));
	tok->kind = (uint8_t)kind;
	tok->off = (uint32_t)off;
	tok->len = (uint32_t)(end - off);
	tok->line = lx->line;
	tok->depth = (uint16_t)lx->depth;
	if (kind == PYLEX_ERROR)
		lx->errors++;
	if (kind != PYLEX_COMMENT && kind != PYLEX_NL &&
	    kind != PYLEX_NEWLINE && kind != PYLEX_END &&
	    kind != PYLEX_INDENT && kind != PYLEX_DEDENT)
		lx->content = true;
	lx->pos = end;
	return kind;
}

/* Indentation at the start of a line; returns a token kind or END. */
static enum pylex_kind
indentation(struct pylex *lx, struct pylex_tok *tok)
{
	const uint8_t *p = lx->p;
	size_t i = lx->pos, start = lx->pos;
	uint32_t col = 0, alt = 0;

	lx->bol = false;
	while (i < lx->len) {
		if (p[i] == ' ') {
			col++;
			alt++;
		} else if (p[i] == '\t') {
			col = (col / 8 + 1) * 8;
			alt++;
		} else if (p[i] == '\f') {
			col = alt = 0;
		} else {
			break;
		}
		if (col > 100000)
			break;
		i++;
	}
	/* Blank lines, comment lines and the end do not indent. */
	if (i >= lx->len || p[i] == '#' || newline_at(lx, i) ||
	    (p[i] == '\\' && newline_at(lx, i + 1)))
		return PYLEX_END;
	if (col == lx->indent[lx->nindent - 1]) {
		if (alt != lx->altindent[lx->nindent - 1])
			lx->errors++;
		return PYLEX_END;
	}
	if (col > lx->indent[lx->nindent - 1]) {
		if (lx->nindent >= PYLEX_INDENT_MAX ||
		    alt <= lx->altindent[lx->nindent - 1]) {
			lx->errors++;
			return PYLEX_END;
		}
		lx->indent[lx->nindent] = col;
		lx->altindent[lx->nindent] = alt;
		lx->nindent++;
		return emit(lx, tok, PYLEX_INDENT, start, i);
	}
	while (lx->nindent > 1 && col < lx->indent[lx->nindent - 1]) {
		lx->nindent--;
		lx->dedents++;
	}
	if (col != lx->indent[lx->nindent - 1] ||
	    alt != lx->altindent[lx->nindent - 1])
		lx->errors++;
	lx->dedents--;
	lx->pos = i;
	return emit(lx, tok, PYLEX_DEDENT, i, i);
}

/*
 * An unterminated string at i (quote at q).  A plain one-line string only
 * spoils the rest of its line; a triple-quoted string or an f-string was
 * scanned to the end of the input already, so all of that is the error
 * (scanning it again from every later line could take quadratic time).
 */
static enum pylex_kind
bad_string(
    struct pylex *lx, struct pylex_tok *tok, size_t i, size_t q, unsigned flags)
{
	const uint8_t *p = lx->p;
	size_t end = q + 1;

	if ((flags & PYLEX_STR_F) ||
	    (q + 2 < lx->len && p[q + 1] == p[q] && p[q + 2] == p[q])) {
		end = lx->len;
	} else {
		while (end < lx->len && !newline_at(lx, end))
			end++;
	}
	return emit(lx, tok, PYLEX_ERROR, i, end);
}

enum pylex_kind
pylex_next(struct pylex *lx, struct pylex_tok *tok)
{
	const uint8_t *p = lx->p;
	size_t i, end;
	uint8_t c;

	if (lx->len > UINT32_MAX) {
		lx->len = 0;
		lx->done = true;
		lx->errors++;
		return emit(lx, tok, PYLEX_ERROR, 0, 0);
	}
again:
	if (lx->done)
		return emit(lx, tok, PYLEX_END, lx->len, lx->len);
	if (lx->dedents > 0) {
		lx->dedents--;
		return emit(lx, tok, PYLEX_DEDENT, lx->pos, lx->pos);
	}
	if (lx->bol && lx->depth == 0) {
		enum pylex_kind k = indentation(lx, tok);
		if (k != PYLEX_END)
			return k;
	}
	i = lx->pos;
	while (i < lx->len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\f'))
		i++;
	lx->pos = i;
	if (i >= lx->len) {
		if (lx->content) {
			lx->content = false;
			return emit(lx, tok, PYLEX_NEWLINE, i, i);
		}
		if (lx->nindent > 1) {
			lx->dedents = lx->nindent - 1;
			lx->nindent = 1;
			goto again;
		}
		if (lx->depth > 0) {
			lx->depth = 0;
			lx->errors++;
		}
		lx->done = true;
		return emit(lx, tok, PYLEX_END, i, i);
	}
	c = p[i];
	if (c == '#') {
		end = i;
		while (end < lx->len && !newline_at(lx, end))
			end++;
		return emit(lx, tok, PYLEX_COMMENT, i, end);
	}
	if (newline_at(lx, i)) {
		enum pylex_kind k =
		    lx->depth == 0 && lx->content ? PYLEX_NEWLINE : PYLEX_NL;
		bool had = lx->content;
		end = i + newline_at(lx, i);
		emit(lx, tok, k, i, end);
		lx->content = k == PYLEX_NEWLINE ? false : had;
		lx->line++;
		lx->bol = lx->depth == 0;
		return k;
	}
	if (c == '\\') {
		size_t nl = newline_at(lx, i + 1);
		if (nl) {
			lx->pos = i + 1 + nl;
			lx->line++;
			goto again;
		}
		return emit(lx, tok, PYLEX_ERROR, i, i + 1);
	}
	if (is_ident_start(c)) {
		end = i;
		while (end < lx->len && is_ident(p[end]))
			end++;
		if (end < lx->len && (p[end] == '\'' || p[end] == '"')) {
			int f = prefix_flags(p + i, end - i);
			if (f >= 0) {
				size_t e = scan_string(lx, end, (unsigned)f, 0);
				uint32_t line = lx->line;
				if (e == SCAN_FAIL)
					return bad_string(
					    lx, tok, i, end, (unsigned)f);
				emit(lx, tok, PYLEX_STRING, i, e);
				tok->flags = (uint8_t)f;
				tok->prefix = (uint8_t)(end - i);
				if (e - end >= 6 && p[end + 1] == p[end] &&
				    p[end + 2] == p[end])
					tok->flags |= PYLEX_STR_TRIPLE;
				lx->line = line + count_lines(p + i, e - i);
				return PYLEX_STRING;
			}
		}
		return emit(lx, tok, PYLEX_NAME, i, end);
	}
	if (is_digit(c) || (c == '.' && i + 1 < lx->len && is_digit(p[i + 1])))
		return emit(lx, tok, PYLEX_NUMBER, i, scan_number(lx, i));
	if (c == '\'' || c == '"') {
		size_t e = scan_string(lx, i, 0, 0);
		uint32_t line = lx->line;
		if (e == SCAN_FAIL)
			return bad_string(lx, tok, i, i, 0);
		emit(lx, tok, PYLEX_STRING, i, e);
		if (e - i >= 6 && p[i + 1] == c && p[i + 2] == c)
			tok->flags |= PYLEX_STR_TRIPLE;
		lx->line = line + count_lines(p + i, e - i);
		return PYLEX_STRING;
	}
	end = scan_op(lx, i);
	if (end == 0)
		return emit(lx, tok, PYLEX_ERROR, i, i + 1);
	if (c == '(' || c == '[' || c == '{') {
		enum pylex_kind k = emit(lx, tok, PYLEX_OP, i, i + 1);
		if (lx->depth >= PYLEX_DEPTH_MAX)
			lx->errors++;
		else
			lx->brackets[lx->depth++] = c;
		return k;
	}
	if (c == ')' || c == ']' || c == '}') {
		uint8_t want = c == ')' ? '(' : c == ']' ? '[' : '{';
		if (lx->depth == 0)
			lx->errors++;
		else if (lx->brackets[--lx->depth] != want)
			lx->errors++;
		return emit(lx, tok, PYLEX_OP, i, i + 1);
	}
	return emit(lx, tok, PYLEX_OP, i, i + end);
}

int
pylex_all(const uint8_t *p, size_t len, size_t max, struct pylex_tok **ret,
    size_t *ret_n, size_t *ret_errors)
{
	struct pylex lx;
	struct pylex_tok *v = NULL, t;
	size_t n = 0, cap = 0;

	pylex_init(&lx, p, len);
	while (pylex_next(&lx, &t) != PYLEX_END) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct pylex_tok *nv;
			if (n >= max) {
				free(v);
				return EMB_ETOOBIG;
			}
			if (ncap > max)
				ncap = max;
			nv = realloc(v, ncap * sizeof(*v));
			if (nv == NULL) {
				free(v);
				return EMB_ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		v[n++] = t;
	}
	*ret = v;
	*ret_n = n;
	*ret_errors = lx.errors;
	return 0;
}

static const char *const keywords[] = {"False", "None", "True", "and", "as",
    "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if",
    "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
    "return", "try", "while", "with", "yield", NULL};

bool
pylex_is_keyword(const uint8_t *p, size_t n)
{
	for (size_t i = 0; keywords[i] != NULL; i++)
		if (strlen(keywords[i]) == n && memcmp(keywords[i], p, n) == 0)
			return true;
	return false;
}

static int
hexval(uint8_t c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
pylex_str_decode(
    const uint8_t *s, size_t n, bool bytes, uint32_t *out, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n;) {
		uint32_t u;
		if (k >= max)
			return -1;
		if (s[i] != '\\') {
			out[k++] = s[i] < 0x80 ? s[i] : 0x110000u + s[i];
			i++;
			continue;
		}
		if (i + 1 >= n)
			return -1;
		i++;
		switch (s[i]) {
		case '\n':
			i++;
			continue;
		case '\r':
			i += i + 1 < n && s[i + 1] == '\n' ? 2 : 1;
			continue;
		case '\\':
		case '\'':
		case '"':
			u = s[i];
			i++;
			break;
		case 'a':
			u = 7;
			i++;
			break;
		case 'b':
			u = 8;
			i++;
			break;
		case 'f':
			u = 12;
			i++;
			break;
		case 'n':
			u = 10;
			i++;
			break;
		case 'r':
			u = 13;
			i++;
			break;
		case 't':
			u = 9;
			i++;
			break;
		case 'v':
			u = 11;
			i++;
			break;
		case 'x':
			if (i + 2 >= n || hexval(s[i + 1]) < 0 ||
			    hexval(s[i + 2]) < 0)
				return -1;
			u = (uint32_t)(hexval(s[i + 1]) * 16 +
			    hexval(s[i + 2]));
			i += 3;
			break;
		case 'u':
		case 'U': {
			size_t m = s[i] == 'u' ? 4 : 8;
			if (bytes) {
				u = '\\';
				break; /* the letter is decoded next */
			}
			if (i + m >= n)
				return -1;
			u = 0;
			for (size_t j = 1; j <= m; j++) {
				int h = hexval(s[i + j]);
				if (h < 0)
					return -1;
				u = u * 16 + (uint32_t)h;
			}
			if (u > 0x10ffff)
				return -1;
			i += m + 1;
			break;
		}
		case 'N':
			if (bytes) {
				u = '\\';
				break;
			}
			return -1;
		default:
			if (s[i] >= '0' && s[i] <= '7') {
				u = 0;
				for (size_t j = 0; j < 3 && i < n &&
				     s[i] >= '0' && s[i] <= '7';
				     j++, i++)
					u = u * 8 + (uint32_t)(s[i] - '0');
				break;
			}
			/* Unknown escape: the backslash stays. */
			u = '\\';
			break;
		}
		out[k++] = u;
	}
	return (long)k;
}
