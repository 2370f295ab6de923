/*
 * One bounded tokeniser for every language family of mark/lang.h, used by
 * derivation (trace/winnow.h, trace/derive.h) and by mark extraction to
 * line up a sample with an artifact by token context.
 *
 * A text becomes an array of tokens, each with its byte range, a type and
 * two hashes:
 *
 *  - exact: a hash of the token's text, byte for byte (16 and 0x10 differ);
 *  - abstract: what survives renaming and reformatting.  Identifiers all
 *    hash to one class, numbers to another, strings to a third; keywords
 *    (and a few builtin names nobody renames) and punctuation keep their
 *    own text.  In prose, words are lower-cased and a short list of stop
 *    words, and all punctuation, get abstract 0: they are absent from the
 *    abstract stream (but still present as tokens).  So does ';' in shell
 *    and PowerShell, where a newline is equivalent.
 *
 * Comments and layout produce no token at all.  Punctuation is one token
 * per byte, so "a+=1" and "a += 1" tokenise alike.  Strings cover their
 * delimiters; pre and post say how many bytes of prefix and quotes each
 * end has, so the body is [off + pre, off + len - post).  A shell here-doc
 * body is a string token of its own (pre = post = 0).
 *
 * Lexing is a best effort that never fails on odd input: any bytes at all
 * (NULs, invalid UTF-8, an unterminated string) give some tokens in time
 * linear in the input.  Only size limits and memory make it fail.
 */
#ifndef EMB_TRACE_TOKENS_H
#define EMB_TRACE_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "mark/lang.h"

#define TRACE_TEXT_MAX (64u << 20) /* bytes of one text */
#define TRACE_TOKENS_MAX (8u << 20) /* tokens of one text */

enum trace_tok_type {
	TRACE_TOK_IDENT, /* identifier, variable */
	TRACE_TOK_KEYWORD, /* keyword, builtin, operator word (-eq) */
	TRACE_TOK_NUMBER,
	TRACE_TOK_STRING, /* quoted string, here-doc body, bare shell word */
	TRACE_TOK_PUNCT, /* one byte of punctuation */
	TRACE_TOK_WORD /* a word of prose */
};

struct trace_tok {
	uint64_t exact; /* hash of the text */
	uint64_t abstract; /* hash of the class; 0: not in the stream */
	uint32_t off; /* byte offset in the text */
	uint32_t len; /* byte length, > 0 */
	uint8_t type; /* enum trace_tok_type */
	uint8_t pre; /* strings: bytes of prefix and opening quote */
	uint8_t post; /* strings: bytes of closing quote (0: unclosed) */
};

struct trace_tokens {
	struct trace_tok *v; /* in text order, not overlapping */
	size_t n;
	enum mark_lang lang;
};

/*
 * Tokenise len bytes of text as language lang (MARK_LANG_BINARY is read
 * as prose).  On success *ret owns a new array (free it with
 * trace_tokens_fini); on failure (EMB_ETOOBIG past TRACE_TEXT_MAX or
 * TRACE_TOKENS_MAX, EMB_ENOMEM) *ret is untouched.
 */
int trace_tokens_scan(enum mark_lang lang, const uint8_t *text, size_t len,
    struct trace_tokens *ret) EMB_MUST_USE;

/* Free the array; t is empty (and may be scanned into again) afterwards. */
void trace_tokens_fini(struct trace_tokens *t);

/*
 * Index of the token that contains byte offset off, or else of the first
 * token after it; t->n when no token ends after off.  O(log n).
 */
size_t trace_tokens_at(const struct trace_tokens *t, size_t off);

/*
 * The hash used for exact token text: 64 bits, well mixed, never 0, the
 * same on every platform.  Exposed for the literal stream and for tests.
 */
uint64_t trace_hash(const uint8_t *p, size_t n);

#endif
