/*
 * Accusation: how unlikely is an innocent partner's score?
 *
 * Given the sites a suspect sample shows (bias p_i, observed variant y_i,
 * or an erasure), a partner's symmetric Tardos score is S = sum_i X_i with
 * the terms of mark/tardos.c.  For an innocent partner the symbols were
 * drawn from p_i independently of the sample, so the X_i are independent
 * and X_i = g1_i = sqrt((1 - a_i) / a_i) with probability a_i = p_i[y_i],
 * X_i = g0_i = -sqrt(a_i / (1 - a_i)) otherwise: mean 0, variance 1.  The
 * colluders made the sample, so their scores drift upwards.  We accuse a
 * partner only when P(S >= score) for an innocent, times the number of
 * partners, is below a small threshold (the DESIGN asks for 1e-6): a bound
 * on the chance that anyone is falsely accused.  The distribution of S is
 * known exactly given the sample, but it is far from Gaussian in the tail
 * that matters (a few rare symbols dominate), so Skoric et al. [1] and
 * Simone and Skoric [2] warn against the Gaussian approximation; we
 * compute two rigorous upper bounds instead and return the smaller one.
 *
 * (a) Chernoff.  For every lambda > 0, Markov's inequality applied to
 * exp(lambda S) gives P(S >= s) <= exp(-lambda s) prod_i E[exp(lambda
 * X_i)], with E[exp(lambda X_i)] = a_i e^(lambda g1_i) + (1 - a_i)
 * e^(lambda g0_i) known exactly.  The bound holds at ANY lambda, so the
 * optimisation affects only tightness, never validity.  The log of the
 * bound, f(lambda), is convex (a cumulant generating function minus a
 * line), f(0) = 0 and f'(0) = -s, so for s > 0 the minimum is where
 * f'(lambda) = 0: found by Newton's method safeguarded by bisection on a
 * bracket, everything in log space (log-sum-exp per site), and the
 * smallest f seen is used.  The bound is within a polynomial factor of the
 * truth (Bahadur-Rao [4]), about 10 at the tails we care about.
 *
 * (b) Discretisation.  Each term is replaced by a lattice-valued D_i >=
 * X_i pointwise: D_i = o_i + delta U_i with U_i in {0, w_i} taking w_i
 * exactly when the symbol matches.  The more likely value is represented
 * exactly (o_i = g0_i if a_i < 1/2, else o_i + delta w_i = g1_i) and the
 * other is rounded UP to the grid, so D = sum D_i >= S for every outcome
 * and P(S >= s) <= P(D >= s) = P(sum U_i >= K), K = ceil((s - sum o_i) /
 * delta).  The integer sum is convolved exactly, site by site, in double
 * precision.  To keep it small, values that have reached K are moved to
 * the answer, values that can no longer reach K are dropped (both exact),
 * and tails of the live window whose mass is below a budget are moved to
 * the answer too: that only increases the result, by at most LATTICE_EPS
 * in total, so the bound stays rigorous.  The step delta is as fine as
 * the budget allows: it aims at a total rounding of 0.02 standard
 * deviations (delta = 0.02 sqrt(m) / sum_i min(a_i, 1 - a_i)), but is
 * coarsened so that the window fits LATTICE_CAP points and the work stays
 * under LATTICE_WORK point updates (delta >= m * span / LATTICE_WORK; in
 * practice about half of it is used).  Past LATTICE_WORK_HARD updates or
 * LATTICE_CAP live points it gives up and returns the trivial bound 1.
 * delta depends only on the sites, not on the score, so the result is
 * nonincreasing in the score.  Measured against importance sampling, it
 * is within a few percent of the truth up to a few hundred sites and
 * within a factor 2 to 3 at a thousand; past a few thousand sites the step
 * is coarse and (a) wins.
 *
 * Rounding.  The score is lowered by 1e-9 (1 + sum_i (g1_i - g0_i))
 * before bounding, which covers the floating-point error of the partner's
 * score and of the sums here, and both bounds are multiplied by 1 + 1e-9,
 * which covers the relative error of the exponentials and convolutions.
 * A bound that underflows is reported as DBL_MIN, not 0; 0 is returned
 * only when the score exceeds the largest score anyone can have.
 *
 * No evidence.  With no informative site (none at all, or all erased)
 * every partner scores exactly 0, and P(0 >= score) is 1 for score <= 0
 * and 0 above.  We return 1 for every score: it is a valid upper bound,
 * and a positive score with no evidence can only come from a caller's
 * mistake, which must never turn into an accusation.
 *
 * Simulation.  accuse_simulate replays whole traces with fresh biases,
 * symbols and a collusion attack, to estimate for the capacity report how
 * often a coalition is caught and how often an innocent is accused.  To
 * stay fast it scores every partner, then bounds only the top scorers, in
 * decreasing order, and decides each with accuse_tail_below: Chernoff
 * first, then a rigorous LOWER bound on the innocent tail (exponential
 * tilting plus Chebyshev: P(S >= s) >= E[e^(lambda S)] e^(-lambda (s +
 * 2r)) (1 - var_lambda / r^2) when the tilted mean is s + r), and the
 * lattice only if neither decides.  The decisions are those that
 * accuse_innocent_tail would give.
 *
 * [1] B. Skoric, T. U. Vladimirova, M. Celik, J. C. Talstra, "Tardos
 *     fingerprinting is better than we thought", IEEE Trans. Inf. Theory
 *     54(8):3663-3676, 2008.
 * [2] A. Simone, B. Skoric, "Accusation probabilities in Tardos codes:
 *     beyond the Gaussian approximation", Designs, Codes and Cryptography
 *     63(3):379-412, 2012.
 * [3] H. Chernoff, "A measure of asymptotic efficiency for tests of a
 *     hypothesis based on the sum of observations", Ann. Math. Statist.
 *     23(4):493-507, 1952.
 * [4] R. R. Bahadur, R. Ranga Rao, "On deviations of the sample mean",
 *     Ann. Math. Statist. 31(4):1015-1027, 1960.
 */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trace/accuse.h"
