/*
 * TAXII 2.1 query parameters and pagination tokens (see taxii_query.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "http/taxii_query.h"
#include "common/timeutil.h"
#include "common/emb.h"

#define CURSOR_MAGIC 0x45 /* 'E': format version 1 */

static bool
type_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static bool
valid_type(const char *s, size_t n)
{
	if (n < 1 || n >= CORE_STIX_ID_MAX - 38)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!type_char(s[i]))
			return false;
	return true;
}

static bool
hex_run(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f') ||
		        (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

static bool
valid_id(const char *s, size_t n)
{
	const char *sep;
	size_t tn;

	if (n >= CORE_STIX_ID_MAX)
		return false;
	sep = strstr(s, "--");
	if (sep == NULL || sep >= s + n)
		return false;
	tn = (size_t)(sep - s);
	if (!valid_type(s, tn) || n - tn - 2 != 36)
		return false;
	s = sep + 2;
	return hex_run(s, 8) && s[8] == '-' && hex_run(s + 9, 4) &&
	    s[13] == '-' && hex_run(s + 14, 4) && s[18] == '-' &&
	    hex_run(s + 19, 4) && s[23] == '-' && hex_run(s + 24, 12);
}

bool
taxii_valid_stix_id(const char *s)
{
	return valid_id(s, strlen(s));
}

static bool
valid_spec(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || n > 8)
		return false;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 0 || i == n || s[i] != '.')
		return false;
	if (++i == n)
		return false;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i == n;
}

/* Call item(...) for each comma-separated item of s; false on an error. */
static bool
each_item(const char *s, size_t max,
    bool (*item)(const char *, size_t, struct taxii_query *),
    struct taxii_query *q)
{
	size_t count = 0;

	if (*s == '\0')
		return false;
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t n = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (n == 0 || ++count > max || !item(s, n, q))
			return false;
		if (comma == NULL)
			return true;
		s = comma + 1;
	}
}

static bool
id_item(const char *s, size_t n, struct taxii_query *q)
{
	char buf[CORE_STIX_ID_MAX];

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!valid_id(buf, n))
		return false;
	memcpy(q->ids[q->n_ids++], buf, n + 1);
	return true;
}

static bool
type_item(const char *s, size_t n, struct taxii_query *q)
{
	if (!valid_type(s, n))
		return false;
	memcpy(q->types[q->n_types], s, n);
	q->types[q->n_types++][n] = '\0';
	return true;
}

static bool
version_item(const char *s, size_t n, struct taxii_query *q)
{
	char buf[EMB_TIME_STR];
	int64_t t;

	if (n == 5 && memcmp(s, "first", 5) == 0)
		q->v_first = true;
	else if (n == 4 && memcmp(s, "last", 4) == 0)
		q->v_last = true;
	else if (n == 3 && memcmp(s, "all", 3) == 0)
		q->v_all = true;
	else {
		if (n >= sizeof(buf))
			return false;
		memcpy(buf, s, n);
		buf[n] = '\0';
		if (emb_time_parse(buf, &t) < 0)
			return false;
		q->vtimes[q->n_vtimes++] = t;
	}
	return true;
}

static bool
spec_item(const char *s, size_t n, struct taxii_query *q)
{
	if (!valid_spec(s, n))
		return false;
	if (n == 3 && memcmp(s, "2.1", 3) == 0)
		q->spec_21 = true;
	return true;
}

/* Hash everything that a next token must come back with. */
static void
binding(const struct http_target *t, enum taxii_endpoint ep, const char *scope,
    uint8_t out[8])
{
	static const char *const names[] = {"added_after", "match[id]",
	    "match[type]", "match[version]", "match[spec_version]"};
	uint8_t h[CRYPTO_HASH_BYTES];
	struct buf b;

	buf_init(&b, 3 * HTTP_TARGET_MAX);
	if (buf_printf(&b, "taxii-next-v1|%d|%s", (int)ep, scope) < 0)
		goto out;
	for (size_t i = 0; i < EMB_ARRAY_LEN(names); i++) {
		const char *v = http_target_param(t, names[i]);
		if (buf_printf(&b, "|%s=%s", v != NULL ? "1" : "0",
		        v != NULL ? v : "") < 0)
			goto out;
	}
out:
	crypto_sha256(b.data != NULL ? b.data : (const uint8_t *)"", b.len, h);
	memcpy(out, h, 8);
	buf_fini(&b);
}

