/*
 * The distribution server's application side, behind one narrow
 * interface: a request in (struct http_request: plain values, no socket,
 * no libmicrohttpd type), a response out (struct http_response).  Only
 * server.c speaks HTTP on the wire; everything here could run in its own
 * unprivileged process, and the unit tests drive it directly.
 *
 * What it serves:
 *   /healthz                                   liveness, no auth
 *   /taxii2/                                   TAXII 2.1 discovery
 *   /taxii2/api/                               the API root
 *   /taxii2/api/collections/[{id}/[objects/[{oid}/[versions/]]|manifest/]]
 *       collection "embargoed" (a partner's entitlement, credentials
 *       required) and "public" (published advisories, no credentials)
 *   /v1/advisories[/{id}[/artifacts/{name}]]   REST for partners
 *   /v1/deliveries[/{id}]                      a partner's own receipts
 *   /.well-known/csaf/provider-metadata.json, /.well-known/csaf/white/...
 *                                              CSAF 2.0, no auth
 *
 * Authentication: "Authorization: Bearer TOKEN" or HTTP Basic with the
 * partner id as user and the token as password.  Every failure (unknown
 * partner, wrong token, suspended, revoked, malformed header, missing or
 * wrong client certificate) gets the same 401 with the same TAXII error
 * body after the same work: one keyed hash and one indexed lookup.  Failed
 * attempts are counted per client address; past the limit the address
 * gets 429 for a while, whatever it sends.  Whatever a partner may not see
 * answers exactly like what does not exist: 404, same body, same headers.
 */
#ifndef EMB_HTTP_HTTP_H
#define EMB_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/str.h"

#define HTTP_HEADERS_MAX 12
#define HTTP_HEADER_VALUE_MAX 512
#define HTTP_BODY_MAX (80u * 1024 * 1024) /* largest response body */

#define HTTP_TAXII_TYPE "application/taxii+json;version=2.1"
#define HTTP_JSON_TYPE "application/json"

/* Mutual TLS: what the connection's client certificate showed. */
enum http_cert {
	HTTP_CERT_NONE, /* no certificate (or no TLS) */
	HTTP_CERT_INVALID, /* presented but not valid under the client CA */
	HTTP_CERT_VALID /* valid; cert_pin holds its key's pin */
};

struct http_request {
	const char *method; /* "GET", ... */
	const char *target; /* request-target as sent: path?query */
	const char *authorization; /* header values, NULL when absent */
	const char *accept;
	const char *if_none_match;
	const char *client; /* client address as text (rate limiting, log) */
	enum http_cert cert;
	uint8_t cert_pin[32]; /* SHA-256 of the certificate's public key */
	size_t body_len; /* request body bytes received */
	int64_t now; /* when the request arrived */
};

struct http_header {
	char name[32];
	char value[HTTP_HEADER_VALUE_MAX];
};

struct http_response {
	int status;
	struct http_header headers[HTTP_HEADERS_MAX];
	size_t n_headers;
	struct buf body;
	char who[EMB_ID_MAX]; /* the partner, for the access log; "" = none */
	char note[96]; /* extra for the access log (delivery ids) */
};

/* How the application is set up. */
struct http_app_conf {
	const char *datadir;
	size_t instances; /* database connections (>= 1) */
	const char *vendor; /* the vendor's name (STIX identity, CSAF) */
	const char *public_url; /* https base URL for CSAF and links */
	bool client_ca; /* mutual TLS: a pinned certificate needed */
	unsigned auth_fail_limit; /* failed attempts per address per window */
	int64_t auth_fail_window_ms;
	int64_t auth_block_ms; /* 429 for this long past the limit */
	size_t body_max; /* largest request body accepted */
};

struct http_app;

/*
 * Open conf->instances connections to the data directory and set up.
 * The app owns nothing of conf but copies of its strings.
 */
int http_app_new(const struct http_app_conf *conf, struct http_app **ret,
    struct emb_error *err) EMB_MUST_USE;

/* Close everything; accepts NULL. */
void http_app_free(struct http_app *app);

/*
 * Answer one request: resp (initialised with http_response_init) gets
 * the status, headers and body.  Never fails: internal errors are 500s.
 * Safe to call from several threads at once.
 */
void http_app_handle(struct http_app *app, const struct http_request *req,
    struct http_response *resp);

/* From now on every response asks the client to close its connection. */
void http_app_drain(struct http_app *app);

void http_response_init(struct http_response *r);
void http_response_fini(struct http_response *r);

/* Add a header (value truncated to HTTP_HEADER_VALUE_MAX - 1). */
void http_response_header(struct http_response *r, const char *name,
    const char *fmt, ...) EMB_PRINTF(3, 4);

/* The value of a response header, or NULL. */
const char *http_response_get(const struct http_response *r, const char *name);

#endif
