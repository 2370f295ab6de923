#include <endian.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "mark/mark.h"
#include "mark/tardos.h"
#include "common/emb.h"

_Static_assert(MARK_Q_MAX == TARDOS_Q_MAX, "alphabet sizes agree");

#define DOMAIN_IDENT "embargo-mark-ident-v1"
#define DOMAIN_BIAS "bias"
#define DOMAIN_SYMKEY "symkey"

void
mark_ident(const struct crypto_keys *keys, const void *name, size_t n,
    uint8_t out[MARK_IDENT_BYTES])
{
	struct buf b;

	buf_init(&b, n + sizeof(DOMAIN_IDENT));
	if (buf_append(&b, DOMAIN_IDENT, sizeof(DOMAIN_IDENT)) < 0 ||
	    buf_append(&b, name, n) < 0)
		abort(); /* sized above: cannot happen */
	crypto_mac(keys, CRYPTO_KEY_MARK, b.data, b.len, out);
	buf_fini(&b);
}

/* PRF input: ident || domain || site index (LE32) || extra. */
static void
site_seed(const struct mark_artifact *ma, const char *domain, size_t site,
    const void *extra, size_t extra_n, uint8_t out[TARDOS_SEED_BYTES])
{
	uint8_t in[MARK_IDENT_BYTES + 8 + 4 + EMB_ID_MAX];
	size_t n = 0, dn = strlen(domain);

	if (extra_n > EMB_ID_MAX)
		extra_n = EMB_ID_MAX;
	memcpy(in, ma->ident, MARK_IDENT_BYTES);
	n += MARK_IDENT_BYTES;
	memcpy(in + n, domain, dn);
	n += dn;
	for (int i = 0; i < 4; i++)
		in[n++] = (uint8_t)(site >> (8 * i));
	memcpy(in + n, extra, extra_n);
	n += extra_n;
	crypto_prf(ma->keys, CRYPTO_KEY_MARK, in, n, out, TARDOS_SEED_BYTES);
}

int
mark_artifact_prepare(struct mark_artifact *ma, const struct crypto_keys *keys,
    const uint8_t ident[MARK_IDENT_BYTES], const char *file_name,
    enum store_mark_mode mode, const uint8_t *text, size_t len,
    struct emb_error *err)
{
	int r;

	memset(ma, 0, sizeof(*ma));
	ma->keys = keys;
	ma->mode = mode;
	memcpy(ma->ident, ident, MARK_IDENT_BYTES);
	mark_set_init(&ma->set, text, len);
	ma->lang = mark_lang_detect(file_name, text, len);
	if (mode != STORE_MARK_NONE && ma->lang != MARK_LANG_BINARY) {
		if ((r = mark_template(&ma->set, err)) < 0)
			goto fail;
		if (mode == STORE_MARK_AUTO &&
		    (r = mark_lang_discover(ma->lang, &ma->set)) < 0) {
			r = emb_error_set(err, r, "mark discovery failed: %s",
			    emb_strerror(r));
			goto fail;
		}
	}
	if ((r = mark_set_finalize(&ma->set)) < 0) {
		r = emb_error_code(err, r);
		goto fail;
	}
	ma->p = calloc(
	    ma->set.nsites ? ma->set.nsites * MARK_Q_MAX : 1, sizeof(double));
	ma->thr = calloc(ma->set.nsites ? ma->set.nsites * (MARK_Q_MAX - 1) : 1,
	    sizeof(uint64_t));
	if (ma->p == NULL || ma->thr == NULL) {
		r = emb_error_code(err, EMB_ENOMEM);
		goto fail;
	}
	for (size_t i = 0; i < ma->set.nsites; i++) {
		const struct mark_site *s = &ma->set.sites[i];
		uint8_t seed[TARDOS_SEED_BYTES], q = s->q;
		if (q < 2)
			continue;
		site_seed(ma, DOMAIN_BIAS, i, &q, 1, seed);
		tardos_bias(
		    seed, q, TARDOS_CUTOFF_DEFAULT, ma->p + i * MARK_Q_MAX);
	}
	/*
	 * Summed in tardos_symbol_at's order, so that counting the
	 * thresholds <= u gives its symbol; sites with q < 2 never count.
	 * u is a 53-bit integer standing for u / 2^53, and v >= c exactly
	 * when u >= ceil(c 2^53) (scaling by 2^53 is exact).
	 */
	for (size_t i = 0; i < ma->set.nsites; i++) {
		const double *p = ma->p + i * MARK_Q_MAX;
		unsigned q = ma->set.sites[i].q;
		double c = 0;
		for (unsigned k = 0; k + 1 < MARK_Q_MAX; k++) {
			c += q >= 2 && k + 1 < q ? p[k] : 0;
			ma->thr[i * (MARK_Q_MAX - 1) + k] = q >= 2 && k + 1 < q
			    ? (uint64_t)ceil(c * 0x1.0p53)
			    : UINT64_MAX;
		}
	}
	return 0;
fail:
	mark_artifact_fini(ma);
	return r;
}

