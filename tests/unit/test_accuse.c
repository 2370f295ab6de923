/*
 * Unit tests for trace/accuse: scores, the two tail bounds (checked
 * against exact enumeration, exact binomial tails and simulated innocents:
 * they must never be below the truth, and must not be uselessly loose),
 * the no-evidence rule, and whole traces: a single leaker, three
 * colluders, erasures.  Everything is seeded, so the tests are
 * deterministic.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mark/tardos.h"
#include "trace/accuse.h"
#include "common/emb.h"

#define ALPHA 1e-6

/* A seed from three counters (little-endian), the rest zero. */
static void
mkseed(uint8_t seed[32], uint64_t a, uint64_t b, uint64_t c)
{
	memset(seed, 0, 32);
	for (int i = 0; i < 8; i++) {
		seed[i] = (uint8_t)(a >> (8 * i));
		seed[8 + i] = (uint8_t)(b >> (8 * i));
		seed[16 + i] = (uint8_t)(c >> (8 * i));
	}
}

/*
 * n sites of artifact tag with q variants (q == 0: 2..8 in turn), biases
 * at the default cutoff, each observed variant drawn from the bias (what
 * a single leaker would show).
 */
static void
make_sites(struct accuse_site *s, size_t n, unsigned q, uint64_t tag)
{
	uint8_t seed[32];

	for (size_t i = 0; i < n; i++) {
		s[i].q = q ? q : 2 + (unsigned)(i % (TARDOS_Q_MAX - 1));
		mkseed(seed, tag, i, 1);
		tardos_bias(seed, s[i].q, TARDOS_CUTOFF_DEFAULT, s[i].p);
		mkseed(seed, tag, i, 2);
		s[i].observed = (int)tardos_symbol(seed, s[i].p, s[i].q);
	}
}

/* Largest possible score: every symbol matches. */
static double
max_score(const struct accuse_site *s, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i].observed >= 0)
			sum += tardos_g(s[i].p, s[i].q, (unsigned)s[i].observed,
			    (unsigned)s[i].observed);
	return sum;
}

static void
test_score(void **state)
{
	struct accuse_site s[4] = {
	    {2, {0.25, 0.75}, 0}, {3, {0.5, 0.25, 0.25}, 2},
	    {2, {0.1, 0.9}, -1}, /* erased */
	    {2, {0.1, 0.9}, 5}, /* out of range: ignored */
	};
	const uint8_t sym[4] = {0, 1, 1, 0};
	const uint8_t sym2[4] = {1, 0, 0, 1};
	double want;

	(void)state;
	want = sqrt(3.0) - sqrt(0.25 / 0.75);
	assert_true(fabs(accuse_score(s, 4, sym) - want) < 1e-12);
	want = -2 * sqrt(0.25 / 0.75);
	assert_true(fabs(accuse_score(s, 4, sym2) - want) < 1e-12);
	assert_true(accuse_score(s, 0, sym) == 0);
}

static void
test_no_evidence(void **state)
{
	struct accuse_site s[10];
	const double scores[] = {-1e9, -1, 0, 1e-9, 1, 50, 1e300, INFINITY};

	(void)state;
	make_sites(s, 10, 2, 1);
	for (size_t i = 0; i < 10; i++)
		s[i].observed = -1;
	for (size_t i = 0; i < EMB_ARRAY_LEN(scores); i++) {
		assert_true(accuse_innocent_tail(NULL, 0, scores[i]) == 1);
		assert_true(accuse_innocent_tail(s, 10, scores[i]) == 1);
		assert_true(accuse_tail_chernoff(s, 10, scores[i]) == 1);
		assert_true(accuse_tail_lattice(s, 10, scores[i]) == 1);
		assert_false(accuse_tail_below(s, 10, scores[i], ALPHA));
	}
	/* A NaN score is no evidence either. */
	make_sites(s, 10, 2, 1);
	assert_true(accuse_innocent_tail(s, 10, NAN) == 1);
}

/*
 * Exact innocent tail by enumerating the 2^n match patterns (n <= 20),
 * compared with both bounds at many thresholds.  The bounds may never be
 * below it; the lattice must also be close to it.
 */
