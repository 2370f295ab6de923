/*
 * Python site discovery (src/mark/lang_python.c) and its tokenizer.
 *
 * Each rule is checked on small snippets, for what it marks and for what
 * it must leave alone; discovery must survive garbage; and on the PoC
 * fixtures (tests/fixtures/python, found through $EMBARGO_SRC or the
 * current or parent directory) the capacity must reach 64 binary
 * digits, of which 32 must survive black and comment stripping.  That is
 * measured per site without an extractor: copy A has every symbol 0,
 * copy B differs in one site only, and the site survives when the two
 * still differ after both are reformatted (skipped without black).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "mark/lang.h"
#include "mark/pylex.h"
#include "common/emb.h"

#define BLACK "/usr/bin/black"

static const char *const fixtures[] = {
    "ssrf_probe.py", "pickle_gadget.py", "proto_fuzzer.py", "auth_bypass.py"};

static void
discover(struct mark_set *set, const char *src)
{
	mark_set_init(set, (const uint8_t *)src, strlen(src));
	assert_int_equal(mark_lang_python(set), 0);
	assert_int_equal(mark_set_finalize(set), 0);
}

static int
no_canary(size_t site, struct buf *out, void *arg)
{
	(void)site;
	(void)arg;
	return buf_append_str(out, "CANARY");
}

/* Render with every site at variant v0 except site `only` at v1. */
static char *
render_one(const struct mark_set *set, size_t only, unsigned v1)
{
	uint8_t *sym = calloc(set->nsites + 1, 1);
	struct buf out;
	char *s;

	assert_non_null(sym);
	if (only < set->nsites)
		sym[only] = (uint8_t)v1;
	buf_init(&out, 64u << 20);
	assert_int_equal(mark_render(set, sym, no_canary, NULL, &out), 0);
	assert_int_equal(buf_append(&out, "", 1), 0);
	s = (char *)buf_steal(&out, NULL);
	free(sym);
	return s;
}

/* The copy where the first site of a rule shows variant v. */
static char *
render_rule(const struct mark_set *set, const char *rule, unsigned v)
{
	for (size_t i = 0; i < set->nsites; i++)
		if (strcmp(set->sites[i].rule, rule) == 0)
			return render_one(set, i, v);
	fail_msg("no %s site", rule);
	return NULL;
}

static size_t
count_rule(const struct mark_set *set, const char *rule)
{
	size_t n = 0;

	for (size_t i = 0; i < set->nsites; i++)
		n += strcmp(set->sites[i].rule, rule) == 0;
	return n;
}

/* A rename site whose original name (variant 0) is name. */
static const struct mark_site *
rename_of(const struct mark_set *set, const char *name)
{
	for (size_t i = 0; i < set->nsites; i++) {
		const struct mark_site *s = &set->sites[i];
		struct mark_text t;
		if (strcmp(s->rule, "py.rename") != 0)
			continue;
		t = mark_site_text(set, s, 0, 0);
		if (t.n == strlen(name) && memcmp(t.p, name, t.n) == 0)
			return s;
	}
	return NULL;
}

static bool
variant_is(const struct mark_set *set, const struct mark_site *s, unsigned v,
    const char *text)
{
	struct mark_text t = mark_site_text(set, s, v, 0);

	return t.n == strlen(text) && memcmp(t.p, text, t.n) == 0;
}

/* ---- the tokenizer ---- */

static void
test_lexer(void **state)
{
	const char *src = "x = f'{a[\"k\"]!r:>{w}}' + rb'\\'' # c\n"
	                  "if x:\n\tpass\ny = (1,\n  2)\n";
	struct pylex_tok *t;
	size_t n, err;
	int kinds[64], k = 0;

	(void)state;
	assert_int_equal(
	    pylex_all((const uint8_t *)src, strlen(src), 1000, &t, &n, &err),
	    0);
	assert_int_equal(err, 0);
	for (size_t i = 0; i < n && k < 64; i++)
		kinds[k++] = t[i].kind;
	/* x = STRING + STRING COMMENT NEWLINE */
	assert_int_equal(kinds[0], PYLEX_NAME);
	assert_int_equal(kinds[2], PYLEX_STRING);
	assert_int_equal(t[2].len, strlen("f'{a[\"k\"]!r:>{w}}'"));
	assert_true(t[2].flags & PYLEX_STR_F);
	assert_int_equal(kinds[4], PYLEX_STRING);
	assert_int_equal(t[4].prefix, 2);
	assert_int_equal(kinds[5], PYLEX_COMMENT);
	assert_int_equal(kinds[6], PYLEX_NEWLINE);
	/* if x : NEWLINE INDENT pass NEWLINE DEDENT */
	assert_int_equal(kinds[10], PYLEX_NEWLINE);
	assert_int_equal(kinds[11], PYLEX_INDENT);
	assert_int_equal(kinds[13], PYLEX_NEWLINE);
	assert_int_equal(kinds[14], PYLEX_DEDENT);
	/* The newline inside the brackets is NL. */
	for (size_t i = 15; i < n; i++)
		if (t[i].kind == PYLEX_NL)
			assert_int_equal(t[i].depth, 1);
	free(t);

	/* Errors: unterminated strings, bad dedent, stray '$'. */
	const char *bad[] = {"x = 'abc\n", "x = '''abc\n",
	    "if x:\n    a\n  b\n", "a $ b\n", "f(\n", ")\n", "x = f'{\n"};
	for (size_t i = 0; i < EMB_ARRAY_LEN(bad); i++) {
		assert_int_equal(pylex_all((const uint8_t *)bad[i],
		                     strlen(bad[i]), 1000, &t, &n, &err),
		    0);
		assert_true(err > 0);
		free(t);
	}
}

