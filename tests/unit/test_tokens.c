#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "trace/tokens.h"
#include "common/emb.h"

/* Tokenise a C string; the caller finis. */
static struct trace_tokens
scan(enum mark_lang lang, const char *s)
{
	struct trace_tokens t;

	assert_int_equal(
	    trace_tokens_scan(lang, (const uint8_t *)s, strlen(s), &t), 0);
	return t;
}

/* The tokens' texts joined by '|', into buf. */
static const char *
joined(const struct trace_tokens *t, const char *s, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		int w = snprintf(buf + n, cap - n, "%s%.*s", i ? "|" : "",
		    (int)t->v[i].len, s + t->v[i].off);

		assert_true(w >= 0 && (size_t)w < cap - n);
		n += (size_t)w;
	}
	return buf;
}

/* The token types as letters (I K N S P W), into buf. */
static const char *
types(const struct trace_tokens *t, char *buf, size_t cap)
{
	static const char letters[] = "IKNSPW";

	assert_true(t->n < cap);
	for (size_t i = 0; i < t->n; i++)
		buf[i] = letters[t->v[i].type];
	buf[t->n] = '\0';
	return buf;
}

static void
expect(enum mark_lang lang, const char *src, const char *want_text,
    const char *want_types)
{
	struct trace_tokens t = scan(lang, src);
	char buf[4096], tb[1024];

	assert_string_equal(joined(&t, src, buf, sizeof(buf)), want_text);
	if (want_types != NULL)
		assert_string_equal(types(&t, tb, sizeof(tb)), want_types);
	trace_tokens_fini(&t);
}

/* Abstract streams of two texts are equal. */
static void
same_abstract(enum mark_lang lang, const char *a, const char *b, bool want)
{
	struct trace_tokens x = scan(lang, a), y = scan(lang, b);
	size_t i = 0, j = 0;
	bool same = true;

	for (;;) {
		while (i < x.n && x.v[i].abstract == 0)
			i++;
		while (j < y.n && y.v[j].abstract == 0)
			j++;
		if (i == x.n || j == y.n)
			break;
		if (x.v[i++].abstract != y.v[j++].abstract)
			same = false;
	}
	while (i < x.n && x.v[i].abstract == 0)
		i++;
	while (j < y.n && y.v[j].abstract == 0)
		j++;
	same = same && i == x.n && j == y.n;
	assert_int_equal(same, want);
	trace_tokens_fini(&x);
	trace_tokens_fini(&y);
}

static void
test_python(void **state)
{
	(void)state;
	expect(MARK_LANG_PYTHON, "x = foo(1, 'a#b') # comment\n",
	    "x|=|foo|(|1|,|'a#b'|)", "IPIPNPSP");
	expect(MARK_LANG_PYTHON, "def f(self):\n    return None\n",
	    "def|f|(|self|)|:|return|None", "KIPKPPKK");
	/* prefixes, triple quotes spanning lines, escapes */
	expect(MARK_LANG_PYTHON,
	    "a = rb'\\x00' + f\"{x}\"\ns = \"\"\"one\n'two' \"\"\" + '''3'''\n",
	    "a|=|rb'\\x00'|+|f\"{x}\"|s|=|\"\"\"one\n'two' \"\"\"|+|'''3'''",
	    "IPSPSIPSPS");
	expect(MARK_LANG_PYTHON, "'unterminated\nx = 0x10 + 1e-5\n",
	    "'unterminated|x|=|0x10|+|1e-5", "SIPNPN");
	expect(MARK_LANG_PYTHON, "s = \"esc \\\" q\" # c\n",
	    "s|=|\"esc \\\" q\"", "IPS");
	expect(MARK_LANG_PYTHON, "x\t=\t\"\"\"never closed\n\n",
	    "x|=|\"\"\"never closed\n\n", "IPS");
}

static void
test_python_pre_post(void **state)
{
	const char *s = "x = rb'''abc''' + 'd' + \"e";
	struct trace_tokens t = scan(MARK_LANG_PYTHON, s);

	(void)state;
	assert_int_equal(t.n, 7);
	assert_int_equal(t.v[2].pre, 5);
	assert_int_equal(t.v[2].post, 3);
	assert_int_equal(t.v[4].pre, 1);
	assert_int_equal(t.v[4].post, 1);
	assert_int_equal(t.v[6].pre, 1);
	assert_int_equal(t.v[6].post, 0); /* unclosed */
	trace_tokens_fini(&t);
}

