/*
 * The site model: building sets, resolving overlaps, rendering REPLACE and
 * PERMUTE sites (nested too), and template markers.
 */
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "mark/lang.h"
#include "common/emb.h"

static const char *
render(struct mark_set *set, const uint8_t *sym, struct buf *out)
{
	buf_fini(out);
	buf_init(out, 1 << 20);
	assert_int_equal(mark_render(set, sym, NULL, NULL, out), 0);
	return out->data ? (const char *)out->data : "";
}

static void
test_replace(void **state)
{
	const char *t = "x = f(x) + x";
	struct mark_set set;
	struct mark_span sp[3] = {{0, 1}, {6, 1}, {11, 1}};
	struct mark_text tx[6] = {
	    {"x", 1}, {"x", 1}, {"x", 1}, {"val", 3}, {"val", 3}, {"val", 3}};
	struct buf out;
	uint8_t sym[1];

	(void)state;
	buf_init(&out, 1);
	mark_set_init(&set, (const uint8_t *)t, strlen(t));
	assert_int_equal(
	    mark_set_replace(&set, MARK_ROBUST, "r", 2, sp, 3, tx), 0);
	assert_int_equal(mark_set_finalize(&set), 0);
	assert_int_equal(mark_set_coded(&set), 1);
	sym[0] = 0;
	assert_string_equal(render(&set, sym, &out), t);
	sym[0] = 1;
	assert_string_equal(render(&set, sym, &out), "val = f(val) + val");
	buf_fini(&out);
	mark_set_fini(&set);
}

static void
test_rejects_bad_sites(void **state)
{
	const char *t = "abcdef";
	struct mark_set set;
	struct mark_span unsorted[2] = {{3, 1}, {0, 1}};
	struct mark_span past[1] = {{5, 2}};
	struct mark_span empty[1] = {{2, 0}};
	struct mark_text tx[4] = {{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}};

	(void)state;
	mark_set_init(&set, (const uint8_t *)t, strlen(t));
	assert_int_equal(
	    mark_set_replace(&set, MARK_ROBUST, "r", 2, unsorted, 2, tx),
	    EMB_EINVAL);
	assert_int_equal(
	    mark_set_replace(&set, MARK_ROBUST, "r", 2, past, 1, tx),
	    EMB_EINVAL);
	assert_int_equal(
	    mark_set_replace(&set, MARK_ROBUST, "r", 2, empty, 1, tx),
	    EMB_EINVAL);
	assert_int_equal(
	    mark_set_replace(&set, MARK_ROBUST, "r", 9, past, 1, tx),
	    EMB_EINVAL);
	assert_int_equal(
	    mark_set_permute(&set, MARK_ROBUST, "p", past, 1), EMB_EINVAL);
	assert_int_equal(set.nsites, 0);
	mark_set_fini(&set);
}

static void
test_overlap_keeps_first(void **state)
{
	const char *t = "0123456789";
	struct mark_set set;
	struct mark_span a = {2, 4}, b = {4, 4}, c = {8, 2};
	struct mark_text ta[2] = {{"AAAA", 4}, {"aaaa", 4}};
	struct mark_text tb[2] = {{"BBBB", 4}, {"bbbb", 4}};
	struct mark_text tc[2] = {{"CC", 2}, {"cc", 2}};
	struct buf out;
	uint8_t sym[2] = {1, 1};

	(void)state;
	buf_init(&out, 1);
	mark_set_init(&set, (const uint8_t *)t, strlen(t));
	assert_int_equal(
	    mark_set_replace(&set, MARK_ROBUST, "a", 2, &a, 1, ta), 0);
	assert_int_equal(
	    mark_set_replace(&set, MARK_ROBUST, "b", 2, &b, 1, tb), 0);
	assert_int_equal(
	    mark_set_replace(&set, MARK_FRAGILE, "c", 2, &c, 1, tc), 0);
	assert_int_equal(mark_set_finalize(&set), 0);
	assert_int_equal(set.nsites, 2); /* b overlaps a: dropped */
	assert_string_equal(set.sites[0].rule, "a");
	assert_string_equal(set.sites[1].rule, "c");
	assert_string_equal(render(&set, sym, &out), "01aaaa67cc");
	buf_fini(&out);
	mark_set_fini(&set);
}

static void
test_permute_nested(void **state)
{
	/* Two statements swap; a rename inside the second still applies. */
	const char *t = "A = 1\nB = 2\nprint(A, B)\n";
	struct mark_set set;
	struct mark_span stmts[2] = {{0, 5}, {6, 5}};
	struct mark_span two = {10, 1};
	struct mark_text tt[2] = {{"2", 1}, {"0x2", 3}};
	struct buf out;
	uint8_t sym[2];

	(void)state;
	buf_init(&out, 1);
	mark_set_init(&set, (const uint8_t *)t, strlen(t));
	assert_int_equal(
	    mark_set_replace(&set, MARK_ROBUST, "lit", 2, &two, 1, tt), 0);
	assert_int_equal(
	    mark_set_permute(&set, MARK_ROBUST, "swap", stmts, 2), 0);
	assert_int_equal(mark_set_finalize(&set), 0);
	assert_int_equal(set.nsites, 2);
	/* Ordered by position: the permute site (offset 0) comes first. */
	assert_string_equal(set.sites[0].rule, "swap");
	sym[0] = 0;
	sym[1] = 1;
	assert_string_equal(
	    render(&set, sym, &out), "A = 1\nB = 0x2\nprint(A, B)\n");
	sym[0] = 1;
	assert_string_equal(
	    render(&set, sym, &out), "B = 0x2\nA = 1\nprint(A, B)\n");
	sym[1] = 0;
	assert_string_equal(
	    render(&set, sym, &out), "B = 2\nA = 1\nprint(A, B)\n");
	buf_fini(&out);
	mark_set_fini(&set);
}

