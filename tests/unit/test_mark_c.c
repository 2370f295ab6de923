/*
 * Unit tests for C-family site discovery (lang_c.c, clex.c): what each
 * rule marks, what it must leave alone, and that hostile text never
 * breaks it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#include "mark/clex.h"
#include "mark/lang.h"
#include "common/emb.h"

struct run {
	struct mark_set set;
	char *text;
};

static void
run_c(struct run *r, const char *text)
{
	size_t n = strlen(text);

	r->text = malloc(n + 1);
	assert_non_null(r->text);
	memcpy(r->text, text, n + 1);
	mark_set_init(&r->set, (const uint8_t *)r->text, n);
	assert_true(mark_lang_c(&r->set) >= 0);
	assert_int_equal(mark_set_finalize(&r->set), 0);
}

static void
run_free(struct run *r)
{
	mark_set_fini(&r->set);
	free(r->text);
}

static size_t
count_rule(const struct run *r, const char *rule)
{
	size_t n = 0;

	for (size_t i = 0; i < r->set.nsites; i++)
		n += strcmp(r->set.sites[i].rule, rule) == 0;
	return n;
}

/* The site of a rule with a span covering the first "needle" in the text. */
static const struct mark_site *
site_at(const struct run *r, const char *rule, const char *needle)
{
	const char *p = strstr(r->text, needle);
	size_t off;

	if (p == NULL)
		return NULL;
	off = (size_t)(p - r->text);
	for (size_t i = 0; i < r->set.nsites; i++) {
		const struct mark_site *s = &r->set.sites[i];
		if (strcmp(s->rule, rule) != 0)
			continue;
		for (uint32_t k = 0; k < s->nspans; k++) {
			const struct mark_span *sp =
			    &r->set.spans[s->span0 + k];
			if (sp->off <= off && off < sp->off + sp->len)
				return s;
		}
	}
	return NULL;
}

/* A rename site for the name: one whose variant 0 is exactly the name. */
static const struct mark_site *
rename_of(const struct run *r, const char *rule, const char *name)
{
	for (size_t i = 0; i < r->set.nsites; i++) {
		const struct mark_site *s = &r->set.sites[i];
		struct mark_text t;
		if (strcmp(s->rule, rule) != 0)
			continue;
		t = mark_site_text(&r->set, s, 0, 0);
		if (t.n == strlen(name) && memcmp(t.p, name, t.n) == 0)
			return s;
	}
	return NULL;
}

static int
no_canary(size_t site, struct buf *out, void *arg)
{
	(void)site;
	(void)out;
	(void)arg;
	return EMB_EINVAL;
}

/* Render with variant v at every site (modulo its q). */
static char *
render_v(const struct run *r, unsigned v)
{
	uint8_t *sym = calloc(r->set.nsites + 1, 1);
	struct buf out;
	char *s;

	assert_non_null(sym);
	for (size_t i = 0; i < r->set.nsites; i++)
		sym[i] = (uint8_t)v;
	buf_init(&out, 64u << 20);
	assert_int_equal(mark_render(&r->set, sym, no_canary, NULL, &out), 0);
	s = calloc(out.len + 1, 1);
	assert_non_null(s);
	if (out.len)
		memcpy(s, out.data, out.len);
	buf_fini(&out);
	free(sym);
	return s;
}

/* ---- rename ---- */

static void
test_rename_local(void **state)
{
	struct run r;
	const struct mark_site *s;
	char *out;

	(void)state;
	run_c(&r,
	    "#include <string.h>\n"
	    "static size_t\n"
	    "measure(const char *str)\n"
	    "{\n"
	    "\tsize_t len = strlen(str);\n"
	    "\treturn len + 1;\n"
	    "}\n");
	s = rename_of(&r, "c.rename", "len");
	assert_non_null(s);
	assert_int_equal(s->nspans, 2);
	assert_true(s->q >= 2 && s->q <= 4);
	/* variant 1 replaces both occurrences with the same fresh name */
	out = render_v(&r, 1);
	assert_non_null(strstr(out, "size_t length = strlen("));
	assert_non_null(strstr(out, "return length + 1;"));
	free(out);
	/* the parameter too, but not the function or the library call */
	assert_non_null(rename_of(&r, "c.rename", "str"));
	assert_null(rename_of(&r, "c.rename", "measure"));
	assert_null(rename_of(&r, "c.rename", "strlen"));
	run_free(&r);
}

