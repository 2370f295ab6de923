/*
 * Helpers shared by the discoverers for C-family code, POSIX shell and
 * PowerShell (private to src/mark).
 *
 * The C-family tokenizer covers C, C++, C#, Java and JavaScript with one
 * set of rules, since discovery does not know which of them it reads:
 * comments, string and character literals (C++ raw strings and encoding
 * prefixes, Java and C# text blocks, C# verbatim and interpolated
 * strings, JavaScript template literals with their ${...} holes lexed as
 * code), regular-expression literals where a division cannot stand,
 * preprocessor lines (with their continuations) as single tokens, and
 * pp-numbers.  Anything it cannot end properly (an unterminated comment
 * or literal, template nesting deeper than CLEX_NEST_MAX, more than
 * CLEX_TOKENS_MAX tokens) sets `bad`, and callers then leave the text
 * alone: a wrong idea of where code ends and text begins is exactly what
 * would make a rewrite change behaviour.  Constructs that change the
 * meaning of the characters themselves -- trigraphs, digraphs for braces,
 * line splices in code or at the end of a // comment -- set `suspect`,
 * and callers then add no site that rewrites code.
 *
 * The rest are small pure helpers: an identifier hash map over spans of
 * the text, the alternative names offered for a renamed identifier (a
 * table of synonyms per name component, then the other naming style,
 * then a "my" prefix), a list of names no discoverer may introduce or
 * rename (keywords of all these languages, well-known globals and
 * macros), equivalent forms of small integer literals, and the two
 * fragile rules every language here shares: comment wording from a table
 * of true synonyms, and an invisible trailing blank at the end of a line.
 */
#ifndef EMB_MARK_CLEX_H
#define EMB_MARK_CLEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mark/site.h"

#define CLEX_TOKENS_MAX (1u << 21) /* tokens of one text */
#define CLEX_NEST_MAX 64 /* template literal nesting */
#define CLEX_NAME_MAX 64 /* longest name we rename or invent */
#define CLEX_ALTS_MAX 12 /* alternative names offered */

enum clex_kind {
	CLEX_IDENT, /* identifier or keyword */
	CLEX_NUMBER, /* pp-number */
	CLEX_STRING, /* string literal, prefix and quotes included */
	CLEX_CHAR, /* character literal or single-quoted string */
	CLEX_PUNCT, /* operator, bracket or stray character */
	CLEX_COMMENT, /* comment, delimiters included */
	CLEX_PP, /* a whole preprocessor line, continuations included */
	CLEX_REGEX /* JavaScript regular-expression literal */
};

#define CLEX_F_NL 0x01u /* a line break since the previous token */
#define CLEX_F_INTERP 0x02u /* C# interpolated string: holes not lexed */
#define CLEX_F_PART 0x04u /* piece of a template literal with holes */

struct clex_tok {
	uint32_t off;
	uint32_t len;
	uint8_t kind; /* enum clex_kind */
	uint8_t flags; /* CLEX_F_* */
};

struct clex {
	struct clex_tok *tok;
	size_t n, cap;
	bool bad; /* could not tokenize: do not touch the text */
	bool suspect; /* trigraphs, digraphs, splices: do not rewrite code */
};

/*
 * Tokenize C-family text into lx (zeroed by the caller or by a previous
 * clex_fini).  EMB_ENOMEM only; a text that cannot be tokenized sets
 * lx->bad instead of failing.
 */
int clex_lex(struct clex *lx, const uint8_t *s, size_t len) EMB_MUST_USE;

/* Free the tokens. */
void clex_fini(struct clex *lx);

/* Whether token t is the punctuator p. */
bool clex_is(const uint8_t *s, const struct clex_tok *t, const char *p);

/*
 * Identifier map: spans of a text (or any bytes) to dense ids, with a
 * capacity fixed at init.  With fold set, ASCII case is ignored.
 */
struct clex_map {
	uint32_t *slot; /* id + 1, 0 for empty */
	const uint8_t **key;
	uint32_t *klen;
	size_t cap, n, max;
	bool fold;
};

/* A map for at most max names.  EMB_ENOMEM. */
int clex_map_init(struct clex_map *m, size_t max, bool fold) EMB_MUST_USE;
void clex_map_fini(struct clex_map *m);

/*
 * The id of p[0..n) (the bytes are borrowed and must outlive the map),
 * adding it if new.  EMB_ETOOBIG when the map is full.
 */
int clex_map_intern(struct clex_map *m, const uint8_t *p, size_t n,
    uint32_t *ret_id) EMB_MUST_USE;

/* The id of p[0..n), or -1. */
int64_t clex_map_find(const struct clex_map *m, const uint8_t *p, size_t n);

/*
 * Names that are never renamed: keywords of C, C++, C#, Java and
 * JavaScript, names with an implicit meaning (value, arguments, this) and
 * well-known globals and lower-case macros (errno, stdin, linux,
 * console, ...).  Compared case-sensitively, or ignoring ASCII case with
 * fold (then only the all-lower-case entries count).
 */
bool clex_reserved(const uint8_t *p, size_t n, bool fold);

/*
 * Names that are never introduced: the reserved ones, contextual
 * keywords (get, record, where, ...), common library names and shell and
 * PowerShell keywords.
 */
bool clex_avoid(const uint8_t *p, size_t n, bool fold);

/*
 * Natural alternatives for the name p[0..n), best first, at most max
 * (<= CLEX_ALTS_MAX), each NUL-terminated in out and different from the
 * name and from each other.  Callers still check each against the names
 * of the text.  Returns the count (0 for names we do not touch).
 */
size_t clex_name_alts(
    const uint8_t *p, size_t n, char out[][CLEX_NAME_MAX], size_t max);

#define CLEX_INT_SUFFIX_C 0x01u /* C, C++, C#, Java: u, l, ll, ul, ... */

/*
 * Equivalent spellings of the integer literal p[0..n): decimal 16..32767
 * and hexadecimal 0..32767 become each other (and hex digits may change
 * case).  Octal, binary, separators, floats and other suffixes are left
 * alone; with CLEX_INT_SUFFIX_C in flags the C integer suffixes are kept.
 * next is the byte after the literal (-1 at the end): a hex form ending
 * in e or E before + or - would lex as another number in C.  out[0] is
 * the original; returns the count (1 when there is no alternative).
 */
unsigned clex_int_forms(
    const uint8_t *p, size_t n, unsigned flags, int next, char out[3][24]);

/*
 * Fragile sites for the wording of a comment at s[off..off+n): each word
 * of the synonym table becomes a site with its synonyms (case kept).
 */
int clex_comment_sites(
    struct mark_set *set, size_t off, size_t n, const char *rule) EMB_MUST_USE;

/*
 * A fragile site at the line break s[nl]: nothing, a blank or a tab
 * before it.  Skipped (returns 0) for blank lines, lines already ending
 * in white space or a backslash, and CR-LF line ends.
 */
int clex_trailing_site(
    struct mark_set *set, size_t nl, const char *rule) EMB_MUST_USE;

/* ASCII helpers. */
static inline bool
clex_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static inline bool
clex_alnum(int c)
{
	return clex_alpha(c) || (c >= '0' && c <= '9');
}

static inline bool
clex_digit(int c)
{
	return c >= '0' && c <= '9';
}

#endif
