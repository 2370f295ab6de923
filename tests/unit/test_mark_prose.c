/*
 * Site discovery in prose (Markdown and plain text): each rule finds its sites,
 * leaves alone what it must not touch and renders as expected; hostile
 * input never fails, crashes or runs away.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "mark/lang.h"
#include "common/emb.h"

/* ---- helpers shared by the discovery tests (copied per file) ---- */

struct found {
	struct mark_set set;
	char *text;
};

/* Discover text (len SIZE_MAX: up to its NUL) into a finalised set. */
static void
found_init(struct found *f, const char *text, size_t len,
    int (*discover)(struct mark_set *))
{
	if (len == SIZE_MAX)
		len = strlen(text);
	f->text = malloc(len + 1);
	assert_non_null(f->text);
	memcpy(f->text, text, len);
	f->text[len] = 0;
	mark_set_init(&f->set, (const uint8_t *)f->text, len);
	assert_int_equal(discover(&f->set), 0);
	assert_int_equal(mark_set_finalize(&f->set), 0);
}

static void
found_fini(struct found *f)
{
	mark_set_fini(&f->set);
	free(f->text);
}

static int
no_canary(size_t site, struct buf *out, void *arg)
{
	(void)site;
	(void)arg;
	return buf_append(out, "CANARY", 6);
}

/*
 * A copy where every robust site shows variant v (modulo its q) and every
 * fragile one its original; free() it.
 */
static char *
render_all(const struct found *f, unsigned v)
{
	struct buf out;
	uint8_t *sym = calloc(f->set.nsites + 1, 1);
	char *s;
	size_t n;

	assert_non_null(sym);
	for (size_t i = 0; i < f->set.nsites; i++)
		sym[i] = f->set.sites[i].kind == MARK_ROBUST ? (uint8_t)v : 0;
	buf_init(&out, 64u << 20);
	assert_int_equal(mark_render(&f->set, sym, no_canary, NULL, &out), 0);
	assert_int_equal(buf_append(&out, "", 1), 0);
	s = (char *)buf_steal(&out, &n);
	free(sym);
	return s;
}

/* Sites of a rule (all if rule is NULL) with a span exactly over needle
 * (the first occurrence at or after the offset of after, if given). */
static size_t
sites_at(const struct found *f, const char *rule, const char *needle)
{
	const char *p = strstr(f->text, needle);
	size_t n = 0, off, len = strlen(needle);

	assert_non_null(p);
	off = (size_t)(p - f->text);
	for (size_t i = 0; i < f->set.nsites; i++) {
		const struct mark_site *s = &f->set.sites[i];
		if (rule != NULL && strcmp(s->rule, rule) != 0)
			continue;
		for (uint32_t k = 0; k < s->nspans; k++) {
			const struct mark_span *sp =
			    &f->set.spans[s->span0 + k];
			if (sp->off == off && sp->len == len)
				n++;
		}
	}
	return n;
}

/* Whether a REPLACE site touches any byte of needle's first occurrence. */
static bool
touched(const struct found *f, const char *needle)
{
	const char *p = strstr(f->text, needle);
	size_t off, end;

	assert_non_null(p);
	off = (size_t)(p - f->text);
	end = off + strlen(needle);
	for (size_t i = 0; i < f->set.nsites; i++) {
		const struct mark_site *s = &f->set.sites[i];
		if (s->shape != MARK_REPLACE || s->q < 2)
			continue;
		for (uint32_t k = 0; k < s->nspans; k++) {
			const struct mark_span *sp =
			    &f->set.spans[s->span0 + k];
			if (sp->off < end && sp->off + sp->len > off)
				return true;
		}
	}
	return false;
}

static size_t
count_rule(const struct found *f, const char *rule)
{
	size_t n = 0;

	for (size_t i = 0; i < f->set.nsites; i++)
		n += strcmp(f->set.sites[i].rule, rule) == 0;
	return n;
}

