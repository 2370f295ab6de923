/*
 * Mark extraction: which variant a suspect sample shows at each mark site
 * of an artifact, or an erasure where it cannot tell.  Blind to the
 * codebook: it uses only the artifact's sites (re-discovered from the
 * original) and the sample, never who received which variant.
 *
 * Robust REPLACE sites are found by token context, so they are read even
 * when the code around them moved, was reformatted or renamed: for each
 * span, the abstract tokens just before and after it in the original (see
 * trace/tokens.h) are looked up in the sample, and the tokens in between
 * are compared with each variant's tokens.  Every span that matches votes
 * for its variant; a site is read when the votes agree (two thirds or
 * more), erased otherwise.  PERMUTE sites are read from the order in which
 * their blocks appear in the sample (each block located by its tokens,
 * with the tokens of other sites inside it as wildcards).  Spans outside
 * any token (whitespace, comments: the fragile sites) are read by their
 * exact bytes with a few bytes of context, so they only speak for
 * verbatim copies, as intended.
 */
#ifndef EMB_TRACE_EXTRACT_H
#define EMB_TRACE_EXTRACT_H

#include <stddef.h>

#include "common/err.h"
#include "mark/site.h"
#include "trace/tokens.h"

/*
 * Read every site of set (finalised, over the original text tokenised as
 * orig) in the sample (text and its tokens).  observed[i] gets the
 * variant index or -1 for an erasure (and always -1 for canaries and
 * fixed edits).  Returns the number of sites read, or a negative error.
 */
int extract_sites(const struct mark_set *set, enum mark_lang lang,
    const struct trace_tokens *orig, const uint8_t *sample, size_t sample_len,
    const struct trace_tokens *stoks, int *observed) EMB_MUST_USE;

#endif