static void
test_rename_not_global(void **state)
{
	struct run r;

	(void)state;
	run_c(&r,
	    "int counter;\n"
	    "struct pt { int x; int y; };\n"
	    "void f(struct pt *p) {\n"
	    "\tint x = p->x;\n"
	    "\tint y = 2;\n"
	    "\tcounter += x + y;\n"
	    "\tp->y = y;\n"
	    "}\n");
	/* a global, and names that are also members */
	assert_null(rename_of(&r, "c.rename", "counter"));
	assert_null(rename_of(&r, "c.rename", "x"));
	assert_null(rename_of(&r, "c.rename", "y"));
	run_free(&r);
}

static void
test_rename_macros_and_strings(void **state)
{
	struct run r;

	(void)state;
	run_c(&r,
	    "#define SHOW(e) printf(#e \"=%d\\n\", (e))\n"
	    "#define LIMIT total\n"
	    "int g(void) {\n"
	    "\tint shown = 1, total = 2, plain = 3, named = 4;\n"
	    "\tSHOW(shown);\n"
	    "\tassert(plain > 0);\n"
	    "\tlookup(\"named\");\n"
	    "\treturn total + plain + named + shown;\n"
	    "}\n");
	assert_null(rename_of(&r, "c.rename", "shown")); /* stringified */
	assert_null(rename_of(&r, "c.rename", "total")); /* in a macro */
	assert_null(rename_of(&r, "c.rename", "plain")); /* in assert() */
	assert_null(rename_of(&r, "c.rename", "named")); /* "named" */
	run_free(&r);
}

static void
test_rename_scope(void **state)
{
	struct run r;

	(void)state;
	/* a use before any declaration refers to something else */
	run_c(&r,
	    "int h(void) {\n"
	    "\t{ int tmp = 1; use(tmp); }\n"
	    "\treturn tmp;\n"
	    "}\n"
	    "int k(int n) {\n"
	    "\tfor (int idx = 0; idx < n; idx++)\n"
	    "\t\tuse(idx);\n"
	    "\treturn n;\n"
	    "}\n");
	assert_null(rename_of(&r, "c.rename", "tmp"));
	assert_non_null(rename_of(&r, "c.rename", "idx"));
	assert_non_null(rename_of(&r, "c.rename", "n"));
	run_free(&r);
}

static void
test_rename_labels_and_keys(void **state)
{
	struct run r;

	(void)state;
	run_c(&r,
	    "void f(int out2) {\n"
	    "\tint again = 0;\n"
	    "again:\n"
	    "\tif (out2 > 1) goto again;\n"
	    "\tint pick = out2 ? again : 1;\n"
	    "\tuse(pick);\n"
	    "}\n");
	assert_null(rename_of(&r, "c.rename", "again")); /* a label too */
	/* a ternary ':' is no label */
	assert_non_null(rename_of(&r, "c.rename", "out2"));
	assert_non_null(rename_of(&r, "c.rename", "pick"));
	run_free(&r);
}

static void
test_rename_distinct_and_fresh(void **state)
{
	struct run r;
	char *out;

	(void)state;
	/* "length" is taken in the file: never offered */
	run_c(&r,
	    "int length;\n"
	    "int f(int len, int size) {\n"
	    "\tint sz = len + size;\n"
	    "\treturn sz;\n"
	    "}\n");
	for (unsigned v = 0; v < 4; v++) {
		out = render_v(&r, v);
		/* the names of one function always stay distinct */
		assert_non_null(strstr(out, "int length;"));
		assert_null(strstr(out, "int length,"));
		assert_null(strstr(out, "(int length"));
		free(out);
	}
	for (size_t i = 0; i < r.set.nsites; i++) {
		const struct mark_site *s = &r.set.sites[i];
		if (strcmp(s->rule, "c.rename") != 0)
			continue;
		for (size_t j = i + 1; j < r.set.nsites; j++) {
			const struct mark_site *o = &r.set.sites[j];
			if (strcmp(o->rule, "c.rename") != 0)
				continue;
			for (unsigned a = 1; a < s->q; a++)
				for (unsigned b = 1; b < o->q; b++) {
					struct mark_text x =
					    mark_site_text(&r.set, s, a, 0);
					struct mark_text y =
					    mark_site_text(&r.set, o, b, 0);
					assert_false(x.n == y.n &&
					    memcmp(x.p, y.p, x.n) == 0);
				}
		}
	}
	run_free(&r);
}