static void
test_permute_three(void **state)
{
	const char *t = "a;b;c";
	struct mark_set set;
	struct mark_span s[3] = {{0, 1}, {2, 1}, {4, 1}};
	struct buf out;
	uint8_t sym[1];
	const char *want[6] = {
	    "a;b;c", "a;c;b", "b;a;c", "b;c;a", "c;a;b", "c;b;a"};

	(void)state;
	buf_init(&out, 1);
	mark_set_init(&set, (const uint8_t *)t, strlen(t));
	assert_int_equal(mark_set_permute(&set, MARK_ROBUST, "p", s, 3), 0);
	assert_int_equal(mark_set_finalize(&set), 0);
	assert_int_equal(set.sites[0].q, 6);
	for (uint8_t v = 0; v < 6; v++) {
		sym[0] = v;
		assert_string_equal(render(&set, sym, &out), want[v]);
	}
	buf_fini(&out);
	mark_set_fini(&set);
}

static void
test_partial_permute_overlap_dropped(void **state)
{
	const char *t = "aa;bb;cc";
	struct mark_set set;
	struct mark_span p1[2] = {{0, 2}, {3, 2}};
	struct mark_span p2[2] = {{1, 3}, {6, 2}};

	(void)state;
	mark_set_init(&set, (const uint8_t *)t, strlen(t));
	assert_int_equal(mark_set_permute(&set, MARK_ROBUST, "p1", p1, 2), 0);
	assert_int_equal(mark_set_permute(&set, MARK_ROBUST, "p2", p2, 2), 0);
	assert_int_equal(mark_set_finalize(&set), 0);
	assert_int_equal(set.nsites, 1);
	assert_string_equal(set.sites[0].rule, "p1");
	mark_set_fini(&set);
}

static int
canary(size_t site, struct buf *out, void *arg)
{
	(void)arg;
	return buf_printf(out, "<tok%zu>", site);
}

static void
test_template(void **state)
{
	const char *t = "ua=\"@@canary:ua@@\" n=@@mark:16|0x10@@ "
	                "lit=@@@@ diff=@@ -1 +1 @@ id=@@canary@@";
	struct mark_set set;
	struct emb_error err = {0};
	struct buf out;
	uint8_t sym[8] = {0, 1, 0, 0};

	(void)state;
	buf_init(&out, 1 << 16);
	mark_set_init(&set, (const uint8_t *)t, strlen(t));
	assert_int_equal(mark_template(&set, &err), 0);
	assert_int_equal(mark_set_finalize(&set), 0);
	assert_int_equal(set.nsites, 4);
	assert_int_equal(set.sites[0].kind, MARK_CANARY);
	assert_int_equal(set.sites[0].canary_fmt, MARK_CANARY_UA);
	assert_int_equal(set.sites[3].canary_fmt, MARK_CANARY_HEX);
	assert_int_equal(mark_set_coded(&set), 3);
	assert_int_equal(mark_render(&set, sym, canary, NULL, &out), 0);
	assert_string_equal((char *)out.data,
	    "ua=\"<tok0>\" n=0x10 lit=@@ diff=@@ -1 +1 @@ id=<tok3>");
	buf_fini(&out);
	mark_set_fini(&set);
}

static void
test_template_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
	    {"x\n@@mark:a@@", "line 2: @@mark: needs at least two"},
	    {"@@mark:a|b", "without a closing"},
	    {"@@mark:a|a@@", "must differ"},
	    {"@@mark:1|2|3|4|5|6|7|8|9@@", "more than 8"},
	    {"@@canary:rot13@@", "unknown @@canary: format"},
	};

	(void)state;
	for (size_t i = 0; i < EMB_ARRAY_LEN(bad); i++) {
		struct mark_set set;
		struct emb_error err = {0};
		mark_set_init(
		    &set, (const uint8_t *)bad[i].text, strlen(bad[i].text));
		assert_int_equal(mark_template(&set, &err), EMB_EINVAL);
		if (strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("'%s': got '%s'", bad[i].text, err.msg);
		mark_set_fini(&set);
	}
}

static void
test_detect(void **state)
{
	(void)state;
	assert_int_equal(mark_lang_detect("poc.py", (const uint8_t *)"x", 1),
	    MARK_LANG_PYTHON);
	assert_int_equal(mark_lang_detect("x",
	                     (const uint8_t *)"#!/usr/bin/env python3\n", 23),
	    MARK_LANG_PYTHON);
	assert_int_equal(
	    mark_lang_detect("run", (const uint8_t *)"#!/bin/sh\n", 10),
	    MARK_LANG_SHELL);
	assert_int_equal(mark_lang_detect("R.YAR", (const uint8_t *)"rule", 4),
	    MARK_LANG_YARA);
	assert_int_equal(mark_lang_detect("a.md", (const uint8_t *)"# x", 3),
	    MARK_LANG_PROSE);
	assert_int_equal(mark_lang_detect("a.py", (const uint8_t *)"a\0b", 3),
	    MARK_LANG_BINARY);
	assert_int_equal(mark_lang_detect("a.py", (const uint8_t *)"\xff", 1),
	    MARK_LANG_BINARY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_replace),
	    cmocka_unit_test(test_rejects_bad_sites),
	    cmocka_unit_test(test_overlap_keeps_first),
	    cmocka_unit_test(test_permute_nested),
	    cmocka_unit_test(test_permute_three),
	    cmocka_unit_test(test_partial_permute_overlap_dropped),
	    cmocka_unit_test(test_template),
	    cmocka_unit_test(test_template_errors),
	    cmocka_unit_test(test_detect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
