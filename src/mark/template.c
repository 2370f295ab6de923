/*
 * Template markers.  The PoC author marks equivalent choices explicitly:
 *
 *   @@mark:A|B|C@@        one of A, B, C (2-8 distinct variants, each at
 *                         most 1 KiB, no '|' and no "@@" inside)
 *   @@canary@@            a per-partner token (24 hex digits)
 *   @@canary:FORMAT@@     hex, base32, uuid, ua (User-Agent), hostname
 *   @@@@                  a literal "@@"
 *
 * Everything else, "@@" included, is ordinary text, so unified diffs and
 * the like pass through untouched.
 */
#include <string.h>

#include "mark/lang.h"
#include "common/emb.h"

#define VARIANT_MAX 1024

static const struct {
	const char *name;
	enum mark_canary_fmt fmt;
} canary_formats[] = {
    {"hex", MARK_CANARY_HEX},
    {"base32", MARK_CANARY_BASE32},
    {"uuid", MARK_CANARY_UUID},
    {"ua", MARK_CANARY_UA},
    {"user-agent", MARK_CANARY_UA},
    {"hostname", MARK_CANARY_HOSTNAME},
};

static size_t
line_of(const uint8_t *t, size_t off)
{
	size_t line = 1;

	for (size_t i = 0; i < off; i++)
		line += t[i] == '\n';
	return line;
}

/* Offset of the next "@@" at or after from, or len. */
static size_t
find_at(const uint8_t *t, size_t len, size_t from)
{
	const uint8_t *p;

	if (from >= len)
		return len;
	p = memmem(t + from, len - from, "@@", 2);
	return p ? (size_t)(p - t) : len;
}

static int
parse_mark(
    struct mark_set *set, size_t at, size_t *ret_end, struct emb_error *err)
{
	const uint8_t *t = set->text;
	size_t body = at + 7, close, start;
	struct mark_text v[MARK_Q_MAX];
	struct mark_span span;
	unsigned q = 0;

	close = find_at(t, set->len, body);
	if (close >= set->len)
		return emb_error_set(err, EMB_EINVAL,
		    "line %zu: @@mark: without a closing @@", line_of(t, at));
	start = body;
	for (size_t i = body; i <= close; i++) {
		if (i < close && t[i] != '|')
			continue;
		if (q == MARK_Q_MAX)
			return emb_error_set(err, EMB_EINVAL,
			    "line %zu: @@mark: has more than %d variants",
			    line_of(t, at), MARK_Q_MAX);
		if (i - start > VARIANT_MAX)
			return emb_error_set(err, EMB_EINVAL,
			    "line %zu: @@mark: variant longer than %d bytes",
			    line_of(t, at), VARIANT_MAX);
		v[q].p = (const char *)t + start;
		v[q].n = i - start;
		for (unsigned k = 0; k < q; k++)
			if (v[k].n == v[q].n &&
			    memcmp(v[k].p, v[q].p, v[q].n) == 0)
				return emb_error_set(err, EMB_EINVAL,
				    "line %zu: @@mark: variants must differ",
				    line_of(t, at));
		q++;
		start = i + 1;
	}
	if (q < 2)
		return emb_error_set(err, EMB_EINVAL,
		    "line %zu: @@mark: needs at least two variants",
		    line_of(t, at));
	span.off = (uint32_t)at;
	span.len = (uint32_t)(close + 2 - at);
	*ret_end = close + 2;
	return mark_set_replace(
	    set, MARK_ROBUST, "template.mark", q, &span, 1, v);
}

static int
parse_canary(
    struct mark_set *set, size_t at, size_t *ret_end, struct emb_error *err)
{
	const uint8_t *t = set->text;
	size_t p = at + 8, close;
	enum mark_canary_fmt fmt = MARK_CANARY_HEX;
	struct mark_span span;

	if (t[p] == ':') {
		size_t i;
		close = find_at(t, set->len, p + 1);
		for (i = 0; i < EMB_ARRAY_LEN(canary_formats); i++) {
			size_t n = strlen(canary_formats[i].name);
			if (close - (p + 1) == n &&
			    memcmp(t + p + 1, canary_formats[i].name, n) == 0)
				break;
		}
		if (close >= set->len || i == EMB_ARRAY_LEN(canary_formats))
			return emb_error_set(err, EMB_EINVAL,
			    "line %zu: unknown @@canary: format (hex, base32,"
			    " uuid, ua, hostname)",
			    line_of(t, at));
		fmt = canary_formats[i].fmt;
	} else {
		close = p;
	}
	span.off = (uint32_t)at;
	span.len = (uint32_t)(close + 2 - at);
	*ret_end = close + 2;
	return mark_set_canary(set, "template.canary", span, fmt);
}

int
mark_template(struct mark_set *set, struct emb_error *err)
{
	const uint8_t *t = set->text;
	size_t i = 0, len = set->len;
	int r;

	if (len > UINT32_MAX)
		return emb_error_set(err, EMB_ETOOBIG, "text too large");
	while ((i = find_at(t, len, i)) < len) {
		size_t rest = len - i, end = 0;
		if (rest >= 4 && memcmp(t + i, "@@@@", 4) == 0) {
			struct mark_span span = {(uint32_t)i, 4};
			if ((r = mark_set_fixed(set, span, "@@", 2)) < 0)
				return emb_error_code(err, r);
			i += 4;
			continue;
		}
		if (rest >= 7 && memcmp(t + i, "@@mark:", 7) == 0) {
			if ((r = parse_mark(set, i, &end, err)) < 0)
				return emb_error_code(err, r);
			i = end;
			continue;
		}
		if (rest >= 10 && memcmp(t + i, "@@canary", 8) == 0 &&
		    (t[i + 8] == ':' || (t[i + 8] == '@' && t[i + 9] == '@'))) {
			if ((r = parse_canary(set, i, &end, err)) < 0)
				return emb_error_code(err, r);
			i = end;
			continue;
		}
		i += 1; /* an ordinary "@": look again from the next byte */
	}
	return 0;
}