#include "mark/tardos.h"
#include "common/emb.h"

#define LATTICE_CAP ((size_t)1 << 18) /* live lattice points */
#define LATTICE_WORK ((size_t)1 << 25) /* point updates per bound */
#define LATTICE_WORK_HARD (4 * LATTICE_WORK) /* give up beyond */
#define LATTICE_EPS 1e-30 /* mass moved up */
#define LAMBDA_MAX 1e4
#define NEWTON_ITERS 100
#define SCORE_SLACK 1e-9 /* relative, see "Rounding" */
#define BOUND_SLACK (1.0 + 1e-9)

/* One informative site, as the innocent sees it. */
struct term {
	double a; /* probability that an innocent matches */
	double g1; /* score if it does */
	double g0; /* score if it does not */
	double la; /* log(a) */
	double lb; /* log(1 - a) */
};

/* Scratch memory, reused across calls by the simulation. */
struct work {
	struct term *t;
	uint32_t *w;
	size_t t_cap;
	double *buf[2]; /* buf_cap each, grown on use */
	size_t buf_cap;
};

/* The cumulant generating function minus lambda s, and derivatives. */
struct cgf {
	double f;
	double d1;
	double d2;
};

static bool
term_of(const struct accuse_site *s, struct term *t)
{
	unsigned y;
	double a;

	if (s->observed < 0 || s->q < 2 || s->q > TARDOS_Q_MAX)
		return false;
	y = (unsigned)s->observed;
	if (y >= s->q)
		return false;
	a = s->p[y];
	if (!(a > 0 && a < 1))
		return false;
	t->a = a;
	t->g1 = tardos_g(s->p, s->q, y, y);
	t->g0 = tardos_g(s->p, s->q, y, y == 0 ? 1 : 0);
	t->la = log(a);
	t->lb = log1p(-a);
	return true;
}

double
accuse_score(const struct accuse_site *s, size_t n, const uint8_t *symbols)
{
	struct term t;
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		if (term_of(&s[i], &t))
			sum +=
			    symbols[i] == (unsigned)s[i].observed ? t.g1 : t.g0;
	return sum;
}

static void
work_init(struct work *wk)
{
	memset(wk, 0, sizeof(*wk));
}

static void
work_fini(struct work *wk)
{
	free(wk->t);
	free(wk->w);
	free(wk->buf[0]);
	free(wk->buf[1]);
	work_init(wk);
}

