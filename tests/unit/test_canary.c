/*
 * The canary scanner: tokens rendered by mark_canary_token for several
 * partners and artifacts, planted in every form in generated logs (W3C,
 * combined, raw, gzip), must be found exactly once each, with the right
 * line, offset, partner, artifact, form and log fields, however the input
 * is cut into pieces; random data must give no hit at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "test.h"
#include "common/buf.h"
#include "crypto/crypto.h"
#include "mark/mark.h"
#include "trace/canary.h"
#include "common/emb.h"

#define NPARTNERS 4
#define NARTIFACTS 2
#define NFMT MARK_CANARY_FMT_COUNT

static const char *const partners[NPARTNERS] = {
    "acme", "globex", "initech", "umbrella"};

/* Rendered tokens: [partner][artifact][format]. */
static char tokens[NPARTNERS][NARTIFACTS][NFMT][MARK_CANARY_MAX + 1];

static uint64_t rng = 0x5eed;

static uint64_t
rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t
rndn(size_t n)
{
	return (size_t)(rnd() % n);
}

static int
setup_tokens(void **state)
{
	uint8_t master[CRYPTO_KEY_BYTES], seed[CRYPTO_KEY_BYTES];
	struct crypto_keys *keys;

	(void)state;
	assert_int_equal(crypto_lib_init(), 0);
	memset(master, 7, sizeof(master));
	memset(seed, 9, sizeof(seed));
	assert_int_equal(crypto_keys_new(master, seed, &keys), 0);
	for (int a = 0; a < NARTIFACTS; a++) {
		uint8_t ident[MARK_IDENT_BYTES];
		char name[32];
		snprintf(name, sizeof(name), "ADV-1/poc-%d.py", a);
		mark_ident(keys, name, strlen(name), ident);
		for (int p = 0; p < NPARTNERS; p++) {
			for (int f = 0; f < NFMT; f++) {
				struct buf b;
				buf_init(&b, MARK_CANARY_MAX);
				assert_int_equal(
				    mark_canary_token(keys, ident, partners[p],
				        (enum mark_canary_fmt)f, &b),
				    0);
				assert_true(b.len <= MARK_CANARY_MAX);
				memcpy(tokens[p][a][f], b.data, b.len + 1);
				buf_fini(&b);
			}
		}
	}
	crypto_keys_free(keys);
	return 0;
}

/* The searched part of a token. */
static void
core_of(int p, int a, int f, const char **ret, size_t *ret_n)
{
	const char *t = tokens[p][a][f];
	size_t off, n;

	assert_int_equal(
	    canary_token_core((enum mark_canary_fmt)f, t, strlen(t), &off, &n),
	    0);
	*ret = t + off;
	*ret_n = n;
}

static struct canary_db *
build_db(void)
{
	struct canary_set *set;
	struct canary_db *db;
	struct emb_error err = {0};

	assert_int_equal(canary_set_new(&set), 0);
	for (int p = 0; p < NPARTNERS; p++)
		for (int a = 0; a < NARTIFACTS; a++)
			for (int f = 0; f < NFMT; f++) {
				const char *t = tokens[p][a][f];
				int n = canary_set_add_rendered(set,
				    (enum mark_canary_fmt)f, t, strlen(t),
				    (uint32_t)p, (uint32_t)a);
				/* plain, url, 3-6 base64, utf16, 3-6 */
				assert_in_range(n, 9, 15);
			}
	assert_int_equal(canary_db_build(set, &db, &err), 0);
	/* The UA's base32 part and the host name's are the base32 token. */
	assert_true(canary_db_count(db) < canary_set_count(set));
	canary_set_free(set);
	return db;
}

/* ---- expected and reported hits ---- */

struct hit {
	uint64_t offset, line;
	uint32_t partner, artifact;
	int form;
	int64_t time_ms;
	char client[LOGREAD_CLIENT_MAX];
	bool has_line;
};

struct hits {
	struct hit v[4096];
	size_t n;
	int stop_after; /* return 1 from the callback after this many */
};

static int
collect(const struct canary_hit *h, void *arg)
{
	struct hits *hs = arg;
	struct hit *x;

	assert_true(hs->n < EMB_ARRAY_LEN(hs->v));
	x = &hs->v[hs->n++];
	memset(x, 0, sizeof(*x));
	x->offset = h->offset;
	x->line = h->line;
	x->partner = h->partner;
	x->artifact = h->artifact;
	x->form = (int)h->form;
	x->time_ms = h->log.time_ms;
	memcpy(x->client, h->log.client, sizeof(x->client));
	x->has_line = h->line_text != NULL;
	if (h->line_text != NULL) {
		/* The reported line holds the token's first byte. */
		assert_true(h->line_len < 1 << 20);
		assert_null(memchr(h->line_text, '\n', h->line_len));
	}
	if (hs->stop_after > 0 && hs->n == (size_t)hs->stop_after)
		return 42;
	return 0;
}

