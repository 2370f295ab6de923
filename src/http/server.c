/*
 * libmicrohttpd glue (see server.h): the only file that includes
 * <microhttpd.h>.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "crypto/crypto.h"
#include "http/server.h"
#include "http/tls.h"
#include "common/timeutil.h"
#include "common/emb.h"

#define LOG_PATH_MAX 160
#define LOG_LINE_MAX 640

struct http_server {
	struct MHD_Daemon *d;
	struct http_app *app;
	struct http_server_conf conf;
	atomic_uint in_flight;
	uint16_t port;
};

/* One request, from its request line to its completion. */
struct req {
	char *target;
	struct timespec t0;
	int64_t start;
	bool called; /* the access handler has seen it once */
	bool answered; /* a response is queued */
	size_t body_len;
	int status;
	size_t bytes;
	char method[16];
	char client[HTTP_ADDR_MAX];
	char who[EMB_ID_MAX];
	char note[96];
};

/* A response body handed to libmicrohttpd, wiped when it is done. */
struct body {
	uint8_t *data;
	size_t len;
};

static void
body_free(void *cls)
{
	struct body *b = cls;

	crypto_wipe(b->data, b->len);
	free(b->data);
	free(b);
}

static void
client_address(struct MHD_Connection *conn, char out[HTTP_ADDR_MAX])
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	(void)snprintf(out, HTTP_ADDR_MAX, "-");
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		(void)inet_ntop(AF_INET,
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    out, HTTP_ADDR_MAX);
	else if (sa->sa_family == AF_INET6)
		(void)inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    out, HTTP_ADDR_MAX);
}

static void *
uri_log_cb(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_server *s = cls;
	struct req *rq = calloc(1, sizeof(*rq));

	(void)conn;
	if (rq == NULL)
		return NULL;
	rq->target = strdup(uri != NULL ? uri : "");
	(void)clock_gettime(CLOCK_MONOTONIC, &rq->t0);
	rq->start = emb_time_now();
	atomic_fetch_add(&s->in_flight, 1);
	return rq;
}

static enum MHD_Result
queue(struct MHD_Connection *conn, struct req *rq, struct http_response *resp)
{
	struct MHD_Response *mr;
	struct body *b = NULL;
	enum MHD_Result ret;
	size_t len = 0;
	uint8_t *data = buf_steal(&resp->body, &len);

	if (data != NULL && len > 0) {
		b = malloc(sizeof(*b));
		if (b == NULL) {
			free(data);
			return MHD_NO;
		}
		b->data = data;
		b->len = len;
		mr = MHD_create_response_from_buffer_with_free_callback_cls(
		    len, data, body_free, b);
		if (mr == NULL)
			body_free(b);
	} else {
		free(data);
		len = 0;
		mr = MHD_create_response_from_buffer(
		    0, (void *)(uintptr_t) "", MHD_RESPMEM_PERSISTENT);
	}
	if (mr == NULL)
		return MHD_NO;
	for (size_t i = 0; i < resp->n_headers; i++)
		(void)MHD_add_response_header(
		    mr, resp->headers[i].name, resp->headers[i].value);
	rq->status = resp->status;
	rq->bytes = len;
	(void)snprintf(rq->who, sizeof(rq->who), "%s", resp->who);
	(void)snprintf(rq->note, sizeof(rq->note), "%s", resp->note);
	rq->answered = true;
	ret = MHD_queue_response(conn, (unsigned)resp->status, mr);
	MHD_destroy_response(mr);
	return ret;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct http_server *s = cls;
	struct req *rq = *req_cls;
	struct http_request req;
	struct http_response resp;
	enum MHD_Result ret;

	(void)url;
	(void)version;
	(void)upload_data;
	if (rq == NULL)
		return MHD_NO;
	if (!rq->called) {
		/*
		 * First call: headers only.  Answer on a later call, but for
		 * a body announced too big: that answer closes the connection
		 * anyway.
		 */
		const char *cl = MHD_lookup_connection_value(
		    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		int64_t len;
		rq->called = true;
		(void)snprintf(rq->method, sizeof(rq->method), "%s", method);
		client_address(conn, rq->client);
		if (cl == NULL ||
		    (emb_parse_int(cl, 0, INT64_MAX, &len) == 0 &&
		        (uint64_t)len <= s->conf.body_max))
			return MHD_YES;
		rq->body_len = s->conf.body_max + 1;
	} else if (*upload_data_size > 0) {
		rq->body_len += *upload_data_size;
		*upload_data_size = 0;
		/* Keep reading (and dropping) unless it is already too big. */
		if (rq->body_len <= s->conf.body_max || rq->answered)
			return MHD_YES;
	} else if (rq->answered) {
		return MHD_YES;
	}
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.target = rq->target;
	req.authorization = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	req.accept = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	req.if_none_match = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	req.client = rq->client;
	req.body_len = rq->body_len;
	req.now = emb_time_now();
	if (s->conf.client_ca != NULL) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		    conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		req.cert = http_tls_verdict(
		    ci != NULL ? ci->tls_session : NULL, req.cert_pin);
	}
	http_response_init(&resp);
	http_app_handle(s->app, &req, &resp);
	crypto_wipe(req.cert_pin, sizeof(req.cert_pin));
	ret = queue(conn, rq, &resp);
	http_response_fini(&resp);
	return ret;
}

