/*
 * Request-target parsing (see query.h).
 */
#include <stdlib.h>
#include <string.h>

#include "http/query.h"
#include "common/emb.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode s[0..n) into out (at least n + 1 bytes), '+' as a space
 * when plus.  Rejects bad escapes and decoded NUL or control characters.
 */
static int
decode(const char *s, size_t n, bool plus, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return EMB_EINVAL;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return EMB_EINVAL;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f)
			return EMB_EINVAL;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

int
http_target_parse(const char *target, struct http_target *ret)
{
	struct http_target t;
	const char *q, *p, *end;
	size_t n, used = 0;
	char *out;
	int r;

	memset(&t, 0, sizeof(t));
	n = strnlen(target, HTTP_TARGET_MAX + 1);
	if (n > HTTP_TARGET_MAX)
		return EMB_ETOOBIG;
	if (n == 0 || target[0] != '/')
		return EMB_EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)target[i] <= 0x20 ||
		    (unsigned char)target[i] >= 0x7f || target[i] == '#')
			return EMB_EINVAL;
	/* Each decoded piece is no longer than its text, plus its NUL. */
	t.storage = malloc(2 * n + 2);
	if (t.storage == NULL)
		return EMB_ENOMEM;
	out = t.storage;
	q = memchr(target, '?', n);
	end = q != NULL ? q : target + n;
	/* The path: "/" alone has no segment. */
	for (p = target + 1; p < end;) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *e = slash != NULL ? slash : end;
		if (e == p) {
			r = EMB_EINVAL; /* "//" */
			goto fail;
		}
		if (t.n_seg == HTTP_SEGMENTS_MAX) {
			r = EMB_ETOOBIG;
			goto fail;
		}
		if ((r = decode(p, (size_t)(e - p), false, out + used)) < 0)
			goto fail;
		if (strchr(out + used, '/') != NULL ||
		    strcmp(out + used, ".") == 0 ||
		    strcmp(out + used, "..") == 0 || out[used] == '\0') {
			r = EMB_EINVAL;
			goto fail;
		}
		t.seg[t.n_seg++] = out + used;
		used += strlen(out + used) + 1;
		if (slash == NULL)
			break;
		p = slash + 1;
		if (p == end)
			t.trailing_slash = true;
	}
	if (t.n_seg == 0)
		t.trailing_slash = true;
	/* The query: name=value pairs joined by '&'. */
	for (p = q != NULL ? q + 1 : end; q != NULL && p <= target + n;) {
		const char *amp = memchr(p, '&', (size_t)(target + n - p));
		const char *e = amp != NULL ? amp : target + n;
		const char *eq = memchr(p, '=', (size_t)(e - p));
		const char *ne = eq != NULL ? eq : e;
		char *name, *value;
		if (e == p) {
			/* "?" alone, or a trailing '&': nothing to add. */
			if (amp == NULL && p == target + n)
				break;
			r = EMB_EINVAL;
			goto fail;
		}
		if (ne == p) {
			r = EMB_EINVAL; /* "=value" */
			goto fail;
		}
		if (t.n_params == HTTP_PARAMS_MAX) {
			r = EMB_ETOOBIG;
			goto fail;
		}
		name = out + used;
		if ((r = decode(p, (size_t)(ne - p), true, name)) < 0)
			goto fail;
		used += strlen(name) + 1;
		value = out + used;
		if ((r = decode(eq != NULL ? eq + 1 : e,
		         eq != NULL ? (size_t)(e - eq - 1) : 0, true, value)) <
		    0)
			goto fail;
		used += strlen(value) + 1;
		for (size_t i = 0; i < t.n_params; i++)
			if (strcmp(t.params[i].name, name) == 0) {
				r = EMB_EINVAL; /* repeated */
				goto fail;
			}
		t.params[t.n_params].name = name;
		t.params[t.n_params].value = value;
		t.n_params++;
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	*ret = t;
	return 0;
fail:
	free(t.storage);
	return r;
}

void
http_target_fini(struct http_target *t)
{
	free(t->storage);
	t->storage = NULL;
	t->n_seg = t->n_params = 0;
}

const char *
http_target_param(const struct http_target *t, const char *name)
{
	for (size_t i = 0; i < t->n_params; i++)
		if (strcmp(t->params[i].name, name) == 0)
			return t->params[i].value;
	return NULL;
}
