/*
 * embargo serve: the distribution server (TAXII 2.1, REST, CSAF) on one
 * address, until SIGTERM or SIGINT, then a graceful stop: no new
 * connections, requests in flight finish (deliveries already recorded
 * stay recorded), then exit 0.  Access log on standard error, one line
 * per request.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/csaf.h"
#include "http/http.h"
#include "http/server.h"
#include "common/timeutil.h"
#include "common/emb.h"

#define SERVE_USAGE                                                            \
	"serve [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE"           \
	" [--client-ca FILE]] [--threads N] [--vendor NAME] [--public-url"     \
	" URL] [--max-connections N] [--max-per-addr N] [--timeout SECONDS]"   \
	" [--auth-fail-limit N] [--auth-block SECONDS]"

#define SERVE_LISTEN "127.0.0.1:8080"
#define SERVE_PEM_MAX (1024 * 1024)
#define SERVE_GRACE_MS 15000

int cmd_serve(const struct cli *c, int argc, char **argv);

enum {
	OPT_LISTEN = 'l',
	OPT_THREADS = 't',
	OPT_TLS_CERT = 256,
	OPT_TLS_KEY,
	OPT_CLIENT_CA,
	OPT_VENDOR,
	OPT_PUBLIC_URL,
	OPT_MAX_CONN,
	OPT_MAX_PER_ADDR,
	OPT_TIMEOUT,
	OPT_FAIL_LIMIT,
	OPT_BLOCK
};

struct serve_opts {
	const char *listen, *tls_cert, *tls_key, *client_ca;
	const char *vendor, *public_url;
	const char *threads, *max_conn, *max_per_addr, *timeout;
	const char *fail_limit, *block;
};

static int
serve_opt(int id, const char *val, void *arg)
{
	struct serve_opts *o = arg;

	switch (id) {
	case OPT_LISTEN:
		o->listen = val;
		break;
	case OPT_THREADS:
		o->threads = val;
		break;
	case OPT_TLS_CERT:
		o->tls_cert = val;
		break;
	case OPT_TLS_KEY:
		o->tls_key = val;
		break;
	case OPT_CLIENT_CA:
		o->client_ca = val;
		break;
	case OPT_VENDOR:
		o->vendor = val;
		break;
	case OPT_PUBLIC_URL:
		o->public_url = val;
		break;
	case OPT_MAX_CONN:
		o->max_conn = val;
		break;
	case OPT_MAX_PER_ADDR:
		o->max_per_addr = val;
		break;
	case OPT_TIMEOUT:
		o->timeout = val;
		break;
	case OPT_FAIL_LIMIT:
		o->fail_limit = val;
		break;
	case OPT_BLOCK:
		o->block = val;
		break;
	default:
		break;
	}
	return 0;
}

/* One access-log line, written with one write(2) so lines never mix. */
static void
log_line(void *arg, const char *line)
{
	char buf[1024];
	int n;

	(void)arg;
	n = snprintf(buf, sizeof(buf), "%s\n", line);
	if (n > 0)
		(void)!write(STDERR_FILENO, buf,
		    (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static int
number(const char *opt, const char *s, int64_t min, int64_t max, int64_t def,
    int64_t *ret)
{
	if (s == NULL) {
		*ret = def;
		return 0;
	}
	if (emb_parse_int(s, min, max, ret) < 0)
		return cli_usage(SERVE_USAGE,
		    "%s must be a number from %lld to"
		    " %lld",
		    opt, (long long)min, (long long)max);
	return 0;
}

static int
read_pem(const char *opt, const char *path, struct buf *b)
{
	buf_init(b, SERVE_PEM_MAX);
	if (path == NULL)
		return 0;
	if (buf_read_file(b, path) < 0 || b->len == 0 ||
	    memchr(b->data, '\0', b->len) != NULL)
		return cli_error("cannot read %s %s (a PEM file of at most"
		                 " 1 MiB)",
		    opt, path);
	return 0;
}

/*
 * The settings that make the public documents: options, else the
 * environment (so `serve` and `export` agree), else defaults.
 */
static const char *
setting(const char *opt, const char *env, const char *def)
{
	const char *e;

	if (opt != NULL)
		return opt;
	e = getenv(env);
	return e != NULL && e[0] != '\0' ? e : def;
}

int
cmd_serve(const struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"listen", required_argument, NULL, OPT_LISTEN},
	    {"threads", required_argument, NULL, OPT_THREADS},
	    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
	    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
	    {"client-ca", required_argument, NULL, OPT_CLIENT_CA},
	    {"vendor", required_argument, NULL, OPT_VENDOR},
	    {"public-url", required_argument, NULL, OPT_PUBLIC_URL},
	    {"max-connections", required_argument, NULL, OPT_MAX_CONN},
	    {"max-per-addr", required_argument, NULL, OPT_MAX_PER_ADDR},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"auth-fail-limit", required_argument, NULL, OPT_FAIL_LIMIT},
	    {"auth-block", required_argument, NULL, OPT_BLOCK},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct serve_opts o = {0};
	struct http_server_conf sc;
	struct http_app_conf ac;
	struct http_app *app = NULL;
	struct http_server *srv = NULL;
	struct emb_error err = {0};
	struct buf cert, key, ca;
	int64_t threads, max_conn, per_addr, timeout, fail_limit, block;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	sigset_t set;
	uint64_t seen;
	unsigned left;
	int i, sig = 0, rc;

	if ((i = cli_getopt(
	         argc, argv, opts, SERVE_USAGE, serve_opt, &o, &seen)) < 0)
		return cli_getopt_exit(i);
	if (i != argc)
		return cli_usage(SERVE_USAGE, "serve takes no arguments");
	if ((o.tls_cert == NULL) != (o.tls_key == NULL))
		return cli_usage(
		    SERVE_USAGE, "--tls-cert and --tls-key go together");
	if (o.client_ca != NULL && o.tls_cert == NULL)
		return cli_usage(SERVE_USAGE, "--client-ca needs TLS");
	if ((rc = number("--threads", o.threads, 1, 256,
	         ncpu < 2 ? 2 : (ncpu > 64 ? 64 : ncpu), &threads)) != 0 ||
	    (rc = number("--max-connections", o.max_conn, 1, 100000, 1024,
	         &max_conn)) != 0 ||
	    (rc = number("--max-per-addr", o.max_per_addr, 1, 100000, 128,
	         &per_addr)) != 0 ||
	    (rc = number("--timeout", o.timeout, 1, 3600, 30, &timeout)) != 0 ||
	    (rc = number("--auth-fail-limit", o.fail_limit, 0, 1000000, 10,
	         &fail_limit)) != 0 ||
	    (rc = number("--auth-block", o.block, 1, 86400, 60, &block)) != 0)
		return rc;
	memset(&sc, 0, sizeof(sc));
	if (http_listen_parse(o.listen ? o.listen : SERVE_LISTEN, &sc) < 0)
		return cli_usage(SERVE_USAGE,
		    "invalid --listen '%s' (ADDR:PORT, e.g. 127.0.0.1:8443 or"
		    " [::1]:8443)",
		    o.listen);
	memset(&ac, 0, sizeof(ac));
	ac.datadir = c->datadir;
	ac.instances = (size_t)threads + 1;
	ac.vendor = setting(o.vendor, "EMBARGO_VENDOR", "embargo");
	ac.public_url =
	    setting(o.public_url, "EMBARGO_PUBLIC_URL", "https://localhost");
	if (!emb_valid_text(ac.vendor, STORE_NAME_MAX))
		return cli_usage(SERVE_USAGE, "invalid --vendor name");
	if (!core_csaf_url_valid(ac.public_url))
		return cli_usage(SERVE_USAGE,
		    "invalid --public-url '%s' (https://host[:port][/path],"
		    " no trailing '/')",
		    ac.public_url);
	ac.client_ca = o.client_ca != NULL;
	ac.auth_fail_limit = (unsigned)fail_limit;
	ac.auth_fail_window_ms = block * 1000;
	ac.auth_block_ms = block * 1000;
	ac.body_max = 64 * 1024;
	sc.threads = (unsigned)threads;
	sc.max_connections = (unsigned)max_conn;
	sc.max_per_addr = (unsigned)per_addr;
	sc.timeout_s = (unsigned)timeout;
	sc.header_max = 16 * 1024;
	sc.body_max = ac.body_max;
	sc.log = log_line;
	buf_init(&cert, SERVE_PEM_MAX);
	buf_init(&key, SERVE_PEM_MAX);
	buf_init(&ca, SERVE_PEM_MAX);
	if ((rc = read_pem("--tls-cert", o.tls_cert, &cert)) != 0 ||
	    (rc = read_pem("--tls-key", o.tls_key, &key)) != 0 ||
	    (rc = read_pem("--client-ca", o.client_ca, &ca)) != 0)
		goto out;
	sc.tls_cert = o.tls_cert ? (const char *)cert.data : NULL;
	sc.tls_key = o.tls_key ? (const char *)key.data : NULL;
	sc.client_ca = o.client_ca ? (const char *)ca.data : NULL;
	if (http_app_new(&ac, &app, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	/* Signals are taken by sigwait below, never by a server thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	(void)pthread_sigmask(SIG_BLOCK, &set, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
	if (http_server_start(&sc, app, &srv, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	fprintf(stderr,
	    "embargo: serving %s on %s://%s%s%s:%u (%u threads%s)\n",
	    c->datadir, sc.tls_cert ? "https" : "http",
	    strchr(sc.addr, ':') ? "[" : "", sc.addr,
	    strchr(sc.addr, ':') ? "]" : "", (unsigned)http_server_port(srv),
	    sc.threads, sc.client_ca ? ", client certificates required" : "");
	fflush(stderr);
	(void)sigwait(&set, &sig);
	fprintf(stderr, "embargo: %s: finishing requests in flight\n",
	    sig == SIGINT ? "SIGINT" : "SIGTERM");
	left = http_server_stop(srv, SERVE_GRACE_MS);
	srv = NULL;
	if (left > 0)
		fprintf(stderr,
		    "embargo: stopped with %u requests cut short after %d s\n",
		    left, SERVE_GRACE_MS / 1000);
	else
		fprintf(stderr, "embargo: stopped\n");
out:
	if (srv != NULL)
		(void)http_server_stop(srv, 0);
	http_app_free(app);
	buf_fini_wipe(&key);
	buf_fini(&cert);
	buf_fini(&ca);
	return rc;
}
