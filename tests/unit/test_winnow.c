#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "trace/winnow.h"
#include "common/emb.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Every window of w holds a selected position; selections increase. */
static void
check_selection(
    const uint64_t *h, size_t n, unsigned w, const uint32_t *sel, size_t nsel)
{
	size_t k = 0;

	for (size_t i = 1; i < nsel; i++)
		assert_true(sel[i] > sel[i - 1]);
	for (size_t start = 0; start + w <= n; start++) {
		uint64_t min = UINT64_MAX;

		while (k < nsel && sel[k] < start)
			k++;
		assert_true(k < nsel && sel[k] < start + w);
		for (size_t i = start; i < start + w; i++)
			min = h[i] < min ? h[i] : min;
		/* some selection inside the window is the window's min */
		bool found = false;
		for (size_t j = k; j < nsel && sel[j] < start + w; j++)
			found = found || h[sel[j]] == min;
		assert_true(found);
	}
}

static void
test_select_random(void **state)
{
	size_t n = 20000, total = 0;
	uint64_t *h = malloc(n * sizeof(*h));
	uint32_t *sel = malloc(n * sizeof(*sel));

	(void)state;
	assert_non_null(h);
	assert_non_null(sel);
	for (unsigned w = 1; w <= 12; w++) {
		size_t nsel;

		for (size_t i = 0; i < n; i++)
			h[i] = rnd();
		nsel = trace_winnow_select(h, n, w, sel);
		check_selection(h, n, w, sel, nsel);
		if (w == 8) {
			/* density 2 / (w + 1) of the paper, within 10% */
			double d = (double)nsel / n;
			assert_true(d > 0.9 * 2.0 / 9 && d < 1.1 * 2.0 / 9);
		}
		total += nsel;
	}
	assert_true(total > 0);
	free(h);
	free(sel);
}

static void
test_select_ties(void **state)
{
	uint64_t h[40];
	uint32_t sel[40];
	size_t nsel;

	(void)state;
	/* All equal: robust winnowing keeps one until it leaves the window. */
	for (size_t i = 0; i < 40; i++)
		h[i] = 7;
	nsel = trace_winnow_select(h, 40, 4, sel);
	check_selection(h, 40, 4, sel, nsel);
	assert_int_equal(nsel, 10); /* 3, 7, 11, ..., 39 */
	assert_int_equal(sel[0], 3);
	assert_int_equal(sel[1], 7);
	/* A small input is one window: its rightmost minimum. */
	h[0] = 1;
	h[1] = 5;
	h[2] = 1;
	assert_int_equal(trace_winnow_select(h, 3, 8, sel), 1);
	assert_int_equal(sel[0], 2);
	assert_int_equal(trace_winnow_select(h, 0, 8, sel), 0);
	assert_int_equal(trace_winnow_select(h, 3, 0, sel), 0);
}

/* A synthetic token array with the given abstract hashes. */
static struct trace_tokens
synth(const uint64_t *a, size_t n, enum mark_lang lang)
{
	struct trace_tokens t = {
	    calloc(n ? n : 1, sizeof(struct trace_tok)), n, lang};

	assert_non_null(t.v);
	for (size_t i = 0; i < n; i++) {
		t.v[i].abstract = a[i];
		t.v[i].exact = a[i];
		t.v[i].off = (uint32_t)i;
		t.v[i].len = 1;
		t.v[i].type = TRACE_TOK_PUNCT;
	}
	return t;
}

static bool
share_hash(const struct trace_fps *x, const struct trace_fps *y)
{
	for (size_t i = 0; i < x->nfp; i++)
		for (size_t j = 0; j < y->nfp; j++)
			if (x->fp[i].hash == y->fp[j].hash)
				return true;
	return false;
}

/*
 * The guarantee: two streams sharing any run of t = w + k - 1 abstract
 * tokens (here random, so not repetitive) share a fingerprint, wherever
 * the run sits in each.
 */
