/*
 * Mark sites in Snort and Suricata rules.
 *
 * A rule is a header ("alert http $EXTERNAL_NET any -> $HOME_NET any")
 * and a list of options.  Many options are position-dependent: a content
 * match's modifiers (depth, offset, distance, within, nocase, fast_pattern)
 * apply to the content before them, sticky buffers (http.uri, ...) to what
 * follows, pcre and byte_* to the current cursor.  Those are never moved.
 * The bookkeeping options -- classtype, reference, metadata, priority,
 * sid, rev, gid -- can appear in any order, so adjacent runs of them are
 * permuted (priority is left in place when the rule also has a classtype,
 * whose default priority it overrides).  Two more choices leave the rule's
 * behaviour exactly as it was: the wording of msg (a table of synonyms
 * that analysts use interchangeably: "Possible" or "Potential", "CnC" or
 * "C2") and the form of a content byte that is printable and not special
 * ("/" or "|2f|").  All of these survive reformatting.  The blank after
 * each option's ";" and trailing blanks on comment lines only mark
 * verbatim copies.
 *
 * The rules are parsed with bounds; a line that does not parse as a rule
 * is left alone, and commented-out rules are comments.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mark/lang.h"
#include "common/emb.h"

#define OPTS_MAX 256 /* options of one rule that are followed */
#define MSG_MAX 1024 /* msg text looked at */
#define CONTENT_SITES 2 /* ascii/hex sites per content, at most */

struct opt {
	uint32_t kw, kwlen; /* keyword */
	uint32_t val, vallen; /* value (after ':'), or empty */
	uint32_t end; /* past the ';' */
};

struct suri {
	struct mark_set *set;
	const uint8_t *t;
	size_t n;
	uint8_t *hard; /* template markers: never inside */
	bool lower_hex; /* the file writes |2f| rather than |2F| */
	bool full;
};

static bool
is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(uint8_t c)
{
	return is_alpha(c) || is_digit(c);
}

