/* Internal to src/http: the app and one request being answered. */
#ifndef EMB_HTTP_INT_H
#define EMB_HTTP_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <jansson.h>

#include "core/core.h"
#include "core/csaf.h"
#include "core/partner_view.h"
#include "core/stix.h"
#include "common/timeutil.h"
#include "http/auth.h"
#include "http/http.h"
#include "http/query.h"
#include "http/respcache.h"

#define HTTP_PAGE_BYTES_MAX (32u * 1024 * 1024) /* objects per page */
#define HTTP_COPY_CACHE_BYTES (64u * 1024 * 1024) /* copies on record */
#define HTTP_RESPONSE_CACHE_BYTES (64u * 1024 * 1024) /* answers */

struct http_app {
	char *datadir, *vendor, *public_url;
	struct http_app_conf conf;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct emb_instance **pool;
	bool *busy;
	struct core_stamp *stamps; /* per connection: its last data stamp */
	size_t n_pool;
	struct http_ratelimit *rl;
	struct core_stix_conf stix;
	struct core_csaf_conf csaf;
	struct emb_lru *cache; /* answers to give again (respcache.h) */

	int64_t started;
	atomic_bool draining;
};

/* One request being answered. */
struct http_ctx {
	struct http_app *app;
	const struct http_request *req;
	struct http_response *resp;
	struct http_target t;
	struct emb_instance *inst;
	bool authenticated;
	struct store_partner partner;
	bool taxii; /* under /taxii2/: TAXII media types */
	bool read; /* GET or HEAD */
};

/*
 * Answer with an error: a TAXII error object (title, description,
 * http_status), as application/taxii+json under /taxii2/, else JSON.
 */
void http_error(
    struct http_ctx *c, int status, const char *title, const char *description);

/* The 401 every failed or missing authentication gets. */
void http_unauthorized(struct http_ctx *c);

/* The 404 for whatever does not exist or is not visible. */
void http_not_found(struct http_ctx *c);

/* Answer with a JSON document (consumed) of the given media type. */
void http_json(
    struct http_ctx *c, int status, const char *content_type, json_t *take);

/* 500 after a failed use case; the reason goes to the access log only. */
void http_internal(struct http_ctx *c, const struct emb_error *err);

/* Write methods on a readable TAXII collection: the permission error. */
void http_forbidden_write(struct http_ctx *c);

/* 405 with an Allow header. */
void http_method_not_allowed(struct http_ctx *c);

/* The actor that deliveries made for c's partner are recorded under. */
void http_actor(const struct http_ctx *c, char *out, size_t n);

/* RFC 3339 with milliseconds. */
const char *http_time(int64_t ms, char out[EMB_TIME_STR]);

void http_taxii(struct http_ctx *c); /* /taxii2/... */
void http_rest(struct http_ctx *c); /* /v1/... */
void http_public(struct http_ctx *c); /* /.well-known/csaf/... */

#endif