static void
check_text(const char *text, int (*discover)(struct mark_set *))
{
	struct found f;

	found_init(&f, text, strlen(text), discover);
	found_fini(&f);
}

static uint64_t
rand_next(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/*
 * Hostile input never fails or crashes, gives the same sites twice and
 * renders: random bytes, random bytes from a small alphabet, a 1 MB line.
 */
static void
check_garbage(int (*discover)(struct mark_set *), const char *alphabet)
{
	size_t n = 1u << 20;
	char *t = malloc(n);
	uint64_t seed = 7;

	assert_non_null(t);
	for (int round = 0; round < 6; round++) {
		size_t len = round < 4 ? 65536 : n, m = strlen(alphabet);
		struct found a, b;
		char *ra;
		for (size_t i = 0; i < len; i++) {
			uint64_t r = rand_next(&seed);
			t[i] =
			    round % 2 == 0 ? (char)(r & 0xff) : alphabet[r % m];
		}
		found_init(&a, t, len, discover);
		found_init(&b, t, len, discover);
		assert_int_equal(a.set.nsites, b.set.nsites);
		for (size_t i = 0; i < a.set.nsites; i++) {
			assert_int_equal(
			    a.set.sites[i].nspans, b.set.sites[i].nspans);
			assert_int_equal(a.set.spans[a.set.sites[i].span0].off,
			    b.set.spans[b.set.sites[i].span0].off);
		}
		ra = render_all(&a, 1);
		free(ra);
		found_fini(&a);
		found_fini(&b);
	}
	/* one long line of one character, and of a word */
	memset(t, 'x', n);
	{
		struct found a;
		found_init(&a, "", 0, discover);
		found_fini(&a);
		found_init(&a, t, n, discover);
		found_fini(&a);
		for (size_t i = 0; i + 10 < n; i += 10)
			memcpy(t + i, "attacker, ", 10);
		found_init(&a, t, n, discover);
		free(render_all(&a, 1));
		found_fini(&a);
	}
	free(t);
}

static void
test_synonyms(void **state)
{
	struct found f;
	char *r;

	(void)state;
	found_init(&f,
	    "Title\n\nThe flaw allows an attacker to execute arbitrary code.\n",
	    SIZE_MAX, mark_lang_prose);
	assert_int_equal(sites_at(&f, "prose.synonym", "flaw"), 1);
	assert_int_equal(sites_at(&f, "prose.synonym", "allows"), 1);
	assert_int_equal(sites_at(&f, "prose.synonym", "attacker"), 1);
	assert_int_equal(sites_at(&f, "prose.synonym", "execute"), 1);
	r = render_all(&f, 0);
	assert_string_equal(r, f.text);
	free(r);
	r = render_all(&f, 1);
	assert_non_null(strstr(r,
	    "The vulnerability permits an adversary "
	    "to run arbitrary code."));
	free(r);
	found_fini(&f);
}

static void
test_capitals(void **state)
{
	struct found f;
	char *r;

	(void)state;
	found_init(&f,
	    "Title\n\nAttackers use the Remote Attacker Toolkit. Prior to "
	    "the fix, it was common.\n",
	    SIZE_MAX, mark_lang_prose);
	assert_true(touched(&f, "Attackers use"));
	assert_false(touched(&f, "Attacker Toolkit"));
	r = render_all(&f, 1);
	assert_non_null(strstr(r, "Adversaries use"));
	assert_non_null(strstr(r, "Before the"));
	free(r);
	found_fini(&f);
}

static void
test_untouched(void **state)
{
	static const char text[] =
	    "The attacker allows vulnerability in Foo (CVE-2024-1234)\n"
	    "\n"
	    "## Vulnerability allows attacker\n"
	    "\n"
	    "Run `attacker allows` and see https://x.example/attacker/allows"
	    " or <https://y.example/flaw>.\n"
	    "It said \"the attacker allows\" and [attacker flaw][1] too.\n"
	    "Not attacker_ip, attacker.com, vulnerability-scanner, "
	    "@@mark:attacker|adversary@@ either.\n"
	    "\n"
	    "```\n"
	    "attacker allows vulnerability\n"
	    "```\n"
	    "\n"
	    "    indented attacker allows\n"
	    "\n"
	    "> a quoted attacker allows\n"
	    "\n"
	    "| attacker | allows |\n"
	    "\n"
	    "[1]: https://z.example/attacker\n";
	struct found f;

	(void)state;
	found_init(&f, text, sizeof(text) - 1, mark_lang_prose);
	assert_false(touched(&f, "The attacker allows vulnerability in"));
	assert_false(touched(&f, "## Vulnerability allows attacker"));
	assert_false(touched(&f, "`attacker allows`"));
	assert_false(touched(&f, "https://x.example/attacker/allows"));
	assert_false(touched(&f, "https://y.example/flaw"));
	assert_false(touched(&f, "\"the attacker allows\""));
	assert_false(touched(&f, "[attacker flaw]"));
	assert_false(touched(&f, "attacker_ip"));
	assert_false(touched(&f, "attacker.com"));
	assert_false(touched(&f, "vulnerability-scanner"));
	assert_false(touched(&f, "@@mark:attacker|adversary@@"));
	assert_false(touched(&f, "attacker allows vulnerability\n```"));
	assert_false(touched(&f, "indented attacker allows"));
	assert_false(touched(&f, "> a quoted attacker allows"));
	assert_false(touched(&f, "| attacker | allows |"));
	assert_false(touched(&f, "https://z.example/attacker"));
	assert_false(touched(&f, "CVE-2024-1234"));
	found_fini(&f);
}

static void
test_guards(void **state)
{
	struct found f;

	(void)state;
	found_init(&f,
	    "Title\n\nRun the vulnerability scanner. Upgrade to 2.1 now; the "
	    "upgrade is free. Take an additional step and one additional "
	    "step. It allows for reuse. The vulnerability is old.\n",
	    SIZE_MAX, mark_lang_prose);
	assert_false(touched(&f, "vulnerability scanner"));
	assert_true(touched(&f, "Upgrade to"));
	assert_false(touched(&f, "upgrade is"));
	assert_false(touched(&f, "additional step and"));
	assert_true(touched(&f, "additional step."));
	assert_false(touched(&f, "allows for"));
	assert_true(touched(&f, "vulnerability is"));
	found_fini(&f);
}

static void
test_abbreviations(void **state)
{
	struct found f;
	char *r;

	(void)state;
	found_init(&f,
	    "Title\n\nShells (e.g. ASPX ones) and files, i.e., "
	    "implants.\n",
	    SIZE_MAX, mark_lang_prose);
	r = render_all(&f, 1);
	assert_non_null(strstr(r, "(for example, ASPX ones)"));
	assert_non_null(strstr(r, "files, that is, implants."));
	free(r);
	found_fini(&f);
}

static void
test_spelling(void **state)
{
	struct found f;
	char *r;

	(void)state;
	found_init(&f,
	    "Title\n\nThe behaviour is odd. Organisations see this behaviour "
	    "and organise.\n",
	    SIZE_MAX, mark_lang_prose);
	assert_int_equal(count_rule(&f, "prose.spelling"), 2);
	r = render_all(&f, 1);
	assert_non_null(strstr(r,
	    "The behavior is odd. Organizations see "
	    "this behavior and organize."));
	free(r);
	found_fini(&f);
	/* mixed spellings, or one in a heading: the family is left alone */
	found_init(
	    &f, "Title\n\nbehaviour and behavior\n", SIZE_MAX, mark_lang_prose);
	assert_int_equal(count_rule(&f, "prose.spelling"), 0);
	found_fini(&f);
	found_init(&f, "Title\n\n## Odd behaviour\n\nThe behaviour.\n",
	    SIZE_MAX, mark_lang_prose);
	assert_int_equal(count_rule(&f, "prose.spelling"), 0);
	found_fini(&f);
}

static void
test_lists(void **state)
{
	struct found f;
	char *r;

	(void)state;
	found_init(&f,
	    "Title\n\n- one\n- two\n  - nested\n- three\n\ntext\n\n---\n\n"
	    "* * *\n",
	    SIZE_MAX, mark_lang_prose);
	assert_int_equal(count_rule(&f, "prose.list_marker"), 2);
	r = render_all(&f, 1);
	assert_non_null(strstr(r, "* one\n* two\n  * nested\n* three\n"));
	assert_non_null(strstr(r, "\n---\n"));
	assert_non_null(strstr(r, "\n* * *\n"));
	free(r);
	r = render_all(&f, 2);
	assert_non_null(strstr(r, "+ one\n+ two\n"));
	free(r);
	found_fini(&f);
}

static void
test_emphasis(void **state)
{
	struct found f;
	char *r;

	(void)state;
	found_init(&f, "Title\n\n**Note:** use *care*; 2**32 and a*b*c.\n",
	    SIZE_MAX, mark_lang_prose);
	r = render_all(&f, 1);
	assert_non_null(strstr(r, "__Note:__ use _care_; 2**32 and a*b*c."));
	free(r);
	found_fini(&f);
}

static void
test_serial_comma(void **state)
{
	struct found f;
	char *r;

	(void)state;
	found_init(&f,
	    "Title\n\nIt affects Windows, Linux and macOS. In 2021, Microsoft "
	    "and Google agreed. Keys include red, green, and blue.\n",
	    SIZE_MAX, mark_lang_prose);
	assert_int_equal(count_rule(&f, "prose.serial_comma"), 2);
	r = render_all(&f, 1);
	assert_non_null(strstr(r, "Windows, Linux, and macOS."));
	assert_non_null(strstr(r, "In 2021, Microsoft and Google"));
	assert_non_null(strstr(r, "red, green and blue."));
	free(r);
	found_fini(&f);
}

static void
test_fragile(void **state)
{
	struct found f;

	(void)state;
	found_init(&f,
	    "Title\n\nA line of ordinary prose that is long enough to wrap\n"
	    "somewhere else. Another sentence here.\n\n```\ncode line\n```\n",
	    SIZE_MAX, mark_lang_prose);
	assert_true(count_rule(&f, "prose.line_wrap") >= 1);
	assert_true(count_rule(&f, "prose.double_space") >= 1);
	assert_true(count_rule(&f, "prose.trailing_space") >= 1);
	assert_false(touched(&f, "code line\n"));
	for (size_t i = 0; i < f.set.nsites; i++)
		if (f.set.sites[i].kind == MARK_FRAGILE)
			assert_true(
			    strncmp(f.set.sites[i].rule, "prose.", 6) == 0);
	found_fini(&f);
}

static void
test_garbage(void **state)
{
	(void)state;
	check_text("`unterminated code span and attacker\n", mark_lang_prose);
	check_text("[unterminated link (attacker\n", mark_lang_prose);
	check_text("```\nunterminated fence attacker\n", mark_lang_prose);
	check_text("<!-- unterminated comment attacker", mark_lang_prose);
	check_text("@@mark:unterminated attacker", mark_lang_prose);
	check_text(
	    "- a\n  - b\n    - c\n      - d\n        - e\n", mark_lang_prose);
	check_text("x\n\n- - - - -\n* \n+\n-\n", mark_lang_prose);
	check_text("a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, "
	           "t, u, v, w, x, y and z\n",
	    mark_lang_prose);
	check_garbage(mark_lang_prose, "ab *_-+`[]()<>\"\n, .:@|#e.g");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_synonyms),
	    cmocka_unit_test(test_capitals),
	    cmocka_unit_test(test_untouched),
	    cmocka_unit_test(test_guards),
	    cmocka_unit_test(test_abbreviations),
	    cmocka_unit_test(test_spelling),
	    cmocka_unit_test(test_lists),
	    cmocka_unit_test(test_emphasis),
	    cmocka_unit_test(test_serial_comma),
	    cmocka_unit_test(test_fragile),
	    cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
