#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "core/trace.h"
#include "common/timeutil.h"
#include "common/emb.h"

#define TRACE_USAGE                                                            \
	"trace SAMPLE... [--logs FILE]... [--seen-at TIME] [--alpha P]"        \
	" [--json | --html FILE]"
#define TRACE_INPUTS_MAX 1024

struct trace_opts {
	bool json;
	const char *html, *seen_at, *alpha;
	const char *logs[TRACE_INPUTS_MAX];
	size_t nlogs;
};

static int
trace_opt(int id, const char *val, void *arg)
{
	struct trace_opts *o = arg;

	switch (id) {
	case 'j':
		o->json = true;
		break;
	case 'H':
		o->html = val;
		break;
	case 's':
		o->seen_at = val;
		break;
	case 'a':
		o->alpha = val;
		break;
	case 'l':
		if (o->nlogs >= TRACE_INPUTS_MAX)
			return -cli_error(
			    "at most %d log files", TRACE_INPUTS_MAX);
		o->logs[o->nlogs++] = val;
		break;
	default:
		break;
	}
	return 0;
}

static void
progress(uint64_t done, uint64_t total, void *arg)
{
	(void)arg;
	if (total > 0)
		fprintf(stderr, "\rscanning for canaries: %3d%%",
		    (int)(100.0 * (double)done / (double)total));
	if (total > 0 && done >= total)
		fputc('\n', stderr);
}

static int
parse_alpha(const char *s, double *ret)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || !(v > 0 && v < 1) || isnan(v))
		return cli_error("invalid --alpha '%s' (a probability between"
		                 " 0 and 1, e.g. 1e-6)",
		    s);
	*ret = v;
	return 0;
}

int
cmd_trace(const struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"html", required_argument, NULL, 'H'},
	    {"seen-at", required_argument, NULL, 's'},
	    {"alpha", required_argument, NULL, 'a'},
	    {"logs", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct trace_opts o;
	struct core_trace_opts to = {0};
	struct emb_instance *inst = NULL;
	struct emb_error err = {0};
	json_t *rep = NULL;
	struct cli_out html = {{0}, -1};
	uint64_t seen;
	int i, rc;

	memset(&o, 0, sizeof(o));
	if ((i = cli_getopt(
	         argc, argv, opts, TRACE_USAGE, trace_opt, &o, &seen)) < 0)
		return cli_getopt_exit(i);
	if (i == argc && o.nlogs == 0)
		return cli_usage(TRACE_USAGE, "trace needs a sample or --logs");
	if (o.json && o.html)
		return cli_usage(
		    TRACE_USAGE, "give --json or --html, not both");
	to.alpha = CORE_ALPHA_DEFAULT;
	if (o.alpha && parse_alpha(o.alpha, &to.alpha) != 0)
		return CLI_EXIT_FAIL;
	if (o.seen_at && cli_time("--seen-at", o.seen_at, &to.seen_at) != 0)
		return CLI_EXIT_FAIL;
	for (int k = i; k < argc; k++)
		if (access(argv[k], R_OK) != 0)
			return cli_error("cannot read sample %s", argv[k]);
	for (size_t k = 0; k < o.nlogs; k++)
		if (access(o.logs[k], R_OK) != 0)
			return cli_error("cannot read log %s", o.logs[k]);
	to.samples = (const char *const *)(argv + i);
	to.nsamples = (size_t)(argc - i);
	to.logs = o.logs;
	to.nlogs = o.nlogs;
	if (isatty(STDERR_FILENO))
		to.progress = progress;
	if ((rc = cli_open(c, &inst)) != 0)
		return rc;
	if (o.html != NULL && cli_out_open(&html, o.html) < 0) {
		rc = cli_error("cannot write %s: %s", o.html, strerror(errno));
		core_instance_free(inst);
		return rc;
	}
	if (core_trace(inst, c->actor, &to, emb_time_now(), &rep, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	if (o.json)
		rc = cli_json(json_incref(rep));
	else if (o.html)
		rc = report_html(rep, o.html, &html);
	else
		rc = report_text(rep);
out:
	if (o.html != NULL)
		cli_out_abort(&html);
	json_decref(rep);
	core_instance_free(inst);
	return rc;
}
