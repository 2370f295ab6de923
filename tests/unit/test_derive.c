#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "common/buf.h"
#include "trace/derive.h"
#include "trace/tokens.h"
#include "common/emb.h"

#ifndef EMB_FIXTURES
#define EMB_FIXTURES "tests/fixtures"
#endif

#define TEXT_MAX (4u << 20)

/* The PoC-like artifacts, indexed in this order. */
static const struct {
	const char *file;
	enum mark_lang lang;
	const char *unrelated; /* a file of the same language, not derived */
} pocs[] = {
    {"proxylogon_poc.py", MARK_LANG_PYTHON, "unrelated_backup.py"},
    {"heap_overflow.c", MARK_LANG_C, "unrelated_ring.c"},
    {"fetch_payload.sh", MARK_LANG_SHELL, "unrelated_rotate.sh"},
    {"exchange_check.ps1", MARK_LANG_POWERSHELL, NULL},
};

/* Fixtures under $EMBARGO_SRC/tests/fixtures, else EMB_FIXTURES. */
static struct buf
fixture(const char *name)
{
	struct buf b;
	char path[1024];
	const char *src = getenv("EMBARGO_SRC");

	buf_init(&b, TEXT_MAX);
	if (src != NULL)
		snprintf(path, sizeof(path), "%s/tests/fixtures/derive/%s", src,
		    name);
	else
		snprintf(
		    path, sizeof(path), "%s/derive/%s", EMB_FIXTURES, name);
	if (buf_read_file(&b, path) < 0)
		fail_msg("cannot read fixture %s", path);
	return b;
}

static struct buf
text_new(void)
{
	struct buf b;

	buf_init(&b, TEXT_MAX);
	return b;
}

static void
put(struct buf *b, const void *p, size_t n)
{
	assert_int_equal(buf_append(b, p, n), 0);
}

/* Pointer to line i (0-based) of b and its length with the newline. */
static size_t
nlines(const struct buf *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->len; i++)
		n += b->data[i] == '\n';
	return n + (b->len > 0 && b->data[b->len - 1] != '\n');
}

static const uint8_t *
line_at(const struct buf *b, size_t idx, size_t *len)
{
	size_t i = 0, l = 0;

	while (l < idx && i < b->len) {
		if (b->data[i++] == '\n')
			l++;
	}
	*len = 0;
	while (i + *len < b->len && b->data[i + *len] != '\n')
		(*len)++;
	if (i + *len < b->len)
		(*len)++;
	return b->data + i;
}

static bool
is_comment_line(const uint8_t *p, size_t n, enum mark_lang lang, size_t idx)
{
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i == n || p[i] == '\n')
		return true; /* blank: dropped too */
	if (lang == MARK_LANG_C)
		return i + 1 < n && p[i] == '/' && p[i + 1] == '/';
	return p[i] == '#' && !(idx == 0 && i + 1 < n && p[i + 1] == '!');
}

/*
 * Reformat: drop comment and blank lines, re-indent with tabs, put
 * spaces after commas and around '=' outside quotes (not in shell, where
 * that changes words), turn Python's simple single-quoted strings into
 * double-quoted ones, put C's opening braces on their own line.
 */
static struct buf
reformat(const struct buf *in, enum mark_lang lang)
{
	struct buf out = text_new();
	size_t n = nlines(in);

	for (size_t l = 0; l < n; l++) {
		size_t len, i = 0, depth = 0;
		const uint8_t *p = line_at(in, l, &len);
		uint8_t quote = 0;

		if (is_comment_line(p, len, lang, l))
			continue;
		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			depth += p[i++] == '\t' ? 8 : 1;
		for (size_t d = 0; d < depth / 4; d++)
			put(&out, "\t", 1);
		for (; i < len; i++) {
			uint8_t c = p[i];

			if (quote != 0) {
				if (c == '\\' && i + 1 < len) {
					put(&out, p + i, 2);
					i++;
					continue;
				}
				if (c == quote) {
					quote = 0;
					if (lang == MARK_LANG_PYTHON &&
					    c == '\'')
						c = '"';
				}
				put(&out, &c, 1);
				continue;
			}
			if (c == '"' || c == '\'') {
				quote = c;
				if (lang == MARK_LANG_PYTHON && c == '\'' &&
				    memchr(p + i + 1, '"', len - i - 1) ==
				        NULL &&
				    !(i + 2 < len && p[i + 1] == '\'' &&
				        p[i + 2] == '\''))
					c = '"';
				else if (c == '\'' && lang == MARK_LANG_PYTHON)
					quote = '\'';
				put(&out, &c, 1);
				continue;
			}
			if (c == '#' && lang != MARK_LANG_C)
				break; /* trailing comment */
			if (lang == MARK_LANG_SHELL) {
				put(&out, &c, 1);
				continue;
			}
			if (c == ',')
				put(&out, ", ", 2);
			else if (c == '=' && lang != MARK_LANG_POWERSHELL &&
			    i + 1 < len && p[i + 1] != '=' && i > 0 &&
			    strchr("=!<>+-*/%&|^:", p[i - 1]) == NULL)
				put(&out, " = ", 3);
			else if (c == '{' && lang == MARK_LANG_C &&
			    i + 1 < len && p[i + 1] == '\n')
				put(&out, "\n{", 2);
			else
				put(&out, &c, 1);
		}
		if (out.len == 0 || out.data[out.len - 1] != '\n')
			put(&out, "\n", 1);
	}
	return out;
}