void
mark_artifact_fini(struct mark_artifact *ma)
{
	mark_set_fini(&ma->set);
	free(ma->p);
	free(ma->thr);
	ma->p = NULL;
	ma->thr = NULL;
}

const double *
mark_artifact_bias(const struct mark_artifact *ma, size_t i)
{
	return ma->p + i * MARK_Q_MAX;
}

/* The ChaCha20 key of partner's symbols for ma (wipe it after use). */
static void
symbol_key(const struct mark_artifact *ma, const char *partner_id,
    uint8_t key[CRYPTO_KEY_BYTES])
{
	/*
	 * One keyed hash per (artifact, partner) gives a ChaCha20 key; its
	 * keystream gives each site a 64-bit uniform, so a copy costs one
	 * hash and a few bytes of keystream per site.
	 */
	site_seed(ma, DOMAIN_SYMKEY, 0, partner_id,
	    strnlen(partner_id, EMB_ID_MAX), key);
}

/* The keystream of the block of (up to 256) sites from base: 8 bytes each. */
static void
symbol_block(const struct mark_artifact *ma, const uint8_t *key, size_t base,
    uint8_t u[8 * 256])
{
	uint8_t nonce[8];
	size_t n = ma->set.nsites - base < 256 ? ma->set.nsites - base : 256;

	for (int i = 0; i < 8; i++)
		nonce[i] = (uint8_t)((uint64_t)(base / 256) >> (8 * i));
	crypto_keystream(key, nonce, u, 8 * n);
}

/* Site base + i's 53-bit uniform from its block's keystream. */
static uint64_t
uniform53(const uint8_t *u, size_t i)
{
	uint64_t x;

	memcpy(&x, u + 8 * i, 8);
	return be64toh(x) >> 11;
}

void
mark_artifact_symbols(
    const struct mark_artifact *ma, const char *partner_id, uint8_t *symbols)
{
	uint8_t key[CRYPTO_KEY_BYTES], u[8 * 256];

	symbol_key(ma, partner_id, key);
	for (size_t base = 0; base < ma->set.nsites; base += 256) {
		size_t n =
		    ma->set.nsites - base < 256 ? ma->set.nsites - base : 256;
		symbol_block(ma, key, base, u);
		for (size_t i = 0; i < n; i++) {
			const uint64_t *t =
			    ma->thr + (base + i) * (MARK_Q_MAX - 1);
			uint64_t v = uniform53(u, i);
			unsigned y = 0;
			for (int k = 0; k + 1 < MARK_Q_MAX; k++)
				y += v >= t[k];
			symbols[base + i] = (uint8_t)y;
		}
	}
	crypto_wipe(key, sizeof(key));
	crypto_wipe(u, sizeof(u));
}

