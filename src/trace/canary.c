/*
 * Canary scan engine (see canary.h for what it finds and why).
 *
 * Patterns.  A token of L bytes is looked for as:
 *  - itself (L bytes), and fully percent-encoded (3L bytes, "%6A" and
 *    "%6a" alike); tokens are alphanumeric, so ordinary URL encoding
 *    leaves them as they are and the plain pattern covers it;
 *  - UTF-16LE (2L bytes, each byte followed by 0x00);
 *  - base64.  Inside a base64 blob the token may start at any byte, that
 *    is at any of the three positions of a 3-byte group, and the first
 *    and last output characters then mix in bits of unknown neighbours.
 *    For alignment a (a = 0, 1, 2 bytes of the group before the token),
 *    the token's bits are [8a, 8a + 8L) of the group-aligned stream, and
 *    output character i carries bits [6i, 6i + 6): characters
 *    ceil(8a / 6) .. floor((8a + 8L) / 6) - 1 depend on the token alone.
 *    Those "stable middles" (about 4L/3 - 2 characters) are the patterns,
 *    one per alignment, plus their base64url spelling when it differs.
 *    The same is done for the UTF-16LE form, which is what PowerShell's
 *    -EncodedCommand carries.
 * Canary tokens are 20 to 36 characters, so even the shortest pattern
 * has about 100 secret bits: a false hit on random data is not a concern.
 *
 * Scanning.  Every pattern is a literal, compiled with
 * hs_compile_lit_multi (so patterns may contain NUL bytes) in streaming
 * mode, without start-of-match tracking: the start is the end minus the
 * pattern's length.  One extra literal, "\n#Fields:", finds W3C
 * directives; each input is scanned as if preceded by a newline so that a
 * directive on the first line is found too.  Match callbacks only count
 * newlines up to the hit (resuming where the last count stopped, so each
 * byte is counted once) and locate the hit's line in the current chunk;
 * the fields of the last line looked at are cached, so a line full of
 * tokens is parsed once.
 */
#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "trace/canary.h"
#include "common/buf.h"
#include "common/emb.h"

#define POOL_MAX ((size_t)256 << 20) /* pattern bytes in one set */
#define DIRECTIVE "\n#Fields:" /* the literal: a newline, then the line */
#define DIRECTIVE_LINE "#Fields:"
#define DIRECTIVE_LEN (sizeof(DIRECTIVE) - 1)
#define DIRECTIVE_LINE_MAX 8192 /* longer #Fields lines are ignored */
#define SNIFF_BYTES 512

struct set_pat {
	uint32_t partner, artifact;
	uint32_t off; /* in the pool */
	uint16_t len;
	uint8_t form;
	uint8_t caseless;
};

struct canary_set {
	struct buf pool;
	struct set_pat *pats;
	size_t n, cap;
};

struct db_pat {
	uint32_t partner, artifact;
	uint16_t len;
	uint8_t form;
	uint8_t nl; /* newlines inside the pattern */
};

struct canary_db {
	hs_database_t *hs;
	struct db_pat *pats; /* n token patterns; id n is the directive */
	size_t n;
	size_t size;
};

struct canary_scanner {
	const struct canary_db *db;
	hs_scratch_t *scratch;
	hs_stream_t *stream; /* NULL between inputs */
	canary_hit_fn *on_hit;
	void *arg;
	struct canary_stats stats;

	/* The current input. */
	const char *name;
	int stop; /* non-zero return of on_hit */
	uint64_t base; /* stream offset of the chunk (stream = "\n" + data) */
	const uint8_t *chunk;
	size_t chunk_n;
	bool chunk_last; /* no more data follows this chunk */
	bool chunk_at_line; /* the chunk starts a line */
	size_t counted; /* chunk bytes whose newlines are in nl */
	uint64_t nl; /* newlines in the data before chunk + counted */
	bool any, last_nl; /* some data seen; it ended with '\n' */
	bool sniffed;
	uint8_t head[SNIFF_BYTES]; /* first bytes, for logread_sniff */
	size_t head_n;
	enum logread_format format;
	bool dir_pending; /* a directive line continues in the next piece */
	struct buf dir; /* that directive line so far */
	struct logread_w3c w3c;
	bool cache_valid; /* fields of the line starting at cache_start */
	uint64_t cache_start;
	struct logread_fields cache;
};

/* ---- newline counting ---- */

typedef uint8_t v16u8 __attribute__((vector_size(16)));

/* Sum of the 8 bytes of x. */
static inline uint64_t
hsum8(uint64_t x)
{
	x = (x & 0x00ff00ff00ff00ffULL) + ((x >> 8) & 0x00ff00ff00ff00ffULL);
	return (x * 0x0001000100010001ULL) >> 48;
}