/* Copy s into out for the log: printable ASCII, at most max bytes. */
static size_t
log_clean(char *out, size_t outlen, const char *s, size_t max)
{
	size_t o = 0;

	for (size_t i = 0; s[i] != '\0' && i < max && o + 1 < outlen; i++)
		out[o++] =
		    (s[i] > 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
	out[o] = '\0';
	return o;
}

/*
 * The path of a request-target and the names of its parameters
 * ("/x/?limit,next"): values can hold anything a client put there, so
 * they never reach the log.
 */
static void
log_target(const char *target, char out[LOG_PATH_MAX + 64])
{
	const char *q = strchr(target, '?');
	size_t plen = q != NULL ? (size_t)(q - target) : strlen(target);
	size_t o = log_clean(out, LOG_PATH_MAX, target,
	    plen < LOG_PATH_MAX ? plen : LOG_PATH_MAX - 1);

	if (q == NULL || o + 2 >= LOG_PATH_MAX + 64)
		return;
	out[o++] = '?';
	for (const char *p = q + 1; *p != '\0' && o + 2 < LOG_PATH_MAX + 64;) {
		size_t n = strcspn(p, "&="), k;
		char name[32];
		k = log_clean(name, sizeof(name), p, n < 31 ? n : 31);
		if (o + k + 2 >= LOG_PATH_MAX + 64)
			break;
		if (out[o - 1] != '?')
			out[o++] = ',';
		memcpy(out + o, name, k);
		o += k;
		p += strcspn(p, "&");
		if (*p == '&')
			p++;
	}
	out[o] = '\0';
}

static void
completed_cb(void *cls, struct MHD_Connection *conn, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct req *rq = *req_cls;
	struct timespec t1;
	char line[LOG_LINE_MAX], when[EMB_TIME_STR], status[8];
	char target[LOG_PATH_MAX + 64];
	double ms;

	(void)conn;
	if (rq == NULL)
		return;
	*req_cls = NULL;
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - rq->t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - rq->t0.tv_nsec) / 1e6;
	if (rq->status != 0)
		(void)snprintf(status, sizeof(status), "%d", rq->status);
	else
		(void)snprintf(status, sizeof(status), "-");
	log_target(rq->target, target);
	(void)snprintf(line, sizeof(line),
	    "%s %s %s \"%s %s\" %s %zu %.1fms%s%s%s",
	    emb_time_format(rq->start, true, when),
	    rq->client[0] ? rq->client : "-", rq->who[0] ? rq->who : "-",
	    rq->method[0] ? rq->method : "-", target, status, rq->bytes, ms,
	    rq->note[0] ? " " : "", rq->note,
	    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (cut short)");
	if (s->conf.log != NULL)
		s->conf.log(s->conf.log_arg, line);
	free(rq->target);
	free(rq);
	atomic_fetch_sub(&s->in_flight, 1);
}

int
http_listen_parse(const char *s, struct http_server_conf *conf)
{
	const char *colon;
	char host[HTTP_ADDR_MAX];
	struct in6_addr a6;
	struct in_addr a4;
	int64_t port;
	size_t n;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (end == NULL || end[1] != ':')
			return EMB_EINVAL;
		n = (size_t)(end - s - 1);
		colon = end + 1;
		if (n == 0 || n >= sizeof(host))
			return EMB_EINVAL;
		memcpy(host, s + 1, n);
		host[n] = '\0';
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return EMB_EINVAL;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return EMB_EINVAL;
		n = (size_t)(colon - s);
		if (n == 0 || n >= sizeof(host))
			return EMB_EINVAL;
		memcpy(host, s, n);
		host[n] = '\0';
		if (inet_pton(AF_INET, host, &a4) != 1)
			return EMB_EINVAL;
	}
	if (emb_parse_int(colon + 1, 0, 65535, &port) < 0)
		return EMB_EINVAL;
	memcpy(conf->addr, host, n + 1);
	conf->port = (uint16_t)port;
	return 0;
}

