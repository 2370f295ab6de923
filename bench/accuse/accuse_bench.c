/*
 * Accusation benchmark: what `embargo trace` does once a sample is known
 * to derive from an artifact, at the issue's size (100,000 partners, an
 * artifact of about 1,000 mark sites).
 *
 *   accuse_bench [-n PARTNERS] [-m SITES] [-r RUNS] [-c COLLUDERS]
 *                [-s SURVIVE] [-a ASIS_PARTNERS] [-S] [-d DIR]
 *                [-v VARIANT] FILE...
 *
 * The artifact is the FILEs (Python PoCs) appended in turn and cut at the
 * first top-level definition where it has SITES coded sites (default
 * 1000), prepared with core_mark_prepare under a fixed instance key, as
 * the trace path prepares it.  Partner i is "partner-%06d"; its symbols
 * come from mark_artifact_symbols, the keyed derivation (BLAKE2b, then
 * ChaCha20) that renders its copy.  The sample is forged by COLLUDERS
 * partners (default 1; majority per site, ties at random) and keeps
 * round(SURVIVE * coded) sites at random (default 0.7), the others
 * erased, as a reformatted copy loses its fragile sites.
 *
 * core_trace cannot be called without an instance database, and the
 * scoring in src/core/trace.c is static, so its accusation step is
 * replayed here from the public functions it calls, in the same order:
 *
 *  - "asis": trace_sample's candidate loop as it stands in trace.c:
 *    candidates found with received() (a scan of the recipient list per
 *    partner), then per round and candidate score_cand (buffers allocated
 *    per candidate, mark_artifact_symbols, the site array rebuilt,
 *    tardos_g per site, accuse_innocent_tail for every candidate), then
 *    qsort.  Run on the first ASIS_PARTNERS partners only (default 1000;
 *    0: not run), since at 100,000 it takes minutes; with -S, the
 *    candidate scan alone is also timed at PARTNERS.
 *
 *  - "ranked": the same accusation done as accuse.h asks, the algorithm
 *    of src/core/trace.c (see bench/README.md): recipients as a
 *    per-partner flag, the read sites and their two score terms computed
 *    once, every candidate's symbols derived once into agreement bits and
 *    its score summed, a sort by score, then accuse_innocent_tail for the
 *    top scorers in decreasing order down to the first one that is not a
 *    suspect (round 1) or not accused (colluder rounds).  The colluder
 *    rounds rescore from the agreement bits (a score term depends only on
 *    whether the symbol matches).  The bound does not increase with the
 *    score and every candidate has the same sites here, so the verdict is
 *    asis's; the bench checks that on the asis subset.  Three variants
 *    differ only in how the symbols are derived: "ranked" with
 *    mark_artifact_symbols, "ranked-cdf" and "ranked-match" with the two
 *    derivations of src/mark/mark.c (see bench/README.md) (see
 *    mark_draws), checked to agree with it for every partner.  -v NAME
 *    runs only that variant (for a profile).
 *
 * Each run prints its phases; a RESULT line per variant gives the median,
 * min and max wall seconds over RUNS (default 7, in turn so that the
 * variants see the same load), the median of each phase and of the CPU
 * seconds, how many colluders were accused and whether that is at least
 * one and no innocent (ok).  With -d, writes for the NumPy baseline
 * (run.sh) the symbol matrix of the read sites (DIR/sym.u8, PARTNERS x
 * read, row-major), the observed symbols (DIR/obs.u8), their biases
 * (DIR/pobs.f64), the colluders (DIR/colluders.txt) and ranked's round-1
 * scores (DIR/score.f64).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/marking.h"
#include "core/trace.h"
#include "trace/accuse.h"
#include "common/emb.h"

#define RUNS_MAX 101
#define ROUNDS CORE_TRACE_ROUNDS

/* Bonferroni split of alpha over the rounds, as in core/trace.c. */
static const double round_factor[ROUNDS] = {2, 4, 4};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Everything both replicas see: the artifact, partners and sample. */
struct bench {
	struct crypto_keys *keys;
	struct buf text;
	struct store_artifact art;
	struct mark_artifact ma;
	size_t npartners;
	char (*ids)[EMB_ID_MAX];
	size_t colluder[ACCUSE_SIM_COLLUDERS_MAX];
	unsigned ncolluders;
	int *observed; /* per site; -1 erased (or not coded) */
	size_t coded, read;
	double alpha;
};

/* What one replica decided, for the checks. */
struct verdict {
	size_t accused, innocents_accused, colluders_accused;
	size_t suspects;
	size_t bounds; /* accuse_innocent_tail calls */
	size_t rounds; /* rounds run */
	double top_bound; /* bound of the first candidate not accused */
};

static bool
is_colluder(const struct bench *b, size_t pi)
{
	for (unsigned j = 0; j < b->ncolluders; j++)
		if (b->colluder[j] == pi)
			return true;
	return false;
}

/* Whether a line starts a top-level Python definition: a place to cut. */
static bool
top_level(const uint8_t *p, size_t n)
{
	static const char *const kw[] = {"def ", "class ", "async def ", "@"};

	for (size_t i = 0; i < EMB_ARRAY_LEN(kw); i++)
		if (n >= strlen(kw[i]) && memcmp(p, kw[i], strlen(kw[i])) == 0)
			return true;
	return false;
}

/*
 * The artifact: the files appended in turn, cut at the first top-level
 * definition at which it reaches target coded sites, prepared as the
 * trace path prepares it.
 */