/* Number of '\n' bytes in p[0..n), 16 bytes at a time. */
static uint64_t
count_nl(const uint8_t *p, size_t n)
{
	const v16u8 nlv = (v16u8){0} + '\n';
	uint64_t total = 0;
	size_t i = 0;

	while (n - i >= 64) {
		v16u8 acc0 = {0}, acc1 = {0};
		size_t blocks = (n - i) / 64;
		uint64_t w[4];
		if (blocks > 127)
			blocks = 127; /* each lane gains at most 2 per block */
		for (size_t b = 0; b < blocks; b++, i += 64) {
			v16u8 v0, v1, v2, v3;
			memcpy(&v0, p + i, 16);
			memcpy(&v1, p + i + 16, 16);
			memcpy(&v2, p + i + 32, 16);
			memcpy(&v3, p + i + 48, 16);
			acc0 -= (v16u8)(v0 == nlv);
			acc1 -= (v16u8)(v1 == nlv);
			acc0 -= (v16u8)(v2 == nlv);
			acc1 -= (v16u8)(v3 == nlv);
		}
		memcpy(w, &acc0, 16);
		memcpy(w + 2, &acc1, 16);
		total += hsum8(w[0]) + hsum8(w[1]) + hsum8(w[2]) + hsum8(w[3]);
	}
	for (; i < n; i++)
		total += p[i] == '\n';
	return total;
}

/* ---- pattern sets ---- */

const char *
canary_form_name(enum canary_form form)
{
	switch (form) {
	case CANARY_FORM_PLAIN:
		return "plain";
	case CANARY_FORM_URL:
		return "url";
	case CANARY_FORM_BASE64:
		return "base64";
	case CANARY_FORM_UTF16LE:
		return "utf16le";
	case CANARY_FORM_UTF16LE_BASE64:
		return "utf16le-base64";
	case CANARY_FORM_COUNT:
		break;
	}
	return "?";
}

int
canary_set_new(struct canary_set **ret_set)
{
	struct canary_set *set = calloc(1, sizeof(*set));

	if (set == NULL)
		return EMB_ENOMEM;
	buf_init(&set->pool, POOL_MAX);
	*ret_set = set;
	return 0;
}

void
canary_set_free(struct canary_set *set)
{
	if (set == NULL)
		return;
	buf_fini(&set->pool);
	free(set->pats);
	free(set);
}

size_t
canary_set_count(const struct canary_set *set)
{
	return set->n;
}

int
canary_set_add(struct canary_set *set, const void *pat, size_t len,
    uint32_t partner, uint32_t artifact, enum canary_form form, bool caseless)
{
	struct set_pat *sp;
	size_t off = set->pool.len;
	int rc;

	if (len == 0 || len > CANARY_PATTERN_MAX ||
	    (unsigned)form >= CANARY_FORM_COUNT)
		return EMB_EINVAL;
	if (set->n >= CANARY_PATTERNS_MAX)
		return EMB_ETOOBIG;
	if (set->n == set->cap) {
		size_t ncap = set->cap ? set->cap * 2 : 256;
		struct set_pat *np = realloc(set->pats, ncap * sizeof(*np));
		if (np == NULL)
			return EMB_ENOMEM;
		set->pats = np;
		set->cap = ncap;
	}
	if ((rc = buf_append(&set->pool, pat, len)) < 0)
		return rc;
	sp = &set->pats[set->n++];
	sp->partner = partner;
	sp->artifact = artifact;
	sp->off = (uint32_t)off;
	sp->len = (uint16_t)len;
	sp->form = (uint8_t)form;
	sp->caseless = caseless;
	return 0;
}

static const char b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/*
 * Add the three stable middles of the base64 encoding of s[0..n), and
 * their base64url spelling where it differs.  Returns patterns added.
 */