/* Rename every identifier consistently (sigils kept). */
static struct buf
rename_all(const struct buf *in, enum mark_lang lang)
{
	struct buf out = text_new();
	struct trace_tokens t;
	char names[512][64];
	size_t nnames = 0, pos = 0;

	assert_int_equal(trace_tokens_scan(lang, in->data, in->len, &t), 0);
	for (size_t i = 0; i < t.n; i++) {
		const struct trace_tok *k = &t.v[i];
		const char *s = (const char *)in->data + k->off;
		size_t a = 0, b = k->len, idx;
		char repl[80];

		if (k->type != TRACE_TOK_IDENT)
			continue;
		if (s[0] == '$')
			a = s[1] == '{' ? 2 : 1;
		if (b > a && s[b - 1] == '}')
			b--;
		if (b - a == 0 || b - a >= 64 || memchr(s + a, ':', b - a))
			continue;
		for (idx = 0; idx < nnames; idx++)
			if (strlen(names[idx]) == b - a &&
			    memcmp(names[idx], s + a, b - a) == 0)
				break;
		if (idx == nnames) {
			assert_true(nnames < 512);
			memcpy(names[nnames], s + a, b - a);
			names[nnames++][b - a] = '\0';
		}
		put(&out, in->data + pos, k->off + a - pos);
		snprintf(repl, sizeof(repl), "zz_renamed_%zu", idx);
		put(&out, repl, strlen(repl));
		pos = k->off + b;
	}
	put(&out, in->data + pos, in->len - pos);
	trace_tokens_fini(&t);
	return out;
}

/* Lines [from, from + frac * n) of the text. */
static struct buf
partial(const struct buf *in, double from, double frac)
{
	struct buf out = text_new();
	size_t n = nlines(in), a = (size_t)(from * n),
	       m = (size_t)(frac * n + 0.5);

	for (size_t l = a; l < a + m && l < n; l++) {
		size_t len;
		const uint8_t *p = line_at(in, l, &len);

		put(&out, p, len);
	}
	return out;
}

/* Occurrences of """ in n bytes at p. */
static size_t
triples(const uint8_t *p, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i + 2 < n; i++)
		if (p[i] == '"' && p[i + 1] == '"' && p[i + 2] == '"') {
			c++;
			i += 2;
		}
	return c;
}

/*
 * Reorder: the top-level blocks (split at blank lines followed by an
 * unindented line, not inside a Python docstring) after the first, in
 * reverse order.
 */
static struct buf
reorder(const struct buf *in)
{
	struct buf out = text_new();
	size_t starts[256], nb = 0, n = nlines(in), open = 0;

	starts[nb++] = 0;
	for (size_t l = 1; l < n && nb < 255; l++) {
		size_t len, len2;
		const uint8_t *p = line_at(in, l - 1, &len);
		const uint8_t *q = line_at(in, l, &len2);

		open += triples(p, len);
		if (len <= 1 && open % 2 == 0 && len2 > 1 && q[0] != ' ' &&
		    q[0] != '\t' && q[0] != '}' && q[0] != ')')
			starts[nb++] = l;
	}
	starts[nb] = n;
	for (size_t bl = 0; bl < nb; bl++) {
		size_t k = bl == 0 ? 0 : nb - bl;

		for (size_t l = starts[k]; l < starts[k + 1]; l++) {
			size_t len;
			const uint8_t *p = line_at(in, l, &len);

			put(&out, p, len);
		}
		put(&out, "\n", 1);
	}
	return out;
}

