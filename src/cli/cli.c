#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/timeutil.h"
#include "common/emb.h"

int
cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("embargo: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_FAIL;
}

int
cli_fail(const struct emb_error *err)
{
	return cli_error("%s", err->code ? err->msg : "failed");
}

int
cli_usage(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("embargo: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (usage: embargo %s)\n", usage);
	return CLI_EXIT_USAGE;
}

int
cli_open(const struct cli *c, struct emb_instance **ret)
{
	struct emb_error err = {0};

	if (core_instance_open(c->datadir, ret, &err) < 0)
		return cli_fail(&err);
	return 0;
}

int
cli_time(const char *opt, const char *s, int64_t *ret)
{
	if (emb_time_parse(s, ret) < 0)
		return cli_error("invalid time for %s: '%s' (RFC 3339, e.g."
		                 " 2021-03-09T17:00:00Z)",
		    opt, s);
	return 0;
}

int
cli_json(json_t *take)
{
	int r;

	if (take == NULL)
		return cli_error("out of memory");
	r = json_dumpf(take, stdout,
	    JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15));
	json_decref(take);
	fputc('\n', stdout);
	return r == 0 ? 0 : cli_error("cannot write output");
}

int
cli_getopt(int argc, char **argv, const struct option *opts, const char *usage,
    int (*handle)(int id, const char *val, void *arg), void *arg,
    uint64_t *seen)
{
	char shortopts[64] = ":";
	size_t n = 1;
	int ch, r;

	for (const struct option *o = opts; o->name != NULL; o++) {
		if (o->val > 0 && o->val < 128 && n + 3 < sizeof(shortopts)) {
			shortopts[n++] = (char)o->val;
			if (o->has_arg == required_argument)
				shortopts[n++] = ':';
		}
	}
	shortopts[n] = '\0';
	*seen = 0;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		if (ch == '?') {
			if (optopt != 0)
				return -cli_usage(
				    usage, "unknown option -%c", optopt);
			return -cli_usage(
			    usage, "unknown option %s", argv[optind - 1]);
		}
		if (ch == ':')
			return -cli_usage(
			    usage, "option %s needs a value", argv[optind - 1]);
		if (ch == 'h') {
			printf("usage: embargo %s\n", usage);
			return CLI_DONE;
		}
		for (size_t i = 0; opts[i].name != NULL && i < 64; i++)
			if (opts[i].val == ch)
				*seen |= UINT64_C(1) << i;
		if ((r = handle(ch, optarg, arg)) != 0)
			return r > 0 ? -r : r;
	}
	return optind;
}

int
cli_getopt_exit(int r)
{
	return r == CLI_DONE ? 0 : -r;
}

bool
cli_help(const char *s, const char *usage)
{
	if (strcmp(s, "-h") != 0 && strcmp(s, "--help") != 0)
		return false;
	printf("usage: embargo %s\n", usage);
	return true;
}

int
cli_only(const struct option *opts, uint64_t seen, const char *usage,
    const char *what, const char *allowed)
{
	for (size_t i = 0; opts[i].name != NULL && i < 64; i++) {
		const char *p = allowed;
		size_t n = strlen(opts[i].name);
		bool ok = false;

		if (!(seen & (UINT64_C(1) << i)))
			continue;
		while ((p = strstr(p, opts[i].name)) != NULL) {
			if ((p == allowed || p[-1] == ' ') &&
			    (p[n] == ' ' || p[n] == '\0')) {
				ok = true;
				break;
			}
			p += n;
		}
		if (!ok)
			return cli_usage(usage,
			    "option --%s does not apply to"
			    " '%s'",
			    opts[i].name, what);
	}
	return 0;
}

void
cli_table_init(struct cli_table *t, size_t ncols)
{
	t->ncols = ncols;
	t->nrows = 0;
	t->cap = 0;
	t->cells = NULL;
}

void
cli_table_row(struct cli_table *t, ...)
{
	va_list ap;

	if ((t->nrows + 1) * t->ncols > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : t->ncols * 16;
		char **p = realloc(t->cells, ncap * sizeof(*p));
		if (p == NULL)
			return;
		t->cells = p;
		t->cap = ncap;
	}
	va_start(ap, t);
	for (size_t i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);
		t->cells[t->nrows * t->ncols + i] = strdup(s ? s : "");
	}
	va_end(ap);
	t->nrows++;
}

void
cli_table_print(struct cli_table *t)
{
	size_t w[16] = {0};

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols && c < 16; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t n = s ? strlen(s) : 0;
			if (n > w[c])
				w[c] = n;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			if (c + 1 == t->ncols)
				printf("%s\n", s ? s : "");
			else
				printf("%-*s  ", (int)w[c < 16 ? c : 15],
				    s ? s : "");
		}
	}
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

int
cli_write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * The output file is written all or nothing: a temporary file beside it
 * is created before anything is recorded (so a bad path fails early and
 * changes nothing), filled, synced and renamed into place.
 */
int
cli_out_open(struct cli_out *f, const char *path)
{
	int len = snprintf(f->tmp, sizeof(f->tmp), "%s.tmp-XXXXXX", path);
	struct stat st;

	f->fd = -1;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		f->tmp[0] = '\0';
		errno = EISDIR;
		return -1;
	}
	if (len < 0 || (size_t)len >= sizeof(f->tmp))
		return -1;
	if ((f->fd = mkstemp(f->tmp)) < 0)
		return -1;
	return 0;
}

int
cli_out_commit(struct cli_out *f, const char *path, const uint8_t *p, size_t n)
{
	if (cli_write_all(f->fd, p, n) < 0 || fsync(f->fd) < 0) {
		close(f->fd);
		f->fd = -1;
		return -1;
	}
	if (close(f->fd) < 0) {
		f->fd = -1;
		return -1;
	}
	f->fd = -1;
	if (rename(f->tmp, path) < 0)
		return -1;
	f->tmp[0] = '\0';
	return 0;
}

void
cli_out_abort(struct cli_out *f)
{
	if (f->fd >= 0) {
		close(f->fd);
		unlink(f->tmp);
	} else if (f->tmp[0] != '\0') {
		unlink(f->tmp);
	}
	f->tmp[0] = '\0';
}
