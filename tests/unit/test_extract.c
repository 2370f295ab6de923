/*
 * Extraction against the real fixtures of every language: a verbatim
 * partner copy must be read without a single wrong reading, and a good
 * share of its robust sites read.  And every fixture gives 100 partners
 * 100 different, deterministic copies.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "core/marking.h"
#include "trace/extract.h"
#include "common/emb.h"

static struct crypto_keys *keys;

static int
setup(void **state)
{
	uint8_t m[32] = {7}, s[32] = {8};

	(void)state;
	if (crypto_lib_init() < 0)
		return -1;
	return crypto_keys_new(m, s, &keys);
}

static int
teardown(void **state)
{
	(void)state;
	crypto_keys_free(keys);
	return 0;
}

struct stats {
	size_t coded, read, wrong;
	size_t robust, robust_read;
};

/*
 * mark_artifact_agree tells, for every site and every symbol, whether it
 * is the partner's symbol there, exactly as mark_artifact_symbols says.
 */
static void
check_agree(
    const struct mark_artifact *ma, const char *partner, const uint8_t *sym)
{
	size_t n = ma->set.nsites;
	size_t *sites = calloc(n + 1, sizeof(size_t));
	uint8_t *want = calloc(n + 1, 1), *agree = calloc(n / 8 + 1, 1);

	assert_non_null(sites);
	assert_non_null(want);
	assert_non_null(agree);
	for (unsigned y = 0; y < MARK_Q_MAX; y++) {
		for (size_t k = 0; k < n; k++) {
			sites[k] = k;
			want[k] = (uint8_t)y;
		}
		memset(agree, 0, n / 8 + 1);
		mark_artifact_agree(ma, partner, sites, want, n, agree);
		for (size_t k = 0; k < n; k++)
			assert_int_equal(
			    (agree[k / 8] >> (k % 8)) & 1, sym[k] == y);
	}
	/* A few sites only, spread over the blocks of keystream. */
	for (size_t k = 0, i = 0; k < n; k += 37, i++) {
		sites[i] = k;
		want[i] = sym[k];
	}
	memset(agree, 0, n / 8 + 1);
	mark_artifact_agree(ma, partner, sites, want, (n + 36) / 37, agree);
	for (size_t i = 0; i < (n + 36) / 37; i++)
		assert_true((agree[i / 8] >> (i % 8)) & 1);
	free(sites);
	free(want);
	free(agree);
}

/* Render partner's copy of path, read it back, compare with the truth. */
static void
check_file(
    const char *path, const char *partner, struct stats *st, bool verbose)
{
	struct store_artifact art = {0};
	struct mark_artifact ma;
	struct emb_error err = {0};
	struct trace_tokens ot, ct;
	struct buf text, copy;
	uint8_t *sym;
	int *obs, n;

	buf_init(&text, 1 << 24);
	assert_int_equal(buf_read_file(&text, path), 0);
	(void)snprintf(art.advisory_id, sizeof(art.advisory_id), "T");
	(void)snprintf(
	    art.name, sizeof(art.name), "%s", strrchr(path, '/') + 1);
	art.mark = STORE_MARK_AUTO;
	assert_int_equal(
	    core_mark_prepare(keys, &art, text.data, text.len, &ma, &err), 0);
	buf_init(&copy, 1 << 25);
	assert_int_equal(mark_artifact_copy(&ma, partner, &copy), 0);
	if (getenv("DUMP")) {
		char out[256];
		FILE *f;
		(void)snprintf(
		    out, sizeof(out), "/tmp/copy_%s_%s", art.name, partner);
		if ((f = fopen(out, "w")) != NULL) {
			fwrite(copy.data, 1, copy.len, f);
			fclose(f);
		}
	}
	sym = calloc(ma.set.nsites + 1, 1);
	obs = calloc(ma.set.nsites + 1, sizeof(int));
	assert_non_null(sym);
	assert_non_null(obs);
	mark_artifact_symbols(&ma, partner, sym);
	check_agree(&ma, partner, sym);
	assert_int_equal(
	    trace_tokens_scan(ma.lang, text.data, text.len, &ot), 0);
	assert_int_equal(
	    trace_tokens_scan(ma.lang, copy.data, copy.len, &ct), 0);
	n = extract_sites(&ma.set, ma.lang, &ot, copy.data, copy.len, &ct, obs);
	assert_true(n >= 0);
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < ma.set.nsites; i++) {
		const struct mark_site *s = &ma.set.sites[i];
		if (s->q < 2 || s->kind == MARK_CANARY)
			continue;
		st->coded++;
		st->robust += s->kind == MARK_ROBUST;
		st->robust_read += s->kind == MARK_ROBUST && obs[i] >= 0;
		if (obs[i] < 0) {
			if (verbose)
				printf("  unread %s (%s)\n", s->rule,
				    s->kind == MARK_ROBUST ? "robust"
				                           : "fragile");
			continue;
		}
		st->read++;
		if (obs[i] != sym[i]) {
			st->wrong++;
			printf("  WRONG %s site %zu: read %d, was %d\n",
			    s->rule, i, obs[i], sym[i]);
		}
	}
	trace_tokens_fini(&ot);
	trace_tokens_fini(&ct);
	free(sym);
	free(obs);
	mark_artifact_fini(&ma);
	buf_fini(&copy);
	buf_fini(&text);
}