static int
hit_cmp(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	if (x->partner != y->partner)
		return x->partner < y->partner ? -1 : 1;
	return x->form - y->form;
}

/*
 * Same hits (offset, line, partner, artifact, form), in any order.  With
 * fields, the log time and client are compared too: for every hit whose
 * line was whole in a chunk, and fields == 2 requires that of every hit
 * on a line with fields.
 */
static void
assert_same_hits(struct hits *got, struct hits *want, int fields)
{
	qsort(got->v, got->n, sizeof(got->v[0]), hit_cmp);
	qsort(want->v, want->n, sizeof(want->v[0]), hit_cmp);
	if (got->n != want->n) {
		for (size_t i = 0; i < got->n; i++)
			fprintf(stderr, "got %llu p%u f%d\n",
			    (unsigned long long)got->v[i].offset,
			    got->v[i].partner, got->v[i].form);
		for (size_t i = 0; i < want->n; i++)
			fprintf(stderr, "want %llu p%u f%d\n",
			    (unsigned long long)want->v[i].offset,
			    want->v[i].partner, want->v[i].form);
	}
	assert_int_equal(got->n, want->n);
	for (size_t i = 0; i < got->n; i++) {
		const struct hit *g = &got->v[i], *w = &want->v[i];
		assert_int_equal(g->offset, w->offset);
		assert_int_equal(g->line, w->line);
		assert_int_equal(g->partner, w->partner);
		assert_int_equal(g->artifact, w->artifact);
		assert_int_equal(g->form, w->form);
		if (fields == 2 && w->has_line)
			assert_true(g->has_line);
		if (fields && w->has_line && g->has_line) {
			assert_true(g->time_ms == w->time_ms);
			assert_string_equal(g->client, w->client);
		}
	}
}

/* ---- a log generator that knows what it planted ---- */

struct gen {
	struct buf b;
	uint64_t line; /* current line, 1-based */
	struct hits *want;
	int64_t time_ms; /* what the current line says */
	char client[LOGREAD_CLIENT_MAX];
};

static void
gen_init(struct gen *g, struct hits *want)
{
	buf_init(&g->b, (size_t)1 << 28);
	g->line = 1;
	g->want = want;
	want->n = 0;
	g->time_ms = LOGREAD_TIME_NONE;
	g->client[0] = '\0';
}

static void
put(struct gen *g, const void *p, size_t n)
{
	const uint8_t *s = p;

	assert_int_equal(buf_append(&g->b, p, n), 0);
	for (size_t i = 0; i < n; i++)
		g->line += s[i] == '\n';
}

static void
puts_(struct gen *g, const char *s)
{
	put(g, s, strlen(s));
}

/* Record a hit whose pattern starts at the current end plus skip. */
static void
expect(struct gen *g, size_t skip, int p, int a, enum canary_form form)
{
	struct hit *w;

	assert_true(g->want->n < EMB_ARRAY_LEN(g->want->v));
	w = &g->want->v[g->want->n++];
	memset(w, 0, sizeof(*w));
	w->offset = g->b.len + skip;
	w->line = g->line;
	w->partner = (uint32_t)p;
	w->artifact = (uint32_t)a;
	w->form = (int)form;
	w->time_ms = g->time_ms;
	memcpy(w->client, g->client, sizeof(w->client));
	w->has_line = g->time_ms != LOGREAD_TIME_NONE;
}

static const char b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t
b64enc(const uint8_t *in, size_t n, char *out, bool url)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64std[v >> 18 & 63];
		out[o++] = b64std[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64std[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64std[v & 63] : '=';
	}
	if (url)
		for (size_t i = 0; i < o; i++)
			out[i] = out[i] == '+' ? '-'
			    : out[i] == '/'    ? '_'
			                       : out[i];
	out[o] = '\0';
	return o;
}

/*
 * Plant token bytes t[0..n) inside base64 with random bytes around it: the
 * hit starts at the stable middle of the token from byte skip on.
 */
static void
plant_b64(struct gen *g, const uint8_t *t, size_t n, size_t skip, int p, int a,
    enum canary_form form, bool url)
{
	uint8_t raw[512];
	char enc[800];
	size_t pre = rndn(7), post = rndn(5), k = 0, al, mid, at;

	for (size_t i = 0; i < pre; i++)
		raw[k++] = (uint8_t)rnd();
	memcpy(raw + k, t, n);
	k += n;
	for (size_t i = 0; i < post; i++)
		raw[k++] = (uint8_t)rnd();
	b64enc(raw, k, enc, url);
	at = pre + skip; /* where the reported pattern starts */
	al = at % 3;
	mid = at / 3 * 4 + (8 * al + 5) / 6;
	expect(g, mid, p, a, form);
	puts_(g, enc);
}

