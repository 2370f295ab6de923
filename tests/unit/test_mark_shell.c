/*
 * Unit tests for shell site discovery (lang_shell.c): each rule, what it
 * must not mark (dynamic scoping, here-documents, computed names), and
 * hostile text.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#include "mark/lang.h"
#include "common/emb.h"

struct run {
	struct mark_set set;
	char *text;
};

static void
run_sh(struct run *r, const char *text)
{
	size_t n = strlen(text);

	r->text = malloc(n + 1);
	assert_non_null(r->text);
	memcpy(r->text, text, n + 1);
	mark_set_init(&r->set, (const uint8_t *)r->text, n);
	assert_true(mark_lang_shell(&r->set) >= 0);
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

static const struct mark_site *
rename_of(const struct run *r, const char *name)
{
	for (size_t i = 0; i < r->set.nsites; i++) {
		const struct mark_site *s = &r->set.sites[i];
		struct mark_text t;
		if (strcmp(s->rule, "sh.rename") != 0)
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

/* Render with only the sites of one rule set to v. */
static char *
render_rule(const struct run *r, const char *rule, unsigned v)
{
	uint8_t *sym = calloc(r->set.nsites + 1, 1);
	struct buf out;
	char *s;

	assert_non_null(sym);
	for (size_t i = 0; i < r->set.nsites; i++)
		sym[i] =
		    strcmp(r->set.sites[i].rule, rule) == 0 ? (uint8_t)v : 0;
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

/* ---- renaming ---- */

static void
test_rename_local(void **state)
{
	struct run r;
	const struct mark_site *s;
	char *out;

	(void)state;
	run_sh(&r,
	    "f() {\n"
	    "\tlocal count=\"$1\"\n"
	    "\twhile [ \"$count\" -gt 0 ]; do\n"
	    "\t\tcount=$((count - 1))\n"
	    "\t\techo \"count is ${count}\"\n"
	    "\tdone\n"
	    "}\n"
	    "f 3\n");
	s = rename_of(&r, "count");
	assert_non_null(s);
	assert_int_equal(s->nspans, 5); /* local, $, =, arith, ${} */
	out = render_rule(&r, "sh.rename", 1);
	assert_non_null(strstr(out, "local cnt=\"$1\""));
	assert_non_null(strstr(out, "cnt=$((cnt - 1))"));
	/* the text "count is" stays */
	assert_non_null(strstr(out, "\"count is ${cnt}\""));
	free(out);
	run_free(&r);
}

static void
test_rename_dynamic_scope(void **state)
{
	struct run r;

	(void)state;
	/* g reads f's local: renaming it in f would break g */
	run_sh(&r,
	    "g() { echo \"$level\"; }\n"
	    "f() { local level=1; g; }\n");
	assert_null(rename_of(&r, "level"));
	run_free(&r);
	/* a global of the same name */
	run_sh(&r,
	    "depth=3\n"
	    "f() { local depth=1; echo $depth; }\n");
	assert_null(rename_of(&r, "depth"));
	run_free(&r);
	/* both functions start with a clean local: both renamed */
	run_sh(&r,
	    "f() { local item=1; echo $item; }\n"
	    "g() { local item=2; echo $item; f; }\n");
	assert_int_equal(count_rule(&r, "sh.rename"), 2);
	run_free(&r);
	/* dash lets a bare "local x" inherit the caller's value */
	run_sh(&r,
	    "f() { local item; echo $item; }\n"
	    "g() { local item=2; f; }\n");
	assert_int_equal(count_rule(&r, "sh.rename"), 0);
	run_free(&r);
	/* a conditional local does not always shadow the caller's */
	run_sh(&r,
	    "f() { [ -n \"$1\" ] && local item=1; echo $item; }\n"
	    "g() { local item=2; f; }\n");
	assert_null(rename_of(&r, "item"));
	run_free(&r);
}

static void
test_rename_not(void **state)
{
	static const char *const cases[] = {
	    /* exported, global, nameref, integer */
	    "f() { local -x v=1; echo $v; }\n",
	    "f() { local -g v=1; echo $v; }\n",
	    "f() { local -n v=x; echo $v; }\n",
	    "f() { local -i v=1; echo $v; }\n",
	    /* used by name */
	    "f() { local v=1; unset v; }\n",
	    "f() { local v=1; read v; echo \"$v\"; export v; }\n",
	    "f() { local v=1; g v; }\n",
	    "f() { local v=1; echo '$v'; }\n",
	    "f() { local v=1; echo \\$v; x=v; }\n",
	    "f() { local v=1; [[ v -gt 0 ]]; }\n",
	    /* computed names anywhere */
	    "f() { local v=1; echo $v; }\neval \"echo x\"\n",
	    "f() { local v=1; echo $v; }\n. ./lib.sh\n",
	    "f() { local v=1; echo $v; }\ny=v; echo ${!y}\n",
	    "set -a\nf() { local v=1; echo $v; }\n",
	    /* a special name */
	    "f() { local IFS=,; echo $IFS; }\n",
	};

	(void)state;
	for (size_t i = 0; i < EMB_ARRAY_LEN(cases); i++) {
		struct run r;
		run_sh(&r, cases[i]);
		if (count_rule(&r, "sh.rename") != 0)
			fail_msg("renamed in: %s", cases[i]);
		run_free(&r);
	}
}

static void
test_rename_heredoc(void **state)
{
	struct run r;
	char *out;

	(void)state;
	run_sh(&r,
	    "f() {\n"
	    "\tlocal name=x\n"
	    "\tcat <<EOF\n"
	    "hello $name\n"
	    "EOF\n"
	    "\tcat <<'EOF'\n"
	    "literal name\n"
	    "EOF\n"
	    "}\n");
	assert_non_null(rename_of(&r, "name"));
	out = render_rule(&r, "sh.rename", 1);
	assert_non_null(strstr(out, "hello $label\n"));
	assert_non_null(strstr(out, "literal name\nEOF"));
	free(out);
	run_free(&r);
	/* $name in a quoted here-document is not a reference */
	run_sh(&r,
	    "f() {\n"
	    "\tlocal name=x\n"
	    "\tcat <<'EOF'\n"
	    "$name\n"
	    "EOF\n"
	    "}\n");
	assert_null(rename_of(&r, "name"));
	run_free(&r);
}

/* ---- forms ---- */

static void
test_brace_quote_test_cmdsub(void **state)
{
	struct run r;
	char *out;

	(void)state;
	run_sh(&r,
	    "a=1\n"
	    "echo $a \"${a}\" '${a}'\n"
	    "if [ -n \"$a\" ]; then test -z \"$a\" || echo 'plain'; fi\n"
	    "d=$(date +%s)\n"
	    "e=`uname -m`\n"
	    "f=$(echo \"$a\")\n"
	    "echo \"${a:-'q'}\"\n");
	assert_true(count_rule(&r, "sh.brace") >= 3);
	assert_int_equal(count_rule(&r, "sh.test"), 2);
	assert_int_equal(count_rule(&r, "sh.cmdsub"), 2);
	out = render_v(&r, 1);
	assert_non_null(strstr(out, "echo ${a} \"$a\" '${a}'"));
	assert_non_null(strstr(out, "if test -n \"${a}\"; then"));
	assert_non_null(strstr(out, "[ -z \"${a}\" ] ||"));
	assert_non_null(strstr(out, "echo \"plain\""));
	assert_non_null(strstr(out, "d=`date +%s`"));
	assert_non_null(strstr(out, "e=$(uname -m)"));
	/* quotes inside the substitution: left alone */
	assert_non_null(strstr(out, "f=$(echo \"${a}\")"));
	/* quotes inside ${...}: left alone */
	assert_non_null(strstr(out, "\"${a:-'q'}\""));
	free(out);
	run_free(&r);
}

static void
test_test_not(void **state)
{
	struct run r;

	(void)state;
	/* a redirection, and a script defining its own test */
	run_sh(&r, "[ -f x ] 2>/dev/null\n");
	assert_int_equal(count_rule(&r, "sh.test"), 0);
	run_free(&r);
	run_sh(&r, "test() { echo hi; }\n[ -f x ] && test 1\n");
	assert_int_equal(count_rule(&r, "sh.test"), 0);
	run_free(&r);
}

static void
test_assign_order(void **state)
{
	struct run r;
	const struct mark_site *s = NULL;

	(void)state;
	run_sh(&r,
	    "HOST=example.org\n"
	    "PORT=8080 # the port\n"
	    "NAME='x y'\n"
	    "\n"
	    "A=1\n"
	    "B=$A\n"
	    "C=~/x\n"
	    "PATH=/bin\n"
	    "D=2\n");
	for (size_t i = 0; i < r.set.nsites; i++)
		if (strcmp(r.set.sites[i].rule, "sh.assign_order") == 0)
			s = &r.set.sites[i];
	assert_int_equal(count_rule(&r, "sh.assign_order"), 1);
	assert_non_null(s);
	assert_int_equal(s->nspans, 3);
	assert_int_equal(
	    r.set.spans[s->span0 + 1].len, strlen("PORT=8080 # the port"));
	run_free(&r);
}

static void
test_trailing(void **state)
{
	struct run r;
	char *out;

	(void)state;
	run_sh(&r,
	    "# check it\n"
	    "x=\"a\n"
	    "b\"\n"
	    "cat <<EOF\n"
	    "body\n"
	    "EOF\n"
	    "echo a \\\n"
	    "  b\n");
	out = render_v(&r, 1);
	assert_non_null(strstr(out, "# verify it \n"));
	assert_non_null(strstr(out, "x=\"a\nb\" \n"));
	assert_non_null(strstr(out, "\nbody\nEOF\n"));
	assert_non_null(strstr(out, "echo a \\\n"));
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

static void
survive(const uint8_t *p, size_t n)
{
	struct mark_set set;
	struct run r;
	char *out;

	mark_set_init(&set, p, n);
	assert_true(mark_lang_shell(&set) >= 0);
	assert_int_equal(mark_set_finalize(&set), 0);
	r.set = set;
	r.text = NULL;
	out = render_v(&r, 1);
	free(out);
	mark_set_fini(&set);
}

static void
test_garbage(void **state)
{
	static const char *const bad[] = {"echo 'never closed", "echo \"never",
	    "cat <<EOF\nno end", "x=$(", "${", "$((", "`", "f() {", "case x in",
	    "[[ a", "a=(", "}", ")", "esac", "cat <<'A' <<B\n", "echo \\",
	    "$'\\", "<("};
	static const char alpha[] = "{}()[]\"'`$#\\;|&<>= \n\t-aZ_0";
	uint64_t seed = 7;
	uint8_t *buf;
	size_t n = 1u << 20;

	(void)state;
	for (size_t i = 0; i < EMB_ARRAY_LEN(bad); i++)
		survive((const uint8_t *)bad[i], strlen(bad[i]));
	buf = malloc(n + 1);
	assert_non_null(buf);
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
	for (size_t i = 0; i + 2 <= 100000; i += 2)
		memcpy(buf + i, "$(", 2);
	survive(buf, 100000);
	for (size_t i = 0; i < 100000; i++)
		buf[i] = "\"${"[i % 3];
	survive(buf, 100000);
	memcpy(buf, "f() { local x=1; echo ", 22);
	for (size_t i = 22; i + 4 < n; i += 3)
		memcpy(buf + i, "$x ", 3);
	memcpy(buf + n - 4, "; }\n", 4);
	survive(buf, n);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rename_local),
	    cmocka_unit_test(test_rename_dynamic_scope),
	    cmocka_unit_test(test_rename_not),
	    cmocka_unit_test(test_rename_heredoc),
	    cmocka_unit_test(test_brace_quote_test_cmdsub),
	    cmocka_unit_test(test_test_not),
	    cmocka_unit_test(test_assign_order),
	    cmocka_unit_test(test_trailing),
	    cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
