/*
 * Unit tests for PowerShell site discovery (lang_powershell.c).  There
 * is no PowerShell to run the copies, so these check each rule in
 * detail: every case form of a name is renamed together, automatic
 * variables and parameters callers name are left alone, variables inside
 * expandable strings are renamed with the rest (or the name is skipped),
 * numbers change form only in expression mode, and hostile text never
 * breaks discovery.
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
run_ps(struct run *r, const char *text)
{
	size_t n = strlen(text);

	r->text = malloc(n + 1);
	assert_non_null(r->text);
	memcpy(r->text, text, n + 1);
	mark_set_init(&r->set, (const uint8_t *)r->text, n);
	assert_true(mark_lang_powershell(&r->set) >= 0);
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

/* A rename site one of whose spans reads name (any case). */
static const struct mark_site *
rename_of(const struct run *r, const char *name)
{
	for (size_t i = 0; i < r->set.nsites; i++) {
		const struct mark_site *s = &r->set.sites[i];
		struct mark_text t;
		if (strcmp(s->rule, "ps.rename") != 0)
			continue;
		t = mark_site_text(&r->set, s, 0, 0);
		if (t.n == strlen(name) && strncasecmp(t.p, name, t.n) == 0)
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
render_rule(const struct run *r, const char *rule, unsigned v)
{
	uint8_t *sym = calloc(r->set.nsites + 1, 1);
	struct buf out;
	char *s;

	assert_non_null(sym);
	for (size_t i = 0; i < r->set.nsites; i++)
		sym[i] = rule == NULL || strcmp(r->set.sites[i].rule, rule) == 0
		    ? (uint8_t)v
		    : 0;
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
test_rename_all_cases(void **state)
{
	struct run r;
	const struct mark_site *s;
	char *out;

	(void)state;
	run_ps(&r,
	    "function Get-Total {\n"
	    "    $Count = 0\n"
	    "    foreach ($x in 1..3) { $count += $x }\n"
	    "    Write-Output \"total: $COUNT ($($count * 2)) ${Count}\"\n"
	    "    return $count\n"
	    "}\n");
	s = rename_of(&r, "count");
	assert_non_null(s);
	assert_int_equal(s->nspans, 6);
	out = render_rule(&r, "ps.rename", 1);
	/* every case form becomes the one new name; the text stays */
	assert_null(strstr(out, "$Count"));
	assert_null(strstr(out, "$count"));
	assert_null(strstr(out, "$COUNT"));
	assert_non_null(strstr(out, "\"total: $Cnt ($($Cnt * 2)) ${Cnt}\""));
	free(out);
	/* variant 0 keeps each original spelling */
	out = render_rule(&r, "ps.rename", 0);
	assert_string_equal(out, r.text);
	free(out);
	run_free(&r);
}

static void
test_automatic_untouched(void **state)
{
	struct run r;

	(void)state;
	run_ps(&r,
	    "function Test-Auto {\n"
	    "    $args = 1\n"
	    "    $input = 2\n"
	    "    $_ = 3\n"
	    "    $PSItem = 4\n"
	    "    $this = 5\n"
	    "    $Matches = 6\n"
	    "    $LASTEXITCODE = 7\n"
	    "    $ErrorActionPreference = 'Stop'\n"
	    "    $true = 8\n"
	    "    $PSScriptRoot = 9\n"
	    "    $host = 10\n"
	    "    $args; $input; $_; $PSItem; $this; $Matches\n"
	    "}\n");
	assert_int_equal(count_rule(&r, "ps.rename"), 0);
	run_free(&r);
}

static void
test_params(void **state)
{
	struct run r;

	(void)state;
	/* called positionally: the parameter may be renamed */
	run_ps(&r,
	    "function Send-It {\n"
	    "    param([string]$Target, [int]$Port)\n"
	    "    Write-Output \"$Target:$($Port)\"\n"
	    "}\n"
	    "Send-It 'h' 80\n");
	assert_null(rename_of(&r, "Target")); /* "$Target:" is a drive */
	assert_non_null(rename_of(&r, "Port"));
	run_free(&r);
	/* called with -Port (or an abbreviation of it): never */
	run_ps(&r,
	    "function Send-It {\n"
	    "    param([int]$Port)\n"
	    "    $Port + 1\n"
	    "}\n"
	    "Send-It -Po 80\n");
	assert_null(rename_of(&r, "Port"));
	run_free(&r);
	/* splatted from a hashtable key */
	run_ps(&r,
	    "function Send-It { param($Port) $Port }\n"
	    "$a = @{ Port = 80 }\n"
	    "Send-It @a\n");
	assert_null(rename_of(&r, "Port"));
	run_free(&r);
	/* read through $PSBoundParameters */
	run_ps(&r,
	    "function Send-It {\n"
	    "    param($Port)\n"
	    "    if ($PSBoundParameters.ContainsKey('x')) { $Port }\n"
	    "}\n");
	assert_null(rename_of(&r, "Port"));
	run_free(&r);
}

static void
test_rename_not(void **state)
{
	static const char *const cases[] = {
	    /* a verbatim string, an escape, a scope, a name string */
	    "function f { $v = 1; '$v' }\n",
	    "function f { $v = 1; \"`$v\" }\n",
	    "function f { $v = 1; $script:v }\n",
	    "function f { $v = 1; $using:v }\n",
	    "function f { $v = 1; Write-Output 'v' }\n",
	    "function f { $v = 1; Get-Process -OutVariable v }\n",
	    /* variables reached by name, hidden code */
	    "function f { $v = 1; Get-Variable -Name x }\n",
	    "function f { $v = 1; $v }\nInvoke-Expression 'x'\n",
	    "function f { $v = 1; . .\\lib.ps1; $v }\n",
	    "function f { $v = 1; & $sb; $v }\n",
	    /* dynamic scope: g reads f's $v; a script-level $v */
	    "function g { $v }\nfunction f { $v = 1; g }\n",
	    "$v = 2\nfunction f { $v = 1; $v }\n",
	    /* read before it is assigned */
	    "function f { $v; $v = 1 }\n",
	    /* smart quotes are quotes to PowerShell */
	    "function f { $v = 1; \xe2\x80\x9c$v\xe2\x80\x9d }\n",
	};

	(void)state;
	for (size_t i = 0; i < EMB_ARRAY_LEN(cases); i++) {
		struct run r;
		run_ps(&r, cases[i]);
		if (count_rule(&r, "ps.rename") != 0)
			fail_msg("renamed in: %s", cases[i]);
		run_free(&r);
	}
}

static void
test_rename_two_functions(void **state)
{
	struct run r;

	(void)state;
	/* each starts by assigning its own $item: both may be renamed */
	run_ps(&r,
	    "function f { $item = 1; $item }\n"
	    "function g { $item = 2; f; $item }\n");
	assert_int_equal(count_rule(&r, "ps.rename"), 2);
	run_free(&r);
	/* a conditional first assignment may leave the caller's visible */
	run_ps(&r,
	    "function f { if ($x) { $item = 1 }; $item }\n"
	    "function g { $item = 2; f }\n");
	assert_int_equal(count_rule(&r, "ps.rename"), 0);
	run_free(&r);
}

/* ---- numbers, order, quotes ---- */

static void
test_int(void **state)
{
	struct run r;
	char *out;

	(void)state;
	run_ps(&r,
	    "$a = 16\n"
	    "if ($a -eq 0x20) { $b = (255 + 1) }\n"
	    "Start-Sleep 16\n"
	    "Write-Host -Count 17 18\n"
	    "$c = 16kb\n"
	    "$d = 1..20\n");
	out = render_rule(&r, "ps.int", 1);
	assert_non_null(strstr(out, "$a = 0x10\n"));
	assert_non_null(strstr(out, "-eq 32)"));
	assert_non_null(strstr(out, "(0xff + 1)"));
	/* command arguments, suffixes and ranges stay */
	assert_non_null(strstr(out, "Start-Sleep 16\n"));
	assert_non_null(strstr(out, "-Count 17 18\n"));
	assert_non_null(strstr(out, "16kb"));
	assert_non_null(strstr(out, "1..20"));
	free(out);
	run_free(&r);
}

static void
test_assign_order(void **state)
{
	struct run r;
	const struct mark_site *s = NULL;
	char *out;

	(void)state;
	run_ps(&r,
	    "$Port = 443\n"
	    "[string]$Name = 'x' # the name\n"
	    "$Flag = $true\n"
	    "\n"
	    "$h = @{\n"
	    "    a = 1\n"
	    "    b = 2\n"
	    "}\n"
	    "$x = 1\n"
	    "$y = $x\n");
	for (size_t i = 0; i < r.set.nsites; i++)
		if (strcmp(r.set.sites[i].rule, "ps.assign_order") == 0)
			s = &r.set.sites[i];
	assert_int_equal(count_rule(&r, "ps.assign_order"), 1);
	assert_non_null(s);
	assert_int_equal(s->nspans, 3);
	out = render_rule(&r, "ps.assign_order", 5);
	assert_non_null(strstr(out,
	    "$Flag = $true\n[string]$Name = 'x' # "
	    "the name\n$Port = 443\n"));
	free(out);
	run_free(&r);
}

static void
test_quotes_and_fragile(void **state)
{
	struct run r;
	char *out;

	(void)state;
	run_ps(&r,
	    "#requires -Version 5\n"
	    "# check the host\n"
	    "$a = 'plain'\n"
	    "$b = \"also plain\"\n"
	    "$c = \"has $a\"\n"
	    "$d = 'it''s'\n"
	    "$e = @'\n"
	    "here 'x' \n"
	    "'@\n"
	    "$f = 1 + `\n"
	    "  2\n");
	out = render_rule(&r, NULL, 1);
	assert_non_null(strstr(out, "#requires -Version 5"));
	assert_non_null(strstr(out, "# verify the host"));
	assert_non_null(strstr(out, "$a = \"plain\""));
	assert_non_null(strstr(out, "$b = 'also plain'"));
	assert_non_null(strstr(out, "$c = \"has $a\""));
	assert_non_null(strstr(out, "$d = 'it''s'"));
	/* here-strings and line continuations are untouched */
	assert_non_null(strstr(out, "\nhere 'x' \n'@"));
	assert_non_null(strstr(out, "1 + `\n  2"));
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
	assert_true(mark_lang_powershell(&set) >= 0);
	assert_int_equal(mark_set_finalize(&set), 0);
	r.set = set;
	r.text = NULL;
	out = render_rule(&r, NULL, 1);
	free(out);
	mark_set_fini(&set);
}

static void
test_garbage(void **state)
{
	static const char *const bad[] = {"'never closed", "\"never",
	    "@\"\nno end", "<# no end", "${", "$(", "\"$(", "@{", "}", ")",
	    "function", "function f", "function f {", "param(", "\"`",
	    "$x:", "@'\n'@"};
	static const char alpha[] = "{}()[]\"'`$#@<>=;|&,. \n\t-aZ_0x1";
	uint64_t seed = 99;
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
	for (size_t i = 0; i + 3 <= 99999; i += 3)
		memcpy(buf + i, "\"$(", 3);
	survive(buf, 99999);
	for (size_t i = 0; i < 100000; i++)
		buf[i] = "{(@["[i % 4];
	survive(buf, 100000);
	memcpy(buf, "function f { $x = 1; ", 21);
	for (size_t i = 21; i + 4 < n; i += 3)
		memcpy(buf + i, "$x ", 3);
	memcpy(buf + n - 4, " }\n ", 4);
	survive(buf, n);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rename_all_cases),
	    cmocka_unit_test(test_automatic_untouched),
	    cmocka_unit_test(test_params),
	    cmocka_unit_test(test_rename_not),
	    cmocka_unit_test(test_rename_two_functions),
	    cmocka_unit_test(test_int),
	    cmocka_unit_test(test_assign_order),
	    cmocka_unit_test(test_quotes_and_fragile),
	    cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
