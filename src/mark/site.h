/*
 * Mark sites: the places in an artifact's text that can take one of
 * several equivalent forms, and the machinery to collect them and render a
 * copy with one chosen variant per site.
 *
 * A site is one of two shapes:
 *
 *  - REPLACE: n spans of the original text (all occurrences of a local
 *    variable, say) and q variants, each giving the text for every span
 *    (variant v puts texts[v * n + s] where span s was).  Variant texts are
 *    copied into the set's pool.
 *  - PERMUTE: n = 2 or 3 spans (adjacent independent statements, say)
 *    whose contents are emitted in one of q = n! orders.  The contents are
 *    rendered recursively, so REPLACE sites inside a permuted statement
 *    still apply.
 *
 * A CANARY site is a REPLACE site with one span whose text is a token
 * generated per partner (see mark.h), not one of a fixed set of variants.
 *
 * Discovery (one module per language) only adds sites; mark_set_finalize
 * then orders them by position and drops any site whose spans overlap an
 * earlier-added site other than by clean nesting inside a PERMUTE span,
 * so discoverers add their most valuable sites first.  Site order after
 * finalisation is the site's identity for the fingerprinting code, so
 * discovery must be deterministic: same text, same sites.
 *
 * Everything here is pure and bounded; hostile text cannot make a set
 * grow past MARK_SITES_MAX sites or MARK_POOL_MAX bytes of variant text.
 */
#ifndef EMB_MARK_SITE_H
#define EMB_MARK_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define MARK_Q_MAX 8
#define MARK_SPANS_MAX 4096 /* spans of one site */
#define MARK_SITES_MAX 65536 /* sites of one artifact */
#define MARK_POOL_MAX (64u << 20) /* bytes of variant text */

enum mark_kind {
	MARK_ROBUST, /* survives reformatting and comment stripping */
	MARK_FRAGILE, /* catches verbatim copies only */
	MARK_CANARY /* per-partner unique token */
};

enum mark_shape { MARK_REPLACE, MARK_PERMUTE };

/* Canary token formats (@@canary:FORMAT@@). */
enum mark_canary_fmt {
	MARK_CANARY_HEX, /* 24 lower-case hex digits (96 bits) */
	MARK_CANARY_BASE32, /* 20 base32 letters, lower case (100 bits) */
	MARK_CANARY_UUID, /* a version-4-shaped UUID (122 bits) */
	MARK_CANARY_UA, /* a browser-like User-Agent with the token */
	MARK_CANARY_HOSTNAME, /* a DNS label: "h" + 23 base32 (115 bits) */
	MARK_CANARY_FMT_COUNT
};

struct mark_span {
	uint32_t off;
	uint32_t len;
};

struct mark_text {
	const char *p;
	size_t n;
};

struct mark_site {
	uint8_t kind; /* enum mark_kind */
	uint8_t shape; /* enum mark_shape */
	uint8_t q; /* number of variants, 2..MARK_Q_MAX (canary: 0) */
	uint8_t canary_fmt;
	const char *rule; /* static string naming the rule, e.g. "py.rename" */
	uint32_t span0; /* first span in set->spans */
	uint32_t nspans;
	uint32_t text0; /* first of q * nspans entries in set->texts */
};

struct mark_plan;

struct mark_set {
	const uint8_t *text; /* the original, borrowed */
	size_t len;
	struct mark_site *sites;
	size_t nsites, sites_cap;
	struct mark_span *spans;
	size_t nspans, spans_cap;
	struct mark_span *texts; /* (offset, length) into pool */
	size_t ntexts, texts_cap;
	struct buf pool;
	bool final;
	struct mark_plan *plan; /* the rendering order, built by finalize */
};

/* Start an empty set over text (borrowed: it must outlive the set). */
void mark_set_init(struct mark_set *set, const uint8_t *text, size_t len);

/* Free everything the set holds. */
void mark_set_fini(struct mark_set *set);

/*
 * Add a REPLACE site: nspans spans of the original text, q variants,
 * texts[v * nspans + s] for variant v at span s (copied).  Spans must lie
 * within the text, be sorted and not overlap each other.  EMB_EINVAL for
 * malformed sites (a bug in the caller), EMB_ETOOBIG past the limits.
 */
int mark_set_replace(struct mark_set *set, enum mark_kind kind,
    const char *rule, unsigned q, const struct mark_span *spans, size_t nspans,
    const struct mark_text *texts) EMB_MUST_USE;

/*
 * Add a PERMUTE site over 2 or 3 sorted, non-overlapping spans; q is n!
 * (variant 0 is the original order).
 */
int
mark_set_permute(struct mark_set *set, enum mark_kind kind, const char *rule,
    const struct mark_span *spans, size_t nspans) EMB_MUST_USE;

/* Add a CANARY site replacing one span with a per-partner token. */
int mark_set_canary(struct mark_set *set, const char *rule,
    struct mark_span span, enum mark_canary_fmt fmt) EMB_MUST_USE;

/*
 * Add a fixed edit (a site with one variant that every copy gets, such as
 * "@@@@" -> "@@" or a template marker's removal).  Not counted as a site
 * for the code.
 */
int mark_set_fixed(struct mark_set *set, struct mark_span span, const char *p,
    size_t n) EMB_MUST_USE;

/*
 * Sort the sites by position, drop overlapping ones (keeping the one added
 * first) and freeze the set.  Fixed edits are kept before any others.
 */
int mark_set_finalize(struct mark_set *set) EMB_MUST_USE;

/* Number of sites that carry a symbol (q >= 2 or canary). */
size_t mark_set_coded(const struct mark_set *set);

/* The text of variant v at span s of a REPLACE site. */
struct mark_text mark_site_text(const struct mark_set *set,
    const struct mark_site *site, unsigned v, unsigned s);

/*
 * Render a copy: symbols[i] is the variant for site i (ignored for fixed
 * edits and canaries); canary(i) gives site i's token.  Appends to out.
 */
int mark_render(const struct mark_set *set, const uint8_t *symbols,
    int (*canary)(size_t site, struct buf *out, void *arg), void *arg,
    struct buf *out) EMB_MUST_USE;

/* The permutation for variant v of an n-span PERMUTE site (n = 2 or 3). */
const uint8_t *mark_permutation(unsigned n, unsigned v);

#endif