static void
test_rename_js(void **state)
{
	struct run r;
	char *out;

	(void)state;
	run_c(&r,
	    "function build(host, path) {\n"
	    "  const port = 80;\n"
	    "  const re = /host|port/g;\n"
	    "  const url = `http://${host}:${port}${path}`;\n"
	    "  return { url, p: port, re, port2: 1 };\n"
	    "}\n");
	/* shorthand properties name the key: left alone */
	assert_null(rename_of(&r, "c.rename", "url"));
	assert_null(rename_of(&r, "c.rename", "re"));
	/* template holes are code: renamed there too */
	assert_non_null(rename_of(&r, "c.rename", "host"));
	assert_non_null(rename_of(&r, "c.rename", "port"));
	out = render_v(&r, 1);
	/* the regular expression and the key "port" are untouched */
	assert_non_null(strstr(out, "/host|port/g"));
	assert_non_null(strstr(out, "port2: "));
	assert_null(strstr(out, "${host}"));
	free(out);
	run_free(&r);
}

static void
test_rename_skipped_functions(void **state)
{
	struct run r;

	(void)state;
	run_c(&r,
	    "void f(int v1) {\n"
	    "#ifdef DEBUG\n"
	    "\tlog(v1);\n"
	    "#endif\n"
	    "\tuse(v1);\n"
	    "}\n"
	    "void g(string name1) {\n"
	    "\tvar s = $\"hi {name1}\";\n"
	    "\tuse(s, name1);\n"
	    "}\n"
	    "function h(v2) { return eval('v2'); }\n");
	assert_null(rename_of(&r, "c.rename", "v1"));
	assert_null(rename_of(&r, "c.rename", "name1"));
	assert_null(rename_of(&r, "c.rename", "v2"));
	run_free(&r);
}

/* ---- integer literals ---- */

static void
test_int_forms(void **state)
{
	char f[3][24];

	(void)state;
	assert_int_equal(clex_int_forms((const uint8_t *)"16", 2, 0, -1, f), 2);
	assert_string_equal(f[1], "0x10");
	assert_int_equal(
	    clex_int_forms((const uint8_t *)"0x1f", 4, 0, -1, f), 3);
	assert_string_equal(f[1], "31");
	assert_string_equal(f[2], "0x1F");
	assert_int_equal(clex_int_forms((const uint8_t *)"255u", 4,
	                     CLEX_INT_SUFFIX_C, -1, f),
	    3);
	assert_string_equal(f[1], "0xffu");
	assert_string_equal(f[2], "0xFFu");
	/* no suffixes unless allowed, and never other suffixes */
	assert_int_equal(
	    clex_int_forms((const uint8_t *)"255u", 4, 0, -1, f), 1);
	assert_int_equal(
	    clex_int_forms((const uint8_t *)"16f", 3, CLEX_INT_SUFFIX_C, -1, f),
	    1);
	assert_int_equal(
	    clex_int_forms((const uint8_t *)"16n", 3, CLEX_INT_SUFFIX_C, -1, f),
	    1);
	/* octal, small, big, floats, separators */
	assert_int_equal(
	    clex_int_forms((const uint8_t *)"010", 3, 0, -1, f), 1);
	assert_int_equal(clex_int_forms((const uint8_t *)"15", 2, 0, -1, f), 1);
	assert_int_equal(
	    clex_int_forms((const uint8_t *)"32768", 5, 0, -1, f), 1);
	assert_int_equal(
	    clex_int_forms((const uint8_t *)"0x8000", 6, 0, -1, f), 1);
	assert_int_equal(
	    clex_int_forms((const uint8_t *)"1e16", 4, 0, -1, f), 1);
	assert_int_equal(
	    clex_int_forms((const uint8_t *)"1'000", 5, 0, -1, f), 1);
	/* 30 is 0x1e: followed by '+' it would lex as one pp-number */
	assert_int_equal(
	    clex_int_forms((const uint8_t *)"30", 2, 0, '+', f), 1);
	assert_int_equal(
	    clex_int_forms((const uint8_t *)"30", 2, 0, ';', f), 3);
}