static void
test_str_decode(void **state)
{
	uint32_t a[16], b[16];
	long na, nb;

	(void)state;
	na = pylex_str_decode(
	    (const uint8_t *)"\\x41\\n\\101", 10, false, a, 16);
	nb = pylex_str_decode((const uint8_t *)"A\\x0aA", 6, false, b, 16);
	assert_int_equal(na, 3);
	assert_int_equal(nb, 3);
	assert_memory_equal(a, b, sizeof(uint32_t) * 3);
	assert_int_equal(
	    pylex_str_decode((const uint8_t *)"\\N{DASH}", 8, false, a, 16),
	    -1);
	/* In bytes, \u is no escape. */
	assert_int_equal(
	    pylex_str_decode((const uint8_t *)"\\u0041", 6, true, a, 16), 6);
	assert_int_equal(
	    pylex_str_decode((const uint8_t *)"\\u0041", 6, false, a, 16), 1);
}

/* ---- py.rename ---- */

static void
test_rename(void **state)
{
	struct mark_set set;
	const struct mark_site *s;
	char *out;

	(void)state;
	discover(&set,
	    "def fetch(url):\n"
	    "    resp = get(url)\n"
	    "    return resp.text\n");
	s = rename_of(&set, "url");
	assert_non_null(s);
	assert_int_equal(s->nspans, 2);
	assert_true(s->q >= 2 && s->q <= 4);
	assert_true(variant_is(&set, s, 1, "uri"));
	assert_non_null(rename_of(&set, "resp"));
	out = render_rule(&set, "py.rename", 1);
	assert_string_equal(out,
	    "def fetch(uri):\n"
	    "    resp = get(uri)\n"
	    "    return resp.text\n");
	free(out);
	mark_set_fini(&set);

	/* Attributes, keyword names and fresh names. */
	discover(&set,
	    "def f(a):\n"
	    "    data = a.data\n"
	    "    g(data=data, payload=1)\n"
	    "    return data\n");
	s = rename_of(&set, "data");
	assert_non_null(s);
	assert_int_equal(s->nspans, 3); /* not .data, not data= */
	for (unsigned v = 1; v < s->q; v++)
		assert_false(variant_is(&set, s, v, "payload"));
	mark_set_fini(&set);

	/* A comprehension and a closure see the same local. */
	discover(&set,
	    "def f(items):\n"
	    "    count = 0\n"
	    "    xs = [count + i for i in items]\n"
	    "    g = lambda: count\n"
	    "    return xs, g\n");
	s = rename_of(&set, "count");
	assert_non_null(s);
	assert_int_equal(s->nspans, 3);
	mark_set_fini(&set);
}

