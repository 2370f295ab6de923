/*
 * Fuzz target for the log reader and the canary scan of hostile input:
 * plain or gzip bytes, read in chunks, every line through the W3C and
 * common/combined field parsers, and the whole input through a canary
 * scan with a few tokens in every form.  The first input byte picks the
 * chunk size and whether to feed the scanner by hand in small pieces.
 *
 * Built with -fsanitize=fuzzer (and -DEMB_LIBFUZZER) it is a libFuzzer
 * target; otherwise it is a plain program that replays the files and
 * directories named on its command line, which is how the test suite runs
 * the corpus in tests/fuzz/corpus/logread/.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "trace/canary.h"
#include "trace/logread.h"
#include "common/emb.h"

#define DECODED_MAX ((uint64_t)64 << 20) /* bound on inflated bytes */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const tokens[] = {
    "0123456789abcdef01234567", /* hex */
    "abcdefghijklmnopqrst", /* base32 */
    "01234567-89ab-4cde-8f01-23456789abcd", /* uuid */
    "habcdefghijklmnopqrstuvw", /* hostname */
};

static struct canary_db *db;

static int
on_hit(const struct canary_hit *hit, void *arg)
{
	uint64_t *n = arg;

	/* What a front end would print: all of it must be readable. */
	if (hit->line_text != NULL && hit->line_len > 0) {
		volatile uint8_t x = hit->line_text[0];
		x ^= hit->line_text[hit->line_len - 1];
		(void)x;
	}
	if (strlen(hit->log.client) >= LOGREAD_CLIENT_MAX || hit->line == 0 ||
	    hit->form >= CANARY_FORM_COUNT)
		abort();
	(*n)++;
	return 0;
}

static void
init_db(void)
{
	struct canary_set *set;

	if (db != NULL)
		return;
	if (canary_set_new(&set) < 0)
		abort();
	for (size_t i = 0; i < EMB_ARRAY_LEN(tokens); i++)
		if (canary_set_add_token(set, tokens[i], strlen(tokens[i]),
		        (uint32_t)i, 0, CANARY_FORMS_ALL, true) < 0)
			abort();
	if (canary_db_build(set, &db, NULL) < 0)
		abort();
	canary_set_free(set);
}

/* Every line of a chunk through the field parsers. */
static void
parse_lines(struct logread_w3c *w, const uint8_t *p, size_t n)
{
	struct logread_fields f;

	while (n > 0) {
		const uint8_t *nl = memchr(p, '\n', n);
		size_t len = nl != NULL ? (size_t)(nl - p) + 1 : n;
		if (len >= 8 && memcmp(p, "#Fields:", 8) == 0)
			(void)logread_w3c_directive(w, p, len);
		(void)logread_line_fields(w, p, len, &f);
		if (strlen(f.client) >= LOGREAD_CLIENT_MAX)
			abort();
		(void)logread_line_fields(NULL, p, len, &f);
		p += len;
		n -= len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct logread_opts lo = {0};
	struct canary_opts co = {0};
	struct canary_scanner *sc;
	struct logread_w3c w;
	struct logread *r;
	const uint8_t *p;
	size_t n;
	uint64_t hits = 0, total = 0;
	uint8_t mode;
	int k;

	if (size == 0)
		return 0;
	init_db();
	mode = data[0];
	data++;
	size--;
	lo.chunk = LOGREAD_CHUNK_MIN << (mode & 3);
	lo.max_bytes = DECODED_MAX;
	(void)logread_sniff(data, size);

	/* The reader alone: chunks bounded, ending at lines. */
	logread_w3c_init(&w);
	if (logread_open_mem(data, size, &lo, &r) < 0)
		abort();
	while ((k = logread_next(r, &p, &n)) > 0) {
		if (n == 0 || n > lo.chunk)
			abort();
		if (!logread_at_end(r) && p[n - 1] != '\n' && n != lo.chunk)
			abort();
		total += n;
		parse_lines(&w, p, n);
	}
	if (k != 0 && k != EMB_ECORRUPT && k != EMB_ETOOBIG)
		abort();
	logread_close(r);

	/* The scanner, through the reader or fed by hand. */
	if (canary_scanner_new(db, on_hit, &hits, &sc) < 0)
		abort();
	co.chunk = lo.chunk;
	co.max_bytes = DECODED_MAX;
	if (mode & 4) {
		size_t off = 0, piece = 1 + (mode >> 3);
		if (canary_scan_begin(sc, "fuzz") < 0)
			abort();
		while (off < size) {
			size_t m = size - off < piece ? size - off : piece;
			if (canary_scan_feed(sc, data + off, m) != 0)
				abort();
			off += m;
		}
		if (canary_scan_end(sc) != 0)
			abort();
	} else {
		k = canary_scan_mem(sc, "fuzz", data, size, &co);
		if (k != 0 && k != EMB_ECORRUPT && k != EMB_ETOOBIG)
			abort();
	}
	canary_scanner_free(sc);
	(void)total;
	return 0;
}

#ifndef EMB_LIBFUZZER
static int
replay_file(const char *path)
{
	struct buf b;
	int rc;

	buf_init(&b, (size_t)16 << 20);
	if ((rc = buf_read_file(&b, path)) < 0) {
		fprintf(
		    stderr, "fuzz_logread: %s: %s\n", path, emb_strerror(rc));
		buf_fini(&b);
		return 1;
	}
	(void)LLVMFuzzerTestOneInput(
	    b.data != NULL ? b.data : (const uint8_t *)"", b.len);
	buf_fini(&b);
	return 0;
}

/*
 * Replay the files, and the files in the directories, named on the command
 * line; prints "N passed, M failed" (unreadable files fail; a crash fails
 * the whole run).
 */
int
main(int argc, char **argv)
{
	int bad = 0, count = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			struct dirent **list;
			int m = scandir(argv[i], &list, NULL, alphasort);
			if (m < 0) {
				perror(argv[i]);
				bad++;
				continue;
			}
			for (int j = 0; j < m; j++) {
				char path[4096];
				if (list[j]->d_name[0] != '.' &&
				    snprintf(path, sizeof(path), "%s/%s",
				        argv[i],
				        list[j]->d_name) < (int)sizeof(path)) {
					bad += replay_file(path);
					count++;
				}
				free(list[j]);
			}
			free(list);
		} else {
			bad += replay_file(argv[i]);
			count++;
		}
	}
	canary_db_free(db);
	printf("%d passed, %d failed\n", count - bad, bad);
	return bad != 0;
}
#endif