static void
test_int_sites(void **state)
{
	struct run r;

	(void)state;
	run_c(&r,
	    "#define SZ 64\n"
	    "#define CAT(a, b) a##b\n"
	    "int a[] = { 16, 0x20, 010, 16.5 };\n"
	    "int b = CAT(x, 32);\n"
	    "long c = 4096L;\n");
	assert_non_null(site_at(&r, "c.int", "16,"));
	assert_non_null(site_at(&r, "c.int", "0x20"));
	assert_non_null(site_at(&r, "c.int", "4096L"));
	assert_null(site_at(&r, "c.int", "64")); /* a pp line */
	assert_null(site_at(&r, "c.int", "010")); /* octal */
	assert_null(site_at(&r, "c.int", "16.5"));
	assert_null(site_at(&r, "c.int", "32)")); /* pasted */
	run_free(&r);
}

/* ---- declaration order ---- */

static void
test_decl_order(void **state)
{
	struct run r;
	const struct mark_site *s;

	(void)state;
	run_c(&r,
	    "void f(void) {\n"
	    "\tint a = 1;\n"
	    "\tchar buf[16];\n"
	    "\tconst char *name = \"x\"; /* the name */\n"
	    "\tuse(a, buf, name);\n"
	    "}\n");
	s = site_at(&r, "c.decl_order", "int a");
	assert_non_null(s);
	assert_int_equal(s->shape, MARK_PERMUTE);
	assert_int_equal(s->nspans, 3);
	/* the trailing comment travels with its declaration */
	assert_int_equal(r.set.spans[s->span0 + 2].len,
	    strlen("const char *name = \"x\"; /* the name */"));
	run_free(&r);
}

static void
test_decl_order_not(void **state)
{
	struct run r;

	(void)state;
	run_c(&r,
	    "struct s { int a; int b; };\n"
	    "void f(int n) {\n"
	    "\tint a = 1;\n"
	    "\tint b = a;\n"
	    "\tint c = n;\n"
	    "\tint d = 2;\n"
	    "\tFoo e;\n"
	    "\tFoo g;\n"
	    "\tstruct { int x; int y; } h;\n"
	    "\tconst int m = 4;\n"
	    "\tint arr[m];\n"
	    "\tuse(a, b, c, d, e, g, h, arr);\n"
	    "}\n");
	/* dependent, non-constant, constructor-bearing, struct members */
	assert_int_equal(count_rule(&r, "c.decl_order"), 0);
	run_free(&r);
}

/* ---- fragile ---- */

static void
test_trailing_and_comments(void **state)
{
	struct run r;
	char *out;

	(void)state;
	run_c(&r,
	    "// check the reply\n"
	    "const s = `line one\n"
	    "line two`;\n"
	    "#define LONG 1 + \\\n"
	    "  2\n"
	    "int x;\n");
	assert_non_null(site_at(&r, "c.comment", "check"));
	out = render_v(&r, 1);
	assert_non_null(strstr(out, "// verify the reply"));
	/* never inside a literal, never after a line splice */
	assert_non_null(strstr(out, "`line one\nline two`"));
	assert_non_null(strstr(out, "1 + \\\n"));
	assert_non_null(strstr(out, "int x; \n"));
	free(out);
	run_free(&r);
}

/* ---- hostile text ---- */