static int
add_base64(struct canary_set *set, const uint8_t *s, size_t n, uint32_t partner,
    uint32_t artifact, enum canary_form form)
{
	uint8_t in[2 * CANARY_PATTERN_MAX + 6];
	char out[sizeof(in) / 3 * 4 + 4];
	int added = 0, rc;

	for (size_t a = 0; a < 3; a++) {
		size_t tot = a + n, groups = (tot + 2) / 3, lo, hi;
		bool url = false;

		memset(in, 0, groups * 3);
		memcpy(in + a, s, n);
		for (size_t g = 0; g < groups; g++) {
			uint32_t v = (uint32_t)in[3 * g] << 16 |
			    (uint32_t)in[3 * g + 1] << 8 | in[3 * g + 2];
			for (size_t k = 0; k < 4; k++)
				out[4 * g + k] =
				    b64std[(v >> (18 - 6 * k)) & 63];
		}
		lo = (8 * a + 5) / 6;
		hi = (8 * tot) / 6; /* exclusive */
		if ((rc = canary_set_add(set, out + lo, hi - lo, partner,
		         artifact, form, false)) < 0)
			return rc;
		added++;
		for (size_t i = lo; i < hi; i++) {
			if (out[i] == '+' || out[i] == '/') {
				out[i] = out[i] == '+' ? '-' : '_';
				url = true;
			}
		}
		if (url) {
			if ((rc = canary_set_add(set, out + lo, hi - lo,
			         partner, artifact, form, false)) < 0)
				return rc;
			added++;
		}
	}
	return added;
}

static int
add_token_forms(struct canary_set *set, const uint8_t *tok, size_t len,
    uint32_t partner, uint32_t artifact, unsigned forms, bool caseless)
{
	static const char hex[] = "0123456789ABCDEF";
	uint8_t tmp[3 * CANARY_PATTERN_MAX];
	int added = 0, rc;

	if (forms & (1u << CANARY_FORM_PLAIN)) {
		if ((rc = canary_set_add(set, tok, len, partner, artifact,
		         CANARY_FORM_PLAIN, caseless)) < 0)
			return rc;
		added++;
	}
	if (forms & (1u << CANARY_FORM_URL)) {
		for (size_t i = 0; i < len; i++) {
			tmp[3 * i] = '%';
			tmp[3 * i + 1] = (uint8_t)hex[tok[i] >> 4];
			tmp[3 * i + 2] = (uint8_t)hex[tok[i] & 15];
		}
		/* The case of the hex digits carries nothing. */
		if ((rc = canary_set_add(set, tmp, 3 * len, partner, artifact,
		         CANARY_FORM_URL, true)) < 0)
			return rc;
		added++;
	}
	if (forms & (1u << CANARY_FORM_BASE64)) {
		if ((rc = add_base64(set, tok, len, partner, artifact,
		         CANARY_FORM_BASE64)) < 0)
			return rc;
		added += rc;
	}
	for (size_t i = 0; i < len; i++) {
		tmp[2 * i] = tok[i];
		tmp[2 * i + 1] = 0;
	}
	if (forms & (1u << CANARY_FORM_UTF16LE)) {
		if ((rc = canary_set_add(set, tmp, 2 * len, partner, artifact,
		         CANARY_FORM_UTF16LE, caseless)) < 0)
			return rc;
		added++;
	}
	if (forms & (1u << CANARY_FORM_UTF16LE_BASE64)) {
		if ((rc = add_base64(set, tmp, 2 * len, partner, artifact,
		         CANARY_FORM_UTF16LE_BASE64)) < 0)
			return rc;
		added += rc;
	}
	return added;
}

int
canary_set_add_token(struct canary_set *set, const void *token, size_t len,
    uint32_t partner, uint32_t artifact, unsigned forms, bool caseless)
{
	size_t n0 = set->n, pool0 = set->pool.len;
	int rc;

	if (len < 4 || len > CANARY_PATTERN_MAX / 3 ||
	    (forms & ~CANARY_FORMS_ALL) != 0)
		return EMB_EINVAL;
	rc = add_token_forms(
	    set, token, len, partner, artifact, forms, caseless);
	if (rc < 0) {
		set->n = n0;
		set->pool.len = pool0;
	}
	return rc;
}

static bool
all_in(const char *s, size_t n, const char *alphabet)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(alphabet, s[i]) == NULL)
			return false;
	return true;
}

#define HEX_CHARS "0123456789abcdefABCDEF"
#define B32_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

int
canary_token_core(enum mark_canary_fmt fmt, const char *tok, size_t len,
    size_t *ret_off, size_t *ret_len)
{
	size_t off = 0, n = len;

	switch (fmt) {
	case MARK_CANARY_HEX:
		if (len != 24 || !all_in(tok, len, HEX_CHARS))
			return EMB_EINVAL;
		break;
	case MARK_CANARY_BASE32:
		if (len != 20 || !all_in(tok, len, B32_CHARS))
			return EMB_EINVAL;
		break;
	case MARK_CANARY_HOSTNAME:
		if (len != 24 || (tok[0] != 'h' && tok[0] != 'H') ||
		    !all_in(tok + 1, 23, B32_CHARS))
			return EMB_EINVAL;
		break;
	case MARK_CANARY_UUID:
		if (len != 36)
			return EMB_EINVAL;
		for (size_t i = 0; i < len; i++) {
			bool dash = i == 8 || i == 13 || i == 18 || i == 23;
			if (dash ? tok[i] != '-'
			         : !all_in(tok + i, 1, HEX_CHARS))
				return EMB_EINVAL;
		}
		break;
	case MARK_CANARY_UA:
		if (len < 24 || memcmp(tok + len - 24, "rid/", 4) != 0 ||
		    !all_in(tok + len - 20, 20, B32_CHARS))
			return EMB_EINVAL;
		off = len - 20;
		n = 20;
		break;
	default:
		return EMB_EINVAL;
	}
	*ret_off = off;
	*ret_len = n;
	return 0;
}