/* Plant token (p, a, f) in form; the text goes at the end of g. */
static void
plant(struct gen *g, int p, int a, int f, enum canary_form form)
{
	const char *c;
	size_t n, sk;
	uint8_t tmp[512];

	core_of(p, a, f, &c, &n);
	/*
	 * A host name label is "h" and the base32 token: the shorter
	 * pattern is the one reported.
	 */
	sk = f == MARK_CANARY_HOSTNAME;
	switch (form) {
	case CANARY_FORM_PLAIN:
		expect(g, sk, p, a, form);
		if (rndn(2)) { /* upper-cased, as logs show GUIDs */
			for (size_t i = 0; i < n; i++)
				tmp[i] = (uint8_t)(c[i] >= 'a' && c[i] <= 'z'
				        ? c[i] - 32
				        : c[i]);
			put(g, tmp, n);
		} else {
			put(g, c, n);
		}
		break;
	case CANARY_FORM_URL: {
		const char *hex =
		    rndn(2) ? "0123456789abcdef" : "0123456789ABCDEF";
		for (size_t i = 0; i < n; i++) {
			tmp[3 * i] = '%';
			tmp[3 * i + 1] = (uint8_t)hex[(uint8_t)c[i] >> 4];
			tmp[3 * i + 2] = (uint8_t)hex[c[i] & 15];
		}
		expect(g, 3 * sk, p, a, form);
		put(g, tmp, 3 * n);
		break;
	}
	case CANARY_FORM_BASE64:
		plant_b64(g, (const uint8_t *)c, n, sk, p, a, form, rndn(2));
		break;
	case CANARY_FORM_UTF16LE:
		for (size_t i = 0; i < n; i++) {
			tmp[2 * i] = (uint8_t)c[i];
			tmp[2 * i + 1] = 0;
		}
		expect(g, 2 * sk, p, a, form);
		put(g, tmp, 2 * n);
		break;
	case CANARY_FORM_UTF16LE_BASE64:
		for (size_t i = 0; i < n; i++) {
			tmp[2 * i] = (uint8_t)c[i];
			tmp[2 * i + 1] = 0;
		}
		plant_b64(g, tmp, 2 * n, 2 * sk, p, a, form, false);
		break;
	default:
		fail();
	}
}

/*
 * A W3C log of nlines lines: every third line carries a token of a random
 * partner, artifact and format in a random form; the #Fields layout
 * changes half way.  One line is longer than the test's chunk size and
 * carries tokens across the chunk boundaries.
 */
static void
gen_w3c(struct gen *g, int nlines)
{
	char s[256];

	puts_(g,
	    "#Software: Microsoft Internet Information Services 10.0\r\n"
	    "#Version: 1.0\r\n"
	    "#Fields: date time c-ip cs-method cs-uri-stem cs-uri-query "
	    "cs(User-Agent) sc-status\r\n");
	for (int i = 0; i < nlines; i++) {
		bool second = i >= nlines / 2;
		unsigned sec = (unsigned)i * 7;
		int ip = (int)rndn(250) + 1;

		if (i == nlines / 2)
			puts_(g,
			    "#Date: 2021-03-01 00:00:00\r\n"
			    "#Fields: c-ip date x-extra time cs-uri-query "
			    "cs(User-Agent)\r\n");
		g->time_ms = ((int64_t)18687 * 86400 + sec % 86400) * 1000;
		if (second)
			g->time_ms += 86400 * 1000;
		snprintf(g->client, sizeof(g->client), "203.0.113.%d", ip);
		if (!second)
			snprintf(s, sizeof(s),
			    "2021-03-0%d %02u:%02u:%02u %s GET /owa/ ", 1,
			    sec % 86400 / 3600, sec % 3600 / 60, sec % 60,
			    g->client);
		else
			snprintf(s, sizeof(s),
			    "%s 2021-03-02 xx %02u:%02u:%02u ", g->client,
			    sec % 86400 / 3600, sec % 3600 / 60, sec % 60);
		puts_(g, s);
		puts_(g, "id=");
		if (i % 3 == 0)
			plant(g, (int)rndn(NPARTNERS), (int)rndn(NARTIFACTS),
			    (int)rndn(NFMT),
			    (enum canary_form)rndn(CANARY_FORM_COUNT));
		else
			puts_(g, "5f0c2a9e");
		puts_(g, " Mozilla/5.0+(Windows+NT+10.0)");
		puts_(g, second ? "\r\n" : " 200\r\n");
		if (i == nlines / 4) {
			/* a 20 KiB line full of tokens, without fields */
			g->time_ms = LOGREAD_TIME_NONE;
			for (int k = 0; k < 200; k++) {
				puts_(g, "xyzzy+");
				for (int j = (int)rndn(90); j > 0; j--)
					puts_(g, "Q");
				plant(g, k % NPARTNERS, k % NARTIFACTS,
				    k % NFMT,
				    (enum canary_form)(k % CANARY_FORM_COUNT));
			}
			puts_(g, "\r\n");
		}
	}
	g->time_ms = LOGREAD_TIME_NONE;
	g->client[0] = '\0';
}

