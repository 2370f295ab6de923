/*
 * Test helper (not shipped): discovery and rendering without an instance.
 *
 *   mark_tool sites LANG FILE          one JSON object per site
 *   mark_tool render LANG FILE SEED    a copy with pseudo-random symbols
 *   mark_tool count LANG FILE          coded sites and binary capacity by
 *                                      kind
 *
 * LANG is a language name (python, c, ...), "template", or "auto" (guess
 * from the file name).  Template markers are always processed first;
 * canaries render as CANARY<site index>.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mark/lang.h"
#include "common/emb.h"

static uint64_t rng;

static uint64_t
next_random(void)
{
	/* splitmix64: good enough to pick variants in tests. */
	uint64_t z = (rng += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int
canary(size_t site, struct buf *out, void *arg)
{
	(void)arg;
	return buf_printf(out, "CANARY%zu", site);
}

static int
load(const char *lang_name, const char *path, struct buf *text,
    struct mark_set *set)
{
	struct emb_error err = {0};
	enum mark_lang lang;

	buf_init(text, 64u << 20);
	if (buf_read_file(text, path) < 0) {
		fprintf(stderr, "mark_tool: cannot read %s\n", path);
		return -1;
	}
	mark_set_init(
	    set, text->data ? text->data : (const uint8_t *)"", text->len);
	if (mark_template(set, &err) < 0) {
		fprintf(stderr, "mark_tool: %s\n", err.msg);
		return -1;
	}
	if (strcmp(lang_name, "template") != 0) {
		if (strcmp(lang_name, "auto") == 0)
			lang = mark_lang_detect(path, set->text, set->len);
		else if (mark_lang_parse(lang_name, &lang) < 0) {
			fprintf(stderr, "mark_tool: unknown language %s\n",
			    lang_name);
			return -1;
		}
		if (mark_lang_discover(lang, set) < 0) {
			fprintf(stderr, "mark_tool: discovery failed\n");
			return -1;
		}
	}
	if (mark_set_finalize(set) < 0) {
		fprintf(stderr, "mark_tool: finalize failed\n");
		return -1;
	}
	return 0;
}

static const char *const kinds[] = {"robust", "fragile", "canary"};

int
main(int argc, char **argv)
{
	struct mark_set set;
	struct buf text, out;
	int rc = 0;

	if (argc < 4) {
		fprintf(stderr,
		    "usage: mark_tool sites|render|count LANG FILE"
		    " [SEED]\n");
		return 2;
	}
	if (load(argv[2], argv[3], &text, &set) < 0)
		return 1;
	if (strcmp(argv[1], "sites") == 0) {
		for (size_t i = 0; i < set.nsites; i++) {
			const struct mark_site *s = &set.sites[i];
			json_t *spans = json_array(), *vars = json_array();
			for (uint32_t k = 0; k < s->nspans; k++) {
				const struct mark_span *sp =
				    &set.spans[s->span0 + k];
				json_array_append_new(spans,
				    json_pack("[I,I]", (json_int_t)sp->off,
				        (json_int_t)sp->len));
			}
			for (unsigned v = 0;
			     s->shape == MARK_REPLACE && v < s->q; v++) {
				struct mark_text t =
				    mark_site_text(&set, s, v, 0);
				json_array_append_new(
				    vars, json_stringn(t.p, t.n));
			}
			json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:i, s:o, "
			                      "s:o}",
			    "site", (json_int_t)i, "rule", s->rule, "kind",
			    kinds[s->kind], "shape",
			    s->shape == MARK_PERMUTE ? "permute" : "replace",
			    "q", s->q, "spans", spans, "variants", vars);
			char *line = json_dumps(o, JSON_COMPACT);
			printf("%s\n", line ? line : "null");
			free(line);
			json_decref(o);
		}
	} else if (strcmp(argv[1], "render") == 0 && argc == 5) {
		uint8_t *sym = calloc(set.nsites + 1, 1);
		rng = strtoull(argv[4], NULL, 10);
		for (size_t i = 0; i < set.nsites; i++)
			sym[i] = set.sites[i].q
			    ? (uint8_t)(next_random() % set.sites[i].q)
			    : 0;
		buf_init(&out, 256u << 20);
		if (mark_render(&set, sym, canary, NULL, &out) < 0) {
			fprintf(stderr, "mark_tool: render failed\n");
			rc = 1;
		} else {
			fwrite(out.data ? out.data : (uint8_t *)"", 1, out.len,
			    stdout);
		}
		buf_fini(&out);
		free(sym);
	} else if (strcmp(argv[1], "count") == 0) {
		double bits[3] = {0};
		size_t n[3] = {0};
		for (size_t i = 0; i < set.nsites; i++) {
			const struct mark_site *s = &set.sites[i];
			if (s->q < 2 && s->kind != MARK_CANARY)
				continue;
			n[s->kind]++;
			bits[s->kind] += s->q >= 2 ? log2((double)s->q) : 0;
		}
		printf("{\"robust\": %zu, \"robust_bits\": %.2f, "
		       "\"fragile\": %zu, \"fragile_bits\": %.2f, "
		       "\"canary\": %zu}\n",
		    n[0], bits[0], n[1], bits[1], n[2]);
	} else {
		fprintf(stderr, "mark_tool: unknown command %s\n", argv[1]);
		rc = 2;
	}
	mark_set_fini(&set);
	buf_fini(&text);
	return rc;
}
