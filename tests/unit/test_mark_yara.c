/*
 * Site discovery in YARA rules: each rule finds its sites,
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
test_rule_rename(void **state)
{
	static const char text[] = "rule Base_Rule {\n"
	                           "    condition:\n"
	                           "        filesize > 10\n"
	                           "}\n"
	                           "rule User {\n"
	                           "    meta:\n"
	                           "        note = \"uses Base_Rule\"\n"
	                           "    condition:\n"
	                           "        Base_Rule and pe.Base_Rule\n"
	                           "}\n";
	struct found f;
	char *r;

	(void)state;
	found_init(&f, text, SIZE_MAX, mark_lang_yara);
	assert_int_equal(count_rule(&f, "yara.rule_rename"), 2);
	r = render_all(&f, 1);
	assert_non_null(strstr(r, "rule Base_Rule_1 {"));
	assert_non_null(strstr(r, "Base_Rule_1 and pe.Base_Rule\n"));
	assert_non_null(strstr(r, "note = \"uses Base_Rule\""));
	assert_non_null(strstr(r, "rule User1 {"));
	free(r);
	found_fini(&f);
}

static void
test_rule_rename_unsafe(void **state)
{
	struct found f;

	(void)state;
	/* a rule set with a wildcard could gain members */
	found_init(&f,
	    "rule Foo { condition: true }\n"
	    "rule Bar { condition: any of (Foo*) }\n",
	    SIZE_MAX, mark_lang_yara);
	assert_int_equal(count_rule(&f, "yara.rule_rename"), 0);
	found_fini(&f);
	/* a name that is already used elsewhere is never offered */
	found_init(&f,
	    "rule X { condition: true }\n"
	    "rule X1 { condition: X }\n"
	    "rule XA { condition: X }\n",
	    SIZE_MAX, mark_lang_yara);
	for (size_t i = 0; i < f.set.nsites; i++) {
		const struct mark_site *s = &f.set.sites[i];
		if (strcmp(s->rule, "yara.rule_rename") != 0)
			continue;
		for (unsigned v = 1; v < s->q; v++) {
			struct mark_text t = mark_site_text(&f.set, s, v, 0);
			assert_false(t.n == 2 && memcmp(t.p, "X1", 2) == 0);
			assert_false(t.n == 2 && memcmp(t.p, "XA", 2) == 0);
		}
	}
	found_fini(&f);
	/* a file that does not parse renames nothing */
	found_init(&f, "rule A { condition: true }\nrule B { condition: A\n",
	    SIZE_MAX, mark_lang_yara);
	assert_int_equal(count_rule(&f, "yara.rule_rename"), 0);
	found_fini(&f);
}

static void
test_string_rename(void **state)
{
	static const char text[] =
	    "rule R {\n"
	    "    strings:\n"
	    "        $a = \"$a in a string\" ascii\n"
	    "        $b = { 4D 5A }\n"
	    "        $ = \"anonymous\"\n"
	    "    condition:\n"
	    "        $a and #b > 1 and @b[1] < 100 and !a[1] == 14 and\n"
	    "        for any of ($a, $b) : ( $ at 0 )\n"
	    "}\n";
	struct found f;
	char *r;

	(void)state;
	found_init(&f, text, SIZE_MAX, mark_lang_yara);
	assert_int_equal(count_rule(&f, "yara.string_rename"), 1);
	r = render_all(&f, 1);
	assert_non_null(strstr(r, "$s1 = \"$a in a string\""));
	assert_non_null(strstr(r, "$s2 = { 4d 5a }")); /* hex case too */
	/* the operands may be reordered too */
	assert_non_null(strstr(r, "#s2 > 1"));
	assert_non_null(strstr(r, "@s2[1] < 100"));
	assert_non_null(strstr(r, "!s1[1] == 14"));
	assert_null(strstr(r, "#b"));
	assert_null(strstr(r, "!a"));
	assert_non_null(strstr(r, "for any of ($s1, $s2) : ( $ at 0 )"));
	free(r);
	found_fini(&f);
}

static void
test_string_rename_wildcards(void **state)
{
	struct found f;
	char *r;

	(void)state;
	/* every scheme would change what $s* means */
	found_init(&f,
	    "rule R { strings: $s1 = \"a\" $s2 = \"b\" $x1 = \"c\" "
	    "condition: all of ($s*) and $x1 }\n",
	    SIZE_MAX, mark_lang_yara);
	assert_int_equal(count_rule(&f, "yara.string_rename"), 0);
	found_fini(&f);
	/* $* keeps everything in */
	found_init(&f,
	    "rule R { strings: $a = \"a\" $b = \"b\" condition: 2 of ($*) }\n",
	    SIZE_MAX, mark_lang_yara);
	assert_int_equal(count_rule(&f, "yara.string_rename"), 1);
	r = render_all(&f, 2);
	assert_non_null(strstr(r, "$x1 = \"a\" $x2 = \"b\""));
	free(r);
	found_fini(&f);
	/* descriptive names keep their meaning: prefix, or nothing */
	found_init(&f,
	    "rule R { strings: $host1 = \"a\" $host2 = \"b\" "
	    "condition: any of ($host*) }\n",
	    SIZE_MAX, mark_lang_yara);
	assert_int_equal(count_rule(&f, "yara.string_rename"), 0);
	found_fini(&f);
}