static int
build_artifact(struct bench *b, char **files, int nfiles, size_t target)
{
	struct emb_error err = {0};
	struct buf f;
	int r;

	buf_init(&b->text, CORE_ARTIFACT_MAX);
	memset(&b->art, 0, sizeof(b->art));
	(void)snprintf(b->art.advisory_id, sizeof(b->art.advisory_id), "BENCH");
	(void)snprintf(b->art.name, sizeof(b->art.name), "poc.py");
	b->art.mark = STORE_MARK_AUTO;
	b->art.attached_at = 1700000000000;
	for (int i = 0;; i = (i + 1) % nfiles) {
		size_t old = b->text.len;
		buf_init(&f, CORE_ARTIFACT_MAX);
		if ((r = buf_read_file(&f, files[i])) < 0 ||
		    (r = buf_append(&b->text, f.data, f.len)) < 0 ||
		    (r = buf_append(&b->text, "\n", 1)) < 0) {
			fprintf(stderr, "accuse_bench: %s: %s\n", files[i],
			    emb_strerror(r));
			buf_fini(&f);
			return r;
		}
		buf_fini(&f);
		for (size_t o = old + 1; o <= b->text.len; o++) {
			if (o < b->text.len &&
			    !(b->text.data[o - 1] == '\n' &&
			        top_level(b->text.data + o, b->text.len - o)))
				continue;
			crypto_sha256(b->text.data, o, b->art.sha256);
			if ((r = core_mark_prepare(b->keys, &b->art,
			         b->text.data, o, &b->ma, &err)) < 0) {
				fprintf(stderr, "accuse_bench: %s\n", err.msg);
				return r;
			}
			b->coded = mark_set_coded(&b->ma.set);
			if (b->coded >= target) {
				b->text.len = o;
				return 0;
			}
			mark_artifact_fini(&b->ma);
		}
	}
}

/* A uniform integer in [0, k), k >= 1. */
static size_t
rng_below(struct tardos_rng *rng, size_t k)
{
	size_t j = (size_t)(tardos_rng_unit(rng) * (double)k);

	return j < k ? j : k - 1;
}

/*
 * The leaked sample: per coded site the colluders' majority symbol (ties
 * at random), then all but round(survive * coded) sites erased.
 */
static int
forge_sample(struct bench *b, double survive)
{
	const struct mark_set *set = &b->ma.set;
	uint8_t seed[32] = {7}, *sym;
	struct tardos_rng rng;
	size_t *coded, keep;

	tardos_rng_init(&rng, seed);
	b->observed = calloc(set->nsites + 1, sizeof(int));
	sym = calloc((set->nsites + 1) * b->ncolluders, 1);
	coded = calloc(set->nsites + 1, sizeof(size_t));
	if (b->observed == NULL || sym == NULL || coded == NULL) {
		free(sym);
		free(coded);
		return EMB_ENOMEM;
	}
	for (unsigned j = 0; j < b->ncolluders; j++)
		mark_artifact_symbols(
		    &b->ma, b->ids[b->colluder[j]], sym + j * set->nsites);
	b->coded = 0;
	for (size_t k = 0; k < set->nsites; k++) {
		unsigned count[TARDOS_Q_MAX] = {0}, best = 0, n = 0;
		unsigned pick[TARDOS_Q_MAX];
		b->observed[k] = -1;
		if (set->sites[k].q < 2)
			continue;
		for (unsigned j = 0; j < b->ncolluders; j++)
			count[sym[j * set->nsites + k]]++;
		for (unsigned y = 0; y < set->sites[k].q; y++)
			best = count[y] > best ? count[y] : best;
		for (unsigned y = 0; y < set->sites[k].q; y++)
			if (count[y] == best)
				pick[n++] = y;
		b->observed[k] = (int)pick[rng_below(&rng, n)];
		coded[b->coded++] = k;
	}
	/* Partial Fisher-Yates: coded[0..keep-1] survive. */
	keep = (size_t)llround(survive * (double)b->coded);
	for (size_t i = 0; i < keep && i < b->coded; i++) {
		size_t j = i + rng_below(&rng, b->coded - i), x = coded[i];
		coded[i] = coded[j];
		coded[j] = x;
	}
	for (size_t i = keep; i < b->coded; i++)
		b->observed[coded[i]] = -1;
	b->read = keep < b->coded ? keep : b->coded;
	free(sym);
	free(coded);
	return 0;
}

/*
 * The "asis" replica: trace_sample's accusation, copied from
 * src/core/trace.c with the instance replaced by one entry (the derived
 * artifact) whose recipients are partners 0..n-1 in delivery order.
 */
struct recipient {
	size_t partner;
	int64_t first_at;
};

struct asis {
	const struct bench *b;
	size_t nps;
	struct recipient *rcpt;
	size_t nrcpt;
	int64_t seen_at;
};

static bool
received(const struct asis *t, size_t pi)
{
	for (size_t j = 0; j < t->nrcpt; j++)
		if (t->rcpt[j].partner == pi &&
		    (t->seen_at == 0 || t->rcpt[j].first_at < t->seen_at))
			return true;
	return false;
}

struct cand {
	size_t partner;
	double score;
	size_t sites, agree;
	double bound, corrected;
	int round;
	bool suspect;
};

static int
score_cand(struct asis *t, struct cand *c, const bool *accused, double factor,
    struct accuse_site **sites, size_t *sites_cap)
{
	const struct mark_artifact *ma = &t->b->ma;
	const struct mark_set *set = &ma->set;
	const int *observed = t->b->observed;
	size_t n = 0;
	double score = 0;
	uint8_t *sym = NULL;
	bool *explained;

