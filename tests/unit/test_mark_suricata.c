/*
 * Site discovery in Snort and Suricata rules: each rule finds its sites,
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

static const char rule1[] =
    "alert http $EXTERNAL_NET any -> $HOME_NET any (msg:\"ET EXPLOIT "
    "Possible Foo Server-Side Request Forgery Attempt Inbound\"; "
    "flow:established,to_server; http.uri; content:\"/api|2f|x\"; nocase; "
    "depth:6; content:\"|0d 0a|\"; distance:0; "
    "pcre:\"/\\/api\\/x/U\"; classtype:attempted-admin; "
    "reference:cve,2024-1; sid:1000001; rev:2; metadata:a b;)\n";

static void
test_option_order(void **state)
{
	struct found f;
	char *r;

	(void)state;
	found_init(&f, rule1, SIZE_MAX, mark_lang_suricata);
	assert_int_equal(count_rule(&f, "suricata.opt_order"), 2);
	assert_int_equal(
	    sites_at(&f, "suricata.opt_order", "classtype:attempted-admin;"),
	    1);
	assert_int_equal(
	    sites_at(&f, "suricata.opt_order", "metadata:a b;"), 1);
	r = render_all(&f, 5);
	assert_non_null(strstr(r,
	    "distance:0; pcre:\"/\\/api\\/x/U\"; "
	    "sid:1000001; reference:cve,2024-1; "
	    "classtype:attempted-admin; metadata:a b; "
	    "rev:2;)"));
	free(r);
	found_fini(&f);
	/* priority stays where it is when there is a classtype */
	found_init(&f,
	    "alert tcp any any -> any any (msg:\"x\"; content:\"a\"; "
	    "classtype:bad-unknown; priority:1; sid:1; rev:1;)\n",
	    SIZE_MAX, mark_lang_suricata);
	assert_int_equal(count_rule(&f, "suricata.opt_order"), 1);
	assert_int_equal(sites_at(&f, "suricata.opt_order", "sid:1;"), 1);
	found_fini(&f);
}

static void
test_msg(void **state)
{
	struct found f;
	char *r;

	(void)state;
	found_init(&f, rule1, SIZE_MAX, mark_lang_suricata);
	assert_false(touched(&f, "ET EXPLOIT"));
	r = render_all(&f, 1);
	assert_non_null(strstr(r,
	    "msg:\"ET EXPLOIT Potential Foo SSRF "
	    "Attempted Incoming\";"));
	free(r);
	found_fini(&f);
	/* not twice: "(SSRF)" is there already */
	found_init(&f,
	    "alert tcp any any -> any any (msg:\"Server-Side Request Forgery "
	    "(SSRF) Possible\"; sid:1;)\n",
	    SIZE_MAX, mark_lang_suricata);
	assert_false(touched(&f, "Server-Side Request Forgery"));
	assert_true(touched(&f, "Possible"));
	found_fini(&f);
}

static void
test_content(void **state)
{
	struct found f;
	char *r;

	(void)state;
	found_init(&f, rule1, SIZE_MAX, mark_lang_suricata);
	assert_int_equal(sites_at(&f, "suricata.content_hex", "|2f|"), 1);
	assert_false(touched(&f, "|0d 0a|"));
	assert_false(touched(&f, "pcre:\"/\\/api\\/x/U\""));
	assert_false(touched(&f, "depth:6"));
	r = render_all(&f, 1);
	assert_non_null(strstr(r, "content:\"|2f|api/x\"; nocase; depth:6;"));
	free(r);
	found_fini(&f);
	/* quotes, semicolons, colons, backslashes and blanks stay hex */
	found_init(&f,
	    "alert tcp any any -> any any (content:\"|22 3b 3a 5c 20 7c|\"; "
	    "content:!\"a\\;b\"; sid:1;)\n",
	    SIZE_MAX, mark_lang_suricata);
	assert_int_equal(count_rule(&f, "suricata.content_hex"), 0);
	found_fini(&f);
}

static void
test_comments_and_other_lines(void **state)
{
	struct found f;

	(void)state;
	found_init(&f,
	    "# alert tcp any any -> any any (msg:\"Possible\"; sid:1; rev:1;)\n"
	    "not a rule (msg:\"Possible\"; sid:1; rev:1;)\n"
	    "alert tcp any any -> any any (msg:\"Possible\"; sid:1; rev:1;) "
	    "x\n",
	    SIZE_MAX, mark_lang_suricata);
	for (size_t i = 0; i < f.set.nsites; i++)
		assert_string_equal(
		    f.set.sites[i].rule, "suricata.comment_space");
	found_fini(&f);
}

static void
test_multiline(void **state)
{
	struct found f;

	(void)state;
	found_init(&f,
	    "alert tcp any any -> any any (msg:\"Possible x\"; \\\n"
	    "    content:\"/a\"; \\\n"
	    "    sid:1; rev:1;)\n",
	    SIZE_MAX, mark_lang_suricata);
	assert_int_equal(count_rule(&f, "suricata.opt_order"), 1);
	assert_true(touched(&f, "Possible"));
	found_fini(&f);
}

static void
test_garbage(void **state)
{
	(void)state;
	check_text("alert tcp any any -> any any (msg:\"unterminated",
	    mark_lang_suricata);
	check_text("alert tcp any any -> any any (content:\"|4\"; sid:1;)\n",
	    mark_lang_suricata);
	check_text("alert tcp any any -> any any (content:\"a|\"; sid:1;)\n",
	    mark_lang_suricata);
	check_text("alert tcp any any -> any any (sid:1\\", mark_lang_suricata);
	check_text("alert tcp any any -> any any (", mark_lang_suricata);
	check_text("alert ((((((;;;;;)))))\n", mark_lang_suricata);
	check_garbage(mark_lang_suricata,
	    "alert tcp any -> (msg:\"Possible\";content:|2f41| sid:1;)\\\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_option_order),
	    cmocka_unit_test(test_msg),
	    cmocka_unit_test(test_content),
	    cmocka_unit_test(test_comments_and_other_lines),
	    cmocka_unit_test(test_multiline),
	    cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
