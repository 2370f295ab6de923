/*
 * Traceable copies at the application level: preparing an artifact's
 * mark sites from its stored record and content, and the capacity report
 * that says what an advisory's sites buy against leakers.
 */
#ifndef EMB_CORE_MARKING_H
#define EMB_CORE_MARKING_H

#include <jansson.h>

#include "core/core.h"
#include "mark/mark.h"

/* Parse an artifact's content for marking (plain is borrowed). */
int core_mark_prepare(const struct crypto_keys *keys,
    const struct store_artifact *art, const uint8_t *plain, size_t n,
    struct mark_artifact *ma, struct emb_error *err) EMB_MUST_USE;

/* Site counts and binary-equivalent capacity (sum of log2 q) by kind. */
struct core_capacity {
	size_t sites[3]; /* by enum mark_kind */
	double bits[3];
};
void core_capacity_add(struct core_capacity *c, const struct mark_set *set);

/*
 * Simulated traces with these sites' alphabet sizes: the fraction of
 * trials in which one of `colluders` colluders is named at alpha among
 * `partners` partners when `survive` of the sites survive, and whether an
 * innocent partner was ever named.  q holds the alphabet size per site.
 */
int core_capacity_simulate(const unsigned *q, size_t n, size_t partners,
    unsigned colluders, double survive, size_t trials, double *ret_caught,
    size_t *ret_framed) EMB_MUST_USE;

/*
 * The marks report for an advisory: per artifact and in total, sites by
 * language, kind and rule, their capacity, and simulated identification
 * power.  A new JSON object in *ret.
 */
int core_advisory_marks(struct emb_instance *inst, const char *id, json_t **ret,
    struct emb_error *err) EMB_MUST_USE;

/* What attaching an artifact bought, for the coordinator. */
struct core_assessment {
	enum mark_lang lang;
	struct core_capacity cap;
	size_t partners; /* partners assumed: max(non-revoked, 80) */
	double single_caught; /* fraction of verbatim-leak trials naming the
				 leaker at CORE_ALPHA */
};

/* Assess one live artifact's marks (see struct core_assessment). */
int core_artifact_assess(struct emb_instance *inst, const char *advisory_id,
    const char *name, struct core_assessment *ret,
    struct emb_error *err) EMB_MUST_USE;

#define CORE_ALPHA 1e-6
#define CORE_TYPICAL_PARTNERS 80

#endif