static void
scan_mem(
    struct canary_db *db, const struct buf *b, size_t chunk, struct hits *got)
{
	struct canary_scanner *sc;
	struct canary_opts o = {.chunk = chunk};

	got->n = 0;
	assert_int_equal(canary_scanner_new(db, collect, got, &sc), 0);
	assert_int_equal(canary_scan_mem(sc, "mem", b->data, b->len, &o), 0);
	canary_scanner_free(sc);
}

/* ---- tests ---- */

static void
test_token_core(void **state)
{
	size_t off, n;
	const char *ua = tokens[0][0][MARK_CANARY_UA];

	(void)state;
	assert_int_equal(
	    canary_token_core(MARK_CANARY_UA, ua, strlen(ua), &off, &n), 0);
	assert_int_equal(n, 20);
	assert_memory_equal(ua + off - 4, "rid/", 4);
	assert_int_equal(canary_token_core(MARK_CANARY_HEX,
	                     tokens[1][1][MARK_CANARY_HEX], 24, &off, &n),
	    0);
	assert_int_equal(off, 0);
	assert_int_equal(n, 24);
	assert_int_equal(canary_token_core(MARK_CANARY_UUID,
	                     tokens[2][0][MARK_CANARY_UUID], 36, &off, &n),
	    0);
	assert_int_equal(canary_token_core(MARK_CANARY_HOSTNAME,
	                     tokens[3][0][MARK_CANARY_HOSTNAME], 24, &off, &n),
	    0);
	assert_int_equal(canary_token_core(MARK_CANARY_BASE32,
	                     tokens[3][1][MARK_CANARY_BASE32], 20, &off, &n),
	    0);
	/* Wrong shapes. */
	assert_int_equal(
	    canary_token_core(MARK_CANARY_HEX, "xyz", 3, &off, &n), EMB_EINVAL);
	assert_int_equal(canary_token_core(MARK_CANARY_HEX,
	                     "0123456789abcdef0123456g", 24, &off, &n),
	    EMB_EINVAL);
	assert_int_equal(
	    canary_token_core(MARK_CANARY_UUID,
	        "01234567-0123-0123-0123x0123456789ab", 36, &off, &n),
	    EMB_EINVAL);
	assert_int_equal(
	    canary_token_core(MARK_CANARY_UA, "curl/8.0", 8, &off, &n),
	    EMB_EINVAL);
	assert_int_equal(
	    canary_token_core(MARK_CANARY_FMT_COUNT, "x", 1, &off, &n),
	    EMB_EINVAL);
}

static void
test_set_limits(void **state)
{
	struct canary_set *set;
	uint8_t big[CANARY_PATTERN_MAX + 1];
	size_t n0;

	(void)state;
	memset(big, 'a', sizeof(big));
	assert_int_equal(canary_set_new(&set), 0);
	assert_int_equal(
	    canary_set_add(set, "", 0, 0, 0, CANARY_FORM_PLAIN, false),
	    EMB_EINVAL);
	assert_int_equal(canary_set_add(set, big, sizeof(big), 0, 0,
	                     CANARY_FORM_PLAIN, false),
	    EMB_EINVAL);
	assert_int_equal(
	    canary_set_add(set, "ab", 2, 0, 0, CANARY_FORM_COUNT, false),
	    EMB_EINVAL);
	assert_int_equal(
	    canary_set_add_token(set, "abc", 3, 0, 0, CANARY_FORMS_ALL, true),
	    EMB_EINVAL);
	assert_int_equal(
	    canary_set_add_token(set, big, CANARY_PATTERN_MAX / 3 + 1, 0, 0,
	        CANARY_FORMS_ALL, true),
	    EMB_EINVAL);
	assert_int_equal(
	    canary_set_add_token(set, "abcd", 4, 0, 0, 1u << 9, true),
	    EMB_EINVAL);
	assert_int_equal(canary_set_count(set), 0);
	/* Only the forms asked for. */
	assert_int_equal(canary_set_add_token(set, "abcdefgh", 8, 0, 0,
	                     1u << CANARY_FORM_URL, true),
	    1);
	n0 = canary_set_count(set);
	assert_int_equal(canary_set_add_token(set, big, CANARY_PATTERN_MAX / 3,
	                     0, 0, CANARY_FORMS_ALL, true),
	    9);
	assert_int_equal(canary_set_count(set), n0 + 9);
	assert_int_equal(
	    canary_set_add_rendered(set, MARK_CANARY_HEX, "nothex", 6, 0, 0),
	    EMB_EINVAL);
	canary_set_free(set);
	canary_set_free(NULL);
}

