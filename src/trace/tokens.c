/*
 * The tokeniser behind derivation and extraction (see tokens.h for the
 * token model).  One hand-written scanner serves every language family;
 * a table per family says which comment forms, string forms and keyword
 * list apply.  Each step consumes at least one byte and every inner scan
 * (a string, a comment, a here-doc body) moves forward only, so the whole
 * pass is linear in the input, whatever the bytes.
 *
 * What counts as a keyword is what a leaker cannot change without
 * changing behaviour or needlessly rewriting the code: the language's
 * reserved words, plus a few builtins (Python's print or len, shell's
 * echo, PowerShell's automatic variables) and operator words (-eq).
 * Everything else that looks like a name is an identifier, because names
 * are what a careful leaker renames.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "trace/tokens.h"
#include "common/emb.h"

#define KEYWORD_MAX 32 /* longest keyword looked up, bytes */
#define HEREDOC_MAX 8 /* pending here-docs on one shell line */
#define DELIM_MAX 16 /* C++ raw string delimiter */

/* Abstract classes and tags; arbitrary odd constants, never 0. */
#define CLASS_IDENT 0x6a09e667f3bcc909ULL
#define CLASS_NUMBER 0xbb67ae8584caa73bULL
#define CLASS_STRING 0x3c6ef372fe94f82bULL
#define TAG_KEYWORD 0xa54ff53a5f1d36f1ULL
#define TAG_PUNCT 0x510e527fade682d1ULL
#define TAG_WORD 0x9b05688c2b3e6c1fULL

enum family {
	FAM_PROSE,
	FAM_PYTHON,
	FAM_POWERSHELL,
	FAM_C,
	FAM_SHELL,
	FAM_YARA,
	FAM_SURICATA
};

/* Sorted (strcmp order); lower case where the language ignores case. */
static const char *const kw_python[] = {"Exception", "False", "None", "True",
    "and", "as", "assert", "async", "await", "bool", "break", "bytes", "class",
    "continue", "def", "del", "dict", "elif", "else", "enumerate", "except",
    "finally", "float", "for", "from", "getattr", "global", "hasattr", "if",
    "import", "in", "int", "is", "isinstance", "lambda", "len", "list",
    "nonlocal", "not", "open", "or", "pass", "print", "raise", "range",
    "return", "self", "set", "str", "super", "try", "tuple", "while", "with",
    "yield"};

static const char *const kw_c[] = {"NULL", "abstract", "async", "auto", "await",
    "bool", "boolean", "break", "byte", "case", "catch", "char", "class",
    "const", "constexpr", "continue", "default", "define", "delete", "do",
    "double", "elif", "else", "endif", "enum", "error", "export", "extends",
    "extern", "false", "final", "finally", "float", "for", "function", "goto",
    "if", "ifdef", "ifndef", "implements", "import", "in", "include", "inline",
    "instanceof", "int", "int16_t", "int32_t", "int64_t", "int8_t", "interface",
    "let", "long", "namespace", "new", "null", "nullptr", "package", "pragma",
    "private", "protected", "public", "register", "restrict", "return", "short",
    "signed", "size_t", "sizeof", "ssize_t", "static", "string", "struct",
    "super", "switch", "template", "this", "throw", "throws", "true", "try",
    "typedef", "typeof", "uint16_t", "uint32_t", "uint64_t", "uint8_t", "undef",
    "undefined", "union", "unsigned", "using", "var", "virtual", "void",
    "volatile", "while", "yield"};

static const char *const kw_shell[] = {"alias", "case", "cd", "command",
    "declare", "do", "done", "echo", "elif", "else", "esac", "eval", "exec",
    "exit", "export", "false", "fi", "for", "function", "getopts", "if", "in",
    "local", "printf", "read", "readonly", "return", "select", "set", "shift",
    "source", "test", "then", "time", "trap", "true", "type", "unset", "until",
    "wait", "while"};

static const char *const kw_powershell[] = {"$_", "$args", "$false", "$input",
    "$null", "$psitem", "$this", "$true", "begin", "break", "catch", "class",
    "continue", "data", "do", "dynamicparam", "else", "elseif", "end", "enum",
    "exit", "filter", "finally", "for", "foreach", "function", "if", "in",
    "param", "process", "return", "switch", "throw", "trap", "try", "until",
    "using", "while"};

