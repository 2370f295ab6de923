/*
 * A bounded Python tokenizer, shared by mark-site discovery and the trace
 * engine.
 *
 * It follows the token rules of CPython's tokenizer closely enough to
 * find every name, number, string and operator of a valid Python 3 file
 * (and of most Python 2 files): string prefixes, triple quotes, f-strings
 * with nested replacement fields and nested quotes (PEP 701), explicit and
 * implicit line joining, and INDENT/DEDENT from the indentation stack with
 * CPython's tab rules.  Whatever it cannot make sense of (an unterminated
 * string, a stray character, an inconsistent dedent, brackets that do not
 * match) becomes an ERROR token and bumps an error count, and the scan
 * goes on: callers that must only act on well-formed code check the
 * count, callers reading fragments of a suspect sample just skip errors.
 *
 * Everything is bounded: no recursion except over f-string nesting (at
 * most PYLEX_FSTRING_NEST_MAX levels), a fixed bracket and indentation
 * stack, and every token consumes at least one byte except the
 * zero-length NEWLINE, INDENT, DEDENT and END tokens, of which there are
 * at most a constant number per line.
 */
#ifndef EMB_MARK_PYLEX_H
#define EMB_MARK_PYLEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum pylex_kind {
	PYLEX_END, /* end of input (zero length) */
	PYLEX_NAME, /* identifier or keyword */
	PYLEX_NUMBER, /* integer, float or imaginary literal */
	PYLEX_STRING, /* one string literal, prefix and quotes included */
	PYLEX_OP, /* operator or delimiter */
	PYLEX_COMMENT, /* from '#' to the end of the line, newline excluded */
	PYLEX_NEWLINE, /* end of a logical line (zero length at EOF) */
	PYLEX_NL, /* newline that does not end a logical line */
	PYLEX_INDENT, /* the leading whitespace of a deeper line */
	PYLEX_DEDENT, /* zero length, one per closed indentation level */
	PYLEX_ERROR /* something that is not Python */
};

/* String flags (pylex_tok.flags of a STRING token). */
#define PYLEX_STR_RAW 0x01u
#define PYLEX_STR_BYTES 0x02u
#define PYLEX_STR_F 0x04u
#define PYLEX_STR_TRIPLE 0x08u
#define PYLEX_STR_UNICODE 0x10u /* a u prefix */

#define PYLEX_DEPTH_MAX 200
#define PYLEX_INDENT_MAX 100
#define PYLEX_FSTRING_NEST_MAX 16

struct pylex_tok {
	uint32_t off;
	uint32_t len;
	uint32_t line; /* 1-based line of the first byte */
	uint16_t depth; /* bracket depth; a bracket has its outside depth */
	uint8_t kind; /* enum pylex_kind */
	uint8_t flags; /* PYLEX_STR_* */
	uint8_t prefix; /* string prefix length: the quote is at off+prefix */
};

struct pylex {
	const uint8_t *p;
	size_t len;
	size_t pos;
	uint32_t line;
	unsigned depth;
	uint8_t brackets[PYLEX_DEPTH_MAX];
	uint32_t indent[PYLEX_INDENT_MAX];
	uint32_t altindent[PYLEX_INDENT_MAX];
	unsigned nindent;
	unsigned dedents; /* DEDENT tokens still to hand out */
	bool bol; /* at the start of a line that may be logical */
	bool content; /* the logical line has a token already */
	bool done;
	size_t errors;
};

/*
 * Start tokenizing len bytes at p (borrowed).  Text longer than
 * UINT32_MAX bytes yields one ERROR token.
 */
void pylex_init(struct pylex *lx, const uint8_t *p, size_t len);

/*
 * Produce the next token into *tok and return its kind.  After END every
 * call returns END again.
 */
enum pylex_kind pylex_next(struct pylex *lx, struct pylex_tok *tok);

/*
 * Tokenize a whole text into a fresh array (the caller frees *ret) of at
 * most max tokens, END excluded.  Returns 0, EMB_ETOOBIG when there are
 * more tokens, or EMB_ENOMEM.  *ret_errors gets the number of ERROR
 * tokens and other malformations seen.
 */
int pylex_all(const uint8_t *p, size_t len, size_t max, struct pylex_tok **ret,
    size_t *ret_n, size_t *ret_errors) EMB_MUST_USE;

/* Whether the n bytes at p are a Python 3 keyword (soft ones excluded). */
bool pylex_is_keyword(const uint8_t *p, size_t n);

/*
 * Decode the body of a non-raw, non-f string literal (the bytes between
 * the quotes) into code points (str) or byte values (bytes), for
 * comparing two spellings.  Non-ASCII source bytes come out as 0x110000
 * plus the byte, so they never equal an escape.  Returns the number of
 * units (at most max written), or -1 for an escape it does not decode
 * (\N{...}) or malformed input.
 */
long pylex_str_decode(
    const uint8_t *body, size_t n, bool bytes, uint32_t *out, size_t max);

#endif