/* Every partner's token, every form, in a W3C log read in 4 KiB chunks. */
static void
test_w3c_every_form(void **state)
{
	struct canary_db *db = build_db();
	static struct hits want, got;
	struct gen g;

	(void)state;
	gen_init(&g, &want);
	gen_w3c(&g, 3000);
	assert_true(want.n > 1000);
	scan_mem(db, &g.b, LOGREAD_CHUNK_MIN, &got);
	assert_same_hits(&got, &want, 2);
	/* Every partner and form was exercised. */
	for (int f = 0; f < CANARY_FORM_COUNT; f++) {
		int k = 0;
		for (size_t i = 0; i < got.n; i++)
			k += got.v[i].form == f;
		assert_true(k > 20);
	}
	/* The default chunk size finds the same. */
	scan_mem(db, &g.b, 0, &got);
	assert_same_hits(&got, &want, 2);
	buf_fini(&g.b);
	canary_db_free(db);
}

/* Feeding by hand in pieces of any size finds the same hits. */
static void
test_any_split(void **state)
{
	struct canary_db *db = build_db();
	static struct hits want, got;
	struct canary_scanner *sc;
	struct canary_stats st;
	struct gen g;
	uint64_t lines = 0;

	(void)state;
	gen_init(&g, &want);
	gen_w3c(&g, 600);
	for (size_t i = 0; i < g.b.len; i++)
		lines += g.b.data[i] == '\n';
	for (int round = 0; round < 6; round++) {
		size_t off = 0,
		       maxpiece = round == 0 ? 1
		    : round == 1             ? 7
		                             : (size_t)1 << (round * 3);
		got.n = 0;
		assert_int_equal(canary_scanner_new(db, collect, &got, &sc), 0);
		assert_int_equal(canary_scan_begin(sc, "pieces"), 0);
		while (off < g.b.len) {
			size_t k = 1 + rndn(maxpiece);
			if (k > g.b.len - off)
				k = g.b.len - off;
			assert_int_equal(
			    canary_scan_feed(sc, g.b.data + off, k), 0);
			off += k;
		}
		assert_int_equal(canary_scan_end(sc), 0);
		assert_int_equal(canary_scan_format(sc), LOGREAD_W3C);
		canary_scanner_stats(sc, &st);
		assert_int_equal(st.bytes, g.b.len);
		assert_int_equal(st.lines, lines);
		assert_int_equal(st.hits, want.n);
		assert_int_equal(st.inputs, 1);
		canary_scanner_free(sc);
		assert_same_hits(&got, &want, 1);
		if (round == 5) { /* most lines were whole: fields checked */
			size_t whole = 0;
			for (size_t i = 0; i < got.n; i++)
				whole += got.v[i].has_line;
			assert_true(whole > got.n / 3);
		}
	}
	buf_fini(&g.b);
	canary_db_free(db);
}

/*
 * A #Fields directive cut anywhere between two pieces still sets the
 * layout for the lines after it.
 */
static void
test_split_directive(void **state)
{
	struct canary_db *db = build_db();
	static struct hits want, got;
	struct canary_scanner *sc;
	struct gen g;
	const char *dir = "#Fields: time cs-uri-query date c-ip\r\n";
	size_t dir_at;

	(void)state;
	gen_init(&g, &want);
	puts_(&g,
	    "#Fields: date time c-ip cs-uri-query\r\n"
	    "2021-03-01 10:00:00 192.0.2.1 x\r\n");
	dir_at = g.b.len;
	puts_(&g, dir);
	g.time_ms = ((int64_t)18687 * 86400 + 12 * 3600) * 1000;
	snprintf(g.client, sizeof(g.client), "192.0.2.77");
	puts_(&g, "12:00:00 q=");
	plant(&g, 2, 1, MARK_CANARY_HEX, CANARY_FORM_PLAIN);
	puts_(&g, " 2021-03-01 192.0.2.77\r\n");
	for (size_t cut = dir_at; cut <= dir_at + strlen(dir); cut++) {
		got.n = 0;
		assert_int_equal(canary_scanner_new(db, collect, &got, &sc), 0);
		assert_int_equal(canary_scan_begin(sc, "cut"), 0);
		assert_int_equal(canary_scan_feed(sc, g.b.data, cut), 0);
		assert_int_equal(
		    canary_scan_feed(sc, g.b.data + cut, g.b.len - cut), 0);
		assert_int_equal(canary_scan_end(sc), 0);
		canary_scanner_free(sc);
		assert_same_hits(&got, &want, 2);
	}
	buf_fini(&g.b);
	canary_db_free(db);
}