static bool
is_xdigit(uint8_t c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool
is_hspace(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
hexval(uint8_t c)
{
	return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

static struct mark_span
span_of(size_t a, size_t b)
{
	struct mark_span s = {(uint32_t)a, (uint32_t)(b - a)};

	return s;
}

static struct mark_text
text_of(const void *p, size_t n)
{
	struct mark_text x = {(const char *)p, n};

	return x;
}

static bool
clean(const struct suri *s, size_t a, size_t b)
{
	for (size_t i = a; i < b && i < s->n; i++)
		if (s->hard[i])
			return false;
	return b <= s->n;
}

static int
add_replace(struct suri *s, enum mark_kind kind, const char *rule, unsigned q,
    struct mark_span span, const struct mark_text *texts)
{
	int r;

	if (s->full || !clean(s, span.off, span.off + span.len))
		return 0;
	r = mark_set_replace(s->set, kind, rule, q, &span, 1, texts);
	if (r == EMB_ETOOBIG) {
		s->full = true;
		r = 0;
	}
	return r;
}

/* Template markers (@@mark:...@@, @@canary...@@, @@@@). */
static void
mask_templates(struct suri *s)
{
	size_t i = 0;

	while (i + 1 < s->n) {
		const uint8_t *a = memmem(s->t + i, s->n - i, "@@", 2);
		size_t at, rest, from, end;

		if (a == NULL)
			break;
		at = (size_t)(a - s->t);
		rest = s->n - at;
		if (rest >= 4 && memcmp(a, "@@@@", 4) == 0) {
			memset(s->hard + at, 1, 4);
			i = at + 4;
			continue;
		}
		if (rest >= 7 && memcmp(a, "@@mark:", 7) == 0)
			from = at + 7;
		else if (rest >= 8 && memcmp(a, "@@canary", 8) == 0)
			from = at + 8;
		else {
			i = at + 1;
			continue;
		}
		a = from < s->n ? memmem(s->t + from, s->n - from, "@@", 2)
		                : NULL;
		end = a ? (size_t)(a - s->t) + 2 : s->n;
		memset(s->hard + at, 1, end - at);
		i = end;
	}
}

/* ---- parsing ---- */

static const char *const actions[] = {"alert", "drop", "pass", "reject",
    "rejectsrc", "rejectdst", "rejectboth", "log", "sdrop", "activate",
    "dynamic"};

/* Blanks, and backslash-newline continuations. */
static size_t
skip_blank(const uint8_t *t, size_t n, size_t i, bool *nl)
{
	for (;;) {
		if (i < n && is_hspace(t[i])) {
			i++;
		} else if (i + 1 < n && t[i] == '\\' && t[i + 1] == '\n') {
			i += 2;
		} else if (i + 2 < n && t[i] == '\\' && t[i + 1] == '\r' &&
		    t[i + 2] == '\n') {
			i += 3;
		} else {
			if (i < n && t[i] == '\n')
				*nl = true;
			return i;
		}
	}
}

/*
 * Parse the rule starting at i (the first non-blank of a line).  Fills
 * opts and returns the offset past ')' (0 if this is not a rule we
 * understand).
 */
static size_t
parse_rule(const struct suri *s, size_t i, struct opt *opts, size_t *nopts)
{
	const uint8_t *t = s->t;
	size_t n = s->n, k = i, words = 0;
	bool nl = false, ok = false;

	for (size_t a = 0; a < EMB_ARRAY_LEN(actions); a++) {
		size_t m = strlen(actions[a]);
		if (n - i > m && memcmp(t + i, actions[a], m) == 0 &&
		    is_hspace(t[i + m]))
			ok = true;
	}
	if (!ok)
		return 0;
	/* header: words up to '(' */
	while (k < n && t[k] != '(') {
		if (t[k] == '\n' || t[k] == ')' || t[k] == ';' || t[k] == '"')
			return 0;
		if (!is_hspace(t[k]) && (k == i || is_hspace(t[k - 1])))
			words++;
		k++;
	}
	if (k >= n || words < 7)
		return 0;
	k++;
	*nopts = 0;
	for (;;) {
		struct opt o;
		k = skip_blank(t, n, k, &nl);
		if (nl || k >= n)
			return 0;
		if (t[k] == ')')
			break;
		if (*nopts == OPTS_MAX)
			return 0;
		o.kw = (uint32_t)k;
		while (k < n &&
		    (is_alnum(t[k]) || t[k] == '_' || t[k] == '.' ||
		        t[k] == '-'))
			k++;
		o.kwlen = (uint32_t)(k - o.kw);
		if (o.kwlen == 0)
			return 0;
		k = skip_blank(t, n, k, &nl);
		if (nl || k >= n)
			return 0;
		o.val = (uint32_t)k;
		o.vallen = 0;
		if (t[k] == ':') {
			size_t v = k + 1;
			bool esc = false;
			for (k = v; k < n; k++) {
				if (t[k] == '\n' &&
				    !(k > v && t[k - 1] == '\\'))
					return 0;
				if (t[k] == ';' && !esc)
					break;
				esc = t[k] == '\\' && !esc;
			}
			if (k >= n)
				return 0;
			o.val = (uint32_t)v;
			o.vallen = (uint32_t)(k - v);
		} else if (t[k] != ';') {
			return 0;
		}
		o.end = (uint32_t)(k + 1);
		opts[(*nopts)++] = o;
		k++;
	}
	/* nothing but blanks after ')' */
	{
		size_t e = k + 1;
		while (e < n && is_hspace(t[e]))
			e++;
		if (e < n && t[e] != '\n')
			return 0;
	}
	return k + 1;
}

static bool
kw_is(const struct suri *s, const struct opt *o, const char *kw)
{
	size_t m = strlen(kw);

	return o->kwlen == m && memcmp(s->t + o->kw, kw, m) == 0;
}

/* ---- msg wording ---- */

/* Groups of interchangeable msg wordings, longest phrases first. */
static const char *const msg_groups[][3] = {
    {"Server-Side Request Forgery", "SSRF", NULL},
    {"Remote Code Execution", "RCE", NULL},
    {"Cross-Site Scripting", "XSS", NULL},
    {"Exploitation Attempt", "Exploit Attempt", NULL},
    {"Directory Traversal", "Path Traversal", NULL},
    {"Information Disclosure", "Info Disclosure", NULL},
    {"Authentication Bypass", "Auth Bypass", NULL},
    {"Denial of Service", "DoS", NULL},
    {"SQL Injection", "SQLi", NULL},
    {"Web Shell", "Webshell", "WebShell"},
    {"User-Agent", "User Agent", NULL},
    {"Possible", "Potential", NULL},
    {"Inbound", "Incoming", NULL},
    {"Outbound", "Outgoing", NULL},
    {"Checkin", "Check-in", NULL},
    {"CnC", "C2", NULL},
    {"Attempt", "Attempted", NULL},
};

static bool
word_edge(const uint8_t *t, size_t a, size_t b, size_t i)
{
	return i <= a || i >= b ||
	    !(is_alnum(t[i]) || t[i] == '-' || t[i] == '_' || t[i] == '/' ||
	        t[i] == '.' || t[i] == '\\');
}

static bool
has_text(const uint8_t *t, size_t a, size_t b, const char *w)
{
	size_t m = strlen(w);

	for (size_t i = a; i + m <= b; i++)
		if (memcmp(t + i, w, m) == 0 && word_edge(t, a, b, i - 1) &&
		    word_edge(t, a, b, i + m))
			return true;
	return false;
}

static int
msg_sites(struct suri *s, const struct opt *o)
{
	const uint8_t *t = s->t;
	size_t a = o->val, b = o->val + o->vallen, i;
	int r;

	/* the quoted text */
	while (a < b && is_hspace(t[a]))
		a++;
	while (b > a && is_hspace(t[b - 1]))
		b--;
	if (b - a < 2 || t[a] != '"' || t[b - 1] != '"' || b - a > MSG_MAX)
		return 0;
	a++;
	b--;
	for (i = a; i < b && !s->full;) {
		size_t g, m = 0;
		if (!word_edge(t, a, b, i - 1) || !is_alpha(t[i])) {
			i++;
			continue;
		}
		for (g = 0; g < EMB_ARRAY_LEN(msg_groups); g++) {
			size_t f;
			for (f = 0; f < 3 && msg_groups[g][f] != NULL; f++) {
				m = strlen(msg_groups[g][f]);
				if (i + m <= b &&
				    memcmp(t + i, msg_groups[g][f], m) == 0 &&
				    word_edge(t, a, b, i + m))
					break;
			}
			if (f < 3 && msg_groups[g][f] != NULL) {
				struct mark_text v[3];
				unsigned q = 1;
				bool other = false;
				for (size_t k = 0; k < 3; k++) {
					const char *w = msg_groups[g][k];
					if (w == NULL || k == f)
						continue;
					/* "SSRF ... (SSRF)": not twice */
					other = other || has_text(t, a, b, w);
					v[q++] = text_of(w, strlen(w));
				}
				v[0] = text_of(t + i, m);
				if (!other &&
				    (r = add_replace(s, MARK_ROBUST,
				         "suricata.msg", q, span_of(i, i + m),
				         v)) < 0)
					return r;
				break;
			}
		}
		if (g < EMB_ARRAY_LEN(msg_groups)) {
			i += m;
			continue;
		}
		while (i < b && is_alnum(t[i]))
			i++;
	}
	return 0;
}

/* ---- content bytes ---- */

/* Printable and not special in content ("|;\: and the blank). */
static bool
plain_byte(int c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != ';' && c != '\\' &&
	    c != '|' && c != ':';
}

/* Punctuation that rule writers spell either way. */
static bool
punct_byte(uint8_t c)
{
	return c != 0 && strchr("/=?&.%<>()[]{}'!@#", c) != NULL;
}

static int
content_sites(struct suri *s, const struct opt *o)
{
	const uint8_t *t = s->t;
	size_t a = o->val, b = o->val + o->vallen, i, close, nsite = 0;
	size_t puncts[2], np = 0;
	int r;

	while (a < b && is_hspace(t[a]))
		a++;
	if (a < b && t[a] == '!')
		a++;
	while (a < b && is_hspace(t[a]))
		a++;
	if (a >= b || t[a] != '"')
		return 0;
	for (close = a + 1; close < b && t[close] != '"'; close++)
		if (t[close] == '\\')
			close++;
	if (close >= b)
		return 0;
	for (i = a + 1; i < close && nsite < CONTENT_SITES;) {
		if (t[i] == '\\') {
			i += 2;
			continue;
		}
		if (t[i] == '|') {
			/* a hex block: all plain bytes -> the text itself */
			size_t e = i + 1, nb = 0;
			char bytes[64];
			bool ok = true;
			while (e < close && t[e] != '|') {
				if (is_hspace(t[e])) {
					e++;
					continue;
				}
				if (e + 1 >= close || !is_xdigit(t[e]) ||
				    !is_xdigit(t[e + 1]) ||
				    nb == sizeof(bytes)) {
					ok = false;
					break;
				}
				bytes[nb] = (char)(hexval(t[e]) * 16 +
				    hexval(t[e + 1]));
				ok = ok && plain_byte((uint8_t)bytes[nb]);
				nb++;
				e += 2;
			}
			if (e >= close || t[e] != '|')
				return 0; /* malformed: leave the content be */
			if (ok && nb > 0) {
				struct mark_text v[2] = {
				    text_of(t + i, e + 1 - i),
				    text_of(bytes, nb)};
				if ((r = add_replace(s, MARK_ROBUST,
				         "suricata.content_hex", 2,
				         span_of(i, e + 1), v)) < 0)
					return r;
				nsite++;
			}
			i = e + 1;
			continue;
		}
		if (punct_byte(t[i])) {
			/* remember the first and the last */
			if (np < 2)
				puncts[np++] = i;
			else
				puncts[1] = i;
		}
		i++;
	}
	for (size_t k = 0; k < np && nsite < CONTENT_SITES; k++) {
		static const char hx[] = "0123456789abcdef0123456789ABCDEF";
		const char *d = hx + (s->lower_hex ? 0 : 16);
		char buf[4] = {
		    '|', d[t[puncts[k]] >> 4], d[t[puncts[k]] & 15], '|'};
		struct mark_text v[2] = {
		    text_of(t + puncts[k], 1), text_of(buf, 4)};
		if ((r = add_replace(s, MARK_ROBUST, "suricata.content_hex", 2,
		         span_of(puncts[k], puncts[k] + 1), v)) < 0)
			return r;
		nsite++;
	}
	return 0;
}

/* ---- option order ---- */

static bool
free_option(const struct suri *s, const struct opt *o, bool classtype)
{
	static const char *const kws[] = {
	    "classtype", "reference", "metadata", "sid", "rev", "gid"};

	for (size_t k = 0; k < EMB_ARRAY_LEN(kws); k++)
		if (kw_is(s, o, kws[k]))
			return true;
	return !classtype && kw_is(s, o, "priority");
}

static int
order_sites(struct suri *s, const struct opt *opts, size_t nopts)
{
	struct mark_span sp[3];
	bool classtype = false;
	size_t i = 0;
	int r;

	for (size_t k = 0; k < nopts; k++)
		classtype = classtype || kw_is(s, &opts[k], "classtype");
	while (i < nopts) {
		size_t j = i, run, g;
		while (j < nopts && free_option(s, &opts[j], classtype))
			j++;
		run = j - i;
		while (run >= 2 && !s->full) {
			g = run >= 3 && run != 4 ? 3 : 2;
			for (size_t k = 0; k < g; k++)
				sp[k] =
				    span_of(opts[i + k].kw, opts[i + k].end);
			if (clean(
			        s, sp[0].off, sp[g - 1].off + sp[g - 1].len)) {
				r = mark_set_permute(s->set, MARK_ROBUST,
				    "suricata.opt_order", sp, g);
				if (r == EMB_ETOOBIG)
					s->full = true;
				else if (r < 0)
					return r;
			}
			i += g;
			run -= g;
		}
		i = j + 1;
	}
	return 0;
}

/* ---- fragile ---- */

static int
space_sites(struct suri *s, const struct opt *opts, size_t nopts)
{
	const uint8_t *t = s->t;
	int r;

	for (size_t k = 0; k + 1 < nopts; k++) {
		size_t e = opts[k].end; /* past ';' */
		struct mark_text v[2];
		if (e >= s->n || t[e] != ' ' || opts[k + 1].kw != e + 1)
			continue;
		/* the blank alone: the ';' belongs to the (movable) option */
		v[0] = text_of(" ", 1);
		v[1] = text_of("", 0);
		if ((r = add_replace(s, MARK_FRAGILE, "suricata.opt_space", 2,
		         span_of(e, e + 1), v)) < 0)
			return r;
	}
	return 0;
}

static int
comment_space(struct suri *s, size_t ls, size_t le)
{
	const uint8_t *t = s->t;
	size_t e = le;
	struct mark_text v[2];
	char buf[3];

	if (le >= s->n)
		return 0;
	if (e > ls && t[e - 1] == '\r')
		e--;
	if (e == ls || is_hspace(t[e - 1]) || t[e - 1] == '\\')
		return 0;
	buf[0] = ' ';
	memcpy(buf + 1, t + e, le + 1 - e);
	v[0] = text_of(t + e, le + 1 - e);
	v[1] = text_of(buf, le + 2 - e);
	return add_replace(s, MARK_FRAGILE, "suricata.comment_space", 2,
	    span_of(e, le + 1), v);
}

/*
 * Discover the sites of a Snort or Suricata rule file: msg wording,
 * content byte forms and the order of bookkeeping options (robust), then
 * blanks (fragile).  Returns 0 or EMB_ENOMEM.
 */
int
mark_lang_suricata(struct mark_set *set)
{
	struct suri s = {set, set->text, set->len, NULL, false, false};
	struct opt *opts = NULL;
	size_t i = 0, up = 0, lo = 0;
	int r = 0;

	if (set->len == 0 || set->len > UINT32_MAX - 1)
		return 0;
	s.hard = calloc(set->len, 1);
	opts = malloc(sizeof(*opts) * OPTS_MAX);
	if (s.hard == NULL || opts == NULL) {
		r = EMB_ENOMEM;
		goto out;
	}
	mask_templates(&s);
	for (size_t k = 0; k + 3 < s.n; k++)
		if (s.t[k] == '|' && is_xdigit(s.t[k + 1]) &&
		    is_xdigit(s.t[k + 2])) {
			up += (s.t[k + 1] >= 'A' && s.t[k + 1] <= 'F') +
			    (s.t[k + 2] >= 'A' && s.t[k + 2] <= 'F');
			lo += (s.t[k + 1] >= 'a' && s.t[k + 1] <= 'f') +
			    (s.t[k + 2] >= 'a' && s.t[k + 2] <= 'f');
		}
	s.lower_hex = lo >= up;
	/* robust sites, rule by rule; then the fragile ones */
	for (int pass = 0; pass < 2 && r == 0; pass++) {
		i = 0;
		while (i < s.n && r == 0) {
			const uint8_t *nl = memchr(s.t + i, '\n', s.n - i);
			size_t le = nl ? (size_t)(nl - s.t) : s.n, f = i, end,
			       nopts = 0;

			while (f < le && is_hspace(s.t[f]))
				f++;
			if (f < le && s.t[f] == '#') {
				if (pass == 1)
					r = comment_space(&s, i, le);
				i = le + 1;
				continue;
			}
			end = f < le ? parse_rule(&s, f, opts, &nopts) : 0;
			if (end == 0) {
				i = le + 1;
				continue;
			}
			for (size_t k = 0; k < nopts && r == 0; k++) {
				if (pass == 1)
					break;
				if (kw_is(&s, &opts[k], "msg"))
					r = msg_sites(&s, &opts[k]);
				else if (kw_is(&s, &opts[k], "content") ||
				    kw_is(&s, &opts[k], "uricontent"))
					r = content_sites(&s, &opts[k]);
			}
			if (r == 0)
				r = pass == 0 ? order_sites(&s, opts, nopts)
				              : space_sites(&s, opts, nopts);
			nl = end < s.n ? memchr(s.t + end, '\n', s.n - end)
			               : NULL;
			i = nl ? (size_t)(nl - s.t) + 1 : s.n;
		}
	}
out:
	free(s.hard);
	free(opts);
	return r;
}
