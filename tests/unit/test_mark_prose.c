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
#include "mark_harness.h"
#include "common/emb.h"

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