static void
test_rename_refused(void **state)
{
	static const char *const cases[][2] = {
	    /* dynamic lookups disqualify the function */
	    {"def f():\n    url = 1\n    return eval('url')\n", "url"},
	    {"def f():\n    url = 1\n    return locals()\n", "url"},
	    {"def f():\n    url = 1\n    print(vars())\n", "url"},
	    {"def f():\n    url = 1\n    exec('print(url)')\n", "url"},
	    /* declarations */
	    {"def f():\n    global url\n    url = 1\n", "url"},
	    {"def f():\n    url = 1\n    def g():\n        nonlocal url\n"
	     "        url = 2\n    g()\n",
	        "url"},
	    {"def f():\n    url = 1\n    del url\n", "url"},
	    {"def f():\n    import url\n    return url\n", "url"},
	    /* strings that name it */
	    {"def f():\n    url = 1\n    return f'{url}'\n", "url"},
	    {"def f():\n    url = 1\n    return '{url}'.format_map(x)\n",
	        "url"},
	    {"def f():\n    url = 1\n    return '%(url)s' % d\n", "url"},
	    /* a parameter passed by keyword somewhere */
	    {"def f(url):\n    return url\nf(url=2)\n", "url"},
	    {"def f(url):\n    return url\nf(**{'url': 2})\n", "url"},
	    {"def f(url):\n    return url\nf(**json.load(fp))\n", "url"},
	    /* nested scopes rebinding it */
	    {"def f():\n    url = 1\n    def g(url):\n        return url\n"
	     "    return g(url)\n",
	        "url"},
	    {"def f():\n    url = 1\n    g = lambda url: url\n"
	     "    return g(url)\n",
	        "url"},
	    {"def f():\n    url = 1\n    class C:\n        url = 2\n"
	     "    return url\n",
	        "url"},
	    /* walrus */
	    {"def f():\n    if (url := g()):\n        return url\n"
	     "    url = 1\n",
	        "url"},
	    /* decorated: parameters are the decorator's business */
	    {"@app.route('/x')\ndef f(url):\n    return url\n", "url"},
	    /* self and *args stay */
	    {"class C:\n    def m(self):\n        self = 1\n", "self"},
	    {"def f(*args):\n    return args\n", "args"},
	    /* a method of a derived class keeps its parameters */
	    {"class H(Base):\n    def handle(self, data):\n"
	     "        return data\n",
	        "data"},
	    /* a name only read is a global */
	    {"def f():\n    return url\n", "url"},
	    /* frame introspection anywhere */
	    {"import sys\ndef f():\n    url = 1\n"
	     "    return sys._getframe().f_locals\n",
	        "url"},
	    /* class bodies are no function scope */
	    {"class C:\n    url = 1\n", "url"},
	    /* subscript and attribute targets bind nothing */
	    {"def f():\n    url[0] = 1\n    url.x = 2\n    return url\n",
	        "url"},
	};
	struct mark_set set;

	(void)state;
	for (size_t i = 0; i < EMB_ARRAY_LEN(cases); i++) {
		/*
		 * The name's first occurrence must keep its text (a nested
		 * function may still rename its own variable).
		 */
		const char *at = strstr(cases[i][0], cases[i][1]);
		discover(&set, cases[i][0]);
		assert_non_null(at);
		for (size_t k = 0; k < set.nsites; k++) {
			const struct mark_site *s = &set.sites[k];
			for (uint32_t j = 0; j < s->nspans; j++)
				if (set.spans[s->span0 + j].off ==
				        (uint32_t)(at - cases[i][0]) &&
				    strcmp(s->rule, "py.rename") == 0)
					fail_msg("case %zu renames %s:\n%s", i,
					    cases[i][1], cases[i][0]);
		}
		mark_set_fini(&set);
	}
}

static void
test_rename_private(void **state)
{
	struct mark_set set;
	const struct mark_site *s;

	(void)state;
	discover(&set,
	    "def _send_payload(x):\n    return x\n\n"
	    "def main():\n    _send_payload(1)\n"
	    "    t = Thread(target=_send_payload)\n");
	s = rename_of(&set, "_send_payload");
	assert_non_null(s);
	assert_int_equal(s->nspans, 3);
	assert_true(variant_is(&set, s, 1, "_transmit_payload"));
	mark_set_fini(&set);

	discover(
	    &set, "class _PacketBuilder:\n    pass\n\nx = _PacketBuilder()\n");
	s = rename_of(&set, "_PacketBuilder");
	assert_non_null(s);
	assert_true(variant_is(&set, s, 1, "_PktBuilder"));
	mark_set_fini(&set);

	static const char *const refused[] = {
	    "def _send_payload(x):\n    return x\nglobals()['_send_payload']\n",
	    "def _send_payload(x):\n    return x\nprint('_send_payload')\n",
	    "def _send_payload(x):\n    return x\nclass C:\n"
	    "    _send_payload = 1\n",
	    "from m import _send_payload\ndef _send_payload(x):\n    pass\n",
	    "import pickle\nclass _Payload:\n    pass\n",
	    "@register\ndef _send_payload(x):\n    return x\n",
	};
	for (size_t i = 0; i < EMB_ARRAY_LEN(refused); i++) {
		discover(&set, refused[i]);
		if (rename_of(&set, "_send_payload") != NULL ||
		    rename_of(&set, "_Payload") != NULL)
			fail_msg("case %zu renames:\n%s", i, refused[i]);
		mark_set_fini(&set);
	}
}

/* ---- py.kwarg-order ---- */

