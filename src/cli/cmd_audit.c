#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/json.h"
#include "common/timeutil.h"
#include "common/emb.h"

#define AUDIT_USAGE "audit log [--json] | audit verify [--json]"

static int
audit_opt(int id, const char *val, void *arg)
{
	(void)val;
	if (id == 'j') {
		*(bool *)arg = true;
		return 0;
	}
	return 0;
}

static int
print_event(const struct store_event *e, void *arg)
{
	char t[EMB_TIME_STR];

	if (arg != NULL) {
		json_array_append_new(arg, core_json_event(e));
		return 0;
	}
	printf("%6lld  %s  %-20s %-20s %-32s %s\n", (long long)e->seq,
	    emb_time_format(e->at, true, t), e->actor, e->type, e->subject,
	    e->detail);
	return 0;
}

int
cmd_audit(const struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct emb_instance *inst = NULL;
	struct emb_error err = {0};
	struct log_report rep;
	bool json = false;
	uint64_t seen;
	int i, rc = 0;

	if (argc < 2)
		return cli_usage(AUDIT_USAGE, "missing subcommand");
	if (cli_help(argv[1], AUDIT_USAGE))
		return 0;
	if (strcmp(argv[1], "log") != 0 && strcmp(argv[1], "verify") != 0)
		return cli_usage(
		    AUDIT_USAGE, "unknown subcommand '%s'", argv[1]);
	if ((i = cli_getopt(argc - 1, argv + 1, opts, AUDIT_USAGE, audit_opt,
	         &json, &seen)) < 0)
		return cli_getopt_exit(i);
	if (i + 1 != argc)
		return cli_usage(
		    AUDIT_USAGE, "audit %s takes no arguments", argv[1]);
	if ((rc = cli_open(c, &inst)) != 0)
		return rc;
	if (strcmp(argv[1], "log") == 0) {
		json_t *a = json ? json_array() : NULL;
		if (core_audit_each(inst, print_event, a, &err) < 0) {
			json_decref(a);
			rc = cli_fail(&err);
		} else if (json) {
			rc = cli_json(a);
		}
	} else {
		int r = core_audit_verify(inst, &rep, &err);
		if (json)
			(void)cli_json(
			    json_pack("{s:b, s:I, s:o}", "ok", r == 0,
			        "entries", (json_int_t)rep.entries, "problem",
			        r == 0 ? json_null() : json_string(err.msg)));
		if (r < 0)
			rc = cli_fail(&err);
		else if (!json)
			printf("event log verified: %lld entries, chain and"
			       " signed head intact\n",
			    (long long)rep.entries);
	}
	core_instance_free(inst);
	return rc;
}