int
http_server_start(const struct http_server_conf *conf, struct http_app *app,
    struct http_server **ret, struct emb_error *err)
{
	struct http_server *s;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	struct MHD_OptionItem ops[24];
	const union MHD_DaemonInfo *di;
	unsigned int flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC;
	size_t n = 0;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return emb_error_code(err, EMB_ENOMEM);
	s->conf = *conf;
	s->app = app;
	atomic_init(&s->in_flight, 0);
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, conf->addr, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(conf->port);
		sa = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, conf->addr, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(conf->port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		free(s);
		return emb_error_set(
		    err, EMB_EINVAL, "invalid listen address '%s'", conf->addr);
	}
#define OPT(o, v, p)                                                           \
	ops[n++] = (struct MHD_OptionItem){(o), (intptr_t)(v), (void *)(p)}
	OPT(MHD_OPTION_SOCK_ADDR, 0, sa);
	OPT(MHD_OPTION_CONNECTION_LIMIT, conf->max_connections, NULL);
	OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, conf->max_per_addr, NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, conf->timeout_s, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, conf->header_max, NULL);
	OPT(MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL);
	OPT(MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL);
	OPT(MHD_OPTION_URI_LOG_CALLBACK, uri_log_cb, s);
	OPT(MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s);
	if (conf->threads > 1)
		OPT(MHD_OPTION_THREAD_POOL_SIZE, conf->threads, NULL);
	if (conf->tls_cert != NULL) {
		flags |= MHD_USE_TLS;
		OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, conf->tls_cert);
		OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, conf->tls_key);
		OPT(MHD_OPTION_HTTPS_PRIORITIES, 0,
		    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2");
		if (conf->client_ca != NULL)
			OPT(MHD_OPTION_HTTPS_MEM_TRUST, 0, conf->client_ca);
	}
	OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
	s->d = MHD_start_daemon(flags, conf->port, NULL, NULL, access_cb, s,
	    MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
	if (s->d == NULL) {
		free(s);
		return emb_error_set(err, EMB_EIO,
		    "cannot listen on %s port %u (in use, not permitted, or a"
		    " bad TLS certificate or key)",
		    conf->addr, (unsigned)conf->port);
	}
	di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di != NULL ? di->port : conf->port;
	*ret = s;
	return 0;
}

uint16_t
http_server_port(const struct http_server *s)
{
	return s->port;
}

unsigned
http_server_stop(struct http_server *s, int64_t grace_ms)
{
	MHD_socket fd;
	unsigned left;
	int64_t waited = 0;

	/* No new connections; every response from now on closes its own. */
	fd = MHD_quiesce_daemon(s->d);
	if (fd != MHD_INVALID_SOCKET)
		(void)close(fd);
	http_app_drain(s->app);
	while ((left = atomic_load(&s->in_flight)) > 0 && waited < grace_ms) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		(void)nanosleep(&ts, NULL);
		waited += 10;
	}
	MHD_stop_daemon(s->d);
	free(s);
	return left;
}
