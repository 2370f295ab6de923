#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/lru.h"
#include "crypto/crypto.h"
#include "common/emb.h"

#define SLOTS 1024u
#define PROBES 8u /* slots an entry may sit in, from its home */

struct entry {
	bool used;
	uint64_t hash;
	unsigned char *key, *value; /* one allocation: key then value */
	size_t klen, len;
	uint64_t last; /* use clock, for eviction */
};

struct emb_lru {
	pthread_mutex_t lock;
	size_t max_bytes, bytes;
	uint64_t clock;
	struct entry slots[SLOTS];
};

struct emb_lru *
emb_lru_new(size_t max_bytes)
{
	struct emb_lru *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->max_bytes = max_bytes;
	return c;
}

static void
drop(struct emb_lru *c, struct entry *e)
{
	c->bytes -= e->klen + e->len;
	crypto_wipe(e->key, e->klen + e->len);
	free(e->key);
	memset(e, 0, sizeof(*e));
}

void
emb_lru_free(struct emb_lru *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < SLOTS; i++)
		if (c->slots[i].used)
			drop(c, &c->slots[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static uint64_t
hash(const unsigned char *k, size_t n)
{
	uint64_t h = 14695981039346656037u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 1099511628211u;
	return h;
}

static bool
same_key(const struct entry *e, uint64_t h, const void *key, size_t klen)
{
	return e->used && e->hash == h && e->klen == klen &&
	    memcmp(e->key, key, klen) == 0;
}

bool
emb_lru_get(struct emb_lru *c, const void *key, size_t klen,
    bool (*take)(void *arg, const unsigned char *value, size_t len), void *arg)
{
	uint64_t h = hash(key, klen);
	bool hit = false;

	if (c == NULL)
		return false;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < PROBES; i++) {
		struct entry *e = &c->slots[(h + i) % SLOTS];
		if (!same_key(e, h, key, klen))
			continue;
		if ((hit = take(arg, e->value, e->len)))
			e->last = ++c->clock;
		break;
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void
emb_lru_put(struct emb_lru *c, const void *key, size_t klen, const void *value,
    size_t len)
{
	uint64_t h = hash(key, klen);
	struct entry *victim = NULL;
	unsigned char *mem;

	if (c == NULL || len > c->max_bytes / 8 || klen > c->max_bytes / 8 ||
	    (mem = malloc(klen + len + 1)) == NULL)
		return;
	memcpy(mem, key, klen);
	if (len > 0)
		memcpy(mem + klen, value, len);
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < PROBES; i++) {
		struct entry *e = &c->slots[(h + i) % SLOTS];
		if (same_key(e, h, key, klen) || !e->used) {
			victim = e;
			break;
		}
		if (victim == NULL || e->last < victim->last)
			victim = e;
	}
	if (victim->used)
		drop(c, victim);
	/* Keep within the byte budget: drop the least recently used. */
	while (c->bytes + klen + len > c->max_bytes) {
		struct entry *old = NULL;
		for (size_t i = 0; i < SLOTS; i++)
			if (c->slots[i].used &&
			    (old == NULL || c->slots[i].last < old->last))
				old = &c->slots[i];
		if (old == NULL)
			break;
		drop(c, old);
	}
	victim->used = true;
	victim->hash = h;
	victim->key = mem;
	victim->value = mem + klen;
	victim->klen = klen;
	victim->len = len;
	victim->last = ++c->clock;
	c->bytes += klen + len;
	pthread_mutex_unlock(&c->lock);
}
