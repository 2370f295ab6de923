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
