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