	c->agree = 0;
	if (received(t, c->partner)) {
		sym = malloc(set->nsites + 1);
		explained = calloc(set->nsites + 1, sizeof(bool));
		if (sym == NULL || explained == NULL) {
			free(explained);
			free(sym);
			return EMB_ENOMEM;
		}
		for (size_t a = 0; accused != NULL && a < t->nps; a++) {
			if (!accused[a] || !received(t, a))
				continue;
			mark_artifact_symbols(ma, t->b->ids[a], sym);
			for (size_t k = 0; k < set->nsites; k++)
				explained[k] |=
				    observed[k] >= 0 && sym[k] == observed[k];
		}
		mark_artifact_symbols(ma, t->b->ids[c->partner], sym);
		for (size_t k = 0; k < set->nsites; k++) {
			const struct mark_site *s = &set->sites[k];
			if (observed[k] < 0 || s->q < 2 || explained[k])
				continue;
			if (n == *sites_cap) {
				size_t nc = *sites_cap ? *sites_cap * 2 : 256;
				struct accuse_site *p =
				    realloc(*sites, nc * sizeof(*p));
				if (p == NULL) {
					free(explained);
					free(sym);
					return EMB_ENOMEM;
				}
				*sites = p;
				*sites_cap = nc;
			}
			(*sites)[n].q = s->q;
			memcpy((*sites)[n].p, mark_artifact_bias(ma, k),
			    sizeof((*sites)[n].p));
			(*sites)[n].observed = observed[k];
			score += tardos_g(
			    (*sites)[n].p, s->q, (unsigned)observed[k], sym[k]);
			c->agree += sym[k] == observed[k];
			n++;
		}
		free(explained);
	}
	free(sym);
	c->score = score;
	c->sites = n;
	c->bound = accuse_innocent_tail(*sites, n, score);
	c->corrected = fmin(1.0, c->bound * factor);
	return 0;
}

static int
cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->corrected != y->corrected)
		return x->corrected < y->corrected ? -1 : 1;
	return x->score > y->score ? -1 : x->score < y->score;
}

static int
run_asis(const struct bench *b, size_t nps, double *ret_s, double *ret_cpu,
    struct verdict *v)
{
	struct asis t = {b, nps, NULL, nps, 0};
	struct accuse_site *sites = NULL;
	struct cand *c = NULL;
	bool *accused = NULL;
	size_t sites_cap = 0, nc = 0;
	double t0, c0;
	int r = EMB_ENOMEM;

	memset(v, 0, sizeof(*v));
	t.rcpt = calloc(nps + 1, sizeof(*t.rcpt));
	if (t.rcpt == NULL)
		goto out;
	for (size_t i = 0; i < nps; i++) {
		t.rcpt[i].partner = i;
		t.rcpt[i].first_at = 1700000000000 + (int64_t)i;
	}
	t0 = now();
	c0 = cpu_now();
	c = calloc(nps + 1, sizeof(*c));
	accused = calloc(nps + 1, sizeof(bool));
	if (c == NULL || accused == NULL)
		goto out;
	for (size_t pi = 0; pi < nps; pi++)
		if (received(&t, pi))
			c[nc++].partner = pi;
	for (int round = 1; round <= ROUNDS && nc > 0; round++) {
		bool any = false;
		double factor = (double)nc * round_factor[round - 1];
		v->rounds = (size_t)round;
		for (size_t k = 0; k < nc; k++) {
			struct cand try = c[k];
			if (c[k].round != 0)
				continue;
			if ((r = score_cand(&t, &try,
			         round > 1 ? accused : NULL, factor, &sites,
			         &sites_cap)) < 0)
				goto out;
			v->bounds++;
			if (try.sites > 0 && try.corrected <= b->alpha) {
				try.round = round;
				c[k] = try;
				any = true;
			} else if (round == 1) {
				try.suspect = try.sites > 0 &&
				    try.corrected <= CORE_SUSPECT;
				c[k] = try;
			}
		}
		for (size_t k = 0; k < nc; k++)
			if (c[k].round == round)
				accused[c[k].partner] = true;
		if (!any)
			break;
	}
	qsort(c, nc, sizeof(*c), cand_cmp);
	*ret_s = now() - t0;
	*ret_cpu = cpu_now() - c0;
	v->top_bound = 1;
	for (size_t k = 0; k < nc; k++) {
		if (c[k].round) {
			v->accused++;
			if (is_colluder(b, c[k].partner))
				v->colluders_accused++;
			else
				v->innocents_accused++;
		} else {
			if (c[k].suspect)
				v->suspects++;
			if (v->top_bound == 1 || c[k].bound < v->top_bound)
				v->top_bound = c[k].bound;
		}
	}
	r = 0;
out:
	free(t.rcpt);
	free(sites);
	free(c);
	free(accused);
	return r;
}