int
canary_set_add_rendered(struct canary_set *set, enum mark_canary_fmt fmt,
    const char *tok, size_t len, uint32_t partner, uint32_t artifact)
{
	size_t off, n;
	int rc;

	if ((rc = canary_token_core(fmt, tok, len, &off, &n)) < 0)
		return rc;
	return canary_set_add_token(
	    set, tok + off, n, partner, artifact, CANARY_FORMS_ALL, true);
}

/* ---- databases ---- */

#define GROUP_SCAN_MAX 64 /* look for contained patterns in groups this big */

static int
pat_cmp(const void *a, const void *b, void *arg)
{
	const struct canary_set *set = arg;
	const struct set_pat *x = &set->pats[*(const uint32_t *)a];
	const struct set_pat *y = &set->pats[*(const uint32_t *)b];
	int c;

	if (x->partner != y->partner)
		return x->partner < y->partner ? -1 : 1;
	if (x->artifact != y->artifact)
		return x->artifact < y->artifact ? -1 : 1;
	if (x->form != y->form)
		return x->form < y->form ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	c = memcmp(set->pool.data + x->off, set->pool.data + y->off, x->len);
	if (c != 0)
		return c;
	if (x->caseless != y->caseless)
		return x->caseless ? -1
		                   : 1; /* caseless first: it covers more */
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Whether every match of pattern l contains a match of pattern s. */
static bool
covers(const struct canary_set *set, const struct set_pat *s,
    const struct set_pat *l)
{
	const uint8_t *sp = set->pool.data + s->off;
	const uint8_t *lp = set->pool.data + l->off;

	if (s->len > l->len)
		return false;
	if (!s->caseless)
		return !l->caseless && memmem(lp, l->len, sp, s->len) != NULL;
	for (size_t i = 0; i + s->len <= l->len; i++) {
		size_t k = 0;
		while (k < s->len && lower(lp[i + k]) == lower(sp[k]))
			k++;
		if (k == s->len)
			return true;
	}
	return false;
}

/*
 * Mark the patterns that report nothing new: those that contain another
 * pattern of the same partner, artifact and form.  mark_canary_token
 * renders one secret in several formats, so a User-Agent's base32 part is
 * the base32 token and a host name label holds it too; without this, one
 * occurrence would be reported two or three times.  Returns how many are
 * kept.
 */
static size_t
drop_covered(const struct canary_set *set, const uint32_t *order, bool *drop)
{
	size_t n = set->n, kept = 0;

	for (size_t g = 0; g < n;) {
		const struct set_pat *first = &set->pats[order[g]];
		size_t end = g + 1;
		while (end < n &&
		    set->pats[order[end]].partner == first->partner &&
		    set->pats[order[end]].artifact == first->artifact &&
		    set->pats[order[end]].form == first->form)
			end++;
		for (size_t j = g; j < end; j++) {
			const struct set_pat *l = &set->pats[order[j]];
			/* In big groups only exact repeats (adjacent). */
			size_t from = end - g <= GROUP_SCAN_MAX ? g
			    : j > g                             ? j - 1
			                                        : j;
			for (size_t i = from; i < j && !drop[order[j]]; i++)
				if (!drop[order[i]] &&
				    covers(set, &set->pats[order[i]], l))
					drop[order[j]] = true;
			kept += !drop[order[j]];
		}
		g = end;
	}
	return kept;
}

static int
hs_errno(hs_error_t e)
{
	switch (e) {
	case HS_SUCCESS:
		return 0;
	case HS_NOMEM:
		return EMB_ENOMEM;
	case HS_SCRATCH_IN_USE:
		return EMB_ESTATE;
	default:
		return EMB_EINVAL;
	}
}

int
canary_db_build(const struct canary_set *set, struct canary_db **ret_db,
    struct emb_error *err)
{
	struct canary_db *db = NULL;
	const char **exprs = NULL;
	unsigned *flags = NULL, *ids = NULL;
	size_t *lens = NULL, n = set->n, kept, k = 0;
	uint32_t *order = NULL;
	bool *drop = NULL;
	hs_compile_error_t *cerr = NULL;
	hs_error_t e;
	int rc = EMB_ENOMEM;

	if (n >= UINT_MAX)
		return emb_error_code(err, EMB_ETOOBIG);
	db = calloc(1, sizeof(*db));
	order = calloc(n ? n : 1, sizeof(*order));
	drop = calloc(n ? n : 1, sizeof(*drop));
	exprs = calloc(n + 1, sizeof(*exprs));
	flags = calloc(n + 1, sizeof(*flags));
	ids = calloc(n + 1, sizeof(*ids));
	lens = calloc(n + 1, sizeof(*lens));
	if (db != NULL)
		db->pats = calloc(n ? n : 1, sizeof(*db->pats));
	if (db == NULL || order == NULL || drop == NULL || exprs == NULL ||
	    flags == NULL || ids == NULL || lens == NULL || db->pats == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, n, sizeof(*order), pat_cmp, (void *)set);
	kept = drop_covered(set, order, drop);
	/* Compile in the order added, so ids follow the caller's order. */
	for (size_t i = 0; i < n; i++) {
		const struct set_pat *sp = &set->pats[i];
		const uint8_t *p = set->pool.data + sp->off;
		if (drop[i])
			continue;
		exprs[k] = (const char *)p;
		lens[k] = sp->len;
		flags[k] = sp->caseless ? HS_FLAG_CASELESS : 0;
		ids[k] = (unsigned)k;
		db->pats[k].partner = sp->partner;
		db->pats[k].artifact = sp->artifact;
		db->pats[k].len = sp->len;
		db->pats[k].form = sp->form;
		db->pats[k].nl = (uint8_t)count_nl(p, sp->len);
		k++;
	}
	assert(k == kept);
	db->n = k;
	exprs[k] = DIRECTIVE;
	lens[k] = DIRECTIVE_LEN;
	flags[k] = 0;
	ids[k] = (unsigned)k;
	e = hs_compile_lit_multi(exprs, flags, ids, lens, (unsigned)k + 1,
	    HS_MODE_STREAM, NULL, &db->hs, &cerr);
	if (e != HS_SUCCESS) {
		if (e == HS_COMPILER_ERROR && cerr != NULL)
			rc = emb_error_set(err, EMB_EINVAL,
			    "canary patterns: %s (pattern %d)", cerr->message,
			    cerr->expression);
		else
			rc = emb_error_set(err,
			    hs_errno(e) ? hs_errno(e) : EMB_EINVAL,
			    "canary patterns: Vectorscan error %d", (int)e);
		hs_free_compile_error(cerr);
		goto out;
	}
	if (hs_database_size(db->hs, &db->size) != HS_SUCCESS)
		db->size = 0;
	*ret_db = db;
	db = NULL;
	rc = 0;
out:
	if (rc == EMB_ENOMEM)
		(void)emb_error_code(err, rc);
	canary_db_free(db);
	free(order);
	free(drop);
	free(exprs);
	free(flags);
	free(ids);
	free(lens);
	return rc;
}

/*
 * Serialised form: "EMBCAN01", the pattern count (u32, little-endian),
 * then per pattern partner (u32), artifact (u32), length (u16), form and
 * newline count (u8 each), then Vectorscan's serialised database.
 */
#define SER_MAGIC "EMBCAN01"
#define SER_MAGIC_LEN 8
#define SER_PAT 12

static void
put_le(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

int
canary_db_serialize(const struct canary_db *db, struct buf *out)
{
	char *bytes = NULL;
	size_t len, need, at = out->len;
	hs_error_t e;
	int rc;

	if ((e = hs_serialize_database(db->hs, &bytes, &len)) != HS_SUCCESS)
		return hs_errno(e) ? hs_errno(e) : EMB_ENOMEM;
	if (db->n > (SIZE_MAX - len - 12) / SER_PAT) {
		rc = EMB_EOVERFLOW;
		goto out;
	}
	need = SER_MAGIC_LEN + 4 + db->n * SER_PAT + len;
	if ((rc = buf_reserve(out, need)) < 0)
		goto out;
	memcpy(out->data + at, SER_MAGIC, SER_MAGIC_LEN);
	put_le(out->data + at + SER_MAGIC_LEN, db->n, 4);
	at += SER_MAGIC_LEN + 4;
	for (size_t i = 0; i < db->n; i++, at += SER_PAT) {
		const struct db_pat *dp = &db->pats[i];
		put_le(out->data + at, dp->partner, 4);
		put_le(out->data + at + 4, dp->artifact, 4);
		put_le(out->data + at + 8, dp->len, 2);
		out->data[at + 10] = dp->form;
		out->data[at + 11] = dp->nl;
	}
	memcpy(out->data + at, bytes, len);
	out->len = at + len;
	out->data[out->len] = '\0';
	rc = 0;
out:
	free(bytes);
	return rc;
}

int
canary_db_deserialize(const void *p, size_t n, struct canary_db **ret_db)
{
	const uint8_t *b = p;
	struct canary_db *db;
	size_t count, at = SER_MAGIC_LEN + 4;
	hs_error_t e;
	int rc = EMB_ECORRUPT;

	if (n < at || memcmp(b, SER_MAGIC, SER_MAGIC_LEN) != 0)
		return EMB_ECORRUPT;
	count = (size_t)get_le(b + SER_MAGIC_LEN, 4);
	if (count > CANARY_PATTERNS_MAX || count * SER_PAT > n - at)
		return EMB_ECORRUPT;
	if ((db = calloc(1, sizeof(*db))) == NULL ||
	    (db->pats = calloc(count ? count : 1, sizeof(*db->pats))) == NULL) {
		rc = EMB_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < count; i++, at += SER_PAT) {
		struct db_pat *dp = &db->pats[i];
		dp->partner = (uint32_t)get_le(b + at, 4);
		dp->artifact = (uint32_t)get_le(b + at + 4, 4);
		dp->len = (uint16_t)get_le(b + at + 8, 2);
		dp->form = b[at + 10];
		dp->nl = b[at + 11];
		if (dp->len == 0 || dp->len > CANARY_PATTERN_MAX ||
		    dp->form >= CANARY_FORM_COUNT || dp->nl > dp->len)
			goto out;
	}
	db->n = count;
	e = hs_deserialize_database((const char *)b + at, n - at, &db->hs);
	if (e != HS_SUCCESS) {
		db->hs = NULL;
		if (e == HS_NOMEM)
			rc = EMB_ENOMEM;
		else if (e == HS_DB_VERSION_ERROR || e == HS_DB_PLATFORM_ERROR)
			rc = EMB_EVERSION;
		goto out;
	}
	if (hs_database_size(db->hs, &db->size) != HS_SUCCESS)
		db->size = 0;
	*ret_db = db;
	db = NULL;
	rc = 0;
out:
	canary_db_free(db);
	return rc;
}

void
canary_db_free(struct canary_db *db)
{
	if (db == NULL)
		return;
	if (db->hs != NULL)
		hs_free_database(db->hs);
	free(db->pats);
	free(db);
}

size_t
canary_db_count(const struct canary_db *db)
{
	return db->n;
}

size_t
canary_db_size(const struct canary_db *db)
{
	return db->size;
}

/* ---- scanning ---- */

int
canary_scanner_new(const struct canary_db *db, canary_hit_fn *on_hit, void *arg,
    struct canary_scanner **ret_sc)
{
	struct canary_scanner *sc;
	hs_error_t e;

	sc = calloc(1, sizeof(*sc));
	if (sc == NULL)
		return EMB_ENOMEM;
	sc->db = db;
	buf_init(&sc->dir, DIRECTIVE_LINE_MAX);
	sc->on_hit = on_hit;
	sc->arg = arg;
	if ((e = hs_alloc_scratch(db->hs, &sc->scratch)) != HS_SUCCESS) {
		free(sc);
		return hs_errno(e) ? hs_errno(e) : EMB_ENOMEM;
	}
	*ret_sc = sc;
	return 0;
}

void
canary_scanner_free(struct canary_scanner *sc)
{
	if (sc == NULL)
		return;
	if (sc->stream != NULL)
		(void)hs_close_stream(sc->stream, NULL, NULL, NULL);
	hs_free_scratch(sc->scratch);
	buf_fini(&sc->dir);
	free(sc);
}

void
canary_scanner_stats(
    const struct canary_scanner *sc, struct canary_stats *ret_stats)
{
	*ret_stats = sc->stats;
}

enum logread_format
canary_scan_format(const struct canary_scanner *sc)
{
	return sc->w3c.valid ? LOGREAD_W3C : sc->format;
}

/* Bring sc->nl to the newlines before chunk offset pos. */
static void
count_to(struct canary_scanner *sc, size_t pos)
{
	if (pos >= sc->counted)
		sc->nl += count_nl(sc->chunk + sc->counted, pos - sc->counted);
	else
		sc->nl -= count_nl(sc->chunk + pos, sc->counted - pos);
	sc->counted = pos;
}

/*
 * The line holding chunk byte s: *ls and *le (exclusive, before the
 * newline) when the whole line is in the chunk.
 */
static bool
line_bounds(const struct canary_scanner *sc, size_t s, size_t *ls, size_t *le)
{
	const uint8_t *p;

	p = s > 0 ? memrchr(sc->chunk, '\n', s) : NULL;
	if (p != NULL)
		*ls = (size_t)(p - sc->chunk) + 1;
	else if (sc->chunk_at_line)
		*ls = 0;
	else
		return false;
	p = memchr(sc->chunk + s, '\n', sc->chunk_n - s);
	if (p != NULL)
		*le = (size_t)(p - sc->chunk);
	else if (sc->chunk_last)
		*le = sc->chunk_n;
	else
		return false;
	return true;
}

/* The directive line collected in sc->dir is complete: read it. */
static void
directive_done(struct canary_scanner *sc)
{
	(void)logread_w3c_directive(&sc->w3c, sc->dir.data, sc->dir.len);
	sc->dir_pending = false;
	sc->cache_valid = false;
}

/*
 * Collect the directive line from chunk offset e on; the literal itself
 * ("#Fields:") is known, so it may have started in an earlier piece.
 */
static void
directive_collect(struct canary_scanner *sc, size_t e)
{
	const uint8_t *p = memchr(sc->chunk + e, '\n', sc->chunk_n - e);
	size_t end = p != NULL ? (size_t)(p - sc->chunk) : sc->chunk_n;

	if (buf_append(&sc->dir, sc->chunk + e, end - e) < 0) {
		sc->dir_pending = false; /* too long to be a #Fields line */
		return;
	}
	if (p != NULL || sc->chunk_last)
		directive_done(sc);
	else
		sc->dir_pending = true;
}

static void
on_directive(struct canary_scanner *sc, unsigned long long to)
{
	sc->dir.len = 0;
	if (buf_append(&sc->dir, DIRECTIVE_LINE, DIRECTIVE_LEN - 1) < 0)
		return;
	directive_collect(sc, (size_t)(to - sc->base));
}

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *ctx)
{
	struct canary_scanner *sc = ctx;
	const struct db_pat *dp;
	struct canary_hit hit;
	size_t e, ls, le;
	uint64_t start;

	(void)from;
	(void)flags;
	if (id >= sc->db->n) {
		on_directive(sc, to);
		return 0;
	}
	dp = &sc->db->pats[id];
	/* Data offsets: the stream has one virtual newline in front. */
	if (to < 1 + (unsigned long long)dp->len)
		return 0; /* a pattern matched the virtual newline */
	start = (uint64_t)to - 1 - dp->len;
	e = (size_t)(to - sc->base);
	count_to(sc, e);

	hit.name = sc->name;
	hit.line = sc->nl - dp->nl + 1;
	hit.offset = start;
	hit.partner = dp->partner;
	hit.artifact = dp->artifact;
	hit.form = (enum canary_form)dp->form;
	hit.line_text = NULL;
	hit.line_len = 0;
	hit.log.format = LOGREAD_RAW;
	hit.log.time_ms = LOGREAD_TIME_NONE;
	hit.log.client[0] = '\0';
	if (start + 1 >= sc->base &&
	    line_bounds(sc, (size_t)(start + 1 - sc->base), &ls, &le)) {
		hit.line_text = sc->chunk + ls;
		hit.line_len = le - ls;
		if (!sc->cache_valid || sc->cache_start != sc->base + ls) {
			(void)logread_line_fields(
			    &sc->w3c, hit.line_text, hit.line_len, &sc->cache);
			sc->cache_valid = true;
			sc->cache_start = sc->base + ls;
		}
		hit.log = sc->cache;
	}
	sc->stats.hits++;
	if (sc->on_hit != NULL && (sc->stop = sc->on_hit(&hit, sc->arg)) != 0)
		return 1;
	return 0;
}

int
canary_scan_end(struct canary_scanner *sc)
{
	hs_error_t e;

	if (sc->stream == NULL)
		return 0;
	if (!sc->sniffed && sc->head_n > 0) {
		sc->format = logread_sniff(sc->head, sc->head_n);
		sc->sniffed = true;
	}
	if (sc->dir_pending)
		directive_done(sc);
	/* Literals never match at the end of data: no scratch, no calls. */
	e = hs_close_stream(sc->stream, NULL, NULL, NULL);
	sc->stream = NULL;
	sc->stats.lines += sc->nl + (sc->any && !sc->last_nl);
	sc->chunk = NULL;
	if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
		return hs_errno(e);
	return 0;
}

int
canary_scan_begin(struct canary_scanner *sc, const char *name)
{
	hs_error_t e;
	int rc;

	if (sc->stream != NULL && (rc = canary_scan_end(sc)) < 0)
		return rc;
	e = hs_open_stream(sc->db->hs, 0, &sc->stream);
	if (e != HS_SUCCESS) {
		sc->stream = NULL;
		return hs_errno(e) ? hs_errno(e) : EMB_ENOMEM;
	}
	sc->name = name;
	sc->stop = 0;
	sc->base = 0;
	sc->nl = 0;
	sc->any = false;
	sc->last_nl = true;
	sc->sniffed = false;
	sc->head_n = 0;
	sc->format = LOGREAD_RAW;
	sc->dir_pending = false;
	sc->cache_valid = false;
	logread_w3c_init(&sc->w3c);
	sc->stats.inputs++;
	/* The virtual newline that lets "\n#Fields:" match on line 1. */
	sc->chunk = (const uint8_t *)"\n";
	sc->chunk_n = 1;
	sc->counted = 1; /* not counted: it is not part of the data */
	e = hs_scan_stream(sc->stream, "\n", 1, 0, sc->scratch, on_match, sc);
	sc->base = 1;
	return hs_errno(e);
}

static int
feed(struct canary_scanner *sc, const uint8_t *p, size_t n, bool last)
{
	hs_error_t e;

	if (sc->stream == NULL)
		return EMB_ESTATE;
	if (sc->stop != 0)
		return sc->stop;
	if (!sc->sniffed) {
		size_t k = SNIFF_BYTES - sc->head_n;
		if (k > n)
			k = n;
		memcpy(sc->head + sc->head_n, p, k);
		sc->head_n += k;
		if (sc->head_n == SNIFF_BYTES || (last && k == n)) {
			sc->format = logread_sniff(sc->head, sc->head_n);
			sc->sniffed = true;
		}
	}
	while (n > 0) {
		/* hs_scan_stream takes an unsigned int length. */
		size_t k = n > (1u << 30) ? (1u << 30) : n;
		sc->chunk = p;
		sc->chunk_n = k;
		sc->chunk_last = last && k == n;
		sc->chunk_at_line = sc->last_nl;
		sc->counted = 0;
		if (sc->dir_pending)
			directive_collect(sc, 0);
		e = hs_scan_stream(sc->stream, (const char *)p, (unsigned)k, 0,
		    sc->scratch, on_match, sc);
		count_to(sc, k);
		sc->base += k;
		sc->stats.bytes += k;
		sc->any = true;
		sc->last_nl = p[k - 1] == '\n';
		if (e == HS_SCAN_TERMINATED)
			return sc->stop;
		if (e != HS_SUCCESS)
			return hs_errno(e);
		p += k;
		n -= k;
	}
	return 0;
}

int
canary_scan_feed(struct canary_scanner *sc, const void *p, size_t n)
{
	return feed(sc, p, n, false);
}

static int
scan_reader(struct canary_scanner *sc, const char *name, struct logread *r,
    const struct canary_opts *opts)
{
	const uint8_t *p;
	size_t n;
	int rc, k, rc2;

	if ((rc = canary_scan_begin(sc, name)) < 0)
		return rc;
	while ((k = logread_next(r, &p, &n)) > 0) {
		rc = feed(sc, p, n, logread_at_end(r));
		if (opts != NULL && opts->progress != NULL) {
			uint64_t done, total;
			logread_progress(r, &done, &total);
			opts->progress(done, total, opts->progress_arg);
		}
		if (rc != 0)
			break;
	}
	if (rc == 0)
		rc = k;
	rc2 = canary_scan_end(sc);
	return rc != 0 ? rc : rc2;
}

int
canary_scan_file(
    struct canary_scanner *sc, const char *path, const struct canary_opts *opts)
{
	struct logread_opts lo = {0};
	struct logread *r;
	int rc;

	if (opts != NULL) {
		lo.chunk = opts->chunk;
		lo.max_bytes = opts->max_bytes;
	}
	if ((rc = logread_open(path, &lo, &r)) < 0)
		return rc;
	rc = scan_reader(sc, path, r, opts);
	logread_close(r);
	return rc;
}

int
canary_scan_mem(struct canary_scanner *sc, const char *name, const void *p,
    size_t n, const struct canary_opts *opts)
{
	struct logread_opts lo = {0};
	struct logread *r;
	int rc;

	if (opts != NULL) {
		lo.chunk = opts->chunk;
		lo.max_bytes = opts->max_bytes;
	}
	if ((rc = logread_open_mem(p, n, &lo, &r)) < 0)
		return rc;
	rc = scan_reader(sc, name, r, opts);
	logread_close(r);
	return rc;
}
