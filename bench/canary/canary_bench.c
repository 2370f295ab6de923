/*
 * Benchmark driver for the canary scanner.
 *
 *	canary_bench [-m same|full] [-c CHUNK] [-C] PATTERNS FILE...
 *
 * PATTERNS holds one token per line (pattern i reports partner i).  With
 * -m same (the default) each line is one case-sensitive literal, exactly
 * what `grep -F -f` and `rg -F -f` are given; with -m full each is a
 * canary token in every form embargo looks for (plain and percent-encoded
 * caselessly, base64 at three alignments and base64url, UTF-16LE and
 * base64 of UTF-16LE), as `embargo trace` scans.  Hits are printed like
 * `grep -n` output (FILE:LINE:OFFSET:PARTNER:FORM); -C prints only their
 * count.  Timings go to standard error: database build and scan.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trace/canary.h"
#include "common/emb.h"

struct ctx {
	bool count_only;
	uint64_t hits;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
on_hit(const struct canary_hit *hit, void *arg)
{
	struct ctx *c = arg;

	c->hits++;
	if (!c->count_only)
		printf("%s:%" PRIu64 ":%" PRIu64 ":%" PRIu32 ":%s\n", hit->name,
		    hit->line, hit->offset, hit->partner,
		    canary_form_name(hit->form));
	return 0;
}

int
main(int argc, char **argv)
{
	struct canary_set *set = NULL;
	struct canary_db *db = NULL;
	struct canary_scanner *sc = NULL;
	struct canary_opts opts = {0};
	struct canary_stats st;
	struct emb_error err = {0};
	struct ctx c = {0};
	bool full = false;
	unsigned forms = CANARY_FORMS_ALL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint32_t id = 0;
	double t0, t1, t2;
	FILE *f;
	int ch, rc = 1;

	while ((ch = getopt(argc, argv, "m:c:f:C")) != -1) {
		switch (ch) {
		case 'm':
			full = strcmp(optarg, "full") == 0;
			break;
		case 'c':
			opts.chunk = (size_t)strtoull(optarg, NULL, 10);
			break;
		case 'f':
			forms = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'C':
			c.count_only = true;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind < 2)
		goto usage;

	t0 = now();
	if (canary_set_new(&set) < 0 || (f = fopen(argv[optind], "r")) == NULL)
		goto out;
	while ((n = getline(&line, &cap, f)) > 0) {
		int r;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n == 0)
			continue;
		if (full)
			r = canary_set_add_token(
			    set, line, (size_t)n, id, 0, forms, true);
		else
			r = canary_set_add(set, line, (size_t)n, id, 0,
			    CANARY_FORM_PLAIN, false);
		if (r < 0) {
			fprintf(stderr, "canary_bench: pattern %u: %s\n", id,
			    emb_strerror(r));
			goto out;
		}
		id++;
	}
	fclose(f);
	if (canary_db_build(set, &db, &err) < 0) {
		fprintf(stderr, "canary_bench: %s\n", err.msg);
		goto out;
	}
	if (canary_scanner_new(db, on_hit, &c, &sc) < 0)
		goto out;
	t1 = now();
	for (int i = optind + 1; i < argc; i++) {
		int r = canary_scan_file(sc, argv[i], &opts);
		if (r != 0) {
			fprintf(stderr, "canary_bench: %s: %s\n", argv[i],
			    emb_strerror(r));
			goto out;
		}
	}
	t2 = now();
	canary_scanner_stats(sc, &st);
	if (c.count_only)
		printf("%" PRIu64 "\n", c.hits);
	fprintf(stderr,
	    "canary_bench: %u tokens, %zu patterns (%zu KiB db), build %.3f s;"
	    " %" PRIu64 " bytes, %" PRIu64 " lines, %" PRIu64
	    " hits in %.3f s (%.2f GB/s)\n",
	    id, canary_db_count(db), canary_db_size(db) >> 10, t1 - t0,
	    st.bytes, st.lines, st.hits, t2 - t1,
	    (double)st.bytes / (t2 - t1) / 1e9);
	rc = 0;
out:
	free(line);
	canary_scanner_free(sc);
	canary_db_free(db);
	canary_set_free(set);
	return rc;
usage:
	fprintf(stderr,
	    "usage: canary_bench [-m same|full] [-c CHUNK] [-C] PATTERNS "
	    "FILE...\n");
	return 2;
}
