/*
 * Benchmark and calibration driver for derivation (trace/derive.h).
 *
 *	derive_bench [-f FLOOR] MANIFEST
 *
 * MANIFEST lists one file per line as LANG, a tab and the path (LANG is
 * python, powershell, c, shell, yara, suricata or prose).  Every file is
 * added to one index, then every file is
 * queried against the whole index, so every pair is compared both ways.
 * For each (sample, artifact) pair with sample != artifact whose
 * containment either way reaches FLOOR (default 0.05), or that is
 * derived, one line goes to standard output:
 *
 *	sample artifact art_contained smp_contained shared literals derived
 *	aligned
 *
 * (indices are manifest line numbers from 0).  Timings go to standard
 * error: reading, indexing, querying, and the index size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "trace/derive.h"
#include "common/emb.h"

#define FILE_MAX (16u << 20)

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
lang_parse(const char *s, const char *end, enum mark_lang *ret)
{
	static const struct {
		const char *name;
		enum mark_lang lang;
	} names[] = {
	    {"python", MARK_LANG_PYTHON},
	    {"powershell", MARK_LANG_POWERSHELL},
	    {"c", MARK_LANG_C},
	    {"shell", MARK_LANG_SHELL},
	    {"yara", MARK_LANG_YARA},
	    {"suricata", MARK_LANG_SURICATA},
	    {"prose", MARK_LANG_PROSE},
	};

	for (size_t i = 0; i < EMB_ARRAY_LEN(names); i++) {
		if (strlen(names[i].name) == (size_t)(end - s) &&
		    memcmp(names[i].name, s, (size_t)(end - s)) == 0) {
			*ret = names[i].lang;
			return 0;
		}
	}
	return EMB_EINVAL;
}

int
main(int argc, char **argv)
{
	struct trace_index *ix = NULL;
	struct buf *texts = NULL;
	char **paths = NULL, line[4096];
	enum mark_lang *langs = NULL;
	size_t n = 0, cap = 0, npairs = 0, nderived = 0;
	double minc = 0.05, t0, t1, t2, t3;
	FILE *mf;
	int opt, r;

	while ((opt = getopt(argc, argv, "f:")) != -1) {
		switch (opt) {
		case 'f':
			minc = strtod(optarg, NULL);
			break;
		default:
			fprintf(stderr,
			    "usage: derive_bench [-f FLOOR] MANIFEST\n");
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: derive_bench [-f FLOOR] MANIFEST\n");
		return 2;
	}
	t0 = now();
	if ((mf = fopen(argv[optind], "r")) == NULL) {
		perror(argv[optind]);
		return 1;
	}
	while (fgets(line, sizeof(line), mf) != NULL) {
		size_t l = strcspn(line, "\r\n");
		char *tab = strchr(line, '\t');
		enum mark_lang lang;

		line[l] = '\0';
		if (l == 0)
			continue;
		if (tab == NULL || lang_parse(line, tab, &lang) < 0) {
			fprintf(stderr, "bad manifest line: %s\n", line);
			return 1;
		}
		tab++;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			paths = realloc(paths, cap * sizeof(*paths));
			texts = realloc(texts, cap * sizeof(*texts));
			langs = realloc(langs, cap * sizeof(*langs));
			if (paths == NULL || texts == NULL || langs == NULL)
				return 1;
		}
		paths[n] = strdup(tab);
		buf_init(&texts[n], FILE_MAX);
		if ((r = buf_read_file(&texts[n], tab)) < 0) {
			fprintf(stderr, "%s: %s\n", tab, emb_strerror(r));
			return 1;
		}
		langs[n++] = lang;
	}
	fclose(mf);
	t1 = now();
	if (trace_index_new(&ix) < 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		if ((r = trace_index_add(ix, paths[i], langs[i], texts[i].data,
		         texts[i].len)) < 0) {
			fprintf(stderr, "%s: %s\n", paths[i], emb_strerror(r));
			return 1;
		}
	}
	t2 = now();
	for (size_t i = 0; i < n; i++) {
		struct trace_derive_result res;

		r = trace_index_query(
		    ix, texts[i].data, texts[i].len, langs[i], &res);
		if (r < 0) {
			fprintf(stderr, "%s: %s\n", paths[i], emb_strerror(r));
			return 1;
		}
		for (size_t j = 0; j < res.n; j++) {
			const struct trace_derivation *d = &res.v[j];

			if (d->doc == i)
				continue;
			npairs++;
			nderived += d->derived;
			if (!d->derived && d->art_contained < minc &&
			    d->smp_contained < minc)
				continue;
			printf("%zu\t%zu\t%.4f\t%.4f\t%u\t%u\t%d\t%u\n", i,
			    d->doc, d->art_contained, d->smp_contained,
			    d->shared, d->literals, d->derived, d->aligned);
		}
		trace_derive_result_fini(&res);
	}
	t3 = now();
	fprintf(stderr,
	    "files %zu read %.3f s index %.3f s query %.3f s total %.3f s "
	    "index %.1f MiB pairs-touched %zu derived %zu\n",
	    n, t1 - t0, t2 - t1, t3 - t2, t3 - t0,
	    (double)trace_index_bytes(ix) / (1 << 20), npairs, nderived);
	trace_index_free(ix);
	for (size_t i = 0; i < n; i++) {
		buf_fini(&texts[i]);
		free(paths[i]);
	}
	free(paths);
	free(texts);
	free(langs);
	return 0;
}
