/*
 * The symmetric q-ary Tardos fingerprinting code: per-site biases, a
 * partner's symbol at a site, and the symmetric score term.  Every value
 * derives from a 32-byte seed that the caller computes with a keyed hash
 * (site, or site and partner), so a copy can be re-rendered from the key
 * and nothing per copy is stored.  Pure: no I/O, no allocation.  The idea,
 * the references and the choice of cutoff are explained in tardos.c.
 */
#ifndef EMB_MARK_TARDOS_H
#define EMB_MARK_TARDOS_H

#include <stdint.h>

/* Most variants a mark site may have (the alphabet size q). */
#define TARDOS_Q_MAX 8

/* Size of every seed, in bytes. */
#define TARDOS_SEED_BYTES 32

/*
 * Recommended cutoff: Tardos' 1/(300 c) with c = 3 design colluders.  No
 * component of a bias vector is below it, so no score term exceeds
 * sqrt(899) ~ 30 in size.
 */
#define TARDOS_CUTOFF_DEFAULT (1.0 / 900.0)

/*
 * Smallest cutoff tardos_bias accepts (smaller ones are raised to it), so
 * that no bias is 0 and every score term is finite.
 */
#define TARDOS_CUTOFF_MIN 1e-9

/* State of the deterministic generator (xoshiro256**). */
struct tardos_rng {
	uint64_t s[4];
};

/*
 * Seed the generator from 32 bytes: a splitmix64 digest of the four
 * little-endian words, then each state word is splitmix64 of its word
 * xor the digest.  The same seed always gives the same stream, on every
 * platform, and every seed bit affects the first output.
 */
void tardos_rng_init(struct tardos_rng *rng, const uint8_t seed[32]);

/* Next 64 random bits. */
uint64_t tardos_rng_next(struct tardos_rng *rng);

/* A uniform double in [0, 1), a multiple of 2^-53. */
double tardos_rng_unit(struct tardos_rng *rng);

/*
 * The bias vector of a site with q variants (2 <= q <= TARDOS_Q_MAX),
 * derived from the site's seed: writes p[0..q-1], each >= cutoff, summing
 * to 1.  q == 2 draws Tardos' arcsine density, q > 2 a symmetric
 * Dirichlet(1/2, ..., 1/2), both restricted to [cutoff, 1].  cutoff is
 * clamped to [TARDOS_CUTOFF_MIN, 1/q].  A q outside the range is a
 * programmer error (asserted; in release builds it is clamped).
 */
void tardos_bias(const uint8_t seed[32], unsigned q, double cutoff, double p[]);

/*
 * A partner's symbol (variant index, 0..q-1) at a site with bias p,
 * derived from the seed of that (site, partner) pair: inverse CDF of p at
 * one uniform draw.
 */
unsigned tardos_symbol(const uint8_t seed[32], const double p[], unsigned q);

/*
 * The same draw from a uniform u in [0, 1) the caller already has (the
 * inverse of the cumulative distribution p).
 */
unsigned tardos_symbol_at(double u, const double p[], unsigned q);

/*
 * The symmetric score term of a partner whose symbol at a site is symbol,
 * when the suspect sample shows observed there: sqrt((1 - p_y) / p_y) if
 * they agree, -sqrt(p_y / (1 - p_y)) if not, with y = observed.  Under the
 * innocent distribution (symbol drawn from p) it has mean 0 and variance 1.
 * Returns 0, no evidence, if observed >= q or p_y is not inside (0, 1).
 */
double
tardos_g(const double p[], unsigned q, unsigned observed, unsigned symbol);

#endif
