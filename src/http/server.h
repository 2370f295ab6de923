/*
 * The HTTP(S) server: libmicrohttpd, the only code that includes
 * <microhttpd.h>.  It turns each request into a struct http_request,
 * hands it to the app (http.h) and sends back the struct http_response;
 * it enforces the transport limits (connections in all and per address,
 * idle time, request line and header size, body size) and writes one
 * access-log line per request: time, client, partner, method, path, the
 * *names* of the query parameters, status, bytes, duration and the
 * delivery records made.  Never a token, a header value, or content.
 *
 * Following libmicrohttpd 0.9.75's contract, the response is queued on
 * the second call of the access handler (queuing on the first makes it
 * close every keep-alive connection).
 */
#ifndef EMB_HTTP_SERVER_H
#define EMB_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

#define HTTP_ADDR_MAX 64

struct http_server_conf {
	char addr[HTTP_ADDR_MAX]; /* IPv4 or IPv6 literal */
	uint16_t port; /* 0: any free port */
	const char *tls_cert; /* PEM text, or NULL for plain HTTP */
	const char *tls_key;
	const char *client_ca; /* PEM text: request and verify client certs */
	unsigned threads;
	unsigned max_connections;
	unsigned max_per_addr;
	unsigned timeout_s; /* idle connections are closed after this */
	size_t header_max; /* request line and headers, per connection */
	size_t body_max; /* request bodies are refused past this */
	void (*log)(void *arg, const char *line); /* access log */
	void *log_arg;
};

struct http_server;

/* Parse "ADDR:PORT" or "[IPv6]:PORT" into conf->addr and conf->port. */
int
http_listen_parse(const char *s, struct http_server_conf *conf) EMB_MUST_USE;

/* Start serving app (borrowed: it must outlive the server). */
int http_server_start(const struct http_server_conf *conf, struct http_app *app,
    struct http_server **ret, struct emb_error *err) EMB_MUST_USE;

/* The port actually bound. */
uint16_t http_server_port(const struct http_server *s);

/*
 * Shut down gracefully: stop accepting connections, let the requests in
 * flight finish (for at most grace_ms), then stop and free.  Returns how
 * many requests were still in flight when it gave up (0 normally).
 */
unsigned http_server_stop(struct http_server *s, int64_t grace_ms);

#endif