static const char *const kw_yara[] = {"all", "and", "any", "ascii", "at",
    "base64", "base64wide", "condition", "contains", "defined", "endswith",
    "entrypoint", "false", "filesize", "for", "fullword", "global", "icontains",
    "iendswith", "iequals", "import", "in", "include", "int16", "int16be",
    "int32", "int32be", "int8", "int8be", "istartswith", "matches", "meta",
    "nocase", "none", "not", "of", "or", "private", "rule", "startswith",
    "strings", "them", "true", "uint16", "uint16be", "uint32", "uint32be",
    "uint8", "uint8be", "wide", "xor"};

static const char *const kw_suricata[] = {"alert", "any", "byte_jump",
    "byte_test", "classtype", "content", "depth", "detection_filter",
    "distance", "dns", "drop", "dsize", "established", "fast_pattern",
    "file_data", "flow", "flowbits", "from_client", "from_server", "ftp",
    "http", "http_client_body", "http_cookie", "http_header", "http_method",
    "http_stat_code", "http_uri", "http_user_agent", "icmp", "ip", "isdataat",
    "metadata", "msg", "nocase", "offset", "pass", "pcre", "priority",
    "reference", "reject", "rev", "sid", "smb", "smtp", "ssh", "tcp",
    "threshold", "tls", "to_client", "to_server", "udp", "uricontent",
    "within"};

static const char *const stop_words[] = {"a", "an", "and", "are", "as", "at",
    "be", "been", "but", "by", "can", "do", "does", "for", "from", "has",
    "have", "if", "in", "into", "is", "it", "its", "may", "no", "not", "of",
    "on", "or", "our", "so", "such", "that", "the", "their", "them", "then",
    "there", "these", "they", "this", "to", "was", "we", "were", "which",
    "will", "with", "you", "your"};

struct family_def {
	enum family fam;
	const char *const *kw;
	size_t nkw;
	bool ci; /* case-insensitive keywords */
};

static const struct family_def families[] = {
    [FAM_PROSE] = {FAM_PROSE, stop_words, EMB_ARRAY_LEN(stop_words), true},
    [FAM_PYTHON] = {FAM_PYTHON, kw_python, EMB_ARRAY_LEN(kw_python), false},
    [FAM_POWERSHELL] = {FAM_POWERSHELL, kw_powershell,
        EMB_ARRAY_LEN(kw_powershell), true},
    [FAM_C] = {FAM_C, kw_c, EMB_ARRAY_LEN(kw_c), false},
    [FAM_SHELL] = {FAM_SHELL, kw_shell, EMB_ARRAY_LEN(kw_shell), false},
    [FAM_YARA] = {FAM_YARA, kw_yara, EMB_ARRAY_LEN(kw_yara), false},
    [FAM_SURICATA] = {FAM_SURICATA, kw_suricata, EMB_ARRAY_LEN(kw_suricata),
        true},
};

struct heredoc {
	size_t off, len; /* the delimiter */
	bool dash; /* <<-: leading tabs stripped */
};

struct lexer {
	const uint8_t *s;
	size_t n;
	size_t i;
	const struct family_def *def;
	struct trace_tok *v;
	size_t nv, cap;
	struct heredoc here[HEREDOC_MAX];
	unsigned nhere;
	bool after_eq; /* YARA: last token was '=' */
};

/* Options of one quoted-string form. */
struct quote {
	uint8_t q; /* closing quote byte */
	uint8_t esc; /* escape byte ('\\', '`') or 0 */
	bool triple; /* closed by three quotes */
	bool multiline; /* may span lines */
	bool doubled; /* a doubled quote stands for one */
};

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

static uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

static uint64_t
hash_bytes(const uint8_t *p, size_t n, bool fold)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then mixed */

	for (size_t i = 0; i < n; i++) {
		h ^= fold ? lower(p[i]) : p[i];
		h *= 0x100000001b3ULL;
	}
	h = fmix64(h ^ n);
	return h != 0 ? h : 1;
}

uint64_t
trace_hash(const uint8_t *p, size_t n)
{
	return hash_bytes(p, n, false);
}

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
is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/* Identifier bytes: ASCII letters, digits, '_' and any non-ASCII byte. */
static bool
is_ident(uint8_t c)
{
	return is_alpha(c) || is_digit(c) || c == '_' || c >= 0x80;
}

static int
kwcmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

