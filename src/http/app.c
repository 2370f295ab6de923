/*
 * The application side of the server: a pool of database connections,
 * routing, authentication, and the error answers every endpoint shares
 * (see http.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/crypto.h"
#include "http/http_int.h"
#include "common/timeutil.h"
#include "common/emb.h"

/* ---- responses ---- */

void
http_response_init(struct http_response *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->body, HTTP_BODY_MAX);
}

void
http_response_fini(struct http_response *r)
{
	buf_fini_wipe(&r->body);
	r->n_headers = 0;
}

void
http_response_header(
    struct http_response *r, const char *name, const char *fmt, ...)
{
	struct http_header *h;
	va_list ap;

	for (size_t i = 0; i < r->n_headers; i++)
		if (strcasecmp(r->headers[i].name, name) == 0) {
			h = &r->headers[i];
			goto set;
		}
	if (r->n_headers == HTTP_HEADERS_MAX)
		return;
	h = &r->headers[r->n_headers++];
	(void)snprintf(h->name, sizeof(h->name), "%s", name);
set:
	va_start(ap, fmt);
	(void)vsnprintf(h->value, sizeof(h->value), fmt, ap);
	va_end(ap);
}

const char *
http_response_get(const struct http_response *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

const char *
http_time(int64_t ms, char out[EMB_TIME_STR])
{
	return emb_time_format(ms, true, out);
}

void
http_json(
    struct http_ctx *c, int status, const char *content_type, json_t *take)
{
	struct http_response *r = c->resp;
	char *s;

	if (take == NULL) {
		http_internal(c, NULL);
		return;
	}
	s = json_dumps(take, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(take);
	buf_fini(&r->body);
	if (s == NULL || buf_append_str(&r->body, s) < 0 ||
	    buf_append(&r->body, "\n", 1) < 0) {
		free(s);
		buf_fini(&r->body);
		r->status = 500;
		return;
	}
	free(s);
	r->status = status;
	http_response_header(r, "Content-Type", "%s", content_type);
}

void
http_error(
    struct http_ctx *c, int status, const char *title, const char *description)
{
	char code[8];

	(void)snprintf(code, sizeof(code), "%d", status);
	http_json(c, status, c->taxii ? HTTP_TAXII_TYPE : HTTP_JSON_TYPE,
	    json_pack("{s:s, s:s, s:s}", "title", title, "description",
	        description, "http_status", code));
}

void
http_unauthorized(struct http_ctx *c)
{
	/* One answer for every way authentication can fail. */
	http_error(c, 401, "Unauthorized",
	    "A valid partner credential is required: Authorization: Bearer"
	    " TOKEN, or Basic with the partner id and token.");
	http_response_header(c->resp, "WWW-Authenticate",
	    "Basic realm=\"embargo\", Bearer realm=\"embargo\"");
}

void
http_not_found(struct http_ctx *c)
{
	/* One answer for what does not exist and what is not visible. */
	http_error(c, 404, "Not found", "There is no such resource.");
}

void
http_internal(struct http_ctx *c, const struct emb_error *err)
{
	if (err != NULL && err->code != 0)
		(void)snprintf(c->resp->note, sizeof(c->resp->note),
		    "error: %.80s", err->msg);
	http_error(c, 500, "Internal error",
	    "The server could not answer; try again later.");
}

void
http_forbidden_write(struct http_ctx *c)
{
	http_error(c, 403, "Permission denied",
	    "This collection is read-only: partners cannot add or delete"
	    " objects.");
}

void
http_method_not_allowed(struct http_ctx *c)
{
	http_error(c, 405, "Method not allowed",
	    "Only GET and HEAD are supported here.");
	http_response_header(c->resp, "Allow", "GET, HEAD");
}

void
http_actor(const struct http_ctx *c, char *out, size_t n)
{
	(void)snprintf(out, n, "partner:%s", c->partner.id);
}

/* ---- the app ---- */

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

int
http_app_new(const struct http_app_conf *conf, struct http_app **ret,
    struct emb_error *err)
{
	struct http_app *app;
	int r;

	if (conf->instances == 0 || conf->vendor == NULL ||
	    conf->public_url == NULL || conf->datadir == NULL)
		return emb_error_set(
		    err, EMB_EINVAL, "incomplete server setup");
	app = calloc(1, sizeof(*app));
	if (app == NULL)
		return emb_error_code(err, EMB_ENOMEM);
	if (pthread_mutex_init(&app->lock, NULL) != 0) {
		free(app);
		return emb_error_code(err, EMB_ENOMEM);
	}
	if (pthread_cond_init(&app->freed, NULL) != 0) {
		pthread_mutex_destroy(&app->lock);
		free(app);
		return emb_error_code(err, EMB_ENOMEM);
	}
	app->conf = *conf;
	app->datadir = dup_or_null(conf->datadir);
	app->vendor = dup_or_null(conf->vendor);
	app->public_url = dup_or_null(conf->public_url);
	app->pool = calloc(conf->instances, sizeof(*app->pool));
	app->busy = calloc(conf->instances, sizeof(*app->busy));
	app->stamps = calloc(conf->instances, sizeof(*app->stamps));
	app->rl = http_ratelimit_new(conf->auth_fail_limit,
	    conf->auth_fail_window_ms, conf->auth_block_ms);
	if (app->datadir == NULL || app->vendor == NULL ||
	    app->public_url == NULL || app->pool == NULL || app->busy == NULL ||
	    app->stamps == NULL || app->rl == NULL) {
		r = emb_error_code(err, EMB_ENOMEM);
		goto fail;
	}
	app->conf.datadir = app->datadir;
	app->conf.vendor = app->vendor;
	app->conf.public_url = app->public_url;
	for (size_t i = 0; i < conf->instances; i++) {
		if ((r = core_instance_open(app->datadir, &app->pool[i], err)) <
		    0)
			goto fail;
		app->n_pool++;
	}
	/* Without memory for them, the server simply does without. */
	app->stix.cache = emb_lru_new(HTTP_COPY_CACHE_BYTES);
	app->cache = emb_lru_new(HTTP_RESPONSE_CACHE_BYTES);
	app->stix.vendor = app->vendor;
	app->stix.public_url = app->public_url;
	core_stix_namespace(app->pool[0], app->stix.ns);
	app->csaf.publisher = app->vendor;
	app->csaf.public_url = app->public_url;
	app->started = emb_time_now();
	atomic_init(&app->draining, false);
	*ret = app;
	return 0;
fail:
	http_app_free(app);
	return r;
}

void
http_app_free(struct http_app *app)
{
	if (app == NULL)
		return;
	for (size_t i = 0; i < app->n_pool; i++)
		core_instance_free(app->pool[i]);
	pthread_mutex_destroy(&app->lock);
	pthread_cond_destroy(&app->freed);
	emb_lru_free(app->stix.cache);
	emb_lru_free(app->cache);
	free(app->pool);
	free(app->busy);
	free(app->stamps);
	http_ratelimit_free(app->rl);
	free(app->datadir);
	free(app->vendor);
	free(app->public_url);
	free(app);
}

void
http_app_drain(struct http_app *app)
{
	atomic_store(&app->draining, true);
}

static struct emb_instance *
acquire(struct http_app *app, size_t *slot)
{
	struct emb_instance *inst = NULL;

	pthread_mutex_lock(&app->lock);
	while (inst == NULL) {
		for (size_t i = 0; i < app->n_pool; i++)
			if (!app->busy[i]) {
				app->busy[i] = true;
				inst = app->pool[i];
				*slot = i;
				break;
			}
		if (inst == NULL)
			pthread_cond_wait(&app->freed, &app->lock);
	}
	pthread_mutex_unlock(&app->lock);
	return inst;
}

static void
release(struct http_app *app, size_t slot)
{
	pthread_mutex_lock(&app->lock);
	app->busy[slot] = false;
	pthread_cond_signal(&app->freed);
	pthread_mutex_unlock(&app->lock);
}

/*
 * Authenticate c's request when it carries credentials.  Returns 0 (c is
 * then authenticated, or anonymous when nothing was sent) or -1 after
 * answering 401 or 429.
 */
static int
authenticate(struct http_ctx *c)
{
	struct http_app *app = c->app;
	const struct http_request *req = c->req;
	struct http_credentials cred;
	struct store_partner p;
	int64_t retry;
	bool ok;
	int r;

	http_auth_parse(req->authorization, &cred);
	if (cred.scheme == HTTP_AUTH_NONE)
		return 0;
	if (http_ratelimit_blocked(app->rl, req->client, req->now, &retry)) {
		http_error(c, 429, "Too many requests",
		    "Too many failed authentication attempts from this"
		    " address; try again later.");
		http_response_header(c->resp, "Retry-After", "%lld",
		    (long long)((retry + 999) / 1000));
		crypto_wipe(&cred, sizeof(cred));
		return -1;
	}
	/*
	 * The same work whatever was sent: one keyed hash of the token (an
	 * empty one for a malformed header) and one indexed lookup; the
	 * partner id (Basic) and the certificate pin are checked after, at
	 * a cost that does not depend on which check fails.
	 */
	memset(&p, 0, sizeof(p));
	r = core_partner_authenticate(
	    c->inst, cred.scheme == HTTP_AUTH_MALFORMED ? "" : cred.token, &p);
	ok = r == 0 && cred.scheme != HTTP_AUTH_MALFORMED;
	if (cred.scheme == HTTP_AUTH_BASIC)
		ok = ok && strcmp(p.id, cred.user) == 0;
	if (app->conf.client_ca) {
		bool pinned = req->cert == HTTP_CERT_VALID &&
		    crypto_equal(req->cert_pin, p.cert_pin, sizeof(p.cert_pin));
		ok = ok && pinned && p.has_cert_pin;
	}
	crypto_wipe(&cred, sizeof(cred));
	if (!ok) {
		http_ratelimit_fail(app->rl, req->client, req->now);
		http_unauthorized(c);
		return -1;
	}
	c->authenticated = true;
	c->partner = p;
	(void)snprintf(c->resp->who, sizeof(c->resp->who), "%s", p.id);
	return 0;
}

/* Whether an Accept header admits the TAXII media type. */
static bool
accepts_taxii(const char *accept)
{
	const char *p = accept;

	if (accept == NULL)
		return true;
	while (*p != '\0') {
		size_t n = strcspn(p, ",");
		char item[160];
		size_t i = 0, j = 0;
		/* Compact the media range: no blanks, lower case. */
		for (; i < n && j + 1 < sizeof(item); i++)
			if (p[i] != ' ' && p[i] != '\t')
				item[j++] = (char)((p[i] >= 'A' && p[i] <= 'Z')
				        ? p[i] - 'A' + 'a'
				        : p[i]);
		item[j] = '\0';
		if (strncmp(item, "*/*", 3) == 0 ||
		    strncmp(item, "application/*", 13) == 0 ||
		    strcmp(item, "application/taxii+json") == 0 ||
		    strncmp(item, "application/taxii+json;q=", 25) == 0 ||
		    strncmp(item, "application/taxii+json;version=2.1", 34) ==
		        0)
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

/*
 * Whether the answer to c's request may be given again from the response
 * cache: reads, answered from the views alone (a partner's own delivery
 * receipts change with each download), and not conditional.
 */
static bool
reusable(const struct http_ctx *c)
{
	const struct http_target *t = &c->t;

	return c->read && c->req->if_none_match == NULL &&
	    !(t->n_seg >= 2 && strcmp(t->seg[0], "v1") == 0 &&
	        strcmp(t->seg[1], "deliveries") == 0);
}

static void
healthz(struct http_ctx *c)
{
	http_json(c, 200, HTTP_JSON_TYPE, json_pack("{s:s}", "status", "ok"));
}

void
http_app_handle(struct http_app *app, const struct http_request *req,
    struct http_response *resp)
{
	struct http_ctx c;
	struct emb_error err = {0};
	struct core_stamp stamp;
	bool cacheable = false;
	size_t slot = 0;
	int r;

	memset(&c, 0, sizeof(c));
	c.app = app;
	c.req = req;
	c.resp = resp;
	c.read =
	    strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
	c.taxii = strncmp(req->target, "/taxii2", 7) == 0 &&
	    (req->target[7] == '/' || req->target[7] == '\0' ||
	        req->target[7] == '?');
	r = http_target_parse(req->target, &c.t);
	if (r == EMB_ETOOBIG) {
		http_error(&c, 414, "Request-target too long",
		    "The path or query has too many parts.");
		return;
	}
	if (r < 0) {
		http_error(
		    &c, 400, "Bad request", "The request-target is malformed.");
		return;
	}
	if (req->body_len > app->conf.body_max) {
		http_error(&c, 413, "Payload too large",
		    "Requests to this server carry no body.");
		goto out;
	}
	if (c.t.n_seg == 1 && strcmp(c.t.seg[0], "healthz") == 0 &&
	    c.t.n_params == 0 && !c.t.trailing_slash) {
		if (c.read)
			healthz(&c);
		else
			http_method_not_allowed(&c);
		goto out;
	}
	if (c.taxii && !accepts_taxii(req->accept)) {
		http_error(&c, 406, "Not acceptable",
		    "This server speaks application/taxii+json;version=2.1.");
		goto out;
	}
	c.inst = acquire(app, &slot);
	if (core_read_begin(c.inst, &err) < 0) {
		http_internal(&c, &err);
		goto release;
	}
	if (authenticate(&c) < 0)
		goto release;
	/* The slot's last stamp spares the search while it still holds. */
	cacheable = reusable(&c) &&
	    core_data_stamp(
	        c.inst, req->now, &app->stamps[slot], &stamp, &err) == 0;
	if (cacheable)
		app->stamps[slot] = stamp;
	if (cacheable &&
	    http_respcache_get(app->cache, c.partner.id, req->method,
	        req->target, &stamp, req->now, resp))
		goto release;
	if (c.authenticated)
		http_response_header(resp, "Cache-Control", "no-store");
	if (c.taxii)
		http_taxii(&c);
	else if (c.t.n_seg >= 1 && strcmp(c.t.seg[0], "v1") == 0)
		http_rest(&c);
	else if (c.t.n_seg >= 2 && strcmp(c.t.seg[0], ".well-known") == 0 &&
	    strcmp(c.t.seg[1], "csaf") == 0)
		http_public(&c);
	else
		http_not_found(&c);
	if (cacheable && resp->status == 200)
		http_respcache_put(app->cache, c.partner.id, req->method,
		    req->target, &stamp, resp);
release:
	core_read_end(c.inst);
	release(app, slot);
out:
	if (atomic_load(&app->draining))
		http_response_header(resp, "Connection", "close");
	http_target_fini(&c.t);
}