static void
test_kwarg_order(void **state)
{
	struct mark_set set;
	char *out;

	(void)state;
	discover(&set, "r = requests.get(url, timeout=5, verify=False)\n");
	assert_int_equal(count_rule(&set, "py.kwarg-order"), 1);
	out = render_rule(&set, "py.kwarg-order", 1);
	assert_string_equal(
	    out, "r = requests.get(url, verify=False, timeout=5)\n");
	free(out);
	mark_set_fini(&set);

	discover(
	    &set, "p.add_argument('-x', type=int, default=A.b, help='x')\n");
	assert_int_equal(count_rule(&set, "py.kwarg-order"), 1);
	for (size_t i = 0; i < set.nsites; i++)
		if (strcmp(set.sites[i].rule, "py.kwarg-order") == 0)
			assert_int_equal(set.sites[i].q, 6);
	mark_set_fini(&set);

	static const char *const refused[] = {
	    "r = requests.get(url, timeout=t(), verify=False)\n",
	    "r = requests.get(url, timeout=a[0], verify=False)\n",
	    "r = requests.get(url, timeout=5, **kw)\n",
	    "d = dict(a=1, b=2)\n",
	    "e = ET.SubElement(root, 'x', a='1', b='2')\n",
	    "def get(url, **kw):\n    pass\nget(1, a=1, b=2)\n",
	    "def f(a=1, b=2):\n    pass\n",
	    "x = unknown_call(a=1, b=2)\n",
	    "r = requests.get(url, timeout=f'{x}', verify=False)\n",
	};
	for (size_t i = 0; i < EMB_ARRAY_LEN(refused); i++) {
		discover(&set, refused[i]);
		if (count_rule(&set, "py.kwarg-order") != 0)
			fail_msg("case %zu reorders:\n%s", i, refused[i]);
		mark_set_fini(&set);
	}

	/* A callee defined here with named parameters is fine. */
	discover(&set,
	    "def probe(host, port=80, tls=False):\n    pass\n"
	    "probe('h', tls=True, port=443)\n");
	assert_int_equal(count_rule(&set, "py.kwarg-order"), 1);
	mark_set_fini(&set);
}

/* ---- literals ---- */

static void
test_int_literal(void **state)
{
	static const char *const cases[][3] = {
	    {"x = 1024\n", "1024", "0x400"},
	    {"x = 0xff\n", "0xff", "255"},
	    {"x = 0x10\n", "0x10", "16"},
	    {"x = 65535\n", "65535", "0xFFFF"},
	    {"x = 100000\n", "100000", "100_000"},
	    {"x = 0x41414141\n", "0x41414141", "0x4141_4141"},
	    {"x = 1_000_000\n", "1_000_000", "1000000"},
	};
	static const char *const none[] = {"x = 7001\n", "x = 5\n", "x = 1.5\n",
	    "x = 0o755\n", "x = 1e6\n", "x = 10j\n", "x = 'a1024'\n"};
	struct mark_set set;

	(void)state;
	for (size_t i = 0; i < EMB_ARRAY_LEN(cases); i++) {
		discover(&set, cases[i][0]);
		assert_int_equal(count_rule(&set, "py.int-literal"), 1);
		assert_true(variant_is(&set, &set.sites[0], 0, cases[i][1]));
		assert_true(variant_is(&set, &set.sites[0], 1, cases[i][2]));
		mark_set_fini(&set);
	}
	for (size_t i = 0; i < EMB_ARRAY_LEN(none); i++) {
		discover(&set, none[i]);
		if (count_rule(&set, "py.int-literal") != 0)
			fail_msg("marks %s", none[i]);
		mark_set_fini(&set);
	}
}

static void
test_str_escape(void **state)
{
	struct mark_set set;
	char *out;

	(void)state;
	discover(&set, "x = b'\\xde\\xad\\xbe\\xef'\n");
	assert_int_equal(count_rule(&set, "py.str-escape"), 1);
	out = render_rule(&set, "py.str-escape", 1);
	assert_string_equal(out, "x = b'\\xDE\\xAD\\xBE\\xEF'\n");
	free(out);
	mark_set_fini(&set);

	discover(&set, "x = b'\\x00\\x41\\x41'\n");
	assert_int_equal(count_rule(&set, "py.str-escape"), 1);
	out = render_rule(&set, "py.str-escape", 1);
	assert_string_equal(out, "x = b'\\x00AA'\n");
	free(out);
	mark_set_fini(&set);

	discover(&set, "x = b'\\x00\\x01\\r\\n'\n");
	out = render_rule(&set, "py.str-escape", 1);
	assert_string_equal(out, "x = b'\\x00\\x01\\x0d\\x0a'\n");
	free(out);
	mark_set_fini(&set);

	static const char *const none[] = {"x = '\\r\\n'\n", "x = r'\\x41'\n",
	    "x = f'\\x41{y}'\n", "x = '\\N{DASH}\\x41'\n", "x = 'abc'\n"};
	for (size_t i = 0; i < EMB_ARRAY_LEN(none); i++) {
		discover(&set, none[i]);
		if (count_rule(&set, "py.str-escape") != 0)
			fail_msg("marks %s", none[i]);
		mark_set_fini(&set);
	}
}