/* 100 partners' copies of path: pairwise distinct and deterministic. */
static void
check_distinct(const char *path)
{
	struct store_artifact art = {0};
	struct mark_artifact ma;
	struct emb_error err = {0};
	uint8_t digest[100][32];
	struct buf text;

	buf_init(&text, 1 << 24);
	assert_int_equal(buf_read_file(&text, path), 0);
	(void)snprintf(art.advisory_id, sizeof(art.advisory_id), "T");
	(void)snprintf(
	    art.name, sizeof(art.name), "%s", strrchr(path, '/') + 1);
	art.mark = STORE_MARK_AUTO;
	assert_int_equal(
	    core_mark_prepare(keys, &art, text.data, text.len, &ma, &err), 0);
	for (int p = 0; p < 100; p++) {
		char partner[16];
		struct buf a, b;
		(void)snprintf(partner, sizeof(partner), "p%d", p);
		buf_init(&a, 1 << 25);
		buf_init(&b, 1 << 25);
		assert_int_equal(mark_artifact_copy(&ma, partner, &a), 0);
		assert_int_equal(mark_artifact_copy(&ma, partner, &b), 0);
		assert_int_equal(a.len, b.len);
		assert_memory_equal(a.data, b.data, a.len);
		crypto_sha256(a.data, a.len, digest[p]);
		for (int q = 0; q < p; q++)
			if (memcmp(digest[q], digest[p], 32) == 0)
				fail_msg("%s: partners p%d and p%d got the same"
				         " copy",
				    path, q, p);
		buf_fini(&a);
		buf_fini(&b);
	}
	mark_artifact_fini(&ma);
	buf_fini(&text);
}

static int
partners(void)
{
	const char *e = getenv("EXTRACT_PARTNERS");
	int64_t n = 3;

	if (e != NULL && emb_parse_int(e, 1, 10000, &n) < 0)
		n = 3;
	return (int)n;
}

static void
check_dir(const char *dir)
{
	char path[1024];
	const char *src = getenv("EMBARGO_SRC");
	struct dirent *e;
	DIR *d;
	size_t files = 0;

	(void)snprintf(
	    path, sizeof(path), "%s/tests/fixtures/%s", src ? src : "..", dir);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char file[1400];
		struct stats st;
		if (e->d_name[0] == '.')
			continue;
		(void)snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
		check_distinct(file);
		/* EXTRACT_PARTNERS=N checks more copies (default 3). */
		size_t robust = 0, robust_read = 0;
		for (int p = 0; p < partners(); p++) {
			char partner[24];
			(void)snprintf(
			    partner, sizeof(partner), "partner-%d", p);
			check_file(
			    file, partner, &st, getenv("VERBOSE") != NULL);
			printf("%s %s: %zu coded, %zu read (robust %zu of %zu),"
			       " %zu wrong\n",
			    e->d_name, partner, st.coded, st.read,
			    st.robust_read, st.robust, st.wrong);
			/* Verbatim: never a wrong reading. */
			assert_int_equal(st.wrong, 0);
			robust += st.robust;
			robust_read += st.robust_read;
		}
		/*
		 * And a good share of the robust sites read (Python, C and
		 * prose 85% and more; YARA, Suricata and shell less, where
		 * short permuted blocks sit inside other permuted blocks and
		 * look-alike lines are erased rather than risked).  Fragile
		 * sites next to each other (blank lines) cannot all be
		 * located by raw context.
		 */
		assert_true(robust_read * 3 >= robust);
		files++;
	}
	closedir(d);
	assert_true(files > 0);
}

static void
test_python(void **state)
{
	(void)state;
	check_dir("python");
}

static void
test_prose(void **state)
{
	(void)state;
	check_dir("prose");
}

static void
test_yara(void **state)
{
	(void)state;
	check_dir("yara");
}

static void
test_suricata(void **state)
{
	(void)state;
	check_dir("suricata");
}

static void
test_c(void **state)
{
	(void)state;
	check_dir("c");
}

static void
test_shell(void **state)
{
	(void)state;
	check_dir("shell");
}

static void
test_powershell(void **state)
{
	(void)state;
	check_dir("powershell");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_python),
	    cmocka_unit_test(test_prose),
	    cmocka_unit_test(test_yara),
	    cmocka_unit_test(test_suricata),
	    cmocka_unit_test(test_c),
	    cmocka_unit_test(test_shell),
	    cmocka_unit_test(test_powershell),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
