/*
 * Investigating a leak: given samples found in the wild and logs of attack
 * traffic, which shared artifacts do they derive from, and which partners'
 * copies were the source.  The engines do the work (trace/derive.h,
 * trace/extract.h, trace/accuse.h, trace/canary.h); this use case feeds
 * them the instance's artifacts, deliveries and keys and writes one
 * report, a JSON object that the CLI prints as text, JSON or HTML.
 *
 * The statistics: for every candidate (a partner that received a derived
 * artifact before the sample was first seen) the Tardos score over the
 * sites read from that artifact, and for the top scorers a rigorous upper
 * bound on the probability that an innocent partner scores as high
 * (accuse_innocent_tail), multiplied by the number of candidates, of
 * samples traced together and of rounds (Bonferroni).  Accused: corrected
 * bound <= alpha; suspect: <= CORE_SUSPECT.  After an accusation the
 * remaining candidates are scored again on the sites the accused cannot
 * explain, to look for a colluder.  A partner's canary token found in a
 * sample or a log accuses it outright (a 96-bit secret does not appear by
 * chance).  No derivation, no accusation.
 */
#ifndef EMB_CORE_TRACE_H
#define EMB_CORE_TRACE_H

#include <jansson.h>

#include "core/core.h"

#define CORE_SUSPECT 1e-2
#define CORE_ALPHA_DEFAULT 1e-6
#define CORE_SAMPLE_MAX (64u << 20) /* bytes of one sample */
#define CORE_TRACE_ROUNDS 3

struct core_trace_opts {
	const char *const *samples;
	size_t nsamples;
	const char *const *logs;
	size_t nlogs;
	int64_t seen_at; /* 0: every recipient is a candidate */
	double alpha; /* accusation threshold, e.g. 1e-6 */
	/* Progress of the canary scan (may be NULL). */
	void (*progress)(uint64_t done, uint64_t total, void *arg);
	void *progress_arg;
};

/*
 * Trace the samples and logs; *ret gets the report (see docs/trace.md for
 * its schema).  Unreadable or oversized inputs fail with a message naming
 * the file.  Records a "trace" event in the log.
 */
int core_trace(struct emb_instance *inst, const char *actor,
    const struct core_trace_opts *o, int64_t now, json_t **ret,
    struct emb_error *err) EMB_MUST_USE;

#endif