static void
test_exact_enumeration(void **state)
{
	enum { N = 14 };
	struct accuse_site s[N];
	double *v, *pr, a[N], g1[N], g0[N], c, l, t, th, gmax;
	int worst_ratio_ok = 0, checked = 0;

	(void)state;
	v = malloc(sizeof(double) << N);
	pr = malloc(sizeof(double) << N);
	assert_non_null(v);
	assert_non_null(pr);
	for (uint64_t tag = 0; tag < 6; tag++) {
		make_sites(s, N, tag % 2 ? 0 : 2, 100 + tag);
		for (int i = 0; i < N; i++) {
			unsigned y = (unsigned)s[i].observed;

			a[i] = s[i].p[y];
			g1[i] = tardos_g(s[i].p, s[i].q, y, y);
			g0[i] = tardos_g(s[i].p, s[i].q, y, y == 0);
		}
		for (size_t b = 0; b < ((size_t)1 << N); b++) {
			v[b] = 0;
			pr[b] = 1;
			for (int i = 0; i < N; i++) {
				v[b] += (b >> i & 1) ? g1[i] : g0[i];
				pr[b] *= (b >> i & 1) ? a[i] : 1 - a[i];
			}
		}
		gmax = max_score(s, N);
		for (th = -4; th <= gmax + 0.5; th += gmax / 23) {
			t = 0;
			for (size_t b = 0; b < ((size_t)1 << N); b++)
				if (v[b] >= th)
					t += pr[b];
			c = accuse_tail_chernoff(s, N, th);
			l = accuse_tail_lattice(s, N, th);
			assert_true(c >= t * (1 - 1e-9));
			assert_true(l >= t * (1 - 1e-9));
			assert_true(
			    accuse_innocent_tail(s, N, th) == fmin(c, l));
			if (t > 1e-12) {
				checked++;
				worst_ratio_ok += l <= 1.2 * t + 1e-12;
			}
		}
		/* The exact maximum: P(all match) = prod a, attained. */
		t = 1;
		for (int i = 0; i < N; i++)
			t *= a[i];
		assert_true(accuse_innocent_tail(s, N, gmax) >= t * (1 - 1e-9));
		assert_true(accuse_innocent_tail(s, N, gmax) <= 1.01 * t);
		assert_true(accuse_innocent_tail(s, N, gmax + 1e-3) == 0);
	}
	/* Nearly always within 20% of the exact value. */
	assert_true(worst_ratio_ok >= checked * 95 / 100);
	free(v);
	free(pr);
}

/*
 * The lattice buffers are sized to the score: scores just above the
 * smallest possible one need a window of a few points.  A fine sweep from
 * below that minimum, against exact enumeration: 1 at or below it, never
 * below the truth, nonincreasing.
 */
static void
test_lattice_small_windows(void **state)
{
	enum { N = 14 };
	struct accuse_site s[N];
	double *v, *pr, a[N], g1[N], g0[N], gmin = 0, prev = 1, l, t;

	(void)state;
	v = malloc(sizeof(double) << N);
	pr = malloc(sizeof(double) << N);
	assert_non_null(v);
	assert_non_null(pr);
	make_sites(s, N, 0, 120);
	for (int i = 0; i < N; i++) {
		unsigned y = (unsigned)s[i].observed;

		a[i] = s[i].p[y];
		g1[i] = tardos_g(s[i].p, s[i].q, y, y);
		g0[i] = tardos_g(s[i].p, s[i].q, y, y == 0);
		gmin += g0[i];
	}
	for (size_t b = 0; b < ((size_t)1 << N); b++) {
		v[b] = 0;
		pr[b] = 1;
		for (int i = 0; i < N; i++) {
			v[b] += (b >> i & 1) ? g1[i] : g0[i];
			pr[b] *= (b >> i & 1) ? a[i] : 1 - a[i];
		}
	}
	assert_true(accuse_tail_lattice(s, N, gmin - 1) == 1);
	for (double th = gmin - 0.5; th <= gmin + 8; th += 0.01) {
		t = 0;
		for (size_t b = 0; b < ((size_t)1 << N); b++)
			if (v[b] >= th)
				t += pr[b];
		l = accuse_tail_lattice(s, N, th);
		assert_true(l >= 0 && l <= 1);
		assert_true(l >= t * (1 - 1e-9));
		assert_true(l <= prev * (1 + 1e-9) + 1e-30);
		prev = l;
	}
	free(v);
	free(pr);
}

/* log P(Bin(n, a) >= k), summed in long double. */
static double
binomial_tail(int n, double a, int k)
{
	long double sum = 0;

	for (int j = k; j <= n; j++)
		sum += expl(lgammal(n + 1) - lgammal(j + 1) -
		    lgammal(n - j + 1) + j * logl(a) + (n - j) * log1pl(-a));
	return (double)sum;
}

/*
 * Identical sites with the observed symbol at the cutoff (or at one minus
 * it): the innocent tail is an exact binomial tail, far out in the tails
 * that a Gaussian approximation gets badly wrong.
 */
