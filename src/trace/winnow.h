/*
 * Winnowing fingerprints of a token stream (Schleimer, Wilkerson and
 * Aiken, SIGMOD 2003; the idea and the parameters are explained in
 * winnow.c).  A text's fingerprints are a small, position-carrying subset
 * of the hashes of its k-grams of abstract tokens, chosen so that any run
 * of at least t = w + k - 1 abstract tokens shared by two texts yields a
 * fingerprint shared by both (unless the run is only repetitive
 * structure, which is never fingerprinted).  A second stream holds the
 * text's long string and number literals, hashed exactly.  Pure: no I/O.
 */
#ifndef EMB_TRACE_WINNOW_H
#define EMB_TRACE_WINNOW_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "mark/lang.h"
#include "trace/tokens.h"

#define TRACE_K_MAX 64 /* largest k-gram, tokens */
#define TRACE_W_MAX 64 /* largest window, k-grams */

struct trace_winnow_params {
	unsigned k; /* k-gram length, abstract tokens */
	unsigned w; /* window, k-grams */
	unsigned lit_string; /* shortest string body in the literal stream */
	unsigned lit_number; /* shortest number text in it (0: none) */
};

/* A fingerprint: a hash and the tokens it covers (first..last, in t->v). */
struct trace_fp {
	uint64_t hash;
	uint32_t first;
	uint32_t last;
};

struct trace_fps {
	struct trace_fp *fp; /* winnowed k-gram hashes, in text order */
	size_t nfp;
	struct trace_fp *lit; /* exact literals (first == last), text order */
	size_t nlit;
};

/*
 * The parameters used for a language family; the guaranteed match length
 * is t = k + w - 1 abstract tokens.  Never NULL.
 */
const struct trace_winnow_params *trace_winnow_params(enum mark_lang lang);

/*
 * Robust winnowing of n hashes h[0..n) with window w >= 1: in every
 * window of w consecutive hashes the minimum is selected (on a tie, the
 * one already selected for the previous window if it is still inside,
 * else the rightmost), and each selected position is written once, in
 * increasing order, to out (room for n entries).  When n <= w the whole
 * input is one window; w above TRACE_W_MAX counts as TRACE_W_MAX.
 * Returns the number written.  O(n).
 */
size_t
trace_winnow_select(const uint64_t *h, size_t n, unsigned w, uint32_t *out);

/*
 * Fingerprint a tokenised text (text and len are the bytes toks was
 * scanned from; they are read for literal bodies).  p NULL means
 * trace_winnow_params(toks->lang).  The k-gram hashes are seeded with the
 * language family so two families never share a fingerprint by design.
 * On success *ret owns new arrays (free with trace_fps_fini); EMB_EINVAL
 * for k or w out of range, EMB_ENOMEM.
 */
int
trace_winnow(const struct trace_tokens *toks, const uint8_t *text, size_t len,
    const struct trace_winnow_params *p, struct trace_fps *ret) EMB_MUST_USE;

/* Free the arrays; f is empty afterwards. */
void trace_fps_fini(struct trace_fps *f);

#endif