/*
 * A larger program of the same language: the unrelated fixture (if any)
 * and a few hundred lines of generated, varied code, with the text pasted
 * in the middle.
 */
static struct buf
embed(const struct buf *in, enum mark_lang lang, const char *unrelated)
{
	struct buf out = text_new(), host = text_new();
	uint64_t x = 0x853c49e6748fea9bULL;

	if (unrelated != NULL) {
		struct buf u = fixture(unrelated);

		put(&host, u.data, u.len);
		buf_fini(&u);
	}
	for (int f = 0; f < 40; f++) {
		char tmp[512];
		int w;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		switch (lang) {
		case MARK_LANG_PYTHON:
			w = snprintf(tmp, sizeof(tmp),
			    "\ndef step_%d(items, limit=%d):\n"
			    "    out = []\n"
			    "    for %s in items[:limit]:\n"
			    "        if %s %% %d %s 0:\n"
			    "            out.append((%s, len(out)))\n"
			    "%s"
			    "    return out\n",
			    f, (int)(x % 90), x & 1 ? "v" : "it",
			    x & 1 ? "v" : "it", 2 + (int)(x % 7),
			    x & 2 ? "==" : "!=", x & 1 ? "v" : "it",
			    x & 4 ? "        else:\n            break\n"
			          : "    out.sort()\n");
			break;
		case MARK_LANG_C:
			w = snprintf(tmp, sizeof(tmp),
			    "\nstatic int\nstep_%d(const int *v, size_t n)\n{\n"
			    "\tint acc = %d;\n\n"
			    "\tfor (size_t i = 0; i < n; i++)\n"
			    "\t\tacc %s v[i] * %d;\n"
			    "%s"
			    "\treturn acc;\n}\n",
			    f, (int)(x % 50),
			    x & 1 ? "+=" : "^=", (int)(x % 13),
			    x & 2 ? "\tif (acc < 0)\n\t\tacc = -acc;\n" : "");
			break;
		case MARK_LANG_SHELL:
			w = snprintf(tmp, sizeof(tmp),
			    "\nstep_%d() {\n\tcount=0\n"
			    "\tfor f in \"$@\"; do\n"
			    "\t\t[ -%c \"$f\" ] && count=$((count + %d))\n"
			    "\tdone\n%s\techo \"$count\"\n}\n",
			    f, x & 1 ? 'f' : 'd', (int)(x % 9),
			    x & 2 ? "\tlogger -t step \"$count\"\n" : "");
			break;
		default:
			w = snprintf(tmp, sizeof(tmp),
			    "\nfunction Step-%d([int[]]$Items) {\n"
			    "    $acc = %d\n"
			    "    foreach ($i in $Items) { $acc %s $i }\n"
			    "%s"
			    "    return $acc\n}\n",
			    f, (int)(x % 50), x & 1 ? "+=" : "-=",
			    x & 2 ? "    Write-Verbose \"acc $acc\"\n" : "");
			break;
		}
		assert_true(w > 0 && (size_t)w < sizeof(tmp));
		put(&host, tmp, (size_t)w);
		if (f == 20)
			put(&host, in->data, in->len);
	}
	put(&out, host.data, host.len);
	buf_fini(&host);
	return out;
}

struct fixture_state {
	struct trace_index *ix;
	struct buf texts[EMB_ARRAY_LEN(pocs)];
};

static int
setup(void **state)
{
	struct fixture_state *fs = calloc(1, sizeof(*fs));

	if (fs == NULL || trace_index_new(&fs->ix) < 0)
		return -1;
	for (size_t i = 0; i < EMB_ARRAY_LEN(pocs); i++) {
		fs->texts[i] = fixture(pocs[i].file);
		if (trace_index_add(fs->ix, pocs[i].file, pocs[i].lang,
		        fs->texts[i].data, fs->texts[i].len) != (int)i)
			return -1;
	}
	*state = fs;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture_state *fs = *state;

	for (size_t i = 0; i < EMB_ARRAY_LEN(pocs); i++)
		buf_fini(&fs->texts[i]);
	trace_index_free(fs->ix);
	free(fs);
	return 0;
}

/* The derivation of artifact doc in r, or NULL. */
static const struct trace_derivation *
find(const struct trace_derive_result *r, size_t doc)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].doc == doc)
			return &r->v[i];
	return NULL;
}

