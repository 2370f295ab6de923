/*
 * The Tardos fingerprinting code, symmetric and q-ary.
 *
 * Every mark site i of an artifact can take one of q_i equivalent forms.
 * Tardos' construction [1] gives each site a secret bias p_i, a probability
 * vector over the q_i forms, and gives each partner at each site a form
 * drawn independently from p_i.  When a sample leaks, the form y_i it shows
 * at each surviving site is read back, and every partner j gets the score
 * S_j = sum_i g(p_i, y_i, x_ji) where x_ji is the form j received.  The
 * symmetric score of Skoric, Katzenbeisser and Celik [2] (for q = 2 it is
 * the symmetrised score of Skoric et al. [3]) is
 *
 *	g = +sqrt((1 - p) / p)	if x_ji == y_i,
 *	g = -sqrt(p / (1 - p))	otherwise,	with p = p_i[y_i].
 *
 * For an innocent partner x_ji is independent of y_i and matches it with
 * probability p, so each term has mean 0 and variance 1 whatever the
 * colluders did; a colluder's symbols produced y_i, so the colluders'
 * scores add up to a positive drift.  Rare forms that survive carry the
 * most evidence.  The accusation module (trace/accuse.c) turns a score
 * into a rigorous bound on the probability that an innocent scores as high.
 *
 * Biases.  For q = 2 the bias is p = sin^2(r) with r uniform on
 * [t', pi/2 - t'], t' = asin(sqrt(t)): the arcsine density
 * 1/(pi sqrt(p (1 - p))) of Tardos [1], restricted to [t, 1 - t].  For
 * q > 2 it is the symmetric Dirichlet(1/2, ..., 1/2) distribution that [2]
 * shows to be the natural generalisation (for q = 2 it is the same
 * arcsine law): normalised Gamma(1/2) variates, i.e. normalised squares of
 * standard normals, drawn with the Box-Muller transform [4].  The cutoff t
 * is applied by rejection: the whole vector is redrawn from the same
 * stream until every component is >= t, which samples the Dirichlet law
 * conditioned on the cutoff exactly.  After BIAS_TRIES rejections (at the
 * default cutoff a try fails with probability below 1/2 even for q = 8, so
 * this happens with probability < 2^-64, or always when t is close to 1/q)
 * the last vector is mapped to t + (1 - q t) p, which keeps the sum at 1
 * and every component >= t.
 *
 * Cutoff.  Without one, a bias near 0 makes a single rare symbol worth an
 * unbounded score, and a bias near 1 wastes the site.  Tardos [1] uses
 * t = 1/(300 c) for c colluders; we recommend the same with c = 3, so
 * TARDOS_CUTOFF_DEFAULT = 1/900 (score terms at most sqrt(899) ~ 30).  The
 * same value suits every q, since it is far below 1/TARDOS_Q_MAX.
 * Laarhoven and de Weger [5] tune the cutoff further for large coalitions;
 * for the small coalitions we design for, the choice matters little.
 *
 * Randomness.  Every draw comes from xoshiro256** [6] seeded through
 * splitmix64 from a 32-byte seed that the caller derives with a keyed hash
 * from the instance secret and the site (and the partner), so biases and
 * symbols are secret, reproducible and need not be stored.  The generator
 * is integer-only and identical everywhere; the biases also go through
 * sin, asin, log and cos, so another libm may differ in the last bit, which
 * changes a symbol only when a draw lands within ~1e-16 of a boundary.
 *
 * [1] G. Tardos, "Optimal probabilistic fingerprint codes", STOC 2003;
 *     J. ACM 55(2), 2008.
 * [2] B. Skoric, S. Katzenbeisser, M. U. Celik, "Symmetric Tardos
 *     fingerprinting codes for arbitrary alphabet sizes", Designs, Codes
 *     and Cryptography 46(2):137-166, 2008.
 * [3] B. Skoric, T. U. Vladimirova, M. Celik, J. C. Talstra, "Tardos
 *     fingerprinting is better than we thought", IEEE Trans. Inf. Theory
 *     54(8):3663-3676, 2008.
 * [4] G. E. P. Box, M. E. Muller, "A note on the generation of random
 *     normal deviates", Ann. Math. Statist. 29(2):610-611, 1958.
 * [5] T. Laarhoven, B. de Weger, "Optimal symmetric Tardos traitor tracing
 *     schemes", Designs, Codes and Cryptography 71(1):83-103, 2014.
 * [6] D. Blackman, S. Vigna, "Scrambled linear pseudorandom number
 *     generators", ACM Trans. Math. Softw. 47(4), 2021.
 */
#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "mark/tardos.h"
#include "common/emb.h"

/* Rejection rounds before the Dirichlet cutoff falls back to mixing. */
#define BIAS_TRIES 64