/* ---- py.expr ---- */

static void
test_expr(void **state)
{
	static const char *const cases[][2] = {
	    {"for i in range(0, n):\n    pass\n",
	        "for i in range(n):\n    pass\n"},
	    {"for i in range(n):\n    pass\n",
	        "for i in range(0, n):\n    pass\n"},
	    {"h = dict()\n", "h = {}\n"},
	    {"h = {}\n", "h = dict()\n"},
	    {"h = []\n", "h = list()\n"},
	    {"if not r.status == 200:\n    pass\n",
	        "if r.status != 200:\n    pass\n"},
	    {"if r.status != 200:\n    pass\n",
	        "if not r.status == 200:\n    pass\n"},
	    {"s = ''.join([c for c in x])\n", "s = ''.join(c for c in x)\n"},
	    {"s = ''.join(c for c in x)\n", "s = ''.join([c for c in x])\n"},
	    {"if m in ('GET', 'POST'):\n    pass\n",
	        "if m in ['GET', 'POST']:\n    pass\n"},
	    {"def f():\n    return None\n", "def f():\n    return\n"},
	    {"def f():\n    return\n", "def f():\n    return None\n"},
	    {"f = open(p, 'r')\n", "f = open(p)\n"},
	};
	static const char *const none[] = {
	    "range = xrange\nfor i in range(0, n):\n    pass\n",
	    "def dict():\n    pass\nh = dict()\n",
	    "h = [] = x\n",
	    "[] = x\n",
	    "for [] in x:\n    pass\n",
	    "exec('list = tuple')\nh = list()\n",
	    "from m import *\nh = dict()\n",
	    "if not r.status == f():\n    pass\n",
	    "async def f():\n    return\n",
	    "s = ''.join([c async for c in x])\n",
	    "f = open(p, 'rb')\n",
	    "if m in (x):\n    pass\n",
	    "y = m in (1, 2) + t\n",
	    "for x in (a, b), (c, d):\n    pass\n",
	    "y = m in (1, 2)[0]\n",
	};
	struct mark_set set;
	char *out;

	(void)state;
	for (size_t i = 0; i < EMB_ARRAY_LEN(cases); i++) {
		discover(&set, cases[i][0]);
		out = render_rule(&set, "py.expr", 1);
		if (strcmp(out, cases[i][1]) != 0)
			fail_msg("case %zu gives:\n%s", i, out);
		free(out);
		mark_set_fini(&set);
	}
	for (size_t i = 0; i < EMB_ARRAY_LEN(none); i++) {
		discover(&set, none[i]);
		if (count_rule(&set, "py.expr") != 0)
			fail_msg("case %zu marks:\n%s", i, none[i]);
		mark_set_fini(&set);
	}
}

/* ---- py.reorder ---- */

static void
test_reorder(void **state)
{
	struct mark_set set;
	char *out;

	(void)state;
	discover(&set, "A = 1\nB = 'x'\nC = (1, 2)\nD = A\n");
	assert_int_equal(count_rule(&set, "py.reorder"), 1);
	out = render_rule(&set, "py.reorder", 5);
	assert_string_equal(out, "C = (1, 2)\nB = 'x'\nA = 1\nD = A\n");
	free(out);
	mark_set_fini(&set);

	discover(&set,
	    "def a(x=1):\n    return b()\n\n\n"
	    "def b():\n    return 2\n\n\nclass C(Exception):\n"
	    "    pass\n");
	assert_int_equal(count_rule(&set, "py.reorder"), 1);
	mark_set_fini(&set);

	static const char *const none[] = {
	    "A = 1\nA = 2\n", /* same name */
	    "A = 1\n\nB = 2\n", /* a blank line between */
	    "A = 1\n# b\nB = 2\n", /* a comment between */
	    "A = f()\nB = 2\n", /* a call */
	    "class E:\n    A = 1\n    B = 2\n", /* class attributes */
	    "A = 1\nB = 2\nprint(globals())\n",
	    "def a(x=g()):\n    pass\n\n\ndef b():\n    pass\n",
	    "def a(x: T):\n    pass\n\n\ndef b():\n    pass\n",
	    "class A:\n    pass\n\n\nclass B(A):\n    pass\n",
	    "class A(Model):\n    pass\n\n\nclass B(Model):\n    pass\n",
	    "@dec\ndef a():\n    pass\n\n\ndef b():\n    pass\n",
	    "def a():\n    pass\n\n# b\n\ndef b():\n    pass\n",
	    "class A:\n    x = f()\n\n\ndef b():\n    pass\n",
	};
	for (size_t i = 0; i < EMB_ARRAY_LEN(none); i++) {
		discover(&set, none[i]);
		if (count_rule(&set, "py.reorder") != 0)
			fail_msg("case %zu reorders:\n%s", i, none[i]);
		mark_set_fini(&set);
	}
}