static int
work_reserve(struct work *wk, size_t n)
{
	struct term *t;
	uint32_t *w;

	if (n <= wk->t_cap)
		return 0;
	if (n > SIZE_MAX / sizeof(*t))
		return EMB_ENOMEM;
	if ((t = realloc(wk->t, n * sizeof(*t))) == NULL)
		return EMB_ENOMEM;
	wk->t = t;
	if ((w = realloc(wk->w, n * sizeof(*w))) == NULL)
		return EMB_ENOMEM;
	wk->w = w;
	wk->t_cap = n;
	return 0;
}

/*
 * Lattice buffers of at least n points (n <= LATTICE_CAP).  Sized to the
 * call rather than to LATTICE_CAP: a bound for a score near the middle
 * needs a small window, and 2 x 2 MiB per call, freed again, made the
 * allocator map, fault in and trim that memory on every call.
 */
static int
work_lattice(struct work *wk, size_t n)
{
	if (n <= wk->buf_cap)
		return 0;
	for (int i = 0; i < 2; i++) {
		free(wk->buf[i]);
		wk->buf[i] = malloc(n * sizeof(double));
	}
	if (wk->buf[0] == NULL || wk->buf[1] == NULL) {
		wk->buf_cap = 0;
		return EMB_ENOMEM;
	}
	wk->buf_cap = n;
	return 0;
}

/* The informative sites of s[0..n-1] as terms in wk->t; their count. */
static int
work_terms(
    struct work *wk, const struct accuse_site *s, size_t n, size_t *ret_m)
{
	size_t m = 0;
	int r;