/* The candidate scan of trace_sample alone, at n partners. */
static double
time_scan(const struct bench *b, size_t n)
{
	struct asis t = {b, n, NULL, n, 0};
	size_t nc = 0;
	double t0;

	t.rcpt = calloc(n + 1, sizeof(*t.rcpt));
	if (t.rcpt == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		t.rcpt[i].partner = i;
	t0 = now();
	for (size_t pi = 0; pi < n; pi++)
		nc += received(&t, pi);
	t0 = now() - t0;
	free(t.rcpt);
	return nc == n ? t0 : -1;
}

/*
 * The two changes to src/mark/mark.c that bench/README.md proposes,
 * replayed here to measure them.  Both derive exactly what
 * mark_artifact_symbols derives (the same keyed hash and ChaCha20
 * keystream, a big-endian 64-bit word x per site, symbol = inverse CDF
 * of the bias at u = (x >> 11) 2^-53); the bench checks it for every
 * partner.  Both read x with one byte-swapped load instead of a chain of
 * eight shifts.
 *
 * "cdf": each site's cumulative bias computed once (NCDF thresholds per
 * site, +inf past q - 1), summed in tardos_symbol_at's order, and the
 * inverse CDF taken without branches: the symbol is the number of
 * thresholds <= u.  Same API, same symbols.
 *
 * "match": the trace path needs only whether each read site shows the
 * partner's symbol, i.e. whether u lies in the observed symbol's interval
 * [c_(y-1), c_y) of the CDF.  With T = ceil(c 2^53), u >= c iff x >= T
 * 2^11, so the test is two integer comparisons on x, no conversion.  A
 * new mark function would hand out these agreement bits.
 */
#define DOMAIN_SYMKEY "symkey"
#define NCDF (TARDOS_Q_MAX - 1)

static void
cdf_init(const struct mark_artifact *ma, double *cdf)
{
	for (size_t s = 0; s < ma->set.nsites; s++) {
		const double *p = mark_artifact_bias(ma, s);
		unsigned q = ma->set.sites[s].q;
		double c = 0;
		for (unsigned k = 0; k < NCDF; k++) {
			if (q >= 2 && k + 1 < q) {
				c += p[k];
				cdf[s * NCDF + k] = c;
			} else {
				cdf[s * NCDF + k] = INFINITY;
			}
		}
	}
}

static uint64_t
load_be64(const uint8_t *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
	return __builtin_bswap64(x);
}

/* The per-site words behind a partner's symbols (nsites of them). */
static void
mark_draws(const struct mark_artifact *ma, const char *partner_id, uint64_t *x)
{
	uint8_t in[MARK_IDENT_BYTES + 8 + 4 + EMB_ID_MAX];
	uint8_t key[CRYPTO_KEY_BYTES], nonce[8] = {0};
	size_t plen = strnlen(partner_id, EMB_ID_MAX), n = 0;

	memcpy(in, ma->ident, MARK_IDENT_BYTES);
	n += MARK_IDENT_BYTES;
	memcpy(in + n, DOMAIN_SYMKEY, strlen(DOMAIN_SYMKEY));
	n += strlen(DOMAIN_SYMKEY);
	memset(in + n, 0, 4); /* site 0 */
	n += 4;
	memcpy(in + n, partner_id, plen);
	n += plen;
	crypto_prf(ma->keys, CRYPTO_KEY_MARK, in, n, key, TARDOS_SEED_BYTES);
	for (size_t base = 0; base < ma->set.nsites; base += 256) {
		size_t m =
		    ma->set.nsites - base < 256 ? ma->set.nsites - base : 256;
		uint8_t *ks = (uint8_t *)(x + base);
		for (int i = 0; i < 8; i++)
			nonce[i] = (uint8_t)((uint64_t)(base / 256) >> (8 * i));
		crypto_keystream(key, nonce, ks, 8 * m);
		for (size_t i = 0; i < m; i++)
			x[base + i] = load_be64(ks + 8 * i);
	}
	crypto_wipe(key, sizeof(key));
}

/* mark_artifact_symbols as it now is ("cdf"). */
static void
cdf_symbols(const struct mark_artifact *ma, const double *cdf,
    const char *partner_id, uint64_t *x, uint8_t *symbols)
{
	mark_draws(ma, partner_id, x);
	for (size_t s = 0; s < ma->set.nsites; s++) {
		const double *c = cdf + s * NCDF;
		double u = (double)(x[s] >> 11) * 0x1.0p-53;
		unsigned y = 0;
		for (int k = 0; k < NCDF; k++)
			y += u >= c[k];
		symbols[s] = (uint8_t)y;
	}
}

/*
 * The words x with u >= c: x >= *ret; false if none (c > 1 - 2^-53).
 */
static bool
threshold(double c, uint64_t *ret)
{
	double t = ceil(c * 0x1.0p53);

	if (!(t < 0x1.0p53)) /* also +inf */
		return false;
	*ret = t > 0 ? (uint64_t)t << 11 : 0;
	return true;
}

/*
 * The words x with symbol y at site s: lo <= x <= hi (inclusive, so
 * that the top of the range needs no 2^64); false if there are none.
 */
static bool
match_range(const double *cdf, size_t s, unsigned y, uint64_t *lo, uint64_t *hi)
{
	uint64_t t;

	*lo = 0;
	*hi = UINT64_MAX;
	if (y > 0 && !threshold(cdf[s * NCDF + y - 1], lo))
		return false;
	if (y < NCDF && threshold(cdf[s * NCDF + y], &t)) {
		if (t == 0)
			return false;
		*hi = t - 1;
	}
	return *lo <= *hi;
}

/* Whether both proposals agree with mark_artifact_symbols everywhere. */
static bool
proposals_check(const struct bench *b, const double *cdf, size_t n)
{
	size_t ns = b->ma.set.nsites + 1;
	uint8_t *a = malloc(ns), *y = malloc(ns);
	uint64_t *x = malloc(ns * sizeof(uint64_t));
	bool ok = a != NULL && y != NULL && x != NULL;

	for (size_t pi = 0; ok && pi < n; pi++) {
		mark_artifact_symbols(&b->ma, b->ids[pi], a);
		cdf_symbols(&b->ma, cdf, b->ids[pi], x, y);
		ok = memcmp(a, y, b->ma.set.nsites) == 0;
		for (size_t s = 0; ok && s < b->ma.set.nsites; s++) {
			uint64_t lo, hi;
			bool m;
			if (b->observed[s] < 0 || b->ma.set.sites[s].q < 2)
				continue;
			m = match_range(
			        cdf, s, (unsigned)b->observed[s], &lo, &hi) &&
			    x[s] >= lo && x[s] <= hi;
			ok = (a[s] == b->observed[s]) == m;
		}
	}
	free(a);
	free(y);
	free(x);
	return ok;
}

/*
 * The "ranked" replica.  Phases: 0 candidates, 1 symbols and scores,
 * 2 sort, 3 bounds of round 1, 4 colluder rounds (rescore, sort, bounds).
 */
enum {
	PH_CAND,
	PH_SCORE,
	PH_SORT,
	PH_BOUND,
	PH_ROUNDS,
	PH_TOTAL,
	PH_CPU, /* CPU seconds of the whole */
	PH_COUNT
};

static const char *const phase_name[PH_COUNT] = {"candidates", "symbols+score",
    "sort", "bounds_r1", "rounds_2_3", "total", "cpu"};

/* How the candidates' symbols are derived (see mark_draws). */
enum variant { V_LIB, V_CDF, V_MATCH, V_COUNT };

static const char *const variant_name[V_COUNT] = {
    "ranked", "ranked-cdf", "ranked-match"};

/*
 * The ranked accusation's state.  A candidate's score follows from its
 * agreement bits (bit i: its symbol at read site i is the one observed),
 * so the colluder rounds rescore from them.
 */
struct ranked {
	const struct bench *b;
	size_t *site; /* read sites, indices into the set */
	uint8_t *oy; /* observed symbol per read site */
	uint64_t *lo, *hi; /* its words, inclusive (V_MATCH) */
	double *gg; /* per read site: score if not matching, if matching */
	struct accuse_site *as; /* live read sites, for the bound */
	size_t nb; /* bytes of agreement bits per candidate */
	uint8_t *bits; /* candidates x nb */
	double *score;
	size_t *order;
	size_t *cand; /* candidate -> partner */
	int *round; /* per candidate: round accused, 0 if not */
	bool *suspect;
};

static const double *sort_key;

static int
cmp_desc(const void *a, const void *b)
{
	double x = sort_key[*(const size_t *)a];
	double y = sort_key[*(const size_t *)b];

	return x > y ? -1 : x < y;
}

static void
ranked_free(struct ranked *k)
{
	free(k->site);
	free(k->oy);
	free(k->lo);
	free(k->hi);
	free(k->gg);
	free(k->as);
	free(k->bits);
	free(k->score);
	free(k->order);
	free(k->cand);
	free(k->round);
	free(k->suspect);
}

/*
 * A candidate's score from its agreement bits over the read sites not in
 * explained (NULL: all): per site the term gg[2 i + bit], g0 or g1, read
 * without a branch (whether a partner matches is a coin toss, so a branch
 * would be mispredicted half the time), in four partial sums.
 */
static double
ranked_score(const struct ranked *k, const uint8_t *bits, const bool *explained)
{
	double sum[4] = {0, 0, 0, 0};

	for (size_t i = 0; i < k->b->read; i++)
		if (explained == NULL || !explained[i])
			sum[i % 4] +=
			    k->gg[2 * i + ((bits[i / 8] >> (i % 8)) & 1)];
	return (sum[0] + sum[1]) + (sum[2] + sum[3]);
}

/*
 * Rescore the candidates not yet accused on the read sites not in
 * explained (NULL: all, the round-1 scores are already there), sort
 * them by score (*ret_sort: the seconds it took), then bound them from
 * the top down; returns how many it accused in this round.
 */
static int
ranked_round(struct ranked *k, size_t nc, const bool *explained, int round,
    struct verdict *v, double *ret_sort)
{
	const struct bench *b = k->b;
	double factor = (double)nc * round_factor[round - 1];
	size_t n = 0, no = 0;
	int acc = 0;

	for (size_t i = 0; i < b->read; i++) {
		size_t s = k->site[i];
		if (explained != NULL && explained[i])
			continue;
		k->as[n].q = b->ma.set.sites[s].q;
		memcpy(k->as[n].p, mark_artifact_bias(&b->ma, s),
		    sizeof(k->as[n].p));
		k->as[n].observed = b->observed[s];
		n++;
	}
	if (n == 0)
		return 0;
	if (explained != NULL)
		for (size_t c = 0; c < nc; c++)
			if (k->round[c] == 0)
				k->score[c] = ranked_score(
				    k, k->bits + c * k->nb, explained);
	*ret_sort = now();
	for (size_t c = 0; c < nc; c++)
		if (k->round[c] == 0)
			k->order[no++] = c;
	sort_key = k->score;
	qsort(k->order, no, sizeof(*k->order), cmp_desc);
	*ret_sort = now() - *ret_sort;
	for (size_t j = 0; j < no; j++) {
		size_t c = k->order[j];
		double bound = accuse_innocent_tail(k->as, n, k->score[c]);
		double corrected = fmin(1.0, bound * factor);
		v->bounds++;
		if (corrected <= b->alpha) {
			k->round[c] = round;
			acc++;
		} else if (round == 1 && corrected <= CORE_SUSPECT) {
			k->suspect[c] = true;
		} else {
			if (round == 1)
				v->top_bound = bound;
			break;
		}
	}
	return acc;
}

static int
ranked_alloc(struct ranked *k, size_t nps)
{
	size_t read = k->b->read;

	k->nb = (read + 7) / 8;
	k->cand = calloc(nps + 1, sizeof(size_t));
	k->site = calloc(read + 1, sizeof(size_t));
	k->oy = calloc(read + 1, 1);
	k->lo = calloc(read + 1, sizeof(uint64_t));
	k->hi = calloc(read + 1, sizeof(uint64_t));
	k->gg = calloc(2 * read + 2, sizeof(double));
	k->as = calloc(read + 1, sizeof(*k->as));
	k->bits = calloc(nps * k->nb + 1, 1);
	k->score = calloc(nps + 1, sizeof(double));
	k->order = calloc(nps + 1, sizeof(size_t));
	k->round = calloc(nps + 1, sizeof(int));
	k->suspect = calloc(nps + 1, sizeof(bool));
	return k->cand && k->site && k->oy && k->lo && k->hi && k->gg &&
	        k->as && k->bits && k->score && k->order && k->round &&
	        k->suspect
	    ? 0
	    : EMB_ENOMEM;
}

static int
run_ranked(const struct bench *b, enum variant var, const double *cdf,
    size_t nps, double ph[PH_COUNT], struct verdict *v, const char *dump)
{
	const struct mark_set *set = &b->ma.set;
	struct ranked k = {0};
	struct recipient *rcpt;
	bool *rec = NULL, *explained = NULL;
	uint8_t *sym = NULL;
	uint64_t *x = NULL;
	size_t nc = 0;
	double t0, t, c0, sort_s;
	int r = EMB_ENOMEM, acc;

	memset(v, 0, sizeof(*v));
	memset(ph, 0, PH_COUNT * sizeof(double));
	v->top_bound = 1;
	k.b = b;
	/* The recipient list as load_recipients leaves it. */
	rcpt = calloc(nps + 1, sizeof(*rcpt));
	if (rcpt == NULL)
		return EMB_ENOMEM;
	for (size_t i = 0; i < nps; i++) {
		rcpt[i].partner = i;
		rcpt[i].first_at = 1700000000000 + (int64_t)i;
	}
	c0 = cpu_now();
	t0 = t = now();
	/* Candidates: one pass over the recipients into a flag per partner. */
	rec = calloc(nps + 1, sizeof(bool));
	sym = malloc(set->nsites + 1);
	x = malloc((set->nsites + 1) * sizeof(uint64_t));
	explained = calloc(b->read + 1, sizeof(bool));
	if (rec == NULL || sym == NULL || x == NULL || explained == NULL ||
	    ranked_alloc(&k, nps) < 0)
		goto out;
	for (size_t j = 0; j < nps; j++)
		rec[rcpt[j].partner] = true;
	for (size_t pi = 0; pi < nps; pi++)
		if (rec[pi])
			k.cand[nc++] = pi;
	ph[PH_CAND] = now() - t;
	t = now();
	/* The read sites and their two score values, once. */
	for (size_t s = 0, i = 0; s < set->nsites; s++) {
		const double *p = mark_artifact_bias(&b->ma, s);
		unsigned q = set->sites[s].q, y;
		if (b->observed[s] < 0 || q < 2)
			continue;
		y = (unsigned)b->observed[s];
		k.site[i] = s;
		k.oy[i] = (uint8_t)y;
		if (!match_range(cdf, s, y, &k.lo[i], &k.hi[i])) {
			k.lo[i] = 1; /* nobody matches */
			k.hi[i] = 0;
		}
		k.gg[2 * i] = tardos_g(p, q, y, y == 0 ? 1 : 0);
		k.gg[2 * i + 1] = tardos_g(p, q, y, y);
		i++;
	}
	/* Every candidate's symbols, once: agreement bits and score. */
	for (size_t c = 0; c < nc; c++) {
		uint8_t *w = k.bits + c * k.nb;
		const char *id = b->ids[k.cand[c]];
		if (var == V_MATCH) {
			mark_draws(&b->ma, id, x);
			for (size_t g = 0; g < k.nb; g++) {
				unsigned byte = 0;
				for (size_t i = 8 * g;
				     i < 8 * g + 8 && i < b->read; i++) {
					uint64_t xi = x[k.site[i]];
					byte |= (unsigned)(xi >= k.lo[i] &&
					            xi <= k.hi[i])
					    << (i % 8);
				}
				w[g] = (uint8_t)byte;
			}
		} else if (var != V_CDF) {
			/* What src/core/trace.c calls. */
			memset(w, 0, k.nb);
			mark_artifact_agree(
			    &b->ma, id, k.site, k.oy, b->read, w);
		} else {
			cdf_symbols(&b->ma, cdf, id, x, sym);
			for (size_t g = 0; g < k.nb; g++) {
				unsigned byte = 0;
				for (size_t i = 8 * g;
				     i < 8 * g + 8 && i < b->read; i++)
					byte |= (unsigned)(sym[k.site[i]] ==
					            k.oy[i])
					    << (i % 8);
				w[g] = (uint8_t)byte;
			}
		}
		k.score[c] = ranked_score(&k, w, NULL);
	}
	ph[PH_SCORE] = now() - t;
	if (dump != NULL) {
		char path[4096];
		FILE *f;
		(void)snprintf(path, sizeof(path), "%s/score.f64", dump);
		if ((f = fopen(path, "wb")) == NULL ||
		    fwrite(k.score, sizeof(double), nc, f) != nc ||
		    fclose(f) != 0) {
			r = EMB_EIO;
			goto out;
		}
	}
	/* Round 1: rank, then bound from the top down. */
	t = now();
	if ((acc = ranked_round(&k, nc, NULL, 1, v, &ph[PH_SORT])) < 0) {
		r = acc;
		goto out;
	}
	ph[PH_BOUND] = now() - t - ph[PH_SORT];
	v->rounds = 1;
	t = now();
	for (int round = 2; round <= ROUNDS && acc > 0; round++) {
		/* Sites an accused candidate's symbol explains. */
		for (size_t c = 0; c < nc; c++) {
			const uint8_t *w = k.bits + c * k.nb;
			if (k.round[c] == 0)
				continue;
			for (size_t i = 0; i < b->read; i++)
				explained[i] |= (w[i / 8] >> (i % 8)) & 1;
		}
		v->rounds = (size_t)round;
		if ((acc = ranked_round(&k, nc, explained, round, v, &sort_s)) <
		    0) {
			r = acc;
			goto out;
		}
	}
	ph[PH_ROUNDS] = now() - t;
	ph[PH_TOTAL] = now() - t0;
	ph[PH_CPU] = cpu_now() - c0;
	for (size_t c = 0; c < nc; c++) {
		if (k.round[c]) {
			v->accused++;
			if (is_colluder(b, k.cand[c]))
				v->colluders_accused++;
			else
				v->innocents_accused++;
		}
		v->suspects += k.suspect[c];
	}
	r = 0;
out:
	ranked_free(&k);
	free(rcpt);
	free(rec);
	free(sym);
	free(x);
	free(explained);
	return r;
}

/* The symbol matrix of the read sites and the sample, for NumPy. */
static int
dump_matrix(const struct bench *b, const char *dir)
{
	const struct mark_set *set = &b->ma.set;
	char path[4096];
	uint8_t *sym = malloc(set->nsites + 1), *row = malloc(b->read + 1);
	FILE *fs = NULL, *fo = NULL, *fp = NULL, *fc = NULL;
	int r = EMB_EIO;

	if (sym == NULL || row == NULL) {
		r = EMB_ENOMEM;
		goto out;
	}
	(void)snprintf(path, sizeof(path), "%s/sym.u8", dir);
	fs = fopen(path, "wb");
	(void)snprintf(path, sizeof(path), "%s/obs.u8", dir);
	fo = fopen(path, "wb");
	(void)snprintf(path, sizeof(path), "%s/pobs.f64", dir);
	fp = fopen(path, "wb");
	(void)snprintf(path, sizeof(path), "%s/colluders.txt", dir);
	fc = fopen(path, "w");
	if (fs == NULL || fo == NULL || fp == NULL || fc == NULL)
		goto out;
	for (size_t s = 0; s < set->nsites; s++) {
		uint8_t y;
		double a;
		if (b->observed[s] < 0 || set->sites[s].q < 2)
			continue;
		y = (uint8_t)b->observed[s];
		a = mark_artifact_bias(&b->ma, s)[y];
		if (fwrite(&y, 1, 1, fo) != 1 || fwrite(&a, 8, 1, fp) != 1)
			goto out;
	}
	for (unsigned j = 0; j < b->ncolluders; j++)
		fprintf(fc, "%zu\n", b->colluder[j]);
	for (size_t pi = 0; pi < b->npartners; pi++) {
		size_t n = 0;
		mark_artifact_symbols(&b->ma, b->ids[pi], sym);
		for (size_t s = 0; s < set->nsites; s++)
			if (b->observed[s] >= 0 && set->sites[s].q >= 2)
				row[n++] = sym[s];
		if (fwrite(row, 1, n, fs) != n)
			goto out;
	}
	r = 0;
out:
	if (fs != NULL && fclose(fs) != 0)
		r = EMB_EIO;
	if (fo != NULL && fclose(fo) != 0)
		r = EMB_EIO;
	if (fp != NULL && fclose(fp) != 0)
		r = EMB_EIO;
	if (fc != NULL && fclose(fc) != 0)
		r = EMB_EIO;
	free(sym);
	free(row);
	return r;
}

static void
print_verdict(const char *name, const struct verdict *v)
{
	printf("%s: accused %zu (colluders %zu, innocents %zu), suspects %zu, "
	       "rounds %zu, bounds computed %zu, best cleared bound %.3g\n",
	    name, v->accused, v->colluders_accused, v->innocents_accused,
	    v->suspects, v->rounds, v->bounds, v->top_bound);
}

/* A colluder accused and no innocent (Tardos promises no more). */
static bool
verdict_ok(const struct bench *b, const struct verdict *v)
{
	(void)b;
	return v->innocents_accused == 0 && v->colluders_accused > 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: accuse_bench [-n PARTNERS] [-m SITES] [-r RUNS] "
	    "[-c COLLUDERS] [-s SURVIVE] [-a ASIS_PARTNERS] [-S] [-d DIR] "
	    "[-v ranked|ranked-cdf|ranked-match] FILE...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	uint8_t master[32] = {1}, seed[32] = {2};
	struct bench b = {0};
	struct verdict v, va, vr;
	double ph[PH_COUNT], *runs[V_COUNT][PH_COUNT], *cdf, t0;
	double asis_s = 0, asis_cpu = 0;
	size_t target = 1000, nruns = 7, asis_n = 1000;
	double survive = 0.7;
	bool scan = false, ok[V_COUNT] = {true, true, true};
	const char *dump = NULL, *only = NULL;
	int opt;

	b.npartners = 100000;
	b.ncolluders = 1;
	b.alpha = CORE_ALPHA_DEFAULT;
	while ((opt = getopt(argc, argv, "n:m:r:c:s:a:Sd:v:")) != -1) {
		switch (opt) {
		case 'n':
			b.npartners = strtoul(optarg, NULL, 10);
			break;
		case 'm':
			target = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			nruns = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			b.ncolluders = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			survive = strtod(optarg, NULL);
			break;
		case 'a':
			asis_n = strtoul(optarg, NULL, 10);
			break;
		case 'S':
			scan = true;
			break;
		case 'd':
			dump = optarg;
			break;
		case 'v':
			only = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc || b.npartners < 2 || nruns < 1 ||
	    nruns > RUNS_MAX || b.ncolluders < 1 ||
	    b.ncolluders > ACCUSE_SIM_COLLUDERS_MAX ||
	    !(survive > 0 && survive <= 1) || asis_n > b.npartners)
		usage();
	if (crypto_lib_init() < 0 || crypto_keys_new(master, seed, &b.keys) < 0)
		return 1;
	if (build_artifact(&b, argv + optind, argc - optind, target) < 0)
		return 1;
	b.ids = calloc(b.npartners, sizeof(*b.ids));
	cdf = calloc(b.ma.set.nsites * NCDF + 1, sizeof(double));
	if (b.ids == NULL || cdf == NULL)
		return 1;
	for (int x = 0; x < V_COUNT; x++)
		for (size_t i = 0; i < PH_COUNT; i++)
			if ((runs[x][i] = calloc(nruns, sizeof(double))) ==
			    NULL)
				return 1;
	cdf_init(&b.ma, cdf);
	for (size_t i = 0; i < b.npartners; i++)
		(void)snprintf(b.ids[i], sizeof(b.ids[i]), "partner-%06zu", i);
	/* Colluders inside the asis subset, away from its ends. */
	for (unsigned j = 0; j < b.ncolluders; j++)
		b.colluder[j] = (asis_n > 0 ? asis_n : b.npartners) * (j + 1) /
		    (b.ncolluders + 1);
	if (forge_sample(&b, survive) < 0)
		return 1;
	printf("artifact: %zu bytes, %zu coded sites, %zu read in the sample "
	       "(survive %.2f); %zu partners, %u colluder(s), alpha %g\n",
	    b.text.len, b.coded, b.read, survive, b.npartners, b.ncolluders,
	    b.alpha);
	if (dump != NULL) {
		t0 = now();
		if (dump_matrix(&b, dump) < 0) {
			fprintf(
			    stderr, "accuse_bench: cannot write %s\n", dump);
			return 1;
		}
		printf("dumped the %zu x %zu symbol matrix to %s in %.2f s\n",
		    b.npartners, b.read, dump, now() - t0);
	}
	/* The proposals must give the library's symbols. */
	t0 = now();
	if ((only == NULL || strcmp(only, variant_name[V_LIB]) != 0) &&
	    !proposals_check(&b, cdf, b.npartners)) {
		fprintf(stderr, "accuse_bench: replayed symbols differ\n");
		return 1;
	}
	printf("replayed derivations checked against mark_artifact_symbols "
	       "for all %zu partners (%.1f s)\n",
	    b.npartners, now() - t0);
	/* The variants in turn, so that they see the same load. */
	for (size_t i = 0; i < nruns; i++) {
		for (int x = 0; x < V_COUNT; x++) {
			if (only != NULL && strcmp(only, variant_name[x]) != 0)
				continue;
			if (run_ranked(&b, (enum variant)x, cdf, b.npartners,
			        ph, &v, i == 0 && x == 0 ? dump : NULL) < 0)
				return 1;
			printf("%s run %zu:", variant_name[x], i + 1);
			for (size_t p = 0; p < PH_COUNT; p++) {
				runs[x][p][i] = ph[p];
				printf(" %s %.3f%s", phase_name[p], ph[p],
				    p + 1 < PH_COUNT ? "," : " s\n");
			}
			ok[x] &= verdict_ok(&b, &v);
		}
	}
	print_verdict("ranked (last run)", &v);
	for (int x = 0; x < V_COUNT; x++) {
		double *const *rx = runs[x];
		if (only != NULL && strcmp(only, variant_name[x]) != 0)
			continue;
		for (size_t p = 0; p < PH_COUNT; p++)
			qsort(rx[p], nruns, sizeof(double), cmp_double);
		printf("RESULT %s partners=%zu sites=%zu read=%zu colluders=%u "
		       "runs=%zu median=%.3f min=%.3f max=%.3f",
		    variant_name[x], b.npartners, b.coded, b.read, b.ncolluders,
		    nruns, rx[PH_TOTAL][nruns / 2], rx[PH_TOTAL][0],
		    rx[PH_TOTAL][nruns - 1]);
		for (size_t p = 0; p < PH_COUNT; p++)
			if (p != PH_TOTAL)
				printf(" %s=%.3f", phase_name[p],
				    rx[p][nruns / 2]);
		printf(" caught=%zu/%u ok=%s\n", v.colluders_accused,
		    b.ncolluders, ok[x] ? "yes" : "NO");
	}
	if (asis_n > 0) {
		/* Same subset, both replicas: same verdict, and the cost. */
		if (run_asis(&b, asis_n, &asis_s, &asis_cpu, &va) < 0 ||
		    run_ranked(&b, V_LIB, cdf, asis_n, ph, &vr, NULL) < 0)
			return 1;
		print_verdict("asis", &va);
		print_verdict("ranked (same partners)", &vr);
		printf("RESULT asis partners=%zu seconds=%.3f cpu=%.3f "
		       "per_candidate_ms=%.3f ranked_seconds=%.3f "
		       "same_verdict=%s ok=%s\n",
		    asis_n, asis_s, asis_cpu, asis_cpu / (double)asis_n * 1e3,
		    ph[PH_TOTAL],
		    va.accused == vr.accused &&
		            va.colluders_accused == vr.colluders_accused &&
		            va.suspects == vr.suspects
		        ? "yes"
		        : "NO",
		    verdict_ok(&b, &va) ? "yes" : "NO");
		ok[0] &= verdict_ok(&b, &va);
	}
	if (scan) {
		double s = time_scan(&b, b.npartners);
		printf(
		    "RESULT scan partners=%zu seconds=%.3f\n", b.npartners, s);
	}
	for (int x = 0; x < V_COUNT; x++)
		for (size_t i = 0; i < PH_COUNT; i++)
			free(runs[x][i]);
	free(cdf);
	free(b.ids);
	free(b.observed);
	mark_artifact_fini(&b.ma);
	buf_fini(&b.text);
	crypto_keys_free(b.keys);
	return ok[V_LIB] && ok[V_CDF] && ok[V_MATCH] ? 0 : 1;
}