int
taxii_query_parse(const struct http_target *t, enum taxii_endpoint ep,
    const char *scope, struct taxii_query *q, const char **why)
{
	bool listing = ep == TAXII_EP_OBJECTS || ep == TAXII_EP_MANIFEST;
	const char *next = NULL;
	int64_t lim;
	int r;

	memset(q, 0, sizeof(*q));
	q->limit = TAXII_LIMIT_DEFAULT;
	q->spec_21 = true;
	for (size_t i = 0; i < t->n_params; i++) {
		const char *name = t->params[i].name;
		const char *v = t->params[i].value;
		if (strcmp(name, "limit") == 0) {
			r = emb_parse_int(v, 1, TAXII_LIMIT_MAX, &lim);
			if (r < 0) {
				*why = "limit must be a whole number from 1 to"
				       " 1000";
				return r;
			}
			q->limit = (size_t)lim;
		} else if (strcmp(name, "added_after") == 0) {
			if (emb_time_parse(v, &q->added_after) < 0) {
				*why = "added_after must be an RFC 3339"
				       " timestamp";
				return EMB_EINVAL;
			}
			q->added_after_set = true;
		} else if (strcmp(name, "next") == 0) {
			next = v;
		} else if (strcmp(name, "match[id]") == 0 && listing) {
			if (!each_item(v, TAXII_MATCH_MAX, id_item, q)) {
				*why = "match[id] must list STIX identifiers";
				return EMB_EINVAL;
			}
		} else if (strcmp(name, "match[type]") == 0 && listing) {
			if (!each_item(v, TAXII_MATCH_MAX, type_item, q)) {
				*why = "match[type] must list STIX object"
				       " types";
				return EMB_EINVAL;
			}
		} else if (strcmp(name, "match[version]") == 0 &&
		    ep != TAXII_EP_VERSIONS) {
			if (!each_item(v, TAXII_MATCH_MAX, version_item, q)) {
				*why = "match[version] must list first, last,"
				       " all or timestamps";
				return EMB_EINVAL;
			}
		} else if (strcmp(name, "match[spec_version]") == 0) {
			q->spec_21 = false;
			if (!each_item(v, TAXII_MATCH_MAX, spec_item, q)) {
				*why = "match[spec_version] must list versions"
				       " like 2.1";
				return EMB_EINVAL;
			}
		} else {
			*why = "unknown or unsupported parameter for this"
			       " endpoint";
			return EMB_EINVAL;
		}
	}
	if (!q->v_first && !q->v_all && q->n_vtimes == 0)
		q->v_last = true;
	binding(t, ep, scope, q->binding);
	if (next != NULL) {
		if (taxii_cursor_decode(next, q->binding, &q->next) < 0) {
			*why = "next is not a token this query handed out";
			return EMB_EINVAL;
		}
		q->next_set = true;
	}
	return 0;
}

static void
put64(uint8_t *p, int64_t v)
{
	uint64_t u = (uint64_t)v;

	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)u;
		u >>= 8;
	}
}

static int64_t
get64(const uint8_t *p)
{
	uint64_t u = 0;

	for (int i = 0; i < 8; i++)
		u = u << 8 | p[i];
	return (int64_t)u;
}

void
taxii_cursor_encode(const struct taxii_cursor *c, const uint8_t binding_[8],
    char out[TAXII_NEXT_MAX])
{
	uint8_t raw[1 + 8 + 8 + 8 + 1 + CORE_STIX_ID_MAX];
	size_t idn = strnlen(c->id, CORE_STIX_ID_MAX - 1), n = 0;

	raw[n++] = CURSOR_MAGIC;
	memcpy(raw + n, binding_, 8);
	n += 8;
	put64(raw + n, c->date_added);
	n += 8;
	put64(raw + n, c->version);
	n += 8;
	raw[n++] = (uint8_t)idn;
	memcpy(raw + n, c->id, idn);
	n += idn;
	crypto_base64url(raw, n, out, TAXII_NEXT_MAX);
}

static int
b64url_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
taxii_cursor_decode(
    const char *s, const uint8_t binding_[8], struct taxii_cursor *ret)
{
	uint8_t raw[TAXII_NEXT_MAX];
	size_t n = strnlen(s, TAXII_NEXT_MAX), o = 0, bits = 0, idn;
	uint32_t acc = 0;
	struct taxii_cursor c;

	if (n == 0 || n >= TAXII_NEXT_MAX || n % 4 == 1)
		return EMB_EINVAL;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_val(s[i]);
		if (v < 0)
			return EMB_EINVAL;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			raw[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* Canonical only: the bits left over must be zero. */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return EMB_EINVAL;
	if (o < 26 || raw[0] != CURSOR_MAGIC ||
	    !crypto_equal(raw + 1, binding_, 8))
		return EMB_EINVAL;
	idn = raw[25];
	if (o != 26 + idn || idn == 0 || idn >= CORE_STIX_ID_MAX)
		return EMB_EINVAL;
	memset(&c, 0, sizeof(c));
	c.date_added = get64(raw + 9);
	c.version = get64(raw + 17);
	memcpy(c.id, raw + 26, idn);
	c.id[idn] = '\0';
	if (c.date_added < 0 || c.version < 0 || !valid_id(c.id, idn))
		return EMB_EINVAL;
	*ret = c;
	return 0;
}