static void
test_binomial_at_cutoff(void **state)
{
	enum { N = 200 };
	static struct accuse_site s[N];
	const double as[] = {
	    TARDOS_CUTOFF_DEFAULT, 0.02, 0.5, 0.9, 1 - TARDOS_CUTOFF_DEFAULT};
	double a, g1, g0, score, t, b;

	(void)state;
	for (size_t j = 0; j < EMB_ARRAY_LEN(as); j++) {
		a = as[j];
		for (int i = 0; i < N; i++) {
			s[i].q = 2;
			s[i].p[0] = a;
			s[i].p[1] = 1 - a;
			s[i].observed = 0;
		}
		g1 = sqrt((1 - a) / a);
		g0 = -sqrt(a / (1 - a));
		for (int k = 0; k <= N; k += (a < 0.5 ? 3 : 7)) {
			score = k * g1 + (N - k) * g0;
			t = binomial_tail(N, a, k);
			if (t < 1e-280)
				break;
			b = accuse_innocent_tail(s, N, score);
			assert_true(b >= t * (1 - 1e-9));
			assert_true(accuse_tail_chernoff(s, N, score) >=
			    t * (1 - 1e-9));
			/* Never loose by more than the Chernoff factor. */
			assert_true(b <= 50 * t * sqrt((double)N) || b > 0.5);
		}
	}
}

/*
 * Simulated innocents: the empirical tail over 200000 of them never
 * exceeds the bounds (allowing for sampling noise), and the bound is
 * within a small factor of it where it can be measured.
 */
static void
test_simulated_innocents(void **state)
{
	enum { N = 100, T = 200000 };
	static struct accuse_site s[N];
	static double score[T];
	const double x[] = {-1, 0, 1, 2, 3, 3.5};
	double a[N], g1[N], g0[N];
	struct tardos_rng rng;
	uint8_t seed[32];
	double sum, emp, b, th, noise;
	size_t hits;

	(void)state;
	for (unsigned q = 0; q <= 2; q += 2) {
		make_sites(s, N, q, 7 + q);
		for (int i = 0; i < N; i++) {
			unsigned y = (unsigned)s[i].observed;

			a[i] = s[i].p[y];
			g1[i] = tardos_g(s[i].p, s[i].q, y, y);
			g0[i] = tardos_g(s[i].p, s[i].q, y, y == 0);
		}
		mkseed(seed, 99, q, 0);
		tardos_rng_init(&rng, seed);
		/* An innocent matches site i with probability a[i]. */
		for (int k = 0; k < T; k++) {
			sum = 0;
			for (int i = 0; i < N; i++)
				sum += tardos_rng_unit(&rng) < a[i] ? g1[i]
				                                    : g0[i];
			score[k] = sum;
		}
		for (size_t j = 0; j < EMB_ARRAY_LEN(x); j++) {
			th = x[j] * sqrt((double)N);
			hits = 0;
			for (int k = 0; k < T; k++)
				hits += score[k] >= th;
			emp = (double)hits / T;
			noise = 5 * sqrt(emp * (1 - emp) / T) + 5.0 / T;
			b = accuse_tail_chernoff(s, N, th);
			assert_true(b >= emp - noise);
			b = accuse_tail_lattice(s, N, th);
			assert_true(b >= emp - noise);
			b = accuse_innocent_tail(s, N, th);
			assert_true(b >= emp - noise);
			if (emp > 1e-3)
				assert_true(b <= 1.3 * emp + noise);
		}
	}
}

static void
test_monotone(void **state)
{
	enum { N = 200 };
	static struct accuse_site s[N];
	double prev_c = 1, prev_l = 1, prev = 1, c, l, m, gmax;

	(void)state;
	make_sites(s, N, 0, 3);
	gmax = max_score(s, N);
	for (double th = -20; th <= gmax + 1; th += (gmax + 21) / 24) {
		c = accuse_tail_chernoff(s, N, th);
		l = accuse_tail_lattice(s, N, th);
		m = accuse_innocent_tail(s, N, th);
		assert_true(c >= 0 && c <= 1 && l >= 0 && l <= 1);
		assert_true(c <= prev_c * (1 + 1e-9));
		assert_true(l <= prev_l * (1 + 1e-9) + 1e-30);
		assert_true(m <= prev * (1 + 1e-9) + 1e-30);
		prev_c = c;
		prev_l = l;
		prev = m;
	}
	/* Huge scores: 0 beyond the maximum, tiny but positive below it. */
	assert_true(accuse_innocent_tail(s, N, INFINITY) == 0);
	assert_true(accuse_innocent_tail(s, N, 1e300) == 0);
	assert_true(accuse_innocent_tail(s, N, gmax * 0.9) > 0);
	assert_true(accuse_innocent_tail(s, N, gmax * 0.9) < 1e-12);
	assert_true(accuse_innocent_tail(s, N, -INFINITY) == 1);
}