/* ---- fragile rules ---- */

static void
test_fragile(void **state)
{
	struct mark_set set;
	char *out;

	(void)state;
	discover(&set,
	    "import os\nimport sys\n\n# Send the payload\n"
	    "x = 'a'  \ny = '''\n  \n'''\n");
	assert_int_equal(count_rule(&set, "py.import-order"), 1);
	assert_int_equal(count_rule(&set, "py.comment"), 1);
	assert_int_equal(count_rule(&set, "py.quote"), 1);
	for (size_t i = 0; i < set.nsites; i++)
		if (strcmp(set.sites[i].rule, "py.reorder") != 0)
			assert_int_equal(set.sites[i].kind, MARK_FRAGILE);
	out = render_rule(&set, "py.comment", 1);
	assert_non_null(strstr(out, "# Transmit the payload\n"));
	free(out);
	out = render_rule(&set, "py.quote", 1);
	assert_non_null(strstr(out, "x = \"a\"  \n"));
	free(out);
	/* The whitespace inside the triple-quoted string is no site. */
	for (size_t i = 0; i < set.nsites; i++) {
		const struct mark_span *sp = &set.spans[set.sites[i].span0];
		assert_false(sp->off >= 58 && sp->off < 62 &&
		    strcmp(set.sites[i].rule, "py.trailing-ws") == 0);
	}
	mark_set_fini(&set);

	discover(&set, "import os\n\n\ndef f():\n    pass\n");
	out = render_rule(&set, "py.blank-lines", 1);
	assert_string_equal(out, "import os\n\ndef f():\n    pass\n");
	free(out);
	mark_set_fini(&set);

	/* Quotes next to quotes: ''"x" must not become """x". */
	discover(&set, "x = ''\"x\"\n");
	assert_int_equal(count_rule(&set, "py.quote"), 0);
	mark_set_fini(&set);

	/* Not: a future import, a star import, a third-party module. */
	discover(&set,
	    "from __future__ import x\nimport os\nfrom a import *\n"
	    "import gevent\nimport sys\n# noqa: send\n");
	assert_int_equal(count_rule(&set, "py.import-order"), 0);
	assert_int_equal(count_rule(&set, "py.comment"), 0);
	mark_set_fini(&set);
}

/* ---- robustness ---- */

static void
discover_any(const uint8_t *p, size_t n)
{
	struct mark_set set;
	uint8_t *sym;
	struct buf out;

	mark_set_init(&set, p, n);
	assert_true(mark_lang_python(&set) >= 0);
	assert_int_equal(mark_set_finalize(&set), 0);
	sym = malloc(set.nsites + 1);
	assert_non_null(sym);
	for (size_t i = 0; i < set.nsites; i++)
		sym[i] = (uint8_t)(i * 7 + 3);
	buf_init(&out, 256u << 20);
	assert_int_equal(mark_render(&set, sym, no_canary, NULL, &out), 0);
	buf_fini(&out);
	free(sym);
	mark_set_fini(&set);
}

static char *
read_fixture(const char *name, size_t *ret_n)
{
	const char *bases[] = {
	    getenv("EMBARGO_SRC"),
	    ".",
	    "..",
	    "../..",
#ifdef EMB_SRCDIR
	    EMB_SRCDIR,
#endif
	};
	char path[4096];
	struct buf b;

	for (size_t i = 0; i < EMB_ARRAY_LEN(bases); i++) {
		if (bases[i] == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/tests/fixtures/python/%s",
		    bases[i], name);
		buf_init(&b, 1u << 20);
		if (buf_read_file(&b, path) == 0 && b.len > 0) {
			assert_int_equal(buf_append(&b, "", 1), 0);
			b.len--;
			*ret_n = b.len;
			return (char *)buf_steal(&b, NULL);
		}
		buf_fini(&b);
	}
	return NULL;
}