/* gzip with zlib: level, and whether to cut the member in two. */
static void
gzip_buf(const uint8_t *p, size_t n, struct buf *out, bool two_members)
{
	size_t parts = two_members ? 2 : 1, done = 0;

	for (size_t k = 0; k < parts; k++) {
		z_stream zs;
		size_t len = k + 1 == parts ? n - done : n / 2;
		uint8_t tmp[65536];
		int zr;
		memset(&zs, 0, sizeof(zs));
		assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8,
		                     Z_DEFAULT_STRATEGY),
		    Z_OK);
		zs.next_in = (Bytef *)(p + done);
		zs.avail_in = (uInt)len;
		do {
			zs.next_out = tmp;
			zs.avail_out = sizeof(tmp);
			zr = deflate(&zs, Z_FINISH);
			assert_true(zr == Z_OK || zr == Z_STREAM_END);
			assert_int_equal(
			    buf_append(out, tmp, sizeof(tmp) - zs.avail_out),
			    0);
		} while (zr != Z_STREAM_END);
		deflateEnd(&zs);
		done += len;
	}
}

static void
write_file(const char *path, const struct buf *b)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b->data, 1, b->len, f), b->len);
	assert_int_equal(fclose(f), 0);
}

struct prog {
	uint64_t done, total;
	int calls;
};

static void
on_progress(uint64_t done, uint64_t total, void *arg)
{
	struct prog *p = arg;

	assert_true(done >= p->done);
	p->done = done;
	p->total = total;
	p->calls++;
}

/* Plain and gzip files, one or two members; damage reports what it can. */
static void
test_gzip_files(void **state)
{
	struct canary_db *db = build_db();
	static struct hits want, got;
	struct canary_scanner *sc;
	struct canary_opts o = {.chunk = 8192};
	struct prog pr = {0};
	struct buf z;
	struct gen g;
	char path[] = "/tmp/test_canary_XXXXXX";
	int fd, rc;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	gen_init(&g, &want);
	gen_w3c(&g, 2000);

	write_file(path, &g.b);
	got.n = 0;
	o.progress = on_progress;
	o.progress_arg = &pr;
	assert_int_equal(canary_scanner_new(db, collect, &got, &sc), 0);
	assert_int_equal(canary_scan_file(sc, path, &o), 0);
	assert_same_hits(&got, &want, 2);
	assert_true(pr.calls > 10);
	assert_int_equal(pr.done, g.b.len);
	assert_int_equal(pr.total, g.b.len);

	for (int members = 1; members <= 2; members++) {
		buf_init(&z, (size_t)1 << 28);
		gzip_buf(g.b.data, g.b.len, &z, members == 2);
		write_file(path, &z);
		got.n = 0;
		pr.done = 0;
		assert_int_equal(canary_scan_file(sc, path, &o), 0);
		assert_same_hits(&got, &want, 2);
		assert_int_equal(pr.done, z.len);
		got.n = 0;
		pr.done = 0;
		assert_int_equal(
		    canary_scan_mem(sc, "z", z.data, z.len, &o), 0);
		assert_int_equal(pr.done, z.len);
		assert_same_hits(&got, &want, 2);
		buf_fini(&z);
	}

	/* Truncated: the hits before the cut, then EMB_ECORRUPT. */
	buf_init(&z, (size_t)1 << 28);
	gzip_buf(g.b.data, g.b.len, &z, false);
	z.len = z.len / 2;
	write_file(path, &z);
	got.n = 0;
	pr.done = 0;
	rc = canary_scan_file(sc, path, &o);
	assert_int_equal(rc, EMB_ECORRUPT);
	assert_true(got.n > want.n / 4 && got.n < want.n);
	/* What was reported is a prefix of the real hits. */
	qsort(got.v, got.n, sizeof(got.v[0]), hit_cmp);
	qsort(want.v, want.n, sizeof(want.v[0]), hit_cmp);
	for (size_t i = 0; i < got.n; i++)
		assert_int_equal(got.v[i].offset, want.v[i].offset);
	buf_fini(&z);

	assert_int_equal(
	    canary_scan_file(sc, "/nonexistent/x.log", &o), EMB_EIO);
	assert_int_equal(canary_scan_file(sc, "/tmp", &o), EMB_EIO);
	canary_scanner_free(sc);
	unlink(path);
	buf_fini(&g.b);
	canary_db_free(db);
}