/* accuse_tail_below decides exactly as accuse_innocent_tail would. */
static void
test_below_consistent(void **state)
{
	enum { N = 120 };
	static struct accuse_site s[N];
	const double targets[] = {1e-3, 1e-6, 1.25e-8, 1e-12};
	double th, b;

	(void)state;
	make_sites(s, N, 0, 4);
	for (size_t j = 0; j < EMB_ARRAY_LEN(targets); j++) {
		for (double x = -1; x <= 9; x += 0.5) {
			th = x * sqrt((double)N);
			b = accuse_innocent_tail(s, N, th);
			assert_int_equal(
			    accuse_tail_below(s, N, th, targets[j]),
			    b <= targets[j]);
		}
	}
}

/*
 * A single leaker, 80 partners, 60 binary sites surviving: every partner's
 * symbols come from tardos_symbol, the sample is the leaker's copy, and a
 * partner is accused when tail * 80 <= 1e-6.  Top scorers are checked in
 * decreasing order, as the trace command does.
 */
static void
test_single_leaker(void **state)
{
	enum { SITES = 60, PARTNERS = 80, RUNS = 40 };
	static struct accuse_site s[SITES];
	static uint8_t sym[PARTNERS][SITES];
	double score[PARTNERS], tail;
	int caught = 0, framed = 0, leaker, best;
	bool seen[PARTNERS];
	uint8_t seed[32];

	(void)state;
	for (uint64_t run = 0; run < RUNS; run++) {
		leaker = (int)(run * 7 % PARTNERS);
		for (int i = 0; i < SITES; i++) {
			s[i].q = 2;
			mkseed(seed, 1000 + run, (uint64_t)i, 0);
			tardos_bias(seed, 2, TARDOS_CUTOFF_DEFAULT, s[i].p);
			for (int j = 0; j < PARTNERS; j++) {
				mkseed(seed, 1000 + run, (uint64_t)i,
				    1 + (uint64_t)j);
				sym[j][i] =
				    (uint8_t)tardos_symbol(seed, s[i].p, 2);
			}
			s[i].observed = sym[leaker][i];
		}
		for (int j = 0; j < PARTNERS; j++) {
			score[j] = accuse_score(s, SITES, sym[j]);
			seen[j] = false;
		}
		for (;;) {
			best = -1;
			for (int j = 0; j < PARTNERS; j++)
				if (!seen[j] &&
				    (best < 0 || score[j] > score[best]))
					best = j;
			if (best < 0)
				break;
			seen[best] = true;
			tail = accuse_innocent_tail(s, SITES, score[best]);
			if (tail * PARTNERS > ALPHA)
				break;
			if (best == leaker)
				caught++;
			else
				framed++;
		}
	}
	/* About 92% in the long run; 75% leaves room for these seeds. */
	assert_true(caught >= RUNS * 3 / 4);
	assert_int_equal(framed, 0);
}

static struct accuse_sim
sim_default(const unsigned *q, size_t sites)
{
	struct accuse_sim sim = {
	    .q = q,
	    .sites = sites,
	    .partners = 80,
	    .colluders = 3,
	    .survive = 1,
	    .strategy = ACCUSE_MAJORITY,
	    .alpha = ALPHA,
	    .cutoff = TARDOS_CUTOFF_DEFAULT,
	    .trials = 20,
	};

	mkseed(sim.seed, 5, 6, 7);
	return sim;
}

/* Three colluders, majority vote, 600 binary sites, 80 partners. */
static void
test_three_colluders(void **state)
{
	static unsigned q[600];
	struct accuse_sim_result r, r2;
	struct accuse_sim sim;

	(void)state;
	for (size_t i = 0; i < 600; i++)
		q[i] = 2;
	sim = sim_default(q, 600);
	assert_int_equal(accuse_simulate(&sim, &r), 0);
	assert_int_equal(r.trials, 20);
	/* About 95% in the long run. */
	assert_true(r.caught >= 16);
	assert_int_equal(r.framed, 0);
	assert_int_equal(r.innocents_accused, 0);
	assert_true(r.colluders_accused >= r.caught);
	/* Deterministic in the seed. */
	assert_int_equal(accuse_simulate(&sim, &r2), 0);
	assert_memory_equal(&r, &r2, sizeof(r));
	/* The other attacks, on 400 sites with 2 to 4 variants. */
	sim.sites = 400;
	for (int st = ACCUSE_UNIFORM; st <= ACCUSE_INTERLEAVE; st++) {
		static unsigned q4[400];

		for (size_t i = 0; i < 400; i++)
			q4[i] = 2 + (unsigned)(i % 3); /* q = 2, 3, 4 */
		sim.q = q4;
		sim.strategy = (enum accuse_strategy)st;
		sim.trials = 10;
		assert_int_equal(accuse_simulate(&sim, &r), 0);
		assert_true(r.caught >= 8);
		assert_int_equal(r.framed, 0);
	}
}