static void
check_ranges(const struct trace_derivation *d, size_t art_len, size_t smp_len)
{
	for (size_t i = 0; i < d->nranges; i++) {
		const struct trace_range *g = &d->ranges[i];

		assert_true(g->art_len > 0 && g->smp_len > 0);
		assert_true((size_t)g->art_off + g->art_len <= art_len);
		assert_true((size_t)g->smp_off + g->smp_len <= smp_len);
		if (i > 0)
			assert_true(g->art_off >= d->ranges[i - 1].art_off);
	}
}

/*
 * Query sample (in lang, or auto) and check that exactly artifact want
 * is derived (want < 0: nothing is).  Returns the derivation of want.
 */
static struct trace_derivation
expect_derived(struct fixture_state *fs, const struct buf *sample,
    enum mark_lang lang, int want, const char *what)
{
	struct trace_derive_result r;
	struct trace_derivation out = {0};

	assert_int_equal(
	    trace_index_query(fs->ix, sample->data, sample->len, lang, &r), 0);
	for (size_t i = 0; i < r.n; i++) {
		const struct trace_derivation *d = &r.v[i];

		if (d->derived != ((int)d->doc == want))
			fail_msg("%s: artifact %s derived=%d (shared %u aligned"
			         " %u of %u/%u)",
			    what, d->name, d->derived, d->shared, d->aligned,
			    d->art_fps, d->smp_fps);
		check_ranges(d, fs->texts[d->doc].len, sample->len);
	}
	if (want >= 0) {
		const struct trace_derivation *d = find(&r, (size_t)want);

		if (d == NULL)
			fail_msg("%s: nothing shared", what);
		assert_true(d->nranges > 0);
		out = *d;
		out.ranges = NULL;
	}
	trace_derive_result_fini(&r);
	return out;
}

static void
test_verbatim(void **state)
{
	struct fixture_state *fs = *state;

	for (size_t i = 0; i < EMB_ARRAY_LEN(pocs); i++) {
		struct trace_derive_result r;
		const struct trace_derivation *d;

		assert_int_equal(trace_index_query(fs->ix, fs->texts[i].data,
		                     fs->texts[i].len, pocs[i].lang, &r),
		    0);
		d = find(&r, i);
		assert_non_null(d);
		assert_true(d->derived);
		assert_true(d->art_fps > 20);
		assert_int_equal(d->shared, d->art_fps);
		assert_true(d->art_contained == 1.0);
		assert_true(d->smp_contained == 1.0);
		assert_int_equal(d->literals, d->art_lits);
		assert_string_equal(d->name, pocs[i].file);
		assert_int_equal(d->lang, pocs[i].lang);
		/* verbatim: passages line up byte for byte */
		for (size_t k = 0; k < d->nranges; k++)
			assert_int_equal(
			    d->ranges[k].art_off, d->ranges[k].smp_off);
		assert_true(r.v[0].doc == i); /* derived ones first */
		trace_derive_result_fini(&r);
	}
}

static void
test_transformations(void **state)
{
	struct fixture_state *fs = *state;
	char what[128];

	for (size_t i = 0; i < EMB_ARRAY_LEN(pocs); i++) {
		const struct buf *poc = &fs->texts[i];
		enum mark_lang lang = pocs[i].lang;
		struct buf s, t;
		struct trace_derivation d;

		snprintf(what, sizeof(what), "%s reformatted", pocs[i].file);
		s = reformat(poc, lang);
		d = expect_derived(fs, &s, lang, (int)i, what);
		assert_true(d.art_contained > 0.7);
		buf_fini(&s);

		snprintf(what, sizeof(what), "%s renamed", pocs[i].file);
		s = rename_all(poc, lang);
		d = expect_derived(fs, &s, lang, (int)i, what);
		assert_true(d.art_contained > 0.9);
		buf_fini(&s);

		snprintf(
		    what, sizeof(what), "%s renamed+reformatted", pocs[i].file);
		t = rename_all(poc, lang);
		s = reformat(&t, lang);
		(void)expect_derived(fs, &s, lang, (int)i, what);
		buf_fini(&s);
		buf_fini(&t);

		snprintf(what, sizeof(what), "%s reordered", pocs[i].file);
		s = reorder(poc);
		(void)expect_derived(fs, &s, lang, (int)i, what);
		buf_fini(&s);

		snprintf(
		    what, sizeof(what), "%s reordered+renamed", pocs[i].file);
		t = reorder(poc);
		s = rename_all(&t, lang);
		(void)expect_derived(fs, &s, lang, (int)i, what);
		buf_fini(&s);
		buf_fini(&t);

		snprintf(what, sizeof(what), "%s embedded", pocs[i].file);
		s = embed(poc, lang, pocs[i].unrelated);
		d = expect_derived(fs, &s, lang, (int)i, what);
		assert_true(d.art_contained > 0.9);
		assert_true(d.smp_contained < 0.8);
		buf_fini(&s);

		snprintf(
		    what, sizeof(what), "%s renamed, embedded", pocs[i].file);
		t = rename_all(poc, lang);
		s = embed(&t, lang, pocs[i].unrelated);
		(void)expect_derived(fs, &s, lang, (int)i, what);
		buf_fini(&s);
		buf_fini(&t);

		/* the same, without telling the language */
		snprintf(what, sizeof(what), "%s renamed (auto)", pocs[i].file);
		s = rename_all(poc, lang);
		(void)expect_derived(fs, &s, TRACE_LANG_AUTO, (int)i, what);
		buf_fini(&s);
	}
}