static void
test_powershell(void **state)
{
	(void)state;
	expect(MARK_LANG_POWERSHELL,
	    "<# block\n comment #>\nif ($a -eq 1) { Get-Item $env:TEMP } # c\n",
	    "if|(|$a|-eq|1|)|{|Get-Item|$env:TEMP|}", "KPIKNPPIIP");
	expect(MARK_LANG_POWERSHELL,
	    "$s = @\"\nline \"quoted\" $x\n\"@\n$t = 'it''s' + \"a`\"b\"\n",
	    "$s|=|@\"\nline \"quoted\" $x\n\"@|$t|=|'it''s'|+|\"a`\"b\"",
	    "IPSIPSPS");
	expect(MARK_LANG_POWERSHELL, "$True; $null; $_.Name",
	    "$True|;|$null|;|$_|.|Name", "KPKPKPI");
	/* keywords ignore case, in the abstract stream too */
	same_abstract(MARK_LANG_POWERSHELL, "IF ($x -EQ 2) { RETURN }",
	    "if ($y -eq 3) { return }", true);
}

static void
test_powershell_herestring(void **state)
{
	const char *s = "$b = @'\r\nraw $x\r\n'@\n";
	struct trace_tokens t = scan(MARK_LANG_POWERSHELL, s);

	(void)state;
	assert_int_equal(t.n, 3);
	assert_int_equal(t.v[2].type, TRACE_TOK_STRING);
	/* body is "raw $x\r" (the \n before '@ belongs to the closer) */
	assert_int_equal(t.v[2].len - t.v[2].pre - t.v[2].post, 7);
	assert_memory_equal(s + t.v[2].off + t.v[2].pre, "raw $x", 6);
	trace_tokens_fini(&t);
}

static void
test_c(void **state)
{
	(void)state;
	expect(MARK_LANG_C,
	    "#include <stdio.h>\n/* c */ int x = 0x10; // t\nchar c = '\\'';",
	    "#|include|<|stdio|.|h|>|int|x|=|0x10|;|char|c|=|'\\''|;",
	    "PKPIPIPKIPNPKIPSP");
	expect(MARK_LANG_C, "s = R\"xy(a)\" )xy\" + L\"w\" + u8\"z\";",
	    "s|=|R\"xy(a)\" )xy\"|+|L\"w\"|+|u8\"z\"|;", "IPSPSPSP");
	expect(MARK_LANG_C, "a = `tpl ${x}\nline`; b = @\"v\"\"q\";",
	    "a|=|`tpl ${x}\nline`|;|b|=|@\"v\"\"q\"|;", "IPSPIPSP");
	expect(MARK_LANG_C, "/* never closed\nint x;", "", "");
	expect(MARK_LANG_C, "x = 1'000'000 + 1.5e+3f;",
	    "x|=|1'000'000|+|1.5e+3f|;", "IPNPNP");
	/* "a+=1" and "a += 1": one punctuation byte per token */
	same_abstract(MARK_LANG_C, "a+=1;", "a += 1 ;", true);
}

static void
test_c_exact_vs_abstract(void **state)
{
	struct trace_tokens a = scan(MARK_LANG_C, "n = 16;"),
	                    b = scan(MARK_LANG_C, "count = 0x10;");

	(void)state;
	assert_int_equal(a.n, 4);
	assert_int_equal(b.n, 4);
	/* exact keeps the text: 16 and 0x10 differ, so do the names */
	assert_int_not_equal(a.v[0].exact, b.v[0].exact);
	assert_int_not_equal(a.v[2].exact, b.v[2].exact);
	/* abstract: one class each */
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(a.v[i].abstract, b.v[i].abstract);
	assert_int_equal(a.v[2].exact, trace_hash((const uint8_t *)"16", 2));
	trace_tokens_fini(&a);
	trace_tokens_fini(&b);
}

static void
test_shell(void **state)
{
	(void)state;
	expect(MARK_LANG_SHELL,
	    "# c\nx=$# ; echo a#b \"$x\" ${y} $'\\n' -rf /tmp/f # t\n",
	    "x|=|$#|;|echo|a#b|\"$x\"|${y}|$'\\n'|-rf|/tmp/f", "IPKPKSSISKS");
	expect(MARK_LANG_SHELL,
	    "cat <<EOF >out\nbody $x\n# not a comment\nEOF\necho 2\n",
	    "cat|<|<|EOF|>|out|body $x\n# not a comment\n|echo|2", "IPPSPISKN");
	expect(MARK_LANG_SHELL, "f <<-'END'\n\tq\n\tEND\ng <<< w\n",
	    "f|<|<|-|'END'|\tq\n|g|<|<|<|w", "IPPPSSIPPPI");
	expect(MARK_LANG_SHELL, "if [ -f x ]; then\n  exit 1\nfi",
	    "if|[|-f|x|]|;|then|exit|1|fi", "KPKIPPKKNK");
	/* two here-docs on one line, the second unterminated */
	expect(MARK_LANG_SHELL, "a <<X; b <<Y\n1\nX\n2\n",
	    "a|<|<|X|;|b|<|<|Y|1\n|2\n", "IPPSPIPPSSS");
}

