/*
 * Answers already given, to give again while nothing they depend on has
 * changed (see respcache.h).
 */
#include <stdlib.h>
#include <string.h>

#include "common/lru.h"
#include "crypto/crypto.h"
#include "http/respcache.h"
#include "common/emb.h"

#define KEY_MAX 2048u /* who, method and target */

/* A kept answer: this, then its headers, then its body. */
struct kept {
	struct core_stamp stamp;
	int status;
	size_t n_headers;
	char who[EMB_ID_MAX];
	char note[96];
};

/* The key into out (room for KEY_MAX); its length, or 0 when too long. */
static size_t
make_key(
    const char *who, const char *method, const char *target, char out[KEY_MAX])
{
	size_t a = strlen(who), b = strlen(method), t = strlen(target);

	if (a + b + t + 2 > KEY_MAX)
		return 0;
	memcpy(out, who, a);
	out[a] = '\n';
	memcpy(out + a + 1, method, b);
	out[a + 1 + b] = '\n';
	memcpy(out + a + b + 2, target, t);
	return a + b + t + 2;
}

struct take {
	const struct core_stamp *stamp;
	int64_t now;
	struct http_response *out;
};

/* Hand a kept answer over if it is still fresh. */
static bool
take(void *arg, const unsigned char *v, size_t len)
{
	struct take *t = arg;
	struct http_response *out = t->out;
	struct kept k;
	size_t hb;

	memcpy(&k, v, sizeof(k));
	hb = k.n_headers * sizeof(*out->headers);
	if (k.stamp.gen != t->stamp->gen || t->now < k.stamp.from ||
	    t->now >= k.stamp.until ||
	    k.n_headers > HTTP_HEADERS_MAX - out->n_headers ||
	    buf_append(&out->body, v + sizeof(k) + hb, len - sizeof(k) - hb) <
	        0)
		return false;
	memcpy(out->headers + out->n_headers, v + sizeof(k), hb);
	out->n_headers += k.n_headers;
	out->status = k.status;
	memcpy(out->who, k.who, sizeof(out->who));
	memcpy(out->note, k.note, sizeof(out->note));
	return true;
}

bool
http_respcache_get(struct emb_lru *c, const char *who, const char *method,
    const char *target, const struct core_stamp *stamp, int64_t now,
    struct http_response *out)
{
	char key[KEY_MAX];
	size_t n = make_key(who, method, target, key);
	struct take t = {stamp, now, out};

	return n > 0 && emb_lru_get(c, key, n, take, &t);
}

void
http_respcache_put(struct emb_lru *c, const char *who, const char *method,
    const char *target, const struct core_stamp *stamp,
    const struct http_response *resp)
{
	char key[KEY_MAX];
	size_t n = make_key(who, method, target, key);
	size_t hb = resp->n_headers * sizeof(*resp->headers);
	struct kept k;
	unsigned char *v;

	if (c == NULL || n == 0 ||
	    (v = malloc(sizeof(k) + hb + resp->body.len + 1)) == NULL)
		return;
	memset(&k, 0, sizeof(k));
	k.stamp = *stamp;
	k.status = resp->status;
	k.n_headers = resp->n_headers;
	memcpy(k.who, resp->who, sizeof(k.who));
	memcpy(k.note, resp->note, sizeof(k.note));
	memcpy(v, &k, sizeof(k));
	memcpy(v + sizeof(k), resp->headers, hb);
	if (resp->body.len > 0)
		memcpy(v + sizeof(k) + hb, resp->body.data, resp->body.len);
	emb_lru_put(c, key, n, v, sizeof(k) + hb + resp->body.len);
	crypto_wipe(v, sizeof(k) + hb + resp->body.len);
	free(v);
}