static void
test_guarantee(void **state)
{
	static const enum mark_lang langs[] = {
	    MARK_LANG_PYTHON, MARK_LANG_YARA, MARK_LANG_PROSE};

	(void)state;
	for (size_t l = 0; l < EMB_ARRAY_LEN(langs); l++) {
		const struct trace_winnow_params *p =
		    trace_winnow_params(langs[l]);
		size_t t = p->w + p->k - 1;

		for (int round = 0; round < 300; round++) {
			size_t na = t + rnd() % 300, nb = t + rnd() % 300;
			size_t oa = rnd() % (na - t + 1),
			       ob = rnd() % (nb - t + 1);
			uint64_t *a = malloc(na * sizeof(*a)),
			         *b = malloc(nb * sizeof(*b));
			struct trace_tokens ta, tb;
			struct trace_fps fa, fb;

			assert_non_null(a);
			assert_non_null(b);
			for (size_t i = 0; i < na; i++)
				a[i] = rnd() | 1;
			for (size_t i = 0; i < nb; i++)
				b[i] = rnd() | 1;
			memcpy(b + ob, a + oa, t * sizeof(*a));
			ta = synth(a, na, langs[l]);
			tb = synth(b, nb, langs[l]);
			assert_int_equal(
			    trace_winnow(&ta, NULL, 0, NULL, &fa), 0);
			assert_int_equal(
			    trace_winnow(&tb, NULL, 0, NULL, &fb), 0);
			assert_true(share_hash(&fa, &fb));
			/* positions are token indices inside the stream */
			for (size_t i = 0; i < fa.nfp; i++) {
				assert_true(fa.fp[i].last < na);
				assert_int_equal(
				    fa.fp[i].last - fa.fp[i].first, p->k - 1);
				if (i > 0)
					assert_true(fa.fp[i].first >
					    fa.fp[i - 1].first);
			}
			trace_fps_fini(&fa);
			trace_fps_fini(&fb);
			free(ta.v);
			free(tb.v);
			free(a);
			free(b);
		}
	}
}

/* The same with real code, renamed and re-laid out around the copy. */
static void
test_guarantee_text(void **state)
{
	const char *a = "import os\nx = 1\n"
	                "def walk(root, depth):\n"
	                "    for entry in os.scandir(root):\n"
	                "        if entry.is_dir() and depth > 0:\n"
	                "            walk(entry.path, depth - 1)\n"
	                "        print(entry.name, entry.stat().st_size)\n";
	const char *b = "class Foo:\n    pass\n"
	                "def  go(top,n) :\n"
	                "  for e in os.scandir( top ) :\n"
	                "    if e.is_dir()   and n>0:  # recurse\n"
	                "      go(e.path,n-1)\n"
	                "    print(e.name,e.stat().st_size)\n"
	                "y = [1, 2]\n";
	struct trace_tokens ta, tb;
	struct trace_fps fa, fb;

	(void)state;
	assert_int_equal(trace_tokens_scan(MARK_LANG_PYTHON, (const uint8_t *)a,
	                     strlen(a), &ta),
	    0);
	assert_int_equal(trace_tokens_scan(MARK_LANG_PYTHON, (const uint8_t *)b,
	                     strlen(b), &tb),
	    0);
	assert_int_equal(
	    trace_winnow(&ta, (const uint8_t *)a, strlen(a), NULL, &fa), 0);
	assert_int_equal(
	    trace_winnow(&tb, (const uint8_t *)b, strlen(b), NULL, &fb), 0);
	assert_true(share_hash(&fa, &fb));
	trace_fps_fini(&fa);
	trace_fps_fini(&fb);
	trace_tokens_fini(&ta);
	trace_tokens_fini(&tb);
}

/* Repetitive structure (tables, lists of like lines) is not fingerprinted. */
static void
test_repetitive(void **state)
{
	char *s = malloc(64 * 1024);
	size_t n = 0;
	struct trace_tokens t;
	struct trace_fps f;

	(void)state;
	assert_non_null(s);
	n += (size_t)snprintf(s + n, 64, "table = [");
	for (int i = 0; i < 2000; i++)
		n += (size_t)snprintf(s + n, 64, "%d, ", i * 7919 % 1000);
	n += (size_t)snprintf(s + n, 64, "]\n");
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(s + n, 64, "#define NAME_%d %d\n", i, i);
	assert_int_equal(
	    trace_tokens_scan(MARK_LANG_PYTHON, (uint8_t *)s, n, &t), 0);
	assert_int_equal(trace_winnow(&t, (uint8_t *)s, n, NULL, &f), 0);
	/* only the k-grams where one kind of line gives way to the next */
	assert_true(f.nfp <= 4);
	trace_fps_fini(&f);
	trace_tokens_fini(&t);
	free(s);
}