/* 30% to 50% of the lines, from several places, alone or embedded. */
static void
test_partial(void **state)
{
	struct fixture_state *fs = *state;
	static const double fracs[] = {0.30, 0.40, 0.50};
	static const double froms[] = {0.05, 0.25, 0.45};
	char what[128];

	for (size_t i = 0; i < EMB_ARRAY_LEN(pocs); i++) {
		for (size_t f = 0; f < EMB_ARRAY_LEN(fracs); f++) {
			for (size_t o = 0; o < EMB_ARRAY_LEN(froms); o++) {
				enum mark_lang lang = pocs[i].lang;
				struct buf s, t, u;

				if (froms[o] + fracs[f] > 1.0)
					continue;
				snprintf(what, sizeof(what),
				    "%s %.0f%% from %.0f%%", pocs[i].file,
				    100 * fracs[f], 100 * froms[o]);
				s = partial(&fs->texts[i], froms[o], fracs[f]);
				(void)expect_derived(
				    fs, &s, lang, (int)i, what);
				t = rename_all(&s, lang);
				(void)expect_derived(
				    fs, &t, lang, (int)i, what);
				u = embed(&t, lang, pocs[i].unrelated);
				(void)expect_derived(
				    fs, &u, lang, (int)i, what);
				buf_fini(&s);
				buf_fini(&t);
				buf_fini(&u);
			}
		}
	}
}

static void
test_unrelated(void **state)
{
	struct fixture_state *fs = *state;
	static const struct {
		const char *file;
		enum mark_lang lang;
	} others[] = {
	    {"unrelated_backup.py", MARK_LANG_PYTHON},
	    {"unrelated_ring.c", MARK_LANG_C},
	    {"unrelated_rotate.sh", MARK_LANG_SHELL},
	    {"same_bug_other.py", MARK_LANG_PYTHON},
	};

	for (size_t i = 0; i < EMB_ARRAY_LEN(others); i++) {
		struct buf s = fixture(others[i].file);

		(void)expect_derived(
		    fs, &s, others[i].lang, -1, others[i].file);
		(void)expect_derived(
		    fs, &s, TRACE_LANG_AUTO, -1, others[i].file);
		buf_fini(&s);
	}
	/* nor the generated host programs alone */
	for (size_t i = 0; i < EMB_ARRAY_LEN(pocs); i++) {
		struct buf empty = text_new(), s;

		s = embed(&empty, pocs[i].lang, pocs[i].unrelated);
		(void)expect_derived(fs, &s, pocs[i].lang, -1, "host");
		buf_fini(&s);
		buf_fini(&empty);
	}
}

/* Code for the same bug shares literals (URLs, headers), not structure. */
static void
test_same_bug(void **state)
{
	struct fixture_state *fs = *state;
	struct buf s = fixture("same_bug_other.py");
	struct trace_derive_result r;
	const struct trace_derivation *d;

	assert_int_equal(
	    trace_index_query(fs->ix, s.data, s.len, MARK_LANG_PYTHON, &r), 0);
	d = find(&r, 0);
	assert_non_null(d);
	assert_false(d->derived);
	assert_true(d->literals >= 3);
	assert_true(d->art_contained < TRACE_DERIVE_MIN_ART);
	trace_derive_result_fini(&r);
	buf_fini(&s);
}