static void
test_orders(void **state)
{
	static const char text[] =
	    "rule R : tag1 tag2 {\n"
	    "    meta:\n"
	    "        author = \"a\"\n"
	    "        description = \"d\" // why\n"
	    "        hash = \"1\"\n"
	    "        hash = \"2\"\n"
	    "    strings:\n"
	    "        $a = \"x\" ascii wide nocase\n"
	    "        $b = \"y\" xor(0x01-0xff) fullword\n"
	    "    condition:\n"
	    "        filesize < 1MB and ($a or $b) and uint16(0) == 0x5A4D\n"
	    "}\n";
	struct found f;

	(void)state;
	found_init(&f, text, SIZE_MAX, mark_lang_yara);
	assert_int_equal(count_rule(&f, "yara.meta_order"), 1);
	assert_int_equal(
	    sites_at(&f, "yara.meta_order", "description = \"d\" // why"), 1);
	assert_int_equal(count_rule(&f, "yara.string_order"), 1);
	assert_int_equal(count_rule(&f, "yara.modifier_order"), 2);
	assert_int_equal(
	    sites_at(&f, "yara.modifier_order", "xor(0x01-0xff)"), 1);
	assert_int_equal(count_rule(&f, "yara.cond_order"), 2);
	assert_int_equal(sites_at(&f, "yara.cond_order", "($a or $b)"), 1);
	assert_int_equal(sites_at(&f, "yara.int_form", "1MB"), 1);
	assert_int_equal(sites_at(&f, "yara.int_form", "0x5A4D"), 1);
	assert_false(touched(&f, "\"x\""));
	assert_false(touched(&f, "tag1"));
	found_fini(&f);
}

static void
test_literals(void **state)
{
	struct found f;
	char *r;

	(void)state;
	found_init(&f,
	    "rule R { strings: $h = { 4D 5a ?? [2-4] (90 | 0A) } "
	    "$c = { 4D /* c */ 5A } condition: $h and $c and "
	    "filesize < 204800 and uint32(0) == 2048 }\n",
	    SIZE_MAX, mark_lang_yara);
	assert_int_equal(
	    sites_at(&f, "yara.hex_case", "{ 4D 5a ?? [2-4] (90 | 0A) }"), 1);
	assert_false(touched(&f, "{ 4D /* c */ 5A }"));
	assert_false(touched(&f, "2048 }"));
	r = render_all(&f, 1);
	assert_non_null(strstr(r, "{ 4D 5A ?? [2-4] (90 | 0A) }"));
	assert_non_null(strstr(r, "filesize < 200KB"));
	free(r);
	found_fini(&f);
}

static void
test_fragile(void **state)
{
	struct found f;

	(void)state;
	found_init(&f,
	    "rule A {\n condition: true\n}\nrule B\n{\n"
	    " condition: true\n}\n",
	    SIZE_MAX, mark_lang_yara);
	assert_int_equal(count_rule(&f, "yara.brace_style"), 2);
	assert_true(count_rule(&f, "yara.trailing_space") >= 4);
	found_fini(&f);
}

static void
test_garbage(void **state)
{
	(void)state;
	check_text("rule A { strings: $a = \"unterminated\n", mark_lang_yara);
	check_text("rule A { strings: $a = { 4D 5A\n", mark_lang_yara);
	check_text("rule A { strings: $a = /unterminated\n", mark_lang_yara);
	check_text("rule A { condition: ((((((((\n", mark_lang_yara);
	check_text("rule A { condition: $a and }\n", mark_lang_yara);
	check_text("/* unterminated comment", mark_lang_yara);
	check_text("rule { } rule rule rule : : {", mark_lang_yara);
	check_text("rule A { strings: $a = \"x\" xor( condition: $a }",
	    mark_lang_yara);
	check_garbage(
	    mark_lang_yara, "rule A{}$#@!=\"/ \n:and or()metastringscondition");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule_rename),
	    cmocka_unit_test(test_rule_rename_unsafe),
	    cmocka_unit_test(test_string_rename),
	    cmocka_unit_test(test_string_rename_wildcards),
	    cmocka_unit_test(test_orders),
	    cmocka_unit_test(test_literals),
	    cmocka_unit_test(test_fragile),
	    cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