static void
test_garbage(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15u;
	uint8_t *p = malloc(1u << 20);
	const char *frags[] = {"def f(", "'''", "f'{", "if x:\n\tpass\n  y\n",
	    "@@mark:a|b@@", "class", "lambda", "("};

	(void)state;
	assert_non_null(p);
	/* Random bytes, and random bytes drawn from Python's alphabet. */
	for (int round = 0; round < 300; round++) {
		size_t n = (size_t)(round * 37 % 2000) + 1;
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			p[i] = round % 2
			    ? (uint8_t)x
			    : (uint8_t) " \n\t()[]{}:=.,'\"#\\fdefx_1"
			                "classlambdaimportr"[x % 36];
		}
		discover_any(p, n);
	}
	/* Pieces of Python glued at random. */
	for (int round = 0; round < 200; round++) {
		size_t n = 0;
		for (int k = 0; k < 20; k++) {
			const char *f;
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			f = frags[x % EMB_ARRAY_LEN(frags)];
			memcpy(p + n, f, strlen(f));
			n += strlen(f);
			p[n++] = (x >> 8) % 3 ? ' ' : '\n';
		}
		discover_any(p, n);
	}
	/* Every prefix of a fixture (a truncated file). */
	{
		size_t n;
		char *fx = read_fixture("ssrf_probe.py", &n);
		if (fx != NULL) {
			for (size_t k = 0; k < n; k += 97)
				discover_any((const uint8_t *)fx, k);
			free(fx);
		}
	}
	/* Deep brackets, a 1 MB line, deep indentation. */
	memset(p, '(', 100000);
	discover_any(p, 100000);
	for (size_t i = 0; i < 100000; i++)
		p[i] = i < 50000 ? '[' : ']';
	discover_any(p, 100000);
	memcpy(p, "x = ", 4);
	memset(p + 4, 'a', (1u << 20) - 5);
	p[(1u << 20) - 1] = '\n';
	discover_any(p, 1u << 20);
	{
		size_t n = 0;
		for (int d = 0; d < 150 && n < 60000; d++) {
			memset(p + n, ' ', (size_t)d);
			n += (size_t)d;
			memcpy(p + n, "if x:\n", 6);
			n += 6;
		}
		discover_any(p, n);
	}
	free(p);
}

static void
test_deterministic(void **state)
{
	struct mark_set a, b;
	size_t n;
	char *fx;

	(void)state;
	if ((fx = read_fixture("proto_fuzzer.py", &n)) == NULL)
		skip();
	discover(&a, fx);
	discover(&b, fx);
	assert_int_equal(a.nsites, b.nsites);
	assert_int_equal(a.nspans, b.nspans);
	assert_memory_equal(a.spans, b.spans, a.nspans * sizeof(*a.spans));
	for (size_t i = 0; i < a.nsites; i++) {
		assert_int_equal(a.sites[i].q, b.sites[i].q);
		assert_string_equal(a.sites[i].rule, b.sites[i].rule);
	}
	mark_set_fini(&a);
	mark_set_fini(&b);
	free(fx);
}

/* ---- capacity and survival on the fixtures ---- */

/* Drop comments (the tokenizer knows where they are). */
static char *
strip_comments(const char *s)
{
	struct pylex_tok *t;
	size_t n, err, len = strlen(s), k = 0, pos = 0;
	char *out = malloc(len + 1);

	assert_non_null(out);
	assert_int_equal(
	    pylex_all((const uint8_t *)s, len, 1u << 22, &t, &n, &err), 0);
	for (size_t i = 0; i < n; i++) {
		if (t[i].kind != PYLEX_COMMENT)
			continue;
		memcpy(out + k, s + pos, t[i].off - pos);
		k += t[i].off - pos;
		pos = t[i].off + t[i].len;
	}
	memcpy(out + k, s + pos, len - pos);
	out[k + len - pos] = '\0';
	free(t);
	return out;
}

static void
write_file(const char *dir, size_t idx, const char *text)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/c%05zu.py", dir, idx);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static char *
read_back(const char *dir, size_t idx)
{
	char path[4200];
	struct buf b;

	snprintf(path, sizeof(path), "%s/c%05zu.py", dir, idx);
	buf_init(&b, 16u << 20);
	assert_int_equal(buf_read_file(&b, path), 0);
	assert_int_equal(buf_append(&b, "", 1), 0);
	return (char *)buf_steal(&b, NULL);
}

/*
 * How many variants of a site to reformat: all of them where two
 * spellings might coincide after black (literals), else just variant 1:
 * black never touches names, order or brackets, so any two variants of
 * those differ after it as soon as one does (the unit tests of each
 * rule check that variants are distinct texts).
 */
static unsigned
variants(const struct mark_site *s)
{
	if (strcmp(s->rule, "py.int-literal") == 0 ||
	    strcmp(s->rule, "py.str-escape") == 0)
		return s->q;
	return 2;
}

struct fixture_run {
	struct mark_set set;
	char *text;
	size_t *first; /* first file of each site's variants */
	double bits, robust, kept;
};

