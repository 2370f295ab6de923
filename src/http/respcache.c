/*
 * Answers already given, to give again while nothing they depend on has
 * changed (see respcache.h).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "http/respcache.h"
#include "common/emb.h"

#define SLOTS 1024u
#define PROBES 8u
#define KEY_MAX 2048u /* who, method and target */

struct entry {
	bool used;
	uint64_t hash;
	char *key; /* who '\n' method '\n' target */
	size_t key_len;
	struct core_stamp stamp;
	uint64_t last; /* LRU clock */
	int status;
	struct http_header *headers;
	size_t n_headers;
	uint8_t *body;
	size_t body_len;
	char who[EMB_ID_MAX];
	char note[96];
};

struct http_respcache {
	pthread_mutex_t lock;
	size_t max_bytes, bytes;
	uint64_t clock;
	struct entry slots[SLOTS];
};

struct http_respcache *
http_respcache_new(size_t max_bytes)
{
	struct http_respcache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->max_bytes = max_bytes;
	return c;
}

static size_t
entry_bytes(const struct entry *e)
{
	return e->body_len + e->key_len + e->n_headers * sizeof(*e->headers);
}

static void
drop(struct http_respcache *c, struct entry *e)
{
	c->bytes -= entry_bytes(e);
	/* Bodies hold partners' marked copies: wipe them. */
	crypto_wipe(e->body, e->body_len);
	free(e->body);
	free(e->key);
	free(e->headers);
	memset(e, 0, sizeof(*e));
}

void
http_respcache_free(struct http_respcache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < SLOTS; i++)
		if (c->slots[i].used)
			drop(c, &c->slots[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* The key into out (room for KEY_MAX); its length, or 0 when too long. */
static size_t
make_key(const char *who, const char *method, const char *target,
    char out[KEY_MAX], uint64_t *hash)
{
	size_t a = strlen(who), b = strlen(method), t = strlen(target);
	uint64_t h = 14695981039346656037u;

	if (a + b + t + 2 > KEY_MAX)
		return 0;
	memcpy(out, who, a);
	out[a] = '\n';
	memcpy(out + a + 1, method, b);
	out[a + 1 + b] = '\n';
	memcpy(out + a + b + 2, target, t);
	for (size_t i = 0; i < a + b + t + 2; i++)
		h = (h ^ (uint8_t)out[i]) * 1099511628211u;
	*hash = h;
	return a + b + t + 2;
}

static bool
same_key(const struct entry *e, uint64_t hash, const char *key, size_t n)
{
	return e->used && e->hash == hash && e->key_len == n &&
	    memcmp(e->key, key, n) == 0;
}

static bool
fresh(const struct entry *e, const struct core_stamp *now_stamp, int64_t now)
{
	return e->stamp.gen == now_stamp->gen && e->stamp.from <= now &&
	    now < e->stamp.until;
}

bool
http_respcache_get(struct http_respcache *c, const char *who,
    const char *method, const char *target, const struct core_stamp *stamp,
    int64_t now, struct http_response *out)
{
	char key[KEY_MAX];
	uint64_t h;
	size_t n = make_key(who, method, target, key, &h);
	bool hit = false;

	if (c == NULL || n == 0)
		return false;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < PROBES; i++) {
		struct entry *e = &c->slots[(h + i) % SLOTS];
		if (!same_key(e, h, key, n))
			continue;
		if (!fresh(e, stamp, now) ||
		    e->n_headers > HTTP_HEADERS_MAX - out->n_headers ||
		    buf_append(&out->body, e->body, e->body_len) < 0)
			break;
		memcpy(out->headers + out->n_headers, e->headers,
		    e->n_headers * sizeof(*e->headers));
		out->n_headers += e->n_headers;
		out->status = e->status;
		memcpy(out->who, e->who, sizeof(out->who));
		memcpy(out->note, e->note, sizeof(out->note));
		e->last = ++c->clock;
		hit = true;
		break;
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void
http_respcache_put(struct http_respcache *c, const char *who,
    const char *method, const char *target, const struct core_stamp *stamp,
    const struct http_response *resp)
{
	char key[KEY_MAX];
	uint64_t h;
	size_t n = make_key(who, method, target, key, &h);
	struct entry e, *victim = NULL;

	if (c == NULL || n == 0 || resp->body.len > c->max_bytes / 8)
		return;
	memset(&e, 0, sizeof(e));
	e.key = malloc(n);
	e.headers = malloc(
	    (resp->n_headers ? resp->n_headers : 1) * sizeof(*e.headers));
	e.body = malloc(resp->body.len ? resp->body.len : 1);
	if (e.key == NULL || e.headers == NULL || e.body == NULL) {
		free(e.key);
		free(e.headers);
		free(e.body);
		return;
	}
	e.used = true;
	e.hash = h;
	memcpy(e.key, key, n);
	e.key_len = n;
	e.stamp = *stamp;
	e.status = resp->status;
	memcpy(e.headers, resp->headers, resp->n_headers * sizeof(*e.headers));
	e.n_headers = resp->n_headers;
	if (resp->body.len > 0)
		memcpy(e.body, resp->body.data, resp->body.len);
	e.body_len = resp->body.len;
	memcpy(e.who, resp->who, sizeof(e.who));
	memcpy(e.note, resp->note, sizeof(e.note));

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < PROBES; i++) {
		struct entry *s = &c->slots[(h + i) % SLOTS];
		if (same_key(s, h, key, n) || !s->used) {
			victim = s;
			break;
		}
		if (victim == NULL || s->last < victim->last)
			victim = s;
	}
	if (victim->used)
		drop(c, victim);
	/* Keep within the byte budget: drop the least recently used. */
	while (c->bytes + entry_bytes(&e) > c->max_bytes) {
		struct entry *old = NULL;
		for (size_t i = 0; i < SLOTS; i++)
			if (c->slots[i].used &&
			    (old == NULL || c->slots[i].last < old->last))
				old = &c->slots[i];
		if (old == NULL)
			break;
		drop(c, old);
	}
	e.last = ++c->clock;
	*victim = e;
	c->bytes += entry_bytes(&e);
	pthread_mutex_unlock(&c->lock);
}