static void
test_literals(void **state)
{
	const char *a = "p = '/etc/shadow-backup'\nn = 0x41414141\nm = 16\n"
	                "s = 'short'\n";
	const char *b = "q = \"/etc/shadow-backup\"\nk = 0x41414141\n";
	struct trace_tokens ta, tb;
	struct trace_fps fa, fb;

	(void)state;
	assert_int_equal(trace_tokens_scan(MARK_LANG_PYTHON, (const uint8_t *)a,
	                     strlen(a), &ta),
	    0);
	assert_int_equal(trace_tokens_scan(MARK_LANG_PYTHON, (const uint8_t *)b,
	                     strlen(b), &tb),
	    0);
	assert_int_equal(
	    trace_winnow(&ta, (const uint8_t *)a, strlen(a), NULL, &fa), 0);
	assert_int_equal(
	    trace_winnow(&tb, (const uint8_t *)b, strlen(b), NULL, &fb), 0);
	/* the path and the constant; not 16, not 'short' */
	assert_int_equal(fa.nlit, 2);
	assert_int_equal(fb.nlit, 2);
	/* quotes do not matter: same hashes, in the same order */
	assert_int_equal(fa.lit[0].hash, fb.lit[0].hash);
	assert_int_equal(fa.lit[1].hash, fb.lit[1].hash);
	assert_int_equal(fa.lit[0].first, 2);
	assert_int_equal(fa.lit[0].first, fa.lit[0].last);
	trace_fps_fini(&fa);
	trace_fps_fini(&fb);
	trace_tokens_fini(&ta);
	trace_tokens_fini(&tb);
}

static void
test_params(void **state)
{
	struct trace_winnow_params bad = {0, 4, 8, 5};
	struct trace_tokens t = {NULL, 0, MARK_LANG_C};
	struct trace_fps f = {0};

	(void)state;
	for (unsigned l = 0; l < MARK_LANG_COUNT; l++) {
		const struct trace_winnow_params *p =
		    trace_winnow_params((enum mark_lang)l);

		assert_non_null(p);
		assert_true(p->k >= 5 && p->k <= TRACE_K_MAX);
		assert_true(p->w >= 1 && p->w <= TRACE_W_MAX);
	}
	assert_int_equal(trace_winnow_params(MARK_LANG_PYTHON)->k, 12);
	assert_int_equal(trace_winnow_params(MARK_LANG_PYTHON)->w, 8);
	assert_int_equal(trace_winnow(&t, NULL, 0, &bad, &f), EMB_EINVAL);
	bad.k = TRACE_K_MAX + 1;
	assert_int_equal(trace_winnow(&t, NULL, 0, &bad, &f), EMB_EINVAL);
	bad.k = 5;
	bad.w = 0;
	assert_int_equal(trace_winnow(&t, NULL, 0, &bad, &f), EMB_EINVAL);
	assert_int_equal(trace_winnow(&t, NULL, 0, NULL, &f), 0);
	assert_int_equal(f.nfp, 0);
	assert_int_equal(f.nlit, 0);
	trace_fps_fini(&f);
	trace_fps_fini(NULL);
}

/* Different languages never share a fingerprint, even for equal streams. */
static void
test_seeded(void **state)
{
	uint64_t a[64];
	struct trace_tokens x, y;
	struct trace_fps fx, fy;

	(void)state;
	for (size_t i = 0; i < 64; i++)
		a[i] = rnd() | 1;
	x = synth(a, 64, MARK_LANG_PYTHON);
	y = synth(a, 64, MARK_LANG_C);
	assert_int_equal(trace_winnow(&x, NULL, 0, NULL, &fx), 0);
	assert_int_equal(trace_winnow(&y, NULL, 0, NULL, &fy), 0);
	assert_true(fx.nfp > 0);
	assert_false(share_hash(&fx, &fy));
	trace_fps_fini(&fx);
	trace_fps_fini(&fy);
	free(x.v);
	free(y.v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_select_random),
	    cmocka_unit_test(test_select_ties),
	    cmocka_unit_test(test_guarantee),
	    cmocka_unit_test(test_guarantee_text),
	    cmocka_unit_test(test_repetitive),
	    cmocka_unit_test(test_literals),
	    cmocka_unit_test(test_params),
	    cmocka_unit_test(test_seeded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
