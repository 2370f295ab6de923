/*
 * A bounded, thread-safe cache of byte strings by byte-string key, least
 * recently used first out.  Values are wiped when dropped (the server
 * keeps partners' marked copies in them).  The callers give keys and
 * values their meaning: the server's response cache (http/respcache.c)
 * and the cache of copies on record (core/partner_view.c).
 */
#ifndef EMB_COMMON_LRU_H
#define EMB_COMMON_LRU_H

#include <stdbool.h>
#include <stddef.h>

struct emb_lru;

/* A cache holding at most max_bytes of keys and values; NULL: no memory. */
struct emb_lru *emb_lru_new(size_t max_bytes);

/* Drop (wiping) everything; accepts NULL. */
void emb_lru_free(struct emb_lru *c);

/*
 * The value under key, handed to take(arg, value, len) under the cache's
 * lock (take must not use the cache).  Returns what take returns, false
 * when there is no such key or c is NULL; a hit counts as a use.
 */
bool emb_lru_get(struct emb_lru *c, const void *key, size_t klen,
    bool (*take)(void *arg, const unsigned char *value, size_t len), void *arg);

/*
 * Keep a copy of value under key, replacing what was there and dropping
 * the least recently used to stay within the budget.  Values larger than
 * an eighth of the budget, and anything when memory runs out, are not
 * kept.  Accepts a NULL cache.
 */
void emb_lru_put(struct emb_lru *c, const void *key, size_t klen,
    const void *value, size_t len);

#endif