static uint64_t
next_rand(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Discovery, finalisation and rendering must succeed on any bytes. */
static void
survive(const uint8_t *p, size_t n)
{
	struct mark_set set;
	char *out;
	struct run r;

	mark_set_init(&set, p, n);
	assert_true(mark_lang_c(&set) >= 0);
	assert_int_equal(mark_set_finalize(&set), 0);
	r.set = set;
	r.text = NULL;
	out = render_v(&r, 3);
	free(out);
	mark_set_fini(&set);
}

static void
test_garbage(void **state)
{
	static const char *const bad[] = {"/* never closed", "int x = \"abc\n",
	    "const s = `a ${ b", "R\"x(abc", "#define A \\", "'", "@\"", "$\"{",
	    "\"\"\"\n", "?\?/\nint x;", "<% int a; %>", "f() { int x; x = '\\",
	    "{{{{))))", "}"};
	static const char alpha[] = "{}()[]\"'`$#\\/*\n ;=<>@|&?:.,-+0x1fA_";
	uint64_t seed = 42;
	uint8_t *buf;
	size_t n = 1u << 20;

	(void)state;
	for (size_t i = 0; i < EMB_ARRAY_LEN(bad); i++)
		survive((const uint8_t *)bad[i], strlen(bad[i]));
	buf = malloc(n + 1);
	assert_non_null(buf);
	/* random bytes and random C-ish characters */
	for (int round = 0; round < 200; round++) {
		size_t len = next_rand(&seed) % 3000;
		for (size_t i = 0; i < len; i++) {
			uint64_t x = next_rand(&seed);
			buf[i] = round % 2
			    ? (uint8_t)x
			    : (uint8_t)alpha[x % (sizeof(alpha) - 1)];
		}
		survive(buf, len);
	}
	/* deep nesting */
	for (size_t i = 0; i < 100000; i++)
		buf[i] = "{(["[i % 3];
	survive(buf, 100000);
	memcpy(buf, "void f(int a) {", 15);
	for (size_t i = 15; i < 60000; i++)
		buf[i] = i % 2 ? '(' : '{';
	survive(buf, 60000);
	/* a 1 MB line */
	memcpy(buf, "int f(int a) { return ", 22);
	for (size_t i = 22; i + 3 < n; i += 2) {
		buf[i] = 'a';
		buf[i + 1] = '+';
	}
	memcpy(buf + n - 3, "a;}", 3);
	survive(buf, n);
	free(buf);
}

static void
test_deterministic(void **state)
{
	static const char src[] = "int f(int n) { int i = 16; return n + i; "
	                          "}\nint g(int n) { int len = 32; return "
	                          "n * len; }\n";
	struct run a, b;

	(void)state;
	run_c(&a, src);
	run_c(&b, src);
	assert_int_equal(a.set.nsites, b.set.nsites);
	for (unsigned v = 0; v < 4; v++) {
		char *x = render_v(&a, v), *y = render_v(&b, v);
		assert_string_equal(x, y);
		free(x);
		free(y);
	}
	run_free(&a);
	run_free(&b);
}

static void
test_name_alts(void **state)
{
	char out[CLEX_ALTS_MAX][CLEX_NAME_MAX];
	size_t n;

	(void)state;
	n = clex_name_alts((const uint8_t *)"recv_len", 8, out, 4);
	assert_true(n >= 2);
	assert_string_equal(out[0], "recv_length");
	n = clex_name_alts((const uint8_t *)"bufSize", 7, out, 8);
	assert_true(n >= 2);
	assert_string_equal(out[0], "bufLen");
	n = clex_name_alts((const uint8_t *)"Target", 6, out, 8);
	assert_true(n >= 1);
	assert_string_equal(out[0], "Host");
	/* names we do not touch */
	assert_int_equal(clex_name_alts((const uint8_t *)"_x", 2, out, 4), 0);
	assert_int_equal(clex_name_alts((const uint8_t *)"a_bC", 4, out, 4), 0);
	assert_true(clex_reserved((const uint8_t *)"errno", 5, false));
	assert_true(clex_reserved((const uint8_t *)"class", 5, false));
	assert_false(clex_reserved((const uint8_t *)"I", 1, true));
	assert_true(clex_avoid((const uint8_t *)"record", 6, false));
	assert_false(clex_reserved((const uint8_t *)"record", 6, false));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rename_local),
	    cmocka_unit_test(test_rename_not_global),
	    cmocka_unit_test(test_rename_macros_and_strings),
	    cmocka_unit_test(test_rename_scope),
	    cmocka_unit_test(test_rename_labels_and_keys),
	    cmocka_unit_test(test_rename_distinct_and_fresh),
	    cmocka_unit_test(test_rename_js),
	    cmocka_unit_test(test_rename_skipped_functions),
	    cmocka_unit_test(test_int_forms),
	    cmocka_unit_test(test_int_sites),
	    cmocka_unit_test(test_decl_order),
	    cmocka_unit_test(test_decl_order_not),
	    cmocka_unit_test(test_trailing_and_comments),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_name_alts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