	if ((r = work_reserve(wk, n > 0 ? n : 1)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (term_of(&s[i], &wk->t[m]))
			m++;
	*ret_m = m;
	return 0;
}

/*
 * The effective score to bound, or a final answer: false with *value set
 * when there is no evidence (1), a NaN score (1), or a score above the
 * largest possible one (0).
 */
static bool
prepare(
    const struct term *t, size_t m, double score, double *ret_s, double *value)
{
	double gmax = 0, gsum = 0, s;

	if (m == 0 || isnan(score)) {
		*value = 1;
		return false;
	}
	for (size_t i = 0; i < m; i++) {
		gmax += t[i].g1;
		gsum += t[i].g1 - t[i].g0;
	}
	s = score - SCORE_SLACK * (1 + gsum);
	if (s > gmax) {
		*value = 0;
		return false;
	}
	*ret_s = s;
	return true;
}

static void
cgf_eval(const struct term *t, size_t m, double s, double lam, struct cgf *r)
{
	double f = -lam * s, d1 = -s, d2 = 0;
	double u, v, e, w, d;

	for (size_t i = 0; i < m; i++) {
		u = lam * t[i].g1 + t[i].la;
		v = lam * t[i].g0 + t[i].lb;
		d = t[i].g1 - t[i].g0;
		if (u >= v) {
			e = exp(v - u);
			f += u + log1p(e);
			w = 1 / (1 + e);
		} else {
			e = exp(u - v);
			f += v + log1p(e);
			w = e / (1 + e);
		}
		d1 += t[i].g0 + w * d;
		d2 += w * (1 - w) * d * d;
	}
	r->f = f;
	r->d1 = d1;
	r->d2 = d2;
}

/*
 * log of the Chernoff bound at s (<= 0), and the lambda that attains it
 * (0 when s <= 0).
 */
static double
chernoff_log(const struct term *t, size_t m, double s, double *ret_lam)
{
	double lo = 0, hi = INFINITY, lam, next, best = 0, best_lam = 0;
	struct cgf c;

	*ret_lam = 0;
	if (!(s > 0))
		return 0;
	/* The Gaussian optimum: the innocent variance is exactly m. */
	lam = fmin(s / (double)m, LAMBDA_MAX);
	for (int it = 0; it < NEWTON_ITERS; it++) {
		cgf_eval(t, m, s, lam, &c);
		if (c.f < best) {
			best = c.f;
			best_lam = lam;
		}
		if (c.d1 < 0)
			lo = lam;
		else
			hi = lam;
		if (fabs(c.d1) <= 1e-12 * (1 + s) ||
		    (!isinf(hi) && hi - lo <= 1e-13 * hi))
			break;
		next = c.d2 > 0 ? lam - c.d1 / c.d2 : NAN;
		if (!(next > lo && next < hi))
			next = isinf(hi) ? 2 * lam : 0.5 * (lo + hi);
		if (next > LAMBDA_MAX) {
			if (lam >= LAMBDA_MAX)
				break;
			next = LAMBDA_MAX;
		}
		lam = next;
	}
	*ret_lam = best_lam;
	return best;
}

/* exp of a log bound, times the rounding slack, never 0 and at most 1. */
static double
bound_of_log(double l)
{
	double b = exp(l) * BOUND_SLACK;

	if (b < DBL_MIN)
		return DBL_MIN;
	return fmin(b, 1.0);
}

/*
 * log of a lower bound on P(S >= s) by tilting at lambda: with the tilted
 * mean mu = s + r and variance v, Chebyshev gives P(s <= S <= s + 2r)
 * >= 1 - v / r^2 under the tilt, and undoing the tilt costs at most
 * e^(-lambda (s + 2r)) times E[e^(lambda S)].  A few tilts beyond the
 * Chernoff optimum lam0 are tried; -inf if none works.
 */
static double
lower_log(const struct term *t, size_t m, double s, double lam0)
{
	static const double k[] = {1.25, 1.5, 2.0, 3.0};
	double best = -INFINITY, sd, lam, r, cheb, l;
	struct cgf c;

	cgf_eval(t, m, s, lam0, &c);
	if (!(c.d2 > 0))
		return best;
	sd = sqrt(c.d2);
	for (size_t i = 0; i < EMB_ARRAY_LEN(k); i++) {
		lam = lam0 + k[i] / sd;
		cgf_eval(t, m, s, lam, &c);
		r = c.d1; /* tilted mean minus s */
		if (!(r > 0))
			continue;
		cheb = 1 - c.d2 / (r * r);
		if (!(cheb > 0))
			continue;
		l = c.f - 2 * lam * r + log(cheb);
		if (l > best)
			best = l;
	}
	return best;
}

/*
 * The lattice bound on P(S >= s); 1 if the lattice would not fit, -1 if
 * its buffers cannot be allocated.  Needs wk->w for m entries; grows the
 * lattice buffers to what this score needs.
 */
static double
lattice_tail(const struct term *t, size_t m, double s, struct work *wk)
{
	double amin = 0, dmax = 0, rt, span, delta, o = 0, kd, wd, done = 0;
	double eps, acc, pa, pb, *src, *dst;
	size_t wsum = 0, k_top, lo = 0, len = 1, rest, top, nlen, j0, k;
	size_t work = 0;
	int cur = 0;

	for (size_t i = 0; i < m; i++) {
		amin += fmin(t[i].a, 1 - t[i].a);
		dmax = fmax(dmax, t[i].g1 - t[i].g0);
	}
	rt = sqrt((double)m);
	/* Live window: about -14 to +14 deviations, plus one jump. */
	span = 28 * rt + dmax;
	delta = 0.02 * rt / amin;
	delta = fmax(delta, span / (double)(LATTICE_CAP / 2));
	delta = fmax(delta, (double)m * span / (double)LATTICE_WORK);
	for (size_t i = 0; i < m; i++) {
		/*
		 * The likely value is exact, the other one rounds up: a
		 * mismatch is likely, so the jump to a match rounds up; or a
		 * match is likely, so the jump from a mismatch rounds down.
		 * The 1e-9 leaves room for the division's error.
		 */
		wd = (t[i].g1 - t[i].g0) / delta;
		if (t[i].a < 0.5)
			wd = ceil(wd + 1e-9);
		else
			wd = fmax(floor(wd - 1e-9), 0);
		if (!(wd >= 0 && wd <= (double)(LATTICE_CAP / 2)))
			return 1;
		wk->w[i] = (uint32_t)wd;
		wsum += wk->w[i];
		o += t[i].a < 0.5 ? t[i].g0 : t[i].g1 - delta * wd;
	}
	kd = ceil((s - o) / delta - 1e-6);
	if (kd <= 0)
		return 1;
	if (kd > (double)wsum)
		return 0;
	k_top = (size_t)kd;
	/* The live window never reaches k_top points (nlen <= top). */
	if (work_lattice(wk, k_top < LATTICE_CAP ? k_top : LATTICE_CAP) < 0)
		return -1;
	rest = wsum;
	eps = LATTICE_EPS / (2.0 * (double)m + 2);
	src = wk->buf[0];
	src[0] = 1;
	/* src[k] = P(partial sum == lo + k), every lo + k < k_top. */
	for (size_t i = 0; i < m; i++) {
		size_t w = wk->w[i];

		pa = t[i].a;
		pb = 1 - pa;
		top = k_top - lo;
		/* Jumps that reach k_top are settled. */
		j0 = top > w ? top - w : 0;
		for (k = j0; k < len; k++)
			done += pa * src[k];
		nlen = len + w < top ? len + w : top;
		work += nlen + w;
		if (nlen > LATTICE_CAP || work > LATTICE_WORK_HARD)
			return 1; /* too big: give up, 1 is still a bound */
		/*
		 * dst[k] = pb src[k] (k < len) + pa src[k - w] (k >= w), in
		 * ranges without branches; len <= nlen <= len + w.
		 */
		dst = wk->buf[1 - cur];
		for (k = 0; k < len && k < w; k++)
			dst[k] = pb * src[k];
		for (; k < len; k++)
			dst[k] = pb * src[k] + pa * src[k - w];
		for (; k < w && k < nlen; k++)
			dst[k] = 0;
		for (; k < nlen; k++)
			dst[k] = pa * src[k - w];
		cur = 1 - cur;
		src = dst;
		len = nlen;
		rest -= w;
		/* Values that cannot reach k_top any more are dropped. */
		if (k_top > rest + lo) {
			size_t drop = k_top - rest - lo;

			if (drop >= len)
				break;
			src += drop;
			lo += drop;
			len -= drop;
		}
		/* Negligible ends count as reaching k_top: an upper bound. */
		acc = 0;
		while (len > 0 && acc + src[0] <= eps) {
			acc += src[0];
			src++;
			lo++;
			len--;
		}
		while (len > 0 && acc + src[len - 1] <= 2 * eps) {
			acc += src[len - 1];
			len--;
		}
		done += acc;
		if (len == 0)
			break;
	}
	return fmin(done * BOUND_SLACK, 1.0);
}

/* The three decisions of accuse_innocent_tail and accuse_tail_below. */
enum mode {
	MODE_CHERNOFF,
	MODE_LATTICE,
	MODE_MIN,
};

static double
tail_terms(struct work *wk, size_t m, double score, enum mode mode)
{
	double s, v, lam, c = 1, b = 1;

	if (!prepare(wk->t, m, score, &s, &v))
		return v;
	if (mode != MODE_LATTICE)
		c = bound_of_log(chernoff_log(wk->t, m, s, &lam));
	if (mode != MODE_CHERNOFF && (b = lattice_tail(wk->t, m, s, wk)) < 0)
		b = 1; /* no scratch memory: the trivial bound */
	return fmin(c, b);
}

static double
tail_sites(const struct accuse_site *s, size_t n, double score, enum mode mode)
{
	struct work wk;
	double r = 1;
	size_t m;

	work_init(&wk);
	if (work_terms(&wk, s, n, &m) == 0)
		r = tail_terms(&wk, m, score, mode);
	work_fini(&wk);
	return r;
}

double
accuse_innocent_tail(const struct accuse_site *s, size_t n, double score)
{
	return tail_sites(s, n, score, MODE_MIN);
}

double
accuse_tail_chernoff(const struct accuse_site *s, size_t n, double score)
{
	return tail_sites(s, n, score, MODE_CHERNOFF);
}

double
accuse_tail_lattice(const struct accuse_site *s, size_t n, double score)
{
	return tail_sites(s, n, score, MODE_LATTICE);
}

static bool
below_terms(struct work *wk, size_t m, double score, double target)
{
	double s, v, lam, lc, c, l;

	if (!prepare(wk->t, m, score, &s, &v))
		return v <= target;
	lc = chernoff_log(wk->t, m, s, &lam);
	c = bound_of_log(lc);
	if (c <= target)
		return true;
	/* Both bounds are >= the true tail >= this lower bound. */
	if (lam > 0 && exp(lower_log(wk->t, m, s, lam)) * (1 - 1e-6) > target)
		return false;
	l = lattice_tail(wk->t, m, s, wk);
	return l >= 0 && l <= target;
}

bool
accuse_tail_below(
    const struct accuse_site *s, size_t n, double score, double target)
{
	struct work wk;
	bool r = false;
	size_t m;

	work_init(&wk);
	if (work_terms(&wk, s, n, &m) == 0)
		r = below_terms(&wk, m, score, target);
	work_fini(&wk);
	return r;
}

/* Simulation. */

struct sim_state {
	struct tardos_rng rng;
	struct accuse_site *site; /* surviving sites of a trial */
	size_t *perm; /* site indices, shuffled */
	uint8_t *col; /* colluders' symbols, site-major */
	double *score; /* per partner */
	bool *seen; /* per partner, during the decision */
	struct work wk;
};

/* A uniform integer in [0, k), k >= 1. */
static size_t
rng_below(struct tardos_rng *rng, size_t k)
{
	size_t j = (size_t)(tardos_rng_unit(rng) * (double)k);

	return j < k ? j : k - 1;
}

static void
rng_seed(struct tardos_rng *rng, uint8_t seed[32])
{
	for (int i = 0; i < 4; i++) {
		uint64_t x = tardos_rng_next(rng);

		for (int b = 0; b < 8; b++)
			seed[8 * i + b] = (uint8_t)(x >> (8 * b));
	}
}

static unsigned
attack(struct tardos_rng *rng, enum accuse_strategy strategy,
    const uint8_t *sym, unsigned c, unsigned q)
{
	unsigned count[TARDOS_Q_MAX] = {0}, pick[TARDOS_Q_MAX];
	unsigned n = 0, best = 0;

	if (strategy == ACCUSE_INTERLEAVE)
		return sym[rng_below(rng, c)];
	for (unsigned j = 0; j < c; j++)
		count[sym[j]]++;
	for (unsigned y = 0; y < q; y++)
		if (count[y] > best)
			best = count[y];
	for (unsigned y = 0; y < q; y++)
		if (strategy == ACCUSE_MAJORITY ? count[y] == best
		                                : count[y] > 0)
			pick[n++] = y;
	return pick[rng_below(rng, n)];
}

static int
sim_check(const struct accuse_sim *sim)
{
	if (sim->q == NULL && sim->sites > 0)
		return EMB_EINVAL;
	if (sim->sites > ACCUSE_SIM_SITES_MAX ||
	    sim->partners > ACCUSE_SIM_PARTNERS_MAX || sim->trials < 1 ||
	    sim->trials > ACCUSE_SIM_TRIALS_MAX)
		return EMB_EINVAL;
	if (sim->colluders < 1 || sim->colluders > ACCUSE_SIM_COLLUDERS_MAX ||
	    sim->colluders > sim->partners)
		return EMB_EINVAL;
	if (!(sim->survive >= 0 && sim->survive <= 1) ||
	    !(sim->alpha > 0 && sim->alpha <= 1) ||
	    !(sim->cutoff >= 0 && sim->cutoff < 0.5))
		return EMB_EINVAL;
	if (sim->strategy != ACCUSE_MAJORITY &&
	    sim->strategy != ACCUSE_UNIFORM &&
	    sim->strategy != ACCUSE_INTERLEAVE)
		return EMB_EINVAL;
	for (size_t i = 0; i < sim->sites; i++)
		if (sim->q[i] < 2 || sim->q[i] > TARDOS_Q_MAX)
			return EMB_EINVAL;
	return 0;
}

static void
sim_free(struct sim_state *st)
{
	free(st->site);
	free(st->perm);
	free(st->col);
	free(st->score);
	free(st->seen);
	work_fini(&st->wk);
}

static int
sim_alloc(struct sim_state *st, const struct accuse_sim *sim)
{
	size_t n = sim->sites > 0 ? sim->sites : 1;

	st->site = calloc(n, sizeof(*st->site));
	st->perm = calloc(n, sizeof(*st->perm));
	st->col = calloc(n, ACCUSE_SIM_COLLUDERS_MAX);
	st->score = calloc(sim->partners, sizeof(*st->score));
	st->seen = calloc(sim->partners, sizeof(*st->seen));
	if (st->site == NULL || st->perm == NULL || st->col == NULL ||
	    st->score == NULL || st->seen == NULL)
		return EMB_ENOMEM;
	return work_reserve(&st->wk, n);
}

/* One trace: the surviving sites, the attack and every partner's score. */
static size_t
sim_trace(struct sim_state *st, const struct accuse_sim *sim, size_t keep)
{
	unsigned c = sim->colluders;
	uint8_t seed[32];
	size_t m = 0;

	/* Partial Fisher-Yates: perm[0..keep-1] survive. */
	for (size_t i = 0; i < keep; i++) {
		size_t j = i + rng_below(&st->rng, sim->sites - i);
		size_t x = st->perm[i];

		st->perm[i] = st->perm[j];
		st->perm[j] = x;
	}
	for (size_t i = 0; i < keep; i++) {
		struct accuse_site *s = &st->site[i];
		uint8_t *sym = &st->col[i * ACCUSE_SIM_COLLUDERS_MAX];

		s->q = sim->q[st->perm[i]];
		rng_seed(&st->rng, seed);
		tardos_bias(seed, s->q, sim->cutoff, s->p);
		for (unsigned j = 0; j < c; j++) {
			rng_seed(&st->rng, seed);
			sym[j] = (uint8_t)tardos_symbol(seed, s->p, s->q);
		}
		s->observed =
		    (int)attack(&st->rng, sim->strategy, sym, c, s->q);
	}
	if (work_terms(&st->wk, st->site, keep, &m) < 0)
		return 0;
	/* Colluders' scores from their symbols, innocents' by sampling. */
	for (unsigned j = 0; j < c; j++) {
		double sum = 0;

		for (size_t i = 0; i < keep; i++) {
			struct accuse_site *s = &st->site[i];

			sum += tardos_g(s->p, s->q, (unsigned)s->observed,
			    st->col[i * ACCUSE_SIM_COLLUDERS_MAX + j]);
		}
		st->score[j] = sum;
	}
	for (size_t j = c; j < sim->partners; j++) {
		const struct term *t = st->wk.t;
		double sum = 0;

		for (size_t i = 0; i < m; i++)
			sum += tardos_rng_unit(&st->rng) < t[i].a ? t[i].g1
			                                          : t[i].g0;
		st->score[j] = sum;
	}
	return m;
}

int
accuse_simulate(const struct accuse_sim *sim, struct accuse_sim_result *ret)
{
	struct accuse_sim_result res = {0};
	struct sim_state st;
	double target;
	size_t keep, m;
	int r;

	if ((r = sim_check(sim)) < 0)
		return r;
	memset(&st, 0, sizeof(st));
	work_init(&st.wk);
	if ((r = sim_alloc(&st, sim)) < 0)
		goto out;
	tardos_rng_init(&st.rng, sim->seed);
	target = sim->alpha / (double)sim->partners;
	keep = (size_t)llround(sim->survive * (double)sim->sites);
	if (keep > sim->sites)
		keep = sim->sites;
	for (size_t trial = 0; trial < sim->trials; trial++) {
		size_t col = 0, inn = 0;

		for (size_t i = 0; i < sim->sites; i++)
			st.perm[i] = i;
		m = sim_trace(&st, sim, keep);
		memset(st.seen, 0, sim->partners * sizeof(*st.seen));
		/* Top scorers first; the bound is monotone in the score. */
		for (;;) {
			size_t best = SIZE_MAX;

			for (size_t j = 0; j < sim->partners; j++)
				if (!st.seen[j] &&
				    (best == SIZE_MAX ||
				        st.score[j] > st.score[best]))
					best = j;
			if (best == SIZE_MAX)
				break;
			st.seen[best] = true;
			if (!below_terms(&st.wk, m, st.score[best], target))
				break;
			if (best < sim->colluders)
				col++;
			else
				inn++;
		}
		res.trials++;
		res.caught += col > 0;
		res.framed += inn > 0;
		res.colluders_accused += col;
		res.innocents_accused += inn;
	}
	*ret = res;
	r = 0;
out:
	sim_free(&st);
	return r;
}
