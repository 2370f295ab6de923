/*
 * Fuzz target for the derivation tokeniser and winnowing (trace/tokens.h,
 * trace/winnow.h), which read hostile suspect samples.  The first byte
 * picks the language, the rest is the text.  Checks the token invariants
 * and fingerprints the result; any violation aborts.
 *
 * With libFuzzer: clang -fsanitize=fuzzer,address -DEMB_LIBFUZZER ...
 * Without (the default), main() replays every file named on the command
 * line, or every file in a directory named there, e.g.
 * tests/fuzz/corpus/tokens/.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "trace/tokens.h"
#include "trace/winnow.h"
#include "common/emb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace_tokens t;
	struct trace_fps f;
	enum mark_lang lang;
	size_t end = 0;

	if (size == 0)
		return 0;
	lang = (enum mark_lang)(data[0] % MARK_LANG_COUNT);
	data++;
	size--;
	if (trace_tokens_scan(lang, data, size, &t) < 0)
		return 0;
	for (size_t i = 0; i < t.n; i++) {
		const struct trace_tok *k = &t.v[i];

		if (k->len == 0 || k->off < end ||
		    (size_t)k->off + k->len > size || k->type > TRACE_TOK_WORD)
			abort();
		end = (size_t)k->off + k->len;
		if (trace_tokens_at(&t, k->off) != i)
			abort();
	}
	if (trace_winnow(&t, data, size, NULL, &f) == 0) {
		for (size_t i = 0; i < f.nfp; i++)
			if (f.fp[i].first > f.fp[i].last ||
			    f.fp[i].last >= t.n ||
			    (i > 0 && f.fp[i].first <= f.fp[i - 1].first))
				abort();
		for (size_t i = 0; i < f.nlit; i++)
			if (f.lit[i].first >= t.n)
				abort();
		trace_fps_fini(&f);
	}
	trace_tokens_fini(&t);
	return 0;
}

#ifndef EMB_LIBFUZZER
static int
replay_file(const char *path)
{
	struct buf b;
	int r;

	buf_init(&b, TRACE_TEXT_MAX);
	r = buf_read_file(&b, path);
	if (r == 0)
		(void)LLVMFuzzerTestOneInput(b.data, b.len);
	else
		fprintf(stderr, "%s: %s\n", path, emb_strerror(r));
	buf_fini(&b);
	return r;
}

int
main(int argc, char **argv)
{
	size_t n = 0;
	int failed = 0;

	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;

		if (d == NULL) {
			failed |= replay_file(argv[i]) < 0;
			n++;
			continue;
		}
		while ((e = readdir(d)) != NULL) {
			char path[4096];

			if (e->d_name[0] == '.')
				continue;
			snprintf(
			    path, sizeof(path), "%s/%s", argv[i], e->d_name);
			failed |= replay_file(path) < 0;
			n++;
		}
		closedir(d);
	}
	printf("fuzz_tokens: %zu inputs replayed\n", n);
	return failed ? 1 : 0;
}
#endif