/* Whether n bytes at p are in the family's keyword list. */
static bool
is_keyword(const struct family_def *def, const uint8_t *p, size_t n)
{
	char key[KEYWORD_MAX + 1];

	if (n == 0 || n > KEYWORD_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		key[i] = (char)(def->ci ? lower(p[i]) : p[i]);
	key[n] = '\0';
	return bsearch(key, def->kw, def->nkw, sizeof(def->kw[0]), kwcmp) !=
	    NULL;
}

static int
emit(struct lexer *lx, size_t off, size_t len, enum trace_tok_type type,
    size_t pre, size_t post)
{
	struct trace_tok *t;
	const uint8_t *p = lx->s + off;
	uint64_t a;

	if (len == 0)
		return 0;
	if (lx->nv == lx->cap) {
		size_t cap = lx->cap ? lx->cap * 2 : 256;
		struct trace_tok *v;

		if (lx->nv >= TRACE_TOKENS_MAX)
			return EMB_ETOOBIG;
		if (cap > TRACE_TOKENS_MAX)
			cap = TRACE_TOKENS_MAX;
		v = realloc(lx->v, cap * sizeof(*v));
		if (v == NULL)
			return EMB_ENOMEM;
		lx->v = v;
		lx->cap = cap;
	}
	switch (type) {
	case TRACE_TOK_IDENT:
		a = CLASS_IDENT;
		break;
	case TRACE_TOK_NUMBER:
		a = CLASS_NUMBER;
		break;
	case TRACE_TOK_STRING:
		a = CLASS_STRING;
		break;
	case TRACE_TOK_KEYWORD:
		a = fmix64(hash_bytes(p, len, lx->def->ci) ^ TAG_KEYWORD);
		break;
	case TRACE_TOK_PUNCT:
		/*
		 * Prose punctuation is layout; so is a shell or PowerShell
		 * ';', which a newline can always replace.
		 */
		if (lx->def->fam == FAM_PROSE ||
		    (p[0] == ';' &&
		        (lx->def->fam == FAM_SHELL ||
		            lx->def->fam == FAM_POWERSHELL)))
			a = 0;
		else
			a = fmix64(hash_bytes(p, len, false) ^ TAG_PUNCT);
		break;
	case TRACE_TOK_WORD:
	default:
		a = is_keyword(lx->def, p, len)
		    ? 0
		    : fmix64(hash_bytes(p, len, true) ^ TAG_WORD);
		break;
	}
	t = &lx->v[lx->nv++];
	t->exact = hash_bytes(p, len, false);
	t->abstract = a;
	t->off = (uint32_t)off;
	t->len = (uint32_t)len;
	t->type = (uint8_t)type;
	t->pre = (uint8_t)(pre > 255 ? 255 : pre);
	t->post = (uint8_t)(post > 255 ? 255 : post);
	lx->after_eq = type == TRACE_TOK_PUNCT && len == 1 && p[0] == '=';
	return 0;
}

/* End of line: the index of the next '\n' at or after i, or n. */
static size_t
eol(const struct lexer *lx, size_t i)
{
	const uint8_t *nl;

	if (i >= lx->n)
		return lx->n;
	nl = memchr(lx->s + i, '\n', lx->n - i);
	return nl ? (size_t)(nl - lx->s) : lx->n;
}

/* Index just past the first occurrence of m bytes at or after i, or n. */
static size_t
skip_past(const struct lexer *lx, size_t i, const char *m, size_t mlen)
{
	const uint8_t *p;

	if (i >= lx->n)
		return lx->n;
	p = memmem(lx->s + i, lx->n - i, m, mlen);
	return p ? (size_t)(p - lx->s) + mlen : lx->n;
}

/*
 * Scan a quoted string whose body starts at i; returns the index past
 * the closing quote (or where an unclosed string stops) and sets *post.
 */
static size_t
scan_quoted(
    const struct lexer *lx, size_t i, const struct quote *q, size_t *post)
{
	const uint8_t *s = lx->s;
	size_t n = lx->n;

	while (i < n) {
		uint8_t c = s[i];

		if (q->esc != 0 && c == q->esc) {
			i += 2;
			continue;
		}
		if (c == q->q) {
			if (q->triple) {
				if (i + 2 < n && s[i + 1] == q->q &&
				    s[i + 2] == q->q) {
					*post = 3;
					return i + 3;
				}
			} else if (q->doubled && i + 1 < n &&
			    s[i + 1] == q->q) {
				i += 2;
				continue;
			} else {
				*post = 1;
				return i + 1;
			}
		}
		if (c == '\n' && !q->multiline)
			break;
		i++;
	}
	*post = 0;
	return i < n ? i : n;
}

static int
emit_quoted(struct lexer *lx, size_t start, size_t pre, const struct quote *q)
{
	size_t post, end = scan_quoted(lx, start + pre, q, &post);
	int r = emit(lx, start, end - start, TRACE_TOK_STRING, pre, post);

	lx->i = end;
	return r;
}

/* Number: digits, letters, '_', '.', and a sign after an exponent. */
static int
lex_number(struct lexer *lx)
{
	const uint8_t *s = lx->s;
	size_t i = lx->i, j = i;
	bool hex = s[i] == '0' && i + 1 < lx->n && lower(s[i + 1]) == 'x';

	while (j < lx->n) {
		uint8_t c = s[j];

		if (is_alpha(c) || is_digit(c) || c == '_' || c == '.') {
			j++;
		} else if ((c == '+' || c == '-') && j > i &&
		    ((!hex && lower(s[j - 1]) == 'e') ||
		        (hex && lower(s[j - 1]) == 'p'))) {
			j++;
		} else if (c == '\'' && lx->def->fam == FAM_C && j > i &&
		    j + 1 < lx->n && is_digit(s[j - 1]) && is_digit(s[j + 1])) {
			j++; /* C++14 digit separator */
		} else {
			break;
		}
	}
	lx->i = j;
	return emit(lx, i, j - i, TRACE_TOK_NUMBER, 0, 0);
}

static size_t
ident_end(const struct lexer *lx, size_t i)
{
	while (i < lx->n && is_ident(lx->s[i]))
		i++;
	return i;
}

static int
emit_name(struct lexer *lx, size_t i, size_t j)
{
	enum trace_tok_type type = is_keyword(lx->def, lx->s + i, j - i)
	    ? TRACE_TOK_KEYWORD
	    : TRACE_TOK_IDENT;

	lx->i = j;
	return emit(lx, i, j - i, type, 0, 0);
}

static bool
all_in(const uint8_t *p, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\0' || strchr(set, p[i]) == NULL)
			return false;
	return true;
}

/* Python: '#' comments; prefixed, triple-quoted strings. */
static int
lex_python(struct lexer *lx)
{
	const uint8_t *s = lx->s;
	size_t i = lx->i, j;
	uint8_t c = s[i];

	if (c == '#') {
		lx->i = eol(lx, i);
		return 0;
	}
	if (c == '\'' || c == '"' || is_ident(c)) {
		j = c == '\'' || c == '"' ? i : ident_end(lx, i);
		if (j < lx->n && (s[j] == '\'' || s[j] == '"') && j - i <= 2 &&
		    all_in(s + i, j - i, "rRbBuUfF")) {
			struct quote q = {s[j], '\\', false, false, false};

			if (j + 2 < lx->n && s[j + 1] == s[j] &&
			    s[j + 2] == s[j]) {
				q.triple = true;
				q.multiline = true;
				return emit_quoted(lx, i, j - i + 3, &q);
			}
			return emit_quoted(lx, i, j - i + 1, &q);
		}
		if (j > i)
			return is_digit(c) ? lex_number(lx)
			                   : emit_name(lx, i, j);
	}
	return 1;
}

/* C family: comments, escapes, prefixes, raw and verbatim strings. */
static int
lex_c(struct lexer *lx)
{
	const uint8_t *s = lx->s;
	size_t i = lx->i, j, n = lx->n;
	uint8_t c = s[i], d = i + 1 < n ? s[i + 1] : 0;

	if (c == '/' && d == '/') {
		lx->i = eol(lx, i);
		return 0;
	}
	if (c == '/' && d == '*') {
		lx->i = skip_past(lx, i + 2, "*/", 2);
		return 0;
	}
	if (c == '"' || c == '\'') {
		struct quote q = {c, '\\', false, false, false};
		return emit_quoted(lx, i, 1, &q);
	}
	if (c == '`') {
		struct quote q = {c, '\\', false, true, false};
		return emit_quoted(lx, i, 1, &q);
	}
	if (c == '@' && d == '"') {
		struct quote q = {'"', 0, false, true, true};
		return emit_quoted(lx, i, 2, &q);
	}
	if (!is_ident(c) && c != '$')
		return 1;
	if (is_digit(c))
		return lex_number(lx);
	j = i;
	while (j < n && (is_ident(s[j]) || s[j] == '$'))
		j++;
	if (j < n && s[j] == '"' && j - i <= 3 && s[j - 1] == 'R' &&
	    all_in(s + i, j - i, "LuU8R")) {
		/* C++ raw string: R"delim( ... )delim" */
		size_t k = j + 1, dl;
		char close[DELIM_MAX + 2];

		while (k < n && k - j - 1 <= DELIM_MAX && s[k] != '(' &&
		    s[k] != ')' && s[k] != '\\' && !is_space(s[k]) &&
		    s[k] != '"')
			k++;
		dl = k - j - 1;
		if (k < n && s[k] == '(' && dl <= DELIM_MAX) {
			const uint8_t *e;
			size_t end = n, post = 0;

			close[0] = ')';
			memcpy(close + 1, s + j + 1, dl);
			close[dl + 1] = '"';
			e = memmem(s + k + 1, n - k - 1, close, dl + 2);
			if (e != NULL) {
				end = (size_t)(e - s) + dl + 2;
				post = dl + 2;
			}
			lx->i = end;
			return emit(
			    lx, i, end - i, TRACE_TOK_STRING, k + 1 - i, post);
		}
	}
	if (j < n && (s[j] == '"' || s[j] == '\'') && j - i <= 2 &&
	    all_in(s + i, j - i, "LuU8$")) {
		struct quote q = {s[j], '\\', false, false, false};
		return emit_quoted(lx, i, j - i + 1, &q);
	}
	return emit_name(lx, i, j);
}

/*
 * Shell here-doc bodies queued on the line that just ended at lx->i: each
 * runs to a line equal to its delimiter (tabs stripped for <<-).
 */
static int
lex_heredocs(struct lexer *lx)
{
	size_t pos = lx->i + 1;
	int r = 0;

	for (unsigned h = 0; h < lx->nhere && r == 0; h++) {
		const struct heredoc *hd = &lx->here[h];
		size_t start = pos, body_end = lx->n;

		while (pos < lx->n) {
			size_t e = eol(lx, pos), a = pos, b = e;

			while (hd->dash && a < b && lx->s[a] == '\t')
				a++;
			if (b > a && lx->s[b - 1] == '\r')
				b--;
			if (b - a == hd->len &&
			    memcmp(lx->s + a, lx->s + hd->off, hd->len) == 0) {
				body_end = pos;
				pos = e < lx->n ? e + 1 : lx->n;
				break;
			}
			pos = e < lx->n ? e + 1 : lx->n;
		}
		r = emit(lx, start, body_end - start, TRACE_TOK_STRING, 0, 0);
	}
	lx->nhere = 0;
	lx->i = pos;
	return r;
}

static bool
shell_break(uint8_t c)
{
	return is_space(c) || c == '|' || c == '&' || c == ';' || c == '(' ||
	    c == ')' || c == '<' || c == '>' || c == '\'' || c == '"' ||
	    c == '`' || c == '$' || c == '{' || c == '}' || c == '[' ||
	    c == ']' || c == '!' || c == '\0';
}

/* Shell "<<" or "<<-" and its delimiter word (queued for lex_heredocs). */
static int
lex_heredoc_op(struct lexer *lx)
{
	const uint8_t *s = lx->s;
	size_t i = lx->i, j = i + 2, n = lx->n;
	bool dash = false;
	int r;

	if ((r = emit(lx, i, 1, TRACE_TOK_PUNCT, 0, 0)) < 0 ||
	    (r = emit(lx, i + 1, 1, TRACE_TOK_PUNCT, 0, 0)) < 0)
		return r;
	if (j < n && s[j] == '-') {
		dash = true;
		if ((r = emit(lx, j, 1, TRACE_TOK_PUNCT, 0, 0)) < 0)
			return r;
		j++;
	}
	while (j < n && (s[j] == ' ' || s[j] == '\t'))
		j++;
	lx->i = j;
	if (j < n && (s[j] == '\'' || s[j] == '"')) {
		size_t e = j + 1;

		while (e < n && s[e] != s[j] && s[e] != '\n')
			e++;
		if (e < n && s[e] == s[j] && lx->nhere < HEREDOC_MAX)
			lx->here[lx->nhere++] =
			    (struct heredoc){j + 1, e - j - 1, dash};
		lx->i = e < n && s[e] == s[j] ? e + 1 : e;
		return emit(lx, j, lx->i - j, TRACE_TOK_STRING, 1,
		    e < n && s[e] == s[j] ? 1 : 0);
	}
	while (j < n && !shell_break(s[j]))
		j++;
	if (j > lx->i) {
		size_t a = lx->i;

		if (lx->nhere < HEREDOC_MAX)
			lx->here[lx->nhere++] =
			    (struct heredoc){a, j - a, dash};
		lx->i = j;
		return emit(lx, a, j - a, TRACE_TOK_STRING, 0, 0);
	}
	return 0;
}

/* Shell: '#' at a word start, quotes, $vars, here-docs, bare words. */
static int
lex_shell(struct lexer *lx)
{
	const uint8_t *s = lx->s;
	size_t i = lx->i, j, n = lx->n;
	uint8_t c = s[i], d = i + 1 < n ? s[i + 1] : 0;

	if (c == '#' && (i == 0 || shell_break(s[i - 1]))) {
		lx->i = eol(lx, i);
		return 0;
	}
	if (c == '\\' && (d == '\n' || d == '\r')) {
		lx->i = i + 2;
		return 0;
	}
	if (c == '\'') {
		struct quote q = {c, 0, false, true, false};
		return emit_quoted(lx, i, 1, &q);
	}
	if (c == '"') {
		struct quote q = {c, '\\', false, true, false};
		return emit_quoted(lx, i, 1, &q);
	}
	if (c == '<' && d == '<' && (i + 2 >= n || s[i + 2] != '<') &&
	    (i == 0 || s[i - 1] != '<'))
		return lex_heredoc_op(lx);
	if (c == '$') {
		if (d == '\'' || d == '"') {
			struct quote q = {d, '\\', false, true, false};
			return emit_quoted(lx, i, 2, &q);
		}
		if (d == '{') {
			/*
			 * To the matching brace: quoted words and nested
			 * ${...} inside (${a="${b}/c"}) must not leave a
			 * quote behind to open a string that never ends.
			 */
			size_t depth = 1;
			j = i + 2;
			while (j < n && s[j] != '\n' && j - i < 1024) {
				uint8_t b = s[j];
				if (b == '\\' && j + 1 < n) {
					j += 2;
					continue;
				}
				if (b == '\'' || b == '"') {
					size_t e = j + 1;
					while (e < n && s[e] != b &&
					    e - i < 1024) {
						if (b == '"' && s[e] == '\\')
							e++;
						e++;
					}
					if (e >= n || s[e] != b)
						break;
					j = e + 1;
					continue;
				}
				if (b == '}' && --depth == 0)
					break;
				if (b == '{' && s[j - 1] == '$')
					depth++;
				j++;
			}
			lx->i = j < n && s[j] == '}' ? j + 1 : j;
			return emit(lx, i, lx->i - i, TRACE_TOK_IDENT, 0, 0);
		}
		if (is_alpha(d) || d == '_') {
			j = i + 1;
			while (j < n &&
			    (is_alpha(s[j]) || is_digit(s[j]) || s[j] == '_'))
				j++;
			lx->i = j;
			return emit(lx, i, j - i, TRACE_TOK_IDENT, 0, 0);
		}
		if (is_digit(d) || (d != 0 && strchr("@*#?$!-", d) != NULL)) {
			lx->i = i + 2;
			return emit(lx, i, 2, TRACE_TOK_KEYWORD, 0, 0);
		}
		return 1;
	}
	if (shell_break(c) || c == '=')
		return 1;
	/* A word: a plain name or number, an option, or a bare literal. */
	j = i;
	while (j < n && (is_alpha(s[j]) || is_digit(s[j]) || s[j] == '_'))
		j++;
	if (j > i && (j == n || shell_break(s[j]) || s[j] == '=')) {
		bool digits = true;

		for (size_t k = i; k < j; k++)
			digits = digits && is_digit(s[k]);
		if (digits) {
			lx->i = j;
			return emit(lx, i, j - i, TRACE_TOK_NUMBER, 0, 0);
		}
		return emit_name(lx, i, j);
	}
	while (j < n && !shell_break(s[j])) {
		if (s[j] == '\\' && j + 1 < n)
			j++;
		j++;
	}
	if (j > n)
		j = n;
	lx->i = j;
	if (c == '-' && j - i >= 2 &&
	    all_in(s + i + 1, j - i - 1,
	        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	        "-"))
		return emit(lx, i, j - i, TRACE_TOK_KEYWORD, 0, 0);
	return emit(lx, i, j - i, TRACE_TOK_STRING, 0, 0);
}

/* PowerShell here-string @" ... "@ (or @' ... '@) starting at i. */
static int
lex_herestring(struct lexer *lx, size_t i)
{
	const uint8_t *s = lx->s;
	uint8_t q = s[i + 1];
	size_t body = eol(lx, i + 2), pos, end = lx->n, post = 0;

	body = body < lx->n ? body + 1 : lx->n;
	for (pos = body; pos < lx->n; pos = eol(lx, pos) + 1) {
		size_t a = pos;

		while (a < lx->n && (s[a] == ' ' || s[a] == '\t'))
			a++;
		if (a + 1 < lx->n && s[a] == q && s[a + 1] == '@') {
			end = a + 2;
			post = end - (pos > body ? pos - 1 : pos);
			break;
		}
		if (eol(lx, pos) >= lx->n)
			break;
	}
	lx->i = end;
	return emit(lx, i, end - i, TRACE_TOK_STRING, body - i, post);
}

/* PowerShell: <# #> and # comments, $vars, -operators, here-strings. */
static int
lex_powershell(struct lexer *lx)
{
	const uint8_t *s = lx->s;
	size_t i = lx->i, j, n = lx->n;
	uint8_t c = s[i], d = i + 1 < n ? s[i + 1] : 0;

	if (c == '<' && d == '#') {
		lx->i = skip_past(lx, i + 2, "#>", 2);
		return 0;
	}
	if (c == '#') {
		lx->i = eol(lx, i);
		return 0;
	}
	if (c == '@' && (d == '"' || d == '\'')) {
		size_t k = i + 2;

		while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r'))
			k++;
		if (k >= n || s[k] == '\n')
			return lex_herestring(lx, i);
	}
	if (c == '\'') {
		struct quote q = {c, 0, false, true, true};
		return emit_quoted(lx, i, 1, &q);
	}
	if (c == '"') {
		struct quote q = {c, '`', false, true, true};
		return emit_quoted(lx, i, 1, &q);
	}
	if (c == '$') {
		if (d == '{') {
			j = i + 2;
			while (
			    j < n && s[j] != '}' && s[j] != '\n' && j - i < 256)
				j++;
			lx->i = j < n && s[j] == '}' ? j + 1 : j;
			return emit(lx, i, lx->i - i, TRACE_TOK_IDENT, 0, 0);
		}
		if (is_ident(d)) {
			j = i + 1;
			while (j < n &&
			    (is_ident(s[j]) ||
			        (s[j] == ':' && j + 1 < n &&
			            is_ident(s[j + 1]))))
				j++;
			return emit_name(lx, i, j);
		}
		if (d == '$' || d == '?' || d == '^') {
			lx->i = i + 2;
			return emit(lx, i, 2, TRACE_TOK_KEYWORD, 0, 0);
		}
		return 1;
	}
	if (c == '-' && is_alpha(d)) {
		j = i + 1;
		while (j < n && (is_ident(s[j]) || s[j] == '-'))
			j++;
		lx->i = j;
		return emit(lx, i, j - i, TRACE_TOK_KEYWORD, 0, 0);
	}
	if (is_digit(c))
		return lex_number(lx);
	if (is_ident(c)) {
		/* Names may contain dashes: Invoke-WebRequest. */
		j = ident_end(lx, i);
		while (j + 1 < n && s[j] == '-' && is_alpha(s[j + 1]))
			j = ident_end(lx, j + 1);
		return emit_name(lx, i, j);
	}
	return 1;
}

/* YARA: C comments, "strings", hex strings and regexps after '='. */
static int
lex_yara(struct lexer *lx)
{
	const uint8_t *s = lx->s;
	size_t i = lx->i, j, n = lx->n;
	uint8_t c = s[i], d = i + 1 < n ? s[i + 1] : 0;

	if (c == '/' && d == '/') {
		lx->i = eol(lx, i);
		return 0;
	}
	if (c == '/' && d == '*') {
		lx->i = skip_past(lx, i + 2, "*/", 2);
		return 0;
	}
	if (c == '"') {
		struct quote q = {c, '\\', false, false, false};
		return emit_quoted(lx, i, 1, &q);
	}
	if (lx->after_eq && c == '{') {
		struct quote q = {'}', 0, false, true, false};
		return emit_quoted(lx, i, 1, &q);
	}
	if (lx->after_eq && c == '/') {
		struct quote q = {'/', '\\', false, false, false};
		return emit_quoted(lx, i, 1, &q);
	}
	if ((c == '$' || c == '#' || c == '@' || c == '!') && is_ident(d)) {
		j = ident_end(lx, i + 1);
		lx->i = j;
		return emit(lx, i, j - i, TRACE_TOK_IDENT, 0, 0);
	}
	if (is_digit(c))
		return lex_number(lx);
	if (is_ident(c))
		return emit_name(lx, i, ident_end(lx, i));
	return 1;
}

/* Suricata and Snort rules: '#' comments, "strings", $VARS. */
static int
lex_suricata(struct lexer *lx)
{
	const uint8_t *s = lx->s;
	size_t i = lx->i, j, n = lx->n;
	uint8_t c = s[i], d = i + 1 < n ? s[i + 1] : 0;

	if (c == '#' && (i == 0 || is_space(s[i - 1]))) {
		lx->i = eol(lx, i);
		return 0;
	}
	if (c == '"') {
		struct quote q = {c, '\\', false, false, false};
		return emit_quoted(lx, i, 1, &q);
	}
	if (c == '$' && is_ident(d)) {
		j = ident_end(lx, i + 1);
		lx->i = j;
		return emit(lx, i, j - i, TRACE_TOK_IDENT, 0, 0);
	}
	if (is_digit(c))
		return lex_number(lx);
	if (is_ident(c))
		return emit_name(lx, i, ident_end(lx, i));
	return 1;
}

/* Prose: words (with inner apostrophes) and punctuation. */
static int
lex_prose(struct lexer *lx)
{
	const uint8_t *s = lx->s;
	size_t i = lx->i, j = i, n = lx->n;

	if (!is_ident(s[i]) || s[i] == '_')
		return 1;
	while (j < n &&
	    (is_alpha(s[j]) || is_digit(s[j]) || s[j] >= 0x80 ||
	        (s[j] == '\'' && j + 1 < n && is_alpha(s[j + 1]) && j > i)))
		j++;
	lx->i = j;
	return emit(lx, i, j - i, TRACE_TOK_WORD, 0, 0);
}

static enum family
family_of(enum mark_lang lang)
{
	switch (lang) {
	case MARK_LANG_PYTHON:
		return FAM_PYTHON;
	case MARK_LANG_POWERSHELL:
		return FAM_POWERSHELL;
	case MARK_LANG_C:
		return FAM_C;
	case MARK_LANG_SHELL:
		return FAM_SHELL;
	case MARK_LANG_YARA:
		return FAM_YARA;
	case MARK_LANG_SURICATA:
		return FAM_SURICATA;
	default:
		return FAM_PROSE;
	}
}

int
trace_tokens_scan(enum mark_lang lang, const uint8_t *text, size_t len,
    struct trace_tokens *ret)
{
	struct lexer lx = {0};
	int r = 0;

	if (len > TRACE_TEXT_MAX)
		return EMB_ETOOBIG;
	lx.s = text;
	lx.n = text != NULL ? len : 0;
	lx.def = &families[family_of(lang)];
	while (lx.i < lx.n) {
		uint8_t c = lx.s[lx.i];

		if (c == '\n' && lx.nhere > 0) {
			r = lex_heredocs(&lx);
		} else if (is_space(c) || c < 0x20 || c == 0x7f) {
			lx.i++;
			continue;
		} else {
			switch (lx.def->fam) {
			case FAM_PYTHON:
				r = lex_python(&lx);
				break;
			case FAM_POWERSHELL:
				r = lex_powershell(&lx);
				break;
			case FAM_C:
				r = lex_c(&lx);
				break;
			case FAM_SHELL:
				r = lex_shell(&lx);
				break;
			case FAM_YARA:
				r = lex_yara(&lx);
				break;
			case FAM_SURICATA:
				r = lex_suricata(&lx);
				break;
			case FAM_PROSE:
			default:
				r = lex_prose(&lx);
				break;
			}
			if (r == 1) {
				/* Not lexed as anything longer. */
				r = emit(&lx, lx.i, 1, TRACE_TOK_PUNCT, 0, 0);
				lx.i++;
			}
		}
		if (r < 0)
			goto out;
	}
	ret->v = lx.v;
	ret->n = lx.nv;
	ret->lang = lang;
	lx.v = NULL;
	r = 0;
out:
	free(lx.v);
	return r;
}

void
trace_tokens_fini(struct trace_tokens *t)
{
	if (t == NULL)
		return;
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

size_t
trace_tokens_at(const struct trace_tokens *t, size_t off)
{
	size_t lo = 0, hi = t->n;

	/* First token whose end lies after off. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((size_t)t->v[mid].off + t->v[mid].len <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