/* Apache/nginx combined lines give the time (to UTC) and client. */
static void
test_combined(void **state)
{
	struct canary_db *db = build_db();
	static struct hits want, got;
	struct gen g;

	(void)state;
	gen_init(&g, &want);
	for (int i = 0; i < 300; i++) {
		const char *ua;
		char s[256];
		snprintf(g.client, sizeof(g.client), "2001:db8::%x", i + 1);
		/* 01/Mar/2021:10:00:ss +0100 is 09:00:ss UTC */
		g.time_ms = ((int64_t)18687 * 86400 + 9 * 3600 + i % 60) * 1000;
		snprintf(s, sizeof(s),
		    "%s - - [01/Mar/2021:10:00:%02d +0100] \"GET /?q=",
		    g.client, i % 60);
		puts_(&g, s);
		plant(&g, i % NPARTNERS, i % NARTIFACTS, i % NFMT,
		    (enum canary_form)(
		        i % 2 ? CANARY_FORM_PLAIN : CANARY_FORM_URL));
		puts_(&g, " HTTP/1.1\" 200 512 \"-\" \"");
		ua = tokens[(i + 1) % NPARTNERS][0][MARK_CANARY_UA];
		expect(&g, strlen(ua) - 20, (i + 1) % NPARTNERS, 0,
		    CANARY_FORM_PLAIN);
		puts_(&g, ua);
		puts_(&g, "\"\n");
	}
	scan_mem(db, &g.b, LOGREAD_CHUNK_MIN, &got);
	assert_same_hits(&got, &want, 2);
	buf_fini(&g.b);
	canary_db_free(db);
}

/* Raw text without newlines at all, and a last line without one. */
static void
test_raw(void **state)
{
	struct canary_db *db = build_db();
	static struct hits want, got;
	struct canary_scanner *sc;
	struct gen g;

	(void)state;
	gen_init(&g, &want);
	for (int i = 0; i < 400; i++) {
		for (size_t j = rndn(300); j > 0; j--)
			puts_(&g, "x");
		plant(&g, (int)rndn(NPARTNERS), (int)rndn(NARTIFACTS),
		    (int)rndn(NFMT), (enum canary_form)rndn(CANARY_FORM_COUNT));
	}
	scan_mem(db, &g.b, LOGREAD_CHUNK_MIN, &got);
	assert_same_hits(&got, &want, 0);
	for (size_t i = 0; i < got.n; i++) {
		assert_int_equal(got.v[i].line, 1);
		assert_true(got.v[i].time_ms == LOGREAD_TIME_NONE);
	}
	/* Now with a few lines: the last one's text is known too. */
	puts_(&g, "\nlast line ");
	plant(&g, 1, 1, MARK_CANARY_UUID, CANARY_FORM_PLAIN);
	scan_mem(db, &g.b, 0, &got);
	assert_same_hits(&got, &want, 0);
	assert_true(got.v[got.n - 1].has_line);
	assert_int_equal(got.v[got.n - 1].line, 2);

	/* An empty input. */
	got.n = 0;
	assert_int_equal(canary_scanner_new(db, collect, &got, &sc), 0);
	assert_int_equal(canary_scan_mem(sc, "empty", "", 0, NULL), 0);
	assert_int_equal(got.n, 0);
	canary_scanner_free(sc);
	buf_fini(&g.b);
	canary_db_free(db);
}

/* A non-zero callback return stops the scan and is returned. */
static void
test_stop(void **state)
{
	struct canary_db *db = build_db();
	static struct hits want, got;
	struct canary_scanner *sc;
	struct gen g;

	(void)state;
	gen_init(&g, &want);
	gen_w3c(&g, 300);
	got.n = 0;
	got.stop_after = 5;
	assert_int_equal(canary_scanner_new(db, collect, &got, &sc), 0);
	assert_int_equal(canary_scan_mem(sc, "m", g.b.data, g.b.len, NULL), 42);
	assert_int_equal(got.n, 5);
	/* The scanner is usable again afterwards. */
	got.n = 0;
	got.stop_after = 0;
	assert_int_equal(canary_scan_mem(sc, "m", g.b.data, g.b.len, NULL), 0);
	assert_same_hits(&got, &want, 2);
	/* Feeding without a begin is a state error. */
	assert_int_equal(canary_scan_feed(sc, "x", 1), EMB_ESTATE);
	assert_int_equal(canary_scan_end(sc), 0);
	canary_scanner_free(sc);
	buf_fini(&g.b);
	canary_db_free(db);
}