static void
test_yara_suricata(void **state)
{
	(void)state;
	expect(MARK_LANG_YARA,
	    "rule r { strings: $a = { 4D 5A ?? } $b = /ab+c/i // x\n"
	    "condition: #a > 2 and $b }",
	    "rule|r|{|strings|:|$a|=|{ 4D 5A ?? }|$b|=|/ab+c/|i|condition|:|"
	    "#a|>|2|and|$b|}",
	    "KIPKPIPSIPSIKPIPNKIP");
	expect(MARK_LANG_SURICATA,
	    "# rule off\nalert http $HOME_NET any -> any 80 "
	    "(msg:\"x\"; content:\"|41|\"; sid:1000001;)\n",
	    "alert|http|$HOME_NET|any|-|>|any|80|(|msg|:|\"x\"|;|content|:|"
	    "\"|41|\"|;|sid|:|1000001|;|)",
	    "KKIKPPKNPKPSPKPSPKPNPP");
}

static void
test_prose(void **state)
{
	struct trace_tokens t =
	    scan(MARK_LANG_PROSE, "The server's CVE-2021 bug, and THE fix.");
	char buf[512];
	size_t live = 0;

	(void)state;
	assert_string_equal(
	    joined(&t, "The server's CVE-2021 bug, and THE fix.", buf,
	        sizeof(buf)),
	    "The|server's|CVE|-|2021|bug|,|and|THE|fix|.");
	for (size_t i = 0; i < t.n; i++)
		live += t.v[i].abstract != 0;
	/* the, and, THE and punctuation are out of the stream */
	assert_int_equal(live, 5);
	assert_int_equal(t.v[0].abstract, 0);
	assert_int_equal(t.v[8].abstract, 0);
	trace_tokens_fini(&t);
	same_abstract(MARK_LANG_PROSE, "Patch THE Server now!",
	    "patch the server, now", true);
	same_abstract(
	    MARK_LANG_PROSE, "patch the server", "patch a client", false);
}

static void
test_layout_and_renaming(void **state)
{
	(void)state;
	same_abstract(MARK_LANG_PYTHON,
	    "def f(a, b):\n    # sum\n    return a + b\n",
	    "def   g( x,y ) :\n\treturn x+y  # other\n", true);
	same_abstract(MARK_LANG_PYTHON, "x = 'a'", "x = \"b\"", true);
	same_abstract(MARK_LANG_PYTHON, "x = 1", "x = y", false);
	same_abstract(MARK_LANG_SHELL, "for f in *.c; do\n\tcc \"$f\"\ndone",
	    "for g in *.h\ndo cc \"$g\" ; done # c", true);
}

static void
test_at(void **state)
{
	const char *s = "ab  cd(e)";
	struct trace_tokens t = scan(MARK_LANG_C, s);

	(void)state;
	assert_int_equal(t.n, 5); /* ab cd ( e ) */
	assert_int_equal(trace_tokens_at(&t, 0), 0);
	assert_int_equal(trace_tokens_at(&t, 1), 0);
	assert_int_equal(trace_tokens_at(&t, 2), 1); /* blank: next token */
	assert_int_equal(trace_tokens_at(&t, 4), 1);
	assert_int_equal(trace_tokens_at(&t, 6), 2);
	assert_int_equal(trace_tokens_at(&t, 8), 4);
	assert_int_equal(trace_tokens_at(&t, 9), 5);
	assert_int_equal(trace_tokens_at(&t, 1000), 5);
	trace_tokens_fini(&t);
	t = scan(MARK_LANG_C, "");
	assert_int_equal(t.n, 0);
	assert_int_equal(trace_tokens_at(&t, 0), 0);
	trace_tokens_fini(&t);
}

