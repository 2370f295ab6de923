/*
 * The public side (no credentials): CSAF 2.0 as a directory-based
 * provider (CSAF 2.0 section 7.1.14):
 *   /.well-known/csaf/provider-metadata.json
 *   /.well-known/csaf/white/index.txt      one path per line
 *   /.well-known/csaf/white/changes.csv    "path","current release"
 *   /.well-known/csaf/white/<year>/<name>.json[.sha256]
 * Only advisories that count as published appear; a document's URL is
 * stable once it does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csaf.h"
#include "http/http_int.h"
#include "common/timeutil.h"
#include "common/emb.h"

static void
text(struct http_ctx *c, const char *type, struct buf *b)
{
	buf_fini(&c->resp->body);
	c->resp->body = *b;
	buf_init(b, 0);
	c->resp->status = 200;
	http_response_header(c->resp, "Content-Type", "%s", type);
}

static void
metadata(struct http_ctx *c, const struct core_csaf_entry *e, size_t n)
{
	json_t *doc = core_csaf_provider_metadata(
	    &c->app->csaf, n > 0 ? e[0].released : c->app->started);
	char *s = doc != NULL ? core_csaf_dump(doc) : NULL;
	struct buf b;

	json_decref(doc);
	buf_init(&b, HTTP_BODY_MAX);
	if (s == NULL || buf_append_str(&b, s) < 0 ||
	    buf_append(&b, "\n", 1) < 0) {
		free(s);
		buf_fini(&b);
		http_internal(c, NULL);
		return;
	}
	free(s);
	text(c, HTTP_JSON_TYPE, &b);
}

static void
listing(struct http_ctx *c, const struct core_csaf_entry *e, size_t n, bool csv)
{
	char t[EMB_TIME_STR];
	struct buf b;
	int r = 0;

	buf_init(&b, HTTP_BODY_MAX);
	for (size_t i = 0; i < n && r == 0; i++)
		r = csv ? buf_printf(&b, "\"%s\",\"%s\"\n", e[i].path,
		              emb_time_format(e[i].released, false, t))
		        : buf_printf(&b, "%s\n", e[i].path);
	if (r < 0) {
		buf_fini(&b);
		http_internal(c, NULL);
		return;
	}
	text(c, csv ? "text/csv; charset=utf-8" : "text/plain; charset=utf-8",
	    &b);
}

static void
document(struct http_ctx *c, const struct core_csaf_entry *e, bool sha)
{
	struct emb_error err = {0};
	json_t *doc;
	char *s, hex[65], *base;
	uint8_t h[CRYPTO_HASH_BYTES];
	struct buf b;
	int r;

	if (core_csaf_document(
	        c->inst, e->id, &c->app->csaf, c->req->now, &doc, &err) < 0) {
		if (err.code == EMB_ENOENT)
			http_not_found(c);
		else
			http_internal(c, &err);
		return;
	}
	s = core_csaf_dump(doc);
	json_decref(doc);
	buf_init(&b, HTTP_BODY_MAX);
	if (s == NULL || buf_append_str(&b, s) < 0 ||
	    buf_append(&b, "\n", 1) < 0) {
		free(s);
		buf_fini(&b);
		http_internal(c, NULL);
		return;
	}
	free(s);
	if (!sha) {
		text(c, HTTP_JSON_TYPE, &b);
		return;
	}
	crypto_sha256(b.data, b.len, h);
	emb_hex(h, sizeof(h), hex);
	buf_fini(&b);
	base = strrchr(e->path, '/');
	buf_init(&b, 1024);
	r = buf_printf(&b, "%s  %s\n", hex, base != NULL ? base + 1 : e->path);
	if (r < 0) {
		buf_fini(&b);
		http_internal(c, NULL);
		return;
	}
	text(c, "text/plain; charset=utf-8", &b);
}

void
http_public(struct http_ctx *c)
{
	const struct http_target *t = &c->t;
	struct emb_error err = {0};
	struct core_csaf_entry *e = NULL;
	size_t n = 0, ns = t->n_seg;
	char want[CORE_CSAF_PATH_MAX + 16];
	bool sha = false;

	if (!c->read) {
		http_method_not_allowed(c);
		return;
	}
	if (t->n_params > 0 || t->trailing_slash) {
		http_not_found(c);
		return;
	}
	if (core_csaf_list(c->inst, c->req->now, &e, &n, &err) < 0) {
		http_internal(c, &err);
		return;
	}
	if (ns == 3 && strcmp(t->seg[2], "provider-metadata.json") == 0) {
		metadata(c, e, n);
	} else if (ns == 4 && strcmp(t->seg[2], "white") == 0 &&
	    (strcmp(t->seg[3], "index.txt") == 0 ||
	        strcmp(t->seg[3], "changes.csv") == 0)) {
		listing(c, e, n, strcmp(t->seg[3], "changes.csv") == 0);
	} else if (ns == 5 && strcmp(t->seg[2], "white") == 0) {
		size_t k, len;
		(void)snprintf(
		    want, sizeof(want), "%s/%s", t->seg[3], t->seg[4]);
		len = strlen(want);
		if (len > 7 && strcmp(want + len - 7, ".sha256") == 0) {
			want[len - 7] = '\0';
			sha = true;
		}
		for (k = 0; k < n && strcmp(e[k].path, want) != 0; k++)
			;
		if (k < n)
			document(c, &e[k], sha);
		else
			http_not_found(c);
	} else {
		http_not_found(c);
	}
	free(e);
}