static const double pi = 3.14159265358979323846;

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void
tardos_rng_init(struct tardos_rng *rng, const uint8_t seed[32])
{
	uint64_t w[4], h = 0, x;

	for (int i = 0; i < 4; i++) {
		w[i] = 0;
		for (int b = 0; b < 8; b++)
			w[i] |= (uint64_t)seed[8 * i + b] << (8 * b);
	}
	/*
	 * A digest of the whole seed first, then each state word from its
	 * own seed word and the digest: every seed bit reaches every state
	 * word, so even the first output depends on all 256 bits.
	 */
	for (int i = 0; i < 4; i++) {
		h ^= w[i];
		h = splitmix64(&h);
	}
	for (int i = 0; i < 4; i++) {
		x = w[i] ^ h;
		rng->s[i] = splitmix64(&x);
	}
	if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0)
		rng->s[0] = 1;
}

uint64_t
tardos_rng_next(struct tardos_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t r = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

double
tardos_rng_unit(struct tardos_rng *rng)
{
	return (double)(tardos_rng_next(rng) >> 11) * 0x1p-53;
}

static unsigned
clamp_q(unsigned q)
{
	assert(q >= 2 && q <= TARDOS_Q_MAX);
	if (q < 2)
		return 2;
	if (q > TARDOS_Q_MAX)
		return TARDOS_Q_MAX;
	return q;
}

static double
clamp_cutoff(double cutoff, unsigned q)
{
	if (!(cutoff >= TARDOS_CUTOFF_MIN)) /* also NaN */
		return TARDOS_CUTOFF_MIN;
	if (cutoff > 1.0 / q)
		return 1.0 / q;
	return cutoff;
}

/* Tardos' arcsine law on [t, 1 - t]: p = sin^2(r), r uniform. */
static void
bias_binary(struct tardos_rng *rng, double t, double p[])
{
	double lo = asin(sqrt(t));
	double r = lo + tardos_rng_unit(rng) * (pi / 2 - 2 * lo);
	double s = sin(r);

	p[0] = s * s;
	p[1] = 1.0 - p[0];
}

/* q squares of standard normals (Gamma(1/2) variates up to scale). */
static double
normal_squares(struct tardos_rng *rng, unsigned q, double x[])
{
	double sum = 0, rad, c, s;

	for (unsigned k = 0; k < q; k += 2) {
		/* 1 - u is in (0, 1], so the log is finite. */
		rad = -2.0 * log(1.0 - tardos_rng_unit(rng));
		c = cos(2 * pi * tardos_rng_unit(rng));
		s = 1.0 - c * c; /* sin^2 */
		x[k] = rad * c * c;
		if (k + 1 < q)
			x[k + 1] = rad * s;
		sum += x[k] + (k + 1 < q ? x[k + 1] : 0);
	}
	return sum;
}

/* Dirichlet(1/2, ..., 1/2) conditioned on every component >= t. */
static void
bias_dirichlet(struct tardos_rng *rng, unsigned q, double t, double p[])
{
	double sum;
	unsigned k;

	for (int tries = 0; tries < BIAS_TRIES; tries++) {
		sum = normal_squares(rng, q, p);
		if (!(sum > 0))
			continue;
		for (k = 0; k < q; k++)
			p[k] /= sum;
		for (k = 0; k < q; k++)
			if (p[k] < t)
				break;
		if (k == q)
			return;
	}
	/* Give up on rejection: mix the last draw with the cutoff. */
	sum = 0;
	for (k = 0; k < q; k++)
		sum += p[k];
	for (k = 0; k < q; k++)
		p[k] = t + (1.0 - q * t) * (sum > 0 ? p[k] / sum : 1.0 / q);
}

void
tardos_bias(const uint8_t seed[32], unsigned q, double cutoff, double p[])
{
	struct tardos_rng rng;

	q = clamp_q(q);
	cutoff = clamp_cutoff(cutoff, q);
	tardos_rng_init(&rng, seed);
	if (q == 2)
		bias_binary(&rng, cutoff, p);
	else
		bias_dirichlet(&rng, q, cutoff, p);
}

unsigned
tardos_symbol(const uint8_t seed[32], const double p[], unsigned q)
{
	struct tardos_rng rng;

	tardos_rng_init(&rng, seed);
	return tardos_symbol_at(tardos_rng_unit(&rng), p, q);
}

unsigned
tardos_symbol_at(double u, const double p[], unsigned q)
{
	double c = 0;

	q = clamp_q(q);
	for (unsigned k = 0; k + 1 < q; k++) {
		c += p[k];
		if (u < c)
			return k;
	}
	return q - 1;
}

double
tardos_g(const double p[], unsigned q, unsigned observed, unsigned symbol)
{
	double py;

	if (observed >= q || q > TARDOS_Q_MAX)
		return 0;
	py = p[observed];
	if (!(py > 0 && py < 1))
		return 0;
	if (symbol == observed)
		return sqrt((1.0 - py) / py);
	return -sqrt(py / (1.0 - py));
}
