#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "common/buf.h"
#include "common/emb.h"

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static double
num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static long long
integer(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void
print_ids(const json_t *a)
{
	size_t k;
	json_t *v;

	json_array_foreach(a, k, v)
	    printf("%s%s", k ? ", " : "", json_string_value(v));
}

int
report_text(const json_t *rep)
{
	const json_t *samples = json_object_get(rep, "samples");
	const json_t *cands = json_object_get(rep, "candidates");
	const json_t *hits = json_object_get(rep, "canaries");
	size_t k, j;
	json_t *s, *v;

	printf("VERDICT: %s", str(rep, "verdict"));
	if (json_array_size(json_object_get(rep, "accused"))) {
		printf(": ");
		print_ids(json_object_get(rep, "accused"));
	} else if (json_array_size(json_object_get(rep, "suspects"))) {
		printf(": ");
		print_ids(json_object_get(rep, "suspects"));
	}
	printf("\n(accused when the chance that an innocent partner scores as"
	       " high is <= %g after correction; suspects <= %g)\n",
	    num(rep, "alpha"), num(rep, "suspect_threshold"));
	json_array_foreach(samples, k, s)
	{
		size_t shown = 0;
		printf("\nsample %s (%s, %lld bytes)\n", str(s, "file"),
		    str(s, "language"), integer(s, "bytes"));
		json_array_foreach(json_object_get(s, "derivations"), j, v)
		{
			if (!json_is_true(json_object_get(v, "derived")))
				continue;
			printf("  derives from %s/%s: %.0f%% of the artifact,"
			       " %.0f%% of the sample%s\n",
			    str(v, "advisory"), str(v, "artifact"),
			    100 * num(v, "artifact_contained"),
			    100 * num(v, "sample_contained"),
			    json_is_true(json_object_get(v, "identical"))
			        ? " (identical bytes)"
			        : "");
		}
		json_array_foreach(json_object_get(s, "artifacts"), j,
		    v) printf("  %s/%s: %lld of %lld mark sites read, %lld"
		              " recipients\n",
		    str(v, "advisory"), str(v, "artifact"), integer(v, "read"),
		    integer(v, "sites"), integer(v, "recipients"));
		if (json_array_size(json_object_get(s, "derivations")) == 0)
			printf("  no shared artifact in it\n");
		if (integer(s, "candidates") == 0)
			continue;
		printf("  %-20s %-8s %8s %6s %6s %10s %10s\n", "PARTNER",
		    "STATUS", "SCORE", "SITES", "AGREE", "BOUND", "CORRECTED");
		json_array_foreach(cands, j, v)
		{
			if (strcmp(str(v, "sample"), str(s, "file")) != 0)
				continue;
			if (shown++ >= 10 &&
			    strcmp(str(v, "status"), "cleared") == 0)
				continue;
			printf("  %-20s %-8s %8.2f %6lld %6lld %10.2e %10.2e\n",
			    str(v, "partner"), str(v, "status"),
			    num(v, "score"), integer(v, "sites"),
			    integer(v, "agree"), num(v, "bound"),
			    num(v, "corrected"));
		}
		if (shown > 10)
			printf("  (%zu more candidates cleared)\n", shown - 10);
	}
	if (json_array_size(hits)) {
		printf("\ncanary tokens found:\n");
		json_array_foreach(hits, k, v)
		{
			printf("  %s:%lld  partner %s  %s/%s  (%s)",
			    str(v, "file"), integer(v, "line"),
			    str(v, "partner"), str(v, "advisory"),
			    str(v, "artifact"), str(v, "form"));
			if (json_object_get(v, "time"))
				printf("  %s", str(v, "time"));
			if (json_object_get(v, "client"))
				printf("  from %s", str(v, "client"));
			printf("\n");
		}
	}
	return 0;
}

/* Append s with HTML escaping. */
static int
esc(struct buf *b, const char *s)
{
	int r = 0;

	for (; *s && r == 0; s++) {
		switch (*s) {
		case '<':
			r = buf_append_str(b, "&lt;");
			break;
		case '>':
			r = buf_append_str(b, "&gt;");
			break;
		case '&':
			r = buf_append_str(b, "&amp;");
			break;
		case '"':
			r = buf_append_str(b, "&quot;");
			break;
		case '\'':
			r = buf_append_str(b, "&#39;");
			break;
		default:
			r = buf_append(b, s, 1);
			break;
		}
	}
	return r;
}

/* -log10 of a probability, capped for the chart. */
static double
strength(double p)
{
	if (!(p > 0))
		return 40;
	double v = -log10(p);
	return v > 40 ? 40 : v < 0 ? 0 : v;
}

/* An upper bound of the width in pixels of s at font-size 12 in the
 * common sans-serif faces (DejaVu Sans, Liberation Sans). */
static double
label_px(const char *s)
{
	double px = 0;

	for (; *s; s++) {
		if (strchr("mwMW", *s))
			px += 12;
		else if (*s >= 'A' && *s <= 'Z')
			px += 9.5;
		else if (strchr(".-_ijlftrI1 ()#", *s))
			px += 5;
		else
			px += 7.5;
	}
	return px;
}

/* The chart label of candidate v: its partner, and the sample's number
 * when several samples were traced together. */
static void
chart_label(const json_t *samples, const json_t *v, char *out, size_t n)
{
	size_t k;
	json_t *s;

	(void)snprintf(out, n, "%s", str(v, "partner"));
	if (json_array_size(samples) < 2)
		return;
	json_array_foreach(samples, k, s)
	{
		if (strcmp(str(s, "file"), str(v, "sample")) == 0) {
			(void)snprintf(
			    out, n, "%s (#%zu)", str(v, "partner"), k + 1);
			return;
		}
	}
}

static int
chart(struct buf *b, const json_t *samples, const json_t *cands, double alpha)
{
	size_t n = json_array_size(cands), k;
	double max = strength(alpha) + 2, lw = 140, x0;
	int w, bar = 22, h, span = 460, r = 0;
	char label[EMB_ID_MAX + 32];
	json_t *v;

	json_array_foreach(cands, k, v)
	{
		chart_label(samples, v, label, sizeof(label));
		if (label_px(label) > lw)
			lw = label_px(label);
		if (strength(num(v, "corrected")) > max)
			max = strength(num(v, "corrected"));
	}
	x0 = lw + 20;
	w = (int)ceil(x0) + span + 100;
	h = (int)n * bar + 40;
	r |= buf_printf(b,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\""
	    " height=\"%d\" role=\"img\" aria-label=\"candidate scores\">\n",
	    w, h);
	json_array_foreach(cands, k, v)
	{
		double x;
		const char *st = str(v, "status");
		x = strength(num(v, "corrected")) / max * span;
		chart_label(samples, v, label, sizeof(label));
		r |= buf_printf(b,
		    "<text x=\"%.1f\" y=\"%zu\" text-anchor=\"end\""
		    " font-size=\"12\">",
		    x0 - 10, k * (size_t)bar + 30);
		r |= esc(b, label);
		r |= buf_printf(b,
		    "</text><rect class=\"%s\" x=\"%.1f\" y=\"%zu\""
		    " width=\"%.1f\" height=\"%d\"/>"
		    "<text x=\"%.1f\" y=\"%zu\" font-size=\"11\">%.1e</text>\n",
		    strcmp(st, "accused") == 0       ? "acc"
		        : strcmp(st, "suspect") == 0 ? "sus"
		                                     : "clr",
		    x0, k * (size_t)bar + 18, x < 1 ? 1 : x, bar - 6,
		    x0 + x + 6, k * (size_t)bar + 30, num(v, "corrected"));
	}
	{
		double x = x0 + strength(alpha) / max * span;
		r |= buf_printf(b,
		    "<line x1=\"%.1f\" y1=\"10\" x2=\"%.1f\" y2=\"%d\""
		    " class=\"thr\"/><text x=\"%.1f\" y=\"%d\""
		    " font-size=\"11\">threshold %.0e</text>\n",
		    x, x, h - 10, x + 4, h - 2, alpha);
	}
	r |= buf_append_str(b, "</svg>\n");
	return r;
}

int
report_html(const json_t *rep, const char *path, struct cli_out *out)
{
	const json_t *samples = json_object_get(rep, "samples");
	const json_t *cands = json_object_get(rep, "candidates");
	const json_t *hits = json_object_get(rep, "canaries");
	struct buf b;
	size_t k, j;
	json_t *s, *v;
	int r = 0;

	buf_init(&b, 64u << 20);
	r |= buf_append_str(&b,
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>embargo trace report</title><style>"
	    "body{font-family:sans-serif;margin:2em;max-width:60em}"
	    "table{border-collapse:collapse;margin:1em 0}"
	    "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}"
	    ".acc{fill:#c0392b}.sus{fill:#e67e22}.clr{fill:#7f8c8d}"
	    ".thr{stroke:#000;stroke-dasharray:4 3}"
	    "#verdict{font-size:1.4em;padding:.5em;border:2px solid #333}"
	    "</style></head><body>\n<h1>Trace report</h1>\n"
	    "<p id=\"verdict\">Verdict: ");
	r |= esc(&b, str(rep, "verdict"));
	if (json_array_size(json_object_get(rep, "accused"))) {
		r |= buf_append_str(&b, " &mdash; <strong id=\"accused\">");
		json_array_foreach(json_object_get(rep, "accused"), k, v)
		{
			r |= buf_append_str(&b, k ? ", " : "");
			r |= esc(&b, json_string_value(v));
		}
		r |= buf_append_str(&b, "</strong>");
	}
	r |= buf_printf(&b,
	    "</p>\n<p>Accused when the probability that an innocent partner"
	    " scores as high, corrected for the number of candidates and"
	    " samples, is at most %g; suspects at most %g. Traced at ",
	    num(rep, "alpha"), num(rep, "suspect_threshold"));
	r |= esc(&b, str(rep, "traced_at"));
	r |= buf_append_str(&b,
	    ".</p>\n<h2>Samples</h2>\n<table id=\"samples\"><tr><th>#</th>"
	    "<th>File</th><th>Language</th><th>Bytes</th><th>SHA-256</th>"
	    "<th>Derived from</th></tr>\n");
	json_array_foreach(samples, k, s)
	{
		size_t shown = 0;
		r |= buf_printf(&b, "<tr><td>%zu</td><td>", k + 1);
		r |= esc(&b, str(s, "file"));
		r |= buf_append_str(&b, "</td><td>");
		r |= esc(&b, str(s, "language"));
		r |= buf_printf(
		    &b, "</td><td>%lld</td><td>", integer(s, "bytes"));
		r |= esc(&b, str(s, "sha256"));
		r |= buf_append_str(&b, "</td><td>");
		json_array_foreach(json_object_get(s, "derivations"), j, v)
		{
			if (!json_is_true(json_object_get(v, "derived")))
				continue;
			r |= buf_append_str(&b, shown++ ? ", " : "");
			r |= esc(&b, str(v, "advisory"));
			r |= buf_append_str(&b, "/");
			r |= esc(&b, str(v, "artifact"));
		}
		if (shown == 0)
			r |= buf_append_str(&b, "no shared artifact");
		r |= buf_append_str(&b, "</td></tr>\n");
	}
	r |= buf_append_str(&b, "</table>\n<h2>Candidates</h2>\n");
	r |= chart(&b, samples, cands, num(rep, "alpha"));
	r |= buf_append_str(&b,
	    "<table id=\"candidates\"><tr><th>Sample</th><th>Partner</th>"
	    "<th>Status</th><th>Score</th><th>Sites</th><th>Agree</th>"
	    "<th>Bound</th><th>Corrected</th></tr>\n");
	json_array_foreach(cands, k, v)
	{
		r |= buf_append_str(&b, "<tr><td>");
		r |= esc(&b, str(v, "sample"));
		r |= buf_append_str(&b, "</td><td>");
		r |= esc(&b, str(v, "partner"));
		r |= buf_append_str(&b, "</td><td>");
		r |= esc(&b, str(v, "status"));
		r |= buf_printf(&b,
		    "</td><td>%.2f</td><td>%lld</td><td>%lld</td>"
		    "<td>%.2e</td><td>%.2e</td></tr>\n",
		    num(v, "score"), integer(v, "sites"), integer(v, "agree"),
		    num(v, "bound"), num(v, "corrected"));
	}
	r |= buf_append_str(&b,
	    "</table>\n<h2>Derivation</h2>\n<table id=\"derivation\"><tr>"
	    "<th>Sample</th><th>Artifact</th><th>Derived</th>"
	    "<th>Of the artifact</th><th>Of the sample</th></tr>\n");
	json_array_foreach(samples, k, s)
	{
		json_array_foreach(json_object_get(s, "derivations"), j, v)
		{
			r |= buf_append_str(&b, "<tr><td>");
			r |= esc(&b, str(s, "file"));
			r |= buf_append_str(&b, "</td><td>");
			r |= esc(&b, str(v, "advisory"));
			r |= buf_append_str(&b, "/");
			r |= esc(&b, str(v, "artifact"));
			r |= buf_printf(&b,
			    "</td><td>%s</td><td>%.0f%%</td><td>%.0f%%</td>"
			    "</tr>\n",
			    json_is_true(json_object_get(v, "derived")) ? "yes"
			                                                : "no",
			    100 * num(v, "artifact_contained"),
			    100 * num(v, "sample_contained"));
		}
	}
	r |= buf_append_str(&b,
	    "</table>\n<h2>Canary tokens</h2>\n<table id=\"canaries\"><tr>"
	    "<th>File</th><th>Line</th><th>Partner</th><th>Artifact</th>"
	    "<th>Form</th><th>Time</th><th>Client</th></tr>\n");
	json_array_foreach(hits, k, v)
	{
		r |= buf_append_str(&b, "<tr><td>");
		r |= esc(&b, str(v, "file"));
		r |= buf_printf(
		    &b, "</td><td>%lld</td><td>", integer(v, "line"));
		r |= esc(&b, str(v, "partner"));
		r |= buf_append_str(&b, "</td><td>");
		r |= esc(&b, str(v, "advisory"));
		r |= buf_append_str(&b, "/");
		r |= esc(&b, str(v, "artifact"));
		r |= buf_append_str(&b, "</td><td>");
		r |= esc(&b, str(v, "form"));
		r |= buf_append_str(&b, "</td><td>");
		r |= esc(&b, str(v, "time"));
		r |= buf_append_str(&b, "</td><td>");
		r |= esc(&b, str(v, "client"));
		r |= buf_append_str(&b, "</td></tr>\n");
	}
	r |= buf_append_str(&b, "</table>\n</body></html>\n");
	if (r != 0) {
		buf_fini(&b);
		return cli_error("report too large");
	}
	if (cli_out_commit(out, path, b.data, b.len) < 0) {
		int e = errno;
		cli_out_abort(out);
		buf_fini(&b);
		return cli_error("cannot write %s: %s", path, strerror(e));
	}
	buf_fini(&b);
	printf("report written to %s\n", path);
	return 0;
}
