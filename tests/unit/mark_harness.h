/*
 * Helpers shared by the discovery tests of prose, YARA and Suricata: run
 * one discoverer over a text, find sites by rule and text, render copies.
 * Each test program includes it once (static functions).
 */
#ifndef EMB_TEST_MARK_HARNESS_H
#define EMB_TEST_MARK_HARNESS_H

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

#endif
