/*
 * Derivation: which shared artifacts a suspect sample derives from, and
 * how much of each it holds.  An index over every artifact maps each
 * winnowing fingerprint (trace/winnow.h) and each rare exact literal to
 * the artifacts that have it; a query fingerprints the sample the same
 * way and reports, per artifact, the containment both ways and the
 * matched byte ranges, with a verdict calibrated on unrelated code (see
 * derive.c and docs/derivation.md).  Pure: no I/O, no clock.  An index is
 * not safe for concurrent use, not even for concurrent queries.
 */
#ifndef EMB_TRACE_DERIVE_H
#define EMB_TRACE_DERIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "mark/lang.h"

/* Query language: fingerprint the sample in each artifact's language. */
#define TRACE_LANG_AUTO MARK_LANG_COUNT

#define TRACE_DOCS_MAX (1u << 20) /* artifacts in one index */
#define TRACE_NAME_MAX 255 /* bytes of an artifact's name */

/*
 * The verdict (calibrated in docs/derivation.md).  A shared fingerprint
 * is aligned when it lies in a run of at least TRACE_DERIVE_RUN shared
 * fingerprints that follow each other in both texts (gaps of at most
 * TRACE_DERIVE_GAP).  A sample derives from an artifact when at least
 * TRACE_DERIVE_MIN_SHARED aligned fingerprints make up either at least
 * TRACE_DERIVE_MIN_ART of the artifact's fingerprints (partial copies,
 * copies embedded in a larger program) or at least TRACE_DERIVE_MIN_SMP
 * of the sample's own (a small excerpt of a large artifact).
 */
#ifndef TRACE_DERIVE_MIN_SHARED /* calibration builds override these */
#define TRACE_DERIVE_RUN 3
#define TRACE_DERIVE_GAP 2
#define TRACE_DERIVE_MIN_SHARED 10
#define TRACE_DERIVE_MIN_ART 0.20
#define TRACE_DERIVE_MIN_SMP 0.40
#endif

struct trace_index;

/* A matched passage: bytes of the artifact and the sample that agree. */
struct trace_range {
	uint32_t art_off, art_len;
	uint32_t smp_off, smp_len;
};

/* What a sample shares with one artifact. */
struct trace_derivation {
	size_t doc; /* number returned by trace_index_add */
	const char *name; /* the artifact's name, owned by the index */
	enum mark_lang lang; /* the artifact's language */
	uint32_t art_fps; /* distinct fingerprints of the artifact */
	uint32_t smp_fps; /* of the sample, in the artifact's language */
	uint32_t shared; /* distinct fingerprints in both */
	uint32_t aligned; /* of those, in runs (0 unless a candidate) */
	double art_contained; /* shared / art_fps (0 when art_fps is 0) */
	double smp_contained; /* shared / smp_fps (0 when smp_fps is 0) */
	uint32_t art_lits; /* distinct rare literals of the artifact */
	uint32_t literals; /* of those, how many the sample has */
	bool derived; /* the verdict */
	/* Matched passages in artifact order (set only when derived). */
	struct trace_range *ranges;
	size_t nranges;
};

/* All artifacts that share anything with a sample. */
struct trace_derive_result {
	struct trace_derivation *v; /* derived first, then by containment */
	size_t n;
	struct trace_range *pool; /* backing store of every v[i].ranges */
};

/* A new empty index in *ret: 0 or EMB_ENOMEM. */
int trace_index_new(struct trace_index **ret) EMB_MUST_USE;

/* Free an index and everything it owns; NULL is fine. */
void trace_index_free(struct trace_index *ix);

/*
 * Add an artifact: fingerprint len bytes of text as language lang (use
 * mark_lang_detect when unknown) under name (copied; NULL for "").
 * Returns the artifact's number (0, 1, 2... in order of addition), or
 * EMB_EINVAL (name too long, lang out of range), EMB_ETOOBIG (text or
 * index too large), EMB_ENOMEM; the index is unchanged on failure.
 */
int trace_index_add(struct trace_index *ix, const char *name,
    enum mark_lang lang, const uint8_t *text, size_t len) EMB_MUST_USE;

/* Number of artifacts added. */
size_t trace_index_count(const struct trace_index *ix);

/* Bytes of memory the index holds (for capacity planning). */
size_t trace_index_bytes(const struct trace_index *ix);

/*
 * Which artifacts the sample (len bytes of text) derives from.  lang is
 * the sample's language, or TRACE_LANG_AUTO to fingerprint it in the
 * language of each artifact (robust when the sample comes without a file
 * name).  On success *ret lists every artifact sharing at least one
 * fingerprint or literal (free it with trace_derive_result_fini); its
 * names point into the index, so it must not outlive it.  EMB_EINVAL,
 * EMB_ETOOBIG, EMB_ENOMEM on failure, *ret untouched.
 */
int trace_index_query(struct trace_index *ix, const uint8_t *text, size_t len,
    enum mark_lang lang, struct trace_derive_result *ret) EMB_MUST_USE;

/* Free a result; r is empty afterwards. */
void trace_derive_result_fini(struct trace_derive_result *r);

#endif