/* Too few sites: nobody is accused, least of all an innocent. */
static void
test_too_little_evidence(void **state)
{
	static unsigned q[1000];
	struct accuse_sim_result r;
	struct accuse_sim sim;

	(void)state;
	for (size_t i = 0; i < 1000; i++)
		q[i] = 2;
	sim = sim_default(q, 1000);
	sim.survive = 0; /* everything erased */
	assert_int_equal(accuse_simulate(&sim, &r), 0);
	assert_int_equal(r.caught, 0);
	assert_int_equal(r.framed, 0);
	sim.survive = 0.01; /* 10 sites: not enough for 1e-6 */
	sim.colluders = 1;
	assert_int_equal(accuse_simulate(&sim, &r), 0);
	assert_int_equal(r.caught, 0);
	assert_int_equal(r.framed, 0);
	sim.sites = 0;
	sim.survive = 1;
	assert_int_equal(accuse_simulate(&sim, &r), 0);
	assert_int_equal(r.caught + r.framed, 0);
}

/*
 * The capacity report's reference load, 1000 sites x 100 partners, 40%
 * erased, interleaving (15 trials here; 100 take ~0.3 s optimised).
 */
static void
test_simulate_load(void **state)
{
	static unsigned q[1000];
	struct accuse_sim_result r;
	struct accuse_sim sim;

	(void)state;
	for (size_t i = 0; i < 1000; i++)
		q[i] = 2;
	sim = sim_default(q, 1000);
	sim.partners = 100;
	sim.trials = 15;
	sim.survive = 0.6;
	sim.strategy = ACCUSE_INTERLEAVE;
	assert_int_equal(accuse_simulate(&sim, &r), 0);
	assert_true(r.caught >= 12);
	assert_int_equal(r.framed, 0);
}

static void
test_simulate_invalid(void **state)
{
	unsigned q[4] = {2, 2, 2, 2}, bad[2] = {2, 9};
	struct accuse_sim_result r = {0};
	struct accuse_sim sim;

	(void)state;
	sim = sim_default(q, 4);
	sim.colluders = 0;
	assert_int_equal(accuse_simulate(&sim, &r), EMB_EINVAL);
	sim = sim_default(q, 4);
	sim.colluders = 4;
	assert_int_equal(accuse_simulate(&sim, &r), EMB_EINVAL);
	sim = sim_default(q, 4);
	sim.partners = 2;
	assert_int_equal(accuse_simulate(&sim, &r), EMB_EINVAL);
	sim = sim_default(q, 4);
	sim.trials = 0;
	assert_int_equal(accuse_simulate(&sim, &r), EMB_EINVAL);
	sim = sim_default(q, 4);
	sim.survive = 1.5;
	assert_int_equal(accuse_simulate(&sim, &r), EMB_EINVAL);
	sim = sim_default(q, 4);
	sim.alpha = 0;
	assert_int_equal(accuse_simulate(&sim, &r), EMB_EINVAL);
	sim = sim_default(q, 4);
	sim.strategy = (enum accuse_strategy)7;
	assert_int_equal(accuse_simulate(&sim, &r), EMB_EINVAL);
	sim = sim_default(bad, 2);
	assert_int_equal(accuse_simulate(&sim, &r), EMB_EINVAL);
	sim = sim_default(NULL, 2);
	assert_int_equal(accuse_simulate(&sim, &r), EMB_EINVAL);
	/* Out-parameter untouched on failure. */
	assert_int_equal(r.trials, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_score),
	    cmocka_unit_test(test_no_evidence),
	    cmocka_unit_test(test_exact_enumeration),
	    cmocka_unit_test(test_lattice_small_windows),
	    cmocka_unit_test(test_binomial_at_cutoff),
	    cmocka_unit_test(test_simulated_innocents),
	    cmocka_unit_test(test_monotone),
	    cmocka_unit_test(test_below_consistent),
	    cmocka_unit_test(test_single_leaker),
	    cmocka_unit_test(test_three_colluders),
	    cmocka_unit_test(test_too_little_evidence),
	    cmocka_unit_test(test_simulate_load),
	    cmocka_unit_test(test_simulate_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
