/*
 * Rendering benchmark: how long one partner's marked copy of an artifact
 * takes, discovery excluded (the server parses an artifact once and
 * renders per request) and included (the CLI does both per copy).
 *
 *   render_bench FILE [PARTNERS]
 *
 * Prints the artifact size, its sites, and the median and 90th percentile
 * microseconds per render over PARTNERS distinct partners (default 2000),
 * plus the median of prepare+render.  With a third argument, also writes
 * there a sed script performing partner-0's substitutions of identifier-
 * like REPLACE sites (s/\bOLD\b/NEW/g): what a coordinator without
 * embargo would run per partner copy, for the side-by-side in run.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/marking.h"
#include "common/emb.h"

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static bool
is_ident(struct mark_text t)
{
	if (t.n == 0)
		return false;
	for (size_t i = 0; i < t.n; i++) {
		char c = t.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	uint8_t master[32] = {1}, seed[32] = {2};
	struct crypto_keys *keys;
	struct store_artifact art;
	struct mark_artifact ma;
	struct emb_error err = {0};
	struct buf text, out;
	size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000;
	double *t, *tp;
	char partner[32];

	if (argc < 2 || n == 0) {
		fprintf(stderr, "usage: render_bench FILE [PARTNERS]\n");
		return 2;
	}
	if (crypto_lib_init() < 0 || crypto_keys_new(master, seed, &keys) < 0)
		return 1;
	buf_init(&text, CORE_ARTIFACT_MAX);
	if (buf_read_file(&text, argv[1]) < 0) {
		fprintf(stderr, "render_bench: cannot read %s\n", argv[1]);
		return 1;
	}
	memset(&art, 0, sizeof(art));
	(void)snprintf(art.advisory_id, sizeof(art.advisory_id), "BENCH");
	(void)snprintf(art.name, sizeof(art.name), "%s",
	    strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1]);
	art.mark = STORE_MARK_AUTO;
	crypto_sha256(text.data, text.len, art.sha256);
	t = calloc(n, sizeof(*t));
	tp = calloc(n, sizeof(*tp));
	if (t == NULL || tp == NULL)
		return 1;
	if (core_mark_prepare(keys, &art, text.data, text.len, &ma, &err) < 0) {
		fprintf(stderr, "render_bench: %s\n", err.msg);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		double t0;
		(void)snprintf(partner, sizeof(partner), "partner-%zu", i);
		buf_init(&out, 4 * (size_t)CORE_ARTIFACT_MAX);
		t0 = now_us();
		if (mark_artifact_copy(&ma, partner, &out) < 0)
			return 1;
		t[i] = now_us() - t0;
		buf_fini(&out);
	}
	for (size_t i = 0; i < n / 10 + 1; i++) {
		struct mark_artifact m2;
		double t0 = now_us();
		if (core_mark_prepare(
		        keys, &art, text.data, text.len, &m2, &err) < 0)
			return 1;
		buf_init(&out, 4 * (size_t)CORE_ARTIFACT_MAX);
		if (mark_artifact_copy(&m2, "partner-x", &out) < 0)
			return 1;
		tp[i] = now_us() - t0;
		buf_fini(&out);
		mark_artifact_fini(&m2);
	}
	qsort(t, n, sizeof(*t), cmp_double);
	qsort(tp, n / 10 + 1, sizeof(*tp), cmp_double);
	printf("{\"file\": \"%s\", \"bytes\": %zu, \"sites\": %zu, "
	       "\"partners\": %zu, \"render_median_us\": %.1f, "
	       "\"render_p90_us\": %.1f, \"prepare_render_median_us\": %.1f}\n",
	    argv[1], text.len, mark_set_coded(&ma.set), n, t[n / 2],
	    t[n * 9 / 10], tp[(n / 10 + 1) / 2]);
	if (argc > 3) {
		FILE *f = fopen(argv[3], "w");
		uint8_t *sym = calloc(ma.set.nsites + 1, 1);
		if (f == NULL || sym == NULL)
			return 1;
		mark_artifact_symbols(&ma, "partner-0", sym);
		for (size_t i = 0; i < ma.set.nsites; i++) {
			const struct mark_site *st = &ma.set.sites[i];
			struct mark_text a, b;
			if (st->shape != MARK_REPLACE || st->q < 2 ||
			    sym[i] == 0)
				continue;
			a = mark_site_text(&ma.set, st, 0, 0);
			b = mark_site_text(&ma.set, st, sym[i], 0);
			if (!is_ident(a) || !is_ident(b))
				continue;
			fprintf(f, "s/\\b%.*s\\b/%.*s/g\n", (int)a.n, a.p,
			    (int)b.n, b.p);
		}
		fclose(f);
		free(sym);
	}
	mark_artifact_fini(&ma);
	crypto_keys_free(keys);
	buf_fini(&text);
	free(t);
	free(tp);
	return 0;
}
