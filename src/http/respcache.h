/*
 * The server's response cache: an answer given to one requester (a
 * partner, or "" for the public) for one method and request-target, kept
 * with the data stamp it was computed under (core_data_stamp) and given
 * again, byte for byte, only to the same requester for the same request
 * while the stamp still holds: the same generation of the stored data,
 * and no stored time passed since.  So a hit is exactly what computing
 * the answer again would give, without the database work, the view
 * building and the JSON encoding.
 *
 * The cache itself is an emb_lru (common/lru.h).  Only what the caller
 * puts is kept (the application keeps successful
 * reads; see app.c).  Bounded in bytes, least recently used first out;
 * bodies (which hold marked copies) are wiped when dropped.  Thread-safe.
 */
#ifndef EMB_HTTP_RESPCACHE_H
#define EMB_HTTP_RESPCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/lru.h"
#include "core/core.h"
#include "http/http.h"

/*
 * When a fresh answer is on hand: append its headers to out's, its body
 * to out's body, set its status, who and note, and return true.  Accepts
 * a NULL cache (never a hit).
 */
bool http_respcache_get(struct emb_lru *c, const char *who, const char *method,
    const char *target, const struct core_stamp *stamp, int64_t now,
    struct http_response *out);

/* Keep a copy of resp, computed under stamp.  Accepts a NULL cache. */
void http_respcache_put(struct emb_lru *c, const char *who, const char *method,
    const char *target, const struct core_stamp *stamp,
    const struct http_response *resp);

#endif
