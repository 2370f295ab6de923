/*
 * Authorization header parsing and the failed-attempt limiter (see
 * auth.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/crypto.h"
#include "http/auth.h"
#include "common/emb.h"

#define RL_SLOTS 4096
#define RL_PROBES 16
#define RL_ADDR_MAX 64

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long
http_base64_decode(const char *s, size_t n, uint8_t *out, size_t outmax)
{
	uint32_t acc = 0;
	size_t o = 0, bits = 0, pad = 0;

	while (n > 0 && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (pad > 0 && (n + pad) % 4 != 0)
		return -1;
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64val(s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == outmax)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* Leftover bits must be zero (canonical encoding). */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (long)o;
}

static const char *
skip_scheme(const char *h, const char *scheme)
{
	size_t n = strlen(scheme);

	if (strncasecmp(h, scheme, n) != 0 || h[n] != ' ')
		return NULL;
	h += n;
	while (*h == ' ')
		h++;
	return h;
}

static bool
token_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f)
			return false;
	}
	return true;
}

void
http_auth_parse(const char *header, struct http_credentials *ret)
{
	uint8_t dec[HTTP_AUTH_HEADER_MAX];
	const char *p;
	size_t n;
	long dn;

	memset(ret, 0, sizeof(*ret));
	if (header == NULL) {
		ret->scheme = HTTP_AUTH_NONE;
		return;
	}
	ret->scheme = HTTP_AUTH_MALFORMED;
	n = strnlen(header, HTTP_AUTH_HEADER_MAX + 1);
	if (n > HTTP_AUTH_HEADER_MAX)
		return;
	while (n > 0 && header[n - 1] == ' ')
		n--;
	if ((p = skip_scheme(header, "Bearer")) != NULL) {
		size_t len = n - (size_t)(p - header);
		if (len == 0 || len > HTTP_AUTH_TOKEN_MAX ||
		    !token_chars(p, len))
			return;
		memcpy(ret->token, p, len);
		ret->token[len] = '\0';
		ret->scheme = HTTP_AUTH_BEARER;
		return;
	}
	if ((p = skip_scheme(header, "Basic")) != NULL) {
		const uint8_t *colon;
		size_t ulen, tlen;
		dn = http_base64_decode(
		    p, n - (size_t)(p - header), dec, sizeof(dec));
		if (dn <= 0)
			goto wipe;
		colon = memchr(dec, ':', (size_t)dn);
		if (colon == NULL)
			goto wipe;
		ulen = (size_t)(colon - dec);
		tlen = (size_t)dn - ulen - 1;
		if (ulen == 0 || ulen >= sizeof(ret->user) || tlen == 0 ||
		    tlen > HTTP_AUTH_TOKEN_MAX ||
		    !token_chars((const char *)colon + 1, tlen) ||
		    memchr(dec, '\0', ulen) != NULL)
			goto wipe;
		memcpy(ret->user, dec, ulen);
		ret->user[ulen] = '\0';
		if (!emb_valid_ident(ret->user, EMB_ID_MAX - 1)) {
			ret->user[0] = '\0';
			goto wipe;
		}
		memcpy(ret->token, colon + 1, tlen);
		ret->token[tlen] = '\0';
		ret->scheme = HTTP_AUTH_BASIC;
wipe:
		crypto_wipe(dec, sizeof(dec));
	}
}

/* ---- failed attempts per address ---- */

struct rl_slot {
	char addr[RL_ADDR_MAX];
	int64_t window_start;
	int64_t blocked_until;
	int64_t last;
	unsigned failures;
};

struct http_ratelimit {
	pthread_mutex_t lock;
	unsigned limit;
	int64_t window_ms, block_ms;
	struct rl_slot slots[RL_SLOTS];
};

struct http_ratelimit *
http_ratelimit_new(unsigned limit, int64_t window_ms, int64_t block_ms)
{
	struct http_ratelimit *rl = calloc(1, sizeof(*rl));

	if (rl == NULL)
		return NULL;
	if (pthread_mutex_init(&rl->lock, NULL) != 0) {
		free(rl);
		return NULL;
	}
	rl->limit = limit;
	rl->window_ms = window_ms;
	rl->block_ms = block_ms;
	return rl;
}

void
http_ratelimit_free(struct http_ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/* The slot for addr; with create, a new or the stalest one. */
static struct rl_slot *
rl_find(struct http_ratelimit *rl, const char *addr, bool create)
{
	uint32_t h = fnv1a(addr);
	struct rl_slot *stale = NULL;

	for (unsigned i = 0; i < RL_PROBES; i++) {
		struct rl_slot *s = &rl->slots[(h + i) % RL_SLOTS];
		if (strcmp(s->addr, addr) == 0)
			return s;
		if (stale == NULL || s->addr[0] == '\0' ||
		    (stale->addr[0] != '\0' && s->last < stale->last))
			stale = s;
	}
	if (!create)
		return NULL;
	memset(stale, 0, sizeof(*stale));
	(void)snprintf(stale->addr, sizeof(stale->addr), "%s", addr);
	return stale;
}

bool
http_ratelimit_blocked(struct http_ratelimit *rl, const char *addr, int64_t now,
    int64_t *ret_retry_ms)
{
	struct rl_slot *s;
	bool blocked = false;

	if (rl->limit == 0)
		return false;
	pthread_mutex_lock(&rl->lock);
	s = rl_find(rl, addr, false);
	if (s != NULL && s->blocked_until > now) {
		blocked = true;
		*ret_retry_ms = s->blocked_until - now;
	}
	pthread_mutex_unlock(&rl->lock);
	return blocked;
}

void
http_ratelimit_fail(struct http_ratelimit *rl, const char *addr, int64_t now)
{
	struct rl_slot *s;

	if (rl->limit == 0)
		return;
	pthread_mutex_lock(&rl->lock);
	s = rl_find(rl, addr, true);
	if (now - s->window_start >= rl->window_ms) {
		s->window_start = now;
		s->failures = 0;
	}
	s->last = now;
	if (++s->failures >= rl->limit) {
		s->blocked_until = now + rl->block_ms;
		s->failures = 0;
		s->window_start = now;
	}
	pthread_mutex_unlock(&rl->lock);
}