void
mark_artifact_agree(const struct mark_artifact *ma, const char *partner_id,
    const size_t *sites, const uint8_t *want, size_t n, uint8_t *agree)
{
	uint8_t key[CRYPTO_KEY_BYTES], u[8 * 256];
	size_t block = SIZE_MAX;

	symbol_key(ma, partner_id, key);
	for (size_t i = 0; i < n; i++) {
		size_t k = sites[i];
		const uint64_t *t = ma->thr + k * (MARK_Q_MAX - 1);
		unsigned y = want[i];
		uint64_t v, lo, hi;
		if (k >= ma->set.nsites || y >= MARK_Q_MAX)
			continue;
		if (k / 256 != block) {
			block = k / 256;
			symbol_block(ma, key, block * 256, u);
		}
		/* Symbol y: exactly y thresholds <= v. */
		v = uniform53(u, k % 256);
		lo = y == 0 ? 0 : t[y - 1];
		hi = y + 1 < MARK_Q_MAX ? t[y] : UINT64_MAX;
		agree[i / 8] |= (uint8_t)((lo <= v && v < hi) << (i % 8));
	}
	crypto_wipe(key, sizeof(key));
	crypto_wipe(u, sizeof(u));
}

struct canary_ctx {
	const struct mark_artifact *ma;
	const char *partner_id;
};

static int
render_canary(size_t site, struct buf *out, void *arg)
{
	const struct canary_ctx *c = arg;
	const struct mark_site *s = &c->ma->set.sites[site];

	return mark_canary_token(c->ma->keys, c->ma->ident, c->partner_id,
	    (enum mark_canary_fmt)s->canary_fmt, out);
}

int
mark_artifact_copy(
    const struct mark_artifact *ma, const char *partner_id, struct buf *out)
{
	struct canary_ctx c = {ma, partner_id};
	uint8_t *sym;
	int r;

	sym = malloc(ma->set.nsites ? ma->set.nsites : 1);
	if (sym == NULL)
		return EMB_ENOMEM;
	mark_artifact_symbols(ma, partner_id, sym);
	r = mark_render(&ma->set, sym, render_canary, &c, out);
	free(sym);
	return r;
}

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* n base32 characters from the bit string (5 bits each). */
static void
base32(const uint8_t *bits, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		size_t bit = i * 5;
		unsigned v =
		    ((unsigned)bits[bit / 8] << 8 | bits[bit / 8 + 1]) >>
		    (11 - bit % 8);
		out[i] = b32[v & 31];
	}
	out[n] = '\0';
}

int
mark_canary_token(const struct crypto_keys *keys,
    const uint8_t ident[MARK_IDENT_BYTES], const char *partner_id,
    enum mark_canary_fmt fmt, struct buf *out)
{
	uint8_t in[MARK_IDENT_BYTES + EMB_ID_MAX], raw[32];
	size_t plen = strnlen(partner_id, EMB_ID_MAX);
	char s[64];

	memcpy(in, ident, MARK_IDENT_BYTES);
	memcpy(in + MARK_IDENT_BYTES, partner_id, plen);
	crypto_prf(keys, CRYPTO_KEY_CANARY, in, MARK_IDENT_BYTES + plen, raw,
	    sizeof(raw));
	switch (fmt) {
	case MARK_CANARY_HEX:
		emb_hex(raw, 12, s); /* 96 bits */
		return buf_append_str(out, s);
	case MARK_CANARY_BASE32:
		base32(raw, 20, s); /* 100 bits */
		return buf_append_str(out, s);
	case MARK_CANARY_HOSTNAME:
		base32(raw, 23, s + 1); /* 115 bits */
		s[0] = 'h';
		return buf_append_str(out, s);
	case MARK_CANARY_UUID: {
		char h[33];
		raw[6] = (uint8_t)((raw[6] & 0x0f) | 0x40); /* version 4 */
		raw[8] = (uint8_t)((raw[8] & 0x3f) | 0x80); /* variant */
		emb_hex(raw, 16, h);
		return buf_printf(out, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8,
		    h + 12, h + 16, h + 20);
	}
	case MARK_CANARY_UA:
		base32(raw, 20, s);
		return buf_printf(out,
		    "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
		    " AppleWebKit/537.36 (KHTML, like Gecko)"
		    " Chrome/124.0.0.0 Safari/537.36 rid/%s",
		    s);
	case MARK_CANARY_FMT_COUNT:
		break;
	}
	return EMB_EINVAL;
}