/* Tokens are in order, inside the text, not overlapping, never empty. */
static void
check_invariants(const struct trace_tokens *t, size_t len)
{
	size_t end = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct trace_tok *k = &t->v[i];

		assert_true(k->len > 0);
		assert_true(k->off >= end);
		assert_true((size_t)k->off + k->len <= len);
		assert_true(
		    (size_t)k->pre + k->post <= k->len || k->pre == 255);
		assert_true(k->type <= TRACE_TOK_WORD);
		end = (size_t)k->off + k->len;
	}
}

static void
test_garbage(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	static const char alphabet[] = "\"'`#$<>@/*\\{}()[]-=;\n\t rRbBxX0123"
	                               "EOF\r\0\xff\xc3";

	(void)state;
	for (int round = 0; round < 400; round++) {
		size_t len = 1 + (size_t)(round * 37 % 3000);
		uint8_t *buf = malloc(len);

		assert_non_null(buf);
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = round % 2
			    ? (uint8_t)x
			    : (uint8_t)alphabet[x % (sizeof(alphabet) - 1)];
		}
		for (unsigned l = 0; l < MARK_LANG_COUNT; l++) {
			struct trace_tokens t;

			assert_int_equal(
			    trace_tokens_scan((enum mark_lang)l, buf, len, &t),
			    0);
			check_invariants(&t, len);
			trace_tokens_fini(&t);
		}
		free(buf);
	}
}

/* Inputs that would be quadratic for a careless scanner. */
static void
test_linear(void **state)
{
	static const char *const units[] = {"\"", "'''", "<<A\n", "R\"(", "/*",
	    "<#", "@\"\n", "$'", "#", "a<<-X\n", "`", "0x", "$(", "\\\n"};
	size_t n = 1u << 18;
	uint8_t *buf = malloc(n);

	(void)state;
	assert_non_null(buf);
	for (size_t u = 0; u < EMB_ARRAY_LEN(units); u++) {
		size_t m = strlen(units[u]);

		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)units[u][i % m];
		for (unsigned l = 0; l < MARK_LANG_COUNT; l++) {
			struct trace_tokens t;

			assert_int_equal(
			    trace_tokens_scan((enum mark_lang)l, buf, n, &t),
			    0);
			check_invariants(&t, n);
			trace_tokens_fini(&t);
		}
	}
	free(buf);
}

static void
test_limits(void **state)
{
	struct trace_tokens t = {0};

	(void)state;
	assert_int_equal(trace_tokens_scan(MARK_LANG_C, (const uint8_t *)"x",
	                     (size_t)TRACE_TEXT_MAX + 1, &t),
	    EMB_ETOOBIG);
	assert_null(t.v);
	assert_int_equal(trace_tokens_scan(MARK_LANG_C, NULL, 0, &t), 0);
	assert_int_equal(t.n, 0);
	trace_tokens_fini(&t);
	trace_tokens_fini(NULL);
}

static void
test_keywords(void **state)
{
	/* First, last and some middle entries of each sorted table. */
	static const struct {
		enum mark_lang lang;
		const char *words;
	} cases[] = {
	    {MARK_LANG_PYTHON,
	        "False None True Exception and yield while "
	        "lambda self print len"},
	    {MARK_LANG_C,
	        "NULL abstract yield while sizeof struct uint8_t "
	        "typedef include"},
	    {MARK_LANG_SHELL, "alias while then fi esac local echo"},
	    {MARK_LANG_POWERSHELL, "begin while foreach param Function"},
	    {MARK_LANG_YARA, "all xor wide condition uint32be filesize"},
	    {MARK_LANG_SURICATA, "alert within content sid pcre flow"},
	};

	(void)state;
	for (size_t c = 0; c < EMB_ARRAY_LEN(cases); c++) {
		struct trace_tokens t = scan(cases[c].lang, cases[c].words);

		for (size_t i = 0; i < t.n; i++) {
			if (t.v[i].type != TRACE_TOK_KEYWORD)
				fail_msg("lang %d: '%.*s' not a keyword",
				    (int)cases[c].lang, (int)t.v[i].len,
				    cases[c].words + t.v[i].off);
		}
		trace_tokens_fini(&t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_python),
	    cmocka_unit_test(test_python_pre_post),
	    cmocka_unit_test(test_powershell),
	    cmocka_unit_test(test_powershell_herestring),
	    cmocka_unit_test(test_c),
	    cmocka_unit_test(test_c_exact_vs_abstract),
	    cmocka_unit_test(test_shell),
	    cmocka_unit_test(test_yara_suricata),
	    cmocka_unit_test(test_prose),
	    cmocka_unit_test(test_layout_and_renaming),
	    cmocka_unit_test(test_at),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_linear),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_keywords),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