/* An empty set compiles and finds nothing; stray patterns are exact. */
static void
test_small_sets(void **state)
{
	struct canary_set *set;
	struct canary_db *db;
	static struct hits got;
	const char *text = "hello\ntwo needle\n\nneedleneedle\nNEEDLE";
	struct buf b = {(uint8_t *)text, strlen(text), 0, 0};
	static const uint64_t off[8] = {4, 5, 10, 16, 17, 18, 24, 30};
	static const uint64_t line[8] = {1, 1, 2, 2, 3, 4, 4, 4};
	static const uint32_t partner[8] = {8, 9, 7, 9, 9, 7, 7, 9};

	(void)state;
	assert_int_equal(canary_set_new(&set), 0);
	assert_int_equal(canary_db_build(set, &db, NULL), 0);
	assert_int_equal(canary_db_count(db), 0);
	assert_true(canary_db_size(db) > 0);
	scan_mem(db, &b, 0, &got);
	assert_int_equal(got.n, 0);
	canary_db_free(db);

	/* Case-sensitive literals, one with a newline inside, one a newline. */
	assert_int_equal(
	    canary_set_add(set, "needle", 6, 7, 1, CANARY_FORM_PLAIN, false),
	    0);
	assert_int_equal(
	    canary_set_add(set, "o\ntwo", 5, 8, 2, CANARY_FORM_PLAIN, false),
	    0);
	assert_int_equal(
	    canary_set_add(set, "\n", 1, 9, 3, CANARY_FORM_PLAIN, false), 0);
	assert_int_equal(canary_db_build(set, &db, NULL), 0);
	scan_mem(db, &b, 0, &got);
	qsort(got.v, got.n, sizeof(got.v[0]), hit_cmp);
	assert_int_equal(got.n, 8);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(got.v[i].offset, off[i]);
		assert_int_equal(got.v[i].line, line[i]);
		assert_int_equal(got.v[i].partner, partner[i]);
	}
	canary_db_free(db);
	canary_set_free(set);
}

/* A database survives a round trip through its serialised form. */
static void
test_serialize(void **state)
{
	struct canary_db *db = build_db(), *db2;
	static struct hits want, got;
	struct buf ser, bad;
	struct gen g;

	(void)state;
	gen_init(&g, &want);
	gen_w3c(&g, 300);
	buf_init(&ser, (size_t)1 << 28);
	assert_int_equal(buf_append(&ser, "x", 1), 0); /* appends */
	assert_int_equal(canary_db_serialize(db, &ser), 0);
	assert_int_equal(
	    canary_db_deserialize(ser.data + 1, ser.len - 1, &db2), 0);
	assert_int_equal(canary_db_count(db2), canary_db_count(db));
	scan_mem(db2, &g.b, 0, &got);
	assert_same_hits(&got, &want, 2);
	canary_db_free(db2);

	/* Damaged copies are refused. */
	assert_int_equal(
	    canary_db_deserialize(ser.data, ser.len, &db2), EMB_ECORRUPT);
	assert_int_equal(
	    canary_db_deserialize(ser.data + 1, 11, &db2), EMB_ECORRUPT);
	assert_true(canary_db_deserialize(ser.data + 1, ser.len / 2, &db2) < 0);
	buf_init(&bad, ser.len);
	assert_int_equal(buf_append(&bad, ser.data + 1, ser.len - 1), 0);
	bad.data[12 + 10] = CANARY_FORM_COUNT; /* first pattern's form */
	assert_int_equal(
	    canary_db_deserialize(bad.data, bad.len, &db2), EMB_ECORRUPT);
	bad.data[12 + 10] = 0;
	bad.data[bad.len - 100] ^= 0x40; /* inside Vectorscan's bytes */
	if (canary_db_deserialize(bad.data, bad.len, &db2) == 0)
		canary_db_free(db2); /* not every byte is checked */
	buf_fini(&bad);
	buf_fini(&ser);
	buf_fini(&g.b);
	canary_db_free(db);
}

/* Random bytes, hex and base64 text: not one hit. */
static void
test_no_false_hits(void **state)
{
	struct canary_db *db = build_db();
	static struct hits got;
	struct buf b;
	static const char hex[] = "0123456789abcdef";

	(void)state;
	buf_init(&b, (size_t)1 << 26);
	assert_int_equal(buf_reserve(&b, (size_t)24 << 20), 0);
	for (size_t i = 0; i < (size_t)8 << 20; i += 8) {
		uint64_t r = rnd();
		memcpy(b.data + b.len, &r, 8);
		b.len += 8;
	}
	for (size_t i = 0; i < (size_t)8 << 20; i++)
		b.data[b.len++] =
		    i % 97 == 96 ? '\n' : (uint8_t)hex[rnd() & 15];
	for (size_t i = 0; i < (size_t)8 << 20; i++)
		b.data[b.len++] =
		    i % 77 == 76 ? '\n' : (uint8_t)b64std[rnd() & 63];
	scan_mem(db, &b, 0, &got);
	assert_int_equal(got.n, 0);
	buf_fini(&b);
	canary_db_free(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_token_core),
	    cmocka_unit_test(test_set_limits),
	    cmocka_unit_test(test_w3c_every_form),
	    cmocka_unit_test(test_any_split),
	    cmocka_unit_test(test_split_directive),
	    cmocka_unit_test(test_gzip_files),
	    cmocka_unit_test(test_combined),
	    cmocka_unit_test(test_raw),
	    cmocka_unit_test(test_stop),
	    cmocka_unit_test(test_small_sets),
	    cmocka_unit_test(test_serialize),
	    cmocka_unit_test(test_no_false_hits),
	};
	return cmocka_run_group_tests(tests, setup_tokens, NULL);
}