static void
test_capacity(void **state)
{
	struct fixture_run runs[EMB_ARRAY_LEN(fixtures)];
	bool have_black = access(BLACK, X_OK) == 0;
	char dir[] = "/tmp/embargo-pyXXXXXX", cmd[256];
	size_t nfiles = 0;

	(void)state;
	memset(runs, 0, sizeof(runs));
	assert_non_null(mkdtemp(dir));
	/* Capacity, and the copies to reformat, for every fixture. */
	for (size_t f = 0; f < EMB_ARRAY_LEN(fixtures); f++) {
		struct fixture_run *fr = &runs[f];
		size_t n;
		char *c, *st;

		if ((fr->text = read_fixture(fixtures[f], &n)) == NULL)
			skip();
		discover(&fr->set, fr->text);
		for (size_t i = 0; i < fr->set.nsites; i++) {
			const struct mark_site *s = &fr->set.sites[i];
			if (s->q < 2)
				continue;
			fr->bits += log2(s->q);
			if (s->kind == MARK_ROBUST)
				fr->robust += log2(s->q);
		}
		if (fr->bits < 64 || fr->robust < 32)
			fail_msg("%s: %.1f bits (%.1f robust)", fixtures[f],
			    fr->bits, fr->robust);
		fr->first = calloc(fr->set.nsites + 1, sizeof(size_t));
		assert_non_null(fr->first);
		/* Copy A (every site 0) comes first. */
		fr->first[fr->set.nsites] = nfiles;
		c = render_one(&fr->set, SIZE_MAX, 0);
		st = strip_comments(c);
		write_file(dir, nfiles++, st);
		free(st);
		free(c);
		for (size_t i = 0; i < fr->set.nsites; i++) {
			const struct mark_site *s = &fr->set.sites[i];
			fr->first[i] = nfiles;
			if (s->q < 2 ||
			    (s->kind != MARK_ROBUST &&
			        s->shape != MARK_PERMUTE))
				continue;
			for (unsigned v = 1; v < variants(s); v++) {
				c = render_one(&fr->set, i, v);
				st = strip_comments(c);
				write_file(dir, nfiles++, st);
				free(st);
				free(c);
			}
		}
	}
	/* One black run over all copies; then count what still differs. */
	snprintf(cmd, sizeof(cmd), "%s -q --fast %s", BLACK, dir);
	if (have_black)
		assert_int_equal(system(cmd), 0);
	for (size_t f = 0; f < EMB_ARRAY_LEN(fixtures) && have_black; f++) {
		struct fixture_run *fr = &runs[f];
		char *norm0 = read_back(dir, fr->first[fr->set.nsites]);

		for (size_t i = 0; i < fr->set.nsites; i++) {
			const struct mark_site *s = &fr->set.sites[i];
			char *seen[MARK_Q_MAX];
			size_t distinct = 1;
			if (s->q < 2 ||
			    (s->kind != MARK_ROBUST &&
			        s->shape != MARK_PERMUTE))
				continue;
			seen[0] = norm0;
			for (unsigned v = 1; v < variants(s); v++) {
				char *c = read_back(dir, fr->first[i] + v - 1);
				bool dup = false;
				for (size_t k = 0; k < distinct && !dup; k++)
					dup = strcmp(seen[k], c) == 0;
				if (dup)
					free(c);
				else
					seen[distinct++] = c;
			}
			if (distinct < variants(s) && s->kind == MARK_ROBUST)
				print_message("%s: site %zu (%s) keeps %zu of "
				              "%u variants\n",
				    fixtures[f], i, s->rule, distinct,
				    variants(s));
			/*
			 * Renamings and permutations cannot merge variants
			 * under black once the first one survives.
			 */
			if (variants(s) == 2 && distinct == 2)
				fr->kept += log2(s->q);
			else
				fr->kept += log2((double)distinct);
			for (size_t k = 1; k < distinct; k++)
				free(seen[k]);
		}
		free(norm0);
		print_message("%s: %.1f bits, %.1f robust, %.1f survive "
		              "black\n",
		    fixtures[f], fr->bits, fr->robust, fr->kept);
		if (fr->kept < 32)
			fail_msg("%s: only %.1f bits survive black",
			    fixtures[f], fr->kept);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	for (size_t f = 0; f < EMB_ARRAY_LEN(fixtures); f++) {
		mark_set_fini(&runs[f].set);
		free(runs[f].first);
		free(runs[f].text);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lexer),
	    cmocka_unit_test(test_str_decode),
	    cmocka_unit_test(test_rename),
	    cmocka_unit_test(test_rename_refused),
	    cmocka_unit_test(test_rename_private),
	    cmocka_unit_test(test_kwarg_order),
	    cmocka_unit_test(test_int_literal),
	    cmocka_unit_test(test_str_escape),
	    cmocka_unit_test(test_expr),
	    cmocka_unit_test(test_reorder),
	    cmocka_unit_test(test_fragile),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_capacity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