static void
test_errors(void **state)
{
	struct trace_index *ix;
	struct trace_derive_result r = {0};
	char longname[TRACE_NAME_MAX + 2];

	(void)state;
	assert_int_equal(trace_index_new(&ix), 0);
	assert_int_equal(trace_index_count(ix), 0);
	/* an empty index answers with nothing */
	assert_int_equal(trace_index_query(ix, (const uint8_t *)"x = 1", 5,
	                     TRACE_LANG_AUTO, &r),
	    0);
	assert_int_equal(r.n, 0);
	trace_derive_result_fini(&r);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(trace_index_add(ix, longname, MARK_LANG_C,
	                     (const uint8_t *)"int x;", 6),
	    EMB_EINVAL);
	assert_int_equal(trace_index_add(ix, "a", MARK_LANG_COUNT,
	                     (const uint8_t *)"int x;", 6),
	    EMB_EINVAL);
	assert_int_equal(trace_index_count(ix), 0);
	assert_int_equal(trace_index_add(ix, NULL, MARK_LANG_C, NULL, 0), 0);
	assert_int_equal(trace_index_add(ix, "b", MARK_LANG_PROSE,
	                     (const uint8_t *)"some words", 10),
	    1);
	assert_int_equal(trace_index_query(ix, (const uint8_t *)"x", 1,
	                     (enum mark_lang)(TRACE_LANG_AUTO + 1), &r),
	    EMB_EINVAL);
	assert_int_equal(trace_index_query(ix, NULL, 0, MARK_LANG_C, &r), 0);
	assert_int_equal(r.n, 0);
	trace_derive_result_fini(&r);
	assert_true(trace_index_bytes(ix) > 0);
	trace_index_free(ix);
	trace_index_free(NULL);
	trace_derive_result_fini(NULL);
}

/*
 * Many artifacts, added between queries (the index re-sorts), and
 * prose: each generated advisory is found from a reworded excerpt.
 */
static void
test_many(void **state)
{
	struct trace_index *ix;
	static const char *const words[] = {"server", "request", "header",
	    "cookie", "patch", "update", "attacker", "session", "mailbox",
	    "token", "exchange", "backend", "frontend", "proxy", "autodiscover",
	    "remote", "code", "execution", "privilege", "escalation", "write",
	    "file", "arbitrary", "authentication", "bypass", "customer",
	    "deploy", "mitigation", "rule", "detect"};
	struct buf docs[300];
	uint64_t x = 0x1234567887654321ULL;

	(void)state;
	assert_int_equal(trace_index_new(&ix), 0);
	for (size_t d = 0; d < EMB_ARRAY_LEN(docs); d++) {
		docs[d] = text_new();
		for (int w = 0; w < 400; w++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			put(&docs[d], words[x % EMB_ARRAY_LEN(words)],
			    strlen(words[x % EMB_ARRAY_LEN(words)]));
			put(&docs[d], w % 12 == 11 ? ".\n" : " ",
			    w % 12 == 11 ? 2 : 1);
		}
		assert_int_equal(trace_index_add(ix, "adv", MARK_LANG_PROSE,
		                     docs[d].data, docs[d].len),
		    (int)d);
		if (d % 97 == 0 || d + 1 == EMB_ARRAY_LEN(docs)) {
			struct trace_derive_result r;
			size_t q = d / 2;
			struct buf s = partial(&docs[q], 0.2, 0.4);

			/* upper case, and "the" added: both ignored */
			for (size_t i = 0; i < s.len; i++)
				if (s.data[i] >= 'a' && s.data[i] <= 'z' &&
				    i % 5 == 0)
					s.data[i] = (uint8_t)(s.data[i] - 32);
			put(&s, " the the the", 12);
			assert_int_equal(trace_index_query(ix, s.data, s.len,
			                     MARK_LANG_PROSE, &r),
			    0);
			for (size_t i = 0; i < r.n; i++)
				assert_int_equal(
				    r.v[i].derived, r.v[i].doc == q);
			assert_non_null(find(&r, q));
			assert_true(find(&r, q)->derived);
			trace_derive_result_fini(&r);
			buf_fini(&s);
		}
	}
	assert_int_equal(trace_index_count(ix), EMB_ARRAY_LEN(docs));
	for (size_t d = 0; d < EMB_ARRAY_LEN(docs); d++)
		buf_fini(&docs[d]);
	trace_index_free(ix);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_verbatim, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_transformations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_partial, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unrelated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_same_bug, setup, teardown),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
