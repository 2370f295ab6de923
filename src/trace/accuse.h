/*
 * Accusation for the symmetric Tardos code (mark/tardos.h): a partner's
 * score against what a suspect sample shows, a rigorous upper bound on the
 * probability that an innocent partner scores as high, and a Monte-Carlo
 * simulation of whole traces for the capacity report.  The bounds are
 * explained, with references, in accuse.c.  Pure: the functions allocate
 * scratch memory but do no I/O.
 */
#ifndef EMB_TRACE_ACCUSE_H
#define EMB_TRACE_ACCUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "mark/tardos.h"

/* What the sample shows at one mark site. */
struct accuse_site {
	unsigned q; /* variants at the site, 2..TARDOS_Q_MAX */
	double p[TARDOS_Q_MAX]; /* the site's bias (tardos_bias) */
	int observed; /* variant seen in the sample; -1 = erasure */
};

/*
 * A partner's score: the sum over the n sites of tardos_g for the
 * partner's symbols[i] against s[i].observed.  Erasures, and sites whose
 * q, observed or bias is out of range, contribute 0.
 */
double
accuse_score(const struct accuse_site *s, size_t n, const uint8_t *symbols);

/*
 * A rigorous upper bound, in [0, 1], on the probability that an innocent
 * partner (whose symbol at each site is drawn independently from that
 * site's bias) scores at least score against these sites and
 * observations: the smaller of accuse_tail_chernoff and
 * accuse_tail_lattice.  Never an approximation.  With no informative site
 * (n == 0, all erasures) it is 1 whatever the score: no evidence, no
 * accusation.  The bound is nonincreasing in score.  It costs up to ~10 ms
 * for a thousand sites, so call it for the top scorers in decreasing order
 * and stop at the first one above the threshold.  If scratch memory cannot
 * be allocated it returns 1 (the trivial bound).
 */
double
accuse_innocent_tail(const struct accuse_site *s, size_t n, double score);

/*
 * The Chernoff part of accuse_innocent_tail alone: min over lambda > 0 of
 * exp(-lambda score) E[exp(lambda S)] for the innocent score S.  Returns 1
 * on allocation failure or when there is no informative site.
 */
double
accuse_tail_chernoff(const struct accuse_site *s, size_t n, double score);

/*
 * The discretisation part of accuse_innocent_tail alone: the exact tail of
 * a lattice-valued score that dominates the innocent score.  Returns 1 on
 * allocation failure, when there is no informative site, or when the
 * lattice would exceed its size limit.
 */
double accuse_tail_lattice(const struct accuse_site *s, size_t n, double score);

/*
 * Whether accuse_innocent_tail(s, n, score) <= target, decided with the
 * cheap bounds first (Chernoff, and a lower bound on the innocent tail)
 * and the lattice only when they cannot decide.  False on allocation
 * failure.
 */
bool accuse_tail_below(
    const struct accuse_site *s, size_t n, double score, double target);

/* How the colluders of a simulation build the leaked copy, site by site. */
enum accuse_strategy {
	ACCUSE_MAJORITY, /* most frequent symbol, ties broken at random */
	ACCUSE_UNIFORM, /* uniform among the distinct symbols they hold */
	ACCUSE_INTERLEAVE /* the symbol of a colluder picked at random */
};

#define ACCUSE_SIM_COLLUDERS_MAX 3
#define ACCUSE_SIM_TRIALS_MAX 1000000
#define ACCUSE_SIM_PARTNERS_MAX 1000000
#define ACCUSE_SIM_SITES_MAX 1000000

/* Parameters of accuse_simulate. */
struct accuse_sim {
	const unsigned *q; /* variants of each site, 2..TARDOS_Q_MAX */
	size_t sites; /* number of entries in q */
	size_t partners; /* N, colluders included */
	unsigned colluders; /* c, 1..ACCUSE_SIM_COLLUDERS_MAX, <= N */
	double survive; /* fraction of sites that survive, 0..1 */
	enum accuse_strategy strategy;
	double alpha; /* accuse when tail * partners <= alpha */
	double cutoff; /* bias cutoff, e.g. TARDOS_CUTOFF_DEFAULT */
	size_t trials; /* 1..ACCUSE_SIM_TRIALS_MAX */
	uint8_t seed[32]; /* everything derives from it */
};

/* Outcome of accuse_simulate, counted over the trials. */
struct accuse_sim_result {
	size_t trials; /* trials run */
	size_t caught; /* trials with >= 1 colluder accused */
	size_t framed; /* trials with >= 1 innocent accused */
	size_t colluders_accused; /* colluders accused, summed */
	size_t innocents_accused; /* innocents accused, summed */
};

/*
 * Simulate sim->trials traces: in each, fresh biases for the sites, fresh
 * symbols for the partners, a coalition of the first sim->colluders
 * partners that forges a copy with sim->strategy, round(survive * sites)
 * sites chosen at random surviving (the others erased), and the accusation
 * rule tail * partners <= alpha (accuse_tail_below).  Deterministic in
 * sim->seed.  Fills *ret and returns 0; EMB_EINVAL for parameters out of
 * range, EMB_ENOMEM.
 */
int accuse_simulate(
    const struct accuse_sim *sim, struct accuse_sim_result *ret) EMB_MUST_USE;

#endif
